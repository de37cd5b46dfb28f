/* dr_text.c: a driver's text (a finding's title, a task name) is any bytes;
 * these helpers let every printer show it safely and every JSON writer emit
 * valid UTF-8 (dr_engine.h). Written here rather than taken from a library:
 * iconv and libunistring convert or validate but do not escape for display,
 * and the whole of it is one RFC 3629 decoder and an escape table. */
#include "dr/dr_engine.h"

#include <string.h>

size_t dr_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    if (!n)
        return 0;
    unsigned char c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        len = 1, v = c, min = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0; /* a continuation byte, an overlong lead (c0, c1) or beyond U+10FFFF */
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    if (cp)
        *cp = v;
    return len;
}

/* The next unit of p (a character or a stray byte) as it may be shown: into
 * out (NUL-terminated, at most 12 bytes); returns the bytes of p it used.
 * layout: newline and tab stay, and backslashes are not doubled (a whole
 * text, not one value). */
static size_t esc_next(const unsigned char *p, size_t n, bool layout, char out[16])
{
    uint32_t cp;
    size_t m = dr_utf8_seq(p, n, &cp);
    if (!m) {
        snprintf(out, 16, "\\x%02x", p[0]); /* not UTF-8 */
        return 1;
    }
    const char *named = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r" : cp == '\\' ? "\\\\" : NULL;
    if (named && !(layout && (cp == '\n' || cp == '\t' || cp == '\\')))
        snprintf(out, 16, "%s", named);
    else if (cp < 0x20 && !named)
        snprintf(out, 16, "\\x%02x", (unsigned)cp); /* ESC and the other C0 controls */
    else if (cp == 0x7f)
        snprintf(out, 16, "\\x7f");
    else if ((cp >= 0x80 && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
        snprintf(out, 16, "\\u%04x", (unsigned)cp); /* C1 controls (CSI ...), bidirectional overrides */
    else {
        memcpy(out, p, m);
        out[m] = 0;
    }
    return m;
}

const char *dr_text_esc(const char *s, char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), k = 0;
    while (n) {
        char u[16];
        size_t m = esc_next(p, n, false, u), ul = strlen(u);
        if (k + ul + 1 > len)
            break;
        memcpy(buf + k, u, ul);
        k += ul;
        p += m, n -= m;
    }
    if (len)
        buf[k < len ? k : len - 1] = 0;
    return buf;
}

void dr_text_put_esc(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    while (n) {
        char u[16];
        size_t m = esc_next(p, n, false, u);
        fputs(u, out);
        p += m, n -= m;
    }
}

void dr_text_put(FILE *out, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    while (len) {
        /* runs of plain printable ASCII in one write */
        size_t k = 0;
        while (k < len && p[k] >= 0x20 && p[k] < 0x7f)
            k++;
        if (k) {
            fwrite(p, 1, k, out);
            p += k, len -= k;
            continue;
        }
        char u[16];
        size_t m = p[0] ? esc_next(p, len, true, u) : (snprintf(u, sizeof u, "\\x00"), 1);
        fputs(u, out);
        p += m, len -= m;
    }
}

