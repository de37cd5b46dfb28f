/* plumbing.h: the device side every busted driver shares (DriverEntry's
 * WdfDriverCreate, EvtDriverDeviceAdd, EvtDevicePrepareHardware creating a
 * system-profile DMA enabler), written as in the published sample
 * (scenarios/published/published.c). Plain KMDF driver code. */
#ifndef BUSTED_PLUMBING_H
#define BUSTED_PLUMBING_H

#include <ntddk.h>
#include <wdf.h>

#define BUSTED_MAX_LENGTH (64 * 1024)

typedef struct _BUSTED_DRIVER_CONFIG {
    PFN_WDF_IO_QUEUE_IO_READ EvtIoRead;
    PCWDF_OBJECT_CONTEXT_TYPE_INFO RequestContextType; /* WDF_GET_CONTEXT_TYPE_INFO(...) */
} BUSTED_DRIVER_CONFIG;

/* WdfDriverCreate with an EvtDriverDeviceAdd that creates the device (direct
 * I/O, request contexts of config->RequestContextType), a parallel default
 * queue with config->EvtIoRead, and, in EvtDevicePrepareHardware, the DMA
 * enabler (WdfDmaProfileSystem, configured for ReadFromDevice). config must
 * outlive the driver. */
NTSTATUS BustedDriverCreate(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                            const BUSTED_DRIVER_CONFIG *Config);

/* The device's DMA enabler. */
WDFDMAENABLER BustedDmaEnabler(WDFDEVICE Device);

#endif
