/* dr_run.c: dmarace run: its options, PCT's calibration, the campaign
 * (dr_campaign.h: workers and their parent) and its summary. */
#include "dr_campaign.h"
#include "dr_rootcause.h"
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
        distinct *d = camp_tally_finding(c->slot[0], &cd->f, key, cd->exec, &fresh);
        if (d && fresh)
            d->calibration = 1;
        if (d)
            d->died = 1;
        if (camp_claim(c->sh, key)) {
            char path[4096];
            uint32_t files = 0;
            camp_finding_path(c, cd->f.kind, key, path, sizeof path);
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
        if (camp_stops_at(c, &cd->f))
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

/* Each window's reach: the executions that reached it, as a fraction of all
 * and of those where the model declared it possible; a window declared
 * possible and never reached is a warning (the search never exercised it). */
static void print_windows(const tally *total)
{
    uint64_t n = total->done ? total->done : 1;
    for (uint32_t i = 0; i < total->nwindows; i++) {
        const window_sum *w = &total->w[i];
        if (!w->hits)
            continue;
        printf("window       %s reached in %" PRIu64 " executions (%.1f%%", w->name, w->hits,
               100.0 * (double)w->hits / (double)n);
        if (w->possible > w->hits)
            printf("; %.1f%% of the %" PRIu64 " where possible", 100.0 * (double)w->hits / (double)w->possible,
                   w->possible);
        printf(")\n");
    }
    for (uint32_t i = 0; i < total->nwindows; i++)
        if (!total->w[i].hits)
            printf("warning      never exercised: %s (possible in %" PRIu64 " executions)\n", total->w[i].name,
                   total->w[i].possible);
}

/* A strategy whose executions depend only on (seed, execution index). */
static bool seeded(dr_strategy_kind k) { return k == DR_STRAT_SWARM || k == DR_STRAT_RANDOM || k == DR_STRAT_PCT; }

static int cmp_distinct(const void *a, const void *b)
{
    const distinct *x = a, *y = b;
    return x->first_exec < y->first_exec ? -1 : x->first_exec > y->first_exec ? 1 : 0;
}

int dr_cmd_run(int argc, char **argv)
{
    const char *scn_name = NULL, *input = NULL, *env_text = NULL;
    campaign c = {.kind = DR_STRAT_SWARM, .seed = 1, .executions = 10000, .depth = 3, .bound = 2,
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
        } else if (OPT("--race-detector")) {
            if (!val || (strcmp(val, "on") != 0 && strcmp(val, "off") != 0))
                return dr_cli_usage_error("--race-detector takes on or off, not '%s'", val ? val : "");
            dr_set_race_detector(strcmp(val, "on") == 0);
        } else if (OPT("--volatile")) {
            if (!val || (strcmp(val, "ms") != 0 && strcmp(val, "iso") != 0))
                return dr_cli_usage_error("--volatile takes ms or iso, not '%s'", val ? val : "");
            dr_set_volatile_ms(strcmp(val, "ms") == 0);
        } else if (OPT("--from")) {
            if (!dr_cli_parse_u64(val, 0, UINT64_MAX / 2, &c.from))
                return dr_cli_usage_error("--from takes a whole number, not '%s'", val ? val : "");
        } else if (OPT("--strategy")) {
            if (!val || !dr_strategy_kind_parse(val, &c.kind) || c.kind == DR_STRAT_REPLAY)
                return dr_cli_usage_error("--strategy takes swarm, random, pct, dfs or tape, not '%s'",
                                          val ? val : "");
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
    const char *expected = expect_spec ? expect_spec : c.s->expect;
    if (expect && strcmp(expected, "clean") != 0)
        c.stop_expect = expected;
    if (c.time_limit > 0 && !executions_set)
        c.executions = UINT64_MAX / 2;
    if (c.kind == DR_STRAT_TAPE && !input)
        return dr_cli_usage_error("--strategy tape needs --input FILE");
    if (input && c.kind != DR_STRAT_TAPE)
        return dr_cli_usage_error("--input goes with --strategy tape");
    if ((c.kind == DR_STRAT_DFS || c.kind == DR_STRAT_TAPE) && (c.jobs > 1 || c.shard_n > 1))
        return dr_cli_usage_error("-j and --shard split swarm, random and pct campaigns; %s runs as one process",
                                  dr_strategy_kind_name(c.kind));
    if (c.trace && c.jobs > 1)
        return dr_cli_usage_error("--trace prints from one process: use -j 1");
    if (c.from && c.kind != DR_STRAT_RANDOM && c.kind != DR_STRAT_SWARM)
        return dr_cli_usage_error(
            "--from goes with the swarm and random strategies (their executions depend only on seed and index)");
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
    camp_interrupted = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = camp_on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = camp_supervise(&c, &digest);
    {
        int mrc = camp_merge(&c, total, &all, &exhausted);
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
                   seeded(c.kind);
    if (rewrite) {
        pid_t pid = dr_sup_fork();
        if (pid == 0) {
            int out = DR_EXIT_CLEAN;
            for (uint32_t i = 0; i < total->ndistinct; i++) {
                distinct *d = &all[i];
                if (d->written == d->first_exec || d->died)
                    continue;
                dr_strategy *st = camp_strategy(&c);
                dr_exec_result res;
                uint32_t files; /* the files of the first write stay listed: they are on disk */
                if (!st || dr_run(c.s, &cfg, st, d->first_exec, &res) != 0 ||
                    res.finding.kind != (dr_finding_kind)d->kind ||
                    camp_save_finding(&c, d->first_exec, &res, d->key, &files) != 0) {
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
    qsort(total->w, total->nwindows, sizeof total->w[0], camp_cmp_window);
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
    if (seeded(c.kind))
        printf(" seed %" PRIu64, c.seed);
    printf("\n");
    printf("races        %s\n", dr_races_text(dr_races_now()));
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
        camp_finding_path(&c, (dr_finding_kind)d->kind, d->key, path, sizeof it->tape);
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
    print_windows(total);
    printf("digest       %016" PRIx64 "\n", dr_fmix(digest));
    if (camp_interrupted)
        printf("stopped      by %s: the summary covers the executions run so far\n",
               camp_interrupted == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    uint32_t nd = total->ndistinct;
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
