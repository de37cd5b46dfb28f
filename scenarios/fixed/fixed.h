/* fixed.h: the corrected completion protocol (fixed.c, docs/fixed-protocol.md). */
#ifndef FIXED_H
#define FIXED_H

#include <ntddk.h>

#define FIXED_MAX_LENGTH (64 * 1024)
#define FIXED_TIMEOUT_SECONDS 1

NTSTATUS FixedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

/* The protocol extended to the device's life (fixed/lifetime.c): EvtIoStop,
 * D0Entry/D0Exit, ReleaseHardware, a status IOCTL, a device status register
 * read by the DMA path (docs/fixed-protocol.md, "The device's life"). */
NTSTATUS FixedLifetimeDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

/* Its busted variants (docs/busted.md), chosen before each execution. */
typedef enum {
    FIXED_LIFETIME_CORRECT,
    FIXED_LIFETIME_ACK_IN_FLIGHT,              /* EvtIoStop acknowledges a request whose transfer runs */
    FIXED_LIFETIME_IOCTL_WRITE_AFTER_COMPLETE, /* the status IOCTL writes its output after completing */
    FIXED_LIFETIME_CANCEL_STOPS_UNCHECKED,     /* EvtIoStop keeps in-flight reads cancelable; EvtRequestCancel stops unchecked */
} FIXED_LIFETIME_VARIANT;
extern FIXED_LIFETIME_VARIANT FixedLifetimeVariant;

/* Its registers: memory range 0, one status register. */
#define FIXED_REGISTERS_LENGTH 0x10
#define FIXED_REG_STATUS 0 /* ULONG index */
#define FIXED_STATUS_ERROR 0x1u

/* IOCTL_FIXED_GET_STATS (METHOD_BUFFERED, no input): what the device did. */
#define IOCTL_FIXED_GET_STATS CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS)
typedef struct _FIXED_STATS {
    ULONG Completed; /* reads whose DMA path finished */
    ULONG InFlight;  /* transfers executed and not finished */
    ULONG PowerUps;  /* EvtDeviceD0Entry calls */
} FIXED_STATS, *PFIXED_STATS;

#endif
