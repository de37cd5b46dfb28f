/* test_interrupts.c: the engine's interrupts on their own (dr.h, "interrupts:
 * nested frames on a processor"), checked on toy programs under DFS (every
 * schedule within the bound), random, and real-thread mode:
 *   - an ISR preempts a DPC mid-way on its processor and the DPC resumes
 *     after it; nothing else runs on that processor meanwhile; a DPC the ISR
 *     queues runs after the preempted DPC, before any passive thread;
 *   - interrupt spin lock contention: an ISR whose lock another processor
 *     holds at DIRQL spins until it is released, and no ISR is delivered to
 *     a processor running at or above its IRQL;
 *   - an ISR taking a lock the task it preempted holds is a deadlock;
 *   - raise / withdraw / re-raise while running. */
#include "dr/dr_engine.h"
#include "dr_test.h"

#include <stdlib.h>
#include <string.h>

enum { DIRQL = 5 };

DR_SITE(i_site, "isr-test-step");

static const dr_scenario *find(const char *name)
{
    const dr_scenario *s = dr_scenario_find(name);
    if (!s) {
        fprintf(stderr, "scenario %s missing\n", name);
        exit(2);
    }
    return s;
}

#define FAIL(title) dr_fail(DR_FIND_ASSERT, title, "-")

/* Every schedule of s under DFS with the given preemption bound (at most
 * cap): how many ran, how many were clean, in how many `seen` (read after
 * each execution) was true, and how many ended with a finding titled
 * `title`. Other findings are printed. */
typedef struct explored {
    int n, clean, seen, titled;
    bool exhausted;
} explored;

static explored explore(const char *name, unsigned bound, int cap, const int *seen, const char *title)
{
    const dr_scenario *s = find(name);
    dr_strategy *st = dr_strategy_dfs(bound);
    dr_run_config cfg = {0};
    explored x = {0, 0, 0, 0, false};
    for (;;) {
        dr_exec_result res;
        dr_run(s, &cfg, st, (uint64_t)x.n, &res);
        x.n++;
        x.clean += res.finding.kind == DR_FIND_NONE;
        x.seen += seen && *seen;
        if (title && strcmp(res.finding.title, title) == 0)
            x.titled++;
        else if (res.finding.kind != DR_FIND_NONE)
            fprintf(stderr, "%s: %s: %s\n", name, res.finding.title, res.finding.message);
        if (!dr_strategy_next(st, &res) || x.n > cap)
            break;
    }
    x.exhausted = dr_strategy_dfs_exhausted(st);
    dr_strategy_destroy(st);
    printf("%s: %d schedules, %d clean, %d with the event looked for, %d with the finding\n", name, x.n, x.clean,
           x.seen, x.titled);
    return x;
}

/* n executions in real-thread mode: all clean. */
static void threads_clean(const char *name, uint64_t seed, int n)
{
    const dr_scenario *s = find(name);
    for (int i = 0; i < n; i++) {
        dr_exec_result res;
        CHECK_EQ(dr_rt_run(s, s->cpus, seed, (uint64_t)i, 10.0, &res), 0);
        if (res.finding.kind != DR_FIND_NONE) {
            fprintf(stderr, "%s (threads): %s: %s\n", name, res.finding.title, res.finding.message);
            CHECK_EQ(res.finding.kind, DR_FIND_NONE);
            break;
        }
    }
    dr_rt_shutdown();
}

/* ---- an ISR preempting a DPC -------------------------------------------------------------- */

static dr_isr isr_a;
static dr_dpc dpc1, dpc2;
static int dpc1_step, dpc1_done, isr_running, isr_runs, isr_saw_dpc_midway, dpc2_ran, dpc2_after_dpc1;
static int thread_done;

static void dpc2_fn(void *arg)
{
    (void)arg;
    if (dr_irql() != DR_DISPATCH_LEVEL || isr_running)
        FAIL("queued DPC ran at the wrong level");
    dpc2_ran = 1;
    /* The preempted DPC, if the ISR preempted one, ends first: DPCs on one
     * processor run one after the other. */
    dpc2_after_dpc1 = dpc1_done || dpc1_step == 0;
}

static void isr_fn(void *arg)
{
    (void)arg;
    if (dr_irql() != DIRQL || dr_current_cpu() != 0)
        FAIL("ISR not at its DIRQL on P0");
    if (dr_isr_pending(&isr_a))
        FAIL("ISR still pending while it runs");
    isr_running = 1;
    isr_runs++;
    if (dpc1_step > 0 && !dpc1_done)
        isr_saw_dpc_midway = 1;
    dr_yield(&i_site);
    dr_yield(&i_site);
    dr_dpc_queue(&dpc2, 0); /* at DIRQL: pending until IRQL drops below DISPATCH */
    if (dpc2_ran)
        FAIL("a DPC ran inside an ISR");
    isr_running = 0;
}

static void dpc1_fn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        dpc1_step = i + 1;
        dr_yield(&i_site);
        if (isr_running)
            FAIL("a preempted DPC ran while its ISR ran");
        if (dr_irql() != DR_DISPATCH_LEVEL)
            FAIL("a resumed DPC is not at DISPATCH");
    }
    dpc1_done = 1;
}

static void p0_passive(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        dr_yield(&i_site);
        if (isr_running || (dpc1_step && !dpc1_done))
            FAIL("a passive thread ran while its processor was taken");
        if (dpc2_ran == 0 && isr_runs && !isr_running && dpc1_done)
            FAIL("a passive thread ran before the DPC its ISR queued");
    }
    thread_done = 1;
}

static void raiser(void *arg)
{
    (void)arg;
    dr_yield(&i_site);
    if (!dr_isr_raise(&isr_a, 0))
        FAIL("first raise refused");
    if (!dr_isr_pending(&isr_a))
        FAIL("raised ISR not pending");
    dr_yield(&i_site);
}

static void preempt_setup(void)
{
    dpc1_step = dpc1_done = isr_running = isr_runs = isr_saw_dpc_midway = dpc2_ran = dpc2_after_dpc1 = 0;
    thread_done = 0;
    dr_isr_init(&isr_a, isr_fn, NULL, "isr", DIRQL);
    dr_dpc_init(&dpc1, dpc1_fn, NULL, "dpc1");
    dr_dpc_init(&dpc2, dpc2_fn, NULL, "dpc2");
    dr_thread_create(0, p0_passive, NULL, "p0");
    dr_thread_create(1, raiser, NULL, "raiser");
    dr_dpc_queue(&dpc1, 0);
}

static void preempt_check(void)
{
    if (isr_runs != 1 || !dpc1_done || !dpc2_ran || !thread_done)
        dr_fail(DR_FIND_CHECK, "work left undone", "isr %d dpc1 %d dpc2 %d thread %d", isr_runs, dpc1_done,
                dpc2_ran, thread_done);
    if (!dpc2_after_dpc1)
        dr_fail(DR_FIND_CHECK, "the ISR's DPC overtook the DPC it preempted", "-");
}

static const dr_scenario preempt = {"test-isr-preempt", "an ISR preempts a DPC", "clean", 2, 2, 1,
                                    preempt_setup, preempt_check, NULL, 0};
DR_SCENARIO(preempt)

/* Runs every schedule DFS gives within the bound: all clean, and the ISR
 * really lands in the middle of the DPC in some of them. */
static void test_preempt(void)
{
    /* midway: the ISR landed inside the DPC */
    explored x = explore("test-isr-preempt", 2, 200000, &isr_saw_dpc_midway, NULL);
    CHECK(x.exhausted);
    CHECK_EQ(x.clean, x.n);
    CHECK(x.seen > 0);
    CHECK(x.seen < x.n); /* and elsewhere before or after it */
    threads_clean("test-isr-preempt", 7, 200);
}

/* ---- interrupt spin lock contention across processors ------------------------------------------- */

static dr_isr isr_p0, isr_p1;
static dr_spinlock ilock;
static int in_cs, contended, p1_at_dirql, isr_p0_runs, isr_p1_runs, p1_done;

static void locked_isr(void *arg)
{
    (void)arg;
    if (dr_current_cpu() == 1 && p1_at_dirql)
        FAIL("an ISR was delivered to a processor at its IRQL");
    if (in_cs)
        contended++;
    unsigned old = dr_spin_acquire_at(&ilock, DIRQL);
    if (old != DIRQL)
        FAIL("the ISR's IRQL changed taking its lock");
    if (in_cs++)
        FAIL("two holders of the interrupt lock");
    dr_yield(&i_site);
    in_cs--;
    dr_spin_release(&ilock, old);
    if (dr_current_cpu() == 0)
        isr_p0_runs++;
    else
        isr_p1_runs++;
}

/* A DPC-level path synchronising with the ISR, as WdfInterruptAcquireLock. */
static void p1_sync(void *arg)
{
    (void)arg;
    dr_yield(&i_site);
    unsigned old = dr_spin_acquire_at(&ilock, DIRQL);
    if (dr_irql() != DIRQL)
        FAIL("interrupt lock not at DIRQL");
    p1_at_dirql = 1;
    if (in_cs++)
        FAIL("two holders of the interrupt lock");
    dr_isr_raise(&isr_p1, 1); /* pending: P1 runs at DIRQL */
    dr_yield(&i_site);
    dr_yield(&i_site);
    in_cs--;
    p1_at_dirql = 0;
    dr_spin_release(&ilock, old);
    if (dr_irql() != DR_PASSIVE_LEVEL)
        FAIL("IRQL not restored");
    p1_done = 1;
}

static void p0_raiser(void *arg)
{
    (void)arg;
    dr_yield(&i_site);
    dr_isr_raise(&isr_p0, 0);
    dr_yield(&i_site);
}

static void lock_setup(void)
{
    in_cs = contended = p1_at_dirql = isr_p0_runs = isr_p1_runs = p1_done = 0;
    dr_spinlock_init(&ilock, "interrupt-lock");
    dr_isr_init(&isr_p0, locked_isr, NULL, "isr0", DIRQL);
    dr_isr_init(&isr_p1, locked_isr, NULL, "isr1", DIRQL);
    dr_thread_create(1, p1_sync, NULL, "sync");
    dr_thread_create(0, p0_raiser, NULL, "raise");
}

static void lock_check(void)
{
    if (isr_p0_runs != 1 || isr_p1_runs != 1 || !p1_done)
        dr_fail(DR_FIND_CHECK, "work left undone", "isr0 %d isr1 %d sync %d", isr_p0_runs, isr_p1_runs, p1_done);
}

static const dr_scenario lockc = {"test-isr-lock", "interrupt lock contention", "clean", 2, 2, 1,
                                  lock_setup, lock_check, NULL, 0};
DR_SCENARIO(lockc)

static void test_lock_contention(void)
{
    explored x = explore("test-isr-lock", 2, 200000, &contended, NULL);
    CHECK(x.exhausted);
    CHECK_EQ(x.clean, x.n);
    CHECK(x.seen > 0); /* an ISR found the lock held and spun */
    threads_clean("test-isr-lock", 9, 200);
}

/* ---- an ISR taking the lock of the task it preempted ------------------------------------------ */

static dr_spinlock plain_lock;
static dr_isr isr_dl;

static void dl_isr(void *arg)
{
    (void)arg;
    unsigned old = dr_spin_acquire_at(&plain_lock, DIRQL);
    dr_spin_release(&plain_lock, old);
}

static void dl_thread(void *arg)
{
    (void)arg;
    unsigned old = dr_spin_acquire(&plain_lock);
    dr_isr_raise(&isr_dl, 0);
    dr_yield(&i_site);
    dr_spin_release(&plain_lock, old);
}

static void dl_setup(void)
{
    dr_spinlock_init(&plain_lock, "shared");
    dr_isr_init(&isr_dl, dl_isr, NULL, "isr", DIRQL);
    dr_thread_create(0, dl_thread, NULL, "holder");
}

static const dr_scenario dlock = {"test-isr-selflock", "ISR takes a preempted holder's lock", "deadlock", 1, 1, 1,
                                  dl_setup, NULL, NULL, 0};
DR_SCENARIO(dlock)

static void test_self_deadlock(void)
{
    explored x = explore("test-isr-selflock", 2, 1000, NULL, "spin lock acquired again on the processor that holds it");
    CHECK(x.titled > 0); /* delivered while the thread holds the lock: the deadlock */
    CHECK(x.clean > 0);  /* delivered after it released it */
    CHECK_EQ(x.titled + x.clean, x.n);
}

/* ---- raise, withdraw, re-raise ------------------------------------------------------------------ */

static dr_isr isr_r;
static int rr_runs, rr_withdrawn_ok, rr_again_refused;

static void rr_isr(void *arg)
{
    (void)arg;
    if (++rr_runs < 3)
        dr_isr_raise(&isr_r, 0); /* the line is still asserted: pending again */
}

static void rr_thread(void *arg)
{
    (void)arg;
    unsigned old = dr_raise_irql(DIRQL); /* nothing is delivered at this level */
    dr_isr_raise(&isr_r, 0);
    rr_again_refused = !dr_isr_raise(&isr_r, 0);
    dr_yield(&i_site);
    rr_withdrawn_ok = dr_isr_withdraw(&isr_r) && !dr_isr_pending(&isr_r) && !dr_isr_withdraw(&isr_r);
    dr_lower_irql(old);
    dr_yield(&i_site);
    if (rr_runs)
        FAIL("a withdrawn ISR ran");
    dr_isr_raise(&isr_r, 0);
    dr_yield(&i_site);
}

static void rr_setup(void)
{
    rr_runs = rr_withdrawn_ok = rr_again_refused = 0;
    dr_isr_init(&isr_r, rr_isr, NULL, "isr", DIRQL);
    dr_thread_create(0, rr_thread, NULL, "t");
}

static void rr_check(void)
{
    if (rr_runs != 3 || !rr_withdrawn_ok || !rr_again_refused)
        dr_fail(DR_FIND_CHECK, "raise/withdraw", "runs %d withdrawn %d refused %d", rr_runs, rr_withdrawn_ok,
                rr_again_refused);
}

static const dr_scenario rraise = {"test-isr-reraise", "raise, withdraw, re-raise", "clean", 1, 1, 1,
                                   rr_setup, rr_check, NULL, 0};
DR_SCENARIO(rraise)

static void test_raise_withdraw(void)
{
    explored x = explore("test-isr-reraise", 3, 10000, NULL, NULL);
    CHECK(x.n > 1);
    CHECK_EQ(x.clean, x.n);
}

int main(void)
{
    test_preempt();
    test_lock_contention();
    test_self_deadlock();
    test_raise_withdraw();
    TEST_DONE();
}
