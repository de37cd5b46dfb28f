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
    /* The I/O manager model presents requests only through a sequential or
     * parallel default queue; a manual default queue would hold them forever. */
    if (Config->DefaultQueue && Config->DispatchType == WdfIoQueueDispatchManual)
        return STATUS_NOT_SUPPORTED;
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

void km_queue_present(km_object *req)
{
    km_object *q = req->u.req.queue;
    req->u.req.driver_owned = true;
    km_iomgr_arm_cancel(req);
    /* FxIoQueue's lock orders a request's completion before the queue's
     * next dispatch (ThreadSanitizer: the same section as at completion). */
    km_hb_section_begin(&q->u.q);
    q->u.q.presented++;
    km_hb_section_end(&q->u.q);
    req->u.req.dispatch_task = dr_current_task();
    km_trace(&site_present, req, (int64_t)req->u.req.length);
    WDFQUEUE qh = (WDFQUEUE)km_handle(q);
    WDFREQUEST rh = (WDFREQUEST)km_handle(req);
    uint16_t gen = req->gen;
    const WDF_IO_QUEUE_CONFIG *c = &q->u.q.config;
    /* FxIoQueue::DispatchEvents: m_Dispatching counts this thread from
     * before the callback to after the cancels queued meanwhile are
     * delivered (fxioqueue.cpp). */
    km_queue_dispatch_begin(q);
    PFN_WDF_IO_QUEUE_IO_READ fn = NULL;
    if (req->u.req.type == WdfRequestTypeRead && c->EvtIoRead)
        fn = c->EvtIoRead;
    else if (req->u.req.type == WdfRequestTypeWrite && c->EvtIoWrite)
        fn = c->EvtIoWrite;
    /* fxioqueuecallbacks.hpp FxIoQueueIoRead::Invoke etc.: CallbackStart
     * takes the queue's callback lock (automatic serialisation). */
    km_cblock *lock = fn || c->EvtIoDefault ? q->u.q.cb_lock : NULL;
    unsigned old = 0;
    if (lock) {
        old = km_cblock_acquire(lock, "EvtIoRead/EvtIoWrite");
        if (dr_failed())
            return;
    }
    unsigned irql = dr_irql();
    if (fn)
        fn(qh, rh, req->u.req.length);
    else if (c->EvtIoDefault)
        c->EvtIoDefault(qh, rh);
    else if (!dr_failed())
        WdfRequestComplete(rh, STATUS_INVALID_DEVICE_REQUEST); /* KMDF fails requests no callback takes */
    dr_framework_resume();
    if (dr_failed())
        return;
    /* V34 covers the EvtIo* callbacks when EnhancedVerifierOptions has
     * FxEnhancedVerifierCallbackIrqlAndCRCheck (vfeventhooks.cpp VfEvtIoRead
     * and VfEvtIoWrite call VerifyIrqlExit, vfprivkm.hpp), whatever
     * VerifierOn says: checked as the callback returns. */
    if (km_w.env.enhanced_verifier || km_w.env.strict_irql_exit)
        km_callback_irql_check(irql, "EvtIoRead/EvtIoWrite", km_w.env.enhanced_verifier);
    if (dr_failed())
        return;
    if (lock)
        km_cblock_release(lock, old);
    if (req->gen == gen && req->state != KM_OBJ_FREE)
        req->u.req.dispatch_task = 0;
    km_queue_dispatch_end(q);
}
