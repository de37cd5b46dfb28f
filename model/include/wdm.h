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
#include <stdint.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SAL, ignored: every SAL 2.0 and driver-annotation name (km_sal.h,
 * generated from mingw-w64's sal.h, concurrencysal.h and driverspecs.h). */
#include "km_sal.h"
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
    } u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;

#ifdef __cplusplus
}
#endif

/* The rest of the WDM and WDK names (types, pool, lists, spin locks, time,
 * strings, GUIDs). */
#include "km_wdk.h"
#endif
