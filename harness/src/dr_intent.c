/* dr_intent.c: schedules recorded by meaning, and followed by it.
 *
 * A tape's choices are indices taken at scheduling points, and every driver
 * memory access is one: an edit of the driver, another optimisation level or
 * build flavour shifts every later index. So a traced run also records each
 * decision that a default would not take (a preemption, the pick when the
 * running task cannot go on, a data choice off its default) by what it
 * means: which task (by name and creation order among tasks of that name)
 * decided at which program point (the dr_site, and the driver's frame there:
 * its function and a hash of its line's text, from the CLI's point namer),
 * the how-many-th time that task reached that point, and what it picked (a
 * task or an event by name and order, the clock, a value). The follow
 * strategy (dr_strategy_follow) applies a decision when the same task reaches
 * the same point the same time; added or removed accesses elsewhere do not
 * move it (docs/replay.md).
 *
 * Points are counted at every scheduling step, whether or not it offered a
 * choice, and only in runs that record or follow (a campaign pays one test
 * per step). */
#include "dr_fiber.h"
#include "dr_hash.h"
#include "dr_internal.h"

#include <stdlib.h>
#include <string.h>

#define G dr__g

const char *dr_pick_type_name(dr_pick_type p)
{
    switch (p) {
#define DR_X(e, s)                                                                                         \
    case DR_PICK_##e:                                                                                      \
        return s;
        DR_PICK_TYPES(DR_X)
#undef DR_X
    case DR_PICK__COUNT:
        break;
    }
    return "?";
}

uint64_t dr_intent_pick_key(dr_pick_type type, const char *name, uint32_t ord)
{
    return dr_fmix(dr_mix(dr_mix(0x5049434bull + type, dr_fnv1a_str(name ? name : "")), ord));
}

uint64_t dr_intent_point_key(uint8_t kind, const char *site, const char *func, uint64_t text, uint32_t line)
{
    uint64_t h = dr_mix(0x504f494eull + kind, dr_fnv1a_str(site ? site : ""));
    h = dr_mix(h, dr_fnv1a_str(func ? func : ""));
    /* The line's text when the source was read; else its number. */
    return dr_fmix(dr_mix(h, text ? text : 0x4c494e45ull ^ ((uint64_t)line << 20)));
}

uint64_t dr_intent_loose_key(uint8_t kind, const char *site, const char *func)
{
    uint64_t h = dr_mix(0x4c4f4f53ull + kind, dr_fnv1a_str(site ? site : ""));
    return dr_fmix(dr_mix(h, dr_fnv1a_str(func ? func : "")));
}

static dr_point_namer_fn namer;
void dr_set_point_namer(dr_point_namer_fn fn) { namer = fn; }

/* ---- per execution ------------------------------------------------------------------- */

/* Occurrences of (who, point): open addressing, cleared per execution. A
 * full table counts every new pair as its first time (a run that long is
 * far past any tape's decisions). */
enum { OCC_SLOTS = 1 << 14 };
typedef struct {
    uint64_t key;
    uint32_t n;
} occ_slot;

static struct {
    bool record;
    occ_slot *occ;
    uint32_t nocc;
    dr_point_key pt;     /* the current point */
    dr_intent info;      /* and what names it (recording) */
    uint64_t keys[DR_MAX_OPTIONS];
    dr_intent *rec;
    size_t nrec, cap;
    bool oom;
} I;

bool dr__intent_active;

void dr__intent_begin(bool record, bool follow)
{
    dr__intent_active = record || follow;
    I.record = record;
    I.nrec = 0;
    I.oom = false;
    if (!dr__intent_active)
        return;
    if (!I.occ && !(I.occ = malloc(OCC_SLOTS * sizeof *I.occ))) {
        fprintf(stderr, "dmarace: out of memory for the schedule's points\n");
        abort();
    }
    memset(I.occ, 0, OCC_SLOTS * sizeof *I.occ);
    I.nocc = 0;
}

static uint32_t occ_bump(uint64_t key)
{
    key |= 1; /* 0 marks a free slot */
    for (uint32_t i = (uint32_t)key & (OCC_SLOTS - 1), k = 0; k < OCC_SLOTS; k++, i = (i + 1) & (OCC_SLOTS - 1)) {
        if (I.occ[i].key == key)
            return ++I.occ[i].n;
        if (!I.occ[i].key) {
            if (I.nocc >= OCC_SLOTS / 2)
                return 1;
            I.nocc++;
            I.occ[i] = (occ_slot){key, 1};
            return 1;
        }
    }
    return 1;
}

/* A task's identity: its name and how many tasks of that name were created
 * before it in this execution. */
static uint32_t task_ord(const dr_task *t)
{
    uint32_t ord = 0;
    for (const dr_task *u = G.tasks; u < t; u++)
        if (strcmp(u->name, t->name) == 0)
            ord++;
    return ord;
}

/* An armed event's: its name and how many armed before it have that name. */
static uint32_t event_ord(uint32_t i)
{
    uint32_t ord = 0;
    for (uint32_t k = 0; k < i; k++)
        if (strcmp(G.events[k]->name, G.events[i]->name) == 0)
            ord++;
    return ord;
}

void dr__intent_point(uint8_t kind, const dr_site *site)
{
    dr_task *me = G.cur;
    dr_intent *in = &I.info;
    in->kind = kind;
    in->step = G.steps;
    in->who = me ? me->name : "";
    in->who_ord = me ? task_ord(me) : 0;
    in->site = site ? site->name : "";
    dr_point_loc loc = {"", "", 0, 0};
    if (namer) {
        uintptr_t pc[DR_STACK_MAX];
        size_t n = dr__stack(pc, DR_STACK_MAX);
        /* Under TSan the namer runs as the main context, not as the simulated
         * processor whose point it names: its own work (instrumented code, libc
         * calls through TSan's interceptors) would otherwise fill that fiber's
         * history, and TSan reports a race only when it can restore the stack of
         * the earlier access from that history: a traced replay of a TSan race tape
         * went past the race silently. The stack itself is walked on the fiber. */
        void *was = dr_fiber_tsan_lend_main();
        if (!n || !namer(pc, n, &loc))
            loc = (dr_point_loc){"", "", 0, 0};
        dr_fiber_tsan_give_back(was);
    }
    in->func = loc.func;
    in->file = loc.file;
    in->line = loc.line;
    in->text = loc.text;
    I.pt.who = me ? dr_intent_pick_key(DR_PICK_TASK, in->who, in->who_ord) : dr_intent_pick_key(DR_PICK_TASK, "", 0);
    I.pt.point = dr_intent_point_key(kind, in->site, in->func, in->text, in->line);
    I.pt.occ = occ_bump(dr_mix(I.pt.who, I.pt.point));
    I.pt.loose = dr_intent_loose_key(kind, in->site, in->func);
    I.pt.looser = dr_intent_loose_key(kind, in->site, NULL);
    in->occ = I.pt.occ;
}

/* Option i's identity (SCHED): the task, the armed event, or the clock. */
static void option_ident(uint32_t actor, dr_pick_type *type, const char **name, uint32_t *ord)
{
    for (uint32_t i = 0; actor && i < G.ntasks; i++)
        if (G.tasks[i].id == actor) {
            *type = DR_PICK_TASK;
            *name = G.tasks[i].name;
            *ord = task_ord(&G.tasks[i]);
            return;
        }
    for (uint32_t i = 0; actor && i < G.nevents; i++)
        if (G.events[i]->actor == actor) {
            *type = DR_PICK_EVENT;
            *name = G.events[i]->name;
            *ord = event_ord(i);
            return;
        }
    *type = DR_PICK_CLOCK;
    *name = "";
    *ord = 0;
}

void dr__intent_request(dr_choice_req *req)
{
    req->point = &I.pt;
    req->option_keys = NULL;
    if (req->kind != DR_CHOICE_SCHED)
        return;
    for (uint32_t i = 0; i < req->n && i < DR_MAX_OPTIONS; i++) {
        dr_pick_type type;
        const char *name;
        uint32_t ord;
        option_ident(req->actors[i], &type, &name, &ord);
        I.keys[i] = dr_intent_pick_key(type, name, ord);
    }
    req->option_keys = I.keys;
}

void dr__intent_decided(const dr_choice_req *req, uint32_t v)
{
    if (!I.record || I.oom)
        return;
    bool essential = req->kind == DR_CHOICE_SCHED ? !req->has_cur || v != 0 : v != 0;
    if (!essential)
        return;
    if (I.nrec == I.cap) {
        size_t cap = I.cap ? I.cap * 2 : 64;
        dr_intent *r = realloc(I.rec, cap * sizeof *r);
        if (!r) {
            I.oom = true;
            return;
        }
        I.rec = r;
        I.cap = cap;
    }
    dr_intent x = I.info;
    x.kind = req->kind;
    x.choice = (uint32_t)req->index;
    if (req->kind == DR_CHOICE_DATA) {
        x.pick_type = DR_PICK_VALUE;
        x.pick = "";
        x.pick_ord = v;
    } else {
        dr_pick_type type;
        option_ident(req->actors[v], &type, &x.pick, &x.pick_ord);
        x.pick_type = (uint8_t)type;
    }
    I.rec[I.nrec++] = x;
}

const dr_intent *dr__intent_recorded(size_t *n, bool *complete)
{
    *n = I.nrec;
    *complete = I.record && !I.oom;
    return I.rec;
}
