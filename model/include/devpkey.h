/* devpkey.h: every device property key of the WDK's devpkey.h (DEVPKEY_NAME,
 * DEVPKEY_Device_DeviceDesc, DEVPKEY_Device_HardwareIds, ...), each a
 * DEFINE_DEVPROPKEY: declared, or defined when initguid.h came before the
 * first include. Generated from mingw-w64's devpkey.h (km_devpkey.h). */
#ifndef DMARACE_DEVPKEY_H
#define DMARACE_DEVPKEY_H
#include "devpropdef.h"
#include "km_devpkey.h"
#endif
