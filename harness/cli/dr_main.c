/* dr_main.c: the dmarace command line: list, run (a campaign), replay.
 * Exit codes: 0 clean, 1 findings, 2 usage or input error, 3 internal error. */
#include "dr/dr_engine.h"

#include "../src/dr_hash.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: dmarace <command> [options]\n"
    "\n"
    "commands:\n"
    "  list                       one line per scenario: name, expected verdict, summary\n"
    "  run [SCENARIO] [options]   a campaign (default scenario: %s)\n"
    "  replay TAPE [--trace]      re-execute a saved tape in this process and print what it found\n"
    "  version                    version and build flavour (tapes replay only in their own flavour)\n"
    "  help                       this text\n"
    "\n"
    "run options:\n"
    "  --strategy random|pct|dfs|tape   how choices are made (default random)\n"
    "  --seed N            campaign seed (default 1)\n"
    "  --executions N      executions to run (default 10000; dfs stops earlier when exhausted)\n"
    "  --depth D           PCT depth (default 3)\n"
    "  --bound B           DFS preemption bound (default 2)\n"
    "  --cpus N            simulated processors (default: the scenario's)\n"
    "  --step-budget N     steps before an execution is a livelock (default 100000)\n"
    "  --input FILE        tape strategy: the bytes to read choices from\n"
    "  --findings DIR      where each distinct finding's tape and report go (default findings)\n"
    "  --stop-on-first     stop at the first finding\n"
    "  --from K            random: start at execution K (the same in every campaign with this seed)\n"
    "  --trace             print the trace of every execution\n"
    "  --expect            exit 0 if the verdict is the scenario's expected one, 1 if not\n"
    "                      (default executions: the scenario's budget)\n"
    "  --quiet             no progress line\n"
    "\n"
    "exit codes: 0 clean, 1 findings (or, with --expect, an unexpected verdict),\n"
    "            2 usage or input error, 3 internal error\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dmarace: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see dmarace help)\n", stderr);
    va_end(ap);
    return DR_EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmd_list(void)
{
    for (size_t i = 0; i < dr_scenario_count(); i++) {
        const dr_scenario *s = dr_scenario_at(i);
        printf("%-28s cpus=%u  expect=%-10s %s\n", s->name, s->cpus, s->expect, s->summary);
    }
    return DR_EXIT_CLEAN;
}

/* ---- run ------------------------------------------------------------------------- */

typedef struct {
    dr_finding_kind kind;
    char title[160];
    uint64_t key;
    uint64_t count;
    uint64_t first_exec;
    char path[512];
} distinct;

static uint64_t finding_key(const dr_finding *f) { return dr_fmix(dr_fnv1a_str(f->title) ^ (uint64_t)f->kind); }

static bool read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
        if (n == cap) {
            if (cap >= (64u << 20)) {
                break;
            }
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    bool ok = b && !ferror(f);
    fclose(f);
    if (!ok) {
        free(b);
        return false;
    }
    *buf = b;
    *len = n;
    return true;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int save_finding(const char *dir, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind,
                        uint64_t seed, uint64_t exec, const dr_exec_result *res, distinct *d)
{
    if (make_dirs(dir) != 0) {
        fprintf(stderr, "dmarace: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(d->path, sizeof d->path, "%s/%s-%s-%016" PRIx64 ".tape", dir, s->name,
             dr_finding_kind_name(res->finding.kind), d->key);
    dr_tape t;
    dr_last_tape(&t, s, cpus, kind, seed, exec, res);
    char err[512];
    int rc = dr_tape_save(d->path, &t, err, sizeof err);
    dr_tape_free(&t);
    if (rc != 0) {
        fprintf(stderr, "dmarace: %s\n", err);
        return -1;
    }
    return 0;
}

/* "clean", a kind, or kind:part-of-the-title. */
static bool verdict_matches(const dr_scenario *s, size_t ndistinct, const distinct *d)
{
    if (strcmp(s->expect, "clean") == 0)
        return ndistinct == 0;
    const char *colon = strchr(s->expect, ':');
    size_t klen = colon ? (size_t)(colon - s->expect) : strlen(s->expect);
    for (size_t i = 0; i < ndistinct; i++) {
        const char *kind = dr_finding_kind_name(d[i].kind);
        if (strlen(kind) == klen && strncmp(kind, s->expect, klen) == 0 && (!colon || strstr(d[i].title, colon + 1)))
            return true;
    }
    return false;
}

static int cmd_run(int argc, char **argv)
{
    const char *scn_name = NULL, *findings_dir = "findings", *input = NULL;
    dr_strategy_kind kind = DR_STRAT_RANDOM;
    uint64_t seed = 1, executions = 10000, depth = 3, bound = 2, cpus = 0, budget = 0, from = 0;
    bool stop_first = false, expect = false, quiet = false, executions_set = false, trace = false;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
#define OPT(name) (strcmp(a, name) == 0 && (i + 1 < argc ? (val = argv[++i], true) : (val = NULL, true)))
        if (a[0] != '-') {
            if (scn_name)
                return usage_error("unexpected argument '%s'", a);
            scn_name = a;
        } else if (strcmp(a, "--stop-on-first") == 0) {
            stop_first = true;
        } else if (strcmp(a, "--expect") == 0) {
            expect = true;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--trace") == 0) {
            trace = true;
        } else if (OPT("--from")) {
            if (!parse_u64(val, 0, UINT64_MAX / 2, &from))
                return usage_error("--from takes a whole number, not '%s'", val ? val : "");
        } else if (OPT("--strategy")) {
            if (!val || !dr_strategy_kind_parse(val, &kind) || kind == DR_STRAT_REPLAY)
                return usage_error("--strategy takes random, pct, dfs or tape, not '%s'", val ? val : "");
        } else if (OPT("--seed")) {
            if (!parse_u64(val, 0, UINT64_MAX, &seed))
                return usage_error("--seed takes a whole number, not '%s'", val ? val : "");
        } else if (OPT("--executions")) {
            if (!parse_u64(val, 1, UINT64_MAX, &executions))
                return usage_error("--executions takes a whole number >= 1, not '%s'", val ? val : "");
            executions_set = true;
        } else if (OPT("--depth")) {
            if (!parse_u64(val, 1, 16, &depth))
                return usage_error("--depth takes 1 to 16, not '%s'", val ? val : "");
        } else if (OPT("--bound")) {
            if (!parse_u64(val, 0, 64, &bound))
                return usage_error("--bound takes 0 to 64, not '%s'", val ? val : "");
        } else if (OPT("--cpus")) {
            if (!parse_u64(val, 1, DR_MAX_CPUS, &cpus))
                return usage_error("--cpus takes 1 to %d, not '%s'", DR_MAX_CPUS, val ? val : "");
        } else if (OPT("--step-budget")) {
            if (!parse_u64(val, 1, UINT64_MAX, &budget))
                return usage_error("--step-budget takes a whole number >= 1, not '%s'", val ? val : "");
        } else if (OPT("--findings")) {
            if (!val || !*val)
                return usage_error("--findings takes a directory");
            findings_dir = val;
        } else if (OPT("--input")) {
            if (!val || !*val)
                return usage_error("--input takes a file");
            input = val;
        } else {
            return usage_error("unknown option '%s'", a);
        }
#undef OPT
    }
    const dr_scenario *s = scn_name ? dr_scenario_find(scn_name) : dr_scenario_default();
    if (!s)
        return usage_error("unknown scenario '%s' (dmarace list shows them)", scn_name ? scn_name : "(default)");
    unsigned ncpu = cpus ? (unsigned)cpus : s->cpus;
    if (s->max_cpus && ncpu > s->max_cpus)
        return usage_error("scenario %s runs on at most %u processors", s->name, s->max_cpus);
    if (expect && !executions_set && s->budget && kind != DR_STRAT_DFS)
        executions = s->budget; /* dfs runs until the bounded space is exhausted */
    if (kind == DR_STRAT_TAPE && !input)
        return usage_error("--strategy tape needs --input FILE");
    if (input && kind != DR_STRAT_TAPE)
        return usage_error("--input goes with --strategy tape");

    uint8_t *bytes = NULL;
    size_t nbytes = 0;
    dr_strategy *strat = NULL;
    switch (kind) {
    case DR_STRAT_RANDOM:
        strat = dr_strategy_random(seed);
        break;
    case DR_STRAT_PCT:
        strat = dr_strategy_pct(seed, (unsigned)depth);
        break;
    case DR_STRAT_DFS:
        strat = dr_strategy_dfs((unsigned)bound);
        if (!executions_set)
            executions = UINT64_MAX;
        break;
    case DR_STRAT_TAPE:
        if (!read_file(input, &bytes, &nbytes)) {
            fprintf(stderr, "dmarace: cannot read %s: %s\n", input, strerror(errno ? errno : EIO));
            return DR_EXIT_USAGE;
        }
        strat = dr_strategy_bytes(bytes, nbytes);
        executions = 1;
        break;
    case DR_STRAT_REPLAY:
    case DR_STRAT__COUNT:
        break;
    }
    if (!strat) {
        free(bytes);
        fprintf(stderr, "dmarace: out of memory\n");
        return DR_EXIT_INTERNAL;
    }

    if (from && kind != DR_STRAT_RANDOM)
        return usage_error("--from goes with the random strategy (its executions depend only on seed and index)");
    dr_run_config cfg = {.cpus = ncpu, .step_budget = budget, .trace = trace};
    distinct found[64];
    size_t nfound = 0;
    uint64_t total_findings = 0, done = 0, digest = 0x6a09e667f3bcc908ull, steps = 0;
    bool progress = !quiet && isatty(2);
    double t0 = now_s(), last = t0;
    int rc = DR_EXIT_CLEAN;
    dr_windows_reset();
    for (uint64_t e = from; e < from + executions; e++) {
        dr_exec_result res;
        if (dr_run(s, &cfg, strat, e, &res) != 0) {
            rc = DR_EXIT_USAGE;
            break;
        }
        done++;
        steps += res.steps;
        if (trace) {
            printf("execution %" PRIu64 ":\n", e);
            dr_trace_print(stdout);
        }
        digest = dr_mix(digest, res.digest);
        if (res.diverged) {
            fprintf(stderr, "dmarace: %s\n", res.diverge_msg);
            rc = DR_EXIT_INTERNAL;
            break;
        }
        if (res.finding.kind != DR_FIND_NONE) {
            total_findings++;
            uint64_t key = finding_key(&res.finding);
            size_t i;
            for (i = 0; i < nfound && found[i].key != key; i++)
                ;
            if (i == nfound && nfound < sizeof found / sizeof found[0]) {
                distinct *d = &found[nfound++];
                memset(d, 0, sizeof *d);
                d->kind = res.finding.kind;
                snprintf(d->title, sizeof d->title, "%s", res.finding.title);
                d->key = key;
                d->first_exec = e;
                if (save_finding(findings_dir, s, ncpu, kind, seed, e, &res, d) != 0)
                    rc = DR_EXIT_INTERNAL;
                fprintf(stderr, "%sdmarace: finding %s: %s (execution %" PRIu64 ", step %" PRIu64 ")\n",
                        progress ? "\r\033[K" : "", dr_finding_kind_name(d->kind), res.finding.message, e,
                        res.finding.step);
            }
            if (i < nfound)
                found[i].count++;
            if (stop_first)
                break;
        }
        if (!dr_strategy_next(strat, &res))
            break;
        if (progress && (e & 1023) == 0) {
            double t = now_s();
            if (t - last > 0.5) {
                fprintf(stderr, "\r\033[K%" PRIu64 " executions, %.0f/s, %zu distinct findings, %.1fs", done,
                        (double)done / (t - t0), nfound, t - t0);
                last = t;
            }
        }
    }
    double elapsed = now_s() - t0;
    if (progress)
        fputs("\r\033[K", stderr);

    printf("scenario     %s (%u processors)\n", s->name, ncpu);
    printf("strategy     %s", dr_strategy_kind_name(kind));
    if (kind == DR_STRAT_PCT)
        printf(" depth %" PRIu64, depth);
    if (kind == DR_STRAT_DFS)
        printf(" preemption bound %" PRIu64, bound);
    if (kind == DR_STRAT_RANDOM || kind == DR_STRAT_PCT)
        printf(" seed %" PRIu64, seed);
    printf("\n");
    printf("executions   %" PRIu64 " in %.*f s (%.0f per second, %.1f steps each)\n", done, elapsed < 1 ? 6 : 3, elapsed,
           elapsed > 0 ? (double)done / elapsed : 0.0, done ? (double)steps / (double)done : 0.0);
    if (kind == DR_STRAT_DFS)
        printf("search       %s\n", dr_strategy_dfs_exhausted(strat)
                                        ? "bounded space exhausted"
                                        : "stopped before the bounded space was exhausted");
    printf("findings     %" PRIu64 " in total, %zu distinct\n", total_findings, nfound);
    for (size_t i = 0; i < nfound; i++) {
        printf("  [%s] %s: %" PRIu64 " times, first in execution %" PRIu64 "\n", dr_finding_kind_name(found[i].kind),
               found[i].title, found[i].count, found[i].first_exec);
        printf("      replay: dmarace replay %s\n", found[i].path);
    }
    for (size_t i = 0; i < dr_window_count(); i++)
        printf("window       %s reached in %" PRIu64 " executions\n", dr_window_name(i), dr_window_hits(i));
    printf("digest       %016" PRIx64 "\n", dr_fmix(digest));

    bool exhausted = dr_strategy_dfs_exhausted(strat);
    dr_strategy_destroy(strat);
    free(bytes);
    if (rc != DR_EXIT_CLEAN)
        return rc;
    if (expect) {
        bool ok = verdict_matches(s, nfound, found);
        /* "clean" under dfs is a claim about the whole bounded space. */
        bool unexplored = kind == DR_STRAT_DFS && nfound == 0 && !exhausted;
        if (unexplored)
            ok = false;
        printf("verdict      %s (expected %s%s)\n", ok ? "as expected" : "NOT as expected", s->expect,
               unexplored ? ", and the bounded space was not exhausted" : "");
        return ok ? DR_EXIT_CLEAN : DR_EXIT_FINDINGS;
    }
    return nfound ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
}

/* ---- replay ----------------------------------------------------------------------- */

static int cmd_replay(int argc, char **argv)
{
    const char *path = NULL;
    bool trace = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--trace") == 0)
            trace = true;
        else if (argv[i][0] == '-')
            return usage_error("unknown option '%s'", argv[i]);
        else if (path)
            return usage_error("replay takes one tape, not also '%s'", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return usage_error("replay needs a tape file");
    dr_tape t;
    char err[512];
    if (dr_tape_load(path, &t, err, sizeof err) != 0) {
        fprintf(stderr, "dmarace: %s\n", err);
        return DR_EXIT_USAGE;
    }
    const dr_scenario *s = dr_scenario_find(t.scenario);
    if (!s) {
        fprintf(stderr, "dmarace: %s: scenario '%s' is not in this build\n", path, t.scenario);
        dr_tape_free(&t);
        return DR_EXIT_USAGE;
    }
    if (dr_scenario_digest(s, t.cpus) != t.scenario_digest) {
        fprintf(stderr, "dmarace: %s: recorded by another build of scenario %s (another scenario version or "
                        "build flavour; this one is %s)\n",
                path, s->name, dr_build_flavor());
        dr_tape_free(&t);
        return DR_EXIT_USAGE;
    }
    dr_strategy *strat = dr_strategy_replay(&t);
    dr_run_config cfg = {.cpus = t.cpus, .trace = true};
    dr_exec_result res;
    int rc = dr_run(s, &cfg, strat, t.exec_index, &res);
    if (rc != 0) {
        dr_strategy_destroy(strat);
        dr_tape_free(&t);
        return DR_EXIT_USAGE;
    }
    char why[512];
    bool same = dr_replay_verify(strat, &res, why, sizeof why);
    printf("tape         %s\n", path);
    printf("scenario     %s (%u processors), recorded by %s seed %" PRIu64 " execution %" PRIu64 "\n", s->name,
           t.cpus, dr_strategy_kind_name((dr_strategy_kind)t.strategy), t.seed, t.exec_index);
    printf("choices      %zu, steps %" PRIu64 ", preemptions %" PRIu64 "\n", t.nrec, res.steps, res.preemptions);
    if (trace) {
        printf("trace:\n");
        dr_trace_print(stdout);
    }
    if (res.finding.kind != DR_FIND_NONE) {
        printf("finding      [%s] %s\n", dr_finding_kind_name(res.finding.kind), res.finding.title);
        if (res.finding.task)
            printf("             %s (at step %" PRIu64 " on P%u in %s)\n", res.finding.message, res.finding.step,
                   res.finding.cpu, res.finding.task_name);
        else
            printf("             %s (after step %" PRIu64 ", at the end of the execution)\n", res.finding.message,
                   res.finding.step);
    } else {
        printf("finding      none\n");
    }
    printf("digest       %016" PRIx64 "\n", res.digest);
    dr_strategy_destroy(strat);
    int out;
    if (!same) {
        fprintf(stderr, "dmarace: %s: %s\n", path, why);
        out = DR_EXIT_USAGE;
    } else {
        printf("replay       reproduced bit for bit\n");
        out = res.finding.kind != DR_FIND_NONE ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
    }
    dr_tape_free(&t);
    return out;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const dr_scenario *def = dr_scenario_default();
    if (argc < 2)
        return usage_error("no command given");
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf(usage_text, def ? def->name : "(none)");
        return DR_EXIT_CLEAN;
    }
    int rc;
    if (strcmp(argv[1], "version") == 0) {
        printf("dmarace %s\nflavour %s\n", DR_VERSION, dr_build_flavor());
        dr_engine_shutdown();
        return DR_EXIT_CLEAN;
    }
    if (strcmp(argv[1], "list") == 0)
        rc = argc == 2 ? cmd_list() : usage_error("list takes no arguments");
    else if (strcmp(argv[1], "run") == 0)
        rc = cmd_run(argc - 2, argv + 2);
    else if (strcmp(argv[1], "replay") == 0)
        rc = cmd_replay(argc - 2, argv + 2);
    else
        rc = usage_error("unknown command '%s'", argv[1]);
    dr_engine_shutdown();
    return rc;
}
