/* rows.c: the bus-master driver (busmaster.c) in the environments it must be
 * clean in, and its busted variants with the finding each must produce
 * (docs/scenarios.md, docs/busted.md). Every row runs on the model's generic
 * DMA device: one 4 KiB register range and one level-sensitive interrupt. */
#include "busmaster/busmaster.h"
#include "scn.h"

#define BM_ENV "device=generic interrupts=1 "

#define BM_DRIVER(var, name, variant)                                                                     \
    static void select_##var(void) { BmVariant = variant; }                                              \
    SCN_DRIVER(var, name, BmDriverEntry, select_##var)

BM_DRIVER(busmaster, "busmaster", BM_CORRECT);

/* ---- the correct driver ----------------------------------------------------------------- */

SCN_ROW(bm_1, "busmaster", busmaster, 2, BM_ENV "", "clean", 5000,
        "bus-master driver, 1 read of 3 pages, cancel, timeout, DMA errors, short transfers, spurious "
        "interrupts live, 2 CPUs")
SCN_ROW(bm_1cpu, "busmaster-1cpu", busmaster, 1, BM_ENV "", "clean", 5000, "bus-master driver on 1 CPU")
SCN_ROW(bm_4cpu, "busmaster-4cpu", busmaster, 4, BM_ENV "", "clean", 5000, "bus-master driver on 4 CPUs")
SCN_ROW(bm_rw, "busmaster-read-write", busmaster, 2, BM_ENV "requests=2 writes=1", "clean", 5000,
        "bus-master driver, a read and a write at once (both channels)")
SCN_ROW(bm_writes, "busmaster-writes", busmaster, 2, BM_ENV "requests=2 writes=2", "clean", 5000,
        "bus-master driver, 2 writes queued on the write channel")
SCN_ROW(bm_seq, "busmaster-2-sequential", busmaster, 2, BM_ENV "requests=2 no-concurrent", "clean", 5000,
        "bus-master driver, 2 reads one after the other")
SCN_ROW(bm_4req, "busmaster-4-requests-4cpu", busmaster, 4, BM_ENV "requests=4 writes=2 request_length=2p",
        "clean", 5000, "bus-master driver, 2 reads and 2 writes of 2 pages in flight on 4 CPUs")
SCN_ROW(bm_8p, "busmaster-8-stages", busmaster, 2, BM_ENV "request_length=8p", "clean", 5000,
        "bus-master driver, one read of 8 pages (8 stages)")
SCN_ROW(bm_desc, "busmaster-descriptors", busmaster, 2, BM_ENV "requests=2 writes=1 request_length=8p map_registers=5",
        "clean", 5000, "bus-master driver, a read and a write of 8 pages, 2 stages of 4 descriptors each")
SCN_ROW(bm_latched, "busmaster-latched", busmaster, 2, BM_ENV "requests=2 writes=1 interrupt_latched", "clean", 5000,
        "bus-master driver, a read and a write, a latched (edge or message) interrupt: one per event")
SCN_ROW(bm_nover, "busmaster-no-verifier", busmaster, 2, BM_ENV "no-verifier", "clean", 5000,
        "bus-master driver, KMDF Verifier off")
SCN_ROW(bm_nocancel, "busmaster-no-cancel", busmaster, 2, BM_ENV "no-cancel", "clean", 5000,
        "bus-master driver, no cancellation (timeout, faults and spurious interrupts live)")
SCN_ROW(bm_nofaults, "busmaster-no-faults", busmaster, 2,
        BM_ENV "no-cancel no-dma_error no-short_transfer no-spurious_interrupts", "clean", 5000,
        "bus-master driver, no cancellation, no device faults, no spurious interrupts")
SCN_ROW(bm_error, "busmaster-dma-error", busmaster, 2, BM_ENV "no-cancel no-short_transfer", "clean", 5000,
        "bus-master driver, DMA errors the only device fault")
SCN_ROW(bm_short, "busmaster-short", busmaster, 2, BM_ENV "no-cancel no-dma_error", "clean", 5000,
        "bus-master driver, short transfers the only device fault")
SCN_ROW(bm_spurious, "busmaster-spurious", busmaster, 2,
        BM_ENV "requests=2 writes=1 no-cancel no-dma_error no-short_transfer", "clean", 5000,
        "bus-master driver, a read and a write, spurious interrupts the only fault")

/* ---- busted variants -------------------------------------------------------------------- */

BM_DRIVER(bm_complete_isr, "busmaster-complete-in-isr", BM_COMPLETE_IN_ISR);
BM_DRIVER(bm_dmacompleted_isr, "busmaster-dma-completed-in-isr", BM_DMA_COMPLETED_IN_ISR);
BM_DRIVER(bm_isr_unlocked, "busmaster-isr-unlocked", BM_ISR_STATE_UNLOCKED);
BM_DRIVER(bm_cancel_completes, "busmaster-cancel-completes", BM_CANCEL_COMPLETES);
BM_DRIVER(bm_workitem, "busmaster-workitem-outlives", BM_WORKITEM_OUTLIVES);
BM_DRIVER(bm_waitlock, "busmaster-waitlock-at-dispatch", BM_WAITLOCK_AT_DISPATCH);
BM_DRIVER(bm_no_ack, "busmaster-isr-no-ack", BM_ISR_NO_ACK);
BM_DRIVER(bm_table, "busmaster-table-after-delete", BM_TABLE_AFTER_DELETE);

SCN_ROW(bm_complete_isr_row, "busmaster-complete-in-isr", bm_complete_isr, 2, BM_ENV "", "framework:WdfRequestComplete: called above DISPATCH_LEVEL", 200,
        "the ISR fails the request on an error interrupt: WdfRequestComplete at DIRQL")
SCN_ROW(bm_dmacompleted_isr_row, "busmaster-dma-completed-in-isr", bm_dmacompleted_isr, 2, BM_ENV "",
        "framework:WdfDmaTransactionDmaCompleted: called above DISPATCH_LEVEL", 200,
        "the ISR calls WdfDmaTransactionDmaCompleted at DIRQL")
SCN_ROW(bm_isr_unlocked_row, "busmaster-isr-unlocked", bm_isr_unlocked, 2, BM_ENV "requests=2 writes=1", "check:lost",
        1000, "the DPC takes the events the ISR leaves without the interrupt lock: a data race, an event lost")
SCN_ROW(bm_cancel_completes_row, "busmaster-cancel-completes", bm_cancel_completes, 2, BM_ENV "",
        "crash:C11: WdfRequestGetParameters", 2000,
        "the cancel routine ends the transaction and completes; the abort's DPC uses the completed request")
SCN_ROW(bm_workitem_row, "busmaster-workitem-outlives", bm_workitem, 2, BM_ENV "",
        "crash:C11: WdfRequestGetParameters", 200,
        "a work item reads the request the DPC completed")
SCN_ROW(bm_waitlock_row, "busmaster-waitlock-at-dispatch", bm_waitlock, 2, BM_ENV "",
        "framework:V33: WdfWaitLockAcquire", 200,
        "the DPC takes a WDFWAITLOCK at DISPATCH_LEVEL")
SCN_ROW(bm_no_ack_row, "busmaster-isr-no-ack", bm_no_ack, 1, BM_ENV "", "livelock:interrupt storm", 20000,
        "the ISR leaves the acknowledge to the DPC: the level-sensitive line storms (1 CPU)")
SCN_ROW(bm_table_row, "busmaster-table-after-delete", bm_table, 2, BM_ENV "requests=2 no-cancel",
        "crash:use-after-free: write to a freed common buffer", 9000,
        "after a DMA error a work item replaces the descriptor table the next request is using")
