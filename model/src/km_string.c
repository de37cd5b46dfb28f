/* km_string.c: WDFSTRING (fxstringapi.cpp, fxstring.cpp). A string object
 * holds its own copy of the text, in driver-visible memory from the guarded
 * arena (a read past its end meets the guard zone), freed with the object. */
#include "km.h"

#include <string.h>

DR_SITE(site_string_create, "WdfStringCreate");
DR_SITE(site_string_get, "WdfStringGetUnicodeString");

/* FxString::Assign: a new buffer holding a copy of src (or no buffer for an
 * empty string); the old buffer goes. */
static NTSTATUS assign(km_object *o, PCUNICODE_STRING src)
{
    km_string *s = &o->u.str;
    if (s->has_alloc)
        km_free(s->alloc);
    s->has_alloc = false;
    s->str.Buffer = NULL;
    s->str.Length = s->str.MaximumLength = 0;
    if (!src || src->Length == 0)
        return STATUS_SUCCESS;
    WCHAR *buf = km_alloc(src->Length, _Alignof(WCHAR), "WDFSTRING buffer", NULL, o, &s->alloc);
    memcpy(buf, src->Buffer, src->Length);
    s->has_alloc = true;
    s->str.Buffer = buf;
    s->str.Length = s->str.MaximumLength = src->Length;
    return STATUS_SUCCESS;
}

NTSTATUS km_string_assign(km_object *o, PCUNICODE_STRING src) { return assign(o, src); }

void km_string_destroy(km_object *o)
{
    if (o->u.str.has_alloc)
        km_free(o->u.str.alloc);
    o->u.str.has_alloc = false;
}

NTSTATUS WdfStringCreate(PCUNICODE_STRING UnicodeString, PWDF_OBJECT_ATTRIBUTES StringAttributes, WDFSTRING *String)
{
    const char *api = "WdfStringCreate";
    if (!km_enter_irql_checked(&site_string_create, PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!String) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "String is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *String = NULL;
    /* fxstringapi.cpp: FxValidateUnicodeString (an odd length or a length
     * beyond MaximumLength is STATUS_INVALID_PARAMETER). */
    if (UnicodeString && (UnicodeString->Length % sizeof(WCHAR) || UnicodeString->Length > UnicodeString->MaximumLength ||
                          (UnicodeString->Length && !UnicodeString->Buffer)))
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st;
    /* An object without a parent is the driver's child (FxObject::Commit). */
    km_object *o = km_obj_create(KM_T_STRING, StringAttributes, km_w.driver, api, &st);
    if (!o)
        return st;
    assign(o, UnicodeString);
    *String = (WDFSTRING)km_handle(o);
    km_trace(&site_string_create, o, UnicodeString ? UnicodeString->Length : 0);
    return STATUS_SUCCESS;
}

VOID WdfStringGetUnicodeString(WDFSTRING String, PUNICODE_STRING UnicodeString)
{
    const char *api = "WdfStringGetUnicodeString";
    if (!km_enter(&site_string_get, PASSIVE_LEVEL))
        return;
    km_object *o = km_lookup(String, KM_T_STRING, api, false);
    if (!o)
        return;
    if (!UnicodeString) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "UnicodeString is NULL");
        return;
    }
    /* FxString::CopyUnicodeString: the caller gets the object's own buffer. */
    *UnicodeString = o->u.str.str;
}
