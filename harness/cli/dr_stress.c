/* dr_stress.c: `dmarace stress`, real-thread mode (harness/src/dr_rt.c): every
 * simulated processor a pthread, the operating system interleaving them, no
 * tape. It is the stress-test baseline (and, built with TSan, the nightly
 * job's second mode); findings it reports are reproduced deterministically with
 * `dmarace run` in fiber mode. */
#include "dr_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct stress_distinct {
    dr_finding_kind kind;
    char rule[24];
    char title[160];
    char message[512];
    uint64_t count;
    uint64_t first_exec;
    double first_secs;
} stress_distinct;

enum { STRESS_MAX_DISTINCT = 64 };

/* "clean", a kind, kind:RULE or kind:part-of-the-title (dr_expect_matches). */
static bool stress_matches(const char *expect, const stress_distinct *d, size_t n)
{
    if (strcmp(expect, "clean") == 0)
        return n == 0;
    for (size_t i = 0; i < n; i++)
        if (dr_expect_matches(expect, d[i].kind, d[i].rule, d[i].title))
            return true;
    return false;
}

int dr_cmd_stress(int argc, char **argv)
{
    const dr_scenario *s = NULL;
    uint64_t seed = 1, executions = 0, cpus = 0;
    double seconds = 0, exec_limit = 10;
    bool stop_on_first = false, expect = false, quiet = false, seen = false;
    const char *expect_spec = NULL; /* --expect=SPEC: instead of the scenario's declared verdict */
    double seen_secs = 0;
    uint64_t seen_exec = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--seed") == 0) {
            if (!dr_cli_parse_u64(v, 0, UINT64_MAX, &seed))
                return dr_cli_usage_error("--seed needs a number");
            i++;
        } else if (strcmp(a, "--executions") == 0) {
            if (!dr_cli_parse_u64(v, 1, UINT64_MAX, &executions))
                return dr_cli_usage_error("--executions needs a positive number");
            i++;
        } else if (strcmp(a, "--time") == 0) {
            if (!dr_cli_parse_seconds(v, &seconds))
                return dr_cli_usage_error("--time needs a positive number of seconds");
            i++;
        } else if (strcmp(a, "--exec-limit") == 0) {
            if (!dr_cli_parse_seconds(v, &exec_limit))
                return dr_cli_usage_error("--exec-limit needs a positive number of seconds");
            i++;
        } else if (strcmp(a, "--cpus") == 0) {
            if (!dr_cli_parse_u64(v, 1, DR_MAX_CPUS, &cpus))
                return dr_cli_usage_error("--cpus needs a number from 1 to %d", DR_MAX_CPUS);
            i++;
        } else if (strcmp(a, "--stop-on-first") == 0) {
            stop_on_first = true;
        } else if (strcmp(a, "--expect") == 0) {
            expect = true;
        } else if (strncmp(a, "--expect=", 9) == 0) {
            if (!dr_expect_valid(a + 9))
                return dr_cli_expect_error(a + 9);
            expect = true;
            expect_spec = a + 9;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (a[0] == '-') {
            return dr_cli_usage_error("unknown stress option '%s'", a);
        } else if (!s) {
            s = dr_scenario_find(a);
            if (!s)
                return dr_cli_usage_error("unknown scenario '%s' (dmarace list shows them)", a);
        } else {
            return dr_cli_usage_error("stress takes one scenario");
        }
    }
    if (!s)
        s = dr_scenario_default();
    if (!s)
        return dr_cli_usage_error("no scenario given");
    const char *expected = expect_spec ? expect_spec : s->expect;
    if (!executions && !seconds)
        executions = s->budget ? s->budget : 10000;
    unsigned ncpus = cpus ? (unsigned)cpus : s->cpus;
    bool progress = !quiet && isatty(2);

    static stress_distinct d[STRESS_MAX_DISTINCT];
    size_t nd = 0;
    uint64_t total = 0, n = 0;
    double t0 = dr_cli_now(), elapsed = 0, last_progress = t0;
    int rc = DR_EXIT_CLEAN;
    for (;; n++) {
        if (executions && n >= executions)
            break;
        if (seconds && dr_cli_now() - t0 >= seconds)
            break;
        dr_exec_result res;
        if (dr_rt_run(s, ncpus, seed, n, exec_limit, &res) != 0) {
            rc = DR_EXIT_USAGE;
            break;
        }
        if (res.finding.kind != DR_FIND_NONE) {
            total++;
            size_t k = 0;
            while (k < nd && !(d[k].kind == res.finding.kind && strcmp(d[k].title, res.finding.title) == 0))
                k++;
            if (k == nd && nd < STRESS_MAX_DISTINCT) {
                d[nd].kind = res.finding.kind;
                memcpy(d[nd].rule, res.finding.rule, sizeof d[nd].rule);
                memcpy(d[nd].title, res.finding.title, sizeof d[nd].title);
                memcpy(d[nd].message, res.finding.message, sizeof d[nd].message);
                d[nd].first_exec = n;
                d[nd].first_secs = dr_cli_now() - t0;
                fprintf(stderr, "dmarace: stress finding %s: %s (execution %llu, %.3f s)\n",
                        dr_finding_kind_name(res.finding.kind), res.finding.message, (unsigned long long)n,
                        d[nd].first_secs);
                nd++;
            }
            if (k < nd)
                d[k].count++;
            /* --expect stops at the expected finding (its time is the row's time to first bug) */
            if (expect && !seen && strcmp(expected, "clean") != 0 && stress_matches(expected, d, nd)) {
                seen = true;
                seen_secs = dr_cli_now() - t0;
                seen_exec = n;
                n++;
                break;
            }
            if (stop_on_first) {
                n++;
                break;
            }
        }
        if (progress && dr_cli_now() - last_progress > 0.5) {
            last_progress = dr_cli_now();
            fprintf(stderr, "\r%llu executions, %zu distinct findings", (unsigned long long)n + 1, nd);
        }
    }
    elapsed = dr_cli_now() - t0;
    dr_rt_shutdown();
    if (progress)
        fputc('\n', stderr);
    if (rc != DR_EXIT_CLEAN)
        return rc;
    printf("scenario     %s (real threads: %u processors, seed %llu)\n", s->name, ncpus, (unsigned long long)seed);
    printf("executions   %llu in %.3f s (%.0f per second)\n", (unsigned long long)n, elapsed,
           elapsed > 0 ? (double)n / elapsed : 0.0);
    printf("findings     %llu in total, %zu distinct\n", (unsigned long long)total, nd);
    for (size_t k = 0; k < nd; k++) {
        char esc[4 * sizeof d[k].title];
        printf("  [%s] %s: %llu times, first in execution %llu after %.6f s\n", dr_finding_kind_name(d[k].kind),
               dr_text_esc(d[k].title, esc, sizeof esc), (unsigned long long)d[k].count, (unsigned long long)d[k].first_exec, d[k].first_secs);
    }
    if (nd) {
        char prog[4200];
        printf("replay       real-thread runs have no tape: reproduce with `%s run %s` (fiber mode)\n",
               dr_cli_shell_word(dr_cli_program(), prog, sizeof prog), s->name);
    }
    if (expect) {
        bool ok = stress_matches(expected, d, nd);
        if (seen)
            printf("expect       %s: seen in execution %llu after %.6f s\n", expected,
                   (unsigned long long)seen_exec, seen_secs);
        else
            printf("expect       %s: %s\n", expected, ok ? "seen" : "NOT seen");
        return ok ? DR_EXIT_CLEAN : DR_EXIT_FINDINGS;
    }
    return nd ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
}
