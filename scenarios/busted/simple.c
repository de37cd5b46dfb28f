/* simple.c: busted drivers built on the simplest correct system-DMA driver.
 *
 * The correct driver (SIMPLE_CORRECT, row busted-control-simple): EvtIoRead
 * creates a transaction for the request, initialises it from the request,
 * registers the transfer-complete callback and executes it; the
 * transfer-complete callback calls WdfDmaTransactionDmaCompleted on
 * DmaComplete (returning at once on FALSE) or WdfDmaTransactionDmaCompletedFinal
 * otherwise, deletes the transaction and completes the request with the status
 * and byte count. No cancel routine, no timer: a request that is never marked
 * cancelable cannot race its cancel.
 *
 * Each variant below adds exactly one bug to that driver; the comment at each
 * `if (SimpleVariant == ...)` says which class of kmdf-model-spec.md section 6
 * it demonstrates, what the bug is and why a driver author might write it. The
 * scenario rows are at the end of the file. */
#include <ntddk.h>
#include <wdf.h>

#include "plumbing.h"
#include "scn.h"

typedef enum {
    SIMPLE_CORRECT = 0,
    SIMPLE_C4_ERROR_PATH_COMPLETES,  /* C4: the error branch completes, then the common exit completes again */
    SIMPLE_C6_COMPLETE_BEFORE_FINAL, /* C6: the error branch completes before DmaCompletedFinal */
    SIMPLE_C11_TOUCH_AFTER_EXECUTE,  /* C11: the transaction is used after Execute returned */
    SIMPLE_C12_COMPLETED_TWICE,      /* C12: DmaCompletedFinal "to be sure" after DmaCompleted returned TRUE */
    SIMPLE_C13_PEEK_BUFFER,          /* C13: the buffer is read before DmaCompleted returned TRUE */
    SIMPLE_C18_RELEASE_IN_TRANSFER,  /* C18: WdfDmaTransactionRelease before DmaCompletedFinal */
    SIMPLE_C18_DELETE_AFTER_EXECUTE, /* C18: WdfObjectDelete of the transaction right after Execute */
    SIMPLE_C19_REUSE_WITHOUT_RELEASE, /* C19: one transaction re-initialised per request, never released */
    SIMPLE_C20_LOCK_ACROSS_EXECUTE,  /* C20: the context lock held across WdfDmaTransactionExecute */
} simple_variant;

static simple_variant SimpleVariant;

typedef struct _SIMPLE_REQUEST_CONTEXT {
    WDFREQUEST Request;
    WDFDMATRANSACTION DmaTransaction;
    WDFSPINLOCK Lock;
    ULONG TransfersSeen;
    size_t ProgrammedOffset; /* where in the buffer the current transfer starts */
} SIMPLE_REQUEST_CONTEXT, *PSIMPLE_REQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SIMPLE_REQUEST_CONTEXT, SimpleGetRequestContext)

/* SIMPLE_C19 only: the one transaction the driver keeps. */
static WDFDMATRANSACTION SimpleSharedTransaction;

static EVT_WDF_PROGRAM_DMA SimpleEvtProgramDma;
static EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE SimpleEvtDmaTransferComplete;
static EVT_WDF_IO_QUEUE_IO_READ SimpleEvtIoRead;
static DRIVER_INITIALIZE SimpleDriverEntry;

/* The device's registers would be written here, with the offset of this
 * transfer in the buffer (as PLX9x5x's EvtProgramDma computes it); EvtProgramDma
 * calls of one transaction never overlap. The model's system DMA controller
 * started the transfer when it was mapped, so the hardware can finish while
 * this runs. */
static BOOLEAN SimpleEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                   WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    PSIMPLE_REQUEST_CONTEXT ctx = (PSIMPLE_REQUEST_CONTEXT)Context;

    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    UNREFERENCED_PARAMETER(SgList);

    ctx->ProgrammedOffset = WdfDmaTransactionGetBytesTransferred(Transaction);
    return TRUE;
}

static VOID SimpleEvtDmaTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                         WDF_DMA_DIRECTION Direction, DMA_COMPLETION_STATUS DmaStatus)
{
    PSIMPLE_REQUEST_CONTEXT ctx = (PSIMPLE_REQUEST_CONTEXT)Context;
    WDFREQUEST request = ctx->Request;
    NTSTATUS status;
    size_t bytes;

    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);

    if (SimpleVariant == SIMPLE_C20_LOCK_ACROSS_EXECUTE) {
        /* The callback's half of C20's locking: it counts transfers under the
         * lock that EvtIoRead holds across Execute. */
        WdfSpinLockAcquire(ctx->Lock);
        ctx->TransfersSeen++;
        WdfSpinLockRelease(ctx->Lock);
    }

    if (SimpleVariant == SIMPLE_C13_PEEK_BUFFER && DmaStatus == DmaComplete) {
        /* C13. The bug: the first bytes the device wrote are checked before
         * WdfDmaTransactionDmaCompleted (spec 1.5: the buffer is the device's
         * until DmaCompleted* returns TRUE; the flush has not happened).
         * Why: "the transfer is complete, the data is there": the callback's
         * name suggests so, and a header check is cheap. */
        PVOID buffer;
        size_t length;
        if (NT_SUCCESS(WdfRequestRetrieveOutputBuffer(request, 1, &buffer, &length)) &&
            *(volatile UCHAR *)buffer == 0xFF)
            ctx->TransfersSeen++;
    }

    if (DmaStatus == DmaComplete) {
        if (WdfDmaTransactionDmaCompleted(Transaction, &status) == FALSE)
            return; /* more transfers follow; the transaction may be finished elsewhere already */
    } else {
        if (SimpleVariant == SIMPLE_C18_RELEASE_IN_TRANSFER) {
            /* C18. The bug: the transaction is released before the transfer is
             * reported (state Transfer: V6). Why: "give the map registers
             * back first, the transfer failed anyway". */
            WdfDmaTransactionRelease(Transaction);
        }
        if (SimpleVariant == SIMPLE_C6_COMPLETE_BEFORE_FINAL) {
            /* C6. The bug: the request is failed at once and the transaction
             * cleaned up afterwards; until the final DmaCompleted* the
             * transaction holds the request (V19). Why: "fail the I/O as early
             * as possible, then tidy up". */
            WdfRequestComplete(request, STATUS_DEVICE_DATA_ERROR);
        }
        WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &status);
        if (NT_SUCCESS(status))
            status = DmaStatus == DmaCancelled ? STATUS_CANCELLED : STATUS_DEVICE_DATA_ERROR;
        if (SimpleVariant == SIMPLE_C4_ERROR_PATH_COMPLETES) {
            /* C4. The bug: the error branch completes the request and falls
             * through to the common exit, which completes it again (V15).
             * Why: an early-out added to the error branch later, without the
             * return (or goto) the common exit needed. */
            WdfRequestComplete(request, status);
        }
    }

    if (SimpleVariant == SIMPLE_C12_COMPLETED_TWICE) {
        /* C12. The bug: "make sure the transaction is finished before deleting
         * it": a DmaCompletedFinal after DmaCompleted* already returned TRUE
         * (state TransferCompleted/TransferFailed: V3). Why: the author read
         * DmaCompletedFinal as "finish", not as "the current transfer ended
         * early". */
        NTSTATUS ignored;
        WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &ignored);
    }

    bytes = WdfDmaTransactionGetBytesTransferred(Transaction);
    if (SimpleVariant == SIMPLE_C19_REUSE_WITHOUT_RELEASE) {
        /* C19's other half: the shared transaction is kept for the next
         * request, as it is, without WdfDmaTransactionRelease. */
    } else if (SimpleVariant != SIMPLE_C18_DELETE_AFTER_EXECUTE) {
        WdfObjectDelete(Transaction);
    }
    WdfRequestCompleteWithInformation(request, status, bytes);
}

static VOID SimpleEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PSIMPLE_REQUEST_CONTEXT ctx = SimpleGetRequestContext(Request);
    WDFDMAENABLER enabler = BustedDmaEnabler(WdfIoQueueGetDevice(Queue));
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFDMATRANSACTION transaction;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Length);

    ctx->Request = Request;
    ctx->TransfersSeen = 0;
    ctx->ProgrammedOffset = 0;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Request;
    status = WdfSpinLockCreate(&attributes, &ctx->Lock);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }

    if (SimpleVariant == SIMPLE_C19_REUSE_WITHOUT_RELEASE) {
        /* C19. The bug: one transaction for the driver, created on first use
         * and re-initialised for every request, never released: the second
         * WdfDmaTransactionInitializeUsingRequest finds it in
         * TransferCompleted (or still in Transfer) (V1). Why: "DmaCompleted
         * returned TRUE, so the transaction is finished and ready again";
         * the Release step of the reuse protocol (spec 2.8) is easy to miss. */
        if (SimpleSharedTransaction == NULL) {
            status = WdfDmaTransactionCreate(enabler, WDF_NO_OBJECT_ATTRIBUTES, &SimpleSharedTransaction);
            if (!NT_SUCCESS(status)) {
                SimpleSharedTransaction = NULL;
                WdfRequestComplete(Request, status);
                return;
            }
        }
        transaction = SimpleSharedTransaction;
    } else {
        status = WdfDmaTransactionCreate(enabler, WDF_NO_OBJECT_ATTRIBUTES, &transaction);
        if (!NT_SUCCESS(status)) {
            WdfRequestComplete(Request, status);
            return;
        }
    }
    ctx->DmaTransaction = transaction;

    status = WdfDmaTransactionInitializeUsingRequest(transaction, Request, SimpleEvtProgramDma,
                                                     WdfDmaDirectionReadFromDevice);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(transaction);
        WdfRequestComplete(Request, status);
        return;
    }
    WdfDmaTransactionSetTransferCompleteCallback(transaction, SimpleEvtDmaTransferComplete, ctx);

    if (SimpleVariant == SIMPLE_C20_LOCK_ACROSS_EXECUTE) {
        /* C20. The bug: the context lock is held across Execute "so that the
         * callback cannot see the context before EvtIoRead is done with it".
         * The transfer-complete callback can run on this thread inside
         * Execute (spec 1.2, 1.5) and takes the same lock: a spin-lock
         * self-deadlock. */
        WdfSpinLockAcquire(ctx->Lock);
        status = WdfDmaTransactionExecute(transaction, ctx);
        WdfSpinLockRelease(ctx->Lock);
    } else {
        status = WdfDmaTransactionExecute(transaction, ctx);
    }

    if (!NT_SUCCESS(status)) {
        /* No callback will come: the transaction is TransferFailed and holds
         * no reference on the request. */
        WdfObjectDelete(transaction);
        WdfRequestComplete(Request, status);
        return;
    }

    if (SimpleVariant == SIMPLE_C11_TOUCH_AFTER_EXECUTE) {
        /* C11. The bug: the transaction is used after Execute returned
         * success, to trace how far it got. The whole transfer, the delete of
         * the transaction and the completion may already have happened on
         * another processor, or inside Execute (spec 1.2 model rule). Why:
         * "Execute only starts the DMA; nothing can finish before the
         * hardware interrupts". */
        if (WdfDmaTransactionGetBytesTransferred(transaction) > Length)
            ctx->TransfersSeen++;
    }
    if (SimpleVariant == SIMPLE_C18_DELETE_AFTER_EXECUTE) {
        /* C18. The bug: "the framework owns the transaction now; our handle
         * can go" - the transaction is deleted right after Execute, while it
         * is still in Transfer (V7). The callback of this variant leaves the
         * delete to EvtIoRead. */
        WdfObjectDelete(transaction);
    }
}

static NTSTATUS SimpleDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static const BUSTED_DRIVER_CONFIG config = {SimpleEvtIoRead, &_WDF_SIMPLE_REQUEST_CONTEXT_TYPE_INFO};
    SimpleSharedTransaction = NULL;
    return BustedDriverCreate(DriverObject, RegistryPath, &config);
}

/* ---- scenarios ------------------------------------------------------------------------ */

#define SIMPLE_DRIVER(var, name, variant)                                                                 \
    static void select_##var(void) { SimpleVariant = variant; }                                          \
    SCN_DRIVER(var, name, SimpleDriverEntry, select_##var)

SIMPLE_DRIVER(simple_control, "busted-control-simple", SIMPLE_CORRECT);
SIMPLE_DRIVER(simple_c4, "busted-c4", SIMPLE_C4_ERROR_PATH_COMPLETES);
SIMPLE_DRIVER(simple_c6, "busted-c6", SIMPLE_C6_COMPLETE_BEFORE_FINAL);
SIMPLE_DRIVER(simple_c11, "busted-c11", SIMPLE_C11_TOUCH_AFTER_EXECUTE);
SIMPLE_DRIVER(simple_c12, "busted-c12", SIMPLE_C12_COMPLETED_TWICE);
SIMPLE_DRIVER(simple_c13, "busted-c13", SIMPLE_C13_PEEK_BUFFER);
SIMPLE_DRIVER(simple_c18r, "busted-c18-release", SIMPLE_C18_RELEASE_IN_TRANSFER);
SIMPLE_DRIVER(simple_c18d, "busted-c18-delete", SIMPLE_C18_DELETE_AFTER_EXECUTE);
SIMPLE_DRIVER(simple_c19, "busted-c19", SIMPLE_C19_REUSE_WITHOUT_RELEASE);
SIMPLE_DRIVER(simple_c20, "busted-c20", SIMPLE_C20_LOCK_ACROSS_EXECUTE);

SCN_ROW(busted_control_simple, "busted-control-simple", simple_control, 2, "requests=2", "clean", 20000,
        "control: the simple driver the simple busted drivers break, 2 requests, every event live");
SCN_ROW(busted_c4, "busted-c4", simple_c4, 2, "", "framework:V15:", 200,
        "C4: the DMA error branch completes the request, the common exit completes it again");
SCN_ROW(busted_c6, "busted-c6", simple_c6, 2, "", "framework:V19:", 200,
        "C6: the DMA error branch completes the request before DmaCompletedFinal");
SCN_ROW(busted_c11, "busted-c11", simple_c11, 2, "", "crash:C11", 200,
        "C11: EvtIoRead uses the transaction after Execute returned; it may be deleted by then");
SCN_ROW(busted_c12, "busted-c12", simple_c12, 2, "", "framework:V3:", 200,
        "C12: DmaCompletedFinal after DmaCompleted already returned TRUE");
SCN_ROW(busted_c13, "busted-c13", simple_c13, 2, "", "check:C13", 200,
        "C13: the transfer-complete callback reads the buffer before DmaCompleted");
SCN_ROW(busted_c18_release, "busted-c18-release", simple_c18r, 2, "", "framework:V6:", 200,
        "C18: the DMA error branch releases the transaction before DmaCompletedFinal");
SCN_ROW(busted_c18_delete, "busted-c18-delete", simple_c18d, 2, "", "framework:V7:", 200,
        "C18: EvtIoRead deletes the transaction right after Execute");
SCN_ROW(busted_c19, "busted-c19", simple_c19, 2, "requests=2 no-concurrent", "framework:V1:", 200,
        "C19: one transaction re-initialised for each request without WdfDmaTransactionRelease");
SCN_ROW(busted_c20, "busted-c20", simple_c20, 2, "", "deadlock", 2000,
        "C20: the context spin lock held across Execute; the callback takes it inside Execute");
