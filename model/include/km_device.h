/* km_device.h: a scenario's model of its device's registers. The device's
 * memory ranges (km_env's memory=, CmResourceTypeMemory descriptors) are
 * register memory the model owns, zeroed at each execution start; a driver
 * maps them with MmMapIoSpace. With no device model they behave as plain
 * memory. A device model sees each register read and write the driver makes:
 *
 *   on_read:  before a read; *value holds the register memory's contents, and
 *             what the hook leaves there is what the read returns (and is
 *             written back to register memory);
 *   on_write: before a write; *value holds what the driver writes, and what
 *             the hook leaves there is stored in register memory (a
 *             write-1-to-clear register stores what it computes).
 *
 * `range` is the memory range's index (the order of the memory descriptors),
 * `offset` the byte offset in it, `width` 1, 2, 4 or 8 bytes. The hooks run in
 * the driver's context (any IRQL, inside the model: they must not call DDIs).
 * Both READ_REGISTER_* / WRITE_REGISTER_* calls and the driver's plain loads
 * through a mapped pointer on a simulated processor reach on_read (not those
 * of the set-up's main context: DriverEntry, EvtDevicePrepareHardware); plain
 * stores reach no hook (the compiler's store hook runs before the store, when
 * the value is not yet known): they land in register memory. docs/model.md, "The register window". */
#ifndef KM_DEVICE_H
#define KM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct km_device_model {
    void *ctx;
    void (*on_read)(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value);
    void (*on_write)(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value);
    /* Members may be added: zero-initialise the struct ("= {0}" or
     * designated initialisers) so a scenario keeps compiling. */
} km_device_model;

/* Interrupt lines (km_interrupt.c). `line` is the index of one of the
 * device's interrupt resources (km_env's interrupts=N, in the order of the
 * interrupt descriptors EvtDevicePrepareHardware sees). A level-sensitive line
 * (the default) interrupts while it is asserted: the ISR of the WDFINTERRUPT
 * connected to it runs, whenever its processor can take it, and runs again
 * after it returns as long as the device keeps the line asserted (a driver
 * that does not acknowledge its device storms). A latched line
 * (interrupt_latched: edge or message-signalled) delivers one interrupt per
 * assert. A line no WDFINTERRUPT is connected to delivers nothing (an
 * interrupt is connected from D0 on until WdfInterruptDisable disconnects it;
 * docs/model-interrupt.md).
 * Callable from the hooks above and from a device model's own event handlers
 * (dr_event, dr_vtimer: the hardware acting later). */
void km_device_irq_assert(unsigned line);
void km_device_irq_deassert(unsigned line);
/* Whether the line is asserted now (false for a line the device lacks). */
bool km_device_irq_asserted(unsigned line);

/* DMA as the device sees it. Drivers give their device logical (bus)
 * addresses (docs/model-dma.md, "Logical addresses"): S/G list elements, a
 * common buffer's logical address. km_device_dma_mapped says whether
 * [la, la + len) lies in a DMA stage a driver has programmed (between
 * EvtProgramDma and its DmaCompleted*) or in a live common buffer: a device
 * told to reach anything else is a driver bug the device model reports.
 * km_device_dma_memory is that memory (NULL when not mapped), for the device
 * model to read or write inside dr_hardware_begin() / dr_hardware_end(). */
bool km_device_dma_mapped(uint64_t la, size_t len);
void *km_device_dma_memory(uint64_t la, size_t len);

/* From a scenario's setup, before km_world_start: the device model of the
 * execution about to start (copied; NULL for none). km_world_start takes it,
 * so each execution's setup sets it again. */
void km_device_model_set(const km_device_model *model);

/* The register memory of memory range `range` (NULL past the last range), for
 * a device model to change a register on its own (a status bit): length in
 * *length if not NULL. Inside a hook, accesses through it are the hardware's
 * (no scheduling point, no hook, no HW3); elsewhere, wrap them in
 * dr_hardware_begin() / dr_hardware_end() (dr/dr.h) for the same. */
volatile void *km_device_registers(unsigned range, size_t *length);

#ifdef __cplusplus
}
#endif
#endif
