/* test_guard.c: guard zones and poison around the memory the model hands a
 * driver (km_object.c "the guarded arena", docs/model.md). A write past a
 * context of every object kind a driver can give one, and past a request's
 * buffer, is a crash finding before it happens; memory freed with its object
 * (kmdf-model-spec.md 1.11: the last reference gone; a request completed with
 * nothing else holding it, 1.15) is a use-after-free finding, and stays
 * quarantined until the execution ends; memory still held is no finding.
 * One small driver whose EvtIoRead does what the test asks. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

/* Every context type below is a multiple of its alignment, as every C type
 * is: the model places it so that its end meets the guard page. */
typedef struct DRV_CTX { ULONG a[3]; } DRV_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DRV_CTX, GetDrvCtx)
typedef struct DEV_CTX { WDFDMAENABLER enabler; ULONG slots[2]; } DEV_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEV_CTX, GetDevCtx)
typedef struct QUEUE_CTX { ULONG depth; } QUEUE_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(QUEUE_CTX, GetQueueCtx)
typedef struct REQ_CTX { size_t length; ULONG steps[2]; } REQ_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQ_CTX, GetReqCtx)
typedef struct EXTRA_CTX { UCHAR tag[5]; } EXTRA_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(EXTRA_CTX, GetExtraCtx)
typedef struct ENABLER_CTX { ULONGLONG max; } ENABLER_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(ENABLER_CTX, GetEnablerCtx)
typedef struct TX_CTX { PVOID request_ctx; ULONG transfers; ULONG pad; } TX_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TX_CTX, GetTxCtx)
typedef struct TIMER_CTX { WDFREQUEST request; } TIMER_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TIMER_CTX, GetTimerCtx)
typedef struct LOCK_CTX { USHORT owner; } LOCK_CTX;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(LOCK_CTX, GetLockCtx)

typedef enum {
    G_CLEAN,             /* touch every byte of the request context, complete */
    G_PAST_DRIVER,       /* one byte past the driver object's context */
    G_PAST_DEVICE,
    G_PAST_QUEUE,
    G_PAST_REQUEST,
    G_PAST_ALLOCATED,    /* past a second context from WdfObjectAllocateContext */
    G_PAST_ENABLER,
    G_PAST_TX,
    G_PAST_TIMER,
    G_PAST_LOCK,
    G_PAST_BUFFER,       /* one byte past the request's buffer */
    G_READ_PAST_REQUEST, /* a read, not a write */
    G_BEFORE_REQUEST,    /* one byte before the request context */
    G_UAF_REQUEST,       /* read the request context after WdfRequestComplete */
    G_UAF_BUFFER,        /* read the request buffer after WdfRequestComplete */
    G_UAF_TX,            /* read a transaction's context after WdfObjectDelete */
    G_UAF_RACE,          /* a timer on another processor completes the request while EvtIoRead reads its context */
    G_UAF_INTERLOCKED,   /* InterlockedDecrement on the request context after WdfRequestComplete */
    G_HELD_REFERENCE,    /* WdfObjectReference, complete, read, dereference: no finding */
    G_HELD_THEN_RELEASED, /* as G_HELD_REFERENCE, then read again after the dereference */
    G_STALE_PREVIOUS,    /* REQ2 reads REQ1's context (freed in this execution) */
} guard_mode;

static guard_mode mode;
static WDFDRIVER g_driver;
static WDFQUEUE g_queue;
static WDFDEVICE g_device;
static PVOID g_req_ctx_addr;          /* where REQ1's context was, per execution */
static volatile REQ_CTX *g_prev_ctx;  /* the previous request's context (G_STALE_PREVIOUS) */
static volatile ULONG sink;

static void poke_past(void *ctx, size_t size) { ((volatile UCHAR *)ctx)[size] = 1; }

static VOID EvtTimer(WDFTIMER Timer)
{
    TIMER_CTX *t = GetTimerCtx(Timer);
    if (t->request)
        WdfRequestComplete(t->request, STATUS_SUCCESS);
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    REQ_CTX *ctx = GetReqCtx(Request);
    WDF_OBJECT_ATTRIBUTES a;
    PVOID buffer = NULL;
    size_t length = 0;

    UNREFERENCED_PARAMETER(Queue);
    if (!g_req_ctx_addr)
        g_req_ctx_addr = ctx;
    ctx->length = Length;
    ctx->steps[0] = ctx->steps[1] = 1;

    switch (mode) {
    case G_CLEAN:
        sink = (ULONG)ctx->length + ctx->steps[1];
        break;
    case G_PAST_DRIVER:
        poke_past(GetDrvCtx(g_driver), sizeof(DRV_CTX));
        break;
    case G_PAST_DEVICE:
        poke_past(GetDevCtx(g_device), sizeof(DEV_CTX));
        break;
    case G_PAST_QUEUE:
        poke_past(GetQueueCtx(Queue), sizeof(QUEUE_CTX));
        break;
    case G_PAST_REQUEST:
        poke_past(ctx, sizeof *ctx);
        break;
    case G_PAST_ALLOCATED: {
        EXTRA_CTX *extra = NULL;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, EXTRA_CTX);
        if (NT_SUCCESS(WdfObjectAllocateContext(Request, &a, (PVOID *)&extra)) && extra == GetExtraCtx(Request))
            poke_past(extra, sizeof *extra);
        break;
    }
    case G_PAST_ENABLER:
        poke_past(GetEnablerCtx(GetDevCtx(g_device)->enabler), sizeof(ENABLER_CTX));
        break;
    case G_PAST_TX:
    case G_UAF_TX: {
        WDFDMATRANSACTION tx;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, TX_CTX);
        if (!NT_SUCCESS(WdfDmaTransactionCreate(GetDevCtx(g_device)->enabler, &a, &tx)))
            break;
        TX_CTX *t = GetTxCtx(tx);
        t->request_ctx = ctx;
        if (mode == G_PAST_TX)
            poke_past(t, sizeof *t);
        WdfObjectDelete(tx);
        if (mode == G_UAF_TX)
            sink = t->transfers; /* the transaction is gone: nothing else held it */
        break;
    }
    case G_PAST_TIMER: {
        WDF_TIMER_CONFIG tc;
        WDFTIMER timer;
        WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, TIMER_CTX);
        a.ParentObject = g_device;
        if (NT_SUCCESS(WdfTimerCreate(&tc, &a, &timer))) {
            poke_past(GetTimerCtx(timer), sizeof(TIMER_CTX));
            WdfObjectDelete(timer);
        }
        break;
    }
    case G_PAST_LOCK: {
        WDFSPINLOCK lock;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, LOCK_CTX);
        a.ParentObject = Request;
        if (NT_SUCCESS(WdfSpinLockCreate(&a, &lock)))
            poke_past(GetLockCtx(lock), sizeof(LOCK_CTX));
        break;
    }
    case G_PAST_BUFFER:
        if (NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, 1, &buffer, &length)))
            poke_past(buffer, length);
        break;
    case G_READ_PAST_REQUEST:
        sink = ((volatile UCHAR *)ctx)[sizeof *ctx];
        break;
    case G_BEFORE_REQUEST:
        ((volatile UCHAR *)ctx)[-1] = 1;
        break;
    case G_UAF_REQUEST:
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
        sink = ((volatile REQ_CTX *)ctx)->steps[0];
        return;
    case G_UAF_RACE: {
        /* The context is freed during the read's scheduling point (another
         * processor's timer DPC completes the request): the read is the
         * finding. */
        WDF_TIMER_CONFIG tc;
        WDFTIMER timer;
        WDF_TIMER_CONFIG_INIT(&tc, EvtTimer);
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, TIMER_CTX);
        a.ParentObject = g_device;
        if (!NT_SUCCESS(WdfTimerCreate(&tc, &a, &timer)))
            break;
        GetTimerCtx(timer)->request = Request;
        WdfTimerStart(timer, WDF_REL_TIMEOUT_IN_MS(1));
        /* The only scheduling point between the start and the read is the
         * read's own. */
        ULONG v = ((volatile REQ_CTX *)ctx)->steps[0];
        sink = v;
        return;
    }
    case G_UAF_INTERLOCKED:
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
        InterlockedDecrement((LONG volatile *)&ctx->steps[1]); /* atomics are not seen by the access hooks */
        return;
    case G_UAF_BUFFER:
        if (!NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, 1, &buffer, &length)))
            break;
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
        sink = ((volatile UCHAR *)buffer)[0];
        return;
    case G_HELD_REFERENCE:
    case G_HELD_THEN_RELEASED:
        WdfObjectReference(Request);
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
        sink = ((volatile REQ_CTX *)ctx)->steps[0]; /* still held: no finding */
        ((volatile REQ_CTX *)ctx)->steps[1] = 2;
        WdfObjectDereference(Request);
        if (mode == G_HELD_THEN_RELEASED)
            sink = (ULONG)((volatile REQ_CTX *)ctx)->length; /* the last reference is gone */
        return;
    case G_STALE_PREVIOUS:
        if (g_prev_ctx)
            sink = g_prev_ctx->steps[0]; /* the previous request was completed and freed */
        g_prev_ctx = ctx;
        break;
    }
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_DMA_ENABLER_CONFIG dc;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, REQ_CTX);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &a);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, DEV_CTX);
    st = WdfDeviceCreate(&DeviceInit, &a, &g_device);
    if (!NT_SUCCESS(st))
        return st;
    WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileSystem, 64 * 1024);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, ENABLER_CTX);
    st = WdfDmaEnablerCreate(g_device, &dc, &a, &GetDevCtx(g_device)->enabler);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoRead = EvtIoRead;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, QUEUE_CTX);
    return WdfIoQueueCreate(g_device, &qc, &a, &g_queue);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES a;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, DRV_CTX);
    return WdfDriverCreate(DriverObject, RegistryPath, &a, &config, &g_driver);
}

static km_env env;

static void setup(void)
{
    g_req_ctx_addr = NULL;
    g_prev_ctx = NULL;
    km_world_start(&env, DriverEntry);
}

static void check(void) { km_world_check(); }

static const dr_scenario scn = {"test-guard", "guard zones and poison", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run_mode(guard_mode m, unsigned requests, long max)
{
    mode = m;
    km_env_defaults(&env);
    env.cancel = false;
    env.requests = requests;
    /* REQ2 reads REQ1's context: REQ2 is sent after REQ1 completed (requests
     * sent at once may be presented in either order). */
    env.concurrent = m != G_STALE_PREVIOUS;
    return km_test_run(&scn, "random", max, true);
}

#define EXPECT_MODE(m, kind, title)                                                                       \
    do {                                                                                                  \
        km_test_result r_ = run_mode((m), 1, 5);                                                          \
        KEXPECT_FINDING(r_, (kind), (title));                                                             \
        KCHECK(r_.first_exec == 0);                                                                       \
    } while (0)

/* A write one byte past a context of every object kind is a crash finding
 * (in the first execution: nothing depends on the interleaving). */
static void test_write_past_every_context(void)
{
    static const struct {
        guard_mode mode;
        const char *type;
    } kinds[] = {
        {G_PAST_DRIVER, "of type DRV_CTX (12 bytes)"},   {G_PAST_DEVICE, "of type DEV_CTX (16 bytes)"},
        {G_PAST_QUEUE, "of type QUEUE_CTX (4 bytes)"},   {G_PAST_REQUEST, "of type REQ_CTX (16 bytes)"},
        {G_PAST_ALLOCATED, "of type EXTRA_CTX (5 bytes)"}, {G_PAST_ENABLER, "of type ENABLER_CTX (8 bytes)"},
        {G_PAST_TX, "of type TX_CTX (16 bytes)"},        {G_PAST_TIMER, "of type TIMER_CTX (8 bytes)"},
        {G_PAST_LOCK, "of type LOCK_CTX (2 bytes)"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        km_test_result r = run_mode(kinds[i].mode, 1, 5);
        KEXPECT_FINDING(r, DR_FIND_CRASH, "heap-buffer-overflow: write past a WDF context");
        KCHECK(r.first_exec == 0);
        KCHECK(strstr(r.first.message, kinds[i].type) != NULL);
        KCHECK(strstr(r.first.message, "0 bytes past the end of") != NULL);
    }
}

static void test_past_buffer_and_reads(void)
{
    EXPECT_MODE(G_PAST_BUFFER, DR_FIND_CRASH, "heap-buffer-overflow: write past a request buffer");
    EXPECT_MODE(G_READ_PAST_REQUEST, DR_FIND_CRASH, "heap-buffer-overflow: read past a WDF context");
#if defined(__clang__)
    /* Before the context is the same page: only the access hooks see it
     * (gcc builds have none; docs/model.md). */
    EXPECT_MODE(G_BEFORE_REQUEST, DR_FIND_CRASH, "heap-buffer-overflow: write before a WDF context");
#endif
}

/* Memory freed with its object is a use-after-free finding. */
static void test_use_after_free(void)
{
    km_test_result r = run_mode(G_UAF_REQUEST, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free: read of a freed WDF context");
    KCHECK(r.first_exec == 0);
    KCHECK(strstr(r.first.message, "REQ1's WDF context of type REQ_CTX") != NULL);
    KCHECK(strstr(r.first.message, "freed at step") != NULL);
    EXPECT_MODE(G_UAF_BUFFER, DR_FIND_CRASH, "use-after-free: read of a freed request buffer");
    EXPECT_MODE(G_UAF_TX, DR_FIND_CRASH, "use-after-free: read of a freed WDF context");
#if defined(__clang__)
    /* Freed while the driver was at the scheduling point of its own read:
     * the check comes after that point, right before the access. (gcc
     * builds have no scheduling points at driver accesses: nothing can free
     * the request there.) */
    r = run_mode(G_UAF_RACE, 1, 500);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free: read of a freed WDF context");
#endif
    r = run_mode(G_UAF_INTERLOCKED, 1, 5);
    KCHECK(r.first.kind == DR_FIND_CRASH && km_test_title_has(&r, "use-after-free: ") &&
           km_test_title_has(&r, " a freed WDF context"));
    KCHECK(strstr(r.first.message, "at offset 12 of REQ1's") != NULL);
}

/* Memory still held (a reference on the completed request) is no finding,
 * in any interleaving; it is freed, and poisoned, when the last reference
 * goes, not before: the first finding is the read after the dereference (at
 * offset 0), never the reads and writes while held (offsets 8 and 12). */
static void test_held_is_clean(void)
{
    km_test_result r = run_mode(G_HELD_REFERENCE, 2, 200);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 200);
    r = run_mode(G_CLEAN, 3, 200);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 200);
    r = run_mode(G_HELD_THEN_RELEASED, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free: read of a freed WDF context");
    KCHECK(r.first_exec == 0);
    KCHECK(strstr(r.first.message, "at offset 0 of REQ1's") != NULL);
}

/* Freed memory is quarantined for the rest of the execution (REQ2 never gets
 * REQ1's memory, so REQ1's stale pointer still finds it poisoned), and the
 * quarantine ends with the execution: the next one gets the same memory
 * back, clean. */
static void test_quarantine(void)
{
    km_test_result r = run_mode(G_STALE_PREVIOUS, 2, 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free: read of a freed WDF context");
    KCHECK(r.first_exec == 0);
    KCHECK(strstr(r.first.message, "REQ1's") != NULL);

    r = run_mode(G_UAF_REQUEST, 1, 1);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free");
    PVOID freed_at = g_req_ctx_addr;
    r = run_mode(G_CLEAN, 1, 20);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 20);
    KCHECK(g_req_ctx_addr == freed_at); /* the same memory, no longer poisoned */
}

int main(void)
{
    test_write_past_every_context();
    test_past_buffer_and_reads();
    test_use_after_free();
    test_held_is_clean();
    test_quarantine();
    return km_test_done();
}
