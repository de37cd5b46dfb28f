/* wdftimer.h: one area of dmarace's wdf.h, which is split by area as KMDF's
 * headers are; a driver includes <wdf.h>, which includes them all. */
#ifndef DMARACE_WDFTIMER_H
#define DMARACE_WDFTIMER_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- timers -------------------------------------------------------------------------- */
typedef VOID EVT_WDF_TIMER(WDFTIMER Timer);
typedef EVT_WDF_TIMER *PFN_WDF_TIMER;

typedef struct _WDF_TIMER_CONFIG {
    ULONG Size;
    PFN_WDF_TIMER EvtTimerFunc;
    ULONG Period;
    BOOLEAN AutomaticSerialization;
    ULONG TolerableDelay;
    BOOLEAN UseHighResolutionTimer;
} WDF_TIMER_CONFIG, *PWDF_TIMER_CONFIG;

static inline VOID WDF_TIMER_CONFIG_INIT(PWDF_TIMER_CONFIG Config, PFN_WDF_TIMER EvtTimerFunc)
{
    *Config = KM_WDF_ZERO(WDF_TIMER_CONFIG);
    Config->Size = sizeof(WDF_TIMER_CONFIG);
    Config->EvtTimerFunc = EvtTimerFunc;
    Config->AutomaticSerialization = TRUE;
}

static inline VOID WDF_TIMER_CONFIG_INIT_PERIODIC(PWDF_TIMER_CONFIG Config, PFN_WDF_TIMER EvtTimerFunc, LONG Period)
{
    WDF_TIMER_CONFIG_INIT(Config, EvtTimerFunc);
    Config->Period = (ULONG)Period;
}

/* Relative due times are negative, in 100 ns units. */
#define WDF_REL_TIMEOUT_IN_SEC(s) (-((LONGLONG)(s)) * 10 * 1000 * 1000)
#define WDF_REL_TIMEOUT_IN_MS(ms) (-((LONGLONG)(ms)) * 10 * 1000)
#define WDF_REL_TIMEOUT_IN_US(us) (-((LONGLONG)(us)) * 10)
#define WDF_ABS_TIMEOUT_IN_MS(ms) (((LONGLONG)(ms)) * 10 * 1000)

_Must_inspect_result_ NTSTATUS WdfTimerCreate(PWDF_TIMER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes,
                                              WDFTIMER *Timer);
BOOLEAN WdfTimerStart(WDFTIMER Timer, LONGLONG DueTime);
BOOLEAN WdfTimerStop(WDFTIMER Timer, BOOLEAN Wait);
WDFOBJECT WdfTimerGetParentObject(WDFTIMER Timer);

#ifdef __cplusplus
}
#endif
#endif
