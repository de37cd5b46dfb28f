/* fuzz_scenario.c: libFuzzer target that runs a scenario's driver. An input
 * is a raw choice tape for the `tape` strategy (dr_strategy_bytes: one byte
 * per choice, two when a choice has more than 256 options, value = byte % n,
 * every choice 0 once the bytes run out). Each input is one execution; an
 * execution that ends with a finding prints it and aborts, so libFuzzer keeps
 * the input. The same file replays in the CLI with the same choices and the
 * same finding:
 *
 *   fuzz_scenario --scenario=NAME [--cpus=N] [--env=SETTINGS] [libFuzzer flags] [corpus dirs]
 *   dmarace run NAME [--cpus N] [--env SETTINGS] --strategy tape --input crash-<sha1>
 *
 * Inputs stay raw tapes (no header bytes): scenario parameters are the
 * target's flags, so `dmarace run --strategy tape` reads a fuzz input as is.
 * A copy of the target named fuzz-SCENARIO (OSS-Fuzz/ClusterFuzzLite, which
 * pass no custom flags) takes its scenario from its own name. More options:
 *
 *   --interleaving-coverage=0|1  feed the interleaving counters to libFuzzer
 *                                (default 1 where built in; docs/fuzzing.md)
 *   --tape-mutator=0|1           the tape-aware custom mutator (default 1:
 *                                bench/fuzz.md measures it against 0)
 *   --print-digest=0|1           print the trace digest of every input
 *   --expect=0|1                 abort only on the finding the scenario
 *                                expects (its `dmarace list` verdict), not
 *                                on any finding (default 0)
 *   --findings=DIR               do not abort: keep the first input of each
 *                                distinct finding (kind and title, as `dmarace
 *                                run` deduplicates) as DIR/<scenario>-<kind>-
 *                                <key>.input, say so in one line, and go on
 *                                fuzzing; scripts/fuzz.sh turns them into
 *                                tapes and reports (docs/fuzzing.md)
 *
 * Options take the --name=value form: libFuzzer ignores flags that start with
 * "--" and leaves them to LLVMFuzzerInitialize. Without libFuzzer (every
 * preset but fuzz) the same command line replays the files and directories
 * given (standalone_main.c), ignoring libFuzzer's own "-flag" arguments. */
#include "dr/dr_engine.h"
#include "dr/dr_icov_ctl.h"
#include "dr_where.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static const char *prog = "fuzz_scenario";
static const dr_scenario *scenario;
static unsigned cpus;
static bool print_digest;
static bool tape_mutator = true;
static bool only_expected;
static const char *findings_dir; /* --findings=DIR */

static void usage_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_exit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(DR_EXIT_USAGE);
}

static void shutdown_engine(void) { dr_engine_shutdown(); }

/* --name=0 or --name=1. */
static bool flag01(const char *opt, const char *v)
{
    if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
        usage_exit("%s takes 0 or 1, not '%s'", opt, v);
    return v[0] == '1';
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *name = NULL, *cpus_arg = NULL, *env_arg = NULL;
    bool icov = true;
    if (*argc > 0 && (*argv)[0]) {
        const char *slash = strrchr((*argv)[0], '/');
        prog = slash ? slash + 1 : (*argv)[0];
        if (strncmp(prog, "fuzz-", 5) == 0)
            name = prog + 5; /* fuzz-SCENARIO: the scenario baked into the name */
    }
    for (int i = 1; i < *argc; i++) {
        const char *a = (*argv)[i];
        if (strncmp(a, "--scenario=", 11) == 0)
            name = a + 11;
        else if (strncmp(a, "--cpus=", 7) == 0)
            cpus_arg = a + 7;
        else if (strncmp(a, "--env=", 6) == 0)
            env_arg = a + 6;
        else if (strncmp(a, "--interleaving-coverage=", 24) == 0)
            icov = flag01("--interleaving-coverage", a + 24);
        else if (strncmp(a, "--tape-mutator=", 15) == 0)
            tape_mutator = flag01("--tape-mutator", a + 15);
        else if (strncmp(a, "--print-digest=", 15) == 0)
            print_digest = flag01("--print-digest", a + 15);
        else if (strncmp(a, "--expect=", 9) == 0)
            only_expected = flag01("--expect", a + 9);
        else if (strncmp(a, "--findings=", 11) == 0 && a[11])
            findings_dir = a + 11;
        else if (strncmp(a, "--", 2) == 0)
            usage_exit("unknown option '%s' (options: --scenario=NAME --cpus=N --env=SETTINGS --interleaving-coverage=0|1 "
                       "--tape-mutator=0|1 --print-digest=0|1 --expect=0|1 --findings=DIR)",
                       a);
    }
    dr_icov_set_enabled(icov);
    dr_set_site_namer(dr_where_site);
    dr_set_volatile_classifier(dr_where_volatile);
#ifndef DR_FUZZ_STANDALONE
    /* libFuzzer turns -len_control off when a target defines a custom
     * mutator; without --tape-mutator=1 put its usual default back, so the
     * search is the stock one (LLVMFuzzerCustomMutator then only calls
     * LLVMFuzzerMutate). LLVMFuzzerInitialize runs before libFuzzer parses
     * the flags, and may replace argv (keeping argv[0]). */
    bool has_len_control = false;
    for (int i = 1; i < *argc; i++)
        has_len_control |= strncmp((*argv)[i], "-len_control=", 13) == 0;
    if (!tape_mutator && !has_len_control) {
        static char len_control[] = "-len_control=100";
        char **nargv = calloc((size_t)*argc + 2, sizeof *nargv);
        if (!nargv)
            usage_exit("out of memory");
        memcpy(nargv, *argv, (size_t)*argc * sizeof *nargv);
        nargv[(*argc)++] = len_control;
        *argv = nargv; /* kept for the life of the process */
    }
#endif
    if (!name || !*name)
        usage_exit("--scenario=NAME is required (dmarace list shows the scenarios)");
    scenario = dr_scenario_find(name);
    if (!scenario)
        usage_exit("unknown scenario '%s' (dmarace list shows the scenarios)", name);
    if (env_arg) {
        char err[512];
        if (dr_scenario_set_env(scenario, env_arg, err, sizeof err) != 0)
            usage_exit("bad --env for scenario %s: %s", scenario->name, err);
    }
    cpus = scenario->cpus;
    if (cpus_arg) {
        char *end;
        unsigned long v = strtoul(cpus_arg, &end, 10);
        unsigned most = scenario->max_cpus && scenario->max_cpus < DR_MAX_CPUS ? scenario->max_cpus : DR_MAX_CPUS;
        if (!*cpus_arg || *end || cpus_arg[0] == '-' || v < 1 || v > most)
            usage_exit("--cpus takes 1 to %u for scenario %s, not '%s'", most, scenario->name, cpus_arg);
        cpus = (unsigned)v;
    }
    atexit(shutdown_engine);
    return 0;
}

/* The scenario's expected verdict (dr_expect_matches, as run --expect). */
static bool expected_finding(const dr_finding *f)
{
    return dr_expect_matches(scenario->expect ? scenario->expect : "", f->kind, f->rule, f->title);
}

/* --findings=DIR: the first input of each distinct finding, kept under
 * the dedup key dmarace run gives it (dr_finding_key). */
static void keep_finding(const dr_finding *f, const uint8_t *data, size_t size)
{
    enum { MAX_SEEN = 1024 };
    static uint64_t seen[MAX_SEEN];
    static size_t nseen;
    uint64_t h = dr_finding_key(f->kind, f->title);
    const char *kind = dr_finding_kind_name(f->kind);
    for (size_t i = 0; i < nseen; i++)
        if (seen[i] == h)
            return;
    if (nseen < MAX_SEEN)
        seen[nseen++] = h;
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s-%s-%016llx.input", findings_dir, scenario->name, kind, (unsigned long long)h);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "wb");
    bool ok = out && fwrite(data, 1, size, out) == size;
    if (out && fclose(out) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "%s: cannot write %s\n", prog, path);
        remove(tmp);
        return;
    }
    fprintf(stderr, "%s: new finding %s: %s (kept as %s)\n", prog, kind, f->title, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!scenario) {
        fprintf(stderr, "%s: LLVMFuzzerInitialize did not run\n", prog);
        abort();
    }
    dr_strategy *strat = dr_strategy_bytes(data, size);
    if (!strat) {
        fprintf(stderr, "%s: out of memory\n", prog);
        abort();
    }
    /* The CLI's tape strategy runs execution 0 with the default step budget. */
    dr_run_config cfg = {.cpus = cpus, .step_budget = 0, .trace = false};
    dr_exec_result res;
    int rc = dr_run(scenario, &cfg, strat, 0, &res);
    dr_strategy_destroy(strat);
    if (rc != 0) {
        fprintf(stderr, "%s: engine error running scenario %s\n", prog, scenario->name);
        abort();
    }
    if (print_digest)
        printf("%s: scenario %s, %u processors, %s, %llu choices, trace digest %016llx\n", prog, scenario->name, cpus,
               dr_finding_kind_name(res.finding.kind), (unsigned long long)res.choices,
               (unsigned long long)res.digest);
    if (print_digest)
        fflush(stdout); /* before an abort */
    if (res.finding.kind == DR_FIND_NONE || (only_expected && !expected_finding(&res.finding)))
        return 0;
    if (findings_dir) {
        keep_finding(&res.finding, data, size);
        return 0;
    }
    fprintf(stderr, "%s: finding %s: %s: %s\n", prog, dr_finding_kind_name(res.finding.kind), res.finding.title,
            res.finding.message);
    fprintf(stderr, "%s: scenario %s, %u processors, step %llu, %llu choices, trace digest %016llx\n", prog,
            scenario->name, cpus, (unsigned long long)res.finding.step, (unsigned long long)res.choices,
            (unsigned long long)res.digest);
    if (dr_scenario_env())
        fprintf(stderr, "%s: replay: dmarace run %s --cpus %u --env '%s' --strategy tape --input <this input>\n",
                prog, scenario->name, cpus, dr_scenario_env());
    else
        fprintf(stderr, "%s: replay: dmarace run %s --cpus %u --strategy tape --input <this input>\n", prog,
                scenario->name, cpus);
    abort();
}

/* ---- the tape mutator (--tape-mutator=1, the default) ----------------------------------
 * A tape byte is a choice; 0 means "the running task goes on" at a
 * scheduling point (option 0), any other value a preemption or an event that
 * fires now. The mutator edits in those units and leaves byte-level havoc to
 * libFuzzer's own mutations (half the calls), deterministic in `seed`:
 *   - add a preemption: a zero byte becomes non-zero;
 *   - remove a preemption: a non-zero byte becomes zero;
 *   - move a decision earlier or later: a non-zero byte moves by 1 to 8
 *     positions, the bytes in between shift;
 *   - delay everything after a point: insert 1 to 4 zero bytes;
 *   - drop a decision: delete one byte. */
static uint32_t mut_rand(uint64_t *st)
{
    *st = *st * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*st >> 33);
}

static size_t pick_pos(uint64_t *st, const uint8_t *data, size_t size, bool nonzero)
{
    size_t start = mut_rand(st) % size;
    for (size_t k = 0; k < size; k++) {
        size_t i = (start + k) % size;
        if ((data[i] != 0) == nonzero)
            return i;
    }
    return SIZE_MAX;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    uint64_t st = (uint64_t)seed * 0x9e3779b97f4a7c15u + 1;
    if (!tape_mutator || size == 0 || mut_rand(&st) % 2 == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    size_t i;
    switch (mut_rand(&st) % 5) {
    case 0: /* add a preemption */
        i = pick_pos(&st, data, size, false);
        if (i == SIZE_MAX)
            break;
        data[i] = (uint8_t)(1 + mut_rand(&st) % 255);
        return size;
    case 1: /* remove a preemption */
        i = pick_pos(&st, data, size, true);
        if (i == SIZE_MAX)
            break;
        data[i] = 0;
        return size;
    case 2: { /* move a decision earlier or later */
        i = pick_pos(&st, data, size, true);
        if (i == SIZE_MAX)
            break;
        size_t d = 1 + mut_rand(&st) % 8;
        uint8_t b = data[i];
        if (mut_rand(&st) % 2 && i >= d) {
            memmove(data + i - d + 1, data + i - d, d);
            data[i - d] = b;
        } else if (i + d < size) {
            memmove(data + i, data + i + 1, d);
            data[i + d] = b;
        } else {
            break;
        }
        return size;
    }
    case 3: { /* delay: insert zeros */
        size_t k = 1 + mut_rand(&st) % 4;
        if (size + k > max_size)
            break;
        i = mut_rand(&st) % (size + 1);
        memmove(data + i + k, data + i, size - i);
        memset(data + i, 0, k);
        return size + k;
    }
    default: /* drop a decision */
        i = mut_rand(&st) % size;
        memmove(data + i, data + i + 1, size - i - 1);
        return size - 1;
    }
    return LLVMFuzzerMutate(data, size, max_size);
}

#ifdef DR_FUZZ_STANDALONE
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
    (void)data, (void)max_size;
    return size; /* never called: the standalone main does not mutate */
}

/* Without libFuzzer: standalone_main.c replays files and directories. It
 * takes every argument as a path, so this main runs LLVMFuzzerInitialize on
 * the whole command line and hands it only the arguments that are not flags
 * (ours or libFuzzer's), as libFuzzer would. */
int dr_fuzz_standalone_main(int argc, char **argv);
#define main dr_fuzz_standalone_main
#include "standalone_main.c"
#undef main

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!paths) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return DR_EXIT_INTERNAL;
    }
    int n = 0;
    paths[n++] = argv[0];
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            paths[n++] = argv[i];
    int rc = dr_fuzz_standalone_main(n, paths);
    free(paths);
    return rc;
}
#endif
