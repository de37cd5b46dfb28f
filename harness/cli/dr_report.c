/* dr_report.c: what a finding looks like on disk, and dmarace show.
 *
 * Next to a finding's tape <base>.tape:
 *   <base>.txt         the report: what broke in KMDF's terms, the story per
 *                      simulated processor, the replay command
 *   <base>.json        the same facts for programs
 *   <base>.trace.json  Chrome Trace Event timeline (ui.perfetto.dev,
 *                      chrome://tracing): one track per processor, ts = step in µs
 *   <base>.sarif       SARIF 2.1.0 for code scanning: one thread flow per processor
 * Every file is written atomically (temporary file, fsync, rename). */
#include "dr_cli.h"
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

enum { ENV_TRACK = DR_MAX_CPUS, MAIN_TRACK = DR_MAX_CPUS + 1, NTRACKS = DR_MAX_CPUS + 2 };

/* ---- the story: the trace without its noise ----------------------------------------- */

typedef struct {
    uint64_t step;
    unsigned track; /* a processor, ENV_TRACK or MAIN_TRACK */
    uint32_t task;
    uint8_t type;
    bool has_loc;   /* a driver step: the driver's source line (dr_where) */
    dr_srcloc loc;
    char text[200];
} story_item;

static const char *task_names[DR_MAX_TASKS + DR_MAX_EVENTS + 2];

static const char *tname(uint32_t id)
{
    const char *n = id < sizeof task_names / sizeof task_names[0] ? task_names[id] : NULL;
    return n ? n : "?";
}

/* Builds the story items of the last traced run (malloc'ed array); f is
 * that run's finding (its stack places the FINDING item). */
static story_item *build_story(const dr_finding *f, size_t *count)
{
    size_t n;
    const dr_trace_rec *tr = dr_trace_records(&n);
    memset(task_names, 0, sizeof task_names);
    for (size_t i = 0; i < n; i++) {
        const dr_trace_rec *r = &tr[i];
        uint32_t id = r->type == DR_TR_START || r->type == DR_TR_SPAWN ? r->other : r->task;
        if (r->type != DR_TR_FIRE && r->type != DR_TR_TIMER && r->type != DR_TR_FINDING && r->type != DR_TR_MARK &&
            r->what && id < sizeof task_names / sizeof task_names[0])
            task_names[id] = r->what;
        if (r->type == DR_TR_FIRE && r->other < sizeof task_names / sizeof task_names[0])
            task_names[r->other] = r->what;
    }
    story_item *items = calloc(n ? n : 1, sizeof *items);
    if (!items) {
        *count = 0;
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const dr_trace_rec *r = &tr[i];
        story_item *it = &items[k];
        it->step = r->step;
        it->task = r->task;
        it->type = r->type;
        it->track = r->task ? r->cpu : MAIN_TRACK;
        const char *site = r->site ? r->site->name : "?";
        switch ((dr_trace_type)r->type) {
        case DR_TR_SCHED:
            /* Only switches away from a running task are part of the story. */
            if (r->other == r->task || !r->task || strcmp(site, "exit") == 0)
                continue;
            if (r->other == 0)
                snprintf(it->text, sizeof it->text, "at %s: the clock advances", site);
            else
                snprintf(it->text, sizeof it->text, "at %s: switch to T%" PRIu32 " %s", site, r->other,
                         tname(r->other));
            break;
        case DR_TR_START:
            snprintf(it->text, sizeof it->text, "DPC T%" PRIu32 " %s starts", r->other, r->what ? r->what : "?");
            it->task = r->other;
            break;
        case DR_TR_END:
            snprintf(it->text, sizeof it->text, "finished");
            break;
        case DR_TR_FIRE:
            snprintf(it->text, sizeof it->text, "event %s fires", r->what ? r->what : "?");
            it->track = ENV_TRACK;
            break;
        case DR_TR_TIMER:
            snprintf(it->text, sizeof it->text, "clock advances to %" PRIu32 ": timer %s expires", r->other,
                     r->what ? r->what : "?");
            it->track = ENV_TRACK;
            break;
        case DR_TR_CHOICE:
            snprintf(it->text, sizeof it->text, "choice %s = %" PRIu32, site, r->other);
            break;
        case DR_TR_MODEL: {
            size_t ns;
            const uintptr_t *st = dr_trace_stack(r, &ns);
            it->has_loc = st && dr_where(st, ns, &it->loc);
            char v[96];
            dr_site_value_text(r->site, r->value, v, sizeof v);
            if (r->kind)
                snprintf(it->text, sizeof it->text, "%s %s%" PRIu32 " %s", site, r->kind->prefix, r->id, v);
            else
                snprintf(it->text, sizeof it->text, "%s %s", site, v);
            break;
        }
        case DR_TR_FINDING:
            /* the traced run's finding: where in the driver it happened */
            it->has_loc = dr_where(f->pc, f->npc, &it->loc);
            snprintf(it->text, sizeof it->text, "FINDING %s: %s", dr_finding_kind_name((dr_finding_kind)r->other),
                     dr_trace_text(r));
            break;
        case DR_TR_SPAWN:
            continue; /* the timeline's flow arrows */
        case DR_TR_MARK:
            continue; /* a finding's related step (the headline) */
        case DR_TR_LOG:
            /* the driver's own message: its developer reads these first */
            snprintf(it->text, sizeof it->text, "log: %s", dr_trace_text(r));
            break;
        }
        if (it->track >= NTRACKS)
            it->track = MAIN_TRACK;
        k++;
    }
    *count = k;
    return items;
}

static const char *track_title(unsigned t, char *buf, size_t len)
{
    if (t == ENV_TRACK)
        return "environment (events and the clock)";
    if (t == MAIN_TRACK)
        return "main context (set-up and end-of-execution checks)";
    snprintf(buf, len, "P%u", t);
    return buf;
}

/* The story's items per track, in order (escaped: the texts are the driver's). */
static void story_print(FILE *out, const story_item *items, size_t n)
{
    if (!items) {
        fputs("  (out of memory)\n", out);
        return;
    }
    for (unsigned t = 0; t < NTRACKS; t++) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (items[i].track != t)
                continue;
            if (!any) {
                char b[16];
                fprintf(out, "  %s\n", track_title(t, b, sizeof b));
                any = true;
            }
            /* names and titles are the driver's text: escaped */
            char text[sizeof items[i].text * 4 + 1], name[200];
            dr_text_esc(items[i].text, text, sizeof text);
            char at[900] = "";
            if (items[i].has_loc)
                dr_where_format(&items[i].loc, at, sizeof at);
            if (items[i].task && t < ENV_TRACK)
                fprintf(out, "    %6" PRIu64 "  T%-3" PRIu32 " %-26.26s %s%s\n", items[i].step, items[i].task,
                        dr_text_esc(tname(items[i].task), name, sizeof name), text, at);
            else
                fprintf(out, "    %6" PRIu64 "  %s%s\n", items[i].step, text, at);
        }
    }
}

void dr_report_story(FILE *out, const dr_finding *f)
{
    size_t n;
    story_item *items = build_story(f, &n);
    story_print(out, items, n);
    free(items);
}

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
    uint64_t saved[64];
    for (size_t i = 0; i < nw && i < 64; i++)
        saved[i] = dr_window_hits(i);
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
    for (size_t i = 0; i < nw && i < 64; i++)
        dr_window_set_hits(i, saved[i]);
    return rc;
}

/* ---- the files ------------------------------------------------------------------------ */

static void base_of(const char *tape_path, char *out, size_t len)
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
static void rule_id(const dr_finding *fd, char *out, size_t len)
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

/* A SARIF physicalLocation of a driver line, relative to the source root. */
static void sarif_put_physical(FILE *f, const dr_srcloc *l)
{
    fputs("\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", f);
    dr_json_put_str(f, l->file);
    fprintf(f, ", \"uriBaseId\": \"SRCROOT\"}, \"region\": {\"startLine\": %d}}", l->line);
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
    rule_id(fd, rule, sizeof rule);
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
    story_print(f, items, nitems);
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
    rule_id(fd, rule, sizeof rule);
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
    if (dr_related_of(fd, &o) && o.race) {
        fprintf(f, ", \"related\": {\"what\": ");
        dr_json_put_str(f, o.what);
        fprintf(f, ", \"location\": ");
        json_put_loc(f, &o.loc, o.has_loc);
        fputc('}', f);
    } else if (dr_related_of(fd, &o)) {
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

/* The track a task was created or queued from: its creator's processor, the
 * environment (an event or timer handler) or the main context. */
static unsigned spawn_track(const dr_trace_rec *sp)
{
    return sp->value ? (unsigned)ENV_TRACK : sp->task && sp->cpu < DR_MAX_CPUS ? sp->cpu : (unsigned)MAIN_TRACK;
}

/* A cause-and-effect arrow: from (ts, tid) to the slice at (ts, tid). */
static void put_flow(FILE *f, uint32_t id, const char *name, uint64_t from_ts, unsigned from_tid, uint64_t to_ts,
                     unsigned to_tid)
{
    fprintf(f, ",\n  {\"name\": ");
    dr_json_put_str(f, name);
    fprintf(f, ", \"cat\": \"cause\", \"ph\": \"s\", \"id\": %" PRIu32 ", \"ts\": %" PRIu64 ", \"pid\": 1, \"tid\": %u}",
            id, from_ts, from_tid);
    fprintf(f, ",\n  {\"name\": ");
    dr_json_put_str(f, name);
    fprintf(f, ", \"cat\": \"cause\", \"ph\": \"f\", \"bp\": \"e\", \"id\": %" PRIu32 ", \"ts\": %" PRIu64
               ", \"pid\": 1, \"tid\": %u}",
            id, to_ts, to_tid);
}

static void put_loc_args(FILE *f, const dr_srcloc *l)
{
    fputs(", \"function\": ", f);
    dr_json_put_str(f, l->func);
    fputs(", \"file\": ", f);
    dr_json_put_str(f, l->file);
    fprintf(f, ", \"line\": %d", l->line);
}

enum { CALLBACK_DEPTH = 8 };

/* One callback span, from its first record's step to end. */
static void put_callback(FILE *f, const dr_trace_rec *r, const dr_srcloc *l, uint64_t end)
{
    fprintf(f, ",\n  {\"name\": ");
    dr_json_put_str(f, l->func);
    fprintf(f, ", \"cat\": \"callback\", \"ph\": \"X\", \"ts\": %" PRIu64 ", \"dur\": %" PRIu64
               ", \"pid\": 1, \"tid\": %u, \"args\": {\"task\": %" PRIu32,
            r->step, end - r->step, (unsigned)r->cpu, r->task);
    put_loc_args(f, l);
    fputs("}}", f);
}

/* The spans inside one task run, records [i, j) ending at step `end`: the
 * driver callbacks the stacks are in, and each DDI call until the task's
 * next record. Names are the callback's or the DDI's alone; the object,
 * the value and the driver line are args. */
static void timeline_spans(FILE *f, const dr_trace_rec *tr, size_t i, size_t j, uint64_t end)
{
    const dr_trace_rec *run = &tr[i];
    dr_srcloc open[CALLBACK_DEPTH];
    const dr_trace_rec *opened[CALLBACK_DEPTH];
    size_t nopen = 0;
    for (size_t m = i; m < j; m++) {
        const dr_trace_rec *r = &tr[m];
        if (r->task != run->task || r->cpu != run->cpu)
            continue;
        size_t ns;
        const uintptr_t *st = dr_trace_stack(r, &ns);
        if (st) {
            dr_srcloc chain[CALLBACK_DEPTH];
            size_t k = dr_where_callbacks(st, ns, chain, CALLBACK_DEPTH), same = 0;
            while (same < k && same < nopen && chain[same].func == open[same].func)
                same++;
            while (nopen > same) {
                nopen--;
                put_callback(f, opened[nopen], &open[nopen], r->step);
            }
            for (; nopen < k; nopen++) {
                open[nopen] = chain[nopen];
                opened[nopen] = r;
            }
        }
        if (r->type != DR_TR_MODEL)
            continue;
        uint64_t until = end;
        for (size_t q = m + 1; q < j; q++)
            if (tr[q].task == run->task && tr[q].cpu == run->cpu && tr[q].type != DR_TR_SPAWN &&
                tr[q].type != DR_TR_MARK) {
                until = tr[q].step;
                break;
            }
        char v[96], obj[48] = "";
        dr_site_value_text(r->site, r->value, v, sizeof v);
        if (r->kind)
            snprintf(obj, sizeof obj, "%s%" PRIu32, r->kind->prefix, r->id);
        fprintf(f, ",\n  {\"name\": ");
        dr_json_put_str(f, r->site ? r->site->name : "?");
        fprintf(f, ", \"cat\": \"ddi\", \"ph\": \"X\", \"ts\": %" PRIu64 ", \"dur\": %" PRIu64
                   ", \"pid\": 1, \"tid\": %u, \"args\": {\"task\": %" PRIu32 ", \"object\": ",
                r->step, until > r->step ? until - r->step : 0, (unsigned)r->cpu, r->task);
        dr_json_put_str(f, obj);
        fputs(", \"value\": ", f);
        dr_json_put_str(f, v);
        dr_srcloc l;
        if (st && dr_where(st, ns, &l))
            put_loc_args(f, &l);
        fputs("}}", f);
    }
    while (nopen > 0) {
        nopen--;
        put_callback(f, opened[nopen], &open[nopen], end);
    }
}

static char *timeline_of(const dr_report_info *in, const story_item *items, size_t n)
{
    size_t len;
    char *buf = NULL;
    FILE *f = items ? open_memstream(&buf, &len) : NULL;
    if (!f)
        return NULL;
    const dr_finding *fd = &in->res->finding;
    fprintf(f, "{\"displayTimeUnit\": \"ns\", \"otherData\": {\"tool\": \"dmarace\", \"version\": ");
    dr_json_put_str(f, DR_VERSION);
    fprintf(f, ", \"scenario\": ");
    dr_json_put_str(f, in->scn->name);
    fprintf(f, ", \"seed\": %" PRIu64 ", \"execution\": %" PRIu64 ", \"digest\": \"%016" PRIx64
               "\", \"time\": \"1 us = 1 scheduler step\"},\n \"traceEvents\": [\n",
            in->tape->seed, in->tape->exec_index, in->res->digest);
    fprintf(f, "  {\"name\": \"process_name\", \"ph\": \"M\", \"ts\": 0, \"pid\": 1, \"tid\": 0, \"args\": {\"name\": ");
    char pname[256];
    snprintf(pname, sizeof pname, "dmarace %s", in->scn->name);
    dr_json_put_str(f, pname);
    fprintf(f, "}}");
    bool used[NTRACKS] = {false};
    for (unsigned c = 0; c < in->tape->cpus && c < DR_MAX_CPUS; c++)
        used[c] = true;
    for (size_t i = 0; i < n; i++)
        used[items[i].track] = true;
    size_t ntr;
    const dr_trace_rec *trs = dr_trace_records(&ntr);
    for (size_t i = 0; i < ntr; i++) /* where the cause arrows start (below) */
        if (trs[i].type == DR_TR_SPAWN)
            used[spawn_track(&trs[i])] = true;
    if (fd->kind != DR_FIND_NONE && !fd->task)
        used[MAIN_TRACK] = true; /* the finding's instant is there (a died execution has no other event) */
    for (unsigned t = 0; t < NTRACKS; t++) {
        if (!used[t])
            continue;
        char b[16];
        const char *title = t < DR_MAX_CPUS ? (snprintf(b, sizeof b, "P%u", t), b)
                            : t == ENV_TRACK ? "environment"
                                             : "main";
        fprintf(f, ",\n  {\"name\": \"thread_name\", \"ph\": \"M\", \"ts\": 0, \"pid\": 1, \"tid\": %u, \"args\": {\"name\": \"%s\"}}",
                t, title);
        fprintf(f, ",\n  {\"name\": \"thread_sort_index\", \"ph\": \"M\", \"ts\": 0, \"pid\": 1, \"tid\": %u, "
                   "\"args\": {\"sort_index\": %u}}",
                t, t);
    }
    /* Task runs: maximal stretches of trace records of one task on one
     * processor; each ends where the next stretch (on any processor) begins,
     * so slices never overlap. Zero-length stretches are left out. Inside a
     * run, the driver's callbacks (dr_where_callbacks: the runs of driver
     * frames of each record's stack) and its DDI calls are nested spans. */
    size_t nt;
    const dr_trace_rec *tr = dr_trace_records(&nt);
    size_t i = 0;
    while (i < nt) {
        const dr_trace_rec *r = &tr[i];
        if (!r->task || r->type == DR_TR_FIRE || r->type == DR_TR_TIMER || r->type == DR_TR_SPAWN) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < nt && (tr[j].type == DR_TR_FIRE || tr[j].type == DR_TR_TIMER || tr[j].type == DR_TR_SPAWN ||
                          (tr[j].task == r->task && tr[j].cpu == r->cpu)))
            j++;
        uint64_t start = r->step;
        uint64_t end = j < nt ? tr[j].step : tr[nt - 1].step + 1;
        if (end > start && r->cpu < DR_MAX_CPUS) {
            char nm[80];
            snprintf(nm, sizeof nm, "T%" PRIu32 " %s", r->task, tname(r->task));
            fprintf(f, ",\n  {\"name\": ");
            dr_json_put_str(f, nm);
            fprintf(f, ", \"cat\": \"run\", \"ph\": \"X\", \"ts\": %" PRIu64 ", \"dur\": %" PRIu64
                       ", \"pid\": 1, \"tid\": %u, \"args\": {\"task\": %" PRIu32 ", \"irql\": %u}}",
                    start, end - start, r->cpu, r->task, r->irql);
            timeline_spans(f, tr, i, j, end);
        }
        i = j;
    }
    /* Cause and effect: an arrow from where a thread was created, or a DPC
     * or ISR queued (a task, the environment's event or timer, the main
     * context), to where it first ran. */
    uint32_t flow = 0;
    for (size_t k = 0; k < nt; k++) {
        const dr_trace_rec *sp = &tr[k];
        if (sp->type != DR_TR_SPAWN)
            continue;
        const dr_trace_rec *run = NULL;
        for (size_t m = k + 1; m < nt && !run; m++)
            if (tr[m].task == sp->other && tr[m].type != DR_TR_SPAWN && tr[m].cpu < DR_MAX_CPUS)
                run = &tr[m];
        if (!run)
            continue;
        unsigned from = spawn_track(sp);
        char nm[96];
        snprintf(nm, sizeof nm, "%s T%" PRIu32 " %s", sp->value || sp->task ? "queued" : "created", sp->other,
                 tname(sp->other));
        put_flow(f, ++flow, nm, sp->step, from, run->step, (unsigned)run->cpu);
    }
    /* The model's own causes (dr_site.cause): from the latest event at the
     * cause's site on the same object to the effect (IoCancelIrp REQ1 to
     * EvtRequestCancel REQ1, WdfTimerStart TMR1 to EvtTimerFunc TMR1,
     * EvtProgramDma TX1 to its EvtDmaTransactionDmaTransferComplete). */
    for (size_t k = 0; k < nt; k++) {
        const dr_trace_rec *e = &tr[k];
        if (e->type != DR_TR_MODEL || !e->site || !e->site->cause || !e->kind)
            continue;
        const dr_trace_rec *c = NULL;
        for (size_t m = k; m-- > 0 && !c;)
            if (tr[m].type == DR_TR_MODEL && tr[m].site && tr[m].kind && tr[m].id == e->id &&
                strcmp(tr[m].kind->prefix, e->kind->prefix) == 0 && strcmp(tr[m].site->name, e->site->cause) == 0)
                c = &tr[m];
        if (!c)
            continue;
        char nm[160], o[48];
        snprintf(o, sizeof o, "%s%" PRIu32, e->kind->prefix, e->id);
        snprintf(nm, sizeof nm, "%s %s -> %s", c->site->name, o, e->site->name);
        unsigned from = c->task && c->cpu < DR_MAX_CPUS ? c->cpu : (unsigned)MAIN_TRACK;
        unsigned to = e->task && e->cpu < DR_MAX_CPUS ? e->cpu : (unsigned)MAIN_TRACK;
        put_flow(f, ++flow, nm, c->step, from, e->step, to);
    }
    /* Instants: events, switches, data choices, log lines, the finding; DDI
     * calls where no task run holds them as spans (the main context). */
    for (size_t k = 0; k < n; k++) {
        const story_item *it = &items[k];
        if (it->type == DR_TR_MODEL && it->task && it->track < DR_MAX_CPUS)
            continue;
        const char *cat = it->type == DR_TR_FINDING ? "finding"
                          : it->type == DR_TR_LOG ? "log"
                          : it->type == DR_TR_FIRE || it->type == DR_TR_TIMER ? "event"
                          : it->type == DR_TR_SCHED ? "switch"
                                                    : "ddi";
        fprintf(f, ",\n  {\"name\": ");
        dr_json_put_str(f, it->text);
        fprintf(f, ", \"cat\": \"%s\", \"ph\": \"i\", \"s\": \"t\", \"ts\": %" PRIu64 ", \"pid\": 1, \"tid\": %u, "
                   "\"args\": {\"task\": %" PRIu32,
                cat, it->step, it->track, it->task);
        if (it->has_loc)
            put_loc_args(f, &it->loc);
        fputs("}}", f);
    }
    if (fd->kind != DR_FIND_NONE && !fd->task) {
        fprintf(f, ",\n  {\"name\": ");
        char t[256];
        snprintf(t, sizeof t, "FINDING %s: %s", dr_finding_kind_name(fd->kind), fd->title);
        dr_json_put_str(f, t);
        fprintf(f, ", \"cat\": \"finding\", \"ph\": \"i\", \"s\": \"g\", \"ts\": %" PRIu64
                   ", \"pid\": 1, \"tid\": %u}",
                fd->step, (unsigned)MAIN_TRACK);
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *dr_report_timeline(const dr_report_info *in)
{
    size_t n;
    story_item *items = build_story(&in->res->finding, &n);
    char *out = timeline_of(in, items, n);
    free(items);
    return out;
}

/* ---- SARIF ----------------------------------------------------------------------------------- */

static const char sarif_head[] = "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": "
                                 "\"2.1.0\",\n  \"runs\": [{\n    \"tool\": {\"driver\": {\"name\": \"dmarace\", \"version\": ";

/* The rule of a finding: its id (dmarace/<rule>), name, descriptions, help
 * (what the rule means, the framework's source that does it, the DDI's
 * documentation page: dr_rule_describe) and default level. A rule nobody
 * describes (a scenario's own check) is told by its finding's title. */
static void sarif_rule(FILE *f, const dr_finding *fd)
{
    char rule[96], text[2400], uri[256];
    rule_id(fd, rule, sizeof rule);
    dr_rule_info ri;
    bool known = dr_rule_describe(fd->rule, &ri, uri, sizeof uri);
    fprintf(f, "{\"id\": ");
    dr_json_put_str(f, rule);
    fprintf(f, ", \"name\": ");
    dr_json_put_str(f, known ? ri.name : fd->rule[0] ? fd->rule : dr_finding_kind_name(fd->kind));
    fprintf(f, ", \"shortDescription\": {\"text\": ");
    dr_json_put_str(f, known ? ri.summary : fd->title);
    fprintf(f, "}, \"fullDescription\": {\"text\": ");
    if (known)
        snprintf(text, sizeof text, "%s Rule %s%s%s.", ri.summary, fd->rule, ri.source ? "; the framework's source: " : "",
                 ri.source ? ri.source : "");
    else
        snprintf(text, sizeof text, "[%s] %s", dr_finding_kind_name(fd->kind), fd->title);
    dr_json_put_str(f, text);
    if (fd->kind == DR_FIND_DATA_RACE)
        snprintf(text, sizeof text,
                 "ThreadSanitizer saw two accesses to the same driver memory, at least one a write, on two "
                 "processors with no happens-before edge between them (a lock, an interlocked operation, or an "
                 "ordering KMDF guarantees: dmarace's docs/tsan.md lists the edges the model gives); the title "
                 "names both driver lines. The replay command in the result reproduces it in the tsan build.");
    else
        snprintf(text, sizeof text,
                 "%s%s%s The report next to the finding's tape tells what happened, step by step and with the "
                 "driver's lines; the replay command in the result reproduces it exactly (dmarace docs/model.md: "
                 "how the model follows KMDF).",
                 known ? ri.summary : "A finding of dmarace.", known && ri.doc_uri ? " Documentation: " : "",
                 known && ri.doc_uri ? ri.doc_uri : "");
    fprintf(f, "}, \"help\": {\"text\": ");
    dr_json_put_str(f, text);
    fputc('}', f);
    if (known && ri.doc_uri) {
        fprintf(f, ", \"helpUri\": ");
        dr_json_put_str(f, ri.doc_uri);
    }
    fprintf(f, ", \"defaultConfiguration\": {\"level\": \"error\"}}");
}

/* A finding's result, after its traced run: located at the driver line,
 * one thread flow per processor. */
static void sarif_result(FILE *f, const dr_report_info *in, const story_item *items, size_t n)
{
    const dr_finding *fd = &in->res->finding;
    char rule[96], where[700], msg[1600], cmd[8600];
    rule_id(fd, rule, sizeof rule);
    fprintf(f, "{\n      \"ruleId\": ");
    dr_json_put_str(f, rule);
    fprintf(f, ",\n      \"level\": \"error\",\n      \"message\": {\"text\": ");
    snprintf(msg, sizeof msg, "[%s] %s: %s (%s, scenario %s; replay: %s)", dr_finding_kind_name(fd->kind), fd->title,
             fd->message, dr_report_where(fd, where, sizeof where), in->scn->name,
             dr_cli_replay_command(in->tape_path, false, cmd, sizeof cmd));
    dr_json_put_str(f, msg);
    /* Stable across runs: the dedup key (kind and title) and the driver line. */
    dr_srcloc at;
    bool located = dr_where(fd->pc, fd->npc, &at);
    fprintf(f, "},\n      \"partialFingerprints\": {\"dmaraceFindingKey/v1\": \"%016" PRIx64 "\"",
            dr_finding_key(fd->kind, fd->title));
    if (located) {
        char site[900];
        snprintf(site, sizeof site, "%s:%d", at.file, at.line);
        fprintf(f, ", \"dmaraceDriverLine/v1\": ");
        dr_json_put_str(f, site);
    }
    fprintf(f, "},\n");
    /* Where it happened in the driver; without a driver frame (a check at the
     * end of an execution), the tape that reproduces it. */
    if (located) {
        fprintf(f, "      \"locations\": [{");
        sarif_put_physical(f, &at);
        fprintf(f, ", \"logicalLocations\": [{\"name\": ");
        dr_json_put_str(f, at.func);
        fprintf(f, ", \"kind\": \"function\"}]}],\n");
        /* The step it relates to (the model's dr_fail_related): for a
         * race, the line it raced with. */
        dr_related o;
        if (dr_related_of(fd, &o) && o.has_loc) {
            fprintf(f, "      \"relatedLocations\": [{\"id\": 1, ");
            sarif_put_physical(f, &o.loc);
            fprintf(f, ", \"message\": {\"text\": ");
            dr_json_put_str(f, dr_related_text(&o, msg, sizeof msg));
            fprintf(f, "}}],\n");
        }
    } else {
        fprintf(f, "      \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
        dr_json_put_str(f, in->tape_path);
        fprintf(f, "}, \"region\": {\"startLine\": 1}}}],\n");
    }
    fprintf(f, "      \"codeFlows\": [{\"threadFlows\": [");
    bool first_flow = true;
    for (unsigned t = 0; t < NTRACKS; t++) {
        bool any = false;
        for (size_t k = 0; k < n; k++) {
            if (items[k].track != t)
                continue;
            char b[16];
            if (!any) {
                fprintf(f, "%s\n        {\"id\": \"%s\", \"locations\": [", first_flow ? "" : ",",
                        t < DR_MAX_CPUS ? (snprintf(b, sizeof b, "P%u", t), b) : t == ENV_TRACK ? "environment" : "main");
                first_flow = false;
            }
            char text[300];
            if (items[k].task && t < ENV_TRACK)
                snprintf(text, sizeof text, "step %" PRIu64 " T%" PRIu32 " %s: %s", items[k].step, items[k].task,
                         tname(items[k].task), items[k].text);
            else
                snprintf(text, sizeof text, "step %" PRIu64 ": %s", items[k].step, items[k].text);
            fprintf(f, "%s\n          {\"executionOrder\": %zu, \"location\": {\"message\": {\"text\": ",
                    any ? "," : "", k + 1);
            dr_json_put_str(f, text);
            fprintf(f, "}");
            if (items[k].has_loc) {
                fprintf(f, ", ");
                sarif_put_physical(f, &items[k].loc);
            }
            fprintf(f, "}}");
            any = true;
        }
        if (any)
            fprintf(f, "]}");
    }
    if (first_flow) /* a thread flow needs at least one location */
        fprintf(f, "\n        {\"id\": \"main\", \"locations\": [{\"location\": {\"message\": {\"text\": \"no trace\"}}}]}");
    fprintf(f, "]}]\n    }");
}

/* One run: rules and results, each already JSON. */
static char *sarif_assemble(const char *rules, const char *results, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fputs(sarif_head, f);
    dr_json_put_str(f, DR_VERSION);
    fprintf(f, ", \"rules\": [%s]}},\n    \"originalUriBaseIds\": {\"SRCROOT\": {\"description\": {\"text\": "
               "\"the driver's source root: its project directory (dmarace_add_driver), or dmarace's tree for "
               "the built-in scenarios\"}}},\n    \"results\": [%s]\n  }]\n}\n",
            rules, results);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *sarif_report(const dr_report_info *in, const story_item *items, size_t n, size_t *len)
{
    size_t rl, sl;
    char *rules = NULL, *results = NULL, *out = NULL;
    FILE *r = items ? open_memstream(&rules, &rl) : NULL;
    FILE *s = r ? open_memstream(&results, &sl) : NULL;
    if (s) {
        sarif_rule(r, &in->res->finding);
        sarif_result(s, in, items, n);
    }
    if (r && fclose(r) == 0 && s && fclose(s) == 0)
        out = sarif_assemble(rules, results, len);
    else if (s)
        fclose(s);
    free(rules);
    free(results);
    return out;
}

/* The text between the first `from` and the next `to` after it in s (both
 * markers hold a raw newline, which never occurs inside a JSON string), or
 * NULL. */
static const char *between(const char *s, const char *from, const char *to, size_t *len)
{
    const char *a = strstr(s, from);
    const char *b = a ? strstr(a + strlen(from), to) : NULL;
    if (!b)
        return NULL;
    *len = (size_t)(b - a - strlen(from));
    return a + strlen(from);
}

int dr_report_campaign_sarif(const char *out_path, const char *const *tapes, size_t n)
{
    /* Merged from the findings' own .sarif files, written when each was
     * found, rather than by re-running their tapes here: a tape that hangs
     * or kills its process was reported by the supervisor, and must not run
     * in this one. The layout is sarif_assemble's. */
    static const char rules_from[] = "\"rules\": [", rules_to[] = "]}},\n    \"originalUriBaseIds\"";
    static const char results_from[] = "\n    \"results\": [", results_to[] = "]\n  }]\n}\n";
    char *rules = NULL, *results = NULL;
    size_t rl, sl;
    FILE *r = open_memstream(&rules, &rl);
    FILE *s = r ? open_memstream(&results, &sl) : NULL;
    char(*ids)[128] = s ? calloc(n ? n : 1, sizeof *ids) : NULL;
    size_t nids = 0, nres = 0;
    for (size_t i = 0; ids && i < n; i++) {
        char base[4096], path[4200], err[256];
        base_of(tapes[i], base, sizeof base);
        snprintf(path, sizeof path, "%s.sarif", base);
        uint8_t *buf;
        size_t len, ll, tl;
        if (!dr_cli_read_file(path, &buf, &len, err, sizeof err))
            continue; /* its reports are not on disk: the summary said so */
        const char *rule = between((const char *)buf, rules_from, rules_to, &ll);
        const char *res = between((const char *)buf, results_from, results_to, &tl);
        if (rule && res) {
            char id[128] = "";
            const char *q = strstr(rule, "{\"id\": \"");
            if (q)
                sscanf(q + 8, "%127[^\"]", id);
            bool seen = false;
            for (size_t k = 0; k < nids && !seen; k++)
                seen = strcmp(ids[k], id) == 0;
            if (!seen) {
                fprintf(r, "%s%.*s", nids ? ",\n      " : "", (int)ll, rule);
                snprintf(ids[nids++], sizeof ids[0], "%s", id);
            }
            fprintf(s, "%s%.*s", nres++ ? ", " : "", (int)tl, res);
        }
        free(buf);
    }
    free(ids);
    int cr = r ? fclose(r) : EOF, cs = s ? fclose(s) : EOF;
    size_t len = 0;
    char *out = cr == 0 && cs == 0 ? sarif_assemble(rules, results, &len) : NULL;
    free(rules);
    free(results);
    if (!out || dr_cli_write_atomic(out_path, out, len) != 0) {
        fprintf(stderr, "dmarace: could not write %s\n", out_path);
        free(out);
        return -1;
    }
    free(out);
    return (int)nres;
}

/* "file:line in function" of a report's finding.location (JSON), or false. */
static const char *jstr(const dr_json *o, const char *k)
{
    const dr_json *v = dr_json_get(o, k);
    return v && v->type == DR_J_STR ? v->str : NULL;
}

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
    base_of(tape_path, base, sizeof base);
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
    base_of(in->tape_path, base, sizeof base);
    struct {
        const char *ext;
        char *data;
        size_t len;
    } files[4] = {{".txt", NULL, 0}, {".json", NULL, 0}, {".trace.json", NULL, 0}, {".sarif", NULL, 0}};
    /* The story, built once from the traced run, for the text, the timeline and the SARIF. */
    size_t nitems;
    story_item *items = build_story(&in->res->finding, &nitems);
    files[0].data = items ? text_report(in, items, nitems, &files[0].len) : NULL;
    files[1].data = json_report(in, base, &files[1].len);
    files[2].data = timeline_of(in, items, nitems);
    files[2].len = files[2].data ? strlen(files[2].data) : 0;
    files[3].data = items ? sarif_report(in, items, nitems, &files[3].len) : NULL;
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
        base_of(path, base, sizeof base);
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
