/* table.c: every built-in scenario: a driver under test plus an environment
 * (km_env settings as text, model/src/km_envparse.c), the processors it runs
 * on, and the verdict it must produce. `dmarace list` prints this table. */
#include "dr/dr.h"
#include "km_env.h"
#include "published/published.h"

#include <stdio.h>

typedef struct scn_driver {
    const char *name;
    KM_DRIVER_ENTRY *entry;
    published_variant variant;
} scn_driver;

typedef struct scn_row {
    const scn_driver *driver;
    const char *env;
} scn_row;

static const scn_driver published = {"published", PublishedDriverEntry, PUBLISHED_AS_IMPLIED};

static void setup(void)
{
    const scn_row *row = dr_scenario_current()->data;
    km_env env;
    char err[256];
    km_env_defaults(&env);
    if (km_env_parse(&env, row->env, err, sizeof err) != 0) {
        dr_fail(DR_FIND_CHECK, "bad scenario environment", "%s", err);
        return;
    }
    PublishedVariant = row->driver->variant;
    km_world_start(&env, row->driver->entry);
}

static void check(void) { km_world_check(); }

#define ROW(var, scn_name, drv, cpus_, env_, expect_, summary_)                                           \
    static const scn_row var##_row = {&drv, env_};                                                        \
    static const dr_scenario var = {scn_name, summary_, expect_, cpus_, 4, 1, setup, check, &var##_row};  \
    DR_SCENARIO(var)

ROW(published_1, "published", published, 2, "", "crash",
    "published protocol, 1 request of 3 transfers, cancel+timeout+DMA errors live, 2 CPUs")
