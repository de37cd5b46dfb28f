/* km_world.c: the world around the driver. WdfDriverCreate, device
 * initialisation and WdfDeviceCreate, resources handed to
 * EvtDevicePrepareHardware, I/O queues, and the I/O manager: it presents the
 * environment's requests to the default queue on passive threads, may cancel
 * each pending request at a moment the scheduler chooses, and judges the end
 * of the execution (every request completed exactly once, nothing left). */
#include "km.h"
#include "km_hb.h"

#include <stdio.h>
#include <string.h>

struct _DRIVER_OBJECT {
    int unused;
};

struct WDFDEVICE_INIT {
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_DEVICE_IO_TYPE io_type;
    WDF_OBJECT_ATTRIBUTES request_attrs;
    bool has_request_attrs;
    bool used;
    km_init_setup setup; /* the setup DDIs' record (km_accept.c) */
};

km_init_setup *km_device_init_setup(PWDFDEVICE_INIT init) { return &init->setup; }

void km_env_defaults(km_env *env)
{
    memset(env, 0, sizeof *env);
    env->verifier = true;
    env->enhanced_verifier = true;
    env->requests = 1;
    env->concurrent = true;
    env->request_type = WdfRequestTypeRead;
    env->request_length = 3 * KM_PAGE_SIZE;
    env->map_registers = 2; /* one page per transfer: three transfers */
    env->dma_channels = 1;
    env->cancel = true;
    env->cancel_at_dispatch = true;
    env->dma_error = true;
    env->dma_abort = true;
    env->short_mapping = true;
    env->deferred_adapter = true;
    env->sync_stop_callback = true;
    env->c2_status_lost = true;
    env->memory_ranges = 1; /* one 4 KiB register range (memory=) */
    env->memory_length[0] = KM_PAGE_SIZE;
    env->short_transfer = true; /* the generic device's short runs (device=generic only) */
    env->spurious_interrupts = true; /* matters only to a driver with a WDFINTERRUPT */
}

/* ---- driver and device --------------------------------------------------------- */

DR_SITE(site_driver_create, "WdfDriverCreate");
DR_SITE(site_device_create, "WdfDeviceCreate");

km_cblock *km_callback_lock(km_object *o, WDF_SYNCHRONIZATION_SCOPE *scope)
{
    WDF_SYNCHRONIZATION_SCOPE sc = WdfSynchronizationScopeNone;
    km_cblock *l = NULL;
    switch (o->type) {
    case KM_T_DRIVER:
        sc = o->u.drv.scope;
        l = &o->u.drv.cblock;
        break;
    case KM_T_DEVICE: /* fxdevicebase.cpp#GetCallbackLockPtr */
        sc = o->u.dev.scope;
        l = &o->u.dev.cblock;
        break;
    case KM_T_QUEUE: /* fxioqueue.hpp#GetCallbackLockPtr: m_CallbackLockPtr */
        sc = o->u.q.scope;
        l = o->u.q.lock;
        break;
    default:
        break;
    }
    if (scope)
        *scope = sc;
    return l;
}

NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                         PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver)
{
    (void)RegistryPath;
    if (!km_enter_irql_checked(&site_driver_create, PASSIVE_LEVEL)) /* fxdriverapi.cpp WdfDriverCreate */
        return STATUS_UNSUCCESSFUL;
    if (!DriverObject || !DriverConfig) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, "WdfDriverCreate", "NULL required parameter",
                    "DriverObject or DriverConfig is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    /* fxdriverapi.cpp#WdfDriverCreate: once per driver object. */
    if (km_w.driver)
        return STATUS_DRIVER_INTERNAL_ERROR;
    NTSTATUS st;
    km_object *d = km_obj_create(KM_T_DRIVER, DriverAttributes, NULL, "WdfDriverCreate", &st);
    if (!d)
        return st;
    d->no_delete = true;
    d->u.drv.device_add = DriverConfig->EvtDriverDeviceAdd;
    d->u.drv.unload = DriverConfig->EvtDriverUnload;
    /* fxdriver.cpp#FxDriver and #ConfigureConstraints: DISPATCH and scope
     * None unless the attributes say otherwise; the driver's own lock is a
     * mutex and the object is marked passive. */
    d->u.drv.level = WdfExecutionLevelDispatch;
    d->u.drv.scope = WdfSynchronizationScopeNone;
    if (DriverAttributes && km_known_level(DriverAttributes->ExecutionLevel))
        d->u.drv.level = DriverAttributes->ExecutionLevel;
    if (DriverAttributes && km_known_scope(DriverAttributes->SynchronizationScope))
        d->u.drv.scope = DriverAttributes->SynchronizationScope;
    d->passive_callbacks = true;
    km_cblock_init(&d->u.drv.cblock, true, d);
    km_w.driver = d;
    if (Driver)
        *Driver = (WDFDRIVER)km_handle(d);
    km_trace(&site_driver_create, d, 0);
    return STATUS_SUCCESS;
}

VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit,
                                            PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks)
{
    if (!DeviceInit || !PnpPowerEventCallbacks) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, "WdfDeviceInitSetPnpPowerEventCallbacks",
                    "NULL required parameter", "DeviceInit or callbacks NULL");
        return;
    }
    DeviceInit->pnp = *PnpPowerEventCallbacks;
}

VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType)
{
    if (!DeviceInit) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, "WdfDeviceInitSetIoType", "NULL required parameter",
                    "DeviceInit is NULL");
        return;
    }
    DeviceInit->io_type = IoType;
}

VOID WdfDeviceInitSetRequestAttributes(PWDFDEVICE_INIT DeviceInit, PWDF_OBJECT_ATTRIBUTES RequestAttributes)
{
    if (!DeviceInit || !RequestAttributes) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, "WdfDeviceInitSetRequestAttributes",
                    "NULL required parameter", "DeviceInit or RequestAttributes NULL");
        return;
    }
    DeviceInit->request_attrs = *RequestAttributes;
    DeviceInit->has_request_attrs = true;
}

NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE *Device)
{
    if (!km_enter_irql_checked(&site_device_create, PASSIVE_LEVEL)) /* fxdeviceapi.cpp WdfDeviceCreate */
        return STATUS_UNSUCCESSFUL;
    if (!DeviceInit || !*DeviceInit || !Device) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, "WdfDeviceCreate", "NULL required parameter",
                    "DeviceInit or Device is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    if (km_w.device)
        return STATUS_INVALID_DEVICE_STATE; /* the model has one device */
    NTSTATUS st;
    km_object *d = km_obj_create(KM_T_DEVICE, DeviceAttributes, km_w.driver, "WdfDeviceCreate", &st);
    if (!d)
        return st;
    d->no_delete = true;
    PWDFDEVICE_INIT init = *DeviceInit;
    d->u.dev.pnp = init->pnp;
    d->u.dev.io_type = init->io_type;
    d->u.dev.request_attrs = init->request_attrs;
    d->u.dev.has_request_attrs = init->has_request_attrs;
    d->u.dev.setup.init = init->setup;
    /* fxdevicebase.cpp#ConfigureConstraints: inherit from the driver; the
     * device's callback lock is a mutex at PASSIVE, a spin lock otherwise. */
    d->u.dev.level = DeviceAttributes && km_known_level(DeviceAttributes->ExecutionLevel) ? DeviceAttributes->ExecutionLevel
                                                                                      : km_w.driver->u.drv.level;
    d->u.dev.scope = DeviceAttributes && km_known_scope(DeviceAttributes->SynchronizationScope)
                         ? DeviceAttributes->SynchronizationScope
                         : km_w.driver->u.drv.scope;
    km_cblock_init(&d->u.dev.cblock, d->u.dev.level == WdfExecutionLevelPassive, d);
    init->used = true;
    *DeviceInit = NULL; /* KMDF takes ownership of the init structure */
    km_w.device = d;
    *Device = (WDFDEVICE)km_handle(d);
    km_trace(&site_device_create, d, 0);
    return STATUS_SUCCESS;
}

ULONG WdfCmResourceListGetCount(WDFCMRESLIST List)
{
    km_object *o = km_lookup(List, KM_T_CMRESLIST, "WdfCmResourceListGetCount", false);
    return o ? o->u.res.count : 0;
}

PCM_PARTIAL_RESOURCE_DESCRIPTOR WdfCmResourceListGetDescriptor(WDFCMRESLIST List, ULONG Index)
{
    km_object *o = km_lookup(List, KM_T_CMRESLIST, "WdfCmResourceListGetDescriptor", false);
    if (!o || Index >= o->u.res.count)
        return NULL;
    return &o->u.res.desc[Index];
}

/* env.dma_channels system DMA channels, one CmResourceTypeDma descriptor
 * each (DMA v3 layout: Channel, RequestLine, TransferWidth), with distinct
 * channel numbers (ISA numbering, skipping the cascade channel 4) and
 * request lines. WdfDmaEnablerConfigureSystemProfile reads u.Dma.Channel and
 * u.Dma.Port, which DmaV3.Channel and DmaV3.RequestLine overlay. */
static void add_dma_resources(km_reslist *res)
{
    static const ULONG channels[] = {3, 5, 6, 7};
    for (unsigned i = 0; i < km_w.env.dma_channels && i < sizeof channels / sizeof channels[0]; i++) {
        CM_PARTIAL_RESOURCE_DESCRIPTOR *d = &res->desc[res->count++];
        d->Type = CmResourceTypeDma;
        d->Flags = CM_RESOURCE_DMA_V3;
        d->u.DmaV3.Channel = channels[i];
        d->u.DmaV3.RequestLine = i;
        d->u.DmaV3.TransferWidth = Width32Bits;
    }
}

/* The resources a PnP manager would assign, in the order it lists them:
 * memory ranges, then interrupts, then the system DMA channels. Memory ranges
 * are identical raw and translated (x86/x64: CPU and bus physical addresses
 * coincide); an interrupt is an IRQ line raw, a device IRQL and an IDT vector
 * translated. Ranges are naturally aligned like PCI BARs (each on a multiple
 * of its length rounded up to a power of two, at least a page) and do not
 * overlap. km_regs.c maps them (MmMapIoSpace). */
km_object *km_world_resources(bool translated)
{
    NTSTATUS st;
    km_object *r = km_obj_create(KM_T_CMRESLIST, NULL, km_w.device, "resources", &st);
    if (!r)
        return NULL;
    r->no_delete = true;
    const km_env *env = &km_w.env;
    ULONG n = 0;
    for (unsigned i = 0; i < env->memory_ranges; i++) {
        CM_PARTIAL_RESOURCE_DESCRIPTOR *d = &r->u.res.desc[n++];
        d->Type = CmResourceTypeMemory;
        d->ShareDisposition = CmResourceShareDeviceExclusive;
        d->Flags = CM_RESOURCE_MEMORY_READ_WRITE;
        d->u.Memory.Start.QuadPart = (LONGLONG)km_regs_range_start(i);
        d->u.Memory.Length = env->memory_length[i];
    }
    for (unsigned i = 0; i < env->interrupts; i++) {
        CM_PARTIAL_RESOURCE_DESCRIPTOR *d = &r->u.res.desc[n++];
        d->Type = CmResourceTypeInterrupt;
        d->ShareDisposition = env->interrupt_latched ? CmResourceShareDeviceExclusive : CmResourceShareShared;
        d->Flags = env->interrupt_latched ? CM_RESOURCE_INTERRUPT_LATCHED : CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE;
        d->u.Interrupt.Level = translated ? 5 + i : 16 + i;      /* device IRQL; raw: the IRQ line */
        d->u.Interrupt.Vector = translated ? 0x50 + 0x10 * i : 16 + i; /* IDT vector; raw: the IRQ line */
        d->u.Interrupt.Affinity = ((ULONG_PTR)1 << dr_cpus()) - 1; /* every processor */
    }
    r->u.res.count = n;
    add_dma_resources(&r->u.res);
    return r;
}

km_object *km_world_request(unsigned i)
{
    km_object *r = km_w.requests[i];
    if (r->state == KM_OBJ_FREE || r->type != KM_T_REQUEST || r->gen != km_w.request_gen[i])
        return NULL;
    return r;
}

void km_world_request_completed(km_object *req)
{
    for (unsigned i = 0; i < km_w.nrequests; i++)
        if (km_w.requests[i] == req && req->gen == km_w.request_gen[i]) {
            km_w.request_completions[i]++;
            km_w.request_status[i] = req->u.req.status;
        }
    km_phase_request_completed(req);
    dr_event_disarm(&req->u.req.cancel_event);
    km_queue_request_completed(req); /* the queue's lock, then its next dispatch */
}

/* Callbacks a driver may register that this model does not call in this
 * environment (power-down and removal callbacks without the settings that
 * lead to them, unload, IOCTL): say so once per campaign, in the summary,
 * rather than let their races go unexplored in silence. */
static void notice_uncalled(const WDF_PNPPOWER_EVENT_CALLBACKS *pnp, const WDF_IO_QUEUE_CONFIG *qc)
{
    static const WDF_IO_QUEUE_CONFIG no_queue;
    if (!qc)
        qc = &no_queue;
    const km_init_setup *su = &km_w.device->u.dev.setup.init;
    /* km_pnp.c calls these when the environment has the events that lead to
     * them (docs/model-pnp.md); EvtIoStop and EvtIoResume come from the
     * power-managed queues' stop (km_queue_power_stop). */
    const km_env *env = &km_w.env;
    bool removal = env->surprise_remove || env->remove;
    bool down = env->power_cycles > 0 || env->pnp_stop || removal;
    bool release = env->pnp_stop || removal;
    /* enable: the environment setting that leads the model to call it;
     * NULL: the model never calls it (not modelled yet). */
    static const char *const down_s = "power_cycles=N, pnp_stop, surprise_remove or remove";
    static const char *const release_s = "pnp_stop, surprise_remove or remove";
    static const char *const removal_s = "surprise_remove or remove";
    static const char *const cycle_s = "power_cycles=N or pnp_stop";
    const struct {
        bool set;
        const char *name;
        const char *enable;
    } cb[] = {
        {km_w.driver->u.drv.unload != NULL, "EvtDriverUnload", NULL},
        {!down && pnp->EvtDeviceD0Exit != NULL, "EvtDeviceD0Exit", down_s},
        {!down && pnp->EvtDeviceD0ExitPreInterruptsDisabled != NULL, "EvtDeviceD0ExitPreInterruptsDisabled", down_s},
        {!release && pnp->EvtDeviceReleaseHardware != NULL, "EvtDeviceReleaseHardware", release_s},
        {!removal && pnp->EvtDeviceSelfManagedIoCleanup != NULL, "EvtDeviceSelfManagedIoCleanup", removal_s},
        {!removal && pnp->EvtDeviceSelfManagedIoFlush != NULL, "EvtDeviceSelfManagedIoFlush", removal_s},
        {!down && pnp->EvtDeviceSelfManagedIoSuspend != NULL, "EvtDeviceSelfManagedIoSuspend", down_s},
        {!(env->power_cycles > 0 || env->pnp_stop) && pnp->EvtDeviceSelfManagedIoRestart != NULL,
         "EvtDeviceSelfManagedIoRestart", cycle_s},
        {!env->surprise_remove && pnp->EvtDeviceSurpriseRemoval != NULL, "EvtDeviceSurpriseRemoval",
         "surprise_remove"},
        {!(env->remove && !env->surprise_remove) && pnp->EvtDeviceQueryRemove != NULL, "EvtDeviceQueryRemove",
         "remove without surprise_remove"},
        {!env->pnp_stop && pnp->EvtDeviceQueryStop != NULL, "EvtDeviceQueryStop", "pnp_stop"},
        {pnp->EvtDeviceUsageNotification != NULL, "EvtDeviceUsageNotification", NULL},
        {pnp->EvtDeviceRelationsQuery != NULL, "EvtDeviceRelationsQuery", NULL},
        {pnp->EvtDeviceUsageNotificationEx != NULL, "EvtDeviceUsageNotificationEx", NULL},
        {env->ioctls == 0 && qc->EvtIoDeviceControl != NULL, "EvtIoDeviceControl", "ioctls=N"},
        {env->internal_ioctls == 0 && qc->EvtIoInternalDeviceControl != NULL, "EvtIoInternalDeviceControl",
         "internal_ioctls=N"},
        {!down && qc->EvtIoStop != NULL, "EvtIoStop", down_s},
        {!(env->power_cycles > 0 || env->pnp_stop) && qc->EvtIoResume != NULL, "EvtIoResume", cycle_s},
        /* the setup DDIs' callbacks (km_accept.c) */
        {su->ppo_callbacks.EvtDeviceArmWakeFromS0 || su->ppo_callbacks.EvtDeviceDisarmWakeFromS0 ||
             su->ppo_callbacks.EvtDeviceWakeFromS0Triggered || su->ppo_callbacks.EvtDeviceArmWakeFromSx ||
             su->ppo_callbacks.EvtDeviceDisarmWakeFromSx || su->ppo_callbacks.EvtDeviceWakeFromSxTriggered ||
             su->ppo_callbacks.EvtDeviceArmWakeFromSxWithReason,
         "power policy (wake) callbacks", NULL},
        {su->has_file_config && (su->file_config.EvtDeviceFileCreate || su->file_config.EvtFileClose ||
                                 su->file_config.EvtFileCleanup),
         "file object callbacks", NULL},
    };
    /* Two notices: what this environment does not reach, grouped by the
     * setting that reaches it, and what the model never calls. */
    char text[2][DR_NOTICE_MAX];
    size_t n[2] = {0, 0};
    size_t ncb = sizeof cb / sizeof cb[0];
    for (size_t i = 0; i < ncb; i++) {
        if (!cb[i].set)
            continue;
        unsigned k = cb[i].enable ? 0 : 1;
        bool seen = false; /* its group was written with an earlier entry */
        for (size_t j = 0; j < i && k == 0; j++)
            seen |= cb[j].set && cb[j].enable == cb[i].enable;
        if (seen)
            continue;
        const char *sep = n[k] ? (k == 0 ? "; " : ", ") : "";
        for (size_t j = i; j < ncb && n[k] < sizeof text[k]; j++) {
            if (!cb[j].set || (j > i && (k == 1 || cb[j].enable != cb[i].enable)))
                continue;
            n[k] += (size_t)snprintf(text[k] + n[k], sizeof text[k] - n[k], "%s%s", sep, cb[j].name);
            sep = ", ";
            if (k == 1)
                break;
        }
        if (k == 0 && n[k] < sizeof text[k])
            n[k] += (size_t)snprintf(text[k] + n[k], sizeof text[k] - n[k], " (with %s)", cb[i].enable);
    }
    char line[DR_NOTICE_MAX];
    if (n[0]) {
        snprintf(line, sizeof line, "registered but not called in this environment (their races are not explored): %.420s",
                 text[0]);
        dr_notice(line);
    }
    if (n[1]) {
        snprintf(line, sizeof line, "registered but never called by the model (not modelled yet, their races are "
                                    "not explored): %.300s", text[1]);
        dr_notice(line);
    }
}

/* The access observer: request buffers (C13), then register memory. */
static void world_access(const void *addr, size_t size, bool write)
{
    km_request_access(addr, size, write);
    if (!dr_failed())
        km_regs_access(addr, size, write);
}

/* The scenario's client (km_client.h): the first client task. */
static void client_thread(void *arg)
{
    (void)arg;
    km_w.client(NULL);
    dr_framework_resume();
}

/* powerstatemachine.cpp PowerD0StartingConnectInterrupt, after the
 * interrupts are connected and enabled: EvtDeviceD0EntryPostInterruptsEnabled.
 * Returns false if the device did not start. */
static bool d0_post_interrupts(void)
{
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = &km_w.device->u.dev.pnp;
    if (!pnp->EvtDeviceD0EntryPostInterruptsEnabled)
        return true;
    NTSTATUS st = pnp->EvtDeviceD0EntryPostInterruptsEnabled((WDFDEVICE)km_handle(km_w.device),
                                                             WdfPowerDeviceD3Final);
    if (dr_in_task())
        dr_framework_resume();
    if (dr_failed())
        return false;
    if (!NT_SUCCESS(st)) {
        km_oracle("CALLBACK-FAILED", "EvtDeviceD0EntryPostInterruptsEnabled failed", "returned %#x", (unsigned)st);
        return false;
    }
    return true;
}

/* The device is in D0: the client and the I/O manager start. */
static void start_io(void)
{
    km_w.device_started = true;
    km_object *q = km_w.device->u.dev.default_queue;
    for (unsigned i = 0; !q && i < WdfRequestTypeMax; i++)
        q = km_w.device->u.dev.dispatch[i];
    if (!q && !km_w.client) {
        km_oracle("NO-QUEUE", "no default queue", "the driver created no default I/O queue: requests cannot be presented");
        return;
    }
    notice_uncalled(&km_w.device->u.dev.pnp, q ? &q->u.q.config : NULL);
    km_wdm_setup_done();
    km_pnp_arm(); /* the PnP and power manager's events (km_pnp.c), when the environment has any */
    if (km_w.client) /* the client hook: its first task, after the device started */
        dr_thread_create(0, client_thread, NULL, "client");
    if (!q)
        return; /* a client and no queue: the I/O manager sends nothing */
    km_iomgr_start();
}

/* The D0 steps after EvtDeviceD0Entry when the device has interrupts
 * (PowerD0StartingConnectInterrupt): connect and enable them, then
 * EvtDeviceD0EntryPostInterruptsEnabled, then the I/O. */
static void d0_thread(void *arg)
{
    (void)arg;
    NTSTATUS st = km_interrupt_connect_all();
    if (dr_failed())
        return;
    if (!NT_SUCCESS(st)) {
        km_oracle("CALLBACK-FAILED", "EvtInterruptEnable failed", "the device did not start: an interrupt's EvtInterruptEnable "
                                               "returned %#x", (unsigned)st);
        return;
    }
    if (d0_post_interrupts() && km_pnp_first_start())
        start_io();
}

void km_world_start(const km_env *env, KM_DRIVER_ENTRY *driver_entry)
{
    km_world_start_client(env, driver_entry, NULL);
}

void km_world_start_client(const km_env *env, KM_DRIVER_ENTRY *driver_entry, KM_CLIENT *client)
{
    static struct _DRIVER_OBJECT driver_object;
    static wchar_t path[] = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\dmarace";
    static UNICODE_STRING registry = {sizeof path - sizeof path[0], sizeof path, path};
    km_reset(env);
    km_regs_reset();
    km_interrupt_reset();
    km_pnp_reset();
    if (!km_gendev_start(env))
        return;
    km_registry_reset(env);
    km_w.wdm_driver = &driver_object;
    dr_set_access_observer(world_access);
    if (env->requests < 1 || env->requests > KM_ENV_MAX_REQUESTS) {
        km_oracle("ENV", "bad environment", "%u requests (1 to %d)", env->requests, KM_ENV_MAX_REQUESTS);
        return;
    }
    NTSTATUS st = driver_entry(&driver_object, &registry);
    if (dr_failed())
        return;
    if (!NT_SUCCESS(st) || !km_w.driver || !km_w.driver->u.drv.device_add) {
        km_oracle("CALLBACK-FAILED", "DriverEntry failed", "DriverEntry returned %#x or created no driver with EvtDriverDeviceAdd",
                  (unsigned)st);
        return;
    }
    struct WDFDEVICE_INIT init;
    memset(&init, 0, sizeof init);
    init.io_type = WdfDeviceIoBuffered; /* fxdeviceinit.cpp: WDFDEVICE_INIT's default */
    init.setup.device_type = FILE_DEVICE_UNKNOWN; /* fxdeviceinit.cpp: DeviceType's default */
    st = km_w.driver->u.drv.device_add((WDFDRIVER)km_handle(km_w.driver), &init);
    if (dr_failed())
        return;
    if (!NT_SUCCESS(st) || !km_w.device) {
        km_oracle("CALLBACK-FAILED", "EvtDriverDeviceAdd failed", "EvtDriverDeviceAdd returned %#x", (unsigned)st);
        return;
    }
    km_w.device->u.dev.pnp_started = true; /* the start IRP: WdfDevStatePnpInit is left */
    km_object *raw = km_world_resources(false), *translated = km_world_resources(true);
    if (!raw || !translated)
        return;
    km_pnp_resources(raw, translated);
    const WDF_PNPPOWER_EVENT_CALLBACKS *pnp = &km_w.device->u.dev.pnp;
    WDFDEVICE dev = (WDFDEVICE)km_handle(km_w.device);
    /* FxPkgPnp::PnpPrepareHardware: the interrupts created so far get their
     * resources before the callback, which may create more from the lists. */
    km_interrupt_prepare_hardware(raw, translated);
    if (pnp->EvtDevicePrepareHardware) {
        st = pnp->EvtDevicePrepareHardware(dev, (WDFCMRESLIST)km_handle(raw), (WDFCMRESLIST)km_handle(translated));
        if (dr_failed())
            return;
        if (!NT_SUCCESS(st)) {
            km_oracle("CALLBACK-FAILED", "EvtDevicePrepareHardware failed", "returned %#x", (unsigned)st);
            return;
        }
    }
    km_interrupt_prepared();
    if (pnp->EvtDeviceD0Entry) {
        st = pnp->EvtDeviceD0Entry(dev, WdfPowerDeviceD3Final);
        if (dr_failed())
            return;
        if (!NT_SUCCESS(st)) {
            km_oracle("CALLBACK-FAILED", "EvtDeviceD0Entry failed", "returned %#x", (unsigned)st);
            return;
        }
    }
    km_w.client = client;
    if (km_interrupt_count() == 0) {
        /* No interrupt to connect: the rest of D0 and the I/O start here. */
        if (d0_post_interrupts() && km_pnp_first_start())
            start_io();
        return;
    }
    /* EvtInterruptEnable runs at DIRQL under the interrupt lock, which the
     * set-up's main context cannot be at: the D0 steps after EvtDeviceD0Entry
     * run on a thread of their own, and the I/O starts after them. */
    dr_thread_create(0, d0_thread, NULL, "pnp-d0");
}

void km_world_check(void)
{
    if (dr_failed())
        return;
    for (unsigned i = 0; i < km_w.nrequests; i++) {
        if (km_w.request_completions[i] == 0) {
            const km_object *r = km_world_request(i);
            km_oracle("C8", "lost completion: a request was never completed",
                      "REQ%u is %s at the end of the execution: nothing is left that will complete it",
                      km_w.request_id[i],
                      r ? km_req_state_name(r->u.req.state) : "gone");
            return;
        }
    }
    for (uint32_t i = 0; i < km_w.nobjects; i++) {
        const km_object *o = &km_w.objects[i];
        if (o->state == KM_OBJ_FREE)
            continue;
        if (o->type == KM_T_DMATRANSACTION && o->u.tx.state == KM_TX_TRANSFER) {
            km_oracle("TX-LEFT", "transaction left in Transfer at the end",
                      "TX%u is still in Transfer after every request completed", o->id);
            return;
        }
        if (o->type == KM_T_REQUEST && o->state == KM_OBJ_DISPOSED) {
            km_oracle("C7", "request object leaked",
                      "REQ%u was completed but %d references keep it alive at the end (a missing "
                      "WdfObjectDereference, or a timer never deleted)",
                      o->id, o->refs);
            return;
        }
    }
    km_wdm_check();
}
