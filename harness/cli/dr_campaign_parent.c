/* dr_campaign_parent.c: a campaign's parent process: it supervises the
 * workers' processes and merges what they found (dr_campaign.h). */
#include "dr_campaign.h"

#include "dr_hash.h"

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

volatile sig_atomic_t camp_interrupted; /* SIGINT or SIGTERM: stop, print the summary */

void camp_on_interrupt(int sig)
{
    camp_interrupted = sig;
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
        camp_run_worker(&cc, w);
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
        !camp_interrupted && c->kind != DR_STRAT_DFS && c->kind != DR_STRAT_TAPE) {
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
    camp_slice(c, w, &stride, &off);
    uint64_t e = c->from + off + k * stride;
    dr_finding f;
    dr_sup_death_finding(st, x->hung, m, &f);
    uint64_t key = dr_finding_key(f.kind, f.title);
    tally *r = &ws->r;
    r->done++;
    r->steps += m->steps;
    bool fresh;
    distinct *d = camp_tally_finding(ws, &f, key, e, &fresh);
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
        if (camp_save_death(c, e, &f, m, key, &files) != 0)
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
    bool stop = camp_stops_at(c, &f);
    if (stop)
        __atomic_store_n(&c->sh->stop, 1, __ATOMIC_RELAXED);
    /* DFS and the tape strategy keep their state in the process: no going on. */
    if (stop || c->kind == DR_STRAT_DFS || c->kind == DR_STRAT_TAPE || camp_interrupted) {
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

int camp_supervise(const campaign *c, uint64_t *digest)
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
        if (camp_interrupted && !stopping) {
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
int camp_merge(const campaign *c, tally *total, distinct **all, bool *exhausted)
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
                total->w[j].possible += r->w[i].possible;
            }
        }
    }
    return rc;
}

/* "clean", a kind, kind:RULE or kind:part-of-the-title (dr_expect_matches). */
