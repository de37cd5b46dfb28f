/* dr_icov_ctl.h: control of the interleaving coverage counters that the
 * fuzz build feeds to libFuzzer (harness/src/dr_icov.h, docs/fuzzing.md).
 * The functions exist in every build; without the counters they do nothing. */
#ifndef DR_ICOV_CTL_H
#define DR_ICOV_CTL_H

#include <stdbool.h>
#include <stddef.h>

/* True when this build has the counters (DR_INTERLEAVING_COVERAGE). */
bool dr_icov_available(void);
/* Turn the counters on (the default) or off; off also zeroes them. */
void dr_icov_set_enabled(bool on);
/* Counters set since libFuzzer (or nobody) last zeroed them: for tests. */
size_t dr_icov_nonzero(void);

#endif
