/* fixed.h: the corrected completion protocol (fixed.c, docs/fixed-protocol.md). */
#ifndef FIXED_H
#define FIXED_H

#include <ntddk.h>

#define FIXED_MAX_LENGTH (64 * 1024)
#define FIXED_TIMEOUT_SECONDS 1

NTSTATUS FixedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

#endif
