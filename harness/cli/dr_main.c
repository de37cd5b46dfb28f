/* dr_main.c: the dmarace command line: dispatch, list, version, help, and the
 * helpers the commands share. Exit codes: 0 clean, 1 findings, 2 usage or
 * input error, 3 internal error. */
#include "dr_cli.h"


#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- help: one table, printed whole by `help`, a row by `COMMAND --help` ---------------- */

static const char run_options[] =
    "  --strategy random|pct|dfs|tape   how choices are made (default random)\n"
    "  --seed N            campaign seed (default 1)\n"
    "  --executions N      executions to run (default 10000; dfs stops earlier when exhausted)\n"
    "  --time SECONDS      run until this much time has passed (with --executions: whichever first)\n"
    "  -j N, --jobs N      N worker processes; worker w runs the executions i with i % N == w\n"
    "                      (random, pct): the same executions, findings and digest as -j 1\n"
    "  --shard I/N         run only the executions i with i % N == I-1 (I from 1 to N), to split\n"
    "                      one campaign over machines or CI jobs; composes with -j\n"
    "  --depth D           PCT depth (default 3)\n"
    "  --bound B           DFS preemption bound (default 2)\n"
    "  --cpus N            simulated processors (default: the scenario's)\n"
    "  --env \"SETTINGS\"    environment settings on top of the scenario's own (\"requests=2 no-cancel\",\n"
    "                      docs/scenarios.md); recorded in tapes, so replay applies them again\n"
    "  --step-budget N     steps before an execution is a livelock (default 100000)\n"    "  --exec-timeout SECONDS  an execution using this much CPU time without a step (a loop with\n"
    "                      no scheduling point) is killed: a hang finding (default 5)\n"
    "  --input FILE        tape strategy: the bytes to read choices from\n"
    "  --findings DIR      where each distinct finding goes, the moment it is found (default findings):\n"
    "                      <scenario>-<kind>-<key>.tape and, next to it, .txt (the report), .json,\n"
    "                      .trace.json (Chrome/Perfetto timeline) and .sarif (SARIF 2.1.0)\n"
    "  --stop-on-first     stop at the first finding\n"
    "  --from K            random: start at execution K (the same in every campaign with this seed)\n"
    "  --trace             print the trace of every execution\n"
    "  --expect            exit 0 if the verdict is the scenario's expected one, 1 if not\n"
    "                      (default executions: the scenario's budget)\n"
    "  --expect=SPEC       the same against SPEC instead of the scenario's verdict: clean, a kind,\n"
    "                      KIND:RULE (framework:V1 is the rule V1 exactly, not V15) or\n"
    "                      KIND:part-of-the-title (crash:WdfSpinLockRelease)\n"
    "  --quiet             no progress line (it is shown only when stderr is a terminal)\n";

static const char stress_options[] =
    "  --executions N | --time SECONDS | --seed N | --cpus N | --stop-on-first |\n"
    "  --expect[=SPEC] | --quiet\n"
    "                      as for run (there is no tape: findings are reproduced with run);\n"
    "                      --expect stops as soon as the scenario's expected finding is seen\n"
    "  --exec-limit SECONDS  wall-clock limit of one execution before it is a livelock (default 10)\n";

static const char exit_codes[] =
    "exit codes: 0 clean (replay: no finding; minimize, show: done),\n"
    "            1 findings (with --expect: an unexpected verdict; replay: the finding reproduced),\n"
    "            2 usage or input error (bad option or value, unknown scenario, corrupt, truncated\n"
    "              or foreign tape or report, an input or output that is not a regular file, an\n"
    "              unwritable findings directory, a tape that does not reproduce its finding,\n"
    "              minimize on a tape that finds nothing),\n"
    "            3 internal error, or an output (a finding's files, -o, --timeline, the\n"
    "              standard output) that could not be written: a full disk\n";

typedef struct {
    const char *name;
    const char *synopsis;    /* after the program's name */
    const char *what;        /* lines after the first indented to the description column */
    const char *options;     /* its options block, or NULL */
} command_help;

static const command_help commands[] = {
    {"list", "list", "one line per scenario: name, expected verdict, summary", NULL},
    {"run", "run [SCENARIO] [options]", "a campaign (default scenario: %s)", run_options},
    {"stress", "stress [SCENARIO] [options]",
     "real-thread mode: each processor a pthread, the OS interleaving,\n"
     "no tape (the stress-test baseline; nightly under TSan)",
     stress_options},
    {"replay", "replay TAPE [--trace] [--timeline OUT.json] [--exec-timeout SECONDS]",
     "re-execute a saved tape in this process (works under gdb),\n"
     "print the finding, the story per processor and the trace",
     NULL},
    {"minimize", "minimize TAPE [-o OUT] [--max-runs N] [--exec-timeout SECONDS]",
     "shrink a failing tape (fewer preemptions, steps, events) keeping\n"
     "its finding (kind and title); writes OUT (default TAPE-min.tape)\n"
     "and its reports",
     NULL},
    {"show", "show FILE", "print a saved report (.txt, .json, or the .tape it sits next to)", NULL},
    {"version", "version", "version and build flavour (tapes replay only in their own flavour); also --version",
     NULL},
    {"help", "help", "this text; COMMAND --help: one command's", NULL},
};

static const char *default_scenario = "(none)";

/* The description, its lines after the first indented by indent. */
static void print_what(const command_help *c, int indent)
{
    for (const char *p = c->what; *p; p++) {
        if (p[0] == '%' && p[1] == 's') { /* the default scenario */
            fputs(default_scenario, stdout);
            p++;
            continue;
        }
        putchar(*p);
        if (*p == '\n')
            printf("%*s", indent, "");
    }
    putchar('\n');
}

static void print_command(const command_help *c)
{
    if (strlen(c->synopsis) <= 26)
        printf("  %-26s ", c->synopsis);
    else
        printf("  %s\n%29s", c->synopsis, "");
    print_what(c, 29);
}

static void print_help(void)
{
    printf("usage: %s <command> [options]\n\ncommands:\n", dr_cli_program());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        print_command(&commands[i]);
    printf("\nrun options:\n%s\nstress options:\n%s\n%s", run_options, stress_options, exit_codes);
}

/* COMMAND --help (or -h) anywhere in its arguments: its synopsis, options and
 * the exit codes; false when the command is not one. */
static bool print_command_help(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const command_help *c = &commands[i];
        if (strcmp(c->name, name) != 0)
            continue;
        printf("usage: %s %s\n\n  ", dr_cli_program(), c->synopsis);
        print_what(c, 2);
        if (c->options)
            printf("\noptions:\n%s", c->options);
        printf("\n%s", exit_codes);
        return true;
    }
    return false;
}

int dr_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dmarace: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see %s help)\n", dr_cli_program());
    va_end(ap);
    return DR_EXIT_USAGE;
}

bool dr_cli_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool dr_cli_parse_seconds(const char *s, double *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v <= 0 || v > 1e8)
        return false;
    *out = v;
    return true;
}

int dr_cli_expect_error(const char *spec)
{
    return dr_cli_usage_error("--expect=%s: give clean, a finding kind, KIND:RULE or KIND:part-of-the-title", spec);
}

double dr_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool dr_cli_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: not a regular file", path);
        close(fd);
        return false;
    }
    if ((uint64_t)st.st_size > DR_CLI_MAX_FILE) {
        snprintf(err, errlen, "cannot read %s: %lld bytes is more than the %d MiB dmarace reads", path,
                 (long long)st.st_size, (int)(DR_CLI_MAX_FILE >> 20));
        close(fd);
        return false;
    }
    /* The whole file, even if it grew since fstat (up to the limit). */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    uint8_t *b = malloc(cap);
    int e = b ? 0 : ENOMEM;
    while (b) {
        if (n + 1 == cap) {
            uint8_t *nb = cap > DR_CLI_MAX_FILE ? NULL : realloc(b, cap * 2);
            if (!nb) {
                e = cap > DR_CLI_MAX_FILE ? EFBIG : ENOMEM;
                break;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t k = read(fd, b + n, cap - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            e = errno;
            break;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    if (e) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        free(b);
        return false;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return true;
}

int dr_cli_make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

bool dr_cli_output_ok(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "dmarace: %s exists and is not a regular file: not replacing it\n", path);
        return false;
    }
    return true;
}

int dr_cli_write_atomic(const char *path, const char *data, size_t len)
{
    if (!dr_cli_output_ok(path))
        return -1;
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        fprintf(stderr, "dmarace: %s: path too long\n", path);
        return -1;
    }
    /* A file of that name can only be a dead process's leftover (same pid). */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "dmarace: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t k = write(fd, data + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            fprintf(stderr, "dmarace: %s: %s\n", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)k;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "dmarace: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int dr_cli_prepare_dir(const char *dir)
{
    if (dr_cli_make_dirs(dir) != 0) {
        fprintf(stderr, "dmarace: cannot create the findings directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    /* Writable: a probe file, created and removed (access() is no proof for root
     * on a read-only file system, nor on a full disk's directory). */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.dmarace-probe.tmp.%ld", dir, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "dmarace: the findings directory %s is not writable: %s\n", dir, strerror(errno));
        return -1;
    }
    close(fd);
    unlink(probe);
    /* Temporary files (NAME.tmp.PID) of campaigns that were killed: their
     * process is gone, so nobody will rename them. Another live campaign's
     * are left alone. */
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t)
            continue;
        while (strstr(t + 1, ".tmp."))
            t = strstr(t + 1, ".tmp.");
        char *end;
        errno = 0;
        long pid = strtol(t + 5, &end, 10);
        if (errno || *end || end == t + 5 || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return 0;
}

int dr_cli_finish_output(int rc)
{
    /* A full disk or a closed pipe on stdout must not pass for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "dmarace: error writing the standard output: %s\n", strerror(errno ? errno : EIO));
        return DR_EXIT_INTERNAL;
    }
    return rc;
}

const dr_scenario *dr_cli_load_tape(const char *path, dr_tape *t)
{
    char err[512];
    if (dr_tape_load(path, t, err, sizeof err) != 0) {
        fprintf(stderr, "dmarace: %s\n", err);
        return NULL;
    }
    const dr_scenario *s = dr_scenario_find(t->scenario);
    if (!s) {
        char name[sizeof t->scenario * 4 + 1];
        fprintf(stderr, "dmarace: %s: scenario '%s' is not in this build\n", path,
                dr_text_esc(t->scenario, name, sizeof name));
        dr_tape_free(t);
        return NULL;
    }
    if (dr_scenario_set_env(s, t->env, err, sizeof err) != 0) {
        fprintf(stderr, "dmarace: %s: its --env settings: %s\n", path, err);
        dr_tape_free(t);
        return NULL;
    }
    if (dr_scenario_digest(s, t->cpus) != t->scenario_digest) {
        fprintf(stderr,
                "dmarace: %s: recorded by another build of scenario %s (another scenario version or "
                "build flavour; this one is %s)\n",
                path, s->name, dr_build_flavor());
        dr_tape_free(t);
        return NULL;
    }
    return s;
}

static int cmd_list(void)
{
    for (size_t i = 0; i < dr_scenario_count(); i++) {
        const dr_scenario *s = dr_scenario_at(i);
        printf("%-28s cpus=%u  expect=%-10s %s\n", s->name, s->cpus, s->expect, s->summary);
    }
    return DR_EXIT_CLEAN;
}

static const char *program = "dmarace";

void dr_cli_set_program(const char *argv0)
{
    if (argv0 && argv0[0])
        program = argv0;
}

const char *dr_cli_program(void) { return program; }

const char *dr_cli_shell_word(const char *s, char *buf, size_t len)
{
    bool plain = s[0] != 0;
    for (const char *p = s; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("_./:=+-@%,", *p);
    if (plain) {
        snprintf(buf, len, "%s", s);
        return buf;
    }
    size_t k = 0;
    if (k + 1 < len)
        buf[k++] = '\'';
    for (const char *p = s; *p && k + 5 < len; p++) {
        if (*p == '\'') { /* ' -> '\'' */
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *p;
        }
    }
    if (k + 1 < len)
        buf[k++] = '\'';
    buf[k < len ? k : len - 1] = 0;
    return buf;
}

static const char *tape_command(const char *verb, const char *tape, const char *tail, char *buf, size_t len)
{
    char prog[4200], path[4200];
    snprintf(buf, len, "%s %s %s%s", dr_cli_shell_word(program, prog, sizeof prog), verb,
             dr_cli_shell_word(tape, path, sizeof path), tail);
    return buf;
}

const char *dr_cli_replay_command(const char *tape, bool trace, char *buf, size_t len)
{
    return tape_command("replay", tape, trace ? " --trace" : "", buf, len);
}

const char *dr_cli_minimize_command(const char *tape, char *buf, size_t len)
{
    return tape_command("minimize", tape, "", buf, len);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    dr_cli_set_program(argv[0]);
    const dr_scenario *def = dr_scenario_default();
    if (def)
        default_scenario = def->name;
    if (argc < 2)
        return dr_cli_usage_error("no command given");
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help();
        return dr_cli_finish_output(DR_EXIT_CLEAN);
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            if (!print_command_help(argv[1]))
                return dr_cli_usage_error("unknown command '%s'", argv[1]);
            return dr_cli_finish_output(DR_EXIT_CLEAN);
        }
    int rc;
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("dmarace %s\nflavour %s\n", DR_VERSION, dr_build_flavor());
        dr_engine_shutdown();
        return dr_cli_finish_output(DR_EXIT_CLEAN);
    }
    if (strcmp(argv[1], "list") == 0)
        rc = argc == 2 ? cmd_list() : dr_cli_usage_error("list takes no arguments");
    else if (strcmp(argv[1], "run") == 0)
        rc = dr_cmd_run(argc - 2, argv + 2);
    else if (strcmp(argv[1], "stress") == 0)
        rc = dr_cmd_stress(argc - 2, argv + 2);
    else if (strcmp(argv[1], "replay") == 0)
        rc = dr_cmd_replay(argc - 2, argv + 2);
    else if (strcmp(argv[1], "minimize") == 0)
        rc = dr_cmd_minimize(argc - 2, argv + 2);
    else if (strcmp(argv[1], "show") == 0)
        rc = dr_cmd_show(argc - 2, argv + 2);
    else
        rc = dr_cli_usage_error("unknown command '%s'", argv[1]);
    dr_engine_shutdown();
    return dr_cli_finish_output(rc);
}
