/*++

Module Name:

    Interrupt.cpp

Abstract:

    The UART's interrupt. The block raises one level-sensitive line while an
    unmasked status bit is set (Registers.h); the driver unmasks only the RX
    character timeout: the receive FIFO holds bytes that did not reach the
    DMA request threshold and the line went idle, so a read the sender
    stopped short of its length would otherwise wait for the timeout timer.

    The ISR reads the masked status, claims the interrupt only if a bit is
    set (the line may be shared, and an interrupt may be spurious),
    acknowledges the bits (write 1 to clear: the line drops), adds them to
    the device context's pending status under the interrupt lock and queues
    the DPC. The DPC takes the pending status under the interrupt lock
    (WdfInterruptAcquireLock) and, for an RX timeout, asks the RX channel to
    end its read: the same stop path the timeout timer and the cancel routine
    use, which calls WdfDmaTransactionStopSystemTransfer at most once, only
    while the transfer may be stopped, and never touches a request another
    path has completed. The interrupt path holds no reference on the
    request: it only asks for the stop, and the read completes with the
    bytes received (STATUS_TIMEOUT, a success status, as a serial read ended
    by its interval timeout).

    The interrupt is optional: on a platform that routes no interrupt to
    the UART (no interrupt resource) a read that stops short ends at the
    timeout timer.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Device.h"
#include "Interrupt.h"
#include "Interrupt.tmh"

#ifdef ALLOC_PRAGMA
#pragma alloc_text (PAGE, SysDmaUartInterruptCreate)
#endif

NTSTATUS
SysDmaUartInterruptCreate(
    _In_ WDFDEVICE Device,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR InterruptRaw,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR InterruptTranslated
    )
/*++

Routine Description:

    Called from EvtDevicePrepareHardware with the UART's interrupt resource:
    creates the interrupt object. KMDF connects it after EvtDeviceD0Entry and
    then calls EvtInterruptEnable.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);
    WDF_INTERRUPT_CONFIG interruptConfig;
    NTSTATUS status;

    PAGED_CODE();

    WDF_INTERRUPT_CONFIG_INIT(&interruptConfig, SysDmaUartEvtInterruptIsr, SysDmaUartEvtInterruptDpc);
    interruptConfig.EvtInterruptEnable = SysDmaUartEvtInterruptEnable;
    interruptConfig.EvtInterruptDisable = SysDmaUartEvtInterruptDisable;
    interruptConfig.InterruptRaw = InterruptRaw;
    interruptConfig.InterruptTranslated = InterruptTranslated;

    status = WdfInterruptCreate(Device, &interruptConfig, WDF_NO_OBJECT_ATTRIBUTES, &deviceContext->Interrupt);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "WdfInterruptCreate failed %!STATUS!", status);
        deviceContext->Interrupt = NULL;
    }

    return status;
}

BOOLEAN
SysDmaUartEvtInterruptIsr(
    _In_ WDFINTERRUPT Interrupt,
    _In_ ULONG MessageID
    )
/*++

Routine Description:

    At DIRQL, holding the interrupt lock: claim, acknowledge and record the
    UART's interrupt, and leave the work to the DPC.

Return Value:

    TRUE if the UART interrupted, FALSE otherwise.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(WdfInterruptGetDevice(Interrupt));
    ULONG status;

    UNREFERENCED_PARAMETER(MessageID);

    status = READ_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_MASKED_INTERRUPT_STATUS));
    if (status == 0) {
        return FALSE;
    }

    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_INTERRUPT_CLEAR), status);

    deviceContext->InterruptStatus |= status;

    WdfInterruptQueueDpcForIsr(Interrupt);

    return TRUE;
}

VOID
SysDmaUartEvtInterruptDpc(
    _In_ WDFINTERRUPT Interrupt,
    _In_ WDFOBJECT AssociatedObject
    )
/*++

Routine Description:

    At DISPATCH_LEVEL: takes the status the ISR recorded and ends the
    pending read on an RX character timeout.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext((WDFDEVICE)AssociatedObject);
    ULONG status;

    WdfInterruptAcquireLock(Interrupt);
    status = deviceContext->InterruptStatus;
    deviceContext->InterruptStatus = 0;
    WdfInterruptReleaseLock(Interrupt);

    if ((status & UART_INT_RX_TIMEOUT) == 0) {
        return;
    }

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DEVICE, "RX character timeout");

    if (SysDmaUartVariant == SysDmaUartVariantIrqStopUnclaimedBug) {
        deviceContext->Rx.OnRxTimeoutUnclaimed();
    } else {
        deviceContext->Rx.OnRxTimeout();
    }
}

NTSTATUS
SysDmaUartEvtInterruptEnable(
    _In_ WDFINTERRUPT Interrupt,
    _In_ WDFDEVICE AssociatedDevice
    )
/*++

Routine Description:

    At DIRQL, holding the interrupt lock: clear stale status and unmask the
    RX character timeout.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(AssociatedDevice);

    UNREFERENCED_PARAMETER(Interrupt);

    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_INTERRUPT_CLEAR), UART_INT_RX_TIMEOUT);
    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_INTERRUPT_MASK), UART_INT_RX_TIMEOUT);

    return STATUS_SUCCESS;
}

NTSTATUS
SysDmaUartEvtInterruptDisable(
    _In_ WDFINTERRUPT Interrupt,
    _In_ WDFDEVICE AssociatedDevice
    )
/*++

Routine Description:

    At DIRQL, holding the interrupt lock: mask every interrupt.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(AssociatedDevice);

    UNREFERENCED_PARAMETER(Interrupt);

    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_INTERRUPT_MASK), 0);

    return STATUS_SUCCESS;
}
