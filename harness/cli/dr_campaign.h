/* dr_campaign.h: a campaign's shared state, its workers and its parent
 * (dr_campaign_worker.c, dr_campaign_parent.c; dmarace run in dr_run.c).
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
#ifndef DR_CAMPAIGN_H
#define DR_CAMPAIGN_H

#include "dr_cli.h"
#include "dr_supervise.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

enum {
    MAX_WINDOWS = DR_MAX_WINDOWS,
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
    uint64_t hits, possible; /* executions that reached it; that could have */
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
    /* --expect with a finding expected (not clean): the verdict is decided at
     * the first finding that shows it, so the campaign stops there. */
    const char *stop_expect;
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

/* ---- a worker's process (dr_campaign_worker.c) ---- */

/* The campaign's strategy, for a worker (or PCT's calibration). */
dr_strategy *camp_strategy(const campaign *c);
/* <dir>/<scenario>-<kind>-<key>.tape */
void camp_finding_path(const campaign *c, dr_finding_kind kind, uint64_t key, char *out, size_t len);
/* Writes a finding's tape and reports; *files says what is on disk. */
int camp_save_finding(const campaign *c, uint64_t exec, const dr_exec_result *res, uint64_t key,
                        uint32_t *files);
/* The same for an execution whose process died (its mirror's choices). */
int camp_save_death(const campaign *c, uint64_t exec, const dr_finding *f, const dr_mirror *m, uint64_t key,
                      uint32_t *files);
/* True for the first caller with this key, campaign-wide: it writes the files. */
bool camp_claim(shared_state *sh, uint64_t key);
int camp_cmp_window(const void *a, const void *b);
/* Does finding f end the campaign (--stop-on-first, or the finding --expect waits for)? */
bool camp_stops_at(const campaign *c, const dr_finding *f);
/* Counts a finding in the worker's table; *fresh when its key is new there. */
distinct *camp_tally_finding(wslot *ws, const dr_finding *f, uint64_t key, uint64_t e, bool *fresh);
/* The executions worker w runs: off, off + stride, ... */
void camp_slice(const campaign *c, unsigned w, uint64_t *stride, uint64_t *off);
/* A worker's process: runs its slice from ws->produced on. */
void camp_run_worker(const campaign *c, unsigned w);

/* ---- the parent (dr_campaign_parent.c) ---- */

/* SIGINT or SIGTERM: stop, print the summary. */
extern volatile sig_atomic_t camp_interrupted;
void camp_on_interrupt(int sig);
/* Starts the workers, folds their digests in index order, restarts a
 * process that died after its execution, kills one that hangs. */
int camp_supervise(const campaign *c, uint64_t *digest);
/* Sums the workers' counts and distinct findings into *total and *all. */
int camp_merge(const campaign *c, tally *total, distinct **all, bool *exhausted);

#endif
