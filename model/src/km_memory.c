/* km_memory.c: WDFMEMORY (docs/model-request.md). Sources:
 * src/framework/shared/core/fxmemorybufferapi.cpp (WdfMemoryCreate,
 * GetBuffer, CopyToBuffer, CopyFromBuffer), fxmemorybufferpreallocatedapi.cpp
 * (CreatePreallocated, AssignBuffer), fxmemoryobject.cpp (IFxMemory::
 * CopyFromPtr, CopyToPtr, _CopyPtrToPtr: the bounds rules), and a request's
 * own memory objects (FxRequestSystemBuffer, FxRequestOutputBuffer,
 * fxrequestsystembuffer.cpp GetFlags: read-only for a write's buffer and a
 * direct device control's). Pool memory is guarded arena memory, freed
 * (poisoned) when the object goes. */
#include "km.h"
#include "km_hb.h"

#include <string.h>

DR_SITE(site_create, "WdfMemoryCreate");
DR_SITE(site_create_pre, "WdfMemoryCreatePreallocated");
DR_SITE(site_assign, "WdfMemoryAssignBuffer");
DR_SITE(site_get, "WdfMemoryGetBuffer");
DR_SITE(site_copy_to, "WdfMemoryCopyToBuffer");
DR_SITE(site_copy_from, "WdfMemoryCopyFromBuffer");

static bool paged(POOL_TYPE t) { return t == PagedPool || t == PagedPoolCacheAligned; }

NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG PoolTag, size_t BufferSize,
                         WDFMEMORY *Memory, PVOID *Buffer)
{
    static const char api[] = "WdfMemoryCreate";
    (void)PoolTag;
    if (!km_enter(&site_create, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!Memory) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Memory is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    /* FxVerifierCheckIrqlLevel: APC_LEVEL for paged pool. */
    if (paged(PoolType) && dr_irql() > APC_LEVEL &&
        km_vf_break("V33", api, "paged pool above APC_LEVEL", "IRQL %u", dr_irql()))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (BufferSize == 0)
        return STATUS_INVALID_PARAMETER; /* "BufferSize == 0 not allowed" */
    *Memory = NULL;
    NTSTATUS st;
    /* The parent is optional: the driver's by default (FxMemoryObject under
     * the driver object). */
    km_object *o = km_obj_create(KM_T_MEMORY, Attributes, km_w.driver, api, &st);
    if (!o)
        return st;
    km_memory *m = &o->u.mem;
    m->buffer = km_alloc(BufferSize, 16, "WDFMEMORY buffer", NULL, o, &m->alloc);
    m->owns_alloc = true;
    m->length = BufferSize;
    km_trace(&site_create, o, (int64_t)BufferSize);
    *Memory = (WDFMEMORY)km_handle(o);
    if (Buffer)
        *Buffer = m->buffer;
    return STATUS_SUCCESS;
}

NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer, size_t BufferSize,
                                     WDFMEMORY *Memory)
{
    static const char api[] = "WdfMemoryCreatePreallocated";
    if (!km_enter(&site_create_pre, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!Buffer || !Memory) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s is NULL",
                    Buffer ? "PMemory" : "Buffer");
        return STATUS_INVALID_PARAMETER;
    }
    *Memory = NULL;
    if (BufferSize == 0)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st;
    km_object *o = km_obj_create(KM_T_MEMORY, Attributes, km_w.driver, api, &st);
    if (!o)
        return st;
    o->u.mem.buffer = Buffer; /* the driver's: it frees it, after the object */
    o->u.mem.length = BufferSize;
    o->u.mem.preallocated = true;
    km_trace(&site_create_pre, o, (int64_t)BufferSize);
    *Memory = (WDFMEMORY)km_handle(o);
    return STATUS_SUCCESS;
}

/* FxObjectHandleGetPtr with FX_TYPE_MEMORY_PREALLOCATED: any other memory
 * object is the wrong type (a bug check, as for any wrong handle). */
NTSTATUS WdfMemoryAssignBuffer(WDFMEMORY Memory, PVOID Buffer, size_t BufferSize)
{
    static const char api[] = "WdfMemoryAssignBuffer";
    if (!km_enter(&site_assign, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *o = km_lookup(Memory, KM_T_MEMORY, api, false);
    if (!o)
        return STATUS_INVALID_HANDLE;
    if (!o->u.mem.preallocated) {
        km_bugcheck("V30", WDF_INVALID_HANDLE, api, "memory not created by WdfMemoryCreatePreallocated",
                    "MEM%u is not an FX_TYPE_MEMORY_PREALLOCATED object", o->id);
        return STATUS_INVALID_HANDLE;
    }
    if (!Buffer) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Buffer is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (BufferSize == 0)
        return STATUS_INVALID_PARAMETER;
    km_trace(&site_assign, o, (int64_t)BufferSize);
    o->u.mem.buffer = Buffer; /* FxMemoryBufferPreallocated::UpdateBuffer */
    o->u.mem.length = BufferSize;
    return STATUS_SUCCESS;
}

PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize)
{
    if (!km_enter(&site_get, DISPATCH_LEVEL))
        return NULL;
    km_object *o = km_lookup(Memory, KM_T_MEMORY, "WdfMemoryGetBuffer", true);
    if (!o)
        return NULL;
    if (BufferSize)
        *BufferSize = o->u.mem.length;
    return o->u.mem.buffer;
}

/* IFxMemory::_CopyPtrToPtr: a source offset at or past the source's end, or
 * more bytes than the source holds from there, is STATUS_BUFFER_TOO_SMALL; a
 * destination offset at or past its end, or a length longer than what is
 * left of it, STATUS_INVALID_BUFFER_SIZE; a NULL source STATUS_INVALID_PARAMETER. */
static NTSTATUS copy_checked(const uint8_t *src, size_t src_len, size_t src_off, uint8_t *dst, size_t dst_len,
                             size_t dst_off, size_t count)
{
    if (!src)
        return STATUS_INVALID_PARAMETER;
    if (src_off) {
        if (src_off >= src_len)
            return STATUS_BUFFER_TOO_SMALL;
        src += src_off;
        src_len -= src_off;
    }
    if (dst_off) {
        if (dst_off >= dst_len)
            return STATUS_INVALID_BUFFER_SIZE;
        dst += dst_off;
        dst_len -= dst_off;
    }
    if (count > dst_len)
        return STATUS_INVALID_BUFFER_SIZE;
    if (count > src_len)
        return STATUS_BUFFER_TOO_SMALL;
    memcpy(dst, src, count); /* the driver's memory on both sides: its accesses, checked */
    return STATUS_SUCCESS;
}

/* WdfMemoryCopyToBuffer: SourceOffset into the memory, NumBytesToCopyTo
 * bytes into the driver's Buffer (whose length KMDF takes to be that
 * count). Zero bytes is STATUS_INVALID_PARAMETER. */
NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer, size_t NumBytesToCopyTo)
{
    static const char api[] = "WdfMemoryCopyToBuffer";
    if (!km_enter(&site_copy_to, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *o = km_lookup(SourceMemory, KM_T_MEMORY, api, true);
    if (!o)
        return STATUS_INVALID_HANDLE;
    if (!Buffer) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Buffer is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (NumBytesToCopyTo == 0)
        return STATUS_INVALID_PARAMETER;
    km_trace(&site_copy_to, o, (int64_t)NumBytesToCopyTo);
    return copy_checked(o->u.mem.buffer, o->u.mem.length, SourceOffset, Buffer, NumBytesToCopyTo, 0,
                        NumBytesToCopyTo);
}

/* WdfMemoryCopyFromBuffer: NumBytesToCopyFrom bytes of the driver's Buffer
 * into the memory at DestinationOffset. A read-only memory (a write's
 * buffer, a METHOD_IN/OUT_DIRECT output) is a break and
 * STATUS_ACCESS_VIOLATION (IFxMemory::CopyFromPtr). */
NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory, size_t DestinationOffset, PVOID Buffer,
                                 size_t NumBytesToCopyFrom)
{
    static const char api[] = "WdfMemoryCopyFromBuffer";
    if (!km_enter(&site_copy_from, DISPATCH_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *o = km_lookup(DestinationMemory, KM_T_MEMORY, api, true);
    if (!o)
        return STATUS_INVALID_HANDLE;
    if (!Buffer) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Buffer is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (NumBytesToCopyFrom == 0)
        return STATUS_INVALID_PARAMETER;
    km_trace(&site_copy_from, o, (int64_t)NumBytesToCopyFrom);
    if (o->u.mem.readonly) {
        km_vf_break("MEM1", api, "copy into read-only memory",
                    "MEM%u is a request's read-only buffer (a write's input or a direct IOCTL's output)", o->id);
        return STATUS_ACCESS_VIOLATION;
    }
    return copy_checked(Buffer, NumBytesToCopyFrom, 0, o->u.mem.buffer, o->u.mem.length, DestinationOffset,
                        NumBytesToCopyFrom);
}

km_object *km_memory_of_request(km_object *req, bool output, uint8_t *buffer, size_t length, bool readonly)
{
    km_object **slot = &req->u.req.memory[output ? 1 : 0];
    if (*slot && (*slot)->state == KM_OBJ_LIVE) {
        (*slot)->u.mem.buffer = buffer; /* GetBuffer() looks again each time */
        (*slot)->u.mem.length = length;
        return *slot;
    }
    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = km_handle(req);
    NTSTATUS st;
    km_object *o = km_obj_create(KM_T_MEMORY, &a, NULL, output ? "WdfRequestRetrieveOutputMemory"
                                                             : "WdfRequestRetrieveInputMemory", &st);
    if (!o)
        return NULL;
    o->no_delete = true; /* embedded in the FxRequest: not the driver's to delete */
    o->u.mem.buffer = buffer;
    o->u.mem.length = length;
    o->u.mem.readonly = readonly;
    o->u.mem.request = req;
    *slot = o;
    return o;
}

/* Dispose: a request's memory leaves the request's slots. */
void km_memory_dispose(km_object *o)
{
    if (o->u.mem.request) {
        km_object *r = o->u.mem.request;
        for (int i = 0; i < 2; i++)
            if (r->u.req.memory[i] == o)
                r->u.req.memory[i] = NULL;
    }
}

/* The last reference: ~FxMemoryBufferFromPool frees the pool buffer. */
void km_memory_destroy(km_object *o)
{
    if (o->u.mem.owns_alloc) {
        km_free(o->u.mem.alloc);
        o->u.mem.owns_alloc = false;
    }
}
