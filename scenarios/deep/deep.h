/* deep.h: the deep busted drivers (deep.c, rows.c, docs/deep.md). */
#ifndef DEEP_H
#define DEEP_H

#include <ntddk.h>

NTSTATUS DeepDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

/* The correct driver and its variants, one bug each; chosen before each
 * execution (rows.c). */
typedef enum {
    DEEP_CORRECT = 0,
    DEEP_NESTED_FINAL_STOP,         /* a wanted stop made after a nested callback ended the transaction */
    DEEP_STOP_WHILE_BUSY,           /* a wanted stop made while another DMA-path invocation is in flight */
    DEEP_WANTED_STOP_UNCLAIMED,     /* the DMA path makes a wanted stop without the Stopping hand-over */
    DEEP_CALLBACK_UNREFERENCED,     /* the transfer-complete callback holds no reference on the request */
    DEEP_BUSY_COUNTED_LATE,         /* the callback counts itself busy after deciding about the hand-over */
    DEEP_ERROR_SKIPS_HANDOVER,      /* a DmaError callback during a stop finishes the transaction itself */
    DEEP_TIMEOUT_WALK_UNREFERENCED, /* a timeout stops the other reads in flight without a reference */
    DEEP_WALK_REFERENCE_LATE,       /* ... with a reference taken after the list's lock is dropped */
} DEEP_VARIANT;
extern DEEP_VARIANT DeepVariant;

#endif
