/* km_envparse.c: environments as data. A km_env is written as space-separated
 * settings on top of km_env_defaults:
 *   requests=2 concurrent length=3p map_registers=2 no-cancel dma_error=0 ...
 * `name` or `name=1` sets a flag, `no-name` or `name=0` clears it; lengths take
 * a `p` suffix for pages. km_env_describe writes the settings that differ from
 * the defaults, in the same syntax. `memory=4K,64K,256` is a list: its commas
 * join lengths (each starts with a digit; K, M and p suffixes). `device=`
 * takes a name (device_names). */
#include "km.h"
#include "km_gendev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_BOOL, F_UINT, F_SIZE, F_MEMLIST, F_DEVICE, F_CODE } field_kind;

typedef struct {
    const char *name;
    field_kind kind;
    size_t offset;
    const char *help;
} field;

#define FIELD(n, k, h) {#n, k, offsetof(km_env, n), h}
static const field fields[] = {
    FIELD(verifier, F_BOOL, "KMDF Verifier on"),
    FIELD(enhanced_verifier, F_BOOL, "EnhancedVerifierOptions 0x1: V34 on EvtIo*"),
    FIELD(strict_irql_exit, F_BOOL, "dmarace's V34 on every other callback"),
    FIELD(requests, F_UINT, "requests the I/O manager sends"),
    FIELD(concurrent, F_BOOL, "requests in flight at once"),
    FIELD(request_length, F_SIZE, "bytes per request (p = pages)"),
    FIELD(writes, F_UINT, "the last N requests are writes, the others reads"),
    FIELD(map_registers, F_UINT, "adapter map registers: fragment <= (n-1) pages"),
    FIELD(cancel, F_BOOL, "the I/O manager may cancel"),
    FIELD(cancel_at_dispatch, F_BOOL, "... at DISPATCH_LEVEL too (EvtRequestCancel there)"),
    FIELD(dma_error, F_BOOL, "hardware may report DmaError"),
    FIELD(dma_abort, F_BOOL, "hardware may report DmaAborted"),
    FIELD(short_mapping, F_BOOL, "the HAL may map fewer bytes"),
    FIELD(deferred_adapter, F_BOOL, "_AdapterControl may run later"),
    FIELD(sync_stop_callback, F_BOOL, "StopSystemTransfer may call back synchronously"),
    FIELD(alloc_failure, F_BOOL, "AllocateAdapterChannel may fail (Execute fails)"),
    FIELD(hal_failure, F_BOOL, "MapTransferEx / FlushAdapterBuffersEx may fail"),
    FIELD(c2_status_lost, F_BOOL, "protocol check C2: no success after a failed or cut-short transfer"),
    /* hardware resources */
    {"memory", F_MEMLIST, offsetof(km_env, memory_ranges), "memory ranges' lengths: memory=4K,64K,256"},
    FIELD(interrupts, F_UINT, "interrupt resources (0 to 4)"),
    FIELD(interrupt_latched, F_BOOL, "interrupts are latched (edge), not level-sensitive"),
    FIELD(dma_channels, F_UINT, "system DMA channels in the resource list (1..4)"),
    FIELD(pool_failure, F_BOOL, "ExAllocatePool* may fail (returns NULL)"),
    /* the device model (km_gendev.c) */
    FIELD(device, F_DEVICE, "device model: device=generic (bus-master DMA device) or none"),
    FIELD(short_transfer, F_BOOL, "the generic device may end a run short"),
    /* interrupts (issue 14) */
    FIELD(spurious_interrupts, F_BOOL, "an interrupt's ISR may be called when its device did not interrupt"),
    /* the device's life (issue 15, km_pnp.c) */
    FIELD(power_cycles, F_UINT, "power-downs to D3 and back to D0 (0 to 4)"),
    FIELD(pnp_stop, F_BOOL, "query-stop, stop and restart the device"),
    FIELD(surprise_remove, F_BOOL, "surprise-remove the device, then remove it"),
    FIELD(remove, F_BOOL, "remove the device (query-remove, remove)"),
    /* request types (issue 15) */
    FIELD(ioctls, F_UINT, "device-control requests (after the reads)"),
    FIELD(internal_ioctls, F_UINT, "internal device-control requests (after the device controls)"),
    FIELD(ioctl, F_CODE, "their IoControlCode (hex: ioctl=0x222003); METHOD_ from its low two bits"),
    FIELD(ioctl_in, F_SIZE, "their input buffer length (p = pages)"),
    FIELD(ioctl_out, F_SIZE, "their output buffer length (p = pages)"),
};

/* device=NAME: the index is the km_env device value. */
static const char *const device_names[] = {[KM_ENV_DEVICE_NONE] = "none", [KM_ENV_DEVICE_GENERIC] = "generic"};
#define NDEVICES (sizeof device_names / sizeof device_names[0])
#define NFIELDS (sizeof fields / sizeof fields[0])

/* Field access through memcpy: the table holds offsets, not typed pointers. */
static uint64_t get(const km_env *env, const field *f)
{
    const char *at = (const char *)env + f->offset;
    bool b;
    unsigned u;
    size_t z;
    switch (f->kind) {
    case F_BOOL:
        memcpy(&b, at, sizeof b);
        return b;
    case F_UINT:
    case F_DEVICE:
    case F_CODE:
        memcpy(&u, at, sizeof u);
        return u;
    case F_SIZE:
        memcpy(&z, at, sizeof z);
        return z;
    case F_MEMLIST:
        break;
    }
    return 0;
}

static void set(km_env *env, const field *f, uint64_t v)
{
    char *at = (char *)env + f->offset;
    bool b = v != 0;
    unsigned u = (unsigned)v;
    size_t z = (size_t)v;
    switch (f->kind) {
    case F_BOOL:
        memcpy(at, &b, sizeof b);
        break;
    case F_UINT:
    case F_DEVICE:
    case F_CODE:
        memcpy(at, &u, sizeof u);
        break;
    case F_SIZE:
        memcpy(at, &z, sizeof z);
        break;
    case F_MEMLIST:
        break;
    }
}

/* memory=4K,64K,256: one to KM_ENV_MAX_MEMORY lengths, each 1 byte to
 * KM_ENV_MAX_MEMORY_LENGTH, with an optional K (KiB), M (MiB) or p (page). */
static bool parse_memlist(km_env *env, const char *s, size_t len)
{
    unsigned n = 0;
    uint32_t lengths[KM_ENV_MAX_MEMORY];
    const char *end = s + len;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item_end = comma ? comma : end;
        char buf[24];
        size_t ilen = (size_t)(item_end - s);
        if (n == KM_ENV_MAX_MEMORY || ilen == 0 || ilen >= sizeof buf)
            return false;
        memcpy(buf, s, ilen);
        buf[ilen] = 0;
        uint64_t mult = 1;
        char last = buf[ilen - 1];
        if (last == 'K' || last == 'k' || last == 'M' || last == 'm' || last == 'p') {
            mult = last == 'p' ? KM_PAGE_SIZE : (last == 'K' || last == 'k') ? 1024 : 1 << 20;
            buf[ilen - 1] = 0;
        }
        if (buf[0] < '0' || buf[0] > '9')
            return false;
        errno = 0;
        char *e;
        unsigned long long v = strtoull(buf, &e, 10);
        if (errno || *e || v == 0 || v > KM_ENV_MAX_MEMORY_LENGTH || v * mult > KM_ENV_MAX_MEMORY_LENGTH)
            return false;
        lengths[n++] = (uint32_t)(v * mult);
        if (!comma)
            break;
        s = comma + 1;
    }
    env->memory_ranges = n;
    memset(env->memory_length, 0, sizeof env->memory_length);
    memcpy(env->memory_length, lengths, n * sizeof lengths[0]);
    return true;
}

static size_t describe_memlist(const km_env *env, char *out, size_t outlen)
{
    size_t n = (size_t)snprintf(out, outlen, "memory=");
    for (unsigned i = 0; i < env->memory_ranges && i < KM_ENV_MAX_MEMORY; i++) {
        uint32_t l = env->memory_length[i];
        char *at = out + (n < outlen ? n : outlen);
        size_t room = n < outlen ? outlen - n : 0;
        const char *sep = i ? "," : "";
        if (l % (1 << 20) == 0)
            n += (size_t)snprintf(at, room, "%s%uM", sep, (unsigned)(l >> 20));
        else if (l % 1024 == 0)
            n += (size_t)snprintf(at, room, "%s%uK", sep, (unsigned)(l >> 10));
        else
            n += (size_t)snprintf(at, room, "%s%u", sep, (unsigned)l);
    }
    return n;
}

static const field *find(const char *name, size_t len)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strlen(fields[i].name) == len && strncmp(fields[i].name, name, len) == 0)
            return &fields[i];
    return NULL;
}

static bool parse_number(const char *s, size_t len, bool pages_ok, uint64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = 0;
    uint64_t mult = 1;
    if (pages_ok && buf[len - 1] == 'p') {
        mult = KM_PAGE_SIZE;
        buf[len - 1] = 0;
    }
    if (!buf[0] || buf[0] == '-' || buf[0] == '+')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || *end || v > (1ull << 32))
        return false;
    *out = v * mult;
    return true;
}

/* ---- registry=Name:value (km_registry.c): repeatable, one REG_DWORD each ---- */
static int parse_registry(km_env *env, const char *s, size_t len, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', len);
    size_t nlen = colon ? (size_t)(colon - s) : 0;
    bool ok = colon && nlen > 0 && nlen < KM_ENV_REG_NAME;
    for (size_t i = 0; ok && i < nlen; i++)
        ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
             s[i] == '_';
    char num[24];
    size_t vlen = colon ? len - nlen - 1 : 0;
    ok = ok && vlen > 0 && vlen < sizeof num;
    unsigned long long v = 0;
    if (ok) {
        memcpy(num, colon + 1, vlen);
        num[vlen] = 0;
        char *end;
        errno = 0;
        v = strtoull(num, &end, 0);
        ok = num[0] != '-' && num[0] != '+' && !errno && !*end && v <= 0xFFFFFFFFull;
    }
    if (!ok) {
        snprintf(err, errlen, "bad registry setting 'registry=%.*s' (registry=Name:value, a ULONG)", (int)len, s);
        return -1;
    }
    unsigned i;
    for (i = 0; i < env->nregistry; i++)
        if (strlen(env->registry[i].name) == nlen && strncmp(env->registry[i].name, s, nlen) == 0)
            break;
    if (i == KM_ENV_REG_VALUES) {
        snprintf(err, errlen, "more than %d registry values", KM_ENV_REG_VALUES);
        return -1;
    }
    if (i == env->nregistry) {
        memset(&env->registry[i], 0, sizeof env->registry[i]);
        memcpy(env->registry[i].name, s, nlen);
        env->nregistry++;
    }
    env->registry[i].value = (ULONG)v;
    return 0;
}

static size_t describe_registry(const km_env *env, char *out, size_t outlen, size_t n)
{
    for (unsigned i = 0; i < env->nregistry && i < KM_ENV_REG_VALUES; i++)
        n += (size_t)snprintf(out + (n < outlen ? n : outlen), n < outlen ? outlen - n : 0, "%sregistry=%s:%#x",
                              n ? " " : "", env->registry[i].name, (unsigned)env->registry[i].value);
    return n;
}

int km_env_parse(km_env *env, const char *text, char *err, size_t errlen)
{
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *tok = p;
        while (*p && *p != ' ' && *p != ',')
            p++;
        size_t len = (size_t)(p - tok);
        bool neg = len > 3 && strncmp(tok, "no-", 3) == 0;
        const char *name = neg ? tok + 3 : tok;
        if (!neg && len > 9 && strncmp(tok, "registry=", 9) == 0) {
            if (parse_registry(env, tok + 9, len - 9, err, errlen) != 0)
                return -1;
            continue;
        }
        const char *eq = memchr(name, '=', (size_t)(tok + len - name));
        size_t nlen = eq ? (size_t)(eq - name) : (size_t)(tok + len - name);
        const field *f = find(name, nlen);
        if (!f) {
            snprintf(err, errlen, "unknown environment setting '%.*s'", (int)len, tok);
            return -1;
        }
        if (f->kind == F_MEMLIST) {
            while (eq && *p == ',' && p[1] >= '0' && p[1] <= '9') /* the list's own commas */
                for (p++; *p && *p != ' ' && *p != ',';)
                    p++;
            len = (size_t)(p - tok);
            if (neg || !eq || !parse_memlist(env, eq + 1, (size_t)(tok + len - eq - 1))) {
                snprintf(err, errlen,
                         "bad memory setting '%.*s' (memory=LEN[,LEN...]: 1 to %d lengths of 1 byte to 1M, e.g. "
                         "memory=4K,64K,256)",
                         (int)len, tok, KM_ENV_MAX_MEMORY);
                return -1;
            }
            continue;
        }
        if (f->kind == F_DEVICE) {
            size_t vlen = eq ? (size_t)(tok + len - eq - 1) : 0;
            size_t d = 0;
            while (d < NDEVICES && !(strlen(device_names[d]) == vlen && strncmp(device_names[d], eq + 1, vlen) == 0))
                d++;
            if (neg || !eq || d == NDEVICES) {
                snprintf(err, errlen, "bad device setting '%.*s' (device=generic or device=none)", (int)len, tok);
                return -1;
            }
            set(env, f, d);
            continue;
        }
        if (f->kind == F_CODE) { /* a 32-bit code, hex with 0x or decimal */
            char num[24];
            size_t vlen = eq ? (size_t)(tok + len - eq - 1) : 0;
            unsigned long long c = 0;
            char *end = NULL;
            bool ok = !neg && eq && vlen > 0 && vlen < sizeof num;
            if (ok) {
                memcpy(num, eq + 1, vlen);
                num[vlen] = 0;
                errno = 0;
                c = strtoull(num, &end, 0);
                ok = num[0] >= '0' && num[0] <= '9' && !errno && !*end && c <= 0xFFFFFFFFull;
            }
            if (!ok) {
                snprintf(err, errlen, "bad code in environment setting '%.*s' (e.g. ioctl=0x222003)", (int)len, tok);
                return -1;
            }
            set(env, f, c);
            continue;
        }
        uint64_t v = 1;
        if (eq && (neg || !parse_number(eq + 1, (size_t)(tok + len - eq - 1), f->kind == F_SIZE, &v))) {
            snprintf(err, errlen, "bad value in environment setting '%.*s'", (int)len, tok);
            return -1;
        }
        if (neg && f->kind != F_BOOL) {
            snprintf(err, errlen, "'no-' goes only with on/off settings, not '%s'", f->name);
            return -1;
        }
        if (neg)
            v = 0;
        if (!eq && f->kind != F_BOOL) {
            snprintf(err, errlen, "environment setting '%s' needs a value", f->name);
            return -1;
        }
        if (f->kind == F_BOOL && v > 1) {
            snprintf(err, errlen, "environment setting '%s' is 0 or 1", f->name);
            return -1;
        }
        set(env, f, v);
    }
    if (env->requests < 1 || env->requests > KM_ENV_MAX_REQUESTS) {
        snprintf(err, errlen, "requests must be 1 to %d", KM_ENV_MAX_REQUESTS);
        return -1;
    }
    if (env->writes > env->requests) {
        snprintf(err, errlen, "writes must be 0 to requests (%u)", env->requests);
        return -1;
    }
    if ((uint64_t)env->writes + env->ioctls + env->internal_ioctls > env->requests) {
        snprintf(err, errlen, "writes + ioctls + internal_ioctls must be at most requests (%u)", env->requests);
        return -1;
    }
    if (env->map_registers < 2) {
        snprintf(err, errlen, "map_registers must be at least 2");
        return -1;
    }
    if (env->dma_channels < 1 || env->dma_channels > 4) {
        snprintf(err, errlen, "dma_channels must be 1 to 4");
        return -1;
    }
    if (env->request_length < 1) {
        snprintf(err, errlen, "request_length must be at least 1");
        return -1;
    }
    if (env->interrupts > KM_ENV_MAX_INTERRUPTS) {
        snprintf(err, errlen, "interrupts must be 0 to %d", KM_ENV_MAX_INTERRUPTS);
        return -1;
    }
    if (env->power_cycles > 4) {
        snprintf(err, errlen, "power_cycles must be 0 to 4");
        return -1;
    }
    /* The generic device's registers are in memory range 0 and it interrupts on line 0. */
    if (env->device == KM_ENV_DEVICE_GENERIC && (env->memory_ranges < 1 || env->memory_length[0] < KM_GENDEV_SPAN)) {
        snprintf(err, errlen, "device=generic needs memory range 0 of at least %#x bytes (its registers), e.g. memory=4K",
                 (unsigned)KM_GENDEV_SPAN);
        return -1;
    }
    if (env->device == KM_ENV_DEVICE_GENERIC && env->interrupts < 1) {
        snprintf(err, errlen, "device=generic needs an interrupt resource (interrupts=1): it interrupts on line 0");
        return -1;
    }
    return 0;
}

size_t km_env_describe(const km_env *env, char *out, size_t outlen)
{
    km_env def;
    km_env_defaults(&def);
    size_t n = 0;
    if (outlen)
        out[0] = 0;
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        uint64_t a = get(env, f), b = get(&def, f);
        char item[64];
        if (f->kind == F_MEMLIST) {
            if (env->memory_ranges == def.memory_ranges &&
                memcmp(env->memory_length, def.memory_length, sizeof def.memory_length) == 0)
                continue;
            describe_memlist(env, item, sizeof item);
        } else if (a == b)
            continue;
        else if (f->kind == F_BOOL)
            snprintf(item, sizeof item, "%s%s", a ? "" : "no-", f->name);
        else if (f->kind == F_CODE)
            snprintf(item, sizeof item, "%s=%#llx", f->name, (unsigned long long)a);
        else if (f->kind == F_DEVICE)
            snprintf(item, sizeof item, "%s=%s", f->name, a < NDEVICES ? device_names[a] : "?");
        else if (f->kind == F_SIZE && a % KM_PAGE_SIZE == 0)
            snprintf(item, sizeof item, "%s=%llup", f->name, (unsigned long long)(a / KM_PAGE_SIZE));
        else
            snprintf(item, sizeof item, "%s=%llu", f->name, (unsigned long long)a);
        n += (size_t)snprintf(out + (n < outlen ? n : outlen), n < outlen ? outlen - n : 0, "%s%s", n ? " " : "",
                              item);
    }
    n = describe_registry(env, out, outlen, n);
    if (n == 0)
        n = (size_t)snprintf(out, outlen, "defaults");
    return n;
}
