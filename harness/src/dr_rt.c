/* dr_rt.c: real-thread (stress) mode. Each simulated processor is a pthread
 * and the operating system interleaves them; nothing is recorded and nothing
 * replays. This is the baseline a driver developer would otherwise rely on
 * (a stress test on real threads), run under ThreadSanitizer in the nightly
 * job. docs/tsan.md explains the design; the summary:
 *
 * - Processors: one pthread each, created once per campaign and parked on a
 *   barrier between executions (the barrier is the only engine-made
 *   happens-before edge, at execution boundaries, as in fiber mode).
 * - Each processor has two liburcu wait-free queues (wfcqueue): DPCs, and
 *   passive threads bound to it. Any processor enqueues without a lock; only
 *   the owner dequeues. liburcu 0.13 is not TSan-aware, so the queue hand-off
 *   is told to TSan: release before the enqueue, acquire after the dequeue.
 *   A passive thread runs on its processor's OS thread to completion; a DPC
 *   interrupts passive code on its processor at any scheduling point or driver
 *   memory access (a software interrupt), never code at DISPATCH_LEVEL.
 * - Spin locks are real: a processor spins until the lock is free. Driver
 *   Interlocked* operations are real atomics (wdm.h).
 * - The model's bookkeeping (request, transaction and timer state machines)
 *   was written for atomic steps between scheduling points. Here it runs
 *   under one framework lock that TSan cannot see: it is taken with plain
 *   atomics in uninstrumented code, so it orders nothing for TSan, and
 *   driver code runs without it (it is dropped at the driver's first memory
 *   access after a DDI returns, and around every driver callback). The only
 *   happens-before edges TSan sees are the ones fiber mode gives it: spin
 *   locks, KMDF's own lock sections (km_hb.h), thread and DPC hand-offs, and
 *   an event's arming before the work it starts.
 * - Environment events (the hardware finishing a transfer, the I/O manager
 *   cancelling) and the virtual clock fire at random scheduling points and
 *   whenever a processor is idle. */
#include "dr_fault.h"
#include "dr_internal.h"
#include "dr_hash.h"
#include "dr_poison.h"
#include "dr_prng.h"
#include "dr_sanitizer.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu/wfcqueue.h>

#if DR_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define RT_ACQUIRE(a) __tsan_acquire((void *)(a))
#define RT_RELEASE(a) __tsan_release((void *)(a))
#else
#define RT_ACQUIRE(a) ((void)0)
#define RT_RELEASE(a) ((void)0)
#endif

/* The task limit is the fiber engine's: one fault, one title, one limit in both modes. */
enum { RT_MAX_TASKS = DR_MAX_TASKS, RT_SPINS_BEFORE_YIELD = 64 };

typedef struct rt_task rt_task;
typedef struct rt_waiter {
    dr_ready_fn ready;
    const void *arg;
    rt_task *task;
} rt_waiter;

struct rt_task {
    struct cds_wfcq_node node;
    uint32_t id;
    uint8_t cpu;
    bool is_dpc;
    uint8_t irql; /* an ISR's */
    dr_fn fn;
    void *arg;
    const char *name;
    dr_dpc *dpc;
    dr_isr *isr;
    const void *hb_from; /* TSan: the event or timer whose handler created it */
};

enum { RT_MAX_PENDING_ISRS = 16 };
typedef struct rt_cpu {
    rt_task *isr[RT_MAX_PENDING_ISRS]; /* pending ISRs (framework lock) */
    _Atomic unsigned nisr; /* read without the lock by rt_access */
    struct __cds_wfcq_head dpc_head;
    struct cds_wfcq_tail dpc_tail;
    struct __cds_wfcq_head thr_head;
    struct cds_wfcq_tail thr_tail;
    pthread_t thread;
    jmp_buf abort_to;
} rt_cpu;

static struct {
    bool threads_up;
    unsigned nthreads;
    pthread_barrier_t start, end;
    atomic_bool quit;
    rt_cpu cpu[DR_MAX_CPUS];

    /* one execution */
    const dr_scenario *scn;
    unsigned ncpus;
    uint64_t seed, exec_index;
    double deadline, time_limit;
    atomic_bool over; /* a finding: every processor stops */
    atomic_bool done; /* nothing left to run */
    dr_finding finding;
    uint64_t steps; /* scheduling points, summed over the processors at the end */
    atomic_uint ntasks;
    rt_task tasks[RT_MAX_TASKS];

    /* under the framework lock */
    uint32_t live;    /* tasks created and not finished (queued DPCs and threads included) */
    uint32_t waiting; /* tasks blocked in a wait or spinning on a lock */
    struct rt_waiter *waiters[RT_MAX_TASKS];
    /* armed events and timers: dr_clock.c's, shared with fiber mode, also
     * under the framework lock */
    uint32_t exec; /* the engine's stamp of this execution */
} R;

/* Per OS thread. */
static _Thread_local int rt_cpu_index = -1; /* -1: the main thread */
static _Thread_local rt_task *rt_cur;
static _Thread_local unsigned rt_irql;
static _Thread_local bool rt_handler;
static _Thread_local const void *rt_origin; /* event or timer whose handler runs */
static _Thread_local bool rt_held;
static _Thread_local dr_prng rt_rng;
static _Thread_local uint32_t rt_spin_count;
static _Thread_local uint64_t rt_steps; /* this processor's scheduling points */

/* ---- the framework lock (invisible to TSan: plain atomics, uninstrumented) -------------- */

static atomic_int bfl;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void relax(void)
{
    if (++rt_spin_count % RT_SPINS_BEFORE_YIELD == 0)
        sched_yield();
    else
        cpu_relax();
}

static void bfl_ensure(void)
{
    if (rt_held)
        return;
    for (;;) {
        if (!atomic_exchange_explicit(&bfl, 1, memory_order_acquire))
            break;
        while (atomic_load_explicit(&bfl, memory_order_relaxed))
            relax();
    }
    rt_held = true;
}

static void bfl_drop(void)
{
    if (!rt_held)
        return;
    rt_held = false;
    atomic_store_explicit(&bfl, 0, memory_order_release);
}

/* ---- randomness and time ------------------------------------------------------------------ */

static uint32_t rt_rand(uint32_t n) { return n <= 1 ? 0 : dr_prng_below(&rt_rng, n); }

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- findings --------------------------------------------------------------------------------- */

static _Noreturn void rt_abort(void)
{
    bfl_drop();
    longjmp(R.cpu[rt_cpu_index].abort_to, 1);
}

static bool claim_finding(void)
{
    bool expected = false;
    return atomic_compare_exchange_strong(&R.over, &expected, true);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

__attribute__((format(printf, 4, 0))) static void rt_vfail(dr_finding_kind kind, const char *rule,
                                                           const char *title, const char *fmt, va_list ap)
{
    if (claim_finding()) {
        dr_finding *f = &R.finding;
        f->kind = kind;
        copy_str(f->rule, sizeof f->rule, rule ? rule : "");
        copy_str(f->title, sizeof f->title, title);
        vsnprintf(f->message, sizeof f->message, fmt, ap);
        f->step = rt_steps;
        f->task = rt_cur ? rt_cur->id : 0;
        f->cpu = rt_cpu_index < 0 ? 0 : (unsigned)rt_cpu_index;
        copy_str(f->task_name, sizeof f->task_name, rt_cur ? rt_cur->name : "main");
    }
    if (rt_cpu_index >= 0)
        rt_abort();
}

static bool rt_failed(void) { return atomic_load_explicit(&R.over, memory_order_relaxed); }

/* ThreadSanitizer reported: the execution's finding is a data race (TSan
 * prints the report itself). Called inside TSan's reporting: no locks. */
static void rt_race(void *report)
{
    (void)report;
    if (claim_finding()) {
        /* kind and title from the fault table; the message is copied by hand
         * (no formatting inside TSan's report) */
        R.finding.kind = dr__fault_kind(DR_FAULT_DATA_RACE);
        copy_str(R.finding.rule, sizeof R.finding.rule, dr__fault_name(DR_FAULT_DATA_RACE));
        copy_str(R.finding.title, sizeof R.finding.title, dr__fault_title(DR_FAULT_DATA_RACE));
        copy_str(R.finding.message, sizeof R.finding.message,
                 "ThreadSanitizer reported a race between real threads (report above); fiber mode gives a tape");
        copy_str(R.finding.task_name, sizeof R.finding.task_name, rt_cur ? rt_cur->name : "main");
    }
}

static void check_over(void)
{
    if (rt_cpu_index >= 0 && atomic_load_explicit(&R.over, memory_order_relaxed))
        rt_abort();
}

static void check_deadline(void)
{
    if ((++rt_steps & 1023) == 0 && mono_now() > R.deadline)
        DR_FAULT(WALL_CLOCK, R.time_limit);
}

/* ---- tasks ---------------------------------------------------------------------------------------- */

static rt_task *new_task(unsigned cpu, bool is_dpc, dr_fn fn, void *arg, const char *name)
{
    if (cpu >= R.ncpus) {
        if (is_dpc)
            DR_FAULT(DPC_NO_CPU, cpu, R.ncpus);
        else
            DR_FAULT(THREAD_NO_CPU, cpu, R.ncpus);
        return NULL;
    }
    unsigned i = atomic_fetch_add(&R.ntasks, 1);
    if (i >= RT_MAX_TASKS) {
        DR_FAULT(TASK_LIMIT, RT_MAX_TASKS);
        return NULL;
    }
    rt_task *t = &R.tasks[i];
    cds_wfcq_node_init(&t->node);
    t->id = i + 1;
    t->cpu = (uint8_t)cpu;
    t->is_dpc = is_dpc;
    t->fn = fn;
    t->arg = arg;
    t->name = name ? name : (is_dpc ? "dpc" : "thread");
    t->dpc = NULL;
    t->isr = NULL;
    t->irql = 0;
    t->hb_from = rt_handler ? rt_origin : NULL;
    R.live++;
    return t;
}

/* The queue node is the task's first member. */
static rt_task *task_of(struct cds_wfcq_node *n) { return (rt_task *)(void *)n; }

static void enqueue(rt_task *t)
{
    rt_cpu *c = &R.cpu[t->cpu];
    RT_RELEASE(t); /* creation happens-before the start (liburcu is invisible to TSan) */
    if (t->is_dpc)
        cds_wfcq_enqueue(&c->dpc_head, &c->dpc_tail, &t->node);
    else
        cds_wfcq_enqueue(&c->thr_head, &c->thr_tail, &t->node);
}

/* Run a task on this OS thread at `irql`; the framework lock is held on entry
 * and on return. */
static void run_task(rt_task *t, unsigned irql)
{
    rt_task *save_cur = rt_cur;
    unsigned save_irql = rt_irql;
    RT_ACQUIRE(t);
    if (t->hb_from)
        RT_ACQUIRE(t->hb_from);
    rt_cur = t;
    rt_irql = irql;
    t->fn(t->arg);
    bfl_ensure();
    R.live--;
    rt_cur = save_cur;
    rt_irql = save_irql;
}

static bool deliver_isrs(void);

/* Run a pending ISR, or the next DPC queued to this processor, or (passive_ok) the next thread
 * bound to it. Returns false if there was nothing. Lock held on return. */
static bool run_next(bool passive_ok)
{
    rt_cpu *c = &R.cpu[rt_cpu_index];
    bfl_ensure();
    if (deliver_isrs())
        return true;
    struct cds_wfcq_node *n = __cds_wfcq_dequeue_blocking(&c->dpc_head, &c->dpc_tail);
    if (n) {
        rt_task *t = task_of(n);
        bfl_ensure();
        dr_dpc *d = t->dpc;
        if (d && d->exec == R.exec && d->queued_task == t->id) {
            d->queued_task = 0;
            run_task(t, DR_DISPATCH_LEVEL);
        }
        /* else: KeRemoveQueueDpc took it out (and counted it) */
        return true;
    }
    if (!passive_ok)
        return false;
    n = __cds_wfcq_dequeue_blocking(&c->thr_head, &c->thr_tail);
    if (!n)
        return false;
    bfl_ensure();
    run_task(task_of(n), DR_PASSIVE_LEVEL);
    return true;
}

/* Deliver the ISRs pending on this processor above its IRQL, highest first;
 * each runs nested in whatever this OS thread was running (lock held on
 * entry and on return). True if one ran. */
static bool deliver_isrs(void)
{
    if (rt_handler || rt_cpu_index < 0)
        return false;
    rt_cpu *c = &R.cpu[rt_cpu_index];
    bool ran = false;
    for (;;) {
        bfl_ensure();
        unsigned best = RT_MAX_PENDING_ISRS;
        for (unsigned i = 0; i < c->nisr; i++)
            if (c->isr[i]->irql > rt_irql && (best == RT_MAX_PENDING_ISRS || c->isr[i]->irql > c->isr[best]->irql))
                best = i;
        if (best == RT_MAX_PENDING_ISRS)
            return ran;
        rt_task *t = c->isr[best];
        c->isr[best] = c->isr[--c->nisr];
        dr_isr *isr = t->isr;
        if (isr->exec == R.exec && isr->queued_task == t->id)
            isr->queued_task = 0;
        run_task(t, t->irql);
        ran = true;
    }
}

/* A software interrupt: below DISPATCH_LEVEL, DPCs queued to this processor
 * run now. */
static void drain_dpcs(void)
{
    if (rt_irql >= DR_DISPATCH_LEVEL || rt_handler || rt_cpu_index < 0)
        return;
    rt_cpu *c = &R.cpu[rt_cpu_index];
    while (!cds_wfcq_empty(&c->dpc_head, &c->dpc_tail))
        run_next(false);
}

/* ---- events and the clock ---------------------------------------------------------------------- */

/* Fire one armed event or the earliest timer (lock held). */
static void fire_one(void)
{
    uint32_t options = dr__clock_options();
    if (!options)
        return;
    bool save_handler = rt_handler;
    const void *save_origin = rt_origin;
    rt_handler = true;
    dr_fn fn;
    void *arg;
    rt_origin = dr__clock_take(rt_rand(options), &fn, &arg);
    fn(arg);
    rt_handler = save_handler;
    rt_origin = save_origin;
    bfl_ensure();
}

/* ---- the processor threads --------------------------------------------------------------------------- */

/* A deadlock: every live task waits, none of their conditions holds, and
 * no event or timer can change that (lock held). */
static bool stuck(void)
{
    /* Once a finding is in, waiters abandon their frames without unregistering. */
    if (atomic_load(&R.over) || !R.live || R.live != R.waiting || dr__clock_options())
        return false;
    for (uint32_t i = 0; i < R.waiting; i++)
        if (R.waiters[i]->ready(R.waiters[i]->arg))
            return false;
    return true;
}

/* Nothing runnable here: fire something, or notice the end (lock held). */
static void idle_step(void)
{
    if (R.live == 0 && !dr__clock_options()) {
        atomic_store(&R.done, true);
        return;
    }
    if (dr__clock_options()) {
        if (rt_rand(4) == 0)
            fire_one();
        return;
    }
    if (stuck())
        DR_FAULT(DEADLOCK, R.waiters[0]->task->name, R.waiters[0]->task->cpu,
                 "blocked, as is every other task, and no event or timer is armed,");
}

/* This OS thread outside any task, at PASSIVE_LEVEL, without the lock. */
static void thread_state_reset(void)
{
    rt_cur = NULL;
    rt_irql = DR_PASSIVE_LEVEL;
    rt_handler = false;
    rt_origin = NULL;
    rt_held = false;
}

static void cpu_loop(void)
{
    rt_cpu *c = &R.cpu[rt_cpu_index];
    thread_state_reset();
    rt_steps = 0;
    dr_prng_seed(&rt_rng, dr_mix(dr_mix(R.seed, R.exec_index), (uint64_t)rt_cpu_index + 1));
    if (setjmp(c->abort_to)) {
        /* a finding ended the execution: this processor stops here */
        thread_state_reset();
        __atomic_fetch_add(&R.steps, rt_steps, __ATOMIC_RELAXED);
        return;
    }
    while (!atomic_load(&R.over) && !atomic_load(&R.done)) {
        if (run_next(true)) {
            bfl_drop();
            continue;
        }
        bfl_ensure();
        idle_step();
        bfl_drop();
        check_deadline();
        relax();
    }
    __atomic_fetch_add(&R.steps, rt_steps, __ATOMIC_RELAXED);
}

static bool rt_crash_ok(void) { return rt_cpu_index >= 0 && rt_cur != NULL; }

static void *cpu_thread(void *arg)
{
    rt_cpu_index = (int)(intptr_t)arg;
    /* Each processor thread handles its own faults (dr__install_crash_handler). */
    static char altstacks[DR_MAX_CPUS][64 * 1024];
    if (dr_catches_crashes()) { /* sanitizer builds: the runtime owns the alternate stack */
        stack_t ss = {.ss_sp = altstacks[rt_cpu_index], .ss_size = sizeof altstacks[0], .ss_flags = 0};
        sigaltstack(&ss, NULL);
    }
    for (;;) {
        pthread_barrier_wait(&R.start);
        if (atomic_load(&R.quit)) {
            if (dr_catches_crashes()) {
                stack_t off = {.ss_flags = SS_DISABLE};
                sigaltstack(&off, NULL);
            }
            return NULL;
        }
        if ((unsigned)rt_cpu_index < R.ncpus)
            cpu_loop();
        pthread_barrier_wait(&R.end);
    }
}

static int start_threads(unsigned n)
{
    if (R.threads_up && R.nthreads == n)
        return 0;
    dr_rt_shutdown();
    if (pthread_barrier_init(&R.start, NULL, n + 1) || pthread_barrier_init(&R.end, NULL, n + 1))
        return -1;
    atomic_store(&R.quit, false);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&R.cpu[i].thread, NULL, cpu_thread, (void *)(intptr_t)i)) {
            fprintf(stderr, "dmarace: cannot start processor thread %u: %s\n", i, strerror(errno));
            return -1;
        }
    }
    R.threads_up = true;
    R.nthreads = n;
    return 0;
}

void dr_rt_shutdown(void)
{
    if (!R.threads_up)
        return;
    atomic_store(&R.quit, true);
    pthread_barrier_wait(&R.start);
    for (unsigned i = 0; i < R.nthreads; i++)
        pthread_join(R.cpu[i].thread, NULL);
    pthread_barrier_destroy(&R.start);
    pthread_barrier_destroy(&R.end);
    R.threads_up = false;
}

int dr_rt_run(const dr_scenario *s, unsigned cpus, uint64_t seed, uint64_t exec_index, double time_limit,
              dr_exec_result *res)
{
    cpus = cpus ? cpus : s->cpus;
    if (cpus < 1 || cpus > DR_MAX_CPUS || (s->max_cpus && cpus > s->max_cpus)) {
        fprintf(stderr, "dmarace: scenario %s cannot run on %u processors (1 to %u)\n", s->name, cpus,
                s->max_cpus ? s->max_cpus : DR_MAX_CPUS);
        return -1;
    }
    dr__install_crash_handler();
    if (start_threads(cpus))
        return -1;
    dr__mode = &dr__rt_ops;
    R.exec = dr__exec_stamp();
    R.scn = s;
    R.ncpus = cpus;
    R.seed = seed;
    R.exec_index = exec_index;
    R.time_limit = time_limit > 0 ? time_limit : 10.0;
    R.deadline = mono_now() + R.time_limit;
    atomic_store(&R.over, false);
    atomic_store(&R.done, false);
    memset(&R.finding, 0, sizeof R.finding);
    atomic_store(&R.ntasks, 0);
    R.steps = 0;
    R.live = R.waiting = 0;
    dr__clock_reset();
    for (unsigned i = 0; i < cpus; i++) {
        R.cpu[i].nisr = 0;
        __cds_wfcq_init(&R.cpu[i].dpc_head, &R.cpu[i].dpc_tail);
        __cds_wfcq_init(&R.cpu[i].thr_head, &R.cpu[i].thr_tail);
    }
    dr__windows_begin();
    dr_prng_seed(&rt_rng, dr_mix(seed, exec_index));
    rt_cpu_index = -1;
    thread_state_reset();
    dr_set_access_observer(NULL);
    dr__hardware_reset();

    s->setup();
    bfl_drop();
    if (!atomic_load(&R.over)) {
        pthread_barrier_wait(&R.start);
        pthread_barrier_wait(&R.end);
    }
    bfl_drop();
    if (!atomic_load(&R.over) && s->check) {
        s->check();
        bfl_drop();
    }
    memset(res, 0, sizeof *res);
    res->finding = R.finding;
    res->steps = R.steps;
    R.scn = NULL;
    dr__clock_reset(); /* as the fiber engine leaves it */
    dr__mode = &dr__fiber_ops;
    return 0;
}

static const dr_scenario *rt_scenario(void) { return R.scn; }

/* ---- the dr.h API in real-thread mode (dr__rt_ops) ------------------------------------------------------------------ */

static unsigned rt_cpus(void) { return R.ncpus; }
static unsigned rt_current_cpu(void) { return rt_cpu_index < 0 ? 0 : (unsigned)rt_cpu_index; }
static bool rt_in_task(void) { return rt_cur && !rt_handler; }
static uint32_t rt_current_task(void) { return rt_cur && !rt_handler ? rt_cur->id : 0; }
static unsigned rt_get_irql(void) { return rt_handler ? DR_DISPATCH_LEVEL : rt_irql; }

static void rt_resume(void)
{
    if (rt_cpu_index >= 0)
        bfl_ensure();
}

static void rt_yield(const dr_site *site)
{
    (void)site;
    if (!rt_cur || rt_handler) {
        bfl_ensure();
        return;
    }
    bfl_drop();
    check_over();
    check_deadline();
    deliver_isrs();
    drain_dpcs();
    bfl_ensure();
    if ((dr__clock_options()) && rt_rand(8) == 0)
        fire_one();
    if (rt_rand(32) == 0) {
        bfl_drop();
        sched_yield();
        bfl_ensure();
    }
    check_over();
}

static uint32_t rt_choose(const dr_site *site, uint32_t n)
{
    (void)site;
    bfl_ensure();
    return rt_rand(n);
}

static unsigned rt_raise_irql(unsigned irql)
{
    bfl_ensure();
    if (!rt_cur || rt_handler)
        return DR_PASSIVE_LEVEL;
    unsigned old = rt_irql;
    if (irql < old)
        DR_FAULT(RAISE_IRQL_LOWER, old, irql);
    rt_irql = irql;
    return old;
}

static void rt_lower_irql(unsigned irql)
{
    bfl_ensure();
    if (!rt_cur || rt_handler)
        return;
    if (irql > rt_irql)
        DR_FAULT(LOWER_IRQL_HIGHER, rt_irql, irql);
    rt_irql = irql;
    if (irql < DR_DISPATCH_LEVEL && !rt_cur->is_dpc)
        drain_dpcs();
}

static uint32_t rt_thread_create(unsigned cpu, dr_fn fn, void *arg, const char *name)
{
    bfl_ensure();
    rt_task *t = new_task(cpu, false, fn, arg, name);
    if (!t)
        return 0;
    enqueue(t);
    return t->id;
}

static bool rt_dpc_queue(dr_dpc *dpc, unsigned cpu)
{
    bfl_ensure();
    if (dpc->exec == R.exec && dpc->queued_task)
        return false;
    rt_task *t = new_task(cpu, true, dpc->fn, dpc->arg, dpc->name);
    if (!t)
        return false;
    t->dpc = dpc;
    dpc->queued_task = t->id;
    dpc->exec = R.exec;
    enqueue(t);
    if (rt_cur && !rt_handler && (int)cpu == rt_cpu_index)
        drain_dpcs();
    return true;
}

static bool rt_dpc_remove(dr_dpc *dpc)
{
    bfl_ensure();
    if (dpc->exec != R.exec || !dpc->queued_task)
        return false;
    dpc->queued_task = 0; /* the queue entry stays and is skipped */
    R.live--;
    return true;
}

static bool rt_isr_raise(dr_isr *isr, unsigned cpu)
{
    bfl_ensure();
    if (isr->exec == R.exec && isr->queued_task)
        return false;
    if (cpu >= R.ncpus) {
        DR_FAULT(ISR_NO_CPU, cpu, R.ncpus);
        return false;
    }
    if (isr->irql < DR_DIRQL_MIN || isr->irql > DR_HIGH_LEVEL) {
        DR_FAULT(ISR_IRQL, isr->name ? isr->name : "isr", isr->irql, DR_DIRQL_MIN, DR_HIGH_LEVEL);
        return false;
    }
    rt_cpu *c = &R.cpu[cpu];
    if (c->nisr == RT_MAX_PENDING_ISRS) {
        DR_FAULT(TASK_LIMIT, RT_MAX_PENDING_ISRS);
        return false;
    }
    rt_task *t = new_task(cpu, false, isr->fn, isr->arg, isr->name ? isr->name : "isr");
    if (!t)
        return false;
    t->isr = isr;
    t->irql = (uint8_t)isr->irql;
    isr->queued_task = t->id;
    isr->exec = R.exec;
    RT_RELEASE(t);
    c->isr[c->nisr++] = t;
    return true;
}

static bool rt_isr_withdraw(dr_isr *isr)
{
    bfl_ensure();
    if (isr->exec != R.exec || !isr->queued_task)
        return false;
    for (unsigned k = 0; k < R.ncpus; k++) {
        rt_cpu *c = &R.cpu[k];
        for (unsigned i = 0; i < c->nisr; i++)
            if (c->isr[i]->id == isr->queued_task) {
                c->isr[i] = c->isr[--c->nisr];
                R.live--;
                break;
            }
    }
    isr->queued_task = 0;
    return true;
}

static bool rt_isr_pending(const dr_isr *isr)
{
    bfl_ensure();
    return isr->exec == R.exec && isr->queued_task != 0;
}

static void unwait(rt_waiter *w)
{
    for (uint32_t i = 0; i < R.waiting; i++)
        if (R.waiters[i] == w) {
            R.waiters[i] = R.waiters[--R.waiting];
            return;
        }
}

static void rt_wait(dr_ready_fn ready, const void *arg, const dr_site *site)
{
    bfl_ensure();
    if (ready(arg))
        return;
    if (!rt_cur || rt_handler) {
        DR_FAULT(WAIT_OUTSIDE_TASK, site ? site->name : "?");
        return;
    }
    rt_waiter me = {ready, arg, rt_cur};
    R.waiters[R.waiting++] = &me;
    while (!ready(arg)) {
        if (stuck()) {
            unwait(&me);
            DR_FAULT(DEADLOCK, rt_cur->name, rt_cur->cpu, "blocked");
        }
        bool busy = false;
        if ((dr__clock_options()) && rt_rand(4) == 0) {
            fire_one();
            busy = true;
        } else if (deliver_isrs()) { /* an interrupt preempts a waiter or a spinner alike */
            busy = true;
        } else if (rt_irql < DR_DISPATCH_LEVEL) {
            /* blocked at PASSIVE_LEVEL: this processor runs its other work
             * meanwhile; spinning at DISPATCH_LEVEL it runs nothing */
            busy = run_next(true);
        }
        bfl_drop();
        check_over();
        check_deadline();
        if (!busy)
            relax();
        bfl_ensure();
    }
    unwait(&me);
}

/* ---- spin locks: real spinning, ownership changed under the framework lock --------- */

static bool rt_spin_held_by_me(const dr_spinlock *lock)
{
    return rt_cur && lock->exec == R.exec && lock->owner_task == rt_cur->id;
}

static bool rt_lock_free(const void *arg)
{
    const dr_spinlock *l = arg;
    return l->owner_task == 0;
}

static unsigned rt_spin_acquire(dr_spinlock *lock, unsigned irql)
{
    bfl_ensure();
    if (lock->exec != R.exec) {
        lock->exec = R.exec;
        lock->owner_task = 0;
    }
    if (!rt_cur || rt_handler) {
        lock->owner_task = 0x80000000u;
        return DR_PASSIVE_LEVEL;
    }
    unsigned old = rt_irql;
    if (old < irql)
        rt_irql = irql;
    if (lock->owner_task) {
        uint32_t o = lock->owner_task;
        if (o <= RT_MAX_TASKS && R.tasks[o - 1].cpu == rt_cur->cpu)
            DR_FAULT(SPIN_AGAIN, lock->name ? lock->name : "lock", R.tasks[o - 1].name, rt_cur->cpu,
                     rt_cur->name);
        rt_wait(rt_lock_free, lock, NULL);
    }
    lock->owner_task = rt_cur->id;
    RT_ACQUIRE(lock);
    return old;
}

static void rt_spin_release(dr_spinlock *lock, unsigned old_irql)
{
    bfl_ensure();
    if (!rt_cur || rt_handler) {
        lock->owner_task = 0;
        return;
    }
    if (lock->exec != R.exec || lock->owner_task != rt_cur->id)
        DR_FAULT(SPIN_NOT_HELD, lock->name ? lock->name : "lock", rt_cur->name);
    RT_RELEASE(lock);
    lock->owner_task = 0;
    if (old_irql < rt_irql)
        rt_lower_irql(old_irql);
}

/* ---- driver memory accesses ---------------------------------------------------------------------------------- */

static void rt_access(const void *addr, size_t size, bool write, dr_access_observer_fn observer)
{
    if (!rt_cur || rt_handler || rt_cpu_index < 0)
        return;
    /* Driver code runs without the framework lock. */
    bfl_drop();
    check_over();
    rt_cpu *c = &R.cpu[rt_cpu_index];
    if (atomic_load_explicit(&c->nisr, memory_order_relaxed)) { /* deliver_isrs looks again under the lock */
        deliver_isrs();
        bfl_drop();
    }
    if (rt_irql < DR_DISPATCH_LEVEL && !cds_wfcq_empty(&c->dpc_head, &c->dpc_tail)) {
        drain_dpcs();
        bfl_drop();
    }
    if (observer) {
        bfl_ensure();
        observer(addr, size, write);
        bfl_drop();
        check_over();
    }
    dr__poison_access(addr, size, write); /* a guard zone or freed memory (dr_poison.c) */
}

/* Events, timers and the window counters are dr_clock.c's and dr_trace.c's,
 * under the framework lock. */
static void rt_event_arm(dr_event *ev)
{
    rt_resume();
    dr__event_arm(ev);
}

static bool rt_event_disarm(dr_event *ev)
{
    rt_resume();
    return dr__event_disarm(ev);
}

static bool rt_vtimer_set(dr_vtimer *t, uint64_t due)
{
    rt_resume();
    return dr__vtimer_set(t, due);
}

static bool rt_vtimer_cancel(dr_vtimer *t)
{
    rt_resume();
    return dr__vtimer_cancel(t);
}

static void rt_trace(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value)
{
    (void)site, (void)kind, (void)id, (void)value; /* real-thread mode keeps no trace */
}

static void rt_log(const char *text)
{
    (void)text; /* real-thread mode keeps no trace, so no driver messages */
}

static bool rt_log_enabled(void) { return false; }

/* Real-thread mode keeps no trace: no mark, no related step. */
static uint32_t rt_trace_mark(const char *what) { return 0; }
static void rt_fail_related(uint32_t mark, const char *what) {}

static void rt_window(const dr_site *site, bool reached)
{
    rt_resume();
    dr__window_note(site, reached);
}

static bool rt_crash_claim(const char **where)
{
    *where = "a task on a processor thread";
    return rt_crash_ok();
}

/* Entry points run un-quiet: they run on several OS threads at once, and a
 * finding leaves a processor's code by longjmp (rt_abort). */
const dr_mode_ops dr__rt_ops = {
    .name = "real threads",
    .quiet = false,
    .fail = rt_vfail,
    .failed = rt_failed,
    .scenario = rt_scenario,
    .framework_resume = rt_resume,
    .cpus = rt_cpus,
    .current_cpu = rt_current_cpu,
    .in_task = rt_in_task,
    .current_task = rt_current_task,
    .irql = rt_get_irql,
    .yield = rt_yield,
    .choose = rt_choose,
    .raise_irql = rt_raise_irql,
    .lower_irql = rt_lower_irql,
    .thread_create = rt_thread_create,
    .dpc_queue = rt_dpc_queue,
    .dpc_remove = rt_dpc_remove,
    .isr_raise = rt_isr_raise,
    .isr_withdraw = rt_isr_withdraw,
    .isr_pending = rt_isr_pending,
    .wait = rt_wait,
    .spin_held_by_me = rt_spin_held_by_me,
    .spin_acquire = rt_spin_acquire,
    .spin_release = rt_spin_release,
    .event_arm = rt_event_arm,
    .event_disarm = rt_event_disarm,
    .vtimer_set = rt_vtimer_set,
    .vtimer_cancel = rt_vtimer_cancel,
    .trace = rt_trace,
    .window = rt_window,
    .log = rt_log,
    .log_enabled = rt_log_enabled,
    .trace_mark = rt_trace_mark,
    .fail_related = rt_fail_related,
    .access = rt_access,
    .crash_claim = rt_crash_claim,
    .tsan_report = rt_race,
};
