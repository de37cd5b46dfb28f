/* test_exec_isolation.c: every execution starts from the same engine state,
 * whatever the execution before it did (a finding, the step budget running
 * out as a task exits, a deadlock, a crash). Each execution of a campaign is
 * checked against a replay of its own tape in a freshly started engine: same
 * finding, same trace digest. The report's re-run of a tape, right after the
 * execution in the same process, must reproduce it too. */
#include "dr/dr_engine.h"
#include "dr_test.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_EXECS = 400 };

typedef struct saved {
    dr_tape tape;
    dr_exec_result res;
} saved;

static saved runs[MAX_EXECS];

/* Replays t with the given budget and checks it gives the recorded result. */
static bool replays(const dr_scenario *s, const dr_tape *t, const dr_exec_result *want, uint64_t budget)
{
    dr_strategy *st = dr_strategy_replay(t);
    dr_run_config cfg = {.cpus = t->cpus, .step_budget = budget};
    dr_exec_result res;
    bool ok = dr_run(s, &cfg, st, t->exec_index, &res) == 0;
    char why[512] = "";
    ok = ok && dr_replay_verify(st, &res, why, sizeof why);
    ok = ok && res.finding.kind == want->finding.kind && strcmp(res.finding.title, want->finding.title) == 0 &&
         res.digest == want->digest && res.steps == want->steps;
    if (!ok)
        fprintf(stderr, "  %s execution %llu (%s: %s): replay gives %s: %s [%s]\n", s->name,
                (unsigned long long)t->exec_index, dr_finding_kind_name(want->finding.kind), want->finding.title,
                dr_finding_kind_name(res.finding.kind), res.finding.title, why);
    dr_strategy_destroy(st);
    return ok;
}

/* Runs up to n executions of s (every one's finding must be `only` when it
 * is not NONE; DR_FIND__COUNT: any finding), re-running each tape at once in the same process as the
 * report does, then replays every tape in a fresh engine. */
static void campaign(const char *name, dr_strategy *st, int n, uint64_t budget, dr_finding_kind only)
{
    const dr_scenario *s = dr_scenario_find(name);
    CHECK(s != NULL);
    if (!s)
        return;
    dr_run_config cfg = {.step_budget = budget};
    int done = 0, rerun_bad = 0, other = 0;
    for (int e = 0; e < n && e < MAX_EXECS; e++) {
        saved *r = &runs[done];
        if (dr_run(s, &cfg, st, (uint64_t)e, &r->res) != 0)
            break;
        dr_last_tape(&r->tape, s, s->cpus, dr_strategy_get_kind(st), 0, (uint64_t)e, &r->res);
        if (only != DR_FIND__COUNT && r->res.finding.kind != DR_FIND_NONE && r->res.finding.kind != only) {
            other++;
            fprintf(stderr, "  %s execution %d: unexpected %s: %s\n", name, e,
                    dr_finding_kind_name(r->res.finding.kind), r->res.finding.message);
        }
        done++;
        bool more = dr_strategy_next(st, &r->res);
        if (!replays(s, &r->tape, &r->res, budget))
            rerun_bad++;
        if (!more)
            break;
    }
    dr_strategy_destroy(st);
    int fresh_bad = 0;
    for (int i = 0; i < done; i++) {
        dr_engine_shutdown(); /* the next run starts a new engine */
        if (!replays(s, &runs[i].tape, &runs[i].res, budget))
            fresh_bad++;
        dr_tape_free(&runs[i].tape);
    }
    if (other || rerun_bad || fresh_bad)
        fprintf(stderr, "%s budget %llu: %d executions, %d unexpected findings, %d bad re-runs, %d differ from a "
                        "fresh engine\n",
                name, (unsigned long long)budget, done, other, rerun_bad, fresh_bad);
    CHECK(done > 0);
    CHECK_EQ(other, 0);
    CHECK_EQ(rerun_bad, 0);
    CHECK_EQ(fresh_bad, 0);
}

int main(void)
{
    /* DFS with one preemption walks the idler's exit across every step up
     * to the budget: one execution ends as the idler exits. Only the
     * livelock may be found. */
    campaign("toy-livelock", dr_strategy_dfs(1), MAX_EXECS, 60, DR_FIND_LIVELOCK);
    campaign("toy-livelock", dr_strategy_random(3), 200, 37, DR_FIND_LIVELOCK);
    /* Budgets that end executions at every kind of point. */
    static const uint64_t budgets[] = {5, 9, 13, 0};
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        uint64_t bud = budgets[b];
        dr_finding_kind lim = bud ? DR_FIND_LIVELOCK : DR_FIND_NONE;
        campaign("toy-interleave", dr_strategy_random(7), 200, bud, lim);
        campaign("toy-interleave", dr_strategy_dfs(2), 200, bud, lim);
        campaign("toy-depth2", dr_strategy_pct(5, 3), 200, bud, bud ? DR_FIND__COUNT : DR_FIND_ASSERT);
        campaign("toy-abba", dr_strategy_random(11), 200, bud, bud ? DR_FIND__COUNT : DR_FIND_DEADLOCK);
        if (dr_catches_crashes())
            campaign("toy-null-deref", dr_strategy_random(17), 200, bud, bud ? DR_FIND__COUNT : DR_FIND_CRASH);
    }
    dr_engine_shutdown();
    TEST_DONE();
}
