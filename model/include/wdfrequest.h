/* wdfrequest.h: one area of dmarace's wdf.h, as KMDF's headers are split; a
 * driver includes <wdf.h>. The request DDIs of issue 15 (request types,
 * WDFMEMORY views of a request, driver-created requests); the older request
 * DDIs stay in wdfio.h. km_reqbuf.c, km_reqcreate.c. */
#ifndef DMARACE_WDFREQUEST_H
#define DMARACE_WDFREQUEST_H

#include "wdfio.h"
#include "wdfmemory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An I/O target: the model has none, so WdfRequestCreate takes only NULL. */
WDF_DECLARE_HANDLE(WDFIOTARGET);

#ifndef STATUS_WDF_REQUEST_INVALID_STATE
#define STATUS_WDF_REQUEST_INVALID_STATE ((NTSTATUS)0xC0200208L) /* wdfstatus.h (KMDF 1.17 and later) */
#endif

typedef enum _WDF_REQUEST_REUSE_FLAGS {
    WDF_REQUEST_REUSE_NO_FLAGS = 0x00000000,
    WDF_REQUEST_REUSE_SET_NEW_IRP = 0x00000001,
    WDF_REQUEST_REUSE_MUST_COMPLETE = 0x00000002,
} WDF_REQUEST_REUSE_FLAGS;

typedef struct _WDF_REQUEST_REUSE_PARAMS {
    ULONG Size;
    ULONG Flags;
    NTSTATUS Status;
    PIRP NewIrp;
} WDF_REQUEST_REUSE_PARAMS, *PWDF_REQUEST_REUSE_PARAMS;

static inline VOID WDF_REQUEST_REUSE_PARAMS_INIT(PWDF_REQUEST_REUSE_PARAMS Params, ULONG Flags, NTSTATUS Status)
{
    *Params = KM_WDF_ZERO(WDF_REQUEST_REUSE_PARAMS);
    Params->Size = sizeof(WDF_REQUEST_REUSE_PARAMS);
    Params->Flags = Flags;
    Params->Status = Status;
}

_Must_inspect_result_ NTSTATUS WdfRequestCreate(PWDF_OBJECT_ATTRIBUTES RequestAttributes, WDFIOTARGET IoTarget,
                                                WDFREQUEST *Request);
_Must_inspect_result_ NTSTATUS WdfRequestReuse(WDFREQUEST Request, PWDF_REQUEST_REUSE_PARAMS ReuseParams);
NTSTATUS WdfRequestGetStatus(WDFREQUEST Request);
_Must_inspect_result_ NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY *Memory);
_Must_inspect_result_ NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY *Memory);
_Must_inspect_result_ NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request,
                                                                       size_t MinimumRequiredLength,
                                                                       PVOID *InputBuffer, size_t *Length);
_Must_inspect_result_ NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request,
                                                                        size_t MinimumRequiredLength,
                                                                        PVOID *OutputBuffer, size_t *Length);

#ifdef __cplusplus
}
#endif
#endif
