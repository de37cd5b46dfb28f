/*++

Module Name:

    Device.c

Abstract:

    Hardware resources of the I2S controller: the register window, the TX
    DMA channel and the cyclic buffer the channel plays from.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Device.tmh"

#ifdef ALLOC_PRAGMA
#pragma alloc_text (PAGE, I2sEvtDevicePrepareHardware)
#pragma alloc_text (PAGE, I2sEvtDeviceReleaseHardware)
#endif

NTSTATUS
I2sEvtDevicePrepareHardware(
    _In_ WDFDEVICE    Device,
    _In_ WDFCMRESLIST ResourcesRaw,
    _In_ WDFCMRESLIST ResourcesTranslated
    )
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR descriptor;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR memoryDescriptor = NULL;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR dmaDescriptor = NULL;
    PHYSICAL_ADDRESS fifoAddress;
    ULONG i;

    UNREFERENCED_PARAMETER(ResourcesRaw);

    PAGED_CODE();

    for (i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        descriptor = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (descriptor == NULL) {
            return STATUS_DEVICE_CONFIGURATION_ERROR;
        }
        if (descriptor->Type == CmResourceTypeMemory && memoryDescriptor == NULL) {
            memoryDescriptor = descriptor;
        } else if (descriptor->Type == CmResourceTypeDma && dmaDescriptor == NULL) {
            dmaDescriptor = descriptor;
        }
    }

    if (memoryDescriptor == NULL || dmaDescriptor == NULL) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
                   "I2sDma: missing resources (memory %p, DMA %p)\n", memoryDescriptor, dmaDescriptor);
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    }

    deviceContext->RegistersLength = memoryDescriptor->u.Memory.Length;
    deviceContext->Registers = (PUCHAR)MmMapIoSpace(memoryDescriptor->u.Memory.Start,
                                                    deviceContext->RegistersLength,
                                                    MmNonCached);
    if (deviceContext->Registers == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    //
    // The cyclic buffer, and an MDL describing it for the DMA transactions.
    //
    deviceContext->Buffer = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, I2S_BUFFER_BYTES, I2S_POOL_TAG);
    if (deviceContext->Buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    deviceContext->BufferMdl = IoAllocateMdl(deviceContext->Buffer, I2S_BUFFER_BYTES, FALSE, FALSE, NULL);
    if (deviceContext->BufferMdl == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    MmBuildMdlForNonPagedPool(deviceContext->BufferMdl);

    fifoAddress.QuadPart = memoryDescriptor->u.Memory.Start.QuadPart + I2S_REG_TX_FIFO;

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DEVICE, "Registers at %p, TX FIFO %I64x",
                deviceContext->Registers, fifoAddress.QuadPart);

    return I2sDmaInitialize(deviceContext, dmaDescriptor, fifoAddress);
}

NTSTATUS
I2sEvtDeviceReleaseHardware(
    _In_ WDFDEVICE    Device,
    _In_ WDFCMRESLIST ResourcesTranslated
    )
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);

    PAGED_CODE();

    if (deviceContext->BufferMdl != NULL) {
        IoFreeMdl(deviceContext->BufferMdl);
        deviceContext->BufferMdl = NULL;
    }
    if (deviceContext->Buffer != NULL) {
        ExFreePoolWithTag(deviceContext->Buffer, I2S_POOL_TAG);
        deviceContext->Buffer = NULL;
    }
    if (deviceContext->Registers != NULL) {
        MmUnmapIoSpace(deviceContext->Registers, deviceContext->RegistersLength);
        deviceContext->Registers = NULL;
    }

    return STATUS_SUCCESS;
}
