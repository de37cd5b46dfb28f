/* dr_tape.c: the saved tape, versions 1 to 5 (docs/tape-format.md). All
 * integers little-endian.
 *
 *   "DRTP" | u16 version | u16 header_len | header | records | u32 crc32
 *   header:  u64 scenario_digest, u64 trace_digest, u64 seed, u64 exec_index,
 *            u32 nrec, u8 cpus, u8 strategy, u8 finding,
 *            u16 name_len + name, u16 title_len + title     (versions 2, 3)
 *            u16 env_len + env                            (version 3: --env)
 *            u8 name_len + name, u8 title_len + title       (version 1)
 *   record:  u8 kind (0 scheduling, 1 data), varint n (>= 2), varint value (< n)
 *   version 5, after the records: the decisions by meaning (dr_intent): a
 *            string table, then one record per decision naming its strings
 *            by index (docs/tape-format.md has the layout)
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

/* ---- version 5: decisions by meaning ----------------------------------------------- */

/* The strings of a tape's decisions, each once, in order of first use. */
typedef struct {
    const char **s;
    size_t n, cap;
} strtab;

static int str_index(strtab *st, const char *s, uint32_t *out)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->s[i], s) == 0) {
            *out = (uint32_t)i;
            return 0;
        }
    if (strlen(s) > UINT16_MAX)
        return -1;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        const char **p = realloc(st->s, cap * sizeof *p);
        if (!p)
            return -1;
        st->s = p;
        st->cap = cap;
    }
    st->s[st->n] = s;
    *out = (uint32_t)st->n++;
    return 0;
}

enum { INTENT_STRINGS = 5 }; /* who, site, func, file, pick */

static int put_intent(wbuf *b, const dr_tape *t)
{
    strtab st = {0};
    uint32_t *idx = malloc(t->nintent * INTENT_STRINGS * sizeof *idx);
    int rc = idx ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < t->nintent; i++) {
        const dr_intent *x = &t->intent[i];
        const char *str[INTENT_STRINGS] = {x->who, x->site, x->func, x->file, x->pick};
        for (int k = 0; rc == 0 && k < INTENT_STRINGS; k++)
            rc = str_index(&st, str[k] ? str[k] : "", &idx[i * INTENT_STRINGS + k]);
    }
    if (rc == 0) {
        put_le(b, t->scenario_identity, 8);
        put_varint(b, (uint32_t)st.n);
        for (size_t i = 0; i < st.n; i++)
            put_str(b, st.s[i], strlen(st.s[i]));
        put_varint(b, (uint32_t)t->nintent);
        for (size_t i = 0; i < t->nintent; i++) {
            const dr_intent *x = &t->intent[i];
            const uint32_t *k = &idx[i * INTENT_STRINGS];
            put_u8(b, x->kind);
            put_u8(b, x->pick_type);
            put_varint(b, x->choice);
            put_le(b, x->step, 8);
            put_varint(b, k[0]);
            put_varint(b, x->who_ord);
            put_varint(b, k[1]);
            put_varint(b, k[2]);
            put_varint(b, k[3]);
            put_varint(b, x->line);
            put_le(b, x->text, 8);
            put_varint(b, x->occ);
            put_varint(b, k[4]);
            put_varint(b, x->pick_ord);
        }
    }
    free(idx);
    free(st.s);
    return rc;
}

int dr_tape_set_intent(dr_tape *t, const dr_intent *in, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const char *str[INTENT_STRINGS] = {in[i].who, in[i].site, in[i].func, in[i].file, in[i].pick};
        for (int k = 0; k < INTENT_STRINGS; k++)
            bytes += strlen(str[k] ? str[k] : "") + 1;
    }
    dr_intent *copy = malloc((n ? n : 1) * sizeof *copy);
    char *pool = malloc(bytes ? bytes : 1);
    if (!copy || !pool) {
        free(copy);
        free(pool);
        return -1;
    }
    char *p = pool;
    for (size_t i = 0; i < n; i++) {
        copy[i] = in[i];
        const char **str[INTENT_STRINGS] = {&copy[i].who, &copy[i].site, &copy[i].func, &copy[i].file,
                                            &copy[i].pick};
        for (int k = 0; k < INTENT_STRINGS; k++) {
            const char *src = *str[k] ? *str[k] : "";
            size_t len = strlen(src) + 1;
            memcpy(p, src, len);
            *str[k] = p;
            p += len;
        }
    }
    free(t->intent);
    free(t->pool);
    t->intent = copy;
    t->pool = pool;
    t->nintent = n;
    t->has_intent = true;
    return 0;
}

int dr_tape_encode(const dr_tape *t, uint8_t **out, size_t *len)
{
    wbuf b = {0};
    put(&b, "DRTP", 4);
    size_t name_len = strnlen(t->scenario, sizeof t->scenario);
    size_t title_len = strnlen(t->title, sizeof t->title);
    size_t env_len = strnlen(t->env, sizeof t->env);
    /* Version 5 with decisions by meaning; else version 4 when the race
     * detector was on; else version 2 unless the run had --env: such tapes
     * stay what they were. Version 5's header is version 4's (its detector
     * byte may say off). */
    bool intent = t->has_intent;
    bool races = t->races != DR_RACES_OFF || intent;
    put_le(&b,
           intent  ? DR_TAPE_VERSION_INTENT
           : races ? DR_TAPE_VERSION_RACES
           : env_len ? DR_TAPE_VERSION_ENV
                     : DR_TAPE_VERSION,
           2);
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
    if (intent && put_intent(&b, t) != 0)
        b.oom = true;
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

/* Version 5's decisions by meaning, after the choices: every index and
 * value range-checked against the string table and the choices. */
static int get_intent(rbuf *r, dr_tape *t, char *err, size_t errlen)
{
    uint32_t nstr, nint;
    if (!get_le(r, 8, &t->scenario_identity) || get_varint(r, &nstr) != 0 || nstr > r->n - r->pos)
        return fail(err, errlen, "corrupt tape: bad string table of the decisions by meaning");
    const char **str = malloc((nstr ? nstr : 1) * sizeof *str);
    char *pool = malloc(r->n - r->pos + nstr + 1);
    dr_intent *in = NULL;
    int rc = -1;
    if (!str || !pool) {
        fail(err, errlen, "out of memory for the decisions by meaning");
        goto out;
    }
    char *p = pool;
    for (uint32_t i = 0; i < nstr; i++) {
        uint64_t len;
        if (!get_le(r, 2, &len) || r->n - r->pos < len || memchr(r->p + r->pos, 0, len)) {
            fail(err, errlen, "corrupt tape: string %u of the decisions by meaning is bad or cut short", i + 1);
            goto out;
        }
        memcpy(p, r->p + r->pos, len);
        p[len] = 0;
        str[i] = p;
        p += len + 1;
        r->pos += len;
    }
    if (get_varint(r, &nint) != 0 || nint > t->nrec) {
        fail(err, errlen, "corrupt tape: more decisions by meaning than choices");
        goto out;
    }
    in = malloc((nint ? nint : 1) * sizeof *in);
    if (!in) {
        fail(err, errlen, "out of memory for the decisions by meaning");
        goto out;
    }
    for (uint32_t i = 0; i < nint; i++) {
        dr_intent *x = &in[i];
        uint64_t kind = 0, pick = 0, step = 0, text = 0;
        uint32_t v[11];
        bool ok = get_le(r, 1, &kind) && get_le(r, 1, &pick) && get_varint(r, &v[0]) == 0 && get_le(r, 8, &step);
        for (int k = 1; ok && k <= 6; k++)
            ok = get_varint(r, &v[k]) == 0; /* who, who_ord, site, func, file, line */
        ok = ok && get_le(r, 8, &text);
        for (int k = 7; ok && k <= 9; k++)
            ok = get_varint(r, &v[k]) == 0; /* occ, pick, pick_ord */
        if (!ok) {
            fail(err, errlen, "truncated tape: decision by meaning %u of %u is cut short", i + 1, nint);
            goto out;
        }
        bool strings_ok = v[1] < nstr && v[3] < nstr && v[4] < nstr && v[5] < nstr && v[8] < nstr;
        if (kind > DR_CHOICE_DATA || pick >= DR_PICK__COUNT || !strings_ok || v[0] >= t->nrec || v[7] < 1 ||
            (i && v[0] <= in[i - 1].choice) || t->rec[v[0]].kind != kind ||
            ((pick == DR_PICK_VALUE) != (kind == DR_CHOICE_DATA)) ||
            (pick == DR_PICK_VALUE && v[9] >= t->rec[v[0]].n)) {
            fail(err, errlen, "corrupt tape: decision by meaning %u of %u does not fit the choices", i + 1, nint);
            goto out;
        }
        *x = (dr_intent){.kind = (uint8_t)kind,
                         .pick_type = (uint8_t)pick,
                         .choice = v[0],
                         .step = step,
                         .who = str[v[1]],
                         .who_ord = v[2],
                         .site = str[v[3]],
                         .func = str[v[4]],
                         .file = str[v[5]],
                         .line = v[6],
                         .text = text,
                         .occ = v[7],
                         .pick = str[v[8]],
                         .pick_ord = v[9]};
    }
    t->intent = in;
    t->pool = pool;
    t->nintent = nint;
    t->has_intent = true;
    in = NULL;
    pool = NULL;
    rc = 0;
out:
    free(str);
    free(pool);
    free(in);
    return rc;
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
    if (version < 1 || version > DR_TAPE_VERSION_INTENT)
        return fail(err, errlen, "tape version %llu is not supported (this build reads versions 1 to %d)",
                    (unsigned long long)version, DR_TAPE_VERSION_INTENT);
    /* the length fields (and versions 4 and 5's detector byte) */
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
    if (version >= DR_TAPE_VERSION_RACES) {
        uint64_t races = 0;
        if (!get_str(&h, (unsigned)version, t->env, sizeof t->env))
            return fail(err, errlen, "corrupt tape: bad --env settings in the header");
        if (!get_le(&h, 1, &races) || races < (version == DR_TAPE_VERSION_RACES ? DR_RACES_MS : DR_RACES_OFF) ||
            races > DR_RACES_ISO)
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
    if (version == DR_TAPE_VERSION_INTENT && get_intent(&r, t, err, errlen) != 0) {
        dr_tape_free(t);
        return -1;
    }
    if (r.pos != r.n) {
        dr_tape_free(t);
        return fail(err, errlen, "corrupt tape: %zu bytes after the last %s", r.n - r.pos,
                    version == DR_TAPE_VERSION_INTENT ? "decision by meaning" : "choice");
    }
    return 0;
}

void dr_tape_free(dr_tape *t)
{
    free(t->rec);
    t->rec = NULL;
    t->nrec = 0;
    free(t->intent);
    free(t->pool);
    t->intent = NULL;
    t->pool = NULL;
    t->nintent = 0;
    t->has_intent = false;
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
