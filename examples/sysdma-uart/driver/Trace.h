/*++

Module Name:

    Trace.h

Abstract:

    WPP tracing definitions for the system-DMA UART driver. The control GUID
    and the trace flags are this driver's own; the TraceEvents function is
    declared in the configuration block below, which the WPP preprocessor
    reads to generate each source file's .tmh.

Environment:

    Kernel mode

--*/

#pragma once

//
// Control GUID {6d2a58c1-4b7e-4f0a-9a3e-2c51d8e0b7a4}, and one flag per
// component of the driver.
//
#define WPP_CONTROL_GUIDS                                              \
    WPP_DEFINE_CONTROL_GUID(                                           \
        SysDmaUartTraceGuid, (6d2a58c1,4b7e,4f0a,9a3e,2c51d8e0b7a4),   \
        WPP_DEFINE_BIT(TRACE_DRIVER)                                   \
        WPP_DEFINE_BIT(TRACE_DEVICE)                                   \
        WPP_DEFINE_BIT(TRACE_QUEUE)                                    \
        WPP_DEFINE_BIT(TRACE_DMA)                                      \
        )

#define WPP_FLAG_LEVEL_LOGGER(flag, level)                             \
    WPP_LEVEL_LOGGER(flag)

#define WPP_FLAG_LEVEL_ENABLED(flag, level)                            \
    (WPP_LEVEL_ENABLED(flag) &&                                        \
     WPP_CONTROL(WPP_BIT_ ## flag).Level >= level)

#define WPP_LEVEL_FLAGS_LOGGER(lvl, flags)                             \
    WPP_LEVEL_LOGGER(flags)

#define WPP_LEVEL_FLAGS_ENABLED(lvl, flags)                            \
    (WPP_LEVEL_ENABLED(flags) && WPP_CONTROL(WPP_BIT_ ## flags).Level >= lvl)

//
// This comment block is scanned by the trace preprocessor to define our
// TraceEvents function.
//
// begin_wpp config
// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
// end_wpp
//
