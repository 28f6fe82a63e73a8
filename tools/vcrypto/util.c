/* Bytes, hex and files for the CLI. Every failure prints one line. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"

const char *cli_cmd = "";

void cli_err(const char *fmt, ...)
{
    va_list ap;

    fputs("vcrypto: ", stderr);
    if (cli_cmd[0])
        fprintf(stderr, "%s: ", cli_cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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

bool cli_hex(const char *hex, const char *what, struct cli_buf *out)
{
    size_t n;

    out->p = NULL;
    out->len = 0;
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    n = strlen(hex);
    if (n % 2) {
        cli_err("bad hex for %s: odd number of digits (%zu)", what, n);
        return false;
    }
    out->p = malloc(n / 2 + 1); /* +1: a valid pointer even for "" */
    if (!out->p) {
        cli_err("out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);

        if (hi < 0 || lo < 0) {
            cli_err("bad hex for %s: '%c' at position %zu is not a hex digit", what,
                    hi < 0 ? hex[i] : hex[i + 1], hi < 0 ? i : i + 1);
            cli_buf_wipe_free(out);
            return false;
        }
        out->p[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    out->len = n / 2;
    return true;
}

void cli_hex_print(FILE *f, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", p[i]);
}

FILE *cli_open_in(const char *path)
{
    FILE *f;

    if (!path || strcmp(path, "-") == 0)
        return stdin;
    f = fopen(path, "rb");
    if (!f)
        cli_err("cannot open '%s': %s", path, strerror(errno));
    return f;
}

FILE *cli_open_out(const char *path)
{
    FILE *f;

    if (!path || strcmp(path, "-") == 0)
        return stdout;
    f = fopen(path, "wb");
    if (!f)
        cli_err("cannot create '%s': %s", path, strerror(errno));
    return f;
}

bool cli_close_out(FILE *f, const char *path)
{
    bool ok;

    if (!f)
        return true;
    ok = fflush(f) == 0 && !ferror(f);
    if (f != stdout)
        ok = (fclose(f) == 0) && ok;
    if (!ok)
        cli_err("write error on '%s': %s", path ? path : "stdout", strerror(errno));
    return ok;
}

void cli_close_in(FILE *f)
{
    if (f && f != stdin)
        fclose(f);
}

size_t cli_read_full(FILE *f, uint8_t *p, size_t len, bool *err)
{
    size_t got = 0;

    while (got < len) {
        size_t n = fread(p + got, 1, len - got, f);

        if (n == 0) {
            if (ferror(f)) {
                *err = true;
                cli_err("read error: %s", strerror(errno));
            }
            break;
        }
        got += n;
    }
    return got;
}

bool cli_read_all(FILE *f, uint64_t limit, struct cli_buf *out, bool *too_big)
{
    size_t cap = 64 * 1024, len = 0;
    uint8_t *p = malloc(cap);
    bool err = false;

    *too_big = false;
    out->p = NULL;
    out->len = 0;
    if (!p) {
        cli_err("out of memory");
        return false;
    }
    for (;;) {
        size_t n;

        if (len == cap) {
            uint8_t *q;

            /* Grow geometrically, but only ever to limit + 1 bytes: the
             * extra byte tells "exactly limit" from "more than limit". */
            if ((uint64_t)len > limit) {
                *too_big = true;
                free(p);
                return false;
            }
            cap = (size_t)VC_MIN((uint64_t)cap * 2, limit + 1);
            q = realloc(p, cap);
            if (!q) {
                free(p);
                cli_err("out of memory reading the input");
                return false;
            }
            p = q;
        }
        n = cli_read_full(f, p + len, cap - len, &err);
        if (err) {
            free(p);
            return false;
        }
        len += n;
        if (len < cap)
            break;
    }
    if ((uint64_t)len > limit) {
        *too_big = true;
        free(p);
        return false;
    }
    out->p = p;
    out->len = len;
    return true;
}

bool cli_write(FILE *f, const uint8_t *p, size_t len)
{
    if (len && fwrite(p, 1, len, f) != len) {
        cli_err("write error: %s", strerror(errno));
        return false;
    }
    return true;
}

void cli_buf_free(struct cli_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
}

void cli_buf_wipe_free(struct cli_buf *b)
{
    if (b->p)
        OPENSSL_cleanse(b->p, b->len);
    cli_buf_free(b);
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v, mul = 1;

    if (!s || s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return false;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    if (*end || v > UINT64_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}
