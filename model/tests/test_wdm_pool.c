/* test_wdm_pool.c: the WDM routines with behaviour (model/src/km_wdm.c): the
 * pool (guard zones, use after free, Driver Verifier's IRQL, double-free and
 * foreign-free checks, the leak oracle, injected failure), PAGED_CODE's IRQL
 * check, KSPIN_LOCK, the time queries and the NT_ASSERT message forms. One
 * small driver whose EvtIoRead does what the test chose. */
#include "km.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

typedef enum {
    P_CLEAN,            /* allocate paged at PASSIVE, nonpaged at DISPATCH, free both */
    P_PAGED_DISPATCH,   /* paged pool at DISPATCH_LEVEL: 0xC4/0x1 */
    P_FREE_TWICE,       /* 0xC4/0x13 */
    P_FREE_FOREIGN,     /* 0xC4/0x10 */
    P_OVERFLOW,         /* a store one past the end */
    P_USE_AFTER_FREE,   /* a load after ExFreePool */
    P_LEAK,             /* allocated in EvtIoRead, never freed */
    P_SETUP_KEPT,       /* allocated in DriverEntry, kept: not judged */
    P_WRONG_TAG,        /* ExFreePoolWithTag with another tag */
    P_ZERO,             /* zero-byte allocation: 0xC4/0x0 */
    P_MAY_FAIL,         /* pool_failure: count NULLs */
    P_PAGED_CODE_OK,    /* PAGED_CODE at PASSIVE */
    P_PAGED_CODE_HIGH,  /* PAGED_CODE at DISPATCH */
    P_SPIN,             /* KeAcquireSpinLock raises to DISPATCH; release restores */
    P_SPIN_NOT_HELD,    /* KeReleaseSpinLock of a free lock */
    P_TIME,             /* KeStallExecutionProcessor advances the time queries */
    P_ASSERT_WIDE,      /* NT_ASSERTMSG with a wide literal */
    P_ASSERT_CONCAT,    /* NT_ASSERTMSG with "narrow" L"wide" */
    P_EVENT_ONE,        /* 3 requests: two wait on g_event (1 s timeout), the third sets it once */
    P_EVENT_STATES,     /* one request: timeouts, polls, initial states, reset */
    P_EVENT_NEVER,      /* wait forever on an event nothing sets */
    P_EVENT_DISPATCH,   /* wait with a timeout at DISPATCH_LEVEL */
} pmode;

static pmode mode;
static long nulls, allocs, zero_ok, spin_irql_ok, time_ok;
static PVOID kept;
static KEVENT g_event;
static EVENT_TYPE g_event_type;
static LONG g_arrivals, g_success, g_timeout;
static long states_ok;
static long outcomes[3][3]; /* [successes][timeouts] per execution, P_EVENT_ONE */

static VOID PagedRoutine(void)
{
    PAGED_CODE();
}

static void io(void)
{
    KIRQL old;
    switch (mode) {
    case P_CLEAN: {
        char *a = ExAllocatePool2(POOL_FLAG_PAGED, 32, 'tseT');
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        char *b = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'tseT');
        char *c = ExAllocatePoolZero(NonPagedPool, 8, 'tseT');
        zero_ok = a && b && c && a[0] == 0 && a[31] == 0 && c[7] == 0;
        if (b)
            b[15] = 1;
        ExFreePoolWithTag(b, 'tseT');
        ExFreePool(c);
        KeLowerIrql(old);
        ExFreePoolWithTag(a, 'tseT');
        break;
    }
    case P_PAGED_DISPATCH:
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        ExFreePool(ExAllocatePoolWithTag(PagedPool, 16, 'tseT'));
        KeLowerIrql(old);
        break;
    case P_FREE_TWICE: {
        PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 'tseT');
        ExFreePoolWithTag(p, 'tseT');
        ExFreePoolWithTag(p, 'tseT');
        break;
    }
    case P_FREE_FOREIGN: {
        static char not_pool[16];
        ExFreePool(not_pool);
        break;
    }
    case P_OVERFLOW: {
        volatile char *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 'tseT');
        p[16] = 1;
        ExFreePool((PVOID)p);
        break;
    }
    case P_USE_AFTER_FREE: {
        volatile int *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 'tseT');
        ExFreePool((PVOID)p);
        allocs += p[1];
        break;
    }
    case P_LEAK:
        (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, 'kaeL');
        break;
    case P_SETUP_KEPT:
        break;
    case P_WRONG_TAG:
        ExFreePoolWithTag(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'AgaT'), 'BgaT');
        break;
    case P_ZERO:
        (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, 'tseT');
        break;
    case P_MAY_FAIL: {
        PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'tseT');
        allocs++;
        if (!p)
            nulls++;
        else
            ExFreePool(p);
        break;
    }
    case P_PAGED_CODE_OK:
        PagedRoutine();
        break;
    case P_PAGED_CODE_HIGH:
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        PagedRoutine();
        KeLowerIrql(old);
        break;
    case P_SPIN: {
        static KSPIN_LOCK lock;
        KeInitializeSpinLock(&lock);
        KIRQL before = KeGetCurrentIrql();
        KeAcquireSpinLock(&lock, &old);
        bool raised = KeGetCurrentIrql() == DISPATCH_LEVEL && old == before;
        KeReleaseSpinLock(&lock, old);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        KeAcquireSpinLockAtDpcLevel(&lock);
        KeReleaseSpinLockFromDpcLevel(&lock);
        bool dpc = KeGetCurrentIrql() == DISPATCH_LEVEL;
        KeLowerIrql(old);
        spin_irql_ok = raised && dpc && KeGetCurrentIrql() == before;
        break;
    }
    case P_SPIN_NOT_HELD: {
        static KSPIN_LOCK lock;
        KeInitializeSpinLock(&lock);
        KeReleaseSpinLock(&lock, PASSIVE_LEVEL);
        break;
    }
    case P_TIME: {
        LARGE_INTEGER f, c0 = KeQueryPerformanceCounter(&f), s0, s1;
        ULONGLONG i0 = KeQueryInterruptTimePrecise(NULL);
        KeQuerySystemTimePrecise(&s0);
        KeStallExecutionProcessor(50);
        LARGE_INTEGER c1 = KeQueryPerformanceCounter(NULL);
        ULONGLONG i1 = KeQueryInterruptTimePrecise(NULL);
        KeQuerySystemTimePrecise(&s1);
        /* 50 us at 10 MHz is at least 500 counts (the clock may also have moved). */
        time_ok = f.QuadPart == 10000000 && c1.QuadPart - c0.QuadPart >= 500 && i1 - i0 >= 500 &&
                  s1.QuadPart - s0.QuadPart >= 500 && s0.QuadPart > 133000000000000000LL &&
                  KeQueryTimeIncrement() == 156250;
        break;
    }
    case P_ASSERT_WIDE:
        NT_ASSERTMSG(L"wide message", allocs < 0);
        break;
    case P_ASSERT_CONCAT:
        NT_ASSERTMSG("narrow " L"and wide", allocs < 0);
        break;
    case P_EVENT_ONE:
        if (InterlockedIncrement(&g_arrivals) == 3) {
            KeSetEvent(&g_event, IO_NO_INCREMENT, FALSE);
        } else {
            LARGE_INTEGER second = {.QuadPart = -10000000LL};
            NTSTATUS st = KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, &second);
            InterlockedIncrement(st == STATUS_SUCCESS ? &g_success : &g_timeout);
        }
        break;
    case P_EVENT_STATES: {
        KEVENT n, sy;
        LARGE_INTEGER zero = {.QuadPart = 0}, ms = {.QuadPart = -10000LL};
        KeInitializeEvent(&n, NotificationEvent, TRUE);
        KeInitializeEvent(&sy, SynchronizationEvent, TRUE);
        bool ok = KeWaitForSingleObject(&n, Executive, KernelMode, FALSE, NULL) == STATUS_SUCCESS &&
                  KeWaitForSingleObject(&n, Executive, KernelMode, FALSE, &zero) == STATUS_SUCCESS &&
                  KeReadStateEvent(&n) == 1 &&
                  KeWaitForSingleObject(&sy, Executive, KernelMode, FALSE, &zero) == STATUS_SUCCESS &&
                  KeReadStateEvent(&sy) == 0 &&
                  KeWaitForSingleObject(&sy, Executive, KernelMode, FALSE, &zero) == STATUS_TIMEOUT &&
                  KeWaitForSingleObject(&sy, Executive, KernelMode, FALSE, &ms) == STATUS_TIMEOUT &&
                  KeSetEvent(&sy, IO_NO_INCREMENT, FALSE) == 0 && KeSetEvent(&sy, IO_NO_INCREMENT, FALSE) == 1 &&
                  KeResetEvent(&sy) == 1 && KeReadStateEvent(&sy) == 0;
        KeClearEvent(&n);
        ok = ok && KeReadStateEvent(&n) == 0;
        /* At DISPATCH_LEVEL a zero timeout (a poll) is allowed. */
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        ok = ok && KeWaitForSingleObject(&n, Executive, KernelMode, FALSE, &zero) == STATUS_TIMEOUT;
        KeLowerIrql(old);
        states_ok += ok;
        break;
    }
    case P_EVENT_NEVER:
        KeInitializeEvent(&g_event, NotificationEvent, FALSE);
        KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, NULL);
        break;
    case P_EVENT_DISPATCH: {
        LARGE_INTEGER ms = {.QuadPart = -10000LL};
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, &ms);
        KeLowerIrql(old);
        break;
    }
    }
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    io();
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDFDEVICE dev;
    return km_test_device_queue(&DeviceInit, NULL, WdfDeviceIoUndefined, EvtIoRead, &dev, NULL);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    if (mode == P_SETUP_KEPT)
        kept = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tpeK');
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;
static void setup(void)
{
    g_arrivals = g_success = g_timeout = 0;
    KeInitializeEvent(&g_event, g_event_type, FALSE);
    km_world_start(&env, DriverEntry);
}
static void check(void)
{
    km_world_check();
    if (mode == P_EVENT_ONE && !dr_failed() && g_success < 3 && g_timeout < 3)
        outcomes[g_success][g_timeout]++;
}
static const dr_scenario scn = {"test-wdm-pool", "WDM pool and kernel routines", "clean", 2, 4, 1, setup, check,
                                NULL, 0};

static km_test_result run(pmode m, long max)
{
    mode = m;
    km_env_defaults(&env);
    env.cancel = false;
    env.requests = 1;
    return km_test_run(&scn, "random", max, true);
}

int main(void)
{
    km_test_result r = run(P_CLEAN, 30);
    KEXPECT_CLEAN(r);
    KCHECK(zero_ok);

    r = run(P_PAGED_DISPATCH, 30);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "DV-BUGCHECK 0xC4/0x1 POOL: ExAllocatePoolWithTag: paged pool allocated above APC_LEVEL");
    r = run(P_FREE_TWICE, 30);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DV-BUGCHECK 0xC4/0x13 POOL: ExFreePoolWithTag: pool freed twice");
    r = run(P_FREE_FOREIGN, 30);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DV-BUGCHECK 0xC4/0x10 POOL: ExFreePool: freed an address no allocation");
    r = run(P_ZERO, 30);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DV-BUGCHECK 0xC4/0x0 POOL: ExAllocatePool2: zero-byte pool allocation");
    r = run(P_WRONG_TAG, 30);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0xC2/0xA POOL: ExFreePoolWithTag: freed with another tag");
#if defined(__clang__)
    /* The guard zones and quarantine are checked at driver accesses (the
     * access hooks: clang builds; gcc builds fault on PROT_NONE pages). */
    r = run(P_OVERFLOW, 30);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "heap-buffer-overflow: write past a pool allocation");
    r = run(P_USE_AFTER_FREE, 30);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free: read of a freed pool allocation");
#endif
    r = run(P_LEAK, 30);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK: pool leak: memory allocated while requests ran was never freed");
    KCHECK(strstr(r.first.message, "tag 'Leak'") != NULL);
    r = run(P_SETUP_KEPT, 30);
    KEXPECT_CLEAN(r);
    KCHECK(kept != NULL);

    /* Failure is a choice only when pool_failure is on. */
    nulls = allocs = 0;
    r = run(P_MAY_FAIL, 60);
    KEXPECT_CLEAN(r);
    KCHECK(allocs == 60 && nulls == 0);
    mode = P_MAY_FAIL;
    km_env_defaults(&env);
    env.cancel = false;
    env.requests = 1;
    KCHECK(km_env_parse(&env, "pool_failure", NULL, 0) == 0 && env.pool_failure);
    nulls = allocs = 0;
    r = km_test_run(&scn, "random", 60, false);
    KEXPECT_CLEAN(r);
    KCHECK(allocs == 60 && nulls > 0 && nulls < 60);

    r = run(P_PAGED_CODE_OK, 30);
    KEXPECT_CLEAN(r);
    r = run(P_PAGED_CODE_HIGH, 30);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "DV-BUGCHECK 0xD1 PAGED_CODE: PagedRoutine: pageable code run above APC_LEVEL");

    spin_irql_ok = 0;
    r = run(P_SPIN, 30);
    KEXPECT_CLEAN(r);
    KCHECK(spin_irql_ok);
    r = run(P_SPIN_NOT_HELD, 30);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH SPIN: KeReleaseSpinLock: released a spin lock it does not hold");

    time_ok = 0;
    r = run(P_TIME, 30);
    KEXPECT_CLEAN(r);
    KCHECK(time_ok);

    r = run(P_ASSERT_WIDE, 10);
    KEXPECT_FINDING(r, DR_FIND_ASSERT, "NT_ASSERT: wide message");
    r = run(P_ASSERT_CONCAT, 10);
    KEXPECT_FINDING(r, DR_FIND_ASSERT, "NT_ASSERT: narrow and wide");

    /* A synchronization event set once wakes at most one of its two
     * waiters; a notification event may wake both. */
    g_event_type = SynchronizationEvent;
    memset(outcomes, 0, sizeof outcomes);
    mode = P_EVENT_ONE;
    km_env_defaults(&env);
    env.cancel = false;
    env.requests = 3;
    env.concurrent = true;
    r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    /* Never both: one KeSetEvent releases one waiter. Both time out when
     * the timer fires before the third request sets the event. */
    KCHECK(outcomes[2][0] == 0 && outcomes[1][1] > 0 && outcomes[1][1] + outcomes[0][2] == 200);
    g_event_type = NotificationEvent;
    memset(outcomes, 0, sizeof outcomes);
    r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(outcomes[2][0] > 0 && outcomes[2][0] + outcomes[1][1] + outcomes[0][2] == 200);

    states_ok = 0;
    r = run(P_EVENT_STATES, 20);
    KEXPECT_CLEAN(r);
    KCHECK(states_ok == 20);
    r = run(P_EVENT_NEVER, 20);
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "");
    r = run(P_EVENT_DISPATCH, 20);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK IRQL: KeWaitForSingleObject: waited above APC_LEVEL");
    return km_test_done();
}
