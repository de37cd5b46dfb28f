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

#include "dr_hash.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

enum { FILE_TAPE = 1, FILE_REPORTS = 2 };
enum { MAX_DISTINCT = 256, MAX_WINDOWS = 64, MAX_JOBS = 64, DIGEST_BATCH = 1024, PCT_CALIBRATION = 16 };

typedef struct {
    uint64_t key;
    uint32_t kind;
    uint64_t written; /* the execution whose files this worker wrote, or UINT64_MAX */
    uint32_t files;   /* what is on disk: FILE_TAPE | FILE_REPORTS (a full disk writes less) */
    uint64_t count;
    uint64_t first_exec;
    uint64_t step;
    char title[160];
    char message[512];
} distinct;

typedef struct {
    char name[120];
    uint64_t hits;
} window_sum;

/* What a worker reports at the end (sent as raw bytes through its pipe). */
typedef struct {
    uint64_t done, steps, total_findings;
    uint32_t ndistinct, nwindows;
    int32_t rc;
    uint32_t exhausted;
    distinct d[MAX_DISTINCT];
    window_sum w[MAX_WINDOWS];
} worker_result;

/* Shared between the workers (MAP_SHARED before fork). */
typedef struct {
    uint64_t claim[MAX_DISTINCT];
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
    double t0;
} campaign;

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
        *files |= FILE_TAPE;
        dr_exec_result rr;
        rc = dr_report_rerun(c->s, &t, c->budget, &rr);
        if (rc == 0) {
            dr_report_info info = {c->s, &t, path, &rr, NULL};
            rc = dr_report_write(&info);
        }
        if (rc == 0)
            *files |= FILE_REPORTS;
    }
    dr_tape_free(&t);
    return rc;
}

static bool claim(shared_state *sh, uint64_t key)
{
    if (!key)
        key = 1;
    for (size_t i = 0; i < MAX_DISTINCT; i++) {
        uint64_t cur = __atomic_load_n(&sh->claim[i], __ATOMIC_ACQUIRE);
        if (cur == key)
            return false;
        if (cur == 0) {
            uint64_t expected = 0;
            if (__atomic_compare_exchange_n(&sh->claim[i], &expected, key, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                return true;
            if (expected == key)
                return false;
        }
    }
    return false; /* table full: someone else's problem, nothing written */
}

/* Digest sink: in-process folds directly, a worker batches to its pipe. */
typedef struct {
    int fd; /* -1: in process */
    uint64_t *fold;
    uint64_t buf[DIGEST_BATCH];
    size_t n;
} digest_sink;

static int write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Pipe messages: a type byte, a 32-bit length, the payload. */
static int send_msg(int fd, char type, const void *p, uint32_t len)
{
    char hdr[5];
    hdr[0] = type;
    memcpy(hdr + 1, &len, 4);
    return write_all(fd, hdr, 5) || write_all(fd, p, len) ? -1 : 0;
}

static void sink_flush(digest_sink *k)
{
    if (k->fd >= 0 && k->n) {
        (void)send_msg(k->fd, 'D', k->buf, (uint32_t)(k->n * sizeof k->buf[0]));
        k->n = 0;
    }
}

static void sink_put(digest_sink *k, uint64_t d)
{
    if (k->fd < 0) {
        *k->fold = dr_mix(*k->fold, d);
        return;
    }
    k->buf[k->n++] = d;
    if (k->n == DIGEST_BATCH)
        sink_flush(k);
}

static int cmp_window(const void *a, const void *b)
{
    return strcmp(((const window_sum *)a)->name, ((const window_sum *)b)->name);
}

/* ThreadSanitizer reported (tsan build): keep the interleaving that got
 * there as a data-race tape, written before TSan prints (and, with
 * halt_on_error, exits). Nothing is re-run inside TSan's report. */
static const campaign *race_campaign;

static void on_tsan_report(void)
{
    const campaign *c = race_campaign;
    dr_exec_result res;
    uint64_t exec;
    if (!c || !dr_current_result(&res, &exec) || dr_cli_make_dirs(c->dir) != 0)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-data-race-%" PRIu64 ".tape", c->dir, c->s->name, exec);
    dr_tape t;
    dr_last_tape(&t, c->s, c->ncpu, c->kind, c->seed, exec, &res);
    char err[512];
    if (dr_tape_save(path, &t, err, sizeof err) == 0)
        fprintf(stderr, "dmarace: ThreadSanitizer reports a data race in execution %" PRIu64
                        "; tape %s (replay it in the tsan build)\n",
                exec, path);
    else
        fprintf(stderr, "dmarace: %s\n", err);
    dr_tape_free(&t);
}

/* Runs worker w's slice. */
static void run_worker(const campaign *c, unsigned w, digest_sink *sink, worker_result *r)
{
    memset(r, 0, sizeof *r);
    race_campaign = c;
    dr_set_race_handler(on_tsan_report);
    dr_strategy *strat = make_strategy(c);
    if (!strat) {
        fprintf(stderr, "dmarace: out of memory\n");
        r->rc = DR_EXIT_INTERNAL;
        return;
    }
    uint64_t stride = c->shard_n * c->jobs, off = c->shard_i + (uint64_t)w * c->shard_n;
    dr_run_config cfg = {.cpus = c->ncpu, .step_budget = c->budget, .trace = c->trace};
    double last = c->t0;
    dr_windows_reset();
    for (uint64_t k = 0;; k++) {
        if (__atomic_load_n(&c->sh->stop, __ATOMIC_RELAXED))
            break;
        uint64_t i = off + k * stride;
        if (i >= c->executions || (k && i < off))
            break;
        if (c->time_limit > 0 && (k & 15) == 0 && dr_cli_now() - c->t0 >= c->time_limit)
            break;
        uint64_t e = c->from + i;
        dr_exec_result res;
        if (dr_run(c->s, &cfg, strat, e, &res) != 0) {
            r->rc = DR_EXIT_USAGE;
            break;
        }
        r->done++;
        r->steps += res.steps;
        if (c->trace) {
            printf("execution %" PRIu64 ":\n", e);
            dr_trace_print(stdout);
        }
        sink_put(sink, res.digest);
        if (res.diverged) {
            fprintf(stderr, "dmarace: %s\n", res.diverge_msg);
            r->rc = DR_EXIT_INTERNAL;
            break;
        }
        if (res.finding.kind != DR_FIND_NONE) {
            r->total_findings++;
            uint64_t key = dr_cli_finding_key(res.finding.kind, res.finding.title);
            uint32_t j;
            for (j = 0; j < r->ndistinct && r->d[j].key != key; j++)
                ;
            if (j == r->ndistinct && j < MAX_DISTINCT) {
                distinct *d = &r->d[r->ndistinct++];
                d->key = key;
                d->written = UINT64_MAX;
                d->files = 0;
                d->kind = res.finding.kind;
                d->first_exec = e;
                d->step = res.finding.step;
                snprintf(d->title, sizeof d->title, "%s", res.finding.title);
                snprintf(d->message, sizeof d->message, "%s", res.finding.message);
                if (claim(c->sh, key)) {
                    d->written = e;
                    if (sink->fd >= 0)
                        (void)send_msg(sink->fd, 'F', &key, sizeof key);
                    if (save_finding(c, e, &res, key, &d->files) != 0)
                        r->rc = DR_EXIT_INTERNAL;
                    char msg[DR_CLI_ESC_MESSAGE];
                    fprintf(stderr, "%sdmarace: finding %s: %s (execution %" PRIu64 ", step %" PRIu64 ")\n",
                            c->progress ? "\r\033[K" : "", dr_finding_kind_name(res.finding.kind),
                            dr_text_esc(res.finding.message, msg, sizeof msg), e, res.finding.step);
                }
            }
            if (j < r->ndistinct)
                r->d[j].count++;
            if (c->stop_first) {
                __atomic_store_n(&c->sh->stop, 1, __ATOMIC_RELAXED);
                break;
            }
        }
        if (!dr_strategy_next(strat, &res))
            break;
        if (c->progress && (k & 1023) == 0) {
            double t = dr_cli_now();
            if (t - last > 0.5) {
                fprintf(stderr, "\r\033[K%" PRIu64 " executions, %.0f/s, %" PRIu32 " distinct findings, %.1fs",
                        r->done, (double)r->done / (t - c->t0), r->ndistinct, t - c->t0);
                last = t;
            }
        }
    }
    sink_flush(sink);
    r->exhausted = dr_strategy_dfs_exhausted(strat);
    for (size_t i = 0; i < dr_window_count() && r->nwindows < MAX_WINDOWS; i++) {
        window_sum *ws = &r->w[r->nwindows++];
        snprintf(ws->name, sizeof ws->name, "%s", dr_window_name(i));
        ws->hits = dr_window_hits(i);
    }
    dr_strategy_destroy(strat);
}

/* ---- the parent's side of -j ------------------------------------------------------ */

typedef struct {
    pid_t pid;
    int fd;
    bool eof;
    uint8_t *in;      /* bytes received, not yet parsed */
    size_t nin, capin;
    uint64_t *dig;    /* digests received, not yet folded */
    size_t dhead, dn, dcap;
    uint64_t received, findings;
    worker_result res;
    bool have_res;
} worker;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* Parses complete messages out of wk->in. */
static int parse_msgs(worker *wk)
{
    size_t pos = 0;
    while (wk->nin - pos >= 5) {
        char type = (char)wk->in[pos];
        uint32_t len;
        memcpy(&len, wk->in + pos + 1, 4);
        if (wk->nin - pos - 5 < len)
            break;
        const uint8_t *p = wk->in + pos + 5;
        if (type == 'D' && len % 8 == 0) {
            size_t n = len / 8;
            if (wk->dhead > 0 && wk->dhead == wk->dn)
                wk->dhead = wk->dn = 0;
            if (grow((void **)&wk->dig, &wk->dcap, wk->dn + n, sizeof *wk->dig) != 0)
                return -1;
            memcpy(wk->dig + wk->dn, p, len);
            wk->dn += n;
            wk->received += n;
        } else if (type == 'F' && len == 8) {
            wk->findings++;
        } else if (type == 'R' && len == sizeof wk->res) {
            memcpy(&wk->res, p, len);
            wk->have_res = true;
        } else {
            return -1;
        }
        pos += 5 + len;
    }
    memmove(wk->in, wk->in + pos, wk->nin - pos);
    wk->nin -= pos;
    return 0;
}

/* Folds digests in global index order: round k, workers 0..J-1; a worker
 * that has finished has no more rounds. */
static void fold_ready(worker *wk, unsigned jobs, unsigned *cursor, uint64_t *digest)
{
    unsigned skipped = 0;
    while (skipped < jobs) {
        worker *x = &wk[*cursor];
        if (x->dhead < x->dn) {
            *digest = dr_mix(*digest, x->dig[x->dhead++]);
            skipped = 0;
        } else if (x->eof) {
            skipped++;
        } else {
            return; /* its next digest has not arrived yet */
        }
        *cursor = (*cursor + 1) % jobs;
    }
}

static int run_parallel(const campaign *c, worker_result *total, uint64_t *digest, bool *exhausted)
{
    worker *wk = calloc(c->jobs, sizeof *wk);
    if (!wk) {
        fprintf(stderr, "dmarace: out of memory\n");
        return DR_EXIT_INTERNAL;
    }
    fflush(stdout);
    fflush(stderr);
    int rc = DR_EXIT_CLEAN;
    unsigned started = 0;
    pid_t parent = getpid();
    for (unsigned w = 0; w < c->jobs; w++) {
        int pfd[2];
        if (pipe(pfd) != 0) {
            fprintf(stderr, "dmarace: pipe: %s\n", strerror(errno));
            rc = DR_EXIT_INTERNAL;
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "dmarace: fork: %s\n", strerror(errno));
            close(pfd[0]);
            close(pfd[1]);
            rc = DR_EXIT_INTERNAL;
            break;
        }
        if (pid == 0) {
#ifdef __linux__
            /* A worker dies with its campaign (kill -9 of the parent included). */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
            if (getppid() != parent)
                _exit(DR_EXIT_INTERNAL);
            close(pfd[0]);
            for (unsigned v = 0; v < started; v++)
                close(wk[v].fd);
            signal(SIGPIPE, SIG_IGN);
            campaign cc = *c;
            cc.progress = false;
            digest_sink sink = {.fd = pfd[1]};
            worker_result *r = malloc(sizeof *r);
            int out = DR_EXIT_INTERNAL;
            if (r) {
                run_worker(&cc, w, &sink, r);
                out = send_msg(pfd[1], 'R', r, sizeof *r) == 0 ? DR_EXIT_CLEAN : DR_EXIT_INTERNAL;
                free(r);
            }
            close(pfd[1]);
            dr_engine_shutdown();
            _exit(out);
        }
        close(pfd[1]);
        wk[w].pid = pid;
        wk[w].fd = pfd[0];
        started++;
    }
    unsigned cursor = 0, open_fds = started;
    double last = c->t0;
    while (open_fds > 0) {
        struct pollfd pf[MAX_JOBS];
        unsigned map[MAX_JOBS], np = 0;
        for (unsigned w = 0; w < started; w++)
            if (!wk[w].eof) {
                pf[np] = (struct pollfd){.fd = wk[w].fd, .events = POLLIN};
                map[np++] = w;
            }
        int n = poll(pf, np, 500);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "dmarace: poll: %s\n", strerror(errno));
            rc = DR_EXIT_INTERNAL;
            break;
        }
        for (unsigned p = 0; n > 0 && p < np; p++) {
            if (!(pf[p].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            worker *x = &wk[map[p]];
            if (grow((void **)&x->in, &x->capin, x->nin + 65536, 1) != 0) {
                rc = DR_EXIT_INTERNAL;
                x->eof = true;
                open_fds--;
                continue;
            }
            ssize_t k = read(x->fd, x->in + x->nin, 65536);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                x->eof = true;
                open_fds--;
                close(x->fd);
                continue;
            }
            x->nin += (size_t)k;
            if (parse_msgs(x) != 0) {
                fprintf(stderr, "dmarace: worker %u sent a malformed message\n", map[p]);
                rc = DR_EXIT_INTERNAL;
            }
        }
        if (started == c->jobs)
            fold_ready(wk, c->jobs, &cursor, digest);
        if (c->progress) {
            double t = dr_cli_now();
            if (t - last > 0.5) {
                uint64_t done = 0, found = 0;
                for (unsigned w = 0; w < started; w++) {
                    done += wk[w].received;
                    found += wk[w].findings;
                }
                fprintf(stderr, "\r\033[K%" PRIu64 " executions, %.0f/s, %" PRIu64 " distinct findings, %.1fs, %u workers",
                        done, (double)done / (t - c->t0), found, t - c->t0, started);
                last = t;
            }
        }
    }
    for (unsigned w = 0; w < started; w++) {
        int st;
        while (waitpid(wk[w].pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !wk[w].have_res) {
            if (WIFSIGNALED(st))
                fprintf(stderr, "dmarace: worker %u was killed by signal %d\n", w, WTERMSIG(st));
            else
                fprintf(stderr, "dmarace: worker %u failed\n", w);
            rc = DR_EXIT_INTERNAL;
        }
    }
    if (started == c->jobs)
        fold_ready(wk, c->jobs, &cursor, digest);
    /* Merge. */
    memset(total, 0, sizeof *total);
    *exhausted = false;
    for (unsigned w = 0; w < started; w++) {
        const worker_result *r = &wk[w].res;
        if (!wk[w].have_res)
            continue;
        total->done += r->done;
        total->steps += r->steps;
        total->total_findings += r->total_findings;
        if (r->rc && !rc)
            rc = r->rc;
        for (uint32_t i = 0; i < r->ndistinct && i < MAX_DISTINCT; i++) {
            const distinct *d = &r->d[i];
            uint32_t j;
            for (j = 0; j < total->ndistinct && total->d[j].key != d->key; j++)
                ;
            if (j == total->ndistinct) {
                if (j == MAX_DISTINCT)
                    continue;
                total->d[total->ndistinct++] = *d;
                continue;
            }
            distinct *t = &total->d[j];
            uint64_t count = t->count + d->count, written = t->written < d->written ? t->written : d->written;
            if (d->first_exec < t->first_exec)
                *t = *d;
            uint32_t files = t->files | d->files; /* only the worker that claimed the key writes */
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
    for (unsigned w = 0; w < started; w++) {
        free(wk[w].in);
        free(wk[w].dig);
    }
    free(wk);
    return rc;
}

/* "clean", a kind, or kind:part-of-the-title. */
static bool verdict_matches(const dr_scenario *s, const worker_result *r)
{
    if (strcmp(s->expect, "clean") == 0)
        return r->ndistinct == 0;
    for (size_t i = 0; i < r->ndistinct; i++)
        if (dr_cli_expect_matches(s->expect, (dr_finding_kind)r->d[i].kind, r->d[i].title))
            return true;
    return false;
}

static int cmp_distinct(const void *a, const void *b)
{
    const distinct *x = a, *y = b;
    return x->first_exec < y->first_exec ? -1 : x->first_exec > y->first_exec ? 1 : 0;
}

int dr_cmd_run(int argc, char **argv)
{
    const char *scn_name = NULL, *input = NULL;
    campaign c = {.kind = DR_STRAT_RANDOM, .seed = 1, .executions = 10000, .depth = 3, .bound = 2,
                  .jobs = 1, .shard_n = 1, .dir = "findings"};
    uint64_t cpus = 0, jobs = 1;
    bool expect = false, quiet = false, executions_set = false;

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
        } else if (OPT("--findings")) {
            if (!val || !*val)
                return dr_cli_usage_error("--findings takes a directory");
            c.dir = val;
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
        errno = 0;
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
        /* Calibrate PCT's k on the campaign's first executions (indices 0..15),
         * the same in every process, then keep it fixed. */
        dr_strategy *cal = dr_strategy_pct(c.seed, (unsigned)c.depth);
        if (!cal) {
            free(bytes);
            return DR_EXIT_INTERNAL;
        }
        for (uint64_t e = 0; e < PCT_CALIBRATION; e++) {
            dr_exec_result res;
            if (dr_run(c.s, &cfg, cal, e, &res) != 0) {
                dr_strategy_destroy(cal);
                free(bytes);
                return DR_EXIT_USAGE;
            }
            dr_strategy_next(cal, &res);
        }
        c.pct_k = dr_strategy_pct_k(cal);
        dr_strategy_destroy(cal);
    }

    /* The findings directory must be writable before the campaign starts, not
     * at its first finding; temporary files of killed campaigns go. */
    if (dr_cli_prepare_dir(c.dir) != 0) {
        free(bytes);
        return DR_EXIT_USAGE;
    }

    shared_state *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    worker_result *total = malloc(sizeof *total);
    if (sh == MAP_FAILED || !total) {
        fprintf(stderr, "dmarace: out of memory\n");
        free(bytes);
        free(total);
        if (sh != MAP_FAILED)
            munmap(sh, sizeof *sh);
        return DR_EXIT_INTERNAL;
    }
    memset(sh, 0, sizeof *sh);
    c.sh = sh;
    c.progress = !quiet && isatty(2);
    c.t0 = dr_cli_now();
    uint64_t digest = 0x6a09e667f3bcc908ull;
    bool exhausted = false;
    int rc;
    if (c.jobs == 1) {
        digest_sink sink = {.fd = -1, .fold = &digest};
        run_worker(&c, 0, &sink, total);
        rc = total->rc;
        exhausted = total->exhausted;
    } else {
        rc = run_parallel(&c, total, &digest, &exhausted);
    }
    double elapsed = dr_cli_now() - c.t0;
    if (c.progress)
        fputs("\r\033[K", stderr);

    /* A finding whose files came from a later execution than its first (another
     * worker got there first in time) is rewritten from its first execution. */
    for (uint32_t i = 0; i < total->ndistinct && c.jobs > 1; i++) {
        distinct *d = &total->d[i];
        if (d->written == d->first_exec || (c.kind != DR_STRAT_RANDOM && c.kind != DR_STRAT_PCT))
            continue;
        dr_strategy *st = make_strategy(&c);
        dr_exec_result res;
        if (!st || dr_run(c.s, &cfg, st, d->first_exec, &res) != 0 || res.finding.kind != (dr_finding_kind)d->kind ||
            save_finding(&c, d->first_exec, &res, d->key, &d->files) != 0) {
            fprintf(stderr, "dmarace: could not rewrite the finding of execution %" PRIu64 "\n", d->first_exec);
            rc = DR_EXIT_INTERNAL;
        }
        dr_strategy_destroy(st);
    }

    qsort(total->d, total->ndistinct, sizeof total->d[0], cmp_distinct);
    qsort(total->w, total->nwindows, sizeof total->w[0], cmp_window);
    printf("scenario     %s (%u processors)\n", c.s->name, c.ncpu);
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
    printf("findings     %" PRIu64 " in total, %" PRIu32 " distinct\n", total->total_findings, total->ndistinct);
    for (uint32_t i = 0; i < total->ndistinct; i++) {
        const distinct *d = &total->d[i];
        char path[4096];
        finding_path(&c, (dr_finding_kind)d->kind, d->key, path, sizeof path);
        char title[DR_CLI_ESC_TITLE];
        printf("  [%s] %s: %" PRIu64 " times, first in execution %" PRIu64 "\n",
               dr_finding_kind_name((dr_finding_kind)d->kind), dr_text_esc(d->title, title, sizeof title), d->count,
               d->first_exec);
        /* Only what is on disk (a full disk, an I/O error: said above, exit 3). */
        size_t pl = strlen(path);
        if (d->files & FILE_TAPE)
            printf("      replay: dmarace replay %s\n", path);
        else
            printf("      NOT WRITTEN: %s (the error is above)\n", path);
        if (d->files & FILE_REPORTS)
            printf("      report: %.*s.txt\n", (int)(pl > 5 ? pl - 5 : pl), path);
        else if (d->files & FILE_TAPE)
            printf("      NOT WRITTEN: the reports %.*s.txt, .json, .trace.json, .sarif (the error is above)\n",
                   (int)(pl > 5 ? pl - 5 : pl), path);
    }
    for (uint32_t i = 0; i < total->nwindows; i++)
        printf("window       %s reached in %" PRIu64 " executions\n", total->w[i].name, total->w[i].hits);
    printf("digest       %016" PRIx64 "\n", dr_fmix(digest));

    uint32_t nd = total->ndistinct;
    bool ok = verdict_matches(c.s, total);
    free(total);
    munmap(sh, sizeof *sh);
    free(bytes);
    if (rc != DR_EXIT_CLEAN)
        return rc;
    if (expect) {
        /* "clean" under dfs is a claim about the whole bounded space. */
        bool unexplored = c.kind == DR_STRAT_DFS && nd == 0 && !exhausted;
        if (unexplored)
            ok = false;
        printf("verdict      %s (expected %s%s)\n", ok ? "as expected" : "NOT as expected", c.s->expect,
               unexplored ? ", and the bounded space was not exhausted" : "");
        return ok ? DR_EXIT_CLEAN : DR_EXIT_FINDINGS;
    }
    return nd ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
}
