/* km_env.h: what a scenario tells the model about the world its driver runs
 * in, and the two calls that start and judge an execution. The driver itself
 * only sees wdf.h. */
#ifndef KM_ENV_H
#define KM_ENV_H

#include "km_client.h"
#include "wdf.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { KM_ENV_MAX_REQUESTS = 16, KM_PAGE_SIZE = 4096 };
/* Hardware resources (memory=, interrupts=): up to four memory ranges of up
 * to 1 MiB each, up to four interrupts. */
enum { KM_ENV_MAX_MEMORY = 4, KM_ENV_MAX_MEMORY_LENGTH = 1 << 20, KM_ENV_MAX_INTERRUPTS = 4 };

/* A registry value the environment gives (`registry=Name:value`, a REG_DWORD
 * every key of the model's registry shows; km_registry.c). */
enum { KM_ENV_REG_VALUES = 8, KM_ENV_REG_NAME = 32 };
typedef struct km_env_reg {
    char name[KM_ENV_REG_NAME];
    ULONG value;
} km_env_reg;

typedef struct km_env {
    bool verifier;              /* KMDF Verifier on (VerifierOn; checks gated by it fire) */
    bool enhanced_verifier;     /* EnhancedVerifierOptions 0x1: V34 on PnP/power and EvtIo* callbacks */
    bool strict_irql_exit;      /* dmarace's own V34 on every other callback */
    unsigned requests;          /* I/O requests the I/O manager sends, 1..KM_ENV_MAX_REQUESTS */
    bool concurrent;            /* all in flight at once; otherwise each after the previous completes */
    WDF_REQUEST_TYPE request_type; /* WdfRequestTypeRead or WdfRequestTypeWrite */
    unsigned writes;            /* writes=N: the last N requests are writes (WdfRequestTypeWrite), 0..requests */
    size_t request_length;      /* bytes per request */
    uint32_t map_registers;     /* the adapter's map registers: fragment <= (n - 1) pages */
    bool cancel;                /* the I/O manager may cancel a pending request at any moment */
    bool cancel_at_dispatch;    /* ... calling IoCancelIrp at DISPATCH_LEVEL as well as PASSIVE_LEVEL */
    bool dma_error;             /* the hardware may end a transfer with DmaError */
    bool dma_abort;             /* ... or with DmaAborted */
    bool short_mapping;         /* the HAL may map fewer bytes than asked */
    bool deferred_adapter;      /* _AdapterControl may run later, on a DPC, not inside Execute */
    bool sync_stop_callback;    /* [INF] StopSystemTransfer may deliver DmaCancelled synchronously */
    bool alloc_failure;         /* AllocateAdapterChannel may fail: Execute returns an error (off by default) */
    bool hal_failure;           /* MapTransferEx / FlushAdapterBuffersEx may fail (injected; off by default) */
    bool c2_status_lost;        /* protocol check C2: success only after a whole, successful transfer (on) */
    /* Hardware resources handed to EvtDevicePrepareHardware (docs/model.md). */
    unsigned memory_ranges;     /* memory=4K,64K: 1..KM_ENV_MAX_MEMORY ranges (default one of 4 KiB) */
    uint32_t memory_length[KM_ENV_MAX_MEMORY]; /* ... their lengths in bytes */
    unsigned interrupts;        /* interrupts=N: 0..KM_ENV_MAX_INTERRUPTS interrupt descriptors (default 0) */
    bool interrupt_latched;     /* their Flags: CM_RESOURCE_INTERRUPT_LATCHED, else level-sensitive (default) */
    km_env_reg registry[KM_ENV_REG_VALUES]; /* registry=Name:value, in order given */
    unsigned nregistry;
    unsigned dma_channels;      /* system DMA channels in the resource list, 1..4 (CmResourceTypeDma descriptors) */
    bool pool_failure;          /* ExAllocatePool* may return NULL (a tape choice; off by default) */
    /* The device model the world installs (device=; km_gendev.h, docs/model-device.md). */
    unsigned device;            /* KM_ENV_DEVICE_NONE (default) or KM_ENV_DEVICE_GENERIC (device=generic) */
    bool short_transfer;        /* the generic device may end a run short (BYTES_DONE < asked; on) */
    /* Interrupts (issue 14; docs/model-interrupt.md). */
    bool spurious_interrupts;   /* a connected WDFINTERRUPT's ISR may be called though its device did not
                                   interrupt (a shared line, a spurious interrupt): up to 2 per execution (on) */
    /* The device's life (issue 15; km_pnp.c, docs/model-pnp.md): PnP and power
     * events at moments the scheduler chooses, all off by default. */
    unsigned power_cycles;      /* power_cycles=N: N round trips D0 -> D3 -> D0 (0..4) */
    bool pnp_stop;              /* query-stop, stop (EvtDeviceReleaseHardware), restart */
    bool surprise_remove;       /* surprise removal, then the remove IRP */
    bool remove;                /* an orderly removal: query-remove, remove (surprise_remove wins) */
    /* Request types (issue 15; docs/model-request.md): the mix is reads, then
     * `ioctls` device controls, then `internal_ioctls` internal device
     * controls, then `writes` writes (the last N, as before). */
    unsigned ioctls;            /* ioctls=N: IRP_MJ_DEVICE_CONTROL requests (from user mode) */
    unsigned internal_ioctls;   /* internal_ioctls=N: IRP_MJ_INTERNAL_DEVICE_CONTROL (kernel mode) */
    unsigned ioctl;             /* ioctl=0x...: their IoControlCode; METHOD_ from its low two bits (0) */
    size_t ioctl_in, ioctl_out; /* ioctl_in=LEN, ioctl_out=LEN: their buffer lengths (0: none) */
} km_env;

/* device=: none (the scenario's own km_device_model_set, or plain register
 * memory) or generic, the model's bus-master DMA device (km_gendev.h), which
 * needs memory range 0 of at least KM_GENDEV_SPAN bytes and an interrupt. */
enum { KM_ENV_DEVICE_NONE = 0, KM_ENV_DEVICE_GENERIC = 1 };

/* Defaults: verifier on, one read request of 3 pages, map registers for one
 * page per transfer, every nondeterministic event live. */
void km_env_defaults(km_env *env);

/* Apply settings written as text ("requests=2 concurrent no-cancel
 * request_length=3p"; see model/src/km_envparse.c) on top of *env. Returns 0,
 * or -1 with a one-line reason in err. */
int km_env_parse(km_env *env, const char *text, char *err, size_t errlen);
/* Write the settings that differ from the defaults ("defaults" if none). */
size_t km_env_describe(const km_env *env, char *out, size_t outlen);

/* Start an execution's world, from a scenario's setup (main context): reset
 * the model, run DriverEntry, EvtDriverDeviceAdd and EvtDevicePrepareHardware
 * (with a memory and a DMA resource), then hand the requests to the I/O
 * manager, which presents them to the default queue on passive threads. */
typedef NTSTATUS KM_DRIVER_ENTRY(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
void km_world_start(const km_env *env, KM_DRIVER_ENTRY *driver_entry);

/* The same with a client (km_client.h; may be NULL): once EvtDeviceD0Entry
 * has returned, `client` runs on a passive thread of its own (processor 0,
 * Context NULL) and may start more. A driver with a client needs no default
 * I/O queue: without one the I/O manager sends no requests. The execution
 * ends, and km_world_check judges it, when every client task has returned. */
void km_world_start_client(const km_env *env, KM_DRIVER_ENTRY *driver_entry, KM_CLIENT *client);

/* The end-of-execution oracles, from a scenario's check: every request
 * completed exactly once and not with STATUS_PENDING, no transfer in flight,
 * no timer armed or DPC pending. */
void km_world_check(void);

/* Registers what the model's rules mean (model/src/km_rules.c) with the
 * engine (dr_set_rule_info), for the reports' rule metadata: once, from the
 * scenario table. */
void km_rules_register(void);

#ifdef __cplusplus
}
#endif
#endif
