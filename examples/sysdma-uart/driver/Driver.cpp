/*++

Module Name:

    Driver.cpp

Abstract:

    Entry point of the system-DMA UART driver: WDF driver object, WPP
    tracing, and the device add callback.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Device.h"
#include "UartDevice.h"
#include "Driver.tmh"

SYSDMA_UART_VARIANT SysDmaUartVariant = SysDmaUartVariantFixed;

#ifdef ALLOC_PRAGMA
#pragma alloc_text (INIT, DriverEntry)
#pragma alloc_text (PAGE, SysDmaUartEvtDeviceAdd)
#pragma alloc_text (PAGE, SysDmaUartEvtDriverContextCleanup)
#endif

extern "C"
NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT  DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
/*++

Routine Description:

    Creates the WDF driver object and starts WPP tracing. WPP is stopped by
    the driver object's cleanup callback, or here if the driver object could
    not be created.

Arguments:

    DriverObject - the WDM driver object.

    RegistryPath - the driver's service key.

Return Value:

    STATUS_SUCCESS, or the status of WdfDriverCreate.

--*/
{
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;
    CHAR version[32];

    WPP_INIT_TRACING(DriverObject, RegistryPath);

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC! Entry");

    status = RtlStringCchPrintfA(version, RTL_NUMBER_OF(version), "%u.%u", 1u, 4u);
    if (NT_SUCCESS(status)) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL,
                   "SysDmaUart: driver version %s\n", version);
    }

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.EvtCleanupCallback = SysDmaUartEvtDriverContextCleanup;

    WDF_DRIVER_CONFIG_INIT(&config, SysDmaUartEvtDeviceAdd);
    config.DriverPoolTag = SYSDMA_UART_POOL_TAG;

    status = WdfDriverCreate(DriverObject,
                             RegistryPath,
                             &attributes,
                             &config,
                             WDF_NO_HANDLE);

    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "WdfDriverCreate failed %!STATUS!", status);
        WPP_CLEANUP(DriverObject);
        return status;
    }

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC! Exit");

    return status;
}

NTSTATUS
SysDmaUartEvtDeviceAdd(
    _In_    WDFDRIVER       Driver,
    _Inout_ PWDFDEVICE_INIT DeviceInit
    )
/*++

Routine Description:

    Called by the framework when the PnP manager reports the UART: creates
    the device, its queue and its DMA channels' software state.

--*/
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    PAGED_CODE();

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC! Entry");

    status = SysDmaUartCreateDevice(DeviceInit);

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC! Exit %!STATUS!", status);

    return status;
}

VOID
SysDmaUartEvtDriverContextCleanup(
    _In_ WDFOBJECT DriverObject
    )
/*++

Routine Description:

    Stops WPP tracing as the driver object goes away.

--*/
{
    PAGED_CODE();

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC! Entry");

    WPP_CLEANUP(WdfDriverWdmGetDriverObject((WDFDRIVER)DriverObject));
}

//
// Variant selection for the test harness (dmarace_add_driver's SELECT): run
// before each execution's DriverEntry. Each also installs the model of the
// UART block (../device/UartDevice.c, test code), which raises the RX
// character-timeout interrupt.
//
extern "C"
VOID
SysDmaUartSelectFixed(
    VOID
    )
{
    SysDmaUartVariant = SysDmaUartVariantFixed;
    SysDmaUartDeviceInstall();
}

extern "C"
VOID
SysDmaUartSelectStopRaceBug(
    VOID
    )
{
    SysDmaUartVariant = SysDmaUartVariantStopRaceBug;
    SysDmaUartDeviceInstall();
}

extern "C"
VOID
SysDmaUartSelectIrqStopUnclaimedBug(
    VOID
    )
{
    SysDmaUartVariant = SysDmaUartVariantIrqStopUnclaimedBug;
    SysDmaUartDeviceInstall();
}
