/* plxmini.c: a small bus-master driver for a PLX PCI9656-based board,
 * written here in the style of the well-known KMDF PCI DMA sample (our own
 * code): separate sequential read and write queues, a
 * WdfDmaProfileScatterGather64Duplex enabler, one reused transaction per
 * direction, descriptor chains built in two common buffers from the
 * SCATTER_GATHER_LIST EvtProgramDma gets, the channel started under the
 * interrupt lock, an ISR that acknowledges each channel's DMA interrupt
 * (DMACSR's Clear bit) and queues the DPC, and a DPC that calls
 * WdfDmaTransactionDmaCompleted* and completes the request. Its device is
 * Plx9656Device.c (the chip's DMA engine). One variant is broken:
 * PlxMiniSelectNoClearCount forgets to set the channels' Clear Count mode,
 * so the device leaves every descriptor's count in place and the DPC's
 * residue arithmetic (which relies on the device zeroing the counts it
 * completed) reports 0 bytes: DmaCompletedWithLength(0) restages the same
 * bytes forever. */
#include <ntddk.h>
#include <wdf.h>

#include "plxmini.h"

void Plx9656Select(void); /* Plx9656Device.c: installs the device model */

static BOOLEAN NoClearCount;

void PlxMiniSelect(void);
void PlxMiniSelect(void)
{
    NoClearCount = FALSE;
    Plx9656Select();
}

void PlxMiniSelectNoClearCount(void);
void PlxMiniSelectNoClearCount(void)
{
    NoClearCount = TRUE;
    Plx9656Select();
}

typedef struct _PLX_CHANNEL {
    WDFDMATRANSACTION Transaction;
    WDFCOMMONBUFFER Ring;
    PPLX_DESCRIPTOR RingVa;
    PHYSICAL_ADDRESS RingLa;
    ULONG Index; /* DMA channel: 0 writes, 1 reads */
} PLX_CHANNEL;

typedef struct _PLX_DEVICE {
    WDFDEVICE Device;
    WDFINTERRUPT Interrupt;
    WDFDMAENABLER Enabler;
    PUCHAR Regs;
    PLX_CHANNEL Write, Read;
    /* Written by the ISR, read by the DPC, both under the interrupt lock. */
    ULONG PendingChannels;
} PLX_DEVICE, *PPLX_DEVICE;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(PLX_DEVICE, PlxGetDevice)

/* A 32-bit register of the mapped BAR0. */
#define PLX_REG32(dev, off) ((PULONG)(PVOID)((dev)->Regs + (off)))

static PLX_CHANNEL *ChannelOf(PPLX_DEVICE Dev, WDFDMATRANSACTION Transaction)
{
    return Transaction == Dev->Read.Transaction ? &Dev->Read : &Dev->Write;
}

/* EvtProgramDma (both directions): the chain, then the channel started
 * under the interrupt lock, as the sample does. */
static BOOLEAN PlxProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                             WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    UNREFERENCED_PARAMETER(Context);
    PPLX_DEVICE dev = PlxGetDevice(Device);
    PLX_CHANNEL *ch = ChannelOf(dev, Transaction);
    ULONG c = ch->Index;
    ULONG toPci = Direction == WdfDmaDirectionReadFromDevice ? PLX_DPR_TO_PCI : 0;
    if (SgList->NumberOfElements > PLX_RING_ELEMENTS)
        return FALSE;
    for (ULONG i = 0; i < SgList->NumberOfElements; i++) {
        PPLX_DESCRIPTOR d = &ch->RingVa[i];
        ULONG next = ch->RingLa.LowPart + (i + 1) * sizeof(PLX_DESCRIPTOR);
        d->PciAddressLow = SgList->Elements[i].Address.LowPart;
        d->PciAddressHigh = SgList->Elements[i].Address.HighPart;
        d->LocalAddress = 0;
        d->TransferSize = SgList->Elements[i].Length;
        d->Next = next | PLX_DPR_PCI | toPci | (i + 1 == SgList->NumberOfElements ? PLX_DPR_LAST : 0);
    }
    WdfInterruptAcquireLock(dev->Interrupt);
    ULONG mode = READ_REGISTER_ULONG(PLX_REG32(dev, PLX_DMAMODE(c)));
    mode |= PLX_MODE_SG | PLX_MODE_DONE_INT | PLX_MODE_INT_TO_PCI;
    if (!NoClearCount)
        mode |= PLX_MODE_CLEAR_COUNT;
    WRITE_REGISTER_ULONG(PLX_REG32(dev, PLX_DMAMODE(c)), mode);
    ULONG intcsr = READ_REGISTER_ULONG(PLX_REG32(dev, PLX_INTCSR));
    WRITE_REGISTER_ULONG(PLX_REG32(dev, PLX_INTCSR), intcsr | PLX_INT_PCI_ENABLE | PLX_INT_DMA_ENABLE(c));
    WRITE_REGISTER_ULONG(PLX_REG32(dev, PLX_DMADPR(c)), ch->RingLa.LowPart | PLX_DPR_PCI);
    WRITE_REGISTER_UCHAR(dev->Regs + PLX_DMACSR(c), PLX_CSR_ENABLE | PLX_CSR_START);
    WdfInterruptReleaseLock(dev->Interrupt);
    return TRUE;
}

static BOOLEAN PlxIsr(WDFINTERRUPT Interrupt, ULONG MessageID)
{
    UNREFERENCED_PARAMETER(MessageID);
    PPLX_DEVICE dev = PlxGetDevice(WdfInterruptGetDevice(Interrupt));
    ULONG intcsr = READ_REGISTER_ULONG(PLX_REG32(dev, PLX_INTCSR));
    ULONG mine = 0;
    for (ULONG c = 0; c < 2; c++) {
        if (!(intcsr & PLX_INT_DMA_ACTIVE(c)))
            continue;
        UCHAR csr = READ_REGISTER_UCHAR(dev->Regs + PLX_DMACSR(c));
        WRITE_REGISTER_UCHAR(dev->Regs + PLX_DMACSR(c), (UCHAR)(csr | PLX_CSR_CLEAR)); /* acknowledge */
        if (csr & PLX_CSR_DONE)
            mine |= 1u << c;
    }
    if (!mine)
        return (intcsr & (PLX_INT_DMA_ACTIVE(0) | PLX_INT_DMA_ACTIVE(1))) != 0;
    dev->PendingChannels |= mine;
    WdfInterruptQueueDpcForIsr(Interrupt);
    return TRUE;
}

static void PlxComplete(PLX_CHANNEL *ch, NTSTATUS Status)
{
    WDFREQUEST request = WdfDmaTransactionGetRequest(ch->Transaction);
    size_t bytes = WdfDmaTransactionGetBytesTransferred(ch->Transaction);
    WdfDmaTransactionRelease(ch->Transaction);
    WdfRequestCompleteWithInformation(request, Status, bytes);
}

/* What the chain moved: the stage's length less what the device left in
 * the descriptors' counts (Clear Count mode zeroes each one it finished). */
static size_t PlxMoved(PLX_CHANNEL *ch)
{
    size_t length = WdfDmaTransactionGetCurrentDmaTransferLength(ch->Transaction);
    for (ULONG i = 0; i < PLX_RING_ELEMENTS; i++) {
        length -= ch->RingVa[i].TransferSize;
        if (ch->RingVa[i].Next & PLX_DPR_LAST)
            break;
    }
    return length;
}

static VOID PlxDpc(WDFINTERRUPT Interrupt, WDFOBJECT Device)
{
    UNREFERENCED_PARAMETER(Device);
    PPLX_DEVICE dev = PlxGetDevice(WdfInterruptGetDevice(Interrupt));
    WdfInterruptAcquireLock(Interrupt);
    ULONG pending = dev->PendingChannels;
    dev->PendingChannels = 0;
    WdfInterruptReleaseLock(Interrupt);
    for (ULONG c = 0; c < 2; c++) {
        if (!(pending & (1u << c)))
            continue;
        PLX_CHANNEL *ch = c ? &dev->Read : &dev->Write;
        NTSTATUS status;
        if (WdfDmaTransactionDmaCompletedWithLength(ch->Transaction, PlxMoved(ch), &status))
            PlxComplete(ch, status);
    }
}

static VOID PlxStart(PLX_CHANNEL *ch, WDFREQUEST Request, WDF_DMA_DIRECTION Direction)
{
    NTSTATUS status = WdfDmaTransactionInitializeUsingRequest(ch->Transaction, Request, PlxProgramDma, Direction);
    if (NT_SUCCESS(status)) {
        status = WdfDmaTransactionExecute(ch->Transaction, NULL);
        if (NT_SUCCESS(status))
            return;
        WdfDmaTransactionRelease(ch->Transaction);
    }
    WdfRequestComplete(Request, status);
}

static VOID PlxEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Length);
    PlxStart(&PlxGetDevice(WdfIoQueueGetDevice(Queue))->Read, Request, WdfDmaDirectionReadFromDevice);
}

static VOID PlxEvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Length);
    PlxStart(&PlxGetDevice(WdfIoQueueGetDevice(Queue))->Write, Request, WdfDmaDirectionWriteToDevice);
}

static NTSTATUS PlxPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    UNREFERENCED_PARAMETER(Raw);
    PPLX_DEVICE dev = PlxGetDevice(Device);
    for (ULONG i = 0; i < WdfCmResourceListGetCount(Translated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(Translated, i);
        if (d->Type == CmResourceTypeMemory && d->u.Memory.Length == PLX_REGS_LENGTH && !dev->Regs)
            dev->Regs = (PUCHAR)MmMapIoSpace(d->u.Memory.Start, PLX_REGS_LENGTH, MmNonCached);
    }
    return dev->Regs ? STATUS_SUCCESS : STATUS_DEVICE_CONFIGURATION_ERROR;
}

static NTSTATUS PlxChannelCreate(PPLX_DEVICE Dev, PLX_CHANNEL *Ch, ULONG Index)
{
    Ch->Index = Index;
    NTSTATUS status = WdfCommonBufferCreate(Dev->Enabler, PLX_RING_ELEMENTS * sizeof(PLX_DESCRIPTOR),
                                            WDF_NO_OBJECT_ATTRIBUTES, &Ch->Ring);
    if (!NT_SUCCESS(status))
        return status;
    Ch->RingVa = (PPLX_DESCRIPTOR)WdfCommonBufferGetAlignedVirtualAddress(Ch->Ring);
    Ch->RingLa = WdfCommonBufferGetAlignedLogicalAddress(Ch->Ring);
    RtlZeroMemory(Ch->RingVa, WdfCommonBufferGetLength(Ch->Ring));
    return WdfDmaTransactionCreate(Dev->Enabler, WDF_NO_OBJECT_ATTRIBUTES, &Ch->Transaction);
}

static NTSTATUS PlxQueue(WDFDEVICE Device, WDF_REQUEST_TYPE Type)
{
    WDF_IO_QUEUE_CONFIG qc;
    WDFQUEUE queue;
    WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchSequential);
    if (Type == WdfRequestTypeRead)
        qc.EvtIoRead = PlxEvtIoRead;
    else
        qc.EvtIoWrite = PlxEvtIoWrite;
    NTSTATUS status = WdfIoQueueCreate(Device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &queue);
    return NT_SUCCESS(status) ? WdfDeviceConfigureRequestDispatching(Device, queue, Type) : status;
}

static NTSTATUS PlxEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    UNREFERENCED_PARAMETER(Driver);
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = PlxPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, PLX_DEVICE);
    WDFDEVICE device;
    NTSTATUS status = WdfDeviceCreate(&DeviceInit, &attrs, &device);
    if (!NT_SUCCESS(status))
        return status;
    PPLX_DEVICE dev = PlxGetDevice(device);
    dev->Device = device;
    if (!NT_SUCCESS(status = PlxQueue(device, WdfRequestTypeRead)) ||
        !NT_SUCCESS(status = PlxQueue(device, WdfRequestTypeWrite)))
        return status;
    WDF_INTERRUPT_CONFIG ic;
    WDF_INTERRUPT_CONFIG_INIT(&ic, PlxIsr, PlxDpc);
    if (!NT_SUCCESS(status = WdfInterruptCreate(device, &ic, WDF_NO_OBJECT_ATTRIBUTES, &dev->Interrupt)))
        return status;
    WdfDeviceSetAlignmentRequirement(device, FILE_OCTA_ALIGNMENT);
    WDF_DMA_ENABLER_CONFIG dc;
    WDF_DMA_ENABLER_CONFIG_INIT(&dc, WdfDmaProfileScatterGather64Duplex, PLX_MAX_TRANSFER);
    if (!NT_SUCCESS(status = WdfDmaEnablerCreate(device, &dc, WDF_NO_OBJECT_ATTRIBUTES, &dev->Enabler)))
        return status;
    if (!NT_SUCCESS(status = PlxChannelCreate(dev, &dev->Write, 0)))
        return status;
    return PlxChannelCreate(dev, &dev->Read, 1);
}

NTSTATUS PlxMiniDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS PlxMiniDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, PlxEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
