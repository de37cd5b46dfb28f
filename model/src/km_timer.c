/* km_timer.c: WDFTIMER. kmdf-model-spec.md 1.11 (timer part), 1.16, 4, V25-V29,
 * C14-C17; where the spec is silent, src/framework/shared/core/fxtimer.cpp and
 * fxtimerapi.cpp of microsoft/Windows-Driver-Frameworks (cited file#function).
 *
 * A timer is a kernel timer on the virtual clock (dr_vtimer, 1 tick = 100 ns),
 * a DPC, and for passive-level timers a system work item, plus FxTimer's own
 * fields (m_StopThread, m_StopAgain, m_StartAborted, m_RunningDown) under the
 * timer object's lock. km_timer.state summarises them, most advanced first:
 *
 *   Deleted               the rundown finished; the parent reference is gone
 *   RunningDown           Dispose started (m_RunningDown): Start is V25
 *   Running               EvtTimerFunc executing (callback_task = its task)
 *   Expired-DPC-pending   expired; its DPC (or passive work item) is queued and
 *                         the callback has not started: Stop(FALSE) is FALSE
 *                         and the callback still runs
 *   Queued                in the kernel timer queue: Stop(FALSE) is TRUE
 *   Idle                  none of these
 *
 * Transitions: Start arms (Idle/any -> Queued); expiry (a clock decision, in
 * scheduler context) queues the DPC to a chosen processor and re-arms a
 * periodic timer; the DPC runs the callback at DISPATCH, or enqueues the
 * passive work item (a thread) unless one is still queued; Stop cancels the
 * kernel timer only; Stop(TRUE) also waits for the DPC and the work item;
 * WdfObjectDelete runs the rundown inline at PASSIVE and on a passive thread
 * otherwise, and the timer keeps firing until that thread runs.
 *
 * Scheduling points: DDI entry (km_enter), between Start's state check and the
 * arming (the race FxTimer::Start's comment admits), and the waits of
 * Stop(TRUE) and the rundown. Everything else happens atomically. */
#include "km.h"
#include "km_hb.h"

#include <stdio.h>
#include <string.h>

/* Happens-before edges the real kernel and framework give (timer table lock,
 * DPC queue, work item queue, KeFlushQueuedDpcs, the FxTimer lock), and no
 * others: in particular none from Stop(FALSE) to a callback already pending.
 * An acquire/release pair on one address stands for one such hand-off. */
#define HB_ACQ(p) km_hb_section_begin((void *)(p))
#define HB_REL(p) km_hb_section_end((void *)(p))

/* Kernel-side bookkeeping is touched from several tasks; the kernel updates
 * it under its own locks, which the model does not need (no scheduling point
 * inside), so relaxed atomics keep TSan from calling it a race without adding
 * happens-before edges. */
#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

enum { TICKS_PER_MS = 10000 }; /* 1 tick = 100 ns, the unit of DueTime */
#define STOP_MAIN_CONTEXT 0x80000000u /* m_StopThread for the main context */

static const char *const tmr_state_names[] = {
#define KM_X(e, s) s,
    KM_TMR_STATES(KM_X)
#undef KM_X
};

const char *km_tmr_state_name(km_tmr_state s)
{
    return (unsigned)s < sizeof tmr_state_names / sizeof tmr_state_names[0] ? tmr_state_names[s] : "?";
}

DR_SITE(site_create, "WdfTimerCreate");
DR_SITE(site_start, "WdfTimerStart");
DR_SITE(site_start_arm, "WdfTimerStart-arm");
DR_SITE(site_stop, "WdfTimerStop");
DR_SITE(site_stop_wait, "WdfTimerStop-wait");
DR_SITE(site_parent, "WdfTimerGetParentObject");
DR_SITE(site_expire, "timer-expired");
DR_SITE(site_expire_cpu, "timer-dpc-cpu");
DR_SITE(site_coalesced, "timer-dpc-already-queued");
DR_SITE_CAUSED(site_callback, "EvtTimerFunc", "WdfTimerStart");
DR_SITE(site_wi_cpu, "timer-work-item-cpu");
DR_SITE(site_wi_skip, "timer-work-item-skipped");
DR_SITE(site_defer, "timer-rundown-deferred");
DR_SITE(site_rundown_cpu, "timer-rundown-cpu");
DR_SITE(site_rundown, "timer-rundown");
DR_SITE(site_rundown_wait, "timer-rundown-wait-work-item");
DR_SITE(site_state, "timer-state");
DR_SITE(site_fired_after_delete, "timer: callback after WdfObjectDelete");
DR_SITE(site_stop_false_pending, "timer: Stop(FALSE) with the callback pending");
DR_SITE(site_absorbed, "timer: expiry absorbed by a queued DPC");
DR_SITE(site_start_aborted, "timer: Start aborted by Stop(TRUE)");

/* One race window per state, so tests and campaigns can see which states were
 * reached. */
static dr_site state_windows[] = {
#define KM_X(e, s) {"timer state: " s, 0, NULL, NULL},
    KM_TMR_STATES(KM_X)
#undef KM_X
};

static bool is_passive(const km_timer *t) { return t->level == WdfExecutionLevelPassive; }

static void tmr_update(km_object *o)
{
    km_timer *t = &o->u.tmr;
    km_tmr_state s;
    if (LD(t->rundown_done))
        s = KM_TMR_DELETED;
    else if (LD(t->running_down))
        s = KM_TMR_RUNNING_DOWN;
    else if (LD(t->callback_task))
        s = KM_TMR_RUNNING;
    else if (LD(t->dpc_queued) || LD(t->wi_enqueued))
        s = KM_TMR_EXPIRED_DPC_PENDING;
    else if (LD(t->queued))
        s = KM_TMR_QUEUED;
    else
        s = KM_TMR_IDLE;
    if (LD(t->state) == s)
        return;
    ST(t->state, s);
    dr_window(&state_windows[s]);
    km_trace(&site_state, o, s);
}

/* Processor for a DPC or a system thread: 0 is the processor that took the
 * clock interrupt or queued the item, others are the rest in order. Shared
 * with WDFDPC and WDFWORKITEM (km_defer.c). */
unsigned km_defer_pick_cpu(const dr_site *site)
{
    unsigned n = dr_cpus();
    if (n == 0)
        return 0;
    return (dr_current_cpu() + dr_choose(site, n)) % n;
}

/* ---- the kernel timer --------------------------------------------------------------------- */

/* KeSetCoalescableTimer / ExSetTimer: TRUE iff the timer was in the queue. */
static bool tmr_arm(km_object *o, uint64_t due)
{
    km_timer *t = &o->u.tmr;
    HB_ACQ(&t->hb_arm);
    bool was = LD(t->queued);
    dr_vtimer_set(&t->expiry, due);
    ST(t->queued, true);
    HB_REL(&t->hb_arm);
    tmr_update(o);
    return was;
}

/* KeCancelTimer / ExCancelTimer: TRUE iff the timer was in the queue. A DPC
 * already queued by an earlier expiry stays queued. */
static bool tmr_cancel(km_object *o)
{
    km_timer *t = &o->u.tmr;
    HB_ACQ(&t->hb_arm);
    bool was = LD(t->queued);
    if (was) {
        dr_vtimer_cancel(&t->expiry);
        ST(t->queued, false);
    }
    HB_REL(&t->hb_arm);
    tmr_update(o);
    return was;
}

static uint64_t due_ticks(LONGLONG due)
{
    uint64_t now = dr_now();
    if (due >= 0)
        return (uint64_t)due; /* absolute; a time in the past expires at once */
    uint64_t rel = (uint64_t)(-(due + 1)) + 1;
    return rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
}

/* ---- delivery ----------------------------------------------------------------------------- */

/* FxTimer::TimerHandler: records m_CallbackThread and calls the driver,
 * under the parent's callback lock with AutomaticSerialization
 * (m_CallbackLock, fxtimer.cpp#TimerHandler). */
static void tmr_invoke(km_object *o)
{
    km_timer *t = &o->u.tmr;
    PFN_WDF_TIMER fn = t->config.EvtTimerFunc;
    if (!fn)
        return;
    ST(t->callback_task, dr_current_task());
    if (LD(t->delete_pending)) {
        ST(t->running_after_delete, true);
        dr_window(&site_fired_after_delete);
    }
    tmr_update(o);
    km_trace(&site_callback, o, dr_irql());
    km_phase_timer_callback();
    unsigned old = 0;
    if (t->cb_lock) {
        old = km_cblock_acquire(t->cb_lock, "EvtTimerFunc");
        if (dr_failed())
            return;
    }
    unsigned irql = dr_irql();
    fn((WDFTIMER)km_handle(o));
    dr_framework_resume();
    if (dr_failed())
        return;
    /* V34 does not cover timer callbacks in KMDF; strict mode applies it. */
    if (km_w.env.strict_irql_exit) {
        km_callback_irql_check(irql, "EvtTimerFunc", false);
        if (dr_failed())
            return;
    }
    if (t->cb_lock)
        km_cblock_release(t->cb_lock, old);
    ST(t->callback_task, 0);
    tmr_update(o);
}

/* FxTimer::_FxTimerWorkItemCallback via FxSystemWorkItem::WorkItemHandler:
 * m_Enqueued drops as the work item starts, so a later expiry may enqueue
 * another while this one runs. */
static void tmr_work_item(void *arg)
{
    km_object *o = arg;
    km_timer *t = &o->u.tmr;
    HB_ACQ(&t->hb_wi);
    ST(t->wi_enqueued, false);
    ST(t->wi_running, LD(t->wi_running) + 1);
    tmr_invoke(o);
    if (dr_failed())
        return;
    HB_REL(&t->hb_done);
    ST(t->wi_running, LD(t->wi_running) - 1);
    tmr_update(o);
}

/* The timer DPC (_FxTimerDpcThunk / _FxTimerExtCallbackThunk), at DISPATCH on
 * the processor the expiry chose. */
static void tmr_dpc(void *arg)
{
    km_object *o = arg;
    km_timer *t = &o->u.tmr;
    HB_ACQ(&t->hb_dpc);
    ST(t->dpc_queued, false);
    ST(t->dpc_active, LD(t->dpc_active) + 1);
    tmr_update(o);
    if (is_passive(t)) {
        /* FxSystemWorkItem::TryToEnqueue: refused while still queued. */
        if (!LD(t->wi_enqueued)) {
            ST(t->wi_enqueued, true);
            tmr_update(o);
            HB_REL(&t->hb_wi);
            dr_thread_create(km_defer_pick_cpu(&site_wi_cpu), tmr_work_item, o, "timer-work-item");
        } else {
            km_trace(&site_wi_skip, o, 0);
        }
    } else {
        tmr_invoke(o);
    }
    if (dr_failed())
        return;
    HB_REL(&t->hb_done);
    ST(t->dpc_active, LD(t->dpc_active) - 1);
    tmr_update(o);
}

/* The clock fired the kernel timer: scheduler context, no driver code. The
 * kernel re-inserts a periodic timer before its DPC runs. A DPC still queued
 * from the previous expiry absorbs this one (KeInsertQueueDpc is FALSE). */
static void tmr_expire(void *arg)
{
    km_object *o = arg;
    km_timer *t = &o->u.tmr;
    HB_ACQ(&t->hb_arm);
    km_trace(&site_expire, o, (int64_t)dr_now());
    if (t->config.Period)
        dr_vtimer_set(&t->expiry, dr_now() + (uint64_t)t->config.Period * TICKS_PER_MS);
    else
        ST(t->queued, false);
    HB_REL(&t->hb_arm);
    unsigned cpu = km_defer_pick_cpu(&site_expire_cpu);
    HB_REL(&t->hb_dpc);
    if (dr_dpc_queue(&t->dpc, cpu))
        ST(t->dpc_queued, true);
    else if (!dr_failed()) {
        km_trace(&site_coalesced, o, cpu);
        dr_window(&site_absorbed);
    }
    tmr_update(o);
}

/* ---- Stop(TRUE) and the rundown ------------------------------------------------------------ */

/* KeFlushQueuedDpcs plus FxSystemWorkItem::WaitForExit. */
static bool tmr_flushed(const void *arg)
{
    const km_timer *t = &((const km_object *)arg)->u.tmr;
    return !LD(t->dpc_queued) && LD(t->dpc_active) == 0 && !LD(t->wi_enqueued) && LD(t->wi_running) == 0;
}

static bool tmr_work_item_idle(const void *arg)
{
    const km_timer *t = &((const km_object *)arg)->u.tmr;
    return !LD(t->wi_enqueued) && LD(t->wi_running) == 0;
}

/* FxTimer::Stop(Wait = TRUE) once the IRQL checks passed. `api` is the DDI
 * for reports, NULL when called by the rundown (which reported V27 itself).
 * Returns the BOOLEAN Stop returns. */
static BOOLEAN tmr_stop_wait(km_object *o, const char *api)
{
    km_timer *t = &o->u.tmr;
    uint32_t me = dr_current_task();
    if (me && LD(t->callback_task) == me) {
        /* fxtimer.cpp FxTimer::Stop: checked in every build and returns FALSE
         * without stopping; the break itself is FxVerifierDbgBreakPoint, only
         * with DbgBreakOnError (which VerifierOn sets). */
        if (api)
            km_vf_break("V27", api, "WdfTimerStop(Wait=TRUE) from the timer's own callback",
                        "TMR%u: stopping with Wait=TRUE inside EvtTimerFunc waits for itself", o->id);
        return FALSE;
    }
    HB_ACQ(&t->hb_lock);
    if (t->stop_wait_task &&
        km_vf_break("V28", api ? api : "WdfObjectDelete", "concurrent WdfTimerStop(Wait=TRUE)",
                    "TMR%u: a Stop(Wait=TRUE)%s is already in progress", o->id,
                    api ? "" : " (the deferred rundown's)"))
        return FALSE;
    t->start_aborted = false;
    t->stop_wait_task = me ? me : STOP_MAIN_CONTEXT;
    BOOLEAN result;
    do {
        t->stop_again = false;
        HB_REL(&t->hb_lock);
        result = tmr_cancel(o);
        dr_wait(tmr_flushed, o, &site_stop_wait);
        if (dr_failed())
            return FALSE;
        HB_ACQ(&t->hb_done);
        HB_ACQ(&t->hb_lock);
    } while (!result && t->stop_again);
    t->stop_wait_task = 0;
    t->stop_again = false;
    if (t->start_aborted) {
        result = TRUE;
        t->start_aborted = false;
    }
    HB_REL(&t->hb_lock);
    return result;
}

/* FxTimer::Dispose + FlushAndRundown, at PASSIVE. */
static void tmr_rundown(km_object *o)
{
    km_timer *t = &o->u.tmr;
    HB_ACQ(&t->hb_lock);
    ST(t->running_down, true);
    HB_REL(&t->hb_lock);
    tmr_update(o);
    km_trace(&site_rundown, o, 0);
    uint32_t me = dr_current_task();
    if (me && LD(t->callback_task) == me &&
        km_vf_break("V27", "WdfObjectDelete", "timer deleted from its own callback",
                    "TMR%u: the rundown waits for the callback it runs in (deadlock)", o->id))
        return;
    (void)tmr_stop_wait(o, NULL);
    if (dr_failed())
        return;
    /* m_SystemWorkItem->DeleteObject() waits for the work item: from inside
     * it, forever (C14). */
    if (is_passive(t)) {
        dr_wait(tmr_work_item_idle, o, &site_rundown_wait);
        if (dr_failed())
            return;
    }
    HB_ACQ(&t->hb_done);
    km_object *parent = t->parent;
    t->parent = NULL;
    if (parent) {
        km_obj_unref(parent); /* may free a completed request and its context */
        if (dr_failed())
            return;
    }
    ST(t->rundown_done, true);
    ST(t->delete_pending, false);
    tmr_update(o);
    km_obj_unref(o); /* the reference WdfTimerCreate took on the timer itself */
}

/* The deferred dispose (FxObject::QueueDeferredDisposeLocked's work item):
 * the whole of DisposeChildrenWorker at PASSIVE, this timer's rundown and its
 * EvtCleanupCallback included, then the creation reference. */
static void tmr_rundown_thread(void *arg)
{
    km_object *o = arg;
    HB_ACQ(&o->u.tmr.hb_rundown);
    km_obj_dispose(o);
    if (dr_failed())
        return;
    km_obj_unref(o);
}

/* FxTimer::Dispose at PASSIVE, from km_obj_dispose. */
void km_timer_dispose(km_object *o)
{
    ST(o->u.tmr.delete_pending, true);
    tmr_rundown(o);
}

/* WdfObjectDelete above PASSIVE (km_obj_delete): ShouldDeferDisposeLocked; the
 * timer may fire until the dispose thread runs. */
void km_timer_defer_dispose(km_object *o)
{
    km_timer *t = &o->u.tmr;
    ST(t->delete_pending, true);
    km_trace(&site_defer, o, dr_irql());
    HB_REL(&t->hb_rundown);
    t->rundown_task = dr_thread_create(km_defer_pick_cpu(&site_rundown_cpu), tmr_rundown_thread, o, "timer-rundown");
}

bool km_timer_is_passive_dispose(const km_object *t)
{
    /* Every FxTimer is MarkPassiveDispose (fxtimer.cpp#FxTimer); a deleted
     * one no longer holds up its parent's early dispose. */
    return t->type == KM_T_TIMER && !t->delete_called;
}

bool km_timer_destroy(km_object *o)
{
    km_timer *t = &o->u.tmr;
    if (!LD(t->rundown_done) &&
        km_vf_break("V29", "WdfObjectDereference", "WDFTIMER destroyed without WdfObjectDelete",
                    "TMR%u: its last reference went before WdfObjectDelete ran it down (reference count bug)",
                    o->id))
        return false;
    /* ~MxTimer: ExDeleteTimer cancels a timer still set. */
    if (LD(t->queued)) {
        dr_vtimer_cancel(&t->expiry);
        ST(t->queued, false);
    }
    if (!tmr_flushed(o)) {
        km_crash("C11", "EvtTimerFunc", "timer freed with its callback pending",
                 "TMR%u was freed while its DPC or work item was queued or running", o->id);
        return false;
    }
    return true;
}

/* ---- DDIs ------------------------------------------------------------------------------------ */

bool km_defer_has_device(const km_object *p)
{
    /* FxDeviceBase::_SearchForDevice; a request counts (its device base). */
    for (; p; p = p->parent)
        if (p->type == KM_T_DEVICE || p->type == KM_T_REQUEST)
            return true;
    return false;
}

/* The object whose callback constraints a timer, DPC or work item serialises
 * with: FxDeviceBase::_SearchForDevice's IFxHasCallbacks search from the
 * parent up (a queue or the device), else the device base's (a presented
 * request has no parent). */
static km_object *callbacks_object(km_object *p)
{
    for (km_object *a = p; a; a = a->parent)
        if (a->type == KM_T_QUEUE || a->type == KM_T_DEVICE)
            return a;
    if (p->type == KM_T_REQUEST && p->u.req.queue)
        return p->u.req.queue->u.q.device;
    return km_w.device;
}

/* fxobject.cpp#_GetEffectiveLock for FxTimer, FxDpc and FxWorkItem (their
 * Initialize): km_effective_lock (km_lock.c, shared with FxInterrupt) on
 * the parent's callbacks object. */
NTSTATUS km_defer_effective_lock(km_object *parent, bool automatic, bool passive, const char *api, const char *what,
                                 km_cblock **lock)
{
    char who[48];
    snprintf(who, sizeof who, "a %s %s", passive ? "passive" : "DISPATCH", what);
    return km_effective_lock(callbacks_object(parent), parent, automatic, passive, api, who, lock);
}

/* The checks WdfTimerCreate, WdfDpcCreate and WdfWorkItemCreate
 * (fxtimerapi.cpp, fxdpcapi.cpp, fxworkitemapi.cpp) open with, in their
 * order: FxValidateObjectAttributesForParentHandle with the parent required,
 * the parent's handle, the NULL Config and output pointers (V30), then
 * Config->Size (the first field of every config). */
km_object *km_defer_create_checks(PWDF_OBJECT_ATTRIBUTES Attributes, const void *Config, ULONG config_size,
                                  const void *out, const char *out_name, const char *api, NTSTATUS *st)
{
    *st = STATUS_WDF_PARENT_NOT_SPECIFIED;
    if (!Attributes)
        return NULL;
    if (Attributes->Size != sizeof(WDF_OBJECT_ATTRIBUTES)) {
        *st = STATUS_INFO_LENGTH_MISMATCH;
        return NULL;
    }
    if (!Attributes->ParentObject)
        return NULL;
    km_object *parent = km_lookup_any(Attributes->ParentObject, api, false);
    *st = STATUS_INVALID_HANDLE;
    if (!parent)
        return NULL;
    if (!Config || !out) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s is NULL",
                    Config ? out_name : "Config");
        *st = STATUS_INVALID_PARAMETER;
        return NULL;
    }
    ULONG size;
    memcpy(&size, Config, sizeof size);
    if (size != config_size) {
        *st = STATUS_INFO_LENGTH_MISMATCH;
        return NULL;
    }
    return parent;
}

NTSTATUS WdfTimerCreate(PWDF_TIMER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFTIMER *Timer)
{
    const char *api = "WdfTimerCreate";
    if (!km_enter(&site_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    /* fxtimerapi.cpp#WdfTimerCreate, in its order. */
    NTSTATUS st;
    km_object *parent = km_defer_create_checks(Attributes, Config, sizeof(WDF_TIMER_CONFIG), Timer, "Timer", api, &st);
    if (!parent)
        return st;
    if (Config->Period > 0x7FFFFFFFu) /* MAXLONG */
        return STATUS_INVALID_PARAMETER;
    if (Config->TolerableDelay > 0 && Config->UseHighResolutionTimer)
        return STATUS_INVALID_PARAMETER;
    bool passive = Attributes->ExecutionLevel == WdfExecutionLevelPassive;
    if (Config->Period > 0 && passive)
        return STATUS_NOT_SUPPORTED;
    /* fxtimer.cpp#Initialize */
    if (!km_defer_has_device(parent))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_cblock *cb_lock;
    st = km_defer_effective_lock(parent, Config->AutomaticSerialization, passive, api, "timer", &cb_lock);
    if (!NT_SUCCESS(st))
        return st;
    km_object *o = km_obj_create(KM_T_TIMER, Attributes, NULL, api, &st);
    if (!o)
        return st;
    km_timer *t = &o->u.tmr;
    t->config = *Config;
    t->level = passive ? WdfExecutionLevelPassive : WdfExecutionLevelDispatch;
    t->cb_lock = cb_lock;
    dr_vtimer_init(&t->expiry, tmr_expire, o, "timer");
    dr_dpc_init(&t->dpc, tmr_dpc, o, "timer-dpc");
    /* The timer's reference on itself (dropped at the end of the rundown) and
     * on its parent (m_Object, dropped by the rundown too). */
    km_obj_ref(o);
    km_obj_ref(parent);
    t->parent = parent; /* state is Idle (zero) from km_obj_create */
    dr_window(&state_windows[KM_TMR_IDLE]);
    km_trace(&site_create, o, passive);
    *Timer = (WDFTIMER)km_handle(o);
    return STATUS_SUCCESS;
}

BOOLEAN WdfTimerStart(WDFTIMER Timer, LONGLONG DueTime)
{
    const char *api = "WdfTimerStart";
    if (!km_enter(&site_start, DISPATCH_LEVEL))
        return FALSE;
    km_object *o = km_lookup(Timer, KM_T_TIMER, api, true);
    if (!o)
        return FALSE;
    km_timer *t = &o->u.tmr;
    km_trace(&site_start, o, DueTime);
    /* fxtimer.cpp#Start */
    HB_ACQ(&t->hb_lock);
    if (t->running_down) {
        HB_REL(&t->hb_lock);
        km_vf_break("V25", api, "start of a timer that is running down",
                    "TMR%u was deleted and its rundown has begun", o->id);
        return FALSE;
    }
    if (t->stop_wait_task) {
        t->start_aborted = true;
        HB_REL(&t->hb_lock);
        dr_window(&site_start_aborted);
        return FALSE;
    }
    HB_REL(&t->hb_lock);
    /* The ADDREF that keeps the timer while it is armed outside the lock. */
    km_obj_ref(o);
    dr_yield(&site_start_arm);
    if (dr_failed())
        return FALSE;
    BOOLEAN result = FALSE;
    if (!LD(t->rundown_done)) /* else ~MxTimer would cancel it at once */
        result = tmr_arm(o, due_ticks(DueTime));
    HB_ACQ(&t->hb_lock);
    if (t->stop_wait_task)
        t->stop_again = true;
    HB_REL(&t->hb_lock);
    km_obj_unref(o);
    return result;
}

BOOLEAN WdfTimerStop(WDFTIMER Timer, BOOLEAN Wait)
{
    const char *api = "WdfTimerStop";
    if (!km_enter(&site_stop, DISPATCH_LEVEL))
        return FALSE;
    km_object *o = km_lookup(Timer, KM_T_TIMER, api, true);
    if (!o)
        return FALSE;
    km_trace(&site_stop, o, Wait ? 1 : 0);
    if (!Wait) {
        if (LD(o->u.tmr.dpc_queued) || LD(o->u.tmr.wi_enqueued))
            dr_window(&site_stop_false_pending);
        return tmr_cancel(o);
    }
    /* fxtimerapi.cpp#WdfTimerStop: FxVerifierCheckIrqlLevel(PASSIVE_LEVEL). */
    unsigned irql = dr_irql();
    if (irql > PASSIVE_LEVEL) {
        if (km_vf_break("V26", api, "WdfTimerStop(Wait=TRUE) above PASSIVE_LEVEL",
                        "TMR%u stopped with Wait=TRUE at IRQL %u: it returns FALSE without stopping", o->id, irql))
            return FALSE;
        /* Verifier off: Stop(TRUE) goes on. The callback check comes first
         * (V27); otherwise KeFlushQueuedDpcs blocks at DISPATCH_LEVEL. */
        if (dr_current_task() && LD(o->u.tmr.callback_task) == dr_current_task())
            return tmr_stop_wait(o, api);
        km_crash("V26", api, "WdfTimerStop(Wait=TRUE) above PASSIVE_LEVEL",
                 "TMR%u: with the verifier off, KeFlushQueuedDpcs waits at IRQL %u (bugcheck)", o->id, irql);
        return FALSE;
    }
    return tmr_stop_wait(o, api);
}

WDFOBJECT WdfTimerGetParentObject(WDFTIMER Timer)
{
    if (!km_enter(&site_parent, DISPATCH_LEVEL))
        return NULL;
    km_object *o = km_lookup(Timer, KM_T_TIMER, "WdfTimerGetParentObject", true);
    if (!o)
        return NULL;
    km_trace(&site_parent, o, o->u.tmr.parent ? o->u.tmr.parent->id : 0);
    return km_handle(o->u.tmr.parent);
}
