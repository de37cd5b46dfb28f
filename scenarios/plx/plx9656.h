/* plx9656.h: the PLX PCI9656's local configuration registers a DMA driver
 * uses (offsets in BAR0, 0x200 bytes) and their bits, from the chip's data
 * book ("Local Configuration Registers", "DMA Registers"). Facts of the
 * chip, shared by the device model (Plx9656Device.c) and plxmini.c. */
#ifndef PLX9656_H
#define PLX9656_H

#define PLX_REGS_LENGTH 0x200u
#define PLX_INTCSR 0x68u                      /* interrupt control/status */
#define PLX_DMAMODE(c) (0x80u + 0x14u * (c))  /* DMA mode */
#define PLX_DMAPADR(c) (0x84u + 0x14u * (c))  /* PCI address (block mode) */
#define PLX_DMALADR(c) (0x88u + 0x14u * (c))  /* local address */
#define PLX_DMASIZ(c) (0x8Cu + 0x14u * (c))   /* byte count (block mode) */
#define PLX_DMADPR(c) (0x90u + 0x14u * (c))   /* descriptor pointer */
#define PLX_DMACSR(c) (0xA8u + (c))           /* command/status: one byte per channel */
#define PLX_DMADAC(c) (0xB4u + 4u * (c))      /* PCI address, high half (block mode) */

/* INTCSR */
#define PLX_INT_PCI_ENABLE (1u << 8)
#define PLX_INT_DMA_ENABLE(c) (1u << (18 + (c)))
#define PLX_INT_DMA_ACTIVE(c) (1u << (21 + (c)))
#define PLX_INT_RO_MASK (0xFFF0E000u | (1u << 5)) /* status bits: read-only */
/* DMAMODE */
#define PLX_MODE_SG (1u << 9)             /* scatter/gather: a descriptor chain */
#define PLX_MODE_DONE_INT (1u << 10)      /* interrupt when done */
#define PLX_MODE_CLEAR_COUNT (1u << 16)   /* zero each descriptor's count when done with it */
#define PLX_MODE_INT_TO_PCI (1u << 17)    /* route the DMA interrupt to INTA# */
#define PLX_MODE_DAC_CHAIN (1u << 18)     /* descriptors carry a 64-bit PCI address */
/* DMACSR */
#define PLX_CSR_ENABLE 0x01u
#define PLX_CSR_START 0x02u
#define PLX_CSR_ABORT 0x04u
#define PLX_CSR_CLEAR 0x08u /* write 1: clear the channel's interrupt */
#define PLX_CSR_DONE 0x10u  /* read-only: the channel is done */
/* descriptor pointer (DMADPR and each descriptor's Next) */
#define PLX_DPR_PCI 0x1u    /* the descriptor is in PCI (host) memory */
#define PLX_DPR_LAST 0x2u   /* end of chain */
#define PLX_DPR_TO_PCI 0x8u /* local bus to PCI: a read of the device */
#define PLX_DPR_ADDR(v) ((v) & ~0xFu)

/* A chain descriptor in host memory (16-byte aligned). */
typedef struct PLX_DESCRIPTOR {
    unsigned int PciAddressLow;
    unsigned int LocalAddress;
    unsigned int TransferSize;
    unsigned int Next; /* PLX_DPR_* flags | the next descriptor's address */
    unsigned int PciAddressHigh; /* PLX_MODE_DAC_CHAIN only */
    unsigned int Reserved[3];
} PLX_DESCRIPTOR, *PPLX_DESCRIPTOR;

#endif
