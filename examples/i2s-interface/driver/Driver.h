/*++

Module Name:

    Driver.h

Abstract:

    Common declarations of the I2S controller driver: a TX-only I2S block
    fed by one system DMA channel, exported to the audio stack above it as
    GUID_I2S_DMA_INTERFACE_STANDARD (I2sDmaInterface.h).

Environment:

    Kernel mode

--*/

#pragma once

#include <ntddk.h>
#include <wdf.h>
#include <initguid.h>
#include <ntstrsafe.h>

#include "I2sDmaInterface.h"
#include "Trace.h"

#define I2S_POOL_TAG                'sS2I'

//
// The cyclic buffer: I2S_PERIODS periods of at most I2S_MAX_PERIOD_BYTES.
//
#define I2S_PERIODS                 4
#define I2S_MAX_PERIOD_BYTES        1024
#define I2S_BUFFER_BYTES            (I2S_PERIODS * I2S_MAX_PERIOD_BYTES)

//
// I2S block registers (offsets in the register window).
//
#define I2S_REG_CONTROL             0x00
#define I2S_REG_TX_FIFO             0x10
#define I2S_CONTROL_TX_ENABLE       0x00000001
#define I2S_CONTROL_TX_DMA_REQUEST  0x00000002

//
// How StopTx ends the loop (chosen before DriverEntry by the test harness,
// see I2sSelect* in Driver.c).
//
typedef enum _I2S_VARIANT {
    I2sVariantStopAtPeriodEnd = 0,      // the loop ends at the next period boundary
    I2sVariantStopImmediately,          // StopTx also stops the transfer in flight (racy)
    I2sVariantFreeChannelAtEnd,         // the loop's end frees the adapter channel itself (WDM habit)
} I2S_VARIANT;

extern I2S_VARIANT I2sVariant;

typedef struct _DEVICE_CONTEXT {
    WDFDEVICE               Device;
    PUCHAR                  Registers;
    SIZE_T                  RegistersLength;
    WDFDMAENABLER           DmaEnabler;
    WDFDMATRANSACTION       Transaction;
    PUCHAR                  Buffer;             // the cyclic buffer
    PMDL                    BufferMdl;
    WDFSPINLOCK             Lock;

    //
    // Under Lock.
    //
    BOOLEAN                 Active;             // a loop is running (StartTx succeeded, Stopped not sent)
    BOOLEAN                 Running;            // the loop should go on after this period
    ULONG                   PeriodBytes;
    ULONG                   Period;             // periods played since StartTx
    PI2S_DMA_NOTIFICATION   Notification;
    PVOID                   NotificationContext;
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, DeviceGetContext)

DRIVER_INITIALIZE DriverEntry;
EVT_WDF_DRIVER_DEVICE_ADD I2sEvtDeviceAdd;
EVT_WDF_OBJECT_CONTEXT_CLEANUP I2sEvtDriverContextCleanup;
EVT_WDF_DEVICE_PREPARE_HARDWARE I2sEvtDevicePrepareHardware;
EVT_WDF_DEVICE_RELEASE_HARDWARE I2sEvtDeviceReleaseHardware;

NTSTATUS
I2sInterfaceRegister(
    _In_ WDFDEVICE Device
    );

NTSTATUS
I2sDmaInitialize(
    _In_ PDEVICE_CONTEXT DeviceContext,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR DmaDescriptor,
    _In_ PHYSICAL_ADDRESS FifoAddress
    );

NTSTATUS
I2sDmaStartPeriod(
    _In_ PDEVICE_CONTEXT DeviceContext,
    _In_ ULONG Period
    );

I2S_DMA_START_TX I2sStartTx;
I2S_DMA_STOP_TX I2sStopTx;
