/* mk_clean_tape OUT SCENARIO: writes the tape of one clean execution (every
 * choice 0, never preempting) of a scenario: the CLI tests' input for
 * "minimize on a tape that finds nothing". Exits 1 if that execution finds
 * something. */
#include "dr/dr_engine.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    const dr_scenario *s = dr_scenario_find(argv[2]);
    dr_strategy *st = dr_strategy_bytes(NULL, 0);
    if (!s || !st)
        return 2;
    dr_run_config cfg = {0};
    dr_exec_result res;
    if (dr_run(s, &cfg, st, 0, &res) != 0 || res.finding.kind != DR_FIND_NONE)
        return 1;
    dr_tape t;
    dr_last_tape(&t, s, s->cpus, DR_STRAT_TAPE, 0, 0, &res);
    char err[256];
    int rc = dr_tape_save(argv[1], &t, err, sizeof err);
    dr_tape_free(&t);
    dr_strategy_destroy(st);
    dr_engine_shutdown();
    return rc ? 1 : 0;
}
