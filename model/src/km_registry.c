/* km_registry.c: registry keys (fxregistryapi.cpp, fxregkey.cpp). A key is an
 * object (WDFKEY, parented to the driver or the device unless the attributes
 * say otherwise) closed by WdfRegistryClose or WdfObjectDelete; closing it
 * again is a use of a freed handle (C11). The model's registry is one flat
 * set of values that every key shows (the driver's Parameters key, the
 * device's hardware and software keys, any subkey): the environment's
 * (`registry=Name:value`, REG_DWORD) and what the driver assigned earlier in
 * the execution, through a key opened with KEY_SET_VALUE. A value the
 * environment does not give is STATUS_OBJECT_NAME_NOT_FOUND, so a driver's
 * defaults are what runs unless a scenario says otherwise. */
#include "km.h"

#include <string.h>
#include <wctype.h>

DR_SITE(site_open_params, "WdfDriverOpenParametersRegistryKey");
DR_SITE(site_open_device_key, "WdfDeviceOpenRegistryKey");
DR_SITE(site_open_key, "WdfRegistryOpenKey");
DR_SITE(site_close, "WdfRegistryClose");
DR_SITE(site_query_value, "WdfRegistryQueryValue");
DR_SITE(site_query_ulong, "WdfRegistryQueryULong");
DR_SITE(site_query_ustr, "WdfRegistryQueryUnicodeString");
DR_SITE(site_query_string, "WdfRegistryQueryString");
DR_SITE(site_assign_value, "WdfRegistryAssignValue");

void km_registry_reset(const km_env *env)
{
    km_w.nreg = 0;
    for (unsigned i = 0; i < env->nregistry && i < KM_ENV_REG_VALUES && km_w.nreg < KM_MAX_REG_VALUES; i++) {
        km_reg_value *v = &km_w.reg[km_w.nreg++];
        memset(v, 0, sizeof *v);
        for (size_t c = 0; c < KM_ENV_REG_NAME - 1 && env->registry[i].name[c]; c++)
            v->name[c] = (wchar_t)env->registry[i].name[c];
        v->type = REG_DWORD;
        v->length = sizeof(ULONG);
        memcpy(v->data, &env->registry[i].value, sizeof(ULONG));
    }
}

static bool null_param(const void *p, const char *api, const char *what)
{
    if (p)
        return false;
    km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "%s is NULL", what);
    return true;
}

/* Value names compare without case, as the registry's do. */
static km_reg_value *find_value(PCUNICODE_STRING name)
{
    size_t n = name->Length / sizeof(WCHAR);
    for (unsigned i = 0; i < km_w.nreg; i++) {
        const km_reg_value *v = &km_w.reg[i];
        if (wcslen(v->name) != n)
            continue;
        size_t c = 0;
        while (c < n && towlower((wint_t)v->name[c]) == towlower((wint_t)name->Buffer[c]))
            c++;
        if (c == n)
            return &km_w.reg[i];
    }
    return NULL;
}

/* fxvalidatefunctions FxValidateUnicodeString: even length within MaximumLength. */
static bool bad_ustr(PCUNICODE_STRING s)
{
    return s->Length % sizeof(WCHAR) || s->Length > s->MaximumLength || (s->Length && !s->Buffer);
}

static NTSTATUS open_key(km_object *default_parent, ACCESS_MASK access, PWDF_OBJECT_ATTRIBUTES attrs, WDFKEY *Key,
                         const dr_site *site, const char *api)
{
    NTSTATUS st;
    km_object *k = km_obj_create(KM_T_KEY, attrs, default_parent, api, &st);
    if (!k)
        return st;
    k->u.key.access = access;
    *Key = (WDFKEY)km_handle(k);
    km_trace(site, k, (int64_t)access);
    return STATUS_SUCCESS;
}

/* The prologue of the DDIs that open a key of a driver or device object:
 * the entry check at PASSIVE_LEVEL (KMDF's), the object's handle (of type
 * want), a Key to write, cleared. NULL when one failed; *st is then what
 * the DDI returns. */
static km_object *open_key_of(const dr_site *site, WDFOBJECT h, km_type want, WDFKEY *Key, const char *api,
                              NTSTATUS *st)
{
    *st = STATUS_INVALID_DEVICE_REQUEST;
    if (!km_enter_irql_checked(site, PASSIVE_LEVEL))
        return NULL;
    *st = STATUS_INVALID_HANDLE;
    km_object *o = km_lookup(h, want, api, false);
    if (!o)
        return NULL;
    *st = STATUS_INVALID_PARAMETER;
    if (null_param(Key, api, "Key"))
        return NULL;
    *Key = NULL;
    return o;
}

NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess,
                                            PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    const char *api = "WdfDriverOpenParametersRegistryKey";
    NTSTATUS st;
    km_object *d = open_key_of(&site_open_params, Driver, KM_T_DRIVER, Key, api, &st);
    if (!d)
        return st;
    return open_key(d, DesiredAccess, KeyAttributes, Key, &site_open_params, api);
}

NTSTATUS WdfDeviceOpenRegistryKey(WDFDEVICE Device, ULONG DeviceInstanceKeyType, ACCESS_MASK DesiredAccess,
                                  PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    const char *api = "WdfDeviceOpenRegistryKey";
    NTSTATUS st;
    km_object *d = open_key_of(&site_open_device_key, Device, KM_T_DEVICE, Key, api, &st);
    if (!d)
        return st;
    /* IoOpenDeviceRegistryKey: the hardware (DEVICE) or software (DRIVER)
     * key, optionally of the current hardware profile. */
    ULONG kind = DeviceInstanceKeyType & ~(ULONG)PLUGPLAY_REGKEY_CURRENT_HWPROFILE;
    if (kind != PLUGPLAY_REGKEY_DEVICE && kind != PLUGPLAY_REGKEY_DRIVER)
        return STATUS_INVALID_PARAMETER;
    return open_key(d, DesiredAccess, KeyAttributes, Key, &site_open_device_key, api);
}

NTSTATUS WdfRegistryOpenKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess,
                            PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    const char *api = "WdfRegistryOpenKey";
    if (!km_enter_irql_checked(&site_open_key, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (null_param(KeyName, api, "KeyName") || null_param(Key, api, "Key"))
        return STATUS_INVALID_PARAMETER;
    *Key = NULL;
    if (ParentKey && !km_lookup(ParentKey, KM_T_KEY, api, false))
        return STATUS_INVALID_HANDLE;
    if (bad_ustr(KeyName))
        return STATUS_INVALID_PARAMETER;
    return open_key(km_w.driver, DesiredAccess, KeyAttributes, Key, &site_open_key, api);
}

VOID WdfRegistryClose(WDFKEY Key)
{
    if (!km_enter_irql_checked(&site_close, PASSIVE_LEVEL))
        return;
    km_object *k = km_lookup(Key, KM_T_KEY, "WdfRegistryClose", false);
    if (!k)
        return;
    km_trace(&site_close, k, 0);
    km_obj_delete(k); /* fxregistryapi.cpp: Close, then DeleteObject */
}

static km_object *key_for_query(WDFKEY Key, PCUNICODE_STRING ValueName, const dr_site *site, const char *api,
                                NTSTATUS *st)
{
    *st = STATUS_INVALID_DEVICE_REQUEST;
    if (!km_enter_irql_checked(site, PASSIVE_LEVEL))
        return NULL;
    *st = STATUS_INVALID_HANDLE;
    km_object *k = km_lookup(Key, KM_T_KEY, api, false);
    if (!k)
        return NULL;
    *st = STATUS_INVALID_PARAMETER;
    if (null_param(ValueName, api, "ValueName") || bad_ustr(ValueName))
        return NULL;
    km_trace(site, k, 0);
    return k;
}

/* ZwQueryValueKey as FxRegKey::QueryValue uses it: the value's type and
 * length always, its data when the buffer holds it, else STATUS_BUFFER_OVERFLOW. */
NTSTATUS WdfRegistryQueryValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueLength, PVOID Value,
                               PULONG ValueLengthQueried, PULONG ValueType)
{
    NTSTATUS st;
    if (!key_for_query(Key, ValueName, &site_query_value, "WdfRegistryQueryValue", &st))
        return st;
    const km_reg_value *v = find_value(ValueName);
    if (!v)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (ValueLengthQueried)
        *ValueLengthQueried = v->length;
    if (ValueType)
        *ValueType = v->type;
    if (!Value || ValueLength < v->length)
        return STATUS_BUFFER_OVERFLOW;
    memcpy(Value, v->data, v->length);
    return STATUS_SUCCESS;
}

/* FxRegKey::_QueryULong (km/fxregkeykm.cpp): another type than REG_DWORD is
 * STATUS_OBJECT_TYPE_MISMATCH; more than 4 bytes do not fit its buffer
 * (STATUS_BUFFER_OVERFLOW); else the 4 bytes (the model's data is zero past a
 * shorter value). */
NTSTATUS WdfRegistryQueryULong(WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value)
{
    NTSTATUS st;
    if (!key_for_query(Key, ValueName, &site_query_ulong, "WdfRegistryQueryULong", &st))
        return st;
    if (null_param(Value, "WdfRegistryQueryULong", "Value"))
        return STATUS_INVALID_PARAMETER;
    const km_reg_value *v = find_value(ValueName);
    if (!v)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (v->type != REG_DWORD)
        return STATUS_OBJECT_TYPE_MISMATCH;
    if (v->length > sizeof(ULONG))
        return STATUS_BUFFER_OVERFLOW;
    memcpy(Value, v->data, sizeof(ULONG));
    return STATUS_SUCCESS;
}

static bool sz_type(ULONG t) { return t == REG_SZ || t == REG_EXPAND_SZ; } /* FxRegKey::_IsValidSzType */

/* fxregistryapi.cpp WdfRegistryQueryUnicodeString: the byte length always
 * (ValueByteLength), the text when Value's buffer holds it, without the
 * terminating NUL. */
NTSTATUS WdfRegistryQueryUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PUSHORT ValueByteLength,
                                       PUNICODE_STRING Value)
{
    const char *api = "WdfRegistryQueryUnicodeString";
    NTSTATUS st;
    if (!key_for_query(Key, ValueName, &site_query_ustr, api, &st))
        return st;
    if (Value && (bad_ustr(Value) || Value->MaximumLength == 0))
        return STATUS_INVALID_PARAMETER;
    const km_reg_value *v = find_value(ValueName);
    if (!v)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (!sz_type(v->type))
        return STATUS_OBJECT_TYPE_MISMATCH;
    if (ValueByteLength)
        *ValueByteLength = (USHORT)v->length;
    if (!Value || Value->MaximumLength < v->length)
        return STATUS_BUFFER_OVERFLOW;
    memcpy(Value->Buffer, v->data, v->length);
    Value->Length = (USHORT)v->length;
    if (Value->Length >= sizeof(WCHAR) && Value->Buffer[Value->Length / sizeof(WCHAR) - 1] == 0)
        Value->Length -= sizeof(WCHAR);
    return STATUS_SUCCESS;
}

NTSTATUS WdfRegistryQueryString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String)
{
    const char *api = "WdfRegistryQueryString";
    NTSTATUS st;
    if (!key_for_query(Key, ValueName, &site_query_string, api, &st))
        return st;
    km_object *s = km_lookup(String, KM_T_STRING, api, false);
    if (!s)
        return STATUS_INVALID_HANDLE;
    const km_reg_value *v = find_value(ValueName);
    if (!v)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (!sz_type(v->type))
        return STATUS_OBJECT_TYPE_MISMATCH;
    if (v->length == 0)
        return STATUS_RESOURCE_DATA_NOT_FOUND;
    WCHAR text[KM_MAX_REG_DATA / sizeof(WCHAR)];
    memcpy(text, v->data, v->length);
    UNICODE_STRING tmp = {(USHORT)v->length, (USHORT)v->length, text};
    if (text[tmp.Length / sizeof(WCHAR) - 1] == 0)
        tmp.Length -= sizeof(WCHAR);
    return km_string_assign(s, &tmp);
}

/* ZwSetValueKey: the key must have been opened with KEY_SET_VALUE. The value
 * is seen by every later query in this execution. */
NTSTATUS WdfRegistryAssignValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, ULONG ValueLength,
                                PVOID Value)
{
    const char *api = "WdfRegistryAssignValue";
    NTSTATUS st;
    km_object *k = key_for_query(Key, ValueName, &site_assign_value, api, &st);
    if (!k)
        return st;
    if (ValueLength && null_param(Value, api, "Value"))
        return STATUS_INVALID_PARAMETER;
    if (!(k->u.key.access & (KEY_SET_VALUE | GENERIC_WRITE | GENERIC_ALL)))
        return STATUS_ACCESS_DENIED;
    size_t n = ValueName->Length / sizeof(WCHAR);
    if (n >= KM_ENV_REG_NAME || ValueLength > KM_MAX_REG_DATA)
        return STATUS_INSUFFICIENT_RESOURCES; /* the model's limits (km.h) */
    km_reg_value *v = find_value(ValueName);
    if (!v) {
        if (km_w.nreg == KM_MAX_REG_VALUES)
            return STATUS_INSUFFICIENT_RESOURCES;
        v = &km_w.reg[km_w.nreg++];
        memset(v, 0, sizeof *v);
        memcpy(v->name, ValueName->Buffer, n * sizeof(WCHAR));
    }
    v->type = ValueType;
    v->length = ValueLength;
    memset(v->data, 0, sizeof v->data);
    if (ValueLength)
        memcpy(v->data, Value, ValueLength);
    return STATUS_SUCCESS;
}

NTSTATUS WdfRegistryAssignULong(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG Value)
{
    return WdfRegistryAssignValue(Key, ValueName, REG_DWORD, sizeof Value, &Value);
}
