/* km_test.h: support for the model's unit tests. A test defines a small
 * driver (DriverEntry, EvtIoRead, callbacks) and a dr_scenario whose setup
 * calls km_world_start and whose check calls km_world_check, then runs it
 * with a strategy and asserts on what was found. */
#ifndef KM_TEST_H
#define KM_TEST_H

#include "dr/dr_engine.h"
#include "km_env.h"

#include <stdio.h>
#include <string.h>

typedef struct km_test_result {
    long executions;
    long findings;       /* executions that ended with a finding */
    long clean;
    dr_finding first;    /* the first finding (kind NONE if none) */
    long first_exec;
    bool exhausted;      /* dfs: the bounded space was explored */
} km_test_result;

/* Run scenario s: strategy "random", "swarm", "pct" or "dfs" (dfs uses bound 2 unless
 * `bound` is set), up to max executions, stopping at the first finding if
 * stop_first. */
/* The built-in race detector in the runs below: off unless a test turns it
 * on. Model tests watch their drivers through plain global counters and
 * flags that callbacks on several processors share (test bookkeeping, racy
 * by design, as the TSan build's RACY_DRIVERS notes); test_lock.c turns it on
 * to test it against the model's edges. */
extern bool km_test_races;
km_test_result km_test_run(const dr_scenario *s, const char *strategy, long max, bool stop_first);
km_test_result km_test_run_dfs(const dr_scenario *s, unsigned bound, long max, bool stop_first);

/* The race window called `name` (dr_window): the executions that reached it
 * and those that declared it possible, since the last dr_windows_reset (0
 * when it never came up). */
uint64_t km_test_window_hits(const char *name);
uint64_t km_test_window_possible(const char *name);

/* Run with the random strategy (seed 1) until a finding that shows needle
 * (km_test_finding_is); that finding becomes r.first (other findings are
 * counted in r.findings). */
km_test_result km_test_find(const dr_scenario *s, long max, const char *needle);

/* True if the first finding's title contains needle. */
bool km_test_title_has(const km_test_result *r, const char *needle);
/* True if finding f shows needle as `run --expect=KIND:needle` would
 * (dr_expect_matches): a needle shaped like a rule id (V15, C11, QSTOP1) is
 * the finding's rule exactly, anything else a part of its title. */
bool km_test_finding_is(const dr_finding *f, const char *needle);

/* Assertion counting, as in harness/tests/dr_test.h. */
extern int km_t_pass, km_t_fail;
#define KCHECK(cond)                                                                                       \
    do {                                                                                                   \
        if (cond)                                                                                          \
            km_t_pass++;                                                                                   \
        else {                                                                                             \
            km_t_fail++;                                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                       \
        }                                                                                                  \
    } while (0)
/* Expect a finding whose kind is k and that shows needle: its rule, or a
 * part of its title (km_test_finding_is). */
#define KEXPECT_FINDING(r, k, needle)                                                                      \
    do {                                                                                                   \
        bool ok_ = (r).first.kind == (k) && km_test_finding_is(&(r).first, (needle));                      \
        if (ok_)                                                                                           \
            km_t_pass++;                                                                                   \
        else {                                                                                             \
            km_t_fail++;                                                                                   \
            fprintf(stderr, "%s:%d: expected [%s] \"%s\", got [%s] rule %s \"%s\" (%s)\n", __FILE__,       \
                    __LINE__, dr_finding_kind_name(k), (needle), dr_finding_kind_name((r).first.kind),     \
                    (r).first.rule, (r).first.title, (r).first.message);                                   \
        }                                                                                                  \
    } while (0)
#define KEXPECT_CLEAN(r)                                                                                   \
    do {                                                                                                   \
        if ((r).findings == 0)                                                                             \
            km_t_pass++;                                                                                   \
        else {                                                                                             \
            km_t_fail++;                                                                                   \
            fprintf(stderr, "%s:%d: expected clean, got [%s] \"%s\" (%s) in execution %ld\n", __FILE__,   \
                    __LINE__, dr_finding_kind_name((r).first.kind), (r).first.title, (r).first.message,    \
                    (r).first_exec);                                                                       \
        }                                                                                                  \
    } while (0)
int km_test_done(void); /* prints "N passed, N failed"; returns the exit code */

#endif
