/* km.h: the KMDF model's internals, shared by model/src/km_*.c. Drivers see
 * only wdf.h; scenarios see model/include/km_env.h.
 *
 * Objects live in a per-execution table. A handle is a tagged value
 * (generation << 20 | index, in a non-canonical address range so a driver that
 * dereferences one faults); every DDI resolves it with km_lookup, which
 * catches NULL, foreign, wrong-type and stale handles (V30, C11).
 *
 * Every DDI is a scheduling point on entry (km_enter), so other processors
 * interleave between any two framework calls. Framework state that the real
 * KMDF protects with its own locks is changed without a scheduling point in
 * between (atomically, as far as other processors can tell); state the real
 * KMDF does not lock (the DMA transaction's m_State and counters, see
 * kmdf-model-spec.md 0.1) gets a scheduling point between its read and its
 * write, so drivers that call those DDIs concurrently can be caught. */
#ifndef KM_H
#define KM_H

#include "dr/dr.h"
#include "km_env.h"
#include "wdf.h"

#include <stdarg.h>

/* ---- object types ---------------------------------------------------------- */
#define KM_OBJECT_TYPES(X)                                                                                \
    X(DRIVER, "DRV", "WDFDRIVER")                                                                         \
    X(DEVICE, "DEV", "WDFDEVICE")                                                                         \
    X(QUEUE, "Q", "WDFQUEUE")                                                                             \
    X(REQUEST, "REQ", "WDFREQUEST")                                                                       \
    X(DMAENABLER, "DMAE", "WDFDMAENABLER")                                                                \
    X(DMATRANSACTION, "TX", "WDFDMATRANSACTION")                                                          \
    X(TIMER, "TMR", "WDFTIMER")                                                                           \
    X(SPINLOCK, "LOCK", "WDFSPINLOCK")                                                                    \
    X(CMRESLIST, "RES", "WDFCMRESLIST")                                                                   \
    X(KEY, "KEY", "WDFKEY")                                                                               \
    X(STRING, "STR", "WDFSTRING")                                                                         \
    X(COLLECTION, "COLL", "WDFCOLLECTION")                                                                \
    X(COMMONBUFFER, "CB", "WDFCOMMONBUFFER")                                                            \
    X(DPC, "DPC", "WDFDPC")                                                                               \
    X(WORKITEM, "WI", "WDFWORKITEM")                                                                      \
    X(WAITLOCK, "WL", "WDFWAITLOCK")                                                                      \
    X(INTERRUPT, "INT", "WDFINTERRUPT")                                                                   \
    X(MEMORY, "MEM", "WDFMEMORY")

typedef enum {
    KM_T_NONE = 0,
#define KM_X(e, p, n) KM_T_##e,
    KM_OBJECT_TYPES(KM_X)
#undef KM_X
        KM_T__COUNT
} km_type;

const char *km_type_name(km_type t);   /* "WDFREQUEST" */
const char *km_type_prefix(km_type t); /* "REQ" */

typedef enum {
    KM_OBJ_FREE = 0,
    KM_OBJ_LIVE,
    KM_OBJ_DISPOSED, /* deleted (or completed), memory still held by references */
} km_obj_state;

enum { KM_MAX_OBJECTS = 512, KM_MAX_CONTEXTS = 3, KM_MAX_RESOURCES = 16 };

typedef struct km_object km_object;

/* A framework callback lock (FxCallbackLock, src/framework/shared/inc/private/
 * common/fxcallbackspinlock.hpp and fxcallbackmutexlock.hpp): a spin lock for
 * DISPATCH execution level, a mutex (FAST_MUTEX) for PASSIVE. km_lock.c. */
typedef struct km_cblock {
    bool passive;           /* FxCallbackMutexLock, else FxCallbackSpinLock */
    uint32_t owner_task;    /* m_OwnerThread: task id, 0 when free */
    unsigned prev_irql;     /* m_PreviousIrql, for WdfObjectAcquireLock */
    dr_spinlock spin;       /* the spin variant's lock */
    char name[16];          /* "DEV1-lock", "Q2-lock" */
} km_cblock;

/* ---- per-type state ------------------------------------------------------------ */

typedef struct km_driver {
    PFN_WDF_DRIVER_DEVICE_ADD device_add;
    PFN_WDF_DRIVER_UNLOAD unload;
    WDF_EXECUTION_LEVEL level;       /* resolved constraints (fxdriver.cpp#ConfigureConstraints) */
    WDF_SYNCHRONIZATION_SCOPE scope;
    km_cblock cblock;                /* m_CallbackMutexLock */
} km_driver;

/* ---- setup DDIs the model accepts (km_accept.c; docs/api-support.md) ---- */
/* What WdfDeviceInit* recorded; WdfDeviceCreate copies it into the device. */
typedef struct km_init_setup {
    bool ppo_set, ppo;                     /* WdfDeviceInitSetPowerPolicyOwnership */
    WDF_POWER_POLICY_EVENT_CALLBACKS ppo_callbacks; /* never called */
    wchar_t name[64];                      /* WdfDeviceInitAssignName (truncated copy) */
    bool has_name;
    DEVICE_TYPE device_type;               /* WdfDeviceInitSetDeviceType (FILE_DEVICE_UNKNOWN by default) */
    bool exclusive;
    ULONG characteristics;                 /* WdfDeviceInitSetCharacteristics */
    int power_pageable;                    /* 0 unset, 1 pageable, 2 not pageable */
    WDF_FILEOBJECT_CONFIG file_config;     /* callbacks never called */
    bool has_file_config;
    wchar_t sddl[96];                      /* WdfDeviceInitAssignSDDLString (truncated copy) */
    bool has_sddl;
} km_init_setup;

enum { KM_MAX_QUERY_INTERFACES = 4, KM_MAX_INTERFACE_BYTES = 256, KM_MAX_DEVICE_INTERFACES = 4 };

/* An interface WdfDeviceAddQueryInterface registered (FxQueryInterface). */
typedef struct km_query_interface {
    GUID type;                             /* m_InterfaceType */
    bool has_interface;                    /* m_Interface != NULL */
    union {
        INTERFACE hdr;
        uint8_t bytes[KM_MAX_INTERFACE_BYTES];
    } copy;                                /* m_Interface: the driver's INTERFACE, copied */
    bool import;                           /* m_ImportInterface */
    bool send_to_parent;                   /* m_SendQueryToParentStack */
    PFN_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST process; /* m_ProcessRequest */
} km_query_interface;

typedef struct km_device_setup {
    km_init_setup init;
    bool s0_idle_set;
    WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS s0_idle;
    bool sx_wake_set;
    WDF_DEVICE_POWER_POLICY_WAKE_SETTINGS sx_wake;
    bool pofx_set;
    WDF_POWER_FRAMEWORK_SETTINGS pofx;
    LONG stop_idle_count;                  /* StopIdle minus ResumeIdle */
    struct {
        GUID guid;
        bool enabled;
    } interfaces[KM_MAX_DEVICE_INTERFACES]; /* WdfDeviceCreateDeviceInterface / SetDeviceInterfaceState */
    unsigned ninterfaces;
    bool has_symlink;
    wchar_t symlink[64];
    bool pnp_caps_set, power_caps_set;
    WDF_DEVICE_PNP_CAPABILITIES pnp_caps;
    WDF_DEVICE_POWER_CAPABILITIES power_caps;
    ULONG alignment;                       /* WdfDeviceSet/GetAlignmentRequirement */
    WDF_DEVICE_FAILED_ACTION failed;       /* WdfDeviceSetFailed: WdfDeviceFailedUndefined if never */
    km_query_interface qi[KM_MAX_QUERY_INTERFACES];
    unsigned nqi;
} km_device_setup;

typedef struct km_device {
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_DEVICE_IO_TYPE io_type;
    WDF_OBJECT_ATTRIBUTES request_attrs; /* from WdfDeviceInitSetRequestAttributes */
    bool has_request_attrs;
    km_object *default_queue;
    km_object *dispatch[WdfRequestTypeMax]; /* WdfDeviceConfigureRequestDispatching (m_DispatchTable) */
    bool pnp_started;                /* left WdfDevStatePnpInit: EvtDevicePrepareHardware is next */
    km_object *dma_enabler;
    WDF_EXECUTION_LEVEL level;       /* resolved (fxdevicebase.cpp#ConfigureConstraints) */
    WDF_SYNCHRONIZATION_SCOPE scope;
    km_cblock cblock;                /* the device's callback lock, shared by Device-scope queues */
    km_device_setup setup;           /* km_accept.c */
} km_device;

typedef struct km_queue {
    WDF_IO_QUEUE_CONFIG config;
    km_object *device;
    unsigned presented;       /* requests presented and not yet completed */
    /* fxioqueue.cpp#ConfigureConstraints */
    bool passive;             /* m_PassiveLevel */
    WDF_SYNCHRONIZATION_SCOPE scope; /* resolved */
    km_cblock own_lock;       /* m_CallbackSpinLock / m_CallbackMutexLock */
    km_cblock *lock;          /* m_CallbackLockPtr: own_lock, or the device's (Device scope) */
    km_cblock *cb_lock;       /* the lock around EvtIo* and EvtRequestCancel: lock, or NULL (scope None) */
    /* fxioqueue.cpp#DispatchEvents */
    unsigned dispatching;     /* m_Dispatching: threads in the dispatch loop */
    km_object *cancelled[KM_ENV_MAX_REQUESTS]; /* m_Cancelled, FIFO */
    unsigned ncancelled;
    dr_dpc dpc;               /* m_Dpc (deferred dispatch) */
    bool dpc_queued;          /* m_DpcQueued */
    bool wi_queued;           /* m_WorkItemQueued */
    /* issue 15 (km_queue.c): the requests not yet presented (m_Queue, FIFO),
     * those cancelled there for EvtIoCanceledOnQueue (m_CanceledOnQueueList),
     * the queue's state (m_QueueState: accepting, dispatching) and its power
     * state (m_PowerState), and the driver's pending notifications. */
    km_object *pending[KM_ENV_MAX_REQUESTS];
    unsigned npending;
    km_object *canceled_on_queue[KM_ENV_MAX_REQUESTS];
    unsigned ncanceled_on_queue;
    bool accepting;           /* WdfIoQueueAcceptRequests */
    bool dispatch_on;         /* WdfIoQueueDispatchRequests */
    bool power_managed;       /* m_PowerManaged */
    int power;                /* km_queue_power_state (km_queue.c) */
    bool from_empty;          /* m_TransitionFromEmpty */
    PFN_WDF_IO_QUEUE_STATE ready_fn; /* m_ReadyNotify */
    WDFCONTEXT ready_ctx;
    PFN_WDF_IO_QUEUE_STATE idle_fn;  /* m_IdleComplete */
    WDFCONTEXT idle_ctx;
    PFN_WDF_IO_QUEUE_STATE purge_fn; /* m_PurgeComplete */
    WDFCONTEXT purge_ctx;
    bool sync_waiting;        /* a *Synchronously call waits for idle_fn/purge_fn */
    bool power_purge;         /* stopping for removal (FxIoQueuePowerPurge*) */
    bool stop_notifying;      /* EvtIoStop being delivered (IsPowerStateNotifyingDriver) */
} km_queue;

/* Request sub-states, kmdf-model-spec.md section 3. */
#define KM_REQ_STATES(X)                                                                                  \
    X(OWNED, "owned")                       /* driver-owned, not cancelable */                            \
    X(CANCELABLE, "cancelable")             /* in the CSQ, routine armed */                               \
    X(CANCEL_QUEUED, "cancel-queued")       /* removed by IRP cancel; callback not yet entered */         \
    X(CANCEL_RUNNING, "cancel-running")     /* EvtRequestCancel running */                                \
    X(CANCELLED_OWNED, "cancelled-owned")   /* callback returned; driver must complete */                 \
    X(COMPLETED, "completed")

typedef enum {
#define KM_X(e, s) KM_REQ_##e,
    KM_REQ_STATES(KM_X)
#undef KM_X
} km_req_state;
const char *km_req_state_name(km_req_state s);

typedef struct km_request {
    km_req_state state;
    km_object *queue;
    WDF_REQUEST_TYPE type;
    size_t length;             /* buffer length (read, write) */
    /* device control and internal device control (issue 15): the IRP's
     * IoControlCode and its buffer lengths (Parameters.DeviceIoControl) */
    ULONG ioctl;
    size_t in_length, out_length;
    uint8_t *buffer;           /* the request's buffer (arena memory) */
    uint32_t buffer_alloc;     /* its km_alloc id */
    ULONG_PTR information;
    NTSTATUS status;           /* completion status once completed */
    bool irp_cancelled;        /* IoCancelIrp happened (the IRP's Cancel flag) */
    bool driver_cancelable;    /* verifier shadow flag DRIVER_CANCELABLE */
    uint32_t cancelable_mark;  /* dr_trace_mark at the Mark call that made it cancelable (a V16 relates to it) */
    bool verifier_cancelled;   /* verifier shadow flag CANCELLED */
    bool driver_owned;         /* verifier: presented to the driver and not completed */
    PFN_WDF_REQUEST_CANCEL cancel_routine;
    int32_t irp_refs;          /* m_IrpReferenceCount: a DMA transaction holds one (V19) */
    bool completed_cancelable; /* completed with its cancel routine armed (verifier off): C5 */
    bool unmark_said_cancelled; /* WdfRequestUnmarkCancelable returned STATUS_CANCELLED (R3) */
    uint32_t dispatch_task;    /* task running EvtIo* for this request, 0 when none */
    bool on_cancelled_list;    /* in its queue's m_Cancelled, callback not yet dispatched */
    bool device_owned;         /* a transaction between Execute and its final DmaCompleted* holds the buffer (C13) */
    bool tx_final;             /* a transaction on it reached its final DmaCompleted* (C2) */
    NTSTATUS tx_status;        /* ... with this status */
    size_t tx_bytes;           /* ... and this many bytes transferred */
    bool tx_stopped;           /* ... after StopSystemTransfer */
    dr_event cancel_event;     /* the I/O manager's IoCancelIrp, armed while pending */
    dr_spinlock queue_lock;    /* stands for the queue lock around cancel state */
    MDL mdl;                   /* WdfRequestRetrieve*WdmMdl's (FxRequest::GetMdl's m_AllocatedMdl) */
    bool has_mdl;
    /* the queue's view (km_queue.c, issue 15) */
    bool on_queue;             /* in its queue's m_Queue, not yet presented */
    bool presented_once;       /* m_Presented: presented to the driver at least once */
    bool stop_pending;         /* EvtIoStop called, not yet acknowledged nor completed */
    bool stop_acked;           /* WdfRequestStopAcknowledge(Requeue=FALSE) during a stop */
    bool in_driver_list;       /* counted in its queue's m_DriverIoCount (InsertInDriverOwnedList) */
    /* request types (issue 15; km_reqbuf.c, docs/model-request.md) */
    bool kernel_mode;          /* the IRP's RequestorMode is KernelMode (internal device controls) */
    uint8_t *out_buffer;       /* IN/OUT_DIRECT: the output buffer Irp->MdlAddress describes; NEITHER: UserBuffer */
    uint32_t out_alloc;        /* its km_alloc id (when out_buffer) */
    MDL out_mdl;               /* Irp->MdlAddress of a direct IOCTL (out_length > 0) */
    uint8_t *user_out;         /* METHOD_BUFFERED: the caller's output buffer the I/O manager copies back to */
    uint32_t user_out_alloc;
    size_t copied_back;        /* ... bytes copied back at completion */
    bool buffers_freed;        /* the IRP completed: its system buffer and MDL pages are gone */
    km_object *memory[2];      /* RetrieveInputMemory / RetrieveOutputMemory's WDFMEMORY (m_SystemBuffer,
                                  m_OutputBuffer), children of the request */
    bool driver_created;       /* WdfRequestCreate (REQUEST_ALLOCATED_INTERNAL, no IRP without a target) */
    bool in_evtiostop;         /* its EvtIoStop runs (FXREQUEST_FLAG_DRIVER_IN_EVTIOSTOP_CONTEXT) */
} km_request;

/* DMA transaction states, kmdf-model-spec.md 2.1. */
#define KM_TX_STATES(X)                                                                                   \
    X(INVALID, "Invalid")                                                                                 \
    X(CREATED, "Created")                                                                                 \
    X(RESERVED, "Reserved")                                                                               \
    X(INITIALIZED, "Initialized")                                                                         \
    X(TRANSFER, "Transfer")                                                                               \
    X(TRANSFER_COMPLETED, "TransferCompleted")                                                            \
    X(TRANSFER_FAILED, "TransferFailed")                                                                  \
    X(RELEASED, "Released")                                                                               \
    X(DELETED, "Deleted")

typedef enum {
#define KM_X(e, s) KM_TX_##e,
    KM_TX_STATES(KM_X)
#undef KM_X
} km_tx_state;
const char *km_tx_state_name(km_tx_state s);

/* A system DMA adapter (one DMA channel): IoGetDmaAdapter returns the same
 * adapter for the same channel, so enablers configured with the same
 * channel share it (docs/model-dma.md). */
typedef struct km_dmaadapter {
    DMA_ADAPTER wdm;              /* what WdfDmaEnablerWdmGetDmaAdapter returns */
    bool used;
    ULONG channel, request_line;  /* the descriptor's u.Dma.Channel / u.Dma.Port */
    DMA_WIDTH width;
    km_object *channel_owner;     /* transaction holding the adapter channel, or NULL */
    km_object *channel_waiters[8];/* transactions waiting for the channel, FIFO */
    unsigned nwaiters;
    unsigned channel_frees;       /* FreeAdapterChannel calls by the HAL's owners (trace) */
    bool bus_master;              /* a bus-master adapter (packet / scatter-gather profile): no channel number */
} km_dmaadapter;

enum { KM_MAX_DMA_ADAPTERS = 4 };

typedef struct km_dmaenabler {
    WDF_DMA_ENABLER_CONFIG config;
    km_object *device;
    size_t max_fragment;          /* MaximumFragmentLength (2.3) */
    bool system_profile_configured[2]; /* per direction */
    km_dmaadapter *adapter[2];    /* per direction (a simplex enabler: the same one) */
    /* km_dma.c */
    size_t max_sg_elements;       /* m_MaxSGElements (scatter-gather profiles only) */
    bool system_profile;          /* WdfDmaProfileSystem or SystemDuplex */
    bool duplex;                  /* WdfDmaProfileSystemDuplex */
    size_t maximum_length;        /* Config.MaximumLength (m_MaximumLength) */
    /* bus-master profiles (km_dma.c) */
    bool bus_master;              /* m_IsBusMaster: Packet*, ScatterGather* */
    bool scatter_gather;          /* m_IsScatterGather */
} km_dmaenabler;

typedef struct km_dmatx {
    km_tx_state state;
    km_object *enabler;
    km_object *request;        /* raw pointer (SetRequest); referenced while strong */
    bool request_strong;       /* ReferenceRequest taken at Execute */
    PFN_WDF_PROGRAM_DMA program_dma;
    PFN_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE transfer_complete;
    PVOID transfer_complete_context;
    WDF_DMA_DIRECTION direction;
    WDFCONTEXT context;        /* Execute's Context */
    size_t length, remaining, transferred, fragment;
    bool is_cancelled;         /* m_IsCancelled (unlocked in KMDF) */
    bool adapter_info_valid;   /* m_AdapterInfo != NULL */
    bool channel_allocated;    /* adapter channel held */
    bool mapped;               /* a transfer is mapped on the HAL (hardware running) */
    bool hal_cancel_requested; /* CancelMappedTransfer succeeded for the current transfer */
    uint32_t transfers;        /* transfers staged so far */
    /* staging, under the transfer-state lock */
    dr_spinlock transfer_lock;
    uint32_t staging_task;     /* task id of the staging thread, 0 if none */
    bool rerun_staging, rerun_completion;
    DMA_COMPLETION_STATUS rerun_status;
    dr_event hw_done;          /* the hardware finishing the mapped transfer */
    dr_dpc hal_dpc;            /* HAL completion DPC */
    DMA_COMPLETION_STATUS hal_status;
    dr_dpc adapter_dpc;        /* deferred _AdapterControl when the channel frees */
    SCATTER_GATHER_LIST sg;    /* one element: system DMA uses the shared buffer */
    /* km_dma.c */
    WDFREQUEST request_handle; /* the handle SetRequest stored (GetRequest returns it as is) */
    uint8_t *buffer;           /* the request's buffer: the SG list's (identity-mapped) address */
    uint16_t request_gen;      /* generation of `request` when SetRequest stored it */
    size_t max_fragment;       /* m_MaxFragmentLength, set by Initialize */
    bool channel_pending;      /* AllocateAdapterChannel issued, _AdapterControl not started */
    bool hw_notify;            /* MapTransferEx got a completion routine for the current transfer */
    bool hal_dpc_pending;      /* hardware finished, HAL completion DPC queued, not yet run */
    uint32_t completing_task;  /* task inside the unlocked part of DmaCompleted*, 0 if none */
    uint32_t program_dma_task; /* task inside EvtProgramDma, 0 if none */
    /* the rest of system DMA (km_dma.c) */
    km_dmaadapter *adapter;    /* m_AdapterInfo->AdapterObject: set by Initialize / AllocateResources */
    PMDL mdl;                  /* m_StartMdl (NULL for InitializeUsingRequest: the model's requests have none) */
    ULONG device_offset;       /* m_DeviceAddressOffset */
    bool immediate;            /* m_Flags & DMA_SYNCHRONOUS_CALLBACK */
    bool require_single;       /* m_RequireSingleTransfer */
    PFN_WDF_DMA_TRANSACTION_CONFIGURE_DMA_CHANNEL configure_channel;
    PVOID configure_channel_context;
    ULONG reserved_mr;         /* m_MapRegistersReserved */
    PFN_WDF_RESERVE_DMA reserve_dma;
    PVOID reserve_dma_context;
    uint8_t transfer_context[DMA_TRANSFER_CONTEXT_SIZE_V1];
    /* bus-master scatter-gather (km_dma.c) */
    SCATTER_GATHER_LIST *sgl;  /* m_SGListBuffer: the list BuildScatterGatherList fills (guarded memory) */
    uint32_t sgl_alloc;        /* its km_alloc id */
    ULONG sgl_capacity;        /* elements it holds */
    bool sg_live;              /* m_SGList != NULL: a stage is built and not yet put back */
    uint32_t released_mark;    /* dr_trace_mark when m_AdapterInfo went NULL (a V13 finding relates to it) */
} km_dmatx;

/* Timer states, kmdf-model-spec.md section 4 and 6.1. */
#define KM_TMR_STATES(X)                                                                                  \
    X(IDLE, "Idle")                                                                                       \
    X(QUEUED, "Queued")                                                                                   \
    X(EXPIRED_DPC_PENDING, "Expired-DPC-pending")                                                         \
    X(RUNNING, "Running")                                                                                 \
    X(RUNNING_DOWN, "RunningDown")                                                                        \
    X(DELETED, "Deleted")

typedef enum {
#define KM_X(e, s) KM_TMR_##e,
    KM_TMR_STATES(KM_X)
#undef KM_X
} km_tmr_state;
const char *km_tmr_state_name(km_tmr_state s);

typedef struct km_timer {
    km_tmr_state state;
    WDF_TIMER_CONFIG config;
    WDF_EXECUTION_LEVEL level;  /* passive timers run their callback in a work item */
    dr_vtimer expiry;           /* the kernel timer on the virtual clock */
    dr_dpc dpc;                 /* the timer DPC */
    uint32_t callback_task;     /* task running EvtTimerFunc, 0 if none */
    uint32_t stop_wait_task;    /* task inside Stop(TRUE), 0 if none */
    bool delete_pending;        /* WdfObjectDelete called, rundown not done */
    bool running_after_delete;
    /* km_timer.c (kmdf-model-spec.md 4, 6.1): the kernel timer, DPC and work
     * item are changed atomically (relaxed atomics, see km_timer.c); the
     * FxTimer fields below them under the timer's own lock. */
    km_object *parent;          /* m_Object: referenced until the rundown */
    km_cblock *cb_lock;         /* m_CallbackLock (AutomaticSerialization), or NULL */
    bool queued;                /* in the kernel timer queue (vtimer armed) */
    bool dpc_queued;            /* expired, DPC queued and not started */
    uint32_t dpc_active;        /* timer DPCs executing */
    bool wi_enqueued;           /* passive: work item queued, not started */
    uint32_t wi_running;        /* passive: work items executing */
    bool running_down;          /* m_RunningDown: Dispose has started */
    bool stop_again;            /* m_StopAgain */
    bool start_aborted;         /* m_StartAborted */
    bool rundown_done;          /* FlushAndRundown finished */
    uint32_t rundown_task;      /* deferred rundown thread, 0 if none */
    char hb_arm, hb_dpc, hb_wi, hb_done, hb_lock, hb_rundown; /* TSan sync addresses */
} km_timer;

typedef struct km_lock {
    dr_spinlock lock;
    unsigned old_irql;
    uint32_t owner_task;
    char name[16];              /* "LOCK3": the engine's name for the lock */
} km_lock;

/* ---- deferral objects (km_defer.c, docs/model-defer.md) ---- */
/* A WDFDPC (FxDpc): a KDPC and its callback. */
typedef struct km_dpcobj {
    WDF_DPC_CONFIG config;
    km_object *parent;          /* m_Object: referenced until the rundown */
    km_cblock *cb_lock;         /* m_CallbackLock (AutomaticSerialization), or NULL */
    dr_dpc dpc;                 /* m_Dpc */
    bool queued;                /* in a processor's DPC queue, not started */
    uint32_t active;            /* DPC routines executing */
    uint32_t callback_task;     /* task running EvtDpcFunc, 0 if none */
    bool running_down;          /* m_RunningDown */
    bool rundown_done;          /* FlushAndRundown finished */
    char hb_q, hb_done, hb_rundown; /* TSan sync addresses */
} km_dpcobj;

/* A WDFWORKITEM (FxWorkItem): an IO_WORKITEM run on a system worker thread. */
typedef struct km_workitem {
    WDF_WORKITEM_CONFIG config;
    km_object *parent;          /* m_Object */
    km_cblock *cb_lock;         /* m_CallbackLock (AutomaticSerialization), or NULL */
    bool enqueued;              /* m_Enqueued */
    uint32_t running;           /* m_WorkItemRunningCount */
    uint32_t thread_task;       /* m_WorkItemThread: task running the item, 0 if none */
    bool running_down;          /* m_RunningDown */
    bool rundown_done;          /* FlushAndRundown finished */
    char hb_q, hb_done, hb_rundown; /* TSan sync addresses */
} km_workitem;

/* A WDFWAITLOCK (FxWaitLock): a synchronization KEVENT, signalled when free,
 * and m_OwningThread. */
typedef struct km_waitlock {
    KEVENT event;               /* m_Event */
    uint32_t owner_task;        /* m_OwningThread, 0 when free */
} km_waitlock;

/* A registry key (FxRegKey): the access it was opened with. */
typedef struct km_key {
    ACCESS_MASK access;
} km_key;

/* A WDFSTRING (FxString): its own copy of the text, in driver-visible memory. */
typedef struct km_string {
    UNICODE_STRING str;
    uint32_t alloc; /* km_alloc id of str.Buffer, when it has one */
    bool has_alloc;
} km_string;

/* A WDFCOLLECTION (FxCollection): its items in order, each referenced. */
enum { KM_MAX_COLLECTION = 32 };
typedef struct km_collection {
    km_object *items[KM_MAX_COLLECTION];
    ULONG count;
} km_collection;

/* A WDFINTERRUPT (FxInterrupt: src/framework/shared/irphandlers/pnp/
 * interruptobject.cpp, km/interruptobjectkm.cpp; km_interrupt.c). */
typedef struct km_interrupt {
    WDF_INTERRUPT_CONFIG config;
    km_object *device;           /* m_Device */
    bool in_prepare_hardware;    /* m_CreatedInPrepareHardware */
    int line;                    /* the interrupt resource assigned (its line), -1 none (Vector 0) */
    WDF_INTERRUPT_INFO info;     /* m_InterruptInfo */
    unsigned sync_irql;          /* m_SynchronizeIrql */
    bool connected;              /* m_Connected: IoConnectInterruptEx done (the kernel delivers) */
    bool enabled;                /* m_Enabled: EvtInterruptEnable succeeded */
    bool force_disconnected;     /* m_ForceDisconnected: WdfInterruptDisable */
    dr_spinlock builtin_lock;    /* m_BuiltInSpinLock */
    dr_spinlock *lock;           /* m_SpinLock: the built-in one or the config's WDFSPINLOCK's */
    unsigned old_irql;           /* m_OldIrql (WdfInterruptAcquireLock) */
    uint32_t lock_owner;         /* task holding the lock through AcquireLock, 0 if none */
    dr_isr isr;                  /* the ISR as the engine raises it */
    uint32_t isr_task;           /* task running the ISR, 0 if none */
    bool isr_spurious;           /* the pending or running ISR is a spurious one */
    unsigned unacked;            /* ISR returns in a row with its level line still asserted */
    dr_event spurious;           /* a spurious or shared-line interrupt, armed while connected */
    dr_dpc dpc;                  /* m_Dpc */
    bool dpc_queued;             /* ... queued, not started */
    unsigned dpc_running;        /* DPC activations executing */
    bool wi_queued;              /* m_SystemWorkItem enqueued, not started */
    unsigned wi_running;         /* work items executing */
    km_cblock *cb_lock;          /* m_CallbackLock (AutomaticSerialization), or NULL */
    char name[16];               /* "INT1-lock" */
    int kinterrupt;              /* what WdfInterruptWdmGetInterrupt points to */
} km_interrupt;

/* A WDFMEMORY (km_memory.c): FxMemoryBufferFromPool, FxMemoryBufferPreallocated,
 * or a request's FxRequestSystemBuffer / FxRequestOutputBuffer. */
typedef struct km_memory {
    uint8_t *buffer;           /* GetBuffer() */
    size_t length;             /* GetBufferSize() */
    uint32_t alloc;            /* km_alloc id of pool memory WdfMemoryCreate allocated */
    bool owns_alloc;           /* ... freed with the object */
    bool preallocated;         /* FX_TYPE_MEMORY_PREALLOCATED: WdfMemoryAssignBuffer allowed */
    bool readonly;             /* IFxMemoryFlagReadOnly (a write's buffer, a direct IOCTL's output) */
    km_object *request;        /* a request's memory: the request, else NULL */
} km_memory;

typedef struct km_reslist {
    ULONG count;
    CM_PARTIAL_RESOURCE_DESCRIPTOR desc[KM_MAX_RESOURCES];
} km_reslist;

/* A common buffer (km_dma.c, fxcommonbuffer.cpp). */
typedef struct km_commonbuffer {
    uint8_t *raw;              /* m_BufferRawVA (m_BufferRawLA: its km_logical_address) */
    uint8_t *aligned;          /* m_BufferAlignedVA (m_BufferAlignedLA: likewise) */
    size_t length, raw_length; /* m_Length, m_RawLength */
    ULONG alignment;           /* m_Alignment (a mask) */
    uint32_t alloc;            /* km_alloc id */
    bool freed;
} km_commonbuffer;

/* ---- the object ----------------------------------------------------------------------- */
struct km_object {
    km_type type;
    km_obj_state state;
    uint16_t gen;
    uint32_t index;
    uint32_t id;               /* per-type number in this execution: REQ1 */
    int32_t refs;              /* creation reference + WdfObjectReference + framework refs */
    km_object *parent, *first_child, *next_sibling;
    PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup;
    PFN_WDF_OBJECT_CONTEXT_DESTROY destroy;
    WDF_EXECUTION_LEVEL level;
    WDF_SYNCHRONIZATION_SCOPE scope;
    bool passive_callbacks;    /* FxObject::IsPassiveCallbacks (MarkPassiveCallbacks) */
    struct {
        PCWDF_OBJECT_CONTEXT_TYPE_INFO type;
        void *mem;
        size_t size;
        uint32_t alloc; /* km_alloc id */
    } ctx[KM_MAX_CONTEXTS];
    bool no_delete;            /* NoDeleteDDI objects: driver, device, queue, request */
    bool delete_called;
    /* dr_trace_mark at its delete (or a request's completion) and at its
     * free: what a later use-after-free finding relates to (km_related). */
    uint32_t delete_mark;
    union {
        km_driver drv;
        km_device dev;
        km_queue q;
        km_request req;
        km_dmaenabler dmae;
        km_dmatx tx;
        km_timer tmr;
        km_lock lock;
        km_reslist res;
        km_key key;
        km_string str;
        km_collection coll;
        km_commonbuffer cb;
        km_dpcobj dpc;
        km_workitem wi;
        km_waitlock wl;
        km_interrupt intr;
        km_memory mem;
    } u;
};

/* The registry's values in this execution (km_registry.c): the environment's,
 * then what the driver assigned. */
enum { KM_MAX_REG_VALUES = 16, KM_MAX_REG_DATA = 128 };
typedef struct km_reg_value {
    wchar_t name[KM_ENV_REG_NAME];
    ULONG type;
    ULONG length;
    uint8_t data[KM_MAX_REG_DATA];
} km_reg_value;

/* ---- the model's state for one execution -------------------------------------------------------- */
typedef struct km_world {
    km_env env;
    km_object objects[KM_MAX_OBJECTS];
    uint32_t nobjects;                 /* high-water mark */
    uint32_t type_count[KM_T__COUNT];  /* per-type ids */
    km_object *driver, *device;
    km_object *requests[KM_ENV_MAX_REQUESTS]; /* slots: a completed request's slot is reused */
    uint16_t request_gen[KM_ENV_MAX_REQUESTS];     /* the generation each request had */
    uint32_t request_id[KM_ENV_MAX_REQUESTS];      /* its REQn: n counts the driver's own requests too */
    uint32_t request_completions[KM_ENV_MAX_REQUESTS];
    NTSTATUS request_status[KM_ENV_MAX_REQUESTS]; /* the IRP's status: STATUS_PENDING until completed */
    unsigned nrequests;
    PDRIVER_OBJECT wdm_driver;
    /* setup DDIs and the client hook (km_accept.c, km_registry.c, km_client.c) */
    km_reg_value reg[KM_MAX_REG_VALUES];
    unsigned nreg;
    KM_CLIENT *client;                 /* the scenario's client, or NULL */
    bool device_started;               /* D0Entry returned: the client may run */
    unsigned nclient_tasks;            /* KmClientStart's tasks (km_client.c) */
    km_dmaadapter dma_adapters[KM_MAX_DMA_ADAPTERS]; /* system DMA adapters, by channel (km_dma.c) */
    struct {
        PMDL mdl;
        uint32_t alloc;                /* km_alloc id */
        bool freed;
    } mdls[16];                        /* IoAllocateMdl's MDLs (km_dma.c) */
    unsigned nmdls;
    /* km_related: the step the next report relates to (dr_fail_related). */
    uint32_t related;
    const char *related_what;
    /* dr_trace_mark at each slot's last free (kept across the slot's reuse,
     * unlike the object: a stale handle's use relates to it). */
    uint32_t free_mark[KM_MAX_OBJECTS];
} km_world;

extern km_world km_w;

/* The next km_* report relates to the step at mark (dr_trace_mark), which
 * did `what` ("completed it first"); taken, or dropped, by the next report
 * call, whether or not that reports (km_verifier.c). */
void km_related(uint32_t mark, const char *what);

/* ---- objects (km_object.c) ------------------------------------------------------------------------ */
void km_reset(const km_env *env);

/* Create an object: validates attributes (parent, context type), allocates
 * contexts, links it under its parent (attrs->ParentObject or default_parent).
 * On failure returns NULL with *status set (and a finding when KMDF would
 * bugcheck). */
km_object *km_obj_create(km_type type, PWDF_OBJECT_ATTRIBUTES attrs, km_object *default_parent, const char *api,
                         NTSTATUS *status);
WDFOBJECT km_handle(const km_object *o);

/* Resolve a handle for a DDI. NULL, foreign or wrong-type handles are
 * BUGCHECK(WDF_INVALID_HANDLE) (V30); a handle of a freed object is a CRASH
 * (use after free, C11). Returns NULL if a finding fired. `allow_disposed`
 * accepts an object deleted but still referenced. */
km_object *km_lookup(WDFOBJECT h, km_type want, const char *api, bool allow_disposed);
/* If h is the handle of a freed object of `type` whose slot has not been
 * reused since, return that slot (its fields still describe the freed
 * object); otherwise NULL. Reports nothing. */
km_object *km_peek_freed(WDFOBJECT h, km_type type);
/* Same, accepting any type (WdfObjectDelete, WdfObjectReference). */
km_object *km_lookup_any(WDFOBJECT h, const char *api, bool allow_disposed);

/* Run deletion: children first, the type's dispose hook, then
 * EvtCleanupCallback (km_obj_dispose), then drop the creation reference. A
 * timer deleted above PASSIVE defers all of it but the state change to a
 * passive thread (km_timer_defer_dispose), which drops the reference. */
void km_obj_delete(km_object *o);
void km_obj_dispose(km_object *o);
void km_obj_ref(km_object *o);
void km_obj_unref(km_object *o); /* at zero after dispose: EvtDestroyCallback, then free */

/* Per-type hooks, called by km_obj_delete / free (defined in each module). */
void km_request_dispose(km_object *o);
void km_memory_dispose(km_object *o); /* km_memory.c: a request's memory leaves the request */
void km_memory_destroy(km_object *o); /* ... the last reference: pool memory freed */
void km_dmatx_dispose(km_object *o);
void km_commonbuffer_dispose(km_object *o);
void km_timer_dispose(km_object *o);
void km_timer_defer_dispose(km_object *o);

/* Memory a driver can touch (contexts, request buffers), from the guarded
 * arena (km_object.c): zeroed, placed so that it ends at a PROT_NONE guard
 * page, with the rest of its slot and the guard page poisoned (dr_poison), and
 * `align` (a power of two, at most 16) respected. `what` names it in findings
 * ("WDF context"), `type` is its type name (or NULL), owner the object it
 * belongs to (NULL: the driver's own, pool memory). Returns the memory; *id
 * names it for km_free. */
void *km_alloc(size_t size, size_t align, const char *what, const char *type, const km_object *owner, uint32_t *id);
/* The same, for memory whose address the driver does not have yet (a request
 * buffer): zeroed only if the driver may have written its slot before. Call
 * km_mem_exposed before handing its address to the driver, and when a driver
 * store lands in it. */
void *km_alloc_unexposed(size_t size, size_t align, const char *what, const char *type, const km_object *owner,
                         uint32_t *id);
void km_mem_exposed(uint32_t id);
/* Logical (bus) addresses of memory (km_object.c): each arena allocation
 * its own bus pages from KM_BUS_BASE up in this execution's allocation order
 * (below 4 GiB), anything else at its virtual address + KM_BUS_HIGH;
 * km_logical_to_virtual inverts it (NULL if no memory is there). */
enum { KM_BUS_BASE = 0x10000000 };
#define KM_BUS_HIGH (1ull << 56)
uint64_t km_logical_address(const void *va);
void *km_logical_to_virtual(uint64_t la);
/* The memory's owner freed it: poisoned (PROT_NONE where the driver's accesses
 * are not checked) and quarantined until the execution ends. */
void km_free(uint32_t id);

/* ---- DDI entry, tracing, findings (km_verifier.c) ---------------------------------------------------- */

/* fxvalidatefunctions.cpp FxValidateObjectAttributes: STATUS_SUCCESS or the
 * status KMDF returns for these attributes. */
enum { KM_ATTRS_REQUIRED = 1, KM_ATTRS_PARENT_NOT_ALLOWED = 2 };
NTSTATUS km_validate_attributes(PCWDF_OBJECT_ATTRIBUTES attrs, unsigned flags);

/* Scheduling point at DDI entry, and the IRQL check of the DDI's annotation
 * above max_irql: KMDF checks only a few DDIs itself, so this is dmarace's
 * own CHECK V33, in every build. Returns false if a finding fired (the DDI
 * must then return at once). */
bool km_enter(const dr_site *site, unsigned max_irql);
/* The same for a DDI whose KMDF body calls FxVerifierCheckIrqlLevel
 * (fxverifier.h: a break and STATUS_INVALID_DEVICE_REQUEST with the
 * verifier on, no check with it off): VF-BREAK V33, verifier on only. */
bool km_enter_irql_checked(const dr_site *site, unsigned max_irql);

/* Trace a DDI call on an object (REQ1 etc.). */
void km_trace(const dr_site *site, const km_object *o, int64_t value);

/* Framework checks. `check` is the spec's V-number ("V19"); titles are
 * "<class> <check>: <api>: <what>" and must be stable. Each returns true when
 * the check fired (the execution is then over: return at once). */
bool km_bugcheck(const char *check, ULONG code, const char *api, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* VF-BUGCHECK: only when the verifier is on (version gates hold for KMDF 1.33). */
bool km_vf_bugcheck(const char *check, ULONG code, const char *api, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* VF-BREAK and VF-ONLY checks: only when the verifier is on. */
bool km_vf_break(const char *check, const char *api, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* dmarace's own check, stricter than KMDF: KMDF's free build checks nothing
 * here (at most an ASSERTMSG of its checked build, or no check at all), but
 * the driver breaks a documented rule or leaves KMDF in undefined state. A
 * CHECK finding titled "CHECK <check>: <api>: <what>", its message saying
 * what KMDF itself does. */
bool km_own_check(const char *check, const char *api, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* CRASH: undefined behaviour in real KMDF. Always fires. */
bool km_crash(const char *check, const char *api, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A Windows bug check other than KMDF's 0x10D (e.g. 0x9
 * IRQL_NOT_GREATER_OR_EQUAL): "BUGCHECK 0x<code> <check>: <api>: <what>", a
 * FRAMEWORK finding. Always fires. */
bool km_kernel_bugcheck(const char *check, ULONG code, const char *api, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A protocol oracle (lost completion, wrong status): a CHECK finding. `rule`
 * is its id: the bug class in kmdf-model-spec.md's catalogue (C8 lost
 * completion), or one of the model's own for a driver or environment that
 * cannot start (CALLBACK-FAILED, NO-QUEUE, ENV, CLIENT-CALL, MODEL-LIMIT). */
bool km_oracle(const char *rule, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* WDF bugcheck parameter-1 codes (wdfbugcodes.h). */
enum {
    WDF_VERIFIER_FATAL_ERROR = 0x3,
    WDF_REQUIRED_PARAMETER_IS_NULL = 0x4,
    WDF_INVALID_HANDLE = 0x5,
    WDF_REQUEST_FATAL_ERROR = 0x6,
    WDF_OBJECT_ERROR = 0x7,
    WDF_DMA_FATAL_ERROR = 0x8,
    WDF_RECURSIVE_LOCK = 0x2,
    WDF_INVALID_LOCK_OPERATION = 0xB,
    WDF_VERIFIER_IRQL_MISMATCH = 0xE,
};

/* After a driver callback returned: V34 if it left at another IRQL than it
 * entered. `hooked`: a callback KMDF's enhanced verifier wraps (PnP/power,
 * EvtIo*), so a bugcheck; otherwise dmarace's own check (strict_irql_exit). */
void km_callback_irql_check(unsigned entry_irql, const char *callback, bool hooked);

/* ---- WDM kernel routines (km_wdm.c) ------------------------------------------------------------- */
void km_wdm_reset(void);      /* km_reset: forget the last execution's pool, spin locks, stalls */
void km_wdm_setup_done(void); /* km_world_start: the driver is up; later pool allocations are the I/O's */
void km_wdm_check(void);      /* km_world_check: the pool leak oracle */

/* ---- cross-module hooks ------------------------------------------------------------------------------ */
/* Requests (km_request.c). */
km_object *km_request_create(km_object *queue, WDF_REQUEST_TYPE type, size_t length);
/* A device control or internal device control (km_reqbuf.c): its IoControlCode
 * and buffer lengths, its buffers laid out by the code's method as the I/O
 * manager does (METHOD_BUFFERED: one system buffer of max(in, out) bytes
 * holding the input; IN/OUT_DIRECT: the input in a system buffer, the output
 * behind an MDL; NEITHER: the caller's own buffers). */
km_object *km_request_create_ioctl(km_object *queue, WDF_REQUEST_TYPE type, ULONG code, size_t in, size_t out);
/* The request's IRP completes (km_request.c complete()): METHOD_BUFFERED
 * output copied back for Information bytes, then every buffer of a device
 * control freed (the I/O manager's IopCompleteRequest). */
void km_reqbuf_complete(km_object *req);
/* The MDL WdfRequestRetrieveInputWdmMdl (output false) or OutputWdmMdl
 * would return, for WdfDmaTransactionInitializeUsingRequest too (FxRequest::
 * GetMdl, GetDeviceControlOutputMdl). */
NTSTATUS km_request_mdl(km_object *req, bool output, PMDL *Mdl, const char *api);
/* A request's input (output false) or output WDFMEMORY (km_memory.c),
 * created at the first Retrieve*Memory and a child of the request. */
km_object *km_memory_of_request(km_object *req, bool output, uint8_t *buffer, size_t length, bool readonly);
void km_request_irp_ref(km_object *req);   /* DMA Execute: ReferenceRequest */
void km_request_irp_unref(km_object *req); /* final DmaCompleted / Release (V22 below zero) */
void km_request_io_cancel(km_object *req); /* the I/O manager's IoCancelIrp */
/* A request handle for a DDI (km_request.c): NULL after a finding; a
 * completed request still referenced is returned. Not-owned: V14/V15 (or the
 * crash without the verifier) for a request the driver does not own; true if
 * it reported. Shared with km_reqbuf.c. */
km_object *km_request_lookup(WDFREQUEST h, const char *api);
bool km_request_not_owned(km_object *r, const char *api);
/* Queues (km_request.c): FxIoQueue's dispatch loop around a presentation.
 * Begin: m_Dispatching++. End: EvtIo* returned; deliver the cancels queued
 * meanwhile (m_Cancelled, R6 and the gate), then m_Dispatching--. */
void km_queue_init_dispatch(km_object *q);
/* FxIoQueue::DispatchEvents (km_request.c): run the loop on the calling
 * thread if it may (CanThreadDispatchEventsLocked), else defer it to the
 * queue's DPC or work item. Internal: only when no thread dispatches
 * (DispatchInternalEvents, the completion and cancel paths). */
void km_queue_dispatch_events(km_object *q);
void km_queue_dispatch_internal(km_object *q);
/* One step of the loop after the cancelled requests (km_queue.c): present
 * the next event or request; false when there is nothing to do. */
bool km_queue_dispatch_step(km_object *q);
/* The I/O manager's IoCancelIrp of a request still on its queue
 * (_IrpCancelForQueue); the queue's part of a completion
 * (RequestCompletedCallback). */
void km_queue_cancel_on_queue(km_object *req);
void km_queue_request_completed(km_object *req);
/* fxpkgio.cpp FxPkgIo::StopProcessingForPower: purge false = Hold: each
 * power-managed queue stops dispatching, EvtIoStop(Suspend[|
 * RequestCancelable]) for every request the driver owns from it; returns
 * (on the calling thread, which may wait) when each was acknowledged or
 * completed. purge true (removal): every queue, queued requests
 * cancelled, EvtIoStop(Purge) for driver-owned ones; returns when the
 * driver owns none. */
void km_queue_power_stop(bool purge);
/* FxPkgIo::ResumeProcessingForPower: EvtIoResume for requests
 * acknowledged without requeue, requeued ones back on their queue,
 * dispatching resumes. */
void km_queue_power_resume(void);
/* Callback locks (km_lock.c). Acquire returns the IRQL before it (the spin
 * variant raises to DISPATCH); a recursive acquire is BUGCHECK 0x10D/0x2. */
void km_cblock_init(km_cblock *l, bool passive, const km_object *owner); /* named "DEV1-lock" */
unsigned km_cblock_acquire(km_cblock *l, const char *api);
void km_cblock_release(km_cblock *l, unsigned old_irql);
bool km_cblock_owned(const km_cblock *l); /* IsOwner: held by the current thread */
/* fxobject.cpp FxObject::_GetEffectiveLock, for callbacks that serialise
 * with their parent's (a timer's, an interrupt's DPC and work item): with
 * `automatic` (AutomaticSerialization) and a Device or Queue scope in effect
 * on `callbacks` (the object with callbacks they belong under), its callback
 * lock in *lock (else NULL); the parent's passive mark (IsPassiveCallbacks)
 * must match `passive`, else VF-BREAK SYNC (`who` names the callbacks) and
 * STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL. */
NTSTATUS km_effective_lock(km_object *callbacks, const km_object *parent, bool automatic, bool passive,
                           const char *api, const char *who, km_cblock **lock);
/* The callback lock of an object with callbacks (IFxHasCallbacks: driver,
 * device, queue) and its resolved scope; NULL for other types. km_world.c. */
km_cblock *km_callback_lock(km_object *o, WDF_SYNCHRONIZATION_SCOPE *scope);
/* DMA: the device owns the request's buffer (from Execute to the final DmaCompleted*). */
void km_request_device_owns(km_object *req, bool owns);
/* DMA: the transaction's final DmaCompleted* status, for the C2 oracle. */
void km_request_tx_final(km_object *req, NTSTATUS status, size_t bytes, bool stopped);
/* The world's access observer: C13. */
void km_request_access(const void *addr, size_t size, bool write);
/* Bus-master DMA, for the device model (km_dma.c). The scatter/gather list
 * of the transaction's current stage (the one its last EvtProgramDma got)
 * and its direction, or NULL when no stage is live (before Execute, between
 * DmaCompleted* and the next EvtProgramDma, after the final one) or tx is
 * not a transaction. km_dma_logical_owned: [addr, addr+len) lies inside one
 * element of a live stage of some transaction (packet: the mapped transfer;
 * scatter-gather: the built list), i.e. the device may move data there. */
const SCATTER_GATHER_LIST *km_dma_stage(const km_object *tx, WDF_DMA_DIRECTION *direction);
bool km_dma_logical_owned(uint64_t addr, size_t len);
bool km_dma_common_buffer_holds(uint64_t addr, size_t len); /* a live common buffer's logical range */

/* km_phase.c: the phases of a request's life, as race windows. */
void km_phase_execute(const km_object *tx);
void km_phase_dma_completed(const km_object *tx);
void km_phase_stop(const km_object *tx);
void km_phase_cancel(const km_object *req);
void km_phase_timer_callback(void);
void km_phase_cancel_armed(void);
void km_phase_request_completed(const km_object *req);
/* The register window (km_regs.c): lay out the memory ranges and take the
 * scenario's device model (execution start, after km_reset); the physical
 * start of memory range i; the access observer's part for register memory. */
void km_regs_reset(void);
uint64_t km_regs_range_start(unsigned i);
void km_regs_access(const void *addr, size_t size, bool write);
/* Interrupts (km_interrupt.c). Reset: lines deasserted, no interrupt
 * objects (execution start). Prepare hardware: begin (true) assigns the
 * interrupt resources to the interrupts EvtDriverDeviceAdd created, in
 * creation order, and lets WdfInterruptCreate take descriptors; end (false)
 * closes creation. Count: the device's interrupts. Connect: the D0 step
 * after EvtDeviceD0Entry (on a thread: EvtInterruptEnable at DIRQL):
 * connect and enable each interrupt in creation order; returns the first
 * failure. */
void km_interrupt_reset(void);
/* The generic device (km_gendev.c, device=generic): at execution start, after
 * km_regs_reset, install it unless the scenario set its own device model
 * (km_regs_device_default). False (a finding) for an environment that
 * km_env_parse would have refused: no room for its registers, no interrupt. */
struct km_device_model;
bool km_regs_device_default(const struct km_device_model *model);
bool km_gendev_start(const km_env *env);
void km_interrupt_prepare_hardware(km_object *raw, km_object *translated);
void km_interrupt_prepared(void);
unsigned km_interrupt_count(void);
NTSTATUS km_interrupt_connect_all(void);
/* The power-down's interrupt step (after EvtDeviceD0ExitPreInterruptsDisabled,
 * on a passive thread): EvtInterruptDisable and disconnect, in reverse
 * creation order; `final` (D3Final: stop, removal) disconnects in the NP path
 * too. Release hardware: the interrupts created in EvtDevicePrepareHardware
 * are deleted, the others lose their resource until the next one. */
void km_interrupt_disconnect_all(bool final);
void km_interrupt_release_hardware(void);
/* For tests: whether the current task holds the interrupt's spin lock. */
bool km_interrupt_lock_held(WDFINTERRUPT Interrupt);
/* Timers (km_timer.c): a timer child forces deferred early dispose (V21). */
bool km_timer_is_passive_dispose(const km_object *t);
/* Timers (km_timer.c): a timer's reference count reached zero (~FxTimer).
 * V29 when it was never run down, and the kernel timer is deleted. Meant to
 * be called by km_obj_unref before it frees a timer (or reports C7 for a
 * live one); returns false if a finding fired. */
bool km_timer_destroy(km_object *t);
/* Deferral objects (km_defer.c) and what they share with WDFTIMER
 * (km_timer.c). FxDeviceBase::_SearchForDevice: the parent has a device
 * ancestor (a request counts). */
bool km_defer_has_device(const km_object *parent);
/* fxobject.cpp#_GetEffectiveLock for an object created with `automatic`
 * serialisation whose callbacks run at PASSIVE when `passive`: *lock is the
 * callbacks object's lock or NULL; STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL
 * (after a VF-BREAK SYNC, `what` naming the object) when the levels differ. */
NTSTATUS km_defer_effective_lock(km_object *parent, bool automatic, bool passive, const char *api, const char *what,
                                 km_cblock **lock);
/* The opening checks of WdfTimerCreate, WdfDpcCreate and WdfWorkItemCreate:
 * attributes with a parent (STATUS_WDF_PARENT_NOT_SPECIFIED,
 * STATUS_INFO_LENGTH_MISMATCH), its handle, NULL Config or `out` (V30,
 * `out_name` naming it), Config's leading Size against config_size. The
 * parent, or NULL with *st set. */
km_object *km_defer_create_checks(PWDF_OBJECT_ATTRIBUTES Attributes, const void *Config, ULONG config_size,
                                  const void *out, const char *out_name, const char *api, NTSTATUS *st);
/* Processor for a DPC or a system thread, a tape choice at `site`: 0 is the
 * current processor, others the rest in order. */
unsigned km_defer_pick_cpu(const dr_site *site);
/* Dispose (km_obj_dispose) and deferred dispose (km_obj_delete above
 * PASSIVE) of a WDFDPC or WDFWORKITEM; its last reference (km_obj_unref:
 * false if a finding fired). */
void km_defer_dispose(km_object *o);
void km_defer_defer_dispose(km_object *o);
bool km_defer_destroy(km_object *o);

/* Execution level and synchronisation scope: an explicit value, or
 * InheritFromParent (the model also treats an out-of-range value as that). */
static inline bool km_known_level(WDF_EXECUTION_LEVEL l)
{
    return l == WdfExecutionLevelPassive || l == WdfExecutionLevelDispatch;
}
static inline bool km_known_scope(WDF_SYNCHRONIZATION_SCOPE s)
{
    return s == WdfSynchronizationScopeDevice || s == WdfSynchronizationScopeQueue || s == WdfSynchronizationScopeNone;
}
/* Queues (km_queue.c): a request arrives at its queue (it is queued, and
 * presented on this thread if the queue may dispatch now). The I/O manager (km_iomgr.c): arm its cancel of a
 * request as it is inserted (env.cancel); make the environment's requests and
 * start the user threads that send them (the device has a queue). */
void km_queue_insert(km_object *req); /* FxIoQueue::QueueRequest */
void km_iomgr_arm_cancel(km_object *req);
void km_iomgr_start(void);

/* The world (km_world.c): a request reached its completion. */
void km_world_request_completed(km_object *req);
/* The queue a request of `type` goes to: its configured queue, else the default one (NULL if none). */
km_object *km_world_queue_for(WDF_REQUEST_TYPE type);
/* The i-th request of the world if its object still exists (not freed and
 * reused), else NULL. */
km_object *km_world_request(unsigned i);
/* Setup DDIs (km_accept.c): the WDFDEVICE_INIT's record of them, copied into
 * the device by WdfDeviceCreate (km_world.c). */
km_init_setup *km_device_init_setup(PWDFDEVICE_INIT init);
/* Strings and collections (km_string.c, km_collection.c): the object's memory
 * and references go when its last reference does (FxString and FxCollection
 * destructors). Called by obj_free. */
void km_string_destroy(km_object *o);
NTSTATUS km_string_assign(km_object *o, PCUNICODE_STRING src); /* FxString::Assign */
void km_collection_destroy(km_object *o);
/* The registry (km_registry.c): the environment's values, at reset. */
void km_registry_reset(const km_env *env);

/* ---- the driver's own messages (km_debug.c) ---- */
/* The name of an NTSTATUS the model defines ("STATUS_CANCELLED"), or NULL. */
const char *km_status_name(NTSTATUS status);
/* Trace values as text (dr_site.value_text): an NTSTATUS in hex with its name
 * ("0xC0000120 STATUS_CANCELLED"), a DMA_COMPLETION_STATUS by name. */
const char *km_status_text(int64_t value, char *buf, size_t len);
const char *km_dma_status_text(int64_t value, char *buf, size_t len);
/* fmt formatted with Windows' printf conventions into buf (always
 * NUL-terminated, cut at len); returns the length written. */
size_t km_format(char *buf, size_t len, const char *fmt, ...);

/* ---- the PnP and power manager (km_pnp.c, docs/model-pnp.md) ---- */
/* The queues' power stop and resume: km_queue_power_stop/resume above. */
/* The world's hooks: reset at execution start; the resource lists of the
 * first start; the self-managed I/O start after the first D0 (false if the
 * device did not start); arm the PnP actor once the I/O started. */
void km_pnp_reset(void);
void km_pnp_resources(km_object *raw, km_object *translated);
bool km_pnp_first_start(void);
void km_pnp_arm(void);
/* The hardware is off: after EvtDeviceD0Exit returned and before the next
 * EvtDevicePrepareHardware or EvtDeviceD0Entry (CHECK PNP1). */
bool km_pnp_hardware_off(void);
/* Fresh resource lists (km_world.c): raw or translated. */
km_object *km_world_resources(bool translated);

#endif
