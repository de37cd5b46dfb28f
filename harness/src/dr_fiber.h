/* dr_fiber.h: user-space execution contexts for simulated processors.
 *
 * A fiber is a stack plus a saved stack pointer. dr_fiber_switch saves the
 * callee-saved registers of the running context and resumes another (about
 * 7 ns on x86-64). The ASan and TSan fiber hooks are part of the switch: ASan
 * learns each stack's bounds; TSan gets __tsan_switch_to_fiber with no_sync, so
 * a switch is not a happens-before edge and races between simulated
 * processors stay visible. Not thread-safe: one OS thread owns all fibers. */
#ifndef DR_FIBER_H
#define DR_FIBER_H
#include <stdbool.h>
#include <stddef.h>

#if defined(DR_FIBER_UCONTEXT)
#include <ucontext.h>
#endif

typedef struct dr_fiber {
#if defined(DR_FIBER_UCONTEXT)
    ucontext_t uc;
#else
    void *sp;           /* saved stack pointer while suspended */
#endif
    char *map;          /* mmap'ed region including the guard region; NULL for main */
    size_t map_size;
    const void *stack_lo; /* usable stack bounds (for ASan and access filtering) */
    size_t stack_size;
    void *tsan;         /* TSan fiber handle (tsan builds) */
    void *asan_fake;    /* ASan fake-stack save slot */
} dr_fiber;

/* Stack size of a fiber. Sanitizer builds need more. */
size_t dr_fiber_stack_size(void);

/* The calling OS thread's own context, to switch back to. */
void dr_fiber_init_main(dr_fiber *main_ctx);

/* Allocate a stack (with a 64 KiB guard region below it). Returns false on failure. */
bool dr_fiber_alloc(dr_fiber *f);
void dr_fiber_free(dr_fiber *f);

/* (Re)start f so that the next switch into it calls entry() on a clean stack.
 * entry must never return; it must call dr_fiber_entered() first. */
void dr_fiber_prepare(dr_fiber *f, void (*entry)(void));

/* Called first thing on a fresh fiber's stack. */
void dr_fiber_entered(void);

/* Switch from the running context `from` to `to`. `sync` makes the switch a
 * TSan happens-before edge (used only for the round trips at execution
 * boundaries); `leaving_for_good` tells ASan that `from` is finished. */
void dr_fiber_switch(dr_fiber *from, dr_fiber *to, bool sync, bool leaving_for_good);

/* TSan builds: make the calling OS thread's own context TSan's current one
 * while the tool works on a fiber's stack (returns the fiber's handle for
 * dr_fiber_tsan_give_back), so that work lands in no simulated processor's
 * history. No-ops elsewhere; no happens-before edge either way. */
void *dr_fiber_tsan_lend_main(void);
void dr_fiber_tsan_give_back(void *was);

/* True if p lies on f's stack. */
static inline bool dr_fiber_on_stack(const dr_fiber *f, const void *p)
{
    return (size_t)((const char *)p - (const char *)f->stack_lo) < f->stack_size;
}
#endif
