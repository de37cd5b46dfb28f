/* km_reqbuf.c: a request's parameters and buffers (WdfRequestGetParameters,
 * WdfRequestRetrieve*Buffer, WdfRequestRetrieve*WdmMdl, WdfRequestGetIoQueue);
 * src/framework/shared/core/fxrequestapi.cpp, fxrequest.cpp and
 * km/fxrequestkm.cpp. */
#include "km.h"

VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters)
{
    km_object *r = km_request_lookup(Request, "WdfRequestGetParameters");
    if (!r)
        return;
    if (!Parameters) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, "WdfRequestGetParameters", "NULL required parameter",
                    "Parameters is NULL");
        return;
    }
    WDF_REQUEST_PARAMETERS_INIT(Parameters);
    Parameters->Type = r->u.req.type;
    if (r->u.req.type == WdfRequestTypeRead)
        Parameters->Parameters.Read.Length = r->u.req.length;
    else if (r->u.req.type == WdfRequestTypeWrite)
        Parameters->Parameters.Write.Length = r->u.req.length;
}

static NTSTATUS retrieve(WDFREQUEST Request, size_t min, PVOID *Buffer, size_t *Length, WDF_REQUEST_TYPE want,
                         const char *api)
{
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return STATUS_INVALID_HANDLE;
    if (!Buffer) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Buffer is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *Buffer = NULL; /* fxrequestapi.cpp WdfRequestRetrieve*Buffer: both cleared on entry */
    if (Length)
        *Length = 0;
    if (r->u.req.state == KM_REQ_COMPLETED) {
        km_request_not_owned(r, api);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (r->u.req.type != want)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (r->u.req.length < min)
        return STATUS_BUFFER_TOO_SMALL;
    km_mem_exposed(r->u.req.buffer_alloc); /* from here the driver can write it */
    *Buffer = r->u.req.buffer;
    if (Length)
        *Length = r->u.req.length;
    return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer,
                                        size_t *Length)
{
    return retrieve(Request, MinimumRequiredSize, Buffer, Length, WdfRequestTypeRead,
                    "WdfRequestRetrieveOutputBuffer");
}

NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer,
                                       size_t *Length)
{
    return retrieve(Request, MinimumRequiredSize, Buffer, Length, WdfRequestTypeWrite,
                    "WdfRequestRetrieveInputBuffer");
}

/* fxrequestapi.cpp WdfRequestRetrieveInputWdmMdl / OutputWdmMdl: *Mdl
 * cleared on entry; the input MDL of a read and the output MDL of a write
 * are STATUS_INVALID_DEVICE_REQUEST; otherwise FxRequest::GetMdl: for
 * buffered I/O an MDL KMDF builds once over the system buffer
 * (IoAllocateMdl + MmBuildMdlForNonPagedPool, kept in m_AllocatedMdl until
 * the request completes). The model's requests are buffered and both
 * calls return that one MDL over the request's buffer. */
static NTSTATUS retrieve_mdl(WDFREQUEST Request, PMDL *Mdl, WDF_REQUEST_TYPE refused, const char *api)
{
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return STATUS_INVALID_HANDLE;
    if (!Mdl) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Mdl is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *Mdl = NULL;
    if (r->u.req.state == KM_REQ_COMPLETED) {
        km_request_not_owned(r, api);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (r->u.req.type == refused)
        return STATUS_INVALID_DEVICE_REQUEST;
    km_mem_exposed(r->u.req.buffer_alloc);
    if (!r->u.req.has_mdl) {
        MmInitializeMdl(&r->u.req.mdl, r->u.req.buffer, r->u.req.length);
        MmBuildMdlForNonPagedPool(&r->u.req.mdl);
        r->u.req.has_mdl = true;
    }
    *Mdl = &r->u.req.mdl;
    return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveInputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{
    return retrieve_mdl(Request, Mdl, WdfRequestTypeRead, "WdfRequestRetrieveInputWdmMdl");
}

NTSTATUS WdfRequestRetrieveOutputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{
    return retrieve_mdl(Request, Mdl, WdfRequestTypeWrite, "WdfRequestRetrieveOutputWdmMdl");
}

WDFQUEUE WdfRequestGetIoQueue(WDFREQUEST Request)
{
    km_object *r = km_request_lookup(Request, "WdfRequestGetIoQueue");
    return r ? (WDFQUEUE)km_handle(r->u.req.queue) : NULL;
}

