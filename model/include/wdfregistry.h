/* wdfregistry.h: one area of dmarace's wdf.h, as KMDF's headers are split;
 * a driver includes <wdf.h>. Registry keys are objects (WDFKEY); the values
 * they show come from the environment (km_env `registry=Name:value`) and from
 * the driver's own assignments in this execution (km_registry.c). */
#ifndef DMARACE_WDFREGISTRY_H
#define DMARACE_WDFREGISTRY_H

#include "wdfstring.h"

#ifdef __cplusplus
extern "C" {
#endif

_Must_inspect_result_ NTSTATUS WdfRegistryOpenKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName,
                                                  ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes,
                                                  WDFKEY *Key);
VOID WdfRegistryClose(WDFKEY Key);
_Must_inspect_result_ NTSTATUS WdfRegistryQueryValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueLength,
                                                     PVOID Value, PULONG ValueLengthQueried, PULONG ValueType);
_Must_inspect_result_ NTSTATUS WdfRegistryQueryUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName,
                                                             PUSHORT ValueByteLength, PUNICODE_STRING Value);
_Must_inspect_result_ NTSTATUS WdfRegistryQueryString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String);
_Must_inspect_result_ NTSTATUS WdfRegistryQueryULong(WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value);
_Must_inspect_result_ NTSTATUS WdfRegistryAssignValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType,
                                                      ULONG ValueLength, PVOID Value);
_Must_inspect_result_ NTSTATUS WdfRegistryAssignULong(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG Value);

#ifdef __cplusplus
}
#endif
#endif
