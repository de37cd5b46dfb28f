/* Trace.h: the cxxtrace driver's WPP configuration, as a KMDF driver's
 * Visual Studio template writes it. dmarace's .tmh stand-in reads the
 * begin_wpp config block below (cmake/dmarace.cmake). */
#pragma once

#define WPP_CONTROL_GUIDS                                                          \
    WPP_DEFINE_CONTROL_GUID(CxxTraceGuid, (6a1b9a2e, 3f47, 4c1d, 9b8e, 0c5d7e2f4a61), \
                            WPP_DEFINE_BIT(TRACE_DRIVER) WPP_DEFINE_BIT(TRACE_QUEUE))

#define WPP_FLAG_LEVEL_LOGGER(flag, level) WPP_LEVEL_LOGGER(flag)
#define WPP_FLAG_LEVEL_ENABLED(flag, level) (WPP_LEVEL_ENABLED(flag) && WPP_CONTROL(WPP_BIT_##flag).Level >= level)
#define WPP_LEVEL_FLAGS_LOGGER(lvl, flags) WPP_LEVEL_LOGGER(flags)
#define WPP_LEVEL_FLAGS_ENABLED(lvl, flags) (WPP_LEVEL_ENABLED(flags) && WPP_CONTROL(WPP_BIT_##flags).Level >= lvl)

//
// begin_wpp config
// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
// FUNC Trace{FLAGS=TRACE_DRIVER}(LEVEL, MSG, ...);
// USEPREFIX(TraceQueue, "[%!FUNC!] ");
// FUNC TraceQueue{LEVEL=TRACE_LEVEL_VERBOSE, FLAGS=TRACE_QUEUE}(MSG, ...);
// FUNC TraceKd{LEVEL=TRACE_LEVEL_INFORMATION}((MSG, ...));
// end_wpp
//
