/* test_setup.c: the setup DDIs real drivers call during EvtDriverDeviceAdd
 * and start (km_accept.c, km_registry.c, km_string.c, km_collection.c):
 * what each records and returns, registry values from the environment,
 * strings holding their own copy, collections' order and references, and
 * the findings for a key closed twice and a collection item that is not
 * there. */
#include "km.h"
#include "km_test.h"
#include "wdf.h"

typedef struct SETUP_CONTEXT {
    int marker;
} SETUP_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SETUP_CONTEXT, GetSetupContext)

typedef enum { M_ALL, M_CLOSE_TWICE, M_REMOVE_ABSENT, M_NOT_PPO, M_CAPS_SIZE } setup_mode;
static setup_mode mode;

static const GUID GUID_TEST_INTERFACE = {0x12345678, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 8}};
static PDRIVER_OBJECT entry_driver_object;
static WDFDRIVER the_driver;
static WDFDEVICE the_device;

/* Results, recorded by the driver as it runs, asserted by the tests. */
static struct {
    NTSTATUS name, sddl, create, s0, sx, pofx, iface, link1, link2, link_empty, stop_idle;
    ULONG align;
    bool fdo_maps_back, pdo_maps_to_null, distinct_wdm, driver_ok, driver_object_ok;
    /* registry */
    NTSTATUS open_params, q_env, q_case, q_missing, a_denied, open_dev, a_written, q_written, open_bad,
        open_sub, a_sz, qus_small, qus, qs, qv_null, qv, q_sz_as_ulong, q_wide;
    ULONG env_value, case_value, written_value, qv_len, qv_type, qv_data;
    USHORT qus_len;
    WCHAR qus_text[16];
    USHORT qus_text_len;
    bool qs_text_ok;
    /* strings */
    NTSTATUS s_create;
    bool s_copy, s_unchanged, s_ctx;
    /* collections */
    NTSTATUS c_create, c_add[3];
    ULONG c_count3, c_count_after_remove_item, c_count_after_remove;
    bool c_order, c_order_after, c_ctx;
    int32_t refs_in, refs_out, refs_after_delete, refs_deleted_item;
    km_obj_state deleted_item_state, deleted_item_state_after;
    bool get_out_of_range_null;
} R;

static int32_t refs_of(WDFOBJECT h)
{
    km_object *o = km_lookup_any(h, "test", true);
    return o ? o->refs : -1;
}

static VOID EvtFileCreate(WDFDEVICE Device, WDFREQUEST Request, WDFFILEOBJECT FileObject)
{
    (void)Device;
    (void)Request;
    (void)FileObject;
}

static NTSTATUS EvtArmWakeFromS0(WDFDEVICE Device)
{
    (void)Device;
    return STATUS_SUCCESS;
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    (void)Queue;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

static UNICODE_STRING ustr(PCWSTR s)
{
    UNICODE_STRING u;
    u.Length = (USHORT)(wcslen(s) * sizeof(WCHAR));
    u.MaximumLength = (USHORT)(u.Length + sizeof(WCHAR));
    u.Buffer = (PWSTR)s; /* read only: the DDIs copy it */
    return u;
}

static void registry(void)
{
    WDFKEY params, dev, bad, sub;
    UNICODE_STRING max = ustr(L"MaxTransfers"), lower = ustr(L"maxtransfers"), missing = ustr(L"Missing"),
                   written = ustr(L"Written"), text = ustr(L"Text"), subname = ustr(L"\\Registry\\Machine\\Sub");
    R.open_params = WdfDriverOpenParametersRegistryKey(the_driver, KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &params);
    R.q_env = WdfRegistryQueryULong(params, &max, &R.env_value);
    R.q_case = WdfRegistryQueryULong(params, &lower, &R.case_value);
    R.q_missing = WdfRegistryQueryULong(params, &missing, &R.written_value);
    R.a_denied = WdfRegistryAssignULong(params, &written, 7);
    R.open_dev = WdfDeviceOpenRegistryKey(the_device, PLUGPLAY_REGKEY_DEVICE, KEY_ALL_ACCESS,
                                          WDF_NO_OBJECT_ATTRIBUTES, &dev);
    R.a_written = WdfRegistryAssignULong(dev, &written, 7);
    R.q_written = WdfRegistryQueryULong(params, &written, &R.written_value);
    R.open_bad = WdfDeviceOpenRegistryKey(the_device, 8, KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &bad);
    R.open_sub = WdfRegistryOpenKey(NULL, &subname, KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &sub);
    static WCHAR hello[] = L"hello";
    R.a_sz = WdfRegistryAssignValue(dev, &text, REG_SZ, sizeof hello, hello);
    WCHAR small[2], big[16];
    UNICODE_STRING us = {0, sizeof small, small};
    R.qus_small = WdfRegistryQueryUnicodeString(sub, &text, &R.qus_len, &us);
    us.Buffer = big;
    us.MaximumLength = sizeof big;
    R.qus = WdfRegistryQueryUnicodeString(sub, &text, NULL, &us);
    memcpy(R.qus_text, big, sizeof big);
    R.qus_text_len = us.Length;
    WDFSTRING s;
    if (NT_SUCCESS(WdfStringCreate(NULL, WDF_NO_OBJECT_ATTRIBUTES, &s))) {
        R.qs = WdfRegistryQueryString(params, &text, s);
        UNICODE_STRING got;
        WdfStringGetUnicodeString(s, &got);
        R.qs_text_ok = got.Length == 5 * sizeof(WCHAR) && memcmp(got.Buffer, L"hello", got.Length) == 0;
        WdfObjectDelete(s);
    }
    R.qv_null = WdfRegistryQueryValue(params, &max, 0, NULL, &R.qv_len, &R.qv_type);
    R.qv = WdfRegistryQueryValue(params, &max, sizeof R.qv_data, &R.qv_data, NULL, NULL);
    R.q_sz_as_ulong = WdfRegistryQueryULong(params, &text, &R.written_value);
    UNICODE_STRING wide = ustr(L"Wide");
    ULONGLONG eight = 8;
    ULONG scratch;
    if (NT_SUCCESS(WdfRegistryAssignValue(dev, &wide, REG_DWORD, sizeof eight, &eight)))
        R.q_wide = WdfRegistryQueryULong(params, &wide, &scratch);
    WdfRegistryClose(sub);
    WdfRegistryClose(dev);
    WdfRegistryClose(params);
    if (mode == M_CLOSE_TWICE)
        WdfRegistryClose(params);
}

static void strings_and_collections(void)
{
    WCHAR source[] = L"abc";
    UNICODE_STRING src = ustr(source);
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, SETUP_CONTEXT);
    WDFSTRING s[3];
    R.s_create = WdfStringCreate(&src, &attrs, &s[0]);
    if (!NT_SUCCESS(R.s_create))
        return;
    (void)WdfStringCreate(&src, WDF_NO_OBJECT_ATTRIBUTES, &s[1]);
    (void)WdfStringCreate(&src, WDF_NO_OBJECT_ATTRIBUTES, &s[2]);
    UNICODE_STRING got;
    WdfStringGetUnicodeString(s[0], &got);
    R.s_copy = got.Buffer != source && got.Length == src.Length && memcmp(got.Buffer, source, got.Length) == 0;
    source[0] = L'x';
    WdfStringGetUnicodeString(s[0], &got);
    R.s_unchanged = got.Buffer[0] == L'a';
    R.s_ctx = WdfObjectGetTypedContext(s[0], SETUP_CONTEXT) != NULL;

    WDFCOLLECTION c, c2;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, SETUP_CONTEXT);
    R.c_create = WdfCollectionCreate(&attrs, &c);
    if (!NT_SUCCESS(R.c_create))
        return;
    R.c_ctx = GetSetupContext(c) != NULL;
    for (int i = 0; i < 3; i++)
        R.c_add[i] = WdfCollectionAdd(c, s[i]);
    R.c_count3 = WdfCollectionGetCount(c);
    R.c_order = WdfCollectionGetFirstItem(c) == (WDFOBJECT)s[0] && WdfCollectionGetItem(c, 1) == (WDFOBJECT)s[1] &&
                WdfCollectionGetLastItem(c) == (WDFOBJECT)s[2];
    R.get_out_of_range_null = WdfCollectionGetItem(c, 3) == NULL;
    R.refs_in = refs_of(s[1]);
    WdfCollectionRemoveItem(c, 1);
    R.c_count_after_remove_item = WdfCollectionGetCount(c);
    R.refs_out = refs_of(s[1]);
    R.c_order_after = WdfCollectionGetItem(c, 1) == (WDFOBJECT)s[2];
    WdfCollectionRemove(c, s[0]);
    R.c_count_after_remove = WdfCollectionGetCount(c);
    if (mode == M_REMOVE_ABSENT)
        WdfCollectionRemove(c, s[1]);
    WdfObjectDelete(c);
    R.refs_after_delete = refs_of(s[2]);
    /* An item deleted while in a collection: the collection's reference
     * keeps it, deleted, until the collection goes. */
    (void)WdfCollectionCreate(WDF_NO_OBJECT_ATTRIBUTES, &c2);
    (void)WdfCollectionAdd(c2, s[1]);
    km_object *o = km_lookup_any(s[1], "test", true);
    WdfObjectDelete(s[1]);
    R.refs_deleted_item = o->refs;
    R.deleted_item_state = o->state;
    WdfObjectDelete(c2);
    R.deleted_item_state_after = o->state;
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    (void)Raw;
    (void)Translated;
    WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS idle;
    WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS_INIT(&idle, IdleCannotWakeFromS0);
    idle.IdleTimeout = 5000;
    R.s0 = WdfDeviceAssignS0IdleSettings(Device, &idle);
    WDF_DEVICE_POWER_POLICY_WAKE_SETTINGS wake;
    WDF_DEVICE_POWER_POLICY_WAKE_SETTINGS_INIT(&wake);
    R.sx = WdfDeviceAssignSxWakeSettings(Device, &wake);
    R.stop_idle = WdfDeviceStopIdle(Device, TRUE);
    WdfDeviceResumeIdle(Device);
    R.stop_idle = NT_SUCCESS(R.stop_idle) ? WdfDeviceStopIdle(Device, FALSE) : R.stop_idle;
    registry();
    if (mode != M_CLOSE_TWICE)
        strings_and_collections();
    WdfDeviceSetFailed(Device, WdfDeviceFailedNoRestart);
    return STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    the_driver = Driver;
    WdfDeviceInitSetPowerPolicyOwnership(DeviceInit, mode != M_NOT_PPO);
    WDF_POWER_POLICY_EVENT_CALLBACKS ppo;
    WDF_POWER_POLICY_EVENT_CALLBACKS_INIT(&ppo);
    ppo.EvtDeviceArmWakeFromS0 = EvtArmWakeFromS0;
    WdfDeviceInitSetPowerPolicyEventCallbacks(DeviceInit, &ppo);
    UNICODE_STRING name = ustr(L"\\Device\\Setup0"), sddl = ustr(SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
    R.name = WdfDeviceInitAssignName(DeviceInit, &name);
    WdfDeviceInitSetDeviceType(DeviceInit, FILE_DEVICE_SOUND);
    WdfDeviceInitSetExclusive(DeviceInit, TRUE);
    WdfDeviceInitSetCharacteristics(DeviceInit, FILE_DEVICE_SECURE_OPEN, FALSE);
    WdfDeviceInitSetCharacteristics(DeviceInit, FILE_REMOVABLE_MEDIA, TRUE);
    WdfDeviceInitSetPowerPageable(DeviceInit);
    WdfDeviceInitSetPowerNotPageable(DeviceInit);
    WDF_FILEOBJECT_CONFIG fc;
    WDF_FILEOBJECT_CONFIG_INIT(&fc, EvtFileCreate, NULL, NULL);
    WdfDeviceInitSetFileObjectConfig(DeviceInit, &fc, WDF_NO_OBJECT_ATTRIBUTES);
    R.sddl = WdfDeviceInitAssignSDDLString(DeviceInit, &sddl);
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = EvtPrepareHardware;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WDF_OBJECT_ATTRIBUTES attrs;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attrs, SETUP_CONTEXT);
    R.create = WdfDeviceCreate(&DeviceInit, &attrs, &the_device);
    if (!NT_SUCCESS(R.create))
        return R.create;
    static PO_FX_COMPONENT_IDLE_STATE states[1] = {{0, 0, PO_FX_UNKNOWN_POWER}};
    static PO_FX_COMPONENT component = {{0}, 1, 0, states};
    WDF_POWER_FRAMEWORK_SETTINGS pofx;
    WDF_POWER_FRAMEWORK_SETTINGS_INIT(&pofx);
    pofx.Component = &component;
    R.pofx = WdfDeviceWdmAssignPowerFrameworkSettings(the_device, &pofx);
    R.iface = WdfDeviceCreateDeviceInterface(the_device, &GUID_TEST_INTERFACE, NULL);
    WdfDeviceSetDeviceInterfaceState(the_device, &GUID_TEST_INTERFACE, NULL, FALSE);
    UNICODE_STRING link = ustr(L"\\DosDevices\\Setup0"), empty = {0, 0, NULL};
    R.link_empty = WdfDeviceCreateSymbolicLink(the_device, &empty);
    R.link1 = WdfDeviceCreateSymbolicLink(the_device, &link);
    R.link2 = WdfDeviceCreateSymbolicLink(the_device, &link);
    WDF_DEVICE_PNP_CAPABILITIES pnpcaps;
    WDF_DEVICE_PNP_CAPABILITIES_INIT(&pnpcaps);
    pnpcaps.SurpriseRemovalOK = WdfTrue;
    if (mode == M_CAPS_SIZE)
        pnpcaps.Size--;
    WdfDeviceSetPnpCapabilities(the_device, &pnpcaps);
    WDF_DEVICE_POWER_CAPABILITIES powercaps;
    WDF_DEVICE_POWER_CAPABILITIES_INIT(&powercaps);
    powercaps.DeviceD1 = WdfTrue;
    WdfDeviceSetPowerCapabilities(the_device, &powercaps);
    WdfDeviceSetAlignmentRequirement(the_device, FILE_QUAD_ALIGNMENT);
    R.align = WdfDeviceGetAlignmentRequirement(the_device);
    PDEVICE_OBJECT fdo = WdfDeviceWdmGetDeviceObject(the_device), pdo = WdfDeviceWdmGetPhysicalDevice(the_device),
                   att = WdfDeviceWdmGetAttachedDevice(the_device);
    R.fdo_maps_back = WdfWdmDeviceGetWdfDeviceHandle(fdo) == the_device;
    R.pdo_maps_to_null = WdfWdmDeviceGetWdfDeviceHandle(pdo) == NULL;
    R.distinct_wdm = fdo && pdo && att && fdo != pdo && pdo != att && fdo != att;
    R.driver_ok = WdfDeviceGetDriver(the_device) == Driver;
    R.driver_object_ok = WdfDriverWdmGetDriverObject(Driver) == entry_driver_object;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    return WdfIoQueueCreate(the_device, &qc, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    entry_driver_object = DriverObject;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static km_env env;

static void setup(void)
{
    memset(&R, 0, sizeof R);
    km_world_start(&env, DriverEntry);
}

static void check(void) { km_world_check(); }

static const dr_scenario scn = {"test-setup", "setup DDIs", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run(setup_mode m, const char *settings)
{
    char err[256];
    mode = m;
    km_env_defaults(&env);
    env.cancel = false;
    KCHECK(km_env_parse(&env, settings, err, sizeof err) == 0);
    return km_test_run(&scn, "random", 1, true);
}

static bool wide_eq(const wchar_t *a, const wchar_t *b) { return wcscmp(a, b) == 0; }

/* Accept-only DDIs: the status each returns and the value it records. */
static void test_accept_only(void)
{
    km_test_result r = run(M_ALL, "registry=MaxTransfers:0x10");
    KEXPECT_CLEAN(r);
    KCHECK(R.name == STATUS_SUCCESS && R.sddl == STATUS_SUCCESS && R.create == STATUS_SUCCESS);
    const km_device_setup *s = &km_w.device->u.dev.setup;
    KCHECK(s->init.ppo_set && s->init.ppo);
    KCHECK(s->init.ppo_callbacks.EvtDeviceArmWakeFromS0 == EvtArmWakeFromS0);
    KCHECK(s->init.has_name && wide_eq(s->init.name, L"\\Device\\Setup0"));
    KCHECK(s->init.device_type == FILE_DEVICE_SOUND && s->init.exclusive);
    KCHECK(s->init.characteristics == (FILE_DEVICE_SECURE_OPEN | FILE_REMOVABLE_MEDIA));
    KCHECK(s->init.power_pageable == 2);
    KCHECK(s->init.has_file_config && s->init.file_config.EvtDeviceFileCreate == EvtFileCreate &&
           s->init.file_config.FileObjectClass == WdfFileObjectWdfCannotUseFsContexts);
    KCHECK(s->init.has_sddl && wide_eq(s->init.sddl, SDDL_DEVOBJ_SYS_ALL_ADM_ALL));
    KCHECK(R.s0 == STATUS_SUCCESS && s->s0_idle_set && s->s0_idle.IdleTimeout == 5000 &&
           s->s0_idle.DxState == PowerDeviceD3);
    KCHECK(R.sx == STATUS_SUCCESS && s->sx_wake_set && s->sx_wake.DxState == PowerDeviceMaximum);
    KCHECK(R.pofx == STATUS_SUCCESS && s->pofx_set && s->pofx.Component && s->pofx.Component->IdleStateCount == 1);
    /* No idle in the model: StopIdle succeeds at once and counts. */
    KCHECK(R.stop_idle == STATUS_SUCCESS && s->stop_idle_count == 1);
    KCHECK(R.iface == STATUS_SUCCESS && s->ninterfaces == 1 && !s->interfaces[0].enabled &&
           memcmp(&s->interfaces[0].guid, &GUID_TEST_INTERFACE, sizeof(GUID)) == 0);
    KCHECK(R.link_empty == STATUS_INVALID_DEVICE_REQUEST && R.link1 == STATUS_SUCCESS &&
           R.link2 == STATUS_INVALID_DEVICE_REQUEST && wide_eq(s->symlink, L"\\DosDevices\\Setup0"));
    KCHECK(s->pnp_caps_set && s->pnp_caps.SurpriseRemovalOK == WdfTrue && s->pnp_caps.Address == (ULONG)-1);
    KCHECK(s->power_caps_set && s->power_caps.DeviceD1 == WdfTrue &&
           s->power_caps.DeviceState[PowerSystemWorking] == PowerDeviceMaximum);
    KCHECK(R.align == FILE_QUAD_ALIGNMENT && s->alignment == FILE_QUAD_ALIGNMENT);
    KCHECK(s->failed == WdfDeviceFailedNoRestart);
    KCHECK(R.fdo_maps_back && R.pdo_maps_to_null && R.distinct_wdm && R.driver_ok && R.driver_object_ok);

    /* Not the power policy owner: KMDF refuses the power policy DDIs. */
    r = run(M_NOT_PPO, "");
    KEXPECT_CLEAN(r);
    KCHECK(R.s0 == STATUS_INVALID_DEVICE_REQUEST && R.sx == STATUS_INVALID_DEVICE_REQUEST &&
           R.pofx == STATUS_INVALID_DEVICE_REQUEST);
    KCHECK(!km_w.device->u.dev.setup.s0_idle_set);

    /* Capabilities of the wrong size: a verifier break, nothing recorded. */
    r = run(M_CAPS_SIZE, "");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "CFG: WdfDeviceSetPnpCapabilities: structure of the wrong size");
}

/* The registry: the environment's values, the driver's own, key objects. */
static void test_registry(void)
{
    km_test_result r = run(M_ALL, "registry=MaxTransfers:0x10");
    KEXPECT_CLEAN(r);
    KCHECK(R.open_params == STATUS_SUCCESS && R.q_env == STATUS_SUCCESS && R.env_value == 0x10);
    KCHECK(R.q_case == STATUS_SUCCESS && R.case_value == 0x10);
    KCHECK(R.q_missing == STATUS_OBJECT_NAME_NOT_FOUND);
    KCHECK(R.a_denied == STATUS_ACCESS_DENIED);
    KCHECK(R.open_dev == STATUS_SUCCESS && R.a_written == STATUS_SUCCESS && R.q_written == STATUS_SUCCESS &&
           R.written_value == 7);
    KCHECK(R.open_bad == STATUS_INVALID_PARAMETER && R.open_sub == STATUS_SUCCESS);
    KCHECK(R.a_sz == STATUS_SUCCESS && R.qus_small == STATUS_BUFFER_OVERFLOW && R.qus_len == 6 * sizeof(WCHAR));
    KCHECK(R.qus == STATUS_SUCCESS && R.qus_text_len == 5 * sizeof(WCHAR) && memcmp(R.qus_text, L"hello", 5 * sizeof(WCHAR)) == 0);
    KCHECK(R.qs == STATUS_SUCCESS && R.qs_text_ok);
    KCHECK(R.qv_null == STATUS_BUFFER_OVERFLOW && R.qv_len == sizeof(ULONG) && R.qv_type == REG_DWORD);
    KCHECK(R.qv == STATUS_SUCCESS && R.qv_data == 0x10);
    KCHECK(R.q_sz_as_ulong == STATUS_OBJECT_TYPE_MISMATCH);
    KCHECK(R.q_wide == STATUS_BUFFER_OVERFLOW); /* a REG_DWORD of 8 bytes does not fit */
    /* Every key was closed: no WDFKEY is left. */
    unsigned keys = 0;
    for (uint32_t i = 0; i < km_w.nobjects; i++)
        keys += km_w.objects[i].type == KM_T_KEY && km_w.objects[i].state != KM_OBJ_FREE;
    KCHECK(keys == 0);

    /* Without the setting the value is not there. */
    r = run(M_ALL, "");
    KEXPECT_CLEAN(r);
    KCHECK(R.q_env == STATUS_OBJECT_NAME_NOT_FOUND);

    /* A key closed twice: its handle is a freed object's. */
    r = run(M_CLOSE_TWICE, "");
    KEXPECT_FINDING(r, DR_FIND_CRASH, "C11: WdfRegistryClose: handle of a freed object");
}

/* Strings hold a copy; collections keep order and a reference per item. */
static void test_strings_collections(void)
{
    km_test_result r = run(M_ALL, "");
    KEXPECT_CLEAN(r);
    KCHECK(R.s_create == STATUS_SUCCESS && R.s_copy && R.s_unchanged && R.s_ctx);
    KCHECK(R.c_create == STATUS_SUCCESS && R.c_ctx);
    KCHECK(R.c_add[0] == STATUS_SUCCESS && R.c_add[1] == STATUS_SUCCESS && R.c_add[2] == STATUS_SUCCESS);
    KCHECK(R.c_count3 == 3 && R.c_order && R.get_out_of_range_null);
    KCHECK(R.refs_in == 2 && R.refs_out == 1);
    KCHECK(R.c_count_after_remove_item == 2 && R.c_order_after && R.c_count_after_remove == 1);
    KCHECK(R.refs_after_delete == 1); /* the collection's destruction released its item */
    KCHECK(R.refs_deleted_item == 1 && R.deleted_item_state == KM_OBJ_DISPOSED &&
           R.deleted_item_state_after == KM_OBJ_FREE);

    r = run(M_REMOVE_ABSENT, "");
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "COLL: WdfCollectionRemove: object not in the collection");
}

int main(void)
{
    test_accept_only();
    test_registry();
    test_strings_collections();
    return km_test_done();
}
