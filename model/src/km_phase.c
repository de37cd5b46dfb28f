/* km_phase.c: the phases of a request's life, as race windows (dr_window).
 *
 * A search that fires the environment's events (a cancel, a timeout, the
 * hardware's completion) at nearly every decision ends most executions in
 * the first transfer; a bug that needs the last transfer in flight when a
 * cancel, a timeout or a stop arrives is then orders of magnitude rarer than
 * it should be. These windows measure how often a campaign reaches each
 * phase: the campaign summary gives each one's reach and warns when one the
 * model declared possible (its parties exist in the execution) was never
 * reached. They touch no trace and no digest.
 *
 *   first         DmaCompleted* on the first of several transfers
 *   last          DmaCompleted* on the last of several transfers
 *   stop-last     StopSystemTransfer while the last of several transfers runs
 *   cancel-mid    IoCancelIrp after a transfer completed, before the last did
 *   timer-mid     EvtTimerFunc while a transaction transfers
 *   no-cancel     a request completed that could be cancelled and was not
 *
 * Declared possible: first, last, and (when the request may be cancelled)
 * cancel-mid at the Execute of a transaction longer than one transfer;
 * timer-mid at an Execute while a timer object exists; stop-last at a
 * StopSystemTransfer on a transaction longer than one transfer; no-cancel
 * when a request's IoCancelIrp is armed. */
#include "km.h"

DR_SITE(win_first, "phase: the first of several transfers completes");
DR_SITE(win_last, "phase: the last of several transfers completes");
DR_SITE(win_stop_last, "phase: StopSystemTransfer during the last of several transfers");
DR_SITE(win_cancel_mid, "phase: a cancel after a transfer completed, before the last did");
DR_SITE(win_timer_mid, "phase: a timer callback while a transaction transfers");
DR_SITE(win_no_cancel, "phase: a cancellable request completed without a cancel");

static bool several(const km_dmatx *t) { return t->length > t->max_fragment; }

static bool any_live(km_type type)
{
    for (uint32_t i = 0; i < km_w.nobjects; i++)
        if (km_w.objects[i].type == type && km_w.objects[i].state == KM_OBJ_LIVE)
            return true;
    return false;
}

void km_phase_execute(const km_object *o)
{
    const km_dmatx *t = &o->u.tx;
    if (several(t)) {
        dr_window_possible(&win_first);
        dr_window_possible(&win_last);
        if (t->request && dr_event_armed(&t->request->u.req.cancel_event))
            dr_window_possible(&win_cancel_mid);
    }
    if (any_live(KM_T_TIMER))
        dr_window_possible(&win_timer_mid);
}

void km_phase_dma_completed(const km_object *o)
{
    const km_dmatx *t = &o->u.tx;
    if (t->transfers == 1 && t->remaining > 0)
        dr_window(&win_first);
    if (t->transfers >= 2 && t->remaining == 0)
        dr_window(&win_last);
}

void km_phase_stop(const km_object *o)
{
    const km_dmatx *t = &o->u.tx;
    if (t->state != KM_TX_TRANSFER || !several(t))
        return;
    dr_window_possible(&win_stop_last);
    if (t->transfers >= 2 && t->remaining == 0)
        dr_window(&win_stop_last);
}

/* A live transaction in Transfer (of request req, unless NULL) with at
 * least `done` bytes transferred. */
static bool transferring(const km_object *req, size_t done)
{
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        const km_object *o = &km_w.objects[i];
        if (o->type == KM_T_DMATRANSACTION && o->state == KM_OBJ_LIVE && o->u.tx.state == KM_TX_TRANSFER &&
            (!req || o->u.tx.request == req) && o->u.tx.transferred >= done)
            return true;
    }
    return false;
}

void km_phase_cancel(const km_object *req)
{
    if (transferring(req, 1))
        dr_window(&win_cancel_mid);
}

void km_phase_timer_callback(void)
{
    if (transferring(NULL, 0))
        dr_window(&win_timer_mid);
}

void km_phase_cancel_armed(void) { dr_window_possible(&win_no_cancel); }

void km_phase_request_completed(const km_object *req)
{
    if (km_w.env.cancel && dr_event_armed(&req->u.req.cancel_event))
        dr_window(&win_no_cancel);
}
