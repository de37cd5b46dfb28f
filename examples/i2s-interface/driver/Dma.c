/*++

Module Name:

    Dma.c

Abstract:

    The TX ring of the I2S controller on a system DMA channel. The channel's
    controller cannot loop by itself here, so the driver loops: each period
    is one DMA transaction over one slice of the cyclic buffer, and the
    transfer-complete callback of a period starts the next one, until the
    client asks the loop to end.

    Between two periods the transaction is finished (final DmaCompleted*),
    released and initialised again: there is no transfer to stop there, and
    WdfDmaTransactionStopSystemTransfer is only legal while one is in
    flight (after Execute, before the final DmaCompleted*).

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Dma.tmh"

EVT_WDF_PROGRAM_DMA I2sEvtProgramDma;
EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE I2sEvtDmaTransferComplete;

NTSTATUS
I2sDmaInitialize(
    _In_ PDEVICE_CONTEXT DeviceContext,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR DmaDescriptor,
    _In_ PHYSICAL_ADDRESS FifoAddress
    )
{
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_DMA_SYSTEM_PROFILE_CONFIG systemConfig;
    NTSTATUS status;

    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileSystem, I2S_MAX_PERIOD_BYTES);
    dmaConfig.Flags |= WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER;

    status = WdfDmaEnablerCreate(DeviceContext->Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES,
                                 &DeviceContext->DmaEnabler);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "WdfDmaEnablerCreate failed %!STATUS!", status);
        return status;
    }

    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&systemConfig, FifoAddress, Width32Bits, DmaDescriptor);
    systemConfig.DemandMode = TRUE;

    status = WdfDmaEnablerConfigureSystemProfile(DeviceContext->DmaEnabler, &systemConfig,
                                                 WdfDmaDirectionWriteToDevice);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    return WdfDmaTransactionCreate(DeviceContext->DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES,
                                   &DeviceContext->Transaction);
}

NTSTATUS
I2sDmaStartPeriod(
    _In_ PDEVICE_CONTEXT DeviceContext,
    _In_ ULONG Period
    )
/*++

Routine Description:

    Starts the transfer of one period: slice (Period mod I2S_PERIODS) of
    the cyclic buffer. Called by StartTx, and by the transfer-complete
    callback of the previous period. The transfer-complete callback of this
    period may run before WdfDmaTransactionExecute returns.

--*/
{
    NTSTATUS status;
    PUCHAR slice;
    ULONG periodBytes;

    WdfSpinLockAcquire(DeviceContext->Lock);
    periodBytes = DeviceContext->PeriodBytes;
    WdfSpinLockRelease(DeviceContext->Lock);

    slice = DeviceContext->Buffer + (Period % I2S_PERIODS) * I2S_MAX_PERIOD_BYTES;

    status = WdfDmaTransactionInitialize(DeviceContext->Transaction,
                                         I2sEvtProgramDma,
                                         WdfDmaDirectionWriteToDevice,
                                         DeviceContext->BufferMdl,
                                         slice,
                                         periodBytes);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "WdfDmaTransactionInitialize failed %!STATUS!", status);
        return status;
    }

    WdfDmaTransactionSetTransferCompleteCallback(DeviceContext->Transaction,
                                                 I2sEvtDmaTransferComplete,
                                                 DeviceContext);

    status = WdfDmaTransactionExecute(DeviceContext->Transaction, DeviceContext);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "WdfDmaTransactionExecute failed %!STATUS!", status);
        WdfDmaTransactionRelease(DeviceContext->Transaction);
    }

    return status;
}

BOOLEAN
I2sEvtProgramDma(
    _In_ WDFDMATRANSACTION     Transaction,
    _In_ WDFDEVICE             Device,
    _In_ WDFCONTEXT            Context,
    _In_ WDF_DMA_DIRECTION     Direction,
    _In_ PSCATTER_GATHER_LIST  SgList
    )
{
    PDEVICE_CONTEXT deviceContext = (PDEVICE_CONTEXT)Context;

    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);

    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + I2S_REG_CONTROL),
                         I2S_CONTROL_TX_ENABLE | I2S_CONTROL_TX_DMA_REQUEST);

    return TRUE;
}

VOID
I2sEvtDmaTransferComplete(
    _In_ WDFDMATRANSACTION      Transaction,
    _In_ WDFDEVICE              Device,
    _In_ WDFCONTEXT             Context,
    _In_ WDF_DMA_DIRECTION      Direction,
    _In_ DMA_COMPLETION_STATUS  Status
    )
/*++

Routine Description:

    One period is over. Finish its transaction, tell the client, and start
    the next period unless the loop was asked to end (or this one failed);
    in that case send I2sDmaEventStopped, the last notification.

--*/
{
    PDEVICE_CONTEXT deviceContext = (PDEVICE_CONTEXT)Context;
    PI2S_DMA_NOTIFICATION notification;
    PVOID notificationContext;
    NTSTATUS status;
    BOOLEAN played;
    BOOLEAN next;
    ULONG period;

    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);

    if (Status == DmaComplete) {
        (VOID)WdfDmaTransactionDmaCompleted(Transaction, &status);
    } else {
        //
        // DmaCancelled (StopTx), DmaError or DmaAborted: the period was cut.
        //
        (VOID)WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &status);
    }
    played = (Status == DmaComplete && NT_SUCCESS(status));

    WdfDmaTransactionRelease(Transaction);

    WdfSpinLockAcquire(deviceContext->Lock);
    period = deviceContext->Period;
    if (played) {
        deviceContext->Period++;
    }
    next = deviceContext->Running && played;
    if (!next) {
        deviceContext->Running = FALSE;
    }
    notification = deviceContext->Notification;
    notificationContext = deviceContext->NotificationContext;
    WdfSpinLockRelease(deviceContext->Lock);

    if (played) {
        notification(notificationContext, I2sDmaEventPeriodPlayed, period);
    }

    if (next) {
        status = I2sDmaStartPeriod(deviceContext, period + 1);
        if (NT_SUCCESS(status)) {
            return;
        }
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DMA, "Period %u could not start: %!STATUS!", period + 1, status);
    }

    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + I2S_REG_CONTROL), 0);

    if (I2sVariant == I2sVariantFreeChannelAtEnd) {
        //
        // BUG (this variant), a habit from the driver's WDM days: give the
        // DMA channel back to the HAL when the ring stops. But KMDF owns the
        // adapter channel of a system-profile transaction: it allocated it
        // for the transfer and freed it in the final DmaCompleted* (or
        // WdfDmaTransactionRelease). This frees it a second time.
        //
        PDMA_ADAPTER adapter = WdfDmaEnablerWdmGetDmaAdapter(deviceContext->DmaEnabler,
                                                             WdfDmaDirectionWriteToDevice);
        adapter->DmaOperations->FreeAdapterChannel(adapter);
    }

    //
    // The loop is over: the last notification, then a new StartTx may come.
    //
    notification(notificationContext, I2sDmaEventStopped, period);

    WdfSpinLockAcquire(deviceContext->Lock);
    deviceContext->Running = FALSE;
    deviceContext->Active = FALSE;
    WdfSpinLockRelease(deviceContext->Lock);
}
