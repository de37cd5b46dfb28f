/* km_collection.c: WDFCOLLECTION (fxcollectionapi.cpp, fxcollection.cpp).
 * An ordered list of objects; each item is referenced while it is in the list
 * (FxCollectionInternal::AddEntry: ADDREF; CleanupEntryObject: RELEASE), and
 * the collection releases what it still holds when it is destroyed
 * (~FxCollection: Clear), not when it is deleted. An item deleted while in a
 * collection stays there, deleted: using its handle is a use of a deleted
 * object (C11), as in KMDF. Up to KM_MAX_COLLECTION items: an Add beyond fails
 * as KMDF's does when its entry cannot be allocated. */
#include "km.h"

#include <string.h>

DR_SITE(site_coll_create, "WdfCollectionCreate");
DR_SITE(site_coll_count, "WdfCollectionGetCount");
DR_SITE(site_coll_add, "WdfCollectionAdd");
DR_SITE(site_coll_remove, "WdfCollectionRemove");
DR_SITE(site_coll_remove_item, "WdfCollectionRemoveItem");
DR_SITE(site_coll_get, "WdfCollectionGetItem");
DR_SITE(site_coll_first, "WdfCollectionGetFirstItem");
DR_SITE(site_coll_last, "WdfCollectionGetLastItem");

static km_object *collection(WDFCOLLECTION c, const dr_site *site, const char *api)
{
    if (!km_enter(site, DISPATCH_LEVEL))
        return NULL;
    return km_lookup(c, KM_T_COLLECTION, api, false);
}

/* Take entry i out: the list closes up, then the item's reference goes
 * (outside the collection's lock in KMDF, CleanupEntryObject). */
static void remove_at(km_object *c, ULONG i)
{
    km_collection *k = &c->u.coll;
    km_object *item = k->items[i];
    memmove(&k->items[i], &k->items[i + 1], (k->count - i - 1) * sizeof k->items[0]);
    k->items[--k->count] = NULL;
    km_obj_unref(item);
}

void km_collection_destroy(km_object *o)
{
    while (o->u.coll.count && !dr_failed())
        remove_at(o, 0);
}

NTSTATUS WdfCollectionCreate(PWDF_OBJECT_ATTRIBUTES CollectionAttributes, WDFCOLLECTION *Collection)
{
    const char *api = "WdfCollectionCreate";
    if (!km_enter(&site_coll_create, DISPATCH_LEVEL))
        return STATUS_UNSUCCESSFUL;
    if (!Collection) {
        km_bugcheck("V30", WDF_REQUIRED_PARAMETER_IS_NULL, api, "NULL required parameter", "Collection is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    *Collection = NULL;
    NTSTATUS st;
    km_object *o = km_obj_create(KM_T_COLLECTION, CollectionAttributes, km_w.driver, api, &st);
    if (!o)
        return st;
    *Collection = (WDFCOLLECTION)km_handle(o);
    km_trace(&site_coll_create, o, 0);
    return STATUS_SUCCESS;
}

ULONG WdfCollectionGetCount(WDFCOLLECTION Collection)
{
    km_object *c = collection(Collection, &site_coll_count, "WdfCollectionGetCount");
    return c ? c->u.coll.count : 0;
}

NTSTATUS WdfCollectionAdd(WDFCOLLECTION Collection, WDFOBJECT Object)
{
    const char *api = "WdfCollectionAdd";
    km_object *c = collection(Collection, &site_coll_add, api);
    if (!c)
        return STATUS_INVALID_HANDLE;
    km_object *item = km_lookup_any(Object, api, false);
    if (!item)
        return STATUS_INVALID_HANDLE;
    if (c->u.coll.count == KM_MAX_COLLECTION)
        return STATUS_UNSUCCESSFUL;
    km_obj_ref(item);
    c->u.coll.items[c->u.coll.count++] = item;
    km_trace(&site_coll_add, c, c->u.coll.count);
    return STATUS_SUCCESS;
}

VOID WdfCollectionRemove(WDFCOLLECTION Collection, WDFOBJECT Item)
{
    const char *api = "WdfCollectionRemove";
    km_object *c = collection(Collection, &site_coll_remove, api);
    if (!c)
        return;
    km_object *item = km_lookup_any(Item, api, true);
    if (!item)
        return;
    for (ULONG i = 0; i < c->u.coll.count; i++)
        if (c->u.coll.items[i] == item) {
            km_trace(&site_coll_remove, c, i);
            remove_at(c, i);
            return;
        }
    /* fxcollectionapi.cpp: STATUS_NOT_FOUND, a verifier break. */
    km_vf_break("COLL", api, "object not in the collection", "%s%u is not in COLL%u", km_type_prefix(item->type),
                item->id, c->id);
}

VOID WdfCollectionRemoveItem(WDFCOLLECTION Collection, ULONG Index)
{
    const char *api = "WdfCollectionRemoveItem";
    km_object *c = collection(Collection, &site_coll_remove_item, api);
    if (!c)
        return;
    if (Index >= c->u.coll.count) {
        /* fxcollectionapi.cpp: STATUS_NOT_FOUND, a verifier break. */
        km_vf_break("COLL", api, "index not in the collection", "index %u, COLL%u has %u items", (unsigned)Index,
                    c->id, (unsigned)c->u.coll.count);
        return;
    }
    km_trace(&site_coll_remove_item, c, Index);
    remove_at(c, Index);
}

/* The item's handle, or NULL; a deleted item's handle is returned as KMDF
 * does (GetObjectHandle), the driver's use of it is then caught. */
WDFOBJECT WdfCollectionGetItem(WDFCOLLECTION Collection, ULONG Index)
{
    km_object *c = collection(Collection, &site_coll_get, "WdfCollectionGetItem");
    return c && Index < c->u.coll.count ? km_handle(c->u.coll.items[Index]) : NULL;
}

WDFOBJECT WdfCollectionGetFirstItem(WDFCOLLECTION Collection)
{
    km_object *c = collection(Collection, &site_coll_first, "WdfCollectionGetFirstItem");
    return c && c->u.coll.count ? km_handle(c->u.coll.items[0]) : NULL;
}

WDFOBJECT WdfCollectionGetLastItem(WDFCOLLECTION Collection)
{
    km_object *c = collection(Collection, &site_coll_last, "WdfCollectionGetLastItem");
    return c && c->u.coll.count ? km_handle(c->u.coll.items[c->u.coll.count - 1]) : NULL;
}
