/* km_queue.c: I/O queues (FxIoQueue, src/framework/shared/irphandlers/io/
 * fxioqueue.cpp) and the request dispatching of the device's I/O package
 * (FxPkgIo, fxpkgio.cpp): WdfIoQueueCreate, WdfDeviceConfigureRequestDispatching,
 * and the presentation of a request to the driver's EvtIo* callback. */
#include "km.h"
#include "km_hb.h"

#include <stdio.h>
#include <string.h>

DR_SITE(site_queue_create, "WdfIoQueueCreate");
DR_SITE(site_present, "present");
DR_SITE(site_insert, "queue-insert");
DR_SITE(site_unlock, "queue-unlock-before-callback");

/* m_PowerState, reduced: on; stopping (EvtIoStop delivered, acknowledgements
 * awaited: nothing is presented); off (stopped for power: nothing presented,
 * requests stay queued). */
enum { KQ_POWER_ON, KQ_POWER_STOPPING, KQ_POWER_OFF };

NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config, PWDF_OBJECT_ATTRIBUTES QueueAttributes,
                          WDFQUEUE *Queue)
{
    if (!km_enter(&site_queue_create, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *dev = km_lookup(Device, KM_T_DEVICE, "WdfIoQueueCreate", false);
    if (!dev)
        return STATUS_INVALID_HANDLE;
    if (!Config) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, "WdfIoQueueCreate", "NULL required parameter",
                    "Config is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (Config->Size != sizeof(WDF_IO_QUEUE_CONFIG))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (Config->DispatchType != WdfIoQueueDispatchSequential && Config->DispatchType != WdfIoQueueDispatchParallel &&
        Config->DispatchType != WdfIoQueueDispatchManual)
        return STATUS_INVALID_PARAMETER;
    /* One default queue per device: FxPkgIo::InitializeDefaultQueue
     * (fxpkgio.cpp) fails the second with STATUS_UNSUCCESSFUL. */
    if (Config->DefaultQueue && dev->u.dev.default_queue)
        return STATUS_UNSUCCESSFUL;
    /* fxioqueue.cpp FxIoQueue::Initialize: NumberOfPresentedRequests only on
     * a parallel queue. */
    if (Config->Settings.Parallel.NumberOfPresentedRequests != 0 &&
        Config->DispatchType != WdfIoQueueDispatchParallel)
        return STATUS_INVALID_PARAMETER;
    /* fxioqueue.cpp#ConfigureConstraints: inherit from the device; Device
     * scope needs the device's execution level (else STATUS_INVALID_PARAMETER). */
    WDF_EXECUTION_LEVEL level = QueueAttributes && km_known_level(QueueAttributes->ExecutionLevel)
                                    ? QueueAttributes->ExecutionLevel
                                    : dev->u.dev.level;
    WDF_SYNCHRONIZATION_SCOPE scope = QueueAttributes && km_known_scope(QueueAttributes->SynchronizationScope)
                                          ? QueueAttributes->SynchronizationScope
                                          : dev->u.dev.scope;
    if (scope == WdfSynchronizationScopeDevice && level != dev->u.dev.level)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st;
    km_object *q = km_obj_create(KM_T_QUEUE, QueueAttributes, dev, "WdfIoQueueCreate", &st);
    if (!q)
        return st;
    q->no_delete = true;
    q->u.q.config = *Config;
    q->u.q.device = dev;
    q->u.q.passive = level == WdfExecutionLevelPassive;
    q->u.q.scope = scope;
    if (q->u.q.passive)
        q->passive_callbacks = true; /* MarkPassiveCallbacks */
    km_cblock_init(&q->u.q.own_lock, q->u.q.passive, q);
    q->u.q.lock = scope == WdfSynchronizationScopeDevice ? &dev->u.dev.cblock : &q->u.q.own_lock;
    q->u.q.cb_lock = scope == WdfSynchronizationScopeNone ? NULL : q->u.q.lock;
    km_queue_init_dispatch(q);
    /* fxioqueue.cpp FxIoQueue::Initialize: a new queue accepts and
     * dispatches; WdfUseDefault is power-managed unless the device is a
     * filter (the model's never is). */
    q->u.q.accepting = q->u.q.dispatch_on = true;
    q->u.q.power_managed = Config->PowerManaged != WdfFalse;
    q->u.q.power = KQ_POWER_ON;
    if (Config->DefaultQueue)
        dev->u.dev.default_queue = q;
    if (Queue)
        *Queue = (WDFQUEUE)km_handle(q);
    km_trace(&site_queue_create, q, Config->DispatchType);
    return STATUS_SUCCESS;
}

km_object *km_world_queue_for(WDF_REQUEST_TYPE type)
{
    km_device *d = &km_w.device->u.dev;
    return (unsigned)type < WdfRequestTypeMax && d->dispatch[type] ? d->dispatch[type] : d->default_queue;
}

/* fxdeviceapi.cpp WdfDeviceConfigureRequestDispatching and fxpkgio.cpp
 * FxPkgIo::ConfigureForwarding: route one request type to a queue of the
 * device, before the device starts; not the default queue, not a type
 * routed already, and only to a queue with a callback for that type (each
 * refusal a FxVerifierDbgBreakPoint: VF-BREAK with the verifier on, the
 * status otherwise). Create goes to FxPkgGeneral: the model sends no
 * creates, so it is recorded only. */
DR_SITE(site_configure_dispatch, "WdfDeviceConfigureRequestDispatching");
NTSTATUS WdfDeviceConfigureRequestDispatching(WDFDEVICE Device, WDFQUEUE Queue, WDF_REQUEST_TYPE RequestType)
{
    static const char api[] = "WdfDeviceConfigureRequestDispatching";
    km_object *dev = km_lookup(Device, KM_T_DEVICE, api, false);
    if (!dev)
        return STATUS_INVALID_HANDLE;
    if (RequestType != WdfRequestTypeCreate && RequestType != WdfRequestTypeRead &&
        RequestType != WdfRequestTypeWrite && RequestType != WdfRequestTypeDeviceControl &&
        RequestType != WdfRequestTypeDeviceControlInternal)
        return STATUS_INVALID_PARAMETER;
    km_object *q = km_lookup(Queue, KM_T_QUEUE, api, false);
    if (!q)
        return STATUS_INVALID_HANDLE;
    if (q->u.q.device != dev)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (dev->u.dev.pnp_started)
        return STATUS_INVALID_DEVICE_STATE;
    if (RequestType == WdfRequestTypeCreate) {
        km_trace(&site_configure_dispatch, q, RequestType);
        return STATUS_SUCCESS;
    }
    const WDF_IO_QUEUE_CONFIG *c = &q->u.q.config;
    bool handler = c->EvtIoDefault || (RequestType == WdfRequestTypeRead && c->EvtIoRead) ||
                   (RequestType == WdfRequestTypeWrite && c->EvtIoWrite) ||
                   (RequestType == WdfRequestTypeDeviceControl && c->EvtIoDeviceControl) ||
                   (RequestType == WdfRequestTypeDeviceControlInternal && c->EvtIoInternalDeviceControl);
    const char *why = !handler                             ? "the queue has no callback for this request type"
                      : q == dev->u.dev.default_queue       ? "the default queue cannot be configured"
                      : dev->u.dev.dispatch[RequestType]    ? "the request type is configured already"
                                                            : NULL;
    if (why) {
        NTSTATUS st = !handler || q == dev->u.dev.default_queue ? STATUS_INVALID_DEVICE_REQUEST : STATUS_WDF_BUSY;
        km_vf_break("DISPATCH-CFG", api, why, "request type %#x to QUEUE%u", (unsigned)RequestType, q->id);
        return st;
    }
    dev->u.dev.dispatch[RequestType] = q;
    km_trace(&site_configure_dispatch, q, RequestType);
    return STATUS_SUCCESS;
}

WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue)
{
    km_object *q = km_lookup(Queue, KM_T_QUEUE, "WdfIoQueueGetDevice", false);
    return q ? (WDFDEVICE)km_handle(q->u.q.device) : NULL;
}


/* ---- presentation (FxIoQueue::DispatchRequestToDriver) ---------------------------------------- */

typedef enum { QC_READ, QC_WRITE, QC_IOCTL, QC_IOCTL_INTERNAL, QC_DEFAULT, QC_STOP, QC_RESUME, QC_CANCELED, QC_STATE } qc_kind;

/* A queue callback under the queue's callback lock: every FxIoQueueIo*
 * callback is a FxLockedCallback whose Invoke brackets the call with
 * CallbackStart/CallbackEnd (fxioqueuecallbacks.hpp), EvtIoStop, EvtIoResume,
 * EvtIoCanceledOnQueue and the EVT_WDF_IO_QUEUE_STATE ones included. V34 as
 * the callback returns (vfeventhooks.cpp wraps the EvtIo* callbacks).
 * Returns false if a finding fired. */
static bool queue_callback(km_object *q, qc_kind k, const void *fn, km_object *req, ULONG flags, WDFCONTEXT ctx)
{
    static const char *const names[] = {"EvtIoRead/EvtIoWrite", "EvtIoRead/EvtIoWrite", "EvtIoDeviceControl",
                                        "EvtIoInternalDeviceControl", "EvtIoDefault", "EvtIoStop",
                                        "EvtIoResume", "EvtIoCanceledOnQueue", "EVT_WDF_IO_QUEUE_STATE"};
    const char *name = names[k];
    km_cblock *lock = q->u.q.cb_lock;
    unsigned old = 0;
    if (lock) {
        old = km_cblock_acquire(lock, name);
        if (dr_failed())
            return false;
    }
    unsigned irql = dr_irql();
    WDFQUEUE qh = (WDFQUEUE)km_handle(q);
    WDFREQUEST rh = req ? (WDFREQUEST)km_handle(req) : NULL;
    switch (k) {
    case QC_READ:
    case QC_WRITE:
        ((PFN_WDF_IO_QUEUE_IO_READ)fn)(qh, rh, req->u.req.length);
        break;
    case QC_IOCTL:
    case QC_IOCTL_INTERNAL:
        ((PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL)fn)(qh, rh, req->u.req.out_length, req->u.req.in_length,
                                                 req->u.req.ioctl);
        break;
    case QC_DEFAULT:
        ((PFN_WDF_IO_QUEUE_IO_DEFAULT)fn)(qh, rh);
        break;
    case QC_STOP:
        ((PFN_WDF_IO_QUEUE_IO_STOP)fn)(qh, rh, flags);
        break;
    case QC_RESUME:
        ((PFN_WDF_IO_QUEUE_IO_RESUME)fn)(qh, rh);
        break;
    case QC_CANCELED:
        ((PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE)fn)(qh, rh);
        break;
    case QC_STATE:
        ((PFN_WDF_IO_QUEUE_STATE)fn)(qh, ctx);
        break;
    }
    dr_framework_resume();
    if (dr_failed())
        return false;
    if (km_w.env.enhanced_verifier || km_w.env.strict_irql_exit)
        km_callback_irql_check(irql, name, km_w.env.enhanced_verifier);
    if (dr_failed())
        return false;
    if (lock)
        km_cblock_release(lock, old);
    return true;
}

/* InsertInDriverOwnedList: the driver owns the request now. */
static void take_by_driver(km_object *q, km_object *req)
{
    km_hb_section_begin(&req->u.req.queue_lock); /* under the queue lock (see rejoin) */
    km_hb_section_end(&req->u.req.queue_lock);
    req->u.req.driver_owned = true;
    req->u.req.presented_once = true;
    req->u.req.in_driver_list = true;
    /* FxIoQueue's lock orders a request's completion before the queue's
     * next dispatch (ThreadSanitizer: the same section as at completion). */
    km_hb_section_begin(&q->u.q);
    q->u.q.presented++;
    km_hb_section_end(&q->u.q);
}

/* RemoveFromDriverOwnedList (completion, forward, requeue). */
static void release_by_driver(km_object *q, km_object *req)
{
    if (!req->u.req.in_driver_list)
        return;
    req->u.req.in_driver_list = false;
    km_hb_section_begin(&q->u.q);
    q->u.q.presented--;
    km_hb_section_end(&q->u.q);
}

/* The framework completes a request the driver does not own (a queue not
 * accepting, a cancel on the queue): FxRequest::CompleteWithInformation. */
static void framework_complete(km_object *req, NTSTATUS status)
{
    req->u.req.driver_owned = true; /* the verifier's owner check is the driver's, not the framework's */
    WdfRequestComplete((WDFREQUEST)km_handle(req), status);
}

static void present(km_object *q, km_object *req)
{
    take_by_driver(q, req);
    /* DispatchEvents drops the queue lock before DispatchRequestToDriver:
     * another processor may run between the choice and the callback. */
    if (dr_in_task()) {
        dr_yield(&site_unlock);
        if (dr_failed())
            return;
    }
    req->u.req.dispatch_task = dr_current_task();
    km_trace(&site_present, req, (int64_t)req->u.req.length);
    uint16_t gen = req->gen;
    const WDF_IO_QUEUE_CONFIG *c = &q->u.q.config;
    /* FxIoQueue::DispatchRequestToDriver: the type's callback, else
     * EvtIoDefault, else the framework fails the request. */
    const void *fn = NULL;
    qc_kind k = QC_DEFAULT;
    switch (req->u.req.type) {
    case WdfRequestTypeRead:
        fn = (const void *)c->EvtIoRead, k = QC_READ;
        break;
    case WdfRequestTypeWrite:
        fn = (const void *)c->EvtIoWrite, k = QC_WRITE;
        break;
    case WdfRequestTypeDeviceControl:
        fn = (const void *)c->EvtIoDeviceControl, k = QC_IOCTL;
        break;
    case WdfRequestTypeDeviceControlInternal:
        fn = (const void *)c->EvtIoInternalDeviceControl, k = QC_IOCTL_INTERNAL;
        break;
    default:
        break;
    }
    if (!fn)
        fn = (const void *)c->EvtIoDefault, k = QC_DEFAULT;
    if (fn) {
        if (!queue_callback(q, k, fn, req, 0, NULL))
            return;
    } else
        WdfRequestComplete((WDFREQUEST)km_handle(req), STATUS_INVALID_DEVICE_REQUEST); /* KMDF fails requests no callback takes */
    if (dr_failed())
        return;
    if (req->gen == gen && req->state != KM_OBJ_FREE)
        req->u.req.dispatch_task = 0;
}

/* ---- the queue's list (m_Queue) ------------------------------------------------------------------- */

static void pending_remove(km_queue *qu, unsigned i)
{
    km_object *r = qu->pending[i];
    qu->npending--;
    km_quiet_writes_begin();
    memmove(&qu->pending[i], &qu->pending[i + 1], (qu->npending - i) * sizeof qu->pending[0]);
    km_quiet_writes_end();
    r->u.req.on_queue = false;
}

static int pending_index(const km_queue *qu, const km_object *r)
{
    for (unsigned i = 0; i < qu->npending; i++)
        if (qu->pending[i] == r)
            return (int)i;
    return -1;
}

/* InsertTailIrpQueue / InsertHeadIrpQueue; CheckTransitionFromEmpty. */
static void pending_add(km_object *q, km_object *req, bool head)
{
    km_queue *qu = &q->u.q;
    if (qu->npending == KM_ENV_MAX_REQUESTS) {
        km_oracle("MODEL-LIMIT", "model limit", "QUEUE%u holds more than %d requests", q->id, KM_ENV_MAX_REQUESTS);
        return;
    }
    if (qu->npending == 0)
        qu->from_empty = true;
    km_quiet_writes_begin();
    if (head) {
        memmove(&qu->pending[1], &qu->pending[0], qu->npending * sizeof qu->pending[0]);
        qu->pending[0] = req;
    } else
        qu->pending[qu->npending] = req;
    km_quiet_writes_end();
    qu->npending++;
    req->u.req.on_queue = true;
    req->u.req.queue = q;
}

/* FxIoQueue::QueueRequest: a queue not accepting completes the request
 * STATUS_INVALID_DEVICE_STATE; otherwise it joins the queue and this thread
 * runs DispatchEvents (the request is presented here if the queue may). */
void km_queue_insert(km_object *req)
{
    km_object *q = req->u.req.queue;
    km_trace(&site_insert, req, q->id);
    if (!q->u.q.accepting) {
        framework_complete(req, STATUS_INVALID_DEVICE_STATE);
        return;
    }
    pending_add(q, req, false);
    if (dr_failed())
        return;
    km_queue_dispatch_events(q);
}

/* FxIoQueue::CancelForQueue: the request leaves the queue; a request the
 * driver saw before (m_Presented: requeued or forwarded) goes to
 * EvtIoCanceledOnQueue if the queue has one (the driver owns it again and
 * must complete it), any other is completed STATUS_CANCELLED. */
static void cancel_for_queue(km_object *req)
{
    km_object *q = req->u.req.queue;
    km_queue *qu = &q->u.q;
    int i = pending_index(qu, req);
    if (i >= 0)
        pending_remove(qu, (unsigned)i);
    req->u.req.driver_cancelable = false; /* ClearVerifierFlags(DRIVER_CANCELABLE) */
    if (qu->config.EvtIoCanceledOnQueue && req->u.req.presented_once) {
        take_by_driver(q, req);
        qu->canceled_on_queue[qu->ncanceled_on_queue++] = req;
    } else
        framework_complete(req, STATUS_CANCELLED);
}

void km_queue_cancel_on_queue(km_object *req)
{
    km_object *q = req->u.req.queue;
    cancel_for_queue(req);
    if (!dr_failed())
        km_queue_dispatch_internal(q); /* "This may have caused the queue to be emptied" */
}

/* FxIoQueue::RequestCompletedCallback: RemoveFromDriverOwnedList, then
 * DispatchInternalEvents on the completing thread (the next request may be
 * presented here, before WdfRequestComplete returns). */
void km_queue_request_completed(km_object *req)
{
    km_object *q = req->u.req.queue;
    if (!q)
        return;
    if (req->u.req.on_queue) {
        /* Verifier off: the driver completed a request it gave away (forwarded
         * or requeued): its IRP is completed while the queue's list holds it. */
        km_crash("QOWN1", "WdfRequestComplete", "request completed while on a queue",
                 "REQ%u was completed while it waits on QUEUE%u (forwarded or requeued): the queue will present "
                 "a freed request",
                 req->id, q->id);
        return;
    }
    release_by_driver(q, req);
    req->u.req.stop_pending = req->u.req.stop_acked = false;
    km_queue_dispatch_internal(q);
}

/* ---- the dispatch loop's steps (FxIoQueue::DispatchEvents) ------------------------------------------------- */

bool km_queue_dispatch_step(km_object *q)
{
    km_queue *qu = &q->u.q;
    const WDF_IO_QUEUE_CONFIG *c = &qu->config;
    /* ProcessCancelledRequestsOnQueue (not while EvtIoStop is delivered) */
    if (qu->ncanceled_on_queue && !qu->stop_notifying) {
        km_object *r = qu->canceled_on_queue[0];
        qu->ncanceled_on_queue--;
        km_quiet_writes_begin(); /* the model's own list: not a driver access for TSan's memmove hook */
        memmove(&qu->canceled_on_queue[0], &qu->canceled_on_queue[1],
                qu->ncanceled_on_queue * sizeof qu->canceled_on_queue[0]);
        km_quiet_writes_end();
        r->u.req.verifier_cancelled = true; /* SetVerifierFlags(FXREQUEST_FLAG_CANCELLED) */
        return queue_callback(q, QC_CANCELED, (const void *)c->EvtIoCanceledOnQueue, r, 0, NULL);
    }
    /* ProcessIdleComplete: the driver owns none and no other thread dispatches */
    if (qu->idle_fn && qu->dispatching == 1 && qu->presented == 0) {
        PFN_WDF_IO_QUEUE_STATE fn = qu->idle_fn;
        WDFCONTEXT ctx = qu->idle_ctx;
        qu->idle_fn = NULL, qu->idle_ctx = NULL;
        return queue_callback(q, QC_STATE, (const void *)fn, NULL, 0, ctx);
    }
    /* ProcessPurgeComplete: nothing queued, nothing driver-owned */
    if (qu->purge_fn && qu->dispatching == 1 && qu->presented == 0 && qu->npending == 0) {
        PFN_WDF_IO_QUEUE_STATE fn = qu->purge_fn;
        WDFCONTEXT ctx = qu->purge_ctx;
        qu->purge_fn = NULL, qu->purge_ctx = NULL;
        return queue_callback(q, QC_STATE, (const void *)fn, NULL, 0, ctx);
    }
    if (qu->power != KQ_POWER_ON || !qu->dispatch_on)
        return false;
    if (c->DispatchType == WdfIoQueueDispatchManual) {
        /* ProcessReadyNotify consumes the transition from empty */
        if (qu->ready_fn && qu->from_empty && qu->npending) {
            qu->from_empty = false;
            return queue_callback(q, QC_STATE, (const void *)qu->ready_fn, NULL, 0, qu->ready_ctx);
        }
        return false;
    }
    if (c->DispatchType == WdfIoQueueDispatchSequential && qu->presented > 0)
        return false;
    if (c->DispatchType == WdfIoQueueDispatchParallel &&
        qu->presented >= c->Settings.Parallel.NumberOfPresentedRequests)
        return false;
    if (!qu->npending)
        return false;
    km_object *r = qu->pending[0];
    pending_remove(qu, 0);
    present(q, r);
    return true;
}

/* ---- manual queues (fxioqueueapi.cpp, FxIoQueue::GetRequest / PeekRequest / ReadyNotify) -------- */

static km_object *queue_arg(WDFQUEUE Queue, const void *out, const char *api)
{
    km_object *q = km_lookup(Queue, KM_T_QUEUE, api, false);
    if (q && out == NULL && strstr(api, "Retrieve")) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "OutRequest is NULL");
        return NULL;
    }
    return q;
}

/* FxIoQueue::GetRequest's checks: manual or sequential queues only
 * (STATUS_INVALID_DEVICE_STATE), none while the queue is powered off or
 * stopped (STATUS_WDF_PAUSED). */
static NTSTATUS get_checks(const km_object *q)
{
    const km_queue *qu = &q->u.q;
    if (qu->config.DispatchType != WdfIoQueueDispatchManual &&
        qu->config.DispatchType != WdfIoQueueDispatchSequential)
        return STATUS_INVALID_DEVICE_STATE;
    if (qu->power != KQ_POWER_ON || !qu->dispatch_on)
        return STATUS_WDF_PAUSED;
    return STATUS_SUCCESS;
}

DR_SITE(site_retrieve, "WdfIoQueueRetrieveNextRequest");
NTSTATUS WdfIoQueueRetrieveNextRequest(WDFQUEUE Queue, WDFREQUEST *OutRequest)
{
    static const char api[] = "WdfIoQueueRetrieveNextRequest";
    if (!km_enter(&site_retrieve, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *q = queue_arg(Queue, OutRequest, api);
    if (!q)
        return STATUS_INVALID_HANDLE;
    *OutRequest = NULL;
    NTSTATUS st = get_checks(q);
    if (!NT_SUCCESS(st))
        return st;
    if (!q->u.q.npending)
        return STATUS_NO_MORE_ENTRIES;
    km_object *r = q->u.q.pending[0];
    pending_remove(&q->u.q, 0);
    take_by_driver(q, r);
    km_trace(&site_retrieve, r, 0);
    *OutRequest = (WDFREQUEST)km_handle(r);
    return STATUS_SUCCESS;
}

/* The model's requests have no file object (the I/O manager sends no
 * creates): none matches a file object. */
NTSTATUS WdfIoQueueRetrieveRequestByFileObject(WDFQUEUE Queue, WDFFILEOBJECT FileObject, WDFREQUEST *OutRequest)
{
    static const char api[] = "WdfIoQueueRetrieveRequestByFileObject";
    if (!km_enter(&site_retrieve, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *q = queue_arg(Queue, OutRequest, api);
    if (!q)
        return STATUS_INVALID_HANDLE;
    *OutRequest = NULL;
    if (!FileObject) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "FileObject is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    NTSTATUS st = get_checks(q);
    return NT_SUCCESS(st) ? STATUS_NO_MORE_ENTRIES : st;
}

/* FxIoQueue::PeekRequest: the next queued request after FoundRequest (the
 * first if NULL) matching FileObject (the model's requests have none: only
 * a NULL FileObject matches), with a reference the driver drops with
 * WdfObjectDereference (a leaked one is the "request object leaked"
 * oracle). STATUS_NOT_FOUND when FoundRequest is no longer queued. */
DR_SITE(site_find, "WdfIoQueueFindRequest");
NTSTATUS WdfIoQueueFindRequest(WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFFILEOBJECT FileObject,
                               PWDF_REQUEST_PARAMETERS Parameters, WDFREQUEST *OutRequest)
{
    static const char api[] = "WdfIoQueueFindRequest";
    if (!km_enter(&site_find, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *q = km_lookup(Queue, KM_T_QUEUE, api, false);
    if (!q)
        return STATUS_INVALID_HANDLE;
    if (!OutRequest) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "OutRequest is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *OutRequest = NULL;
    if (Parameters && Parameters->Size < sizeof(WDF_REQUEST_PARAMETERS))
        return STATUS_INVALID_PARAMETER_4;
    km_queue *qu = &q->u.q;
    unsigned from = 0;
    if (FoundRequest) {
        km_object *tag = km_lookup(FoundRequest, KM_T_REQUEST, api, true);
        if (!tag)
            return STATUS_INVALID_HANDLE;
        int i = pending_index(qu, tag);
        if (i < 0)
            return STATUS_NOT_FOUND;
        from = (unsigned)i + 1;
    }
    if (FileObject || from >= qu->npending)
        return STATUS_NO_MORE_ENTRIES;
    km_object *r = qu->pending[from];
    km_obj_ref(r);
    if (Parameters)
        WdfRequestGetParameters((WDFREQUEST)km_handle(r), Parameters);
    km_trace(&site_find, r, 0);
    *OutRequest = (WDFREQUEST)km_handle(r);
    return STATUS_SUCCESS;
}

NTSTATUS WdfIoQueueRetrieveFoundRequest(WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFREQUEST *OutRequest)
{
    static const char api[] = "WdfIoQueueRetrieveFoundRequest";
    if (!km_enter(&site_retrieve, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *q = queue_arg(Queue, OutRequest, api);
    if (!q)
        return STATUS_INVALID_HANDLE;
    *OutRequest = NULL;
    km_object *tag = km_lookup(FoundRequest, KM_T_REQUEST, api, true);
    if (!tag)
        return STATUS_INVALID_HANDLE;
    NTSTATUS st = get_checks(q);
    if (!NT_SUCCESS(st))
        return st;
    int i = pending_index(&q->u.q, tag);
    if (i < 0)
        return STATUS_NOT_FOUND;
    pending_remove(&q->u.q, (unsigned)i);
    take_by_driver(q, tag);
    km_trace(&site_retrieve, tag, 1);
    *OutRequest = FoundRequest;
    return STATUS_SUCCESS;
}

/* FxIoQueue::ReadyNotify: one registration per queue; NULL cancels it, only
 * while the queue does not dispatch (each refusal a FxVerifierDbgBreakPoint
 * and STATUS_INVALID_DEVICE_REQUEST). Then DispatchEvents: a queue with
 * requests already calls back at once (m_TransitionFromEmpty). */
DR_SITE(site_ready, "WdfIoQueueReadyNotify");
NTSTATUS WdfIoQueueReadyNotify(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE QueueReady, WDFCONTEXT Context)
{
    static const char api[] = "WdfIoQueueReadyNotify";
    if (!km_enter(&site_ready, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *q = km_lookup(Queue, KM_T_QUEUE, api, false);
    if (!q)
        return STATUS_INVALID_HANDLE;
    km_queue *qu = &q->u.q;
    if (qu->config.DispatchType != WdfIoQueueDispatchManual) {
        km_vf_break("QREADY", api, "not a manual queue", "QUEUE%u is not manual", q->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    const char *why = QueueReady && qu->ready_fn    ? "a notification is registered already"
                      : !QueueReady && !qu->ready_fn ? "no notification to cancel"
                      : !QueueReady && qu->dispatch_on ? "cancelled while the queue dispatches"
                                                       : NULL;
    if (why) {
        km_vf_break("QREADY", api, why, "QUEUE%u", q->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    qu->ready_fn = QueueReady;
    qu->ready_ctx = QueueReady ? Context : NULL;
    km_trace(&site_ready, q, QueueReady != NULL);
    km_queue_dispatch_events(q);
    return STATUS_SUCCESS;
}

/* fxioqueueapi.cpp WdfIoQueueGetState and FxIoQueue::GetState. */
WDF_IO_QUEUE_STATE WdfIoQueueGetState(WDFQUEUE Queue, PULONG QueueRequests, PULONG DriverRequests)
{
    km_object *q = km_lookup(Queue, KM_T_QUEUE, "WdfIoQueueGetState", false);
    if (!q)
        return (WDF_IO_QUEUE_STATE)0;
    const km_queue *qu = &q->u.q;
    if (QueueRequests)
        *QueueRequests = qu->npending;
    if (DriverRequests)
        *DriverRequests = qu->presented;
    unsigned s = 0;
    if (qu->accepting)
        s |= WdfIoQueueAcceptRequests;
    if (qu->dispatch_on)
        s |= WdfIoQueueDispatchRequests;
    if (!qu->npending)
        s |= WdfIoQueueNoRequests;
    if (!qu->presented)
        s |= WdfIoQueueDriverNoRequests;
    if (qu->power != KQ_POWER_ON)
        s |= WdfIoQueuePnpHeld;
    return (WDF_IO_QUEUE_STATE)s;
}

/* ---- forwarding and requeue (FxIoQueue::ForwardRequest, Requeue) ---------------------------------------- */

/* VerifyForwardRequest / VerifyRequeue: driver-owned (V14) and not
 * cancelable (VerifyRequestIsNotCancelable: a break and
 * STATUS_INVALID_DEVICE_STATE). */
static NTSTATUS give_back_checks(km_object *r, const char *api)
{
    if (r->u.req.state == KM_REQ_COMPLETED || !r->u.req.driver_owned) {
        if (km_vf_break("V14", api, "request not owned by the driver", "REQ%u is not driver-owned", r->id))
            return STATUS_INVALID_DEVICE_REQUEST;
        return r->u.req.state == KM_REQ_COMPLETED ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS;
    }
    if (r->u.req.state != KM_REQ_OWNED) {
        km_vf_break("QFWD", api, "request is cancelable",
                    "REQ%u is %s: call WdfRequestUnmarkCancelable first", r->id, km_req_state_name(r->u.req.state));
        return STATUS_INVALID_DEVICE_STATE;
    }
    return STATUS_SUCCESS;
}

/* The request leaves the driver for q's list: a cancelled IRP cannot join
 * the cancel-safe queue (InsertTailIrpQueue fails with STATUS_CANCELLED) and
 * takes the cancel-on-queue path at once.
 * It also leaves a power stop of its old queue: fxioqueue.cpp
 * FxIoQueue::ForwardRequestWorker (RemoveEntryList of its driver-owned list
 * entry, then m_DriverIoCount--) and FxIoQueue::Requeue
 * (RemoveFromDriverOwnedList) unlink it from whichever list holds it,
 * m_PowerNotify or m_PowerDriverNotified during a stop, and
 * FxIoQueue::ProcessPowerEvents waits only for the requests still on
 * m_PowerDriverNotified: the stop waits for it no more, and the resume
 * (which walks m_DriverOwned) gives it no EvtIoResume. */
static void rejoin(km_object *from, km_object *q, km_object *r, bool head)
{
    /* ForwardRequestWorker / Requeue run under the queue lock, as do the later
     * retrieval, MarkCancelable and the cancel's dispatch: what the driver
     * wrote before forwarding happens before its EvtRequestCancel
     * (ThreadSanitizer: the request's queue-lock section, km_request.c). */
    km_hb_section_begin(&r->u.req.queue_lock);
    km_hb_section_end(&r->u.req.queue_lock);
    release_by_driver(from, r);
    r->u.req.stop_pending = r->u.req.stop_acked = false;
    r->u.req.driver_owned = false;
    r->u.req.queue = q;
    pending_add(q, r, head);
    if (dr_failed())
        return;
    if (r->u.req.irp_cancelled)
        cancel_for_queue(r);
}

DR_SITE(site_forward, "WdfRequestForwardToIoQueue");
NTSTATUS WdfRequestForwardToIoQueue(WDFREQUEST Request, WDFQUEUE DestinationQueue)
{
    static const char api[] = "WdfRequestForwardToIoQueue";
    if (!km_enter(&site_forward, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *r = km_lookup(Request, KM_T_REQUEST, api, false);
    km_object *dst = km_lookup(DestinationQueue, KM_T_QUEUE, api, false);
    if (!r || !dst)
        return STATUS_INVALID_HANDLE;
    NTSTATUS st = give_back_checks(r, api);
    if (!NT_SUCCESS(st) || dr_failed())
        return st;
    km_object *src = r->u.req.queue;
    if (dst == src || dst->u.q.device != src->u.q.device) {
        km_vf_break("QFWD", api, "destination is the request's own queue or another device's",
                    "REQ%u to QUEUE%u", r->id, dst->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    /* QueueRequestFromForward: a queue not accepting refuses; the driver
     * keeps the request. */
    if (!dst->u.q.accepting)
        return STATUS_WDF_BUSY;
    km_trace(&site_forward, r, dst->id);
    rejoin(src, dst, r, false);
    if (dr_failed())
        return STATUS_UNSUCCESSFUL;
    km_queue_dispatch_internal(src); /* the source may present its next one */
    if (!dr_failed())
        km_queue_dispatch_events(dst);
    return STATUS_SUCCESS;
}

DR_SITE(site_requeue, "WdfRequestRequeue");
NTSTATUS WdfRequestRequeue(WDFREQUEST Request)
{
    static const char api[] = "WdfRequestRequeue";
    if (!km_enter(&site_requeue, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *r = km_lookup(Request, KM_T_REQUEST, api, false);
    if (!r)
        return STATUS_INVALID_HANDLE;
    NTSTATUS st = give_back_checks(r, api);
    if (!NT_SUCCESS(st) || dr_failed())
        return st;
    km_object *q = r->u.req.queue;
    /* FxIoQueue::Requeue: manual queues only */
    if (q->u.q.config.DispatchType != WdfIoQueueDispatchManual) {
        km_vf_break("QREQUEUE", api, "not a manual queue", "REQ%u's QUEUE%u is not manual", r->id, q->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    km_trace(&site_requeue, r, q->id);
    rejoin(q, q, r, true); /* InsertHeadIrpQueue */
    if (!dr_failed())
        km_queue_dispatch_events(q); /* ReadyNotify may fire */
    return STATUS_SUCCESS;
}

/* ---- queue control (FxIoQueue::QueueStart, QueueIdle, QueuePurge) ----------------------------------------- */

/* The callback of the *Synchronously forms (FxIoQueue::_IdleComplete and
 * _PurgeComplete set the event the caller waits on). */
static VOID sync_done(WDFQUEUE Queue, WDFCONTEXT Context)
{
    (void)Queue;
    ((km_object *)Context)->u.q.sync_waiting = false;
}

static bool sync_over(const void *arg) { return !((const km_object *)arg)->u.q.sync_waiting; }

/* Purge's cancels: the queued requests (CancelForQueue) and, when
 * `driver`, the driver-owned cancelable ones (CancelForDriver: their
 * EvtRequestCancel). */
static void purge_requests(km_object *q, bool driver)
{
    km_queue *qu = &q->u.q;
    while (qu->npending && !dr_failed())
        cancel_for_queue(qu->pending[0]);
    for (unsigned i = 0; driver && i < km_w.nrequests && !dr_failed(); i++) {
        km_object *r = km_world_request(i);
        if (r && r->u.req.queue == q && r->u.req.in_driver_list && r->u.req.state == KM_REQ_CANCELABLE)
            km_request_io_cancel(r);
    }
}

DR_SITE(site_qstate, "queue-state");

/* One entry for Stop, Purge, Drain and StopAndPurge (fxioqueueapi.cpp):
 * `stop` QueueIdle (accepting, not dispatching; idle_fn when the driver
 * owns none), else QueuePurge (not accepting; purge_fn when nothing is
 * queued or owned). A second callback while one is pending: a break and
 * the call does nothing. `sync`: wait at PASSIVE for the callback. */
static void queue_control(WDFQUEUE Queue, bool stop, bool cancel_queued, bool cancel_driver,
                          PFN_WDF_IO_QUEUE_STATE fn, WDFCONTEXT ctx, bool sync, const char *api)
{
    static dr_site sites[2] = {{"WdfIoQueueStop/Purge/Drain", 0, NULL, NULL},
                               {"WdfIoQueue*Synchronously", 0, NULL, NULL}};
    if (!km_enter(&sites[sync], sync ? PASSIVE_LEVEL : DISPATCH_LEVEL))
        return;
    km_object *q = km_lookup(Queue, KM_T_QUEUE, api, false);
    if (!q)
        return;
    km_queue *qu = &q->u.q;
    if (sync) {
        fn = sync_done, ctx = q;
        if (!dr_in_task()) {
            dr_fail_rule(DR_FIND_DEADLOCK, "SETUP-WAIT", "deadlock: a WdfIoQueue*Synchronously call waits during set-up",
                         "%s during set-up: nothing else runs to let the queue go idle", api);
            return;
        }
    }
    PFN_WDF_IO_QUEUE_STATE *slot = stop ? &qu->idle_fn : &qu->purge_fn;
    if (fn && *slot) {
        km_vf_break("QCTL", api, "a completion callback is pending already", "QUEUE%u", q->id);
        return;
    }
    km_trace(&site_qstate, q, stop ? 1 : 2);
    if (stop) {
        qu->accepting = true, qu->dispatch_on = false;
        qu->idle_fn = fn, qu->idle_ctx = ctx;
    } else {
        qu->accepting = false;
        qu->purge_fn = fn, qu->purge_ctx = ctx;
    }
    if (sync)
        qu->sync_waiting = true;
    if (cancel_queued)
        purge_requests(q, cancel_driver);
    if (dr_failed())
        return;
    km_queue_dispatch_events(q);
    if (sync && !dr_failed())
        dr_wait(sync_over, q, &site_qstate);
}

void WdfIoQueueStop(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE StopComplete, WDFCONTEXT Context)
{
    queue_control(Queue, true, false, false, StopComplete, Context, false, "WdfIoQueueStop");
}
void WdfIoQueueStopSynchronously(WDFQUEUE Queue)
{
    queue_control(Queue, true, false, false, NULL, NULL, true, "WdfIoQueueStopSynchronously");
}
void WdfIoQueueStopAndPurge(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE StopAndPurgeComplete, WDFCONTEXT Context)
{
    queue_control(Queue, true, true, true, StopAndPurgeComplete, Context, false, "WdfIoQueueStopAndPurge");
}
void WdfIoQueueStopAndPurgeSynchronously(WDFQUEUE Queue)
{
    queue_control(Queue, true, true, true, NULL, NULL, true, "WdfIoQueueStopAndPurgeSynchronously");
}
void WdfIoQueuePurge(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE PurgeComplete, WDFCONTEXT Context)
{
    queue_control(Queue, false, true, true, PurgeComplete, Context, false, "WdfIoQueuePurge");
}
void WdfIoQueuePurgeSynchronously(WDFQUEUE Queue)
{
    queue_control(Queue, false, true, true, NULL, NULL, true, "WdfIoQueuePurgeSynchronously");
}
void WdfIoQueueDrain(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE DrainComplete, WDFCONTEXT Context)
{
    queue_control(Queue, false, false, false, DrainComplete, Context, false, "WdfIoQueueDrain");
}
void WdfIoQueueDrainSynchronously(WDFQUEUE Queue)
{
    queue_control(Queue, false, false, false, NULL, NULL, true, "WdfIoQueueDrainSynchronously");
}

/* FxIoQueue::QueueStart: accepting and dispatching again; queued requests
 * count as a transition from empty (a manual queue's ReadyNotify fires). */
DR_SITE(site_start, "WdfIoQueueStart");
void WdfIoQueueStart(WDFQUEUE Queue)
{
    if (!km_enter(&site_start, DISPATCH_LEVEL))
        return;
    km_object *q = km_lookup(Queue, KM_T_QUEUE, "WdfIoQueueStart", false);
    if (!q)
        return;
    km_trace(&site_start, q, 0);
    q->u.q.accepting = q->u.q.dispatch_on = true;
    if (q->u.q.npending)
        q->u.q.from_empty = true;
    km_queue_dispatch_events(q);
}

/* ---- power (FxPkgIo::StopProcessingForPower / ResumeProcessingForPower) ----------------------------------- */

static bool queue_of_device(const km_object *o)
{
    return o->type == KM_T_QUEUE && o->state == KM_OBJ_LIVE && km_w.device && o->u.q.device == km_w.device;
}

/* Every request the driver owns from a stopping queue was acknowledged or
 * completed (Hold), or the driver owns none (Purge); a queue without
 * EvtIoStop waits for its requests' completion. And no thread is left in a
 * stopping queue's dispatch loop, an EvtIo* callback included
 * (fxioqueue.cpp FxIoQueue::ProcessPowerEvents, Stopping/PurgeDriverNotified:
 * the queue is off only "if we are the last routine actively dispatching",
 * m_Dispatching == 1; the power thread is not in the model's loop). */
static bool power_stopped(const void *arg)
{
    bool purge = *(const bool *)arg;
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        const km_object *q = &km_w.objects[i];
        if (!queue_of_device(q) || q->u.q.power != KQ_POWER_STOPPING)
            continue;
        if ((purge && q->u.q.presented) || q->u.q.dispatching)
            return false;
        for (unsigned j = 0; j < km_w.nrequests; j++) {
            const km_object *r = km_world_request(j);
            if (r && r->u.req.queue == q && r->u.req.stop_pending)
                return false;
        }
    }
    return true;
}

DR_SITE(site_power_stop, "queue-power-stop");
DR_SITE(site_power_idle, "queue-power-idle");

/* FxIoQueue::StartPowerTransitionOff: no other thread in a stopping queue's
 * dispatch loop (m_Dispatching == 1 with the power thread's own, m_PowerIdle). */
static bool queues_idle(const void *arg)
{
    (void)arg;
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        const km_object *q = &km_w.objects[i];
        if (queue_of_device(q) && q->u.q.power == KQ_POWER_STOPPING && q->u.q.dispatching)
            return false;
    }
    return true;
}

/* The power thread's wait can never end (the engine found every task
 * blocked): DRIVER_POWER_STATE_FAILURE. */
static void power_stuck(void *arg)
{
    if (power_stopped(arg))
        return;
    bool purge = *(const bool *)arg;
    if (purge)
        km_kernel_bugcheck("QSTOP4", 0x9F, "EvtIoStop", "driver-owned request never completed at removal",
                           "the removal purges the queues and waits for the requests the driver owns; one is "
                           "never completed and nothing else runs: the remove IRP never completes");
    else
        km_kernel_bugcheck("QSTOP1", 0x9F, "EvtIoStop", "request neither acknowledged nor completed",
                           "the power-down waits for a request EvtIoStop got; the driver neither called "
                           "WdfRequestStopAcknowledge nor completed it, and nothing else runs: the power IRP "
                           "never completes (DRIVER_POWER_STATE_FAILURE)");
}
DR_SITE(site_ack, "WdfRequestStopAcknowledge");

/* FxIoQueue::StopProcessingForPower and ProcessPowerEvents, on the calling
 * (power) thread: the queue stops presenting, EvtIoStop for each request the
 * driver owns from it (Suspend, or Purge at removal; RequestCancelable when
 * the request is cancelable), under the callback lock. Purge also cancels
 * the queued requests and stops accepting (SetStateForShutdown). */
void km_queue_power_stop(bool purge)
{
    static bool arg;
    arg = purge;
    /* fxpkgio.cpp FxPkgIo::StopProcessingForPower: for a Hold, first every
     * power-managed queue stops dispatching (FxIoQueue::StartPowerTransitionOff),
     * then each in turn stops its in-flight requests: a request forwarded
     * from one queue's EvtIoStop to another waits there. */
    for (uint32_t i = 0; i < km_w.nobjects && !purge; i++) {
        km_object *q = &km_w.objects[i];
        if (queue_of_device(q) && q->u.q.power_managed)
            q->u.q.power = KQ_POWER_STOPPING;
    }
    /* ... and StartPowerTransitionOff waits "until all threads stop
     * dispatching requests" before any EvtIoStop: an EvtIo* callback still
     * running returns first. */
    if (!purge && dr_in_task() && !queues_idle(NULL)) {
        dr_wait(queues_idle, NULL, &site_power_idle);
        if (dr_failed())
            return;
    }
    for (uint32_t i = 0; i < km_w.nobjects && !dr_failed(); i++) {
        km_object *q = &km_w.objects[i];
        if (!queue_of_device(q) || (!purge && !q->u.q.power_managed))
            continue;
        km_trace(&site_power_stop, q, purge);
        q->u.q.power = KQ_POWER_STOPPING;
        q->u.q.power_purge = purge;
        if (purge) {
            /* StopProcessingForPower(PurgeManaged / PurgeNonManaged):
             * SetStateForShutdown, then QueuePurge(TRUE, TRUE, NULL, NULL):
             * the queued requests and the driver-owned cancelable ones are
             * cancelled (their EvtRequestCancel races the driver's own paths). */
            q->u.q.accepting = false;
            purge_requests(q, true);
        }
        /* ProcessPowerEvents: every driver-owned request waits for its
         * acknowledgement or completion; EvtIoStop only for those not
         * cancelled (m_Canceled), and "if no callback is registered, the
         * power thread will in effect wait until the driver completes or
         * cancels all requests". */
        PFN_WDF_IO_QUEUE_IO_STOP stop = q->u.q.config.EvtIoStop;
        q->u.q.stop_notifying = true;
        for (unsigned j = 0; j < km_w.nrequests && !dr_failed(); j++) {
            km_object *r = km_world_request(j);
            if (!r || r->u.req.queue != q || !r->u.req.in_driver_list || r->u.req.stop_acked)
                continue;
            ULONG flags = purge ? WdfRequestStopActionPurge : WdfRequestStopActionSuspend;
            if (r->u.req.state == KM_REQ_CANCELABLE)
                flags |= WdfRequestStopRequestCancelable;
            r->u.req.stop_pending = true;
            /* m_Canceled: set by the framework's cancel paths only (fxioqueue.cpp
             * CancelForQueue, QueuePurge, _IrpCancelForDriver, RequestCancelable
             * of a cancelled IRP),
             * so a request whose IRP the I/O manager cancelled while the driver
             * held it uncancelable (still KM_REQ_OWNED, never through
             * EvtIoCanceledOnQueue) gets EvtIoStop. */
            bool fw_canceled = r->u.req.irp_cancelled &&
                               (r->u.req.state != KM_REQ_OWNED || r->u.req.verifier_cancelled);
            if (!stop || fw_canceled)
                continue;
            /* fxioqueue.cpp FxIoQueue::ProcessPowerEvents: ADDREF(FXREQUEST_HOLD_TAG)
             * before EvtIoStop ("Driver could be calling RequestComplete as we
             * attempt to stop"), RELEASE as it returns: a request the driver
             * (or its DMA path, concurrently) completes meanwhile stays
             * allocated, its context readable, until EvtIoStop returns. */
            r->u.req.in_evtiostop = true;
            km_obj_ref(r);
            if (!queue_callback(q, QC_STOP, (const void *)stop, r, flags, NULL))
                return;
            r->u.req.in_evtiostop = false;
            km_obj_unref(r); /* may free a request completed during the callback */
        }
        q->u.q.stop_notifying = false;
        if (!dr_failed()) /* what the notifications held back (the requests cancelled on the queue) */
            km_queue_dispatch_internal(q);
    }
    if (dr_failed())
        return;
    if (!power_stopped(&arg)) {
        if (!dr_in_task()) {
            power_stuck(&arg);
            return;
        }
        /* Windows' power watchdog: a power IRP the queue never lets go is
         * bug check 0x9F. The model reports it when nothing else can run. */
        dr_set_deadlock_explainer(power_stuck, &arg);
        dr_wait(power_stopped, &arg, &site_power_stop);
        dr_set_deadlock_explainer(NULL, NULL);
        if (dr_failed())
            return;
    }
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        km_object *q = &km_w.objects[i];
        if (queue_of_device(q) && q->u.q.power == KQ_POWER_STOPPING)
            q->u.q.power = KQ_POWER_OFF;
    }
}

/* FxIoQueue::ResumeProcessingForPower: EvtIoResume for each request
 * acknowledged without requeue (the driver still owns it), then the queue
 * presents again (the requeued ones are back at its head). */
void km_queue_power_resume(void)
{
    for (uint32_t i = 0; i < km_w.nobjects && !dr_failed(); i++) {
        km_object *q = &km_w.objects[i];
        if (!queue_of_device(q) || q->u.q.power == KQ_POWER_ON)
            continue;
        q->u.q.power = KQ_POWER_ON;
        q->u.q.power_purge = false;
        if (q->u.q.npending)
            q->u.q.from_empty = true;
        for (unsigned j = 0; j < km_w.nrequests && !dr_failed(); j++) {
            km_object *r = km_world_request(j);
            if (!r || r->u.req.queue != q || !r->u.req.stop_acked)
                continue;
            r->u.req.stop_acked = false;
            if (q->u.q.config.EvtIoResume &&
                !queue_callback(q, QC_RESUME, (const void *)q->u.q.config.EvtIoResume, r, 0, NULL))
                return;
        }
        if (!dr_failed())
            km_queue_dispatch_events(q);
    }
}

/* FxRequest::StopAcknowledge: only for a request EvtIoStop was called for
 * and not yet acknowledged (a verifier break otherwise). Requeue: the request
 * leaves the driver and goes back to the head of its queue (presented again
 * after the resume); else the driver keeps it and gets EvtIoResume. */
void WdfRequestStopAcknowledge(WDFREQUEST Request, BOOLEAN Requeue)
{
    static const char api[] = "WdfRequestStopAcknowledge";
    if (!km_enter(&site_ack, DISPATCH_LEVEL))
        return;
    /* fxrequest.cpp FxRequest::VerifyStopAcknowledge: in EvtIoStop's context
     * (the request held by FXREQUEST_HOLD_TAG) a request completed meanwhile
     * passes (m_Completed: only the requeue checks are skipped) and the
     * acknowledgement has no effect. */
    km_object *r = km_lookup(Request, KM_T_REQUEST, api, true);
    if (!r)
        return;
    if (r->u.req.in_evtiostop && r->u.req.state == KM_REQ_COMPLETED)
        return;
    if (r->state == KM_OBJ_DISPOSED) {
        km_crash("C11", api, "object already deleted", "%s used %s%u after it was deleted or completed", api,
                 km_type_prefix(r->type), r->id);
        return;
    }
    if (!r->u.req.stop_pending) {
        km_vf_break(r->u.req.stop_acked ? "QSTOP3" : "QSTOP2", api,
                    r->u.req.stop_acked ? "request acknowledged twice" : "request is not being stopped",
                    "REQ%u: no EvtIoStop awaits its acknowledgement", r->id);
        return;
    }
    km_trace(&site_ack, r, Requeue);
    r->u.req.stop_pending = false;
    if (!Requeue) {
        r->u.req.stop_acked = true;
        return;
    }
    if (r->u.req.state != KM_REQ_OWNED) {
        km_vf_break("QFWD", api, "request is cancelable", "REQ%u is %s: unmark it before requeueing", r->id,
                    km_req_state_name(r->u.req.state));
        return;
    }
    km_object *q = r->u.req.queue;
    rejoin(q, q, r, true);
    /* At removal a requeued request has nowhere to go: cancelled on its
     * queue (the purge's CancelForQueue). */
    if (!dr_failed() && q->u.q.power_purge && r->u.req.on_queue) {
        cancel_for_queue(r);
        if (!dr_failed())
            km_queue_dispatch_internal(q);
    }
}
