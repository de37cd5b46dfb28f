/* test_env.c: environments as data (km_env_parse / km_env_describe). */
#include "km_test.h"

int main(void)
{
    km_env e, d;
    char err[256], text[512];
    km_env_defaults(&d);

    e = d;
    KCHECK(km_env_parse(&e, "", err, sizeof err) == 0);
    KCHECK(memcmp(&e, &d, sizeof e) == 0);
    km_env_describe(&e, text, sizeof text);
    KCHECK(strcmp(text, "defaults") == 0);

    e = d;
    KCHECK(km_env_parse(&e, "requests=3 no-concurrent request_length=5p map_registers=3 no-cancel dma_error=0",
                        err, sizeof err) == 0);
    KCHECK(e.requests == 3 && !e.concurrent && e.request_length == 5 * KM_PAGE_SIZE && e.map_registers == 3 &&
           !e.cancel && !e.dma_error && e.dma_abort);
    km_env_describe(&e, text, sizeof text);
    /* Describing and parsing again gives the same environment. */
    km_env again = d;
    KCHECK(km_env_parse(&again, text, err, sizeof err) == 0);
    KCHECK(memcmp(&again, &e, sizeof e) == 0);
    KCHECK(strstr(text, "requests=3") && strstr(text, "no-concurrent") && strstr(text, "request_length=5p"));

    static const char *bad[] = {"bogus", "requests", "requests=0", "requests=99", "requests=-1", "cancel=2",
                                "map_registers=1", "request_length=xp", "no-requests", "requests=1=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = d;
        err[0] = 0;
        int rc = km_env_parse(&e, bad[i], err, sizeof err);
        KCHECK(rc == -1 && err[0] && !strchr(err, '\n'));
        if (rc != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
    }
    return km_test_done();
}
