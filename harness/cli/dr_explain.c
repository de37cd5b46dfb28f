/* dr_explain.c: a finding's schedule in words (dr_explain.h).
 *
 * Reads the last traced run's records: each scheduling or data choice
 * carries the option taken (dr_trace_rec.pick: 0 is the default, which the
 * minimizer drives every choice towards) and, off the default, the stack of
 * the task that was running, so the sentence names its driver line. */
#include "dr_explain.h"

#include "dr/dr_engine.h"
#include "dr_cli.h"
#include "dr_story.h"

#include <inttypes.h>
#include <string.h>

/* The driver line of a record with a stack, if its stack has one. */
static bool rec_where(const dr_trace_rec *r, dr_srcloc *out)
{
    size_t ns;
    const uintptr_t *st = dr_trace_stack(r, &ns);
    return st && dr_where(st, ns, out);
}

/* The last driver line task `id` reached at or before record i. */
static bool last_line(const dr_trace_rec *tr, size_t i, uint32_t id, dr_srcloc *out)
{
    for (size_t j = i + 1; j-- > 0;)
        if (tr[j].task == id && (tr[j].type == DR_TR_MODEL || tr[j].type == DR_TR_SCHED) && rec_where(&tr[j], out))
            return true;
    return false;
}

/* The first driver line task `id` reaches after record i. */
static bool next_line(const dr_trace_rec *tr, size_t n, size_t i, uint32_t id, dr_srcloc *out)
{
    for (size_t j = i + 1; j < n && tr[j].type != DR_TR_FINDING; j++)
        if (tr[j].task == id && (tr[j].type == DR_TR_MODEL || tr[j].type == DR_TR_SCHED) && rec_where(&tr[j], out))
            return true;
    return false;
}

static const char *at(const dr_srcloc *l, char *buf, size_t len)
{
    char file[300], func[160];
    snprintf(buf, len, "%s:%d (%s)", dr_text_esc(l->file, file, sizeof file), l->line,
             dr_text_esc(l->func, func, sizeof func));
    return buf;
}

/* "P0 T5 read at driver.c:86 (F)", the running task where the choice was
 * made (its driver line, else the DDI or model step it was in and its last
 * driver line before). */
static void who_where(const dr_trace_rec *tr, size_t n, size_t i, bool *has, dr_srcloc *loc, char *buf,
                      size_t len)
{
    char name[200], where[600];
    const dr_trace_rec *r = &tr[i];
    const char *site = r->site ? r->site->name : "?";
    int k = snprintf(buf, len, "P%u T%" PRIu32 " %s", r->cpu, r->task,
                     dr_text_esc(dr_story_task_name(r->task), name, sizeof name));
    if (k < 0 || (size_t)k >= len)
        return;
    *has = rec_where(r, loc);
    if (*has)
        snprintf(buf + k, len - (size_t)k, " at %s", at(loc, where, sizeof where));
    else if (r->type == DR_TR_CHOICE)
        ; /* the site is the choice itself */
    else if ((*has = last_line(tr, i, r->task, loc)))
        snprintf(buf + k, len - (size_t)k, " in %s, after %s", site, at(loc, where, sizeof where));
    else
        snprintf(buf + k, len - (size_t)k, " in %s", site);
}

/* What the choice started: an event, the clock, or a task (with the
 * processor it runs on and its first driver line). */
static void what_ran(const dr_trace_rec *tr, size_t n, size_t i, char *buf, size_t len)
{
    const dr_trace_rec *r = &tr[i], *nx = i + 1 < n && tr[i + 1].step == r->step ? &tr[i + 1] : NULL;
    char name[200], where[600];
    if (nx && nx->type == DR_TR_FIRE) {
        snprintf(buf, len, "event %s fired", dr_text_esc(nx->what ? nx->what : "?", name, sizeof name));
        return;
    }
    if (nx && nx->type == DR_TR_TIMER) {
        snprintf(buf, len, "the clock advanced to %" PRIu32 " and timer %s expired", nx->other,
                 dr_text_esc(nx->what ? nx->what : "?", name, sizeof name));
        return;
    }
    dr_text_esc(dr_story_task_name(r->other), name, sizeof name);
    int cpu = -1;
    for (size_t j = i + 1; j < n && cpu < 0; j++)
        if (tr[j].task == r->other)
            cpu = tr[j].cpu;
    dr_srcloc l;
    int k = snprintf(buf, len, "T%" PRIu32 " %s ran", r->other, name);
    if (k >= 0 && (size_t)k < len && cpu >= 0)
        k += snprintf(buf + k, len - (size_t)k, " on P%d", cpu);
    if (k >= 0 && (size_t)k < len && next_line(tr, n, i, r->other, &l))
        snprintf(buf + k, len - (size_t)k, ", next at %s", at(&l, where, sizeof where));
}

static void explain_one(const dr_trace_rec *tr, size_t n, size_t i, dr_explain_item *it)
{
    const dr_trace_rec *r = &tr[i];
    char who[1000] = "main context", what[1000];
    it->step = r->step;
    it->choice = r->choice;
    it->has_loc = false;
    if (r->task)
        who_where(tr, n, i, &it->has_loc, &it->loc, who, sizeof who);
    if (r->type == DR_TR_CHOICE) {
        char v[96];
        dr_site_value_text(r->site, r->pick, v, sizeof v);
        snprintf(it->text, sizeof it->text, "%s: data choice %s = %s (option %" PRIu32 " of %" PRIu32 ")", who,
                 r->site ? r->site->name : "?", v, r->pick, r->nalt);
        return;
    }
    what_ran(tr, n, i, what, sizeof what);
    if (r->preempt)
        snprintf(it->text, sizeof it->text, "%s, stopped: %s", who, what);
    else
        snprintf(it->text, sizeof it->text, "%s, waiting or done: %s (option %" PRIu32 " of %" PRIu32
                 " ready, not the first)", who, what, r->pick, r->nalt);
}

bool dr_related_of(const dr_finding *f, dr_related *out)
{
    size_t n;
    const dr_trace_rec *tr = dr_trace_records(&n);
    const dr_race_info *ri = f->kind == DR_FIND_DATA_RACE ? dr_race_current() : NULL;
    if (ri) {
        /* Inside the race handler of the run that writes the reports: the
         * access TSan says this one raced with. (The built-in detector's
         * races relate to the earlier access's step, as other findings do.) */
        if (ri->naccess < 2)
            return false;
        const dr_race_access *a = &ri->access[1];
        *out = (dr_related){.race = true, .task_name = "", .ddi = ""};
        out->what = a->atomic ? (a->write ? "an earlier atomic write" : "an earlier atomic read")
                              : (a->write ? "an earlier write" : "an earlier read");
        out->has_loc = dr_where(a->pc, a->npc, &out->loc);
        return out->has_loc;
    }
    if (!f->related || f->related > n)
        return false;
    const dr_trace_rec *r = &tr[f->related - 1];
    dr_story_name_tasks();
    out->race = false;
    out->task = r->task;
    out->task_name = r->task ? dr_story_task_name(r->task) : "main";
    out->cpu = r->cpu;
    out->step = r->step;
    out->what = f->related_what[0] ? f->related_what : "related";
    out->ddi = r->type == DR_TR_MARK ? (r->what ? r->what : "") : r->site ? r->site->name : "?";
    out->object[0] = 0;
    if (r->kind)
        snprintf(out->object, sizeof out->object, "%s%" PRIu32, r->kind->prefix, r->id);
    out->has_loc = rec_where(r, &out->loc);
    return true;
}

const char *dr_related_text(const dr_related *r, char *buf, size_t len)
{
    char name[200], where[600], what[200];
    if (r->race) {
        snprintf(buf, len, "raced with %s on another processor at %s", r->what, at(&r->loc, where, sizeof where));
        return buf;
    }
    int k = snprintf(buf, len, "T%" PRIu32 " %s (P%u) %s at step %" PRIu64 "%s%s%s%s", r->task,
                     dr_text_esc(r->task_name, name, sizeof name), r->cpu, dr_text_esc(r->what, what, sizeof what),
                     r->step, r->ddi[0] ? ", in " : "", r->ddi, r->object[0] ? " " : "", r->object);
    if (r->has_loc && k >= 0 && (size_t)k < len)
        snprintf(buf + k, len - (size_t)k, " at %s", at(&r->loc, where, sizeof where));
    return buf;
}

size_t dr_explain(dr_explain_item *out, size_t max, size_t *total)
{
    size_t n;
    const dr_trace_rec *tr = dr_trace_records(&n);
    dr_story_name_tasks();
    size_t end = n;
    for (size_t i = 0; i < n; i++)
        if (tr[i].type == DR_TR_FINDING) {
            end = i;
            break;
        }
    size_t count = 0;
    for (size_t i = 0; i < end; i++)
        if (tr[i].choice && tr[i].pick)
            count++;
    *total = count;
    size_t skip = count > max ? count - max : 0, k = 0, seen = 0;
    for (size_t i = 0; i < end && k < max; i++) {
        if (!tr[i].choice || !tr[i].pick)
            continue;
        if (seen++ < skip)
            continue;
        explain_one(tr, n, i, &out[k++]);
    }
    return k;
}

void dr_explain_text(FILE *out, const dr_explain_item *it, size_t n, size_t total, size_t nrec,
                     const char *tape_path)
{
    if (!total) {
        fprintf(out, "how it happens: every one of the tape's %zu choices is its default (the first task\n"
                     "  ready runs on, no event or timer cuts in): the finding needs no unusual interleaving\n\n",
                nrec);
        return;
    }
    fprintf(out, "how it happens: %zu of the tape's %zu choices are off their default%s\n", total, nrec,
            total > n ? "; the last ones before the finding:" : ":");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  step %-6" PRIu64 " %s\n", it[i].step, it[i].text);
    if (total > n) {
        char cmd[8600];
        fprintf(out, "  (%zu more before them; %s keeps the few that matter)\n", total - n,
                dr_cli_minimize_command(tape_path, cmd, sizeof cmd));
    }
    fputc('\n', out);
}
