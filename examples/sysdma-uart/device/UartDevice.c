/* UartDevice.c: the device model of the UART block (../driver/Registers.h),
 * our own, in the style of a PL011: an interrupt mask (IMSC), raw and masked
 * status (RIS, MIS) and a write-1-to-clear register (ICR). Memory range 0 is
 * the register window; the block drives interrupt line 0, level-sensitive,
 * while RIS AND IMSC is not zero (on a latched line, one interrupt per newly
 * set bit).
 *
 * The one interrupt modelled is the RX character timeout: the receive FIFO
 * holds bytes below the DMA request threshold and the line has gone idle.
 * Each time the driver raises the RX DMA request line (UART_REG_CONTROL,
 * UART_CONTROL_RX_DMA_REQUEST, with the block enabled: an RX transfer starts)
 * the model arms an engine event; when the scheduler fires it (the sender
 * went quiet: any moment from then on, before the transfer finished, after
 * it, or never) the RX timeout status bit is set. Lowering the request line
 * does not disarm it: bytes that arrive after the transfer sit in the FIFO,
 * and the timeout comes all the same. Disabling the block (ENABLE clear)
 * does.
 *
 * Compiled as test code (the engine's and the model's flags, not the
 * driver's): its state is the hardware's, not a subject of the race search.
 * The hooks run inside the model's register access (dr_hardware_begin); the
 * event handler wraps its work in dr_hardware_begin/end itself. */
#include "UartDevice.h"

#include "Registers.h"

#include "dr/dr.h"
#include "km_device.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum { UART_LINE = 0 };

#define UART_INT_ALL UART_INT_RX_TIMEOUT

static struct {
    uint32_t control;  /* UART_REG_CONTROL as last written */
    uint32_t ris;      /* raw interrupt status */
    uint32_t imsc;     /* interrupt mask: 1 enables */
    bool line_up;      /* what the block last drove its line to */
    dr_event rx_idle;  /* the RX line goes idle: character timeout */
} U;

DR_SITE(site_rx_timeout, "uart-rx-timeout");

/* The line follows RIS AND IMSC; newly set enabled bits assert it again (a
 * latched line interrupts once per assert; a level one is asserted already). */
static void update_line(uint32_t new_bits)
{
    uint32_t level = U.ris & U.imsc;
    if (level && (!U.line_up || (new_bits & level))) {
        U.line_up = true;
        km_device_irq_assert(UART_LINE);
    } else if (!level && U.line_up) {
        U.line_up = false;
        km_device_irq_deassert(UART_LINE);
    }
}

static void rx_idle_fire(void *arg)
{
    (void)arg;
    dr_event_disarm(&U.rx_idle);
    dr_hardware_begin();
    dr_trace(&site_rx_timeout, NULL, 0, (int64_t)U.ris);
    uint32_t old = U.ris;
    U.ris |= UART_INT_RX_TIMEOUT;
    update_line(U.ris & ~old);
    dr_hardware_end();
}

static void write_control(uint32_t value)
{
    uint32_t old = U.control;
    U.control = value;
    if (!(value & UART_CONTROL_ENABLE)) {
        dr_event_disarm(&U.rx_idle);
        return;
    }
    if ((value & UART_CONTROL_RX_DMA_REQUEST) && !(old & UART_CONTROL_RX_DMA_REQUEST) &&
        !dr_event_armed(&U.rx_idle))
        dr_event_arm(&U.rx_idle);
}

static void on_write(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    if (range != 0 || width != 4)
        return;
    uint32_t v = (uint32_t)*value;
    switch (offset) {
    case UART_REG_CONTROL:
        write_control(v);
        break;
    case UART_REG_INTERRUPT_CLEAR: /* write 1 to clear; reads 0 */
        U.ris &= ~v;
        update_line(0);
        *value = 0;
        break;
    case UART_REG_INTERRUPT_MASK: {
        uint32_t old = U.imsc;
        U.imsc = v & UART_INT_ALL;
        *value = U.imsc;
        update_line(U.imsc & ~old);
        break;
    }
    case UART_REG_RAW_INTERRUPT_STATUS: /* read-only */
        *value = U.ris;
        break;
    case UART_REG_MASKED_INTERRUPT_STATUS:
        *value = U.ris & U.imsc;
        break;
    default:
        break;
    }
}

static void on_read(void *ctx, unsigned range, size_t offset, unsigned width, uint64_t *value)
{
    (void)ctx;
    if (range != 0 || width != 4)
        return;
    switch (offset) {
    case UART_REG_RAW_INTERRUPT_STATUS:
        *value = U.ris;
        break;
    case UART_REG_MASKED_INTERRUPT_STATUS:
        *value = U.ris & U.imsc;
        break;
    default:
        break;
    }
}

void SysDmaUartDeviceInstall(void)
{
    memset(&U, 0, sizeof U);
    dr_event_init(&U.rx_idle, rx_idle_fire, NULL, "uart-rx-idle");
    km_device_model m = {.ctx = NULL, .on_read = on_read, .on_write = on_write};
    km_device_model_set(&m);
}
