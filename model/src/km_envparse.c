/* km_envparse.c: environments as data. A km_env is written as space-separated
 * settings on top of km_env_defaults:
 *   requests=2 concurrent length=3p map_registers=2 no-cancel dma_error=0 ...
 * `name` or `name=1` sets a flag, `no-name` or `name=0` clears it; lengths take
 * a `p` suffix for pages. km_env_describe writes the settings that differ from
 * the defaults, in the same syntax. */
#include "km.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_BOOL, F_UINT, F_SIZE } field_kind;

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
    FIELD(pool_failure, F_BOOL, "ExAllocatePool* may fail (returns NULL)"),
};
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
        memcpy(&u, at, sizeof u);
        return u;
    case F_SIZE:
        memcpy(&z, at, sizeof z);
        return z;
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
        memcpy(at, &u, sizeof u);
        break;
    case F_SIZE:
        memcpy(at, &z, sizeof z);
        break;
    }
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
        const char *eq = memchr(name, '=', (size_t)(tok + len - name));
        size_t nlen = eq ? (size_t)(eq - name) : (size_t)(tok + len - name);
        const field *f = find(name, nlen);
        if (!f) {
            snprintf(err, errlen, "unknown environment setting '%.*s'", (int)len, tok);
            return -1;
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
    if (env->map_registers < 2) {
        snprintf(err, errlen, "map_registers must be at least 2");
        return -1;
    }
    if (env->request_length < 1) {
        snprintf(err, errlen, "request_length must be at least 1");
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
        if (a == b)
            continue;
        if (f->kind == F_BOOL)
            snprintf(item, sizeof item, "%s%s", a ? "" : "no-", f->name);
        else if (f->kind == F_SIZE && a % KM_PAGE_SIZE == 0)
            snprintf(item, sizeof item, "%s=%llup", f->name, (unsigned long long)(a / KM_PAGE_SIZE));
        else
            snprintf(item, sizeof item, "%s=%llu", f->name, (unsigned long long)a);
        n += (size_t)snprintf(out + (n < outlen ? n : outlen), n < outlen ? outlen - n : 0, "%s%s", n ? " " : "",
                              item);
    }
    if (n == 0)
        n = (size_t)snprintf(out, outlen, "defaults");
    return n;
}
