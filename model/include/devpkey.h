/* devpkey.h: every device property key of the WDK's devpkey.h (DEVPKEY_NAME,
 * DEVPKEY_Device_DeviceDesc, DEVPKEY_Device_HardwareIds, ...), each a
 * DEFINE_DEVPROPKEY: declared, or defined when initguid.h came before the
 * first include. Generated from mingw-w64's devpkey.h (km_devpkey.h). */
#ifndef DMARACE_DEVPKEY_H
#define DMARACE_DEVPKEY_H
#include "devpropdef.h"
#include "km_devpkey.h"
/* The serial port interface's keys (ntddser.h in the WDK), which
 * mingw-w64's devpkey.h lacks. */
DEFINE_DEVPROPKEY(DEVPKEY_DeviceInterface_Serial_UsbVendorId, 0x4c6bf15c, 0x4c03, 0x4aac, 0x91, 0xf5, 0x64, 0xc0,
                  0xf8, 0x52, 0xbc, 0xf4, 2);
DEFINE_DEVPROPKEY(DEVPKEY_DeviceInterface_Serial_UsbProductId, 0x4c6bf15c, 0x4c03, 0x4aac, 0x91, 0xf5, 0x64, 0xc0,
                  0xf8, 0x52, 0xbc, 0xf4, 3);
DEFINE_DEVPROPKEY(DEVPKEY_DeviceInterface_Serial_PortName, 0x4c6bf15c, 0x4c03, 0x4aac, 0x91, 0xf5, 0x64, 0xc0,
                  0xf8, 0x52, 0xbc, 0xf4, 4);
#endif
