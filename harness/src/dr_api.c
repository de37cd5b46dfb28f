/* dr_api.c: the API of dr.h, the engine as the model and scenarios see it.
 * Every entry point that depends on how processors are simulated calls the
 * current mode's operations (fibers: dr_sched.c, dr_clock.c; real threads:
 * dr_rt.c), inside the TSan quiet region when the mode asks for it; the
 * rest (initialisers, ids, the clock's reading) are the same in both. */
#include "dr_internal.h"
#include "dr_quiet.h"

#include <stdarg.h>

const dr_mode_ops *dr__mode = &dr__fiber_ops;

static inline const dr_mode_ops *enter(void)
{
    const dr_mode_ops *m = dr__mode;
    if (m->quiet)
        quiet_begin();
    return m;
}

static inline void leave(const dr_mode_ops *m)
{
    if (m->quiet)
        quiet_end();
}

/* ---- findings ---------------------------------------------------------------- */

__attribute__((format(printf, 4, 0))) static void vfail(dr_finding_kind kind, const char *rule, const char *title,
                                                        const char *fmt, va_list ap)
{
    const dr_mode_ops *m = enter();
    m->fail(kind, rule, title, fmt, ap);
    leave(m);
}

void dr_fail(dr_finding_kind kind, const char *title, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(kind, NULL, title, fmt, ap);
    va_end(ap);
}

void dr_fail_rule(dr_finding_kind kind, const char *rule, const char *title, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(kind, rule, title, fmt, ap);
    va_end(ap);
}

bool dr_failed(void)
{
    const dr_mode_ops *m = enter();
    bool r = m->failed();
    leave(m);
    return r;
}

const dr_scenario *dr_scenario_current(void)
{
    const dr_mode_ops *m = enter();
    const dr_scenario *r = m->scenario();
    leave(m);
    return r;
}

void dr_framework_resume(void)
{
    const dr_mode_ops *m = enter();
    m->framework_resume();
    leave(m);
}

/* ---- scheduling points and choices -------------------------------------------- */

void dr_yield(const dr_site *site)
{
    const dr_mode_ops *m = enter();
    m->yield(site);
    leave(m);
}

uint32_t dr_choose(const dr_site *site, uint32_t n)
{
    const dr_mode_ops *m = enter();
    uint32_t r = m->choose(site, n);
    leave(m);
    return r;
}

/* ---- processors, IRQL, tasks ---------------------------------------------------- */

unsigned dr_cpus(void)
{
    const dr_mode_ops *m = enter();
    unsigned r = m->cpus();
    leave(m);
    return r;
}

unsigned dr_current_cpu(void)
{
    const dr_mode_ops *m = enter();
    unsigned r = m->current_cpu();
    leave(m);
    return r;
}

unsigned dr_irql(void)
{
    const dr_mode_ops *m = enter();
    unsigned r = m->irql();
    leave(m);
    return r;
}

unsigned dr_raise_irql(unsigned irql)
{
    const dr_mode_ops *m = enter();
    unsigned r = m->raise_irql(irql);
    leave(m);
    return r;
}

void dr_lower_irql(unsigned irql)
{
    const dr_mode_ops *m = enter();
    m->lower_irql(irql);
    leave(m);
}

bool dr_in_task(void)
{
    const dr_mode_ops *m = enter();
    bool r = m->in_task();
    leave(m);
    return r;
}

uint32_t dr_current_task(void)
{
    const dr_mode_ops *m = enter();
    uint32_t r = m->current_task();
    leave(m);
    return r;
}

uint32_t dr_thread_create(unsigned cpu, dr_fn fn, void *arg, const char *name)
{
    const dr_mode_ops *m = enter();
    uint32_t r = m->thread_create(cpu, fn, arg, name);
    leave(m);
    return r;
}

void dr_dpc_init(dr_dpc *dpc, dr_fn fn, void *arg, const char *name)
{
    const dr_mode_ops *m = enter();
    dr__dpc_init(dpc, fn, arg, name);
    leave(m);
}

bool dr_dpc_queue(dr_dpc *dpc, unsigned cpu)
{
    const dr_mode_ops *m = enter();
    bool r = m->dpc_queue(dpc, cpu);
    leave(m);
    return r;
}

bool dr_dpc_remove(dr_dpc *dpc)
{
    const dr_mode_ops *m = enter();
    bool r = m->dpc_remove(dpc);
    leave(m);
    return r;
}

void dr_isr_init(dr_isr *isr, dr_fn fn, void *arg, const char *name, unsigned irql)
{
    *isr = (dr_isr){fn, arg, name, irql, 0, 0};
}

bool dr_isr_raise(dr_isr *isr, unsigned cpu)
{
    const dr_mode_ops *m = enter();
    bool r = m->isr_raise(isr, cpu);
    leave(m);
    return r;
}

bool dr_isr_withdraw(dr_isr *isr)
{
    const dr_mode_ops *m = enter();
    bool r = m->isr_withdraw(isr);
    leave(m);
    return r;
}

bool dr_isr_pending(const dr_isr *isr)
{
    const dr_mode_ops *m = enter();
    bool r = m->isr_pending(isr);
    leave(m);
    return r;
}

void dr_wait(dr_ready_fn ready, const void *arg, const dr_site *site)
{
    const dr_mode_ops *m = enter();
    m->wait(ready, arg, site);
    leave(m);
}

/* ---- spin locks ------------------------------------------------------------------- */

void dr_spinlock_init(dr_spinlock *lock, const char *name)
{
    const dr_mode_ops *m = enter();
    dr__spinlock_init(lock, name);
    leave(m);
}

unsigned dr_spin_acquire(dr_spinlock *lock) { return dr_spin_acquire_at(lock, DR_DISPATCH_LEVEL); }

unsigned dr_spin_acquire_at(dr_spinlock *lock, unsigned irql)
{
    const dr_mode_ops *m = enter();
    unsigned r = m->spin_acquire(lock, irql < DR_DISPATCH_LEVEL ? DR_DISPATCH_LEVEL : irql);
    leave(m);
    return r;
}

void dr_spin_release(dr_spinlock *lock, unsigned old_irql)
{
    const dr_mode_ops *m = enter();
    m->spin_release(lock, old_irql);
    leave(m);
}

bool dr_spin_held_by_me(const dr_spinlock *lock)
{
    const dr_mode_ops *m = enter();
    bool r = m->spin_held_by_me(lock);
    leave(m);
    return r;
}

/* ---- environment events and the virtual clock ------------------------------------------ */

void dr_event_init(dr_event *ev, dr_fn fn, void *arg, const char *name)
{
    const dr_mode_ops *m = enter();
    dr__event_init(ev, fn, arg, name);
    leave(m);
}

void dr_event_arm(dr_event *ev)
{
    const dr_mode_ops *m = enter();
    m->event_arm(ev);
    leave(m);
}

bool dr_event_disarm(dr_event *ev)
{
    const dr_mode_ops *m = enter();
    bool r = m->event_disarm(ev);
    leave(m);
    return r;
}

void dr_vtimer_init(dr_vtimer *t, dr_fn fn, void *arg, const char *name)
{
    const dr_mode_ops *m = enter();
    dr__vtimer_init(t, fn, arg, name);
    leave(m);
}

bool dr_vtimer_set(dr_vtimer *t, uint64_t due)
{
    const dr_mode_ops *m = enter();
    bool r = m->vtimer_set(t, due);
    leave(m);
    return r;
}

bool dr_vtimer_cancel(dr_vtimer *t)
{
    const dr_mode_ops *m = enter();
    bool r = m->vtimer_cancel(t);
    leave(m);
    return r;
}

/* ---- the trace and race windows -------------------------------------------------------- */

void dr_trace(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value)
{
    const dr_mode_ops *m = enter();
    m->trace(site, kind, id, value);
    leave(m);
}

uint32_t dr_trace_mark(const char *what)
{
    const dr_mode_ops *m = enter();
    uint32_t r = m->trace_mark(what);
    leave(m);
    return r;
}

void dr_fail_related(uint32_t mark, const char *what)
{
    const dr_mode_ops *m = enter();
    m->fail_related(mark, what);
    leave(m);
}

void dr_window(const dr_site *site)
{
    const dr_mode_ops *m = enter();
    m->window(site, true);
    leave(m);
}

void dr_window_possible(const dr_site *site)
{
    const dr_mode_ops *m = enter();
    m->window(site, false);
    leave(m);
}

/* ---- the driver's own messages ------------------------------------------------------- */

void dr_log(const char *text)
{
    const dr_mode_ops *m = enter();
    m->log(text);
    leave(m);
}

bool dr_log_enabled(void)
{
    const dr_mode_ops *m = enter();
    bool r = m->log_enabled();
    leave(m);
    return r;
}
