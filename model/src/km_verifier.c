/* km_verifier.c: how the model reports what KMDF would do to a misbehaving
 * driver (bugchecks, verifier breaks, crashes), DDI entry (scheduling point
 * and IRQL check), driver assertions, and the kernel routines wdm.h drivers
 * call (IRQL, interlocked scheduling points). kmdf-model-spec.md, severity
 * vocabulary and section 5. */
#include "km.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

__attribute__((format(printf, 6, 0))) static bool report(dr_finding_kind kind, const char *cls, const char *check,
                                                        const char *api, const char *what,
                   const char *fmt, va_list ap)
{
    char title[160], msg[400];
    snprintf(title, sizeof title, "%s %s: %s: %s", cls, check, api, what);
    vsnprintf(msg, sizeof msg, fmt, ap);
    dr_fail_related(km_w.related, km_w.related_what);
    km_w.related = 0;
    dr_fail_rule(kind, check, title, "%s", msg);
    return true;
}

void km_related(uint32_t mark, const char *what)
{
    km_w.related = mark;
    km_w.related_what = what;
}

#define REPORT(kind, cls, check, api, what)                                                               \
    do {                                                                                                  \
        va_list ap;                                                                                       \
        va_start(ap, fmt);                                                                                \
        report(kind, cls, check, api, what, fmt, ap);                                                     \
        va_end(ap);                                                                                       \
    } while (0)

bool km_bugcheck(const char *check, ULONG code, const char *api, const char *what, const char *fmt, ...)
{
    char cls[48];
    snprintf(cls, sizeof cls, "BUGCHECK 0x10D/0x%X", (unsigned)code);
    REPORT(DR_FIND_FRAMEWORK, cls, check, api, what);
    return true;
}

bool km_vf_bugcheck(const char *check, ULONG code, const char *api, const char *what, const char *fmt, ...)
{
    if (!km_w.env.verifier) {
        km_w.related = 0;
        return false;
    }
    char cls[48];
    snprintf(cls, sizeof cls, "VF-BUGCHECK 0x10D/0x%X", (unsigned)code);
    REPORT(DR_FIND_FRAMEWORK, cls, check, api, what);
    return true;
}

bool km_vf_break(const char *check, const char *api, const char *what, const char *fmt, ...)
{
    if (!km_w.env.verifier) {
        km_w.related = 0;
        return false;
    }
    REPORT(DR_FIND_FRAMEWORK, "VF-BREAK", check, api, what);
    return true;
}

bool km_own_check(const char *check, const char *api, const char *what, const char *fmt, ...)
{
    REPORT(DR_FIND_CHECK, "CHECK", check, api, what);
    return true;
}

bool km_crash(const char *check, const char *api, const char *what, const char *fmt, ...)
{
    REPORT(DR_FIND_CRASH, "CRASH", check, api, what);
    return true;
}

bool km_kernel_bugcheck(const char *check, ULONG code, const char *api, const char *what, const char *fmt, ...)
{
    char cls[32];
    snprintf(cls, sizeof cls, "BUGCHECK 0x%X", (unsigned)code);
    REPORT(DR_FIND_FRAMEWORK, cls, check, api, what);
    return true;
}

bool km_oracle(const char *rule, const char *what, const char *fmt, ...)
{
    char title[160], msg[400];
    snprintf(title, sizeof title, "CHECK: %s", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dr_fail_related(km_w.related, km_w.related_what);
    km_w.related = 0;
    dr_fail_rule(DR_FIND_CHECK, rule, title, "%s", msg);
    return true;
}

static const char *irql_name(unsigned irql)
{
    return irql == PASSIVE_LEVEL ? "PASSIVE_LEVEL"
           : irql == APC_LEVEL   ? "APC_LEVEL"
           : irql == DISPATCH_LEVEL ? "DISPATCH_LEVEL"
                                    : "above DISPATCH_LEVEL";
}

static bool enter(const dr_site *site, unsigned max_irql, bool kmdf_checks)
{
    if (dr_failed())
        return false;
    dr_yield(site);
    if (dr_failed())
        return false;
    unsigned irql = dr_irql();
    if (irql <= max_irql)
        return true;
    /* At DIRQL (an ISR, an interrupt lock, EvtInterruptEnable) a DDI allowed
     * up to DISPATCH_LEVEL takes KMDF's object spin locks (FxObject::Lock:
     * KeAcquireSpinLock, mxlockkm.h MxLock::Acquire), which raise to
     * DISPATCH_LEVEL: raising to a lower IRQL is bug check 0x9
     * IRQL_NOT_GREATER_OR_EQUAL (KeRaiseIrql, Microsoft docs), verifier or
     * not. docs/model-interrupt.md, INT2. */
    if (irql > DISPATCH_LEVEL && max_irql == DISPATCH_LEVEL) {
        km_kernel_bugcheck("INT2", 0x9, site->name, "called above DISPATCH_LEVEL",
                           "%s at IRQL %u (allowed up to DISPATCH_LEVEL): the framework's spin lock raises to "
                           "DISPATCH_LEVEL, below the current IRQL: IRQL_NOT_GREATER_OR_EQUAL; defer the work "
                           "to EvtInterruptDpc (WdfInterruptQueueDpcForIsr)",
                           site->name, irql);
        return false;
    }
    if (kmdf_checks)
        return !km_vf_break("V33", site->name, "called above its maximum IRQL", "%s at %s (allowed up to %s)",
                            site->name, irql_name(irql), irql_name(max_irql));
    km_own_check("V33", site->name, "called above its maximum IRQL",
                 "%s at %s (documented up to %s); KMDF itself does not check this DDI's IRQL", site->name,
                 irql_name(irql), irql_name(max_irql));
    return false;
}

bool km_enter(const dr_site *site, unsigned max_irql) { return enter(site, max_irql, false); }

bool km_enter_irql_checked(const dr_site *site, unsigned max_irql) { return enter(site, max_irql, true); }

void km_trace(const dr_site *site, const km_object *o, int64_t value)
{
    static dr_kind kinds[KM_T__COUNT];
    if (!o) {
        dr_trace(site, NULL, 0, value);
        return;
    }
    dr_kind *k = &kinds[o->type];
    k->prefix = km_type_prefix(o->type);
    dr_trace(site, k, o->id, value);
}

void km_callback_irql_check(unsigned entry_irql, const char *callback, bool hooked)
{
    unsigned now = dr_irql();
    if (now == entry_irql)
        return;
    if (hooked)
        km_bugcheck("V34", WDF_VERIFIER_IRQL_MISMATCH, callback, "callback returned at another IRQL",
                    "%s entered at %s and returned at %s (a spin lock left held?)", callback, irql_name(entry_irql),
                    irql_name(now));
    else
        km_own_check("V34", callback, "callback returned at another IRQL",
                     "%s entered at %s and returned at %s (a spin lock left held?); KMDF's enhanced verifier "
                     "hooks only PnP/power and EvtIo* callbacks (vfeventhooks.cpp), not this one",
                     callback, irql_name(entry_irql), irql_name(now));
}

/* ---- driver assertions --------------------------------------------------------------------- */

void KmAssertFailed(const char *expr, const char *msg, const char *file, int line)
{
    /* The file name only: reports must not carry the build machine's paths. */
    const char *slash = strrchr(file, '/');
    if (slash)
        file = slash + 1;
    char title[160];
    snprintf(title, sizeof title, "NT_ASSERT: %s", msg ? msg : expr);
    dr_fail_rule(DR_FIND_ASSERT, "NT-ASSERT", title, "driver assertion failed: %s%s%s (%s:%d)", msg ? msg : "",
                 msg ? ": " : "", expr, file, line);
}

void KmAssertFailedW(const char *expr, const wchar_t *msg, const char *file, int line)
{
    char narrow[128];
    size_t i = 0;
    for (; msg && msg[i] && i + 1 < sizeof narrow; i++)
        narrow[i] = msg[i] < 0x80 ? (char)msg[i] : '?';
    narrow[i] = 0;
    KmAssertFailed(expr, msg ? narrow : NULL, file, line);
}

/* ---- kernel routines ------------------------------------------------------------------------ */

DR_SITE(site_interlocked, "Interlocked");

/* Interlocked* are sequentially consistent read-modify-writes: to the race
 * detector an atomic access that acquires and releases the location. */
void KmInterlockedPoint(const volatile void *p, size_t size)
{
    dr_yield(&site_interlocked);
    dr_check_access((const void *)(uintptr_t)p, size, true);
    dr_hb_atomic((const void *)(uintptr_t)p, size, DR_ATOMIC_RMW | DR_ATOMIC_ACQUIRE | DR_ATOMIC_RELEASE,
                 (uintptr_t)__builtin_return_address(0));
}

/* ReadAcquire, WriteRelease and the rest: the driver's access follows. The
 * no-fence forms are atomic and order nothing. */
void KmAtomicPoint(const volatile void *p, size_t size, unsigned order)
{
    dr_yield(&site_interlocked);
    dr_check_access((const void *)(uintptr_t)p, size, false);
    dr_hb_atomic((const void *)(uintptr_t)p, size,
                 (order & KM_ATOMIC_ACQUIRE ? DR_ATOMIC_ACQUIRE : 0u) |
                     (order & KM_ATOMIC_RELEASE ? DR_ATOMIC_RELEASE : 0u),
                 (uintptr_t)__builtin_return_address(0));
}

KIRQL KeGetCurrentIrql(void) { return (KIRQL)dr_irql(); }

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    KIRQL old = (KIRQL)dr_raise_irql(NewIrql);
    if (OldIrql)
        *OldIrql = old;
}

VOID KeLowerIrql(KIRQL NewIrql) { dr_lower_irql(NewIrql); }

ULONG KeGetCurrentProcessorNumber(void) { return dr_current_cpu(); }
