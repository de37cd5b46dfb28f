/* test_queue.c: I/O queues (fxioqueue.cpp FxIoQueue, issue 15):
 *   - dispatch: sequential presents one request at a time, parallel up to
 *     NumberOfPresentedRequests, manual never (ReadyNotify and
 *     WdfIoQueueRetrieveNextRequest instead); the callback by request type
 *     (EvtIoDeviceControl, EvtIoDefault, none: STATUS_INVALID_DEVICE_REQUEST);
 *   - a request cancelled on its queue: STATUS_CANCELLED by the framework,
 *     or EvtIoCanceledOnQueue for a request the driver saw before (requeued);
 *   - WdfIoQueueFindRequest's reference (a leak is a finding), forwarding
 *     (and completing a forwarded request: V14, or QOWN1 without the
 *     verifier), WdfIoQueueDrainSynchronously and WdfIoQueueGetState;
 *   - power: km_queue_power_stop / resume with EvtIoStop, EvtIoResume and
 *     WdfRequestStopAcknowledge (requeue or not), and its misuse. */
#include "km.h"
#include "km_test.h"
#include "ntddk.h"
#include "wdf.h"

typedef enum {
    Q_SEQUENTIAL,   /* completions on threads of their own: count requests owned at once */
    Q_PARALLEL2,    /* parallel, NumberOfPresentedRequests = 2 */
    Q_MANUAL,       /* manual default queue, ReadyNotify retrieves and completes */
    Q_IOCTL,        /* EvtIoDeviceControl */
    Q_DEFAULT_CB,   /* only EvtIoDefault */
    Q_NO_CB,        /* a queue with no callback for the type */
    Q_REQUEUE,      /* manual: the first retrieval requeues (EvtIoCanceledOnQueue may come) */
    Q_FIND,         /* manual: FindRequest, then RetrieveFoundRequest, reference dropped */
    Q_FIND_LEAK,    /* ... reference never dropped */
    Q_FORWARD,      /* parallel EvtIoRead forwards to a manual queue */
    Q_FORWARD_DONE, /* ... and completes the request it forwarded */
    Q_DRAIN,        /* a thread drains the queue synchronously */
    Q_POWER,        /* EvtIoRead keeps the request; a power thread stops and resumes */
    Q_STOPSTART,    /* a thread stops the queue synchronously, then starts it */
    Q_PURGE,        /* a thread purges the queue synchronously */
    Q_POWER_MANUAL, /* manual: ReadyNotify keeps the first request, a power thread stops; EvtIoStop requeues it */
} qmode;
typedef enum { S_ACK, S_REQUEUE, S_NOTHING, S_ACK_TWICE, S_COMPLETE, S_ACK_OUTSIDE, S_COMPLETE_READ_CTX, S_FORWARD, S_COMPLETE_THEN_ACK } smode;

/* The request context S_COMPLETE_READ_CTX reads after completing in EvtIoStop. */
typedef struct {
    LONG magic;
} QREQ_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(QREQ_CTX, QReqCtx)
#define QREQ_MAGIC 0x5155
static LONG ctx_read_after_complete;
static bool purge_power; /* the power thread purges (removal) instead of holding */
static bool linger;      /* Q_POWER: EvtIoRead goes on (DDI calls) after it started the power thread */
static long bad_orders;  /* linger: executions whose callback order KMDF rules out */
static bool read_running, stop_under_read, power_off_under_read;
static bool mark_held;   /* Q_POWER: the held read is marked cancelable (EvtHeldCancel) */
static LONG held_cancels;

static qmode mode;
static smode stop_mode;
static WDFQUEUE g_queue, g_manual;
static LONG reads, ioctls, defaults, owned, max_owned, ready_calls, retrieved, canceled_on_queue, stops, resumes;
static LONG requeued_once, found_ok, forwarded, power_done;
static NTSTATUS retrieve_parallel_status, fwd_status, first_ready_status, seq_count_status;
static ULONG stop_flags;
static char order[64];
static WDFREQUEST held;
static WDF_IO_QUEUE_STATE drained_state;

static void note(char c)
{
    size_t n = strlen(order);
    if (n + 1 < sizeof order)
        order[n] = c, order[n + 1] = 0;
}

static VOID EvtHeldCancel(WDFREQUEST Request)
{
    InterlockedIncrement(&held_cancels);
    note('C');
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static void complete_thread(void *arg)
{
    InterlockedDecrement(&owned);
    WdfRequestComplete((WDFREQUEST)arg, STATUS_SUCCESS);
}

static void power_thread(void *arg)
{
    (void)arg;
    km_queue_power_stop(purge_power);
    if (dr_failed())
        return;
    power_off_under_read = power_off_under_read || read_running;
    note('P');
    if (purge_power) {
        InterlockedIncrement(&power_done);
        return;
    }
    km_queue_power_resume();
    if (!dr_failed())
        InterlockedIncrement(&power_done);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    (void)Length;
    InterlockedIncrement(&reads);
    note('R');
    switch (mode) {
    case Q_SEQUENTIAL:
    case Q_PARALLEL2: {
        LONG n = InterlockedIncrement(&owned);
        if (n > max_owned)
            max_owned = n;
        dr_thread_create(reads % 2, complete_thread, Request, "completer");
        return;
    }
    case Q_FORWARD:
    case Q_FORWARD_DONE:
        fwd_status = WdfRequestForwardToIoQueue(Request, g_manual);
        if (NT_SUCCESS(fwd_status))
            InterlockedIncrement(&forwarded);
        if (mode == Q_FORWARD_DONE)
            WdfRequestComplete(Request, STATUS_SUCCESS);
        return;
    case Q_POWER:
        QReqCtx(Request)->magic = QREQ_MAGIC;
        if (reads == 1) {
            held = Request;
            if (stop_mode == S_ACK_OUTSIDE)
                WdfRequestStopAcknowledge(Request, FALSE);
            if (mark_held)
                WdfRequestMarkCancelable(Request, EvtHeldCancel);
            dr_thread_create(1, power_thread, NULL, "power");
            if (linger) {
                read_running = true;
                for (int i = 0; i < 3 && !dr_failed(); i++)
                    WdfRequestSetInformation(Request, 0); /* scheduling points */
                if (purge_power)
                    WdfRequestComplete(Request, STATUS_SUCCESS);
                note('E');
                read_running = false;
            }
            return;
        }
        break;
    default:
        break;
    }
    (void)Queue;
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
                               size_t InputBufferLength, ULONG IoControlCode)
{
    (void)Queue, (void)OutputBufferLength, (void)InputBufferLength, (void)IoControlCode;
    InterlockedIncrement(&ioctls);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static VOID EvtIoDefault(WDFQUEUE Queue, WDFREQUEST Request)
{
    (void)Queue;
    InterlockedIncrement(&defaults);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static VOID EvtIoCanceledOnQueue(WDFQUEUE Queue, WDFREQUEST Request)
{
    (void)Queue;
    InterlockedIncrement(&canceled_on_queue);
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static VOID EvtIoStop(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags)
{
    (void)Queue;
    InterlockedIncrement(&stops);
    stop_flags = ActionFlags;
    stop_under_read = stop_under_read || read_running;
    note('S');
    switch (stop_mode) {
    case S_ACK:
        WdfRequestStopAcknowledge(Request, FALSE);
        break;
    case S_ACK_TWICE:
        WdfRequestStopAcknowledge(Request, FALSE);
        WdfRequestStopAcknowledge(Request, FALSE);
        break;
    case S_REQUEUE:
        WdfRequestStopAcknowledge(Request, TRUE);
        break;
    case S_COMPLETE:
    case S_ACK_OUTSIDE:
        WdfRequestComplete(Request, STATUS_CANCELLED);
        break;
    case S_COMPLETE_READ_CTX: {
        /* as if the DMA path completed it concurrently: the framework's hold
         * reference keeps the request and its context until EvtIoStop returns */
        QREQ_CTX *c = QReqCtx(Request);
        WdfRequestComplete(Request, STATUS_CANCELLED);
        ctx_read_after_complete = c->magic;
        break;
    }
    case S_COMPLETE_THEN_ACK:
        /* the DMA path completed it concurrently, then EvtIoStop acknowledges:
         * FxRequest::VerifyStopAcknowledge passes a completed request held by
         * the framework; the acknowledgement does nothing */
        WdfRequestComplete(Request, STATUS_CANCELLED);
        WdfRequestStopAcknowledge(Request, FALSE);
        break;
    case S_FORWARD:
        /* the request leaves the stopping queue: the stop waits for it no
         * more; the manual queue (power-managed, stopping too) holds it */
        fwd_status = WdfRequestForwardToIoQueue(Request, g_manual);
        break;
    case S_NOTHING:
        if (mode == Q_POWER_MANUAL) /* WdfRequestRequeue, not StopAcknowledge(TRUE) */
            fwd_status = WdfRequestRequeue(Request);
        break;
    }
}

static VOID EvtIoResume(WDFQUEUE Queue, WDFREQUEST Request)
{
    (void)Queue;
    InterlockedIncrement(&resumes);
    note('M');
    if (mark_held && WdfRequestUnmarkCancelable(Request) == STATUS_CANCELLED)
        return; /* EvtHeldCancel completes it */
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

/* The manual queue's ReadyNotify: take every request. */
static VOID EvtReady(WDFQUEUE Queue, WDFCONTEXT Context)
{
    (void)Context;
    InterlockedIncrement(&ready_calls);
    note('N');
    for (;;) {
        WDFREQUEST r = NULL;
        NTSTATUS s;
        if (mode == Q_FIND || mode == Q_FIND_LEAK) {
            WDFREQUEST f = NULL;
            s = WdfIoQueueFindRequest(Queue, NULL, NULL, NULL, &f);
            if (!NT_SUCCESS(s))
                break;
            s = WdfIoQueueRetrieveFoundRequest(Queue, f, &r);
            if (mode == Q_FIND)
                WdfObjectDereference(f);
            if (NT_SUCCESS(s) && r == f)
                InterlockedIncrement(&found_ok);
        } else
            s = WdfIoQueueRetrieveNextRequest(Queue, &r);
        if (!NT_SUCCESS(s))
            break;
        InterlockedIncrement(&retrieved);
        if (mode == Q_POWER_MANUAL && retrieved == 1) {
            held = r;
            dr_thread_create(1, power_thread, NULL, "power");
            return;
        }
        if (mode == Q_REQUEUE && InterlockedIncrement(&requeued_once) == 1) {
            NTSTATUS rs = WdfRequestRequeue(r);
            if (!NT_SUCCESS(rs))
                WdfRequestComplete(r, rs);
            return; /* the requeue's own ReadyNotify takes it again */
        }
        WdfRequestComplete(r, STATUS_SUCCESS);
    }
}

static LONG invalid_state_completions;

static void drain_thread(void *arg)
{
    (void)arg;
    if (mode == Q_STOPSTART)
        WdfIoQueueStopSynchronously(g_queue);
    else if (mode == Q_PURGE)
        WdfIoQueuePurgeSynchronously(g_queue);
    else
        WdfIoQueueDrainSynchronously(g_queue);
    if (dr_failed())
        return;
    drained_state = WdfIoQueueGetState(g_queue, NULL, NULL);
    if (mode == Q_STOPSTART)
        WdfIoQueueStart(g_queue);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    (void)Driver;
    WDFDEVICE dev;
    if (mode == Q_POWER) {
        WDF_OBJECT_ATTRIBUTES ra;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&ra, QREQ_CTX);
        WdfDeviceInitSetRequestAttributes(DeviceInit, &ra);
    }
    NTSTATUS s = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &dev);
    if (!NT_SUCCESS(s))
        return s;
    WDF_IO_QUEUE_CONFIG qc;
    bool manual = mode == Q_MANUAL || mode == Q_REQUEUE || mode == Q_FIND || mode == Q_FIND_LEAK || mode == Q_POWER_MANUAL;
    bool sequential = mode == Q_SEQUENTIAL || mode == Q_PURGE;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, sequential ? WdfIoQueueDispatchSequential
                                                : manual   ? WdfIoQueueDispatchManual
                                                           : WdfIoQueueDispatchParallel);
    if (mode == Q_PARALLEL2)
        qc.Settings.Parallel.NumberOfPresentedRequests = 2;
    if (mode == Q_IOCTL)
        qc.EvtIoDeviceControl = EvtIoDeviceControl;
    else if (mode == Q_DEFAULT_CB)
        qc.EvtIoDefault = EvtIoDefault;
    else if (mode != Q_NO_CB)
        qc.EvtIoRead = EvtIoRead;
    qc.EvtIoCanceledOnQueue = EvtIoCanceledOnQueue;
    if (mode == Q_POWER || mode == Q_POWER_MANUAL) {
        qc.EvtIoStop = EvtIoStop;
        qc.EvtIoResume = EvtIoResume;
    }
    s = WdfIoQueueCreate(dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &g_queue);
    if (!NT_SUCCESS(s))
        return s;
    if (mode == Q_POWER && stop_mode == S_FORWARD) {
        WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
        s = WdfIoQueueCreate(dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &g_manual);
        if (!NT_SUCCESS(s))
            return s;
        return WdfIoQueueReadyNotify(g_manual, EvtReady, NULL);
    }
    if (manual) {
        WDF_IO_QUEUE_CONFIG bad;
        WDF_IO_QUEUE_CONFIG_INIT(&bad, WdfIoQueueDispatchSequential);
        bad.Settings.Parallel.NumberOfPresentedRequests = 2; /* only for a parallel queue */
        seq_count_status = WdfIoQueueCreate(dev, &bad, WDF_NO_OBJECT_ATTRIBUTES, NULL);
        WDFREQUEST r = NULL;
        first_ready_status = WdfIoQueueRetrieveNextRequest(g_queue, &r);
        return WdfIoQueueReadyNotify(g_queue, EvtReady, NULL);
    }
    if (mode == Q_FORWARD || mode == Q_FORWARD_DONE) {
        WDFREQUEST r = NULL;
        retrieve_parallel_status = WdfIoQueueRetrieveNextRequest(g_queue, &r);
        WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
        s = WdfIoQueueCreate(dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &g_manual);
        if (!NT_SUCCESS(s))
            return s;
        /* Q_FORWARD_DONE: no ReadyNotify, the request stays on the manual queue */
        return mode == Q_FORWARD ? WdfIoQueueReadyNotify(g_manual, EvtReady, NULL) : STATUS_SUCCESS;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;
static long cancelled_runs, completed_all, total_coq, max_owned_all, total_stops;

static void setup(void)
{
    reads = ioctls = defaults = owned = max_owned = ready_calls = retrieved = canceled_on_queue = 0;
    stops = resumes = requeued_once = found_ok = forwarded = power_done = 0;
    retrieve_parallel_status = fwd_status = first_ready_status = seq_count_status = STATUS_PENDING;
    stop_flags = 0;
    held_cancels = 0;
    ctx_read_after_complete = 0;
    read_running = stop_under_read = power_off_under_read = false;
    order[0] = 0;
    held = NULL;
    drained_state = (WDF_IO_QUEUE_STATE)0;
    km_world_start(&env, DriverEntry);
    if ((mode == Q_DRAIN || mode == Q_STOPSTART || mode == Q_PURGE) && !dr_failed())
        dr_thread_create(1, drain_thread, NULL, "drain");
}

static void check(void)
{
    if (dr_failed())
        return;
    km_world_check();
    if (dr_failed())
        return;
    bool all = true;
    for (unsigned i = 0; i < km_w.nrequests; i++) {
        if (km_w.request_status[i] == STATUS_CANCELLED)
            cancelled_runs++;
        if (km_w.request_status[i] == STATUS_INVALID_DEVICE_STATE)
            invalid_state_completions++;
        all = all && km_w.request_completions[i] == 1;
    }
    completed_all += all;
    total_stops += stops;
    /* Hold: EvtIoStop only after EvtIoRead returned; Purge: the stop returns
     * only after it returned */
    if (linger && (power_off_under_read || (!purge_power && stop_under_read)))
        bad_orders++;
    total_coq += canceled_on_queue;
    if (max_owned > max_owned_all)
        max_owned_all = max_owned;
}

static const dr_scenario scn = {"test-queue", "I/O queues", "clean", 2, 2, 1, setup, check, NULL, 0};

static km_test_result run(qmode m, unsigned requests, bool cancel, long max)
{
    mode = m;
    km_env_defaults(&env);
    env.requests = requests;
    env.cancel = cancel;
    cancelled_runs = completed_all = total_coq = max_owned_all = invalid_state_completions = 0;
    return km_test_run(&scn, "random", max, true);
}

/* FxIoQueue::DispatchEvents: a sequential queue presents the next request
 * only when the driver owns none from it; a parallel one up to
 * NumberOfPresentedRequests. Every request completes once. */
static void test_dispatch_types(void)
{
    km_test_result r = run(Q_SEQUENTIAL, 4, false, 100);
    KEXPECT_CLEAN(r);
    KCHECK(max_owned_all == 1);
    KCHECK(completed_all == 100);
    r = run(Q_PARALLEL2, 4, false, 200);
    KEXPECT_CLEAN(r);
    KCHECK(max_owned_all == 2); /* never three, and two at once in some execution */
    KCHECK(completed_all == 200);
}

/* A manual queue presents nothing: ReadyNotify fires when it goes from empty
 * to not empty and the driver retrieves (STATUS_NO_MORE_ENTRIES when empty;
 * a parallel queue refuses RetrieveNextRequest). */
static void test_manual(void)
{
    km_test_result r = run(Q_MANUAL, 3, false, 100);
    KEXPECT_CLEAN(r);
    KCHECK(reads == 0);
    KCHECK(retrieved == 3);
    KCHECK(ready_calls >= 1);
    KCHECK(first_ready_status == STATUS_NO_MORE_ENTRIES);
    KCHECK(seq_count_status == STATUS_INVALID_PARAMETER); /* FxIoQueue::Initialize */
    KCHECK(completed_all == 100);
    r = run(Q_FORWARD, 1, false, 20);
    KCHECK(retrieve_parallel_status == STATUS_INVALID_DEVICE_STATE);
}

/* FxIoQueue::DispatchRequestToDriver: the callback by request type. */
static void test_callback_by_type(void)
{
    mode = Q_IOCTL;
    km_env_defaults(&env);
    env.request_type = WdfRequestTypeDeviceControl;
    env.cancel = false;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(ioctls == 1 && reads == 0);
    r = run(Q_DEFAULT_CB, 1, false, 5);
    KEXPECT_CLEAN(r);
    KCHECK(defaults == 1);
    r = run(Q_NO_CB, 1, false, 5);
    KEXPECT_CLEAN(r);
    KCHECK(km_w.request_status[0] == STATUS_INVALID_DEVICE_REQUEST);
}

/* _IrpCancelForQueue / CancelForQueue: a request cancelled while it waits
 * on a sequential queue is completed STATUS_CANCELLED by the framework
 * (never presented); a requeued one goes to EvtIoCanceledOnQueue. */
static void test_cancel_on_queue(void)
{
    km_test_result r = run(Q_SEQUENTIAL, 3, true, 300);
    KEXPECT_CLEAN(r);
    KCHECK(cancelled_runs > 0);
    KCHECK(total_coq == 0); /* never presented: no EvtIoCanceledOnQueue although the queue has one */
    KCHECK(completed_all == 300);
    r = run(Q_REQUEUE, 1, true, 300);
    KEXPECT_CLEAN(r);
    KCHECK(completed_all == 300);
    KCHECK(total_coq > 0); /* the cancel came while the requeued request waited */
}

/* WdfIoQueueFindRequest references the request it returns: the driver
 * drops it; a leaked one keeps the completed request alive. */
static void test_find(void)
{
    km_test_result r = run(Q_FIND, 2, false, 50);
    KEXPECT_CLEAN(r);
    KCHECK(found_ok == 2);
    r = run(Q_FIND_LEAK, 1, false, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "request object leaked");
}

/* FxIoQueue::ForwardRequest: the request leaves the driver for the manual
 * queue, whose ReadyNotify takes it; completing it after forwarding is V14
 * with the verifier, QOWN1 without. */
static void test_forward(void)
{
    km_test_result r = run(Q_FORWARD, 2, false, 50);
    KEXPECT_CLEAN(r);
    KCHECK(fwd_status == STATUS_SUCCESS);
    KCHECK(forwarded == 2 && retrieved == 2);
    r = run(Q_FORWARD_DONE, 1, false, 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V14");
    mode = Q_FORWARD_DONE;
    km_env_defaults(&env);
    env.cancel = false;
    env.verifier = false;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "QOWN1");
}

/* WdfIoQueueDrainSynchronously returns when nothing is queued or owned; the
 * queue then accepts nothing (requests arriving later are completed
 * STATUS_INVALID_DEVICE_STATE by the framework). */
static void test_drain(void)
{
    km_test_result r = run(Q_DRAIN, 3, false, 200);
    KEXPECT_CLEAN(r);
    KCHECK(completed_all == 200);
    KCHECK(drained_state == (WdfIoQueueDispatchRequests | WdfIoQueueNoRequests | WdfIoQueueDriverNoRequests));
}

/* QueueIdle: stopped, the queue accepts but presents nothing until
 * WdfIoQueueStart; QueuePurge: queued requests are cancelled, later ones
 * completed STATUS_INVALID_DEVICE_STATE (QueueRequest), the queue ends
 * purged. Every request completes once. */
static void test_stop_purge(void)
{
    km_test_result r = run(Q_STOPSTART, 3, false, 200);
    KEXPECT_CLEAN(r);
    KCHECK(completed_all == 200);
    KCHECK(drained_state == (WdfIoQueueAcceptRequests | WdfIoQueueNoRequests | WdfIoQueueDriverNoRequests) ||
           drained_state == (WdfIoQueueAcceptRequests | WdfIoQueueDriverNoRequests));
    r = run(Q_PURGE, 3, false, 300);
    KEXPECT_CLEAN(r);
    KCHECK(completed_all == 300);
    /* QueuePurge clears only WdfIoQueueAcceptRequests (SetState) */
    KCHECK(drained_state == (WdfIoQueueDispatchRequests | WdfIoQueueNoRequests | WdfIoQueueDriverNoRequests));
    KCHECK(invalid_state_completions > 0 && cancelled_runs > 0); /* late arrivals, and requests cancelled while queued */
}

static km_test_result run_power(smode s, bool verifier)
{
    mode = Q_POWER;
    purge_power = false;
    stop_mode = s;
    km_env_defaults(&env);
    env.cancel = false;
    env.verifier = verifier;
    cancelled_runs = completed_all = 0;
    return km_test_run(&scn, "random", 50, true);
}

/* StopProcessingForPower / ResumeProcessingForPower: EvtIoStop(Suspend) for
 * the request the driver holds; acknowledged: the stop returns, then
 * EvtIoResume (the driver completes there). Requeued: presented again after
 * the resume. Completed in EvtIoStop: no resume. */
static void test_power(void)
{
    km_test_result r = run_power(S_ACK, true);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(order, "RSPM") == 0);
    KCHECK(stop_flags == WdfRequestStopActionSuspend);
    KCHECK(power_done == 1 && completed_all == 50);
    r = run_power(S_REQUEUE, true);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(order, "RSPR") == 0);
    KCHECK(resumes == 0 && reads == 2);
    r = run_power(S_COMPLETE, true);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(order, "RSP") == 0);
    r = run_power(S_ACK_TWICE, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "QSTOP3: WdfRequestStopAcknowledge: request acknowledged twice");
    r = run_power(S_NOTHING, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9F QSTOP1: EvtIoStop: request neither acknowledged nor completed");
    r = run_power(S_ACK_OUTSIDE, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "QSTOP2: WdfRequestStopAcknowledge: request is not being stopped");
}

/* fxioqueue.cpp FxIoQueue::ProcessPowerEvents holds the request
 * (FXREQUEST_HOLD_TAG) across EvtIoStop: completed inside the callback (as
 * a concurrent DMA completion would), its context stays readable until the
 * callback returns; the request is freed after, not before. */
static void test_power_stop_hold_reference(void)
{
    km_test_result r = run_power(S_COMPLETE_READ_CTX, true);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(order, "RSP") == 0);
    KCHECK(ctx_read_after_complete == QREQ_MAGIC);
    KCHECK(completed_all == 50);
    /* the same at removal (EvtIoStop(Purge)) */
    purge_power = true;
    km_env_defaults(&env);
    env.cancel = false;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(stop_flags == WdfRequestStopActionPurge);
    KCHECK(ctx_read_after_complete == QREQ_MAGIC && power_done == 1);
    purge_power = false;
    /* acknowledged after its completion, inside EvtIoStop: no finding */
    r = run_power(S_COMPLETE_THEN_ACK, true);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(order, "RSP") == 0 && resumes == 0);
}

/* A power stop waits for the threads in its queue's dispatch loop:
 * FxIoQueue::StartPowerTransitionOff (Hold) before any EvtIoStop, and
 * FxIoQueue::ProcessPowerEvents (Hold and Purge, m_Dispatching == 1) before
 * the queue is off; so the removal, whose queues are deleted after the
 * purge returned, never runs under an EvtIoRead still in progress. */
static void test_power_stop_waits_for_dispatch(void)
{
    linger = true;
    bad_orders = 0;
    km_test_result r = run_power(S_ACK, true);
    KEXPECT_CLEAN(r);
    KCHECK(bad_orders == 0);
    KCHECK(power_done == 1 && completed_all == 50);
    purge_power = true;
    stop_mode = S_NOTHING; /* EvtIoRead completes the request itself */
    completed_all = 0;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(bad_orders == 0);
    KCHECK(power_done == 1 && completed_all == 50);
    linger = purge_power = false;
}

/* fxioqueue.cpp FxIoQueue::ForwardRequestWorker unlinks the request from
 * the stopping queue's power lists (and decrements m_DriverIoCount):
 * forwarded from EvtIoStop, the power-down completes without an
 * acknowledgement (no QSTOP1), no EvtIoResume follows, and after the resume
 * the destination queue (ReadyNotify) takes and completes the request. */
/* m_Canceled, which spares a request EvtIoStop, is set only by the
 * framework's own cancel paths (fxioqueue.cpp CancelForQueue, QueuePurge,
 * RequestCancelable of a cancelled IRP), not by IoCancelIrp of a request the
 * driver holds uncancelable: EvtIoStop still comes for it (acknowledged,
 * the power-down ends; no QSTOP1). */
static void test_power_stop_cancelled_uncancelable(void)
{
    mode = Q_POWER;
    purge_power = false;
    stop_mode = S_ACK;
    km_env_defaults(&env);
    env.cancel = true; /* the held read's IRP may be cancelled before the stop */
    completed_all = 0;
    total_stops = 0;
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(completed_all == 200);
    KCHECK(total_stops == 200); /* EvtIoStop in every execution, cancelled IRP or not */
}

static void test_power_stop_forward(void)
{
    km_test_result r = run_power(S_FORWARD, true);
    KEXPECT_CLEAN(r);
    KCHECK(fwd_status == STATUS_SUCCESS);
    KCHECK(strcmp(order, "RSPN") == 0); /* the manual queue presents only after the resume */
    KCHECK(resumes == 0 && retrieved == 1);
    KCHECK(power_done == 1 && completed_all == 50);
    /* FxIoQueue::Requeue (RemoveFromDriverOwnedList): the same for a request
     * a manual queue's EvtIoStop puts back with WdfRequestRequeue; retrieved
     * again after the resume */
    mode = Q_POWER_MANUAL;
    stop_mode = S_NOTHING;
    km_env_defaults(&env);
    env.cancel = false;
    completed_all = 0;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(fwd_status == STATUS_SUCCESS);
    KCHECK(strcmp(order, "NSPN") == 0);
    KCHECK(resumes == 0 && retrieved == 2);
    KCHECK(power_done == 1 && completed_all == 50);
}

/* Removal (purge): EvtIoStop(Purge) for the driver-owned request; the stop
 * returns once the driver owns none. Acknowledged but never completed:
 * the remove IRP never completes (QSTOP4). */
static void test_power_purge(void)
{
    mode = Q_POWER;
    stop_mode = S_COMPLETE;
    purge_power = true;
    km_env_defaults(&env);
    env.cancel = false;
    km_test_result r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(order, "RSP") == 0);
    KCHECK(stop_flags == WdfRequestStopActionPurge);
    KCHECK(power_done == 1);
    /* requeued at removal: cancelled on its queue, EvtIoCanceledOnQueue
     * (the driver saw it before) completes it */
    stop_mode = S_REQUEUE;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(canceled_on_queue == 1 && power_done == 1);
    stop_mode = S_ACK;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9F QSTOP4: EvtIoStop: driver-owned request never completed at removal");
}

/* The removal's purge is QueuePurge(TRUE, TRUE, ...) (fxioqueue.cpp
 * FxIoQueue::StopProcessingForPower, PurgeManaged / PurgeNonManaged): a
 * driver-owned request marked cancelable is cancelled, its EvtRequestCancel
 * completes it, and it gets no EvtIoStop (m_Canceled). The I/O manager's
 * cancel is off: only the purge can cancel it. */
static void test_power_purge_cancels_cancelable(void)
{
    mode = Q_POWER;
    stop_mode = S_ACK; /* were EvtIoStop called, the read would stay owned: QSTOP4 */
    purge_power = true;
    mark_held = true;
    km_env_defaults(&env);
    env.cancel = false;
    km_test_result r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(order, "RCP") == 0);
    KCHECK(held_cancels == 1 && stops == 0 && power_done == 1);
    /* a Hold (power-down) cancels nothing: EvtIoStop(Suspend | RequestCancelable) */
    purge_power = false;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(held_cancels == 0 && stops == 1);
    KCHECK(stop_flags == (WdfRequestStopActionSuspend | WdfRequestStopRequestCancelable));
    mark_held = false;
}

int main(void)
{
    test_dispatch_types();
    test_manual();
    test_callback_by_type();
    test_cancel_on_queue();
    test_find();
    test_forward();
    test_drain();
    test_stop_purge();
    test_power();
    test_power_purge();
    test_power_purge_cancels_cancelable();
    test_power_stop_hold_reference();
    test_power_stop_forward();
    test_power_stop_waits_for_dispatch();
    test_power_stop_cancelled_uncancelable();
    return km_test_done();
}
