/* dr_engine.c: simulated processors on fibers, and the scheduler loop.
 *
 * Each simulated processor has an IRQL, passive-level threads bound to it and
 * a DPC queue. A task (thread or DPC activation) runs on a pooled fiber until
 * it reaches a scheduling point; there the scheduler lists what may run next
 * and asks the one choice function. Rules:
 *   - a processor at DISPATCH_LEVEL or above (a running DPC, or a thread that
 *     raised IRQL, for example by holding a spin lock) runs only that task;
 *   - a task spinning or waiting is not runnable until its predicate holds;
 *   - DPCs on one processor run in queue order; a DPC queued to the current
 *     processor below DISPATCH, or pending when IRQL drops, runs at once;
 *     one queued to another processor starts when the scheduler chooses;
 *   - armed environment events and the earliest armed timer are options too.
 * The running task, when it may continue, is always option 0: a tape that
 * ran out (all zeros) means "never preempt". */
#include "dr_hash.h"
#include "dr_internal.h"
#include "dr_mirror_hook.h"
#include "dr_sanitizer.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

dr_engine dr__g;
#define G dr__g

#include "dr_icov.h" /* interleaving coverage: empty unless the fuzz build */

DR_SITE(site_start, "start");
DR_SITE(site_exit, "exit");
DR_SITE(site_spin, "spin");
DR_SITE(site_spin_release, "spin-release");
DR_SITE(site_irql, "irql-lower");

static dr_slot *running_slot; /* fiber executing now; NULL: main context */
static bool pinging;          /* TSan: round trips with abandoned fibers */
/* TSan: the object whose arming a running handler stands for. Work the
 * handler starts (a DPC, a thread) happens after the arming, not after
 * whatever task happened to make the scheduling decision. */
static const void *handler_origin;

/* ---- TSan fiber mode ------------------------------------------------------------
 * Fiber switches are no_sync, so TSan sees simulated processors as unordered.
 * The engine's own code is not instrumented, but its libc calls (memset,
 * snprintf, realloc) go through TSan's interceptors; engine code therefore
 * runs "quiet" (TSan's ignore-accesses annotations, a per-fiber depth we
 * track so an abandoned fiber can be unwound). The only happens-before edges
 * the engine adds are the execution boundaries: setup before every task of
 * the execution (epoch_start), and every task before the next execution
 * (epoch_end, plus a synchronising round trip with each abandoned fiber). */
#if DR_TSAN
/* One call ignoring reads and writes, without recording the caller's stack
 * (AnnotateIgnore*Begin put a stack into TSan's depot on every call, which was
 * the largest cost of fiber mode: see bench/README.md). */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char epoch_start, epoch_end;
static uint32_t main_quiet;
static inline uint32_t *quiet_depth(void) { return running_slot ? &running_slot->quiet : &main_quiet; }
static inline void quiet_begin(void)
{
    __tsan_ignore_thread_begin();
    ++*quiet_depth();
}
static inline void quiet_end(void)
{
    --*quiet_depth();
    __tsan_ignore_thread_end();
}
#define TSAN_ACQUIRE(a) __tsan_acquire(a)
#define TSAN_RELEASE(a) __tsan_release(a)
#else
static inline void quiet_begin(void) {}
static inline void quiet_end(void) {}
#define TSAN_ACQUIRE(a) ((void)0)
#define TSAN_RELEASE(a) ((void)0)
#endif

const char *dr_finding_kind_name(dr_finding_kind k)
{
    switch (k) {
#define DR_X(e, s)                                                                                         \
    case DR_FIND_##e:                                                                                      \
        return s;
        DR_FINDING_KINDS(DR_X)
#undef DR_X
    case DR_FIND__COUNT:
        break;
    }
    return "?";
}

/* ---- scenario registry ------------------------------------------------------ */

static const dr_scenario *scenarios[256];
static size_t nscenarios;
static bool scenarios_sorted;

void dr_scenario_register(const dr_scenario *s)
{
    for (size_t i = 0; i < nscenarios; i++)
        if (strcmp(scenarios[i]->name, s->name) == 0) {
            /* A name must find one scenario: tapes and --expect depend on it. */
            fprintf(stderr, "dmarace: two scenarios are named '%s' in this build\n", s->name);
            _Exit(DR_EXIT_INTERNAL);
        }
    if (nscenarios < sizeof scenarios / sizeof scenarios[0])
        scenarios[nscenarios++] = s;
    scenarios_sorted = false;
}

static int cmp_scenario(const void *a, const void *b)
{
    return strcmp((*(const dr_scenario *const *)a)->name, (*(const dr_scenario *const *)b)->name);
}

static void sort_scenarios(void)
{
    if (!scenarios_sorted)
        qsort(scenarios, nscenarios, sizeof scenarios[0], cmp_scenario);
    scenarios_sorted = true;
}

size_t dr_scenario_count(void) { return nscenarios; }

const dr_scenario *dr_scenario_at(size_t i)
{
    sort_scenarios();
    return i < nscenarios ? scenarios[i] : NULL;
}

const dr_scenario *dr_scenario_find(const char *name)
{
    for (size_t i = 0; i < nscenarios; i++)
        if (strcmp(scenarios[i]->name, name) == 0)
            return scenarios[i];
    return NULL;
}

#ifndef DR_DEFAULT_SCENARIO
#define DR_DEFAULT_SCENARIO "published"
#endif
const dr_scenario *dr_scenario_default(void) { return dr_scenario_find(DR_DEFAULT_SCENARIO); }

/* Bump when the engine's scheduling semantics change, so old tapes are
 * recognised as recorded by another engine. */
#define DR_ENGINE_SEMANTICS 1u

#ifndef DR_BUILD_FLAVOR
#define DR_BUILD_FLAVOR "unknown"
#endif
const char *dr_build_flavor(void) { return DR_BUILD_FLAVOR; }

uint64_t dr_scenario_digest(const dr_scenario *s, unsigned cpus)
{
    uint64_t h = dr_fnv1a_str(s->name);
    h = dr_mix(h, dr_fnv1a_str(DR_BUILD_FLAVOR));
    h = dr_mix(h, s->version);
    h = dr_mix(h, cpus);
    h = dr_mix(h, DR_ENGINE_SEMANTICS);
    return dr_fmix(h);
}

/* ---- fibers ------------------------------------------------------------------ */

static void fiber_main(void);

static dr_slot *slot_acquire(void)
{
    for (uint32_t i = 0; i < G.nslots; i++)
        if (!G.slots[i].task)
            return &G.slots[i];
    if (G.nslots == G.slots_cap) {
        /* Slots are referenced by pointer from tasks, so the pool never moves:
         * it is allocated once at its maximum size. */
        return NULL;
    }
    dr_slot *s = &G.slots[G.nslots];
    if (!dr_fiber_alloc(&s->fiber))
        return NULL;
    dr_fiber_prepare(&s->fiber, fiber_main);
    s->task = NULL;
    G.nslots++;
    return s;
}

/* ---- faults in driver code ---------------------------------------------------------
 * Without a sanitizer (which reports faults better), a SIGSEGV, SIGBUS, SIGFPE
 * or SIGILL while a task runs becomes a crash finding: the handler runs on an
 * alternate stack, unblocks the signal and abandons the task like dr_fail,
 * so the campaign goes on and the tape replays the fault. A fault outside a
 * task (the engine itself, or the main context) is fatal as usual. */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    default:
        return "SIGILL";
    }
}

static void crash_handler(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    bool rt = dr__rt_on;
    if (rt ? !dr__rt_crash_ok() : !G.scn || !running_slot || G.over) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if (!rt)
        G.in_handler = false;
    char title[64];
    snprintf(title, sizeof title, "crash: %s while a task ran", signal_name(sig));
    dr_fail(DR_FIND_CRASH, title, "%s (fault at offset %#lx from page) in %s", signal_name(sig),
            (unsigned long)((uintptr_t)si->si_addr & 0xfff),
            rt ? "a task on a processor thread" : G.cur ? G.cur->name : "?");
}

bool dr_catches_crashes(void) { return !DR_ASAN && !DR_TSAN; }

void dr__install_crash_handler(void)
{
    if (!dr_catches_crashes())
        return;
    static bool installed;
    if (installed)
        return;
    installed = true;
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        sigaction(crash_signals[i], &sa, NULL);
}

static void engine_init(void)
{
    if (G.slots)
        return;
    dr__install_crash_handler();
    dr_fiber_init_main(&G.main_ctx);
    dr__access_anchor();
    G.slots_cap = DR_MAX_TASKS;
    G.slots = calloc(G.slots_cap, sizeof *G.slots);
    if (!G.slots) {
        fprintf(stderr, "dmarace: out of memory for the fiber pool\n");
        abort();
    }
}

static bool retiring; /* shutdown: fibers unwind their quiet depth and stop */

void dr_engine_shutdown(void)
{
    for (uint32_t i = 0; i < G.nslots; i++) {
#if DR_TSAN
        /* A TSan fiber must not be destroyed inside an ignore region. */
        retiring = true;
        running_slot = &G.slots[i];
        dr_fiber_switch(&G.main_ctx, &G.slots[i].fiber, true, false);
        retiring = false;
        running_slot = NULL;
#endif
        dr_fiber_free(&G.slots[i].fiber);
    }
    free(G.slots);
    G.slots = NULL;
    G.nslots = G.slots_cap = 0;
    free(G.rec.rec);
    G.rec.rec = NULL;
    G.rec.n = G.rec.cap = 0;
    free(G.trace);
    G.trace = NULL;
    G.ntrace = G.trace_cap = 0;
}

static DR_NO_TSAN void switch_to_main(bool for_good)
{
    dr_slot *from = running_slot;
    running_slot = NULL;
    G.cur = NULL;
    dr_fiber_switch(&from->fiber, &G.main_ctx, false, for_good);
}

/* Make t the running task, switching fibers if it is not already running here. */
static DR_NO_TSAN void switch_to_task(dr_task *t)
{
    if (!t->slot) {
        dr_slot *s = slot_acquire();
        if (!s) {
            fprintf(stderr, "dmarace: cannot allocate a fiber stack\n");
            abort();
        }
        s->task = t;
        t->slot = s;
    }
    G.cur = t;
    if (t->slot == running_slot)
        return; /* the exiting task's own fiber picks t up */
    dr_fiber *from = running_slot ? &running_slot->fiber : &G.main_ctx;
    running_slot = t->slot;
    dr_fiber_switch(from, &t->slot->fiber, false, false);
}

/* ---- trace and digest ---------------------------------------------------------- */

static inline void note(uint8_t type, const dr_site *site, uint32_t other, const char *what)
{
    dr_task *me = G.cur;
    uint64_t h = G.digest;
    h = dr_mix(h, ((uint64_t)type << 56) | ((uint64_t)(me ? me->id : 0) << 24) | other);
    if (site)
        h = dr_mix(h, dr__site_hash(site));
    G.digest = h;
    icov_event(type, site, me, what);
    if (G.tracing) {
        dr_trace_rec r = {.step = G.steps,
                          .type = type,
                          .cpu = me ? me->cpu : 0,
                          .irql = me ? me->irql : 0,
                          .task = me ? me->id : 0,
                          .other = other,
                          .site = site,
                          .what = what};
        dr__trace_add(&r);
    }
}

/* ---- tasks ------------------------------------------------------------------------ */

static dr_task *new_task(unsigned cpu, bool is_dpc, dr_fn fn, void *arg, const char *name)
{
    if (G.ntasks == DR_MAX_TASKS) {
        dr_fail(DR_FIND_LIVELOCK, "task limit reached (thread or DPC storm)", "more than %d tasks in one execution",
                DR_MAX_TASKS);
        return NULL;
    }
    dr_task *t = &G.tasks[G.ntasks++];
    memset(t, 0, sizeof *t);
    t->id = G.next_actor++;
    t->cpu = (uint8_t)cpu;
    t->is_dpc = is_dpc;
    t->fn = fn;
    t->arg = arg;
    t->name = name ? name : (is_dpc ? "dpc" : "thread");
    t->irql = is_dpc ? DR_DISPATCH_LEVEL : DR_PASSIVE_LEVEL;
    t->state = is_dpc ? DR_TASK_QUEUED : DR_TASK_READY;
    /* Queuing a DPC or creating a thread happens-before it starts. From a
     * handler, the edge comes from the arming of the event or timer. */
    if (G.in_handler) {
        t->hb_from = handler_origin;
    } else {
        t->hb_from = t;
        TSAN_RELEASE(t);
    }
    return t;
}

static inline bool runnable(const dr_task *t)
{
    return t->state == DR_TASK_READY || (t->state == DR_TASK_BLOCKED && t->wait(t->wait_arg));
}

/* Take the head DPC of its processor's queue and give it the processor. */
static void start_dpc(dr_task *t)
{
    dr_cpu *c = &G.cpu[t->cpu];
    c->dpc_head = t->dpc_next;
    if (!c->dpc_head)
        c->dpc_tail = NULL;
    t->dpc_next = NULL;
    t->state = DR_TASK_READY;
    c->pinned = t;
    if (t->dpc && t->dpc->exec == G.exec && t->dpc->queued_task == t->id)
        t->dpc->queued_task = 0; /* it may be queued again while it runs */
}

/* ---- options and the scheduler loop ------------------------------------------------- */

typedef struct dr_opt {
    uint8_t type;
    void *ptr;
} dr_opt;

static uint32_t build_options(dr_task *me, dr_opt *opt, uint32_t *actor, bool *has_cur, uint32_t *n_tasks)
{
    uint32_t n = 0;
    *has_cur = false;
    if (me && runnable(me)) {
        opt[n] = (dr_opt){DR_OPT_TASK, me};
        actor[n++] = me->id;
        *has_cur = true;
    }
    for (uint32_t i = 0; i < G.ntasks; i++) {
        dr_task *t = &G.tasks[i];
        if (t == me || t->state == DR_TASK_DONE)
            continue;
        dr_cpu *c = &G.cpu[t->cpu];
        bool ok;
        if (t->state == DR_TASK_QUEUED)
            ok = !c->pinned && c->dpc_head == t;
        else
            ok = (!c->pinned || c->pinned == t) && runnable(t);
        if (ok) {
            opt[n] = (dr_opt){DR_OPT_TASK, t};
            actor[n++] = t->id;
        }
    }
    *n_tasks = n;
    for (uint32_t i = 0; i < G.nevents; i++) {
        opt[n] = (dr_opt){DR_OPT_EVENT, G.events[i]};
        actor[n++] = G.events[i]->actor;
    }
    if (G.ntimers) {
        opt[n] = (dr_opt){DR_OPT_CLOCK, NULL};
        actor[n++] = 0;
    }
    return n;
}

/* Remove arr[i] of n, keeping the order (the options' order is on the tape).
 * Also used by real-thread mode on its processor threads, outside the fiber
 * engine's quiet regions: memmove goes through TSan's interceptor, so it is
 * hidden from TSan here (the arrays are the engine's, not the driver's). */
static void remove_keep_order(void *arr, uint32_t i, uint32_t n, size_t elem)
{
#if DR_TSAN
    __tsan_ignore_thread_begin();
#endif
    memmove((char *)arr + i * elem, (char *)arr + (i + 1) * elem, (n - i - 1) * elem);
#if DR_TSAN
    __tsan_ignore_thread_end();
#endif
}

static void event_remove(dr_event *ev)
{
    for (uint32_t i = 0; i < G.nevents; i++)
        if (G.events[i] == ev) {
            remove_keep_order(G.events, i, G.nevents--, sizeof G.events[0]);
            return;
        }
}

static void timer_remove(dr_vtimer *t)
{
    for (uint32_t i = 0; i < G.ntimers; i++)
        if (G.timers[i] == t) {
            remove_keep_order(G.timers, i, G.ntimers--, sizeof G.timers[0]);
            return;
        }
}

static void run_handler(dr_fn fn, void *arg, const void *origin)
{
    handler_origin = origin;
    G.in_handler = true;
    quiet_end(); /* the handler is model code: TSan sees it */
    fn(arg);
    quiet_begin();
    G.in_handler = false;
    handler_origin = NULL;
}

void dr__event_take(dr_event *ev)
{
    event_remove(ev);
    ev->slot = -1; /* disarmed before the handler runs: it may arm it again */
}

dr_vtimer *dr__timer_take_earliest(void)
{
    dr_vtimer *best = G.timers[0];
    for (uint32_t i = 1; i < G.ntimers; i++) {
        dr_vtimer *t = G.timers[i];
        if (t->due < best->due || (t->due == best->due && t->seq < best->seq))
            best = t;
    }
    timer_remove(best);
    best->armed = false;
    if (best->due > G.now)
        G.now = best->due;
    return best;
}

static void fire_event(dr_event *ev)
{
    dr__event_take(ev);
    note(DR_TR_FIRE, NULL, ev->actor, ev->name);
    run_handler(ev->fn, ev->arg, ev);
}

static void fire_timer(void)
{
    dr_vtimer *best = dr__timer_take_earliest();
    note(DR_TR_TIMER, NULL, (uint32_t)G.now, best->name);
    run_handler(best->fn, best->arg, best);
}

/* Decide who runs next and run it. Called by a task at a scheduling point
 * (it may be ready, blocked or done), or by the main context to start.
 * Returns when the caller is chosen again, or, in the main context, when the
 * execution is over. */
static DR_NO_TSAN void schedule(const dr_site *site)
{
    dr_opt opt[DR_MAX_OPTIONS];
    uint32_t actor[DR_MAX_OPTIONS];
    dr_task *me = G.cur;
    for (;;) {
        if (G.over)
            break;
        dr__mirror_step(G.steps + 1);
        if (++G.steps > G.step_budget) {
            dr_fail(DR_FIND_LIVELOCK, "livelock: step budget exhausted", "no quiescence after %llu steps",
                    (unsigned long long)G.step_budget);
            break;
        }
        bool has_cur;
        uint32_t n_tasks;
        uint32_t n = build_options(me, opt, actor, &has_cur, &n_tasks);
        if (n == 0)
            break;
        uint32_t pick = 0;
        if (n > 1) {
            pick = dr__decide(DR_CHOICE_SCHED, site, n, actor, has_cur, n_tasks);
            if (G.over)
                break;
            if (has_cur && pick != 0)
                G.preemptions++;
        }
        note(DR_TR_SCHED, site, actor[pick], me ? me->name : "main");
        dr_opt o = opt[pick];
        if (o.type == DR_OPT_EVENT) {
            fire_event(o.ptr);
            continue;
        }
        if (o.type == DR_OPT_CLOCK) {
            fire_timer();
            continue;
        }
        dr_task *t = o.ptr;
        if (t->state == DR_TASK_QUEUED) {
            start_dpc(t);
        } else if (t->state == DR_TASK_BLOCKED) {
            t->state = DR_TASK_READY;
            t->wait = NULL;
        }
        if (t != me)
            switch_to_task(t);
        return;
    }
    /* Nothing left to run, or the execution is over. */
    if (running_slot)
        switch_to_main(me == NULL || me->state != DR_TASK_DONE ? true : false);
}

static void task_exit(dr_task *t)
{
    note(DR_TR_END, NULL, 0, t->name);
    t->state = DR_TASK_DONE;
    t->slot->task = NULL; /* the fiber is idle from here on */
    t->slot = NULL;
    dr_cpu *c = &G.cpu[t->cpu];
    if (c->pinned == t)
        c->pinned = NULL;
    if (t->is_dpc && c->dpc_head && !G.over) {
        /* The DPC drain continues on this processor. */
        dr_task *next = c->dpc_head;
        start_dpc(next);
        G.cur = t;
        note(DR_TR_START, NULL, next->id, next->name);
        switch_to_task(next);
        return;
    }
    schedule(&site_exit);
}

static DR_NO_TSAN void fiber_main(void)
{
    dr_fiber_entered();
#if DR_TSAN
    /* A re-prepared fiber keeps its TSan context, and with it the quiet depth
     * it was abandoned at: unwind that first. */
    while (running_slot->quiet)
        quiet_end();
#endif
    quiet_begin();
    for (;;) {
        dr_slot *s = running_slot;
        if (retiring) {
            while (s->quiet)
                quiet_end();
            running_slot = NULL;
            dr_fiber_switch(&s->fiber, &G.main_ctx, true, true); /* never resumed */
        }
        if (pinging) {
            running_slot = NULL;
            dr_fiber_switch(&s->fiber, &G.main_ctx, true, false);
            continue;
        }
        dr_task *t = s->task;
        TSAN_ACQUIRE(&epoch_start);
        if (t->hb_from)
            TSAN_ACQUIRE((void *)t->hb_from);
        quiet_end();
        t->fn(t->arg);
        quiet_begin();
        TSAN_RELEASE(&epoch_end);
        task_exit(t);
    }
}

/* Preempt the current task for the head DPC of its processor (a software
 * interrupt delivered as IRQL drops or as the DPC is queued locally). */
static void drain_now(dr_cpu *c)
{
    dr_task *d = c->dpc_head;
    start_dpc(d);
    note(DR_TR_START, NULL, d->id, d->name);
    switch_to_task(d);
}

/* Re-prepare the fibers of tasks abandoned mid-way (by a finding, a
 * deadlock or the end of the execution). Under TSan each gets a synchronising
 * round trip, so what it did happens-before the next execution and its quiet
 * depth is unwound on its own TSan context. Finished tasks released
 * epoch_end themselves; the main context acquires it. */
static DR_NO_TSAN void execution_boundary(void)
{
    for (uint32_t i = 0; i < G.nslots; i++) {
        dr_slot *s = &G.slots[i];
        if (!s->task)
            continue;
        s->task = NULL;
        dr_fiber_prepare(&s->fiber, fiber_main);
#if DR_TSAN
        pinging = true;
        running_slot = s;
        dr_fiber_switch(&G.main_ctx, &s->fiber, true, false);
        pinging = false;
#endif
    }
    running_slot = NULL;
    TSAN_ACQUIRE(&epoch_end);
}

/* ---- the API of dr.h ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 0))) static void fail_v(dr_finding_kind kind, const char *title, const char *fmt,
                                                         va_list ap)
{
    if (!G.over) {
        dr_finding *f = &G.finding;
        f->kind = kind;
        snprintf(f->title, sizeof f->title, "%s", title);
        vsnprintf(f->message, sizeof f->message, fmt, ap);
        f->step = G.steps;
        f->task = G.cur ? G.cur->id : 0;
        f->cpu = G.cur ? G.cur->cpu : 0;
        snprintf(f->task_name, sizeof f->task_name, "%s", G.cur ? G.cur->name : "main");
        G.over = true;
        G.digest = dr_mix(G.digest, dr_fnv1a_str(title) ^ (uint64_t)kind);
        note(DR_TR_FINDING, NULL, (uint32_t)kind, f->title);
    }
    if (running_slot)
        switch_to_main(true); /* this task is abandoned; its fiber is re-prepared */
}

void dr_fail(dr_finding_kind kind, const char *title, const char *fmt, ...)
{
    if (dr__rt_on) {
        va_list ap;
        va_start(ap, fmt);
        dr__rt_fail(kind, title, fmt, ap);
        va_end(ap);
        return;
    }
    if (!G.scn)
        return;
    quiet_begin();
    va_list ap;
    va_start(ap, fmt);
    fail_v(kind, title, fmt, ap);
    va_end(ap);
    quiet_end();
}

void dr__diverge(const char *fmt, ...)
{
    quiet_begin();
    if (!G.over) {
        G.diverged = true;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(G.diverge_msg, sizeof G.diverge_msg, fmt, ap);
        va_end(ap);
        G.over = true;
    }
    if (running_slot && !G.in_handler)
        switch_to_main(true);
    quiet_end();
}

bool dr_failed(void) { return dr__rt_on ? dr__rt_failed() : G.over && !G.diverged; }

const dr_scenario *dr_scenario_current(void) { return dr__rt_on ? dr__rt_scenario() : G.scn; }

void dr_framework_resume(void)
{
    if (dr__rt_on)
        dr__rt_resume();
}

uint32_t dr__decide(uint8_t kind, const dr_site *site, uint32_t n, const uint32_t *actors, bool has_cur,
                    uint32_t n_tasks)
{
    dr_choice_req req = {kind, n, has_cur, n_tasks, actors, site, G.rec.n};
    uint32_t v = G.strat->choose(G.strat, &req);
    if (G.over)
        return 0;
    if (v >= n)
        v %= n;
    if (G.rec.n == G.rec.cap) {
        size_t cap = G.rec.cap ? G.rec.cap * 2 : 1024;
        dr_tape_rec *r = realloc(G.rec.rec, cap * sizeof *r);
        if (!r) {
            fprintf(stderr, "dmarace: out of memory recording the tape\n");
            abort();
        }
        G.rec.rec = r;
        G.rec.cap = cap;
    }
    G.rec.rec[G.rec.n++] = (dr_tape_rec){kind, n, v};
    dr__mirror_choice(kind, n, v);
    G.digest = dr_mix(G.digest, ((uint64_t)kind << 62) ^ ((uint64_t)n << 32) ^ v);
    return v;
}

static void dr_yield_impl(const dr_site *site)
{
    if (!G.cur || G.in_handler || G.over)
        return;
    schedule(site);
}

static uint32_t dr_choose_impl(const dr_site *site, uint32_t n)
{
    if (n <= 1 || G.over || !G.scn)
        return 0;
    uint32_t v = dr__decide(DR_CHOICE_DATA, site, n, NULL, false, 0);
    note(DR_TR_CHOICE, site, v, G.cur ? G.cur->name : "main");
    return v;
}

unsigned dr_cpus(void) { return dr__rt_on ? dr__rt_cpus() : G.ncpus; }
unsigned dr_current_cpu(void)
{
    if (dr__rt_on)
        return dr__rt_current_cpu();
    return G.cur ? G.cur->cpu : 0;
}
bool dr_in_task(void) { return dr__rt_on ? dr__rt_in_task() : G.cur && !G.in_handler; }
uint32_t dr_current_task(void)
{
    if (dr__rt_on)
        return dr__rt_current_task();
    return G.cur && !G.in_handler ? G.cur->id : 0;
}

unsigned dr_irql(void)
{
    if (dr__rt_on)
        return dr__rt_irql();
    if (G.in_handler)
        return DR_DISPATCH_LEVEL;
    return G.cur ? G.cur->irql : DR_PASSIVE_LEVEL;
}

static unsigned dr_raise_irql_impl(unsigned irql)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler)
        return DR_PASSIVE_LEVEL;
    unsigned old = me->irql;
    if (irql < old)
        dr_fail(DR_FIND_CRASH, "KeRaiseIrql to a lower IRQL (bugcheck 0x9)", "raise from %u to %u", old, irql);
    me->irql = (uint8_t)irql;
    if (irql >= DR_DISPATCH_LEVEL)
        G.cpu[me->cpu].pinned = me;
    return old;
}

static void dr_lower_irql_impl(unsigned irql)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler)
        return;
    if (irql > me->irql)
        dr_fail(DR_FIND_CRASH, "KeLowerIrql to a higher IRQL (bugcheck 0xA)", "lower from %u to %u", me->irql,
                irql);
    me->irql = (uint8_t)irql;
    if (me->is_dpc || irql >= DR_DISPATCH_LEVEL)
        return;
    dr_cpu *c = &G.cpu[me->cpu];
    if (c->pinned == me)
        c->pinned = NULL;
    if (c->dpc_head && !G.over) {
        note(DR_TR_SCHED, &site_irql, c->dpc_head->id, me->name);
        drain_now(c);
    }
}

static uint32_t dr_thread_create_impl(unsigned cpu, dr_fn fn, void *arg, const char *name)
{
    if (cpu >= G.ncpus) {
        dr_fail(DR_FIND_CRASH, "thread created on a processor that does not exist", "processor %u of %u", cpu,
                G.ncpus);
        return 0;
    }
    dr_task *t = new_task(cpu, false, fn, arg, name);
    return t ? t->id : 0;
}

static void dr_dpc_init_impl(dr_dpc *dpc, dr_fn fn, void *arg, const char *name)
{
    *dpc = (dr_dpc){fn, arg, name, 0, 0};
}

static bool dpc_is_queued(const dr_dpc *dpc)
{
    return dpc->exec == G.exec && dpc->queued_task != 0;
}

static bool dr_dpc_queue_impl(dr_dpc *dpc, unsigned cpu)
{
    if (dpc_is_queued(dpc))
        return false;
    if (cpu >= G.ncpus) {
        dr_fail(DR_FIND_CRASH, "DPC queued to a processor that does not exist", "processor %u of %u", cpu,
                G.ncpus);
        return false;
    }
    dr_task *t = new_task(cpu, true, dpc->fn, dpc->arg, dpc->name);
    if (!t)
        return false;
    t->dpc = dpc;
    dpc->queued_task = t->id;
    dpc->exec = G.exec;
    dr_cpu *c = &G.cpu[cpu];
    if (c->dpc_tail)
        c->dpc_tail->dpc_next = t;
    else
        c->dpc_head = t;
    c->dpc_tail = t;
    dr_task *me = G.cur;
    if (me && !G.in_handler && me->cpu == cpu && !c->pinned && me->irql < DR_DISPATCH_LEVEL && !G.over)
        drain_now(c);
    return true;
}

static bool dr_dpc_remove_impl(dr_dpc *dpc)
{
    if (!dpc_is_queued(dpc))
        return false;
    for (unsigned i = 0; i < G.ncpus; i++) {
        dr_cpu *c = &G.cpu[i];
        dr_task *prev = NULL;
        for (dr_task *t = c->dpc_head; t; prev = t, t = t->dpc_next) {
            if (t->id != dpc->queued_task)
                continue;
            if (prev)
                prev->dpc_next = t->dpc_next;
            else
                c->dpc_head = t->dpc_next;
            if (c->dpc_tail == t)
                c->dpc_tail = prev;
            t->state = DR_TASK_DONE;
            dpc->queued_task = 0;
            return true;
        }
    }
    dpc->queued_task = 0;
    return false;
}

static void dr_wait_impl(dr_ready_fn ready, const void *arg, const dr_site *site)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler) {
        if (!ready(arg))
            dr_fail(DR_FIND_DEADLOCK, "blocking wait outside a task", "wait at %s cannot be satisfied",
                    site ? site->name : "?");
        return;
    }
    if (G.over)
        return;
    me->state = DR_TASK_BLOCKED;
    me->wait = ready;
    me->wait_arg = arg;
    schedule(site);
}

/* ---- spin locks ------------------------------------------------------------------------ */

static void dr_spinlock_init_impl(dr_spinlock *lock, const char *name)
{
    *lock = (dr_spinlock){0, 0, name};
}

static bool lock_free(const void *arg)
{
    const dr_spinlock *l = arg;
    return l->exec != G.exec || l->owner_task == 0;
}

static const dr_task *task_by_id(uint32_t id)
{
    for (uint32_t i = 0; i < G.ntasks; i++)
        if (G.tasks[i].id == id)
            return &G.tasks[i];
    return NULL;
}

bool dr_spin_held_by_me(const dr_spinlock *lock)
{
    if (dr__rt_on)
        return dr__rt_spin_held_by_me(lock);
    return G.cur && lock->exec == G.exec && lock->owner_task == G.cur->id;
}

static unsigned dr_spin_acquire_impl(dr_spinlock *lock)
{
    dr_task *me = G.cur;
    if (lock->exec != G.exec) {
        lock->exec = G.exec;
        lock->owner_task = 0;
    }
    if (!me || G.in_handler) {
        lock->owner_task = 0x80000000u; /* main context: uncontended set-up */
        return DR_PASSIVE_LEVEL;
    }
    unsigned old = me->irql;
    if (old < DR_DISPATCH_LEVEL)
        dr_raise_irql(DR_DISPATCH_LEVEL);
    DR_SITE(site_acquire, "spin-acquire");
    dr_yield(&site_acquire);
    if (lock->owner_task) {
        const dr_task *owner = task_by_id(lock->owner_task);
        if (owner && owner->cpu == me->cpu)
            dr_fail(DR_FIND_DEADLOCK, "spin lock acquired again on the processor that holds it",
                    "%s: %s holds it on P%u and %s spins on the same processor", lock->name ? lock->name : "lock",
                    owner->name, owner->cpu, me->name);
        dr_wait(lock_free, lock, &site_spin);
    }
    lock->owner_task = me->id;
    TSAN_ACQUIRE(lock); /* a spin lock orders its critical sections */
    return old;
}

static void dr_spin_release_impl(dr_spinlock *lock, unsigned old_irql)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler) {
        lock->owner_task = 0;
        return;
    }
    if (lock->exec != G.exec || lock->owner_task != me->id)
        dr_fail(DR_FIND_CRASH, "spin lock released by a processor that does not hold it", "%s released by %s",
                lock->name ? lock->name : "lock", me->name);
    TSAN_RELEASE(lock);
    lock->owner_task = 0;
    if (old_irql < me->irql)
        dr_lower_irql(old_irql);
    dr_yield(&site_spin_release);
}

/* ---- events and the clock ------------------------------------------------------------------ */

static void dr_event_init_impl(dr_event *ev, dr_fn fn, void *arg, const char *name)
{
    *ev = (dr_event){fn, arg, name, 0, 0, -1};
}

bool dr_event_armed(const dr_event *ev)
{
    return ev->exec == G.exec && ev->slot >= 0;
}

void dr__event_arm_impl(dr_event *ev)
{
    if (ev->exec != G.exec) {
        ev->exec = G.exec;
        ev->actor = G.next_actor++;
        ev->slot = -1;
    }
    if (ev->slot >= 0)
        return;
    if (G.nevents == DR_MAX_EVENTS) {
        dr_fail(DR_FIND_LIVELOCK, "event limit reached", "more than %d events armed", DR_MAX_EVENTS);
        return;
    }
    ev->slot = 1;
    G.events[G.nevents++] = ev;
    if (dr_in_task())
        TSAN_RELEASE(ev); /* what the armer did happens-before the work the event starts */
}

bool dr__event_disarm_impl(dr_event *ev)
{
    if (!dr_event_armed(ev))
        return false;
    event_remove(ev);
    ev->slot = -1;
    return true;
}

uint64_t dr_now(void) { return G.now; }

static void dr_vtimer_init_impl(dr_vtimer *t, dr_fn fn, void *arg, const char *name)
{
    *t = (dr_vtimer){.fn = fn, .arg = arg, .name = name};
}

static bool vtimer_armed(const dr_vtimer *t) { return t->exec == G.exec && t->armed; }

bool dr__vtimer_set_impl(dr_vtimer *t, uint64_t due)
{
    bool was = vtimer_armed(t);
    if (!was) {
        if (G.ntimers == DR_MAX_EVENTS) {
            dr_fail(DR_FIND_LIVELOCK, "timer limit reached", "more than %d timers armed", DR_MAX_EVENTS);
            return false;
        }
        G.timers[G.ntimers++] = t;
    }
    t->exec = G.exec;
    t->armed = true;
    if (dr_in_task())
        TSAN_RELEASE(t);
    t->due = due < G.now ? G.now : due;
    t->seq = ++G.timer_seq;
    return was;
}

bool dr__vtimer_cancel_impl(dr_vtimer *t)
{
    if (!vtimer_armed(t))
        return false;
    timer_remove(t);
    t->armed = false;
    return true;
}

/* ---- ids, trace, windows --------------------------------------------------------------------- */

uint32_t dr_id_new(dr_kind *kind)
{
    if (kind->exec != G.exec) {
        kind->exec = G.exec;
        kind->next = 0;
    }
    return ++kind->next;
}

static void dr_trace_impl(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value)
{
    uint64_t h = dr_mix(G.digest, dr__site_hash(site));
    h = dr_mix(h, (kind ? dr_fnv1a_str(kind->prefix) : 0) ^ id);
    G.digest = dr_mix(h, (uint64_t)value);
    icov_model(site, G.cur);
    if (G.tracing) {
        dr_task *me = G.cur;
        dr_trace_rec r = {.step = G.steps,
                          .type = DR_TR_MODEL,
                          .cpu = me ? me->cpu : 0,
                          .irql = me ? me->irql : 0,
                          .task = me ? me->id : 0,
                          .site = site,
                          .what = me ? me->name : "main",
                          .kind = kind,
                          .id = id,
                          .value = value};
        dr__trace_add(&r);
    }
}

static void dr_window_impl(const dr_site *site)
{
    for (uint32_t i = 0; i < G.nwindows; i++)
        if (G.windows[i].site == site) {
            if (!G.windows[i].hit_this_exec) {
                G.windows[i].hit_this_exec = true;
                G.windows[i].count++;
            }
            return;
        }
    if (G.nwindows < sizeof G.windows / sizeof G.windows[0])
        G.windows[G.nwindows++] = (dr_window_stat){site, 1, true};
}

size_t dr_window_count(void) { return G.nwindows; }
const char *dr_window_name(size_t i) { return i < G.nwindows ? G.windows[i].site->name : NULL; }
uint64_t dr_window_hits(size_t i) { return i < G.nwindows ? G.windows[i].count : 0; }
void dr_windows_reset(void) { G.nwindows = 0; }
void dr_window_set_hits(size_t i, uint64_t hits)
{
    if (i < G.nwindows)
        G.windows[i].count = hits;
}

/* ---- one execution -------------------------------------------------------------------------------- */

int dr_run(const dr_scenario *s, const dr_run_config *cfg, dr_strategy *strat, uint64_t exec_index,
           dr_exec_result *res)
{
    unsigned cpus = cfg->cpus ? cfg->cpus : s->cpus;
    if (cpus < 1 || cpus > DR_MAX_CPUS || (s->max_cpus && cpus > s->max_cpus)) {
        fprintf(stderr, "dmarace: scenario %s cannot run on %u processors (1 to %u)\n", s->name, cpus,
                s->max_cpus ? s->max_cpus : DR_MAX_CPUS);
        return -1;
    }
    engine_init();
    quiet_begin();
    G.exec++;
    G.exec_index = exec_index;
    G.scn = s;
    G.strat = strat;
    G.ncpus = cpus;
    G.step_budget = cfg->step_budget ? cfg->step_budget : 100000;
    G.tracing = cfg->trace;
    G.ntasks = 0;
    G.next_actor = 1;
    memset(G.cpu, 0, sizeof G.cpu);
    G.cur = NULL;
    G.in_handler = false;
    G.nevents = G.ntimers = 0;
    G.now = G.timer_seq = 0;
    G.steps = G.preemptions = 0;
    G.digest = dr_scenario_digest(s, cpus);
    G.over = false;
    memset(&G.finding, 0, sizeof G.finding);
    G.diverged = false;
    G.diverge_msg[0] = 0;
    G.rec.n = 0;
    dr__mirror_begin();
    dr__trace_reset();
    icov_reset();
    for (uint32_t i = 0; i < G.nwindows; i++)
        G.windows[i].hit_this_exec = false;

    strat->begin(strat, exec_index);
    dr_set_access_observer(NULL);
    quiet_end();
    s->setup();
    quiet_begin();
    TSAN_RELEASE(&epoch_start);
    if (!G.over)
        schedule(&site_start);
    /* Back in the main context: the execution is over. */
    if (!G.over) {
        for (uint32_t i = 0; i < G.ntasks; i++) {
            dr_task *t = &G.tasks[i];
            if (t->state == DR_TASK_DONE)
                continue;
            G.cur = NULL;
            dr_fail(DR_FIND_DEADLOCK, "deadlock: nothing runnable, work outstanding",
                    "%s on P%u is %s and nothing else can run", t->name, t->cpu,
                    t->state == DR_TASK_QUEUED ? "a queued DPC" : "blocked");
            break;
        }
    }
    execution_boundary();
    if (!G.over && s->check) {
        quiet_end();
        s->check();
        quiet_begin();
    }
    G.cur = NULL;

    memset(res, 0, sizeof *res);
    res->finding = G.finding;
    res->diverged = G.diverged;
    memcpy(res->diverge_msg, G.diverge_msg, sizeof res->diverge_msg);
    res->digest = dr_fmix(G.digest);
    res->steps = G.steps;
    res->choices = G.rec.n;
    res->preemptions = G.preemptions;
    G.scn = NULL;
    quiet_end();
    return 0;
}

bool dr_strategy_next(dr_strategy *s, const dr_exec_result *res) { return s->end(s, res); }

void dr_last_tape(dr_tape *t, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind, uint64_t seed,
                  uint64_t exec_index, const dr_exec_result *res)
{
    memset(t, 0, sizeof *t);
    t->version = DR_TAPE_VERSION;
    t->scenario_digest = dr_scenario_digest(s, cpus);
    t->trace_digest = res->digest;
    t->cpus = (uint8_t)cpus;
    t->strategy = (uint8_t)kind;
    t->seed = seed;
    t->exec_index = exec_index;
    snprintf(t->scenario, sizeof t->scenario, "%s", s->name);
    t->finding = res->finding.kind;
    snprintf(t->title, sizeof t->title, "%s", res->finding.title);
    t->nrec = G.rec.n;
    t->rec = malloc((G.rec.n ? G.rec.n : 1) * sizeof *t->rec);
    if (!t->rec) {
        fprintf(stderr, "dmarace: out of memory copying the tape\n");
        abort();
    }
    memcpy(t->rec, G.rec.rec, G.rec.n * sizeof *t->rec);
}

/* ---- the public entry points: engine code runs TSan-quiet ------------------------ */

void dr_yield(const dr_site *site)
{
    if (dr__rt_on) {
        dr__rt_yield(site);
        return;
    }
    quiet_begin();
    dr_yield_impl(site);
    quiet_end();
}

uint32_t dr_choose(const dr_site *site, uint32_t n)
{
    if (dr__rt_on)
        return dr__rt_choose(site, n);
    quiet_begin();
    uint32_t r = dr_choose_impl(site, n);
    quiet_end();
    return r;
}

unsigned dr_raise_irql(unsigned irql)
{
    if (dr__rt_on)
        return dr__rt_raise_irql(irql);
    quiet_begin();
    unsigned r = dr_raise_irql_impl(irql);
    quiet_end();
    return r;
}

void dr_lower_irql(unsigned irql)
{
    if (dr__rt_on) {
        dr__rt_lower_irql(irql);
        return;
    }
    quiet_begin();
    dr_lower_irql_impl(irql);
    quiet_end();
}

uint32_t dr_thread_create(unsigned cpu, dr_fn fn, void *arg, const char *name)
{
    if (dr__rt_on)
        return dr__rt_thread_create(cpu, fn, arg, name);
    quiet_begin();
    uint32_t r = dr_thread_create_impl(cpu, fn, arg, name);
    quiet_end();
    return r;
}

void dr_dpc_init(dr_dpc *dpc, dr_fn fn, void *arg, const char *name)
{
    quiet_begin();
    dr_dpc_init_impl(dpc, fn, arg, name);
    quiet_end();
}

bool dr_dpc_queue(dr_dpc *dpc, unsigned cpu)
{
    if (dr__rt_on)
        return dr__rt_dpc_queue(dpc, cpu);
    quiet_begin();
    bool r = dr_dpc_queue_impl(dpc, cpu);
    quiet_end();
    return r;
}

bool dr_dpc_remove(dr_dpc *dpc)
{
    if (dr__rt_on)
        return dr__rt_dpc_remove(dpc);
    quiet_begin();
    bool r = dr_dpc_remove_impl(dpc);
    quiet_end();
    return r;
}

void dr_wait(dr_ready_fn ready, const void *arg, const dr_site *site)
{
    if (dr__rt_on) {
        dr__rt_wait(ready, arg, site);
        return;
    }
    quiet_begin();
    dr_wait_impl(ready, arg, site);
    quiet_end();
}

void dr_spinlock_init(dr_spinlock *lock, const char *name)
{
    quiet_begin();
    dr_spinlock_init_impl(lock, name);
    quiet_end();
}

unsigned dr_spin_acquire(dr_spinlock *lock)
{
    if (dr__rt_on)
        return dr__rt_spin_acquire(lock);
    quiet_begin();
    unsigned r = dr_spin_acquire_impl(lock);
    quiet_end();
    return r;
}

void dr_spin_release(dr_spinlock *lock, unsigned old_irql)
{
    if (dr__rt_on) {
        dr__rt_spin_release(lock, old_irql);
        return;
    }
    quiet_begin();
    dr_spin_release_impl(lock, old_irql);
    quiet_end();
}

void dr_event_init(dr_event *ev, dr_fn fn, void *arg, const char *name)
{
    quiet_begin();
    dr_event_init_impl(ev, fn, arg, name);
    quiet_end();
}

/* Real-thread mode keeps its events and timers here too, under its
 * framework lock (dr__rt_resume takes it). */
void dr_event_arm(dr_event *ev)
{
    if (dr__rt_on) {
        dr__rt_resume();
        dr__event_arm_impl(ev);
        return;
    }
    quiet_begin();
    dr__event_arm_impl(ev);
    quiet_end();
}

bool dr_event_disarm(dr_event *ev)
{
    if (dr__rt_on) {
        dr__rt_resume();
        return dr__event_disarm_impl(ev);
    }
    quiet_begin();
    bool r = dr__event_disarm_impl(ev);
    quiet_end();
    return r;
}

void dr_vtimer_init(dr_vtimer *t, dr_fn fn, void *arg, const char *name)
{
    quiet_begin();
    dr_vtimer_init_impl(t, fn, arg, name);
    quiet_end();
}

bool dr_vtimer_set(dr_vtimer *t, uint64_t due)
{
    if (dr__rt_on) {
        dr__rt_resume();
        return dr__vtimer_set_impl(t, due);
    }
    quiet_begin();
    bool r = dr__vtimer_set_impl(t, due);
    quiet_end();
    return r;
}

bool dr_vtimer_cancel(dr_vtimer *t)
{
    if (dr__rt_on) {
        dr__rt_resume();
        return dr__vtimer_cancel_impl(t);
    }
    quiet_begin();
    bool r = dr__vtimer_cancel_impl(t);
    quiet_end();
    return r;
}

void dr_trace(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value)
{
    if (dr__rt_on) /* real-thread mode keeps no trace */
        return;
    quiet_begin();
    dr_trace_impl(site, kind, id, value);
    quiet_end();
}

void dr_window(const dr_site *site)
{
    if (dr__rt_on) {
        dr__rt_resume(); /* the counters are under the framework lock */
        dr_window_impl(site);
        return;
    }
    quiet_begin();
    dr_window_impl(site);
    quiet_end();
}
