/*++

Module Name:

    Device.h

Abstract:

    The device context of the system-DMA UART: the mapped register window
    and the two DMA channels.

Environment:

    Kernel mode

--*/

#pragma once

#include "Dma.h"

typedef struct _DEVICE_CONTEXT {
    PUCHAR          Registers;          // MmMapIoSpace of the register window
    SIZE_T          RegistersLength;
    PHYSICAL_ADDRESS RegistersPhysical;
    ULONG           BlockId;            // UART_REG_ID, read at start-up
    UartDmaChannel  Tx;                 // first DMA descriptor: memory to TX FIFO
    UartDmaChannel  Rx;                 // second DMA descriptor: RX FIFO to memory
    WDFINTERRUPT    Interrupt;          // NULL when the platform routes no interrupt
    ULONG           InterruptStatus;    // acknowledged by the ISR, not yet handled: under the interrupt lock
    WCHAR           FriendlyName[32];
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, DeviceGetContext)

//
// Each request remembers the channel that owns it, for the cancel routine.
//
typedef struct _REQUEST_CONTEXT {
    UartDmaChannel *Channel;
} REQUEST_CONTEXT, *PREQUEST_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, RequestGetContext)

//
// The timeout timer of a channel.
//
typedef struct _TIMER_CONTEXT {
    UartDmaChannel *Channel;
} TIMER_CONTEXT, *PTIMER_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TIMER_CONTEXT, TimerGetContext)

NTSTATUS
SysDmaUartCreateDevice(
    _Inout_ PWDFDEVICE_INIT DeviceInit
    );

EVT_WDF_DEVICE_PREPARE_HARDWARE SysDmaUartEvtDevicePrepareHardware;
EVT_WDF_DEVICE_RELEASE_HARDWARE SysDmaUartEvtDeviceReleaseHardware;
EVT_WDF_DEVICE_D0_ENTRY SysDmaUartEvtDeviceD0Entry;
EVT_WDF_DEVICE_D0_EXIT SysDmaUartEvtDeviceD0Exit;
