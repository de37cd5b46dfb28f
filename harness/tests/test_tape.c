/* test_tape.c: tape encode/decode round trips and every kind of malformed
 * input: each is rejected with one line, never a crash (run under ASan in the
 * debug preset). */
#include "../src/dr_hash.h"
#include "../src/dr_prng.h"
#include "dr/dr_engine.h"
#include "dr_test.h"

#include <stdlib.h>
#include <string.h>

static void make_tape(dr_tape *t, dr_prng *r, size_t nrec)
{
    memset(t, 0, sizeof *t);
    t->version = DR_TAPE_VERSION;
    t->scenario_digest = dr_prng_next(r);
    t->trace_digest = dr_prng_next(r);
    t->seed = dr_prng_next(r);
    t->exec_index = dr_prng_next(r);
    t->cpus = (uint8_t)(1 + dr_prng_below(r, DR_MAX_CPUS));
    t->strategy = (uint8_t)dr_prng_below(r, DR_STRAT__COUNT);
    t->finding = (dr_finding_kind)dr_prng_below(r, DR_FIND__COUNT);
    snprintf(t->scenario, sizeof t->scenario, "scenario-%u", (unsigned)dr_prng_below(r, 1000));
    snprintf(t->title, sizeof t->title, "title %u", (unsigned)dr_prng_below(r, 1000));
    t->nrec = nrec;
    t->rec = malloc((nrec ? nrec : 1) * sizeof *t->rec);
    for (size_t i = 0; i < nrec; i++) {
        uint32_t n = 2 + (dr_prng_below(r, 4) == 0 ? dr_prng_below(r, 100000) : dr_prng_below(r, 6));
        t->rec[i] = (dr_tape_rec){(uint8_t)dr_prng_below(r, 2), n, dr_prng_below(r, n)};
    }
}

/* Field by field: the record struct has padding that memcmp would read. */
static bool same_records(const dr_tape *a, const dr_tape *b)
{
    for (size_t i = 0; i < a->nrec; i++)
        if (a->rec[i].kind != b->rec[i].kind || a->rec[i].n != b->rec[i].n || a->rec[i].value != b->rec[i].value)
            return false;
    return true;
}

static bool same(const dr_tape *a, const dr_tape *b)
{
    return a->version == b->version && a->scenario_digest == b->scenario_digest &&
           a->trace_digest == b->trace_digest && a->seed == b->seed && a->exec_index == b->exec_index &&
           a->cpus == b->cpus && a->strategy == b->strategy && a->finding == b->finding &&
           strcmp(a->scenario, b->scenario) == 0 && strcmp(a->title, b->title) == 0 && strcmp(a->env, b->env) == 0 &&
           a->nrec == b->nrec &&
           same_records(a, b);
}

static bool one_line(const char *err) { return err[0] && !strchr(err, '\n'); }

static void put_le(uint8_t *b, size_t *n, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        b[(*n)++] = (uint8_t)(v >> (8 * i));
}

/* A version 1 tape, as version 1 builds wrote it (one-byte string lengths). */
static size_t encode_v1(const dr_tape *t, uint8_t *b)
{
    size_t n = 0, nl = strlen(t->scenario), tl = strlen(t->title);
    memcpy(b, "DRTP", 4);
    n = 4;
    put_le(b, &n, 1, 2);
    put_le(b, &n, 8 * 4 + 4 + 3 + 2 + nl + tl, 2);
    put_le(b, &n, t->scenario_digest, 8);
    put_le(b, &n, t->trace_digest, 8);
    put_le(b, &n, t->seed, 8);
    put_le(b, &n, t->exec_index, 8);
    put_le(b, &n, t->nrec, 4);
    b[n++] = t->cpus;
    b[n++] = t->strategy;
    b[n++] = (uint8_t)t->finding;
    b[n++] = (uint8_t)nl;
    memcpy(b + n, t->scenario, nl);
    n += nl;
    b[n++] = (uint8_t)tl;
    memcpy(b + n, t->title, tl);
    n += tl;
    for (size_t i = 0; i < t->nrec; i++) { /* small values: one-byte varints */
        b[n++] = t->rec[i].kind;
        b[n++] = (uint8_t)t->rec[i].n;
        b[n++] = (uint8_t)t->rec[i].value;
    }
    uint32_t crc = dr_crc32(0, b, n);
    put_le(b, &n, crc, 4);
    return n;
}

int main(void)
{
    dr_prng r;
    dr_prng_seed(&r, 7);
    char err[512];

    /* Round trips of many sizes, including empty. */
    for (int k = 0; k < 200; k++) {
        dr_tape t, u;
        make_tape(&t, &r, k < 5 ? (size_t)k : dr_prng_below(&r, 3000));
        uint8_t *buf;
        size_t len;
        CHECK(dr_tape_encode(&t, &buf, &len) == 0);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == 0);
        CHECK(same(&t, &u));
        dr_tape_free(&u);

        /* Every truncation is rejected with one line. */
        if (k < 20) {
            for (size_t cut = 0; cut < len; cut++) {
                int rc = dr_tape_decode(buf, cut, &u, err, sizeof err);
                CHECK(rc == -1 && one_line(err));
            }
        }
        /* Every single-bit flip is rejected (the CRC sees it). */
        if (k < 10) {
            for (size_t i = 0; i < len; i++) {
                buf[i] ^= 0x10;
                int rc = dr_tape_decode(buf, len, &u, err, sizeof err);
                CHECK(rc == -1 && one_line(err));
                if (rc == 0)
                    dr_tape_free(&u);
                buf[i] ^= 0x10;
            }
        }
        free(buf);
        dr_tape_free(&t);
    }

    /* Wrong version, with a valid CRC, says so. */
    {
        dr_tape t;
        make_tape(&t, &r, 10);
        uint8_t *buf;
        size_t len;
        dr_tape_encode(&t, &buf, &len);
        buf[4] = 9;
        uint32_t crc = dr_crc32(0, buf, len - 4);
        memcpy(buf + len - 4, &crc, 4);
        dr_tape u;
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == -1);
        CHECK(strstr(err, "version 9") != NULL);
        free(buf);
        dr_tape_free(&t);
    }

    /* Version 2: a title and a name of any bytes but NUL round-trip unchanged
     * (a driver's assertion text: newlines, ESC, bytes that are not UTF-8). */
    {
        dr_tape t, u;
        make_tape(&t, &r, 4);
        for (size_t i = 0; i < sizeof t.title - 1; i++)
            t.title[i] = (char)(1 + (i * 37 + 200) % 255);
        t.title[sizeof t.title - 1] = 0;
        snprintf(t.scenario, sizeof t.scenario, "name\n\x1b[2J\xff\xc3\xa9");
        uint8_t *buf;
        size_t len;
        CHECK(dr_tape_encode(&t, &buf, &len) == 0);
        CHECK(buf[4] == 2 && buf[5] == 0);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == 0);
        CHECK(same(&t, &u));
        dr_tape_free(&u);
        free(buf);
        /* a NUL inside the title cannot be a C string: rejected in one line */
        t.title[0] = 'x';
        t.title[1] = 'y';
        CHECK(dr_tape_encode(&t, &buf, &len) == 0);
        for (size_t i = 8; i + 1 < len; i++)
            if (buf[i] == 'x' && buf[i + 1] == 'y') {
                buf[i + 1] = 0;
                break;
            }
        uint32_t crc = dr_crc32(0, buf, len - 4);
        memcpy(buf + len - 4, &crc, 4);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == -1 && one_line(err));
        free(buf);
        dr_tape_free(&t);
    }

    /* Version 3: a run with --env settings records them after the title; a
     * tape without them is still written as version 2 (older builds read it). */
    {
        dr_tape t, u;
        make_tape(&t, &r, 12);
        snprintf(t.env, sizeof t.env, "requests=2 memory=4K,64K no-cancel");
        uint8_t *buf;
        size_t len;
        CHECK(dr_tape_encode(&t, &buf, &len) == 0);
        CHECK(buf[4] == 3 && buf[5] == 0);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == 0);
        CHECK(u.version == 3);
        CHECK(strcmp(u.env, "requests=2 memory=4K,64K no-cancel") == 0);
        u.version = t.version;
        CHECK(same(&t, &u));
        dr_tape_free(&u);
        for (size_t cut = 0; cut < len; cut++) {
            int rc = dr_tape_decode(buf, cut, &u, err, sizeof err);
            CHECK(rc == -1 && one_line(err));
        }
        /* version 2 bytes relabelled 3 lack the env string: rejected in one line */
        free(buf);
        t.env[0] = 0;
        CHECK(dr_tape_encode(&t, &buf, &len) == 0);
        CHECK(buf[4] == 2);
        buf[4] = 3;
        uint32_t crc = dr_crc32(0, buf, len - 4);
        memcpy(buf + len - 4, &crc, 4);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == -1 && one_line(err));
        free(buf);
        dr_tape_free(&t);
    }

    /* Version 5: decisions by meaning after the choices; every field round-trips,
     * every truncation and flipped bit is rejected in one line, and decisions
     * that do not fit the choices are refused; a tape that recorded meaning
     * with no decision off the default is version 5 too. */
    {
        dr_tape t, u;
        make_tape(&t, &r, 40);
        t.races = DR_RACES_OFF;
        t.scenario_identity = 0x1234567890abcdefull;
        dr_intent in[6];
        static const char *const sites[] = {"driver-load", "WdfRequestComplete", "exit"};
        for (int i = 0; i < 6; i++) {
            uint32_t c = (uint32_t)(i * 6 + 1);
            bool data = t.rec[c].kind == 1;
            in[i] = (dr_intent){.kind = t.rec[c].kind,
                                .pick_type = data ? DR_PICK_VALUE : (uint8_t)(i % 3),
                                .choice = c,
                                .step = 1000u * (uint64_t)i + 7,
                                .who = i % 2 ? "timer-dpc" : "",
                                .who_ord = (uint32_t)i,
                                .site = sites[i % 3],
                                .func = i % 3 ? "EvtTimer" : "",
                                .file = i % 3 ? "driver/a b.c" : "",
                                .line = (uint32_t)(i * 100),
                                .text = i == 2 ? 0 : 0xfeedfacecafebeefull + (uint64_t)i,
                                .occ = (uint32_t)(1 + i * 1000),
                                .pick = data || i % 3 == 2 ? "" : "io-cancel\n\xff",
                                .pick_ord = data ? t.rec[c].value : (uint32_t)i};
        }
        CHECK(dr_tape_set_intent(&t, in, 6) == 0);
        uint8_t *buf;
        size_t len;
        CHECK(dr_tape_encode(&t, &buf, &len) == 0);
        CHECK(buf[4] == 5 && buf[5] == 0);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == 0);
        CHECK(u.version == 5 && u.has_intent && u.nintent == 6);
        CHECK(u.scenario_identity == t.scenario_identity && u.races == DR_RACES_OFF);
        u.version = t.version;
        CHECK(same(&t, &u));
        for (size_t i = 0; i < 6 && u.nintent == 6; i++) {
            const dr_intent *a = &t.intent[i], *b = &u.intent[i];
            CHECK(a->kind == b->kind && a->pick_type == b->pick_type && a->choice == b->choice && a->step == b->step &&
                  a->who_ord == b->who_ord && a->line == b->line && a->text == b->text && a->occ == b->occ &&
                  a->pick_ord == b->pick_ord);
            CHECK(strcmp(a->who, b->who) == 0 && strcmp(a->site, b->site) == 0 && strcmp(a->func, b->func) == 0 &&
                  strcmp(a->file, b->file) == 0 && strcmp(a->pick, b->pick) == 0);
        }
        dr_tape_free(&u);
        for (size_t cut = 0; cut < len; cut++) {
            int rc = dr_tape_decode(buf, cut, &u, err, sizeof err);
            CHECK(rc == -1 && one_line(err));
        }
        for (size_t i = 0; i < len; i++) {
            buf[i] ^= 0x04;
            int rc = dr_tape_decode(buf, len, &u, err, sizeof err);
            CHECK(rc == -1 && one_line(err));
            if (rc == 0)
                dr_tape_free(&u);
            buf[i] ^= 0x04;
        }
        free(buf);
        /* a decision naming a choice past the tape's, or out of order, or of
         * the other kind: refused (the CRC is valid) */
        for (int bad = 0; bad < 3; bad++) {
            dr_intent b[6];
            memcpy(b, in, sizeof b);
            if (bad == 0)
                b[5].choice = (uint32_t)t.nrec;
            else if (bad == 1)
                b[3].choice = b[2].choice;
            else
                b[1].kind = (uint8_t)!b[1].kind;
            CHECK(dr_tape_set_intent(&t, b, 6) == 0);
            CHECK(dr_tape_encode(&t, &buf, &len) == 0);
            CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == -1 && one_line(err));
            CHECK(strstr(err, "decision by meaning") != NULL);
            free(buf);
        }
        /* meaning recorded, no decision off the default: still version 5 */
        CHECK(dr_tape_set_intent(&t, NULL, 0) == 0);
        CHECK(dr_tape_encode(&t, &buf, &len) == 0);
        CHECK(buf[4] == 5);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == 0);
        CHECK(u.has_intent && u.nintent == 0 && u.scenario_identity == t.scenario_identity);
        dr_tape_free(&u);
        free(buf);
        dr_tape_free(&t);
    }

    /* Version 1 tapes (corpus/) are still read; their strings are printable ASCII. */
    {
        dr_tape t, u;
        make_tape(&t, &r, 20);
        for (size_t i = 0; i < t.nrec; i++)
            t.rec[i] = (dr_tape_rec){(uint8_t)(i & 1), 2 + (uint32_t)(i % 5), (uint32_t)(i % 2)};
        uint8_t buf[1024];
        size_t len = encode_v1(&t, buf);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == 0);
        CHECK(u.version == 1);
        u.version = t.version;
        CHECK(same(&t, &u));
        dr_tape_free(&u);
        snprintf(t.title, sizeof t.title, "bad\ttitle");
        len = encode_v1(&t, buf);
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == -1 && one_line(err));
        dr_tape_free(&t);
    }

    /* Records that are well-formed bytes but bad values, with a valid CRC. */
    {
        dr_tape t;
        make_tape(&t, &r, 3);
        t.rec[1] = (dr_tape_rec){0, 3, 2};
        uint8_t *buf;
        size_t len;
        dr_tape_encode(&t, &buf, &len);
        /* find the record value byte 2 after kind 0, n 3 and make it 5 (>= n) */
        for (size_t i = 8; i + 2 < len - 4; i++)
            if (buf[i] == 0 && buf[i + 1] == 3 && buf[i + 2] == 2) {
                buf[i + 2] = 5;
                break;
            }
        uint32_t crc = dr_crc32(0, buf, len - 4);
        memcpy(buf + len - 4, &crc, 4);
        dr_tape u;
        CHECK(dr_tape_decode(buf, len, &u, err, sizeof err) == -1 && one_line(err));
        free(buf);
        dr_tape_free(&t);
    }

    /* Random bytes, with and without the signature. */
    for (int k = 0; k < 20000; k++) {
        uint8_t buf[300];
        size_t len = dr_prng_below(&r, sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)dr_prng_next(&r);
        if (k & 1 && len >= 8) {
            memcpy(buf, k & 2 ? "DRTP\x01\x00" : "DRTP\x02\x00", 6);
            if (len >= 12) {
                uint32_t crc = dr_crc32(0, buf, len - 4);
                memcpy(buf + len - 4, &crc, 4);
            }
        }
        dr_tape u;
        int rc = dr_tape_decode(buf, len, &u, err, sizeof err);
        if (rc == 0)
            dr_tape_free(&u);
        else
            CHECK(one_line(err));
    }

    /* Saving is atomic and loading reports missing files in one line. */
    {
        dr_tape t, u;
        make_tape(&t, &r, 50);
        char path[] = "test_tape_tmp.tape";
        CHECK(dr_tape_save(path, &t, err, sizeof err) == 0);
        CHECK(dr_tape_load(path, &u, err, sizeof err) == 0);
        CHECK(same(&t, &u));
        dr_tape_free(&u);
        remove(path);
        CHECK(dr_tape_load("no/such/file.tape", &u, err, sizeof err) == -1 && one_line(err));
        dr_tape_free(&t);
    }
    TEST_DONE();
}
