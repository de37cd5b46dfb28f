/* park.c: reads that wait for a device event (an inverted call), the way a
 * driver that serves notifications keeps them: EvtIoRead forwards each read
 * to a manual queue and then collects what that queue holds into the
 * driver's own list, each read marked cancelable. In this world the event
 * never comes: every read ends by its cancellation, or is answered when the
 * device powers down (acknowledged and requeued to the manual queue, which
 * KMDF purges at removal) or is removed (completed with STATUS_CANCELLED).
 * Plain KMDF driver code: only ntddk.h and wdf.h.
 *
 * Ownership: a read is the driver's from WdfIoQueueRetrieveNextRequest on.
 * Whoever takes it out of the list under the device's lock answers it,
 * except that a read whose WdfRequestUnmarkCancelable returned
 * STATUS_CANCELLED is its EvtRequestCancel's to complete. EvtIoStop may come
 * while the read is between the retrieval and the list (KMDF calls it for
 * every read the driver owns, fxioqueue.cpp FxIoQueue::ProcessPowerEvents):
 * it then leaves a note, and the collector answers. Variants: park.h. */
#include <ntddk.h>
#include <wdf.h>

#include "park.h"

PARK_VARIANT ParkVariant = PARK_CORRECT;

typedef struct _PARK_REQUEST_CONTEXT {
    struct _PARK_DEVICE_CONTEXT *DevCtx; /* written by EvtIoRead before anything else can run */
    /* under the device's Lock */
    bool Held;          /* in the list (and marked cancelable, except for PARK_FORGETS_AT_REMOVAL) */
    bool StopAsked;     /* EvtIoStop came before the collector listed it */
    bool Taken;         /* EvtIoStop took it out of the list and is unmarking it */
    bool CancelArrived; /* EvtRequestCancel ran while Taken: the stop path completes */
    bool UnmarkFailed;  /* EvtIoStop's Unmark said STATUS_CANCELLED first: EvtRequestCancel completes */
    ULONG StopFlags;    /* ... with these ActionFlags */
} PARK_REQUEST_CONTEXT, *PPARK_REQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(PARK_REQUEST_CONTEXT, ParkGetRequestContext)

typedef struct _PARK_DEVICE_CONTEXT {
    WDFQUEUE Manual;
    WDFSPINLOCK Lock;
    /* under Lock */
    WDFREQUEST Held[PARK_MAX_HELD];
    ULONG NHeld;
} PARK_DEVICE_CONTEXT, *PPARK_DEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(PARK_DEVICE_CONTEXT, ParkGetDeviceContext)

static EVT_WDF_IO_QUEUE_IO_READ ParkEvtIoRead;
static EVT_WDF_IO_QUEUE_IO_STOP ParkEvtIoStop;
static EVT_WDF_REQUEST_CANCEL ParkEvtRequestCancel;
static EVT_WDF_DRIVER_DEVICE_ADD ParkEvtDeviceAdd;

/* Under the lock. */
static bool TakeHeld(PPARK_DEVICE_CONTEXT devCtx, WDFREQUEST Request)
{
    ULONG i;
    for (i = 0; i < devCtx->NHeld; i++) {
        if (devCtx->Held[i] == Request) {
            devCtx->Held[i] = devCtx->Held[--devCtx->NHeld];
            ParkGetRequestContext(Request)->Held = false;
            return true;
        }
    }
    return false;
}

/* Answer an EvtIoStop for a read this caller owns (out of the list, not
 * cancelable): before a power-down, back to the manual queue; at removal,
 * completed. */
static VOID Answer(WDFREQUEST Request, ULONG ActionFlags)
{
    if (ActionFlags & WdfRequestStopActionSuspend)
        WdfRequestStopAcknowledge(Request, TRUE);
    else
        WdfRequestComplete(Request, STATUS_CANCELLED);
}

/* Listed: ours to complete. Taken by EvtIoStop: ours only if its Unmark
 * already failed; otherwise EvtIoStop's Unmark will fail and it completes. */
static VOID ParkEvtRequestCancel(WDFREQUEST Request)
{
    PPARK_REQUEST_CONTEXT ctx = ParkGetRequestContext(Request);
    PPARK_DEVICE_CONTEXT devCtx = ctx->DevCtx;
    bool complete;

    WdfSpinLockAcquire(devCtx->Lock);
    complete = TakeHeld(devCtx, Request) || !ctx->Taken || ctx->UnmarkFailed;
    if (!complete)
        ctx->CancelArrived = true;
    ctx->Taken = ctx->UnmarkFailed = false;
    WdfSpinLockRelease(devCtx->Lock);
    if (complete)
        WdfRequestComplete(Request, STATUS_CANCELLED);
}

/* Move what the manual queue holds into the list. */
static VOID Collect(PPARK_DEVICE_CONTEXT devCtx)
{
    WDFREQUEST request;
    PPARK_REQUEST_CONTEXT ctx;
    NTSTATUS status;
    bool answer, cancelled;
    ULONG flags;

    while (NT_SUCCESS(WdfIoQueueRetrieveNextRequest(devCtx->Manual, &request))) {
        ctx = ParkGetRequestContext(request);
        answer = cancelled = false;
        flags = 0;
        /* MarkCancelableEx never calls EvtRequestCancel itself (it returns
         * STATUS_CANCELLED instead), so it may be called under the lock. */
        WdfSpinLockAcquire(devCtx->Lock);
        if (ctx->StopAsked) {
            answer = true;
            flags = ctx->StopFlags;
            ctx->StopAsked = false;
        } else if (devCtx->NHeld == PARK_MAX_HELD) {
            cancelled = true; /* no room: refused below */
        } else {
            status = ParkVariant == PARK_FORGETS_AT_REMOVAL ? STATUS_SUCCESS
                                                            : WdfRequestMarkCancelableEx(request, ParkEvtRequestCancel);
            if (NT_SUCCESS(status)) {
                ctx->Held = true;
                devCtx->Held[devCtx->NHeld++] = request;
            } else {
                cancelled = true;
            }
        }
        WdfSpinLockRelease(devCtx->Lock);
        if (answer)
            Answer(request, flags);
        else if (cancelled)
            WdfRequestComplete(request, STATUS_CANCELLED);
    }
}

static VOID ParkEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PPARK_DEVICE_CONTEXT devCtx = ParkGetDeviceContext(WdfIoQueueGetDevice(Queue));
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Length);

    ParkGetRequestContext(Request)->DevCtx = devCtx;
    status = WdfRequestForwardToIoQueue(Request, devCtx->Manual);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    if (ParkVariant == PARK_COMPLETES_FORWARDED) {
        /* BUG (busted-park-completes-forwarded): "forwarded, so it is
         * accepted: done with it". The read now belongs to the manual
         * queue, not to this driver. */
        WdfRequestComplete(Request, STATUS_SUCCESS);
    }
    Collect(devCtx);
}

static VOID ParkEvtIoStop(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags)
{
    PPARK_DEVICE_CONTEXT devCtx = ParkGetDeviceContext(WdfIoQueueGetDevice(Queue));
    PPARK_REQUEST_CONTEXT ctx = ParkGetRequestContext(Request);
    bool mine;

    if (ParkVariant == PARK_STOP_IGNORED) {
        /* BUG (busted-park-stop-ignored): "the reads wait for the device;
         * nothing to do". Neither acknowledged nor completed: the power-down
         * waits for it for ever. */
        return;
    }

    WdfSpinLockAcquire(devCtx->Lock);
    mine = TakeHeld(devCtx, Request);
    if (mine)
        ctx->Taken = true;
    if (!mine && !(ActionFlags & WdfRequestStopRequestCancelable)) {
        /* Not listed yet: the collector answers it. (Listed and cancelable
         * reads that are not in the list any more are the cancel routine's.) */
        ctx->StopAsked = true;
        ctx->StopFlags = ActionFlags;
    }
    WdfSpinLockRelease(devCtx->Lock);
    if (!mine)
        return;
    if (ParkVariant == PARK_FORGETS_AT_REMOVAL) {
        if (ActionFlags & WdfRequestStopActionPurge)
            return; /* BUG (busted-park-forgets): out of the list, never completed */
        Answer(Request, ActionFlags);
        return;
    }
    if (WdfRequestUnmarkCancelable(Request) == STATUS_CANCELLED) {
        /* EvtRequestCancel runs or has run: whichever of us is second completes. */
        WdfSpinLockAcquire(devCtx->Lock);
        mine = ctx->CancelArrived;
        if (!mine)
            ctx->UnmarkFailed = true;
        ctx->CancelArrived = false;
        WdfSpinLockRelease(devCtx->Lock);
        if (mine)
            WdfRequestComplete(Request, STATUS_CANCELLED);
        return;
    }
    WdfSpinLockAcquire(devCtx->Lock);
    ctx->Taken = false;
    WdfSpinLockRelease(devCtx->Lock);
    Answer(Request, ActionFlags);
}

static NTSTATUS ParkEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    PPARK_DEVICE_CONTEXT devCtx;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFDEVICE device;
    WDFQUEUE queue;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, PARK_REQUEST_CONTEXT);
    WdfDeviceInitSetRequestAttributes(DeviceInit, &attributes);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, PARK_DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    devCtx = ParkGetDeviceContext(device);

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = device;
    status = WdfSpinLockCreate(&attributes, &devCtx->Lock);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG_INIT(&queueConfig, WdfIoQueueDispatchManual);
    queueConfig.EvtIoStop = ParkEvtIoStop;
    if (ParkVariant == PARK_FORGETS_AT_REMOVAL) {
        /* Held across power-downs (an inverted-call queue): not power-managed,
         * so its reads see EvtIoStop only at the removal's purge
         * (fxioqueue.cpp StopProcessingForPower(PurgeNonManaged)). */
        queueConfig.PowerManaged = WdfFalse;
    }
    status = WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &devCtx->Manual);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoRead = ParkEvtIoRead;
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}

NTSTATUS ParkDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, ParkEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
