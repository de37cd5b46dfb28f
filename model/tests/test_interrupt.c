/* test_interrupt.c: the device's interrupt lines (km_device.h, km_interrupt.c)
 * and WDFINTERRUPT. A tiny driver maps the device's registers and writes
 * them from EvtIoRead; a minimal device model asserts and deasserts interrupt
 * lines on those writes (register 0: bit 0 asserts line 0, bit 1 deasserts
 * it; register 4: asserts line 7, which the device lacks). */
#include "km.h"
#include "km_device.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

typedef enum {
    M_LINES,      /* assert line 0 and leave it asserted */
    M_LINES_OFF,  /* assert line 0, then deassert it */
    M_BAD_LINE,   /* assert a line the device lacks */
} imode;

enum { REG_LINE = 0, REG_BAD = 1 }; /* ULONG indexes */

static imode mode;
static km_env env;

static volatile ULONG *g_regs;
static bool g_asserted_at_start, g_asserted_at_end, g_asserted_after_write;

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
}

/* ---- the driver ------------------------------------------------------------------------------ */

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
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Raw);
    g_asserted_at_start = km_device_irq_asserted(0);
    ULONG n = WdfCmResourceListGetCount(Translated);
    for (ULONG i = 0; i < n; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(Translated, i);
        if (d->Type == CmResourceTypeMemory && !g_regs)
            g_regs = MmMapIoSpace(d->u.Memory.Start, d->u.Memory.Length, MmNonCached);
    }
    return g_regs ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    return km_test_device_queue(&DeviceInit, EvtPrepareHardware, WdfDeviceIoUndefined, EvtIoRead, &device, NULL);
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
    km_device_model m = {.on_write = dev_write};
    km_device_model_set(&m);
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    km_world_check();
    g_asserted_at_end = km_device_irq_asserted(0);
}

static const dr_scenario scn = {"test-interrupt", "interrupt lines and WDFINTERRUPT", "clean", 2, 2, 1,
                                setup, check, NULL, 0};

static km_test_result run(imode m, const char *settings, const char *strategy, long max)
{
    char err[256];
    mode = m;
    km_env_defaults(&env);
    env.cancel = false;
    if (km_env_parse(&env, settings, err, sizeof err) != 0)
        fprintf(stderr, "bad settings '%s': %s\n", settings, err);
    return km_test_run(&scn, strategy, max, true);
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

int main(void)
{
    test_lines();
    return km_test_done();
}
