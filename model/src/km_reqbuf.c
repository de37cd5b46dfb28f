/* km_reqbuf.c: a request's parameters and buffers (WdfRequestGetParameters,
 * WdfRequestRetrieve*Buffer, WdfRequestRetrieve*Memory,
 * WdfRequestRetrieve*WdmMdl, WdfRequestRetrieveUnsafeUser*Buffer,
 * WdfRequestGetIoQueue) for every request kind the I/O manager sends: read,
 * write, device control, internal device control (docs/model-request.md).
 * Sources: src/framework/shared/core/fxrequestapi.cpp, fxrequest.cpp
 * (FxRequest::GetMemoryObject, GetDeviceControlOutputMemoryObject),
 * km/fxrequestkm.cpp (FxRequest::GetMdl, GetDeviceControlOutputMdl),
 * inc/private/common/fxrequest.hpp (where m_SystemBuffer and m_OutputBuffer
 * point for each method), fxrequestsystembuffer.cpp (GetFlags). */
#include "km.h"
#include "km_hb.h"

#include <string.h>

static bool is_ioctl(const km_request *q)
{
    return q->type == WdfRequestTypeDeviceControl || q->type == WdfRequestTypeDeviceControlInternal;
}

static ULONG method_of(const km_request *q) { return METHOD_FROM_CTL_CODE(q->ioctl); }
static bool no_irp(km_object *r, const char *api);

/* The input the caller passed, as the I/O manager copies it into the system
 * buffer (METHOD_BUFFERED, IN/OUT_DIRECT) or leaves it in the caller's own
 * buffer (NEITHER): a recognisable pattern, so a test sees it arrive. */
static void fill_input(uint8_t *p, size_t n)
{
    km_quiet_writes_begin();
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(0xA5 ^ i);
    km_quiet_writes_end();
}

km_object *km_request_create_ioctl(km_object *queue, WDF_REQUEST_TYPE type, ULONG code, size_t in, size_t out)
{
    ULONG method = METHOD_FROM_CTL_CODE(code);
    /* The system buffer: METHOD_BUFFERED max(in, out) bytes, both the input
     * and the output (IopXxxControlFile); IN/OUT_DIRECT the input only;
     * NEITHER none: there `buffer` stands for Type3InputBuffer, the
     * caller's input buffer. */
    size_t sys = method == METHOD_BUFFERED ? (in > out ? in : out) : in;
    km_object *r = km_request_create(queue, type, sys);
    if (!r)
        return NULL;
    km_request *q = &r->u.req;
    q->ioctl = code;
    q->in_length = in;
    q->out_length = out;
    q->kernel_mode = type == WdfRequestTypeDeviceControlInternal;
    if (in) {
        fill_input(q->buffer, in);
        km_mem_exposed(q->buffer_alloc); /* written: zeroed before the arena reuses it */
    }
    if (method == METHOD_BUFFERED) {
        if (out) /* the caller's output buffer, where the system buffer is copied back */
            q->user_out = km_alloc(out, 16, "caller's output buffer", NULL, r, &q->user_out_alloc);
    } else if (out) {
        /* IN/OUT_DIRECT: the output buffer probed and locked, Irp->MdlAddress;
         * NEITHER: Irp->UserBuffer. */
        q->out_buffer = km_alloc(out, 16, method == METHOD_NEITHER ? "caller's output buffer (UserBuffer)"
                                                                             : "direct I/O output buffer",
                                           NULL, r, &q->out_alloc);
        if (method != METHOD_NEITHER) {
            MmInitializeMdl(&q->out_mdl, q->out_buffer, out);
            MmBuildMdlForNonPagedPool(&q->out_mdl);
        }
    }
    return r;
}

void km_reqbuf_complete(km_object *req)
{
    km_request *q = &req->u.req;
    if (!is_ioctl(q) || q->buffers_freed)
        return;
    /* IopCompleteRequest: METHOD_BUFFERED copies Information bytes of the
     * system buffer back to the caller's output buffer (IRP_INPUT_OPERATION;
     * FxRequest::CompleteInternal clears that flag when the output length is
     * 0), then frees the system buffer; the MDL's pages are unlocked. */
    if (method_of(q) == METHOD_BUFFERED && q->user_out) {
        size_t n = q->information < q->out_length ? (size_t)q->information : q->out_length;
        km_quiet_writes_begin();
        memcpy(q->user_out, q->buffer, n);
        km_quiet_writes_end();
        q->copied_back = n;
    }
    q->buffers_freed = true;
    km_free(q->buffer_alloc);
    if (q->out_buffer)
        km_free(q->out_alloc);
}

/* ---- parameters ------------------------------------------------------------------------------ */

/* fxrequestapi.cpp WdfRequestGetParameters -> FxRequest::GetParameters: the
 * IRP's current stack location, copied. */
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
    if (no_irp(r, "WdfRequestGetParameters"))
        return;
    WDF_REQUEST_PARAMETERS_INIT(Parameters);
    Parameters->Type = r->u.req.type;
    if (r->u.req.type == WdfRequestTypeRead)
        Parameters->Parameters.Read.Length = r->u.req.length;
    else if (r->u.req.type == WdfRequestTypeWrite)
        Parameters->Parameters.Write.Length = r->u.req.length;
    else if (is_ioctl(&r->u.req)) {
        Parameters->Parameters.DeviceIoControl.IoControlCode = r->u.req.ioctl;
        Parameters->Parameters.DeviceIoControl.InputBufferLength = r->u.req.in_length;
        Parameters->Parameters.DeviceIoControl.OutputBufferLength = r->u.req.out_length;
        /* The caller's input pointer: the model gives it for METHOD_NEITHER,
         * the only method whose driver may use it. */
        if (method_of(&r->u.req) == METHOD_NEITHER && r->u.req.in_length)
            Parameters->Parameters.DeviceIoControl.Type3InputBuffer = r->u.req.buffer;
    }
}

/* ---- buffers --------------------------------------------------------------------------------- */

/* Where a buffer is: its address, length, arena id, and whether it is read-only. */
typedef struct where {
    uint8_t *buffer;
    size_t length;
    uint32_t alloc;
    bool readonly;
} where;

/* A request from WdfRequestCreate has no IRP (no I/O target in the model):
 * KMDF's buffer and parameter DDIs read its stack location through a NULL
 * m_Irp (CRASH RQ3). */
static bool no_irp(km_object *r, const char *api)
{
    if (!r->u.req.driver_created)
        return false;
    km_crash("RQ3", api, "request without an IRP",
             "REQ%u came from WdfRequestCreate with no I/O target: it has no IRP, parameters or buffers", r->id);
    return true;
}

/* The shared opening of the Retrieve DDIs: the handle, the out pointer
 * (V30), both outputs cleared on entry (fxrequestapi.cpp), and a completed
 * request (FxRequest::VerifyRequestIsNotCompleted with the verifier; the
 * IRP is gone without it). NULL when the DDI must return `*st`. */
static km_object *open_request(WDFREQUEST Request, const void *out, const char *what, const char *api, NTSTATUS *st)
{
    *st = STATUS_INVALID_HANDLE;
    km_object *r = km_request_lookup(Request, api);
    if (!r)
        return NULL;
    if (!out) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s is NULL", what);
        *st = STATUS_INVALID_PARAMETER;
        return NULL;
    }
    if (no_irp(r, api)) {
        *st = STATUS_INVALID_DEVICE_REQUEST;
        return NULL;
    }
    return r;
}

static bool completed(km_object *r, const char *api)
{
    if (r->u.req.state != KM_REQ_COMPLETED)
        return false;
    km_request_not_owned(r, api);
    return true;
}

/* FxRequest::GetMemoryObject (m_SystemBuffer): a read's or write's buffer,
 * or a device control's input. */
static NTSTATUS input_memory(km_object *r, where *w, const char *api)
{
    km_request *q = &r->u.req;
    size_t length;
    if (is_ioctl(q)) {
        length = q->in_length;
        if (length == 0)
            return STATUS_BUFFER_TOO_SMALL;
        /* METHOD_NEITHER: only a kernel-mode requestor's pointers are usable
         * ("Attempt to get UserMode Buffer Pointer for METHOD_NEITHER"). */
        if (method_of(q) == METHOD_NEITHER && !q->kernel_mode)
            return STATUS_INVALID_DEVICE_REQUEST;
        *w = (where){q->buffer, length, q->buffer_alloc, method_of(q) == METHOD_IN_DIRECT ||
                                                            method_of(q) == METHOD_OUT_DIRECT};
        return STATUS_SUCCESS;
    }
    if (q->type != WdfRequestTypeRead && q->type != WdfRequestTypeWrite) {
        km_vf_break("REQBUF", api, "request of an unrecognised major function", "REQ%u has type %#x", r->id,
                    (unsigned)q->type);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    length = q->length;
    if (q->queue && q->queue->u.q.device->u.dev.io_type == WdfDeviceIoNeither && !q->kernel_mode) {
        /* GetMemoryObject's verifier check: a user-mode read/write of a
         * neither-I/O device (FxVerifierDbgBreakPoint, then the status);
         * without the verifier m_SystemBuffer was never set: a NULL buffer
         * and success (fxrequest.hpp: SetBuffer only for KernelMode). */
        if (km_w.env.verifier) {
            km_vf_break("REQBUF", api, "user-mode buffer of a neither-I/O device",
                        "REQ%u: use buffered or direct I/O, or EvtIoInCallerContext", r->id);
            return STATUS_INVALID_DEVICE_REQUEST;
        }
        if (length == 0)
            return STATUS_BUFFER_TOO_SMALL;
        *w = (where){NULL, length, 0, false};
        return STATUS_SUCCESS;
    }
    if (length == 0)
        return STATUS_BUFFER_TOO_SMALL;
    *w = (where){q->buffer, length, q->buffer_alloc, q->type == WdfRequestTypeWrite};
    return STATUS_SUCCESS;
}

/* FxRequest::GetDeviceControlOutputMemoryObject (m_OutputBuffer). */
static NTSTATUS output_memory(km_object *r, where *w)
{
    km_request *q = &r->u.req;
    if (q->out_length == 0)
        return STATUS_BUFFER_TOO_SMALL;
    switch (method_of(q)) {
    case METHOD_BUFFERED: /* the same system buffer as the input */
        *w = (where){q->buffer, q->out_length, q->buffer_alloc, false};
        return STATUS_SUCCESS;
    case METHOD_IN_DIRECT: /* the MDL's system address; IN_DIRECT's is read-only */
    case METHOD_OUT_DIRECT:
        *w = (where){q->out_buffer, q->out_length, q->out_alloc, method_of(q) == METHOD_IN_DIRECT};
        return STATUS_SUCCESS;
    default: /* METHOD_NEITHER: Irp->UserBuffer, for a kernel-mode requestor only */
        if (!q->kernel_mode)
            return STATUS_INVALID_DEVICE_REQUEST;
        *w = (where){q->out_buffer, q->out_length, q->out_alloc, false};
        return STATUS_SUCCESS;
    }
}

static NTSTATUS find_buffer(km_object *r, bool output, where *w, const char *api)
{
    const km_request *q = &r->u.req;
    /* fxrequestapi.cpp: an input of a read, an output of a write. */
    if (q->type == (output ? WdfRequestTypeWrite : WdfRequestTypeRead))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (output && is_ioctl(q))
        return output_memory(r, w);
    return input_memory(r, w, api);
}

static NTSTATUS retrieve(WDFREQUEST Request, size_t min, PVOID *Buffer, size_t *Length, bool output,
                         const char *api)
{
    NTSTATUS st;
    km_object *r = open_request(Request, Buffer, "Buffer", api, &st);
    if (!r)
        return st;
    *Buffer = NULL; /* fxrequestapi.cpp WdfRequestRetrieve*Buffer: both cleared on entry */
    if (Length)
        *Length = 0;
    if (completed(r, api))
        return STATUS_INVALID_DEVICE_REQUEST;
    where w;
    st = find_buffer(r, output, &w, api);
    if (!NT_SUCCESS(st))
        return st;
    if (w.length < min) /* RequiredLength */
        return STATUS_BUFFER_TOO_SMALL;
    if (w.buffer)
        km_mem_exposed(w.alloc); /* from here the driver can write it */
    *Buffer = w.buffer;
    if (Length)
        *Length = w.length;
    return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer,
                                        size_t *Length)
{
    return retrieve(Request, MinimumRequiredSize, Buffer, Length, true, "WdfRequestRetrieveOutputBuffer");
}

NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer,
                                       size_t *Length)
{
    return retrieve(Request, MinimumRequiredSize, Buffer, Length, false, "WdfRequestRetrieveInputBuffer");
}

/* WdfRequestRetrieveInputMemory / OutputMemory: the request's own
 * FxRequestSystemBuffer / FxRequestOutputBuffer, a WDFMEMORY that lives as
 * long as the request (km_memory.c; a child of the request here, so a handle
 * used after completion is stale). */
static NTSTATUS retrieve_memory(WDFREQUEST Request, WDFMEMORY *Memory, bool output, const char *api)
{
    NTSTATUS st;
    km_object *r = open_request(Request, Memory, "Memory", api, &st);
    if (!r)
        return st;
    *Memory = NULL;
    if (completed(r, api))
        return STATUS_INVALID_DEVICE_REQUEST;
    where w;
    st = find_buffer(r, output, &w, api);
    if (!NT_SUCCESS(st))
        return st;
    if (w.buffer)
        km_mem_exposed(w.alloc);
    km_object *m = km_memory_of_request(r, output, w.buffer, w.length, w.readonly);
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    *Memory = (WDFMEMORY)km_handle(m);
    return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY *Memory)
{
    return retrieve_memory(Request, Memory, false, "WdfRequestRetrieveInputMemory");
}

NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY *Memory)
{
    return retrieve_memory(Request, Memory, true, "WdfRequestRetrieveOutputMemory");
}

/* fxrequestapi.cpp WdfRequestRetrieveUnsafeUserInputBuffer / OutputBuffer:
 * PASSIVE_LEVEL (FxVerifierCheckIrqlLevel), and with the verifier only inside
 * EvtIoInCallerContext (VerifyRequestIsInCallerContext: a break and
 * STATUS_INVALID_DEVICE_REQUEST). The model has no EvtIoInCallerContext, so
 * with the verifier on these always refuse. Otherwise: a read's input, a
 * write's output and any internal device control are refused; a METHOD_NEITHER
 * device control gives Type3InputBuffer / UserBuffer, a neither-I/O write's
 * input (read's output) its UserBuffer; anything else is a break and
 * STATUS_INVALID_DEVICE_REQUEST. */
DR_SITE(site_unsafe_in, "WdfRequestRetrieveUnsafeUserInputBuffer");
DR_SITE(site_unsafe_out, "WdfRequestRetrieveUnsafeUserOutputBuffer");

static NTSTATUS retrieve_unsafe(WDFREQUEST Request, size_t min, PVOID *Buffer, size_t *Length, bool output,
                                const dr_site *site, const char *api)
{
    if (!km_enter_irql_checked(site, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    NTSTATUS st;
    km_object *r = open_request(Request, Buffer, "Buffer", api, &st);
    if (!r)
        return st;
    *Buffer = NULL;
    if (Length)
        *Length = 0;
    if (km_vf_break("REQCTX", api, "not in EvtIoInCallerContext",
                    "REQ%u: this call is valid only in EvtIoInCallerContext (the model has none)", r->id))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (completed(r, api))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_request *q = &r->u.req;
    if (q->type == (output ? WdfRequestTypeWrite : WdfRequestTypeRead) ||
        q->type == WdfRequestTypeDeviceControlInternal)
        return STATUS_INVALID_DEVICE_REQUEST;
    bool neither_io = q->queue && q->queue->u.q.device->u.dev.io_type == WdfDeviceIoNeither;
    where w;
    if (q->type == WdfRequestTypeDeviceControl && method_of(q) == METHOD_NEITHER)
        w = output ? (where){q->out_buffer, q->out_length, q->out_alloc, false}
                   : (where){q->buffer, q->in_length, q->buffer_alloc, false};
    else if ((q->type == WdfRequestTypeWrite || q->type == WdfRequestTypeRead) && neither_io)
        w = (where){q->buffer, q->length, q->buffer_alloc, false};
    else {
        km_vf_break("REQCTX", api, "not a METHOD_NEITHER device control or neither-I/O read/write",
                    "REQ%u", r->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (w.length < min)
        return STATUS_BUFFER_TOO_SMALL;
    if (w.buffer)
        km_mem_exposed(w.alloc);
    *Buffer = w.buffer;
    if (Length)
        *Length = w.length;
    return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *InputBuffer,
                                                 size_t *Length)
{
    return retrieve_unsafe(Request, MinimumRequiredLength, InputBuffer, Length, false, &site_unsafe_in,
                           "WdfRequestRetrieveUnsafeUserInputBuffer");
}

NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
                                                  PVOID *OutputBuffer, size_t *Length)
{
    return retrieve_unsafe(Request, MinimumRequiredLength, OutputBuffer, Length, true, &site_unsafe_out,
                           "WdfRequestRetrieveUnsafeUserOutputBuffer");
}

/* ---- MDLs ------------------------------------------------------------------------------------ */

/* km/fxrequestkm.cpp FxRequest::GetMdl and GetDeviceControlOutputMdl. A
 * read's, a write's (buffered: an MDL KMDF builds once over the system
 * buffer, IoAllocateMdl + MmBuildMdlForNonPagedPool, kept in m_AllocatedMdl
 * until completion; direct: Irp->MdlAddress; the model's is the same MDL
 * over the request's buffer; neither: a break and
 * STATUS_INVALID_DEVICE_REQUEST). A device control's input MDL, and a
 * METHOD_BUFFERED one's output MDL: m_AllocatedMdl over the system buffer,
 * built by whichever call comes first with that call's length (KMDF keeps
 * one m_AllocatedMdl for both: the second call gets the first's MDL). A
 * direct device control's output MDL: Irp->MdlAddress. METHOD_NEITHER:
 * STATUS_INVALID_DEVICE_REQUEST. A zero length: STATUS_BUFFER_TOO_SMALL. */
static NTSTATUS allocated_mdl(km_object *r, size_t length, PMDL *Mdl)
{
    km_request *q = &r->u.req;
    if (length == 0)
        return STATUS_BUFFER_TOO_SMALL;
    km_mem_exposed(q->buffer_alloc);
    if (!q->has_mdl) {
        MmInitializeMdl(&q->mdl, q->buffer, length);
        MmBuildMdlForNonPagedPool(&q->mdl);
        q->has_mdl = true;
    }
    *Mdl = &q->mdl;
    return STATUS_SUCCESS;
}

NTSTATUS km_request_mdl(km_object *r, bool output, PMDL *Mdl, const char *api)
{
    km_request *q = &r->u.req;
    *Mdl = NULL;
    if (is_ioctl(q)) {
        ULONG m = method_of(q);
        if (m == METHOD_NEITHER)
            return STATUS_INVALID_DEVICE_REQUEST;
        if (!output || m == METHOD_BUFFERED)
            return allocated_mdl(r, output ? q->out_length : q->in_length, Mdl);
        if (!q->out_buffer)
            return STATUS_BUFFER_TOO_SMALL; /* Irp->MdlAddress is NULL */
        km_mem_exposed(q->out_alloc);
        *Mdl = &q->out_mdl;
        return STATUS_SUCCESS;
    }
    if (q->queue && q->queue->u.q.device->u.dev.io_type == WdfDeviceIoNeither) {
        km_vf_break("REQBUF", api, "MDL of a neither-I/O request", "REQ%u: the device uses neither I/O", r->id);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    return allocated_mdl(r, q->length, Mdl);
}

static NTSTATUS retrieve_mdl(WDFREQUEST Request, PMDL *Mdl, bool output, const char *api)
{
    NTSTATUS st;
    km_object *r = open_request(Request, Mdl, "Mdl", api, &st);
    if (!r)
        return st;
    *Mdl = NULL;
    if (completed(r, api))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (r->u.req.type == (output ? WdfRequestTypeWrite : WdfRequestTypeRead))
        return STATUS_INVALID_DEVICE_REQUEST;
    return km_request_mdl(r, output, Mdl, api);
}

NTSTATUS WdfRequestRetrieveInputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{
    return retrieve_mdl(Request, Mdl, false, "WdfRequestRetrieveInputWdmMdl");
}

NTSTATUS WdfRequestRetrieveOutputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{
    return retrieve_mdl(Request, Mdl, true, "WdfRequestRetrieveOutputWdmMdl");
}

WDFQUEUE WdfRequestGetIoQueue(WDFREQUEST Request)
{
    km_object *r = km_request_lookup(Request, "WdfRequestGetIoQueue");
    return r && r->u.req.queue ? (WDFQUEUE)km_handle(r->u.req.queue) : NULL;
}
