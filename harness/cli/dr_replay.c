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

/* The last traced run's timeline into the file timeline: 0, or -1 (said). */
static int write_timeline(const char *timeline, const dr_scenario *s, const dr_tape *t, const char *path,
                          dr_exec_result *res)
{
    dr_report_info info = {s, t, path, res, NULL};
    char *json = dr_report_timeline(&info);
    int rc = -1;
    if (!json)
        fprintf(stderr, "dmarace: out of memory writing %s\n", timeline);
    else if (dr_cli_write_atomic(timeline, json, strlen(json)) == 0) {
        printf("timeline     %s (Chrome Trace Event format: ui.perfetto.dev or chrome://tracing)\n", timeline);
        rc = 0;
    }
    free(json);
    return rc;
}

/* ---- following the schedule by meaning (docs/replay.md) --------------------------------- */

/* The decisions' text for a verdict: "T7 timer-dpc#0 at driver-load
 * driver/slowread.c:88 SlowReadEvtTimer (the 2nd time)". */
static const char *intent_text(const dr_intent *x, char *buf, size_t len)
{
    char who[120], site[120], file[300], func[160];
    if (x->func[0])
        snprintf(buf, len, "%s#%u at %s, %s:%u %s (time %u)", x->who[0] ? dr_text_esc(x->who, who, sizeof who) : "main",
                 x->who_ord, dr_text_esc(x->site, site, sizeof site), dr_text_esc(x->file, file, sizeof file),
                 x->line, dr_text_esc(x->func, func, sizeof func), x->occ);
    else
        snprintf(buf, len, "%s#%u at %s (time %u)", x->who[0] ? dr_text_esc(x->who, who, sizeof who) : "main",
                 x->who_ord, dr_text_esc(x->site, site, sizeof site), x->occ);
    return buf;
}

static const char *pick_text(const dr_intent *x, char *buf, size_t len)
{
    char name[120];
    if (x->pick_type == DR_PICK_VALUE)
        snprintf(buf, len, "value %u", x->pick_ord);
    else if (x->pick_type == DR_PICK_CLOCK)
        snprintf(buf, len, "the clock");
    else
        snprintf(buf, len, "%s %s#%u", dr_pick_type_name((dr_pick_type)x->pick_type),
                 dr_text_esc(x->pick, name, sizeof name), x->pick_ord);
    return buf;
}

void dr_cli_print_intent(FILE *out, const dr_tape *t)
{
    char a[800], b[200];
    fprintf(out, "schedule     %zu decisions by meaning (the rest: the running task goes on):\n", t->nintent);
    for (size_t i = 0; i < t->nintent; i++)
        fprintf(out, "  %4zu  step %-5llu %s -> %s\n", i + 1, (unsigned long long)t->intent[i].step,
                intent_text(&t->intent[i], a, sizeof a), pick_text(&t->intent[i], b, sizeof b));
}

/* Continuation after a lost schedule: the decisions before the lost one are
 * followed, then the default strategy (swarm, seed 1) decides; how many of
 * n executions find the tape's finding, and the first that does. */
static void continue_lost(const dr_scenario *s, const dr_tape *t, size_t taken, uint64_t n)
{
    dr_strategy *sw = dr_strategy_swarm(1);
    dr_strategy *st = sw ? dr_strategy_follow(t, taken, sw) : NULL;
    uint64_t hits = 0, first = 0, other = 0;
    dr_run_config cfg = {.cpus = t->cpus};
    for (uint64_t i = 0; st && i < n; i++) {
        dr_exec_result r;
        if (dr_run(s, &cfg, st, i, &r) != 0)
            break;
        if (r.finding.kind == t->finding && (t->finding == DR_FIND_NONE || strcmp(r.finding.title, t->title) == 0)) {
            if (!hits++)
                first = i;
        } else if (r.finding.kind != DR_FIND_NONE) {
            other++;
        }
        if (!dr_strategy_next(st, &r))
            break;
    }
    if (hits)
        printf("continued    from there under the default strategy (swarm, seed 1): the tape's finding in %" PRIu64
               " of %" PRIu64 " executions (first: execution %" PRIu64 ")%s\n",
               hits, n, first, other ? ", other findings in some" : "");
    else
        printf("continued    from there under the default strategy (swarm, seed 1): the tape's finding in none "
               "of %" PRIu64 " executions%s\n",
               n, other ? " (other findings in some)" : "");
    dr_strategy_destroy(st);
    dr_strategy_destroy(sw);
}

/* A ThreadSanitizer report while following (tsan build) ends the run, as
 * it ends a campaign's execution: the tape's race reproduced, or another
 * finding came first. */
static void on_race_follow(void)
{
    const dr_race_info *r = dr_race_current();
    dr_finding f;
    dr_sup_race_finding(r, &f);
    print_header(replaying.path, replaying.s, replaying.t, r->step, 0);
    dr_cli_print_finding(&f);
    printf("story        what each processor did up to ThreadSanitizer's report:\n");
    dr_report_story(stdout, &f);
    if (dr_report_same_finding(replaying.t, &f, NULL, 0)) {
        printf("replay       reproduced: the schedule followed by meaning, ThreadSanitizer reported the same race\n");
        dr_sup_exit_now(DR_EXIT_FINDINGS);
    }
    char title[DR_CLI_ESC_TITLE];
    printf("replay       changed: following the schedule, ThreadSanitizer reported [%s] %s before the tape's "
           "finding\n",
           dr_finding_kind_name(f.kind), dr_text_esc(f.title, title, sizeof title));
    dr_sup_exit_now(DR_EXIT_CHANGED);
}

/* The exact replay went another way: follow the tape's decisions by
 * meaning, and say which verdict the run gives. */
static int follow(const char *path, const dr_scenario *s, dr_tape *t, const char *exact_why, bool trace,
                  const char *timeline, uint64_t cont_runs)
{
    dr_strategy *st = dr_strategy_follow(t, SIZE_MAX, NULL);
    dr_run_config cfg = {.cpus = t->cpus, .trace = true};
    dr_exec_result res;
    dr_follow_status fs;
    replaying.path = path;
    replaying.t = t;
    replaying.s = s;
    dr_set_race_handler(on_race_follow);
    /* A decision whose exact point is never reached is matched loosely
     * (its kind, site and function), one at a time, each in a new run. */
    for (;;) {
        if (!st || dr_run(s, &cfg, st, t->exec_index, &res) != 0) {
            dr_set_race_handler(NULL);
            dr_strategy_destroy(st);
            return DR_EXIT_INTERNAL;
        }
        dr_follow_get(st, &fs);
        if (fs.taken == fs.total || dr_report_same_finding(t, &res.finding, NULL, 0) || !dr_follow_loosen(st, fs.taken))
            break;
    }
    dr_strategy_destroy(st);
    dr_set_race_handler(NULL);
    print_header(path, s, t, res.steps, res.preemptions);
    printf("exact        %s\n", exact_why);
    if (trace) {
        printf("trace:\n");
        dr_trace_print(stdout, dr_where_suffix);
        dr_cli_print_intent(stdout, t);
    }
    dr_cli_print_finding(&res.finding);
    printf("story        what each processor did (dmarace replay --trace shows every step):\n");
    dr_report_story(stdout, &res.finding);
    char why[2048];
    bool same = dr_report_same_finding(t, &res.finding, why, sizeof why);
    char unplayable[200] = "";
    if (fs.unplayable || fs.loose)
        snprintf(unplayable, sizeof unplayable,
                 "; %zu matched loosely (their line was not reached; %zu of them by site alone), %zu could not pick "
                 "what the tape did",
                 fs.loose, fs.looser, fs.unplayable);
    int out;
    const dr_intent *lost = NULL;
    char title[DR_CLI_ESC_TITLE];
    if (same) {
        printf("replay       reproduced: the schedule followed by meaning (%zu of %zu decisions taken%s)\n", fs.taken,
               fs.total, unplayable);
        out = res.finding.kind != DR_FIND_NONE ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
    } else if (fs.taken == fs.total && res.finding.kind == DR_FIND_NONE) {
        printf("replay       no longer reproduces: the schedule was followed to its end (%zu decisions%s) and "
               "the tape's finding did not happen\n",
               fs.total, unplayable);
        out = DR_EXIT_GONE;
    } else if (fs.taken == fs.total) {
        printf("replay       changed: the schedule was followed to its end (%zu decisions%s); the run found [%s] %s "
               "instead of the tape's finding\n",
               fs.total, unplayable, dr_finding_kind_name(res.finding.kind),
               dr_text_esc(res.finding.title, title, sizeof title));
        out = DR_EXIT_CHANGED;
    } else {
        lost = &t->intent[fs.taken];
        char a[800], b[200];
        printf("replay       lost: the schedule could not be followed from step %llu (decision %zu of %zu): the run "
               "never reached %s, where the tape picks %s%s%s%s\n",
               (unsigned long long)lost->step, fs.taken + 1, fs.total, intent_text(lost, a, sizeof a),
               pick_text(lost, b, sizeof b),
               res.finding.kind != DR_FIND_NONE ? " (it ended first, in a finding of kind " : "",
               res.finding.kind != DR_FIND_NONE ? dr_finding_kind_name(res.finding.kind) : "",
               res.finding.kind != DR_FIND_NONE ? ")" : "");
        if (lost->func[0])
            printf("lost at      %s:%u %s\n", lost->file, lost->line, lost->func);
        out = DR_EXIT_LOST;
    }
    /* the followed run's timeline, before a continuation's runs replace its trace */
    if (timeline && write_timeline(timeline, s, t, path, &res) != 0)
        out = DR_EXIT_INTERNAL;
    if (lost && cont_runs)
        continue_lost(s, t, fs.taken, cont_runs);
    return out;
}

int dr_cmd_replay(int argc, char **argv)
{
    const char *path = NULL, *timeline = NULL;
    bool trace = false, exact_only = false, update = false;
    uint64_t cont_runs = 200;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--trace") == 0)
            trace = true;
        else if (strcmp(argv[i], "--exact") == 0)
            exact_only = true;
        else if (strcmp(argv[i], "--update") == 0)
            update = true;
        else if (strcmp(argv[i], "--continue") == 0) {
            if (i + 1 >= argc || !dr_cli_parse_u64(argv[++i], 0, 100000000, &cont_runs))
                return dr_cli_usage_error("--continue takes a number of executions (0: none)");
        } else if (strcmp(argv[i], "--exec-timeout") == 0) {
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
    if (t.other_build) {
        if (exact_only) {
            fprintf(stderr, "dmarace: %s: recorded by another build flavour (this one is %s): no exact replay\n", path,
                    dr_build_flavor());
            dr_tape_free(&t);
            return DR_EXIT_USAGE;
        }
        char why[300];
        snprintf(why, sizeof why, "not tried: the tape was recorded by another build flavour (this one is %s)",
                 dr_build_flavor());
        int out = follow(path, s, &t, why, trace, timeline, cont_runs);
        dr_tape_free(&t);
        return out;
    }
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
    if (!same && !race && t.has_intent && !exact_only) {
        /* The exact replay went another way (the driver was edited, or this
         * is another build): follow the schedule by meaning. */
        dr_strategy_destroy(strat);
        int out = follow(path, s, &t, why, trace, timeline, cont_runs);
        dr_tape_free(&t);
        return out;
    }
    print_header(path, s, &t, res.steps, res.preemptions);
    if (trace) {
        printf("trace:\n");
        dr_trace_print(stdout, dr_where_suffix);
        if (t.has_intent)
            dr_cli_print_intent(stdout, &t);
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
        if (update && !t.has_intent) {
            /* this traced run recorded the decisions by meaning: the tape keeps them */
            char err[512];
            if (dr_last_intent(&t) != 0) {
                fprintf(stderr, "dmarace: %s: the decisions by meaning could not be recorded\n", path);
                out = DR_EXIT_INTERNAL;
            } else if (dr_tape_save(path, &t, err, sizeof err) != 0) {
                fprintf(stderr, "dmarace: %s\n", err);
                out = DR_EXIT_INTERNAL;
            } else {
                printf("updated      %s: %zu decisions by meaning added (tape version 5)\n", path, t.nintent);
            }
        }
        if (timeline && write_timeline(timeline, s, &t, path, &res) != 0)
            out = DR_EXIT_INTERNAL; /* could not write an output file: 3, like run and minimize */
    }
    dr_tape_free(&t);
    return out;
}
