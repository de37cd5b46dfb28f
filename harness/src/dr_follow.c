/* dr_follow.c: following a tape's schedule by meaning (dr_intent.c,
 * docs/replay.md).
 *
 * The tape's decisions are taken in their order. The next one is taken when
 * its task reaches its point the how-many-th time the tape says; it picks
 * the task or event of the recorded identity (when that cannot run there,
 * the running task goes on, and the decision counts as unplayable). At
 * every other point the running task goes on, a data choice takes its
 * default, and when the running task cannot go on, the task that makes the
 * next recorded decision runs if it can (else the first that can). After
 * `limit` decisions, a continuation strategy (if any) decides. A decision
 * marked loose (dr_follow_loosen: the replay does, one step at a time,
 * for a decision whose exact point was never reached) is taken at the
 * first point of its kind, site and function its task reaches, or looser
 * still, of its kind and site. */
#include "dr_internal.h"

#include <stdlib.h>

typedef struct {
    dr_strategy base;
    const dr_tape *tape;
    size_t limit;
    dr_strategy *cont;
    uint64_t *who, *point, *pick, *loose_key, *looser_key; /* each decision's keys */
    uint8_t *loose; /* 0 exactly, 1 by kind, site and function, 2 by kind and site (dr_follow_loosen) */
    size_t pos, unplayable, nloose, nlooser;
} follow_s;

static void follow_begin(dr_strategy *s, uint64_t exec_index)
{
    follow_s *f = (follow_s *)s;
    f->pos = f->unplayable = f->nloose = f->nlooser = 0;
    if (f->cont)
        f->cont->begin(f->cont, exec_index);
}

static uint32_t key_option(const dr_choice_req *req, uint64_t key, bool *found)
{
    for (uint32_t i = 0; req->option_keys && i < req->n; i++)
        if (req->option_keys[i] == key) {
            *found = true;
            return i;
        }
    *found = false;
    return 0;
}

static uint32_t follow_choose(dr_strategy *s, const dr_choice_req *req)
{
    follow_s *f = (follow_s *)s;
    if (f->pos >= f->limit && f->cont)
        return f->cont->choose(f->cont, req);
    bool found;
    if (f->pos < f->limit && req->point) {
        const dr_intent *x = &f->tape->intent[f->pos];
        uint8_t l = f->loose[f->pos];
        bool match = x->kind == req->kind && f->who[f->pos] == req->point->who &&
                     (l == 2   ? f->looser_key[f->pos] == req->point->looser
                      : l == 1 ? f->loose_key[f->pos] == req->point->loose
                               : f->point[f->pos] == req->point->point && x->occ == req->point->occ);
        if (match) {
            f->nloose += l != 0;
            f->nlooser += l == 2;
            uint64_t key = f->pick[f->pos++];
            if (x->pick_type == DR_PICK_VALUE) {
                if (x->pick_ord < req->n)
                    return x->pick_ord;
                f->unplayable++;
                return 0;
            }
            uint32_t i = key_option(req, key, &found);
            if (!found)
                f->unplayable++;
            return i;
        }
    }
    if (req->kind == DR_CHOICE_SCHED && !req->has_cur && f->pos < f->limit) {
        uint32_t i = key_option(req, f->who[f->pos], &found);
        return found ? i : 0;
    }
    return 0;
}

static bool follow_end(dr_strategy *s, const dr_exec_result *res)
{
    follow_s *f = (follow_s *)s;
    return f->cont ? f->cont->end(f->cont, res) : false;
}

static void follow_destroy(dr_strategy *s)
{
    follow_s *f = (follow_s *)s;
    free(f->who);
    free(f->point);
    free(f->pick);
    free(f->loose_key);
    free(f->looser_key);
    free(f->loose);
    free(f);
}

dr_strategy *dr_strategy_follow(const dr_tape *tape, size_t limit, dr_strategy *cont)
{
    follow_s *f = calloc(1, sizeof *f);
    size_t n = tape->nintent ? tape->nintent : 1;
    if (f) {
        f->who = malloc(n * sizeof *f->who);
        f->point = malloc(n * sizeof *f->point);
        f->pick = malloc(n * sizeof *f->pick);
        f->loose_key = malloc(n * sizeof *f->loose_key);
        f->looser_key = malloc(n * sizeof *f->looser_key);
        f->loose = calloc(n, sizeof *f->loose);
    }
    if (!f || !f->who || !f->point || !f->pick || !f->loose_key || !f->looser_key || !f->loose) {
        if (f)
            follow_destroy(&f->base);
        return NULL;
    }
    f->base = (dr_strategy){"follow", DR_STRAT_TAPE, follow_begin, follow_choose, follow_end, follow_destroy, true};
    f->tape = tape;
    f->limit = limit < tape->nintent ? limit : tape->nintent;
    f->cont = cont;
    for (size_t i = 0; i < tape->nintent; i++) {
        const dr_intent *x = &tape->intent[i];
        f->who[i] = dr_intent_pick_key(DR_PICK_TASK, x->who, x->who_ord);
        f->point[i] = dr_intent_point_key(x->kind, x->site, x->func, x->text, x->line);
        f->pick[i] = dr_intent_pick_key((dr_pick_type)x->pick_type, x->pick, x->pick_ord);
        f->loose_key[i] = dr_intent_loose_key(x->kind, x->site, x->func);
        f->looser_key[i] = dr_intent_loose_key(x->kind, x->site, NULL);
    }
    return &f->base;
}

void dr_follow_get(const dr_strategy *s, dr_follow_status *out)
{
    const follow_s *f = (const follow_s *)s;
    *out = (dr_follow_status){f->pos, f->limit, f->unplayable, f->nloose, f->nlooser};
}

bool dr_follow_loosen(dr_strategy *s, size_t k)
{
    follow_s *f = (follow_s *)s;
    if (k >= f->limit || f->loose[k] == 2)
        return false;
    f->loose[k]++;
    return true;
}
