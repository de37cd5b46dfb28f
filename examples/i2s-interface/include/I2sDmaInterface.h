/*++

Module Name:

    I2sDmaInterface.h

Abstract:

    The driver-to-driver interface of the I2S controller driver. An audio
    class extension (or any driver above it) queries it with
    IRP_MN_QUERY_INTERFACE and GUID_I2S_DMA_INTERFACE_STANDARD, then runs
    the controller's TX ring: StartTx starts a looping DMA over the
    driver's cyclic buffer, one transfer per period, and calls the
    notification routine as each period is played and, last, when the loop
    has ended.

    Notification contract:

     - I2sDmaEventPeriodPlayed, once per period, at DISPATCH_LEVEL;

     - I2sDmaEventStopped, exactly once per successful StartTx, after every
       other notification of that start. Nothing is called after it.

    StopTx asks the loop to end and returns at once; notifications may
    still come until I2sDmaEventStopped.

--*/

#pragma once

//
// {3f8b2d4e-91c6-4a57-b0e2-6d1f0c9a7e35}
//
DEFINE_GUID(GUID_I2S_DMA_INTERFACE_STANDARD,
    0x3f8b2d4e, 0x91c6, 0x4a57, 0xb0, 0xe2, 0x6d, 0x1f, 0x0c, 0x9a, 0x7e, 0x35);

#define I2S_DMA_INTERFACE_VERSION   1

typedef enum _I2S_DMA_EVENT {
    I2sDmaEventPeriodPlayed = 1,
    I2sDmaEventStopped,
} I2S_DMA_EVENT;

typedef
_IRQL_requires_(DISPATCH_LEVEL)
VOID
I2S_DMA_NOTIFICATION(
    _In_opt_ PVOID NotificationContext,
    _In_ I2S_DMA_EVENT Event,
    _In_ ULONG PeriodNumber
    );

typedef I2S_DMA_NOTIFICATION *PI2S_DMA_NOTIFICATION;

typedef
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS
I2S_DMA_START_TX(
    _In_ PVOID Context,
    _In_ ULONG PeriodBytes,
    _In_ PI2S_DMA_NOTIFICATION Notification,
    _In_opt_ PVOID NotificationContext
    );

typedef I2S_DMA_START_TX *PI2S_DMA_START_TX;

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
I2S_DMA_STOP_TX(
    _In_ PVOID Context
    );

typedef I2S_DMA_STOP_TX *PI2S_DMA_STOP_TX;

typedef struct _I2S_DMA_INTERFACE_STANDARD {
    INTERFACE           InterfaceHeader;
    PI2S_DMA_START_TX   StartTx;
    PI2S_DMA_STOP_TX    StopTx;
} I2S_DMA_INTERFACE_STANDARD, *PI2S_DMA_INTERFACE_STANDARD;
