/* test_dma_system.c: the rest of system-mode DMA (issue 13).
 *
 *  - several DMA enablers per device (a TX and an RX enabler), each
 *    configured with its own DMA channel descriptor from the resource list
 *    (env dma_channels); enablers on the same channel share one adapter
 *    (HalGetAdapter reuses the channel's adapter object);
 *  - WdfDmaTransactionInitializeUsingOffset, SetDeviceAddressOffset,
 *    SetImmediateExecution, SetChannelConfigurationCallback,
 *    SetMaximumLength, GetTransferInfo, WdmGetTransferContext,
 *    WdfDmaEnablerSetMaximumScatterGatherElements, GetFragmentLength,
 *    WdmGetDmaAdapter, with KMDF's checks;
 *  - reserved resources: WdfDmaTransactionAllocateResources /
 *    FreeResources, EvtReserveDma;
 *  - the WDM DMA adapter: ReadDmaCounter, GetDmaAdapterInfo,
 *    GetDmaAlignment, and the findings for FreeAdapterChannel and
 *    PutDmaAdapter on KMDF's adapter and for operations the model leaves out.
 *
 * One small driver: two enablers (RX: ReadFromDevice, TX: WriteToDevice),
 * one transaction per request (request i uses enabler i % 2 unless a test
 * says otherwise), buffers described by MDLs of the driver's own. Each test
 * sets what EvtIoRead does and asserts return values, states, order and the
 * finding's kind and title. */
#include "km.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

enum { NTX = 2, BUF = 4 * KM_PAGE_SIZE };

typedef void io_fn(int i, WDFREQUEST Request);

static struct {
    bool same_channel;      /* both enablers configured with the first DMA descriptor */
    bool lock_hold;         /* EvtProgramDma of tx i waits while tx i^1 is programmed (overlap probe) */
    int enabler_of[NTX];    /* which enabler request i uses */
    io_fn *io;              /* what EvtIoRead does */
    bool release_after;     /* WdfDmaTransactionRelease after the final DmaCompleted* */
    bool free_channel_after;/* FreeAdapterChannel on the adapter after DmaCompleted + Release */
    bool configure_false;   /* the channel configuration callback completes and returns FALSE */
    bool read_counter;      /* EvtProgramDma and the callback read ReadDmaCounter */
    bool free_resources_after; /* WdfDmaTransactionFreeResources after the Release */
    bool reserve_again_after;  /* AllocateResources again after the Release (still reserved: V12) */
    bool configure_adapter;    /* the configuration callback calls ConfigureAdapterChannel */
    bool own_mdl;              /* IoAllocateMdl the buffer's MDL, IoFreeMdl it after the final DmaCompleted */
    bool free_mdl_twice;
} drv;

static struct {
    long executions;
    long overlap;          /* EvtProgramDma of one transaction while the other's transfer runs */
    long waited;           /* EvtProgramDma of a transaction outside its own Execute / EvtReserveDma */
    long wrong;            /* an unexpected value */
    long counter_running, counter_zero, counter_after_final;
    long reserve_inside, reserve_later; /* EvtReserveDma inside AllocateResources, or later */
    long configure_then_program;        /* the configuration callback before EvtProgramDma, right args */
    long final_ok;
    long channel_kept, freed;
    long refused, granted;   /* immediate execution: Execute refused on a busy channel, or granted */
} st;

/* The driver's code runs on several simulated processors with scheduling
 * points at its memory accesses: its counters are atomic. */
#define BUMP(x) ((void)__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED))

static km_env env;
static WDFDMAENABLER g_en[2];
static WDFDMATRANSACTION g_tx[NTX];
static WDFREQUEST g_req[NTX];
static LONG g_next;
static uint32_t g_exec_task[NTX];
static int g_active[NTX];          /* transfer of tx i mapped and not yet completed */
static int g_programmed[NTX];
static int g_configured[NTX];
static NTSTATUS g_completed_with[NTX];
static MDL g_mdl[NTX];
static uint8_t g_buf[NTX][BUF] __attribute__((aligned(4096)));
static size_t g_offset;            /* InitializeUsingOffset's offset */
static size_t g_length;            /* ... and length */
static size_t g_sg_len[NTX][8];    /* the SG element length of each EvtProgramDma */
static uint64_t g_sg_addr[NTX];    /* the first SG element's address */
static NTSTATUS g_immediate_status; /* Execute of the immediate-execution transaction */
static km_tx_state g_immediate_state;

/* Set inside setup / the driver, read by the tests. */
static struct {
    size_t frag_before, frag_after;
    PDMA_ADAPTER adapter[2], adapter_before;
    ULONG ops_size;
    NTSTATUS info_status, info_v2_status;
    DMA_ADAPTER_INFO info;
    ULONG alignment;
    size_t sg_default, sg_set, sg_after_zero;
    ULONG res_dma, res_channel[4], res_line[4], res_flags[4];
} obs;

static km_tx_state tx_state(int i)
{
    km_object *o = km_lookup(g_tx[i], KM_T_DMATRANSACTION, "test", true);
    return o ? o->u.tx.state : KM_TX_INVALID;
}

static PDMA_ADAPTER adapter_of(int i) { return WdfDmaEnablerWdmGetDmaAdapter(g_en[drv.enabler_of[i]], (WDF_DMA_DIRECTION)drv.enabler_of[i]); }

static EVT_WDF_RESERVE_DMA EvtReserveDma;
static PMDL g_own_mdl[NTX];

static BOOLEAN EvtConfigureChannel(WDFDMATRANSACTION Transaction, WDFDEVICE Device, PVOID Context, PMDL Mdl,
                                   size_t Offset, size_t Length)
{
    int i = (int)(intptr_t)Context;
    UNREFERENCED_PARAMETER(Device);
    g_configured[i]++;
    if (Mdl != (g_own_mdl[i] ? g_own_mdl[i] : &g_mdl[i]) || Offset != g_offset + WdfDmaTransactionGetBytesTransferred(Transaction) ||
        Length == 0 || g_programmed[i] != g_configured[i] - 1 || KeGetCurrentIrql() != DISPATCH_LEVEL)
        BUMP(st.wrong);
    if (drv.configure_adapter) {
        /* The i.MX UART pattern: controller-specific settings through the
         * adapter's ConfigureAdapterChannel (accept-only in the model). */
        PDMA_ADAPTER a = adapter_of(i);
        ULONG watermark = 16;
        if (a->DmaOperations->ConfigureAdapterChannel(a, 0x1001, &watermark) != STATUS_SUCCESS)
            BUMP(st.wrong);
    }
    if (drv.configure_false) {
        /* The driver completes the transaction itself and says so. */
        NTSTATUS s;
        if (!WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &s) || s != STATUS_SUCCESS ||
            tx_state(i) != KM_TX_TRANSFER_COMPLETED)
            BUMP(st.wrong);
        g_completed_with[i] = STATUS_CANCELLED;
        WdfRequestComplete(g_req[i], STATUS_CANCELLED);
        return FALSE;
    }
    return TRUE;
}

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    int i = (int)(intptr_t)Context;
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    if (Direction != (WDF_DMA_DIRECTION)drv.enabler_of[i])
        BUMP(st.wrong);
    if (g_configured[i] && g_configured[i] != g_programmed[i] + 1)
        BUMP(st.wrong);
    else if (g_configured[i])
        BUMP(st.configure_then_program);
    if (g_programmed[i] < 8)
        g_sg_len[i][g_programmed[i]] = SgList->Elements[0].Length;
    if (g_programmed[i] == 0)
        g_sg_addr[i] = (uint64_t)SgList->Elements[0].Address.QuadPart;
    g_programmed[i]++;
    if (g_exec_task[i] != dr_current_task())
        BUMP(st.waited);
    g_active[i] = 1;
    if (g_active[i ^ 1])
        BUMP(st.overlap);
    if (drv.read_counter) {
        PDMA_ADAPTER a = adapter_of(i);
        ULONG left = a->DmaOperations->ReadDmaCounter(a);
        if (left == SgList->Elements[0].Length)
            BUMP(st.counter_running);
        else if (left == 0)
            BUMP(st.counter_zero); /* the hardware finished already */
        else
            BUMP(st.wrong);
    }
    return TRUE;
}

static VOID EvtTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS Status)
{
    int i = (int)(intptr_t)Context;
    NTSTATUS s = STATUS_PENDING;
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    g_active[i] = 0;
    BOOLEAN final = Status == DmaComplete ? WdfDmaTransactionDmaCompleted(Transaction, &s)
                                          : WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &s);
    if (!final)
        return;
    if (s == STATUS_SUCCESS && tx_state(i) == KM_TX_TRANSFER_COMPLETED)
        BUMP(st.final_ok);

    PDMA_ADAPTER a = adapter_of(i);
    if (drv.read_counter && a->DmaOperations->ReadDmaCounter(a) == 0)
        BUMP(st.counter_after_final);
    size_t bytes = WdfDmaTransactionGetBytesTransferred(Transaction);
    if (drv.release_after)
        (void)WdfDmaTransactionRelease(Transaction);
    if (drv.release_after && i == 0) {
        /* The reservation outlives the final DmaCompleted and Release. */
        km_object *o = km_lookup(Transaction, KM_T_DMATRANSACTION, "test", true);
        if (o && o->u.tx.reserved_mr > 0 && o->u.tx.adapter && o->u.tx.adapter->channel_owner == o)
            BUMP(st.channel_kept);
    }
    if (drv.reserve_again_after)
        (void)WdfDmaTransactionAllocateResources(Transaction, WdfDmaDirectionReadFromDevice, 2, EvtReserveDma,
                                                 (PVOID)(intptr_t)i);
    if (drv.free_resources_after) {
        WdfDmaTransactionFreeResources(Transaction);
        km_object *o = km_lookup(Transaction, KM_T_DMATRANSACTION, "test", true);
        if (o && o->u.tx.reserved_mr == 0 && tx_state(i) == KM_TX_RELEASED)
            BUMP(st.freed);
    }
    if (drv.free_channel_after)
        a->DmaOperations->FreeAdapterChannel(a); /* the public drivers' pattern */
    if (drv.own_mdl && g_own_mdl[i]) {
        IoFreeMdl(g_own_mdl[i]);
        if (drv.free_mdl_twice)
            IoFreeMdl(g_own_mdl[i]);
        g_own_mdl[i] = NULL;
    }
    g_completed_with[i] = s;
    WdfRequestCompleteWithInformation(g_req[i], s, bytes);
}

/* The ordinary start: InitializeUsingOffset on the request's MDL, the
 * callbacks, Execute. */
static NTSTATUS start(int i)
{
    WDFDMATRANSACTION tx = g_tx[i];
    NTSTATUS s = WdfDmaTransactionInitializeUsingOffset(tx, EvtProgramDma, (WDF_DMA_DIRECTION)drv.enabler_of[i],
                                                        &g_mdl[i], g_offset, g_length);
    if (!NT_SUCCESS(s))
        return s;
    WdfDmaTransactionSetTransferCompleteCallback(tx, EvtTransferComplete, (PVOID)(intptr_t)i);
    g_exec_task[i] = dr_current_task();
    s = WdfDmaTransactionExecute(tx, (WDFCONTEXT)(intptr_t)i);
    g_exec_task[i] = 0;
    return s;
}

static void io_own_mdl(int i, WDFREQUEST Request)
{
    PMDL m = IoAllocateMdl(g_buf[i], BUF, FALSE, FALSE, NULL);
    if (!m || MmGetMdlVirtualAddress(m) != (PVOID)g_buf[i] || MmGetMdlByteCount(m) != BUF ||
        MmGetMdlByteOffset(m) != 0) {
        BUMP(st.wrong);
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
    MmBuildMdlForNonPagedPool(m);
    if (MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute) != (PVOID)g_buf[i])
        BUMP(st.wrong);
    g_own_mdl[i] = m;
    WDFDMATRANSACTION tx = g_tx[i];
    NTSTATUS s = WdfDmaTransactionInitializeUsingOffset(tx, EvtProgramDma, (WDF_DMA_DIRECTION)drv.enabler_of[i], m,
                                                        g_offset, g_length);
    if (NT_SUCCESS(s)) {
        WdfDmaTransactionSetTransferCompleteCallback(tx, EvtTransferComplete, (PVOID)(intptr_t)i);
        WdfDmaTransactionSetChannelConfigurationCallback(tx, EvtConfigureChannel, (PVOID)(intptr_t)i);
        g_exec_task[i] = dr_current_task();
        s = WdfDmaTransactionExecute(tx, (WDFCONTEXT)(intptr_t)i);
        g_exec_task[i] = 0;
    }
    if (!NT_SUCCESS(s)) {
        WdfRequestComplete(Request, s);
    }
}

static void io_plain(int i, WDFREQUEST Request)
{
    NTSTATUS s = start(i);
    if (!NT_SUCCESS(s)) {
        (void)WdfDmaTransactionRelease(g_tx[i]);
        g_completed_with[i] = s;
        WdfRequestComplete(Request, s);
    }
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    LONG i = InterlockedIncrement(&g_next) - 1;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    g_req[i] = Request;
    drv.io(i, Request);
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    PCM_PARTIAL_RESOURCE_DESCRIPTOR dma[4] = {NULL};
    ULONG ndma = 0;
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(ResourcesRaw);
    for (ULONG k = 0; k < WdfCmResourceListGetCount(ResourcesTranslated); k++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(ResourcesTranslated, k);
        if (d && d->Type == CmResourceTypeDma && ndma < 4) {
            obs.res_channel[ndma] = d->u.DmaV3.Channel;
            obs.res_line[ndma] = d->u.DmaV3.RequestLine;
            obs.res_flags[ndma] = d->Flags;
            dma[ndma++] = d;
        }
    }
    obs.res_dma = ndma;
    if (ndma == 0)
        return STATUS_DEVICE_NOT_READY;
    obs.frag_before = WdfDmaEnablerGetFragmentLength(g_en[0], WdfDmaDirectionReadFromDevice);
    obs.adapter_before = WdfDmaEnablerWdmGetDmaAdapter(g_en[0], WdfDmaDirectionReadFromDevice);
    for (int e = 0; e < 2; e++) {
        WDF_DMA_SYSTEM_PROFILE_CONFIG pc;
        PHYSICAL_ADDRESS fifo;
        fifo.QuadPart = 0xFED00010 + 8 * e;
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = drv.same_channel || ndma < 2 ? dma[0] : dma[e];
        WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&pc, fifo, e ? Width16Bits : Width32Bits, d);
        NTSTATUS s = WdfDmaEnablerConfigureSystemProfile(g_en[e], &pc, (WDF_DMA_DIRECTION)e);
        if (!NT_SUCCESS(s))
            return s;
        obs.adapter[e] = WdfDmaEnablerWdmGetDmaAdapter(g_en[e], (WDF_DMA_DIRECTION)e);
    }
    obs.frag_after = WdfDmaEnablerGetFragmentLength(g_en[0], WdfDmaDirectionReadFromDevice);
    PDMA_ADAPTER a = obs.adapter[0];
    obs.ops_size = a->DmaOperations->Size;
    obs.info.Version = DMA_ADAPTER_INFO_VERSION1;
    obs.info_status = a->DmaOperations->GetDmaAdapterInfo(a, &obs.info);
    DMA_ADAPTER_INFO v2 = {.Version = 2};
    obs.info_v2_status = a->DmaOperations->GetDmaAdapterInfo(a, &v2);
    obs.alignment = a->DmaOperations->GetDmaAlignment(a);
    return STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_DMA_ENABLER_CONFIG dc;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS s;
    UNREFERENCED_PARAMETER(Driver);
    s = km_test_device_queue(&DeviceInit, EvtPrepareHardware, WdfDeviceIoDirect, EvtIoRead, &device, &queue);
    if (!NT_SUCCESS(s))
        return s;
    for (int e = 0; e < 2; e++) {
        WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileSystem, 16 * KM_PAGE_SIZE);
        s = WdfDmaEnablerCreate(device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &g_en[e]);
        if (!NT_SUCCESS(s))
            return s;
    }
    obs.sg_default = WdfDmaEnablerGetMaximumScatterGatherElements(g_en[0]);
    WdfDmaEnablerSetMaximumScatterGatherElements(g_en[0], 5);
    obs.sg_set = WdfDmaEnablerGetMaximumScatterGatherElements(g_en[0]);
    WdfDmaEnablerSetMaximumScatterGatherElements(g_en[0], 0);
    obs.sg_after_zero = WdfDmaEnablerGetMaximumScatterGatherElements(g_en[0]);
    for (int i = 0; i < NTX; i++) {
        s = WdfDmaTransactionCreate(g_en[drv.enabler_of[i]], WDF_NO_OBJECT_ATTRIBUTES, &g_tx[i]);
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
    g_immediate_status = STATUS_PENDING;
    g_immediate_state = KM_TX_INVALID;
    memset(g_en, 0, sizeof g_en);
    memset(g_tx, 0, sizeof g_tx);
    memset(g_req, 0, sizeof g_req);
    memset(g_exec_task, 0, sizeof g_exec_task);
    memset(g_active, 0, sizeof g_active);
    memset(g_programmed, 0, sizeof g_programmed);
    memset(g_configured, 0, sizeof g_configured);
    memset(g_sg_len, 0, sizeof g_sg_len);
    memset(g_sg_addr, 0, sizeof g_sg_addr);
    memset(g_own_mdl, 0, sizeof g_own_mdl);
    for (int i = 0; i < NTX; i++) {
        g_completed_with[i] = STATUS_PENDING;
        MmInitializeMdl(&g_mdl[i], g_buf[i], BUF);
        MmBuildMdlForNonPagedPool(&g_mdl[i]);
    }
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    if (dr_failed())
        return;
    BUMP(st.executions);
    if (g_immediate_status == STATUS_INSUFFICIENT_RESOURCES && g_immediate_state == KM_TX_TRANSFER_FAILED)
        BUMP(st.refused);
    else if (g_immediate_status == STATUS_SUCCESS)
        BUMP(st.granted);
}

static const dr_scenario scn = {"test-dma-system", "two system DMA enablers", "clean", 2, 4, 1, setup, check, NULL, 0};

static void reset(unsigned requests, size_t length)
{
    km_env_defaults(&env);
    env.requests = requests;
    env.concurrent = true;
    env.cancel = false;
    env.dma_error = env.dma_abort = false;
    env.short_mapping = false;
    env.deferred_adapter = false;
    env.sync_stop_callback = false;
    env.request_length = length;
    env.map_registers = 2;
    memset(&drv, 0, sizeof drv);
    memset(&st, 0, sizeof st);
    memset(&obs, 0, sizeof obs);
    drv.io = io_plain;
    drv.enabler_of[0] = 0;
    drv.enabler_of[1] = 1;
    g_offset = 0;
    g_length = length;
}

/* ---- several enablers, one channel each or one shared ----------------------------------------- */

static void test_resource_list_channels(void)
{
    char err[128];
    km_env e;
    km_env_defaults(&e);
    KCHECK(e.dma_channels == 1);
    KCHECK(km_env_parse(&e, "dma_channels=3", err, sizeof err) == 0 && e.dma_channels == 3);
    KCHECK(km_env_parse(&e, "dma_channels=0", err, sizeof err) == -1);
    km_env_defaults(&e);
    KCHECK(km_env_parse(&e, "dma_channels=5", err, sizeof err) == -1);

    /* Three DMA descriptors, distinct channels and request lines, DMA v3. */
    reset(1, KM_PAGE_SIZE);
    env.dma_channels = 3;
    km_test_result r = km_test_run(&scn, "random", 1, false);
    KEXPECT_CLEAN(r);
    KCHECK(obs.res_dma == 3);
    KCHECK(obs.res_channel[0] == 3 && obs.res_channel[1] != obs.res_channel[0] &&
           obs.res_channel[2] != obs.res_channel[1] && obs.res_channel[2] != obs.res_channel[0]);
    KCHECK(obs.res_line[0] != obs.res_line[1] && obs.res_line[1] != obs.res_line[2]);
    KCHECK(obs.res_flags[0] == CM_RESOURCE_DMA_V3);

    /* The default world keeps its one channel (3, request line 0). */
    reset(1, KM_PAGE_SIZE);
    r = km_test_run(&scn, "random", 1, false);
    KCHECK(obs.res_dma == 1 && obs.res_channel[0] == 3 && obs.res_line[0] == 0);
}

static void test_two_enablers(void)
{
    /* TX and RX on their own channels: two adapters, the transfers overlap
     * and neither waits for the other. */
    reset(2, KM_PAGE_SIZE);
    env.dma_channels = 2;
    km_test_result r = km_test_run(&scn, "random", 400, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.executions == r.executions && st.executions > 0);
    KCHECK(obs.adapter[0] && obs.adapter[1] && obs.adapter[0] != obs.adapter[1]);
    KCHECK(st.overlap > 0);
    KCHECK(st.waited == 0);
    KCHECK(st.final_ok == 2 * st.executions && st.wrong == 0);

    /* The same channel for both: IoGetDmaAdapter gives the same adapter
     * (HalGetAdapter), so the transactions of the two enablers share one
     * channel: one waits, they never overlap. */
    reset(2, KM_PAGE_SIZE);
    env.dma_channels = 2;
    drv.same_channel = true;
    r = km_test_run(&scn, "random", 400, false);
    KEXPECT_CLEAN(r);
    KCHECK(obs.adapter[0] && obs.adapter[0] == obs.adapter[1]);
    KCHECK(st.overlap == 0);
    KCHECK(st.waited > 0);
    KCHECK(st.final_ok == 2 * st.executions && st.wrong == 0);
}

/* ---- enabler DDIs and the WDM adapter ---------------------------------------------------------- */

static void test_enabler_ddis_and_adapter_info(void)
{
    reset(1, KM_PAGE_SIZE);
    env.map_registers = 3;
    km_test_result r = km_test_run(&scn, "random", 1, false);
    KEXPECT_CLEAN(r);
    KCHECK(obs.frag_before == 0);                        /* the direction's description is still zero */
    KCHECK(obs.frag_after == 2 * KM_PAGE_SIZE);          /* (map registers - 1) pages */
    KCHECK(obs.adapter_before == NULL);
    KCHECK(obs.ops_size == sizeof(DMA_OPERATIONS));
    KCHECK(obs.info_status == STATUS_SUCCESS && obs.info.V1.ReadDmaCounterAvailable);
    KCHECK(obs.info.V1.MinimumTransferUnit == 4);        /* Width32Bits */
    KCHECK(obs.info.V1.ScatterGatherLimit == 3 && obs.info.V1.DmaAddressWidth == 32);
    KCHECK(obs.info_v2_status == STATUS_NOT_SUPPORTED);
    KCHECK(obs.alignment == 1);
    KCHECK(obs.sg_default == WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS && obs.sg_set == 5 && obs.sg_after_zero == 5);
}

static void test_read_dma_counter(void)
{
    /* Running: the whole mapped length is left; finished: 0; after the
     * final DmaCompleted the channel is free: 0. */
    reset(1, 2 * KM_PAGE_SIZE);
    drv.read_counter = true;
    km_test_result r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.counter_running > 0);
    KCHECK(st.counter_zero > 0);
    KCHECK(st.counter_after_final == st.executions);
    KCHECK(st.wrong == 0);
}

static void test_free_adapter_channel_and_put(void)
{
    /* DmaCompleted; Release; FreeAdapterChannel: KMDF freed the channel at
     * the final DmaCompleted already. */
    reset(1, KM_PAGE_SIZE);
    drv.release_after = true;
    drv.free_channel_after = true;
    km_test_result r = km_test_run(&scn, "random", 50, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "DMA-FREE: FreeAdapterChannel: driver freed an adapter channel KMDF already freed");
    KCHECK(strstr(r.first.message, "0xE6/0x04") != NULL);
    KCHECK(strstr(r.first.message, "FreeMapRegistersAndAdapter") != NULL);

    /* Two transactions on one channel: the freed channel went to the waiter,
     * which the driver's free takes away. */
    reset(2, KM_PAGE_SIZE);
    drv.same_channel = true;
    drv.release_after = true;
    drv.free_channel_after = true;
    r = km_test_find(&scn, 500, "holds");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "DMA-FREE: FreeAdapterChannel: driver freed the adapter channel a KMDF transaction holds");
}

static void io_put_adapter(int i, WDFREQUEST Request)
{
    PDMA_ADAPTER a = adapter_of(i);
    a->DmaOperations->PutDmaAdapter(a);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void io_map_transfer_ex(int i, WDFREQUEST Request)
{
    PDMA_ADAPTER a = adapter_of(i);
    ULONG len = KM_PAGE_SIZE;
    NTSTATUS s = a->DmaOperations->MapTransferEx(a, &g_mdl[i], NULL, 0, 0, &len, FALSE, NULL, 0, NULL, NULL);
    if (s != STATUS_NOT_SUPPORTED)
        BUMP(st.wrong);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void test_adapter_misuse_and_not_modelled(void)
{
    reset(1, KM_PAGE_SIZE);
    drv.io = io_put_adapter;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "DMA-PUT: PutDmaAdapter: driver put the DMA adapter KMDF owns");

    reset(1, KM_PAGE_SIZE);
    drv.io = io_map_transfer_ex;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "DMA-WDM: MapTransferEx: DMA operation not modelled");
}

/* ---- transaction DDIs ---------------------------------------------------------------------------- */

static struct {
    NTSTATUS bad_offset, ok;
    km_tx_state after_bad, after_ok;
    ULONG mr, sg;
    PVOID tc_created, tc_initialized;
    size_t device_offset;
} tobs;

static void io_transaction_ddis(int i, WDFREQUEST Request)
{
    WDFDMATRANSACTION tx = g_tx[i];
    tobs.tc_created = WdfDmaTransactionWdmGetTransferContext(tx); /* VF-BREAK without verifier: NULL */
    /* The offset must lie in the MDL. */
    tobs.bad_offset = WdfDmaTransactionInitializeUsingOffset(tx, EvtProgramDma, WdfDmaDirectionReadFromDevice,
                                                             &g_mdl[i], BUF, KM_PAGE_SIZE);
    tobs.after_bad = tx_state(i);
    tobs.ok = WdfDmaTransactionInitializeUsingOffset(tx, EvtProgramDma, WdfDmaDirectionReadFromDevice, &g_mdl[i],
                                                     g_offset, g_length);
    tobs.after_ok = tx_state(i);
    WdfDmaTransactionGetTransferInfo(tx, &tobs.mr, &tobs.sg);
    tobs.tc_initialized = WdfDmaTransactionWdmGetTransferContext(tx);
    WdfDmaTransactionSetMaximumLength(tx, 100);
    WdfDmaTransactionSetDeviceAddressOffset(tx, 0x40);
    tobs.device_offset = g_tx[i] ? km_lookup(tx, KM_T_DMATRANSACTION, "test", true)->u.tx.device_offset : 0;
    WdfDmaTransactionSetChannelConfigurationCallback(tx, EvtConfigureChannel, (PVOID)(intptr_t)i);
    WdfDmaTransactionSetTransferCompleteCallback(tx, EvtTransferComplete, (PVOID)(intptr_t)i);
    g_exec_task[i] = dr_current_task();
    NTSTATUS s = WdfDmaTransactionExecute(tx, (WDFCONTEXT)(intptr_t)i);
    g_exec_task[i] = 0;
    if (!NT_SUCCESS(s)) {
        (void)WdfDmaTransactionRelease(tx);
        WdfRequestComplete(Request, s);
    }
}

static void test_transaction_ddis(void)
{
    /* Offset 100 into the buffer, 300 bytes, fragments cut to 100 by
     * SetMaximumLength; the configuration callback precedes every
     * EvtProgramDma with the MDL, the current offset and length. */
    reset(1, 300);
    env.verifier = false;
    g_offset = 100;
    drv.io = io_transaction_ddis;
    memset(&tobs, 0, sizeof tobs);
    km_test_result r = km_test_run(&scn, "random", 1, false);
    KEXPECT_CLEAN(r);
    KCHECK(tobs.tc_created == NULL);
    KCHECK(tobs.bad_offset == STATUS_INVALID_PARAMETER && tobs.after_bad == KM_TX_CREATED);
    KCHECK(tobs.ok == STATUS_SUCCESS && tobs.after_ok == KM_TX_INITIALIZED);
    KCHECK(tobs.mr == 1 && tobs.sg == 1); /* bytes 100..399 span one page */
    KCHECK(tobs.tc_initialized != NULL);
    KCHECK(tobs.device_offset == 0x40);
    KCHECK(g_programmed[0] == 3 && g_configured[0] == 3 && st.configure_then_program == 3);
    KCHECK(g_sg_len[0][0] == 100 && g_sg_len[0][1] == 100 && g_sg_len[0][2] == 100);
    KCHECK(g_sg_addr[0] == km_logical_address(g_buf[0] + 100)); /* a bus address, not the virtual one */
    KCHECK(st.final_ok == 1 && st.wrong == 0);

    /* Two pages from offset 100: three pages spanned. */
    reset(1, 2 * KM_PAGE_SIZE);
    env.verifier = false;
    g_offset = 100;
    drv.io = io_transaction_ddis;
    r = km_test_run(&scn, "random", 1, false);
    KCHECK(tobs.mr == 3 && tobs.sg == 3);

    /* WdmGetTransferContext in Created: FxVerifierDbgBreakPoint. */
    reset(1, 300);
    drv.io = io_transaction_ddis;
    r = km_test_run(&scn, "random", 1, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK DMA-TC: WdfDmaTransactionWdmGetTransferContext");
}

static void test_own_mdl_and_configure_adapter(void)
{
    /* IoAllocateMdl + MmBuildMdlForNonPagedPool describe the buffer; a
     * transfer runs on it; IoFreeMdl after the final DmaCompleted. The
     * configuration callback's ConfigureAdapterChannel returns success. */
    reset(1, 2 * KM_PAGE_SIZE);
    drv.io = io_own_mdl;
    drv.own_mdl = true;
    drv.configure_adapter = true;
    km_test_result r = km_test_run(&scn, "random", 50, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.final_ok == st.executions && st.executions == 50 && st.wrong == 0);
    KCHECK(st.configure_then_program == 2 * st.executions); /* two one-page transfers each */

    reset(1, KM_PAGE_SIZE);
    drv.io = io_own_mdl;
    drv.own_mdl = true;
    drv.free_mdl_twice = true;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "MDL-FREE: IoFreeMdl: MDL freed twice");
}

/* WdfDmaTransactionInitialize with an MDL and an address inside it: the
 * configuration callback gets the MDL and VirtualAddress - MDL address. */
static void io_initialize_va(int i, WDFREQUEST Request)
{
    WDFDMATRANSACTION tx = g_tx[i];
    NTSTATUS s = WdfDmaTransactionInitialize(tx, EvtProgramDma, (WDF_DMA_DIRECTION)drv.enabler_of[i], &g_mdl[i],
                                             g_buf[i] + g_offset, g_length);
    if (NT_SUCCESS(s)) {
        WdfDmaTransactionSetTransferCompleteCallback(tx, EvtTransferComplete, (PVOID)(intptr_t)i);
        WdfDmaTransactionSetChannelConfigurationCallback(tx, EvtConfigureChannel, (PVOID)(intptr_t)i);
        g_exec_task[i] = dr_current_task();
        s = WdfDmaTransactionExecute(tx, (WDFCONTEXT)(intptr_t)i);
        g_exec_task[i] = 0;
    }
    if (!NT_SUCCESS(s))
        WdfRequestComplete(Request, s);
}

static void test_initialize_offset_for_callback(void)
{
    reset(1, 2 * KM_PAGE_SIZE);
    g_offset = 200;
    drv.io = io_initialize_va;
    km_test_result r = km_test_run(&scn, "random", 20, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.configure_then_program == 2 * st.executions && st.executions == 20);
    KCHECK(st.final_ok == st.executions && st.wrong == 0);
}

static NTSTATUS g_single_too_long;
static km_tx_state g_single_state;

static void io_single(int i, WDFREQUEST Request)
{
    WdfDmaTransactionSetSingleTransferRequirement(g_tx[i], TRUE);
    /* Longer than the enabler's MaximumLength (16 pages): refused, Released. */
    g_single_too_long = WdfDmaTransactionInitializeUsingOffset(g_tx[i], EvtProgramDma, WdfDmaDirectionReadFromDevice,
                                                               &g_mdl[i], 0, 17 * KM_PAGE_SIZE);
    g_single_state = tx_state(i);
    WdfDmaTransactionSetSingleTransferRequirement(g_tx[i], TRUE); /* Release reset it */
    io_plain(i, Request);
    WdfDmaTransactionSetSingleTransferRequirement(g_tx[i], FALSE); /* after Initialize: a break */
}

static void test_single_transfer_requirement(void)
{
    /* Three pages with one map register's worth of fragment: one transfer
     * of three pages (the fragment limit is the enabler's MaximumLength). */
    reset(1, 3 * KM_PAGE_SIZE);
    env.verifier = false;
    drv.io = io_single;
    km_test_result r = km_test_run(&scn, "random", 20, false);
    KEXPECT_CLEAN(r);
    KCHECK(g_single_too_long == STATUS_WDF_TOO_MANY_TRANSFERS && g_single_state == KM_TX_RELEASED);
    KCHECK(g_programmed[0] == 1 && g_sg_len[0][0] == 3 * KM_PAGE_SIZE);
    KCHECK(st.final_ok == st.executions && st.wrong == 0);

    reset(1, 3 * KM_PAGE_SIZE);
    drv.io = io_single;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK DMA-SINGLE: WdfDmaTransactionSetSingleTransferRequirement");
}

static void test_configure_channel_false(void)
{
    /* The callback completes the transaction itself and returns FALSE: no
     * mapping, no EvtProgramDma, no transfer-complete callback. */
    reset(1, 300);
    env.verifier = false;
    drv.io = io_transaction_ddis;
    drv.configure_false = true;
    km_test_result r = km_test_run(&scn, "random", 50, false);
    KEXPECT_CLEAN(r);
    KCHECK(g_configured[0] == 1 && g_programmed[0] == 0 && st.final_ok == 0);
    KCHECK(g_completed_with[0] == STATUS_CANCELLED && tx_state(0) == KM_TX_TRANSFER_COMPLETED);
    KCHECK(st.wrong == 0);
}

static void io_set_max_length_early(int i, WDFREQUEST Request)
{
    WdfDmaTransactionSetMaximumLength(g_tx[i], 100); /* m_AdapterInfo is NULL before Initialize */
    io_plain(i, Request);
}

static void io_immediate(int i, WDFREQUEST Request)
{
    if (i == 1) {
        WdfDmaTransactionSetImmediateExecution(g_tx[i], TRUE);
        NTSTATUS s = start(i);
        g_immediate_status = s;
        g_immediate_state = tx_state(i);
        if (!NT_SUCCESS(s)) {
            (void)WdfDmaTransactionRelease(g_tx[i]);
            g_completed_with[i] = s;
            WdfRequestComplete(Request, s);
        }
        return;
    }
    io_plain(i, Request);
    WdfDmaTransactionSetImmediateExecution(g_tx[i], TRUE); /* after Execute: V11 */
}

static void test_max_length_and_immediate(void)
{
    reset(1, KM_PAGE_SIZE);
    drv.io = io_set_max_length_early;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "DMA-MAXLEN: WdfDmaTransactionSetMaximumLength: m_AdapterInfo is NULL");

    /* Immediate execution on a busy channel: Execute fails with
     * STATUS_INSUFFICIENT_RESOURCES, TransferFailed (DMA_SYNCHRONOUS_CALLBACK). */
    reset(2, KM_PAGE_SIZE);
    env.verifier = false;
    env.concurrent = true;
    drv.same_channel = true;
    drv.enabler_of[1] = 0;
    drv.io = io_immediate;
    r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.refused > 0);
    KCHECK(st.granted > 0);
    KCHECK(st.refused + st.granted == st.executions);

    /* After Execute: V11 with the verifier. */
    reset(1, KM_PAGE_SIZE);
    drv.io = io_immediate;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V11: WdfDmaTransactionSetImmediateExecution");
}

/* ---- reserved resources ------------------------------------------------------------------------- */

static struct {
    NTSTATUS alloc_status;
    uint32_t alloc_task;
    int reserve_calls;
    bool reserve_at_dispatch;
    km_tx_state state_in_reserve;
    bool channel_kept;     /* after the final DmaCompleted, the reservation still holds the channel */
    bool freed;            /* after FreeResources nobody holds it */
} robs;

static void EvtReserveDma(WDFDMATRANSACTION Transaction, PVOID Context)
{
    int i = (int)(intptr_t)Context;
    robs.reserve_calls++;
    robs.reserve_at_dispatch = KeGetCurrentIrql() == DISPATCH_LEVEL;
    robs.state_in_reserve = tx_state(i);
    if (robs.alloc_task == dr_current_task())
        BUMP(st.reserve_inside);
    else
        BUMP(st.reserve_later);
    g_exec_task[i] = dr_current_task();
    NTSTATUS s = WdfDmaTransactionInitializeUsingOffset(Transaction, EvtProgramDma,
                                                        (WDF_DMA_DIRECTION)drv.enabler_of[i], &g_mdl[i], 0, g_length);
    if (NT_SUCCESS(s)) {
        WdfDmaTransactionSetTransferCompleteCallback(Transaction, EvtTransferComplete, (PVOID)(intptr_t)i);
        s = WdfDmaTransactionExecute(Transaction, (WDFCONTEXT)(intptr_t)i);
    }
    g_exec_task[i] = 0;
    if (!NT_SUCCESS(s)) {
        g_completed_with[i] = s;
        WdfRequestComplete(g_req[i], s);
    }
}

static void io_reserve(int i, WDFREQUEST Request)
{
    robs.alloc_task = dr_current_task();
    robs.alloc_status = WdfDmaTransactionAllocateResources(g_tx[i], (WDF_DMA_DIRECTION)drv.enabler_of[i],
                                                           i == 0 ? 2 : 4, EvtReserveDma, (PVOID)(intptr_t)i);
    robs.alloc_task = 0;
    if (!NT_SUCCESS(robs.alloc_status)) {
        g_completed_with[i] = robs.alloc_status;
        WdfRequestComplete(Request, robs.alloc_status);
    }
}

static void io_free_in_created(int i, WDFREQUEST Request)
{
    WdfDmaTransactionFreeResources(g_tx[i]);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void io_reserve_zero_in_created(int i, WDFREQUEST Request)
{
    (void)WdfDmaTransactionAllocateResources(g_tx[i], WdfDmaDirectionReadFromDevice, 0, EvtReserveDma, NULL);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void io_transfer_info_created(int i, WDFREQUEST Request)
{
    ULONG mr = 0;
    WdfDmaTransactionGetTransferInfo(g_tx[i], &mr, NULL); /* Created: FxVerifierBugCheck */
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static size_t g_bad_dir_length = 1;
static PDMA_ADAPTER g_bad_dir_adapter = (PDMA_ADAPTER)1;

static void io_bad_direction(int i, WDFREQUEST Request)
{
    g_bad_dir_length = WdfDmaEnablerGetFragmentLength(g_en[0], (WDF_DMA_DIRECTION)7);
    g_bad_dir_adapter = WdfDmaEnablerWdmGetDmaAdapter(g_en[0], (WDF_DMA_DIRECTION)7);
    (void)i;
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void EvtReserveNothing(WDFDMATRANSACTION Transaction, PVOID Context)
{
    (void)Transaction, (void)Context;
}

/* tx1 reserves the channel tx0 holds, then initialises and executes at once
 * instead of waiting for EvtReserveDma. */
static void io_execute_before_reserve(int i, WDFREQUEST Request)
{
    if (i == 0) {
        io_plain(i, Request);
        return;
    }
    NTSTATUS s = WdfDmaTransactionAllocateResources(g_tx[i], WdfDmaDirectionReadFromDevice, 2, EvtReserveNothing, NULL);
    if (NT_SUCCESS(s))
        s = start(i);
    if (!NT_SUCCESS(s)) {
        g_completed_with[i] = s;
        WdfRequestComplete(Request, s);
    }
}

static void test_state_checks_of_the_new_ddis(void)
{
    /* GetTransferInfo outside Initialized: FxVerifierBugCheck, every build. */
    reset(1, KM_PAGE_SIZE);
    env.verifier = false;
    drv.io = io_transfer_info_created;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x8 DMA-INFO: WdfDmaTransactionGetTransferInfo");

    /* An invalid direction: 0 / NULL in every build, a break with the verifier. */
    reset(1, KM_PAGE_SIZE);
    env.verifier = false;
    drv.io = io_bad_direction;
    r = km_test_run(&scn, "random", 1, false);
    KEXPECT_CLEAN(r);
    KCHECK(g_bad_dir_length == 0 && g_bad_dir_adapter == NULL);
    reset(1, KM_PAGE_SIZE);
    drv.io = io_bad_direction;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK DMA-DIR: WdfDmaEnablerGetFragmentLength");

    /* Execute with a reservation not granted yet: dmarace's own check. */
    reset(2, KM_PAGE_SIZE);
    env.map_registers = 4;
    drv.same_channel = true;
    drv.enabler_of[1] = 0;
    drv.io = io_execute_before_reserve;
    r = km_test_find(&scn, 300, "DMA-RSV");
    KEXPECT_FINDING(r, DR_FIND_CHECK, "DMA-RSV: WdfDmaTransactionExecute: Execute with reserved resources before EvtReserveDma");
}

static void test_reserved_resources(void)
{
    /* Reserve 2 of 4 map registers: EvtReserveDma at DISPATCH in state
     * Reserved (inside AllocateResources: the channel was free); Execute uses
     * the reservation, each fragment is cut to 2 pages; after the final
     * DmaCompleted and Release the channel is still held; FreeResources
     * frees it. */
    reset(1, 3 * KM_PAGE_SIZE);
    env.map_registers = 4;
    drv.io = io_reserve;
    drv.release_after = true;
    memset(&robs, 0, sizeof robs);
    km_test_result r = km_test_run(&scn, "random", 1, false);
    KEXPECT_CLEAN(r);
    KCHECK(robs.alloc_status == STATUS_SUCCESS);
    KCHECK(robs.reserve_calls == 1 && robs.reserve_at_dispatch && robs.state_in_reserve == KM_TX_RESERVED);
    KCHECK(st.reserve_inside == 1);
    KCHECK(g_programmed[0] == 2 && g_sg_len[0][0] == 2 * KM_PAGE_SIZE && g_sg_len[0][1] == KM_PAGE_SIZE);
    KCHECK(st.final_ok == 1 && g_completed_with[0] == STATUS_SUCCESS);
    KCHECK(st.channel_kept == 1);

    /* Two transactions on one channel, each reserving, executing from
     * EvtReserveDma, then Release and FreeResources: whoever reserves second
     * is granted the channel only when the first frees it, so its
     * EvtReserveDma runs later (a DPC, or inside FreeResources). */
    reset(2, KM_PAGE_SIZE);
    env.map_registers = 4;
    drv.same_channel = true;
    drv.enabler_of[1] = 0;
    drv.io = io_reserve;
    drv.release_after = true;
    drv.free_resources_after = true;
    r = km_test_run(&scn, "random", 200, false);
    KEXPECT_CLEAN(r);
    KCHECK(st.reserve_inside > 0 && st.reserve_later > 0);
    KCHECK(st.freed == 2 * st.executions && st.final_ok == 2 * st.executions);

    /* Reservation checks (spec V12): twice, 0 map registers before
     * Initialize, FreeResources in Created: FxVerifierBugCheck in every build. */
    reset(1, KM_PAGE_SIZE);
    env.verifier = false;
    env.map_registers = 4;
    drv.io = io_reserve;
    drv.release_after = true;
    drv.reserve_again_after = true;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V12: WdfDmaTransactionAllocateResources: map registers already reserved");

    reset(1, KM_PAGE_SIZE);
    env.verifier = false;
    drv.io = io_reserve_zero_in_created;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V12: WdfDmaTransactionAllocateResources: AllocateResources in the wrong state");

    reset(1, KM_PAGE_SIZE);
    env.verifier = false;
    drv.io = io_free_in_created;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V12: WdfDmaTransactionFreeResources");
}

int main(void)
{
    test_resource_list_channels();
    test_two_enablers();
    test_enabler_ddis_and_adapter_info();
    test_read_dma_counter();
    test_free_adapter_channel_and_put();
    test_adapter_misuse_and_not_modelled();
    test_transaction_ddis();
    test_configure_channel_false();
    test_own_mdl_and_configure_adapter();
    test_initialize_offset_for_callback();
    test_single_transfer_requirement();
    test_max_length_and_immediate();
    test_reserved_resources();
    test_state_checks_of_the_new_ddis();
    return km_test_done();
}
