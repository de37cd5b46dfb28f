/* km_wpp.h: WPP software tracing for dmarace's model. A driver's
 * `#include "X.tmh"` resolves to a stand-in dmarace_add_driver generates
 * (cmake/dmarace.cmake): it defines a macro for each trace function the
 * driver declares in a "begin_wpp config" block (FUNC Name{K=V}(LEVEL, FLAGS,
 * MSG, ...);) and includes this header, which supplies the defaults
 * (TraceEvents, DoTraceMessage) and the rest of WPP's names. A message is
 * formatted (printf conventions of Windows plus WPP's %!X! types, see
 * model/src/km_debug.c) and becomes one line of the execution's trace
 * (dr_log): "TraceEvents(TRACE_LEVEL_ERROR TRACE_DRIVER): text". Every level
 * and flag is enabled, as if a trace session captured everything. */
#ifndef DMARACE_KM_WPP_H
#define DMARACE_KM_WPP_H

#include "wdm.h"
#include "evntrace.h" /* TRACE_LEVEL_* */

#ifdef __cplusplus
extern "C" {
#endif

/* One message: file, line and function of the call (for %!FILE!, %!LINE!,
 * %!FUNC!), the trace function's name and its level/flag arguments as
 * written, then the message and its arguments. */
void KmWppTrace(const char *file, int line, const char *func, const char *name, const char *tags, const char *msg,
                ...);
/* Accepts and ignores its arguments (WPP_INIT_TRACING, WPP_CLEANUP). */
void KmWppAccept(int what, ...);

#define KM_WPP_TRACE(name, tags, ...) KmWppTrace(__FILE__, __LINE__, __func__, name, tags, __VA_ARGS__)

/* The control GUID and its flags, as the driver's Trace.h defines them:
 * WPP_CONTROL_GUIDS is not expanded (flags are named at the call, not looked
 * up), so WPP_DEFINE_CONTROL_GUID and WPP_DEFINE_BIT only need to exist. */
#ifndef WPP_DEFINE_CONTROL_GUID
#define WPP_DEFINE_CONTROL_GUID(name, guid, bits)
#endif
#ifndef WPP_DEFINE_BIT
#define WPP_DEFINE_BIT(name)
#endif

/* Start and stop: WPP_INIT_TRACING(DriverObject, RegistryPath) (KMDF) or
 * WPP_INIT_TRACING(name) (UMDF); WPP_CLEANUP(DriverObject). Accept-only. */
#define WPP_INIT_TRACING(...) KmWppAccept(0, __VA_ARGS__)
#define WPP_CLEANUP(...) KmWppAccept(1, __VA_ARGS__)

/* Every level and flag is enabled. */
#ifndef WPP_LEVEL_ENABLED
#define WPP_LEVEL_ENABLED(flags) 1
#endif
#ifndef WPP_FLAG_ENABLED
#define WPP_FLAG_ENABLED(flags) 1
#endif

/* WPP's default trace function and the KMDF template's one, unless the
 * driver's configuration (the generated .tmh) defined them already. */
#ifndef DoTraceMessage
#define DoTraceMessage(FLAGS, MSG, ...) KM_WPP_TRACE("DoTraceMessage", #FLAGS, MSG __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef DoTraceLevelMessage
#define DoTraceLevelMessage(LEVEL, FLAGS, MSG, ...) \
    KM_WPP_TRACE("DoTraceLevelMessage", #LEVEL " " #FLAGS, MSG __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef TraceEvents
#define TraceEvents(LEVEL, FLAGS, MSG, ...) \
    KM_WPP_TRACE("TraceEvents", #LEVEL " " #FLAGS, MSG __VA_OPT__(, ) __VA_ARGS__)
#endif

/* ---- the in-flight recorder (wpprecorder.h), accept-only ------------------------------- */
#ifndef RECORDER_LOG_IDENTIFIER_MAX_CHARS
#define RECORDER_LOG_IDENTIFIER_MAX_CHARS 16
#endif
#define RECORDER_LOG_DEFAULT_BUFFER_SIZE 1024
typedef struct _RECORDER_LOG_OPAQUE *RECORDER_LOG;
typedef struct _RECORDER_LOG_CREATE_PARAMS {
    ULONG Size;
    ULONG LogTag;
    ULONG TotalBufferSize;
    ULONG ErrorPartitionSize;
    ULONG_PTR LogIdentifierAppendValue;
    BOOLEAN LogIdentifierAppendValueSet;
    ULONG LogIdentifierSize;
    CHAR LogIdentifier[RECORDER_LOG_IDENTIFIER_MAX_CHARS];
} RECORDER_LOG_CREATE_PARAMS, *PRECORDER_LOG_CREATE_PARAMS;

static inline VOID RECORDER_LOG_CREATE_PARAMS_INIT(PRECORDER_LOG_CREATE_PARAMS Params, PCSTR LogIdentifier)
{
    Params->Size = sizeof(*Params);
    Params->LogTag = 0;
    Params->TotalBufferSize = RECORDER_LOG_DEFAULT_BUFFER_SIZE;
    Params->ErrorPartitionSize = 0;
    Params->LogIdentifierAppendValue = 0;
    Params->LogIdentifierAppendValueSet = FALSE;
    Params->LogIdentifierSize = sizeof(Params->LogIdentifier);
    Params->LogIdentifier[0] = 0;
    for (ULONG i = 0; LogIdentifier && LogIdentifier[i] && i + 1 < sizeof(Params->LogIdentifier); i++) {
        Params->LogIdentifier[i] = LogIdentifier[i];
        Params->LogIdentifier[i + 1] = 0;
    }
}

/* The default log and created logs are handles that record nothing: every
 * message, whichever log it names, goes to dmarace's trace. */
RECORDER_LOG WppRecorderLogGetDefault(void);
NTSTATUS WppRecorderLogCreate(PRECORDER_LOG_CREATE_PARAMS CreateParams, RECORDER_LOG *RecorderLog);
VOID WppRecorderLogDelete(RECORDER_LOG RecorderLog);
NTSTATUS WppRecorderLogSetIdentifier(RECORDER_LOG RecorderLog, PCSTR LogIdentifier);
/* STATUS_NOT_SUPPORTED, no buffer: there is no recorder memory to dump. */
NTSTATUS WppRecorderDumpLiveDriverData(PVOID *OutBuffer, PULONG OutBufferLength, const void *Guid);

#ifdef __cplusplus
}
#endif
#endif
