/* km_rtl.c: the Rtl routines of km_wdk.h that are not macros: RtlCompareMemory
 * and the counted strings (UNICODE_STRING, ANSI_STRING), with the results the
 * WDK documents (learn.microsoft.com: RtlInitUnicodeString,
 * RtlCopyUnicodeString, RtlCompareUnicodeString, RtlEqualUnicodeString). */
#include "wdm.h"

#include <string.h>
#include <wctype.h>

/* ---- memory and strings ---------------------------------------------------------------------------------- */

SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
    const UCHAR *a = Source1, *b = Source2;
    SIZE_T i = 0;
    while (i < Length && a[i] == b[i])
        i++;
    return i;
}

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    size_t n = SourceString ? wcslen(SourceString) * sizeof(WCHAR) : 0;
    if (n > 0xfffc - sizeof(WCHAR))
        n = 0xfffc - sizeof(WCHAR);
    DestinationString->Length = (USHORT)n;
    DestinationString->MaximumLength = SourceString ? (USHORT)(n + sizeof(WCHAR)) : 0;
    DestinationString->Buffer = (PWSTR)(uintptr_t)SourceString;
}

VOID RtlInitString(PSTRING DestinationString, PCSTR SourceString)
{
    size_t n = SourceString ? strlen(SourceString) : 0;
    if (n > 0xfffe)
        n = 0xfffe;
    DestinationString->Length = (USHORT)n;
    DestinationString->MaximumLength = SourceString ? (USHORT)(n + 1) : 0;
    DestinationString->Buffer = (PCHAR)(uintptr_t)SourceString;
}

VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSTR SourceString)
{
    RtlInitString(DestinationString, SourceString);
}

/* Copies what fits of the source; NUL-terminates when there is room. */
VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    if (!SourceString) {
        DestinationString->Length = 0;
        return;
    }
    USHORT n = SourceString->Length < DestinationString->MaximumLength ? SourceString->Length
                                                                       : DestinationString->MaximumLength;
    n = (USHORT)(n - n % sizeof(WCHAR));
    memmove(DestinationString->Buffer, SourceString->Buffer, n);
    DestinationString->Length = n;
    if (n + sizeof(WCHAR) <= DestinationString->MaximumLength)
        DestinationString->Buffer[n / sizeof(WCHAR)] = 0;
}

LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    size_t n1 = String1->Length / sizeof(WCHAR), n2 = String2->Length / sizeof(WCHAR);
    for (size_t i = 0; i < n1 && i < n2; i++) {
        wint_t a = (wint_t)String1->Buffer[i], b = (wint_t)String2->Buffer[i];
        if (CaseInSensitive) {
            a = towupper(a);
            b = towupper(b);
        }
        if (a != b)
            return (LONG)a - (LONG)b;
    }
    return (LONG)n1 - (LONG)n2;
}

BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    return (BOOLEAN)(String1->Length == String2->Length &&
                     RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0);
}
