/* fuzz_scenario.c: libFuzzer target that runs a scenario's driver. An input
 * is a raw choice tape for the `tape` strategy (dr_strategy_bytes: one byte
 * per choice, two when a choice has more than 256 options, value = byte % n,
 * every choice 0 once the bytes run out). Each input is one execution; an
 * execution that ends with a finding prints it and aborts, so libFuzzer keeps
 * the input. The same file replays in the CLI with the same choices and the
 * same finding:
 *
 *   fuzz_scenario --scenario=NAME [--cpus=N] [libFuzzer flags] [corpus dirs]
 *   dmarace run NAME [--cpus N] --strategy tape --input crash-<sha1>
 *
 * Options take the --name=value form: libFuzzer ignores flags that start with
 * "--" and leaves them to LLVMFuzzerInitialize. Without libFuzzer (every
 * preset but fuzz) the same command line replays the files and directories
 * given (standalone_main.c), ignoring libFuzzer's own "-flag" arguments. */
#include "dr/dr_engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prog = "fuzz_scenario";
static const dr_scenario *scenario;
static unsigned cpus;

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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *name = NULL, *cpus_arg = NULL;
    if (*argc > 0 && (*argv)[0]) {
        const char *slash = strrchr((*argv)[0], '/');
        prog = slash ? slash + 1 : (*argv)[0];
    }
    for (int i = 1; i < *argc; i++) {
        const char *a = (*argv)[i];
        if (strncmp(a, "--scenario=", 11) == 0)
            name = a + 11;
        else if (strncmp(a, "--cpus=", 7) == 0)
            cpus_arg = a + 7;
        else if (strncmp(a, "--", 2) == 0)
            usage_exit("unknown option '%s' (options: --scenario=NAME --cpus=N)", a);
    }
    if (!name || !*name)
        usage_exit("--scenario=NAME is required (dmarace list shows the scenarios)");
    scenario = dr_scenario_find(name);
    if (!scenario)
        usage_exit("unknown scenario '%s' (dmarace list shows the scenarios)", name);
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
    if (res.finding.kind == DR_FIND_NONE)
        return 0;
    fprintf(stderr, "%s: finding %s: %s: %s\n", prog, dr_finding_kind_name(res.finding.kind), res.finding.title,
            res.finding.message);
    fprintf(stderr, "%s: scenario %s, %u processors, step %llu, %llu choices, trace digest %016llx\n", prog,
            scenario->name, cpus, (unsigned long long)res.finding.step, (unsigned long long)res.choices,
            (unsigned long long)res.digest);
    fprintf(stderr, "%s: replay: dmarace run %s --cpus %u --strategy tape --input <this input>\n", prog,
            scenario->name, cpus);
    abort();
}

#ifdef DR_FUZZ_STANDALONE
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
