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

    /* writes=N: the last N requests are writes; at most requests. */
    e = d;
    KCHECK(km_env_parse(&e, "requests=3 writes=1", err, sizeof err) == 0);
    KCHECK(e.requests == 3 && e.writes == 1 && e.request_type == WdfRequestTypeRead);
    km_env_describe(&e, text, sizeof text);
    KCHECK(strstr(text, "writes=1") != NULL);
    again = d;
    KCHECK(km_env_parse(&again, text, err, sizeof err) == 0);
    KCHECK(memcmp(&again, &e, sizeof e) == 0);
    KCHECK(d.writes == 0);

    static const char *bad[] = {"bogus", "requests", "requests=0", "requests=99", "requests=-1", "cancel=2",
                                "map_registers=1", "request_length=xp", "no-requests", "requests=1=2",
                                "writes=2", "requests=2 writes=3", "no-writes"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = d;
        err[0] = 0;
        int rc = km_env_parse(&e, bad[i], err, sizeof err);
        KCHECK(rc == -1 && err[0] && !strchr(err, '\n'));
        if (rc != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
    }
    /* registry=Name:value (km_registry.c): repeatable, the last value of a
     * name wins, described and parsed back alike. */
    e = d;
    KCHECK(km_env_parse(&e, "registry=MaxTransfers:0x10 registry=Mode:5 registry=MaxTransfers:3", err,
                        sizeof err) == 0);
    KCHECK(e.nregistry == 2 && strcmp(e.registry[0].name, "MaxTransfers") == 0 && e.registry[0].value == 3 &&
           strcmp(e.registry[1].name, "Mode") == 0 && e.registry[1].value == 5);
    km_env_describe(&e, text, sizeof text);
    KCHECK(strstr(text, "registry=MaxTransfers:0x3") && strstr(text, "registry=Mode:0x5"));
    again = d;
    KCHECK(km_env_parse(&again, text, err, sizeof err) == 0);
    KCHECK(memcmp(&again, &e, sizeof e) == 0);
    static const char *bad_reg[] = {"registry=Foo", "registry=:5", "registry=Foo:x", "registry=Foo:-1",
                                    "registry=Foo:0x100000000", "registry=Fo-o:1", "no-registry=Foo:1"};
    for (size_t i = 0; i < sizeof bad_reg / sizeof bad_reg[0]; i++) {
        e = d;
        err[0] = 0;
        int rc = km_env_parse(&e, bad_reg[i], err, sizeof err);
        KCHECK(rc == -1 && err[0]);
        if (rc != -1)
            fprintf(stderr, "accepted: %s\n", bad_reg[i]);
    }
    return km_test_done();
}
