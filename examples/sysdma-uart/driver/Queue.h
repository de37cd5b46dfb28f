/*++

Module Name:

    Queue.h

Abstract:

    The default I/O queue of the system-DMA UART: reads go to the RX
    channel, writes to the TX channel.

Environment:

    Kernel mode

--*/

#pragma once

NTSTATUS
SysDmaUartQueueInitialize(
    _In_ WDFDEVICE Device
    );

EVT_WDF_IO_QUEUE_IO_READ SysDmaUartEvtIoRead;
EVT_WDF_IO_QUEUE_IO_WRITE SysDmaUartEvtIoWrite;
