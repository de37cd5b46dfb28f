/* dr_explain.h: a finding's schedule in words. The choices of a traced run
 * that are off their default (a preemption, an event or the clock chosen
 * over the running task, another task than the first ready one, a data
 * choice's other value) are what makes the finding happen; on a minimized
 * tape they are a few. Each is told with the driver lines around it. */
#ifndef DR_EXPLAIN_H
#define DR_EXPLAIN_H

#include "dr_where.h"

#include "dr/dr_engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct dr_explain_item {
    uint64_t step;
    uint32_t choice;   /* 1 + the choice's index on the tape */
    bool has_loc;      /* where the stopped (or choosing) task was in the driver */
    dr_srcloc loc;
    char text[600];    /* the sentence, escaped (names are the driver's) */
} dr_explain_item;

/* The off-default choices of the last traced run up to its finding, in
 * order: the last `max` of them into out; their number in *total. */
size_t dr_explain(dr_explain_item *out, size_t max, size_t *total);

enum { DR_EXPLAIN_SHOWN = 8 }; /* how many a report tells */

/* The step a finding relates to, as the model names it (dr_fail_related):
 * the first completion of a request completed twice, the delete that freed
 * a handle used after, the final DmaCompleted before a stop; for a race,
 * the other side's line. */
typedef struct dr_related {
    bool race;        /* the earlier access of a ThreadSanitizer race: no task, step or DDI */
    uint32_t task;
    const char *task_name;
    unsigned cpu;
    uint64_t step;
    const char *what; /* "completed it" (the finding's related_what) */
    const char *ddi;  /* that step's DDI or model step */
    char object[48];  /* "REQ1", or "" */
    bool has_loc;
    dr_srcloc loc;    /* its driver line */
} dr_related;
/* From the last traced run, whose finding is f. */
bool dr_related_of(const dr_finding *f, dr_related *out);
/* "T4 timer-dpc (P1) completed it at step 50: WdfRequestComplete REQ1 at
 * file:line (function)" (escaped). */
const char *dr_related_text(const dr_related *r, char *buf, size_t len);

/* The report's paragraph: a heading, then one line per item (nrec: the
 * tape's choices; tape_path for the minimize hint when some are left out). */
void dr_explain_text(FILE *out, const dr_explain_item *it, size_t n, size_t total, size_t nrec,
                     const char *tape_path);

#endif
