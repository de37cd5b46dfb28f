/* km_gendev.c: the generic bus-master DMA device (km_gendev.h), a device
 * model (km_device.h) any scenario selects with `device=generic`:
 * km_world_start installs it unless the scenario set its own. Its registers
 * are the first KM_GENDEV_SPAN bytes of memory range 0; it raises interrupt
 * line 0. Two channels each run one transfer at a time, described either by
 * a table of descriptors in a common buffer or by one buffer (packet mode).
 *
 * START checks that the descriptor table lies in a live common buffer and
 * that every range lies in a programmed DMA stage (km_dma_logical_owned:
 * between EvtProgramDma and DmaCompleted*), snapshots the descriptors, sets
 * BUSY and arms an engine event: the transfer's duration is the scheduler's
 * choice. When it fires (the hardware acting: no driver context, no
 * scheduling point) the outcome is a tape choice (complete, short with
 * env.short_transfer, error with env.dma_error); the bytes moved must still
 * be in a programmed stage, a device-to-memory run writes them
 * (KM_GENDEV_PATTERN), then DONE (and ERROR) is set, BUSY cleared and the
 * line updated. The checks are dmarace's own (HW5-HW7): a real device just
 * moves data wherever it is told. docs/model-device.md. */
#include "km.h"
#include "km_device.h"
#include "km_gendev.h"
#include "km_hb.h"

#include <string.h>

typedef struct gd_channel {
    unsigned index;
    bool busy;
    uint32_t direction;                  /* KM_GENDEV_DIR_*, latched at START */
    bool packet;                         /* DESC_COUNT was 0 at START */
    unsigned nelem;                      /* ranges of the run (packet mode: 1) */
    km_gendev_desc elem[KM_GENDEV_MAX_DESC]; /* the run's ranges, read at START */
    uint64_t total;                      /* bytes asked */
    dr_event done;                       /* the run ends */
} gd_channel;

static struct {
    volatile uint8_t *regs;
    bool line_up;         /* what the device last drove line KM_GENDEV_LINE to */
    gd_channel ch[KM_GENDEV_CHANNELS];
} G;

DR_SITE(site_start, "gendev-start");
DR_SITE(site_abort, "gendev-abort");
DR_SITE(site_complete, "gendev-complete");
DR_SITE(site_short, "gendev-short");
DR_SITE(site_error, "gendev-error");
/* 0 complete; then short if env.short_transfer (and the run asked for a byte);
 * then error if env.dma_error. */
DR_SITE(site_outcome, "gendev-outcome");
DR_SITE(site_abort_bytes, "gendev-abort-bytes"); /* 0 nothing moved, 1 the first half */

static const char api[] = "generic device";

/* ---- register memory (the hardware's accesses: TSan sees none) ---------------------------------- */

static uint32_t reg(size_t off)
{
    uint32_t v;
    km_quiet_writes_begin();
    memcpy(&v, (const uint8_t *)(uintptr_t)G.regs + off, sizeof v);
    km_quiet_writes_end();
    return v;
}

static void reg_set(size_t off, uint32_t v)
{
    km_quiet_writes_begin();
    memcpy((uint8_t *)(uintptr_t)G.regs + off, &v, sizeof v);
    km_quiet_writes_end();
}

static size_t ch_reg(unsigned c, size_t off) { return (size_t)KM_GENDEV_CH(c) + off; }

/* Line 0 is asserted while an enabled status bit is set. A latched line
 * (edge, message) is asserted again for each newly set enabled bit: one
 * interrupt per event. */
static void update_line(uint32_t new_bits)
{
    uint32_t level = reg(KM_GENDEV_INT_STATUS) & reg(KM_GENDEV_INT_ENABLE);
    if (level && (!G.line_up || (km_w.env.interrupt_latched && (new_bits & level)))) {
        G.line_up = true;
        km_device_irq_assert(KM_GENDEV_LINE);
    } else if (!level && G.line_up) {
        G.line_up = false;
        km_device_irq_deassert(KM_GENDEV_LINE);
    }
}

static void raise_status(uint32_t bits)
{
    uint32_t old = reg(KM_GENDEV_INT_STATUS);
    reg_set(KM_GENDEV_INT_STATUS, old | bits);
    update_line(bits & ~old);
}

/* ---- memory the device may touch -------------------------------------------------------------- */

/* HW5 on the first range of the run's first `bytes` bytes that no programmed
 * DMA stage holds. Returns true if it fired. */
static bool unowned(const gd_channel *ch, uint64_t bytes, const char *when)
{
    for (unsigned i = 0; i < ch->nelem && bytes; i++) {
        uint64_t n = ch->elem[i].length < bytes ? ch->elem[i].length : bytes;
        bytes -= n;
        if (!n || km_dma_logical_owned(ch->elem[i].address, (size_t)n))
            continue;
        return km_crash("HW5", api, "DMA to memory not mapped for DMA",
                        "channel %u %s: %s %llu bytes at logical address %#llx (%s %u), which no DMA stage "
                        "holds (a stage is the device's from EvtProgramDma to DmaCompleted*)",
                        ch->index, when, ch->direction == KM_GENDEV_DIR_TO_MEMORY ? "writing" : "reading",
                        (unsigned long long)n, (unsigned long long)ch->elem[i].address,
                        ch->packet ? "packet" : "descriptor",
                        i);
    }
    return false;
}

/* A device-to-memory run writes its first `bytes` bytes. A request buffer it
 * writes is marked written, so the arena zeroes it before its next use. */
static void move_data(const gd_channel *ch, uint64_t bytes)
{
    if (ch->direction != KM_GENDEV_DIR_TO_MEMORY)
        return;
    uint64_t k = 0;
    dr_hardware_begin();
    km_quiet_writes_begin();
    for (unsigned i = 0; i < ch->nelem && k < bytes; i++) {
        uint8_t *p = km_logical_to_virtual(ch->elem[i].address); /* owned: checked at START and now */
        uint64_t n = ch->elem[i].length < bytes - k ? ch->elem[i].length : bytes - k;
        for (uint64_t j = 0; j < n; j++)
            p[j] = KM_GENDEV_PATTERN(k + j);
        for (unsigned r = 0; r < km_w.nrequests; r++) {
            km_object *req = km_world_request(r);
            const uint8_t *b = req ? req->u.req.buffer : NULL;
            if (b && n && p < b + req->u.req.length && p + n > b)
                km_mem_exposed(req->u.req.buffer_alloc);
        }
        k += n;
    }
    km_quiet_writes_end();
    dr_hardware_end();
}

/* The run ends: `bytes` moved, DONE (and ERROR) set, BUSY cleared. */
static void finish(gd_channel *ch, uint64_t bytes, bool error)
{
    move_data(ch, bytes);
    ch->busy = false;
    reg_set(ch_reg(ch->index, KM_GENDEV_STATUS), 0);
    reg_set(ch_reg(ch->index, KM_GENDEV_BYTES_DONE), (uint32_t)bytes);
    raise_status(KM_GENDEV_INT_DONE(ch->index) | (error ? KM_GENDEV_INT_ERROR(ch->index) : 0));
}

/* ---- the channel -------------------------------------------------------------------------------- */

static void run_done(void *arg)
{
    gd_channel *ch = arg;
    bool can_short = km_w.env.short_transfer && ch->total > 0;
    uint32_t n = 1 + (can_short ? 1 : 0) + (km_w.env.dma_error ? 1 : 0);
    uint32_t c = dr_choose(&site_outcome, n);
    bool shorter = c == 1 && can_short, error = c != 0 && !shorter;
    uint64_t bytes = c == 0 ? ch->total : ch->total / 2; /* cut short: the first half moved */
    if (unowned(ch, bytes, "finishing its run"))
        return;
    dr_trace(error ? &site_error : shorter ? &site_short : &site_complete, NULL, 0, (int64_t)ch->index);
    dr_hardware_begin();
    finish(ch, bytes, error);
    dr_hardware_end();
}

static void start(gd_channel *ch)
{
    unsigned c = ch->index;
    if (ch->busy) {
        km_own_check("HW6", api, "START on a busy channel",
                     "the driver wrote START to channel %u while its run (%llu bytes) was still going: the device "
                     "does not queue runs, and restarting one in flight is undefined (ABORT it, or wait for DONE)",
                     c, (unsigned long long)ch->total);
        return;
    }
    uint64_t addr = reg(ch_reg(c, KM_GENDEV_DESC_LO)) | (uint64_t)reg(ch_reg(c, KM_GENDEV_DESC_HI)) << 32;
    uint32_t count = reg(ch_reg(c, KM_GENDEV_DESC_COUNT));
    ch->direction = reg(ch_reg(c, KM_GENDEV_DIRECTION)) & 1;
    if (count > KM_GENDEV_MAX_DESC) {
        km_own_check("HW7", api, "descriptor count above 256",
                     "the driver started channel %u with DESC_COUNT %u (1 to %d descriptors, 0 for packet mode)", c,
                     (unsigned)count, KM_GENDEV_MAX_DESC);
        return;
    }
    ch->packet = count == 0;
    if (ch->packet) {
        ch->nelem = 1;
        ch->elem[0] = (km_gendev_desc){addr, reg(ch_reg(c, KM_GENDEV_LENGTH)), 0};
    } else {
        size_t table = (size_t)count * sizeof(km_gendev_desc);
        if (!km_dma_common_buffer_holds(addr, table)) {
            km_crash("HW5", api, "descriptor table not in a common buffer",
                     "channel %u started with %u descriptors (%zu bytes) at logical address %#llx, which no live "
                     "common buffer holds: the device reads the table by DMA",
                     c, (unsigned)count, table, (unsigned long long)addr);
            return;
        }
        km_quiet_writes_begin();
        memcpy(ch->elem, km_logical_to_virtual(addr), table);
        km_quiet_writes_end();
        ch->nelem = count;
    }
    ch->total = 0;
    for (unsigned i = 0; i < ch->nelem; i++)
        ch->total += ch->elem[i].length;
    if (unowned(ch, ch->total, "at START"))
        return;
    ch->busy = true;
    reg_set(ch_reg(c, KM_GENDEV_STATUS), KM_GENDEV_STS_BUSY);
    reg_set(ch_reg(c, KM_GENDEV_BYTES_DONE), 0);
    dr_trace(&site_start, NULL, 0, (int64_t)c);
    dr_event_arm(&ch->done);
}

/* ABORT: a running run stops having moved nothing or its first half (a
 * choice), with DONE and ERROR; an idle channel ignores it. */
static void abort_run(gd_channel *ch)
{
    if (!ch->busy)
        return;
    dr_event_disarm(&ch->done);
    uint64_t bytes = dr_choose(&site_abort_bytes, ch->total >= 2 ? 2 : 1) ? ch->total / 2 : 0;
    if (unowned(ch, bytes, "when aborted"))
        return;
    dr_trace(&site_abort, NULL, 0, (int64_t)ch->index);
    finish(ch, bytes, true);
}

/* ---- the hooks ---------------------------------------------------------------------------------------- */

/* A write of `val` to the bytes `mask` selects of the 32-bit register at off. */
static void write_reg(size_t off, uint32_t val, uint32_t mask)
{
    const uint32_t bits = KM_GENDEV_INT_DONE(0) | KM_GENDEV_INT_DONE(1) | KM_GENDEV_INT_ERROR(0) |
                          KM_GENDEV_INT_ERROR(1);
    uint32_t old = reg(off), merged = (old & ~mask) | (val & mask);
    switch (off) {
    case KM_GENDEV_INT_STATUS: /* write 1 to clear */
        reg_set(off, old & ~(val & mask));
        update_line(0);
        return;
    case KM_GENDEV_INT_ENABLE:
        reg_set(off, merged & bits);
        update_line(merged & bits & ~old);
        return;
    default:
        break;
    }
    if (off < KM_GENDEV_CH0 || off >= (size_t)KM_GENDEV_CH(KM_GENDEV_CHANNELS))
        return; /* DEVICE_ID and the reserved registers: read-only */
    gd_channel *ch = &G.ch[(off - KM_GENDEV_CH0) / KM_GENDEV_CH_STRIDE];
    switch ((off - KM_GENDEV_CH0) % KM_GENDEV_CH_STRIDE) {
    case KM_GENDEV_CONTROL: /* reads 0; ABORT, then START */
        if (val & mask & KM_GENDEV_CTL_ABORT)
            abort_run(ch);
        if (!dr_failed() && (val & mask & KM_GENDEV_CTL_START))
            start(ch);
        return;
    case KM_GENDEV_DIRECTION:
        reg_set(off, merged & 1);
        return;
    case KM_GENDEV_DESC_LO:
    case KM_GENDEV_DESC_HI:
    case KM_GENDEV_DESC_COUNT:
    case KM_GENDEV_LENGTH:
        reg_set(off, merged);
        return;
    default: /* STATUS, BYTES_DONE: read-only */
        return;
    }
}

/* Each 32-bit register the write covers, in address order; what is stored is
 * what the registers hold afterwards (bytes past the register block are
 * plain memory: the driver's). */
static void on_write(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    if (range != 0 || offset >= KM_GENDEV_SPAN)
        return;
    for (size_t r = offset & ~(size_t)3; r < offset + width && r < KM_GENDEV_SPAN && !dr_failed(); r += 4) {
        uint32_t val = 0, mask = 0;
        for (size_t b = 0; b < 4; b++) {
            if (r + b < offset || r + b >= offset + width)
                continue;
            mask |= 0xFFu << (8 * b);
            val |= (uint32_t)((*value >> (8 * (r + b - offset))) & 0xFF) << (8 * b);
        }
        write_reg(r, val, mask);
    }
    for (size_t b = 0; b < width && offset + b < KM_GENDEV_SPAN; b++) {
        uint64_t byte = ((const uint8_t *)(uintptr_t)G.regs)[offset + b];
        *value = (*value & ~(0xFFull << (8 * b))) | byte << (8 * b);
    }
}

/* Execution start (km_world_start, after km_regs_reset): the device is off
 * unless device=generic, and then powers up idle with its registers zero but
 * DEVICE_ID. A scenario that built its km_env by hand without the resources
 * km_env_parse asks for gets the same refusal as a finding. */
bool km_gendev_start(const km_env *env)
{
    memset(&G, 0, sizeof G);
    if (env->device != KM_ENV_DEVICE_GENERIC)
        return true;
    size_t length = 0;
    volatile void *regs = km_device_registers(0, &length);
    if (!regs || length < KM_GENDEV_SPAN || env->interrupts < 1) {
        km_oracle("ENV", "bad environment", "device=generic needs memory range 0 of at least %#x bytes and an interrupt "
                  "resource (memory=4K interrupts=1)", (unsigned)KM_GENDEV_SPAN);
        return false;
    }
    km_device_model m = {.ctx = NULL, .on_write = on_write};
    if (!km_regs_device_default(&m))
        return true; /* the scenario's own device model */
    G.regs = regs;
    for (unsigned c = 0; c < KM_GENDEV_CHANNELS; c++) {
        G.ch[c].index = c;
        dr_event_init(&G.ch[c].done, run_done, &G.ch[c], c ? "gendev-ch1-done" : "gendev-ch0-done");
    }
    dr_hardware_begin();
    reg_set(KM_GENDEV_DEVICE_ID, KM_GENDEV_ID);
    dr_hardware_end();
    return true;
}
