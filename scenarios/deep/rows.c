/* rows.c: the deep busted drivers' scenarios (docs/deep.md). Each row's
 * environment is the one its bug is deep in; the budget is what the default
 * strategy (seed 1) needs, with margin. */
#include "deep/deep.h"
#include "scn.h"

#define DEEP_DRIVER(var, name, variant)                                                                   \
    static void select_##var(void) { DeepVariant = variant; }                                            \
    SCN_DRIVER(var, name, DeepDriverEntry, select_##var)

DEEP_DRIVER(deep_control_drv, "deep-control", DEEP_CORRECT);
DEEP_DRIVER(deep_nested_drv, "deep-nested-final-stop", DEEP_NESTED_FINAL_STOP);
DEEP_DRIVER(deep_busy_drv, "deep-stop-while-busy", DEEP_STOP_WHILE_BUSY);
DEEP_DRIVER(deep_unclaimed_stop_drv, "deep-wanted-stop-unclaimed", DEEP_WANTED_STOP_UNCLAIMED);
DEEP_DRIVER(deep_unref_drv, "deep-callback-unreferenced", DEEP_CALLBACK_UNREFERENCED);
DEEP_DRIVER(deep_late_drv, "deep-busy-counted-late", DEEP_BUSY_COUNTED_LATE);
DEEP_DRIVER(deep_error_drv, "deep-error-skips-handover", DEEP_ERROR_SKIPS_HANDOVER);
DEEP_DRIVER(deep_walk_drv, "deep-timeout-walk-unreferenced", DEEP_TIMEOUT_WALK_UNREFERENCED);
DEEP_DRIVER(deep_walklate_drv, "deep-walk-reference-late", DEEP_WALK_REFERENCE_LATE);

/* Budgets (executions), for the default swarm walk (--expect stops at the
 * finding, so a budget costs nothing once the bug is found): ten times the
 * larger of its seed-1 first finding in the release and the debug build
 * (each build schedules its own way), rounded up. The old random walk's and
 * PCT's figures: docs/deep.md, bench/search.md. */
#define BUDGET_NESTED 70000      /* swarm seed 1: release 6509, debug 6509 */
#define BUDGET_BUSY 140000       /* 13831, 3778 */
#define BUDGET_UNCLAIMED 610000  /* 60602, 32050 */
#define BUDGET_UNREF 460000      /* 561, 45882 */
#define BUDGET_LATE 340000       /* 9685, 33960 */
#define BUDGET_ERROR 290000      /* 17070, 28584 */
#define BUDGET_WALK 20000        /* 1614, 875 */
#define BUDGET_WALKLATE 190000   /* 1717, 18322 */

SCN_ROW(deep_control, "deep-control", deep_control_drv, 2, "", "clean", 20000,
        "control: the driver the deep busted drivers break, 1 read of 3 transfers, every event live");
SCN_ROW(deep_control_nc, "deep-control-no-cancel", deep_control_drv, 2, "no-cancel", "clean", 20000,
        "control: the driver the deep busted drivers break, no cancellation (timeouts stop)");
SCN_ROW(deep_control_2req, "deep-control-2req", deep_control_drv, 2, "requests=2", "clean", 20000,
        "control: the driver the deep busted drivers break, 2 reads in flight sharing the channel");
SCN_ROW(deep_nested, "deep-nested-final-stop", deep_nested_drv, 2, "", "crash:V13", BUDGET_NESTED,
        "a stop wanted during DmaCompleted is made after the next transfer's callback ended the transaction");
SCN_ROW(deep_busy, "deep-stop-while-busy", deep_busy_drv, 2, "", "crash:V13", BUDGET_BUSY,
        "a stop wanted during DmaCompleted is made while the next transfer's callback makes the final one");
SCN_ROW(deep_unclaimed_stop, "deep-wanted-stop-unclaimed", deep_unclaimed_stop_drv, 2, "", "crash:V13",
        BUDGET_UNCLAIMED,
        "a stop wanted during DmaCompleted made without the hand-over; the stopped transfer's callback ends it first");
SCN_ROW(deep_unref, "deep-callback-unreferenced", deep_unref_drv, 2, "", "crash:use-after-free", BUDGET_UNREF,
        "the callback holds no reference: the next transfer's callback completes the request under it");
SCN_ROW(deep_late, "deep-busy-counted-late", deep_late_drv, 2, "no-cancel", "crash:V13", BUDGET_LATE,
        "the callback counts itself busy after deciding about the hand-over; a timeout's stop slips in between");
SCN_ROW(deep_error, "deep-error-skips-handover", deep_error_drv, 2, "no-cancel", "crash:V13", BUDGET_ERROR,
        "a DmaError callback arriving during a timeout's stop finishes the transaction before the stop");
SCN_ROW(deep_walk, "deep-timeout-walk-unreferenced", deep_walk_drv, 2, "requests=2", "crash:use-after-free",
        BUDGET_WALK, "a timeout stops the other read in flight without a reference; it completes in between");
SCN_ROW(deep_walklate, "deep-walk-reference-late", deep_walklate_drv, 2, "requests=2", "crash:C11", BUDGET_WALKLATE,
        "a timeout references the other read only after dropping the list's lock; it completes in between");
