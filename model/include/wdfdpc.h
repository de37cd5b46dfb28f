/* wdfdpc.h: one area of dmarace's wdf.h, which is split by area as KMDF's
 * headers are; a driver includes <wdf.h>, which includes them all. */
#ifndef DMARACE_WDFDPC_H
#define DMARACE_WDFDPC_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- DPC objects ------------------------------------------------------------------------ */
typedef VOID EVT_WDF_DPC(WDFDPC Dpc);
typedef EVT_WDF_DPC *PFN_WDF_DPC;

typedef struct _WDF_DPC_CONFIG {
    ULONG Size;
    PFN_WDF_DPC EvtDpcFunc;
    BOOLEAN AutomaticSerialization; /* serialise with the parent's callbacks (DISPATCH level) */
} WDF_DPC_CONFIG, *PWDF_DPC_CONFIG;

static inline VOID WDF_DPC_CONFIG_INIT(PWDF_DPC_CONFIG Config, PFN_WDF_DPC EvtDpcFunc)
{
    *Config = KM_WDF_ZERO(WDF_DPC_CONFIG);
    Config->Size = sizeof(WDF_DPC_CONFIG);
    Config->EvtDpcFunc = EvtDpcFunc;
    Config->AutomaticSerialization = TRUE;
}

_Must_inspect_result_ NTSTATUS WdfDpcCreate(PWDF_DPC_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFDPC *Dpc);
BOOLEAN WdfDpcEnqueue(WDFDPC Dpc);
BOOLEAN WdfDpcCancel(WDFDPC Dpc, BOOLEAN Wait);
WDFOBJECT WdfDpcGetParentObject(WDFDPC Dpc);

#ifdef __cplusplus
}
#endif
#endif
