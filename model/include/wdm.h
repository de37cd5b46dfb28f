/* wdm.h: the part of the Windows kernel headers a KMDF driver's completion
 * code uses, with Windows' names and types, for dmarace's model. SAL
 * annotations are accepted and ignored. Interlocked operations are real
 * sequentially consistent atomics (TSan understands them) preceded by a
 * scheduling point. */
#ifndef DMARACE_WDM_H
#define DMARACE_WDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SAL, ignored ---------------------------------------------------------- */
#define _In_
#define _In_opt_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _In_reads_(x)
#define _In_reads_bytes_(x)
#define _Out_writes_(x)
#define _Out_writes_bytes_(x)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_bytebuffer_(x)
#define _Must_inspect_result_
#define _Use_decl_annotations_
#define _Success_(x)
#define _When_(c, a)
#define _IRQL_requires_(x)
#define _IRQL_requires_max_(x)
#define _IRQL_requires_min_(x)
#define _IRQL_requires_same_
#define _IRQL_raises_(x)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_saves_global_(k, v)
#define _IRQL_restores_global_(k, v)
#define _Requires_lock_held_(x)
#define _Requires_lock_not_held_(x)
#define _Acquires_lock_(x)
#define _Releases_lock_(x)
#define _Guarded_by_(x)
#define _Interlocked_
#define _Function_class_(x)
#define _Dispatch_type_(x)
#define _Analysis_assume_(x)
#define _Post_satisfies_(x)
#define _Pre_satisfies_(x)
#define _Kernel_requires_resource_held_(x)
#define __drv_aliasesMem
#define __drv_maxIRQL(x)
#define __drv_requiresIRQL(x)
#define __drv_sameIRQL
#define __drv_dispatchType(x)
#define __in
#define __in_opt
#define __out
#define __out_opt
#define __inout
#define __inout_opt
#define __deref_out
#define __checkReturn
#define IN
#define OUT
#define OPTIONAL
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define FORCEINLINE static inline
#define NTAPI
#define WINAPI
#define CALLBACK
#define VOID void

/* ---- basic types --------------------------------------------------------------- */
typedef unsigned char UCHAR, *PUCHAR, BOOLEAN, *PBOOLEAN;
typedef char CHAR, *PCHAR;
typedef const char *PCSTR;
typedef wchar_t WCHAR, *PWCHAR, *PWSTR;
typedef const wchar_t *PCWSTR;
typedef uint16_t USHORT, *PUSHORT;
typedef int16_t SHORT;
typedef uint32_t ULONG, *PULONG, DWORD;
typedef int32_t LONG, *PLONG;
typedef int64_t LONGLONG, *PLONGLONG, LONG64;
typedef uint64_t ULONGLONG, *PULONGLONG, ULONG64;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, SIZE_T, *PSIZE_T;
typedef intptr_t LONG_PTR;
typedef void *PVOID, *HANDLE;
typedef int32_t NTSTATUS, *PNTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;
typedef ULONG ACCESS_MASK;
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER, PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _IRP IRP, *PIRP;
typedef struct _MDL MDL, *PMDL;

/* ---- IRQL -------------------------------------------------------------------------- */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 15

KIRQL KeGetCurrentIrql(void);
VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
VOID KeLowerIrql(KIRQL NewIrql);
ULONG KeGetCurrentProcessorNumber(void);

/* ---- status codes (ntstatus.h, wdfstatus.h) ------------------------------------------ */
#define NT_SUCCESS(s) (((NTSTATUS)(s)) >= 0)
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define STATUS_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#define STATUS_OBJECT_NAME_EXISTS ((NTSTATUS)0x40000000L)
#define STATUS_OBJECT_NAME_INVALID ((NTSTATUS)0xC0000033L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_INVALID_DEVICE_REQUEST ((NTSTATUS)0xC0000010L)
#define STATUS_MORE_PROCESSING_REQUIRED ((NTSTATUS)0xC0000016L)
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_DEVICE_DATA_ERROR ((NTSTATUS)0xC000009CL)
#define STATUS_DEVICE_NOT_READY ((NTSTATUS)0xC00000A3L)
#define STATUS_IO_TIMEOUT ((NTSTATUS)0xC00000B5L)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#define STATUS_INTERNAL_ERROR ((NTSTATUS)0xC00000E5L)
#define STATUS_CANCELLED ((NTSTATUS)0xC0000120L)
#define STATUS_DEVICE_BUSY ((NTSTATUS)0x80000011L)
#define STATUS_DRIVER_INTERNAL_ERROR ((NTSTATUS)0xC0000183L)
#define STATUS_INVALID_DEVICE_STATE ((NTSTATUS)0xC0000184L)
#define FACILITY_DRIVER_FRAMEWORK 0x20
#define STATUS_WDF_INTERNAL_ERROR ((NTSTATUS)0xC0200201L)
#define STATUS_WDF_TOO_FRAGMENTED ((NTSTATUS)0xC020020AL)
#define STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL ((NTSTATUS)0xC020020CL)
#define STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED ((NTSTATUS)0xC020020FL)
/* wdfstatus.h: the code between REQUEST_ALREADY_PENDING (0x207) and
 * REQUEST_INVALID_STATE (0x209). */
#define STATUS_WDF_OBJECT_ATTRIBUTES_INVALID ((NTSTATUS)0xC0200208L)
#define STATUS_WDF_PARENT_NOT_SPECIFIED ((NTSTATUS)0xC0200212L)
#define STATUS_WDF_TOO_MANY_TRANSFERS ((NTSTATUS)0xC0200213L)
#define STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS ((NTSTATUS)0xC0200214L)
#define STATUS_WDF_PAUSED ((NTSTATUS)0xC0200203L)
#define STATUS_WDF_BUSY ((NTSTATUS)0xC0200204L)

/* ---- assertions: a failed driver assertion is a finding ------------------------------ */
void KmAssertFailed(const char *expr, const char *msg, const char *file, int line);
void KmAssertFailedW(const char *expr, const wchar_t *msg, const char *file, int line);
#define NT_ASSERT(e) ((e) ? (void)0 : KmAssertFailed(#e, NULL, __FILE__, __LINE__))
#define NT_ASSERTMSG(m, e) ((e) ? (void)0 : KmAssertFailed(#e, (m), __FILE__, __LINE__))
#define NT_ASSERTMSGW(m, e) ((e) ? (void)0 : KmAssertFailedW(#e, (m), __FILE__, __LINE__))
#define NT_VERIFY(e) NT_ASSERT(e)
#define ASSERT(e) NT_ASSERT(e)

/* ---- interlocked operations ------------------------------------------------------------- */
/* A scheduling point before the atomic operation, so that other processors
 * interleave around it; the operation itself is indivisible. Then the
 * target is checked against poisoned memory (the access hooks do not see
 * atomic operations). */
void KmInterlockedPoint(const volatile void *p, size_t size);

static inline LONG InterlockedIncrement(LONG volatile *p)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedDecrement(LONG volatile *p)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchange(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchangeAdd(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedCompareExchange(LONG volatile *p, LONG exchange, LONG comparand)
{
    KmInterlockedPoint(p, sizeof *p);
    __atomic_compare_exchange_n(p, &comparand, exchange, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return comparand;
}
static inline PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID exchange, PVOID comparand)
{
    KmInterlockedPoint(p, sizeof *p);
    __atomic_compare_exchange_n(p, &comparand, exchange, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return comparand;
}

/* ---- DMA and resources (wdm.h) ------------------------------------------------------------- */
typedef enum _DMA_COMPLETION_STATUS {
    DmaComplete = 0,
    DmaAborted = 1,
    DmaError = 2,
    DmaCancelled = 3,
} DMA_COMPLETION_STATUS, *PDMA_COMPLETION_STATUS;

typedef enum _DMA_WIDTH { Width8Bits, Width16Bits, Width32Bits, Width64Bits, WidthNoWrap, MaximumDmaWidth } DMA_WIDTH;

typedef struct _SCATTER_GATHER_ELEMENT {
    PHYSICAL_ADDRESS Address;
    ULONG Length;
    ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    SCATTER_GATHER_ELEMENT Elements[1];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

#define CmResourceTypeNull 0
#define CmResourceTypePort 1
#define CmResourceTypeInterrupt 2
#define CmResourceTypeMemory 3
#define CmResourceTypeDma 4
#ifndef CM_RESOURCE_DMA_V3
#define CM_RESOURCE_DMA_V3 0x0100
#endif

typedef struct _CM_PARTIAL_RESOURCE_DESCRIPTOR {
    UCHAR Type;
    UCHAR ShareDisposition;
    USHORT Flags;
    union {
        struct {
            PHYSICAL_ADDRESS Start;
            ULONG Length;
        } Memory;
        struct {
            PHYSICAL_ADDRESS Start;
            ULONG Length;
        } Port;
        struct {
            ULONG Level;
            ULONG Vector;
            ULONG_PTR Affinity;
        } Interrupt;
        struct {
            ULONG Channel;
            ULONG Port;
            ULONG Reserved1;
        } Dma;
        struct {
            ULONG Channel;
            ULONG RequestLine;
            UCHAR TransferWidth;
            UCHAR Reserved1, Reserved2, Reserved3;
        } DmaV3;
    } u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;

/* ---- DMA: adapters, operations, MDLs (wdm.h) ------------------------------------------------ */
/* The WDM DMA interface a system-DMA driver reaches through
 * WdfDmaEnablerWdmGetDmaAdapter: field names, order and signatures as in the
 * WDK's wdm.h (DMA_OPERATIONS up to CancelMappedTransfer, the DMA v3 table).
 * Which operations the model implements: docs/model-dma.md. */
typedef struct _DMA_ADAPTER DMA_ADAPTER, *PDMA_ADAPTER;
typedef struct _DMA_OPERATIONS DMA_OPERATIONS, *PDMA_OPERATIONS;

typedef enum _IO_ALLOCATION_ACTION {
    KeepObject = 1,
    DeallocateObject,
    DeallocateObjectKeepRegisters,
} IO_ALLOCATION_ACTION, *PIO_ALLOCATION_ACTION;

typedef IO_ALLOCATION_ACTION DRIVER_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID MapRegisterBase,
                                            PVOID Context);
typedef DRIVER_CONTROL *PDRIVER_CONTROL;
typedef VOID DRIVER_LIST_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather,
                                 PVOID Context);
typedef DRIVER_LIST_CONTROL *PDRIVER_LIST_CONTROL;
typedef VOID DMA_COMPLETION_ROUTINE(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID CompletionContext,
                                    DMA_COMPLETION_STATUS Status);
typedef DMA_COMPLETION_ROUTINE *PDMA_COMPLETION_ROUTINE;

typedef enum _DMA_SPEED { Compatible, TypeA, TypeB, TypeC, TypeF, MaximumDmaSpeed } DMA_SPEED, *PDMA_SPEED;

typedef enum _INTERFACE_TYPE {
    InterfaceTypeUndefined = -1,
    Internal,
    Isa,
    Eisa,
    MicroChannel,
    TurboChannel,
    PCIBus,
    VMEBus,
    NuBus,
    PCMCIABus,
    CBus,
    MPIBus,
    MPSABus,
    ProcessorInternal,
    InternalPowerBus,
    PNPISABus,
    PNPBus,
    Vmcs,
    ACPIBus,
    MaximumInterfaceType
} INTERFACE_TYPE, *PINTERFACE_TYPE;

#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

typedef struct _DEVICE_DESCRIPTION {
    ULONG Version;
    BOOLEAN Master;
    BOOLEAN ScatterGather;
    BOOLEAN DemandMode;
    BOOLEAN AutoInitialize;
    BOOLEAN Dma32BitAddresses;
    BOOLEAN IgnoreCount;
    BOOLEAN Reserved1;
    BOOLEAN Dma64BitAddresses;
    ULONG BusNumber;
    ULONG DmaChannel;
    INTERFACE_TYPE InterfaceType;
    DMA_WIDTH DmaWidth;
    DMA_SPEED DmaSpeed;
    ULONG MaximumLength;
    ULONG DmaPort;
    ULONG DmaAddressWidth;
    ULONG DmaControllerInstance;
    ULONG DmaRequestLine;
    PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

#define DMA_ADAPTER_INFO_VERSION1 1
#define ADAPTER_INFO_SYNCHRONOUS_CALLBACK 0x0001
#define ADAPTER_INFO_API_BYPASS 0x0002

typedef struct _DMA_ADAPTER_INFO_V1 {
    ULONG ReadDmaCounterAvailable;
    ULONG ScatterGatherLimit;
    ULONG DmaAddressWidth;
    ULONG Flags;
    ULONG MinimumTransferUnit;
} DMA_ADAPTER_INFO_V1, *PDMA_ADAPTER_INFO_V1;

typedef struct _DMA_ADAPTER_INFO {
    ULONG Version;
    union {
        DMA_ADAPTER_INFO_V1 V1;
    };
} DMA_ADAPTER_INFO, *PDMA_ADAPTER_INFO;

#define DMA_TRANSFER_INFO_VERSION1 1
#define DMA_TRANSFER_INFO_VERSION2 2

typedef struct _DMA_TRANSFER_INFO_V1 {
    ULONG MapRegisterCount;
    ULONG ScatterGatherElementCount;
    ULONG ScatterGatherListSize;
} DMA_TRANSFER_INFO_V1, *PDMA_TRANSFER_INFO_V1;

typedef struct _DMA_TRANSFER_INFO_V2 {
    ULONG MapRegisterCount;
    ULONG ScatterGatherElementCount;
    ULONG ScatterGatherListSize;
    ULONG LogicalPageCount;
} DMA_TRANSFER_INFO_V2, *PDMA_TRANSFER_INFO_V2;

typedef struct _DMA_TRANSFER_INFO {
    ULONG Version;
    union {
        DMA_TRANSFER_INFO_V1 V1;
        DMA_TRANSFER_INFO_V2 V2;
    };
} DMA_TRANSFER_INFO, *PDMA_TRANSFER_INFO;

#define DMA_TRANSFER_CONTEXT_VERSION1 1
#define DMA_TRANSFER_CONTEXT_SIZE_V1 128
#define DMA_SYNCHRONOUS_CALLBACK 0x01
typedef ULONG NODE_REQUIREMENT;

typedef VOID (*PPUT_DMA_ADAPTER)(PDMA_ADAPTER DmaAdapter);
typedef PVOID (*PALLOCATE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
                                         BOOLEAN CacheEnabled);
typedef VOID (*PFREE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                                    PVOID VirtualAddress, BOOLEAN CacheEnabled);
typedef NTSTATUS (*PALLOCATE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                              ULONG NumberOfMapRegisters, PDRIVER_CONTROL ExecutionRoutine,
                                              PVOID Context);
typedef BOOLEAN (*PFLUSH_ADAPTER_BUFFERS)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                          ULONG Length, BOOLEAN WriteToDevice);
typedef VOID (*PFREE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter);
typedef VOID (*PFREE_MAP_REGISTERS)(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase, ULONG NumberOfMapRegisters);
typedef PHYSICAL_ADDRESS (*PMAP_TRANSFER)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                          PULONG Length, BOOLEAN WriteToDevice);
typedef ULONG (*PGET_DMA_ALIGNMENT)(PDMA_ADAPTER DmaAdapter);
typedef ULONG (*PREAD_DMA_COUNTER)(PDMA_ADAPTER DmaAdapter);
typedef NTSTATUS (*PGET_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                             PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                             PVOID Context, BOOLEAN WriteToDevice);
typedef VOID (*PPUT_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                         BOOLEAN WriteToDevice);
typedef NTSTATUS (*PCALCULATE_SCATTER_GATHER_LIST_SIZE)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa,
                                                        ULONG Length, PULONG ScatterGatherListSize,
                                                        PULONG pNumberOfMapRegisters);
typedef NTSTATUS (*PBUILD_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                               PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                               PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                               ULONG ScatterGatherLength);
typedef NTSTATUS (*PBUILD_MDL_FROM_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                                        PMDL OriginalMdl, PMDL *TargetMdl);
typedef NTSTATUS (*PGET_DMA_ADAPTER_INFO)(PDMA_ADAPTER DmaAdapter, PDMA_ADAPTER_INFO AdapterInfo);
typedef NTSTATUS (*PGET_DMA_TRANSFER_INFO)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                           BOOLEAN WriteOnly, PDMA_TRANSFER_INFO TransferInfo);
typedef NTSTATUS (*PINITIALIZE_DMA_TRANSFER_CONTEXT)(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext);
typedef PVOID (*PALLOCATE_COMMON_BUFFER_EX)(PDMA_ADAPTER DmaAdapter, PPHYSICAL_ADDRESS MaximumAddress, ULONG Length,
                                            PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled,
                                            NODE_REQUIREMENT PreferredNode);
typedef NTSTATUS (*PALLOCATE_ADAPTER_CHANNEL_EX)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                                 PVOID DmaTransferContext, ULONG NumberOfMapRegisters, ULONG Flags,
                                                 PDRIVER_CONTROL ExecutionRoutine, PVOID ExecutionContext,
                                                 PVOID *MapRegisterBase);
typedef NTSTATUS (*PCONFIGURE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter, ULONG FunctionNumber, PVOID Context);
typedef BOOLEAN (*PCANCEL_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                           PVOID DmaTransferContext);
typedef NTSTATUS (*PMAP_TRANSFER_EX)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, ULONGLONG Offset,
                                     ULONG DeviceOffset, PULONG Length, BOOLEAN WriteToDevice,
                                     PSCATTER_GATHER_LIST ScatterGatherBuffer, ULONG ScatterGatherBufferLength,
                                     PDMA_COMPLETION_ROUTINE DmaCompletionRoutine, PVOID CompletionContext);
typedef NTSTATUS (*PGET_SCATTER_GATHER_LIST_EX)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                                PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                                ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                                BOOLEAN WriteToDevice, PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                                                PVOID CompletionContext, PSCATTER_GATHER_LIST *ScatterGatherList);
typedef NTSTATUS (*PBUILD_SCATTER_GATHER_LIST_EX)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                                  PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                                  ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                                  BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                                  ULONG ScatterGatherLength,
                                                  PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                                                  PVOID CompletionContext, PVOID ScatterGatherList);
typedef NTSTATUS (*PFLUSH_ADAPTER_BUFFERS_EX)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                              ULONGLONG Offset, ULONG Length, BOOLEAN WriteToDevice);
typedef VOID (*PFREE_ADAPTER_OBJECT)(PDMA_ADAPTER DmaAdapter, IO_ALLOCATION_ACTION AllocationAction);
typedef NTSTATUS (*PCANCEL_MAPPED_TRANSFER)(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext);

struct _DMA_OPERATIONS {
    ULONG Size;
    PPUT_DMA_ADAPTER PutDmaAdapter;
    PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
    PFREE_COMMON_BUFFER FreeCommonBuffer;
    PALLOCATE_ADAPTER_CHANNEL AllocateAdapterChannel;
    PFLUSH_ADAPTER_BUFFERS FlushAdapterBuffers;
    PFREE_ADAPTER_CHANNEL FreeAdapterChannel;
    PFREE_MAP_REGISTERS FreeMapRegisters;
    PMAP_TRANSFER MapTransfer;
    PGET_DMA_ALIGNMENT GetDmaAlignment;
    PREAD_DMA_COUNTER ReadDmaCounter;
    PGET_SCATTER_GATHER_LIST GetScatterGatherList;
    PPUT_SCATTER_GATHER_LIST PutScatterGatherList;
    PCALCULATE_SCATTER_GATHER_LIST_SIZE CalculateScatterGatherList;
    PBUILD_SCATTER_GATHER_LIST BuildScatterGatherList;
    PBUILD_MDL_FROM_SCATTER_GATHER_LIST BuildMdlFromScatterGatherList;
    PGET_DMA_ADAPTER_INFO GetDmaAdapterInfo;
    PGET_DMA_TRANSFER_INFO GetDmaTransferInfo;
    PINITIALIZE_DMA_TRANSFER_CONTEXT InitializeDmaTransferContext;
    PALLOCATE_COMMON_BUFFER_EX AllocateCommonBufferEx;
    PALLOCATE_ADAPTER_CHANNEL_EX AllocateAdapterChannelEx;
    PCONFIGURE_ADAPTER_CHANNEL ConfigureAdapterChannel;
    PCANCEL_ADAPTER_CHANNEL CancelAdapterChannel;
    PMAP_TRANSFER_EX MapTransferEx;
    PGET_SCATTER_GATHER_LIST_EX GetScatterGatherListEx;
    PBUILD_SCATTER_GATHER_LIST_EX BuildScatterGatherListEx;
    PFLUSH_ADAPTER_BUFFERS_EX FlushAdapterBuffersEx;
    PFREE_ADAPTER_OBJECT FreeAdapterObject;
    PCANCEL_MAPPED_TRANSFER CancelMappedTransfer;
};

struct _DMA_ADAPTER {
    USHORT Version;
    USHORT Size;
    PDMA_OPERATIONS DmaOperations;
};

/* The MDL with the fields drivers read (wdm.h order). The model's MDLs
 * describe identity-mapped memory: MappedSystemVa is the buffer itself. */
#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010

struct _MDL {
    struct _MDL *Next;
    SHORT Size;
    SHORT MdlFlags;
    PVOID Process;
    PVOID MappedSystemVa;
    PVOID StartVa;
    ULONG ByteCount;
    ULONG ByteOffset;
};

#ifndef PAGE_SIZE
#define PAGE_SIZE 0x1000
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#ifndef BYTE_OFFSET
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & (PAGE_SIZE - 1)))
#endif
#ifndef PAGE_ALIGN
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~(ULONG_PTR)(PAGE_SIZE - 1)))
#endif
#ifndef ADDRESS_AND_SIZE_TO_SPAN_PAGES
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)                                                          \
    ((ULONG)((((ULONG_PTR)(Va) & (PAGE_SIZE - 1)) + (Size) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))
#endif

typedef enum _MM_PAGE_PRIORITY { LowPagePriority, NormalPagePriority = 16, HighPagePriority = 32 } MM_PAGE_PRIORITY;
#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000

#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)

/* MmInitializeMdl: the header of an MDL the driver allocated itself. */
static inline VOID MmInitializeMdl(PMDL Mdl, PVOID BaseVa, SIZE_T Length)
{
    Mdl->Next = NULL;
    Mdl->Size = (SHORT)(sizeof(MDL) + sizeof(ULONG_PTR) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(BaseVa, Length));
    Mdl->MdlFlags = 0;
    Mdl->Process = NULL;
    Mdl->MappedSystemVa = NULL;
    Mdl->StartVa = PAGE_ALIGN(BaseVa);
    Mdl->ByteOffset = BYTE_OFFSET(BaseVa);
    Mdl->ByteCount = (ULONG)Length;
}

/* IoAllocateMdl / IoFreeMdl: an MDL for a buffer of the driver's (Irp must
 * be NULL in the model: its IRPs are opaque). */
PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp);
VOID IoFreeMdl(PMDL Mdl);

/* MmBuildMdlForNonPagedPool: the model's memory is resident and
 * identity-mapped, so the system address is the buffer. */
static inline VOID MmBuildMdlForNonPagedPool(PMDL Mdl)
{
    Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

/* MmGetSystemAddressForMdlSafe: the mapping if the MDL has one, else the
 * identity mapping of its buffer (the model never runs out of system PTEs). */
static inline PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    (void)Priority;
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return MmGetMdlVirtualAddress(Mdl);
}

#ifdef __cplusplus
}
#endif
#endif
