/* rows.c: the busted variants of the device's life (issue 15; docs/busted.md):
 * the fixed protocol's lifetime build broken one way each (fixed/fixed.h
 * FIXED_LIFETIME_VARIANT), and the parking driver (lifetime/park.c). */
#include "fixed/fixed.h"
#include "scn.h"

static void purge_cancel(void) { FixedLifetimeVariant = FIXED_LIFETIME_CANCEL_STOPS_UNCHECKED; }

SCN_DRIVER(lifetime_purge_cancel, "busted-lifetime-purge-cancel", FixedLifetimeDriverEntry, purge_cancel);

SCN_ROW(busted_lifetime_purge_cancel, "busted-lifetime-purge-cancel", lifetime_purge_cancel, 2, "remove no-cancel", "crash:WdfDmaTransactionStopSystemTransfer", 6000,
        "f: EvtIoStop keeps in-flight reads cancelable; the removal's purge cancels them and EvtRequestCancel stops the transfer unchecked")

static void ack_in_flight(void) { FixedLifetimeVariant = FIXED_LIFETIME_ACK_IN_FLIGHT; }
SCN_DRIVER(lifetime_ack_in_flight, "busted-lifetime-ack-in-flight", FixedLifetimeDriverEntry, ack_in_flight);
SCN_ROW(busted_lifetime_ack_in_flight, "busted-lifetime-ack-in-flight", lifetime_ack_in_flight, 2, "power_cycles=1",
        "check:PNP1:", 2000,
        "b: EvtIoStop acknowledges a request whose transfer runs; its DMA path reads a register after D0Exit")

static void ioctl_after_complete(void) { FixedLifetimeVariant = FIXED_LIFETIME_IOCTL_WRITE_AFTER_COMPLETE; }
SCN_DRIVER(lifetime_ioctl_after_complete, "busted-lifetime-ioctl-after-complete", FixedLifetimeDriverEntry,
           ioctl_after_complete);
SCN_ROW(busted_lifetime_ioctl_after_complete, "busted-lifetime-ioctl-after-complete", lifetime_ioctl_after_complete, 2,
        "requests=2 ioctls=1 ioctl=0x226000 ioctl_out=12", "crash:use-after-free", 200,
        "e: the status IOCTL writes its METHOD_BUFFERED output after completing the request")

/* ---- the parking driver (lifetime/park.c) ---------------------------------------- */
#include "lifetime/park.h"

static void park_correct(void) { ParkVariant = PARK_CORRECT; }
static void park_stop_ignored(void) { ParkVariant = PARK_STOP_IGNORED; }
static void park_forgets(void) { ParkVariant = PARK_FORGETS_AT_REMOVAL; }
static void park_completes_forwarded(void) { ParkVariant = PARK_COMPLETES_FORWARDED; }
SCN_DRIVER(park, "park", ParkDriverEntry, park_correct);
SCN_DRIVER(park_stop_ignored_drv, "busted-park-stop-ignored", ParkDriverEntry, park_stop_ignored);
SCN_DRIVER(park_forgets_drv, "busted-park-forgets", ParkDriverEntry, park_forgets);
SCN_DRIVER(park_completes_forwarded_drv, "busted-park-completes-forwarded", ParkDriverEntry, park_completes_forwarded);

SCN_ROW(park_1, "park", park, 2, "requests=2 power_cycles=1 remove", "clean", 20000,
        "reads held in the driver's list from a manual queue; a power cycle, then removal; cancel live")
SCN_ROW(park_surprise, "park-surprise", park, 2, "requests=3 power_cycles=2 surprise_remove", "clean", 20000,
        "reads held in the driver's list; two power cycles, then surprise removal; cancel live")
SCN_ROW(park_nocancel, "park-no-cancel", park, 2, "requests=2 power_cycles=1 remove no-cancel", "clean", 20000,
        "reads held in the driver's list; a power cycle, then removal; no cancel")
SCN_ROW(busted_park_stop_ignored, "busted-park-stop-ignored", park_stop_ignored_drv, 2,
        "requests=2 power_cycles=1 remove no-cancel", "framework:QSTOP1", 200,
        "a: EvtIoStop neither acknowledges nor completes the reads it holds")
SCN_ROW(busted_park_forgets, "busted-park-forgets", park_forgets_drv, 2, "requests=2 remove", "framework:QSTOP4", 200,
        "c: reads held uncancelable in the driver's list, dropped from it at the removal's purge, never completed")
SCN_ROW(busted_park_completes_forwarded, "busted-park-completes-forwarded", park_completes_forwarded_drv, 2,
        "requests=2 remove", "framework:V14: WdfRequestComplete", 200, "d: EvtIoRead completes the read it forwarded to the manual queue")
