/* test_interrupt.c: the device's interrupt lines (km_device.h, km_interrupt.c)
 * and WDFINTERRUPT. A tiny driver maps the device's registers and writes
 * them from EvtIoRead; a minimal device model asserts and deasserts interrupt
 * lines on those writes (register 0: bit 0 asserts line 0, bit 1 deasserts
 * it; register 4: asserts line 7, which the device lacks; register 8:
 * acknowledge, deasserts line 0; register 12 reads 1 while line 0 is
 * asserted). The interrupt modes start the transfer in EvtIoRead (assert),
 * and the driver completes the request from EvtInterruptDpc, the classic
 * bus-master shape; each mode bends one part of it. */
#include "km.h"
#include "km_device.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

typedef enum {
    M_LINES,      /* assert line 0 and leave it asserted */
    M_LINES_OFF,  /* assert line 0, then deassert it */
    M_BAD_LINE,   /* assert a line the device lacks */
    /* with a WDFINTERRUPT */
    M_NORMAL,     /* ISR: status, acknowledge, queue the DPC; the DPC completes */
    M_PREEMPT,    /* the DPC makes the device interrupt again and reads registers */
    M_SYNC,       /* EvtIoRead updates what the ISR updates, inside WdfInterruptSynchronize */
    M_NOSYNC,     /* ... without it */
    M_LATE_ACK,   /* the ISR acknowledges only at its third call */
    M_NO_ACK,     /* the ISR never acknowledges */
    M_COMPLETE_IN_ISR, /* the ISR completes the request */
    M_DMA_IN_ISR, /* the ISR calls WdfDmaTransactionDmaCompleted */
    M_DISABLE,    /* WdfInterruptDisable, interrupt, WdfInterruptEnable */
    M_ACQUIRE_IN_ISR, /* the ISR calls WdfInterruptAcquireLock */
    M_ACQUIRE_TWICE,  /* EvtIoRead acquires the interrupt lock twice */
    M_RELEASE_UNHELD, /* EvtIoRead releases the lock it does not hold */
    M_ACQUIRE_RELEASE, /* EvtIoRead acquires and releases the lock */
    M_WORKITEM,   /* EvtInterruptWorkItem instead of the DPC */
    M_PREPARE,    /* the interrupt is created in EvtDevicePrepareHardware */
    M_ACQUIRE_HIGH,   /* EvtIoRead takes the interrupt lock at HIGH_LEVEL */
    M_SYNC_DISCONNECTED, /* EvtIoRead disables the interrupt, then synchronizes with it */
    M_ENABLE_TWICE,   /* EvtIoRead enables the enabled interrupt */
    M_WI_NO_CALLBACK, /* EvtIoRead queues a work item the interrupt has no callback for */
    M_LOCK_DISCONNECTED, /* EvtIoRead disables the interrupt, then takes and releases its lock */
    M_TRY_LOCK,       /* EvtIoRead calls WdfInterruptTryToAcquireLock */
    M_INFO_SIZE,      /* WdfInterruptGetInfo with a wrong Size */
    M_POLICY,         /* WdfInterruptSetPolicy out of range */
    M_PREPARE_BAD,    /* WdfInterruptCreate in EvtDevicePrepareHardware with a foreign descriptor */
    M_NP_DISABLE,     /* M_DISABLE on a device that is not power pageable */
    M_AUTOSER,        /* Device scope and AutomaticSerialization: the DPC under the device's lock */
    M_POST_TOGGLE,    /* EvtDeviceD0EntryPostInterruptsEnabled disables and enables the interrupt */
    M_AUTOSER_WI,     /* M_AUTOSER with EvtInterruptWorkItem: a passive callback under a DISPATCH lock */
    M_NEVER_CLAIM,    /* the ISR returns FALSE without looking at its device */
} imode;

enum { REG_LINE = 0, REG_BAD = 1, REG_ACK = 2, REG_STATUS = 3 }; /* ULONG indexes */

static imode mode;
static km_env env;

static volatile ULONG *g_regs;
static bool g_asserted_at_start, g_asserted_at_end, g_asserted_after_write;

/* Observations of one execution (reset by setup). */
static WDFINTERRUPT g_int;
static WDFREQUEST g_req;
static char g_order[128];          /* the start's callbacks in order */
static unsigned g_isr_calls, g_isr_claimed, g_isr_unclaimed, g_isr_bad_level, g_isr_no_lock, g_isr_cpu_mask;
static unsigned g_dpc_calls, g_dpc_bad, g_queue_first, g_queue_second, g_wi_calls, g_wi_bad;
static unsigned g_enable_irql, g_disable_irql, g_enable_locked, g_disable_locked, g_isr_while_disabled;
static unsigned g_isr_in_dpc, g_overlap, g_dpc_locked, g_try_result;
static volatile int g_dpc_active, g_dpc_cpu, g_isr_active, g_in_cs, g_disabled;
static ULONG g_isr_message;
static WDF_INTERRUPT_INFO g_info;
/* Totals over a run's executions (reset by run). */
static unsigned t_cpu_mask, t_isr_in_dpc, t_unclaimed, t_execs_with_unclaimed, t_overlap, t_while_disabled;

/* ---- the device model ---------------------------------------------------------------------- */

static void dev_write(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    (void)width;
    if (range != 0)
        return;
    if (offset == REG_LINE * 4) {
        if (*value & 1)
            km_device_irq_assert(0);
        if (*value & 2)
            km_device_irq_deassert(0);
    } else if (offset == REG_BAD * 4)
        km_device_irq_assert(7);
    else if (offset == REG_ACK * 4)
        km_device_irq_deassert(0);
}

static void dev_read(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    (void)width;
    if (range == 0 && offset == REG_STATUS * 4)
        *value = km_device_irq_asserted(0);
}

/* ---- the driver ------------------------------------------------------------------------------ */

static void order(const char *what)
{
    size_t n = strlen(g_order);
    snprintf(g_order + n, sizeof g_order - n, "%s%s", n ? "," : "", what);
}

static ULONG status_reg(void) { return READ_REGISTER_ULONG(g_regs + REG_STATUS); }

static BOOLEAN EvtIsr(WDFINTERRUPT Interrupt, ULONG MessageID)
{
    g_isr_active = 1;
    g_isr_calls++;
    g_isr_message = MessageID;
    g_isr_cpu_mask |= 1u << KeGetCurrentProcessorNumber();
    if (KeGetCurrentIrql() != 5) /* line 0's DIRQL */
        g_isr_bad_level++;
    if (!km_interrupt_lock_held(Interrupt))
        g_isr_no_lock++;
    if (g_dpc_active && g_dpc_cpu == (int)KeGetCurrentProcessorNumber())
        g_isr_in_dpc++;
    if (g_in_cs)
        g_overlap++;
    if (g_disabled)
        g_isr_while_disabled++;
    BOOLEAN claimed = FALSE;
    if (mode != M_NEVER_CLAIM && status_reg()) {
        claimed = TRUE;
        switch (mode) {
        case M_NO_ACK:
            break;
        case M_LATE_ACK:
            if (g_isr_calls >= 3)
                WRITE_REGISTER_ULONG(g_regs + REG_ACK, 1);
            break;
        case M_COMPLETE_IN_ISR:
            WdfRequestComplete(g_req, STATUS_SUCCESS);
            break;
        case M_DMA_IN_ISR: {
            NTSTATUS st;
            /* The DDI's IRQL check comes first: the handle does not matter. */
            (void)WdfDmaTransactionDmaCompleted((WDFDMATRANSACTION)NULL, &st);
            break;
        }
        case M_ACQUIRE_IN_ISR:
            WdfInterruptAcquireLock(Interrupt);
            break;
        default:
            WRITE_REGISTER_ULONG(g_regs + REG_ACK, 1);
            break;
        }
        if (mode == M_WORKITEM || mode == M_AUTOSER_WI) {
            g_queue_first = WdfInterruptQueueWorkItemForIsr(Interrupt);
            g_queue_second = WdfInterruptQueueWorkItemForIsr(Interrupt);
        } else {
            g_queue_first = WdfInterruptQueueDpcForIsr(Interrupt);
            g_queue_second = WdfInterruptQueueDpcForIsr(Interrupt);
        }
    }
    if (claimed)
        g_isr_claimed++;
    else
        g_isr_unclaimed++;
    g_isr_active = 0;
    return claimed;
}

static void complete_pending(void)
{
    WDFREQUEST r = g_req;
    g_req = NULL;
    if (r)
        WdfRequestComplete(r, STATUS_SUCCESS);
}

static VOID EvtDpc(WDFINTERRUPT Interrupt, WDFOBJECT Device)
{
    UNREFERENCED_PARAMETER(Interrupt);
    UNREFERENCED_PARAMETER(Device);
    g_dpc_calls++;
    if (KeGetCurrentIrql() != DISPATCH_LEVEL || g_isr_active)
        g_dpc_bad++;
    g_dpc_cpu = (int)KeGetCurrentProcessorNumber();
    g_dpc_active = 1;
    if (km_cblock_owned(&km_w.device->u.dev.cblock))
        g_dpc_locked++;
    if (mode == M_PREEMPT && g_dpc_calls == 1) {
        /* The device interrupts again while the DPC still works. */
        WRITE_REGISTER_ULONG(g_regs + REG_LINE, 1);
        for (int i = 0; i < 3; i++)
            (void)status_reg();
    }
    g_dpc_active = 0;
    complete_pending();
}

static VOID EvtWorkItem(WDFINTERRUPT Interrupt, WDFOBJECT Device)
{
    UNREFERENCED_PARAMETER(Interrupt);
    UNREFERENCED_PARAMETER(Device);
    g_wi_calls++;
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        g_wi_bad++;
    complete_pending();
}

static NTSTATUS EvtIntEnable(WDFINTERRUPT Interrupt, WDFDEVICE Device)
{
    UNREFERENCED_PARAMETER(Device);
    g_enable_irql = KeGetCurrentIrql();
    g_enable_locked = km_interrupt_lock_held(Interrupt);
    order("Enable");
    return STATUS_SUCCESS;
}

static NTSTATUS EvtIntDisable(WDFINTERRUPT Interrupt, WDFDEVICE Device)
{
    UNREFERENCED_PARAMETER(Device);
    g_disable_irql = KeGetCurrentIrql();
    g_disable_locked = km_interrupt_lock_held(Interrupt);
    order("Disable");
    return STATUS_SUCCESS;
}

static BOOLEAN SyncBump(WDFINTERRUPT Interrupt, WDFCONTEXT Context)
{
    UNREFERENCED_PARAMETER(Interrupt);
    UNREFERENCED_PARAMETER(Context);
    g_in_cs = 1;
    (void)status_reg(); /* scheduling points inside */
    (void)status_reg();
    g_in_cs = 0;
    return TRUE;
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    switch (mode) {
    case M_LINES:
        WRITE_REGISTER_ULONG(g_regs + REG_LINE, 1);
        g_asserted_after_write = km_device_irq_asserted(0);
        break;
    case M_LINES_OFF:
        WRITE_REGISTER_ULONG(g_regs + REG_LINE, 1);
        g_asserted_after_write = km_device_irq_asserted(0);
        WRITE_REGISTER_ULONG(g_regs + REG_LINE, 2);
        break;
    case M_BAD_LINE:
        WRITE_REGISTER_ULONG(g_regs + REG_BAD, 1);
        break;
    case M_ACQUIRE_TWICE:
        WdfInterruptAcquireLock(g_int);
        WdfInterruptAcquireLock(g_int);
        break;
    case M_RELEASE_UNHELD:
        WdfInterruptReleaseLock(g_int);
        break;
    case M_ACQUIRE_HIGH: {
        KIRQL old;
        KeRaiseIrql(HIGH_LEVEL, &old);
        WdfInterruptAcquireLock(g_int);
        break;
    }
    case M_SYNC_DISCONNECTED:
        WdfInterruptDisable(g_int);
        WdfInterruptSynchronize(g_int, SyncBump, NULL);
        break;
    case M_ENABLE_TWICE:
        WdfInterruptEnable(g_int);
        break;
    case M_WI_NO_CALLBACK:
        (void)WdfInterruptQueueWorkItemForIsr(g_int);
        break;
    case M_LOCK_DISCONNECTED:
        WdfInterruptDisable(g_int);
        WdfInterruptAcquireLock(g_int);
        WdfInterruptReleaseLock(g_int);
        break;
    case M_TRY_LOCK:
        g_try_result = WdfInterruptTryToAcquireLock(g_int);
        break;
    case M_INFO_SIZE: {
        WDF_INTERRUPT_INFO info;
        WDF_INTERRUPT_INFO_INIT(&info);
        info.Size = 8;
        WdfInterruptGetInfo(g_int, &info);
        break;
    }
    case M_POLICY:
        WdfInterruptSetPolicy(g_int, WdfIrqPolicyOneCloseProcessor, WdfIrqPriorityNormal, 1);
        WdfInterruptSetPolicy(g_int, WdfIrqPolicyOneCloseProcessor, WdfIrqPriorityUndefined, 1);
        break;
    case M_ACQUIRE_RELEASE: {
        KIRQL before = KeGetCurrentIrql();
        WdfInterruptAcquireLock(g_int);
        if (KeGetCurrentIrql() == 5 && km_interrupt_lock_held(g_int))
            order("Locked");
        WdfInterruptReleaseLock(g_int);
        if (KeGetCurrentIrql() == before && !km_interrupt_lock_held(g_int))
            order("Unlocked");
        break;
    }
    default:
        break;
    }
    if (mode < M_NORMAL || mode == M_ACQUIRE_TWICE || mode == M_RELEASE_UNHELD || mode == M_ACQUIRE_RELEASE ||
        mode == M_SYNC_DISCONNECTED || (mode >= M_ENABLE_TWICE && mode <= M_POLICY)) {
        WdfRequestComplete(Request, STATUS_SUCCESS);
        return;
    }
    g_req = Request;
    if (mode == M_DISABLE || mode == M_NP_DISABLE) {
        WdfInterruptDisable(g_int);
        g_disabled = 1;
        WRITE_REGISTER_ULONG(g_regs + REG_LINE, 1);
        (void)status_reg();
        (void)status_reg();
        g_disabled = 0;
        WdfInterruptEnable(g_int);
        return;
    }
    WRITE_REGISTER_ULONG(g_regs + REG_LINE, 1); /* start the device: it interrupts when done */
    if (mode == M_SYNC)
        WdfInterruptSynchronize(g_int, SyncBump, NULL);
    else if (mode == M_NOSYNC)
        SyncBump(g_int, NULL);
}

static void interrupt_config(PWDF_INTERRUPT_CONFIG c)
{
    bool wi = mode == M_WORKITEM || mode == M_AUTOSER_WI;
    WDF_INTERRUPT_CONFIG_INIT(c, EvtIsr, wi ? NULL : EvtDpc);
    if (wi)
        c->EvtInterruptWorkItem = EvtWorkItem;
    c->EvtInterruptEnable = EvtIntEnable;
    c->EvtInterruptDisable = EvtIntDisable;
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    g_asserted_at_start = km_device_irq_asserted(0);
    order("PrepareHardware");
    ULONG n = WdfCmResourceListGetCount(Translated);
    for (ULONG i = 0; i < n; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(Translated, i);
        if (d->Type == CmResourceTypeMemory && !g_regs)
            g_regs = MmMapIoSpace(d->u.Memory.Start, d->u.Memory.Length, MmNonCached);
        if (d->Type == CmResourceTypeInterrupt && (mode == M_PREPARE || mode == M_PREPARE_BAD) && !g_int) {
            WDF_INTERRUPT_CONFIG c;
            static CM_PARTIAL_RESOURCE_DESCRIPTOR copy;
            interrupt_config(&c);
            c.InterruptRaw = WdfCmResourceListGetDescriptor(Raw, i);
            c.InterruptTranslated = d;
            if (mode == M_PREPARE_BAD) { /* a copy, not the list's descriptor */
                copy = *d;
                c.InterruptTranslated = &copy;
            }
            NTSTATUS st = WdfInterruptCreate(Device, &c, WDF_NO_OBJECT_ATTRIBUTES, &g_int);
            if (!NT_SUCCESS(st))
                return st;
        }
    }
    return g_regs ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

static NTSTATUS EvtD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE Previous)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Previous);
    order("D0Entry");
    return STATUS_SUCCESS;
}

static NTSTATUS EvtD0PostInterrupts(WDFDEVICE Device, WDF_POWER_DEVICE_STATE Previous)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Previous);
    order("PostInterruptsEnabled");
    if (g_int)
        WdfInterruptGetInfo(g_int, &g_info);
    if (mode == M_POST_TOGGLE) {
        WdfInterruptDisable(g_int);
        WdfInterruptEnable(g_int);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    UNREFERENCED_PARAMETER(Driver);
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = EvtPrepareHardware;
    pnp.EvtDeviceD0Entry = EvtD0Entry;
    pnp.EvtDeviceD0EntryPostInterruptsEnabled = EvtD0PostInterrupts;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    if (mode == M_NP_DISABLE)
        WdfDeviceInitSetPowerNotPageable(DeviceInit);
    WDF_OBJECT_ATTRIBUTES da;
    WDF_OBJECT_ATTRIBUTES_INIT(&da);
    if (mode == M_AUTOSER || mode == M_AUTOSER_WI)
        da.SynchronizationScope = WdfSynchronizationScopeDevice;
    WDFDEVICE device;
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, &da, &device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    st = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, NULL);
    if (!NT_SUCCESS(st) || mode < M_NORMAL || mode == M_PREPARE || mode == M_PREPARE_BAD)
        return st;
    WDF_INTERRUPT_CONFIG c;
    interrupt_config(&c);
    c.AutomaticSerialization = mode == M_AUTOSER || mode == M_AUTOSER_WI;
    return WdfInterruptCreate(device, &c, WDF_NO_OBJECT_ATTRIBUTES, &g_int);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void)
{
    g_regs = NULL;
    g_asserted_at_start = g_asserted_after_write = g_asserted_at_end = false;
    g_int = NULL;
    g_req = NULL;
    g_order[0] = 0;
    g_isr_calls = g_isr_claimed = g_isr_unclaimed = g_isr_bad_level = g_isr_no_lock = g_isr_cpu_mask = 0;
    g_dpc_calls = g_dpc_bad = g_queue_first = g_queue_second = g_wi_calls = g_wi_bad = 0;
    g_enable_irql = g_disable_irql = g_enable_locked = g_disable_locked = g_isr_while_disabled = 0;
    g_isr_in_dpc = g_overlap = g_dpc_locked = 0;
    g_try_result = 7;
    g_dpc_active = g_dpc_cpu = g_isr_active = g_in_cs = g_disabled = 0;
    g_isr_message = 99;
    memset(&g_info, 0, sizeof g_info);
    WDF_INTERRUPT_INFO_INIT(&g_info);
    km_device_model m = {.on_write = dev_write, .on_read = dev_read};
    km_device_model_set(&m);
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    g_asserted_at_end = km_device_irq_asserted(0);
    t_cpu_mask |= g_isr_cpu_mask;
    t_isr_in_dpc += g_isr_in_dpc != 0;
    t_unclaimed += g_isr_unclaimed;
    t_execs_with_unclaimed += g_isr_unclaimed != 0;
    t_overlap += g_overlap != 0;
    t_while_disabled += g_isr_while_disabled != 0;
    if (!dr_failed() && g_overlap)
        dr_fail(DR_FIND_CHECK, "test: EvtIoRead's update overlapped the ISR", "-");
}

static const dr_scenario scn = {"test-interrupt", "interrupt lines and WDFINTERRUPT", "clean", 2, 2, 1,
                                setup, check, NULL, 0};

static km_test_result run_with(imode m, const char *settings, const char *strategy, long max, bool stop_first)
{
    char err[256];
    mode = m;
    t_cpu_mask = t_isr_in_dpc = t_unclaimed = t_execs_with_unclaimed = t_overlap = t_while_disabled = 0;
    km_env_defaults(&env);
    env.cancel = false;
    if (km_env_parse(&env, settings, err, sizeof err) != 0)
        fprintf(stderr, "bad settings '%s': %s\n", settings, err);
    return strcmp(strategy, "dfs") == 0 ? km_test_run_dfs(&scn, 2, max, stop_first)
                                         : km_test_run(&scn, strategy, max, stop_first);
}

static km_test_result run(imode m, const char *settings, const char *strategy, long max)
{
    return run_with(m, settings, strategy, max, true);
}

/* ---- lines ------------------------------------------------------------------------------------ */

/* A line follows the device model's asserts and deasserts, stays asserted
 * with nothing connected to it, and starts each execution deasserted. */
static void test_lines(void)
{
    km_test_result r = run(M_LINES, "interrupts=1", "random", 3);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 3);
    KCHECK(!g_asserted_at_start); /* the previous execution left it asserted */
    KCHECK(g_asserted_after_write);
    KCHECK(g_asserted_at_end);
    r = run(M_LINES_OFF, "interrupts=1 interrupt_latched", "random", 2);
    KEXPECT_CLEAN(r);
    KCHECK(g_asserted_after_write);
    KCHECK(!g_asserted_at_end);
    KCHECK(!km_device_irq_asserted(KM_ENV_MAX_INTERRUPTS));
    /* A line the device lacks: the device model is wrong. */
    r = run(M_BAD_LINE, "interrupts=1", "random", 1);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "device model: no such interrupt line");
    KCHECK(strstr(r.first.message, "km_device_irq_assert(7)") != NULL);
}

/* ---- WDFINTERRUPT ------------------------------------------------------------------------------- */

/* The start: EvtDeviceD0Entry, then EvtInterruptEnable at the interrupt's
 * DIRQL (the translated descriptor's Level, 5 for the first line) holding
 * its lock, then EvtDeviceD0EntryPostInterruptsEnabled
 * (powerstatemachine.cpp PowerD0StartingConnectInterrupt). The interrupt
 * created in EvtDriverDeviceAdd gets the first interrupt descriptor, and
 * WdfInterruptGetInfo reports it. */
static void test_start_order(void)
{
    km_test_result r = run(M_NORMAL, "interrupts=1", "random", 1);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(g_order, "PrepareHardware,D0Entry,Enable,PostInterruptsEnabled") == 0);
    if (strcmp(g_order, "PrepareHardware,D0Entry,Enable,PostInterruptsEnabled") != 0)
        fprintf(stderr, "order: %s\n", g_order);
    KCHECK(g_enable_irql == 5 && g_enable_locked);
    KCHECK(g_info.Size == sizeof(WDF_INTERRUPT_INFO) && g_info.Irql == 5 && g_info.Vector == 0x50 &&
           g_info.Mode == LevelSensitive && g_info.MessageNumber == 0 && g_info.ShareDisposition ==
           CmResourceShareShared && g_info.TargetProcessorSet == 3);
    KCHECK(g_isr_message == 0);
    /* Created in EvtDevicePrepareHardware from the lists' descriptors: the
     * same, and a latched line reports Latched. */
    r = run(M_PREPARE, "interrupts=1 interrupt_latched", "random", 1);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(g_order, "PrepareHardware,D0Entry,Enable,PostInterruptsEnabled") == 0);
    KCHECK(g_info.Irql == 5 && g_info.Mode == Latched);
    KCHECK(g_isr_claimed >= 1 && g_dpc_calls == 1);
}

/* The ISR runs at DIRQL with the interrupt lock held, on the processor the
 * tape chooses (both, over executions); QueueDpcForIsr queues the DPC once
 * (TRUE, then FALSE), which runs at DISPATCH_LEVEL after the ISR returned
 * and completes the request. */
static void test_isr_and_dpc(void)
{
    km_test_result r = run(M_NORMAL, "interrupts=1 no-spurious_interrupts", "random", 200);
    KEXPECT_CLEAN(r);
    KCHECK(t_cpu_mask == 3);
    KCHECK(g_isr_calls == 1 && g_isr_claimed == 1);
    KCHECK(g_isr_bad_level == 0 && g_isr_no_lock == 0);
    KCHECK(g_queue_first == TRUE && g_queue_second == FALSE);
    KCHECK(g_dpc_calls == 1 && g_dpc_bad == 0);
    r = run(M_NORMAL, "interrupts=1 no-spurious_interrupts", "dfs", 20000);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    printf("isr and dpc: DFS bound 2 exhausted after %ld executions\n", r.executions);
}

/* An ISR preempts the DPC mid-way on its processor (observed in some
 * executions); everything still completes. */
static void test_isr_preempts_dpc(void)
{
    km_test_result r = run_with(M_PREEMPT, "interrupts=1 no-spurious_interrupts", "random", 400, false);
    KEXPECT_CLEAN(r);
    KCHECK(t_isr_in_dpc > 0);
    printf("preempt: the ISR ran inside the DPC in %u of %ld executions\n", t_isr_in_dpc, r.executions);
}

/* WdfInterruptSynchronize excludes the ISR on every processor (DFS finds no
 * overlap); without it, DFS finds one. */
static void test_synchronize(void)
{
    km_test_result r = run(M_SYNC, "interrupts=1 no-spurious_interrupts", "dfs", 50000);
    KEXPECT_CLEAN(r);
    KCHECK(r.exhausted);
    printf("synchronize: DFS bound 2 exhausted after %ld executions\n", r.executions);
    r = run(M_NOSYNC, "interrupts=1 no-spurious_interrupts", "dfs", 50000);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "test: EvtIoRead's update overlapped the ISR");
    printf("no synchronize: overlap found in execution %ld\n", r.first_exec);
}

/* A level line interrupts again while asserted: the ISR that acknowledges
 * only at its third call runs three times. A latched line interrupts once. */
static void test_level_reinterrupt(void)
{
    km_test_result r = run(M_LATE_ACK, "interrupts=1 no-spurious_interrupts", "random", 50);
    KEXPECT_CLEAN(r);
    KCHECK(g_isr_calls == 3 && g_isr_claimed == 3);
    r = run(M_NO_ACK, "interrupts=1 interrupt_latched no-spurious_interrupts", "random", 50);
    KEXPECT_CLEAN(r);
    KCHECK(g_isr_calls == 1);
}

/* An ISR that never acknowledges its level-triggered device: an interrupt
 * storm, reported as a livelock with its own title. */
static void test_storm(void)
{
    km_test_result r = run(M_NO_ACK, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_LIVELOCK, "LIVELOCK INT1: EvtInterruptIsr: interrupt storm");
    KCHECK(strstr(r.first.message, "TRUE 32 times") != NULL);
    /* An ISR that never claims its device's level interrupt: the same storm. */
    r = run(M_NEVER_CLAIM, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_LIVELOCK, "LIVELOCK INT1: EvtInterruptIsr: interrupt storm");
    KCHECK(strstr(r.first.message, "FALSE 32 times") != NULL);
}

/* Spurious / shared-line interrupts reach the ISR with the device idle; the
 * ISR's FALSE is the right answer (no finding). Off, they never come. */
static void test_spurious(void)
{
    km_test_result r = run_with(M_NORMAL, "interrupts=1", "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(t_execs_with_unclaimed > 0);
    printf("spurious: %u unclaimed ISR calls in %u of %ld executions\n", t_unclaimed, t_execs_with_unclaimed,
           r.executions);
    r = run_with(M_NORMAL, "interrupts=1 no-spurious_interrupts", "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(t_unclaimed == 0);
}

/* KMDF DDIs allowed up to DISPATCH_LEVEL called from the ISR: bug check 0x9. */
static void test_dispatch_ddis_at_dirql(void)
{
    km_test_result r = run(M_COMPLETE_IN_ISR, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x9 INT2: WdfRequestComplete: called above DISPATCH_LEVEL");
    r = run(M_DMA_IN_ISR, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "BUGCHECK 0x9 INT2: WdfDmaTransactionDmaCompleted: called above DISPATCH_LEVEL");
}

/* WdfInterruptDisable: EvtInterruptDisable at DIRQL under the lock, and no
 * interrupt while disabled although the device asserts its line; enabled
 * again, the still-asserted line interrupts at once. */
static void test_disable_enable(void)
{
    km_test_result r = run(M_DISABLE, "interrupts=1", "random", 300);
    KEXPECT_CLEAN(r);
    KCHECK(g_isr_while_disabled == 0);
    KCHECK(g_disable_irql == 5 && g_disable_locked);
    KCHECK(g_isr_claimed == 1 && g_dpc_calls == 1);
    KCHECK(strstr(g_order, "PostInterruptsEnabled,Disable,Enable") != NULL);
    /* Disabled and enabled again in EvtDeviceD0EntryPostInterruptsEnabled:
     * connected again, the request's interrupt arrives. */
    r = run(M_POST_TOGGLE, "interrupts=1", "random", 100);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(g_order, "PrepareHardware,D0Entry,Enable,PostInterruptsEnabled,Disable,Enable") == 0);
    KCHECK(g_isr_claimed == 1 && g_dpc_calls == 1);
}

/* The interrupt lock: taken in the ISR, or twice, on the processor that
 * holds it: the engine's deadlock; released unheld: a crash; acquired and
 * released: DIRQL and back. */
static void test_lock_misuse(void)
{
    km_test_result r = run(M_ACQUIRE_IN_ISR, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "spin lock acquired again on the processor that holds it");
    r = run(M_ACQUIRE_TWICE, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_DEADLOCK, "spin lock acquired again on the processor that holds it");
    r = run(M_RELEASE_UNHELD, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH INT4: WdfInterruptReleaseLock: interrupt lock not held");
    r = run(M_ACQUIRE_RELEASE, "interrupts=1", "random", 20);
    KEXPECT_CLEAN(r);
    KCHECK(strstr(g_order, "Locked,Unlocked") != NULL);
    /* Above the interrupt's synchronize IRQL, taking its lock lowers IRQL:
     * bug check 0x9. Synchronizing with a disconnected interrupt: KMDF
     * passes a NULL KINTERRUPT to KeSynchronizeExecution. */
    r = run(M_ACQUIRE_HIGH, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "BUGCHECK 0x9 INT3: WdfInterruptAcquireLock: called above the interrupt's synchronize IRQL");
    r = run(M_SYNC_DISCONNECTED, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH INT5: WdfInterruptSynchronize: interrupt not connected");
}

/* EvtInterruptWorkItem: queued from the ISR (through the DPC, at DIRQL),
 * once, at PASSIVE_LEVEL. */
static void test_work_item(void)
{
    km_test_result r = run(M_WORKITEM, "interrupts=1", "random", 100);
    KEXPECT_CLEAN(r);
    KCHECK(g_wi_calls == 1 && g_wi_bad == 0 && g_dpc_calls == 0);
    KCHECK(g_queue_first == TRUE && g_queue_second == FALSE);
}

/* The other checks: INT6-INT12, each as KMDF makes it (verifier-gated where
 * KMDF's is), and the NP path and automatic serialisation. */
static void test_other_checks(void)
{
    km_test_result r = run(M_ENABLE_TWICE, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK INT7: WdfInterruptEnable: interrupt already connected");
    r = run(M_WI_NO_CALLBACK, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH INT8: WdfInterruptQueueWorkItemForIsr: no EvtInterruptWorkItem");
    r = run(M_LOCK_DISCONNECTED, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK INT6: WdfInterruptAcquireLock: interrupt not connected");
    r = run(M_LOCK_DISCONNECTED, "interrupts=1 no-verifier", "random", 20);
    KEXPECT_CLEAN(r); /* no lock taken, none released */
    r = run(M_TRY_LOCK, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK INT9: WdfInterruptTryToAcquireLock: not a passive-level");
    r = run(M_TRY_LOCK, "interrupts=1 no-verifier", "random", 5);
    KEXPECT_CLEAN(r);
    KCHECK(g_try_result == FALSE);
    r = run(M_INFO_SIZE, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK INT11: WdfInterruptGetInfo: wrong WDF_INTERRUPT_INFO size");
    r = run(M_POLICY, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK INT12: WdfInterruptSetPolicy: priority out of range");
    r = run(M_PREPARE_BAD, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK: EvtDevicePrepareHardware failed");
    KCHECK(strstr(r.first.message, "0xc000000d") != NULL); /* STATUS_INVALID_PARAMETER */
    r = run(M_PREPARE_BAD, "interrupts=1 no-verifier", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH INT10: WdfInterruptCreate: descriptor not from the resource lists");
    /* Not power pageable: WdfInterruptDisable leaves the interrupt connected
     * (only EvtInterruptDisable stops the device), so the device's assert
     * reaches the ISR in some executions. */
    r = run_with(M_NP_DISABLE, "interrupts=1 no-spurious_interrupts", "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(t_while_disabled > 0);
    r = run_with(M_DISABLE, "interrupts=1 no-spurious_interrupts", "random", 300, false);
    KEXPECT_CLEAN(r);
    KCHECK(t_while_disabled == 0);
    /* AutomaticSerialization with a Device scope: the DPC holds the device's
     * callback lock; without, it does not. */
    r = run(M_AUTOSER, "interrupts=1", "random", 50);
    KEXPECT_CLEAN(r);
    KCHECK(g_dpc_calls == 1 && g_dpc_locked == 1);
    r = run(M_NORMAL, "interrupts=1", "random", 50);
    KEXPECT_CLEAN(r);
    KCHECK(g_dpc_calls == 1 && g_dpc_locked == 0);
    /* A passive work item cannot serialise with the DISPATCH device lock
     * (fxobject.cpp _GetEffectiveLock): VF-BREAK SYNC. */
    r = run(M_AUTOSER_WI, "interrupts=1", "random", 5);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK,
                    "VF-BREAK SYNC: WdfInterruptCreate: execution level incompatible with the parent's callback lock");
}

/* Real-thread mode (the OS's schedule, dr_rt.c): the correct driver stays
 * clean, its ISR and DPC run, spurious interrupts included. */
static void test_real_threads(void)
{
    mode = M_NORMAL;
    km_env_defaults(&env);
    env.cancel = false;
    char err[256];
    km_env_parse(&env, "interrupts=1", err, sizeof err);
    int clean = 0, runs = 0;
    for (int i = 0; i < 50; i++) {
        dr_exec_result res;
        if (dr_rt_run(&scn, 2, 7, (uint64_t)i, 10.0, &res) != 0)
            break;
        runs++;
        if (res.finding.kind != DR_FIND_NONE) {
            fprintf(stderr, "real threads: %s: %s\n", res.finding.title, res.finding.message);
            break;
        }
        clean += g_isr_claimed == 1 && g_dpc_calls == 1;
    }
    dr_rt_shutdown();
    KCHECK(runs == 50);
    KCHECK(clean == 50);
}

int main(void)
{
    test_lines();
    test_start_order();
    test_isr_and_dpc();
    test_isr_preempts_dpc();
    test_synchronize();
    test_level_reinterrupt();
    test_storm();
    test_spurious();
    test_dispatch_ddis_at_dirql();
    test_disable_enable();
    test_lock_misuse();
    test_work_item();
    test_other_checks();
    test_real_threads();
    return km_test_done();
}
