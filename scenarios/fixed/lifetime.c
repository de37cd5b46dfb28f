/* lifetime.c: the fixed protocol extended to the device's life (power-down,
 * surprise removal and removal with transfers in flight; a status IOCTL):
 * fixed.c compiled again with FIXED_LIFETIME, as its own driver
 * (FixedLifetimeDriverEntry), so the original fixed-* rows keep running
 * exactly their code. docs/fixed-protocol.md, "The device's life". */
#define FIXED_LIFETIME 1
#include "fixed.c"
