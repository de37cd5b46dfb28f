/* wdm.h: the part of the Windows kernel headers a KMDF driver's completion
 * code uses, with Windows' names and types, for dmarace's model. SAL
 * annotations are accepted and ignored. Interlocked operations are real
 * sequentially consistent atomics (TSan understands them) preceded by a
 * scheduling point. Provides: every SAL name (km_sal.h) and every
 * ntstatus.h code (km_ntstatus.h), both generated from mingw-w64's headers;
 * the basic types, LARGE_INTEGER, UNICODE_STRING, IRQL, the NT_ASSERT family,
 * Interlocked*, the DMA and resource types; and, through km_wdk.h, the rest
 * of the WDM names (pool, lists, spin locks, time, strings, GUIDs). */
#ifndef DMARACE_WDM_H
#define DMARACE_WDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <wchar.h>

/* ---- C++ drivers, MSVC keywords ---------------------------------------------- */
/* libstdc++ names parameters __in and __out, which legacy SAL below defines
 * as nothing, and calls std::min / std::max unparenthesised, which the
 * WDK's min and max macros (km_wdk.h) break: a C++ driver gets the standard
 * headers that do either now, before those macros exist (their include
 * guards keep later includes out; <math.h> after <wdm.h>, as a published
 * C++ driver has it, is then harmless). <regex> and <locale> are not among
 * them: include them before <wdm.h>. DMARACE_NO_STD_PRELUDE skips this. */
#if defined(__cplusplus) && !defined(DMARACE_NO_STD_PRELUDE)
#include <cmath>
#include <cstdlib>
#include <limits>
#include <math.h>
#include <algorithm>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#endif
#include "km_msvc.h"
#include "guiddef.h" /* GUID, as the WDK's wdm.h has it */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SAL, ignored: every SAL 2.0 and driver-annotation name, and
 * __fallthrough as the compiler's statement attribute (sal.h). */
#include "sal.h"
#define IN
#define OUT
#define OPTIONAL
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define FORCEINLINE static inline
#define NTAPI
#define WINAPI
#define CALLBACK
#define VOID void

/* ---- basic types --------------------------------------------------------------- */
typedef unsigned char UCHAR, *PUCHAR, BOOLEAN, *PBOOLEAN;
typedef char CHAR, *PCHAR;
typedef const char *PCSTR;
typedef wchar_t WCHAR, *PWCHAR, *PWSTR;
typedef const wchar_t *PCWSTR;
typedef uint16_t USHORT, *PUSHORT;
typedef int16_t SHORT;
typedef uint32_t ULONG, *PULONG, DWORD;
typedef int32_t LONG, *PLONG;
typedef int64_t LONGLONG, *PLONGLONG, LONG64;
typedef uint64_t ULONGLONG, *PULONGLONG, ULONG64;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, SIZE_T, *PSIZE_T;
typedef intptr_t LONG_PTR;
typedef void *PVOID, *HANDLE;
typedef int32_t NTSTATUS, *PNTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;
typedef ULONG ACCESS_MASK;
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER, PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _IRP IRP, *PIRP;
typedef struct _MDL MDL, *PMDL;

/* ---- IRQL -------------------------------------------------------------------------- */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 15

KIRQL KeGetCurrentIrql(void);
VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
VOID KeLowerIrql(KIRQL NewIrql);
ULONG KeGetCurrentProcessorNumber(void);

/* ---- status codes (ntstatus.h, wdfstatus.h) ------------------------------------------ */
#define NT_SUCCESS(s) (((NTSTATUS)(s)) >= 0)
/* Every ntstatus.h code (km_ntstatus.h, generated from mingw-w64's ntstatus.h). */
#include "km_ntstatus.h"
#define FACILITY_DRIVER_FRAMEWORK 0x20
#define STATUS_WDF_INTERNAL_ERROR ((NTSTATUS)0xC0200201L)
#define STATUS_WDF_TOO_FRAGMENTED ((NTSTATUS)0xC020020AL)
#define STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL ((NTSTATUS)0xC020020CL)
#define STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED ((NTSTATUS)0xC020020FL)
/* wdfstatus.h: the code between REQUEST_ALREADY_PENDING (0x207) and
 * REQUEST_INVALID_STATE (0x209). */
#define STATUS_WDF_OBJECT_ATTRIBUTES_INVALID ((NTSTATUS)0xC0200208L)
#define STATUS_WDF_PARENT_NOT_SPECIFIED ((NTSTATUS)0xC0200212L)
#define STATUS_WDF_TOO_MANY_TRANSFERS ((NTSTATUS)0xC0200213L)
#define STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS ((NTSTATUS)0xC0200214L)
#define STATUS_WDF_PAUSED ((NTSTATUS)0xC0200203L)
#define STATUS_WDF_BUSY ((NTSTATUS)0xC0200204L)

/* ---- assertions: a failed driver assertion is a finding ------------------------------ */
void KmAssertFailed(const char *expr, const char *msg, const char *file, int line);
void KmAssertFailedW(const char *expr, const wchar_t *msg, const char *file, int line);
/* The message of NT_ASSERTMSG may be narrow or wide ("a" L"b" is wide): the
 * model takes either, as the WDK's compilers do. */
#ifdef __cplusplus
}
static inline void KmAssertFailedMsg(const char *e, const char *m, const char *f, int l)
{
    KmAssertFailed(e, m, f, l);
}
static inline void KmAssertFailedMsg(const char *e, const wchar_t *m, const char *f, int l)
{
    KmAssertFailedW(e, m, f, l);
}
extern "C" {
#define KM_ASSERT_MSG(e, m) KmAssertFailedMsg(#e, (m), __FILE__, __LINE__)
#else
#define KM_ASSERT_MSG(e, m)                                                                                 \
    _Generic((m), wchar_t *: KmAssertFailedW, const wchar_t *: KmAssertFailedW, default: KmAssertFailed)(    \
        #e, (m), __FILE__, __LINE__)
#endif
#define NT_ASSERT(e) ((e) ? (void)0 : KmAssertFailed(#e, NULL, __FILE__, __LINE__))
#define NT_ASSERTMSG(m, e) ((e) ? (void)0 : KM_ASSERT_MSG(e, m))
#define NT_ASSERTMSGW(m, e) ((e) ? (void)0 : KmAssertFailedW(#e, (m), __FILE__, __LINE__))
#define NT_ASSERT_ASSUME(e) NT_ASSERT(e)
#define NT_ASSERTMSG_ASSUME(m, e) NT_ASSERTMSG(m, e)
#define NT_ASSERTMSGW_ASSUME(m, e) NT_ASSERTMSGW(m, e)
#define NT_ASSERT_NOASSUME(e) NT_ASSERT(e)
#define NT_ASSERTMSG_NOASSUME(m, e) NT_ASSERTMSG(m, e)
#define NT_ASSERTMSGW_NOASSUME(m, e) NT_ASSERTMSGW(m, e)
/* Free-build assertions: checked in every build, like the others. */
#define NT_FRE_ASSERT(e) NT_ASSERT(e)
#define NT_FRE_ASSERTMSG(m, e) NT_ASSERTMSG(m, e)
#define NT_FRE_ASSERTMSGW(m, e) NT_ASSERTMSGW(m, e)
/* An assumption for static analysis: nothing at run time (the WDK's
 * __analysis_assume), the expression not evaluated. */
#define NT_ANALYSIS_ASSUME(e) ((void)sizeof(!(e)))
/* NT_VERIFY is an expression with the condition's truth: if (NT_VERIFY(x)). */
#define NT_VERIFY(e) ((e) ? TRUE : (KmAssertFailed(#e, NULL, __FILE__, __LINE__), FALSE))
#define NT_VERIFYMSG(m, e) NT_ASSERTMSG(m, e)
#define NT_VERIFYMSGW(m, e) NT_ASSERTMSGW(m, e)
#define ASSERT(e) NT_ASSERT(e)
#define ASSERTMSG(m, e) NT_ASSERTMSG(m, e)

/* ---- interlocked operations ------------------------------------------------------------- */
/* A scheduling point before the atomic operation, so that other processors
 * interleave around it; the operation itself is indivisible. Then the
 * target is checked against poisoned memory (the access hooks do not see
 * atomic operations). */
void KmInterlockedPoint(const volatile void *p, size_t size);
/* The same for the one-access forms below (ReadAcquire, WriteRelease...):
 * the race detector takes the driver's access that follows as atomic, with
 * the ordering its name gives (KM_ATOMIC_*). */
enum { KM_ATOMIC_PLAIN = 0, KM_ATOMIC_ACQUIRE = 2, KM_ATOMIC_RELEASE = 4 };
void KmAtomicPoint(const volatile void *p, size_t size, unsigned order);

static inline LONG InterlockedIncrement(LONG volatile *p)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedDecrement(LONG volatile *p)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchange(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchangeAdd(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedCompareExchange(LONG volatile *p, LONG exchange, LONG comparand)
{
    KmInterlockedPoint(p, sizeof *p);
    __atomic_compare_exchange_n(p, &comparand, exchange, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return comparand;
}
static inline PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID exchange, PVOID comparand)
{
    KmInterlockedPoint(p, sizeof *p);
    __atomic_compare_exchange_n(p, &comparand, exchange, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return comparand;
}
/* The rest of the family (issue 13): InterlockedAdd returns the new value,
 * InterlockedAnd / Or / Xor the old one, as in the WDK. */
static inline LONG InterlockedAdd(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedAnd(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedOr(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedXor(LONG volatile *p, LONG v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG64 InterlockedIncrement64(LONG64 volatile *p)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG64 InterlockedDecrement64(LONG64 volatile *p)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG64 InterlockedExchange64(LONG64 volatile *p, LONG64 v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG64 InterlockedExchangeAdd64(LONG64 volatile *p, LONG64 v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG64 InterlockedAdd64(LONG64 volatile *p, LONG64 v)
{
    KmInterlockedPoint(p, sizeof *p);
    return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG64 InterlockedCompareExchange64(LONG64 volatile *p, LONG64 exchange, LONG64 comparand)
{
    KmInterlockedPoint(p, sizeof *p);
    __atomic_compare_exchange_n(p, &comparand, exchange, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return comparand;
}
/* The acquire / release / no-fence reads and writes of the WDK (wdm.h,
 * ReadULongAcquire...): a scheduling point, then one indivisible access. The
 * simulated processors are sequentially consistent, so every form is
 * seq_cst here (stronger than Windows' acquire or no-fence on arm64). */
#define KM_READ_ONCE(T, name, order)                                                                     \
    static inline T name(T const volatile *p)                                                            \
    {                                                                                                    \
        KmAtomicPoint(p, sizeof *p, order);                                                              \
        return __atomic_load_n(p, __ATOMIC_SEQ_CST);                                                     \
    }
#define KM_WRITE_ONCE(T, name, order)                                                                    \
    static inline VOID name(T volatile *p, T v)                                                          \
    {                                                                                                    \
        KmAtomicPoint(p, sizeof *p, order);                                                              \
        __atomic_store_n(p, v, __ATOMIC_SEQ_CST);                                                        \
    }
KM_READ_ONCE(LONG, ReadAcquire, KM_ATOMIC_ACQUIRE)
KM_READ_ONCE(LONG, ReadNoFence, KM_ATOMIC_PLAIN)
KM_READ_ONCE(ULONG, ReadULongAcquire, KM_ATOMIC_ACQUIRE)
KM_READ_ONCE(ULONG, ReadULongNoFence, KM_ATOMIC_PLAIN)
KM_READ_ONCE(LONG64, ReadAcquire64, KM_ATOMIC_ACQUIRE)
KM_READ_ONCE(LONG64, ReadNoFence64, KM_ATOMIC_PLAIN)
KM_READ_ONCE(PVOID, ReadPointerAcquire, KM_ATOMIC_ACQUIRE)
KM_READ_ONCE(PVOID, ReadPointerNoFence, KM_ATOMIC_PLAIN)
KM_WRITE_ONCE(LONG, WriteRelease, KM_ATOMIC_RELEASE)
KM_WRITE_ONCE(LONG, WriteNoFence, KM_ATOMIC_PLAIN)
KM_WRITE_ONCE(ULONG, WriteULongRelease, KM_ATOMIC_RELEASE)
KM_WRITE_ONCE(ULONG, WriteULongNoFence, KM_ATOMIC_PLAIN)
KM_WRITE_ONCE(LONG64, WriteRelease64, KM_ATOMIC_RELEASE)
KM_WRITE_ONCE(LONG64, WriteNoFence64, KM_ATOMIC_PLAIN)
KM_WRITE_ONCE(PVOID, WritePointerRelease, KM_ATOMIC_RELEASE)
KM_WRITE_ONCE(PVOID, WritePointerNoFence, KM_ATOMIC_PLAIN)
#undef KM_READ_ONCE
#undef KM_WRITE_ONCE

/* ---- DMA and resources (wdm.h) ------------------------------------------------------------- */
typedef enum _DMA_COMPLETION_STATUS {
    DmaComplete = 0,
    DmaAborted = 1,
    DmaError = 2,
    DmaCancelled = 3,
} DMA_COMPLETION_STATUS, *PDMA_COMPLETION_STATUS;

typedef enum _DMA_WIDTH { Width8Bits, Width16Bits, Width32Bits, Width64Bits, WidthNoWrap, MaximumDmaWidth } DMA_WIDTH;

typedef struct _SCATTER_GATHER_ELEMENT {
    PHYSICAL_ADDRESS Address;
    ULONG Length;
    ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    SCATTER_GATHER_ELEMENT Elements[1];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

#define CmResourceTypeNull 0
#define CmResourceTypePort 1
#define CmResourceTypeInterrupt 2
#define CmResourceTypeMemory 3
#define CmResourceTypeDma 4
/* Connection resources (GPIO, SPB and UART connection IDs, wdm.h): the model
 * assigns none, so a driver looking for one finds it missing. */
#define CmResourceTypeConnection 0x84
#define CM_RESOURCE_CONNECTION_CLASS_GPIO 0x01
#define CM_RESOURCE_CONNECTION_CLASS_SERIAL 0x02
#define CM_RESOURCE_CONNECTION_CLASS_FUNCTION_CONFIG 0x03
#define CM_RESOURCE_CONNECTION_TYPE_GPIO_IO 0x02
#define CM_RESOURCE_CONNECTION_TYPE_SERIAL_I2C 0x01
#define CM_RESOURCE_CONNECTION_TYPE_SERIAL_SPI 0x02
#define CM_RESOURCE_CONNECTION_TYPE_SERIAL_UART 0x03
#define CM_RESOURCE_CONNECTION_TYPE_FUNCTION_CONFIG 0x01
#ifndef CM_RESOURCE_DMA_V3
#define CM_RESOURCE_DMA_V3 0x0100
#endif

typedef struct _CM_PARTIAL_RESOURCE_DESCRIPTOR {
    UCHAR Type;
    UCHAR ShareDisposition;
    USHORT Flags;
    union {
        struct {
            PHYSICAL_ADDRESS Start;
            ULONG Length;
        } Memory;
        struct {
            PHYSICAL_ADDRESS Start;
            ULONG Length;
        } Port;
        struct {
            ULONG Level;
            ULONG Vector;
            ULONG_PTR Affinity;
        } Interrupt;
        struct {
            ULONG Channel;
            ULONG Port;
            ULONG Reserved1;
        } Dma;
        struct {
            ULONG Channel;
            ULONG RequestLine;
            UCHAR TransferWidth;
            UCHAR Reserved1, Reserved2, Reserved3;
        } DmaV3;
        struct {
            UCHAR Class;
            UCHAR Type;
            UCHAR Reserved1;
            UCHAR Reserved2;
            ULONG IdLowPart;
            ULONG IdHighPart;
        } Connection;
    } u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;

/* ---- registers and I/O space (wdm.h) ----------------------------------------------------------
 * The device's memory ranges (CmResourceTypeMemory descriptors) map to
 * register memory the model owns, zeroed at each execution start
 * (model/src/km_regs.c, docs/model.md "The register window"). Accesses
 * through READ_REGISTER_* / WRITE_REGISTER_* are scheduling points and reach a
 * scenario's device model (km_device.h). Port I/O (READ_PORT_*) is not
 * modelled: the model assigns no port resources. */
#define CmResourceShareUndetermined 0
#define CmResourceShareDeviceExclusive 1
#define CmResourceShareDriverExclusive 2
#define CmResourceShareShared 3
#define CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE 0x0
#define CM_RESOURCE_INTERRUPT_LATCHED 0x1
#define CM_RESOURCE_MEMORY_READ_WRITE 0x0

typedef enum _MEMORY_CACHING_TYPE {
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = 2,
    MmHardwareCoherentCached = 3,
    MmNonCachedUnordered = 4,
    MmUSWCCached = 5,
    MmMaximumCacheType = 6,
    MmNotMapped = -1,
} MEMORY_CACHING_TYPE;

#ifndef PAGE_READWRITE
#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_WRITECOPY 0x08
#define PAGE_EXECUTE 0x10
#define PAGE_EXECUTE_READ 0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_GUARD 0x100
#define PAGE_NOCACHE 0x200
#define PAGE_WRITECOMBINE 0x400
#endif

typedef volatile UCHAR *PVUCHAR;
typedef volatile USHORT *PVUSHORT;
typedef volatile ULONG *PVULONG;
typedef volatile ULONG64 *PVULONG64;

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType);
/* The bus address of memory (km_object.c km_logical_address: not the virtual address). */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);
PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect);
VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes);

UCHAR READ_REGISTER_UCHAR(volatile UCHAR *Register);
USHORT READ_REGISTER_USHORT(volatile USHORT *Register);
ULONG READ_REGISTER_ULONG(volatile ULONG *Register);
ULONG64 READ_REGISTER_ULONG64(volatile ULONG64 *Register);
VOID WRITE_REGISTER_UCHAR(volatile UCHAR *Register, UCHAR Value);
VOID WRITE_REGISTER_USHORT(volatile USHORT *Register, USHORT Value);
VOID WRITE_REGISTER_ULONG(volatile ULONG *Register, ULONG Value);
VOID WRITE_REGISTER_ULONG64(volatile ULONG64 *Register, ULONG64 Value);
/* The NOFENCE forms (no memory barrier on arm64; plain volatile accesses on
 * x64 in the WDK): in the model the same scheduling point and device-model
 * access as the forms above. */
UCHAR READ_REGISTER_NOFENCE_UCHAR(volatile UCHAR *Register);
USHORT READ_REGISTER_NOFENCE_USHORT(volatile USHORT *Register);
ULONG READ_REGISTER_NOFENCE_ULONG(volatile ULONG *Register);
ULONG64 READ_REGISTER_NOFENCE_ULONG64(volatile ULONG64 *Register);
VOID WRITE_REGISTER_NOFENCE_UCHAR(volatile UCHAR *Register, UCHAR Value);
VOID WRITE_REGISTER_NOFENCE_USHORT(volatile USHORT *Register, USHORT Value);
VOID WRITE_REGISTER_NOFENCE_ULONG(volatile ULONG *Register, ULONG Value);
VOID WRITE_REGISTER_NOFENCE_ULONG64(volatile ULONG64 *Register, ULONG64 Value);
/* The buffer forms access the one register Count times. */
VOID READ_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer, ULONG Count);
VOID READ_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer, ULONG Count);
VOID READ_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer, ULONG Count);
VOID READ_REGISTER_BUFFER_ULONG64(volatile ULONG64 *Register, ULONG64 *Buffer, ULONG Count);
VOID WRITE_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer, ULONG Count);
VOID WRITE_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer, ULONG Count);
VOID WRITE_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer, ULONG Count);
VOID WRITE_REGISTER_BUFFER_ULONG64(volatile ULONG64 *Register, ULONG64 *Buffer, ULONG Count);

/* Barriers: the processor's full fence and the compiler's; the simulated
 * processors are sequentially consistent, so they order nothing further.
 * KeFlushIoBuffers does nothing, as on x86 and x64 (coherent caches). */
#ifndef MemoryBarrier
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef KeMemoryBarrier
#define KeMemoryBarrier() MemoryBarrier()
#endif
#ifndef KeMemoryBarrierWithoutFence
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef _ReadWriteBarrier
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef KeFlushIoBuffers
#define KeFlushIoBuffers(Mdl, ReadOperation, DmaOperation) ((void)(Mdl), (void)(ReadOperation), (void)(DmaOperation))
#endif

/* ---- debug output ------------------------------------------------------------------------------ */
/* DbgPrint and friends format with Windows' printf conventions (long is 32
 * bits, %I64x, %ws, %wZ, %S...; model/src/km_debug.c) and append the text to
 * the execution's trace at the current step and processor (dr_log): --trace
 * and a finding's story show it. Not folded into the digest. Every component
 * and level is shown, each line tagged with them. */
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000
#define DPFLTR_SYSTEM_ID 0
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVVIDEO_ID 78
#define DPFLTR_IHVAUDIO_ID 79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID 82
#define DPFLTR_DEFAULT_ID 101
ULONG DbgPrint(PCSTR Format, ...);
ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist);
ULONG vDbgPrintExWithPrefix(PCSTR Prefix, ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist);
NTSTATUS DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level); /* TRUE: all shown */
NTSTATUS DbgSetDebugFilterState(ULONG ComponentId, ULONG Level, BOOLEAN State); /* accept-only */
/* As macros too, so that a driver's own `#define P(fmt, ...) DbgPrint(fmt,
 * __VA_ARGS__)` called without arguments (MSVC drops the comma) compiles:
 * __VA_OPT__ drops it here. */
#define DbgPrint(Format, ...) (DbgPrint)(Format __VA_OPT__(, ) __VA_ARGS__)
#define DbgPrintEx(ComponentId, Level, Format, ...) \
    (DbgPrintEx)(ComponentId, Level, Format __VA_OPT__(, ) __VA_ARGS__)
/* KdPrint((...)) is DbgPrint as in a checked build; -DDBG=0 makes it nothing, as a free build does. */
#if !defined(DBG) || DBG
#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#else
#define KdPrint(_x_) ((void)0)
#define KdPrintEx(_x_) ((void)0)
#endif

/* ---- setup DDIs' kernel types (issue 13: accept-only DDIs, the client hook) ------------------ */
#ifndef CONST
#define CONST const
#endif
typedef const WCHAR *PCWCH;
typedef const CHAR *PCCH;
typedef ULONG DEVICE_TYPE;
typedef PVOID POHANDLE;

#define STATUS_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define STATUS_OBJECT_TYPE_MISMATCH ((NTSTATUS)0xC0000024L)
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define STATUS_RESOURCE_DATA_NOT_FOUND ((NTSTATUS)0xC0000089L)
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)
#define STATUS_INVALID_BUFFER_SIZE ((NTSTATUS)0xC0000206L)
/* ntstatus.h codes newer than mingw-w64's. */
#ifndef STATUS_BAD_DATA
#define STATUS_BAD_DATA ((NTSTATUS)0xC000090BL)
#endif

/* The interface a driver exports through IRP_MN_QUERY_INTERFACE. */
typedef VOID (*PINTERFACE_REFERENCE)(PVOID Context);
typedef VOID (*PINTERFACE_DEREFERENCE)(PVOID Context);
typedef struct _INTERFACE {
    USHORT Size;
    USHORT Version;
    PVOID Context;
    PINTERFACE_REFERENCE InterfaceReference;
    PINTERFACE_DEREFERENCE InterfaceDereference;
} INTERFACE, *PINTERFACE;

typedef enum _DEVICE_POWER_STATE {
    PowerDeviceUnspecified = 0,
    PowerDeviceD0,
    PowerDeviceD1,
    PowerDeviceD2,
    PowerDeviceD3,
    PowerDeviceMaximum,
} DEVICE_POWER_STATE, *PDEVICE_POWER_STATE;
typedef enum _SYSTEM_POWER_STATE {
    PowerSystemUnspecified = 0,
    PowerSystemWorking,
    PowerSystemSleeping1,
    PowerSystemSleeping2,
    PowerSystemSleeping3,
    PowerSystemHibernate,
    PowerSystemShutdown,
    PowerSystemMaximum,
} SYSTEM_POWER_STATE, *PSYSTEM_POWER_STATE;

/* The power framework (PoFx) component description. */
typedef struct _PO_FX_COMPONENT_IDLE_STATE {
    ULONGLONG TransitionLatency;
    ULONGLONG ResidencyRequirement;
    ULONG NominalPower;
} PO_FX_COMPONENT_IDLE_STATE, *PPO_FX_COMPONENT_IDLE_STATE;
typedef struct _PO_FX_COMPONENT_V1 {
    GUID Id;
    ULONG IdleStateCount;
    ULONG DeepestWakeableIdleState;
    PPO_FX_COMPONENT_IDLE_STATE IdleStates;
} PO_FX_COMPONENT_V1, *PPO_FX_COMPONENT_V1;
typedef struct _PO_FX_COMPONENT_V2 {
    GUID Id;
    ULONGLONG Flags;
    ULONG DeepestWakeableIdleState;
    ULONG IdleStateCount;
    PPO_FX_COMPONENT_IDLE_STATE IdleStates;
    ULONG ProviderCount;
    PULONG Providers;
} PO_FX_COMPONENT_V2, *PPO_FX_COMPONENT_V2;
typedef PO_FX_COMPONENT_V1 PO_FX_COMPONENT, *PPO_FX_COMPONENT;
#define PO_FX_VERSION_V1 0x00000001
#define PO_FX_VERSION_V2 0x00000002
#define PO_FX_UNKNOWN_POWER 0xFFFFFFFF
#define PO_FX_UNKNOWN_TIME 0xFFFFFFFFFFFFFFFFull
typedef VOID PO_FX_COMPONENT_ACTIVE_CONDITION_CALLBACK(PVOID Context, ULONG Component);
typedef PO_FX_COMPONENT_ACTIVE_CONDITION_CALLBACK *PPO_FX_COMPONENT_ACTIVE_CONDITION_CALLBACK;
typedef VOID PO_FX_COMPONENT_IDLE_CONDITION_CALLBACK(PVOID Context, ULONG Component);
typedef PO_FX_COMPONENT_IDLE_CONDITION_CALLBACK *PPO_FX_COMPONENT_IDLE_CONDITION_CALLBACK;
typedef VOID PO_FX_COMPONENT_IDLE_STATE_CALLBACK(PVOID Context, ULONG Component, ULONG State);
typedef PO_FX_COMPONENT_IDLE_STATE_CALLBACK *PPO_FX_COMPONENT_IDLE_STATE_CALLBACK;
typedef NTSTATUS PO_FX_POWER_CONTROL_CALLBACK(PVOID DeviceContext, LPCGUID PowerControlCode, PVOID InBuffer,
                                              SIZE_T InBufferSize, PVOID OutBuffer, SIZE_T OutBufferSize,
                                              PSIZE_T BytesReturned);
typedef PO_FX_POWER_CONTROL_CALLBACK *PPO_FX_POWER_CONTROL_CALLBACK;

/* Device objects: types, characteristics, alignment (wdm.h, devioctl.h). */
#define FILE_DEVICE_UNKNOWN 0x00000022
#define FILE_DEVICE_SOUND 0x0000001d
#define FILE_DEVICE_KS 0x0000002f
#define FILE_DEVICE_BUS_EXTENDER 0x0000002a
#define FILE_REMOVABLE_MEDIA 0x00000001
#define FILE_READ_ONLY_DEVICE 0x00000002
#define FILE_FLOPPY_DISKETTE 0x00000004
#define FILE_WRITE_ONCE_MEDIA 0x00000008
#define FILE_REMOTE_DEVICE 0x00000010
#define FILE_DEVICE_IS_MOUNTED 0x00000020
#define FILE_VIRTUAL_VOLUME 0x00000040
#define FILE_AUTOGENERATED_DEVICE_NAME 0x00000080
#define FILE_DEVICE_SECURE_OPEN 0x00000100
#define FILE_CHARACTERISTIC_PNP_DEVICE 0x00000800
#define FILE_BYTE_ALIGNMENT 0x00000000
#define FILE_WORD_ALIGNMENT 0x00000001
#define FILE_LONG_ALIGNMENT 0x00000003
#define FILE_QUAD_ALIGNMENT 0x00000007
#define FILE_OCTA_ALIGNMENT 0x0000000f
#define FILE_32_BYTE_ALIGNMENT 0x0000001f
#define FILE_64_BYTE_ALIGNMENT 0x0000003f
#define FILE_128_BYTE_ALIGNMENT 0x0000007f
#define FILE_256_BYTE_ALIGNMENT 0x000000ff
#define FILE_512_BYTE_ALIGNMENT 0x000001ff

/* Registry (wdm.h). */
#define PLUGPLAY_REGKEY_DEVICE 1
#define PLUGPLAY_REGKEY_DRIVER 2
#define PLUGPLAY_REGKEY_CURRENT_HWPROFILE 4
#define KEY_QUERY_VALUE 0x0001
#define KEY_SET_VALUE 0x0002
#define KEY_CREATE_SUB_KEY 0x0004
#define KEY_ENUMERATE_SUB_KEYS 0x0008
#define KEY_NOTIFY 0x0010
#define KEY_CREATE_LINK 0x0020
#define STANDARD_RIGHTS_READ 0x00020000L
#define STANDARD_RIGHTS_WRITE 0x00020000L
#define STANDARD_RIGHTS_ALL 0x001F0000L
#define SYNCHRONIZE 0x00100000L
#define GENERIC_READ 0x80000000L
#define GENERIC_WRITE 0x40000000L
#define GENERIC_ALL 0x10000000L
#define KEY_READ ((STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY) & (~SYNCHRONIZE))
#define KEY_WRITE ((STANDARD_RIGHTS_WRITE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY) & (~SYNCHRONIZE))
#define KEY_ALL_ACCESS                                                                                    \
    ((STANDARD_RIGHTS_ALL | KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_ENUMERATE_SUB_KEYS | \
      KEY_NOTIFY | KEY_CREATE_LINK) &                                                                     \
     (~SYNCHRONIZE))
#define REG_NONE 0
#define REG_SZ 1
#define REG_EXPAND_SZ 2
#define REG_BINARY 3
#define REG_DWORD 4
#define REG_MULTI_SZ 7
#define REG_QWORD 11

/* ---- DMA: adapters, operations, MDLs (wdm.h) ------------------------------------------------ */
/* The WDM DMA interface a system-DMA driver reaches through
 * WdfDmaEnablerWdmGetDmaAdapter: field names, order and signatures as in the
 * WDK's wdm.h (DMA_OPERATIONS up to CancelMappedTransfer, the DMA v3 table).
 * Which operations the model implements: docs/model-dma.md. */
typedef struct _DMA_ADAPTER DMA_ADAPTER, *PDMA_ADAPTER;
typedef struct _DMA_OPERATIONS DMA_OPERATIONS, *PDMA_OPERATIONS;

typedef enum _IO_ALLOCATION_ACTION {
    KeepObject = 1,
    DeallocateObject,
    DeallocateObjectKeepRegisters,
} IO_ALLOCATION_ACTION, *PIO_ALLOCATION_ACTION;

typedef IO_ALLOCATION_ACTION DRIVER_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID MapRegisterBase,
                                            PVOID Context);
typedef DRIVER_CONTROL *PDRIVER_CONTROL;
typedef VOID DRIVER_LIST_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather,
                                 PVOID Context);
typedef DRIVER_LIST_CONTROL *PDRIVER_LIST_CONTROL;
typedef VOID DMA_COMPLETION_ROUTINE(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID CompletionContext,
                                    DMA_COMPLETION_STATUS Status);
typedef DMA_COMPLETION_ROUTINE *PDMA_COMPLETION_ROUTINE;

typedef enum _DMA_SPEED { Compatible, TypeA, TypeB, TypeC, TypeF, MaximumDmaSpeed } DMA_SPEED, *PDMA_SPEED;

typedef enum _INTERFACE_TYPE {
    InterfaceTypeUndefined = -1,
    Internal,
    Isa,
    Eisa,
    MicroChannel,
    TurboChannel,
    PCIBus,
    VMEBus,
    NuBus,
    PCMCIABus,
    CBus,
    MPIBus,
    MPSABus,
    ProcessorInternal,
    InternalPowerBus,
    PNPISABus,
    PNPBus,
    Vmcs,
    ACPIBus,
    MaximumInterfaceType
} INTERFACE_TYPE, *PINTERFACE_TYPE;

#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

typedef struct _DEVICE_DESCRIPTION {
    ULONG Version;
    BOOLEAN Master;
    BOOLEAN ScatterGather;
    BOOLEAN DemandMode;
    BOOLEAN AutoInitialize;
    BOOLEAN Dma32BitAddresses;
    BOOLEAN IgnoreCount;
    BOOLEAN Reserved1;
    BOOLEAN Dma64BitAddresses;
    ULONG BusNumber;
    ULONG DmaChannel;
    INTERFACE_TYPE InterfaceType;
    DMA_WIDTH DmaWidth;
    DMA_SPEED DmaSpeed;
    ULONG MaximumLength;
    ULONG DmaPort;
    ULONG DmaAddressWidth;
    ULONG DmaControllerInstance;
    ULONG DmaRequestLine;
    PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

#define DMA_ADAPTER_INFO_VERSION1 1
#define ADAPTER_INFO_SYNCHRONOUS_CALLBACK 0x0001
#define ADAPTER_INFO_API_BYPASS 0x0002

typedef struct _DMA_ADAPTER_INFO_V1 {
    ULONG ReadDmaCounterAvailable;
    ULONG ScatterGatherLimit;
    ULONG DmaAddressWidth;
    ULONG Flags;
    ULONG MinimumTransferUnit;
} DMA_ADAPTER_INFO_V1, *PDMA_ADAPTER_INFO_V1;

typedef struct _DMA_ADAPTER_INFO {
    ULONG Version;
    union {
        DMA_ADAPTER_INFO_V1 V1;
    };
} DMA_ADAPTER_INFO, *PDMA_ADAPTER_INFO;

#define DMA_TRANSFER_INFO_VERSION1 1
#define DMA_TRANSFER_INFO_VERSION2 2

typedef struct _DMA_TRANSFER_INFO_V1 {
    ULONG MapRegisterCount;
    ULONG ScatterGatherElementCount;
    ULONG ScatterGatherListSize;
} DMA_TRANSFER_INFO_V1, *PDMA_TRANSFER_INFO_V1;

typedef struct _DMA_TRANSFER_INFO_V2 {
    ULONG MapRegisterCount;
    ULONG ScatterGatherElementCount;
    ULONG ScatterGatherListSize;
    ULONG LogicalPageCount;
} DMA_TRANSFER_INFO_V2, *PDMA_TRANSFER_INFO_V2;

typedef struct _DMA_TRANSFER_INFO {
    ULONG Version;
    union {
        DMA_TRANSFER_INFO_V1 V1;
        DMA_TRANSFER_INFO_V2 V2;
    };
} DMA_TRANSFER_INFO, *PDMA_TRANSFER_INFO;

#define DMA_TRANSFER_CONTEXT_VERSION1 1
#define DMA_TRANSFER_CONTEXT_SIZE_V1 128
#define DMA_SYNCHRONOUS_CALLBACK 0x01
typedef ULONG NODE_REQUIREMENT;

typedef VOID (*PPUT_DMA_ADAPTER)(PDMA_ADAPTER DmaAdapter);
typedef PVOID (*PALLOCATE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
                                         BOOLEAN CacheEnabled);
typedef VOID (*PFREE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                                    PVOID VirtualAddress, BOOLEAN CacheEnabled);
typedef NTSTATUS (*PALLOCATE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                              ULONG NumberOfMapRegisters, PDRIVER_CONTROL ExecutionRoutine,
                                              PVOID Context);
typedef BOOLEAN (*PFLUSH_ADAPTER_BUFFERS)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                          ULONG Length, BOOLEAN WriteToDevice);
typedef VOID (*PFREE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter);
typedef VOID (*PFREE_MAP_REGISTERS)(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase, ULONG NumberOfMapRegisters);
typedef PHYSICAL_ADDRESS (*PMAP_TRANSFER)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                          PULONG Length, BOOLEAN WriteToDevice);
typedef ULONG (*PGET_DMA_ALIGNMENT)(PDMA_ADAPTER DmaAdapter);
typedef ULONG (*PREAD_DMA_COUNTER)(PDMA_ADAPTER DmaAdapter);
typedef NTSTATUS (*PGET_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                             PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                             PVOID Context, BOOLEAN WriteToDevice);
typedef VOID (*PPUT_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                         BOOLEAN WriteToDevice);
typedef NTSTATUS (*PCALCULATE_SCATTER_GATHER_LIST_SIZE)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa,
                                                        ULONG Length, PULONG ScatterGatherListSize,
                                                        PULONG pNumberOfMapRegisters);
typedef NTSTATUS (*PBUILD_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                               PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                               PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                               ULONG ScatterGatherLength);
typedef NTSTATUS (*PBUILD_MDL_FROM_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                                        PMDL OriginalMdl, PMDL *TargetMdl);
typedef NTSTATUS (*PGET_DMA_ADAPTER_INFO)(PDMA_ADAPTER DmaAdapter, PDMA_ADAPTER_INFO AdapterInfo);
typedef NTSTATUS (*PGET_DMA_TRANSFER_INFO)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                           BOOLEAN WriteOnly, PDMA_TRANSFER_INFO TransferInfo);
typedef NTSTATUS (*PINITIALIZE_DMA_TRANSFER_CONTEXT)(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext);
typedef PVOID (*PALLOCATE_COMMON_BUFFER_EX)(PDMA_ADAPTER DmaAdapter, PPHYSICAL_ADDRESS MaximumAddress, ULONG Length,
                                            PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled,
                                            NODE_REQUIREMENT PreferredNode);
typedef NTSTATUS (*PALLOCATE_ADAPTER_CHANNEL_EX)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                                 PVOID DmaTransferContext, ULONG NumberOfMapRegisters, ULONG Flags,
                                                 PDRIVER_CONTROL ExecutionRoutine, PVOID ExecutionContext,
                                                 PVOID *MapRegisterBase);
typedef NTSTATUS (*PCONFIGURE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter, ULONG FunctionNumber, PVOID Context);
typedef BOOLEAN (*PCANCEL_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                           PVOID DmaTransferContext);
typedef NTSTATUS (*PMAP_TRANSFER_EX)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, ULONGLONG Offset,
                                     ULONG DeviceOffset, PULONG Length, BOOLEAN WriteToDevice,
                                     PSCATTER_GATHER_LIST ScatterGatherBuffer, ULONG ScatterGatherBufferLength,
                                     PDMA_COMPLETION_ROUTINE DmaCompletionRoutine, PVOID CompletionContext);
typedef NTSTATUS (*PGET_SCATTER_GATHER_LIST_EX)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                                PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                                ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                                BOOLEAN WriteToDevice, PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                                                PVOID CompletionContext, PSCATTER_GATHER_LIST *ScatterGatherList);
typedef NTSTATUS (*PBUILD_SCATTER_GATHER_LIST_EX)(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                                  PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                                  ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                                  BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                                  ULONG ScatterGatherLength,
                                                  PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                                                  PVOID CompletionContext, PVOID ScatterGatherList);
typedef NTSTATUS (*PFLUSH_ADAPTER_BUFFERS_EX)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                              ULONGLONG Offset, ULONG Length, BOOLEAN WriteToDevice);
typedef VOID (*PFREE_ADAPTER_OBJECT)(PDMA_ADAPTER DmaAdapter, IO_ALLOCATION_ACTION AllocationAction);
typedef NTSTATUS (*PCANCEL_MAPPED_TRANSFER)(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext);

struct _DMA_OPERATIONS {
    ULONG Size;
    PPUT_DMA_ADAPTER PutDmaAdapter;
    PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
    PFREE_COMMON_BUFFER FreeCommonBuffer;
    PALLOCATE_ADAPTER_CHANNEL AllocateAdapterChannel;
    PFLUSH_ADAPTER_BUFFERS FlushAdapterBuffers;
    PFREE_ADAPTER_CHANNEL FreeAdapterChannel;
    PFREE_MAP_REGISTERS FreeMapRegisters;
    PMAP_TRANSFER MapTransfer;
    PGET_DMA_ALIGNMENT GetDmaAlignment;
    PREAD_DMA_COUNTER ReadDmaCounter;
    PGET_SCATTER_GATHER_LIST GetScatterGatherList;
    PPUT_SCATTER_GATHER_LIST PutScatterGatherList;
    PCALCULATE_SCATTER_GATHER_LIST_SIZE CalculateScatterGatherList;
    PBUILD_SCATTER_GATHER_LIST BuildScatterGatherList;
    PBUILD_MDL_FROM_SCATTER_GATHER_LIST BuildMdlFromScatterGatherList;
    PGET_DMA_ADAPTER_INFO GetDmaAdapterInfo;
    PGET_DMA_TRANSFER_INFO GetDmaTransferInfo;
    PINITIALIZE_DMA_TRANSFER_CONTEXT InitializeDmaTransferContext;
    PALLOCATE_COMMON_BUFFER_EX AllocateCommonBufferEx;
    PALLOCATE_ADAPTER_CHANNEL_EX AllocateAdapterChannelEx;
    PCONFIGURE_ADAPTER_CHANNEL ConfigureAdapterChannel;
    PCANCEL_ADAPTER_CHANNEL CancelAdapterChannel;
    PMAP_TRANSFER_EX MapTransferEx;
    PGET_SCATTER_GATHER_LIST_EX GetScatterGatherListEx;
    PBUILD_SCATTER_GATHER_LIST_EX BuildScatterGatherListEx;
    PFLUSH_ADAPTER_BUFFERS_EX FlushAdapterBuffersEx;
    PFREE_ADAPTER_OBJECT FreeAdapterObject;
    PCANCEL_MAPPED_TRANSFER CancelMappedTransfer;
};

struct _DMA_ADAPTER {
    USHORT Version;
    USHORT Size;
    PDMA_OPERATIONS DmaOperations;
};

/* The MDL with the fields drivers read (wdm.h order). The model's MDLs
 * describe identity-mapped memory: MappedSystemVa is the buffer itself. */
#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010

struct _MDL {
    struct _MDL *Next;
    SHORT Size;
    SHORT MdlFlags;
    PVOID Process;
    PVOID MappedSystemVa;
    PVOID StartVa;
    ULONG ByteCount;
    ULONG ByteOffset;
};

#ifndef PAGE_SIZE
#define PAGE_SIZE 0x1000
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#ifndef BYTE_OFFSET
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & (PAGE_SIZE - 1)))
#endif
#ifndef PAGE_ALIGN
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~(ULONG_PTR)(PAGE_SIZE - 1)))
#endif
#ifndef ADDRESS_AND_SIZE_TO_SPAN_PAGES
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)                                                          \
    ((ULONG)((((ULONG_PTR)(Va) & (PAGE_SIZE - 1)) + (Size) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))
#endif

typedef enum _MM_PAGE_PRIORITY { LowPagePriority, NormalPagePriority = 16, HighPagePriority = 32 } MM_PAGE_PRIORITY;
#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000

#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)

/* MmInitializeMdl: the header of an MDL the driver allocated itself. */
static inline VOID MmInitializeMdl(PMDL Mdl, PVOID BaseVa, SIZE_T Length)
{
    Mdl->Next = NULL;
    Mdl->Size = (SHORT)(sizeof(MDL) + sizeof(ULONG_PTR) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(BaseVa, Length));
    Mdl->MdlFlags = 0;
    Mdl->Process = NULL;
    Mdl->MappedSystemVa = NULL;
    Mdl->StartVa = PAGE_ALIGN(BaseVa);
    Mdl->ByteOffset = BYTE_OFFSET(BaseVa);
    Mdl->ByteCount = (ULONG)Length;
}

/* IoAllocateMdl / IoFreeMdl: an MDL for a buffer of the driver's (Irp must
 * be NULL in the model: its IRPs are opaque). */
PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp);
VOID IoFreeMdl(PMDL Mdl);

/* MmBuildMdlForNonPagedPool: the model's memory is resident and
 * identity-mapped, so the system address is the buffer. */
static inline VOID MmBuildMdlForNonPagedPool(PMDL Mdl)
{
    Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

/* MmGetSystemAddressForMdlSafe: the mapping if the MDL has one, else the
 * identity mapping of its buffer (the model never runs out of system PTEs). */
static inline PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    (void)Priority;
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return MmGetMdlVirtualAddress(Mdl);
}

/* ---- interrupts (wdm.h; issue 14) ------------------------------------------------------------ */
typedef enum _KINTERRUPT_MODE { LevelSensitive, Latched } KINTERRUPT_MODE;
typedef struct _KINTERRUPT *PKINTERRUPT; /* opaque: WdfInterruptWdmGetInterrupt's result */
typedef struct _GROUP_AFFINITY {
    ULONG_PTR Mask; /* KAFFINITY (km_wdk.h, included below) */
    USHORT Group;
    USHORT Reserved[3];
} GROUP_AFFINITY, *PGROUP_AFFINITY;

#ifdef __cplusplus
}
#endif

/* The rest of the WDM and WDK names (types, pool, lists, spin locks, time,
 * strings, GUIDs). */
#include "km_wdk.h"
#endif
