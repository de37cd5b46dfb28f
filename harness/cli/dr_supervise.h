/* dr_supervise.h: executions in a child process, so that nothing a driver
 * does (a signal, a sanitizer report, abort(), a loop without scheduling
 * points) takes the command down with it (docs/faults.md).
 *
 * The child mirrors its choices and step count into shared memory
 * (dr_mirror.h); when it dies, or makes no step for the watchdog's time and
 * is killed, the parent turns that into a finding of kind crash (or hang,
 * or data-race when ThreadSanitizer ended it) with a stable title, and the
 * mirrored choices are that execution's tape. */
#ifndef DR_SUPERVISE_H
#define DR_SUPERVISE_H

#include "dr_cli.h"
#include "dr/dr_mirror.h"

#include <sys/types.h>

enum { DR_SUP_MIRROR_CAP = 1 << 22 }; /* choices kept per execution */

/* Seconds without a step before an execution is a hang (--exec-timeout). */
extern double dr_sup_exec_timeout;
/* The watchdog's clock for a supervised process: the CPU time it has used
 * (so a loaded machine that runs it slowly never makes it a hang), and the
 * wall clock as a backstop for a process that makes no step and burns no CPU
 * (blocked), after DR_SUP_BLOCKED_FACTOR times the timeout. */
enum { DR_SUP_BLOCKED_FACTOR = 12 };
typedef struct dr_sup_clock {
    double cpu, wall;
} dr_sup_clock;
dr_sup_clock dr_sup_clock_of(pid_t pid);
/* Has the process made no progress for the timeout since `since`? */
bool dr_sup_stalled(pid_t pid, dr_sup_clock since);
#define DR_SUP_DEFAULT_TIMEOUT 5.0

/* The finding for an execution whose process ended with wait status
 * `status` (hung: the watchdog killed it). Its title is stable: the same
 * fault in the same build gives the same title. */
void dr_sup_death_finding(int status, bool hung, const dr_mirror *m, dr_finding *f);
/* The finding for a ThreadSanitizer report (dr_race_info, dr_engine.h): a
 * data race titled by its two driver lines in a fixed order (the dedup key:
 * the same pair of lines is the same race), located at the current access;
 * another kind of TSan report is a crash. */
void dr_sup_race_finding(const dr_race_info *r, dr_finding *f);
/* A race handler (dr_set_race_handler) for a process that runs executions
 * under a supervisor: ends the process at once, with DR_EXIT_FINDINGS and
 * without TSan's exitcode, whatever TSAN_OPTIONS says; the supervisor finds
 * the report in the mirror (m->raced, m->race). */
_Noreturn void dr_sup_race_exit(void);
/* Ends the process with code, its standard streams flushed, without TSan's
 * exitcode (a race handler's way out). */
_Noreturn void dr_sup_exit_now(int code);
/* A digest for an execution that did not finish: its choices, steps and kind. */
uint64_t dr_sup_death_digest(const dr_mirror *m, dr_finding_kind kind);
/* The tape of an execution that did not finish (trace digest 0: there is no
 * trace to check, the replay checks the choices and the fault). */
void dr_sup_death_tape(dr_tape *t, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind, uint64_t seed,
                       uint64_t exec_index, const dr_finding *f, const dr_mirror *m);
/* Writes a died execution's tape and its reports (no story: the process
 * that ran it is gone). 0, or -1 with a line on stderr. */
int dr_sup_save_death(const char *path, const dr_scenario *s, const dr_tape *t, const dr_finding *f, uint64_t steps,
                      uint32_t *files);

/* fork() with the standard streams flushed first (so the child does not
 * print the parent's buffered output again); -1 with a line on stderr. */
pid_t dr_sup_fork(void);

/* Waits for pid, killing it when m->steps does not move for
 * dr_sup_exec_timeout seconds while *busy (NULL: always) is set. */
int dr_sup_wait(pid_t pid, const dr_mirror *m, const volatile uint32_t *busy, bool *hung);

/* Tapes of executions that did not finish (crash or hang, no trace digest)
 * are re-run in a child process. */
bool dr_sup_wanted(const dr_tape *t);

/* dmarace replay of such a tape: forks. Returns false in the child, which
 * goes on to replay the tape as usual; in the parent returns true with the
 * exit code in *rc once the child is gone (a child that died is reported,
 * and checked against the tape, here). */
bool dr_sup_replay(const dr_scenario *s, const dr_tape *t, const char *path, int *rc);

/* dmarace minimize and report re-runs: when isolation is on, each run is in a
 * child process; dr_sup_last_tape and dr_sup_replay_verify then use what the
 * child left in shared memory. Off: dr_run, dr_last_tape, dr_replay_verify. */
extern bool dr_sup_isolate;
int dr_sup_run(const dr_scenario *s, const dr_run_config *cfg, dr_strategy *strat, uint64_t exec_index,
               dr_exec_result *res);
void dr_sup_last_tape(dr_tape *t, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind, uint64_t seed,
                      uint64_t exec_index, const dr_exec_result *res);
bool dr_sup_replay_verify(const dr_tape *t, const dr_strategy *st, const dr_exec_result *res, char *why,
                          size_t len);

/* Whether the last dr_sup_run ran in a child (its trace and decisions by
 * meaning stayed there). */
bool dr_sup_last_isolated(void);

#endif
