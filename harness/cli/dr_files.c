/* dr_files.c: the files the commands read and write: whole files in,
 * atomic writes out (temporary file, fsync, rename), the findings
 * directory, the standard output's errors, and loading a tape with its
 * scenario. */
#include "dr_cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double dr_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool dr_cli_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: not a regular file", path);
        close(fd);
        return false;
    }
    if ((uint64_t)st.st_size > DR_CLI_MAX_FILE) {
        snprintf(err, errlen, "cannot read %s: %lld bytes is more than the %d MiB dmarace reads", path,
                 (long long)st.st_size, (int)(DR_CLI_MAX_FILE >> 20));
        close(fd);
        return false;
    }
    /* The whole file, even if it grew since fstat (up to the limit). */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    uint8_t *b = malloc(cap);
    int e = b ? 0 : ENOMEM;
    while (b) {
        if (n + 1 == cap) {
            uint8_t *nb = cap > DR_CLI_MAX_FILE ? NULL : realloc(b, cap * 2);
            if (!nb) {
                e = cap > DR_CLI_MAX_FILE ? EFBIG : ENOMEM;
                break;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t k = read(fd, b + n, cap - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            e = errno;
            break;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    if (e) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        free(b);
        return false;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return true;
}

int dr_cli_make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

bool dr_cli_output_ok(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "dmarace: %s exists and is not a regular file: not replacing it\n", path);
        return false;
    }
    return true;
}

int dr_cli_write_atomic(const char *path, const char *data, size_t len)
{
    if (!dr_cli_output_ok(path))
        return -1;
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        fprintf(stderr, "dmarace: %s: path too long\n", path);
        return -1;
    }
    /* A file of that name can only be a dead process's leftover (same pid). */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "dmarace: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t k = write(fd, data + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            fprintf(stderr, "dmarace: %s: %s\n", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)k;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "dmarace: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int dr_cli_prepare_dir(const char *dir)
{
    if (dr_cli_make_dirs(dir) != 0) {
        fprintf(stderr, "dmarace: cannot create the findings directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    /* Writable: a probe file, created and removed (access() is no proof for root
     * on a read-only file system, nor on a full disk's directory). */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.dmarace-probe.tmp.%ld", dir, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "dmarace: the findings directory %s is not writable: %s\n", dir, strerror(errno));
        return -1;
    }
    close(fd);
    unlink(probe);
    /* Temporary files (NAME.tmp.PID) of campaigns that were killed: their
     * process is gone, so nobody will rename them. Another live campaign's
     * are left alone. */
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t)
            continue;
        while (strstr(t + 1, ".tmp."))
            t = strstr(t + 1, ".tmp.");
        char *end;
        errno = 0;
        long pid = strtol(t + 5, &end, 10);
        if (errno || *end || end == t + 5 || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return 0;
}

int dr_cli_finish_output(int rc)
{
    /* A full disk or a closed pipe on stdout must not pass for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "dmarace: error writing the standard output: %s\n", strerror(errno ? errno : EIO));
        return DR_EXIT_INTERNAL;
    }
    return rc;
}

const dr_scenario *dr_cli_load_tape(const char *path, dr_tape *t)
{
    char err[512];
    if (dr_tape_load(path, t, err, sizeof err) != 0) {
        fprintf(stderr, "dmarace: %s\n", err);
        return NULL;
    }
    const dr_scenario *s = dr_scenario_find(t->scenario);
    if (!s) {
        char name[sizeof t->scenario * 4 + 1];
        fprintf(stderr, "dmarace: %s: scenario '%s' is not in this build\n", path,
                dr_text_esc(t->scenario, name, sizeof name));
        dr_tape_free(t);
        return NULL;
    }
    dr_races_apply((dr_races)t->races); /* replayed with the detector it was recorded with */
    if (dr_scenario_set_env(s, t->env, err, sizeof err) != 0) {
        fprintf(stderr, "dmarace: %s: its --env settings: %s\n", path, err);
        dr_tape_free(t);
        return NULL;
    }
    /* Another build flavour: a tape with decisions by meaning can be
     * followed (replay skips the exact replay). */
    t->other_build = dr_scenario_digest(s, t->cpus) != t->scenario_digest && t->has_intent &&
                     dr_scenario_identity(s, t->cpus) == t->scenario_identity;
    if (!t->other_build && dr_scenario_digest(s, t->cpus) != t->scenario_digest) {
        fprintf(stderr,
                "dmarace: %s: recorded by another build of scenario %s (another scenario version or "
                "build flavour; this one is %s)\n",
                path, s->name, dr_build_flavor());
        dr_tape_free(t);
        return NULL;
    }
    if (!t->other_build) /* this build's: its identity is this one's (a tape older than version 5 has none) */
        t->scenario_identity = dr_scenario_identity(s, t->cpus);
    return s;
}
