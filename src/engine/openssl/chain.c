/* Algorithm chaining: a cipher plus a hash (PLAIN) or MAC (AUTH) in one op.
 *
 * IMPLEMENTATION NOTES
 * Semantics are engine.h's (struct vc_engine_op, "CHAIN"): the cipher runs
 * over [cipher_start, +cipher_len) of src into the same offsets of dst,
 * the bytes of src outside that region are copied to dst unchanged, and the
 * hash covers AAD (if any) then [hash_start, +hash_len) of src for
 * HASH_THEN_CIPHER or of dst for CIPHER_THEN_HASH (encrypt-then-MAC).
 * Both ranges are checked against src_data_len in 64-bit arithmetic before
 * anything is written (DPDK 7ccd67c418 is the bug class). The digest is
 * always generated; the device does not verify it (the spec gives the
 * device no expected digest for chains).
 *
 * hash_mode NESTED is NOTSUPP (hostile-inputs #19); GMAC is NOTSUPP inside
 * a chain because the op has only the cipher's IV.
 */

#include <openssl/crypto.h>

#include "engine/openssl/sym.h"

struct vc__ossl_chain {
    struct vc__ossl_cipher *cipher;
    struct vc__ossl_auth *auth;
    uint32_t order;
};

uint8_t vc__ossl_chain_new(const struct vc_sess_params *p, unsigned nworkers,
                           struct vc__ossl_chain **out)
{
    uint32_t service;
    *out = NULL;

    switch (p->u.sym.hash_mode) {
    case VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN:
        if (p->u.sym.auth_key_len != 0)
            return VIRTIO_CRYPTO_ERR;
        service = VIRTIO_CRYPTO_SERVICE_HASH;
        break;
    case VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH:
        service = VIRTIO_CRYPTO_SERVICE_MAC;
        break;
    case VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED:
        return VIRTIO_CRYPTO_NOTSUPP;
    default:
        return VIRTIO_CRYPTO_ERR;
    }
    if (p->u.sym.chain_order != VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER &&
        p->u.sym.chain_order != VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH)
        return VIRTIO_CRYPTO_ERR;

    struct vc__ossl_chain *ch = OPENSSL_zalloc(sizeof *ch);
    if (ch == NULL)
        return VIRTIO_CRYPTO_ERR;
    ch->order = p->u.sym.chain_order;
    const struct vc_cipher_params *c = &p->u.sym.cipher;
    uint8_t st = vc__ossl_cipher_new(c->algo, c->op, c->key, c->key_len, nworkers, &ch->cipher);
    if (st == VIRTIO_CRYPTO_OK)
        st = vc__ossl_auth_new(service, p->u.sym.hash_algo, p->u.sym.hash_result_len,
                               p->u.sym.auth_key, p->u.sym.auth_key_len, nworkers, true,
                               &ch->auth);
    if (st != VIRTIO_CRYPTO_OK) {
        vc__ossl_chain_free(ch);
        return st;
    }
    *out = ch;
    return VIRTIO_CRYPTO_OK;
}

void vc__ossl_chain_free(struct vc__ossl_chain *ch)
{
    if (ch == NULL)
        return;
    vc__ossl_cipher_free(ch->cipher);
    vc__ossl_auth_free(ch->auth);
    OPENSSL_free(ch);
}

uint32_t vc__ossl_chain_dir(const struct vc__ossl_chain *ch)
{
    return vc__ossl_cipher_dir(ch->cipher);
}

/* \devicenormative{Device Types / Crypto Device / Device Operation /
 * Symmetric algorithms Operation}: for algorithm chaining "the device MUST
 * copy the result of cryptographic operation in the dst_data[]" and the
 * hash result in hash_result[]; "MUST check whether aad_len is greater
 * than 0 before parsing aad". */
uint8_t vc__ossl_chain_run(struct vc__ossl_chain *ch, unsigned w, struct vc_engine_op *op)
{
    const struct vc_sg *src = &op->src, *dst = &op->dst;
    uint64_t len = src->len, cs = op->cipher_start, cl = op->cipher_len;
    uint32_t dlen = vc__ossl_auth_len(ch->auth);
    uint8_t md[VC_ENGINE_MAX_DIGEST];
    const struct vc_sg *aad = op->aad.len > 0 ? &op->aad : NULL;
    uint8_t st;

    if (dst->len < len || !vc__range_ok(src, cs, cl) ||
        !vc__range_ok(src, op->hash_start, op->hash_len) || op->digest.len != dlen)
        return VIRTIO_CRYPTO_ERR;
    st = vc__ossl_cipher_check(ch->cipher, op->iv.len, cl);
    if (st == VIRTIO_CRYPTO_OK)
        st = vc__ossl_auth_check(ch->auth, 0, op->aad.len + op->hash_len);
    if (st != VIRTIO_CRYPTO_OK)
        return st;

    bool hash_first = ch->order == VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER;
    if (hash_first)
        st = vc__ossl_auth_run(ch->auth, w, NULL, aad, src, op->hash_start, op->hash_len, md);
    if (st == VIRTIO_CRYPTO_OK)
        st = vc__ossl_cipher_run(ch->cipher, w, &op->iv, src, cs, dst, cs, cl);
    if (st == VIRTIO_CRYPTO_OK) {
        vc__sg_copy(dst, 0, src, 0, cs);
        vc__sg_copy(dst, cs + cl, src, cs + cl, len - cs - cl);
        if (!hash_first)
            st = vc__ossl_auth_run(ch->auth, w, NULL, aad, dst, op->hash_start, op->hash_len, md);
    }
    if (st == VIRTIO_CRYPTO_OK && !vc_ok(vc_sg_write(&op->digest, 0, md, dlen)))
        st = VIRTIO_CRYPTO_ERR;
    if (st != VIRTIO_CRYPTO_OK) {
        vc_sg_zero(dst, 0, len);
        vc_sg_zero(&op->digest, 0, dlen);
        return st;
    }
    op->dst_written = len;
    return VIRTIO_CRYPTO_OK;
}
