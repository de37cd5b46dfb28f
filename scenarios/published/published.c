/* published.c: the completion protocol Microsoft publishes for a system-mode
 * DMA driver whose request races a cancel routine and a timeout timer
 * (../shared/published-sample.md), as a driver under test. Written from the
 * description: every call, its order and every unlocked access is kept.
 *
 * The I/O handler is not published; PublishedEvtIoRead below is written the
 * way the protocol implies (each choice is explained where it is made). This
 * file uses only ntddk.h and wdf.h: it is plain KMDF driver code. */
#include <ntddk.h>
#include <wdf.h>

#include "published.h"

typedef struct _REQUEST_CONTEXT {
    WDFREQUEST Request;
    WDFDMATRANSACTION DmaTransaction;
    WDFSPINLOCK Lock;
    bool CompletionStarted;
    NTSTATUS CompletionStatus;
    LONG CompletionRefCount;
    WDFTIMER Timer;
    bool TimerStarted;
} REQUEST_CONTEXT, *PREQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, GetRequestContext)

typedef struct _DEVICE_CONTEXT {
    WDFDMAENABLER DmaEnabler;
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)

/* Variant selection for the handler (published.h). */
published_variant PublishedVariant = PUBLISHED_AS_IMPLIED;

/* ---- the published protocol ------------------------------------------------------ */

bool BeginCompletion(_In_ PREQUEST_CONTEXT RequestContext, _In_ NTSTATUS CompletionStatus,
                     _In_ bool ForceStatusUpdate);
VOID AttemptRequestCompletion(_In_ PREQUEST_CONTEXT RequestContext, _In_ bool TransferComplete);
EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE PublishedEvtDmaTransferComplete;
EVT_WDF_TIMER PublishedEvtTimer;
EVT_WDF_REQUEST_CANCEL PublishedEvtRequestCancel;

bool BeginCompletion(_In_ PREQUEST_CONTEXT RequestContext, _In_ NTSTATUS CompletionStatus,
                     _In_ bool ForceStatusUpdate)
{
    bool completionStarted;

    WdfSpinLockAcquire(RequestContext->Lock);
    completionStarted = RequestContext->CompletionStarted;
    RequestContext->CompletionStarted = true;
    if ((completionStarted == false) || (ForceStatusUpdate == true)) {
        RequestContext->CompletionStatus = CompletionStatus;
    }
    WdfSpinLockRelease(RequestContext->Lock);

    return !completionStarted;
}

VOID AttemptRequestCompletion(_In_ PREQUEST_CONTEXT RequestContext, _In_ bool TransferComplete)
{
    LONG refCount;

    /* Read without the lock, as published. */
    NT_ASSERTMSG("No thread has begun completion", RequestContext->CompletionStarted == true);

    if (TransferComplete) {
        if (WdfRequestUnmarkCancelable(RequestContext->Request) == STATUS_SUCCESS) {
            refCount = InterlockedDecrement(&(RequestContext->CompletionRefCount));
            NT_ASSERTMSGW(L"Unexpected zero ref count", refCount != 0);
        }

        /* TimerStarted is read without the lock, as published. */
        if ((RequestContext->TimerStarted == true) && (WdfTimerStop(RequestContext->Timer, FALSE) == TRUE)) {
            refCount = InterlockedDecrement(&RequestContext->CompletionRefCount);
            NT_ASSERTMSG("Unexpected zero ref count", refCount > 0);
        }
    }

    refCount = InterlockedDecrement(&(RequestContext->CompletionRefCount));
    if (refCount == 0) {
        NT_ASSERTMSGW(L"Execution reference was released, but execution path did not set a completion status "
                      L"for the request",
                      RequestContext->CompletionStatus != STATUS_PENDING);

        if (RequestContext->Timer != NULL) {
            WdfObjectDelete(RequestContext->Timer);
            RequestContext->Timer = NULL;
        }

        WdfRequestComplete(RequestContext->Request, RequestContext->CompletionStatus);
    }
}

VOID PublishedEvtDmaTransferComplete(_In_ WDFDMATRANSACTION Transaction, _In_ WDFDEVICE Device,
                                     _In_ WDFCONTEXT Context, _In_ WDF_DMA_DIRECTION Direction,
                                     _In_ DMA_COMPLETION_STATUS DmaStatus)
{
    PREQUEST_CONTEXT requestContext = (PREQUEST_CONTEXT)Context;
    NTSTATUS requestStatus;
    bool overrideStatus = true;
    size_t bytesTransferred;

    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);

    if (DmaStatus == DmaComplete) {
        if (WdfDmaTransactionDmaCompleted(Transaction, &requestStatus) == FALSE) {
            /* More transfers to come; the transaction may already have been
             * finished on another processor. Touch nothing. */
            goto exit;
        }
        requestStatus = STATUS_SUCCESS;
    } else {
        WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &requestStatus);
        if (DmaStatus == DmaError) {
            requestStatus = STATUS_DEVICE_DATA_ERROR;
        } else {
            /* A cancel or a timeout should already have set the status, so
             * this path should lose the race below. */
            requestStatus = STATUS_PENDING;
            overrideStatus = false;
        }
    }

    BeginCompletion(requestContext, requestStatus, overrideStatus);

    bytesTransferred = WdfDmaTransactionGetBytesTransferred(requestContext->DmaTransaction);
    WdfRequestSetInformation(requestContext->Request, bytesTransferred);

    AttemptRequestCompletion(requestContext, true);

exit:
    return;
}

VOID PublishedEvtTimer(_In_ WDFTIMER Timer)
{
    WDFREQUEST request = (WDFREQUEST)WdfTimerGetParentObject(Timer);
    PREQUEST_CONTEXT requestContext = GetRequestContext(request);

    if (BeginCompletion(requestContext, STATUS_IO_TIMEOUT, false)) {
        WdfDmaTransactionStopSystemTransfer(requestContext->DmaTransaction);
    }

    AttemptRequestCompletion(requestContext, false);
}

VOID PublishedEvtRequestCancel(_In_ WDFREQUEST Request)
{
    PREQUEST_CONTEXT requestContext = GetRequestContext(Request);
    LONG oldValue;

    if (BeginCompletion(requestContext, STATUS_CANCELLED, false)) {
        if (WdfDmaTransactionCancel(requestContext->DmaTransaction) == TRUE) {
            /* Stopped before EvtProgramDma: drop the execution reference. */
            oldValue = InterlockedDecrement(&requestContext->CompletionRefCount);
            NT_ASSERTMSG("Unexpected zero ref count", oldValue > 0);
            NT_ASSERTMSG("Completion status should be cancelled",
                         requestContext->CompletionStatus == STATUS_CANCELLED);
        } else {
            WdfDmaTransactionStopSystemTransfer(requestContext->DmaTransaction);
        }
    }

    AttemptRequestCompletion(requestContext, false);
}

/* ---- what the protocol implies: the driver around it --------------------------------- */

static EVT_WDF_PROGRAM_DMA PublishedEvtProgramDma;
static EVT_WDF_IO_QUEUE_IO_READ PublishedEvtIoRead;
static EVT_WDF_DEVICE_PREPARE_HARDWARE PublishedEvtPrepareHardware;
static EVT_WDF_DRIVER_DEVICE_ADD PublishedEvtDeviceAdd;

/* The device's registers would be written here; the model's system DMA
 * controller starts the transfer when it is mapped. */
static BOOLEAN PublishedEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                      WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    return TRUE;
}

/* Finish a request before any of the three paths could start (MarkCancelableEx
 * said the IRP is already cancelled, or set-up failed). */
static VOID CompleteEarly(PREQUEST_CONTEXT ctx, NTSTATUS status)
{
    if (ctx->Timer != NULL) {
        WdfObjectDelete(ctx->Timer);
        ctx->Timer = NULL;
    }
    WdfRequestComplete(ctx->Request, status);
}

/*
 * The I/O handler, as the protocol implies:
 * 1. The context is filled and the reference count is 3 (execution, cancel,
 *    timer) before any of the three paths can run.
 * 2. The lock and the transaction are created per request; the lock is a
 *    child of the request; a transaction's parent is always its enabler.
 * 3. The timer's parent is the request, so WdfTimerGetParentObject in the
 *    timer callback returns the request.
 * 4. The transaction is initialised from the request and given the
 *    transfer-complete callback with the context as its context.
 * 5. The request is marked cancelable with WdfRequestMarkCancelableEx before
 *    anything can complete it; STATUS_CANCELLED (the IRP was cancelled
 *    already) means no path has started: complete at once.
 * 6. TimerStarted is set before WdfTimerStart, so it is true before the timer
 *    can fire.
 * 7. Execute; a failure means the execution path will never run: the
 *    transaction is released and the execution reference dropped through the
 *    protocol's own helpers, as the transfer-complete path would (it unmarks
 *    and stops the timer), with the failure as the forced status.
 * The variants in published.h change exactly one of these choices.
 */
static VOID PublishedEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PREQUEST_CONTEXT ctx = GetRequestContext(Request);
    PDEVICE_CONTEXT devCtx = GetDeviceContext(WdfIoQueueGetDevice(Queue));
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_TIMER_CONFIG timerConfig;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Length);

    ctx->Request = Request;
    ctx->CompletionStarted = false;
    ctx->CompletionStatus = STATUS_PENDING;
    ctx->CompletionRefCount = 3;
    ctx->TimerStarted = false;
    ctx->Timer = NULL;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Request;
    status = WdfSpinLockCreate(&attributes, &ctx->Lock);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }

    status = WdfDmaTransactionCreate(devCtx->DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES, &ctx->DmaTransaction);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }

    WDF_TIMER_CONFIG_INIT(&timerConfig, PublishedEvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Request;
    status = WdfTimerCreate(&timerConfig, &attributes, &ctx->Timer);
    if (!NT_SUCCESS(status)) {
        ctx->Timer = NULL;
        WdfRequestComplete(Request, status);
        return;
    }

    status = WdfDmaTransactionInitializeUsingRequest(ctx->DmaTransaction, Request, PublishedEvtProgramDma,
                                                     WdfDmaDirectionReadFromDevice);
    if (!NT_SUCCESS(status)) {
        CompleteEarly(ctx, status);
        return;
    }
    WdfDmaTransactionSetTransferCompleteCallback(ctx->DmaTransaction, PublishedEvtDmaTransferComplete, ctx);

    if (PublishedVariant != PUBLISHED_MARK_AFTER_EXECUTE) {
        status = WdfRequestMarkCancelableEx(Request, PublishedEvtRequestCancel);
        if (status == STATUS_CANCELLED) {
            WdfDmaTransactionRelease(ctx->DmaTransaction);
            CompleteEarly(ctx, STATUS_CANCELLED);
            return;
        }
    }

    if (PublishedVariant != PUBLISHED_TIMER_REF_NEVER_STARTED) {
        ctx->TimerStarted = true;
        WdfTimerStart(ctx->Timer, WDF_REL_TIMEOUT_IN_SEC(1));
    }

    status = WdfDmaTransactionExecute(ctx->DmaTransaction, ctx);

    if (PublishedVariant == PUBLISHED_MARK_AFTER_EXECUTE) {
        NTSTATUS markStatus = WdfRequestMarkCancelableEx(Request, PublishedEvtRequestCancel);
        if (markStatus == STATUS_CANCELLED && NT_SUCCESS(status)) {
            /* Too late to stop: the transfer runs, its path will complete. */
            InterlockedDecrement(&ctx->CompletionRefCount);
        }
    }

    if (!NT_SUCCESS(status)) {
        WdfDmaTransactionRelease(ctx->DmaTransaction);
        if (PublishedVariant == PUBLISHED_EXECUTE_FAILURE_COMPLETES) {
            /* "Drop the execution reference and complete". */
            InterlockedDecrement(&ctx->CompletionRefCount);
            WdfRequestComplete(Request, status);
            return;
        }
        BeginCompletion(ctx, status, true);
        AttemptRequestCompletion(ctx, true);
    }
}

static NTSTATUS PublishedEvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw,
                                            WDFCMRESLIST ResourcesTranslated)
{
    PDEVICE_CONTEXT devCtx = GetDeviceContext(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR desc, dmaDesc = NULL;
    PHYSICAL_ADDRESS registers = {{0, 0}};
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_DMA_SYSTEM_PROFILE_CONFIG systemConfig;
    NTSTATUS status;
    ULONG i;

    UNREFERENCED_PARAMETER(ResourcesRaw);

    for (i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        desc = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (desc == NULL)
            return STATUS_DEVICE_NOT_READY;
        if (desc->Type == CmResourceTypeMemory)
            registers = desc->u.Memory.Start;
        else if (desc->Type == CmResourceTypeDma)
            dmaDesc = desc;
    }
    if (dmaDesc == NULL)
        return STATUS_DEVICE_NOT_READY;

    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileSystem, PUBLISHED_MAX_LENGTH);
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES, &devCtx->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;

    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&systemConfig, registers, Width32Bits, dmaDesc);
    return WdfDmaEnablerConfigureSystemProfile(devCtx->DmaEnabler, &systemConfig, WdfDmaDirectionReadFromDevice);
}

static NTSTATUS PublishedEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = PublishedEvtPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, REQUEST_CONTEXT);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attributes);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoRead = PublishedEvtIoRead;
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}

NTSTATUS PublishedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, PublishedEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
