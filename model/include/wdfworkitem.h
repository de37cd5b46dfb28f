/* wdfworkitem.h: one area of dmarace's wdf.h, which is split by area as KMDF's
 * headers are; a driver includes <wdf.h>, which includes them all. */
#ifndef DMARACE_WDFWORKITEM_H
#define DMARACE_WDFWORKITEM_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- work items ------------------------------------------------------------------------ */
typedef VOID EVT_WDF_WORKITEM(WDFWORKITEM WorkItem);
typedef EVT_WDF_WORKITEM *PFN_WDF_WORKITEM;

typedef struct _WDF_WORKITEM_CONFIG {
    ULONG Size;
    PFN_WDF_WORKITEM EvtWorkItemFunc;
    BOOLEAN AutomaticSerialization; /* serialise with the parent's callbacks (PASSIVE level) */
} WDF_WORKITEM_CONFIG, *PWDF_WORKITEM_CONFIG;

static inline VOID WDF_WORKITEM_CONFIG_INIT(PWDF_WORKITEM_CONFIG Config, PFN_WDF_WORKITEM EvtWorkItemFunc)
{
    *Config = KM_WDF_ZERO(WDF_WORKITEM_CONFIG);
    Config->Size = sizeof(WDF_WORKITEM_CONFIG);
    Config->EvtWorkItemFunc = EvtWorkItemFunc;
    Config->AutomaticSerialization = TRUE;
}

_Must_inspect_result_ NTSTATUS WdfWorkItemCreate(PWDF_WORKITEM_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes,
                                                 WDFWORKITEM *WorkItem);
VOID WdfWorkItemEnqueue(WDFWORKITEM WorkItem);
WDFOBJECT WdfWorkItemGetParentObject(WDFWORKITEM WorkItem);
VOID WdfWorkItemFlush(WDFWORKITEM WorkItem);

#ifdef __cplusplus
}
#endif
#endif
