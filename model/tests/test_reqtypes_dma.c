/* test_reqtypes_dma.c: WdfDmaTransactionInitializeUsingRequest on every
 * request kind (km_dma.c; fxdmatransactionapi.cpp; docs/model-request.md,
 * "DMA from a request"): reads and writes in their own direction only;
 * METHOD_BUFFERED both ways over the system buffer's MDL (input length to the
 * device, output length from it); IN_DIRECT to the device, OUT_DIRECT from it,
 * over the output MDL; METHOD_NEITHER a break. A packet-mode bus master
 * without DMA v3 refuses a length past the MDL (STATUS_INVALID_PARAMETER). */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

#define IOCTL_BUF CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_IN_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_OUT_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_NEITHER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)

static km_env env;
static WDFDMAENABLER g_en;
static WDFDMATRANSACTION g_tx;

/* Per execution: [0] ReadFromDevice, [1] WriteToDevice. */
static NTSTATUS g_st[2];
static size_t g_txlen[2];
static uint8_t *g_txbuf[2];
static PVOID g_in, g_out;

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    return TRUE;
}

static VOID EvtIoDefault(WDFQUEUE Queue, WDFREQUEST Request)
{
    UNREFERENCED_PARAMETER(Queue);
    g_in = g_out = NULL;
    (void)WdfRequestRetrieveInputBuffer(Request, 0, &g_in, NULL);
    (void)WdfRequestRetrieveOutputBuffer(Request, 0, &g_out, NULL);
    for (int d = 0; d < 2; d++) {
        WDF_DMA_DIRECTION dir = d ? WdfDmaDirectionWriteToDevice : WdfDmaDirectionReadFromDevice;
        g_st[d] = WdfDmaTransactionInitializeUsingRequest(g_tx, Request, EvtProgramDma, dir);
        if (NT_SUCCESS(g_st[d])) {
            km_object *t = km_lookup(g_tx, KM_T_DMATRANSACTION, "test", false);
            g_txlen[d] = t->u.tx.length;
            g_txbuf[d] = t->u.tx.buffer;
            (void)WdfDmaTransactionRelease(g_tx);
        }
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoDefault = EvtIoDefault;
    st = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
    if (!NT_SUCCESS(st))
        return st;
    WDF_DMA_ENABLER_CONFIG c;
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfilePacket, 64 * 1024);
    st = WdfDmaEnablerCreate(device, &c, WDF_NO_OBJECT_ATTRIBUTES, &g_en);
    if (!NT_SUCCESS(st))
        return st;
    return WdfDmaTransactionCreate(g_en, WDF_NO_OBJECT_ATTRIBUTES, &g_tx);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    g_st[0] = g_st[1] = (NTSTATUS)0x7fffffff;
    g_txlen[0] = g_txlen[1] = 0;
    g_txbuf[0] = g_txbuf[1] = NULL;
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void) { km_world_start(&env, DriverEntry); }
static void check(void) { km_world_check(); }
static const dr_scenario scn = {"test-reqtypes-dma", "DMA from requests", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run(const char *settings, unsigned code)
{
    char text[200], err[160];
    snprintf(text, sizeof text, "%s ioctl=%#x", settings, code);
    km_env_defaults(&env);
    int rc = km_env_parse(&env, text, err, sizeof err);
    KCHECK(rc == 0);
    if (rc)
        fprintf(stderr, "%s: %s\n", text, err);
    return km_test_run(&scn, "random", 3, true);
}

int main(void)
{
    km_test_result r;

    /* A write: to the device only, over its buffer. */
    r = run("writes=1 request_length=1p no-cancel", 0);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_DEVICE_REQUEST && g_st[1] == STATUS_SUCCESS);
    KCHECK(g_txlen[1] == 4096 && g_txbuf[1] == g_in);

    /* METHOD_BUFFERED: both ways over the system buffer; input length to the device, output length from it. */
    r = run("ioctls=1 ioctl_in=64 ioctl_out=16 no-cancel", IOCTL_BUF);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_txlen[0] == 16 && g_txbuf[0] == g_out);
    KCHECK(g_st[1] == STATUS_SUCCESS && g_txlen[1] == 64 && g_txbuf[1] == g_in);
    /* ... the MDL has the input length: reading more than that from a packet
     * enabler without DMA v3 is STATUS_INVALID_PARAMETER; no input at all,
     * no MDL: STATUS_BUFFER_TOO_SMALL. */
    r = run("ioctls=1 ioctl_in=16 ioctl_out=64 no-cancel", IOCTL_BUF);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_PARAMETER && g_st[1] == STATUS_SUCCESS && g_txlen[1] == 16);
    r = run("ioctls=1 ioctl_in=0 ioctl_out=64 no-cancel", IOCTL_BUF);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_BUFFER_TOO_SMALL && g_st[1] == STATUS_BUFFER_TOO_SMALL);

    /* OUT_DIRECT: from the device into the output MDL; IN_DIRECT: to the device from it. */
    r = run("ioctls=1 ioctl_in=8 ioctl_out=2p no-cancel", IOCTL_OUT_DIRECT);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_txlen[0] == 8192 && g_txbuf[0] == g_out && g_out != g_in);
    KCHECK(g_st[1] == STATUS_INVALID_DEVICE_REQUEST);
    r = run("internal_ioctls=1 ioctl_in=8 ioctl_out=1p no-cancel", IOCTL_IN_DIRECT);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(g_st[1] == STATUS_SUCCESS && g_txlen[1] == 4096 && g_txbuf[1] == g_out);

    /* METHOD_NEITHER: a break with the verifier, the status without it. */
    r = run("internal_ioctls=1 ioctl_in=8 ioctl_out=8 no-cancel", IOCTL_NEITHER);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "DMA-REQ: WdfDmaTransactionInitializeUsingRequest");
    r = run("internal_ioctls=1 ioctl_in=8 ioctl_out=8 no-cancel no-verifier no-enhanced_verifier",
            IOCTL_NEITHER);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_DEVICE_REQUEST && g_st[1] == STATUS_INVALID_DEVICE_REQUEST);
    return km_test_done();
}
