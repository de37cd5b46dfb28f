/* test_wdm_more.c: the WDK names issue 13's surveyed drivers (PLX9x5x,
 * imxuart) still missed: I/O control codes, page macros, UNICODE_NULL, min /
 * max, language IDs, the remaining SAL names and __fallthrough, the rest of
 * the Interlocked family and the acquire / release / no-fence accesses, the
 * NOFENCE register accesses, RtlUnicodeStringInit, RtlGetVersion,
 * MmGetSystemRoutineAddress, connection resources, the serial interface's
 * property keys, non-cached and contiguous memory, KeDelayExecutionThread.
 * Values are the WDK's (mingw-w64's ddk/wdm.h, winioctl.h, winnt.h, and
 * Microsoft's docs pages for the rest). */
#include <ntddk.h>
#include <wdf.h>
#include <initguid.h>
#include <devpkey.h>
#include <ntstrsafe.h>

#include "km.h"
#include "km_device.h"
#include "km_test.h"

#include <string.h>

/* __fallthrough must satisfy -Wimplicit-fallthrough, as an error here. */
#pragma GCC diagnostic error "-Wimplicit-fallthrough"

/* ---- compile-time facts ---------------------------------------------------------------------- */
#define IOCTL_TEST_GET CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TEST_RW CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
C_ASSERT(IOCTL_TEST_GET == 0x222000);
C_ASSERT(IOCTL_TEST_RW == 0x22E007);
C_ASSERT(CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_IN_DIRECT, FILE_SPECIAL_ACCESS) == 0x222009);
C_ASSERT(CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_OUT_DIRECT, FILE_READ_ACCESS) == 0x22600E);
C_ASSERT(DEVICE_TYPE_FROM_CTL_CODE(IOCTL_TEST_RW) == FILE_DEVICE_UNKNOWN);
C_ASSERT(METHOD_FROM_CTL_CODE(IOCTL_TEST_RW) == METHOD_NEITHER);
C_ASSERT(IoGetFunctionCodeFromCtlCode(IOCTL_TEST_RW) == 0x801);
C_ASSERT(METHOD_BUFFERED == 0 && METHOD_IN_DIRECT == 1 && METHOD_OUT_DIRECT == 2 && METHOD_NEITHER == 3);
C_ASSERT(FILE_ANY_ACCESS == 0 && FILE_SPECIAL_ACCESS == 0 && FILE_READ_ACCESS == 1 && FILE_WRITE_ACCESS == 2);

C_ASSERT(BYTES_TO_PAGES(0) == 0 && BYTES_TO_PAGES(1) == 1 && BYTES_TO_PAGES(4096) == 1 &&
         BYTES_TO_PAGES(4097) == 2 && BYTES_TO_PAGES(3 * 4096) == 3);
C_ASSERT(ROUND_TO_PAGES(1) == 4096 && ROUND_TO_PAGES(4096) == 4096 && ROUND_TO_PAGES(4097) == 8192);
C_ASSERT(ADDRESS_AND_SIZE_TO_SPAN_PAGES(0xFFF, 2) == 2 && ADDRESS_AND_SIZE_TO_SPAN_PAGES(0x1000, 4096) == 1);

C_ASSERT(UNICODE_NULL == 0 && sizeof(UNICODE_NULL) == sizeof(WCHAR));
C_ASSERT(ANSI_NULL == 0 && sizeof(ANSI_NULL) == sizeof(CHAR));
C_ASSERT(min(3, 5) == 3 && max(3, 5) == 5);

C_ASSERT(MAKELANGID(LANG_NEUTRAL, SUBLANG_NEUTRAL) == 0 && LOCALE_NEUTRAL == 0);
C_ASSERT(MAKELANGID(0x09, SUBLANG_DEFAULT) == 0x0409 && MAKELCID(0x0409, SORT_DEFAULT) == 0x0409);
C_ASSERT(PRIMARYLANGID(0x0409) == 0x09 && SUBLANGID(0x0409) == 0x01);
C_ASSERT(VER_PLATFORM_WIN32_NT == 2);
C_ASSERT(STATUS_BAD_DATA == (NTSTATUS)0xC000090B);

C_ASSERT(CmResourceTypeConnection == 0x84);
C_ASSERT(CM_RESOURCE_CONNECTION_CLASS_GPIO == 1 && CM_RESOURCE_CONNECTION_CLASS_SERIAL == 2 &&
         CM_RESOURCE_CONNECTION_CLASS_FUNCTION_CONFIG == 3);
C_ASSERT(CM_RESOURCE_CONNECTION_TYPE_GPIO_IO == 2 && CM_RESOURCE_CONNECTION_TYPE_SERIAL_I2C == 1 &&
         CM_RESOURCE_CONNECTION_TYPE_SERIAL_SPI == 2 && CM_RESOURCE_CONNECTION_TYPE_SERIAL_UART == 3);
/* u.Connection: Class, Type, two reserved bytes, then the 64-bit ID's halves. */
C_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Connection.Type) -
             offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Connection.Class) ==
         1);
C_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Connection.IdLowPart) -
             offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Connection.Class) ==
         4);
C_ASSERT(RTL_FIELD_SIZE(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Connection) == 12);

/* RTL_OSVERSIONINFOW's layout: five ULONGs, then 128 WCHARs; the EX form
 * adds three USHORTs and two UCHARs. */
C_ASSERT(FIELD_OFFSET(RTL_OSVERSIONINFOW, szCSDVersion) == 20);
C_ASSERT(sizeof(RTL_OSVERSIONINFOEXW) - FIELD_OFFSET(RTL_OSVERSIONINFOEXW, wServicePackMajor) >= 8);

/* SAL names of Microsoft's sal.h that mingw-w64 lacks: accepted. */
_Success_(return != 0) _Must_inspect_impl_ static int annotated(_In_ _Notnull_ const int *p, _Pre_valid_ _Post_z_ char *s,
                                                                _Interlocked_operand_ LONG volatile *v,
                                                                _At_(q, _Pre_null_ _Post_notnull_) PVOID *q,
                                                                _Satisfies_(n > 0) int n)
{
    s[0] = 0;
    *q = (PVOID)p;
    return *p + (int)*v + n;
}

static int fallthrough_cases(int x)
{
    int r = 0;
    switch (x) {
    case 0:
        r += 1;
        __fallthrough;
    case 1:
        r += 10;
        break;
    default:
        break;
    }
    return r;
}

static void test_compile_time(void)
{
    int one = 1;
    char s[2] = "x";
    LONG v = 2;
    PVOID q = NULL;
    KCHECK(annotated(&one, s, &v, &q, 3) == 6 && s[0] == 0 && q == &one);
    KCHECK(fallthrough_cases(0) == 11 && fallthrough_cases(1) == 10 && fallthrough_cases(2) == 0);
    /* The serial interface's property keys (ntddser.h): GUID 4c6bf15c-..., pids 2, 3, 4. */
    KCHECK(DEVPKEY_DeviceInterface_Serial_PortName.pid == 4 &&
           DEVPKEY_DeviceInterface_Serial_PortName.fmtid.Data1 == 0x4c6bf15c &&
           DEVPKEY_DeviceInterface_Serial_PortName.fmtid.Data4[7] == 0xf4);
    KCHECK(DEVPKEY_DeviceInterface_Serial_UsbVendorId.pid == 2 &&
           DEVPKEY_DeviceInterface_Serial_UsbProductId.pid == 3);
    KCHECK(DEVPKEY_DeviceInterface_Restricted.pid == 6);
}

/* ---- routines without a scenario ------------------------------------------------------------- */
static void test_strings_version(void)
{
    UNICODE_STRING u;
    static const WCHAR abc[] = L"abc";
    KCHECK(RtlUnicodeStringInit(&u, abc) == STATUS_SUCCESS);
    KCHECK(u.Length == 3 * sizeof(WCHAR) && u.MaximumLength == 4 * sizeof(WCHAR) && u.Buffer == abc);
    KCHECK(RtlUnicodeStringInit(&u, NULL) == STATUS_SUCCESS);
    KCHECK(u.Length == 0 && u.MaximumLength == 0 && u.Buffer == NULL);
    /* The longest string whose MaximumLength fits a USHORT with 4-byte WCHARs
     * (16382 characters) is accepted; one more is STATUS_INVALID_PARAMETER. */
    static WCHAR big[16384];
    wmemset(big, L'a', 16382);
    big[16382] = 0;
    KCHECK(RtlUnicodeStringInit(&u, big) == STATUS_SUCCESS && u.Length == 16382 * sizeof(WCHAR));
    big[16382] = L'a';
    big[16383] = 0;
    KCHECK(RtlUnicodeStringInit(&u, big) == STATUS_INVALID_PARAMETER && u.Length == 0 && u.Buffer == NULL);

    RTL_OSVERSIONINFOW vi;
    memset(&vi, 0xFF, sizeof vi);
    vi.dwOSVersionInfoSize = sizeof vi;
    KCHECK(RtlGetVersion(&vi) == STATUS_SUCCESS);
    KCHECK(vi.dwMajorVersion == 10 && vi.dwMinorVersion == 0 && vi.dwBuildNumber == 19045 &&
           vi.dwPlatformId == VER_PLATFORM_WIN32_NT && vi.szCSDVersion[0] == 0);
    RTL_OSVERSIONINFOEXW ex;
    memset(&ex, 0xFF, sizeof ex);
    ex.dwOSVersionInfoSize = sizeof ex;
    KCHECK(RtlGetVersion((PRTL_OSVERSIONINFOW)&ex) == STATUS_SUCCESS);
    KCHECK(ex.dwBuildNumber == 19045 && ex.wServicePackMajor == 0 && ex.wServicePackMinor == 0 &&
           ex.wProductType == VER_NT_WORKSTATION && ex.wSuiteMask == VER_SUITE_SINGLEUSERTS);
    memset(&vi, 0, sizeof vi);
    vi.dwOSVersionInfoSize = sizeof vi - 1;
    KCHECK(RtlGetVersion(&vi) == STATUS_INVALID_PARAMETER && vi.dwMajorVersion == 0);

    UNICODE_STRING name = RTL_CONSTANT_STRING(L"ExAllocatePool2");
    KCHECK(MmGetSystemRoutineAddress(&name) == NULL);
}

/* ---- the scenario: one small driver --------------------------------------------------------- */
typedef enum {
    M_ATOMICS,        /* Interlocked*, Read/Write*Acquire/Release/NoFence: values */
    M_COUNT,          /* 2 concurrent requests: 100 InterlockedAdd64 / InterlockedOr each */
    M_REGS,           /* NOFENCE register accesses */
    M_REGS_UNMAPPED,  /* READ_REGISTER_NOFENCE_ULONG outside every mapping */
    M_MEM_CLEAN,      /* non-cached and contiguous memory, allocated and freed */
    M_MEM_WRONG_FREE, /* ExFreePool of non-cached memory */
    M_MEM_POOL_AS_MM, /* MmFreeContiguousMemory of pool */
    M_MEM_SIZE,       /* MmFreeNonCachedMemory with another size */
    M_MEM_LEAK,       /* contiguous memory never freed */
    M_MEM_DISPATCH,   /* MmAllocateNonCachedMemory at DISPATCH_LEVEL */
    M_DELAY,          /* KeDelayExecutionThread: time moves, STATUS_SUCCESS */
    M_DELAY_DISPATCH, /* KeDelayExecutionThread at DISPATCH_LEVEL */
    M_PROP,           /* IoSetDeviceInterfacePropertyData at PASSIVE_LEVEL */
    M_PROP_DISPATCH,  /* ... at DISPATCH_LEVEL */
} mmode;

static mmode mode;
/* Driver code's plain accesses are scheduling points (the access hooks):
 * what concurrent requests count goes through InterlockedIncrement. */
static LONG ok_count;
static LONG64 g_sum;
static LONG g_bits;
static volatile ULONG *g_regs;
static SIZE_T g_regs_len;
static unsigned g_dev_reads, g_dev_writes;
static ULONGLONG g_setup_delay;

static bool atomics(void)
{
    LONG l = 5;
    LONG64 q = 1LL << 40;
    PVOID p = NULL;
    bool ok = InterlockedAdd(&l, 3) == 8 && l == 8;
    ok = ok && InterlockedAnd(&l, 0xC) == 8 && l == 8;
    ok = ok && InterlockedOr(&l, 0x3) == 8 && l == 0xB;
    ok = ok && InterlockedXor(&l, 0x9) == 0xB && l == 0x2;
    ok = ok && InterlockedIncrement64(&q) == (1LL << 40) + 1 && InterlockedDecrement64(&q) == 1LL << 40;
    ok = ok && InterlockedAdd64(&q, 2) == (1LL << 40) + 2 && InterlockedExchangeAdd64(&q, 1) == (1LL << 40) + 2;
    ok = ok && InterlockedExchange64(&q, 7) == (1LL << 40) + 3 && q == 7;
    ok = ok && InterlockedCompareExchange64(&q, 9, 6) == 7 && q == 7;
    ok = ok && InterlockedCompareExchange64(&q, 9, 7) == 7 && q == 9;
    WriteRelease(&l, 40);
    ok = ok && ReadAcquire(&l) == 40 && ReadNoFence(&l) == 40;
    WriteNoFence(&l, -1);
    ok = ok && ReadAcquire(&l) == -1;
    ULONG u = 0;
    WriteULongRelease(&u, 0xFFFFFFFFu);
    ok = ok && ReadULongAcquire(&u) == 0xFFFFFFFFu;
    WriteULongNoFence(&u, 3);
    ok = ok && ReadULongNoFence(&u) == 3;
    WriteRelease64(&q, -5);
    ok = ok && ReadAcquire64(&q) == -5;
    WriteNoFence64(&q, 6);
    ok = ok && ReadNoFence64(&q) == 6;
    WritePointerRelease(&p, &l);
    ok = ok && ReadPointerAcquire(&p) == &l;
    WritePointerNoFence(&p, NULL);
    ok = ok && ReadPointerNoFence(&p) == NULL;
    return ok;
}

static void dev_read(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    (void)range;
    (void)width;
    g_dev_reads++;
    if (offset == 0x20)
        *value = 0xABCD;
}

static void dev_write(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    (void)range;
    (void)offset;
    (void)width;
    (void)value;
    g_dev_writes++;
}

static void io(void)
{
    KIRQL old;
    switch (mode) {
    case M_ATOMICS:
        if (atomics())
            InterlockedIncrement(&ok_count);
        break;
    case M_COUNT:
        for (int i = 0; i < 100; i++) {
            InterlockedAdd64(&g_sum, 1);
            InterlockedOr(&g_bits, 1 << (i % 31));
        }
        break;
    case M_REGS: {
        volatile UCHAR *b = (volatile UCHAR *)g_regs;
        WRITE_REGISTER_NOFENCE_ULONG(g_regs + 1, 0x12345678);
        WRITE_REGISTER_NOFENCE_USHORT((volatile USHORT *)(volatile void *)(b + 8), 0xBEEF);
        WRITE_REGISTER_NOFENCE_UCHAR(b + 10, 0x5A);
        WRITE_REGISTER_NOFENCE_ULONG64((volatile ULONG64 *)(volatile void *)(b + 16), 0x1122334455667788ULL);
        bool ok = READ_REGISTER_ULONG(g_regs + 1) == 0x12345678 && READ_REGISTER_NOFENCE_ULONG(g_regs + 1) == 0x12345678;
        ok = ok && READ_REGISTER_NOFENCE_USHORT((volatile USHORT *)(volatile void *)(b + 8)) == 0xBEEF;
        ok = ok && READ_REGISTER_NOFENCE_UCHAR(b + 10) == 0x5A;
        ok = ok && READ_REGISTER_NOFENCE_ULONG64((volatile ULONG64 *)(volatile void *)(b + 16)) == 0x1122334455667788ULL;
        ok = ok && READ_REGISTER_NOFENCE_ULONG(g_regs + 8) == 0xABCD; /* offset 0x20: the device model's */
        if (ok)
            InterlockedIncrement(&ok_count);
        break;
    }
    case M_REGS_UNMAPPED: /* a stale mapping */
        MmUnmapIoSpace((PVOID)g_regs, g_regs_len);
        (void)READ_REGISTER_NOFENCE_ULONG(g_regs);
        break;
    case M_MEM_CLEAN: {
        PHYSICAL_ADDRESS high = {.QuadPart = -1};
        PUCHAR n = MmAllocateNonCachedMemory(64);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        PUCHAR c = MmAllocateContiguousMemory(8192, high);
        KeLowerIrql(old);
        if (n && c) {
            n[63] = 1;
            c[8191] = 2;
            if (n[63] + c[8191] == 3)
            InterlockedIncrement(&ok_count);
        }
        MmFreeContiguousMemory(c);
        MmFreeNonCachedMemory(n, 64);
        break;
    }
    case M_MEM_WRONG_FREE:
        ExFreePool(MmAllocateNonCachedMemory(32));
        break;
    case M_MEM_POOL_AS_MM:
        MmFreeContiguousMemory(ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, 'tseT'));
        break;
    case M_MEM_SIZE:
        MmFreeNonCachedMemory(MmAllocateNonCachedMemory(32), 16);
        break;
    case M_MEM_LEAK: {
        PHYSICAL_ADDRESS high = {.QuadPart = 0xFFFFFFFF};
        (void)MmAllocateContiguousMemory(128, high);
        break;
    }
    case M_MEM_DISPATCH:
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        (void)MmAllocateNonCachedMemory(32);
        KeLowerIrql(old);
        break;
    case M_DELAY: {
        LARGE_INTEGER ten_ms = {.QuadPart = -100000LL}, zero = {.QuadPart = 0};
        ULONGLONG t0 = KeQueryInterruptTimePrecise(NULL);
        NTSTATUS st = KeDelayExecutionThread(KernelMode, FALSE, &ten_ms);
        ULONGLONG t1 = KeQueryInterruptTimePrecise(NULL);
        NTSTATUS st0 = KeDelayExecutionThread(UserMode, TRUE, &zero);
        /* An absolute time in the past returns at once. */
        LARGE_INTEGER past = {.QuadPart = 1};
        NTSTATUS st1 = KeDelayExecutionThread(KernelMode, FALSE, &past);
        if (st == STATUS_SUCCESS && t1 - t0 >= 100000 && st0 == STATUS_SUCCESS && st1 == STATUS_SUCCESS)
            InterlockedIncrement(&ok_count);
        break;
    }
    case M_PROP:
    case M_PROP_DISPATCH: {
        UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\??\\COM7");
        WCHAR port[] = L"COM7";
        if (mode == M_PROP_DISPATCH)
            KeRaiseIrql(DISPATCH_LEVEL, &old);
        NTSTATUS st = IoSetDeviceInterfacePropertyData(&link, &DEVPKEY_DeviceInterface_Serial_PortName, LOCALE_NEUTRAL,
                                                       PLUGPLAY_PROPERTY_PERSISTENT, DEVPROP_TYPE_STRING,
                                                       (ULONG)sizeof port, port);
        if (mode == M_PROP_DISPATCH)
            KeLowerIrql(old);
        if (st == STATUS_SUCCESS)
            InterlockedIncrement(&ok_count);
        break;
    }
    case M_DELAY_DISPATCH: {
        LARGE_INTEGER ms = {.QuadPart = -10000LL};
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        KeDelayExecutionThread(KernelMode, FALSE, &ms);
        KeLowerIrql(old);
        break;
    }
    }
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    (void)Queue;
    (void)Length;
    io();
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    (void)Device;
    (void)Raw;
    for (ULONG i = 0; i < WdfCmResourceListGetCount(Translated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(Translated, i);
        if (d->Type == CmResourceTypeMemory && !g_regs) {
            g_regs_len = d->u.Memory.Length;
            g_regs = MmMapIoSpaceEx(d->u.Memory.Start, g_regs_len, PAGE_READWRITE | PAGE_NOCACHE);
        }
    }
    return g_regs ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    (void)Driver;
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = EvtPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WDFDEVICE dev;
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &dev);
    if (!NT_SUCCESS(st))
        return st;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    return WdfIoQueueCreate(dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, NULL);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    if (mode == M_DELAY) {
        /* During set-up nothing else runs: the time just moves on. */
        LARGE_INTEGER ms = {.QuadPart = -10000LL};
        ULONGLONG t0 = KeQueryInterruptTimePrecise(NULL);
        if (KeDelayExecutionThread(KernelMode, FALSE, &ms) == STATUS_SUCCESS)
            g_setup_delay = KeQueryInterruptTimePrecise(NULL) - t0;
    }
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;
static void setup(void)
{
    g_sum = 0;
    g_bits = 0;
    g_regs = NULL;
    g_dev_reads = g_dev_writes = 0;
    if (mode == M_REGS) {
        km_device_model m = {.ctx = NULL, .on_read = dev_read, .on_write = dev_write};
        km_device_model_set(&m);
    }
    km_world_start(&env, DriverEntry);
}
static long count_ok;
static void check(void)
{
    km_world_check();
    if (mode == M_COUNT && !dr_failed())
        count_ok += g_sum == 200 && g_bits == 0x7FFFFFFF;
}
static const dr_scenario scn = {"test-wdm-more", "the remaining WDK names", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run(mmode m, unsigned requests, long max)
{
    mode = m;
    ok_count = 0;
    km_env_defaults(&env);
    env.cancel = false;
    env.requests = requests;
    env.concurrent = requests > 1;
    return km_test_run(&scn, "random", max, true);
}

int main(void)
{
    test_compile_time();
    test_strings_version();

    km_test_result r = run(M_ATOMICS, 1, 10);
    KEXPECT_CLEAN(r);
    KCHECK(ok_count == 10);
    /* The 64-bit and bitwise operations are indivisible: no update is lost
     * however the two requests interleave. */
    count_ok = 0;
    r = run(M_COUNT, 2, 50);
    KEXPECT_CLEAN(r);
    KCHECK(count_ok == 50);

    r = run(M_REGS, 1, 5);
    KEXPECT_CLEAN(r);
    KCHECK(ok_count == 5);
    KCHECK(g_dev_writes == 4 && g_dev_reads >= 6); /* every NOFENCE access reached the device model */
    r = run(M_REGS_UNMAPPED, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK,
                    "CHECK HW3: READ_REGISTER_NOFENCE_ULONG: register access outside a mapped window");

    r = run(M_MEM_CLEAN, 1, 20);
    KEXPECT_CLEAN(r);
    KCHECK(ok_count == 20);
    r = run(M_MEM_WRONG_FREE, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK MEMORY: ExFreePool: freed with another routine than its allocator's");
    KCHECK(strstr(r.first.message, "MmFreeNonCachedMemory must free") != NULL);
    r = run(M_MEM_POOL_AS_MM, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK,
                    "CHECK MEMORY: MmFreeContiguousMemory: freed with another routine than its allocator's");
    r = run(M_MEM_SIZE, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK MEMORY: MmFreeNonCachedMemory: freed with another size than allocated");
    r = run(M_MEM_LEAK, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK: pool leak: memory allocated while requests ran was never freed");
    KCHECK(strstr(r.first.message, "from MmAllocateContiguousMemory") != NULL);
    r = run(M_MEM_DISPATCH, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK IRQL: MmAllocateNonCachedMemory: called above APC_LEVEL");

    g_setup_delay = 0;
    r = run(M_DELAY, 2, 30);
    KEXPECT_CLEAN(r);
    KCHECK(ok_count == 60);
    KCHECK(g_setup_delay >= 10000);
    r = run(M_DELAY_DISPATCH, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK IRQL: KeDelayExecutionThread: waited above APC_LEVEL");

    r = run(M_PROP, 1, 5);
    KEXPECT_CLEAN(r);
    KCHECK(ok_count == 5);
    r = run(M_PROP_DISPATCH, 1, 5);
    KEXPECT_FINDING(r, DR_FIND_CHECK, "CHECK IRQL: IoSetDeviceInterfacePropertyData: called above PASSIVE_LEVEL");
    return km_test_done();
}
