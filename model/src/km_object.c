/* km_object.c: the object table, handles, contexts and object lifetime
 * (WdfObjectDelete / Reference / Dereference / AllocateContext /
 * GetTypedContextWorker). kmdf-model-spec.md 1.11, V30, V31, C11. */
#include "km.h"
#include "km_hb.h"

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

km_world km_w;

static const char *const type_names[] = {"(none)",
#define KM_X(e, p, n) n,
                                         KM_OBJECT_TYPES(KM_X)
#undef KM_X
};
static const char *const type_prefixes[] = {"?",
#define KM_X(e, p, n) p,
                                            KM_OBJECT_TYPES(KM_X)
#undef KM_X
};

const char *km_type_name(km_type t) { return t < KM_T__COUNT ? type_names[t] : "?"; }
const char *km_type_prefix(km_type t) { return t < KM_T__COUNT ? type_prefixes[t] : "?"; }

/* ---- the guarded arena: memory a driver can touch --------------------------------------
 *
 * Contexts and request buffers come from slots in one reserved stretch of
 * address space (more stretches if it fills). A slot of class c is 2^c pages
 * the driver may use followed by one PROT_NONE guard page; an allocation is
 * placed at the end of its slot's pages (aligned down to `align`), so the first
 * byte past it is the guard page, or a poisoned byte just before it. Each
 * class hands out its slots in order, one per allocation, and starts again at
 * the first at the next execution: nothing is reused within an execution
 * (freed memory stays quarantined until the execution ends), and an execution
 * that allocates what the previous one did touches the same pages with no
 * system call at all. Slots are made once and never change protection, except
 * in builds where driver accesses are not checked by the access hooks (gcc):
 * there a freed allocation's pages are PROT_NONE until the next reset.
 *
 * Poison (dr_poison): the part of the slot before the allocation, and the
 * bytes after it up to the end of the guard page, from allocation on; the
 * allocation itself once km_free runs. The harness reports a driver access
 * to any of it before the access happens (docs/model.md). */

#if defined(__clang__)
#define KM_ACCESS_HOOKS 1 /* driver code is built with the access hooks (DR_DRIVER_FLAGS) */
#else
#define KM_ACCESS_HOOKS 0
#endif

enum { REGION_BYTES = 256u << 20, MAX_REGIONS = 8, CLASSES = 24 };

typedef struct mem_rec {
    uint8_t *mem;
    size_t size;
    uint8_t *slot;      /* the slot's first page */
    size_t slot_bytes;  /* its usable pages */
    const char *what, *type;
    const char *owner_prefix;
    uint32_t owner_id;
    bool freed;
    uint8_t cls;        /* its slot: class and index (the slot's written flag) */
    uint32_t slot_index;
    uint64_t la;        /* the logical (bus) address of mem */
} mem_rec;

static size_t page_size;
static struct {
    uint8_t *base;
    size_t used;
} regions[MAX_REGIONS];
static unsigned nregions;
static struct {
    uint8_t **slot;
    uint8_t *written; /* per slot: the driver may have written it since it was last all zero */
    uint32_t n, cap, next;
} classes[CLASSES];
static mem_rec *mems;
static uint32_t nmems, mems_cap;
static uint64_t la_next; /* the next allocation's bus address page (this execution's) */

static void out_of_memory(void)
{
    fprintf(stderr, "dmarace: model out of memory\n");
    abort();
}

static uint8_t *new_region(void)
{
    if (nregions == MAX_REGIONS)
        out_of_memory();
    void *p = mmap(NULL, REGION_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        out_of_memory();
    regions[nregions].base = p;
    regions[nregions].used = 0;
    nregions++;
    dr_poison_window(p, REGION_BYTES);
    return p;
}

/* A new slot of `pages` usable pages and a guard page. */
static uint8_t *new_slot(size_t pages)
{
    size_t bytes = (pages + 1) * page_size;
    if (bytes > REGION_BYTES)
        out_of_memory();
    if (!nregions || regions[nregions - 1].used + bytes > REGION_BYTES)
        new_region();
    uint8_t *slot = regions[nregions - 1].base + regions[nregions - 1].used;
    regions[nregions - 1].used += bytes;
    if (mprotect(slot, pages * page_size, PROT_READ | PROT_WRITE) != 0)
        out_of_memory();
    return slot;
}

/* ---- logical (bus) addresses --------------------------------------------------------------
 *
 * What a device is given for memory (S/G list elements, a common buffer's
 * logical address, MmGetPhysicalAddress) is not the virtual address, as on a
 * real machine. Each arena allocation (request buffers, pool, common
 * buffers) gets bus pages of its own when it is made, from KM_BUS_BASE up,
 * in this execution's allocation order, at the same offset in its first page
 * as its virtual address (so page splitting is the same in both), with a
 * page between allocations; below 4 GiB, as a 32-bit device needs. Any other
 * memory (a driver's static buffer) is at its virtual address + KM_BUS_HIGH,
 * above 4 GiB. A driver that hands its device a virtual address, or only the
 * low half of a logical one above 4 GiB, programs a wrong address, which
 * device models see. An allocation's bus address depends only on the
 * allocations made before it in the same execution: the same in every
 * replay and in every worker process, whatever ran there before (a
 * virtual address is not). */
static void la_assign(mem_rec *m)
{
    uint64_t off = (uintptr_t)m->mem & (KM_PAGE_SIZE - 1);
    m->la = la_next + off;
    la_next += (off + m->size + KM_PAGE_SIZE - 1) / KM_PAGE_SIZE * KM_PAGE_SIZE + KM_PAGE_SIZE;
}

uint64_t km_logical_address(const void *va)
{
    const uint8_t *p = va;
    for (uint32_t i = 0; i < nmems; i++)
        if (p >= mems[i].mem && p < mems[i].mem + mems[i].size)
            return mems[i].la + (uint64_t)(p - mems[i].mem);
    return (uint64_t)(uintptr_t)va + KM_BUS_HIGH;
}

void *km_logical_to_virtual(uint64_t la)
{
    for (uint32_t i = 0; i < nmems; i++)
        if (la >= mems[i].la && la - mems[i].la < mems[i].size)
            return mems[i].mem + (la - mems[i].la);
    return la >= KM_BUS_HIGH ? (void *)(uintptr_t)(la - KM_BUS_HIGH) : NULL;
}

static void describe(uint32_t id, const void *addr, char *buf, size_t len)
{
    if (id >= nmems) {
        snprintf(buf, len, "in model memory");
        return;
    }
    const mem_rec *m = &mems[id];
    long off = (long)((const uint8_t *)addr - m->mem);
    char where[64];
    if (off < 0)
        snprintf(where, sizeof where, "%ld bytes before", -off);
    else if ((size_t)off >= m->size)
        snprintf(where, sizeof where, "%zu bytes past the end of", (size_t)off - m->size);
    else
        snprintf(where, sizeof where, "at offset %ld of", off);
    if (!m->owner_prefix) /* memory of the driver's own (pool): no object owns it */
        snprintf(buf, len, "%s a %s%s%s (%zu bytes)", where, m->what, m->type ? " " : "", m->type ? m->type : "",
                 m->size);
    else
        snprintf(buf, len, "%s %s%u's %s%s%s (%zu bytes)", where, m->owner_prefix, m->owner_id, m->what,
                 m->type ? " of type " : "", m->type ? m->type : "", m->size);
}

/* Zeroing on demand (km_alloc_unexposed): the model writes nothing into a
 * request buffer, and the driver gets its address only from
 * WdfRequestRetrieve*Buffer, so a buffer the driver never asked for is still
 * all zero at the next execution and needs no memset (it was the largest
 * single cost of an execution). A slot is marked written when its memory is
 * handed to the driver (km_alloc, km_mem_exposed) or a driver store lands in
 * it (km_request_access); such a slot is zeroed whole before its next
 * unexposed use. Only where every driver store is seen by the access hooks;
 * elsewhere (gcc) every allocation is zeroed. */
static void *alloc(size_t size, size_t align, const char *what, const char *type, const km_object *owner, uint32_t *id,
                   bool exposed)
{
    if (!page_size)
        page_size = (size_t)sysconf(_SC_PAGESIZE);
    if (!size)
        size = 1;
    size_t pages = (size + page_size - 1) / page_size;
    unsigned c = 0;
    while (((size_t)1 << c) < pages)
        c++;
    if (c >= CLASSES)
        out_of_memory();
    if (classes[c].next == classes[c].n) {
        if (classes[c].n == classes[c].cap) {
            uint32_t cap = classes[c].cap ? classes[c].cap * 2 : 16;
            uint8_t **p = realloc(classes[c].slot, cap * sizeof *p);
            uint8_t *w = p ? realloc(classes[c].written, cap) : NULL;
            if (!p || !w)
                out_of_memory();
            classes[c].slot = p;
            classes[c].written = w;
            classes[c].cap = cap;
        }
        classes[c].written[classes[c].n] = 0; /* fresh pages are zero */
        classes[c].slot[classes[c].n++] = new_slot((size_t)1 << c);
    }
    uint32_t si = classes[c].next++;
    uint8_t *slot = classes[c].slot[si];
    uint8_t *written = &classes[c].written[si];
    size_t slot_bytes = ((size_t)1 << c) * page_size;
    uint8_t *mem = (uint8_t *)((uintptr_t)(slot + slot_bytes - size) & ~(uintptr_t)(align - 1));

    if (nmems == mems_cap) {
        uint32_t cap = mems_cap ? mems_cap * 2 : 64;
        mem_rec *p = realloc(mems, cap * sizeof *p);
        if (!p)
            out_of_memory();
        mems = p;
        mems_cap = cap;
    }
    *id = nmems;
    mems[nmems++] = (mem_rec){mem, size, slot, slot_bytes, what, type, owner ? km_type_prefix(owner->type) : NULL,
                              owner ? owner->id : 0, false, (uint8_t)c, si, 0};
    la_assign(&mems[nmems - 1]);

    km_quiet_writes_begin();
    if (exposed || !KM_ACCESS_HOOKS) {
        memset(mem, 0, size);
        *written = 1;
    } else if (*written) {
        memset(slot, 0, slot_bytes); /* the whole slot: the next unexposed use may place its memory elsewhere */
        *written = 0;
    }
    km_quiet_writes_end();
    dr_poison(slot, (size_t)(mem - slot), DR_POISON_BEFORE, what, describe, *id);
    dr_poison(mem + size, (size_t)(slot + slot_bytes + page_size - (mem + size)), DR_POISON_AFTER, what, describe,
              *id);
    return mem;
}

void *km_alloc(size_t size, size_t align, const char *what, const char *type, const km_object *owner, uint32_t *id)
{
    return alloc(size, align, what, type, owner, id, true);
}

void *km_alloc_unexposed(size_t size, size_t align, const char *what, const char *type, const km_object *owner,
                         uint32_t *id)
{
    return alloc(size, align, what, type, owner, id, false);
}

void km_mem_exposed(uint32_t id)
{
    if (id < nmems)
        classes[mems[id].cls].written[mems[id].slot_index] = 1;
}

void km_free(uint32_t id)
{
    if (id >= nmems || mems[id].freed)
        return;
    mem_rec *m = &mems[id];
    m->freed = true;
    dr_poison(m->mem, m->size, DR_POISON_FREED, m->what, describe, id);
    if (!KM_ACCESS_HOOKS && mprotect(m->slot, m->slot_bytes, PROT_NONE) != 0)
        out_of_memory();
}

static void arena_reset(void)
{
    if (!KM_ACCESS_HOOKS)
        for (uint32_t i = 0; i < nmems; i++)
            if (mems[i].freed && mprotect(mems[i].slot, mems[i].slot_bytes, PROT_READ | PROT_WRITE) != 0)
                out_of_memory();
    nmems = 0;
    la_next = KM_BUS_BASE;
    for (unsigned c = 0; c < CLASSES; c++)
        classes[c].next = 0;
    dr_poison_reset();
}

/* ---- reset --------------------------------------------------------------------------- */

void km_reset(const km_env *env)
{
    arena_reset();
    km_wdm_reset();
    /* Only slots below the high-water mark were touched since the last reset:
     * clearing those, not the whole table, keeps a reset cheap (under TSan
     * the memset of the whole world dominated an execution). */
    uint32_t used = km_w.nobjects;
    size_t before = offsetof(km_world, objects);
    size_t after = before + sizeof km_w.objects;
    km_quiet_writes_begin();
    memset(&km_w, 0, before);
    memset(km_w.objects, 0, used * sizeof km_w.objects[0]);
    memset((char *)&km_w + after, 0, sizeof km_w - after);
    km_quiet_writes_end();
    km_w.env = *env;
}

/* ---- handles --------------------------------------------------------------------------- */

#define HANDLE_TAG 0xD000000000000000ull
#define HANDLE_TAG_MASK 0xF000000000000000ull

WDFOBJECT km_handle(const km_object *o)
{
    if (!o)
        return NULL;
    return (WDFOBJECT)(uintptr_t)(HANDLE_TAG | (uint64_t)o->gen << 20 | o->index);
}

static km_object *decode(WDFOBJECT h, uint16_t *gen)
{
    uint64_t v = (uint64_t)(uintptr_t)h;
    if ((v & HANDLE_TAG_MASK) != HANDLE_TAG || (v & 0x0FFFFFF000000000ull))
        return NULL;
    uint32_t index = (uint32_t)(v & 0xFFFFF);
    if (index >= km_w.nobjects)
        return NULL;
    *gen = (uint16_t)(v >> 20);
    return &km_w.objects[index];
}

static km_object *lookup(WDFOBJECT h, km_type want, const char *api, bool allow_disposed)
{
    if (!h) {
        km_bugcheck("V30", WDF_INVALID_HANDLE, api, "NULL handle", "%s passed a NULL %s", api,
                    want ? km_type_name(want) : "handle");
        return NULL;
    }
    uint16_t gen;
    km_object *o = decode(h, &gen);
    if (!o) {
        km_bugcheck("V30", WDF_INVALID_HANDLE, api, "not a WDF handle", "%s got a value that is no WDF handle",
                    api);
        return NULL;
    }
    if (o->gen != gen || o->state == KM_OBJ_FREE) {
        if (o->state == KM_OBJ_FREE && o->gen == (uint16_t)(gen + 1)) /* freed once since, not reused */
            km_related(km_w.free_mark[o->index], "deleted it");
        km_crash("C11", api, "handle of a freed object",
                 "%s used a %s handle whose object was freed (use after free)", api,
                 want ? km_type_name(want) : "WDF");
        return NULL;
    }
    if (want && o->type != want) {
        km_bugcheck("V30", WDF_INVALID_HANDLE, api, "handle of the wrong type", "%s expects a %s, got %s%u (%s)",
                    api, km_type_name(want), km_type_prefix(o->type), o->id, km_type_name(o->type));
        return NULL;
    }
    if (o->state == KM_OBJ_DISPOSED && !allow_disposed) {
        km_related(o->delete_mark, o->type == KM_T_REQUEST ? "completed it" : "deleted it");
        km_crash("C11", api, "object already deleted", "%s used %s%u after it was deleted or completed", api,
                 km_type_prefix(o->type), o->id);
        return NULL;
    }
    return o;
}

km_object *km_peek_freed(WDFOBJECT h, km_type type)
{
    uint16_t gen;
    km_object *o = h ? decode(h, &gen) : NULL;
    if (o && o->state == KM_OBJ_FREE && o->type == type && o->gen == (uint16_t)(gen + 1))
        return o;
    return NULL;
}

km_object *km_lookup(WDFOBJECT h, km_type want, const char *api, bool allow_disposed)
{
    return lookup(h, want, api, allow_disposed);
}

km_object *km_lookup_any(WDFOBJECT h, const char *api, bool allow_disposed)
{
    return lookup(h, KM_T_NONE, api, allow_disposed);
}

/* ---- creation ----------------------------------------------------------------------------- */

/* The same context type: the same type-info object, or (another translation
 * unit's copy) the same name and size. */
static bool same_type(PCWDF_OBJECT_CONTEXT_TYPE_INFO a, PCWDF_OBJECT_CONTEXT_TYPE_INFO b)
{
    return a == b || (a && b && a->ContextSize == b->ContextSize && a->ContextName && b->ContextName &&
                      strcmp(a->ContextName, b->ContextName) == 0);
}

static bool add_context(km_object *o, PCWDF_OBJECT_CONTEXT_TYPE_INFO type, size_t override, const char *api,
                        NTSTATUS *status)
{
    if (!type)
        return true;
    const WDF_OBJECT_CONTEXT_TYPE_INFO *unique = type->UniqueType ? type->UniqueType : type;
    for (int i = 0; i < KM_MAX_CONTEXTS; i++) {
        if (same_type(o->ctx[i].type, unique)) {
            *status = STATUS_OBJECT_NAME_EXISTS;
            return false;
        }
        if (!o->ctx[i].type) {
            size_t size = override > unique->ContextSize ? override : unique->ContextSize;
            o->ctx[i].type = unique;
            o->ctx[i].size = size;
            /* Placed at the type's own alignment (which divides its size, up
             * to 16), so a write just past it meets the guard page. */
            size_t ts = unique->ContextSize ? unique->ContextSize : 16;
            size_t align = ts & -ts;
            o->ctx[i].mem = km_alloc(size, align > 16 ? 16 : align, "WDF context", unique->ContextName, o,
                                     &o->ctx[i].alloc);
            return true;
        }
    }
    (void)api;
    *status = STATUS_INSUFFICIENT_RESOURCES;
    return false;
}

/* fxvalidatefunctions.cpp FxValidateObjectAttributes, in its order. */
NTSTATUS km_validate_attributes(PCWDF_OBJECT_ATTRIBUTES attrs, unsigned flags)
{
    if (!attrs)
        return (flags & KM_ATTRS_REQUIRED) ? STATUS_WDF_PARENT_NOT_SPECIFIED : STATUS_SUCCESS;
    if (attrs->Size != sizeof(WDF_OBJECT_ATTRIBUTES))
        return STATUS_INFO_LENGTH_MISMATCH;
    const WDF_OBJECT_CONTEXT_TYPE_INFO *t = attrs->ContextTypeInfo;
    if (t && t->Size != sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (t && t->ContextSize > 0 && !t->ContextName)
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    if (attrs->ContextSizeOverride > 0 && (!t || attrs->ContextSizeOverride < t->ContextSize))
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID; /* no type to enlarge, or smaller than the type */
    if ((flags & KM_ATTRS_PARENT_NOT_ALLOWED) && attrs->ParentObject)
        return STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
    if (attrs->ExecutionLevel == WdfExecutionLevelInvalid || attrs->ExecutionLevel > WdfExecutionLevelDispatch ||
        attrs->SynchronizationScope == WdfSynchronizationScopeInvalid ||
        attrs->SynchronizationScope > WdfSynchronizationScopeNone)
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    return STATUS_SUCCESS;
}

km_object *km_obj_create(km_type type, PWDF_OBJECT_ATTRIBUTES attrs, km_object *default_parent, const char *api,
                         NTSTATUS *status)
{
    *status = STATUS_SUCCESS;
    km_object *parent = default_parent;
    if (attrs) {
        *status = km_validate_attributes(attrs, 0);
        if (!NT_SUCCESS(*status))
            return NULL;
        if (attrs->ParentObject) {
            parent = km_lookup_any(attrs->ParentObject, api, false);
            if (!parent) {
                *status = STATUS_INVALID_PARAMETER;
                return NULL;
            }
        }
    }
    uint32_t i;
    for (i = 0; i < km_w.nobjects && km_w.objects[i].state != KM_OBJ_FREE; i++)
        ;
    if (i == KM_MAX_OBJECTS) {
        km_oracle("OBJECT-LEAK", "object table full", "more than %d live WDF objects: a leak", KM_MAX_OBJECTS);
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    if (i == km_w.nobjects)
        km_w.nobjects++;
    km_object *o = &km_w.objects[i];
    uint16_t gen = (uint16_t)(o->gen + 1);
    km_quiet_writes_begin();
    memset(o, 0, sizeof *o);
    km_quiet_writes_end();
    o->gen = gen ? gen : 1;
    o->index = i;
    o->type = type;
    o->state = KM_OBJ_LIVE;
    o->id = ++km_w.type_count[type];
    o->refs = 1;
    o->level = WdfExecutionLevelInheritFromParent;
    o->scope = WdfSynchronizationScopeInheritFromParent;
    if (attrs) {
        o->cleanup = attrs->EvtCleanupCallback;
        o->destroy = attrs->EvtDestroyCallback;
        o->level = attrs->ExecutionLevel;
        o->scope = attrs->SynchronizationScope;
        /* fxobject.cpp#Commit: MarkPassiveCallbacks for an explicit PASSIVE. */
        o->passive_callbacks = attrs->ExecutionLevel == WdfExecutionLevelPassive;
        if (!add_context(o, attrs->ContextTypeInfo, attrs->ContextSizeOverride, api, status)) {
            o->state = KM_OBJ_FREE;
            return NULL;
        }
    }
    o->parent = parent;
    if (parent) {
        o->next_sibling = parent->first_child;
        parent->first_child = o;
    }
    return o;
}

/* ---- deletion and references ------------------------------------------------------------- */

static void unlink_from_parent(km_object *o)
{
    km_object *p = o->parent;
    if (!p)
        return;
    for (km_object **c = &p->first_child; *c; c = &(*c)->next_sibling)
        if (*c == o) {
            *c = o->next_sibling;
            break;
        }
    o->parent = NULL;
    o->next_sibling = NULL;
}

static void obj_free(km_object *o)
{
    WDFOBJECT h = km_handle(o);
    if (o->destroy) {
        o->destroy(h);
        dr_framework_resume();
    }
    /* The memory goes: contexts (and a request's buffer) are poisoned and
     * quarantined until the execution ends. */
    for (int i = 0; i < KM_MAX_CONTEXTS; i++)
        if (o->ctx[i].type)
            km_free(o->ctx[i].alloc);
    if (o->type == KM_T_REQUEST)
        km_free(o->u.req.buffer_alloc);
    if (o->type == KM_T_STRING)
        km_string_destroy(o);
    if (o->type == KM_T_MEMORY)
        km_memory_destroy(o);
    if (o->type == KM_T_COLLECTION)
        km_collection_destroy(o);
    unlink_from_parent(o);
    o->state = KM_OBJ_FREE;
    o->gen++;
    km_w.free_mark[o->index] = o->delete_mark ? o->delete_mark : dr_trace_mark(NULL);
}

void km_obj_ref(km_object *o) { o->refs++; }

void km_obj_unref(km_object *o)
{
    if (--o->refs > 0)
        return;
    /* A timer freed without WdfObjectDelete is V29; the hook also cancels a
     * timer still armed before its memory goes. */
    if (o->refs == 0 && o->type == KM_T_TIMER && !km_timer_destroy(o))
        return;
    if (o->refs == 0 && (o->type == KM_T_DPC || o->type == KM_T_WORKITEM) && !km_defer_destroy(o))
        return;
    if (o->refs < 0 || o->state == KM_OBJ_LIVE) {
        km_crash("C7", "WdfObjectDereference", "reference count dropped to zero on a live object",
                 "%s%u: more dereferences than references", km_type_prefix(o->type), o->id);
        return;
    }
    obj_free(o);
}

/* FxObject::DisposeChildrenWorker (fxobjectstatemachine.cpp) at PASSIVE, or
 * at any IRQL for an object that is not passive-dispose: the children's
 * early dispose, then the object's own Dispose() override, and only when that
 * returns the driver's EvtCleanupCallback (FxObject::CallCleanup). So a timer's
 * cleanup runs after FxTimer::Dispose cancelled it and flushed its DPC and
 * work item, and a transaction's after FxDmaTransactionBase::Dispose. */
DR_SITE(site_child_order, "child-delete-order");

void km_obj_dispose(km_object *o)
{
    /* Children go first, as KMDF disposes a parent's children before it, in
     * an order the WdfObjectDelete docs call unpredictable: with several
     * children, which goes next is a tape choice. */
    while (o->first_child) {
        unsigned n = 0;
        for (const km_object *k = o->first_child; k; k = k->next_sibling)
            n++;
        unsigned pick = n > 1 ? dr_choose(&site_child_order, n) : 0;
        km_object **at = &o->first_child;
        while (pick--)
            at = &(*at)->next_sibling;
        km_object *c = *at;
        *at = c->next_sibling;
        c->next_sibling = NULL;
        km_obj_delete(c);
        if (dr_failed())
            return;
    }
    switch (o->type) {
    case KM_T_REQUEST:
        km_request_dispose(o);
        break;
    case KM_T_DMATRANSACTION:
        km_dmatx_dispose(o);
        break;
    case KM_T_TIMER:
        km_timer_dispose(o);
        break;
    case KM_T_COMMONBUFFER:
        km_commonbuffer_dispose(o);
        break;
    case KM_T_DPC:
    case KM_T_WORKITEM:
        km_defer_dispose(o);
        break;
    case KM_T_MEMORY:
        km_memory_dispose(o);
        break;
    case KM_T_NONE:
    case KM_T_DRIVER:
    case KM_T_DEVICE:
    case KM_T_QUEUE:
    case KM_T_DMAENABLER:
    case KM_T_SPINLOCK:
    case KM_T_CMRESLIST:
    case KM_T_KEY:
    case KM_T_STRING:
    case KM_T_COLLECTION:
    case KM_T_WAITLOCK:
    case KM_T_INTERRUPT:
    case KM_T__COUNT:
        break;
    }
    if (dr_failed())
        return;
    if (o->cleanup) {
        /* FxObject::CallCleanup: once. */
        PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup = o->cleanup;
        o->cleanup = NULL;
        cleanup(km_handle(o));
        dr_framework_resume();
    }
}

void km_obj_delete(km_object *o)
{
    if (o->delete_called || o->state != KM_OBJ_LIVE)
        return; /* a second delete is dropped (checked-build ASSERT only) */
    o->delete_called = true;
    if (!o->delete_mark)
        o->delete_mark = dr_trace_mark(NULL);
    if (o->type == KM_T_TIMER && dr_irql() > PASSIVE_LEVEL) {
        /* FxObject::ShouldDeferDisposeLocked: a passive-dispose object
         * (every FxTimer) deleted above PASSIVE is disposed, children and
         * cleanup included, by a system work item, which then drops the
         * creation reference (DeletedAndDisposedWorkerLocked). */
        o->state = KM_OBJ_DISPOSED;
        km_timer_defer_dispose(o);
        return;
    }
    if ((o->type == KM_T_DPC || o->type == KM_T_WORKITEM) && dr_irql() > PASSIVE_LEVEL) {
        /* The same for FxDpc (MarkPassiveDispose) and FxWorkItem
         * (MarkPassiveCallbacks implies passive dispose). */
        o->state = KM_OBJ_DISPOSED;
        km_defer_defer_dispose(o);
        return;
    }
    km_obj_dispose(o);
    if (dr_failed())
        return;
    /* A timer's rundown drops its own extra reference; the object lives on
     * while anything else holds one. */
    o->state = KM_OBJ_DISPOSED;
    km_obj_unref(o);
}

/* ---- DDIs ------------------------------------------------------------------------------------ */

DR_SITE(site_delete, "WdfObjectDelete");
DR_SITE(site_reference, "WdfObjectReference");
DR_SITE(site_dereference, "WdfObjectDereference");

VOID WdfObjectDelete(WDFOBJECT Object)
{
    if (!km_enter(&site_delete, DISPATCH_LEVEL))
        return;
    km_object *o = km_lookup_any(Object, "WdfObjectDelete", true);
    if (!o)
        return;
    km_trace(&site_delete, o, 0);
    if (o->type == KM_T_REQUEST && !o->u.req.driver_created) {
        /* fxobjectapi.cpp WdfObjectDelete refuses only IsNoDeleteDDI objects
         * (devices, drivers, default queues, ...); a framework request is not
         * one, so KMDF disposes it while its IRP is pending. Every request in
         * the model comes from a queue: dmarace's own check. */
        km_own_check("DR1", "WdfObjectDelete", "framework request deleted by the driver",
                     "REQ%u came from an I/O queue: complete it; KMDF does not refuse the delete and disposes a "
                     "request whose IRP is still pending",
                     o->id);
        return;
    }
    if (o->no_delete) {
        km_vf_break("V31", "WdfObjectDelete", "object that cannot be deleted by the driver",
                    "%s%u (%s) is deleted by the framework, not the driver", km_type_prefix(o->type), o->id,
                    km_type_name(o->type));
        return;
    }
    km_obj_delete(o);
}

VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCSTR File)
{
    (void)Tag;
    (void)Line;
    (void)File;
    if (!km_enter(&site_reference, DISPATCH_LEVEL))
        return;
    km_object *o = km_lookup_any(Handle, "WdfObjectReference", true);
    if (o) {
        km_trace(&site_reference, o, o->refs + 1);
        km_obj_ref(o);
    }
}

VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCSTR File)
{
    (void)Tag;
    (void)Line;
    (void)File;
    if (!km_enter(&site_dereference, DISPATCH_LEVEL))
        return;
    km_object *o = km_lookup_any(Handle, "WdfObjectDereference", true);
    if (o) {
        km_trace(&site_dereference, o, o->refs - 1);
        km_obj_unref(o);
    }
}

NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes, PVOID *Context)
{
    km_object *o = km_lookup_any(Handle, "WdfObjectAllocateContext", false);
    if (!o)
        return STATUS_INVALID_HANDLE;
    /* handleapi.cpp FxObjectAllocateContext: the attributes are required and
     * may not name a parent (KMDF 1.11 on), then a NULL ContextTypeInfo is
     * STATUS_OBJECT_NAME_INVALID; no bugcheck. */
    NTSTATUS st = km_validate_attributes(ContextAttributes, KM_ATTRS_REQUIRED | KM_ATTRS_PARENT_NOT_ALLOWED);
    if (!NT_SUCCESS(st))
        return st;
    if (!ContextAttributes->ContextTypeInfo)
        return STATUS_OBJECT_NAME_INVALID;
    if (!add_context(o, ContextAttributes->ContextTypeInfo, ContextAttributes->ContextSizeOverride,
                     "WdfObjectAllocateContext", &st)) {
        /* FxObject::AddContext (fxobject.cpp): a duplicate type gives the
         * caller the context already there, with STATUS_OBJECT_NAME_EXISTS
         * (a success status). */
        if (st == STATUS_OBJECT_NAME_EXISTS && Context)
            *Context = WdfObjectGetTypedContextWorker(Handle, ContextAttributes->ContextTypeInfo);
        return st;
    }
    if (Context)
        *Context = WdfObjectGetTypedContextWorker(Handle, ContextAttributes->ContextTypeInfo);
    return STATUS_SUCCESS;
}

PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo)
{
    /* Contexts outlive deletion while the object is referenced (a timer
     * keeps its parent request's context alive, kmdf-model-spec.md 4). */
    km_object *o = km_lookup_any(Handle, "WdfObjectGetTypedContext", true);
    if (!o || !TypeInfo)
        return NULL;
    const WDF_OBJECT_CONTEXT_TYPE_INFO *unique = TypeInfo->UniqueType ? TypeInfo->UniqueType : TypeInfo;
    for (int i = 0; i < KM_MAX_CONTEXTS; i++)
        if (same_type(o->ctx[i].type, unique))
            return o->ctx[i].mem;
    return NULL;
}
