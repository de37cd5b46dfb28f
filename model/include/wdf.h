/* wdf.h: the KMDF API a system-mode DMA driver uses, with KMDF's own names,
 * types and signatures (KMDF 1.33 public headers are the reference), backed by
 * dmarace's model. Handles are generation-checked values, not pointers: a
 * stale or foreign handle is caught, never dereferenced. */
#ifndef DMARACE_WDF_H
#define DMARACE_WDF_H

#include "wdftypes.h"
#include "wdfobject.h"
#include "wdfdriver.h"
#include "wdfdevice.h"
#include "wdfio.h"
#include "wdfdma.h"
#include "wdftimer.h"
#include "wdfsync.h"
#include "wdfdpc.h"
#include "wdfworkitem.h"
#include "wdfstring.h"
#include "wdfcollection.h"
#include "wdfregistry.h"
#include "wdfqueryinterface.h"
#include "wdfinterrupt.h"
#include "wdfmemory.h"
#include "wdfrequest.h"

#endif
