/* dr_tsan_report.c: a ThreadSanitizer report (tsan build) becomes a finding
 * with a tape. TSan calls __tsan_on_report just before it prints a report;
 * if an execution is running, the handler the CLI registered saves the
 * choices made so far as a data-race tape. Replaying that tape in the tsan
 * build runs the same interleaving to the same report (docs/engine.md). */
#include "dr_fault.h"
#include "dr_internal.h"
#include "dr_sanitizer.h"

#include <string.h>

static dr_race_fn race_handler;

void dr_set_race_handler(dr_race_fn fn) { race_handler = fn; }

bool dr_current_result(dr_exec_result *res, uint64_t *exec_index)
{
    if (!dr__g.scn)
        return false;
    memset(res, 0, sizeof *res);
    res->finding.kind = dr__fault_kind(DR_FAULT_DATA_RACE);
    snprintf(res->finding.rule, sizeof res->finding.rule, "%s", dr__fault_name(DR_FAULT_DATA_RACE));
    snprintf(res->finding.title, sizeof res->finding.title, "%s", dr__fault_title(DR_FAULT_DATA_RACE));
    char detail[96];
    snprintf(detail, sizeof detail, "at step %llu; replay this tape in the tsan build",
             (unsigned long long)dr__g.steps);
    dr__fault_msg_DATA_RACE(res->finding.message, sizeof res->finding.message, detail);
    res->finding.step = dr__g.steps;
    res->digest = 0; /* the execution did not finish: no trace digest */
    res->steps = dr__g.steps;
    res->choices = dr__g.rec.n;
    res->preemptions = dr__g.preemptions;
    *exec_index = dr__g.exec_index;
    return true;
}

/* Fiber mode: the handler saves the tape so far (real-thread mode records
 * a finding without a tape, dr_rt.c). */
void dr__fiber_tsan_report(void)
{
    if (race_handler && dr__g.scn)
        race_handler();
}

#if DR_TSAN
void __tsan_on_report(const void *report);
void __tsan_on_report(const void *report)
{
    (void)report;
    dr__mode->tsan_report();
}
#endif
