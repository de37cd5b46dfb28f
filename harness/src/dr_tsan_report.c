/* dr_tsan_report.c: a ThreadSanitizer report (tsan build) in fiber mode. TSan
 * calls __tsan_on_report after it printed a report and before it decides
 * whether to halt; if an execution is running, the engine keeps the racing
 * accesses from TSan's report API (sanitizer/tsan_interface.h) in this
 * process and in the attached mirror, and calls the handler the CLI
 * registered, which ends the process (docs/tsan.md: every report in fiber
 * mode ends the process that ran it, whatever TSAN_OPTIONS says, and the
 * supervisor makes it a data-race finding with the mirrored tape). */
#include "dr_internal.h"
#include "dr_mirror_hook.h"
#include "dr_sanitizer.h"

#include <string.h>

#if DR_TSAN
#include <sanitizer/tsan_interface.h>
#endif

static dr_race_fn race_handler;
static dr_race_info race;
static bool in_report;

void dr_set_race_handler(dr_race_fn fn) { race_handler = fn; }

const dr_race_info *dr_race_current(void) { return in_report ? &race : NULL; }

#if DR_TSAN
/* The report's description and its first two memory accesses. Only TSan's
 * report API and plain copies: this runs inside TSan's report. */
static void capture(void *report, dr_race_info *r)
{
    memset(r, 0, sizeof *r);
    const char *what = NULL;
    int count = 0, nstack = 0, nmop = 0, nloc = 0, nmutex = 0, nthread = 0, nutid = 0;
    void *sleep_trace[1];
    if (__tsan_get_report_data(report, &what, &count, &nstack, &nmop, &nloc, &nmutex, &nthread, &nutid,
                               sleep_trace, sizeof sleep_trace / sizeof sleep_trace[0]) == 1 &&
        what) {
        size_t n = strlen(what);
        if (n >= sizeof r->what)
            n = sizeof r->what - 1;
        memcpy(r->what, what, n);
        r->what[n] = 0;
    }
    for (int i = 0; i < nmop && i < 2; i++) {
        dr_race_access *a = &r->access[r->naccess];
        int tid = 0, size = 0, write = 0, atomic = 0;
        void *addr = NULL, *trace[DR_RACE_FRAMES];
        memset(trace, 0, sizeof trace);
        if (__tsan_get_report_mop(report, (unsigned long)i, &tid, &addr, &size, &write, &atomic, trace,
                                  DR_RACE_FRAMES) != 1)
            continue;
        a->write = write != 0;
        a->atomic = atomic != 0;
        a->size = (uint32_t)size;
        for (unsigned k = 0; k < DR_RACE_FRAMES && trace[k]; k++)
            a->pc[a->npc++] = (uintptr_t)trace[k];
        r->naccess++;
    }
    r->step = dr__g.steps;
    r->task = dr__g.cur ? dr__g.cur->id : 0;
    r->cpu = dr__g.cur ? dr__g.cur->cpu : 0;
    const char *name = dr__g.cur ? dr__g.cur->name : "main";
    size_t n = name ? strlen(name) : 0;
    if (n >= sizeof r->task_name)
        n = sizeof r->task_name - 1;
    if (n)
        memcpy(r->task_name, name, n);
    r->task_name[n] = 0;
}
#endif

/* Fiber mode (real-thread mode records a finding without a tape, dr_rt.c). */
void dr__fiber_tsan_report(void *report)
{
    if (!dr__g.scn)
        return;
#if DR_TSAN
    capture(report, &race);
#else
    (void)report;
#endif
    if (dr__mirror) {
        dr__mirror->race = race;
        dr__mirror->raced = 1;
    }
    if (race_handler) {
        in_report = true;
        race_handler();
        in_report = false;
    }
}

#if DR_TSAN
void __tsan_on_report(void *report);
void __tsan_on_report(void *report) { dr__mode->tsan_report(report); }
#endif
