/* toy_plain.c: plain C with no dmarace calls or macros, compiled like a driver
 * under test (with the access instrumentation). An unlocked increment: the
 * load and the store are separate scheduling points, so another processor
 * can run between them and an update is lost. */
#include "toy_plain.h"

int toy_counter;

void toy_plain_increment(void)
{
    toy_counter++;
}
