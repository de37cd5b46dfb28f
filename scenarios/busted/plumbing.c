/* plumbing.c: the device side every busted driver shares (plumbing.h). It has
 * no bug of its own: the bugs are in the request paths of simple.c and
 * guarded.c. */
#include "plumbing.h"

typedef struct _BUSTED_DEVICE_CONTEXT {
    WDFDMAENABLER DmaEnabler;
} BUSTED_DEVICE_CONTEXT, *PBUSTED_DEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(BUSTED_DEVICE_CONTEXT, BustedGetDeviceContext)

static const BUSTED_DRIVER_CONFIG *BustedConfig;

static EVT_WDF_DEVICE_PREPARE_HARDWARE BustedEvtPrepareHardware;
static EVT_WDF_DRIVER_DEVICE_ADD BustedEvtDeviceAdd;

WDFDMAENABLER BustedDmaEnabler(WDFDEVICE Device) { return BustedGetDeviceContext(Device)->DmaEnabler; }

static NTSTATUS BustedEvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    PBUSTED_DEVICE_CONTEXT devCtx = BustedGetDeviceContext(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR desc, dmaDesc = NULL;
    PHYSICAL_ADDRESS registers = {{0, 0}};
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_DMA_SYSTEM_PROFILE_CONFIG systemConfig;
    NTSTATUS status;
    ULONG i;

    UNREFERENCED_PARAMETER(ResourcesRaw);

    for (i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        desc = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (desc == NULL)
            return STATUS_DEVICE_NOT_READY;
        if (desc->Type == CmResourceTypeMemory)
            registers = desc->u.Memory.Start;
        else if (desc->Type == CmResourceTypeDma)
            dmaDesc = desc;
    }
    if (dmaDesc == NULL)
        return STATUS_DEVICE_NOT_READY;

    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileSystem, BUSTED_MAX_LENGTH);
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES, &devCtx->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;

    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&systemConfig, registers, Width32Bits, dmaDesc);
    return WdfDmaEnablerConfigureSystemProfile(devCtx->DmaEnabler, &systemConfig, WdfDmaDirectionReadFromDevice);
}

static NTSTATUS BustedEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = BustedEvtPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ContextTypeInfo = BustedConfig->RequestContextType;
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attributes);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, BUSTED_DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoRead = BustedConfig->EvtIoRead;
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}

NTSTATUS BustedDriverCreate(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                            const BUSTED_DRIVER_CONFIG *Config)
{
    WDF_DRIVER_CONFIG config;
    BustedConfig = Config;
    WDF_DRIVER_CONFIG_INIT(&config, BustedEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
