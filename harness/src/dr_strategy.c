/* dr_strategy.c: where choices come from.
 *
 *   random  seeded random walk, per-execution stream seeded from (campaign
 *           seed, execution index): data choices uniform; a scheduling
 *           decision fires an environment event (or the clock) with
 *           probability 1/8 when a task could run instead, and otherwise picks
 *           a task uniformly. Events model the outside world (a user's
 *           cancel, a timeout, the hardware): uniform picks would fire them
 *           within the first few steps of nearly every execution;
 *   pct     probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010)
 *           with depth d: random distinct priorities per actor, d-1 random
 *           change points that drop the running actor's priority; the highest
 *           priority runnable actor always runs. Data choices are random.
 *   dfs     bounded exhaustive search: depth-first over every choice, with at
 *           most `bound` preemptions (choosing another actor while the
 *           running task could continue) per execution; stateless, by replay
 *           of the choice prefix;
 *   tape    bytes to choices (fuzzer input): one byte per choice (two when
 *           n > 256), value = byte % n; 0 once the bytes run out;
 *   replay  a recorded tape, checked choice by choice. */
#include "dr_hash.h"
#include "dr_internal.h"
#include "dr_prng.h"

#include <stdlib.h>
#include <string.h>

#define G dr__g

const char *dr_strategy_kind_name(dr_strategy_kind k)
{
    switch (k) {
#define DR_X(e, s)                                                                                         \
    case DR_STRAT_##e:                                                                                     \
        return s;
        DR_STRATEGY_KINDS(DR_X)
#undef DR_X
    case DR_STRAT__COUNT:
        break;
    }
    return "?";
}

bool dr_strategy_kind_parse(const char *s, dr_strategy_kind *out)
{
    for (int k = 0; k < DR_STRAT__COUNT; k++)
        if (strcmp(s, dr_strategy_kind_name((dr_strategy_kind)k)) == 0) {
            *out = (dr_strategy_kind)k;
            return true;
        }
    return false;
}

void dr_strategy_destroy(dr_strategy *s)
{
    if (s)
        s->destroy(s);
}

dr_strategy_kind dr_strategy_get_kind(const dr_strategy *s) { return s->kind; }

static void plain_destroy(dr_strategy *s) { free(s); }
static bool always_more(dr_strategy *s, const dr_exec_result *r)
{
    (void)s;
    (void)r;
    return true;
}

static uint64_t exec_seed(uint64_t seed, uint64_t exec_index)
{
    return dr_fmix(dr_mix(dr_fmix(seed), exec_index));
}

/* ---- random --------------------------------------------------------------------- */

typedef struct {
    dr_strategy base;
    uint64_t seed;
    dr_prng rng;
} random_s;

static void random_begin(dr_strategy *s, uint64_t exec_index)
{
    random_s *r = (random_s *)s;
    dr_prng_seed(&r->rng, exec_seed(r->seed, exec_index));
}

enum { RANDOM_EVENT_ODDS = 8 };

static uint32_t random_choose(dr_strategy *s, const dr_choice_req *req)
{
    dr_prng *rng = &((random_s *)s)->rng;
    if (req->kind != DR_CHOICE_SCHED || req->n_tasks == 0 || req->n_tasks == req->n)
        return dr_prng_below(rng, req->n);
    if (dr_prng_below(rng, RANDOM_EVENT_ODDS) == 0)
        return req->n_tasks + dr_prng_below(rng, req->n - req->n_tasks);
    return dr_prng_below(rng, req->n_tasks);
}

dr_strategy *dr_strategy_random(uint64_t seed)
{
    random_s *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base = (dr_strategy){"random", DR_STRAT_RANDOM, random_begin, random_choose, always_more, plain_destroy, false};
    r->seed = seed;
    return &r->base;
}

/* ---- swarm ------------------------------------------------------------------------ */

/* A random walk whose environment events land across the whole execution.
 * Each execution draws its own configuration (swarm testing: Groce et al.,
 * ISSTA 2012), keyed by names so that it means the same in every process.
 *
 * Events. Time is counted in events fired (a transfer's completion, a
 * timer's expiry, a cancel): that is what divides a request's life into
 * phases, however many memory accesses (scheduling decisions) each phase
 * takes. Each event kind (by the event's name; the clock, which fires the
 * earliest timer, is one kind) draws per execution:
 *   - off, with probability 1/8: it fires only when nothing else can run
 *     and no other event may;
 *   - otherwise a spread S in 0..3 and a rate 2^-k, k in 0..8: an
 *     event armed when f events have fired becomes due after f + j have, j
 *     uniform in 0..S; once due it fires at a decision with the kind's rate,
 *     at once when nothing else can run (a driver waiting for the hardware,
 *     a cancel or a timeout). When nothing can run and no event is due, the
 *     earliest becomes due.
 * So a cancel lands before the first transfer completes in some executions,
 * between transfers or during the last one in others, and not at all in
 * others; the old walk's one chance in eight at every decision fired almost
 * every event within the first steps.
 *
 * Tasks: the running task is preempted at a decision with probability 2^-k,
 * k uniform in 0..6 (the old walk preempts at nearly every one).
 *
 * Data choices: each kind (by its site's name) always takes its ordinary
 * value 0 (probability 3/4), or another value with probability 2^-k, k in
 * 0..3 (k = 0: any value, uniformly): three good transfers in a row are no
 * longer rare, and a kind's other values still come in a quarter of the
 * executions.
 *
 * The tape is the same as every strategy's: the values chosen; a tape that
 * runs out means no preemption, no event. */
enum { SWARM_KINDS = 128, SWARM_EVENTS = 256, SWARM_ONE = 1u << 16 };
#define SWARM_NEVER UINT64_MAX

/* A kind's parameters for one execution. */
typedef struct {
    bool off;           /* events: fires only when nothing else may */
    uint32_t spread;    /* events: S */
    uint32_t rate;      /* per decision once due (events), or off the ordinary value (data); in 1/SWARM_ONE */
} swarm_params;

typedef struct {
    const char *name;   /* the kind's name pointer (a static string of this process) */
    uint64_t hash;      /* of the name's text: the same in every process */
    uint32_t stamp;     /* the execution `params` were drawn for */
    bool sched;         /* an event kind, not a data choice's */
    swarm_params params;
} swarm_kind;

typedef struct {
    uint32_t actor, stamp;
    bool live;          /* has a due count: offered at decision `seen` and not fired since */
    uint64_t seen;
    uint64_t due;       /* due once this many events have fired */
    uint32_t rate;      /* its kind's */
} swarm_event;

typedef struct {
    dr_strategy base;
    uint64_t seed;
    dr_prng rng;
    uint64_t exec_seed;
    uint32_t exec;      /* stamps swarm_kind and swarm_event; 0 before the first execution */
    uint32_t preempt;   /* per decision, in 1/SWARM_ONE */
    uint64_t decisions; /* scheduling decisions so far */
    uint64_t fired;     /* events fired so far */
    swarm_kind kinds[SWARM_KINDS];
    swarm_event events[SWARM_EVENTS];
} swarm_s;

static void swarm_begin(dr_strategy *s, uint64_t exec_index)
{
    swarm_s *w = (swarm_s *)s;
    w->exec_seed = exec_seed(w->seed, exec_index);
    dr_prng_seed(&w->rng, w->exec_seed);
    w->exec++;
    w->preempt = SWARM_ONE >> dr_prng_below(&w->rng, 7);
    w->decisions = w->fired = 0;
}

/* The parameters of the kind whose name hashes to `hash`, this execution. */
static swarm_params swarm_draw(const swarm_s *w, uint64_t hash, bool sched)
{
    uint64_t r = dr_fmix(dr_mix(w->exec_seed, hash ^ (sched ? 0x5157 : 0xda7a)));
    if (sched)
        return (swarm_params){r % 8 == 0, (uint32_t)((r >> 8) % 4), SWARM_ONE >> ((r >> 16) % 9)};
    return (swarm_params){false, 0, r % 4 != 0 ? 0 : SWARM_ONE >> ((r >> 3) % 4)};
}

/* Kind `name`'s parameters this execution, drawn once per execution and
 * kept in the table (a name with no free slot left is drawn each time). */
static swarm_params swarm_kind_of(swarm_s *w, const char *name, bool sched)
{
    unsigned slot = (unsigned)(((uintptr_t)name >> 3) % SWARM_KINDS);
    for (unsigned probe = 0; probe < SWARM_KINDS; probe++) {
        swarm_kind *k = &w->kinds[(slot + probe) % SWARM_KINDS];
        if (!k->name)
            *k = (swarm_kind){.name = name, .hash = dr_fnv1a_str(name), .sched = sched};
        else if (k->name != name || k->sched != sched)
            continue;
        if (k->stamp != w->exec) {
            k->stamp = w->exec;
            k->params = swarm_draw(w, k->hash, sched);
        }
        return k->params;
    }
    return swarm_draw(w, dr_fnv1a_str(name), sched);
}

static uint32_t swarm_fire(swarm_s *w, const dr_choice_req *req)
{
    uint32_t nenv = req->n - req->n_tasks, earliest = 0, ndue = 0;
    uint32_t due[DR_MAX_OPTIONS], due_rate[DR_MAX_OPTIONS];
    uint64_t total = 0, earliest_due = SWARM_NEVER;
    for (uint32_t i = 0; i < nenv; i++) {
        uint32_t actor = req->actors[req->n_tasks + i];
        swarm_event *e = &w->events[actor % SWARM_EVENTS];
        if (e->stamp != w->exec || e->actor != actor)
            *e = (swarm_event){.actor = actor, .stamp = w->exec};
        if (!e->live || e->seen + 1 != w->decisions) { /* armed since the last decision */
            const char *name = i < req->n_events ? req->events[i]->name : "clock";
            swarm_params k = swarm_kind_of(w, name ? name : "", true);
            e->rate = k.rate;
            e->due = k.off ? SWARM_NEVER : w->fired + dr_prng_below(&w->rng, k.spread + 1);
        }
        e->seen = w->decisions;
        e->live = true;
        if (e->due <= w->fired) {
            due[ndue] = i;
            due_rate[ndue++] = e->rate;
            total += e->rate;
        }
        if (e->due < earliest_due) {
            earliest_due = e->due;
            earliest = i;
        }
    }
    uint32_t pick;
    if (ndue && (!req->n_tasks || dr_prng_below(&w->rng, SWARM_ONE) < total)) {
        uint64_t x = dr_prng_next(&w->rng) % total;
        pick = due[ndue - 1];
        for (uint32_t j = 0; j < ndue; j++) {
            if (x < due_rate[j]) {
                pick = due[j];
                break;
            }
            x -= due_rate[j];
        }
    } else if (!req->n_tasks) {
        pick = earliest_due == SWARM_NEVER ? dr_prng_below(&w->rng, nenv) : earliest;
    } else {
        return UINT32_MAX;
    }
    w->events[req->actors[req->n_tasks + pick] % SWARM_EVENTS].live = false; /* a new due when re-armed */
    w->fired++;
    return req->n_tasks + pick;
}

static uint32_t swarm_choose(dr_strategy *s, const dr_choice_req *req)
{
    swarm_s *w = (swarm_s *)s;
    dr_prng *rng = &w->rng;
    if (req->kind != DR_CHOICE_SCHED) {
        uint32_t rate = swarm_kind_of(w, req->site ? req->site->name : "", false).rate;
        if (rate == 0 || dr_prng_below(rng, SWARM_ONE) >= rate)
            return 0;
        return rate == SWARM_ONE ? dr_prng_below(rng, req->n) : 1 + dr_prng_below(rng, req->n - 1);
    }
    w->decisions++;
    if (req->n > req->n_tasks) {
        uint32_t fire = swarm_fire(w, req);
        if (fire != UINT32_MAX)
            return fire;
    }
    if (req->n_tasks <= 1)
        return 0;
    if (!req->has_cur)
        return dr_prng_below(rng, req->n_tasks);
    if (dr_prng_below(rng, SWARM_ONE) >= w->preempt)
        return 0;
    return 1 + dr_prng_below(rng, req->n_tasks - 1);
}

dr_strategy *dr_strategy_swarm(uint64_t seed)
{
    swarm_s *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->base = (dr_strategy){"swarm", DR_STRAT_SWARM, swarm_begin, swarm_choose, always_more, plain_destroy, false};
    w->seed = seed;
    return &w->base;
}

/* ---- PCT ------------------------------------------------------------------------- */

enum { PCT_PRIO_SLOTS = 1024, PCT_MAX_DEPTH = 16 };

typedef struct {
    dr_strategy base;
    uint64_t seed;
    unsigned depth;
    dr_prng rng;
    uint32_t exec;                    /* stamps prio_stamp */
    uint64_t prio[PCT_PRIO_SLOTS];
    uint32_t prio_stamp[PCT_PRIO_SLOTS];
    uint64_t change[PCT_MAX_DEPTH];   /* scheduling-choice indices, 1-based */
    unsigned nchange;
    uint64_t count;                   /* scheduling choices this execution */
    uint64_t max_seen;                /* estimate of k for the change points */
    bool fixed_k;                     /* k given, not learned */
} pct_s;

static void pct_begin(dr_strategy *s, uint64_t exec_index)
{
    pct_s *p = (pct_s *)s;
    dr_prng_seed(&p->rng, exec_seed(p->seed, exec_index));
    p->exec++;
    p->count = 0;
    uint64_t k = p->max_seen > 8 ? p->max_seen : 8;
    p->nchange = p->depth - 1;
    for (unsigned i = 0; i < p->nchange; i++)
        p->change[i] = 1 + dr_prng_next(&p->rng) % k;
}

static uint64_t *pct_prio(pct_s *p, uint32_t actor)
{
    uint32_t slot = actor % PCT_PRIO_SLOTS;
    if (p->prio_stamp[slot] != p->exec) {
        p->prio_stamp[slot] = p->exec;
        /* Initial priorities are all >= depth; change points use 1..depth-1. */
        p->prio[slot] = p->depth + (dr_prng_next(&p->rng) >> 2);
    }
    return &p->prio[slot];
}

static uint32_t pct_best(pct_s *p, const dr_choice_req *req)
{
    uint32_t best = 0;
    uint64_t bp = *pct_prio(p, req->actors[0]);
    for (uint32_t i = 1; i < req->n; i++) {
        uint64_t q = *pct_prio(p, req->actors[i]);
        if (q > bp) {
            bp = q;
            best = i;
        }
    }
    return best;
}

static uint32_t pct_choose(dr_strategy *s, const dr_choice_req *req)
{
    pct_s *p = (pct_s *)s;
    if (req->kind != DR_CHOICE_SCHED)
        return dr_prng_below(&p->rng, req->n);
    p->count++;
    uint32_t best = pct_best(p, req);
    for (unsigned i = 0; i < p->nchange; i++)
        if (p->change[i] == p->count) {
            *pct_prio(p, req->actors[best]) = p->depth - 1 - i;
            best = pct_best(p, req);
        }
    return best;
}

static bool pct_end(dr_strategy *s, const dr_exec_result *r)
{
    (void)r;
    pct_s *p = (pct_s *)s;
    if (!p->fixed_k && p->count > p->max_seen)
        p->max_seen = p->count;
    return true;
}

dr_strategy *dr_strategy_pct(uint64_t seed, unsigned depth)
{
    if (depth < 1 || depth > PCT_MAX_DEPTH)
        return NULL;
    pct_s *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = (dr_strategy){"pct", DR_STRAT_PCT, pct_begin, pct_choose, pct_end, plain_destroy, false};
    p->seed = seed;
    p->depth = depth;
    return &p->base;
}

dr_strategy *dr_strategy_pct_fixed(uint64_t seed, unsigned depth, uint64_t k)
{
    dr_strategy *s = dr_strategy_pct(seed, depth);
    if (s) {
        ((pct_s *)s)->max_seen = k;
        ((pct_s *)s)->fixed_k = true;
    }
    return s;
}

dr_strategy *dr_strategy_pct_from(uint64_t seed, unsigned depth, uint64_t k)
{
    dr_strategy *s = dr_strategy_pct(seed, depth);
    if (s)
        ((pct_s *)s)->max_seen = k;
    return s;
}

uint64_t dr_strategy_pct_k(const dr_strategy *s)
{
    return s->kind == DR_STRAT_PCT ? ((const pct_s *)s)->max_seen : 0;
}

/* ---- bounded DFS -------------------------------------------------------------------- */

typedef struct {
    uint8_t kind;
    bool has_cur;
    uint32_t n;
    uint32_t value;
    uint32_t pre_before; /* preemptions spent before this choice */
} dfs_frame;

typedef struct {
    dr_strategy base;
    unsigned bound;
    dfs_frame *stack;
    size_t len, cap;
    size_t depth;
    uint32_t preempt;
    bool exhausted;
} dfs_s;

static void dfs_begin(dr_strategy *s, uint64_t exec_index)
{
    (void)exec_index;
    dfs_s *d = (dfs_s *)s;
    d->depth = 0;
    d->preempt = 0;
}

static uint32_t dfs_choose(dr_strategy *s, const dr_choice_req *req)
{
    dfs_s *d = (dfs_s *)s;
    uint32_t v;
    if (d->depth < d->len) {
        dfs_frame *f = &d->stack[d->depth];
        if (f->n != req->n || f->kind != req->kind) {
            dr__diverge("dfs: the scenario is not deterministic: choice %zu offered %u options before, %u now",
                        d->depth, f->n, req->n);
            return 0;
        }
        v = f->value;
    } else {
        if (d->len == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : 256;
            dfs_frame *st = realloc(d->stack, cap * sizeof *st);
            if (!st) {
                fprintf(stderr, "dmarace: out of memory in dfs\n");
                abort();
            }
            d->stack = st;
            d->cap = cap;
        }
        d->stack[d->len++] = (dfs_frame){req->kind, req->has_cur, req->n, 0, d->preempt};
        v = 0;
    }
    if (req->kind == DR_CHOICE_SCHED && req->has_cur && v != 0)
        d->preempt++;
    d->depth++;
    return v;
}

static bool dfs_end(dr_strategy *s, const dr_exec_result *r)
{
    (void)r;
    dfs_s *d = (dfs_s *)s;
    d->len = d->depth < d->len ? d->depth : d->len;
    while (d->len > 0) {
        dfs_frame *f = &d->stack[d->len - 1];
        uint32_t next = f->value + 1;
        if (next < f->n) {
            uint32_t cost = (f->kind == DR_CHOICE_SCHED && f->has_cur) ? 1 : 0; /* every option but 0 */
            if (f->pre_before + cost <= d->bound) {
                f->value = next;
                return true;
            }
        }
        d->len--;
    }
    d->exhausted = true;
    return false;
}

static void dfs_destroy(dr_strategy *s)
{
    free(((dfs_s *)s)->stack);
    free(s);
}

dr_strategy *dr_strategy_dfs(unsigned bound)
{
    dfs_s *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->base = (dr_strategy){"dfs", DR_STRAT_DFS, dfs_begin, dfs_choose, dfs_end, dfs_destroy, false};
    d->bound = bound;
    return &d->base;
}

bool dr_strategy_dfs_exhausted(const dr_strategy *s)
{
    return s->kind == DR_STRAT_DFS && ((const dfs_s *)s)->exhausted;
}

/* ---- bytes (fuzzer input) ------------------------------------------------------------ */

typedef struct {
    dr_strategy base;
    const uint8_t *data;
    size_t len, pos;
} bytes_s;

static void bytes_begin(dr_strategy *s, uint64_t exec_index)
{
    (void)exec_index;
    ((bytes_s *)s)->pos = 0;
}

static uint32_t bytes_choose(dr_strategy *s, const dr_choice_req *req)
{
    bytes_s *b = (bytes_s *)s;
    if (b->pos >= b->len)
        return 0;
    if (req->n <= 256)
        return b->data[b->pos++] % req->n;
    if (b->pos + 1 >= b->len) {
        b->pos = b->len;
        return 0;
    }
    uint32_t v = (uint32_t)b->data[b->pos] | (uint32_t)b->data[b->pos + 1] << 8;
    b->pos += 2;
    return v % req->n;
}

static bool no_more(dr_strategy *s, const dr_exec_result *r)
{
    (void)s;
    (void)r;
    return false;
}

dr_strategy *dr_strategy_bytes(const uint8_t *data, size_t len)
{
    bytes_s *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->base = (dr_strategy){"tape", DR_STRAT_TAPE, bytes_begin, bytes_choose, no_more, plain_destroy, false};
    b->data = data;
    b->len = len;
    return &b->base;
}

/* ---- values (minimizer candidates) ------------------------------------------------------ */

typedef struct {
    dr_strategy base;
    const dr_tape_rec *rec;
    size_t n, pos;
} values_s;

static void values_begin(dr_strategy *s, uint64_t exec_index)
{
    (void)exec_index;
    ((values_s *)s)->pos = 0;
}

static uint32_t values_choose(dr_strategy *s, const dr_choice_req *req)
{
    values_s *v = (values_s *)s;
    if (v->pos >= v->n)
        return 0;
    const dr_tape_rec *r = &v->rec[v->pos++];
    return r->kind == req->kind && r->value < req->n ? r->value : 0;
}

dr_strategy *dr_strategy_values(const dr_tape_rec *rec, size_t n)
{
    values_s *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->base = (dr_strategy){"tape", DR_STRAT_TAPE, values_begin, values_choose, no_more, plain_destroy, false};
    v->rec = rec;
    v->n = n;
    return &v->base;
}

/* ---- replay of a recorded tape ---------------------------------------------------------- */

typedef struct {
    dr_strategy base;
    const dr_tape *tape;
    size_t pos;
} replay_s;

static void replay_begin(dr_strategy *s, uint64_t exec_index)
{
    (void)exec_index;
    ((replay_s *)s)->pos = 0;
}

static const char *choice_kind_name(uint8_t k) { return k == DR_CHOICE_SCHED ? "scheduling" : "data"; }

static uint32_t replay_choose(dr_strategy *s, const dr_choice_req *req)
{
    replay_s *r = (replay_s *)s;
    /* A data-race tape stops where ThreadSanitizer reported: past its end
     * the run continues with the default choices (the report comes first). */
    if (r->pos >= r->tape->nrec && dr_tape_tsan_race(r->tape))
        return 0;
    if (r->pos >= r->tape->nrec) {
        dr__diverge("replay diverged at step %llu: the run asks for choice %zu but the tape holds only %zu",
                    (unsigned long long)G.steps, r->pos + 1, r->tape->nrec);
        return 0;
    }
    const dr_tape_rec *t = &r->tape->rec[r->pos];
    if (t->kind != req->kind || t->n != req->n) {
        dr__diverge("replay diverged at step %llu (choice %zu): the tape has a %s choice among %u, the run "
                    "offers a %s choice among %u",
                    (unsigned long long)G.steps, r->pos + 1, choice_kind_name(t->kind), t->n,
                    choice_kind_name(req->kind), req->n);
        return 0;
    }
    r->pos++;
    return t->value;
}

bool dr_replay_verify(const dr_strategy *s, const dr_exec_result *res, char *msg, size_t msglen)
{
    const replay_s *rr = (const replay_s *)s;
    if (dr_tape_tsan_race(rr->tape) && !res->diverged) {
        /* Only the recorded prefix is checked: the execution went on past
         * the point where ThreadSanitizer reported when it was recorded. */
        if (rr->pos < rr->tape->nrec) {
            snprintf(msg, msglen, "replay diverged: the run ended after %zu of the tape's %zu choices", rr->pos,
                     rr->tape->nrec);
            return false;
        }
        return true;
    }
    const replay_s *r = (const replay_s *)s;
    if (res->diverged) {
        snprintf(msg, msglen, "%s", res->diverge_msg);
        return false;
    }
    if (r->pos != r->tape->nrec) {
        snprintf(msg, msglen, "replay diverged: the run ended after %zu of the tape's %zu choices", r->pos,
                 r->tape->nrec);
        return false;
    }
    if (res->digest != r->tape->trace_digest) {
        snprintf(msg, msglen,
                 "replay diverged: same choices but a different trace (digest %016llx, tape recorded %016llx)",
                 (unsigned long long)res->digest, (unsigned long long)r->tape->trace_digest);
        return false;
    }
    return true;
}

dr_strategy *dr_strategy_replay(const dr_tape *tape)
{
    replay_s *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base = (dr_strategy){"replay", DR_STRAT_REPLAY, replay_begin, replay_choose, no_more, plain_destroy, false};
    r->tape = tape;
    return &r->base;
}
