/* dr_cli.h: what the dmarace command line's files share (dr_main.c: dispatch,
 * list, help; dr_args.c: the command line's helpers; dr_files.c: file
 * helpers; dr_run.c: campaigns, with dr_campaign_worker.c and
 * dr_campaign_parent.c; dr_replay.c: replay; dr_minimize.c: minimize;
 * dr_report.c: reports and show, with dr_story.c, dr_timeline.c and
 * dr_sarif.c; dr_explain.c: schedules in words and related steps;
 * dr_json.c: the JSON reader). */
#ifndef DR_CLI_H
#define DR_CLI_H

#include "dr/dr_engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int dr_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool dr_cli_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
double dr_cli_now(void);
/* A positive number of seconds (at most 1e8). */
bool dr_cli_parse_seconds(const char *s, double *out);
/* The usage error (exit 2) for an --expect=SPEC dr_expect_valid refuses. */
int dr_cli_expect_error(const char *spec);
/* The largest file dmarace reads (a report, --input bytes). */
#define DR_CLI_MAX_FILE ((size_t)1 << 30)
/* A whole regular file into a malloc'ed buffer (NUL-terminated, not counted
 * in len). A FIFO, a device or a directory is refused without blocking, and
 * so is a file over DR_CLI_MAX_FILE; the reason, one line, goes in err. */
bool dr_cli_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen);
/* mkdir -p */
int dr_cli_make_dirs(const char *dir);
/* An output path may be written: it does not exist or is a regular file (a
 * device, a FIFO or a directory is never replaced). Else one line on stderr. */
bool dr_cli_output_ok(const char *path);
/* Atomic write: a temporary file in the same directory, fsync, rename. */
int dr_cli_write_atomic(const char *path, const char *data, size_t len);
/* At the start of a campaign: creates the findings directory, checks that a
 * file can be created in it, and removes temporary files (*.tmp.PID) left by
 * dead processes. -1 with one line on stderr when it cannot be written. */
int dr_cli_prepare_dir(const char *dir);
/* At the end of every command: rc, or DR_EXIT_INTERNAL with one line on
 * stderr when the standard output could not be written (a full disk). */
int dr_cli_finish_output(int rc);
/* The program as it was invoked (argv[0]: build/release/dmarace,
 * dmarace-<name>, or a name found on PATH), for the commands dmarace prints:
 * a printed command runs as printed, from the same directory. */
void dr_cli_set_program(const char *argv0);
const char *dr_cli_program(void);
/* s as one shell word: as is when it has no character the shell would
 * interpret, else single-quoted. Returns buf. */
const char *dr_cli_shell_word(const char *s, char *buf, size_t len);
/* "PROGRAM replay TAPE" (shell words) into buf, with " --trace" if trace. */
const char *dr_cli_replay_command(const char *tape, bool trace, char *buf, size_t len);
/* "PROGRAM minimize TAPE" (shell words) into buf. */
const char *dr_cli_minimize_command(const char *tape, char *buf, size_t len);

/* Room for dr_text_esc of a finding's title (at most 4 bytes out per byte in). */
/* What of a finding got on disk (a full disk writes less): the summary lists only that. */
enum { DR_CLI_FILE_TAPE = 1, DR_CLI_FILE_REPORTS = 2 };
enum { DR_CLI_ESC_TITLE = 160 * 4 + 1, DR_CLI_ESC_MESSAGE = 512 * 4 + 1 };


/* Loads a tape and checks it belongs to this build; on error prints one line
 * and returns NULL. */
const dr_scenario *dr_cli_load_tape(const char *path, dr_tape *t);

/* ---- reports ------------------------------------------------------------------- */

typedef struct dr_report_info {
    const dr_scenario *scn;
    const dr_tape *tape;        /* the tape the report is about (its choices and provenance) */
    const char *tape_path;
    const dr_exec_result *res;  /* a traced run of the tape */
    const char *note;           /* NULL, or e.g. "minimized from X" */
} dr_report_info;

/* After a traced run (cfg.trace) of info->tape: writes <base>.txt, <base>.json,
 * <base>.trace.json and <base>.sarif next to the tape (base = tape path without
 * ".tape"), each atomically, all four or none. Returns 0, or -1 with a line
 * on stderr. */
int dr_report_write(const dr_report_info *info);
/* From the .json next to a saved finding's tape: its driver source line,
 * "file:line in function" ("" when it has none), and its steps. False when
 * there is no readable report. */
struct dr_rc_item;
bool dr_report_facts(const char *tape_path, struct dr_rc_item *it);
/* The campaign's SARIF: one run whose results are those of the n findings'
 * own .sarif files (next to their tapes; one without is left out), with one
 * rule per rule id. The number of results, or -1 with a line on stderr. */
int dr_report_campaign_sarif(const char *out_path, const char *const *tapes, size_t n);
/* The Chrome Trace Event timeline of the last traced run, into a malloc'ed string. */
char *dr_report_timeline(const dr_report_info *info);
/* Where a finding happened: "at step S on Pn in TASK, file.c:LINE in
 * function" (the driver line when its stack has one), escaped. */
const char *dr_report_where(const dr_finding *f, char *buf, size_t len);
/* The story per simulated processor of the last traced run, whose finding is f. */
void dr_report_story(FILE *out, const dr_finding *f);
/* Did a run of tape t find what the tape's header records (kind, and the title
 * unless clean)? If not, a one-line reason in why. */
bool dr_report_same_finding(const dr_tape *t, const dr_finding *f, char *why, size_t len);
/* Re-runs a tape with tracing (window counters untouched) into *res; 0 if it
 * reproduced bit for bit with the header's finding, else -1 with a line on stderr. */
int dr_report_rerun(const dr_scenario *s, const dr_tape *t, uint64_t step_budget, dr_exec_result *res);
/* After dr_report_rerun: give t the re-run's decisions by meaning (it then
 * saves as version 5). False, t unchanged, when there are none: the re-run
 * ran in a child (a tape whose run kills its process keeps its choices
 * only) or out of memory. */
bool dr_report_intent(dr_tape *t);
/* A tape's decisions by meaning, one a line (replay --trace). */
void dr_cli_print_intent(FILE *out, const dr_tape *t);

int dr_cmd_run(int argc, char **argv);
int dr_cmd_replay(int argc, char **argv);
int dr_cmd_stress(int argc, char **argv);
int dr_cmd_minimize(int argc, char **argv);
int dr_cmd_regress(int argc, char **argv);
/* "finding      [kind] title" and its message with where it happened (replay, minimize). */
void dr_cli_print_finding(const dr_finding *f);
int dr_cmd_show(int argc, char **argv);

/* ---- JSON (a reader for our own files; validates the whole text) ---------------------- */

typedef enum { DR_J_NULL, DR_J_BOOL, DR_J_NUM, DR_J_STR, DR_J_ARR, DR_J_OBJ } dr_json_type;

typedef struct dr_json {
    dr_json_type type;
    char *key;              /* member name inside an object */
    char *str;              /* DR_J_STR: unescaped (UTF-8) */
    double num;
    bool b;
    struct dr_json *child;  /* first element or member */
    struct dr_json *next;
} dr_json;

/* Parses text; on error returns NULL and a one-line reason with the offset. */
dr_json *dr_json_parse(const char *text, size_t len, char *err, size_t errlen);
void dr_json_free(dr_json *j);
const dr_json *dr_json_get(const dr_json *obj, const char *key);
/* Writes s as a JSON string literal (with quotes), always valid UTF-8: control
 * characters escaped, bytes that are not UTF-8 as U+FFFD. */
void dr_json_put_str(FILE *out, const char *s);


#endif
