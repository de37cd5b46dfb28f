/* km_test.c: running model test scenarios. */
#include "km_test.h"

int km_t_pass, km_t_fail;
bool km_test_races;

static km_test_result run_until(const dr_scenario *s, dr_strategy *st, long max, bool stop_first,
                                const char *needle)
{
    km_test_result r;
    memset(&r, 0, sizeof r);
    r.first_exec = -1;
    dr_run_config cfg = {.cpus = 0};
    dr_set_race_detector(km_test_races);
    for (long e = 0; e < max; e++) {
        dr_exec_result res;
        if (dr_run(s, &cfg, st, (uint64_t)e, &res) != 0)
            break;
        r.executions++;
        if (res.finding.kind != DR_FIND_NONE) {
            bool wanted = !needle || km_test_finding_is(&res.finding, needle);
            r.findings++;
            if (wanted && r.first.kind == DR_FIND_NONE) {
                r.first = res.finding;
                r.first_exec = e;
            }
            if (stop_first && wanted)
                break;
        } else {
            r.clean++;
        }
        if (!dr_strategy_next(st, &res)) {
            r.exhausted = dr_strategy_dfs_exhausted(st);
            break;
        }
    }
    dr_strategy_destroy(st);
    return r;
}

static km_test_result run(const dr_scenario *s, dr_strategy *st, long max, bool stop_first)
{
    return run_until(s, st, max, stop_first, NULL);
}

km_test_result km_test_find(const dr_scenario *s, long max, const char *needle)
{
    return run_until(s, dr_strategy_random(1), max, true, needle);
}

km_test_result km_test_run(const dr_scenario *s, const char *strategy, long max, bool stop_first)
{
    dr_strategy *st = strcmp(strategy, "pct") == 0     ? dr_strategy_pct(1, 3)
                      : strcmp(strategy, "dfs") == 0   ? dr_strategy_dfs(2)
                      : strcmp(strategy, "swarm") == 0 ? dr_strategy_swarm(1)
                                                       : dr_strategy_random(1);
    return run(s, st, max, stop_first);
}

km_test_result km_test_run_dfs(const dr_scenario *s, unsigned bound, long max, bool stop_first)
{
    return run(s, dr_strategy_dfs(bound), max, stop_first);
}

bool km_test_title_has(const km_test_result *r, const char *needle)
{
    return strstr(r->first.title, needle) != NULL;
}

bool km_test_finding_is(const dr_finding *f, const char *needle)
{
    char expect[128];
    snprintf(expect, sizeof expect, "%s:%s", dr_finding_kind_name(f->kind), needle);
    return dr_expect_matches(expect, f->kind, f->rule, f->title);
}

int km_test_done(void)
{
    dr_engine_shutdown();
    printf("%d passed, %d failed\n", km_t_pass, km_t_fail);
    return km_t_fail ? 1 : 0;
}

static bool window_index(const char *name, size_t *i)
{
    for (*i = 0; *i < dr_window_count(); (*i)++)
        if (strcmp(dr_window_name(*i), name) == 0)
            return true;
    return false;
}

uint64_t km_test_window_hits(const char *name)
{
    size_t i;
    return window_index(name, &i) ? dr_window_hits(i) : 0;
}

uint64_t km_test_window_possible(const char *name)
{
    size_t i;
    return window_index(name, &i) ? dr_window_possible_count(i) : 0;
}
