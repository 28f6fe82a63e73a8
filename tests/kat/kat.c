/* Shared KAT driver helpers; see kat.h. */
#include "kat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drv_engine.h"
#include "vcrypto/err.h"

/* Failure messages printed per file; the rest are only counted, so a broken
 * algorithm does not bury the log under thousands of lines. */
#define KAT_MAX_MSGS 8

const char *kat_dir(int argc, char **argv)
{
    const char *d = argc > 1 && argv[1][0] ? argv[1] : getenv("VC_CAVP_DIR");
    struct stat st;
    if (!d || !*d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return d;
}

struct vc_engine *kat_engine(void)
{
    /* The same vectors run against every backend (STYLE.md rule 13):
     * VC_KAT_BACKEND picks the engine itself or the whole libvcrypto path
     * (tests/testlib/drv_engine.h). */
    struct vc_engine_cfg cfg = {.nworkers = 2};
    struct vc_engine *e = NULL;
    const char *backend = drv_engine_backend();
    printf("# backend: %s\n", backend);
    int r = drv_engine_create(backend, &cfg, &e);
    if (r) {
        printf("# backend %s: cannot create the engine (%s)\n", backend, vc_errname(r));
        return NULL;
    }
    return e;
}

bool kat_file_open(struct kat_file *f, const char *dir, const char *name)
{
    char path[4096];
    memset(f, 0, sizeof(*f));
    f->name = name;
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;
    f->r = kat_rsp_open(path);
    return f->r != NULL;
}

void kat_fail(struct kat_file *f, const char *fmt, ...)
{
    f->fail++;
    if (f->fail > KAT_MAX_MSGS) {
        if (f->fail == KAT_MAX_MSGS + 1)
            printf("# %s: further failures only counted\n", f->name);
        return;
    }
    printf("# %s:%lu: ", f->name, f->r ? kat_rsp_line(f->r) : 0UL);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

bool kat_check_mem(struct kat_file *f, const char *what, const void *got, const void *want,
                   size_t n)
{
    if (n == 0 || memcmp(got, want, n) == 0)
        return true;
    kat_fail(f, "%s mismatch (%zu bytes)", what, n);
    if (f->fail <= KAT_MAX_MSGS) {
        t__hex("got ", got, n);
        t__hex("want", want, n);
    }
    return false;
}

static void buf_reserve(struct kat_buf *b, size_t n)
{
    if (n <= b->cap)
        return;
    uint8_t *p = realloc(b->p, n);
    if (!p) {
        fprintf(stderr, "kat: out of memory\n");
        abort();
    }
    b->p = p;
    b->cap = n;
}

bool kat_buf_hex(struct kat_buf *b, const char *s)
{
    size_t n = strlen(s) / 2;
    buf_reserve(b, n + KAT_GUARD);
    long got = t_unhex(s, b->p, b->cap);
    if (got < 0)
        return false;
    b->len = (size_t)got;
    return true;
}

bool kat_get_hex(struct kat_file *f, const char *name, struct kat_buf *b)
{
    const char *v = kat_rsp_get(f->r, name);
    if (!v) {
        kat_fail(f, "no %s", name);
        return false;
    }
    if (!kat_buf_hex(b, v)) {
        kat_fail(f, "bad hex in %s", name);
        return false;
    }
    return true;
}

bool kat_get_num(struct kat_file *f, const char *name, struct kat_buf *b)
{
    const char *v = kat_rsp_get(f->r, name);
    if (v && strlen(v) % 2) {
        size_t n = strlen(v);
        char *even = malloc(n + 2);
        if (!even)
            abort();
        even[0] = '0';
        memcpy(even + 1, v, n + 1);
        bool ok = kat_buf_hex(b, even);
        free(even);
        if (!ok)
            kat_fail(f, "bad hex in %s", name);
        return ok;
    }
    return kat_get_hex(f, name, b);
}

bool kat_get_ulong(struct kat_file *f, const char *name, unsigned long *out)
{
    const char *v = kat_rsp_get(f->r, name);
    char *end;
    if (!v || !*v) {
        kat_fail(f, "no %s", name);
        return false;
    }
    errno = 0;
    *out = strtoul(v, &end, 10);
    if (errno || *end) {
        kat_fail(f, "bad number in %s", name);
        return false;
    }
    return true;
}

void kat_buf_out(struct kat_buf *b, size_t len)
{
    buf_reserve(b, len + KAT_GUARD);
    memset(b->p, 0x5a, len);
    memset(b->p + len, 0xa5, KAT_GUARD);
    b->len = len;
}

void kat_buf_set(struct kat_buf *b, const void *src, size_t len)
{
    kat_buf_out(b, len);
    if (len)
        memcpy(b->p, src, len);
}

bool kat_buf_guard_ok(const struct kat_buf *b)
{
    for (size_t i = 0; i < KAT_GUARD; i++)
        if (b->p[b->len + i] != 0xa5)
            return false;
    return true;
}

void kat_buf_free(struct kat_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* xorshift64*: deterministic cut points, so a failure reproduces. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

void kat_sg_split(struct kat_sg *s, uint8_t *p, size_t len, unsigned long seed)
{
    uint32_t cnt = 0;
    if (len > 1 && (seed & 1)) {
        uint64_t st = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 0x100000001b3ULL);
        /* Cut points: sorted distinct offsets in (0, len). */
        size_t cuts[KAT_SG_MAX - 1];
        size_t ncuts = 1 + rnd(&st) % (KAT_SG_MAX - 1);
        if (ncuts > len - 1)
            ncuts = len - 1;
        size_t n = 0;
        while (n < ncuts) {
            size_t c = 1 + rnd(&st) % (len - 1);
            size_t i = 0;
            while (i < n && cuts[i] < c)
                i++;
            if (i < n && cuts[i] == c)
                continue;
            memmove(&cuts[i + 1], &cuts[i], (n - i) * sizeof(cuts[0]));
            cuts[i] = c;
            n++;
        }
        size_t prev = 0;
        for (size_t i = 0; i < n; i++) {
            s->iov[cnt++] = (struct vc_iov){p + prev, cuts[i] - prev};
            prev = cuts[i];
        }
        s->iov[cnt++] = (struct vc_iov){p + prev, len - prev};
    } else if (len > 0) {
        s->iov[cnt++] = (struct vc_iov){p, len};
    }
    vc_sg_init(&s->sg, s->iov, cnt);
}

bool kat_len_ok(uint32_t len, uint32_t min, uint32_t max, uint32_t step)
{
    if (len < min || len > max)
        return false;
    return step == 0 || (len - min) % step == 0;
}

bool kat_cap_key_ok(const struct vc_algo_cap *c, uint32_t key_len)
{
    return kat_len_ok(key_len, c->key_min, c->key_max, c->key_step);
}

bool kat_cap_iv_ok(const struct vc_algo_cap *c, uint32_t iv_len)
{
    return kat_len_ok(iv_len, c->iv_min, c->iv_max, 0);
}

bool kat_cap_out_ok(const struct vc_algo_cap *c, uint32_t n)
{
    if (c->out_mask)
        return n < 64 && (c->out_mask >> n & 1);
    return kat_len_ok(n, c->out_min, c->out_max, 0);
}
