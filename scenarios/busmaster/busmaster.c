/* busmaster.c: a KMDF bus-master DMA driver for the model's generic DMA
 * device, in the shape of Microsoft's PCI DMA sample (PLX9x5x): a read queue
 * and a write queue (sequential), one scatter/gather-64 duplex DMA enabler,
 * one transaction per channel reused for each request, a common buffer per
 * channel holding the descriptor table, an ISR that reads and acknowledges
 * the device's interrupt status under the interrupt lock and queues the DPC,
 * and a DPC that calls WdfDmaTransactionDmaCompleted* and completes the
 * requests. Unlike the sample it supports cancellation and a timeout: both
 * only ask for the channel to stop (ABORT under the interrupt lock); the DPC
 * alone ends the transaction, and of the four paths that hold a request
 * (I/O handler, DPC, cancel routine, timer) the last one out completes it.
 * Plain KMDF driver code: only ntddk.h and wdf.h (busmaster.h).
 *
 * Why it is correct:
 *  - What the ISR shares with the other paths (the channel's Events,
 *    BytesDone and Running, and the device's registers), and the state kept
 *    beside it (AbortWanted, NotStarted, InDpc), are touched only under the
 *    interrupt lock (WdfInterruptAcquireLock elsewhere; the ISR runs with it
 *    held).
 *  - The ISR acknowledges exactly the bits it takes (write 1 to clear), so
 *    the level-sensitive line drops; it returns FALSE when none of its bits
 *    is set (a shared line or a spurious interrupt).
 *  - Stages of one transaction never overlap: one DPC instance at a time
 *    works on a channel (InDpc); another instance, on another processor,
 *    leaves the channel's events to it.
 *  - An abort can come at any point of a multi-stage transfer: while a stage
 *    runs (ABORT; the device ends the run with DONE|ERROR), between stages
 *    (the DPC sees AbortWanted and ends the transaction with
 *    DmaCompletedFinal) or while the DPC programs the next stage
 *    (EvtProgramDma sees AbortWanted, starts nothing and queues the DPC,
 *    which ends the transaction with DmaCompletedFinal(0)).
 *  - The request is marked cancelable and the timer started after Execute;
 *    each holds a counted reference, taken before it can run, and the DMA
 *    path unmarks / stops them when it finishes (as scenarios/fixed does).
 *    The transaction is released before the request is completed.
 *
 * The busted variants (BmVariant, busmaster.h) each add one bug; the comment
 * at each `if (BmVariant == ...)` says what it is and why an author might
 * write it (docs/busted.md). */
#include "busmaster.h"

BM_VARIANT BmVariant;

static EVT_WDF_DRIVER_DEVICE_ADD BmEvtDeviceAdd;
static EVT_WDF_DEVICE_PREPARE_HARDWARE BmEvtPrepareHardware;
static EVT_WDF_DEVICE_RELEASE_HARDWARE BmEvtReleaseHardware;
static EVT_WDF_IO_QUEUE_IO_READ BmEvtIoRead;
static EVT_WDF_IO_QUEUE_IO_WRITE BmEvtIoWrite;
static EVT_WDF_PROGRAM_DMA BmEvtProgramDma;
static EVT_WDF_INTERRUPT_ISR BmEvtInterruptIsr;
static EVT_WDF_INTERRUPT_DPC BmEvtInterruptDpc;
static EVT_WDF_INTERRUPT_ENABLE BmEvtInterruptEnable;
static EVT_WDF_INTERRUPT_DISABLE BmEvtInterruptDisable;
static EVT_WDF_REQUEST_CANCEL BmEvtRequestCancel;
static EVT_WDF_TIMER BmEvtTimer;
static EVT_WDF_WORKITEM BmEvtWorkItem;

/* ---- registers --------------------------------------------------------------------------- */

static ULONG BmRead(PBM_DEVICE_CONTEXT dev, volatile ULONG *reg)
{
    UNREFERENCED_PARAMETER(dev);
    return READ_REGISTER_ULONG(reg);
}

static VOID BmWrite(PBM_DEVICE_CONTEXT dev, volatile ULONG *reg, ULONG value)
{
    UNREFERENCED_PARAMETER(dev);
    WRITE_REGISTER_ULONG(reg, value);
}

/* ---- completion: the last reference out completes ---------------------------------------- */

static VOID BmDropReference(PBM_CHANNEL ch)
{
    WDFREQUEST request;
    NTSTATUS status;
    size_t information;

    if (InterlockedDecrement(&ch->References) != 0)
        return;
    WdfSpinLockAcquire(ch->Lock);
    request = ch->Request;
    status = ch->CompletionStatus;
    information = ch->Information;
    ch->Request = NULL;
    WdfSpinLockRelease(ch->Lock);
    WdfRequestCompleteWithInformation(request, status, information);
}

/* Cancel and timeout: record why, and stop the channel if its transfer is not
 * finished. The DMA path ends the transaction. */
static VOID BmRequestStop(PBM_CHANNEL ch, NTSTATUS reason)
{
    PBM_DEVICE_CONTEXT dev = ch->Device;
    BOOLEAN go;

    WdfSpinLockAcquire(ch->Lock);
    if (ch->StopReason == STATUS_SUCCESS)
        ch->StopReason = reason;
    go = !ch->DmaDone;
    WdfSpinLockRelease(ch->Lock);
    if (!go)
        return;

    WdfInterruptAcquireLock(dev->Interrupt);
    ch->AbortWanted = TRUE;
    if (ch->Running)
        BmWrite(dev, &dev->Registers->Channel[ch->Index].Control, BM_CONTROL_ABORT);
    WdfInterruptReleaseLock(dev->Interrupt);
}

static NTSTATUS BmFinalStatus(PBM_CHANNEL ch, BOOLEAN error, NTSTATUS txStatus, size_t bytes, NTSTATUS stopReason)
{
    if (!error && NT_SUCCESS(txStatus) && bytes == ch->Length)
        return STATUS_SUCCESS;
    if (stopReason != STATUS_SUCCESS)
        return stopReason;
    if (error)
        return STATUS_DEVICE_DATA_ERROR;
    if (!NT_SUCCESS(txStatus))
        return txStatus;
    return STATUS_SUCCESS; /* a short transfer: the device had fewer bytes */
}

/* ---- the DMA path (the DPC) -------------------------------------------------------------- */

/* One stage of the channel's transaction ended (or was never started). */
static VOID BmStageDone(PBM_CHANNEL ch, ULONG events, ULONG bytesDone, BOOLEAN notStarted, BOOLEAN abortWanted)
{
    PBM_DEVICE_CONTEXT dev = ch->Device;
    WDFDMATRANSACTION tx = ch->Transaction;
    BOOLEAN error = (events & BM_INT_CH_ERROR(ch->Index)) != 0;
    BOOLEAN final, cancelable, timerQueued;
    NTSTATUS txStatus = STATUS_SUCCESS;
    WDFREQUEST request;
    size_t bytes;

    if (BmVariant == BM_CANCEL_COMPLETES) {
        /* BM_CANCEL_COMPLETES, second half: the DPC looks at the request it
         * believes current, which the cancel routine may have completed. */
        WDF_REQUEST_PARAMETERS params;
        WDF_REQUEST_PARAMETERS_INIT(&params);
        WdfRequestGetParameters(ch->Request, &params);
    }

    if (notStarted)
        final = WdfDmaTransactionDmaCompletedFinal(tx, 0, &txStatus);
    else if (error || abortWanted || bytesDone < ch->StageLength)
        final = WdfDmaTransactionDmaCompletedFinal(tx, bytesDone, &txStatus);
    else
        final = WdfDmaTransactionDmaCompleted(tx, &txStatus); /* may program the next stage */
    if (!final)
        return;

    bytes = WdfDmaTransactionGetBytesTransferred(tx);
    WdfDmaTransactionRelease(tx);

    if (BmVariant == BM_WAITLOCK_AT_DISPATCH) {
        /* BM_WAITLOCK_AT_DISPATCH. The bug: the statistics are guarded by a
         * wait lock, taken here in the DPC at DISPATCH_LEVEL. Why: the lock
         * was added for a PASSIVE_LEVEL statistics IOCTL, where a wait lock
         * is the natural choice, and then reused in the DPC. */
        WdfWaitLockAcquire(dev->StatisticsLock, NULL);
        dev->TransfersCompleted++;
        WdfWaitLockRelease(dev->StatisticsLock);
    } else {
        InterlockedIncrement(&dev->TransfersCompleted);
    }

    WdfSpinLockAcquire(ch->Lock);
    ch->DmaDone = TRUE;
    ch->CompletionStatus = BmFinalStatus(ch, error || notStarted, txStatus, bytes, ch->StopReason);
    ch->Information = bytes;
    cancelable = ch->Cancelable;
    ch->Cancelable = FALSE;
    timerQueued = ch->TimerQueued;
    ch->TimerQueued = FALSE;
    request = ch->Request;
    WdfSpinLockRelease(ch->Lock);

    if (cancelable && WdfRequestUnmarkCancelable(request) == STATUS_SUCCESS)
        BmDropReference(ch); /* the cancel reference: EvtRequestCancel will not run */
    if (timerQueued && WdfTimerStop(ch->Timer, FALSE) == TRUE)
        BmDropReference(ch); /* the timer reference: it will not fire */
    BmDropReference(ch);     /* the DMA path's */

    if (BmVariant == BM_WORKITEM_OUTLIVES) {
        /* BM_WORKITEM_OUTLIVES. The bug: a work item logs the finished
         * request at PASSIVE_LEVEL (its parameters, for a trace), holding its
         * handle; the request was completed above, or is completed by the
         * cancel routine or the timer meanwhile. Why: "the work item only
         * reads it". */
        dev->LoggedRequest = request;
        WdfWorkItemEnqueue(dev->WorkItem);
    }
    if (BmVariant == BM_TABLE_AFTER_DELETE && (error || notStarted)) {
        /* BM_TABLE_AFTER_DELETE, first half: after a failed transfer the
         * channel's descriptor table is replaced, by a work item since
         * common buffers are created at PASSIVE_LEVEL. */
        dev->ResetChannel = ch->Index;
        WdfWorkItemEnqueue(dev->WorkItem);
    }
}

/* The channel's part of the DPC: take the ISR's events under the interrupt
 * lock and finish the stages, one DPC instance at a time. */
static VOID BmChannelDpc(PBM_DEVICE_CONTEXT dev, PBM_CHANNEL ch)
{
    ULONG events, bytesDone;
    BOOLEAN notStarted, abortWanted;

    if (BmVariant == BM_ISR_STATE_UNLOCKED) {
        /* BM_ISR_STATE_UNLOCKED. The bug: the events the ISR left are taken
         * without the interrupt lock ("a ULONG read is atomic"): the ISR can
         * add a bit between the read and the clear (a data race; the bit is
         * lost and its request never completes). */
        for (;;) {
            events = ch->Events;
            ch->Events = 0;
            if (events == 0)
                return;
            WdfInterruptAcquireLock(dev->Interrupt);
            bytesDone = ch->BytesDone;
            notStarted = ch->NotStarted;
            ch->NotStarted = FALSE;
            abortWanted = ch->AbortWanted;
            WdfInterruptReleaseLock(dev->Interrupt);
            BmStageDone(ch, events, bytesDone, notStarted, abortWanted);
        }
    }

    WdfInterruptAcquireLock(dev->Interrupt);
    if (ch->InDpc) {
        WdfInterruptReleaseLock(dev->Interrupt); /* the instance working on it takes these too */
        return;
    }
    ch->InDpc = TRUE;
    for (;;) {
        events = ch->Events;
        notStarted = ch->NotStarted;
        if (events == 0 && !notStarted)
            break;
        bytesDone = ch->BytesDone;
        abortWanted = ch->AbortWanted;
        ch->Events = 0;
        ch->NotStarted = FALSE;
        WdfInterruptReleaseLock(dev->Interrupt);

        BmStageDone(ch, events, bytesDone, notStarted, abortWanted);

        WdfInterruptAcquireLock(dev->Interrupt);
    }
    ch->InDpc = FALSE;
    WdfInterruptReleaseLock(dev->Interrupt);
}

static VOID BmEvtInterruptDpc(WDFINTERRUPT Interrupt, WDFOBJECT AssociatedObject)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(WdfInterruptGetDevice(Interrupt));
    ULONG c;

    UNREFERENCED_PARAMETER(AssociatedObject);
    if (BmVariant == BM_ISR_NO_ACK) {
        /* BM_ISR_NO_ACK, second half: what the ISR should have done. */
        ULONG status;
        WdfInterruptAcquireLock(Interrupt);
        status = BmRead(dev, &dev->Registers->IntStatus) & BM_INT_ALL;
        BmWrite(dev, &dev->Registers->IntStatus, status);
        for (c = 0; c < BM_CHANNELS; c++) {
            if ((status & BM_INT_CH_ALL(c)) != 0) {
                dev->Channel[c].Events |= status & BM_INT_CH_ALL(c);
                dev->Channel[c].BytesDone = BmRead(dev, &dev->Registers->Channel[c].BytesDone);
                dev->Channel[c].Running = FALSE;
            }
        }
        WdfInterruptReleaseLock(Interrupt);
    }
    for (c = 0; c < BM_CHANNELS; c++)
        BmChannelDpc(dev, &dev->Channel[c]);
}

/* ---- the ISR ----------------------------------------------------------------------------- */

/* At DIRQL with the interrupt lock held. */
static BOOLEAN BmEvtInterruptIsr(WDFINTERRUPT Interrupt, ULONG MessageID)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(WdfInterruptGetDevice(Interrupt));
    ULONG status, c;

    UNREFERENCED_PARAMETER(MessageID);

    status = BmRead(dev, &dev->Registers->IntStatus) & BM_INT_ALL;
    if (status == 0)
        return FALSE; /* not our device: a shared line, or a spurious interrupt */

    if (BmVariant == BM_ISR_NO_ACK) {
        /* BM_ISR_NO_ACK. The bug: the ISR leaves the status to the DPC
         * ("keep the ISR short: the DPC reads and clears INT_STATUS"). The
         * line is level-sensitive: it stays asserted until INT_STATUS is
         * cleared, so the ISR runs again as soon as it returns, on the
         * processor where the DPC waits: an interrupt storm. */
        WdfInterruptQueueDpcForIsr(Interrupt);
        return TRUE;
    }
    BmWrite(dev, &dev->Registers->IntStatus, status); /* acknowledge: write 1 to clear */

    for (c = 0; c < BM_CHANNELS; c++) {
        PBM_CHANNEL ch = &dev->Channel[c];
        ULONG bits = status & BM_INT_CH_ALL(c);
        if (bits == 0)
            continue;
        ch->Events |= bits;
        ch->BytesDone = BmRead(dev, &dev->Registers->Channel[c].BytesDone);
        ch->Running = FALSE;

        if (BmVariant == BM_DMA_COMPLETED_IN_ISR && (bits & BM_INT_CH_ERROR(c)) == 0 && !ch->AbortWanted) {
            /* BM_DMA_COMPLETED_IN_ISR. The bug: the ISR reports the stage to
             * the framework itself, to program the next stage without
             * waiting for the DPC; WdfDmaTransactionDmaCompleted is for
             * IRQL <= DISPATCH_LEVEL, and the ISR runs at DIRQL. */
            NTSTATUS txStatus;
            ch->Events &= ~bits;
            if (WdfDmaTransactionDmaCompleted(ch->Transaction, &txStatus))
                ch->Events |= bits; /* the DPC finishes the request */
        }
        if (BmVariant == BM_COMPLETE_IN_ISR && (bits & BM_INT_CH_ERROR(c)) != 0 && ch->Request != NULL) {
            /* BM_COMPLETE_IN_ISR. The bug: an error interrupt (a DMA error,
             * or the end of an abort) fails the request at once, from the
             * ISR: "nothing left to do for it, why wait for the DPC".
             * WdfRequestComplete is for IRQL <= DISPATCH_LEVEL. */
            WdfRequestComplete(ch->Request, STATUS_DEVICE_DATA_ERROR);
        }
    }

    WdfInterruptQueueDpcForIsr(Interrupt);
    return TRUE;
}

/* At DIRQL with the interrupt lock held, once the interrupt is connected. */
static NTSTATUS BmEvtInterruptEnable(WDFINTERRUPT Interrupt, WDFDEVICE AssociatedDevice)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(AssociatedDevice);

    UNREFERENCED_PARAMETER(Interrupt);
    BmWrite(dev, &dev->Registers->IntEnable, BM_INT_ALL);
    return STATUS_SUCCESS;
}

static NTSTATUS BmEvtInterruptDisable(WDFINTERRUPT Interrupt, WDFDEVICE AssociatedDevice)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(AssociatedDevice);

    UNREFERENCED_PARAMETER(Interrupt);
    BmWrite(dev, &dev->Registers->IntEnable, 0);
    return STATUS_SUCCESS;
}

/* ---- programming a stage ----------------------------------------------------------------- */

/* Write the stage's descriptors into the channel's table and start the
 * channel, unless an abort is wanted: then start nothing and let the DPC end
 * the transaction. Called inside Execute (the first stage) and inside
 * DmaCompleted (the next ones: FxDmaTransactionBase::DmaCompleted calls
 * StageTransfer, fxdmatransactionbase.cpp), at <= DISPATCH_LEVEL. Queuing
 * the DPC from here is allowed: WdfInterruptQueueDpcForIsr has no IRQL or
 * caller check (fxinterruptapi.cpp; FxInterrupt::QueueDpcForIsr,
 * km/interruptobjectkm.cpp, is KeInsertQueueDpc). */
static BOOLEAN BmEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                               WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    PBM_CHANNEL ch = (PBM_CHANNEL)Context;
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(Device);
    volatile BM_CHANNEL_REGISTERS *regs = &dev->Registers->Channel[ch->Index];
    PBM_DESCRIPTOR table = ch->Descriptors;
    PHYSICAL_ADDRESS tableLogical = ch->DescriptorsLogical;
    size_t length = 0;
    ULONG i;

    UNREFERENCED_PARAMETER(Transaction);

    if (SgList->NumberOfElements == 0 || SgList->NumberOfElements > BM_MAX_DESCRIPTORS)
        return FALSE; /* cannot happen: the enabler's element limit is the table's size */
    for (i = 0; i < SgList->NumberOfElements; i++) {
        table[i].Address = (ULONG64)SgList->Elements[i].Address.QuadPart;
        table[i].Length = SgList->Elements[i].Length;
        table[i].Reserved = 0;
        length += SgList->Elements[i].Length;
    }
    ch->StageLength = length;

    WdfInterruptAcquireLock(dev->Interrupt);
    if (ch->AbortWanted) {
        ch->NotStarted = TRUE;
        WdfInterruptReleaseLock(dev->Interrupt);
        WdfInterruptQueueDpcForIsr(dev->Interrupt);
        return TRUE;
    }
    BmWrite(dev, &regs->DescLow, tableLogical.LowPart);
    BmWrite(dev, &regs->DescHigh, (ULONG)tableLogical.HighPart);
    BmWrite(dev, &regs->DescCount, SgList->NumberOfElements);
    BmWrite(dev, &regs->Direction,
            Direction == WdfDmaDirectionReadFromDevice ? BM_DIRECTION_TO_MEMORY : BM_DIRECTION_FROM_MEMORY);
    ch->Running = TRUE;
    BmWrite(dev, &regs->Control, BM_CONTROL_START);
    WdfInterruptReleaseLock(dev->Interrupt);
    return TRUE;
}

/* ---- cancel and timeout ------------------------------------------------------------------ */

/* Reads go to channel 0, writes to channel 1. */
static PBM_CHANNEL BmChannelOfRequest(WDFREQUEST Request)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(WdfIoQueueGetDevice(WdfRequestGetIoQueue(Request)));
    WDF_REQUEST_PARAMETERS params;

    WDF_REQUEST_PARAMETERS_INIT(&params);
    WdfRequestGetParameters(Request, &params);
    return &dev->Channel[params.Type == WdfRequestTypeWrite ? BM_WRITE_CHANNEL : BM_READ_CHANNEL];
}

static VOID BmEvtRequestCancel(WDFREQUEST Request)
{
    PBM_CHANNEL ch = BmChannelOfRequest(Request);

    if (BmVariant == BM_CANCEL_COMPLETES) {
        /* BM_CANCEL_COMPLETES. The bug: the cancel routine does it all, the
         * way a system-DMA driver's might: it aborts the channel, ends the
         * transaction and completes the request as cancelled, without the
         * references. The abort's own interrupt still comes, and the DPC
         * then works on the request the cancel routine completed. */
        PBM_DEVICE_CONTEXT dev = ch->Device;
        NTSTATUS txStatus;
        WdfInterruptAcquireLock(dev->Interrupt);
        if (ch->Running)
            BmWrite(dev, &dev->Registers->Channel[ch->Index].Control, BM_CONTROL_ABORT);
        WdfInterruptReleaseLock(dev->Interrupt);
        (void)WdfDmaTransactionDmaCompletedFinal(ch->Transaction, 0, &txStatus);
        WdfDmaTransactionRelease(ch->Transaction);
        WdfRequestComplete(Request, STATUS_CANCELLED);
        return;
    }

    WdfSpinLockAcquire(ch->Lock);
    ch->Cancelable = FALSE; /* nobody unmarks it now */
    WdfSpinLockRelease(ch->Lock);
    BmRequestStop(ch, STATUS_CANCELLED);
    BmDropReference(ch);
}

static VOID BmEvtTimer(WDFTIMER Timer)
{
    PBM_CHANNEL ch = BmGetChannelLink(Timer)->Channel;

    WdfSpinLockAcquire(ch->Lock);
    ch->TimerFired = TRUE;
    ch->TimerQueued = FALSE;
    WdfSpinLockRelease(ch->Lock);
    BmRequestStop(ch, STATUS_IO_TIMEOUT);
    BmDropReference(ch);
}

/* Only the busted variants queue the work item. */
static VOID BmEvtWorkItem(WDFWORKITEM WorkItem)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(WdfWorkItemGetParentObject(WorkItem));

    if (BmVariant == BM_WORKITEM_OUTLIVES) {
        /* BM_WORKITEM_OUTLIVES, second half: the completed request's parameters. */
        WDF_REQUEST_PARAMETERS params;
        WDF_REQUEST_PARAMETERS_INIT(&params);
        WdfRequestGetParameters(dev->LoggedRequest, &params);
    }
    if (BmVariant == BM_TABLE_AFTER_DELETE) {
        /* BM_TABLE_AFTER_DELETE, second half. The bug: the old table is
         * deleted and a new one created while the channel's next request may
         * already be in EvtProgramDma, writing descriptors through the old
         * table's address it read. Why: "the channel is idle after an error";
         * it is idle only until the queue presents the next request. */
        PBM_CHANNEL ch = &dev->Channel[dev->ResetChannel];
        WDFCOMMONBUFFER fresh;
        WdfObjectDelete(ch->DescriptorBuffer);
        if (NT_SUCCESS(WdfCommonBufferCreate(dev->DmaEnabler, BM_DESCRIPTOR_TABLE_BYTES, WDF_NO_OBJECT_ATTRIBUTES,
                                             &fresh))) {
            ch->DescriptorBuffer = fresh;
            ch->Descriptors = (PBM_DESCRIPTOR)WdfCommonBufferGetAlignedVirtualAddress(fresh);
            ch->DescriptorsLogical = WdfCommonBufferGetAlignedLogicalAddress(fresh);
        }
    }
}

/* ---- the I/O handlers -------------------------------------------------------------------- */

static VOID BmStartRequest(PBM_CHANNEL ch, WDFREQUEST Request, size_t Length)
{
    PBM_DEVICE_CONTEXT dev = ch->Device;
    NTSTATUS status;
    BOOLEAN unmarkNow, stopTimerNow;

    /* The previous request's paths have all let go of the channel: its
     * completion is what let the sequential queue present this one. */
    WdfSpinLockAcquire(ch->Lock);
    ch->Request = Request;
    ch->Length = Length;
    ch->References = 2; /* this handler, and the DMA path */
    ch->Cancelable = FALSE;
    ch->TimerQueued = FALSE;
    ch->TimerFired = FALSE;
    ch->DmaDone = FALSE;
    ch->StopReason = STATUS_SUCCESS;
    ch->CompletionStatus = STATUS_SUCCESS;
    ch->Information = 0;
    WdfSpinLockRelease(ch->Lock);

    WdfInterruptAcquireLock(dev->Interrupt);
    ch->AbortWanted = FALSE;
    ch->NotStarted = FALSE;
    WdfInterruptReleaseLock(dev->Interrupt);

    status = WdfDmaTransactionInitializeUsingRequest(ch->Transaction, Request, BmEvtProgramDma, ch->Direction);
    if (!NT_SUCCESS(status)) {
        WdfSpinLockAcquire(ch->Lock);
        ch->Request = NULL;
        WdfSpinLockRelease(ch->Lock);
        WdfRequestComplete(Request, status);
        return;
    }

    status = WdfDmaTransactionExecute(ch->Transaction, ch);
    if (!NT_SUCCESS(status)) {
        /* No stage was started: no DPC will come for this request. */
        WdfDmaTransactionRelease(ch->Transaction);
        WdfSpinLockAcquire(ch->Lock);
        ch->DmaDone = TRUE;
        ch->CompletionStatus = status;
        WdfSpinLockRelease(ch->Lock);
        BmDropReference(ch); /* the DMA path's */
        BmDropReference(ch); /* this handler's */
        return;
    }

    /* Cancellation: counted before it can run. */
    InterlockedIncrement(&ch->References);
    status = WdfRequestMarkCancelableEx(Request, BmEvtRequestCancel);
    if (status == STATUS_CANCELLED) {
        BmRequestStop(ch, STATUS_CANCELLED);
        BmDropReference(ch); /* EvtRequestCancel will not run */
    } else {
        WdfSpinLockAcquire(ch->Lock);
        unmarkNow = ch->DmaDone; /* the DMA path finished before the mark: unmark here */
        ch->Cancelable = !unmarkNow;
        WdfSpinLockRelease(ch->Lock);
        if (unmarkNow && WdfRequestUnmarkCancelable(Request) == STATUS_SUCCESS)
            BmDropReference(ch);
    }

    /* Timeout: counted before the timer can fire. */
    InterlockedIncrement(&ch->References);
    WdfTimerStart(ch->Timer, WDF_REL_TIMEOUT_IN_MS(BM_TIMEOUT_MS));
    WdfSpinLockAcquire(ch->Lock);
    if (!ch->TimerFired)
        ch->TimerQueued = TRUE;
    stopTimerNow = ch->DmaDone && ch->TimerQueued;
    if (stopTimerNow)
        ch->TimerQueued = FALSE;
    WdfSpinLockRelease(ch->Lock);
    if (stopTimerNow && WdfTimerStop(ch->Timer, FALSE) == TRUE)
        BmDropReference(ch);

    BmDropReference(ch); /* this handler's */
}

static VOID BmEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(WdfIoQueueGetDevice(Queue));
    BmStartRequest(&dev->Channel[BM_READ_CHANNEL], Request, Length);
}

static VOID BmEvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(WdfIoQueueGetDevice(Queue));
    BmStartRequest(&dev->Channel[BM_WRITE_CHANNEL], Request, Length);
}

/* ---- hardware resources ------------------------------------------------------------------ */

static NTSTATUS BmEvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR desc;
    ULONG i;

    UNREFERENCED_PARAMETER(ResourcesRaw);

    for (i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        desc = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (desc == NULL)
            return STATUS_DEVICE_CONFIGURATION_ERROR;
        if (desc->Type == CmResourceTypeMemory && dev->Registers == NULL) {
            if (desc->u.Memory.Length < sizeof(BM_REGISTERS))
                return STATUS_DEVICE_CONFIGURATION_ERROR;
            dev->Registers = (PBM_REGISTERS)MmMapIoSpace(desc->u.Memory.Start, desc->u.Memory.Length, MmNonCached);
            if (dev->Registers == NULL)
                return STATUS_INSUFFICIENT_RESOURCES;
            dev->RegistersLength = desc->u.Memory.Length;
        }
    }
    if (dev->Registers == NULL)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    /* The interrupt (created in EvtDeviceAdd) is enabled after D0Entry:
     * until then the device raises nothing. */
    BmWrite(dev, &dev->Registers->IntEnable, 0);
    return STATUS_SUCCESS;
}

static NTSTATUS BmEvtReleaseHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated)
{
    PBM_DEVICE_CONTEXT dev = BmGetDeviceContext(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);
    if (dev->Registers != NULL) {
        MmUnmapIoSpace(dev->Registers, dev->RegistersLength);
        dev->Registers = NULL;
    }
    return STATUS_SUCCESS;
}

/* ---- the device ------------------------------------------------------------------------- */

/* A channel's queue, descriptor table, transaction, timer and lock. */
static NTSTATUS BmChannelCreate(PBM_DEVICE_CONTEXT dev, ULONG index)
{
    PBM_CHANNEL ch = &dev->Channel[index];
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDF_TIMER_CONFIG timerConfig;
    WDF_OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;

    ch->Index = index;
    ch->Device = dev;
    ch->Direction = index == BM_READ_CHANNEL ? WdfDmaDirectionReadFromDevice : WdfDmaDirectionWriteToDevice;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = dev->Device;
    status = WdfSpinLockCreate(&attributes, &ch->Lock);
    if (!NT_SUCCESS(status))
        return status;

    status = WdfCommonBufferCreate(dev->DmaEnabler, BM_DESCRIPTOR_TABLE_BYTES, WDF_NO_OBJECT_ATTRIBUTES,
                                   &ch->DescriptorBuffer);
    if (!NT_SUCCESS(status))
        return status;
    ch->Descriptors = (PBM_DESCRIPTOR)WdfCommonBufferGetAlignedVirtualAddress(ch->DescriptorBuffer);
    ch->DescriptorsLogical = WdfCommonBufferGetAlignedLogicalAddress(ch->DescriptorBuffer);
    RtlZeroMemory(ch->Descriptors, BM_DESCRIPTOR_TABLE_BYTES);

    status = WdfDmaTransactionCreate(dev->DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES, &ch->Transaction);
    if (!NT_SUCCESS(status))
        return status;

    WDF_TIMER_CONFIG_INIT(&timerConfig, BmEvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, BM_CHANNEL_LINK);
    attributes.ParentObject = dev->Device;
    status = WdfTimerCreate(&timerConfig, &attributes, &ch->Timer);
    if (!NT_SUCCESS(status))
        return status;
    BmGetChannelLink(ch->Timer)->Channel = ch;

    /* The channel's queue: one request at a time. */
    WDF_IO_QUEUE_CONFIG_INIT(&queueConfig, WdfIoQueueDispatchSequential);
    if (index == BM_READ_CHANNEL)
        queueConfig.EvtIoRead = BmEvtIoRead;
    else
        queueConfig.EvtIoWrite = BmEvtIoWrite;
    status = WdfIoQueueCreate(dev->Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &ch->Queue);
    if (!NT_SUCCESS(status))
        return status;
    return WdfDeviceConfigureRequestDispatching(dev->Device, ch->Queue,
                                                index == BM_READ_CHANNEL ? WdfRequestTypeRead : WdfRequestTypeWrite);
}

static NTSTATUS BmEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_INTERRUPT_CONFIG interruptConfig;
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_WORKITEM_CONFIG workItemConfig;
    PBM_DEVICE_CONTEXT dev;
    WDFDEVICE device;
    NTSTATUS status;
    ULONG c;

    UNREFERENCED_PARAMETER(Driver);

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = BmEvtPrepareHardware;
    pnp.EvtDeviceReleaseHardware = BmEvtReleaseHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, BM_DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    dev = BmGetDeviceContext(device);
    dev->Device = device;

    /* The interrupt: KMDF connects it after EvtDeviceD0Entry and calls
     * EvtInterruptEnable then. */
    WDF_INTERRUPT_CONFIG_INIT(&interruptConfig, BmEvtInterruptIsr, BmEvtInterruptDpc);
    interruptConfig.EvtInterruptEnable = BmEvtInterruptEnable;
    interruptConfig.EvtInterruptDisable = BmEvtInterruptDisable;
    status = WdfInterruptCreate(device, &interruptConfig, WDF_NO_OBJECT_ATTRIBUTES, &dev->Interrupt);
    if (!NT_SUCCESS(status))
        return status;

    /* DMA: 64-bit scatter/gather, a separate adapter per direction. */
    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileScatterGather64Duplex, BM_MAX_TRANSFER_LENGTH);
    status = WdfDmaEnablerCreate(device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES, &dev->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;
    WdfDmaEnablerSetMaximumScatterGatherElements(dev->DmaEnabler, BM_MAX_DESCRIPTORS);

    for (c = 0; c < BM_CHANNELS; c++) {
        status = BmChannelCreate(dev, c);
        if (!NT_SUCCESS(status))
            return status;
    }

    /* Busted variants only. */
    if (BmVariant == BM_WAITLOCK_AT_DISPATCH) {
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        attributes.ParentObject = device;
        status = WdfWaitLockCreate(&attributes, &dev->StatisticsLock);
        if (!NT_SUCCESS(status))
            return status;
    }
    if (BmVariant == BM_WORKITEM_OUTLIVES || BmVariant == BM_TABLE_AFTER_DELETE) {
        WDF_WORKITEM_CONFIG_INIT(&workItemConfig, BmEvtWorkItem);
        workItemConfig.AutomaticSerialization = FALSE;
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        attributes.ParentObject = device;
        status = WdfWorkItemCreate(&workItemConfig, &attributes, &dev->WorkItem);
        if (!NT_SUCCESS(status))
            return status;
    }
    return STATUS_SUCCESS;
}

NTSTATUS BmDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, BmEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
