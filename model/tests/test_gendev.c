/* test_gendev.c: the generic bus-master DMA device (km_gendev.c,
 * km_gendev.h, `device=generic`; docs/model-device.md).
 *
 * One small driver: a scatter-gather enabler, one transaction and a common
 * buffer for the descriptor table (EvtDeviceAdd); memory range 0 mapped
 * (EvtDevicePrepareHardware). EvtIoRead/EvtIoWrite initialise the
 * transaction from the request and execute it; EvtProgramDma writes the
 * stage's list as descriptors (or one packet) and starts channel 0. The
 * request's thread then polls INT_STATUS (KeDelayExecutionThread between
 * reads, so the device's event can fire), acknowledges it (W1C) and calls
 * DmaCompleted (DmaCompletedFinal after a short or failed run), as an
 * interrupt DPC would. What the driver saw is recorded; the tests assert on
 * it, on the device's registers after the execution and on findings. */
#include "km.h"
#include "km_device.h"
#include "km_gendev.h"
#include "km_test.h"
#include "wdf.h"

typedef enum {
    M_RUN,       /* a correct driver: descriptors in the common buffer */
    M_PACKET,    /* the same in packet mode (a packet enabler: one element per stage) */
    M_ABORT,     /* ABORT right after Execute, then wait for DONE */
    M_EARLY,     /* DmaCompleted right after START, without waiting for DONE */
    M_UNMAPPED,  /* a descriptor names the driver's own static buffer, in no stage */
    M_TABLE_POOL,/* the descriptor table in pool memory, not a common buffer */
    M_TABLE_PAST,/* the table runs one byte past the common buffer's length */
    M_RESTART,   /* START twice */
    M_BADCOUNT,  /* DESC_COUNT 300 */
} gmode;

/* The common buffer's length, 47 + 16k bytes: a 3-descriptor table (48
 * bytes) at offset CB_PAST, a multiple of 16, ends one byte past it, inside
 * the same page (no guard zone: the device's check, not the arena's, must
 * see it). */
enum { MAXST = 4, MAXPOLLS = 64, CB_LENGTH = 47 + 16 * 247, CB_PAST = CB_LENGTH - 47 };

static struct {
    gmode mode;
    bool no_enable;   /* INT_ENABLE left 0 */
    bool own_device;  /* the scenario sets its own device model */
} drv;

static struct {
    ULONG id;                   /* DEVICE_ID read in EvtIoRead */
    int stages;
    ULONG busy_after_start[MAXST];
    ULONG total[MAXST];
    bool line_before_start;
    ULONG int_status[MAXST];    /* INT_STATUS when the driver saw DONE */
    ULONG bytes_done[MAXST];
    bool line_at_done[MAXST], line_after_ack[MAXST];
    ULONG int_after_ack[MAXST];
    ULONG status_after_abort, int_after_abort, bytes_after_abort;
    bool timed_out;
    NTSTATUS final_status;
    size_t bytes;
    bool pattern_ok, rest_zero;
    bool done;
} obs;

static km_env env;
static WDFDMAENABLER g_en;
static WDFDMATRANSACTION g_tx;
static WDFCOMMONBUFFER g_cb;
static volatile ULONG *g_regs;
static ULONG g_regs_len;
static uint8_t g_foreign[KM_PAGE_SIZE]; /* memory no DMA stage holds */

static volatile ULONG *reg(size_t off) { return g_regs + off / sizeof(ULONG); }
static volatile ULONG *chreg(size_t off) { return reg(KM_GENDEV_CH(0) + off); }

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    int k = obs.stages++;
    ULONG total = 0;
    for (ULONG e = 0; e < SgList->NumberOfElements; e++)
        total += SgList->Elements[e].Length;
    if (k < MAXST)
        obs.total[k] = total;
    uint64_t table;
    ULONG count;
    if (drv.mode == M_PACKET) {
        table = (uint64_t)SgList->Elements[0].Address.QuadPart;
        count = 0;
        WRITE_REGISTER_ULONG(chreg(KM_GENDEV_LENGTH), SgList->Elements[0].Length);
    } else {
        km_gendev_desc *d = WdfCommonBufferGetAlignedVirtualAddress(g_cb);
        table = (uint64_t)WdfCommonBufferGetAlignedLogicalAddress(g_cb).QuadPart;
        if (drv.mode == M_TABLE_POOL) {
            d = ExAllocatePool2(POOL_FLAG_NON_PAGED, KM_PAGE_SIZE, 'tseT');
            table = (uint64_t)(uintptr_t)d;
        }
        if (drv.mode == M_TABLE_PAST) {
            d += CB_PAST / sizeof *d;
            table += CB_PAST;
        }
        count = SgList->NumberOfElements;
        for (ULONG e = 0; e < count; e++) {
            d[e].address = (uint64_t)SgList->Elements[e].Address.QuadPart;
            d[e].length = SgList->Elements[e].Length;
            d[e].reserved = 0;
        }
        if (drv.mode == M_UNMAPPED)
            d[count - 1].address = (uint64_t)(uintptr_t)g_foreign;
        if (drv.mode == M_BADCOUNT)
            count = 300;
    }
    if (drv.mode == M_PACKET) { /* one 64-bit write: DESC_LO, then DESC_HI */
        WRITE_REGISTER_ULONG64((volatile ULONG64 *)(volatile void *)chreg(KM_GENDEV_DESC_LO), table);
    } else {
        WRITE_REGISTER_ULONG(chreg(KM_GENDEV_DESC_LO), (ULONG)table);
        WRITE_REGISTER_ULONG(chreg(KM_GENDEV_DESC_HI), (ULONG)(table >> 32));
    }
    WRITE_REGISTER_ULONG(chreg(KM_GENDEV_DESC_COUNT), count);
    WRITE_REGISTER_ULONG(chreg(KM_GENDEV_DIRECTION), Direction == WdfDmaDirectionReadFromDevice
                                                         ? KM_GENDEV_DIR_TO_MEMORY
                                                         : KM_GENDEV_DIR_FROM_MEMORY);
    if (!drv.no_enable)
        WRITE_REGISTER_ULONG(reg(KM_GENDEV_INT_ENABLE), KM_GENDEV_INT_DONE(0) | KM_GENDEV_INT_ERROR(0));
    if (k == 0)
        obs.line_before_start = km_device_irq_asserted(KM_GENDEV_LINE);
    WRITE_REGISTER_ULONG(chreg(KM_GENDEV_CONTROL), KM_GENDEV_CTL_START);
    ULONG busy = READ_REGISTER_ULONG(chreg(KM_GENDEV_STATUS));
    if (k < MAXST)
        obs.busy_after_start[k] = busy;
    if (drv.mode == M_RESTART)
        WRITE_REGISTER_ULONG(chreg(KM_GENDEV_CONTROL), KM_GENDEV_CTL_START);
    return TRUE;
}

/* Poll for the end of the run, acknowledge it, DmaCompleted*. */
static bool wait_stage(int k, NTSTATUS *s, size_t *done_so_far, BOOLEAN *finished)
{
    ULONG v = 0;
    for (int i = 0; i < MAXPOLLS; i++) {
        v = READ_REGISTER_ULONG(reg(KM_GENDEV_INT_STATUS));
        if (v & KM_GENDEV_INT_DONE(0))
            break;
        LARGE_INTEGER t = {.QuadPart = -10};
        KeDelayExecutionThread(KernelMode, FALSE, &t);
    }
    if (!(v & KM_GENDEV_INT_DONE(0))) {
        obs.timed_out = true;
        return false;
    }
    ULONG bytes = READ_REGISTER_ULONG(chreg(KM_GENDEV_BYTES_DONE));
    if (k < MAXST) {
        obs.int_status[k] = v;
        obs.bytes_done[k] = bytes;
        obs.line_at_done[k] = km_device_irq_asserted(KM_GENDEV_LINE);
    }
    WRITE_REGISTER_ULONG(reg(KM_GENDEV_INT_STATUS), v); /* write 1 to clear */
    if (k < MAXST) {
        obs.int_after_ack[k] = READ_REGISTER_ULONG(reg(KM_GENDEV_INT_STATUS));
        obs.line_after_ack[k] = km_device_irq_asserted(KM_GENDEV_LINE);
    }
    if ((v & KM_GENDEV_INT_ERROR(0)) || bytes < obs.total[k < MAXST ? k : 0])
        *finished = WdfDmaTransactionDmaCompletedFinal(g_tx, *done_so_far + bytes, s);
    else
        *finished = WdfDmaTransactionDmaCompleted(g_tx, s);
    *done_so_far += bytes;
    if (v & KM_GENDEV_INT_ERROR(0))
        *s = STATUS_DEVICE_DATA_ERROR;
    return true;
}

static void io(WDFREQUEST Request, WDF_DMA_DIRECTION dir)
{
    obs.id = READ_REGISTER_ULONG(reg(KM_GENDEV_DEVICE_ID));
    NTSTATUS s = WdfDmaTransactionInitializeUsingRequest(g_tx, Request, EvtProgramDma, dir);
    if (NT_SUCCESS(s))
        s = WdfDmaTransactionExecute(g_tx, NULL);
    if (!NT_SUCCESS(s) || dr_failed()) {
        WdfRequestComplete(Request, s);
        return;
    }
    if (drv.mode == M_ABORT) {
        WRITE_REGISTER_ULONG(chreg(KM_GENDEV_CONTROL), KM_GENDEV_CTL_ABORT);
        obs.status_after_abort = READ_REGISTER_ULONG(chreg(KM_GENDEV_STATUS));
        obs.int_after_abort = READ_REGISTER_ULONG(reg(KM_GENDEV_INT_STATUS));
        obs.bytes_after_abort = READ_REGISTER_ULONG(chreg(KM_GENDEV_BYTES_DONE));
    }
    size_t bytes = 0;
    BOOLEAN finished = FALSE;
    if (drv.mode == M_EARLY) { /* the bug: the device still runs */
        finished = WdfDmaTransactionDmaCompletedFinal(g_tx, 0, &s);
        (void)WdfDmaTransactionRelease(g_tx);
        WdfRequestComplete(Request, STATUS_CANCELLED);
        return;
    }
    for (int k = 0; !finished; k++)
        if (!wait_stage(k, &s, &bytes, &finished) || dr_failed())
            break;
    if (dr_failed())
        return;
    if (!finished) { /* the device never finished: stop it and give up */
        WRITE_REGISTER_ULONG(chreg(KM_GENDEV_CONTROL), KM_GENDEV_CTL_ABORT);
        (void)WdfDmaTransactionDmaCompletedFinal(g_tx, bytes, &s);
        s = STATUS_IO_TIMEOUT;
    }
    obs.final_status = s;
    obs.bytes = bytes;
    (void)WdfDmaTransactionRelease(g_tx);
    if (dir == WdfDmaDirectionReadFromDevice) {
        uint8_t *b = NULL;
        size_t len = 0;
        if (NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, 1, (PVOID *)&b, &len))) {
            obs.pattern_ok = true;
            for (size_t i = 0; i < bytes && i < len; i++)
                obs.pattern_ok = obs.pattern_ok && b[i] == KM_GENDEV_PATTERN(i);
            obs.rest_zero = true;
            for (size_t i = bytes; i < len; i++)
                obs.rest_zero = obs.rest_zero && b[i] == 0;
        }
    }
    obs.done = true;
    WdfRequestCompleteWithInformation(Request, s, NT_SUCCESS(s) ? bytes : 0);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    io(Request, WdfDmaDirectionReadFromDevice);
}

static VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    io(Request, WdfDmaDirectionWriteToDevice);
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(ResourcesRaw);
    for (ULONG i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (d->Type == CmResourceTypeMemory && !g_regs) {
            g_regs_len = d->u.Memory.Length;
            g_regs = MmMapIoSpaceEx(d->u.Memory.Start, g_regs_len, PAGE_READWRITE | PAGE_NOCACHE);
        }
    }
    return g_regs ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDFDEVICE device;
    WDFQUEUE queue;
    UNREFERENCED_PARAMETER(Driver);
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = EvtPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    NTSTATUS s = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(s))
        return s;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    qc.EvtIoWrite = EvtIoWrite;
    s = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &queue);
    if (!NT_SUCCESS(s))
        return s;
    WDF_DMA_ENABLER_CONFIG c;
    WDF_DMA_ENABLER_CONFIG_INIT(&c, drv.mode == M_PACKET ? WdfDmaProfilePacket64 : WdfDmaProfileScatterGather64,
                                64 * KM_PAGE_SIZE);
    s = WdfDmaEnablerCreate(device, &c, WDF_NO_OBJECT_ATTRIBUTES, &g_en);
    if (NT_SUCCESS(s))
        s = WdfCommonBufferCreate(g_en, CB_LENGTH, WDF_NO_OBJECT_ATTRIBUTES, &g_cb);
    if (NT_SUCCESS(s))
        s = WdfDmaTransactionCreate(g_en, WDF_NO_OBJECT_ATTRIBUTES, &g_tx);
    return s;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

/* A scenario's own device model: DEVICE_ID reads 0xABCD. */
static void own_read(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    if (range == 0 && offset == KM_GENDEV_DEVICE_ID && width == 4)
        *value = 0xABCD;
}

static void setup(void)
{
    memset(&obs, 0, sizeof obs);
    if (drv.own_device) {
        km_device_model m = {.on_read = own_read};
        km_device_model_set(&m);
    }
    g_regs = NULL;
    g_en = NULL;
    g_tx = NULL;
    g_cb = NULL;
    km_world_start(&env, DriverEntry);
}

/* After each execution: the device's registers and line, and the outcome. */
static struct {
    ULONG status, int_status, bytes_done;
    bool line;
} after;
static struct {
    long complete, shorter, error, slow, other;
} outcomes;

static ULONG regs_after(size_t off)
{
    size_t len = 0;
    volatile ULONG *r = km_device_registers(0, &len);
    return r && off + 4 <= len ? r[off / 4] : 0xFFFFFFFF;
}

static void check(void)
{
    km_world_check();
    after.status = regs_after(KM_GENDEV_CH(0) + KM_GENDEV_STATUS);
    after.int_status = regs_after(KM_GENDEV_INT_STATUS);
    after.bytes_done = regs_after(KM_GENDEV_CH(0) + KM_GENDEV_BYTES_DONE);
    after.line = km_device_irq_asserted(KM_GENDEV_LINE);
    if (dr_failed() || !obs.done || obs.stages != 1)
        outcomes.other++;
    else if (obs.timed_out) /* the clock, not the device, every time the driver waited */
        outcomes.slow++;
    else if (obs.int_status[0] & KM_GENDEV_INT_ERROR(0))
        outcomes.error++;
    else if (obs.bytes_done[0] < obs.total[0])
        outcomes.shorter++;
    else
        outcomes.complete++;
}

static const dr_scenario scn = {"test-gendev", "the generic DMA device", "clean", 2, 4, 1, setup, check, NULL, 0};

/* One read request of 3 pages (three scatter-gather elements, one stage), no
 * cancellation, the C2 protocol check off (a short read is legal). */
static void reset(gmode m, const char *settings)
{
    char err[256];
    km_env_defaults(&env);
    env.cancel = false;
    env.deferred_adapter = false;
    env.c2_status_lost = false;
    env.map_registers = 8;
    if (km_env_parse(&env, "device=generic memory=4K interrupts=1", err, sizeof err) != 0 ||
        km_env_parse(&env, settings, err, sizeof err) != 0)
        fprintf(stderr, "bad settings '%s': %s\n", settings, err);
    memset(&drv, 0, sizeof drv);
    drv.mode = m;
    memset(&outcomes, 0, sizeof outcomes);
}

/* The first DFS execution: the scheduler never preempts, so the device's
 * event fires only once the driver's thread waits. */
static km_test_result first(gmode m, const char *settings)
{
    reset(m, settings);
    return km_test_run_dfs(&scn, 2, 1, true);
}

/* device=generic and short_transfer: parsed, described, and refused without
 * room for the registers or without an interrupt, with a one-line reason. */
static void test_env(void)
{
    km_env d, e;
    char err[256] = "", out[256];
    km_env_defaults(&d);
    KCHECK(d.device == KM_ENV_DEVICE_NONE && d.short_transfer);
    e = d;
    KCHECK(km_env_parse(&e, "device=generic interrupts=1 no-short_transfer", err, sizeof err) == 0);
    KCHECK(e.device == KM_ENV_DEVICE_GENERIC && !e.short_transfer);
    km_env_describe(&e, out, sizeof out);
    KCHECK(strcmp(out, "interrupts=1 device=generic no-short_transfer") == 0);
    km_env again = d;
    KCHECK(km_env_parse(&again, out, err, sizeof err) == 0 && memcmp(&again, &e, sizeof e) == 0);
    e = d;
    KCHECK(km_env_parse(&e, "device=generic interrupts=1 device=none interrupts=0", err, sizeof err) == 0 &&
           e.device == KM_ENV_DEVICE_NONE);
    static const struct {
        const char *text, *reason;
    } bad[] = {
        {"device=generic", "device=generic needs an interrupt resource"},
        {"device=generic interrupts=1 memory=255", "device=generic needs memory range 0 of at least 0x100 bytes"},
        {"device=generic interrupts=1 memory=128,4K", "device=generic needs memory range 0 of at least 0x100 bytes"},
        {"device=other", "bad device setting 'device=other'"},
        {"device", "bad device setting"},
        {"no-device", "bad device setting"},
        {"device=", "bad device setting"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = d;
        err[0] = 0;
        int rc = km_env_parse(&e, bad[i].text, err, sizeof err);
        KCHECK(rc == -1 && strstr(err, bad[i].reason) && !strchr(err, '\n'));
        if (rc != -1 || !strstr(err, bad[i].reason))
            fprintf(stderr, "'%s': rc %d, '%s'\n", bad[i].text, rc, err);
    }
    e = d;
    KCHECK(km_env_parse(&e, "device=generic interrupts=1 memory=256", err, sizeof err) == 0);
}

/* A hand-built km_env the parser would refuse: a finding at the start. */
static void test_env_by_hand(void)
{
    reset(M_RUN, "");
    env.interrupts = 0;
    km_test_result r = km_test_run_dfs(&scn, 2, 1, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK: bad environment");
    KCHECK(strstr(r.first.message, "device=generic needs") != NULL);
}

/* DEVICE_ID; START sets BUSY; the run completes in the device's event:
 * BUSY cleared, CH0_DONE, BYTES_DONE the whole run, the line asserted;
 * W1C clears the bit and deasserts the line; the data arrived. */
static void test_run(void)
{
    km_test_result r = first(M_RUN, "");
    KEXPECT_CLEAN(r);
    KCHECK(obs.id == KM_GENDEV_ID);
    KCHECK(obs.stages == 1 && obs.total[0] == 3 * KM_PAGE_SIZE);
    KCHECK(!obs.line_before_start);
    KCHECK(obs.busy_after_start[0] == KM_GENDEV_STS_BUSY);
    KCHECK(obs.int_status[0] == KM_GENDEV_INT_DONE(0)); /* tape 0: the complete outcome */
    KCHECK(obs.bytes_done[0] == 3 * KM_PAGE_SIZE);
    KCHECK(obs.line_at_done[0]);
    KCHECK(obs.int_after_ack[0] == 0 && !obs.line_after_ack[0]);
    KCHECK(obs.final_status == STATUS_SUCCESS && obs.bytes == 3 * KM_PAGE_SIZE);
    KCHECK(obs.pattern_ok && obs.rest_zero);
    KCHECK(after.status == 0 && after.int_status == 0 && after.bytes_done == 3 * KM_PAGE_SIZE && !after.line);
    /* Packet mode: one element per stage; one map register more than a page:
     * three stages of a page. */
    r = first(M_PACKET, "map_registers=2");
    KEXPECT_CLEAN(r);
    KCHECK(obs.stages == 3 && obs.total[0] == KM_PAGE_SIZE && obs.bytes_done[2] == KM_PAGE_SIZE);
    KCHECK(obs.busy_after_start[1] == KM_GENDEV_STS_BUSY && obs.line_at_done[1] && !obs.line_after_ack[1]);
    KCHECK(obs.final_status == STATUS_SUCCESS && obs.bytes == 3 * KM_PAGE_SIZE && obs.pattern_ok);
    /* Memory to device (a write request): nothing written to the buffer. */
    r = first(M_RUN, "writes=1");
    KEXPECT_CLEAN(r);
    KCHECK(obs.bytes_done[0] == 3 * KM_PAGE_SIZE && obs.final_status == STATUS_SUCCESS);
    /* Without INT_ENABLE the run ends the same, and the line stays deasserted. */
    reset(M_RUN, "");
    drv.no_enable = true;
    r = km_test_run_dfs(&scn, 2, 1, true);
    KEXPECT_CLEAN(r);
    KCHECK(obs.int_status[0] == KM_GENDEV_INT_DONE(0) && obs.bytes_done[0] == 3 * KM_PAGE_SIZE);
    KCHECK(!obs.line_at_done[0] && !after.line);
}

/* A scenario that sets its own device model keeps it under device=generic. */
static void test_own_device(void)
{
    reset(M_RUN, "");
    drv.own_device = true;
    km_test_result r = km_test_run_dfs(&scn, 2, 1, true);
    KEXPECT_CLEAN(r);
    KCHECK(obs.id == 0xABCD && obs.timed_out); /* no generic device: nothing ever runs */
    reset(M_RUN, "");
    r = km_test_run_dfs(&scn, 2, 1, true);
    KCHECK(obs.id == KM_GENDEV_ID); /* the next execution without one has it again */
}

/* The outcomes: error only with dma_error, short only with short_transfer,
 * each reached when on (DFS over the device's choice). A short run moves
 * its first half; an error run sets CH0_ERROR with CH0_DONE. */
static void test_outcomes(void)
{
    struct {
        const char *settings;
        bool error, shorter;
    } cases[] = {
        {"", true, true},
        {"no-dma_error", false, true},
        {"no-short_transfer", true, false},
        {"no-dma_error no-short_transfer", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reset(M_RUN, cases[i].settings);
        km_test_result r = km_test_run_dfs(&scn, 1, 3000, false);
        KEXPECT_CLEAN(r);
        KCHECK(r.exhausted);
        KCHECK(outcomes.complete > 0 && outcomes.other == 0);
        KCHECK((outcomes.error > 0) == cases[i].error);
        KCHECK((outcomes.shorter > 0) == cases[i].shorter);
        if (outcomes.other || (outcomes.error > 0) != cases[i].error || (outcomes.shorter > 0) != cases[i].shorter)
            fprintf(stderr, "'%s': %ld executions, complete %ld short %ld error %ld other %ld\n", cases[i].settings,
                    r.executions, outcomes.complete, outcomes.shorter, outcomes.error, outcomes.other);
    }
    /* Random: the same. */
    reset(M_RUN, "");
    km_test_result r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(outcomes.complete > 0 && outcomes.shorter > 0 && outcomes.error > 0 && outcomes.other == 0);
    reset(M_RUN, "no-dma_error no-short_transfer");
    r = km_test_run(&scn, "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(outcomes.complete + outcomes.slow == 300 && outcomes.shorter == 0 && outcomes.error == 0);
}

/* What the driver sees of a short and a failed run (the tape picks them). */
static void test_short_and_error(void)
{
    /* Walk DFS until each kind is seen, checking every execution's view. */
    reset(M_RUN, "");
    dr_strategy *s = dr_strategy_dfs(1);
    dr_run_config cfg = {.cpus = 0};
    bool seen_short = false, seen_error = false;
    for (long e = 0; e < 3000; e++) {
        dr_exec_result res;
        if (dr_run(&scn, &cfg, s, (uint64_t)e, &res) != 0)
            break;
        KCHECK(res.finding.kind == DR_FIND_NONE);
        if (obs.done && (obs.int_status[0] & KM_GENDEV_INT_ERROR(0))) {
            seen_error = true;
            KCHECK(obs.int_status[0] == (KM_GENDEV_INT_DONE(0) | KM_GENDEV_INT_ERROR(0)));
            KCHECK(obs.bytes_done[0] == 3 * KM_PAGE_SIZE / 2 && obs.final_status == STATUS_DEVICE_DATA_ERROR);
            KCHECK(obs.int_after_ack[0] == 0 && obs.line_at_done[0] && !obs.line_after_ack[0]);
        } else if (obs.done && !obs.timed_out && obs.bytes_done[0] < obs.total[0]) {
            seen_short = true;
            KCHECK(obs.int_status[0] == KM_GENDEV_INT_DONE(0));
            KCHECK(obs.bytes_done[0] == 3 * KM_PAGE_SIZE / 2 && obs.bytes == obs.bytes_done[0]);
            KCHECK(obs.final_status == STATUS_SUCCESS && obs.pattern_ok && obs.rest_zero);
        }
        if (!dr_strategy_next(s, &res))
            break;
    }
    dr_strategy_destroy(s);
    KCHECK(seen_short && seen_error);
}

/* ABORT on a running channel: BUSY cleared at once, CH0_DONE | CH0_ERROR,
 * BYTES_DONE 0 or half (a choice), the event disarmed (nothing more
 * happens). */
static void test_abort(void)
{
    km_test_result r = first(M_ABORT, "");
    KEXPECT_CLEAN(r);
    KCHECK(obs.busy_after_start[0] == KM_GENDEV_STS_BUSY);
    KCHECK(obs.status_after_abort == 0);
    KCHECK(obs.int_after_abort == (KM_GENDEV_INT_DONE(0) | KM_GENDEV_INT_ERROR(0)));
    KCHECK(obs.bytes_after_abort == 0); /* tape 0: nothing moved */
    KCHECK(obs.int_status[0] == obs.int_after_abort && obs.bytes_done[0] == 0);
    KCHECK(obs.final_status == STATUS_DEVICE_DATA_ERROR && obs.rest_zero);
    KCHECK(after.status == 0 && after.int_status == 0 && !after.line);
    /* Over DFS: both amounts; an abort after the run ended changes nothing. */
    reset(M_ABORT, "no-dma_error no-short_transfer");
    dr_strategy *s = dr_strategy_dfs(1);
    dr_run_config cfg = {.cpus = 0};
    long none = 0, half = 0, ended = 0, bad = 0;
    for (long e = 0; e < 3000; e++) {
        dr_exec_result res;
        if (dr_run(&scn, &cfg, s, (uint64_t)e, &res) != 0)
            break;
        if (res.finding.kind != DR_FIND_NONE || !obs.done)
            bad++;
        else if (obs.int_status[0] == KM_GENDEV_INT_DONE(0) && obs.bytes_done[0] == 3 * KM_PAGE_SIZE)
            ended++; /* the run completed before the ABORT: ignored */
        else if (obs.int_status[0] != (KM_GENDEV_INT_DONE(0) | KM_GENDEV_INT_ERROR(0)) || obs.status_after_abort)
            bad++;
        else if (obs.bytes_done[0] == 0 && obs.rest_zero)
            none++;
        else if (obs.bytes_done[0] == 3 * KM_PAGE_SIZE / 2 && obs.pattern_ok && obs.rest_zero)
            half++;
        else
            bad++;
        if (!dr_strategy_next(s, &res))
            break;
    }
    dr_strategy_destroy(s);
    KCHECK(none > 0 && half > 0 && ended > 0 && bad == 0);
    if (bad)
        fprintf(stderr, "abort: none %ld half %ld ended %ld bad %ld\n", none, half, ended, bad);
}

/* The device's checks. */
static void test_checks(void)
{
    km_test_result r = first(M_UNMAPPED, "");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH HW5: generic device: DMA to memory not mapped for DMA");
    KCHECK(strstr(r.first.message, "channel 0 at START") && strstr(r.first.message, "descriptor 2"));
    r = first(M_TABLE_POOL, "");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH HW5: generic device: descriptor table not in a common buffer");
    KCHECK(strstr(r.first.message, "channel 0") != NULL);
    /* DmaCompleted before the device finished: the run's end writes memory
     * no stage holds any more. */
    r = first(M_EARLY, "");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH HW5: generic device: DMA to memory not mapped for DMA");
    KCHECK(strstr(r.first.message, "finishing its run") != NULL);
    r = first(M_TABLE_PAST, "");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH HW5: generic device: descriptor table not in a common buffer");
    r = first(M_RESTART, "");
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK HW6: generic device: START on a busy channel");
    r = first(M_BADCOUNT, "");
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK HW7: generic device: descriptor count above 256");
    /* Without device=generic the registers are plain memory: no device. */
    reset(M_RUN, "");
    env.device = KM_ENV_DEVICE_NONE;
    r = km_test_run_dfs(&scn, 2, 1, true);
    KCHECK(obs.id == 0 && obs.timed_out);
}

int main(void)
{
    test_env();
    test_env_by_hand();
    test_run();
    test_own_device();
    test_outcomes();
    test_short_and_error();
    test_abort();
    test_checks();
    return km_test_done();
}
