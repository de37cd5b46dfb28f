/* dr_exec.c: one execution from set-up to teardown. Every execution starts
 * from the same engine state (exec_teardown leaves it, and dr_run checks
 * it), so a run is a pure function of its tape whatever ran before it. */
#include "dr_hash.h"
#include "dr_fault.h"
#include "dr_hb.h"
#include "dr_internal.h"
#include "dr_mirror_hook.h"
#include "dr_quiet.h"

#include <stdlib.h>
#include <string.h>

dr_engine dr__g;
#define G dr__g

DR_SITE(site_start, "start");

/* No finding: the strings empty, without clearing their whole buffers (this
 * runs twice per execution). */
static void finding_clear(dr_finding *f)
{
    f->kind = DR_FIND_NONE;
    f->rule[0] = f->title[0] = f->message[0] = f->task_name[0] = 0;
    f->step = 0;
    f->task = 0;
    f->cpu = 0;
    f->npc = 0;
    f->related = 0;
    f->related_what[0] = 0;
}

static void exec_teardown(void);

static void engine_init(void)
{
    if (G.slots)
        return;
    uintptr_t warm[1];
    dr__stack(warm, 1); /* glibc loads its unwinder (libgcc_s) at the first backtrace: here, not in a fiber */
    dr__install_crash_handler();
    dr_fiber_init_main(&G.main_ctx);
    dr__access_anchor();
    G.slots_cap = DR_MAX_TASKS;
    G.slots = calloc(G.slots_cap, sizeof *G.slots);
    if (!G.slots) {
        fprintf(stderr, "dmarace: out of memory for the fiber pool\n");
        abort();
    }
    quiet_begin();
    exec_teardown(); /* the state every execution starts from */
    quiet_end();
}

void dr_engine_shutdown(void)
{
    for (uint32_t i = 0; i < G.nslots; i++) {
#if DR_TSAN
        /* A TSan fiber must not be destroyed inside an ignore region. */
        G.retiring = true;
        G.running_slot = &G.slots[i];
        dr_fiber_switch(&G.main_ctx, &G.slots[i].fiber, true, false);
        G.retiring = false;
        G.running_slot = NULL;
#endif
        dr_fiber_free(&G.slots[i].fiber);
    }
    free(G.slots);
    G.slots = NULL;
    G.nslots = G.slots_cap = 0;
    free(G.rec.rec);
    G.rec.rec = NULL;
    G.rec.n = G.rec.cap = 0;
    free(G.trace);
    G.trace = NULL;
    G.ntrace = G.trace_cap = 0;
    free(G.trace_stack);
    G.trace_stack = NULL;
    G.ntrace_stack = G.trace_stack_cap = 0;
}

/* Bring every fiber back to its start. A fiber that has run since it was
 * last prepared is somewhere the next execution must not resume it: in the
 * middle of a task abandoned by a finding or a deadlock, or inside the
 * scheduler called from task_exit after its task finished (an idle fiber
 * whose task pointer is already cleared: the step budget can run out right
 * there, or the execution can end with it waiting to be reused). Every such
 * fiber is re-prepared, whatever its task pointer says. Under TSan each gets
 * a synchronising round trip, so what it did happens-before the next
 * execution and its quiet depth is unwound on its own TSan context; finished
 * tasks released epoch_end themselves, and the main context acquires it. */
static DR_NO_TSAN void fibers_reset(void)
{
    for (uint32_t i = 0; i < G.nslots; i++) {
        dr_slot *s = &G.slots[i];
        s->task = NULL;
        if (s->at_start)
            continue;
        dr_fiber_prepare(&s->fiber, dr__fiber_main);
        s->at_start = true;
#if DR_TSAN
        G.pinging = true;
        G.running_slot = s;
        dr_fiber_switch(&G.main_ctx, &s->fiber, true, false);
        G.pinging = false;
        /* parked in dr__fiber_main's loop: the next switch in takes a task */
#endif
    }
    G.running_slot = NULL;
    TSAN_ACQUIRE(&G.epoch_end);
}

/* The engine state every execution starts from: every fiber at its start,
 * no task, nothing queued, no processor frame, nothing armed or running, the clock and every
 * counter at zero, no finding. dr_run calls it when an execution is over
 * (after the check, once the result is copied out), whatever the execution
 * did, so the next one cannot see anything of it. What dr_run's caller reads
 * afterwards (the recorded choices, the trace) is cleared when the next
 * execution begins. */
static DR_NO_TSAN void exec_teardown(void)
{
    fibers_reset();
    memset(G.tasks, 0, G.ntasks * sizeof G.tasks[0]);
    G.ntasks = 0;
    G.next_actor = 1;
    memset(G.cpu, 0, sizeof G.cpu);
    G.cur = NULL;
    G.in_handler = false;
    G.handler_origin = NULL;
    dr__clock_reset();
    G.steps = G.preemptions = 0;
    G.digest = 0;
    G.over = false;
    finding_clear(&G.finding);
    G.diverged = false;
    G.diverge_msg[0] = 0;
    G.scn = NULL;
    G.strat = NULL;
    dr_set_access_observer(NULL);
    dr_set_deadlock_explainer(NULL, NULL);
    dr__hardware_reset();
}

static dr_fn explainer;
static void *explainer_arg;

void dr_set_deadlock_explainer(dr_fn fn, void *arg)
{
    explainer = fn;
    explainer_arg = arg;
}

/* A harness bug check: an execution about to begin finds the state
 * exec_teardown leaves. Cheap (a few slots), so always on. */
static void exec_check_clean(void)
{
    bool ok = G.ntasks == 0 && !G.cur && !G.in_handler && !G.nevents && !G.ntimers && !G.over && !G.steps &&
              !G.running_slot && !G.handler_origin;
    for (uint32_t i = 0; ok && i < G.nslots; i++)
        ok = G.slots[i].at_start && !G.slots[i].task;
    for (unsigned c = 0; ok && c < DR_MAX_CPUS; c++)
        ok = !G.cpu[c].nframes && !G.cpu[c].dpc_head;
    if (!ok) {
        fprintf(stderr, "dmarace: internal error: an execution left engine state behind (%s:%d)\n", __FILE__,
                __LINE__);
        abort();
    }
}

uint32_t dr__exec_stamp(void) { return ++G.exec; }

int dr_run(const dr_scenario *s, const dr_run_config *cfg, dr_strategy *strat, uint64_t exec_index,
           dr_exec_result *res)
{
    unsigned cpus = cfg->cpus ? cfg->cpus : s->cpus;
    if (cpus < 1 || cpus > DR_MAX_CPUS || (s->max_cpus && cpus > s->max_cpus)) {
        fprintf(stderr, "dmarace: scenario %s cannot run on %u processors (1 to %u)\n", s->name, cpus,
                s->max_cpus ? s->max_cpus : DR_MAX_CPUS);
        return -1;
    }
    engine_init();
    quiet_begin();
    exec_check_clean();
    dr__exec_stamp();
    G.exec_index = exec_index;
    G.scn = s;
    G.strat = strat;
    G.ncpus = cpus;
    G.step_budget = cfg->step_budget ? cfg->step_budget : 100000;
    G.tracing = cfg->trace;
    G.digest = dr_scenario_digest(s, cpus);
    G.rec.n = 0;
    dr__mirror_begin();
    dr__trace_begin();
    dr__windows_begin();
    dr__hb_begin();
    dr__intent_begin(cfg->trace, strat->points);

    strat->begin(strat, exec_index);
    quiet_end();
    s->setup();
    quiet_begin();
    dr_hb_release(&G.epoch_start);
    if (!G.over)
        dr__schedule(&site_start);
    /* Back in the main context: the execution is over. */
    if (!G.over) {
        for (uint32_t i = 0; i < G.ntasks; i++) {
            dr_task *t = &G.tasks[i];
            if (t->state == DR_TASK_DONE)
                continue;
            G.cur = NULL;
            if (explainer) { /* the model may know why: its finding stands instead */
                quiet_end();
                explainer(explainer_arg);
                quiet_begin();
                if (G.over)
                    break;
            }
            DR_FAULT(DEADLOCK, t->name, t->cpu, t->state != DR_TASK_QUEUED ? "blocked" : t->is_isr ? "a pending interrupt" : "a queued DPC");
            break;
        }
    }
    /* Every task, finished or abandoned, before the check (TSan: the fibers'
     * round trips are the happens-before edges). */
    fibers_reset();
    if (!G.over && s->check) {
        quiet_end();
        s->check();
        quiet_begin();
    }
    G.cur = NULL;

    /* A clean execution (the usual case) copies no strings. */
    if (G.finding.kind != DR_FIND_NONE)
        res->finding = G.finding;
    else
        finding_clear(&res->finding);
    res->diverged = G.diverged;
    if (G.diverged)
        memcpy(res->diverge_msg, G.diverge_msg, sizeof res->diverge_msg);
    else
        res->diverge_msg[0] = 0;
    res->digest = dr_fmix(G.digest);
    res->steps = G.steps;
    res->choices = G.rec.n;
    res->preemptions = G.preemptions;
    exec_teardown();
    quiet_end();
    return 0;
}

bool dr_strategy_next(dr_strategy *s, const dr_exec_result *res) { return s->end(s, res); }

void dr_last_tape(dr_tape *t, const dr_scenario *s, unsigned cpus, dr_strategy_kind kind, uint64_t seed,
                  uint64_t exec_index, const dr_exec_result *res)
{
    memset(t, 0, sizeof *t);
    t->version = DR_TAPE_VERSION;
    t->scenario_digest = dr_scenario_digest(s, cpus);
    t->scenario_identity = dr_scenario_identity(s, cpus);
    t->trace_digest = res->digest;
    t->cpus = (uint8_t)cpus;
    t->strategy = (uint8_t)kind;
    t->seed = seed;
    t->exec_index = exec_index;
    snprintf(t->env, sizeof t->env, "%s", dr_scenario_env() ? dr_scenario_env() : "");
    snprintf(t->scenario, sizeof t->scenario, "%s", s->name);
    t->races = (uint8_t)dr_races_now();
    t->finding = res->finding.kind;
    snprintf(t->title, sizeof t->title, "%s", res->finding.title);
    t->nrec = G.rec.n;
    t->rec = malloc((G.rec.n ? G.rec.n : 1) * sizeof *t->rec);
    if (!t->rec) {
        fprintf(stderr, "dmarace: out of memory copying the tape\n");
        abort();
    }
    if (G.rec.n) /* an execution that ended before its first choice recorded nothing (and rec may be NULL) */
        memcpy(t->rec, G.rec.rec, G.rec.n * sizeof *t->rec);
}

int dr_last_intent(dr_tape *t)
{
    size_t n;
    bool complete;
    const dr_intent *in = dr__intent_recorded(&n, &complete);
    if (!complete)
        return -1;
    return dr_tape_set_intent(t, in, n);
}
