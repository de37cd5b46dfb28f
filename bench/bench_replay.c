/* bench_replay.c: replay fidelity at scale. For each scenario, runs N
 * executions under the random strategy and replays each one's freshly
 * recorded tape at once, in the same process, between the campaign's other
 * executions, so any engine state one execution leaks into the next shows up
 * as a replay that diverges or gives another digest or finding.
 * Usage: bench_replay [executions-per-scenario] [seed] [step-budget] [scenario...]
 *        (default 100000, seed 1, the default step budget (0), every scenario)
 * A small step budget ends executions at arbitrary points (a livelock
 * finding), which is where leaked state used to hide.
 * Exit 0 when every replay reproduced its execution bit for bit, 1 otherwise. */
#include "dr/dr_engine.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static uint64_t replay_all(const dr_scenario *s, uint64_t n, uint64_t seed, uint64_t budget, uint64_t *findings)
{
    dr_run_config cfg = {.step_budget = budget};
    unsigned cpus = s->cpus;
    dr_strategy *st = dr_strategy_random(seed);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < n; i++) {
        dr_exec_result res, again;
        if (dr_run(s, &cfg, st, i, &res) != 0)
            exit(3);
        if (res.finding.kind != DR_FIND_NONE)
            ++*findings;
        dr_tape tape;
        dr_last_tape(&tape, s, cpus, DR_STRAT_RANDOM, seed, i, &res);
        dr_strategy *rp = dr_strategy_replay(&tape);
        char msg[256] = "";
        bool ok = dr_run(s, &cfg, rp, i, &again) == 0 && dr_replay_verify(rp, &again, msg, sizeof msg) &&
                  again.finding.kind == res.finding.kind &&
                  strcmp(again.finding.title, res.finding.title) == 0;
        if (!ok && bad++ < 3)
            fprintf(stderr, "%s: execution %" PRIu64 " did not replay: %s%s%s\n", s->name, i,
                    msg[0] ? msg : "another finding: ", msg[0] ? "" : again.finding.title, "");
        dr_strategy_destroy(rp);
        dr_tape_free(&tape);
    }
    dr_strategy_destroy(st);
    return bad;
}

/* A scenario whose expected finding ends or hangs the process (the fault
 * matrix's toys: abort(), a local loop, a stack overflow; or, in a sanitizer
 * build, any signal, which the runtime takes over) can only run under
 * dmarace's campaign supervisor; this program runs executions in-process. */
static bool needs_supervisor(const dr_scenario *s)
{
    return strncmp(s->name, "toy-fault-", 10) == 0 || strcmp(s->expect, "hang") == 0 ||
           (!dr_catches_crashes() && strcmp(s->expect, "crash") == 0);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    uint64_t budget = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
    if (n == 0) {
        fprintf(stderr, "bench_replay: executions must be a positive number\n");
        return 2;
    }
    uint64_t total = 0, bad = 0;
    size_t count = argc > 4 ? (size_t)(argc - 4) : dr_scenario_count();
    for (size_t k = 0; k < count; k++) {
        const dr_scenario *s = argc > 4 ? dr_scenario_find(argv[4 + k]) : dr_scenario_at(k);
        if (!s) {
            fprintf(stderr, "bench_replay: unknown scenario '%s'\n", argv[4 + k]);
            return 2;
        }
        if (needs_supervisor(s)) {
            printf("%-28s skipped: its fault ends the process in this build (dmarace run contains it)\n", s->name);
            continue;
        }
        uint64_t findings = 0;
        uint64_t b = replay_all(s, n, seed, budget, &findings);
        printf("%-28s %10" PRIu64 " executions  %10" PRIu64 " with a finding  %6" PRIu64 " divergences\n",
               s->name, n, findings, b);
        total += n;
        bad += b;
    }
    printf("total %" PRIu64 " executions replayed from fresh tapes, %" PRIu64 " divergences\n", total, bad);
    dr_engine_shutdown();
    return bad ? 1 : 0;
}
