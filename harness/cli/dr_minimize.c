/* dr_minimize.c: dmarace minimize: shrink a failing tape, keeping its
 * finding.
 *
 * Minimizing is delta debugging over the tape's list of choices. A candidate
 * list is run with the values strategy (choice i takes the list's value when
 * it still fits, else 0, the non-preempting default; 0 after the list ends)
 * and the choices the run really took are re-recorded (dr_last_tape). A
 * candidate is kept when it gives the same finding (kind and title, the dedup
 * key), is no longer than the original (steps, choices) and is smaller in
 * the order: preemptions, non-default choices (events, data choices), steps,
 * choices. Passes, repeated until none changes
 * anything: truncation, removal of chunks of choices (halving the chunk size
 * down to one), and setting chunks of choices to 0 (which removes preemptions
 * and events). The result is a re-recorded tape, so it replays bit for bit. */
#include "dr_cli.h"
#include "dr_explain.h"
#include "dr_supervise.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    dr_tape_rec *rec;
    size_t n;
    uint64_t steps, preemptions, nonzero;
} cand;

typedef struct {
    const dr_scenario *s;
    const dr_tape *orig;
    uint64_t key;
    dr_finding_kind kind;
    uint64_t runs, max_runs;
    cand first, best;
} minimizer;

static uint64_t count_nonzero(const dr_tape_rec *r, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += r[i].value != 0;
    return k;
}

/* Runs a candidate list; keeps it (re-recorded) if it is better. */
static bool try_candidate(minimizer *m, const dr_tape_rec *rec, size_t n)
{
    if (m->runs >= m->max_runs)
        return false;
    m->runs++;
    dr_strategy *st = dr_strategy_values(rec, n);
    if (!st)
        return false;
    /* A candidate longer than the original is of no use: stop it there (a
     * livelock is its own finding, so its budget stays the default). */
    dr_run_config cfg = {.cpus = m->orig->cpus,
                         .step_budget = m->kind == DR_FIND_LIVELOCK ? 0 : m->first.steps + 1};
    dr_exec_result res;
    int rc = dr_sup_run(m->s, &cfg, st, m->orig->exec_index, &res);
    dr_strategy_destroy(st);
    if (rc != 0 || res.diverged || res.finding.kind != m->kind ||
        dr_finding_key(res.finding.kind, res.finding.title) != m->key)
        return false;
    dr_tape t;
    dr_sup_last_tape(&t, m->s, m->orig->cpus, DR_STRAT_TAPE, m->orig->seed, m->orig->exec_index, &res);
    cand c = {t.rec, t.nrec, res.steps, res.preemptions, count_nonzero(t.rec, t.nrec)};
    /* Never longer than the original; better in the order preemptions,
     * non-default choices (events, data), steps, choices. */
    const cand *o = &m->first, *b = &m->best;
    bool le = c.steps <= o->steps && c.n <= o->n;
    bool lt = c.preemptions != b->preemptions ? c.preemptions < b->preemptions
              : c.nonzero != b->nonzero       ? c.nonzero < b->nonzero
              : c.steps != b->steps           ? c.steps < b->steps
                                              : c.n < b->n;
    if (le && lt) {
        free(m->best.rec);
        m->best = c;
        return true;
    }
    free(t.rec);
    return false;
}

static bool pass_truncate(minimizer *m)
{
    static const unsigned sixteenths[] = {0, 1, 2, 4, 8, 12, 14, 15};
    size_t n = m->best.n;
    for (size_t i = 0; i < sizeof sixteenths / sizeof sixteenths[0]; i++) {
        size_t k = n * sixteenths[i] / 16;
        if (k < n && try_candidate(m, m->best.rec, k))
            return true;
    }
    return false;
}

static bool pass_chunks(minimizer *m, bool zero)
{
    bool changed = false;
    dr_tape_rec *buf = NULL;
    for (size_t chunk = m->best.n / 2 ? m->best.n / 2 : 1; chunk >= 1 && m->runs < m->max_runs; chunk /= 2) {
        for (size_t start = 0; start < m->best.n && m->runs < m->max_runs;) {
            size_t n = m->best.n, end = start + chunk < n ? start + chunk : n;
            dr_tape_rec *nb = realloc(buf, (n ? n : 1) * sizeof *buf);
            if (!nb)
                break;
            buf = nb;
            size_t len;
            if (zero) {
                if (count_nonzero(m->best.rec + start, end - start) == 0) {
                    start += chunk;
                    continue;
                }
                memcpy(buf, m->best.rec, n * sizeof *buf);
                for (size_t i = start; i < end; i++)
                    buf[i].value = 0;
                len = n;
            } else {
                memcpy(buf, m->best.rec, start * sizeof *buf);
                memcpy(buf + start, m->best.rec + end, (n - end) * sizeof *buf);
                len = n - (end - start);
            }
            if (try_candidate(m, buf, len))
                changed = true; /* the list changed: try the same position again */
            else
                start += chunk;
        }
        if (chunk == 1)
            break;
    }
    free(buf);
    return changed;
}

int dr_cmd_minimize(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    uint64_t max_runs = 20000;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return dr_cli_usage_error("-o takes an output tape");
            out = argv[++i];
        } else if (strcmp(argv[i], "--exec-timeout") == 0) {
            if (i + 1 >= argc || !dr_cli_parse_seconds(argv[++i], &dr_sup_exec_timeout))
                return dr_cli_usage_error("--exec-timeout takes a number of seconds > 0");
        } else if (strcmp(argv[i], "--max-runs") == 0) {
            if (i + 1 >= argc || !dr_cli_parse_u64(argv[i + 1], 1, UINT64_MAX / 2, &max_runs))
                return dr_cli_usage_error("--max-runs takes a whole number >= 1, not '%s'",
                                          i + 1 < argc ? argv[i + 1] : "");
            i++;
        } else if (argv[i][0] == '-') {
            return dr_cli_usage_error("unknown option '%s'", argv[i]);
        } else if (path) {
            return dr_cli_usage_error("minimize takes one tape, not also '%s'", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return dr_cli_usage_error("minimize needs a tape file");
    char outbuf[4200];
    if (!out) {
        size_t n = strlen(path);
        if (n > 5 && strcmp(path + n - 5, ".tape") == 0)
            snprintf(outbuf, sizeof outbuf, "%.*s-min.tape", (int)(n - 5), path);
        else
            snprintf(outbuf, sizeof outbuf, "%s-min.tape", path);
        out = outbuf;
    }
    if (!dr_cli_output_ok(out))
        return DR_EXIT_USAGE;
    dr_tape t;
    const dr_scenario *s = dr_cli_load_tape(path, &t);
    if (!s)
        return DR_EXIT_USAGE;
    double t0 = dr_cli_now();
    dr_sup_isolate = dr_sup_wanted(&t); /* every run in a child: the tape's run kills its process */
    dr_exec_result res;
    if (dr_report_rerun(s, &t, 0, &res) != 0) {
        dr_tape_free(&t);
        return DR_EXIT_USAGE;
    }
    if (res.finding.kind == DR_FIND_NONE) {
        fprintf(stderr, "dmarace: %s: the tape's run finds nothing, so there is nothing to minimize\n", path);
        dr_tape_free(&t);
        return DR_EXIT_USAGE;
    }
    cand first = {NULL, t.nrec, res.steps, res.preemptions, count_nonzero(t.rec, t.nrec)};
    minimizer m = {s, &t, dr_finding_key(res.finding.kind, res.finding.title), res.finding.kind, 0, max_runs,
                   first, first};
    m.best.rec = malloc((t.nrec ? t.nrec : 1) * sizeof *t.rec);
    if (!m.best.rec) {
        dr_tape_free(&t);
        fprintf(stderr, "dmarace: out of memory\n");
        return DR_EXIT_INTERNAL;
    }
    memcpy(m.best.rec, t.rec, t.nrec * sizeof *t.rec);
    cand before = m.first;
    bool changed = true;
    while (changed && m.runs < m.max_runs) {
        changed = pass_truncate(&m);
        changed |= pass_chunks(&m, false);
        changed |= pass_chunks(&m, true);
    }
    /* The result: the last kept candidate, re-recorded; re-run it with the
     * replay strategy to check it reproduces bit for bit (and for the report). */
    dr_tape mt = t;
    mt.rec = m.best.rec;
    mt.nrec = m.best.n;
    mt.strategy = DR_STRAT_TAPE;
    mt.intent = NULL; /* the original's decisions by meaning are not the minimized run's */
    mt.pool = NULL;
    mt.nintent = 0;
    mt.has_intent = false;
    int rc = DR_EXIT_CLEAN;
    {
        dr_strategy *st = dr_strategy_values(m.best.rec, m.best.n);
        dr_run_config cfg = {.cpus = t.cpus};
        dr_exec_result r2;
        if (!st || dr_sup_run(s, &cfg, st, t.exec_index, &r2) != 0) {
            rc = DR_EXIT_INTERNAL;
        } else {
            mt.trace_digest = r2.digest;
        }
        dr_strategy_destroy(st);
    }
    dr_exec_result fin;
    if (rc == DR_EXIT_CLEAN && dr_report_rerun(s, &mt, 0, &fin) != 0)
        rc = DR_EXIT_INTERNAL;
    if (rc == DR_EXIT_CLEAN && dr_finding_key(fin.finding.kind, fin.finding.title) != m.key) {
        fprintf(stderr, "dmarace: internal error: the minimized tape gives another finding\n");
        rc = DR_EXIT_INTERNAL;
    }
    char err[512], note[4400];
    if (rc == DR_EXIT_CLEAN) {
        snprintf(note, sizeof note,
                 "minimized from %s: %" PRIu64 " -> %" PRIu64 " steps, %" PRIu64 " -> %" PRIu64 " preemptions",
                 path, before.steps, fin.steps, before.preemptions, fin.preemptions);
        dr_report_intent(&mt); /* the traced re-run's decisions by meaning (version 5) */
        if (dr_tape_save(out, &mt, err, sizeof err) != 0) {
            fprintf(stderr, "dmarace: %s\n", err);
            rc = DR_EXIT_INTERNAL; /* could not write an output file: 3, like run */
        } else {
            dr_report_info info = {s, &mt, out, &fin, note};
            if (dr_report_write(&info) != 0)
                rc = DR_EXIT_INTERNAL;
        }
    }
    if (rc == DR_EXIT_CLEAN) {
        printf("tape         %s\n", path);
        dr_cli_print_finding(&fin.finding);
        printf("before       %zu choices, %" PRIu64 " steps, %" PRIu64 " preemptions, %" PRIu64
               " non-default choices\n",
               before.n, before.steps, before.preemptions, before.nonzero);
        printf("after        %zu choices, %" PRIu64 " steps, %" PRIu64 " preemptions, %" PRIu64
               " non-default choices\n",
               m.best.n, fin.steps, fin.preemptions, m.best.nonzero);
        printf("runs         %" PRIu64 " candidate executions in %.2f s%s\n", m.runs, dr_cli_now() - t0,
               m.runs >= m.max_runs ? " (stopped at --max-runs)" : "");
        char cmd[8600];
        printf("minimized    %s (same finding; replay: %s)\n", out, dr_cli_replay_command(out, true, cmd, sizeof cmd));
        /* the traced re-run above is the minimized tape's: its schedule in words */
        dr_explain_item ex[DR_EXPLAIN_SHOWN];
        size_t total, nex = dr_explain(ex, DR_EXPLAIN_SHOWN, &total);
        dr_explain_text(stdout, ex, nex, total, m.best.n, out);
    }
    free(m.best.rec);
    free(mt.intent);
    free(mt.pool);
    dr_tape_free(&t);
    return rc;
}
