/* dr_json.c: a small, strict JSON reader (RFC 8259) for dmarace's own files:
 * show reads reports with it, and the timeline checker validates with it.
 * Nesting is limited (64) so hostile input cannot exhaust the stack. */
#include "dr_cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
    bool failed;
} jp;

enum { JSON_MAX_DEPTH = 64 };

static void fail(jp *j, const char *what)
{
    if (!j->failed)
        snprintf(j->err, j->errlen, "%s at byte %zu", what, (size_t)(j->p - j->start));
    j->failed = true;
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static dr_json *node(jp *j, dr_json_type t)
{
    dr_json *n = calloc(1, sizeof *n);
    if (!n)
        fail(j, "out of memory");
    else
        n->type = t;
    return n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(jp *j, unsigned *out)
{
    if (j->end - j->p < 4) {
        fail(j, "truncated \\u escape");
        return false;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0) {
            fail(j, "bad \\u escape");
            return false;
        }
        v = v << 4 | (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return true;
}

static char *string(jp *j)
{
    /* at the opening quote */
    j->p++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    if (!s) {
        fail(j, "out of memory");
        return NULL;
    }
    for (;;) {
        if (j->p >= j->end) {
            fail(j, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char)*j->p++;
        char buf[4];
        size_t k = 0;
        if (c == '"') {
            s[n] = 0;
            return s;
        }
        if (c < 0x20) {
            fail(j, "control character in a string");
            break;
        }
        if (c >= 0x80) {
            /* JSON text is UTF-8 (RFC 8259 section 8.1): no stray bytes, no overlong forms */
            size_t m = dr_utf8_seq((const unsigned char *)j->p - 1, (size_t)(j->end - j->p) + 1, NULL);
            if (!m) {
                j->p--;
                fail(j, "invalid UTF-8 in a string");
                break;
            }
            memcpy(buf, j->p - 1, m);
            k = m;
            j->p += m - 1;
        } else if (c != '\\') {
            buf[k++] = (char)c;
        } else {
            if (j->p >= j->end) {
                fail(j, "unterminated string");
                break;
            }
            char e = *j->p++;
            unsigned cp;
            switch (e) {
            case '"': buf[k++] = '"'; break;
            case '\\': buf[k++] = '\\'; break;
            case '/': buf[k++] = '/'; break;
            case 'b': buf[k++] = '\b'; break;
            case 'f': buf[k++] = '\f'; break;
            case 'n': buf[k++] = '\n'; break;
            case 'r': buf[k++] = '\r'; break;
            case 't': buf[k++] = '\t'; break;
            case 'u':
                if (!hex4(j, &cp))
                    goto out;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned lo;
                    if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') {
                        fail(j, "lone surrogate");
                        goto out;
                    }
                    j->p += 2;
                    if (!hex4(j, &lo))
                        goto out;
                    if (lo < 0xdc00 || lo > 0xdfff) {
                        fail(j, "bad surrogate pair");
                        goto out;
                    }
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    fail(j, "lone surrogate");
                    goto out;
                }
                /* UTF-8; NUL is kept out of C strings */
                if (cp == 0)
                    cp = '?';
                if (cp < 0x80) {
                    buf[k++] = (char)cp;
                } else if (cp < 0x800) {
                    buf[k++] = (char)(0xc0 | cp >> 6);
                    buf[k++] = (char)(0x80 | (cp & 0x3f));
                } else if (cp < 0x10000) {
                    buf[k++] = (char)(0xe0 | cp >> 12);
                    buf[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
                    buf[k++] = (char)(0x80 | (cp & 0x3f));
                } else {
                    buf[k++] = (char)(0xf0 | cp >> 18);
                    buf[k++] = (char)(0x80 | (cp >> 12 & 0x3f));
                    buf[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
                    buf[k++] = (char)(0x80 | (cp & 0x3f));
                }
                break;
            default:
                fail(j, "bad escape in a string");
                goto out;
            }
        }
        if (n + k + 1 > cap) {
            cap = cap * 2 + k;
            char *ns = realloc(s, cap);
            if (!ns) {
                fail(j, "out of memory");
                break;
            }
            s = ns;
        }
        memcpy(s + n, buf, k);
        n += k;
    }
out:
    free(s);
    return NULL;
}

static bool number(jp *j, double *out)
{
    const char *q = j->p;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end || *q < '0' || *q > '9')
        return false;
    if (*q == '0')
        q++;
    else
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    if (q < j->end && *q == '.') {
        q++;
        if (q >= j->end || *q < '0' || *q > '9')
            return false;
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= j->end || *q < '0' || *q > '9')
            return false;
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    char buf[64];
    size_t len = (size_t)(q - j->p);
    if (len >= sizeof buf)
        len = sizeof buf - 1; /* precision beyond 63 digits is not needed here */
    memcpy(buf, j->p, len);
    buf[len] = 0;
    *out = strtod(buf, NULL);
    j->p = q;
    return true;
}

static bool lit(jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
        j->p += n;
        return true;
    }
    return false;
}

static dr_json *value(jp *j, int depth)
{
    ws(j);
    if (j->p >= j->end) {
        fail(j, "unexpected end of input");
        return NULL;
    }
    if (depth > JSON_MAX_DEPTH) {
        fail(j, "nested too deeply");
        return NULL;
    }
    char c = *j->p;
    dr_json *n = NULL;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        n = node(j, obj ? DR_J_OBJ : DR_J_ARR);
        if (!n)
            return NULL;
        j->p++;
        ws(j);
        dr_json **tail = &n->child;
        if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
            j->p++;
            return n;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                ws(j);
                if (j->p >= j->end || *j->p != '"') {
                    fail(j, "expected a member name");
                    break;
                }
                key = string(j);
                if (!key)
                    break;
                ws(j);
                if (j->p >= j->end || *j->p != ':') {
                    free(key);
                    fail(j, "expected ':'");
                    break;
                }
                j->p++;
            }
            dr_json *v = value(j, depth + 1);
            if (!v) {
                free(key);
                break;
            }
            v->key = key;
            *tail = v;
            tail = &v->next;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                j->p++;
                return n;
            }
            fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
            break;
        }
        dr_json_free(n);
        return NULL;
    }
    if (c == '"') {
        char *s = string(j);
        if (!s)
            return NULL;
        n = node(j, DR_J_STR);
        if (!n) {
            free(s);
            return NULL;
        }
        n->str = s;
        return n;
    }
    if (lit(j, "true") || lit(j, "false")) {
        n = node(j, DR_J_BOOL);
        if (n)
            n->b = j->p[-1] == 'e' && j->p[-2] == 'u';
        return n;
    }
    if (lit(j, "null"))
        return node(j, DR_J_NULL);
    double d;
    if (number(j, &d)) {
        n = node(j, DR_J_NUM);
        if (n)
            n->num = d;
        return n;
    }
    fail(j, "unexpected character");
    return NULL;
}

dr_json *dr_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    jp j = {text, text + len, text, err, errlen, false};
    dr_json *v = value(&j, 0);
    if (v) {
        ws(&j);
        if (j.p != j.end) {
            fail(&j, "text after the JSON value");
            dr_json_free(v);
            v = NULL;
        }
    }
    return v;
}

void dr_json_free(dr_json *j)
{
    while (j) {
        dr_json *next = j->next;
        dr_json_free(j->child);
        free(j->key);
        free(j->str);
        free(j);
        j = next;
    }
}

const dr_json *dr_json_get(const dr_json *obj, const char *key)
{
    if (!obj || obj->type != DR_J_OBJ)
        return NULL;
    for (const dr_json *c = obj->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

void dr_json_put_str(FILE *out, const char *s)
{
    fputc('"', out);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    while (n) {
        uint32_t cp;
        size_t m = dr_utf8_seq(p, n, &cp);
        if (!m) {
            fputs("\\ufffd", out); /* not UTF-8: the replacement character */
            p++, n--;
            continue;
        }
        switch (cp) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) /* C0, DEL and C1 controls */
                fprintf(out, "\\u%04x", (unsigned)cp);
            else
                fwrite(p, 1, m, out);
        }
        p += m, n -= m;
    }
    fputc('"', out);
}
