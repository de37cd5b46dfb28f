/* dr_poison.c: poisoned memory ranges (dr.h "poisoned memory").
 *
 * The owner of some memory (the model) declares windows of address space and
 * poisons ranges in them: guard zones around what it hands out, and what it
 * freed. Every driver load and store reaches dr__poison_check through the
 * access hooks (dr_access.c) before it happens; the fast path is one
 * subtraction and one comparison against the bounding box of all windows.
 * Inside a window a per-4-KiB-granule table gives the chain of ranges that
 * touch the granule, so a check walks a handful of ranges at most.
 *
 * Without access hooks (gcc builds) the owner makes the poisoned pages it can
 * PROT_NONE; a SIGSEGV in a task on a poisoned range becomes the same
 * finding here (this module chains in front of the engine's crash handler).
 * In ASan builds each range is ASan-poisoned as well, so the model's own
 * misuse of it is caught; the driver's access is still reported here first,
 * because the hook runs before ASan's check of the same access. */
#define _GNU_SOURCE
#include "dr_fault.h"
#include "dr_internal.h"
#include "dr_poison.h"
#include "dr_sanitizer.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#if DR_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define G dr__g

enum { GRANULE_SHIFT = DR_POISON_GRANULE_SHIFT, GRANULE = DR_POISON_GRANULE, MAX_WINDOWS = 8 };

typedef struct range {
    uintptr_t lo, hi;
    dr_poison_kind kind;
    const char *what;
    dr_poison_describe_fn describe;
    uint32_t cookie;
    uint64_t step;    /* FREED: when, and by which task */
    const char *task;
} range;

typedef dr_poison_granule granule;

typedef struct node {
    uint32_t range;   /* index into ranges */
    uint32_t next;    /* next node in the granule's chain + 1, 0 at the end */
    granule *gran;    /* its granule (to clear it at reset) */
} node;

typedef struct window {
    uintptr_t lo, hi;
    granule *gran;
} window;

static window windows[MAX_WINDOWS];
static unsigned nwindows;
static range *ranges;
static uint32_t nranges, ranges_cap;
static node *nodes;
static uint32_t nnodes, nodes_cap;

/* Real-thread mode (dr_rt.c): driver code on one processor thread checks
 * while the model on another poisons, so the table is under a spin lock
 * there. Fiber mode needs none. */
static atomic_flag table_lock = ATOMIC_FLAG_INIT;

static void table_lock_take(void)
{
    if (dr__mode == &dr__rt_ops)
        while (atomic_flag_test_and_set_explicit(&table_lock, memory_order_acquire))
            ;
}

static void table_lock_drop(void)
{
    if (dr__mode == &dr__rt_ops)
        atomic_flag_clear_explicit(&table_lock, memory_order_release);
}

/* Read by the access hook (dr_poison.h). */
uintptr_t dr__poison_lo, dr__poison_span;
const dr_poison_granule *dr__poison_gran;

static void *grow(void *p, uint32_t *cap, size_t elem)
{
    uint32_t n = *cap ? *cap * 2 : 64;
    void *q = realloc(p, (size_t)n * elem);
    if (!q) {
        fprintf(stderr, "dmarace: out of memory for poisoned ranges\n");
        abort();
    }
    *cap = n;
    return q;
}

static const window *window_of(uintptr_t a)
{
    for (unsigned i = 0; i < nwindows; i++)
        if (a - windows[i].lo < windows[i].hi - windows[i].lo)
            return &windows[i];
    return NULL;
}

/* ---- reporting ------------------------------------------------------------------------- */

/* Inside a task dr_fail does not return; from the main context it records
 * the finding and returns (the execution is then over). */
static void report(const range *r, uintptr_t addr, size_t size, int write)
{
    /* write: 1 a store, 0 a load, -1 unknown (a fault without the access kind). */
    char title[128];
    const char *rw = write > 0 ? "write" : write == 0 ? "read" : "access";
    switch (r->kind) {
    case DR_POISON_AFTER:
        snprintf(title, sizeof title, "heap-buffer-overflow: %s past a %s", rw, r->what);
        break;
    case DR_POISON_BEFORE:
        snprintf(title, sizeof title, "heap-buffer-overflow: %s before a %s", rw, r->what);
        break;
    case DR_POISON_FREED:
        snprintf(title, sizeof title, "use-after-free: %s a freed %s",
                 write > 0 ? "write to" : write == 0 ? "read of" : "access to", r->what);
        break;
    }
    char detail[320] = "";
    if (r->describe)
        r->describe(r->cookie, (const void *)addr, detail, sizeof detail);
    if (r->kind == DR_POISON_FREED)
        dr_fail_rule(DR_FIND_CRASH, dr__rule_name(DR_RULE_USE_AFTER_FREE), title, "%s of %zu bytes, %s; freed at step %llu by %s", rw, size,
                     detail, (unsigned long long)r->step, r->task ? r->task : "set-up");
    else
        dr_fail_rule(DR_FIND_CRASH, dr__rule_name(DR_RULE_BUFFER_OVERFLOW), title, "%s of %zu bytes, %s", rw, size, detail);
}

static const range *find(uintptr_t a, uintptr_t e)
{
    const window *w = window_of(a);
    if (!w)
        w = window_of(e - 1);
    if (!w)
        return NULL;
    uintptr_t g0 = (a < w->lo ? 0 : a - w->lo) >> GRANULE_SHIFT;
    uintptr_t g1 = ((e - 1 < w->hi ? e - 1 : w->hi - 1) - w->lo) >> GRANULE_SHIFT;
    for (uintptr_t g = g0; g <= g1; g++)
        for (uint32_t n = w->gran[g].head; n; n = nodes[n - 1].next) {
            const range *r = &ranges[nodes[n - 1].range];
            if (a < r->hi && e > r->lo)
                return r;
        }
    return NULL;
}

/* The access hook's slow path: addr is inside the windows' bounding box. */
void dr__poison_check(const void *addr, size_t size, bool write);
void dr__poison_check(const void *addr, size_t size, bool write)
{
    uintptr_t a = (uintptr_t)addr;
    table_lock_take();
    const range *found = find(a, a + size);
    range r;
    if (found)
        r = *found;
    table_lock_drop();
    if (found)
        report(&r, a < r.lo ? r.lo : a, size, write);
}

void dr_check_access(const void *addr, size_t size, bool write)
{
    if ((uintptr_t)addr - dr__poison_lo < dr__poison_span && dr_in_task())
        dr__poison_access(addr, size, write);
}

/* ---- faults on PROT_NONE pages (builds without access hooks) ------------------------------- */

static int fault_is_write(const void *uctx)
{
#if defined(__x86_64__) && defined(REG_ERR)
    /* The page-fault error code: bit 1 set for a write. */
    return (((const ucontext_t *)uctx)->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
    (void)uctx;
    return -1;
#endif
}

/* Called by the engine's crash handler (dr_crash.c) for a fault it has
 * claimed as the driver's: a fault on a poisoned PROT_NONE page is reported
 * as that range's finding (dr_fail does not return); otherwise it returns. */
void dr__poison_fault(const void *addr, const void *uctx)
{
    uintptr_t a = (uintptr_t)addr;
    if (a - dr__poison_lo >= dr__poison_span)
        return;
    table_lock_take();
    const range *found = find(a, a + 1);
    range r;
    if (found)
        r = *found;
    table_lock_drop();
    if (found)
        report(&r, a, 1, fault_is_write(uctx));
}

/* ---- the API --------------------------------------------------------------------------- */

void dr_poison_window(void *base, size_t size)
{
    if (nwindows == MAX_WINDOWS) {
        fprintf(stderr, "dmarace: more than %d poison windows\n", MAX_WINDOWS);
        abort();
    }
    window *w = &windows[nwindows++];
    w->lo = (uintptr_t)base;
    w->hi = w->lo + size;
    w->gran = calloc((size + GRANULE - 1) >> GRANULE_SHIFT, sizeof *w->gran);
    if (!w->gran) {
        fprintf(stderr, "dmarace: out of memory for a poison window\n");
        abort();
    }
    uintptr_t lo = windows[0].lo, hi = windows[0].hi;
    for (unsigned i = 1; i < nwindows; i++) {
        lo = windows[i].lo < lo ? windows[i].lo : lo;
        hi = windows[i].hi > hi ? windows[i].hi : hi;
    }
    dr__poison_lo = lo;
    dr__poison_span = hi - lo;
    dr__poison_gran = nwindows == 1 ? windows[0].gran : NULL;
}

void dr_poison(const void *addr, size_t size, dr_poison_kind kind, const char *what, dr_poison_describe_fn describe,
               uint32_t cookie)
{
    uintptr_t lo = (uintptr_t)addr, hi = lo + size;
    window *w = NULL;
    for (unsigned i = 0; i < nwindows && !w; i++)
        if (lo >= windows[i].lo && hi <= windows[i].hi)
            w = &windows[i];
    if (!w || size == 0)
        return;
    table_lock_take();
    if (nranges == ranges_cap)
        ranges = grow(ranges, &ranges_cap, sizeof *ranges);
    uint32_t ri = nranges++;
    range *r = &ranges[ri];
    r->lo = lo;
    r->hi = hi;
    r->kind = kind;
    r->what = what;
    r->describe = describe;
    r->cookie = cookie;
    r->step = kind == DR_POISON_FREED ? G.steps : 0;
    r->task = kind == DR_POISON_FREED && dr__mode == &dr__fiber_ops && G.cur ? G.cur->name : NULL;
    for (uintptr_t g = (lo - w->lo) >> GRANULE_SHIFT; g <= (hi - 1 - w->lo) >> GRANULE_SHIFT; g++) {
        if (nnodes == nodes_cap)
            nodes = grow(nodes, &nodes_cap, sizeof *nodes);
        granule *gr = &w->gran[g];
        node *n = &nodes[nnodes++];
        n->range = ri;
        n->next = gr->head;
        n->gran = gr;
        gr->head = nnodes;
        /* Shrink the granule's untouched stretch. */
        uintptr_t g_lo = w->lo + (g << GRANULE_SHIFT), g_hi = g_lo + GRANULE;
        uintptr_t ok_lo = g_lo + gr->cut_lo, ok_hi = g_hi - gr->cut_hi;
        if (lo <= ok_lo && hi > ok_lo)
            ok_lo = hi < g_hi ? hi : g_hi;
        else if (hi >= ok_hi && lo < ok_hi)
            ok_hi = lo > g_lo ? lo : g_lo;
        else if (lo < ok_hi && hi > ok_lo)
            ok_hi = ok_lo; /* in the middle: no stretch, every access walks the chain */
        if (ok_hi <= ok_lo)
            ok_lo = ok_hi = g_hi; /* empty (GRANULE - cut_hi <= cut_lo) */
        gr->cut_lo = (uint16_t)(ok_lo - g_lo);
        gr->cut_hi = (uint16_t)(g_hi - ok_hi);
    }
    table_lock_drop();
#if DR_ASAN
    ASAN_POISON_MEMORY_REGION(addr, size);
#endif
}

void dr_poison_reset(void)
{
    table_lock_take();
    for (uint32_t i = 0; i < nnodes; i++)
        *nodes[i].gran = (granule){0, 0, 0};
    nnodes = 0;
#if DR_ASAN
    for (uint32_t i = 0; i < nranges; i++)
        ASAN_UNPOISON_MEMORY_REGION((void *)ranges[i].lo, ranges[i].hi - ranges[i].lo);
#endif
    nranges = 0;
    table_lock_drop();
}
