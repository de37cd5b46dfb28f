/* wdfdma.h: one area of dmarace's wdf.h, which is split by area as KMDF's
 * headers are; a driver includes <wdf.h>, which includes them all. */
#ifndef DMARACE_WDFDMA_H
#define DMARACE_WDFDMA_H

#include "wdfio.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    *Config = KM_WDF_ZERO(WDF_DMA_ENABLER_CONFIG);
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
    *Config = KM_WDF_ZERO(WDF_DMA_SYSTEM_PROFILE_CONFIG);
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

/* ---- DMA: the rest of the system-DMA DDIs (KMDF 1.11+) ---------------------------------- */
#define WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS ((ULONG)-1)

typedef BOOLEAN EVT_WDF_DMA_TRANSACTION_CONFIGURE_DMA_CHANNEL(WDFDMATRANSACTION DmaTransaction, WDFDEVICE Device,
                                                              PVOID Context, PMDL Mdl, size_t Offset,
                                                              size_t Length);
typedef EVT_WDF_DMA_TRANSACTION_CONFIGURE_DMA_CHANNEL *PFN_WDF_DMA_TRANSACTION_CONFIGURE_DMA_CHANNEL;
typedef VOID EVT_WDF_RESERVE_DMA(WDFDMATRANSACTION DmaTransaction, PVOID Context);
typedef EVT_WDF_RESERVE_DMA *PFN_WDF_RESERVE_DMA;

_Must_inspect_result_ NTSTATUS WdfDmaTransactionInitializeUsingOffset(WDFDMATRANSACTION DmaTransaction,
                                                                      PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                                                      WDF_DMA_DIRECTION DmaDirection, PMDL Mdl,
                                                                      size_t Offset, size_t Length);
VOID WdfDmaTransactionSetDeviceAddressOffset(WDFDMATRANSACTION DmaTransaction, ULONG Offset);
VOID WdfDmaTransactionSetImmediateExecution(WDFDMATRANSACTION DmaTransaction, BOOLEAN UseImmediateExecution);
VOID WdfDmaTransactionSetChannelConfigurationCallback(WDFDMATRANSACTION DmaTransaction,
                                                      PFN_WDF_DMA_TRANSACTION_CONFIGURE_DMA_CHANNEL ConfigureRoutine,
                                                      PVOID ConfigureContext);
VOID WdfDmaTransactionSetMaximumLength(WDFDMATRANSACTION DmaTransaction, size_t MaximumLength);
VOID WdfDmaTransactionGetTransferInfo(WDFDMATRANSACTION DmaTransaction, ULONG *MapRegisterCount,
                                      ULONG *ScatterGatherElementCount);
PVOID WdfDmaTransactionWdmGetTransferContext(WDFDMATRANSACTION DmaTransaction);
_Must_inspect_result_ NTSTATUS WdfDmaTransactionAllocateResources(WDFDMATRANSACTION DmaTransaction,
                                                                  WDF_DMA_DIRECTION DmaDirection,
                                                                  ULONG RequiredMapRegisters,
                                                                  PFN_WDF_RESERVE_DMA EvtReserveDmaFunction,
                                                                  PVOID EvtReserveDmaContext);
VOID WdfDmaTransactionFreeResources(WDFDMATRANSACTION DmaTransaction);
VOID WdfDmaTransactionSetSingleTransferRequirement(WDFDMATRANSACTION DmaTransaction, BOOLEAN RequireSingleTransfer);
VOID WdfDmaEnablerSetMaximumScatterGatherElements(WDFDMAENABLER DmaEnabler, size_t MaximumFragments);
size_t WdfDmaEnablerGetMaximumScatterGatherElements(WDFDMAENABLER DmaEnabler);
size_t WdfDmaEnablerGetFragmentLength(WDFDMAENABLER DmaEnabler, WDF_DMA_DIRECTION DmaDirection);
PDMA_ADAPTER WdfDmaEnablerWdmGetDmaAdapter(WDFDMAENABLER DmaEnabler, WDF_DMA_DIRECTION DmaDirection);


/* ---- DMA: common buffers (bus-master profiles; fxcommonbufferapi.cpp) --------------------- */
typedef struct _WDF_COMMON_BUFFER_CONFIG {
    ULONG Size;
    ULONG AlignmentRequirement; /* a mask, as FILE_*_ALIGNMENT: 0xFF for 256 bytes */
} WDF_COMMON_BUFFER_CONFIG, *PWDF_COMMON_BUFFER_CONFIG;

static inline VOID WDF_COMMON_BUFFER_CONFIG_INIT(PWDF_COMMON_BUFFER_CONFIG Config, ULONG AlignmentRequirement)
{
    *Config = KM_WDF_ZERO(WDF_COMMON_BUFFER_CONFIG);
    Config->Size = sizeof(WDF_COMMON_BUFFER_CONFIG);
    Config->AlignmentRequirement = AlignmentRequirement;
}

_Must_inspect_result_ NTSTATUS WdfCommonBufferCreate(WDFDMAENABLER DmaEnabler, size_t Length,
                                                     PWDF_OBJECT_ATTRIBUTES Attributes, WDFCOMMONBUFFER *CommonBuffer);
_Must_inspect_result_ NTSTATUS WdfCommonBufferCreateWithConfig(WDFDMAENABLER DmaEnabler, size_t Length,
                                                               PWDF_COMMON_BUFFER_CONFIG Config,
                                                               PWDF_OBJECT_ATTRIBUTES Attributes,
                                                               WDFCOMMONBUFFER *CommonBuffer);
PVOID WdfCommonBufferGetAlignedVirtualAddress(WDFCOMMONBUFFER CommonBuffer);
PHYSICAL_ADDRESS WdfCommonBufferGetAlignedLogicalAddress(WDFCOMMONBUFFER CommonBuffer);
size_t WdfCommonBufferGetLength(WDFCOMMONBUFFER CommonBuffer);

#ifdef __cplusplus
}
#endif
#endif
