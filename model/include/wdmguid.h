/* wdmguid.h: every GUID of the WDK's wdmguid.h (GUID_DEVICE_INTERFACE_ARRIVAL,
 * GUID_BUS_INTERFACE_STANDARD, GUID_PNP_LOCATION_INTERFACE, ...), each a
 * DEFINE_GUID (declared, or defined after initguid.h). The names and values
 * are generated from mingw-w64's ddk/wdmguid.h (km_wdmguid.h). */
#ifndef DMARACE_WDMGUID_H
#define DMARACE_WDMGUID_H
#include "guiddef.h"
#include "km_wdmguid.h"
#endif
