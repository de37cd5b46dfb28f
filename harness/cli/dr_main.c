/* dr_main.c: the dmarace command line: dispatch, list, version and help
 * (the commands' shared helpers: dr_args.c, dr_files.c). Exit codes: 0
 * clean, 1 findings, 2 usage or input error, 3 internal error. */
#include "dr_cli.h"
#include "dr_where.h"

#include <stdlib.h>
#include <string.h>

/* ---- help: one table, printed whole by `help`, a row by `COMMAND --help` ---------------- */

static const char run_options[] =
    "  --strategy swarm|random|pct|dfs|tape   how choices are made (default swarm: docs/search.md)\n"
    "  --seed N            campaign seed (default 1)\n"
    "  --executions N      executions to run (default 10000; dfs stops earlier when exhausted)\n"
    "  --time SECONDS      run until this much time has passed (with --executions: whichever first)\n"
    "  -j N, --jobs N      N worker processes; worker w runs the executions i with i % N == w\n"
    "                      (swarm, random, pct): the same executions, findings and digest as -j 1\n"
    "  --shard I/N         run only the executions i with i % N == I-1 (I from 1 to N), to split\n"
    "                      one campaign over machines or CI jobs; composes with -j\n"
    "  --depth D           PCT depth (default 3)\n"
    "  --bound B           DFS preemption bound (default 2)\n"
    "  --cpus N            simulated processors (default: the scenario's)\n"
    "  --env \"SETTINGS\"    environment settings on top of the scenario's own (\"requests=2 no-cancel\",\n"
    "                      docs/scenarios.md); recorded in tapes, so replay applies them again\n"
    "  --step-budget N     steps before an execution is a livelock (default 100000)\n"    "  --exec-timeout SECONDS  an execution using this much CPU time without a step (a loop with\n"
    "                      no scheduling point) is killed: a hang finding (default 5)\n"
    "  --input FILE        tape strategy: the bytes to read choices from\n"
    "  --findings DIR      where each distinct finding goes, the moment it is found (default findings):\n"
    "                      <scenario>-<kind>-<key>.tape and, next to it, .txt (the report), .json,\n"
    "                      .trace.json (Chrome/Perfetto timeline) and .sarif (SARIF 2.1.0)\n"
    "  --stop-on-first     stop at the first finding\n"
    "  --from K            swarm, random: start at execution K (the same in every campaign with this seed)\n"
    "  --race-detector on|off  the built-in happens-before race detector (default on; off in the\n"
    "                      tsan build, where ThreadSanitizer is the detector: docs/races.md)\n"
    "  --volatile ms|iso   a volatile access acquires/releases as MSVC's /volatile:ms compiles it\n"
    "                      for x86/x64 drivers (ms, the default) or is a plain access (iso)\n"
    "  --trace             print the trace of every execution\n"
    "  --expect            exit 0 if the verdict is the scenario's expected one, 1 if not\n"
    "                      (default executions: the scenario's budget); a campaign expecting a\n"
    "                      finding stops at the first finding that shows it\n"
    "  --expect=SPEC       the same against SPEC instead of the scenario's verdict: clean, a kind,\n"
    "                      KIND:RULE (framework:V1 is the rule V1 exactly, not V15) or\n"
    "                      KIND:part-of-the-title (crash:WdfSpinLockRelease)\n"
    "  --quiet             no progress line (it is shown only when stderr is a terminal)\n";

static const char stress_options[] =
    "  --executions N | --time SECONDS | --seed N | --cpus N | --stop-on-first |\n"
    "  --expect[=SPEC] | --quiet\n"
    "                      as for run (there is no tape: findings are reproduced with run);\n"
    "                      --expect stops as soon as the scenario's expected finding is seen\n"
    "  --exec-limit SECONDS  wall-clock limit of one execution before it is a livelock (default 10)\n";

static const char replay_options[] =
    "  --trace             print every step, and the tape's decisions by meaning\n"
    "  --exact             only the exact replay: a tape that does not replay bit for bit is an error (2)\n"
    "  --continue N        a lost schedule: follow it up to where it was lost, then run N executions\n"
    "                      under the default strategy and say how many find the tape's finding (default 200)\n"
    "  --update            a tape of version 1 to 4 that replays bit for bit gets its decisions by\n"
    "                      meaning (rewritten in place as version 5)\n";

static const char regress_options[] =
    "  --expect fixed|reproduced  the verdict every tape should give (default fixed: the bugs stay\n"
    "                      fixed; reproduced: dmarace still finds them, as for corpus/)\n"
    "  --junit FILE        JUnit XML: a test case per tape, failed when not as expected\n"
    "  --sarif FILE        SARIF 2.1.0: a result per tape not as expected\n"
    "  --timeout SECONDS   one tape's replay, wall clock, before it is an error (default 600)\n"
    "  --exec-timeout SECONDS | --continue N | --update   passed to each replay\n";

static const char exit_codes[] =
    "exit codes: 0 clean (replay: no finding; minimize, show: done),\n"
    "            1 findings (with --expect: an unexpected verdict; replay: the finding reproduced),\n"
    "            2 usage or input error (bad option or value, unknown scenario, corrupt, truncated\n"
    "              or foreign tape or report, an input or output that is not a regular file, an\n"
    "              unwritable findings directory, a tape that does not reproduce its finding,\n"
    "              minimize on a tape that finds nothing),\n"
    "            3 internal error, or an output (a finding's files, -o, --timeline, the\n"
    "              standard output) that could not be written: a full disk\n"
    "            replay, past an exact replay (docs/replay.md): 4 no longer reproduces (the schedule\n"
    "              followed to its end, the finding did not happen), 5 lost (the schedule could not\n"
    "              be followed), 6 changed (followed to its end, another finding)\n"
    "            regress: 0 every tape as expected, 1 not, 2 usage (no tape found)\n";

typedef struct {
    const char *name;
    const char *synopsis;    /* after the program's name */
    const char *what;        /* lines after the first indented to the description column */
    const char *options;     /* its options block, or NULL */
} command_help;

static const command_help commands[] = {
    {"list", "list", "one line per scenario: name, expected verdict, summary", NULL},
    {"run", "run [SCENARIO] [options]", "a campaign (default scenario: %s)", run_options},
    {"stress", "stress [SCENARIO] [options]",
     "real-thread mode: each processor a pthread, the OS interleaving,\n"
     "no tape (the stress-test baseline; nightly under TSan)",
     stress_options},
    {"replay", "replay TAPE [--trace] [--timeline OUT.json] [--exec-timeout SECONDS] [--exact] [--continue N]\n"
               "         [--update]",
     "re-execute a saved tape in this process (works under gdb),\n"
     "print the finding, the story per processor and the trace;\n"
     "when the driver or the build changed, follow its schedule by\n"
     "meaning: reproduced, no longer reproduces, changed or lost\n"
     "(docs/replay.md)",
     replay_options},
    {"regress", "regress DIR|TAPE... [--expect fixed|reproduced] [--junit FILE] [--sarif FILE]",
     "replay every saved tape (each in a child process) against this\n"
     "build: a table of verdicts, a summary, exit 0 when every tape's\n"
     "verdict is the expected one (default: fixed), else 1",
     regress_options},
    {"minimize", "minimize TAPE [-o OUT] [--max-runs N] [--exec-timeout SECONDS]",
     "shrink a failing tape (fewer preemptions, steps, events) keeping\n"
     "its finding (kind and title); writes OUT (default TAPE-min.tape)\n"
     "and its reports",
     NULL},
    {"show", "show FILE", "print a saved report (.txt, .json, or the .tape it sits next to)", NULL},
    {"version", "version", "version and build flavour (tapes replay only in their own flavour); also --version",
     NULL},
    {"help", "help", "this text; COMMAND --help: one command's", NULL},
};

static const char *default_scenario = "(none)";

/* The description, its lines after the first indented by indent. */
static void print_what(const command_help *c, int indent)
{
    for (const char *p = c->what; *p; p++) {
        if (p[0] == '%' && p[1] == 's') { /* the default scenario */
            fputs(default_scenario, stdout);
            p++;
            continue;
        }
        putchar(*p);
        if (*p == '\n')
            printf("%*s", indent, "");
    }
    putchar('\n');
}

static void print_command(const command_help *c)
{
    if (strlen(c->synopsis) <= 26)
        printf("  %-26s ", c->synopsis);
    else
        printf("  %s\n%29s", c->synopsis, "");
    print_what(c, 29);
}

static void print_help(void)
{
    printf("usage: %s <command> [options]\n\ncommands:\n", dr_cli_program());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        print_command(&commands[i]);
    printf("\nrun options:\n%s\nstress options:\n%s\n%s", run_options, stress_options, exit_codes);
}

/* COMMAND --help (or -h) anywhere in its arguments: its synopsis, options and
 * the exit codes; false when the command is not one. */
static bool print_command_help(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const command_help *c = &commands[i];
        if (strcmp(c->name, name) != 0)
            continue;
        printf("usage: %s %s\n\n  ", dr_cli_program(), c->synopsis);
        print_what(c, 2);
        if (c->options)
            printf("\noptions:\n%s", c->options);
        printf("\n%s", exit_codes);
        return true;
    }
    return false;
}

static int cmd_list(void)
{
    for (size_t i = 0; i < dr_scenario_count(); i++) {
        const dr_scenario *s = dr_scenario_at(i);
        printf("%-28s cpus=%u  expect=%-10s %s\n", s->name, s->cpus, s->expect, s->summary);
    }
    return DR_EXIT_CLEAN;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    dr_cli_set_program(argv[0]);
    dr_set_site_namer(dr_where_site);
    dr_set_point_namer(dr_where_point);
    dr_set_volatile_classifier(dr_where_volatile);
    const dr_scenario *def = dr_scenario_default();
    if (def)
        default_scenario = def->name;
    if (argc < 2)
        return dr_cli_usage_error("no command given");
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help();
        return dr_cli_finish_output(DR_EXIT_CLEAN);
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            if (!print_command_help(argv[1]))
                return dr_cli_usage_error("unknown command '%s'", argv[1]);
            return dr_cli_finish_output(DR_EXIT_CLEAN);
        }
    int rc;
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("dmarace %s\nflavour %s\n", DR_VERSION, dr_build_flavor());
        dr_engine_shutdown();
        return dr_cli_finish_output(DR_EXIT_CLEAN);
    }
    if (strcmp(argv[1], "list") == 0)
        rc = argc == 2 ? cmd_list() : dr_cli_usage_error("list takes no arguments");
    else if (strcmp(argv[1], "run") == 0)
        rc = dr_cmd_run(argc - 2, argv + 2);
    else if (strcmp(argv[1], "stress") == 0)
        rc = dr_cmd_stress(argc - 2, argv + 2);
    else if (strcmp(argv[1], "replay") == 0)
        rc = dr_cmd_replay(argc - 2, argv + 2);
    else if (strcmp(argv[1], "regress") == 0)
        rc = dr_cmd_regress(argc - 2, argv + 2);
    else if (strcmp(argv[1], "minimize") == 0)
        rc = dr_cmd_minimize(argc - 2, argv + 2);
    else if (strcmp(argv[1], "show") == 0)
        rc = dr_cmd_show(argc - 2, argv + 2);
    else
        rc = dr_cli_usage_error("unknown command '%s'", argv[1]);
    dr_engine_shutdown();
    return dr_cli_finish_output(rc);
}
