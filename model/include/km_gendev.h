/* km_gendev.h: the model's generic bus-master DMA device (km_gendev.c), which
 * any scenario selects with the environment setting `device=generic` (it
 * needs memory=, with range 0 at least KM_GENDEV_SPAN bytes, and
 * interrupts=1 or more). A driver written for it maps memory range 0 and
 * drives these registers with READ_REGISTER_ULONG / WRITE_REGISTER_ULONG
 * (docs/model-device.md says what the device does with each). All registers
 * are 32 bits, little endian:
 *
 *   0x00 INT_STATUS  R/W1C  KM_GENDEV_INT_* bits; writing 1 clears a bit
 *   0x04 INT_ENABLE  R/W    the same bits; interrupt line 0 is asserted while
 *                           (INT_STATUS & INT_ENABLE) != 0
 *   0x08 DEVICE_ID   R      KM_GENDEV_ID ("DMAR")
 *   channel c (0 and 1) at KM_GENDEV_CH(c) = 0x20 + 0x20 * c:
 *   +0x00 CONTROL    W      KM_GENDEV_CTL_START, KM_GENDEV_CTL_ABORT (reads 0)
 *   +0x04 STATUS     R      KM_GENDEV_STS_BUSY
 *   +0x08 DESC_LO    R/W    logical address of the descriptor table, low 32 bits
 *   +0x0C DESC_HI    R/W    ... high 32 bits
 *   +0x10 DESC_COUNT R/W    descriptors in the table, 1..256; 0: packet mode,
 *                           DESC_LO/HI is the buffer's logical address and
 *                           LENGTH its length
 *   +0x14 DIRECTION  R/W    KM_GENDEV_DIR_TO_MEMORY (0, a read request) or
 *                           KM_GENDEV_DIR_FROM_MEMORY (1)
 *   +0x18 BYTES_DONE R      bytes the last run transferred (0 while one runs)
 *   +0x1C LENGTH     R/W    packet mode: bytes
 *
 * A descriptor (in a common buffer) is 16 bytes: km_gendev_desc. */
#ifndef KM_GENDEV_H
#define KM_GENDEV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum km_gendev_reg {
    KM_GENDEV_INT_STATUS = 0x00,
    KM_GENDEV_INT_ENABLE = 0x04,
    KM_GENDEV_DEVICE_ID = 0x08,
    KM_GENDEV_CH0 = 0x20,
    KM_GENDEV_CH_STRIDE = 0x20,
    /* offsets inside a channel's block */
    KM_GENDEV_CONTROL = 0x00,
    KM_GENDEV_STATUS = 0x04,
    KM_GENDEV_DESC_LO = 0x08,
    KM_GENDEV_DESC_HI = 0x0C,
    KM_GENDEV_DESC_COUNT = 0x10,
    KM_GENDEV_DIRECTION = 0x14,
    KM_GENDEV_BYTES_DONE = 0x18,
    KM_GENDEV_LENGTH = 0x1C,
    KM_GENDEV_CHANNELS = 2,
    KM_GENDEV_SPAN = 0x100,      /* the register block: memory range 0 must hold it */
    KM_GENDEV_MAX_DESC = 256,
    KM_GENDEV_LINE = 0,          /* the interrupt line (resource index) it raises */
};
#define KM_GENDEV_CH(c) (KM_GENDEV_CH0 + KM_GENDEV_CH_STRIDE * (c))

/* INT_STATUS / INT_ENABLE bits */
#define KM_GENDEV_INT_DONE(c) (1u << (c))        /* CH0_DONE bit 0, CH1_DONE bit 1 */
#define KM_GENDEV_INT_ERROR(c) (1u << (2 + (c))) /* CH0_ERROR bit 2, CH1_ERROR bit 3 */
#define KM_GENDEV_ID 0x444D4152u                 /* "DMAR" */
#define KM_GENDEV_CTL_START 0x1u
#define KM_GENDEV_CTL_ABORT 0x2u
#define KM_GENDEV_STS_BUSY 0x1u
#define KM_GENDEV_DIR_TO_MEMORY 0u   /* device to memory: the device writes the buffer */
#define KM_GENDEV_DIR_FROM_MEMORY 1u /* memory to device */

/* A device-to-memory run writes byte k of the run (counted across its
 * descriptors) as KM_GENDEV_PATTERN(k). */
#define KM_GENDEV_PATTERN(k) ((uint8_t)(0x5Au ^ (uint8_t)(k)))

typedef struct km_gendev_desc {
    uint64_t address;  /* logical address */
    uint32_t length;   /* bytes */
    uint32_t reserved; /* 0 */
} km_gendev_desc;

#ifdef __cplusplus
}
#endif
#endif
