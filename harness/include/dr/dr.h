/* dr.h: the dmarace engine as seen by the model and by scenarios.
 *
 * One OS thread runs every simulated processor as fibers. Every decision (which
 * processor runs next, whether an event fires, any data choice the model makes)
 * goes through one choice function, so a run is a pure function of its tape.
 * The engine knows nothing about DMA: it offers processors with an IRQL, passive
 * threads, DPC queues, interrupts, spin locks, waits, one-shot environment events, a virtual
 * clock with timers, findings and a trace.
 *
 * Contract for callers: every dr_* function below may be called only from inside
 * an execution (from scenario setup/check in the main context, from a task, or
 * from an event handler), never from another OS thread. */
#ifndef DR_DR_H
#define DR_DR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    DR_MAX_CPUS = 8,      /* simulated processors */
    DR_MAX_TASKS = 256,   /* threads + DPC activations in one execution */
    DR_MAX_EVENTS = 64,   /* environment events armed at once */
    DR_MAX_OPTIONS = DR_MAX_TASKS + DR_MAX_EVENTS + 1,
};

/* IRQL numbering follows Windows on x64: device interrupts (DIRQL) run at
 * DR_DIRQL_MIN..DR_DIRQL_MAX. */
enum {
    DR_PASSIVE_LEVEL = 0,
    DR_APC_LEVEL = 1,
    DR_DISPATCH_LEVEL = 2,
    DR_DIRQL_MIN = 3,
    DR_DIRQL_MAX = 12,
    DR_HIGH_LEVEL = 15
};

/* A named program point. Declare with DR_SITE; the name is what traces and
 * digests use (never the address), so it must be stable across builds. */
typedef struct dr_site {
    const char *name;
    uint64_t hash; /* filled on first use */
    /* How the value of dr_trace at this site reads (an NTSTATUS as
     * "0xC0000120 STATUS_CANCELLED"), into buf; NULL: a decimal number. */
    const char *(*value_text)(int64_t value, char *buf, size_t len);
    /* The site whose latest trace event on the same object (kind and id)
     * caused an event at this one, by name: the timeline draws an arrow
     * from it (EvtRequestCancel's cause is IoCancelIrp); NULL: none. */
    const char *cause;
} dr_site;
#define DR_SITE(var, str) static dr_site var = {str, 0, NULL, NULL}
#define DR_SITE_TEXT(var, str, fn) static dr_site var = {str, 0, fn, NULL}
#define DR_SITE_CAUSED(var, str, cause_) static dr_site var = {str, 0, NULL, cause_}
#define DR_SITE_TEXT_CAUSED(var, str, fn, cause_) static dr_site var = {str, 0, fn, cause_}
/* The value of a trace event at site as text (its value_text, or decimal). */
const char *dr_site_value_text(const dr_site *site, int64_t value, char *buf, size_t len);

/* ---- notices ------------------------------------------------------------ */

/* A one-line fact about the scenario the user must see once per campaign
 * (e.g. what the model leaves unexplored), shown in the run's summary. A
 * text already noted is not added again; "; " joins distinct ones, up to
 * DR_NOTICE_MAX bytes. */
enum { DR_NOTICE_MAX = 1024 };
void dr_notice(const char *text);

/* ---- findings ----------------------------------------------------------- */

#define DR_FINDING_KINDS(X)                                                      \
    X(NONE, "none")                                                              \
    X(ASSERT, "assertion")        /* NT_ASSERT or a toy's own assert */         \
    X(CHECK, "check")             /* an oracle at the end of the execution */   \
    X(FRAMEWORK, "framework")     /* a KMDF check: bugcheck, verifier break */  \
    X(CRASH, "crash")             /* undefined behaviour the model detected */  \
    X(DEADLOCK, "deadlock")       /* nothing runnable, work outstanding */      \
    X(LIVELOCK, "livelock")       /* step budget exhausted */                   \
    X(DATA_RACE, "data-race")                                                   \
    X(HANG, "hang")               /* no progress: the supervisor killed it */

typedef enum {
#define DR_X(e, s) DR_FIND_##e,
    DR_FINDING_KINDS(DR_X)
#undef DR_X
        DR_FIND__COUNT
} dr_finding_kind;

const char *dr_finding_kind_name(dr_finding_kind k);

/* Report a finding and end the execution. From a task or event handler this
 * does not return. From the main context (setup/check) it records the finding
 * and returns; the execution is then over. `title` must be stable (it is the
 * dedup key together with `kind`): no step numbers, no pointers. */
void dr_fail(dr_finding_kind kind, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, naming the check that fired: `rule` is a short stable id (the
 * model's V15, C11, QSTOP4; the engine's DEADLOCK), carried as data to the
 * reports and to --expect=KIND:RULE, which matches it exactly. NULL or ""
 * is no rule. It is not part of the dedup key (the title is). */
void dr_fail_rule(dr_finding_kind kind, const char *rule, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What a rule means, for reports (SARIF's rule metadata): the model knows
 * its rules (V15, C11...), the engine its own (the faults' names). */
typedef struct dr_rule_info {
    const char *name;    /* a PascalCase name, e.g. CompleteWhileCancelable */
    const char *summary; /* one sentence: what the check is and what the framework does */
    const char *source;  /* where the real framework does it (its source file and function), or NULL */
    const char *doc_uri; /* the documentation page of the API it concerns, or NULL */
} dr_rule_info;
/* Fills *out for a rule it knows (strings that live as long as the
 * process; buf, of len bytes, may hold composed ones); false if unknown. */
typedef bool (*dr_rule_info_fn)(const char *rule, dr_rule_info *out, char *buf, size_t len);
/* Who describes the rules of findings not the engine's own (one per build:
 * the scenario table registers the model's). */
void dr_set_rule_info(dr_rule_info_fn fn);
/* A rule's description: the registered describer's, else the engine's own
 * rules (its faults); false when neither knows it. */
bool dr_rule_describe(const char *rule, dr_rule_info *out, char *buf, size_t len);

/* Marks where the running task is (in a traced run: replay, a report's
 * re-run; its stack and `what`, the DDI in progress or NULL; never in the
 * digest) and returns the mark, or 0 when not tracing. A model keeps the
 * mark of a step a later finding may relate to (a request's completion, an
 * object's delete). */
uint32_t dr_trace_mark(const char *what);
/* The finding raised next relates to the event at mark: reports name its
 * task, step and driver line, with `what` (a few words: "completed it
 * first", "freed it"). A mark of 0 clears it; a finding takes it once. */
void dr_fail_related(uint32_t mark, const char *what);

/* True once a finding has been recorded in this execution. */
bool dr_failed(void);

/* ---- scheduling points and choices ---------------------------------------- */

/* A scheduling point: another processor (or an event) may run here. */
void dr_yield(const dr_site *site);

/* A data choice among n alternatives (0 is the default a tape that ran out
 * gives). Returns a value in [0, n). n <= 1 returns 0 and records nothing. */
uint32_t dr_choose(const dr_site *site, uint32_t n);

/* ---- processors, IRQL, tasks ------------------------------------------------ */

typedef void (*dr_fn)(void *arg);

unsigned dr_cpus(void);          /* simulated processors in this execution */
unsigned dr_current_cpu(void);   /* 0 in the main context */
unsigned dr_irql(void);          /* current processor's IRQL */
unsigned dr_raise_irql(unsigned new_irql); /* returns the old IRQL */
void dr_lower_irql(unsigned irql);
bool dr_in_task(void);           /* false in the main context and in event handlers */
uint32_t dr_current_task(void);  /* task id (1..) or 0 */

/* A passive-level thread bound to `cpu`, runnable at once. Returns its id. */
uint32_t dr_thread_create(unsigned cpu, dr_fn fn, void *arg, const char *name);

/* A DPC: KDPC-like. Queue it to a processor; it runs at DISPATCH_LEVEL after
 * the DPCs queued before it on that processor. Queued to the current processor
 * below DISPATCH it runs at once (software interrupt); to another processor it
 * is delivered when the scheduler chooses. Returns false if already queued. */
typedef struct dr_dpc {
    dr_fn fn;
    void *arg;
    const char *name;
    uint32_t queued_task; /* engine-owned: task id while queued, else 0 */
    uint32_t exec;        /* engine-owned: execution the queued_task belongs to */
} dr_dpc;
void dr_dpc_init(dr_dpc *dpc, dr_fn fn, void *arg, const char *name);
bool dr_dpc_queue(dr_dpc *dpc, unsigned cpu);
bool dr_dpc_remove(dr_dpc *dpc); /* KeRemoveQueueDpc: true if it was queued */

/* Block the current task until ready(arg) returns true. The predicate is
 * evaluated by the scheduler and must not have side effects. */
typedef bool (*dr_ready_fn)(const void *arg);
void dr_wait(dr_ready_fn ready, const void *arg, const dr_site *site);
/* A model's explanation of a deadlock (fiber mode): when an execution ends
 * with a task still blocked and nothing left to run or fire, fn(arg) runs
 * in the main context before the engine reports its generic deadlock; a
 * finding it reports (dr_fail) stands instead, so a wait the model knows
 * can never end gets a stable title of its own. One explainer at a time;
 * cleared at the start of each execution. */
void dr_set_deadlock_explainer(dr_fn fn, void *arg);

/* The model calls this when a driver callback returns to it. In fiber mode it
 * does nothing; in real-thread mode (dr_rt.c) it takes the framework lock
 * again, which driver code runs without. */
void dr_framework_resume(void);

/* ---- interrupts: nested frames on a processor -------------------------------------
 *
 * An interrupt service routine (ISR) raised to a processor is pending until
 * the scheduler delivers it, at any decision while that processor runs below
 * the ISR's IRQL (the latency is a choice). Delivered, it preempts whatever
 * runs there (a passive thread, a thread holding a spin lock, a DPC mid-way,
 * an ISR of lower IRQL) and runs at its IRQL; the preempted task resumes when
 * the ISR returns, before anything else that processor had queued, except
 * DPCs the ISR queued to it, which run first when IRQL drops below
 * DISPATCH_LEVEL. An ISR raised again while it runs is pending again (a
 * level-triggered line still asserted). The engine knows no lines, vectors or
 * interrupt spin locks: the model's ISR function takes its lock with
 * dr_spin_acquire_at, so an ISR whose lock another processor holds spins. */
typedef struct dr_isr {
    dr_fn fn;
    void *arg;
    const char *name;
    unsigned irql;        /* DR_DIRQL_MIN..DR_HIGH_LEVEL */
    uint32_t queued_task; /* engine-owned: task id while pending, else 0 */
    uint32_t exec;        /* engine-owned: execution the queued_task belongs to */
} dr_isr;
void dr_isr_init(dr_isr *isr, dr_fn fn, void *arg, const char *name, unsigned irql);
/* Make the ISR pending on `cpu`. Returns false if it already is. */
bool dr_isr_raise(dr_isr *isr, unsigned cpu);
/* The request went away before delivery (a line deasserted, an interrupt
 * disabled): true if it was pending. */
bool dr_isr_withdraw(dr_isr *isr);
bool dr_isr_pending(const dr_isr *isr);

/* ---- spin locks ------------------------------------------------------------- */

/* A spin lock raises IRQL to DISPATCH_LEVEL; a processor spinning on a held
 * lock is not runnable until it is free. Re-acquiring a lock the same
 * processor holds is a deadlock finding. */
typedef struct dr_spinlock {
    uint32_t owner_task; /* 0 when free */
    uint32_t exec;       /* execution the owner belongs to */
    const char *name;
} dr_spinlock;
void dr_spinlock_init(dr_spinlock *lock, const char *name);
unsigned dr_spin_acquire(dr_spinlock *lock);        /* returns old IRQL */
/* The same at `irql` (>= DISPATCH_LEVEL): an interrupt spin lock at DIRQL. */
unsigned dr_spin_acquire_at(dr_spinlock *lock, unsigned irql);
void dr_spin_release(dr_spinlock *lock, unsigned old_irql);
bool dr_spin_held_by_me(const dr_spinlock *lock);

/* ---- environment events and the virtual clock -------------------------------- */

/* A one-shot event the scheduler may fire at any decision while armed (the
 * hardware finishing a transfer, the I/O manager cancelling a request). Its
 * handler runs in whatever context made the decision, must not block or
 * yield, and is disarmed before it runs. */
typedef struct dr_event {
    dr_fn fn;
    void *arg;
    const char *name;
    uint32_t actor;  /* engine-owned */
    uint32_t exec;   /* engine-owned */
    int16_t slot;    /* engine-owned */
} dr_event;
void dr_event_init(dr_event *ev, dr_fn fn, void *arg, const char *name);
void dr_event_arm(dr_event *ev);
bool dr_event_disarm(dr_event *ev); /* true if it was armed */
bool dr_event_armed(const dr_event *ev);

/* Virtual time in ticks. Time moves only when the scheduler chooses to fire
 * the earliest armed timer, which sets now to its due time. */
uint64_t dr_now(void);
typedef struct dr_vtimer {
    dr_fn fn;
    void *arg;
    const char *name;
    uint64_t due;
    uint64_t seq;   /* engine-owned: tie break */
    uint32_t exec;  /* engine-owned */
    bool armed;
} dr_vtimer;
void dr_vtimer_init(dr_vtimer *t, dr_fn fn, void *arg, const char *name);
bool dr_vtimer_set(dr_vtimer *t, uint64_t due); /* true if it was armed before */
bool dr_vtimer_cancel(dr_vtimer *t);           /* true if it was armed */

/* ---- stable identities and the trace ---------------------------------------- */

/* An object kind with a prefix ("REQ", "TX"): a trace event names an object
 * by its kind and an id the caller numbers (1, 2, ... per kind in creation
 * order within an execution), never by its address. */
typedef struct dr_kind {
    const char *prefix;
} dr_kind;

/* Append a model event to the trace (always folded into the digest; kept as
 * text only when tracing is on). `obj` is (kind, id) or NULL. */
void dr_trace(const dr_site *site, const dr_kind *kind, uint32_t id, int64_t value);

/* The driver's own messages (DbgPrint, WPP): append one line of text to the
 * trace at the current step, on the current processor. Not folded into the
 * digest and no scheduling point, so a driver's message text never changes a
 * schedule, a tape or a digest. Kept only when tracing (--trace, a finding's
 * report); real-thread mode keeps none. A line is cut to DR_LOG_LINE_MAX bytes
 * (marked "[...]"), trailing newlines are dropped, and an execution keeps at
 * most DR_LOG_MAX_LINES lines (then one line says the rest were left out).
 * dr_log_enabled() says whether a line would be kept: the model formats a
 * message only then. */
enum { DR_LOG_LINE_MAX = 160, DR_LOG_MAX_LINES = 4096 };
void dr_log(const char *text);
bool dr_log_enabled(void);

/* Called at every driver access to shared memory (before its scheduling
 * point), for oracles about memory (a buffer the device owns). Set by a
 * scenario's setup; cleared at the start of every execution. */
typedef void (*dr_access_observer_fn)(const void *addr, size_t size, bool write);
void dr_set_access_observer(dr_access_observer_fn fn);

/* Code that models hardware (a scenario's device model, called by the model
 * inside a register access) runs between these: its memory accesses are
 * neither scheduling points nor observed, as the hardware is no simulated
 * processor. Nests; reset at the start of every execution. */
void dr_hardware_begin(void);
void dr_hardware_end(void);

/* ---- poisoned memory ------------------------------------------------------------
 * Ranges a driver must not touch: guard zones around memory the model hands
 * out, and memory it freed. A driver load or store that touches one is a
 * crash finding titled "heap-buffer-overflow: <read|write> past a <what>"
 * (DR_POISON_AFTER), "... before a <what>" (DR_POISON_BEFORE) or
 * "use-after-free: <read of|write to> a freed <what>" (DR_POISON_FREED),
 * reported before the access happens (clang builds: the driver access hooks;
 * builds without them: a fault on a PROT_NONE page of a poisoned range, see
 * docs/model.md). In ASan builds the ranges are ASan-poisoned too. */
typedef enum { DR_POISON_AFTER, DR_POISON_BEFORE, DR_POISON_FREED } dr_poison_kind;

/* Writes the finding's detail for an access at addr in a range registered
 * with this cookie ("at offset 40 of REQ1's ..."). */
typedef void (*dr_poison_describe_fn)(uint32_t cookie, const void *addr, char *buf, size_t len);

/* Declare [base, base + size) (page aligned, up to 8 windows per process) as
 * memory that may hold poisoned ranges; accesses outside every window cost
 * one comparison. */
void dr_poison_window(void *base, size_t size);

/* Poison [addr, addr + size) (inside a window) until dr_poison_reset. `what`
 * names the memory in the title and must be stable ("WDF context"). A FREED
 * range remembers the step and task that freed it. */
void dr_poison(const void *addr, size_t size, dr_poison_kind kind, const char *what, dr_poison_describe_fn describe,
               uint32_t cookie);

/* Forget every poisoned range (and ASan-unpoison it): the owner of the
 * windows calls this at the start of each execution. */
void dr_poison_reset(void);

/* ---- happens-before edges (dr_hb.c, docs/races.md) --------------------------------
 * The one source of the ordering the kernel and the framework provide
 * between simulated processors: a release of `sync` by one task
 * happens-before every later acquire of `sync` by another. The engine gives
 * its own (spin locks, task creation, arming an event or timer); the model
 * gives KMDF's (its locks, as sections of model code). Two consumers take
 * them: the built-in race detector (fiber mode) and, in the tsan build,
 * ThreadSanitizer. */
void dr_hb_acquire(const void *sync);
void dr_hb_release(const void *sync);
/* An atomic access by driver code the model performs or announces
 * (Interlocked*, ReadAcquire, WriteRelease...), at pc (the driver's site).
 * A read-modify-write is checked at once; a load or store is announced, and
 * the driver's own access to addr that follows (its hook) is the atomic one.
 * Atomic accesses never race with each other; ACQUIRE and RELEASE order as
 * their names say on the location. */
enum {
    DR_ATOMIC_RMW = 1,
    DR_ATOMIC_ACQUIRE = 2,
    DR_ATOMIC_RELEASE = 4,
};
void dr_hb_atomic(const void *addr, size_t size, unsigned how, uintptr_t pc);

/* Check a driver access the access hooks do not see (an atomic operation
 * done for the driver): a poisoned range is reported as a driver load or
 * store would be. Does nothing outside a task. */
void dr_check_access(const void *addr, size_t size, bool write);

/* Mark an interesting race window as reached (counted per campaign). */
void dr_window(const dr_site *site);
/* Declare that the window at site could be reached in this execution (the
 * parties that make it exist): a campaign summary gives each window's reach
 * (executions that reached it over those that could) and warns about a
 * window declared possible and never reached. Reaching implies possible. */
void dr_window_possible(const dr_site *site);

/* ---- scenarios ---------------------------------------------------------------- */

typedef struct dr_scenario {
    const char *name;
    const char *summary;   /* one line: driver and environment */
    const char *expect;    /* "clean", a finding kind ("crash"), or kind:title-part ("crash:V13") */
    unsigned cpus;         /* default processors */
    unsigned max_cpus;     /* largest --cpus it accepts */
    uint32_t version;      /* bump when the scenario's meaning changes */
    void (*setup)(void);   /* main context: reset state, create tasks */
    void (*check)(void);   /* main context, after a normal end: oracles */
    const void *data;      /* the scenario's own description (a table row) */
    uint64_t budget;       /* executions within which --expect must see the verdict (0: 10000) */
} dr_scenario;

/* The scenario of the execution in progress (NULL outside one). */
const dr_scenario *dr_scenario_current(void);

/* Settings given on the command line (`dmarace run NAME --env "TEXT"`), for
 * the scenario's setup to apply on top of its own environment: NULL if none.
 * The engine carries the text without reading it: it is folded into the
 * scenario digest and recorded in tapes, so a replay applies it again. */
const char *dr_scenario_env(void);
/* Who checks such a text, before any execution (one per build: the
 * scenario table registers it): 0, or -1 with a one-line reason in err. */
typedef int (*dr_env_check_fn)(const dr_scenario *s, const char *text, char *err, size_t errlen);
void dr_set_env_check(dr_env_check_fn fn);

/* Register a scenario at load time (from a constructor). */
void dr_scenario_register(const dr_scenario *s);
#define DR_SCENARIO(var)                                                   \
    static void var##_register(void) __attribute__((constructor));         \
    static void var##_register(void) { dr_scenario_register(&var); }

/* Where a program's drivers' sources are. Each program with dmarace's CLI
 * in it defines dr_program once (DR_PROGRAM_PATHS): dmarace's own programs in
 * harness/cli/dr_program.c, a dmarace-<driver> program in the registration
 * file dmarace_add_driver generates (cmake/dmarace.cmake). Findings print
 * driver source paths relative to driver_root; files under tool_include (the
 * dmarace headers the driver was compiled with) are dmarace's, not the
 * driver's. */
typedef struct dr_program_paths {
    const char *driver_root;
    const char *tool_include;
} dr_program_paths;
extern const dr_program_paths dr_program;
#define DR_PROGRAM_PATHS(driver_root_, tool_include_)                      \
    const dr_program_paths dr_program = {driver_root_, tool_include_}

#ifdef __cplusplus
}
#endif
#endif
