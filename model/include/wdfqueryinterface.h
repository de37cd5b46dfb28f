/* wdfqueryinterface.h: one area of dmarace's wdf.h, as KMDF's headers are
 * split; a driver includes <wdf.h>. A driver exports a direct-call interface
 * with WdfDeviceAddQueryInterface; a scenario's client acquires it with
 * KmClientQueryInterface (km_client.h), as IRP_MN_QUERY_INTERFACE would. */
#ifndef DMARACE_WDFQUERYINTERFACE_H
#define DMARACE_WDFQUERYINTERFACE_H

#include "wdfdevice.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef NTSTATUS EVT_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST(WDFDEVICE Device, LPGUID InterfaceType,
                                                                PINTERFACE ExposedInterface,
                                                                PVOID ExposedInterfaceSpecificData);
typedef EVT_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST *PFN_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST;

typedef struct _WDF_QUERY_INTERFACE_CONFIG {
    ULONG Size;
    PINTERFACE Interface;
    CONST GUID *InterfaceType;
    BOOLEAN SendQueryToParentStack;
    PFN_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST EvtDeviceProcessQueryInterfaceRequest;
    BOOLEAN ImportInterface;
} WDF_QUERY_INTERFACE_CONFIG, *PWDF_QUERY_INTERFACE_CONFIG;

static inline VOID WDF_QUERY_INTERFACE_CONFIG_INIT(
    PWDF_QUERY_INTERFACE_CONFIG InterfaceConfig, PINTERFACE Interface, CONST GUID *InterfaceType,
    PFN_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST EvtDeviceProcessQueryInterfaceRequest)
{
    *InterfaceConfig = KM_WDF_ZERO(WDF_QUERY_INTERFACE_CONFIG);
    InterfaceConfig->Size = sizeof(WDF_QUERY_INTERFACE_CONFIG);
    InterfaceConfig->Interface = Interface;
    InterfaceConfig->InterfaceType = InterfaceType;
    InterfaceConfig->EvtDeviceProcessQueryInterfaceRequest = EvtDeviceProcessQueryInterfaceRequest;
}

_Must_inspect_result_ NTSTATUS WdfDeviceAddQueryInterface(WDFDEVICE Device,
                                                          PWDF_QUERY_INTERFACE_CONFIG InterfaceConfig);

/* ---- reference routines that do nothing (issue 13, examples/i2s-interface) ----
 * For INTERFACE::InterfaceReference and ::InterfaceDereference of an
 * interface usable whatever the device's PnP state: KMDF's public
 * wdfqueryinterface.h defines both as FORCEINLINE functions that do nothing
 * (src/publicinc/wdf/kmdf/1.19/wdfqueryinterface.h); they are not DDIs. */
static inline VOID WdfDeviceInterfaceReferenceNoOp(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
}

static inline VOID WdfDeviceInterfaceDereferenceNoOp(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
}

#ifdef __cplusplus
}
#endif
#endif
