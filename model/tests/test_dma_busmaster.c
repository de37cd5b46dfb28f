/* test_dma_busmaster.c: the bus-master DMA profiles (issue 14).
 *
 * WdfDmaEnablerCreate with the packet and scatter-gather profiles (and
 * their duplex variants), transactions on them staged by KMDF's
 * FxDmaPacketTransaction / FxDmaScatterGatherTransaction: the list
 * EvtProgramDma gets for each stage, DmaCompleted* return values and the
 * stage sequence, map-register and element limits, the V10 verifier break,
 * the IRQL of DmaCompleted*, the device-ownership API for the device model
 * (km_dma_stage, km_dma_logical_owned), and KMDF's state checks.
 *
 * One small driver: EvtDeviceAdd creates the enabler (drv.profile) and one
 * transaction; EvtIoRead initialises it on a static buffer of its own at
 * drv.offset (or from the request), executes it and then plays the device:
 * it calls DmaCompleted* (or WithLength / Final, as the test says) until one
 * returns TRUE, as its interrupt DPC would, and completes the request with
 * the status. Each EvtProgramDma records its list. The tests assert on what
 * was recorded, on return values and on the finding's kind and title. */
#include "km.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

enum { MAXSTAGES = 8, MAXEL = 8, BUFSZ = 8 * KM_PAGE_SIZE };

static struct {
    WDF_DMA_PROFILE profile;
    size_t max_length;
    size_t max_sg;           /* WdfDmaEnablerSetMaximumScatterGatherElements (0: not called) */
    size_t offset, length;   /* the driver's buffer: g_buf + offset, length bytes */
    bool use_request;        /* InitializeUsingRequest instead of Initialize */
    int partial_stage;       /* stage (1-based) completed WithLength(partial_len); 0 none */
    size_t partial_len;
    int final_stage;         /* stage completed Final(final_len); 0 none */
    size_t final_len;
    bool set_complete_cb;    /* WdfDmaTransactionSetTransferCompleteCallback (V10) */
    bool set_configure_cb;   /* WdfDmaTransactionSetChannelConfigurationCallback (V10) */
    bool stop_transfer;      /* WdfDmaTransactionStopSystemTransfer (V10) */
    bool complete_at_dirql;  /* DmaCompleted at DIRQL (from an "ISR") */
    bool execute_twice;      /* Execute again while transferring (V2) */
    bool complete_before;    /* DmaCompleted before Execute (V3) */
    bool release_in_transfer;/* Release inside EvtProgramDma (V6) */
    bool touch_in_program;   /* EvtProgramDma writes to the request's buffer (C13) */
    bool allocate_resources; /* AllocateResources on this transaction */
    bool program_false;      /* EvtProgramDma returns FALSE (KMDF ignores it) */
    size_t tx_max_length;    /* WdfDmaTransactionSetMaximumLength after Initialize (0: not called) */
} drv;

static struct {
    NTSTATUS create, init, exec, final_status, alloc_res;
    int stages;
    ULONG count[MAXSTAGES];
    uint64_t addr[MAXSTAGES][MAXEL];
    ULONG len[MAXSTAGES][MAXEL];
    WDF_DMA_DIRECTION dir[MAXSTAGES];
    unsigned irql[MAXSTAGES];
    size_t cur_len[MAXSTAGES];
    bool owned[MAXSTAGES], owned_past[MAXSTAGES];
    int returns[MAXSTAGES];   /* 0 FALSE, 1 TRUE per DmaCompleted* call */
    int ncalls;
    size_t bytes;
    bool owned_after, stage_after;
    km_tx_state state_after;
    PDMA_ADAPTER adapter[2];
    size_t frag_len[2], max_len, sg_default, sg_after;
    size_t sg_max_seen;       /* elements in the largest list */
    bool callback_ran;
    bool request_ok, device_ok; /* GetRequest / GetDevice inside EvtProgramDma */
} obs;

static km_env env;
static WDFDMAENABLER g_en;
static WDFDMATRANSACTION g_tx;
static WDFREQUEST g_req;
static WDFDEVICE g_device;
static MDL g_mdl;
static uint8_t g_buf[BUFSZ] __attribute__((aligned(4096)));

static km_tx_state tx_state(void)
{
    km_object *o = km_lookup(g_tx, KM_T_DMATRANSACTION, "test", true);
    return o ? o->u.tx.state : KM_TX_INVALID;
}

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    int k = obs.stages++;
    if (k >= MAXSTAGES)
        return TRUE;
    obs.count[k] = SgList->NumberOfElements;
    if (SgList->NumberOfElements > obs.sg_max_seen)
        obs.sg_max_seen = SgList->NumberOfElements;
    for (ULONG e = 0; e < SgList->NumberOfElements && e < MAXEL; e++) {
        obs.addr[k][e] = (uint64_t)SgList->Elements[e].Address.QuadPart;
        obs.len[k][e] = SgList->Elements[e].Length;
    }
    obs.dir[k] = Direction;
    obs.irql[k] = KeGetCurrentIrql();
    obs.cur_len[k] = WdfDmaTransactionGetCurrentDmaTransferLength(Transaction);
    /* The device model's view: the last element is owned, one byte past it is not. */
    ULONG last = SgList->NumberOfElements - 1;
    uint64_t a = (uint64_t)SgList->Elements[last].Address.QuadPart;
    obs.owned[k] = km_dma_logical_owned(a, SgList->Elements[last].Length) &&
                   km_dma_logical_owned((uint64_t)SgList->Elements[0].Address.QuadPart, 1);
    obs.owned_past[k] = km_dma_logical_owned(a, (size_t)SgList->Elements[last].Length + 1);
    WDF_DMA_DIRECTION d = WdfDmaDirectionWriteToDevice;
    km_object *o = km_lookup(Transaction, KM_T_DMATRANSACTION, "test", true);
    if (km_dma_stage(o, &d) == NULL || d != Direction)
        obs.owned[k] = false;
    if (drv.release_in_transfer)
        (void)WdfDmaTransactionRelease(Transaction);
    obs.request_ok = WdfDmaTransactionGetRequest(Transaction) == (drv.use_request ? g_req : NULL);
    obs.device_ok = WdfDmaTransactionGetDevice(Transaction) == g_device;
    if (drv.touch_in_program) {
        PVOID b;
        if (NT_SUCCESS(WdfRequestRetrieveOutputBuffer(g_req, 1, &b, NULL)))
            ((volatile uint8_t *)b)[0] = 1;
    }
    return drv.program_false ? FALSE : TRUE;
}

static VOID EvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS Status)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(Status);
    obs.callback_ran = true;
}

static BOOLEAN EvtConfigure(WDFDMATRANSACTION Transaction, WDFDEVICE Device, PVOID Context, PMDL Mdl, size_t Offset,
                            size_t Length)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Mdl);
    UNREFERENCED_PARAMETER(Offset);
    UNREFERENCED_PARAMETER(Length);
    obs.callback_ran = true;
    return TRUE;
}

static VOID EvtReserve(WDFDMATRANSACTION Transaction, PVOID Context)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Context);
}

/* The "interrupt DPC": DmaCompleted* until TRUE. */
static NTSTATUS play_device(void)
{
    NTSTATUS s = STATUS_PENDING;
    for (int call = 1; call <= MAXSTAGES; call++) {
        BOOLEAN done;
        if (call == drv.final_stage)
            done = WdfDmaTransactionDmaCompletedFinal(g_tx, drv.final_len, &s);
        else if (call == drv.partial_stage)
            done = WdfDmaTransactionDmaCompletedWithLength(g_tx, drv.partial_len, &s);
        else
            done = WdfDmaTransactionDmaCompleted(g_tx, &s);
        if (dr_failed())
            return s;
        obs.returns[obs.ncalls++] = done ? 1 : 0;
        if (done)
            return s;
    }
    return s;
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    g_req = Request;
    if (drv.set_complete_cb)
        WdfDmaTransactionSetTransferCompleteCallback(g_tx, EvtTransferComplete, NULL);
    if (drv.set_configure_cb)
        WdfDmaTransactionSetChannelConfigurationCallback(g_tx, EvtConfigure, NULL);
    if (drv.allocate_resources) {
        obs.alloc_res = WdfDmaTransactionAllocateResources(g_tx, WdfDmaDirectionReadFromDevice, 2, EvtReserve, NULL);
        WdfRequestComplete(Request, obs.alloc_res);
        return;
    }
    if (drv.use_request) {
        obs.init = WdfDmaTransactionInitializeUsingRequest(g_tx, Request, EvtProgramDma, WdfDmaDirectionReadFromDevice);
    } else {
        MmInitializeMdl(&g_mdl, g_buf, BUFSZ);
        obs.init = WdfDmaTransactionInitialize(g_tx, EvtProgramDma, WdfDmaDirectionReadFromDevice, &g_mdl,
                                               g_buf + drv.offset, drv.length);
    }
    if (!NT_SUCCESS(obs.init)) {
        WdfRequestComplete(Request, obs.init);
        return;
    }
    if (drv.tx_max_length)
        WdfDmaTransactionSetMaximumLength(g_tx, drv.tx_max_length);
    if (drv.complete_before) {
        NTSTATUS s;
        (void)WdfDmaTransactionDmaCompleted(g_tx, &s);
        return;
    }
    if (drv.stop_transfer)
        WdfDmaTransactionStopSystemTransfer(g_tx);
    obs.exec = WdfDmaTransactionExecute(g_tx, NULL);
    if (!NT_SUCCESS(obs.exec)) {
        WdfRequestComplete(Request, obs.exec);
        return;
    }
    if (drv.execute_twice)
        (void)WdfDmaTransactionExecute(g_tx, NULL);
    KIRQL old = PASSIVE_LEVEL;
    if (drv.complete_at_dirql)
        KeRaiseIrql(HIGH_LEVEL, &old);
    NTSTATUS s = play_device();
    if (dr_failed())
        return;
    if (drv.complete_at_dirql)
        KeLowerIrql(old);
    obs.final_status = s;
    obs.bytes = WdfDmaTransactionGetBytesTransferred(g_tx);
    obs.state_after = tx_state();
    obs.stage_after = km_dma_stage(km_lookup(g_tx, KM_T_DMATRANSACTION, "test", true), NULL) != NULL;
    obs.owned_after = obs.stages > 0 && km_dma_logical_owned(obs.addr[0][0], 1);
    (void)WdfDmaTransactionRelease(g_tx);
    WdfRequestCompleteWithInformation(Request, s, NT_SUCCESS(s) ? obs.bytes : 0);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    NTSTATUS s = km_test_device_queue(&DeviceInit, NULL, WdfDeviceIoDirect, EvtIoRead, &device, NULL);
    if (!NT_SUCCESS(s))
        return s;
    g_device = device;
    WDF_DMA_ENABLER_CONFIG c;
    WDF_DMA_ENABLER_CONFIG_INIT(&c, drv.profile, drv.max_length);
    obs.create = WdfDmaEnablerCreate(device, &c, WDF_NO_OBJECT_ATTRIBUTES, &g_en);
    if (!NT_SUCCESS(obs.create))
        return STATUS_SUCCESS; /* the test reads obs.create */
    obs.adapter[0] = WdfDmaEnablerWdmGetDmaAdapter(g_en, WdfDmaDirectionReadFromDevice);
    obs.adapter[1] = WdfDmaEnablerWdmGetDmaAdapter(g_en, WdfDmaDirectionWriteToDevice);
    obs.frag_len[0] = WdfDmaEnablerGetFragmentLength(g_en, WdfDmaDirectionReadFromDevice);
    obs.frag_len[1] = WdfDmaEnablerGetFragmentLength(g_en, WdfDmaDirectionWriteToDevice);
    obs.max_len = WdfDmaEnablerGetMaximumLength(g_en);
    obs.sg_default = WdfDmaEnablerGetMaximumScatterGatherElements(g_en);
    if (drv.max_sg)
        WdfDmaEnablerSetMaximumScatterGatherElements(g_en, drv.max_sg);
    obs.sg_after = WdfDmaEnablerGetMaximumScatterGatherElements(g_en);
    return WdfDmaTransactionCreate(g_en, WDF_NO_OBJECT_ATTRIBUTES, &g_tx);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void)
{
    memset(&obs, 0, sizeof obs);
    g_tx = NULL;
    g_en = NULL;
    km_world_start(&env, DriverEntry);
}

/* What each execution ended with (test_failures). */
static struct {
    long exec_failed, completed_failed, ok;
} outcomes;

static void check(void)
{
    km_world_check();
    if (obs.exec == STATUS_INSUFFICIENT_RESOURCES && obs.stages == 0)
        outcomes.exec_failed++;
    else if (obs.final_status == STATUS_INSUFFICIENT_RESOURCES && obs.stages == 1 && obs.ncalls == 1 &&
             obs.returns[0] == 1 && obs.bytes == 2 * KM_PAGE_SIZE && obs.state_after == KM_TX_TRANSFER_FAILED)
        outcomes.completed_failed++;
    else if (obs.final_status == STATUS_SUCCESS && obs.stages == 2)
        outcomes.ok++;
}

static const dr_scenario scn = {"test-dma-busmaster", "bus-master DMA profiles", "clean", 2, 4, 1, setup, check, NULL, 0};

/* Defaults for every test: one read request, nothing nondeterministic in
 * the I/O manager, the buffer at offset 0x100 of the driver's own. */
static void reset(WDF_DMA_PROFILE profile, uint32_t map_registers)
{
    km_env_defaults(&env);
    env.cancel = false;
    env.deferred_adapter = false;
    env.map_registers = map_registers;
    memset(&drv, 0, sizeof drv);
    drv.profile = profile;
    drv.max_length = 64 * KM_PAGE_SIZE;
    drv.offset = 0x100;
    drv.length = 3 * KM_PAGE_SIZE;
}

static km_test_result run(long max) { return km_test_run(&scn, "random", max, true); }

/* The logical address of g_buf + off: a static buffer is above 4 GiB
 * (km_logical_address), never its virtual address. */
static uint64_t at(size_t off)
{
    uint64_t la = km_logical_address(g_buf + off);
    KCHECK(la != (uint64_t)(uintptr_t)(g_buf + off) && km_logical_to_virtual(la) == g_buf + off);
    return la;
}

/* Packet profiles: one element per stage, the fragment at its logical
 * address; map registers 3 -> 2-page fragments: 2 stages. */
static void test_packet(WDF_DMA_PROFILE p)
{
    reset(p, 3);
    km_test_result r = run(3);
    KEXPECT_CLEAN(r);
    KCHECK(obs.create == STATUS_SUCCESS);
    KCHECK(obs.frag_len[0] == 2 * KM_PAGE_SIZE && obs.frag_len[1] == 2 * KM_PAGE_SIZE);
    KCHECK(obs.adapter[0] != NULL && obs.adapter[0] == obs.adapter[1]); /* simplex: one adapter */
    KCHECK(obs.init == STATUS_SUCCESS && obs.exec == STATUS_SUCCESS);
    KCHECK(obs.stages == 2);
    KCHECK(obs.count[0] == 1 && obs.addr[0][0] == at(0x100) && obs.len[0][0] == 2 * KM_PAGE_SIZE);
    KCHECK(obs.count[1] == 1 && obs.addr[1][0] == at(0x100 + 2 * KM_PAGE_SIZE) && obs.len[1][0] == KM_PAGE_SIZE);
    KCHECK(obs.cur_len[0] == 2 * KM_PAGE_SIZE && obs.cur_len[1] == KM_PAGE_SIZE);
    KCHECK(obs.dir[0] == WdfDmaDirectionReadFromDevice);
    /* Execute stages at DISPATCH_LEVEL; DmaCompleted stages in the caller's context. */
    KCHECK(obs.irql[0] == DISPATCH_LEVEL && obs.irql[1] == PASSIVE_LEVEL);
    KCHECK(obs.ncalls == 2 && obs.returns[0] == 0 && obs.returns[1] == 1);
    KCHECK(obs.final_status == STATUS_SUCCESS && obs.bytes == 3 * KM_PAGE_SIZE);
    KCHECK(obs.state_after == KM_TX_TRANSFER_COMPLETED);
    KCHECK(obs.owned[0] && obs.owned[1] && !obs.owned_past[0] && !obs.owned_past[1]);
    KCHECK(!obs.owned_after && !obs.stage_after);
}

/* Scatter-gather: one element per page the stage touches (no coalescing);
 * 2-page stages starting at 0x100 span 3 pages. */
static void test_scatter_gather(WDF_DMA_PROFILE p)
{
    reset(p, 3);
    km_test_result r = run(3);
    KEXPECT_CLEAN(r);
    KCHECK(obs.create == STATUS_SUCCESS);
    KCHECK(obs.sg_default == WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS);
    KCHECK(obs.stages == 2);
    KCHECK(obs.count[0] == 3);
    KCHECK(obs.addr[0][0] == at(0x100) && obs.len[0][0] == KM_PAGE_SIZE - 0x100);
    KCHECK(obs.addr[0][1] == at(KM_PAGE_SIZE) && obs.len[0][1] == KM_PAGE_SIZE);
    KCHECK(obs.addr[0][2] == at(2 * KM_PAGE_SIZE) && obs.len[0][2] == 0x100);
    KCHECK(obs.count[1] == 2);
    KCHECK(obs.addr[1][0] == at(2 * KM_PAGE_SIZE + 0x100) && obs.len[1][0] == KM_PAGE_SIZE - 0x100);
    KCHECK(obs.addr[1][1] == at(3 * KM_PAGE_SIZE) && obs.len[1][1] == 0x100);
    KCHECK(obs.cur_len[0] == 2 * KM_PAGE_SIZE && obs.cur_len[1] == KM_PAGE_SIZE);
    KCHECK(obs.ncalls == 2 && obs.returns[0] == 0 && obs.returns[1] == 1);
    KCHECK(obs.final_status == STATUS_SUCCESS && obs.bytes == 3 * KM_PAGE_SIZE);
    KCHECK(obs.owned[0] && obs.owned[1] && !obs.owned_past[0] && !obs.owned_past[1] && !obs.owned_after);
}

/* Map registers bound the stage: 2 -> one page per stage (3 stages), 5 -> one stage. */
static void test_map_register_split(void)
{
    reset(WdfDmaProfileScatterGather64, 2);
    drv.offset = 0;
    km_test_result r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 3 && obs.ncalls == 3);
    KCHECK(obs.returns[0] == 0 && obs.returns[1] == 0 && obs.returns[2] == 1);
    for (int k = 0; k < 3; k++)
        KCHECK(obs.count[k] == 1 && obs.addr[k][0] == at((size_t)k * KM_PAGE_SIZE) && obs.len[k][0] == KM_PAGE_SIZE);
    reset(WdfDmaProfilePacket, 5);
    drv.offset = 0;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 1 && obs.ncalls == 1 && obs.returns[0] == 1);
    KCHECK(obs.count[0] == 1 && obs.len[0][0] == 3 * KM_PAGE_SIZE);
    /* WdfDmaTransactionSetMaximumLength lowers the fragment of this
     * transaction (SetMaximumFragmentLength: only below the enabler's). */
    reset(WdfDmaProfileScatterGather64, 5);
    drv.offset = 0;
    drv.tx_max_length = KM_PAGE_SIZE;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 3 && obs.cur_len[0] == KM_PAGE_SIZE && obs.count[0] == 1);
    KCHECK(obs.request_ok && obs.device_ok); /* no request: GetRequest is NULL */
    /* EvtProgramDma's FALSE changes nothing: KMDF ignores the value. */
    reset(WdfDmaProfileScatterGather64, 3);
    drv.program_false = true;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 2 && obs.returns[0] == 0 && obs.returns[1] == 1 && obs.bytes == 3 * KM_PAGE_SIZE);
    reset(WdfDmaProfilePacket, 3);
    drv.program_false = true;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 2 && obs.bytes == 3 * KM_PAGE_SIZE);
    /* MaximumLength below the map-register limit bounds it too. */
    reset(WdfDmaProfilePacket, 5);
    drv.max_length = KM_PAGE_SIZE;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.frag_len[0] == KM_PAGE_SIZE && obs.max_len == KM_PAGE_SIZE);
    KCHECK(obs.stages == 3);
}

/* The element limit: a 2-page stage at 0x100 needs 3 elements. */
static void test_sg_element_limit(void)
{
    reset(WdfDmaProfileScatterGather, 3);
    drv.max_sg = 2;
    km_test_result r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.sg_after == 2);
    KCHECK(obs.init == STATUS_WDF_TOO_FRAGMENTED); /* InitializeResources */
    KCHECK(obs.stages == 0);
    reset(WdfDmaProfileScatterGather, 3);
    drv.max_sg = 2;
    drv.offset = 0; /* page-aligned: 2 elements per stage */
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.init == STATUS_SUCCESS && obs.stages == 2 && obs.sg_max_seen == 2);
    /* A partial completion moves the stage boundary off the page: the next
     * 2-page stage would need 3 elements. StageTransfer checks again and
     * DmaCompleted* returns TRUE with STATUS_WDF_TOO_FRAGMENTED ("driver
     * that do partial transfer with sg-element limit should be capable of
     * handling STATUS_WDF_TOO_FRAGMENTED failures during dma execution"). */
    reset(WdfDmaProfileScatterGather, 3);
    drv.max_sg = 2;
    drv.offset = 0;
    drv.partial_stage = 1;
    drv.partial_len = 0x100;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.init == STATUS_SUCCESS && obs.stages == 1 && obs.ncalls == 1 && obs.returns[0] == 1);
    KCHECK(obs.final_status == STATUS_WDF_TOO_FRAGMENTED && obs.bytes == 0x100);
    KCHECK(obs.state_after == KM_TX_TRANSFER_FAILED);
}

/* WithLength: the rest of the stage is staged again; Final ends it. */
static void test_with_length_and_final(void)
{
    reset(WdfDmaProfileScatterGather, 3);
    drv.offset = 0;
    drv.partial_stage = 1;
    drv.partial_len = KM_PAGE_SIZE;
    km_test_result r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 2 && obs.ncalls == 2 && obs.returns[0] == 0 && obs.returns[1] == 1);
    KCHECK(obs.addr[1][0] == at(KM_PAGE_SIZE) && obs.cur_len[1] == 2 * KM_PAGE_SIZE && obs.count[1] == 2);
    KCHECK(obs.final_status == STATUS_SUCCESS && obs.bytes == 3 * KM_PAGE_SIZE);

    reset(WdfDmaProfilePacket64, 3);
    drv.final_stage = 1;
    drv.final_len = 100;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 1 && obs.ncalls == 1 && obs.returns[0] == 1);
    KCHECK(obs.final_status == STATUS_SUCCESS && obs.bytes == 100);
    KCHECK(obs.state_after == KM_TX_TRANSFER_COMPLETED);
}

/* Duplex: an adapter per direction; simplex scatter-gather: one. */
static void test_duplex(void)
{
    reset(WdfDmaProfileScatterGatherDuplex, 3);
    km_test_result r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.adapter[0] && obs.adapter[1] && obs.adapter[0] != obs.adapter[1]);
    KCHECK(obs.frag_len[0] == 2 * KM_PAGE_SIZE && obs.frag_len[1] == 2 * KM_PAGE_SIZE);
    KCHECK(obs.stages == 2);
    reset(WdfDmaProfileScatterGather64Duplex, 3);
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.adapter[0] && obs.adapter[1] && obs.adapter[0] != obs.adapter[1]);
    reset(WdfDmaProfileScatterGather, 3);
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.adapter[0] && obs.adapter[0] == obs.adapter[1]);
}

/* The request's buffer (InitializeUsingRequest) is the list's; the driver
 * touching it between Execute and the final DmaCompleted* is C13. */
static void test_request_buffer(void)
{
    reset(WdfDmaProfileScatterGather, 3);
    drv.use_request = true;
    km_test_result r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.init == STATUS_SUCCESS && obs.stages == 2 && obs.bytes == 3 * KM_PAGE_SIZE);
    KCHECK(obs.request_ok && obs.device_ok);
    reset(WdfDmaProfileScatterGather, 3);
    drv.use_request = true;
    drv.touch_in_program = true;
    r = run(2);
#if defined(__clang__) /* driver stores are seen only in clang builds (access hooks) */
    KEXPECT_FINDING(r, DR_FIND_CHECK, "C13 buffer touched while the device owns it");
#else
    (void)r;
#endif
}

/* V10: the system-profile DDIs on a bus-master transaction. */
static void test_v10(void)
{
    reset(WdfDmaProfileScatterGather, 3);
    drv.set_complete_cb = true;
    km_test_result r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V10: WdfDmaTransactionSetTransferCompleteCallback: system-profile DDI on a bus-master transaction");
    reset(WdfDmaProfilePacket, 3);
    drv.set_configure_cb = true;
    r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V10: WdfDmaTransactionSetChannelConfigurationCallback");
    reset(WdfDmaProfilePacket, 3);
    drv.stop_transfer = true;
    r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V10: WdfDmaTransactionStopSystemTransfer");
    /* Without the verifier KMDF does nothing: the callback is never set. */
    reset(WdfDmaProfileScatterGather, 3);
    env.verifier = false;
    drv.set_complete_cb = true;
    drv.set_configure_cb = true;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(!obs.callback_ran && obs.stages == 2 && obs.bytes == 3 * KM_PAGE_SIZE);
}

/* KMDF's own checks on these profiles. */
static void test_state_checks(void)
{
    reset(WdfDmaProfileScatterGather, 3);
    drv.complete_at_dirql = true; /* an ISR calling DmaCompleted: its spin lock raises "to" DISPATCH */
    km_test_result r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9 INT2: WdfDmaTransactionDmaCompleted: called above DISPATCH_LEVEL");
    reset(WdfDmaProfilePacket, 3);
    drv.execute_twice = true;
    r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V2: WdfDmaTransactionExecute: execute in a state other than Initialized");
    reset(WdfDmaProfileScatterGather, 3);
    drv.complete_before = true;
    r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V3: WdfDmaTransactionDmaCompleted: DmaCompleted* in a state other than Transfer");
    reset(WdfDmaProfileScatterGather, 3);
    drv.release_in_transfer = true;
    r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V6: WdfDmaTransactionRelease: release in state Transfer");
    /* AllocateResources: packet or system, DMA v3 only. */
    reset(WdfDmaProfileScatterGather, 3);
    drv.allocate_resources = true;
    r = run(2);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DMA-RSV: WdfDmaTransactionAllocateResources");
    reset(WdfDmaProfileScatterGather, 3);
    env.verifier = false;
    drv.allocate_resources = true;
    r = run(2);
    KEXPECT_CLEAN(r);
    KCHECK(obs.alloc_res == STATUS_INVALID_DEVICE_REQUEST);
}

/* Injected failures: BuildScatterGatherList (env.hal_failure) fails Execute
 * or makes DmaCompleted* return TRUE with the status; AllocateAdapterChannel
 * (env.alloc_failure) fails a packet Execute. */
static void test_failures(void)
{
    reset(WdfDmaProfileScatterGather, 3);
    env.hal_failure = true;
    memset(&outcomes, 0, sizeof outcomes);
    km_test_result r = km_test_run_dfs(&scn, 0, 100, false);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(outcomes.exec_failed > 0 && outcomes.completed_failed > 0 && outcomes.ok > 0);
    KCHECK(outcomes.exec_failed + outcomes.completed_failed + outcomes.ok == r.executions);
    reset(WdfDmaProfilePacket, 3);
    env.alloc_failure = true;
    memset(&outcomes, 0, sizeof outcomes);
    r = km_test_run_dfs(&scn, 0, 100, false);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    KCHECK(outcomes.exec_failed > 0 && outcomes.ok > 0 && outcomes.exec_failed + outcomes.ok == r.executions);
}

int main(void)
{
    test_packet(WdfDmaProfilePacket);
    test_packet(WdfDmaProfilePacket64);
    test_scatter_gather(WdfDmaProfileScatterGather);
    test_scatter_gather(WdfDmaProfileScatterGather64);
    test_scatter_gather(WdfDmaProfileScatterGatherDuplex);
    test_scatter_gather(WdfDmaProfileScatterGather64Duplex);
    test_map_register_split();
    test_sg_element_limit();
    test_with_length_and_final();
    test_duplex();
    test_request_buffer();
    test_v10();
    test_state_checks();
    test_failures();
    return km_test_done();
}
