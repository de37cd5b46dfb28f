/* dr_tape.c: the saved tape, version 2 (docs/tape-format.md). All integers
 * little-endian.
 *
 *   "DRTP" | u16 version | u16 header_len | header | records | u32 crc32
 *   header:  u64 scenario_digest, u64 trace_digest, u64 seed, u64 exec_index,
 *            u32 nrec, u8 cpus, u8 strategy, u8 finding,
 *            u16 name_len + name, u16 title_len + title     (versions 2, 3)
 *            u16 env_len + env                            (version 3: --env)
 *            u8 name_len + name, u8 title_len + title       (version 1)
 *   record:  u8 kind (0 scheduling, 1 data), varint n (>= 2), varint value (< n)
 *
 * Version 2 stores the name and the title as any bytes but NUL (a finding's
 * title is the driver's text: newlines, escapes, bytes that are not UTF-8);
 * the printers escape them. Version 1 tapes, whose strings are printable
 * ASCII, are still read. The CRC covers everything before it. The decoder
 * trusts nothing: every length and value is range-checked, and every failure
 * is one line. */
#include "dr_hash.h"
#include "dr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FIXED_HEADER = 8 * 4 + 4 + 3, MAX_FILE = 64 << 20 };

typedef struct {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u8(wbuf *b, uint8_t v) { put(b, &v, 1); }
static void put_le(wbuf *b, uint64_t v, int bytes)
{
    uint8_t t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    put(b, t, (size_t)bytes);
}
static void put_varint(wbuf *b, uint32_t v)
{
    while (v >= 0x80) {
        put_u8(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_u8(b, (uint8_t)v);
}
static void put_str(wbuf *b, const char *s, size_t n)
{
    put_le(b, n, 2);
    put(b, s, n);
}

int dr_tape_encode(const dr_tape *t, uint8_t **out, size_t *len)
{
    wbuf b = {0};
    put(&b, "DRTP", 4);
    size_t name_len = strnlen(t->scenario, sizeof t->scenario);
    size_t title_len = strnlen(t->title, sizeof t->title);
    size_t env_len = strnlen(t->env, sizeof t->env);
    /* Version 4 when the race detector was on; else version 2 unless the
     * run had --env: such tapes stay what they were. */
    bool races = t->races != DR_RACES_OFF;
    put_le(&b, races ? DR_TAPE_VERSION_RACES : env_len ? DR_TAPE_VERSION_ENV : DR_TAPE_VERSION, 2);
    put_le(&b, FIXED_HEADER + 4 + name_len + title_len + (env_len || races ? 2 + env_len : 0) + (races ? 1 : 0), 2);
    put_le(&b, t->scenario_digest, 8);
    put_le(&b, t->trace_digest, 8);
    put_le(&b, t->seed, 8);
    put_le(&b, t->exec_index, 8);
    put_le(&b, t->nrec, 4);
    put_u8(&b, t->cpus);
    put_u8(&b, t->strategy);
    put_u8(&b, (uint8_t)t->finding);
    put_str(&b, t->scenario, name_len);
    put_str(&b, t->title, title_len);
    if (env_len || races)
        put_str(&b, t->env, env_len);
    if (races)
        put_u8(&b, t->races);
    for (size_t i = 0; i < t->nrec; i++) {
        put_u8(&b, t->rec[i].kind);
        put_varint(&b, t->rec[i].n);
        put_varint(&b, t->rec[i].value);
    }
    uint32_t crc = b.oom ? 0 : dr_crc32(0, b.p, b.n);
    put_le(&b, crc, 4);
    if (b.oom) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    *len = b.n;
    return 0;
}

typedef struct {
    const uint8_t *p;
    size_t n, pos;
} rbuf;

static bool get_le(rbuf *r, int bytes, uint64_t *v)
{
    if (r->n - r->pos < (size_t)bytes)
        return false;
    uint64_t x = 0;
    for (int i = 0; i < bytes; i++)
        x |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += (size_t)bytes;
    *v = x;
    return true;
}

/* 0 ok, -1 truncated, -2 too long / overflow */
static int get_varint(rbuf *r, uint32_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 5; i++) {
        if (r->pos >= r->n)
            return -1;
        uint8_t c = r->p[r->pos++];
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            if (x > UINT32_MAX)
                return -2;
            *v = (uint32_t)x;
            return 0;
        }
    }
    return -2;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A length-prefixed string: version 1 has a one-byte length and printable
 * ASCII only; version 2 a two-byte length and any bytes but NUL (the strings
 * are C strings in memory). */
static bool get_str(rbuf *r, unsigned version, char *dst, size_t dstlen)
{
    uint64_t n;
    if (!get_le(r, version == 1 ? 1 : 2, &n) || r->n - r->pos < n || n >= dstlen)
        return false;
    memcpy(dst, r->p + r->pos, n);
    dst[n] = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)dst[i];
        if (c == 0 || (version == 1 && (c < 0x20 || c >= 0x7f)))
            return false;
    }
    r->pos += n;
    return true;
}

int dr_tape_decode(const uint8_t *buf, size_t len, dr_tape *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (len < 4 || memcmp(buf, "DRTP", 4) != 0)
        return fail(err, errlen, "not a dmarace tape (no DRTP signature)");
    rbuf r = {buf, len, 4};
    uint64_t version, hlen, v;
    if (!get_le(&r, 2, &version) || !get_le(&r, 2, &hlen))
        return fail(err, errlen, "truncated tape: %zu bytes, the header alone needs 8", len);
    if (version < 1 || version > DR_TAPE_VERSION_RACES)
        return fail(err, errlen, "tape version %llu is not supported (this build reads versions 1 to %d)",
                    (unsigned long long)version, DR_TAPE_VERSION_RACES);
    /* the length fields (and version 4's detector byte) */
    size_t strings = version == 1 ? 2 : version == 2 ? 4 : version == 3 ? 6 : 7;
    if (len < 8 + hlen + 4)
        return fail(err, errlen, "truncated tape: %zu bytes, header and checksum need %llu", len,
                    (unsigned long long)(8 + hlen + 4));
    if (hlen < FIXED_HEADER + strings)
        return fail(err, errlen, "corrupt tape: header length %llu is too small", (unsigned long long)hlen);
    uint64_t stored;
    rbuf tail = {buf, len, len - 4};
    get_le(&tail, 4, &stored);
    uint32_t crc = dr_crc32(0, buf, len - 4);
    if (crc != stored)
        return fail(err, errlen, "corrupt or truncated tape: checksum %08x does not match %08x", crc,
                    (unsigned)stored);
    rbuf h = {buf, 8 + hlen, 8};
    uint64_t nrec, cpus, strat, finding;
    get_le(&h, 8, &t->scenario_digest);
    get_le(&h, 8, &t->trace_digest);
    get_le(&h, 8, &t->seed);
    get_le(&h, 8, &t->exec_index);
    get_le(&h, 4, &nrec);
    get_le(&h, 1, &cpus);
    get_le(&h, 1, &strat);
    get_le(&h, 1, &finding);
    if (!get_str(&h, (unsigned)version, t->scenario, sizeof t->scenario) ||
        !get_str(&h, (unsigned)version, t->title, sizeof t->title))
        return fail(err, errlen, "corrupt tape: bad scenario name or title in the header");
    if (version == DR_TAPE_VERSION_ENV && (!get_str(&h, (unsigned)version, t->env, sizeof t->env) || !t->env[0]))
        return fail(err, errlen, "corrupt tape: bad --env settings in the header");
    if (version == DR_TAPE_VERSION_RACES) {
        uint64_t races = 0;
        if (!get_str(&h, (unsigned)version, t->env, sizeof t->env))
            return fail(err, errlen, "corrupt tape: bad --env settings in the header");
        if (!get_le(&h, 1, &races) || races < DR_RACES_MS || races > DR_RACES_ISO)
            return fail(err, errlen, "corrupt tape: bad race detector setting in the header");
        t->races = (uint8_t)races;
    }
    if (h.pos != h.n)
        return fail(err, errlen, "corrupt tape: %zu unexplained header bytes", h.n - h.pos);
    if (cpus < 1 || cpus > DR_MAX_CPUS)
        return fail(err, errlen, "corrupt tape: %llu processors (1 to %d)", (unsigned long long)cpus, DR_MAX_CPUS);
    if (strat >= DR_STRAT__COUNT)
        return fail(err, errlen, "corrupt tape: unknown strategy %llu", (unsigned long long)strat);
    if (finding >= DR_FIND__COUNT)
        return fail(err, errlen, "corrupt tape: unknown finding kind %llu", (unsigned long long)finding);
    if (!t->scenario[0])
        return fail(err, errlen, "corrupt tape: no scenario name");
    size_t body = len - 4 - (8 + hlen);
    if (nrec > body / 3)
        return fail(err, errlen, "corrupt tape: %llu choices cannot fit in %zu bytes", (unsigned long long)nrec,
                    body);
    t->version = (uint16_t)version;
    t->cpus = (uint8_t)cpus;
    t->strategy = (uint8_t)strat;
    t->finding = (dr_finding_kind)finding;
    t->nrec = nrec;
    t->rec = malloc((nrec ? nrec : 1) * sizeof *t->rec);
    if (!t->rec)
        return fail(err, errlen, "out of memory for %llu choices", (unsigned long long)nrec);
    r.n = len - 4;
    r.pos = 8 + hlen;
    for (size_t i = 0; i < nrec; i++) {
        uint32_t n, value;
        int e;
        if (!get_le(&r, 1, &v)) {
            dr_tape_free(t);
            return fail(err, errlen, "truncated tape: choice %zu of %llu is missing", i + 1,
                        (unsigned long long)nrec);
        }
        if (v > DR_CHOICE_DATA) {
            dr_tape_free(t);
            return fail(err, errlen, "corrupt tape: choice %zu has unknown kind %llu", i + 1, (unsigned long long)v);
        }
        if ((e = get_varint(&r, &n)) != 0 || (e = get_varint(&r, &value)) != 0) {
            dr_tape_free(t);
            return fail(err, errlen, "%s tape: choice %zu of %llu is %s", e == -1 ? "truncated" : "corrupt", i + 1,
                        (unsigned long long)nrec, e == -1 ? "cut short" : "an oversized number");
        }
        if (n < 2 || value >= n || n > DR_MAX_OPTIONS * 1024u) {
            dr_tape_free(t);
            return fail(err, errlen, "corrupt tape: choice %zu is %u of %u", i + 1, value, n);
        }
        t->rec[i] = (dr_tape_rec){(uint8_t)v, n, value};
    }
    if (r.pos != r.n) {
        dr_tape_free(t);
        return fail(err, errlen, "corrupt tape: %zu bytes after the last choice", r.n - r.pos);
    }
    return 0;
}

void dr_tape_free(dr_tape *t)
{
    free(t->rec);
    t->rec = NULL;
    t->nrec = 0;
}

int dr_tape_load(const char *path, dr_tape *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s: not a regular file", path);
    }
    if (st.st_size > MAX_FILE) {
        close(fd);
        return fail(err, errlen, "%s: %lld bytes is too large for a tape", path, (long long)st.st_size);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return fail(err, errlen, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k <= 0) {
            if (k < 0 && errno == EINTR)
                continue;
            break;
        }
        got += (size_t)k;
    }
    close(fd);
    char why[256];
    int rc = dr_tape_decode(buf, got, t, why, sizeof why);
    free(buf);
    if (rc != 0)
        return fail(err, errlen, "%s: %s", path, why);
    return 0;
}

int dr_tape_save(const char *path, const dr_tape *t, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t n;
    if (dr_tape_encode(t, &buf, &n) != 0)
        return fail(err, errlen, "%s: out of memory encoding the tape", path);
    /* Never replace what is not a regular file (a device, a FIFO, a directory). */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        free(buf);
        return fail(err, errlen, "%s: exists and is not a regular file", path);
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        free(buf);
        return fail(err, errlen, "%s: path too long", path);
    }
    /* A file of that name can only be a dead process's leftover (same pid). */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(buf);
        return fail(err, errlen, "%s: %s", tmp, strerror(errno));
    }
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(fd, buf + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            free(buf);
            return fail(err, errlen, "%s: %s", tmp, strerror(e));
        }
        off += (size_t)k;
    }
    free(buf);
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return fail(err, errlen, "%s: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return fail(err, errlen, "%s: %s", path, strerror(e));
    }
    return 0;
}

bool dr_tape_tsan_race(const dr_tape *t) { return t->finding == DR_FIND_DATA_RACE && t->trace_digest == 0; }
