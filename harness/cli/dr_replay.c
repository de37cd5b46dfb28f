/* dr_replay.c: dmarace replay: re-execute a tape in this process (a
 * data-race tape, or a tape whose process died, in a child), print its
 * finding, the story and, with --trace, every step. */
#include "dr_cli.h"
#include "dr_explain.h"
#include "dr_where.h"
#include "dr_supervise.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void dr_cli_print_finding(const dr_finding *f)
{
    if (f->kind != DR_FIND_NONE) {
        char title[DR_CLI_ESC_TITLE], msg[DR_CLI_ESC_MESSAGE], where[700];
        printf("finding      [%s] %s\n", dr_finding_kind_name(f->kind), dr_text_esc(f->title, title, sizeof title));
        printf("             %s (%s)\n", dr_text_esc(f->message, msg, sizeof msg), dr_report_where(f, where, sizeof where));
    } else {
        printf("finding      none\n");
    }
}

/* A ThreadSanitizer report during the replay (tsan build) ends the process
 * (dr_sup_race_exit), after what the replay has to say: the tape, the trace
 * and the story so far. A data-race tape is replayed in a child
 * (dr_sup_wanted): its parent then prints the finding and checks it against
 * the tape. Any other tape was replayed here, and the race is news. */
static struct {
    const char *path;
    const dr_tape *t;
    const dr_scenario *s;
    bool trace;
} replaying;

static void print_header(const char *path, const dr_scenario *s, const dr_tape *t, uint64_t steps,
                         uint64_t preemptions);

static void on_race(void)
{
    const dr_race_info *r = dr_race_current();
    dr_finding f;
    dr_sup_race_finding(r, &f);
    print_header(replaying.path, replaying.s, replaying.t, r->step, 0);
    if (replaying.trace) {
        printf("trace:\n");
        dr_trace_print(stdout, dr_where_suffix);
    }
    printf("story        what each processor did up to ThreadSanitizer's report:\n");
    dr_report_story(stdout, &f);
    if (!dr_tape_tsan_race(replaying.t)) {
        /* a replay that went another way, as any other (exit 2) */
        dr_cli_print_finding(&f);
        char title[DR_CLI_ESC_TITLE];
        fprintf(stderr, "dmarace: %s: did not reproduce: ThreadSanitizer reported a data race, the tape records %s\n",
                replaying.path,
                replaying.t->finding == DR_FIND_NONE ? "none" : dr_text_esc(replaying.t->title, title, sizeof title));
        dr_sup_exit_now(DR_EXIT_USAGE);
    }
    dr_sup_race_exit();
}

static void print_header(const char *path, const dr_scenario *s, const dr_tape *t, uint64_t steps,
                         uint64_t preemptions)
{
    printf("tape         %s\n", path);
    printf("scenario     %s (%u processors), recorded by %s seed %" PRIu64 " execution %" PRIu64 "\n", s->name,
           t->cpus, dr_strategy_kind_name((dr_strategy_kind)t->strategy), t->seed, t->exec_index);
    if (t->env[0]) {
        char esc[DR_ENV_MAX * 4 + 1];
        printf("env          %s\n", dr_text_esc(t->env, esc, sizeof esc));
    }
    if (t->races != DR_RACES_OFF)
        printf("races        %s\n", dr_races_text((dr_races)t->races));
    printf("choices      %zu, steps %" PRIu64 ", preemptions %" PRIu64 "\n", t->nrec, steps, preemptions);
}

int dr_cmd_replay(int argc, char **argv)
{
    const char *path = NULL, *timeline = NULL;
    bool trace = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--trace") == 0)
            trace = true;
        else if (strcmp(argv[i], "--exec-timeout") == 0) {
            if (i + 1 >= argc || !dr_cli_parse_seconds(argv[++i], &dr_sup_exec_timeout))
                return dr_cli_usage_error("--exec-timeout takes a number of seconds > 0");
        }
        else if (strcmp(argv[i], "--timeline") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return dr_cli_usage_error("--timeline takes an output file");
            timeline = argv[++i];
        } else if (argv[i][0] == '-')
            return dr_cli_usage_error("unknown option '%s'", argv[i]);
        else if (path)
            return dr_cli_usage_error("replay takes one tape, not also '%s'", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return dr_cli_usage_error("replay needs a tape file");
    if (timeline && !dr_cli_output_ok(timeline))
        return DR_EXIT_USAGE;
    dr_tape t;
    const dr_scenario *s = dr_cli_load_tape(path, &t);
    if (!s)
        return DR_EXIT_USAGE;
    int sup_rc;
    if (dr_sup_wanted(&t) && dr_sup_replay(s, &t, path, &sup_rc)) { /* the parent: the child replayed */
        dr_tape_free(&t);
        return sup_rc;
    }
    dr_strategy *strat = dr_strategy_replay(&t);
    dr_run_config cfg = {.cpus = t.cpus, .trace = true};
    dr_exec_result res;
    replaying.path = path;
    replaying.t = &t;
    replaying.s = s;
    replaying.trace = trace;
    dr_set_race_handler(on_race);
    int rc = strat ? dr_run(s, &cfg, strat, t.exec_index, &res) : -1;
    dr_set_race_handler(NULL);
    if (rc != 0) {
        dr_strategy_destroy(strat);
        dr_tape_free(&t);
        return DR_EXIT_USAGE;
    }
    char why[2048];
    bool same = dr_replay_verify(strat, &res, why, sizeof why);
    /* The same choices and digest are not enough: the finding must be the one
     * the tape's header records. (A data-race tape that gets here ran to its
     * end without a ThreadSanitizer report: the report ends the process.) */
    bool race = dr_tape_tsan_race(&t);
    if (same && race) {
        snprintf(why, sizeof why,
                 "did not reproduce: the tape records a data race reported by ThreadSanitizer, and none was "
                 "reported in this run (replay it in the tsan build, with TSan reports on)");
        same = false;
    } else if (same && !dr_report_same_finding(&t, &res.finding, why, sizeof why)) {
        same = false;
    }
    print_header(path, s, &t, res.steps, res.preemptions);
    if (trace) {
        printf("trace:\n");
        dr_trace_print(stdout, dr_where_suffix);
    }
    dr_cli_print_finding(&res.finding);
    printf("story        what each processor did (dmarace replay --trace shows every step):\n");
    dr_report_story(stdout, &res.finding);
    printf("digest       %016" PRIx64 "\n", res.digest);
    dr_strategy_destroy(strat);
    int out;
    if (!same) {
        fprintf(stderr, "dmarace: %s: %s\n", path, why);
        out = DR_EXIT_USAGE;
    } else {
        printf("replay       reproduced bit for bit\n");
        out = res.finding.kind != DR_FIND_NONE ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
        if (timeline) {
            dr_report_info info = {s, &t, path, &res, NULL};
            char *json = dr_report_timeline(&info);
            if (!json || dr_cli_write_atomic(timeline, json, strlen(json)) != 0) {
                if (!json)
                    fprintf(stderr, "dmarace: out of memory writing %s\n", timeline);
                out = DR_EXIT_INTERNAL; /* could not write an output file: 3, like run and minimize */
            } else {
                printf("timeline     %s (Chrome Trace Event format: ui.perfetto.dev or chrome://tracing)\n",
                       timeline);
            }
            free(json);
        }
    }
    dr_tape_free(&t);
    return out;
}
