/* wdfsync.h: one area of dmarace's wdf.h, which is split by area as KMDF's
 * headers are; a driver includes <wdf.h>, which includes them all. */
#ifndef DMARACE_WDFSYNC_H
#define DMARACE_WDFSYNC_H

#include "wdfobject.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- spin locks ------------------------------------------------------------------------ */
_Must_inspect_result_ NTSTATUS WdfSpinLockCreate(PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK *SpinLock);
VOID WdfSpinLockAcquire(WDFSPINLOCK SpinLock);
VOID WdfSpinLockRelease(WDFSPINLOCK SpinLock);

/* ---- wait locks ------------------------------------------------------------------------ */
_Must_inspect_result_ NTSTATUS WdfWaitLockCreate(PWDF_OBJECT_ATTRIBUTES LockAttributes, WDFWAITLOCK *Lock);
/* Timeout: NULL waits forever; 0 tries once; negative is relative, in 100 ns. */
NTSTATUS WdfWaitLockAcquire(WDFWAITLOCK Lock, PLONGLONG Timeout);
VOID WdfWaitLockRelease(WDFWAITLOCK Lock);

#ifdef __cplusplus
}
#endif
#endif
