/* km_defer.c: the deferral objects WDFDPC, WDFWORKITEM and WDFWAITLOCK
 * (docs/model-defer.md). The source is microsoft/Windows-Driver-Frameworks,
 * cited as file#function: src/framework/kmdf/src/core/fxdpc.cpp and
 * fxdpcapi.cpp, src/framework/shared/core/fxworkitem.cpp and
 * fxworkitemapi.cpp, src/framework/shared/support/fxwaitlockapi.cpp and
 * src/framework/shared/inc/private/common/fxwaitlock.hpp.
 *
 * They share with WDFTIMER (km_timer.c) the parent rules
 * (km_defer_has_device), the automatic serialisation
 * (km_defer_effective_lock) and the processor choice (km_defer_pick_cpu).
 *
 * A DPC is the engine's dr_dpc, queued to the enqueuing processor as
 * KeInsertQueueDpc does; its routine runs EvtDpcFunc at DISPATCH_LEVEL. A
 * work item is a passive thread (dr_thread_create) per enqueue on a chosen
 * processor, as IoQueueWorkItem hands it to a system worker thread. A wait
 * lock is a synchronization KEVENT, signalled while free, waited on with
 * KeWaitForSingleObject (km_wdm.c), so its timeouts run on the virtual clock.
 *
 * Scheduling points: DDI entry (km_enter) and the waits (Cancel(TRUE),
 * Flush, the rundowns, a contended wait lock). Everything else happens
 * atomically, as the kernel's DPC queue lock and FxWorkItem's object lock
 * make it. */
#include "km.h"
#include "km_hb.h"

#define HB_ACQ(p) km_hb_section_begin((void *)(p))
#define HB_REL(p) km_hb_section_end((void *)(p))
/* Kernel-side bookkeeping read by other tasks' wait predicates: relaxed
 * atomics, as in km_timer.c. */
#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define OWNER_MAIN_CONTEXT 0x80000000u

static uint32_t me_id(void)
{
    uint32_t t = dr_current_task();
    return t ? t : OWNER_MAIN_CONTEXT;
}

/* Runs a deferred callback under the parent's callback lock when it has one
 * (FxDpc::DpcHandler, FxWorkItem::WorkItemHandler). Returns false if a
 * finding fired. */
static bool invoke(km_cblock *cb_lock, void (*fn)(WDFOBJECT), km_object *o, const char *callback)
{
    unsigned old = 0;
    if (cb_lock) {
        old = km_cblock_acquire(cb_lock, callback);
        if (dr_failed())
            return false;
    }
    unsigned irql = dr_irql();
    fn(km_handle(o));
    dr_framework_resume();
    if (dr_failed())
        return false;
    /* KMDF's verifier does not wrap these callbacks; strict mode checks them. */
    if (km_w.env.strict_irql_exit) {
        km_callback_irql_check(irql, callback, false);
        if (dr_failed())
            return false;
    }
    if (cb_lock)
        km_cblock_release(cb_lock, old);
    return true;
}

/* After the config checks, FxDpc::Initialize and FxWorkItem::Initialize in
 * their order: _SearchForDevice, _GetEffectiveLock (a passive lock for a
 * work item), then the object, its reference on itself (ADDREF(this)) and
 * on its parent (ParentObject->ADDREF), both released by the rundown. NULL
 * with *st set on failure. */
static km_object *deferred_create(km_type type, PWDF_OBJECT_ATTRIBUTES Attributes, km_object *parent, bool serialise,
                                  const char *api, km_cblock **lock, NTSTATUS *st)
{
    bool passive = type == KM_T_WORKITEM;
    *st = STATUS_INVALID_DEVICE_REQUEST;
    if (!km_defer_has_device(parent))
        return NULL;
    *st = km_defer_effective_lock(parent, serialise, passive, api, passive ? "work item" : "DPC", lock);
    if (!NT_SUCCESS(*st))
        return NULL;
    km_object *o = km_obj_create(type, Attributes, NULL, api, st);
    if (!o)
        return NULL;
    km_obj_ref(o);
    km_obj_ref(parent);
    return o;
}

/* The end of FlushAndRundown (fxdpc.cpp, fxworkitem.cpp): m_Object's
 * reference, then the object's own. */
static void rundown_end(km_object *o, km_object **parent, bool *done)
{
    km_object *p = *parent;
    *parent = NULL;
    if (p) {
        km_obj_unref(p); /* may free a completed request and its context */
        if (dr_failed())
            return;
    }
    ST(*done, true);
    km_obj_unref(o);
}

/* ---- WDFDPC ------------------------------------------------------------------------------------- */

DR_SITE(site_dpc_create, "WdfDpcCreate");
DR_SITE(site_dpc_enqueue, "WdfDpcEnqueue");
DR_SITE(site_dpc_cancel, "WdfDpcCancel");
DR_SITE(site_dpc_cancel_wait, "WdfDpcCancel-wait");
DR_SITE(site_dpc_parent, "WdfDpcGetParentObject");
DR_SITE_CAUSED(site_dpc_callback, "EvtDpcFunc", "WdfDpcEnqueue");
DR_SITE(site_dpc_rundown, "dpc-rundown");
DR_SITE(site_dpc_rundown_wait, "dpc-rundown-wait");
DR_SITE(site_dpc_cancel_running, "dpc: Cancel(TRUE) waits for a running callback");

/* FxDpc::FxDpcThunk -> DpcHandler, at DISPATCH on the processor it was
 * queued to. */
static void dpc_routine(void *arg)
{
    km_object *o = arg;
    km_dpcobj *d = &o->u.dpc;
    HB_ACQ(&d->hb_q);
    ST(d->queued, false);
    ST(d->active, LD(d->active) + 1);
    if (d->config.EvtDpcFunc) {
        ST(d->callback_task, dr_current_task());
        km_trace(&site_dpc_callback, o, dr_irql());
        if (!invoke(d->cb_lock, (void (*)(WDFOBJECT))d->config.EvtDpcFunc, o, "EvtDpcFunc"))
            return;
        ST(d->callback_task, 0);
    }
    HB_REL(&d->hb_done);
    ST(d->active, LD(d->active) - 1);
}

/* KeFlushQueuedDpcs, as far as this DPC goes: none queued, none running. */
static bool dpc_flushed(const void *arg)
{
    const km_dpcobj *d = &((const km_object *)arg)->u.dpc;
    return !LD(d->queued) && LD(d->active) == 0;
}

NTSTATUS WdfDpcCreate(PWDF_DPC_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFDPC *Dpc)
{
    const char *api = "WdfDpcCreate";
    if (!km_enter(&site_dpc_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    /* fxdpcapi.cpp#WdfDpcCreate, in its order. */
    NTSTATUS st;
    km_object *parent = km_defer_create_checks(Attributes, Config, sizeof(WDF_DPC_CONFIG), Dpc, "Dpc", api, &st);
    if (!parent)
        return st;
    /* fxdpc.cpp#Initialize */
    km_cblock *cb_lock = NULL;
    km_object *o = deferred_create(KM_T_DPC, Attributes, parent, Config->AutomaticSerialization, api, &cb_lock, &st);
    if (!o)
        return st;
    km_dpcobj *d = &o->u.dpc;
    d->config = *Config;
    d->cb_lock = cb_lock;
    dr_dpc_init(&d->dpc, dpc_routine, o, "wdf-dpc");
    d->parent = parent;
    km_trace(&site_dpc_create, o, cb_lock != NULL);
    *Dpc = (WDFDPC)km_handle(o);
    return STATUS_SUCCESS;
}

/* fxdpcapi.cpp#WdfDpcEnqueue: KeInsertQueueDpc, to the current processor:
 * FALSE if the DPC is already queued. */
BOOLEAN WdfDpcEnqueue(WDFDPC Dpc)
{
    if (!km_enter(&site_dpc_enqueue, HIGH_LEVEL))
        return FALSE;
    km_object *o = km_lookup(Dpc, KM_T_DPC, "WdfDpcEnqueue", true);
    if (!o)
        return FALSE;
    km_dpcobj *d = &o->u.dpc;
    HB_REL(&d->hb_q);
    bool was = LD(d->queued);
    ST(d->queued, true);
    bool queued = dr_dpc_queue(&d->dpc, dr_current_cpu());
    if (!queued && !was && !dr_failed())
        ST(d->queued, false);
    km_trace(&site_dpc_enqueue, o, queued);
    return queued ? TRUE : FALSE;
}

/* fxdpcapi.cpp#WdfDpcCancel and fxdpc.cpp#Cancel: KeRemoveQueueDpc; with
 * Wait and nothing removed, KeFlushQueuedDpcs. Wait is checked against
 * PASSIVE_LEVEL by FxVerifierCheckIrqlLevel (VF-BREAK V33, FALSE). */
BOOLEAN WdfDpcCancel(WDFDPC Dpc, BOOLEAN Wait)
{
    const char *api = "WdfDpcCancel";
    if (!km_enter_irql_checked(&site_dpc_cancel, Wait ? PASSIVE_LEVEL : HIGH_LEVEL))
        return FALSE;
    km_object *o = km_lookup(Dpc, KM_T_DPC, api, true);
    if (!o)
        return FALSE;
    km_dpcobj *d = &o->u.dpc;
    bool removed = dr_dpc_remove(&d->dpc);
    if (removed)
        ST(d->queued, false);
    km_trace(&site_dpc_cancel, o, removed);
    if (Wait && !removed) {
        unsigned irql = dr_irql();
        if (irql > PASSIVE_LEVEL) {
            /* Verifier off: the ASSERT is gone and KeFlushQueuedDpcs runs at
             * DISPATCH_LEVEL, where it must not (a bugcheck, or a hang when
             * called from this very DPC). */
            km_crash("V33", api, "WdfDpcCancel(Wait=TRUE) above PASSIVE_LEVEL",
                     "DPC%u: with the verifier off, KeFlushQueuedDpcs is called at IRQL %u", o->id, irql);
            return FALSE;
        }
        if (LD(d->active))
            dr_window(&site_dpc_cancel_running);
        dr_wait(dpc_flushed, o, &site_dpc_cancel_wait);
        if (dr_failed())
            return FALSE;
        HB_ACQ(&d->hb_done);
    }
    return removed ? TRUE : FALSE;
}

WDFOBJECT WdfDpcGetParentObject(WDFDPC Dpc)
{
    if (!km_enter(&site_dpc_parent, HIGH_LEVEL))
        return NULL;
    km_object *o = km_lookup(Dpc, KM_T_DPC, "WdfDpcGetParentObject", true);
    if (!o)
        return NULL;
    km_trace(&site_dpc_parent, o, o->u.dpc.parent ? o->u.dpc.parent->id : 0);
    return km_handle(o->u.dpc.parent);
}

/* fxdpc.cpp#Dispose + FlushAndRundown, at PASSIVE: KeFlushQueuedDpcs (a
 * queued DPC still runs; nothing removes it), then the parent and self
 * references go. */
static void dpc_rundown(km_object *o)
{
    km_dpcobj *d = &o->u.dpc;
    ST(d->running_down, true);
    km_trace(&site_dpc_rundown, o, LD(d->queued));
    if (!dpc_flushed(o)) {
        dr_wait(dpc_flushed, o, &site_dpc_rundown_wait);
        if (dr_failed())
            return;
    }
    HB_ACQ(&d->hb_done);
    rundown_end(o, &d->parent, &d->rundown_done);
}

/* ---- WDFWORKITEM ------------------------------------------------------------------------------- */

DR_SITE(site_wi_create, "WdfWorkItemCreate");
DR_SITE(site_wi_enqueue, "WdfWorkItemEnqueue");
DR_SITE(site_wi_flush, "WdfWorkItemFlush");
DR_SITE(site_wi_flush_wait, "WdfWorkItemFlush-wait");
DR_SITE(site_wi_parent, "WdfWorkItemGetParentObject");
DR_SITE_CAUSED(site_wi_callback, "EvtWorkItemFunc", "WdfWorkItemEnqueue");
DR_SITE(site_wi_cpu, "work-item-cpu");
DR_SITE(site_wi_skipped, "work-item-already-enqueued");
DR_SITE(site_wi_rundown, "work-item-rundown");
DR_SITE(site_wi_rundown_wait, "work-item-rundown-wait");

/* FxWorkItem::WorkItemThunk -> WorkItemHandler on a system worker thread:
 * m_Enqueued drops as it starts, so the callback may enqueue it again. */
static void wi_thread(void *arg)
{
    km_object *o = arg;
    km_workitem *w = &o->u.wi;
    /* Under the object's lock (Lock/Unlock around m_Enqueued and
     * m_WorkItemRunningCount, before and after the callback): hb_q is that
     * lock, which every Enqueue takes too. */
    HB_ACQ(&w->hb_q);
    ST(w->enqueued, false);
    ST(w->running, LD(w->running) + 1);
    HB_REL(&w->hb_q);
    ST(w->thread_task, dr_current_task()); /* m_WorkItemThread */
    km_trace(&site_wi_callback, o, dr_irql());
    if (!invoke(w->cb_lock, (void (*)(WDFOBJECT))w->config.EvtWorkItemFunc, o, "EvtWorkItemFunc"))
        return;
    ST(w->thread_task, 0);
    HB_REL(&w->hb_done);
    HB_ACQ(&w->hb_q);
    ST(w->running, LD(w->running) - 1);
    HB_REL(&w->hb_q);
    km_obj_unref(o); /* RELEASE(WorkItemThunk) */
}

/* m_WorkItemCompleted: set when nothing is enqueued or running. */
static bool wi_idle(const void *arg)
{
    const km_workitem *w = &((const km_object *)arg)->u.wi;
    return !LD(w->enqueued) && LD(w->running) == 0;
}

NTSTATUS WdfWorkItemCreate(PWDF_WORKITEM_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFWORKITEM *WorkItem)
{
    const char *api = "WdfWorkItemCreate";
    if (!km_enter(&site_wi_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    /* fxworkitemapi.cpp#WdfWorkItemCreate, in its order. */
    NTSTATUS st;
    km_object *parent =
        km_defer_create_checks(Attributes, Config, sizeof(WDF_WORKITEM_CONFIG), WorkItem, "WorkItem", api, &st);
    if (!parent)
        return st;
    if (!Config->EvtWorkItemFunc)
        return STATUS_INVALID_PARAMETER;
    /* fxworkitem.cpp#Initialize: PassiveCallbacks TRUE. */
    km_cblock *cb_lock = NULL;
    km_object *o =
        deferred_create(KM_T_WORKITEM, Attributes, parent, Config->AutomaticSerialization, api, &cb_lock, &st);
    if (!o)
        return st;
    km_workitem *w = &o->u.wi;
    w->config = *Config;
    w->cb_lock = cb_lock;
    o->passive_callbacks = true; /* MarkPassiveCallbacks in FxWorkItem::FxWorkItem */
    w->parent = parent;
    km_trace(&site_wi_create, o, cb_lock != NULL);
    *WorkItem = (WDFWORKITEM)km_handle(o);
    return STATUS_SUCCESS;
}

/* fxworkitem.cpp#Enqueue: ignored while enqueued (and not yet started); a
 * break once the rundown began; else m_Enqueued, a reference, and
 * IoQueueWorkItem. All three under the object's lock, which WorkItemHandler
 * takes before the callback: what the caller did before an ignored Enqueue
 * happens-before the pending callback too (hb_q, in wi_thread). */
VOID WdfWorkItemEnqueue(WDFWORKITEM WorkItem)
{
    const char *api = "WdfWorkItemEnqueue";
    if (!km_enter(&site_wi_enqueue, DISPATCH_LEVEL))
        return;
    km_object *o = km_lookup(WorkItem, KM_T_WORKITEM, api, true);
    if (!o)
        return;
    km_workitem *w = &o->u.wi;
    HB_ACQ(&w->hb_q);
    if (LD(w->enqueued)) {
        km_trace(&site_wi_skipped, o, 0);
        HB_REL(&w->hb_q);
        return;
    }
    if (LD(w->running_down)) {
        HB_REL(&w->hb_q);
        /* FxVerifierDbgBreakPoint, then nothing is queued. */
        km_vf_break("WI1", api, "work item enqueued after its deletion",
                    "WI%u is being deleted (its parent or itself); it is not queued", o->id);
        return;
    }
    ST(w->enqueued, true);
    km_obj_ref(o); /* ADDREF(WorkItemThunk) */
    km_trace(&site_wi_enqueue, o, 1);
    HB_REL(&w->hb_q);
    dr_thread_create(km_defer_pick_cpu(&site_wi_cpu), wi_thread, o, "work-item");
}

/* fxworkitemapi.cpp#WdfWorkItemFlush: FxVerifierCheckIrqlLevel(PASSIVE)
 * (VF-BREAK V33), then fxworkitem.cpp#FlushAndWait: a break (and no wait)
 * from the item's own callback, else wait for m_WorkItemCompleted. */
VOID WdfWorkItemFlush(WDFWORKITEM WorkItem)
{
    const char *api = "WdfWorkItemFlush";
    if (!km_enter_irql_checked(&site_wi_flush, PASSIVE_LEVEL))
        return;
    km_object *o = km_lookup(WorkItem, KM_T_WORKITEM, api, true);
    if (!o)
        return;
    km_workitem *w = &o->u.wi;
    km_trace(&site_wi_flush, o, wi_idle(o));
    if (dr_current_task() && LD(w->thread_task) == dr_current_task()) {
        km_vf_break("WI2", api, "flush from the work item's own callback",
                    "WI%u: WdfWorkItemFlush inside EvtWorkItemFunc would wait for itself", o->id);
        return;
    }
    dr_wait(wi_idle, o, &site_wi_flush_wait);
    if (dr_failed())
        return;
    HB_ACQ(&w->hb_done);
}

WDFOBJECT WdfWorkItemGetParentObject(WDFWORKITEM WorkItem)
{
    if (!km_enter(&site_wi_parent, DISPATCH_LEVEL))
        return NULL;
    km_object *o = km_lookup(WorkItem, KM_T_WORKITEM, "WdfWorkItemGetParentObject", true);
    if (!o)
        return NULL;
    km_trace(&site_wi_parent, o, o->u.wi.parent ? o->u.wi.parent->id : 0);
    return km_handle(o->u.wi.parent);
}

/* fxworkitem.cpp#Dispose + FlushAndRundown, at PASSIVE: m_RunningDown, wait
 * for m_WorkItemCompleted (an enqueued item still runs) unless called from
 * the item's own callback, then the parent and self references go. */
static void wi_rundown(km_object *o)
{
    km_workitem *w = &o->u.wi;
    ST(w->running_down, true);
    km_trace(&site_wi_rundown, o, wi_idle(o));
    if (!(dr_current_task() && LD(w->thread_task) == dr_current_task()) && !wi_idle(o)) {
        dr_wait(wi_idle, o, &site_wi_rundown_wait);
        if (dr_failed())
            return;
        HB_ACQ(&w->hb_done);
    }
    rundown_end(o, &w->parent, &w->rundown_done);
}

/* ---- dispose, shared ----------------------------------------------------------------------------- */

DR_SITE(site_defer_cpu, "defer-rundown-cpu");

void km_defer_dispose(km_object *o)
{
    if (o->type == KM_T_DPC)
        dpc_rundown(o);
    else
        wi_rundown(o);
}

static void rundown_thread(void *arg)
{
    km_object *o = arg;
    HB_ACQ(o->type == KM_T_DPC ? &o->u.dpc.hb_rundown : &o->u.wi.hb_rundown);
    km_obj_dispose(o);
    if (dr_failed())
        return;
    km_obj_unref(o);
}

/* FxDpc (MarkPassiveDispose) and FxWorkItem (MarkPassiveCallbacks) deleted
 * above PASSIVE: FxObject::ShouldDeferDisposeLocked hands the dispose to a
 * system work item, as for a timer. */
void km_defer_defer_dispose(km_object *o)
{
    HB_REL(o->type == KM_T_DPC ? &o->u.dpc.hb_rundown : &o->u.wi.hb_rundown);
    dr_thread_create(km_defer_pick_cpu(&site_defer_cpu), rundown_thread, o, "defer-rundown");
}

/* ~FxDpc / ~FxWorkItem: memory going while the kernel still has the DPC
 * queued or the work item pending is a use after free (C11). */
bool km_defer_destroy(km_object *o)
{
    bool pending = o->type == KM_T_DPC ? !dpc_flushed(o) : !wi_idle(o);
    if (pending) {
        km_crash("C11", o->type == KM_T_DPC ? "EvtDpcFunc" : "EvtWorkItemFunc",
                 "deferred callback object freed while pending",
                 "%s%u was freed while the kernel still has it queued or running", km_type_prefix(o->type), o->id);
        return false;
    }
    return true;
}

/* ---- WDFWAITLOCK --------------------------------------------------------------------------------- */

DR_SITE(site_wl_create, "WdfWaitLockCreate");
DR_SITE(site_wl_acquire, "WdfWaitLockAcquire");
DR_SITE(site_wl_release, "WdfWaitLockRelease");

/* fxwaitlockapi.cpp#WdfWaitLockCreate: the parent is optional (the driver by
 * default, AssignDriverAsDefaultParent); the event starts signalled. */
NTSTATUS WdfWaitLockCreate(PWDF_OBJECT_ATTRIBUTES LockAttributes, WDFWAITLOCK *Lock)
{
    const char *api = "WdfWaitLockCreate";
    if (!km_enter(&site_wl_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!Lock) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Lock is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *Lock = NULL;
    NTSTATUS st;
    km_object *o = km_obj_create(KM_T_WAITLOCK, LockAttributes, km_w.driver, api, &st);
    if (!o)
        return st;
    KeInitializeEvent(&o->u.wl.event, SynchronizationEvent, TRUE);
    km_trace(&site_wl_create, o, 0);
    *Lock = (WDFWAITLOCK)km_handle(o);
    return STATUS_SUCCESS;
}

/* fxwaitlockapi.cpp#WdfWaitLockAcquire: FxVerifierCheckIrqlLevel(PASSIVE)
 * unless the timeout is 0 (VF-BREAK V33, STATUS_INVALID_DEVICE_REQUEST),
 * then fxwaitlock.hpp#AcquireLock: KeWaitForSingleObject on the event
 * (STATUS_TIMEOUT when the timeout elapses), m_OwningThread. A recursive
 * acquire waits for itself: without a timeout the engine's deadlock. */
NTSTATUS WdfWaitLockAcquire(WDFWAITLOCK Lock, PLONGLONG Timeout)
{
    const char *api = "WdfWaitLockAcquire";
    bool try_only = Timeout && *Timeout == 0;
    if (!km_enter_irql_checked(&site_wl_acquire, try_only ? DISPATCH_LEVEL : PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *o = km_lookup(Lock, KM_T_WAITLOCK, api, true);
    if (!o)
        return STATUS_INVALID_HANDLE;
    km_waitlock *l = &o->u.wl;
    km_trace(&site_wl_acquire, o, Timeout ? *Timeout : -1);
    LARGE_INTEGER li = {.QuadPart = Timeout ? *Timeout : 0};
    NTSTATUS st = KeWaitForSingleObject(&l->event, Executive, KernelMode, FALSE, Timeout ? &li : NULL);
    if (dr_failed())
        return STATUS_UNSUCCESSFUL;
    if (st == STATUS_SUCCESS)
        ST(l->owner_task, me_id());
    return st;
}

/* fxwaitlock.hpp#ReleaseLock: m_OwningThread = NULL and the event is set;
 * the owner is only ASSERTed (checked builds), so a release by another
 * thread, or of a free lock, lets a second holder in: dmarace's own check. */
VOID WdfWaitLockRelease(WDFWAITLOCK Lock)
{
    const char *api = "WdfWaitLockRelease";
    if (!km_enter(&site_wl_release, DISPATCH_LEVEL))
        return;
    km_object *o = km_lookup(Lock, KM_T_WAITLOCK, api, true);
    if (!o)
        return;
    km_waitlock *l = &o->u.wl;
    uint32_t owner = LD(l->owner_task);
    km_trace(&site_wl_release, o, owner == me_id());
    if (owner != me_id()) {
        km_own_check("WL1", api, "wait lock released by a thread that does not own it",
                     "WL%u %s; KMDF only ASSERTs the owner in checked builds, sets the event and so lets a "
                     "second thread in",
                     o->id, owner ? "is held by another thread" : "is not held");
        return;
    }
    ST(l->owner_task, 0);
    KeSetEvent(&l->event, 0, FALSE);
}
