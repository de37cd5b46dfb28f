/* dr_sanitizer.h: which sanitizer this translation unit is built with. clang 14
 * defines neither __SANITIZE_ADDRESS__ nor __SANITIZE_THREAD__, so ask
 * __has_feature as well. */
#ifndef DR_SANITIZER_H
#define DR_SANITIZER_H
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define DR_ASAN 1
#else
#define DR_ASAN 0
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer) || defined(DR_TSAN_HOOKS)
#define DR_TSAN 1
#else
#define DR_TSAN 0
#endif
#if DR_TSAN
#define DR_NO_TSAN __attribute__((no_sanitize("thread")))
#else
#define DR_NO_TSAN
#endif
#endif
