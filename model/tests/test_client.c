/* test_client.c: the client hook (km_client.h) and WdfDeviceAddQueryInterface.
 * A tiny driver with no I/O queue exports a function table; the client
 * acquires it as IRP_MN_QUERY_INTERFACE would (KmClientQueryInterface) and
 * calls it from two tasks, one of them at DISPATCH_LEVEL. In the buggy
 * variant the exported Release deletes a collection with an unlocked
 * check-then-act, so two clients can delete it twice (C11); the fixed one
 * takes it with InterlockedExchangePointer. */
#include "km.h"
#include "km_client.h"
#include "km_test.h"
#include "wdf.h"

static const GUID GUID_DEMO_INTERFACE = {0x8a1c2f3e, 0x55aa, 0x4d2b, {0x9e, 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76}};
static const GUID GUID_OTHER = {0x1, 0x2, 0x3, {4, 5, 6, 7, 8, 9, 10, 11}};
static const GUID GUID_IMPORT = {0x2, 0x2, 0x3, {4, 5, 6, 7, 8, 9, 10, 11}};
static const GUID GUID_DENY = {0x3, 0x2, 0x3, {4, 5, 6, 7, 8, 9, 10, 11}};

typedef struct DEMO_INTERFACE {
    INTERFACE Header;
    VOID (*DoWork)(PVOID Context);
    VOID (*Release)(PVOID Context);
} DEMO_INTERFACE;

typedef struct DEMO_CONTEXT {
    LONG refs;
    LONG calls;
    LONG dispatch_calls;
    WDFCOLLECTION buffers;
} DEMO_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEMO_CONTEXT, GetDemoContext)

static bool racy_release;  /* the buggy variant */
static bool with_client;   /* give the scenario its client */
static WDFDEVICE the_device;
static int seq, process_seq, reference_seq, reference_calls, dereference_calls, process_calls;
static bool started, client_saw_started;
static NTSTATUS qi_status, qi_unknown, qi_small, add_status, start_status;
static bool table_ok;
static LONG tasks_left;
static NTSTATUS qi_import, qi_deny;
static int import_refs, import_seen_version, deny_refs;
static bool import_ok;

/* ImportInterface: the framework leaves the caller's buffer as it came, and
 * the callback fills it. */
static VOID ImportReference(PVOID Context)
{
    (void)Context;
    import_refs++;
}

static NTSTATUS ImportProcess(WDFDEVICE Device, LPGUID InterfaceType, PINTERFACE ExposedInterface,
                              PVOID ExposedInterfaceSpecificData)
{
    (void)InterfaceType;
    (void)ExposedInterfaceSpecificData;
    import_seen_version = ExposedInterface->Version;
    ExposedInterface->Context = Device;
    ExposedInterface->InterfaceReference = ImportReference;
    ExposedInterface->InterfaceDereference = NULL;
    return STATUS_SUCCESS;
}

static VOID DenyReference(PVOID Context)
{
    (void)Context;
    deny_refs++;
}

static NTSTATUS DenyProcess(WDFDEVICE Device, LPGUID InterfaceType, PINTERFACE ExposedInterface,
                            PVOID ExposedInterfaceSpecificData)
{
    (void)Device;
    (void)InterfaceType;
    (void)ExposedInterface;
    (void)ExposedInterfaceSpecificData;
    return STATUS_ACCESS_DENIED;
}

static VOID DemoReference(PVOID Context)
{
    reference_calls++;
    reference_seq = ++seq;
    InterlockedIncrement(&GetDemoContext(Context)->refs);
}

static VOID DemoDereference(PVOID Context)
{
    dereference_calls++;
    InterlockedDecrement(&GetDemoContext(Context)->refs);
}

static VOID DemoDoWork(PVOID Context)
{
    DEMO_CONTEXT *ctx = GetDemoContext(Context);
    InterlockedIncrement(&ctx->calls);
    if (KeGetCurrentIrql() == DISPATCH_LEVEL)
        InterlockedIncrement(&ctx->dispatch_calls);
}

static VOID DemoRelease(PVOID Context)
{
    DEMO_CONTEXT *ctx = GetDemoContext(Context);
    if (racy_release) {
        if (ctx->buffers) { /* check, then act: another client can pass the check too */
            WdfObjectDelete(ctx->buffers);
            ctx->buffers = NULL;
        }
        return;
    }
    WDFCOLLECTION b = (WDFCOLLECTION)InterlockedExchangePointer((PVOID volatile *)&ctx->buffers, NULL);
    if (b)
        WdfObjectDelete(b);
}

static NTSTATUS DemoProcessQueryInterface(WDFDEVICE Device, LPGUID InterfaceType, PINTERFACE ExposedInterface,
                                          PVOID ExposedInterfaceSpecificData)
{
    (void)Device;
    (void)ExposedInterfaceSpecificData;
    process_calls++;
    process_seq = ++seq;
    /* The framework copied the registered table before calling. */
    table_ok = memcmp(InterfaceType, &GUID_DEMO_INTERFACE, sizeof(GUID)) == 0 &&
               ((DEMO_INTERFACE *)ExposedInterface)->DoWork == DemoDoWork;
    return STATUS_SUCCESS;
}

static NTSTATUS EvtD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    (void)Device;
    (void)PreviousState;
    started = true;
    return STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    (void)Driver;
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDeviceD0Entry = EvtD0Entry;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, DEMO_CONTEXT);
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, &attrs, &the_device);
    if (!NT_SUCCESS(st))
        return st;
    st = WdfCollectionCreate(WDF_NO_OBJECT_ATTRIBUTES, &GetDemoContext(the_device)->buffers);
    if (!NT_SUCCESS(st))
        return st;
    DEMO_INTERFACE table = {{sizeof(DEMO_INTERFACE), 1, the_device, DemoReference, DemoDereference},
                            DemoDoWork,
                            DemoRelease};
    WDF_QUERY_INTERFACE_CONFIG qic;
    WDF_QUERY_INTERFACE_CONFIG_INIT(&qic, &table.Header, &GUID_DEMO_INTERFACE, DemoProcessQueryInterface);
    add_status = WdfDeviceAddQueryInterface(the_device, &qic);
    if (!NT_SUCCESS(add_status))
        return add_status;
    WDF_QUERY_INTERFACE_CONFIG_INIT(&qic, NULL, &GUID_IMPORT, ImportProcess);
    qic.ImportInterface = TRUE;
    add_status = WdfDeviceAddQueryInterface(the_device, &qic);
    if (!NT_SUCCESS(add_status))
        return add_status;
    INTERFACE deny = {sizeof(INTERFACE), 1, the_device, DenyReference, NULL};
    WDF_QUERY_INTERFACE_CONFIG_INIT(&qic, &deny, &GUID_DENY, DenyProcess);
    add_status = WdfDeviceAddQueryInterface(the_device, &qic);
    return add_status;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

/* ---- the client ------------------------------------------------------------------- */

static DEMO_INTERFACE demo;

static VOID DoWorkStep(PVOID Context)
{
    (void)Context;
    demo.DoWork(demo.Header.Context);
}

/* Each task calls the table, then releases; the last one out drops the
 * interface's reference. */
static VOID ClientTask(PVOID Context)
{
    if (Context)
        KmClientAtDispatch(DoWorkStep, NULL);
    else
        demo.DoWork(demo.Header.Context);
    demo.Release(demo.Header.Context);
    if (InterlockedDecrement(&tasks_left) == 0)
        demo.Header.InterfaceDereference(demo.Header.Context);
}

static VOID Client(PVOID Context)
{
    (void)Context;
    client_saw_started = started;
    DEMO_INTERFACE other;
    qi_unknown = KmClientQueryInterface(&GUID_OTHER, &other.Header, sizeof other, 1, NULL);
    qi_small = KmClientQueryInterface(&GUID_DEMO_INTERFACE, &other.Header, sizeof(INTERFACE), 1, NULL);
    INTERFACE imported = {sizeof(INTERFACE), 0x55, NULL, NULL, NULL};
    qi_import = KmClientQueryInterface(&GUID_IMPORT, &imported, sizeof imported, 0x55, NULL);
    import_ok = imported.Size == sizeof(INTERFACE) && imported.Version == 0x55 && imported.Context == the_device;
    INTERFACE denied = {0};
    qi_deny = KmClientQueryInterface(&GUID_DENY, &denied, sizeof denied, 1, NULL);
    qi_status = KmClientQueryInterface(&GUID_DEMO_INTERFACE, &demo.Header, sizeof demo, 1, NULL);
    if (!NT_SUCCESS(qi_status))
        return;
    tasks_left = 2;
    start_status = KmClientStart(1, ClientTask, (PVOID)1, "client-2");
    ClientTask(NULL);
}

static km_env env;

static void setup(void)
{
    seq = process_seq = reference_seq = reference_calls = dereference_calls = process_calls = 0;
    started = client_saw_started = table_ok = false;
    qi_status = qi_unknown = qi_small = add_status = start_status = qi_import = qi_deny = STATUS_UNSUCCESSFUL;
    import_refs = import_seen_version = deny_refs = 0;
    import_ok = false;
    memset(&demo, 0, sizeof demo);
    km_world_start_client(&env, DriverEntry, with_client ? Client : NULL);
}

static void check(void) { km_world_check(); }

static const dr_scenario scn = {"test-client", "client hook", "clean", 2, 4, 1, setup, check, NULL, 0};

static void test_fixed(void)
{
    racy_release = false;
    with_client = true;
    km_env_defaults(&env);
    km_test_result r = km_test_run(&scn, "random", 500, false);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 500);
    /* The last execution: the interface was obtained and referenced once,
     * after EvtDeviceProcessQueryInterfaceRequest saw the copied table. */
    KCHECK(add_status == STATUS_SUCCESS && client_saw_started);
    KCHECK(qi_unknown == STATUS_NOT_SUPPORTED && qi_small == STATUS_INVALID_BUFFER_SIZE);
    KCHECK(qi_status == STATUS_SUCCESS && demo.DoWork == DemoDoWork && demo.Release == DemoRelease &&
           demo.Header.Context == (PVOID)the_device);
    KCHECK(process_calls == 1 && table_ok && reference_calls == 1 && process_seq < reference_seq);
    /* Both tasks called, one at DISPATCH_LEVEL; the reference was dropped. */
    DEMO_CONTEXT *ctx = km_w.device->ctx[0].mem;
    KCHECK(start_status == STATUS_SUCCESS && ctx->calls == 2 && ctx->dispatch_calls == 1);
    KCHECK(dereference_calls == 1 && ctx->refs == 0 && ctx->buffers == NULL);
    /* No queue, a client: the I/O manager sent nothing. */
    KCHECK(km_w.nrequests == 0);
    KCHECK(km_w.device->u.dev.setup.nqi == 3);
    /* ImportInterface: the caller's buffer untouched by the framework, filled
     * by the callback, then referenced through what the callback put there. */
    KCHECK(qi_import == STATUS_SUCCESS && import_ok && import_seen_version == 0x55 && import_refs == 1);
    /* A failing callback: its status, and no reference. */
    KCHECK(qi_deny == STATUS_ACCESS_DENIED && deny_refs == 0);
    /* PCT finds nothing either. */
    r = km_test_run(&scn, "pct", 500, false);
    KEXPECT_CLEAN(r);
}

static void test_racy(void)
{
    racy_release = true;
    with_client = true;
    km_env_defaults(&env);
    km_test_result r = km_test_find(&scn, 5000, "C11");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "C11: WdfObjectDelete: handle of a freed object");
}

/* Without a client, a driver with no default queue is still an error. */
static void test_no_client(void)
{
    racy_release = false;
    with_client = false;
    km_env_defaults(&env);
    km_test_result r = km_test_run(&scn, "random", 1, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "no default queue");
}

int main(void)
{
    test_fixed();
    test_racy();
    test_no_client();
    return km_test_done();
}
