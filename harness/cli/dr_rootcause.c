/* dr_rootcause.c: grouping a campaign's distinct findings by root cause.
 *
 * A distinct finding is a kind and a title; a root cause is the driver
 * source site where findings happened (dr_where, read back by the caller
 * from each finding's saved report, so it is the saved tape's). Titles differ with
 * the DDI that noticed the damage (V15 from WdfRequestComplete, V16 from the
 * same call, C11 from the next lock call), the site does not. */
#include "dr_rootcause.h"

#include "dr_cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void dr_rootcause_print(FILE *out, const dr_rc_item *items, size_t n)
{
    if (!n)
        return;
    size_t *cause = calloc(n, sizeof *cause); /* the index of its cause's first item */
    if (!cause)
        return;
    size_t ncauses = 0;
    for (size_t i = 0; i < n; i++) {
        cause[i] = i;
        for (size_t j = 0; items[i].where[0] && j < i && cause[i] == i; j++)
            if (strcmp(items[j].where, items[i].where) == 0)
                cause[i] = cause[j];
        if (cause[i] == i)
            ncauses++;
    }
    fprintf(out, "root causes  %zu of %zu distinct findings (grouped by the driver line where they happened)\n", ncauses,
            n);
    for (size_t i = 0; i < n; i++) {
        if (cause[i] != i)
            continue;
        size_t members = 0, best = i;
        for (size_t j = i; j < n; j++)
            if (cause[j] == i) {
                members++;
                if (items[j].reports && (!items[best].reports || items[j].steps < items[best].steps))
                    best = j;
            }
        fprintf(out, "  %s: %zu finding%s\n", items[i].where[0] ? items[i].where : "(no driver line: after the last step)",
                members, members == 1 ? "" : "s");
        for (size_t j = i; j < n; j++)
            if (cause[j] == i) {
                char title[DR_CLI_ESC_TITLE];
                fprintf(out, "      [%s] %s\n", dr_finding_kind_name(items[j].kind),
                        dr_text_esc(items[j].title, title, sizeof title));
            }
        for (size_t j = i; j < n; j++) {
            if (cause[j] != i || !items[j].other[0])
                continue;
            bool seen = false;
            for (size_t k = i; k < j && !seen; k++)
                seen = cause[k] == i && strcmp(items[k].other, items[j].other) == 0;
            if (!seen)
                fprintf(out, "      related: %s\n", items[j].other);
        }
        char cmd[8600];
        if (items[best].reports)
            fprintf(out, "      shortest: %s (%" PRIu64 " steps)\n", dr_cli_replay_command(items[best].tape, true, cmd, sizeof cmd),
                    items[best].steps);
    }
    free(cause);
}
