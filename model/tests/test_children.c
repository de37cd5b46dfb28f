/* test_children.c: a parent's children are deleted before it, in an order
 * the WdfObjectDelete docs call unpredictable ("The order in which the
 * framework deletes child objects is unpredictable"): a tape choice, so that
 * a driver whose cleanups assume one order is caught. kmdf-model-spec.md
 * 1.11; issue 12. */
#include "km_test.h"
#include "km_test_driver.h"

static int first_cleaned; /* 1 or 2: which child's cleanup ran first in this execution */
static int cleanups;
static long a_first, b_first, runs_both;

static VOID CleanupA(WDFOBJECT Object)
{
    UNREFERENCED_PARAMETER(Object);
    if (!first_cleaned)
        first_cleaned = 1;
    cleanups++;
}

static VOID CleanupB(WDFOBJECT Object)
{
    UNREFERENCED_PARAMETER(Object);
    if (!first_cleaned)
        first_cleaned = 2;
    cleanups++;
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    WDF_OBJECT_ATTRIBUTES attrs;
    WDFSPINLOCK a, b;
    UNREFERENCED_PARAMETER(Queue);
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.ParentObject = Request;
    attrs.EvtCleanupCallback = CleanupA;
    NTSTATUS st = WdfSpinLockCreate(&attrs, &a);
    attrs.EvtCleanupCallback = CleanupB;
    if (NT_SUCCESS(st))
        st = WdfSpinLockCreate(&attrs, &b);
    WdfRequestCompleteWithInformation(Request, st, NT_SUCCESS(st) ? Length : 0);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    return km_test_device_queue(&DeviceInit, NULL, WdfDeviceIoUndefined, EvtIoRead, &device, NULL);
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
    first_cleaned = 0;
    cleanups = 0;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    if (cleanups == 2)
        runs_both++;
    if (first_cleaned == 1)
        a_first++;
    else if (first_cleaned == 2)
        b_first++;
}

static const dr_scenario scn = {"test-children", "child deletion order", "clean", 2, 4, 1, setup, check, NULL, 0};

int main(void)
{
    km_env_defaults(&env);
    env.cancel = false;
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(runs_both == r.executions); /* both children cleaned up, every time */
    KCHECK(a_first > 0);               /* either may go first */
    KCHECK(b_first > 0);
    KCHECK(a_first + b_first == r.executions);
    /* Depth-first search covers both orders as choices. */
    a_first = b_first = 0;
    r = km_test_run_dfs(&scn, 0, 1000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(a_first > 0 && b_first > 0);
    return km_test_done();
}
