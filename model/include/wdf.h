/* wdf.h: the KMDF API a system-mode DMA driver uses, with KMDF's own names,
 * types and signatures (KMDF 1.33 public headers are the reference), backed by
 * dmarace's model. Handles are generation-checked values, not pointers: a
 * stale or foreign handle is caught, never dereferenced. */
#ifndef DMARACE_WDF_H
#define DMARACE_WDF_H

#include "ntddk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- handles ------------------------------------------------------------------ */
#define WDF_DECLARE_HANDLE(name)                                                                          \
    struct name##__ {                                                                                     \
        int unused;                                                                                       \
    };                                                                                                    \
    typedef struct name##__ *name
typedef HANDLE WDFOBJECT, *PWDFOBJECT;
WDF_DECLARE_HANDLE(WDFDRIVER);
WDF_DECLARE_HANDLE(WDFDEVICE);
WDF_DECLARE_HANDLE(WDFQUEUE);
WDF_DECLARE_HANDLE(WDFREQUEST);
WDF_DECLARE_HANDLE(WDFDMAENABLER);
WDF_DECLARE_HANDLE(WDFDMATRANSACTION);
WDF_DECLARE_HANDLE(WDFTIMER);
WDF_DECLARE_HANDLE(WDFSPINLOCK);
WDF_DECLARE_HANDLE(WDFCMRESLIST);
WDF_DECLARE_HANDLE(WDFMEMORY);
typedef PVOID WDFCONTEXT;
typedef struct WDFDEVICE_INIT WDFDEVICE_INIT, *PWDFDEVICE_INIT;
#define WDF_NO_HANDLE NULL
#define WDF_NO_OBJECT_ATTRIBUTES NULL
#define WDF_NO_CONTEXT NULL

typedef enum _WDF_TRI_STATE { WdfFalse = FALSE, WdfTrue = TRUE, WdfUseDefault = 2 } WDF_TRI_STATE;

/* ---- object attributes and contexts ------------------------------------------------ */
typedef enum _WDF_EXECUTION_LEVEL {
    WdfExecutionLevelInvalid = 0,
    WdfExecutionLevelInheritFromParent,
    WdfExecutionLevelPassive,
    WdfExecutionLevelDispatch,
} WDF_EXECUTION_LEVEL;

typedef enum _WDF_SYNCHRONIZATION_SCOPE {
    WdfSynchronizationScopeInvalid = 0,
    WdfSynchronizationScopeInheritFromParent,
    WdfSynchronizationScopeDevice,
    WdfSynchronizationScopeQueue,
    WdfSynchronizationScopeNone,
} WDF_SYNCHRONIZATION_SCOPE;

typedef VOID EVT_WDF_OBJECT_CONTEXT_CLEANUP(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP *PFN_WDF_OBJECT_CONTEXT_CLEANUP;
typedef VOID EVT_WDF_OBJECT_CONTEXT_DESTROY(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY *PFN_WDF_OBJECT_CONTEXT_DESTROY;

typedef struct _WDF_OBJECT_CONTEXT_TYPE_INFO {
    ULONG Size;
    PCHAR ContextName;
    size_t ContextSize;
    const struct _WDF_OBJECT_CONTEXT_TYPE_INFO *UniqueType;
    PVOID EvtDriverGetUniqueContextType;
} WDF_OBJECT_CONTEXT_TYPE_INFO, *PWDF_OBJECT_CONTEXT_TYPE_INFO;
typedef const WDF_OBJECT_CONTEXT_TYPE_INFO *PCWDF_OBJECT_CONTEXT_TYPE_INFO;

typedef struct _WDF_OBJECT_ATTRIBUTES {
    ULONG Size;
    PFN_WDF_OBJECT_CONTEXT_CLEANUP EvtCleanupCallback;
    PFN_WDF_OBJECT_CONTEXT_DESTROY EvtDestroyCallback;
    WDF_EXECUTION_LEVEL ExecutionLevel;
    WDF_SYNCHRONIZATION_SCOPE SynchronizationScope;
    WDFOBJECT ParentObject;
    size_t ContextSizeOverride;
    PCWDF_OBJECT_CONTEXT_TYPE_INFO ContextTypeInfo;
} WDF_OBJECT_ATTRIBUTES, *PWDF_OBJECT_ATTRIBUTES;
typedef const WDF_OBJECT_ATTRIBUTES *PCWDF_OBJECT_ATTRIBUTES;

static inline VOID WDF_OBJECT_ATTRIBUTES_INIT(PWDF_OBJECT_ATTRIBUTES Attributes)
{
    *Attributes = (WDF_OBJECT_ATTRIBUTES){0};
    Attributes->Size = sizeof(WDF_OBJECT_ATTRIBUTES);
    Attributes->SynchronizationScope = WdfSynchronizationScopeInheritFromParent;
    Attributes->ExecutionLevel = WdfExecutionLevelInheritFromParent;
}

#define WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) _WDF_##_contexttype##_TYPE_INFO
#define WDF_GET_CONTEXT_TYPE_INFO(_contexttype) (WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype).UniqueType)

#define WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype)                                 \
    (_attributes)->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(_contexttype)
#define WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(_attributes, _contexttype)                                \
    (WDF_OBJECT_ATTRIBUTES_INIT(_attributes), WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype))

PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo);
#define WdfObjectGetTypedContext(handle, _contexttype)                                                    \
    ((_contexttype *)WdfObjectGetTypedContextWorker((WDFOBJECT)(handle), WDF_GET_CONTEXT_TYPE_INFO(_contexttype)))

/* A type-info object per translation unit; the model matches context types by
 * name and size, so a driver's files agree with each other, and two drivers
 * linked into one dmarace (each with its own REQUEST_CONTEXT) never share one. */
#define WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, _castingfunction)                                \
    static const WDF_OBJECT_CONTEXT_TYPE_INFO WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype)                    \
        __attribute__((unused)) = {                                                                       \
        sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), (PCHAR) #_contexttype, sizeof(_contexttype),                \
        &WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype), NULL};                                                 \
    static inline _contexttype *_castingfunction(WDFOBJECT Handle)                                        \
    {                                                                                                     \
        return (_contexttype *)WdfObjectGetTypedContextWorker(Handle,                                     \
                                                              WDF_GET_CONTEXT_TYPE_INFO(_contexttype));   \
    }
#define WDF_DECLARE_CONTEXT_TYPE(_contexttype)                                                            \
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, WdfObjectGet_##_contexttype)

_Must_inspect_result_ NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes,
                                                        PVOID *Context);
VOID WdfObjectDelete(WDFOBJECT Object);
/* The object's callback lock (a WDFDRIVER, WDFDEVICE or WDFQUEUE). */
VOID WdfObjectAcquireLock(WDFOBJECT Object);
VOID WdfObjectReleaseLock(WDFOBJECT Object);
#define WdfObjectReference(Handle) WdfObjectReferenceActual((WDFOBJECT)(Handle), NULL, __LINE__, __FILE__)
#define WdfObjectDereference(Handle) WdfObjectDereferenceActual((WDFOBJECT)(Handle), NULL, __LINE__, __FILE__)
#define WdfObjectReferenceWithTag(Handle, Tag)                                                            \
    WdfObjectReferenceActual((WDFOBJECT)(Handle), (Tag), __LINE__, __FILE__)
#define WdfObjectDereferenceWithTag(Handle, Tag)                                                          \
    WdfObjectDereferenceActual((WDFOBJECT)(Handle), (Tag), __LINE__, __FILE__)
VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCSTR File);
VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCSTR File);

/* ---- driver ------------------------------------------------------------------------ */
typedef NTSTATUS EVT_WDF_DRIVER_DEVICE_ADD(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit);
typedef EVT_WDF_DRIVER_DEVICE_ADD *PFN_WDF_DRIVER_DEVICE_ADD;
typedef VOID EVT_WDF_DRIVER_UNLOAD(WDFDRIVER Driver);
typedef EVT_WDF_DRIVER_UNLOAD *PFN_WDF_DRIVER_UNLOAD;

typedef struct _WDF_DRIVER_CONFIG {
    ULONG Size;
    PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;
    PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;
    ULONG DriverInitFlags;
    ULONG DriverPoolTag;
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;

static inline VOID WDF_DRIVER_CONFIG_INIT(PWDF_DRIVER_CONFIG Config, PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd)
{
    *Config = (WDF_DRIVER_CONFIG){0};
    Config->Size = sizeof(WDF_DRIVER_CONFIG);
    Config->EvtDriverDeviceAdd = EvtDriverDeviceAdd;
}

_Must_inspect_result_ NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                                               PWDF_OBJECT_ATTRIBUTES DriverAttributes,
                                               PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver);
typedef NTSTATUS DRIVER_INITIALIZE(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

/* ---- device ------------------------------------------------------------------------ */
typedef enum _WDF_DEVICE_IO_TYPE {
    WdfDeviceIoUndefined = 0,
    WdfDeviceIoNeither,
    WdfDeviceIoBuffered,
    WdfDeviceIoDirect,
    WdfDeviceIoBufferedOrDirect = 4,
} WDF_DEVICE_IO_TYPE;

typedef enum _WDF_POWER_DEVICE_STATE {
    WdfPowerDeviceInvalid = 0,
    WdfPowerDeviceD0,
    WdfPowerDeviceD1,
    WdfPowerDeviceD2,
    WdfPowerDeviceD3,
    WdfPowerDeviceD3Final,
    WdfPowerDevicePrepareForHibernation,
} WDF_POWER_DEVICE_STATE;

typedef NTSTATUS EVT_WDF_DEVICE_PREPARE_HARDWARE(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw,
                                                 WDFCMRESLIST ResourcesTranslated);
typedef EVT_WDF_DEVICE_PREPARE_HARDWARE *PFN_WDF_DEVICE_PREPARE_HARDWARE;
typedef NTSTATUS EVT_WDF_DEVICE_RELEASE_HARDWARE(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated);
typedef EVT_WDF_DEVICE_RELEASE_HARDWARE *PFN_WDF_DEVICE_RELEASE_HARDWARE;
typedef NTSTATUS EVT_WDF_DEVICE_D0_ENTRY(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState);
typedef EVT_WDF_DEVICE_D0_ENTRY *PFN_WDF_DEVICE_D0_ENTRY;
typedef NTSTATUS EVT_WDF_DEVICE_D0_EXIT(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState);
typedef EVT_WDF_DEVICE_D0_EXIT *PFN_WDF_DEVICE_D0_EXIT;

typedef struct _WDF_PNPPOWER_EVENT_CALLBACKS {
    ULONG Size;
    PFN_WDF_DEVICE_D0_ENTRY EvtDeviceD0Entry;
    PVOID EvtDeviceD0EntryPostInterruptsEnabled;
    PFN_WDF_DEVICE_D0_EXIT EvtDeviceD0Exit;
    PVOID EvtDeviceD0ExitPreInterruptsDisabled;
    PFN_WDF_DEVICE_PREPARE_HARDWARE EvtDevicePrepareHardware;
    PFN_WDF_DEVICE_RELEASE_HARDWARE EvtDeviceReleaseHardware;
    PVOID EvtDeviceSelfManagedIoCleanup;
    PVOID EvtDeviceSelfManagedIoFlush;
    PVOID EvtDeviceSelfManagedIoInit;
    PVOID EvtDeviceSelfManagedIoSuspend;
    PVOID EvtDeviceSelfManagedIoRestart;
    PVOID EvtDeviceSurpriseRemoval;
    PVOID EvtDeviceQueryRemove;
    PVOID EvtDeviceQueryStop;
    PVOID EvtDeviceUsageNotification;
    PVOID EvtDeviceRelationsQuery;
    PVOID EvtDeviceUsageNotificationEx;
} WDF_PNPPOWER_EVENT_CALLBACKS, *PWDF_PNPPOWER_EVENT_CALLBACKS;

static inline VOID WDF_PNPPOWER_EVENT_CALLBACKS_INIT(PWDF_PNPPOWER_EVENT_CALLBACKS Callbacks)
{
    *Callbacks = (WDF_PNPPOWER_EVENT_CALLBACKS){0};
    Callbacks->Size = sizeof(WDF_PNPPOWER_EVENT_CALLBACKS);
}

VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit,
                                            PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks);
VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType);
VOID WdfDeviceInitSetRequestAttributes(PWDFDEVICE_INIT DeviceInit, PWDF_OBJECT_ATTRIBUTES RequestAttributes);
_Must_inspect_result_ NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
                                               WDFDEVICE *Device);
ULONG WdfCmResourceListGetCount(WDFCMRESLIST List);
PCM_PARTIAL_RESOURCE_DESCRIPTOR WdfCmResourceListGetDescriptor(WDFCMRESLIST List, ULONG Index);

/* ---- queues and requests ---------------------------------------------------------- */
typedef enum _WDF_IO_QUEUE_DISPATCH_TYPE {
    WdfIoQueueDispatchInvalid = 0,
    WdfIoQueueDispatchSequential,
    WdfIoQueueDispatchParallel,
    WdfIoQueueDispatchManual,
    WdfIoQueueDispatchMax,
} WDF_IO_QUEUE_DISPATCH_TYPE;

typedef VOID EVT_WDF_IO_QUEUE_IO_DEFAULT(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_DEFAULT *PFN_WDF_IO_QUEUE_IO_DEFAULT;
typedef VOID EVT_WDF_IO_QUEUE_IO_READ(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_READ *PFN_WDF_IO_QUEUE_IO_READ;
typedef VOID EVT_WDF_IO_QUEUE_IO_WRITE(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_WRITE *PFN_WDF_IO_QUEUE_IO_WRITE;
typedef VOID EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
                                               size_t InputBufferLength, ULONG IoControlCode);
typedef EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL *PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL;
typedef VOID EVT_WDF_IO_QUEUE_IO_STOP(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags);
typedef EVT_WDF_IO_QUEUE_IO_STOP *PFN_WDF_IO_QUEUE_IO_STOP;
typedef VOID EVT_WDF_IO_QUEUE_IO_RESUME(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_RESUME *PFN_WDF_IO_QUEUE_IO_RESUME;
typedef VOID EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE *PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE;
typedef VOID EVT_WDF_REQUEST_CANCEL(WDFREQUEST Request);
typedef EVT_WDF_REQUEST_CANCEL *PFN_WDF_REQUEST_CANCEL;

typedef struct _WDF_IO_QUEUE_CONFIG {
    ULONG Size;
    WDF_IO_QUEUE_DISPATCH_TYPE DispatchType;
    WDF_TRI_STATE PowerManaged;
    BOOLEAN AllowZeroLengthRequests;
    BOOLEAN DefaultQueue;
    PFN_WDF_IO_QUEUE_IO_DEFAULT EvtIoDefault;
    PFN_WDF_IO_QUEUE_IO_READ EvtIoRead;
    PFN_WDF_IO_QUEUE_IO_WRITE EvtIoWrite;
    PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL EvtIoDeviceControl;
    PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL EvtIoInternalDeviceControl;
    PFN_WDF_IO_QUEUE_IO_STOP EvtIoStop;
    PFN_WDF_IO_QUEUE_IO_RESUME EvtIoResume;
    PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE EvtIoCanceledOnQueue;
    union {
        struct {
            ULONG NumberOfPresentedRequests;
        } Parallel;
    } Settings;
    WDFDRIVER Driver;
} WDF_IO_QUEUE_CONFIG, *PWDF_IO_QUEUE_CONFIG;

static inline VOID WDF_IO_QUEUE_CONFIG_INIT(PWDF_IO_QUEUE_CONFIG Config, WDF_IO_QUEUE_DISPATCH_TYPE DispatchType)
{
    *Config = (WDF_IO_QUEUE_CONFIG){0};
    Config->Size = sizeof(WDF_IO_QUEUE_CONFIG);
    Config->PowerManaged = WdfUseDefault;
    Config->DispatchType = DispatchType;
    if (DispatchType == WdfIoQueueDispatchParallel)
        Config->Settings.Parallel.NumberOfPresentedRequests = (ULONG)-1;
}

static inline VOID WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(PWDF_IO_QUEUE_CONFIG Config,
                                                          WDF_IO_QUEUE_DISPATCH_TYPE DispatchType)
{
    WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType);
    Config->DefaultQueue = TRUE;
}

_Must_inspect_result_ NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config,
                                                PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue);
WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue);

typedef enum _WDF_REQUEST_TYPE {
    WdfRequestTypeCreate = 0x0,
    WdfRequestTypeClose = 0x2,
    WdfRequestTypeRead = 0x3,
    WdfRequestTypeWrite = 0x4,
    WdfRequestTypeDeviceControl = 0xE,
    WdfRequestTypeDeviceControlInternal = 0xF,
    WdfRequestTypeMax,
} WDF_REQUEST_TYPE;

typedef struct _WDF_REQUEST_PARAMETERS {
    USHORT Size;
    UCHAR MinorFunction;
    WDF_REQUEST_TYPE Type;
    union {
        struct {
            size_t Length;
            ULONG Key;
            LONGLONG DeviceOffset;
        } Read;
        struct {
            size_t Length;
            ULONG Key;
            LONGLONG DeviceOffset;
        } Write;
        struct {
            size_t OutputBufferLength;
            size_t InputBufferLength;
            ULONG IoControlCode;
            PVOID Type3InputBuffer;
        } DeviceIoControl;
    } Parameters;
} WDF_REQUEST_PARAMETERS, *PWDF_REQUEST_PARAMETERS;

static inline VOID WDF_REQUEST_PARAMETERS_INIT(PWDF_REQUEST_PARAMETERS Parameters)
{
    *Parameters = (WDF_REQUEST_PARAMETERS){0};
    Parameters->Size = sizeof(WDF_REQUEST_PARAMETERS);
}

VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters);
_Must_inspect_result_ NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
                                                              PVOID *Buffer, size_t *Length);
_Must_inspect_result_ NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
                                                             PVOID *Buffer, size_t *Length);
VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel);
_Must_inspect_result_ NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel);
_Must_inspect_result_ NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request);
BOOLEAN WdfRequestIsCanceled(WDFREQUEST Request);
VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status);
VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information);
VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information);
ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request);
WDFQUEUE WdfRequestGetIoQueue(WDFREQUEST Request);

/* ---- DMA ------------------------------------------------------------------------------ */
typedef enum _WDF_DMA_PROFILE {
    WdfDmaProfileInvalid = 0,
    WdfDmaProfilePacket,
    WdfDmaProfileScatterGather,
    WdfDmaProfilePacket64,
    WdfDmaProfileScatterGather64,
    WdfDmaProfileScatterGatherDuplex,
    WdfDmaProfileScatterGather64Duplex,
    WdfDmaProfileSystem,
    WdfDmaProfileSystemDuplex,
    WdfDmaProfileMax,
} WDF_DMA_PROFILE;

typedef enum _WDF_DMA_DIRECTION {
    WdfDmaDirectionReadFromDevice = FALSE,
    WdfDmaDirectionWriteToDevice = TRUE,
} WDF_DMA_DIRECTION;

#define WDF_DMA_ENABLER_CONFIG_FLAG_REQUIRE_SINGLE_TRANSFER 0x00000004

typedef struct _WDF_DMA_ENABLER_CONFIG {
    ULONG Size;
    WDF_DMA_PROFILE Profile;
    size_t MaximumLength;
    PVOID EvtDmaEnablerFill;
    PVOID EvtDmaEnablerFlush;
    PVOID EvtDmaEnablerDisable;
    PVOID EvtDmaEnablerEnable;
    PVOID EvtDmaEnablerSelfManagedIoStart;
    PVOID EvtDmaEnablerSelfManagedIoStop;
    ULONG AddressWidthOverride;
    ULONG WdmDmaVersionOverride;
    ULONG Flags;
} WDF_DMA_ENABLER_CONFIG, *PWDF_DMA_ENABLER_CONFIG;

static inline VOID WDF_DMA_ENABLER_CONFIG_INIT(PWDF_DMA_ENABLER_CONFIG Config, WDF_DMA_PROFILE Profile,
                                               size_t MaximumLength)
{
    *Config = (WDF_DMA_ENABLER_CONFIG){0};
    Config->Size = sizeof(WDF_DMA_ENABLER_CONFIG);
    Config->Profile = Profile;
    Config->MaximumLength = MaximumLength;
}

typedef struct _WDF_DMA_SYSTEM_PROFILE_CONFIG {
    ULONG Size;
    BOOLEAN DemandMode;
    BOOLEAN LoopedTransfer;
    DMA_WIDTH DmaWidth;
    PHYSICAL_ADDRESS DeviceAddress;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR DmaDescriptor;
} WDF_DMA_SYSTEM_PROFILE_CONFIG, *PWDF_DMA_SYSTEM_PROFILE_CONFIG;

static inline VOID WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(PWDF_DMA_SYSTEM_PROFILE_CONFIG Config,
                                                      PHYSICAL_ADDRESS Address, DMA_WIDTH DmaWidth,
                                                      PCM_PARTIAL_RESOURCE_DESCRIPTOR DmaDescriptor)
{
    *Config = (WDF_DMA_SYSTEM_PROFILE_CONFIG){0};
    Config->Size = sizeof(WDF_DMA_SYSTEM_PROFILE_CONFIG);
    Config->DeviceAddress = Address;
    Config->DmaWidth = DmaWidth;
    Config->DmaDescriptor = DmaDescriptor;
}

typedef BOOLEAN EVT_WDF_PROGRAM_DMA(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                                    WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList);
typedef EVT_WDF_PROGRAM_DMA *PFN_WDF_PROGRAM_DMA;
typedef VOID EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE(WDFDMATRANSACTION Transaction, WDFDEVICE Device,
                                                            WDFCONTEXT Context, WDF_DMA_DIRECTION Direction,
                                                            DMA_COMPLETION_STATUS Status);
typedef EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE *PFN_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE;

_Must_inspect_result_ NTSTATUS WdfDmaEnablerCreate(WDFDEVICE Device, PWDF_DMA_ENABLER_CONFIG Config,
                                                   PWDF_OBJECT_ATTRIBUTES Attributes, WDFDMAENABLER *DmaEnablerHandle);
_Must_inspect_result_ NTSTATUS WdfDmaEnablerConfigureSystemProfile(WDFDMAENABLER DmaEnabler,
                                                                   PWDF_DMA_SYSTEM_PROFILE_CONFIG ProfileConfig,
                                                                   WDF_DMA_DIRECTION ConfigDirection);
size_t WdfDmaEnablerGetMaximumLength(WDFDMAENABLER DmaEnabler);

_Must_inspect_result_ NTSTATUS WdfDmaTransactionCreate(WDFDMAENABLER DmaEnabler, PWDF_OBJECT_ATTRIBUTES Attributes,
                                                       WDFDMATRANSACTION *DmaTransaction);
_Must_inspect_result_ NTSTATUS WdfDmaTransactionInitialize(WDFDMATRANSACTION DmaTransaction,
                                                           PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                                           WDF_DMA_DIRECTION DmaDirection, PMDL Mdl,
                                                           PVOID VirtualAddress, size_t Length);
_Must_inspect_result_ NTSTATUS WdfDmaTransactionInitializeUsingRequest(WDFDMATRANSACTION DmaTransaction,
                                                                       WDFREQUEST Request,
                                                                       PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                                                       WDF_DMA_DIRECTION DmaDirection);
VOID WdfDmaTransactionSetTransferCompleteCallback(WDFDMATRANSACTION DmaTransaction,
                                                  PFN_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE DmaCompletionRoutine,
                                                  PVOID DmaCompletionContext);
_Must_inspect_result_ NTSTATUS WdfDmaTransactionExecute(WDFDMATRANSACTION DmaTransaction, WDFCONTEXT Context);
BOOLEAN WdfDmaTransactionDmaCompleted(WDFDMATRANSACTION DmaTransaction, NTSTATUS *Status);
BOOLEAN WdfDmaTransactionDmaCompletedWithLength(WDFDMATRANSACTION DmaTransaction, size_t TransferredLength,
                                                NTSTATUS *Status);
BOOLEAN WdfDmaTransactionDmaCompletedFinal(WDFDMATRANSACTION DmaTransaction, size_t FinalTransferredLength,
                                           NTSTATUS *Status);
size_t WdfDmaTransactionGetBytesTransferred(WDFDMATRANSACTION DmaTransaction);
size_t WdfDmaTransactionGetCurrentDmaTransferLength(WDFDMATRANSACTION DmaTransaction);
VOID WdfDmaTransactionStopSystemTransfer(WDFDMATRANSACTION DmaTransaction);
BOOLEAN WdfDmaTransactionCancel(WDFDMATRANSACTION DmaTransaction);
NTSTATUS WdfDmaTransactionRelease(WDFDMATRANSACTION DmaTransaction);
WDFREQUEST WdfDmaTransactionGetRequest(WDFDMATRANSACTION DmaTransaction);
WDFDEVICE WdfDmaTransactionGetDevice(WDFDMATRANSACTION DmaTransaction);

/* ---- timers -------------------------------------------------------------------------- */
typedef VOID EVT_WDF_TIMER(WDFTIMER Timer);
typedef EVT_WDF_TIMER *PFN_WDF_TIMER;

typedef struct _WDF_TIMER_CONFIG {
    ULONG Size;
    PFN_WDF_TIMER EvtTimerFunc;
    ULONG Period;
    BOOLEAN AutomaticSerialization;
    ULONG TolerableDelay;
    BOOLEAN UseHighResolutionTimer;
} WDF_TIMER_CONFIG, *PWDF_TIMER_CONFIG;

static inline VOID WDF_TIMER_CONFIG_INIT(PWDF_TIMER_CONFIG Config, PFN_WDF_TIMER EvtTimerFunc)
{
    *Config = (WDF_TIMER_CONFIG){0};
    Config->Size = sizeof(WDF_TIMER_CONFIG);
    Config->EvtTimerFunc = EvtTimerFunc;
    Config->AutomaticSerialization = TRUE;
}

static inline VOID WDF_TIMER_CONFIG_INIT_PERIODIC(PWDF_TIMER_CONFIG Config, PFN_WDF_TIMER EvtTimerFunc, LONG Period)
{
    WDF_TIMER_CONFIG_INIT(Config, EvtTimerFunc);
    Config->Period = (ULONG)Period;
}

/* Relative due times are negative, in 100 ns units. */
#define WDF_REL_TIMEOUT_IN_SEC(s) (-((LONGLONG)(s)) * 10 * 1000 * 1000)
#define WDF_REL_TIMEOUT_IN_MS(ms) (-((LONGLONG)(ms)) * 10 * 1000)
#define WDF_REL_TIMEOUT_IN_US(us) (-((LONGLONG)(us)) * 10)
#define WDF_ABS_TIMEOUT_IN_MS(ms) (((LONGLONG)(ms)) * 10 * 1000)

_Must_inspect_result_ NTSTATUS WdfTimerCreate(PWDF_TIMER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes,
                                              WDFTIMER *Timer);
BOOLEAN WdfTimerStart(WDFTIMER Timer, LONGLONG DueTime);
BOOLEAN WdfTimerStop(WDFTIMER Timer, BOOLEAN Wait);
WDFOBJECT WdfTimerGetParentObject(WDFTIMER Timer);

/* ---- spin locks ------------------------------------------------------------------------ */
_Must_inspect_result_ NTSTATUS WdfSpinLockCreate(PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK *SpinLock);
VOID WdfSpinLockAcquire(WDFSPINLOCK SpinLock);
VOID WdfSpinLockRelease(WDFSPINLOCK SpinLock);

#ifdef __cplusplus
}
#endif
#endif
