/* test_defer.c: the deferral objects WDFDPC, WDFWORKITEM and WDFWAITLOCK
 * (km_defer.c, docs/model-defer.md). One small driver whose EvtIoRead,
 * EvtDpcFunc and EvtWorkItemFunc do what the test's mode asks; what they
 * observed is judged at the end of each execution (check). */
#include "km_test.h"
#include "wdf.h"

typedef enum {
    M_DPC_RETURNS,     /* Enqueue/Enqueue/Cancel(FALSE) under a spin lock, then Cancel(TRUE) */
    M_DPC_CANCEL_WAIT, /* two requests: one enqueues the DPC, the other Cancel(TRUE)s it */
    M_DPC_CANCEL_DISPATCH, /* Cancel(TRUE) under a spin lock */
    M_DPC_DELETE_QUEUED, /* two requests: one enqueues the DPC, the other deletes it */
    M_DPC_OVERDEREF,   /* two WdfObjectDereference of a queued DPC never referenced */
    M_WI_FLUSH,        /* Enqueue twice, Flush */
    M_WI_FLUSH_DISPATCH, /* Flush under a spin lock */
    M_WI_AFTER_DELETE, /* Enqueue after WdfObjectDelete */
    M_WI_FLUSH_SELF,   /* Flush from the work item's own callback */
    M_SERIAL,          /* two requests and a device DPC or work item, marking who is inside */
    M_CREATE_ERRORS,   /* the create DDIs' failures */
    M_PARENT_DELETE,   /* DPC and work item parented to the request, completed while pending */
    M_OUTLIVES,        /* device work item completing the request EvtIoRead already completed */
    M_V21,             /* request completed at DISPATCH with a DPC or work item parented to it */
    M_WL_DISPATCH,     /* WdfWaitLockAcquire(NULL) under a spin lock */
    M_WL_TRY_DISPATCH, /* WdfWaitLockAcquire(0) under a spin lock */
    M_WL_TIMEOUT,      /* acquire, then try and timed acquire of the held lock */
    M_WL_EXCLUSION,    /* two requests in the lock, marking who is inside */
    M_WL_RELEASE_FREE, /* release of a lock nobody holds */
    M_WL_RECURSIVE,    /* acquire twice without a timeout */
    M_WI_IGNORED,      /* 1 CPU, at DISPATCH: a, Enqueue, b, Enqueue (ignored: still pending); the item reads both */
} dmode;

static dmode mode;
static bool serialise, use_work_item;
static WDF_EXECUTION_LEVEL dev_level;
static WDF_SYNCHRONIZATION_SCOPE dev_scope;
static WDFDEVICE g_device;
static WDFDPC g_dpc;
static WDFWORKITEM g_wi;
static WDFSPINLOCK g_lock;
static WDFWAITLOCK g_wl;
static WDFREQUEST g_saved_request;

/* Per execution, reset by setup. */
static volatile LONG g_dpc_runs, g_wi_runs, g_in_dpc, g_in_wi, g_arrivals, g_bad_irql;
static volatile LONG g_in_io, g_overlap, g_in_lock, g_enqueued;
static LONG g_enqueued_before;
static LONG g_runs_at_return, g_inside_at_return, g_returned;
static BOOLEAN g_e1, g_e2, g_c1, g_c2;
static NTSTATUS g_status[8];
static bool g_parent_ok;
static LONG g_a, g_b, g_sum;

/* Across executions. */
static long seen_cancel[2], seen_wi_runs[3], seen_wl_status[2];

/* A few DDI calls: scheduling points inside a callback. */
static VOID Dawdle(void)
{
    WdfObjectReference(g_device);
    WdfObjectDereference(g_device);
}

/* EvtIoRead and the deferred callback mark themselves inside; the other one
 * seeing the mark is an overlap the callback lock should have excluded. */
static VOID Inside(volatile LONG *mine, volatile LONG *other)
{
    InterlockedIncrement(mine);
    Dawdle();
    if (InterlockedCompareExchange(other, 0, 0))
        InterlockedIncrement(&g_overlap);
    InterlockedDecrement(mine);
}

static VOID EvtDpc(WDFDPC Dpc)
{
    if (KeGetCurrentIrql() != DISPATCH_LEVEL)
        InterlockedIncrement(&g_bad_irql);
    InterlockedIncrement(&g_dpc_runs);
    g_parent_ok = WdfDpcGetParentObject(Dpc) != NULL;
    if (mode == M_SERIAL) {
        Inside(&g_in_dpc, &g_in_io);
        return;
    }
    InterlockedIncrement(&g_in_dpc);
    Dawdle();
    InterlockedDecrement(&g_in_dpc);
}

static VOID EvtWorkItem(WDFWORKITEM WorkItem)
{
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        InterlockedIncrement(&g_bad_irql);
    InterlockedIncrement(&g_wi_runs);
    g_parent_ok = WdfWorkItemGetParentObject(WorkItem) != NULL;
    switch (mode) {
    case M_SERIAL:
        Inside(&g_in_wi, &g_in_io);
        break;
    case M_WI_FLUSH_SELF:
        WdfWorkItemFlush(WorkItem); /* waits for itself */
        break;
    case M_WI_IGNORED:
        g_sum = g_a + g_b;
        break;
    case M_OUTLIVES:
        /* Wrong: EvtIoRead completed this request already. */
        WdfRequestComplete(g_saved_request, STATUS_SUCCESS);
        break;
    default:
        InterlockedIncrement(&g_in_wi);
        Dawdle();
        InterlockedDecrement(&g_in_wi);
        break;
    }
}

static NTSTATUS MakeDpc(WDFOBJECT parent, BOOLEAN serial, WDFDPC *dpc)
{
    WDF_DPC_CONFIG c;
    WDF_OBJECT_ATTRIBUTES a;
    WDF_DPC_CONFIG_INIT(&c, EvtDpc);
    c.AutomaticSerialization = serial;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = parent;
    return WdfDpcCreate(&c, &a, dpc);
}

static NTSTATUS MakeWorkItem(WDFOBJECT parent, BOOLEAN serial, WDFWORKITEM *wi)
{
    WDF_WORKITEM_CONFIG c;
    WDF_OBJECT_ATTRIBUTES a;
    WDF_WORKITEM_CONFIG_INIT(&c, EvtWorkItem);
    c.AutomaticSerialization = serial;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = parent;
    return WdfWorkItemCreate(&c, &a, wi);
}

static VOID CreateErrors(WDFREQUEST Request)
{
    WDFDPC d = NULL;
    WDFWORKITEM w = NULL;
    WDF_DPC_CONFIG dc;
    WDF_OBJECT_ATTRIBUTES a;
    WDF_DPC_CONFIG_INIT(&dc, EvtDpc);
    g_status[0] = WdfDpcCreate(&dc, WDF_NO_OBJECT_ATTRIBUTES, &d);
    g_status[1] = MakeDpc(WdfDeviceGetDriver(g_device), FALSE, &d); /* no device ancestor */
    g_status[2] = MakeWorkItem(WdfDeviceGetDriver(g_device), FALSE, &w);
    /* The device is DISPATCH level with Device scope: a serialised work item
     * cannot take its spin lock. */
    g_status[3] = MakeWorkItem(g_device, TRUE, &w);
    g_status[4] = MakeWorkItem(g_device, FALSE, &w);
    g_status[5] = MakeDpc(Request, TRUE, &d); /* a request counts as a device ancestor */
    WDF_WORKITEM_CONFIG wc;
    WDF_WORKITEM_CONFIG_INIT(&wc, NULL);
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = g_device;
    g_status[6] = WdfWorkItemCreate(&wc, &a, &w);
    dc.Size = 0;
    g_status[7] = WdfDpcCreate(&dc, &a, &d);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    LONGLONG timeout;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    LONG n = InterlockedIncrement(&g_arrivals);
    switch (mode) {
    case M_DPC_RETURNS:
        /* At DISPATCH the DPC cannot run on this processor, where it is
         * queued: the second Enqueue finds it queued, Cancel removes it. */
        WdfSpinLockAcquire(g_lock);
        g_e1 = WdfDpcEnqueue(g_dpc);
        g_e2 = WdfDpcEnqueue(g_dpc);
        g_c1 = WdfDpcCancel(g_dpc, FALSE);
        g_c2 = WdfDpcCancel(g_dpc, FALSE);
        WdfSpinLockRelease(g_lock);
        g_runs_at_return = g_dpc_runs;
        (void)WdfDpcEnqueue(g_dpc);
        (void)WdfDpcCancel(g_dpc, TRUE);
        g_returned = g_dpc_runs;
        break;
    case M_DPC_CANCEL_WAIT:
    case M_DPC_DELETE_QUEUED:
        if (n == 1) {
            /* Queued at DISPATCH, it waits for this processor to lower its
             * IRQL: meanwhile the other processor may dequeue it. */
            WdfSpinLockAcquire(g_lock);
            (void)WdfDpcEnqueue(g_dpc);
            InterlockedIncrement(&g_enqueued);
            Dawdle();
            WdfSpinLockRelease(g_lock);
        } else {
            g_enqueued_before = InterlockedCompareExchange(&g_enqueued, 0, 0);
            if (mode == M_DPC_DELETE_QUEUED) {
                /* Only once the other request is done with the handle. */
                if (g_enqueued_before)
                    WdfObjectDelete(g_dpc);
                g_inside_at_return = g_in_dpc;
                g_runs_at_return = g_dpc_runs;
                g_returned = 1;
                break;
            }
            BOOLEAN c = WdfDpcCancel(g_dpc, TRUE);
            g_inside_at_return = g_in_dpc;
            g_runs_at_return = g_dpc_runs;
            seen_cancel[c ? 1 : 0]++;
            g_c1 = c;
            g_returned = 1;
        }
        break;
    case M_DPC_CANCEL_DISPATCH:
        WdfSpinLockAcquire(g_lock);
        (void)WdfDpcCancel(g_dpc, TRUE);
        WdfSpinLockRelease(g_lock);
        break;
    case M_DPC_OVERDEREF:
        WdfSpinLockAcquire(g_lock);
        (void)WdfDpcEnqueue(g_dpc);
        WdfObjectDereference(g_dpc);
        WdfObjectDereference(g_dpc);
        WdfSpinLockRelease(g_lock);
        break;
    case M_WI_FLUSH:
        WdfWorkItemEnqueue(g_wi);
        WdfWorkItemEnqueue(g_wi);
        WdfWorkItemFlush(g_wi);
        g_inside_at_return = g_in_wi;
        g_runs_at_return = g_wi_runs;
        break;
    case M_WI_FLUSH_DISPATCH:
        WdfSpinLockAcquire(g_lock);
        WdfWorkItemFlush(g_wi);
        WdfSpinLockRelease(g_lock);
        break;
    case M_WI_IGNORED:
        /* At DISPATCH on the only processor: the item cannot start before
         * the lock is released, so the second Enqueue is always ignored. */
        WdfSpinLockAcquire(g_lock);
        g_a = 1;
        WdfWorkItemEnqueue(g_wi);
        g_b = 2;
        WdfWorkItemEnqueue(g_wi);
        WdfSpinLockRelease(g_lock);
        break;
    case M_WI_FLUSH_SELF:
        WdfWorkItemEnqueue(g_wi);
        break;
    case M_WI_AFTER_DELETE:
        WdfObjectReference(g_wi);
        WdfObjectDelete(g_wi);
        WdfWorkItemEnqueue(g_wi);
        WdfObjectDereference(g_wi);
        break;
    case M_SERIAL:
        if (use_work_item)
            WdfWorkItemEnqueue(g_wi);
        else
            (void)WdfDpcEnqueue(g_dpc);
        Inside(&g_in_io, use_work_item ? &g_in_wi : &g_in_dpc);
        break;
    case M_CREATE_ERRORS:
        CreateErrors(Request);
        return;
    case M_PARENT_DELETE: {
        WDFDPC d;
        WDFWORKITEM w;
        if (!NT_SUCCESS(MakeDpc(Request, FALSE, &d)) || !NT_SUCCESS(MakeWorkItem(Request, FALSE, &w)))
            break;
        WdfSpinLockAcquire(g_lock);
        (void)WdfDpcEnqueue(d);
        WdfSpinLockRelease(g_lock);
        WdfWorkItemEnqueue(w);
        /* Completing the request deletes its children: the DPC is flushed
         * (FxDpc::Dispose) and the work item waited for (FxWorkItem::Dispose)
         * before WdfRequestComplete returns. */
        WdfRequestComplete(Request, STATUS_SUCCESS);
        g_runs_at_return = g_dpc_runs * 10 + g_wi_runs;
        g_inside_at_return = g_in_dpc + g_in_wi;
        return;
    }
    case M_V21: {
        WDFDPC d;
        WDFWORKITEM w;
        NTSTATUS st = use_work_item ? MakeWorkItem(Request, FALSE, &w) : MakeDpc(Request, FALSE, &d);
        if (!NT_SUCCESS(st))
            break;
        WdfSpinLockAcquire(g_lock);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        WdfSpinLockRelease(g_lock);
        return;
    }
    case M_OUTLIVES:
        g_saved_request = Request;
        WdfWorkItemEnqueue(g_wi);
        break;
    case M_WL_DISPATCH:
    case M_WL_TRY_DISPATCH:
        timeout = 0;
        WdfSpinLockAcquire(g_lock);
        g_status[0] = WdfWaitLockAcquire(g_wl, mode == M_WL_DISPATCH ? NULL : &timeout);
        WdfSpinLockRelease(g_lock);
        if (g_status[0] == STATUS_SUCCESS)
            WdfWaitLockRelease(g_wl);
        break;
    case M_WL_TIMEOUT:
        g_status[0] = WdfWaitLockAcquire(g_wl, NULL);
        timeout = 0;
        g_status[1] = WdfWaitLockAcquire(g_wl, &timeout);
        timeout = WDF_REL_TIMEOUT_IN_MS(1);
        g_status[2] = WdfWaitLockAcquire(g_wl, &timeout);
        WdfWaitLockRelease(g_wl);
        timeout = 0;
        g_status[3] = WdfWaitLockAcquire(g_wl, &timeout);
        if (g_status[3] == STATUS_SUCCESS)
            WdfWaitLockRelease(g_wl);
        break;
    case M_WL_EXCLUSION:
        timeout = WDF_REL_TIMEOUT_IN_US(50);
        g_status[n] = WdfWaitLockAcquire(g_wl, n == 2 ? &timeout : NULL);
        if (g_status[n] == STATUS_SUCCESS) {
            if (InterlockedIncrement(&g_in_lock) > 1)
                InterlockedIncrement(&g_overlap);
            Dawdle();
            InterlockedDecrement(&g_in_lock);
            WdfWaitLockRelease(g_wl);
        }
        if (n == 2)
            seen_wl_status[g_status[n] == STATUS_TIMEOUT ? 1 : 0]++;
        break;
    case M_WL_RELEASE_FREE:
        WdfWaitLockRelease(g_wl);
        break;
    case M_WL_RECURSIVE:
        (void)WdfWaitLockAcquire(g_wl, NULL);
        (void)WdfWaitLockAcquire(g_wl, NULL);
        break;
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_IO_QUEUE_CONFIG qc;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.SynchronizationScope = dev_scope;
    attrs.ExecutionLevel = dev_level;
    st = WdfDeviceCreate(&DeviceInit, &attrs, &g_device);
    if (!NT_SUCCESS(st))
        return st;
    st = WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_lock);
    if (!NT_SUCCESS(st))
        return st;
    st = WdfWaitLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_wl);
    if (!NT_SUCCESS(st))
        return st;
    bool passive = dev_level == WdfExecutionLevelPassive;
    st = MakeDpc(g_device, serialise && !passive, &g_dpc);
    if (!NT_SUCCESS(st))
        return st;
    st = MakeWorkItem(g_device, serialise && passive, &g_wi);
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
    g_dpc_runs = g_wi_runs = g_in_dpc = g_in_wi = g_arrivals = g_bad_irql = 0;
    g_in_io = g_overlap = g_in_lock = g_enqueued = g_enqueued_before = 0;
    g_runs_at_return = g_inside_at_return = g_returned = -1;
    g_e1 = g_e2 = g_c1 = g_c2 = FALSE;
    g_parent_ok = false;
    g_a = g_b = g_sum = 0;
    g_saved_request = NULL;
    for (int i = 0; i < 8; i++)
        g_status[i] = STATUS_PENDING;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    if (g_bad_irql)
        dr_fail(DR_FIND_CHECK, "deferred callback at the wrong IRQL", "%ld callbacks", (long)g_bad_irql);
    else if (g_overlap)
        dr_fail(DR_FIND_CHECK, "callbacks overlapped", "%ld overlaps", (long)g_overlap);
    switch (mode) {
    case M_DPC_RETURNS:
        /* Queued once, cancelled before it ran; then the second enqueue ran
         * or was cancelled, and nothing ran after Cancel(TRUE) returned. */
        if (!g_e1 || g_e2 || !g_c1 || g_c2 || g_runs_at_return != 0 || g_dpc_runs != g_returned ||
            g_dpc_runs > 1)
            dr_fail(DR_FIND_CHECK, "DPC return values", "Enqueue %d %d, Cancel %d %d, runs %ld/%ld/%ld", g_e1,
                    g_e2, g_c1, g_c2, (long)g_runs_at_return, (long)g_returned, (long)g_dpc_runs);
        break;
    case M_DPC_CANCEL_WAIT:
        /* Cancel(TRUE) returns with the callback finished (or never run),
         * and it does not run afterwards; TRUE only if it never ran. */
        if (g_returned == 1 && g_enqueued_before &&
            (g_inside_at_return != 0 || g_runs_at_return != g_dpc_runs || (g_c1 && g_dpc_runs != 0)))
            dr_fail(DR_FIND_CHECK, "Cancel(TRUE) returned before the DPC finished",
                    "%ld inside and %ld runs at its return, %ld runs in all, Cancel %d", (long)g_inside_at_return,
                    (long)g_runs_at_return, (long)g_dpc_runs, g_c1);
        break;
    case M_DPC_DELETE_QUEUED:
        /* FxDpc::Dispose flushes: the queued DPC ran before the delete returned. */
        if (g_returned == 1 && g_enqueued_before && (g_inside_at_return != 0 || g_runs_at_return != 1))
            dr_fail(DR_FIND_CHECK, "WdfObjectDelete returned before the queued DPC ran",
                    "%ld inside and %ld runs at its return", (long)g_inside_at_return, (long)g_runs_at_return);
        break;
    case M_WI_FLUSH:
        seen_wi_runs[g_wi_runs < 3 ? g_wi_runs : 2]++;
        if (g_inside_at_return != 0 || g_runs_at_return != g_wi_runs || g_wi_runs < 1 || g_wi_runs > 2 ||
            !g_parent_ok)
            dr_fail(DR_FIND_CHECK, "Flush returned before the work item finished",
                    "%ld inside and %ld runs at its return, %ld runs in all", (long)g_inside_at_return,
                    (long)g_runs_at_return, (long)g_wi_runs);
        break;
    case M_PARENT_DELETE:
        if (g_runs_at_return != 11 || g_inside_at_return != 0)
            dr_fail(DR_FIND_CHECK, "request completed before its DPC and work item ran down",
                    "runs %ld (DPC*10 + work item), %ld inside", (long)g_runs_at_return, (long)g_inside_at_return);
        break;
    case M_WI_IGNORED:
        if (g_wi_runs != 1 || g_sum != 3)
            dr_fail(DR_FIND_CHECK, "ignored Enqueue", "%ld runs, sum %ld", (long)g_wi_runs, (long)g_sum);
        break;
    case M_WL_EXCLUSION:
        if (g_status[1] != STATUS_SUCCESS || (g_status[2] != STATUS_SUCCESS && g_status[2] != STATUS_TIMEOUT))
            dr_fail(DR_FIND_CHECK, "wait lock status", "0x%x 0x%x", (unsigned)g_status[1], (unsigned)g_status[2]);
        break;
    default:
        break;
    }
}

static const dr_scenario scn = {"test-defer", "deferral objects", "clean", 2, 4, 1, setup, check, NULL, 0};
static const dr_scenario scn1 = {"test-defer-1cpu", "deferral objects, 1 CPU", "clean", 1, 1, 1, setup, check, NULL, 0};

static void use(dmode m, bool verifier)
{
    mode = m;
    serialise = false;
    use_work_item = false;
    dev_level = WdfExecutionLevelInheritFromParent;
    dev_scope = WdfSynchronizationScopeInheritFromParent;
    km_env_defaults(&env);
    env.verifier = verifier;
    env.cancel = false;
    env.requests = 1;
}

static void test_dpc_returns(void)
{
    use(M_DPC_RETURNS, true);
    km_test_result r = km_test_run(&scn, "random", 300, true);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 2, 20000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_dpc_cancel_wait(void)
{
    use(M_DPC_CANCEL_WAIT, true);
    env.requests = 2;
    env.concurrent = true;
    dr_windows_reset();
    memset(seen_cancel, 0, sizeof seen_cancel);
    km_test_result r = km_test_run(&scn, "pct", 3000, true);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(seen_cancel[0] > 0 && seen_cancel[1] > 0); /* dequeued, and not (run, running or never queued) */
    KCHECK(km_test_window_hits("dpc: Cancel(TRUE) waits for a running callback") > 0);
}

/* Deleting a DPC another processor has queued waits for it to run. */
static void test_dpc_delete_queued(void)
{
    use(M_DPC_DELETE_QUEUED, true);
    env.requests = 2;
    env.concurrent = true;
    km_test_result r = km_test_run(&scn, "pct", 2000, true);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_dpc_cancel_dispatch(void)
{
    use(M_DPC_CANCEL_DISPATCH, true);
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V33: WdfDpcCancel: called above its maximum IRQL");
    use(M_DPC_CANCEL_DISPATCH, false);
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V33: WdfDpcCancel: WdfDpcCancel(Wait=TRUE) above PASSIVE_LEVEL");
    /* A reference count bug frees the DPC the kernel still has queued. */
    use(M_DPC_OVERDEREF, true);
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH C11: EvtDpcFunc: deferred callback object freed while pending");
}

static void test_work_item_flush(void)
{
    use(M_WI_FLUSH, true);
    memset(seen_wi_runs, 0, sizeof seen_wi_runs);
    km_test_result r = km_test_run(&scn, "pct", 2000, true);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    /* The second Enqueue is ignored while the first is still pending, and
     * queues again once the item started. */
    KCHECK(seen_wi_runs[1] > 0 && seen_wi_runs[2] > 0);
    use(M_WI_FLUSH_DISPATCH, true);
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V33: WdfWorkItemFlush: called above its maximum IRQL");
    use(M_WI_FLUSH_SELF, true);
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "VF-BREAK WI2: WdfWorkItemFlush: flush from the work item's own callback");
    use(M_WI_AFTER_DELETE, true);
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK WI1: WdfWorkItemEnqueue: work item enqueued after its deletion");
}

/* An Enqueue ignored because the item is still pending takes the work
 * item's lock as every Enqueue does, and WorkItemHandler takes it before the
 * callback (fxworkitem.cpp FxWorkItem::Enqueue, WorkItemHandler): what the
 * caller wrote before it happens-before the callback. The race detector,
 * which reads the model's edges, finds no race in any schedule. */
static void test_ignored_enqueue_orders(void)
{
    use(M_WI_IGNORED, true);
    km_test_races = true;
    km_test_result r = km_test_run_dfs(&scn1, 2, 50000, true);
    km_test_races = false;
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted && r.executions > 1);
}

/* AutomaticSerialization: with a Device scope device, EvtIoRead on one
 * processor and the DPC (DISPATCH device) or work item (PASSIVE device) on
 * another overlap unless the object takes the device's callback lock. */
static void test_serialisation(void)
{
    for (int wi = 0; wi < 2; wi++) {
        use(M_SERIAL, true);
        use_work_item = wi;
        dev_scope = WdfSynchronizationScopeDevice;
        dev_level = wi ? WdfExecutionLevelPassive : WdfExecutionLevelDispatch;
        env.requests = 2;
        env.concurrent = true;
        km_test_result r = km_test_run_dfs(&scn, 2, 50000, true);
        KEXPECT_FINDING(r, DR_FIND_CHECK, "callbacks overlapped");
        serialise = true;
        r = km_test_run_dfs(&scn, 2, 50000, true);
        KEXPECT_CLEAN(r);
        KCHECK(r.exhausted);
    }
}

static void test_create_errors(void)
{
    use(M_CREATE_ERRORS, false);
    dev_scope = WdfSynchronizationScopeDevice;
    dev_level = WdfExecutionLevelDispatch;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_status[0] == STATUS_WDF_PARENT_NOT_SPECIFIED);
    KCHECK(g_status[1] == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(g_status[2] == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(g_status[3] == STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL);
    KCHECK(g_status[4] == STATUS_SUCCESS);
    KCHECK(g_status[5] == STATUS_SUCCESS);
    KCHECK(g_status[6] == STATUS_INVALID_PARAMETER); /* no EvtWorkItemFunc */
    KCHECK(g_status[7] == STATUS_INFO_LENGTH_MISMATCH);
    /* With the verifier the incompatible level is FxVerifierDbgBreakPoint. */
    use(M_CREATE_ERRORS, true);
    dev_scope = WdfSynchronizationScopeDevice;
    dev_level = WdfExecutionLevelDispatch;
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "VF-BREAK SYNC: WdfWorkItemCreate: execution level incompatible with the parent's callback lock");
}

static void test_parent_delete(void)
{
    use(M_PARENT_DELETE, true);
    km_test_result r = km_test_run(&scn, "pct", 2000, true);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

/* A work item that outlives its request: EvtIoRead completed the request,
 * and the item completes it again through the handle it kept. The model's
 * use-after-complete detection reports it (V15, the request is gone). */
static void test_outlives_request(void)
{
    use(M_OUTLIVES, true);
    km_test_result r = km_test_run(&scn, "random", 50, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V15: WdfRequestComplete: request already completed");
}

/* V21 (kmdf-model-spec.md 5): the early dispose of a request completed at
 * DISPATCH is deferred by any passive-dispose child, a DPC or work item as
 * much as a timer; with the verifier off the children are disposed by a
 * passive thread and nothing is reported. */
static void test_v21(void)
{
    for (int wi = 0; wi < 2; wi++) {
        use(M_V21, true);
        use_work_item = wi;
        km_test_result r = km_test_run(&scn, "random", 20, true);
        KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                        "VF-BREAK V21: WdfRequestComplete: early dispose deferred by a DPC or work item child");
        use(M_V21, false);
        use_work_item = wi;
        r = km_test_run(&scn, "random", 200, true);
        KEXPECT_CLEAN(r);
    }
}

static void test_wait_lock(void)
{
    use(M_WL_DISPATCH, true);
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V33: WdfWaitLockAcquire: called above its maximum IRQL");
    use(M_WL_DISPATCH, false); /* without the verifier the wait itself is at DISPATCH */
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK IRQL: KeWaitForSingleObject: waited above APC_LEVEL");
    use(M_WL_TRY_DISPATCH, true); /* a zero timeout is allowed at DISPATCH */
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_status[0] == STATUS_SUCCESS);

    use(M_WL_TIMEOUT, true);
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_status[0] == STATUS_SUCCESS);
    KCHECK(g_status[1] == STATUS_TIMEOUT); /* try: held (by this thread) */
    KCHECK(g_status[2] == STATUS_TIMEOUT); /* 1 ms on the virtual clock */
    KCHECK(g_status[3] == STATUS_SUCCESS);

    use(M_WL_EXCLUSION, true);
    env.requests = 2;
    env.concurrent = true;
    memset(seen_wl_status, 0, sizeof seen_wl_status);
    r = km_test_run_dfs(&scn, 2, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    KCHECK(seen_wl_status[0] > 0 && seen_wl_status[1] > 0); /* acquired, and timed out */

    use(M_WL_RELEASE_FREE, true);
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK,
                    "CHECK WL1: WdfWaitLockRelease: wait lock released by a thread that does not own it");
    use(M_WL_RECURSIVE, true);
    r = km_test_run(&scn, "random", 20, true);
    KCHECK(r.first.kind == DR_FIND_DEADLOCK);
}

int main(void)
{
    test_dpc_returns();
    test_dpc_cancel_wait();
    test_dpc_delete_queued();
    test_dpc_cancel_dispatch();
    test_work_item_flush();
    test_ignored_enqueue_orders();
    test_serialisation();
    test_create_errors();
    test_parent_delete();
    test_outlives_request();
    test_v21();
    test_wait_lock();
    return km_test_done();
}
