/* test_pin_dma.c: assertions that pin behaviour of the DMA model
 * (model/src/km_dma.c) which test_dma.c leaves unasserted: argument checks
 * of the enabler and transaction DDIs, EvtProgramDma's arguments, the one
 * adapter channel of a system DMA enabler, the request reference (C11, C13,
 * Dispose), a driver with no transfer-complete callback, the hardware
 * statuses, and StopSystemTransfer outcomes (a) and (c) taken one at a time.
 *
 * KMDF sources cited are microsoft/Windows-Driver-Frameworks,
 * src/framework/kmdf/src/dma/base/ unless a path says otherwise; model
 * choices are in docs/model-dma.md. */
#include "km.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

enum { NTX = 4 };

typedef enum {
    P_NORMAL,            /* InitializeUsingRequest, callback, Execute; the callback completes each transfer */
    P_PROBE_CREATE,      /* EvtDeviceAdd probes WdfDmaEnablerCreate and WdfDmaTransactionCreate */
    P_PROBE_INIT_ZERO,   /* EvtIoRead tries WdfDmaTransactionInitialize with Length 0 first */
    P_WRITE_BY_MDL,      /* EvtIoRead runs a WriteToDevice transfer with WdfDmaTransactionInitialize */
    P_COMPLETE_THEN_EXECUTE, /* the request is completed between InitializeUsingRequest and Execute */
    P_PEEK_BEFORE,       /* the callback reads the request's buffer before DmaCompleted */
    P_PEEK_AFTER,        /* ... only after DmaCompleted returned TRUE */
    P_NO_CALLBACK,       /* no transfer-complete callback: EvtIoRead calls DmaCompleted until TRUE */
    P_WITHLEN_FULL,      /* the callback reports WithLength(current transfer length) */
    P_DELETE_HELD,       /* Initialize from the request, reference, delete, then GetRequest */
    P_STOP_IN_PROGRAM,   /* StopSystemTransfer inside the first EvtProgramDma (mapped, running) */
    P_STOP_IN_CALLBACK,  /* StopSystemTransfer in the first callback, before its DmaCompleted */
} pin_mode;

typedef struct pin_config {
    pin_mode mode;
    WDF_DMA_PROFILE profile;
    ULONG flags;          /* WDF_DMA_ENABLER_CONFIG flags */
    size_t max_length;    /* the enabler's MaximumLength */
    bool configure_write; /* also WdfDmaEnablerConfigureSystemProfile(WriteToDevice) */
} pin_config;

typedef struct PIN_CTX {
    WDFREQUEST request;
    WDF_DMA_DIRECTION direction;
    PUCHAR buffer;        /* the request's buffer (P_PEEK_*) */
    size_t total;         /* the transaction's length */
    LONG programmed, handled;
    BOOLEAN in_execute, in_stop, stopped, active, stop_after_hw_done;
    uint32_t stop_task;
} PIN_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(PIN_CTX, GetPinCtx)

/* Observations, summed over the executions of one run (reset by reset()). */
typedef struct pin_obs {
    long executions;
    /* argument checks */
    NTSTATUS maxlen0, packet, invalid_profile, parent, init_zero, init_single;
    long handles_set;           /* an out-handle left non-NULL by a failed create */
    long init_zero_state_wrong, init_single_state_wrong;
    /* EvtProgramDma */
    LONG programs, direction_wrong, owner_wrong;
    LONG active, max_active, waited;
    /* the transfer-complete callback */
    LONG cb[4];                 /* by DMA_COMPLETION_STATUS */
    LONG final_true, more_false, status_wrong, bytes_wrong;
    /* Execute failures */
    LONG exec_failed, exec_failed_state_wrong, exec_failed_request_wrong;
    /* StopSystemTransfer */
    LONG stop_a, stop_a_in_stop, stop_a_after_hw_done, stop_b, stop_b_cancelled, stop_then_synthetic;
    LONG stop_programmed_wrong;
    LONG stop_c_direct, stop_c_deferred, stop_c_wrong;
    /* Dispose */
    LONG delete_request_kept, delete_state_wrong;
} pin_obs;

static pin_config drv;
static pin_obs ob;
static km_env env;
static WDFDMAENABLER g_enabler;
static WDFDMATRANSACTION g_tx[NTX];
static LONG g_next;
static UCHAR write_buffer[64];

static km_object *tx_obj(WDFDMATRANSACTION tx) { return km_lookup(tx, KM_T_DMATRANSACTION, "test", true); }

static km_tx_state tx_state(WDFDMATRANSACTION tx)
{
    km_object *o = tx_obj(tx);
    return o ? o->u.tx.state : KM_TX_INVALID;
}

static void count_max(LONG now)
{
    LONG seen = ob.max_active;
    while (now > seen) {
        LONG prev = InterlockedCompareExchange(&ob.max_active, now, seen);
        if (prev == seen)
            break;
        seen = prev;
    }
}

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    PIN_CTX *c = Context;
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(SgList);
    InterlockedIncrement(&ob.programs);
    /* fxdmatransactionpacket.cpp FxDmaPacketTransaction::StageTransfer
     * invokes EvtProgramDma with m_DmaDirection, the direction given to
     * Initialize. */
    if (Direction != c->direction)
        InterlockedIncrement(&ob.direction_wrong);
    /* One adapter channel per system DMA adapter (channel), held by the transaction
     * being programmed (fxdmatransactionpacket.cpp StageTransfer: "we won't
     * be mapping multiple system DMA requests concurrently (HAL doesn't
     * allow it)"; the channel is allocated by AllocateAdapterChannel and
     * freed by ReleaseResources / FreeMapRegistersAndAdapter). */
    km_object *o = tx_obj(Transaction);
    if (!o || !o->u.tx.adapter || o->u.tx.adapter->channel_owner != o)
        InterlockedIncrement(&ob.owner_wrong);
    if (InterlockedIncrement(&c->programmed) == 1) {
        c->active = TRUE;
        count_max(InterlockedIncrement(&ob.active));
        if (!c->in_execute && !env.deferred_adapter)
            InterlockedIncrement(&ob.waited); /* _AdapterControl came when another transaction freed the channel */
    }
    if (drv.mode == P_STOP_IN_PROGRAM && c->programmed == 1) {
        /* The hardware may have finished already (it runs from the mapping):
         * then the stop cannot cancel it. */
        c->stop_after_hw_done = o && !dr_event_armed(&o->u.tx.hw_done);
        c->stop_task = dr_current_task();
        c->in_stop = TRUE;
        WdfDmaTransactionStopSystemTransfer(Transaction);
        c->in_stop = FALSE;
        c->stopped = TRUE;
    }
    return TRUE;
}

/* The transaction is about to give the channel back (its final DmaCompleted*
 * frees it, and the next waiter's EvtProgramDma may run on another
 * processor before that call returns). */
static void leave(PIN_CTX *c)
{
    if (c->active) {
        c->active = FALSE;
        InterlockedDecrement(&ob.active);
    }
}

/* The transaction ended (DmaCompleted* returned TRUE): complete the request. */
static void finish(WDFDMATRANSACTION tx, PIN_CTX *c, NTSTATUS status)
{
    size_t bytes = WdfDmaTransactionGetBytesTransferred(tx);
    WDFREQUEST req = c->request;
    InterlockedIncrement(&ob.final_true);
    leave(c);
    if (drv.mode == P_STOP_IN_CALLBACK && bytes != KM_PAGE_SIZE)
        InterlockedIncrement(&ob.stop_c_wrong);
    if (drv.mode == P_PEEK_AFTER && c->buffer)
        (void)*(volatile UCHAR *)c->buffer; /* the buffer is the driver's again */
    c->request = NULL;
    if (req)
        WdfRequestCompleteWithInformation(req, status, bytes);
}

static VOID EvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS Status)
{
    PIN_CTX *c = Context;
    NTSTATUS s = STATUS_SUCCESS;
    BOOLEAN final;
    LONG n = c->handled++;
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    if ((unsigned)Status < 4)
        InterlockedIncrement(&ob.cb[Status]);
    if (c->stopped || c->in_stop) {
        if (n == 0 && Status == DmaCancelled) {
            InterlockedIncrement(&ob.stop_a);
            if (c->in_stop && c->stop_task == dr_current_task())
                InterlockedIncrement(&ob.stop_a_in_stop);
            if (c->stop_after_hw_done)
                InterlockedIncrement(&ob.stop_a_after_hw_done);
        } else if (n == 0 && Status == DmaComplete) {
            InterlockedIncrement(&ob.stop_b);
        } else if (n == 1 && Status == DmaCancelled) {
            InterlockedIncrement(&ob.stop_then_synthetic); /* after a FALSE from the nested DmaCompleted */
        }
        if (c->programmed != 1)
            InterlockedIncrement(&ob.stop_programmed_wrong);
    }
    if (drv.mode == P_PEEK_BEFORE && Status == DmaComplete && c->buffer)
        (void)*(volatile UCHAR *)c->buffer; /* C13: before DmaCompleted returned TRUE */
    if (drv.mode == P_STOP_IN_CALLBACK && n == 0 && Status == DmaComplete) {
        WdfDmaTransactionStopSystemTransfer(Transaction);
        c->stopped = TRUE;
        final = WdfDmaTransactionDmaCompleted(Transaction, &s);
        /* Outcome (c): nothing is mapped after the stop, so the next staging
         * fails. Called back from a thread that is not staging: TRUE,
         * STATUS_CANCELLED, TransferFailed. Nested in the staging thread
         * (inside Execute's _AdapterControl): FALSE, and the staging loop's
         * failure comes back as _AdapterControl's synthetic DmaCancelled. */
        if (final && s == STATUS_CANCELLED && tx_state(Transaction) == KM_TX_TRANSFER_FAILED)
            InterlockedIncrement(&ob.stop_c_direct);
        else if (!final && s == STATUS_MORE_PROCESSING_REQUIRED)
            InterlockedIncrement(&ob.stop_c_deferred);
        else
            InterlockedIncrement(&ob.stop_c_wrong);
        if (final)
            finish(Transaction, c, s);
        return;
    }
    size_t upto = WdfDmaTransactionGetBytesTransferred(Transaction) +
                  WdfDmaTransactionGetCurrentDmaTransferLength(Transaction);
    if (Status != DmaComplete || upto >= c->total)
        leave(c); /* this DmaCompleted* is the final one */
    if (Status == DmaComplete) {
        if (drv.mode == P_WITHLEN_FULL)
            final = WdfDmaTransactionDmaCompletedWithLength(
                Transaction, WdfDmaTransactionGetCurrentDmaTransferLength(Transaction), &s);
        else
            final = WdfDmaTransactionDmaCompleted(Transaction, &s);
    } else {
        final = WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &s);
    }
    if (!final) {
        if (s != STATUS_MORE_PROCESSING_REQUIRED)
            InterlockedIncrement(&ob.status_wrong);
        InterlockedIncrement(&ob.more_false);
        return;
    }
    if (c->stopped && n == 0 && Status == DmaComplete && s == STATUS_CANCELLED)
        InterlockedIncrement(&ob.stop_b_cancelled);
    if (Status != DmaComplete && NT_SUCCESS(s))
        s = Status == DmaCancelled ? STATUS_CANCELLED : STATUS_DEVICE_DATA_ERROR;
    finish(Transaction, c, s);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    NTSTATUS s;
    LONG slot = InterlockedIncrement(&g_next) - 1;
    WDFDMATRANSACTION tx = g_tx[slot];
    PIN_CTX *c = GetPinCtx(tx);
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    c->request = Request;
    c->direction = WdfDmaDirectionReadFromDevice;
    c->total = env.request_length;
    switch (drv.mode) {
    case P_PROBE_INIT_ZERO:
        ob.init_zero = WdfDmaTransactionInitialize(tx, EvtProgramDma, WdfDmaDirectionReadFromDevice,
                                                   (PMDL)write_buffer, write_buffer, 0);
        if (tx_state(tx) != KM_TX_CREATED)
            ob.init_zero_state_wrong++;
        break;
    case P_WRITE_BY_MDL:
        c->direction = WdfDmaDirectionWriteToDevice;
        c->total = sizeof write_buffer;
        s = WdfDmaTransactionInitialize(tx, EvtProgramDma, WdfDmaDirectionWriteToDevice, (PMDL)write_buffer,
                                        write_buffer, sizeof write_buffer);
        if (!NT_SUCCESS(s)) {
            ob.status_wrong++;
            WdfRequestComplete(Request, s);
            return;
        }
        goto execute;
    case P_DELETE_HELD:
        s = WdfDmaTransactionInitializeUsingRequest(tx, Request, EvtProgramDma, WdfDmaDirectionReadFromDevice);
        if (!NT_SUCCESS(s)) {
            ob.status_wrong++;
            WdfRequestComplete(Request, s);
            return;
        }
        WdfObjectReference(tx); /* keeps the handle valid past the delete */
        WdfObjectDelete(tx);
        if (WdfDmaTransactionGetRequest(tx) != NULL)
            ob.delete_request_kept++;
        if (tx_state(tx) != KM_TX_DELETED)
            ob.delete_state_wrong++;
        WdfObjectDereference(tx);
        g_tx[slot] = NULL;
        WdfRequestComplete(Request, STATUS_SUCCESS);
        return;
    default:
        break;
    }
    s = WdfDmaTransactionInitializeUsingRequest(tx, Request, EvtProgramDma, WdfDmaDirectionReadFromDevice);
    if (drv.flags & WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER) {
        ob.init_single = s;
        /* fxdmatransactionbase.cpp FxDmaTransactionBase::Initialize: a failed
         * PrepareForSingleTransfer ends in ReleaseForReuse. */
        if (!NT_SUCCESS(s) && tx_state(tx) != KM_TX_RELEASED)
            ob.init_single_state_wrong++;
    }
    if (!NT_SUCCESS(s)) {
        WdfRequestComplete(Request, s);
        return;
    }
    if (drv.mode == P_PEEK_BEFORE || drv.mode == P_PEEK_AFTER) {
        PVOID buf;
        size_t len;
        if (NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, 1, &buf, &len)))
            c->buffer = buf;
    }
    if (drv.mode == P_COMPLETE_THEN_EXECUTE) {
        c->request = NULL;
        WdfRequestComplete(Request, STATUS_SUCCESS);
    }
execute:
    if (drv.mode != P_NO_CALLBACK)
        WdfDmaTransactionSetTransferCompleteCallback(tx, EvtTransferComplete, c);
    c->in_execute = TRUE;
    s = WdfDmaTransactionExecute(tx, c);
    c->in_execute = FALSE;
    if (!NT_SUCCESS(s)) {
        ob.exec_failed++;
        /* fxdmatransactionbase.cpp FxDmaTransactionBase::Execute: a failed
         * StartTransfer sets m_State = FxDmaTransactionStateTransferFailed
         * and ReleaseButRetainRequest keeps the request. */
        if (tx_state(tx) != KM_TX_TRANSFER_FAILED)
            ob.exec_failed_state_wrong++;
        if (WdfDmaTransactionGetRequest(tx) != Request)
            ob.exec_failed_request_wrong++;
        c->request = NULL;
        (void)WdfDmaTransactionRelease(tx);
        WdfRequestComplete(Request, s);
        return;
    }
    if (drv.mode == P_NO_CALLBACK) {
        /* Nothing calls the driver back: it reports each transfer itself (as
         * from its own interrupt); DmaCompleted stages the next transfer on
         * this thread. */
        BOOLEAN final = FALSE;
        for (int i = 0; i < 16 && !final; i++) {
            final = WdfDmaTransactionDmaCompleted(tx, &s);
            if (!final && s != STATUS_MORE_PROCESSING_REQUIRED)
                ob.status_wrong++;
        }
        if (!final) {
            ob.status_wrong++;
            return;
        }
        if (s != STATUS_SUCCESS)
            ob.status_wrong++;
        if (WdfDmaTransactionGetBytesTransferred(tx) != env.request_length)
            ob.bytes_wrong++;
        finish(tx, c, s);
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
            NTSTATUS s;
            fifo.QuadPart = 0xFED00010;
            WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&pc, fifo, Width32Bits, d);
            s = WdfDmaEnablerConfigureSystemProfile(g_enabler, &pc, WdfDmaDirectionReadFromDevice);
            if (NT_SUCCESS(s) && drv.configure_write)
                s = WdfDmaEnablerConfigureSystemProfile(g_enabler, &pc, WdfDmaDirectionWriteToDevice);
            return s;
        }
    }
    return STATUS_DEVICE_NOT_READY;
}

/* WdfDmaEnablerCreate on a config the model refuses; records the status and
 * whether the out-handle was left set. */
static NTSTATUS probe_enabler(WDFDEVICE device, WDF_DMA_PROFILE profile, size_t max_length)
{
    WDF_DMA_ENABLER_CONFIG dc;
    WDFDMAENABLER h = (WDFDMAENABLER)(uintptr_t)1;
    WDF_DMA_ENABLER_CONFIG_INIT(&dc, profile, max_length);
    NTSTATUS s = WdfDmaEnablerCreate(device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &h);
    if (!NT_SUCCESS(s) && h != NULL)
        ob.handles_set++;
    return s;
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
    if (drv.mode == P_PROBE_CREATE) {
        ob.maxlen0 = probe_enabler(device, WdfDmaProfileSystem, 0);
        ob.packet = probe_enabler(device, WdfDmaProfilePacket, 16 * KM_PAGE_SIZE);
        ob.invalid_profile = probe_enabler(device, WdfDmaProfileInvalid, 16 * KM_PAGE_SIZE);
    }
    WDF_DMA_ENABLER_CONFIG_INIT(&dc, drv.profile, drv.max_length);
    dc.Flags = drv.flags;
    s = WdfDmaEnablerCreate(device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &g_enabler);
    if (!NT_SUCCESS(s))
        return s;
    if (drv.mode == P_PROBE_CREATE) {
        WDFDMATRANSACTION h = (WDFDMATRANSACTION)(uintptr_t)1;
        WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
        attrs.ParentObject = device;
        ob.parent = WdfDmaTransactionCreate(g_enabler, &attrs, &h);
        if (h != NULL)
            ob.handles_set++;
    }
    for (int i = 0; i < NTX; i++) {
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, PIN_CTX);
        s = WdfDmaTransactionCreate(g_enabler, &attrs, &g_tx[i]);
        if (!NT_SUCCESS(s))
            return s;
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
    memset(g_tx, 0, sizeof g_tx);
    g_enabler = NULL;
    ob.active = 0;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    ob.executions++;
}

static const dr_scenario scn = {"test-pin-dma", "system DMA driver pinning km_dma.c", "clean", 2, 4, 1, setup, check,
                                NULL, 0};

/* One read of `pages` pages, one page per transfer, no injected errors, no
 * short mapping, synchronous _AdapterControl. */
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
    drv = (pin_config){.mode = P_NORMAL, .profile = WdfDmaProfileSystem, .max_length = 16 * KM_PAGE_SIZE};
    memset(&ob, 0, sizeof ob);
}

/* ---- argument checks --------------------------------------------------------------------------- */

/* fxdmaenablerapi.cpp WdfDmaEnablerCreate: "Config MaximumLength of zero is
 * invalid" -> STATUS_INVALID_PARAMETER. Profiles: KMDF accepts packet and
 * scatter/gather profiles too, and so does the model since issue 14
 * (test_dma_busmaster.c; docs/model-dma.md "Bus-master profiles"); a value
 * outside the profile enumeration is STATUS_INVALID_PARAMETER (the switch's
 * default). fxdmatransactionapi.cpp WdfDmaTransactionCreate validates the
 * attributes with FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED: a ParentObject is
 * STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED (shared/object/
 * fxvalidatefunctions.cpp FxValidateObjectAttributes). A failed create
 * leaves the out-handle NULL. */
static void test_create_argument_checks(void)
{
    reset(1);
    drv.mode = P_PROBE_CREATE;
    km_test_result r = km_test_run(&scn, "random", 3, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 3);
    KCHECK(ob.maxlen0 == STATUS_INVALID_PARAMETER);
    KCHECK(ob.packet == STATUS_SUCCESS);
    KCHECK(ob.invalid_profile == STATUS_INVALID_PARAMETER);
    KCHECK(ob.parent == STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
    KCHECK(ob.handles_set == 0);
}

/* fxdmatransactionapi.cpp WdfDmaTransactionInitialize: "Can't initialize
 * WDFDMATRANSACTION with zero length transfer" -> STATUS_INVALID_PARAMETER
 * before FxDmaTransactionBase::Initialize, so the state stays Created. */
static void test_initialize_zero_length(void)
{
    reset(1);
    drv.mode = P_PROBE_INIT_ZERO;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 5);
    KCHECK(ob.init_zero == STATUS_INVALID_PARAMETER);
    KCHECK(ob.init_zero_state_wrong == 0);
    KCHECK(ob.final_true == 5); /* the request-based transfer after it still works */
}

/* WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER:
 * fxdmatransactionbase.cpp FxDmaTransactionBase::Initialize raises
 * m_MaxFragmentLength to the enabler's m_MaximumLength, then
 * PrepareForSingleTransfer fails with STATUS_WDF_TOO_MANY_TRANSFERS when
 * m_TransactionLength > m_MaxFragmentLength, and the transaction is released
 * for reuse. A request that fits is one transfer even when the map registers
 * alone would split it. */
static void test_single_transfer_enabler(void)
{
    reset(2);
    drv.flags = WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER;
    drv.max_length = KM_PAGE_SIZE;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r); /* the driver completes the request with the error */
    KCHECK(ob.executions == 5);
    KCHECK(ob.init_single == STATUS_WDF_TOO_MANY_TRANSFERS);
    KCHECK(ob.init_single_state_wrong == 0);
    KCHECK(ob.programs == 0);
    reset(2);
    drv.flags = WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER;
    drv.max_length = 2 * KM_PAGE_SIZE;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.init_single == STATUS_SUCCESS);
    KCHECK(ob.programs == 5 && ob.more_false == 0 && ob.final_true == 5); /* one transfer each */
}

/* A duplex system enabler has one adapter per direction:
 * fxdmaenabler.cpp FxDmaEnabler::ConfigureSystemAdapter configures
 * GetDmaDescription(ConfigDirection) only. A WriteToDevice transfer on a
 * duplex enabler configured for ReadFromDevice has no adapter object (the
 * model's DMA-CFG crash); configured for both it runs, and EvtProgramDma gets
 * WriteToDevice. */
/* fxdmaenabler.cpp FxDmaEnabler::ConfigureSystemAdapter: configuring a
 * direction whose adapter exists already (a simplex enabler has one adapter
 * for both directions, fxdmaenabler.hpp GetDmaDescription) breaks with the
 * verifier and fails with STATUS_INVALID_PARAMETER in every build. */
static void test_configure_simplex_twice(void)
{
    reset(1);
    drv.configure_write = true; /* a simplex System enabler: the write direction is the read one */
    km_test_result r = km_test_run(&scn, "random", 3, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "VF-BREAK DMA-CFG: WdfDmaEnablerConfigureSystemProfile: direction already configured");
    reset(1);
    drv.configure_write = true;
    env.verifier = false;
    r = km_test_run(&scn, "random", 3, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "EvtDevicePrepareHardware failed");
    KCHECK(strstr(r.first.message, "0xc000000d") != NULL); /* STATUS_INVALID_PARAMETER */
}

static void test_duplex_configures_one_direction(void)
{
    reset(1);
    drv.mode = P_WRITE_BY_MDL;
    drv.profile = WdfDmaProfileSystemDuplex;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH DMA-CFG: WdfDmaTransactionExecute");
    reset(1);
    drv.mode = P_WRITE_BY_MDL;
    drv.profile = WdfDmaProfileSystemDuplex;
    drv.configure_write = true;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 5 && ob.final_true == 5 && ob.status_wrong == 0);
    KCHECK(ob.programs == 5 && ob.direction_wrong == 0);
}

/* ---- EvtProgramDma, DmaCompleted*, Execute ------------------------------------------------------ */

/* EvtProgramDma gets the transaction's direction (fxdmatransactionpacket.cpp
 * StageTransfer: InvokeProgramDma(..., m_DmaDirection, sgList)). */
static void test_program_dma_direction(void)
{
    reset(3);
    km_test_result r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 50 && ob.programs == 150);
    KCHECK(ob.direction_wrong == 0);
}

/* fxdmatransactionbase.cpp FxDmaTransactionBase::DmaCompleted: only
 * TransferredLength > m_CurrentFragmentLength is STATUS_INVALID_PARAMETER
 * (with a verifier break, V4); reporting exactly the current transfer is a
 * full transfer. */
static void test_withlength_equal_to_transfer(void)
{
    reset(3);
    drv.mode = P_WITHLEN_FULL;
    km_test_result r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 50);
    KCHECK(ob.more_false == 100 && ob.final_true == 50 && ob.status_wrong == 0);
}

/* fxdmatransactionbase.cpp FxDmaTransactionBase::Execute: when StartTransfer
 * fails, m_State = FxDmaTransactionStateTransferFailed, the Execute context is
 * dropped and ReleaseButRetainRequest keeps the request (GetRequest still
 * returns it). The model's AllocateAdapterChannel fails only with
 * env.alloc_failure. */
static void test_execute_failure_state(void)
{
    reset(1);
    env.alloc_failure = true;
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 200);
    KCHECK(ob.exec_failed > 0 && ob.final_true > 0 && ob.exec_failed + ob.final_true == 200);
    KCHECK(ob.exec_failed_state_wrong == 0);
    KCHECK(ob.exec_failed_request_wrong == 0);
}

/* The hardware status reaches the callback as chosen: with only DmaAborted
 * injected no DmaError is seen, and the reverse (the HAL's completion routine
 * gets the controller's status; fxdmatransactionsystem.cpp
 * _SystemDmaCompletion passes it to CallEvtDmaCompleted unchanged). */
static void test_hardware_status_as_chosen(void)
{
    reset(2);
    env.dma_abort = true;
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.cb[DmaAborted] > 0 && ob.cb[DmaError] == 0 && ob.cb[DmaComplete] > 0);
    KCHECK(ob.final_true == ob.executions);
    reset(2);
    env.dma_error = true;
    r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.cb[DmaError] > 0 && ob.cb[DmaAborted] == 0 && ob.cb[DmaComplete] > 0);
    KCHECK(ob.final_true == ob.executions);
}

/* With no transfer-complete callback, MapTransferEx gets no completion
 * routine (fxdmatransactionsystem.cpp
 * FxDmaSystemTransaction::GetTransferCompletionRoutine returns NULL when
 * m_TransferCompleteFunction is NULL), so the HAL notifies nobody and
 * nothing is pending when the driver reports the transfer itself: its
 * DmaCompleted calls are no C12, each stages the next transfer, and the
 * last returns TRUE with every byte. */
static void test_no_callback_driver_completes_itself(void)
{
    reset(3);
    drv.mode = P_NO_CALLBACK;
    km_test_result r = km_test_run(&scn, "random", 300, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 300);
    KCHECK(ob.final_true == 300 && ob.programs == 900);
    KCHECK(ob.status_wrong == 0 && ob.bytes_wrong == 0);
    KCHECK(ob.cb[DmaComplete] == 0);
}

/* ---- the request: C11, C13, Dispose ----------------------------------------------------------------- */

/* FxDmaTransactionBase::Execute (fxdmatransactionbase.cpp) takes its request
 * reference only now (ReferenceRequest on m_EncodedRequest, stored without a
 * reference by InitializeUsingRequest): a request completed in between is
 * freed memory (the model's C11). */
static void test_execute_after_request_completed(void)
{
    reset(1);
    drv.mode = P_COMPLETE_THEN_EXECUTE;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH,
                    "CRASH C11: WdfDmaTransactionExecute: request completed before Execute took its reference");
}

/* Between Execute and the final DmaCompleted* the buffer is the device's
 * (spec 1.5; the flush in DmaCompleted*, FlushAdapterBuffers in
 * fxdmatransactionpacket.cpp FxDmaPacketTransaction::TransferCompleted,
 * makes it the driver's again): reading it in the callback before DmaCompleted is C13, after
 * DmaCompleted returned TRUE it is not. */
static void test_device_owns_buffer(void)
{
    reset(2);
    drv.mode = P_PEEK_BEFORE;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK: C13 buffer touched while the device owns it");
    reset(2);
    drv.mode = P_PEEK_AFTER;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 50 && ob.final_true == 50);
}

/* fxdmatransactionbase.cpp FxDmaTransactionBase::Dispose: m_State =
 * Deleted, ReleaseResources, and ClearRequest when m_EncodedRequest is set;
 * WdfDmaTransactionGetRequest (fxdmatransactionapi.cpp) then returns NULL
 * for the transaction a reference keeps alive. */
static void test_delete_clears_request(void)
{
    reset(1);
    drv.mode = P_DELETE_HELD;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(ob.executions == 5);
    KCHECK(ob.delete_request_kept == 0);
    KCHECK(ob.delete_state_wrong == 0);
}

/* ---- the adapter channel ------------------------------------------------------------------------- */

/* One adapter channel per system DMA enabler (fxdmatransactionpacket.cpp
 * StageTransfer: the HAL does not map system DMA requests concurrently):
 * concurrent transactions wait for it in order and get _AdapterControl when
 * it is freed (FxDmaPacketTransaction::ReleaseResources ->
 * FreeMapRegistersAndAdapter). Each EvtProgramDma runs while its own
 * transaction owns the channel, no two transactions are between their first
 * EvtProgramDma and their final DmaCompleted at once, some transaction
 * waited, and every request completes. */
static void test_one_channel_per_enabler(void)
{
    reset(2);
    env.requests = 3;
    env.concurrent = true;
    km_test_result r = km_test_run(&scn, "random", 500, true);
    KEXPECT_CLEAN(r);
    printf("adapter channel: %ld runs, %d transactions waited, at most %d active\n", ob.executions, (int)ob.waited,
           (int)ob.max_active);
    KCHECK(ob.executions == 500);
    KCHECK(ob.final_true == 3 * 500);
    KCHECK(ob.owner_wrong == 0);
    KCHECK(ob.max_active == 1);
    KCHECK(ob.waited > 0);
}

/* ---- StopSystemTransfer outcomes ---------------------------------------------------------------------- */

/* Outcome (a) with the synchronous callback off (docs/model-dma.md
 * "StopSystemTransfer"; fxdmatransactionsystem.cpp
 * FxDmaSystemTransaction::StopTransfer: CancelMappedTransfer "arranges for
 * ... the DMA completion routine will run"): a stop on the mapped, running
 * transfer makes it complete later with DmaCancelled, never inside the stop
 * and never when the hardware had finished before the stop. Or the hardware
 * finished first (b): DmaComplete, after which the next
 * staging fails on m_IsCancelled; the driver's DmaCompleted returns TRUE with
 * STATUS_CANCELLED, or, nested in the staging thread, FALSE followed by
 * _AdapterControl's synthetic DmaCancelled. No second transfer is mapped. */
static void test_stop_outcome_a_async(void)
{
    reset(3);
    drv.mode = P_STOP_IN_PROGRAM;
    km_test_result r = km_test_run(&scn, "random", 400, true);
    KEXPECT_CLEAN(r);
    printf("stop in EvtProgramDma (synchronous callback off): %ld runs, (a) %d, (b) %d: TRUE/STATUS_CANCELLED %d, "
           "synthetic DmaCancelled %d\n",
           ob.executions, (int)ob.stop_a, (int)ob.stop_b, (int)ob.stop_b_cancelled, (int)ob.stop_then_synthetic);
    KCHECK(ob.executions == 400 && ob.final_true == 400);
    KCHECK(ob.stop_a > 0);
    KCHECK(ob.stop_a_in_stop == 0);
    KCHECK(ob.stop_a_after_hw_done == 0); /* a finished transfer is never reported cancelled */
    KCHECK(ob.stop_b > 0);
    KCHECK(ob.stop_a + ob.stop_b == 400);
    KCHECK(ob.stop_b_cancelled + ob.stop_then_synthetic == ob.stop_b);
    KCHECK(ob.more_false == ob.stop_then_synthetic);
    KCHECK(ob.stop_programmed_wrong == 0 && ob.programs == 400);
}

/* Outcome (c): a stop after the hardware finished and before the flush,
 * from the first transfer-complete callback. fxdmatransactionpacket.cpp
 * StageTransfer: "Check for a pending cancellation. This can happen if the
 * cancel occurred between DMA completion and FlushAdapterBuffers -
 * FlushAdapterBuffers will clear the canceled bit in the transfer context"
 * -> STATUS_CANCELLED, no second EvtProgramDma. From a thread that is not
 * staging, the driver's DmaCompleted returns TRUE with STATUS_CANCELLED
 * (FxDmaTransactionBase::DmaCompleted: TransferFailed); nested in the
 * staging thread it returns FALSE (RerunStaging) and the failed staging ends
 * in _AdapterControl's synthetic DmaCancelled (FxDmaPacketTransaction::
 * _AdapterControl). Either way only the first transfer's bytes count. */
static void test_stop_outcome_c_in_callback(void)
{
    reset(3);
    drv.mode = P_STOP_IN_CALLBACK;
    km_test_result r = km_test_run(&scn, "random", 200, true);
    KEXPECT_CLEAN(r);
    printf("stop in the callback: %ld runs, TRUE/STATUS_CANCELLED %d, FALSE then synthetic DmaCancelled %d\n",
           ob.executions, (int)ob.stop_c_direct, (int)ob.stop_then_synthetic);
    KCHECK(ob.executions == 200 && ob.final_true == 200);
    KCHECK(ob.stop_c_wrong == 0);
    KCHECK(ob.stop_c_direct > 0 && ob.stop_c_deferred > 0);
    KCHECK(ob.stop_c_direct + ob.stop_c_deferred == 200);
    KCHECK(ob.stop_then_synthetic == ob.stop_c_deferred);
    KCHECK(ob.programs == 200);
}

int main(void)
{
    test_create_argument_checks();
    test_initialize_zero_length();
    test_single_transfer_enabler();
    test_duplex_configures_one_direction();
    test_configure_simplex_twice();
    test_program_dma_direction();
    test_withlength_equal_to_transfer();
    test_execute_failure_state();
    test_hardware_status_as_chosen();
    test_no_callback_driver_completes_itself();
    test_execute_after_request_completed();
    test_device_owns_buffer();
    test_delete_clears_request();
    test_one_channel_per_enabler();
    test_stop_outcome_a_async();
    test_stop_outcome_c_in_callback();
    return km_test_done();
}
