/* test_debug.c: the driver's own messages (issue 13). DbgPrint, DbgPrintEx,
 * KdPrint and WPP's TraceEvents format with Windows' conventions (%lx takes a
 * 32-bit ULONG, %I64x 64 bits, %ws/%S wide strings, %wZ a UNICODE_STRING,
 * %!STATUS! an NTSTATUS by name) and land in the execution's trace at their
 * step and processor; they never change the digest. */
#include "km.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "km_wpp.h"

#include <stdlib.h>

/* ---- the formatter ---------------------------------------------------------------- */

#define FMT(want, ...)                                                                                     \
    do {                                                                                                   \
        char got_[256];                                                                                    \
        km_format(got_, sizeof got_, __VA_ARGS__);                                                         \
        if (strcmp(got_, (want)) == 0)                                                                     \
            km_t_pass++;                                                                                   \
        else {                                                                                             \
            km_t_fail++;                                                                                   \
            fprintf(stderr, "%s:%d: format %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, #__VA_ARGS__, \
                    got_, (want));                                                                         \
        }                                                                                                  \
    } while (0)

static void test_format(void)
{
    ULONG ul = 0xDEADBEEF;
    LONG neg = -2;
    ULONG64 big = 0x123456789ABCDEF0ULL;
    /* Windows' long is 32 bits: %lx takes a ULONG, and the next argument follows it. */
    FMT("deadbeef 7", "%lx %d", ul, 7);
    FMT("-2 4294967294", "%ld %lu", neg, (ULONG)neg);
    FMT("00000000DEADBEEF", "%016lX", ul);
    FMT("123456789abcdef0 -1", "%I64x %I64d", big, (LONG64)-1);
    FMT("123456789abcdef0", "%llx", big);
    FMT("ffffffffffffffff 5", "%Ix %I32u", (ULONG_PTR)-1, 5u);
    FMT("7 8", "%zu %Id", (SIZE_T)7, (LONG_PTR)8);
    FMT("-1 255", "%hd %hhu", 0xFFFF, 0x1FF);
    /* Wide strings: %ws, %S and %ls take a WCHAR string; %hs a narrow one. */
    FMT("wide one|wide two|wide three|narrow", "%ws|%S|%ls|%hs", L"wide one", L"wide two", L"wide three", "narrow");
    FMT("[   ab]", "[%5.2ws]", L"abc");
    FMT("(null)", "%ws", (PCWSTR)NULL);
    FMT("x=W", "x=%C", (int)L'W');
    /* %wZ: a UNICODE_STRING, Length in bytes, not NUL-terminated. */
    WCHAR buf[] = L"\\Registry\\Machine\\dmaraceXXXX";
    UNICODE_STRING us = {(USHORT)(25 * sizeof(WCHAR)), (USHORT)sizeof buf, buf};
    FMT("path \\Registry\\Machine\\dmarace.", "path %wZ.", &us);
    FMT("(null)", "%wZ", (PCUNICODE_STRING)NULL);
    struct {
        USHORT Length, MaximumLength;
        const char *Buffer;
    } as = {3, 8, "abcdef"};
    FMT("abc", "%Z", &as);
    /* %p: the pointer as 16 upper-case hex digits, no 0x. */
    FMT("00000000000ABCDE", "%p", (void *)(uintptr_t)0xABCDE);
    FMT("100% 0x1f", "100%% %#x", 31u);
    int n = 0;
    FMT("ab", "a%nb", &n);
    KCHECK(n == 0); /* %n writes nothing */
}

/* ---- a driver that prints ------------------------------------------------------------ */

static bool print_messages;
static bool print_flood; /* DriverEntry prints more lines than the trace keeps, and a long one */

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    if (print_messages) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "EvtIoRead %lx bytes\n", (ULONG)0x200);
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_QUEUE, "%!FUNC! completes with %!STATUS!", STATUS_CANCELLED);
        TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_QUEUE, "odd %!STATUS!", (NTSTATUS)0xC0DE0001);
    }
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    return km_test_device_queue(&DeviceInit, NULL, WdfDeviceIoUndefined, EvtIoRead, &device, NULL);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WPP_INIT_TRACING(DriverObject, RegistryPath);
    if (print_flood) {
        DbgPrint("%0300d\n", 5);
        for (int i = 0; i < DR_LOG_MAX_LINES + 10; i++)
            DbgPrint("line %d\n", i);
    }
    if (print_messages) {
        DbgPrint("DriverEntry: registry path %wZ\n", RegistryPath);
        KdPrint(("KdPrint %I64x and %ws\n", (ULONG64)0x1122334455667788ULL, L"wide"));
    }
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;
static void setup(void) { km_world_start(&env, DriverEntry); }
static void check(void) { km_world_check(); }
static const dr_scenario scn = {"test-debug", "a driver that prints", "clean", 2, 4, 1, setup, check, NULL, 0};

/* One execution (random strategy, seed 7); the trace as text when traced. */
static uint64_t run_once(bool trace, char **text)
{
    dr_strategy *st = dr_strategy_random(7);
    dr_run_config cfg = {.cpus = 2, .trace = trace};
    dr_exec_result res;
    KCHECK(dr_run(&scn, &cfg, st, 3, &res) == 0);
    KCHECK(res.finding.kind == DR_FIND_NONE);
    dr_strategy_destroy(st);
    if (text) {
        size_t len;
        FILE *f = open_memstream(text, &len);
        dr_trace_print(f, NULL);
        fclose(f);
    }
    return res.digest;
}

/* The trace line holding needle, or NULL. */
static const char *line_with(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    if (!p)
        return NULL;
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

static void test_trace(void)
{
    km_env_defaults(&env);
    env.cancel = false;
    print_messages = true;
    char *text = NULL;
    uint64_t with_trace = run_once(true, &text);
    if (getenv("TEST_DEBUG_SHOW"))
        fputs(text, stderr);
    /* the trace escapes the driver's text: a backslash is shown doubled */
    const char *l = line_with(text, "log: DbgPrint: DriverEntry: registry path \\\\Registry\\\\Machine\\\\System");
    KCHECK(l != NULL);
    KCHECK(l && strncmp(l + 8, "main", 4) == 0); /* DriverEntry runs in the main context */
    KCHECK(line_with(text, "log: DbgPrint: KdPrint 1122334455667788 and wide\n") != NULL);
    l = line_with(text, "log: DbgPrintEx(IHVDRIVER, ERROR): EvtIoRead 200 bytes\n");
    KCHECK(l != NULL);
    /* on a processor, in the task that ran EvtIoRead */
    KCHECK(l && l[8] == 'P' && strstr(l, " T") && strstr(l, "(EvtIoRead)") == NULL);
    KCHECK(line_with(text, "log: TraceEvents(TRACE_LEVEL_ERROR TRACE_QUEUE): EvtIoRead completes with STATUS_CANCELLED\n") !=
           NULL);
    KCHECK(line_with(text, "log: TraceEvents(TRACE_LEVEL_VERBOSE TRACE_QUEUE): odd 0xC0DE0001\n") != NULL);
    free(text);

    /* Not folded into the digest: a traced run, an untraced one and a
     * driver that prints nothing have the same digest. */
    uint64_t without_trace = run_once(false, NULL);
    print_messages = false;
    uint64_t silent = run_once(false, NULL);
    KCHECK(with_trace == without_trace);
    KCHECK(with_trace == silent);
}

static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The trace keeps DR_LOG_MAX_LINES lines of an execution, cut to
 * DR_LOG_LINE_MAX bytes, and says so. */
static void test_bounds(void)
{
    km_env_defaults(&env);
    env.cancel = false;
    print_messages = false;
    print_flood = true;
    char *text = NULL;
    run_once(true, &text);
    print_flood = false;
    KCHECK(count_lines(text, " log: ") == DR_LOG_MAX_LINES + 1);
    KCHECK(count_lines(text, "log: (further driver messages left out: at most 4096 lines per execution)\n") == 1);
    char line[80];
    snprintf(line, sizeof line, "log: DbgPrint: line %d\n", DR_LOG_MAX_LINES - 2);
    KCHECK(strstr(text, line) != NULL); /* the first line was the long one */
    snprintf(line, sizeof line, "log: DbgPrint: line %d\n", DR_LOG_MAX_LINES - 1);
    KCHECK(strstr(text, line) == NULL);
    /* "DbgPrint: " and 150 of the 300 digits, then the mark */
    const char *cut = strstr(text, "log: DbgPrint: 000");
    KCHECK(cut != NULL);
    if (cut) {
        const char *end = strchr(cut, '\n');
        KCHECK(end && end - (cut + 5) == DR_LOG_LINE_MAX + 5 && memcmp(end - 5, "[...]", 5) == 0);
    }
    free(text);
}

int main(void)
{
    test_format();
    test_trace();
    test_bounds();
    return km_test_done();
}
