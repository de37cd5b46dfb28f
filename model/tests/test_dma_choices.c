/* test_dma_choices.c: the DMA model's windows and tape choices that real
 * KMDF and the HAL allow and the model once left out (issue 12, "fake
 * cleans"):
 *
 *  - the scheduling point between MapTransferEx and the staging code after
 *    EvtProgramDma returns (`dma-program-dma-returned`), present whatever
 *    EvtProgramDma does;
 *  - the adapter channel handed to the next waiter synchronously inside the
 *    freeing call (`dma-adapter-handover`): another transaction's staging,
 *    EvtProgramDma included, nested in a final DmaCompleted*;
 *  - injected HAL failures (env.hal_failure): MapTransferEx
 *    (`dma-map-fails`: the synthetic DmaError from _AdapterControl, or
 *    DmaCompleted* TRUE with the error) and FlushAdapterBuffersEx
 *    (`dma-flush-fails`: DmaCompleted* TRUE with the error).
 *
 * One small system-DMA driver, one transaction per request, whose faults are
 * chosen per test. Each test asserts what a driver sees (return values,
 * statuses, transaction states, callback order) and that a driver relying on
 * the missing behaviour is found. */
#include "km.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

enum { NTX = 2 };

typedef enum {
    CB_LOCK_NONE,   /* the callback takes no lock */
    CB_LOCK_BRIEF,  /* the callback acquires and releases g_lock before DmaCompleted* */
    CB_LOCK_ACROSS, /* the callback holds g_lock across DmaCompleted* */
} cb_lock_mode;

typedef enum {
    ST_HONEST,        /* completes with DmaCompleted*'s status; DEVICE_DATA_ERROR after a DmaError */
    ST_IGNORE_STATUS, /* completes with STATUS_SUCCESS whenever DmaCompleted* returns TRUE (C2) */
    ST_IGNORE_ERROR,  /* the callback returns at once unless the status is DmaComplete */
} status_mode;

static struct {
    bool lock_across_execute; /* EvtIoRead holds g_lock across WdfDmaTransactionExecute */
    bool program_nothing;     /* EvtProgramDma touches nothing (no shared access, no DDI) */
    bool program_takes_lock;  /* EvtProgramDma acquires and releases g_lock */
    cb_lock_mode cb_lock;
    status_mode status;
} drv;

/* Observations, summed over the executions of one test (in check()). */
static struct {
    long executions;
    long cb_inside_execute, cb_outside_execute; /* the callback on the task inside Execute, or elsewhere */
    long nested_handover;      /* EvtProgramDma of one transaction inside another's DmaCompleted* */
    long nested_handover_ok;   /* ... the other final (TransferCompleted), at DISPATCH, order D P d */
    long dpc_handover;         /* the waiter's EvtProgramDma outside every DmaCompleted* */
    long synthetic_error;      /* DmaError callback with no EvtProgramDma before it */
    long synthetic_error_ok;   /* ... then DmaCompletedFinal(0): TRUE, no flush failure: SUCCESS, Completed */
    long map_failed_in_completed; /* DmaCompleted TRUE, STATUS_INSUFFICIENT_RESOURCES, TransferFailed, 1 transfer */
    long flush_failed;         /* DmaCompleted* TRUE, STATUS_UNSUCCESSFUL, TransferFailed */
    long plain_success;        /* DmaCompleted TRUE, STATUS_SUCCESS, TransferCompleted, every byte */
    long wrong;                /* anything else seen from a DmaCompleted* */
    long request_status_wrong; /* a request completed with success although the transfer failed, or never */
} st;

static km_env env;
static WDFSPINLOCK g_lock;
static WDFDMAENABLER g_enabler;
static WDFDMATRANSACTION g_tx[NTX];
static WDFREQUEST g_req[NTX];
static LONG g_next;
/* Per execution. */
static uint32_t g_exec_task[NTX]; /* task inside WdfDmaTransactionExecute of tx i, 0 if none */
static uint32_t g_dmac_task[NTX]; /* task inside DmaCompleted* of tx i, 0 if none */
static int g_programmed[NTX];
static NTSTATUS g_completed_with[NTX]; /* STATUS_PENDING until the driver completes request i */
static bool g_error_seen[NTX];          /* a DmaError callback for tx i */

/* The order of events of one execution: D (enter DmaCompleted*), d (it
 * returned TRUE), P (EvtProgramDma), C (callback), each with its tx. */
enum { NLOG = 32 };
static char g_log[NLOG];
static int g_log_tx[NLOG];
static int g_nlog;

static void note(char ev, int i)
{
    if (g_nlog < NLOG) {
        g_log[g_nlog] = ev;
        g_log_tx[g_nlog] = i;
        g_nlog++;
    }
}

static km_tx_state tx_state(int i)
{
    km_object *o = km_lookup(g_tx[i], KM_T_DMATRANSACTION, "test", true);
    return o ? o->u.tx.state : KM_TX_INVALID;
}

static BOOLEAN EvtProgramDmaNothing(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                    WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    return TRUE;
}

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    int i = (int)(intptr_t)Context;
    uint32_t me = dr_current_task();
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    g_programmed[i]++;
    note('P', i);
    int other = 1 - i;
    if (g_dmac_task[other] == me) {
        /* Handed the channel inside the other transaction's final
         * DmaCompleted*: it is final already, and we run at DISPATCH. */
        st.nested_handover++;
        if (tx_state(other) == KM_TX_TRANSFER_COMPLETED && KeGetCurrentIrql() == DISPATCH_LEVEL && g_nlog >= 2 &&
            g_log[g_nlog - 2] == 'D' && g_log_tx[g_nlog - 2] == other)
            st.nested_handover_ok++;
    } else if (g_programmed[i] == 1 && g_exec_task[i] != me) {
        st.dpc_handover++;
    }
    if (drv.program_takes_lock) {
        WdfSpinLockAcquire(g_lock);
        WdfSpinLockRelease(g_lock);
    }
    return TRUE;
}

static void record_final(int i, BOOLEAN final, NTSTATUS s, DMA_COMPLETION_STATUS cs)
{
    km_tx_state state = tx_state(i);
    size_t bytes = WdfDmaTransactionGetBytesTransferred(g_tx[i]);
    if (!final) {
        /* A nested callback may have finished the transaction already. */
        if (s != STATUS_MORE_PROCESSING_REQUIRED)
            st.wrong++;
        return;
    }
    if (cs == DmaError && g_programmed[i] == 0 && s == STATUS_SUCCESS && state == KM_TX_TRANSFER_COMPLETED)
        st.synthetic_error_ok++;
    else if (s == STATUS_UNSUCCESSFUL && state == KM_TX_TRANSFER_FAILED)
        st.flush_failed++;
    else if (s == STATUS_INSUFFICIENT_RESOURCES && state == KM_TX_TRANSFER_FAILED && bytes == KM_PAGE_SIZE &&
             g_programmed[i] == 1)
        st.map_failed_in_completed++;
    else if (s == STATUS_SUCCESS && state == KM_TX_TRANSFER_COMPLETED && bytes == env.request_length &&
             cs == DmaComplete)
        st.plain_success++;
    else if (!(cs != DmaComplete && s == STATUS_SUCCESS))
        st.wrong++;
}

static VOID EvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS Status)
{
    int i = (int)(intptr_t)Context;
    uint32_t me = dr_current_task();
    NTSTATUS s = STATUS_PENDING;
    BOOLEAN final;
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    note('C', i);
    if (g_exec_task[i] == me)
        st.cb_inside_execute++;
    else
        st.cb_outside_execute++;
    if (Status == DmaError && g_programmed[i] == 0)
        st.synthetic_error++;
    if (Status == DmaError)
        g_error_seen[i] = true;
    if (drv.status == ST_IGNORE_ERROR && Status != DmaComplete)
        return; /* the bug: "cannot happen" */
    if (drv.cb_lock == CB_LOCK_BRIEF) {
        WdfSpinLockAcquire(g_lock);
        WdfSpinLockRelease(g_lock);
    } else if (drv.cb_lock == CB_LOCK_ACROSS) {
        WdfSpinLockAcquire(g_lock);
    }
    uint32_t outer = g_dmac_task[i];
    g_dmac_task[i] = me;
    note('D', i);
    if (Status == DmaComplete)
        final = WdfDmaTransactionDmaCompleted(Transaction, &s);
    else
        final = WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &s);
    g_dmac_task[i] = outer;
    if (final)
        note('d', i);
    if (drv.cb_lock == CB_LOCK_ACROSS)
        WdfSpinLockRelease(g_lock);
    record_final(i, final, s, Status);
    if (!final)
        return;
    NTSTATUS rs = s;
    if (drv.status == ST_IGNORE_STATUS)
        rs = STATUS_SUCCESS;
    else if (NT_SUCCESS(rs) && Status != DmaComplete)
        rs = STATUS_DEVICE_DATA_ERROR;
    g_completed_with[i] = rs;
    WdfRequestCompleteWithInformation(g_req[i], rs, WdfDmaTransactionGetBytesTransferred(Transaction));
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    LONG i = InterlockedIncrement(&g_next) - 1;
    WDFDMATRANSACTION tx = g_tx[i];
    NTSTATUS s;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    g_req[i] = Request;
    s = WdfDmaTransactionInitializeUsingRequest(tx, Request, drv.program_nothing ? EvtProgramDmaNothing : EvtProgramDma,
                                                WdfDmaDirectionReadFromDevice);
    if (!NT_SUCCESS(s)) {
        WdfRequestComplete(Request, s);
        return;
    }
    WdfDmaTransactionSetTransferCompleteCallback(tx, EvtTransferComplete, (PVOID)(intptr_t)i);
    g_exec_task[i] = dr_current_task();
    if (drv.lock_across_execute)
        WdfSpinLockAcquire(g_lock);
    s = WdfDmaTransactionExecute(tx, (WDFCONTEXT)(intptr_t)i);
    if (drv.lock_across_execute)
        WdfSpinLockRelease(g_lock);
    g_exec_task[i] = 0;
    if (!NT_SUCCESS(s)) {
        (void)WdfDmaTransactionRelease(tx);
        WdfRequestComplete(Request, s);
    }
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(ResourcesRaw);
    for (ULONG i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (d && d->Type == CmResourceTypeDma) {
            WDF_DMA_SYSTEM_PROFILE_CONFIG pc;
            PHYSICAL_ADDRESS fifo;
            fifo.QuadPart = 0xFED00010;
            WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&pc, fifo, Width32Bits, d);
            return WdfDmaEnablerConfigureSystemProfile(g_enabler, &pc, WdfDmaDirectionReadFromDevice);
        }
    }
    return STATUS_DEVICE_NOT_READY;
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
    WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileSystem, 16 * KM_PAGE_SIZE);
    s = WdfDmaEnablerCreate(device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &g_enabler);
    if (!NT_SUCCESS(s))
        return s;
    for (int i = 0; i < NTX; i++) {
        s = WdfDmaTransactionCreate(g_enabler, WDF_NO_OBJECT_ATTRIBUTES, &g_tx[i]);
        if (!NT_SUCCESS(s))
            return s;
    }
    WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
    attrs.ParentObject = device;
    return WdfSpinLockCreate(&attrs, &g_lock);
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
    g_nlog = 0;
    g_enabler = NULL;
    g_lock = NULL;
    memset(g_tx, 0, sizeof g_tx);
    memset(g_req, 0, sizeof g_req);
    memset(g_exec_task, 0, sizeof g_exec_task);
    memset(g_dmac_task, 0, sizeof g_dmac_task);
    memset(g_programmed, 0, sizeof g_programmed);
    memset(g_error_seen, 0, sizeof g_error_seen);
    for (int i = 0; i < NTX; i++)
        g_completed_with[i] = STATUS_PENDING;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    st.executions++;
    for (unsigned i = 0; i < env.requests && i < NTX; i++)
        if (g_completed_with[i] == STATUS_PENDING ||
            (drv.status == ST_HONEST && NT_SUCCESS(g_completed_with[i]) &&
             (tx_state((int)i) != KM_TX_TRANSFER_COMPLETED || g_error_seen[i])))
            st.request_status_wrong++;
}

static const dr_scenario scn = {"test-dma-choices", "system DMA driver, one transaction per request", "clean", 2, 4,
                                1, setup, check, NULL, 0};

/* A quiet world: `requests` concurrent reads of `pages` pages, one page per
 * transfer, nothing injected. Tests switch on what they need. */
static void reset(unsigned requests, size_t pages)
{
    km_env_defaults(&env);
    env.requests = requests;
    env.concurrent = true;
    env.cancel = false;
    env.dma_error = env.dma_abort = false;
    env.short_mapping = false;
    env.deferred_adapter = false;
    env.sync_stop_callback = false;
    env.request_length = pages * KM_PAGE_SIZE;
    env.map_registers = 2;
    memset(&drv, 0, sizeof drv);
    memset(&st, 0, sizeof st);
}

/* ---- the window between MapTransferEx and the end of EvtProgramDma ------------------------------ */

/* fxdmatransactionpacket.cpp StageTransfer: the device runs from
 * MapTransferEx; its completion DPC may find CurrentStagingThread set however
 * short EvtProgramDma is, and the staging thread then calls the callback
 * itself (RerunCompletion), inside Execute. */
static void test_program_dma_window(void)
{
    /* Correct: the lock is not held across Execute. The callback sometimes
     * runs on the task inside Execute (deferred to the staging thread),
     * although EvtProgramDma has no scheduling point of its own. */
    reset(1, 1);
    drv.program_nothing = true;
    drv.cb_lock = CB_LOCK_BRIEF;
    km_test_result r = km_test_run_dfs(&scn, 2, 20000, false);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(st.executions == r.executions && st.executions > 0);
    KCHECK(st.cb_inside_execute > 0);  /* the window: RerunCompletion with a no-op EvtProgramDma */
    KCHECK(st.cb_outside_execute > 0); /* and the ordinary HAL DPC */
    KCHECK(st.plain_success == st.executions && st.wrong == 0 && st.request_status_wrong == 0);

    /* The driver of issue 12: its own spin lock held across
     * WdfDmaTransactionExecute, the transfer-complete callback acquiring it,
     * EvtProgramDma touching nothing. The deferred completion runs the
     * callback on the thread holding the lock. */
    reset(1, 1);
    drv.program_nothing = true;
    drv.lock_across_execute = true;
    drv.cb_lock = CB_LOCK_BRIEF;
    r = km_test_run_dfs(&scn, 2, 20000, true);
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "spin lock acquired again on the processor that holds it");
}

/* ---- the adapter channel handed over inside FreeAdapterChannel ---------------------------------- */

static void test_synchronous_handover(void)
{
    /* Two transactions on one channel: the second waits; the first's final
     * DmaCompleted frees it. Both hand-overs happen: on a DPC, and nested on
     * the freeing thread (D(tx0) P(tx1) d(tx0), tx0 already
     * TransferCompleted, at DISPATCH_LEVEL). */
    reset(2, 1);
    drv.cb_lock = CB_LOCK_BRIEF;
    drv.program_takes_lock = true;
    km_test_result r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.executions == r.executions && st.executions > 0);
    KCHECK(st.nested_handover > 0);
    KCHECK(st.nested_handover_ok == st.nested_handover);
    KCHECK(st.dpc_handover > 0);
    KCHECK(st.plain_success == 2 * st.executions && st.wrong == 0 && st.request_status_wrong == 0);

    /* Cross-transaction re-entrancy: the callback holds a device-wide lock
     * across DmaCompleted*, and EvtProgramDma takes the same lock. With one
     * transfer per transaction a transaction never re-enters its own
     * EvtProgramDma; only the hand-over nests the other one's. */
    reset(2, 1);
    drv.cb_lock = CB_LOCK_ACROSS;
    drv.program_takes_lock = true;
    r = km_test_find(&scn, 5000, "spin lock acquired again");
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "spin lock acquired again on the processor that holds it");

    /* The same lock across DmaCompleted*, EvtProgramDma lock-free: the other
     * transaction's completion, deferred to the nested staging thread
     * (RerunCompletion), runs its callback inside this one. */
    reset(2, 1);
    drv.cb_lock = CB_LOCK_ACROSS;
    r = km_test_find(&scn, 5000, "spin lock acquired again");
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "spin lock acquired again on the processor that holds it");
}

/* ---- injected MapTransferEx and FlushAdapterBuffersEx failures ---------------------------------- */

static void test_hal_failures(void)
{
    /* Off by default; the text form switches it on. */
    km_env e;
    km_env_defaults(&e);
    KCHECK(!e.hal_failure);
    char err[128];
    KCHECK(km_env_parse(&e, "hal_failure", err, sizeof err) == 0 && e.hal_failure);

    /* An honest driver: every outcome reached, each as KMDF gives it
     * (fxdmatransactionbase.cpp DmaCompleted, fxdmatransactionpacket.cpp
     * _AdapterControl and TransferCompleted). Two transfers: the second
     * staging runs inside DmaCompleted. */
    reset(1, 2);
    env.hal_failure = true;
    km_test_result r = km_test_run(&scn, "random", 3000, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.executions == r.executions && st.executions > 0);
    KCHECK(st.synthetic_error > 0);          /* map failure at the first staging: DmaError, no EvtProgramDma */
    KCHECK(st.synthetic_error_ok > 0);       /* ... DmaCompletedFinal(0): TRUE, SUCCESS, TransferCompleted */
    KCHECK(st.map_failed_in_completed > 0);  /* map failure at the second: TRUE, the error, TransferFailed */
    KCHECK(st.flush_failed > 0);             /* flush failure: TRUE, the error, TransferFailed */
    KCHECK(st.plain_success > 0);            /* and the ordinary outcome */
    KCHECK(st.wrong == 0 && st.request_status_wrong == 0);

    /* Same driver without the injection: only the ordinary outcome. */
    reset(1, 2);
    r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.plain_success == st.executions && st.synthetic_error == 0 && st.flush_failed == 0 &&
           st.map_failed_in_completed == 0);

    /* A driver that completes with STATUS_SUCCESS whenever DmaCompleted*
     * returns TRUE, ignoring its status: found (C2) once the HAL may fail,
     * clean without. */
    reset(1, 2);
    env.hal_failure = true;
    drv.status = ST_IGNORE_STATUS;
    r = km_test_find(&scn, 3000, "C2 status lost");
    KEXPECT_FINDING(r, DR_FIND_CHECK, "C2 status lost");
    reset(1, 2);
    drv.status = ST_IGNORE_STATUS;
    r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);

    /* A driver that ignores an error completion (its device never reports
     * DmaError): the synthetic DmaError from _AdapterControl leaves its
     * request uncompleted. */
    reset(1, 2);
    env.hal_failure = true;
    drv.status = ST_IGNORE_ERROR;
    r = km_test_find(&scn, 3000, "lost completion");
    KEXPECT_FINDING(r, DR_FIND_CHECK, "lost completion: a request was never completed");
    reset(1, 2);
    drv.status = ST_IGNORE_ERROR;
    r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
}

int main(void)
{
    test_program_dma_window();
    test_synchronous_handover();
    test_hal_failures();
    return km_test_done();
}
