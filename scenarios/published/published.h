/* published.h: the published protocol's driver and its I/O handler variants.
 * Each variant changes exactly one choice of the handler (published.c). */
#ifndef PUBLISHED_H
#define PUBLISHED_H

#include <ntddk.h>

#define PUBLISHED_MAX_LENGTH (64 * 1024)

typedef enum {
    PUBLISHED_AS_IMPLIED = 0,            /* the handler as the protocol implies */
    PUBLISHED_MARK_AFTER_EXECUTE,        /* marks the request cancelable after Execute */
    PUBLISHED_TIMER_REF_NEVER_STARTED,   /* counts a timer reference for a timer it never starts */
    PUBLISHED_EXECUTE_FAILURE_COMPLETES, /* Execute failure: drop the execution reference and complete */
} published_variant;

extern published_variant PublishedVariant;
NTSTATUS PublishedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

#endif
