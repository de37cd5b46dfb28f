/* km_interrupt.c: the device's interrupt lines (km_device.h). docs/model-interrupt.md.
 *
 * A line is one of the device's interrupt resources (km_env's interrupts=N),
 * asserted and deasserted by the scenario's device model. Level-sensitive (the
 * default): it interrupts while asserted, and again after the ISR returns as
 * long as it stays asserted. Latched (interrupt_latched: an edge or a message):
 * one interrupt per assert. A line is only a wire: with no enabled WDFINTERRUPT
 * connected to it nothing is delivered, but it stays asserted, so connecting or
 * enabling one later interrupts at once. Lines are deasserted at each
 * execution start (km_interrupt_reset, from km_world_start). */
#include "km.h"
#include "km_device.h"

#include <string.h>

DR_SITE(site_assert, "irq-assert");
DR_SITE(site_deassert, "irq-deassert");

static struct {
    bool asserted[KM_ENV_MAX_INTERRUPTS];
} L;

void km_interrupt_reset(void) { memset(&L, 0, sizeof L); }

/* A line the device does not have: the scenario's device model is wrong. */
static bool bad_line(const char *api, unsigned line)
{
    if (line < km_w.env.interrupts)
        return false;
    km_oracle("device model: no such interrupt line",
              "%s(%u): the device has %u interrupt resource(s) (km_env interrupts=)", api, line,
              km_w.env.interrupts);
    return true;
}

bool km_device_irq_asserted(unsigned line) { return line < KM_ENV_MAX_INTERRUPTS && L.asserted[line]; }

void km_device_irq_assert(unsigned line)
{
    if (bad_line("km_device_irq_assert", line))
        return;
    L.asserted[line] = true;
    dr_trace(&site_assert, NULL, 0, (int64_t)line);
}

void km_device_irq_deassert(unsigned line)
{
    if (bad_line("km_device_irq_deassert", line))
        return;
    L.asserted[line] = false;
    dr_trace(&site_deassert, NULL, 0, (int64_t)line);
}
