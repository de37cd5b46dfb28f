/* table.c: the published protocol (scenarios/published) in its environments,
 * and its handler variants, each a separate driver. Busted drivers and the
 * fixed protocol declare their rows beside their code.
 *
 * Environments vary one thing at a time from the default (1 request of 3
 * transfers, cancel, timeout, DMA error and abort injection, short mapping,
 * deferred and synchronous callbacks all live, verifier on, 2 CPUs). */
#include "published/published.h"
#include "scn.h"

/* Measured verdicts (docs/findings.md has every finding of every row). */
#define PUBLISHED_EXPECT_1CPU "crash:V13"
#define PUBLISHED_EXPECT_1T "crash:V13"
/* Was framework:V8 (the cancel callback calling Cancel on the transaction
 * EvtIoRead released after Execute failed): that needs EvtRequestCancel to run
 * while EvtIoRead still runs, which KMDF's dispatch gate (m_Dispatching,
 * fxioqueue.cpp) rules out with one request in flight. */
#define PUBLISHED_EXPECT_ALLOCFAIL "crash:V13"
#define PUBLISHED_EXPECT_MARK_AFTER "framework:V17" /* Unmark before the request was marked */
#define PUBLISHED_EXPECT_TIMER_NEVER "check:lost"
#define PUBLISHED_EXPECT_HALFAIL "check:C2" /* DmaCompleted TRUE with the HAL error, completed as success */
#define PUBLISHED_EXPECT_EXEC_FAIL "framework:V16" /* completes a request still cancelable */

static void as_implied(void) { PublishedVariant = PUBLISHED_AS_IMPLIED; }
static void mark_after_execute(void) { PublishedVariant = PUBLISHED_MARK_AFTER_EXECUTE; }
static void timer_never_started(void) { PublishedVariant = PUBLISHED_TIMER_REF_NEVER_STARTED; }
static void execute_failure_completes(void) { PublishedVariant = PUBLISHED_EXECUTE_FAILURE_COMPLETES; }

SCN_DRIVER(published, "published", PublishedDriverEntry, as_implied);
SCN_DRIVER(published_mark_after, "published-mark-after-execute", PublishedDriverEntry, mark_after_execute);
SCN_DRIVER(published_timer_never, "published-timer-ref-never-started", PublishedDriverEntry, timer_never_started);
SCN_DRIVER(published_exec_fail, "published-execute-failure-completes", PublishedDriverEntry,
           execute_failure_completes);

/* ---- the published protocol, with the handler as it implies ------------------------- */
SCN_ROW(published_1, "published", published, 2, "", "crash:V13", 10000,
        "1 request of 3 transfers, every event live, 2 CPUs")
SCN_ROW(published_1cpu, "published-1cpu", published, 1, "", PUBLISHED_EXPECT_1CPU, 10000,
        "as published, on 1 CPU")
SCN_ROW(published_4cpu, "published-4cpu", published, 4, "", "crash:V13", 10000, "as published, on 4 CPUs")
SCN_ROW(published_1t, "published-1-transfer", published, 2, "request_length=1p", PUBLISHED_EXPECT_1T, 10000,
        "one transfer (length within MaximumFragmentLength)")
SCN_ROW(published_8t, "published-8-transfers", published, 2, "request_length=8p", "crash:V13", 10000,
        "8 transfers")
SCN_ROW(published_2req, "published-2-requests", published, 2, "requests=2", "crash:V13", 10000,
        "2 requests in flight at once")
SCN_ROW(published_2seq, "published-2-sequential", published, 2, "requests=2 no-concurrent", "crash:V13", 10000,
        "2 requests, one after the other")
SCN_ROW(published_nover, "published-no-verifier", published, 2, "no-verifier", "crash:V13", 10000,
        "KMDF Verifier off")
SCN_ROW(published_timeout, "published-timeout-only", published, 2, "no-cancel no-dma_error no-dma_abort",
        "crash:V13", 10000, "no cancel, no injected DMA faults: only the timeout races completion")
SCN_ROW(published_cancel, "published-no-faults", published, 2, "no-dma_error no-dma_abort no-short_mapping",
        "crash:V13", 10000, "cancel and timeout live, no injected DMA faults")
SCN_ROW(published_sync, "published-synchronous", published, 2, "no-deferred_adapter no-sync_stop_callback",
        "crash:V13", 10000, "adapter control always inside Execute, stop never calls back synchronously")
SCN_ROW(published_allocfail, "published-execute-failure", published, 2, "alloc_failure",
        PUBLISHED_EXPECT_ALLOCFAIL, 10000, "AllocateAdapterChannel may fail: Execute returns an error")
SCN_ROW(published_halfail, "published-hal-failure", published, 2, "hal_failure", PUBLISHED_EXPECT_HALFAIL, 10000,
        "MapTransferEx and FlushAdapterBuffersEx may fail")

/* ---- the handler variants ----------------------------------------------------------- */
SCN_ROW(variant_mark_after, "published-mark-after-execute", published_mark_after, 2, "",
        PUBLISHED_EXPECT_MARK_AFTER, 10000, "handler marks the request cancelable after Execute")
SCN_ROW(variant_timer_never, "published-timer-ref-never-started", published_timer_never, 2, "",
        PUBLISHED_EXPECT_TIMER_NEVER, 10000, "handler counts a timer reference for a timer it never starts")
SCN_ROW(variant_exec_fail, "published-execute-failure-completes", published_exec_fail, 2, "alloc_failure",
        PUBLISHED_EXPECT_EXEC_FAIL, 10000, "handler treats an Execute failure as drop-and-complete")
