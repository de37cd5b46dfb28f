/* devpropdef.h: DEVPROPTYPE, DEVPROPID, DEVPROPGUID, DEVPROPKEY,
 * DEVPROP_BOOLEAN, DEVPROP_TRUE / DEVPROP_FALSE, every DEVPROP_TYPE_* /
 * DEVPROP_TYPEMOD_* / DEVPROP_MASK_* value (km_devprop.h, generated from
 * mingw-w64's devpropdef.h), IsEqualDevPropKey, and DEFINE_DEVPROPKEY
 * (declares, or defines after initguid.h, like DEFINE_GUID). */
#ifndef DMARACE_DEVPROPDEF_H
#define DMARACE_DEVPROPDEF_H
#include "guiddef.h"
#include "km_devprop.h"

typedef uint32_t DEVPROPTYPE, *PDEVPROPTYPE;
typedef unsigned char DEVPROP_BOOLEAN, *PDEVPROP_BOOLEAN;
#define DEVPROP_TRUE ((DEVPROP_BOOLEAN)-1)
#define DEVPROP_FALSE ((DEVPROP_BOOLEAN)0)
typedef GUID DEVPROPGUID, *PDEVPROPGUID;
typedef uint32_t DEVPROPID, *PDEVPROPID;
#ifndef DEVPROPKEY_DEFINED
#define DEVPROPKEY_DEFINED
typedef struct _DEVPROPKEY {
    DEVPROPGUID fmtid;
    DEVPROPID pid;
} DEVPROPKEY, *PDEVPROPKEY;
#endif
#define DEVPROPID_FIRST_USABLE 2
#define IsEqualDevPropKey(a, b) (((a).pid == (b).pid) && IsEqualGUID(&(a).fmtid, &(b).fmtid))
#endif

#undef DEFINE_DEVPROPKEY
#ifdef INITGUID
#define DEFINE_DEVPROPKEY(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8, pid)                             \
    DMARACE_GUID_DEFINE_C const DEVPROPKEY __attribute__((weak)) name = {                                 \
        {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}, pid}
#else
#define DEFINE_DEVPROPKEY(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8, pid)                            \
    DMARACE_GUID_EXTERN_C const DEVPROPKEY name
#endif
