/* check_json MODE FILE: structural checks of dmarace's JSON outputs, with the
 * CLI's own strict JSON reader (no python3 or jq needed on the CI machine).
 *   timeline  Chrome Trace Event format: a top-level object with a traceEvents
 *             array; every event has name, ph, ts, pid and tid; X events have
 *             dur >= 0; per tid, X slices are properly nested (no partial
 *             overlap); every tid used has M thread_name metadata; flow
 *             events (s, f) have an id, and each f ends an s of that id
 *             that starts no later.
 *   sarif     SARIF 2.1.0: version, runs[0].tool.driver.name, results with a
 *             ruleId, message.text, partialFingerprints and a thread flow per
 *             track with locations.
 *   report    a finding report: tool, scenario, finding {kind, title, message,
 *             step, task, cpu}, replay, tape, steps, preemptions, digest.
 * Prints "ok: ..." and exits 0, or one line saying what is wrong and exits 1. */
#include "dr_cli.h"

#include <stdlib.h>
#include <string.h>

static bool read_all(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (size_t k; b && (k = fread(b + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    bool ok = b && !ferror(f);
    fclose(f);
    if (!ok) {
        free(b);
        return false;
    }
    *buf = b;
    *len = n;
    return true;
}

static int bad(const char *file, const char *what)
{
    fprintf(stderr, "check_json: %s: %s\n", file, what);
    return 1;
}

static bool is(const dr_json *j, dr_json_type t) { return j && j->type == t; }

typedef struct {
    double ts, end;
    long tid;
} slice;

static int cmp_slice(const void *a, const void *b)
{
    const slice *x = a, *y = b;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end ? 1 : 0; /* outer first */
}

static int check_timeline(const char *file, const dr_json *root)
{
    if (!is(root, DR_J_OBJ))
        return bad(file, "the top level is not an object");
    const dr_json *ev = dr_json_get(root, "traceEvents");
    if (!is(ev, DR_J_ARR))
        return bad(file, "no traceEvents array");
    size_t n = 0;
    for (const dr_json *e = ev->child; e; e = e->next)
        n++;
    slice *sl = calloc(n ? n : 1, sizeof *sl);
    double *flow_s = calloc(n ? n : 1, sizeof *flow_s); /* start ts by id, -1: none */
    for (size_t k = 0; flow_s && k < n; k++)
        flow_s[k] = -1;
    long *named = calloc(n ? n : 1, sizeof *named), *used = calloc(n ? n : 1, sizeof *used);
    size_t ns = 0, nn = 0, nu = 0, nx = 0, ni = 0;
    int rc = 0;
    char msg[200];
    for (const dr_json *e = ev->child; e && !rc; e = e->next) {
        const dr_json *name = dr_json_get(e, "name"), *ph = dr_json_get(e, "ph"), *ts = dr_json_get(e, "ts"),
                      *pid = dr_json_get(e, "pid"), *tid = dr_json_get(e, "tid");
        if (!is(e, DR_J_OBJ) || !is(name, DR_J_STR) || !is(ph, DR_J_STR) || !is(ts, DR_J_NUM) || !is(pid, DR_J_NUM) ||
            !is(tid, DR_J_NUM)) {
            rc = bad(file, "an event lacks name, ph, ts, pid or tid (or has the wrong type)");
            break;
        }
        long t = (long)tid->num;
        if (strcmp(ph->str, "M") == 0) {
            if (strcmp(name->str, "thread_name") == 0)
                named[nn++] = t;
            continue;
        }
        used[nu++] = t;
        if (ts->num < 0)
            rc = bad(file, "an event has ts < 0");
        if (strcmp(ph->str, "X") == 0) {
            const dr_json *dur = dr_json_get(e, "dur");
            if (!is(dur, DR_J_NUM) || dur->num < 0) {
                snprintf(msg, sizeof msg, "X event '%s' has no dur >= 0", name->str);
                rc = bad(file, msg);
            }
            sl[ns++] = (slice){ts->num, ts->num + (dur ? dur->num : 0), t};
            nx++;
        } else if (strcmp(ph->str, "i") == 0 || strcmp(ph->str, "I") == 0) {
            ni++;
        } else if (strcmp(ph->str, "s") == 0 || strcmp(ph->str, "f") == 0) {
            const dr_json *id = dr_json_get(e, "id");
            size_t k = is(id, DR_J_NUM) && id->num >= 0 && id->num < (double)n ? (size_t)id->num : n;
            if (k == n || !flow_s) {
                rc = bad(file, "a flow event has no id (a number below the event count)");
            } else if (ph->str[0] == 's') {
                flow_s[k] = ts->num;
            } else if (flow_s[k] < 0 || flow_s[k] > ts->num) {
                snprintf(msg, sizeof msg, "flow '%s' ends without a start of its id before it", name->str);
                rc = bad(file, msg);
            }
        } else if (strcmp(ph->str, "B") && strcmp(ph->str, "E") && strcmp(ph->str, "C")) {
            snprintf(msg, sizeof msg, "unexpected phase '%s'", ph->str);
            rc = bad(file, msg);
        }
    }
    for (size_t i = 0; i < nu && !rc; i++) {
        bool found = false;
        for (size_t k = 0; k < nn && !found; k++)
            found = named[k] == used[i];
        if (!found) {
            snprintf(msg, sizeof msg, "tid %ld has events but no thread_name metadata", used[i]);
            rc = bad(file, msg);
        }
    }
    /* Proper nesting per tid: a stack of open slices. */
    qsort(sl, ns, sizeof *sl, cmp_slice);
    double *stack = calloc(ns ? ns : 1, sizeof *stack);
    size_t depth = 0;
    for (size_t i = 0; i < ns && !rc; i++) {
        if (i == 0 || sl[i].tid != sl[i - 1].tid)
            depth = 0;
        while (depth && stack[depth - 1] <= sl[i].ts)
            depth--;
        if (depth && sl[i].end > stack[depth - 1]) {
            snprintf(msg, sizeof msg, "tid %ld: slice [%g, %g) overlaps the end of its enclosing slice at %g",
                     sl[i].tid, sl[i].ts, sl[i].end, stack[depth - 1]);
            rc = bad(file, msg);
        }
        stack[depth++] = sl[i].end;
    }
    if (!rc && (nx == 0 || ni == 0))
        rc = bad(file, "no X slices or no instant events");
    if (!rc)
        printf("ok: %s: %zu events, %zu slices, %zu instants, %zu named tracks\n", file, n, nx, ni, nn);
    free(stack);
    free(sl);
    free(flow_s);
    free(named);
    free(used);
    return rc;
}

static int check_sarif(const char *file, const dr_json *root)
{
    const dr_json *v = dr_json_get(root, "version"), *runs = dr_json_get(root, "runs");
    if (!is(v, DR_J_STR) || strcmp(v->str, "2.1.0") != 0)
        return bad(file, "version is not 2.1.0");
    if (!is(runs, DR_J_ARR) || !runs->child)
        return bad(file, "no runs");
    const dr_json *drv = dr_json_get(dr_json_get(runs->child, "tool"), "driver");
    if (!is(dr_json_get(drv, "name"), DR_J_STR))
        return bad(file, "no runs[0].tool.driver.name");
    const dr_json *res = dr_json_get(runs->child, "results");
    if (!is(res, DR_J_ARR) || !res->child)
        return bad(file, "no results");
    for (const dr_json *r = res->child; r; r = r->next) {
        if (!is(dr_json_get(r, "ruleId"), DR_J_STR) || !is(dr_json_get(dr_json_get(r, "message"), "text"), DR_J_STR))
            return bad(file, "a result lacks ruleId or message.text");
        if (!is(dr_json_get(r, "partialFingerprints"), DR_J_OBJ) ||
            !is(dr_json_get(r, "partialFingerprints")->child, DR_J_STR))
            return bad(file, "a result lacks partialFingerprints");
        const dr_json *cf = dr_json_get(r, "codeFlows");
        if (!is(cf, DR_J_ARR) || !cf->child)
            return bad(file, "a result has no codeFlows");
        const dr_json *tf = dr_json_get(cf->child, "threadFlows");
        if (!is(tf, DR_J_ARR) || !tf->child)
            return bad(file, "a code flow has no threadFlows");
        for (const dr_json *t = tf->child; t; t = t->next) {
            const dr_json *locs = dr_json_get(t, "locations");
            if (!is(locs, DR_J_ARR) || !locs->child)
                return bad(file, "a thread flow has no locations");
        }
    }
    printf("ok: %s: SARIF 2.1.0\n", file);
    return 0;
}

static int check_report(const char *file, const dr_json *root)
{
    static const char *top[] = {"tool", "scenario", "strategy", "replay", "tape", "digest"};
    static const char *nums[] = {"cpus", "seed", "execution", "steps", "preemptions"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (!is(dr_json_get(root, top[i]), DR_J_STR))
            return bad(file, top[i]);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!is(dr_json_get(root, nums[i]), DR_J_NUM))
            return bad(file, nums[i]);
    const dr_json *f = dr_json_get(root, "finding");
    static const char *fs[] = {"kind", "title", "message", "key"};
    static const char *fn[] = {"step", "task", "cpu"};
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
        if (!is(dr_json_get(f, fs[i]), DR_J_STR))
            return bad(file, "finding lacks a field");
    for (size_t i = 0; i < sizeof fn / sizeof fn[0]; i++)
        if (!is(dr_json_get(f, fn[i]), DR_J_NUM))
            return bad(file, "finding lacks a number");
    printf("ok: %s: report of %s\n", file, dr_json_get(f, "title")->str);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: check_json timeline|sarif|report FILE\n");
        return 2;
    }
    char *buf;
    size_t len;
    if (!read_all(argv[2], &buf, &len))
        return bad(argv[2], "cannot read");
    char err[256];
    dr_json *root = dr_json_parse(buf, len, err, sizeof err);
    free(buf);
    if (!root)
        return bad(argv[2], err);
    int rc = strcmp(argv[1], "timeline") == 0 ? check_timeline(argv[2], root)
             : strcmp(argv[1], "sarif") == 0  ? check_sarif(argv[2], root)
             : strcmp(argv[1], "report") == 0 ? check_report(argv[2], root)
                                              : bad(argv[1], "unknown mode");
    dr_json_free(root);
    return rc;
}
