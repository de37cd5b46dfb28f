/* km_wdm.c: the WDM kernel routines of km_wdk.h that have behaviour: the
 * pool (guarded allocations, Driver Verifier's IRQL and free checks, a leak
 * oracle), PAGED_CODE's IRQL check, KSPIN_LOCK on the harness's spin locks,
 * KEVENT and KeWaitForSingleObject, and the time queries on the virtual
 * clock. Windows' behaviour, from
 * learn.microsoft.com: Bug Check 0xC4 (DRIVER_VERIFIER_DETECTED_VIOLATION)
 * for the pool's parameter-1 codes, Bug Check 0xC2 (BAD_POOL_CALLER), and
 * the pages of ExAllocatePool2, KeWaitForSingleObject, KeSetEvent,
 * KeStallExecutionProcessor and KeQueryPerformanceCounter. docs/model.md, "WDM routines". */
#include "km.h"
#include "km_hb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- findings: Driver Verifier's, not KMDF's --------------------------------------------------- */

static const char *irql_name(unsigned irql)
{
    return irql == PASSIVE_LEVEL ? "PASSIVE_LEVEL"
           : irql == APC_LEVEL   ? "APC_LEVEL"
           : irql == DISPATCH_LEVEL ? "DISPATCH_LEVEL"
                                    : "above DISPATCH_LEVEL";
}

/* Titled "DV-BUGCHECK 0xC4/0x<p1> POOL: <api>: <what>": the bugcheck Driver
 * Verifier raises (its checks are taken as on for the driver under test). */
__attribute__((format(printf, 4, 5))) static void dv_bugcheck(unsigned p1, const char *api, const char *what,
                                                              const char *fmt, ...)
{
    char title[160], msg[400];
    snprintf(title, sizeof title, "DV-BUGCHECK 0xC4/0x%X POOL: %s: %s", p1, api, what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dr_fail_rule(DR_FIND_FRAMEWORK, "POOL", title, "%s", msg);
}

/* ---- PAGED_CODE ------------------------------------------------------------------------------------- */

/* Pageable code run above APC_LEVEL: the page may be out, and a page fault at
 * DISPATCH_LEVEL is Bug Check 0xD1 (DRIVER_IRQL_NOT_LESS_OR_EQUAL); Driver
 * Verifier's "Force IRQL checking" pages pageable code out whenever IRQL
 * rises, so that it happens every time. The WDK's PAGED_CODE() asserts the
 * same in checked builds. */
VOID KmPagedCode(const char *function)
{
    if (dr_failed())
        return;
    unsigned irql = dr_irql();
    if (irql <= APC_LEVEL)
        return;
    char title[160];
    snprintf(title, sizeof title, "DV-BUGCHECK 0xD1 PAGED_CODE: %s: pageable code run above APC_LEVEL", function);
    dr_fail_rule(DR_FIND_FRAMEWORK, "PAGED-CODE", title,
                 "%s (PAGED_CODE) ran at %s: pageable code may be paged out, and touching it above APC_LEVEL is "
                 "bug check 0xD1 (Driver Verifier's IRQL checking makes it happen every time)",
                 function, irql_name(irql));
}

/* ---- the pool ------------------------------------------------------------------------------------------ */

enum { POOL_MAX = 4096 };

typedef struct pool_rec {
    void *p;
    size_t size;
    uint32_t mem;    /* km_alloc id */
    ULONG tag;
    bool paged;
    bool freed;
    bool io;         /* allocated after the driver was up (km_wdm_setup_done) */
    const char *api;
    const char *free_api; /* the routine that must free it: NULL for ExFreePool* */
} pool_rec;

static struct {
    pool_rec recs[POOL_MAX];
    unsigned n;
    bool setup_done;
    uint64_t stall_ticks; /* virtual time spent in KeStallExecutionProcessor */
} W;

DR_SITE(site_pool_alloc, "ExAllocatePool");
DR_SITE(site_pool_fails, "pool-allocation-fails"); /* 0 it succeeds, 1 it returns NULL */
DR_SITE(site_pool_free, "ExFreePool");
DR_SITE(site_stall, "KeStallExecutionProcessor");

static void tag_text(ULONG tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((tag >> (8 * i)) & 0xff);
        out[i] = c >= 0x20 && c < 0x7f ? c : '.';
    }
    out[4] = 0;
}

static PVOID pool_alloc(const char *api, bool paged, bool zero, bool may_fail, SIZE_T size, ULONG tag,
                        unsigned type_value)
{
    if (dr_failed())
        return NULL;
    dr_yield(&site_pool_alloc);
    if (dr_failed())
        return NULL;
    unsigned irql = dr_irql();
    if (paged && irql > APC_LEVEL) {
        dv_bugcheck(0x1, api, "paged pool allocated above APC_LEVEL", "%s of %zu bytes of paged pool (type %u) at %s",
                    api, (size_t)size, type_value, irql_name(irql));
        return NULL;
    }
    if (!paged && irql > DISPATCH_LEVEL) {
        dv_bugcheck(0x2, api, "nonpaged pool allocated above DISPATCH_LEVEL",
                    "%s of %zu bytes of nonpaged pool (type %u) at %s", api, (size_t)size, type_value,
                    irql_name(irql));
        return NULL;
    }
    if (size == 0) {
        dv_bugcheck(0x0, api, "zero-byte pool allocation", "%s of 0 bytes (pool type %u) at %s", api, type_value,
                    irql_name(irql));
        return NULL;
    }
    if (may_fail && km_w.env.pool_failure && dr_choose(&site_pool_fails, 2) == 1)
        return NULL;
    if (W.n == POOL_MAX) {
        fprintf(stderr, "dmarace: more than %u pool allocations in one execution\n", (unsigned)POOL_MAX);
        abort();
    }
    uint32_t id;
    void *p = km_alloc(size, 16, "pool allocation", NULL, NULL, &id);
    if (!zero) /* uninitialized pool: not the zeroes a driver might rely on */
        memset(p, 0xA5, size);
    W.recs[W.n++] = (pool_rec){p, size, id, tag, paged, false, W.setup_done, api, NULL};
    return p;
}

static bool pool_paged(POOL_TYPE type) { return ((unsigned)type & 1) != 0; }

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    /* Exactly one pool kind is required; anything else fails (returns NULL). */
    POOL_FLAGS kind = Flags & (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED);
    if (kind != POOL_FLAG_NON_PAGED && kind != POOL_FLAG_NON_PAGED_EXECUTE && kind != POOL_FLAG_PAGED)
        return NULL;
    return pool_alloc("ExAllocatePool2", kind == POOL_FLAG_PAGED, !(Flags & POOL_FLAG_UNINITIALIZED),
                      !(Flags & POOL_FLAG_RAISE_ON_FAILURE), NumberOfBytes, Tag, (unsigned)kind);
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return pool_alloc("ExAllocatePoolWithTag", pool_paged(PoolType), false, true, NumberOfBytes, Tag,
                      (unsigned)PoolType);
}

PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return pool_alloc("ExAllocatePoolUninitialized", pool_paged(PoolType), false, true, NumberOfBytes, Tag,
                      (unsigned)PoolType);
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return pool_alloc("ExAllocatePoolZero", pool_paged(PoolType), true, true, NumberOfBytes, Tag,
                      (unsigned)PoolType);
}

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return pool_alloc("ExAllocatePool", pool_paged(PoolType), false, true, NumberOfBytes, 0x656e6f4e /* "None" */,
                      (unsigned)PoolType);
}

static bool same_free_api(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static void pool_free(const char *api, PVOID P, bool check_tag, ULONG tag, const char *free_api)
{
    if (dr_failed())
        return;
    dr_yield(&site_pool_free);
    if (dr_failed())
        return;
    pool_rec *r = NULL;
    for (unsigned i = W.n; i-- > 0;)
        if (W.recs[i].p == P) {
            r = &W.recs[i];
            break;
        }
    unsigned irql = dr_irql();
    if (!r) {
        dv_bugcheck(0x10, api, "freed an address no allocation returned",
                    "%s(%p) at %s: not an address ExAllocatePool* returned", api, P, irql_name(irql));
        return;
    }
    char t[5];
    tag_text(r->tag, t);
    if (r->freed) {
        dv_bugcheck(0x13, api, "pool freed twice", "%s of a %zu-byte allocation (tag '%s', from %s) already freed",
                    api, r->size, t, r->api);
        return;
    }
    if (!same_free_api(r->free_api, free_api)) {
        km_own_check("MEMORY", api, "freed with another routine than its allocator's",
                     "%s of %zu bytes from %s, which %s must free", api, r->size, r->api,
                     r->free_api ? r->free_api : "ExFreePool*");
        return;
    }
    if (r->paged && irql > APC_LEVEL) {
        dv_bugcheck(0x11, api, "paged pool freed above APC_LEVEL", "%s of paged pool (tag '%s') at %s", api, t,
                    irql_name(irql));
        return;
    }
    if (!r->paged && irql > DISPATCH_LEVEL) {
        dv_bugcheck(0x12, api, "nonpaged pool freed above DISPATCH_LEVEL", "%s of nonpaged pool (tag '%s') at %s",
                    api, t, irql_name(irql));
        return;
    }
    if (check_tag && tag != r->tag) {
        char want[5];
        tag_text(tag, want);
        char title[160];
        snprintf(title, sizeof title, "BUGCHECK 0xC2/0xA POOL: %s: freed with another tag", api);
        dr_fail_rule(DR_FIND_FRAMEWORK, "POOL", title,
                     "%s with tag '%s' of an allocation tagged '%s' (BAD_POOL_CALLER: the tag must match)", api,
                     want, t);
        return;
    }
    r->freed = true;
    km_free(r->mem);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) { pool_free("ExFreePoolWithTag", P, Tag != 0, Tag, NULL); }
VOID ExFreePool(PVOID P) { pool_free("ExFreePool", P, false, 0, NULL); }
VOID ExFreePool2(PVOID P, ULONG Tag, PVOID ExtendedParameters, ULONG ExtendedParametersCount)
{
    pool_free("ExFreePool2", P, Tag != 0, Tag, NULL);
}

/* ---- non-cached and contiguous memory ------------------------------------------------------------------ */

/* MmAllocateNonCachedMemory (<= APC_LEVEL) and MmAllocateContiguousMemory
 * (<= DISPATCH_LEVEL), from their Microsoft docs pages: the pool's guarded
 * memory, not zeroed, NULL when pool_failure makes it fail; each must be
 * freed by its own routine (MmFreeNonCachedMemory with the allocated size,
 * <= APC_LEVEL; MmFreeContiguousMemory, <= APC_LEVEL). The model's memory
 * has no physical placement: HighestAcceptableAddress is not checked. */
DR_SITE(site_mm_memory, "MmAllocateNonCachedMemory");

static bool mm_irql_ok(const char *api, unsigned max)
{
    if (dr_failed())
        return false;
    unsigned irql = dr_irql();
    if (irql <= max)
        return true;
    dr_yield(&site_mm_memory);
    km_own_check("IRQL", api,
                 max == PASSIVE_LEVEL ? "called above PASSIVE_LEVEL"
                 : max == APC_LEVEL   ? "called above APC_LEVEL"
                                      : "called above DISPATCH_LEVEL",
                 "%s at %s (documented up to %s)", api, irql_name(irql), irql_name(max));
    return false;
}

static PVOID mm_alloc(const char *api, const char *free_api, unsigned max_irql, SIZE_T size)
{
    if (!mm_irql_ok(api, max_irql))
        return NULL;
    PVOID p = pool_alloc(api, false, false, true, size, 0x6d6d4d4b /* "KMmm" */, 0);
    if (p)
        W.recs[W.n - 1].free_api = free_api;
    return p;
}

PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes)
{
    return mm_alloc("MmAllocateNonCachedMemory", "MmFreeNonCachedMemory", APC_LEVEL, NumberOfBytes);
}

VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
    const char *api = "MmFreeNonCachedMemory";
    if (!mm_irql_ok(api, APC_LEVEL))
        return;
    for (unsigned i = W.n; i-- > 0;)
        if (W.recs[i].p == BaseAddress && !W.recs[i].freed && same_free_api(W.recs[i].free_api, api) &&
            W.recs[i].size != NumberOfBytes) {
            km_own_check("MEMORY", api, "freed with another size than allocated",
                         "%s(%p, %zu) of a %zu-byte allocation (the size must be the one allocated)", api,
                         BaseAddress, (size_t)NumberOfBytes, W.recs[i].size);
            return;
        }
    pool_free(api, BaseAddress, false, 0, api);
}

PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress)
{
    (void)HighestAcceptableAddress;
    return mm_alloc("MmAllocateContiguousMemory", "MmFreeContiguousMemory", DISPATCH_LEVEL, NumberOfBytes);
}

/* The bus address a device is given for memory: the model's logical
 * address (km_object.c km_logical_address), below 4 GiB for pool and
 * contiguous memory (as HighestAcceptableAddress asks of a 32-bit device),
 * never the virtual address. Callable at any IRQL, as in Windows. */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = (LONGLONG)km_logical_address(BaseAddress);
    return pa;
}

VOID MmFreeContiguousMemory(PVOID BaseAddress)
{
    const char *api = "MmFreeContiguousMemory";
    if (mm_irql_ok(api, APC_LEVEL))
        pool_free(api, BaseAddress, false, 0, api);
}

/* ---- spin locks ------------------------------------------------------------------------------------------ */

/* A KSPIN_LOCK is a ULONG_PTR, as in the WDK; its state is a harness spin lock
 * found by the lock's address (reset with each execution). */
enum { SPIN_MAX = 64 };
static struct {
    const void *key;
    dr_spinlock lock;
} spins[SPIN_MAX];
static unsigned nspins;

static dr_spinlock *spin_of(PKSPIN_LOCK l)
{
    for (unsigned i = 0; i < nspins; i++)
        if (spins[i].key == l)
            return &spins[i].lock;
    if (nspins == SPIN_MAX) {
        fprintf(stderr, "dmarace: more than %u KSPIN_LOCKs in one execution\n", (unsigned)SPIN_MAX);
        abort();
    }
    spins[nspins].key = l;
    dr_spinlock_init(&spins[nspins].lock, "KSPIN_LOCK");
    return &spins[nspins++].lock;
}

DR_SITE(site_spin, "KSPIN_LOCK");

/* A scheduling point, then the lock's state (in the real-thread mode, the
 * table is the model's: the point takes the framework lock). NULL if a
 * finding fired. */
static dr_spinlock *spin_enter(PKSPIN_LOCK l)
{
    if (dr_failed())
        return NULL;
    dr_yield(&site_spin);
    return dr_failed() ? NULL : spin_of(l);
}

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    *SpinLock = 0;
    dr_spinlock *sl = spin_enter(SpinLock);
    if (sl)
        dr_spinlock_init(sl, "KSPIN_LOCK");
}

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    dr_spinlock *sl = spin_enter(SpinLock);
    return sl ? (KIRQL)dr_spin_acquire(sl) : (KIRQL)dr_irql();
}

static dr_spinlock *spin_held(PKSPIN_LOCK SpinLock, const char *api)
{
    dr_spinlock *sl = spin_enter(SpinLock);
    if (!sl || dr_spin_held_by_me(sl))
        return sl;
    km_crash("SPIN", api, "released a spin lock it does not hold",
             "%s of a KSPIN_LOCK this processor does not hold (never acquired, or released twice)", api);
    return NULL;
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    dr_spinlock *sl = spin_held(SpinLock, "KeReleaseSpinLock");
    if (sl)
        dr_spin_release(sl, NewIrql);
}

/* Acquire without raising: the caller is at DISPATCH_LEVEL already. */
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    dr_spinlock *sl = spin_enter(SpinLock);
    if (!sl)
        return;
    unsigned old = dr_spin_acquire(sl);
    if (old < DISPATCH_LEVEL)
        dr_lower_irql(old);
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    dr_spinlock *sl = spin_held(SpinLock, "KeReleaseSpinLockFromDpcLevel");
    if (sl)
        dr_spin_release(sl, dr_irql());
}

/* ---- time ------------------------------------------------------------------------------------------------ */

/* 100-ns ticks since boot: the virtual clock plus the stalls. */
static uint64_t interrupt_time(void) { return dr_now() + W.stall_ticks; }

enum { PERF_FREQUENCY = 10000000, TIME_INCREMENT = 156250 /* 15.625 ms, the default clock tick */ };
/* The system time at boot: 2024-01-01 00:00 UTC, in 100 ns since 1601. */
static const uint64_t BOOT_SYSTEM_TIME = 133485408000000000ull;

VOID KeStallExecutionProcessor(ULONG MicroSeconds)
{
    if (dr_failed())
        return;
    dr_yield(&site_stall);
    W.stall_ticks += (uint64_t)MicroSeconds * 10;
}

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    if (PerformanceFrequency)
        PerformanceFrequency->QuadPart = PERF_FREQUENCY;
    LARGE_INTEGER c;
    c.QuadPart = (LONGLONG)interrupt_time();
    return c;
}

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    /* The system time moves at clock ticks only. */
    uint64_t t = interrupt_time();
    CurrentTime->QuadPart = (LONGLONG)(BOOT_SYSTEM_TIME + t - t % TIME_INCREMENT);
}

VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = (LONGLONG)(BOOT_SYSTEM_TIME + interrupt_time());
}

ULONGLONG KeQueryInterruptTime(void)
{
    uint64_t t = interrupt_time();
    return t - t % TIME_INCREMENT;
}

ULONGLONG KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)
{
    uint64_t t = interrupt_time();
    if (QpcTimeStamp)
        *QpcTimeStamp = t;
    return t;
}

VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
    CurrentCount->QuadPart = (LONGLONG)(interrupt_time() / TIME_INCREMENT);
}

ULONG KeQueryTimeIncrement(void) { return TIME_INCREMENT; }

/* ---- events -------------------------------------------------------------------------------------------- */

/* A KEVENT's state is its DISPATCHER_HEADER's SignalState, as in Windows. A
 * waiter blocks on a harness wait whose predicate reads that state (and its
 * timeout); woken, it consumes a synchronization event's signal, or, if
 * another waiter took it first, waits again: one waiter per KeSetEvent, as
 * the dispatcher does it. The documented IRQL rules (KeWaitForSingleObject:
 * <= APC_LEVEL unless the timeout is zero, then <= DISPATCH_LEVEL;
 * KeSetEvent, KeClearEvent, KeResetEvent: <= DISPATCH_LEVEL) are dmarace's own
 * CHECK IRQL. */
enum { WAITERS_MAX = 64 };
typedef struct km_waiter {
    PRKEVENT event;
    dr_vtimer timer;
    bool in_use, timed_out;
} km_waiter;
static km_waiter waiters[WAITERS_MAX];

DR_SITE(site_event, "KEVENT");
DR_SITE(site_event_wait, "KeWaitForSingleObject");

static bool event_irql_ok(const char *api, unsigned max)
{
    if (dr_failed())
        return false;
    dr_yield(&site_event);
    if (dr_failed())
        return false;
    unsigned irql = dr_irql();
    if (irql <= max)
        return true;
    km_own_check("IRQL", api, max == APC_LEVEL ? "waited above APC_LEVEL" : "called above DISPATCH_LEVEL",
                 "%s at %s (documented up to %s); Windows bug-checks when a wait must switch threads there",
                 api, irql_name(irql), irql_name(max));
    return false;
}

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    Event->Header.Type = (UCHAR)Type;
    Event->Header.Signalling = 0;
    Event->Header.Size = (UCHAR)(sizeof *Event / sizeof(LONG));
    Event->Header.Reserved1 = 0;
    Event->Header.SignalState = State ? 1 : 0;
    InitializeListHead(&Event->Header.WaitListHead);
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    if (!event_irql_ok("KeSetEvent", DISPATCH_LEVEL))
        return 0;
    LONG old = Event->Header.SignalState;
    km_hb_section_end(Event); /* the setter's writes happen before the waiter's wake-up */
    Event->Header.SignalState = 1;
    return old;
}

VOID KeClearEvent(PRKEVENT Event)
{
    if (event_irql_ok("KeClearEvent", DISPATCH_LEVEL))
        Event->Header.SignalState = 0;
}

LONG KeResetEvent(PRKEVENT Event)
{
    if (!event_irql_ok("KeResetEvent", DISPATCH_LEVEL))
        return 0;
    LONG old = Event->Header.SignalState;
    Event->Header.SignalState = 0;
    return old;
}

LONG KeReadStateEvent(PRKEVENT Event) { return Event->Header.SignalState; }

static bool waiter_ready(const void *arg)
{
    const km_waiter *w = arg;
    return w->event->Header.SignalState > 0 || w->timed_out;
}

static void waiter_timeout(void *arg) { ((km_waiter *)arg)->timed_out = true; }

/* Take the event's signal if it has one (a synchronization event resets). */
static bool event_take(PRKEVENT ev)
{
    if (ev->Header.SignalState <= 0)
        return false;
    if (ev->Header.Type == SynchronizationEvent)
        ev->Header.SignalState = 0;
    km_hb_section_begin(ev);
    return true;
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout)
{
    PRKEVENT ev = Object;
    bool poll = Timeout && Timeout->QuadPart == 0;
    if (!event_irql_ok("KeWaitForSingleObject", poll ? DISPATCH_LEVEL : APC_LEVEL))
        return STATUS_UNSUCCESSFUL;
    if (event_take(ev))
        return STATUS_SUCCESS;
    if (poll)
        return STATUS_TIMEOUT;
    /* The timeout in virtual-clock ticks: relative (negative, 100 ns) or an
     * absolute system time. */
    uint64_t due = UINT64_MAX;
    if (Timeout) {
        uint64_t now = dr_now();
        if (Timeout->QuadPart < 0) {
            uint64_t rel = (uint64_t)(-(Timeout->QuadPart + 1)) + 1;
            due = rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
        } else {
            uint64_t abs = (uint64_t)Timeout->QuadPart, base = BOOT_SYSTEM_TIME + W.stall_ticks;
            due = abs > base ? abs - base : now;
        }
    }
    if (!dr_in_task()) {
        /* DriverEntry and the set-up callbacks: nothing else runs to set it. */
        if (!Timeout) {
            dr_fail_rule(DR_FIND_DEADLOCK, "SETUP-WAIT",
                         "deadlock: KeWaitForSingleObject waits during set-up for an event nothing sets",
                         "the driver waits without a timeout on a KEVENT while it starts (DriverEntry, "
                         "EvtDriverDeviceAdd, EvtDevicePrepareHardware or D0Entry), where nothing else runs");
            return STATUS_UNSUCCESSFUL;
        }
        if (due > dr_now())
            W.stall_ticks += due - dr_now();
        return STATUS_TIMEOUT;
    }
    km_waiter *w = NULL;
    for (unsigned i = 0; i < WAITERS_MAX && !w; i++)
        if (!waiters[i].in_use)
            w = &waiters[i];
    if (!w) {
        fprintf(stderr, "dmarace: more than %u KeWaitForSingleObject waiters at once\n", (unsigned)WAITERS_MAX);
        abort();
    }
    *w = (km_waiter){.event = ev, .in_use = true};
    dr_vtimer_init(&w->timer, waiter_timeout, w, "KeWaitForSingleObject timeout");
    if (Timeout)
        dr_vtimer_set(&w->timer, due);
    NTSTATUS st = STATUS_TIMEOUT;
    for (;;) {
        dr_wait(waiter_ready, w, &site_event_wait);
        if (dr_failed()) {
            st = STATUS_UNSUCCESSFUL;
            break;
        }
        if (event_take(ev)) {
            st = STATUS_SUCCESS;
            break;
        }
        if (w->timed_out)
            break;
    }
    dr_vtimer_cancel(&w->timer);
    w->in_use = false;
    return st;
}

/* KeDelayExecutionThread: the thread waits out the interval (a relative
 * one when negative, in 100 ns; else an absolute system time) on a harness
 * wait that only its timer ends, so other processors run meanwhile; during
 * set-up, where nothing else runs, the virtual time just moves on, as with
 * KeWaitForSingleObject. PASSIVE_LEVEL..APC_LEVEL (docs page of
 * KeDelayExecutionThread), dmarace's own CHECK IRQL above; no APCs, so
 * WaitMode and Alertable change nothing; STATUS_SUCCESS. */
DR_SITE(site_delay, "KeDelayExecutionThread");

static bool delay_ready(const void *arg) { return ((const km_waiter *)arg)->timed_out; }

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    (void)WaitMode;
    (void)Alertable;
    if (!event_irql_ok("KeDelayExecutionThread", APC_LEVEL))
        return STATUS_UNSUCCESSFUL;
    uint64_t now = dr_now(), due;
    if (Interval->QuadPart < 0) {
        uint64_t rel = (uint64_t)(-(Interval->QuadPart + 1)) + 1;
        due = rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
    } else {
        uint64_t abs = (uint64_t)Interval->QuadPart, base = BOOT_SYSTEM_TIME + W.stall_ticks;
        due = abs > base ? abs - base : now;
    }
    if (due <= now)
        return STATUS_SUCCESS;
    if (!dr_in_task()) {
        W.stall_ticks += due - now;
        return STATUS_SUCCESS;
    }
    km_waiter *w = NULL;
    for (unsigned i = 0; i < WAITERS_MAX && !w; i++)
        if (!waiters[i].in_use)
            w = &waiters[i];
    if (!w) {
        fprintf(stderr, "dmarace: more than %u waiting threads at once\n", (unsigned)WAITERS_MAX);
        abort();
    }
    *w = (km_waiter){.event = NULL, .in_use = true};
    dr_vtimer_init(&w->timer, waiter_timeout, w, "KeDelayExecutionThread interval");
    dr_vtimer_set(&w->timer, due);
    while (!w->timed_out && !dr_failed())
        dr_wait(delay_ready, w, &site_delay);
    dr_vtimer_cancel(&w->timer);
    w->in_use = false;
    return dr_failed() ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}

/* ---- the system: version, routine lookup ----------------------------------------------------------------- */

/* RtlGetVersion: the model's fixed Windows, Windows 10 22H2 (10.0.19045).
 * As documented (RtlGetVersion, RTL_OSVERSIONINFOEXW): the size field says
 * which structure it is; the EX fields are filled only for the EX size; any
 * other size is STATUS_INVALID_PARAMETER (what Windows returns for it). */
NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation)
{
    ULONG size = lpVersionInformation->dwOSVersionInfoSize;
    if (size != sizeof(RTL_OSVERSIONINFOW) && size != sizeof(RTL_OSVERSIONINFOEXW))
        return STATUS_INVALID_PARAMETER;
    lpVersionInformation->dwMajorVersion = 10;
    lpVersionInformation->dwMinorVersion = 0;
    lpVersionInformation->dwBuildNumber = 19045;
    lpVersionInformation->dwPlatformId = VER_PLATFORM_WIN32_NT;
    memset(lpVersionInformation->szCSDVersion, 0, sizeof lpVersionInformation->szCSDVersion);
    if (size == sizeof(RTL_OSVERSIONINFOEXW)) {
        PRTL_OSVERSIONINFOEXW ex = (PRTL_OSVERSIONINFOEXW)lpVersionInformation;
        ex->wServicePackMajor = 0;
        ex->wServicePackMinor = 0;
        ex->wSuiteMask = VER_SUITE_SINGLEUSERTS;
        ex->wProductType = VER_NT_WORKSTATION;
        ex->wReserved = 0;
    }
    return STATUS_SUCCESS;
}

/* MmGetSystemRoutineAddress: accept-only. Every name is absent (NULL), so a
 * driver that probes for an optional routine takes its fallback path. */
PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
    (void)SystemRoutineName;
    return NULL;
}

/* IoSetDeviceInterfacePropertyData: accept-only. PASSIVE_LEVEL (its docs
 * page; CHECK IRQL above); the model keeps no property store, so nothing is
 * recorded; STATUS_SUCCESS. */
NTSTATUS IoSetDeviceInterfacePropertyData(PUNICODE_STRING SymbolicLinkName, const DEVPROPKEY *PropertyKey, LCID Lcid,
                                          ULONG Flags, DEVPROPTYPE Type, ULONG Size, PVOID Data)
{
    (void)SymbolicLinkName;
    (void)PropertyKey;
    (void)Lcid;
    (void)Flags;
    (void)Type;
    (void)Size;
    (void)Data;
    if (!mm_irql_ok("IoSetDeviceInterfacePropertyData", PASSIVE_LEVEL))
        return STATUS_INVALID_DEVICE_REQUEST;
    return STATUS_SUCCESS;
}

/* ---- the execution's life ----------------------------------------------------------------------------------- */

void km_wdm_reset(void)
{
    W.n = 0;
    W.setup_done = false;
    W.stall_ticks = 0;
    nspins = 0;
    for (unsigned i = 0; i < WAITERS_MAX; i++)
        waiters[i].in_use = false;
}

void km_wdm_setup_done(void) { W.setup_done = true; }

/* A pool leak: memory allocated while the requests ran (after DriverEntry,
 * EvtDriverDeviceAdd and EvtDevicePrepareHardware) and not freed when every
 * request has completed. The model does not unload the driver, so what it
 * allocated while starting (freed, presumably, at EvtDeviceReleaseHardware or
 * unload) is not judged; Driver Verifier's own check is at unload (0xC4/0x62). */
void km_wdm_check(void)
{
    if (dr_failed())
        return;
    for (unsigned i = 0; i < W.n; i++) {
        const pool_rec *r = &W.recs[i];
        if (r->freed || !r->io)
            continue;
        char t[5];
        tag_text(r->tag, t);
        km_oracle("POOL-LEAK", "pool leak: memory allocated while requests ran was never freed",
                  "%zu bytes of %s (tag '%s', from %s) were still allocated when every request had completed",
                  r->size, r->paged ? "paged pool" : r->free_api ? "memory" : "nonpaged pool", t, r->api);
        return;
    }
}
