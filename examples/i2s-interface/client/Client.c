/*++

Module Name:

    Client.c

Abstract:

    The test client of the I2S controller driver: it stands for the audio
    class extension above the driver. It queries
    GUID_I2S_DMA_INTERFACE_STANDARD as IRP_MN_QUERY_INTERFACE would
    (KmClientQueryInterface, dmarace's client hook), starts the TX loop and
    stops it, while a second task stops it too (a stream state change coming
    from another thread). The notification routine checks the interface's
    contract: nothing after I2sDmaEventStopped, and periods reported in
    order.

    This file is test code for dmarace (km_client.h), not part of the
    driver.

--*/

#include <ntddk.h>
#include <wdf.h>
#include <km_client.h>

#include "I2sDmaInterface.h"

typedef struct _CLIENT_STREAM {
    I2S_DMA_INTERFACE_STANDARD Interface;
    LONG Stopped;           // I2sDmaEventStopped received
    LONG PeriodsPlayed;
} CLIENT_STREAM, *PCLIENT_STREAM;

//
// The stream is this many periods long.
//
#define CLIENT_STREAM_PERIODS   3

//
// One stream per execution; I2sClient initialises it before any other task
// or notification can see it.
//
static CLIENT_STREAM ClientStream;

static
VOID
I2sClientNotification(
    _In_opt_ PVOID NotificationContext,
    _In_ I2S_DMA_EVENT Event,
    _In_ ULONG PeriodNumber
    )
{
    PCLIENT_STREAM stream = (PCLIENT_STREAM)NotificationContext;

    NT_ASSERTMSG("I2S notification after I2sDmaEventStopped",
                 InterlockedCompareExchange(&stream->Stopped, 0, 0) == 0);

    if (Event == I2sDmaEventStopped) {
        InterlockedExchange(&stream->Stopped, 1);
        return;
    }

    NT_ASSERTMSG("I2S periods reported out of order",
                 (LONG)PeriodNumber == InterlockedIncrement(&stream->PeriodsPlayed) - 1);

    if (PeriodNumber + 1 == CLIENT_STREAM_PERIODS) {
        //
        // End of the stream: stop from the notification (DISPATCH_LEVEL).
        //
        (VOID)stream->Interface.StopTx(stream->Interface.InterfaceHeader.Context);
    }
}

//
// The second task: a stream state change that stops the TX loop from
// another thread.
//
static
VOID
I2sClientStopTask(
    _In_ PVOID Context
    )
{
    PCLIENT_STREAM stream = (PCLIENT_STREAM)Context;

    (VOID)stream->Interface.StopTx(stream->Interface.InterfaceHeader.Context);
}

VOID
I2sClient(
    _In_ PVOID Context
    )
{
    PCLIENT_STREAM stream = &ClientStream;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Context);

    RtlZeroMemory(stream, sizeof(*stream));

    status = KmClientQueryInterface(&GUID_I2S_DMA_INTERFACE_STANDARD,
                                    (PINTERFACE)&stream->Interface,
                                    sizeof(stream->Interface),
                                    I2S_DMA_INTERFACE_VERSION,
                                    NULL);
    NT_ASSERTMSG("the I2S DMA interface is exported", NT_SUCCESS(status));
    if (!NT_SUCCESS(status)) {
        return;
    }

    status = stream->Interface.StartTx(stream->Interface.InterfaceHeader.Context,
                                       1024,
                                       I2sClientNotification,
                                       stream);
    NT_ASSERTMSG("StartTx on an idle controller is not refused as busy", status != STATUS_DEVICE_BUSY);

    if (NT_SUCCESS(status)) {
        status = KmClientStart(1, I2sClientStopTask, stream, "stream-stop");
        NT_ASSERT(NT_SUCCESS(status));

        (VOID)stream->Interface.StopTx(stream->Interface.InterfaceHeader.Context);
    }

    stream->Interface.InterfaceHeader.InterfaceDereference(stream->Interface.InterfaceHeader.Context);
}
