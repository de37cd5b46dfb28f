/* dr_where.h: a stack of return addresses to the driver's source line, from
 * the program's own debug information (elfutils' libdwfl). */
#ifndef DR_WHERE_H
#define DR_WHERE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dr/dr_engine.h" /* dr_point_loc */

typedef struct dr_srcloc {
    const char *func; /* the driver function (the inlined one where the compiler inlined it) */
    const char *file; /* relative to the driver's source root (README: Driver source lines) */
    int line;
} dr_srcloc;

/* The innermost driver frame of a stack (innermost first): where a finding
 * happened or where the driver called a DDI. Driver code is what has line
 * information and is neither the engine's nor the model's (harness/, model/
 * of this source tree). False when no frame is the driver's (an environment
 * step, a check at the end of an execution) or debug information is missing.
 * The strings live as long as the process. */
bool dr_where(const uintptr_t *pc, size_t n, dr_srcloc *out);

/* A schedule's program point (the engine's dr_point_namer_fn): the
 * innermost driver frame, with a hash of its source line's text (whitespace
 * and comments left out; 0 when the file cannot be read). */
bool dr_where_point(const uintptr_t *pc, size_t n, dr_point_loc *out);

/* A race's site as titles name it: "file:line function" (dr_where_site:
 * of one pc, the driver's line, or for dmarace's own canaries the line
 * table's row; false when neither is known; the engine's dr_site_namer_fn). */
void dr_where_site_text(const dr_srcloc *l, char *out, size_t len);
bool dr_where_site(uintptr_t pc, char *out, size_t len);

/* Whether a driver pc (an access hook's return address) is a volatile load
 * or store: its line-table row's file, line and column are a registered
 * volatile site (dr_volatile_site_at; the engine's dr_hb_volatile_fn). */
bool dr_where_volatile(uintptr_t pc);

/* The driver functions a stack is in, outermost first: each run of driver
 * frames between the model's (or the engine's) is one driver callback the
 * framework called, named by its outermost frame's function (the callback,
 * not a helper inlined into it) with the line in it where the stack went on.
 * At most max; their number. */
size_t dr_where_callbacks(const uintptr_t *pc, size_t n, dr_srcloc *out, size_t max);

/* "  @ file:line function" for a stack with a driver frame, else "" (the
 * form the story and the trace append to a step; dr_trace_where_fn). */
const char *dr_where_suffix(const uintptr_t *pc, size_t n, char *buf, size_t len);
/* The same for a location already found (escaped: the names are the driver's). */
const char *dr_where_format(const dr_srcloc *l, char *buf, size_t len);

#endif
