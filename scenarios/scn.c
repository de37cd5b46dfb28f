/* scn.c: running a scenario row: its environment on top of the defaults, then
 * the command line's --env settings (dr_scenario_env) on top of that, its
 * driver's variant selection, then the world. */
#include "scn.h"

#include <stdio.h>

/* The row's environment and the --env text, parsed in that order. */
static int row_env(const scn_row *row, const char *override, km_env *env, char *err, size_t errlen)
{
    km_env_defaults(env);
    if (km_env_parse(env, row->env, err, errlen) != 0)
        return -1;
    return override ? km_env_parse(env, override, err, errlen) : 0;
}

void scn_setup(void)
{
    const scn_row *row = dr_scenario_current()->data;
    km_env env;
    char err[256];
    if (row_env(row, dr_scenario_env(), &env, err, sizeof err) != 0) {
        dr_fail(DR_FIND_CHECK, "bad scenario environment", "%s", err);
        return;
    }
    if (row->driver->select)
        row->driver->select();
    km_world_start_client(&env, row->driver->entry, row->driver->client);
}

void scn_check(void) { km_world_check(); }

/* --env is checked before any execution: only a table row takes it, and the
 * settings must parse on top of the row's own. */
static int scn_env_check(const dr_scenario *s, const char *text, char *err, size_t errlen)
{
    if (s->setup != scn_setup) {
        snprintf(err, errlen, "scenario %s takes no --env settings", s->name);
        return -1;
    }
    km_env env;
    return row_env(s->data, text, &env, err, errlen);
}

static void scn_register_env_check(void) __attribute__((constructor));
static void scn_register_env_check(void)
{
    dr_set_env_check(scn_env_check);
    km_rules_register();
}
