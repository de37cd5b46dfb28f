/* test_sync.c: synchronisation scopes, the callback lock and the queue's
 * dispatch gate (issue 12). KMDF source: microsoft/Windows-Driver-Frameworks,
 * src/framework/shared/irphandlers/io/fxioqueue.cpp (ConfigureConstraints,
 * DispatchEvents, CancelForDriver, m_Dispatching), inc/private/common/
 * fxcallbackspinlock.hpp, fxcallbackmutexlock.hpp, core/fxtimer.cpp
 * (Initialize, TimerHandler), object/fxobject.cpp (_GetEffectiveLock),
 * object/fxobjectapi.cpp (WdfObjectAcquireLock).
 *
 * One small driver: a parallel default queue, two requests at once, a timer
 * started by each EvtIoRead. Every callback counts itself in on entry and out
 * on return, with DDI calls (scheduling points) in between; the maximum
 * count seen says whether two callbacks ever overlapped. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

typedef enum {
    M_OVERLAP,     /* EvtIoRead and EvtTimerFunc count themselves; complete */
    M_CANCEL_GATE, /* MarkCancelableEx, yield, Unmark: complete on success, else the callback does */
    M_NONEX_TIMER, /* EvtIoRead starts the timer; the timer marks (non-Ex) a cancelled IRP, or completes */
    M_STOP_WAIT,   /* EvtIoRead starts the serialised timer and stops it with Wait=TRUE */
    M_RECURSIVE,   /* EvtIoRead takes the device's lock it already holds */
    M_OBJ_LOCK,    /* an unserialised timer takes the device lock with WdfObjectAcquireLock */
} sync_mode;

static sync_mode mode;
static WDF_SYNCHRONIZATION_SCOPE drv_scope, dev_scope, queue_scope;
static WDF_EXECUTION_LEVEL dev_level, queue_level, timer_level;
static BOOLEAN timer_serialised;
static bool timer_on_queue; /* the timer's parent: the queue, else the device */
static WDFDEVICE the_device;
static WDFQUEUE the_queue;
static WDFTIMER the_timer;
static WDFREQUEST timer_request;
static NTSTATUS queue_status, timer_status;

static int io_inside, all_inside, max_io, max_all;
static int in_io, cancel_during_io, cancel_runs;
static uint32_t mark_task;
static int cancel_irql_bad, mark_deferred_ok, mark_sync_ok, mark_bad, in_mark;

static void enter(bool io)
{
    if (io && ++io_inside > max_io)
        max_io = io_inside;
    if (++all_inside > max_all)
        max_all = all_inside;
}

static void leave(bool io)
{
    if (io)
        io_inside--;
    all_inside--;
}

static VOID EvtCancel(WDFREQUEST Request)
{
    cancel_runs++;
    if (in_io)
        cancel_during_io++;
    enter(false);
    WdfRequestSetInformation(Request, 0); /* a scheduling point inside */
    leave(false);
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

/* M_NONEX_TIMER: it ran on the thread that called Mark (synchronous) or on
 * the thread that dispatched EvtIoRead (deferred); either way never while
 * EvtIoRead runs. */
static VOID EvtCancelNonEx(WDFREQUEST Request)
{
    if (dev_level == WdfExecutionLevelPassive && dr_irql() != PASSIVE_LEVEL)
        cancel_irql_bad++;
    if (in_io)
        mark_bad++;
    else if (in_mark && dr_current_task() == mark_task)
        mark_sync_ok++;
    else
        mark_deferred_ok++;
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static VOID EvtTimer(WDFTIMER Timer)
{
    UNREFERENCED_PARAMETER(Timer);
    switch (mode) {
    case M_OVERLAP:
    case M_STOP_WAIT:
    case M_RECURSIVE:
        enter(false);
        (void)WdfTimerGetParentObject(Timer); /* a scheduling point inside */
        leave(false);
        break;
    case M_OBJ_LOCK:
        WdfObjectAcquireLock(the_device);
        enter(false);
        (void)WdfTimerGetParentObject(Timer);
        leave(false);
        WdfObjectReleaseLock(the_device);
        break;
    case M_NONEX_TIMER: {
        WDFREQUEST r = timer_request;
        if (!r)
            break;
        timer_request = NULL;
        if (WdfRequestIsCanceled(r)) {
            mark_task = dr_current_task();
            in_mark = 1;
            WdfRequestMarkCancelable(r, EvtCancelNonEx);
            in_mark = 0;
        } else {
            WdfRequestComplete(r, STATUS_SUCCESS);
        }
        break;
    }
    case M_CANCEL_GATE:
        break;
    }
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    switch (mode) {
    case M_OVERLAP:
    case M_OBJ_LOCK:
        enter(true);
        WdfTimerStart(the_timer, WDF_REL_TIMEOUT_IN_MS(1));
        for (int i = 0; i < 4; i++)
            WdfRequestSetInformation(Request, (ULONG_PTR)i); /* scheduling points inside */
        leave(true);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    case M_CANCEL_GATE:
        in_io = 1;
        enter(true);
        st = WdfRequestMarkCancelableEx(Request, EvtCancel);
        if (st == STATUS_CANCELLED) {
            leave(true);
            in_io = 0;
            WdfRequestComplete(Request, STATUS_CANCELLED);
            break;
        }
        WdfRequestSetInformation(Request, 1); /* the I/O manager may cancel here */
        st = WdfRequestUnmarkCancelable(Request);
        leave(true);
        in_io = 0;
        if (st == STATUS_SUCCESS)
            WdfRequestComplete(Request, STATUS_SUCCESS);
        break; /* else EvtCancel completes it */
    case M_NONEX_TIMER:
        in_io = 1;
        timer_request = Request;
        WdfTimerStart(the_timer, WDF_REL_TIMEOUT_IN_MS(1));
        (void)WdfTimerGetParentObject(the_timer); /* scheduling points, the request untouched */
        (void)WdfTimerGetParentObject(the_timer);
        in_io = 0;
        break;
    case M_STOP_WAIT:
        WdfTimerStart(the_timer, WDF_REL_TIMEOUT_IN_MS(1));
        WdfRequestSetInformation(Request, 1);
        WdfTimerStop(the_timer, TRUE);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    case M_RECURSIVE:
        WdfObjectAcquireLock(the_device);
        WdfObjectReleaseLock(the_device);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    }
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_TIMER_CONFIG tc;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.SynchronizationScope = dev_scope;
    attrs.ExecutionLevel = dev_level;
    st = WdfDeviceCreate(&DeviceInit, &attrs, &the_device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.SynchronizationScope = queue_scope;
    attrs.ExecutionLevel = queue_level;
    queue_status = WdfIoQueueCreate(the_device, &qc, &attrs, &the_queue);
    timer_status = STATUS_UNSUCCESSFUL;
    if (!NT_SUCCESS(queue_status))
        return queue_status;
    WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
    tc.AutomaticSerialization = timer_serialised;
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.ParentObject = timer_on_queue ? (WDFOBJECT)the_queue : (WDFOBJECT)the_device;
    attrs.ExecutionLevel = timer_level != WdfExecutionLevelInheritFromParent ? timer_level
                           : dev_level == WdfExecutionLevelPassive                ? WdfExecutionLevelPassive
                                                                                  : WdfExecutionLevelInheritFromParent;
    timer_status = WdfTimerCreate(&tc, &attrs, &the_timer);
    return timer_status;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.SynchronizationScope = drv_scope;
    return WdfDriverCreate(DriverObject, RegistryPath, &attrs, &config, WDF_NO_HANDLE);
}

static km_env env;

static void setup(void)
{
    io_inside = all_inside = 0;
    in_io = in_mark = 0;
    timer_request = NULL;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    if (dr_failed())
        return;
    km_world_check();
}

static const dr_scenario scn = {"test-sync", "sync scopes", "clean", 2, 4, 1, setup, check, NULL, 0};

static void configure(sync_mode m, WDF_SYNCHRONIZATION_SCOPE dev, WDF_SYNCHRONIZATION_SCOPE q, BOOLEAN serialised,
                      bool on_queue, unsigned requests, bool cancel)
{
    mode = m;
    drv_scope = WdfSynchronizationScopeInheritFromParent;
    dev_scope = dev;
    queue_scope = q;
    dev_level = queue_level = timer_level = WdfExecutionLevelInheritFromParent;
    timer_serialised = serialised;
    timer_on_queue = on_queue;
    km_env_defaults(&env);
    env.requests = requests;
    env.cancel = cancel;
    max_io = max_all = 0;
}

/* Device scope: without it EvtIoRead and a timer overlap; with it no two of
 * them ever run at once (the device's spin lock around each). */
static void test_device_scope(void)
{
    /* No scope: two EvtIoRead at once (two requests), the timer beside
     * EvtIoRead (one request, the other processor free for its DPC). */
    configure(M_OVERLAP, WdfSynchronizationScopeNone, WdfSynchronizationScopeInheritFromParent, TRUE, false, 2,
              false);
    km_test_result r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_io == 2);
    configure(M_OVERLAP, WdfSynchronizationScopeNone, WdfSynchronizationScopeInheritFromParent, TRUE, false, 1,
              false);
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 2);
    /* Device scope: never two of them at once. */
    configure(M_OVERLAP, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false, 2,
              false);
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(queue_status == STATUS_SUCCESS && timer_status == STATUS_SUCCESS);
    KCHECK(max_io == 1);
    KCHECK(max_all == 1);
    r = km_test_run_dfs(&scn, 2, 100000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 1);
    printf("device scope: DFS bound 2, %ld executions%s, never two callbacks at once\n", r.executions,
           r.exhausted ? " (exhausted)" : "");
    configure(M_OVERLAP, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false, 1,
              false);
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 1);
    /* The device inherits the driver's scope (fxdevicebase.cpp#ConfigureConstraints). */
    configure(M_OVERLAP, WdfSynchronizationScopeInheritFromParent, WdfSynchronizationScopeInheritFromParent, TRUE,
              false, 1, false);
    drv_scope = WdfSynchronizationScopeDevice;
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 1);
}

/* Queue scope: EvtIoRead calls are serialised with each other and with a
 * serialised timer parented to the queue; a timer parented to the device
 * (scope None there) is not. */
static void test_queue_scope(void)
{
    configure(M_OVERLAP, WdfSynchronizationScopeNone, WdfSynchronizationScopeQueue, TRUE, true, 2, false);
    km_test_result r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_io == 1);
    KCHECK(max_all == 1);
    configure(M_OVERLAP, WdfSynchronizationScopeNone, WdfSynchronizationScopeQueue, TRUE, true, 1, false);
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 1);
    configure(M_OVERLAP, WdfSynchronizationScopeNone, WdfSynchronizationScopeQueue, TRUE, false, 1, false);
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 2); /* the device's timer has no lock to take */
}

/* AutomaticSerialization FALSE: the timer runs beside a serialised EvtIoRead. */
static void test_timer_not_serialised(void)
{
    configure(M_OVERLAP, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, FALSE, false, 1,
              false);
    km_test_result r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 2);
    /* WdfObjectAcquireLock on the device takes the same lock EvtIoRead runs
     * under: the unserialised timer that takes it never overlaps. */
    configure(M_OBJ_LOCK, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, FALSE, false, 1,
              false);
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(max_all == 1);
}

/* Constraints: a passive device with Device scope passes it to its queue
 * and a passive serialised timer (a mutex around each callback); KMDF
 * refuses a Device-scope queue at another execution level than its device
 * (fxioqueue.cpp#ConfigureConstraints) and a serialised DISPATCH timer under
 * a passive parent (fxobject.cpp#_GetEffectiveLock). */
static void test_constraint_errors(void)
{
    configure(M_OVERLAP, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false, 2,
              false);
    dev_level = WdfExecutionLevelPassive;
    km_test_result r = km_test_run(&scn, "random", 2000, false);
    KCHECK(queue_status == STATUS_SUCCESS);
    KCHECK(timer_status == STATUS_SUCCESS);
    KEXPECT_CLEAN(r);
    KCHECK(max_io == 1);
    KCHECK(max_all == 1);
    configure(M_OVERLAP, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false, 1,
              false);
    dev_level = WdfExecutionLevelPassive;
    queue_level = WdfExecutionLevelDispatch;
    (void)km_test_run(&scn, "random", 1, false);
    KCHECK(queue_status == STATUS_INVALID_PARAMETER);
    configure(M_OVERLAP, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false, 1,
              false);
    dev_level = WdfExecutionLevelPassive;
    timer_level = WdfExecutionLevelDispatch;
    env.verifier = false; /* the VF-BREAK needs the verifier; the status does not */
    (void)km_test_run(&scn, "random", 1, false);
    KCHECK(queue_status == STATUS_SUCCESS);
    KCHECK(timer_status == STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL);
}

static bool window_hit(const char *needle);

/* The m_Dispatching gate: with one request in flight EvtRequestCancel never
 * runs while the request's own EvtIoRead does, although the I/O manager
 * cancels during it; it runs as EvtIoRead returns. With two requests the
 * other request's dispatch loop may deliver it earlier, as in KMDF. */
static void test_cancel_gate(void)
{
    configure(M_CANCEL_GATE, WdfSynchronizationScopeNone, WdfSynchronizationScopeInheritFromParent, FALSE, false, 1,
              true);
    cancel_during_io = cancel_runs = 0;
    dr_windows_reset();
    km_test_result r = km_test_run_dfs(&scn, 2, 100000, false);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(cancel_runs > 0);
    KCHECK(cancel_during_io == 0);
    KCHECK(window_hit("m_Dispatching"));
    configure(M_CANCEL_GATE, WdfSynchronizationScopeNone, WdfSynchronizationScopeInheritFromParent, FALSE, false, 2,
              true);
    cancel_during_io = cancel_runs = 0;
    /* Two requests: the other request's loop may deliver the cancel while
     * this EvtIoRead still runs, and its Unmark then finds the request
     * completed by EvtCancel (V14), as in KMDF. */
    r = km_test_run_dfs(&scn, 2, 200000, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V14: WdfRequestUnmarkCancelable");
    /* Device scope: EvtRequestCancel takes the callback lock too
     * (m_IoCancelCallbackLockPtr): never beside an EvtIoRead. */
    configure(M_CANCEL_GATE, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, FALSE, false,
              2, true);
    cancel_during_io = cancel_runs = 0;
    r = km_test_run(&scn, "random", 100000, false);
    KEXPECT_CLEAN(r);
    KCHECK(cancel_runs > 0);
    KCHECK(max_all == 1);
}

static bool window_hit(const char *needle)
{
    for (size_t i = 0; i < dr_window_count(); i++)
        if (strstr(dr_window_name(i), needle))
            return true;
    return false;
}

/* CanThreadDispatchEventsLocked: a non-Ex Mark by a thread that holds the
 * queue's callback lock (a serialised timer under Device scope) defers the
 * callback to the queue's DPC; by a DISPATCH thread on a passive queue, to
 * its work item, where it runs at PASSIVE_LEVEL. */
static void test_nonex_mark_deferred_dispatch(void)
{
    configure(M_NONEX_TIMER, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false,
              1, true);
    mark_deferred_ok = mark_sync_ok = mark_bad = 0;
    dr_windows_reset();
    km_test_result r = km_test_run(&scn, "random", 20000, false);
    KEXPECT_CLEAN(r);
    KCHECK(mark_sync_ok == 0); /* never inside Mark: the caller holds the lock */
    KCHECK(mark_deferred_ok > 0);
    KCHECK(mark_bad == 0);
    KCHECK(window_hit("queue's DPC"));
    configure(M_NONEX_TIMER, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, FALSE, false,
              1, true);
    dev_level = WdfExecutionLevelPassive;
    timer_level = WdfExecutionLevelDispatch;
    mark_deferred_ok = mark_sync_ok = mark_bad = cancel_irql_bad = 0;
    dr_windows_reset();
    r = km_test_run(&scn, "random", 20000, false);
    KEXPECT_CLEAN(r);
    KCHECK(mark_sync_ok == 0);
    KCHECK(mark_deferred_ok > 0);
    KCHECK(mark_bad == 0);
    KCHECK(cancel_irql_bad == 0);
    KCHECK(window_hit("work item"));
}

/* R6, non-Ex Mark on a cancelled IRP from a timer (outside EvtIoRead): the
 * callback runs inside Mark when no thread dispatches on the queue, and is
 * deferred until EvtIoRead returns when it still runs. Both happen. */
static void test_nonex_mark_outcomes(void)
{
    configure(M_NONEX_TIMER, WdfSynchronizationScopeNone, WdfSynchronizationScopeInheritFromParent, FALSE, false, 1,
              true);
    mark_deferred_ok = mark_sync_ok = mark_bad = 0;
    km_test_result r = km_test_run(&scn, "random", 20000, false);
    KEXPECT_CLEAN(r);
    KCHECK(mark_sync_ok > 0);
    KCHECK(mark_deferred_ok > 0);
    KCHECK(mark_bad == 0);
    printf("non-Ex Mark from a timer: %d synchronous, %d deferred to EvtIoRead's return\n", mark_sync_ok,
           mark_deferred_ok);
}

/* Deadlock through the callback lock: PASSIVE device scope (a mutex), a
 * passive serialised timer; EvtIoRead, holding the lock, waits in
 * WdfTimerStop(TRUE) for the timer's work item, which waits for the lock. */
static void test_stop_wait_deadlock(void)
{
    configure(M_STOP_WAIT, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false, 1,
              false);
    dev_level = WdfExecutionLevelPassive;
    km_test_result r = km_test_find(&scn, 20000, "");
    KCHECK(r.first.kind == DR_FIND_DEADLOCK);
    if (r.first.kind != DR_FIND_DEADLOCK)
        printf("stop-wait: got [%s] %s\n", dr_finding_kind_name(r.first.kind), r.first.title);
    /* Without the serialisation the same driver is clean. */
    configure(M_STOP_WAIT, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, FALSE, false, 1,
              false);
    dev_level = WdfExecutionLevelPassive;
    r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
}

/* A second acquire by the thread that holds the callback lock:
 * FxVerifierBugCheck(WDF_RECURSIVE_LOCK) in every build. */
static void test_recursive_acquire(void)
{
    configure(M_RECURSIVE, WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent, TRUE, false, 1,
              false);
    env.verifier = false;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x2 SYNC: WdfObjectAcquireLock");
    /* Scope None: EvtIoRead does not hold it, the acquire is fine. */
    configure(M_RECURSIVE, WdfSynchronizationScopeNone, WdfSynchronizationScopeInheritFromParent, TRUE, false, 1,
              false);
    r = km_test_run(&scn, "random", 200, false);
    KEXPECT_CLEAN(r);
}

int main(void)
{
    test_device_scope();
    test_queue_scope();
    test_timer_not_serialised();
    test_constraint_errors();
    test_cancel_gate();
    test_nonex_mark_outcomes();
    test_nonex_mark_deferred_dispatch();
    test_stop_wait_deadlock();
    test_recursive_acquire();
    return km_test_done();
}
