/* dr_api.c: the API of dr.h, the engine as the model and scenarios see it.
 * Each entry point runs the current mode's implementation (fibers:
 * dr_sched.c, dr_clock.c; real threads: dr_rt.c) with engine code TSan-quiet. */
#include "dr_internal.h"
#include "dr_quiet.h"

#include <stdarg.h>

#define G dr__g

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
    dr__fiber_fail(kind, title, fmt, ap);
    va_end(ap);
    quiet_end();
}

bool dr_failed(void) { return dr__rt_on ? dr__rt_failed() : G.over && !G.diverged; }

const dr_scenario *dr_scenario_current(void) { return dr__rt_on ? dr__rt_scenario() : G.scn; }

void dr_framework_resume(void)
{
    if (dr__rt_on)
        dr__rt_resume();
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

bool dr_spin_held_by_me(const dr_spinlock *lock)
{
    if (dr__rt_on)
        return dr__rt_spin_held_by_me(lock);
    return G.cur && lock->exec == G.exec && lock->owner_task == G.cur->id;
}

/* ---- the public entry points: engine code runs TSan-quiet ------------------------ */

void dr_yield(const dr_site *site)
{
    if (dr__rt_on) {
        dr__rt_yield(site);
        return;
    }
    quiet_begin();
    dr__fiber_yield(site);
    quiet_end();
}

uint32_t dr_choose(const dr_site *site, uint32_t n)
{
    if (dr__rt_on)
        return dr__rt_choose(site, n);
    quiet_begin();
    uint32_t r = dr__fiber_choose(site, n);
    quiet_end();
    return r;
}

unsigned dr_raise_irql(unsigned irql)
{
    if (dr__rt_on)
        return dr__rt_raise_irql(irql);
    quiet_begin();
    unsigned r = dr__fiber_raise_irql(irql);
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
    dr__fiber_lower_irql(irql);
    quiet_end();
}

uint32_t dr_thread_create(unsigned cpu, dr_fn fn, void *arg, const char *name)
{
    if (dr__rt_on)
        return dr__rt_thread_create(cpu, fn, arg, name);
    quiet_begin();
    uint32_t r = dr__fiber_thread_create(cpu, fn, arg, name);
    quiet_end();
    return r;
}

void dr_dpc_init(dr_dpc *dpc, dr_fn fn, void *arg, const char *name)
{
    quiet_begin();
    dr__dpc_init(dpc, fn, arg, name);
    quiet_end();
}

bool dr_dpc_queue(dr_dpc *dpc, unsigned cpu)
{
    if (dr__rt_on)
        return dr__rt_dpc_queue(dpc, cpu);
    quiet_begin();
    bool r = dr__fiber_dpc_queue(dpc, cpu);
    quiet_end();
    return r;
}

bool dr_dpc_remove(dr_dpc *dpc)
{
    if (dr__rt_on)
        return dr__rt_dpc_remove(dpc);
    quiet_begin();
    bool r = dr__fiber_dpc_remove(dpc);
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
    dr__fiber_wait(ready, arg, site);
    quiet_end();
}

void dr_spinlock_init(dr_spinlock *lock, const char *name)
{
    quiet_begin();
    dr__spinlock_init(lock, name);
    quiet_end();
}

unsigned dr_spin_acquire(dr_spinlock *lock)
{
    if (dr__rt_on)
        return dr__rt_spin_acquire(lock);
    quiet_begin();
    unsigned r = dr__fiber_spin_acquire(lock);
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
    dr__fiber_spin_release(lock, old_irql);
    quiet_end();
}

void dr_event_init(dr_event *ev, dr_fn fn, void *arg, const char *name)
{
    quiet_begin();
    dr__event_init(ev, fn, arg, name);
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
    dr__vtimer_init(t, fn, arg, name);
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
    dr__fiber_trace(site, kind, id, value);
    quiet_end();
}

void dr_window(const dr_site *site)
{
    if (dr__rt_on) {
        dr__rt_resume(); /* the counters are under the framework lock */
        dr__window_hit(site);
        return;
    }
    quiet_begin();
    dr__window_hit(site);
    quiet_end();
}
