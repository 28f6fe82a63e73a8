/* AES-GCM on OpenSSL's GCM128 layer with our AES-NI core (see gcm_ni.h).
 *
 * IMPLEMENTATION NOTES
 * NIST SP 800-38D §7.1/7.2: CRYPTO_gcm128_setiv derives J0 (directly for
 * 96-bit IVs, through GHASH otherwise), _aad must come before any data,
 * _encrypt_ctr32/_decrypt_ctr32 may be called once per scatter-gather piece
 * (the layer carries partial blocks across calls), and _finish compares
 * the tag with CRYPTO_memcmp, in constant time. The layer refuses more
 * than 2^36 - 32 bytes of data or 2^61 bytes of AAD (the SP 800-38D
 * limits); we turn that into ERR.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/modes.h>

#include "engine/openssl/gcm_ni.h"
#include "engine/openssl/sym.h"

struct vc__gcm_ni {
    struct vc__aes_ni_key key;
    unsigned nworkers;
    GCM128_CONTEXT *w[];
};

bool vc__gcm_ni_usable(uint32_t key_len)
{
    static int cpu = -1; /* benign race: every thread computes the same */
    if (key_len != 16 && key_len != 32)
        return false;
    const char *e = getenv("VC_ENGINE_GCM");
    if (e != NULL && strcmp(e, "evp") == 0)
        return false;
    if (cpu < 0)
        cpu = vc__aes_ni_cpu();
    return cpu == 1;
}

struct vc__gcm_ni *vc__gcm_ni_new(const uint8_t *key, uint32_t key_len, unsigned nworkers)
{
    if (!vc__gcm_ni_usable(key_len))
        return NULL;
    struct vc__gcm_ni *g = OPENSSL_zalloc(sizeof *g + nworkers * sizeof g->w[0]);
    if (g == NULL)
        return NULL;
    g->nworkers = nworkers;
    if (!vc__aes_ni_set_key(&g->key, key, key_len))
        goto fail;
    for (unsigned i = 0; i < nworkers; i++)
        if ((g->w[i] = CRYPTO_gcm128_new(&g->key, vc__aes_ni_block)) == NULL)
            goto fail;
    return g;
fail:
    vc__gcm_ni_free(g);
    return NULL;
}

void vc__gcm_ni_free(struct vc__gcm_ni *g)
{
    if (g == NULL)
        return;
    for (unsigned i = 0; i < g->nworkers; i++)
        if (g->w[i] != NULL)
            CRYPTO_gcm128_release(g->w[i]); /* OPENSSL_clear_free inside */
    OPENSSL_cleanse(&g->key, sizeof g->key);
    OPENSSL_free(g);
}

static bool crypt(GCM128_CONTEXT *c, bool enc, const uint8_t *in, uint8_t *out, size_t n)
{
    return (enc ? CRYPTO_gcm128_encrypt_ctr32(c, in, out, n, vc__aes_ni_ctr32)
                : CRYPTO_gcm128_decrypt_ctr32(c, in, out, n, vc__aes_ni_ctr32)) == 0;
}

uint8_t vc__gcm_ni_run(struct vc__gcm_ni *g, unsigned w, bool enc, uint32_t tag_len,
                       struct vc_engine_op *op, const uint8_t *iv, uint64_t len,
                       uint8_t tag[16])
{
    GCM128_CONTEXT *c = g->w[w];
    struct vc__rcur s, d;
    uint8_t *p = NULL, *q = NULL;
    size_t n;

    CRYPTO_gcm128_setiv(c, iv, (size_t)op->iv.len);
    if (op->aad.len > 0) {
        vc__rcur_init(&s, &op->aad, 0, op->aad.len);
        while ((n = vc__rcur_next(&s, &p, 0)) > 0)
            if (CRYPTO_gcm128_aad(c, p, n) != 0)
                return VIRTIO_CRYPTO_ERR;
    }
    uint64_t dlen = len + (enc ? tag_len : 0);
    uint8_t *sp = vc__sg_head(&op->src, len), *dp = vc__sg_head(&op->dst, dlen);
    uint8_t *tp = NULL;
    if (sp != NULL && dp != NULL) {
        if (len > 0 && !crypt(c, enc, sp, dp, (size_t)len))
            return VIRTIO_CRYPTO_ERR;
        tp = dp + len;
    } else {
        /* Each step takes as much as both current pieces allow. */
        vc__rcur_init(&s, &op->src, 0, len);
        vc__rcur_init(&d, &op->dst, 0, dlen);
        for (uint64_t left = len; left > 0; left -= n) {
            size_t a = vc__rcur_peek(&s, &p), b = vc__rcur_peek(&d, &q);
            n = a < b ? a : b;
            if (n == 0 || !crypt(c, enc, p, q, n))
                return VIRTIO_CRYPTO_ERR;
            vc__rcur_skip(&s, n);
            vc__rcur_skip(&d, n);
        }
        if (enc && vc__rcur_peek(&d, &p) >= tag_len)
            tp = p;
    }
    if (!enc)
        return CRYPTO_gcm128_finish(c, tag, tag_len) == 0 ? VIRTIO_CRYPTO_OK
                                                          : VIRTIO_CRYPTO_BADMSG;
    CRYPTO_gcm128_tag(c, tag, 16);
    if (tp != NULL)
        memcpy(tp, tag, tag_len);
    else if (!vc_ok(vc_sg_write(&op->dst, len, tag, tag_len)))
        return VIRTIO_CRYPTO_ERR;
    return VIRTIO_CRYPTO_OK;
}
