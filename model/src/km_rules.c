/* km_rules.c: what each rule the model reports means (dr_rule_info, for
 * SARIF's rule metadata and the reports): its name, one sentence, the KMDF
 * source that does it (microsoft/Windows-Driver-Frameworks, as
 * kmdf-model-spec.md sections 5 and 6 cite it) and the documentation page of
 * the DDI it concerns. One row per rule id the model passes to km_bugcheck,
 * km_vf_break, km_crash, km_own_check, km_oracle and the like; CTest
 * model.rule_table checks that every id in model/src has exactly one row and
 * that no row is stale. */
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
#define KI "src/framework/kmdf/inc/private/"
#define SP "src/framework/shared/irphandlers/pnp/"
#define SS "src/framework/shared/support/"

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
    /* ---- DMA: the rest of the transaction and enabler checks (docs/model-dma.md) ---- */
    {"C12", "DmaCompletedWithCompletionPending",
     "DmaCompleted* while the HAL completion of the current transfer is still to come, or entered by two threads at "
     "once on one transaction: dmarace's own check (KMDF's checked build only asserts, its free build goes on with the "
     "transaction out of step).",
     KD "fxdmatransactionpacket.cpp, FxDmaPacketTransaction::StageTransfer", "WdfDmaTransactionDmaCompleted"},
    {"DMA-ADAPTER", "NotADmaAdapter",
     "A DMA_OPERATIONS routine called with a pointer that no WdfDmaEnablerWdmGetDmaAdapter returned: the HAL uses "
     "foreign memory, a crash.",
     NULL, "WdfDmaEnablerWdmGetDmaAdapter"},
    {"DMA-CB", "CommonBufferLengthOverflow",
     "A common buffer whose length plus alignment overflows, or does not fit a ULONG: verifier break, and the create "
     "fails (STATUS_INTEGER_OVERFLOW, STATUS_INSUFFICIENT_RESOURCES).",
     KD "fxcommonbuffer.cpp, FxCommonBuffer::AllocateCommonBuffer; " KD "fxdmaenabler.cpp, "
        "FxDmaEnabler::AllocateCommonBuffer",
     "WdfCommonBufferCreate"},
    {"DMA-CFG", "DmaSystemProfileNotConfigured",
     "WdfDmaEnablerConfigureSystemProfile for a direction already configured (verifier break, "
     "STATUS_INVALID_PARAMETER), or a system-DMA transaction or common buffer used on a direction never configured: "
     "KMDF uses a NULL adapter object, a crash.",
     KD "fxdmaenabler.cpp, FxDmaEnabler::ConfigureSystemAdapter", "WdfDmaEnablerConfigureSystemProfile"},
    {"DMA-DIR", "InvalidDmaDirection",
     "WdfDmaEnablerGetFragmentLength or WdfDmaEnablerWdmGetDmaAdapter with an invalid direction: verifier break, and "
     "it returns 0 or NULL.",
     KD "fxdmaenablerapi.cpp, WdfDmaEnablerGetFragmentLength and WdfDmaEnablerWdmGetDmaAdapter",
     "WdfDmaEnablerGetFragmentLength"},
    {"DMA-FREE", "DriverFreedAdapterChannel",
     "The driver called FreeAdapterChannel on the adapter of a KMDF enabler: KMDF frees the channel itself, so this is "
     "a double free (Driver Verifier bugcheck 0xE6/0x04; without it the HAL gives the channel to the next waiter while "
     "the transaction still transfers).",
     KI "fxdmatransactionsystem.hpp, FxDmaSystemTransaction::FreeMapRegistersAndAdapter", "PFREE_ADAPTER_CHANNEL"},
    {"DMA-INFO", "DmaTransferInfoInWrongState",
     "WdfDmaTransactionGetTransferInfo on a transaction that is not Initialized: bugcheck 0x10D.",
     KD "fxdmatransactionbase.cpp, FxDmaTransactionBase::GetTransferInfo", "WdfDmaTransactionGetTransferInfo"},
    {"DMA-MAXLEN", "DmaMaximumLengthInvalid",
     "WdfDmaTransactionSetMaximumLength before Initialize (or after the channel was freed), where KMDF reads its NULL "
     "adapter information, a crash; or a zero length, which KMDF accepts (dmarace's own check).",
     KI "fxdmatransactionbase.hpp, FxDmaTransactionBase::SetMaximumFragmentLength", "WdfDmaTransactionSetMaximumLength"},
    {"DMA-PUT", "DriverPutDmaAdapter",
     "The driver called PutDmaAdapter on the adapter KMDF owns: KMDF puts it itself when the enabler is deleted, so "
     "the adapter is released under its users, a crash.",
     KD "fxdmaenabler.cpp, FxDmaEnabler::FreeResources", "PPUT_DMA_ADAPTER"},
    {"DMA-REQ", "DmaRequestMethodNeither",
     "WdfDmaTransactionInitializeUsingRequest with a METHOD_NEITHER device control: verifier break and "
     "STATUS_INVALID_DEVICE_REQUEST.",
     KD "fxdmatransactionapi.cpp, WdfDmaTransactionInitializeUsingRequest", "WdfDmaTransactionInitializeUsingRequest"},
    {"DMA-RSV", "DmaReservationMisused",
     "WdfDmaTransactionAllocateResources on a scatter-gather or non-DMA-v3 bus-master transaction or with an invalid "
     "direction (verifier break, the call fails), or Execute with reserved resources before EvtReserveDma ran "
     "(dmarace's own check: KMDF would stage with a NULL map register base).",
     KD "fxdmatransactionapi.cpp, WdfDmaTransactionAllocateResources", "WdfDmaTransactionAllocateResources"},
    {"DMA-SINGLE", "SingleTransferRequirementTooLate",
     "WdfDmaTransactionSetSingleTransferRequirement outside Created, Reserved or Released: verifier break, and the "
     "requirement is not changed.",
     KD "fxdmatransactionapi.cpp, WdfDmaTransactionSetSingleTransferRequirement",
     "WdfDmaTransactionSetSingleTransferRequirement"},
    {"DMA-TC", "TransferContextInWrongState",
     "WdfDmaTransactionWdmGetTransferContext on a transaction that is not initialized, or released or deleted: "
     "verifier break, and it returns NULL.",
     KD "fxdmatransactionapi.cpp, WdfDmaTransactionWdmGetTransferContext", "WdfDmaTransactionWdmGetTransferContext"},
    {"DMA-WDM", "DmaOperationNotModelled",
     "A DMA_OPERATIONS routine the model does not implement, or IoAllocateMdl with an IRP: a model limit, not a driver "
     "bug.",
     NULL, "WdfDmaEnablerWdmGetDmaAdapter"},
    {"DMA-WIDTH", "DmaAddressWidthTooLarge",
     "An AddressWidthOverride above 32 on a 32-bit DMA profile: verifier break, and WdfDmaEnablerCreate fails with "
     "STATUS_INVALID_PARAMETER.",
     KD "fxdmaenabler.cpp, FxDmaEnabler::Initialize", "WdfDmaEnablerCreate"},
    {"MDL-FREE", "MdlFreedBadly",
     "IoFreeMdl of an MDL freed already, or not allocated by IoAllocateMdl: a crash.", NULL, "IoFreeMdl"},
    {"TX-LEFT", "TransactionLeftInTransfer",
     "A DMA transaction still in Transfer after every request completed: a protocol expectation (its final "
     "DmaCompleted* never came), not a KMDF rule.",
     NULL, "WdfDmaTransactionDmaCompletedFinal"},
    /* ---- request ---- */
    {"R2", "RequestCompletedTwice",
     "A request completed a second time without the verifier: its IRP is freed or recycled, a crash (with the "
     "verifier it is V15).",
     NULL, "WdfRequestComplete"},
    {"R3", "CompletedBeforeCancelCallback",
     "A request completed while cancelable or after WdfRequestUnmarkCancelable returned STATUS_CANCELLED, before its "
     "EvtRequestCancel started: the callback then runs on a completed request, a crash.",
     SQ "fxioqueue.cpp, FxIoQueue::CancelForDriver", "EVT_WDF_REQUEST_CANCEL"},
    {"R4", "CompletedRequestUsed",
     "WdfRequestMarkCancelable, UnmarkCancelable, IsCanceled, a Retrieve DDI or a second completion on a completed "
     "request without the verifier: its IRP is gone or recycled, a crash (with the verifier it is V14 or V15).",
     NULL, "WdfRequestUnmarkCancelable"},
    {"DR1", "FrameworkRequestDeleted",
     "WdfObjectDelete on a request an I/O queue presented: KMDF does not refuse it and disposes a request whose IRP is "
     "still pending; dmarace's own check (complete it instead).",
     SO "fxobjectapi.cpp, WdfObjectDelete", "WdfObjectDelete"},
    {"RQ1", "CompleteCreatedRequest",
     "WdfRequestComplete on a request from WdfRequestCreate without the verifier: KMDF completes an IRP the request "
     "does not have, a crash (with the verifier it is V14).",
     SC "fxrequest.cpp, FxRequest::CompleteInternal", "WdfRequestCreate"},
    {"RQ2", "ReuseMustCompleteWithoutIrp",
     "WdfRequestReuse with WDF_REQUEST_REUSE_MUST_COMPLETE on a request that has no IRP: verifier break and "
     "STATUS_INVALID_PARAMETER.",
     SC "fxrequest.cpp, FxRequest::Reuse", "WdfRequestReuse"},
    {"RQ3", "RequestWithoutIrp",
     "WdfRequestGetStatus, the parameter or the buffer DDIs on a request from WdfRequestCreate (no I/O target, so no "
     "IRP): KMDF reads through its NULL IRP, a crash.",
     SC "fxrequest.cpp, FxRequest::GetStatus", "WdfRequestGetStatus"},
    {"REQBUF", "RequestBufferUnavailable",
     "A request's buffer or MDL asked for where KMDF has none to give (a user-mode read or write of a neither-I/O "
     "device, a request of another major function): verifier break and STATUS_INVALID_DEVICE_REQUEST.",
     SC "fxrequest.cpp, FxRequest::GetMemoryObject; src/framework/shared/core/km/fxrequestkm.cpp, FxRequest::GetMdl",
     "WdfRequestRetrieveInputBuffer"},
    {"REQCTX", "UnsafeBufferOutsideCallerContext",
     "WdfRequestRetrieveUnsafeUserInputBuffer or OutputBuffer outside EvtIoInCallerContext, or on a request that is "
     "not a METHOD_NEITHER device control or a neither-I/O read or write: verifier break and "
     "STATUS_INVALID_DEVICE_REQUEST.",
     SC "fxrequest.cpp, FxRequest::VerifyRequestIsInCallerContext", "WdfRequestRetrieveUnsafeUserInputBuffer"},
    {"MEM1", "CopyIntoReadOnlyMemory",
     "WdfMemoryCopyFromBuffer into a request's read-only buffer (a write's input, a direct IOCTL's output): verifier "
     "break and STATUS_ACCESS_VIOLATION.",
     SC "fxmemoryobject.cpp, IFxMemory::CopyFromPtr", "WdfMemoryCopyFromBuffer"},
    /* ---- queue ---- */
    {"DISPATCH-CFG", "RequestDispatchingRefused",
     "WdfDeviceConfigureRequestDispatching to a queue with no callback for the type, to the default queue, or for a "
     "type configured already: verifier break, and the call fails.",
     SQ "fxpkgio.cpp, FxPkgIo::ConfigureForwarding", "WdfDeviceConfigureRequestDispatching"},
    {"QCTL", "QueueStateCallbackPending",
     "WdfIoQueueStop, Purge or Drain with a completion callback while one is pending already: verifier break, and the "
     "call does nothing.",
     SQ "fxioqueue.cpp, FxIoQueue::QueueIdle and QueuePurge", "WdfIoQueueStop"},
    {"QFWD", "ForwardRefused",
     "WdfRequestForwardToIoQueue, Requeue or StopAcknowledge(requeue) of a cancelable request, or a forward to the "
     "request's own queue or another device's: verifier break, and the request stays with the driver.",
     SQ "fxioqueue.cpp, FxIoQueue::VerifyForwardRequest; " SC "fxrequest.cpp, FxRequest::VerifyRequestIsNotCancelable",
     "WdfRequestForwardToIoQueue"},
    {"QOWN1", "CompletedWhileOnQueue",
     "A request completed after the driver forwarded or requeued it, verifier off: its IRP completes while a queue "
     "still holds it, and the queue presents a freed request (with the verifier it is V14).",
     NULL, "WdfRequestForwardToIoQueue"},
    {"QREADY", "ReadyNotifyRefused",
     "WdfIoQueueReadyNotify on a queue that is not manual, a second registration, or a cancel with none registered or "
     "while the queue dispatches: verifier break and STATUS_INVALID_DEVICE_REQUEST.",
     SQ "fxioqueue.cpp, FxIoQueue::ReadyNotify", "WdfIoQueueReadyNotify"},
    {"QREQUEUE", "RequeueOnNonManualQueue",
     "WdfRequestRequeue of a request whose queue is not manual: verifier break and STATUS_INVALID_DEVICE_REQUEST.",
     SQ "fxioqueue.cpp, FxIoQueue::Requeue", "WdfRequestRequeue"},
    {"QSTOP1", "StopNotAcknowledged",
     "EvtIoStop neither acknowledged nor completed a request at power-down: the queue waits for it forever and the "
     "power IRP never completes, bugcheck 0x9F (DRIVER_POWER_STATE_FAILURE).",
     SQ "fxioqueue.cpp, FxIoQueue::StopProcessingForPower", "EVT_WDF_IO_QUEUE_IO_STOP"},
    {"QSTOP2", "StopAcknowledgeNotStopping",
     "WdfRequestStopAcknowledge on a request that no EvtIoStop is stopping: verifier break, and the call does nothing.",
     SC "fxrequest.cpp, FxRequest::VerifyRequestIsInEvtIoStopContext", "WdfRequestStopAcknowledge"},
    {"QSTOP3", "StopAcknowledgedTwice",
     "WdfRequestStopAcknowledge a second time for one stop: verifier break, and the call does nothing.",
     SC "fxrequest.cpp, FxRequest::VerifyRequestIsInEvtIoStopContext", "WdfRequestStopAcknowledge"},
    {"QSTOP4", "DriverOwnedRequestAtRemoval",
     "A request the driver owns is never completed when the device is removed: the removal's purge waits for it "
     "forever and the remove IRP never completes, bugcheck 0x9F.",
     SQ "fxioqueue.cpp, FxIoQueue::StopProcessingForPower", "EVT_WDF_IO_QUEUE_IO_STOP"},
    /* ---- interrupt (docs/model-interrupt.md) ---- */
    {"INT1", "InterruptStorm",
     "EvtInterruptIsr returns with its level-triggered line still asserted, time after time: an interrupt storm, "
     "nothing else runs on the processor (Windows' storm detection: bugcheck 0xF2 HARDWARE_INTERRUPT_STORM).",
     NULL, "EVT_WDF_INTERRUPT_ISR"},
    {"INT2", "DdiAboveDispatchLevel",
     "A DDI allowed up to DISPATCH_LEVEL called at DIRQL (from the ISR, under the interrupt lock): KMDF's spin lock "
     "raises to DISPATCH_LEVEL, below the current IRQL, bugcheck 0x9 (IRQL_NOT_GREATER_OR_EQUAL).",
     "src/framework/shared/inc/primitives/km/mxlockkm.h, MxLockNoDynam::Acquire", "WdfInterruptQueueDpcForIsr"},
    {"INT3", "AboveSynchronizeIrql",
     "WdfInterruptSynchronize or WdfInterruptAcquireLock above the interrupt's synchronize IRQL: taking the interrupt "
     "spin lock lowers IRQL, bugcheck 0x9 (IRQL_NOT_GREATER_OR_EQUAL).",
     SP "interruptobject.cpp, FxInterrupt::Synchronize and AcquireLock", "WdfInterruptSynchronize"},
    {"INT4", "InterruptLockNotHeld",
     "WdfInterruptReleaseLock by a thread that did not take the lock with WdfInterruptAcquireLock: "
     "KeReleaseInterruptSpinLock releases another holder's lock and restores a stale IRQL, a crash.",
     SP "interruptobject.cpp, FxInterrupt::ReleaseLock", "WdfInterruptReleaseLock"},
    {"INT5", "SynchronizeNotConnected",
     "WdfInterruptSynchronize on an interrupt that is not connected: KMDF calls KeSynchronizeExecution with a NULL "
     "interrupt object, a crash (only its checked build asserts).",
     SP "interruptobject.cpp, FxInterrupt::Synchronize", "WdfInterruptSynchronize"},
    {"INT6", "InterruptLockNotConnected",
     "WdfInterruptAcquireLock or ReleaseLock on an interrupt that is not connected: verifier break, and no lock is "
     "taken or released.",
     SP "interruptobject.cpp, FxInterrupt::AcquireLock and ReleaseLock", "WdfInterruptAcquireLock"},
    {"INT7", "InterruptConnectedTwice",
     "WdfInterruptEnable on an interrupt already connected and enabled: dmarace's own check (KMDF's checked build "
     "asserts, its free build connects it a second time).",
     SP "interruptobject.cpp, FxInterrupt::Connect", "WdfInterruptEnable"},
    {"INT8", "InterruptCallbackMissing",
     "The interrupt's DPC runs without an EvtInterruptDpc, or WdfInterruptQueueWorkItemForIsr without an "
     "EvtInterruptWorkItem: KMDF calls or uses a NULL pointer, a crash (only its checked build asserts).",
     "src/framework/shared/irphandlers/pnp/km/interruptobjectkm.cpp, FxInterrupt::DpcHandler; " SP
     "interruptobject.cpp, FxInterrupt::QueueWorkItemForIsr",
     "WdfInterruptQueueDpcForIsr"},
    {"INT9", "TryToAcquireLockAtDirql",
     "WdfInterruptTryToAcquireLock on an interrupt handled at DIRQL (it is for passive-level interrupts): verifier "
     "break, and it returns FALSE.",
     SP "fxinterruptapi.cpp, WdfInterruptTryToAcquireLock", "WdfInterruptTryToAcquireLock"},
    {"INT10", "InterruptDescriptorNotFromResources",
     "WdfInterruptCreate with InterruptRaw and InterruptTranslated that are not a pair of the resource lists' "
     "descriptors, verifier off: KMDF takes CONTAINING_RECORD of them and uses foreign memory, a crash (the verifier "
     "refuses them with STATUS_INVALID_PARAMETER).",
     SP "interruptobject.cpp, FxInterrupt::Initialize", "WdfInterruptCreate"},
    {"INT11", "InterruptInfoWrongSize",
     "WdfInterruptGetInfo with a WDF_INTERRUPT_INFO of the wrong Size: verifier break, and Info is left unchanged.",
     SP "fxinterruptapi.cpp, WdfInterruptGetInfo", "WdfInterruptGetInfo"},
    {"INT12", "InterruptPolicyInvalid",
     "WdfInterruptSetPolicy or SetExtendedPolicy with a policy or priority out of range, a wrong Size or nonzero "
     "reserved fields: verifier break, and nothing is set.",
     SP "fxinterruptapi.cpp, WdfInterruptSetPolicy and WdfInterruptSetExtendedPolicy", "WdfInterruptSetExtendedPolicy"},
    /* ---- other objects: collection, device, work item, locks ---- */
    {"CFG", "CapabilitiesWrongSize",
     "WdfDeviceSetPnpCapabilities or SetPowerCapabilities with a structure of the wrong Size: verifier break, and "
     "nothing is set.",
     SC "fxdeviceapi.cpp, WdfDeviceSetPnpCapabilities and WdfDeviceSetPowerCapabilities",
     "WdfDeviceSetPnpCapabilities"},
    {"COLL", "NotInCollection",
     "WdfCollectionRemove of an object that is not in the collection, or WdfCollectionRemoveItem of an index past its "
     "end: verifier break, and nothing is removed.",
     SS "fxcollectionapi.cpp, WdfCollectionRemove and WdfCollectionRemoveItem", "WdfCollectionRemove"},
    {"WI1", "WorkItemEnqueuedAfterDelete",
     "WdfWorkItemEnqueue on a work item being deleted (itself or its parent): verifier break, and nothing is queued.",
     SC "fxworkitem.cpp, FxWorkItem::Enqueue", "WdfWorkItemEnqueue"},
    {"WI2", "WorkItemFlushFromOwnCallback",
     "WdfWorkItemFlush from the work item's own EvtWorkItemFunc, which would wait for itself: verifier break, and it "
     "returns without waiting.",
     SC "fxworkitem.cpp, FxWorkItem::FlushAndWait", "WdfWorkItemFlush"},
    {"WL1", "WaitLockReleasedByNonOwner",
     "WdfWaitLockRelease by a thread that does not hold the lock (or of a free lock): dmarace's own check (KMDF only "
     "asserts the owner in checked builds and lets a second thread in).",
     "src/framework/shared/inc/private/common/fxwaitlock.hpp, FxWaitLockInternal::ReleaseLock", "WdfWaitLockRelease"},
    {"SYNC", "CallbackLockMisused",
     "A callback (synchronization) lock misused: a child whose execution level does not match its parent's lock "
     "(verifier break, STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL), a recursive acquire or an object without one "
     "(bugcheck 0x10D), a passive lock acquired above PASSIVE_LEVEL (a crash), or a release by a non-owner (verifier "
     "break, else a crash).",
     SO "fxobject.cpp, FxObject::_GetEffectiveLock; " SO "fxobjectapi.cpp, WdfObjectAcquireLock and "
        "WdfObjectReleaseLock",
     "WdfObjectAcquireLock"},
    /* ---- PnP and power (docs/model-pnp.md) ---- */
    {"PNP1", "RegisterAccessInD3",
     "A register access after EvtDeviceD0Exit returned and before the next EvtDeviceD0Entry: dmarace's own check (the "
     "device is powered down; KMDF checks nothing, the hardware reads all ones, drops writes or hangs the bus).",
     NULL, "EVT_WDF_DEVICE_D0_EXIT"},
    {"PNP2", "DmaTransactionAfterReleaseHardware",
     "A DMA transaction still in Transfer, or Initialized and never released, after EvtDeviceReleaseHardware returned: "
     "dmarace's own check (the device's resources are gone).",
     NULL, "EVT_WDF_DEVICE_RELEASE_HARDWARE"},
    {"CALLBACK-FAILED", "StartCallbackFailed",
     "DriverEntry, EvtDriverDeviceAdd or a PnP/power callback (EvtDevicePrepareHardware, EvtDeviceD0Entry, "
     "EvtInterruptEnable, ...) failed: KMDF fails the device, and the model does not go on (an oracle finding).",
     NULL, NULL},
    /* ---- registers and the generic device (docs/model.md, docs/model-device.md): dmarace's own ---- */
    {"HW1", "MappingOutsideDeviceRanges",
     "MmMapIoSpace of an address in no memory range of the device, past a range's end, or of 0 bytes: dmarace's own "
     "check.",
     NULL, "MmMapIoSpace"},
    {"HW2", "UnmappingWhatIsNotMapped",
     "MmUnmapIoSpace of an address no current mapping starts at (unmapped twice, never mapped), or with another length "
     "than mapped: dmarace's own check.",
     NULL, "MmUnmapIoSpace"},
    {"HW3", "RegisterAccessOutsideMapping",
     "A register read or write, or a plain load or store, on register memory no current MmMapIoSpace mapping covers: "
     "dmarace's own check.",
     NULL, "MmMapIoSpace"},
    {"HW5", "DmaToUnmappedMemory",
     "The generic device moves data to or from memory no programmed DMA stage holds, or reads its descriptor table "
     "outside a live common buffer: the device corrupts memory, a crash.",
     NULL, "EVT_WDF_PROGRAM_DMA"},
    {"HW6", "StartOnBusyChannel",
     "The driver wrote START to a generic device channel whose run is still going: dmarace's own check (the device "
     "queues nothing; ABORT the run or wait for DONE).",
     NULL, NULL},
    {"HW7", "DescriptorCountTooLarge",
     "The driver started a generic device channel with more than 256 descriptors: dmarace's own check.", NULL, NULL},
    /* ---- WDM routines the driver calls (docs/model.md) ---- */
    {"IRQL", "WdmRoutineAboveIrql",
     "A memory or event routine (MmAllocateNonCachedMemory, KeWaitForSingleObject, ...) called above the IRQL its "
     "documentation allows: dmarace's own check (Windows bug-checks when such a call must page or switch threads).",
     NULL, NULL},
    {"MEMORY", "FreedWithWrongRoutine",
     "Memory freed with another routine than its allocator's, or MmFreeNonCachedMemory with another size than "
     "allocated: dmarace's own check.",
     NULL, "MmFreeNonCachedMemory"},
    {"POOL", "BadPoolFree",
     "ExFreePool* of an address no allocation returned, twice, above the IRQL its pool allows (Driver Verifier "
     "bugcheck 0xC4), or with another tag than allocated (bugcheck 0xC2 BAD_POOL_CALLER).",
     NULL, "ExFreePoolWithTag"},
    {"POOL-LEAK", "PoolLeak",
     "Memory allocated while the requests ran was still allocated when every request had completed: a leak (Driver "
     "Verifier checks it at unload, bugcheck 0xC4/0x62).",
     NULL, "ExFreePoolWithTag"},
    {"SPIN", "SpinLockNotHeld",
     "KeReleaseSpinLock or KeReleaseSpinLockFromDpcLevel of a KSPIN_LOCK this processor does not hold (never "
     "acquired, or released twice): a crash.",
     NULL, "KeReleaseSpinLock"},
    {"PAGED-CODE", "PagedCodeAboveApcLevel",
     "A routine marked PAGED_CODE ran above APC_LEVEL: pageable code touched there is bugcheck 0xD1 "
     "(DRIVER_IRQL_NOT_LESS_OR_EQUAL), every time with Driver Verifier's IRQL checking.",
     NULL, NULL},
    {"NT-ASSERT", "DriverAssertionFailed", "An NT_ASSERT in the driver failed.", NULL, NULL},
    /* ---- dmarace's own: the scenario, the environment and the model's limits ---- */
    {"SETUP-WAIT", "WaitDuringSetUp",
     "The driver waits during set-up (DriverEntry, EvtDriverDeviceAdd, EvtDevicePrepareHardware, D0 entry) for an "
     "event nothing sets, or for a queue with WdfIoQueue*Synchronously: nothing else runs then, a deadlock.",
     NULL, "KeWaitForSingleObject"},
    {"NO-QUEUE", "NoQueueForRequest",
     "The driver created no default I/O queue and configured none for a request type the scenario sends: the model "
     "cannot present those requests (a scenario error).",
     NULL, "WdfIoQueueCreate"},
    {"OBJECT-LEAK", "ObjectTableFull",
     "More than 512 live WDF objects at once: the model's object table is full, most likely a leak.", NULL,
     "WdfObjectDelete"},
    {"MODEL-LIMIT", "ModelLimit",
     "A queue held more requests than the model allows (16): a model limit, not a driver bug.", NULL, NULL},
    {"ENV", "BadEnvironment",
     "The scenario's environment is inconsistent (a request count out of range, a device without the resources it "
     "needs, an interrupt line the device does not have): a scenario error, not a driver bug.",
     NULL, NULL},
    {"CLIENT-CALL", "BadClientCall",
     "The scenario's client called KmClientQueryInterface or KmClientStart without a required argument: a scenario "
     "error, not a driver bug.",
     NULL, NULL},
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
    {"WdfObjectAcquireLock", "wdfsync"},        {"WdfObjectReleaseLock", "wdfsync"},
    {"WdfObject", "wdfobject"},                 {"WdfInterrupt", "wdfinterrupt"},
    {"WdfDpc", "wdfdpc"},                       {"WdfWorkItem", "wdfworkitem"},
    {"WdfDevice", "wdfdevice"},                 {"WdfDriver", "wdfdriver"},
    {"WdfMemory", "wdfmemory"},                 {"WdfCollection", "wdfcollection"},
    {"WdfRegistry", "wdfregistry"},             {"WdfString", "wdfstring"},
    {"EVT_WDF_REQUEST_CANCEL", "wdfrequest"},   {"EVT_WDF_IO_QUEUE", "wdfio"},
    {"EVT_WDF_INTERRUPT", "wdfinterrupt"},      {"EVT_WDF_DEVICE", "wdfdevice"},
    {"EVT_WDF_PROGRAM_DMA", "wdfdmatransaction"},
    /* WDM: routines (nf-wdm-...) and DMA_OPERATIONS callback types (nc-wdm-...) */
    {"MmFreeNonCachedMemory", "ntddk"},         {"Mm", "wdm"},
    {"Io", "wdm"},                              {"Ke", "wdm"},
    {"Ex", "wdm"},                              {"PFREE_ADAPTER_CHANNEL", "wdm"},
    {"PPUT_DMA_ADAPTER", "wdm"},
};

/* learn.microsoft.com's page of a DDI (nf-<header>-<name>) or a callback
 * type, all capitals (nc-<header>-<name>), into buf. */
static bool is_type(const char *ddi)
{
    for (const char *p = ddi; *p; p++)
        if (islower((unsigned char)*p))
            return false;
    return true;
}

static const char *doc_uri(const char *ddi, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof ddi_headers / sizeof ddi_headers[0]; i++) {
        size_t n = strlen(ddi_headers[i].prefix);
        if (strncmp(ddi, ddi_headers[i].prefix, n) != 0)
            continue;
        const char *h = ddi_headers[i].header;
        int k = snprintf(buf, len, "https://learn.microsoft.com/windows-hardware/drivers/ddi/%s/n%c-%s-", h,
                         is_type(ddi) ? 'c' : 'f', h);
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
