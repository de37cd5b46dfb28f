/* km_reqcreate.c: requests a driver makes itself (WdfRequestCreate) and
 * WdfRequestReuse, WdfRequestGetStatus (docs/model-request.md). Sources:
 * src/framework/shared/core/fxrequestapi.cpp (WdfRequestCreate,
 * WdfRequestReuse, WdfRequestGetStatus), fxrequest.cpp (FxRequest::_Create,
 * FxRequest::Reuse, FxRequest::GetStatus), fxrequestbase.cpp (the
 * FxRequestBase constructor: a driver's request owns its IRP,
 * REQUEST_ALLOCATED_INTERNAL, and has none until a target is given).
 *
 * The model has no I/O targets: WdfRequestCreate takes only a NULL target,
 * so a created request never has an IRP. It cannot be sent; the driver
 * deletes it (WdfObjectDelete). Completing it is the documented mistake:
 * with the verifier VerifyRequestIsDriverOwned breaks (V14, km_request.c),
 * without it KMDF completes an IRP that is not there (CRASH RQ1). */
#include "km.h"

DR_SITE(site_create, "WdfRequestCreate");
DR_SITE(site_reuse, "WdfRequestReuse");
DR_SITE(site_get_status, "WdfRequestGetStatus");

NTSTATUS WdfRequestCreate(PWDF_OBJECT_ATTRIBUTES RequestAttributes, WDFIOTARGET IoTarget, WDFREQUEST *Request)
{
    static const char api[] = "WdfRequestCreate";
    if (!km_enter(&site_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (IoTarget) {
        /* FxObjectHandleGetPtr(FX_TYPE_IO_TARGET): the model has no targets,
         * so any handle is a wrong one. */
        km_bugcheck("V30", WDF_INVALID_HANDLE, api, "invalid handle",
                    "IoTarget %p: the model has no I/O targets (pass NULL)", (void *)IoTarget);
        return STATUS_INVALID_HANDLE;
    }
    if (!Request) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Request is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *Request = NULL;
    NTSTATUS st;
    /* The default parent is the driver (WdfRequestCreate's documentation). */
    km_object *r = km_obj_create(KM_T_REQUEST, RequestAttributes, km_w.driver, api, &st);
    if (!r)
        return st;
    r->u.req.state = KM_REQ_OWNED;
    r->u.req.type = WdfRequestTypeMax; /* no IRP: no major function */
    r->u.req.status = STATUS_SUCCESS;
    r->u.req.driver_created = true;
    r->u.req.kernel_mode = true;
    r->u.req.buffers_freed = true; /* it has none */
    dr_spinlock_init(&r->u.req.queue_lock, "queue-lock");
    km_trace(&site_create, r, 0);
    *Request = (WDFREQUEST)km_handle(r);
    return STATUS_SUCCESS;
}

/* fxrequestapi.cpp WdfRequestReuse: Size (STATUS_INVALID_PARAMETER), the
 * flags (only SET_NEW_IRP and MUST_COMPLETE, else STATUS_INVALID_PARAMETER),
 * then FxRequest::Reuse. A request from the I/O manager
 * (REQUEST_ALLOCATED_FROM_IO): SET_NEW_IRP is STATUS_WDF_REQUEST_INVALID_STATE;
 * otherwise its IRP's status becomes ReuseParams->Status, its Cancel flag is
 * cleared, and it is not completed any more. A created one without an IRP:
 * MUST_COMPLETE needs an IRP (a break and STATUS_INVALID_PARAMETER);
 * SET_NEW_IRP gives it the driver's IRP, which the model's drivers cannot
 * have (no IoAllocateIrp): STATUS_NOT_SUPPORTED. */
NTSTATUS WdfRequestReuse(WDFREQUEST Request, PWDF_REQUEST_REUSE_PARAMS ReuseParams)
{
    static const char api[] = "WdfRequestReuse";
    if (!km_enter(&site_reuse, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return STATUS_INVALID_HANDLE;
    if (!ReuseParams) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "ReuseParams is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (ReuseParams->Size != sizeof(WDF_REQUEST_REUSE_PARAMS))
        return STATUS_INVALID_PARAMETER;
    if (ReuseParams->Flags & ~(ULONG)(WDF_REQUEST_REUSE_SET_NEW_IRP | WDF_REQUEST_REUSE_MUST_COMPLETE))
        return STATUS_INVALID_PARAMETER;
    km_trace(&site_reuse, r, ReuseParams->Flags);
    km_request *q = &r->u.req;
    if (!q->driver_created) {
        if (ReuseParams->Flags & WDF_REQUEST_REUSE_SET_NEW_IRP)
            return STATUS_WDF_REQUEST_INVALID_STATE;
        q->status = ReuseParams->Status;
        q->irp_cancelled = false;
        return STATUS_SUCCESS;
    }
    if (ReuseParams->Flags & WDF_REQUEST_REUSE_SET_NEW_IRP)
        return STATUS_NOT_SUPPORTED;
    if (ReuseParams->Flags & WDF_REQUEST_REUSE_MUST_COMPLETE) {
        km_vf_break("RQ2", api, "MUST_COMPLETE on a request without an IRP",
                    "REQ%u was created with no I/O target: 'must_complete' flag requires an IRP", r->id);
        return STATUS_INVALID_PARAMETER;
    }
    q->status = ReuseParams->Status; /* kept for WdfRequestGetStatus's answer (KMDF has no IRP to hold it) */
    return STATUS_SUCCESS;
}

/* FxRequest::GetStatus: the IRP's IoStatus.Status. A created request has no
 * IRP: KMDF reads through a NULL pointer (CRASH RQ3). A request from the I/O
 * manager: STATUS_PENDING while pending (the model's), its completion status
 * after (while a reference keeps the object). */
NTSTATUS WdfRequestGetStatus(WDFREQUEST Request)
{
    static const char api[] = "WdfRequestGetStatus";
    if (!km_enter(&site_get_status, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return STATUS_INVALID_HANDLE;
    if (r->u.req.driver_created) {
        km_crash("RQ3", api, "status of a request without an IRP",
                 "REQ%u came from WdfRequestCreate with no I/O target: m_Irp is NULL and GetStatus reads through it",
                 r->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    km_trace(&site_get_status, r, r->u.req.status);
    return r->u.req.status;
}
