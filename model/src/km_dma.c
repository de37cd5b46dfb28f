/* km_dma.c: the DMA enabler, the DMA transaction state machine and the system
 * DMA controller (HAL) behind them. kmdf-model-spec.md 1.1-1.10, 2, V1-V13.
 * Also the bus-master profiles (packet, scatter-gather; issue 14: see the
 * section at the end and docs/model-dma.md "Bus-master profiles") and
 * common buffers.
 *
 * Real KMDF locks only the transfer state (staging thread, RerunStaging,
 * RerunCompletion) of a transaction; the model changes that state without a
 * scheduling point in between, which is what holding the lock means to the
 * other processors. m_State, the byte counters, m_IsCancelled and
 * m_AdapterInfo are not locked in KMDF: the DDIs that read and then write
 * them have a dr_yield in between, so drivers that call them concurrently are
 * caught (C1, C12). See docs/model-dma.md for every choice and deviation. */
#include "km.h"
#include "km_device.h"
#include "km_hb.h"

#include <string.h>

/* ---- sites ------------------------------------------------------------------------------ */

DR_SITE(site_enabler_create, "WdfDmaEnablerCreate");
DR_SITE(site_configure_system, "WdfDmaEnablerConfigureSystemProfile");
DR_SITE(site_get_max_length, "WdfDmaEnablerGetMaximumLength");
DR_SITE(site_tx_create, "WdfDmaTransactionCreate");
DR_SITE(site_initialize, "WdfDmaTransactionInitialize");
DR_SITE(site_initialize_request, "WdfDmaTransactionInitializeUsingRequest");
DR_SITE(site_set_complete_cb, "WdfDmaTransactionSetTransferCompleteCallback");
DR_SITE(site_execute, "WdfDmaTransactionExecute");
DR_SITE(site_dma_completed, "WdfDmaTransactionDmaCompleted");
DR_SITE(site_dma_completed_len, "WdfDmaTransactionDmaCompletedWithLength");
DR_SITE(site_dma_completed_final, "WdfDmaTransactionDmaCompletedFinal");
DR_SITE(site_bytes, "WdfDmaTransactionGetBytesTransferred");
DR_SITE(site_cur_len, "WdfDmaTransactionGetCurrentDmaTransferLength");
DR_SITE(site_stop, "WdfDmaTransactionStopSystemTransfer");
DR_SITE(site_cancel, "WdfDmaTransactionCancel");
DR_SITE(site_release, "WdfDmaTransactionRelease");
DR_SITE(site_get_request, "WdfDmaTransactionGetRequest");
DR_SITE(site_get_device, "WdfDmaTransactionGetDevice");

/* Scheduling points between unlocked reads and writes (kmdf-model-spec.md 0.1). */
DR_SITE(site_dmac_unlocked, "dma-completed-unlocked");
DR_SITE(site_stop_unlocked, "dma-stop-unlocked");
DR_SITE(site_cancel_unlocked, "dma-cancel-unlocked");
/* The staging thread between MapTransferEx and the transfer-state lock after
 * EvtProgramDma: the hardware runs from the mapping, whatever EvtProgramDma
 * does (it may touch nothing, i.e. have no scheduling point of its own). */
DR_SITE(site_program_dma_return, "dma-program-dma-returned");
DR_SITE(site_stage_map, "StageTransfer-map");

/* Nondeterministic choices: value 0 is the ordinary outcome. */
DR_SITE(site_adapter_later, "dma-adapter-deferred");  /* 0 sync _AdapterControl, 1 later on a DPC */
DR_SITE(site_adapter_cpu, "dma-adapter-dpc-cpu");     /* processor of the _AdapterControl DPC */
DR_SITE(site_short_map, "dma-map-short");             /* 0 full, 1 one page, 2 largest page multiple */
DR_SITE(site_stop_race, "dma-stop-race");             /* 0 hardware finished first, 1 DmaCancelled */
DR_SITE(site_hw_error, "dma-hw-status");              /* 0 DmaComplete, then DmaError, DmaAborted */
DR_SITE(site_hal_cpu, "dma-hal-dpc-cpu");             /* processor of the HAL completion DPC */
DR_SITE(site_stop_sync, "dma-stop-sync-callback");    /* 0 asynchronous, 1 DmaCancelled inside Stop */
DR_SITE(site_stop_idle_hal, "dma-stop-before-transfer-hal"); /* 0 HAL cancel succeeds, 1 it fails */
DR_SITE(site_handover_sync, "dma-adapter-handover");  /* 0 next waiter's _AdapterControl on a DPC, 1 inside the free */
DR_SITE(site_map_fails, "dma-map-fails");             /* 0 MapTransferEx maps, 1 it fails (env.hal_failure) */
DR_SITE(site_flush_fails, "dma-flush-fails");         /* 0 FlushAdapterBuffersEx succeeds, 1 it fails (env.hal_failure) */

/* Trace points inside the model. */
DR_SITE(site_adapter_control, "_AdapterControl");
DR_SITE(site_channel_wait, "dma-channel-wait");
DR_SITE(site_map, "MapTransferEx");
DR_SITE(site_map_failed, "MapTransferEx-failed");
DR_SITE(site_flush_failed, "FlushAdapterBuffersEx-failed");
DR_SITE_TEXT(site_hw_done, "dma-hw-done", km_dma_status_text);
DR_SITE_TEXT(site_hal_completion, "_SystemDmaCompletion", km_dma_status_text);
DR_SITE(site_program_dma, "EvtProgramDma");
/* The transfer EvtProgramDma programmed completes: the timeline's arrow. */
DR_SITE_TEXT_CAUSED(site_transfer_complete, "EvtDmaTransactionDmaTransferComplete", km_dma_status_text,
                    "EvtProgramDma");
DR_SITE(site_configure_channel, "EvtDmaTransactionConfigureDmaChannel");
DR_SITE(site_reserve_dma, "EvtReserveDma");
DR_SITE_TEXT(site_final, "dma-transaction-final", km_status_text);

/* Race windows worth counting in campaigns. */
DR_SITE(win_rerun_completion, "window: HAL completion deferred to the staging thread");
DR_SITE(win_rerun_staging, "window: staging deferred (callback nested inside DmaCompleted)");
DR_SITE(win_synthetic, "window: synthetic completion from _AdapterControl");
DR_SITE(win_stop_mapped, "window: StopSystemTransfer on a mapped transfer");
DR_SITE(win_stop_idle_ok, "window: StopSystemTransfer before the transfer, HAL cancel succeeded");
DR_SITE(win_stop_idle_failed, "window: StopSystemTransfer before the transfer, HAL cancel failed");
DR_SITE(win_handover_sync, "window: _AdapterControl of the next waiter inside FreeAdapterChannel");
DR_SITE(win_map_failed, "window: MapTransferEx failed (injected)");
DR_SITE(win_flush_failed, "window: FlushAdapterBuffersEx failed (injected)");
DR_SITE(win_immediate_busy, "window: immediate execution refused, channel busy");

enum { COMPLETE_FULL = 1, COMPLETE_PARTIAL = 2, COMPLETE_ABORT = 3 }; /* FxDmaCompletionType */

static const char *const tx_state_names[] = {
#define KM_X(e, s) s,
    KM_TX_STATES(KM_X)
#undef KM_X
};

const char *km_tx_state_name(km_tx_state s)
{
    return (unsigned)s < sizeof tx_state_names / sizeof tx_state_names[0] ? tx_state_names[s] : "?";
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

static km_dmaenabler *enabler_of(km_object *o) { return &o->u.tx.enabler->u.dmae; }

static WDFDEVICE device_of(km_object *o)
{
    return (WDFDEVICE)km_handle(enabler_of(o)->device);
}

/* ---- IRQL around driver callbacks ------------------------------------------------------------- */

static unsigned irql_to_dispatch(void)
{
    unsigned old = dr_irql();
    if (old < DISPATCH_LEVEL)
        dr_raise_irql(DISPATCH_LEVEL);
    return old;
}

static void irql_restore(unsigned old)
{
    if (!dr_failed() && dr_irql() > old)
        dr_lower_irql(old);
}

/* EvtProgramDma, at DISPATCH_LEVEL unless keep_irql (a driver thread called
 * DmaCompleted* below DISPATCH: spec 2.4 [INF]). */
static void call_program_dma(km_object *o, bool keep_irql)
{
    km_dmatx *t = &o->u.tx;
    PFN_WDF_PROGRAM_DMA fn = t->program_dma;
    if (!fn)
        return;
    unsigned old = keep_irql ? dr_irql() : irql_to_dispatch();
    unsigned entry = dr_irql();
    uint32_t me = dr_current_task();
    t->program_dma_task = me;
    km_trace(&site_program_dma, o, (int64_t)t->fragment);
    /* The scatter-gather profiles hand over the list BuildScatterGatherList
     * filled (m_SGListBuffer); packet and system DMA the one-element list. */
    (void)fn((WDFDMATRANSACTION)km_handle(o), device_of(o), t->context, t->direction, t->sgl ? t->sgl : &t->sg);
    dr_framework_resume();
    if (dr_failed())
        return;
    if (t->program_dma_task == me)
        t->program_dma_task = 0;
    if (km_w.env.strict_irql_exit) {
        km_callback_irql_check(entry, "EvtProgramDma", false);
        if (dr_failed())
            return;
    }
    irql_restore(old);
}

/* CallEvtDmaCompleted. With no routine set, nothing calls the driver (1.4). */
static void call_transfer_complete(km_object *o, DMA_COMPLETION_STATUS status, bool keep_irql)
{
    km_dmatx *t = &o->u.tx;
    PFN_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE fn = t->transfer_complete;
    if (!fn)
        return;
    unsigned old = keep_irql ? dr_irql() : irql_to_dispatch();
    unsigned entry = dr_irql();
    km_trace(&site_transfer_complete, o, status);
    fn((WDFDMATRANSACTION)km_handle(o), device_of(o), t->transfer_complete_context, t->direction, status);
    dr_framework_resume();
    if (dr_failed())
        return;
    if (km_w.env.strict_irql_exit) {
        km_callback_irql_check(entry, "EvtDmaTransactionDmaTransferComplete", false);
        if (dr_failed())
            return;
    }
    irql_restore(old);
}

/* EvtDmaTransactionConfigureDmaChannel (FxDmaSystemTransaction::PreMapTransfer),
 * before the channel is programmed for the current fragment: the start MDL,
 * m_CurrentFragmentOffset (start offset + bytes transferred) and the
 * fragment's length before the HAL maps it. TRUE with no callback. */
static bool call_configure_channel(km_object *o, bool keep_irql)
{
    km_dmatx *t = &o->u.tx;
    PFN_WDF_DMA_TRANSACTION_CONFIGURE_DMA_CHANNEL fn = t->configure_channel;
    if (!fn)
        return true;
    unsigned old = keep_irql ? dr_irql() : irql_to_dispatch();
    unsigned entry = dr_irql();
    km_trace(&site_configure_channel, o, (int64_t)t->fragment);
    /* m_StartOffset: VirtualAddress - MmGetMdlVirtualAddress(Mdl), as
     * WdfDmaTransactionInitialize computes it (read here, not in Initialize,
     * whose older callers pass a buffer cast to PMDL). */
    size_t start = t->mdl ? (size_t)((uintptr_t)t->buffer - (uintptr_t)MmGetMdlVirtualAddress(t->mdl)) : 0;
    BOOLEAN ok = fn((WDFDMATRANSACTION)km_handle(o), device_of(o), t->configure_channel_context, t->mdl,
                    start + t->transferred, t->fragment);
    dr_framework_resume();
    if (dr_failed())
        return false;
    if (km_w.env.strict_irql_exit) {
        km_callback_irql_check(entry, "EvtDmaTransactionConfigureDmaChannel", false);
        if (dr_failed())
            return false;
    }
    irql_restore(old);
    return ok != FALSE;
}

/* ---- request references (ReferenceRequest / ReleaseButRetainRequest / ClearRequest) --------------- */

static bool reference_request(km_object *o, const char *api)
{
    km_dmatx *t = &o->u.tx;
    if (!t->request || t->request_strong)
        return true;
    km_object *r = t->request;
    if (r->gen != t->request_gen || r->state != KM_OBJ_LIVE) {
        km_crash("C11", api, "request completed before Execute took its reference",
                 "TX%u was initialised from REQ%u, which was completed before WdfDmaTransactionExecute", o->id,
                 r->gen == t->request_gen ? r->id : 0);
        return false;
    }
    km_request_irp_ref(t->request);
    km_obj_ref(t->request);
    t->request_strong = true;
    km_request_device_owns(t->request, true);
    return true;
}

static void release_request(km_object *o)
{
    km_dmatx *t = &o->u.tx;
    if (!t->request || !t->request_strong)
        return;
    km_object *r = t->request;
    t->request_strong = false;
    km_request_device_owns(r, false);
    km_request_irp_unref(r);
    if (dr_failed())
        return;
    km_obj_unref(r);
}

static void clear_request(km_object *o)
{
    release_request(o);
    if (dr_failed())
        return;
    o->u.tx.request = NULL;
    o->u.tx.request_handle = NULL;
}

/* ---- the system DMA controller: adapter channel ---------------------------------------------------- */

static void adapter_control(km_object *o);

/* The channel is free: give it to the first waiter (the HAL's
 * FreeAdapterChannel hand-over). Its _AdapterControl runs either later from a
 * DPC, or (`dma-adapter-handover`) synchronously inside the freeing call, on
 * the freeing thread at DISPATCH_LEVEL: a HAL may call the next waiter's
 * execution routine from within FreeAdapterChannel, as ReactOS
 * hal/halx86/generic/dma.c IoFreeAdapterChannel / IoFreeMapRegisters do.
 * KMDF's FxDmaSystemTransaction::FreeMapRegistersAndAdapter
 * (fxdmatransactionsystem.hpp) calls FreeAdapterChannel from
 * ReleaseResources, so the waiter's staging, EvtProgramDma included, may run
 * nested inside another transaction's final DmaCompleted* (or Release,
 * Dispose, Cancel): cross-transaction re-entrancy. */
static void grant_next(km_dmaadapter *e)
{
    while (!e->channel_owner && e->nwaiters) {
        km_object *w = e->channel_waiters[0];
        km_quiet_writes_begin();
        memmove(&e->channel_waiters[0], &e->channel_waiters[1], (e->nwaiters - 1) * sizeof e->channel_waiters[0]);
        km_quiet_writes_end();
        e->nwaiters--;
        e->channel_owner = w;
        if (dr_choose(&site_handover_sync, 2) == 1) {
            dr_window(&win_handover_sync);
            unsigned old = irql_to_dispatch(); /* FreeMapRegistersAndAdapter: KeRaiseIrql(DISPATCH_LEVEL) */
            km_hb_section_begin(&w->u.tx.adapter_dpc); /* the HAL's adapter lock, as in adapter_dpc_fn */
            adapter_control(w);
            if (dr_failed())
                return;
            irql_restore(old);
            continue;
        }
        unsigned cpu = dr_choose(&site_adapter_cpu, dr_cpus());
        dr_dpc_queue(&w->u.tx.adapter_dpc, cpu);
    }
}

static void adapter_dpc_fn(void *arg)
{
    km_object *o = arg;
    /* The HAL's adapter lock orders the waiter's AllocateAdapterChannelEx
     * before its execution routine, whoever frees the channel. */
    km_hb_section_begin(&o->u.tx.adapter_dpc);
    if (!o->u.tx.channel_pending)
        return;
    adapter_control(o);
}

/* AllocateAdapterChannelEx, at DISPATCH_LEVEL. */
DR_SITE(site_alloc_failure, "dma-allocate-fails"); /* 0 allocation proceeds, 1 it fails */

static NTSTATUS allocate_adapter_channel(km_object *o)
{
    km_dmatx *t = &o->u.tx;
    km_dmaadapter *e = t->adapter;
    /* fxdmatransactionpacket.hpp FxDmaPacketTransaction::AllocateAdapterChannel
     * with reserved map registers: no HAL call, _AdapterControl runs at once
     * with the map register base of the reservation. */
    if (t->reserved_mr > 0 && t->state != KM_TX_RESERVED) {
        adapter_control(o);
        return STATUS_SUCCESS;
    }
    /* StartTransfer can fail (spec 1.2 step 4): Execute then returns the
     * error with the transaction in TransferFailed. */
    if (km_w.env.alloc_failure && dr_choose(&site_alloc_failure, 2) == 1)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* AllocateResources asking for more map registers than the adapter has
     * ([INF]: KMDF only ASSERTs, fxdmatransactionpacket.cpp StartTransfer). */
    if (t->state == KM_TX_RESERVED && t->reserved_mr > km_w.env.map_registers)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (e->channel_owner && t->immediate) {
        /* DMA_SYNCHRONOUS_CALLBACK (SetImmediateExecution, m_Flags): the
         * HAL's AllocateAdapterChannelEx fails rather than queue the
         * request when the channel is not free at once. */
        dr_window(&win_immediate_busy);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (e->channel_owner) {
        if (e->nwaiters == sizeof e->channel_waiters / sizeof e->channel_waiters[0])
            return STATUS_INSUFFICIENT_RESOURCES; /* model limit, docs/model-dma.md */
        km_hb_section_end(&t->adapter_dpc); /* enqueued under the adapter lock */
        t->channel_pending = true;
        e->channel_waiters[e->nwaiters++] = o;
        km_trace(&site_channel_wait, o, e->nwaiters);
        return STATUS_SUCCESS;
    }
    e->channel_owner = o;
    t->channel_pending = true;
    if (!t->immediate && km_w.env.deferred_adapter && dr_choose(&site_adapter_later, 2) == 1) {
        unsigned cpu = dr_choose(&site_adapter_cpu, dr_cpus());
        dr_dpc_queue(&t->adapter_dpc, cpu);
        return STATUS_SUCCESS;
    }
    adapter_control(o);
    return STATUS_SUCCESS;
}

/* CancelAdapterChannel: true if the allocation was still pending. */
static bool cancel_pending_allocation(km_object *o)
{
    km_dmatx *t = &o->u.tx;
    km_dmaadapter *e = t->adapter;
    if (!t->channel_pending)
        return false;
    t->channel_pending = false;
    for (unsigned i = 0; i < e->nwaiters; i++)
        if (e->channel_waiters[i] == o) {
            km_quiet_writes_begin();
            memmove(&e->channel_waiters[i], &e->channel_waiters[i + 1],
                    (e->nwaiters - i - 1) * sizeof e->channel_waiters[0]);
            km_quiet_writes_end();
            e->nwaiters--;
            return true;
        }
    if (e->channel_owner == o) {
        dr_dpc_remove(&t->adapter_dpc);
        e->channel_owner = NULL;
        grant_next(e);
    }
    return true;
}

/* FreeMapRegistersAndAdapter. */
static void free_channel(km_object *o)
{
    km_dmaadapter *e = o->u.tx.adapter;
    o->u.tx.channel_allocated = false;
    if (e && e->channel_owner == o) {
        e->channel_owner = NULL;
        grant_next(e);
    }
}

/* ReleaseResources: only once the map register base was set (_AdapterControl
 * ran). Reserved map registers (AllocateResources) are kept unless forced
 * (fxdmatransactionpacket.cpp FxDmaPacketTransaction::ReleaseResources):
 * Release and the final DmaCompleted* keep them, FreeResources and Dispose
 * free them. */
static void release_resources(km_object *o, bool force)
{
    km_dmatx *t = &o->u.tx;
    if (enabler_of(o)->scatter_gather) {
        /* fxdmatransactionscattergather.cpp FxDmaScatterGatherTransaction::
         * ReleaseResources: PutScatterGatherList if a list is out, then
         * m_AdapterInfo = NULL. No adapter channel. */
        t->sg_live = false;
        t->adapter_info_valid = false;
        t->released_mark = dr_trace_mark(NULL);
        return;
    }
    if (!t->channel_allocated)
        return;
    if (t->reserved_mr > 0 && !force)
        return;
    dr_event_disarm(&t->hw_done);
    t->mapped = false;
    t->adapter_info_valid = false; /* m_AdapterInfo = NULL */
    t->released_mark = dr_trace_mark(NULL);
    free_channel(o);
    t->reserved_mr = 0;
}

/* ---- the system DMA controller: transfers ------------------------------------------------------------ */

static NTSTATUS bus_master_map_transfer(km_object *o);
static NTSTATUS sg_stage_transfer(km_object *o, bool keep_irql);

/* MapTransferEx: maps min(remaining, fragment) bytes (or fewer), starts the
 * system DMA controller. Fails with STATUS_CANCELLED when the transfer
 * context was cancelled (StopSystemTransfer before the mapping). */
static NTSTATUS hal_map_transfer(km_object *o)
{
    km_dmatx *t = &o->u.tx;
    if (t->hal_cancel_requested)
        return STATUS_CANCELLED;
    if (enabler_of(o)->bus_master)
        return bus_master_map_transfer(o);
    /* An injected HAL failure (env.hal_failure). KMDF asserts "With these
     * parameters, MapTransferEx should never fail" (fxdmatransactionpacket.hpp
     * FxDmaPacketTransaction::MapTransfer, NT_ASSERTMSG: checked builds only)
     * but handles it: StageTransfer returns the status without calling
     * EvtProgramDma; _AdapterControl then fakes a DmaError completion
     * (fxdmatransactionpacket.cpp FxDmaPacketTransaction::_AdapterControl,
     * "we leave the possibility that the DMA extension may fail the
     * transfer"), and DmaCompleted* staging the next transfer returns TRUE
     * with the status (fxdmatransactionbase.cpp
     * FxDmaTransactionBase::DmaCompleted). The status is [INF]. */
    if (km_w.env.hal_failure && dr_choose(&site_map_fails, 2) == 1) {
        km_trace(&site_map_failed, o, (int64_t)t->fragment);
        dr_window(&win_map_failed);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    size_t len = t->fragment;
    if (km_w.env.short_mapping && len > KM_PAGE_SIZE) {
        size_t alt = (len - 1) / KM_PAGE_SIZE * KM_PAGE_SIZE;
        uint32_t c = dr_choose(&site_short_map, alt > KM_PAGE_SIZE ? 3 : 2);
        if (c == 1)
            len = KM_PAGE_SIZE;
        else if (c == 2)
            len = alt;
    }
    if (len < t->fragment) {
        t->remaining += t->fragment - len;
        t->fragment = len;
    }
    t->mapped = true;
    t->transfers++;
    t->hw_notify = t->transfer_complete != NULL; /* GetTransferCompletionRoutine */
    t->sg.NumberOfElements = 1;
    t->sg.Elements[0].Address.QuadPart = t->buffer ? (LONGLONG)km_logical_address(t->buffer + t->transferred) : 0;
    t->sg.Elements[0].Length = (ULONG)len;
    km_trace(&site_map, o, (int64_t)len);
    /* The hardware runs from here: its completion may race EvtProgramDma. */
    dr_event_arm(&t->hw_done);
    return STATUS_SUCCESS;
}

/* _SystemDmaCompletion, at DISPATCH_LEVEL: under the transfer-state lock,
 * defer to a staging thread or call the driver. */
static void system_dma_completion(km_object *o, DMA_COMPLETION_STATUS status)
{
    km_dmatx *t = &o->u.tx;
    km_hb_section_begin(&t->transfer_lock); /* _SystemDmaCompletion takes the transfer-state lock */
    km_hb_section_end(&t->transfer_lock);
    km_trace(&site_hal_completion, o, status);
    if (t->staging_task) {
        t->rerun_completion = true;
        t->rerun_status = status;
        dr_window(&win_rerun_completion);
        return;
    }
    call_transfer_complete(o, status, false);
}

static void hal_dpc_fn(void *arg)
{
    km_object *o = arg;
    o->u.tx.hal_dpc_pending = false;
    system_dma_completion(o, o->u.tx.hal_status);
}

/* The hardware finished the mapped transfer (scheduler context: no driver
 * code, no blocking). The HAL's completion DPC goes to some processor. */
static void hw_done_fire(void *arg)
{
    km_object *o = arg;
    km_dmatx *t = &o->u.tx;
    /* (The engine disarmed the event before this handler: the next transfer
     * may arm it again.) */
    if (!t->hw_notify) {
        km_trace(&site_hw_done, o, DmaComplete);
        return; /* no completion routine: the HAL tells nobody (1.4) */
    }
    DMA_COMPLETION_STATUS st = DmaComplete;
    if (t->hal_cancel_requested && dr_choose(&site_stop_race, 2) == 1) {
        st = DmaCancelled;
    } else {
        uint32_t n = 1 + (km_w.env.dma_error ? 1 : 0) + (km_w.env.dma_abort ? 1 : 0);
        uint32_t c = dr_choose(&site_hw_error, n);
        if (c == 1)
            st = km_w.env.dma_error ? DmaError : DmaAborted;
        else if (c == 2)
            st = DmaAborted;
    }
    t->hal_status = st;
    km_trace(&site_hw_done, o, st);
    t->hal_dpc_pending = true;
    dr_dpc_queue(&t->hal_dpc, dr_choose(&site_hal_cpu, dr_cpus()));
}

/* FlushAdapterBuffersEx (TransferCompleted). It ends the mapping and clears
 * the transfer context's cancel bit. Without a map register base there is
 * nothing to flush: the HAL fails it (V5, [INF]). */
static NTSTATUS transfer_completed(km_object *o, const char *api)
{
    km_dmatx *t = &o->u.tx;
    if (enabler_of(o)->scatter_gather) {
        /* fxdmatransactionscattergather.cpp FxDmaScatterGatherTransaction::
         * TransferCompleted: "All we have to do is release the
         * scatter-gather list": PutScatterGatherList, STATUS_SUCCESS. */
        t->sg_live = false;
        return STATUS_SUCCESS;
    }
    if (!t->channel_allocated) {
        km_vf_break("V5", api, "FlushAdapterBuffers failed",
                    "TX%u: DmaCompleted* before the adapter channel was allocated: no map registers to flush", o->id);
        return STATUS_INVALID_DEVICE_STATE; /* the caller checks dr_failed() */
    }
    dr_event_disarm(&t->hw_done);
    t->mapped = false;
    t->hw_notify = false;
    t->hal_cancel_requested = false;
    /* An injected HAL failure (env.hal_failure). FxDmaPacketTransaction::
     * TransferCompleted (fxdmatransactionpacket.cpp) returns the status of
     * FlushAdapterBuffersEx; FxDmaTransactionBase::DmaCompleted then goes to
     * End: TransferFailed, ReleaseResources, ReleaseButRetainRequest, and
     * TRUE with the status in *ReturnStatus. The status is [INF]: KMDF's own
     * DMA v2 path turns a failed FlushAdapterBuffers into STATUS_UNSUCCESSFUL
     * (fxdmatransactionpacket.hpp FlushAdapterBuffers). TransferCompleted
     * also calls FxVerifierDbgBreakPoint, a debugger stop KMDF continues
     * from; the driver did nothing wrong, so the model reports nothing
     * (docs/model-dma.md). */
    if (km_w.env.hal_failure && dr_choose(&site_flush_fails, 2) == 1) {
        km_trace(&site_flush_failed, o, (int64_t)t->fragment);
        dr_window(&win_flush_failed);
        return STATUS_UNSUCCESSFUL;
    }
    return STATUS_SUCCESS;
}

/* ---- staging (FxDmaPacketTransaction::StageTransfer) ------------------------------------------------ */

static NTSTATUS stage_transfer(km_object *o, bool keep_irql)
{
    km_dmatx *t = &o->u.tx;
    /* Transfer-state lock. */
    if (t->staging_task) {
        t->rerun_staging = true;
        dr_window(&win_rerun_staging);
        return STATUS_SUCCESS;
    }
    t->staging_task = dr_current_task();
    /* The reference keeps the transfer state valid if the driver deletes the
     * transaction inside a callback. */
    km_obj_ref(o);
    NTSTATUS st = STATUS_SUCCESS;
    bool again = true;
    while (again) {
        t->fragment = min_size(t->remaining, t->max_fragment);
        /* fxdmatransactionpacket.cpp FxDmaPacketTransaction::StageTransfer:
         * with fewer map registers reserved than the adapter has (system
         * DMA needs them all), the fragment ends where the reservation does,
         * counting the first page's offset. */
        if (t->reserved_mr > 0 && km_w.env.map_registers > t->reserved_mr) {
            size_t page_off = (size_t)(((uintptr_t)t->buffer + t->transferred) & (KM_PAGE_SIZE - 1));
            t->fragment = min_size(t->fragment, (size_t)KM_PAGE_SIZE * (t->reserved_mr - 1) + KM_PAGE_SIZE - page_off);
        }
        t->remaining -= t->fragment;
        /* Unlocked check: a stop between the HAL completion and the flush
         * (which clears the transfer context's cancel bit). */
        if (t->is_cancelled) {
            st = STATUS_CANCELLED;
        } else {
            /* fxdmatransactionpacket.cpp FxDmaPacketTransaction::StageTransfer:
             * "A concurrent cancel at this point would mark the TC cancelled
             * such that MapTransfer will fail": a stop may come between the
             * unlocked m_IsCancelled check and MapTransferEx. */
            dr_yield(&site_stage_map);
            if (dr_failed())
                return st;
            /* PreMapTransfer (fxdmatransactionsystem.cpp): FALSE means the
             * driver completed the transaction itself: no mapping, no
             * EvtProgramDma, and 'this' may be gone (the staging reference
             * keeps the model's object). */
            if (!call_configure_channel(o, keep_irql)) {
                if (dr_failed())
                    return st;
                st = STATUS_SUCCESS;
            } else if (NT_SUCCESS(st = hal_map_transfer(o))) {
                call_program_dma(o, keep_irql);
                if (dr_failed())
                    return st;
                /* fxdmatransactionpacket.cpp FxDmaPacketTransaction::StageTransfer:
                 * InvokeProgramDma returns, then LockTransferState. The device
                 * was started at MapTransferEx, so its completion DPC may run on
                 * another processor in between and find CurrentStagingThread
                 * set (RerunCompletion) even when EvtProgramDma itself has no
                 * scheduling point. */
                dr_yield(&site_program_dma_return);
                if (dr_failed())
                    return st;
            }
        }
        /* Transfer-state lock: it orders this EvtProgramDma before the HAL
         * completion of the transfer (and so before the next transfer's). */
        km_hb_section_begin(&t->transfer_lock);
        km_hb_section_end(&t->transfer_lock);
        if (t->rerun_completion && t->rerun_staging) {
            km_own_check("C12", "StageTransfer", "driver called TransferComplete with pending DMA completion callback",
                         "TX%u: a deferred HAL completion and a deferred staging are both pending (KMDF: an "
                         "ASSERTMSG of its checked build only; the free build goes on with the transaction's "
                         "state out of step)",
                         o->id);
            return st;
        }
        if (t->rerun_completion) {
            DMA_COMPLETION_STATUS cs = t->rerun_status;
            t->rerun_completion = false;
            call_transfer_complete(o, cs, keep_irql);
            if (dr_failed())
                return st;
        }
        if (t->rerun_staging && t->state != KM_TX_DELETED) {
            t->rerun_staging = false;
            again = true;
        } else {
            t->rerun_staging = false;
            t->staging_task = 0;
            again = false;
        }
    }
    km_obj_unref(o);
    return st;
}

/* _AdapterControl: the channel is ours; stage the first transfer, or fake a
 * completion when the mapping failed. */
static void adapter_control(km_object *o)
{
    km_dmatx *t = &o->u.tx;
    t->channel_pending = false;
    t->channel_allocated = true; /* SetMapRegisterBase */
    km_trace(&site_adapter_control, o, 0);
    if (t->state == KM_TX_RESERVED) {
        /* fxdmatransactionpacket.cpp FxDmaPacketTransaction::_AdapterControl:
         * a reservation calls EvtReserveDma (cleared first) instead of
         * staging; the driver may Initialize and Execute from there. */
        PFN_WDF_RESERVE_DMA fn = t->reserve_dma;
        PVOID ctx = t->reserve_dma_context;
        t->reserve_dma = NULL;
        t->reserve_dma_context = NULL;
        if (!fn)
            return;
        unsigned old = irql_to_dispatch();
        unsigned entry = dr_irql();
        km_trace(&site_reserve_dma, o, (int64_t)t->reserved_mr);
        fn((WDFDMATRANSACTION)km_handle(o), ctx);
        dr_framework_resume();
        if (dr_failed())
            return;
        if (km_w.env.strict_irql_exit) {
            km_callback_irql_check(entry, "EvtReserveDma", false);
            if (dr_failed())
                return;
        }
        irql_restore(old);
        return;
    }
    NTSTATUS st = stage_transfer(o, false);
    if (dr_failed() || NT_SUCCESS(st))
        return;
    dr_window(&win_synthetic);
    call_transfer_complete(o, st == STATUS_CANCELLED ? DmaCancelled : DmaError, false);
}

/* ---- the WDM DMA adapter (WdfDmaEnablerWdmGetDmaAdapter) ------------------------------------- */

/* The DMA_OPERATIONS of the model's system DMA adapters. KMDF owns the
 * adapter and its channel: it allocates the channel with
 * AllocateAdapterChannelEx and frees it in ReleaseResources
 * (fxdmatransactionsystem.hpp FxDmaSystemTransaction::
 * FreeMapRegistersAndAdapter), and it puts the adapter when the enabler goes
 * (fxdmaenabler.cpp FxDmaEnabler::FreeResources). What a system-DMA driver
 * calls itself is modelled (ReadDmaCounter, GetDmaAdapterInfo,
 * GetDmaAlignment, GetDmaTransferInfo), accepted (ConfigureAdapterChannel)
 * or reported (FreeAdapterChannel, PutDmaAdapter: misuse of KMDF's
 * adapter); the rest is reported as not modelled, a dmarace CHECK, never a
 * crash of the tool. */

DR_SITE(site_wdm_get_adapter, "WdfDmaEnablerWdmGetDmaAdapter");
DR_SITE(site_op_put, "DMA_OPERATIONS.PutDmaAdapter");
DR_SITE(site_op_free_channel, "DMA_OPERATIONS.FreeAdapterChannel");
DR_SITE(site_op_read_counter, "DMA_OPERATIONS.ReadDmaCounter");
DR_SITE(site_op_adapter_info, "DMA_OPERATIONS.GetDmaAdapterInfo");
DR_SITE(site_op_alignment, "DMA_OPERATIONS.GetDmaAlignment");
DR_SITE(site_op_transfer_info, "DMA_OPERATIONS.GetDmaTransferInfo");
DR_SITE(site_op_other, "DMA_OPERATIONS (not modelled)");

/* The model's adapter behind a driver's PDMA_ADAPTER, or NULL (a CRASH). */
static km_dmaadapter *adapter_from(PDMA_ADAPTER p, const char *api)
{
    for (unsigned i = 0; i < KM_MAX_DMA_ADAPTERS; i++)
        if (km_w.dma_adapters[i].used && p == &km_w.dma_adapters[i].wdm)
            return &km_w.dma_adapters[i];
    km_crash("DMA-ADAPTER", api, "not a DMA adapter", "%s called with %p, which no WdfDmaEnablerWdmGetDmaAdapter returned",
             api, (void *)p);
    return NULL;
}

static void op_not_modelled(const char *op)
{
    if (!km_enter(&site_op_other, HIGH_LEVEL))
        return;
    km_own_check("DMA-WDM", op, "DMA operation not modelled",
                 "the driver called %s on the adapter KMDF owns; the model implements ReadDmaCounter, "
                 "GetDmaAdapterInfo, GetDmaAlignment, GetDmaTransferInfo and ConfigureAdapterChannel "
                 "(docs/model-dma.md)",
                 op);
}

/* PutDmaAdapter: KMDF puts its adapter itself when the enabler is deleted
 * (FxDmaEnabler::FreeResources); a driver's put drops a reference it never
 * took, and KMDF's later put releases the object under everyone who still
 * uses it (the HAL's adapter object reference count goes below zero). */
static VOID op_put_dma_adapter(PDMA_ADAPTER DmaAdapter)
{
    static const char api[] = "PutDmaAdapter";
    if (!km_enter(&site_op_put, DISPATCH_LEVEL))
        return;
    if (!adapter_from(DmaAdapter, api))
        return;
    km_crash("DMA-PUT", api, "driver put the DMA adapter KMDF owns",
             "KMDF got this adapter with IoGetDmaAdapter and puts it itself when the enabler is deleted "
             "(fxdmaenabler.cpp FxDmaEnabler::FreeResources): the driver's PutDmaAdapter is one put too many");
}

/* FreeAdapterChannel: KMDF owns the channel of a system-DMA transaction. It
 * frees it itself once the transaction is done (the final DmaCompleted*,
 * Release, Dispose: FxDmaPacketTransaction::ReleaseResources ->
 * FxDmaSystemTransaction::FreeMapRegistersAndAdapter -> FreeAdapterChannel).
 * A driver's FreeAdapterChannel is therefore always one too many: either it
 * takes the channel from the transaction that holds it (and the HAL hands it
 * to the next waiter while the first still transfers), or it frees a channel
 * already freed. Driver Verifier's DMA verification bugchecks 0xE6
 * (DRIVER_VERIFIER_DMA_VIOLATION, parameter 1 = 0x04, "the driver freed too
 * many DMA adapter channels"); without it the HAL runs its wait queue again
 * (ReactOS IoFreeAdapterChannel). */
static VOID op_free_adapter_channel(PDMA_ADAPTER DmaAdapter)
{
    static const char api[] = "FreeAdapterChannel";
    if (!km_enter(&site_op_free_channel, DISPATCH_LEVEL))
        return;
    km_dmaadapter *a = adapter_from(DmaAdapter, api);
    if (!a)
        return;
    if (a->channel_owner)
        km_crash("DMA-FREE", api, "driver freed the adapter channel a KMDF transaction holds",
                 "TX%u holds the channel of DMA channel %u; KMDF frees it itself in ReleaseResources "
                 "(fxdmatransactionsystem.hpp FreeMapRegistersAndAdapter), so this is a double free: Driver "
                 "Verifier bugchecks 0xE6/0x04 (freed too many adapter channels), without it the HAL gives the "
                 "channel to the next waiter while TX%u still transfers",
                 a->channel_owner->id, (unsigned)a->channel, a->channel_owner->id);
    else
        km_crash("DMA-FREE", api, "driver freed an adapter channel KMDF already freed",
                 "DMA channel %u is free: KMDF freed it at the final DmaCompleted*/Release "
                 "(fxdmatransactionsystem.hpp FreeMapRegistersAndAdapter); a second FreeAdapterChannel is a double "
                 "free: Driver Verifier bugchecks 0xE6/0x04 (freed too many adapter channels), without it the HAL's "
                 "adapter wait queue is run for a channel nobody released",
                 (unsigned)a->channel);
}

/* ReadDmaCounter: the bytes of the current transfer the system DMA
 * controller has not moved yet. The model's hardware moves a transfer at
 * once when it finishes (the hw_done event): the whole mapped length while
 * the transfer runs, 0 once it finished or when nothing is mapped. */
static ULONG op_read_dma_counter(PDMA_ADAPTER DmaAdapter)
{
    static const char api[] = "ReadDmaCounter";
    if (!km_enter(&site_op_read_counter, HIGH_LEVEL))
        return 0;
    km_dmaadapter *a = adapter_from(DmaAdapter, api);
    if (!a)
        return 0;
    km_object *o = a->channel_owner;
    ULONG left = 0;
    if (o && o->u.tx.mapped && dr_event_armed(&o->u.tx.hw_done))
        left = o->u.tx.sg.Elements[0].Length;
    km_trace(&site_op_read_counter, o, left);
    return left;
}

/* GetDmaAdapterInfo: the caller sets Version to DMA_ADAPTER_INFO_VERSION1;
 * any other version is STATUS_NOT_SUPPORTED (docs: PGET_DMA_ADAPTER_INFO,
 * "does not support the specified version"). The values are [INF]: the
 * system DMA controller reads its counter, maps one element per map
 * register, reaches 32-bit addresses, supports DMA_SYNCHRONOUS_CALLBACK,
 * and moves units of the configured DmaWidth. */
static NTSTATUS op_get_dma_adapter_info(PDMA_ADAPTER DmaAdapter, PDMA_ADAPTER_INFO AdapterInfo)
{
    static const char api[] = "GetDmaAdapterInfo";
    if (!km_enter(&site_op_adapter_info, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_STATE;
    km_dmaadapter *a = adapter_from(DmaAdapter, api);
    if (!a)
        return STATUS_INVALID_PARAMETER;
    if (!AdapterInfo) {
        km_crash("V30", api, "NULL AdapterInfo", "%s without AdapterInfo", api);
        return STATUS_INVALID_PARAMETER;
    }
    if (AdapterInfo->Version != DMA_ADAPTER_INFO_VERSION1)
        return STATUS_NOT_SUPPORTED;
    static const ULONG unit[] = {1, 2, 4, 8};
    AdapterInfo->V1.ReadDmaCounterAvailable = TRUE;
    AdapterInfo->V1.ScatterGatherLimit = km_w.env.map_registers;
    AdapterInfo->V1.DmaAddressWidth = 32;
    AdapterInfo->V1.Flags = ADAPTER_INFO_SYNCHRONOUS_CALLBACK;
    AdapterInfo->V1.MinimumTransferUnit = (unsigned)a->width < 4 ? unit[a->width] : 1;
    return STATUS_SUCCESS;
}

/* GetDmaAlignment: no alignment requirement (1), as the ReactOS HAL's
 * HalpDmaGetDmaAlignment answers. */
static ULONG op_get_dma_alignment(PDMA_ADAPTER DmaAdapter)
{
    if (!km_enter(&site_op_alignment, HIGH_LEVEL))
        return 1;
    (void)adapter_from(DmaAdapter, "GetDmaAlignment");
    return 1;
}

/* The counts of a system-DMA transfer: one map register and one element per
 * page the buffer spans ([INF]; KMDF's own DMA v2 fallback in
 * FxDmaTransactionBase::GetTransferInfo counts the same). */
static void transfer_counts(uintptr_t va, size_t length, ULONG *map_registers, ULONG *elements)
{
    ULONG pages = (ULONG)(((va & (KM_PAGE_SIZE - 1)) + length + KM_PAGE_SIZE - 1) / KM_PAGE_SIZE);
    if (map_registers)
        *map_registers = pages;
    if (elements)
        *elements = pages;
}

static NTSTATUS op_get_dma_transfer_info(PDMA_ADAPTER DmaAdapter, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                         BOOLEAN WriteOnly, PDMA_TRANSFER_INFO TransferInfo)
{
    static const char api[] = "GetDmaTransferInfo";
    (void)WriteOnly;
    if (!km_enter(&site_op_transfer_info, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_STATE;
    if (!adapter_from(DmaAdapter, api))
        return STATUS_INVALID_PARAMETER;
    if (!Mdl || !TransferInfo) {
        km_crash("V30", api, "NULL Mdl or TransferInfo", "%s without Mdl or TransferInfo", api);
        return STATUS_INVALID_PARAMETER;
    }
    if (TransferInfo->Version != DMA_TRANSFER_INFO_VERSION1 && TransferInfo->Version != DMA_TRANSFER_INFO_VERSION2)
        return STATUS_NOT_SUPPORTED;
    ULONG mr, el;
    transfer_counts((uintptr_t)MmGetMdlVirtualAddress(Mdl) + (uintptr_t)Offset, Length, &mr, &el);
    TransferInfo->V1.MapRegisterCount = mr;
    TransferInfo->V1.ScatterGatherElementCount = el;
    TransferInfo->V1.ScatterGatherListSize =
        (ULONG)(offsetof(SCATTER_GATHER_LIST, Elements) + el * sizeof(SCATTER_GATHER_ELEMENT));
    if (TransferInfo->Version == DMA_TRANSFER_INFO_VERSION2)
        TransferInfo->V2.LogicalPageCount = mr;
    return STATUS_SUCCESS;
}

/* The operations a system-DMA driver has no business calling on KMDF's
 * adapter, or that the model does not implement: reported, then a failure. */
static PVOID op_allocate_common_buffer(PDMA_ADAPTER a, ULONG l, PPHYSICAL_ADDRESS la, BOOLEAN c)
{
    (void)a, (void)l, (void)la, (void)c;
    op_not_modelled("AllocateCommonBuffer");
    return NULL;
}
static VOID op_free_common_buffer(PDMA_ADAPTER a, ULONG l, PHYSICAL_ADDRESS la, PVOID va, BOOLEAN c)
{
    (void)a, (void)l, (void)la, (void)va, (void)c;
    op_not_modelled("FreeCommonBuffer");
}
static NTSTATUS op_allocate_adapter_channel(PDMA_ADAPTER a, PDEVICE_OBJECT d, ULONG n, PDRIVER_CONTROL r, PVOID c)
{
    (void)a, (void)d, (void)n, (void)r, (void)c;
    op_not_modelled("AllocateAdapterChannel");
    return STATUS_NOT_SUPPORTED;
}
static BOOLEAN op_flush_adapter_buffers(PDMA_ADAPTER a, PMDL m, PVOID b, PVOID va, ULONG l, BOOLEAN w)
{
    (void)a, (void)m, (void)b, (void)va, (void)l, (void)w;
    op_not_modelled("FlushAdapterBuffers");
    return FALSE;
}
static VOID op_free_map_registers(PDMA_ADAPTER a, PVOID b, ULONG n)
{
    (void)a, (void)b, (void)n;
    op_not_modelled("FreeMapRegisters");
}
static PHYSICAL_ADDRESS op_map_transfer(PDMA_ADAPTER a, PMDL m, PVOID b, PVOID va, PULONG l, BOOLEAN w)
{
    (void)a, (void)m, (void)b, (void)va, (void)l, (void)w;
    op_not_modelled("MapTransfer");
    PHYSICAL_ADDRESS z = {.QuadPart = 0};
    return z;
}
static NTSTATUS op_get_sg_list(PDMA_ADAPTER a, PDEVICE_OBJECT d, PMDL m, PVOID va, ULONG l, PDRIVER_LIST_CONTROL r,
                               PVOID c, BOOLEAN w)
{
    (void)a, (void)d, (void)m, (void)va, (void)l, (void)r, (void)c, (void)w;
    op_not_modelled("GetScatterGatherList");
    return STATUS_NOT_SUPPORTED;
}
static VOID op_put_sg_list(PDMA_ADAPTER a, PSCATTER_GATHER_LIST sg, BOOLEAN w)
{
    (void)a, (void)sg, (void)w;
    op_not_modelled("PutScatterGatherList");
}
static NTSTATUS op_calculate_sg_list(PDMA_ADAPTER a, PMDL m, PVOID va, ULONG l, PULONG size, PULONG n)
{
    (void)a, (void)m, (void)va, (void)l, (void)size, (void)n;
    op_not_modelled("CalculateScatterGatherList");
    return STATUS_NOT_SUPPORTED;
}
static NTSTATUS op_build_sg_list(PDMA_ADAPTER a, PDEVICE_OBJECT d, PMDL m, PVOID va, ULONG l,
                                 PDRIVER_LIST_CONTROL r, PVOID c, BOOLEAN w, PVOID b, ULONG bl)
{
    (void)a, (void)d, (void)m, (void)va, (void)l, (void)r, (void)c, (void)w, (void)b, (void)bl;
    op_not_modelled("BuildScatterGatherList");
    return STATUS_NOT_SUPPORTED;
}
static NTSTATUS op_build_mdl_from_sg(PDMA_ADAPTER a, PSCATTER_GATHER_LIST sg, PMDL m, PMDL *t)
{
    (void)a, (void)sg, (void)m, (void)t;
    op_not_modelled("BuildMdlFromScatterGatherList");
    return STATUS_NOT_SUPPORTED;
}
static NTSTATUS op_initialize_transfer_context(PDMA_ADAPTER a, PVOID c)
{
    (void)a, (void)c;
    op_not_modelled("InitializeDmaTransferContext");
    return STATUS_NOT_SUPPORTED;
}
static PVOID op_allocate_common_buffer_ex(PDMA_ADAPTER a, PPHYSICAL_ADDRESS max, ULONG l, PPHYSICAL_ADDRESS la,
                                          BOOLEAN c, NODE_REQUIREMENT n)
{
    (void)a, (void)max, (void)l, (void)la, (void)c, (void)n;
    op_not_modelled("AllocateCommonBufferEx");
    return NULL;
}
static NTSTATUS op_allocate_adapter_channel_ex(PDMA_ADAPTER a, PDEVICE_OBJECT d, PVOID tc, ULONG n, ULONG f,
                                               PDRIVER_CONTROL r, PVOID c, PVOID *b)
{
    (void)a, (void)d, (void)tc, (void)n, (void)f, (void)r, (void)c, (void)b;
    op_not_modelled("AllocateAdapterChannelEx");
    return STATUS_NOT_SUPPORTED;
}
/* ConfigureAdapterChannel: accept-only. The HAL hands the function number
 * and its context to the DMA controller's extension (controller-specific
 * numbers: a request line to acquire or release, a watermark, a
 * notification threshold); the model has no controller extension, so it
 * records the call in the trace and returns STATUS_SUCCESS. */
DR_SITE(site_op_configure_channel, "DMA_OPERATIONS.ConfigureAdapterChannel");

static NTSTATUS op_configure_adapter_channel(PDMA_ADAPTER DmaAdapter, ULONG FunctionNumber, PVOID Context)
{
    (void)Context;
    if (!km_enter(&site_op_configure_channel, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_STATE;
    if (!adapter_from(DmaAdapter, "ConfigureAdapterChannel"))
        return STATUS_INVALID_PARAMETER;
    km_trace(&site_op_configure_channel, NULL, FunctionNumber);
    return STATUS_SUCCESS;
}
static BOOLEAN op_cancel_adapter_channel(PDMA_ADAPTER a, PDEVICE_OBJECT d, PVOID tc)
{
    (void)a, (void)d, (void)tc;
    op_not_modelled("CancelAdapterChannel");
    return FALSE;
}
static NTSTATUS op_map_transfer_ex(PDMA_ADAPTER a, PMDL m, PVOID b, ULONGLONG off, ULONG doff, PULONG l, BOOLEAN w,
                                   PSCATTER_GATHER_LIST sg, ULONG sgl, PDMA_COMPLETION_ROUTINE r, PVOID c)
{
    (void)a, (void)m, (void)b, (void)off, (void)doff, (void)l, (void)w, (void)sg, (void)sgl, (void)r, (void)c;
    op_not_modelled("MapTransferEx");
    return STATUS_NOT_SUPPORTED;
}
static NTSTATUS op_get_sg_list_ex(PDMA_ADAPTER a, PDEVICE_OBJECT d, PVOID tc, PMDL m, ULONGLONG off, ULONG l,
                                  ULONG f, PDRIVER_LIST_CONTROL r, PVOID c, BOOLEAN w, PDMA_COMPLETION_ROUTINE cr,
                                  PVOID cc, PSCATTER_GATHER_LIST *sg)
{
    (void)a, (void)d, (void)tc, (void)m, (void)off, (void)l, (void)f, (void)r, (void)c, (void)w, (void)cr, (void)cc,
        (void)sg;
    op_not_modelled("GetScatterGatherListEx");
    return STATUS_NOT_SUPPORTED;
}
static NTSTATUS op_build_sg_list_ex(PDMA_ADAPTER a, PDEVICE_OBJECT d, PVOID tc, PMDL m, ULONGLONG off, ULONG l,
                                    ULONG f, PDRIVER_LIST_CONTROL r, PVOID c, BOOLEAN w, PVOID b, ULONG bl,
                                    PDMA_COMPLETION_ROUTINE cr, PVOID cc, PVOID sg)
{
    (void)a, (void)d, (void)tc, (void)m, (void)off, (void)l, (void)f, (void)r, (void)c, (void)w, (void)b, (void)bl,
        (void)cr, (void)cc, (void)sg;
    op_not_modelled("BuildScatterGatherListEx");
    return STATUS_NOT_SUPPORTED;
}
static NTSTATUS op_flush_adapter_buffers_ex(PDMA_ADAPTER a, PMDL m, PVOID b, ULONGLONG off, ULONG l, BOOLEAN w)
{
    (void)a, (void)m, (void)b, (void)off, (void)l, (void)w;
    op_not_modelled("FlushAdapterBuffersEx");
    return STATUS_NOT_SUPPORTED;
}
static VOID op_free_adapter_object(PDMA_ADAPTER a, IO_ALLOCATION_ACTION act)
{
    (void)a, (void)act;
    op_not_modelled("FreeAdapterObject");
}
static NTSTATUS op_cancel_mapped_transfer(PDMA_ADAPTER a, PVOID tc)
{
    (void)a, (void)tc;
    op_not_modelled("CancelMappedTransfer");
    return STATUS_NOT_SUPPORTED;
}

static const DMA_OPERATIONS km_dma_operations = {
    .Size = sizeof(DMA_OPERATIONS),
    .PutDmaAdapter = op_put_dma_adapter,
    .AllocateCommonBuffer = op_allocate_common_buffer,
    .FreeCommonBuffer = op_free_common_buffer,
    .AllocateAdapterChannel = op_allocate_adapter_channel,
    .FlushAdapterBuffers = op_flush_adapter_buffers,
    .FreeAdapterChannel = op_free_adapter_channel,
    .FreeMapRegisters = op_free_map_registers,
    .MapTransfer = op_map_transfer,
    .GetDmaAlignment = op_get_dma_alignment,
    .ReadDmaCounter = op_read_dma_counter,
    .GetScatterGatherList = op_get_sg_list,
    .PutScatterGatherList = op_put_sg_list,
    .CalculateScatterGatherList = op_calculate_sg_list,
    .BuildScatterGatherList = op_build_sg_list,
    .BuildMdlFromScatterGatherList = op_build_mdl_from_sg,
    .GetDmaAdapterInfo = op_get_dma_adapter_info,
    .GetDmaTransferInfo = op_get_dma_transfer_info,
    .InitializeDmaTransferContext = op_initialize_transfer_context,
    .AllocateCommonBufferEx = op_allocate_common_buffer_ex,
    .AllocateAdapterChannelEx = op_allocate_adapter_channel_ex,
    .ConfigureAdapterChannel = op_configure_adapter_channel,
    .CancelAdapterChannel = op_cancel_adapter_channel,
    .MapTransferEx = op_map_transfer_ex,
    .GetScatterGatherListEx = op_get_sg_list_ex,
    .BuildScatterGatherListEx = op_build_sg_list_ex,
    .FlushAdapterBuffersEx = op_flush_adapter_buffers_ex,
    .FreeAdapterObject = op_free_adapter_object,
    .CancelMappedTransfer = op_cancel_mapped_transfer,
};

/* ---- MDLs of the driver's own (IoAllocateMdl / IoFreeMdl) --------------------------------------------- */

DR_SITE(site_allocate_mdl, "IoAllocateMdl");
DR_SITE(site_free_mdl, "IoFreeMdl");

/* IoAllocateMdl: an MDL (header and PFN array) from the guarded arena,
 * initialised as MmInitializeMdl does for VirtualAddress and Length; the
 * caller builds it (MmBuildMdlForNonPagedPool). SecondaryBuffer and
 * ChargeQuota change nothing without an IRP; an Irp (to chain the MDL to) is
 * not modelled: the model's IRPs are opaque. At most 16 per execution (a
 * model limit: then NULL, as when the pool is exhausted). */
PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp)
{
    static const char api[] = "IoAllocateMdl";
    (void)SecondaryBuffer, (void)ChargeQuota;
    if (!km_enter(&site_allocate_mdl, DISPATCH_LEVEL))
        return NULL;
    if (Irp) {
        km_own_check("DMA-WDM", api, "IoAllocateMdl with an IRP not modelled",
                     "the model's IRPs are opaque: an MDL cannot be chained to one");
        return NULL;
    }
    if (km_w.nmdls == sizeof km_w.mdls / sizeof km_w.mdls[0] || !km_w.driver)
        return NULL;
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
    uint32_t id;
    PMDL m = km_alloc(sizeof(MDL) + pages * sizeof(ULONG_PTR), 16, "MDL", "MDL", km_w.driver, &id);
    MmInitializeMdl(m, VirtualAddress, Length);
    km_w.mdls[km_w.nmdls].mdl = m;
    km_w.mdls[km_w.nmdls].alloc = id;
    km_w.mdls[km_w.nmdls].freed = false;
    km_w.nmdls++;
    km_trace(&site_allocate_mdl, NULL, Length);
    return m;
}

/* IoFreeMdl: an MDL IoAllocateMdl returned, once; anything else is a CRASH
 * (the I/O manager frees what it did not allocate, or twice). */
VOID IoFreeMdl(PMDL Mdl)
{
    static const char api[] = "IoFreeMdl";
    if (!km_enter(&site_free_mdl, DISPATCH_LEVEL))
        return;
    for (unsigned i = 0; i < km_w.nmdls; i++) {
        if (km_w.mdls[i].mdl != Mdl)
            continue;
        if (km_w.mdls[i].freed) {
            km_crash("MDL-FREE", api, "MDL freed twice", "IoFreeMdl(%p): this MDL was freed already", (void *)Mdl);
            return;
        }
        km_w.mdls[i].freed = true;
        km_free(km_w.mdls[i].alloc);
        return;
    }
    km_crash("MDL-FREE", api, "not an MDL from IoAllocateMdl",
             "IoFreeMdl(%p): the MDL was not allocated by IoAllocateMdl", (void *)Mdl);
}

/* ---- the enabler -------------------------------------------------------------------------------------- */

/* fxdmaenabler.cpp FxDmaEnabler::Initialize: the profile's settings.
 * Packet/Packet64: no scatter-gather; ScatterGather*: m_IsScatterGather;
 * the *Duplex ones: m_IsDuplexTransfer. An AddressWidthOverride above 32 on
 * a 32-bit profile is STATUS_INVALID_PARAMETER after FxVerifierDbgBreakPoint.
 * (The model's logical addresses do not depend on the width: request
 * buffers and common buffers are below 4 GiB, a driver's static buffer above
 * it, with no bounce buffering: docs/model-dma.md.) */
static NTSTATUS bus_master_profile(const WDF_DMA_ENABLER_CONFIG *c, const char *api, bool *sg, bool *duplex)
{
    bool wide = c->Profile == WdfDmaProfilePacket64 || c->Profile == WdfDmaProfileScatterGather64 ||
                c->Profile == WdfDmaProfileScatterGather64Duplex;
    *sg = c->Profile != WdfDmaProfilePacket && c->Profile != WdfDmaProfilePacket64;
    *duplex = c->Profile == WdfDmaProfileScatterGatherDuplex || c->Profile == WdfDmaProfileScatterGather64Duplex;
    if (c->AddressWidthOverride > 32 && !wide) {
        km_vf_break("DMA-WIDTH", api, "AddressWidthOverride above 32 on a 32-bit profile",
                    "AddressWidthOverride %u with profile %d", (unsigned)c->AddressWidthOverride, (int)c->Profile);
        return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
}

/* IoGetDmaAdapter for a bus master (ConfigureBusMasterAdapters ->
 * ConfigureDmaAdapter, once per direction of a duplex enabler): a fresh
 * adapter each, with env.map_registers map registers (NumberOfMapRegisters).
 * False when the model's adapters are all taken (a model limit). */
static bool bus_master_adapters(bool duplex, km_dmaadapter *out[2])
{
    unsigned want = duplex ? 2 : 1, got = 0;
    for (unsigned i = 0; i < KM_MAX_DMA_ADAPTERS && got < want; i++)
        if (!km_w.dma_adapters[i].used)
            out[got++] = &km_w.dma_adapters[i];
    if (got < want) {
        out[0] = out[1] = NULL;
        return false;
    }
    for (unsigned i = 0; i < want; i++) {
        km_dmaadapter *a = out[i];
        a->used = true;
        a->bus_master = true;
        a->channel = a->request_line = (ULONG)-1; /* never a system DMA channel's adapter */
        a->width = Width32Bits;
        a->wdm.Version = 1;
        a->wdm.Size = sizeof a->wdm;
        a->wdm.DmaOperations = (PDMA_OPERATIONS)&km_dma_operations;
    }
    return true;
}

static void bus_master_adapters_put(km_dmaadapter *a[2])
{
    for (unsigned i = 0; i < 2; i++)
        if (a[i]) {
            a[i]->used = false;
            a[i]->bus_master = false;
        }
}

NTSTATUS WdfDmaEnablerCreate(WDFDEVICE Device, PWDF_DMA_ENABLER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes,
                             WDFDMAENABLER *DmaEnablerHandle)
{
    static const char api[] = "WdfDmaEnablerCreate";
    if (!km_enter_irql_checked(&site_enabler_create, PASSIVE_LEVEL)) /* fxdmaenablerapi.cpp WdfDmaEnablerCreate */
        return STATUS_INVALID_DEVICE_STATE;
    km_object *dev = km_lookup(Device, KM_T_DEVICE, api, false);
    if (!dev)
        return STATUS_INVALID_HANDLE;
    if (!Config || !DmaEnablerHandle) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "%s without a Config or DmaEnablerHandle", api);
        return STATUS_INVALID_PARAMETER;
    }
    *DmaEnablerHandle = NULL;
    if (Config->Size != sizeof *Config)
        return STATUS_INFO_LENGTH_MISMATCH;
    /* fxdmaenablerapi.cpp WdfDmaEnablerCreate: a value outside the profile
     * enumeration is STATUS_INVALID_PARAMETER. */
    if (Config->Profile <= WdfDmaProfileInvalid || Config->Profile >= WdfDmaProfileMax)
        return STATUS_INVALID_PARAMETER;
    bool system = Config->Profile == WdfDmaProfileSystem || Config->Profile == WdfDmaProfileSystemDuplex;
    if (Config->MaximumLength == 0)
        return STATUS_INVALID_PARAMETER;
    if (km_w.env.map_registers < 2)
        return STATUS_INSUFFICIENT_RESOURCES; /* MaximumFragmentLength would be 0 */
    /* The bus-master profiles: fxdmaenabler.cpp FxDmaEnabler::Initialize. */
    bool scatter_gather = false, duplex = Config->Profile == WdfDmaProfileSystemDuplex;
    if (!system) {
        NTSTATUS pst = bus_master_profile(Config, api, &scatter_gather, &duplex);
        if (!NT_SUCCESS(pst))
            return pst;
    }
    km_dmaadapter *bm[2] = {NULL, NULL};
    if (!system && !bus_master_adapters(duplex, bm))
        return STATUS_INSUFFICIENT_RESOURCES; /* IoGetDmaAdapter returned NULL: the model's adapters are taken */
    NTSTATUS st;
    km_object *o = km_obj_create(KM_T_DMAENABLER, Attributes, dev, api, &st);
    if (!o) {
        bus_master_adapters_put(bm);
        return st;
    }
    km_dmaenabler *e = &o->u.dmae;
    e->config = *Config;
    e->device = dev;
    e->system_profile = system;
    e->bus_master = !system;
    e->scatter_gather = scatter_gather;
    e->duplex = duplex;
    e->maximum_length = Config->MaximumLength;
    if (!system) {
        /* ConfigureBusMasterAdapters: one adapter per direction (duplex) or
         * one for both, at creation (no resource needed). */
        e->adapter[0] = bm[0];
        e->adapter[1] = duplex ? bm[1] : bm[0];
    }
    /* fxdmaenabler.cpp#InitializeResources (spec 2.3). */
    e->max_fragment = min_size(Config->MaximumLength, (size_t)(km_w.env.map_registers - 1) * KM_PAGE_SIZE);
    e->max_sg_elements = WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS; /* FxDmaEnabler::FxDmaEnabler */
    dev->u.dev.dma_enabler = o;
    km_trace(&site_enabler_create, o, (int64_t)e->max_fragment);
    *DmaEnablerHandle = (WDFDMAENABLER)km_handle(o);
    return STATUS_SUCCESS;
}

/* IoGetDmaAdapter for a system DMA channel. The HAL keeps one adapter
 * object per system DMA channel and hands the same one to every caller that
 * names the channel (ReactOS hal/halx86/generic/dma.c HalGetAdapter: "for
 * first eight ISA/EISA channels there are static adapter objects that are
 * reused", HalpEisaAdapter[DmaChannel]). Two enablers (or both directions of
 * a duplex enabler) configured with the same channel therefore share one
 * adapter channel: their transactions wait for each other. NULL when the
 * model's adapters are all taken (a model limit). */
static km_dmaadapter *get_dma_adapter(const CM_PARTIAL_RESOURCE_DESCRIPTOR *d, DMA_WIDTH width)
{
    for (unsigned i = 0; i < KM_MAX_DMA_ADAPTERS; i++) {
        km_dmaadapter *a = &km_w.dma_adapters[i];
        if (a->used && !a->bus_master && a->channel == d->u.Dma.Channel)
            return a;
    }
    for (unsigned i = 0; i < KM_MAX_DMA_ADAPTERS; i++) {
        km_dmaadapter *a = &km_w.dma_adapters[i];
        if (a->used)
            continue;
        a->used = true;
        a->channel = d->u.Dma.Channel;
        a->request_line = d->u.Dma.Port;
        a->width = width;
        a->wdm.Version = 1;
        a->wdm.Size = sizeof a->wdm;
        a->wdm.DmaOperations = (PDMA_OPERATIONS)&km_dma_operations;
        return a;
    }
    return NULL;
}

NTSTATUS WdfDmaEnablerConfigureSystemProfile(WDFDMAENABLER DmaEnabler, PWDF_DMA_SYSTEM_PROFILE_CONFIG ProfileConfig,
                                             WDF_DMA_DIRECTION ConfigDirection)
{
    static const char api[] = "WdfDmaEnablerConfigureSystemProfile";
    if (!km_enter(&site_configure_system, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_STATE;
    km_object *o = km_lookup(DmaEnabler, KM_T_DMAENABLER, api, false);
    if (!o)
        return STATUS_INVALID_HANDLE;
    if (!ProfileConfig) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "%s without a ProfileConfig", api);
        return STATUS_INVALID_PARAMETER;
    }
    if (ProfileConfig->Size != sizeof *ProfileConfig)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!ProfileConfig->DmaDescriptor ||
        (ConfigDirection != WdfDmaDirectionReadFromDevice && ConfigDirection != WdfDmaDirectionWriteToDevice))
        return STATUS_INVALID_PARAMETER;
    km_dmaenabler *e = &o->u.dmae;
    if (e->system_profile_configured[ConfigDirection ? 1 : 0] || e->bus_master) {
        /* fxdmaenabler.cpp FxDmaEnabler::ConfigureSystemAdapter: the
         * direction's adapter exists already (one adapter for both directions
         * of a simplex enabler): FxVerifierDbgBreakPoint, then
         * STATUS_INVALID_PARAMETER in every build. */
        km_vf_break("DMA-CFG", api, "direction already configured",
                    "DMAE%u: the system profile for this direction (or the simplex enabler's one adapter, or a "
                    "bus-master enabler's adapter, made at creation) is already configured",
                    o->id);
        return STATUS_INVALID_PARAMETER;
    }
    /* FxDmaEnabler::ConfigureSystemAdapter: IoGetDmaAdapter with
     * DmaChannel = u.Dma.Channel, DmaRequestLine = u.Dma.Port. */
    km_dmaadapter *a = get_dma_adapter(ProfileConfig->DmaDescriptor, ProfileConfig->DmaWidth);
    if (!a) /* the model's adapters are all taken: IoGetDmaAdapter returned NULL */
        return STATUS_UNSUCCESSFUL /* FxDmaEnabler::InitializeResources */;
    if (e->duplex) {
        e->system_profile_configured[ConfigDirection ? 1 : 0] = true;
        e->adapter[ConfigDirection ? 1 : 0] = a;
    } else {
        /* A simplex system enabler has one adapter for both directions. */
        e->system_profile_configured[0] = e->system_profile_configured[1] = true;
        e->adapter[0] = e->adapter[1] = a;
    }
    km_trace(&site_configure_system, o, ConfigDirection);
    return STATUS_SUCCESS;
}

size_t WdfDmaEnablerGetMaximumLength(WDFDMAENABLER DmaEnabler)
{
    if (!km_enter(&site_get_max_length, DISPATCH_LEVEL))
        return 0;
    km_object *o = km_lookup(DmaEnabler, KM_T_DMAENABLER, "WdfDmaEnablerGetMaximumLength", false);
    return o ? o->u.dmae.maximum_length : 0;
}

/* ---- transactions --------------------------------------------------------------------------------------- */

static km_object *tx_lookup(WDFDMATRANSACTION h, const char *api)
{
    /* A deleted transaction kept alive by a reference still has a valid
     * handle; its state (Deleted) is then what the DDI checks. */
    return km_lookup(h, KM_T_DMATRANSACTION, api, true);
}

/* The prologue of a transaction DDI callable up to DISPATCH_LEVEL: the entry
 * check, then the handle. NULL when either fired a finding; *status (when
 * given) is then what the DDI returns: STATUS_INVALID_DEVICE_STATE for the
 * entry check, STATUS_INVALID_HANDLE for the handle. */
static km_object *tx_enter_status(const dr_site *site, WDFDMATRANSACTION h, const char *api, NTSTATUS *status)
{
    if (!km_enter(site, DISPATCH_LEVEL)) {
        *status = STATUS_INVALID_DEVICE_STATE;
        return NULL;
    }
    *status = STATUS_INVALID_HANDLE;
    return tx_lookup(h, api);
}

/* The same for a DDI that returns one value for both failures. */
static km_object *tx_enter(const dr_site *site, WDFDMATRANSACTION h, const char *api)
{
    NTSTATUS ignored;
    return tx_enter_status(site, h, api, &ignored);
}

NTSTATUS WdfDmaTransactionCreate(WDFDMAENABLER DmaEnabler, PWDF_OBJECT_ATTRIBUTES Attributes,
                                 WDFDMATRANSACTION *DmaTransaction)
{
    static const char api[] = "WdfDmaTransactionCreate";
    if (!km_enter(&site_tx_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_STATE;
    km_object *en = km_lookup(DmaEnabler, KM_T_DMAENABLER, api, false);
    if (!en)
        return STATUS_INVALID_HANDLE;
    if (!DmaTransaction) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "%s without DmaTransaction", api);
        return STATUS_INVALID_PARAMETER;
    }
    *DmaTransaction = NULL;
    /* FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED: the parent is the enabler
     * (fxvalidatefunctions.cpp FxValidateObjectAttributes). */
    if (Attributes && Attributes->ParentObject)
        return STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
    NTSTATUS st;
    km_object *o = km_obj_create(KM_T_DMATRANSACTION, Attributes, en, api, &st);
    if (!o)
        return st;
    km_dmatx *t = &o->u.tx;
    t->state = KM_TX_CREATED;
    t->enabler = en;
    t->require_single = (en->u.dmae.config.Flags & WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER) != 0;
    dr_spinlock_init(&t->transfer_lock, "dma-transfer-state");
    dr_event_init(&t->hw_done, hw_done_fire, o, "dma-hw-done");
    dr_dpc_init(&t->hal_dpc, hal_dpc_fn, o, "HAL DMA completion DPC");
    dr_dpc_init(&t->adapter_dpc, adapter_dpc_fn, o, "_AdapterControl DPC");
    if (en->u.dmae.scatter_gather) {
        /* FxDmaScatterGatherTransaction::_Create: the SG list buffer from
         * the enabler's lookaside list, sized for NumberOfMapRegisters
         * elements (CalculateScatterGatherList); kept until Dispose. */
        t->sgl_capacity = km_w.env.map_registers;
        t->sgl = km_alloc(offsetof(SCATTER_GATHER_LIST, Elements) + t->sgl_capacity * sizeof(SCATTER_GATHER_ELEMENT),
                          16, "scatter/gather list", NULL, o, &t->sgl_alloc);
    }
    km_trace(&site_tx_create, o, 0);
    *DmaTransaction = (WDFDMATRANSACTION)km_handle(o);
    return STATUS_SUCCESS;
}

/* FxDmaTransactionBase::Reset (fxdmatransactionbase.cpp). The
 * transfer-complete callback stays: Reset does not touch
 * m_TransferCompleteFunction, and FxDmaTransactionSystem::Reuse
 * (fxdmatransactionsystem.hpp), the only code that clears it, is never
 * called. A driver may set it once and reuse the transaction. */
static void tx_reset(km_dmatx *t)
{
    /* m_RequireSingleTransfer = the enabler's flag (Reset). */
    t->require_single =
        (t->enabler->u.dmae.config.Flags & WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER) != 0;
    t->immediate = false; /* m_Flags = 0 */
    t->mdl = NULL;
    t->max_fragment = 0;
    t->length = t->remaining = t->transferred = t->fragment = 0;
    t->direction = WdfDmaDirectionReadFromDevice;
    t->context = NULL;
    t->program_dma = NULL;
    t->hw_notify = false;
    t->buffer = NULL;
}

/* ReleaseForReuse: FALSE outside state Transfer (Release), TRUE to free
 * reserved map registers too (FreeResources, a failed AllocateResources). */
static void release_for_reuse(km_object *o, bool force)
{
    km_dmatx *t = &o->u.tx;
    t->state = KM_TX_RELEASED;
    release_resources(o, force);
    cancel_pending_allocation(o);
    tx_reset(t);
    clear_request(o);
}

static NTSTATUS sg_check_fragments(km_object *o);

/* FxDmaTransactionBase::Initialize. */
static NTSTATUS tx_initialize(km_object *o, const char *api, PFN_WDF_PROGRAM_DMA program, WDF_DMA_DIRECTION dir,
                              size_t length, uint8_t *buffer)
{
    km_dmatx *t = &o->u.tx;
    if (t->state != KM_TX_CREATED && t->state != KM_TX_RESERVED && t->state != KM_TX_RELEASED) {
        km_bugcheck("V1", WDF_DMA_FATAL_ERROR, api, "initialize in a state other than Created/Reserved/Released",
                    "TX%u is %s (Release it before reusing it)", o->id, km_tx_state_name(t->state));
        return STATUS_INVALID_DEVICE_STATE;
    }
    km_dmaenabler *e = enabler_of(o);
    t->adapter_info_valid = true; /* m_AdapterInfo = the direction's description */
    if (!t->channel_allocated && !t->channel_pending) /* a reservation keeps its adapter ([INF], duplex) */
        t->adapter = e->adapter[dir ? 1 : 0];
    t->max_fragment = e->max_fragment;
    t->direction = dir;
    t->remaining = t->length = length;
    t->fragment = 0;
    t->program_dma = program;
    t->buffer = buffer;
    t->mdl = NULL; /* m_StartMdl: set by the caller */
    t->hw_notify = false;
    NTSTATUS st = STATUS_SUCCESS;
    if (t->require_single) { /* m_RequireSingleTransfer */
        if (t->max_fragment < e->maximum_length)
            t->max_fragment = e->maximum_length;
        if (length > t->max_fragment)
            st = STATUS_WDF_TOO_MANY_TRANSFERS; /* PrepareForSingleTransfer */
    }
    if (NT_SUCCESS(st) && e->scatter_gather && !t->require_single)
        st = sg_check_fragments(o);
    if (!NT_SUCCESS(st)) {
        release_for_reuse(o, false);
        return st;
    }
    /* InitializeResources: under the transfer-state lock; a new transfer
     * context has no cancel bit. m_DeviceAddressOffset = 0
     * (fxdmatransactionpacket.cpp InitializeResources). */
    t->device_offset = 0;
    t->is_cancelled = false;
    t->hal_cancel_requested = false;
    t->state = KM_TX_INITIALIZED;
    return STATUS_SUCCESS;
}

NTSTATUS WdfDmaTransactionInitialize(WDFDMATRANSACTION DmaTransaction, PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                     WDF_DMA_DIRECTION DmaDirection, PMDL Mdl, PVOID VirtualAddress, size_t Length)
{
    static const char api[] = "WdfDmaTransactionInitialize";
    NTSTATUS refused;
    km_object *o = tx_enter_status(&site_initialize, DmaTransaction, api, &refused);
    if (!o)
        return refused;
    if (!EvtProgramDmaFunction || !Mdl) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "%s without EvtProgramDma or Mdl", api);
        return STATUS_INVALID_PARAMETER;
    }
    km_trace(&site_initialize, o, (int64_t)Length);
    if (Length == 0)
        return STATUS_INVALID_PARAMETER;
    if (DmaDirection != WdfDmaDirectionReadFromDevice && DmaDirection != WdfDmaDirectionWriteToDevice)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = tx_initialize(o, api, EvtProgramDmaFunction, DmaDirection, Length, VirtualAddress);
    if (NT_SUCCESS(st))
        o->u.tx.mdl = Mdl; /* m_StartMdl */
    return st;
}

NTSTATUS WdfDmaTransactionInitializeUsingRequest(WDFDMATRANSACTION DmaTransaction, WDFREQUEST Request,
                                                 PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                                 WDF_DMA_DIRECTION DmaDirection)
{
    static const char api[] = "WdfDmaTransactionInitializeUsingRequest";
    NTSTATUS refused;
    km_object *o = tx_enter_status(&site_initialize_request, DmaTransaction, api, &refused);
    if (!o)
        return refused;
    if (!EvtProgramDmaFunction) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "%s without EvtProgramDma", api);
        return STATUS_INVALID_PARAMETER;
    }
    if (DmaDirection != WdfDmaDirectionReadFromDevice && DmaDirection != WdfDmaDirectionWriteToDevice)
        return STATUS_INVALID_PARAMETER;
    km_object *r = km_lookup(Request, KM_T_REQUEST, api, false);
    if (!r)
        return STATUS_INVALID_HANDLE;
    const km_request *q = &r->u.req;
    km_trace(&site_initialize_request, o, (int64_t)q->length);
    /* fxdmatransactionapi.cpp WdfDmaTransactionInitializeUsingRequest: the
     * MDL and length by major function and, for a device control, by method.
     * Read/write: the direction must match; FxRequest::GetMdl. METHOD_BUFFERED:
     * either direction, the input length writing to the device and the
     * output length reading from it, over GetMdl's MDL (the system buffer,
     * probed for both). IN_DIRECT: only to the device, OUT_DIRECT: only from
     * it, the output length over GetDeviceControlOutputMdl's MDL.
     * METHOD_NEITHER: a break and STATUS_INVALID_DEVICE_REQUEST. */
    PMDL mdl = NULL;
    size_t length = 0;
    NTSTATUS mst;
    bool out_dir = DmaDirection == WdfDmaDirectionReadFromDevice;
    switch (q->type) {
    case WdfRequestTypeRead:
    case WdfRequestTypeWrite:
        if (out_dir != (q->type == WdfRequestTypeRead))
            return STATUS_INVALID_DEVICE_REQUEST;
        length = q->length;
        mst = km_request_mdl(r, false, &mdl, api);
        break;
    case WdfRequestTypeDeviceControl:
    case WdfRequestTypeDeviceControlInternal:
        switch (METHOD_FROM_CTL_CODE(q->ioctl)) {
        case METHOD_BUFFERED:
            length = out_dir ? q->out_length : q->in_length;
            mst = km_request_mdl(r, false, &mdl, api); /* GetMdl: the system buffer, the input length */
            break;
        case METHOD_IN_DIRECT:
        case METHOD_OUT_DIRECT:
            if (out_dir != (METHOD_FROM_CTL_CODE(q->ioctl) == METHOD_OUT_DIRECT))
                return STATUS_INVALID_DEVICE_REQUEST;
            length = q->out_length;
            mst = km_request_mdl(r, true, &mdl, api);
            break;
        default:
            km_vf_break("DMA-REQ", api, "METHOD_NEITHER request", "REQ%u: IOCTL %#x uses METHOD_NEITHER", r->id,
                        (unsigned)q->ioctl);
            return STATUS_INVALID_DEVICE_REQUEST;
        }
        break;
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (dr_failed())
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!NT_SUCCESS(mst))
        return mst;
    if (length == 0)
        return STATUS_INVALID_DEVICE_REQUEST;
    /* SupportsChainedMdls() is FALSE only for a packet-mode bus master
     * without DMA v3: there the length may not run past the MDL. */
    km_dmaenabler *ue = enabler_of(o);
    if (ue->bus_master && !ue->scatter_gather && ue->config.WdmDmaVersionOverride != 3 &&
        ue->config.AddressWidthOverride == 0 && length > MmGetMdlByteCount(mdl))
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = tx_initialize(o, api, EvtProgramDmaFunction, DmaDirection, length, MmGetMdlVirtualAddress(mdl));
    if (!NT_SUCCESS(st))
        return st;
    /* SetRequest: no reference until Execute. */
    o->u.tx.request = r;
    o->u.tx.request_handle = Request;
    o->u.tx.request_gen = r->gen;
    o->u.tx.request_strong = false;
    return STATUS_SUCCESS;
}

/* V10: fxdmatransactionapi.cpp WdfDmaTransactionSetTransferCompleteCallback,
 * WdfDmaTransactionSetChannelConfigurationCallback and
 * WdfDmaTransactionStopSystemTransfer "Verify that the transaction belongs to
 * a system profile enabler": otherwise FxVerifierDbgBreakPoint (a VF-BREAK)
 * and return without doing anything, in every build. False when the DDI
 * must return. */
static bool system_profile_only(km_object *o, const char *api)
{
    km_dmaenabler *e = enabler_of(o);
    if (e->system_profile)
        return true;
    km_vf_break("V10", api, "system-profile DDI on a bus-master transaction",
                "TX%u belongs to a profile-%d enabler (not WdfDmaProfileSystem/SystemDuplex): KMDF does nothing",
                o->id, (int)e->config.Profile);
    return false;
}

VOID WdfDmaTransactionSetTransferCompleteCallback(WDFDMATRANSACTION DmaTransaction,
                                                  PFN_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE DmaCompletionRoutine,
                                                  PVOID DmaCompletionContext)
{
    km_object *o = tx_enter(&site_set_complete_cb, DmaTransaction, "WdfDmaTransactionSetTransferCompleteCallback");
    if (!o)
        return;
    /* No state check and no lock (spec 1.4). */
    if (!system_profile_only(o, "WdfDmaTransactionSetTransferCompleteCallback"))
        return;
    km_trace(&site_set_complete_cb, o, DmaCompletionRoutine != NULL);
    o->u.tx.transfer_complete = DmaCompletionRoutine;
    o->u.tx.transfer_complete_context = DmaCompletionContext;
}

NTSTATUS WdfDmaTransactionExecute(WDFDMATRANSACTION DmaTransaction, WDFCONTEXT Context)
{
    static const char api[] = "WdfDmaTransactionExecute";
    NTSTATUS refused;
    km_object *o = tx_enter_status(&site_execute, DmaTransaction, api, &refused);
    if (!o)
        return refused;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_execute, o, (int64_t)t->length);
    if (t->state != KM_TX_INITIALIZED) {
        km_bugcheck("V2", WDF_DMA_FATAL_ERROR, api, "execute in a state other than Initialized",
                    "TX%u is %s", o->id, km_tx_state_name(t->state));
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (!t->adapter) /* configured after Initialize: m_AdapterInfo is read at use */
        t->adapter = enabler_of(o)->adapter[t->direction ? 1 : 0];
    if (!t->adapter) {
        km_crash("DMA-CFG", api, "system profile not configured: no adapter object",
                 "TX%u executes on an enabler never given WdfDmaEnablerConfigureSystemProfile for this direction",
                 o->id);
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (t->reserved_mr > 0 && !t->channel_allocated) {
        /* StartTransfer with reserved map registers calls _AdapterControl
         * itself with the map register base the reservation has not got
         * yet; the HAL's grant then runs _AdapterControl a second time on a
         * transferring transaction. KMDF checks nothing. */
        km_own_check("DMA-RSV", api, "Execute with reserved resources before EvtReserveDma",
                     "TX%u: AllocateResources has not been granted the channel yet (EvtReserveDma has not run); "
                     "KMDF would stage with a NULL map register base and stage again when the HAL grants it",
                     o->id);
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (!reference_request(o, api))
        return STATUS_INVALID_DEVICE_STATE;
    t->state = KM_TX_TRANSFER;
    t->context = Context;
    km_phase_execute(o);
    /* StartTransfer: AllocateAdapterChannelEx at DISPATCH_LEVEL; the
     * scatter-gather profiles stage at once (FxDmaScatterGatherTransaction::
     * StartTransfer: StageTransfer, BuildScatterGatherList). */
    t->fragment = min_size(t->remaining, t->max_fragment);
    unsigned old = irql_to_dispatch();
    NTSTATUS st = enabler_of(o)->scatter_gather ? sg_stage_transfer(o, false) : allocate_adapter_channel(o);
    if (dr_failed())
        return st;
    if (!NT_SUCCESS(st)) {
        /* No callback ran: the object is still ours. */
        t->state = KM_TX_TRANSFER_FAILED;
        t->context = NULL;
        t->fragment = 0;
        release_request(o);
        if (dr_failed())
            return st;
    }
    /* Success: the driver may already have completed and deleted
     * everything; touch nothing. */
    irql_restore(old);
    return st;
}

/* Not yet told to the driver: the hardware still runs a transfer mapped with
 * a completion routine, or its completion DPC or deferred completion is
 * pending. Inside its own EvtProgramDma a driver may give up on the transfer
 * (spec 1.3). */
static bool hal_completion_pending(const km_dmatx *t, uint32_t me)
{
    if (!t->hw_notify || t->program_dma_task == me)
        return false;
    return t->rerun_completion || t->hal_dpc_pending || dr_event_armed(&t->hw_done);
}

/* FxDmaTransactionBase::DmaCompleted. */
static BOOLEAN dma_completed(const dr_site *site, WDFDMATRANSACTION h, size_t len, NTSTATUS *Status, int type)
{
    const char *api = site->name;
    if (!km_enter(site, DISPATCH_LEVEL))
        return TRUE;
    km_object *o = tx_lookup(h, api);
    if (!o)
        return TRUE;
    if (!Status) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s without Status",
                    api);
        return TRUE;
    }
    km_dmatx *t = &o->u.tx;
    uint32_t me = dr_current_task();
    km_trace(site, o, (int64_t)len);
    if (t->state != KM_TX_TRANSFER) {
        km_bugcheck("V3", WDF_DMA_FATAL_ERROR, api, "DmaCompleted* in a state other than Transfer",
                    "TX%u is %s", o->id, km_tx_state_name(t->state));
        return TRUE;
    }
    km_phase_dma_completed(o);
    if (t->completing_task && t->completing_task != me) {
        km_own_check("C12", api, "DmaCompleted* called concurrently on one transaction",
                     "TX%u: two threads inside DmaCompleted*; KMDF checks nothing and does not lock m_State or "
                     "the counters (double flush, double channel free, double request release)",
                     o->id);
        return TRUE;
    }
    if (hal_completion_pending(t, me)) {
        km_own_check("C12", api, "driver called TransferComplete with pending DMA completion callback",
                     "TX%u: DmaCompleted* while the HAL completion of the current transfer is still to come; it "
                     "will then reach a finished transaction (KMDF: an ASSERTMSG of its checked build only)",
                     o->id);
        return TRUE;
    }
    if (t->program_dma_task == me && t->hw_notify) {
        /* Given up inside its own EvtProgramDma (spec 1.3): the device was
         * never started, so no completion of this transfer comes ([INF]). */
        dr_event_disarm(&t->hw_done);
        if (dr_dpc_remove(&t->hal_dpc))
            t->hal_dpc_pending = false;
        t->rerun_completion = false;
        t->hw_notify = false;
    }
    t->completing_task = me;
    dr_yield(&site_dmac_unlocked);
    if (dr_failed())
        return TRUE;
    NTSTATUS st;
    size_t frag = t->fragment;
    if (type != COMPLETE_FULL && len > frag) {
        st = STATUS_INVALID_PARAMETER;
        if (km_vf_break("V4", api, "transferred length larger than the current transfer",
                        "TX%u: %zu bytes reported for a %zu-byte transfer", o->id, len, frag))
            return TRUE;
        goto end;
    }
    if (type == COMPLETE_FULL) {
        t->transferred += frag;
    } else {
        t->transferred += len;
        t->remaining += frag - len;
        t->fragment = len;
    }
    st = transfer_completed(o, api);
    if (dr_failed())
        return TRUE;
    if (!NT_SUCCESS(st))
        goto end;
    if (t->require_single && t->remaining > 0) {
        st = STATUS_WDF_TOO_MANY_TRANSFERS;
        goto end;
    }
    if (t->remaining == 0 || type == COMPLETE_ABORT) {
        st = STATUS_SUCCESS;
        goto end;
    }
    /* From here the transfer-state lock protects staging; a callback may
     * re-enter DmaCompleted* on this thread. */
    t->completing_task = 0;
    st = enabler_of(o)->scatter_gather ? sg_stage_transfer(o, dr_irql() < DISPATCH_LEVEL)
                                       : stage_transfer(o, dr_irql() < DISPATCH_LEVEL);
    if (dr_failed())
        return TRUE;
    if (NT_SUCCESS(st)) {
        /* The transaction may be finished (even deleted) already: touch nothing. */
        *Status = STATUS_MORE_PROCESSING_REQUIRED;
        return FALSE;
    }
    t->completing_task = me;
end:
    t->state = NT_SUCCESS(st) ? KM_TX_TRANSFER_COMPLETED : KM_TX_TRANSFER_FAILED;
    if (t->request && t->request_strong)
        km_request_tx_final(t->request, st, t->transferred, t->is_cancelled);
    release_resources(o, false);
    release_request(o);
    if (dr_failed())
        return TRUE;
    t->fragment = 0;
    t->completing_task = 0;
    km_trace(&site_final, o, st);
    *Status = st;
    return TRUE;
}

BOOLEAN WdfDmaTransactionDmaCompleted(WDFDMATRANSACTION DmaTransaction, NTSTATUS *Status)
{
    return dma_completed(&site_dma_completed, DmaTransaction, 0, Status, COMPLETE_FULL);
}

BOOLEAN WdfDmaTransactionDmaCompletedWithLength(WDFDMATRANSACTION DmaTransaction, size_t TransferredLength,
                                                NTSTATUS *Status)
{
    return dma_completed(&site_dma_completed_len, DmaTransaction, TransferredLength, Status, COMPLETE_PARTIAL);
}

BOOLEAN WdfDmaTransactionDmaCompletedFinal(WDFDMATRANSACTION DmaTransaction, size_t FinalTransferredLength,
                                           NTSTATUS *Status)
{
    return dma_completed(&site_dma_completed_final, DmaTransaction, FinalTransferredLength, Status,
                         COMPLETE_ABORT);
}

size_t WdfDmaTransactionGetBytesTransferred(WDFDMATRANSACTION DmaTransaction)
{
    km_object *o = tx_enter(&site_bytes, DmaTransaction, "WdfDmaTransactionGetBytesTransferred");
    if (!o)
        return 0;
    km_trace(&site_bytes, o, (int64_t)o->u.tx.transferred);
    return o->u.tx.transferred; /* plain read, no state check (spec 1.7) */
}

size_t WdfDmaTransactionGetCurrentDmaTransferLength(WDFDMATRANSACTION DmaTransaction)
{
    km_object *o = tx_enter(&site_cur_len, DmaTransaction, "WdfDmaTransactionGetCurrentDmaTransferLength");
    return o ? o->u.tx.fragment : 0;
}

VOID WdfDmaTransactionStopSystemTransfer(WDFDMATRANSACTION DmaTransaction)
{
    static const char api[] = "WdfDmaTransactionStopSystemTransfer";
    km_object *o = tx_enter(&site_stop, DmaTransaction, api);
    if (!o)
        return;
    km_dmatx *t = &o->u.tx;
    if (!system_profile_only(o, api))
        return;
    km_trace(&site_stop, o, t->state);
    km_phase_stop(o);
    /* StopTransfer: a plain write meant to race with staging. */
    t->is_cancelled = true;
    dr_yield(&site_stop_unlocked);
    if (dr_failed())
        return;
    /* CancelMappedTransfer dereferences m_AdapterInfo->AdapterObject. */
    if (!t->adapter_info_valid) {
        km_related(t->released_mark, "released its adapter (the final DmaCompleted, or Release)");
        km_crash("V13", api, "m_AdapterInfo is NULL (stop after the final DmaCompleted or Release)",
                 "TX%u is %s: StopSystemTransfer dereferences a NULL m_AdapterInfo", o->id,
                 km_tx_state_name(t->state));
        return;
    }
    if (t->state != KM_TX_TRANSFER) {
        /* Initialized, or Released/TransferFailed with no channel (spec 1.8,
         * revised): not misuse. fxdmatransactionsystem.cpp
         * FxDmaSystemTransaction::StopTransfer has set m_IsCancelled, so the
         * first StageTransfer fails with STATUS_CANCELLED and _AdapterControl
         * delivers a synthetic DmaCancelled (fxdmatransactionpacket.cpp); the
         * next Initialize clears it (InitializeResources). The transfer
         * context exists from Initialize (InitializeTransferContext); whether
         * the HAL's CancelMappedTransfer fails on one never allocated is the
         * HAL's: a tape choice. A context already cancelled fails, as in V9. */
        bool failed = t->hal_cancel_requested || dr_choose(&site_stop_idle_hal, 2) == 1;
        if (!failed) {
            t->hal_cancel_requested = true;
            dr_window(&win_stop_idle_ok);
            return;
        }
        dr_window(&win_stop_idle_failed);
        /* StopTransfer: IsVerificationEnabled(1, 11) -> FxVerifierBugCheck;
         * without the verifier only a trace. */
        km_vf_bugcheck("V9", WDF_DMA_FATAL_ERROR, api, "HAL CancelMappedTransfer failed before the transfer",
                       "TX%u is %s: the HAL refused to cancel a transfer context that was never allocated", o->id,
                       km_tx_state_name(t->state));
        return;
    }
    if (t->hal_cancel_requested) {
        /* The transfer context is already cancelled: the HAL fails. */
        km_vf_bugcheck("V9", WDF_DMA_FATAL_ERROR, api, "transfer already stopped",
                       "TX%u: second StopSystemTransfer before the stopped transfer was completed", o->id);
        return;
    }
    t->hal_cancel_requested = true;
    if (!t->mapped || !dr_event_armed(&t->hw_done) || !t->hw_notify)
        return; /* (c) next mapping fails, or (b) the hardware already finished */
    dr_window(&win_stop_mapped);
    if (km_w.env.sync_stop_callback && dr_choose(&site_stop_sync, 2) == 1) {
        /* [INF] the HAL completes the cancelled transfer inside the call. */
        dr_event_disarm(&t->hw_done);
        t->hal_status = DmaCancelled;
        unsigned old = irql_to_dispatch();
        system_dma_completion(o, DmaCancelled);
        irql_restore(old);
    }
}

BOOLEAN WdfDmaTransactionCancel(WDFDMATRANSACTION DmaTransaction)
{
    static const char api[] = "WdfDmaTransactionCancel";
    km_object *o = tx_enter(&site_cancel, DmaTransaction, api);
    if (!o)
        return FALSE;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_cancel, o, t->state);
    if (t->state == KM_TX_CREATED || t->state == KM_TX_RELEASED || t->state == KM_TX_DELETED) {
        km_bugcheck("V8", WDF_DMA_FATAL_ERROR, api, "cancel in state Created/Released/Deleted", "TX%u is %s",
                    o->id, km_tx_state_name(t->state));
        return FALSE;
    }
    dr_yield(&site_cancel_unlocked);
    if (dr_failed())
        return FALSE;
    if (!t->adapter_info_valid) {
        km_related(t->released_mark, "released its adapter (the final DmaCompleted, or Release)");
        km_crash("V13", api, "m_AdapterInfo is NULL (cancel after the final DmaCompleted)",
                 "TX%u is %s: WdfDmaTransactionCancel dereferences a NULL m_AdapterInfo", o->id,
                 km_tx_state_name(t->state));
        return FALSE;
    }
    if (!cancel_pending_allocation(o))
        return FALSE;
    t->state = KM_TX_TRANSFER_FAILED;
    t->fragment = 0;
    release_request(o);
    return TRUE;
}

NTSTATUS WdfDmaTransactionRelease(WDFDMATRANSACTION DmaTransaction)
{
    static const char api[] = "WdfDmaTransactionRelease";
    km_object *o = tx_enter(&site_release, DmaTransaction, api);
    if (!o)
        return STATUS_SUCCESS;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_release, o, t->state);
    if (t->state == KM_TX_RELEASED)
        return STATUS_SUCCESS; /* benign double release */
    if (t->state == KM_TX_TRANSFER) {
        if (km_vf_bugcheck("V6", WDF_DMA_FATAL_ERROR, api, "release in state Transfer",
                           "TX%u is still transferring", o->id))
            return STATUS_SUCCESS;
        km_crash("V6", api, "release in state Transfer frees the channel under a running transfer",
                 "TX%u: without the verifier Release frees the adapter channel and map registers while the "
                 "hardware may still move data",
                 o->id);
        return STATUS_SUCCESS;
    }
    release_for_reuse(o, false);
    return STATUS_SUCCESS; /* always, in the source (spec 2.9) */
}

WDFREQUEST WdfDmaTransactionGetRequest(WDFDMATRANSACTION DmaTransaction)
{
    km_object *o = tx_enter(&site_get_request, DmaTransaction, "WdfDmaTransactionGetRequest");
    return o && o->u.tx.request ? o->u.tx.request_handle : NULL;
}

WDFDEVICE WdfDmaTransactionGetDevice(WDFDMATRANSACTION DmaTransaction)
{
    km_object *o = tx_enter(&site_get_device, DmaTransaction, "WdfDmaTransactionGetDevice");
    return o ? device_of(o) : NULL;
}

/* FxDmaTransactionBase::Dispose, from WdfObjectDelete (or the parent's deletion). */
void km_dmatx_dispose(km_object *o)
{
    static const char api[] = "WdfObjectDelete";
    km_dmatx *t = &o->u.tx;
    if (t->state == KM_TX_TRANSFER) {
        if (km_vf_bugcheck("V7", WDF_DMA_FATAL_ERROR, api, "transaction deleted in state Transfer",
                           "TX%u is still transferring", o->id))
            return;
        if (km_crash("V7", api, "transaction deleted in state Transfer frees the channel under a running transfer",
                     "TX%u: without the verifier Dispose frees the adapter channel while the hardware may still "
                     "move data and its completion will reach a deleted transaction",
                     o->id))
            return;
    }
    t->state = KM_TX_DELETED;
    release_resources(o, true);
    cancel_pending_allocation(o);
    /* Nothing of the HAL may outlive the object's memory. */
    dr_event_disarm(&t->hw_done);
    if (dr_dpc_remove(&t->hal_dpc))
        t->hal_dpc_pending = false;
    clear_request(o);
    if (t->sgl) {
        /* FxDmaScatterGatherTransaction::Dispose: FreeSgListBuffer. */
        km_free(t->sgl_alloc);
        t->sgl = NULL;
    }
}

/* ---- the rest of system DMA: KMDF 1.11+ DDIs ---------------------------------------------------------- */

DR_SITE(site_init_offset, "WdfDmaTransactionInitializeUsingOffset");
DR_SITE(site_set_device_offset, "WdfDmaTransactionSetDeviceAddressOffset");
DR_SITE(site_set_immediate, "WdfDmaTransactionSetImmediateExecution");
DR_SITE(site_set_configure_cb, "WdfDmaTransactionSetChannelConfigurationCallback");
DR_SITE(site_set_max_length, "WdfDmaTransactionSetMaximumLength");
DR_SITE(site_get_transfer_info, "WdfDmaTransactionGetTransferInfo");
DR_SITE(site_get_transfer_context, "WdfDmaTransactionWdmGetTransferContext");
DR_SITE(site_allocate_resources, "WdfDmaTransactionAllocateResources");
DR_SITE(site_free_resources, "WdfDmaTransactionFreeResources");
DR_SITE(site_set_max_sg, "WdfDmaEnablerSetMaximumScatterGatherElements");
DR_SITE(site_get_max_sg, "WdfDmaEnablerGetMaximumScatterGatherElements");
DR_SITE(site_get_fragment_length, "WdfDmaEnablerGetFragmentLength");

/* fxdmatransactionapi.cpp WdfDmaTransactionInitializeUsingOffset: Initialize
 * with VirtualAddress = MmGetMdlVirtualAddress(Mdl) + Offset, and
 * WdfDmaTransactionInitialize's bounds check: the address must lie in the
 * first MDL (system DMA v3 takes chained MDLs, so the length may go on into
 * Mdl->Next: SupportsChainedMdls). */
NTSTATUS WdfDmaTransactionInitializeUsingOffset(WDFDMATRANSACTION DmaTransaction,
                                                PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                                WDF_DMA_DIRECTION DmaDirection, PMDL Mdl, size_t Offset,
                                                size_t Length)
{
    static const char api[] = "WdfDmaTransactionInitializeUsingOffset";
    NTSTATUS refused;
    km_object *o = tx_enter_status(&site_init_offset, DmaTransaction, api, &refused);
    if (!o)
        return refused;
    if (!Mdl) {
        /* MmGetMdlVirtualAddress(NULL) before Initialize's FxPointerNotNull. */
        km_crash("V30", api, "NULL Mdl dereferenced", "%s reads MmGetMdlVirtualAddress of a NULL Mdl", api);
        return STATUS_INVALID_PARAMETER;
    }
    if (!EvtProgramDmaFunction) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "%s without EvtProgramDma", api);
        return STATUS_INVALID_PARAMETER;
    }
    km_trace(&site_init_offset, o, (int64_t)Length);
    if (!Length) /* as WdfDmaTransactionInitialize */
        return STATUS_INVALID_PARAMETER;
    if (DmaDirection != WdfDmaDirectionReadFromDevice && DmaDirection != WdfDmaDirectionWriteToDevice)
        return STATUS_INVALID_PARAMETER;
    if (Offset >= MmGetMdlByteCount(Mdl))
        return STATUS_INVALID_PARAMETER; /* "VirtualAddress %p is not within the Mdl bounds" */
    uint8_t *va = (uint8_t *)MmGetMdlVirtualAddress(Mdl) + Offset;
    NTSTATUS st = tx_initialize(o, api, EvtProgramDmaFunction, DmaDirection, Length, va);
    if (NT_SUCCESS(st))
        o->u.tx.mdl = Mdl; /* m_StartMdl; m_StartOffset is Offset */
    return st;
}

/* FxDmaPacketTransaction::SetDeviceAddressOffset: recorded and given to
 * MapTransferEx as DeviceOffset; no state check; Initialize resets it
 * (InitializeResources), so it is set between Initialize and Execute. */
VOID WdfDmaTransactionSetDeviceAddressOffset(WDFDMATRANSACTION DmaTransaction, ULONG Offset)
{
    km_object *o = tx_enter(&site_set_device_offset, DmaTransaction, "WdfDmaTransactionSetDeviceAddressOffset");
    if (!o)
        return;
    km_trace(&site_set_device_offset, o, Offset);
    o->u.tx.device_offset = Offset;
}

/* FxDmaTransactionBase::SetImmediateExecution (fxdmatransactionbase.cpp):
 * outside Created/Initialized/Released FxVerifierDbgBreakPoint (V11), and
 * the flag is set anyway. Reset (Release) clears it. */
VOID WdfDmaTransactionSetImmediateExecution(WDFDMATRANSACTION DmaTransaction, BOOLEAN UseImmediateExecution)
{
    static const char api[] = "WdfDmaTransactionSetImmediateExecution";
    km_object *o = tx_enter(&site_set_immediate, DmaTransaction, api);
    if (!o)
        return;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_set_immediate, o, UseImmediateExecution);
    if (t->state != KM_TX_CREATED && t->state != KM_TX_INITIALIZED && t->state != KM_TX_RELEASED) {
        if (km_vf_break("V11", api, "immediate execution set after Execute or AllocateResources",
                        "TX%u is %s: the flag must be set before AllocateResources or Execute", o->id,
                        km_tx_state_name(t->state)))
            return;
    }
    t->immediate = UseImmediateExecution != FALSE;
}

/* FxDmaSystemTransaction::SetConfigureChannelCallback: no state check; kept
 * across Release (only Reuse, never called, clears it). */
VOID WdfDmaTransactionSetChannelConfigurationCallback(WDFDMATRANSACTION DmaTransaction,
                                                      PFN_WDF_DMA_TRANSACTION_CONFIGURE_DMA_CHANNEL ConfigureRoutine,
                                                      PVOID ConfigureContext)
{
    km_object *o = tx_enter(&site_set_configure_cb, DmaTransaction, "WdfDmaTransactionSetChannelConfigurationCallback");
    if (!o)
        return;
    if (!system_profile_only(o, "WdfDmaTransactionSetChannelConfigurationCallback"))
        return;
    km_trace(&site_set_configure_cb, o, ConfigureRoutine != NULL);
    o->u.tx.configure_channel = ConfigureRoutine;
    o->u.tx.configure_channel_context = ConfigureContext;
}

/* FxDmaTransactionBase::SetMaximumFragmentLength (fxdmatransactionbase.hpp):
 * lowers m_MaxFragmentLength when below m_AdapterInfo->MaximumFragmentLength;
 * no state check, but m_AdapterInfo is NULL before Initialize (and after the
 * channel was freed): a NULL dereference. Initialize resets the length, so
 * it is set between Initialize and Execute. */
VOID WdfDmaTransactionSetMaximumLength(WDFDMATRANSACTION DmaTransaction, size_t MaximumLength)
{
    static const char api[] = "WdfDmaTransactionSetMaximumLength";
    km_object *o = tx_enter(&site_set_max_length, DmaTransaction, api);
    if (!o)
        return;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_set_max_length, o, (int64_t)MaximumLength);
    if (!t->adapter_info_valid) {
        km_crash("DMA-MAXLEN", api, "m_AdapterInfo is NULL (SetMaximumLength before Initialize)",
                 "TX%u is %s: SetMaximumFragmentLength reads m_AdapterInfo->MaximumFragmentLength, NULL before "
                 "Initialize and after the transaction released its channel",
                 o->id, km_tx_state_name(t->state));
        return;
    }
    if (MaximumLength == 0) {
        km_own_check("DMA-MAXLEN", api, "zero maximum length",
                     "TX%u: KMDF takes 0 (it checks nothing) and every later transfer would be empty", o->id);
        return;
    }
    if (MaximumLength < enabler_of(o)->max_fragment)
        t->max_fragment = MaximumLength;
}

/* FxDmaTransactionBase::GetTransferInfo: only in Initialized
 * (FxVerifierBugCheck otherwise, every build); DMA v3 asks the HAL's
 * GetDmaTransferInfo about the transaction's buffer. */
VOID WdfDmaTransactionGetTransferInfo(WDFDMATRANSACTION DmaTransaction, ULONG *MapRegisterCount,
                                      ULONG *ScatterGatherElementCount)
{
    static const char api[] = "WdfDmaTransactionGetTransferInfo";
    km_object *o = tx_enter(&site_get_transfer_info, DmaTransaction, api);
    if (!o)
        return;
    km_dmatx *t = &o->u.tx;
    if (KM_TX_INITIALIZED != t->state) {
        km_bugcheck("DMA-INFO", WDF_DMA_FATAL_ERROR, api, "transfer info in a state other than Initialized",
                    "TX%u is %s", o->id, km_tx_state_name(t->state));
        return;
    }
    if (!t->adapter)
        t->adapter = enabler_of(o)->adapter[t->direction ? 1 : 0];
    if (!t->adapter) {
        km_crash("DMA-CFG", api, "system profile not configured: no adapter object",
                 "TX%u: GetDmaTransferInfo through a NULL m_AdapterInfo->AdapterObject", o->id);
        return;
    }
    transfer_counts((uintptr_t)t->buffer, t->length, MapRegisterCount, ScatterGatherElementCount);
    km_trace(&site_get_transfer_info, o, MapRegisterCount ? *MapRegisterCount : 0);
}

/* fxdmatransactionapi.cpp WdfDmaTransactionWdmGetTransferContext: NULL with
 * FxVerifierDbgBreakPoint in Invalid/Created/Released/Deleted. */
PVOID WdfDmaTransactionWdmGetTransferContext(WDFDMATRANSACTION DmaTransaction)
{
    static const char api[] = "WdfDmaTransactionWdmGetTransferContext";
    km_object *o = tx_enter(&site_get_transfer_context, DmaTransaction, api);
    if (!o)
        return NULL;
    km_dmatx *t = &o->u.tx;
    if (t->state == KM_TX_INVALID || t->state == KM_TX_CREATED || t->state == KM_TX_RELEASED ||
        t->state == KM_TX_DELETED) {
        km_vf_break("DMA-TC", api, "transfer context of an uninitialised, reused or deleted transaction",
                    "TX%u is %s", o->id, km_tx_state_name(t->state));
        return NULL;
    }
    return t->transfer_context;
}

/* fxdmatransactionapi.cpp WdfDmaTransactionAllocateResources and
 * fxdmatransactionpacket.cpp FxDmaPacketTransaction::ReserveAdapter. */
NTSTATUS WdfDmaTransactionAllocateResources(WDFDMATRANSACTION DmaTransaction, WDF_DMA_DIRECTION DmaDirection,
                                            ULONG RequiredMapRegisters, PFN_WDF_RESERVE_DMA EvtReserveDmaFunction,
                                            PVOID EvtReserveDmaContext)
{
    static const char api[] = "WdfDmaTransactionAllocateResources";
    NTSTATUS refused;
    km_object *o = tx_enter_status(&site_allocate_resources, DmaTransaction, api, &refused);
    if (!o)
        return refused;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_allocate_resources, o, RequiredMapRegisters);
    km_dmaenabler *be = enabler_of(o);
    if (be->bus_master &&
        (be->scatter_gather || (be->config.WdmDmaVersionOverride != 3 && be->config.AddressWidthOverride == 0))) {
        /* fxdmatransactionapi.cpp WdfDmaTransactionAllocateResources: "Only
         * valid if DMA V3 is enabled" (a bus master uses DMA v3 only with
         * WdmDmaVersionOverride 3 or an AddressWidthOverride) and "Only
         * valid for packet or system profile transactions":
         * FxVerifierDbgBreakPoint, STATUS_INVALID_DEVICE_REQUEST. */
        if (km_vf_break("DMA-RSV", api, "AllocateResources on a scatter-gather or non-DMA-v3 bus-master transaction",
                        "TX%u: profile %d", o->id, (int)be->config.Profile))
            return STATUS_INVALID_DEVICE_REQUEST;
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (DmaDirection != WdfDmaDirectionReadFromDevice && DmaDirection != WdfDmaDirectionWriteToDevice) {
        if (km_vf_break("DMA-RSV", api, "invalid DMA direction", "TX%u: direction %d", o->id, (int)DmaDirection))
            return STATUS_INVALID_PARAMETER;
        return STATUS_INVALID_PARAMETER;
    }
    if (!EvtReserveDmaFunction) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter",
                    "%s without EvtReserveDmaFunction", api);
        return STATUS_INVALID_PARAMETER;
    }
    /* ReserveAdapter: FxVerifierBugCheck (every build) for the wrong state
     * or a second reservation (spec V12). */
    if (RequiredMapRegisters == 0 ? t->state != KM_TX_INITIALIZED
                                  : (t->state != KM_TX_CREATED && t->state != KM_TX_INITIALIZED &&
                                     t->state != KM_TX_RELEASED)) {
        km_bugcheck("V12", WDF_DMA_FATAL_ERROR, api, "AllocateResources in the wrong state",
                    "TX%u is %s (RequiredMapRegisters %u)", o->id, km_tx_state_name(t->state),
                    (unsigned)RequiredMapRegisters);
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (t->reserved_mr != 0) {
        km_bugcheck("V12", WDF_DMA_FATAL_ERROR, api, "map registers already reserved",
                    "TX%u already holds a reservation of %u map registers", o->id, (unsigned)t->reserved_mr);
        return STATUS_INVALID_DEVICE_STATE;
    }
    km_dmaenabler *e = enabler_of(o);
    t->adapter = e->adapter[DmaDirection ? 1 : 0]; /* m_AdapterInfo */
    if (!t->adapter) {
        km_crash("DMA-CFG", api, "system profile not configured: no adapter object",
                 "TX%u reserves on an enabler never given WdfDmaEnablerConfigureSystemProfile for this direction",
                 o->id);
        return STATUS_INVALID_DEVICE_STATE;
    }
    t->adapter_info_valid = true;
    /* System DMA (not a bus master) reserves all of the adapter's map
     * registers when none are named. */
    t->reserved_mr = RequiredMapRegisters ? RequiredMapRegisters : km_w.env.map_registers;
    t->direction = DmaDirection;
    t->mdl = NULL;
    t->remaining = t->length = 0;
    t->buffer = NULL;
    t->reserve_dma = EvtReserveDmaFunction;
    t->reserve_dma_context = EvtReserveDmaContext;
    t->device_offset = 0; /* InitializeResources */
    t->is_cancelled = t->hal_cancel_requested = false;
    t->state = KM_TX_RESERVED;
    /* StartTransfer: AllocateAdapterChannelEx at DISPATCH_LEVEL; EvtReserveDma
     * runs from _AdapterControl, now or when the channel is granted. */
    t->fragment = 0;
    unsigned old = irql_to_dispatch();
    NTSTATUS st = allocate_adapter_channel(o);
    if (dr_failed())
        return st;
    if (!NT_SUCCESS(st)) {
        t->state = KM_TX_TRANSFER_FAILED;
        t->reserve_dma = NULL;
        t->reserve_dma_context = NULL;
        t->reserved_mr = 0;
        release_request(o);
        if (dr_failed())
            return st;
    }
    irql_restore(old);
    return st;
}

/* FxDmaPacketTransaction::ReleaseAdapter: FxVerifierBugCheck in
 * Invalid/Created/Transfer/Deleted, then ReleaseForReuse(TRUE): the reserved
 * channel is freed. */
VOID WdfDmaTransactionFreeResources(WDFDMATRANSACTION DmaTransaction)
{
    static const char api[] = "WdfDmaTransactionFreeResources";
    km_object *o = tx_enter(&site_free_resources, DmaTransaction, api);
    if (!o)
        return;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_free_resources, o, t->state);
    if (t->state == KM_TX_INVALID || t->state == KM_TX_CREATED || t->state == KM_TX_TRANSFER ||
        t->state == KM_TX_DELETED) {
        km_bugcheck("V12", WDF_DMA_FATAL_ERROR, api, "FreeResources in state Invalid/Created/Transfer/Deleted",
                    "TX%u is %s", o->id, km_tx_state_name(t->state));
        return;
    }
    release_for_reuse(o, true);
}

/* fxdmaenablerapi.cpp WdfDmaEnablerSetMaximumScatterGatherElements:
 * PASSIVE_LEVEL (checked), 0 ignored, clamped to UNLIMITED; only
 * scatter-gather profiles use it, so for a system enabler it is recorded. */
VOID WdfDmaEnablerSetMaximumScatterGatherElements(WDFDMAENABLER DmaEnabler, size_t MaximumFragments)
{
    static const char api[] = "WdfDmaEnablerSetMaximumScatterGatherElements";
    if (!km_enter_irql_checked(&site_set_max_sg, PASSIVE_LEVEL))
        return;
    km_object *o = km_lookup(DmaEnabler, KM_T_DMAENABLER, api, false);
    if (!o || MaximumFragments == 0)
        return;
    if (MaximumFragments > WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS)
        MaximumFragments = WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS;
    o->u.dmae.max_sg_elements = MaximumFragments;
}

size_t WdfDmaEnablerGetMaximumScatterGatherElements(WDFDMAENABLER DmaEnabler)
{
    if (!km_enter(&site_get_max_sg, DISPATCH_LEVEL))
        return 0;
    km_object *o = km_lookup(DmaEnabler, KM_T_DMAENABLER, "WdfDmaEnablerGetMaximumScatterGatherElements", false);
    return o ? o->u.dmae.max_sg_elements : 0;
}

/* fxdmaenablerapi.cpp WdfDmaEnablerGetFragmentLength: the direction's
 * MaximumFragmentLength, 0 before the direction was configured (the
 * description is zeroed); an invalid direction is 0 with
 * FxVerifierDbgBreakPoint. */
size_t WdfDmaEnablerGetFragmentLength(WDFDMAENABLER DmaEnabler, WDF_DMA_DIRECTION DmaDirection)
{
    static const char api[] = "WdfDmaEnablerGetFragmentLength";
    if (!km_enter(&site_get_fragment_length, DISPATCH_LEVEL))
        return 0;
    km_object *o = km_lookup(DmaEnabler, KM_T_DMAENABLER, api, false);
    if (!o)
        return 0;
    if (DmaDirection != WdfDmaDirectionReadFromDevice && DmaDirection != WdfDmaDirectionWriteToDevice) {
        km_vf_break("DMA-DIR", api, "invalid DMA direction", "DMAE%u: direction %d", o->id, (int)DmaDirection);
        return 0;
    }
    return o->u.dmae.adapter[DmaDirection ? 1 : 0] ? o->u.dmae.max_fragment : 0;
}

/* fxdmaenablerapi.cpp WdfDmaEnablerWdmGetDmaAdapter: the direction's
 * AdapterObject (NULL before the direction was configured); an invalid
 * direction is NULL with FxVerifierDbgBreakPoint. */
PDMA_ADAPTER WdfDmaEnablerWdmGetDmaAdapter(WDFDMAENABLER DmaEnabler, WDF_DMA_DIRECTION DmaDirection)
{
    static const char api[] = "WdfDmaEnablerWdmGetDmaAdapter";
    if (!km_enter(&site_wdm_get_adapter, DISPATCH_LEVEL))
        return NULL;
    km_object *o = km_lookup(DmaEnabler, KM_T_DMAENABLER, api, false);
    if (!o)
        return NULL;
    if (DmaDirection != WdfDmaDirectionReadFromDevice && DmaDirection != WdfDmaDirectionWriteToDevice) {
        km_vf_break("DMA-DIR", api, "invalid DMA direction", "DMAE%u: direction %d", o->id, (int)DmaDirection);
        return NULL;
    }
    km_dmaadapter *a = o->u.dmae.adapter[DmaDirection ? 1 : 0];
    km_trace(&site_wdm_get_adapter, o, a ? (int64_t)a->channel : -1);
    return a ? &a->wdm : NULL;
}

DR_SITE(site_set_single, "WdfDmaTransactionSetSingleTransferRequirement");

/* fxdmatransactionapi.cpp WdfDmaTransactionSetSingleTransferRequirement:
 * FxVerifierDbgBreakPoint (and no change) outside Created/Released/Reserved;
 * otherwise m_RequireSingleTransfer, which Release resets to the enabler's
 * WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER. */
VOID WdfDmaTransactionSetSingleTransferRequirement(WDFDMATRANSACTION DmaTransaction, BOOLEAN RequireSingleTransfer)
{
    static const char api[] = "WdfDmaTransactionSetSingleTransferRequirement";
    if (!km_enter_irql_checked(&site_set_single, DISPATCH_LEVEL))
        return;
    km_object *o = tx_lookup(DmaTransaction, api);
    if (!o)
        return;
    km_dmatx *t = &o->u.tx;
    km_trace(&site_set_single, o, RequireSingleTransfer);
    if (t->state != KM_TX_CREATED && t->state != KM_TX_RELEASED && t->state != KM_TX_RESERVED) {
        km_vf_break("DMA-SINGLE", api, "single-transfer requirement set on an initialised transaction",
                    "TX%u is %s", o->id, km_tx_state_name(t->state));
        return;
    }
    t->require_single = RequireSingleTransfer != FALSE;
}

/* ---- bus-master profiles: packet and scatter-gather transfers (issue 14) ------------------------------ */

DR_SITE(site_build_sg, "BuildScatterGatherList");
DR_SITE(site_build_sg_fails, "dma-build-sg-fails"); /* 0 the HAL builds the list, 1 it fails (env.hal_failure) */
DR_SITE(site_build_sg_failed, "BuildScatterGatherList-failed");
DR_SITE(win_build_sg_failed, "window: BuildScatterGatherList failed (injected)");

/* Pages [va, va + len) spans: map registers, and the elements of the
 * model's scatter-gather lists (one per page). */
static ULONG span_pages(uintptr_t va, size_t len)
{
    return (ULONG)(((va & (KM_PAGE_SIZE - 1)) + len + KM_PAGE_SIZE - 1) / KM_PAGE_SIZE);
}

/* MapTransfer of a packet-profile bus master (fxdmatransactionpacket.cpp
 * FxDmaPacketTransaction::StageTransfer -> MapTransfer): the fragment as one
 * element (the HAL "moves all of the data into a single contiguous buffer",
 * fxdmaenabler.cpp ConfigureDmaAdapter), at its logical address
 * (km_logical_address). The device is the driver's, not the HAL's: no
 * completion routine, nothing armed; the driver learns of the end from its
 * device (an interrupt) and calls DmaCompleted*. No failure is injected:
 * _AdapterControl's ASSERTMSG says staging fails "only for system DMA", and
 * a bus master has no completion callback to fake. */
static NTSTATUS bus_master_map_transfer(km_object *o)
{
    km_dmatx *t = &o->u.tx;
    t->mapped = true;
    t->transfers++;
    t->hw_notify = false;
    t->sg.NumberOfElements = 1;
    t->sg.Elements[0].Address.QuadPart = t->buffer ? (LONGLONG)km_logical_address(t->buffer + t->transferred) : 0;
    t->sg.Elements[0].Length = (ULONG)t->fragment;
    km_trace(&site_map, o, (int64_t)t->fragment);
    return STATUS_SUCCESS;
}

/* FxDmaScatterGatherTransaction::InitializeResources: every fragment of
 * MaxFragmentLength must need no more map registers (elements) than
 * m_MaxSGElements, else STATUS_WDF_TOO_FRAGMENTED (Initialize then
 * ReleaseForReuse). Skipped for a single-transfer transaction. */
static NTSTATUS sg_check_fragments(km_object *o)
{
    km_dmatx *t = &o->u.tx;
    size_t max_sg = enabler_of(o)->max_sg_elements;
    for (size_t done = 0; done < t->length;) {
        size_t len = min_size(t->length - done, t->max_fragment);
        if (span_pages((uintptr_t)t->buffer + done, len) > max_sg)
            return STATUS_WDF_TOO_FRAGMENTED;
        done += len;
    }
    return STATUS_SUCCESS;
}

/* FxDmaScatterGatherTransaction::StageTransfer, from Execute (StartTransfer)
 * and from DmaCompleted*: the next fragment, min(Remaining,
 * MaxFragmentLength); STATUS_WDF_TOO_FRAGMENTED when it needs more elements
 * than m_MaxSGElements (unless single-transfer); then BuildScatterGatherList
 * into the transaction's list buffer, whose callback _AdapterListControl sets
 * m_SGList and calls EvtProgramDma, ignoring its return value ("if it fails
 * to program DMA transfer, it should call DmaCompletedFinal"). A bus master
 * with enough map registers gets its list at once: the model builds it
 * synchronously, on the caller's thread. A failed build (env.hal_failure,
 * STATUS_INSUFFICIENT_RESOURCES [INF]) credits the fragment back and returns
 * the status: Execute fails, DmaCompleted* returns TRUE with it. The list
 * has one element per page the fragment touches, at its (identity-mapped)
 * logical address: no coalescing of adjacent pages (docs/model-dma.md). */
static NTSTATUS sg_stage_transfer(km_object *o, bool keep_irql)
{
    km_dmatx *t = &o->u.tx;
    t->fragment = min_size(t->remaining, t->max_fragment);
    uintptr_t va = (uintptr_t)t->buffer + t->transferred;
    ULONG pages = span_pages(va, t->fragment);
    if (!t->require_single && pages > enabler_of(o)->max_sg_elements)
        return STATUS_WDF_TOO_FRAGMENTED;
    if (pages > t->sgl_capacity)
        return STATUS_BUFFER_TOO_SMALL; /* a single transfer longer than the list buffer holds */
    t->remaining -= t->fragment;
    if (km_w.env.hal_failure && dr_choose(&site_build_sg_fails, 2) == 1) {
        km_trace(&site_build_sg_failed, o, (int64_t)t->fragment);
        dr_window(&win_build_sg_failed);
        t->remaining += t->fragment;
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    SCATTER_GATHER_LIST *l = t->sgl;
    ULONG n = 0;
    km_quiet_writes_begin();
    for (size_t left = t->fragment; left > 0; n++) {
        size_t chunk = min_size(left, KM_PAGE_SIZE - (va & (KM_PAGE_SIZE - 1)));
        l->Elements[n].Address.QuadPart = (LONGLONG)km_logical_address((const void *)va);
        l->Elements[n].Length = (ULONG)chunk;
        l->Elements[n].Reserved = 0;
        va += chunk;
        left -= chunk;
    }
    l->NumberOfElements = n;
    km_quiet_writes_end();
    t->sg_live = true; /* m_SGList = SgList */
    t->transfers++;
    km_trace(&site_build_sg, o, n);
    /* The reference keeps the model's object if the driver completes and
     * deletes the transaction inside EvtProgramDma. */
    km_obj_ref(o);
    call_program_dma(o, keep_irql);
    if (dr_failed())
        return STATUS_SUCCESS;
    km_obj_unref(o);
    return STATUS_SUCCESS;
}

const SCATTER_GATHER_LIST *km_dma_stage(const km_object *o, WDF_DMA_DIRECTION *direction)
{
    if (!o || o->type != KM_T_DMATRANSACTION || o->state == KM_OBJ_FREE)
        return NULL;
    const km_dmatx *t = &o->u.tx;
    if (t->state != KM_TX_TRANSFER || !t->enabler || !t->enabler->u.dmae.bus_master)
        return NULL;
    const SCATTER_GATHER_LIST *l = t->sgl ? (t->sg_live ? t->sgl : NULL) : (t->mapped ? &t->sg : NULL);
    if (l && direction)
        *direction = t->direction;
    return l;
}

bool km_dma_logical_owned(uint64_t addr, size_t len)
{
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        const SCATTER_GATHER_LIST *l = km_dma_stage(&km_w.objects[i], NULL);
        for (ULONG k = 0; l && k < l->NumberOfElements; k++) {
            uint64_t lo = (uint64_t)l->Elements[k].Address.QuadPart, n = l->Elements[k].Length;
            if (addr >= lo && addr - lo <= n && len <= n - (addr - lo))
                return true;
        }
    }
    return false;
}

/* A live common buffer holds [addr, addr + len) (logical addresses). */
bool km_dma_common_buffer_holds(uint64_t addr, size_t len)
{
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        const km_object *o = &km_w.objects[i];
        if (o->type != KM_T_COMMONBUFFER || o->state == KM_OBJ_FREE || o->u.cb.freed || !o->u.cb.aligned)
            continue;
        uint64_t lo = km_logical_address(o->u.cb.aligned), n = o->u.cb.length;
        if (addr >= lo && addr - lo <= n && len <= n - (addr - lo))
            return true;
    }
    return false;
}

/* km_device.h: what a device may reach by DMA. */
bool km_device_dma_mapped(uint64_t la, size_t len) { return km_dma_logical_owned(la, len) || km_dma_common_buffer_holds(la, len); }

void *km_device_dma_memory(uint64_t la, size_t len)
{
    return len && km_device_dma_mapped(la, len) ? km_logical_to_virtual(la) : NULL;
}

/* ---- common buffers (fxcommonbufferapi.cpp, fxcommonbuffer.cpp) ---------------------------------------- */

DR_SITE(site_cb_create, "WdfCommonBufferCreate");
DR_SITE(site_cb_create_cfg, "WdfCommonBufferCreateWithConfig");
DR_SITE(site_cb_va, "WdfCommonBufferGetAlignedVirtualAddress");
DR_SITE(site_cb_la, "WdfCommonBufferGetAlignedLogicalAddress");
DR_SITE(site_cb_len, "WdfCommonBufferGetLength");
DR_SITE(site_cb_fails, "dma-common-buffer-fails"); /* 0 allocated, 1 AllocateCommonBuffer returns NULL (env.alloc_failure) */

/* WdfCommonBufferCreate[WithConfig]: FxVerifierCheckIrqlLevel(PASSIVE_LEVEL),
 * Length 0 STATUS_INVALID_PARAMETER, attributes without a parent (the
 * enabler is it), then FxCommonBuffer::AllocateCommonBuffer: m_RawLength =
 * Length, plus the alignment mask when that exceeds PAGE_SIZE - 1; the
 * HAL's AllocateCommonBuffer gives at least a page, page-aligned (the model:
 * m_RawLength rounded up to pages from the guarded arena, named "common
 * buffer", its rest and a guard page poisoned); the aligned logical address
 * is (raw + mask) & ~mask and the aligned virtual address the raw one plus
 * the same offset (only the logical address is aligned above a page).
 * A NULL from the HAL (env.alloc_failure) is STATUS_INSUFFICIENT_RESOURCES
 * and no object. */
static NTSTATUS common_buffer_create(const dr_site *site, WDFDMAENABLER DmaEnabler, size_t Length, const ULONG *alignment,
                                     PWDF_OBJECT_ATTRIBUTES Attributes, WDFCOMMONBUFFER *CommonBuffer)
{
    const char *api = site->name;
    km_object *en = km_lookup(DmaEnabler, KM_T_DMAENABLER, api, false);
    if (!en)
        return STATUS_INVALID_HANDLE;
    if (!CommonBuffer) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s without CommonBuffer",
                    api);
        return STATUS_INVALID_PARAMETER;
    }
    *CommonBuffer = NULL;
    if (!Length) /* "Length is 0" */
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = km_validate_attributes(Attributes, KM_ATTRS_PARENT_NOT_ALLOWED);
    if (!NT_SUCCESS(st))
        return st;
    km_dmaenabler *e = &en->u.dmae;
    /* FxDmaEnabler::AllocateCommonBuffer: the read direction's adapter. */
    if (!e->adapter[0]) {
        km_crash("DMA-CFG", api, "system profile not configured: no adapter object",
                 "DMAE%u: AllocateCommonBuffer through a NULL read-direction AdapterObject", en->id);
        return STATUS_INVALID_DEVICE_STATE;
    }
    /* The enabler's alignment (m_CommonBufferAlignment: the device's
     * alignment requirement, byte-aligned in the model) unless configured. */
    ULONG mask = alignment ? *alignment : 0;
    size_t raw = Length;
    if (mask > KM_PAGE_SIZE - 1 && __builtin_add_overflow(Length, (size_t)mask, &raw)) {
        km_vf_break("DMA-CB", api, "length plus alignment overflows", "%zu + 0x%x", Length, (unsigned)mask);
        return STATUS_INTEGER_OVERFLOW;
    }
    if (raw > 0xFFFFFFFFu) { /* FxDmaEnabler::AllocateCommonBuffer: RtlSizeTToULong */
        km_vf_break("DMA-CB", api, "length does not fit a ULONG", "%zu bytes", raw);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    km_object *o = km_obj_create(KM_T_COMMONBUFFER, Attributes, en, api, &st);
    if (!o)
        return st;
    if (km_w.env.alloc_failure && dr_choose(&site_cb_fails, 2) == 1) {
        km_obj_delete(o); /* DeleteFromFailedCreate */
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    km_commonbuffer *cb = &o->u.cb;
    size_t pages = (raw + KM_PAGE_SIZE - 1) / KM_PAGE_SIZE;
    cb->raw = km_alloc(pages * KM_PAGE_SIZE, 16, "common buffer", NULL, o, &cb->alloc);
    /* fxcommonbuffer.cpp FxCommonBuffer::AllocateCommonBuffer: the logical
     * address is aligned, and above a page the virtual one is moved by the
     * same offset ("we only guarantee alignment of LA"). */
    uint64_t raw_la = km_logical_address(cb->raw);
    cb->aligned = cb->raw + (((raw_la + mask) & ~(uint64_t)mask) - raw_la);
    cb->length = Length;
    cb->raw_length = raw;
    cb->alignment = mask;
    km_trace(site, o, (int64_t)Length);
    *CommonBuffer = (WDFCOMMONBUFFER)km_handle(o);
    return STATUS_SUCCESS;
}

NTSTATUS WdfCommonBufferCreate(WDFDMAENABLER DmaEnabler, size_t Length, PWDF_OBJECT_ATTRIBUTES Attributes,
                               WDFCOMMONBUFFER *CommonBuffer)
{
    if (!km_enter_irql_checked(&site_cb_create, PASSIVE_LEVEL)) /* FxVerifierCheckIrqlLevel */
        return STATUS_INVALID_DEVICE_REQUEST;
    return common_buffer_create(&site_cb_create, DmaEnabler, Length, NULL, Attributes, CommonBuffer);
}

NTSTATUS WdfCommonBufferCreateWithConfig(WDFDMAENABLER DmaEnabler, size_t Length, PWDF_COMMON_BUFFER_CONFIG Config,
                                         PWDF_OBJECT_ATTRIBUTES Attributes, WDFCOMMONBUFFER *CommonBuffer)
{
    static const char api[] = "WdfCommonBufferCreateWithConfig";
    if (!km_enter_irql_checked(&site_cb_create_cfg, PASSIVE_LEVEL)) /* FxVerifierCheckIrqlLevel */
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!Config) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s without Config", api);
        return STATUS_INVALID_PARAMETER;
    }
    if (Config->Size != sizeof *Config)
        return STATUS_INFO_LENGTH_MISMATCH;
    return common_buffer_create(&site_cb_create_cfg, DmaEnabler, Length, &Config->AlignmentRequirement, Attributes,
                                CommonBuffer);
}

/* FxCommonBuffer::Dispose -> FreeCommonBuffer: the HAL's FreeCommonBuffer;
 * the memory is poisoned FREED, so a later touch is a use-after-free of a
 * "freed common buffer". Runs for WdfObjectDelete and for the enabler's (its
 * parent's) deletion. */
void km_commonbuffer_dispose(km_object *o)
{
    km_commonbuffer *cb = &o->u.cb;
    if (!cb->raw || cb->freed)
        return;
    cb->freed = true;
    km_free(cb->alloc);
}

static km_object *cb_enter(const dr_site *site, WDFCOMMONBUFFER h)
{
    if (!km_enter(site, DISPATCH_LEVEL))
        return NULL;
    return km_lookup(h, KM_T_COMMONBUFFER, site->name, false);
}

PVOID WdfCommonBufferGetAlignedVirtualAddress(WDFCOMMONBUFFER CommonBuffer)
{
    km_object *o = cb_enter(&site_cb_va, CommonBuffer);
    return o ? o->u.cb.aligned : NULL;
}

PHYSICAL_ADDRESS WdfCommonBufferGetAlignedLogicalAddress(WDFCOMMONBUFFER CommonBuffer)
{
    PHYSICAL_ADDRESS a = {.QuadPart = 0};
    km_object *o = cb_enter(&site_cb_la, CommonBuffer);
    if (o)
        a.QuadPart = (LONGLONG)km_logical_address(o->u.cb.aligned); /* km_object.c: logical addresses */
    return a;
}

size_t WdfCommonBufferGetLength(WDFCOMMONBUFFER CommonBuffer)
{
    km_object *o = cb_enter(&site_cb_len, CommonBuffer);
    return o ? o->u.cb.length : 0;
}
