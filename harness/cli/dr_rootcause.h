/* dr_rootcause.h: a campaign's distinct findings grouped by root cause. */
#ifndef DR_ROOTCAUSE_H
#define DR_ROOTCAUSE_H

#include "dr/dr_engine.h"

#include <stdint.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct dr_rc_item {
    dr_finding_kind kind;
    const char *title;
    char tape[4096];   /* its saved tape */
    bool reports;      /* its reports are next to it; read from them: */
    char where[900];   /* its driver line (dr_report_facts), "" when it has none */
    char other[900];   /* "what at file:line in function": the step it relates to (dr_related), "" when none */
    uint64_t steps;
} dr_rc_item;

/* Prints "root causes  K of N distinct findings ..." and each root cause:
 * the driver line where its findings happened (findings that share the
 * line are one cause: one ownership bug reached through several DDIs
 * gives several titles at one line), its findings, and its
 * representative, the tape with the fewest steps, with its replay
 * command, and the steps its findings relate to (for a race, the other
 * side's line). A finding with no driver line (a check after the last step)
 * is a cause of its own. Nothing when n is 0. */
void dr_rootcause_print(FILE *out, const dr_rc_item *items, size_t n);

#endif
