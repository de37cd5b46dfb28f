/* dr_internal.h: the engine's private interface, shared by the scheduler,
 * the strategies, the tape, the trace, the campaign driver and the CLI.
 * Nothing under model/ or scenarios/ includes this. */
#ifndef DR_INTERNAL_H
#define DR_INTERNAL_H

#include "dr/dr.h"
#include "dr/dr_engine.h"
#include "dr_fiber.h"

#include <stdarg.h>
#include <stdio.h>

/* What a scheduling option stands for. */
typedef enum { DR_OPT_TASK, DR_OPT_EVENT, DR_OPT_CLOCK } dr_opt_type;

typedef enum {
    DR_TASK_FREE,
    DR_TASK_READY,   /* runnable (started or not) */
    DR_TASK_QUEUED,  /* a DPC waiting in its processor's queue */
    DR_TASK_BLOCKED, /* waiting for a predicate */
    DR_TASK_DONE,
} dr_task_state;

typedef struct dr_slot dr_slot;

typedef struct dr_task {
    uint32_t id;       /* actor id, 1.. in creation order */
    uint8_t cpu;
    uint8_t is_dpc;
    uint8_t is_isr;
    uint8_t state;
    uint8_t irql;
    dr_fn fn;
    void *arg;
    const char *name;
    dr_ready_fn wait;
    const void *wait_arg;
    dr_slot *slot;      /* fiber running it, once started */
    const void *hb_from; /* TSan: sync address its start acquires (its creator's release) */
    struct dr_task *dpc_next;
    dr_dpc *dpc;
    dr_isr *isr;
} dr_task;

/* A pooled fiber. Fibers run fiber_main forever: they pick up a task, run it
 * to completion, and park until the scheduler hands them another. */
struct dr_slot {
    dr_fiber fiber;
    dr_task *task;  /* current task, NULL when idle */
    uint32_t quiet; /* TSan: engine-code nesting depth on this fiber */
    bool at_start;  /* parked where a switch into it starts a task cleanly:
                     * freshly prepared (or, under TSan, after its round trip) */
};

/* A processor's frames: the tasks that own it at DISPATCH_LEVEL or above, in
 * the order they took it (a thread that raised IRQL, a running DPC). Only the
 * top frame runs; the ones below resume, in turn, as the frames above them
 * end. */
enum { DR_MAX_FRAMES = 8 };
typedef struct dr_cpu {
    dr_task *frame[DR_MAX_FRAMES];
    uint8_t nframes;
    dr_task *dpc_head, *dpc_tail;
} dr_cpu;

static inline dr_task *dr__cpu_top(const dr_cpu *c) { return c->nframes ? c->frame[c->nframes - 1] : NULL; }

/* Strategy callbacks (dr_strategy.c). */
struct dr_strategy {
    const char *name;
    dr_strategy_kind kind;
    void (*begin)(dr_strategy *s, uint64_t exec_index);
    uint32_t (*choose)(dr_strategy *s, const dr_choice_req *req);
    bool (*end)(dr_strategy *s, const dr_exec_result *res); /* false: no more executions */
    void (*destroy)(dr_strategy *s);
    bool points; /* it reads dr_choice_req.point (schedules by meaning are computed) */
};

/* The tape being recorded for the current execution. */
typedef struct dr_rec_buf {
    dr_tape_rec *rec;
    size_t n, cap;
} dr_rec_buf;

/* Per-campaign race-window counters. */
typedef struct dr_window_stat {
    const dr_site *site;
    uint64_t count;          /* executions that reached it */
    uint64_t possible;       /* executions that declared it possible (or reached it) */
    bool hit_this_exec, possible_this_exec;
} dr_window_stat;


/* The engine's whole state. One per process (fiber mode). */
typedef struct dr_engine {
    /* configuration of the current execution */
    const dr_scenario *scn;
    dr_strategy *strat;
    unsigned ncpus;
    uint64_t step_budget;
    bool tracing;
    uint32_t exec;           /* execution counter, stamps engine-owned fields */
    uint64_t exec_index;

    /* run state */
    dr_fiber main_ctx;
    dr_task tasks[DR_MAX_TASKS];
    uint32_t ntasks;         /* tasks used this execution */
    uint32_t next_actor;     /* actor ids: tasks and events share them */
    dr_cpu cpu[DR_MAX_CPUS];
    dr_task *cur;            /* running task, NULL in the main context */
    bool in_handler;         /* an event handler or timer is running */
    dr_event *events[DR_MAX_EVENTS];
    uint32_t nevents;
    dr_vtimer *timers[DR_MAX_EVENTS];
    uint32_t ntimers;
    uint64_t now;
    uint64_t timer_seq;
    uint64_t steps;
    uint64_t preemptions;
    uint64_t digest;
    bool over;               /* finding or divergence: stop scheduling */
    dr_finding finding;
    bool diverged;
    char diverge_msg[256];

    /* fiber pool */
    dr_slot *slots;
    uint32_t nslots, slots_cap;

    /* recording */
    dr_rec_buf rec;
    dr_trace_rec *trace;
    uint32_t related;          /* dr_fail_related: the mark the next finding takes */
    const char *related_what;
    size_t ntrace, trace_cap;
    uintptr_t *trace_stack;  /* the traced records' return addresses (dr_trace_rec.stack) */
    size_t ntrace_stack, trace_stack_cap;
    char *logtext;           /* dr_log lines, NUL-terminated, one after another */
    size_t loglen, logcap;
    uint32_t nlog;           /* lines kept this execution */

    /* campaign-wide */
    dr_window_stat windows[DR_MAX_WINDOWS];
    uint32_t nwindows;

    /* where the engine itself is */
    dr_slot *running_slot;      /* fiber executing now; NULL: main context */
    /* TSan: the object whose arming a running handler stands for. Work the
     * handler starts (a DPC, a thread) happens after the arming, not after
     * whatever task happened to make the scheduling decision. */
    const void *handler_origin;
    bool pinging;               /* TSan: round trips with abandoned fibers */
    bool retiring;              /* shutdown: fibers unwind their quiet depth and stop */
    uint32_t main_quiet;        /* TSan: engine-code nesting depth in the main context */
    char epoch_start, epoch_end; /* TSan: sync addresses of the execution boundaries */
} dr_engine;

extern dr_engine dr__g;

/* The one choice function: every decision of every kind goes through here. */
uint32_t dr__decide(uint8_t kind, const dr_site *site, uint32_t n, const uint32_t *actors, bool has_cur,
                    uint32_t n_tasks);

/* Schedules by meaning (dr_intent.c): on for a run that records them (a
 * traced one) or follows them; the point of each scheduling step and data
 * choice, a decision's request filled in, and the decision recorded. */
void dr__intent_begin(bool record, bool follow);
extern bool dr__intent_active; /* read at every step: a global, not a call */
static inline bool dr__intent_on(void) { return dr__intent_active; }
void dr__intent_point(uint8_t kind, const dr_site *site);
void dr__intent_request(dr_choice_req *req);
void dr__intent_decided(const dr_choice_req *req, uint32_t v);
const dr_intent *dr__intent_recorded(size_t *n, bool *complete);

/* A replay strategy that found the run going another way ends it here. */
void dr__diverge(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Keeps dr_access.o (the driver access hooks) in every link. */
void dr__access_anchor(void);

/* The scheduler (dr_sched.c): decide who runs next and run it (from a task at
 * a scheduling point, or from the main context to start an execution); the
 * entry every fiber runs. */
void dr__schedule(const dr_site *site);
void dr__fiber_main(void);
void dr__dpc_init(dr_dpc *dpc, dr_fn fn, void *arg, const char *name);
void dr__spinlock_init(dr_spinlock *lock, const char *name);

/* Events and the clock (dr_clock.c): fire one armed event, or the earliest
 * timer, from the scheduler. */
void dr__fire_event(dr_event *ev);
void dr__fire_timer(void);
void dr__event_init(dr_event *ev, dr_fn fn, void *arg, const char *name);
void dr__vtimer_init(dr_vtimer *t, dr_fn fn, void *arg, const char *name);

/* Trace helpers (dr_trace.c). dr__note folds one engine step into the
 * digest (and the trace, when tracing); dr__fiber_trace is dr_trace in
 * fiber mode; dr__window_note counts a race window (both modes);
 * dr__trace_begin clears the trace and coverage for a new execution. */
void dr__note_full(uint8_t type, const dr_site *site, uint32_t other, const char *what);
void dr__fiber_trace(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value);
void dr__window_note(const dr_site *site, bool reached);
void dr__trace_begin(void);
uint64_t dr__site_hash(const dr_site *site);
void dr__trace_add(const dr_trace_rec *r);
/* dr_log in fiber mode; the text of a DR_TR_LOG record. */
void dr__fiber_log(const char *text);
uint32_t dr__fiber_trace_mark(const char *what);             /* dr_trace_mark */
void dr__fiber_fail_related(uint32_t mark, const char *what); /* dr_fail_related */
bool dr__fiber_log_enabled(void);
void dr__trace_finding(const char *title);             /* keep the title of the finding just noted */
/* The record just noted (DR_TR_SCHED, DR_TR_CHOICE) realised the tape's last
 * choice: pick of n options. A pick off the default (0) keeps the caller's
 * stack, where the running task was (traced runs only). */
void dr__trace_choice(uint32_t pick, uint32_t n, bool has_cur);
/* Give trace record `mark` (1-based) the running task's stack if it has none
 * (a scheduling point's record has one only when it preempted): the race
 * detector relates a race to the earlier access's record. Traced runs only. */
void dr__trace_stack_at(uint32_t mark);
/* The return addresses of the calling stack, innermost first, at most max
 * (glibc's backtrace: the CFI unwinder, so no frame pointers are needed; a
 * fiber's stack ends at its entry's null return address). */
size_t dr__stack(uintptr_t *out, size_t max);

/* Armed events and timers (dr_clock.c), shared by both modes. Arm, disarm,
 * set and cancel change the armed sets; dr__clock_options counts what may
 * fire (each armed event, and the clock when a timer is armed); take removes
 * option k (event k, or k == the number of events: the earliest timer,
 * advancing the clock to it) and returns its handler and the object it
 * stands for; reset disarms everything and sets the clock to 0. */
void dr__event_arm(dr_event *ev);
bool dr__event_disarm(dr_event *ev);
bool dr__vtimer_set(dr_vtimer *t, uint64_t due);
bool dr__vtimer_cancel(dr_vtimer *t);
uint32_t dr__clock_options(void);
const void *dr__clock_take(uint32_t k, dr_fn *fn, void **arg);
void dr__clock_reset(void);

/* Race-window counters: a new execution has hit none yet (dr_trace.c). */
void dr__windows_begin(void);
/* The engine's execution stamp (dr_exec.c): a new execution, of either mode,
 * takes the next one, so objects stamped by an older one read as reset. */
uint32_t dr__exec_stamp(void);

/* ---- one execution model, two modes ------------------------------------------------
 * Every entry point of dr.h that depends on how processors are simulated
 * calls through the current mode's operations (dr_api.c): fibers (dr_sched.c,
 * dr_clock.c; the default) or real threads (dr_rt.c, while dr_rt_run runs an
 * execution). A mode never branches on the other. */
typedef struct dr_mode_ops {
    const char *name;
    bool quiet; /* entry points run engine code TSan-quiet (fiber mode, one OS thread) */
    void (*fail)(dr_finding_kind kind, const char *rule, const char *title, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));
    bool (*failed)(void);
    const dr_scenario *(*scenario)(void);
    void (*framework_resume)(void);
    unsigned (*cpus)(void);
    unsigned (*current_cpu)(void);
    bool (*in_task)(void);
    uint32_t (*current_task)(void);
    unsigned (*irql)(void);
    void (*yield)(const dr_site *site);
    uint32_t (*choose)(const dr_site *site, uint32_t n);
    unsigned (*raise_irql)(unsigned irql);
    void (*lower_irql)(unsigned irql);
    uint32_t (*thread_create)(unsigned cpu, dr_fn fn, void *arg, const char *name);
    bool (*dpc_queue)(dr_dpc *dpc, unsigned cpu);
    bool (*dpc_remove)(dr_dpc *dpc);
    bool (*isr_raise)(dr_isr *isr, unsigned cpu);
    bool (*isr_withdraw)(dr_isr *isr);
    bool (*isr_pending)(const dr_isr *isr);
    void (*wait)(dr_ready_fn ready, const void *arg, const dr_site *site);
    bool (*spin_held_by_me)(const dr_spinlock *lock);
    unsigned (*spin_acquire)(dr_spinlock *lock, unsigned irql); /* irql >= DISPATCH_LEVEL */
    void (*spin_release)(dr_spinlock *lock, unsigned old_irql);
    void (*event_arm)(dr_event *ev);
    bool (*event_disarm)(dr_event *ev);
    bool (*vtimer_set)(dr_vtimer *t, uint64_t due);
    bool (*vtimer_cancel)(dr_vtimer *t);
    void (*trace)(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value);
    void (*window)(const dr_site *site, bool reached); /* false: declared possible */
    void (*log)(const char *text);
    bool (*log_enabled)(void);
    uint32_t (*trace_mark)(const char *what);
    void (*fail_related)(uint32_t mark, const char *what);
    /* a driver memory access (dr_access.c), not through dr_api.c */
    void (*access)(const void *addr, size_t size, bool write, dr_access_observer_fn observer);
    /* a fault signal (dr_crash.c): true if it may become a crash finding
     * here, with where it happened; the mode gets ready for dr_fail */
    bool (*crash_claim)(const char **where);
    /* ThreadSanitizer is about to report (dr_tsan_report.c) */
    void (*tsan_report)(void *report);
} dr_mode_ops;

extern const dr_mode_ops dr__fiber_ops; /* dr_sched.c */
extern const dr_mode_ops dr__rt_ops;    /* dr_rt.c */
extern const dr_mode_ops *dr__mode;     /* the current one (dr_api.c) */

/* Fiber mode's pieces defined outside dr_sched.c. */
void dr__fiber_access(const void *addr, size_t size, bool write, dr_access_observer_fn observer);
void dr__hardware_reset(void); /* dr_access.c: no hardware section open */
void dr__fiber_tsan_report(void *report);

/* Crash catching (builds without ASan/TSan): the handler, installed once. */
void dr__install_crash_handler(void);

/* dr__note inline: it runs at every engine step, and was inlined into the
 * scheduler before the engine was split by file. The digest fold is here;
 * the trace record and the fuzz build's interleaving coverage are in
 * dr__note_full (dr_trace.c). */
#ifndef DR_INTERLEAVING_COVERAGE
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define DR_INTERLEAVING_COVERAGE 1
#else
#define DR_INTERLEAVING_COVERAGE 0
#endif
#endif
#include "dr_hash.h"
static inline void dr__note(uint8_t type, const dr_site *site, uint32_t other, const char *what)
{
    if (DR_INTERLEAVING_COVERAGE || dr__g.tracing) {
        dr__note_full(type, site, other, what);
        return;
    }
    const dr_task *me = dr__g.cur;
    uint64_t h = dr_mix(dr__g.digest, ((uint64_t)type << 56) | ((uint64_t)(me ? me->id : 0) << 24) | other);
    if (site)
        h = dr_mix(h, site->hash ? site->hash : dr__site_hash(site));
    dr__g.digest = h;
}

#endif
