/* wdfdriver.h: one area of dmarace's wdf.h, which is split by area as KMDF's
 * headers are; a driver includes <wdf.h>, which includes them all. */
#ifndef DMARACE_WDFDRIVER_H
#define DMARACE_WDFDRIVER_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- driver ------------------------------------------------------------------------ */
typedef NTSTATUS EVT_WDF_DRIVER_DEVICE_ADD(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit);
typedef EVT_WDF_DRIVER_DEVICE_ADD *PFN_WDF_DRIVER_DEVICE_ADD;
typedef VOID EVT_WDF_DRIVER_UNLOAD(WDFDRIVER Driver);
typedef EVT_WDF_DRIVER_UNLOAD *PFN_WDF_DRIVER_UNLOAD;

typedef struct _WDF_DRIVER_CONFIG {
    ULONG Size;
    PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;
    PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;
    ULONG DriverInitFlags;
    ULONG DriverPoolTag;
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;

static inline VOID WDF_DRIVER_CONFIG_INIT(PWDF_DRIVER_CONFIG Config, PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd)
{
    *Config = KM_WDF_ZERO(WDF_DRIVER_CONFIG);
    Config->Size = sizeof(WDF_DRIVER_CONFIG);
    Config->EvtDriverDeviceAdd = EvtDriverDeviceAdd;
}

_Must_inspect_result_ NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                                               PWDF_OBJECT_ATTRIBUTES DriverAttributes,
                                               PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver);
typedef NTSTATUS DRIVER_INITIALIZE(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

/* ---- setup DDIs (issue 13; docs/api-support.md) ----------------------------------------- */
PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver);
_Must_inspect_result_ NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess,
                                                                  PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key);

#ifdef __cplusplus
}
#endif
#endif
