/* test_wdm_headers.c: the WDK header stand-ins (model/include): every
 * ntstatus.h value, SAL names, types and macros, GUIDs and property keys
 * (defined here by initguid.h), lists, the Rtl memory and string routines,
 * ntintsafe.h and ntstrsafe.h. The driver headers come first and the C
 * library's after them, as in a driver. */
#include <ntddk.h>
#include <wdf.h>
#include <ntifs.h>
#include <initguid.h>
#include <wdmguid.h>
#include <devpkey.h>
#include <sal.h>
#include <driverspecs.h>
#include <ntstrsafe.h>
#include <ntintsafe.h>
#include <evntrace.h>
#include <portcls.h>

#include "km_test.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* SAL, in the forms drivers write. */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ static NTSTATUS
annotated(_In_reads_bytes_(n) const void *p, _In_ SIZE_T n, _Out_writes_to_(n, *got) PUCHAR out,
          _Out_opt_ PULONG got, _Inout_updates_bytes_(n) PVOID io, __in_ecount(n) const char *old,
          _When_(n > 0, _Out_) int *w, _Outptr_result_maybenull_ PVOID *pp)
{
    UNREFERENCED_PARAMETER(p);
    UNREFERENCED_PARAMETER(n);
    UNREFERENCED_PARAMETER(out);
    UNREFERENCED_PARAMETER(got);
    UNREFERENCED_PARAMETER(io);
    UNREFERENCED_PARAMETER(old);
    UNREFERENCED_PARAMETER(w);
    UNREFERENCED_PARAMETER(pp);
    return STATUS_SUCCESS;
}
_Function_class_(DRIVER_UNLOAD) _IRQL_requires_(PASSIVE_LEVEL) _IRQL_requires_same_ __drv_maxIRQL(APC_LEVEL)
    _Kernel_float_saved_ static VOID annotated2(_In_ __drv_aliasesMem PVOID p)
{
    UNREFERENCED_PARAMETER(p);
}

#ifdef ALLOC_PRAGMA
#pragma alloc_text(PAGE, annotated2)
#pragma code_seg("PAGE")
#pragma code_seg()
#pragma warning(disable : 4201)
#endif

#include <pshpack1.h>
typedef struct {
    UCHAR a;
    ULONG b;
} PACKED1;
#include <poppack.h>
#include <pshpack4.h>
typedef struct {
    UCHAR a;
    ULONGLONG b;
} PACKED4;
#include <poppack.h>
typedef struct {
    UCHAR a;
    ULONGLONG b;
} UNPACKED;
C_ASSERT(sizeof(PACKED1) == 5);
C_ASSERT(sizeof(PACKED4) == 12);
C_ASSERT(sizeof(UNPACKED) == 16);
/* portcls.h's wave formats, packed on 1 as mmreg.h and ksmedia.h declare them:
 * 18 bytes, and 18 + 2 + 4 + 16. */
C_ASSERT(sizeof(WAVEFORMATEX) == 18);
C_ASSERT(sizeof(WAVEFORMATEXTENSIBLE) == 40);
C_ASSERT(FIELD_OFFSET(WAVEFORMATEXTENSIBLE, SubFormat) == 24);

typedef struct ITEM {
    int value;
    LIST_ENTRY link;
    UCHAR tail[ANYSIZE_ARRAY];
} ITEM;

DEFINE_GUID(GUID_TEST_LOCAL, 0x12345678, 0x1234, 0x5678, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x02, 0x03, 0x04);

static void test_ntstatus(void)
{
    KCHECK(STATUS_CANCELLED == (NTSTATUS)0xC0000120);
    KCHECK(STATUS_IO_DEVICE_ERROR == (NTSTATUS)0xC0000185);
    KCHECK(STATUS_DEVICE_REMOVED == (NTSTATUS)0xC00002B6);
    KCHECK(STATUS_NO_MEMORY == (NTSTATUS)0xC0000017);
    KCHECK(STATUS_BUFFER_OVERFLOW == (NTSTATUS)0x80000005);
    KCHECK(STATUS_INTEGER_OVERFLOW == (NTSTATUS)0xC0000095);
    KCHECK(STATUS_INSUFFICIENT_RESOURCES == (NTSTATUS)0xC000009A);
    KCHECK(STATUS_DEVICE_BUSY == (NTSTATUS)0x80000011);
    KCHECK(STATUS_PENDING == 0x103 && STATUS_SUCCESS == 0);
    KCHECK(STATUS_WDF_BUSY == (NTSTATUS)0xC0200204); /* the model's wdfstatus.h values stay */
    KCHECK(!NT_SUCCESS(STATUS_BUFFER_OVERFLOW) && NT_SUCCESS(STATUS_PENDING));
    KCHECK(DMARACE_KM_NTSTATUS_COUNT > 1500); /* every ntstatus.h name */
    KCHECK(DMARACE_KM_SAL_COUNT > 400);
}

static void test_types(void)
{
    KCHECK(sizeof(UINT8) == 1 && sizeof(INT16) == 2 && sizeof(ULONG32) == 4 && sizeof(UINT64) == 8);
    KCHECK(sizeof(DWORD_PTR) == sizeof(void *) && sizeof(SSIZE_T) == sizeof(void *) && sizeof(KAFFINITY) == 8);
    LARGE_INTEGER li;
    li.QuadPart = 0x1122334455667788LL;
    KCHECK(li.LowPart == 0x55667788u && li.HighPart == 0x11223344 && li.u.LowPart == li.LowPart);
    ULARGE_INTEGER ul;
    ul.QuadPart = 0xffffffff00000001ull;
    KCHECK(ul.HighPart == 0xffffffffu && ul.u.LowPart == 1);
    ITEM it;
    KCHECK(CONTAINING_RECORD(&it.link, ITEM, link) == &it);
    KCHECK(FIELD_OFFSET(ITEM, link) == (LONG)offsetof(ITEM, link) && RTL_FIELD_SIZE(ITEM, value) == sizeof(int));
    int arr[7];
    KCHECK(RTL_NUMBER_OF(arr) == 7 && ARRAYSIZE(arr) == 7);
    KCHECK(min(3, 4) == 3 && max(3, 4) == 4 && TRUE == 1 && FALSE == 0);
    KCHECK(TRACE_LEVEL_ERROR == 2 && TRACE_LEVEL_VERBOSE == 5);
    ULONG got = 0;
    UCHAR out[2];
    int w;
    PVOID pp;
    KCHECK(annotated(out, 2, out, &got, out, "x", &w, &pp) == STATUS_SUCCESS);
    annotated2(NULL);
    /* The assertion forms compile (true conditions: nothing reported). */
    NT_VERIFY(got == 0);
    KCHECK(NT_VERIFY(got == 0));
    NT_ASSERT_ASSUME(got == 0);
    NT_ASSERTMSG("narrow", got == 0);
    NT_ASSERTMSG(L"wide", got == 0);
    NT_ASSERTMSG("narrow " L"wide", got == 0);
    NT_ASSERTMSGW(L"wide", got == 0);
    NT_FRE_ASSERT(got == 0);
    ASSERTMSG("msg", got == 0);
    NT_ANALYSIS_ASSUME(got++ == 0);
    KCHECK(got == 0); /* NT_ANALYSIS_ASSUME does not evaluate its expression */
}

static void test_guids(void)
{
    /* Defined here (initguid.h came first), with wdmguid.h's values. */
    static const GUID arrival = {0xcb3a4004, 0x46f0, 0x11d0, {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};
    KCHECK(IsEqualGUID(&GUID_DEVICE_INTERFACE_ARRIVAL, &arrival));
    KCHECK(!InlineIsEqualGUID(&GUID_DEVICE_INTERFACE_ARRIVAL, &GUID_TEST_LOCAL));
    KCHECK(GUID_TEST_LOCAL.Data1 == 0x12345678 && GUID_TEST_LOCAL.Data4[7] == 0x04);
    KCHECK(DEVPKEY_Device_HardwareIds.pid == 3 && DEVPKEY_Device_DeviceDesc.fmtid.Data1 == 0xa45c254e);
    KCHECK(IsEqualDevPropKey(DEVPKEY_Device_HardwareIds, DEVPKEY_Device_HardwareIds));
    KCHECK(DEVPROP_TYPE_STRING == 0x12 && DEVPROP_TYPE_STRING_LIST == 0x2012 && DEVPROP_TYPE_BINARY == 0x1003);
    DEVPROPTYPE t = DEVPROP_TYPE_UINT32;
    KCHECK(t == 7);
}

static void test_lists_memory(void)
{
    LIST_ENTRY head;
    ITEM a = {.value = 1}, b = {.value = 2}, c = {.value = 3};
    InitializeListHead(&head);
    KCHECK(IsListEmpty(&head));
    InsertTailList(&head, &a.link);
    InsertTailList(&head, &b.link);
    InsertHeadList(&head, &c.link); /* c a b */
    KCHECK(CONTAINING_RECORD(head.Flink, ITEM, link)->value == 3 && head.Blink == &b.link);
    KCHECK(!RemoveEntryList(&a.link)); /* c b: not empty */
    PLIST_ENTRY e = RemoveHeadList(&head);
    KCHECK(e == &c.link && head.Flink == &b.link && b.link.Blink == &head);
    KCHECK(RemoveEntryList(&b.link) && IsListEmpty(&head));

    UCHAR x[8], y[8];
    RtlFillMemory(x, sizeof x, 0x5a);
    RtlCopyMemory(y, x, sizeof y);
    KCHECK(RtlEqualMemory(x, y, 8) && y[7] == 0x5a);
    y[5] = 0;
    KCHECK(RtlCompareMemory(x, y, 8) == 5);
    RtlMoveMemory(x + 1, x, 4);
    RtlZeroMemory(x, 2);
    KCHECK(x[0] == 0 && x[1] == 0 && x[2] == 0x5a);
    RtlSecureZeroMemory(y, sizeof y);
    KCHECK(y[0] == 0 && y[7] == 0);
}

static void test_strings(void)
{
    UNICODE_STRING u, v;
    RtlInitUnicodeString(&u, L"Device");
    KCHECK(u.Length == 6 * sizeof(WCHAR) && u.MaximumLength == 7 * sizeof(WCHAR));
    RtlInitUnicodeString(&v, NULL);
    KCHECK(v.Length == 0 && v.MaximumLength == 0 && v.Buffer == NULL);
    ANSI_STRING a;
    RtlInitAnsiString(&a, "abc");
    KCHECK(a.Length == 3 && a.MaximumLength == 4);
    DECLARE_UNICODE_STRING_SIZE(dst, 4);
    RtlCopyUnicodeString(&dst, &u); /* 4 characters fit, no room for a NUL */
    KCHECK(dst.Length == 4 * sizeof(WCHAR) && dst.Buffer[3] == L'i');
    DECLARE_CONST_UNICODE_STRING(dev, L"DEVICE");
    UNICODE_STRING k = RTL_CONSTANT_STRING(L"Devic");
    KCHECK(dev.Length == 6 * sizeof(WCHAR) && k.Length == 5 * sizeof(WCHAR) && k.MaximumLength == 6 * sizeof(WCHAR));
    KCHECK(RtlEqualUnicodeString(&u, &dev, TRUE) && !RtlEqualUnicodeString(&u, &dev, FALSE));
    KCHECK(RtlCompareUnicodeString(&k, &u, FALSE) < 0 && RtlCompareUnicodeString(&u, &dev, FALSE) > 0);
}

static void test_intsafe(void)
{
    ULONG r;
    KCHECK(RtlULongAdd(0xfffffff0u, 0xf, &r) == STATUS_SUCCESS && r == 0xffffffffu);
    KCHECK(RtlULongAdd(0xfffffff0u, 0x10, &r) == STATUS_INTEGER_OVERFLOW && r == ULONG_ERROR);
    KCHECK(RtlULongMult(0x10000, 0x10000, &r) == STATUS_INTEGER_OVERFLOW);
    SIZE_T s;
    KCHECK(RtlSizeTMult(3, 5, &s) == STATUS_SUCCESS && s == 15);
    KCHECK(RtlSizeTAdd(SIZE_MAX, 1, &s) == STATUS_INTEGER_OVERFLOW && s == SIZET_ERROR);
    KCHECK(RtlULongLongToULong(0x100000000ull, &r) == STATUS_INTEGER_OVERFLOW && r == ULONG_ERROR);
    KCHECK(RtlSizeTToULong(7, &r) == STATUS_SUCCESS && r == 7);
    LONG l;
    KCHECK(RtlLongAdd(MAXLONG, 1, &l) == STATUS_INTEGER_OVERFLOW && l == LONG_ERROR);
    KCHECK(RtlLongSub(-5, 5, &l) == STATUS_SUCCESS && l == -10);
    ULONG_PTR p;
    KCHECK(RtlULongPtrAdd(1, 2, &p) == STATUS_SUCCESS && p == 3);
    UINT ui;
    KCHECK(RtlUIntAdd(UINT_MAX, 1, &ui) == STATUS_INTEGER_OVERFLOW);
    KCHECK(RtlLongToULong(-1, &r) == STATUS_INTEGER_OVERFLOW);
}

static void test_strsafe(void)
{
    char b[6];
    KCHECK(RtlStringCchCopyA(b, sizeof b, "hello") == STATUS_SUCCESS && !strcmp(b, "hello"));
    KCHECK(RtlStringCchCopyA(b, sizeof b, "hello!") == STATUS_BUFFER_OVERFLOW && !strcmp(b, "hello"));
    KCHECK(RtlStringCchCopyA(b, 0, "x") == STATUS_INVALID_PARAMETER && !strcmp(b, "hello"));
    KCHECK(RtlStringCbCopyA(b, 3, "xyz") == STATUS_BUFFER_OVERFLOW && !strcmp(b, "xy"));
    KCHECK(RtlStringCchCatA(b, sizeof b, "abcd") == STATUS_BUFFER_OVERFLOW && !strcmp(b, "xyabc"));
    KCHECK(RtlStringCchCopyNA(b, sizeof b, "12345678", 2) == STATUS_SUCCESS && !strcmp(b, "12"));
    KCHECK(RtlStringCchCatNA(b, sizeof b, "345678", 2) == STATUS_SUCCESS && !strcmp(b, "1234"));
    KCHECK(RtlStringCchPrintfA(b, sizeof b, "%d-%s", 42, "ab") == STATUS_SUCCESS && !strcmp(b, "42-ab"));
    KCHECK(RtlStringCchPrintfA(b, sizeof b, "%d", 1234567) == STATUS_BUFFER_OVERFLOW && !strcmp(b, "12345"));
    size_t n;
    KCHECK(RtlStringCchLengthA("abc", 10, &n) == STATUS_SUCCESS && n == 3);
    KCHECK(RtlStringCchLengthA("abc", 3, &n) == STATUS_INVALID_PARAMETER && n == 0);
    char full[3] = {'a', 'b', 'c'};
    KCHECK(RtlStringCchCatA(full, sizeof full, "x") == STATUS_INVALID_PARAMETER);

    WCHAR w[6];
    KCHECK(RtlStringCchCopyW(w, ARRAYSIZE(w), L"wide!!") == STATUS_BUFFER_OVERFLOW && !wcscmp(w, L"wide!"));
    KCHECK(RtlStringCbCopyW(w, sizeof w, L"ok") == STATUS_SUCCESS && !wcscmp(w, L"ok"));
    KCHECK(RtlStringCchCatW(w, ARRAYSIZE(w), L"ay") == STATUS_SUCCESS && !wcscmp(w, L"okay"));
    KCHECK(RtlStringCchPrintfW(w, ARRAYSIZE(w), L"%d%ls", 7, L"abcdef") == STATUS_BUFFER_OVERFLOW &&
           !wcscmp(w, L"7abcd"));
    KCHECK(RtlStringCbPrintfW(w, sizeof w, L"%d", 12) == STATUS_SUCCESS && !wcscmp(w, L"12"));
    KCHECK(RtlStringCbLengthW(L"abc", sizeof w, &n) == STATUS_SUCCESS && n == 3 * sizeof(WCHAR));
    KCHECK(RtlStringCchCopyNW(w, ARRAYSIZE(w), L"abcdef", 3) == STATUS_SUCCESS && !wcscmp(w, L"abc"));
    KCHECK(RtlStringCchCopyW(w, 0, L"x") == STATUS_INVALID_PARAMETER);
}

int main(void)
{
    test_ntstatus();
    test_types();
    test_guids();
    test_lists_memory();
    test_strings();
    test_intsafe();
    test_strsafe();
    return km_test_done();
}
