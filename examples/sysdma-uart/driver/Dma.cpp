/*++

Module Name:

    Dma.cpp

Abstract:

    The UART's system DMA channels. Each channel has its own enabler
    (WdfDmaProfileSystem, configured with its DMA descriptor and its FIFO
    register as the device address) and one transaction, reused for every
    request.

    Three paths may end a request: the transfer-complete callback (the
    controller finished, failed or cancelled the transfer), the cancel
    routine and the timeout timer. Cancel and timeout only stop the
    transfer; the DMA path alone calls DmaCompleted*, and the request is
    completed by whichever path lets go of it last. The rules that keep
    WdfDmaTransactionStopSystemTransfer legal:

     - it is called at most once per transfer, only after Execute returned
       and before the final DmaCompleted*, and never while the DMA path is
       inside DmaCompleted* (a stop wanted then is left as a note, and the
       DMA path ends the transaction itself);

     - a transfer-complete callback that arrives while a path is inside
       StopSystemTransfer is handed to that path, which finishes it when the
       stop returns;

     - whatever status the callback brings, DmaCompleted* is called for it.
       After a stop the controller may still report DmaComplete: the
       hardware finished before the stop reached it.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Device.h"
#include "Dma.tmh"

NTSTATUS
UartDmaChannel::Initialize(
    _In_ WDFDEVICE Device,
    _In_ WDF_DMA_DIRECTION Direction,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR DmaDescriptor,
    _In_ PHYSICAL_ADDRESS FifoAddress,
    _In_ PUCHAR Registers
    )
/*++

Routine Description:

    Called from EvtDevicePrepareHardware: creates the channel's enabler,
    transaction, lock and timeout timer.

--*/
{
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_DMA_SYSTEM_PROFILE_CONFIG systemConfig;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_TIMER_CONFIG timerConfig;
    NTSTATUS status;

    m_Direction = Direction;
    m_Registers = Registers;
    m_RequestLineBit = (Direction == WdfDmaDirectionReadFromDevice) ?
                       UART_CONTROL_RX_DMA_REQUEST : UART_CONTROL_TX_DMA_REQUEST;
    m_Request = NULL;

    //
    // The controller moves one block per transaction: no chaining.
    //
    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileSystem, SYSDMA_UART_MAX_TRANSFER);
    dmaConfig.Flags |= WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER;

    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES, &m_DmaEnabler);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "WdfDmaEnablerCreate failed %!STATUS!", status);
        return status;
    }

    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&systemConfig, FifoAddress, Width8Bits, DmaDescriptor);
    systemConfig.DemandMode = TRUE;

    status = WdfDmaEnablerConfigureSystemProfile(m_DmaEnabler, &systemConfig, Direction);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA,
                    "WdfDmaEnablerConfigureSystemProfile failed %!STATUS!", status);
        return status;
    }

    status = WdfDmaTransactionCreate(m_DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES, &m_Transaction);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "WdfDmaTransactionCreate failed %!STATUS!", status);
        return status;
    }

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Device;

    status = WdfSpinLockCreate(&attributes, &m_Lock);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    WDF_TIMER_CONFIG_INIT(&timerConfig, UartEvtTimeout);
    timerConfig.AutomaticSerialization = FALSE;

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, TIMER_CONTEXT);
    attributes.ParentObject = Device;

    status = WdfTimerCreate(&timerConfig, &attributes, &m_Timer);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "WdfTimerCreate failed %!STATUS!", status);
        return status;
    }

    TimerGetContext(m_Timer)->Channel = this;

    return STATUS_SUCCESS;
}

VOID
UartDmaChannel::SetDmaRequestLine(
    _In_ BOOLEAN Enable
    )
/*++

Routine Description:

    Raises or lowers this channel's DMA request line. The control register
    is shared by both channels; the default queue is sequential, so only one
    channel has a request (and touches the register) at a time.

--*/
{
    ULONG control;

    control = READ_REGISTER_ULONG((PULONG)(m_Registers + UART_REG_CONTROL));
    if (Enable) {
        control |= m_RequestLineBit;
    } else {
        control &= ~m_RequestLineBit;
    }
    WRITE_REGISTER_ULONG((PULONG)(m_Registers + UART_REG_CONTROL), control);
}

VOID
UartDmaChannel::StartRequest(
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
/*++

Routine Description:

    Starts the transfer for a read or write. The request is marked
    cancelable and the timer started before Execute; a cancel or a timeout
    that comes before Execute has returned is remembered and acted on once
    it has.

--*/
{
    NTSTATUS status;
    BOOLEAN stopNow;

    status = WdfDmaTransactionInitializeUsingRequest(m_Transaction, Request, UartEvtProgramDma, m_Direction);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA,
                    "WdfDmaTransactionInitializeUsingRequest failed %!STATUS!", status);
        WdfRequestComplete(Request, status);
        return;
    }

    WdfDmaTransactionSetTransferCompleteCallback(m_Transaction, UartEvtDmaTransferComplete, this);

    WdfSpinLockAcquire(m_Lock);
    m_Request = Request;
    m_Length = Length;
    m_Executing = FALSE;
    m_DmaDone = FALSE;
    m_DmaBusy = 0;
    m_Stopping = FALSE;
    m_Stopped = FALSE;
    m_StopWanted = FALSE;
    m_HasDeferred = FALSE;
    m_StopReason = STATUS_SUCCESS;
    m_CompletionStatus = STATUS_PENDING;
    m_Information = 0;
    m_Cancelable = TRUE;
    m_TimerQueued = TRUE;
    //
    // The I/O path (this routine), the DMA path, the cancel routine and
    // the timer.
    //
    m_References = 4;
    WdfSpinLockRelease(m_Lock);

    status = WdfRequestMarkCancelableEx(Request, UartEvtRequestCancel);
    if (!NT_SUCCESS(status)) {
        //
        // Cancelled already: nothing has started, finish here.
        //
        WdfSpinLockAcquire(m_Lock);
        m_Request = NULL;
        WdfSpinLockRelease(m_Lock);
        WdfDmaTransactionRelease(m_Transaction);
        WdfRequestComplete(Request, status);
        return;
    }

    WdfTimerStart(m_Timer, WDF_REL_TIMEOUT_IN_MS(SYSDMA_UART_TIMEOUT_MS));

    status = WdfDmaTransactionExecute(m_Transaction, this);
    if (!NT_SUCCESS(status)) {
        //
        // No transfer-complete callback will come: end the DMA path here.
        //
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "WdfDmaTransactionExecute failed %!STATUS!", status);
        WdfSpinLockAcquire(m_Lock);
        m_DmaBusy++;
        WdfSpinLockRelease(m_Lock);
        FinishDma(status, 0);
        DropReference();    // the DMA path's
        DropReference();    // this routine's
        return;
    }

    WdfSpinLockAcquire(m_Lock);
    m_Executing = TRUE;
    stopNow = m_StopWanted && !m_DmaDone && m_DmaBusy == 0 && !m_Stopped && !m_Stopping;
    if (stopNow) {
        m_StopWanted = FALSE;
        m_Stopping = TRUE;
    }
    WdfSpinLockRelease(m_Lock);

    if (stopNow) {
        StopTransfer();
    }

    DropReference();
}

VOID
UartDmaChannel::ProgramDma(
    VOID
    )
{
    //
    // The controller has the transfer; let the UART raise DMA requests.
    //
    SetDmaRequestLine(TRUE);
}

VOID
UartDmaChannel::RequestStop(
    _In_ NTSTATUS Reason
    )
/*++

Routine Description:

    Cancel and timeout: record why, and stop the transfer if that is legal
    now; otherwise leave the note for the path that can.

--*/
{
    BOOLEAN stopNow = FALSE;

    WdfSpinLockAcquire(m_Lock);
    if (m_StopReason == STATUS_SUCCESS) {
        m_StopReason = Reason;
    }
    if (!m_DmaDone && !m_Stopped && !m_Stopping) {
        if (!m_Executing || m_DmaBusy > 0) {
            m_StopWanted = TRUE;
        } else {
            m_Stopping = TRUE;
            stopNow = TRUE;
        }
    }
    WdfSpinLockRelease(m_Lock);

    if (stopNow) {
        StopTransfer();
    }
}

VOID
UartDmaChannel::StopTransfer(
    VOID
    )
/*++

Routine Description:

    Stops the transfer, then finishes a transfer-complete callback that
    arrived while the stop was under way.

--*/
{
    BOOLEAN deferred;
    DMA_COMPLETION_STATUS dmaStatus;

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DMA, "Stopping transfer, channel %p", this);

    WdfDmaTransactionStopSystemTransfer(m_Transaction);

    WdfSpinLockAcquire(m_Lock);
    m_Stopping = FALSE;
    m_Stopped = TRUE;
    deferred = m_HasDeferred;
    dmaStatus = m_Deferred;
    m_HasDeferred = FALSE;
    if (deferred) {
        m_DmaBusy++;
    }
    WdfSpinLockRelease(m_Lock);

    if (deferred) {
        HandleTransfer(dmaStatus);
    }
}

VOID
UartDmaChannel::OnTransferComplete(
    _In_ DMA_COMPLETION_STATUS DmaStatus
    )
{
    WdfSpinLockAcquire(m_Lock);
    if (m_Stopping) {
        m_HasDeferred = TRUE;
        m_Deferred = DmaStatus;
        WdfSpinLockRelease(m_Lock);
        return;
    }
    m_DmaBusy++;
    WdfSpinLockRelease(m_Lock);

    HandleTransfer(DmaStatus);
}

VOID
UartDmaChannel::HandleTransfer(
    _In_ DMA_COMPLETION_STATUS DmaStatus
    )
/*++

Routine Description:

    The DMA path for one transfer, entered with m_DmaBusy counting it.

--*/
{
    NTSTATUS status;
    NTSTATUS completionStatus;
    BOOLEAN transactionComplete;
    BOOLEAN stopped;
    BOOLEAN stopNow;
    size_t bytesTransferred;

    WdfSpinLockAcquire(m_Lock);
    stopped = m_Stopped || m_StopWanted;
    WdfSpinLockRelease(m_Lock);

    if (SysDmaUartVariant == SysDmaUartVariantStopRaceBug &&
        stopped && DmaStatus == DmaComplete) {
        //
        // BUG (this variant): after StopSystemTransfer the driver expects the
        // controller to report DmaCancelled and lets that callback finish
        // the transaction. But the hardware may have finished the transfer
        // before the stop reached it: then DmaComplete is the only callback
        // that comes, and the transaction is never completed.
        //
        TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DMA, "Transfer stopped: waiting for DmaCancelled");
        WdfSpinLockAcquire(m_Lock);
        m_DmaBusy--;
        WdfSpinLockRelease(m_Lock);
        return;
    }

    SetDmaRequestLine(FALSE);

    if (DmaStatus == DmaComplete && !stopped) {
        transactionComplete = WdfDmaTransactionDmaCompleted(m_Transaction, &status);
    } else if (DmaStatus == DmaComplete) {
        //
        // Stopped, but the hardware finished this transfer first: it is
        // whole, and it is the last one.
        //
        transactionComplete = WdfDmaTransactionDmaCompletedFinal(
                                  m_Transaction,
                                  WdfDmaTransactionGetCurrentDmaTransferLength(m_Transaction),
                                  &status);
    } else {
        //
        // DmaCancelled, DmaError or DmaAborted: nothing of this transfer is
        // counted.
        //
        transactionComplete = WdfDmaTransactionDmaCompletedFinal(m_Transaction, 0, &status);
    }

    if (!transactionComplete) {
        //
        // The framework started the next transfer. A stop wanted meanwhile
        // is ours to make.
        //
        WdfSpinLockAcquire(m_Lock);
        m_DmaBusy--;
        stopNow = m_StopWanted && m_DmaBusy == 0 && !m_DmaDone && !m_Stopped && !m_Stopping;
        if (stopNow) {
            m_StopWanted = FALSE;
            m_Stopping = TRUE;
        }
        WdfSpinLockRelease(m_Lock);

        if (stopNow) {
            StopTransfer();
        }
        return;
    }

    bytesTransferred = WdfDmaTransactionGetBytesTransferred(m_Transaction);

    WdfSpinLockAcquire(m_Lock);
    if (DmaStatus == DmaComplete && NT_SUCCESS(status) && bytesTransferred == m_Length) {
        completionStatus = STATUS_SUCCESS;
    } else if (DmaStatus == DmaError) {
        completionStatus = STATUS_DEVICE_DATA_ERROR;
    } else if (m_StopReason != STATUS_SUCCESS) {
        completionStatus = m_StopReason;
    } else if (!NT_SUCCESS(status)) {
        completionStatus = status;
    } else {
        completionStatus = STATUS_DEVICE_DATA_ERROR;
    }
    WdfSpinLockRelease(m_Lock);

    TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_DMA, "Transfer done: %d, %Iu bytes, %!STATUS!",
                (int)DmaStatus, bytesTransferred, completionStatus);

    FinishDma(completionStatus, bytesTransferred);
    DropReference();
}

VOID
UartDmaChannel::FinishDma(
    _In_ NTSTATUS CompletionStatus,
    _In_ size_t Information
    )
/*++

Routine Description:

    The transaction is over: record the request's status, and take back the
    cancel routine's and the timer's references if they will not run.

--*/
{
    BOOLEAN cancelable;
    BOOLEAN timerQueued;
    WDFREQUEST request;

    WdfSpinLockAcquire(m_Lock);
    m_DmaDone = TRUE;
    m_DmaBusy--;
    m_CompletionStatus = CompletionStatus;
    m_Information = Information;
    cancelable = m_Cancelable;
    m_Cancelable = FALSE;
    timerQueued = m_TimerQueued;
    m_TimerQueued = FALSE;
    request = m_Request;
    WdfSpinLockRelease(m_Lock);

    if (cancelable && WdfRequestUnmarkCancelable(request) == STATUS_SUCCESS) {
        DropReference();
    }

    if (timerQueued && WdfTimerStop(m_Timer, FALSE)) {
        DropReference();
    }
}

VOID
UartDmaChannel::OnCancel(
    VOID
    )
{
    WdfSpinLockAcquire(m_Lock);
    m_Cancelable = FALSE;
    WdfSpinLockRelease(m_Lock);

    RequestStop(STATUS_CANCELLED);
    DropReference();
}

VOID
UartDmaChannel::OnTimeout(
    VOID
    )
{
    WdfSpinLockAcquire(m_Lock);
    m_TimerQueued = FALSE;
    WdfSpinLockRelease(m_Lock);

    TraceEvents(TRACE_LEVEL_WARNING, TRACE_DMA, "Channel %p: request timed out", this);

    RequestStop(STATUS_IO_TIMEOUT);
    DropReference();
}

VOID
UartDmaChannel::OnRxTimeout(
    VOID
    )
/*++

Routine Description:

    The RX line went idle with bytes in the FIFO: end the read with what was
    received (STATUS_TIMEOUT, a success status, as a serial read ended by its
    interval timeout). RequestStop makes the stop only if no other path has
    made it or ended the transfer, and only once Execute has returned and
    while the DMA path is outside DmaCompleted*; otherwise it leaves a note,
    or nothing when the transfer is over (the interrupt may come after the
    read completed, or before the next read started). The request stays
    with the paths that hold references on it.

--*/
{
    RequestStop(STATUS_TIMEOUT);
}

VOID
UartDmaChannel::OnRxTimeoutUnclaimed(
    VOID
    )
{
    WDFREQUEST request;

    WdfSpinLockAcquire(m_Lock);
    request = m_Request;
    if (request != NULL && m_StopReason == STATUS_SUCCESS) {
        m_StopReason = STATUS_TIMEOUT;
    }
    WdfSpinLockRelease(m_Lock);

    if (request != NULL) {
        //
        // BUG (this variant): "a read is pending, so its transfer is
        // running": the DPC stops it without claiming the stop. But the
        // timer or the cancel routine may have stopped it already (a second
        // stop before the stopped transfer was completed), and the DMA path
        // may have made the final DmaCompleted* already, the request still
        // waiting for its last reference (a stop after the transaction
        // released its adapter).
        //
        WdfDmaTransactionStopSystemTransfer(m_Transaction);
    }
}

VOID
UartDmaChannel::DropReference(
    VOID
    )
/*++

Routine Description:

    The last path out releases the transaction for the next request and
    completes this one.

--*/
{
    WDFREQUEST request;
    NTSTATUS status;
    size_t information;

    if (InterlockedDecrement(&m_References) != 0) {
        return;
    }

    WdfSpinLockAcquire(m_Lock);
    request = m_Request;
    status = m_CompletionStatus;
    information = m_Information;
    m_Request = NULL;
    WdfSpinLockRelease(m_Lock);

    WdfDmaTransactionRelease(m_Transaction);

    WdfRequestCompleteWithInformation(request, status, information);
}

//
// Framework callbacks: each finds its channel and hands over.
//

BOOLEAN
UartEvtProgramDma(
    _In_ WDFDMATRANSACTION     Transaction,
    _In_ WDFDEVICE             Device,
    _In_ WDFCONTEXT            Context,
    _In_ WDF_DMA_DIRECTION     Direction,
    _In_ PSCATTER_GATHER_LIST  SgList
    )
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);

    static_cast<UartDmaChannel *>(Context)->ProgramDma();

    return TRUE;
}

VOID
UartEvtDmaTransferComplete(
    _In_ WDFDMATRANSACTION      Transaction,
    _In_ WDFDEVICE              Device,
    _In_ WDFCONTEXT             Context,
    _In_ WDF_DMA_DIRECTION      Direction,
    _In_ DMA_COMPLETION_STATUS  Status
    )
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);

    static_cast<UartDmaChannel *>(Context)->OnTransferComplete(Status);
}

VOID
UartEvtRequestCancel(
    _In_ WDFREQUEST Request
    )
{
    RequestGetContext(Request)->Channel->OnCancel();
}

VOID
UartEvtTimeout(
    _In_ WDFTIMER Timer
    )
{
    TimerGetContext(Timer)->Channel->OnTimeout();
}
