/* dr_clock.c: one-shot environment events and the virtual clock's timers.
 * Armed events, and the earliest armed timer, are options at every
 * scheduling decision; firing a timer moves the clock to its due time.
 * Both modes keep their armed events and timers here (real-thread mode
 * under its framework lock). */
#include "dr_fault.h"
#include "dr_internal.h"
#include "dr_quiet.h"

#include <string.h>

#define G dr__g

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
    G.handler_origin = origin;
    G.in_handler = true;
    quiet_end(); /* the handler is model code: TSan sees it */
    fn(arg);
    quiet_begin();
    G.in_handler = false;
    G.handler_origin = NULL;
}

static void event_take(dr_event *ev)
{
    event_remove(ev);
    ev->slot = -1; /* disarmed before the handler runs: it may arm it again */
}

static dr_vtimer *timer_take_earliest(void)
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

void dr__fire_event(dr_event *ev)
{
    event_take(ev);
    dr__note(DR_TR_FIRE, NULL, ev->actor, ev->name);
    run_handler(ev->fn, ev->arg, ev);
}

void dr__fire_timer(void)
{
    dr_vtimer *best = timer_take_earliest();
    dr__note(DR_TR_TIMER, NULL, (uint32_t)G.now, best->name);
    run_handler(best->fn, best->arg, best);
}

void dr__event_init(dr_event *ev, dr_fn fn, void *arg, const char *name)
{
    *ev = (dr_event){fn, arg, name, 0, 0, -1};
}

bool dr_event_armed(const dr_event *ev)
{
    return ev->exec == G.exec && ev->slot >= 0;
}

void dr__event_arm(dr_event *ev)
{
    if (ev->exec != G.exec) {
        ev->exec = G.exec;
        ev->actor = G.next_actor++;
        ev->slot = -1;
    }
    if (ev->slot >= 0)
        return;
    if (G.nevents == DR_MAX_EVENTS) {
        DR_FAULT(EVENT_LIMIT, DR_MAX_EVENTS);
        return;
    }
    ev->slot = 1;
    G.events[G.nevents++] = ev;
    if (dr_in_task())
        dr_hb_release(ev); /* what the armer did happens-before the work the event starts */
}

bool dr__event_disarm(dr_event *ev)
{
    if (!dr_event_armed(ev))
        return false;
    event_remove(ev);
    ev->slot = -1;
    return true;
}

uint64_t dr_now(void) { return G.now; }

void dr__vtimer_init(dr_vtimer *t, dr_fn fn, void *arg, const char *name)
{
    *t = (dr_vtimer){.fn = fn, .arg = arg, .name = name};
}

static bool vtimer_armed(const dr_vtimer *t) { return t->exec == G.exec && t->armed; }

bool dr__vtimer_set(dr_vtimer *t, uint64_t due)
{
    bool was = vtimer_armed(t);
    if (!was) {
        if (G.ntimers == DR_MAX_EVENTS) {
            DR_FAULT(TIMER_LIMIT, DR_MAX_EVENTS);
            return false;
        }
        G.timers[G.ntimers++] = t;
    }
    t->exec = G.exec;
    t->armed = true;
    if (dr_in_task())
        dr_hb_release(t);
    t->due = due < G.now ? G.now : due;
    t->seq = ++G.timer_seq;
    return was;
}

bool dr__vtimer_cancel(dr_vtimer *t)
{
    if (!vtimer_armed(t))
        return false;
    timer_remove(t);
    t->armed = false;
    return true;
}

uint32_t dr__clock_options(void) { return G.nevents + (G.ntimers ? 1 : 0); }

const void *dr__clock_take(uint32_t k, dr_fn *fn, void **arg)
{
    if (k < G.nevents) {
        dr_event *ev = G.events[k];
        event_take(ev);
        *fn = ev->fn;
        *arg = ev->arg;
        return ev;
    }
    dr_vtimer *t = timer_take_earliest();
    *fn = t->fn;
    *arg = t->arg;
    return t;
}

void dr__clock_reset(void)
{
    memset(G.events, 0, G.nevents * sizeof G.events[0]);
    memset(G.timers, 0, G.ntimers * sizeof G.timers[0]);
    G.nevents = G.ntimers = 0;
    G.now = G.timer_seq = 0;
}
