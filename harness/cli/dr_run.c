/* dr_run.c: dmarace run, a campaign.
 *
 * The campaign's executions are the indices i = 0, 1, ... (execution index
 * from + i). --shard I/N keeps the i with i % N == I-1; -j J splits those over
 * J worker processes (fork), worker w taking the i with i % (N*J) == I-1 + w*N.
 * With random and pct every execution depends only on (seed, index) (pct runs
 * with a k calibrated on the campaign's first executions, the same in every
 * process), so -j and --shard change who runs an execution, never what it does.
 *
 * Workers write each distinct finding themselves, the moment they find it:
 * the first worker to claim the finding's key (a table in shared memory)
 * writes <dir>/<scenario>-<kind>-<key>.tape and its reports, each atomically.
 * Each worker streams the digests of its executions to the parent through a
 * pipe, in its index order; the parent folds them in global index order, so
 * -j 1 and -j N print the same digest. At the end workers send their counts,
 * distinct findings and window counters; the parent sums them, and rewrites a
 * finding's files from its lowest execution index when a worker other than
 * that one wrote them, so the files do not depend on -j either. */
#include "dr_cli.h"
#include "dr_rootcause.h"
#include "dr_where.h"

#include "dr_hash.h"

#include "dr_supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#include <unistd.h>

enum {
    MAX_WINDOWS = 64,
    MAX_JOBS = 64,
    PCT_CALIBRATION = 16,
    RING = 1 << 18,          /* digests a worker may run ahead of the fold (2 MiB) */
    MAX_DISTINCT = 1 << 14,  /* distinct findings kept per worker (more are counted) */
    CLAIMS = 1 << 16,        /* keys claimed by a writer, campaign-wide */
};

typedef struct {
    uint64_t key;
    uint32_t kind;
    uint64_t written; /* the execution whose files were written, or UINT64_MAX */
    uint32_t files;   /* what is on disk: DR_CLI_FILE_TAPE | DR_CLI_FILE_REPORTS (a full disk writes less) */
    uint64_t count;
    uint64_t first_exec;
    uint64_t step;
    uint32_t died; /* its process died: the parent wrote its files */
    uint32_t calibration; /* first_exec is one of PCT's calibration executions */
    char rule[24];
    char title[160];
    char message[512];
} distinct;

typedef struct {
    char name[120];
    uint64_t hits;
} window_sum;

/* A worker's counts. They live in shared memory, so that they survive the
 * process that ran the worker's executions. */
typedef struct {
    uint64_t done, steps, total_findings;
    uint64_t dropped; /* findings of keys past the table */
    uint32_t ndistinct, nwindows;
    int32_t rc;
    uint32_t write_failed; /* a finding's files could not be written: exit 3, the campaign goes on */
    uint32_t exhausted;
    window_sum w[MAX_WINDOWS];
    char notice[DR_NOTICE_MAX]; /* the worker's dr_notice_text() */
} tally;

/* One per worker, shared (MAP_SHARED before the first fork). The worker's
 * process is the producer of ring[] and of everything else here; the parent
 * consumes ring[] in index order, and writes here itself only while no
 * process runs the worker (after one died, before the next is started). */
typedef struct {
    uint64_t produced;  /* executions k = 0..produced-1 of the slice are done: their digests are in ring[] */
    uint64_t consumed;  /* digests folded by the parent */
    uint64_t k_cur;     /* slice position of the execution in progress */
    uint32_t in_exec;   /* 1 while dr_run runs execution k_cur */
    uint32_t finished;  /* the slice is over (tally final) */
    tally r;
    uint64_t ring[RING];
    distinct d[MAX_DISTINCT];
} wslot;

/* Shared between the workers (MAP_SHARED before fork). */
typedef struct {
    uint64_t claim[CLAIMS]; /* open addressing on the finding key */
    uint32_t stop;
} shared_state;

typedef struct {
    const dr_scenario *s;
    unsigned ncpu, jobs;
    dr_strategy_kind kind;
    uint64_t seed, depth, bound, budget, from, executions, pct_k;
    uint64_t shard_i, shard_n; /* 0-based shard index */
    double time_limit;          /* 0: none */
    const char *dir;
    bool stop_first, trace, progress;
    const uint8_t *bytes;
    size_t nbytes;
    shared_state *sh;
    wslot *slot[MAX_JOBS];
    dr_mirror *mirror[MAX_JOBS];
    double t0;
    /* Executions of PCT's calibration whose process died (a ThreadSanitizer
     * report, a crash): findings like the campaign's, written before it starts. */
    struct calib_death *calib_deaths;
    size_t ncalib_deaths;
} campaign;

typedef struct calib_death {
    uint64_t exec;
    dr_finding f;
    dr_tape t;
    uint64_t steps;
} calib_death;

static dr_strategy *make_strategy(const campaign *c)
{
    switch (c->kind) {
    case DR_STRAT_RANDOM:
        return dr_strategy_random(c->seed);
    case DR_STRAT_PCT:
        return dr_strategy_pct_fixed(c->seed, (unsigned)c->depth, c->pct_k);
    case DR_STRAT_DFS:
        return dr_strategy_dfs((unsigned)c->bound);
    case DR_STRAT_TAPE:
        return dr_strategy_bytes(c->bytes, c->nbytes);
    case DR_STRAT_REPLAY:
    case DR_STRAT__COUNT:
        break;
    }
    return NULL;
}

static void finding_path(const campaign *c, dr_finding_kind kind, uint64_t key, char *out, size_t len)
{
    snprintf(out, len, "%s/%s-%s-%016" PRIx64 ".tape", c->dir, c->s->name, dr_finding_kind_name(kind), key);
}

/* Saves the last execution's tape and its reports; *files says which got
 * written (the summary lists only those). */
static int save_finding(const campaign *c, uint64_t exec, const dr_exec_result *res, uint64_t key,
                        uint32_t *files)
{
    *files = 0;
    if (dr_cli_make_dirs(c->dir) != 0) {
        fprintf(stderr, "dmarace: cannot create %s: %s\n", c->dir, strerror(errno));
        return -1;
    }
    char path[4096];
    finding_path(c, res->finding.kind, key, path, sizeof path);
    dr_tape t;
    dr_last_tape(&t, c->s, c->ncpu, c->kind, c->seed, exec, res);
    char err[512];
    int rc = dr_tape_save(path, &t, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "dmarace: %s\n", err);
    } else {
        *files |= DR_CLI_FILE_TAPE;
        dr_exec_result rr;
        rc = dr_report_rerun(c->s, &t, c->budget, &rr);
        if (rc == 0) {
            dr_report_info info = {c->s, &t, path, &rr, NULL};
            rc = dr_report_write(&info);
        }
        if (rc == 0)
            *files |= DR_CLI_FILE_REPORTS;
    }
    dr_tape_free(&t);
    return rc;
}

/* Saves the tape and reports of an execution whose process died (parent). */
static int save_death(const campaign *c, uint64_t exec, const dr_finding *f, const dr_mirror *m, uint64_t key,
                      uint32_t *files)
{
    if (dr_cli_make_dirs(c->dir) != 0) {
        fprintf(stderr, "dmarace: cannot create %s: %s\n", c->dir, strerror(errno));
        return -1;
    }
    char path[4096];
    finding_path(c, f->kind, key, path, sizeof path);
    dr_tape t;
    dr_sup_death_tape(&t, c->s, c->ncpu, c->kind, c->seed, exec, f, m);
    int rc = dr_sup_save_death(path, c->s, &t, f, m->steps, files);
    dr_tape_free(&t);
    return rc;
}

/* True for the first process to claim key (it writes the finding's files). */
static bool claim(shared_state *sh, uint64_t key)
{
    if (!key)
        key = 1;
    for (size_t n = 0, i = key % CLAIMS; n < CLAIMS; n++, i = (i + 1) % CLAIMS) {
        uint64_t expected = 0;
        if (__atomic_compare_exchange_n(&sh->claim[i], &expected, key, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return true;
        if (expected == key)
            return false;
    }
    return true; /* the table is full: write (files are per key, and each is atomic) */
}

static int cmp_window(const void *a, const void *b)
{
    return strcmp(((const window_sum *)a)->name, ((const window_sum *)b)->name);
}

/* Counts one finding of execution e in a worker's tally; returns the entry
 * (NULL when the table is full: counted in dropped). */
static distinct *tally_finding(wslot *ws, const dr_finding *f, uint64_t key, uint64_t e, bool *fresh)
{
    tally *r = &ws->r;
    r->total_findings++;
    *fresh = false;
    uint32_t j;
    for (j = 0; j < r->ndistinct && ws->d[j].key != key; j++)
        ;
    if (j == r->ndistinct) {
        if (j == MAX_DISTINCT) {
            r->dropped++;
            return NULL;
        }
        distinct *d = &ws->d[r->ndistinct++];
        d->key = key;
        d->written = UINT64_MAX;
        d->files = 0;
        d->kind = f->kind;
        d->first_exec = e;
        d->step = f->step;
        d->count = 0;
        d->calibration = 0;
        snprintf(d->rule, sizeof d->rule, "%s", f->rule);
        snprintf(d->title, sizeof d->title, "%s", f->title);
        snprintf(d->message, sizeof d->message, "%s", f->message);
        *fresh = true;
    }
    ws->d[j].count++;
    return &ws->d[j];
}

static void slice(const campaign *c, unsigned w, uint64_t *stride, uint64_t *off)
{
    *stride = c->shard_n * c->jobs;
    *off = c->shard_i + (uint64_t)w * c->shard_n;
}

/* The window counters of the worker's earlier processes, plus this one's. */
typedef struct {
    uint64_t base[MAX_WINDOWS];
    int map[MAX_WINDOWS]; /* engine window i -> tally entry */
    size_t known;
} window_pub;

static void publish_windows(tally *r, window_pub *p)
{
    size_t n = dr_window_count();
    for (; p->known < n && p->known < MAX_WINDOWS; p->known++) {
        const char *name = dr_window_name(p->known);
        uint32_t j;
        for (j = 0; j < r->nwindows && strcmp(r->w[j].name, name) != 0; j++)
            ;
        if (j == r->nwindows) {
            if (j == MAX_WINDOWS) {
                p->map[p->known] = -1;
                continue;
            }
            snprintf(r->w[j].name, sizeof r->w[j].name, "%s", name);
            r->w[j].hits = 0;
            r->nwindows++;
        }
        p->map[p->known] = (int)j;
        p->base[p->known] = r->w[j].hits;
    }
    for (size_t i = 0; i < p->known; i++)
        if (p->map[i] >= 0)
            r->w[p->map[i]].hits = p->base[i] + dr_window_hits(i);
}

/* A worker's process: runs its slice from position ws->produced on. */
static void run_worker(const campaign *c, unsigned w)
{
    wslot *ws = c->slot[w];
    tally *r = &ws->r;
    dr_mirror_attach(c->mirror[w]);
    /* A ThreadSanitizer report ends this process, whatever TSAN_OPTIONS
     * says; worker_ended makes it a data-race finding (docs/tsan.md). */
    dr_set_race_handler(dr_sup_race_exit);
    dr_strategy *strat = make_strategy(c);
    if (!strat) {
        fprintf(stderr, "dmarace: out of memory\n");
        r->rc = DR_EXIT_INTERNAL;
        __atomic_store_n(&ws->finished, 1, __ATOMIC_RELEASE);
        return;
    }
    uint64_t stride, off;
    slice(c, w, &stride, &off);
    dr_run_config cfg = {.cpus = c->ncpu, .step_budget = c->budget, .trace = c->trace};
    window_pub pub = {.known = 0};
    dr_windows_reset();
    dr_notices_reset();
    for (uint64_t k = __atomic_load_n(&ws->produced, __ATOMIC_ACQUIRE);; k++) {
        if (__atomic_load_n(&c->sh->stop, __ATOMIC_RELAXED))
            break;
        uint64_t i = off + k * stride;
        if (i >= c->executions || (k && i < off))
            break;
        /* --time: every worker runs at least its first execution, however
         * late its process started (a loaded machine), so a campaign with a
         * time limit always runs something. */
        if (c->time_limit > 0 && k > 0 && (k & 15) == 0 && dr_cli_now() - c->t0 >= c->time_limit)
            break;
        uint64_t e = c->from + i;
        dr_exec_result res;
        __atomic_store_n(&ws->k_cur, k, __ATOMIC_RELAXED);
        __atomic_store_n(&ws->in_exec, 1, __ATOMIC_RELEASE);
        int run = dr_run(c->s, &cfg, strat, e, &res);
        __atomic_store_n(&ws->in_exec, 0, __ATOMIC_RELEASE);
        if (run != 0) {
            r->rc = DR_EXIT_USAGE;
            break;
        }
        r->done++;
        r->steps += res.steps;
        if (c->trace) {
            printf("execution %" PRIu64 ":\n", e);
            dr_trace_print(stdout, dr_where_suffix);
        }
        bool write = false;
        uint64_t key = 0;
        distinct *found = NULL;
        if (res.diverged) {
            fprintf(stderr, "dmarace: %s\n", res.diverge_msg);
            r->rc = DR_EXIT_INTERNAL;
        } else if (res.finding.kind != DR_FIND_NONE) {
            key = dr_finding_key(res.finding.kind, res.finding.title);
            bool fresh;
            distinct *d = tally_finding(ws, &res.finding, key, e, &fresh);
            found = d;
            if ((d ? fresh : true) && claim(c->sh, key)) {
                write = true;
                if (d)
                    d->written = e;
            }
            if (c->stop_first)
                __atomic_store_n(&c->sh->stop, 1, __ATOMIC_RELAXED);
        }
        publish_windows(r, &pub);
        if (dr_notice_text()[0] && strcmp(r->notice, dr_notice_text()) != 0)
            snprintf(r->notice, sizeof r->notice, "%s", dr_notice_text());
        /* Back-pressure: at most RING-1 digests ahead of the fold (the last
         * slot is the parent's, for an execution that kills this process). */
        while (k - __atomic_load_n(&ws->consumed, __ATOMIC_ACQUIRE) >= RING - 1) {
            struct timespec ts = {0, 200 * 1000};
            nanosleep(&ts, NULL);
        }
        ws->ring[k % RING] = res.digest;
        __atomic_store_n(&ws->produced, k + 1, __ATOMIC_RELEASE);
        /* The execution is accounted for: a process that dies writing its
         * files (a TSan report in the re-run) is restarted after it. */
        if (write) {
            uint32_t files;
            if (save_finding(c, e, &res, key, &files) != 0)
                r->write_failed = 1;
            if (found)
                found->files = files;
            char msg[DR_CLI_ESC_MESSAGE];
            fprintf(stderr, "%sdmarace: finding %s: %s (execution %" PRIu64 ", step %" PRIu64 ")\n",
                    c->progress ? "\r\033[K" : "", dr_finding_kind_name(res.finding.kind),
                    dr_text_esc(res.finding.message, msg, sizeof msg), e, res.finding.step);
        }
        if (r->rc || (c->stop_first && res.finding.kind != DR_FIND_NONE))
            break;
        if (!dr_strategy_next(strat, &res))
            break;
    }
    r->exhausted = dr_strategy_dfs_exhausted(strat);
    dr_strategy_destroy(strat);
    fflush(stdout);
    __atomic_store_n(&ws->finished, 1, __ATOMIC_RELEASE);
}

/* ---- the parent: supervisor of the workers' processes --------------------------------- */

typedef struct {
    pid_t pid;        /* 0: no process (not started, or the worker is over) */
    bool over;        /* the worker's slice is done: no more digests */
    bool hung;        /* the watchdog killed the process */
    uint64_t seen_steps, seen_k;
    uint32_t seen_busy;
    bool timing;        /* since holds the clocks of the first poll without progress */
    dr_sup_clock since; /* the process's clocks then */
    int pidfd;          /* readable when the process ends; -1 when the kernel has none */
} worker;

static volatile sig_atomic_t interrupted; /* SIGINT or SIGTERM: stop, print the summary */

static void on_interrupt(int sig)
{
    interrupted = sig;
    signal(sig, SIG_DFL); /* a second one ends the process */
}

static int start_worker(const campaign *c, worker *wk, unsigned w, pid_t parent)
{
    pid_t pid = dr_sup_fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
#ifdef __linux__
        /* A worker dies with its campaign (kill -9 of the parent included). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (getppid() != parent)
            _exit(DR_EXIT_INTERNAL);
        /* The parent stops the campaign on SIGINT/SIGTERM (the terminal sends
         * them to every process of the group). */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        campaign cc = *c;
        cc.progress = false;
        run_worker(&cc, w);
        dr_engine_shutdown();
        _exit(DR_EXIT_CLEAN);
    }
    worker *x = &wk[w];
    x->pid = pid;
    x->hung = false;
    x->timing = false;
#ifdef SYS_pidfd_open
    x->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
    x->pidfd = -1;
#endif
    return 0;
}

/* The worker's process has been reaped (or is lost). */
static void worker_gone(worker *x)
{
    x->pid = 0;
    if (x->pidfd >= 0)
        close(x->pidfd);
    x->pidfd = -1;
}

/* Sleeps until the next poll: 10 ms, or less when a worker's process ends
 * (its pidfd) or a signal arrives. Without pidfds, 1 ms. */
static void supervisor_sleep(const campaign *c, const worker *wk)
{
    struct pollfd fds[MAX_JOBS];
    nfds_t n = 0;
    for (unsigned w = 0; w < c->jobs; w++) {
        if (!wk[w].pid)
            continue;
        if (wk[w].pidfd < 0) {
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, NULL);
            return;
        }
        fds[n++] = (struct pollfd){.fd = wk[w].pidfd, .events = POLLIN};
    }
    poll(fds, n, 10);
}

/* Folds digests in global index order: round k, workers 0..J-1; a worker
 * that is over has no more rounds. */
static void fold_ready(const campaign *c, const worker *wk, unsigned *cursor, uint64_t *digest)
{
    unsigned skipped = 0;
    while (skipped < c->jobs) {
        wslot *ws = c->slot[*cursor];
        uint64_t have = __atomic_load_n(&ws->produced, __ATOMIC_ACQUIRE);
        if (ws->consumed < have) {
            *digest = dr_mix(*digest, ws->ring[ws->consumed % RING]);
            __atomic_store_n(&ws->consumed, ws->consumed + 1, __ATOMIC_RELEASE);
            skipped = 0;
        } else if (wk[*cursor].over) {
            skipped++;
        } else {
            return; /* its next digest has not arrived yet */
        }
        *cursor = (*cursor + 1) % c->jobs;
    }
}

/* The process of worker w ended with status st. */
static int worker_ended(const campaign *c, worker *wk, unsigned w, int st, pid_t parent)
{
    wslot *ws = c->slot[w];
    worker *x = &wk[w];
    worker_gone(x);
    if (__atomic_load_n(&ws->finished, __ATOMIC_ACQUIRE) && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        x->over = true;
        return 0;
    }
    if (!__atomic_load_n(&ws->in_exec, __ATOMIC_ACQUIRE) && c->mirror[w]->raced && !c->stop_first &&
        !interrupted && c->kind != DR_STRAT_DFS && c->kind != DR_STRAT_TAPE) {
        /* ThreadSanitizer ended it while it re-ran a finding's tape for the
         * report (outside the campaign's executions): go on after it. */
        fprintf(stderr, "dmarace: worker %u: ThreadSanitizer ended a report's re-run; the worker goes on\n", w);
        return start_worker(c, wk, w, parent) != 0 ? (x->over = true, -1) : 0;
    }
    if (!__atomic_load_n(&ws->in_exec, __ATOMIC_ACQUIRE)) {
        if (WIFSIGNALED(st))
            fprintf(stderr, "dmarace: worker %u was killed by signal %d outside an execution\n", w, WTERMSIG(st));
        else
            fprintf(stderr, "dmarace: worker %u failed\n", w);
        x->over = true;
        return -1;
    }
    /* It died in execution k_cur: that execution is a finding, its choices
     * are in the mirror; the worker goes on at the next one. */
    const dr_mirror *m = c->mirror[w];
    uint64_t stride, off, k = ws->k_cur;
    slice(c, w, &stride, &off);
    uint64_t e = c->from + off + k * stride;
    dr_finding f;
    dr_sup_death_finding(st, x->hung, m, &f);
    uint64_t key = dr_finding_key(f.kind, f.title);
    tally *r = &ws->r;
    r->done++;
    r->steps += m->steps;
    bool fresh;
    distinct *d = tally_finding(ws, &f, key, e, &fresh);
    (void)fresh;
    if (d)
        d->died = 1;
    /* Its files come from the lowest execution that died this way. */
    uint64_t lowest = UINT64_MAX;
    for (unsigned v = 0; v < c->jobs; v++)
        for (uint32_t j = 0; j < c->slot[v]->r.ndistinct; j++)
            if (c->slot[v]->d[j].key == key && c->slot[v]->d[j].written < lowest)
                lowest = c->slot[v]->d[j].written;
    int rc = 0;
    if (e < lowest) {
        uint32_t files;
        if (save_death(c, e, &f, m, key, &files) != 0)
            r->write_failed = 1; /* exit 3 at the end; the campaign goes on */
        if (d) {
            d->written = e;
            d->files = files;
        }
        char msg[DR_CLI_ESC_MESSAGE];
        fprintf(stderr, "%sdmarace: finding %s: %s (execution %" PRIu64 ", step %" PRIu64 ")\n",
                c->progress ? "\r\033[K" : "", dr_finding_kind_name(f.kind), dr_text_esc(f.message, msg, sizeof msg),
                e, f.step);
    }
    ws->ring[k % RING] = dr_sup_death_digest(m, f.kind);
    ws->in_exec = 0;
    __atomic_store_n(&ws->produced, k + 1, __ATOMIC_RELEASE);
    if (c->stop_first)
        __atomic_store_n(&c->sh->stop, 1, __ATOMIC_RELAXED);
    /* DFS and the tape strategy keep their state in the process: no going on. */
    if (c->stop_first || c->kind == DR_STRAT_DFS || c->kind == DR_STRAT_TAPE || interrupted) {
        x->over = true;
        return rc;
    }
    if (start_worker(c, wk, w, parent) != 0) {
        x->over = true;
        return -1;
    }
    return rc;
}

/* Kills a process that has made no step for the watchdog's time. */
static void watchdog(const campaign *c, worker *wk, unsigned w)
{
    worker *x = &wk[w];
    wslot *ws = c->slot[w];
    uint64_t steps = c->mirror[w]->steps, k = __atomic_load_n(&ws->k_cur, __ATOMIC_RELAXED);
    uint32_t busy = __atomic_load_n(&ws->in_exec, __ATOMIC_ACQUIRE);
    if (steps != x->seen_steps || k != x->seen_k || busy != x->seen_busy || !busy) {
        x->seen_steps = steps;
        x->seen_k = k;
        x->seen_busy = busy;
        x->timing = false;
        return;
    }
    /* The clocks are read only once progress stops: reading another
     * process's CPU clock at every poll costs the worker time. */
    if (!x->timing) {
        x->since = dr_sup_clock_of(x->pid);
        x->timing = true;
        return;
    }
    /* The worker's own CPU time: a loaded machine that runs it slowly (or a
     * parent that was not scheduled for a while) is never a hang. */
    if (!x->hung && dr_sup_stalled(x->pid, x->since)) {
        kill(x->pid, SIGKILL);
        x->hung = true;
    }
}

static int run_supervised(const campaign *c, uint64_t *digest)
{
    worker wk[MAX_JOBS];
    memset(wk, 0, sizeof wk);
    for (unsigned w = 0; w < MAX_JOBS; w++)
        wk[w].pidfd = -1;
    int rc = DR_EXIT_CLEAN;
    pid_t parent = getpid();
    for (unsigned w = 0; w < c->jobs; w++)
        if (start_worker(c, wk, w, parent) != 0) {
            rc = DR_EXIT_INTERNAL;
            for (unsigned v = w; v < c->jobs; v++)
                wk[v].over = true;
            break;
        }
    unsigned cursor = 0;
    double last = c->t0;
    bool stopping = false;
    for (;;) {
        bool alive = false;
        for (unsigned w = 0; w < c->jobs; w++) {
            if (!wk[w].pid)
                continue;
            int st;
            pid_t p = waitpid(wk[w].pid, &st, WNOHANG);
            if (p == wk[w].pid) {
                if (worker_ended(c, wk, w, st, parent) != 0)
                    rc = DR_EXIT_INTERNAL;
            } else if (p < 0 && errno != EINTR) {
                fprintf(stderr, "dmarace: waitpid: %s\n", strerror(errno));
                worker_gone(&wk[w]);
                wk[w].over = true;
                rc = DR_EXIT_INTERNAL;
            } else {
                watchdog(c, wk, w);
            }
            alive |= wk[w].pid != 0;
        }
        fold_ready(c, wk, &cursor, digest);
        if (!alive)
            break;
        if (interrupted && !stopping) {
            __atomic_store_n(&c->sh->stop, 1, __ATOMIC_RELAXED);
            stopping = true;
        }
        if (c->progress) {
            double t = dr_cli_now();
            if (t - last > 0.5) {
                uint64_t done = 0, found = 0;
                for (unsigned w = 0; w < c->jobs; w++) {
                    done += __atomic_load_n(&c->slot[w]->produced, __ATOMIC_RELAXED);
                    found += __atomic_load_n(&c->slot[w]->r.ndistinct, __ATOMIC_RELAXED);
                }
                fprintf(stderr, "\r\033[K%" PRIu64 " executions, %.0f/s, %" PRIu64 " distinct findings, %.1fs",
                        done, (double)done / (t - c->t0), found, t - c->t0);
                if (c->jobs > 1)
                    fprintf(stderr, ", %u workers", c->jobs);
                last = t;
            }
        }
        supervisor_sleep(c, wk);
    }
    return rc;
}

/* Merges the workers' tallies; the distinct findings into a growing array. */
static int merge(const campaign *c, tally *total, distinct **all, bool *exhausted)
{
    memset(total, 0, sizeof *total);
    *all = NULL;
    size_t cap = 0;
    *exhausted = false;
    int rc = DR_EXIT_CLEAN;
    for (unsigned w = 0; w < c->jobs; w++) {
        const wslot *ws = c->slot[w];
        const tally *r = &ws->r;
        total->done += r->done;
        total->steps += r->steps;
        total->total_findings += r->total_findings;
        total->dropped += r->dropped;
        if (r->exhausted)
            *exhausted = true;
        if (r->rc && !rc)
            rc = r->rc;
        if (r->write_failed && !rc)
            rc = DR_EXIT_INTERNAL;
        dr_notice(r->notice); /* the parent runs no execution: only the workers' notices */
        for (uint32_t i = 0; i < r->ndistinct; i++) {
            const distinct *d = &ws->d[i];
            uint32_t j;
            for (j = 0; j < total->ndistinct && (*all)[j].key != d->key; j++)
                ;
            if (j == total->ndistinct) {
                if (j == cap) {
                    size_t nc = cap ? cap * 2 : 64;
                    distinct *na = realloc(*all, nc * sizeof *na);
                    if (!na) {
                        fprintf(stderr, "dmarace: out of memory\n");
                        return DR_EXIT_INTERNAL;
                    }
                    *all = na;
                    cap = nc;
                }
                (*all)[total->ndistinct++] = *d;
                continue;
            }
            distinct *t = &(*all)[j];
            uint64_t count = t->count + d->count, written = t->written < d->written ? t->written : d->written;
            uint32_t files = t->files | d->files; /* only the worker that claimed the key writes */
            if (d->first_exec < t->first_exec)
                *t = *d;
            t->count = count;
            t->written = written;
            t->files = files;
        }
        for (uint32_t i = 0; i < r->nwindows && i < MAX_WINDOWS; i++) {
            uint32_t j;
            for (j = 0; j < total->nwindows && strcmp(total->w[j].name, r->w[i].name) != 0; j++)
                ;
            if (j == total->nwindows) {
                if (j == MAX_WINDOWS)
                    continue;
                total->w[total->nwindows++] = r->w[i];
            } else {
                total->w[j].hits += r->w[i].hits;
            }
        }
    }
    return rc;
}

/* "clean", a kind, kind:RULE or kind:part-of-the-title (dr_expect_matches). */
static bool verdict_matches(const char *expect, const tally *r, const distinct *d)
{
    if (strcmp(expect, "clean") == 0)
        return r->ndistinct == 0;
    for (size_t i = 0; i < r->ndistinct; i++)
        if (dr_expect_matches(expect, (dr_finding_kind)d[i].kind, d[i].rule, d[i].title))
            return true;
    return false;
}

/* Calibrates PCT's k on the campaign's first executions (indices 0..15), the
 * same in every process, in a child process: an execution that kills it
 * counts with the scheduling choices it made (from the mirror), and the
 * calibration goes on in a new child from the next index. */
static int calibrate_pct(campaign *c, const dr_run_config *cfg)
{
    typedef struct {
        uint64_t next, k;
        volatile uint32_t busy, done;
        int32_t rc;
    } calib;
    calib *cb = mmap(NULL, sizeof *cb, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    dr_mirror *m = dr_mirror_map(DR_SUP_MIRROR_CAP);
    int rc = DR_EXIT_CLEAN;
    if (cb == MAP_FAILED || !m) {
        fprintf(stderr, "dmarace: out of memory\n");
        rc = DR_EXIT_INTERNAL;
        goto out;
    }
    memset(cb, 0, sizeof *cb);
    dr_mirror_reset(m);
    while (!cb->done && cb->next < PCT_CALIBRATION) {
        pid_t pid = dr_sup_fork();
        if (pid < 0) {
            rc = DR_EXIT_INTERNAL;
            break;
        }
        if (pid == 0) {
            dr_mirror_attach(m);
            dr_set_race_handler(dr_sup_race_exit);
            dr_strategy *cal = dr_strategy_pct_from(c->seed, (unsigned)c->depth, cb->k);
            for (uint64_t e = cb->next; cal && e < PCT_CALIBRATION; e++) {
                dr_exec_result res;
                cb->busy = 1;
                int r = dr_run(c->s, cfg, cal, e, &res);
                cb->busy = 0;
                if (r != 0) {
                    cb->rc = DR_EXIT_USAGE;
                    break;
                }
                dr_strategy_next(cal, &res);
                cb->k = dr_strategy_pct_k(cal);
                cb->next = e + 1;
            }
            if (!cal)
                cb->rc = DR_EXIT_INTERNAL;
            dr_strategy_destroy(cal);
            cb->done = 1;
            _exit(0);
        }
        bool hung;
        int st = dr_sup_wait(pid, m, &cb->busy, &hung);
        if (cb->done)
            break;
        if (!cb->busy) {
            fprintf(stderr, "dmarace: the PCT calibration process failed\n");
            rc = DR_EXIT_INTERNAL;
            break;
        }
        /* The execution that died is a finding: keep its tape (its choices
         * are in the mirror), written once the findings directory is ours. */
        calib_death *nd = realloc(c->calib_deaths, (c->ncalib_deaths + 1) * sizeof *nd);
        if (nd) {
            c->calib_deaths = nd;
            calib_death *d = &nd[c->ncalib_deaths++];
            d->exec = cb->next;
            d->steps = m->steps;
            dr_sup_death_finding(st, hung, m, &d->f);
            dr_sup_death_tape(&d->t, c->s, c->ncpu, DR_STRAT_PCT, c->seed, cb->next, &d->f, m);
        }
        uint64_t n = m->nrec < m->cap ? m->nrec : m->cap, sched = 0;
        for (uint64_t i = 0; i < n; i++)
            sched += m->rec[i].kind == DR_CHOICE_SCHED;
        if (sched > cb->k)
            cb->k = sched;
        cb->next++;
        cb->busy = 0;
    }
    if (!rc)
        rc = cb->rc;
    c->pct_k = cb->k;
out:
    if (cb != MAP_FAILED)
        munmap(cb, sizeof *cb);
    dr_mirror_unmap(m);
    return rc;
}

/* The findings of PCT's calibration (executions whose process died): counted
 * in worker 0's tally, claimed and written before the workers start. */
static void record_calibration_deaths(campaign *c)
{
    for (size_t i = 0; i < c->ncalib_deaths; i++) {
        calib_death *cd = &c->calib_deaths[i];
        uint64_t key = dr_finding_key(cd->f.kind, cd->f.title);
        bool fresh;
        distinct *d = tally_finding(c->slot[0], &cd->f, key, cd->exec, &fresh);
        if (d && fresh)
            d->calibration = 1;
        if (d)
            d->died = 1;
        if (claim(c->sh, key)) {
            char path[4096];
            uint32_t files = 0;
            finding_path(c, cd->f.kind, key, path, sizeof path);
            if (dr_sup_save_death(path, c->s, &cd->t, &cd->f, cd->steps, &files) != 0)
                c->slot[0]->r.write_failed = 1;
            if (d) {
                d->written = cd->exec;
                d->files = files;
            }
            char msg[DR_CLI_ESC_MESSAGE];
            fprintf(stderr, "dmarace: finding %s: %s (PCT calibration execution %" PRIu64 ", step %" PRIu64 ")\n",
                    dr_finding_kind_name(cd->f.kind), dr_text_esc(cd->f.message, msg, sizeof msg), cd->exec,
                    cd->f.step);
        }
        if (c->stop_first)
            __atomic_store_n(&c->sh->stop, 1, __ATOMIC_RELAXED);
    }
}

static void free_calibration_deaths(campaign *c)
{
    for (size_t i = 0; i < c->ncalib_deaths; i++)
        dr_tape_free(&c->calib_deaths[i].t);
    free(c->calib_deaths);
    c->calib_deaths = NULL;
    c->ncalib_deaths = 0;
}

/* One campaign at a time writes a findings directory: an exclusive flock on
 * DIR/.dmarace.lock, held until the campaign ends (the kernel drops it when
 * the process dies). A second campaign on the same directory is refused. */
static int lock_findings(const char *dir, int *fd)
{
    if (dr_cli_make_dirs(dir) != 0) {
        fprintf(stderr, "dmarace: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/.dmarace.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) {
        fprintf(stderr, "dmarace: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "dmarace: another campaign is writing findings to %s (%s is locked): give this one its own "
                        "--findings directory\n",
                dir, path);
        close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

static int cmp_distinct(const void *a, const void *b)
{
    const distinct *x = a, *y = b;
    return x->first_exec < y->first_exec ? -1 : x->first_exec > y->first_exec ? 1 : 0;
}

int dr_cmd_run(int argc, char **argv)
{
    const char *scn_name = NULL, *input = NULL, *env_text = NULL;
    campaign c = {.kind = DR_STRAT_RANDOM, .seed = 1, .executions = 10000, .depth = 3, .bound = 2,
                  .jobs = 1, .shard_n = 1, .dir = "findings"};
    uint64_t cpus = 0, jobs = 1;
    bool expect = false, quiet = false, executions_set = false;
    const char *expect_spec = NULL; /* --expect=SPEC: instead of the scenario's declared verdict */

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
#define OPT(name) (strcmp(a, name) == 0 && (i + 1 < argc ? (val = argv[++i], true) : (val = NULL, true)))
        if (a[0] != '-') {
            if (scn_name)
                return dr_cli_usage_error("unexpected argument '%s'", a);
            scn_name = a;
        } else if (strcmp(a, "--stop-on-first") == 0) {
            c.stop_first = true;
        } else if (strcmp(a, "--expect") == 0) {
            expect = true;
        } else if (strncmp(a, "--expect=", 9) == 0) {
            if (!dr_expect_valid(a + 9))
                return dr_cli_expect_error(a + 9);
            expect = true;
            expect_spec = a + 9;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--trace") == 0) {
            c.trace = true;
        } else if (OPT("--from")) {
            if (!dr_cli_parse_u64(val, 0, UINT64_MAX / 2, &c.from))
                return dr_cli_usage_error("--from takes a whole number, not '%s'", val ? val : "");
        } else if (OPT("--strategy")) {
            if (!val || !dr_strategy_kind_parse(val, &c.kind) || c.kind == DR_STRAT_REPLAY)
                return dr_cli_usage_error("--strategy takes random, pct, dfs or tape, not '%s'", val ? val : "");
        } else if (OPT("--seed")) {
            if (!dr_cli_parse_u64(val, 0, UINT64_MAX, &c.seed))
                return dr_cli_usage_error("--seed takes a whole number, not '%s'", val ? val : "");
        } else if (OPT("--executions")) {
            if (!dr_cli_parse_u64(val, 1, UINT64_MAX / 2, &c.executions))
                return dr_cli_usage_error("--executions takes a whole number >= 1, not '%s'", val ? val : "");
            executions_set = true;
        } else if (OPT("--time")) {
            if (!dr_cli_parse_seconds(val, &c.time_limit))
                return dr_cli_usage_error("--time takes a number of seconds > 0, not '%s'", val ? val : "");
        } else if (OPT("-j") || OPT("--jobs") || (strncmp(a, "-j", 2) == 0 && a[2] && (val = a + 2, true))) {
            if (!dr_cli_parse_u64(val, 1, MAX_JOBS, &jobs))
                return dr_cli_usage_error("-j takes 1 to %d worker processes, not '%s'", MAX_JOBS, val ? val : "");
        } else if (OPT("--shard")) {
            uint64_t si, sn;
            const char *slash = val ? strchr(val, '/') : NULL;
            char ib[32];
            bool ok = slash && (size_t)(slash - val) < sizeof ib;
            if (ok) {
                memcpy(ib, val, (size_t)(slash - val));
                ib[slash - val] = 0;
                ok = dr_cli_parse_u64(ib, 1, 1u << 20, &si) && dr_cli_parse_u64(slash + 1, 1, 1u << 20, &sn) &&
                     si <= sn;
            }
            if (!ok)
                return dr_cli_usage_error("--shard takes I/N with 1 <= I <= N, not '%s'", val ? val : "");
            c.shard_i = si - 1;
            c.shard_n = sn;
        } else if (OPT("--depth")) {
            if (!dr_cli_parse_u64(val, 1, 16, &c.depth))
                return dr_cli_usage_error("--depth takes 1 to 16, not '%s'", val ? val : "");
        } else if (OPT("--bound")) {
            if (!dr_cli_parse_u64(val, 0, 64, &c.bound))
                return dr_cli_usage_error("--bound takes 0 to 64, not '%s'", val ? val : "");
        } else if (OPT("--cpus")) {
            if (!dr_cli_parse_u64(val, 1, DR_MAX_CPUS, &cpus))
                return dr_cli_usage_error("--cpus takes 1 to %d, not '%s'", DR_MAX_CPUS, val ? val : "");
        } else if (OPT("--step-budget")) {
            if (!dr_cli_parse_u64(val, 1, UINT64_MAX, &c.budget))
                return dr_cli_usage_error("--step-budget takes a whole number >= 1, not '%s'", val ? val : "");
        } else if (OPT("--exec-timeout")) {
            if (!dr_cli_parse_seconds(val, &dr_sup_exec_timeout))
                return dr_cli_usage_error("--exec-timeout takes a number of seconds > 0, not '%s'", val ? val : "");
        } else if (OPT("--findings")) {
            if (!val || !*val)
                return dr_cli_usage_error("--findings takes a directory");
            c.dir = val;
        } else if (OPT("--env")) {
            if (!val)
                return dr_cli_usage_error("--env takes settings, e.g. --env \"requests=2 no-cancel\"");
            env_text = val;
        } else if (OPT("--input")) {
            if (!val || !*val)
                return dr_cli_usage_error("--input takes a file");
            input = val;
        } else {
            return dr_cli_usage_error("unknown option '%s'", a);
        }
#undef OPT
    }
    c.s = scn_name ? dr_scenario_find(scn_name) : dr_scenario_default();
    if (!c.s)
        return dr_cli_usage_error("unknown scenario '%s' (dmarace list shows them)",
                                  scn_name ? scn_name : "(default)");
    if (env_text) {
        char err[512];
        if (dr_scenario_set_env(c.s, env_text, err, sizeof err) != 0) {
            char esc[1100];
            fprintf(stderr, "dmarace: bad --env for scenario %s: %s\n", c.s->name, dr_text_esc(err, esc, sizeof esc));
            return DR_EXIT_USAGE;
        }
    }
    c.jobs = (unsigned)jobs;
    c.ncpu = cpus ? (unsigned)cpus : c.s->cpus;
    if (c.s->max_cpus && c.ncpu > c.s->max_cpus)
        return dr_cli_usage_error("scenario %s runs on at most %u processors", c.s->name, c.s->max_cpus);
    if (expect && !executions_set && c.s->budget && c.kind != DR_STRAT_DFS)
        c.executions = c.s->budget; /* dfs runs until the bounded space is exhausted */
    if (c.time_limit > 0 && !executions_set)
        c.executions = UINT64_MAX / 2;
    if (c.kind == DR_STRAT_TAPE && !input)
        return dr_cli_usage_error("--strategy tape needs --input FILE");
    if (input && c.kind != DR_STRAT_TAPE)
        return dr_cli_usage_error("--input goes with --strategy tape");
    if ((c.kind == DR_STRAT_DFS || c.kind == DR_STRAT_TAPE) && (c.jobs > 1 || c.shard_n > 1))
        return dr_cli_usage_error("-j and --shard split random and pct campaigns; %s runs as one process",
                                  dr_strategy_kind_name(c.kind));
    if (c.trace && c.jobs > 1)
        return dr_cli_usage_error("--trace prints from one process: use -j 1");
    if (c.from && c.kind != DR_STRAT_RANDOM)
        return dr_cli_usage_error(
            "--from goes with the random strategy (its executions depend only on seed and index)");
    if (c.kind == DR_STRAT_DFS && !executions_set)
        c.executions = UINT64_MAX / 2;

    uint8_t *bytes = NULL;
    if (c.kind == DR_STRAT_TAPE) {
        char err[4400];
        if (!dr_cli_read_file(input, &bytes, &c.nbytes, err, sizeof err)) {
            fprintf(stderr, "dmarace: %s\n", err);
            return DR_EXIT_USAGE;
        }
        c.bytes = bytes;
        c.executions = 1;
    }
    dr_run_config cfg = {.cpus = c.ncpu, .step_budget = c.budget};
    if (c.kind == DR_STRAT_PCT) {
        int crc = calibrate_pct(&c, &cfg);
        if (crc != 0) {
            free_calibration_deaths(&c);
            free(bytes);
            return crc;
        }
    }

    int lock_fd = -1;
    if (lock_findings(c.dir, &lock_fd) != 0) {
        free_calibration_deaths(&c);
        free(bytes);
        return DR_EXIT_USAGE;
    }
    /* The findings directory must be writable before the campaign starts, not
     * at its first finding; temporary files of killed campaigns go (the lock
     * is held: no other campaign writes here). */
    if (dr_cli_prepare_dir(c.dir) != 0) {
        close(lock_fd);
        free_calibration_deaths(&c);
        free(bytes);
        return DR_EXIT_USAGE;
    }
    shared_state *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    tally *total = malloc(sizeof *total);
    distinct *all = NULL;
    bool mapped = sh != MAP_FAILED && total;
    for (unsigned w = 0; mapped && w < c.jobs; w++) {
        void *p = mmap(NULL, sizeof(wslot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        c.slot[w] = p == MAP_FAILED ? NULL : p;
        c.mirror[w] = dr_mirror_map(DR_SUP_MIRROR_CAP);
        mapped = c.slot[w] && c.mirror[w];
    }
    int rc;
    uint64_t digest = 0x6a09e667f3bcc908ull;
    bool exhausted = false;
    double elapsed = 0;
    if (!mapped) {
        fprintf(stderr, "dmarace: out of memory\n");
        rc = DR_EXIT_INTERNAL;
        goto out;
    }
    memset(sh, 0, sizeof *sh);
    c.sh = sh;
    record_calibration_deaths(&c);
    c.progress = !quiet && isatty(2);
    c.t0 = dr_cli_now();
    interrupted = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = run_supervised(&c, &digest);
    {
        int mrc = merge(&c, total, &all, &exhausted);
        if (mrc && !rc)
            rc = mrc;
    }
    elapsed = dr_cli_now() - c.t0;
    if (c.progress)
        fputs("\r\033[K", stderr);

    /* A finding whose files came from a later execution than its first (another
     * worker got there first in time) is rewritten from its first execution,
     * in a child process like every execution (a sanitizer may end it). */
    bool rewrite = false;
    for (uint32_t i = 0; i < total->ndistinct && c.jobs > 1; i++)
        rewrite |= all[i].written != all[i].first_exec && !all[i].died &&
                   (c.kind == DR_STRAT_RANDOM || c.kind == DR_STRAT_PCT);
    if (rewrite) {
        pid_t pid = dr_sup_fork();
        if (pid == 0) {
            int out = DR_EXIT_CLEAN;
            for (uint32_t i = 0; i < total->ndistinct; i++) {
                distinct *d = &all[i];
                if (d->written == d->first_exec || d->died)
                    continue;
                dr_strategy *st = make_strategy(&c);
                dr_exec_result res;
                uint32_t files; /* the files of the first write stay listed: they are on disk */
                if (!st || dr_run(c.s, &cfg, st, d->first_exec, &res) != 0 ||
                    res.finding.kind != (dr_finding_kind)d->kind ||
                    save_finding(&c, d->first_exec, &res, d->key, &files) != 0) {
                    fprintf(stderr, "dmarace: could not rewrite the finding of execution %" PRIu64 "\n", d->first_exec);
                    out = DR_EXIT_INTERNAL;
                }
                dr_strategy_destroy(st);
            }
            fflush(stdout);
            _exit(out);
        }
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "dmarace: rewriting findings from their first executions failed\n");
            rc = DR_EXIT_INTERNAL;
        }
    }

    if (total->ndistinct)
        qsort(all, total->ndistinct, sizeof all[0], cmp_distinct);
    qsort(total->w, total->nwindows, sizeof total->w[0], cmp_window);
    printf("scenario     %s (%u processors)\n", c.s->name, c.ncpu);
    if (dr_scenario_env()) {
        char esc[DR_ENV_MAX * 4 + 1];
        printf("env          %s\n", dr_text_esc(dr_scenario_env(), esc, sizeof esc));
    }
    printf("strategy     %s", dr_strategy_kind_name(c.kind));
    if (c.kind == DR_STRAT_PCT)
        printf(" depth %" PRIu64 " (k %" PRIu64 ")", c.depth, c.pct_k);
    if (c.kind == DR_STRAT_DFS)
        printf(" preemption bound %" PRIu64, c.bound);
    if (c.kind == DR_STRAT_RANDOM || c.kind == DR_STRAT_PCT)
        printf(" seed %" PRIu64, c.seed);
    printf("\n");
    if (c.jobs > 1 || c.shard_n > 1)
        printf("split        %u worker process%s, shard %" PRIu64 "/%" PRIu64 "\n", c.jobs, c.jobs > 1 ? "es" : "",
               c.shard_i + 1, c.shard_n);
    printf("executions   %" PRIu64 " in %.*f s (%.0f per second, %.1f steps each)\n", total->done,
           elapsed < 1 ? 6 : 3, elapsed, elapsed > 0 ? (double)total->done / elapsed : 0.0,
           total->done ? (double)total->steps / (double)total->done : 0.0);
    if (c.kind == DR_STRAT_DFS)
        printf("search       %s\n",
               exhausted ? "bounded space exhausted" : "stopped before the bounded space was exhausted");
    if (dr_notice_text()[0]) {
        char notice[4 * DR_NOTICE_MAX];
        printf("notice       %s\n", dr_text_esc(dr_notice_text(), notice, sizeof notice));
    }
    printf("findings     %" PRIu64 " in total, %" PRIu32 " distinct\n", total->total_findings, total->ndistinct);
    /* Each distinct finding's files and facts, read once: its lines here,
     * then its root cause and the campaign's SARIF. */
    dr_rc_item *causes = calloc(total->ndistinct ? total->ndistinct : 1, sizeof *causes), spare;
    for (uint32_t i = 0; i < total->ndistinct; i++) {
        const distinct *d = &all[i];
        dr_rc_item *it = causes ? &causes[i] : &spare;
        *it = (dr_rc_item){.kind = (dr_finding_kind)d->kind, .title = d->title,
                           .reports = (d->files & DR_CLI_FILE_REPORTS) != 0};
        char *path = it->tape, cmd[8600];
        finding_path(&c, (dr_finding_kind)d->kind, d->key, path, sizeof it->tape);
        if (it->reports)
            dr_report_facts(path, it); /* "" and 0 when unreadable */
        char title[DR_CLI_ESC_TITLE];
        printf("  [%s] %s: %" PRIu64 " times, first in %sexecution %" PRIu64 "\n",
               dr_finding_kind_name((dr_finding_kind)d->kind), dr_text_esc(d->title, title, sizeof title), d->count,
               d->calibration ? "PCT calibration " : "", d->first_exec);
        /* Only what is on disk (a full disk, an I/O error: said above, exit 3). */
        size_t pl = strlen(path);
        if (d->files & DR_CLI_FILE_TAPE)
            printf("      replay: %s\n", dr_cli_replay_command(path, false, cmd, sizeof cmd));
        else
            printf("      NOT WRITTEN: %s (the error is above)\n", path);
        if (it->where[0])
            printf("      where:  %s\n", it->where);
        if (it->other[0])
            printf("      related: %s\n", it->other);
        if (d->files & DR_CLI_FILE_REPORTS)
            printf("      report: %.*s.txt\n", (int)(pl > 5 ? pl - 5 : pl), path);
        else if (d->files & DR_CLI_FILE_TAPE)
            printf("      NOT WRITTEN: the reports %.*s.txt, .json, .trace.json, .sarif (the error is above)\n",
                   (int)(pl > 5 ? pl - 5 : pl), path);
    }
    if (causes) {
        dr_rootcause_print(stdout, causes, total->ndistinct);
        /* The campaign's SARIF: every distinct finding whose reports are on
         * disk, one result each (a clean campaign writes one with no result). */
        const char **tapes = calloc(total->ndistinct ? total->ndistinct : 1, sizeof *tapes);
        size_t ntapes = 0;
        for (uint32_t i = 0; tapes && i < total->ndistinct; i++)
            if (causes[i].reports)
                tapes[ntapes++] = causes[i].tape;
        char sarif[4200];
        snprintf(sarif, sizeof sarif, "%s/%s.sarif", c.dir, c.s->name);
        int nres = tapes ? dr_report_campaign_sarif(sarif, tapes, ntapes) : -1;
        if (nres >= 0) {
            printf("sarif        %s (the campaign: %d result%s, one per distinct finding)\n", sarif, nres,
                   nres == 1 ? "" : "s");
        } else {
            printf("sarif        NOT WRITTEN: %s (the error is above)\n", sarif);
            if (rc == DR_EXIT_CLEAN)
                rc = DR_EXIT_INTERNAL;
        }
        free(tapes);
    }
    free(causes);
    if (total->dropped)
        printf("             (the table of distinct findings is full: %" PRIu64 " findings of further keys are "
               "counted in the total only, their files are written)\n",
               total->dropped);
    for (uint32_t i = 0; i < total->nwindows; i++)
        printf("window       %s reached in %" PRIu64 " executions\n", total->w[i].name, total->w[i].hits);
    printf("digest       %016" PRIx64 "\n", dr_fmix(digest));
    if (interrupted)
        printf("stopped      by %s: the summary covers the executions run so far\n",
               interrupted == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    uint32_t nd = total->ndistinct;
    const char *expected = expect_spec ? expect_spec : c.s->expect;
    bool ok = verdict_matches(expected, total, all);
out:
    free_calibration_deaths(&c);
    free(all);
    free(total);
    for (unsigned w = 0; w < c.jobs; w++) {
        if (c.slot[w])
            munmap(c.slot[w], sizeof(wslot));
        dr_mirror_unmap(c.mirror[w]);
    }
    if (sh != MAP_FAILED)
        munmap(sh, sizeof *sh);
    free(bytes);
    if (lock_fd >= 0)
        close(lock_fd);
    if (rc != DR_EXIT_CLEAN)
        return rc;
    if (expect) {
        /* "clean" under dfs is a claim about the whole bounded space. */
        bool unexplored = c.kind == DR_STRAT_DFS && nd == 0 && !exhausted;
        if (unexplored)
            ok = false;
        printf("verdict      %s (expected %s%s)\n", ok ? "as expected" : "NOT as expected", expected,
               unexplored ? ", and the bounded space was not exhausted" : "");
        return ok ? DR_EXIT_CLEAN : DR_EXIT_FINDINGS;
    }
    return nd ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
}
