/* dr_poison.h: what the access hooks (dr_access.c) read of the poisoned
 * ranges (dr_poison.c), so that the common case is decided inline: the
 * bounding box of the windows, and with a single window its granule table. */
#ifndef DR_POISON_H
#define DR_POISON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { DR_POISON_GRANULE_SHIFT = 12, DR_POISON_GRANULE = 1 << DR_POISON_GRANULE_SHIFT };

/* A granule: its chain of ranges, and the one stretch [cut_lo, GRANULE -
 * cut_hi) no range touches when the ranges lie only at its two ends (the
 * usual case: an allocation's granule has its guard zone before or after it).
 * An access inside that stretch needs no walk of the chain. A range in the
 * middle of a granule empties the stretch. Zero-filled: an untouched granule. */
typedef struct dr_poison_granule {
    uint32_t head; /* first node + 1, 0 when none */
    uint16_t cut_lo, cut_hi;
} dr_poison_granule;

extern uintptr_t dr__poison_lo, dr__poison_span;
/* The granule table when there is exactly one window (starting at
 * dr__poison_lo), else NULL. */
extern const dr_poison_granule *dr__poison_gran;

/* The slow path: the access is inside the bounding box. */
void dr__poison_check(const void *addr, size_t size, bool write);

/* A fault the engine's crash handler claimed: reported (not returning) when
 * it hit a poisoned range (a PROT_NONE guard or freed page). */
void dr__poison_fault(const void *addr, const void *uctx);

/* Is the access at offset `off` from dr__poison_lo surely clear of poison? */
static inline bool dr__poison_clear(uintptr_t off, size_t size)
{
    const dr_poison_granule *g = dr__poison_gran;
    if (!g)
        return false;
    g += off >> DR_POISON_GRANULE_SHIFT;
    uintptr_t in = off & (DR_POISON_GRANULE - 1);
    return in >= g->cut_lo && in + size <= (uintptr_t)DR_POISON_GRANULE - g->cut_hi;
}

/* The hook's check, right before a driver access. */
static inline void dr__poison_access(const void *addr, size_t size, bool write)
{
    uintptr_t off = (uintptr_t)addr - dr__poison_lo;
    if (off < dr__poison_span && !dr__poison_clear(off, size))
        dr__poison_check(addr, size, write);
}

#endif
