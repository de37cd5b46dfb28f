/* km_request.c: framework requests and their cancellation.
 * kmdf-model-spec.md 1.12-1.15 and section 3: sub-states OWNED, CANCELABLE,
 * CANCEL_QUEUED, CANCEL_RUNNING, CANCELLED_OWNED, COMPLETED, rules R1-R8, and
 * checks V14-V24. State that KMDF changes under the queue lock or the
 * request lock changes here with no scheduling point in between. The window
 * between the I/O manager taking a cancelable request out of the queue and
 * EvtRequestCancel starting is a scheduling point: that is where Unmark
 * returns STATUS_CANCELLED before the callback has begun (R3). */
#include "km.h"
#include "km_hb.h"

#include <string.h>

static const char *const req_state_names[] = {
#define KM_X(e, s) s,
    KM_REQ_STATES(KM_X)
#undef KM_X
};

const char *km_req_state_name(km_req_state s)
{
    return (unsigned)s < sizeof req_state_names / sizeof req_state_names[0] ? req_state_names[s] : "?";
}

DR_SITE(site_mark, "WdfRequestMarkCancelable");
DR_SITE(site_mark_ex, "WdfRequestMarkCancelableEx");
DR_SITE(site_unmark, "WdfRequestUnmarkCancelable");
DR_SITE_TEXT(site_complete, "WdfRequestComplete", km_status_text);
DR_SITE(site_set_info, "WdfRequestSetInformation");
DR_SITE(site_is_canceled, "WdfRequestIsCanceled");
DR_SITE(site_io_cancel, "IoCancelIrp");
DR_SITE(site_cancel_dispatch, "cancel-dispatch");
DR_SITE_CAUSED(site_cancel_cb, "EvtRequestCancel", "IoCancelIrp");
DR_SITE(site_cancel_done, "EvtRequestCancel-returned");

km_object *km_request_create(km_object *queue, WDF_REQUEST_TYPE type, size_t length)
{
    km_object *dev = queue->u.q.device;
    PWDF_OBJECT_ATTRIBUTES attrs = dev->u.dev.has_request_attrs ? &dev->u.dev.request_attrs : NULL;
    NTSTATUS st;
    km_object *r = km_obj_create(KM_T_REQUEST, attrs, NULL, "request", &st);
    if (!r)
        return NULL;
    r->u.req.state = KM_REQ_OWNED;
    r->u.req.queue = queue;
    r->u.req.type = type;
    r->u.req.length = length;
    r->u.req.buffer =
        km_alloc_unexposed(length ? length : 1, 16, "request buffer", NULL, r, &r->u.req.buffer_alloc);
    r->u.req.status = STATUS_PENDING;
    dr_spinlock_init(&r->u.req.queue_lock, "queue-lock");
    return r;
}

/* A request completed and freed, its lookaside memory not reused yet. DDIs
 * with the verifier's driver-owned check (Complete, Mark, Unmark,
 * IsCanceled) see a request that is not driver-owned: V15 for a second
 * completion, V14 otherwise; SetInformation checks completion (V23).
 * Without the verifier each uses a freed or recycled IRP (R2, R4). Other
 * DDIs read freed memory (C11). Returns true if it reported. */
static bool freed_request(WDFREQUEST h, const char *api)
{
    km_object *o = km_peek_freed(h, KM_T_REQUEST);
    if (!o)
        return false;
    bool completing = strstr(api, "Complete") != NULL;
    bool owned_check = completing || strstr(api, "Cancel") != NULL;
    bool set_info = strstr(api, "SetInformation") != NULL;
    if (owned_check) {
        km_related(km_w.free_mark[o->index], "completed it");
        if (km_vf_break(completing ? "V15" : "V14", api,
                        completing ? "request already completed" : "request not owned by the driver",
                        "%s on REQ%u, which was completed and freed", api, o->id))
            return true;
        km_related(km_w.free_mark[o->index], "completed it");
        km_crash(completing ? "R2" : "R4", api, "request used after completion",
                 "%s on REQ%u after its completion: the IRP is freed or recycled (verifier off)", api, o->id);
        return true;
    }
    if (set_info) {
        if (km_vf_break("V23", api, "request already completed", "REQ%u was completed and freed", o->id))
            return true;
        km_crash("V23", api, "write into a completed request's IRP",
                 "REQ%u was completed: its IRP is freed or recycled (verifier off)", o->id);
        return true;
    }
    return false; /* km_lookup reports the use after free */
}

/* Resolve a request handle for a DDI; completed-but-referenced requests are
 * returned so the DDI can give the verifier's answer. */
km_object *km_request_lookup(WDFREQUEST h, const char *api)
{
    if (freed_request(h, api))
        return NULL;
    return km_lookup(h, KM_T_REQUEST, api, true);
}

/* V14: the verifier's "driver-owned" pre-check. A completed request is no
 * longer driver-owned: with the verifier that is a break, without it the
 * request is freed or recycled (CRASH, R2/R4). */
bool km_request_not_owned(km_object *r, const char *api)
{
    if (r->u.req.state == KM_REQ_COMPLETED) {
        char st[96];
        km_related(r->delete_mark, "completed it");
        if (km_vf_break("V15", api, "request already completed",
                        "REQ%u was completed before (status %s): not driver-owned any more", r->id,
                        km_status_text(r->u.req.status, st, sizeof st)))
            return true;
        km_related(r->delete_mark, "completed it");
        km_crash("R4", api, "request used after completion",
                 "REQ%u was completed: its IRP is gone or recycled (verifier off)", r->id);
        return true;
    }
    if (!r->u.req.driver_owned &&
        km_vf_break("V14", api, "request not owned by the driver", "REQ%u is not driver-owned", r->id))
        return true;
    return false;
}

/* ---- cancellation ---------------------------------------------------------------------------- */

/* Deliver EvtRequestCancel on the calling thread (the queue's dispatcher),
 * under the queue's cancel callback lock when the queue has a sync scope
 * (FxRequestCancelCallback::InvokeCancel with m_IoCancelCallbackLockPtr,
 * fxrequestcallbacks.hpp). The caller holds a reference on the request. */
static void run_cancel_callback(km_object *r)
{
    PFN_WDF_REQUEST_CANCEL fn = r->u.req.cancel_routine;
    r->u.req.cancel_routine = NULL; /* cleared before the call: it runs at most once */
    if (r->u.req.state == KM_REQ_COMPLETED) {
        /* R1/R3/C5: the request was completed while the cancel was in flight. */
        km_crash("R3", "EvtRequestCancel", "cancel callback runs on a completed request",
                 "REQ%u was completed before its EvtRequestCancel started (completed while cancelable, or after "
                 "Unmark returned STATUS_CANCELLED): the callback gets a stale request",
                 r->id);
        return;
    }
    km_hb_section_begin(&r->u.req.queue_lock); /* the dispatcher takes the request under the queue lock */
    r->u.req.state = KM_REQ_CANCEL_RUNNING;
    r->u.req.verifier_cancelled = true;
    km_hb_section_end(&r->u.req.queue_lock);
    km_obj_ref(r);
    km_trace(&site_cancel_cb, r, 0);
    km_cblock *lock = fn && r->u.req.queue ? r->u.req.queue->u.q.cb_lock : NULL;
    unsigned old = 0;
    if (lock) {
        old = km_cblock_acquire(lock, "EvtRequestCancel");
        if (dr_failed())
            return;
    }
    unsigned irql = dr_irql();
    if (fn)
        fn((WDFREQUEST)km_handle(r));
    dr_framework_resume();
    if (dr_failed())
        return;
    if (km_w.env.strict_irql_exit)
        km_callback_irql_check(irql, "EvtRequestCancel", false);
    if (dr_failed())
        return;
    if (lock)
        km_cblock_release(lock, old);
    km_hb_section_begin(&r->u.req.queue_lock);
    if (r->u.req.state == KM_REQ_CANCEL_RUNNING)
        r->u.req.state = KM_REQ_CANCELLED_OWNED;
    km_hb_section_end(&r->u.req.queue_lock);
    km_trace(&site_cancel_done, r, 0);
    km_obj_unref(r);
}

/* The dispatcher starts the callback some time after the request left the
 * cancel-safe queue: another processor may run in between (R3). */
static void dispatch_cancel(km_object *r)
{
    dr_yield(&site_cancel_dispatch);
    if (dr_failed())
        return;
    run_cancel_callback(r);
}

/* ---- the queue's dispatch loop (fxioqueue.cpp) ------------------------------------------------
 * A cancelled driver-owned request goes on the queue's m_Cancelled list
 * (CancelForDriver) and is delivered by the dispatch loop
 * (DispatchEvents -> ProcessCancelledRequests). DispatchInternalEvents
 * enters the loop only when no thread is in it (m_Dispatching == 0);
 * otherwise the thread already dispatching delivers it when its current
 * EvtIo* returns. A thread that may not dispatch (CanThreadDispatchEventsLocked:
 * above PASSIVE for a passive queue, or holding the queue's callback lock)
 * defers the loop to the queue's work item (passive) or DPC. */

DR_SITE(win_gate, "cancel: deferred to the thread dispatching on the queue (m_Dispatching)");
DR_SITE(win_dpc, "cancel: dispatch deferred to the queue's DPC (callback lock held)");
DR_SITE(win_wi, "cancel: dispatch deferred to the queue's work item (passive queue)");

static void dispatch_events(km_object *q);

static void queue_dpc(void *arg)
{
    km_object *q = arg;
    q->u.q.dpc_queued = false; /* DeferredDispatchRequestsFromDpc */
    dispatch_events(q);
}

static void queue_work_item(void *arg)
{
    km_object *q = arg;
    q->u.q.wi_queued = false; /* DeferredDispatchRequestsFromWorkerThread */
    dispatch_events(q);
}

void km_queue_init_dispatch(km_object *q) { dr_dpc_init(&q->u.q.dpc, queue_dpc, q, "queue-dpc"); }

/* ProcessCancelledRequests: the list's reference on each request is dropped
 * after its callback. */
static void process_cancelled(km_object *q)
{
    km_queue *qu = &q->u.q;
    while (qu->ncancelled && !dr_failed()) {
        km_object *r = qu->cancelled[0];
        qu->ncancelled--;
        km_quiet_writes_begin(); /* the model's own list: not a driver access for TSan's memmove hook */
        memmove(&qu->cancelled[0], &qu->cancelled[1], qu->ncancelled * sizeof qu->cancelled[0]);
        km_quiet_writes_end();
        r->u.req.on_cancelled_list = false;
        dispatch_cancel(r);
        if (!dr_failed())
            km_obj_unref(r);
    }
}

/* CanThreadDispatchEventsLocked, then the loop: the cancelled requests
 * first, then the queue's other events and its requests
 * (km_queue_dispatch_step), until nothing is left to do. */
static void dispatch_events(km_object *q)
{
    km_queue *qu = &q->u.q;
    bool defer_passive = dr_irql() > PASSIVE_LEVEL && qu->passive;
    bool lock_held = qu->lock && km_cblock_owned(qu->lock);
    if (defer_passive || (lock_held && qu->passive)) {
        dr_window(&win_wi);
        if (!qu->wi_queued) {
            qu->wi_queued = true;
            dr_thread_create(dr_current_cpu(), queue_work_item, q, "queue-work-item");
        }
        return;
    }
    if (lock_held) {
        dr_window(&win_dpc);
        if (!qu->dpc_queued) {
            qu->dpc_queued = true;
            dr_dpc_queue(&qu->dpc, dr_current_cpu());
        }
        return;
    }
    qu->dispatching++;
    for (;;) {
        if (qu->ncancelled) {
            process_cancelled(q);
            if (dr_failed())
                return;
            continue;
        }
        bool more = km_queue_dispatch_step(q);
        if (dr_failed())
            return;
        if (!more)
            break;
    }
    qu->dispatching--;
}

void km_queue_dispatch_events(km_object *q) { dispatch_events(q); }

/* DispatchInternalEvents (fxioqueue.hpp): a thread in the loop already will
 * see what the caller changed. */
void km_queue_dispatch_internal(km_object *q)
{
    if (q->u.q.dispatching) {
        dr_window(&win_gate);
        return;
    }
    dispatch_events(q);
}

/* FxIoQueue::CancelForDriver: onto m_Cancelled, then DispatchInternalEvents. */
static void cancel_for_driver(km_object *r)
{
    km_object *q = r->u.req.queue;
    km_queue *qu = &q->u.q;
    km_obj_ref(r);
    qu->cancelled[qu->ncancelled++] = r;
    r->u.req.on_cancelled_list = true;
    if (qu->dispatching) {
        dr_window(&win_gate);
        return;
    }
    dispatch_events(q);
}

void km_request_io_cancel(km_object *r)
{
    if (!km_enter(&site_io_cancel, DISPATCH_LEVEL))
        return;
    if (r->state == KM_OBJ_FREE || r->type != KM_T_REQUEST)
        return; /* already freed: the I/O manager cancels only IRPs it still owns */
    if (r->u.req.state == KM_REQ_COMPLETED) {
        if (r->u.req.completed_cancelable)
            km_crash("C5", "IoCancelIrp", "cancel of a request completed while cancelable",
                     "REQ%u was completed with its cancel routine armed; the I/O manager's cancel now runs on "
                     "the completed IRP",
                     r->id);
        return;
    }
    km_trace(&site_io_cancel, r, r->u.req.state);
    r->u.req.irp_cancelled = true;
    if (r->u.req.on_queue) { /* not presented: the queue's cancel routine (_IrpCancelForQueue) */
        km_queue_cancel_on_queue(r);
        return;
    }
    if (r->u.req.state != KM_REQ_CANCELABLE)
        return; /* the driver finds out through MarkCancelableEx or WdfRequestIsCanceled */
    km_hb_section_begin(&r->u.req.queue_lock);
    r->u.req.state = KM_REQ_CANCEL_QUEUED; /* out of the CSQ: Unmark now returns STATUS_CANCELLED */
    km_hb_section_end(&r->u.req.queue_lock);
    cancel_for_driver(r); /* _IrpCancelForDriver */
}

static NTSTATUS mark_locked(km_object *r, PFN_WDF_REQUEST_CANCEL EvtRequestCancel, bool ex,
                            const dr_site *site);

/* Mark, Unmark and the I/O manager's cancel all run under the queue lock in
 * KMDF (spec section 3, happens-before): each is one ordered section. */
static NTSTATUS mark(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel, bool ex, const dr_site *site)
{
    const char *api = site->name;
    if (!km_enter(site, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return STATUS_INVALID_HANDLE;
    if (!EvtRequestCancel) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL cancel routine",
                    "EvtRequestCancel is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (!r->u.req.queue) {
        /* fxrequestapi.cpp WdfRequestMarkCancelable[Ex] / UnmarkCancelable:
         * FxVerifierDbgBreakPoint (a break only with DbgBreakOnError, which
         * VerifierOn sets), then STATUS_INVALID_DEVICE_REQUEST in every build. */
        km_vf_break("V18", api, "request has no queue", "REQ%u has no current queue", r->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (km_request_not_owned(r, api))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (r->u.req.state == KM_REQ_CANCELABLE || r->u.req.driver_cancelable) {
        if (km_vf_break("V17", api, "request already cancelable", "REQ%u is already cancelable (%s)", r->id,
                        km_req_state_name(r->u.req.state)))
            return STATUS_INVALID_DEVICE_REQUEST;
    }
    km_hb_section_begin(&r->u.req.queue_lock);
    NTSTATUS st = mark_locked(r, EvtRequestCancel, ex, site);
    km_hb_section_end(&r->u.req.queue_lock);
    if (st == STATUS_MORE_PROCESSING_REQUIRED) { /* non-Ex on a cancelled IRP: CancelForDriver */
        cancel_for_driver(r);
        st = STATUS_SUCCESS;
    }
    return st;
}

static NTSTATUS mark_locked(km_object *r, PFN_WDF_REQUEST_CANCEL EvtRequestCancel, bool ex, const dr_site *site)
{
    km_trace(site, r, r->u.req.irp_cancelled);
    r->u.req.cancelable_mark = dr_trace_mark(site->name); /* what a V16 relates to */
    r->u.req.cancel_routine = EvtRequestCancel;
    r->u.req.driver_cancelable = km_w.env.verifier;
    if (!r->u.req.irp_cancelled) {
        r->u.req.state = KM_REQ_CANCELABLE;
        return STATUS_SUCCESS;
    }
    /* The IRP was cancelled already. */
    if (ex) {
        r->u.req.cancel_routine = NULL;
        r->u.req.driver_cancelable = false;
        return STATUS_CANCELLED; /* no callback; the caller must complete */
    }
    /* Non-Ex: EvtRequestCancel runs (R6), by KMDF's own rule
     * (fxioqueue.cpp#RequestCancelable -> CancelForDriver): at once on this
     * thread when no thread dispatches on the queue and this one may
     * dispatch; else deferred to the dispatching thread (inside its own
     * EvtIo* the caller is that thread: after EvtIo* returns), or to the
     * queue's DPC or work item. Which one depends on what the other
     * processors are doing at that moment: the schedule decides. */
    r->u.req.state = KM_REQ_CANCEL_QUEUED;
    if (r->u.req.dispatch_task && r->u.req.dispatch_task == dr_current_task()) {
        DR_SITE(win_deferred, "window: non-Ex Mark on a cancelled IRP inside EvtIo*: cancel deferred");
        dr_window(&win_deferred);
    }
    return STATUS_MORE_PROCESSING_REQUIRED;
}

VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{
    (void)mark(Request, EvtRequestCancel, false, &site_mark);
}

NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{
    return mark(Request, EvtRequestCancel, true, &site_mark_ex);
}

static NTSTATUS unmark_locked(km_object *r, const char *api);

NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request)
{
    const char *api = "WdfRequestUnmarkCancelable";
    if (!km_enter(&site_unmark, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return STATUS_INVALID_HANDLE;
    if (!r->u.req.queue) {
        /* fxrequestapi.cpp WdfRequestMarkCancelable[Ex] / UnmarkCancelable:
         * FxVerifierDbgBreakPoint (a break only with DbgBreakOnError, which
         * VerifierOn sets), then STATUS_INVALID_DEVICE_REQUEST in every build. */
        km_vf_break("V18", api, "request has no queue", "REQ%u has no current queue", r->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (km_request_not_owned(r, api))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_trace(&site_unmark, r, r->u.req.state);
    km_hb_section_begin(&r->u.req.queue_lock);
    NTSTATUS st = unmark_locked(r, api);
    km_hb_section_end(&r->u.req.queue_lock);
    return st;
}

static NTSTATUS unmark_locked(km_object *r, const char *api)
{
    switch (r->u.req.state) {
    case KM_REQ_CANCELABLE:
        r->u.req.state = KM_REQ_OWNED;
        r->u.req.cancel_routine = NULL;
        r->u.req.driver_cancelable = false;
        return STATUS_SUCCESS;
    case KM_REQ_OWNED:
        /* Never marked, or unmarked already (R5). */
        if (km_vf_break("V17", api, "request is not cancelable", "REQ%u was never marked cancelable or is unmarked",
                        r->id))
            return STATUS_INVALID_DEVICE_REQUEST;
        return STATUS_CANCELLED;
    case KM_REQ_CANCEL_QUEUED:
    case KM_REQ_CANCEL_RUNNING:
    case KM_REQ_CANCELLED_OWNED:
        r->u.req.unmark_said_cancelled = true;
        return STATUS_CANCELLED; /* DRIVER_CANCELABLE stays set */
    case KM_REQ_COMPLETED:
        break;
    }
    return STATUS_CANCELLED;
}

BOOLEAN WdfRequestIsCanceled(WDFREQUEST Request)
{
    const char *api = "WdfRequestIsCanceled";
    if (!km_enter(&site_is_canceled, DISPATCH_LEVEL))
        return FALSE;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return FALSE;
    if (km_request_not_owned(r, api))
        return FALSE;
    /* The verifier's FXREQUEST_FLAG_DRIVER_CANCELABLE, not the state: it
     * stays set through EvtRequestCancel (fxioqueue.cpp
     * FxIoQueue::RequestCancelable clears it only on a successful Unmark or
     * a failed Mark; fxrequest.cpp FxRequest::VerifyRequestIsNotCancelable). */
    if (r->u.req.driver_cancelable &&
        km_vf_break("V24", api, "asked of a cancelable request",
                    "REQ%u is cancelable: WdfRequestIsCanceled is for requests that are not", r->id))
        return FALSE;
    return r->u.req.irp_cancelled;
}

/* ---- completion ------------------------------------------------------------------------------------ */

static bool has_timer_child(const km_object *r)
{
    for (const km_object *c = r->first_child; c; c = c->next_sibling)
        if (c->type == KM_T_TIMER && c->state == KM_OBJ_LIVE && km_timer_is_passive_dispose(c))
            return true;
    return false;
}

/* A WDFDPC (MarkPassiveDispose) or WDFWORKITEM (MarkPassiveCallbacks)
 * parented to the request and not deleted: as passive-dispose as a timer. */
static const km_object *deferral_child(const km_object *r)
{
    for (const km_object *c = r->first_child; c; c = c->next_sibling)
        if ((c->type == KM_T_DPC || c->type == KM_T_WORKITEM) && c->state == KM_OBJ_LIVE && !c->delete_called)
            return c;
    return NULL;
}

/* The status the IRP is completed with: a framework-facility status is mapped
 * to a standard one, exactly as FxRequest::CompleteInternal does
 * (src/framework/shared/core/fxrequest.cpp): PAUSED and BUSY to
 * STATUS_DEVICE_BUSY, INTERNAL_ERROR to STATUS_INTERNAL_ERROR, every other
 * (TOO_FRAGMENTED, TOO_MANY_TRANSFERS, NOT_ENOUGH_MAP_REGISTERS, ...) to
 * STATUS_INVALID_DEVICE_REQUEST. Any other status passes unchanged. */
static NTSTATUS map_wdf_status(NTSTATUS st)
{
    if (((ULONG)st & 0x0FFF0000u) != (ULONG)FACILITY_DRIVER_FRAMEWORK << 16)
        return st;
    switch (st) {
    case STATUS_WDF_PAUSED:
    case STATUS_WDF_BUSY:
        return STATUS_DEVICE_BUSY;
    case STATUS_WDF_INTERNAL_ERROR:
        return STATUS_INTERNAL_ERROR;
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

static void complete(WDFREQUEST Request, NTSTATUS Status, bool set_info, ULONG_PTR Information, const char *api)
{
    if (!km_enter(&site_complete, DISPATCH_LEVEL))
        return;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return;
    if (r->u.req.state == KM_REQ_COMPLETED) {
        km_request_not_owned(r, api); /* V15 with the verifier, R2 crash without */
        return;
    }
    if (!r->u.req.driver_owned &&
        km_vf_break("V14", api, "request not owned by the driver", "REQ%u is not driver-owned", r->id))
        return;
    if (r->u.req.driver_created) {
        /* fxrequestapi.cpp VerifyRequestComplete: a request from
         * WdfRequestCreate is never driver-owned (V14 above, verifier on);
         * without the verifier FxRequest::CompleteInternal completes an IRP
         * the request does not have or that has no stack location for it
         * (m_CanComplete is FALSE: REQUEST_ALLOCATED_INTERNAL). */
        km_crash("RQ1", api, "completing a request the driver created",
                 "REQ%u came from WdfRequestCreate: it has no I/O manager IRP to complete (send it, or delete it)",
                 r->id);
        return;
    }
    if (set_info)
        r->u.req.information = Information;
    km_trace(&site_complete, r, Status);
    r->delete_mark = dr_trace_mark(api); /* what a later use of the request relates to */
    if (Status == STATUS_PENDING) {
        km_oracle("C3", "request completed with STATUS_PENDING",
                  "REQ%u completed with STATUS_PENDING: a completion path that defers its status turned out to be "
                  "the only one",
                  r->id);
        return;
    }
    /* DRIVER_CANCELABLE stays set from Mark until a successful Unmark, and
     * CANCELLED is set just before EvtRequestCancel: so this also catches a
     * completion while the cancel is queued. */
    bool cancelable = r->u.req.state == KM_REQ_CANCELABLE || r->u.req.state == KM_REQ_CANCEL_QUEUED;
    if (r->u.req.driver_cancelable && !r->u.req.verifier_cancelled)
        km_related(r->u.req.cancelable_mark, "marked it cancelable");
    if (r->u.req.driver_cancelable && !r->u.req.verifier_cancelled &&
        km_vf_break("V16", api, "completing a cancelable request",
                    "REQ%u: call WdfRequestUnmarkCancelable before WdfRequestComplete", r->id))
        return;
    if (r->u.req.state == KM_REQ_CANCEL_QUEUED && !r->u.req.unmark_said_cancelled) {
        /* R1/C5: completed while cancelable; the cancel in flight will run
         * its callback on the completed request. */
        km_crash("C5", api, "completed while a cancel was in flight",
                 "REQ%u completed while still cancelable and its IRP is being cancelled: EvtRequestCancel will "
                 "run on a completed request",
                 r->id);
        return;
    }
    if (r->u.req.state == KM_REQ_CANCEL_QUEUED) {
        /* R3: Unmark said STATUS_CANCELLED and EvtRequestCancel has not begun. */
        km_crash("R3", api, "completed before EvtRequestCancel started",
                 "REQ%u completed after Unmark returned STATUS_CANCELLED but before its EvtRequestCancel ran: the "
                 "callback will get a stale request",
                 r->id);
        return;
    }
    bool io = r->u.req.type == WdfRequestTypeRead || r->u.req.type == WdfRequestTypeWrite;
    /* FxRequest::VerifyCompleteInternal: reads, writes, and user-mode device
     * controls with an output buffer (internal and kernel-mode ones cannot be
     * judged: their output length is not known for sure). */
    size_t limit = io ? r->u.req.length : r->u.req.out_length;
    if (!io && (r->u.req.type != WdfRequestTypeDeviceControl || r->u.req.kernel_mode || !r->u.req.out_length))
        limit = SIZE_MAX;
    if (NT_SUCCESS(Status) && r->u.req.information > limit &&
        km_vf_bugcheck("V20", WDF_REQUEST_FATAL_ERROR, api, "information larger than the buffer",
                       "REQ%u: Information %lu > buffer length %zu", r->id, (unsigned long)r->u.req.information,
                       limit))
        return;
    if (has_timer_child(r) && dr_irql() >= DISPATCH_LEVEL &&
        km_vf_break("V21", api, "early dispose deferred by a timer child",
                    "REQ%u completed at DISPATCH_LEVEL with a WDFTIMER still parented to it", r->id))
        return;
    const km_object *dc = dr_irql() >= DISPATCH_LEVEL ? deferral_child(r) : NULL;
    if (dc && km_vf_break("V21", api, "early dispose deferred by a DPC or work item child",
                          "REQ%u completed at DISPATCH_LEVEL with %s%u (%s) still parented to it", r->id,
                          km_type_prefix(dc->type), dc->id, km_type_name(dc->type)))
        return;
    /* C2: a success status although the DMA transaction reported a failure
     * (or STATUS_CANCELLED), or success with a partial length after a stop.
     * A protocol expectation, not a KMDF rule: FxRequest::CompleteInternal
     * completes whatever status the driver gives, and a short read is legal
     * for a device that ends transfers early (a UART's interval timeout).
     * Scenarios of such devices turn it off (c2_status_lost=0). */
    if (km_w.env.c2_status_lost && NT_SUCCESS(Status) && r->u.req.tx_final &&
        (!NT_SUCCESS(r->u.req.tx_status) || (r->u.req.tx_stopped && r->u.req.tx_bytes < r->u.req.length))) {
        km_oracle("C2", "C2 status lost (protocol check): request completed with success although its DMA transaction "
                  "did not succeed",
                  "REQ%u completed with %#x, but its transaction ended with %#x after %zu of %zu bytes%s. A "
                  "protocol expectation, not a KMDF rule (KMDF completes any status); a device whose short "
                  "transfers are legal turns it off with c2_status_lost=0",
                  r->id, (unsigned)Status, (unsigned)r->u.req.tx_status, r->u.req.tx_bytes, r->u.req.length,
                  r->u.req.tx_stopped ? " (stopped)" : "");
        return;
    }
    if (r->u.req.irp_refs != 0) {
        km_bugcheck("V19", WDF_VERIFIER_FATAL_ERROR, api, "completed while a DMA transaction holds it",
                    "REQ%u has %d outstanding IRP references (a transaction between Execute and its final "
                    "DmaCompleted)",
                    r->id, r->u.req.irp_refs);
        return;
    }
    km_hb_section_begin(&r->u.req.queue_lock); /* the request lock: completion before the free */
    r->u.req.completed_cancelable = cancelable;
    r->u.req.state = KM_REQ_COMPLETED;
    r->u.req.status = map_wdf_status(Status);
    r->u.req.driver_owned = false;
    km_hb_section_end(&r->u.req.queue_lock);
    km_reqbuf_complete(r); /* a device control's buffers: copied back, freed */
    km_world_request_completed(r);
    /* PostProcessCompletion: the framework deletes the request; its memory
     * lives on while references (a timer child, WdfObjectReference) remain. */
    km_obj_delete(r);
}

VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status) { complete(Request, Status, false, 0, "WdfRequestComplete"); }

VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information)
{
    complete(Request, Status, true, Information, "WdfRequestCompleteWithInformation");
}

VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information)
{
    const char *api = "WdfRequestSetInformation";
    if (!km_enter(&site_set_info, DISPATCH_LEVEL))
        return;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return;
    if (r->u.req.state == KM_REQ_COMPLETED) {
        if (km_vf_break("V23", api, "request already completed", "REQ%u was completed before", r->id))
            return;
        km_crash("V23", api, "write into a completed request's IRP",
                 "REQ%u was completed: its IRP is freed or recycled (verifier off)", r->id);
        return;
    }
    km_trace(&site_set_info, r, (int64_t)Information);
    r->u.req.information = Information;
}

ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request)
{
    km_object *r = km_request_lookup(Request, "WdfRequestGetInformation");
    return r ? r->u.req.information : 0;
}

/* ---- references held by DMA transactions ------------------------------------------------------------ */

void km_request_device_owns(km_object *r, bool owns) { r->u.req.device_owned = owns; }

void km_request_tx_final(km_object *r, NTSTATUS status, size_t bytes, bool stopped)
{
    r->u.req.tx_final = true;
    r->u.req.tx_status = status;
    r->u.req.tx_bytes = bytes;
    r->u.req.tx_stopped = stopped;
}

/* C13: the driver touches a request's buffer while a DMA transfer owns it
 * (spec 1.5: do not touch the buffers until DmaCompleted* returned TRUE). */
void km_request_access(const void *addr, size_t size, bool write)
{
    for (unsigned i = 0; i < km_w.nrequests; i++) {
        km_object *r = km_world_request(i);
        if (!r)
            continue;
        const uint8_t *p = addr, *b = r->u.req.buffer;
        uint32_t alloc = r->u.req.buffer_alloc;
        if (p + size <= b || p >= b + r->u.req.length) {
            b = r->u.req.out_buffer; /* a direct device control's output (its MDL's pages) */
            alloc = r->u.req.out_alloc;
            if (!b || p + size <= b || p >= b + r->u.req.out_length)
                continue;
        }
        if (write) /* by an address not from WdfRequestRetrieve*Buffer (a scatter/gather element) */
            km_mem_exposed(alloc);
        if (r->u.req.device_owned) {
            km_oracle("C13", "C13 buffer touched while the device owns it",
                      "driver %s %zu bytes at offset %ld of REQ%u's buffer between Execute and the final "
                      "DmaCompleted",
                      write ? "wrote" : "read", size, (long)(p - b), r->id);
            return;
        }
    }
}

void km_request_irp_ref(km_object *r) { r->u.req.irp_refs++; }

void km_request_irp_unref(km_object *r)
{
    if (r->u.req.irp_refs <= 0) {
        km_vf_break("V22", "ReleaseIrpReference", "IRP reference count below zero",
                    "REQ%u released an IRP reference it did not hold", r->id);
        return;
    }
    r->u.req.irp_refs--;
}

void km_request_dispose(km_object *o)
{
    dr_event_disarm(&o->u.req.cancel_event);
}
