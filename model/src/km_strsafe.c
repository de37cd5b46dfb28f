/* km_strsafe.c: ntstrsafe.h's bounded string routines, narrow and wide, with
 * the results the WDK documents (learn.microsoft.com, ntstrsafe.h:
 * RtlStringCchCopyW and the others): the destination is NUL-terminated
 * whenever its size is not zero; a result that does not fit is truncated and
 * STATUS_BUFFER_OVERFLOW returned; a zero size, or one over
 * NTSTRSAFE_MAX_CCH, is STATUS_INVALID_PARAMETER. Wide characters are the
 * model's WCHAR (wchar_t), so a Cb size counts sizeof(wchar_t) per
 * character. */
#include "ntstrsafe.h"

#include <stdio.h>
#include <wchar.h>

#define STRSAFE_FUNCS(S, CH)                                                                               \
    static size_t len_##S(const CH *s, size_t max)                                                         \
    {                                                                                                      \
        size_t n = 0;                                                                                      \
        while (n < max && s[n])                                                                            \
            n++;                                                                                           \
        return n;                                                                                          \
    }                                                                                                      \
    /* Copy at most n characters of src to dst (room for cch, NUL included). */                           \
    static NTSTATUS copy_##S(CH *dst, size_t cch, const CH *src, size_t n)                                 \
    {                                                                                                      \
        if (cch == 0 || cch > NTSTRSAFE_MAX_CCH)                                                           \
            return STATUS_INVALID_PARAMETER;                                                               \
        size_t i = 0;                                                                                      \
        while (i < n && src[i] && i + 1 < cch) {                                                           \
            dst[i] = src[i];                                                                               \
            i++;                                                                                           \
        }                                                                                                  \
        dst[i] = 0;                                                                                        \
        return i < n && src[i] ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;                                  \
    }                                                                                                      \
    static NTSTATUS cat_##S(CH *dst, size_t cch, const CH *src, size_t n)                                  \
    {                                                                                                      \
        if (cch == 0 || cch > NTSTRSAFE_MAX_CCH)                                                           \
            return STATUS_INVALID_PARAMETER;                                                               \
        size_t have = len_##S(dst, cch);                                                                   \
        if (have == cch)                                                                                   \
            return STATUS_INVALID_PARAMETER; /* the destination is not NUL-terminated */                   \
        return copy_##S(dst + have, cch - have, src, n);                                                   \
    }                                                                                                      \
    static NTSTATUS length_##S(const CH *s, size_t max, size_t *out)                                       \
    {                                                                                                      \
        if (!s || max > NTSTRSAFE_MAX_CCH) {                                                               \
            if (out)                                                                                       \
                *out = 0;                                                                                  \
            return STATUS_INVALID_PARAMETER;                                                               \
        }                                                                                                  \
        size_t n = len_##S(s, max);                                                                        \
        if (out)                                                                                           \
            *out = n < max ? n : 0;                                                                        \
        return n < max ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;                                        \
    }

STRSAFE_FUNCS(a, char)
STRSAFE_FUNCS(w, wchar_t)

__attribute__((format(printf, 3, 0))) static NTSTATUS vprintf_a(char *dst, size_t cch, const char *fmt, va_list ap)
{
    if (cch == 0 || cch > NTSTRSAFE_MAX_CCH)
        return STATUS_INVALID_PARAMETER;
    int n = vsnprintf(dst, cch, fmt, ap);
    if (n < 0) {
        dst[0] = 0;
        return STATUS_INVALID_PARAMETER;
    }
    return (size_t)n >= cch ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static NTSTATUS vprintf_w(wchar_t *dst, size_t cch, const wchar_t *fmt, va_list ap)
{
    if (cch == 0 || cch > NTSTRSAFE_MAX_CCH)
        return STATUS_INVALID_PARAMETER;
    int n = vswprintf(dst, cch, fmt, ap);
    if (n < 0) {
        /* vswprintf reports truncation as -1, leaving the buffer's end
         * unspecified: terminate it. */
        dst[cch - 1] = 0;
        return STATUS_BUFFER_OVERFLOW;
    }
    return STATUS_SUCCESS;
}

#define N_OK(n) ((n) <= NTSTRSAFE_MAX_CCH)
#define ALL ((size_t)-1)

NTSTATUS RtlStringCchCopyA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s) { return copy_a(d, cch, s, ALL); }
NTSTATUS RtlStringCchCopyW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s) { return copy_w(d, cch, s, ALL); }
NTSTATUS RtlStringCbCopyA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s) { return copy_a(d, cb, s, ALL); }
NTSTATUS RtlStringCbCopyW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s)
{
    return copy_w(d, cb / sizeof(wchar_t), s, ALL);
}

NTSTATUS RtlStringCchCopyNA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s, size_t n)
{
    if (!N_OK(n)) {
        if (cch && cch <= NTSTRSAFE_MAX_CCH)
            d[0] = 0;
        return STATUS_INVALID_PARAMETER;
    }
    return copy_a(d, cch, s, n);
}
NTSTATUS RtlStringCchCopyNW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s, size_t n)
{
    if (!N_OK(n)) {
        if (cch && cch <= NTSTRSAFE_MAX_CCH)
            d[0] = 0;
        return STATUS_INVALID_PARAMETER;
    }
    return copy_w(d, cch, s, n);
}
NTSTATUS RtlStringCbCopyNA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s, size_t cbn)
{
    return RtlStringCchCopyNA(d, cb, s, cbn);
}
NTSTATUS RtlStringCbCopyNW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s, size_t cbn)
{
    return RtlStringCchCopyNW(d, cb / sizeof(wchar_t), s, cbn / sizeof(wchar_t));
}

NTSTATUS RtlStringCchCatA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s) { return cat_a(d, cch, s, ALL); }
NTSTATUS RtlStringCchCatW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s) { return cat_w(d, cch, s, ALL); }
NTSTATUS RtlStringCbCatA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s) { return cat_a(d, cb, s, ALL); }
NTSTATUS RtlStringCbCatW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s)
{
    return cat_w(d, cb / sizeof(wchar_t), s, ALL);
}
NTSTATUS RtlStringCchCatNA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s, size_t n)
{
    return N_OK(n) ? cat_a(d, cch, s, n) : STATUS_INVALID_PARAMETER;
}
NTSTATUS RtlStringCchCatNW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s, size_t n)
{
    return N_OK(n) ? cat_w(d, cch, s, n) : STATUS_INVALID_PARAMETER;
}
NTSTATUS RtlStringCbCatNA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s, size_t cbn)
{
    return RtlStringCchCatNA(d, cb, s, cbn);
}
NTSTATUS RtlStringCbCatNW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s, size_t cbn)
{
    return RtlStringCchCatNW(d, cb / sizeof(wchar_t), s, cbn / sizeof(wchar_t));
}

NTSTATUS RtlStringCchVPrintfA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR f, va_list ap)
{
    return vprintf_a(d, cch, f, ap);
}
NTSTATUS RtlStringCchVPrintfW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR f, va_list ap)
{
    return vprintf_w(d, cch, f, ap);
}
NTSTATUS RtlStringCbVPrintfA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR f, va_list ap)
{
    return vprintf_a(d, cb, f, ap);
}
NTSTATUS RtlStringCbVPrintfW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR f, va_list ap)
{
    return vprintf_w(d, cb / sizeof(wchar_t), f, ap);
}
NTSTATUS RtlStringCchPrintfA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    NTSTATUS st = vprintf_a(d, cch, f, ap);
    va_end(ap);
    return st;
}
NTSTATUS RtlStringCchPrintfW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    NTSTATUS st = vprintf_w(d, cch, f, ap);
    va_end(ap);
    return st;
}
NTSTATUS RtlStringCbPrintfA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    NTSTATUS st = vprintf_a(d, cb, f, ap);
    va_end(ap);
    return st;
}
NTSTATUS RtlStringCbPrintfW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    NTSTATUS st = vprintf_w(d, cb / sizeof(wchar_t), f, ap);
    va_end(ap);
    return st;
}

NTSTATUS RtlStringCchLengthA(NTSTRSAFE_PCSTR s, size_t max, size_t *len) { return length_a(s, max, len); }
NTSTATUS RtlStringCchLengthW(NTSTRSAFE_PCWSTR s, size_t max, size_t *len) { return length_w(s, max, len); }
NTSTATUS RtlStringCbLengthA(NTSTRSAFE_PCSTR s, size_t max, size_t *len) { return length_a(s, max, len); }
NTSTATUS RtlStringCbLengthW(NTSTRSAFE_PCWSTR s, size_t max, size_t *len)
{
    size_t n = 0;
    NTSTATUS st = length_w(s, max / sizeof(wchar_t), &n);
    if (len)
        *len = n * sizeof(wchar_t);
    return st;
}

NTSTATUS RtlUnicodeStringInit(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    DestinationString->Length = 0;
    DestinationString->MaximumLength = 0;
    DestinationString->Buffer = NULL;
    if (!pszSrc)
        return STATUS_SUCCESS;
    size_t limit = (0xFFFF / sizeof(WCHAR)) - 1; /* MaximumLength must hold the string and its NUL */
    if (limit > NTSTRSAFE_UNICODE_STRING_MAX_CCH)
        limit = NTSTRSAFE_UNICODE_STRING_MAX_CCH;
    size_t n = 0;
    while (n <= limit && pszSrc[n])
        n++;
    if (n > limit)
        return STATUS_INVALID_PARAMETER;
    DestinationString->Length = (USHORT)(n * sizeof(WCHAR));
    DestinationString->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
    DestinationString->Buffer = (PWSTR)pszSrc;
    return STATUS_SUCCESS;
}
