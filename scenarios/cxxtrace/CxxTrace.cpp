/* CxxTrace.cpp: a small KMDF driver in C++, written as Windows drivers are:
 * a class per queue, extern "C" DriverEntry, its own placement operator new,
 * WPP tracing (Trace.h, CxxTrace.tmh), DbgPrintEx and KdPrint. Its bug is
 * deliberate: it asserts that reads never overlap, but its queue is
 * parallel, so two concurrent reads fail the NT_ASSERT right after the
 * driver traced how many were in flight (scenarios/cxxtrace/test_cxxtrace.sh
 * checks that line in --trace and in the finding's story). It includes
 * <math.h> after the WDK headers, as the Allwinner VirtualI2S driver does
 * (docs/real-drivers.md). */
#include <ntddk.h>
#include <wdf.h>

#include "inc\cxxcommon.h" /* inc/CxxCommon.h, written as on Windows */
#include "trace.h"         /* the file is Trace.h: the build links the name as written */
#include "CxxTrace.tmh"
#include <math.h> /* after <wdm.h>, as published C++ drivers have it: libstdc++'s <cmath> vs min/max */

/* The driver's own placement form, as kernel C++ code declares it. */
void *operator new(size_t size, void *where, ULONG tag) noexcept;
void *operator new(size_t size, void *where, ULONG tag) noexcept
{
    UNREFERENCED_PARAMETER(size);
    UNREFERENCED_PARAMETER(tag);
    return where;
}

namespace {

enum : ULONG { CXX_TAG = 0x54787843 }; /* 'CxxT' */

class CxxQueue {
  public:
    explicit CxxQueue(WDFQUEUE queue) : m_queue(queue), m_inFlight(0), m_reads(0) {}

    static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);

  private:
    void OnRead(WDFREQUEST request, size_t length);

    WDFQUEUE m_queue;
    LONG volatile m_inFlight;
    LONG volatile m_reads;
};

struct QUEUE_CONTEXT {
    alignas(CxxQueue) unsigned char storage[sizeof(CxxQueue)];
    CxxQueue *queue;
};
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(QUEUE_CONTEXT, QueueGetContext)

void CxxQueue::OnRead(WDFREQUEST request, size_t length)
{
    LONG n = InterlockedIncrement(&m_inFlight);
    LONG read = InterlockedIncrement(&m_reads);
    TraceQueue("read %d of %Iu bytes on queue %p", read, length, static_cast<void *>(m_queue));
    if (n > 1) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_QUEUE, "%!FUNC!: %d reads in flight", n);
        NT_ASSERTMSG("one read at a time", n == 1);
    }
    InterlockedDecrement(&m_inFlight);
    Trace(TRACE_LEVEL_INFORMATION, "completing read %d with %!STATUS!", read, STATUS_SUCCESS);
    WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, length);
}

VOID CxxQueue::EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    QueueGetContext(Queue)->queue->OnRead(Request, Length);
}

__declspec(noinline) NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    UNREFERENCED_PARAMETER(Driver);
    WDFDEVICE device = nullptr;
    NTSTATUS status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "WdfDeviceCreate failed %!STATUS!", status);
        return status;
    }
    WDF_IO_QUEUE_CONFIG config;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&config, WdfIoQueueDispatchParallel);
    config.EvtIoRead = CxxQueue::EvtIoRead;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, QUEUE_CONTEXT);
    WDFQUEUE queue = nullptr;
    status = WdfIoQueueCreate(device, &config, &attributes, &queue);
    if (!NT_SUCCESS(status))
        return status;
    QUEUE_CONTEXT *ctx = QueueGetContext(queue);
    ctx->queue = new (ctx->storage, CXX_TAG) CxxQueue(queue);
    Trace(TRACE_LEVEL_INFORMATION, "%!FUNC! created the queue: %!bool!", ctx->queue != nullptr);
    return STATUS_SUCCESS;
}

} // namespace

extern "C" NTSTATUS CxxTraceDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WPP_INIT_TRACING(DriverObject, RegistryPath);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "CxxTrace: DriverEntry %wZ\n", RegistryPath);
    KdPrint(("CxxTrace: built %s, pool tag %lx\n", "for dmarace", static_cast<ULONG>(CXX_TAG)));
    CxxPrint("CxxTrace: no arguments\n");
    TraceKd(("CxxTrace: twice 21 is %lu", CxxTwice(21)));
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    NTSTATUS status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(status))
        WPP_CLEANUP(DriverObject);
    return status;
}
