/* km_hb.h: happens-before edges that KMDF's own synchronisation provides,
 * told to ThreadSanitizer in fiber mode (the engine switches fibers with
 * no_sync, so TSan sees no other ordering between simulated processors).
 * km_hb_section_begin/end bracket code that KMDF runs under one of its locks:
 * every such section on the same lock is ordered after the previous ones,
 * exactly as the lock would order them. No-ops outside TSan builds. */
#ifndef KM_HB_H
#define KM_HB_H

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer) || defined(DR_TSAN_HOOKS)
#include <sanitizer/tsan_interface.h>
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
static inline void km_hb_section_begin(void *lock) { __tsan_acquire(lock); }
static inline void km_hb_section_end(void *lock) { __tsan_release(lock); }
/* The model is not instrumented, but its libc calls go through TSan's
 * interceptors: bracket the ones that write shared memory. */
static inline void km_quiet_writes_begin(void) { __tsan_ignore_thread_begin(); }
static inline void km_quiet_writes_end(void) { __tsan_ignore_thread_end(); }
#else
static inline void km_hb_section_begin(void *lock) { (void)lock; }
static inline void km_hb_section_end(void *lock) { (void)lock; }
static inline void km_quiet_writes_begin(void) {}
static inline void km_quiet_writes_end(void) {}
#endif

#endif
