/* test_dma.c: the DMA enabler, the DMA transaction state machine and the
 * system DMA controller. kmdf-model-spec.md 1.1-1.10, 2, V1-V13, C1, C12.
 *
 * One small system-DMA driver whose behaviour is chosen per test. Its
 * correct form serialises its completion paths with a spin lock: the
 * transfer-complete callback marks "in completion" before DmaCompleted*, the
 * stopper (and canceller) in EvtIoRead acts only while the transaction is
 * neither final nor being completed, and a callback arriving while a stop is
 * in progress is handed over to the stopper (the DmaCompleted* call is
 * deferred to it, as the docs allow). */
#include "km.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

enum { NTX = 4 };

typedef enum {
    CB_NORMAL,           /* DmaCompleted on DmaComplete, DmaCompletedFinal(0) otherwise */
    CB_WITHLEN0_ONCE,    /* the first transfer is retried with WithLength(0) */
    CB_FINAL_PARTIAL,    /* the second transfer ends the transaction: DmaCompletedFinal(100) */
    CB_DOUBLE,           /* DmaCompleted again after the final one (V3) */
    CB_LEN_TOO_BIG,      /* WithLength(current + 1) (V4) */
    CB_RELEASE_IN_TRANSFER, /* Release before DmaCompleted (V6) */
    CB_DELETE_IN_TRANSFER,  /* WdfObjectDelete before DmaCompleted (V7) */
    CB_STOP_AFTER_FINAL, /* StopSystemTransfer after the final DmaCompleted (V13) */
    CB_CANCEL_AFTER_FINAL, /* WdfDmaTransactionCancel after the final DmaCompleted (V13) */
} cb_mode;

typedef enum {
    IO_PLAIN,            /* Initialize, set the callback, Execute */
    IO_EXECUTE_TWICE,    /* Execute again after it succeeded (V2) */
    IO_CANCEL_FIRST,     /* WdfDmaTransactionCancel before Initialize (V8) */
    IO_STOPPER,          /* StopSystemTransfer after Execute, under the protocol */
    IO_CANCELER,         /* WdfDmaTransactionCancel after Execute, under the protocol */
    IO_EARLY_FINAL,      /* DmaCompletedFinal while the channel is still pending (V5) */
    IO_COMPLETE_EARLY,   /* DmaCompleted from EvtIoRead, not from the callback (C12) */
    IO_CONCURRENT,       /* DmaCompleted from EvtIoRead while the callback runs it (C12) */
    IO_COMPLETE_IN_TRANSFER, /* WdfRequestComplete right after Execute (V19, C6) */
    IO_STOP_BEFORE_EXECUTE,  /* StopSystemTransfer in state Initialized, then Execute */
    IO_STOP_AFTER_RELEASE,   /* Initialize, Release, StopSystemTransfer, Initialize again, Execute */
} io_mode;

typedef struct driver_config {
    cb_mode cb;
    io_mode io;
    bool register_cb;    /* SetTransferCompleteCallback before Execute */
    bool cb_once;        /* ... instead only once, after WdfDmaTransactionCreate */
    bool reuse;          /* every request uses the first transaction (requests one after another) */
    bool release;        /* Release after the final DmaCompleted */
    bool reinit;         /* Initialize again after the final DmaCompleted (after Release if `release`) */
    bool stop_twice;     /* StopSystemTransfer twice inside the first EvtProgramDma (V9) */
    bool configure;      /* WdfDmaEnablerConfigureSystemProfile in EvtDevicePrepareHardware */
    bool give_up;        /* DmaCompletedFinal(0) inside the second EvtProgramDma (spec 1.3) */
    bool report_success; /* complete the request with STATUS_SUCCESS whatever DmaCompleted* said (C2) */
    bool enabler_at_dispatch; /* WdfDmaEnablerCreate at DISPATCH_LEVEL (V33, a KMDF-checked DDI) */
    WDF_DMA_DIRECTION direction; /* given to InitializeUsingRequest */
    size_t max_length;   /* the enabler's MaximumLength */
} driver_config;

typedef struct TX_CTX {
    WDFREQUEST request;
    WDFSPINLOCK lock;
    int programmed, handled, callbacks, depth;
    uint32_t cb_task, stop_task;
    BOOLEAN in_execute, done, in_completion, stopping, stopped, has_deferred, cb_started;
    DMA_COMPLETION_STATUS deferred;
} TX_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TX_CTX, GetTxCtx)

/* Observations, summed over the executions of one test. */
typedef struct stats {
    long executions, final_true, more_false, nested, cb_in_execute, deferred_adapter, short_maps;
    long out_a, out_b, out_c, stop_cancelled_status, sync_stop;
    long cancel_true, cancel_true_after_program, callbacks_after_cancel;
    long bytes_wrong, status_wrong, state_wrong, reinit_ok;
    long failed_final, short_final; /* a final DmaCompleted* with an error status; with fewer bytes than asked */
} stats;

static driver_config drv;
static stats st;
static km_env env;
static WDFDMAENABLER g_enabler;
static WDFDMATRANSACTION g_tx[NTX];
static LONG g_next;
static size_t g_max_fragment;
/* Expectations checked after each execution (0 = not checked). */
static size_t want_bytes;
static NTSTATUS want_status;
static km_tx_state want_state;
static NTSTATUS last_status;
static size_t last_bytes;
static int want_programmed;

static UCHAR dummy_buffer[64];
static LONG g_tx_cleanups; /* EvtCleanupCallback calls on transactions, this execution */

static VOID EvtTxCleanup(WDFOBJECT Object)
{
    UNREFERENCED_PARAMETER(Object);
    InterlockedIncrement(&g_tx_cleanups);
}

static void finish(WDFDMATRANSACTION tx, TX_CTX *c, NTSTATUS status);

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    TX_CTX *c = Context;
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    c->programmed++;
    if (c->programmed == 1 && !c->in_execute)
        st.deferred_adapter++;
    size_t rest = WdfDmaTransactionGetCurrentDmaTransferLength(Transaction);
    size_t done = WdfDmaTransactionGetBytesTransferred(Transaction);
    size_t full = env.request_length - done < g_max_fragment ? env.request_length - done : g_max_fragment;
    if (SgList->Elements[0].Length != rest)
        st.bytes_wrong++;
    if (rest < full)
        st.short_maps++;
    if (drv.give_up && c->programmed == 2) {
        NTSTATUS s;
        if (WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &s)) {
            WdfSpinLockAcquire(c->lock);
            c->done = TRUE;
            WdfSpinLockRelease(c->lock);
            finish(Transaction, c, s);
        }
        return TRUE;
    }
    if (drv.stop_twice && c->programmed == 1) {
        WdfDmaTransactionStopSystemTransfer(Transaction);
        WdfDmaTransactionStopSystemTransfer(Transaction);
    }
    return TRUE;
}

static VOID EvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS Status);

/* The last path out completes the request. */
static void finish(WDFDMATRANSACTION tx, TX_CTX *c, NTSTATUS status)
{
    NTSTATUS s2;
    size_t bytes = WdfDmaTransactionGetBytesTransferred(tx);
    WDFREQUEST req = c->request;
    last_status = status;
    last_bytes = bytes;
    st.final_true++;
    st.failed_final += !NT_SUCCESS(status);
    st.short_final += bytes < env.request_length;
    switch (drv.cb) {
    case CB_DOUBLE:
        (void)WdfDmaTransactionDmaCompleted(tx, &s2);
        break;
    case CB_STOP_AFTER_FINAL:
        WdfDmaTransactionStopSystemTransfer(tx);
        break;
    case CB_CANCEL_AFTER_FINAL:
        (void)WdfDmaTransactionCancel(tx);
        break;
    default:
        break;
    }
    if (drv.release)
        (void)WdfDmaTransactionRelease(tx);
    if (drv.reinit) {
        s2 = WdfDmaTransactionInitialize(tx, EvtProgramDma, WdfDmaDirectionReadFromDevice, (PMDL)dummy_buffer,
                                         dummy_buffer, sizeof dummy_buffer);
        if (NT_SUCCESS(s2)) {
            st.reinit_ok++;
            (void)WdfDmaTransactionRelease(tx);
        }
    }
    c->request = NULL;
    WdfRequestCompleteWithInformation(req, drv.report_success ? STATUS_SUCCESS : status, bytes);
}

/* DmaCompleted* for one transfer, then the request if the transaction ended. */
static void handle(WDFDMATRANSACTION tx, TX_CTX *c, DMA_COMPLETION_STATUS status)
{
    NTSTATUS s = STATUS_SUCCESS;
    BOOLEAN final;
    int n = c->handled++;
    if (c->stopped) {
        if (status == DmaCancelled) {
            if (c->programmed > n)
                st.out_a++; /* the mapped transfer was cancelled */
            else
                st.out_c++; /* no transfer was mapped: synthetic DmaCancelled */
        } else if (status == DmaComplete) {
            st.out_b++; /* the hardware finished first */
        }
    }
    if (status == DmaComplete) {
        switch (drv.cb) {
        case CB_WITHLEN0_ONCE:
            final = n == 0 ? WdfDmaTransactionDmaCompletedWithLength(tx, 0, &s) : WdfDmaTransactionDmaCompleted(tx, &s);
            break;
        case CB_FINAL_PARTIAL:
            final = n == 1 ? WdfDmaTransactionDmaCompletedFinal(tx, 100, &s) : WdfDmaTransactionDmaCompleted(tx, &s);
            break;
        case CB_LEN_TOO_BIG:
            final = WdfDmaTransactionDmaCompletedWithLength(tx, WdfDmaTransactionGetCurrentDmaTransferLength(tx) + 1,
                                                            &s);
            break;
        case CB_RELEASE_IN_TRANSFER:
            (void)WdfDmaTransactionRelease(tx);
            final = WdfDmaTransactionDmaCompleted(tx, &s);
            break;
        case CB_DELETE_IN_TRANSFER:
            WdfObjectDelete(tx);
            final = WdfDmaTransactionDmaCompleted(tx, &s);
            break;
        default:
            final = WdfDmaTransactionDmaCompleted(tx, &s);
            break;
        }
    } else {
        final = WdfDmaTransactionDmaCompletedFinal(tx, 0, &s);
    }
    WdfSpinLockAcquire(c->lock);
    if (final)
        c->done = TRUE;
    c->in_completion = FALSE;
    WdfSpinLockRelease(c->lock);
    if (!final) {
        if (s != STATUS_MORE_PROCESSING_REQUIRED)
            st.status_wrong++;
        st.more_false++;
        return; /* more transfers follow: touch nothing of the transfer */
    }
    if (s == STATUS_CANCELLED && c->stopped)
        st.stop_cancelled_status++;
    if (status != DmaComplete && NT_SUCCESS(s))
        s = status == DmaCancelled ? STATUS_CANCELLED : STATUS_DEVICE_DATA_ERROR;
    finish(tx, c, s);
}

static VOID EvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS Status)
{
    TX_CTX *c = Context;
    uint32_t me = dr_current_task();
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    c->callbacks++;
    c->cb_started = TRUE;
    if (c->depth > 0 && c->cb_task == me)
        st.nested++; /* re-entered on this thread, inside its own DmaCompleted */
    if (c->in_execute)
        st.cb_in_execute++;
    c->depth++;
    uint32_t outer = c->cb_task;
    c->cb_task = me;
    WdfSpinLockAcquire(c->lock);
    if (c->stopping) {
        if (c->stop_task == me)
            st.sync_stop++; /* delivered inside StopSystemTransfer on the caller's thread */
        c->deferred = Status;
        c->has_deferred = TRUE;
        WdfSpinLockRelease(c->lock);
    } else {
        c->in_completion = TRUE;
        WdfSpinLockRelease(c->lock);
        handle(Transaction, c, Status);
    }
    c->cb_task = outer;
    c->depth--;
}

static void stopper(WDFDMATRANSACTION tx, TX_CTX *c)
{
    BOOLEAN go, deferred;
    DMA_COMPLETION_STATUS ds;
    WdfSpinLockAcquire(c->lock);
    go = !c->done && !c->in_completion;
    if (go) {
        c->stopping = TRUE;
        c->stop_task = dr_current_task();
    }
    WdfSpinLockRelease(c->lock);
    if (!go)
        return;
    WdfDmaTransactionStopSystemTransfer(tx);
    WdfSpinLockAcquire(c->lock);
    c->stopping = FALSE;
    c->stopped = TRUE;
    deferred = c->has_deferred;
    ds = c->deferred;
    c->has_deferred = FALSE;
    if (deferred)
        c->in_completion = TRUE;
    WdfSpinLockRelease(c->lock);
    if (deferred)
        handle(tx, c, ds);
}

static void canceler(WDFDMATRANSACTION tx, TX_CTX *c)
{
    BOOLEAN won = FALSE;
    WdfSpinLockAcquire(c->lock);
    if (!c->done && !c->in_completion) {
        won = WdfDmaTransactionCancel(tx);
        if (won)
            c->done = TRUE;
    }
    WdfSpinLockRelease(c->lock);
    if (!won)
        return;
    st.cancel_true++;
    if (c->programmed)
        st.cancel_true_after_program++;
    WDFREQUEST req = c->request;
    c->request = NULL;
    (void)WdfDmaTransactionRelease(tx);
    WdfRequestComplete(req, STATUS_CANCELLED);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    NTSTATUS s;
    LONG slot = drv.reuse ? 0 : InterlockedIncrement(&g_next) - 1;
    WDFDMATRANSACTION tx = g_tx[slot];
    TX_CTX *c = GetTxCtx(tx);
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    if (drv.reuse) { /* the previous request released the transaction */
        c->programmed = c->handled = 0;
        c->done = c->in_completion = FALSE;
    }
    c->request = Request;
    if (drv.enabler_at_dispatch) { /* a second enabler, created under a raised IRQL */
        WDF_DMA_ENABLER_CONFIG dc;
        WDFDMAENABLER e2;
        KIRQL old;
        WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileSystem, drv.max_length);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        s = WdfDmaEnablerCreate(WdfIoQueueGetDevice(Queue), &dc, WDF_NO_OBJECT_ATTRIBUTES, &e2);
        KeLowerIrql(old);
        WdfRequestComplete(Request, s);
        return;
    }
    if (drv.io == IO_CANCEL_FIRST)
        (void)WdfDmaTransactionCancel(tx);
    s = WdfDmaTransactionInitializeUsingRequest(tx, Request, EvtProgramDma, drv.direction);
    if (!NT_SUCCESS(s)) {
        last_status = s;
        WdfRequestComplete(Request, s);
        return;
    }
    if (WdfDmaTransactionGetRequest(tx) != Request || WdfDmaTransactionGetBytesTransferred(tx) != 0)
        st.state_wrong++;
    if (drv.register_cb && !drv.cb_once)
        WdfDmaTransactionSetTransferCompleteCallback(tx, EvtTransferComplete, c);
    if (drv.io == IO_STOP_BEFORE_EXECUTE) {
        WdfDmaTransactionStopSystemTransfer(tx);
        c->stopped = TRUE;
    } else if (drv.io == IO_STOP_AFTER_RELEASE) {
        (void)WdfDmaTransactionRelease(tx);
        WdfDmaTransactionStopSystemTransfer(tx);
        s = WdfDmaTransactionInitializeUsingRequest(tx, Request, EvtProgramDma, drv.direction);
        if (!NT_SUCCESS(s)) {
            last_status = s;
            WdfRequestComplete(Request, s);
            return;
        }
    }
    c->in_execute = TRUE;
    s = WdfDmaTransactionExecute(tx, c);
    c->in_execute = FALSE;
    if (!NT_SUCCESS(s)) {
        c->request = NULL;
        (void)WdfDmaTransactionRelease(tx);
        WdfRequestComplete(Request, s);
        return;
    }
    /* From here the request may be completed already: only the transaction
     * (which lives as long as the device) and its context are touched. */
    switch (drv.io) {
    case IO_EXECUTE_TWICE:
        s = WdfDmaTransactionExecute(tx, c);
        break;
    case IO_STOPPER:
        stopper(tx, c);
        break;
    case IO_CANCELER:
        canceler(tx, c);
        break;
    case IO_EARLY_FINAL:
        if (c->programmed == 0)
            (void)WdfDmaTransactionDmaCompletedFinal(tx, 0, &s);
        break;
    case IO_COMPLETE_EARLY:
        if (!c->done)
            (void)WdfDmaTransactionDmaCompleted(tx, &s);
        break;
    case IO_COMPLETE_IN_TRANSFER:
        if (!c->done)
            WdfRequestComplete(Request, STATUS_SUCCESS);
        break;
    case IO_CONCURRENT:
        for (int i = 0; i < 64 && !c->cb_started; i++)
            KeGetCurrentIrql();
        if (c->cb_started && !c->done)
            (void)WdfDmaTransactionDmaCompleted(tx, &s);
        break;
    default:
        break;
    }
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(ResourcesRaw);
    for (ULONG i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (d && d->Type == CmResourceTypeDma && drv.configure) {
            WDF_DMA_SYSTEM_PROFILE_CONFIG pc;
            PHYSICAL_ADDRESS fifo;
            fifo.QuadPart = 0xFED00010;
            WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&pc, fifo, Width32Bits, d);
            return WdfDmaEnablerConfigureSystemProfile(g_enabler, &pc, WdfDmaDirectionReadFromDevice);
        }
    }
    return drv.configure ? STATUS_DEVICE_NOT_READY : STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_DMA_ENABLER_CONFIG dc;
    WDF_OBJECT_ATTRIBUTES attrs;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS s;
    UNREFERENCED_PARAMETER(Driver);
    s = km_test_device_queue(&DeviceInit, EvtPrepareHardware, WdfDeviceIoDirect, EvtIoRead, &device, &queue);
    if (!NT_SUCCESS(s))
        return s;
    WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileSystem, drv.max_length);
    s = WdfDmaEnablerCreate(device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &g_enabler);
    if (!NT_SUCCESS(s))
        return s;
    for (int i = 0; i < NTX; i++) {
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, TX_CTX);
        attrs.EvtCleanupCallback = EvtTxCleanup;
        s = WdfDmaTransactionCreate(g_enabler, &attrs, &g_tx[i]);
        if (!NT_SUCCESS(s))
            return s;
        WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
        attrs.ParentObject = device;
        s = WdfSpinLockCreate(&attrs, &GetTxCtx(g_tx[i])->lock);
        if (!NT_SUCCESS(s))
            return s;
        if (drv.register_cb && drv.cb_once)
            WdfDmaTransactionSetTransferCompleteCallback(g_tx[i], EvtTransferComplete, GetTxCtx(g_tx[i]));
    }
    return STATUS_SUCCESS;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void)
{
    g_next = 0;
    g_tx_cleanups = 0;
    memset(g_tx, 0, sizeof g_tx);
    g_enabler = NULL;
    last_status = STATUS_PENDING;
    last_bytes = 0;
    size_t regs = ((size_t)env.map_registers - 1) * KM_PAGE_SIZE;
    g_max_fragment = drv.max_length < regs ? drv.max_length : regs;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    st.executions++;
    if (want_bytes && last_bytes != want_bytes)
        st.bytes_wrong++;
    if (want_status != STATUS_PENDING && last_status != want_status)
        st.status_wrong++;
    if (!g_tx[0])
        return;
    km_object *o = km_lookup(g_tx[0], KM_T_DMATRANSACTION, "test", true);
    if (want_state != KM_TX_INVALID && (!o || o->u.tx.state != want_state))
        st.state_wrong++;
    if (want_programmed && (!o || GetTxCtx(g_tx[0])->programmed != want_programmed))
        st.state_wrong++;
    for (int i = 0; i < NTX; i++) {
        TX_CTX *c = GetTxCtx(g_tx[i]);
        if (c && c->done && c->programmed == 0 && c->callbacks)
            st.callbacks_after_cancel++; /* Cancel won, yet a callback came */
    }
}

static const dr_scenario scn = {"test-dma", "system DMA driver on the DMA model", "clean", 2, 4, 1, setup, check,
                                NULL, 0};

/* A quiet, deterministic world: one read of `pages` pages, one page per
 * transfer, no injected errors, no short mapping, synchronous adapter
 * control. Tests switch on what they need. */
static void reset(size_t pages)
{
    km_env_defaults(&env);
    env.cancel = false;
    env.dma_error = env.dma_abort = false;
    env.short_mapping = false;
    env.deferred_adapter = false;
    env.sync_stop_callback = false;
    env.request_length = pages * KM_PAGE_SIZE;
    env.map_registers = 2;
    drv = (driver_config){.cb = CB_NORMAL,
                          .io = IO_PLAIN,
                          .register_cb = true,
                          .release = true,
                          .configure = true,
                          .direction = WdfDmaDirectionReadFromDevice,
                          .max_length = 16 * KM_PAGE_SIZE};
    memset(&st, 0, sizeof st);
    want_bytes = 0;
    want_status = STATUS_PENDING;
    want_state = KM_TX_INVALID;
    want_programmed = 0;
}

/* ---- transitions, return values, byte accounting (1.6, 2.1-2.5) ------------------------------ */

static void test_multi_transfer(void)
{
    reset(3);
    drv.release = false;
    want_bytes = 3 * KM_PAGE_SIZE;
    want_status = STATUS_SUCCESS;
    want_state = KM_TX_TRANSFER_COMPLETED;
    want_programmed = 3;
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.executions == r.executions && st.executions > 0);
    KCHECK(st.more_false == 2 * st.executions); /* FALSE twice, then TRUE */
    KCHECK(st.final_true == st.executions);
    KCHECK(st.bytes_wrong == 0 && st.status_wrong == 0 && st.state_wrong == 0);
    /* Released after the final DmaCompleted, then re-initialised. */
    reset(3);
    drv.reinit = true;
    want_state = KM_TX_RELEASED;
    r = km_test_run(&scn, "random", 100, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.reinit_ok == st.executions && st.state_wrong == 0);
    /* The enabler's MaximumLength caps the fragment (2.3). */
    reset(3);
    env.map_registers = 8;
    drv.max_length = 2 * KM_PAGE_SIZE;
    want_bytes = 3 * KM_PAGE_SIZE;
    want_programmed = 2;
    r = km_test_run(&scn, "random", 100, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.more_false == st.executions && st.bytes_wrong == 0 && st.state_wrong == 0);
}

static void test_withlength_zero_retry(void)
{
    reset(2);
    drv.cb = CB_WITHLEN0_ONCE;
    drv.release = false;
    want_bytes = 2 * KM_PAGE_SIZE;
    want_status = STATUS_SUCCESS;
    want_programmed = 3; /* the first fragment twice */
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.more_false == 2 * st.executions && st.bytes_wrong == 0 && st.state_wrong == 0);
}

static void test_final_credits_current_transfer(void)
{
    reset(3);
    drv.cb = CB_FINAL_PARTIAL;
    drv.release = false;
    want_bytes = KM_PAGE_SIZE + 100; /* first transfer + 100 bytes of the second; the third never runs */
    want_status = STATUS_SUCCESS;
    want_state = KM_TX_TRANSFER_COMPLETED;
    want_programmed = 2;
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.bytes_wrong == 0 && st.status_wrong == 0 && st.state_wrong == 0);
}

static void test_give_up_in_program_dma(void)
{
    reset(3);
    drv.give_up = true;
    env.deferred_adapter = true;
    want_bytes = KM_PAGE_SIZE; /* Final(0) credits nothing for the second transfer */
    want_status = STATUS_SUCCESS;
    want_state = KM_TX_RELEASED;
    km_test_result r = km_test_run(&scn, "random", 1000, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.final_true == st.executions && st.bytes_wrong == 0 && st.status_wrong == 0 && st.state_wrong == 0);
    r = km_test_run_dfs(&scn, 1, 50000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
}

static void test_dfs_correct_driver(void)
{
    reset(2);
    km_test_result r = km_test_run_dfs(&scn, 2, 200000, true);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    printf("correct 2-transfer driver: DFS bound 2 exhausted after %ld executions\n", r.executions);
}

static void test_initialize_and_configuration_errors(void)
{
    /* Direction against the request type: STATUS_INVALID_DEVICE_REQUEST, no state change. */
    reset(1);
    drv.direction = WdfDmaDirectionWriteToDevice;
    want_status = STATUS_INVALID_DEVICE_REQUEST;
    want_state = KM_TX_CREATED;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.status_wrong == 0 && st.state_wrong == 0 && st.executions > 0);
    /* A system enabler never configured has no adapter object. */
    reset(1);
    drv.configure = false;
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH DMA-CFG: WdfDmaTransactionExecute");
}

/* ---- checks V1-V9, V13, C12 ----------------------------------------------------------------- */

static void test_v1_initialize_without_release(void)
{
    reset(1);
    drv.release = false;
    drv.reinit = true;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x8 V1: WdfDmaTransactionInitialize");
    env.verifier = false; /* unconditional */
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x8 V1");
}

/* Release keeps the transfer-complete callback: fxdmatransactionapi.cpp
 * WdfDmaTransactionRelease calls FxDmaTransactionBase::ReleaseForReuse
 * (fxdmatransactionbase.cpp), whose Reset() leaves m_TransferCompleteFunction
 * alone; only FxDmaTransactionSystem::Reuse() (fxdmatransactionsystem.hpp)
 * clears it, and nothing calls that. A driver may set the callback once and
 * reuse the transaction. */
static void test_release_keeps_transfer_complete_callback(void)
{
    reset(2);
    env.requests = 2;
    env.concurrent = false; /* the second request after the first completed */
    drv.cb_once = true;
    drv.reuse = true;
    want_status = STATUS_SUCCESS;
    km_test_result r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.executions == 300);
    KCHECK(st.final_true == 2 * st.executions); /* the second use was called back too */
    KCHECK(st.status_wrong == 0);
}

static void test_v2_execute_twice(void)
{
    reset(1);
    drv.io = IO_EXECUTE_TWICE;
    env.verifier = false;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x8 V2: WdfDmaTransactionExecute");
}

static void test_v19_complete_in_transfer(void) /* V19, C6: unconditional bugcheck 0x3 */
{
    reset(1);
    drv.io = IO_COMPLETE_IN_TRANSFER;
    env.verifier = false;
    km_test_result r = km_test_find(&scn, 20000, "V19");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x3 V19: WdfRequestComplete");
}

static void test_v3_completed_twice(void)
{
    reset(1);
    drv.cb = CB_DOUBLE;
    env.verifier = false;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x8 V3: WdfDmaTransactionDmaCompleted");
}

static void test_v4_length_too_big(void)
{
    reset(2);
    drv.cb = CB_LEN_TOO_BIG;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V4: WdfDmaTransactionDmaCompletedWithLength");
    /* Without the verifier: TRUE, STATUS_INVALID_PARAMETER, TransferFailed. */
    reset(2);
    drv.cb = CB_LEN_TOO_BIG;
    drv.release = false;
    env.verifier = false;
    want_status = STATUS_INVALID_PARAMETER;
    want_state = KM_TX_TRANSFER_FAILED;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.final_true == st.executions && st.status_wrong == 0 && st.state_wrong == 0);
}

static void test_v5_flush_without_channel(void)
{
    reset(1);
    drv.io = IO_EARLY_FINAL;
    env.deferred_adapter = true;
    km_test_result r = km_test_find(&scn, 20000, "V5");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V5: WdfDmaTransactionDmaCompletedFinal");
}

static void test_v6_release_in_transfer(void)
{
    reset(1);
    drv.cb = CB_RELEASE_IN_TRANSFER;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BUGCHECK 0x10D/0x8 V6: WdfDmaTransactionRelease");
    env.verifier = false;
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V6: WdfDmaTransactionRelease");
}

static void test_v7_delete_in_transfer(void)
{
    reset(1);
    drv.cb = CB_DELETE_IN_TRANSFER;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BUGCHECK 0x10D/0x8 V7: WdfObjectDelete");
    /* FxDmaTransactionBase::Dispose checks the state before CallCleanup
     * (fxobjectstatemachine.cpp FxObject::DisposeChildrenWorker): the
     * bugcheck comes first, the cleanup never runs. */
    KCHECK(g_tx_cleanups == 0);
    env.verifier = false;
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V7: WdfObjectDelete");
    KCHECK(g_tx_cleanups == 0);
}

static void test_v8_cancel_in_created(void)
{
    reset(1);
    drv.io = IO_CANCEL_FIRST;
    env.verifier = false;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x8 V8: WdfDmaTransactionCancel");
}

static void test_v9_double_stop(void)
{
    reset(3);
    drv.stop_twice = true;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BUGCHECK 0x10D/0x8 V9: WdfDmaTransactionStopSystemTransfer");
    /* Without the verifier the second stop is only traced; the driver ends
     * the transaction on the cancelled or completed transfer. */
    env.verifier = false;
    env.sync_stop_callback = true;
    r = km_test_run(&scn, "random", 300, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.final_true == st.executions);
}

static void test_v13_after_final(void)
{
    reset(1);
    drv.cb = CB_STOP_AFTER_FINAL;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V13: WdfDmaTransactionStopSystemTransfer: m_AdapterInfo is NULL");
    env.verifier = false;
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V13: WdfDmaTransactionStopSystemTransfer");
    reset(1);
    drv.cb = CB_CANCEL_AFTER_FINAL;
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH V13: WdfDmaTransactionCancel: m_AdapterInfo is NULL");
}

static void test_c12_completion_outside_callback(void)
{
    reset(3);
    drv.io = IO_COMPLETE_EARLY;
    km_test_result r = km_test_find(&scn, 20000, "pending DMA completion");
    /* KMDF's free build checks nothing here (an ASSERTMSG of the checked
     * build): dmarace's own check, a CHECK finding, not a CRASH. */
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK C12: WdfDmaTransactionDmaCompleted: driver called TransferComplete "
                                      "with pending DMA completion callback");
    reset(3);
    drv.io = IO_CONCURRENT;
    r = km_test_find(&scn, 50000, "concurrently");
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK C12: WdfDmaTransactionDmaCompleted: DmaCompleted* called concurrently");
}

/* ---- nondeterminism: every point reachable, the correct driver clean ------------------------------ */

static void test_reentrancy_and_environment(void)
{
    reset(3);
    env.deferred_adapter = true;
    env.short_mapping = true;
    env.map_registers = 3; /* two pages per transfer: a short mapping is possible */
    want_bytes = 3 * KM_PAGE_SIZE;
    want_status = STATUS_SUCCESS;
    km_test_result r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r);
    printf("environment: %ld runs, nested callbacks %ld, callbacks inside Execute %ld, deferred "
           "_AdapterControl %ld, short mappings %ld\n",
           st.executions, st.nested, st.cb_in_execute, st.deferred_adapter, st.short_maps);
    KCHECK(st.nested > 0);
    KCHECK(st.cb_in_execute > 0);
    KCHECK(st.deferred_adapter > 0);
    KCHECK(st.short_maps > 0);
    KCHECK(st.bytes_wrong == 0 && st.status_wrong == 0);
    /* Injected hardware errors reach the driver, which still ends cleanly. */
    reset(3);
    env.dma_error = env.dma_abort = true;
    r = km_test_run(&scn, "random", 500, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.final_true == st.executions);
    /* No callback registered: nobody tells the driver, the request is lost. */
    reset(1);
    drv.register_cb = false;
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "lost completion");
}

static void test_stop_outcomes(void)
{
    reset(3);
    drv.io = IO_STOPPER;
    env.deferred_adapter = true;
    env.sync_stop_callback = true;
    km_test_result r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    /* Random scheduling fires the hardware event early; depth-first search
     * also keeps it pending until the stop. */
    r = km_test_run_dfs(&scn, 1, 30000, true);
    KEXPECT_CLEAN(r);
    printf("StopSystemTransfer (DFS bound 1 %s after %ld executions): %ld runs, (a) DmaCancelled %ld, (b) DmaComplete %ld, (c) synthetic %ld, "
           "STATUS_CANCELLED from DmaCompleted %ld, synchronous callback %ld\n",
           r.exhausted ? "exhausted" : "cut", r.executions, st.executions, st.out_a, st.out_b, st.out_c,
           st.stop_cancelled_status, st.sync_stop);
    KCHECK(st.out_a > 0);
    KCHECK(st.out_b > 0);
    KCHECK(st.out_c > 0);
    KCHECK(st.stop_cancelled_status > 0);
    KCHECK(st.sync_stop > 0);
    KCHECK(st.final_true == st.executions);
}

/* C2 "status lost": a protocol check of dmarace's, not a KMDF rule
 * (fxrequest.cpp FxRequest::CompleteInternal completes any status the driver
 * gives), with a per-scenario switch for devices whose short transfers are
 * legal. Both of its halves are reported as a CHECK while it is on, and
 * neither when it is off. */
static void test_c2_protocol_check(void)
{
    /* A stopped transaction (DmaCompleted* said STATUS_CANCELLED, fewer
     * bytes than asked), completed as a success. */
    reset(3);
    drv.io = IO_STOPPER;
    drv.report_success = true;
    km_test_result r = km_test_find(&scn, 5000, "C2");
    KEXPECT_FINDING(r, DR_FIND_CHECK,
                    "CHECK: C2 status lost (protocol check): request completed with success although its DMA "
                    "transaction did not succeed");
    KCHECK(strstr(r.first.message, "(stopped)") != NULL);
    KCHECK(strstr(r.first.message, "not a KMDF rule") != NULL);
    /* Switched off: the same runs are clean, though they reach both halves
     * (a failed final status, a short transfer). */
    reset(3);
    drv.io = IO_STOPPER;
    drv.report_success = true;
    env.c2_status_lost = false;
    r = km_test_run(&scn, "random", 2000, true);
    KEXPECT_CLEAN(r);
    KCHECK(st.failed_final > 0);
    KCHECK(st.short_final > 0);
}

/* V33 where KMDF checks it: fxdmaenablerapi.cpp WdfDmaEnablerCreate calls
 * FxVerifierCheckIrqlLevel(PASSIVE_LEVEL) (fxverifier.h: with the verifier a
 * break and STATUS_INVALID_DEVICE_REQUEST; without it no check at all). */
static void test_v33_kmdf_checked(void)
{
    reset(1);
    drv.enabler_at_dispatch = true;
    km_test_result r = km_test_run(&scn, "random", 10, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V33: WdfDmaEnablerCreate: called above its maximum IRQL");
    reset(1);
    drv.enabler_at_dispatch = true;
    env.verifier = false;
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
}

/* The phases of a request's life (km_phase.c) are race windows: reached where
 * they happen, declared possible where their parties exist. */
static void test_phase_windows(void)
{
    static const char first[] = "phase: the first of several transfers completes",
                      last[] = "phase: the last of several transfers completes",
                      mid[] = "phase: a cancel after a transfer completed, before the last did",
                      nocancel[] = "phase: a cancellable request completed without a cancel",
                      timer[] = "phase: a timer callback while a transaction transfers";
    /* Three good transfers and nothing else: the first and the last in every
     * execution; no cancel and no timer, so neither of theirs is possible. */
    reset(3);
    dr_windows_reset();
    km_test_result r = km_test_run(&scn, "random", 100, false);
    KEXPECT_CLEAN(r);
    KCHECK(km_test_window_hits(first) == 100 && km_test_window_possible(first) == 100);
    KCHECK(km_test_window_hits(last) == 100 && km_test_window_possible(last) == 100);
    KCHECK(km_test_window_possible(mid) == 0 && km_test_window_possible(nocancel) == 0 && km_test_window_possible(timer) == 0);
    /* One transfer: not "several". */
    reset(1);
    dr_windows_reset();
    r = km_test_run(&scn, "random", 100, false);
    KEXPECT_CLEAN(r);
    KCHECK(km_test_window_possible(first) == 0 && km_test_window_possible(last) == 0);
    /* The I/O manager may cancel (the driver has no cancel routine, so the
     * cancel changes nothing): possible in every execution, a cancel between
     * transfers in some, none at all in others. */
    reset(3);
    env.cancel = true;
    dr_windows_reset();
    r = km_test_run(&scn, "swarm", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(km_test_window_possible(nocancel) == 300);
    KCHECK(km_test_window_hits(nocancel) > 0 && km_test_window_hits(nocancel) < 300);
    KCHECK(km_test_window_hits(mid) > 0 && km_test_window_hits(mid) <= km_test_window_possible(mid) && km_test_window_possible(mid) < 300);
    KCHECK(km_test_window_hits(last) == 300);
}

/* StopSystemTransfer before the transfer (spec 1.8, revised): not misuse.
 * fxdmatransactionsystem.cpp FxDmaSystemTransaction::StopTransfer sets
 * m_IsCancelled unconditionally and asks the HAL to cancel the transfer
 * context (which exists from FxDmaTransactionBase::Initialize,
 * InitializeTransferContext); fxdmatransactionpacket.cpp
 * FxDmaPacketTransaction::StageTransfer then fails the first transfer with
 * STATUS_CANCELLED and _AdapterControl delivers a synthetic DmaCancelled.
 * Whether the HAL's CancelMappedTransfer fails on a context never allocated
 * is the HAL's business: a tape choice, VF-BUGCHECK 0x10D/0x8 (V9) with the
 * verifier when it fails. InitializeResources clears m_IsCancelled, so a stop
 * in Released is forgotten by the next Initialize. */
static void test_stop_before_transfer(void)
{
    reset(3);
    drv.io = IO_STOP_BEFORE_EXECUTE;
    env.deferred_adapter = true;
    env.verifier = false;
    want_status = STATUS_CANCELLED;
    dr_windows_reset();
    km_test_result r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.executions == 300);
    KCHECK(st.out_c == st.executions);  /* the synthetic DmaCancelled, no EvtProgramDma */
    KCHECK(st.final_true == st.executions);
    KCHECK(st.status_wrong == 0);
    KCHECK(GetTxCtx(g_tx[0])->programmed == 0);
    KCHECK(km_test_window_hits("window: StopSystemTransfer before the transfer, HAL cancel succeeded") > 0);
    KCHECK(km_test_window_hits("window: StopSystemTransfer before the transfer, HAL cancel failed") > 0);
    /* With the verifier, the HAL's failure is KMDF's VF-BUGCHECK. */
    env.verifier = true;
    r = km_test_run(&scn, "random", 300, false);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BUGCHECK 0x10D/0x8 V9: WdfDmaTransactionStopSystemTransfer");
    KCHECK(r.findings > 0 && r.clean > 0); /* the HAL's success stays clean */
    /* A stop in Released (no channel): the next Initialize clears it. */
    reset(3);
    drv.io = IO_STOP_AFTER_RELEASE;
    env.verifier = false;
    want_status = STATUS_SUCCESS;
    want_bytes = 3 * KM_PAGE_SIZE;
    r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.final_true == st.executions && st.executions == 300);
    KCHECK(st.status_wrong == 0 && st.bytes_wrong == 0);
}

static void test_cancel_only_while_pending(void)
{
    reset(2);
    env.requests = 2;
    env.deferred_adapter = true;
    drv.io = IO_CANCELER;
    km_test_result r = km_test_run(&scn, "random", 3000, true);
    KEXPECT_CLEAN(r);
    printf("WdfDmaTransactionCancel: %ld runs, TRUE %ld times\n", st.executions, st.cancel_true);
    KCHECK(st.cancel_true > 0);
    KCHECK(st.cancel_true_after_program == 0);
    KCHECK(st.callbacks_after_cancel == 0);
}

int main(void)
{
    test_multi_transfer();
    test_withlength_zero_retry();
    test_final_credits_current_transfer();
    test_dfs_correct_driver();
    test_give_up_in_program_dma();
    test_initialize_and_configuration_errors();
    test_v1_initialize_without_release();
    test_release_keeps_transfer_complete_callback();
    test_v2_execute_twice();
    test_v19_complete_in_transfer();
    test_v3_completed_twice();
    test_v4_length_too_big();
    test_v5_flush_without_channel();
    test_v6_release_in_transfer();
    test_v7_delete_in_transfer();
    test_v8_cancel_in_created();
    test_v9_double_stop();
    test_v13_after_final();
    test_c12_completion_outside_callback();
    test_reentrancy_and_environment();
    test_stop_outcomes();
    test_c2_protocol_check();
    test_v33_kmdf_checked();
    test_stop_before_transfer();
    test_phase_windows();
    test_cancel_only_while_pending();
    return km_test_done();
}
