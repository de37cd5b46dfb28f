/* scn.h: how a scenario is declared. A scenario is a driver under test plus an
 * environment (km_env settings as text, see model/src/km_envparse.c), the
 * processors it runs on, the verdict it must produce and the budget
 * (executions) within which it must produce it. `dmarace list` prints them.
 *
 *   SCN_DRIVER(busted_c4, "busted-c4", BustedDriverEntry, select_c4);
 *   SCN_ROW(busted_c4_2cpu, "busted-c4", busted_c4, 2, "requests=1", "framework:V15", 10000,
 *           "completes twice");
 *
 * `select` (may be NULL) runs before each execution's DriverEntry: it sets
 * whatever globals pick the driver's variant.
 *
 *   SCN_DRIVER_CLIENT(audio, "audio", AudioDriverEntry, NULL, AudioClient);
 *
 * gives the driver a client (model/include/km_client.h): AudioClient runs on
 * a passive thread once the device has started, calling what the driver
 * exports; a driver with a client needs no I/O queue. */
#ifndef SCN_H
#define SCN_H

#include "dr/dr.h"
#include "km_env.h"

typedef struct scn_driver {
    const char *name;
    KM_DRIVER_ENTRY *entry;
    void (*select)(void);
    KM_CLIENT *client; /* NULL: no client */
} scn_driver;

typedef struct scn_row {
    const scn_driver *driver;
    const char *env;
} scn_row;

void scn_setup(void); /* km_world_start with the row's driver and environment */
void scn_check(void); /* km_world_check */

#define SCN_DRIVER(var, name_, entry_, select_) static const scn_driver var = {name_, entry_, select_, NULL}
#define SCN_DRIVER_CLIENT(var, name_, entry_, select_, client_)                                           \
    static const scn_driver var = {name_, entry_, select_, client_}

#define SCN_ROW(var, name_, driver_, cpus_, env_, expect_, budget_, summary_)                             \
    static const scn_row var##_row = {&driver_, env_};                                                    \
    static const dr_scenario var = {name_,     summary_,   expect_,    cpus_, 4, 1, scn_setup,             \
                                    scn_check, &var##_row, budget_};                                      \
    DR_SCENARIO(var)

#endif
