/* ntddk.h: as in the WDK, wdm.h plus what ntddk.h adds (nothing a KMDF driver
 * of dmarace's model needs yet). */
#ifndef DMARACE_NTDDK_H
#define DMARACE_NTDDK_H

#include "wdm.h"

#endif
