/* CxxCommon.h: included as "inc\cxxcommon.h", Windows style (another case,
 * a backslash): the build links that name to this file. */
#pragma once

#pragma warning(push)
#pragma warning(disable : 4201) /* MSVC's pragmas are ignored in driver code */

/* A driver's own print macro, called with no arguments after the format:
 * MSVC drops the comma, and so does the model's DbgPrintEx. */
#define CxxPrint(fmt, ...) DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, fmt, __VA_ARGS__)

__forceinline ULONG CxxTwice(ULONG v) { return 2 * v; }

#pragma warning(pop)
