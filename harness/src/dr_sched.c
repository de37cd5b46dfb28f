/* dr_sched.c: simulated processors on fibers, and the scheduler loop.
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
 *   - a pending ISR may be delivered whenever its processor runs below its
 *     IRQL: it preempts the top frame and the frame resumes after it;
 *   - armed environment events and the earliest armed timer are options too.
 * The running task, when it may continue, is always option 0: a tape that
 * ran out (all zeros) means "never preempt". This file holds the fiber
 * mode's side of the API the model calls (dr_api.c dispatches to it). */
#include "dr_hash.h"
#include "dr_fault.h"
#include "dr_hb.h"
#include "dr_internal.h"
#include "dr_mirror_hook.h"
#include "dr_quiet.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define G dr__g

DR_SITE(site_exit, "exit");
DR_SITE(site_spin, "spin");
DR_SITE(site_spin_release, "spin-release");
DR_SITE(site_irql, "irql-lower");

/* ---- fibers ------------------------------------------------------------------ */


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
    dr_fiber_prepare(&s->fiber, dr__fiber_main);
    s->task = NULL;
    s->at_start = true;
    G.nslots++;
    return s;
}

static DR_NO_TSAN void switch_to_main(bool for_good)
{
    dr_slot *from = G.running_slot;
    G.running_slot = NULL;
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
    if (t->slot == G.running_slot)
        return; /* the exiting task's own fiber picks t up */
    dr_fiber *from = G.running_slot ? &G.running_slot->fiber : &G.main_ctx;
    G.running_slot = t->slot;
    t->slot->at_start = false;
    dr_fiber_switch(from, &t->slot->fiber, false, false);
}

/* ---- tasks ------------------------------------------------------------------------ */

/* A task takes its processor (it runs at DISPATCH_LEVEL or above). */
static void frame_push(dr_cpu *c, dr_task *t)
{
    if (c->nframes == DR_MAX_FRAMES) {
        fprintf(stderr, "dmarace: internal error: more than %d frames on a processor\n", DR_MAX_FRAMES);
        abort();
    }
    c->frame[c->nframes++] = t;
}

/* The IRQL a processor runs at: its top frame's, or below DISPATCH_LEVEL. */
static unsigned cpu_level(const dr_cpu *c)
{
    const dr_task *top = dr__cpu_top(c);
    return top ? top->irql : DR_PASSIVE_LEVEL;
}

/* The top frame ends (its task exits or drops below DISPATCH_LEVEL). */
static void frame_pop(dr_cpu *c, const dr_task *t)
{
    if (dr__cpu_top(c) == t)
        c->nframes--;
}

static dr_task *new_task(unsigned cpu, bool is_dpc, dr_fn fn, void *arg, const char *name)
{
    if (G.ntasks == DR_MAX_TASKS) {
        DR_FAULT(TASK_LIMIT, DR_MAX_TASKS);
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
    dr__hb_spawn(t);
    /* Queuing a DPC or creating a thread happens-before it starts. From a
     * handler, the edge comes from the arming of the event or timer. */
    if (G.in_handler) {
        t->hb_from = G.handler_origin;
    } else {
        t->hb_from = t;
        dr_hb_release(t);
    }
    if (G.tracing) { /* cause and effect for the timeline; not a step, not in the digest */
        dr_task *me = G.cur;
        dr_trace_rec r = {.step = G.steps,
                          .type = DR_TR_SPAWN,
                          .cpu = me ? me->cpu : 0,
                          .irql = me ? me->irql : 0,
                          .task = me && !G.in_handler ? me->id : 0,
                          .other = t->id,
                          .what = t->name,
                          .value = G.in_handler};
        dr__trace_add(&r);
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
    frame_push(c, t);
    if (t->dpc && t->dpc->exec == G.exec && t->dpc->queued_task == t->id)
        t->dpc->queued_task = 0; /* it may be queued again while it runs */
}

/* Deliver a pending ISR: it preempts whatever runs on its processor. */
static void start_isr(dr_task *t)
{
    t->state = DR_TASK_READY;
    frame_push(&G.cpu[t->cpu], t);
    if (t->isr && t->isr->exec == G.exec && t->isr->queued_task == t->id)
        t->isr->queued_task = 0; /* it may be raised again while it runs */
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
        if (t->state == DR_TASK_QUEUED && t->is_isr)
            ok = cpu_level(c) < t->irql;
        else if (t->state == DR_TASK_QUEUED)
            ok = !c->nframes && c->dpc_head == t;
        else
            ok = (!c->nframes || dr__cpu_top(c) == t) && runnable(t);
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

/* Decide who runs next and run it. Called by a task at a scheduling point
 * (it may be ready, blocked or done), or by the main context to start.
 * Returns when the caller is chosen again, or, in the main context, when the
 * execution is over. */
DR_NO_TSAN void dr__schedule(const dr_site *site)
{
    dr_opt opt[DR_MAX_OPTIONS];
    uint32_t actor[DR_MAX_OPTIONS];
    dr_task *me = G.cur;
    for (;;) {
        if (G.over)
            break;
        dr__mirror_step(G.steps + 1);
        if (++G.steps > G.step_budget) {
            DR_FAULT(STEP_BUDGET, (unsigned long long)G.step_budget);
            break;
        }
        if (dr__intent_on())
            dr__intent_point(DR_CHOICE_SCHED, site);
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
        dr__note(DR_TR_SCHED, site, actor[pick], me ? me->name : "main");
        if (n > 1 && G.tracing) /* the trace only: a campaign's decisions pay one test */
            dr__trace_choice(pick, n, has_cur);
        dr_opt o = opt[pick];
        if (o.type == DR_OPT_EVENT) {
            dr__fire_event(o.ptr);
            continue;
        }
        if (o.type == DR_OPT_CLOCK) {
            dr__fire_timer();
            continue;
        }
        dr_task *t = o.ptr;
        if (t->state == DR_TASK_QUEUED && t->is_isr) {
            start_isr(t);
        } else if (t->state == DR_TASK_QUEUED) {
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
    if (G.running_slot)
        switch_to_main(me == NULL || me->state != DR_TASK_DONE ? true : false);
}

static void task_exit(dr_task *t)
{
    dr__note(DR_TR_END, NULL, 0, t->name);
    t->state = DR_TASK_DONE;
    t->slot->task = NULL; /* the fiber is idle from here on */
    t->slot = NULL;
    dr_cpu *c = &G.cpu[t->cpu];
    frame_pop(c, t);
    if ((t->is_dpc || t->is_isr) && c->dpc_head && !G.over && cpu_level(c) < DR_DISPATCH_LEVEL) {
        /* The DPC drain continues on this processor (or, after an ISR that
         * queued DPCs, starts: IRQL drops below DISPATCH_LEVEL). */
        dr_task *next = c->dpc_head;
        start_dpc(next);
        G.cur = t;
        dr__note(DR_TR_START, NULL, next->id, next->name);
        switch_to_task(next);
        return;
    }
    dr__schedule(&site_exit);
}

DR_NO_TSAN void dr__fiber_main(void)
{
    dr_fiber_entered();
#if DR_TSAN
    /* A re-prepared fiber keeps its TSan context, and with it the quiet depth
     * it was abandoned at: unwind that first. */
    while (G.running_slot->quiet)
        quiet_end();
#endif
    quiet_begin();
    for (;;) {
        dr_slot *s = G.running_slot;
        if (G.retiring) {
            while (s->quiet)
                quiet_end();
            G.running_slot = NULL;
            dr_fiber_switch(&s->fiber, &G.main_ctx, true, true); /* never resumed */
        }
        if (G.pinging) {
            G.running_slot = NULL;
            dr_fiber_switch(&s->fiber, &G.main_ctx, true, false);
            continue;
        }
        dr_task *t = s->task;
        dr_hb_acquire(&G.epoch_start);
        if (t->hb_from)
            dr_hb_acquire(t->hb_from);
        quiet_end();
        t->fn(t->arg);
        quiet_begin();
        TSAN_RELEASE(&G.epoch_end);
        task_exit(t);
    }
}

/* Preempt the current task for the head DPC of its processor (a software
 * interrupt delivered as IRQL drops or as the DPC is queued locally). */
static void drain_now(dr_cpu *c)
{
    dr_task *d = c->dpc_head;
    start_dpc(d);
    dr__note(DR_TR_START, NULL, d->id, d->name);
    switch_to_task(d);
}

/* ---- findings, divergence and the one choice function ---------------------------------- */

/* Record the execution's finding (the first one wins) and abandon the
 * running task, if any: its fiber is re-prepared at teardown. */
__attribute__((format(printf, 4, 0))) static void record_finding(dr_finding_kind kind, const char *rule,
                                                                 const char *title, const char *fmt, va_list ap)
{
    if (!G.over) {
        dr_finding *f = &G.finding;
        f->kind = kind;
        snprintf(f->rule, sizeof f->rule, "%s", rule ? rule : "");
        snprintf(f->title, sizeof f->title, "%s", title);
        vsnprintf(f->message, sizeof f->message, fmt, ap);
        f->step = G.steps;
        f->task = G.cur ? G.cur->id : 0;
        f->cpu = G.cur ? G.cur->cpu : 0;
        snprintf(f->task_name, sizeof f->task_name, "%s", G.cur ? G.cur->name : "main");
        /* Its stack, for the driver line in reports: only in traced runs
         * (replay, a report's re-run), so a campaign pays nothing for it. */
        f->npc = G.tracing ? (uint8_t)dr__stack(f->pc, DR_STACK_MAX) : 0;
        f->related = G.tracing && G.related <= G.ntrace ? G.related : 0;
        snprintf(f->related_what, sizeof f->related_what, "%s", f->related && G.related_what ? G.related_what : "");
        G.related = 0;
        G.over = true;
        G.digest = dr_mix(G.digest, dr_fnv1a_str(title) ^ (uint64_t)kind);
        dr__note(DR_TR_FINDING, NULL, (uint32_t)kind, f->title);
        dr__trace_finding(f->title);
    }
    if (G.running_slot)
        switch_to_main(true); /* this task is abandoned; its fiber is re-prepared */
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
    if (G.running_slot && !G.in_handler)
        switch_to_main(true);
    quiet_end();
}

uint32_t dr__decide(uint8_t kind, const dr_site *site, uint32_t n, const uint32_t *actors, bool has_cur,
                    uint32_t n_tasks)
{
    dr_choice_req req = {kind, n, has_cur, n_tasks, actors, site, G.rec.n, (const dr_event *const *)G.events,
                         kind == DR_CHOICE_SCHED ? G.nevents : 0, NULL, NULL};
    bool intent = dr__intent_on();
    if (intent)
        dr__intent_request(&req);
    uint32_t v = G.strat->choose(G.strat, &req);
    if (G.over)
        return 0;
    if (v >= n)
        v %= n;
    if (intent)
        dr__intent_decided(&req, v);
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

/* ---- the fiber mode's side of the API ---------------------------------------------------- */

static void fiber_yield(const dr_site *site)
{
    if (!G.cur || G.in_handler || G.over)
        return;
    dr__schedule(site);
}

static uint32_t fiber_choose(const dr_site *site, uint32_t n)
{
    if (n <= 1 || G.over || !G.scn)
        return 0;
    if (dr__intent_on())
        dr__intent_point(DR_CHOICE_DATA, site);
    uint32_t v = dr__decide(DR_CHOICE_DATA, site, n, NULL, false, 0);
    dr__note(DR_TR_CHOICE, site, v, G.cur ? G.cur->name : "main");
    if (G.tracing)
        dr__trace_choice(v, n, false);
    return v;
}

static unsigned fiber_raise_irql(unsigned irql)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler)
        return DR_PASSIVE_LEVEL;
    unsigned old = me->irql;
    if (irql < old)
        DR_FAULT(RAISE_IRQL_LOWER, old, irql);
    me->irql = (uint8_t)irql;
    dr_cpu *c = &G.cpu[me->cpu];
    if (irql >= DR_DISPATCH_LEVEL && dr__cpu_top(c) != me)
        frame_push(c, me);
    return old;
}

static void fiber_lower_irql(unsigned irql)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler)
        return;
    if (irql > me->irql)
        DR_FAULT(LOWER_IRQL_HIGHER, me->irql, irql);
    me->irql = (uint8_t)irql;
    if (me->is_dpc || me->is_isr || irql >= DR_DISPATCH_LEVEL)
        return;
    dr_cpu *c = &G.cpu[me->cpu];
    frame_pop(c, me);
    if (c->dpc_head && !G.over) {
        dr__note(DR_TR_SCHED, &site_irql, c->dpc_head->id, me->name);
        drain_now(c);
    }
}

static uint32_t fiber_thread_create(unsigned cpu, dr_fn fn, void *arg, const char *name)
{
    if (cpu >= G.ncpus) {
        DR_FAULT(THREAD_NO_CPU, cpu, G.ncpus);
        return 0;
    }
    dr_task *t = new_task(cpu, false, fn, arg, name);
    return t ? t->id : 0;
}

void dr__dpc_init(dr_dpc *dpc, dr_fn fn, void *arg, const char *name)
{
    *dpc = (dr_dpc){fn, arg, name, 0, 0};
}

static bool dpc_is_queued(const dr_dpc *dpc)
{
    return dpc->exec == G.exec && dpc->queued_task != 0;
}

static bool fiber_dpc_queue(dr_dpc *dpc, unsigned cpu)
{
    if (dpc_is_queued(dpc))
        return false;
    if (cpu >= G.ncpus) {
        DR_FAULT(DPC_NO_CPU, cpu, G.ncpus);
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
    if (me && !G.in_handler && me->cpu == cpu && !c->nframes && me->irql < DR_DISPATCH_LEVEL && !G.over)
        drain_now(c);
    return true;
}

static bool fiber_dpc_remove(dr_dpc *dpc)
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

static bool isr_is_pending(const dr_isr *isr)
{
    return isr->exec == G.exec && isr->queued_task != 0;
}

static bool fiber_isr_raise(dr_isr *isr, unsigned cpu)
{
    if (isr_is_pending(isr))
        return false;
    if (cpu >= G.ncpus) {
        DR_FAULT(ISR_NO_CPU, cpu, G.ncpus);
        return false;
    }
    if (isr->irql < DR_DIRQL_MIN || isr->irql > DR_HIGH_LEVEL) {
        DR_FAULT(ISR_IRQL, isr->name ? isr->name : "isr", isr->irql, DR_DIRQL_MIN, DR_HIGH_LEVEL);
        return false;
    }
    dr_task *t = new_task(cpu, false, isr->fn, isr->arg, isr->name ? isr->name : "isr");
    if (!t)
        return false;
    t->is_isr = true;
    t->isr = isr;
    t->irql = (uint8_t)isr->irql;
    t->state = DR_TASK_QUEUED;
    isr->queued_task = t->id;
    isr->exec = G.exec;
    return true;
}

static bool fiber_isr_withdraw(dr_isr *isr)
{
    if (!isr_is_pending(isr))
        return false;
    for (uint32_t i = 0; i < G.ntasks; i++) {
        dr_task *t = &G.tasks[i];
        if (t->id == isr->queued_task && t->state == DR_TASK_QUEUED)
            t->state = DR_TASK_DONE;
    }
    isr->queued_task = 0;
    return true;
}

static bool fiber_isr_pending(const dr_isr *isr) { return isr_is_pending(isr); }

static void fiber_wait(dr_ready_fn ready, const void *arg, const dr_site *site)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler) {
        if (!ready(arg))
            DR_FAULT(WAIT_OUTSIDE_TASK, site ? site->name : "?");
        return;
    }
    if (G.over)
        return;
    me->state = DR_TASK_BLOCKED;
    me->wait = ready;
    me->wait_arg = arg;
    dr__schedule(site);
}

/* ---- spin locks ------------------------------------------------------------------------ */

void dr__spinlock_init(dr_spinlock *lock, const char *name)
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

static unsigned fiber_spin_acquire(dr_spinlock *lock, unsigned irql)
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
    if (old < irql)
        dr_raise_irql(irql);
    DR_SITE(site_acquire, "spin-acquire");
    dr_yield(&site_acquire);
    if (lock->owner_task) {
        const dr_task *owner = task_by_id(lock->owner_task);
        if (owner && owner->cpu == me->cpu)
            DR_FAULT(SPIN_AGAIN, lock->name ? lock->name : "lock", owner->name, owner->cpu, me->name);
        dr_wait(lock_free, lock, &site_spin);
    }
    lock->owner_task = me->id;
    dr_hb_acquire(lock); /* a spin lock orders its critical sections */
    return old;
}

static void fiber_spin_release(dr_spinlock *lock, unsigned old_irql)
{
    dr_task *me = G.cur;
    if (!me || G.in_handler) {
        lock->owner_task = 0;
        return;
    }
    if (lock->exec != G.exec || lock->owner_task != me->id)
        DR_FAULT(SPIN_NOT_HELD, lock->name ? lock->name : "lock", me->name);
    dr_hb_release(lock);
    lock->owner_task = 0;
    if (old_irql < me->irql)
        dr_lower_irql(old_irql);
    dr_yield(&site_spin_release);
}

__attribute__((format(printf, 4, 0))) static void fiber_fail(dr_finding_kind kind, const char *rule,
                                                             const char *title, const char *fmt, va_list ap)
{
    if (G.scn)
        record_finding(kind, rule, title, fmt, ap);
}

static bool fiber_failed(void) { return G.over && !G.diverged; }
static const dr_scenario *fiber_scenario(void) { return G.scn; }
static void fiber_framework_resume(void) {}
static unsigned fiber_cpus(void) { return G.ncpus; }
static unsigned fiber_current_cpu(void) { return G.cur ? G.cur->cpu : 0; }
static bool fiber_in_task(void) { return G.cur && !G.in_handler; }
static uint32_t fiber_current_task(void) { return G.cur && !G.in_handler ? G.cur->id : 0; }

static unsigned fiber_irql(void)
{
    if (G.in_handler)
        return DR_DISPATCH_LEVEL;
    return G.cur ? G.cur->irql : DR_PASSIVE_LEVEL;
}

static bool fiber_spin_held_by_me(const dr_spinlock *lock)
{
    return G.cur && lock->exec == G.exec && lock->owner_task == G.cur->id;
}

static void fiber_event_arm(dr_event *ev) { dr__event_arm(ev); }

/* A fault signal: a finding only in a task of a running execution. The
 * handler, if one ran, is over. */
static bool fiber_crash_claim(const char **where)
{
    if (!G.scn || !G.running_slot || G.over)
        return false;
    G.in_handler = false;
    *where = G.cur ? G.cur->name : "?";
    return true;
}

const dr_mode_ops dr__fiber_ops = {
    .name = "fibers",
    .quiet = true,
    .fail = fiber_fail,
    .failed = fiber_failed,
    .scenario = fiber_scenario,
    .framework_resume = fiber_framework_resume,
    .cpus = fiber_cpus,
    .current_cpu = fiber_current_cpu,
    .in_task = fiber_in_task,
    .current_task = fiber_current_task,
    .irql = fiber_irql,
    .yield = fiber_yield,
    .choose = fiber_choose,
    .raise_irql = fiber_raise_irql,
    .lower_irql = fiber_lower_irql,
    .thread_create = fiber_thread_create,
    .dpc_queue = fiber_dpc_queue,
    .dpc_remove = fiber_dpc_remove,
    .isr_raise = fiber_isr_raise,
    .isr_withdraw = fiber_isr_withdraw,
    .isr_pending = fiber_isr_pending,
    .wait = fiber_wait,
    .spin_held_by_me = fiber_spin_held_by_me,
    .spin_acquire = fiber_spin_acquire,
    .spin_release = fiber_spin_release,
    .event_arm = fiber_event_arm,
    .event_disarm = dr__event_disarm,
    .vtimer_set = dr__vtimer_set,
    .vtimer_cancel = dr__vtimer_cancel,
    .trace = dr__fiber_trace,
    .window = dr__window_note,
    .log = dr__fiber_log,
    .log_enabled = dr__fiber_log_enabled,
    .trace_mark = dr__fiber_trace_mark,
    .fail_related = dr__fiber_fail_related,
    .access = dr__fiber_access,
    .crash_claim = fiber_crash_claim,
    .tsan_report = dr__fiber_tsan_report,
};
