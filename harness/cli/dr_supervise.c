/* dr_supervise.c: executions in a child process (dr_supervise.h). */
#define _GNU_SOURCE /* dladdr */
#include "dr_supervise.h"
#include "dr_where.h"

#include "dr_fault.h"
#include "dr_hash.h"

#include <dlfcn.h>
#include <sys/syscall.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double dr_sup_exec_timeout = DR_SUP_DEFAULT_TIMEOUT;
bool dr_sup_isolate;

static const char *sig_name(int sig, char *buf, size_t len)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"},   {SIGILL, "SIGILL"},
                 {SIGABRT, "SIGABRT"}, {SIGKILL, "SIGKILL"}, {SIGTRAP, "SIGTRAP"}, {SIGTERM, "SIGTERM"},
                 {SIGSYS, "SIGSYS"},   {SIGPIPE, "SIGPIPE"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    snprintf(buf, len, "signal %d", sig);
    return buf;
}

/* One racing access as a title shows it: the driver line (dr_where), else
 * the function and its offset in its module (stable within a build, as
 * TSan prints it). */
static void race_site(const dr_race_access *a, char *out, size_t len)
{
    dr_srcloc l;
    if (dr_where(a->pc, a->npc, &l)) {
        dr_where_site_text(&l, out, len);
        return;
    }
    Dl_info info;
    if (a->npc && dladdr((void *)a->pc[0], &info) && info.dli_fname) {
        const char *mod = strrchr(info.dli_fname, '/');
        snprintf(out, len, "%s (%s+0x%" PRIxPTR ")", info.dli_sname ? info.dli_sname : "?",
                 mod ? mod + 1 : info.dli_fname, a->pc[0] - (uintptr_t)info.dli_fbase);
        return;
    }
    snprintf(out, len, "an unknown site");
}

void dr_sup_race_finding(const dr_race_info *r, dr_finding *f)
{
    memset(f, 0, sizeof *f);
    f->step = r->step;
    f->task = r->task;
    f->cpu = r->cpu;
    snprintf(f->task_name, sizeof f->task_name, "%s", r->task_name);
    if (r->what[0] && strcmp(r->what, "data-race") != 0) {
        /* Another kind of TSan report (a signal-unsafe call, a mutex destroyed while locked). */
        f->kind = DR_FIND_CRASH;
        snprintf(f->rule, sizeof f->rule, "%s", dr__rule_name(DR_RULE_SANITIZER));
        snprintf(f->title, sizeof f->title, "crash: ThreadSanitizer: %s", r->what);
        snprintf(f->message, sizeof f->message,
                 "ThreadSanitizer reported %s at step %" PRIu64 " (its report is on stderr)", r->what, r->step);
        return;
    }
    f->kind = dr__fault_kind(DR_FAULT_DATA_RACE);
    snprintf(f->rule, sizeof f->rule, "%s", dr__fault_name(DR_FAULT_DATA_RACE));
    /* The title, the dedup key, names the two racing sites in a fixed order
     * (TSan names the later access first, and which one comes later depends
     * on the interleaving): the same pair of lines is the same race. */
    char site[2][200];
    for (uint32_t i = 0; i < 2; i++) {
        if (i < r->naccess)
            race_site(&r->access[i], site[i], sizeof site[i]);
        else
            snprintf(site[i], sizeof site[i], "an unknown site");
    }
    if (r->naccess)
        memcpy(f->pc, r->access[0].pc, r->access[0].npc * sizeof f->pc[0]);
    f->npc = r->naccess ? r->access[0].npc : 0;
    int lo = strcmp(site[0], site[1]) <= 0 ? 0 : 1;
    snprintf(f->title, sizeof f->title, "%s: %s / %s", dr__fault_title(DR_FAULT_DATA_RACE), site[lo], site[1 - lo]);
    char acc[2][260];
    for (uint32_t i = 0; i < 2; i++) {
        const dr_race_access *a = &r->access[i];
        if (i < r->naccess)
            snprintf(acc[i], sizeof acc[i], "%s%s of %" PRIu32 " byte%s at %s", a->atomic ? "atomic " : "",
                     a->write ? "write" : "read", a->size, a->size == 1 ? "" : "s", site[i]);
        else
            snprintf(acc[i], sizeof acc[i], "an access TSan did not report");
    }
    char detail[sizeof f->message];
    snprintf(detail, sizeof detail,
             "at step %" PRIu64 " between the %s and an earlier %s, on another processor without a "
             "happens-before edge (TSan's report, with both stacks, is on stderr)",
             r->step, acc[0], acc[1]);
    dr__fault_msg_DATA_RACE(f->message, sizeof f->message, detail);
}

void dr_sup_exit_now(int code)
{
    fflush(stdout);
    fflush(stderr);
    /* exit_group, not exit or _exit: TSan's interceptors would end the
     * process with its own exitcode (66) once it has reported. */
    syscall(SYS_exit_group, code);
    _exit(code);
}

void dr_sup_race_exit(void) { dr_sup_exit_now(DR_EXIT_FINDINGS); }

void dr_sup_death_finding(int status, bool hung, const dr_mirror *m, dr_finding *f)
{
    memset(f, 0, sizeof *f);
    f->step = m->steps;
    char sb[32];
    if (hung) {
        f->kind = DR_FIND_HANG;
        snprintf(f->rule, sizeof f->rule, "%s", dr__rule_name(DR_RULE_HANG));
        snprintf(f->title, sizeof f->title, "hang: no progress (watchdog)");
        snprintf(f->message, sizeof f->message,
                 "no step for %g s after step %" PRIu64 " (--exec-timeout): a loop without scheduling points; "
                 "the process was killed",
                 dr_sup_exec_timeout, (uint64_t)m->steps);
    } else if (m->raced) {
        dr_sup_race_finding(&m->race, f);
    } else if (m->sanitizer) {
        f->kind = DR_FIND_CRASH;
        snprintf(f->rule, sizeof f->rule, "%s", dr__rule_name(DR_RULE_SANITIZER));
        if (m->what[0])
            snprintf(f->title, sizeof f->title, "crash: %.60s (sanitizer report, process died)", m->what);
        else
            snprintf(f->title, sizeof f->title, "crash: sanitizer report (process died)");
        snprintf(f->message, sizeof f->message,
                 "a sanitizer reported at step %" PRIu64 " and ended the process (its report is on stderr)",
                 (uint64_t)m->steps);
    } else if (WIFSIGNALED(status)) {
        const char *n = sig_name(WTERMSIG(status), sb, sizeof sb);
        f->kind = DR_FIND_CRASH;
        snprintf(f->rule, sizeof f->rule, "%s", dr__rule_name(DR_RULE_PROCESS_DIED));
        snprintf(f->title, sizeof f->title, "crash: %s (process died)", n);
        snprintf(f->message, sizeof f->message, "the process running the execution died of %s at step %" PRIu64 "%s",
                 n, (uint64_t)m->steps, WTERMSIG(status) == SIGABRT ? " (abort())" : "");
    } else {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        f->kind = DR_FIND_CRASH;
        snprintf(f->rule, sizeof f->rule, "%s", dr__rule_name(DR_RULE_PROCESS_EXIT));
        snprintf(f->title, sizeof f->title, "crash: exit(%d) during an execution (process died)", code);
        snprintf(f->message, sizeof f->message, "the process running the execution exited with status %d at step %" PRIu64,
                 code, (uint64_t)m->steps);
    }
    if (m->nrec > m->cap)
        snprintf(f->message + strlen(f->message), sizeof f->message - strlen(f->message),
                 "; only the first %" PRIu64 " of %" PRIu64 " choices were kept", m->cap, (uint64_t)m->nrec);
}

uint64_t dr_sup_death_digest(const dr_mirror *m, dr_finding_kind kind)
{
    uint64_t n = m->nrec < m->cap ? m->nrec : m->cap;
    uint64_t d = dr_mix(0x2545f4914f6cdd1dull, (uint64_t)kind);
    for (uint64_t i = 0; i < n; i++)
        d = dr_mix(d, ((uint64_t)m->rec[i].kind << 62) ^ ((uint64_t)m->rec[i].n << 32) ^ m->rec[i].value);
    return dr_fmix(dr_mix(d, m->steps));
}

void dr_sup_death_tape(dr_tape *t, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind, uint64_t seed,
                       uint64_t exec_index, const dr_finding *f, const dr_mirror *m)
{
    memset(t, 0, sizeof *t);
    t->version = DR_TAPE_VERSION;
    t->scenario_digest = dr_scenario_digest(s, cpus);
    t->trace_digest = 0;
    t->cpus = (uint8_t)cpus;
    t->strategy = (uint8_t)kind;
    t->seed = seed;
    t->exec_index = exec_index;
    snprintf(t->env, sizeof t->env, "%s", dr_scenario_env() ? dr_scenario_env() : "");
    t->races = (uint8_t)dr_races_now();
    snprintf(t->scenario, sizeof t->scenario, "%s", s->name);
    t->finding = f->kind;
    snprintf(t->title, sizeof t->title, "%s", f->title);
    t->nrec = m->nrec < m->cap ? m->nrec : m->cap;
    t->rec = malloc((t->nrec ? t->nrec : 1) * sizeof *t->rec);
    if (!t->rec) {
        fprintf(stderr, "dmarace: out of memory copying the tape\n");
        abort();
    }
    memcpy(t->rec, m->rec, t->nrec * sizeof *t->rec);
}

/* A data race's reports, from a traced re-run of its tape in a child: at
 * ThreadSanitizer's report the race handler writes them with the story up
 * to it, then ends the child (0: written). */
static const dr_report_info *race_report;

static void write_race_report(void)
{
    dr_sup_exit_now(dr_report_write(race_report) == 0 ? DR_EXIT_CLEAN : DR_EXIT_INTERNAL);
}

static dr_mirror *sup_mirror(void);

static bool race_reports(const dr_report_info *info)
{
    dr_mirror *m = sup_mirror();
    dr_mirror_reset(m);
    pid_t pid = dr_sup_fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        dr_mirror_attach(m);
        race_report = info;
        dr_set_race_handler(write_race_report);
        dr_strategy *st = dr_strategy_replay(info->tape);
        dr_run_config cfg = {.cpus = info->tape->cpus, .trace = true};
        dr_exec_result res;
        if (st)
            dr_run(info->scn, &cfg, st, info->tape->exec_index, &res);
        dr_sup_exit_now(DR_EXIT_USAGE); /* no report: the re-run went another way */
    }
    bool hung;
    int st = dr_sup_wait(pid, m, NULL, &hung);
    return !hung && WIFEXITED(st) && WEXITSTATUS(st) == DR_EXIT_CLEAN && m->raced;
}

int dr_sup_save_death(const char *path, const dr_scenario *s, const dr_tape *t, const dr_finding *f, uint64_t steps,
                      uint32_t *files)
{
    char err[512];
    *files = 0;
    if (dr_tape_save(path, t, err, sizeof err) != 0) {
        fprintf(stderr, "dmarace: %s\n", err);
        return -1;
    }
    *files |= DR_CLI_FILE_TAPE;
    dr_exec_result res;
    memset(&res, 0, sizeof res);
    res.finding = *f;
    res.steps = steps;
    res.choices = t->nrec;
    if (f->kind == DR_FIND_DATA_RACE) {
        dr_report_info info = {s, t, path, &res,
                               "ThreadSanitizer's report ended the process running this execution; the story is "
                               "a re-run of the tape up to that report"};
        if (race_reports(&info)) {
            *files |= DR_CLI_FILE_REPORTS;
            return 0;
        }
    }
    dr_trace_clear(); /* the story is empty: the process that ran it is gone */
    dr_report_info info = {s, t, path, &res,
                           "the process running this execution died: dmarace replay re-runs it in a child"};
    if (dr_report_write(&info) != 0)
        return -1;
    *files |= DR_CLI_FILE_REPORTS;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

dr_sup_clock dr_sup_clock_of(pid_t pid)
{
    dr_sup_clock c = {-1, now()};
    clockid_t cid;
    struct timespec ts;
    if (clock_getcpuclockid(pid, &cid) == 0 && clock_gettime(cid, &ts) == 0)
        c.cpu = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    return c;
}

bool dr_sup_stalled(pid_t pid, dr_sup_clock since)
{
    dr_sup_clock c = dr_sup_clock_of(pid);
    if (c.cpu >= 0 && since.cpu >= 0 && c.cpu - since.cpu >= dr_sup_exec_timeout)
        return true;
    return c.wall - since.wall >= dr_sup_exec_timeout * DR_SUP_BLOCKED_FACTOR;
}

int dr_sup_wait(pid_t pid, const dr_mirror *m, const volatile uint32_t *busy, bool *hung)
{
    *hung = false;
    uint64_t last = m->steps;
    dr_sup_clock since = dr_sup_clock_of(pid);
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 && errno != EINTR)
            return -1;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
        uint64_t cur = m->steps;
        if (cur != last || (busy && !*busy)) {
            last = cur;
            since = dr_sup_clock_of(pid);
        } else if (!*hung && dr_sup_stalled(pid, since)) {
            kill(pid, SIGKILL);
            *hung = true;
        }
    }
}

bool dr_sup_wanted(const dr_tape *t)
{
    return (t->finding == DR_FIND_CRASH || t->finding == DR_FIND_HANG || t->finding == DR_FIND_DATA_RACE) &&
           t->trace_digest == 0;
}

/* Did the died run take the tape's choices and end in the tape's finding? */
static bool death_matches(const dr_tape *t, const dr_mirror *m, const dr_finding *f, char *why, size_t len)
{
    uint64_t n = m->nrec < m->cap ? m->nrec : m->cap;
    if (f->kind != t->finding || strcmp(f->title, t->title) != 0) {
        snprintf(why, len, "replay diverged: the run ended in [%s] %s, the tape recorded [%s] %s",
                 dr_finding_kind_name(f->kind), f->title, dr_finding_kind_name(t->finding), t->title);
        return false;
    }
    bool same = n == t->nrec;
    for (uint64_t i = 0; same && i < n; i++)
        same = m->rec[i].kind == t->rec[i].kind && m->rec[i].n == t->rec[i].n && m->rec[i].value == t->rec[i].value;
    if (!same) {
        snprintf(why, len, "replay diverged: the process died after %" PRIu64 " choices, the tape has %zu%s", n,
                 t->nrec, n == t->nrec ? " (different ones)" : "");
        return false;
    }
    return true;
}

static dr_mirror *sup_mirror(void)
{
    static dr_mirror *m;
    if (!m && !(m = dr_mirror_map(DR_SUP_MIRROR_CAP))) {
        fprintf(stderr, "dmarace: out of memory for the supervisor's mirror\n");
        exit(DR_EXIT_INTERNAL);
    }
    return m;
}

pid_t dr_sup_fork(void)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        fprintf(stderr, "dmarace: fork: %s\n", strerror(errno));
    return pid;
}

bool dr_sup_replay(const dr_scenario *s, const dr_tape *t, const char *path, int *rc)
{
    (void)s;
    dr_mirror *m = sup_mirror();
    dr_mirror_reset(m);
    pid_t pid = dr_sup_fork();
    if (pid < 0) {
        *rc = DR_EXIT_INTERNAL;
        return true;
    }
    if (pid == 0) {
        setvbuf(stdout, NULL, _IOLBF, 0); /* what it printed survives its death */
        dr_mirror_attach(m);
        return false;
    }
    bool hung;
    int st = dr_sup_wait(pid, m, NULL, &hung);
    if (!hung && WIFEXITED(st) && !m->sanitizer && !m->raced && WEXITSTATUS(st) <= DR_EXIT_INTERNAL) {
        *rc = WEXITSTATUS(st);
        return true;
    }
    dr_finding f;
    dr_sup_death_finding(st, hung, m, &f);
    printf("finding      [%s] %s\n             %s\n", dr_finding_kind_name(f.kind), f.title, f.message);
    char why[512];
    if (!death_matches(t, m, &f, why, sizeof why)) {
        fprintf(stderr, "dmarace: %s: %s\n", path, why);
        *rc = DR_EXIT_USAGE;
    } else {
        printf("replay       reproduced: the same choices, and the process died the same way\n");
        *rc = DR_EXIT_FINDINGS;
    }
    fflush(stdout);
    return true;
}

/* ---- isolated runs (minimize, report re-runs) ------------------------------------------ */

typedef struct {
    dr_exec_result res;
    volatile uint32_t done, busy;
    int32_t rc;
    uint32_t verified;
    char why[512];
} sup_box;

static bool last_isolated, last_died;

bool dr_sup_last_isolated(void) { return last_isolated; }
static dr_finding last_death;

static sup_box *box(void)
{
    static sup_box *b;
    if (!b) {
        b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED) {
            fprintf(stderr, "dmarace: out of memory for the supervisor\n");
            exit(DR_EXIT_INTERNAL);
        }
    }
    return b;
}

int dr_sup_run(const dr_scenario *s, const dr_run_config *cfg, dr_strategy *strat, uint64_t exec_index,
               dr_exec_result *res)
{
    last_isolated = dr_sup_isolate;
    if (!dr_sup_isolate)
        return dr_run(s, cfg, strat, exec_index, res);
    dr_mirror *m = sup_mirror();
    sup_box *b = box();
    memset(b, 0, sizeof *b);
    dr_mirror_reset(m);
    pid_t pid = dr_sup_fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dr_mirror_attach(m);
        dr_set_race_handler(dr_sup_race_exit);
        b->busy = 1;
        b->rc = dr_run(s, cfg, strat, exec_index, &b->res);
        b->busy = 0;
        if (b->rc == 0 && dr_strategy_get_kind(strat) == DR_STRAT_REPLAY)
            b->verified = dr_replay_verify(strat, &b->res, b->why, sizeof b->why);
        b->done = 1;
        fflush(stdout);
        _exit(0);
    }
    bool hung;
    int st = dr_sup_wait(pid, m, &b->busy, &hung);
    last_died = !(b->done && !hung && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!last_died) {
        *res = b->res;
        return b->rc;
    }
    dr_sup_death_finding(st, hung, m, &last_death);
    memset(res, 0, sizeof *res);
    res->finding = last_death;
    res->steps = m->steps;
    res->choices = m->nrec < m->cap ? m->nrec : m->cap;
    dr_trace_clear();
    return 0;
}

void dr_sup_last_tape(dr_tape *t, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind, uint64_t seed,
                      uint64_t exec_index, const dr_exec_result *res)
{
    if (!last_isolated) {
        dr_last_tape(t, s, cpus, kind, seed, exec_index, res);
        return;
    }
    dr_sup_death_tape(t, s, cpus, kind, seed, exec_index, &res->finding, sup_mirror());
    t->trace_digest = res->digest;
}

bool dr_sup_replay_verify(const dr_tape *t, const dr_strategy *st, const dr_exec_result *res, char *why,
                          size_t len)
{
    if (!last_isolated)
        return dr_replay_verify(st, res, why, len);
    if (last_died)
        return death_matches(t, sup_mirror(), &last_death, why, len);
    snprintf(why, len, "%s", box()->why);
    return box()->verified;
}
