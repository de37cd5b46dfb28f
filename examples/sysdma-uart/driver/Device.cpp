/*++

Module Name:

    Device.cpp

Abstract:

    Device creation and hardware resources of the system-DMA UART: the
    register window is mapped with MmMapIoSpace, and each of the two
    system DMA channels in the resource list gets its own enabler.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Device.h"
#include "Queue.h"
#include "Interrupt.h"
#include "Device.tmh"

#ifdef ALLOC_PRAGMA
#pragma alloc_text (PAGE, SysDmaUartCreateDevice)
#pragma alloc_text (PAGE, SysDmaUartEvtDevicePrepareHardware)
#pragma alloc_text (PAGE, SysDmaUartEvtDeviceReleaseHardware)
#pragma alloc_text (PAGE, SysDmaUartEvtDeviceD0Exit)
#endif

NTSTATUS
SysDmaUartCreateDevice(
    _Inout_ PWDFDEVICE_INIT DeviceInit
    )
/*++

Routine Description:

    Creates the framework device object and the default queue.

--*/
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnpPowerCallbacks;
    WDF_OBJECT_ATTRIBUTES deviceAttributes;
    WDF_OBJECT_ATTRIBUTES requestAttributes;
    PDEVICE_CONTEXT deviceContext;
    WDFDEVICE device;
    NTSTATUS status;

    PAGED_CODE();

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnpPowerCallbacks);
    pnpPowerCallbacks.EvtDevicePrepareHardware = SysDmaUartEvtDevicePrepareHardware;
    pnpPowerCallbacks.EvtDeviceReleaseHardware = SysDmaUartEvtDeviceReleaseHardware;
    pnpPowerCallbacks.EvtDeviceD0Entry = SysDmaUartEvtDeviceD0Entry;
    pnpPowerCallbacks.EvtDeviceD0Exit = SysDmaUartEvtDeviceD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnpPowerCallbacks);

    //
    // System DMA works on the request's MDL.
    //
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&requestAttributes, REQUEST_CONTEXT);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &requestAttributes);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&deviceAttributes, DEVICE_CONTEXT);

    status = WdfDeviceCreate(&DeviceInit, &deviceAttributes, &device);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "WdfDeviceCreate failed %!STATUS!", status);
        return status;
    }

    deviceContext = DeviceGetContext(device);

    status = RtlStringCchPrintfW(deviceContext->FriendlyName,
                                 RTL_NUMBER_OF(deviceContext->FriendlyName),
                                 L"SysDma UART %u",
                                 0u);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    status = SysDmaUartQueueInitialize(device);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    return STATUS_SUCCESS;
}

NTSTATUS
SysDmaUartEvtDevicePrepareHardware(
    _In_ WDFDEVICE    Device,
    _In_ WDFCMRESLIST ResourcesRaw,
    _In_ WDFCMRESLIST ResourcesTranslated
    )
/*++

Routine Description:

    Finds the register window, the two DMA channels and the interrupt (if
    any) in the translated resources. The platform lists the TX channel
    first and the RX channel second. Maps the registers, creates one
    system-profile enabler per channel, with the FIFO register as the device
    address, and the interrupt object.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR descriptor;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR dmaDescriptors[2] = { NULL, NULL };
    PCM_PARTIAL_RESOURCE_DESCRIPTOR memoryDescriptor = NULL;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR interruptRaw = NULL;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR interruptTranslated = NULL;
    PHYSICAL_ADDRESS fifoAddress;
    ULONG dmaCount = 0;
    ULONG count;
    ULONG i;
    NTSTATUS status;

    PAGED_CODE();

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DEVICE, "%!FUNC! Entry");

    count = WdfCmResourceListGetCount(ResourcesTranslated);

    for (i = 0; i < count; i++) {

        descriptor = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (descriptor == NULL) {
            return STATUS_DEVICE_CONFIGURATION_ERROR;
        }

        switch (descriptor->Type) {

        case CmResourceTypeMemory:
            if (memoryDescriptor == NULL) {
                memoryDescriptor = descriptor;
            }
            break;

        case CmResourceTypeDma:
            if (dmaCount < RTL_NUMBER_OF(dmaDescriptors)) {
                dmaDescriptors[dmaCount] = descriptor;
            }
            dmaCount++;
            break;

        case CmResourceTypeInterrupt:
            if (interruptTranslated == NULL) {
                interruptTranslated = descriptor;
                interruptRaw = WdfCmResourceListGetDescriptor(ResourcesRaw, i);
            }
            break;

        default:
            break;
        }
    }

    if (memoryDescriptor == NULL ||
        memoryDescriptor->u.Memory.Length < UART_REGISTER_WINDOW_LENGTH ||
        dmaCount != 2) {

        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE,
                    "Unexpected resources: memory %p, %u DMA channels", memoryDescriptor, dmaCount);
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
                   "SysDmaUart: needs a register window and two DMA channels, got %lu channels\n",
                   (ULONG)dmaCount);
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    }

    deviceContext->RegistersPhysical = memoryDescriptor->u.Memory.Start;
    deviceContext->RegistersLength = UART_REGISTER_WINDOW_LENGTH;
    deviceContext->Registers = (PUCHAR)MmMapIoSpace(deviceContext->RegistersPhysical,
                                                    deviceContext->RegistersLength,
                                                    MmNonCached);
    if (deviceContext->Registers == NULL) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "MmMapIoSpace failed");
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    deviceContext->BlockId = READ_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_ID));
    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DEVICE, "UART block id %08x", deviceContext->BlockId);

    fifoAddress.QuadPart = deviceContext->RegistersPhysical.QuadPart + UART_REG_TX_FIFO;
    status = deviceContext->Tx.Initialize(Device,
                                          WdfDmaDirectionWriteToDevice,
                                          dmaDescriptors[0],
                                          fifoAddress,
                                          deviceContext->Registers);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    fifoAddress.QuadPart = deviceContext->RegistersPhysical.QuadPart + UART_REG_RX_FIFO;
    status = deviceContext->Rx.Initialize(Device,
                                          WdfDmaDirectionReadFromDevice,
                                          dmaDescriptors[1],
                                          fifoAddress,
                                          deviceContext->Registers);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    //
    // The UART's interrupt (the RX character timeout), if the platform
    // routes one; without it a read that stops short ends at the timeout.
    //
    deviceContext->Interrupt = NULL;
    if (interruptTranslated != NULL && interruptRaw != NULL) {
        status = SysDmaUartInterruptCreate(Device, interruptRaw, interruptTranslated);
        if (!NT_SUCCESS(status)) {
            return status;
        }
    }

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DEVICE, "%!FUNC! Exit");

    return STATUS_SUCCESS;
}

NTSTATUS
SysDmaUartEvtDeviceReleaseHardware(
    _In_ WDFDEVICE    Device,
    _In_ WDFCMRESLIST ResourcesTranslated
    )
/*++

Routine Description:

    Unmaps the register window. The enablers and transactions are children
    of the device and go with it.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);

    PAGED_CODE();

    if (deviceContext->Registers != NULL) {
        MmUnmapIoSpace(deviceContext->Registers, deviceContext->RegistersLength);
        deviceContext->Registers = NULL;
    }

    return STATUS_SUCCESS;
}

NTSTATUS
SysDmaUartEvtDeviceD0Entry(
    _In_ WDFDEVICE              Device,
    _In_ WDF_POWER_DEVICE_STATE PreviousState
    )
/*++

Routine Description:

    Enables the UART block with both DMA request lines off; a channel raises
    its line in EvtProgramDma.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);

    UNREFERENCED_PARAMETER(PreviousState);

    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_DMA_THRESHOLD),
                         UART_DEFAULT_DMA_THRESHOLD);
    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_CONTROL),
                         UART_CONTROL_ENABLE | UART_CONTROL_FLUSH_FIFOS);

    return STATUS_SUCCESS;
}

NTSTATUS
SysDmaUartEvtDeviceD0Exit(
    _In_ WDFDEVICE              Device,
    _In_ WDF_POWER_DEVICE_STATE TargetState
    )
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);

    UNREFERENCED_PARAMETER(TargetState);

    PAGED_CODE();

    WRITE_REGISTER_ULONG((PULONG)(deviceContext->Registers + UART_REG_CONTROL), 0);

    return STATUS_SUCCESS;
}
