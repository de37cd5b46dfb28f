/* test_reqtypes.c: the request types of issue 15 (km_reqbuf.c, km_iomgr.c,
 * km_envparse.c; docs/model-request.md). The I/O manager's mix (ioctls=,
 * internal_ioctls=, writes=) in order; each kind's parameters; the buffers of
 * a device control by method (METHOD_BUFFERED one system buffer for both,
 * OUT_DIRECT an MDL for the output, NEITHER refused from user mode and the
 * caller's pointers from kernel mode) with KMDF's statuses; the output copied
 * back for Information bytes; the buffers freed at completion (a write after
 * it is a use-after-free); V20 for a user-mode IOCTL's Information.
 * One driver whose EvtIoDefault runs the test's body on each request. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

#define IOCTL_BUF CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_OUT_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_IN_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_NEITHER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)

typedef void body_fn(WDFREQUEST Request);
static body_fn *body;
static km_env env;
static WDF_DEVICE_IO_TYPE io_type = WdfDeviceIoBuffered;

/* Per execution, reset by DriverEntry. */
static int order[KM_ENV_MAX_REQUESTS];
static int presented;
static WDF_REQUEST_PARAMETERS g_params;
static NTSTATUS g_st[8];
static PVOID g_p[8];
static size_t g_len[8];
static PMDL g_mdl[2];
static bool g_pattern_ok;
static uint8_t *g_user_out;
static size_t g_copied_back;

static VOID EvtIoDefault(WDFQUEUE Queue, WDFREQUEST Request)
{
    UNREFERENCED_PARAMETER(Queue);
    WDF_REQUEST_PARAMETERS_INIT(&g_params);
    WdfRequestGetParameters(Request, &g_params);
    if (presented < KM_ENV_MAX_REQUESTS)
        order[presented++] = g_params.Type;
    body(Request);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    WdfDeviceInitSetIoType(DeviceInit, io_type);
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoDefault = EvtIoDefault;
    return WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    presented = 0;
    memset(g_st, 0x7f, sizeof g_st);
    memset(g_p, 0, sizeof g_p);
    memset(g_len, 0x7f, sizeof g_len);
    g_mdl[0] = g_mdl[1] = NULL;
    g_pattern_ok = false;
    g_user_out = NULL;
    g_copied_back = 0;
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void) { km_world_start(&env, DriverEntry); }
static void check(void) { km_world_check(); }
static const dr_scenario scn = {"test-reqtypes", "request types", "clean", 2, 4, 1, setup, check, NULL, 0};

static void use(const char *settings)
{
    char err[160];
    km_env_defaults(&env);
    int rc = km_env_parse(&env, settings, err, sizeof err);
    KCHECK(rc == 0);
    if (rc)
        fprintf(stderr, "env '%s': %s\n", settings, err);
}

static bool pattern(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(0xA5 ^ i))
            return false;
    return true;
}

/* ---- bodies ---- */

static void body_complete(WDFREQUEST Request) { WdfRequestComplete(Request, STATUS_SUCCESS); }

/* METHOD_BUFFERED, in 16, out 32: one system buffer for both. */
static void body_buffered(WDFREQUEST Request)
{
    g_st[0] = WdfRequestRetrieveInputBuffer(Request, 16, &g_p[0], &g_len[0]);
    g_st[1] = WdfRequestRetrieveOutputBuffer(Request, 32, &g_p[1], &g_len[1]);
    g_st[2] = WdfRequestRetrieveOutputBuffer(Request, 33, &g_p[2], &g_len[2]);
    g_st[3] = WdfRequestRetrieveInputBuffer(Request, 17, &g_p[3], &g_len[3]);
    g_pattern_ok = NT_SUCCESS(g_st[0]) && pattern(g_p[0], 16);
    g_st[4] = WdfRequestRetrieveInputWdmMdl(Request, &g_mdl[0]);
    g_st[5] = WdfRequestRetrieveOutputWdmMdl(Request, &g_mdl[1]);
    if (NT_SUCCESS(g_st[1]))
        memset(g_p[1], 'X', 8);
    km_object *o = km_lookup(Request, KM_T_REQUEST, "test", false);
    g_user_out = o->u.req.user_out;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 8);
    g_copied_back = o->u.req.copied_back; /* the slot outlives the request in this execution */
}

/* METHOD_OUT_DIRECT, in 8, out one page. */
static void body_out_direct(WDFREQUEST Request)
{
    g_st[0] = WdfRequestRetrieveInputBuffer(Request, 0, &g_p[0], &g_len[0]);
    g_st[1] = WdfRequestRetrieveOutputBuffer(Request, 0, &g_p[1], &g_len[1]);
    g_st[4] = WdfRequestRetrieveInputWdmMdl(Request, &g_mdl[0]);
    g_st[5] = WdfRequestRetrieveOutputWdmMdl(Request, &g_mdl[1]);
    g_pattern_ok = NT_SUCCESS(g_st[0]) && pattern(g_p[0], 8);
    if (NT_SUCCESS(g_st[1]))
        memset(g_p[1], 0x11, g_len[1]);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 4096);
}

/* METHOD_NEITHER: the caller's pointers, for a kernel-mode requestor only. */
static void body_neither(WDFREQUEST Request)
{
    g_st[0] = WdfRequestRetrieveInputBuffer(Request, 0, &g_p[0], &g_len[0]);
    g_st[1] = WdfRequestRetrieveOutputBuffer(Request, 0, &g_p[1], &g_len[1]);
    g_st[4] = WdfRequestRetrieveInputWdmMdl(Request, &g_mdl[0]);
    g_st[5] = WdfRequestRetrieveOutputWdmMdl(Request, &g_mdl[1]);
    g_pattern_ok = NT_SUCCESS(g_st[0]) && pattern(g_p[0], 8);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

/* Zero-length buffers, and a read's input / a write's output. */
static void body_refusals(WDFREQUEST Request)
{
    int i = g_params.Type == WdfRequestTypeRead ? 0 : g_params.Type == WdfRequestTypeWrite ? 2 : 4;
    g_st[i] = WdfRequestRetrieveInputBuffer(Request, 0, &g_p[i], &g_len[i]);
    g_st[i + 1] = WdfRequestRetrieveOutputBuffer(Request, 0, &g_p[i + 1], &g_len[i + 1]);
    if (i == 4)
        g_st[6] = WdfRequestRetrieveOutputWdmMdl(Request, &g_mdl[0]);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

/* The output buffer written after completion. */
static void body_use_after(WDFREQUEST Request)
{
    PVOID out;
    if (!NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, 4, &out, NULL)))
        return;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 4);
    ((volatile UCHAR *)out)[0] = 1;
}

/* Information one past the output length. */
static void body_info_too_big(WDFREQUEST Request)
{
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 33);
}

/* WdfRequestRetrieveUnsafeUser*Buffer, outside EvtIoInCallerContext. */
static void body_unsafe(WDFREQUEST Request)
{
    g_st[0] = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0, &g_p[0], &g_len[0]);
    g_st[1] = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0, &g_p[1], &g_len[1]);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

/* A neither-I/O device's user-mode read. */
static void body_neither_read(WDFREQUEST Request)
{
    g_st[0] = WdfRequestRetrieveOutputBuffer(Request, 0, &g_p[0], &g_len[0]);
    g_p[1] = (PVOID)1;
    g_st[1] = WdfRequestRetrieveOutputWdmMdl(Request, (PMDL *)&g_p[1]);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

int main(void)
{
    km_test_result r;
    char err[160], text[256];

    /* ---- the environment's settings ---- */
    km_env e;
    km_env_defaults(&e);
    KCHECK(km_env_parse(&e, "requests=4 ioctls=2 internal_ioctls=1 ioctl=0x222003 ioctl_in=8 ioctl_out=1p", err,
                        sizeof err) == 0);
    KCHECK(e.ioctls == 2 && e.internal_ioctls == 1 && e.ioctl == 0x222003 && e.ioctl_in == 8 &&
           e.ioctl_out == 4096);
    km_env_describe(&e, text, sizeof text);
    KCHECK(strstr(text, "ioctls=2") && strstr(text, "internal_ioctls=1") && strstr(text, "ioctl=0x222003") &&
           strstr(text, "ioctl_in=8") && strstr(text, "ioctl_out=1p"));
    km_env e2;
    km_env_defaults(&e2);
    KCHECK(km_env_parse(&e2, text, err, sizeof err) == 0 && memcmp(&e, &e2, sizeof e) == 0);
    km_env_defaults(&e);
    KCHECK(km_env_parse(&e, "requests=2 ioctls=2 writes=1", err, sizeof err) == -1 && strstr(err, "at most"));
    km_env_defaults(&e);
    KCHECK(km_env_parse(&e, "ioctl=zz", err, sizeof err) == -1 && strstr(err, "bad code"));
    km_env_defaults(&e);
    KCHECK(km_env_parse(&e, "ioctl=0x100000000", err, sizeof err) == -1);
    km_env_defaults(&e);
    km_env_describe(&e, text, sizeof text);
    KCHECK(strcmp(text, "defaults") == 0); /* no new default differs */

    /* ---- the mix, in order: reads, device controls, internal ones, writes ---- */
    body = body_complete;
    use("requests=5 ioctls=1 internal_ioctls=2 writes=1 no-concurrent no-cancel");
    r = km_test_run(&scn, "random", 20, true);
    KEXPECT_CLEAN(r);
    KCHECK(presented == 5 && order[0] == WdfRequestTypeRead && order[1] == WdfRequestTypeDeviceControl &&
           order[2] == WdfRequestTypeDeviceControlInternal && order[3] == WdfRequestTypeDeviceControlInternal &&
           order[4] == WdfRequestTypeWrite);

    /* ---- METHOD_BUFFERED ---- */
    body = body_buffered;
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=16 ioctl_out=32 no-cancel", (unsigned)IOCTL_BUF);
    use(text);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_params.Type == WdfRequestTypeDeviceControl);
    KCHECK(g_params.Parameters.DeviceIoControl.IoControlCode == IOCTL_BUF);
    KCHECK(g_params.Parameters.DeviceIoControl.InputBufferLength == 16);
    KCHECK(g_params.Parameters.DeviceIoControl.OutputBufferLength == 32);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_len[0] == 16 && g_pattern_ok);
    KCHECK(g_st[1] == STATUS_SUCCESS && g_len[1] == 32 && g_p[1] == g_p[0]); /* one system buffer */
    KCHECK(g_st[2] == STATUS_BUFFER_TOO_SMALL && g_p[2] == NULL && g_len[2] == 0);
    KCHECK(g_st[3] == STATUS_BUFFER_TOO_SMALL && g_p[3] == NULL);
    /* m_AllocatedMdl: one MDL for both, built with the first call's length. */
    KCHECK(g_st[4] == STATUS_SUCCESS && g_st[5] == STATUS_SUCCESS && g_mdl[0] == g_mdl[1]);
    KCHECK(g_mdl[0] && MmGetMdlByteCount(g_mdl[0]) == 16 && MmGetMdlVirtualAddress(g_mdl[0]) == g_p[0]);
    /* Information bytes copied back to the caller's buffer, no more. */
    KCHECK(g_copied_back == 8 && g_user_out && memcmp(g_user_out, "XXXXXXXX", 8) == 0 && g_user_out[8] == 0);

    /* ---- METHOD_OUT_DIRECT: the output behind an MDL ---- */
    body = body_out_direct;
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=8 ioctl_out=1p no-cancel", (unsigned)IOCTL_OUT_DIRECT);
    use(text);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_len[0] == 8 && g_pattern_ok);
    KCHECK(g_st[1] == STATUS_SUCCESS && g_len[1] == 4096 && g_p[1] != g_p[0]);
    KCHECK(g_st[4] == STATUS_SUCCESS && MmGetMdlByteCount(g_mdl[0]) == 8);
    KCHECK(g_st[5] == STATUS_SUCCESS && g_mdl[1] != g_mdl[0] && MmGetMdlByteCount(g_mdl[1]) == 4096 &&
           MmGetMdlVirtualAddress(g_mdl[1]) == g_p[1]);

    /* ---- METHOD_NEITHER from user mode: refused; from kernel mode: the caller's pointers ---- */
    body = body_neither;
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=8 ioctl_out=64 no-cancel", (unsigned)IOCTL_NEITHER);
    use(text);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_DEVICE_REQUEST && g_st[1] == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(g_st[4] == STATUS_INVALID_DEVICE_REQUEST && g_st[5] == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(g_params.Parameters.DeviceIoControl.Type3InputBuffer != NULL);
    snprintf(text, sizeof text, "internal_ioctls=1 ioctl=%#x ioctl_in=8 ioctl_out=64 no-cancel",
             (unsigned)IOCTL_NEITHER);
    use(text);
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_params.Type == WdfRequestTypeDeviceControlInternal);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_len[0] == 8 && g_pattern_ok &&
           g_p[0] == g_params.Parameters.DeviceIoControl.Type3InputBuffer);
    KCHECK(g_st[1] == STATUS_SUCCESS && g_len[1] == 64 && g_p[1] != g_p[0]);
    KCHECK(g_st[4] == STATUS_INVALID_DEVICE_REQUEST && g_st[5] == STATUS_INVALID_DEVICE_REQUEST);

    /* ---- refusals: a read's input, a write's output, zero-length IOCTL buffers ---- */
    body = body_refusals;
    use("requests=3 ioctls=1 writes=1 ioctl_in=0 ioctl_out=0 no-concurrent no-cancel");
    r = km_test_run(&scn, "random", 10, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_DEVICE_REQUEST && g_st[1] == STATUS_SUCCESS); /* read */
    KCHECK(g_st[2] == STATUS_SUCCESS && g_st[3] == STATUS_INVALID_DEVICE_REQUEST); /* write */
    KCHECK(g_st[4] == STATUS_BUFFER_TOO_SMALL && g_st[5] == STATUS_BUFFER_TOO_SMALL); /* IOCTL, 0 and 0 */
    KCHECK(g_st[6] == STATUS_BUFFER_TOO_SMALL && g_p[4] == NULL && g_len[4] == 0);

    /* ---- the output buffer used after completion: freed with the IRP ---- */
    body = body_use_after;
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=4 ioctl_out=4 no-cancel", (unsigned)IOCTL_BUF);
    use(text);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free");
    KCHECK(km_test_title_has(&r, "request buffer"));
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=4 ioctl_out=4 no-cancel", (unsigned)IOCTL_OUT_DIRECT);
    use(text);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free");
    KCHECK(km_test_title_has(&r, "direct I/O output buffer"));

    /* ---- V20: Information past a user-mode IOCTL's output; not judged for internal ones ---- */
    body = body_info_too_big;
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=4 ioctl_out=32 no-cancel", (unsigned)IOCTL_BUF);
    use(text);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V20");
    snprintf(text, sizeof text, "internal_ioctls=1 ioctl=%#x ioctl_in=4 ioctl_out=32 no-cancel", (unsigned)IOCTL_BUF);
    use(text);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    (void)IOCTL_IN_DIRECT;

    /* ---- UnsafeUser*: only in EvtIoInCallerContext (the verifier breaks); without it NEITHER's pointers ---- */
    body = body_unsafe;
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=8 ioctl_out=16 no-cancel", (unsigned)IOCTL_NEITHER);
    use(text);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "REQCTX: WdfRequestRetrieveUnsafeUserInputBuffer");
    snprintf(text, sizeof text, "ioctls=1 ioctl=%#x ioctl_in=8 ioctl_out=16 no-cancel no-verifier no-enhanced_verifier",
             (unsigned)IOCTL_NEITHER);
    use(text);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_len[0] == 8 && g_st[1] == STATUS_SUCCESS && g_len[1] == 16 &&
           g_p[0] != g_p[1]);
    snprintf(text, sizeof text, "internal_ioctls=1 ioctl=%#x ioctl_in=8 ioctl_out=16 no-cancel no-verifier "
             "no-enhanced_verifier", (unsigned)IOCTL_NEITHER);
    use(text);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_DEVICE_REQUEST && g_st[1] == STATUS_INVALID_DEVICE_REQUEST);

    /* ---- a neither-I/O device's read: a break with the verifier, a NULL buffer without ---- */
    body = body_neither_read;
    io_type = WdfDeviceIoNeither;
    use("no-cancel");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "REQBUF: WdfRequestRetrieveOutputBuffer");
    use("no-cancel no-verifier no-enhanced_verifier");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_p[0] == NULL && g_len[0] == 3 * 4096);
    KCHECK(g_st[1] == STATUS_INVALID_DEVICE_REQUEST && g_p[1] == NULL);
    io_type = WdfDeviceIoBuffered;
    return km_test_done();
}
