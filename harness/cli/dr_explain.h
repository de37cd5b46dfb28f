/* dr_explain.h: a finding's schedule in words. The choices of a traced run
 * that are off their default (a preemption, an event or the clock chosen
 * over the running task, another task than the first ready one, a data
 * choice's other value) are what makes the finding happen; on a minimized
 * tape they are a few. Each is told with the driver lines around it. */
#ifndef DR_EXPLAIN_H
#define DR_EXPLAIN_H

#include "dr_where.h"

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

/* The report's paragraph: a heading, then one line per item (nrec: the
 * tape's choices; tape_path for the minimize hint when some are left out). */
void dr_explain_text(FILE *out, const dr_explain_item *it, size_t n, size_t total, size_t nrec,
                     const char *tape_path);

#endif
