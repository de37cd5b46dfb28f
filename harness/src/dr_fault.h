/* dr_fault.h: every finding the engine itself reports, in one table, for
 * both modes: its kind, its title (the dedup key with the kind, so it must
 * never drift between modes or releases: fiber-mode titles are folded into
 * trace digests) and its message. Raise one with DR_FAULT(NAME, args...):
 * the message's arguments are type-checked against the table's format.
 * Findings of the model (KMDF checks) and drivers are not here. */
#ifndef DR_FAULT_H
#define DR_FAULT_H

#include "dr/dr.h"

#include <stddef.h>

/* X(NAME, kind, title, message format, (parameters), (arguments)) */
#define DR_ENGINE_FAULTS(X)                                                                                  \
    X(TASK_LIMIT, LIVELOCK, "task limit reached (thread or DPC storm)", "more than %d tasks in one execution", \
      (int max), (max))                                                                                      \
    X(EVENT_LIMIT, LIVELOCK, "event limit reached", "more than %d events armed", (int max), (max))           \
    X(TIMER_LIMIT, LIVELOCK, "timer limit reached", "more than %d timers armed", (int max), (max))           \
    X(STEP_BUDGET, LIVELOCK, "livelock: step budget exhausted", "no quiescence after %llu steps",            \
      (unsigned long long steps), (steps))                                                                   \
    X(WALL_CLOCK, LIVELOCK, "livelock: real-thread execution did not finish",                                \
      "no quiescence within the execution's wall-clock limit of %g s", (double seconds), (seconds))          \
    X(DEADLOCK, DEADLOCK, "deadlock: nothing runnable, work outstanding",                                     \
      "%s on P%u is %s and nothing else can run", (const char *task, unsigned cpu, const char *state),      \
      (task, cpu, state))                                                                                    \
    X(WAIT_OUTSIDE_TASK, DEADLOCK, "blocking wait outside a task", "wait at %s cannot be satisfied",         \
      (const char *site), (site))                                                                            \
    X(SPIN_AGAIN, DEADLOCK, "spin lock acquired again on the processor that holds it",                       \
      "%s: %s holds it on P%u and %s spins on the same processor",                                           \
      (const char *lock, const char *owner, unsigned cpu, const char *spinner), (lock, owner, cpu, spinner)) \
    X(SPIN_NOT_HELD, CRASH, "spin lock released by a processor that does not hold it", "%s released by %s",  \
      (const char *lock, const char *task), (lock, task))                                                    \
    X(RAISE_IRQL_LOWER, CRASH, "KeRaiseIrql to a lower IRQL (bugcheck 0x9)", "raise from %u to %u",          \
      (unsigned from, unsigned to), (from, to))                                                              \
    X(LOWER_IRQL_HIGHER, CRASH, "KeLowerIrql to a higher IRQL (bugcheck 0xA)", "lower from %u to %u",        \
      (unsigned from, unsigned to), (from, to))                                                              \
    X(THREAD_NO_CPU, CRASH, "thread created on a processor that does not exist", "processor %u of %u",      \
      (unsigned cpu, unsigned ncpus), (cpu, ncpus))                                                          \
    X(DPC_NO_CPU, CRASH, "DPC queued to a processor that does not exist", "processor %u of %u",             \
      (unsigned cpu, unsigned ncpus), (cpu, ncpus))                                                          \
    X(ISR_NO_CPU, CRASH, "interrupt raised to a processor that does not exist", "processor %u of %u",       \
      (unsigned cpu, unsigned ncpus), (cpu, ncpus))                                                          \
    X(ISR_IRQL, CRASH, "interrupt at an IRQL that is no device IRQL", "%s at IRQL %u (%u to %u)",             \
      (const char *isr, unsigned irql, unsigned lo, unsigned hi), (isr, irql, lo, hi))                      \
    X(SIGSEGV, CRASH, "crash: SIGSEGV while a task ran", "SIGSEGV (fault at offset %#lx from page) in %s",   \
      (unsigned long offset, const char *where), (offset, where))                                            \
    X(SIGBUS, CRASH, "crash: SIGBUS while a task ran", "SIGBUS (fault at offset %#lx from page) in %s",      \
      (unsigned long offset, const char *where), (offset, where))                                            \
    X(SIGFPE, CRASH, "crash: SIGFPE while a task ran", "SIGFPE (fault at offset %#lx from page) in %s",      \
      (unsigned long offset, const char *where), (offset, where))                                            \
    X(SIGILL, CRASH, "crash: SIGILL while a task ran", "SIGILL (fault at offset %#lx from page) in %s",      \
      (unsigned long offset, const char *where), (offset, where))                                            \
    X(DATA_RACE, DATA_RACE, "data race (ThreadSanitizer)", "ThreadSanitizer reported a race %s",             \
      (const char *detail), (detail))                                                                        \
    X(RACE, DATA_RACE, "data race", "%s", (const char *detail), (detail))

/* The harness's other rules: findings whose title is made where they are
 * found (a poisoned range's, a dead process's) but whose rule is one of
 * these. X(NAME, what it means) */
#define DR_HARNESS_RULES(X)                                                                                  \
    X(USE_AFTER_FREE, "driver code read or wrote memory the model freed (a poisoned range: a request's "     \
                      "buffer, an object's context after its delete)")                                        \
    X(BUFFER_OVERFLOW, "driver code read or wrote past the end of memory the model handed it (a poisoned "   \
                       "red zone around a buffer)")                                                           \
    X(HANG, "an execution made no step for --exec-timeout seconds (a loop without scheduling points); the "  \
            "supervisor killed its process")                                                                 \
    X(SANITIZER, "a sanitizer (ASan, UBSan) reported in driver or model code and ended the process running " \
                 "the execution")                                                                            \
    X(PROCESS_DIED, "the process running the execution died of a signal the engine could not turn into a "   \
                    "finding itself (abort(), a fault outside a task)")                                       \
    X(PROCESS_EXIT, "the process running the execution exited (exit() in driver code)")

typedef enum {
#define DR_X(name, what) DR_RULE_##name,
    DR_HARNESS_RULES(DR_X)
#undef DR_X
} dr_harness_rule;
const char *dr__rule_name(dr_harness_rule r); /* "USE_AFTER_FREE" */

typedef enum {
#define DR_X(name, kind, title, fmt, params, args) DR_FAULT_##name,
    DR_ENGINE_FAULTS(DR_X)
#undef DR_X
} dr_fault;

const char *dr__fault_name(dr_fault f);  /* "TASK_LIMIT" */
const char *dr__fault_title(dr_fault f);
dr_finding_kind dr__fault_kind(dr_fault f);

/* dr__fault_msg_NAME(buf, len, args...): the fault's message. */
#define DR_X(name, kind, title, fmt, params, args)                                                           \
    void dr__fault_msg_##name(char *buf, size_t len, DR_FAULT_UNPAREN params);
#define DR_FAULT_UNPAREN(...) __VA_ARGS__
DR_ENGINE_FAULTS(DR_X)
#undef DR_X

/* Report an engine fault (dr_fail_rule, its rule the fault's name: from a
 * task it does not return). */
#define DR_FAULT(name, ...)                                                                                  \
    do {                                                                                                     \
        char dr_fault_msg_[256];                                                                             \
        dr__fault_msg_##name(dr_fault_msg_, sizeof dr_fault_msg_, __VA_ARGS__);                              \
        dr_fail_rule(dr__fault_kind(DR_FAULT_##name), dr__fault_name(DR_FAULT_##name),                     \
                     dr__fault_title(DR_FAULT_##name), "%s", dr_fault_msg_);                                 \
    } while (0)

#endif
