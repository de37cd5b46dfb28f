/*++

Module Name:

    Driver.c

Abstract:

    Entry point of the I2S controller driver.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Driver.tmh"

I2S_VARIANT I2sVariant = I2sVariantStopAtPeriodEnd;

#ifdef ALLOC_PRAGMA
#pragma alloc_text (INIT, DriverEntry)
#pragma alloc_text (PAGE, I2sEvtDeviceAdd)
#pragma alloc_text (PAGE, I2sEvtDriverContextCleanup)
#endif

NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT  DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;

    WPP_INIT_TRACING(DriverObject, RegistryPath);

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC! Entry");

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.EvtCleanupCallback = I2sEvtDriverContextCleanup;

    WDF_DRIVER_CONFIG_INIT(&config, I2sEvtDeviceAdd);
    config.DriverPoolTag = I2S_POOL_TAG;

    status = WdfDriverCreate(DriverObject, RegistryPath, &attributes, &config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "WdfDriverCreate failed %!STATUS!", status);
        WPP_CLEANUP(DriverObject);
        return status;
    }

    return STATUS_SUCCESS;
}

NTSTATUS
I2sEvtDeviceAdd(
    _In_    WDFDRIVER       Driver,
    _Inout_ PWDFDEVICE_INIT DeviceInit
    )
/*++

Routine Description:

    Creates the device and registers the driver-to-driver interface. The
    device has no I/O queue: its only client is the driver that queries the
    interface.

--*/
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnpPowerCallbacks;
    WDF_OBJECT_ATTRIBUTES attributes;
    PDEVICE_CONTEXT deviceContext;
    WDFDEVICE device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    PAGED_CODE();

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnpPowerCallbacks);
    pnpPowerCallbacks.EvtDevicePrepareHardware = I2sEvtDevicePrepareHardware;
    pnpPowerCallbacks.EvtDeviceReleaseHardware = I2sEvtDeviceReleaseHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnpPowerCallbacks);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_CONTEXT);

    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "WdfDeviceCreate failed %!STATUS!", status);
        return status;
    }

    deviceContext = DeviceGetContext(device);
    deviceContext->Device = device;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = device;
    status = WdfSpinLockCreate(&attributes, &deviceContext->Lock);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    return I2sInterfaceRegister(device);
}

VOID
I2sEvtDriverContextCleanup(
    _In_ WDFOBJECT DriverObject
    )
{
    PAGED_CODE();

    WPP_CLEANUP(WdfDriverWdmGetDriverObject((WDFDRIVER)DriverObject));
}

//
// Variant selection for the test harness (dmarace_add_driver's SELECT).
//
VOID
I2sSelectStopAtPeriodEnd(
    VOID
    )
{
    I2sVariant = I2sVariantStopAtPeriodEnd;
}

VOID
I2sSelectStopImmediately(
    VOID
    )
{
    I2sVariant = I2sVariantStopImmediately;
}

VOID
I2sSelectFreeChannelAtEnd(
    VOID
    )
{
    I2sVariant = I2sVariantFreeChannelAtEnd;
}
