/* wdfcollection.h: one area of dmarace's wdf.h, as KMDF's headers are split;
 * a driver includes <wdf.h>. A WDFCOLLECTION is an ordered list of objects,
 * each referenced while it is in the list (km_collection.c). */
#ifndef DMARACE_WDFCOLLECTION_H
#define DMARACE_WDFCOLLECTION_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

_Must_inspect_result_ NTSTATUS WdfCollectionCreate(PWDF_OBJECT_ATTRIBUTES CollectionAttributes,
                                                   WDFCOLLECTION *Collection);
ULONG WdfCollectionGetCount(WDFCOLLECTION Collection);
_Must_inspect_result_ NTSTATUS WdfCollectionAdd(WDFCOLLECTION Collection, WDFOBJECT Object);
VOID WdfCollectionRemove(WDFCOLLECTION Collection, WDFOBJECT Item);
VOID WdfCollectionRemoveItem(WDFCOLLECTION Collection, ULONG Index);
WDFOBJECT WdfCollectionGetItem(WDFCOLLECTION Collection, ULONG Index);
WDFOBJECT WdfCollectionGetFirstItem(WDFCOLLECTION Collection);
WDFOBJECT WdfCollectionGetLastItem(WDFCOLLECTION Collection);

#ifdef __cplusplus
}
#endif
#endif
