/* test_timer.c: WDFTIMER. kmdf-model-spec.md 1.11 (timer part), 1.16, 4,
 * V21, V25-V29, V33, C14-C17. One small driver whose EvtIoRead and
 * EvtTimerFunc do what the test's mode asks; timers are parented to the
 * request or to the device (created in EvtDriverDeviceAdd). Return values
 * are checked against what the callbacks did, at the end of each execution. */
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
    WDFTIMER Timer;
    LONG refs;
    int *buffer;
    int storage;
    int magic;
    LONG ticks;
} REQ_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQ_CTX, GetReqCtx)

typedef enum {
    M_CREATE_ERRORS,   /* WdfTimerCreate's failures and GetParentObject */
    M_RETURNS,         /* device timer: Start, Start, Stop(FALSE) */
    M_STOP_WAIT,       /* device timer: Start, Stop(TRUE) */
    M_START_ABORT,     /* two requests: Start + Stop(TRUE) against Start */
    M_PROTOCOL,        /* request timer, I/O + timer references (correct) */
    M_PROTOCOL_C17,    /* same, but Stop(FALSE) == FALSE taken as "callback done" */
    M_PERIODIC,        /* periodic request timer, stopped from its 3rd callback */
    M_V25,             /* Start after WdfObjectDelete ran the timer down */
    M_V26_LOCK,        /* Stop(TRUE) under a spin lock */
    M_V26_CALLBACK,    /* Stop(TRUE) in a DISPATCH timer's callback */
    M_V27_PASSIVE,     /* Stop(TRUE) in a passive timer's callback */
    M_C14,             /* passive timer deleted from its own callback */
    M_DELETE_OWN,      /* DISPATCH timer deleted from its own callback (fine) */
    M_V28,             /* two requests each Stop(TRUE) the device timer */
    M_V29,             /* two WdfObjectDereference of a timer never referenced */
    M_DEFERRED,        /* device timer deleted at DISPATCH */
    M_PARENT_REF,      /* request timer deleted at DISPATCH, request completed, callback later */
    M_V21,             /* request completed at DISPATCH with its timer still attached */
    M_V33,             /* WdfTimerStart at HIGH_LEVEL */
    M_CLEANUP_FREE,    /* device timer with a cleanup that frees the callback's data, deleted at PASSIVE */
    M_CLEANUP_FREE_DISPATCH, /* same, deleted at DISPATCH */
} tmode;

static tmode mode;
static WDF_EXECUTION_LEVEL dev_timer_level;
static WDFDRIVER g_driver;
static WDFDEVICE g_device;
static WDFTIMER g_dev_timer;
static WDFSPINLOCK g_lock;

/* Per execution, reset by setup. */
static LONG g_callbacks, g_cb_at_return, g_arrivals, g_passive_callbacks;
static BOOLEAN g_s1, g_s2, g_st;
static volatile LONG g_v27_returned; /* M_V27_PASSIVE: Stop(TRUE) returned in the callback */
static NTSTATUS g_status[8];
static bool g_parent_ok;

/* M_CLEANUP_*: what EvtTimerFunc uses, freed (poisoned) by the timer's
 * EvtCleanupCallback, and what the cleanup saw when it ran. */
typedef struct TMR_DATA {
    LONG alive;
} TMR_DATA;
static TMR_DATA g_tmr_data;
static TMR_DATA *volatile g_tmr_data_ptr;
static LONG g_in_callback, g_cleanups, g_cleanup_saw_callback, g_cleanup_irql, g_callbacks_after_cleanup;

/* Across executions: which outcomes were seen. */
static long seen_s2[2], seen_st[2];

#define DUE WDF_REL_TIMEOUT_IN_US(100)

static VOID DropRef(WDFREQUEST Request, REQ_CTX *ctx)
{
    if (InterlockedDecrement(&ctx->refs) == 0) {
        WdfObjectDelete(ctx->Timer);
        WdfRequestComplete(Request, STATUS_SUCCESS);
    }
}

static VOID EvtTimer(WDFTIMER Timer)
{
    if (mode == M_CLEANUP_FREE || mode == M_CLEANUP_FREE_DISPATCH) {
        InterlockedIncrement(&g_in_callback);
        if (InterlockedCompareExchange(&g_cleanups, 0, 0) != 0)
            InterlockedIncrement(&g_callbacks_after_cleanup);
        TMR_DATA *d = g_tmr_data_ptr;
        NT_ASSERTMSG("EvtTimerFunc ran after the timer's EvtCleanupCallback freed its data",
                     d != NULL && d->alive == 1);
        InterlockedDecrement(&g_in_callback);
    }
    InterlockedIncrement(&g_callbacks);
    if (KeGetCurrentIrql() == PASSIVE_LEVEL)
        InterlockedIncrement(&g_passive_callbacks);
    switch (mode) {
    case M_PROTOCOL:
    case M_PROTOCOL_C17: {
        WDFREQUEST req = (WDFREQUEST)WdfTimerGetParentObject(Timer);
        REQ_CTX *ctx = GetReqCtx(req);
        NT_ASSERTMSG("the timer callback used a buffer freed after WdfTimerStop returned FALSE",
                     ctx->buffer != NULL);
        DropRef(req, ctx);
        break;
    }
    case M_PERIODIC: {
        WDFREQUEST req = (WDFREQUEST)WdfTimerGetParentObject(Timer);
        REQ_CTX *ctx = GetReqCtx(req);
        if (InterlockedIncrement(&ctx->ticks) == 3) {
            g_st = WdfTimerStop(Timer, FALSE);
            WdfObjectDelete(Timer);
            WdfRequestComplete(req, STATUS_SUCCESS);
        }
        break;
    }
    case M_V26_CALLBACK:
        (void)WdfTimerStop(Timer, TRUE);
        break;
    case M_V27_PASSIVE:
        g_st = WdfTimerStop(Timer, TRUE);
        InterlockedIncrement(&g_v27_returned);
        break;
    case M_C14:
        WdfObjectDelete(Timer);
        break;
    case M_DELETE_OWN: {
        WDFREQUEST req = (WDFREQUEST)WdfTimerGetParentObject(Timer);
        WdfObjectDelete(Timer);
        WdfRequestComplete(req, STATUS_SUCCESS);
        break;
    }
    case M_PARENT_REF: {
        WDFREQUEST req = (WDFREQUEST)WdfTimerGetParentObject(Timer);
        REQ_CTX *ctx = GetReqCtx(req);
        NT_ASSERTMSG("request context gone while the timer references the request", ctx && ctx->magic == 42);
        break;
    }
    default:
        break;
    }
}

/* The timer's EvtCleanupCallback frees what EvtTimerFunc uses: correct in
 * KMDF, where the cleanup runs after the timer's Dispose has cancelled the
 * timer and flushed its DPC and work item. */
static VOID EvtTimerCleanup(WDFOBJECT Object)
{
    UNREFERENCED_PARAMETER(Object);
    g_cleanup_saw_callback += InterlockedCompareExchange(&g_in_callback, 0, 0);
    g_cleanup_irql = KeGetCurrentIrql();
    TMR_DATA *d = g_tmr_data_ptr;
    g_tmr_data_ptr = NULL;
    if (d)
        d->alive = 0;
    InterlockedIncrement(&g_cleanups);
}

static NTSTATUS RequestTimer(WDFREQUEST Request, ULONG period, WDF_EXECUTION_LEVEL level, WDFTIMER *timer)
{
    WDF_TIMER_CONFIG tc;
    WDF_OBJECT_ATTRIBUTES a;
    WDF_TIMER_CONFIG_INIT_PERIODIC(&tc, EvtTimer, (LONG)period);
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = Request;
    a.ExecutionLevel = level;
    return WdfTimerCreate(&tc, &a, timer);
}

static VOID CreateErrors(WDFREQUEST Request)
{
    WDF_TIMER_CONFIG tc;
    WDF_OBJECT_ATTRIBUTES a;
    WDFTIMER t = NULL;
    WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
    g_status[0] = WdfTimerCreate(&tc, WDF_NO_OBJECT_ATTRIBUTES, &t);
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    g_status[1] = WdfTimerCreate(&tc, &a, &t);
    a.ParentObject = g_driver;
    g_status[2] = WdfTimerCreate(&tc, &a, &t);
    g_status[3] = RequestTimer(Request, 10, WdfExecutionLevelPassive, &t);
    g_status[4] = RequestTimer(Request, 10, WdfExecutionLevelInheritFromParent, &t);
    if (NT_SUCCESS(g_status[4]))
        WdfObjectDelete(t);
    g_status[5] = RequestTimer(Request, 0, WdfExecutionLevelPassive, &t);
    if (NT_SUCCESS(g_status[5]))
        g_parent_ok = WdfTimerGetParentObject(t) == (WDFOBJECT)Request;
    a.ParentObject = g_device;
    g_status[6] = WdfTimerCreate(&tc, &a, &t);
    /* The request's completion deletes the timers parented to it. */
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    REQ_CTX *ctx = GetReqCtx(Request);
    WDFTIMER t;
    KIRQL old;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    switch (mode) {
    case M_CREATE_ERRORS:
        CreateErrors(Request);
        return;
    case M_RETURNS:
        g_s1 = WdfTimerStart(g_dev_timer, DUE);
        g_s2 = WdfTimerStart(g_dev_timer, DUE);
        g_st = WdfTimerStop(g_dev_timer, FALSE);
        break;
    case M_STOP_WAIT:
        (void)WdfTimerStart(g_dev_timer, DUE);
        g_st = WdfTimerStop(g_dev_timer, TRUE);
        g_cb_at_return = g_callbacks;
        break;
    case M_START_ABORT:
        if (InterlockedIncrement(&g_arrivals) == 1) {
            (void)WdfTimerStart(g_dev_timer, DUE);
            (void)WdfTimerStop(g_dev_timer, TRUE);
        } else {
            (void)WdfTimerStart(g_dev_timer, DUE);
        }
        break;
    case M_PROTOCOL:
    case M_PROTOCOL_C17:
        ctx->refs = 2; /* the I/O reference and the timer reference */
        ctx->buffer = &ctx->storage;
        if (!NT_SUCCESS(RequestTimer(Request, 0, WdfExecutionLevelInheritFromParent, &ctx->Timer)))
            break;
        (void)WdfTimerStart(ctx->Timer, DUE);
        if (WdfTimerStop(ctx->Timer, FALSE))
            DropRef(Request, ctx); /* cancelled: the callback will not run */
        else if (mode == M_PROTOCOL_C17)
            ctx->buffer = NULL; /* wrong: the callback may still be pending */
        DropRef(Request, ctx);
        return;
    case M_PERIODIC:
        if (NT_SUCCESS(RequestTimer(Request, 1, WdfExecutionLevelInheritFromParent, &t)))
            (void)WdfTimerStart(t, DUE);
        return; /* the callback completes the request */
    case M_V25:
        WdfObjectReference(g_dev_timer);
        WdfObjectDelete(g_dev_timer);
        g_s1 = WdfTimerStart(g_dev_timer, DUE);
        WdfObjectDereference(g_dev_timer);
        break;
    case M_V26_LOCK:
        WdfSpinLockAcquire(g_lock);
        (void)WdfTimerStop(g_dev_timer, TRUE);
        WdfSpinLockRelease(g_lock);
        break;
    case M_V26_CALLBACK:
    case M_V27_PASSIVE:
    case M_C14:
        (void)WdfTimerStart(g_dev_timer, DUE);
        break;
    case M_DELETE_OWN:
        if (NT_SUCCESS(RequestTimer(Request, 0, WdfExecutionLevelInheritFromParent, &t)))
            (void)WdfTimerStart(t, DUE);
        return; /* the callback deletes its timer and completes */
    case M_V28:
        (void)WdfTimerStart(g_dev_timer, DUE);
        (void)WdfTimerStop(g_dev_timer, TRUE);
        break;
    case M_V29:
        t = NULL;
        {
            WDF_TIMER_CONFIG tc;
            WDF_OBJECT_ATTRIBUTES a;
            WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
            WDF_OBJECT_ATTRIBUTES_INIT(&a);
            a.ParentObject = g_device;
            if (NT_SUCCESS(WdfTimerCreate(&tc, &a, &t))) {
                WdfObjectDereference(t);
                WdfObjectDereference(t);
            }
        }
        break;
    case M_DEFERRED:
        (void)WdfTimerStart(g_dev_timer, DUE);
        WdfSpinLockAcquire(g_lock);
        WdfObjectDelete(g_dev_timer);
        WdfSpinLockRelease(g_lock);
        break;
    case M_PARENT_REF:
    case M_V21:
        ctx->magic = 42;
        if (!NT_SUCCESS(RequestTimer(Request, 0, WdfExecutionLevelInheritFromParent, &t)))
            break;
        (void)WdfTimerStart(t, DUE);
        WdfSpinLockAcquire(g_lock);
        if (mode == M_PARENT_REF)
            WdfObjectDelete(t);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        WdfSpinLockRelease(g_lock);
        return;
    case M_CLEANUP_FREE:
        (void)WdfTimerStart(g_dev_timer, DUE);
        WdfObjectDelete(g_dev_timer);
        break;
    case M_CLEANUP_FREE_DISPATCH:
        (void)WdfTimerStart(g_dev_timer, DUE);
        WdfSpinLockAcquire(g_lock);
        WdfObjectDelete(g_dev_timer);
        WdfSpinLockRelease(g_lock);
        break;
    case M_V33:
        KeRaiseIrql(HIGH_LEVEL, &old);
        g_s1 = WdfTimerStart(g_dev_timer, DUE);
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
    g_driver = Driver;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, REQ_CTX);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attrs);
    st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &g_device);
    if (!NT_SUCCESS(st))
        return st;
    st = WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_lock);
    if (!NT_SUCCESS(st))
        return st;
    WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.ParentObject = g_device;
    attrs.ExecutionLevel = dev_timer_level;
    if (mode == M_CLEANUP_FREE || mode == M_CLEANUP_FREE_DISPATCH)
        attrs.EvtCleanupCallback = EvtTimerCleanup;
    st = WdfTimerCreate(&tc, &attrs, &g_dev_timer);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    return WdfIoQueueCreate(g_device, &qc, WDF_NO_OBJECT_ATTRIBUTES, NULL);
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
    g_callbacks = g_cb_at_return = g_arrivals = g_passive_callbacks = 0;
    g_s1 = g_s2 = g_st = FALSE;
    g_parent_ok = false;
    g_tmr_data.alive = 1;
    g_tmr_data_ptr = &g_tmr_data;
    g_in_callback = g_cleanups = g_cleanup_saw_callback = g_callbacks_after_cleanup = 0;
    g_cleanup_irql = -1;
    for (int i = 0; i < 8; i++)
        g_status[i] = STATUS_PENDING;
    km_world_start(&env, DriverEntry);
}

/* The end-of-execution oracles, then what the return values promised. */
static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    switch (mode) {
    case M_RETURNS: {
        /* Start is TRUE iff the timer was queued; Stop(FALSE) is TRUE iff it
         * cancelled a queued timer, whose arming then never calls back. Two
         * expiries may share one DPC (KeInsertQueueDpc on a queued DPC). */
        long expiries = (g_s2 ? 0 : 1) + (g_st ? 0 : 1);
        seen_s2[g_s2 ? 1 : 0]++;
        seen_st[g_st ? 1 : 0]++;
        if (g_s1 || g_callbacks > expiries || (expiries > 0 && g_callbacks == 0))
            dr_fail(DR_FIND_CHECK, "timer return values disagree with the callbacks",
                    "Start %d, Start %d, Stop(FALSE) %d, %ld callbacks", g_s1, g_s2, g_st, (long)g_callbacks);
        break;
    }
    case M_STOP_WAIT:
        /* After Stop(TRUE) nothing runs; TRUE iff the one arming was cancelled. */
        seen_st[g_st ? 1 : 0]++;
        if (g_callbacks != g_cb_at_return || (g_st ? 0 : 1) != g_callbacks)
            dr_fail(DR_FIND_CHECK, "Stop(TRUE) returned before the callback finished",
                    "Stop(TRUE) %d, %ld callbacks at its return, %ld in all", g_st, (long)g_cb_at_return,
                    (long)g_callbacks);
        else if (dev_timer_level == WdfExecutionLevelPassive && g_passive_callbacks != g_callbacks)
            dr_fail(DR_FIND_CHECK, "passive timer called back above PASSIVE_LEVEL", "%ld of %ld at PASSIVE",
                    (long)g_passive_callbacks, (long)g_callbacks);
        break;
    case M_PERIODIC:
        if (!g_st || g_callbacks < 3)
            dr_fail(DR_FIND_CHECK, "periodic timer", "Stop(FALSE) in the 3rd callback %d, %ld callbacks", g_st,
                    (long)g_callbacks);
        break;
    case M_CLEANUP_FREE:
    case M_CLEANUP_FREE_DISPATCH:
        /* Dispose (cancel, KeFlushQueuedDpcs, wait for the work item) before
         * EvtCleanupCallback, and the cleanup at PASSIVE even when the delete
         * came at DISPATCH. */
        if (g_cleanups != 1 || g_cleanup_saw_callback || g_callbacks_after_cleanup || g_cleanup_irql != PASSIVE_LEVEL)
            dr_fail(DR_FIND_CHECK, "timer cleanup order",
                    "%ld cleanups, %ld callbacks running at the cleanup, %ld after it, cleanup at IRQL %ld",
                    (long)g_cleanups, (long)g_cleanup_saw_callback, (long)g_callbacks_after_cleanup,
                    (long)g_cleanup_irql);
        seen_st[g_callbacks ? 1 : 0]++;
        break;
    case M_V25:
        if (g_s1 || g_callbacks)
            dr_fail(DR_FIND_CHECK, "Start armed a timer that was run down", "Start %d, %ld callbacks", g_s1,
                    (long)g_callbacks);
        break;
    default:
        break;
    }
}

static const dr_scenario scn = {"test-timer", "timer model", "clean", 2, 4, 1, setup, check, NULL, 0};

static void use(tmode m, bool verifier, WDF_EXECUTION_LEVEL level)
{
    mode = m;
    dev_timer_level = level;
    km_env_defaults(&env);
    env.verifier = verifier;
    env.cancel = false;
}

static void test_create(void) /* spec 4 Create */
{
    use(M_CREATE_ERRORS, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_status[0] == STATUS_WDF_PARENT_NOT_SPECIFIED);
    KCHECK(g_status[1] == STATUS_WDF_PARENT_NOT_SPECIFIED);
    KCHECK(g_status[2] == STATUS_INVALID_DEVICE_REQUEST); /* the driver is no device */
    KCHECK(g_status[3] == STATUS_NOT_SUPPORTED);          /* periodic + passive */
    KCHECK(g_status[4] == STATUS_SUCCESS);                /* a request counts as a device ancestor */
    KCHECK(g_status[5] == STATUS_SUCCESS);
    KCHECK(g_status[6] == STATUS_SUCCESS);
    KCHECK(g_parent_ok);
}

static void test_start_stop_returns(void) /* spec 4 Start, Stop(FALSE) */
{
    use(M_RETURNS, true, WdfExecutionLevelDispatch);
    dr_windows_reset();
    memset(seen_s2, 0, sizeof seen_s2);
    memset(seen_st, 0, sizeof seen_st);
    km_test_result r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r);
    KCHECK(seen_s2[0] > 0 && seen_s2[1] > 0); /* Start: FALSE after expiry, TRUE while queued */
    KCHECK(seen_st[0] > 0 && seen_st[1] > 0);
    KCHECK(km_test_window_hits("timer: Stop(FALSE) with the callback pending") > 0);
    KCHECK(km_test_window_hits("timer: expiry absorbed by a queued DPC") > 0);
    r = km_test_run_dfs(&scn, 2, 20000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_stop_wait(void) /* spec 4 Stop(TRUE), DISPATCH and passive timers */
{
    use(M_STOP_WAIT, true, WdfExecutionLevelDispatch);
    memset(seen_st, 0, sizeof seen_st);
    km_test_result r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    KCHECK(seen_st[0] > 0 && seen_st[1] > 0);
    use(M_STOP_WAIT, true, WdfExecutionLevelPassive);
    memset(seen_st, 0, sizeof seen_st);
    r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    KCHECK(seen_st[0] > 0 && seen_st[1] > 0);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    /* A Start while Stop(TRUE) runs elsewhere is aborted. */
    use(M_START_ABORT, true, WdfExecutionLevelDispatch);
    env.requests = 2;
    dr_windows_reset();
    r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r);
    KCHECK(km_test_window_hits("timer: Start aborted by Stop(TRUE)") > 0);
}

/* Every state of the machine, with the published protocol in miniature. */
static void test_states_and_protocol(void)
{
    static const char *const states[] = {"Idle", "Queued", "Expired-DPC-pending", "Running", "RunningDown",
                                         "Deleted"};
    use(M_PROTOCOL, true, WdfExecutionLevelDispatch);
    dr_windows_reset();
    km_test_result r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r);
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "timer state: %s", states[i]);
        if (km_test_window_hits(name) == 0)
            fprintf(stderr, "state %s never reached\n", states[i]);
        KCHECK(km_test_window_hits(name) > 0);
    }
    KCHECK(km_test_window_hits("timer: Stop(FALSE) with the callback pending") > 0);
    r = km_test_run_dfs(&scn, 2, 100000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    printf("timer protocol: DFS bound 2 exhausted after %ld executions\n", r.executions);
}

static void test_c17(void) /* Stop(FALSE) == FALSE is not "the callback finished" */
{
    if (!RACY_DRIVERS)
        return;
    use(M_PROTOCOL_C17, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_find(&scn, 20000, "buffer freed");
    KEXPECT_FINDING(r, DR_FIND_ASSERT, "buffer freed after WdfTimerStop returned FALSE");
}

static void test_periodic(void)
{
    use(M_PERIODIC, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_run(&scn, "random", 1000, true);
    KEXPECT_CLEAN(r);
}

static void test_v25(void)
{
    use(M_V25, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V25: WdfTimerStart");
    use(M_V25, false, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 100, true);
    KEXPECT_CLEAN(r); /* and the check: Start returned FALSE, nothing fired */
}

static void test_v26_c16(void) /* Stop(TRUE) at DISPATCH */
{
    use(M_V26_LOCK, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V26: WdfTimerStop");
    use(M_V26_LOCK, false, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V26: WdfTimerStop");
    /* From the DISPATCH callback: the IRQL check comes first; without the
     * verifier the own-callback check still fires. */
    use(M_V26_CALLBACK, true, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V26: WdfTimerStop");
    /* Without the verifier the own-callback check returns FALSE and breaks
     * nothing (fxtimer.cpp FxTimer::Stop: FxVerifierDbgBreakPoint breaks only
     * with DbgBreakOnError): no framework finding. */
    use(M_V26_CALLBACK, false, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 10, true);
    KCHECK(r.first.kind != DR_FIND_FRAMEWORK);
    /* The correct Stop(TRUE) at PASSIVE is clean (test_stop_wait). */
}

static void test_v27(void) /* Stop(TRUE) from a passive timer's callback */
{
    use(M_V27_PASSIVE, true, WdfExecutionLevelPassive);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V27: WdfTimerStop");
    /* Without the verifier: fxtimer.cpp FxTimer::Stop returns FALSE at once
     * in every build, and FxVerifierDbgBreakPoint breaks only with
     * DbgBreakOnError (VerifierOn): no V27, the callback goes on. */
    use(M_V27_PASSIVE, false, WdfExecutionLevelPassive);
    g_v27_returned = 0;
    g_st = TRUE;
    r = km_test_run(&scn, "random", 10, true);
    KCHECK(r.first.kind != DR_FIND_FRAMEWORK);
    KCHECK(g_v27_returned > 0);
    KCHECK(g_st == FALSE);
}

static void test_c14_and_delete_own(void)
{
    use(M_C14, true, WdfExecutionLevelPassive);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V27: WdfObjectDelete");
    use(M_C14, false, WdfExecutionLevelPassive);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "");
    /* A DISPATCH timer may delete itself in its callback. */
    use(M_DELETE_OWN, true, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_v28(void)
{
    use(M_V28, true, WdfExecutionLevelDispatch);
    env.requests = 2;
    km_test_result r = km_test_find(&scn, 20000, "V28");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V28: WdfTimerStop");
    use(M_V28, false, WdfExecutionLevelDispatch);
    env.requests = 2;
    r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
}

static void test_v29(void)
{
    use(M_V29, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V29: WdfObjectDereference");
    use(M_V29, false, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "C7");
}

static void test_deferred_rundown(void) /* 1.11: the timer fires after WdfObjectDelete at DISPATCH */
{
    use(M_DEFERRED, true, WdfExecutionLevelDispatch);
    dr_windows_reset();
    km_test_result r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r);
    KCHECK(km_test_window_hits("timer: callback after WdfObjectDelete") > 0);
    KCHECK(km_test_window_hits("timer state: RunningDown") > 0);
    KCHECK(km_test_window_hits("timer state: Deleted") > 0);
}

static void test_parent_reference(void) /* 4: the request's context outlives its completion */
{
    use(M_PARENT_REF, true, WdfExecutionLevelDispatch);
    dr_windows_reset();
    km_test_result r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r); /* the context is there, and the request is freed after the rundown */
    KCHECK(km_test_window_hits("timer: callback after WdfObjectDelete") > 0);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_v21_c15(void)
{
    use(M_V21, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V21");
    use(M_V21, false, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 1000, true);
    KEXPECT_CLEAN(r);
}

/* fxobjectstatemachine.cpp#DisposeChildrenWorker calls the object's
 * Dispose() and only then CallCleanup(); fxtimer.cpp#FxTimer::Dispose
 * (FlushAndRundown: Stop(TRUE), the work item's DeleteObject) is that
 * Dispose. A timer is MarkPassiveDispose, so a delete above PASSIVE defers the
 * whole dispose, cleanup included (ShouldDeferDisposeLocked). A cleanup that
 * frees what EvtTimerFunc uses is therefore correct. */
static void test_cleanup_after_dispose(void)
{
    use(M_CLEANUP_FREE, true, WdfExecutionLevelDispatch);
    memset(seen_st, 0, sizeof seen_st);
    km_test_result r = km_test_run(&scn, "random", 2000, false);
    KEXPECT_CLEAN(r);
    KCHECK(seen_st[0] > 0 && seen_st[1] > 0); /* deleted before and after the expiry */
    r = km_test_run_dfs(&scn, 2, 50000, false);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    use(M_CLEANUP_FREE, true, WdfExecutionLevelPassive);
    r = km_test_run(&scn, "random", 2000, false);
    KEXPECT_CLEAN(r);
    use(M_CLEANUP_FREE_DISPATCH, true, WdfExecutionLevelDispatch);
    dr_windows_reset();
    memset(seen_st, 0, sizeof seen_st);
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(km_test_window_hits("timer: callback after WdfObjectDelete") > 0);
    KCHECK(seen_st[1] > 0);
}

static void test_v33(void)
{
    /* fxtimerapi.cpp WdfTimerStart checks no IRQL; above DISPATCH_LEVEL the
     * framework's spin lock raises to a lower IRQL: the kernel's bug check
     * 0x9 (INT2), with or without the verifier. */
    use(M_V33, true, WdfExecutionLevelDispatch);
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9 INT2: WdfTimerStart: called above DISPATCH_LEVEL");
    use(M_V33, false, WdfExecutionLevelDispatch);
    r = km_test_run(&scn, "random", 100, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9 INT2: WdfTimerStart: called above DISPATCH_LEVEL");
}

int main(void)
{
    test_create();
    test_start_stop_returns();
    test_stop_wait();
    test_states_and_protocol();
    test_c17();
    test_periodic();
    test_v25();
    test_v26_c16();
    test_v27();
    test_c14_and_delete_own();
    test_v28();
    test_v29();
    test_deferred_rundown();
    test_parent_reference();
    test_v21_c15();
    test_v33();
    test_cleanup_after_dispose();
    return km_test_done();
}
