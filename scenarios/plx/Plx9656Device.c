/* Plx9656Device.c: a device model of the PLX PCI9656's DMA engine, as far as
 * a KMDF driver of it sees: the local configuration registers in memory
 * range 0 (PLX_INTCSR, the two DMA channels' mode, address, count, descriptor
 * pointer and command/status registers), chained (scatter/gather) DMA with
 * descriptors read from host memory, and the PCI interrupt (line 0, level).
 * Offsets and bits are the chip's (PCI 9656BA data book, "Local
 * Configuration Registers"). Written for dmarace (km_device.h); install it
 * from a scenario's SELECT function: Plx9656Select. Compiled with the
 * engine's flags, not as driver code (scenarios/CMakeLists.txt): its state
 * is the hardware's, not a subject of the race search or of TSan. */
#include "km_device.h"
#include "plx9656.h"
#include "dr/dr.h"

#include <stdint.h>
#include <string.h>

enum { MAX_ELEMENTS = 512 };

typedef struct plx_channel {
    unsigned index;
    int busy;
    dr_event done;
    unsigned nelem;
    uint64_t addr[MAX_ELEMENTS];
    uint32_t len[MAX_ELEMENTS];
    uint64_t desc[MAX_ELEMENTS]; /* each element's descriptor (0: register mode) */
    int to_pci;
} plx_channel;

static struct {
    volatile uint8_t *regs;
    size_t length;
    plx_channel ch[2];
} P;

static uint32_t rd32(size_t off)
{
    uint32_t v;
    memcpy(&v, (const uint8_t *)P.regs + off, 4);
    return v;
}

static void wr32(size_t off, uint32_t v) { memcpy((uint8_t *)P.regs + off, &v, 4); }

/* Line 0 follows PLX_INTCSR: PCI interrupts enabled and a channel's interrupt
 * enabled and active. */
static void update_line(void)
{
    uint32_t i = rd32(PLX_INTCSR);
    int on = (i & PLX_INT_PCI_ENABLE) && (((i & PLX_INT_DMA_ENABLE(0)) && (i & PLX_INT_DMA_ACTIVE(0))) ||
                                      ((i & PLX_INT_DMA_ENABLE(1)) && (i & PLX_INT_DMA_ACTIVE(1))));
    if (on)
        km_device_irq_assert(0);
    else
        km_device_irq_deassert(0);
}

static void bad_dma(const plx_channel *ch, const char *what, uint64_t addr, uint32_t len)
{
    dr_fail(DR_FIND_CRASH, "PLX9656: DMA to memory not mapped for DMA",
            "channel %u: %s at logical address %#llx (%u bytes), which no DMA stage or common buffer holds",
            ch->index, what, (unsigned long long)addr, len);
}

/* START: read the chain (or the one block) the driver programmed. */
static void start(plx_channel *ch)
{
    unsigned c = ch->index;
    uint32_t mode = rd32(PLX_DMAMODE(c));
    ch->nelem = 0;
    if (mode & PLX_MODE_SG) {
        uint32_t dpr = rd32(PLX_DMADPR(c));
        for (;;) {
            if (!(dpr & PLX_DPR_PCI)) {
                dr_fail(DR_FIND_CRASH, "PLX9656: descriptor in local memory",
                        "channel %u: the descriptor pointer %#x names local-bus memory (the model has none)", c,
                        (unsigned)dpr);
                return;
            }
            uint64_t da = PLX_DPR_ADDR(dpr);
            const uint8_t *d = km_device_dma_memory(da, 20);
            if (!d) {
                bad_dma(ch, "reading a descriptor", da, 20);
                return;
            }
            uint32_t f[5]; /* PCI address low, local address, size, next pointer, PCI address high */
            memcpy(f, d, sizeof f);
            if (ch->nelem == MAX_ELEMENTS) {
                dr_fail(DR_FIND_CRASH, "PLX9656: descriptor chain does not end",
                        "channel %u: more than %d descriptors (a loop?)", c, MAX_ELEMENTS);
                return;
            }
            ch->addr[ch->nelem] = f[0] | ((mode & PLX_MODE_DAC_CHAIN) ? (uint64_t)f[4] << 32 : 0);
            ch->len[ch->nelem] = f[2];
            ch->desc[ch->nelem] = da;
            ch->to_pci = (f[3] & PLX_DPR_TO_PCI) != 0;
            ch->nelem++;
            if (f[3] & PLX_DPR_LAST)
                break;
            dpr = f[3];
        }
    } else {
        ch->addr[0] = rd32(PLX_DMAPADR(c)) | (uint64_t)rd32(PLX_DMADAC(c)) << 32;
        ch->len[0] = rd32(PLX_DMASIZ(c));
        ch->desc[0] = 0;
        ch->to_pci = (rd32(PLX_DMADPR(c)) & PLX_DPR_TO_PCI) != 0;
        ch->nelem = 1;
    }
    for (unsigned i = 0; i < ch->nelem; i++)
        if (ch->len[i] && !km_device_dma_mapped(ch->addr[i], ch->len[i])) {
            bad_dma(ch, ch->to_pci ? "writing" : "reading", ch->addr[i], ch->len[i]);
            return;
        }
    ch->busy = 1;
    dr_event_arm(&ch->done);
}

/* The transfer ends (an engine event: when is the scheduler's choice). */
static void finish(plx_channel *ch)
{
    unsigned c = ch->index;
    dr_hardware_begin();
    for (unsigned i = 0; i < ch->nelem && ch->to_pci; i++) {
        uint8_t *m = km_device_dma_memory(ch->addr[i], ch->len[i]);
        if (!m) { /* the driver gave the stage back before the device was done */
            bad_dma(ch, "writing", ch->addr[i], ch->len[i]);
            dr_hardware_end();
            return;
        }
        memset(m, 0xA5, ch->len[i]);
    }
    uint32_t mode = rd32(PLX_DMAMODE(c));
    for (unsigned i = 0; i < ch->nelem && (mode & PLX_MODE_CLEAR_COUNT); i++) {
        uint8_t *d = ch->desc[i] ? km_device_dma_memory(ch->desc[i], 20) : NULL;
        if (d)
            memset(d + 8, 0, 4); /* the descriptor's transfer size */
        else if (!ch->desc[i])
            wr32(PLX_DMASIZ(c), 0);
    }
    ch->busy = 0;
    P.regs[PLX_DMACSR(c)] = (uint8_t)(P.regs[PLX_DMACSR(c)] | PLX_CSR_DONE);
    if ((mode & PLX_MODE_DONE_INT) && (mode & PLX_MODE_INT_TO_PCI))
        wr32(PLX_INTCSR, rd32(PLX_INTCSR) | PLX_INT_DMA_ACTIVE(c));
    update_line();
    dr_hardware_end();
}

static void on_done(void *arg) { finish(arg); }

/* Register memory exists once the execution's world has started. */
static int have_regs(void)
{
    if (!P.regs)
        P.regs = km_device_registers(0, &P.length);
    return P.regs && P.length >= 0x100;
}

static void on_read(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx, (void)range, (void)offset, (void)width, (void)value; /* every register reads as stored */
}

static void on_write(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    dr_hardware_begin(); /* the device's own state: no scheduling points, not the driver's accesses */
    if (range != 0 || !have_regs()) {
        dr_hardware_end();
        return;
    }
    for (unsigned b = 0; b < width; b++) {
        size_t at = offset + b;
        uint8_t byte = (uint8_t)(*value >> (8 * b));
        if (at == PLX_DMACSR(0) || at == PLX_DMACSR(1)) {
            plx_channel *ch = &P.ch[at - PLX_DMACSR(0)];
            uint8_t old = P.regs[at];
            uint8_t stored = (uint8_t)((byte & PLX_CSR_ENABLE) | (old & PLX_CSR_DONE));
            if ((byte & PLX_CSR_CLEAR)) { /* clear the channel's interrupt */
                wr32(PLX_INTCSR, rd32(PLX_INTCSR) & ~PLX_INT_DMA_ACTIVE(ch->index));
                update_line();
            }
            if ((byte & PLX_CSR_ABORT) && ch->busy) {
                dr_event_disarm(&ch->done);
                ch->busy = 0;
                stored |= PLX_CSR_DONE;
            }
            if ((byte & PLX_CSR_START) && (byte & PLX_CSR_ENABLE) && !ch->busy) {
                stored &= (uint8_t)~PLX_CSR_DONE;
                P.regs[at] = stored;
                start(ch);
                stored = P.regs[at];
            }
            *value = (*value & ~((uint64_t)0xFF << (8 * b))) | ((uint64_t)stored << (8 * b));
        } else if (at == PLX_INTCSR && width == 4 && b == 0) {
            uint32_t v = (uint32_t)*value, cur = rd32(PLX_INTCSR);
            v = (v & ~PLX_INT_RO_MASK) | (cur & PLX_INT_RO_MASK);
            *value = v;
            wr32(PLX_INTCSR, v);
            update_line();
            break;
        }
    }
    dr_hardware_end();
}

/* SELECT: install the model for the execution about to start. */
void Plx9656Select(void);
void Plx9656Select(void)
{
    memset(&P, 0, sizeof P);
    for (unsigned c = 0; c < 2; c++) {
        P.ch[c].index = c;
        dr_event_init(&P.ch[c].done, on_done, &P.ch[c], c ? "plx-dma1-done" : "plx-dma0-done");
    }
    static const km_device_model m = {NULL, on_read, on_write};
    km_device_model_set(&m);
}
