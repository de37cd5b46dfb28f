/* km_hb.h: happens-before edges that KMDF's own synchronisation provides,
 * given to the engine's one source of edges (dr_hb_acquire/release), which
 * the built-in race detector and, in the tsan build, ThreadSanitizer take
 * (the engine switches fibers with no_sync, so neither sees any other
 * ordering between simulated processors).
 * km_hb_section_begin/end bracket code that KMDF runs under one of its locks:
 * every such section on the same lock is ordered after the previous ones,
 * exactly as the lock would order them. */
#ifndef KM_HB_H
#define KM_HB_H

#include "dr/dr.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
static inline void km_hb_section_begin(void *lock) { dr_hb_acquire(lock); }
static inline void km_hb_section_end(void *lock) { dr_hb_release(lock); }

#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer) || defined(DR_TSAN_HOOKS)
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
/* The model is not instrumented, but its libc calls go through TSan's
 * interceptors: bracket the ones that write shared memory. */
static inline void km_quiet_writes_begin(void) { __tsan_ignore_thread_begin(); }
static inline void km_quiet_writes_end(void) { __tsan_ignore_thread_end(); }
#else
static inline void km_quiet_writes_begin(void) {}
static inline void km_quiet_writes_end(void) {}
#endif

#endif
