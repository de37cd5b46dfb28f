/* dr_args.c: what the commands share of the command line: usage errors,
 * numbers and times, --expect's form, the program's name as invoked, and
 * the commands a finding prints (shell-quoted, runnable as printed). */
#include "dr_cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int dr_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dmarace: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see %s help)\n", dr_cli_program());
    va_end(ap);
    return DR_EXIT_USAGE;
}

bool dr_cli_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool dr_cli_parse_seconds(const char *s, double *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v <= 0 || v > 1e8)
        return false;
    *out = v;
    return true;
}

int dr_cli_expect_error(const char *spec)
{
    return dr_cli_usage_error("--expect=%s: give clean, a finding kind, KIND:RULE or KIND:part-of-the-title", spec);
}

static const char *program = "dmarace";

void dr_cli_set_program(const char *argv0)
{
    if (argv0 && argv0[0])
        program = argv0;
}

const char *dr_cli_program(void) { return program; }

const char *dr_cli_shell_word(const char *s, char *buf, size_t len)
{
    bool plain = s[0] != 0;
    for (const char *p = s; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("_./:=+-@%,", *p);
    if (plain) {
        snprintf(buf, len, "%s", s);
        return buf;
    }
    size_t k = 0;
    if (k + 1 < len)
        buf[k++] = '\'';
    for (const char *p = s; *p && k + 5 < len; p++) {
        if (*p == '\'') { /* ' -> '\'' */
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *p;
        }
    }
    if (k + 1 < len)
        buf[k++] = '\'';
    buf[k < len ? k : len - 1] = 0;
    return buf;
}

static const char *tape_command(const char *verb, const char *tape, const char *tail, char *buf, size_t len)
{
    char prog[4200], path[4200];
    snprintf(buf, len, "%s %s %s%s", dr_cli_shell_word(program, prog, sizeof prog), verb,
             dr_cli_shell_word(tape, path, sizeof path), tail);
    return buf;
}

const char *dr_cli_replay_command(const char *tape, bool trace, char *buf, size_t len)
{
    return tape_command("replay", tape, trace ? " --trace" : "", buf, len);
}

const char *dr_cli_minimize_command(const char *tape, char *buf, size_t len)
{
    return tape_command("minimize", tape, "", buf, len);
}
