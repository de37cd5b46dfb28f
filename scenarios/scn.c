/* scn.c: running a scenario row: its environment on top of the defaults, its
 * driver's variant selection, then the world. */
#include "scn.h"

void scn_setup(void)
{
    const scn_row *row = dr_scenario_current()->data;
    km_env env;
    char err[256];
    km_env_defaults(&env);
    if (km_env_parse(&env, row->env, err, sizeof err) != 0) {
        dr_fail(DR_FIND_CHECK, "bad scenario environment", "%s", err);
        return;
    }
    if (row->driver->select)
        row->driver->select();
    km_world_start_client(&env, row->driver->entry, row->driver->client);
}

void scn_check(void) { km_world_check(); }
