/* Trace.h: the cxxtrace driver's WPP configuration, as a KMDF driver's
 * Visual Studio template writes it. dmarace's .tmh stand-in reads the
 * begin_wpp config block below (cmake/dmarace.cmake). */
#pragma once

#define WPP_CONTROL_GUIDS                                                          \
    WPP_DEFINE_CONTROL_GUID(CxxTraceGuid, (6a1b9a2e, 3f47, 4c1d, 9b8e, 0c5d7e2f4a61), \
                            WPP_DEFINE_BIT(TRACE_DRIVER) WPP_DEFINE_BIT(TRACE_QUEUE))

/* A neighbour included by name: this file is reached through the build's
 * case link "trace.h", so the name resolves as MSVC resolves it (the
 * including sources' directory), not only beside the link. */
#include "TraceLevels.h"

//
// begin_wpp config
// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
// FUNC Trace{FLAGS=TRACE_DRIVER}(LEVEL, MSG, ...);
// USEPREFIX(TraceQueue, "[%!FUNC!] ");
// FUNC TraceQueue{LEVEL=TRACE_LEVEL_VERBOSE, FLAGS=TRACE_QUEUE}(MSG, ...);
// FUNC TraceKd{LEVEL=TRACE_LEVEL_INFORMATION}((MSG, ...));
// end_wpp
//
