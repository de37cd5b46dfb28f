/* test_engine.c: the engine's rules and strategies, checked on toy programs:
 * determinism per strategy, exact DFS enumeration, random and PCT finding a
 * planted depth-2 bug, tape replay and divergence, the plain-C lost update,
 * deadlock, livelock, and the IRQL / DPC / spin lock / timer rules. */
#include "dr/dr_engine.h"
#include "dr_test.h"

#include <stdlib.h>
#include <string.h>

extern char toy_order[8];

static const dr_scenario *find(const char *name)
{
    const dr_scenario *s = dr_scenario_find(name);
    if (!s) {
        fprintf(stderr, "scenario %s missing\n", name);
        exit(2);
    }
    return s;
}

/* Run up to max executions; return the index of the first finding of `kind`
 * (or -1), and optionally its tape. */
static long first_finding(const dr_scenario *s, dr_strategy *st, long max, dr_finding_kind kind, dr_tape *tape,
                          uint64_t budget)
{
    dr_run_config cfg = {.step_budget = budget};
    for (long e = 0; e < max; e++) {
        dr_exec_result res;
        if (dr_run(s, &cfg, st, (uint64_t)e, &res) != 0)
            return -2;
        if (res.finding.kind == kind) {
            if (tape)
                dr_last_tape(tape, s, s->cpus, dr_strategy_get_kind(st), 0, (uint64_t)e, &res);
            return e;
        }
        if (!dr_strategy_next(st, &res))
            break;
    }
    return -1;
}

/* Digest sequence of n executions: equal for equal strategies. */
static uint64_t digest_of(const dr_scenario *s, dr_strategy *st, int n)
{
    uint64_t h = 0;
    dr_run_config cfg = {0};
    for (int e = 0; e < n; e++) {
        dr_exec_result res;
        dr_run(s, &cfg, st, (uint64_t)e, &res);
        h = h * 1000003u ^ res.digest;
        if (!dr_strategy_next(st, &res))
            break;
    }
    dr_strategy_destroy(st);
    return h;
}

static void test_determinism(void)
{
    const char *names[] = {"toy-depth2", "toy-abba", "test-dpc-rules",
#ifdef DR_DRIVER_ACCESS_POINTS
                           "toy-lost-update"
#endif
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const dr_scenario *s = find(names[i]);
        CHECK_EQ(digest_of(s, dr_strategy_random(5), 300), digest_of(s, dr_strategy_random(5), 300));
        CHECK(digest_of(s, dr_strategy_random(5), 300) != digest_of(s, dr_strategy_random(6), 300));
        CHECK_EQ(digest_of(s, dr_strategy_pct(5, 3), 300), digest_of(s, dr_strategy_pct(5, 3), 300));
        CHECK(digest_of(s, dr_strategy_pct(5, 3), 300) != digest_of(s, dr_strategy_pct(9, 3), 300));
        CHECK_EQ(digest_of(s, dr_strategy_dfs(2), 300), digest_of(s, dr_strategy_dfs(2), 300));
        static const uint8_t bytes[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4};
        CHECK_EQ(digest_of(s, dr_strategy_bytes(bytes, sizeof bytes), 1),
                 digest_of(s, dr_strategy_bytes(bytes, sizeof bytes), 1));
    }
}

/* Independent count: orders of AAABBB with at most k preemptions (a switch
 * away from a task that still has steps left). */
static int expected_interleavings(int k)
{
    int count = 0;
    for (int m = 0; m < 64; m++) {
        if (__builtin_popcount((unsigned)m) != 3)
            continue;
        int left[2] = {3, 3}, pre = 0, prev = -1;
        for (int i = 0; i < 6; i++) {
            int who = (m >> i) & 1;
            if (prev >= 0 && who != prev && left[prev] > 0)
                pre++;
            left[who]--;
            prev = who;
        }
        if (pre <= k)
            count++;
    }
    return count;
}

static void test_dfs_enumeration(void)
{
    const dr_scenario *s = find("toy-interleave");
    static const int known[] = {2, 6, 14, 18, 20, 20};
    for (unsigned bound = 0; bound <= 5; bound++) {
        CHECK_EQ(expected_interleavings((int)bound), known[bound]);
        dr_strategy *st = dr_strategy_dfs(bound);
        dr_run_config cfg = {0};
        char seen[64][8];
        int n = 0;
        bool distinct = true;
        for (;;) {
            dr_exec_result res;
            dr_run(s, &cfg, st, (uint64_t)n, &res);
            CHECK(res.finding.kind == DR_FIND_NONE);
            CHECK(res.preemptions <= bound);
            if (n < 64) {
                for (int j = 0; j < n; j++)
                    if (memcmp(seen[j], toy_order, 6) == 0)
                        distinct = false;
                memcpy(seen[n], toy_order, 8);
            }
            n++;
            if (!dr_strategy_next(st, &res) || n > 1000)
                break;
        }
        CHECK(dr_strategy_dfs_exhausted(st));
        CHECK_EQ(n, known[bound]);
        CHECK(distinct);
        dr_strategy_destroy(st);
    }
}

static void test_depth2_and_replay(void)
{
    const dr_scenario *s = find("toy-depth2");
    dr_tape tape;
    dr_strategy *rnd = dr_strategy_random(1);
    long r = first_finding(s, rnd, 20000, DR_FIND_ASSERT, &tape, 0);
    dr_strategy_destroy(rnd);
    printf("random found the depth-2 bug at execution %ld\n", r);
    CHECK(r >= 0);
    dr_strategy *pct = dr_strategy_pct(1, 2);
    long p = first_finding(s, pct, 20000, DR_FIND_ASSERT, NULL, 0);
    dr_strategy_destroy(pct);
    printf("pct(d=2) found the depth-2 bug at execution %ld\n", p);
    CHECK(p >= 0);
    /* The engine must not report it without the interleaving: no preemption. */
    dr_strategy *none = dr_strategy_bytes((const uint8_t *)"", 0);
    CHECK(first_finding(s, none, 1, DR_FIND_ASSERT, NULL, 0) == -1);
    dr_strategy_destroy(none);
    if (r < 0)
        return;

    /* Save, load and replay the failing tape: same finding, same digest. */
    char err[512];
    const char *path = "test_engine_depth2.tape";
    CHECK(dr_tape_save(path, &tape, err, sizeof err) == 0);
    dr_tape loaded;
    CHECK(dr_tape_load(path, &loaded, err, sizeof err) == 0);
    remove(path);
    for (int rep = 0; rep < 3; rep++) {
        dr_strategy *rp = dr_strategy_replay(&loaded);
        dr_run_config cfg = {.trace = rep == 0};
        dr_exec_result res;
        CHECK(dr_run(s, &cfg, rp, loaded.exec_index, &res) == 0);
        char why[512];
        CHECK(dr_replay_verify(rp, &res, why, sizeof why));
        CHECK(res.finding.kind == DR_FIND_ASSERT);
        CHECK(strcmp(res.finding.title, loaded.title) == 0);
        CHECK_EQ(res.digest, loaded.trace_digest);
        dr_strategy_destroy(rp);
    }

    /* Divergence: a changed choice count, a missing choice, an extra choice,
     * and a different trace are each reported, with the step. */
    dr_tape bad = loaded;
    bad.rec = malloc((loaded.nrec + 1) * sizeof *bad.rec);
    memcpy(bad.rec, loaded.rec, loaded.nrec * sizeof *bad.rec);
    struct {
        const char *what;
        const char *expect;
    } cases[] = {{"n", "diverged at step"}, {"short", "tape holds only"}, {"long", "ended after"},
                 {"digest", "different trace"}};
    for (size_t c = 0; c < 4; c++) {
        memcpy(bad.rec, loaded.rec, loaded.nrec * sizeof *bad.rec);
        bad.nrec = loaded.nrec;
        bad.trace_digest = loaded.trace_digest;
        if (c == 0)
            bad.rec[loaded.nrec / 2].n += 1;
        else if (c == 1)
            bad.nrec = loaded.nrec - 1;
        else if (c == 2)
            bad.rec[bad.nrec++] = (dr_tape_rec){DR_CHOICE_SCHED, 2, 1};
        else
            bad.trace_digest ^= 1;
        dr_strategy *rp = dr_strategy_replay(&bad);
        dr_run_config cfg = {0};
        dr_exec_result res;
        dr_run(s, &cfg, rp, 0, &res);
        char why[512];
        CHECK(!dr_replay_verify(rp, &res, why, sizeof why));
        CHECK(strstr(why, cases[c].expect) != NULL);
        if (!strstr(why, cases[c].expect))
            fprintf(stderr, "case %s: %s\n", cases[c].what, why);
        dr_strategy_destroy(rp);
    }
    free(bad.rec);
    dr_tape_free(&loaded);
    dr_tape_free(&tape);
}

static void test_lost_update(void)
{
#ifndef DR_DRIVER_ACCESS_POINTS
    printf("driver accesses are not scheduling points in this (non-clang) build: lost-update test skipped\n");
    return;
#endif
    const dr_scenario *s = find("toy-lost-update");
    bool detector = dr_race_detector();
    /* The built-in race detector reports the unlocked increment as a data
     * race (both increments' accesses are the same site), and its tape
     * replays to the same race. */
    dr_set_race_detector(true);
    {
        dr_strategy *r0 = dr_strategy_random(3);
        dr_tape rt;
        long e = first_finding(s, r0, 10000, DR_FIND_DATA_RACE, &rt, 0);
        CHECK(e >= 0);
        if (e >= 0) {
            CHECK(strncmp(rt.title, "data race: ", 11) == 0);
            CHECK(rt.races == DR_RACES_MS);
            dr_strategy *rp = dr_strategy_replay(&rt);
            dr_run_config cfg = {0};
            dr_exec_result res;
            dr_run(s, &cfg, rp, rt.exec_index, &res);
            char why[512];
            CHECK(dr_replay_verify(rp, &res, why, sizeof why));
            CHECK(res.finding.kind == DR_FIND_DATA_RACE && strcmp(res.finding.title, rt.title) == 0);
            dr_strategy_destroy(rp);
            dr_tape_free(&rt);
        }
        dr_strategy_destroy(r0);
    }
    /* The lost update itself is what a schedule does: the detector off. */
    dr_set_race_detector(false);
    dr_strategy *st[] = {dr_strategy_random(3), dr_strategy_pct(3, 2), dr_strategy_dfs(1)};
    for (int i = 0; i < 3; i++) {
        dr_tape tape;
        long e = first_finding(s, st[i], 10000, DR_FIND_CHECK, &tape, 0);
        printf("%s found the lost update at execution %ld\n", i == 0 ? "random" : i == 1 ? "pct" : "dfs", e);
        CHECK(e >= 0);
        if (e >= 0) {
            /* The same choices as fuzzer bytes reproduce it (every n here is < 256). */
            uint8_t bytes[256];
            size_t nb = tape.nrec < sizeof bytes ? tape.nrec : sizeof bytes;
            for (size_t k = 0; k < nb; k++)
                bytes[k] = (uint8_t)tape.rec[k].value;
            dr_strategy *b = dr_strategy_bytes(bytes, nb);
            CHECK(first_finding(s, b, 1, DR_FIND_CHECK, NULL, 0) == 0);
            dr_strategy_destroy(b);
            dr_tape_free(&tape);
        }
        dr_strategy_destroy(st[i]);
    }
    /* With no preemption the increments do not overlap. */
    dr_strategy *dfs0 = dr_strategy_dfs(0);
    CHECK(first_finding(s, dfs0, 100, DR_FIND_CHECK, NULL, 0) == -1);
    dr_strategy_destroy(dfs0);
    dr_set_race_detector(detector);
}

static void test_crash(void)
{
    if (!dr_catches_crashes()) {
        printf("crash catching is off in sanitizer builds: skipped\n");
        return;
    }
    const dr_scenario *s = find("toy-null-deref");
    dr_strategy *st = dr_strategy_random(1);
    dr_run_config cfg = {0};
    int crashes = 0, clean = 0;
    dr_tape tape;
    bool have = false;
    for (int e = 0; e < 2000; e++) {
        dr_exec_result res;
        dr_run(s, &cfg, st, (uint64_t)e, &res);
        if (res.finding.kind == DR_FIND_CRASH) {
            crashes++;
            if (!have) {
                dr_last_tape(&tape, s, s->cpus, DR_STRAT_RANDOM, 1, (uint64_t)e, &res);
                have = true;
            }
        } else if (res.finding.kind == DR_FIND_NONE) {
            clean++;
        }
    }
    printf("toy-null-deref: %d crashes caught, %d clean executions, campaign alive\n", crashes, clean);
    CHECK(crashes > 0);
    CHECK(clean > 0);
    dr_strategy_destroy(st);
    if (have) {
        dr_strategy *rp = dr_strategy_replay(&tape);
        dr_exec_result res;
        dr_run(s, &cfg, rp, tape.exec_index, &res);
        char why[512];
        CHECK(dr_replay_verify(rp, &res, why, sizeof why));
        CHECK(res.finding.kind == DR_FIND_CRASH);
        dr_strategy_destroy(rp);
        dr_tape_free(&tape);
    }
}

static void test_deadlock_livelock(void)
{
    dr_strategy *r = dr_strategy_random(2);
    CHECK(first_finding(find("toy-abba"), r, 10000, DR_FIND_DEADLOCK, NULL, 0) >= 0);
    dr_strategy_destroy(r);
    r = dr_strategy_random(2);
    CHECK(first_finding(find("toy-livelock"), r, 10, DR_FIND_LIVELOCK, NULL, 1000) == 0);
    dr_strategy_destroy(r);
}

/* ---- engine rules on purpose-built programs ------------------------------------- */

DR_SITE(t_site, "test-step");
static int dpc_active_p0, dpc_runs, local_dpc_ran, in_cs;
static dr_dpc remote_dpc, local_dpc;
static dr_spinlock cs_lock;

static void remote_dpc_fn(void *arg)
{
    (void)arg;
    if (dr_irql() != DR_DISPATCH_LEVEL || dr_current_cpu() != 0)
        dr_fail(DR_FIND_ASSERT, "DPC not at DISPATCH on P0", "irql %u cpu %u", dr_irql(), dr_current_cpu());
    dpc_active_p0 = 1;
    for (int i = 0; i < 3; i++)
        dr_yield(&t_site);
    dpc_active_p0 = 0;
    dpc_runs++;
}

static void local_dpc_fn(void *arg)
{
    (void)arg;
    local_dpc_ran = 1;
}

static void p0_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++) {
        dr_yield(&t_site);
        if (dpc_active_p0)
            dr_fail(DR_FIND_ASSERT, "passive thread ran while a DPC held its processor", "step %d", i);
        if (dr_irql() != DR_PASSIVE_LEVEL)
            dr_fail(DR_FIND_ASSERT, "thread not at PASSIVE", "irql %u", dr_irql());
    }
    /* A DPC queued to this processor below DISPATCH runs before Queue returns. */
    local_dpc_ran = 0;
    dr_dpc_queue(&local_dpc, 0);
    if (!local_dpc_ran)
        dr_fail(DR_FIND_ASSERT, "local DPC did not run at once", "-");
}

static void cs_thread(void *arg)
{
    (void)arg;
    unsigned old = dr_spin_acquire(&cs_lock);
    if (dr_irql() != DR_DISPATCH_LEVEL)
        dr_fail(DR_FIND_ASSERT, "spin lock did not raise IRQL", "irql %u", dr_irql());
    if (in_cs++)
        dr_fail(DR_FIND_ASSERT, "two processors inside one spin lock", "-");
    dr_yield(&t_site);
    dr_yield(&t_site);
    in_cs--;
    dr_spin_release(&cs_lock, old);
    if (dr_irql() != old)
        dr_fail(DR_FIND_ASSERT, "spin lock release did not restore IRQL", "irql %u", dr_irql());
}

static void rules_setup(void)
{
    dpc_active_p0 = dpc_runs = local_dpc_ran = in_cs = 0;
    dr_dpc_init(&remote_dpc, remote_dpc_fn, NULL, "remote-dpc");
    dr_dpc_init(&local_dpc, local_dpc_fn, NULL, "local-dpc");
    dr_spinlock_init(&cs_lock, "cs");
    dr_thread_create(0, p0_thread, NULL, "p0");
    dr_thread_create(1, cs_thread, NULL, "cs1");
    dr_thread_create(2, cs_thread, NULL, "cs2");
    dr_dpc_queue(&remote_dpc, 0);
}

static void rules_check(void)
{
    if (dpc_runs != 1)
        dr_fail(DR_FIND_CHECK, "remote DPC did not run exactly once", "%d runs", dpc_runs);
}

static const dr_scenario rules = {"test-dpc-rules", "engine rules", "clean", 3, 3, 1, rules_setup, rules_check, NULL, 0};
DR_SCENARIO(rules)

static void test_rules(void)
{
    const dr_scenario *s = find("test-dpc-rules");
    dr_strategy *st = dr_strategy_dfs(2);
    long e = first_finding(s, st, 200000, DR_FIND_ASSERT, NULL, 0);
    CHECK(e == -1);
    CHECK(dr_strategy_dfs_exhausted(st));
    dr_strategy_destroy(st);
    st = dr_strategy_random(11);
    dr_run_config cfg = {0};
    int clean = 0;
    for (int i = 0; i < 3000; i++) {
        dr_exec_result res;
        dr_run(s, &cfg, st, (uint64_t)i, &res);
        clean += res.finding.kind == DR_FIND_NONE;
    }
    CHECK_EQ(clean, 3000);
    dr_strategy_destroy(st);
}

/* Timers fire in due order on the virtual clock; an armed event fires once. */
static uint64_t fired_at[3];
static int nfired, ev_fired;
static dr_vtimer tm_a, tm_b;
static dr_event ev;

static void on_timer(void *arg)
{
    fired_at[nfired++] = dr_now() * 10 + (uint64_t)(uintptr_t)arg;
}

static void on_event(void *arg)
{
    (void)arg;
    ev_fired++;
    if (dr_event_armed(&ev))
        dr_fail(DR_FIND_ASSERT, "event still armed in its handler", "-");
}

static bool event_seen(const void *arg)
{
    (void)arg;
    return ev_fired > 0;
}

static bool event_seen_twice(const void *arg)
{
    (void)arg;
    return ev_fired > 1;
}

static void timer_thread(void *arg)
{
    (void)arg;
    dr_vtimer_set(&tm_a, 20);
    dr_vtimer_set(&tm_b, 10);
    dr_event_arm(&ev);
    dr_yield(&t_site);
    dr_wait(event_seen, NULL, &t_site);
    /* A fired event can be armed again, and fires again. */
    dr_event_arm(&ev);
    dr_wait(event_seen_twice, NULL, &t_site);
}

static void timer_setup(void)
{
    nfired = ev_fired = 0;
    dr_vtimer_init(&tm_a, on_timer, (void *)1, "a");
    dr_vtimer_init(&tm_b, on_timer, (void *)2, "b");
    dr_event_init(&ev, on_event, NULL, "ev");
    dr_thread_create(0, timer_thread, NULL, "timers");
}

static void timer_check(void)
{
    if (nfired != 2 || fired_at[0] != 102 || fired_at[1] != 201 || ev_fired != 2 || dr_now() != 20)
        dr_fail(DR_FIND_CHECK, "timer order", "nfired %d first %llu second %llu ev %d now %llu", nfired,
                (unsigned long long)fired_at[0], (unsigned long long)fired_at[1], ev_fired,
                (unsigned long long)dr_now());
}

static const dr_scenario timers = {"test-timers", "engine timers", "clean", 1, 1, 1, timer_setup, timer_check, NULL, 0};
DR_SCENARIO(timers)

static void test_timers(void)
{
    const dr_scenario *s = find("test-timers");
    dr_strategy *st = dr_strategy_dfs(10);
    dr_run_config cfg = {0};
    int n = 0, clean = 0;
    for (;;) {
        dr_exec_result res;
        dr_run(s, &cfg, st, (uint64_t)n, &res);
        n++;
        clean += res.finding.kind == DR_FIND_NONE;
        if (res.finding.kind != DR_FIND_NONE)
            fprintf(stderr, "timers: %s\n", res.finding.message);
        if (!dr_strategy_next(st, &res) || n > 10000)
            break;
    }
    CHECK(n > 1);
    CHECK_EQ(clean, n);
    dr_strategy_destroy(st);
}

/* Schedules by meaning: a traced run records its decisions by meaning;
 * following them (in an untraced run, with no tape choices given) gives the
 * same execution, digest and finding. A decision whose point no run reaches
 * leaves the schedule lost at it; a data decision whose value no longer fits
 * is taken with the default and counted. */
static void test_follow(void)
{
    static const char *const names[] = {"toy-lost-update", "toy-depth2", "toy-interleave", "toy-abba",
                                        "toy-volatile-flag"};
    size_t followed = 0, with_decisions = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const dr_scenario *s = find(names[k]);
        dr_strategy *rnd = dr_strategy_random(11 + k);
        for (uint64_t e = 0; e < 40; e++) {
            dr_run_config traced = {.trace = true};
            dr_exec_result res;
            CHECK(dr_run(s, &traced, rnd, e, &res) == 0);
            dr_tape t;
            dr_last_tape(&t, s, s->cpus, DR_STRAT_RANDOM, 11 + k, e, &res);
            CHECK(dr_last_intent(&t) == 0);
            CHECK(t.has_intent);
            /* every decision off the default is kept, nothing else */
            size_t off_default = 0;
            for (size_t i = 0; i < t.nrec; i++)
                off_default += t.rec[i].value != 0;
            CHECK(t.nintent >= off_default);
            CHECK(t.nintent <= t.nrec);
            for (size_t i = 0; i < t.nintent; i++)
                CHECK(t.intent[i].choice < t.nrec && t.intent[i].occ >= 1);
            dr_strategy *f = dr_strategy_follow(&t, SIZE_MAX, NULL);
            dr_run_config plain = {0};
            dr_exec_result fr;
            CHECK(dr_run(s, &plain, f, e, &fr) == 0);
            CHECK_EQ(fr.digest, res.digest);
            CHECK_EQ(fr.finding.kind, res.finding.kind);
            CHECK(strcmp(fr.finding.title, res.finding.title) == 0);
            dr_follow_status st;
            dr_follow_get(f, &st);
            CHECK_EQ(st.taken, t.nintent);
            CHECK_EQ(st.total, t.nintent);
            CHECK_EQ(st.unplayable, 0);
            CHECK_EQ(st.loose, 0);
            followed++;
            with_decisions += t.nintent > 0;
            dr_strategy_destroy(f);

            if (t.nintent && t.intent[0].kind == DR_CHOICE_SCHED) {
                /* the first decision's point renamed: never reached, and
                 * no looser match either (no site has that name) */
                t.intent[0].site = "no-such-point";
                f = dr_strategy_follow(&t, SIZE_MAX, NULL);
                CHECK(dr_run(s, &plain, f, e, &fr) == 0);
                dr_follow_get(f, &st);
                CHECK_EQ(st.taken, 0);
                CHECK(dr_follow_loosen(f, 0));
                CHECK(dr_follow_loosen(f, 0));
                CHECK(!dr_follow_loosen(f, 0)); /* as loose as it gets */
                CHECK(dr_run(s, &plain, f, e, &fr) == 0);
                dr_follow_get(f, &st);
                CHECK_EQ(st.taken, 0);
                dr_strategy_destroy(f);
            }
            dr_tape_free(&t);
            if (!dr_strategy_next(rnd, &res))
                break;
        }
        dr_strategy_destroy(rnd);
    }
    CHECK(followed == 5 * 40);
    CHECK(with_decisions > 100); /* the schedules were not all "never preempt" */

    /* An untraced run records nothing: there is nothing to add to a tape. */
    {
        const dr_scenario *s = find("toy-depth2");
        dr_strategy *rnd = dr_strategy_random(3);
        dr_run_config plain = {0};
        dr_exec_result res;
        CHECK(dr_run(s, &plain, rnd, 0, &res) == 0);
        dr_tape t;
        dr_last_tape(&t, s, s->cpus, DR_STRAT_RANDOM, 3, 0, &res);
        CHECK(dr_last_intent(&t) == -1);
        CHECK(!t.has_intent);
        dr_tape_free(&t);
        dr_strategy_destroy(rnd);
    }
}

int main(void)
{
    test_follow();
    test_determinism();
    test_dfs_enumeration();
    test_depth2_and_replay();
    test_lost_update();
    test_deadlock_livelock();
    test_crash();
    test_rules();
    test_timers();
    dr_engine_shutdown();
    TEST_DONE();
}
