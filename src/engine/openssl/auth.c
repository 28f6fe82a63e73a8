/* Hash and MAC sessions (also the authentication half of a chain).
 *
 * IMPLEMENTATION NOTES
 * Per worker, one pre-keyed context: EVP_MD_CTX (hashes), EVP_MAC_CTX
 * (HMAC, CMAC: re-initialised per op with a NULL key, which keeps the key),
 * or EVP_CIPHER_CTX (GMAC on AES-GCM; CBC-MAC and XCBC on AES-ECB).
 *
 * libcrypto has no CBC-MAC or XCBC API, so both run here on an AES-CBC
 * context with a zero IV: the MAC is the last ciphertext block. Whole
 * blocks go through EVP in bulk (the ciphertext lands in a small discard
 * buffer); only a block split across sg pieces is assembled first. The
 * total length is known up front, so the final block (which XCBC treats
 * specially, RFC 3566 §4) is held back by offset:
 *   K1 = AES(K, 0x01^16), K2 = AES(K, 0x02^16), K3 = AES(K, 0x03^16);
 *   a complete final block is XORed with K2, an incomplete one is padded
 *   with 0x80 00.. and XORed with K3; the CBC chain uses K1.
 * The session keeps K2 and K3 (wiped on free); the CBC context holds K1.
 * CBC-MAC has no padding: the message must be a positive whole number of
 * blocks (checked before any work).
 *
 * GMAC = GCM with the message as AAD and no plaintext; its IV comes from
 * the op. Inside a chain there is no separate MAC IV, so GMAC is NOTSUPP
 * there.
 *
 * Fast path (auth_fast): an untruncated digest, HMAC or CMAC whose src and
 * hash_result are one piece each is three EVP calls with the result
 * finalised straight into guest memory; the general path streams pieces
 * and copies a truncated result. Both give the same bytes.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "engine/openssl/sym.h"

struct auth_worker {
    EVP_MD_CTX *md;
    EVP_MAC_CTX *mac;
    EVP_CIPHER_CTX *cc;
    uint32_t ivlen; /* GMAC: IV length cc is set up for (0 = unknown) */
};

struct vc__ossl_auth {
    const struct vc__ossl_alg *alg;
    uint32_t out_len;
    unsigned nworkers;
    uint8_t k2[16], k3[16]; /* XCBC only */
    struct auth_worker w[];
};

/* Per-op streaming state (on the stack). Only a, w, pos, fb and n are set
 * for every op; e, blk and discard belong to CBC-MAC/XCBC, which set up
 * and wipe them (zeroing all ~330 bytes showed in the per-op profile of a
 * 64-byte hash, docs/BENCH.md). */
struct auth_run {
    struct vc__ossl_auth *a;
    struct auth_worker *w;
    uint64_t pos; /* CBC-MAC/XCBC: bytes fed so far */
    uint64_t fb;  /* CBC-MAC/XCBC: offset of the final block */
    uint8_t e[16];   /* last CBC output block */
    uint8_t blk[16]; /* block being assembled */
    size_t n;        /* bytes in blk */
    uint8_t discard[256];
};

/* CBC-encrypts m (a multiple of 16, at most sizeof discard) bytes; the
 * last output block is the running MAC. */
static bool cbc_blocks(struct auth_run *r, const uint8_t *in, size_t m)
{
    int outl;
    if (EVP_EncryptUpdate(r->w->cc, r->discard, &outl, in, (int)m) != 1 || (size_t)outl != m)
        return false;
    memcpy(r->e, r->discard + m - 16, 16);
    return true;
}

static bool feed_cbc(struct auth_run *r, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t t;
        if (r->pos >= r->fb) {
            /* final block: at most 16 bytes by construction of fb */
            t = VC_MIN(n, 16 - r->n);
            memcpy(r->blk + r->n, p, t);
            r->n += t;
        } else if (r->n > 0 || n < 16) {
            /* a block split across pieces; fb is block aligned, so the
             * block ends at or before fb */
            t = VC_MIN(n, 16 - r->n);
            memcpy(r->blk + r->n, p, t);
            r->n += t;
            if (r->n == 16) {
                if (!cbc_blocks(r, r->blk, 16))
                    return false;
                r->n = 0;
            }
        } else {
            uint64_t before = r->fb - r->pos;
            t = (size_t)VC_MIN((uint64_t)n, before);
            t = VC_MIN(t, sizeof r->discard) / 16 * 16;
            if (!cbc_blocks(r, p, t))
                return false;
        }
        if (t == 0)
            return false; /* more bytes than the announced total */
        p += t;
        n -= t;
        r->pos += t;
    }
    return true;
}

static bool xcbc_subkeys(struct vc__ossl_auth *a, const uint8_t *key, uint8_t k1[16])
{
    uint8_t c[16];
    int outl, ok = 1;
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    ok = cc != NULL && EVP_EncryptInit_ex(cc, EVP_aes_128_ecb(), NULL, key, NULL) == 1;
    uint8_t *dst[3] = {k1, a->k2, a->k3};
    for (int i = 0; ok && i < 3; i++) {
        memset(c, i + 1, sizeof c);
        ok = EVP_EncryptUpdate(cc, dst[i], &outl, c, 16) == 1 && outl == 16;
    }
    EVP_CIPHER_CTX_free(cc);
    return ok;
}

static bool worker_init(struct vc__ossl_auth *a, struct auth_worker *w, int ki, const uint8_t *key,
                        uint32_t key_len)
{
    const struct vc__ossl_alg *alg = a->alg;
    const char *name = alg->names[ki];
    /* EVP_MAC_init treats a NULL key as "keep the old one"; an empty HMAC
     * key must still be a real pointer. */
    static const uint8_t nokey[1];
    bool ok = false;

    switch (alg->kind) {
    case VC_K_MD:
    case VC_K_XOF: {
        EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
        w->md = EVP_MD_CTX_new();
        ok = md != NULL && w->md != NULL && EVP_DigestInit_ex2(w->md, md, NULL) == 1;
        /* finish() lets a full-length digest land straight in out, which
         * holds out_len bytes: the table's length must be OpenSSL's. */
        if (ok && alg->kind == VC_K_MD && EVP_MD_get_size(md) != (int)alg->full)
            ok = false;
        EVP_MD_free(md);
        return ok;
    }
    case VC_K_HMAC:
    case VC_K_CMAC: {
        bool hmac = alg->kind == VC_K_HMAC;
        EVP_MAC *mac = EVP_MAC_fetch(NULL, hmac ? "HMAC" : "CMAC", NULL);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(hmac ? OSSL_MAC_PARAM_DIGEST : OSSL_MAC_PARAM_CIPHER,
                                             (char *)(uintptr_t)name, 0),
            OSSL_PARAM_construct_end(),
        };
        w->mac = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
        ok = w->mac != NULL &&
             EVP_MAC_init(w->mac, key_len ? key : nokey, key_len, params) == 1;
        EVP_MAC_free(mac);
        return ok;
    }
    case VC_K_GMAC:
    case VC_K_CBCMAC:
    case VC_K_XCBC: {
        EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
        w->cc = EVP_CIPHER_CTX_new();
        ok = c != NULL && w->cc != NULL && EVP_EncryptInit_ex(w->cc, c, NULL, key, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(w->cc, 0) == 1;
        EVP_CIPHER_free(c);
        return ok;
    }
    default:
        return false;
    }
}

uint8_t vc__ossl_auth_new(uint32_t service, uint32_t algo, uint32_t result_len, const uint8_t *key,
                          uint32_t key_len, unsigned nworkers, bool chained,
                          struct vc__ossl_auth **out)
{
    const struct vc__ossl_alg *a = vc__ossl_alg_find(service, algo);
    *out = NULL;
    if (a == NULL)
        return VIRTIO_CRYPTO_NOTSUPP;
    if (chained && a->kind == VC_K_GMAC)
        return VIRTIO_CRYPTO_NOTSUPP;
    /* Hash sessions carry no key; a MAC key must fit the algorithm. */
    int ki = service == VIRTIO_CRYPTO_SERVICE_HASH ? (key_len == 0 ? 0 : -1)
                                                   : vc__ossl_key_index(a, key_len);
    if (ki < 0 || (key == NULL && key_len > 0))
        return VIRTIO_CRYPTO_ERR;
    uint32_t olen = result_len == 0 ? a->full : result_len;
    if (!vc__ossl_out_ok(a, olen))
        return VIRTIO_CRYPTO_ERR;

    struct vc__ossl_auth *s = OPENSSL_zalloc(sizeof *s + nworkers * sizeof s->w[0]);
    if (s == NULL)
        return VIRTIO_CRYPTO_ERR;
    s->alg = a;
    s->out_len = olen;
    s->nworkers = nworkers;
    uint8_t k1[16];
    const uint8_t *wkey = key;
    if (a->kind == VC_K_XCBC) {
        if (!xcbc_subkeys(s, key, k1))
            goto fail;
        wkey = k1;
    }
    for (unsigned w = 0; w < nworkers; w++)
        if (!worker_init(s, &s->w[w], ki, wkey, key_len))
            goto fail;
    OPENSSL_cleanse(k1, sizeof k1);
    *out = s;
    return VIRTIO_CRYPTO_OK;
fail:
    OPENSSL_cleanse(k1, sizeof k1);
    vc__ossl_auth_free(s);
    return VIRTIO_CRYPTO_ERR;
}

void vc__ossl_auth_free(struct vc__ossl_auth *a)
{
    if (a == NULL)
        return;
    for (unsigned w = 0; w < a->nworkers; w++) {
        EVP_MD_CTX_free(a->w[w].md);
        EVP_MAC_CTX_free(a->w[w].mac);
        EVP_CIPHER_CTX_free(a->w[w].cc);
    }
    OPENSSL_cleanse(a->k2, sizeof a->k2);
    OPENSSL_cleanse(a->k3, sizeof a->k3);
    OPENSSL_free(a);
}

uint32_t vc__ossl_auth_len(const struct vc__ossl_auth *a)
{
    return a->out_len;
}

uint8_t vc__ossl_auth_check(const struct vc__ossl_auth *a, uint64_t iv_len, uint64_t total)
{
    const struct vc_algo_cap *cap = &a->alg->cap;
    if (iv_len < cap->iv_min || iv_len > cap->iv_max)
        return VIRTIO_CRYPTO_ERR;
    if (a->alg->kind == VC_K_CBCMAC && (total == 0 || total % 16 != 0))
        return VIRTIO_CRYPTO_ERR;
    return VIRTIO_CRYPTO_OK;
}

static bool feed(struct auth_run *r, const uint8_t *p, size_t n)
{
    int outl;
    switch (r->a->alg->kind) {
    case VC_K_MD:
    case VC_K_XOF:
        return EVP_DigestUpdate(r->w->md, p, n) == 1;
    case VC_K_HMAC:
    case VC_K_CMAC:
        return EVP_MAC_update(r->w->mac, p, n) == 1;
    case VC_K_GMAC:
        return EVP_EncryptUpdate(r->w->cc, NULL, &outl, p, (int)n) == 1;
    case VC_K_CBCMAC:
    case VC_K_XCBC:
        return feed_cbc(r, p, n);
    default:
        return false;
    }
}

static bool feed_range(struct auth_run *r, const struct vc_sg *sg, uint64_t off, uint64_t len)
{
    struct vc__rcur c;
    uint8_t *p;
    size_t n;
    /* One piece holds it all: one feed (the range was checked, so off +
     * len cannot wrap). */
    if (len <= (1u << 30) && (p = vc__sg_head(sg, off + len)) != NULL)
        return len == 0 || feed(r, p + off, (size_t)len);
    vc__rcur_init(&c, sg, off, len);
    while ((n = vc__rcur_next(&c, &p, 1u << 30)) > 0)
        if (!feed(r, p, n))
            return false;
    return true;
}

static bool begin(struct auth_run *r, const struct vc_sg *iv)
{
    uint8_t ivb[VC_ENGINE_MAX_IV];
    struct auth_worker *w = r->w;
    switch (r->a->alg->kind) {
    case VC_K_MD:
    case VC_K_XOF:
        return EVP_DigestInit_ex2(w->md, NULL, NULL) == 1;
    case VC_K_HMAC:
    case VC_K_CMAC:
        return EVP_MAC_init(w->mac, NULL, 0, NULL) == 1;
    case VC_K_GMAC:
        if (iv->len > sizeof ivb || !vc_ok(vc_sg_read(iv, 0, ivb, iv->len)))
            return false;
        if (iv->len != w->ivlen) {
            w->ivlen = 0;
            if (EVP_CIPHER_CTX_ctrl(w->cc, EVP_CTRL_AEAD_SET_IVLEN, (int)iv->len, NULL) != 1)
                return false;
            w->ivlen = (uint32_t)iv->len;
        }
        return EVP_EncryptInit_ex(w->cc, NULL, NULL, NULL, ivb) == 1;
    case VC_K_CBCMAC:
    case VC_K_XCBC: {
        static const uint8_t zero_iv[16];
        memset(r->e, 0, sizeof r->e);
        return EVP_EncryptInit_ex(w->cc, NULL, NULL, NULL, zero_iv) == 1;
    }
    default:
        return false;
    }
}

/* Writes exactly out_len bytes to out (which may be guest memory). */
static bool finish(struct auth_run *r, uint8_t *out)
{
    struct vc__ossl_auth *a = r->a;
    struct auth_worker *w = r->w;
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned int mdl;
    size_t macl;
    int outl;
    bool ok;
    /* Untruncated results go straight to out: the digest size is checked
     * against the table at create, and EVP_MAC_final fails rather than
     * write more than the size it is given. */
    bool whole = a->out_len == a->alg->full;

    switch (a->alg->kind) {
    case VC_K_MD:
        if (whole)
            return EVP_DigestFinal_ex(w->md, out, &mdl) == 1 && mdl == a->out_len;
        ok = EVP_DigestFinal_ex(w->md, full, &mdl) == 1 && mdl >= a->out_len;
        break;
    case VC_K_XOF:
        return EVP_DigestFinalXOF(w->md, out, a->out_len) == 1;
    case VC_K_HMAC:
    case VC_K_CMAC:
        if (whole)
            return EVP_MAC_final(w->mac, out, &macl, a->out_len) == 1 && macl == a->out_len;
        ok = EVP_MAC_final(w->mac, full, &macl, sizeof full) == 1 && macl >= a->out_len;
        break;
    case VC_K_GMAC:
        ok = EVP_EncryptFinal_ex(w->cc, full, &outl) == 1 &&
             EVP_CIPHER_CTX_ctrl(w->cc, EVP_CTRL_AEAD_GET_TAG, 16, full) == 1;
        break;
    case VC_K_CBCMAC:
        ok = r->n == 16 && cbc_blocks(r, r->blk, 16);
        memcpy(full, r->e, 16);
        break;
    case VC_K_XCBC: {
        const uint8_t *k = a->k2;
        if (r->n < 16) {
            /* RFC 3566 §4 step 3: pad with a single 1 bit then zeros. */
            r->blk[r->n] = 0x80;
            memset(r->blk + r->n + 1, 0, 15 - r->n);
            k = a->k3;
        }
        for (int i = 0; i < 16; i++)
            r->blk[i] ^= k[i];
        ok = cbc_blocks(r, r->blk, 16);
        memcpy(full, r->e, 16);
        break;
    }
    default:
        ok = false;
        break;
    }
    /* A digest or tag is output, not a secret: no wipe needed. */
    if (ok)
        memcpy(out, full, a->out_len);
    return ok;
}

uint8_t vc__ossl_auth_run(struct vc__ossl_auth *a, unsigned w, const struct vc_sg *iv,
                          const struct vc_sg *aad, const struct vc_sg *data, uint64_t off,
                          uint64_t len, uint8_t *out)
{
    struct auth_run r;
    r.a = a;
    r.w = &a->w[w];
    r.pos = 0;
    r.n = 0;
    uint64_t total = (aad != NULL ? aad->len : 0) + len;
    r.fb = total == 0 ? 0 : (total - 1) / 16 * 16;
    bool ok = begin(&r, iv) && (aad == NULL || feed_range(&r, aad, 0, aad->len)) &&
              feed_range(&r, data, off, len) && finish(&r, out);
    /* CBC-MAC/XCBC state holds message bytes and chaining values. */
    if (a->alg->kind == VC_K_CBCMAC || a->alg->kind == VC_K_XCBC)
        OPENSSL_cleanse(&r, sizeof r);
    return ok ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_ERR;
}

/* The common case in a straight line: an untruncated digest, HMAC or CMAC
 * over one piece, straight into a one-piece hash_result. Returns false
 * with *st untouched when the op does not qualify. */
static bool auth_fast(struct vc__ossl_auth *a, struct auth_worker *w, struct vc_engine_op *op,
                      uint8_t *out, uint8_t *st)
{
    uint8_t *p = vc__sg_head(&op->src, op->src.len);
    unsigned int mdl;
    size_t macl;
    bool ok;

    if (out == NULL || p == NULL || op->src.len > (1u << 30) || a->out_len != a->alg->full)
        return false;
    switch (a->alg->kind) {
    case VC_K_MD:
        /* Digest size == full was checked at create. */
        ok = EVP_DigestInit_ex2(w->md, NULL, NULL) == 1 &&
             EVP_DigestUpdate(w->md, p, (size_t)op->src.len) == 1 &&
             EVP_DigestFinal_ex(w->md, out, &mdl) == 1 && mdl == a->out_len;
        break;
    case VC_K_HMAC:
    case VC_K_CMAC:
        ok = EVP_MAC_init(w->mac, NULL, 0, NULL) == 1 &&
             EVP_MAC_update(w->mac, p, (size_t)op->src.len) == 1 &&
             EVP_MAC_final(w->mac, out, &macl, a->out_len) == 1 && macl == a->out_len;
        break;
    default:
        return false;
    }
    *st = ok ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_ERR;
    return true;
}

/* \devicenormative{Device Types / Crypto Device / Device Operation / HASH
 * Service Operation} and {... / MAC Service Operation}: "the device MUST
 * copy the result of the operation in the hash_result[]". digest must be
 * exactly the session's result length. */
uint8_t vc__ossl_auth_op(struct vc__ossl_auth *a, unsigned w, struct vc_engine_op *op)
{
    uint8_t buf[VC_ENGINE_MAX_DIGEST];
    if (op->digest.len != a->out_len || op->aad.len != 0 || op->dst.len != 0)
        return VIRTIO_CRYPTO_ERR;
    uint8_t st = vc__ossl_auth_check(a, op->iv.len, op->src.len);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    /* A single-piece hash_result is written in place; a failed op may then
     * leave bytes there, which the status tells the driver to ignore. */
    uint8_t *out = vc__sg_head(&op->digest, a->out_len);
    if (auth_fast(a, &a->w[w], op, out, &st))
        return st;
    st = vc__ossl_auth_run(a, w, &op->iv, NULL, &op->src, 0, op->src.len,
                           out != NULL ? out : buf);
    if (st == VIRTIO_CRYPTO_OK && out == NULL &&
        !vc_ok(vc_sg_write(&op->digest, 0, buf, a->out_len)))
        st = VIRTIO_CRYPTO_ERR;
    return st;
}
