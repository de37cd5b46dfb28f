/* toy_plain.c: plain C with no dmarace calls or macros, compiled like a driver
 * under test (with the access instrumentation). An unlocked increment: the
 * load and the store are separate scheduling points, so another processor
 * can run between them and an update is lost. And data published behind a
 * volatile flag, as drivers built with MSVC's /volatile:ms may do. */
#include "toy_plain.h"

int toy_counter;

void toy_plain_increment(void)
{
    toy_counter++;
}

int toy_data;
volatile int toy_flag;

void toy_plain_publish(int value)
{
    toy_data = value;
    toy_flag = 1;
}

/* Out of line: inlined, clang -O2 would load toy_data before testing the flag
 * (a speculative load, legal as its value is then unused), a read the source
 * does not make, which the detector would see (docs/races.md: limits). */
__attribute__((noinline)) static int read_data(void)
{
    return toy_data;
}

int toy_plain_consume(void)
{
    if (!toy_flag)
        return -1;
    return read_data();
}
