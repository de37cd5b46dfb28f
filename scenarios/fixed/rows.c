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

/* The environments the published protocol is run in (scenarios/table.c). */
SCN_ROW(fixed_1cpu, "fixed-1cpu", fixed, 1, "", "clean", 20000, "fixed protocol on 1 CPU")
SCN_ROW(fixed_4cpu, "fixed-4cpu", fixed, 4, "", "clean", 20000, "fixed protocol on 4 CPUs")
SCN_ROW(fixed_1t, "fixed-1-transfer", fixed, 2, "request_length=1p", "clean", 20000, "fixed protocol, one transfer")
SCN_ROW(fixed_8t, "fixed-8-transfers", fixed, 2, "request_length=8p", "clean", 20000, "fixed protocol, 8 transfers")
SCN_ROW(fixed_2req, "fixed-2-requests", fixed, 2, "requests=2", "clean", 20000,
        "fixed protocol, 2 requests in flight at once")
SCN_ROW(fixed_2seq, "fixed-2-sequential", fixed, 2, "requests=2 no-concurrent", "clean", 20000,
        "fixed protocol, 2 requests one after the other")
SCN_ROW(fixed_nover, "fixed-no-verifier", fixed, 2, "no-verifier", "clean", 20000, "fixed protocol, verifier off")
SCN_ROW(fixed_allocfail, "fixed-execute-failure", fixed, 2, "alloc_failure", "clean", 20000,
        "fixed protocol, AllocateAdapterChannel may fail")
SCN_ROW(fixed_halfail, "fixed-hal-failure", fixed, 2, "hal_failure", "clean", 20000,
        "fixed protocol, MapTransferEx and FlushAdapterBuffersEx may fail")
SCN_ROW(fixed_4req, "fixed-4-requests-4cpu", fixed, 4, "requests=4 request_length=2p", "clean", 20000,
        "fixed protocol, 4 requests of 2 transfers in flight on 4 CPUs")

/* ---- the protocol extended to the device's life (fixed/lifetime.c) ---------------- */
static void lifetime_correct(void) { FixedLifetimeVariant = FIXED_LIFETIME_CORRECT; }
SCN_DRIVER(fixed_lifetime, "fixed-lifetime", FixedLifetimeDriverEntry, lifetime_correct);

SCN_ROW(fixed_life, "fixed-lifetime", fixed_lifetime, 2, "", "clean", 20000,
        "fixed protocol with EvtIoStop, D0Exit, ReleaseHardware and a status register, no power events")

/* With power cycles, stop and removal (docs/fixed-protocol.md, "The device's
 * life"). Not yet in CTest: the model calls EvtIoStop without the hold
 * reference KMDF takes on the request (fxioqueue.cpp
 * FxIoQueue::ProcessPowerEvents, FXREQUEST_HOLD_TAG), so EvtIoStop's read of
 * the context after the DMA path completed the request is a use-after-free
 * that KMDF rules out (the report of branch i15-scn). */
SCN_ROW(fixed_life_power, "fixed-lifetime-power", fixed_lifetime, 2, "power_cycles=2", "clean", 20000,
        "fixed lifetime protocol, two power cycles with a transfer in flight")
SCN_ROW(fixed_life_remove, "fixed-lifetime-remove", fixed_lifetime, 2, "requests=2 power_cycles=1 remove", "clean",
        20000, "fixed lifetime protocol, 2 requests, a power cycle, then removal")
SCN_ROW(fixed_life_surprise, "fixed-lifetime-surprise", fixed_lifetime, 2, "requests=2 surprise_remove", "clean",
        20000, "fixed lifetime protocol, 2 requests, surprise removal")
SCN_ROW(fixed_life_stop, "fixed-lifetime-stop", fixed_lifetime, 2, "pnp_stop remove", "clean", 20000,
        "fixed lifetime protocol, query-stop, stop and restart, then removal")
SCN_ROW(fixed_life_ioctl, "fixed-lifetime-ioctl", fixed_lifetime, 2,
        "requests=3 ioctls=1 ioctl=0x226000 ioctl_out=12 power_cycles=1 remove", "clean", 20000,
        "fixed lifetime protocol, 2 reads and a status IOCTL, a power cycle, then removal")
SCN_ROW(fixed_life_4cpu, "fixed-lifetime-4cpu", fixed_lifetime, 4, "requests=4 request_length=2p power_cycles=1 surprise_remove",
        "clean", 20000, "fixed lifetime protocol, 4 requests on 4 CPUs, a power cycle, surprise removal")
