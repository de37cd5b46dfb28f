/* dr_trace.c: the step-by-step trace of one execution, with stable names
 * (P0.., T<n> tasks and events, REQ1.. model objects), never pointers. */
#include "dr_hash.h"
#include "dr_internal.h"

#include <execinfo.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dr_icov.h" /* interleaving coverage: empty unless the fuzz build */

#define G dr__g

uint64_t dr__site_hash(const dr_site *site)
{
    if (!site->hash)
        ((dr_site *)site)->hash = dr_fnv1a_str(site->name) | 1;
    return site->hash;
}

size_t dr__stack(uintptr_t *out, size_t max)
{
    void *buf[DR_STACK_MAX + 8];
    int n = backtrace(buf, (int)(max + 1 < DR_STACK_MAX + 8 ? max + 1 : DR_STACK_MAX + 8));
    size_t k = 0;
    for (int i = 1; i < n && k < max; i++) /* buf[0]: this function */
        out[k++] = (uintptr_t)buf[i];
    return k;
}

/* A trace record of the running task (or the main context) at this step. */
static dr_trace_rec rec_now(uint8_t type, const char *what)
{
    dr_task *me = G.cur;
    return (dr_trace_rec){.step = G.steps,
                          .type = type,
                          .cpu = me ? me->cpu : 0,
                          .irql = me ? me->irql : 0,
                          .task = me ? me->id : 0,
                          .what = what};
}

/* A model trace record's stack, kept beside the records (best effort, as
 * the trace: never in the digest). */
static void trace_stack(dr_trace_rec *r)
{
    if (G.ntrace_stack + DR_STACK_MAX > G.trace_stack_cap) {
        size_t cap = G.trace_stack_cap ? G.trace_stack_cap * 2 : 16384;
        uintptr_t *t = realloc(G.trace_stack, cap * sizeof *t);
        if (!t)
            return;
        G.trace_stack = t;
        G.trace_stack_cap = cap;
    }
    r->stack = (uint32_t)G.ntrace_stack;
    r->nstack = (uint8_t)dr__stack(G.trace_stack + G.ntrace_stack, DR_STACK_MAX);
    G.ntrace_stack += r->nstack;
}

void dr__trace_choice(uint32_t pick, uint32_t n, bool has_cur)
{
    if (!G.tracing || !G.ntrace)
        return;
    dr_trace_rec *r = &G.trace[G.ntrace - 1];
    if (r->type != DR_TR_SCHED && r->type != DR_TR_CHOICE)
        return;
    r->choice = (uint32_t)G.rec.n;
    r->pick = pick;
    r->nalt = n;
    r->preempt = has_cur && pick;
    if (pick && G.cur)
        trace_stack(r);
}

const uintptr_t *dr_trace_stack(const dr_trace_rec *r, size_t *n)
{
    *n = r->nstack;
    return r->nstack ? G.trace_stack + r->stack : NULL;
}

const char *dr_site_value_text(const dr_site *site, int64_t value, char *buf, size_t len)
{
    if (site && site->value_text)
        return site->value_text(value, buf, len);
    snprintf(buf, len, "%" PRId64, value);
    return buf;
}

void dr_trace_clear(void)
{
    G.ntrace_stack = 0;
    G.ntrace = 0;
    G.loglen = 0;
    G.nlog = 0;
}

const dr_trace_rec *dr_trace_records(size_t *n)
{
    *n = G.ntrace;
    return G.trace;
}

void dr__trace_add(const dr_trace_rec *r)
{
    if (G.ntrace == G.trace_cap) {
        size_t cap = G.trace_cap ? G.trace_cap * 2 : 4096;
        dr_trace_rec *t = realloc(G.trace, cap * sizeof *t);
        if (!t)
            return; /* the text trace is best effort; the digest is not affected */
        G.trace = t;
        G.trace_cap = cap;
    }
    G.trace[G.ntrace++] = *r;
}

/* ---- the driver's own messages (dr_log) ---------------------------------------------
 * Kept beside the trace records, never folded into the digest: editing a
 * message's text changes no schedule, tape or digest. */

bool dr__fiber_log_enabled(void) { return G.tracing; }

static bool log_append(const char *text, size_t len, const char *tail)
{
    size_t tl = strlen(tail), need = G.loglen + len + tl + 1;
    if (need > G.logcap) {
        size_t cap = G.logcap ? G.logcap : 16384;
        while (cap < need)
            cap *= 2;
        char *t = realloc(G.logtext, cap);
        if (!t)
            return false; /* best effort, as the text trace is */
        G.logtext = t;
        G.logcap = cap;
    }
    dr_trace_rec r = rec_now(DR_TR_LOG, G.cur ? G.cur->name : "main");
    r.value = (int64_t)G.loglen;
    size_t before = G.ntrace;
    dr__trace_add(&r);
    if (G.ntrace == before)
        return false;
    memcpy(G.logtext + G.loglen, text, len);
    memcpy(G.logtext + G.loglen + len, tail, tl + 1);
    G.loglen += len + tl + 1;
    return true;
}

void dr__fiber_log(const char *text)
{
    if (!G.tracing || !text)
        return;
    if (G.nlog >= DR_LOG_MAX_LINES) {
        if (G.nlog == DR_LOG_MAX_LINES) {
            char note[96];
            snprintf(note, sizeof note, "(further driver messages left out: at most %d lines per execution)",
                     DR_LOG_MAX_LINES);
            if (log_append(note, strlen(note), ""))
                G.nlog++;
        }
        return;
    }
    size_t len = strnlen(text, DR_LOG_LINE_MAX + 1);
    const char *tail = "";
    if (len > DR_LOG_LINE_MAX) {
        len = DR_LOG_LINE_MAX;
        while (len && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--; /* not inside a UTF-8 sequence */
        tail = "[...]";
    }
    while (len && !tail[0] && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (log_append(text, len, tail))
        G.nlog++;
}

/* The finding's record (dr__note's, just added) keeps its title in the log
 * text, as messages are kept: G.finding is cleared when the execution ends,
 * before its trace is printed. The record names the task, as the others do. */
void dr__trace_finding(const char *title)
{
    if (!G.tracing || !G.ntrace || G.trace[G.ntrace - 1].type != DR_TR_FINDING)
        return;
    dr_trace_rec *r = &G.trace[G.ntrace - 1];
    size_t at = G.loglen, before = G.ntrace;
    if (!log_append(title, strnlen(title, DR_LOG_LINE_MAX), ""))
        return;
    G.ntrace = before; /* log_append added a log record of its own: drop it */
    r = &G.trace[G.ntrace - 1];
    r->what = G.cur ? G.cur->name : "main";
    r->value = (int64_t)at;
}

const char *dr_trace_text(const dr_trace_rec *r)
{
    if ((r->type != DR_TR_LOG && r->type != DR_TR_FINDING) || r->value < 0 || (size_t)r->value >= G.loglen)
        return "";
    return G.logtext + r->value;
}

static const char *irql_name(unsigned irql)
{
    switch (irql) {
    case DR_PASSIVE_LEVEL:
        return "PASSIVE";
    case DR_APC_LEVEL:
        return "APC";
    case DR_DISPATCH_LEVEL:
        return "DISPATCH";
    default:
        return irql <= DR_DIRQL_MAX ? "DIRQL" : "HIGH";
    }
}

void dr_trace_print(FILE *out, dr_trace_where_fn *where)
{
    fprintf(out, "%6s  %-36s %s\n", "step", "processor task(name) IRQL",
            where ? "event: DDI or model step, object, value  @ the driver line" : "event: DDI or model step, object, value");
    for (size_t i = 0; i < G.ntrace; i++) {
        const dr_trace_rec *r = &G.trace[i];
        /* names and titles are the driver's text: shown escaped (dr_text.c) */
        char who[64], what[4 * 160 + 1], full[sizeof what + 48];
        dr_text_esc(r->what ? r->what : "?", what, sizeof what);
        if (r->task)
            snprintf(full, sizeof full, "P%u T%" PRIu32 "(%s) %s", r->cpu, r->task, what, irql_name(r->irql));
        else
            snprintf(full, sizeof full, "main");
        size_t wl = strnlen(full, sizeof who - 1); /* the column holds 63 bytes, as it always did */
        memcpy(who, full, wl);
        who[wl] = 0;
        switch ((dr_trace_type)r->type) {
        case DR_TR_SCHED:
            if (r->other == r->task)
                fprintf(out, "%6" PRIu64 "  %-36s at %s\n", r->step, who, r->site ? r->site->name : "?");
            else
                fprintf(out, "%6" PRIu64 "  %-36s at %s -> switch to T%" PRIu32 "\n", r->step, who,
                        r->site ? r->site->name : "?", r->other);
            break;
        case DR_TR_START:
            fprintf(out, "%6" PRIu64 "  %-36s DPC T%" PRIu32 "(%s) starts on this processor\n", r->step, who,
                    r->other, what);
            break;
        case DR_TR_END:
            fprintf(out, "%6" PRIu64 "  %-36s finished\n", r->step, who);
            break;
        case DR_TR_FIRE:
            fprintf(out, "%6" PRIu64 "  event T%" PRIu32 "(%s) fires\n", r->step, r->other, what);
            break;
        case DR_TR_TIMER:
            fprintf(out, "%6" PRIu64 "  clock advances to %" PRIu32 ": timer %s expires\n", r->step, r->other,
                    what);
            break;
        case DR_TR_CHOICE:
            fprintf(out, "%6" PRIu64 "  %-36s choice %s = %" PRIu32 "\n", r->step, who, r->site->name, r->other);
            break;
        case DR_TR_MODEL: {
            char at[900] = "";
            size_t ns;
            const uintptr_t *st = dr_trace_stack(r, &ns);
            if (where && st)
                where(st, ns, at, sizeof at);
            char v[96];
            dr_site_value_text(r->site, r->value, v, sizeof v);
            if (r->kind)
                fprintf(out, "%6" PRIu64 "  %-36s %s %s%" PRIu32 " %s%s\n", r->step, who, r->site->name,
                        r->kind->prefix, r->id, v, at);
            else
                fprintf(out, "%6" PRIu64 "  %-36s %s %s%s\n", r->step, who, r->site->name, v, at);
            break;
        }
        case DR_TR_FINDING: {
            char title[4 * (DR_LOG_LINE_MAX + 8) + 1];
            fprintf(out, "%6" PRIu64 "  %-36s FINDING %s: %s\n", r->step, who,
                    dr_finding_kind_name((dr_finding_kind)r->other),
                    dr_text_esc(dr_trace_text(r), title, sizeof title));
            break;
        }
        case DR_TR_SPAWN: /* the timeline's; the START record says it in the trace */
        case DR_TR_MARK:  /* a finding's related step (reports) */
            break;
        case DR_TR_LOG: {
            char text[4 * (DR_LOG_LINE_MAX + 8) + 1];
            fprintf(out, "%6" PRIu64 "  %-36s log: %s\n", r->step, who,
                    dr_text_esc(dr_trace_text(r), text, sizeof text));
            break;
        }
        }
    }
}

/* ---- the digest, and the model's trace events ---------------------------------------- */

void dr__note_full(uint8_t type, const dr_site *site, uint32_t other, const char *what)
{
    dr_task *me = G.cur;
    uint64_t h = G.digest;
    h = dr_mix(h, ((uint64_t)type << 56) | ((uint64_t)(me ? me->id : 0) << 24) | other);
    if (site)
        h = dr_mix(h, dr__site_hash(site));
    G.digest = h;
    icov_event(type, site, me, what);
    if (G.tracing) {
        dr_trace_rec r = rec_now(type, what);
        r.other = other;
        r.site = site;
        dr__trace_add(&r);
    }
}

void dr__fiber_trace(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value)
{
    uint64_t h = dr_mix(G.digest, dr__site_hash(site));
    h = dr_mix(h, (kind ? dr_fnv1a_str(kind->prefix) : 0) ^ id);
    G.digest = dr_mix(h, (uint64_t)value);
    icov_model(site, G.cur);
    if (G.tracing) {
        dr_trace_rec r = rec_now(DR_TR_MODEL, G.cur ? G.cur->name : "main");
        r.site = site;
        r.kind = kind;
        r.id = id;
        r.value = value;
        trace_stack(&r);
        dr__trace_add(&r);
    }
}

void dr__window_note(const dr_site *site, bool reached)
{
    uint32_t i;
    for (i = 0; i < G.nwindows && G.windows[i].site != site; i++)
        ;
    if (i == G.nwindows) {
        if (G.nwindows == DR_MAX_WINDOWS)
            return;
        G.windows[G.nwindows++] = (dr_window_stat){.site = site};
    }
    dr_window_stat *w = &G.windows[i];
    if (!w->possible_this_exec) {
        w->possible_this_exec = true;
        w->possible++;
    }
    if (reached) {
        icov_window(site);
        if (!w->hit_this_exec) {
            w->hit_this_exec = true;
            w->count++;
        }
    }
}

size_t dr_window_count(void) { return G.nwindows; }
const char *dr_window_name(size_t i) { return i < G.nwindows ? G.windows[i].site->name : NULL; }
uint64_t dr_window_hits(size_t i) { return i < G.nwindows ? G.windows[i].count : 0; }
uint64_t dr_window_possible_count(size_t i) { return i < G.nwindows ? G.windows[i].possible : 0; }
void dr_windows_reset(void) { G.nwindows = 0; }
void dr_window_set_counts(size_t i, uint64_t hits, uint64_t possible)
{
    if (i < G.nwindows) {
        G.windows[i].count = hits;
        G.windows[i].possible = possible;
    }
}

static char notices[DR_NOTICE_MAX];

void dr_notice(const char *text)
{
    if (!text || !text[0] || strstr(notices, text))
        return;
    size_t n = strlen(notices), t = strlen(text);
    if (n + (n ? 2 : 0) + t + 1 > sizeof notices)
        return; /* full: the first notices stay whole */
    if (n) {
        memcpy(notices + n, "; ", 2);
        n += 2;
    }
    memcpy(notices + n, text, t + 1);
}

const char *dr_notice_text(void) { return notices; }
void dr_notices_reset(void) { notices[0] = 0; }

uint32_t dr__fiber_trace_mark(const char *what)
{
    if (!G.tracing)
        return 0;
    dr_trace_rec r = rec_now(DR_TR_MARK, what);
    trace_stack(&r);
    size_t before = G.ntrace;
    dr__trace_add(&r);
    return G.ntrace > before ? (uint32_t)G.ntrace : 0;
}

void dr__trace_stack_at(uint32_t mark)
{
    if (!G.tracing || !mark || mark > G.ntrace)
        return;
    dr_trace_rec *r = &G.trace[mark - 1];
    if (!r->nstack)
        trace_stack(r);
}

void dr__fiber_fail_related(uint32_t mark, const char *what)
{
    G.related = mark;
    G.related_what = what;
}

void dr__trace_begin(void)
{
    G.related = 0;
    dr_trace_clear();
    icov_reset();
}

void dr__windows_begin(void)
{
    for (uint32_t i = 0; i < G.nwindows; i++)
        G.windows[i].hit_this_exec = G.windows[i].possible_this_exec = false;
}
