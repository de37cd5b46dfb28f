/* dr_icov.h: interleaving coverage for libFuzzer (docs/fuzzing.md).
 *
 * Included once, by dr_trace.c, so the hooks inline into dr__note() and
 * dr__fiber_trace(). Compiled in when DR_INTERLEAVING_COVERAGE is 1, which is
 * the default when FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION is defined (the
 * fuzz preset and OSS-Fuzz/ClusterFuzzLite's $CFLAGS); every other build gets
 * empty inline functions, so the engine's hot path is unchanged there.
 *
 * The counters are a byte array in the section __libfuzzer_extra_counters.
 * libFuzzer zeroes it before each input and turns every non-zero byte (by
 * hit-count bucket, as for its own edge counters) into a feature, so an input
 * is kept when it reaches a new ordering, not only a new line of model code.
 * Four families of counters, each a hash into the array, saturating at 255:
 *
 *   sched:  at every engine event (scheduling decision, task start and end,
 *           environment event, timer, data choice): (the previous event's site
 *           on this processor, this site, the event type, whether the last
 *           event was on another processor, thread or DPC).
 *   model:  at every model trace event (dr_trace: EvtRequestCancel,
 *           EvtTimerFunc, DmaCompleted, StopSystemTransfer, WdfRequestComplete,
 *           ...): (the previous model event of the execution, this one,
 *           whether the processor changed). A new pair is a new adjacency of
 *           two racing events.
 *   order:  per execution, the order in which distinct model trace sites
 *           first occur: when a site occurs for the first time, one counter
 *           for each ordered pair (earlier site, this site) and one for the
 *           triple (the two previous first occurrences, this site). Two
 *           executions with the same events in a different order differ here
 *           even when every adjacency is the same.
 *   window: when the model reaches a race window or a phase of a request's
 *           life (dr_window: "StopSystemTransfer on a mapped transfer", "a
 *           cancel after a transfer completed, before the last did"): one
 *           counter for the window, one for (the previous model event, the
 *           window). An input that reaches a window no other input reached
 *           is kept, so the fuzzer grows toward the rare phases.
 *
 * Hashes use site names (dr__site_hash), processor numbers and event types,
 * never addresses, so the same input sets the same counters in every run. */
#ifndef DR_ICOV_H
#define DR_ICOV_H

#include "dr/dr_icov_ctl.h"
#include "dr_internal.h" /* DR_INTERLEAVING_COVERAGE */

#if DR_INTERLEAVING_COVERAGE

#define DR_ICOV_SIZE 16384u /* a power of two */
#define DR_ICOV_ORDER_MAX 32u

__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t icov_counters[DR_ICOV_SIZE];

static struct {
    bool on;
    uint64_t cpu_prev[DR_MAX_CPUS + 1]; /* last engine site per processor (0: main) */
    unsigned last_cpu;
    uint64_t model_prev;
    unsigned model_cpu;
    uint64_t first[DR_ICOV_ORDER_MAX]; /* distinct model sites, in order of first occurrence */
    uint32_t nfirst;
} icov = {.on = true};

static inline uint64_t icov_hash(uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ 0x9e3779b97f4a7c15u) * 0xff51afd7ed558ccdu;
    h ^= b + 0xc4ceb9fe1a85ec53u + (h << 6) + (h >> 2);
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 29);
}

static inline void icov_bump(uint64_t h)
{
    uint8_t *c = &icov_counters[h & (DR_ICOV_SIZE - 1)];
    if (*c != 255)
        (*c)++;
}

static inline void icov_reset(void)
{
    memset(icov.cpu_prev, 0, sizeof icov.cpu_prev);
    icov.last_cpu = 0;
    icov.model_prev = 0;
    icov.model_cpu = 0;
    icov.nfirst = 0;
}

/* An engine event (note()): `site` may be NULL (start, end, fire, timer). */
static inline void icov_event(uint8_t type, const dr_site *site, const dr_task *me, const char *what)
{
    if (!icov.on)
        return;
    unsigned cpu = me ? me->cpu : 0;
    if (cpu > DR_MAX_CPUS)
        cpu = DR_MAX_CPUS;
    uint64_t s = site ? dr__site_hash(site) : dr_fnv1a_str(what ? what : "");
    uint64_t ctx = ((uint64_t)type << 8) | ((uint64_t)(cpu != icov.last_cpu) << 4) | (me && me->is_dpc ? 2u : 0u) |
                   (me ? 1u : 0u);
    icov_bump(icov_hash(icov_hash(icov.cpu_prev[cpu], s), ctx));
    icov.cpu_prev[cpu] = s;
    icov.last_cpu = cpu;
}

/* A model trace event (dr_trace). */
static inline void icov_model(const dr_site *site, const dr_task *me)
{
    if (!icov.on)
        return;
    unsigned cpu = me ? me->cpu : 0;
    uint64_t s = dr__site_hash(site);
    icov_bump(icov_hash(icov_hash(icov.model_prev, s), 0x100u | (cpu != icov.model_cpu)));
    icov.model_prev = s;
    icov.model_cpu = cpu;
    uint32_t n = icov.nfirst;
    for (uint32_t i = 0; i < n; i++)
        if (icov.first[i] == s)
            return;
    if (n == DR_ICOV_ORDER_MAX)
        return;
    for (uint32_t i = 0; i < n; i++)
        icov_bump(icov_hash(icov_hash(icov.first[i], s), 0x200u));
    if (n >= 2)
        icov_bump(icov_hash(icov_hash(icov_hash(icov.first[n - 2], icov.first[n - 1]), s), 0x300u));
    icov.first[n] = s;
    icov.nfirst = n + 1;
}

/* A race window reached (dr_window). */
static inline void icov_window(const dr_site *site)
{
    if (!icov.on)
        return;
    uint64_t s = dr__site_hash(site);
    icov_bump(icov_hash(s, 0x400u));
    icov_bump(icov_hash(icov_hash(icov.model_prev, s), 0x500u));
}

void dr_icov_set_enabled(bool on)
{
    icov.on = on;
    if (!on)
        memset(icov_counters, 0, sizeof icov_counters);
}


#else

static inline void icov_reset(void) {}
static inline void icov_event(uint8_t type, const dr_site *site, const dr_task *me, const char *what)
{
    (void)type, (void)site, (void)me, (void)what;
}
static inline void icov_model(const dr_site *site, const dr_task *me) { (void)site, (void)me; }
static inline void icov_window(const dr_site *site) { (void)site; }

void dr_icov_set_enabled(bool on) { (void)on; }

#endif
#endif
