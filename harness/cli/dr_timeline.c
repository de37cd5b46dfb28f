/* dr_timeline.c: a finding's Chrome Trace Event timeline (ui.perfetto.dev,
 * chrome://tracing): one track per processor, the environment and the
 * main context; task runs, driver callbacks and DDI calls as nested spans;
 * cause-and-effect arrows; ts = step in µs (dr_story.h). */
#include "dr_story.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

char *dr_report_timeline_of(const dr_report_info *in, const story_item *items, size_t n)
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
            snprintf(nm, sizeof nm, "T%" PRIu32 " %s", r->task, dr_story_task_name(r->task));
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
                 dr_story_task_name(sp->other));
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
    story_item *items = dr_story_build(&in->res->finding, &n);
    char *out = dr_report_timeline_of(in, items, n);
    free(items);
    return out;
}
