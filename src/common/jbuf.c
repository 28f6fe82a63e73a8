#include "common/jbuf.h"

#include <inttypes.h>
#include <stdio.h>

void vc_jbuf_init(struct vc_jbuf *b, char *buf, size_t cap)
{
    b->p = buf;
    b->cap = cap;
    b->len = 0;
    b->overflow = cap == 0;
    b->depth = 0;
    b->first[0] = true;
    b->in_array[0] = false;
    if (cap)
        buf[0] = '\0';
}

static void put(struct vc_jbuf *b, const char *s, size_t n)
{
    if (b->overflow || b->len + n + 1 > b->cap) {
        b->overflow = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        b->p[b->len++] = s[i];
    b->p[b->len] = '\0';
}

static void putc1(struct vc_jbuf *b, char c)
{
    put(b, &c, 1);
}

static void put_str(struct vc_jbuf *b, const char *s)
{
    putc1(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            putc1(b, '\\');
            putc1(b, (char)c);
        } else if (c < 0x20) {
            char esc[8];
            int n = snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(b, esc, (size_t)n);
        } else {
            putc1(b, (char)c);
        }
    }
    putc1(b, '"');
}

static void sep_key(struct vc_jbuf *b, const char *key)
{
    /* Keys belong in objects only; values in objects need one. */
    bool want_key = b->depth > 0 && !b->in_array[b->depth];
    if ((key != NULL) != want_key)
        b->overflow = true;
    if (!b->first[b->depth])
        putc1(b, ',');
    b->first[b->depth] = false;
    if (key) {
        put_str(b, key);
        putc1(b, ':');
    }
}

static void open_(struct vc_jbuf *b, const char *key, char c)
{
    sep_key(b, key);
    putc1(b, c);
    if (b->depth + 1 < VC_JBUF_DEPTH)
        b->depth++;
    else
        b->overflow = true;
    b->first[b->depth] = true;
    b->in_array[b->depth] = c == '[';
}

static void close_(struct vc_jbuf *b, char c)
{
    putc1(b, c);
    if (b->depth > 0)
        b->depth--;
}

void vc_jbuf_obj_open(struct vc_jbuf *b, const char *key)
{
    open_(b, key, '{');
}

void vc_jbuf_obj_close(struct vc_jbuf *b)
{
    close_(b, '}');
}

void vc_jbuf_arr_open(struct vc_jbuf *b, const char *key)
{
    open_(b, key, '[');
}

void vc_jbuf_arr_close(struct vc_jbuf *b)
{
    close_(b, ']');
}

void vc_jbuf_u64(struct vc_jbuf *b, const char *key, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRIu64, v);
    sep_key(b, key);
    put(b, num, (size_t)n);
}

void vc_jbuf_bool(struct vc_jbuf *b, const char *key, bool v)
{
    sep_key(b, key);
    put(b, v ? "true" : "false", v ? 4 : 5);
}

void vc_jbuf_str(struct vc_jbuf *b, const char *key, const char *s)
{
    sep_key(b, key);
    put_str(b, s);
}

bool vc_jbuf_ok(const struct vc_jbuf *b)
{
    return !b->overflow && b->depth == 0;
}
