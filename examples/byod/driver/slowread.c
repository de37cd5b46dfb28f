/* slowread.c: an example KMDF driver that lives outside dmarace
 * (examples/byod/README.md). Plain KMDF: only ntddk.h and wdf.h.
 *
 * A read is answered when the device "responds", which a device-wide timer
 * stands for; until then the read can be cancelled. One read at a time (a
 * sequential default queue). The timer and the cancel callback race for the
 * request: exactly one of them must complete it.
 *
 *  - Correct (this file): the timer unmarks the request while holding the
 *    lock that guards Current. If WdfRequestUnmarkCancelable says
 *    STATUS_CANCELLED, the cancel callback is coming (it waits for the lock)
 *    and will find the request in Current and complete it; otherwise the
 *    timer owns the request and completes it.
 *  - SLOWREAD_BUG (slowread_buggy.c compiles this file with it): the timer
 *    takes the request out of Current, drops the lock, unmarks, and ignores
 *    the result. When the cancel won, the timer completes a request whose
 *    cancellation is under way (verifier: 0x10D/V16).
 *
 * The two builds export different DriverEntry names, so one dmarace binary
 * can hold both. */
#include <ntddk.h>
#include <wdf.h>

#ifdef SLOWREAD_BUG
#define SLOWREAD_ENTRY SlowReadBuggyDriverEntry
#else
#define SLOWREAD_ENTRY SlowReadDriverEntry
#endif

typedef struct _SLOWREAD_DEVICE_CONTEXT {
    WDFSPINLOCK Lock;
    WDFTIMER Timer;
    WDFREQUEST Current; /* under Lock: the read in progress, marked cancelable */
    size_t Length;      /* under Lock: its length */
} SLOWREAD_DEVICE_CONTEXT, *PSLOWREAD_DEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SLOWREAD_DEVICE_CONTEXT, SlowReadGetDeviceContext)

DRIVER_INITIALIZE SLOWREAD_ENTRY;
static EVT_WDF_DRIVER_DEVICE_ADD SlowReadEvtDeviceAdd;
static EVT_WDF_IO_QUEUE_IO_READ SlowReadEvtIoRead;
static EVT_WDF_REQUEST_CANCEL SlowReadEvtRequestCancel;
static EVT_WDF_TIMER SlowReadEvtTimer;

static VOID SlowReadEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PSLOWREAD_DEVICE_CONTEXT ctx = SlowReadGetDeviceContext(WdfIoQueueGetDevice(Queue));
    NTSTATUS status;

    WdfSpinLockAcquire(ctx->Lock);
    status = WdfRequestMarkCancelableEx(Request, SlowReadEvtRequestCancel);
    if (NT_SUCCESS(status)) {
        ctx->Current = Request;
        ctx->Length = Length;
    }
    WdfSpinLockRelease(ctx->Lock);

    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status); /* cancelled before we could mark it */
        return;
    }
    WdfTimerStart(ctx->Timer, WDF_REL_TIMEOUT_IN_MS(10));
}

static VOID SlowReadEvtRequestCancel(WDFREQUEST Request)
{
    PSLOWREAD_DEVICE_CONTEXT ctx = SlowReadGetDeviceContext(WdfIoQueueGetDevice(WdfRequestGetIoQueue(Request)));
    BOOLEAN mine;

    WdfSpinLockAcquire(ctx->Lock);
    mine = ctx->Current == Request;
    if (mine)
        ctx->Current = NULL;
    WdfSpinLockRelease(ctx->Lock);

    if (mine)
        WdfRequestComplete(Request, STATUS_CANCELLED);
}

static VOID SlowReadEvtTimer(WDFTIMER Timer)
{
    PSLOWREAD_DEVICE_CONTEXT ctx = SlowReadGetDeviceContext(WdfTimerGetParentObject(Timer));
    WDFREQUEST request;
    size_t length;
    NTSTATUS status = STATUS_CANCELLED;

    WdfSpinLockAcquire(ctx->Lock);
    request = ctx->Current;
    length = ctx->Length;
#ifndef SLOWREAD_BUG
    if (request != NULL) {
        status = WdfRequestUnmarkCancelable(request);
        if (status != STATUS_CANCELLED)
            ctx->Current = NULL; /* ours now: no cancel callback will come */
    }
    WdfSpinLockRelease(ctx->Lock);
#else
    ctx->Current = NULL;
    WdfSpinLockRelease(ctx->Lock);
    if (request != NULL) {
        (VOID) WdfRequestUnmarkCancelable(request); /* BUG: STATUS_CANCELLED means the request is not ours */
        status = STATUS_SUCCESS;
    }
#endif

    if (request != NULL && status != STATUS_CANCELLED)
        WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, length);
}

static NTSTATUS SlowReadEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDF_TIMER_CONFIG timerConfig;
    PSLOWREAD_DEVICE_CONTEXT ctx;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, SLOWREAD_DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    ctx = SlowReadGetDeviceContext(device);

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = device;
    status = WdfSpinLockCreate(&attributes, &ctx->Lock);
    if (!NT_SUCCESS(status))
        return status;

    WDF_TIMER_CONFIG_INIT(&timerConfig, SlowReadEvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = device;
    status = WdfTimerCreate(&timerConfig, &attributes, &ctx->Timer);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchSequential);
    queueConfig.EvtIoRead = SlowReadEvtIoRead;
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}

NTSTATUS SLOWREAD_ENTRY(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, SlowReadEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
