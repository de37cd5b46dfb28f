/* test_dispatch.c: WdfDeviceConfigureRequestDispatching (fxdeviceapi.cpp,
 * fxpkgio.cpp FxPkgIo::ConfigureForwarding) and WdfRequestRetrieveInputWdmMdl
 * / OutputWdmMdl (fxrequestapi.cpp, FxRequest::GetMdl):
 *   - reads and writes reach the queues configured for them, with no default
 *     queue, each queue's callback once per request of its type;
 *   - the refusals and their statuses: a bad type, the default queue, a type
 *     configured twice, a queue without a callback for the type, after the
 *     device left PnpInit (from EvtDevicePrepareHardware); the verifier
 *     breaks on the FxVerifierDbgBreakPoint ones;
 *   - the MDLs: the input MDL of a read and the output MDL of a write are
 *     refused; otherwise one MDL over the request's buffer, the same on every
 *     call. */
#include "km_test.h"
#include "ntddk.h"
#include "wdf.h"

#include "km_test_driver.h"

typedef enum { D_ROUTE, D_DEFAULT_QUEUE, D_TWICE, D_NO_HANDLER, D_BAD_TYPE, D_AFTER_START } dmode;
static dmode mode;

static WDFQUEUE read_q, write_q, default_q;
/* Reads and writes run at once on two queues: the counters are interlocked. */
static LONG reads_on_read_q, writes_on_write_q, misrouted;
static NTSTATUS cfg_status, late_status;
static NTSTATUS in_mdl_read, out_mdl_write, in_mdl_write, out_mdl_read;
static LONG mdl_ok, mdl_same;
static WDFDEVICE the_device;

static void check_mdl(WDFREQUEST Request, PMDL m, size_t Length)
{
    PVOID buf = NULL;
    size_t len = 0;
    NTSTATUS s = WdfRequestGetIoQueue(Request) == read_q ? WdfRequestRetrieveOutputBuffer(Request, 0, &buf, &len)
                                                          : WdfRequestRetrieveInputBuffer(Request, 0, &buf, &len);
    if (NT_SUCCESS(s) && m && MmGetMdlVirtualAddress(m) == buf && MmGetMdlByteCount(m) == Length && len == Length)
        InterlockedIncrement(&mdl_ok);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    if (Queue == read_q)
        InterlockedIncrement(&reads_on_read_q);
    else
        InterlockedIncrement(&misrouted);
    PMDL m = (PMDL)(ULONG_PTR)1, m2 = NULL;
    in_mdl_read = WdfRequestRetrieveInputWdmMdl(Request, &m);
    if (m != NULL)
        InterlockedIncrement(&misrouted); /* cleared on entry, even when refused */
    out_mdl_read = WdfRequestRetrieveOutputWdmMdl(Request, &m);
    check_mdl(Request, m, Length);
    if (NT_SUCCESS(WdfRequestRetrieveOutputWdmMdl(Request, &m2)) && m2 == m)
        InterlockedIncrement(&mdl_same);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

static VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    if (Queue == write_q)
        InterlockedIncrement(&writes_on_write_q);
    else
        InterlockedIncrement(&misrouted);
    PMDL m = NULL;
    out_mdl_write = WdfRequestRetrieveOutputWdmMdl(Request, &m);
    in_mdl_write = WdfRequestRetrieveInputWdmMdl(Request, &m);
    check_mdl(Request, m, Length);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

static NTSTATUS EvtPrepare(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    (void)Raw, (void)Translated;
    late_status = WdfDeviceConfigureRequestDispatching(Device, write_q, WdfRequestTypeWrite);
    return STATUS_SUCCESS;
}

static NTSTATUS make_queue(WDFDEVICE dev, bool dflt, bool read, bool write, WDFQUEUE *q)
{
    WDF_IO_QUEUE_CONFIG qc;
    if (dflt)
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    else
        WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchSequential);
    if (read)
        qc.EvtIoRead = EvtIoRead;
    if (write)
        qc.EvtIoWrite = EvtIoWrite;
    return WdfIoQueueCreate(dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, q);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    (void)Driver;
    if (mode == D_AFTER_START) {
        WDF_PNPPOWER_EVENT_CALLBACKS pnp;
        WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
        pnp.EvtDevicePrepareHardware = EvtPrepare;
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    }
    NTSTATUS s = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &the_device);
    if (!NT_SUCCESS(s))
        return s;
    if (!NT_SUCCESS(s = make_queue(the_device, false, true, false, &read_q)) ||
        !NT_SUCCESS(s = make_queue(the_device, false, false, true, &write_q)))
        return s;
    switch (mode) {
    case D_ROUTE:
        cfg_status = WdfDeviceConfigureRequestDispatching(the_device, read_q, WdfRequestTypeRead);
        if (NT_SUCCESS(cfg_status))
            cfg_status = WdfDeviceConfigureRequestDispatching(the_device, write_q, WdfRequestTypeWrite);
        break;
    case D_DEFAULT_QUEUE:
        if (!NT_SUCCESS(s = make_queue(the_device, true, true, true, &default_q)))
            return s;
        cfg_status = WdfDeviceConfigureRequestDispatching(the_device, default_q, WdfRequestTypeRead);
        break;
    case D_TWICE: {
        WDFQUEUE other;
        if (!NT_SUCCESS(s = make_queue(the_device, false, true, false, &other)))
            return s;
        (void)WdfDeviceConfigureRequestDispatching(the_device, read_q, WdfRequestTypeRead);
        cfg_status = WdfDeviceConfigureRequestDispatching(the_device, other, WdfRequestTypeRead);
        break;
    }
    case D_NO_HANDLER:
        cfg_status = WdfDeviceConfigureRequestDispatching(the_device, read_q, WdfRequestTypeWrite);
        break;
    case D_BAD_TYPE:
        cfg_status = WdfDeviceConfigureRequestDispatching(the_device, read_q, WdfRequestTypeClose);
        break;
    case D_AFTER_START:
        cfg_status = WdfDeviceConfigureRequestDispatching(the_device, read_q, WdfRequestTypeRead);
        break;
    }
    /* The refusal cases still need a way for requests in: a default queue. */
    if (mode != D_ROUTE && mode != D_DEFAULT_QUEUE && mode != D_AFTER_START)
        s = make_queue(the_device, true, true, true, &default_q);
    return s;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;

static void setup(void)
{
    reads_on_read_q = writes_on_write_q = misrouted = mdl_ok = mdl_same = 0;
    cfg_status = late_status = in_mdl_read = out_mdl_write = in_mdl_write = out_mdl_read = STATUS_PENDING;
    read_q = write_q = default_q = NULL;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    if (!dr_failed())
        km_world_check();
}

static const dr_scenario scn = {"test-dispatch", "request dispatching", "clean", 2, 2, 1, setup, check, NULL, 0};

static km_test_result run(dmode m, bool verifier, unsigned requests, unsigned writes)
{
    mode = m;
    km_env_defaults(&env);
    env.verifier = verifier;
    env.requests = requests;
    env.writes = writes;
    env.cancel = false;
    return km_test_run(&scn, "random", 50, true);
}

static void test_route(void)
{
    km_test_result r = run(D_ROUTE, true, 3, 1);
    KEXPECT_CLEAN(r);
    KCHECK(cfg_status == STATUS_SUCCESS);
    KCHECK(reads_on_read_q == 2);
    KCHECK(writes_on_write_q == 1);
    KCHECK(misrouted == 0);
    KCHECK(in_mdl_read == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(out_mdl_read == STATUS_SUCCESS);
    KCHECK(out_mdl_write == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(in_mdl_write == STATUS_SUCCESS);
    KCHECK(mdl_ok == 3);
    KCHECK(mdl_same == 2);
}

static void test_refusals(void)
{
    /* verifier off: the statuses */
    km_test_result r = run(D_DEFAULT_QUEUE, false, 1, 0);
    KCHECK(cfg_status == STATUS_INVALID_DEVICE_REQUEST);
    KEXPECT_CLEAN(r);
    r = run(D_TWICE, false, 1, 0);
    KCHECK(cfg_status == STATUS_WDF_BUSY);
    KEXPECT_CLEAN(r);
    r = run(D_NO_HANDLER, false, 1, 0);
    KCHECK(cfg_status == STATUS_INVALID_DEVICE_REQUEST);
    r = run(D_BAD_TYPE, false, 1, 0);
    KCHECK(cfg_status == STATUS_INVALID_PARAMETER);
    KEXPECT_CLEAN(r);
    r = run(D_AFTER_START, false, 1, 0);
    KCHECK(cfg_status == STATUS_SUCCESS);
    KCHECK(late_status == STATUS_INVALID_DEVICE_STATE);
    KEXPECT_CLEAN(r);
    KCHECK(reads_on_read_q == 1);
    /* verifier on: FxVerifierDbgBreakPoint */
    r = run(D_DEFAULT_QUEUE, true, 1, 0);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DISPATCH-CFG: WdfDeviceConfigureRequestDispatching: the default queue");
    r = run(D_TWICE, true, 1, 0);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DISPATCH-CFG: WdfDeviceConfigureRequestDispatching: the request type is");
    r = run(D_NO_HANDLER, true, 1, 0);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DISPATCH-CFG: WdfDeviceConfigureRequestDispatching: the queue has no");
    r = run(D_BAD_TYPE, true, 1, 0);
    KEXPECT_CLEAN(r); /* a plain status, no break */
}

int main(void)
{
    test_route();
    test_refusals();
    return km_test_done();
}
