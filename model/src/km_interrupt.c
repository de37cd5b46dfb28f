/* km_interrupt.c: the device's interrupt lines (km_device.h) and WDFINTERRUPT.
 * docs/model-interrupt.md.
 *
 * A line is one of the device's interrupt resources (km_env's interrupts=N),
 * asserted and deasserted by the scenario's device model. Level-sensitive (the
 * default): it interrupts while asserted, and again after the ISR returns as
 * long as it stays asserted. Latched (interrupt_latched: an edge or a message):
 * one interrupt per assert. A line is only a wire: with no WDFINTERRUPT
 * connected to it (connected at D0, disconnected by WdfInterruptDisable)
 * nothing is delivered, but it stays asserted, so connecting or enabling one
 * later interrupts at once. Lines are deasserted at each
 * execution start (km_interrupt_reset, from km_world_start). */
#include "km.h"
#include "km_device.h"
#include "km_hb.h"

#include <stdio.h>
#include <string.h>

DR_SITE(site_assert, "irq-assert");
DR_SITE(site_deassert, "irq-deassert");

enum { KM_INTR_MAX = 8 };

static struct {
    bool asserted[KM_ENV_MAX_INTERRUPTS];
    km_object *intr[KM_INTR_MAX];    /* the device's interrupts in creation order (m_InterruptListHead) */
    unsigned n;
    enum { PH_ADD, PH_PREPARE, PH_STARTED } phase; /* EvtDriverDeviceAdd, EvtDevicePrepareHardware, after */
    km_object *raw, *translated;     /* the lists EvtDevicePrepareHardware gets */
    unsigned spurious;               /* spurious interrupts raised in this execution */
    bool d0;                         /* the D0 connection step has begun */
} L;

static void line_changed(unsigned line);

void km_interrupt_reset(void) { memset(&L, 0, sizeof L); }

/* A line the device does not have: the scenario's device model is wrong. */
static bool bad_line(const char *api, unsigned line)
{
    if (line < km_w.env.interrupts)
        return false;
    km_oracle("ENV", "device model: no such interrupt line",
              "%s(%u): the device has %u interrupt resource(s) (km_env interrupts=)", api, line,
              km_w.env.interrupts);
    return true;
}

bool km_device_irq_asserted(unsigned line) { return line < KM_ENV_MAX_INTERRUPTS && L.asserted[line]; }

void km_device_irq_assert(unsigned line)
{
    if (bad_line("km_device_irq_assert", line))
        return;
    L.asserted[line] = true;
    dr_trace(&site_assert, NULL, 0, (int64_t)line);
    line_changed(line);
}

void km_device_irq_deassert(unsigned line)
{
    if (bad_line("km_device_irq_deassert", line))
        return;
    L.asserted[line] = false;
    dr_trace(&site_deassert, NULL, 0, (int64_t)line);
    line_changed(line);
}

/* ==== WDFINTERRUPT ========================================================================
 *
 * An interrupt object (FxInterrupt) gets its resource either from the lists
 * EvtDevicePrepareHardware sees, when the driver creates it there
 * (InterruptRaw / InterruptTranslated), or, created in EvtDriverDeviceAdd,
 * as KMDF assigns them: the i-th interrupt descriptor to the i-th interrupt
 * created (pnpstatemachine.cpp FxPkgPnp::PnpPrepareHardware's loop over the
 * resources, FxInterrupt::AssignResources). At D0 (after EvtDeviceD0Entry,
 * before EvtDeviceD0EntryPostInterruptsEnabled: powerstatemachine.cpp
 * PowerD0StartingConnectInterrupt) each is connected, then EvtInterruptEnable
 * runs at its DIRQL under its spin lock (FxInterrupt::Connect,
 * InterruptEnable: KeSynchronizeExecution).
 *
 * While connected, its line interrupts: the model raises the engine's ISR on
 * a processor the tape chooses (the descriptor's affinity is every
 * processor); the ISR takes the interrupt spin lock at the synchronize IRQL
 * (dr_spin_acquire_at: an ISR whose lock another processor holds spins) and
 * calls EvtInterruptIsr(Interrupt, MessageID) (interruptobjectkm.cpp
 * _InterruptThunk), then, on a level-sensitive line the device still
 * asserts, the kernel interrupts again. A spurious or shared-line interrupt
 * (env spurious_interrupts) reaches the ISR with the line deasserted. */

enum {
    MAX_INTERRUPTS = KM_INTR_MAX, /* WDFINTERRUPTs per device in the model */
    STORM_LIMIT = 32,   /* ISR returns in a row with the level line still asserted: INT1 */
    SPURIOUS_MAX = 2,   /* spurious interrupts per execution (so that an execution ends) */
};

DR_SITE(site_create, "WdfInterruptCreate");
DR_SITE(site_queue_dpc, "WdfInterruptQueueDpcForIsr");
DR_SITE(site_queue_wi, "WdfInterruptQueueWorkItemForIsr");
DR_SITE(site_sync, "WdfInterruptSynchronize");
DR_SITE(site_acquire, "WdfInterruptAcquireLock");
DR_SITE(site_release, "WdfInterruptReleaseLock");
DR_SITE(site_try, "WdfInterruptTryToAcquireLock");
DR_SITE(site_enable, "WdfInterruptEnable");
DR_SITE(site_disable, "WdfInterruptDisable");
DR_SITE(site_wdm, "WdfInterruptWdmGetInterrupt");
DR_SITE(site_info, "WdfInterruptGetInfo");
DR_SITE(site_policy, "WdfInterruptSetPolicy");
DR_SITE(site_ext_policy, "WdfInterruptSetExtendedPolicy");
DR_SITE(site_get_device, "WdfInterruptGetDevice");
DR_SITE(site_isr_cpu, "interrupt-cpu");
DR_SITE(site_raise, "interrupt-raised");
DR_SITE(site_isr, "EvtInterruptIsr");
DR_SITE(site_isr_return, "EvtInterruptIsr-returned");
DR_SITE_CAUSED(site_dpc, "EvtInterruptDpc", "WdfInterruptQueueDpcForIsr");
DR_SITE_CAUSED(site_wi, "EvtInterruptWorkItem", "WdfInterruptQueueWorkItemForIsr");
DR_SITE(site_wi_cpu, "interrupt-work-item-cpu");
DR_SITE(site_enable_cb, "EvtInterruptEnable");
DR_SITE(site_disable_cb, "EvtInterruptDisable");
DR_SITE(site_connect, "interrupt-connect");
DR_SITE(site_disconnect, "interrupt-disconnect");
DR_SITE(site_flush, "interrupt-flush-dpc");
DR_SITE(site_flush_wi, "interrupt-flush-work-item");
DR_SITE(site_wait_isr, "interrupt-disconnect-wait-isr");

static bool level(const km_interrupt *it) { return it->info.Mode == LevelSensitive; }

/* The connected interrupt on a line, or NULL. */
static km_object *on_line(unsigned line)
{
    for (unsigned i = 0; i < L.n; i++) {
        km_object *o = L.intr[i];
        if (o->u.intr.line == (int)line && o->u.intr.connected)
            return o;
    }
    return NULL;
}

/* The kernel interrupts a processor the tape chooses. A real interrupt
 * pending makes a pending spurious one real. */
static void raise_isr(km_object *o, bool spurious)
{
    km_interrupt *it = &o->u.intr;
    if (dr_isr_pending(&it->isr)) {
        if (!spurious)
            it->isr_spurious = false;
        return;
    }
    unsigned cpu = dr_choose(&site_isr_cpu, dr_cpus());
    it->isr_spurious = spurious;
    dr_isr_raise(&it->isr, cpu);
    km_trace(&site_raise, o, (int64_t)cpu);
}

/* The line changed (km_device_irq_assert / deassert). A level line
 * interrupts unless the ISR runs (it re-interrupts as the ISR returns) and
 * withdraws a pending interrupt when deasserted; a latched line interrupts
 * once per assert (pending again if the ISR runs). */
static void line_changed(unsigned line)
{
    km_object *o = on_line(line);
    if (!o)
        return;
    km_interrupt *it = &o->u.intr;
    if (L.asserted[line]) {
        if (level(it) && it->isr_task)
            return;
        raise_isr(o, false);
    } else if (level(it) && dr_isr_pending(&it->isr) && !it->isr_spurious)
        dr_isr_withdraw(&it->isr);
}

static void storm(km_object *o, bool claimed)
{
    char title[160];
    snprintf(title, sizeof title, "LIVELOCK INT1: EvtInterruptIsr: interrupt storm (the driver does not "
                                  "acknowledge its device)");
    dr_fail_rule(DR_FIND_LIVELOCK, "INT1", title,
                 "INT%u's EvtInterruptIsr returned %s %d times in a row with its level-sensitive line %d still "
                 "asserted: the kernel interrupts again at once each time, and nothing else runs on that processor "
                 "(Windows' storm detection: bug check 0xF2 HARDWARE_INTERRUPT_STORM). The ISR must make the device "
                 "deassert the line (acknowledge the interrupt cause) when it claims it",
                 o->id, claimed ? "TRUE" : "FALSE", STORM_LIMIT, o->u.intr.line);
}

/* FxInterrupt::_InterruptThunk (DIRQL handling): the kernel holds the
 * interrupt spin lock at the synchronize IRQL around the service routine. */
static void isr_fn(void *arg)
{
    km_object *o = arg;
    km_interrupt *it = &o->u.intr;
    bool spurious = it->isr_spurious;
    it->isr_spurious = false;
    it->isr_task = dr_current_task();
    km_trace(&site_isr, o, spurious);
    unsigned old = dr_spin_acquire_at(it->lock, it->sync_irql);
    if (dr_failed())
        return;
    km_hb_section_begin(it->lock);
    unsigned irql = dr_irql();
    BOOLEAN claimed = it->config.EvtInterruptIsr((WDFINTERRUPT)km_handle(o), it->info.MessageNumber);
    dr_framework_resume();
    if (dr_failed())
        return;
    if (km_w.env.strict_irql_exit) {
        km_callback_irql_check(irql, "EvtInterruptIsr", false);
        if (dr_failed())
            return;
    }
    km_hb_section_end(it->lock);
    dr_spin_release(it->lock, old);
    if (dr_failed())
        return;
    it->isr_task = 0;
    km_trace(&site_isr_return, o, claimed);
    if (it->line >= 0 && level(it) && L.asserted[it->line] && it->connected) {
        if (++it->unacked >= STORM_LIMIT) {
            storm(o, claimed);
            return;
        }
        raise_isr(o, false);
    } else if (!spurious)
        it->unacked = 0;
}

/* A spurious interrupt, or another device's on a shared line: the ISR is
 * called although this device may not have interrupted. */
static void spurious_fire(void *arg)
{
    km_object *o = arg;
    km_interrupt *it = &o->u.intr;
    if (!it->connected || L.spurious >= SPURIOUS_MAX)
        return;
    L.spurious++;
    raise_isr(o, true);
    if (L.spurious < SPURIOUS_MAX)
        dr_event_arm(&it->spurious);
}

/* ---- DPC and work item ----------------------------------------------------------------- */

/* FxInterrupt::WorkItemHandler: under m_CallbackLock with AutomaticSerialization. */
static void wi_fn(void *arg)
{
    km_object *o = arg;
    km_interrupt *it = &o->u.intr;
    it->wi_queued = false; /* FxSystemWorkItem: m_Enqueued drops as it starts */
    it->wi_running++;
    km_trace(&site_wi, o, 0);
    unsigned old = 0;
    if (it->cb_lock) {
        old = km_cblock_acquire(it->cb_lock, "EvtInterruptWorkItem");
        if (dr_failed())
            return;
    }
    it->config.EvtInterruptWorkItem((WDFINTERRUPT)km_handle(o), (WDFOBJECT)km_handle(it->device));
    dr_framework_resume();
    if (dr_failed())
        return;
    if (it->cb_lock)
        km_cblock_release(it->cb_lock, old);
    it->wi_running--;
}

/* FxSystemWorkItem::TryToEnqueue: FALSE while one is enqueued. */
static bool enqueue_work_item(km_object *o)
{
    km_interrupt *it = &o->u.intr;
    if (it->wi_queued)
        return false;
    it->wi_queued = true;
    unsigned cpu = dr_choose(&site_wi_cpu, dr_cpus());
    dr_thread_create(cpu, wi_fn, o, "interrupt-work-item");
    return true;
}

/* FxInterrupt::_InterruptDpcThunk: the work item if there is one, else
 * DpcHandler: EvtInterruptDpc under m_CallbackLock. */
static void dpc_fn(void *arg)
{
    km_object *o = arg;
    km_interrupt *it = &o->u.intr;
    it->dpc_queued = false;
    if (it->config.EvtInterruptWorkItem) {
        enqueue_work_item(o);
        return;
    }
    it->dpc_running++;
    km_trace(&site_dpc, o, 0);
    if (!it->config.EvtInterruptDpc) {
        km_crash("INT8", "WdfInterruptQueueDpcForIsr", "no EvtInterruptDpc",
                 "INT%u's DPC ran but the interrupt has no EvtInterruptDpc: KMDF calls a NULL pointer "
                 "(interruptobjectkm.cpp DpcHandler; only its checked build asserts in QueueDpcForIsr)",
                 o->id);
        return;
    }
    unsigned old = 0;
    if (it->cb_lock) {
        old = km_cblock_acquire(it->cb_lock, "EvtInterruptDpc");
        if (dr_failed())
            return;
    }
    unsigned irql = dr_irql();
    it->config.EvtInterruptDpc((WDFINTERRUPT)km_handle(o), (WDFOBJECT)km_handle(it->device));
    dr_framework_resume();
    if (dr_failed())
        return;
    if (km_w.env.strict_irql_exit) {
        km_callback_irql_check(irql, "EvtInterruptDpc", false);
        if (dr_failed())
            return;
    }
    if (it->cb_lock)
        km_cblock_release(it->cb_lock, old);
    it->dpc_running--;
}

/* ---- creation ----------------------------------------------------------------------------- */

/* FxInterrupt::AssignResources: m_InterruptInfo from the translated descriptor. */
static void assign(km_object *o, const CM_PARTIAL_RESOURCE_DESCRIPTOR *tr, int line)
{
    km_interrupt *it = &o->u.intr;
    it->line = line;
    it->info.Group = 0;
    it->info.TargetProcessorSet = tr->u.Interrupt.Affinity;
    it->info.ShareDisposition = tr->ShareDisposition;
    it->info.Mode = tr->Flags & CM_RESOURCE_INTERRUPT_LATCHED ? Latched : LevelSensitive;
    it->info.Irql = (KIRQL)tr->u.Interrupt.Level;
    it->info.MessageSignaled = FALSE; /* the model's descriptors are lines, not messages */
    it->info.Vector = tr->u.Interrupt.Vector;
}

/* The interrupt descriptor `d` of a resource list: its line (the number of
 * interrupt descriptors before it), or -1 if d is not one. */
static int line_of(const km_object *list, const CM_PARTIAL_RESOURCE_DESCRIPTOR *d, ULONG *index)
{
    if (!list)
        return -1;
    const km_reslist *r = &list->u.res;
    int line = 0;
    for (ULONG i = 0; i < r->count; i++) {
        if (&r->desc[i] == d) {
            if (d->Type != CmResourceTypeInterrupt)
                return -1;
            *index = i;
            return line;
        }
        line += r->desc[i].Type == CmResourceTypeInterrupt;
    }
    return -1;
}

void km_interrupt_prepare_hardware(km_object *raw, km_object *translated)
{
    L.phase = PH_PREPARE;
    L.raw = raw;
    L.translated = translated;
    /* The interrupts EvtDriverDeviceAdd created, in creation order, get the
     * interrupt descriptors in list order; extra ones get none (Vector 0:
     * never connected). */
    const km_reslist *r = &translated->u.res;
    unsigned next = 0;
    int line = 0;
    for (ULONG i = 0; i < r->count; i++) {
        if (r->desc[i].Type != CmResourceTypeInterrupt)
            continue;
        while (next < L.n && L.intr[next]->u.intr.in_prepare_hardware)
            next++;
        if (next == L.n)
            break;
        assign(L.intr[next++], &r->desc[i], line++);
    }
}

void km_interrupt_prepared(void) { L.phase = PH_STARTED; }

unsigned km_interrupt_count(void) { return L.n; }

/* The object whose callback lock an interrupt's DPC or work item takes: the
 * parent (a device or one of its queues). */
static bool parent_ok(const km_object *parent, const km_object *dev)
{
    if (parent == dev)
        return true;
    return parent->type == KM_T_QUEUE && parent->u.q.device == dev;
}

NTSTATUS WdfInterruptCreate(WDFDEVICE Device, PWDF_INTERRUPT_CONFIG Configuration,
                            PWDF_OBJECT_ATTRIBUTES Attributes, WDFINTERRUPT *Interrupt)
{
    const char *api = "WdfInterruptCreate";
    if (!km_enter(&site_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *dev = km_lookup(Device, KM_T_DEVICE, api, false);
    if (!dev)
        return STATUS_INVALID_HANDLE;
    if (!Configuration || !Interrupt) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s is NULL",
                    Configuration ? "Interrupt" : "Configuration");
        return STATUS_INVALID_PARAMETER;
    }
    /* fxinterruptapi.cpp WdfInterruptCreate, in its order. The model knows
     * only the 1.33 structure size. */
    if (Configuration->Size != sizeof(WDF_INTERRUPT_CONFIG))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!Configuration->EvtInterruptIsr)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = km_validate_attributes(Attributes, Configuration->AutomaticSerialization
                                                         ? 0
                                                         : KM_ATTRS_PARENT_NOT_ALLOWED);
    if (!NT_SUCCESS(st))
        return st;
    km_object *parent = dev;
    if (Attributes && Attributes->ParentObject) {
        parent = km_lookup_any(Attributes->ParentObject, api, false);
        if (!parent)
            return STATUS_INVALID_HANDLE;
    }
    /* Only in EvtDriverDeviceAdd (WdfDevStatePnpInit) or EvtDevicePrepareHardware. */
    if (L.phase == PH_STARTED)
        return STATUS_INVALID_DEVICE_STATE;
    const CM_PARTIAL_RESOURCE_DESCRIPTOR *raw = Configuration->InterruptRaw, *tr = Configuration->InterruptTranslated;
    if (L.phase == PH_ADD) {
        if (raw || tr || Configuration->CanWakeDevice)
            return STATUS_INVALID_PARAMETER;
    } else {
        if (!raw || !tr)
            return STATUS_INVALID_DEVICE_STATE;
        if (Configuration->ShareVector != WdfUseDefault)
            return STATUS_INVALID_DEVICE_STATE;
    }
    /* CanWakeDevice needs CM_RESOURCE_INTERRUPT_WAKE_HINT, which the model's
     * descriptors never carry (_IsWakeHintedInterrupt). */
    if (Configuration->CanWakeDevice)
        return STATUS_INVALID_PARAMETER;
    if (Configuration->EvtInterruptDpc && Configuration->EvtInterruptWorkItem)
        return STATUS_INVALID_PARAMETER;
    if (!Configuration->PassiveHandling) {
        if (Configuration->WaitLock)
            return STATUS_INVALID_PARAMETER;
    } else {
        /* What KMDF returns where Windows lacks passive-level interrupts
         * (FxIsPassiveLevelInterruptSupported): the model lacks them. */
        dr_notice("passive-level interrupts (WDF_INTERRUPT_CONFIG.PassiveHandling) are not modelled: "
                  "WdfInterruptCreate returns STATUS_NOT_SUPPORTED");
        return STATUS_NOT_SUPPORTED;
    }
    /* FxPkgPnp::ValidateInterruptResourceCm (verifier on): the descriptors
     * must be an interrupt resource of the lists, at the same position. */
    ULONG raw_index = 0, tr_index = 0;
    int line = -1;
    if (tr) {
        line = line_of(L.translated, tr, &tr_index);
        int raw_line = line_of(L.raw, raw, &raw_index);
        if (line < 0 || raw_line != line || raw_index != tr_index) {
            if (km_w.env.verifier)
                return STATUS_INVALID_PARAMETER;
            km_crash("INT10", api, "descriptor not from the resource lists",
                     "InterruptRaw / InterruptTranslated are not a pair of interrupt descriptors of the lists "
                     "EvtDevicePrepareHardware received: KMDF takes CONTAINING_RECORD of them "
                     "(interruptobject.cpp Initialize) and uses foreign memory");
            return STATUS_INVALID_PARAMETER;
        }
    }
    dr_spinlock *shared = NULL;
    if (Configuration->SpinLock) {
        km_object *l = km_lookup(Configuration->SpinLock, KM_T_SPINLOCK, api, false);
        if (!l)
            return STATUS_INVALID_HANDLE;
        shared = &l->u.lock.lock;
    }
    /* FxInterrupt::InitializeWorker: the parent is the device or one of its
     * queues; _GetEffectiveLock gives the callback lock of the DPC (spin) or
     * the work item (passive) under AutomaticSerialization, as for a timer. */
    if (!parent_ok(parent, dev))
        return STATUS_INVALID_PARAMETER;
    km_cblock *cb_lock;
    bool passive = Configuration->EvtInterruptWorkItem != NULL;
    st = km_effective_lock(parent, parent, Configuration->AutomaticSerialization, passive, api,
                           passive ? "an interrupt's EvtInterruptWorkItem (PASSIVE_LEVEL)"
                                   : "an interrupt's EvtInterruptDpc (DISPATCH_LEVEL)",
                           &cb_lock);
    if (!NT_SUCCESS(st))
        return st;
    if (L.n == MAX_INTERRUPTS)
        return STATUS_INSUFFICIENT_RESOURCES;
    km_object *o = km_obj_create(KM_T_INTERRUPT, Attributes, dev, api, &st);
    if (!o)
        return st;
    o->no_delete = true; /* FxInterrupt::FxInterrupt: MarkNoDeleteDDI */
    km_interrupt *it = &o->u.intr;
    it->config = *Configuration;
    it->device = dev;
    it->line = -1;
    it->cb_lock = cb_lock;
    it->info.Size = sizeof(WDF_INTERRUPT_INFO);
    it->info.MessageNumber = L.n; /* FxPkgPnp::m_InterruptObjectCount */
    km_quiet_writes_begin();
    snprintf(it->name, sizeof it->name, "INT%u-lock", (unsigned)o->id);
    km_quiet_writes_end();
    dr_spinlock_init(&it->builtin_lock, it->name);
    it->lock = shared ? shared : &it->builtin_lock;
    dr_dpc_init(&it->dpc, dpc_fn, o, "interrupt-dpc");
    dr_event_init(&it->spurious, spurious_fire, o, "spurious-interrupt");
    if (tr) {
        it->in_prepare_hardware = true;
        assign(o, tr, line);
    }
    L.intr[L.n++] = o;
    km_trace(&site_create, o, line);
    *Interrupt = (WDFINTERRUPT)km_handle(o);
    return STATUS_SUCCESS;
}

/* ---- connection ------------------------------------------------------------------------------ */

/* The synchronize IRQL: the interrupt's DIRQL, or the highest of the
 * interrupts sharing its WDFSPINLOCK (pnpstatemachine.cpp
 * PnpPrepareHardware: IsSharedSpinLock). */
static unsigned sync_irql(const km_object *o)
{
    unsigned irql = o->u.intr.info.Irql;
    for (unsigned i = 0; i < L.n; i++)
        if (L.intr[i]->u.intr.lock == o->u.intr.lock && L.intr[i]->u.intr.info.Irql > irql)
            irql = L.intr[i]->u.intr.info.Irql;
    return irql;
}

/* EvtInterruptEnable / EvtInterruptDisable through KeSynchronizeExecution:
 * at the synchronize IRQL, under the interrupt spin lock. */
static NTSTATUS sync_callback(km_object *o, bool enable)
{
    km_interrupt *it = &o->u.intr;
    PFN_WDF_INTERRUPT_ENABLE fn = enable ? it->config.EvtInterruptEnable : it->config.EvtInterruptDisable;
    if (!fn)
        return STATUS_SUCCESS;
    unsigned old = dr_spin_acquire_at(it->lock, it->sync_irql);
    if (dr_failed())
        return STATUS_UNSUCCESSFUL;
    km_hb_section_begin(it->lock);
    km_trace(enable ? &site_enable_cb : &site_disable_cb, o, dr_irql());
    NTSTATUS st = fn((WDFINTERRUPT)km_handle(o), (WDFDEVICE)km_handle(it->device));
    dr_framework_resume();
    if (dr_failed())
        return STATUS_UNSUCCESSFUL;
    km_hb_section_end(it->lock);
    dr_spin_release(it->lock, old);
    return st;
}

/* FxInterrupt::Connect: IoConnectInterruptEx (unless in the NP path, where
 * it stayed connected), then EvtInterruptEnable. An interrupt that got no
 * resource (Vector 0) is not connected. */
static NTSTATUS connect(km_object *o, bool np, const char *api)
{
    km_interrupt *it = &o->u.intr;
    if (it->line < 0)
        return STATUS_SUCCESS;
    if (!np || !it->connected) {
        if (it->connected) {
            km_own_check("INT7", api, "interrupt already connected",
                         "INT%u is connected and enabled: KMDF's checked build asserts (interruptobject.cpp "
                         "Connect: m_Connected == FALSE), its free build connects it a second time",
                         o->id);
            return STATUS_UNSUCCESSFUL;
        }
        it->sync_irql = sync_irql(o);
        dr_isr_init(&it->isr, isr_fn, o, "EvtInterruptIsr", it->info.Irql);
        it->connected = true;
        km_trace(&site_connect, o, it->line);
        if (km_w.env.spurious_interrupts && L.spurious < SPURIOUS_MAX)
            dr_event_arm(&it->spurious);
        if (L.asserted[it->line])
            raise_isr(o, false);
    }
    NTSTATUS st = sync_callback(o, true);
    if (!NT_SUCCESS(st))
        return st;
    it->enabled = true;
    return STATUS_SUCCESS;
}

static bool dpc_idle(const void *arg)
{
    const km_interrupt *it = arg;
    return !it->dpc_queued && it->dpc_running == 0;
}

static bool wi_idle(const void *arg)
{
    const km_interrupt *it = arg;
    return !it->wi_queued && it->wi_running == 0;
}

static bool isr_idle(const void *arg)
{
    const km_interrupt *it = arg;
    return it->isr_task == 0;
}

/* FxInterrupt::Disconnect: EvtInterruptDisable, KeFlushQueuedDpcs, the work
 * item's rundown, then (not in the NP path) IoDisconnectInterruptEx, after
 * which no ISR runs. The model flushes this interrupt's DPC only (the kernel
 * flushes every processor's queue). */
static void disconnect(km_object *o, bool np)
{
    km_interrupt *it = &o->u.intr;
    if (it->line < 0 || !it->connected)
        return;
    if (it->enabled) {
        sync_callback(o, false);
        if (dr_failed())
            return;
        it->enabled = false;
    }
    dr_wait(dpc_idle, it, &site_flush);
    dr_wait(wi_idle, it, &site_flush_wi);
    if (dr_failed() || np)
        return;
    dr_wait(isr_idle, it, &site_wait_isr);
    if (dr_failed())
        return;
    it->connected = false;
    dr_isr_withdraw(&it->isr);
    dr_event_disarm(&it->spurious);
    km_trace(&site_disconnect, o, it->line);
}

static bool np_path(const km_interrupt *it);

NTSTATUS km_interrupt_connect_all(void)
{
    L.d0 = true;
    for (unsigned i = 0; i < L.n; i++) {
        km_object *o = L.intr[i];
        if (o->u.intr.force_disconnected)
            continue;
        /* The NP path left it connected at the last power-down (not at the
         * first start: nothing is connected then). */
        NTSTATUS st = connect(o, np_path(&o->u.intr), "EvtDeviceD0Entry");
        if (dr_failed() || !NT_SUCCESS(st))
            return dr_failed() ? STATUS_UNSUCCESSFUL : st;
    }
    return STATUS_SUCCESS;
}

/* fxpkgpnp.cpp FxPkgPnp::NotifyResourceObjectsDx: disconnect in the
 * reverse order of connection; each FxInterrupt::Disconnect runs
 * EvtInterruptDisable at its synchronize IRQL under its lock, flushes its DPC
 * and work item, and (except in the NP path of an explicit power-down, which
 * only disables) disconnects, after which no ISR runs. */
void km_interrupt_disconnect_all(bool final)
{
    for (unsigned i = L.n; i-- > 0;) {
        km_object *o = L.intr[i];
        disconnect(o, !final && np_path(&o->u.intr));
        if (dr_failed())
            return;
    }
}

/* pnpstatemachine.cpp FxPkgPnp::PnpReleaseHardware, after
 * EvtDeviceReleaseHardware: FxInterrupt::OnPostReleaseHardware deletes each
 * interrupt created in EvtDevicePrepareHardware (in reverse order); the
 * others keep no resource until the next EvtDevicePrepareHardware
 * (FxPkgPnp::NotifyResourceobjectsToReleaseResources). */
void km_interrupt_release_hardware(void)
{
    for (unsigned i = L.n; i-- > 0;) {
        km_object *o = L.intr[i];
        if (!o->u.intr.in_prepare_hardware) {
            o->u.intr.line = -1;
            continue;
        }
        memmove(&L.intr[i], &L.intr[i + 1], (L.n - i - 1) * sizeof L.intr[0]);
        L.n--;
        if (o->state == KM_OBJ_LIVE)
            km_obj_delete(o);
        if (dr_failed())
            return;
    }
}

/* ForceReconnect / ForceDisconnect: the NP path when the device object is
 * not power pageable (WdfDeviceInitSetPowerNotPageable); KMDF devices are
 * pageable by default. */
static bool np_path(const km_interrupt *it)
{
    return it->device->u.dev.setup.init.power_pageable == 2;
}

/* ---- DDIs -------------------------------------------------------------------------------------- */

static km_object *get(WDFINTERRUPT h, const char *api) { return km_lookup(h, KM_T_INTERRUPT, api, false); }

bool km_interrupt_lock_held(WDFINTERRUPT Interrupt)
{
    km_object *o = get(Interrupt, "km_interrupt_lock_held");
    return o && dr_spin_held_by_me(o->u.intr.lock);
}

/* KeSynchronizeExecution / KeAcquireInterruptSpinLock raise to the
 * synchronize IRQL: from above it, that lowers it: bug check 0x9. */
static bool irql_above(const km_object *o, const char *api)
{
    unsigned irql = dr_irql();
    if (irql <= o->u.intr.sync_irql)
        return false;
    km_kernel_bugcheck("INT3", 0x9, api, "called above the interrupt's synchronize IRQL",
                       "%s at IRQL %u, above INT%u's synchronize IRQL %u: taking the interrupt spin lock raises "
                       "to a lower IRQL: IRQL_NOT_GREATER_OR_EQUAL",
                       api, irql, o->id, o->u.intr.sync_irql);
    return true;
}

BOOLEAN WdfInterruptQueueDpcForIsr(WDFINTERRUPT Interrupt)
{
    if (!km_enter(&site_queue_dpc, HIGH_LEVEL))
        return FALSE;
    km_object *o = get(Interrupt, "WdfInterruptQueueDpcForIsr");
    if (!o)
        return FALSE;
    /* interruptobjectkm.cpp QueueDpcForIsr: KeInsertQueueDpc on the current
     * processor; FALSE if already queued. */
    bool queued = dr_dpc_queue(&o->u.intr.dpc, dr_current_cpu());
    if (queued)
        o->u.intr.dpc_queued = true;
    km_trace(&site_queue_dpc, o, queued);
    return queued;
}

BOOLEAN WdfInterruptQueueWorkItemForIsr(WDFINTERRUPT Interrupt)
{
    const char *api = "WdfInterruptQueueWorkItemForIsr";
    if (!km_enter(&site_queue_wi, HIGH_LEVEL))
        return FALSE;
    km_object *o = get(Interrupt, api);
    if (!o)
        return FALSE;
    km_interrupt *it = &o->u.intr;
    /* interruptobject.cpp QueueWorkItemForIsr: above DISPATCH_LEVEL through
     * the DPC (its result is KeInsertQueueDpc's); else TryToEnqueue. */
    bool queued;
    if (dr_irql() > DISPATCH_LEVEL) {
        queued = dr_dpc_queue(&it->dpc, dr_current_cpu());
        if (queued)
            it->dpc_queued = true;
    } else if (!it->config.EvtInterruptWorkItem) {
        km_crash("INT8", api, "no EvtInterruptWorkItem",
                 "INT%u has no EvtInterruptWorkItem, so no work item: KMDF uses a NULL m_SystemWorkItem "
                 "(interruptobject.cpp QueueWorkItemForIsr; only its checked build asserts)",
                 o->id);
        return FALSE;
    } else
        queued = enqueue_work_item(o);
    km_trace(&site_queue_wi, o, queued);
    return queued;
}

BOOLEAN WdfInterruptSynchronize(WDFINTERRUPT Interrupt, PFN_WDF_INTERRUPT_SYNCHRONIZE Callback, WDFCONTEXT Context)
{
    const char *api = "WdfInterruptSynchronize";
    /* Up to DISPATCH_LEVEL by its annotation; from an ISR the kernel takes
     * the lock the ISR holds (a deadlock the engine reports) and above the
     * synchronize IRQL bug checks 0x9, which are what the model reports. */
    if (!km_enter(&site_sync, HIGH_LEVEL))
        return FALSE;
    km_object *o = get(Interrupt, api);
    if (!o)
        return FALSE;
    km_interrupt *it = &o->u.intr;
    if (!Callback) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Callback is NULL");
        return FALSE;
    }
    if (!it->connected) {
        km_crash("INT5", api, "interrupt not connected",
                 "INT%u is not connected: KMDF calls KeSynchronizeExecution with a NULL KINTERRUPT "
                 "(interruptobject.cpp Synchronize; only its checked build asserts)",
                 o->id);
        return FALSE;
    }
    if (irql_above(o, api))
        return FALSE;
    unsigned old = dr_spin_acquire_at(it->lock, it->sync_irql);
    if (dr_failed())
        return FALSE;
    km_hb_section_begin(it->lock);
    km_trace(&site_sync, o, dr_irql());
    BOOLEAN r = Callback(Interrupt, Context);
    dr_framework_resume();
    if (dr_failed())
        return FALSE;
    km_hb_section_end(it->lock);
    dr_spin_release(it->lock, old);
    return r;
}

VOID WdfInterruptAcquireLock(WDFINTERRUPT Interrupt)
{
    const char *api = "WdfInterruptAcquireLock";
    if (!km_enter(&site_acquire, HIGH_LEVEL)) /* see WdfInterruptSynchronize */
        return;
    km_object *o = get(Interrupt, api);
    if (!o)
        return;
    km_interrupt *it = &o->u.intr;
    /* interruptobject.cpp AcquireLock: not connected, a verifier break and
     * no lock. */
    if (!it->connected) {
        km_vf_break("INT6", api, "interrupt not connected",
                    "INT%u is not connected: KMDF cannot take its lock (FxVerifierDbgBreakPoint) and "
                    "returns without it",
                    o->id);
        it->old_irql = dr_irql();
        return;
    }
    if (irql_above(o, api))
        return;
    unsigned old = dr_spin_acquire_at(it->lock, it->sync_irql);
    if (dr_failed())
        return;
    km_hb_section_begin(it->lock);
    it->old_irql = old;
    it->lock_owner = dr_current_task();
    km_trace(&site_acquire, o, dr_irql());
}

VOID WdfInterruptReleaseLock(WDFINTERRUPT Interrupt)
{
    const char *api = "WdfInterruptReleaseLock";
    if (!km_enter(&site_release, HIGH_LEVEL))
        return;
    km_object *o = get(Interrupt, api);
    if (!o)
        return;
    km_interrupt *it = &o->u.intr;
    if (!it->connected) {
        km_vf_break("INT6", api, "interrupt not connected",
                    "INT%u is not connected: KMDF cannot release its lock (FxVerifierDbgBreakPoint)", o->id);
        return;
    }
    if (!dr_spin_held_by_me(it->lock) || it->lock_owner != dr_current_task()) {
        km_crash("INT4", api, "interrupt lock not held",
                 "INT%u's lock is not held by this thread through WdfInterruptAcquireLock: "
                 "KeReleaseInterruptSpinLock releases a lock another holder owns (or none) and lowers IRQL to "
                 "a stale saved value",
                 o->id);
        return;
    }
    km_trace(&site_release, o, it->old_irql);
    it->lock_owner = 0;
    km_hb_section_end(it->lock);
    dr_spin_release(it->lock, it->old_irql);
}

BOOLEAN WdfInterruptTryToAcquireLock(WDFINTERRUPT Interrupt)
{
    const char *api = "WdfInterruptTryToAcquireLock";
    if (!km_enter(&site_try, PASSIVE_LEVEL))
        return FALSE;
    km_object *o = get(Interrupt, api);
    if (!o)
        return FALSE;
    /* fxinterruptapi.cpp: for passive-level interrupts only (the model has
     * none): a verifier break, and FALSE (FxInterrupt::TryToAcquireLock). */
    km_vf_break("INT9", api, "not a passive-level interrupt",
                "INT%u is handled at DIRQL: WdfInterruptTryToAcquireLock is for passive-level interrupts", o->id);
    return FALSE;
}

VOID WdfInterruptEnable(WDFINTERRUPT Interrupt)
{
    const char *api = "WdfInterruptEnable";
    if (!km_enter_irql_checked(&site_enable, PASSIVE_LEVEL)) /* fxinterruptapi.cpp: FxVerifierCheckIrqlLevel */
        return;
    km_object *o = get(Interrupt, api);
    if (!o)
        return;
    km_trace(&site_enable, o, 0);
    /* FxInterrupt::ForceReconnect. Before the D0 step, D0 connects it. */
    o->u.intr.force_disconnected = false;
    if (L.d0)
        (void)connect(o, np_path(&o->u.intr), api);
}

VOID WdfInterruptDisable(WDFINTERRUPT Interrupt)
{
    const char *api = "WdfInterruptDisable";
    if (!km_enter_irql_checked(&site_disable, PASSIVE_LEVEL))
        return;
    km_object *o = get(Interrupt, api);
    if (!o)
        return;
    km_trace(&site_disable, o, 0);
    /* FxInterrupt::ForceDisconnect */
    o->u.intr.force_disconnected = true;
    disconnect(o, np_path(&o->u.intr));
}

PKINTERRUPT WdfInterruptWdmGetInterrupt(WDFINTERRUPT Interrupt)
{
    if (!km_enter(&site_wdm, HIGH_LEVEL))
        return NULL;
    km_object *o = get(Interrupt, "WdfInterruptWdmGetInterrupt");
    /* m_Interrupt: NULL while not connected. Opaque to the driver. */
    return o && o->u.intr.connected ? (PKINTERRUPT)(void *)&o->u.intr.kinterrupt : NULL;
}

VOID WdfInterruptGetInfo(WDFINTERRUPT Interrupt, PWDF_INTERRUPT_INFO Info)
{
    const char *api = "WdfInterruptGetInfo";
    if (!km_enter(&site_info, DISPATCH_LEVEL))
        return;
    km_object *o = get(Interrupt, api);
    if (!o)
        return;
    if (!Info) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Info is NULL");
        return;
    }
    if (Info->Size != sizeof(WDF_INTERRUPT_INFO)) {
        km_vf_break("INT11", api, "wrong WDF_INTERRUPT_INFO size",
                    "Info->Size is %u, expected %u (fxinterruptapi.cpp WdfInterruptGetInfo: a verifier break, "
                    "Info unchanged)",
                    (unsigned)Info->Size, (unsigned)sizeof(WDF_INTERRUPT_INFO));
        return;
    }
    *Info = o->u.intr.info;
    Info->Size = sizeof(WDF_INTERRUPT_INFO);
}

static bool policy_ok(WDF_INTERRUPT_POLICY policy, WDF_INTERRUPT_PRIORITY priority, const char *api)
{
    if (policy > WdfIrqPolicySpreadMessagesAcrossAllProcessors)
        return !km_vf_break("INT12", api, "policy out of range", "Policy %d is out of range", (int)policy);
    if (priority < WdfIrqPriorityLow || priority > WdfIrqPriorityHigh)
        return !km_vf_break("INT12", api, "priority out of range", "Priority %d is out of range", (int)priority);
    return true;
}

VOID WdfInterruptSetPolicy(WDFINTERRUPT Interrupt, WDF_INTERRUPT_POLICY Policy, WDF_INTERRUPT_PRIORITY Priority,
                           KAFFINITY TargetProcessorSet)
{
    (void)TargetProcessorSet; /* accept-only: the model delivers to any processor */
    if (!km_enter(&site_policy, DISPATCH_LEVEL))
        return;
    km_object *o = get(Interrupt, "WdfInterruptSetPolicy");
    if (o && policy_ok(Policy, Priority, "WdfInterruptSetPolicy"))
        km_trace(&site_policy, o, Policy);
}

VOID WdfInterruptSetExtendedPolicy(WDFINTERRUPT Interrupt, PWDF_INTERRUPT_EXTENDED_POLICY PolicyAndGroup)
{
    const char *api = "WdfInterruptSetExtendedPolicy";
    if (!km_enter(&site_ext_policy, DISPATCH_LEVEL))
        return;
    km_object *o = get(Interrupt, api);
    if (!o)
        return;
    if (!PolicyAndGroup || PolicyAndGroup->Size != sizeof(WDF_INTERRUPT_EXTENDED_POLICY)) {
        km_vf_break("INT12", api, "wrong WDF_INTERRUPT_EXTENDED_POLICY size", "PolicyAndGroup's Size is wrong");
        return;
    }
    const GROUP_AFFINITY *g = &PolicyAndGroup->TargetProcessorSetAndGroup;
    if (!policy_ok(PolicyAndGroup->Policy, PolicyAndGroup->Priority, api))
        return;
    if (g->Reserved[0] || g->Reserved[1] || g->Reserved[2]) {
        km_vf_break("INT12", api, "reserved fields not zero", "TargetProcessorSet's reserved fields are not zero");
        return;
    }
    km_trace(&site_ext_policy, o, PolicyAndGroup->Policy);
}

WDFDEVICE WdfInterruptGetDevice(WDFINTERRUPT Interrupt)
{
    if (!km_enter(&site_get_device, HIGH_LEVEL))
        return NULL;
    km_object *o = get(Interrupt, "WdfInterruptGetDevice");
    return o ? (WDFDEVICE)km_handle(o->u.intr.device) : NULL;
}
