/* test_writes.c: writes=N (km_envparse.c, km_world.c): the I/O manager sends
 * the last N of its requests as writes, to EvtIoWrite, after the reads (a
 * UART's RX and TX channels in one scenario, examples/sysdma-uart). */
#include "km_test.h"

static int order[KM_ENV_MAX_REQUESTS]; /* 'R' or 'W', in presentation order */
static int presented;
static bool bad_type;

static VOID Present(WDFREQUEST Request, size_t Length, WDF_REQUEST_TYPE expected, int tag)
{
    WDF_REQUEST_PARAMETERS params;
    WDF_REQUEST_PARAMETERS_INIT(&params);
    WdfRequestGetParameters(Request, &params);
    if (params.Type != expected)
        bad_type = true;
    if (presented < KM_ENV_MAX_REQUESTS)
        order[presented++] = tag;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    Present(Request, Length, WdfRequestTypeRead, 'R');
}

static VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    Present(Request, Length, WdfRequestTypeWrite, 'W');
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoRead = EvtIoRead;
    qc.EvtIoWrite = EvtIoWrite;
    return WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    presented = 0;
    bad_type = false;
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;
static void setup(void) { km_world_start(&env, DriverEntry); }
static void check(void) { km_world_check(); }
static const dr_scenario scn = {"test-writes", "writes=1 of 3", "clean", 2, 4, 1, setup, check, NULL, 0};

int main(void)
{
    char err[128];
    km_env_defaults(&env);
    KCHECK(km_env_parse(&env, "requests=3 writes=1 no-concurrent no-cancel", err, sizeof err) == 0);

    /* Every execution: two reads to EvtIoRead, then one write to EvtIoWrite,
     * each with its own request type, all completed. */
    km_test_result r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(presented == 3 && order[0] == 'R' && order[1] == 'R' && order[2] == 'W' && !bad_type);

    /* writes=0 (the default): reads only. */
    km_env_defaults(&env);
    KCHECK(km_env_parse(&env, "requests=2 no-concurrent no-cancel", err, sizeof err) == 0);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
    KCHECK(presented == 2 && order[0] == 'R' && order[1] == 'R' && !bad_type);

    /* All writes. */
    km_env_defaults(&env);
    KCHECK(km_env_parse(&env, "requests=2 writes=2 no-cancel", err, sizeof err) == 0);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
    KCHECK(presented == 2 && order[0] == 'W' && order[1] == 'W' && !bad_type);
    return km_test_done();
}
