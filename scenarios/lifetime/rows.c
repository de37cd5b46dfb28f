/* rows.c: the busted variants of the device's life (issue 15; docs/busted.md):
 * the fixed protocol's lifetime build broken one way each (fixed/fixed.h
 * FIXED_LIFETIME_VARIANT), and the parking driver (lifetime/park.c). */
#include "fixed/fixed.h"
#include "scn.h"

static void purge_cancel(void) { FixedLifetimeVariant = FIXED_LIFETIME_CANCEL_STOPS_UNCHECKED; }

SCN_DRIVER(lifetime_purge_cancel, "busted-lifetime-purge-cancel", FixedLifetimeDriverEntry, purge_cancel);

SCN_ROW(busted_lifetime_purge_cancel, "busted-lifetime-purge-cancel", lifetime_purge_cancel, 2, "", "crash:WdfDmaTransactionStopSystemTransfer", 200,
        "f: EvtRequestCancel stops the transfer as the published protocol does; the removal's purge cancels")
