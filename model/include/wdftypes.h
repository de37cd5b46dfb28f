/* wdftypes.h: one area of dmarace's wdf.h, which is split by area as KMDF's
 * headers are; a driver includes <wdf.h>, which includes them all. */
#ifndef DMARACE_WDFTYPES_H
#define DMARACE_WDFTYPES_H

#include "ntddk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A zeroed structure for the WDF_*_INIT functions: a compound literal in C,
 * value-initialisation in C++ (which has no compound literals). */
#ifdef __cplusplus
#define KM_WDF_ZERO(T) T{}
#else
#define KM_WDF_ZERO(T) (T){0}
#endif

/* ---- handles ------------------------------------------------------------------ */
#define WDF_DECLARE_HANDLE(name)                                                                          \
    struct name##__ {                                                                                     \
        int unused;                                                                                       \
    };                                                                                                    \
    typedef struct name##__ *name
typedef HANDLE WDFOBJECT, *PWDFOBJECT;
WDF_DECLARE_HANDLE(WDFDRIVER);
WDF_DECLARE_HANDLE(WDFDEVICE);
WDF_DECLARE_HANDLE(WDFQUEUE);
WDF_DECLARE_HANDLE(WDFREQUEST);
WDF_DECLARE_HANDLE(WDFDMAENABLER);
WDF_DECLARE_HANDLE(WDFDMATRANSACTION);
WDF_DECLARE_HANDLE(WDFTIMER);
WDF_DECLARE_HANDLE(WDFSPINLOCK);
WDF_DECLARE_HANDLE(WDFCMRESLIST);
WDF_DECLARE_HANDLE(WDFMEMORY);
WDF_DECLARE_HANDLE(WDFCOMMONBUFFER); /* bus-master DMA common buffers (wdfdma.h) */
typedef PVOID WDFCONTEXT;
typedef struct WDFDEVICE_INIT WDFDEVICE_INIT, *PWDFDEVICE_INIT;
#define WDF_NO_HANDLE NULL
#define WDF_NO_OBJECT_ATTRIBUTES NULL
#define WDF_NO_CONTEXT NULL

typedef enum _WDF_TRI_STATE { WdfFalse = FALSE, WdfTrue = TRUE, WdfUseDefault = 2 } WDF_TRI_STATE;

/* ---- handles of the setup DDIs (issue 13: registry, strings, collections, file objects) ---- */
WDF_DECLARE_HANDLE(WDFKEY);
WDF_DECLARE_HANDLE(WDFSTRING);
WDF_DECLARE_HANDLE(WDFCOLLECTION);
WDF_DECLARE_HANDLE(WDFFILEOBJECT);

/* ---- handles of the deferral objects (issue 14: DPCs, work items, wait locks) ---- */
WDF_DECLARE_HANDLE(WDFDPC);
WDF_DECLARE_HANDLE(WDFWORKITEM);
/* ---- handles of the interrupt objects (issue 14) ---- */
WDF_DECLARE_HANDLE(WDFINTERRUPT);
WDF_DECLARE_HANDLE(WDFWAITLOCK);

#ifdef __cplusplus
}
#endif
#endif
