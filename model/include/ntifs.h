/* ntifs.h: as in the WDK, ntddk.h and the file-system names; the model has
 * none of the latter, so it provides what ntddk.h provides. */
#ifndef DMARACE_NTIFS_H
#define DMARACE_NTIFS_H
#include "ntddk.h"
#endif
