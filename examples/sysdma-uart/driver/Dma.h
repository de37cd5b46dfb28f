/*++

Module Name:

    Dma.h

Abstract:

    One system DMA channel of the UART: its enabler, the one DMA transaction
    it reuses for every request, the request in flight, and the protocol
    that lets three paths end that request: the transfer-complete callback,
    the cancel routine and the timeout timer.

Environment:

    Kernel mode

--*/

#pragma once

class UartDmaChannel
{
public:

    _Must_inspect_result_
    NTSTATUS
    Initialize(
        _In_ WDFDEVICE Device,
        _In_ WDF_DMA_DIRECTION Direction,
        _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR DmaDescriptor,
        _In_ PHYSICAL_ADDRESS FifoAddress,
        _In_ PUCHAR Registers
        );

    //
    // Start a read (RX channel) or write (TX channel). The request is the
    // channel's until it is completed; the queue is sequential, so a channel
    // never has two.
    //
    VOID
    StartRequest(
        _In_ WDFREQUEST Request,
        _In_ size_t Length
        );

    //
    // The three paths that may end the request.
    //
    VOID
    OnTransferComplete(
        _In_ DMA_COMPLETION_STATUS DmaStatus
        );

    VOID
    OnCancel(
        VOID
        );

    VOID
    OnTimeout(
        VOID
        );

    //
    // The RX character-timeout interrupt's DPC: end the read early, through
    // the stop path the timer and the cancel routine use. The interrupt
    // holds no reference on the request.
    //
    VOID
    OnRxTimeout(
        VOID
        );

    //
    // The same in the busted variant SysDmaUartVariantIrqStopUnclaimedBug.
    //
    VOID
    OnRxTimeoutUnclaimed(
        VOID
        );

    VOID
    ProgramDma(
        VOID
        );

    WDF_DMA_DIRECTION
    Direction(
        VOID
        ) const
    {
        return m_Direction;
    }

private:

    VOID
    RequestStop(
        _In_ NTSTATUS Reason
        );

    VOID
    StopTransfer(
        VOID
        );

    VOID
    HandleTransfer(
        _In_ DMA_COMPLETION_STATUS DmaStatus
        );

    VOID
    FinishDma(
        _In_ NTSTATUS CompletionStatus,
        _In_ size_t Information
        );

    VOID
    DropReference(
        VOID
        );

    VOID
    SetDmaRequestLine(
        _In_ BOOLEAN Enable
        );

    //
    // Set once, in EvtDevicePrepareHardware.
    //
    WDFDMAENABLER       m_DmaEnabler;
    WDFDMATRANSACTION   m_Transaction;
    WDFTIMER            m_Timer;
    WDFSPINLOCK         m_Lock;
    WDF_DMA_DIRECTION   m_Direction;
    PUCHAR              m_Registers;
    ULONG               m_RequestLineBit;

    //
    // Paths still holding the request: the I/O path, the DMA path, the
    // cancel routine (while the request is cancelable) and the timer (while
    // it is queued). The last one out completes the request.
    //
    LONG                m_References;

    //
    // Under m_Lock.
    //
    WDFREQUEST          m_Request;
    size_t              m_Length;
    BOOLEAN             m_Executing;        // WdfDmaTransactionExecute returned success
    BOOLEAN             m_DmaDone;          // the final DmaCompleted* returned (or Execute failed)
    LONG                m_DmaBusy;          // DMA-path invocations inside DmaCompleted*
    BOOLEAN             m_Stopping;         // a path is inside WdfDmaTransactionStopSystemTransfer
    BOOLEAN             m_Stopped;          // WdfDmaTransactionStopSystemTransfer was called
    BOOLEAN             m_StopWanted;       // a stop was asked for when it could not be made
    BOOLEAN             m_HasDeferred;      // a transfer-complete callback left to the stopping path
    DMA_COMPLETION_STATUS m_Deferred;
    NTSTATUS            m_StopReason;       // STATUS_CANCELLED, STATUS_IO_TIMEOUT or STATUS_TIMEOUT (RX idle), first one wins
    BOOLEAN             m_Cancelable;       // marked, and nobody has claimed the right to unmark
    BOOLEAN             m_TimerQueued;      // started, and nobody has claimed the right to stop it
    NTSTATUS            m_CompletionStatus;
    size_t              m_Information;
};

EVT_WDF_PROGRAM_DMA UartEvtProgramDma;
EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE UartEvtDmaTransferComplete;
EVT_WDF_REQUEST_CANCEL UartEvtRequestCancel;
EVT_WDF_TIMER UartEvtTimeout;
