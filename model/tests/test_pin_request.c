/* test_pin_request.c: request behaviour no other model test pins (issue 12,
 * the km_request.c survivors of scripts/mutate-model.sh): request parameters
 * and buffers, V14 on a request the driver does not own, V30 for a NULL
 * cancel routine, the cancelled-owned state, C5 from the I/O manager's
 * cancel, WdfRequestSetInformation, the C13 buffer oracle and V22. One small
 * driver whose EvtIoRead/EvtIoWrite does what the test's mode asks; for C13
 * it is a one-transfer system-DMA driver. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

typedef struct PIN_REQ_CTX {
    int cancel_runs;
} PIN_REQ_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(PIN_REQ_CTX, GetPinReqCtx)

typedef enum {
    P_PARAMS,               /* GetParameters and the Retrieve*Buffer outcomes, then complete */
    P_NOT_OWNED_MARK,       /* first request: MarkCancelableEx on the second, not yet presented */
    P_NOT_OWNED_UNMARK,     /* ... UnmarkCancelable on it */
    P_NOT_OWNED_IS_CANCELED, /* ... IsCanceled on it */
    P_NULL_CANCEL_EX,       /* MarkCancelableEx(Request, NULL) */
    P_NULL_CANCEL,          /* MarkCancelable(Request, NULL) */
    P_CANCEL_KEEPS,         /* MarkCancelableEx; EvtRequestCancel returns without completing */
    P_COMPLETE_CANCELABLE_REF, /* reference, MarkCancelableEx, complete without Unmark, dereference */
    P_SET_INFO,             /* SetInformation, GetInformation, complete */
    P_SET_INFO_TOO_BIG,     /* SetInformation(Length + 1), complete with success (V20) */
    P_IRP_UNREF,            /* white box: release an IRP reference never taken (V22) */
    P_DMA_PEEK,             /* DMA: read the buffer in EvtProgramDma (C13) */
    P_DMA_EDGES,            /* DMA: accesses right before and right after the buffer while the device owns it */
} pmode;

static pmode mode;
static km_env env;
static WDFDMAENABLER g_enabler;
static WDFDMATRANSACTION g_tx;

/* Per execution, reset by setup. */
static LONG g_arrivals;
static WDF_REQUEST_PARAMETERS g_params;
static size_t g_length;                 /* the Length EvtIo* was given */
static NTSTATUS g_st_small, g_st_exact, g_st_other;
static PVOID g_buf_small, g_buf_exact, g_buf_other;
static size_t g_len_small = 1; /* *Length after a failed Retrieve: 0, set on entry */
static size_t g_len_exact;
static ULONG_PTR g_info;
static volatile UCHAR *g_buf;           /* P_DMA_*: the request's buffer */
static size_t g_buf_len;

/* Across executions. */
static long n_cancel_ran, n_cancelled_owned;

#define INFO_VALUE 7

static VOID EvtCancelComplete(WDFREQUEST Request)
{
    GetPinReqCtx(Request)->cancel_runs++;
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

/* A cancel routine that leaves the completion to someone else (here: nobody,
 * so the execution ends in a lost completion; the test looks at the state). */
static VOID EvtCancelKeep(WDFREQUEST Request) { GetPinReqCtx(Request)->cancel_runs++; }

static VOID Params(WDFREQUEST Request, size_t Length, bool read)
{
    PVOID b;
    size_t l = 0;
    g_length = Length;
    WdfRequestGetParameters(Request, &g_params);
    b = (PVOID)1;
    l = 12345;
    g_st_small = read ? WdfRequestRetrieveOutputBuffer(Request, Length + 1, &b, &l)
                      : WdfRequestRetrieveInputBuffer(Request, Length + 1, &b, &l);
    g_buf_small = b;
    g_len_small = l;
    b = NULL;
    g_st_exact = read ? WdfRequestRetrieveOutputBuffer(Request, Length, &b, &l)
                      : WdfRequestRetrieveInputBuffer(Request, Length, &b, &l);
    g_buf_exact = b;
    g_len_exact = l;
    b = (PVOID)1;
    g_st_other = read ? WdfRequestRetrieveInputBuffer(Request, 1, &b, NULL)
                      : WdfRequestRetrieveOutputBuffer(Request, 1, &b, NULL);
    g_buf_other = b;
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

/* The second request of the world: created by the I/O manager, not yet
 * presented to the driver (white box: a driver could hold such a handle for
 * a request it found with WdfIoQueueFindRequest but has not retrieved, or
 * forwarded to another queue). */
static WDFREQUEST SecondRequest(void) { return (WDFREQUEST)km_handle(km_w.requests[1]); }

static BOOLEAN EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);
    if (mode == P_DMA_PEEK) {
        UCHAR first = g_buf[0]; /* the bug: the device owns the buffer until the final DmaCompleted */
        (void)first;
    } else if (mode == P_DMA_EDGES) {
        /* White box: the C13 observer sees the driver's accesses before the
         * poison check does; an access that ends exactly where the buffer
         * begins, or begins exactly where it ends, does not touch it. */
        km_request_access((const void *)(g_buf - 4), 4, false);
        km_request_access((const void *)(g_buf + g_buf_len), 4, true);
    }
    return TRUE;
}

static VOID EvtDmaDone(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                       WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS Status)
{
    NTSTATUS s = STATUS_SUCCESS;
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Direction);
    BOOLEAN final = Status == DmaComplete ? WdfDmaTransactionDmaCompleted(Transaction, &s)
                                          : WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &s);
    if (!final)
        return;
    size_t bytes = WdfDmaTransactionGetBytesTransferred(Transaction);
    WDFREQUEST req = WdfDmaTransactionGetRequest(Transaction);
    (void)WdfDmaTransactionRelease(Transaction);
    UCHAR first = g_buf[0]; /* after the final DmaCompleted the buffer is the driver's again */
    (void)first;
    WdfRequestCompleteWithInformation(req, s, bytes);
}

static VOID DmaRead(WDFREQUEST Request)
{
    PVOID b;
    size_t l;
    NTSTATUS s = WdfRequestRetrieveOutputBuffer(Request, 1, &b, &l);
    if (!NT_SUCCESS(s)) {
        WdfRequestComplete(Request, s);
        return;
    }
    g_buf = b;
    g_buf_len = l;
    s = WdfDmaTransactionInitializeUsingRequest(g_tx, Request, EvtProgramDma, WdfDmaDirectionReadFromDevice);
    if (!NT_SUCCESS(s)) {
        WdfRequestComplete(Request, s);
        return;
    }
    WdfDmaTransactionSetTransferCompleteCallback(g_tx, EvtDmaDone, NULL);
    s = WdfDmaTransactionExecute(g_tx, NULL);
    if (!NT_SUCCESS(s)) {
        (void)WdfDmaTransactionRelease(g_tx);
        WdfRequestComplete(Request, s);
    }
}

static VOID EvtIo(WDFREQUEST Request, size_t Length, bool read)
{
    NTSTATUS st;
    bool first = InterlockedIncrement(&g_arrivals) == 1;
    switch (mode) {
    case P_PARAMS:
        Params(Request, Length, read);
        return;
    case P_NOT_OWNED_MARK:
        if (first)
            (void)WdfRequestMarkCancelableEx(SecondRequest(), EvtCancelComplete);
        break;
    case P_NOT_OWNED_UNMARK:
        if (first)
            (void)WdfRequestUnmarkCancelable(SecondRequest());
        break;
    case P_NOT_OWNED_IS_CANCELED:
        if (first)
            (void)WdfRequestIsCanceled(SecondRequest());
        break;
    case P_NULL_CANCEL_EX:
        (void)WdfRequestMarkCancelableEx(Request, NULL);
        break;
    case P_NULL_CANCEL:
        WdfRequestMarkCancelable(Request, NULL);
        break;
    case P_CANCEL_KEEPS:
        if (WdfRequestMarkCancelableEx(Request, EvtCancelKeep) == STATUS_CANCELLED)
            break;
        return; /* only the cancel routine would complete it, and it does not */
    case P_COMPLETE_CANCELABLE_REF:
        /* The bug: completing while still cancelable (no Unmark), and the
         * driver's reference keeps the completed request's memory. */
        WdfObjectReference(Request);
        st = WdfRequestMarkCancelableEx(Request, EvtCancelComplete);
        WdfRequestComplete(Request, st == STATUS_CANCELLED ? STATUS_CANCELLED : STATUS_SUCCESS);
        WdfObjectDereference(Request);
        return;
    case P_SET_INFO:
        WdfRequestSetInformation(Request, INFO_VALUE);
        g_info = WdfRequestGetInformation(Request);
        break;
    case P_SET_INFO_TOO_BIG:
        WdfRequestSetInformation(Request, Length + 1);
        break;
    case P_IRP_UNREF:
        km_request_irp_unref(km_lookup(Request, KM_T_REQUEST, "test", false));
        break;
    case P_DMA_PEEK:
    case P_DMA_EDGES:
        DmaRead(Request);
        return;
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    EvtIo(Request, Length, true);
}

static VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    EvtIo(Request, Length, false);
}

static bool dma_mode(void) { return mode == P_DMA_PEEK || mode == P_DMA_EDGES; }

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
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    if (dma_mode()) {
        WDF_PNPPOWER_EVENT_CALLBACKS pnp;
        WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
        pnp.EvtDevicePrepareHardware = EvtPrepareHardware;
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
        WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    }
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, PIN_REQ_CTX);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attrs);
    st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    qc.EvtIoWrite = EvtIoWrite;
    st = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, NULL);
    if (!NT_SUCCESS(st) || !dma_mode())
        return st;
    WDF_DMA_ENABLER_CONFIG dc;
    WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileSystem, 16 * KM_PAGE_SIZE);
    st = WdfDmaEnablerCreate(device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &g_enabler);
    if (!NT_SUCCESS(st))
        return st;
    return WdfDmaTransactionCreate(g_enabler, WDF_NO_OBJECT_ATTRIBUTES, &g_tx);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void)
{
    g_arrivals = 0;
    memset(&g_params, 0, sizeof g_params);
    g_length = g_len_exact = g_buf_len = 0;
    g_st_small = g_st_exact = g_st_other = STATUS_PENDING;
    g_buf_small = g_buf_exact = g_buf_other = NULL;
    g_info = 0;
    g_buf = NULL;
    g_enabler = NULL;
    g_tx = NULL;
    km_world_start(&env, DriverEntry);
}

static void check(void)
{
    if (mode == P_CANCEL_KEEPS && !dr_failed()) {
        /* White box, before the lost-completion oracle ends the execution:
         * the state EvtRequestCancel left the request in. */
        km_object *r = km_world_request(0);
        if (r && GetPinReqCtx((WDFREQUEST)km_handle(r))->cancel_runs) {
            n_cancel_ran++;
            if (r->u.req.state == KM_REQ_CANCELLED_OWNED)
                n_cancelled_owned++;
            else
                fprintf(stderr, "after EvtRequestCancel returned, REQ1 is %s\n",
                        km_req_state_name(r->u.req.state));
        }
    }
    km_world_check();
}

static const dr_scenario scn = {"test-pin-request", "request model, pinned behaviour", "clean", 2, 4, 1, setup,
                                check, NULL, 0};

/* A quiet world: one request, verifier on, no cancellation, nothing from the
 * DMA hardware but success. Tests switch on what they need. */
static void use(pmode m)
{
    mode = m;
    km_env_defaults(&env);
    env.cancel = false;
    env.dma_error = env.dma_abort = false;
    env.short_mapping = false;
    env.deferred_adapter = false;
    env.sync_stop_callback = false;
}

/* fxrequestapi.cpp#WdfRequestGetParameters: FxRequest::GetParameters copies
 * the IRP stack location's Parameters (km/fxrequestkm.cpp asserts the two
 * layouts match), so Read.Length / Write.Length is the request's length;
 * #WdfRequestRetrieve-
 * OutputBuffer and #WdfRequestRetrieveInputBuffer: STATUS_INVALID_DEVICE_-
 * REQUEST on a write (output) or read (input) request, STATUS_BUFFER_TOO_SMALL
 * when the buffer is shorter than RequiredLength (so a RequiredLength equal
 * to the length succeeds), *Buffer NULL on every failure. */
static void test_parameters_and_buffers(void)
{
    static const WDF_REQUEST_TYPE types[] = {WdfRequestTypeRead, WdfRequestTypeWrite};
    for (size_t i = 0; i < 2; i++) {
        use(P_PARAMS);
        env.request_type = types[i];
        env.request_length = 3 * KM_PAGE_SIZE + 100;
        km_test_result r = km_test_run(&scn, "random", 5, true);
        KEXPECT_CLEAN(r);
        KCHECK(g_length == env.request_length);
        KCHECK(g_params.Type == types[i]);
        if (types[i] == WdfRequestTypeRead)
            KCHECK(g_params.Parameters.Read.Length == env.request_length);
        else
            KCHECK(g_params.Parameters.Write.Length == env.request_length);
        KCHECK(g_st_small == STATUS_BUFFER_TOO_SMALL);
        KCHECK(g_buf_small == NULL);
        KCHECK(g_len_small == 0); /* fxrequestapi.cpp WdfRequestRetrieveOutputBuffer: *Length = 0 on entry */
        KCHECK(g_st_exact == STATUS_SUCCESS);
        KCHECK(g_buf_exact != NULL);
        KCHECK(g_len_exact == env.request_length);
        KCHECK(g_st_other == STATUS_INVALID_DEVICE_REQUEST);
        KCHECK(g_buf_other == NULL);
    }
}

/* fxioqueue.cpp#VerifyRequestCancelable and fxrequestapi.cpp#Verify-
 * WdfRequestIsCanceled call FxRequest::VerifyRequestIsDriverOwned
 * (fxrequest.cpp): a request without FXREQUEST_FLAG_DRIVER_OWNED is a
 * verifier break (V14). Here the request is one the I/O manager has not
 * presented yet. */
static void test_v14_not_driver_owned(void)
{
    static const struct {
        pmode m;
        const char *title;
    } rows[] = {
        {P_NOT_OWNED_MARK, "VF-BREAK V14: WdfRequestMarkCancelableEx: request not owned by the driver"},
        {P_NOT_OWNED_UNMARK, "VF-BREAK V14: WdfRequestUnmarkCancelable: request not owned by the driver"},
        {P_NOT_OWNED_IS_CANCELED, "VF-BREAK V14: WdfRequestIsCanceled: request not owned by the driver"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        use(rows[i].m);
        env.requests = 2;
        env.concurrent = false; /* the second waits for the first's completion */
        km_test_result r = km_test_run(&scn, "random", 20, true);
        KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, rows[i].title);
        KCHECK(r.first_exec == 0);
    }
}

/* fxrequestapi.cpp#WdfRequestMarkCancelable and #WdfRequestMarkCancelableEx:
 * FxPointerNotNull(EvtRequestCancel), a WDF_REQUIRED_PARAMETER_IS_NULL
 * bugcheck in every build. */
static void test_null_cancel_routine(void)
{
    use(P_NULL_CANCEL_EX);
    env.verifier = false;
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x4 V30: WdfRequestMarkCancelableEx: NULL cancel routine");
    use(P_NULL_CANCEL);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "BUGCHECK 0x10D/0x4 V30: WdfRequestMarkCancelable: NULL cancel routine");
}

/* kmdf-model-spec.md section 3: when EvtRequestCancel returns without
 * completing the request, the driver owns it again (CANCELLED_OWNED) and
 * must complete it; nothing else will (the lost completion). */
static void test_cancelled_owned(void)
{
    use(P_CANCEL_KEEPS);
    env.cancel = true;
    n_cancel_ran = n_cancelled_owned = 0;
    km_test_result r = km_test_run(&scn, "random", 300, false);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "lost completion");
    KCHECK(n_cancel_ran > 0);
    KCHECK(n_cancelled_owned == n_cancel_ran);
}

/* R1/C5 without the verifier: a request completed while still cancelable,
 * its memory kept by the driver's reference; the I/O manager's IoCancelIrp,
 * already under way, then runs on the completed IRP. */
static void test_c5_io_cancel_after_completion(void)
{
    use(P_COMPLETE_CANCELABLE_REF);
    env.cancel = true;
    env.verifier = false;
    km_test_result r = km_test_find(&scn, 20000, "C5: IoCancelIrp");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH C5: IoCancelIrp: cancel of a request completed while cancelable");
    /* With the verifier the completion itself is the break (V16). */
    env.verifier = true;
    r = km_test_find(&scn, 20000, "V16");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V16: WdfRequestComplete");
}

/* fxrequestapi.cpp#WdfRequestSetInformation / #WdfRequestGetInformation: the
 * value lands in the IRP's IoStatus.Information, which the completion then
 * checks against the buffer (V20). */
static void test_set_information(void)
{
    use(P_SET_INFO);
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_CLEAN(r);
    KCHECK(g_info == INFO_VALUE);
    use(P_SET_INFO_TOO_BIG);
    r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BUGCHECK 0x10D/0x6 V20: WdfRequestComplete");
}

/* C13 (kmdf-model-spec.md 1.5): the buffer is the device's from Execute to
 * the final DmaCompleted*. Only clang builds see driver accesses
 * (docs/engine.md), so only they can report it. */
static void test_c13(void)
{
#if defined(__clang__)
    use(P_DMA_PEEK);
    env.request_length = KM_PAGE_SIZE;
    km_test_result r = km_test_run(&scn, "random", 20, true);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "C13 buffer touched while the device owns it");
    use(P_DMA_EDGES);
    env.request_length = KM_PAGE_SIZE;
    r = km_test_run(&scn, "random", 50, true);
    KEXPECT_CLEAN(r); /* neither edge access touches it; the read after the final DmaCompleted is fine */
#endif
}

/* fxrequest.cpp#FxRequest::ReleaseIrpReference: a count below zero ("Attempt
 * to release an IRP reference without adding one first") is a verifier
 * break. White box: the DMA model always pairs its references, so no DDI
 * sequence reaches it. */
static void test_v22_irp_reference(void)
{
    use(P_IRP_UNREF);
    km_test_result r = km_test_run(&scn, "random", 5, true);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK V22: ReleaseIrpReference: IRP reference count below zero");
}

int main(void)
{
    test_parameters_and_buffers();
    test_v14_not_driver_owned();
    test_null_cancel_routine();
    test_cancelled_owned();
    test_c5_io_cancel_after_completion();
    test_set_information();
    test_c13();
    test_v22_irp_reference();
    return km_test_done();
}
