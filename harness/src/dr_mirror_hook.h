/* dr_mirror_hook.h: the engine's side of dr_mirror.h, two stores on the
 * paths that record a choice or count a step (nothing when no mirror is
 * attached). */
#ifndef DR_MIRROR_HOOK_H
#define DR_MIRROR_HOOK_H

#include "dr/dr_mirror.h"

extern dr_mirror *dr__mirror;

static inline void dr__mirror_choice(uint8_t kind, uint32_t n, uint32_t v)
{
    dr_mirror *m = dr__mirror;
    if (m) {
        uint64_t i = m->nrec;
        if (i < m->cap)
            m->rec[i] = (dr_tape_rec){kind, n, v};
        m->nrec = i + 1;
    }
}

static inline void dr__mirror_step(uint64_t steps)
{
    if (dr__mirror)
        dr__mirror->steps = steps;
}

static inline void dr__mirror_begin(void)
{
    if (dr__mirror)
        dr_mirror_reset(dr__mirror);
}
#endif
