/* text.c - escaping of server-supplied strings for terminals, CSV, HTML. */
#include <string.h>

#include "report.h"

/* Length of the valid UTF-8 sequence at p, 0 if invalid or a C1 control
 * (U+0080..U+009F act as escapes on some terminals). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    uint32_t cp;
    size_t len = kc_utf8_seq_len(p, n, &cp);
    return len > 1 && cp <= 0x9f ? 0 : len;
}

static const char hex[] = "0123456789abcdef";

size_t kc_text_sanitize(const char *s, size_t n, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    if (size == 0)
        return 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(p + i, n - i);
        char tmp[4];
        size_t tl;
        if (len == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\') {
            tmp[0] = (char)p[i];
            tl = 1;
        } else if (len == 1 && p[i] == '\\') {
            tmp[0] = tmp[1] = '\\';
            tl = 2;
        } else if (len > 1) {
            memcpy(tmp, p + i, len);
            tl = len;
        } else { /* control byte or invalid UTF-8: visible, inert */
            tmp[0] = '\\';
            tmp[1] = 'x';
            tmp[2] = hex[p[i] >> 4];
            tmp[3] = hex[p[i] & 15];
            tl = 4;
            len = 1;
        }
        if (o + tl + 1 > size)
            break;
        memcpy(out + o, tmp, tl);
        o += tl;
        i += len;
    }
    out[o] = '\0';
    return o;
}

void kc_csv_write_field(FILE *f, const char *s)
{
    kc_csv_write_field_n(f, s, s ? strlen(s) : 0);
}

void kc_csv_write_field_n(FILE *f, const char *s, size_t n)
{
    bool quote = false;
    bool neutralise;

    if (s == NULL)
        n = 0;
    /* OWASP CSV injection: a leading formula character is made text. */
    neutralise = n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' ||
                           s[0] == '@' || s[0] == '\t' || s[0] == '\r');
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"' || s[i] == ',' || s[i] == '\n' || s[i] == '\r')
            quote = true;
    if (quote)
        fputc('"', f);
    if (neutralise)
        fputc('\'', f);
    for (size_t i = 0; i < n; i++) { /* NUL bytes too: the exact value */
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    if (quote)
        fputc('"', f);
}

void kc_html_write_text(FILE *f, const char *s)
{
    if (s != NULL)
        kc_html_write_text_n(f, s, strlen(s));
}

void kc_html_write_text_n(FILE *f, const char *s, size_t n)
{
    char buf[4 * KC_MAX_FIELD + 8];
    if (s == NULL)
        return;
    /* NUL bytes come out of the sanitizer as \x00: buf holds none. */
    kc_text_sanitize(s, n, buf, sizeof(buf));
    for (const char *p = buf; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*p, f);
        }
    }
}
