/* test_lock.c: WDFSPINLOCK. kmdf-model-spec.md 1.17, V32, V33, V34, C20, and
 * the published sample's use (a flag set under the lock by two paths). A
 * small driver whose EvtIoRead does what the test's mode asks; several
 * requests run concurrently on parallel-queue threads. */
#include "km_test.h"
#include "wdf.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
/* Drivers with a deliberate data race stop a TSan build at the race (which is
 * the finding TSan fiber mode exists for); they run in the other builds. */
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define RACY_DRIVERS 0
#else
#define RACY_DRIVERS 1
#endif

typedef struct REQ_CTX {
    WDFSPINLOCK Lock;
} REQ_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQ_CTX, GetReqCtx)

typedef enum {
    L_COUNT,          /* counter++ under the device lock */
    L_COUNT_NOLOCK,   /* counter++ without it: the lost update must be found */
    L_IRQL,           /* IRQL inside and after, from PASSIVE and from DISPATCH */
    L_REACQUIRE,      /* acquire twice on one thread (C20) */
    L_FOREIGN_RELEASE,/* one request acquires, another releases (V32) */
    L_NEVER_ACQUIRED, /* release of a lock nobody holds (V32) */
    L_LEFT_HELD,      /* EvtIoRead returns holding the lock (V34) */
    L_TIMER_LEFT_HELD,/* a passive timer callback returns holding it (V34, strict) */
    L_FLAG,           /* BeginCompletion from EvtIoRead and a timer callback */
    L_REQUEST_LOCK,   /* lock parented to the request, used after completion (C11) */
    L_HIGH,           /* acquire at HIGH_LEVEL (V33) */
    L_ATOMIC,         /* InterlockedIncrement from every request */
    L_PUBLISH,        /* a payload, then WriteRelease of a flag; ReadAcquire of it, then the payload */
    L_PUBLISH_NOFENCE,/* the same with WriteNoFence/ReadNoFence: nothing orders the payload */
    L_WRITE_THEN_READ,/* a write under the lock, then a read of it after the release (published.c:64) */
} lmode;

/* The built-in race detector sees driver accesses where they are scheduling
 * points: clang's access instrumentation. */
#if defined(__clang__)
#define ACCESSES_SEEN 1
#else
#define ACCESSES_SEEN 0
#endif

static lmode mode;
static WDFSPINLOCK g_lock;
static WDFTIMER g_timer;
static WDFDEVICE g_device;

static LONG g_counter, g_arrivals, g_bad_irql, g_winners, g_stage;
static LONG g_payload, g_ready, g_stale;
static bool g_started;

static VOID EvtTimer(WDFTIMER Timer)
{
    UNREFERENCED_PARAMETER(Timer);
    if (mode == L_TIMER_LEFT_HELD) {
        WdfSpinLockAcquire(g_lock);
        return;
    }
    /* L_FLAG: the timeout path of BeginCompletion. */
    WdfSpinLockAcquire(g_lock);
    bool first = !g_started;
    g_started = true;
    WdfSpinLockRelease(g_lock);
    if (first)
        InterlockedIncrement(&g_winners);
}

static BOOLEAN AtDispatch(void) { return KeGetCurrentIrql() == DISPATCH_LEVEL; }

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    WDF_OBJECT_ATTRIBUTES a;
    REQ_CTX *ctx = GetReqCtx(Request);
    KIRQL old;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    switch (mode) {
    case L_COUNT:
        WdfSpinLockAcquire(g_lock);
        if (!AtDispatch())
            InterlockedIncrement(&g_bad_irql);
        g_counter = g_counter + 1;
        WdfSpinLockRelease(g_lock);
        if (KeGetCurrentIrql() != PASSIVE_LEVEL)
            InterlockedIncrement(&g_bad_irql);
        break;
    case L_COUNT_NOLOCK:
        g_counter = g_counter + 1;
        break;
    case L_IRQL:
        WdfSpinLockAcquire(g_lock);
        if (!AtDispatch())
            InterlockedIncrement(&g_bad_irql);
        WdfSpinLockRelease(g_lock);
        if (KeGetCurrentIrql() != PASSIVE_LEVEL)
            InterlockedIncrement(&g_bad_irql);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        WdfSpinLockAcquire(g_lock);
        WdfSpinLockRelease(g_lock);
        if (!AtDispatch()) /* the saved IRQL was DISPATCH */
            InterlockedIncrement(&g_bad_irql);
        KeLowerIrql(old);
        break;
    case L_REACQUIRE:
        WdfSpinLockAcquire(g_lock);
        WdfSpinLockAcquire(g_lock);
        WdfSpinLockRelease(g_lock);
        WdfSpinLockRelease(g_lock);
        break;
    case L_FOREIGN_RELEASE:
        if (InterlockedIncrement(&g_arrivals) == 1) {
            WdfSpinLockAcquire(g_lock);
            InterlockedExchange(&g_stage, 1);
            /* Spin (at DISPATCH) until the other request has released it. */
            while (InterlockedCompareExchange(&g_stage, 2, 2) != 2)
                ;
        } else {
            while (InterlockedCompareExchange(&g_stage, 1, 1) != 1)
                ;
            WdfSpinLockRelease(g_lock); /* not the owner */
            InterlockedExchange(&g_stage, 2);
        }
        break;
    case L_NEVER_ACQUIRED:
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        WdfSpinLockRelease(g_lock);
        KeLowerIrql(old);
        break;
    case L_LEFT_HELD:
        WdfSpinLockAcquire(g_lock);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        return;
    case L_TIMER_LEFT_HELD:
        (void)WdfTimerStart(g_timer, WDF_REL_TIMEOUT_IN_US(10));
        break;
    case L_FLAG: {
        (void)WdfTimerStart(g_timer, WDF_REL_TIMEOUT_IN_US(10));
        WdfSpinLockAcquire(g_lock);
        bool first = !g_started;
        g_started = true;
        WdfSpinLockRelease(g_lock);
        if (first)
            InterlockedIncrement(&g_winners);
        break;
    }
    case L_REQUEST_LOCK:
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.ParentObject = Request;
        if (!NT_SUCCESS(WdfSpinLockCreate(&a, &ctx->Lock)))
            break;
        WdfSpinLockAcquire(ctx->Lock);
        WdfSpinLockRelease(ctx->Lock);
        {
            WDFSPINLOCK lock = ctx->Lock;
            WdfRequestComplete(Request, STATUS_SUCCESS);
            WdfSpinLockAcquire(lock); /* the request's children went with it */
            WdfSpinLockRelease(lock);
        }
        return;
    case L_ATOMIC:
        InterlockedIncrement(&g_counter);
        break;
    case L_WRITE_THEN_READ:
        WdfSpinLockAcquire(g_lock);
        g_payload = g_payload + 1;
        WdfSpinLockRelease(g_lock);
        if (g_payload == 0) /* unlocked: the other request may be writing it */
            InterlockedIncrement(&g_stale);
        break;
    case L_PUBLISH:
    case L_PUBLISH_NOFENCE:
        if (InterlockedIncrement(&g_arrivals) == 1) {
            g_payload = 42;
            if (mode == L_PUBLISH)
                WriteRelease(&g_ready, 1);
            else
                WriteNoFence(&g_ready, 1);
        } else if (mode == L_PUBLISH ? ReadAcquire(&g_ready) : ReadNoFence(&g_ready)) {
            if (g_payload != 42)
                InterlockedIncrement(&g_stale);
        }
        break;
    case L_HIGH:
        KeRaiseIrql(HIGH_LEVEL, &old);
        WdfSpinLockAcquire(g_lock);
        WdfSpinLockRelease(g_lock);
        KeLowerIrql(old);
        break;
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_TIMER_CONFIG tc;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, REQ_CTX);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attrs);
    st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &g_device);
    if (!NT_SUCCESS(st))
        return st;
    /* Parent optional: this one belongs to the device. */
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.ParentObject = g_device;
    st = WdfSpinLockCreate(&attrs, &g_lock);
    if (!NT_SUCCESS(st))
        return st;
    WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.ParentObject = g_device;
    attrs.ExecutionLevel = mode == L_TIMER_LEFT_HELD ? WdfExecutionLevelPassive : WdfExecutionLevelInheritFromParent;
    st = WdfTimerCreate(&tc, &attrs, &g_timer);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    return WdfIoQueueCreate(g_device, &qc, WDF_NO_OBJECT_ATTRIBUTES, NULL);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDFSPINLOCK unparented;
    NTSTATUS st;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    st = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(st))
        return st;
    /* No attributes at all: the driver is the parent. */
    return WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &unparented);
}

static km_env env;

static void setup(void)
{
    g_counter = g_arrivals = g_bad_irql = g_winners = g_stage = 0;
    g_payload = g_ready = g_stale = 0;
    g_started = false;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    if (g_bad_irql)
        dr_fail(DR_FIND_CHECK, "wrong IRQL around a spin lock", "%ld checks failed", (long)g_bad_irql);
    else if (g_stale)
        dr_fail(DR_FIND_CHECK, "stale payload", "the flag was seen before the payload");
    else if ((mode == L_COUNT || mode == L_COUNT_NOLOCK || mode == L_ATOMIC) && g_counter != (LONG)env.requests)
        dr_fail(DR_FIND_CHECK, "lost update", "counter %ld after %u requests", (long)g_counter, env.requests);
    else if (mode == L_FLAG && g_winners != 1)
        dr_fail(DR_FIND_CHECK, "both paths believed they were first", "%ld winners", (long)g_winners);
}

static const dr_scenario scn = {"test-lock", "spin lock model", "clean", 2, 4, 1, setup, check, NULL, 0};

static void use(lmode m, bool verifier, unsigned requests)
{
    mode = m;
    km_env_defaults(&env);
    env.verifier = verifier;
    env.cancel = false;
    env.requests = requests;
}

static void test_mutual_exclusion(void)
{
    use(L_COUNT, true, 3);
    km_test_result r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    use(L_COUNT, true, 2);
    r = km_test_run_dfs(&scn, 2, 100000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    printf("spin lock counter: DFS bound 2 exhausted after %ld executions\n", r.executions);
    /* The same driver without the lock loses an update. */
    if (RACY_DRIVERS) {
        use(L_COUNT_NOLOCK, true, 2);
        r = km_test_run(&scn, "random", 5000, true);
        KEXPECT_FINDING(r, DR_FIND_CHECK, "lost update");
    }
}

static void test_irql(void)
{
    use(L_IRQL, true, 2);
    km_test_result r = km_test_run(&scn, "random", 1000, true);
    KEXPECT_CLEAN(r);
}

static void test_c20_reacquire(void)
{
    use(L_REACQUIRE, true, 1);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "spin lock acquired again");
}

static void test_v32(void)
{
    use(L_FOREIGN_RELEASE, true, 2);
    km_test_result r = km_test_find(&scn, 5000, "V32");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0xB V32: WdfSpinLockRelease");
    use(L_FOREIGN_RELEASE, false, 2);
    r = km_test_find(&scn, 5000, "V32");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V32: WdfSpinLockRelease");
    use(L_NEVER_ACQUIRED, true, 1);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0xB V32: WdfSpinLockRelease");
}

static void test_v34_left_held(void)
{
    use(L_LEFT_HELD, true, 1);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0xE V34: EvtIoRead/EvtIoWrite");
    /* The EvtIo* hook is the enhanced verifier's (vfeventhooks.cpp VfEvtIoRead
     * -> VerifyIrqlExit, EnhancedVerifierOptions 0x1), not VerifierOn: the
     * bugcheck comes with the verifier off, and not with the option off. */
    use(L_LEFT_HELD, false, 1);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0xE V34: EvtIoRead/EvtIoWrite");
    use(L_LEFT_HELD, true, 1);
    env.enhanced_verifier = false;
    r = km_test_run(&scn, "random", 10, true);
    KCHECK(!km_test_title_has(&r, "V34"));
    /* ... unless dmarace's own strict check is on: then a CHECK. */
    env.strict_irql_exit = true;
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK V34: EvtIoRead/EvtIoWrite: callback returned at another IRQL");
    /* Timer callbacks are outside KMDF's hook; strict mode covers them as
     * dmarace's own check. */
    use(L_TIMER_LEFT_HELD, true, 1);
    r = km_test_run(&scn, "random", 10, true);
    KCHECK(!km_test_title_has(&r, "V34"));
    env.strict_irql_exit = true;
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK V34: EvtTimerFunc: callback returned at another IRQL");
}

static void test_flag_under_lock(void) /* the published sample's BeginCompletion */
{
    use(L_FLAG, true, 1);
    km_test_result r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 2, 100000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_lock_lifetime_and_v33(void)
{
    use(L_REQUEST_LOCK, true, 1);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "C11: WdfSpinLockAcquire");
    /* KMDF does not check WdfSpinLockAcquire's IRQL (fxspinlockapi.cpp), but
     * above DISPATCH_LEVEL its KeAcquireSpinLock raises to a lower IRQL: the
     * kernel's bug check 0x9 (INT2), with or without the verifier. */
    use(L_HIGH, true, 1);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9 INT2: WdfSpinLockAcquire: called above DISPATCH_LEVEL");
    use(L_HIGH, false, 1);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9 INT2: WdfSpinLockAcquire: called above DISPATCH_LEVEL");
}

/* The built-in race detector against the model's edges (docs/races.md):
 * a spin lock, Interlocked*, ReadAcquire/WriteRelease order what they guard,
 * over every schedule of bound 2; the same accesses without them race. */
static void test_race_detector(void)
{
    km_test_races = true;
    static const lmode clean[] = {L_COUNT, L_ATOMIC, L_PUBLISH, L_FLAG};
    for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++) {
        use(clean[i], true, 2);
        km_test_result r = km_test_run_dfs(&scn, 2, 200000, true);
        KEXPECT_CLEAN(r);
        KCHECK(r.exhausted);
    }
    if (RACY_DRIVERS && ACCESSES_SEEN) {
        /* The unlocked counter: a race before it is a lost update. */
        use(L_COUNT_NOLOCK, true, 2);
        km_test_result r = km_test_run(&scn, "random", 5000, true);
        KEXPECT_FINDING(r, DR_FIND_DATA_RACE, "data race: ");
        KCHECK(strstr(r.first.message, "4 bytes by") && strstr(r.first.message, "unordered with an earlier"));
        /* No fence: the flag's accesses are atomic (no race on it), the
         * payload's are not ordered by it. */
        use(L_PUBLISH_NOFENCE, true, 2);
        r = km_test_run(&scn, "random", 5000, true);
        KEXPECT_FINDING(r, DR_FIND_DATA_RACE, "data race: ");
        KCHECK(!strstr(r.first.message, "atomic"));
        /* A task's own locked write does not stand for its later unlocked
         * read: the other request's write after the lock is ordered after
         * the first write, not after that read. */
        use(L_WRITE_THEN_READ, true, 2);
        r = km_test_run_dfs(&scn, 2, 200000, true);
        KEXPECT_FINDING(r, DR_FIND_DATA_RACE, "data race: ");
        KCHECK(strstr(r.first.message, "write of 4 bytes") && strstr(r.first.message, "earlier read of 4 bytes"));
    }
    km_test_races = false;
}

int main(void)
{
    test_mutual_exclusion();
    test_irql();
    test_c20_reacquire();
    test_v32();
    test_v34_left_held();
    test_flag_under_lock();
    test_lock_lifetime_and_v33();
    test_race_detector();
    return km_test_done();
}
