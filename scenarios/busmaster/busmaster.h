/* busmaster.h: the bus-master DMA driver's view of its device (the model's
 * generic DMA device, env `device=generic`) and its context types, as a real
 * driver's header holds them. Plain KMDF driver code: only ntddk.h and wdf.h.
 *
 * The device: 32-bit little-endian registers in memory range 0, one
 * level-sensitive interrupt (line 0), two DMA channels. Channel 0 serves read
 * requests (device to memory), channel 1 write requests (memory to device).
 * A channel runs a table of descriptors (logical address, length) that the
 * driver writes into a common buffer, and reports the end of a run, or an
 * error, in INT_STATUS. */
#ifndef BUSMASTER_H
#define BUSMASTER_H

#include <ntddk.h>
#include <wdf.h>

/* ---- registers ----------------------------------------------------------------------- */

#define BM_DEVICE_ID_VALUE 0x444D4152u /* "DMAR" */

/* INT_STATUS (read, write 1 to clear) and INT_ENABLE bits. The line is
 * asserted while (INT_STATUS & INT_ENABLE) != 0. */
#define BM_INT_CH_DONE(c) (1u << (c))        /* channel c's run ended (also after an abort) */
#define BM_INT_CH_ERROR(c) (1u << (2 + (c))) /* channel c's run ended with an error or an abort */
#define BM_INT_CH_ALL(c) (BM_INT_CH_DONE(c) | BM_INT_CH_ERROR(c))
#define BM_INT_ALL (BM_INT_CH_ALL(0) | BM_INT_CH_ALL(1))

/* CONTROL */
#define BM_CONTROL_START 0x1u
#define BM_CONTROL_ABORT 0x2u
/* STATUS */
#define BM_STATUS_BUSY 0x1u
/* DIRECTION */
#define BM_DIRECTION_TO_MEMORY 0u   /* a read request */
#define BM_DIRECTION_FROM_MEMORY 1u /* a write request */

#define BM_CHANNELS 2
#define BM_READ_CHANNEL 0
#define BM_WRITE_CHANNEL 1

typedef struct _BM_CHANNEL_REGISTERS {
    ULONG Control;   /* +0x00 W */
    ULONG Status;    /* +0x04 R */
    ULONG DescLow;   /* +0x08 logical address of the descriptor table */
    ULONG DescHigh;  /* +0x0C */
    ULONG DescCount; /* +0x10 1..BM_MAX_DESCRIPTORS (0: packet mode) */
    ULONG Direction; /* +0x14 */
    ULONG BytesDone; /* +0x18 R: bytes the last run transferred */
    ULONG Length;    /* +0x1C packet mode only */
} BM_CHANNEL_REGISTERS;

typedef struct _BM_REGISTERS {
    ULONG IntStatus; /* 0x00 */
    ULONG IntEnable; /* 0x04 */
    ULONG DeviceId;  /* 0x08 */
    ULONG Reserved[5];
    BM_CHANNEL_REGISTERS Channel[BM_CHANNELS]; /* 0x20, 0x40 */
} BM_REGISTERS, *PBM_REGISTERS;

_Static_assert(offsetof(BM_REGISTERS, DeviceId) == 0x08, "DEVICE_ID at 0x08");
_Static_assert(offsetof(BM_REGISTERS, Channel[1].BytesDone) == 0x58, "channel 1 BYTES_DONE at 0x58");

/* One descriptor of a channel's table (16 bytes). */
typedef struct _BM_DESCRIPTOR {
    ULONG64 Address; /* logical address */
    ULONG Length;
    ULONG Reserved;  /* 0 */
} BM_DESCRIPTOR, *PBM_DESCRIPTOR;

_Static_assert(sizeof(BM_DESCRIPTOR) == 16, "a descriptor is 16 bytes");

#define BM_MAX_DESCRIPTORS 256
#define BM_DESCRIPTOR_TABLE_BYTES (BM_MAX_DESCRIPTORS * sizeof(BM_DESCRIPTOR))
#define BM_MAX_TRANSFER_LENGTH (64 * 1024)
#define BM_TIMEOUT_MS 100

/* ---- contexts -------------------------------------------------------------------------- */

struct _BM_DEVICE_CONTEXT;

/* A DMA channel and the one request it works on (its queue is sequential). */
typedef struct _BM_CHANNEL {
    ULONG Index;
    WDF_DMA_DIRECTION Direction;
    struct _BM_DEVICE_CONTEXT *Device;
    WDFQUEUE Queue;
    WDFDMATRANSACTION Transaction;  /* reused: Initialize, Execute, DmaCompleted*, Release */
    WDFCOMMONBUFFER DescriptorBuffer;
    PBM_DESCRIPTOR Descriptors;     /* its aligned virtual address */
    PHYSICAL_ADDRESS DescriptorsLogical;
    WDFTIMER Timer;                 /* the request's timeout */
    WDFSPINLOCK Lock;

    /* The request, under Lock (set up by the I/O handler before any other path
     * can see it). The I/O handler, the DMA path (the DPC), the cancel routine
     * and the timer each hold a reference; the last one out completes. */
    WDFREQUEST Request;
    size_t Length;
    LONG References;
    BOOLEAN Cancelable;  /* marked, and nobody has claimed the right to unmark */
    BOOLEAN TimerQueued; /* started, and nobody has claimed the right to stop it */
    BOOLEAN TimerFired;
    BOOLEAN DmaDone;     /* the final DmaCompleted* returned TRUE (or Execute failed) */
    NTSTATUS StopReason; /* STATUS_CANCELLED or STATUS_IO_TIMEOUT: the first wins */
    NTSTATUS CompletionStatus;
    size_t Information;

    /* Shared with the ISR: under the interrupt lock. */
    BOOLEAN Running;     /* START written; the ISR has not seen the run end */
    BOOLEAN AbortWanted; /* cancel or timeout asked for the channel to stop */
    BOOLEAN NotStarted;  /* EvtProgramDma did not start a stage (an abort was wanted) */
    BOOLEAN InDpc;       /* a DPC instance is finishing this channel's stages */
    ULONG Events;        /* INT_STATUS bits of this channel the ISR took, for the DPC */
    ULONG BytesDone;     /* BYTES_DONE of the run that ended */

    /* The DMA path's own (stages of one transaction never overlap). */
    size_t StageLength;  /* bytes of the stage EvtProgramDma programmed */
} BM_CHANNEL, *PBM_CHANNEL;

typedef struct _BM_DEVICE_CONTEXT {
    WDFDEVICE Device;
    PBM_REGISTERS Registers;
    SIZE_T RegistersLength;
    WDFINTERRUPT Interrupt;
    WDFDMAENABLER DmaEnabler;
    BM_CHANNEL Channel[BM_CHANNELS];
    LONG TransfersCompleted; /* statistics */
    /* busted variants only */
    WDFWAITLOCK StatisticsLock;
    WDFWORKITEM WorkItem;
    WDFREQUEST LoggedRequest;
    ULONG ResetChannel;
} BM_DEVICE_CONTEXT, *PBM_DEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(BM_DEVICE_CONTEXT, BmGetDeviceContext)

/* A timer's way back to its channel. */
typedef struct _BM_CHANNEL_LINK {
    PBM_CHANNEL Channel;
} BM_CHANNEL_LINK, *PBM_CHANNEL_LINK;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(BM_CHANNEL_LINK, BmGetChannelLink)

/* The driver's variants (BM_CORRECT, or one bug each; busmaster.c). */
typedef enum {
    BM_CORRECT = 0,
    BM_COMPLETE_IN_ISR,         /* the ISR fails the request on an error interrupt */
    BM_DMA_COMPLETED_IN_ISR,    /* the ISR calls DmaCompleted to start the next stage sooner */
    BM_ISR_STATE_UNLOCKED,      /* the DPC takes the ISR's events without the interrupt lock */
    BM_CANCEL_COMPLETES,        /* the cancel routine finishes the transaction and completes */
    BM_WORKITEM_OUTLIVES,       /* a work item logs the request after it was completed */
    BM_WAITLOCK_AT_DISPATCH,    /* the DPC counts transfers under a wait lock */
    BM_ISR_NO_ACK,              /* the ISR does not acknowledge INT_STATUS */
    BM_TABLE_AFTER_DELETE,      /* a work item replaces the descriptor table under a running channel */
} BM_VARIANT;

extern BM_VARIANT BmVariant;

DRIVER_INITIALIZE BmDriverEntry;

#endif
