/* test_pin_timer.c: WDFTIMER behaviour no other model test pins (issue 12,
 * the km_timer.c survivors of scripts/mutate-model.sh): the state machine's
 * Idle/Queued/Running, DueTime and Period in their units, a passive timer's
 * work item coalescing expiries, Stop(TRUE) against a concurrent Start, C11
 * for a timer freed with its DPC pending, WdfTimerCreate's TolerableDelay
 * check and V26 at APC_LEVEL. One small driver with a device timer; its
 * EvtIoRead and EvtTimerFunc do what the test's mode asks. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

/* White box, read with no scheduling point in between: an instrumented
 * driver load is a scheduling point (docs/engine.md), so these helpers are
 * not instrumented, and callers pass the handle in a local. */
#if defined(__clang__)
#define NO_SCHED __attribute__((noinline, no_sanitize("coverage")))
#else
#define NO_SCHED __attribute__((noinline))
#endif

static NO_SCHED km_tmr_state timer_state(WDFTIMER t)
{
    km_object *o = km_lookup(t, KM_T_TIMER, "test", true);
    return o ? o->u.tmr.state : KM_TMR_DELETED;
}

/* In the kernel timer queue, or its DPC or work item queued or running. */
static NO_SCHED bool timer_pending(WDFTIMER t)
{
    km_object *o = km_lookup(t, KM_T_TIMER, "test", true);
    const km_timer *k = &o->u.tmr;
    return k->queued || k->dpc_queued || k->dpc_active || k->wi_enqueued || k->wi_running;
}

typedef enum {
    T_STATES,          /* Start, Stop(FALSE), Start, Stop(TRUE): the state after each */
    T_DUE_TIMES,       /* relative DueTime, then absolute ones from the callback */
    T_PERIODIC,        /* periodic timer: the clock at each callback */
    T_COALESCE,        /* passive timer started twice */
    T_STOP_VS_START,   /* two requests: Start against Stop(TRUE) */
    T_FREE_PENDING,    /* timer started, then its references dropped by two extra dereferences */
    T_CREATE_DELAY,    /* WdfTimerCreate with TolerableDelay and UseHighResolutionTimer */
    T_STOP_APC,        /* Stop(TRUE) at APC_LEVEL */
} tmode;

enum { PERIOD_MS = 2, TICKS_PER_MS = 10000, REL_TICKS = 1000, ABS_AHEAD = 5000 };

static tmode mode;
static WDF_EXECUTION_LEVEL dev_timer_level;
static ULONG dev_timer_period;
static WDFDEVICE g_device;
static WDFTIMER g_timer;
static km_env env;

/* Per execution, reset by setup. */
static LONG g_arrivals, g_callbacks;
static WDFREQUEST g_request;          /* the request the timer callback completes */
static uint64_t g_now[8];             /* dr_now() at each callback */
static uint64_t g_start_now;          /* dr_now() when EvtIoRead started the timer */
static uint64_t g_abs_due;            /* the absolute DueTime given from the first callback */
static km_tmr_state g_state[4];
static BOOLEAN g_s1, g_s2, g_stop;
static bool g_pending_at_stop;
static NTSTATUS g_create[4];
static uint64_t absorbed_before;      /* the window's hits when the execution started */

/* Across executions. */
static long n_runs, n_bad, n_seen[4];

#define ABSORBED "timer: expiry absorbed by a queued DPC"

static VOID EvtTimer(WDFTIMER Timer)
{
    LONG n = InterlockedIncrement(&g_callbacks);
    if (n <= 8)
        g_now[n - 1] = dr_now();
    switch (mode) {
    case T_DUE_TIMES:
        if (n == 1) {
            /* An absolute DueTime ahead of the clock. */
            g_abs_due = dr_now() + ABS_AHEAD;
            (void)WdfTimerStart(Timer, (LONGLONG)g_abs_due);
        } else if (n == 2) {
            /* An absolute DueTime in the past: the timer expires at once. */
            (void)WdfTimerStart(Timer, 1);
        } else if (n == 3) {
            WdfRequestComplete(g_request, STATUS_SUCCESS);
        }
        break;
    case T_PERIODIC:
        if (n == 3) {
            (void)WdfTimerStop(Timer, FALSE);
            WdfRequestComplete(g_request, STATUS_SUCCESS);
        }
        break;
    default:
        break;
    }
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    WDFTIMER t = g_timer; /* in a local: no driver load between a DDI and the white-box read after it */
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    switch (mode) {
    case T_STATES: {
        BOOLEAN cancelled;
        km_tmr_state s0, s1, s2;
        (void)WdfTimerStart(t, WDF_REL_TIMEOUT_IN_US(100));
        s0 = timer_state(t);
        cancelled = WdfTimerStop(t, FALSE);
        s1 = timer_state(t);
        (void)WdfTimerStart(t, WDF_REL_TIMEOUT_IN_US(100));
        (void)WdfTimerStop(t, TRUE);
        s2 = timer_state(t);
        g_state[0] = s0;
        g_state[1] = cancelled ? s1 : KM_TMR_IDLE; /* not cancelled: the callback may be pending */
        g_state[2] = s2;
        break;
    }
    case T_DUE_TIMES:
    case T_PERIODIC:
        g_request = Request;
        g_start_now = dr_now();
        (void)WdfTimerStart(t, -(LONGLONG)REL_TICKS);
        return; /* the third callback completes it */
    case T_COALESCE:
        g_s1 = WdfTimerStart(t, WDF_REL_TIMEOUT_IN_US(100));
        g_s2 = WdfTimerStart(t, WDF_REL_TIMEOUT_IN_US(100));
        break;
    case T_STOP_VS_START:
        if (InterlockedIncrement(&g_arrivals) == 1) {
            g_s1 = WdfTimerStart(t, WDF_REL_TIMEOUT_IN_US(100));
        } else {
            BOOLEAN st = WdfTimerStop(t, TRUE);
            bool pending = timer_pending(t);
            g_stop = st;
            g_pending_at_stop = pending;
        }
        break;
    case T_FREE_PENDING:
        (void)WdfTimerStart(t, WDF_REL_TIMEOUT_IN_US(100));
        WdfObjectDereference(t); /* the bug: references never taken */
        WdfObjectDereference(t);
        break;
    case T_CREATE_DELAY: {
        static const struct {
            ULONG delay;
            BOOLEAN high;
        } rows[] = {{1, TRUE}, {0, TRUE}, {1, FALSE}, {0, FALSE}};
        for (size_t i = 0; i < 4; i++) {
            WDF_TIMER_CONFIG tc;
            WDF_OBJECT_ATTRIBUTES a;
            WDFTIMER x;
            WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
            tc.TolerableDelay = rows[i].delay;
            tc.UseHighResolutionTimer = rows[i].high;
            WDF_OBJECT_ATTRIBUTES_INIT(&a);
            a.ParentObject = g_device;
            g_create[i] = WdfTimerCreate(&tc, &a, &x);
        }
        break;
    }
    case T_STOP_APC: {
        KIRQL old;
        KeRaiseIrql(APC_LEVEL, &old);
        g_stop = WdfTimerStop(t, TRUE);
        KeLowerIrql(old);
        break;
    }
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
    st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &g_device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_TIMER_CONFIG_INIT_PERIODIC(&tc, EvtTimer, (LONG)dev_timer_period);
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.ParentObject = g_device;
    attrs.ExecutionLevel = dev_timer_level;
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
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void)
{
    g_arrivals = g_callbacks = 0;
    g_request = NULL;
    memset(g_now, 0, sizeof g_now);
    g_start_now = g_abs_due = 0;
    for (int i = 0; i < 4; i++) {
        g_state[i] = KM_TMR_DELETED;
        g_create[i] = STATUS_PENDING;
    }
    g_s1 = g_s2 = g_stop = FALSE;
    g_pending_at_stop = false;
    absorbed_before = km_test_window_hits(ABSORBED);
    km_world_start(&env, DriverEntry);
}

static void bad(const char *what)
{
    n_bad++;
    if (n_bad <= 3)
        fprintf(stderr, "execution %ld: %s\n", n_runs, what);
}

/* What each mode promises, after the end-of-execution oracles. */
static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    n_runs++;
    switch (mode) {
    case T_STATES:
        if (g_state[0] != KM_TMR_QUEUED)
            bad("after Start the timer is not Queued");
        if (g_state[1] != KM_TMR_IDLE)
            bad("after a Stop(FALSE) that cancelled it the timer is not Idle");
        if (g_state[2] != KM_TMR_IDLE)
            bad("after Stop(TRUE) the timer is not Idle");
        n_seen[0] += g_state[0] == KM_TMR_QUEUED;
        n_seen[1] += g_callbacks > 0; /* a callback ran: Stop(TRUE) saw it leave Running */
        break;
    case T_DUE_TIMES:
        if (g_callbacks != 3 || g_now[0] != g_start_now + REL_TICKS)
            bad("a relative DueTime does not expire exactly DueTime ticks later");
        else if (g_now[1] != g_abs_due)
            bad("an absolute DueTime does not expire at that time");
        else if (g_now[2] != g_now[1])
            bad("an absolute DueTime in the past does not expire at once");
        break;
    case T_PERIODIC: {
        uint64_t first = g_start_now + REL_TICKS, period = (uint64_t)PERIOD_MS * TICKS_PER_MS;
        /* Every callback sees the clock of an expiry, never earlier than the
         * one before (a DPC may run after the next expiry, and an expiry
         * whose DPC is still queued is absorbed). */
        for (LONG i = 0; i < g_callbacks && i < 8; i++)
            if (g_now[i] < first || (g_now[i] - first) % period != 0 || (i > 0 && g_now[i] < g_now[i - 1])) {
                bad("a periodic callback ran at a time that is no expiry of its period");
                break;
            }
        if (g_callbacks < 3)
            bad("fewer than three periodic callbacks");
        break;
    }
    case T_COALESCE: {
        /* Expiries: one per arming (a second Start that found the timer
         * queued replaced the first arming). A DPC still queued absorbs an
         * expiry; a work item still queued absorbs a DPC's callback. */
        long expiries = g_s2 ? 1 : 2;
        long dpcs = expiries - (km_test_window_hits(ABSORBED) > absorbed_before ? 1 : 0);
        if (g_callbacks > dpcs || g_callbacks < 1)
            bad("passive timer: more callbacks than DPCs, or none");
        n_seen[0] += g_callbacks < dpcs; /* the work item coalesced two DPCs */
        n_seen[1] += g_callbacks == 2;
        break;
    }
    case T_STOP_VS_START:
        /* One Start: Stop(TRUE) is TRUE iff it kept that arming from ever
         * calling back (cancelled it, or aborted the Start). */
        if (g_stop != (g_callbacks == 0))
            bad("Stop(TRUE)'s result disagrees with the callbacks");
        if (g_pending_at_stop)
            bad("the timer is still armed or pending when Stop(TRUE) returns");
        n_seen[0] += g_stop;
        n_seen[1] += !g_stop;
        break;
    default:
        break;
    }
}

static const dr_scenario scn = {"test-pin-timer", "timer model, pinned behaviour", "clean", 2, 4, 1, setup, check,
                                NULL, 0};

static void use(tmode m, bool verifier, WDF_EXECUTION_LEVEL level, ULONG period)
{
    mode = m;
    dev_timer_level = level;
    dev_timer_period = period;
    km_env_defaults(&env);
    env.verifier = verifier;
    env.cancel = false;
    n_runs = n_bad = 0;
    memset(n_seen, 0, sizeof n_seen);
}

/* The summary state (km_timer.c's header) right after each DDI returns:
 * Queued after Start (fxtimer.cpp#Start arms the kernel timer), Idle after
 * a Stop(FALSE) that cancelled it (#Stop: m_Timer.Stop() removes it from the
 * timer queue), Idle after Stop(TRUE) (#Stop flushes the DPC and waits for
 * the work item: nothing is left running, the callback included). */
static void test_states(void)
{
    static const WDF_EXECUTION_LEVEL levels[] = {WdfExecutionLevelDispatch, WdfExecutionLevelPassive};
    for (size_t i = 0; i < 2; i++) {
        use(T_STATES, true, levels[i], 0);
        km_test_result r = km_test_run(&scn, "random", 300, true);
        KEXPECT_CLEAN(r);
        KCHECK(n_bad == 0);
        KCHECK(n_seen[0] > 0);
        KCHECK(n_seen[1] > 0);
    }
}

/* WdfTimerStart's DueTime (docs, KeSetTimer): negative is relative, in
 * 100 ns units; positive is an absolute system time, and one already past
 * expires at once. fxtimer.cpp#Start hands it to the kernel timer as is. */
static void test_due_times(void)
{
    use(T_DUE_TIMES, true, WdfExecutionLevelDispatch, 0);
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(n_runs == r.executions);
    KCHECK(n_bad == 0);
}

/* WDF_TIMER_CONFIG.Period is in milliseconds (fxtimer.cpp#Initialize passes
 * m_Period to the kernel timer: KeSetTimerEx's Period, in ms). */
static void test_period_in_ms(void)
{
    use(T_PERIODIC, true, WdfExecutionLevelDispatch, PERIOD_MS);
    km_test_result r = km_test_run(&scn, "random", 300, true);
    KEXPECT_CLEAN(r);
    KCHECK(n_runs == r.executions);
    KCHECK(n_bad == 0);
}

/* fxtimer.cpp#_FxTimerDpcThunk queues the passive timer's work item with
 * FxSystemWorkItem::TryToEnqueue, which refuses while the item is still
 * queued (fxsystemworkitem.cpp#EnqueueWorker, m_Enqueued): two DPCs before
 * the work item starts give one callback. */
static void test_passive_coalescing(void)
{
    use(T_COALESCE, true, WdfExecutionLevelPassive, 0);
    km_test_result r = km_test_run(&scn, "random", 5000, true);
    KEXPECT_CLEAN(r);
    KCHECK(n_bad == 0);
    printf("passive coalescing: %ld of %ld executions had two DPCs and one callback\n", n_seen[0], n_runs);
    KCHECK(n_seen[0] > 0); /* two DPCs, one callback */
    KCHECK(n_seen[1] > 0); /* and two callbacks when the work item had started */
}

/* fxtimer.cpp#Stop(Wait = TRUE): m_StopThread makes a concurrent Start abort
 * (m_StartAborted: Stop then returns TRUE); a Start that passed that check
 * and armed during the wait sets m_StopAgain, and the loop
 * "while (result == FALSE && m_StopAgain)" cancels it again. */
static void test_stop_wait_against_start(void)
{
    use(T_STOP_VS_START, true, WdfExecutionLevelDispatch, 0);
    env.requests = 2;
    dr_windows_reset();
    km_test_result r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r);
    KCHECK(n_bad == 0);
    KCHECK(n_seen[0] > 0 && n_seen[1] > 0);
    KCHECK(km_test_window_hits("timer: Start aborted by Stop(TRUE)") > 0);
    r = km_test_run_dfs(&scn, 2, 100000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(n_bad == 0);
    printf("Stop(TRUE) against Start: DFS bound 2 exhausted after %ld executions\n", r.executions);
}

/* A reference-count bug frees the FxTimer while its DPC is queued or
 * running: the DPC then uses freed memory (C11). With the verifier the
 * missing rundown is V29 first (test_timer.c). */
static void test_c11_freed_with_dpc_pending(void)
{
    use(T_FREE_PENDING, false, WdfExecutionLevelDispatch, 0);
    km_test_result r = km_test_find(&scn, 20000, "C11");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH C11: EvtTimerFunc: timer freed with its callback pending");
}

/* fxtimerapi.cpp#WdfTimerCreate: "UseHighResolutionTimer option specified
 * with non zero tolerable delay" is STATUS_INVALID_PARAMETER. */
static void test_create_tolerable_delay(void)
{
    use(T_CREATE_DELAY, true, WdfExecutionLevelDispatch, 0);
    km_test_result r = km_test_run(&scn, "random", 3, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_create[0] == STATUS_INVALID_PARAMETER);
    KCHECK(g_create[1] == STATUS_SUCCESS);
    KCHECK(g_create[2] == STATUS_SUCCESS);
    KCHECK(g_create[3] == STATUS_SUCCESS);
}

/* fxtimerapi.cpp#WdfTimerStop: Wait = TRUE checks
 * FxVerifierCheckIrqlLevel(PASSIVE_LEVEL); APC_LEVEL is above it. */
static void test_stop_wait_at_apc(void)
{
    use(T_STOP_APC, true, WdfExecutionLevelDispatch, 0);
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V26: WdfTimerStop: WdfTimerStop(Wait=TRUE) above PASSIVE_LEVEL");
}

int main(void)
{
    test_states();
    test_due_times();
    test_period_in_ms();
    test_passive_coalescing();
    test_stop_wait_against_start();
    test_c11_freed_with_dpc_pending();
    test_create_tolerable_delay();
    test_stop_wait_at_apc();
    return km_test_done();
}
