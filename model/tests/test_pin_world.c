/* test_pin_world.c: the world around the driver (km_world.c) and the
 * environment syntax (km_envparse.c), in the details no other test pins
 * (issue 12, mutation survivors M028, M031-M051): WdfDriverCreate once,
 * WdfDeviceInitSetIoType, the default queue's rules, a request no EvtIo*
 * takes, the I/O manager's cancel after completion, the end-of-execution
 * oracle for a transaction left in Transfer, a failing
 * EvtDevicePrepareHardware, the resource list's bounds, and the default
 * request length. KMDF sources are in microsoft/Windows-Driver-Frameworks. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

typedef enum {
    W_PLAIN,            /* EvtIoRead completes with success */
    W_DRIVER_TWICE,     /* DriverEntry calls WdfDriverCreate twice */
    W_IO_DIRECT,        /* EvtDeviceAdd sets WdfDeviceIoDirect */
    W_SECOND_DEFAULT,   /* two default queues */
    W_MANUAL_DEFAULT,   /* a manual default queue, then a parallel one */
    W_NO_READ_CALLBACK, /* the default queue has only EvtIoWrite */
    W_CHILD_CLEANUP,    /* a child of the request looks at the cancel in its cleanup */
    W_TX_LEFT,          /* Execute a transaction and complete the request without DmaCompleted */
    W_PREPARE_FAILS,    /* EvtDevicePrepareHardware returns a failure */
} wmode;

static wmode mode;
static km_env env;
static WDFDEVICE g_device;
static WDFQUEUE g_first_queue;
static WDFDMAENABLER g_enabler;
static UCHAR g_dma_buffer[KM_PAGE_SIZE];

/* Observations of one execution. */
static NTSTATUS g_second_status, g_manual_status;
static WDFQUEUE g_second_queue;
static WDFDRIVER g_second_driver;
static WDF_DEVICE_IO_TYPE g_io_type_seen;
static size_t g_read_length;
static LONG g_reads, g_writes, g_child_cleanups, g_cancel_armed_in_cleanup, g_not_completed_in_cleanup;
static ULONG g_res_count;
static PCM_PARTIAL_RESOURCE_DESCRIPTOR g_res_last, g_res_past;
static NTSTATUS g_req_status;
static uint32_t g_req_completions;

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    return TRUE; /* and nobody ever calls DmaCompleted */
}

/* The request's child is deleted by the completion, before the request
 * itself is disposed: the request is completed, and the I/O manager's cancel
 * must be gone already (an IRP the I/O manager no longer owns cannot be
 * cancelled). */
static VOID EvtChildCleanup(WDFOBJECT Object)
{
    UNREFERENCED_PARAMETER(Object);
    km_object *r = km_w.requests[0];
    InterlockedIncrement(&g_child_cleanups);
    if (r->u.req.state != KM_REQ_COMPLETED)
        InterlockedIncrement(&g_not_completed_in_cleanup);
    if (dr_event_armed(&r->u.req.cancel_event))
        InterlockedIncrement(&g_cancel_armed_in_cleanup);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    WDF_OBJECT_ATTRIBUTES a;
    UNREFERENCED_PARAMETER(Queue);
    InterlockedIncrement(&g_reads);
    g_read_length = Length;
    if (mode == W_CHILD_CLEANUP) {
        WDFSPINLOCK child;
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.ParentObject = Request;
        a.EvtCleanupCallback = EvtChildCleanup;
        if (!NT_SUCCESS(WdfSpinLockCreate(&a, &child)))
            return;
    }
    if (mode == W_TX_LEFT) {
        WDFDMATRANSACTION tx;
        if (!NT_SUCCESS(WdfDmaTransactionCreate(g_enabler, WDF_NO_OBJECT_ATTRIBUTES, &tx)))
            return;
        if (!NT_SUCCESS(WdfDmaTransactionInitialize(tx, EvtProgramDma, WdfDmaDirectionReadFromDevice,
                                                    (PMDL)g_dma_buffer, g_dma_buffer, sizeof g_dma_buffer)))
            return;
        if (!NT_SUCCESS(WdfDmaTransactionExecute(tx, NULL)))
            return;
    }
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0);
}

static VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    InterlockedIncrement(&g_writes);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(ResourcesRaw);
    if (mode == W_PREPARE_FAILS)
        return STATUS_DEVICE_NOT_READY;
    g_res_count = WdfCmResourceListGetCount(ResourcesTranslated);
    g_res_last = g_res_count ? WdfCmResourceListGetDescriptor(ResourcesTranslated, g_res_count - 1) : NULL;
    g_res_past = WdfCmResourceListGetDescriptor(ResourcesTranslated, g_res_count);
    if (mode == W_TX_LEFT) {
        WDF_DMA_SYSTEM_PROFILE_CONFIG pc;
        PHYSICAL_ADDRESS fifo;
        fifo.QuadPart = 0xFED00010;
        WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&pc, fifo, Width32Bits, g_res_last);
        return WdfDmaEnablerConfigureSystemProfile(g_enabler, &pc, WdfDmaDirectionReadFromDevice);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_IO_QUEUE_CONFIG qc;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = EvtPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    if (mode == W_IO_DIRECT)
        WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &g_device);
    if (!NT_SUCCESS(st))
        return st;
    if (mode == W_TX_LEFT) {
        WDF_DMA_ENABLER_CONFIG dc;
        WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileSystem, 64 * 1024);
        st = WdfDmaEnablerCreate(g_device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &g_enabler);
        if (!NT_SUCCESS(st))
            return st;
    }
    if (mode == W_MANUAL_DEFAULT) {
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchManual);
        g_manual_status = WdfIoQueueCreate(g_device, &qc, WDF_NO_OBJECT_ATTRIBUTES, NULL);
    }
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    if (mode == W_NO_READ_CALLBACK)
        qc.EvtIoWrite = EvtIoWrite;
    else
        qc.EvtIoRead = EvtIoRead;
    st = WdfIoQueueCreate(g_device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &g_first_queue);
    if (!NT_SUCCESS(st))
        return st;
    if (mode == W_SECOND_DEFAULT) {
        /* A second default queue whose EvtIoRead would fail every request. */
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
        qc.EvtIoRead = EvtIoWrite;
        g_second_queue = NULL;
        g_second_status = WdfIoQueueCreate(g_device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &g_second_queue);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    NTSTATUS st = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(st))
        return st;
    if (mode == W_DRIVER_TWICE) {
        g_second_driver = NULL;
        g_second_status =
            WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, &g_second_driver);
    }
    return STATUS_SUCCESS;
}

static void setup(void)
{
    g_second_status = g_manual_status = STATUS_PENDING;
    g_reads = g_writes = g_child_cleanups = g_cancel_armed_in_cleanup = g_not_completed_in_cleanup = 0;
    g_read_length = 0;
    g_res_count = 0;
    g_res_last = g_res_past = NULL;
    g_io_type_seen = WdfDeviceIoUndefined;
    g_req_status = STATUS_PENDING;
    g_req_completions = 0;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    /* What the world recorded of the device and the request's IRP. */
    if (km_w.device)
        g_io_type_seen = km_w.device->u.dev.io_type;
    if (km_w.nrequests) {
        g_req_status = km_w.request_status[0];
        g_req_completions = km_w.request_completions[0];
    }
}

static const dr_scenario scn = {"test-pin-world", "world details", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run(wmode m, bool cancel, long max)
{
    mode = m;
    km_env_defaults(&env);
    env.cancel = cancel;
    return km_test_run(&scn, "random", max, true);
}

/* km_env_defaults: one read request of three pages (three transfers with
 * the default two map registers), as docs/model.md describes; the driver's
 * EvtIoRead gets that length. */
static void test_default_request_length(void)
{
    km_env d;
    km_env_defaults(&d);
    KCHECK(d.request_length == 3 * KM_PAGE_SIZE);
    KCHECK(d.requests == 1 && d.request_type == WdfRequestTypeRead && d.map_registers == 2);
    km_test_result r = run(W_PLAIN, false, 3);
    KEXPECT_CLEAN(r);
    KCHECK(g_reads == 1);
    KCHECK(g_read_length == 3 * KM_PAGE_SIZE);
}

/* The environment syntax takes unsigned numbers only: a sign is refused
 * (km_envparse.c), not read by strtoull, and the environment is unchanged. */
static void test_env_signed_numbers(void)
{
    static const char *bad[] = {"requests=+1", "requests=+2", "map_registers=+3", "request_length=+2p",
                                "requests=-0"};
    km_env d;
    km_env_defaults(&d);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        km_env e = d;
        char err[256] = "";
        int rc = km_env_parse(&e, bad[i], err, sizeof err);
        KCHECK(rc == -1);
        KCHECK(strstr(err, "bad value") != NULL);
        KCHECK(memcmp(&e, &d, sizeof e) == 0);
        if (rc != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
    }
    km_env e = d;
    char err[256] = "";
    KCHECK(km_env_parse(&e, "requests=2", err, sizeof err) == 0 && e.requests == 2);
}

/* fxdriverapi.cpp#WdfDriverCreate: "can only be called one time per WDM
 * PDRIVER_OBJECT", STATUS_DRIVER_INTERNAL_ERROR, and no handle. The first
 * driver stays: the execution runs on. */
static void test_driver_create_twice(void)
{
    km_test_result r = run(W_DRIVER_TWICE, false, 3);
    KEXPECT_CLEAN(r);
    KCHECK(g_second_status == STATUS_DRIVER_INTERNAL_ERROR);
    KCHECK(g_second_driver == NULL);
    KCHECK(g_reads == 1);
}

/* WdfDeviceInitSetIoType reaches the device (fxdevice.cpp#FxDevice::
 * Initialize copies DeviceInit->ReadWriteIoType); without it the device is
 * buffered (fxdeviceinit.cpp, WDFDEVICE_INIT's constructor). */
static void test_io_type(void)
{
    km_test_result r = run(W_IO_DIRECT, false, 3);
    KEXPECT_CLEAN(r);
    KCHECK(g_io_type_seen == WdfDeviceIoDirect);
    r = run(W_PLAIN, false, 3);
    KEXPECT_CLEAN(r);
    KCHECK(g_io_type_seen == WdfDeviceIoBuffered);
}

/* FxPkgIo::InitializeDefaultQueue (fxpkgio.cpp): one default queue per
 * device; the second fails with STATUS_UNSUCCESSFUL and is deleted, no
 * handle is returned, and requests still go to the first. */
static void test_second_default_queue(void)
{
    km_test_result r = run(W_SECOND_DEFAULT, false, 10);
    KEXPECT_CLEAN(r);
    KCHECK(g_second_status == STATUS_UNSUCCESSFUL);
    KCHECK(g_second_queue == NULL);
    KCHECK(g_reads == 1 && g_writes == 0);
    KCHECK(g_req_status == STATUS_SUCCESS);
}

/* A manual default queue is a queue like the others (issue 15): it is the
 * default queue, so the parallel one created next is a second default
 * queue (STATUS_UNSUCCESSFUL) and EvtDriverDeviceAdd fails with it. */
static void test_manual_default_queue(void)
{
    km_test_result r = run(W_MANUAL_DEFAULT, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "EvtDriverDeviceAdd failed");
    KCHECK(g_manual_status == STATUS_SUCCESS);
    KCHECK(g_reads == 0);
}

/* FxIoQueue::DispatchRequestToDriver (fxioqueue.cpp): no EvtIoRead and no
 * EvtIoDefault: "Driver has no event callback", the request is completed
 * with STATUS_INVALID_DEVICE_REQUEST, once. */
static void test_request_no_callback_takes(void)
{
    km_test_result r = run(W_NO_READ_CALLBACK, false, 10);
    KEXPECT_CLEAN(r);
    KCHECK(g_reads == 0 && g_writes == 0);
    KCHECK(g_req_completions == 1);
    KCHECK(g_req_status == STATUS_INVALID_DEVICE_REQUEST);
}

/* The completion takes the IRP from the I/O manager: from then on its
 * cancel cannot fire. A child's EvtCleanupCallback runs inside the
 * completion (the request's children are disposed first,
 * fxobjectstatemachine.cpp#DisposeChildrenWorker), after the IRP was
 * completed: the cancel is disarmed there already. */
static void test_completion_disarms_cancel(void)
{
    long cleanups = 0, armed = 0, early = 0;
    mode = W_CHILD_CLEANUP;
    km_env_defaults(&env);
    env.cancel = true;
    dr_strategy *s = dr_strategy_random(1);
    dr_run_config cfg = {.cpus = 0};
    long clean = 0;
    for (long e = 0; e < 300; e++) {
        dr_exec_result res;
        if (dr_run(&scn, &cfg, s, (uint64_t)e, &res) != 0)
            break;
        clean += res.finding.kind == DR_FIND_NONE;
        cleanups += g_child_cleanups;
        armed += g_cancel_armed_in_cleanup;
        early += g_not_completed_in_cleanup;
        if (!dr_strategy_next(s, &res))
            break;
    }
    dr_strategy_destroy(s);
    KCHECK(clean == 300);
    KCHECK(cleanups == 300);
    KCHECK(early == 0);
    KCHECK(armed == 0);
}

/* The end-of-execution oracle: a transaction still in Transfer when every
 * request is done is a transfer nothing will ever finish
 * (kmdf-model-spec.md 2.1: DmaCompleted* ends the Transfer state). */
static void test_transaction_left_in_transfer(void)
{
    km_test_result r = run(W_TX_LEFT, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK: transaction left in Transfer at the end");
    KCHECK(strstr(r.first.message, "TX1 is still in Transfer") != NULL);
    KCHECK(r.first_exec == 0);
}

/* A failing EvtDevicePrepareHardware stops the device before any request
 * (the PnP manager fails the start): an oracle finding with the status. */
static void test_prepare_hardware_fails(void)
{
    km_test_result r = run(W_PREPARE_FAILS, false, 3);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK: EvtDevicePrepareHardware failed");
    KCHECK(strstr(r.first.message, "0xc00000a3") != NULL);
    KCHECK(r.first_exec == 0);
    KCHECK(g_reads == 0);
}

/* FxCmResList::GetDescriptor (fxresourcecollection.cpp): GetItem(Index) is
 * NULL past the last item; the model's list is a memory BAR and a DMA
 * channel. */
static void test_resource_list_bounds(void)
{
    km_test_result r = run(W_PLAIN, false, 3);
    KEXPECT_CLEAN(r);
    KCHECK(g_res_count == 2);
    KCHECK(g_res_last != NULL && g_res_last->Type == CmResourceTypeDma);
    KCHECK(g_res_past == NULL);
}

int main(void)
{
    test_default_request_length();
    test_env_signed_numbers();
    test_driver_create_twice();
    test_io_type();
    test_second_default_queue();
    test_manual_default_queue();
    test_request_no_callback_takes();
    test_completion_disarms_cancel();
    test_transaction_left_in_transfer();
    test_prepare_hardware_fails();
    test_resource_list_bounds();
    return km_test_done();
}
