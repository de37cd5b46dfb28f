/* dr_report.c: what a finding looks like on disk, and dmarace show.
 *
 * Next to a finding's tape <base>.tape:
 *   <base>.txt         the report: what broke in KMDF's terms, the story per
 *                      simulated processor, the replay command
 *   <base>.json        the same facts for programs
 *   <base>.trace.json  Chrome Trace Event timeline (ui.perfetto.dev,
 *                      chrome://tracing): one track per processor, ts = step in µs
 *   <base>.sarif       SARIF 2.1.0 for code scanning: one thread flow per processor
 * Every file is written atomically (temporary file, fsync, rename). The
 * story is dr_story.c's, the timeline dr_timeline.c's, the SARIF
 * dr_sarif.c's (dr_story.h); the text, the JSON and show are here. */
#include "dr_cli.h"
#include "dr_story.h"
#include "dr_explain.h"
#include "dr_rootcause.h"
#include "dr_supervise.h"
#include "dr_where.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- re-running a tape for its report ------------------------------------------------- */

bool dr_report_same_finding(const dr_tape *t, const dr_finding *f, char *why, size_t len)
{
    if (f->kind == t->finding && (f->kind == DR_FIND_NONE || strcmp(f->title, t->title) == 0))
        return true;
    char a[DR_CLI_ESC_TITLE], b[DR_CLI_ESC_TITLE];
    snprintf(why, len, "the tape records %s%s%s%s, the run found %s%s%s%s",
             t->finding == DR_FIND_NONE ? "no finding" : "[", t->finding == DR_FIND_NONE ? "" : dr_finding_kind_name(t->finding),
             t->finding == DR_FIND_NONE ? "" : "] ", t->finding == DR_FIND_NONE ? "" : dr_text_esc(t->title, a, sizeof a),
             f->kind == DR_FIND_NONE ? "none" : "[", f->kind == DR_FIND_NONE ? "" : dr_finding_kind_name(f->kind),
             f->kind == DR_FIND_NONE ? "" : "] ", f->kind == DR_FIND_NONE ? "" : dr_text_esc(f->title, b, sizeof b));
    return false;
}

int dr_report_rerun(const dr_scenario *s, const dr_tape *t, uint64_t step_budget, dr_exec_result *res)
{
    size_t nw = dr_window_count();
    uint64_t saved[DR_MAX_WINDOWS][2];
    for (size_t i = 0; i < nw; i++) {
        saved[i][0] = dr_window_hits(i);
        saved[i][1] = dr_window_possible_count(i);
    }
    dr_strategy *st = dr_strategy_replay(t);
    if (!st) {
        fprintf(stderr, "dmarace: out of memory\n");
        return -1;
    }
    dr_run_config cfg = {.cpus = t->cpus, .step_budget = step_budget, .trace = true};
    int rc = dr_sup_run(s, &cfg, st, t->exec_index, res);
    char why[2048] = "the run failed";
    if (rc == 0 && (!dr_sup_replay_verify(t, st, res, why, sizeof why) ||
                    !dr_report_same_finding(t, &res->finding, why, sizeof why)))
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "dmarace: the report's re-run of the tape did not reproduce it: %s\n", why);
    dr_strategy_destroy(st);
    for (size_t i = 0; i < nw; i++)
        dr_window_set_counts(i, saved[i][0], saved[i][1]);
    return rc;
}

bool dr_report_intent(dr_tape *t) { return !dr_sup_last_isolated() && dr_last_intent(t) == 0; }

/* ---- the files ------------------------------------------------------------------------ */

void dr_report_base(const char *tape_path, char *out, size_t len)
{
    snprintf(out, len, "%s", tape_path);
    size_t n = strlen(out);
    if (n > 5 && strcmp(out + n - 5, ".tape") == 0)
        out[n - 5] = 0;
}

/* A stable rule id: dmarace/<rule> for the check the model or the engine
 * named (V15, C11, QSTOP1, DEADLOCK: the finding's rule field, never parsed
 * from its title); a finding raised without one (a scenario's own dr_fail)
 * gets dmarace/<kind>/<a slug of its title>. */
void dr_report_rule_id(const dr_finding *fd, char *out, size_t len)
{
    if (fd->rule[0]) {
        snprintf(out, len, "dmarace/%s", fd->rule);
        return;
    }
    char slug[48];
    size_t k = 0;
    bool dash = false;
    for (const char *p = fd->title; *p && k + 1 < sizeof slug; p++) {
        if (isalnum((unsigned char)*p)) {
            slug[k++] = (char)tolower((unsigned char)*p);
            dash = false;
        } else if (!dash && k) {
            slug[k++] = '-';
            dash = true;
        }
    }
    while (k && slug[k - 1] == '-')
        k--;
    slug[k] = 0;
    snprintf(out, len, "dmarace/%s/%s", dr_finding_kind_name(fd->kind), k ? slug : "finding");
}

const char *dr_report_where(const dr_finding *f, char *buf, size_t len)
{
    char task[200], at[400] = "";
    dr_srcloc loc;
    if (dr_where(f->pc, f->npc, &loc)) {
        char func[200], file[600];
        snprintf(at, sizeof at, ", %s:%d in %s", dr_text_esc(loc.file, file, sizeof file), loc.line,
                 dr_text_esc(loc.func, func, sizeof func));
    }
    if (f->task)
        snprintf(buf, len, "at step %" PRIu64 " on P%u in %s%s", f->step, f->cpu,
                 dr_text_esc(f->task_name, task, sizeof task), at);
    else
        snprintf(buf, len, "after step %" PRIu64 ", at the end of the execution%s", f->step, at);
    return buf;
}

/* A driver source location as JSON: {"function", "file", "line"}, or null. */
static void json_put_loc(FILE *f, const dr_srcloc *l, bool has)
{
    if (!has) {
        fputs("null", f);
        return;
    }
    fputs("{\"function\": ", f);
    dr_json_put_str(f, l->func);
    fputs(", \"file\": ", f);
    dr_json_put_str(f, l->file);
    fprintf(f, ", \"line\": %d}", l->line);
}

static char *text_report(const dr_report_info *in, const story_item *items, size_t nitems, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    const dr_finding *fd = &in->res->finding;
    const dr_tape *t = in->tape;
    char where[700], rule[96];
    dr_report_rule_id(fd, rule, sizeof rule);
    fprintf(f, "dmarace finding report\n\n");
    fprintf(f, "scenario     %s (%u processors): %s\n", in->scn->name, t->cpus, in->scn->summary);
    if (t->env[0]) {
        char esc[DR_ENV_MAX * 4 + 1];
        fprintf(f, "env          %s (--env, on top of the scenario's environment)\n",
                dr_text_esc(t->env, esc, sizeof esc));
    }
    if (fd->kind != DR_FIND_NONE) {
        char esc[DR_CLI_ESC_MESSAGE];
        fprintf(f, "finding      [%s] %s\n", dr_finding_kind_name(fd->kind), dr_text_esc(fd->title, esc, sizeof esc));
        fprintf(f, "             %s\n", dr_text_esc(fd->message, esc, sizeof esc));
        fprintf(f, "             %s\n", dr_report_where(fd, where, sizeof where));
        dr_related o;
        char other[1200];
        if (dr_related_of(fd, &o))
            fprintf(f, "related      %s\n", dr_related_text(&o, other, sizeof other));
        fprintf(f, "rule         %s (dedup key %016" PRIx64 ")\n", rule,
                dr_finding_key(fd->kind, fd->title));
    } else {
        fprintf(f, "finding      none\n");
    }
    fprintf(f, "found by     %s seed %" PRIu64 ", execution %" PRIu64 "\n",
            dr_strategy_kind_name((dr_strategy_kind)t->strategy), t->seed, t->exec_index);
    if (in->note)
        fprintf(f, "             %s\n", in->note);
    fprintf(f, "tape         %s: %zu choices, %" PRIu64 " steps, %" PRIu64 " preemptions, digest %016" PRIx64 "\n",
            in->tape_path, t->nrec, in->res->steps, in->res->preemptions, in->res->digest);
    fprintf(f, "build        dmarace %s, flavour %s (the tape replays in this flavour)\n", DR_VERSION,
            dr_build_flavor());
    char cmd[8600];
    fprintf(f, "replay       %s\n\n", dr_cli_replay_command(in->tape_path, true, cmd, sizeof cmd));
    if (fd->kind != DR_FIND_NONE) {
        dr_explain_item ex[DR_EXPLAIN_SHOWN];
        size_t total, nex = dr_explain(ex, DR_EXPLAIN_SHOWN, &total);
        dr_explain_text(f, ex, nex, total, t->nrec, in->tape_path);
    }
    fprintf(f, "what each processor did, in order (step numbers; driver memory accesses and scheduling\n"
               "points where nothing switched are left out: dmarace replay --trace shows every step):\n");
    dr_story_print(f, items, nitems);
    fprintf(f, "\nend of report\n");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *json_report(const dr_report_info *in, const char *base, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    const dr_finding *fd = &in->res->finding;
    const dr_tape *t = in->tape;
    char cmd[8600], path[4200], rule[96];
    dr_report_rule_id(fd, rule, sizeof rule);
    fprintf(f, "{\n  \"tool\": \"dmarace\",\n  \"version\": ");
    dr_json_put_str(f, DR_VERSION);
    fprintf(f, ",\n  \"flavour\": ");
    dr_json_put_str(f, dr_build_flavor());
    fprintf(f, ",\n  \"scenario\": ");
    dr_json_put_str(f, in->scn->name);
    if (t->env[0]) {
        fprintf(f, ",\n  \"env\": ");
        dr_json_put_str(f, t->env);
    }
    fprintf(f, ",\n  \"cpus\": %u,\n  \"strategy\": ", t->cpus);
    dr_json_put_str(f, dr_strategy_kind_name((dr_strategy_kind)t->strategy));
    fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"execution\": %" PRIu64 ",\n  \"finding\": {\"kind\": ", t->seed,
            t->exec_index);
    dr_json_put_str(f, dr_finding_kind_name(fd->kind));
    fprintf(f, ", \"title\": ");
    dr_json_put_str(f, fd->title);
    fprintf(f, ", \"message\": ");
    dr_json_put_str(f, fd->message);
    fprintf(f, ", \"step\": %" PRIu64 ", \"task\": %" PRIu32 ", \"cpu\": %u, \"rule\": ", fd->step, fd->task, fd->cpu);
    dr_json_put_str(f, rule);
    dr_srcloc loc;
    bool has = dr_where(fd->pc, fd->npc, &loc);
    fprintf(f, ", \"location\": ");
    json_put_loc(f, &loc, has);
    dr_related o;
    bool related = dr_related_of(fd, &o);
    if (related && o.race) {
        fprintf(f, ", \"related\": {\"what\": ");
        dr_json_put_str(f, o.what);
        fprintf(f, ", \"location\": ");
        json_put_loc(f, &o.loc, o.has_loc);
        fputc('}', f);
    } else if (related) {
        fprintf(f, ", \"related\": {\"what\": ");
        dr_json_put_str(f, o.what);
        fprintf(f, ", \"task\": %" PRIu32 ", \"task_name\": ", o.task);
        dr_json_put_str(f, o.task_name);
        fprintf(f, ", \"cpu\": %u, \"step\": %" PRIu64 ", \"ddi\": ", o.cpu, o.step);
        dr_json_put_str(f, o.ddi);
        fprintf(f, ", \"object\": ");
        dr_json_put_str(f, o.object);
        fprintf(f, ", \"location\": ");
        json_put_loc(f, &o.loc, o.has_loc);
        fputc('}', f);
    }
    fprintf(f, ", \"key\": \"%016" PRIx64 "\"},\n  \"replay\": ", dr_finding_key(fd->kind, fd->title));
    dr_cli_replay_command(in->tape_path, true, cmd, sizeof cmd);
    dr_json_put_str(f, cmd);
    fprintf(f, ",\n  \"tape\": ");
    dr_json_put_str(f, in->tape_path);
    fprintf(f, ",\n  \"choices\": %zu,\n  \"steps\": %" PRIu64 ",\n  \"preemptions\": %" PRIu64
               ",\n  \"digest\": \"%016" PRIx64 "\",\n",
            t->nrec, in->res->steps, in->res->preemptions, in->res->digest);
    if (fd->kind != DR_FIND_NONE) {
        /* the choices off their default, told with their driver lines (dr_explain.h) */
        dr_explain_item ex[DR_EXPLAIN_SHOWN];
        size_t total, nex = dr_explain(ex, DR_EXPLAIN_SHOWN, &total);
        fprintf(f, "  \"schedule\": {\"off_default\": %zu, \"last\": [", total);
        for (size_t i = 0; i < nex; i++) {
            fprintf(f, "%s\n    {\"step\": %" PRIu64 ", \"choice\": %" PRIu32 ", \"text\": ", i ? "," : "", ex[i].step,
                    ex[i].choice);
            dr_json_put_str(f, ex[i].text);
            fprintf(f, ", \"location\": ");
            json_put_loc(f, &ex[i].loc, ex[i].has_loc);
            fputc('}', f);
        }
        fprintf(f, "]},\n");
    }
    fprintf(f, "  \"note\": ");
    if (in->note)
        dr_json_put_str(f, in->note);
    else
        fputs("null", f);
    fprintf(f, ",\n  \"report\": ");
    snprintf(path, sizeof path, "%s.txt", base);
    dr_json_put_str(f, path);
    fprintf(f, ",\n  \"timeline\": ");
    snprintf(path, sizeof path, "%s.trace.json", base);
    dr_json_put_str(f, path);
    fprintf(f, ",\n  \"sarif\": ");
    snprintf(path, sizeof path, "%s.sarif", base);
    dr_json_put_str(f, path);
    fprintf(f, "\n}\n");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static const char *jstr(const dr_json *o, const char *k)
{
    const dr_json *v = dr_json_get(o, k);
    return v && v->type == DR_J_STR ? v->str : NULL;
}

/* "file:line in function" of a report's finding.location (JSON), or false. */
static bool json_location_text(const dr_json *fd, char *out, size_t len)
{
    const dr_json *loc = dr_json_get(fd, "location");
    const dr_json *file = dr_json_get(loc, "file"), *line = dr_json_get(loc, "line"), *fn = dr_json_get(loc, "function");
    if (!loc || loc->type != DR_J_OBJ || !file || file->type != DR_J_STR || !line || line->type != DR_J_NUM ||
        !fn || fn->type != DR_J_STR)
        return false;
    char f[600], g[200];
    snprintf(out, len, "%s:%.0f in %s", dr_text_esc(file->str, f, sizeof f), line->num, dr_text_esc(fn->str, g, sizeof g));
    return true;
}

bool dr_report_facts(const char *tape_path, dr_rc_item *it)
{
    char base[4096], path[4200], err[256];
    dr_report_base(tape_path, base, sizeof base);
    snprintf(path, sizeof path, "%s.json", base);
    uint8_t *buf;
    size_t n;
    it->where[0] = it->other[0] = 0;
    it->steps = 0;
    if (!dr_cli_read_file(path, &buf, &n, err, sizeof err))
        return false;
    dr_json *j = dr_json_parse((const char *)buf, n, err, sizeof err);
    free(buf);
    const dr_json *st = dr_json_get(j, "steps");
    bool ok = j && st && st->type == DR_J_NUM;
    if (ok) {
        it->steps = (uint64_t)st->num;
        const dr_json *fd = dr_json_get(j, "finding");
        if (!json_location_text(fd, it->where, sizeof it->where))
            it->where[0] = 0;
        const dr_json *rel = dr_json_get(fd, "related");
        char where[900];
        if (json_location_text(rel, where, sizeof where) && jstr(rel, "what")) {
            char what[200];
            snprintf(it->other, sizeof it->other, "%s at %s", dr_text_esc(jstr(rel, "what"), what, sizeof what), where);
        } else {
            it->other[0] = 0;
        }
    }
    dr_json_free(j);
    return ok;
}

int dr_report_write(const dr_report_info *in)
{
    char base[4096], path[4200];
    dr_report_base(in->tape_path, base, sizeof base);
    struct {
        const char *ext;
        char *data;
        size_t len;
    } files[4] = {{".txt", NULL, 0}, {".json", NULL, 0}, {".trace.json", NULL, 0}, {".sarif", NULL, 0}};
    /* The story, built once from the traced run, for the text, the timeline and the SARIF. */
    size_t nitems;
    story_item *items = dr_story_build(&in->res->finding, &nitems);
    files[0].data = items ? text_report(in, items, nitems, &files[0].len) : NULL;
    files[1].data = json_report(in, base, &files[1].len);
    files[2].data = dr_report_timeline_of(in, items, nitems);
    files[2].len = files[2].data ? strlen(files[2].data) : 0;
    files[3].data = items ? dr_report_sarif_of(in, items, nitems, &files[3].len) : NULL;
    free(items);
    int rc = 0, written = 0;
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", base, files[i].ext);
        if (!files[i].data) {
            fprintf(stderr, "dmarace: out of memory writing %s\n", path);
            rc = -1;
        } else if (rc == 0 && dr_cli_write_atomic(path, files[i].data, files[i].len) != 0) {
            rc = -1;
        } else if (rc == 0) {
            written++;
        }
        free(files[i].data);
    }
    /* All four or none (a full disk): what the summary lists is on disk, and
     * there is no half set of reports next to a tape. */
    for (int i = 0; rc != 0 && i < written; i++) {
        snprintf(path, sizeof path, "%s%s", base, files[i].ext);
        unlink(path);
    }
    return rc;
}

/* ---- show ------------------------------------------------------------------------------- */

static const char text_magic[] = "dmarace finding report\n";
static const char text_end[] = "\nend of report\n";

static int show_text(const char *path, const char *buf, size_t len)
{
    size_t el = strlen(text_end);
    if (len < el || memcmp(buf + len - el, text_end, el) != 0) {
        fprintf(stderr, "dmarace: %s: truncated report (it does not end with 'end of report')\n", path);
        return DR_EXIT_USAGE;
    }
    dr_text_put(stdout, buf, len); /* a report is text: no terminal escape gets through */
    return DR_EXIT_CLEAN;
}

static int show_json(const char *path, const char *buf, size_t len)
{
    char err[256];
    dr_json *j = dr_json_parse(buf, len, err, sizeof err);
    if (!j) {
        fprintf(stderr, "dmarace: %s: not a readable JSON report: %s\n", path, err);
        return DR_EXIT_USAGE;
    }
    const char *tool = jstr(j, "tool");
    const dr_json *fd = dr_json_get(j, "finding");
    const dr_json *step = dr_json_get(fd, "step"), *steps = dr_json_get(j, "steps"), *pre = dr_json_get(j, "preemptions");
    if (!tool || strcmp(tool, "dmarace") != 0 || !fd || fd->type != DR_J_OBJ || !jstr(fd, "kind") ||
        !jstr(fd, "title") || !jstr(j, "scenario") || !jstr(j, "replay") || !step || step->type != DR_J_NUM ||
        !steps || steps->type != DR_J_NUM || !pre || pre->type != DR_J_NUM) {
        fprintf(stderr, "dmarace: %s: JSON, but not a dmarace finding report\n", path);
        dr_json_free(j);
        return DR_EXIT_USAGE;
    }
    /* Every string is the file's: printed escaped. */
    const char *msg = jstr(fd, "message"), *note = jstr(j, "note"), *txt = jstr(j, "report");
    const char *tape = jstr(j, "tape"), *digest = jstr(j, "digest");
    fputs("scenario     ", stdout);
    dr_text_put_esc(stdout, jstr(j, "scenario"));
    fputs("\nfinding      [", stdout);
    dr_text_put_esc(stdout, jstr(fd, "kind"));
    fputs("] ", stdout);
    dr_text_put_esc(stdout, jstr(fd, "title"));
    if (msg) {
        fputs("\n             ", stdout);
        dr_text_put_esc(stdout, msg);
        printf(" (step %.0f)", step->num);
    }
    if (note) {
        fputs("\n             ", stdout);
        dr_text_put_esc(stdout, note);
    }
    char where[900];
    if (json_location_text(fd, where, sizeof where))
        printf("\nwhere        %s", where); /* escaped by json_location_text */
    const dr_json *rel = dr_json_get(fd, "related");
    if (rel && rel->type == DR_J_OBJ && jstr(rel, "what") && !jstr(rel, "ddi")) {
        fputs("\nrelated      raced with ", stdout);
        dr_text_put_esc(stdout, jstr(rel, "what"));
        if (json_location_text(rel, where, sizeof where))
            printf(" at %s", where);
    } else if (rel && rel->type == DR_J_OBJ && jstr(rel, "what") && jstr(rel, "ddi")) {
        fputs("\nrelated      ", stdout);
        dr_text_put_esc(stdout, jstr(rel, "task_name") ? jstr(rel, "task_name") : "?");
        fputs(" ", stdout);
        dr_text_put_esc(stdout, jstr(rel, "what"));
        fputs(": ", stdout);
        dr_text_put_esc(stdout, jstr(rel, "ddi"));
        if (jstr(rel, "object") && jstr(rel, "object")[0]) {
            fputs(" ", stdout);
            dr_text_put_esc(stdout, jstr(rel, "object"));
        }
        if (json_location_text(rel, where, sizeof where))
            printf(" at %s", where);
    }
    fputs("\ntape         ", stdout);
    dr_text_put_esc(stdout, tape ? tape : "?");
    printf(": %.0f steps, %.0f preemptions, digest ", steps->num, pre->num);
    dr_text_put_esc(stdout, digest ? digest : "?");
    fputs("\nreplay       ", stdout);
    dr_text_put_esc(stdout, jstr(j, "replay"));
    fputs("\n", stdout);
    const dr_json *sched = dr_json_get(j, "schedule"), *off = dr_json_get(sched, "off_default");
    const dr_json *last = dr_json_get(sched, "last");
    if (off && off->type == DR_J_NUM && last && last->type == DR_J_ARR) {
        size_t shown = 0;
        for (const dr_json *s = last->child; s; s = s->next)
            shown++;
        printf("how it happens: %.0f choices off their default%s\n", off->num,
               (double)shown < off->num ? ", the last ones:" : ":");
        for (const dr_json *s = last->child; s; s = s->next) {
            const dr_json *st = dr_json_get(s, "step");
            const char *text = jstr(s, "text");
            if (!text || !st || st->type != DR_J_NUM)
                continue;
            printf("  step %-6.0f ", st->num);
            dr_text_put_esc(stdout, text);
            fputc('\n', stdout);
        }
    }
    if (txt) {
        fputs("story        ", stdout);
        dr_text_put_esc(stdout, txt);
        fputs(" (dmarace show ", stdout);
        dr_text_put_esc(stdout, txt);
        fputs(")\n", stdout);
    }
    dr_json_free(j);
    return DR_EXIT_CLEAN;
}

int dr_cmd_show(int argc, char **argv)
{
    if (argc != 1 || argv[0][0] == '-')
        return argc == 0 ? dr_cli_usage_error("show needs a report file")
                         : dr_cli_usage_error(argv[0][0] == '-' ? "unknown option '%s'" : "show takes one file, not also '%s'",
                                              argv[argc > 1 ? 1 : 0]);
    const char *path = argv[0];
    uint8_t *buf;
    size_t len;
    char err[4400];
    if (!dr_cli_read_file(path, &buf, &len, err, sizeof err)) {
        fprintf(stderr, "dmarace: %s\n", err);
        return DR_EXIT_USAGE;
    }
    int rc;
    const char *b = (const char *)buf;
    if (len >= 4 && memcmp(b, "DRTP", 4) == 0) {
        /* A tape: its text report sits next to it. */
        char base[4096], txt[4200];
        dr_report_base(path, base, sizeof base);
        snprintf(txt, sizeof txt, "%s.txt", base);
        uint8_t *tb;
        size_t tl;
        struct stat st;
        char cmd[8600];
        if (!dr_cli_read_file(txt, &tb, &tl, err, sizeof err)) {
            if (stat(txt, &st) == 0) /* there, but not readable (a FIFO, a directory) */
                fprintf(stderr, "dmarace: %s\n", err);
            else
                fprintf(stderr, "dmarace: %s is a tape without a report next to it (%s prints one)\n", path,
                        dr_cli_replay_command(path, false, cmd, sizeof cmd));
            rc = DR_EXIT_USAGE;
        } else {
            rc = strncmp((const char *)tb, text_magic, strlen(text_magic)) == 0 ? show_text(txt, (const char *)tb, tl)
                                                                               : (fprintf(stderr, "dmarace: %s is not a dmarace report\n", txt), DR_EXIT_USAGE);
            free(tb);
        }
    } else if (len >= strlen(text_magic) && memcmp(b, text_magic, strlen(text_magic)) == 0) {
        rc = show_text(path, b, len);
    } else {
        size_t i = 0;
        while (i < len && isspace((unsigned char)b[i]))
            i++;
        if (i < len && b[i] == '{')
            rc = show_json(path, b, len);
        else {
            fprintf(stderr, "dmarace: %s is not a dmarace report (a .txt or .json report, or a tape with one next to it)\n",
                    path);
            rc = DR_EXIT_USAGE;
        }
    }
    free(buf);
    return rc;
}
