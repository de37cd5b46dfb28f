/* wdfstring.h: one area of dmarace's wdf.h, as KMDF's headers are split;
 * a driver includes <wdf.h>. A WDFSTRING is an object holding its own copy of
 * a UNICODE_STRING (km_string.c). */
#ifndef DMARACE_WDFSTRING_H
#define DMARACE_WDFSTRING_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

_Must_inspect_result_ NTSTATUS WdfStringCreate(PCUNICODE_STRING UnicodeString, PWDF_OBJECT_ATTRIBUTES StringAttributes,
                                               WDFSTRING *String);
VOID WdfStringGetUnicodeString(WDFSTRING String, PUNICODE_STRING UnicodeString);

#ifdef __cplusplus
}
#endif
#endif
