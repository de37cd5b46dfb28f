/* km_rules.c: what each rule the model reports means (dr_rule_info, for
 * SARIF's rule metadata and the reports): its name, one sentence, the KMDF
 * source that does it (microsoft/Windows-Driver-Frameworks, as
 * kmdf-model-spec.md sections 5 and 6 cite it) and the documentation page of
 * the DDI it concerns. One row per rule id the model passes to km_bugcheck,
 * km_vf_break, km_crash, km_own_check, km_oracle and the like; CTest
 * model.rule_table checks that every id in model/src has its row. */
#include "km.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct km_rule_row {
    const char *id;
    const char *name;
    const char *summary;
    const char *source; /* KMDF source file and function, or NULL (a model or protocol rule) */
    const char *ddi;    /* the DDI (or callback type) whose documentation page the help names, or NULL */
} km_rule_row;

#define KD "src/framework/kmdf/src/dma/base/"
#define SC "src/framework/shared/core/"
#define SQ "src/framework/shared/irphandlers/io/"
#define SO "src/framework/shared/object/"

static const km_rule_row rules[] = {
    /* ---- kmdf-model-spec.md section 5: DMA transaction ---- */
    {"V1", "DmaInitializeInWrongState",
     "A DMA transaction initialized in a state other than Created, Reserved or Released: bugcheck 0x10D (WDF_VIOLATION).",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::Initialize", "WdfDmaTransactionInitialize"},
    {"V2", "DmaExecuteInWrongState", "WdfDmaTransactionExecute on a transaction that is not Initialized: bugcheck 0x10D.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::Execute", "WdfDmaTransactionExecute"},
    {"V3", "DmaCompletedOutsideTransfer",
     "WdfDmaTransactionDmaCompleted* on a transaction that is not in Transfer (completed twice, or from outside the "
     "completion path): bugcheck 0x10D.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::DmaCompleted", "WdfDmaTransactionDmaCompletedWithLength"},
    {"V4", "DmaCompletedLengthTooBig",
     "DmaCompleted with a length larger than the current fragment: verifier break, and the transaction fails with "
     "STATUS_INVALID_PARAMETER.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::DmaCompleted", "WdfDmaTransactionDmaCompletedWithLength"},
    {"V5", "DmaFlushFailed", "Flushing the adapter buffers failed when the transfer completed: verifier break.",
     KD "fxdmatransactionpacket.cpp, FxDmaPacketTransaction::TransferCompleted", "WdfDmaTransactionDmaCompleted"},
    {"V6", "DmaReleaseInTransfer", "WdfDmaTransactionRelease while a transfer is in progress: verifier bugcheck 0x10D.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::ReleaseForReuse", "WdfDmaTransactionRelease"},
    {"V7", "DmaDeleteInTransfer",
     "A DMA transaction deleted or disposed while a transfer is in progress: verifier bugcheck 0x10D.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::Dispose", "WdfObjectDelete"},
    {"V8", "DmaCancelInWrongState", "WdfDmaTransactionCancel in Created, Released or Deleted: bugcheck 0x10D.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::CancelResourceAllocation", "WdfDmaTransactionCancel"},
    {"V9", "DmaStopSystemTransferTwice",
     "WdfDmaTransactionStopSystemTransfer whose HAL cancel fails (a second stop): verifier bugcheck 0x10D.",
     KD "fxdmatransactionsystem.cpp, FxDmaSystemTransaction::StopTransfer", "WdfDmaTransactionStopSystemTransfer"},
    {"V10", "SystemDmaDdiOnBusMaster",
     "A system-DMA-only DDI (SetTransferCompleteCallback, SetChannelConfigurationCallback, StopSystemTransfer) on a "
     "bus-master transaction: verifier break; without the verifier KMDF does nothing.",
     KD "fxdmatransactionapi.cpp", "WdfDmaTransactionSetTransferCompleteCallback"},
    {"V11", "DmaImmediateExecutionTooLate",
     "WdfDmaTransactionSetImmediateExecution after Execute or AllocateResources: verifier break; the flag is set anyway.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::SetImmediateExecution", "WdfDmaTransactionSetImmediateExecution"},
    {"V12", "DmaResourcesInWrongState",
     "AllocateResources with map registers already reserved or in the wrong state, or FreeResources in Created, "
     "Transfer or Deleted: bugcheck 0x10D.",
     KD "fxdmatransactionpacket.cpp, FxDmaPacketTransaction::ReserveAdapter and ReleaseAdapter",
     "WdfDmaTransactionAllocateResources"},
    {"V13", "DmaStopAfterFinalCompletion",
     "StopSystemTransfer or Cancel after the final DmaCompleted: KMDF dereferences its NULL adapter information "
     "(m_AdapterInfo), a crash (the model reports it as one).",
     KD "fxdmatransactionsystem.cpp, FxDmaSystemTransaction::StopTransfer", "WdfDmaTransactionStopSystemTransfer"},
    /* ---- request ---- */
    {"V14", "RequestNotDriverOwned",
     "Complete, MarkCancelable or UnmarkCancelable on a request the driver does not own: verifier break, and the call "
     "does nothing (STATUS_INVALID_DEVICE_REQUEST).",
     SC "fxrequest.cpp, FxRequest::VerifyRequestIsDriverOwned", "WdfRequestComplete"},
    {"V15", "RequestAlreadyCompleted",
     "A request completed again (or otherwise used) after its completion: verifier break (STATUS_INTERNAL_ERROR).",
     SC "fxrequest.cpp, FxRequest::VerifyRequestIsNotCompleted", "WdfRequestComplete"},
    {"V16", "CompleteWhileCancelable",
     "A request completed while it is cancelable and not cancelled (WdfRequestUnmarkCancelable was not called, or its "
     "STATUS_CANCELLED was ignored): verifier break.",
     SC "fxrequest.cpp, FxRequest::VerifyCompleteInternal", "WdfRequestUnmarkCancelable"},
    {"V17", "CancelableStateMismatch",
     "WdfRequestMarkCancelable on a request already cancelable, or WdfRequestUnmarkCancelable on one that is not: "
     "verifier break.",
     SQ "fxioqueue.cpp, FxIoQueue::VerifyRequestCancelable", "WdfRequestMarkCancelableEx"},
    {"V18", "CancelableWithoutQueue", "MarkCancelable or UnmarkCancelable on a request with no current queue: verifier break.",
     SC "fxrequestapi.cpp, WdfRequestMarkCancelable", "WdfRequestMarkCancelableEx"},
    {"V19", "CompleteWithIrpReference",
     "A request completed while its IRP is still referenced (a live DMA transaction, WDFMEMORY references): bugcheck "
     "0x10D (WDF_REQUEST_FATAL_ERROR).",
     SC "fxrequest.cpp, FxRequest::CompleteInternal", "WdfRequestComplete"},
    {"V20", "InformationTooLarge",
     "A read or write completed with success and an Information larger than its buffer: bugcheck 0x10D.",
     SC "fxrequest.cpp, FxRequest::VerifyCompleteInternal", "WdfRequestCompleteWithInformation"},
    {"V21", "EarlyDisposeDeferred",
     "A request completed at DISPATCH_LEVEL with a passive-level child (timer, DPC, work item) parented to it: its "
     "early dispose is deferred, a verifier break.",
     SC "fxrequest.cpp, VerifierBreakpoint_RequestEarlyDisposeDeferred", "WdfRequestComplete"},
    {"V22", "IrpReferenceBelowZero", "A request's IRP reference released more often than taken: verifier break.",
     SC "fxrequest.cpp, FxRequest::ReleaseIrpReference", "WdfRequestComplete"},
    {"V23", "RequestUsedAfterCompletion",
     "WdfRequestSetInformation, GetRequestorMode and the like after the request was completed: verifier break.",
     SC "fxrequest.cpp, FxRequest::SetInformation", "WdfRequestSetInformation"},
    {"V24", "IsCanceledOnCancelable",
     "WdfRequestIsCanceled on a request that is cancelable or not driver-owned: verifier break.",
     SC "fxrequestapi.cpp, VerifyWdfRequestIsCanceled", "WdfRequestIsCanceled"},
    /* ---- timer ---- */
    {"V25", "TimerStartWhileRunningDown", "WdfTimerStart on a timer that is being run down: verifier break.",
     SC "fxtimer.cpp, FxTimer::Start", "WdfTimerStart"},
    {"V26", "TimerStopWaitAbovePassive",
     "WdfTimerStop(TRUE) above PASSIVE_LEVEL: verifier break, and it returns FALSE without waiting.",
     SC "fxtimerapi.cpp, WdfTimerStop", "WdfTimerStop"},
    {"V27", "TimerStopWaitFromCallback",
     "WdfTimerStop(TRUE) or WdfObjectDelete of a timer from its own callback: verifier break.",
     SC "fxtimer.cpp, FxTimer::Stop and FlushAndRundown", "WdfTimerStop"},
    {"V28", "TimerConcurrentStopWait", "Two WdfTimerStop(TRUE) on one timer at once: verifier break.",
     SC "fxtimer.cpp, FxTimer::Stop", "WdfTimerStop"},
    {"V29", "TimerDestroyedWithoutDelete",
     "A timer destroyed without WdfObjectDelete (a reference-count bug): verifier break.", SC "fxtimer.cpp, FxTimer::~FxTimer",
     "WdfTimerCreate"},
    /* ---- object, handle, lock ---- */
    {"V30", "InvalidHandleOrParameter",
     "A NULL or wrong-type handle, or a NULL required parameter: bugcheck 0x10D (WDF_INVALID_HANDLE, "
     "WDF_REQUIRED_PARAMETER_IS_NULL).",
     "src/framework/shared/inc/private/common/fxhandle.h, FxObjectHandleGetPtr; " SO
     "fxverifierbugcheck.cpp, FxVerifierNullBugCheck",
     "WdfObjectDelete"},
    {"V31", "DeleteNoDeleteObject", "WdfObjectDelete on an object the framework owns (a no-delete object): verifier break.",
     SO "fxobjectapi.cpp, WdfObjectDelete", "WdfObjectDelete"},
    {"V32", "SpinLockReleasedByNonOwner",
     "A WDFSPINLOCK released by a processor that does not hold it: bugcheck 0x10D (lock tracking on).",
     "src/framework/shared/support/fxspinlock.cpp, FxSpinLock::ReleaseLock", "WdfSpinLockRelease"},
    {"V33", "DdiAboveMaxIrql",
     "A DDI called above the IRQL it allows: verifier break and STATUS_INVALID_DEVICE_REQUEST.",
     "src/framework/shared/inc/private/common/fxverifier.h, FxVerifierCheckIrqlLevel", NULL},
    {"V34", "CallbackChangedIrql",
     "An event callback returned at another IRQL than it was entered at (e.g. a WDFSPINLOCK left held): bugcheck "
     "0x10D (enhanced verifier, EnhancedVerifierOptions 0x1).",
     "src/framework/shared/enhancedverif/km/vfprivkm.hpp, VerifyIrqlExit", NULL},
    /* ---- kmdf-model-spec.md section 6: the completion protocol's bug classes ---- */
    {"C2", "StatusLost",
     "A request completed with success although its DMA transaction reported a failure, or with success and a partial "
     "length after a stop: a protocol expectation, not a KMDF rule (KMDF completes any status).",
     NULL, "WdfDmaTransactionDmaCompletedFinal"},
    {"C3", "CompletedWithStatusPending",
     "A request completed with STATUS_PENDING: a path that deferred its status to another turned out to be first.",
     NULL, "WdfRequestComplete"},
    {"C5", "CancelRoutineOnCompletedRequest",
     "EvtRequestCancel runs on a request that was completed while cancelable: a use after free.",
     SQ "fxioqueue.cpp, FxIoQueue::CancelForDriver", "EVT_WDF_REQUEST_CANCEL"},
    {"C7", "ReferenceCountBroken",
     "A driver's reference count on a request dropped below zero or reached zero twice (a reference dropped twice).",
     NULL, "WdfRequestComplete"},
    {"C8", "LostCompletion",
     "A request never completed: at quiescence no path is left that will complete it (a lost completion, a hang).",
     NULL, "WdfRequestComplete"},
    {"C11", "UseAfterFree",
     "A handle used after the object was freed (the handle's generation no longer matches): a use after free.",
     "src/framework/shared/inc/private/common/fxhandle.h, FxObjectHandleGetPtr", "WdfObjectDelete"},
    {"C13", "BufferTouchedDuringDma",
     "The driver accessed a buffer the device still owns, before DmaCompleted returned TRUE.", NULL,
     "WdfDmaTransactionDmaCompleted"},
};

/* The header (documentation folder) of a DDI, by its name's prefix. */
static const struct {
    const char *prefix;
    const char *header;
} ddi_headers[] = {
    {"WdfDmaTransaction", "wdfdmatransaction"}, {"WdfDmaEnabler", "wdfdmaenabler"},
    {"WdfCommonBuffer", "wdfcommonbuffer"},     {"WdfRequest", "wdfrequest"},
    {"WdfIoQueue", "wdfio"},                    {"WdfTimer", "wdftimer"},
    {"WdfSpinLock", "wdfsync"},                 {"WdfWaitLock", "wdfsync"},
    {"WdfObject", "wdfobject"},                 {"WdfInterrupt", "wdfinterrupt"},
    {"WdfDpc", "wdfdpc"},                       {"WdfWorkItem", "wdfworkitem"},
    {"WdfDevice", "wdfdevice"},                 {"WdfDriver", "wdfdriver"},
    {"WdfMemory", "wdfmemory"},                 {"WdfCollection", "wdfcollection"},
    {"WdfRegistry", "wdfregistry"},             {"WdfString", "wdfstring"},
    {"EVT_WDF_REQUEST_CANCEL", "wdfrequest"},
};

/* learn.microsoft.com's page of a DDI (nf-<header>-<name>) or a callback
 * type (nc-<header>-<name>), into buf. */
static const char *doc_uri(const char *ddi, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof ddi_headers / sizeof ddi_headers[0]; i++) {
        size_t n = strlen(ddi_headers[i].prefix);
        if (strncmp(ddi, ddi_headers[i].prefix, n) != 0)
            continue;
        const char *h = ddi_headers[i].header;
        int k = snprintf(buf, len, "https://learn.microsoft.com/windows-hardware/drivers/ddi/%s/n%c-%s-", h,
                         strncmp(ddi, "EVT_", 4) == 0 ? 'c' : 'f', h);
        for (const char *p = ddi; k >= 0 && (size_t)k + 1 < len && *p; p++)
            buf[k++] = *p == '_' ? '_' : (char)tolower((unsigned char)*p);
        if (k >= 0 && (size_t)k < len)
            buf[k] = 0;
        return buf;
    }
    return NULL;
}

static bool describe(const char *rule, dr_rule_info *out, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (strcmp(rules[i].id, rule) != 0)
            continue;
        *out = (dr_rule_info){rules[i].name, rules[i].summary, rules[i].source,
                              rules[i].ddi ? doc_uri(rules[i].ddi, buf, len) : NULL};
        return true;
    }
    return false;
}

void km_rules_register(void) { dr_set_rule_info(describe); }
