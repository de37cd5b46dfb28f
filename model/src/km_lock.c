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

/* ---- framework callback locks ------------------------------------------------------------
 * FxCallbackSpinLock (DISPATCH execution level) and FxCallbackMutexLock
 * (PASSIVE), src/framework/shared/inc/private/common/fxcallbackspinlock.hpp and
 * fxcallbackmutexlock.hpp: the lock KMDF takes around EvtIo*, EvtRequestCancel
 * and a serialised EvtTimerFunc (automatic serialisation), and the one
 * WdfObjectAcquireLock takes. The spin variant is the engine's spin lock (it
 * raises to DISPATCH and spins; a holder on the same processor is the
 * engine's deadlock finding); the mutex variant blocks the thread until the
 * lock is free, so a cycle of waiters is the engine's deadlock. A second
 * acquire by the owning thread is FxVerifierBugCheck(WDF_RECURSIVE_LOCK) in
 * every build (Lock: m_OwnerThread == current). */

DR_SITE(site_cb_acquire, "callback-lock-acquire");
DR_SITE(site_cb_wait, "callback-lock-wait");
DR_SITE(site_cb_release, "callback-lock-release");

void km_cblock_init(km_cblock *l, bool passive, const km_object *o)
{
    l->passive = passive;
    l->owner_task = 0;
    km_quiet_writes_begin(); /* model memory, through snprintf's TSan interceptor */
    snprintf(l->name, sizeof l->name, "%s%u-lock", km_type_prefix(o->type), (unsigned)o->id);
    km_quiet_writes_end();
    dr_spinlock_init(&l->spin, l->name);
}

bool km_cblock_owned(const km_cblock *l) { return LD(l->owner_task) == me_id(); }

NTSTATUS km_effective_lock(km_object *callbacks, const km_object *parent, bool automatic, bool passive,
                           const char *api, const char *who, km_cblock **lock)
{
    *lock = NULL;
    if (!automatic)
        return STATUS_SUCCESS;
    WDF_SYNCHRONIZATION_SCOPE scope;
    km_cblock *l = km_callback_lock(callbacks, &scope);
    if (!l || (scope != WdfSynchronizationScopeDevice && scope != WdfSynchronizationScopeQueue))
        return STATUS_SUCCESS;
    if (passive != parent->passive_callbacks) {
        km_vf_break("SYNC", api, "execution level incompatible with the parent's callback lock",
                    "%s cannot serialise with a parent whose callbacks run at %s", who,
                    passive ? "DISPATCH_LEVEL" : "PASSIVE_LEVEL");
        return STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL;
    }
    *lock = l;
    return STATUS_SUCCESS;
}

static bool cblock_free(const void *arg)
{
    const km_cblock *l = arg;
    return LD(l->owner_task) == 0;
}

unsigned km_cblock_acquire(km_cblock *l, const char *api)
{
    if (km_cblock_owned(l)) {
        km_bugcheck("SYNC", WDF_RECURSIVE_LOCK, api, "recursive acquire of a callback lock",
                    "%s is already held by this thread", l->name);
        return dr_irql();
    }
    unsigned old;
    if (l->passive) {
        /* MxPagedLock::AcquireUnsafe (a FAST_MUTEX in a critical region). */
        old = dr_irql();
        if (dr_in_task()) {
            dr_yield(&site_cb_acquire);
            if (dr_failed())
                return old;
            if (!cblock_free(l))
                dr_wait(cblock_free, l, &site_cb_wait);
            if (dr_failed())
                return old;
        }
    } else {
        old = dr_spin_acquire(&l->spin);
        if (dr_failed())
            return old;
    }
    HB_ACQ(l);
    ST(l->owner_task, dr_current_task() ? dr_current_task() : OWNER_MAIN_CONTEXT); /* m_OwnerThread */
    return old;
}

void km_cblock_release(km_cblock *l, unsigned old_irql)
{
    ST(l->owner_task, 0u); /* m_OwnerThread = NULL */
    HB_REL(l);
    if (!l->passive) {
        dr_spin_release(&l->spin, old_irql);
        return;
    }
    if (dr_in_task())
        dr_yield(&site_cb_release);
}

/* WdfObjectAcquireLock / WdfObjectReleaseLock, src/framework/shared/object/
 * fxobjectapi.cpp: the object's callback lock (FxGetCallbackLock: objects
 * with callbacks only; a WDFQUEUE always has one, even with scope None), the
 * IRQL saved in the lock (m_PreviousIrql). Any other object is
 * FxVerifierBugCheck(WDF_INVALID_LOCK_OPERATION). */
DR_SITE(site_obj_acquire, "WdfObjectAcquireLock");
DR_SITE(site_obj_release, "WdfObjectReleaseLock");

static km_cblock *object_lock(WDFOBJECT Object, const dr_site *site)
{
    const char *api = site->name;
    if (!km_enter(site, DISPATCH_LEVEL))
        return NULL;
    km_object *o = km_lookup_any(Object, api, false);
    if (!o)
        return NULL;
    km_cblock *l = km_callback_lock(o, NULL);
    if (!l) {
        km_bugcheck("SYNC", WDF_INVALID_LOCK_OPERATION, api, "object has no callback lock",
                    "%s%u is not a driver, device or queue", km_type_prefix(o->type), o->id);
        return NULL;
    }
    km_trace(site, o, km_cblock_owned(l));
    return l;
}

VOID WdfObjectAcquireLock(WDFOBJECT Object)
{
    km_cblock *l = object_lock(Object, &site_obj_acquire);
    if (!l)
        return;
    if (l->passive && dr_irql() > PASSIVE_LEVEL) {
        km_crash("SYNC", "WdfObjectAcquireLock", "passive callback lock acquired above PASSIVE_LEVEL",
                 "%s is a mutex (PASSIVE execution level); acquiring it at IRQL %u", l->name, dr_irql());
        return;
    }
    unsigned old = km_cblock_acquire(l, "WdfObjectAcquireLock");
    if (dr_failed())
        return;
    l->prev_irql = old;
}

VOID WdfObjectReleaseLock(WDFOBJECT Object)
{
    km_cblock *l = object_lock(Object, &site_obj_release);
    if (!l)
        return;
    if (!km_cblock_owned(l)) {
        /* FxCallbackLock::CheckOwnership: a break with the lock verifier;
         * then the release goes on and breaks mutual exclusion. */
        if (km_vf_break("SYNC", "WdfObjectReleaseLock", "callback lock released by a thread that does not own it",
                        "%s %s", l->name, LD(l->owner_task) ? "is held by another thread" : "is not held"))
            return;
        km_crash("SYNC", "WdfObjectReleaseLock", "callback lock released by a thread that does not own it",
                 "%s %s; the release breaks mutual exclusion", l->name,
                 LD(l->owner_task) ? "is held by another thread" : "is not held");
        return;
    }
    km_cblock_release(l, l->prev_irql);
}
