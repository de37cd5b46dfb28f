/*++

Module Name:

    Interface.c

Abstract:

    GUID_I2S_DMA_INTERFACE_STANDARD: registration with the framework, and
    the two routines it exports.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Interface.tmh"

#ifdef ALLOC_PRAGMA
#pragma alloc_text (PAGE, I2sInterfaceRegister)
#pragma alloc_text (PAGE, I2sStartTx)
#endif

NTSTATUS
I2sInterfaceRegister(
    _In_ WDFDEVICE Device
    )
/*++

Routine Description:

    Lets the framework answer IRP_MN_QUERY_INTERFACE for the I2S DMA
    interface with a copy of this structure. The device's lifetime covers
    the interface's, so the reference routines are the framework's no-ops.

--*/
{
    I2S_DMA_INTERFACE_STANDARD dmaInterface;
    WDF_QUERY_INTERFACE_CONFIG queryInterfaceConfig;
    NTSTATUS status;

    PAGED_CODE();

    RtlZeroMemory(&dmaInterface, sizeof(dmaInterface));
    dmaInterface.InterfaceHeader.Size = sizeof(dmaInterface);
    dmaInterface.InterfaceHeader.Version = I2S_DMA_INTERFACE_VERSION;
    dmaInterface.InterfaceHeader.Context = (PVOID)DeviceGetContext(Device);
    dmaInterface.InterfaceHeader.InterfaceReference = WdfDeviceInterfaceReferenceNoOp;
    dmaInterface.InterfaceHeader.InterfaceDereference = WdfDeviceInterfaceDereferenceNoOp;
    dmaInterface.StartTx = I2sStartTx;
    dmaInterface.StopTx = I2sStopTx;

    WDF_QUERY_INTERFACE_CONFIG_INIT(&queryInterfaceConfig,
                                    (PINTERFACE)&dmaInterface,
                                    &GUID_I2S_DMA_INTERFACE_STANDARD,
                                    NULL);

    status = WdfDeviceAddQueryInterface(Device, &queryInterfaceConfig);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_INTERFACE, "WdfDeviceAddQueryInterface failed %!STATUS!", status);
    }

    return status;
}

NTSTATUS
I2sStartTx(
    _In_ PVOID Context,
    _In_ ULONG PeriodBytes,
    _In_ PI2S_DMA_NOTIFICATION Notification,
    _In_opt_ PVOID NotificationContext
    )
/*++

Routine Description:

    Starts the TX loop. STATUS_DEVICE_BUSY while a loop is active (until
    its I2sDmaEventStopped has been sent).

--*/
{
    PDEVICE_CONTEXT deviceContext = (PDEVICE_CONTEXT)Context;
    NTSTATUS status;

    PAGED_CODE();

    if (PeriodBytes == 0 || PeriodBytes > I2S_MAX_PERIOD_BYTES || Notification == NULL) {
        return STATUS_INVALID_PARAMETER;
    }

    WdfSpinLockAcquire(deviceContext->Lock);
    if (deviceContext->Active) {
        WdfSpinLockRelease(deviceContext->Lock);
        return STATUS_DEVICE_BUSY;
    }
    deviceContext->Active = TRUE;
    deviceContext->Running = TRUE;
    deviceContext->PeriodBytes = PeriodBytes;
    deviceContext->Period = 0;
    deviceContext->Notification = Notification;
    deviceContext->NotificationContext = NotificationContext;
    WdfSpinLockRelease(deviceContext->Lock);

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INTERFACE, "StartTx: %u-byte periods", PeriodBytes);

    status = I2sDmaStartPeriod(deviceContext, 0);
    if (!NT_SUCCESS(status)) {
        WdfSpinLockAcquire(deviceContext->Lock);
        deviceContext->Running = FALSE;
        deviceContext->Active = FALSE;
        WdfSpinLockRelease(deviceContext->Lock);
    }

    return status;
}

NTSTATUS
I2sStopTx(
    _In_ PVOID Context
    )
/*++

Routine Description:

    Asks the TX loop to end. The loop ends at the end of the period being
    played, and the client gets I2sDmaEventStopped then.

--*/
{
    PDEVICE_CONTEXT deviceContext = (PDEVICE_CONTEXT)Context;
    BOOLEAN running;

    WdfSpinLockAcquire(deviceContext->Lock);
    running = deviceContext->Running;
    deviceContext->Running = FALSE;
    WdfSpinLockRelease(deviceContext->Lock);

    if (!running) {
        return STATUS_INVALID_DEVICE_STATE;
    }

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INTERFACE, "StopTx");

    if (I2sVariant == I2sVariantStopImmediately) {
        //
        // BUG (this variant): cut the period in flight short for a quicker
        // stop. But the loop may be between two periods here: the period
        // callback may just have finished and released the transaction (it
        // read Running before we cleared it, or it is about to end the
        // loop), or re-initialised it and not yet executed it. Stopping a
        // transaction with no transfer in flight is not allowed
        // (WdfDmaTransactionStopSystemTransfer: "after the framework has
        // called EvtProgramDma", and before the final DmaCompleted*).
        //
        WdfDmaTransactionStopSystemTransfer(deviceContext->Transaction);
    }

    return STATUS_SUCCESS;
}
