/* park.h: a driver that keeps the reads it retrieves from a manual queue in
 * its own list (park.c), and its busted variants (docs/busted.md). */
#ifndef PARK_H
#define PARK_H

#include <ntddk.h>

typedef enum {
    PARK_CORRECT,
    PARK_STOP_IGNORED,       /* a: EvtIoStop neither acknowledges nor completes */
    PARK_FORGETS_AT_REMOVAL, /* c: uncancelable held reads dropped from the list at the purge, never completed */
    PARK_COMPLETES_FORWARDED /* d: EvtIoRead completes the read it forwarded to the manual queue */
} PARK_VARIANT;
extern PARK_VARIANT ParkVariant;

enum { PARK_MAX_HELD = 16 };

NTSTATUS ParkDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

#endif
