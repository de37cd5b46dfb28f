/* dr_story.c: a finding's story: the trace of its run per processor,
 * without the steps where nothing switched, each driver step with its
 * driver line (dr_story.h). */
#include "dr_story.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *task_names[DR_MAX_TASKS + DR_MAX_EVENTS + 2];

const char *dr_story_task_name(uint32_t id)
{
    const char *n = id < sizeof task_names / sizeof task_names[0] ? task_names[id] : NULL;
    return n ? n : "?";
}

/* Builds the story items of the last traced run (malloc'ed array); f is
 * that run's finding (its stack places the FINDING item). */
void dr_story_name_tasks(void)
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
}

story_item *dr_story_build(const dr_finding *f, size_t *count)
{
    size_t n;
    const dr_trace_rec *tr = dr_trace_records(&n);
    dr_story_name_tasks();
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
                         dr_story_task_name(r->other));
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
void dr_story_print(FILE *out, const story_item *items, size_t n)
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
                        dr_text_esc(dr_story_task_name(items[i].task), name, sizeof name), text, at);
            else
                fprintf(out, "    %6" PRIu64 "  %s%s\n", items[i].step, text, at);
        }
    }
}

void dr_report_story(FILE *out, const dr_finding *f)
{
    size_t n;
    story_item *items = dr_story_build(f, &n);
    dr_story_print(out, items, n);
    free(items);
}
