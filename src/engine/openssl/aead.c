/* AEAD sessions: AES-GCM, AES-CCM, ChaCha20-Poly1305.
 *
 * IMPLEMENTATION NOTES
 * Output layout (spec, AEAD Service Operation): encrypt writes
 * ciphertext || tag into dst; decrypt reads ciphertext || tag from src and
 * writes the plaintext. "the device MUST verify and return the
 * verification result to the driver": a tag mismatch is BADMSG, and the
 * plaintext already written to dst is zeroed before we return, so a
 * forged message never releases plaintext to the guest. OpenSSL compares
 * tags in constant time (GCM and ChaCha in Final, CCM inside Update).
 *
 * GCM and ChaCha20-Poly1305 stream: AAD and data go piece by piece into
 * EVP updates. CCM cannot: OpenSSL wants the total length first, all AAD
 * in one call and all data in one call. Multi-piece AAD/data are gathered
 * into the worker's scratch buffer (aead->scr_size bytes, at most
 * VC_OSSL_SCRATCH, allocated at session create); a multi-piece CCM request
 * whose AAD + data exceed it answers ERR. Single-piece buffers (the common
 * case) are used in place with no size limit beyond max_size.
 *
 * Single pieces (the common case) skip the cursors: one EVP update from
 * src to dst, the IV read in place (EVP copies it during init) and, on
 * encrypt, the tag fetched straight into dst. Multi-piece buffers take the
 * streaming path above, with a stack copy for a tag that straddles pieces.
 *
 * CCM bakes the nonce length (L = 15 - nonce length) into the key setup,
 * but virtio carries the IV length per op, not per session. The session
 * keeps the raw key (wiped on free) and re-keys a worker's context only
 * when the nonce length differs from that worker's previous op.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "engine/openssl/gcm_ni.h"
#include "engine/openssl/sym.h"

struct aead_worker {
    EVP_CIPHER_CTX *ctx;
    uint32_t ivlen; /* IV length the context is set up for (0 = unknown) */
};

struct vc__ossl_aead {
    const struct vc__ossl_alg *alg;
    uint32_t dir, tag_len;
    unsigned nworkers;
    uint8_t key[32]; /* CCM only */
    uint8_t *scratch; /* CCM only: nworkers * scr_size */
    size_t scr_size;
    struct vc__gcm_ni *ni; /* GCM fast path (gcm_ni.h); then w[] is unused */
    struct aead_worker w[];
};

uint8_t vc__ossl_aead_new(const struct vc_sess_params *p, unsigned nworkers, uint64_t max_size,
                          struct vc__ossl_aead **out)
{
    const struct vc__ossl_alg *a = vc__ossl_alg_find(VIRTIO_CRYPTO_SERVICE_AEAD, p->u.aead.algo);
    uint32_t key_len = p->u.aead.key_len, tag_len = p->u.aead.tag_len;
    const uint8_t *key = p->u.aead.key;

    *out = NULL;
    if (a == NULL)
        return VIRTIO_CRYPTO_NOTSUPP;
    if (p->u.aead.op != VIRTIO_CRYPTO_OP_ENCRYPT && p->u.aead.op != VIRTIO_CRYPTO_OP_DECRYPT)
        return VIRTIO_CRYPTO_ERR;
    int ki = vc__ossl_key_index(a, key_len);
    if (ki < 0 || key == NULL || !vc__ossl_out_ok(a, tag_len))
        return VIRTIO_CRYPTO_ERR;

    struct vc__ossl_aead *s = OPENSSL_zalloc(sizeof *s + nworkers * sizeof s->w[0]);
    if (s == NULL)
        return VIRTIO_CRYPTO_ERR;
    s->alg = a;
    s->dir = p->u.aead.op;
    s->tag_len = tag_len;
    s->nworkers = nworkers;
    int enc = s->dir == VIRTIO_CRYPTO_OP_ENCRYPT;
    bool ccm = a->kind == VC_K_CCM;
    if (a->kind == VC_K_GCM && vc__gcm_ni_usable(key_len)) {
        if ((s->ni = vc__gcm_ni_new(key, key_len, nworkers)) == NULL) {
            vc__ossl_aead_free(s);
            return VIRTIO_CRYPTO_ERR;
        }
        *out = s;
        return VIRTIO_CRYPTO_OK;
    }
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, a->names[ki], NULL);
    if (c == NULL)
        goto fail;
    if (ccm) {
        memcpy(s->key, key, key_len);
        s->scr_size = (size_t)VC_MIN(max_size, VC_OSSL_SCRATCH);
        s->scratch = OPENSSL_malloc(nworkers * s->scr_size + 1);
        if (s->scratch == NULL)
            goto fail;
    }
    for (unsigned w = 0; w < nworkers; w++) {
        EVP_CIPHER_CTX *ctx = s->w[w].ctx = EVP_CIPHER_CTX_new();
        if (ctx == NULL || EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) != 1)
            goto fail;
        /* CCM: the tag length M is fixed before the key (RFC 3610 §2). */
        if (ccm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, NULL) != 1)
            goto fail;
        if (EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, -1) != 1)
            goto fail;
        s->w[w].ivlen = (uint32_t)EVP_CIPHER_CTX_get_iv_length(ctx);
    }
    EVP_CIPHER_free(c);
    *out = s;
    return VIRTIO_CRYPTO_OK;
fail:
    EVP_CIPHER_free(c);
    vc__ossl_aead_free(s);
    return VIRTIO_CRYPTO_ERR;
}

void vc__ossl_aead_free(struct vc__ossl_aead *a)
{
    if (a == NULL)
        return;
    vc__gcm_ni_free(a->ni);
    for (unsigned w = 0; w < a->nworkers; w++)
        EVP_CIPHER_CTX_free(a->w[w].ctx);
    if (a->scratch != NULL) {
        OPENSSL_cleanse(a->scratch, a->nworkers * a->scr_size);
        OPENSSL_free(a->scratch);
    }
    OPENSSL_cleanse(a->key, sizeof a->key);
    OPENSSL_free(a);
}

uint32_t vc__ossl_aead_dir(const struct vc__ossl_aead *a)
{
    return a->dir;
}

/* GCM and ChaCha20-Poly1305: everything streams. On encrypt the tag goes
 * to dst[len, +tag_len) here: straight from OpenSSL into dst when those
 * bytes sit in one piece, else through a stack copy. On decrypt tag is the
 * expected tag (already copied out of src). */
static uint8_t run_stream(struct vc__ossl_aead *a, struct aead_worker *w, struct vc_engine_op *op,
                          const uint8_t *iv, uint64_t len, uint8_t *tag)
{
    bool enc = a->dir == VIRTIO_CRYPTO_OP_ENCRYPT;
    EVP_CIPHER_CTX *ctx = w->ctx;
    struct vc__rcur c, d;
    uint8_t *p = NULL, fin[16];
    size_t n;
    int outl;

    /* Setting the IV length goes through OSSL_PARAM parsing; skip it when
     * the length did not change (ChaCha's is fixed at 12). */
    if (op->iv.len != w->ivlen) {
        w->ivlen = 0;
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)op->iv.len, NULL) != 1)
            return VIRTIO_CRYPTO_ERR;
        w->ivlen = (uint32_t)op->iv.len;
    }
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1)
        return VIRTIO_CRYPTO_ERR;
    if (op->aad.len > 0) {
        vc__rcur_init(&c, &op->aad, 0, op->aad.len);
        while ((n = vc__rcur_next(&c, &p, 1u << 30)) > 0)
            if (EVP_CipherUpdate(ctx, NULL, &outl, p, (int)n) != 1)
                return VIRTIO_CRYPTO_ERR;
    }
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)a->tag_len, tag) != 1)
        return VIRTIO_CRYPTO_ERR;
    uint64_t dlen = len + (enc ? a->tag_len : 0);
    uint8_t *sp = vc__sg_head(&op->src, len), *dp = vc__sg_head(&op->dst, dlen);
    uint8_t *tp = NULL; /* where the tag goes when it is contiguous */
    if (sp != NULL && dp != NULL && len <= (1u << 30)) {
        /* One piece each way (the common case): no cursors. */
        if (len > 0 && (EVP_CipherUpdate(ctx, dp, &outl, sp, (int)len) != 1 ||
                        (uint64_t)outl != len))
            return VIRTIO_CRYPTO_ERR;
        tp = dp + len;
    } else {
        vc__rcur_init(&c, &op->src, 0, len);
        vc__rcur_init(&d, &op->dst, 0, dlen);
        if (!vc__ossl_stream(ctx, 1, &c, &d))
            return VIRTIO_CRYPTO_ERR;
        /* d now stands at dst[len]. */
        if (enc && vc__rcur_peek(&d, &p) >= a->tag_len)
            tp = p;
    }
    if (EVP_CipherFinal_ex(ctx, fin, &outl) != 1)
        return enc ? VIRTIO_CRYPTO_ERR : VIRTIO_CRYPTO_BADMSG;
    if (enc) {
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)a->tag_len,
                                tp != NULL ? tp : tag) != 1 ||
            (tp == NULL && !vc_ok(vc_sg_write(&op->dst, len, tag, a->tag_len))))
            return VIRTIO_CRYPTO_ERR;
    }
    return VIRTIO_CRYPTO_OK;
}

static uint8_t run_ccm(struct vc__ossl_aead *a, unsigned w, struct vc_engine_op *op,
                       const uint8_t *iv, uint64_t len, uint8_t *tag)
{
    bool enc = a->dir == VIRTIO_CRYPTO_OP_ENCRYPT;
    EVP_CIPHER_CTX *ctx = a->w[w].ctx;
    uint32_t ivlen = (uint32_t)op->iv.len, L = 15 - ivlen;
    uint8_t *base = a->scratch + (size_t)w * a->scr_size, *scr = base, *out = NULL;
    uint8_t fin[16];
    size_t left = a->scr_size;
    struct vc__rcur d;
    int outl;
    uint8_t st = VIRTIO_CRYPTO_ERR;

    /* RFC 3610 §2: the message length must fit in L octets. */
    if (len > INT_MAX || op->aad.len > INT_MAX || (L < 8 && (len >> (8 * L)) != 0))
        return VIRTIO_CRYPTO_ERR;
    if (ivlen != a->w[w].ivlen) {
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)ivlen, NULL) != 1 ||
            EVP_CipherInit_ex(ctx, NULL, NULL, a->key, NULL, -1) != 1) {
            a->w[w].ivlen = 0;
            return VIRTIO_CRYPTO_ERR;
        }
        a->w[w].ivlen = ivlen;
    }
    uint8_t *aad = vc__contig(&op->aad, 0, op->aad.len, &scr, &left);
    uint8_t *mark = scr;
    uint8_t *in = vc__contig(&op->src, 0, len, &scr, &left);
    bool in_copied = scr != mark;
    if (aad == NULL || in == NULL)
        goto out;
    vc__rcur_init(&d, &op->dst, 0, len);
    bool direct = len == 0 || vc__rcur_peek(&d, &out) == len;
    if (len == 0) {
        out = in;
    } else if (!direct) {
        /* In place over gathered input, else a fresh scratch area. */
        if (in_copied) {
            out = in;
        } else if (len <= left) {
            out = scr;
            scr += len;
        } else {
            goto out;
        }
    }
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1 ||
        (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)a->tag_len, tag) != 1) ||
        EVP_CipherUpdate(ctx, NULL, &outl, NULL, (int)len) != 1 ||
        (op->aad.len > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)op->aad.len) != 1))
        goto out;
    if (EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1) {
        /* Lengths were validated above, so a decrypt failure here is the
         * tag check (OpenSSL verifies CCM inside this call). */
        st = enc ? VIRTIO_CRYPTO_ERR : VIRTIO_CRYPTO_BADMSG;
        goto out;
    }
    if (enc && (EVP_CipherFinal_ex(ctx, fin, &outl) != 1 ||
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)a->tag_len, tag) != 1))
        goto out;
    if (!direct && !vc__rcur_write(&d, out, (size_t)len))
        goto out;
    st = VIRTIO_CRYPTO_OK;
out:
    if (scr != base)
        OPENSSL_cleanse(base, (size_t)(scr - base));
    return st;
}

uint8_t vc__ossl_aead_run(struct vc__ossl_aead *a, unsigned w, struct vc_engine_op *op)
{
    bool enc = a->dir == VIRTIO_CRYPTO_OP_ENCRYPT;
    const struct vc_algo_cap *cap = &a->alg->cap;
    uint8_t ivb[VC_ENGINE_MAX_IV], tag[16];
    const uint8_t *iv;
    uint64_t len;

    if (op->iv.len < cap->iv_min || op->iv.len > cap->iv_max || op->digest.len != 0)
        return VIRTIO_CRYPTO_ERR;
    if (enc) {
        /* dst_data_len >= src_data_len + tag_len, in 64-bit arithmetic. */
        len = op->src.len;
        if (op->dst.len < len || op->dst.len - len < a->tag_len)
            return VIRTIO_CRYPTO_ERR;
    } else {
        if (op->src.len < a->tag_len)
            return VIRTIO_CRYPTO_ERR;
        len = op->src.len - a->tag_len;
        if (op->dst.len < len || !vc_ok(vc_sg_read(&op->src, len, tag, a->tag_len)))
            return VIRTIO_CRYPTO_ERR;
    }
    /* OpenSSL copies the IV during init, so a pointer into a single-piece
     * iv is as good as a copy. A NULL IV would mean "keep the old one" to
     * EVP, hence the copy for anything else (iv_min >= 1 for every AEAD). */
    iv = vc__sg_head(&op->iv, op->iv.len);
    if (iv == NULL) {
        if (op->iv.len > sizeof ivb || !vc_ok(vc_sg_read(&op->iv, 0, ivb, op->iv.len)))
            return VIRTIO_CRYPTO_ERR;
        iv = ivb;
    }

    uint8_t st;
    if (a->ni != NULL) {
        st = vc__gcm_ni_run(a->ni, w, enc, a->tag_len, op, iv, len, tag);
    } else if (a->alg->kind == VC_K_CCM) {
        st = run_ccm(a, w, op, iv, len, tag);
        if (st == VIRTIO_CRYPTO_OK && enc && !vc_ok(vc_sg_write(&op->dst, len, tag, a->tag_len)))
            st = VIRTIO_CRYPTO_ERR;
    } else {
        st = run_stream(a, &a->w[w], op, iv, len, tag);
    }
    if (st != VIRTIO_CRYPTO_OK) {
        /* No plaintext (or partial output) leaves on failure. */
        vc_sg_zero(&op->dst, 0, len + (enc ? a->tag_len : 0));
        return st;
    }
    op->dst_written = len + (enc ? a->tag_len : 0);
    return VIRTIO_CRYPTO_OK;
}
