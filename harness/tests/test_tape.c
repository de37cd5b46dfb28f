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
           strcmp(a->scenario, b->scenario) == 0 && strcmp(a->title, b->title) == 0 && a->nrec == b->nrec &&
           same_records(a, b);
}

static bool one_line(const char *err) { return err[0] && !strchr(err, '\n'); }

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
            memcpy(buf, "DRTP\x01\x00", 6);
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
