/* test_notice.c: callbacks a driver registers that the model does not call
 * are named in a campaign notice (dr_notice), never left silent (issues 12
 * and 15): those this environment does not reach, with the setting that
 * reaches them, apart from those the model never calls. */
#include "km_test.h"

static bool register_extra; /* the driver also registers callbacks the model never calls */

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

static VOID EvtIoStop(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Request);
    UNREFERENCED_PARAMETER(ActionFlags);
}

static VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
                               size_t InputBufferLength, ULONG IoControlCode)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    UNREFERENCED_PARAMETER(IoControlCode);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(TargetState);
    return STATUS_SUCCESS;
}

static VOID EvtUnload(WDFDRIVER Driver) { UNREFERENCED_PARAMETER(Driver); }

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    if (register_extra) {
        WDF_PNPPOWER_EVENT_CALLBACKS pnp;
        WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
        pnp.EvtDeviceD0Exit = EvtD0Exit;
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    }
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    if (register_extra) {
        qc.EvtIoStop = EvtIoStop;
        qc.EvtIoDeviceControl = EvtIoDeviceControl;
    }
    return WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    if (register_extra)
        config.EvtDriverUnload = EvtUnload;
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;
static void setup(void) { km_world_start(&env, DriverEntry); }
static void check(void) { km_world_check(); }
static const dr_scenario scn = {"test-notice", "uncalled callbacks", "clean", 2, 4, 1, setup, check, NULL, 0};

int main(void)
{
    km_env_defaults(&env);
    env.cancel = false;

    /* A driver registering only what the model calls: no notice. */
    register_extra = false;
    dr_notices_reset();
    km_test_result r = km_test_run(&scn, "random", 20, false);
    KEXPECT_CLEAN(r);
    KCHECK(dr_notice_text()[0] == 0);

    /* EvtIoStop, EvtIoDeviceControl and EvtDeviceD0Exit are not reached in
     * this environment: one notice names each with the setting that reaches
     * it. EvtDriverUnload is never called by the model: a second notice.
     * Each once, however many executions ran. */
    register_extra = true;
    dr_notices_reset();
    r = km_test_run(&scn, "random", 20, false);
    KEXPECT_CLEAN(r);
    const char *n = dr_notice_text();
    const char *env_part = strstr(n, "registered but not called in this environment");
    const char *model_part = strstr(n, "registered but never called by the model");
    KCHECK(env_part != NULL && model_part != NULL);
    KCHECK(env_part < model_part); /* the environment's first, then the model's */
    const char *stop = strstr(n, "EvtIoStop"), *d0exit = strstr(n, "EvtDeviceD0Exit");
    const char *ioctl = strstr(n, "EvtIoDeviceControl (with ioctls=N)");
    const char *down = strstr(n, "(with power_cycles=N, pnp_stop, surprise_remove or remove)");
    const char *unload = strstr(n, "EvtDriverUnload");
    KCHECK(stop && d0exit && ioctl && down && unload);
    KCHECK(d0exit < model_part && stop < model_part && ioctl < model_part); /* environment notice */
    KCHECK(d0exit < down && stop < down);                                   /* grouped under their setting */
    KCHECK(unload > model_part);                                            /* model notice */
    KCHECK(strstr(n, "EvtDriverUnload (with") == NULL);
    KCHECK(strstr(n, "EvtIoRead") == NULL); /* called: not named */
    KCHECK(strchr(n, '\n') == NULL);
    KCHECK(strstr(env_part + 1, "registered but not called in this environment") == NULL); /* 20 executions, once */
    KCHECK(strstr(model_part + 1, "registered but never called by the model") == NULL);

    /* With the settings that reach them, only the model's notice is left. */
    env.ioctls = 1;
    env.power_cycles = 1;
    dr_notices_reset();
    r = km_test_run(&scn, "random", 20, false);
    KEXPECT_CLEAN(r);
    n = dr_notice_text();
    KCHECK(strstr(n, "registered but not called in this environment") == NULL);
    KCHECK(strstr(n, "registered but never called by the model") != NULL);
    KCHECK(strstr(n, "EvtDriverUnload") != NULL);
    KCHECK(strstr(n, "EvtIoStop") == NULL && strstr(n, "EvtIoDeviceControl") == NULL);
    return km_test_done();
}
