/* test_memory.c: WDFMEMORY (km_memory.c) and driver-created requests
 * (km_reqcreate.c); docs/model-request.md. WdfMemoryCreate /
 * CreatePreallocated / AssignBuffer / GetBuffer, the bounds rules of
 * CopyToBuffer and CopyFromBuffer (IFxMemory::_CopyPtrToPtr), a request's
 * input and output memory (read-only for a write; a handle that dies with
 * the request), pool memory freed with its object; WdfRequestCreate with no
 * target, deleting it, completing it (V14 with the verifier, CRASH RQ1
 * without), WdfRequestGetStatus on it (RQ3), WdfRequestReuse's rules. One
 * driver whose EvtIoDefault runs the test's body. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

typedef void body_fn(WDFREQUEST Request);
static body_fn *body;
static km_env env;

static NTSTATUS g_st[16];
static PVOID g_p[4];
static size_t g_len[4];
static WDFMEMORY g_mem;

static bool g_create_in_add; /* EvtDeviceAdd makes a request of its own (REQ1) */

static VOID EvtIoDefault(WDFQUEUE Queue, WDFREQUEST Request)
{
    UNREFERENCED_PARAMETER(Queue);
    body(Request);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    if (g_create_in_add) {
        WDFREQUEST spare;
        if (!NT_SUCCESS(WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, NULL, &spare)))
            return STATUS_UNSUCCESSFUL;
    }
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoDefault = EvtIoDefault;
    return WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    memset(g_st, 0x7f, sizeof g_st);
    memset(g_p, 0, sizeof g_p);
    memset(g_len, 0, sizeof g_len);
    g_mem = NULL;
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void) { km_world_start(&env, DriverEntry); }
static void check(void) { km_world_check(); }
static const dr_scenario scn = {"test-memory", "WDFMEMORY", "clean", 2, 4, 1, setup, check, NULL, 0};

static void use(const char *settings)
{
    char err[160];
    km_env_defaults(&env);
    KCHECK(km_env_parse(&env, settings, err, sizeof err) == 0);
}

/* ---- bodies ---- */

static void body_pool(WDFREQUEST Request)
{
    WDFMEMORY m;
    PVOID buf = NULL;
    uint8_t local[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8] = {0};
    size_t size = 0;
    g_st[0] = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 'tseT', 64, &m, &buf);
    g_p[0] = WdfMemoryGetBuffer(m, &size);
    g_len[0] = size;
    g_p[1] = buf;
    g_st[1] = WdfMemoryCopyFromBuffer(m, 60, local, 4);  /* fits exactly */
    g_st[2] = WdfMemoryCopyFromBuffer(m, 61, local, 4);  /* one past: destination too small */
    g_st[3] = WdfMemoryCopyFromBuffer(m, 64, local, 1);  /* offset at the end */
    g_st[4] = WdfMemoryCopyToBuffer(m, 60, back, 4);     /* back what went in */
    g_st[5] = WdfMemoryCopyToBuffer(m, 60, back, 8);     /* past the source's end */
    g_st[6] = WdfMemoryCopyToBuffer(m, 64, back, 1);     /* offset at the end */
    g_st[7] = WdfMemoryCopyToBuffer(m, 0, back, 0);      /* zero bytes */
    g_st[8] = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 0, 0, &m, NULL);
    g_len[1] = memcmp(back, local, 4) == 0;
    WDFMEMORY pre;
    static uint8_t a[16], b[32];
    g_st[9] = WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, a, sizeof a, &pre);
    g_p[2] = WdfMemoryGetBuffer(pre, &size);
    g_len[2] = size;
    g_st[10] = WdfMemoryAssignBuffer(pre, b, sizeof b);
    g_p[3] = WdfMemoryGetBuffer(pre, &size);
    g_len[3] = size;
    g_st[11] = WdfMemoryAssignBuffer(pre, b, 0);
    WdfObjectDelete(pre);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void body_pool_after_delete(WDFREQUEST Request)
{
    WDFMEMORY m;
    PVOID buf;
    if (NT_SUCCESS(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 0, 32, &m, &buf))) {
        WdfObjectDelete(m);
        ((volatile UCHAR *)buf)[0] = 1;
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void body_assign_pool(WDFREQUEST Request)
{
    WDFMEMORY m;
    static uint8_t b[8];
    if (NT_SUCCESS(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 0, 32, &m, NULL)))
        (void)WdfMemoryAssignBuffer(m, b, sizeof b);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

/* A read's output memory and a write's input memory. */
static void body_request_memory(WDFREQUEST Request)
{
    WDF_REQUEST_PARAMETERS params;
    WDF_REQUEST_PARAMETERS_INIT(&params);
    WdfRequestGetParameters(Request, &params);
    WDFMEMORY m = NULL, m2 = NULL;
    uint8_t x[4] = {9, 9, 9, 9};
    size_t size = 0;
    if (params.Type == WdfRequestTypeRead) {
        g_st[0] = WdfRequestRetrieveOutputMemory(Request, &m);
        g_st[1] = WdfRequestRetrieveInputMemory(Request, &m2);
        g_p[0] = m ? WdfMemoryGetBuffer(m, &size) : NULL;
        g_len[0] = size;
        g_st[2] = m ? WdfMemoryCopyFromBuffer(m, 0, x, sizeof x) : -1;
        PVOID out = NULL;
        g_st[3] = WdfRequestRetrieveOutputBuffer(Request, 1, &out, NULL);
        g_p[1] = out;
    } else {
        g_st[4] = WdfRequestRetrieveInputMemory(Request, &m);
        g_st[5] = WdfRequestRetrieveOutputMemory(Request, &m2);
        g_p[2] = m ? WdfMemoryGetBuffer(m, &size) : NULL;
        g_len[2] = size;
    }
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0);
}

static void body_write_into_write(WDFREQUEST Request)
{
    WDFMEMORY m;
    uint8_t x[4] = {0};
    if (NT_SUCCESS(WdfRequestRetrieveInputMemory(Request, &m)))
        (void)WdfMemoryCopyFromBuffer(m, 0, x, sizeof x);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void body_memory_after_completion(WDFREQUEST Request)
{
    WDFMEMORY m;
    if (!NT_SUCCESS(WdfRequestRetrieveOutputMemory(Request, &m)))
        return;
    WdfRequestComplete(Request, STATUS_SUCCESS);
    (void)WdfMemoryGetBuffer(m, NULL);
}

/* WdfRequestCreate: made, reused, deleted. */
static void body_create(WDFREQUEST Request)
{
    WDFREQUEST mine = NULL;
    WDF_REQUEST_REUSE_PARAMS rp;
    g_st[0] = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, NULL, &mine);
    WDF_REQUEST_REUSE_PARAMS_INIT(&rp, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    g_st[1] = WdfRequestReuse(mine, &rp);
    rp.Size = 4;
    g_st[2] = WdfRequestReuse(mine, &rp);
    WDF_REQUEST_REUSE_PARAMS_INIT(&rp, 0x80, STATUS_SUCCESS);
    g_st[3] = WdfRequestReuse(mine, &rp);
    WDF_REQUEST_REUSE_PARAMS_INIT(&rp, WDF_REQUEST_REUSE_SET_NEW_IRP, STATUS_SUCCESS);
    g_st[4] = WdfRequestReuse(Request, &rp); /* the I/O manager's request */
    WDF_REQUEST_REUSE_PARAMS_INIT(&rp, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_DEVICE_BUSY);
    g_st[5] = WdfRequestReuse(Request, &rp);
    g_st[6] = WdfRequestGetStatus(Request);
    WdfObjectDelete(mine); /* the documented way to end it: no DR1 */
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void body_complete_created(WDFREQUEST Request)
{
    WDFREQUEST mine;
    if (NT_SUCCESS(WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, NULL, &mine)))
        WdfRequestComplete(mine, STATUS_SUCCESS);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void body_status_created(WDFREQUEST Request)
{
    WDFREQUEST mine;
    if (NT_SUCCESS(WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, NULL, &mine)))
        (void)WdfRequestGetStatus(mine);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static void body_forget(WDFREQUEST Request) { UNREFERENCED_PARAMETER(Request); }

static void body_must_complete(WDFREQUEST Request)
{
    WDFREQUEST mine;
    WDF_REQUEST_REUSE_PARAMS rp;
    WDF_REQUEST_REUSE_PARAMS_INIT(&rp, WDF_REQUEST_REUSE_MUST_COMPLETE, STATUS_SUCCESS);
    if (NT_SUCCESS(WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, NULL, &mine))) {
        g_st[0] = WdfRequestReuse(mine, &rp);
        WdfObjectDelete(mine);
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

int main(void)
{
    km_test_result r;

    /* ---- pool and preallocated memory, the copy bounds ---- */
    body = body_pool;
    use("no-cancel");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_p[0] && g_p[0] == g_p[1] && g_len[0] == 64);
    KCHECK(g_st[1] == STATUS_SUCCESS);
    KCHECK(g_st[2] == STATUS_INVALID_BUFFER_SIZE && g_st[3] == STATUS_INVALID_BUFFER_SIZE);
    KCHECK(g_st[4] == STATUS_SUCCESS && g_len[1] == 1);
    KCHECK(g_st[5] == STATUS_BUFFER_TOO_SMALL && g_st[6] == STATUS_BUFFER_TOO_SMALL);
    KCHECK(g_st[7] == STATUS_INVALID_PARAMETER && g_st[8] == STATUS_INVALID_PARAMETER);
    KCHECK(g_st[9] == STATUS_SUCCESS && g_len[2] == 16 && g_st[10] == STATUS_SUCCESS && g_len[3] == 32 &&
           g_p[3] != g_p[2]);
    KCHECK(g_st[11] == STATUS_INVALID_PARAMETER);

    /* pool memory goes with its object */
    body = body_pool_after_delete;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free");
    KCHECK(km_test_title_has(&r, "WDFMEMORY buffer"));

    /* AssignBuffer on memory that is not preallocated: the wrong handle type */
    body = body_assign_pool;
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V30: WdfMemoryAssignBuffer");

    /* ---- a request's memory ---- */
    body = body_request_memory;
    use("requests=2 writes=1 no-concurrent no-cancel request_length=256");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_st[1] == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(g_len[0] == 256 && g_p[0] && g_p[0] == g_p[1] && g_st[2] == STATUS_SUCCESS && g_st[3] == STATUS_SUCCESS);
    KCHECK(g_st[4] == STATUS_SUCCESS && g_st[5] == STATUS_INVALID_DEVICE_REQUEST && g_len[2] == 256);

    body = body_write_into_write; /* a write's buffer is read-only: IFxMemory::CopyFromPtr */
    use("requests=1 writes=1 no-cancel");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "MEM1");

    body = body_memory_after_completion; /* the handle dies with the request */
    use("no-cancel");
    r = km_test_run(&scn, "random", 5, true);
    KCHECK(r.findings > 0 && (r.first.kind == DR_FIND_CRASH || r.first.kind == DR_FIND_FRAMEWORK) &&
           km_test_title_has(&r, "WdfMemoryGetBuffer"));

    /* ---- WdfRequestCreate and WdfRequestReuse ---- */
    body = body_create;
    use("no-cancel");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_SUCCESS && g_st[1] == STATUS_SUCCESS);
    KCHECK(g_st[2] == STATUS_INVALID_PARAMETER && g_st[3] == STATUS_INVALID_PARAMETER);
    KCHECK(g_st[4] == STATUS_WDF_REQUEST_INVALID_STATE && g_st[5] == STATUS_SUCCESS);
    KCHECK(g_st[6] == STATUS_DEVICE_BUSY); /* the reused IRP's status */

    body = body_complete_created; /* never driver-owned: V14 with the verifier */
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V14: WdfRequestComplete");
    use("no-cancel no-verifier no-enhanced_verifier");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "RQ1: WdfRequestComplete");

    body = body_status_created; /* no IRP to read the status from */
    use("no-cancel");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "RQ3: WdfRequestGetStatus");

    body = body_must_complete; /* MUST_COMPLETE needs an IRP: a break, STATUS_INVALID_PARAMETER */
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "RQ2: WdfRequestReuse");
    use("no-cancel no-verifier no-enhanced_verifier");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_st[0] == STATUS_INVALID_PARAMETER);

    /* A lost completion names the request as the trace does: the driver's
     * own request made in EvtDeviceAdd is REQ1, the I/O manager's read REQ2. */
    body = body_forget;
    g_create_in_add = true;
    use("requests=1 no-cancel");
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "C8");
    KCHECK(strncmp(r.first.message, "REQ2 is ", 8) == 0);
    g_create_in_add = false;
    return km_test_done();
}
