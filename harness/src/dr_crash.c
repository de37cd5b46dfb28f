/* dr_crash.c: faults in driver code become crash findings (builds without
 * ASan or TSan, whose runtimes report faults themselves). */
#include "dr_fault.h"
#include "dr_internal.h"
#include "dr_poison.h"
#include "dr_sanitizer.h"

#include <signal.h>
#include <string.h>

/* ---- faults in driver code ---------------------------------------------------------
 * Without a sanitizer (which reports faults better), a SIGSEGV, SIGBUS, SIGFPE
 * or SIGILL while a task runs becomes a crash finding: the handler runs on an
 * alternate stack, unblocks the signal and abandons the task like dr_fail,
 * so the campaign goes on and the tape replays the fault. A fault outside a
 * task (the engine itself, or the main context) is fatal as usual. */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};

static void crash_handler(int sig, siginfo_t *si, void *uctx)
{
    const char *where;
    if (!dr__mode->crash_claim(&where)) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if (sig == SIGSEGV || sig == SIGBUS)
        dr__poison_fault(si->si_addr, uctx); /* a guard zone or freed memory */
    unsigned long offset = (unsigned long)((uintptr_t)si->si_addr & 0xfff);
    if (sig == SIGSEGV)
        DR_FAULT(SIGSEGV, offset, where);
    else if (sig == SIGBUS)
        DR_FAULT(SIGBUS, offset, where);
    else if (sig == SIGFPE)
        DR_FAULT(SIGFPE, offset, where);
    else
        DR_FAULT(SIGILL, offset, where);
}

bool dr_catches_crashes(void) { return !DR_ASAN && !DR_TSAN; }

void dr__install_crash_handler(void)
{
    if (!dr_catches_crashes())
        return;
    static bool installed;
    if (installed)
        return;
    installed = true;
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        sigaction(crash_signals[i], &sa, NULL);
}

