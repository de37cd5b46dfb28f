/* fuzz_tape.c: libFuzzer target for the tape decoder. Any input must decode
 * or be rejected with a message, never crash; a decoded tape must re-encode
 * to bytes that decode to the same tape. */
#include "dr/dr_engine.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dr_tape t, u;
    char err[512];
    if (dr_tape_decode(data, size, &t, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n'))
            abort(); /* every rejection is one non-empty line */
        return 0;
    }
    uint8_t *buf;
    size_t len;
    if (dr_tape_encode(&t, &buf, &len) != 0)
        abort();
    if (dr_tape_decode(buf, len, &u, err, sizeof err) != 0)
        abort();
    if (u.nrec != t.nrec || u.scenario_digest != t.scenario_digest || u.trace_digest != t.trace_digest ||
        strcmp(u.scenario, t.scenario) != 0 || strcmp(u.title, t.title) != 0)
        abort();
    for (size_t i = 0; i < t.nrec; i++)
        if (u.rec[i].kind != t.rec[i].kind || u.rec[i].n != t.rec[i].n || u.rec[i].value != t.rec[i].value)
            abort();
    free(buf);
    dr_tape_free(&u);
    dr_tape_free(&t);
    return 0;
}
