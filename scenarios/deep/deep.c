/* deep.c: "deep" busted drivers (docs/deep.md): bugs that only show when
 * several specific orderings happen in one execution, for measuring search
 * strategies. Plain KMDF driver code: only ntddk.h and wdf.h.
 *
 * The correct driver (DEEP_CORRECT, rows deep-control*)
 * is a system-DMA read driver with a cancel routine and a timeout timer, on
 * the protocol of docs/fixed-protocol.md, written again for this file:
 *  - cancel and timeout only ask for a stop (RequestStop): a stop is made at
 *    most once, only between Execute and the final DmaCompleted*, and never
 *    while a DmaCompleted* call is in flight; a stop wanted meanwhile is left
 *    to the DMA path (StopWanted), and a transfer-complete callback that
 *    arrives while a stop is being made is handed over to the stopper;
 *  - references: the I/O handler, the DMA path, the cancel path and the timer
 *    hold one each; the last one out deletes the timer and completes;
 *  - every shared field is under the device's lock (one lock for all
 *    requests, so no path ever takes a lock a completion deleted);
 *  - a timeout means the device hung: it asks every read in flight on the
 *    device to stop (the device keeps them in a list, and the timer callback
 *    holds a reference on each one it will touch).
 *
 * Each variant adds one bug, in a branch the random walk rarely takes; the
 * comment at each `if (DeepVariant == ...)` says what the bug is, why an author
 * might write it and why it is wrong. The rows are in rows.c. */
#include <ntddk.h>
#include <wdf.h>

#include "deep.h"

DEEP_VARIANT DeepVariant = DEEP_CORRECT;

#define DEEP_MAX_LENGTH (64 * 1024)
#define DEEP_TIMEOUT_SECONDS 1
#define DEEP_MAX_WALK 4 /* requests a timeout asks to stop besides its own */

typedef struct _DEEP_DEVICE_CONTEXT {
    WDFDMAENABLER DmaEnabler;
    WDFSPINLOCK Lock;
    LIST_ENTRY InFlight; /* under Lock: executed reads not yet completed */
} DEEP_DEVICE_CONTEXT, *PDEEP_DEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEEP_DEVICE_CONTEXT, DeepGetDeviceContext)

typedef struct _DEEP_REQUEST_CONTEXT {
    WDFREQUEST Request;
    WDFDMATRANSACTION DmaTransaction;
    WDFTIMER Timer;
    WDFSPINLOCK Lock;           /* the device's */
    PDEEP_DEVICE_CONTEXT DevCtx;
    LONG References;            /* I/O handler, DMA path, cancel path, timer */
    /* under Lock */
    LIST_ENTRY Link;            /* in DevCtx->InFlight while Listed */
    bool Listed;
    bool DmaDone;               /* the final DmaCompleted* returned (or Execute failed) */
    LONG DmaBusy;               /* DMA-path invocations inside DmaCompleted* */
    bool Stopping;              /* a path is inside StopSystemTransfer */
    bool Stopped;               /* StopSystemTransfer was called */
    bool StopWanted;            /* a stop was wanted while the DMA path was busy */
    bool HasDeferred;           /* a transfer-complete callback handed over to the stopper */
    DMA_COMPLETION_STATUS Deferred;
    NTSTATUS StopReason;        /* STATUS_CANCELLED or STATUS_IO_TIMEOUT, the first one wins */
    bool Cancelable;            /* marked, and nobody has claimed the right to unmark */
    bool TimerQueued;           /* started, and nobody has claimed the right to stop it */
    bool TimerFired;
    NTSTATUS CompletionStatus;
    size_t Information;
} DEEP_REQUEST_CONTEXT, *PDEEP_REQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEEP_REQUEST_CONTEXT, DeepGetRequestContext)

static EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE DeepEvtTransferComplete;
static EVT_WDF_PROGRAM_DMA DeepEvtProgramDma;
static EVT_WDF_TIMER DeepEvtTimer;
static EVT_WDF_REQUEST_CANCEL DeepEvtRequestCancel;
static EVT_WDF_IO_QUEUE_IO_READ DeepEvtIoRead;
static EVT_WDF_DEVICE_PREPARE_HARDWARE DeepEvtPrepareHardware;
static EVT_WDF_DRIVER_DEVICE_ADD DeepEvtDeviceAdd;

static VOID HandleTransfer(PDEEP_REQUEST_CONTEXT ctx, DMA_COMPLETION_STATUS DmaStatus);

/* The last reference out completes the request. */
static VOID DropReference(PDEEP_REQUEST_CONTEXT ctx)
{
    if (InterlockedDecrement(&ctx->References) != 0)
        return;
    WdfSpinLockAcquire(ctx->Lock);
    if (ctx->Listed) {
        RemoveEntryList(&ctx->Link);
        ctx->Listed = false;
    }
    WdfSpinLockRelease(ctx->Lock);
    WdfObjectDelete(ctx->Timer); /* stopped or fired: it will not run again */
    WdfRequestCompleteWithInformation(ctx->Request, ctx->CompletionStatus, ctx->Information);
}

/* Stop the transfer; then finish a transfer whose callback arrived meanwhile. */
static VOID DoStop(PDEEP_REQUEST_CONTEXT ctx)
{
    bool deferred;
    DMA_COMPLETION_STATUS status;

    WdfDmaTransactionStopSystemTransfer(ctx->DmaTransaction);

    WdfSpinLockAcquire(ctx->Lock);
    ctx->Stopping = false;
    ctx->Stopped = true;
    deferred = ctx->HasDeferred;
    status = ctx->Deferred;
    ctx->HasDeferred = false;
    if (deferred)
        ctx->DmaBusy++;
    WdfSpinLockRelease(ctx->Lock);

    if (deferred)
        HandleTransfer(ctx, status);
}

/* Cancel and timeout: record why, and stop the transfer if that is legal now.
 * The caller holds a reference on the request. */
static VOID RequestStop(PDEEP_REQUEST_CONTEXT ctx, NTSTATUS reason)
{
    bool go = false;

    WdfSpinLockAcquire(ctx->Lock);
    if (ctx->StopReason == STATUS_SUCCESS)
        ctx->StopReason = reason;
    if (!ctx->DmaDone && !ctx->Stopped && !ctx->Stopping) {
        if (ctx->DmaBusy > 0) {
            ctx->StopWanted = true; /* the DMA path will act on it */
        } else {
            ctx->Stopping = true;
            go = true;
        }
    }
    WdfSpinLockRelease(ctx->Lock);

    if (go)
        DoStop(ctx);
}

static NTSTATUS FinalStatus(DMA_COMPLETION_STATUS dmaStatus, NTSTATUS txStatus, size_t bytes, size_t length,
                            NTSTATUS stopReason)
{
    if (dmaStatus == DmaComplete && NT_SUCCESS(txStatus) && bytes == length)
        return STATUS_SUCCESS;
    if (dmaStatus == DmaError)
        return STATUS_DEVICE_DATA_ERROR;
    if (stopReason != STATUS_SUCCESS)
        return stopReason;
    return NT_SUCCESS(txStatus) ? STATUS_DEVICE_DATA_ERROR : txStatus;
}

/* The end of the DMA path, once the transaction is final: the status, then
 * the cancel and timer references if this path can settle them. Entered with
 * Lock held; releases it. */
static VOID FinishDmaPath(PDEEP_REQUEST_CONTEXT ctx, DMA_COMPLETION_STATUS DmaStatus, NTSTATUS txStatus)
{
    WDFDMATRANSACTION tx = ctx->DmaTransaction;
    WDF_REQUEST_PARAMETERS params;
    bool cancelable, timerQueued;
    size_t bytes;

    bytes = WdfDmaTransactionGetBytesTransferred(tx);
    WDF_REQUEST_PARAMETERS_INIT(&params);
    WdfRequestGetParameters(ctx->Request, &params);

    ctx->DmaDone = true;
    ctx->DmaBusy--;
    ctx->CompletionStatus = FinalStatus(DmaStatus, txStatus, bytes, params.Parameters.Read.Length, ctx->StopReason);
    ctx->Information = bytes;
    cancelable = ctx->Cancelable;
    ctx->Cancelable = false;
    timerQueued = ctx->TimerQueued;
    ctx->TimerQueued = false;
    WdfSpinLockRelease(ctx->Lock);

    if (cancelable && WdfRequestUnmarkCancelable(ctx->Request) == STATUS_SUCCESS)
        DropReference(ctx); /* the cancel reference: no callback will come */
    if (timerQueued && WdfTimerStop(ctx->Timer, FALSE) == TRUE)
        DropReference(ctx); /* the timer reference: it will not fire */
    DropReference(ctx);     /* the DMA reference */
}

/* The DMA path for one transfer. Entered with DmaBusy counting it. */
static VOID HandleTransfer(PDEEP_REQUEST_CONTEXT ctx, DMA_COMPLETION_STATUS DmaStatus)
{
    WDFDMATRANSACTION tx = ctx->DmaTransaction;
    NTSTATUS txStatus;
    BOOLEAN final;
    bool endNow, go;

    WdfSpinLockAcquire(ctx->Lock);
    endNow = ctx->Stopped || ctx->StopWanted;
    WdfSpinLockRelease(ctx->Lock);

    if (DmaStatus == DmaComplete && !endNow) {
        final = WdfDmaTransactionDmaCompleted(tx, &txStatus);
    } else if (DmaStatus == DmaComplete) {
        final = WdfDmaTransactionDmaCompletedFinal(tx, WdfDmaTransactionGetCurrentDmaTransferLength(tx), &txStatus);
    } else {
        final = WdfDmaTransactionDmaCompletedFinal(tx, 0, &txStatus);
    }

    if (!final) {
        /* The next transfer runs. A stop wanted meanwhile is ours to make,
         * unless a nested callback already finished the transaction. */
        WdfSpinLockAcquire(ctx->Lock);
        ctx->DmaBusy--;
        if (DeepVariant == DEEP_NESTED_FINAL_STOP) {
            /* BUG (deep-nested-final-stop). "DmaCompleted returned FALSE: the
             * next transfer is staged and running, so the stop that was
             * wanted meanwhile is legal now." The next transfer's callback
             * may already have run, nested inside this DmaCompleted (the
             * hardware finished before EvtProgramDma returned:
             * fxdmatransactionpacket.cpp FxDmaPacketTransaction::StageTransfer,
             * RerunCompletion) or on another processor, seen the wanted stop
             * and ended the transaction with DmaCompletedFinal. Stopping it
             * then dereferences the NULL m_AdapterInfo
             * (fxdmatransactionsystem.cpp FxDmaSystemTransaction::StopTransfer;
             * kmdf-model-spec.md 1.5, 1.8). */
            go = ctx->StopWanted && ctx->DmaBusy == 0 && !ctx->Stopped && !ctx->Stopping;
        } else if (DeepVariant == DEEP_STOP_WHILE_BUSY) {
            /* BUG (deep-stop-while-busy). "The stop was wanted while this
             * transfer was being completed; the invocation still in flight
             * is only the next transfer's callback, and this stop is for
             * that transfer: make it now." DmaBusy counts invocations inside
             * DmaCompleted*, and that other invocation may be making the
             * final one (the next transfer finished on the other processor,
             * its HAL DPC called back while this one had not yet taken the
             * lock). The stop then lands after the final DmaCompleted* and
             * dereferences the NULL m_AdapterInfo (fxdmatransactionsystem.cpp
             * FxDmaSystemTransaction::StopTransfer; kmdf-model-spec.md 1.6:
             * no lock guards DmaCompleted* against StopSystemTransfer). */
            go = ctx->StopWanted && !ctx->DmaDone && !ctx->Stopped && !ctx->Stopping;
        } else {
            go = ctx->StopWanted && ctx->DmaBusy == 0 && !ctx->DmaDone && !ctx->Stopped && !ctx->Stopping;
        }
        if (go && DeepVariant == DEEP_WANTED_STOP_UNCLAIMED) {
            /* BUG (deep-wanted-stop-unclaimed). "Only the DMA path acts on
             * StopWanted, and no other stopper can be active when one was
             * wanted: stop directly, without the Stopping hand-over." The
             * hand-over is not there for other stoppers: it is for the
             * stopped transfer's own callback, which may arrive on the other
             * processor during the stop, see Stopped, end the transaction
             * with DmaCompletedFinal, and leave the stop to dereference the
             * NULL m_AdapterInfo (fxdmatransactionsystem.cpp
             * FxDmaSystemTransaction::StopTransfer; kmdf-model-spec.md 1.8). */
            ctx->StopWanted = false;
            ctx->Stopped = true;
            WdfSpinLockRelease(ctx->Lock);
            WdfDmaTransactionStopSystemTransfer(tx);
            return;
        }
        if (go) {
            ctx->StopWanted = false;
            ctx->Stopping = true;
        }
        WdfSpinLockRelease(ctx->Lock);
        if (go)
            DoStop(ctx);
        return;
    }

    WdfSpinLockAcquire(ctx->Lock);
    FinishDmaPath(ctx, DmaStatus, txStatus); /* releases the lock */
}

static VOID DeepEvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                    WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS DmaStatus)
{
    PDEEP_REQUEST_CONTEXT ctx = (PDEEP_REQUEST_CONTEXT)Context;
    WDFREQUEST request = ctx->Request;
    bool handOver;

    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);

    if (DeepVariant != DEEP_CALLBACK_UNREFERENCED) {
        WdfObjectReference(request); /* the context outlives a nested completion */
    } else {
        /* BUG (deep-callback-unreferenced). "The DMA path holds a reference
         * of the driver's own count until the transaction is final, so the
         * request outlives this callback." When DmaCompleted returns FALSE,
         * the next transfer's callback may already have run, nested inside
         * it or on the other processor, made the final DmaCompleted*, settled
         * the cancel and timer references and completed the request: KMDF
         * freed it and its context (fxrequest.cpp
         * FxRequest::PostProcessCompletion), and this invocation still takes
         * the lock and counts DmaBusy in that context (kmdf-model-spec.md
         * 1.5: the outer invocation must touch nothing after FALSE). */
    }
    WdfSpinLockAcquire(ctx->Lock);
    handOver = ctx->Stopping;
    if (DeepVariant == DEEP_ERROR_SKIPS_HANDOVER && DmaStatus == DmaError) {
        /* BUG (deep-error-skips-handover). "A DMA error ends the transaction
         * whatever the stopper does: there is nothing left to stop, so finish
         * it now and fail the read at once instead of waiting for the
         * stopper." The stopper has already decided to stop, and is between
         * its claim and its WdfDmaTransactionStopSystemTransfer (or inside
         * it, after m_IsCancelled is written): when this path's
         * DmaCompletedFinal gets there first, the stop dereferences the NULL
         * m_AdapterInfo (fxdmatransactionsystem.cpp
         * FxDmaSystemTransaction::StopTransfer; kmdf-model-spec.md 1.8, C1).
         * The hand-over exists for every status. */
        handOver = false;
    }
    if (handOver) {
        ctx->Deferred = DmaStatus;
        ctx->HasDeferred = true;
    } else if (DeepVariant != DEEP_BUSY_COUNTED_LATE) {
        ctx->DmaBusy++;
    }
    WdfSpinLockRelease(ctx->Lock);
    if (!handOver && DeepVariant == DEEP_BUSY_COUNTED_LATE) {
        /* BUG (deep-busy-counted-late). "Decide about the hand-over first;
         * count this invocation busy when its work starts." Between the two
         * lock sections a cancel or timeout sees no stop claimed and the DMA
         * path idle, claims the stop and stops the transfer whose
         * DmaCompleted* this invocation is about to make: when that call is
         * the final one and comes first, the stop dereferences the NULL
         * m_AdapterInfo (fxdmatransactionsystem.cpp
         * FxDmaSystemTransaction::StopTransfer; kmdf-model-spec.md 1.8). */
        WdfSpinLockAcquire(ctx->Lock);
        ctx->DmaBusy++;
        WdfSpinLockRelease(ctx->Lock);
    }
    if (!handOver)
        HandleTransfer(ctx, DmaStatus);
    if (DeepVariant != DEEP_CALLBACK_UNREFERENCED)
        WdfObjectDereference(request);
}

static BOOLEAN DeepEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                 WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    /* A system-mode DMA controller needs no programming by the driver: the
     * HAL's MapTransferEx started it. */
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    return TRUE;
}

static VOID DeepEvtTimer(WDFTIMER Timer)
{
    PDEEP_REQUEST_CONTEXT ctx = DeepGetRequestContext(WdfTimerGetParentObject(Timer));
    PDEEP_REQUEST_CONTEXT others[DEEP_MAX_WALK];
    WDFREQUEST otherRequests[DEEP_MAX_WALK];
    PLIST_ENTRY entry;
    ULONG n = 0, i;

    /* A timeout means the device hung: every read in flight on it fails. */
    WdfSpinLockAcquire(ctx->Lock);
    ctx->TimerFired = true;
    ctx->TimerQueued = false;
    if (!ctx->DmaDone) {
        for (entry = ctx->DevCtx->InFlight.Flink; entry != &ctx->DevCtx->InFlight && n < DEEP_MAX_WALK;
             entry = entry->Flink) {
            PDEEP_REQUEST_CONTEXT other = CONTAINING_RECORD(entry, DEEP_REQUEST_CONTEXT, Link);
            if (other == ctx)
                continue;
            if (DeepVariant != DEEP_TIMEOUT_WALK_UNREFERENCED && DeepVariant != DEEP_WALK_REFERENCE_LATE) {
                WdfObjectReference(other->Request); /* it may complete once the lock is dropped */
            } else if (DeepVariant == DEEP_TIMEOUT_WALK_UNREFERENCED) {
                /* BUG (deep-timeout-walk-unreferenced). "The list only holds
                 * reads in flight, and a read leaves it before it is
                 * completed: a pointer taken from it is good." It is good
                 * only while the lock is held: once it is dropped, the other
                 * read's last reference may go on another processor, which
                 * takes it off the list and completes it; KMDF then frees the
                 * request and its context (fxrequest.cpp
                 * FxRequest::PostProcessCompletion; kmdf-model-spec.md 1.15),
                 * and RequestStop below reads a freed context (class C11). */
            }
            otherRequests[n] = other->Request;
            others[n++] = other;
        }
    }
    WdfSpinLockRelease(ctx->Lock);

    for (i = 0; i < n; i++) {
        if (DeepVariant == DEEP_WALK_REFERENCE_LATE) {
            /* BUG (deep-walk-reference-late). "Reference each read before
             * stopping it": taken after the lock is dropped, the reference
             * comes too late; between the two the other read may have been
             * completed and freed (fxrequest.cpp
             * FxRequest::PostProcessCompletion), and WdfObjectReference is
             * given a stale handle (class C11). A reference is only good when
             * taken while the list's lock keeps the read alive. */
            WdfObjectReference(otherRequests[i]);
        }
        RequestStop(others[i], STATUS_IO_TIMEOUT);
        if (DeepVariant != DEEP_TIMEOUT_WALK_UNREFERENCED)
            WdfObjectDereference(otherRequests[i]);
    }
    RequestStop(ctx, STATUS_IO_TIMEOUT);
    DropReference(ctx);
}

static VOID DeepEvtRequestCancel(WDFREQUEST Request)
{
    PDEEP_REQUEST_CONTEXT ctx = DeepGetRequestContext(Request);

    WdfSpinLockAcquire(ctx->Lock);
    ctx->Cancelable = false; /* nobody unmarks it now */
    WdfSpinLockRelease(ctx->Lock);
    RequestStop(ctx, STATUS_CANCELLED);
    DropReference(ctx);
}

static VOID DeepEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PDEEP_REQUEST_CONTEXT ctx = DeepGetRequestContext(Request);
    PDEEP_DEVICE_CONTEXT devCtx = DeepGetDeviceContext(WdfIoQueueGetDevice(Queue));
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_TIMER_CONFIG timerConfig;
    NTSTATUS status;
    bool dmaDone, unmarkNow, stopTimerNow;

    UNREFERENCED_PARAMETER(Length);

    ctx->Request = Request;
    ctx->Lock = devCtx->Lock;
    ctx->DevCtx = devCtx;
    ctx->References = 2; /* this handler, and the DMA path */
    ctx->CompletionStatus = STATUS_SUCCESS;

    status = WdfDmaTransactionCreate(devCtx->DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES, &ctx->DmaTransaction);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    WDF_TIMER_CONFIG_INIT(&timerConfig, DeepEvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Request;
    status = WdfTimerCreate(&timerConfig, &attributes, &ctx->Timer);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(ctx->DmaTransaction);
        WdfRequestComplete(Request, status);
        return;
    }
    status = WdfDmaTransactionInitializeUsingRequest(ctx->DmaTransaction, Request, DeepEvtProgramDma,
                                                     WdfDmaDirectionReadFromDevice);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(ctx->Timer);
        WdfObjectDelete(ctx->DmaTransaction);
        WdfRequestComplete(Request, status);
        return;
    }
    WdfDmaTransactionSetTransferCompleteCallback(ctx->DmaTransaction, DeepEvtTransferComplete, ctx);

    status = WdfDmaTransactionExecute(ctx->DmaTransaction, ctx);
    if (!NT_SUCCESS(status)) {
        /* No DMA path will run: this handler finishes for it. */
        WdfDmaTransactionRelease(ctx->DmaTransaction);
        WdfSpinLockAcquire(ctx->Lock);
        ctx->DmaDone = true;
        ctx->CompletionStatus = status;
        WdfSpinLockRelease(ctx->Lock);
        DropReference(ctx); /* the DMA reference */
        DropReference(ctx); /* this handler's */
        return;
    }

    /* From here a stop is legal: the read joins the device's list. */
    WdfSpinLockAcquire(ctx->Lock);
    InsertTailList(&devCtx->InFlight, &ctx->Link);
    ctx->Listed = true;
    WdfSpinLockRelease(ctx->Lock);

    /* Cancellation: counted before it can run. */
    InterlockedIncrement(&ctx->References);
    status = WdfRequestMarkCancelableEx(Request, DeepEvtRequestCancel);
    if (status == STATUS_CANCELLED) {
        RequestStop(ctx, STATUS_CANCELLED);
        DropReference(ctx); /* no callback will come */
    } else {
        WdfSpinLockAcquire(ctx->Lock);
        ctx->Cancelable = true;
        dmaDone = ctx->DmaDone;
        unmarkNow = dmaDone; /* the DMA path finished before we marked: unmark ourselves */
        if (unmarkNow)
            ctx->Cancelable = false;
        WdfSpinLockRelease(ctx->Lock);
        if (unmarkNow && WdfRequestUnmarkCancelable(Request) == STATUS_SUCCESS)
            DropReference(ctx);
    }

    /* Timeout: counted before the timer can fire. */
    InterlockedIncrement(&ctx->References);
    WdfTimerStart(ctx->Timer, WDF_REL_TIMEOUT_IN_SEC(DEEP_TIMEOUT_SECONDS));
    WdfSpinLockAcquire(ctx->Lock);
    if (!ctx->TimerFired)
        ctx->TimerQueued = true;
    stopTimerNow = ctx->DmaDone && ctx->TimerQueued;
    if (stopTimerNow)
        ctx->TimerQueued = false;
    WdfSpinLockRelease(ctx->Lock);
    if (stopTimerNow && WdfTimerStop(ctx->Timer, FALSE) == TRUE)
        DropReference(ctx);

    DropReference(ctx); /* this handler's */
}

/* ---- the device side, as in the published sample ------------------------------------ */

static NTSTATUS DeepEvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    PDEEP_DEVICE_CONTEXT devCtx = DeepGetDeviceContext(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR desc, dmaDesc = NULL;
    PHYSICAL_ADDRESS registers = {{0, 0}};
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_DMA_SYSTEM_PROFILE_CONFIG systemConfig;
    WDF_OBJECT_ATTRIBUTES attributes;
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

    InitializeListHead(&devCtx->InFlight);
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Device;
    status = WdfSpinLockCreate(&attributes, &devCtx->Lock);
    if (!NT_SUCCESS(status))
        return status;

    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileSystem, DEEP_MAX_LENGTH);
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES, &devCtx->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;
    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&systemConfig, registers, Width32Bits, dmaDesc);
    return WdfDmaEnablerConfigureSystemProfile(devCtx->DmaEnabler, &systemConfig, WdfDmaDirectionReadFromDevice);
}

static NTSTATUS DeepEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = DeepEvtPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEEP_REQUEST_CONTEXT);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attributes);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEEP_DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoRead = DeepEvtIoRead;
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}

NTSTATUS DeepDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, DeepEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
