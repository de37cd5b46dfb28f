/*++

Module Name:

    Driver.h

Abstract:

    Common declarations of the system-DMA UART driver: a UART block whose
    receive and transmit FIFOs are served by two channels of the platform's
    system DMA controller (WdfDmaProfileSystem, one enabler per channel).

Environment:

    Kernel mode

--*/

#pragma once

#include <ntddk.h>
#include <wdf.h>
#include <ntstrsafe.h>

#include "Trace.h"
#include "Registers.h"

#define SYSDMA_UART_POOL_TAG            'tUmD'

//
// Longest read or write the driver takes in one DMA transaction; the DMA
// controller cannot chain, so each transaction is one transfer.
//
#define SYSDMA_UART_MAX_TRANSFER        (16 * 1024)

//
// A read or write that the device does not finish within this time is
// stopped and completed with STATUS_IO_TIMEOUT.
//
#define SYSDMA_UART_TIMEOUT_MS          100

//
// Which completion handling the driver uses; chosen before DriverEntry by
// the test harness (see SysDmaUartSelect* in Driver.cpp).
//
typedef enum _SYSDMA_UART_VARIANT {
    SysDmaUartVariantFixed = 0,
    SysDmaUartVariantStopRaceBug,
    SysDmaUartVariantIrqStopUnclaimedBug,
} SYSDMA_UART_VARIANT;

extern SYSDMA_UART_VARIANT SysDmaUartVariant;

extern "C" DRIVER_INITIALIZE DriverEntry;

EVT_WDF_DRIVER_DEVICE_ADD SysDmaUartEvtDeviceAdd;
EVT_WDF_OBJECT_CONTEXT_CLEANUP SysDmaUartEvtDriverContextCleanup;
