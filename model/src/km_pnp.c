/* km_pnp.c: the PnP and power manager, an environment actor. After the
 * device's first start it runs, on a passive thread of its own ("pnp"), the
 * events the environment asks for (power_cycles=N, pnp_stop,
 * surprise_remove, remove), each at a moment the scheduler chooses (an armed
 * dr_event: the execution cannot end while one is armed, so an event that has
 * not fired when everything else is done fires then). Each event runs the
 * driver's PnP and power callbacks in KMDF's order, as its state machines
 * run them (src/framework/shared/irphandlers/pnp/pnpstatemachine.cpp,
 * powerstatemachine.cpp, selfmanagediostatemachine.cpp); docs/model-pnp.md.
 *
 * PnP and power callbacks run at PASSIVE_LEVEL on the pnp thread, under no
 * framework lock (KMDF synchronises them with neither the device's nor a
 * queue's callback lock). The enhanced verifier's V34 applies to each. */
#include "km.h"

#include <string.h>

DR_SITE(site_cpu, "pnp-cpu");
DR_SITE(site_wait_event, "pnp-wait-event");
DR_SITE(site_wait_requests, "pnp-remove-wait-requests");
DR_SITE(site_d0_entry, "EvtDeviceD0Entry");
DR_SITE(site_post_int, "EvtDeviceD0EntryPostInterruptsEnabled");
DR_SITE(site_pre_int, "EvtDeviceD0ExitPreInterruptsDisabled");
DR_SITE(site_d0_exit, "EvtDeviceD0Exit");
DR_SITE(site_prepare, "EvtDevicePrepareHardware");
DR_SITE(site_release, "EvtDeviceReleaseHardware");
DR_SITE(site_smio_init, "EvtDeviceSelfManagedIoInit");
DR_SITE(site_smio_suspend, "EvtDeviceSelfManagedIoSuspend");
DR_SITE(site_smio_restart, "EvtDeviceSelfManagedIoRestart");
DR_SITE(site_smio_flush, "EvtDeviceSelfManagedIoFlush");
DR_SITE(site_smio_cleanup, "EvtDeviceSelfManagedIoCleanup");
DR_SITE(site_query_stop, "EvtDeviceQueryStop");
DR_SITE(site_query_remove, "EvtDeviceQueryRemove");
DR_SITE(site_surprise, "EvtDeviceSurpriseRemoval");
DR_SITE(site_removed, "pnp-device-removed");

/* selfmanagediostatemachine.cpp FxSelfManagedIoMachine's states, as far as
 * the model goes: Created (nothing called), Started (Init or Restart
 * returned), Stopped (Suspend returned), Flushed, Final (Cleanup). */
typedef enum { SMIO_CREATED, SMIO_STARTED, SMIO_STOPPED, SMIO_FLUSHED, SMIO_FINAL } smio_state;

static struct {
    WDF_POWER_DEVICE_STATE power; /* FxPkgPnp::m_DevicePowerState: D3Final until the first D0 */
    bool hardware_off;            /* after D0Exit returned, before PrepareHardware / D0Entry */
    smio_state smio;
    km_object *raw, *translated;  /* the lists EvtDevicePrepareHardware got last */
    bool fired;                   /* the armed event fired */
    dr_event ev;
    bool removed;                 /* the device object was deleted */
} P;

void km_pnp_reset(void)
{
    memset(&P, 0, sizeof P);
    P.power = WdfPowerDeviceD3Final;
}

void km_pnp_resources(km_object *raw, km_object *translated)
{
    P.raw = raw;
    P.translated = translated;
}

bool km_pnp_hardware_off(void) { return P.hardware_off; }

static WDFDEVICE dev_handle(void) { return (WDFDEVICE)km_handle(km_w.device); }
static const WDF_PNPPOWER_EVENT_CALLBACKS *cbs(void) { return &km_w.device->u.dev.pnp; }

/* Around each callback: trace it (value: the power state it gets, or 0),
 * remember the IRQL; after it, V34 (vfeventhooks.cpp hooks the PnP and power
 * callbacks). Returns false if a finding fired. */
static unsigned cb_begin(const dr_site *site, int64_t value)
{
    km_trace(site, km_w.device, value);
    return dr_irql();
}

static bool cb_end(unsigned irql, const dr_site *site)
{
    if (dr_in_task())
        dr_framework_resume();
    if (dr_failed())
        return false;
    km_callback_irql_check(irql, site->name, true);
    return !dr_failed();
}

/* A callback that may fail: a failure is an oracle finding (KMDF fails the
 * device: its state machine moves to a failed state), unless `veto`. */
static bool failed(NTSTATUS st, const char *callback)
{
    if (NT_SUCCESS(st))
        return false;
    km_oracle("CALLBACK-FAILED", "PnP/power callback failed", "%s returned %#x: KMDF fails the device (the model does not go on)",
              callback, (unsigned)st);
    return true;
}

/* ---- self-managed I/O (selfmanagediostatemachine.cpp) ------------------------------------ */

/* FxSelfManagedIoMachine::Start: Init the first time (Created), Restart
 * after a Suspend (Stopped). */
static bool smio_start(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    NTSTATUS st = STATUS_SUCCESS;
    if (P.smio == SMIO_CREATED && pnp->EvtDeviceSelfManagedIoInit) {
        unsigned irql = cb_begin(&site_smio_init, 0);
        st = pnp->EvtDeviceSelfManagedIoInit(dev_handle()); /* FxSelfManagedIoMachine::Init */
        if (!cb_end(irql, &site_smio_init) || failed(st, "EvtDeviceSelfManagedIoInit"))
            return false;
    } else if (P.smio == SMIO_STOPPED && pnp->EvtDeviceSelfManagedIoRestart) {
        unsigned irql = cb_begin(&site_smio_restart, 0);
        st = pnp->EvtDeviceSelfManagedIoRestart(dev_handle()); /* FxSelfManagedIoMachine::Restarting */
        if (!cb_end(irql, &site_smio_restart) || failed(st, "EvtDeviceSelfManagedIoRestart"))
            return false;
    }
    P.smio = SMIO_STARTED;
    return true;
}

/* FxSelfManagedIoMachine::Suspending: only from Started. */
static bool smio_suspend(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    if (P.smio != SMIO_STARTED)
        return true;
    P.smio = SMIO_STOPPED;
    if (!pnp->EvtDeviceSelfManagedIoSuspend)
        return true;
    unsigned irql = cb_begin(&site_smio_suspend, 0);
    NTSTATUS st = pnp->EvtDeviceSelfManagedIoSuspend(dev_handle());
    return cb_end(irql, &site_smio_suspend) && !failed(st, "EvtDeviceSelfManagedIoSuspend");
}

/* FxSelfManagedIoMachine::Flushing (from Stopped, or Created: never
 * started) and Cleanup (from Flushed). */
static bool smio_flush(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    P.smio = SMIO_FLUSHED;
    if (!pnp->EvtDeviceSelfManagedIoFlush)
        return true;
    unsigned irql = cb_begin(&site_smio_flush, 0);
    pnp->EvtDeviceSelfManagedIoFlush(dev_handle());
    return cb_end(irql, &site_smio_flush);
}

static bool smio_cleanup(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    P.smio = SMIO_FINAL;
    if (!pnp->EvtDeviceSelfManagedIoCleanup)
        return true;
    unsigned irql = cb_begin(&site_smio_cleanup, 0);
    pnp->EvtDeviceSelfManagedIoCleanup(dev_handle());
    return cb_end(irql, &site_smio_cleanup);
}

/* The first start's last step (km_world.c calls it after
 * EvtDeviceD0EntryPostInterruptsEnabled): powerstatemachine.cpp
 * PowerD0StartingStartSelfManagedIo resumes the power-managed queues (a no-op
 * here: no request reached a queue yet, the I/O manager starts after this),
 * then starts self-managed I/O (EvtDeviceSelfManagedIoInit), then the device
 * is in D0. */
bool km_pnp_first_start(void)
{
    if (!smio_start())
        return false;
    P.power = WdfPowerDeviceD0;
    return true;
}

/* ---- power down and up (powerstatemachine.cpp) ------------------------------------------- */

/* Down to `target`. Explicit (a Dx IRP: PowerGotoDx, then
 * PowerGotoDxIoStoppedCommon) and implicit (D3Final for stop and removal:
 * PowerGotoD3Stopped) run the same steps:
 *   EvtDeviceSelfManagedIoSuspend (m_SelfManagedIoMachine->Suspend),
 *   the power-managed queues held (FxPkgIo::StopProcessingForPower(Hold):
 *     EvtIoStop for the requests the driver owns),
 *   [EvtDeviceD0ExitPreHardwareDisabled, a class-extension callback, and
 *     PowerDmaPowerDown: not modelled],
 *   EvtDeviceD0ExitPreInterruptsDisabled(target),
 *   interrupts disabled and disconnected (NotifyResourceObjectsDx),
 *   EvtDeviceD0Exit(target); then m_DevicePowerState = target. */
static bool power_down(WDF_POWER_DEVICE_STATE target)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    if (!smio_suspend())
        return false;
    km_queue_power_stop(false);
    if (dr_failed())
        return false;
    if (pnp->EvtDeviceD0ExitPreInterruptsDisabled) {
        unsigned irql = cb_begin(&site_pre_int, target);
        NTSTATUS st = pnp->EvtDeviceD0ExitPreInterruptsDisabled(dev_handle(), target);
        if (!cb_end(irql, &site_pre_int) || failed(st, "EvtDeviceD0ExitPreInterruptsDisabled"))
            return false;
    }
    km_interrupt_disconnect_all(target == WdfPowerDeviceD3Final);
    if (dr_failed())
        return false;
    if (pnp->EvtDeviceD0Exit) {
        unsigned irql = cb_begin(&site_d0_exit, target);
        NTSTATUS st = pnp->EvtDeviceD0Exit(dev_handle(), target);
        if (!cb_end(irql, &site_d0_exit) || failed(st, "EvtDeviceD0Exit"))
            return false;
    }
    P.hardware_off = true;
    P.power = target;
    return true;
}

/* Back to D0 from m_DevicePowerState (PowerWaking and on for a Dx IRP;
 * PowerD0Starting and on after a restart, from D3Final):
 *   EvtDeviceD0Entry(previous),
 *   interrupts connected and EvtInterruptEnable (NotifyResourceObjectsD0),
 *   EvtDeviceD0EntryPostInterruptsEnabled(previous),
 *   [PowerWakingDmaEnable / PowerD0StartingDmaEnable: not modelled],
 *   the power-managed queues resumed (FxPkgIo::ResumeProcessingForPower:
 *     EvtIoResume), then self-managed I/O restarted
 *     (EvtDeviceSelfManagedIoRestart): PowerStartSelfManagedIo and
 *     PowerD0StartingStartSelfManagedIo, in that order;
 *   m_DevicePowerState = D0. */
static bool power_up(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    WDF_POWER_DEVICE_STATE previous = P.power;
    P.hardware_off = false;
    if (pnp->EvtDeviceD0Entry) {
        unsigned irql = cb_begin(&site_d0_entry, previous);
        NTSTATUS st = pnp->EvtDeviceD0Entry(dev_handle(), previous);
        if (!cb_end(irql, &site_d0_entry) || failed(st, "EvtDeviceD0Entry"))
            return false;
    }
    NTSTATUS st = km_interrupt_connect_all();
    if (dr_failed() || failed(st, "EvtInterruptEnable"))
        return false;
    if (pnp->EvtDeviceD0EntryPostInterruptsEnabled) {
        unsigned irql = cb_begin(&site_post_int, previous);
        st = pnp->EvtDeviceD0EntryPostInterruptsEnabled(dev_handle(), previous);
        if (!cb_end(irql, &site_post_int) || failed(st, "EvtDeviceD0EntryPostInterruptsEnabled"))
            return false;
    }
    km_queue_power_resume();
    if (dr_failed() || !smio_start())
        return false;
    P.power = WdfPowerDeviceD0;
    return true;
}

/* ---- hardware ---------------------------------------------------------------------------- */

/* CHECK PNP2: dmarace's own (KMDF does not check): after
 * EvtDeviceReleaseHardware the device's resources are gone, so a DMA
 * transaction still in Transfer (the device may still be moving data, its
 * request referenced) or Initialized and never released (set up for a
 * transfer on hardware that no longer exists) is a bug. One that reached its
 * final DmaCompleted* (TransferCompleted, TransferFailed) holds neither the
 * request nor the hardware: reusing or deleting it later is fine. */
static bool transactions_released(void)
{
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        const km_object *o = &km_w.objects[i];
        if (o->state != KM_OBJ_LIVE || o->type != KM_T_DMATRANSACTION)
            continue;
        km_tx_state s = o->u.tx.state;
        if (s == KM_TX_INITIALIZED || s == KM_TX_TRANSFER) {
            km_own_check("PNP2", "EvtDeviceReleaseHardware", "DMA transaction not released after release hardware",
                         "TX%u is %s after EvtDeviceReleaseHardware returned: the device's resources are gone; "
                         "the transfer must be finished (DmaCompleted*) or the transaction released "
                         "(WdfDmaTransactionRelease) before",
                         o->id, km_tx_state_name(s));
            return false;
        }
    }
    return true;
}

/* pnpstatemachine.cpp FxPkgPnp::PnpReleaseHardware: EvtDeviceReleaseHardware
 * with the translated list, then the interrupts created in
 * EvtDevicePrepareHardware are deleted (FxInterrupt::OnPostReleaseHardware). */
static bool release_hardware(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    if (pnp->EvtDeviceReleaseHardware) {
        unsigned irql = cb_begin(&site_release, 0);
        NTSTATUS st = pnp->EvtDeviceReleaseHardware(dev_handle(), (WDFCMRESLIST)km_handle(P.translated));
        if (!cb_end(irql, &site_release) || failed(st, "EvtDeviceReleaseHardware"))
            return false;
    }
    km_interrupt_release_hardware();
    return !dr_failed() && transactions_released();
}

/* pnpstatemachine.cpp PnpEventStartingFromStopped: FxPkgPnp::PnpPrepareHardware
 * with fresh lists (the last ones are deleted: a handle kept from them is
 * stale), the bus having powered the device for the start. */
static bool prepare_hardware(void)
{
    km_object *old_raw = P.raw, *old_tr = P.translated;
    km_object *raw = km_world_resources(false), *translated = km_world_resources(true);
    if (!raw || !translated)
        return false;
    km_obj_delete(old_raw);
    km_obj_delete(old_tr);
    P.raw = raw;
    P.translated = translated;
    P.hardware_off = false;
    km_interrupt_prepare_hardware(raw, translated);
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    if (pnp->EvtDevicePrepareHardware) {
        unsigned irql = cb_begin(&site_prepare, 0);
        NTSTATUS st = pnp->EvtDevicePrepareHardware(dev_handle(), (WDFCMRESLIST)km_handle(raw),
                                                    (WDFCMRESLIST)km_handle(translated));
        if (!cb_end(irql, &site_prepare) || failed(st, "EvtDevicePrepareHardware"))
            return false;
    }
    km_interrupt_prepared();
    return true;
}

/* ---- the PnP events (pnpstatemachine.cpp) ------------------------------------------------ */

/* Query-stop, stop, restart: PnpEventQueryStopAskDriver (EvtDeviceQueryStop;
 * a failure vetoes: back to Started), PnpEventStartedStopping
 * (PnpPowerPolicyStop: the implicit power-down to D3Final), PnpEventStopped
 * (PnpReleaseHardware), then the start IRP: PnpEventStartingFromStopped
 * (PnpPrepareHardware) and PnpPowerPolicyStart (power up from D3Final:
 * PowerD0Starting ..., EvtDeviceSelfManagedIoRestart). */
static bool stop_restart(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    if (pnp->EvtDeviceQueryStop) {
        unsigned irql = cb_begin(&site_query_stop, 0);
        NTSTATUS st = pnp->EvtDeviceQueryStop(dev_handle());
        if (!cb_end(irql, &site_query_stop))
            return false;
        if (!NT_SUCCESS(st))
            return true; /* vetoed: the device stays started */
    }
    return power_down(WdfPowerDeviceD3Final) && release_hardware() && prepare_hardware() && power_up();
}

static bool all_completed(const void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < km_w.nrequests; i++)
        if (km_w.request_completions[i] == 0)
            return false;
    return true;
}

/* pnpstatemachine.cpp FxPkgPnp::PnpCleanupForRemove: the queues purged
 * (StopProcessingForPower(PurgeManaged); the model purges the
 * non-power-managed ones here too, where KMDF does it in
 * PnpEventRemovedCommonCode just before EvtDeviceSelfManagedIoCleanup), and
 * the purge waits until the driver owns no request: a request the driver
 * never completes keeps the remove IRP pending for ever, which ends the
 * execution as a deadlock of the pnp thread (CHECK PNP3). Then
 * EvtDeviceSelfManagedIoFlush. */
static bool cleanup_for_remove(void)
{
    km_queue_power_stop(true);
    if (dr_failed())
        return false;
    dr_wait(all_completed, NULL, &site_wait_requests);
    if (dr_failed())
        return false;
    return smio_flush();
}

/* The remove IRP: pnpstatemachine.cpp PnpEventRemovedCommonCode:
 * EvtDeviceSelfManagedIoCleanup, then the device's early dispose and
 * DestroyChildren (fxdevice.cpp): every child (queues, timers, DPCs, work
 * items, DMA enablers and their transactions, interrupts) disposed with its
 * rundown, the device's EvtCleanupCallback, and the object gone. A handle the
 * driver kept to any of them is stale from here (C11 and the other
 * stale-handle checks). */
static bool removed(void)
{
    if (!smio_cleanup())
        return false;
    km_trace(&site_removed, km_w.device, 0);
    P.removed = true;
    km_obj_delete(km_w.device);
    if (dr_failed())
        return false;
    /* The interrupts went with the device: forget them (their slots may be
     * reused), the lines stay quiet. */
    km_interrupt_reset();
    return true;
}

/* Surprise removal: PnpEventSurpriseRemoveIoStarted
 * (EvtDeviceSurpriseRemoval), PnpEventFailedIoStarting
 * (PnpPowerPolicySurpriseRemove: the implicit power-down to D3Final),
 * PnpEventFailedOwnHardware (PnpReleaseHardware), PnpEventFailed
 * (PnpCleanupForRemove(FALSE)); the remove IRP comes later. */
static bool surprise_remove(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    if (pnp->EvtDeviceSurpriseRemoval) {
        unsigned irql = cb_begin(&site_surprise, 0);
        pnp->EvtDeviceSurpriseRemoval(dev_handle());
        if (!cb_end(irql, &site_surprise))
            return false;
    }
    return power_down(WdfPowerDeviceD3Final) && release_hardware() && cleanup_for_remove();
}

/* Orderly removal: PnpEventQueryRemoveAskDriver (EvtDeviceQueryRemove; a
 * failure vetoes), PnpEventQueriedRemoving (PnpPowerPolicyStop: power-down to
 * D3Final), PnpEventRemovingDisableInterfaces (PnpReleaseHardware, then
 * PnpCleanupForRemove(TRUE)), PnpEventRemoved. */
static bool orderly_remove(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = cbs();
    if (pnp->EvtDeviceQueryRemove) {
        unsigned irql = cb_begin(&site_query_remove, 0);
        NTSTATUS st = pnp->EvtDeviceQueryRemove(dev_handle());
        if (!cb_end(irql, &site_query_remove))
            return false;
        if (!NT_SUCCESS(st))
            return true; /* vetoed */
    }
    return power_down(WdfPowerDeviceD3Final) && release_hardware() && cleanup_for_remove() && removed();
}

/* ---- the actor --------------------------------------------------------------------------- */

static void fire(void *arg)
{
    (void)arg;
    P.fired = true;
}

static bool has_fired(const void *arg)
{
    (void)arg;
    return P.fired;
}

/* Arm the next event and wait until the scheduler fires it. */
static bool wait_event(const char *name)
{
    P.fired = false;
    dr_event_init(&P.ev, fire, NULL, name);
    dr_event_arm(&P.ev);
    dr_wait(has_fired, NULL, &site_wait_event);
    return !dr_failed();
}

static void actor(void *arg)
{
    (void)arg;
    const km_env *env = &km_w.env;
    for (unsigned i = 0; i < env->power_cycles; i++) {
        /* A Dx IRP (system sleep or idle) to D3, later the D0 IRP. */
        if (!wait_event("pnp-power-down") || !power_down(WdfPowerDeviceD3))
            return;
        if (!wait_event("pnp-power-up") || !power_up())
            return;
    }
    if (env->pnp_stop && (!wait_event("pnp-stop") || !stop_restart()))
        return;
    if (env->surprise_remove) {
        if (!wait_event("pnp-surprise-remove") || !surprise_remove())
            return;
        if (!wait_event("pnp-remove") || !removed())
            return;
    } else if (env->remove) {
        if (!wait_event("pnp-remove"))
            return;
        orderly_remove();
    }
}

void km_pnp_arm(void)
{
    const km_env *env = &km_w.env;
    if (env->power_cycles == 0 && !env->pnp_stop && !env->surprise_remove && !env->remove)
        return;
    unsigned cpu = dr_choose(&site_cpu, dr_cpus());
    dr_thread_create(cpu, actor, NULL, "pnp");
}
