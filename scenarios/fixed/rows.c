/* rows.c: the fixed protocol in the environments it must be clean in. */
#include "fixed/fixed.h"
#include "scn.h"

SCN_DRIVER(fixed, "fixed", FixedDriverEntry, NULL);

SCN_ROW(fixed_1, "fixed", fixed, 2, "", "clean", 20000,
        "fixed protocol, 1 request of 3 transfers, every event live, 2 CPUs")

/* The smallest environments, for bounded exhaustive search (docs/fixed-protocol.md). */
SCN_ROW(fixed_small_1t, "fixed-small-1t", fixed, 2,
        "request_length=1p no-dma_error no-dma_abort no-short_mapping no-deferred_adapter no-sync_stop_callback",
        "clean", 20000, "fixed protocol, one transfer, cancel and timeout live, no injected faults, 2 CPUs")
SCN_ROW(fixed_small_2t, "fixed-small-2t", fixed, 2,
        "request_length=2p no-dma_abort no-short_mapping no-deferred_adapter no-sync_stop_callback", "clean", 20000,
        "fixed protocol, two transfers, cancel, timeout and DMA errors live, 2 CPUs")
