/* dr_icov_ctl.h: control of the interleaving coverage counters that the
 * fuzz build feeds to libFuzzer (harness/src/dr_icov.h, docs/fuzzing.md).
 * The functions exist in every build; without the counters they do nothing. */
#ifndef DR_ICOV_CTL_H
#define DR_ICOV_CTL_H

#include <stdbool.h>

/* Turn the counters on (the default) or off; off also zeroes them. */
void dr_icov_set_enabled(bool on);

#endif
