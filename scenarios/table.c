/* table.c: the published protocol (scenarios/published) in its environments,
 * and its handler variants. Busted drivers and the fixed protocol declare
 * their rows beside their code. */
#include "published/published.h"
#include "scn.h"

static void as_implied(void) { PublishedVariant = PUBLISHED_AS_IMPLIED; }

SCN_DRIVER(published, "published", PublishedDriverEntry, as_implied);

SCN_ROW(published_1, "published", published, 2, "", "crash", 10000,
        "published protocol, 1 request of 3 transfers, cancel+timeout+DMA errors live, 2 CPUs")
