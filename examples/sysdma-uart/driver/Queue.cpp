/*++

Module Name:

    Queue.cpp

Abstract:

    The default queue of the system-DMA UART. It is sequential: one read or
    write at a time reaches the driver, and each goes to its channel.

Environment:

    Kernel mode

--*/

#include "Driver.h"
#include "Device.h"
#include "Queue.h"
#include "Queue.tmh"

#ifdef ALLOC_PRAGMA
#pragma alloc_text (PAGE, SysDmaUartQueueInitialize)
#endif

NTSTATUS
SysDmaUartQueueInitialize(
    _In_ WDFDEVICE Device
    )
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFQUEUE queue;
    NTSTATUS status;

    PAGED_CODE();

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchSequential);
    queueConfig.EvtIoRead = SysDmaUartEvtIoRead;
    queueConfig.EvtIoWrite = SysDmaUartEvtIoWrite;

    status = WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_QUEUE, "WdfIoQueueCreate failed %!STATUS!", status);
    }

    return status;
}

static
VOID
SysDmaUartDispatch(
    _In_ WDFQUEUE        Queue,
    _In_ WDFREQUEST      Request,
    _In_ size_t          Length,
    _In_ UartDmaChannel *Channel
    )
{
    UNREFERENCED_PARAMETER(Queue);

    if (Length == 0 || Length > SYSDMA_UART_MAX_TRANSFER) {
        TraceEvents(TRACE_LEVEL_WARNING, TRACE_QUEUE, "Request %p: length %Iu refused", Request, Length);
        WdfRequestComplete(Request, STATUS_INVALID_PARAMETER);
        return;
    }

    RequestGetContext(Request)->Channel = Channel;

    Channel->StartRequest(Request, Length);
}

VOID
SysDmaUartEvtIoRead(
    _In_ WDFQUEUE   Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t     Length
    )
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(WdfIoQueueGetDevice(Queue));

    TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_QUEUE, "%!FUNC! Request %p, %Iu bytes", Request, Length);

    SysDmaUartDispatch(Queue, Request, Length, &deviceContext->Rx);
}

VOID
SysDmaUartEvtIoWrite(
    _In_ WDFQUEUE   Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t     Length
    )
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(WdfIoQueueGetDevice(Queue));

    TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_QUEUE, "%!FUNC! Request %p, %Iu bytes", Request, Length);

    SysDmaUartDispatch(Queue, Request, Length, &deviceContext->Tx);
}
