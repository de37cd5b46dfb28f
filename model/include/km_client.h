/* km_client.h: the client hook. A scenario may give a driver a client: code
 * that stands for another driver (or a user of the device) calling what the
 * driver exports instead of sending it I/O requests, e.g. the function table
 * an audio DMA driver exports through WdfDeviceAddQueryInterface. The client
 * is driver-side code (compiled as the driver is: its accesses are scheduling
 * points); it runs on passive threads once the device has started
 * (EvtDeviceD0Entry returned), and the execution ends when every client task
 * has returned. docs/model.md, "The client hook". */
#ifndef KM_CLIENT_H
#define KM_CLIENT_H

#include "wdf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A client task's routine. The scenario's client (CLIENT in
 * dmarace_add_driver, SCN_DRIVER_CLIENT in scenarios/scn.h) is the first
 * task, started with Context NULL on processor 0. */
typedef VOID KM_CLIENT(PVOID Context);

/* What IRP_MN_QUERY_INTERFACE sent to the device would do, with KMDF's
 * handling (fxpkgpnp.cpp FxPkgPnp::HandleQueryInterface): find the interface
 * registered for InterfaceType; if it has an INTERFACE, fail with
 * STATUS_INVALID_BUFFER_SIZE when its Size or Version exceeds the caller's,
 * else copy it into *Interface (unless ImportInterface); call
 * EvtDeviceProcessQueryInterfaceRequest if set (a failure other than
 * STATUS_NOT_SUPPORTED is returned as is); then call the exposed interface's
 * InterfaceReference(Context). STATUS_NOT_SUPPORTED when no interface
 * matches. PASSIVE_LEVEL only (as PnP IRPs are sent), from a client task. */
_Must_inspect_result_ NTSTATUS KmClientQueryInterface(const GUID *InterfaceType, PINTERFACE Interface, USHORT Size,
                                                      USHORT Version, PVOID InterfaceSpecificData);

/* Start another client task: Routine(Context) on a passive thread bound to
 * processor Processor (modulo the processors of the execution). Name is for
 * traces. STATUS_INVALID_DEVICE_STATE outside a client task. */
NTSTATUS KmClientStart(ULONG Processor, KM_CLIENT *Routine, PVOID Context, PCSTR Name);

/* Run Routine(Context) at DISPATCH_LEVEL (KeRaiseIrql, then KeLowerIrql), as
 * a client calling from a DPC or under a spin lock would. */
VOID KmClientAtDispatch(KM_CLIENT *Routine, PVOID Context);

#ifdef __cplusplus
}
#endif
#endif
