/* dr_engine.h: running executions, strategies, tapes and campaigns. This is
 * the harness's own interface (CLI, tests, fuzz target, benchmarks); the
 * model and drivers use only dr.h. */
#ifndef DR_ENGINE_H
#define DR_ENGINE_H

#include "dr/dr.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { DR_EXIT_CLEAN = 0, DR_EXIT_FINDINGS = 1, DR_EXIT_USAGE = 2, DR_EXIT_INTERNAL = 3 };
/* A replay's verdicts past exact replay (docs/replay.md): the schedule was
 * followed to its end and the tape's finding did not happen (GONE), or
 * another one did (CHANGED); the schedule could not be followed (LOST). */
enum { DR_EXIT_GONE = 4, DR_EXIT_LOST = 5, DR_EXIT_CHANGED = 6 };

/* Kinds of choice on the tape. */
enum { DR_CHOICE_SCHED = 0, DR_CHOICE_DATA = 1 };

/* Where a decision is made, by meaning (tape version 5): the deciding
 * task's identity, the program point's, and how many times that task has
 * reached that point (1 the first time). Keys are hashes of names
 * (dr_intent_*_key), never addresses. */
typedef struct dr_point_key {
    uint64_t who, point;
    uint32_t occ;
    uint64_t loose;  /* the point without its line: kind, site and function (dr_intent_loose_key) */
    uint64_t looser; /* and without its function: kind and site (dr_intent_loose_key with func NULL) */
} dr_point_key;

typedef struct dr_choice_req {
    uint8_t kind;            /* DR_CHOICE_SCHED or DR_CHOICE_DATA */
    uint32_t n;              /* alternatives, >= 2 */
    bool has_cur;            /* SCHED: option 0 continues the running task */
    uint32_t n_tasks;        /* SCHED: options [0, n_tasks) are tasks; the rest are events and the clock */
    const uint32_t *actors;  /* SCHED: actor id of each option (0 = clock) */
    const dr_site *site;
    uint64_t index;          /* choices made so far in this execution */
    /* SCHED: option n_tasks + i fires events[i] (i < n_events); an option
     * after those is the clock (the earliest armed timer). */
    const dr_event *const *events;
    uint32_t n_events;
    /* With schedules by meaning on (a traced run, or a strategy that wants
     * them): where the decision is made, and each SCHED option's identity
     * (dr_intent_pick_key); NULL otherwise. */
    const dr_point_key *point;
    const uint64_t *option_keys;
} dr_choice_req;

/* Frames kept of a finding's or a traced DDI call's stack. */
#define DR_STACK_MAX 32

typedef struct dr_finding {
    dr_finding_kind kind;
    char rule[24];       /* the check that fired (V15, C11, QSTOP4, DEADLOCK...); empty when none */
    char title[160];     /* stable: the dedup key with kind */
    char message[512];
    uint64_t step;
    uint32_t task;
    unsigned cpu;
    char task_name[48];
    /* Return addresses at the moment it was found, innermost first (engine,
     * model, then the driver frames: the innermost driver frame is where it
     * happened, the access site for a memory access, the call site for a
     * DDI). Addresses of this process: symbolised by the CLI (dr_where).
     * Kept in traced runs only (dr_run_config.trace). */
    uint8_t npc;
    uintptr_t pc[DR_STACK_MAX];
    /* The step it relates to (dr_fail_related): 1 + that trace record's
     * index in the traced run, 0 when none, and what that step did. */
    uint32_t related;
    char related_what[64];
} dr_finding;

typedef struct dr_exec_result {
    dr_finding finding;      /* kind NONE when clean */
    bool diverged;           /* replay went another way */
    char diverge_msg[256];
    uint64_t digest;         /* trace digest */
    uint64_t steps;
    uint64_t choices;        /* recorded choices (n >= 2) */
    uint64_t preemptions;
} dr_exec_result;

/* ---- tapes ----------------------------------------------------------------- */

#define DR_STRATEGY_KINDS(X)                                                 \
    X(RANDOM, "random")                                                      \
    X(PCT, "pct")                                                            \
    X(DFS, "dfs")                                                            \
    X(TAPE, "tape")                                                          \
    X(REPLAY, "replay")                                                      \
    X(SWARM, "swarm")

typedef enum {
#define DR_X(e, s) DR_STRAT_##e,
    DR_STRATEGY_KINDS(DR_X)
#undef DR_X
        DR_STRAT__COUNT
} dr_strategy_kind;
const char *dr_strategy_kind_name(dr_strategy_kind k);
bool dr_strategy_kind_parse(const char *s, dr_strategy_kind *out);

typedef struct dr_tape_rec {
    uint8_t kind;
    uint32_t n;
    uint32_t value;
} dr_tape_rec;

/* Written: version 4 when the race detector was on (the header ends with
 * the --env settings, possibly empty, and the detector setting), else
 * version 2, or version 3 when the run had --env settings (the header then
 * ends with them); versions 1 to 4 are read. */
enum { DR_TAPE_VERSION = 2, DR_TAPE_VERSION_ENV = 3, DR_TAPE_VERSION_RACES = 4, DR_TAPE_VERSION_INTENT = 5,
       DR_ENV_MAX = 256 };
/* The race detector a tape was recorded with (version 4 records it; older
 * tapes were recorded before the detector existed: off). */
typedef enum { DR_RACES_OFF = 0, DR_RACES_MS = 1, DR_RACES_ISO = 2 } dr_races;

/* A decision by what it means (tape version 5; docs/tape-format.md):
 * which task decided at which program point, the how-many-th time, and
 * what it picked. Only the decisions a default would not take are kept:
 * a preemption, the pick when the running task could not go on, a data
 * choice off its default. Strings are the tape's (decoded: its pool) or
 * live as long as the process (recorded). */
#define DR_PICK_TYPES(X)                                                     \
    X(TASK, "task")                                                          \
    X(EVENT, "event")                                                        \
    X(CLOCK, "clock")                                                        \
    X(VALUE, "value")
typedef enum {
#define DR_X(e, s) DR_PICK_##e,
    DR_PICK_TYPES(DR_X)
#undef DR_X
        DR_PICK__COUNT
} dr_pick_type;
const char *dr_pick_type_name(dr_pick_type p);

typedef struct dr_intent {
    uint8_t kind;         /* DR_CHOICE_SCHED or DR_CHOICE_DATA */
    uint8_t pick_type;    /* dr_pick_type */
    uint32_t choice;      /* this decision's index among the tape's choices */
    uint64_t step;        /* the recorded run's step */
    const char *who;      /* the deciding task's name ("" for the main context) */
    uint32_t who_ord;     /* which task of that name (0: the first created) */
    const char *site;     /* the program point (a dr_site's name) */
    const char *func;     /* the driver's innermost frame there, "" when none */
    const char *file;
    uint32_t line;
    uint64_t text;        /* hash of that line's text (dr_point_loc.text), 0 when none */
    uint32_t occ;         /* the how-many-th time the task reached this point (1 the first) */
    const char *pick;     /* TASK, EVENT: the picked one's name */
    uint32_t pick_ord;    /* TASK, EVENT: which of that name; VALUE: the value */
} dr_intent;

typedef struct dr_tape {
    uint16_t version;
    uint64_t scenario_digest;  /* scenario name, version, cpus, engine semantics */
    uint64_t trace_digest;     /* of the recorded run */
    uint8_t cpus;
    uint8_t strategy;          /* dr_strategy_kind that produced it */
    uint64_t seed;
    uint64_t exec_index;
    char scenario[64];
    dr_finding_kind finding;   /* what the recorded run found */
    char title[160];
    char env[DR_ENV_MAX];      /* --env settings of the recorded run ("" if none; versions 3, 4) */
    uint8_t races;             /* dr_races of the recorded run (version 4; DR_RACES_OFF before) */
    size_t nrec;
    dr_tape_rec *rec;          /* owned (malloc) */
    uint64_t scenario_identity; /* version 5: dr_scenario_identity (no build flavour in it) */
    bool other_build;          /* loaded by the CLI for another build flavour (only with decisions by meaning) */
    bool has_intent;           /* version 5: the decisions by meaning were recorded (there may be none) */
    size_t nintent;            /* version 5: the decisions by meaning */
    dr_intent *intent;         /* owned (malloc), strings in pool */
    char *pool;                /* owned (malloc) */
} dr_tape;

/* Encode to a malloc'ed buffer. */
int dr_tape_encode(const dr_tape *t, uint8_t **out, size_t *len);
/* Decode; on error returns -1 and a one-line reason in err. */
int dr_tape_decode(const uint8_t *buf, size_t len, dr_tape *t, char *err, size_t errlen);
void dr_tape_free(dr_tape *t);
/* A tape of a data race ThreadSanitizer reported (tsan build): its process
 * ended at the report, so it has no trace digest and its choices stop
 * there. The built-in detector's races are tapes like any other. */
bool dr_tape_tsan_race(const dr_tape *t);
/* File helpers: load reports I/O and format errors in err; save is atomic
 * (temporary file in the same directory, fsync, rename). */
int dr_tape_load(const char *path, dr_tape *t, char *err, size_t errlen);
/* Give t the decisions by meaning in[0..n) (copied, strings and all, into
 * t's own memory; replacing any it had). 0, or -1 out of memory. */
int dr_tape_set_intent(dr_tape *t, const dr_intent *in, size_t n);
int dr_tape_save(const char *path, const dr_tape *t, char *err, size_t errlen);

/* ---- strategies ------------------------------------------------------------ */

typedef struct dr_strategy dr_strategy;
dr_strategy *dr_strategy_random(uint64_t seed);
/* The swarm random walk (dr_strategy.c): each execution draws which event
 * kinds fire and how soon, how often the running task is preempted and how
 * often data choices leave their ordinary value. */
dr_strategy *dr_strategy_swarm(uint64_t seed);
dr_strategy *dr_strategy_pct(uint64_t seed, unsigned depth);
/* PCT with a fixed estimate k of the scheduling choices per execution (the
 * plain one learns k from the executions it has run, so its executions depend
 * on the campaign's history; with k fixed each depends only on seed and index). */
dr_strategy *dr_strategy_pct_fixed(uint64_t seed, unsigned depth, uint64_t k);
/* PCT that learns k, starting from the estimate k (a calibration resumed in
 * another process after an execution killed the one that ran it). */
dr_strategy *dr_strategy_pct_from(uint64_t seed, unsigned depth, uint64_t k);
/* PCT: the current estimate of k (the largest number of scheduling choices seen). */
uint64_t dr_strategy_pct_k(const dr_strategy *s);
dr_strategy *dr_strategy_dfs(unsigned preemption_bound);
/* Bytes to choices: one byte per choice (two when n > 256), value = byte % n;
 * when the bytes run out every choice is 0 (continue the running task, or
 * the data choice's default). The buffer must outlive the strategy. */
dr_strategy *dr_strategy_bytes(const uint8_t *data, size_t len);
/* Choices from a list (the minimizer's candidates): choice i takes rec[i].value
 * when its kind matches and the value is below n, otherwise 0; 0 after the end.
 * The list must outlive the strategy; dr_last_tape gives the realised choices. */
dr_strategy *dr_strategy_values(const dr_tape_rec *rec, size_t n);
/* Replays a recorded tape; a run that asks for a different choice diverges. */
dr_strategy *dr_strategy_replay(const dr_tape *tape);
/* Follows a tape's decisions by meaning (dr_intent): a decision is taken
 * when the same task reaches the same point the same time; elsewhere the
 * running task goes on (docs/replay.md). The first `limit` decisions are
 * followed; after them, cont (if not NULL) decides. The tape (and cont)
 * must outlive the strategy, which owns neither. */
dr_strategy *dr_strategy_follow(const dr_tape *tape, size_t limit, dr_strategy *cont);
typedef struct dr_follow_status {
    size_t taken;     /* decisions whose point was reached, in order */
    size_t total;     /* decisions followed (limit, at most the tape's) */
    size_t unplayable; /* of those taken, the recorded pick could not run there (the default ran) */
    size_t loose;     /* of those taken, matched loosely (dr_follow_loosen) */
    size_t looser;    /* of those, by kind and site alone */
} dr_follow_status;
void dr_follow_get(const dr_strategy *s, dr_follow_status *out);
/* Match decision k more loosely: first at the first point of the same kind
 * and site in the same function its task reaches once the decisions before
 * it are taken, whatever the line and the count (a line the optimiser
 * attributes elsewhere in another build, a line that was edited); then at
 * the first point of that kind and site in any function (a call the
 * optimiser merged, a helper inlined in one build and not in another).
 * False when it is as loose as it gets (or k is past the decisions followed). */
bool dr_follow_loosen(dr_strategy *s, size_t k);
void dr_strategy_destroy(dr_strategy *s);
/* After a replay: true if the run took exactly the tape's choices and gave the
 * recorded trace digest; otherwise a one-line reason (with the step) in msg. */
bool dr_replay_verify(const dr_strategy *s, const dr_exec_result *res, char *msg, size_t msglen);
dr_strategy_kind dr_strategy_get_kind(const dr_strategy *s);
/* DFS: true once the bounded space has been explored completely. */
bool dr_strategy_dfs_exhausted(const dr_strategy *s);

/* ---- running ----------------------------------------------------------------- */

typedef struct dr_run_config {
    unsigned cpus;          /* 0: the scenario's default */
    uint64_t step_budget;   /* 0: default (100000) */
    bool trace;             /* keep the trace for printing */
} dr_run_config;

const dr_scenario *dr_scenario_find(const char *name);
size_t dr_scenario_count(void);
const dr_scenario *dr_scenario_at(size_t i);
const dr_scenario *dr_scenario_default(void);
uint64_t dr_scenario_digest(const dr_scenario *s, unsigned cpus);
/* The same without the build flavour: what a schedule by meaning needs to
 * match in another build (tape version 5). */
uint64_t dr_scenario_identity(const dr_scenario *s, unsigned cpus);
/* The dedup key of a finding: its kind and title (what makes findings
 * distinct in a campaign, its files' names, and the fuzz target's). */
uint64_t dr_finding_key(dr_finding_kind kind, const char *title);
/* Does a finding (kind, rule, title) show an expected verdict: a kind
 * ("crash"), kind:RULE ("crash:V13": the finding's rule, exactly, when the
 * text after the colon is shaped like a rule id) or kind:part-of-the-title
 * ("check:lost", "crash:C11:")? ("clean" never matches.) */
bool dr_expect_matches(const char *expect, dr_finding_kind kind, const char *rule, const char *title);
/* Is `expect` a verdict dr_expect_matches understands ("clean", a kind,
 * kind:TEXT with TEXT not empty)? */
bool dr_expect_valid(const char *expect);
/* Set (or with NULL or "" clear) the --env settings of the runs that follow,
 * checked by the registered check (dr_set_env_check) for scenario s: 0, or -1
 * with a one-line reason in err (a scenario with no check takes none). */
int dr_scenario_set_env(const dr_scenario *s, const char *text, char *err, size_t errlen);
/* Compiler, version, build type and sanitizer of this build ("clang-14.0.6-release-"). */
const char *dr_build_flavor(void);

/* Run one execution of scenario s. Returns 0, or -1 on an engine error
 * (message on stderr). exec_index seeds per-execution randomness. */
int dr_run(const dr_scenario *s, const dr_run_config *cfg, dr_strategy *strat, uint64_t exec_index,
           dr_exec_result *res);
/* After dr_run: should another execution follow? (false: DFS exhausted) */
bool dr_strategy_next(dr_strategy *s, const dr_exec_result *res);

/* The realised choices of the last execution, as a tape. */
void dr_last_tape(dr_tape *t, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind, uint64_t seed,
                  uint64_t exec_index, const dr_exec_result *res);
/* The last traced execution's decisions by meaning, copied into t (its
 * tape: t's choices must be that execution's), which then saves as version
 * 5. 0, or -1 when none were recorded (an untraced run) or out of memory. */
int dr_last_intent(dr_tape *t);

/* The driver's frame of a program point (dr_intent): its function, file
 * and line, and a hash of the line's text as written with whitespace and
 * comments left out (0 when the source cannot be read: the line number
 * then stands for it). The CLI's reads the debug information and the
 * source (dr_where_point); false when no frame is the driver's. Strings
 * must live as long as the process. */
typedef struct dr_point_loc {
    const char *func, *file;
    uint32_t line;
    uint64_t text;
} dr_point_loc;
typedef bool (*dr_point_namer_fn)(const uintptr_t *pc, size_t n, dr_point_loc *out);
void dr_set_point_namer(dr_point_namer_fn fn);
/* The identities decisions are matched by (dr_intent.c). */
uint64_t dr_intent_pick_key(dr_pick_type type, const char *name, uint32_t ord);
uint64_t dr_intent_point_key(uint8_t kind, const char *site, const char *func, uint64_t text, uint32_t line);
uint64_t dr_intent_loose_key(uint8_t kind, const char *site, const char *func);

/* ---- the trace of the last execution ------------------------------------ */

/* Trace records, kept when an execution runs with cfg.trace (replay, a
 * report's re-run): what reports read. */
typedef enum {
    DR_TR_SCHED,   /* a decision: task at site, next actor */
    DR_TR_START,   /* a task started (thread or DPC) */
    DR_TR_END,     /* a task finished */
    DR_TR_FIRE,    /* an environment event fired */
    DR_TR_TIMER,   /* the clock advanced to a timer */
    DR_TR_MODEL,   /* dr_trace from the model */
    DR_TR_CHOICE,  /* a data choice */
    DR_TR_FINDING,
    DR_TR_LOG,     /* dr_log: a line of the driver's own text (value: its offset in the log text) */
    DR_TR_MARK,    /* dr_trace_mark: where the running task is (its stack; `what`: the DDI in progress
                      or NULL), for a later finding to relate to; never in the digest or the printed trace */
    DR_TR_SPAWN,   /* task `task` (0: the main context; `value` 1: an environment handler) created
                      task `other` (a thread, or a DPC or ISR queued); never in the digest */
} dr_trace_type;

typedef struct dr_trace_rec {
    uint64_t step;
    uint8_t type;
    uint8_t cpu;
    uint8_t irql;
    uint32_t task;      /* actor that was running (0: main context) */
    uint32_t other;     /* chosen actor / fired actor / choice value */
    const dr_site *site;
    const char *what;   /* task or event name */
    const dr_kind *kind;
    uint32_t id;
    int64_t value;
    uint32_t stack;     /* DR_TR_MODEL, and a choice off its default: its stack (dr_trace_stack) */
    uint8_t nstack;
    /* DR_TR_SCHED, DR_TR_CHOICE: the tape choice this record realises (1 +
     * its index; 0: the only option, no choice), the option taken and the
     * number of options (dr_choice_req); never in the digest. */
    uint32_t choice;
    uint32_t pick;
    uint32_t nalt;
    bool preempt; /* DR_TR_SCHED: the pick stopped a task that could have gone on (option 0) */
} dr_trace_rec;

/* The last traced execution's records, in order. */
const dr_trace_rec *dr_trace_records(size_t *n);
/* A record's stack (return addresses, innermost first, as dr__stack took
 * them when it was recorded), or NULL with *n 0. */
const uintptr_t *dr_trace_stack(const dr_trace_rec *r, size_t *n);
/* A DR_TR_LOG record's line of the driver's text, or a DR_TR_FINDING
 * record's title. */
const char *dr_trace_text(const dr_trace_rec *r);
/* Forget the last execution's trace (its records, stacks and log text). */
void dr_trace_clear(void);

/* Print the trace of the last execution (run with cfg.trace) (the records
 * are dr_trace_records). where, if not NULL,
 * turns a model record's stack (return addresses, innermost first) into text
 * appended to its line (the CLI's driver source line), or "". */
typedef const char *dr_trace_where_fn(const uintptr_t *pc, size_t n, char *buf, size_t len);
void dr_trace_print(FILE *out, dr_trace_where_fn *where);

/* Race-window counters, campaign-wide (at most DR_MAX_WINDOWS windows): the
 * executions that reached window i, and those that reached it or declared it
 * possible (dr_window_possible). */
enum { DR_MAX_WINDOWS = 64 };
size_t dr_window_count(void);
const char *dr_window_name(size_t i);
uint64_t dr_window_hits(size_t i);
uint64_t dr_window_possible_count(size_t i);
void dr_windows_reset(void);
/* Set the counters (a re-run for a report restores the counts it bumped). */
void dr_window_set_counts(size_t i, uint64_t hits, uint64_t possible);

/* The notices of this process's executions (dr_notice, dr.h), "" when
 * there is none; reset at a campaign's start. */
const char *dr_notice_text(void);
void dr_notices_reset(void);

/* True when a fault inside a task becomes a crash finding (builds without
 * ASan/TSan; with them the sanitizer reports and stops the process). */
bool dr_catches_crashes(void);

/* ---- the built-in race detector (dr_hb.c, docs/races.md) -------------------------
 * On by default in builds without ThreadSanitizer; in the tsan build TSan is
 * the detector unless this turns it on. Set before dr_run. */
void dr_set_race_detector(bool on);
bool dr_race_detector(void);
/* Both settings as one value (a tape's), and applied from one. */
dr_races dr_races_now(void);
void dr_races_apply(dr_races r);
/* "off", "on, volatile as MSVC /volatile:ms", "on, volatile as ISO C". */
const char *dr_races_text(dr_races r);
/* How a volatile access is read: MSVC's /volatile:ms (true, the default: a
 * volatile read acquires, a volatile write releases, as kernel drivers for
 * x86/x64 are compiled) or ISO C (false: a plain access). */
void dr_set_volatile_ms(bool ms);
/* The driver's volatile loads and stores, by debug location: the file's
 * name without directories, line and column. The build lists them from the
 * driver's LLVM IR (cmake/dmarace_volatile.awk) into a generated file whose
 * constructor registers them; the tables are kept, not copied. */
typedef struct dr_volatile_site {
    const char *file;
    unsigned line, column;
} dr_volatile_site;
void dr_volatile_sites_add(const dr_volatile_site *sites, size_t n);
/* Whether a registered site is at file (any directories are ignored), line, column. */
bool dr_volatile_site_at(const char *file, unsigned line, unsigned column);
/* Which access sites (a driver pc: a hook's return address) are volatile
 * accesses; called only when sites are registered. The CLI's reads the pc's
 * line and column from the debug information (dr_where_volatile). */
typedef bool (*dr_hb_volatile_fn)(uintptr_t pc);
void dr_set_volatile_classifier(dr_hb_volatile_fn fn);
/* Names a driver site for a race's title ("file:line function"); false when
 * it cannot (the engine then names the function and offset in its module,
 * from the dynamic symbols). */
typedef bool (*dr_site_namer_fn)(uintptr_t pc, char *out, size_t len);
void dr_set_site_namer(dr_site_namer_fn fn);

/* ThreadSanitizer (tsan build), fiber mode: a report during an execution.
 * The engine keeps the report's racing accesses (dr_race_info) in this
 * process and in the attached mirror (dr_mirror.h), then calls the handler,
 * inside TSan's report, after TSan printed it and before TSan decides
 * whether to halt. The handler typically ends the process
 * (dr_sup_race_exit): the supervisor turns the died execution into a
 * data-race finding. It must not run a scenario. */
typedef void (*dr_race_fn)(void);
void dr_set_race_handler(dr_race_fn fn);

enum { DR_RACE_FRAMES = 16 };
typedef struct dr_race_access {
    uint8_t write;  /* 1: a write, 0: a read */
    uint8_t atomic; /* an atomic access */
    uint8_t npc;
    uint32_t size;
    uintptr_t pc[DR_RACE_FRAMES]; /* its stack, innermost first (return addresses of this process) */
} dr_race_access;
/* What TSan reported: its description ("data-race", ...) and, for a race,
 * the current access first and the earlier one it raced with; where the
 * execution was (step, task, processor). */
typedef struct dr_race_info {
    char what[32];
    uint32_t naccess;
    dr_race_access access[2];
    uint64_t step;
    uint32_t task;
    uint32_t cpu;
    char task_name[48];
} dr_race_info;
/* The report being handled (valid inside the handler); NULL outside one. */
const dr_race_info *dr_race_current(void);

/* ---- real-thread (stress) mode (dr_rt.c, docs/tsan.md) ----------------------------
 * One execution with each simulated processor on its own pthread and the
 * operating system interleaving them. Nothing is recorded: res has the
 * finding (kind NONE when clean) and no digest or tape. time_limit (seconds,
 * 0: 10) bounds one execution; past it the finding is a livelock. Processor
 * threads are created at the first call and kept until dr_rt_shutdown. */
int dr_rt_run(const dr_scenario *s, unsigned cpus, uint64_t seed, uint64_t exec_index, double time_limit,
              dr_exec_result *res);
void dr_rt_shutdown(void);

/* ---- text from drivers (dr_text.c) -------------------------------------------
 * A finding's title, a message, a task name: any bytes. For display (a
 * terminal, a text report): control characters (ESC included) as \n, \t, \r
 * or \xNN, a backslash as \\, bytes that are not UTF-8 as \xNN, C1 controls
 * and bidirectional overrides as \uNNNN; valid UTF-8 as is. dr_text_esc
 * writes into buf (cut at a whole character) and returns it; dr_text_put
 * shows a whole text (a saved report), keeping newlines, tabs and backslashes. */
const char *dr_text_esc(const char *s, char *buf, size_t len);
void dr_text_put_esc(FILE *out, const char *s);
void dr_text_put(FILE *out, const char *text, size_t len);
/* Length (1 to 4) of the valid UTF-8 sequence at p (n bytes available), and its
 * code point in *cp (may be NULL); 0 if p does not start one (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). */
size_t dr_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

/* Release engine resources (fiber stacks). */
void dr_engine_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
