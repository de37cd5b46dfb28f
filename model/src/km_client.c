/* km_client.c: interfaces a driver exports (WdfDeviceAddQueryInterface,
 * fxqueryinterfaceapi.cpp) and the client hook that acquires and calls them
 * (km_client.h): KmClientQueryInterface answers as KMDF answers
 * IRP_MN_QUERY_INTERFACE (fxpkgpnp.cpp FxPkgPnp::HandleQueryInterface), and
 * client tasks are passive threads of the execution. */
#include "km.h"

#include <string.h>

DR_SITE(site_add_qi, "WdfDeviceAddQueryInterface");
DR_SITE(site_client_qi, "KmClientQueryInterface");
DR_SITE(site_client_start, "KmClientStart");

/* fxqueryinterfaceapi.cpp WdfDeviceAddQueryInterface, in its order. */
NTSTATUS WdfDeviceAddQueryInterface(WDFDEVICE Device, PWDF_QUERY_INTERFACE_CONFIG InterfaceConfig)
{
    const char *api = "WdfDeviceAddQueryInterface";
    km_object *d = km_lookup(Device, KM_T_DEVICE, api, false);
    if (!d)
        return STATUS_INVALID_HANDLE;
    if (!InterfaceConfig || !InterfaceConfig->InterfaceType) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "InterfaceConfig or its InterfaceType is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (!km_enter_irql_checked(&site_add_qi, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    const WDF_QUERY_INTERFACE_CONFIG *c = InterfaceConfig;
    PINTERFACE itf = c->Interface;
    if (c->Size != sizeof(WDF_QUERY_INTERFACE_CONFIG))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (c->SendQueryToParentStack)
        return STATUS_INVALID_PARAMETER; /* only a PDO may; the model's device is an FDO */
    if (!itf && !c->ImportInterface)
        return STATUS_INVALID_PARAMETER;
    if (c->ImportInterface && !c->EvtDeviceProcessQueryInterfaceRequest)
        return STATUS_INVALID_PARAMETER;
    if (itf && itf->Size < sizeof(INTERFACE))
        return STATUS_INVALID_PARAMETER;
    km_device_setup *s = &d->u.dev.setup;
    /* KMDF's copy is pool memory of Interface->Size bytes: the model's is
     * bounded (km.h), a larger interface is refused as a failed allocation. */
    if (s->nqi == KM_MAX_QUERY_INTERFACES || (itf && itf->Size > KM_MAX_INTERFACE_BYTES))
        return STATUS_INSUFFICIENT_RESOURCES;
    km_query_interface *q = &s->qi[s->nqi++];
    memset(q, 0, sizeof *q);
    q->type = *c->InterfaceType;
    q->import = c->ImportInterface != FALSE;
    q->process = c->EvtDeviceProcessQueryInterfaceRequest;
    if (itf) {
        q->has_interface = true;
        memcpy(q->copy.bytes, itf, itf->Size);
        /* NULL reference routines become KMDF's no-ops
         * (FxDevice::_InterfaceReferenceNoOp): the model leaves them NULL
         * and skips the call. */
    }
    km_trace(&site_add_qi, d, s->nqi);
    return STATUS_SUCCESS;
}

/* ---- the client hook ----------------------------------------------------------------- */

NTSTATUS KmClientQueryInterface(const GUID *InterfaceType, PINTERFACE Interface, USHORT Size, USHORT Version,
                                PVOID InterfaceSpecificData)
{
    const char *api = "KmClientQueryInterface";
    /* PnP IRPs are sent at PASSIVE_LEVEL (V33, dmarace's own). */
    if (!km_enter(&site_client_qi, PASSIVE_LEVEL))
        return STATUS_UNSUCCESSFUL;
    if (!km_w.device || !km_w.device_started)
        return STATUS_INVALID_DEVICE_STATE;
    if (!InterfaceType || !Interface) {
        km_oracle("CLIENT-CALL", "bad client call", "%s: InterfaceType and Interface are required", api);
        return STATUS_INVALID_PARAMETER;
    }
    km_object *dev = km_w.device;
    km_device_setup *s = &dev->u.dev.setup;
    km_query_interface *found = NULL;
    /* Under m_QueryInterfaceLock: the first registered interface of the type. */
    for (unsigned i = 0; i < s->nqi && !found; i++)
        if (memcmp(&s->qi[i].type, InterfaceType, sizeof(GUID)) == 0)
            found = &s->qi[i];
    km_trace(&site_client_qi, dev, found ? (int64_t)(found - s->qi) : -1);
    if (!found)
        return STATUS_NOT_SUPPORTED; /* the PnP IRP's initial status, no driver below answers */
    if (found->has_interface) {
        if (found->copy.hdr.Size > Size || found->copy.hdr.Version > Version)
            return STATUS_INVALID_BUFFER_SIZE;
        if (!found->import)
            memcpy(Interface, found->copy.bytes, found->copy.hdr.Size);
    }
    NTSTATUS st = STATUS_SUCCESS;
    if (found->process) {
        GUID type = *InterfaceType;
        st = found->process((WDFDEVICE)km_handle(dev), &type, Interface, InterfaceSpecificData);
        dr_framework_resume();
        if (dr_failed())
            return STATUS_UNSUCCESSFUL;
        if (!NT_SUCCESS(st) && st != STATUS_NOT_SUPPORTED)
            return st;
    }
    /* The exposed interface's own reference routine, whatever the callback
     * left in it (STATUS_NOT_SUPPORTED from the callback included: KMDF
     * references, then sends the IRP down with that status). */
    if (Interface->InterfaceReference) {
        Interface->InterfaceReference(Interface->Context);
        dr_framework_resume();
    }
    return st;
}

typedef struct client_task {
    KM_CLIENT *routine;
    PVOID context;
} client_task;
enum { MAX_CLIENT_TASKS = 16 };
static client_task client_tasks[MAX_CLIENT_TASKS];

static void client_task_main(void *arg)
{
    const client_task *t = arg;
    t->routine(t->context);
    dr_framework_resume();
}

NTSTATUS KmClientStart(ULONG Processor, KM_CLIENT *Routine, PVOID Context, PCSTR Name)
{
    if (!km_enter(&site_client_start, PASSIVE_LEVEL))
        return STATUS_UNSUCCESSFUL;
    if (!km_w.client || !dr_in_task())
        return STATUS_INVALID_DEVICE_STATE;
    if (!Routine) {
        km_oracle("CLIENT-CALL", "bad client call", "KmClientStart: Routine is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (km_w.nclient_tasks == MAX_CLIENT_TASKS)
        return STATUS_INSUFFICIENT_RESOURCES;
    client_task *t = &client_tasks[km_w.nclient_tasks++];
    t->routine = Routine;
    t->context = Context;
    dr_thread_create(Processor % dr_cpus(), client_task_main, t, Name ? Name : "client");
    return STATUS_SUCCESS;
}

VOID KmClientAtDispatch(KM_CLIENT *Routine, PVOID Context)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (dr_failed())
        return;
    Routine(Context);
    dr_framework_resume();
    if (dr_failed())
        return;
    KeLowerIrql(old);
}
