/* dr_fiber.c: stacks, priming and the sanitizer-aware switch. The register
 * switch itself is in dr_switch_<arch>.S (or ucontext, as a portable fallback). */
#include "dr_fiber.h"
#include "dr_sanitizer.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if DR_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if DR_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if !defined(DR_FIBER_UCONTEXT)
/* Save callee-saved registers on the current stack, store sp in *save, load
 * new_sp, restore and return into the resumed context. */
void dr__ctx_switch(void **save, void *new_sp);
#endif

static dr_fiber *main_fiber; /* for ASan: where the main stack is */

/* Real drivers keep a few KiB of locals per frame (a kernel stack is 24 KiB
 * on x64, but user-mode code here also runs the model's layers under it).
 * Sanitizer builds grow frames with redzones. The guard region below the
 * stack is 64 KiB, so that even code built without -fstack-clash-protection
 * (which probes every page of a large frame) faults on it rather than
 * writing into the mapping below: another fiber's stack (docs/byod.md). */
enum { GUARD_BYTES = 64 * 1024 };

size_t dr_fiber_stack_size(void)
{
#if DR_ASAN || DR_TSAN
    return 512 * 1024;
#else
    return 256 * 1024;
#endif
}

void dr_fiber_init_main(dr_fiber *m)
{
    memset(m, 0, sizeof *m);
#if DR_TSAN
    m->tsan = __tsan_get_current_fiber();
#endif
    main_fiber = m;
}

bool dr_fiber_alloc(dr_fiber *f)
{
    memset(f, 0, sizeof *f);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t guard = (GUARD_BYTES + page - 1) / page * page;
    size_t size = dr_fiber_stack_size() + guard;
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return false;
    if (mprotect(m, guard, PROT_NONE) != 0) { /* guard region: overflow faults */
        munmap(m, size);
        return false;
    }
    f->map = m;
    f->map_size = size;
    f->stack_lo = m + guard;
    f->stack_size = size - guard;
#if DR_TSAN
    f->tsan = __tsan_create_fiber(0);
#endif
    return true;
}

void dr_fiber_free(dr_fiber *f)
{
#if DR_TSAN
    if (f->tsan)
        __tsan_destroy_fiber(f->tsan);
#endif
    if (f->map)
        munmap(f->map, f->map_size);
    memset(f, 0, sizeof *f);
}

#if defined(DR_FIBER_UCONTEXT)
void dr_fiber_prepare(dr_fiber *f, void (*entry)(void))
{
#if DR_ASAN
    ASAN_UNPOISON_MEMORY_REGION(f->stack_lo, f->stack_size);
#endif
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = (void *)f->stack_lo;
    f->uc.uc_stack.ss_size = f->stack_size;
    f->uc.uc_link = NULL;
    makecontext(&f->uc, entry, 0);
}
#else
void dr_fiber_prepare(dr_fiber *f, void (*entry)(void))
{
#if DR_ASAN
    /* A reused stack may hold poisoned redzones of an abandoned run. */
    ASAN_UNPOISON_MEMORY_REGION(f->stack_lo, f->stack_size);
#endif
    uintptr_t top = ((uintptr_t)f->stack_lo + f->stack_size) & ~(uintptr_t)15;
    void **sp = (void **)top;
#if defined(__x86_64__)
    /* [top-8]: fake return address, so entry sees rsp % 16 == 8 as after a call;
     * [top-16]: entry, popped by ret; below: rbp rbx r12..r15 = 0. */
    *--sp = NULL;
    *--sp = (void *)entry;
    for (int i = 0; i < 6; i++)
        *--sp = NULL;
#elif defined(__aarch64__)
    /* Frame of 176 bytes: x19..x28, x29, x30 (= entry), d8..d15. */
    sp -= 22;
    memset(sp, 0, 22 * sizeof(void *));
    sp[11] = (void *)entry; /* x30 at offset 88 */
#else
#error "no context switch for this target: configure with -DDR_FIBER_UCONTEXT=ON"
#endif
    f->sp = sp;
}
#endif

DR_NO_TSAN void dr_fiber_entered(void)
{
#if DR_ASAN
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(NULL, &bottom, &size);
    if (main_fiber && !main_fiber->stack_lo) {
        main_fiber->stack_lo = bottom;
        main_fiber->stack_size = size;
    }
#endif
}

void *dr_fiber_tsan_lend_main(void)
{
#if DR_TSAN
    void *cur = __tsan_get_current_fiber();
    if (main_fiber && main_fiber->tsan && cur != main_fiber->tsan)
        __tsan_switch_to_fiber(main_fiber->tsan, __tsan_switch_to_fiber_no_sync);
    return cur;
#else
    return NULL;
#endif
}

void dr_fiber_tsan_give_back(void *was)
{
#if DR_TSAN
    if (was && was != __tsan_get_current_fiber())
        __tsan_switch_to_fiber(was, __tsan_switch_to_fiber_no_sync);
#else
    (void)was;
#endif
}

DR_NO_TSAN void dr_fiber_switch(dr_fiber *from, dr_fiber *to, bool sync, bool leaving_for_good)
{
#if DR_ASAN
    __sanitizer_start_switch_fiber(leaving_for_good ? NULL : &from->asan_fake, to->stack_lo, to->stack_size);
#else
    (void)leaving_for_good;
#endif
#if DR_TSAN
    __tsan_switch_to_fiber(to->tsan, sync ? 0 : __tsan_switch_to_fiber_no_sync);
#else
    (void)sync;
#endif
#if defined(DR_FIBER_UCONTEXT)
    swapcontext(&from->uc, &to->uc);
#else
    dr__ctx_switch(&from->sp, to->sp);
#endif
#if DR_ASAN
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(from->asan_fake, &bottom, &size);
#endif
}
