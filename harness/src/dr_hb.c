/* dr_hb.c: the built-in happens-before race detector (dr_hb.h, docs/races.md).
 *
 * Clocks. Every task of an execution has a vector clock (tid = its index in
 * the execution's task table + 1; tid 0 is the engine's context: setup, the
 * end-of-execution check and the environment's event handlers). A sync
 * object (any address: a spin lock, a KMDF lock the model brackets, a task
 * being created, an event being armed, an atomic location) has one too. A
 * release joins the task's clock into the object's and ticks the task's
 * own entry; an acquire joins the object's into the task's (FastTrack, Flanagan
 * and Freund, PLDI 2009; the same algebra as ThreadSanitizer's).
 *
 * Shadow. Each 8-byte granule of driver memory a task touches keeps up to
 * four access records (tid, its clock then, bytes, read or write, atomic,
 * volatile, site), as ThreadSanitizer's shadow cells do. An access races
 * with a record of another task that overlaps it, is not ordered before it
 * (record clock > the accessing task's entry for that tid), where one of the
 * two writes and not both are atomic.
 *
 * Bounds. All tables have a fixed size and are cleared per execution (only
 * the slots used), so a campaign's memory does not grow with its length. A
 * granule that finds the shadow full is not checked, and a full granule
 * replaces a record: neither can make a race appear, only miss one. A full
 * sync table could (an edge lost): the rest of that execution goes
 * unchecked. */
#define _GNU_SOURCE /* dladdr */
#include "dr_hb.h"
#include "dr_fault.h"
#include "dr_sanitizer.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#if DR_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#endif

#define G dr__g

enum {
    HB_MAXT = DR_MAX_TASKS + 1,
    SYNC_CAP = 2048, /* open addressing: at most half full */
    SYNC_MAX = SYNC_CAP / 2,
    SHADOW_CAP = 1 << 15,
    SHADOW_MAX = SHADOW_CAP / 2,
    RECS = 4,
};

typedef struct {
    uint32_t clock;
    uint16_t tid;  /* 0: empty */
    uint8_t off;   /* first byte in the granule */
    uint8_t size;  /* bytes, 1..8 */
    uint8_t write;
    uint8_t atomic;
    uint8_t vol;   /* a volatile access (reports say so) */
    uint32_t mark; /* its scheduling point's trace record, traced runs */
    uintptr_t pc;
    uint16_t asize; /* the whole access's size (reports) */
} hb_rec;

typedef struct {
    uintptr_t key; /* granule + 1; 0: empty */
    hb_rec r[RECS];
} hb_cell;

typedef struct {
    uintptr_t key; /* address + 1; 0: empty */
    uint32_t vc;   /* index into sync_vc */
} hb_sync;

bool dr__hb_on;
static bool enabled = !DR_TSAN; /* TSan builds: ThreadSanitizer is the detector unless asked */
static bool volatile_ms = true;
static dr_hb_volatile_fn volatile_of;
static dr_site_namer_fn namer;

static uint32_t task_vc[HB_MAXT][HB_MAXT];
static uint16_t task_w[HB_MAXT];
static uint32_t nt; /* tids in use: 0..nt-1 */
static const void *pending_addr[HB_MAXT]; /* an atomic access announced by dr_hb_atomic */
static uint8_t pending_how[HB_MAXT];

static hb_sync sync_tab[SYNC_CAP];
static uint32_t sync_used[SYNC_MAX];
static uint32_t nsync;
static uint32_t sync_vc[SYNC_MAX][HB_MAXT];
static uint16_t sync_w[SYNC_MAX];

static hb_cell shadow[SHADOW_CAP];
static uint32_t shadow_used[SHADOW_MAX];
static uint32_t nshadow;

void dr_set_race_detector(bool on) { enabled = on; }
bool dr_race_detector(void) { return enabled; }
void dr_set_volatile_ms(bool ms) { volatile_ms = ms; }
dr_races dr_races_now(void) { return !enabled ? DR_RACES_OFF : volatile_ms ? DR_RACES_MS : DR_RACES_ISO; }
const char *dr_races_text(dr_races r)
{
    return r == DR_RACES_OFF ? "off" : r == DR_RACES_MS ? "on, volatile as MSVC /volatile:ms" : "on, volatile as ISO C";
}
void dr_races_apply(dr_races r)
{
    enabled = r != DR_RACES_OFF;
    volatile_ms = r != DR_RACES_ISO;
}
void dr_set_volatile_classifier(dr_hb_volatile_fn fn) { volatile_of = fn; }

/* The volatile sites' tables, as registered (constructors: before main). */
enum { VTABLES = 256 };
static const dr_volatile_site *vtab[VTABLES];
static size_t vtab_n[VTABLES], nvtab, nvsites;

void dr_volatile_sites_add(const dr_volatile_site *sites, size_t n)
{
    if (nvtab == VTABLES) {
        fprintf(stderr, "dmarace: more than %d tables of volatile sites: the rest are read as plain accesses\n",
                VTABLES);
        return;
    }
    vtab[nvtab] = sites;
    vtab_n[nvtab++] = n;
    nvsites += n;
}

bool dr_volatile_site_at(const char *file, unsigned line, unsigned column)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    for (size_t t = 0; t < nvtab; t++)
        for (size_t i = 0; i < vtab_n[t]; i++) {
            const dr_volatile_site *v = &vtab[t][i];
            if (v->line == line && v->column == column && !strcmp(v->file, base))
                return true;
        }
    return false;
}
void dr_set_site_namer(dr_site_namer_fn fn) { namer = fn; }

static inline uint32_t hash_ptr(uintptr_t k)
{
    uint64_t h = (uint64_t)k * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

void dr__hb_begin(void)
{
    for (uint32_t t = 0; t < nt; t++) {
        memset(task_vc[t], 0, task_w[t] * sizeof task_vc[t][0]);
        task_w[t] = 0;
        pending_addr[t] = NULL;
    }
    for (uint32_t i = 0; i < nsync; i++) {
        uint32_t s = sync_used[i];
        uint32_t v = sync_tab[s].vc;
        memset(sync_vc[v], 0, sync_w[v] * sizeof sync_vc[v][0]);
        sync_w[v] = 0;
        sync_tab[s].key = 0;
    }
    nsync = 0;
    for (uint32_t i = 0; i < nshadow; i++)
        memset(&shadow[shadow_used[i]], 0, sizeof shadow[0]);
    nshadow = 0;
    dr__hb_on = enabled;
    nt = 1;
    task_vc[0][0] = 1;
    task_w[0] = 1;
}

/* The running context's tid: the task, or 0 for the engine's context. */
static inline uint32_t cur_tid(void)
{
    return G.cur && !G.in_handler ? (uint32_t)(G.cur - G.tasks) + 1 : 0;
}

static void join(uint32_t *dst, uint16_t *dw, const uint32_t *src, uint16_t sw)
{
    for (uint16_t i = 0; i < sw; i++)
        if (src[i] > dst[i])
            dst[i] = src[i];
    if (sw > *dw)
        *dw = sw; /* entries past the old width were 0 */
}

static int sync_find(const void *addr, bool create)
{
    uintptr_t key = (uintptr_t)addr + 1;
    for (uint32_t i = hash_ptr(key) & (SYNC_CAP - 1);; i = (i + 1) & (SYNC_CAP - 1)) {
        if (sync_tab[i].key == key)
            return (int)sync_tab[i].vc;
        if (!sync_tab[i].key) {
            if (!create)
                return -1;
            if (nsync == SYNC_MAX) {
                /* A lost release would be a missing edge, and a race reported
                 * that is none: the execution goes on unchecked instead. */
                dr__hb_on = false;
                return -1;
            }
            sync_tab[i].key = key;
            sync_tab[i].vc = nsync;
            sync_used[nsync] = i;
            return (int)nsync++;
        }
    }
}

static void hb_acquire(const void *addr)
{
    int s = sync_find(addr, false);
    if (s < 0)
        return;
    uint32_t t = cur_tid();
    join(task_vc[t], &task_w[t], sync_vc[s], sync_w[s]);
}

static void hb_release(const void *addr)
{
    int s = sync_find(addr, true);
    uint32_t t = cur_tid();
    if (s >= 0)
        join(sync_vc[s], &sync_w[s], task_vc[t], task_w[t]);
    task_vc[t][t]++;
}

void dr_hb_acquire(const void *sync)
{
#if DR_TSAN
    __tsan_acquire((void *)sync);
#endif
    if (dr__hb_on)
        hb_acquire(sync);
}

void dr_hb_release(const void *sync)
{
#if DR_TSAN
    __tsan_release((void *)sync);
#endif
    if (dr__hb_on)
        hb_release(sync);
}

void dr__hb_spawn(const dr_task *t)
{
    if (!dr__hb_on)
        return;
    uint32_t tid = (uint32_t)(t - G.tasks) + 1;
    memset(task_vc[tid], 0, task_w[tid] * sizeof task_vc[tid][0]);
    task_vc[tid][tid] = 1;
    task_w[tid] = (uint16_t)(tid + 1);
    pending_addr[tid] = NULL;
    if (tid + 1 > nt)
        nt = tid + 1;
}

/* ---- reports ------------------------------------------------------------------------------ */

/* A site's name for a title: the registered namer's (the driver's line; it
 * caches), else the function and offset in its module (stable within a
 * build). */
static void site_name(uintptr_t pc, char *out, size_t len)
{
    Dl_info info;
    if (namer && namer(pc, out, len))
        return;
    if (pc && dladdr((void *)pc, &info) && info.dli_fname) {
        const char *mod = strrchr(info.dli_fname, '/');
        snprintf(out, len, "%s (%s+0x%" PRIxPTR ")", info.dli_sname ? info.dli_sname : "?",
                 mod ? mod + 1 : info.dli_fname, pc - (uintptr_t)info.dli_fbase);
    } else {
        snprintf(out, len, "an unknown site");
    }
}

/* One access of a race: both come from tasks (tid >= 1: the engine's
 * context is not checked). */
static void describe(char *out, size_t len, bool write, bool atomic, bool vol, unsigned size, uint32_t tid,
                     const char *site)
{
    const dr_task *t = &G.tasks[tid - 1];
    snprintf(out, len, "%s%s%s of %u byte%s by %s on P%u at %s", atomic && !vol ? "atomic " : "",
             vol ? "volatile " : "", write ? "write" : "read", size, size == 1 ? "" : "s", t->name,
             (unsigned)t->cpu, site);
}

static __attribute__((noinline, cold)) void report(const hb_rec *r, bool write, bool atomic, bool vol, size_t size, uintptr_t pc)
{
    char a[200], b[200];
    site_name(pc, a, sizeof a);
    site_name(r->pc, b, sizeof b);
    char title[160];
    int lo = strcmp(a, b) <= 0;
    snprintf(title, sizeof title, "%s: %s / %s", dr__fault_title(DR_FAULT_RACE), lo ? a : b, lo ? b : a);
    char now[320], then[320], detail[800];
    describe(now, sizeof now, write, atomic, vol, (unsigned)size, cur_tid(), a);
    describe(then, sizeof then, r->write, r->atomic, r->vol, r->asize, r->tid, b);
    snprintf(detail, sizeof detail, "%s, unordered with an earlier %s%s", now, then,
             vol || r->vol ? (volatile_ms ? " (volatile read as MSVC's /volatile:ms would not order these)"
                                          : " (volatile read as ISO C: a plain access; --volatile ms orders it)")
                           : "");
    static char what[64];
    snprintf(what, sizeof what, "an earlier %s%s it raced with", r->atomic && !r->vol ? "atomic " : "",
             r->write ? "write" : "read");
    if (r->mark)
        dr_fail_related(r->mark, what);
    char msg[1024];
    dr__fault_msg_RACE(msg, sizeof msg, detail);
    dr__hb_on = false; /* one report per execution; the finding ends it */
    dr_fail_rule(dr__fault_kind(DR_FAULT_RACE), dr__fault_name(DR_FAULT_RACE), title, "%s", msg);
}

/* ---- accesses ----------------------------------------------------------------------------- */

static hb_cell *cell_of(uintptr_t g)
{
    uintptr_t key = g + 1;
    for (uint32_t i = hash_ptr(key) & (SHADOW_CAP - 1);; i = (i + 1) & (SHADOW_CAP - 1)) {
        hb_cell *c = &shadow[i];
        if (c->key == key)
            return c;
        if (!c->key) {
            if (nshadow == SHADOW_MAX)
                return NULL;
            c->key = key;
            shadow_used[nshadow++] = i;
            return c;
        }
    }
}

typedef struct {
    uint32_t tid;
    const uint32_t *vc;
    uint16_t w;
    bool write, atomic, vol;
    uint32_t mark;
    uintptr_t pc;
    size_t size;
} hb_acc;

static inline bool ordered(const hb_rec *r, const hb_acc *a) { return r->tid < a->w && r->clock <= a->vc[r->tid]; }

static void granule(uintptr_t g, unsigned off, unsigned n, const hb_acc *a)
{
    hb_cell *c = cell_of(g);
    if (!c)
        return; /* the shadow is full: not checked */
    /* Same epoch (FastTrack's fast path): this task did this access, or a
     * write standing for it, since its last release; every check against the
     * other records was made then, and a record added since by another task
     * was checked against it. */
    uint32_t now = a->vc[a->tid];
    for (int i = 0; i < RECS; i++) {
        const hb_rec *r = &c->r[i];
        if (r->tid == a->tid && r->clock == now && r->off == off && r->size == n && r->write >= a->write &&
            r->atomic == a->atomic)
            return;
    }
    hb_rec *own_w = NULL, *own_r = NULL, *empty = NULL, *stale = NULL;
    for (int i = 0; i < RECS; i++) {
        hb_rec *r = &c->r[i];
        if (!r->tid) {
            if (!empty)
                empty = r;
            continue;
        }
        bool overlap = r->off < off + n && off < (unsigned)r->off + r->size;
        if (r->tid == a->tid) {
            if (r->off == off && r->size == n)
                *(r->write ? &own_w : &own_r) = r;
            continue;
        }
        if (ordered(r, a)) {
            if (!stale && (a->write || !r->write))
                stale = r;
            continue;
        }
        if (overlap && (r->write || a->write) && !(r->atomic && a->atomic))
            report(r, a->write, a->atomic, a->vol, a->size, a->pc);
    }
    /* The task's own records of these bytes: a newer write replaces its
     * older write or read (whatever is ordered after the new one is ordered
     * after them), a newer read its older read. A read never replaces its
     * write: another task's access ordered after that write (the lock the
     * task released after it) need not be ordered after this read. Only in
     * the write's own epoch does the write stand for the read. */
    hb_rec *slot;
    if (a->write) {
        slot = own_w ? own_w : own_r;
    } else {
        if (own_w && own_w->clock == now)
            return;
        slot = own_r;
    }
    if (!slot) {
        slot = empty ? empty : stale;
        if (!slot)
            slot = &c->r[now % RECS]; /* full: a race with the replaced record may be missed */
    }
    *slot = (hb_rec){.clock = a->vc[a->tid],
                     .tid = (uint16_t)a->tid,
                     .off = (uint8_t)off,
                     .size = (uint8_t)n,
                     .write = a->write,
                     .atomic = a->atomic,
                     .vol = a->vol,
                     .mark = a->mark,
                     .pc = a->pc,
                     .asize = (uint16_t)a->size};
}

static void shadow_access(const void *addr, size_t size, const hb_acc *a)
{
    uintptr_t p = (uintptr_t)addr, end = p + size;
    while (p < end) {
        unsigned off = (unsigned)(p & 7), n = 8 - off;
        if (n > end - p)
            n = (unsigned)(end - p);
        granule(p >> 3, off, n, a);
        p += n;
    }
}

void dr__hb_access(const void *addr, size_t size, bool write, uintptr_t pc, uint32_t mark)
{
    uint32_t t = cur_tid();
    if (!t)
        return;
    bool atomic = false, vol = false;
    unsigned how = 0;
    if (pending_addr[t]) {
        if (pending_addr[t] == addr) {
            atomic = true;
            how = pending_how[t];
        }
        pending_addr[t] = NULL;
    }
    if (!atomic && nvsites && volatile_of && volatile_of(pc)) {
        vol = true;
        if (volatile_ms) { /* /volatile:ms: a volatile read acquires, a volatile write releases */
            atomic = true;
            how = write ? DR_ATOMIC_RELEASE : DR_ATOMIC_ACQUIRE;
        }
    }
    if (how & DR_ATOMIC_ACQUIRE)
        hb_acquire(addr);
    hb_acc a = {t, task_vc[t], task_w[t], write, atomic, vol, mark, pc, size};
    shadow_access(addr, size, &a);
    if (how & DR_ATOMIC_RELEASE)
        hb_release(addr);
}

void dr_hb_atomic(const void *addr, size_t size, unsigned how, uintptr_t pc)
{
    if (!dr__hb_on)
        return;
    uint32_t t = cur_tid();
    if (!t)
        return;
    if (!(how & DR_ATOMIC_RMW)) {
        /* A load or a store: the driver's own access follows (its hook
         * fires, a scheduling point before it); it takes the edge then. */
        pending_addr[t] = addr;
        pending_how[t] = (uint8_t)how;
        return;
    }
    /* A read-modify-write (no access hook follows): indivisible here. */
    if (how & DR_ATOMIC_ACQUIRE)
        hb_acquire(addr);
    hb_acc a = {t, task_vc[t], task_w[t], true, true, false, 0, pc, size};
    shadow_access(addr, size, &a);
    if (how & DR_ATOMIC_RELEASE)
        hb_release(addr);
}
