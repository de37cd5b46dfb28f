/* guarded.c: busted drivers built on a correct system-DMA driver with a cancel
 * routine and a timeout timer.
 *
 * The correct driver (GUARDED_CORRECT, row busted-control-guarded) keeps the
 * published sample's three references (execution, cancel, timer) but never
 * stops a transfer that may already be finished: the cancel and timer callbacks
 * only record, under the context lock, that the request should end (and why),
 * and EvtProgramDma stops the transfer it is programming when that was asked.
 * While EvtProgramDma runs, the transaction is in Transfer with a mapped
 * transfer whose completion cannot be delivered before EvtProgramDma returns
 * (spec 2.4), so the stop is always legal; a cancel or timeout that arrives
 * during the last transfer is simply too late, and the request ends normally.
 *
 *   references: execution - dropped by the execution path (transfer-complete
 *                 callback at the final DmaCompleted*, or EvtIoRead when
 *                 Execute fails);
 *               cancel    - by the execution path if WdfRequestUnmarkCancelable
 *                 succeeds, else by EvtRequestCancel;
 *               timer     - by the execution path if WdfTimerStop(FALSE) finds
 *                 the timer still queued, else by EvtTimerFunc.
 *   the last one deletes the timer and the transaction, then completes.
 *
 * Each variant below adds exactly one bug to that driver; the comment at each
 * `if (GuardedVariant == ...)` says which class of kmdf-model-spec.md section 6
 * it demonstrates, what the bug is and why a driver author might write it. The
 * scenario rows are at the end of the file. */
#include <ntddk.h>
#include <wdf.h>

#include "plumbing.h"
#include "scn.h"

typedef enum {
    GUARDED_CORRECT = 0,
    GUARDED_C1_TIMER_STOPS,          /* C1: the timer callback stops the transfer itself */
    GUARDED_C2_SUCCESS_ON_COMPLETE,  /* C2: DmaComplete means STATUS_SUCCESS, whatever DmaCompleted said */
    GUARDED_C3_ABORT_DEFERS_STATUS,  /* C3: DmaAborted takes the status "the stopper set" */
    GUARDED_C5_NO_UNMARK,            /* C5: the cancel reference dropped without WdfRequestUnmarkCancelable */
    GUARDED_C7_DOUBLE_DROP,          /* C7: the cancel reference dropped whatever Unmark returned */
    GUARDED_C7_NEVER_DROPPED,        /* C7: EvtRequestCancel never drops the cancel reference */
    GUARDED_C8_TIMER_NEVER_STARTED,  /* C8: a timer reference counted for a timer that is not started */
    GUARDED_C9_UNLOCKED_FLAG,        /* C9: EvtProgramDma reads TimedOut without the lock */
    GUARDED_C10_MARK_AFTER_EXECUTE,  /* C10: WdfRequestMarkCancelableEx after Execute */
    GUARDED_C14_PASSIVE_TIMER,       /* C14: a passive-level timer, deleted by its own callback */
    GUARDED_C15_TIMER_NOT_DELETED,   /* C15: the request completed with its timer child alive */
    GUARDED_C16_STOP_WAIT_DISPATCH,  /* C16: WdfTimerStop(TRUE) in the transfer-complete callback */
    GUARDED_C17_STOP_FALSE_IS_DONE,  /* C17: WdfTimerStop(FALSE) == FALSE taken as "callback finished" */
    GUARDED_C21_STOP_TWICE,          /* C21: one stop per reason; cancel and timeout both stop */
    GUARDED_C22_EXECUTE_FAIL_TWICE,  /* C22: Execute failure handled by the helper and by EvtIoRead */
} guarded_variant;

static guarded_variant GuardedVariant;

typedef struct _GUARDED_REQUEST_CONTEXT {
    WDFREQUEST Request;
    WDFDMATRANSACTION DmaTransaction;
    WDFSPINLOCK Lock;
    WDFTIMER Timer;
    LONG RefCount;           /* execution + cancel + timer */
    bool TimerStarted;       /* written before the timer can fire */
    bool CancelRequested;    /* under Lock */
    bool TimedOut;           /* under Lock */
    bool TransferDone;       /* under Lock: the final DmaCompleted* returned */
    NTSTATUS StopStatus;     /* under Lock: why the request should end early */
    NTSTATUS Status;         /* the execution path's result, set before it drops its reference */
    size_t Information;
} GUARDED_REQUEST_CONTEXT, *PGUARDED_REQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(GUARDED_REQUEST_CONTEXT, GuardedGetRequestContext)

static EVT_WDF_PROGRAM_DMA GuardedEvtProgramDma;
static EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE GuardedEvtDmaTransferComplete;
static EVT_WDF_TIMER GuardedEvtTimer;
static EVT_WDF_REQUEST_CANCEL GuardedEvtRequestCancel;
static EVT_WDF_IO_QUEUE_IO_READ GuardedEvtIoRead;
static DRIVER_INITIALIZE GuardedDriverEntry;

/* Drop one reference; the last one ends the request. */
static VOID GuardedDropReference(PGUARDED_REQUEST_CONTEXT ctx)
{
    if (InterlockedDecrement(&ctx->RefCount) != 0)
        return;
    if (GuardedVariant != GUARDED_C15_TIMER_NOT_DELETED) {
        WdfObjectDelete(ctx->Timer);
    } else {
        /* C15. The bug: the timer is left to the framework, "it is a child of
         * the request and goes with it". Completing at DISPATCH_LEVEL with a
         * WDFTIMER child defers the request's early dispose (V21); the
         * published sample deletes the timer first for this reason. */
    }
    WdfObjectDelete(ctx->DmaTransaction);
    WdfRequestCompleteWithInformation(ctx->Request, ctx->Status, ctx->Information);
}

/* Record why the request should end early; EvtProgramDma acts on it. */
static VOID GuardedRequestStop(PGUARDED_REQUEST_CONTEXT ctx, NTSTATUS why, bool timeout)
{
    WdfSpinLockAcquire(ctx->Lock);
    if (timeout)
        ctx->TimedOut = true;
    else
        ctx->CancelRequested = true;
    if (ctx->StopStatus == STATUS_PENDING)
        ctx->StopStatus = why;
    WdfSpinLockRelease(ctx->Lock);
}

/* The end of the execution path: the transaction is final (or Execute failed). */
static VOID GuardedFinishExecution(PGUARDED_REQUEST_CONTEXT ctx, NTSTATUS status, size_t information)
{
    NTSTATUS unmark;

    ctx->Status = status;
    ctx->Information = information;

    if (GuardedVariant == GUARDED_C5_NO_UNMARK) {
        /* C5. The bug: the cancel reference is dropped without unmarking the
         * request ("completing the request takes it off the cancel queue
         * anyway"). The request is completed while still cancelable (V16),
         * and a cancel in flight would run on a completed request. */
        GuardedDropReference(ctx);
    } else {
        unmark = WdfRequestUnmarkCancelable(ctx->Request);
        if (unmark == STATUS_SUCCESS) {
            GuardedDropReference(ctx);
        } else if (GuardedVariant == GUARDED_C7_DOUBLE_DROP) {
            /* C7. The bug: the cancel reference is dropped on STATUS_CANCELLED
             * too ("the request is not cancelable any more, either way"),
             * although EvtRequestCancel has run or will run and drops it as
             * well: the count reaches zero one reference early. */
            GuardedDropReference(ctx);
        }
    }

    if (ctx->TimerStarted) {
        if (GuardedVariant == GUARDED_C16_STOP_WAIT_DISPATCH) {
            /* C16. The bug: WdfTimerStop(TRUE) "so that the callback has
             * finished and its reference is settled": Stop(TRUE) is
             * PASSIVE_LEVEL only, and this runs in the transfer-complete
             * callback at DISPATCH_LEVEL (V26). */
            if (WdfTimerStop(ctx->Timer, TRUE))
                GuardedDropReference(ctx);
        } else if (GuardedVariant == GUARDED_C17_STOP_FALSE_IS_DONE) {
            /* C17. The bug: "after WdfTimerStop the timer is stopped, so its
             * reference is ours": FALSE also means expired with the callback
             * still to run (spec 4), which then runs on a completed request. */
            WdfTimerStop(ctx->Timer, FALSE);
            GuardedDropReference(ctx);
        } else if (WdfTimerStop(ctx->Timer, FALSE)) {
            GuardedDropReference(ctx);
        }
    }

    GuardedDropReference(ctx); /* the execution reference */
}

static BOOLEAN GuardedEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                    WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    PGUARDED_REQUEST_CONTEXT ctx = (PGUARDED_REQUEST_CONTEXT)Context;
    bool cancel, timeout;

    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);

    if (GuardedVariant == GUARDED_C9_UNLOCKED_FLAG) {
        /* C9. The bug: TimedOut is read without the lock ("a stale value only
         * delays the stop by one transfer"), while the timer callback writes
         * it under the lock on another processor: a data race (TSan). */
        timeout = ctx->TimedOut;
        WdfSpinLockAcquire(ctx->Lock);
        cancel = ctx->CancelRequested;
        WdfSpinLockRelease(ctx->Lock);
    } else {
        WdfSpinLockAcquire(ctx->Lock);
        cancel = ctx->CancelRequested;
        timeout = ctx->TimedOut;
        WdfSpinLockRelease(ctx->Lock);
    }

    if (GuardedVariant == GUARDED_C1_TIMER_STOPS) {
        timeout = false; /* this variant's timer callback stops the transfer itself */
    }

    if (GuardedVariant == GUARDED_C21_STOP_TWICE) {
        /* C21. The bug: one stop per reason, without an else: when both a
         * cancel and a timeout are pending, the same transfer is stopped
         * twice (V9: the HAL's cancel fails the second time). */
        if (cancel)
            WdfDmaTransactionStopSystemTransfer(Transaction);
        if (timeout)
            WdfDmaTransactionStopSystemTransfer(Transaction);
    } else if (cancel || timeout) {
        WdfDmaTransactionStopSystemTransfer(Transaction);
    }
    return TRUE;
}

static VOID GuardedEvtDmaTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                          WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS DmaStatus)
{
    PGUARDED_REQUEST_CONTEXT ctx = (PGUARDED_REQUEST_CONTEXT)Context;
    NTSTATUS status;
    bool stopperSetsStatus;

    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);

    if (DmaStatus == DmaComplete) {
        if (WdfDmaTransactionDmaCompleted(Transaction, &status) == FALSE)
            return; /* more transfers follow; the transaction may be finished elsewhere already */
        if (GuardedVariant == GUARDED_C2_SUCCESS_ON_COMPLETE) {
            /* C2. The bug: "the hardware said DmaComplete, so the request
             * succeeded": *Status is ignored. After a stop, DmaCompleted
             * returns TRUE with STATUS_CANCELLED when bytes remain (spec 1.6,
             * 2.6 outcome b), and the request is reported successful with a
             * partial length. The published sample does the same. */
            status = STATUS_SUCCESS;
        }
    } else {
        WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &status);
        /* DmaCancelled only follows our own stop, which the cancel or timer
         * callback asked for after setting StopStatus. */
        stopperSetsStatus = DmaStatus == DmaCancelled;
        if (GuardedVariant == GUARDED_C3_ABORT_DEFERS_STATUS && DmaStatus == DmaAborted) {
            /* C3. The bug: DmaAborted is treated like DmaCancelled, "an abort
             * means someone stopped us, and the stopper set the status". The
             * hardware can abort on its own: StopStatus is still
             * STATUS_PENDING and the request is completed with it. */
            stopperSetsStatus = true;
        }
        if (NT_SUCCESS(status)) {
            if (stopperSetsStatus) {
                WdfSpinLockAcquire(ctx->Lock);
                status = ctx->StopStatus;
                WdfSpinLockRelease(ctx->Lock);
            } else {
                status = STATUS_DEVICE_DATA_ERROR;
            }
        }
    }

    WdfSpinLockAcquire(ctx->Lock);
    ctx->TransferDone = true;
    WdfSpinLockRelease(ctx->Lock);

    GuardedFinishExecution(ctx, status, WdfDmaTransactionGetBytesTransferred(Transaction));
}

static VOID GuardedEvtTimer(WDFTIMER Timer)
{
    PGUARDED_REQUEST_CONTEXT ctx = GuardedGetRequestContext(WdfTimerGetParentObject(Timer));
    bool stopNow;

    if (GuardedVariant == GUARDED_C1_TIMER_STOPS) {
        /* C1. The bug: the timeout stops the transfer itself, after checking
         * under the lock that it has not finished. The check and the stop are
         * not atomic: the final DmaCompleted* can run on another processor in
         * between, and StopSystemTransfer after it dereferences the NULL
         * m_AdapterInfo (spec 1.8, V13). Why: it is the shape of the
         * documentation's own timer sample. */
        WdfSpinLockAcquire(ctx->Lock);
        ctx->TimedOut = true;
        if (ctx->StopStatus == STATUS_PENDING)
            ctx->StopStatus = STATUS_IO_TIMEOUT;
        stopNow = !ctx->TransferDone;
        WdfSpinLockRelease(ctx->Lock);
        if (stopNow)
            WdfDmaTransactionStopSystemTransfer(ctx->DmaTransaction);
    } else {
        GuardedRequestStop(ctx, STATUS_IO_TIMEOUT, true);
    }

    GuardedDropReference(ctx);
}

static VOID GuardedEvtRequestCancel(WDFREQUEST Request)
{
    PGUARDED_REQUEST_CONTEXT ctx = GuardedGetRequestContext(Request);

    GuardedRequestStop(ctx, STATUS_CANCELLED, false);

    if (GuardedVariant == GUARDED_C7_NEVER_DROPPED) {
        /* C7. The bug: the cancel callback only asks for the stop and leaves
         * "the completion" to the execution path, without dropping its own
         * reference: after a cancel, the count never reaches zero and the
         * request is never completed. */
        return;
    }
    GuardedDropReference(ctx);
}

static VOID GuardedEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PGUARDED_REQUEST_CONTEXT ctx = GuardedGetRequestContext(Request);
    WDFDMAENABLER enabler = BustedDmaEnabler(WdfIoQueueGetDevice(Queue));
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_TIMER_CONFIG timerConfig;
    NTSTATUS status;

    ctx->Request = Request;
    ctx->RefCount = 3;
    ctx->TimerStarted = false;
    ctx->CancelRequested = false;
    ctx->TimedOut = false;
    ctx->TransferDone = false;
    ctx->StopStatus = STATUS_PENDING;
    ctx->Status = STATUS_PENDING;
    ctx->Information = 0;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Request;
    status = WdfSpinLockCreate(&attributes, &ctx->Lock);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }

    status = WdfDmaTransactionCreate(enabler, WDF_NO_OBJECT_ATTRIBUTES, &ctx->DmaTransaction);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }

    WDF_TIMER_CONFIG_INIT(&timerConfig, GuardedEvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Request;
    if (GuardedVariant == GUARDED_C14_PASSIVE_TIMER) {
        /* C14. The bug: a passive-level timer ("the timeout handler may want
         * to log at PASSIVE_LEVEL"), with the protocol unchanged: when its
         * callback drops the last reference it deletes its own timer, whose
         * rundown waits for the work item it runs in (V27, then deadlock). A
         * DISPATCH-level timer may do this; a passive one may not. */
        attributes.ExecutionLevel = WdfExecutionLevelPassive;
        timerConfig.AutomaticSerialization = FALSE;
    }
    status = WdfTimerCreate(&timerConfig, &attributes, &ctx->Timer);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(ctx->DmaTransaction);
        WdfRequestComplete(Request, status);
        return;
    }

    status = WdfDmaTransactionInitializeUsingRequest(ctx->DmaTransaction, Request, GuardedEvtProgramDma,
                                                     WdfDmaDirectionReadFromDevice);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(ctx->Timer);
        WdfObjectDelete(ctx->DmaTransaction);
        WdfRequestComplete(Request, status);
        return;
    }
    WdfDmaTransactionSetTransferCompleteCallback(ctx->DmaTransaction, GuardedEvtDmaTransferComplete, ctx);

    if (GuardedVariant != GUARDED_C10_MARK_AFTER_EXECUTE) {
        status = WdfRequestMarkCancelableEx(Request, GuardedEvtRequestCancel);
        if (status == STATUS_CANCELLED) {
            /* Cancelled already: nothing has started. */
            WdfObjectDelete(ctx->Timer);
            WdfObjectDelete(ctx->DmaTransaction);
            WdfRequestComplete(Request, STATUS_CANCELLED);
            return;
        }
    }

    if (GuardedVariant == GUARDED_C8_TIMER_NEVER_STARTED && Length <= BUSTED_MAX_LENGTH) {
        /* C8. The bug: "short requests finish quickly; only long ones need a
         * timeout", but the reference count still counts a timer reference
         * that nobody will drop: the request is never completed. */
    } else {
        ctx->TimerStarted = true;
        WdfTimerStart(ctx->Timer, WDF_REL_TIMEOUT_IN_SEC(1));
    }

    status = WdfDmaTransactionExecute(ctx->DmaTransaction, ctx);

    if (GuardedVariant == GUARDED_C10_MARK_AFTER_EXECUTE) {
        /* C10. The bug: the request is marked cancelable after Execute ("only
         * a running transfer needs cancelling"). The transfer may have ended,
         * and the execution path may already have unmarked a request that was
         * never marked (V17; without the verifier Unmark says STATUS_CANCELLED
         * and the cancel reference waits for a callback that never comes). */
        NTSTATUS markStatus = WdfRequestMarkCancelableEx(Request, GuardedEvtRequestCancel);
        if (markStatus == STATUS_CANCELLED && NT_SUCCESS(status))
            GuardedDropReference(ctx); /* no cancel callback will come */
    }

    if (!NT_SUCCESS(status)) {
        /* No transfer-complete callback will come: this is the execution path. */
        GuardedFinishExecution(ctx, status, 0);
        if (GuardedVariant == GUARDED_C22_EXECUTE_FAIL_TWICE) {
            /* C22. The bug: the failure is handed to the protocol's helper
             * (which drops the execution reference and completes the request
             * when the count reaches zero) and also completed here, "because
             * Execute failed, so the request is ours to fail". Two paths
             * handle one failure: a double completion (V15). */
            WdfRequestComplete(Request, status);
        }
    }
}

static NTSTATUS GuardedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static const BUSTED_DRIVER_CONFIG config = {GuardedEvtIoRead, &_WDF_GUARDED_REQUEST_CONTEXT_TYPE_INFO};
    return BustedDriverCreate(DriverObject, RegistryPath, &config);
}

/* ---- scenarios ------------------------------------------------------------------------ */

#define GUARDED_DRIVER(var, name, variant)                                                                \
    static void select_##var(void) { GuardedVariant = variant; }                                         \
    SCN_DRIVER(var, name, GuardedDriverEntry, select_##var)

GUARDED_DRIVER(guarded_control, "busted-control-guarded", GUARDED_CORRECT);
GUARDED_DRIVER(guarded_c1, "busted-c1", GUARDED_C1_TIMER_STOPS);
GUARDED_DRIVER(guarded_c2, "busted-c2", GUARDED_C2_SUCCESS_ON_COMPLETE);
GUARDED_DRIVER(guarded_c3, "busted-c3", GUARDED_C3_ABORT_DEFERS_STATUS);
GUARDED_DRIVER(guarded_c5, "busted-c5", GUARDED_C5_NO_UNMARK);
GUARDED_DRIVER(guarded_c7d, "busted-c7-double-drop", GUARDED_C7_DOUBLE_DROP);
GUARDED_DRIVER(guarded_c7n, "busted-c7-never-dropped", GUARDED_C7_NEVER_DROPPED);
GUARDED_DRIVER(guarded_c8, "busted-c8", GUARDED_C8_TIMER_NEVER_STARTED);
GUARDED_DRIVER(guarded_c9, "busted-c9", GUARDED_C9_UNLOCKED_FLAG);
GUARDED_DRIVER(guarded_c10, "busted-c10", GUARDED_C10_MARK_AFTER_EXECUTE);
GUARDED_DRIVER(guarded_c14, "busted-c14", GUARDED_C14_PASSIVE_TIMER);
GUARDED_DRIVER(guarded_c15, "busted-c15", GUARDED_C15_TIMER_NOT_DELETED);
GUARDED_DRIVER(guarded_c16, "busted-c16", GUARDED_C16_STOP_WAIT_DISPATCH);
GUARDED_DRIVER(guarded_c17, "busted-c17", GUARDED_C17_STOP_FALSE_IS_DONE);
GUARDED_DRIVER(guarded_c21, "busted-c21", GUARDED_C21_STOP_TWICE);
GUARDED_DRIVER(guarded_c22, "busted-c22", GUARDED_C22_EXECUTE_FAIL_TWICE);

SCN_ROW(busted_control_guarded, "busted-control-guarded", guarded_control, 2, "requests=2", "clean", 20000,
        "control: the cancel+timeout driver the guarded busted drivers break, 2 requests, every event live");
SCN_ROW(busted_c1, "busted-c1", guarded_c1, 2, "no-cancel", "crash:V13", 1500,
        "C1: the timer callback checks the transfer is running, then stops it: stop after the final DmaCompleted");
SCN_ROW(busted_c2, "busted-c2", guarded_c2, 2, "", "check:C2", 700,
        "C2: DmaComplete completes with STATUS_SUCCESS although DmaCompleted said STATUS_CANCELLED");
SCN_ROW(busted_c3, "busted-c3", guarded_c3, 2, "", "check:C3", 1400,
        "C3: DmaAborted takes the status a stopper should have set; none did: STATUS_PENDING");
SCN_ROW(busted_c5, "busted-c5", guarded_c5, 2, "no-cancel", "framework:V16:", 200,
        "C5: the cancel reference is dropped without WdfRequestUnmarkCancelable: completed while cancelable");
SCN_ROW(busted_c7_double_drop, "busted-c7-double-drop", guarded_c7d, 2, "", "crash:C11", 1500,
        "C7: the cancel reference is dropped when Unmark says STATUS_CANCELLED and again by EvtRequestCancel");
SCN_ROW(busted_c7_never_dropped, "busted-c7-never-dropped", guarded_c7n, 2, "", "check:lost", 200,
        "C7: EvtRequestCancel never drops its reference: a cancelled request is never completed");
SCN_ROW(busted_c8, "busted-c8", guarded_c8, 2, "", "check:lost", 200,
        "C8: a timer reference counted for a timer short requests never start");
SCN_ROW(busted_c9, "busted-c9", guarded_c9, 2, "", "data-race", 200,
        "C9: EvtProgramDma reads TimedOut without the lock the timer callback writes it under (TSan build only)");
SCN_ROW(busted_c10, "busted-c10", guarded_c10, 2, "", "framework:V17:", 200,
        "C10: marked cancelable after Execute: the execution path unmarks a request never marked");
SCN_ROW(busted_c14, "busted-c14", guarded_c14, 2, "", "framework:V27:", 200,
        "C14: a passive-level timer whose callback drops the last reference deletes its own timer");
SCN_ROW(busted_c15, "busted-c15", guarded_c15, 2, "", "framework:V21:", 200,
        "C15: the request is completed at DISPATCH_LEVEL with its timer still parented to it");
SCN_ROW(busted_c16, "busted-c16", guarded_c16, 2, "", "framework:V26:", 200,
        "C16: WdfTimerStop(TRUE) in the transfer-complete callback, at DISPATCH_LEVEL");
SCN_ROW(busted_c17, "busted-c17", guarded_c17, 2, "", "crash:C11", 400,
        "C17: WdfTimerStop(FALSE) returning FALSE taken as \"the callback has finished\"");
SCN_ROW(busted_c21, "busted-c21", guarded_c21, 2, "", "framework:V9:", 2000,
        "C21: EvtProgramDma stops once for a cancel and once more for a timeout");
SCN_ROW(busted_c22, "busted-c22", guarded_c22, 2, "alloc_failure", "framework:V15:", 5000,
        "C22: an Execute failure is handled by the protocol's helper and completed again by EvtIoRead");
