/* Wycheproof KAT runner: file loading, counting, TAP output, helpers.
 *
 * IMPLEMENTATION NOTES
 * Every vector of a file must be accounted for exactly once (ran, refused or
 * test-rejected); wp_file() checks the sum against the file's numberOfTests
 * so that a driver bug that skips vectors shows up as a failure instead of a
 * smaller, still-green run.
 */
#include "wycheproof.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drv_engine.h"
#include "vcrypto/err.h"

/* At most this many failure messages per file; the rest are only counted. */
#define WP_MAX_MSGS 25

int wp_init(struct wp_ctx *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    const char *env = getenv("VC_WYCHEPROOF_DIR");
    c->dir = env && *env ? env : argc > 1 ? argv[1] : NULL;
    struct stat st;
    if (!c->dir || stat(c->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("1..0 # SKIP Wycheproof vectors folder not found (%s); set VC_WYCHEPROOF_DIR "
               "or -Dwycheproof_dir\n",
               c->dir ? c->dir : "none given");
        return WP_SKIP_EXIT;
    }
    /* One suite, every backend (STYLE.md rule 13): VC_KAT_BACKEND picks
     * the engine itself or the libvcrypto path (tests/testlib/drv_engine.h). */
    struct vc_engine_cfg cfg = {.nworkers = WP_WORKERS};
    const char *backend = drv_engine_backend();
    printf("# backend: %s\n", backend);
    int r = drv_engine_create(backend, &cfg, &c->eng);
    if (r) {
        printf("Bail out! cannot create the engine for backend %s (%s)\n", backend,
               vc_errname(r));
        return 1;
    }
    c->caps = vc_engine_caps(c->eng);
    return -1;
}

static void tap_line(struct wp_ctx *c, bool ok, const char *name, const char *directive)
{
    c->ntap++;
    printf("%sok %d %s%s\n", ok ? "" : "not ", c->ntap, name, directive ? directive : "");
    fflush(stdout);
    if (!ok)
        c->nfail_files++;
}

void wp_file(struct wp_ctx *c, const char *name, wp_group_fn fn)
{
    char path[4096];
    memset(&c->c, 0, sizeof c->c);
    c->file = name;
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        printf("# %s: cannot load: %s (line %d)\n", name, jerr.text, jerr.line);
        tap_line(c, false, name, NULL);
        return;
    }
    json_t *groups = json_object_get(root, "testGroups");
    long declared = wp_int(root, "numberOfTests");
    if (!json_is_array(groups)) {
        printf("# %s: no testGroups array\n", name);
        c->c.failed++;
    } else {
        size_t i;
        json_t *g;
        json_array_foreach (groups, i, g) {
            fn(c, g);
        }
    }
    const struct wp_counts *k = &c->c;
    unsigned ran = k->ran[WP_VALID] + k->ran[WP_INVALID] + k->ran[WP_ACCEPTABLE];
    unsigned total = ran + k->refused + k->test_rejected;
    printf("# %s: ran %u (valid %u, invalid %u, acceptable %u), refused %u, test-rejected %u, "
           "failed %u\n",
           name, ran, k->ran[WP_VALID], k->ran[WP_INVALID], k->ran[WP_ACCEPTABLE], k->refused,
           k->test_rejected, k->failed);
    bool ok = k->failed == 0;
    if (ran == 0) {
        printf("# %s: no vector ran\n", name);
        ok = false;
    }
    if (declared < 0 || total != (unsigned long)declared) {
        printf("# %s: %u vectors accounted for, file declares %ld\n", name, total, declared);
        ok = false;
    }
    tap_line(c, ok, name, NULL);
    json_decref(root);
    c->file = NULL;
}

void wp_file_na(struct wp_ctx *c, const char *name, const char *why)
{
    char path[4096], dir[600];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    if (stat(path, &st) != 0) {
        printf("# %s: missing\n", name);
        tap_line(c, false, name, NULL);
        return;
    }
    snprintf(dir, sizeof dir, " # SKIP n/a: %s", why);
    tap_line(c, true, name, dir);
}

int wp_done(struct wp_ctx *c)
{
    printf("1..%d\n", c->ntap);
    vc_engine_destroy(c->eng);
    c->eng = NULL;
    return c->nfail_files ? 1 : 0;
}

bool wp_vec_get(struct wp_ctx *c, json_t *t, struct wp_vec *v)
{
    v->t = t;
    v->tcid = wp_int(t, "tcId");
    const char *r = wp_str(t, "result");
    if (r && strcmp(r, "valid") == 0)
        v->res = WP_VALID;
    else if (r && strcmp(r, "invalid") == 0)
        v->res = WP_INVALID;
    else if (r && strcmp(r, "acceptable") == 0)
        v->res = WP_ACCEPTABLE;
    else {
        wp_fail(c, v->tcid, "unknown result \"%s\"", r ? r : "(none)");
        v->res = WP_INVALID;
        return false;
    }
    return true;
}

void wp_fail(struct wp_ctx *c, long tcid, const char *fmt, ...)
{
    if (c->c.failed++ >= WP_MAX_MSGS) {
        if (c->c.failed == WP_MAX_MSGS + 1)
            printf("# %s: further failures not shown\n", c->file ? c->file : "?");
        return;
    }
    printf("# %s tcId %ld: ", c->file ? c->file : "?", tcid);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void wp_ran(struct wp_ctx *c, const struct wp_vec *v)
{
    c->c.ran[v->res]++;
}

void wp_refused(struct wp_ctx *c)
{
    c->c.refused++;
}

void wp_test_rejected(struct wp_ctx *c)
{
    c->c.test_rejected++;
}

bool wp_has_flag(json_t *t, const char *flag)
{
    json_t *flags = json_object_get(t, "flags");
    size_t i;
    json_t *f;
    json_array_foreach (flags, i, f) {
        if (json_is_string(f) && strcmp(json_string_value(f), flag) == 0)
            return true;
    }
    return false;
}

long wp_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

const char *wp_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void wp_buf_alloc(struct wp_buf *b, size_t n)
{
    b->p = calloc(1, n + 1);
    b->n = n;
    if (!b->p) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
}

static int nibble(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool unhex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int h = nibble(s[2 * i]), l = nibble(s[2 * i + 1]);
        if (h < 0 || l < 0)
            return false;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return true;
}

bool wp_hex(struct wp_ctx *c, json_t *o, const char *key, struct wp_buf *b)
{
    const char *s = wp_str(o, key);
    b->p = NULL;
    b->n = 0;
    if (!s) {
        wp_fail(c, wp_int(o, "tcId"), "missing hex field \"%s\"", key);
        return false;
    }
    size_t len = strlen(s);
    wp_buf_alloc(b, len / 2);
    if (len % 2 || !unhex(s, b->p, b->n)) {
        wp_fail(c, wp_int(o, "tcId"), "bad hex in \"%s\"", key);
        wp_buf_free(b);
        return false;
    }
    return true;
}

void wp_buf_free(struct wp_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
}

void wp_sg(struct wp_sg *s, uint8_t *buf, size_t len, unsigned seed)
{
    /* Even seeds: one piece (the common case). Odd seeds: a 1-byte head, an
     * empty piece when seed % 4 == 3, then pieces of 13 and 17 bytes and the
     * rest, so cuts land inside AES blocks and across tag boundaries. */
    static const size_t cut[] = {1, 0, 13, 17};
    uint32_t n = 0;
    size_t off = 0;
    if (seed % 2) {
        for (size_t i = 0; i < VC_ARRAY_SIZE(cut) && n < WP_MAX_IOV - 1; i++) {
            if (cut[i] == 0 && seed % 4 != 3)
                continue;
            size_t l = VC_MIN(cut[i], len - off);
            s->iov[n++] = (struct vc_iov){buf ? buf + off : NULL, l};
            off += l;
        }
    }
    s->iov[n++] = (struct vc_iov){buf ? buf + off : NULL, len - off};
    vc_sg_init(&s->sg, s->iov, n);
}

const struct vc_algo_cap *wp_cap(struct wp_ctx *c, uint32_t service, uint32_t algo)
{
    return vc_engine_find_cap(c->caps, service, algo);
}

bool wp_cap_key(const struct vc_algo_cap *a, size_t n)
{
    if (!a || n < a->key_min || n > a->key_max)
        return false;
    return a->key_step == 0 || (n - a->key_min) % a->key_step == 0;
}

bool wp_cap_iv(const struct vc_algo_cap *a, size_t n)
{
    return a && n >= a->iv_min && n <= a->iv_max;
}

bool wp_cap_out(const struct vc_algo_cap *a, size_t n)
{
    if (!a)
        return false;
    if (a->out_mask)
        return n < 64 && (a->out_mask >> n & 1);
    return n >= a->out_min && n <= a->out_max;
}

bool wp_cap_data(const struct vc_algo_cap *a, size_t n)
{
    return a && (a->block <= 1 || n % a->block == 0);
}

bool wp_is_refusal(uint8_t st)
{
    return st == VIRTIO_CRYPTO_ERR;
}

const char *wp_status(uint8_t st)
{
    static const char *const names[] = {"OK",      "ERR",   "BADMSG",       "NOTSUPP",
                                        "INVSESS", "NOSPC", "KEY_REJECTED", "SA_SOFT_EXPIRY"};
    if (st == WP_WRONG_WRITTEN)
        return "OK with a wrong dst_written";
    if (st == WP_UNSTABLE)
        return "a status differing between two runs on one session";
    return st < VC_ARRAY_SIZE(names) ? names[st] : "?";
}

void wp_params(struct vc_sess_params *p, uint32_t service)
{
    memset(p, 0, sizeof *p);
    p->service = service;
}

void wp_op(struct vc_engine_op *op, uint32_t opcode)
{
    memset(op, 0, sizeof *op);
    op->opcode = opcode;
}

/* Runs op on s with dst and digest redirected to scratch buffers, so that
 * the caller's buffers only see the second run. */
static uint8_t dry_run(struct wp_ctx *c, struct vc_engine_sess *s, const struct vc_engine_op *op)
{
    struct vc_engine_op o = *op;
    struct wp_buf d, g;
    struct vc_iov di, gi;
    wp_buf_alloc(&d, (size_t)op->dst.len);
    wp_buf_alloc(&g, (size_t)op->digest.len);
    vc_sg_flat(&o.dst, &di, d.p, d.n);
    vc_sg_flat(&o.digest, &gi, g.p, g.n);
    uint8_t st = vc_engine_op(c->eng, s, 0, &o);
    wp_buf_free(&d);
    wp_buf_free(&g);
    return st;
}

uint8_t wp_run(struct wp_ctx *c, const struct vc_sess_params *p, struct vc_engine_op *op)
{
    struct vc_engine_sess *s = NULL;
    uint8_t st = vc_engine_sess_create(c->eng, p, &s);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    /* Twice on one session: contexts are pre-keyed per worker and reused,
     * so state left behind by the first op (a failed tag check included)
     * must not change the second. */
    uint8_t st1 = dry_run(c, s, op);
    st = vc_engine_op(c->eng, s, 0, op);
    vc_engine_sess_destroy(c->eng, s);
    return st1 == st ? st : WP_UNSTABLE;
}
