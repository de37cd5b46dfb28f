/* dr_hb.h: the built-in happens-before race detector (dr_hb.c), fiber mode.
 *
 * Vector clocks per task, FastTrack-style epochs per shadowed 8-byte granule
 * of driver memory (up to four access records each, as ThreadSanitizer's
 * shadow cells). The edges come from dr_hb_acquire/dr_hb_release (dr.h), the
 * one source both this detector and ThreadSanitizer consume. Everything is
 * per execution: the state is cleared (only what was used) when an execution
 * begins, and the tables have a fixed size, so memory stays flat however
 * long a campaign runs. */
#ifndef DR_HB_H
#define DR_HB_H

#include "dr_internal.h"

/* Is the detector on for this execution (fiber mode, enabled)? */
extern bool dr__hb_on;

/* A new execution: clear what the last one used; the detector is on for it
 * when enabled (dr_set_race_detector). */
void dr__hb_begin(void);
/* A task was created by the running task (or handler, or setup). */
void dr__hb_spawn(const dr_task *t);
/* A driver access to shared memory by the running task, right before it
 * happens; pc: the driver's return address (the access site); mark: the
 * trace record of its scheduling point in a traced run (1-based), else 0. A
 * race is a finding (from a task, this does not return). */
void dr__hb_access(const void *addr, size_t size, bool write, uintptr_t pc, uint32_t mark);


#endif
