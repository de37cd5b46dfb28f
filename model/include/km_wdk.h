/* km_wdk.h: the WDM kernel and WDK names that drivers use besides KMDF's,
 * included by wdm.h (do not include it alone). Provides:
 *   types        BOOL INT UINT PUINT BYTE PBYTE WORD PWORD DWORD PDWORD
 *                DWORD_PTR SSIZE_T INT8..INT64 UINT8..UINT64 LONG32 ULONG32
 *                PVOID64 PHANDLE KAFFINITY CCHAR CSHORT PSTR PCHAR PCCH PWCH
 *                PCWCH PCWCHAR PSZ PCSZ POOL_TYPE POOL_FLAGS KSPIN_LOCK KEVENT
 *                DISPATCHER_HEADER EVENT_TYPE KWAIT_REASON MODE KPROCESSOR_MODE
 *                KPRIORITY
 *                LIST_ENTRY SINGLE_LIST_ENTRY ANSI_STRING STRING GUID
 *                DEVPROPKEY DEVPROPTYPE DEVPROPGUID DEVPROPID ULARGE_INTEGER
 *   macros       EXTERN_C EXTERN_C_START EXTERN_C_END DECLSPEC_* C_ASSERT
 *                FIELD_OFFSET RTL_FIELD_SIZE RTL_NUMBER_OF ARRAYSIZE
 *                CONTAINING_RECORD min max UNALIGNED POINTER_ALIGNMENT
 *                ANYSIZE_ARRAY ALLOC_PRAGMA ALLOC_DATA_PRAGMA NOP_FUNCTION
 *                PAGED_CODE PAGED_CODE_LOCKED (model/src/km_wdm.c)
 *   routines     Rtl*Memory, ExAllocatePool*, ExFreePool*, list routines,
 *                KeInitializeSpinLock / KeAcquireSpinLock* / KeReleaseSpinLock*,
 *                KeStallExecutionProcessor, KeQuery*Time*, KeQueryPerformanceCounter,
 *                KeQueryTickCount, KeQueryTimeIncrement, KeInitializeEvent,
 *                KeSetEvent, KeClearEvent, KeResetEvent, KeReadStateEvent,
 *                KeWaitForSingleObject (on a KEVENT), Rtl*String,
 *                IsEqualGUID, InlineIsEqualGUID
 *   issue 13     UNICODE_NULL ANSI_NULL CTL_CODE METHOD_* FILE_*_ACCESS
 *                BYTES_TO_PAGES ROUND_TO_PAGES MAKELANGID LOCALE_NEUTRAL ...
 *                RTL_OSVERSIONINFO(EX)W RtlGetVersion MmGetSystemRoutineAddress
 *                KeDelayExecutionThread MmAllocateNonCachedMemory
 *                MmAllocateContiguousMemory (and their frees)
 * What each is in the model: docs/api-support.md, "WDM and the WDK headers". */
#ifndef DMARACE_KM_WDK_H
#define DMARACE_KM_WDK_H

#include <string.h>

#define RESTRICTED_POINTER
/* MSVC pragmas (alloc_text, code_seg, warning, prefast...) are accepted in
 * driver code: from here on in the translation unit, an unknown pragma is
 * not a warning (nor, with -Werror, an error). */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
/* Pool tags are multi-character constants ('gaT1'): gcc warns about them by default. */
#pragma GCC diagnostic ignored "-Wmultichar"
#ifdef __clang__
/* pshpack<n>.h and poppack.h change the packing inside an include, by design. */
#pragma clang diagnostic ignored "-Wpragma-pack"
#endif

#ifdef __cplusplus
#define EXTERN_C extern "C"
#define EXTERN_C_START extern "C" {
#define EXTERN_C_END }
#else
#define EXTERN_C extern
#define EXTERN_C_START
#define EXTERN_C_END
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types --------------------------------------------------------------------------------- */
typedef int BOOL, *PBOOL, INT, *PINT;
typedef unsigned int UINT, *PUINT;
typedef uint8_t BYTE, *PBYTE;
typedef uint16_t WORD, *PWORD;
typedef DWORD *PDWORD;
typedef ULONG_PTR DWORD_PTR, *PDWORD_PTR;
typedef LONG_PTR SSIZE_T, *PSSIZE_T, *PLONG_PTR;
typedef int8_t INT8, *PINT8;
typedef int16_t INT16, *PINT16, *PSHORT;
typedef int32_t INT32, *PINT32, LONG32, *PLONG32;
typedef int64_t INT64, *PINT64, *PLONG64;
typedef uint8_t UINT8, *PUINT8;
typedef uint16_t UINT16, *PUINT16;
typedef uint32_t UINT32, *PUINT32, ULONG32, *PULONG32, DWORD32;
typedef uint64_t UINT64, *PUINT64, DWORD64, *PULONG64;
typedef void *PVOID64;
typedef HANDLE *PHANDLE;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
typedef char CCHAR;
typedef int16_t CSHORT;
typedef char *PSTR, *PSZ;
typedef const char *PCCH, *PCSZ;
typedef wchar_t *PWCH, *LPWSTR;
typedef const wchar_t *PCWCH, *PCWCHAR, *LPCWSTR;
typedef ULONG LOGICAL, *PLOGICAL;
typedef ULONG64 POOL_FLAGS;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

#ifndef NULL
#define NULL ((void *)0)
#endif
/* ntdef.h's limits, in the Windows widths (limits.h's LONG_MAX is 64-bit here). */
#define MINCHAR 0x80
#define MAXCHAR 0x7f
#define MINSHORT 0x8000
#define MAXSHORT 0x7fff
#define MINLONG 0x80000000
#define MAXLONG 0x7fffffff
#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffff
#define MAXLONGLONG (0x7fffffffffffffffLL)
#define MAXULONGLONG (~(ULONGLONG)0)
#define MAXULONG_PTR (~(ULONG_PTR)0)
#define MAXLONG_PTR ((LONG_PTR)(MAXULONG_PTR >> 1))
#define MAXSIZE_T (~(SIZE_T)0)
#define UNALIGNED
#define UNALIGNED64
#define POINTER_ALIGNMENT
#define ANYSIZE_ARRAY 1
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_NORETURN __attribute__((noreturn))
#define DECLSPEC_SELECTANY __attribute__((weak))
#define DECLSPEC_IMPORT
#define DECLSPEC_EXPORT
#define DECLSPEC_NOTHROW
#define DECLSPEC_NOVTABLE
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
#define DECLSPEC_UUID(x)
#define DECLSPEC_DEPRECATED
#define NTSYSAPI
#define NTKERNELAPI
#define NTHALAPI
#define NTSTRSAFEDDI static inline
#define NOP_FUNCTION ((void)0)
/* MSVC's #pragma alloc_text / code_seg / data_seg are what ALLOC_PRAGMA
 * guards: defined, so that a driver's pragmas are compiled (and ignored:
 * the model has no pageable sections; unknown pragmas are not warned about
 * in driver code: the pragma at the top of this file). */
#define ALLOC_PRAGMA 1
#define ALLOC_DATA_PRAGMA 1

#ifdef __cplusplus
#define C_ASSERT(e) static_assert(e, #e)
#else
#define C_ASSERT(e) _Static_assert(e, #e)
#endif
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define RTL_NUMBER_OF_V1(a) RTL_NUMBER_OF(a)
#define RTL_NUMBER_OF_V2(a) RTL_NUMBER_OF(a)
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define CONTAINING_RECORD(address, type, field)                                                           \
    ((type *)(void *)((PCHAR)(address) - offsetof(type, field)))
/* min and max as ntdef.h has them unless NOMINMAX; in C++ too, after the
 * standard headers of wdm.h's prelude (a standard header included after
 * wdm.h may then need NOMINMAX, as with the WDK). */
#ifndef NOMINMAX
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif

/* ---- memory (wdm.h: macros over the C library) ------------------------------------------- */
#define RtlZeroMemory(d, n) memset((d), 0, (n))
#define RtlFillMemory(d, n, v) memset((d), (v), (n))
#define RtlCopyMemory(d, s, n) memcpy((d), (s), (n))
#define RtlMoveMemory(d, s, n) memmove((d), (s), (n))
#define RtlEqualMemory(a, b, n) (!memcmp((a), (b), (n)))
#define RtlCopyBytes RtlCopyMemory
#define RtlZeroBytes RtlZeroMemory
#define RtlFillBytes RtlFillMemory
/* The number of leading bytes that are equal. */
SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length);
/* Zeroes through a volatile pointer, so the compiler keeps it. */
static inline PVOID RtlSecureZeroMemory(PVOID ptr, SIZE_T cnt)
{
    volatile char *p = (volatile char *)ptr;
    while (cnt--)
        *p++ = 0;
    return ptr;
}

/* ---- pool (model/src/km_wdm.c): guarded, checked, leak-checked ---------------------------- */
typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = 0,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,
    MaxPoolType = 7,
    NonPagedPoolBase = 0,
    NonPagedPoolBaseMustSucceed = 2,
    NonPagedPoolBaseCacheAligned = 4,
    NonPagedPoolBaseCacheAlignedMustS = 6,
    NonPagedPoolSession = 32,
    PagedPoolSession = 33,
    NonPagedPoolMustSucceedSession = 34,
    DontUseThisTypeSession = 35,
    NonPagedPoolCacheAlignedSession = 36,
    PagedPoolCacheAlignedSession = 37,
    NonPagedPoolCacheAlignedMustSSession = 38,
    NonPagedPoolNx = 512,
    NonPagedPoolNxCacheAligned = 516,
    NonPagedPoolSessionNx = 544,
} POOL_TYPE;

#define POOL_FLAG_REQUIRED_START 0x0000000000000001ULL
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RESERVED1 0x0000000000000010ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
#define POOL_FLAG_RESERVED2 0x0000000000000200ULL
#define POOL_FLAG_RESERVED3 0x0000000000000400ULL
#define POOL_FLAG_REQUIRED_END 0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START 0x0000000100000000ULL
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ULL

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID ExFreePool(PVOID P);
VOID ExFreePool2(PVOID P, ULONG Tag, PVOID ExtendedParameters, ULONG ExtendedParametersCount);

/* PAGED_CODE(): Driver Verifier's IRQL check of pageable code (km_wdm.c). */
VOID KmPagedCode(const char *function);
#define PAGED_CODE() KmPagedCode(__func__)
/* Pageable code locked in memory (MmLockPagableCodeSection): no IRQL rule. */
#define PAGED_CODE_LOCKED() NOP_FUNCTION

/* ---- doubly and singly linked lists (wdm.h's inline routines) ----------------------------- */
typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *RESTRICTED_POINTER PRLIST_ENTRY;
typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

static inline VOID InitializeListHead(PLIST_ENTRY ListHead) { ListHead->Flink = ListHead->Blink = ListHead; }
static inline BOOLEAN IsListEmpty(const LIST_ENTRY *ListHead) { return (BOOLEAN)(ListHead->Flink == ListHead); }
static inline BOOLEAN RemoveEntryList(PLIST_ENTRY Entry)
{
    PLIST_ENTRY next = Entry->Flink, prev = Entry->Blink;
    prev->Flink = next;
    next->Blink = prev;
    return (BOOLEAN)(next == prev);
}
static inline PLIST_ENTRY RemoveHeadList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY entry = ListHead->Flink;
    RemoveEntryList(entry);
    return entry;
}
static inline PLIST_ENTRY RemoveTailList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY entry = ListHead->Blink;
    RemoveEntryList(entry);
    return entry;
}
static inline VOID InsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY last = ListHead->Blink;
    Entry->Flink = ListHead;
    Entry->Blink = last;
    last->Flink = Entry;
    ListHead->Blink = Entry;
}
static inline VOID InsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY first = ListHead->Flink;
    Entry->Flink = first;
    Entry->Blink = ListHead;
    first->Blink = Entry;
    ListHead->Flink = Entry;
}
static inline VOID AppendTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListToAppend)
{
    PLIST_ENTRY end = ListHead->Blink;
    ListHead->Blink->Flink = ListToAppend;
    ListHead->Blink = ListToAppend->Blink;
    ListToAppend->Blink->Flink = ListHead;
    ListToAppend->Blink = end;
}
static inline PSINGLE_LIST_ENTRY PopEntryList(PSINGLE_LIST_ENTRY ListHead)
{
    PSINGLE_LIST_ENTRY first = ListHead->Next;
    if (first)
        ListHead->Next = first->Next;
    return first;
}
static inline VOID PushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY Entry)
{
    Entry->Next = ListHead->Next;
    ListHead->Next = Entry;
}

/* ---- spin locks (km_wdm.c, on the harness's dr_spinlock) ---------------------------------- */
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;
VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))
VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);

/* ---- time (km_wdm.c, from the virtual clock: 1 tick = 100 ns) ------------------------------ */
VOID KeStallExecutionProcessor(ULONG MicroSeconds);
LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);
VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);
ULONGLONG KeQueryInterruptTime(void);
ULONGLONG KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp);
VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount);
ULONG KeQueryTimeIncrement(void);

/* ---- events (km_wdm.c): KEVENT and KeWaitForSingleObject on it ---------------------------------- */
typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef enum _KWAIT_REASON {
    Executive,
    FreePage,
    PageIn,
    PoolAllocation,
    DelayExecution,
    Suspended,
    UserRequest,
    WrExecutive,
    WrFreePage,
    WrPageIn,
    WrPoolAllocation,
    WrDelayExecution,
    WrSuspended,
    WrUserRequest,
} KWAIT_REASON;
typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;
typedef CCHAR KPROCESSOR_MODE;
typedef LONG KPRIORITY;
#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1
typedef struct _DISPATCHER_HEADER {
    UCHAR Type;
    UCHAR Signalling;
    UCHAR Size;
    UCHAR Reserved1;
    LONG SignalState;
    LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;
typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
VOID KeClearEvent(PRKEVENT Event);
LONG KeResetEvent(PRKEVENT Event);
LONG KeReadStateEvent(PRKEVENT Event);
/* Object must be a KEVENT: the model has no other dispatcher object. */
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout);

/* ---- counted strings (km_wdm.c) ------------------------------------------------------------ */
typedef struct _STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING, OEM_STRING, *POEM_STRING;
typedef const STRING *PCSTRING, *PCANSI_STRING;

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);
VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSTR SourceString);
VOID RtlInitString(PSTRING DestinationString, PCSTR SourceString);
VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString);
LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive);
BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive);

/* The buffer through void *: the same macro initializes UNICODE_STRING and
 * ANSI_STRING, from literals (const with -Wwrite-strings). */
#define RTL_CONSTANT_STRING(s) {(USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (void *)(s)}
#define DECLARE_CONST_UNICODE_STRING(name, s)                                                              \
    const WCHAR name##_buffer[] = s;                                                                       \
    const UNICODE_STRING name = {(USHORT)(sizeof(s) - sizeof(WCHAR)), (USHORT)sizeof(s), (PWSTR)name##_buffer}
#define DECLARE_GLOBAL_CONST_UNICODE_STRING(name, s) DECLARE_CONST_UNICODE_STRING(name, s)
#define DECLARE_UNICODE_STRING_SIZE(name, size)                                                            \
    WCHAR name##_buffer[size];                                                                             \
    UNICODE_STRING name = {0, (USHORT)((size) * sizeof(WCHAR)), name##_buffer}

/* ---- issue 13's remaining WDK names (ntdef.h, devioctl.h, wdm.h, ntddk.h) ------------------ */
#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)

/* I/O control codes (devioctl.h): the device type in bits 16-31, the access
 * in 14-15, the function in 2-13, the transfer method in 0-1. */
#define CTL_CODE(DeviceType, Function, Method, Access)                                                    \
    (((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))
#define DEVICE_TYPE_FROM_CTL_CODE(ctl) (((ULONG)((ctl) & 0xffff0000)) >> 16)
#define METHOD_FROM_CTL_CODE(ctl) ((ULONG)((ctl) & 3))
#define IoGetFunctionCodeFromCtlCode(ctl) (((ULONG)(ctl) >> 2) & 0x00000FFF)
#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#define METHOD_DIRECT_TO_HARDWARE METHOD_IN_DIRECT
#define METHOD_DIRECT_FROM_HARDWARE METHOD_OUT_DIRECT
#define FILE_ANY_ACCESS 0
#define FILE_SPECIAL_ACCESS (FILE_ANY_ACCESS)
#define FILE_READ_ACCESS 0x0001
#define FILE_WRITE_ACCESS 0x0002

/* Pages (wdm.h): PAGE_SIZE, BYTE_OFFSET, PAGE_ALIGN and
 * ADDRESS_AND_SIZE_TO_SPAN_PAGES are in wdm.h's MDL section. */
#ifndef BYTES_TO_PAGES
#define BYTES_TO_PAGES(Size) ((ULONG)((SIZE_T)(Size) >> PAGE_SHIFT) + (((ULONG)(Size) & (PAGE_SIZE - 1)) != 0))
#endif
#ifndef ROUND_TO_PAGES
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~(ULONG_PTR)(PAGE_SIZE - 1))
#endif

/* Languages and locales (ntdef.h). */
#define LANG_NEUTRAL 0x00
#define SUBLANG_NEUTRAL 0x00
#define SUBLANG_DEFAULT 0x01
#define SORT_DEFAULT 0x0
#define MAKELANGID(p, s) ((((USHORT)(s)) << 10) | (USHORT)(p))
#define PRIMARYLANGID(lgid) ((USHORT)(lgid) & 0x3ff)
#define SUBLANGID(lgid) ((USHORT)(lgid) >> 10)
#define MAKELCID(lgid, srtid) ((ULONG)((((ULONG)((USHORT)(srtid))) << 16) | ((ULONG)((USHORT)(lgid)))))
#define LANG_SYSTEM_DEFAULT MAKELANGID(LANG_NEUTRAL, SUBLANG_SYS_DEFAULT)
#define SUBLANG_SYS_DEFAULT 0x02
#define LOCALE_NEUTRAL (MAKELCID(MAKELANGID(LANG_NEUTRAL, SUBLANG_NEUTRAL), SORT_DEFAULT))

/* RtlGetVersion (km_wdm.c): the model's fixed Windows, Windows 10 22H2
 * (10.0.19045), VER_PLATFORM_WIN32_NT; the EX form adds service pack 0,
 * VER_NT_WORKSTATION and VER_SUITE_SINGLEUSERTS. */
#define VER_PLATFORM_WIN32_NT 2
#define VER_NT_WORKSTATION 0x0000001
#define VER_NT_DOMAIN_CONTROLLER 0x0000002
#define VER_NT_SERVER 0x0000003
#define VER_SUITE_SINGLEUSERTS 0x00000100
typedef struct _OSVERSIONINFOW {
    ULONG dwOSVersionInfoSize;
    ULONG dwMajorVersion;
    ULONG dwMinorVersion;
    ULONG dwBuildNumber;
    ULONG dwPlatformId;
    WCHAR szCSDVersion[128];
} OSVERSIONINFOW, *POSVERSIONINFOW, *LPOSVERSIONINFOW, RTL_OSVERSIONINFOW, *PRTL_OSVERSIONINFOW;
typedef struct _OSVERSIONINFOEXW {
    ULONG dwOSVersionInfoSize;
    ULONG dwMajorVersion;
    ULONG dwMinorVersion;
    ULONG dwBuildNumber;
    ULONG dwPlatformId;
    WCHAR szCSDVersion[128];
    USHORT wServicePackMajor;
    USHORT wServicePackMinor;
    USHORT wSuiteMask;
    UCHAR wProductType;
    UCHAR wReserved;
} OSVERSIONINFOEXW, *POSVERSIONINFOEXW, *LPOSVERSIONINFOEXW, RTL_OSVERSIONINFOEXW, *PRTL_OSVERSIONINFOEXW;
NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation);

/* MmGetSystemRoutineAddress (km_wdm.c): accept-only, NULL for every name, as
 * if no routine existed by that name: a driver probing for an optional
 * routine takes its fallback path. */
PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);

/* KeDelayExecutionThread (km_wdm.c): PASSIVE_LEVEL..APC_LEVEL; the thread
 * waits out the interval on the virtual clock (relative when negative, an
 * absolute system time otherwise); STATUS_SUCCESS. */
NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval);

/* Non-cached and contiguous memory (km_wdm.c): guarded memory with the
 * pool's checks and leak oracle; each must be freed by its own routine. */
PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes);
VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes);
PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress);
VOID MmFreeContiguousMemory(PVOID BaseAddress);

/* IoSetDeviceInterfacePropertyData (km_wdm.c): accept-only, PASSIVE_LEVEL
 * (CHECK IRQL above); records nothing and returns STATUS_SUCCESS. Its types
 * come from devpropdef.h, which the WDK's wdm.h includes too. */
#ifdef __cplusplus
}
#endif
#include "devpropdef.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef ULONG LCID, *PLCID;
#define PLUGPLAY_PROPERTY_PERSISTENT 0x00000001
NTSTATUS IoSetDeviceInterfacePropertyData(PUNICODE_STRING SymbolicLinkName, const DEVPROPKEY *PropertyKey, LCID Lcid,
                                          ULONG Flags, DEVPROPTYPE Type, ULONG Size, PVOID Data);

/* ---- GUIDs: guiddef.h --------------------------------------------------------------------- */
#ifdef __cplusplus
}
#endif
#include "guiddef.h"
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
