/* dr_regress.c: dmarace regress DIR|TAPE...: replay every saved tape against
 * this build and say, for each, whether its finding is reproduced, fixed (the
 * schedule followed to its end without it), changed (another finding) or
 * lost (the schedule could not be followed), as a table, a summary line, an
 * exit code a CI job gates on, and optionally JUnit XML and SARIF
 * (docs/replay.md).
 *
 * Each tape is replayed by this program in a child process (`replay TAPE`):
 * a tape whose driver crashes or hangs, or a replay that leaves state behind,
 * cannot touch the others; the child's exit code is the verdict. */
#include "dr_cli.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The verdicts, one table: name, what the summary calls them. */
#define VERDICTS(X)                                                                                        \
    X(REPRODUCED, "reproduced")                                                                            \
    X(FIXED, "fixed")                                                                                      \
    X(CHANGED, "changed")                                                                                  \
    X(LOST, "lost")                                                                                        \
    X(ERROR, "error")
typedef enum {
#define DR_X(e, s) V_##e,
    VERDICTS(DR_X)
#undef DR_X
        V__COUNT
} verdict;
static const char *const verdict_name[] = {
#define DR_X(e, s) s,
    VERDICTS(DR_X)
#undef DR_X
};

typedef struct {
    char *path;
    verdict v;
    bool exact;       /* reproduced bit for bit */
    char how[400];    /* the replay's own verdict line (after "replay       ") or the error */
    char finding[400]; /* the run's finding line, "" when none */
    char scenario[64];
    double seconds;
} row;

typedef struct {
    row *r;
    size_t n, cap;
} rows;

static int add_path(rows *rs, const char *path)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        row *r = realloc(rs->r, cap * sizeof *r);
        if (!r)
            return -1;
        rs->r = r;
        rs->cap = cap;
    }
    row *x = &rs->r[rs->n];
    memset(x, 0, sizeof *x);
    if (!(x->path = strdup(path)))
        return -1;
    rs->n++;
    return 0;
}

static int cmp_row(const void *a, const void *b) { return strcmp(((const row *)a)->path, ((const row *)b)->path); }

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Every *.tape under dir (symbolic links not followed), in any order. */
static int collect(rows *rs, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "dmarace: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p)
            continue;
        struct stat st;
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 16)
            rc = collect(rs, p, depth + 1);
        else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".tape"))
            rc = add_path(rs, p) == 0 ? 0 : -1;
    }
    closedir(d);
    return rc;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The text after a label ("replay       ") on the child's output line that
 * starts with it, into out. */
static void field(const char *out, const char *label, char *dst, size_t len)
{
    size_t k = strlen(label);
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, label, k) == 0) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) - k : strlen(p) - k;
            snprintf(dst, len, "%.*s", (int)(n < len ? n : len - 1), p + k);
            return;
        }
    }
}

/* The last line of text (the child's error). */
static void last_line(const char *text, char *dst, size_t len)
{
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
        n--;
    size_t s = n;
    while (s && text[s - 1] != '\n')
        s--;
    snprintf(dst, len, "%.*s", (int)(n - s), text + s);
}

typedef struct {
    double timeout;
    const char *exec_timeout;
    const char *cont;
    bool update;
} options;

/* Replay one tape in a child; fill its row from the exit code and output. */
static void replay_one(row *x, const options *o)
{
    int fd[2];
    double t0 = now();
    if (pipe(fd) != 0) {
        x->v = V_ERROR;
        snprintf(x->how, sizeof x->how, "cannot create a pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[1]);
        const char *argv[12];
        int k = 0;
        argv[k++] = dr_cli_program();
        argv[k++] = "replay";
        argv[k++] = x->path;
        argv[k++] = "--continue";
        argv[k++] = o->cont;
        if (o->exec_timeout) {
            argv[k++] = "--exec-timeout";
            argv[k++] = o->exec_timeout;
        }
        if (o->update)
            argv[k++] = "--update";
        argv[k] = NULL;
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    if (pid < 0) {
        close(fd[0]);
        x->v = V_ERROR;
        snprintf(x->how, sizeof x->how, "cannot start a replay: %s", strerror(errno));
        return;
    }
    /* Its output, up to 1 MiB kept, until it closes or the time is up. */
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap + 1);
    bool timed_out = false;
    for (;;) {
        double left = o->timeout - (now() - t0);
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {fd[0], POLLIN, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char buf[4096];
        ssize_t n = read(fd[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out && len < cap) {
            size_t k = (size_t)n < cap - len ? (size_t)n : cap - len;
            memcpy(out + len, buf, k);
            len += k;
        }
    }
    close(fd[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    x->seconds = now() - t0;
    if (out)
        out[len] = 0;
    const char *text = out ? out : "";
    field(text, "replay       ", x->how, sizeof x->how);
    field(text, "finding      ", x->finding, sizeof x->finding);
    char sc[200] = "";
    field(text, "scenario     ", sc, sizeof sc);
    sscanf(sc, "%63s", x->scenario);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    x->exact = strstr(x->how, "bit for bit") != NULL;
    if (timed_out) {
        x->v = V_ERROR;
        snprintf(x->how, sizeof x->how, "the replay took more than %g s (--timeout)", o->timeout);
    } else if (code == DR_EXIT_CLEAN || code == DR_EXIT_FINDINGS) {
        x->v = strncmp(x->how, "reproduced", 10) == 0 ? V_REPRODUCED : V_ERROR;
    } else if (code == DR_EXIT_GONE) {
        x->v = V_FIXED;
    } else if (code == DR_EXIT_CHANGED) {
        x->v = V_CHANGED;
    } else if (code == DR_EXIT_LOST) {
        x->v = V_LOST;
        char at[300] = "";
        field(text, "lost at      ", at, sizeof at);
        if (at[0]) {
            char how[400];
            snprintf(how, sizeof how, "%s", x->how);
            snprintf(x->how, sizeof x->how, "%.150s ... at %.200s", how, at);
        }
    } else {
        x->v = V_ERROR;
        char err[400];
        last_line(text, err, sizeof err);
        if (WIFSIGNALED(st))
            snprintf(x->how, sizeof x->how, "the replay died of signal %d: %.300s", WTERMSIG(st), err);
        else
            snprintf(x->how, sizeof x->how, "exit %d: %.300s", code, err);
    }
    free(out);
}

/* ---- outputs ----------------------------------------------------------------------------- */

/* XML text: the five entities; control characters (not allowed in XML
 * 1.0) and bytes that are not UTF-8 as U+FFFD. Written here rather than
 * with a library: these few lines are all JUnit's format needs. */
static void xml_put(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        size_t k = dr_utf8_seq(p, left, NULL);
        const char *ent = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : *p == '"' ? "&quot;"
                        : *p == '\'' ? "&apos;" : NULL;
        if (ent)
            fputs(ent, f);
        else if (!k || (*p < 0x20 && *p != '\n' && *p != '\t'))
            fputs("\xEF\xBF\xBD", f);
        else
            fwrite(p, 1, k, f);
        k = k ? k : 1;
        p += k;
        left -= k;
    }
}

/* An output written whole into memory, then to path atomically. */
typedef struct {
    char *buf;
    size_t len;
    FILE *f;
} out_mem;

static FILE *out_begin(out_mem *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    return m->f;
}

static int out_end(out_mem *m, const char *path)
{
    int rc = -1;
    if (fclose(m->f) == 0 && m->buf)
        rc = dr_cli_write_atomic(path, m->buf, m->len);
    else
        fprintf(stderr, "dmarace: out of memory writing %s\n", path);
    free(m->buf);
    return rc;
}

static bool expected(const row *x, verdict want) { return x->v == want; }

static int write_junit(const char *path, const rows *rs, verdict want, size_t bad)
{
    out_mem m;
    FILE *f = out_begin(&m);
    if (!f) {
        fprintf(stderr, "dmarace: out of memory writing %s\n", path);
        return -1;
    }
    double total = 0;
    for (size_t i = 0; i < rs->n; i++)
        total += rs->r[i].seconds;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites>\n<testsuite name=\"dmarace regress\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
               "time=\"%.3f\">\n",
            rs->n, bad, total);
    for (size_t i = 0; i < rs->n; i++) {
        const row *x = &rs->r[i];
        fputs("  <testcase classname=\"", f);
        xml_put(f, x->scenario[0] ? x->scenario : "dmarace");
        fputs("\" name=\"", f);
        xml_put(f, x->path);
        fprintf(f, "\" time=\"%.3f\">\n", x->seconds);
        if (!expected(x, want)) {
            fprintf(f, "    <failure type=\"%s\" message=\"", verdict_name[x->v]);
            xml_put(f, verdict_name[x->v]);
            fputs(": ", f);
            xml_put(f, x->how);
            fprintf(f, "\">expected %s; %s: ", verdict_name[want], verdict_name[x->v]);
            xml_put(f, x->how);
            if (x->finding[0]) {
                fputs("\nfinding: ", f);
                xml_put(f, x->finding);
            }
            fputs("</failure>\n", f);
        }
        fputs("    <system-out>", f);
        xml_put(f, verdict_name[x->v]);
        fputs(": ", f);
        xml_put(f, x->how);
        fputs("</system-out>\n  </testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    return out_end(&m, path);
}

/* SARIF 2.1.0: one result per tape not as expected, at the tape. */
static int write_sarif(const char *path, const rows *rs, verdict want)
{
    out_mem m;
    FILE *f = out_begin(&m);
    if (!f) {
        fprintf(stderr, "dmarace: out of memory writing %s\n", path);
        return -1;
    }
    fprintf(f, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n"
               "  \"runs\": [{\n    \"tool\": {\"driver\": {\"name\": \"dmarace\", \"version\": ");
    dr_json_put_str(f, DR_VERSION);
    fprintf(f, ", \"rules\": [");
    for (int v = 0; v < V__COUNT; v++) {
        fprintf(f, "%s{\"id\": \"dmarace/regress/%s\", \"shortDescription\": {\"text\": ", v ? ", " : "",
                verdict_name[v]);
        char text[200];
        snprintf(text, sizeof text, "a saved tape's verdict is %s", verdict_name[v]);
        dr_json_put_str(f, text);
        fprintf(f, "}}");
    }
    fprintf(f, "]}},\n    \"results\": [");
    bool first = true;
    for (size_t i = 0; i < rs->n; i++) {
        const row *x = &rs->r[i];
        if (expected(x, want))
            continue;
        char msg[1200];
        snprintf(msg, sizeof msg, "expected %s; %s: %s%s%s", verdict_name[want], verdict_name[x->v], x->how,
                 x->finding[0] ? "; finding: " : "", x->finding);
        fprintf(f, "%s\n      {\"ruleId\": \"dmarace/regress/%s\", \"ruleIndex\": %d, \"level\": \"%s\", ",
                first ? "" : ",", verdict_name[x->v], (int)x->v,
                x->v == V_REPRODUCED || x->v == V_CHANGED ? "error" : "warning");
        fprintf(f, "\"message\": {\"text\": ");
        dr_json_put_str(f, msg);
        fprintf(f, "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
        dr_json_put_str(f, x->path);
        fprintf(f, "}}}]}");
        first = false;
    }
    fprintf(f, "%s]\n  }]\n}\n", first ? "" : "\n    ");
    return out_end(&m, path);
}

int dr_cmd_regress(int argc, char **argv)
{
    options o = {.timeout = 600, .cont = "0"};
    const char *junit = NULL, *sarif = NULL;
    verdict want = V_FIXED;
    rows rs = {0};
    int rc = DR_EXIT_CLEAN;
    char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    size_t ninputs = 0;
    if (!inputs)
        return DR_EXIT_INTERNAL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--junit") == 0 || strcmp(a, "--sarif") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                free(inputs);
                return dr_cli_usage_error("%s takes an output file", a);
            }
            *(a[2] == 'j' ? &junit : &sarif) = argv[++i];
        } else if (strcmp(a, "--expect") == 0) {
            const char *w = i + 1 < argc ? argv[++i] : "";
            if (strcmp(w, "fixed") == 0)
                want = V_FIXED;
            else if (strcmp(w, "reproduced") == 0)
                want = V_REPRODUCED;
            else {
                free(inputs);
                return dr_cli_usage_error("--expect takes fixed or reproduced, not '%s'", w);
            }
        } else if (strcmp(a, "--timeout") == 0) {
            if (i + 1 >= argc || !dr_cli_parse_seconds(argv[++i], &o.timeout)) {
                free(inputs);
                return dr_cli_usage_error("--timeout takes a number of seconds > 0");
            }
        } else if (strcmp(a, "--exec-timeout") == 0) {
            double s;
            if (i + 1 >= argc || !dr_cli_parse_seconds(argv[i + 1], &s)) {
                free(inputs);
                return dr_cli_usage_error("--exec-timeout takes a number of seconds > 0");
            }
            o.exec_timeout = argv[++i];
        } else if (strcmp(a, "--continue") == 0) {
            uint64_t n;
            if (i + 1 >= argc || !dr_cli_parse_u64(argv[i + 1], 0, 100000000, &n)) {
                free(inputs);
                return dr_cli_usage_error("--continue takes a number of executions (0: none)");
            }
            o.cont = argv[++i];
        } else if (strcmp(a, "--update") == 0) {
            o.update = true;
        } else if (a[0] == '-') {
            free(inputs);
            return dr_cli_usage_error("unknown option '%s'", a);
        } else {
            inputs[ninputs++] = argv[i];
        }
    }
    if (!ninputs) {
        free(inputs);
        return dr_cli_usage_error("regress needs directories or tapes");
    }
    if ((junit && !dr_cli_output_ok(junit)) || (sarif && !dr_cli_output_ok(sarif))) {
        free(inputs);
        return DR_EXIT_USAGE;
    }
    for (size_t i = 0; i < ninputs && rc == DR_EXIT_CLEAN; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0) {
            fprintf(stderr, "dmarace: %s: %s\n", inputs[i], strerror(errno));
            rc = DR_EXIT_USAGE;
        } else if (S_ISDIR(st.st_mode)) {
            size_t before = rs.n;
            if (collect(&rs, inputs[i], 0) != 0)
                rc = DR_EXIT_USAGE;
            else if (rs.n > before)
                qsort(rs.r + before, rs.n - before, sizeof *rs.r, cmp_row);
        } else if (add_path(&rs, inputs[i]) != 0) {
            rc = DR_EXIT_INTERNAL;
        }
    }
    free(inputs);
    if (rc == DR_EXIT_CLEAN && !rs.n) {
        fprintf(stderr, "dmarace: regress: no .tape file under the given paths\n");
        rc = DR_EXIT_USAGE;
    }
    if (rc != DR_EXIT_CLEAN) {
        for (size_t i = 0; i < rs.n; i++)
            free(rs.r[i].path);
        free(rs.r);
        return rc;
    }
    size_t count[V__COUNT] = {0}, bad = 0, exact = 0;
    printf("%-11s %-24s %s\n", "verdict", "scenario", "tape: how");
    for (size_t i = 0; i < rs.n; i++) {
        row *x = &rs.r[i];
        replay_one(x, &o);
        count[x->v]++;
        exact += x->v == V_REPRODUCED && x->exact;
        bad += !expected(x, want);
        char how[400];
        printf("%-11s %-24s %s: %s\n", verdict_name[x->v], x->scenario[0] ? x->scenario : "?", x->path,
               dr_text_esc(x->how, how, sizeof how));
    }
    printf("regress      %zu tapes: %zu reproduced (%zu bit for bit, %zu by meaning), %zu fixed, %zu changed, %zu "
           "lost, %zu errors; expected %s: %s\n",
           rs.n, count[V_REPRODUCED], exact, count[V_REPRODUCED] - exact, count[V_FIXED], count[V_CHANGED],
           count[V_LOST], count[V_ERROR], verdict_name[want],
           bad ? "NOT as expected" : "all as expected");
    if (bad)
        printf("             %zu not as expected\n", bad);
    int out = bad ? DR_EXIT_FINDINGS : DR_EXIT_CLEAN;
    if (junit && write_junit(junit, &rs, want, bad) != 0)
        out = DR_EXIT_INTERNAL;
    if (sarif && write_sarif(sarif, &rs, want) != 0)
        out = DR_EXIT_INTERNAL;
    for (size_t i = 0; i < rs.n; i++)
        free(rs.r[i].path);
    free(rs.r);
    return out;
}
