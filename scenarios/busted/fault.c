/* fault.c: busted drivers whose bug is a plain memory error in a WDF context,
 * which the model's guard zones and poison (docs/model.md, "Guard zones and
 * poison") turn into a crash finding in every build.
 *
 * The driver is the simplest possible: EvtIoRead records what it does in the
 * request's context and completes the request at once (no DMA). Each variant
 * adds one bug; the comment at each `if (FaultVariant == ...)` says what the
 * bug is and why a driver author might write it. The scenario rows are at the
 * end of the file. */
#include <ntddk.h>
#include <wdf.h>

#include "plumbing.h"
#include "scn.h"

typedef enum {
    FAULT_CTX_OVERFLOW, /* one trace entry written past the end of the request context */
    FAULT_CTX_UAF,      /* the request context read after WdfRequestComplete freed it */
} fault_variant;

static fault_variant FaultVariant;

#define FAULT_TRACE_ENTRIES 3

/* Request context: the request and a short trace of what EvtIoRead did, for
 * the debugger. The trace is the last member: one entry past it is past the
 * context. */
typedef struct _FAULT_REQUEST_CONTEXT {
    WDFREQUEST Request;
    size_t Length;
    ULONG Steps;                      /* entries of Trace in use */
    ULONG Trace[FAULT_TRACE_ENTRIES]; /* step codes, in order */
} FAULT_REQUEST_CONTEXT, *PFAULT_REQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(FAULT_REQUEST_CONTEXT, FaultGetRequestContext)

/* Bytes read, over every request (the device's statistics). */
static size_t FaultBytesRead;

static EVT_WDF_IO_QUEUE_IO_READ FaultEvtIoRead;
static DRIVER_INITIALIZE FaultDriverEntry;

enum { FAULT_STEP_RECEIVED = 1, FAULT_STEP_BUFFER = 2, FAULT_STEP_LENGTH = 3, FAULT_STEP_COMPLETING = 4 };

static VOID FaultTrace(PFAULT_REQUEST_CONTEXT Ctx, ULONG Step)
{
    PULONG entry;

    if (FaultVariant == FAULT_CTX_OVERFLOW) {
        /* The bug: the "trace full" test is off by one (> where >= was
         * meant), so the fourth step of a request is written one entry past
         * the array, which is the end of the context. Why: the trace was
         * sized for the three steps EvtIoRead had; a fourth step was added
         * later and the bound check looked right at a glance. */
        if (Ctx->Steps > FAULT_TRACE_ENTRIES)
            return;
    } else if (Ctx->Steps >= FAULT_TRACE_ENTRIES) {
        return;
    }
    entry = &Ctx->Trace[Ctx->Steps];
    *entry = Step;
    Ctx->Steps++;
}

static VOID FaultEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PFAULT_REQUEST_CONTEXT ctx = FaultGetRequestContext(Request);
    PVOID buffer;
    size_t length;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Queue);

    ctx->Request = Request;
    ctx->Length = Length;
    ctx->Steps = 0;
    FaultTrace(ctx, FAULT_STEP_RECEIVED);

    status = WdfRequestRetrieveOutputBuffer(Request, 1, &buffer, &length);
    if (NT_SUCCESS(status)) {
        FaultTrace(ctx, FAULT_STEP_BUFFER);
        if (length < Length)
            ctx->Length = length;
        FaultTrace(ctx, FAULT_STEP_LENGTH);
    }
    if (FaultVariant == FAULT_CTX_OVERFLOW)
        FaultTrace(ctx, FAULT_STEP_COMPLETING);

    if (FaultVariant == FAULT_CTX_UAF) {
        /* The bug: the statistics are updated from the context after the
         * request was completed. Nothing else holds the request, so
         * WdfRequestComplete freed it and its context (spec 1.11, 1.15).
         * Why: "complete first, so the application gets its data as early as
         * possible, then do the bookkeeping": the pointer still looks valid. */
        WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? ctx->Length : 0);
        FaultBytesRead += ctx->Length;
        return;
    }
    FaultBytesRead += ctx->Length;
    WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? ctx->Length : 0);
}

static NTSTATUS FaultDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static const BUSTED_DRIVER_CONFIG config = {FaultEvtIoRead, &_WDF_FAULT_REQUEST_CONTEXT_TYPE_INFO};
    FaultBytesRead = 0;
    return BustedDriverCreate(DriverObject, RegistryPath, &config);
}

/* ---- scenarios ------------------------------------------------------------------------ */

#define FAULT_DRIVER(var, name, variant)                                                                  \
    static void select_##var(void) { FaultVariant = variant; }                                           \
    SCN_DRIVER(var, name, FaultDriverEntry, select_##var)

FAULT_DRIVER(fault_overflow, "fault-ctx-overflow", FAULT_CTX_OVERFLOW);
FAULT_DRIVER(fault_uaf, "fault-ctx-uaf", FAULT_CTX_UAF);

SCN_ROW(fault_ctx_overflow, "fault-ctx-overflow", fault_overflow, 2, "",
        "crash:heap-buffer-overflow: write past a WDF context", 50,
        "EvtIoRead writes one trace entry past the end of its request context (off-by-one bound)");
SCN_ROW(fault_ctx_uaf, "fault-ctx-uaf", fault_uaf, 2, "requests=1",
        "crash:use-after-free: read of a freed WDF context", 50,
        "EvtIoRead reads its request context after WdfRequestComplete freed the request");
