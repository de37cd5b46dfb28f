/* fixed.c: a corrected version of the published completion protocol
 * (docs/fixed-protocol.md explains why it is correct). Plain KMDF driver
 * code: only ntddk.h and wdf.h.
 *
 * What changes against the published protocol, and which finding each
 * change removes:
 *  - The DMA path alone decides the completion status, from what the
 *    transaction reported (C2: no forced success over a stop; C3: never
 *    STATUS_PENDING). Cancel and timeout only record why a stop was wanted.
 *  - StopSystemTransfer is called at most once (V9), only between Execute and
 *    the final DmaCompleted* (V13 / misuse), and never while a DmaCompleted*
 *    call is in flight: a path that wants a stop while the DMA path is inside
 *    DmaCompleted* leaves a note, and the DMA path ends the transaction at the
 *    next transfer boundary or stops the next transfer itself. A
 *    transfer-complete callback that arrives while a stop is in progress
 *    hands its transfer to the stopper. WdfDmaTransactionCancel is not used:
 *    a stop while the channel allocation is pending is outcome (c) of spec
 *    2.6, and the DMA path finishes it.
 *  - Every field shared between paths is read and written under one lock
 *    (C9). The lock belongs to the device, so no path ever uses a lock that
 *    completing the request deleted.
 *  - The request is marked cancelable and the timer started after Execute, so
 *    no path can stop a transaction that has not started.
 *  - References: the I/O handler, the DMA path, the cancel path and the timer
 *    each hold one; whoever drops the last completes the request, after
 *    deleting the timer (V21). The DMA path holds a WdfObjectReference on the
 *    request while its callback runs, so touching the context after
 *    DmaCompleted* returned FALSE is safe even if a nested callback completed
 *    the request meanwhile. */
#include <ntddk.h>
#include <wdf.h>

#include "fixed.h"

/* FIXED_LIFETIME (fixed/lifetime.c compiles this file again with it set to
 * 1): the same protocol extended to survive power-down, surprise removal and
 * removal with transfers in flight (docs/fixed-protocol.md, "The device's
 * life"), with a status IOCTL. Compiled as a separate driver, so the
 * original fixed-* rows run exactly the code they always ran. */
#ifndef FIXED_LIFETIME
#define FIXED_LIFETIME 0
#endif

#if FIXED_LIFETIME
/* The busted variants of the lifetime build (fixed.h, docs/busted.md). */
FIXED_LIFETIME_VARIANT FixedLifetimeVariant = FIXED_LIFETIME_CORRECT;
#endif

typedef struct _FIXED_REQUEST_CONTEXT {
    WDFREQUEST Request;
    WDFDMATRANSACTION DmaTransaction;
    WDFTIMER Timer;
    WDFSPINLOCK Lock;      /* the device's lock */
    LONG References;       /* I/O handler, DMA path, cancel path, timer */
    /* under Lock */
    bool DmaDone;          /* the final DmaCompleted* returned TRUE (or Execute failed) */
    LONG DmaBusy;          /* DMA-path invocations inside DmaCompleted* (the callback for the next
                              transfer may run on another processor before the previous one returns) */
    bool Stopping;         /* a path is inside StopSystemTransfer */
    bool Stopped;          /* StopSystemTransfer was called */
    bool StopWanted;       /* a stop was wanted while the DMA path was busy */
    bool HasDeferred;      /* a transfer-complete callback handed over to the stopper */
    DMA_COMPLETION_STATUS Deferred;
    NTSTATUS StopReason;   /* STATUS_CANCELLED or STATUS_IO_TIMEOUT, first one wins */
    bool Cancelable;       /* marked, and nobody has claimed the right to unmark */
    bool TimerQueued;      /* started, and nobody has claimed the right to stop it */
    bool TimerFired;
    NTSTATUS CompletionStatus;
    size_t Information;
#if FIXED_LIFETIME
    struct _FIXED_DEVICE_CONTEXT *DevCtx;
    /* under Lock */
    bool Executed;         /* Execute succeeded: a stop is legal from now on */
    bool StopAsked;        /* EvtIoStop came before Execute returned: the handler stops */
#endif
} FIXED_REQUEST_CONTEXT, *PFIXED_REQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(FIXED_REQUEST_CONTEXT, FixedGetRequestContext)

typedef struct _FIXED_DEVICE_CONTEXT {
    WDFDMAENABLER DmaEnabler;
    WDFSPINLOCK Lock;
#if FIXED_LIFETIME
    volatile ULONG *Registers; /* memory range 0, mapped in PrepareHardware, unmapped in ReleaseHardware */
    SIZE_T RegistersLength;
    /* under Lock */
    bool PoweredOn;            /* between EvtDeviceD0Entry and EvtDeviceD0Exit */
    LONG InFlight;             /* transactions executed (or being executed) and not finished */
    ULONG Completed;           /* reads whose DMA path finished */
    ULONG PowerUps;            /* EvtDeviceD0Entry calls */
#endif
} FIXED_DEVICE_CONTEXT, *PFIXED_DEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(FIXED_DEVICE_CONTEXT, FixedGetDeviceContext)

static EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE FixedEvtTransferComplete;
static EVT_WDF_TIMER FixedEvtTimer;
static EVT_WDF_REQUEST_CANCEL FixedEvtRequestCancel;
static EVT_WDF_PROGRAM_DMA FixedEvtProgramDma;
static EVT_WDF_IO_QUEUE_IO_READ FixedEvtIoRead;
static EVT_WDF_DEVICE_PREPARE_HARDWARE FixedEvtPrepareHardware;
static EVT_WDF_DRIVER_DEVICE_ADD FixedEvtDeviceAdd;
#if FIXED_LIFETIME
static EVT_WDF_IO_QUEUE_IO_STOP FixedEvtIoStop;
static EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL FixedEvtIoDeviceControl;
static EVT_WDF_DEVICE_D0_ENTRY FixedEvtD0Entry;
static EVT_WDF_DEVICE_D0_EXIT FixedEvtD0Exit;
static EVT_WDF_DEVICE_RELEASE_HARDWARE FixedEvtReleaseHardware;
#define FIXED_ENTRY FixedLifetimeDriverEntry
#else
#define FIXED_ENTRY FixedDriverEntry
#endif

static VOID HandleTransfer(PFIXED_REQUEST_CONTEXT ctx, DMA_COMPLETION_STATUS DmaStatus);

/* The last reference out completes the request. */
static VOID DropReference(PFIXED_REQUEST_CONTEXT ctx)
{
    if (InterlockedDecrement(&ctx->References) != 0)
        return;
    if (ctx->Timer != NULL) {
        WdfObjectDelete(ctx->Timer); /* stopped or fired: it will not run again */
        ctx->Timer = NULL;
    }
    WdfRequestCompleteWithInformation(ctx->Request, ctx->CompletionStatus, ctx->Information);
}

/* Stop the transfer; then finish a transfer whose callback arrived meanwhile. */
static VOID DoStop(PFIXED_REQUEST_CONTEXT ctx)
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

/* Cancel and timeout: record why, and stop the transfer if that is legal now. */
static VOID RequestStop(PFIXED_REQUEST_CONTEXT ctx, NTSTATUS reason)
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

static NTSTATUS FinalStatus(PFIXED_REQUEST_CONTEXT ctx, DMA_COMPLETION_STATUS dmaStatus, NTSTATUS txStatus,
                            size_t bytes, size_t length, NTSTATUS stopReason)
{
    UNREFERENCED_PARAMETER(ctx);
    if (dmaStatus == DmaComplete && NT_SUCCESS(txStatus) && bytes == length)
        return STATUS_SUCCESS;
    if (dmaStatus == DmaError)
        return STATUS_DEVICE_DATA_ERROR;
    if (stopReason != STATUS_SUCCESS)
        return stopReason;
    return NT_SUCCESS(txStatus) ? STATUS_DEVICE_DATA_ERROR : txStatus;
}

#if FIXED_LIFETIME
/* The last DMA-path invocation to leave, once the transaction is done, ends
 * the DMA path: only then may the request complete. A transfer-complete
 * callback whose DmaCompleted* returned FALSE still takes the device's lock
 * afterwards, and the callback for the next transfer may finish the
 * transaction on another processor meanwhile; were that one to complete the
 * request, a removal could delete the device, and its lock, under the first
 * (docs/fixed-protocol.md item 15). The transaction is finished and no path
 * uses it any more (stops are claimed only while it is not done): delete it,
 * so none is left at ReleaseHardware. */
static VOID LeaveDmaPath(PFIXED_REQUEST_CONTEXT ctx, WDFDMATRANSACTION tx)
{
    WdfObjectDelete(tx);
    DropReference(ctx); /* the DMA reference */
}
#endif

/* The DMA path for one transfer. Entered with DmaBusy counting it. */
static VOID HandleTransfer(PFIXED_REQUEST_CONTEXT ctx, DMA_COMPLETION_STATUS DmaStatus)
{
    WDFDMATRANSACTION tx = ctx->DmaTransaction;
    NTSTATUS txStatus;
    BOOLEAN final;
    bool endNow, go, cancelable, timerQueued;
    size_t bytes;
    WDF_REQUEST_PARAMETERS params;
#if FIXED_LIFETIME
    bool lastOut;
#endif

    WdfSpinLockAcquire(ctx->Lock);
    endNow = ctx->Stopped || ctx->StopWanted;
    WdfSpinLockRelease(ctx->Lock);

    if (DmaStatus == DmaComplete && !endNow)
        final = WdfDmaTransactionDmaCompleted(tx, &txStatus);
    else if (DmaStatus == DmaComplete)
        final = WdfDmaTransactionDmaCompletedFinal(tx, WdfDmaTransactionGetCurrentDmaTransferLength(tx), &txStatus);
    else
        final = WdfDmaTransactionDmaCompletedFinal(tx, 0, &txStatus);

    if (!final) {
        /* The next transfer runs. A stop wanted meanwhile is ours to make,
         * unless a nested callback already finished the transaction. */
        WdfSpinLockAcquire(ctx->Lock);
        ctx->DmaBusy--;
        go = ctx->StopWanted && ctx->DmaBusy == 0 && !ctx->DmaDone && !ctx->Stopped && !ctx->Stopping;
        if (go) {
            ctx->StopWanted = false;
            ctx->Stopping = true;
        }
#if FIXED_LIFETIME
        lastOut = ctx->DmaDone && ctx->DmaBusy == 0; /* the final one finished while we were here */
#endif
        WdfSpinLockRelease(ctx->Lock);
        if (go)
            DoStop(ctx);
#if FIXED_LIFETIME
        if (lastOut)
            LeaveDmaPath(ctx, tx);
#endif
        return;
    }

    bytes = WdfDmaTransactionGetBytesTransferred(tx);
    WDF_REQUEST_PARAMETERS_INIT(&params);
    WdfRequestGetParameters(ctx->Request, &params);
#if FIXED_LIFETIME
    /* The device's view of the transfer: its status register. The device is
     * in D0 here: power-down waits until every request the driver owns is
     * completed, and this request completes only after this path. */
    if (FixedLifetimeVariant != FIXED_LIFETIME_CANCEL_STOPS_UNCHECKED && /* f: a device without one */
        READ_REGISTER_ULONG(&ctx->DevCtx->Registers[FIXED_REG_STATUS]) & FIXED_STATUS_ERROR)
        DmaStatus = DmaError;
#endif

    WdfSpinLockAcquire(ctx->Lock);
    ctx->DmaDone = true;
#if FIXED_LIFETIME
    /* This path stays counted in DmaBusy until the unmark and the timer stop
     * below are done: until then it needs the DMA reference. */
    ctx->DevCtx->InFlight--;
    ctx->DevCtx->Completed++;
#else
    ctx->DmaBusy--;
#endif
    ctx->CompletionStatus =
        FinalStatus(ctx, DmaStatus, txStatus, bytes, params.Parameters.Read.Length, ctx->StopReason);
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
#if FIXED_LIFETIME
    WdfSpinLockAcquire(ctx->Lock);
    ctx->DmaBusy--;
    lastOut = ctx->DmaBusy == 0; /* else an earlier callback is still between DmaCompleted and its lock */
    WdfSpinLockRelease(ctx->Lock);
    if (lastOut)
        LeaveDmaPath(ctx, tx);
#else
    DropReference(ctx);     /* the DMA reference */
#endif
}

static VOID FixedEvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                     WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS DmaStatus)
{
    PFIXED_REQUEST_CONTEXT ctx = (PFIXED_REQUEST_CONTEXT)Context;
    WDFREQUEST request = ctx->Request;
    bool handOver;

    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);

    WdfObjectReference(request); /* the context outlives a nested completion */
    WdfSpinLockAcquire(ctx->Lock);
    handOver = ctx->Stopping;
    if (handOver) {
        ctx->Deferred = DmaStatus;
        ctx->HasDeferred = true;
    } else {
        ctx->DmaBusy++;
    }
    WdfSpinLockRelease(ctx->Lock);
    if (!handOver)
        HandleTransfer(ctx, DmaStatus);
    WdfObjectDereference(request);
}

static VOID FixedEvtTimer(WDFTIMER Timer)
{
    PFIXED_REQUEST_CONTEXT ctx = FixedGetRequestContext(WdfTimerGetParentObject(Timer));

    WdfSpinLockAcquire(ctx->Lock);
    ctx->TimerFired = true;
    ctx->TimerQueued = false;
    WdfSpinLockRelease(ctx->Lock);
    RequestStop(ctx, STATUS_IO_TIMEOUT);
    DropReference(ctx);
}

static VOID FixedEvtRequestCancel(WDFREQUEST Request)
{
    PFIXED_REQUEST_CONTEXT ctx = FixedGetRequestContext(Request);

    WdfSpinLockAcquire(ctx->Lock);
    ctx->Cancelable = false; /* nobody unmarks it now */
#if FIXED_LIFETIME
    if (FixedLifetimeVariant == FIXED_LIFETIME_CANCEL_STOPS_UNCHECKED) {
        /* BUG (busted-lifetime-purge-cancel): the published protocol's cancel
         * path: the first to record a reason stops the transfer, whatever the
         * DMA path is doing. "A cancel only comes from the user, and then
         * the transfer is surely running": at removal KMDF's purge cancels
         * every cancelable request the driver owns, at any point of the DMA
         * path (fxioqueue.cpp FxIoQueue::StopProcessingForPower, QueuePurge). */
        bool first = ctx->StopReason == STATUS_SUCCESS;
        if (first)
            ctx->StopReason = STATUS_CANCELLED;
        WdfSpinLockRelease(ctx->Lock);
        if (first)
            WdfDmaTransactionStopSystemTransfer(ctx->DmaTransaction);
        DropReference(ctx);
        return;
    }
#endif
    WdfSpinLockRelease(ctx->Lock);
    RequestStop(ctx, STATUS_CANCELLED);
    DropReference(ctx);
}

static BOOLEAN FixedEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                  WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    return TRUE;
}

static VOID FixedEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PFIXED_REQUEST_CONTEXT ctx = FixedGetRequestContext(Request);
    PFIXED_DEVICE_CONTEXT devCtx = FixedGetDeviceContext(WdfIoQueueGetDevice(Queue));
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_TIMER_CONFIG timerConfig;
    NTSTATUS status;
    bool dmaDone, unmarkNow, stopTimerNow;
#if FIXED_LIFETIME
    bool stopAsked;
#endif

    UNREFERENCED_PARAMETER(Length);

    ctx->Request = Request;
    ctx->Lock = devCtx->Lock;
#if FIXED_LIFETIME
    ctx->DevCtx = devCtx;
#endif
    ctx->References = 2; /* this handler, and the DMA path */
    ctx->CompletionStatus = STATUS_SUCCESS;

    status = WdfDmaTransactionCreate(devCtx->DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES, &ctx->DmaTransaction);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    WDF_TIMER_CONFIG_INIT(&timerConfig, FixedEvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Request;
    status = WdfTimerCreate(&timerConfig, &attributes, &ctx->Timer);
    if (!NT_SUCCESS(status)) {
        ctx->Timer = NULL;
        WdfRequestComplete(Request, status);
        return;
    }
    status = WdfDmaTransactionInitializeUsingRequest(ctx->DmaTransaction, Request, FixedEvtProgramDma,
                                                     WdfDmaDirectionReadFromDevice);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(ctx->Timer);
        ctx->Timer = NULL;
        WdfRequestComplete(Request, status);
        return;
    }
    WdfDmaTransactionSetTransferCompleteCallback(ctx->DmaTransaction, FixedEvtTransferComplete, ctx);

#if FIXED_LIFETIME
    WdfSpinLockAcquire(ctx->Lock);
    devCtx->InFlight++; /* before Execute: D0Exit must never miss a transfer */
    WdfSpinLockRelease(ctx->Lock);
#endif
    status = WdfDmaTransactionExecute(ctx->DmaTransaction, ctx);
    if (!NT_SUCCESS(status)) {
        /* No DMA path will run: this handler finishes for it. */
        WdfDmaTransactionRelease(ctx->DmaTransaction);
#if FIXED_LIFETIME
        WdfObjectDelete(ctx->DmaTransaction);
#endif
        WdfSpinLockAcquire(ctx->Lock);
        ctx->DmaDone = true;
        ctx->CompletionStatus = status;
#if FIXED_LIFETIME
        devCtx->InFlight--;
#endif
        WdfSpinLockRelease(ctx->Lock);
        DropReference(ctx); /* the DMA reference */
        DropReference(ctx); /* this handler's */
        return;
    }
#if FIXED_LIFETIME
    /* From here a stop is legal. An EvtIoStop that came before this point
     * left StopAsked: the stop is this handler's to ask for. */
    WdfSpinLockAcquire(ctx->Lock);
    ctx->Executed = true;
    stopAsked = ctx->StopAsked;
    WdfSpinLockRelease(ctx->Lock);
    if (stopAsked)
        RequestStop(ctx, STATUS_CANCELLED);
#endif

    /* Cancellation: counted before it can run. */
    InterlockedIncrement(&ctx->References);
    status = WdfRequestMarkCancelableEx(Request, FixedEvtRequestCancel);
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
    WdfTimerStart(ctx->Timer, WDF_REL_TIMEOUT_IN_SEC(FIXED_TIMEOUT_SECONDS));
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

#if FIXED_LIFETIME
/* EvtIoStop: the framework asks about a request the driver owns, before a
 * power-down (Suspend) or at removal (Purge). KMDF holds a reference on the
 * request across the call and may call it while EvtIoRead still runs on
 * another processor, or while the DMA path completes the request
 * (fxioqueue.cpp FxIoQueue::ProcessPowerEvents: "Driver could be calling
 * RequestComplete as we attempt to stop"). It is not called for a request
 * already cancelled (m_Canceled); a purge cancels the cancelable ones first
 * (FxIoQueue::StopProcessingForPower, QueuePurge). The answer is always the
 * completion: the transfer is stopped as a cancel would stop it, and the DMA
 * path completes the request with STATUS_CANCELLED (or with what the transfer
 * reported, if it finished first). Nothing is acknowledged, so the request
 * never outlives the power-down or the removal, and the device is never
 * touched after EvtDeviceD0Exit. */
static VOID FixedEvtIoStop(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags)
{
    PFIXED_REQUEST_CONTEXT ctx = FixedGetRequestContext(Request);
    PFIXED_DEVICE_CONTEXT devCtx = FixedGetDeviceContext(WdfIoQueueGetDevice(Queue));
    bool stop;

    /* The device's lock: ctx->Lock may not be set yet (EvtIoRead may not
     * have reached its first line). */
    WdfSpinLockAcquire(devCtx->Lock);
    stop = ctx->Executed;
    if (!stop)
        ctx->StopAsked = true; /* before Execute returned: the handler stops */
    WdfSpinLockRelease(devCtx->Lock);
    if (stop && (FixedLifetimeVariant == FIXED_LIFETIME_ACK_IN_FLIGHT ||
                 FixedLifetimeVariant == FIXED_LIFETIME_CANCEL_STOPS_UNCHECKED) &&
        (ActionFlags & WdfRequestStopActionSuspend)) {
        /* BUG (busted-lifetime-ack-in-flight): "the transfer finishes on its
         * own: keep the request across the power-down". Acknowledged without
         * requeue, the request stays the driver's while KMDF goes on to
         * EvtDeviceD0Exit, and its DMA path reads the status register of a
         * device in D3. Variant f (busted-lifetime-purge-cancel) does the
         * same and leaves the read cancelable: the removal's purge cancels it
         * (fxioqueue.cpp QueuePurge, CancelDriverRequests). */
        WdfRequestStopAcknowledge(Request, FALSE);
        return;
    }
    if (stop)
        RequestStop(ctx, STATUS_CANCELLED); /* no-op once the DMA path is done */
}

/* A status query: no DMA, completed at once with the counters. */
static VOID FixedEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
                                    size_t InputBufferLength, ULONG IoControlCode)
{
    PFIXED_DEVICE_CONTEXT devCtx = FixedGetDeviceContext(WdfIoQueueGetDevice(Queue));
    PFIXED_STATS stats;
    FIXED_STATS snapshot;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);

    if (IoControlCode != IOCTL_FIXED_GET_STATS) {
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
        return;
    }
    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(FIXED_STATS), (PVOID *)&stats, NULL);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    WdfSpinLockAcquire(devCtx->Lock);
    snapshot.Completed = devCtx->Completed;
    snapshot.InFlight = (ULONG)devCtx->InFlight;
    snapshot.PowerUps = devCtx->PowerUps;
    WdfSpinLockRelease(devCtx->Lock);
    if (FixedLifetimeVariant == FIXED_LIFETIME_IOCTL_WRITE_AFTER_COMPLETE) {
        /* BUG (busted-lifetime-ioctl-after-complete): the output is written
         * after the completion, "the information already says how many bytes
         * there will be". The completion hands the system buffer back to the
         * I/O manager, which copies it out and frees it. */
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(FIXED_STATS));
        stats->Completed = snapshot.Completed;
        stats->InFlight = snapshot.InFlight;
        stats->PowerUps = snapshot.PowerUps;
        return;
    }
    *stats = snapshot; /* before the completion: the buffer is the I/O manager's after it */
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(FIXED_STATS));
}

static NTSTATUS FixedEvtD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    PFIXED_DEVICE_CONTEXT devCtx = FixedGetDeviceContext(Device);

    UNREFERENCED_PARAMETER(PreviousState);
    WdfSpinLockAcquire(devCtx->Lock);
    devCtx->PoweredOn = true;
    devCtx->PowerUps++;
    WdfSpinLockRelease(devCtx->Lock);
    return STATUS_SUCCESS;
}

/* The hardware is quiet: every power-managed request was completed before
 * KMDF calls this (the queue's power stop waits for them), so no transfer
 * is in flight (InFlight is 0) and no DMA path will run until the next
 * D0Entry. The model checks it: a register access in D3 is its finding
 * (busted-lifetime-ack-in-flight shows one). */
static NTSTATUS FixedEvtD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    PFIXED_DEVICE_CONTEXT devCtx = FixedGetDeviceContext(Device);

    UNREFERENCED_PARAMETER(TargetState);
    WdfSpinLockAcquire(devCtx->Lock);
    devCtx->PoweredOn = false;
    WdfSpinLockRelease(devCtx->Lock);
    return STATUS_SUCCESS;
}

/* Undo PrepareHardware: the register mapping. The DMA enabler is the
 * device's child and goes with it. */
static NTSTATUS FixedEvtReleaseHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated)
{
    PFIXED_DEVICE_CONTEXT devCtx = FixedGetDeviceContext(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);
    if (devCtx->Registers != NULL) {
        MmUnmapIoSpace((PVOID)devCtx->Registers, devCtx->RegistersLength);
        devCtx->Registers = NULL;
    }
    return STATUS_SUCCESS;
}
#endif

static NTSTATUS FixedEvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    PFIXED_DEVICE_CONTEXT devCtx = FixedGetDeviceContext(Device);
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
        if (desc->Type == CmResourceTypeMemory) {
            registers = desc->u.Memory.Start;
#if FIXED_LIFETIME
            if (devCtx->Registers == NULL && desc->u.Memory.Length >= FIXED_REGISTERS_LENGTH) {
                devCtx->Registers = (volatile ULONG *)MmMapIoSpace(registers, FIXED_REGISTERS_LENGTH, MmNonCached);
                if (devCtx->Registers == NULL)
                    return STATUS_INSUFFICIENT_RESOURCES;
                devCtx->RegistersLength = FIXED_REGISTERS_LENGTH;
            }
#endif
        }
        else if (desc->Type == CmResourceTypeDma)
            dmaDesc = desc;
    }
    if (dmaDesc == NULL)
        return STATUS_DEVICE_NOT_READY;
#if FIXED_LIFETIME
    if (devCtx->Registers == NULL)
        return STATUS_DEVICE_NOT_READY;
#endif

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Device;
    status = WdfSpinLockCreate(&attributes, &devCtx->Lock);
    if (!NT_SUCCESS(status))
        return status;

    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileSystem, FIXED_MAX_LENGTH);
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES, &devCtx->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;
    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&systemConfig, registers, Width32Bits, dmaDesc);
    return WdfDmaEnablerConfigureSystemProfile(devCtx->DmaEnabler, &systemConfig, WdfDmaDirectionReadFromDevice);
}

static NTSTATUS FixedEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = FixedEvtPrepareHardware;
#if FIXED_LIFETIME
    pnp.EvtDeviceReleaseHardware = FixedEvtReleaseHardware;
    pnp.EvtDeviceD0Entry = FixedEvtD0Entry;
    pnp.EvtDeviceD0Exit = FixedEvtD0Exit;
#endif
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, FIXED_REQUEST_CONTEXT);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attributes);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, FIXED_DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoRead = FixedEvtIoRead;
#if FIXED_LIFETIME
    queueConfig.EvtIoStop = FixedEvtIoStop;
    queueConfig.EvtIoDeviceControl = FixedEvtIoDeviceControl;
#endif
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}

NTSTATUS FIXED_ENTRY(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, FixedEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
