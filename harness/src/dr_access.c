/* dr_access.c: scheduling points at driver memory accesses.
 *
 * Driver-under-test sources are compiled with
 * -fsanitize-coverage=func,trace-loads,trace-stores (see DR_DRIVER_FLAGS in
 * CMake): clang then calls __sanitizer_cov_load<N>/store<N>(addr) before every
 * load and store that survives optimisation, with no edit to the driver. An
 * access to anything but the running fiber's own stack is shared memory, so
 * it is a scheduling point: an unlocked read-modify-write can be split by
 * another processor. An access to a poisoned range (dr_poison.c: a guard zone
 * or freed memory) is a finding before it happens. The harness and model are
 * not compiled with these flags. */
#include "dr_hb.h"
#include "dr_internal.h"
#include "dr_poison.h"
#include "dr_quiet.h"

#define G dr__g

DR_SITE(site_load, "driver-load");
DR_SITE(site_store, "driver-store");

static dr_access_observer_fn observer;

void dr_set_access_observer(dr_access_observer_fn fn) { observer = fn; }

/* Depth of dr_hardware_begin: per OS thread (the rt mode runs processors on
 * threads; the fiber mode never switches inside a hardware section). */
static _Thread_local unsigned hardware_depth;

void dr_hardware_begin(void) { hardware_depth++; }
void dr_hardware_end(void)
{
    if (hardware_depth)
        hardware_depth--;
}
void dr__hardware_reset(void) { hardware_depth = 0; }

/* Does a fiber-mode access need a scheduling point? Not from the engine's
 * own context, nor after the execution is over, nor on the running fiber's
 * own stack (most of a driver's accesses): decided inline in the hooks. */
static inline __attribute__((always_inline)) bool fiber_shared(const void *addr)
{
    dr_task *me = G.cur;
    return me && me->slot && !dr_fiber_on_stack(&me->slot->fiber, addr) && !G.in_handler && !G.over;
}

/* A shared access in fiber mode: the observer, the scheduling point, then
 * the poison check. Out of line, so that the hooks stay small. */
static __attribute__((noinline)) void fiber_shared_access(const void *addr, size_t size, bool write,
                                                          dr_access_observer_fn obs, uintptr_t pc)
{
    if (obs) {
        obs(addr, size, write);
        if (G.over)
            return;
    }
    /* dr_yield's fiber path, without its two calls through the operations
     * table: this runs at every shared driver load and store. */
    quiet_begin();
    uint32_t mark = G.tracing ? (uint32_t)G.ntrace + 1 : 0; /* the record its scheduling point adds */
    dr__schedule(write ? &site_store : &site_load);
    if (dr__hb_on && !G.over) {
        if (mark)
            dr__trace_stack_at(mark); /* where a later race's report relates to */
        dr__hb_access(addr, size, write, pc, mark);
    }
    quiet_end();
    /* After the scheduling point, right before the access (another processor
     * may have freed the memory meanwhile): one comparison for everything
     * outside the model's allocations; inside, a poisoned range is reported
     * before the access happens. */
    dr__poison_access(addr, size, write);
}

/* Fiber mode's access point (dr__fiber_ops.access). */
void dr__fiber_access(const void *addr, size_t size, bool write, dr_access_observer_fn obs)
{
    if (fiber_shared(addr))
        fiber_shared_access(addr, size, write, obs, 0);
}

static inline __attribute__((always_inline)) void access_point(const void *addr, size_t size, bool write,
                                                               uintptr_t pc)
{
    const dr_mode_ops *m = dr__mode;
    if (__builtin_expect(hardware_depth != 0, 0))
        return;
    if (m != &dr__fiber_ops)
        m->access(addr, size, write, observer);
    else if (fiber_shared(addr)) /* the fiber path inline: the usual case */
        fiber_shared_access(addr, size, write, observer, pc);
}

/* The access's site: the hook's return address, in the driver. */
#define DR_HOOK_PC ((uintptr_t)__builtin_return_address(0))
#define DR_LOAD_STORE(N, T)                                                                               \
    void __sanitizer_cov_load##N(T *addr);                                                                \
    void __sanitizer_cov_store##N(T *addr);                                                               \
    void __sanitizer_cov_load##N(T *addr) { access_point(addr, N, false, DR_HOOK_PC); }                   \
    void __sanitizer_cov_store##N(T *addr) { access_point(addr, N, true, DR_HOOK_PC); }

DR_LOAD_STORE(1, uint8_t)
DR_LOAD_STORE(2, uint16_t)
DR_LOAD_STORE(4, uint32_t)
DR_LOAD_STORE(8, uint64_t)
DR_LOAD_STORE(16, __int128)

/* Sanitizer runtimes define weak versions of these hooks and are linked
 * before our static library, so nothing would pull this object out of the
 * archive: the engine references this anchor to make sure ours are linked
 * (strong definitions win over the runtime's weak ones). */
void dr__access_anchor(void) {}
