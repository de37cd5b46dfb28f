/* mk_clean_tape OUT SCENARIO [KIND TITLE]: writes the tape of one clean
 * execution (every choice 0, never preempting) of a scenario: the CLI tests'
 * input for "minimize on a tape that finds nothing". With KIND and TITLE the
 * header claims that finding instead (a forged header, for "replay checks the
 * header's finding"; KIND data-race with no choices is what a data race
 * reported at the first step records). Exits 1 if that execution finds
 * something. */
#include "dr/dr_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5)
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
    if (argc == 5) {
        int k;
        for (k = 0; k < DR_FIND__COUNT && strcmp(dr_finding_kind_name((dr_finding_kind)k), argv[3]) != 0; k++)
            ;
        if (k == DR_FIND__COUNT)
            return 2;
        t.finding = (dr_finding_kind)k;
        snprintf(t.title, sizeof t.title, "%s", argv[4]);
        if (t.finding == DR_FIND_DATA_RACE) { /* saved before the execution ended: no choices, no digest */
            t.nrec = 0;
            t.trace_digest = 0;
        }
    }
    char err[256];
    int rc = dr_tape_save(argv[1], &t, err, sizeof err);
    dr_tape_free(&t);
    dr_strategy_destroy(st);
    dr_engine_shutdown();
    return rc ? 1 : 0;
}
