/* km_debug.c: the driver's own messages. DbgPrint, DbgPrintEx, vDbgPrintEx
 * (wdm.h, "debug output") and the WPP trace calls of km_wpp.h are formatted
 * with the Windows format conventions and appended to the execution's trace
 * with dr_log (harness/include/dr/dr.h): shown by --trace and in a finding's
 * story at their step and processor, never folded into the digest.
 *
 * Windows conventions that differ from glibc (Microsoft docs, "Format
 * specification syntax: printf and wprintf functions", "Size specification",
 * and DbgPrint/DbgPrintEx): long is 32 bits (%lx takes a ULONG), I64 and ll
 * are 64 bits, I, z and t are pointer-sized, I32 is 32 bits; %S, %ws and %ls
 * take a wide string, %C, %wc and %lc a wide character, %hs a narrow string;
 * %Z takes an ANSI_STRING *, %wZ a UNICODE_STRING *; %p prints the pointer as
 * zero-padded upper-case hex without 0x; %n writes nothing. WPP adds %!X!
 * (km_wpp.h). Formatting happens only when the line would be kept
 * (dr_log_enabled): a campaign's executions pay for none of it. */
#include "km.h"
#include "km_wpp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* The glibc conversions below are built from a closed set (flags from
 * "-+ #0", width and precision passed as arguments, a fixed conversion
 * letter): never the driver's text. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

enum { KM_MSG_MAX = 512 };

typedef struct km_out {
    char *buf;
    size_t len, cap;
} km_out;

static void put(km_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 1 < o->cap; i++)
        o->buf[o->len++] = s[i];
    o->buf[o->len] = 0;
}

static void puts_(km_out *o, const char *s) { put(o, s, strlen(s)); }

/* A glibc conversion of one formatted value, with the spec's flags, width and precision. */
static void putf(km_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(km_out *o, const char *fmt, ...)
{
    char tmp[KM_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A wide character as UTF-8 (WCHAR is wchar_t here: 32 bits). */
static size_t wide_utf8(wchar_t wc, char *u)
{
    uint32_t c = (uint32_t)wc;
    if (c < 0x80) {
        u[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        u[0] = (char)(0xC0 | c >> 6);
        u[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        u[0] = (char)(0xE0 | c >> 12);
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    if (c > 0x10FFFF)
        c = 0xFFFD;
    u[0] = (char)(0xF0 | c >> 18);
    u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    u[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* A wide string of at most n characters (n < 0: to its NUL) as UTF-8 in tmp. */
static const char *wide_str(const wchar_t *w, long n, char *tmp, size_t len)
{
    size_t k = 0;
    for (long i = 0; (n < 0 || i < n) && w[i] && k + 5 < len; i++)
        k += wide_utf8(w[i], tmp + k);
    tmp[k] = 0;
    return tmp;
}

/* A string value under the spec's flags, width and precision ("%-10.3s"). */
static void put_str(km_out *o, const char *flags, int width, int prec, const char *s)
{
    char f[32];
    snprintf(f, sizeof f, "%%%s*.*s", strchr(flags, '-') ? "-" : "");
    putf(o, f, width, prec < 0 ? KM_MSG_MAX : prec, s);
}

/* ---- NTSTATUS names ------------------------------------------------------------------- */

#define KM_ST(n) {n, #n}
static const struct {
    NTSTATUS status;
    const char *name;
} status_names[] = {
    KM_ST(STATUS_SUCCESS),
    KM_ST(STATUS_PENDING),
    KM_ST(STATUS_UNSUCCESSFUL),
    KM_ST(STATUS_NOT_IMPLEMENTED),
    KM_ST(STATUS_INFO_LENGTH_MISMATCH),
    KM_ST(STATUS_INVALID_HANDLE),
    KM_ST(STATUS_OBJECT_NAME_EXISTS),
    KM_ST(STATUS_OBJECT_NAME_INVALID),
    KM_ST(STATUS_INVALID_PARAMETER),
    KM_ST(STATUS_INVALID_DEVICE_REQUEST),
    KM_ST(STATUS_MORE_PROCESSING_REQUIRED),
    KM_ST(STATUS_BUFFER_TOO_SMALL),
    KM_ST(STATUS_INSUFFICIENT_RESOURCES),
    KM_ST(STATUS_DEVICE_DATA_ERROR),
    KM_ST(STATUS_DEVICE_NOT_READY),
    KM_ST(STATUS_IO_TIMEOUT),
    KM_ST(STATUS_NOT_SUPPORTED),
    KM_ST(STATUS_INTERNAL_ERROR),
    KM_ST(STATUS_CANCELLED),
    KM_ST(STATUS_DEVICE_BUSY),
    KM_ST(STATUS_DRIVER_INTERNAL_ERROR),
    KM_ST(STATUS_INVALID_DEVICE_STATE),
    KM_ST(STATUS_WDF_INTERNAL_ERROR),
    KM_ST(STATUS_WDF_TOO_FRAGMENTED),
    KM_ST(STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL),
    KM_ST(STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED),
    KM_ST(STATUS_WDF_OBJECT_ATTRIBUTES_INVALID),
    KM_ST(STATUS_WDF_PARENT_NOT_SPECIFIED),
    KM_ST(STATUS_WDF_TOO_MANY_TRANSFERS),
    KM_ST(STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS),
    KM_ST(STATUS_WDF_PAUSED),
    KM_ST(STATUS_WDF_BUSY),
};
#undef KM_ST

const char *km_status_name(NTSTATUS status)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].status == status)
            return status_names[i].name;
    return NULL;
}

const char *km_status_text(int64_t value, char *buf, size_t len)
{
    NTSTATUS st = (NTSTATUS)value;
    const char *name = km_status_name(st);
    snprintf(buf, len, "0x%08X%s%s", (unsigned)st, name ? " " : "", name ? name : "");
    return buf;
}

const char *km_dma_status_text(int64_t value, char *buf, size_t len)
{
    static const char *const names[] = {"DmaComplete", "DmaAborted", "DmaError", "DmaCancelled"};
    if (value >= 0 && (size_t)value < sizeof names / sizeof names[0])
        snprintf(buf, len, "%s", names[value]);
    else
        snprintf(buf, len, "%" PRId64, value);
    return buf;
}

/* ---- WPP's %!X! types -------------------------------------------------------------------- */

typedef struct km_wpp_where {
    const char *file, *func, *name, *tags;
    int line;
} km_wpp_where;

typedef struct km_guid {
    uint32_t Data1;
    uint16_t Data2, Data3;
    uint8_t Data4[8];
} km_guid;

static const char *irql_name(unsigned irql)
{
    switch (irql) {
    case PASSIVE_LEVEL:
        return "PASSIVE_LEVEL";
    case APC_LEVEL:
        return "APC_LEVEL";
    case DISPATCH_LEVEL:
        return "DISPATCH_LEVEL";
    default:
        return NULL;
    }
}

/* One %!type! (name is its text between the bangs). Types that take no argument
 * (FUNC, LINE, FILE, LEVEL, FLAGS, STDPREFIX...) come from where. */
static void put_wpp(km_out *o, const char *name, size_t n, const km_wpp_where *where, va_list *ap)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
    if (IS("FUNC"))
        puts_(o, where->func);
    else if (IS("LINE"))
        putf(o, "%d", where->line);
    else if (IS("FILE")) {
        const char *slash = strrchr(where->file, '/'); /* no build machine paths */
        puts_(o, slash ? slash + 1 : where->file);
    } else if (IS("LEVEL") || IS("FLAGS") || IS("COMPNAME"))
        puts_(o, where->tags);
    else if (IS("STDPREFIX") || IS("TIME") || IS("TIMESTAMP") || IS("CPU") || IS("PID") || IS("TID")) {
        /* the trace line already has the step, processor and task */
    } else if (IS("STATUS") || IS("NTSTATUS")) {
        NTSTATUS s = va_arg(*ap, NTSTATUS);
        const char *nm = km_status_name(s);
        if (nm)
            puts_(o, nm);
        else
            putf(o, "0x%08X", (unsigned)s);
    } else if (IS("HRESULT") || IS("WINERROR") || IS("NDIS_STATUS"))
        putf(o, "0x%08X", va_arg(*ap, unsigned));
    else if (IS("bool") || IS("BOOLEAN") || IS("BOOL"))
        puts_(o, va_arg(*ap, int) ? "TRUE" : "FALSE");
    else if (IS("IRQL")) {
        unsigned irql = va_arg(*ap, unsigned) & 0xFF;
        const char *nm = irql_name(irql);
        if (nm)
            puts_(o, nm);
        else
            putf(o, "%u", irql);
    } else if (IS("GUID") || IS("guid")) {
        const km_guid *g = va_arg(*ap, const km_guid *);
        if (!g)
            puts_(o, "(null)");
        else
            putf(o, "%08" PRIx32 "-%04" PRIx16 "-%04" PRIx16 "-%02x%02x-%02x%02x%02x%02x%02x%02x", g->Data1,
                 g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5],
                 g->Data4[6], g->Data4[7]);
    } else {
        /* A type dmarace does not know: its argument as 64-bit hex, named. */
        putf(o, "0x%" PRIx64 " (WPP type %.*s, not decoded)", va_arg(*ap, uint64_t), (int)n, name);
    }
#undef IS
}

/* ---- the formatter ---------------------------------------------------------------------- */

/* Formats fmt with Windows conventions (and WPP's %!X! when where is set). */
static void km_vformat(km_out *o, const char *fmt, va_list ap0, const km_wpp_where *where)
{
    va_list ap;
    va_copy(ap, ap0);
    if (!fmt) {
        puts_(o, "(null format)");
        va_end(ap);
        return;
    }
    for (const char *p = fmt; *p;) {
        if (*p != '%') {
            const char *q = strchr(p, '%');
            size_t n = q ? (size_t)(q - p) : strlen(p);
            put(o, p, n);
            p += n;
            continue;
        }
        const char *spec = p++;
        if (*p == '%') {
            put(o, "%", 1);
            p++;
            continue;
        }
        if (where && *p == '!') {
            const char *end = strchr(p + 1, '!');
            if (end) {
                put_wpp(o, p + 1, (size_t)(end - p - 1), where, &ap);
                p = end + 1;
                continue;
            }
        }
        /* flags, width, precision */
        char flags[8] = "";
        size_t nf = 0;
        while (*p && strchr("-+ #0", *p)) {
            if (nf + 1 < sizeof flags)
                flags[nf++] = *p;
            p++;
        }
        flags[nf] = 0;
        int width = 0, prec = -1;
        if (*p == '*') {
            width = va_arg(ap, int);
            p++;
        } else
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
        }
        /* size: bits of an integer argument (0: int), or a wide/narrow marker */
        int bits = 0;
        bool wide = false, narrow = false;
        if (strncmp(p, "I64", 3) == 0)
            bits = 64, p += 3;
        else if (strncmp(p, "I32", 3) == 0)
            bits = 32, p += 3;
        else if (*p == 'I' || *p == 'z' || *p == 't' || *p == 'j')
            bits = *p == 'j' ? 64 : (int)(sizeof(void *) * 8), p++;
        else if (p[0] == 'l' && p[1] == 'l')
            bits = 64, p += 2;
        else if (p[0] == 'h' && p[1] == 'h')
            bits = 8, p += 2;
        else if (*p == 'l' || *p == 'w')
            bits = 32, wide = true, p++; /* Windows: long is 32 bits; l/w on c, s mean wide */
        else if (*p == 'h')
            bits = 16, narrow = true, p++;
        else if (*p == 'L')
            p++; /* long double is double on Windows */
        char conv = *p ? *p++ : 0;
        char gf[24];
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v = bits == 64 ? va_arg(ap, int64_t) : (int64_t)va_arg(ap, int);
            if (bits == 16)
                v = (int16_t)v;
            else if (bits == 8)
                v = (int8_t)v;
            else if (bits == 32 || bits == 0)
                v = (int32_t)v;
            snprintf(gf, sizeof gf, "%%%s*.*" PRId64, flags);
            putf(o, gf, width, prec, v);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = bits == 64 ? va_arg(ap, uint64_t) : (uint64_t)va_arg(ap, unsigned);
            if (bits == 16)
                v = (uint16_t)v;
            else if (bits == 8)
                v = (uint8_t)v;
            snprintf(gf, sizeof gf, "%%%s*.*%s", flags,
                     conv == 'u' ? PRIu64 : conv == 'x' ? PRIx64 : conv == 'X' ? PRIX64 : PRIo64);
            putf(o, gf, width, prec, v);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            putf(o, "%0*" PRIXPTR, (int)(sizeof v * 2), v); /* Windows: 16 upper-case digits, no 0x */
            break;
        }
        case 'c':
        case 'C': {
            int c = va_arg(ap, int);
            char u[5] = "";
            if ((conv == 'C' && !narrow) || wide)
                u[wide_utf8((wchar_t)c, u)] = 0;
            else
                u[0] = (char)c;
            put_str(o, flags, width, -1, u);
            break;
        }
        case 's':
        case 'S': {
            const void *s = va_arg(ap, const void *);
            char tmp[KM_MSG_MAX];
            if (!s)
                put_str(o, flags, width, prec, "(null)");
            else if ((conv == 'S' && !narrow) || wide)
                put_str(o, flags, width, prec, wide_str((const wchar_t *)s, -1, tmp, sizeof tmp));
            else
                put_str(o, flags, width, prec, (const char *)s);
            break;
        }
        case 'Z': {
            /* %Z: ANSI_STRING * (or STRING *); %wZ: UNICODE_STRING *. Both are
             * { USHORT Length (bytes); USHORT MaximumLength; Buffer }. */
            char tmp[KM_MSG_MAX];
            if (wide) {
                const UNICODE_STRING *us = va_arg(ap, const UNICODE_STRING *);
                if (!us || !us->Buffer)
                    put_str(o, flags, width, prec, "(null)");
                else
                    put_str(o, flags, width, prec,
                            wide_str(us->Buffer, (long)(us->Length / sizeof(WCHAR)), tmp, sizeof tmp));
            } else {
                const struct {
                    USHORT Length, MaximumLength;
                    const char *Buffer;
                } *as = va_arg(ap, const void *);
                if (!as || !as->Buffer)
                    put_str(o, flags, width, prec, "(null)");
                else {
                    size_t n = as->Length < sizeof tmp - 1 ? as->Length : sizeof tmp - 1;
                    memcpy(tmp, as->Buffer, n);
                    tmp[n] = 0;
                    put_str(o, flags, width, prec, tmp);
                }
            }
            break;
        }
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A': {
            double v = va_arg(ap, double);
            snprintf(gf, sizeof gf, "%%%s*.*%c", flags, conv);
            putf(o, gf, width, prec < 0 ? 6 : prec, v);
            break;
        }
        case 'n':
            (void)va_arg(ap, void *); /* Windows disables %n: nothing is written */
            break;
        default:
            /* not a conversion: shown as written */
            put(o, spec, (size_t)(p - spec));
            break;
        }
    }
    va_end(ap);
}

/* Each line of the formatted text becomes one trace line, after the prefix. */
static void emit(const char *prefix, const char *text)
{
    const char *p = text;
    do {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n || !nl || p == text) {
            char line[KM_MSG_MAX + 96];
            snprintf(line, sizeof line, "%s%.*s", prefix, (int)n, p);
            dr_log(line);
        }
        p = nl ? nl + 1 : NULL;
    } while (p && *p);
}

size_t km_format(char *buf, size_t len, const char *fmt, ...)
{
    km_out o = {buf, 0, len};
    if (!len)
        return 0;
    buf[0] = 0;
    va_list ap;
    va_start(ap, fmt);
    km_vformat(&o, fmt, ap, NULL);
    va_end(ap);
    return o.len;
}

/* ---- DbgPrint family (wdm.h) ----------------------------------------------------------------- */

static const char *level_name(ULONG level, char *buf, size_t len)
{
    static const char *const names[] = {"ERROR", "WARNING", "TRACE", "INFO"};
    if (level & DPFLTR_MASK)
        snprintf(buf, len, "mask 0x%" PRIx32, (uint32_t)(level & ~(ULONG)DPFLTR_MASK));
    else if (level < 4)
        snprintf(buf, len, "%s", names[level]);
    else
        snprintf(buf, len, "level %" PRIu32, (uint32_t)level);
    return buf;
}

static const char *component_name(ULONG id, char *buf, size_t len)
{
    static const char *const ihv[] = {"IHVDRIVER", "IHVVIDEO", "IHVAUDIO", "IHVNETWORK", "IHVSTREAMING", "IHVBUS"};
    if (id >= DPFLTR_IHVDRIVER_ID && id <= DPFLTR_IHVBUS_ID)
        snprintf(buf, len, "%s", ihv[id - DPFLTR_IHVDRIVER_ID]);
    else if (id == DPFLTR_DEFAULT_ID)
        snprintf(buf, len, "DEFAULT");
    else
        snprintf(buf, len, "component %" PRIu32, (uint32_t)id);
    return buf;
}

static ULONG print_ex(const char *prefix, bool ex, ULONG component, ULONG level, const char *fmt, va_list ap)
{
    if (!dr_log_enabled())
        return STATUS_SUCCESS;
    char text[KM_MSG_MAX], head[96], c[32], l[32];
    km_out o = {text, 0, sizeof text};
    text[0] = 0;
    km_vformat(&o, fmt, ap, NULL);
    if (ex)
        snprintf(head, sizeof head, "DbgPrintEx(%s, %s): %s", component_name(component, c, sizeof c),
                 level_name(level, l, sizeof l), prefix ? prefix : "");
    else
        snprintf(head, sizeof head, "DbgPrint: ");
    emit(head, text);
    return STATUS_SUCCESS;
}

ULONG(DbgPrint)(PCSTR Format, ...)
{
    va_list ap;
    va_start(ap, Format);
    ULONG r = print_ex(NULL, false, 0, 0, Format, ap);
    va_end(ap);
    return r;
}

ULONG(DbgPrintEx)(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list ap;
    va_start(ap, Format);
    ULONG r = print_ex(NULL, true, ComponentId, Level, Format, ap);
    va_end(ap);
    return r;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist)
{
    return print_ex(NULL, true, ComponentId, Level, Format, arglist);
}

ULONG vDbgPrintExWithPrefix(PCSTR Prefix, ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist)
{
    return print_ex(Prefix, true, ComponentId, Level, Format, arglist);
}

NTSTATUS DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level)
{
    (void)ComponentId, (void)Level;
    return (NTSTATUS)TRUE; /* every component and level is shown */
}

NTSTATUS DbgSetDebugFilterState(ULONG ComponentId, ULONG Level, BOOLEAN State)
{
    (void)ComponentId, (void)Level, (void)State;
    return STATUS_SUCCESS; /* accept-only: nothing is filtered */
}

/* ---- WPP (km_wpp.h) ---------------------------------------------------------------------------- */

void KmWppTrace(const char *file, int line, const char *func, const char *name, const char *tags, const char *msg,
                ...)
{
    if (!dr_log_enabled())
        return;
    km_wpp_where where = {file ? file : "?", func ? func : "?", name ? name : "?", tags ? tags : "", line};
    char text[KM_MSG_MAX], head[160];
    km_out o = {text, 0, sizeof text};
    text[0] = 0;
    va_list ap;
    va_start(ap, msg);
    km_vformat(&o, msg, ap, &where);
    va_end(ap);
    snprintf(head, sizeof head, "%s(%s): ", where.name, where.tags);
    emit(head, text);
}

void KmWppAccept(int what, ...) { (void)what; }

static struct {
    int unused;
} km_recorder_default, km_recorder_created;

RECORDER_LOG WppRecorderLogGetDefault(void) { return (RECORDER_LOG)&km_recorder_default; }

NTSTATUS WppRecorderLogCreate(PRECORDER_LOG_CREATE_PARAMS CreateParams, RECORDER_LOG *RecorderLog)
{
    (void)CreateParams;
    if (RecorderLog)
        *RecorderLog = (RECORDER_LOG)&km_recorder_created;
    return STATUS_SUCCESS;
}

VOID WppRecorderLogDelete(RECORDER_LOG RecorderLog) { (void)RecorderLog; }

NTSTATUS WppRecorderLogSetIdentifier(RECORDER_LOG RecorderLog, PCSTR LogIdentifier)
{
    (void)RecorderLog, (void)LogIdentifier;
    return STATUS_SUCCESS;
}

NTSTATUS WppRecorderDumpLiveDriverData(PVOID *OutBuffer, PULONG OutBufferLength, const void *Guid)
{
    (void)Guid;
    if (OutBuffer)
        *OutBuffer = NULL;
    if (OutBufferLength)
        *OutBufferLength = 0;
    return STATUS_NOT_SUPPORTED; /* the messages are in dmarace's trace instead */
}
