/* test_pin_lock.c: WDFSPINLOCK details test_lock.c leaves open (issue 12,
 * mutation survivors M001, M005, M008): a NULL out pointer, the owner being
 * cleared by the release, and a lock released from the main context (where
 * DriverEntry runs) without being acquired. The source is
 * src/framework/shared/support/fxspinlockapi.cpp and fxspinlock.cpp of
 * microsoft/Windows-Driver-Frameworks. */
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

typedef enum {
    P_CREATE_NULL,      /* WdfSpinLockCreate(attrs, NULL) in EvtIoRead */
    P_RELEASE_TWICE,    /* acquire, release, release on one thread in EvtIoRead */
    P_MAIN_NEVER,       /* DriverEntry releases a lock it never acquired */
    P_MAIN_PAIR,        /* DriverEntry acquires and releases: fine */
} pmode;

static pmode mode;
static WDFSPINLOCK g_lock;
static km_env env;

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    KIRQL old;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    switch (mode) {
    case P_CREATE_NULL:
        (void)WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, NULL);
        break;
    case P_RELEASE_TWICE:
        WdfSpinLockAcquire(g_lock);
        WdfSpinLockRelease(g_lock);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        WdfSpinLockRelease(g_lock); /* nobody holds it any more */
        KeLowerIrql(old);
        break;
    case P_MAIN_NEVER:
    case P_MAIN_PAIR:
        break;
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
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
    NTSTATUS st = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(st))
        return st;
    st = WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_lock);
    if (!NT_SUCCESS(st))
        return st;
    if (mode == P_MAIN_PAIR)
        WdfSpinLockAcquire(g_lock);
    if (mode == P_MAIN_NEVER || mode == P_MAIN_PAIR)
        WdfSpinLockRelease(g_lock);
    return STATUS_SUCCESS;
}

static void setup(void) { km_world_start(&env, DriverEntry); }
static void check(void) { km_world_check(); }

static const dr_scenario scn = {"test-pin-lock", "spin lock details", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run(pmode m, long max)
{
    mode = m;
    km_env_defaults(&env);
    env.cancel = false;
    return km_test_run(&scn, "random", max, true);
}

/* fxspinlockapi.cpp#WdfSpinLockCreate: FxPointerNotNull(SpinLock), the
 * WDF_REQUIRED_PARAMETER_IS_NULL bugcheck (V30). */
static void test_create_null(void)
{
    km_test_result r = run(P_CREATE_NULL, 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V30: WdfSpinLockCreate: NULL required parameter");
    KCHECK(strstr(r.first.title, "BUGCHECK 0x10D/") == r.first.title);
    KCHECK(r.first_exec == 0);
}

/* fxspinlock.cpp#ReleaseLock clears OwningThread; a second release on the
 * same thread finds no owner: the verifier bugchecks (V32). */
static void test_release_clears_owner(void)
{
    km_test_result r = run(P_RELEASE_TWICE, 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0xB V32: WdfSpinLockRelease");
    KCHECK(strstr(r.first.message, "was never acquired") != NULL);
    KCHECK(r.first_exec == 0);
}

/* DriverEntry runs on a system thread: it owns a lock only after acquiring
 * it (fxspinlock.cpp#ReleaseLock compares OwningThread with the current
 * thread, NULL for a lock never acquired). */
static void test_main_context_owner(void)
{
    km_test_result r = run(P_MAIN_NEVER, 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0xB V32: WdfSpinLockRelease");
    KCHECK(strstr(r.first.message, "was never acquired") != NULL);
    KCHECK(r.first_exec == 0);
    r = run(P_MAIN_PAIR, 20);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 20);
}

int main(void)
{
    test_create_null();
    test_release_clears_owner();
    test_main_context_owner();
    return km_test_done();
}
