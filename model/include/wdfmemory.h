/* wdfmemory.h: one area of dmarace's wdf.h, as KMDF's headers are split; a
 * driver includes <wdf.h>. A WDFMEMORY is a buffer with bounds: pool memory
 * the framework allocates (WdfMemoryCreate), the driver's own
 * (WdfMemoryCreatePreallocated), or a request's buffer
 * (WdfRequestRetrieveInputMemory / OutputMemory). km_memory.c. */
#ifndef DMARACE_WDFMEMORY_H
#define DMARACE_WDFMEMORY_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _WDFMEMORY_OFFSET {
    size_t BufferOffset;
    size_t BufferLength;
} WDFMEMORY_OFFSET, *PWDFMEMORY_OFFSET;

_Must_inspect_result_ NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG PoolTag,
                                               size_t BufferSize, WDFMEMORY *Memory, PVOID *Buffer);
_Must_inspect_result_ NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer,
                                                           size_t BufferSize, WDFMEMORY *Memory);
_Must_inspect_result_ NTSTATUS WdfMemoryAssignBuffer(WDFMEMORY Memory, PVOID Buffer, size_t BufferSize);
PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize);
_Must_inspect_result_ NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer,
                                                     size_t NumBytesToCopyTo);
_Must_inspect_result_ NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory, size_t DestinationOffset,
                                                       PVOID Buffer, size_t NumBytesToCopyFrom);

#ifdef __cplusplus
}
#endif
#endif
