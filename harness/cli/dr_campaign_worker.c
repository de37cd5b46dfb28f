/* dr_campaign_worker.c: a campaign worker's process: its slice of the
 * executions, its distinct findings and their files (dr_campaign.h). */
#include "dr_campaign.h"
#include "dr_where.h"

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

dr_strategy *camp_strategy(const campaign *c)
{
    switch (c->kind) {
    case DR_STRAT_RANDOM:
        return dr_strategy_random(c->seed);
    case DR_STRAT_SWARM:
        return dr_strategy_swarm(c->seed);
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

void camp_finding_path(const campaign *c, dr_finding_kind kind, uint64_t key, char *out, size_t len)
{
    snprintf(out, len, "%s/%s-%s-%016" PRIx64 ".tape", c->dir, c->s->name, dr_finding_kind_name(kind), key);
}

/* Saves the last execution's tape and its reports; *files says which got
 * written (the summary lists only those). */
int camp_save_finding(const campaign *c, uint64_t exec, const dr_exec_result *res, uint64_t key,
                        uint32_t *files)
{
    *files = 0;
    if (dr_cli_make_dirs(c->dir) != 0) {
        fprintf(stderr, "dmarace: cannot create %s: %s\n", c->dir, strerror(errno));
        return -1;
    }
    char path[4096];
    camp_finding_path(c, res->finding.kind, key, path, sizeof path);
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
        /* The re-run was traced: it recorded the decisions by meaning, which
         * the tape keeps (version 5), so that it replays after an edit. */
        if (rc == 0 && dr_report_intent(&t)) {
            rc = dr_tape_save(path, &t, err, sizeof err);
            if (rc != 0)
                fprintf(stderr, "dmarace: %s\n", err);
        }
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
int camp_save_death(const campaign *c, uint64_t exec, const dr_finding *f, const dr_mirror *m, uint64_t key,
                      uint32_t *files)
{
    if (dr_cli_make_dirs(c->dir) != 0) {
        fprintf(stderr, "dmarace: cannot create %s: %s\n", c->dir, strerror(errno));
        return -1;
    }
    char path[4096];
    camp_finding_path(c, f->kind, key, path, sizeof path);
    dr_tape t;
    dr_sup_death_tape(&t, c->s, c->ncpu, c->kind, c->seed, exec, f, m);
    int rc = dr_sup_save_death(path, c->s, &t, f, m->steps, files);
    dr_tape_free(&t);
    return rc;
}

/* True for the first process to claim key (it writes the finding's files). */
bool camp_claim(shared_state *sh, uint64_t key)
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

bool camp_stops_at(const campaign *c, const dr_finding *f)
{
    if (f->kind == DR_FIND_NONE)
        return false;
    return c->stop_first || (c->stop_expect && dr_expect_matches(c->stop_expect, f->kind, f->rule, f->title));
}

int camp_cmp_window(const void *a, const void *b)
{
    return strcmp(((const window_sum *)a)->name, ((const window_sum *)b)->name);
}

/* Counts one finding of execution e in a worker's tally; returns the entry
 * (NULL when the table is full: counted in dropped). */
distinct *camp_tally_finding(wslot *ws, const dr_finding *f, uint64_t key, uint64_t e, bool *fresh)
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

void camp_slice(const campaign *c, unsigned w, uint64_t *stride, uint64_t *off)
{
    *stride = c->shard_n * c->jobs;
    *off = c->shard_i + (uint64_t)w * c->shard_n;
}

/* The window counters of the worker's earlier processes, plus this one's. */
typedef struct {
    uint64_t base[MAX_WINDOWS], base_possible[MAX_WINDOWS];
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
            r->w[j].hits = r->w[j].possible = 0;
            r->nwindows++;
        }
        p->map[p->known] = (int)j;
        p->base[p->known] = r->w[j].hits;
        p->base_possible[p->known] = r->w[j].possible;
    }
    for (size_t i = 0; i < p->known; i++)
        if (p->map[i] >= 0) {
            r->w[p->map[i]].hits = p->base[i] + dr_window_hits(i);
            r->w[p->map[i]].possible = p->base_possible[i] + dr_window_possible_count(i);
        }
}

/* A worker's process: runs its slice from position ws->produced on. */
void camp_run_worker(const campaign *c, unsigned w)
{
    wslot *ws = c->slot[w];
    tally *r = &ws->r;
    dr_mirror_attach(c->mirror[w]);
    /* A ThreadSanitizer report ends this process, whatever TSAN_OPTIONS
     * says; worker_ended makes it a data-race finding (docs/tsan.md). */
    dr_set_race_handler(dr_sup_race_exit);
    dr_strategy *strat = camp_strategy(c);
    if (!strat) {
        fprintf(stderr, "dmarace: out of memory\n");
        r->rc = DR_EXIT_INTERNAL;
        __atomic_store_n(&ws->finished, 1, __ATOMIC_RELEASE);
        return;
    }
    uint64_t stride, off;
    camp_slice(c, w, &stride, &off);
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
            distinct *d = camp_tally_finding(ws, &res.finding, key, e, &fresh);
            found = d;
            if ((d ? fresh : true) && camp_claim(c->sh, key)) {
                write = true;
                if (d)
                    d->written = e;
            }
            if (camp_stops_at(c, &res.finding))
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
            if (camp_save_finding(c, e, &res, key, &files) != 0)
                r->write_failed = 1;
            if (found)
                found->files = files;
            char msg[DR_CLI_ESC_MESSAGE];
            fprintf(stderr, "%sdmarace: finding %s: %s (execution %" PRIu64 ", step %" PRIu64 ")\n",
                    c->progress ? "\r\033[K" : "", dr_finding_kind_name(res.finding.kind),
                    dr_text_esc(res.finding.message, msg, sizeof msg), e, res.finding.step);
        }
        if (r->rc || camp_stops_at(c, &res.finding))
            break;
        if (!dr_strategy_next(strat, &res))
            break;
    }
    r->exhausted = dr_strategy_dfs_exhausted(strat);
    dr_strategy_destroy(strat);
    fflush(stdout);
    __atomic_store_n(&ws->finished, 1, __ATOMIC_RELEASE);
}

