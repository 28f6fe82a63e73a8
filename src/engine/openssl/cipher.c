/* Cipher sessions: AES-ECB/CBC/CTR/XTS and 3DES-ECB/CBC/CTR.
 *
 * IMPLEMENTATION NOTES
 * Each worker owns one EVP_CIPHER_CTX keyed at session create with padding
 * off. An op re-initialises it with EVP_CipherInit_ex(ctx, NULL, NULL, NULL,
 * iv, -1): no cipher fetch, no key schedule, no allocation.
 *
 * AES-XTS: OpenSSL treats every EVP_CipherUpdate as one whole data unit
 * (ciphertext stealing happens inside the call), so the unit must be passed
 * at once. Single-piece src/dst go straight through; otherwise the data is
 * gathered into the worker's scratch buffer (VC_OSSL_SCRATCH bytes), so a
 * multi-piece XTS unit above that size answers ERR.
 *
 * 3DES-CTR: OpenSSL has no DES-EDE3-CTR. The 8-byte IV is the initial
 * counter block; each following block increments it as one big-endian
 * 64-bit integer (wrapping mod 2^64, as in SP 800-38A's "standard
 * incrementing function" with m = 64). Key stream = DES-EDE3-ECB(counter).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "engine/openssl/sym.h"

/* XTS refuses longer data units (OpenSSL XTS_MAX_BLOCKS_PER_DATA_UNIT). */
#define XTS_MAX_UNIT (UINT64_C(1) << 24)

struct vc__ossl_cipher {
    const struct vc__ossl_alg *alg;
    uint32_t dir;
    unsigned nworkers;
    uint8_t *scratch; /* XTS only: nworkers * VC_OSSL_SCRATCH */
    EVP_CIPHER_CTX *ctx[];
};

uint8_t vc__ossl_cipher_new(uint32_t algo, uint32_t dir, const uint8_t *key, uint32_t key_len,
                            unsigned nworkers, struct vc__ossl_cipher **out)
{
    const struct vc__ossl_alg *a = vc__ossl_alg_find(VIRTIO_CRYPTO_SERVICE_CIPHER, algo);
    *out = NULL;
    if (a == NULL)
        return VIRTIO_CRYPTO_NOTSUPP;
    if (dir != VIRTIO_CRYPTO_OP_ENCRYPT && dir != VIRTIO_CRYPTO_OP_DECRYPT)
        return VIRTIO_CRYPTO_ERR;
    int ki = vc__ossl_key_index(a, key_len);
    if (ki < 0 || (key == NULL && key_len > 0))
        return VIRTIO_CRYPTO_ERR;
    /* IEEE 1619 requires distinct halves; so does OpenSSL 3. */
    if (a->kind == VC_K_XTS && CRYPTO_memcmp(key, key + key_len / 2, key_len / 2) == 0)
        return VIRTIO_CRYPTO_ERR;

    struct vc__ossl_cipher *c = OPENSSL_zalloc(sizeof *c + nworkers * sizeof c->ctx[0]);
    if (c == NULL)
        return VIRTIO_CRYPTO_ERR;
    c->alg = a;
    c->dir = dir;
    c->nworkers = nworkers;
    uint8_t st = VIRTIO_CRYPTO_ERR;
    /* 3DES-CTR always runs the block cipher forwards. */
    int enc = a->kind == VC_K_3DES_CTR || dir == VIRTIO_CRYPTO_OP_ENCRYPT;
    EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, a->names[ki], NULL);
    if (ciph == NULL) {
        VC_WARN("openssl engine: cipher %s unavailable", a->names[ki]);
        st = VIRTIO_CRYPTO_NOTSUPP;
        goto fail;
    }
    if (a->kind == VC_K_XTS) {
        c->scratch = OPENSSL_malloc((size_t)nworkers * VC_OSSL_SCRATCH);
        if (c->scratch == NULL)
            goto fail;
    }
    for (unsigned w = 0; w < nworkers; w++) {
        c->ctx[w] = EVP_CIPHER_CTX_new();
        if (c->ctx[w] == NULL || EVP_CipherInit_ex(c->ctx[w], ciph, NULL, key, NULL, enc) != 1 ||
            EVP_CIPHER_CTX_set_padding(c->ctx[w], 0) != 1)
            goto fail;
    }
    EVP_CIPHER_free(ciph);
    *out = c;
    return VIRTIO_CRYPTO_OK;
fail:
    EVP_CIPHER_free(ciph);
    vc__ossl_cipher_free(c);
    return st;
}

void vc__ossl_cipher_free(struct vc__ossl_cipher *c)
{
    if (c == NULL)
        return;
    /* EVP_CIPHER_CTX_free cleanses the key schedule. */
    for (unsigned w = 0; w < c->nworkers; w++)
        EVP_CIPHER_CTX_free(c->ctx[w]);
    if (c->scratch != NULL) {
        OPENSSL_cleanse(c->scratch, (size_t)c->nworkers * VC_OSSL_SCRATCH);
        OPENSSL_free(c->scratch);
    }
    OPENSSL_free(c);
}

uint32_t vc__ossl_cipher_dir(const struct vc__ossl_cipher *c)
{
    return c->dir;
}

uint8_t vc__ossl_cipher_check(const struct vc__ossl_cipher *c, uint64_t iv_len, uint64_t len)
{
    const struct vc_algo_cap *cap = &c->alg->cap;
    if (iv_len != cap->iv_min)
        return VIRTIO_CRYPTO_ERR;
    if (cap->block != 0 && len % cap->block != 0)
        return VIRTIO_CRYPTO_ERR;
    /* IEEE 1619: a data unit is at least one block; OpenSSL caps it. */
    if (c->alg->kind == VC_K_XTS && (len < 16 || len > XTS_MAX_UNIT))
        return VIRTIO_CRYPTO_ERR;
    return VIRTIO_CRYPTO_OK;
}

static void ctr64_inc(uint8_t ctr[8])
{
    for (int i = 7; i >= 0; i--)
        if (++ctr[i] != 0)
            break;
}

static uint8_t run_3des_ctr(EVP_CIPHER_CTX *ecb, const uint8_t iv[8], struct vc__rcur *s,
                            struct vc__rcur *d)
{
    uint8_t ctr[8], blocks[256], ks[256], data[256];
    uint8_t st = VIRTIO_CRYPTO_OK;
    int outl;

    memcpy(ctr, iv, 8);
    while (s->left > 0) {
        size_t n = (size_t)VC_MIN(s->left, sizeof data);
        size_t nb = (n + 7) / 8;
        for (size_t i = 0; i < nb; i++) {
            memcpy(blocks + 8 * i, ctr, 8);
            ctr64_inc(ctr);
        }
        if (EVP_EncryptUpdate(ecb, ks, &outl, blocks, (int)(nb * 8)) != 1 ||
            (size_t)outl != nb * 8 || !vc__rcur_read(s, data, n)) {
            st = VIRTIO_CRYPTO_ERR;
            break;
        }
        for (size_t i = 0; i < n; i++)
            data[i] ^= ks[i];
        if (!vc__rcur_write(d, data, n)) {
            st = VIRTIO_CRYPTO_ERR;
            break;
        }
    }
    OPENSSL_cleanse(ks, sizeof ks);
    OPENSSL_cleanse(data, sizeof data);
    return st;
}

static uint8_t run_xts(struct vc__ossl_cipher *c, unsigned w, const struct vc_sg *src,
                       uint64_t soff, const struct vc_sg *dst, uint64_t doff, uint64_t len)
{
    uint8_t *scr = c->scratch + (size_t)w * VC_OSSL_SCRATCH, *base = scr;
    size_t left = VC_OSSL_SCRATCH;
    struct vc__rcur d;
    uint8_t *out = NULL;
    int outl;

    uint8_t *in = vc__contig(src, soff, len, &scr, &left);
    if (in == NULL)
        return VIRTIO_CRYPTO_ERR;
    vc__rcur_init(&d, dst, doff, len);
    bool direct = vc__rcur_peek(&d, &out) == len;
    if (!direct) {
        /* Output goes to scratch too: in place over gathered input, or
         * after it. Exact overlap is allowed by EVP. */
        if (in == base) {
            out = base;
        } else if (len <= left) {
            out = scr;
            scr += len;
        } else {
            return VIRTIO_CRYPTO_ERR;
        }
    }
    uint8_t st = VIRTIO_CRYPTO_OK;
    if (EVP_CipherUpdate(c->ctx[w], out, &outl, in, (int)len) != 1 || (uint64_t)outl != len)
        st = VIRTIO_CRYPTO_ERR;
    else if (!direct && !vc__rcur_write(&d, out, (size_t)len))
        st = VIRTIO_CRYPTO_ERR;
    if (scr != base)
        OPENSSL_cleanse(base, (size_t)(scr - base));
    return st;
}

uint8_t vc__ossl_cipher_run(struct vc__ossl_cipher *c, unsigned w, const struct vc_sg *iv,
                            const struct vc_sg *src, uint64_t soff, const struct vc_sg *dst,
                            uint64_t doff, uint64_t len)
{
    uint8_t ivb[16];
    uint32_t ivlen = c->alg->cap.iv_min;
    EVP_CIPHER_CTX *ctx = c->ctx[w];

    /* EVP copies the IV during init (and 3DES-CTR copies it first thing),
     * so a pointer into a one-piece iv does as well as a copy. ECB has no
     * IV: NULL. */
    const uint8_t *ivp = ivlen == 0 ? NULL : vc__sg_head(iv, ivlen);
    if (ivlen != 0 && ivp == NULL) {
        if (ivlen > sizeof ivb || !vc_ok(vc_sg_read(iv, 0, ivb, ivlen)))
            return VIRTIO_CRYPTO_ERR;
        ivp = ivb;
    }
    struct vc__rcur s, d;
    switch (c->alg->kind) {
    case VC_K_3DES_CTR:
        vc__rcur_init(&s, src, soff, len);
        vc__rcur_init(&d, dst, doff, len);
        return run_3des_ctr(ctx, ivp, &s, &d);
    case VC_K_XTS:
        if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, ivp, -1) != 1)
            return VIRTIO_CRYPTO_ERR;
        return run_xts(c, w, src, soff, dst, doff, len);
    case VC_K_CIPHER: {
        int outl;
        uint8_t fin[32];
        if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, ivp, -1) != 1)
            return VIRTIO_CRYPTO_ERR;
        /* One piece each way: a single update (len is a whole number of
         * blocks, vc__ossl_cipher_check saw to that). */
        uint8_t *sp = vc__sg_head(src, soff + len), *dp = vc__sg_head(dst, doff + len);
        if (sp != NULL && dp != NULL && len <= (1u << 30)) {
            if (len > 0 && (EVP_CipherUpdate(ctx, dp + doff, &outl, sp + soff, (int)len) != 1 ||
                            (uint64_t)outl != len))
                return VIRTIO_CRYPTO_ERR;
        } else {
            unsigned block = c->alg->cap.block ? c->alg->cap.block : 1;
            vc__rcur_init(&s, src, soff, len);
            vc__rcur_init(&d, dst, doff, len);
            if (!vc__ossl_stream(ctx, block, &s, &d))
                return VIRTIO_CRYPTO_ERR;
        }
        if (EVP_CipherFinal_ex(ctx, fin, &outl) != 1 || outl != 0)
            return VIRTIO_CRYPTO_ERR;
        return VIRTIO_CRYPTO_OK;
    }
    default:
        return VIRTIO_CRYPTO_ERR;
    }
}

/* \devicenormative{Device Types / Crypto Device / Device Operation /
 * Symmetric algorithms Operation}: "the device MUST copy the result of
 * cryptographic operation in the dst_data[]". dst must hold src_data_len
 * bytes (CVE-2023-3180 is what happens when nobody checks). */
uint8_t vc__ossl_cipher_op(struct vc__ossl_cipher *c, unsigned w, struct vc_engine_op *op)
{
    uint64_t len = op->src.len;
    if (op->dst.len < len || op->aad.len != 0 || op->digest.len != 0)
        return VIRTIO_CRYPTO_ERR;
    uint8_t st = vc__ossl_cipher_check(c, op->iv.len, len);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    st = vc__ossl_cipher_run(c, w, &op->iv, &op->src, 0, &op->dst, 0, len);
    if (st != VIRTIO_CRYPTO_OK) {
        vc_sg_zero(&op->dst, 0, len);
        return st;
    }
    op->dst_written = len;
    return VIRTIO_CRYPTO_OK;
}
