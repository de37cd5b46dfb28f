/* dr_quiet.h: engine code runs TSan-quiet (tsan build; empty elsewhere).
 *
 * Fiber switches are no_sync, so TSan sees simulated processors as unordered.
 * The engine's own code is not instrumented, but its libc calls (memset,
 * snprintf, realloc) go through TSan's interceptors; engine code therefore
 * runs "quiet" (TSan's ignore-accesses annotations, a per-fiber depth we
 * track so an abandoned fiber can be unwound). The only happens-before edges
 * the engine adds are the execution boundaries: setup before every task of
 * the execution (epoch_start), and every task before the next execution
 * (epoch_end, plus a synchronising round trip with each abandoned fiber). */
#ifndef DR_QUIET_H
#define DR_QUIET_H

#include "dr_internal.h"
#include "dr_sanitizer.h"

#if DR_TSAN
/* One call ignoring reads and writes, without recording the caller's stack
 * (AnnotateIgnore*Begin put a stack into TSan's depot on every call, which was
 * the largest cost of fiber mode: see bench/README.md). */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static inline uint32_t *quiet_depth(void)
{
    return dr__g.running_slot ? &dr__g.running_slot->quiet : &dr__g.main_quiet;
}
static inline void quiet_begin(void)
{
    __tsan_ignore_thread_begin();
    ++*quiet_depth();
}
static inline void quiet_end(void)
{
    --*quiet_depth();
    __tsan_ignore_thread_end();
}
#define TSAN_ACQUIRE(a) __tsan_acquire((void *)(a))
#define TSAN_RELEASE(a) __tsan_release((void *)(a))
#else
static inline void quiet_begin(void) {}
static inline void quiet_end(void) {}
#define TSAN_ACQUIRE(a) ((void)0)
#define TSAN_RELEASE(a) ((void)0)
#endif

#endif
