/* dr_mirror.h: the execution in progress, visible from another process.
 *
 * A campaign supervisor runs executions in a child process. So that it can
 * write the tape of an execution that killed that child (a signal, a
 * sanitizer report, abort()) or that it had to kill (no progress), the engine
 * copies every choice it records and its step count into a mirror in shared
 * memory (mmap MAP_SHARED, mapped before the fork). The mirror is written only
 * by the process running the execution and read by the supervisor once that
 * process is gone, or (steps) as a progress counter while it runs. */
#ifndef DR_MIRROR_H
#define DR_MIRROR_H

#include "dr/dr_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dr_mirror {
    volatile uint64_t steps;   /* steps of the execution in progress */
    volatile uint64_t nrec;    /* choices recorded (may exceed cap: truncated) */
    uint64_t cap;              /* room in rec */
    volatile uint32_t sanitizer; /* a sanitizer is ending the process (its death callback ran) */
    volatile uint32_t raced;   /* ThreadSanitizer reported a data race in the execution */
    char what[96];             /* the sanitizer's description of its report, when it gives one */
    dr_race_info race;         /* raced: ThreadSanitizer's report (dr_engine.h) */
    dr_tape_rec rec[];
} dr_mirror;

/* A shared anonymous mapping with room for cap choices (pages are touched
 * only as they are written). NULL when out of memory. */
dr_mirror *dr_mirror_map(uint64_t cap);
void dr_mirror_unmap(dr_mirror *m);
/* From now on this process's engine mirrors into m (NULL: stop). Also
 * registers the sanitizer death callback that sets m->sanitizer. */
void dr_mirror_attach(dr_mirror *m);
/* Clears m for a new execution (the engine does it at the start of dr_run). */
void dr_mirror_reset(dr_mirror *m);

#ifdef __cplusplus
}
#endif
#endif
