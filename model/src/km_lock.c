/* km_lock.c: WDFSPINLOCK. kmdf-model-spec.md 1.17, V32, C20; the source is
 * src/framework/shared/support/fxspinlock.cpp and fxspinlockapi.cpp of
 * microsoft/Windows-Driver-Frameworks.
 *
 * The lock is the engine's spin lock: Acquire raises to DISPATCH_LEVEL and
 * spins (the processor is not runnable for anything else), a second acquire
 * on the processor that holds it is the engine's deadlock finding (C20).
 * Ownership is tracked as the verifier's lock history does (OwningThread), so
 * a release by another thread is V32. The IRQL saved at acquire belongs to
 * the lock (m_Irql) and is restored by the release. */
#include "km.h"
#include "km_hb.h"

#include <stdio.h>

/* TSan fiber mode runs processors without happens-before; the lock gives
 * exactly the ordering a real spin lock gives (tooling-notes.md 2.3):
 * __tsan_acquire after acquiring, __tsan_release before releasing. */
#define HB_ACQ(p) km_hb_section_begin((void *)(p))
#define HB_REL(p) km_hb_section_end((void *)(p))

/* The owner is read by a thread that may not hold the lock (the V32 check). */
#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define OWNER_MAIN_CONTEXT 0x80000000u

DR_SITE(site_create, "WdfSpinLockCreate");
DR_SITE(site_acquire, "WdfSpinLockAcquire");
DR_SITE(site_release, "WdfSpinLockRelease");

static uint32_t me_id(void)
{
    uint32_t t = dr_current_task();
    return t ? t : OWNER_MAIN_CONTEXT;
}

NTSTATUS WdfSpinLockCreate(PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK *SpinLock)
{
    const char *api = "WdfSpinLockCreate";
    if (!km_enter(&site_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!SpinLock) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "SpinLock is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *SpinLock = NULL;
    /* The parent is optional; without one the lock belongs to the driver. */
    NTSTATUS st;
    km_object *o = km_obj_create(KM_T_SPINLOCK, SpinLockAttributes, km_w.driver, api, &st);
    if (!o)
        return st;
    km_lock *l = &o->u.lock;
    km_quiet_writes_begin(); /* model memory, through snprintf's TSan interceptor */
    snprintf(l->name, sizeof l->name, "LOCK%u", (unsigned)o->id);
    km_quiet_writes_end();
    dr_spinlock_init(&l->lock, l->name);
    km_trace(&site_create, o, 0);
    *SpinLock = (WDFSPINLOCK)km_handle(o);
    return STATUS_SUCCESS;
}

VOID WdfSpinLockAcquire(WDFSPINLOCK SpinLock)
{
    if (!km_enter(&site_acquire, DISPATCH_LEVEL))
        return;
    /* A deleted lock still referenced is memory KMDF lets the driver use; a
     * freed one is caught by the lookup (C11). */
    km_object *o = km_lookup(SpinLock, KM_T_SPINLOCK, "WdfSpinLockAcquire", true);
    if (!o)
        return;
    km_lock *l = &o->u.lock;
    km_trace(&site_acquire, o, dr_irql());
    unsigned old = dr_spin_acquire(&l->lock);
    if (dr_failed())
        return;
    HB_ACQ(&l->lock);
    l->old_irql = old;
    ST(l->owner_task, me_id());
}

VOID WdfSpinLockRelease(WDFSPINLOCK SpinLock)
{
    const char *api = "WdfSpinLockRelease";
    if (!km_enter(&site_release, DISPATCH_LEVEL))
        return;
    km_object *o = km_lookup(SpinLock, KM_T_SPINLOCK, api, true);
    if (!o)
        return;
    km_lock *l = &o->u.lock;
    uint32_t owner = LD(l->owner_task);
    km_trace(&site_release, o, owner == me_id());
    if (owner != me_id()) {
        /* fxspinlock.cpp#ReleaseLock: the check lives in the lock-history
         * branch, present when the verifier (FxVerifierLock) is on. */
        if (km_w.env.verifier) {
            km_bugcheck("V32", WDF_INVALID_LOCK_OPERATION, api, "spin lock released by a thread that does not own it",
                        "LOCK%u %s", o->id, owner ? "is held by another thread" : "was never acquired");
            return;
        }
        /* Verifier off: KeReleaseSpinLock frees a lock someone else holds (or
         * none does) and lowers IRQL to the owner's saved value. */
        km_crash("V32", api, "spin lock released by a thread that does not own it",
                 "LOCK%u %s; with the verifier off the release breaks mutual exclusion", o->id,
                 owner ? "is held by another thread" : "was never acquired");
        return;
    }
    unsigned old = l->old_irql;
    ST(l->owner_task, 0);
    HB_REL(&l->lock);
    dr_spin_release(&l->lock, old);
}
