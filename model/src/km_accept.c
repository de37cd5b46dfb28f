/* km_accept.c: the setup DDIs real drivers call from EvtDriverDeviceAdd and
 * EvtDevicePrepareHardware that the model accepts without modelling what
 * they set up: power policy (the model's device never idles nor sleeps),
 * the power framework, device interfaces and names, PnP and power
 * capabilities, file objects. Each checks its handle and required pointers
 * as KMDF does, records its values in the device (km_device_setup, so tests
 * and later DDIs can see them) and returns what KMDF returns on success.
 * docs/api-support.md says, per DDI, what is recorded and what is never
 * called. Also the WDM objects behind a device and a driver: opaque, and
 * checked when they come back (WdfWdmDeviceGetWdfDeviceHandle). */
#include "km.h"

#include <string.h>

/* The device objects KMDF's FDO has: its own, the PDO below the stack and the
 * device it is attached to. The driver sees opaque pointers. */
struct _DEVICE_OBJECT {
    int which;
};
static struct _DEVICE_OBJECT wdm_fdo = {1}, wdm_pdo = {2}, wdm_attached = {3};

static bool null_param(const void *p, const char *api, const char *what)
{
    if (p)
        return false;
    km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s is NULL", what);
    return true;
}

/* A UNICODE_STRING copied into a fixed buffer (truncated: the model keeps it
 * for tests and traces only). */
static void copy_ustr(wchar_t *dst, size_t cap, PCUNICODE_STRING src)
{
    size_t n = src && src->Buffer ? src->Length / sizeof(WCHAR) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src->Buffer, n * sizeof(WCHAR));
    dst[n] = 0;
}

/* ---- WDFDEVICE_INIT ------------------------------------------------------------------- */

VOID WdfDeviceInitSetPowerPolicyOwnership(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsPowerPolicyOwner)
{
    if (null_param(DeviceInit, "WdfDeviceInitSetPowerPolicyOwnership", "DeviceInit"))
        return;
    km_init_setup *s = km_device_init_setup(DeviceInit);
    s->ppo_set = true;
    s->ppo = IsPowerPolicyOwner != FALSE;
}

VOID WdfDeviceInitSetPowerPolicyEventCallbacks(PWDFDEVICE_INIT DeviceInit,
                                               PWDF_POWER_POLICY_EVENT_CALLBACKS PowerPolicyEventCallbacks)
{
    const char *api = "WdfDeviceInitSetPowerPolicyEventCallbacks";
    if (null_param(DeviceInit, api, "DeviceInit") || null_param(PowerPolicyEventCallbacks, api, "callbacks"))
        return;
    /* fxdeviceinitapi.cpp: a structure of another size is refused (traced). */
    if (PowerPolicyEventCallbacks->Size != sizeof(WDF_POWER_POLICY_EVENT_CALLBACKS))
        return;
    km_device_init_setup(DeviceInit)->ppo_callbacks = *PowerPolicyEventCallbacks;
}

NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName)
{
    if (null_param(DeviceInit, "WdfDeviceInitAssignName", "DeviceInit"))
        return STATUS_INVALID_PARAMETER;
    km_init_setup *s = km_device_init_setup(DeviceInit);
    /* A NULL name removes the one assigned before. */
    s->has_name = DeviceName != NULL;
    copy_ustr(s->name, sizeof s->name / sizeof s->name[0], DeviceName);
    return STATUS_SUCCESS;
}

VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType)
{
    if (null_param(DeviceInit, "WdfDeviceInitSetDeviceType", "DeviceInit"))
        return;
    km_device_init_setup(DeviceInit)->device_type = DeviceType;
}

VOID WdfDeviceInitSetExclusive(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive)
{
    if (null_param(DeviceInit, "WdfDeviceInitSetExclusive", "DeviceInit"))
        return;
    km_device_init_setup(DeviceInit)->exclusive = IsExclusive != FALSE;
}

VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics, BOOLEAN OrInValues)
{
    if (null_param(DeviceInit, "WdfDeviceInitSetCharacteristics", "DeviceInit"))
        return;
    km_init_setup *s = km_device_init_setup(DeviceInit);
    s->characteristics = OrInValues ? s->characteristics | DeviceCharacteristics : DeviceCharacteristics;
}

VOID WdfDeviceInitSetPowerPageable(PWDFDEVICE_INIT DeviceInit)
{
    if (null_param(DeviceInit, "WdfDeviceInitSetPowerPageable", "DeviceInit"))
        return;
    km_device_init_setup(DeviceInit)->power_pageable = 1;
}

VOID WdfDeviceInitSetPowerNotPageable(PWDFDEVICE_INIT DeviceInit)
{
    if (null_param(DeviceInit, "WdfDeviceInitSetPowerNotPageable", "DeviceInit"))
        return;
    km_device_init_setup(DeviceInit)->power_pageable = 2;
}

VOID WdfDeviceInitSetFileObjectConfig(PWDFDEVICE_INIT DeviceInit, PWDF_FILEOBJECT_CONFIG FileObjectConfig,
                                      PWDF_OBJECT_ATTRIBUTES FileObjectAttributes)
{
    const char *api = "WdfDeviceInitSetFileObjectConfig";
    (void)FileObjectAttributes;
    if (null_param(DeviceInit, api, "DeviceInit") || null_param(FileObjectConfig, api, "FileObjectConfig"))
        return;
    km_init_setup *s = km_device_init_setup(DeviceInit);
    s->file_config = *FileObjectConfig;
    s->has_file_config = true;
}

NTSTATUS WdfDeviceInitAssignSDDLString(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING SDDLString)
{
    if (null_param(DeviceInit, "WdfDeviceInitAssignSDDLString", "DeviceInit"))
        return STATUS_INVALID_PARAMETER;
    km_init_setup *s = km_device_init_setup(DeviceInit);
    s->has_sddl = SDDLString != NULL;
    copy_ustr(s->sddl, sizeof s->sddl / sizeof s->sddl[0], SDDLString);
    return STATUS_SUCCESS;
}

/* ---- power policy and the power framework ----------------------------------------------- */

DR_SITE(site_s0_idle, "WdfDeviceAssignS0IdleSettings");
DR_SITE(site_sx_wake, "WdfDeviceAssignSxWakeSettings");
DR_SITE(site_pofx, "WdfDeviceWdmAssignPowerFrameworkSettings");
DR_SITE(site_stop_idle, "WdfDeviceStopIdle");
DR_SITE(site_resume_idle, "WdfDeviceResumeIdle");

static km_object *device(WDFDEVICE Device, const char *api)
{
    return km_lookup(Device, KM_T_DEVICE, api, false);
}

/* The prologue of a device DDI callable up to DISPATCH_LEVEL that returns
 * one value for both failures: the entry check, then the handle. NULL when
 * either fired a finding. */
static km_object *device_enter(const dr_site *site, WDFDEVICE Device, const char *api)
{
    if (!km_enter(site, DISPATCH_LEVEL))
        return NULL;
    return device(Device, api);
}

/* The model's device is an FDO, the power policy owner unless the driver
 * said otherwise (fxdeviceinit.cpp: PowerPolicyOwner WdfUseDefault, an FDO
 * owns). KMDF fails the power policy DDIs of a non-owner with
 * STATUS_INVALID_DEVICE_REQUEST (fxdeviceapi.cpp). */
static bool is_ppo(const km_object *d)
{
    return !d->u.dev.setup.init.ppo_set || d->u.dev.setup.init.ppo;
}

/* What the power policy DDIs check after their entry, in KMDF's order: the
 * handle, the required structure, ownership, then the structure's Size (its
 * first member, as in every WDF_* configuration structure). */
static NTSTATUS policy_checks(WDFDEVICE Device, const char *api, const void *config, const char *what,
                              size_t size, km_object **out)
{
    km_object *d = device(Device, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    if (null_param(config, api, what))
        return STATUS_INVALID_PARAMETER;
    if (!is_ppo(d))
        return STATUS_INVALID_DEVICE_REQUEST;
    ULONG given;
    memcpy(&given, config, sizeof given);
    if (given != size)
        return STATUS_INFO_LENGTH_MISMATCH;
    *out = d;
    return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceAssignS0IdleSettings(WDFDEVICE Device, PWDF_DEVICE_POWER_POLICY_IDLE_SETTINGS Settings)
{
    const char *api = "WdfDeviceAssignS0IdleSettings";
    if (!km_enter(&site_s0_idle, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *d = NULL;
    NTSTATUS st = policy_checks(Device, api, Settings, "Settings", sizeof *Settings, &d);
    if (!NT_SUCCESS(st))
        return st;
    /* fxdeviceapi.cpp WdfDeviceAssignS0IdleSettings: the ranges it checks. */
    if (Settings->DxState < PowerDeviceD1 || Settings->DxState > PowerDeviceMaximum ||
        Settings->IdleCaps < IdleCannotWakeFromS0 || Settings->IdleCaps > IdleUsbSelectiveSuspend ||
        Settings->UserControlOfIdleSettings < IdleDoNotAllowUserControl ||
        Settings->UserControlOfIdleSettings > IdleAllowUserControl || Settings->Enabled < WdfFalse ||
        Settings->Enabled > WdfUseDefault)
        return STATUS_INVALID_PARAMETER;
    d->u.dev.setup.s0_idle = *Settings;
    d->u.dev.setup.s0_idle_set = true;
    km_trace(&site_s0_idle, d, Settings->IdleTimeout);
    return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceAssignSxWakeSettings(WDFDEVICE Device, PWDF_DEVICE_POWER_POLICY_WAKE_SETTINGS Settings)
{
    const char *api = "WdfDeviceAssignSxWakeSettings";
    if (!km_enter(&site_sx_wake, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *d = NULL;
    NTSTATUS st = policy_checks(Device, api, Settings, "Settings", sizeof *Settings, &d);
    if (!NT_SUCCESS(st))
        return st;
    d->u.dev.setup.sx_wake = *Settings;
    d->u.dev.setup.sx_wake_set = true;
    km_trace(&site_sx_wake, d, Settings->DxState);
    return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceWdmAssignPowerFrameworkSettings(WDFDEVICE Device,
                                                  PWDF_POWER_FRAMEWORK_SETTINGS PowerFrameworkSettings)
{
    const char *api = "WdfDeviceWdmAssignPowerFrameworkSettings";
    if (!km_enter_irql_checked(&site_pofx, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *d = NULL;
    NTSTATUS st = policy_checks(Device, api, PowerFrameworkSettings, "PowerFrameworkSettings",
                                sizeof *PowerFrameworkSettings, &d);
    if (!NT_SUCCESS(st))
        return st;
    d->u.dev.setup.pofx = *PowerFrameworkSettings;
    d->u.dev.setup.pofx_set = true;
    km_trace(&site_pofx, d, 0);
    return STATUS_SUCCESS;
}

/* The model's device is in D0 from EvtDeviceD0Entry to the end and never
 * idles: StopIdle returns STATUS_SUCCESS at once, WaitForD0 or not (there is
 * nothing to wait for), and counts; ResumeIdle counts back. */
NTSTATUS WdfDeviceStopIdleActual(WDFDEVICE Device, BOOLEAN WaitForD0, PVOID Tag, LONG Line, PCCH File)
{
    (void)Tag;
    (void)Line;
    (void)File;
    if (!km_enter(&site_stop_idle, WaitForD0 ? PASSIVE_LEVEL : DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    km_object *d = device(Device, "WdfDeviceStopIdle");
    if (!d)
        return STATUS_INVALID_HANDLE;
    d->u.dev.setup.stop_idle_count++;
    km_trace(&site_stop_idle, d, d->u.dev.setup.stop_idle_count);
    return STATUS_SUCCESS;
}

VOID WdfDeviceResumeIdleActual(WDFDEVICE Device, PVOID Tag, LONG Line, PCCH File)
{
    (void)Tag;
    (void)Line;
    (void)File;
    km_object *d = device_enter(&site_resume_idle, Device, "WdfDeviceResumeIdle");
    if (!d)
        return;
    d->u.dev.setup.stop_idle_count--;
    km_trace(&site_resume_idle, d, d->u.dev.setup.stop_idle_count);
}

/* ---- device interfaces and names ------------------------------------------------------------ */

DR_SITE(site_create_interface, "WdfDeviceCreateDeviceInterface");
DR_SITE(site_interface_state, "WdfDeviceSetDeviceInterfaceState");
DR_SITE(site_symlink, "WdfDeviceCreateSymbolicLink");

NTSTATUS WdfDeviceCreateDeviceInterface(WDFDEVICE Device, CONST GUID *InterfaceClassGUID,
                                        PCUNICODE_STRING ReferenceString)
{
    const char *api = "WdfDeviceCreateDeviceInterface";
    (void)ReferenceString;
    if (!km_enter_irql_checked(&site_create_interface, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *d = device(Device, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    if (null_param(InterfaceClassGUID, api, "InterfaceClassGUID"))
        return STATUS_INVALID_PARAMETER;
    km_device_setup *s = &d->u.dev.setup;
    if (s->ninterfaces == KM_MAX_DEVICE_INTERFACES)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Registered now, enabled by KMDF when the device starts: the model's
     * device has started by the time anything could use it. */
    s->interfaces[s->ninterfaces].guid = *InterfaceClassGUID;
    s->interfaces[s->ninterfaces].enabled = true;
    s->ninterfaces++;
    km_trace(&site_create_interface, d, s->ninterfaces);
    return STATUS_SUCCESS;
}

VOID WdfDeviceSetDeviceInterfaceState(WDFDEVICE Device, CONST GUID *InterfaceClassGUID,
                                      PCUNICODE_STRING ReferenceString, BOOLEAN IsInterfaceEnabled)
{
    const char *api = "WdfDeviceSetDeviceInterfaceState";
    (void)ReferenceString;
    if (!km_enter_irql_checked(&site_interface_state, PASSIVE_LEVEL))
        return;
    km_object *d = device(Device, api);
    if (!d || null_param(InterfaceClassGUID, api, "InterfaceClassGUID"))
        return;
    km_device_setup *s = &d->u.dev.setup;
    for (unsigned i = 0; i < s->ninterfaces; i++)
        if (memcmp(&s->interfaces[i].guid, InterfaceClassGUID, sizeof(GUID)) == 0)
            s->interfaces[i].enabled = IsInterfaceEnabled != FALSE;
    km_trace(&site_interface_state, d, IsInterfaceEnabled);
}

NTSTATUS WdfDeviceCreateSymbolicLink(WDFDEVICE Device, PCUNICODE_STRING SymbolicLinkName)
{
    const char *api = "WdfDeviceCreateSymbolicLink";
    if (!km_enter_irql_checked(&site_symlink, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    km_object *d = device(Device, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    if (null_param(SymbolicLinkName, api, "SymbolicLinkName"))
        return STATUS_INVALID_PARAMETER;
    /* fxdeviceapi.cpp WdfDeviceCreateSymbolicLink: an empty name, or a
     * second link, is STATUS_INVALID_DEVICE_REQUEST. */
    km_device_setup *s = &d->u.dev.setup;
    if (SymbolicLinkName->Length == 0 || s->has_symlink)
        return STATUS_INVALID_DEVICE_REQUEST;
    s->has_symlink = true;
    copy_ustr(s->symlink, sizeof s->symlink / sizeof s->symlink[0], SymbolicLinkName);
    km_trace(&site_symlink, d, 0);
    return STATUS_SUCCESS;
}

/* ---- capabilities, alignment, failure ------------------------------------------------------------ */

DR_SITE(site_pnp_caps, "WdfDeviceSetPnpCapabilities");
DR_SITE(site_power_caps, "WdfDeviceSetPowerCapabilities");
DR_SITE(site_set_align, "WdfDeviceSetAlignmentRequirement");
DR_SITE(site_get_align, "WdfDeviceGetAlignmentRequirement");
DR_SITE(site_set_failed, "WdfDeviceSetFailed");

/* fxdeviceapi.cpp WdfDeviceSetPnpCapabilities, WdfDeviceSetPowerCapabilities:
 * a structure of another size is a verifier break, and nothing is set. */
static bool wrong_caps_size(ULONG size, size_t expected, const char *api)
{
    if (size == expected)
        return false;
    km_vf_break("CFG", api, "structure of the wrong size", "Size %u, expected %zu", (unsigned)size, expected);
    return true;
}

VOID WdfDeviceSetPnpCapabilities(WDFDEVICE Device, PWDF_DEVICE_PNP_CAPABILITIES PnpCapabilities)
{
    const char *api = "WdfDeviceSetPnpCapabilities";
    km_object *d = device_enter(&site_pnp_caps, Device, api);
    if (!d || null_param(PnpCapabilities, api, "PnpCapabilities"))
        return;
    if (wrong_caps_size(PnpCapabilities->Size, sizeof(WDF_DEVICE_PNP_CAPABILITIES), api))
        return;
    d->u.dev.setup.pnp_caps = *PnpCapabilities;
    d->u.dev.setup.pnp_caps_set = true;
    km_trace(&site_pnp_caps, d, 0);
}

VOID WdfDeviceSetPowerCapabilities(WDFDEVICE Device, PWDF_DEVICE_POWER_CAPABILITIES PowerCapabilities)
{
    const char *api = "WdfDeviceSetPowerCapabilities";
    km_object *d = device_enter(&site_power_caps, Device, api);
    if (!d || null_param(PowerCapabilities, api, "PowerCapabilities"))
        return;
    if (wrong_caps_size(PowerCapabilities->Size, sizeof(WDF_DEVICE_POWER_CAPABILITIES), api))
        return;
    d->u.dev.setup.power_caps = *PowerCapabilities;
    d->u.dev.setup.power_caps_set = true;
    km_trace(&site_power_caps, d, 0);
}

/* The device object's AlignmentRequirement (FILE_*_ALIGNMENT): what was set,
 * FILE_BYTE_ALIGNMENT until then. The model's DMA does not use it. */
VOID WdfDeviceSetAlignmentRequirement(WDFDEVICE Device, ULONG AlignmentRequirement)
{
    km_object *d = device_enter(&site_set_align, Device, "WdfDeviceSetAlignmentRequirement");
    if (!d)
        return;
    d->u.dev.setup.alignment = AlignmentRequirement;
    km_trace(&site_set_align, d, AlignmentRequirement);
}

ULONG WdfDeviceGetAlignmentRequirement(WDFDEVICE Device)
{
    km_object *d = device_enter(&site_get_align, Device, "WdfDeviceGetAlignmentRequirement");
    return d ? d->u.dev.setup.alignment : 0;
}

/* Recorded only: the model's PnP manager never removes or restarts the
 * device, so the execution goes on as if the driver had not called it. */
VOID WdfDeviceSetFailed(WDFDEVICE Device, WDF_DEVICE_FAILED_ACTION FailedAction)
{
    km_object *d = device_enter(&site_set_failed, Device, "WdfDeviceSetFailed");
    if (!d)
        return;
    d->u.dev.setup.failed = FailedAction;
    km_trace(&site_set_failed, d, FailedAction);
}

/* ---- WDM objects ------------------------------------------------------------------------------ */

PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device)
{
    return device(Device, "WdfDeviceWdmGetDeviceObject") ? &wdm_fdo : NULL;
}

PDEVICE_OBJECT WdfDeviceWdmGetPhysicalDevice(WDFDEVICE Device)
{
    return device(Device, "WdfDeviceWdmGetPhysicalDevice") ? &wdm_pdo : NULL;
}

PDEVICE_OBJECT WdfDeviceWdmGetAttachedDevice(WDFDEVICE Device)
{
    return device(Device, "WdfDeviceWdmGetAttachedDevice") ? &wdm_attached : NULL;
}

/* The WDFDEVICE of a device object KMDF created; NULL for any other (the PDO
 * and the lower device belong to other drivers). */
WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(PDEVICE_OBJECT DeviceObject)
{
    if (null_param(DeviceObject, "WdfWdmDeviceGetWdfDeviceHandle", "DeviceObject"))
        return NULL;
    if (DeviceObject != &wdm_fdo || !km_w.device)
        return NULL;
    return (WDFDEVICE)km_handle(km_w.device);
}

WDFDRIVER WdfDeviceGetDriver(WDFDEVICE Device)
{
    km_object *d = device(Device, "WdfDeviceGetDriver");
    return d && km_w.driver ? (WDFDRIVER)km_handle(km_w.driver) : NULL;
}

PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver)
{
    return km_lookup(Driver, KM_T_DRIVER, "WdfDriverWdmGetDriverObject", false) ? km_w.wdm_driver : NULL;
}
