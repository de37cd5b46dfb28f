/* test_request.c: requests, cancellation and the I/O manager.
 * kmdf-model-spec.md 1.12-1.15, section 3 (R1-R8), V14-V24, V30, V31 and
 * the end-of-execution oracles (C3, C4, C8). One small driver whose
 * behaviour in EvtIoRead and EvtRequestCancel is chosen per test. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

typedef struct REQUEST_CONTEXT {
    int marker;
    int cancel_runs;
    LONG refs;
    LONG cancelled;
} REQUEST_CONTEXT, *PREQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, GetRequestContext)

typedef enum {
    IO_COMPLETE,            /* complete at once, success, Information = length */
    IO_NOTHING,             /* never complete: lost completion */
    IO_DOUBLE,              /* complete twice */
    IO_PENDING,             /* complete with STATUS_PENDING */
    IO_CANCEL_ONLY,         /* MarkCancelableEx; only the cancel callback completes */
    IO_COMPLETE_CANCELABLE, /* MarkCancelableEx, then complete without Unmark */
    IO_UNMARK_NEVER_MARKED, /* Unmark without Mark, then wait for a callback (R5) */
    IO_MARK_UNMARK,         /* Mark, yield, Unmark: on STATUS_SUCCESS complete, else leave to the callback */
    IO_MARK_UNMARK_EAGER,   /* like MARK_UNMARK but also completes on STATUS_CANCELLED (R3 bug) */
    IO_INFO_TOO_BIG,        /* Information > buffer length */
    IO_SETINFO_AFTER,       /* SetInformation after completion, holding a reference */
    IO_USE_AFTER_FREE,      /* GetParameters after completion, no reference */
    IO_REFERENCE_LEAK,      /* WdfObjectReference, complete, never dereference */
    IO_DELETE_REQUEST,      /* WdfObjectDelete on a framework request (DR1) */
    IO_CANCEL_ASKS,         /* EvtRequestCancel asks WdfRequestIsCanceled, then completes (V24) */
    IO_DELETE_QUEUE,        /* WdfObjectDelete on the default queue (V31), then complete */
    IO_WRONG_TYPE,          /* pass the queue handle as a request (V30) */
    IO_NULL_HANDLE,         /* WdfRequestComplete(NULL, ...) (V30) */
    IO_IS_CANCELED_CANCELABLE, /* WdfRequestIsCanceled on a cancelable request (V24) */
    IO_MARK_TWICE,          /* MarkCancelableEx twice (V17) */
    IO_REFCOUNTED,          /* correct: an I/O and a cancel reference; the last one out completes */
    IO_NONEX_MARK,          /* non-Ex Mark; only the callback completes (R6) */
    IO_CHILD_THEN_COMPLETE, /* create a child object, then complete (reuses freed request slots) */
    IO_COMPLETE_STATUS,     /* complete at once with complete_status */
    IO_BUFFER_ZERO,         /* retrieve the buffer, check it is zero, fill it (libc memset), complete */
} io_mode;

static io_mode mode;
static NTSTATUS complete_status, seen_status; /* IO_COMPLETE_STATUS; the IRP's status at the end */
static int buffers_seen, buffers_dirty;        /* IO_BUFFER_ZERO */
static int in_flight, max_in_flight, mark_cancelled_seen, mark_success_seen, cancel_callbacks;
static WDFQUEUE the_queue;

static VOID DropRef(WDFREQUEST Request, PREQUEST_CONTEXT ctx)
{
    if (InterlockedDecrement(&ctx->refs) == 0) {
        in_flight--;
        WdfRequestComplete(Request, InterlockedExchange(&ctx->cancelled, 0) ? STATUS_CANCELLED : STATUS_SUCCESS);
    }
}

static VOID EvtCancelRefcounted(WDFREQUEST Request)
{
    PREQUEST_CONTEXT ctx = GetRequestContext(Request);
    cancel_callbacks++;
    InterlockedExchange(&ctx->cancelled, 1);
    DropRef(Request, ctx);
}

static int in_evt_io, cancelled_before_mark, deferred_ok, deferred_bad;

/* R6: a non-Ex Mark on an IRP cancelled already, inside EvtIoRead, runs the
 * callback only after EvtIoRead returns. */
static VOID EvtCancelNonEx(WDFREQUEST Request)
{
    if (cancelled_before_mark) {
        if (in_evt_io)
            deferred_bad++;
        else
            deferred_ok++;
    }
    in_flight--;
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static long cancel_at_passive, cancel_at_dispatch; /* EvtCancel's IRQLs */

static VOID EvtCancel(WDFREQUEST Request)
{
    PREQUEST_CONTEXT ctx = GetRequestContext(Request);
    ctx->cancel_runs++;
    cancel_callbacks++;
    if (KeGetCurrentIrql() == DISPATCH_LEVEL)
        cancel_at_dispatch++;
    else if (KeGetCurrentIrql() == PASSIVE_LEVEL)
        cancel_at_passive++;
    in_flight--;
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static NTSTATUS unmark_never_st; /* IO_UNMARK_NEVER_MARKED: what Unmark returned */
static long asked, asked_true; /* IO_CANCEL_ASKS: WdfRequestIsCanceled calls, TRUE answers */

static VOID EvtCancelAsks(WDFREQUEST Request)
{
    asked++;
    asked_true += WdfRequestIsCanceled(Request) ? 1 : 0;
    in_flight--;
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PREQUEST_CONTEXT ctx = GetRequestContext(Request);
    NTSTATUS st;
    NT_ASSERT(ctx != NULL && ctx->marker == 0);
    ctx->marker = 1;
    in_flight++;
    if (in_flight > max_in_flight)
        max_in_flight = in_flight;
    switch (mode) {
    case IO_COMPLETE:
        in_flight--;
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
        break;
    case IO_NOTHING:
        break;
    case IO_DOUBLE:
        WdfRequestComplete(Request, STATUS_SUCCESS);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    case IO_PENDING:
        WdfRequestComplete(Request, STATUS_PENDING);
        break;
    case IO_CANCEL_ASKS:
        if (WdfRequestMarkCancelableEx(Request, EvtCancelAsks) == STATUS_CANCELLED) {
            in_flight--;
            WdfRequestComplete(Request, STATUS_CANCELLED);
        }
        break;
    case IO_CANCEL_ONLY:
        st = WdfRequestMarkCancelableEx(Request, EvtCancel);
        if (st == STATUS_CANCELLED) {
            mark_cancelled_seen++;
            in_flight--;
            WdfRequestComplete(Request, STATUS_CANCELLED);
        } else {
            mark_success_seen++;
        }
        break;
    case IO_COMPLETE_CANCELABLE:
        st = WdfRequestMarkCancelableEx(Request, EvtCancel);
        if (st == STATUS_CANCELLED)
            WdfRequestComplete(Request, STATUS_CANCELLED);
        else
            WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    case IO_UNMARK_NEVER_MARKED:
        unmark_never_st = WdfRequestUnmarkCancelable(Request);
        if (unmark_never_st == STATUS_SUCCESS)
            WdfRequestComplete(Request, STATUS_SUCCESS);
        break; /* STATUS_CANCELLED: "the callback will complete it" */
    case IO_MARK_UNMARK:
    case IO_MARK_UNMARK_EAGER:
        st = WdfRequestMarkCancelableEx(Request, EvtCancel);
        if (st == STATUS_CANCELLED) {
            in_flight--;
            WdfRequestComplete(Request, STATUS_CANCELLED);
            break;
        }
        st = WdfRequestUnmarkCancelable(Request);
        if (st == STATUS_SUCCESS) {
            in_flight--;
            WdfRequestComplete(Request, STATUS_SUCCESS);
        } else if (mode == IO_MARK_UNMARK_EAGER) {
            WdfRequestComplete(Request, STATUS_CANCELLED); /* wrong: EvtCancel may not have started */
        }
        break;
    case IO_INFO_TOO_BIG:
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length + 1);
        break;
    case IO_SETINFO_AFTER:
        WdfObjectReference(Request);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        WdfRequestSetInformation(Request, 1);
        WdfObjectDereference(Request);
        break;
    case IO_USE_AFTER_FREE: {
        WDF_REQUEST_PARAMETERS p;
        WdfRequestComplete(Request, STATUS_SUCCESS);
        WdfRequestGetParameters(Request, &p);
        break;
    }
    case IO_REFERENCE_LEAK:
        WdfObjectReference(Request);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    case IO_DELETE_REQUEST:
        WdfObjectDelete(Request);
        break;
    case IO_DELETE_QUEUE:
        WdfObjectDelete(WdfRequestGetIoQueue(Request));
        WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    case IO_WRONG_TYPE:
        WdfRequestComplete((WDFREQUEST)Queue, STATUS_SUCCESS);
        break;
    case IO_NULL_HANDLE:
        WdfRequestComplete(NULL, STATUS_SUCCESS);
        break;
    case IO_IS_CANCELED_CANCELABLE:
        st = WdfRequestMarkCancelableEx(Request, EvtCancel);
        if (st == STATUS_SUCCESS)
            (void)WdfRequestIsCanceled(Request);
        break;
    case IO_REFCOUNTED:
        ctx->refs = 2;
        st = WdfRequestMarkCancelableEx(Request, EvtCancelRefcounted);
        if (st == STATUS_CANCELLED) {
            in_flight--;
            WdfRequestComplete(Request, STATUS_CANCELLED);
            break;
        }
        if (WdfRequestUnmarkCancelable(Request) == STATUS_SUCCESS)
            DropRef(Request, ctx); /* the cancel reference: no callback will come */
        DropRef(Request, ctx);     /* the I/O reference */
        break;
    case IO_NONEX_MARK: {
        /* White box: was the IRP cancelled before Mark? (km_lookup has no
         * scheduling point, so nothing runs between this and Mark's entry,
         * where the cancel may still come: then the flag is 0.) */
        km_object *o = km_lookup(Request, KM_T_REQUEST, "test", false);
        in_evt_io = 1;
        cancelled_before_mark = o && o->u.req.irp_cancelled;
        WdfRequestMarkCancelable(Request, EvtCancelNonEx);
        in_evt_io = 0;
        break;
    }
    case IO_CHILD_THEN_COMPLETE: {
        WDF_OBJECT_ATTRIBUTES a;
        WDFSPINLOCK lock;
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.ParentObject = Request;
        if (NT_SUCCESS(WdfSpinLockCreate(&a, &lock)))
            WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    }
    case IO_COMPLETE_STATUS:
        in_flight--;
        WdfRequestComplete(Request, complete_status);
        break;
    case IO_BUFFER_ZERO: {
        PVOID buffer;
        size_t length;
        if (NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, 1, &buffer, &length))) {
            const volatile UCHAR *b = buffer;
            buffers_seen++;
            for (size_t k = 0; k < length; k += length / 16 + 1)
                if (b[k] || b[length - 1 - k]) {
                    buffers_dirty++;
                    break;
                }
            memset(buffer, 0xA5, length); /* a library call: no access hook sees it */
        }
        in_flight--;
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
        break;
    }
    case IO_MARK_TWICE:
        st = WdfRequestMarkCancelableEx(Request, EvtCancel);
        if (st == STATUS_SUCCESS)
            st = WdfRequestMarkCancelableEx(Request, EvtCancel);
        break;
    }
}

static WDF_IO_QUEUE_DISPATCH_TYPE dispatch = WdfIoQueueDispatchParallel;

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, REQUEST_CONTEXT);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attrs);
    st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, dispatch);
    qc.EvtIoRead = EvtIoRead;
    return WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &the_queue);
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
    in_flight = 0;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    seen_status = km_w.request_status[0];
    km_world_check();
}

static const dr_scenario scn = {"test-request", "request model", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run_mode(io_mode m, bool verifier, bool cancel, long max)
{
    mode = m;
    km_env_defaults(&env);
    env.verifier = verifier;
    env.cancel = cancel;
    return km_test_run(&scn, "random", max, true);
}

static void test_clean_completion(void)
{
    km_test_result r = run_mode(IO_COMPLETE, true, true, 300);
    KEXPECT_CLEAN(r);
    r = km_test_run_dfs(&scn, 3, 5000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_lost_completion(void) /* C8 */
{
    km_test_result r = run_mode(IO_NOTHING, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "lost completion");
}

static void test_double_completion(void) /* V15, R2, C4 */
{
    km_test_result r = run_mode(IO_DOUBLE, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V15");
    r = run_mode(IO_DOUBLE, false, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH R2: WdfRequestComplete");
}

static void test_pending_status(void) /* C3 */
{
    km_test_result r = run_mode(IO_PENDING, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "C3");
}

static void test_cancel_paths(void) /* 1.12 Ex on a cancelled IRP, 1.14, R7 */
{
    mark_cancelled_seen = mark_success_seen = cancel_callbacks = 0;
    km_test_result r = run_mode(IO_CANCEL_ONLY, true, true, 2000);
    KEXPECT_CLEAN(r);
    KCHECK(mark_cancelled_seen > 0); /* the IRP was cancelled before MarkCancelableEx */
    KCHECK(mark_success_seen > 0);
    KCHECK(cancel_callbacks > 0);
    /* Without cancellation nothing completes a request only the callback would. */
    r = run_mode(IO_CANCEL_ONLY, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "lost completion");
}

/* IoCancelIrp is callable up to DISPATCH_LEVEL, and the queue's cancel
 * routine calls EvtRequestCancel at the caller's IRQL (fxioqueue.cpp
 * FxIoQueue::_IrpCancelForDriver: Unlock(Irql), then CancelForDriver): both
 * IRQLs are reached while cancel_at_dispatch is on, PASSIVE only when off. */
static km_test_result find_mode(io_mode m, bool verifier, const char *needle);

/* V24 follows the verifier's cancelable flag, not the state: fxioqueue.cpp
 * FxIoQueue::RequestCancelable sets FXREQUEST_FLAG_DRIVER_CANCELABLE and
 * only a successful Unmark (or a Mark that failed) clears it, so inside
 * EvtRequestCancel the request still counts as cancelable and
 * WdfRequestIsCanceled breaks (fxrequestapi.cpp VerifyWdfRequestIsCanceled ->
 * FxRequest::VerifyRequestIsNotCancelable) and returns FALSE. Without the
 * verifier there is no check, and the answer is FxRequest::IsCancelled():
 * TRUE for a cancelled IRP. */
static void test_v24_after_cancel_callback(void)
{
    asked = asked_true = 0;
    km_test_result r = find_mode(IO_CANCEL_ASKS, true, "V24");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V24: WdfRequestIsCanceled");
    asked = asked_true = 0;
    r = run_mode(IO_CANCEL_ASKS, false, true, 2000);
    KEXPECT_CLEAN(r);
    KCHECK(asked > 0);
    KCHECK(asked_true == asked);
}

static void test_cancel_irql(void)
{
    cancel_at_passive = cancel_at_dispatch = 0;
    km_test_result r = run_mode(IO_CANCEL_ONLY, true, true, 2000);
    KEXPECT_CLEAN(r);
    KCHECK(cancel_at_passive > 0);
    KCHECK(cancel_at_dispatch > 0);
    cancel_at_passive = cancel_at_dispatch = 0;
    mode = IO_CANCEL_ONLY;
    km_env_defaults(&env);
    env.cancel_at_dispatch = false;
    r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    KCHECK(cancel_at_passive > 0);
    KCHECK(cancel_at_dispatch == 0);
}

/* Run `m` and search for a finding whose title contains needle (other
 * findings of the same buggy driver may come first on other schedules). */
static km_test_result find_mode(io_mode m, bool verifier, const char *needle)
{
    mode = m;
    km_env_defaults(&env);
    env.verifier = verifier;
    return km_test_find(&scn, 100000, needle);
}

static void test_complete_cancelable(void) /* V16, R1, C5 */
{
    km_test_result r = find_mode(IO_COMPLETE_CANCELABLE, true, "V16");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V16: WdfRequestComplete");
    /* Verifier off: the completion goes through; a cancel already in flight
     * then runs on the completed IRP. */
    r = find_mode(IO_COMPLETE_CANCELABLE, false, "C5");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH C5");
}

static void test_unmark_never_marked(void) /* R5, V17 */
{
    km_test_result r = run_mode(IO_UNMARK_NEVER_MARKED, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V17");
    /* Without the verifier Unmark on a never-marked request returns
     * STATUS_CANCELLED (fxioqueue.cpp FxIoQueue::RequestCancelable:
     * RemoveFromIrpQueue fails on a request not in the CSQ), so a driver
     * waiting for a callback that never comes loses the completion. */
    unmark_never_st = STATUS_PENDING;
    r = run_mode(IO_UNMARK_NEVER_MARKED, false, false, 10);
    KCHECK(unmark_never_st == STATUS_CANCELLED);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "lost completion");
}

static void test_mark_unmark(void) /* 1.13 both outcomes, R3, R4, R7 */
{
    /* Naive: Unmark after EvtRequestCancel may already have completed it.
     * With one request in flight KMDF cannot deliver the cancel while its
     * EvtIoRead runs (m_Dispatching, fxioqueue.cpp; test_sync.c shows that
     * side); with two, the other request's dispatch loop delivers it. */
    mode = IO_MARK_UNMARK;
    km_env_defaults(&env);
    env.requests = 2;
    km_test_result r = km_test_run_dfs(&scn, 2, 200000, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V14: WdfRequestUnmarkCancelable");
    printf("mark/unmark, two requests: V14 in DFS execution %ld\n", r.first_exec);
    env.verifier = false;
    r = km_test_run_dfs(&scn, 2, 200000, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH R4: WdfRequestUnmarkCancelable");
    /* Completing on STATUS_CANCELLED before the callback began: with the
     * verifier a V16 break, without it R3. */
    mode = IO_MARK_UNMARK_EAGER;
    km_env_defaults(&env);
    r = km_test_find(&scn, 50000, "V16");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V16");
    env.verifier = false;
    r = km_test_find(&scn, 50000, "R3");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH R3");
    /* The reference-counted driver is clean, and both Unmark outcomes occur. */
    cancel_callbacks = 0;
    r = run_mode(IO_REFCOUNTED, true, true, 3000);
    KEXPECT_CLEAN(r);
    KCHECK(cancel_callbacks > 0);
    mode = IO_REFCOUNTED;
    km_env_defaults(&env);
    r = km_test_run_dfs(&scn, 2, 200000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    printf("reference-counted cancel driver: DFS bound 2 exhausted after %ld executions\n", r.executions);
}

static void test_information(void) /* V20, V23 */
{
    km_test_result r = run_mode(IO_INFO_TOO_BIG, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BUGCHECK 0x10D/0x6 V20");
    r = run_mode(IO_INFO_TOO_BIG, false, false, 10);
    KEXPECT_CLEAN(r);
    r = run_mode(IO_SETINFO_AFTER, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V23");
    r = run_mode(IO_SETINFO_AFTER, false, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "V23");
}

static void test_handles_and_lifetime(void) /* V30, V31, C11, leak */
{
    km_test_result r = run_mode(IO_USE_AFTER_FREE, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "handle of a freed object");
    r = run_mode(IO_REFERENCE_LEAK, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "request object leaked");
    /* KMDF's WdfObjectDelete (fxobjectapi.cpp) refuses only no-delete objects,
     * and a framework request is not one: no VF-BREAK V31, with or without the
     * verifier; dmarace's own check DR1 instead. */
    r = run_mode(IO_DELETE_REQUEST, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK DR1: WdfObjectDelete: framework request deleted by the driver");
    r = run_mode(IO_DELETE_REQUEST, false, false, 10);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK DR1: WdfObjectDelete: framework request deleted by the driver");
    /* The default queue is no-delete (fxpkgio.cpp MarkNoDeleteDDI): V31 with
     * the verifier; without it FxVerifierDbgBreakPoint breaks nothing and the
     * delete is ignored, so the request completes cleanly. */
    r = run_mode(IO_DELETE_QUEUE, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V31: WdfObjectDelete: object that cannot be deleted");
    r = run_mode(IO_DELETE_QUEUE, false, false, 10);
    KEXPECT_CLEAN(r);
    r = run_mode(IO_WRONG_TYPE, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x5 V30: WdfRequestComplete: handle of the wrong type");
    r = run_mode(IO_NULL_HANDLE, false, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x5 V30: WdfRequestComplete: NULL handle");
}

static void test_is_canceled_and_mark_twice(void) /* V24, V17 */
{
    km_test_result r = run_mode(IO_IS_CANCELED_CANCELABLE, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V24");
    r = run_mode(IO_MARK_TWICE, true, false, 10);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V17");
}

static void test_queues(void) /* sequential vs parallel dispatch */
{
    km_env_defaults(&env);
    env.requests = 3;
    env.cancel = false;
    mode = IO_COMPLETE;
    dispatch = WdfIoQueueDispatchSequential;
    max_in_flight = 0;
    km_test_result r = km_test_run(&scn, "random", 300, true);
    KEXPECT_CLEAN(r);
    KCHECK(max_in_flight == 1);
    /* The second request's child object reuses the first request's freed
     * slot: the world must still count the first completion (a model bug
     * once reported a lost completion here). */
    mode = IO_CHILD_THEN_COMPLETE;
    r = km_test_run(&scn, "random", 300, true);
    KEXPECT_CLEAN(r);
    /* Parallel: requests overlap on some interleaving. */
    dispatch = WdfIoQueueDispatchParallel;
    mode = IO_REFCOUNTED;
    max_in_flight = 0;
    r = km_test_run(&scn, "random", 300, true);
    KEXPECT_CLEAN(r);
    KCHECK(max_in_flight >= 2);
}

static void test_nonex_mark_r6(void) /* 1.12 non-Ex, R6 */
{
    mode = IO_NONEX_MARK;
    km_env_defaults(&env);
    deferred_ok = deferred_bad = 0;
    dr_windows_reset();
    km_test_result r = km_test_run_dfs(&scn, 3, 200000, false);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(deferred_ok > 0);
    KCHECK(deferred_bad == 0);
    KCHECK(dr_window_count() > 0);
}

/* The status the IRP gets: framework-facility statuses mapped as
 * FxRequest::CompleteInternal maps them (src/framework/shared/core/
 * fxrequest.cpp), every other status unchanged. */
static void test_wdf_status_mapping(void)
{
    static const struct {
        NTSTATUS given, irp;
    } rows[] = {
        {STATUS_WDF_PAUSED, STATUS_DEVICE_BUSY},
        {STATUS_WDF_BUSY, STATUS_DEVICE_BUSY},
        {STATUS_WDF_INTERNAL_ERROR, STATUS_INTERNAL_ERROR},
        {STATUS_WDF_TOO_FRAGMENTED, STATUS_INVALID_DEVICE_REQUEST},
        {STATUS_WDF_TOO_MANY_TRANSFERS, STATUS_INVALID_DEVICE_REQUEST},
        {STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS, STATUS_INVALID_DEVICE_REQUEST}, /* the default case */
        {STATUS_WDF_PARENT_NOT_SPECIFIED, STATUS_INVALID_DEVICE_REQUEST},
        {STATUS_SUCCESS, STATUS_SUCCESS},
        {STATUS_CANCELLED, STATUS_CANCELLED},
        {STATUS_INSUFFICIENT_RESOURCES, STATUS_INSUFFICIENT_RESOURCES},
        {STATUS_DEVICE_BUSY, STATUS_DEVICE_BUSY},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        complete_status = rows[i].given;
        seen_status = 0x12345678;
        km_test_result r = run_mode(IO_COMPLETE_STATUS, true, false, 1);
        KEXPECT_CLEAN(r);
        KCHECK(r.executions == 1);
        if (seen_status != rows[i].irp)
            printf("completed with %#x: the IRP got %#x, KMDF gives %#x\n", (unsigned)rows[i].given,
                   (unsigned)seen_status, (unsigned)rows[i].irp);
        KCHECK(seen_status == rows[i].irp);
    }
}

/* Every execution sees its request buffer all zero, as a fresh process
 * does, although the model zeroes a buffer slot only when the driver had its
 * address (km_alloc_unexposed): here the driver fills it in every execution
 * with a library memset the access hooks cannot see. */
static void test_buffer_zero_each_execution(void)
{
    buffers_seen = buffers_dirty = 0;
    km_test_result r = run_mode(IO_BUFFER_ZERO, true, false, 40);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 40);
    KCHECK(buffers_seen == 40);
    KCHECK(buffers_dirty == 0);
}

int main(void)
{
    test_clean_completion();
    test_lost_completion();
    test_double_completion();
    test_pending_status();
    test_cancel_paths();
    test_cancel_irql();
    test_v24_after_cancel_callback();
    test_complete_cancelable();
    test_unmark_never_marked();
    test_mark_unmark();
    test_information();
    test_handles_and_lifetime();
    test_is_canceled_and_mark_twice();
    test_queues();
    test_nonex_mark_r6();
    test_wdf_status_mapping();
    test_buffer_zero_each_execution();
    return km_test_done();
}
