/* json.c — see cpe/json.h. */
#include "cpe/json.h"
#include "cpe/fmtnum.h"
#include "cpe/error.h"
#include "cpe/num.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void cpe_jw_init(cpe_jw_t *w, cpe_buf_t *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

static void put(cpe_jw_t *w, const char *s, size_t n)
{
    if (w->err) return;
    int rc = cpe_buf_append(w->b, s, n);
    if (rc) w->err = rc;
}

static void sep(cpe_jw_t *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (w->has_items[w->depth - 1]) put(w, ",", 1);
        w->has_items[w->depth - 1] = 1;
    }
}

static void open(cpe_jw_t *w, char c)
{
    sep(w);
    if (w->depth >= CPE_JW_MAX_DEPTH) {
        w->err = CPE_ETOOBIG;
        return;
    }
    put(w, &c, 1);
    w->is_array[w->depth] = c == '[';
    w->has_items[w->depth++] = 0;
}

void cpe_jw_obj(cpe_jw_t *w)
{
    open(w, '{');
}
void cpe_jw_arr(cpe_jw_t *w)
{
    open(w, '[');
}

void cpe_jw_end(cpe_jw_t *w)
{
    if (w->depth <= 0) {
        w->err = CPE_EINVAL;
        return;
    }
    char c = w->is_array[--w->depth] ? ']' : '}';
    w->after_key = 0;
    put(w, &c, 1);
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no overlong forms, no
 * surrogates, at most U+10FFFF), or 0 when it is not one. s[0] >= 0x80. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xC2 && s[0] <= 0xDF   ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                                : 0;
    if (!len || n < len) return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

/* A JSON string of s[0..n): quotes, backslashes and control characters escaped, and a
 * byte that is not part of well-formed UTF-8 (a client's bad query string echoed in an
 * error) written as U+FFFD, so the output is always valid JSON. */
static void put_escaped(cpe_jw_t *w, const char *s, size_t n)
{
    put(w, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch < 0x80) continue;
        if (ch >= 0x80) {
            size_t len = utf8_seq((const unsigned char *)s + i, n - i);
            if (len) {
                i += len - 1;
                continue;
            }
        }
        put(w, s + start, i - start);
        char esc[8];
        switch (ch) {
        case '"':
            put(w, "\\\"", 2);
            break;
        case '\\':
            put(w, "\\\\", 2);
            break;
        case '\n':
            put(w, "\\n", 2);
            break;
        case '\r':
            put(w, "\\r", 2);
            break;
        case '\t':
            put(w, "\\t", 2);
            break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", ch >= 0x80 ? 0xFFFD : ch);
            put(w, esc, 6);
        }
        start = i + 1;
    }
    put(w, s + start, n - start);
    put(w, "\"", 1);
}

void cpe_jw_key(cpe_jw_t *w, const char *k)
{
    sep(w);
    put_escaped(w, k, strlen(k));
    put(w, ":", 1);
    w->after_key = 1;
}

void cpe_jw_strn(cpe_jw_t *w, const char *s, size_t n)
{
    sep(w);
    put_escaped(w, s, n);
}

void cpe_jw_str(cpe_jw_t *w, const char *s)
{
    if (!s) {
        cpe_jw_null(w);
        return;
    }
    sep(w);
    put_escaped(w, s, strlen(s));
}

void cpe_jw_num(cpe_jw_t *w, double v)
{
    char tmp[40];
    sep(w);
    int n = cpe_fmt_fast(tmp, v, "null");
    put(w, tmp, (size_t)n);
}

void cpe_jw_int(cpe_jw_t *w, int64_t v)
{
    char tmp[32];
    sep(w);
    int n = cpe_fmt_int(tmp, v);
    put(w, tmp, (size_t)n);
}

void cpe_jw_bool(cpe_jw_t *w, int v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void cpe_jw_null(cpe_jw_t *w)
{
    sep(w);
    put(w, "null", 4);
}

void cpe_jw_raw(cpe_jw_t *w, const char *json)
{
    sep(w);
    put(w, json, strlen(json));
}

void cpe_jw_kstr(cpe_jw_t *w, const char *k, const char *s)
{
    cpe_jw_key(w, k);
    cpe_jw_str(w, s);
}
void cpe_jw_knum(cpe_jw_t *w, const char *k, double v)
{
    cpe_jw_key(w, k);
    cpe_jw_num(w, v);
}
void cpe_jw_kint(cpe_jw_t *w, const char *k, int64_t v)
{
    cpe_jw_key(w, k);
    cpe_jw_int(w, v);
}
void cpe_jw_kbool(cpe_jw_t *w, const char *k, int v)
{
    cpe_jw_key(w, k);
    cpe_jw_bool(w, v);
}

/* The array printers open the array and reserve room for n items of at most `item` bytes
 * each (with their comma) in one go, print into it, and close it (array_end). */
static char *array_begin(cpe_jw_t *w, size_t n, size_t item)
{
    cpe_jw_arr(w);
    if (w->err) return NULL;
    int rc = n <= (SIZE_MAX - 2) / item ? cpe_buf_reserve(w->b, n * item + 1) : CPE_ETOOBIG;
    if (rc) {
        w->err = rc;
        return NULL;
    }
    return w->b->data + w->b->len;
}

static void array_end(cpe_jw_t *w, char *p, size_t n)
{
    w->b->len = (size_t)(p - w->b->data);
    w->b->data[w->b->len] = 0;
    w->has_items[w->depth - 1] = n > 0;
    cpe_jw_end(w);
}

/* A number never takes more than 24 characters ("-1.2345678901234567e-308"), an integer 20;
 * each with its comma. */
#define NUM_TEXT_MAX 25
#define INT_TEXT_MAX 21

void cpe_jw_num_array(cpe_jw_t *w, const double *v, size_t n)
{
    char *p = array_begin(w, n, NUM_TEXT_MAX);
    if (!p) return;
    const char *prev = NULL; /* the text of v[i - 1]: series such as open interest or funding
                              * repeat a value for many bars, copied rather than printed again */
    int prev_len = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = ',';
        /* bitwise: equal bits print equal text (== would take -0.0 for 0.0 and miss NaN) */
        // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
        if (prev && !memcmp(&v[i], &v[i - 1], sizeof v[i]))
            memcpy(p, prev, (size_t)prev_len);
        else
            prev_len = cpe_fmt_fast(p, v[i], "null");
        prev = p;
        p += prev_len;
    }
    array_end(w, p, n);
}

void cpe_jw_int_array(cpe_jw_t *w, const int64_t *v, size_t n)
{
    char *p = array_begin(w, n, INT_TEXT_MAX);
    if (!p) return;
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = ',';
        p += cpe_fmt_int(p, v[i]);
    }
    array_end(w, p, n);
}
