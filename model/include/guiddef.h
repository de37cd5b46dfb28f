/* guiddef.h: GUID, its pointer types, IsEqualGUID / InlineIsEqualGUID /
 * IsEqualIID, and DEFINE_GUID, which declares `extern const GUID name` or,
 * when INITGUID is defined (initguid.h), defines it. As in the WDK, the
 * DEFINE_GUID part is re-evaluated at every include, so that including
 * initguid.h after a first guiddef.h switches it to defining. */
#ifndef DMARACE_GUIDDEF_H
#define DMARACE_GUIDDEF_H

#include <stdint.h>
#include <string.h>

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    unsigned char Data4[8];
} GUID;
#endif
typedef GUID *PGUID, *LPGUID, IID, *LPIID, CLSID, *LPCLSID;
typedef const GUID *LPCGUID, *PCGUID, *REFGUID, *REFIID, *REFCLSID;

static inline unsigned char InlineIsEqualGUID(const GUID *a, const GUID *b)
{
    return (unsigned char)(memcmp(a, b, sizeof(GUID)) == 0);
}
#define IsEqualGUID(a, b) InlineIsEqualGUID((a), (b))
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)
#endif

/* The declaration is extern; the definition is extern only in C++ (where a
 * const has internal linkage otherwise); in C a file-scope const links out. */
#ifndef DMARACE_GUID_EXTERN_C
#ifdef __cplusplus
#define DMARACE_GUID_EXTERN_C extern "C"
#define DMARACE_GUID_DEFINE_C extern "C"
#else
#define DMARACE_GUID_EXTERN_C extern
#define DMARACE_GUID_DEFINE_C
#endif
#endif
#undef DEFINE_GUID
#ifdef INITGUID
/* Weak: a GUID defined in several translation units links once. */
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8)                                        \
    DMARACE_GUID_DEFINE_C const GUID __attribute__((weak)) name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) DMARACE_GUID_EXTERN_C const GUID name
#endif
