/* Symmetric cells: AES-256-GCM, AES-128-CBC, SHA-256, HMAC-SHA256 and
 * ChaCha20-Poly1305 at 64 B .. 16 KiB, plus AES-256-GCM 16 KiB in 4 pieces.
 *
 * IMPLEMENTATION NOTES
 * Native side = what a user would write in-process, with everything that can
 * be kept between messages kept (one message per call, no batching):
 *   AEAD    EVP_CIPHER_CTX keyed once; per message EVP_EncryptInit_ex(ctx,
 *           NULL, NULL, NULL, iv) + EncryptUpdate + EncryptFinal_ex +
 *           EVP_CTRL_AEAD_GET_TAG.
 *   CBC     EVP_CIPHER_CTX keyed once, padding off; per message
 *           EncryptInit_ex(iv) + EncryptUpdate + EncryptFinal_ex.
 *   SHA-256 one EVP_MD_CTX and one fetched EVP_MD; per message
 *           EVP_DigestInit_ex + DigestUpdate + DigestFinal_ex (measured as
 *           the cheapest EVP way on OpenSSL 3.0, see docs/BENCH.md).
 *   HMAC    EVP_MAC_CTX keyed once; per message EVP_MAC_init(ctx, NULL, 0,
 *           NULL) + EVP_MAC_update + EVP_MAC_final.
 * Engine side = one vc_engine_op() per message on a session created once,
 * with the op struct built once (the device layer's request parsing is not
 * the engine's cost). Both sides read the same src bytes, use the same key
 * and IV, and write to separate buffers of the same alignment. No AAD.
 * The IV stays fixed: its value does not change the work, and a bench never
 * ships ciphertext.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "bench.h"

#define MAX_PIECES 4
#define TAG_LEN 16
#define ALIGN 64

enum sym_kind { K_AEAD, K_CIPHER, K_HASH, K_MAC };

struct sym_alg {
    const char *label;
    enum sym_kind kind;
    uint32_t algo;         /* VIRTIO_CRYPTO_* id within the service */
    const char *ossl_name; /* cipher / digest name */
    uint32_t key_len;
    uint32_t iv_len;
    uint32_t out_len; /* tag or digest length; 0 for a plain cipher */
};

static const struct sym_alg sym_algs[] = {
    {"AES-256-GCM enc", K_AEAD, VIRTIO_CRYPTO_AEAD_GCM, "AES-256-GCM", 32, 12, TAG_LEN},
    {"AES-128-CBC enc", K_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_CBC, "AES-128-CBC", 16, 16, 0},
    {"SHA-256", K_HASH, VIRTIO_CRYPTO_HASH_SHA_256, "SHA256", 0, 0, 32},
    {"HMAC-SHA256", K_MAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, "SHA256", 32, 0, 32},
    {"ChaCha20-Poly1305 enc", K_AEAD, VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, "ChaCha20-Poly1305",
     32, 12, TAG_LEN},
};

static const size_t sym_sizes[] = {64, 256, 1024, 4096, 16384};

struct sym_state {
    const struct sym_alg *a;
    size_t len;
    unsigned pieces;
    /* engine side */
    struct vc_engine *eng;
    struct vc_engine_sess *sess;
    struct vc_engine_op op;
    struct vc_iov iv_iov, src_iov[MAX_PIECES], dst_iov[MAX_PIECES], dig_iov;
    uint8_t *piece[2 * MAX_PIECES]; /* separate allocations when pieces > 1 */
    uint8_t *edst;                  /* flat engine output when pieces == 1 */
    uint8_t edig[64];
    /* native side */
    EVP_CIPHER_CTX *cctx;
    EVP_MD *md;
    EVP_MD_CTX *mctx;
    EVP_MAC_CTX *macctx;
    uint8_t *ndst;
    uint8_t ndig[64];
    /* shared input */
    uint8_t *src;
    uint8_t key[32];
    uint8_t iv[16];
};

static uint8_t *balloc(size_t n)
{
    void *p = NULL;
    /* Round up so both sides get whole cache lines. */
    if (posix_memalign(&p, ALIGN, (n + ALIGN - 1) / ALIGN * ALIGN) != 0)
        return NULL;
    memset(p, 0, n);
    return p;
}

/* Deterministic filler: the bytes do not affect the work done. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static void sym_free(void *p)
{
    struct sym_state *s = p;
    if (s == NULL)
        return;
    vc_engine_sess_destroy(s->eng, s->sess);
    EVP_CIPHER_CTX_free(s->cctx);
    EVP_MD_CTX_free(s->mctx);
    EVP_MD_free(s->md);
    EVP_MAC_CTX_free(s->macctx);
    for (unsigned i = 0; i < 2 * MAX_PIECES; i++)
        free(s->piece[i]);
    free(s->edst);
    free(s->ndst);
    free(s->src);
    free(s);
}

/* ---- engine side */

static int engine_run(void *p, uint64_t n)
{
    struct sym_state *s = p;
    for (uint64_t i = 0; i < n; i++) {
        s->op.dst_written = 0;
        if (vc_engine_op(s->eng, s->sess, 0, &s->op) != VIRTIO_CRYPTO_OK)
            return -1;
    }
    return 0;
}

static uint8_t engine_session(struct sym_state *s)
{
    const struct sym_alg *a = s->a;
    struct vc_sess_params p;
    memset(&p, 0, sizeof p);
    switch (a->kind) {
    case K_AEAD:
        p.service = VIRTIO_CRYPTO_SERVICE_AEAD;
        p.u.aead.algo = a->algo;
        p.u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
        p.u.aead.key = s->key;
        p.u.aead.key_len = a->key_len;
        p.u.aead.tag_len = a->out_len;
        p.u.aead.aad_len = 0;
        s->op.opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT;
        break;
    case K_CIPHER:
        p.service = VIRTIO_CRYPTO_SERVICE_CIPHER;
        p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
        p.u.sym.cipher.algo = a->algo;
        p.u.sym.cipher.op = VIRTIO_CRYPTO_OP_ENCRYPT;
        p.u.sym.cipher.key = s->key;
        p.u.sym.cipher.key_len = a->key_len;
        s->op.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT;
        break;
    case K_HASH:
        p.service = VIRTIO_CRYPTO_SERVICE_HASH;
        p.u.hash.algo = a->algo;
        p.u.hash.result_len = a->out_len;
        s->op.opcode = VIRTIO_CRYPTO_HASH;
        break;
    case K_MAC:
        p.service = VIRTIO_CRYPTO_SERVICE_MAC;
        p.u.mac.algo = a->algo;
        p.u.mac.result_len = a->out_len;
        p.u.mac.key = s->key;
        p.u.mac.key_len = a->key_len;
        s->op.opcode = VIRTIO_CRYPTO_MAC;
        break;
    default:
        return VIRTIO_CRYPTO_NOTSUPP;
    }
    return vc_engine_sess_create(s->eng, &p, &s->sess);
}

/* Builds the op's sg lists: src is the shared input (flat) or copies of it
 * in separately allocated pieces; dst likewise, the tag in the last piece. */
static int engine_buffers(struct sym_state *s)
{
    const struct sym_alg *a = s->a;
    struct vc_engine_op *op = &s->op;
    bool has_dst = a->kind == K_AEAD || a->kind == K_CIPHER;
    size_t dlen = s->len + (a->kind == K_AEAD ? a->out_len : 0);

    if (a->iv_len > 0)
        vc_sg_flat(&op->iv, &s->iv_iov, s->iv, a->iv_len);
    if (a->kind == K_HASH || a->kind == K_MAC)
        vc_sg_flat(&op->digest, &s->dig_iov, s->edig, a->out_len);
    if (s->pieces == 1) {
        vc_sg_flat(&op->src, &s->src_iov[0], s->src, s->len);
        if (has_dst) {
            if ((s->edst = balloc(dlen)) == NULL)
                return -1;
            vc_sg_flat(&op->dst, &s->dst_iov[0], s->edst, dlen);
        }
        return 0;
    }
    size_t per = s->len / s->pieces;
    for (unsigned i = 0; i < s->pieces; i++) {
        size_t sl = i + 1 < s->pieces ? per : s->len - per * i;
        size_t dl = i + 1 < s->pieces ? per : dlen - per * i;
        s->piece[i] = balloc(sl);
        s->piece[MAX_PIECES + i] = balloc(dl);
        if (s->piece[i] == NULL || s->piece[MAX_PIECES + i] == NULL)
            return -1;
        memcpy(s->piece[i], s->src + per * i, sl);
        s->src_iov[i] = (struct vc_iov){s->piece[i], sl};
        s->dst_iov[i] = (struct vc_iov){s->piece[MAX_PIECES + i], dl};
    }
    vc_sg_init(&op->src, s->src_iov, s->pieces);
    if (has_dst)
        vc_sg_init(&op->dst, s->dst_iov, s->pieces);
    return 0;
}

/* ---- native side */

static int native_aead(void *p, uint64_t n)
{
    struct sym_state *s = p;
    int outl, finl;
    for (uint64_t i = 0; i < n; i++) {
        if (EVP_EncryptInit_ex(s->cctx, NULL, NULL, NULL, s->iv) != 1 ||
            EVP_EncryptUpdate(s->cctx, s->ndst, &outl, s->src, (int)s->len) != 1 ||
            EVP_EncryptFinal_ex(s->cctx, s->ndst + outl, &finl) != 1 ||
            EVP_CIPHER_CTX_ctrl(s->cctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, s->ndst + s->len) != 1)
            return -1;
    }
    return 0;
}

static int native_cipher(void *p, uint64_t n)
{
    struct sym_state *s = p;
    int outl, finl;
    for (uint64_t i = 0; i < n; i++) {
        if (EVP_EncryptInit_ex(s->cctx, NULL, NULL, NULL, s->iv) != 1 ||
            EVP_EncryptUpdate(s->cctx, s->ndst, &outl, s->src, (int)s->len) != 1 ||
            EVP_EncryptFinal_ex(s->cctx, s->ndst + outl, &finl) != 1)
            return -1;
    }
    return 0;
}

static int native_hash(void *p, uint64_t n)
{
    struct sym_state *s = p;
    unsigned int outl;
    for (uint64_t i = 0; i < n; i++) {
        if (EVP_DigestInit_ex(s->mctx, s->md, NULL) != 1 ||
            EVP_DigestUpdate(s->mctx, s->src, s->len) != 1 ||
            EVP_DigestFinal_ex(s->mctx, s->ndig, &outl) != 1)
            return -1;
    }
    return 0;
}

static int native_mac(void *p, uint64_t n)
{
    struct sym_state *s = p;
    size_t outl;
    for (uint64_t i = 0; i < n; i++) {
        if (EVP_MAC_init(s->macctx, NULL, 0, NULL) != 1 ||
            EVP_MAC_update(s->macctx, s->src, s->len) != 1 ||
            EVP_MAC_final(s->macctx, s->ndig, &outl, sizeof s->ndig) != 1)
            return -1;
    }
    return 0;
}

static int native_setup(struct sym_state *s)
{
    const struct sym_alg *a = s->a;
    switch (a->kind) {
    case K_AEAD:
    case K_CIPHER: {
        EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, a->ossl_name, NULL);
        s->cctx = EVP_CIPHER_CTX_new();
        int ok = c != NULL && s->cctx != NULL &&
                 EVP_EncryptInit_ex(s->cctx, c, NULL, s->key, NULL) == 1 &&
                 (a->kind != K_CIPHER || EVP_CIPHER_CTX_set_padding(s->cctx, 0) == 1);
        EVP_CIPHER_free(c);
        s->ndst = balloc(s->len + TAG_LEN);
        return ok && s->ndst != NULL ? 0 : -1;
    }
    case K_HASH:
        s->md = EVP_MD_fetch(NULL, a->ossl_name, NULL);
        s->mctx = EVP_MD_CTX_new();
        return s->md != NULL && s->mctx != NULL ? 0 : -1;
    case K_MAC: {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        char dname[32];
        snprintf(dname, sizeof dname, "%s", a->ossl_name);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, dname, 0),
            OSSL_PARAM_construct_end(),
        };
        s->macctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac);
        return s->macctx != NULL && EVP_MAC_init(s->macctx, s->key, a->key_len, params) == 1
                   ? 0
                   : -1;
    }
    default:
        return -1;
    }
}

/* ---- cross-check */

/* One op on each side, then compare what they wrote. */
static int cross_check(struct sym_state *s, bench_run_fn native)
{
    const struct sym_alg *a = s->a;
    if (engine_run(s, 1) != 0) {
        fprintf(stderr, "bench: %s %zu B: engine op failed\n", a->label, s->len);
        return -1;
    }
    if (native(s, 1) != 0) {
        fprintf(stderr, "bench: %s %zu B: native EVP calls failed\n", a->label, s->len);
        return -1;
    }
    int same;
    if (a->kind == K_HASH || a->kind == K_MAC) {
        same = memcmp(s->edig, s->ndig, a->out_len) == 0;
    } else {
        size_t dlen = s->len + (a->kind == K_AEAD ? a->out_len : 0);
        uint8_t *got = malloc(dlen);
        same = got != NULL && vc_ok(vc_sg_read(&s->op.dst, 0, got, dlen)) &&
               s->op.dst_written == dlen && memcmp(got, s->ndst, dlen) == 0;
        free(got);
    }
    if (!same)
        fprintf(stderr, "bench: %s %zu B: engine and native outputs differ\n", a->label, s->len);
    return same ? 0 : -1;
}

static int make_cell(const struct bench_env *env, const struct sym_alg *a, size_t len,
                     unsigned pieces, struct bench_cell *cell)
{
    static const bench_run_fn natives[] = {
        [K_AEAD] = native_aead,
        [K_CIPHER] = native_cipher,
        [K_HASH] = native_hash,
        [K_MAC] = native_mac,
    };
    struct sym_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    s->a = a;
    s->len = len;
    s->pieces = pieces;
    s->eng = env->eng;
    fill(s->key, sizeof s->key, 1);
    fill(s->iv, sizeof s->iv, 2);
    if ((s->src = balloc(len)) == NULL)
        goto fail;
    fill(s->src, len, 3);
    uint8_t st = engine_session(s);
    if (st != VIRTIO_CRYPTO_OK) {
        fprintf(stderr, "bench: %s: engine session create failed (status %u)\n", a->label, st);
        goto fail;
    }
    if (engine_buffers(s) != 0 || native_setup(s) != 0) {
        fprintf(stderr, "bench: %s: setup failed\n", a->label);
        goto fail;
    }
    if (cross_check(s, natives[a->kind]) != 0)
        goto fail;

    memset(cell, 0, sizeof *cell);
    snprintf(cell->alg, sizeof cell->alg, "%s", a->label);
    cell->bytes = len;
    cell->pieces = pieces;
    /* Issue #2 §5 fixes the two ends: <= 15 % at 64 B, <= 5 % at 16 KiB.
     * Sizes in between are held to the 64-B bound. The multi-piece row shows
     * the sg cost against the flat native baseline: same bound as its size,
     * but informational. */
    cell->target = len >= 16384 ? 0.05 : 0.15;
    cell->informational = pieces > 1;
    cell->state = s;
    cell->engine = engine_run;
    cell->native = natives[a->kind];
    cell->free_state = sym_free;
    return 0;
fail:
    sym_free(s);
    return -1;
}

int bench_cases_sym(const struct bench_env *env, const struct bench_opts *o,
                    struct bench_cell *cells, int max)
{
    int n = 0;
    for (size_t i = 0; i < VC_ARRAY_SIZE(sym_algs); i++) {
        const struct sym_alg *a = &sym_algs[i];
        if (!bench_filter_match(o, a->label))
            continue;
        for (size_t j = 0; j < VC_ARRAY_SIZE(sym_sizes); j++) {
            if ((o->size != 0 && o->size != sym_sizes[j]) || o->pieces > 1)
                continue;
            if (n >= max || make_cell(env, a, sym_sizes[j], 1, &cells[n]) != 0)
                return -1;
            n++;
        }
        /* The sg cost: the same 16 KiB GCM message in four 4 KiB pieces
         * (separate allocations, as guest descriptors would be). */
        if (a->kind == K_AEAD && a->algo == VIRTIO_CRYPTO_AEAD_GCM &&
            (o->size == 0 || o->size == 16384) && (o->pieces == 0 || o->pieces == 4)) {
            if (n >= max || make_cell(env, a, 16384, 4, &cells[n]) != 0)
                return -1;
            n++;
        }
    }
    return n;
}
