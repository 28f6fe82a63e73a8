/* CREATE_CRYPTO_SESSION: layout detection, decoding and reply.
 *
 * IMPLEMENTATION NOTES
 * The vhost-user spec leaves "crypto session description" undefined; the
 * ABI is QEMU's VhostUserCryptoSession, which changed twice
 * (../shared/reference/virtio-crypto.md §2.3). A and B have the same size,
 * so a 632-byte message is classified by content:
 *
 *   word@8   word@12   reading
 *   != 2     any       B (word@8 is B's cipher_alg; A always has op_code 2)
 *   == 2     <= 14     A (op_code 2, cipher id) -- or B with AES_ECB and a
 *                        key of <= 14 bytes, which no AES key is
 *   == 2     >= 16     B (AES_ECB, key_len 16/24/32)
 *
 * The remaining doubt (word@8 == 2, word@12 in 0..14, or 15) is settled by
 * the layout seen earlier on the same connection, since one QEMU binary
 * uses one layout.
 *
 * The payload is copied from the socket into our own buffer before
 * decoding, so the front-end cannot change it between check and use.
 * Fields are read with memcpy: the payload sits at offset 12 of the wire
 * message and our buffer gives no stronger alignment guarantee to callers
 * of these functions.
 */
#include "vhost/session.h"

#include <stddef.h>
#include <string.h>

#include "vcrypto/virtio_crypto.h"

/* Largest cipher id the spec defines (ZUC_EEA3). */
#define MAX_CIPHER_ID VIRTIO_CRYPTO_CIPHER_ZUC_EEA3

static uint32_t rd32(const uint8_t *p, size_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

enum vc_vu_layout vc__vu_sess_layout(const uint8_t *payload, uint32_t size,
                                     enum vc_vu_layout forced, enum vc_vu_layout hint, int *certain)
{
    *certain = 0;
    if (size == VHOST_USER_CRYPTO_SESSION_C_SIZE) {
        *certain = 1;
        return VC_VU_LAYOUT_C;
    }
    if (size != VHOST_USER_CRYPTO_SESSION_632_SIZE)
        return VC_VU_LAYOUT_AUTO;
    if (forced == VC_VU_LAYOUT_A || forced == VC_VU_LAYOUT_B)
        return forced;

    uint32_t w8 = rd32(payload, 8), w12 = rd32(payload, 12);
    if (w8 != VIRTIO_CRYPTO_CIPHER_CREATE_SESSION) {
        *certain = 1;
        return VC_VU_LAYOUT_B;
    }
    if (w12 >= 16) {
        *certain = 1;
        return VC_VU_LAYOUT_B;
    }
    if (hint == VC_VU_LAYOUT_A || hint == VC_VU_LAYOUT_B)
        return hint;
    /* Without history, A: in B this would be AES_ECB with a key shorter
     * than any AES key, which fails either way. A valid A message with a
     * known cipher id is the only well-formed reading, so it counts as
     * certain only if the id is one the spec defines and not 0. */
    *certain = w12 >= 1 && w12 <= MAX_CIPHER_ID;
    return VC_VU_LAYOUT_A;
}

/* The symmetric fields, wherever the layout put them. */
struct sym_view {
    uint32_t cipher_alg, key_len, hash_alg, hash_result_len, auth_key_len, add_len;
    uint8_t op_type, direction, hash_mode, chain_order;
    const uint8_t *key, *auth_key;
};

static void view_a(const uint8_t *p, struct sym_view *v)
{
    v->cipher_alg = rd32(p, offsetof(struct vhost_user_crypto_session_a, cipher_alg));
    v->key_len = rd32(p, offsetof(struct vhost_user_crypto_session_a, key_len));
    v->hash_alg = rd32(p, offsetof(struct vhost_user_crypto_session_a, hash_alg));
    v->hash_result_len = rd32(p, offsetof(struct vhost_user_crypto_session_a, hash_result_len));
    v->auth_key_len = rd32(p, offsetof(struct vhost_user_crypto_session_a, auth_key_len));
    v->add_len = rd32(p, offsetof(struct vhost_user_crypto_session_a, add_len));
    v->op_type = p[offsetof(struct vhost_user_crypto_session_a, op_type)];
    v->direction = p[offsetof(struct vhost_user_crypto_session_a, direction)];
    v->hash_mode = p[offsetof(struct vhost_user_crypto_session_a, hash_mode)];
    v->chain_order = p[offsetof(struct vhost_user_crypto_session_a, alg_chain_order)];
    v->key = p + offsetof(struct vhost_user_crypto_session_a, key);
    v->auth_key = p + offsetof(struct vhost_user_crypto_session_a, auth_key);
}

/* B and C-sym share struct vhost_user_crypto_sym_info at offset 8 and the
 * key arrays at 56 / 120. */
static void view_b(const uint8_t *p, struct sym_view *v)
{
    const size_t o = offsetof(struct vhost_user_crypto_session_b, sym);
    v->cipher_alg = rd32(p, o + offsetof(struct vhost_user_crypto_sym_info, cipher_alg));
    v->key_len = rd32(p, o + offsetof(struct vhost_user_crypto_sym_info, key_len));
    v->hash_alg = rd32(p, o + offsetof(struct vhost_user_crypto_sym_info, hash_alg));
    v->hash_result_len = rd32(p, o + offsetof(struct vhost_user_crypto_sym_info, hash_result_len));
    v->auth_key_len = rd32(p, o + offsetof(struct vhost_user_crypto_sym_info, auth_key_len));
    v->add_len = rd32(p, o + offsetof(struct vhost_user_crypto_sym_info, add_len));
    v->op_type = p[o + offsetof(struct vhost_user_crypto_sym_info, op_type)];
    v->direction = p[o + offsetof(struct vhost_user_crypto_sym_info, direction)];
    v->hash_mode = p[o + offsetof(struct vhost_user_crypto_sym_info, hash_mode)];
    v->chain_order = p[o + offsetof(struct vhost_user_crypto_sym_info, alg_chain_order)];
    v->key = p + offsetof(struct vhost_user_crypto_session_b, key);
    v->auth_key = p + offsetof(struct vhost_user_crypto_session_b, auth_key);
}

_Static_assert(offsetof(struct vhost_user_crypto_session_c, u.sym.info) ==
                   offsetof(struct vhost_user_crypto_session_b, sym),
               "C-sym and B share the sym info offset");

static uint8_t sym_params(const struct sym_view *v, struct vc_sess_params *p)
{
    /* hostile-inputs #15 (CVE-2020-10724): key lengths are checked against
     * the fixed arrays before any key byte is read. */
    if (v->key_len > VHOST_USER_CRYPTO_SYM_CIPHER_MAX_KEY_LEN ||
        v->auth_key_len > VHOST_USER_CRYPTO_SYM_HMAC_MAX_KEY_LEN)
        return VIRTIO_CRYPTO_ERR;
    /* QEMU forwards only CIPHER sessions, cipher-only or chained
     * (reference §2.4); op_type NONE is hostile-inputs #19. */
    if (v->op_type != VIRTIO_CRYPTO_SYM_OP_CIPHER &&
        v->op_type != VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING)
        return VIRTIO_CRYPTO_NOTSUPP;

    memset(p, 0, sizeof(*p));
    p->service = VIRTIO_CRYPTO_SERVICE_CIPHER;
    p->u.sym.op_type = v->op_type;
    p->u.sym.cipher.algo = v->cipher_alg;
    p->u.sym.cipher.op = v->direction;
    p->u.sym.cipher.key = v->key;
    p->u.sym.cipher.key_len = v->key_len;
    if (v->op_type == VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING) {
        p->u.sym.chain_order = v->chain_order;
        p->u.sym.hash_mode = v->hash_mode;
        p->u.sym.hash_algo = v->hash_alg;
        p->u.sym.hash_result_len = v->hash_result_len;
        p->u.sym.auth_key = v->auth_key_len ? v->auth_key : NULL;
        p->u.sym.auth_key_len = v->auth_key_len;
        p->u.sym.aad_len = v->add_len;
    }
    return VIRTIO_CRYPTO_OK;
}

static uint8_t asym_params(const uint8_t *pl, struct vc_sess_params *p)
{
    const size_t o = offsetof(struct vhost_user_crypto_session_c, u.asym.info);
    uint32_t keylen = rd32(pl, o + offsetof(struct vhost_user_crypto_asym_info, keylen));
    if (keylen > VHOST_USER_CRYPTO_ASYM_MAX_KEY_LEN)
        return VIRTIO_CRYPTO_ERR;
    memset(p, 0, sizeof(*p));
    p->service = VIRTIO_CRYPTO_SERVICE_AKCIPHER;
    p->u.akcipher.algo = rd32(pl, o + offsetof(struct vhost_user_crypto_asym_info, algo));
    p->u.akcipher.key_type = rd32(pl, o + offsetof(struct vhost_user_crypto_asym_info, keytype));
    p->u.akcipher.key = pl + offsetof(struct vhost_user_crypto_session_c, u.asym.key);
    p->u.akcipher.key_len = keylen;
    p->u.akcipher.rsa_padding =
        rd32(pl, o + offsetof(struct vhost_user_crypto_asym_info, padding_algo));
    p->u.akcipher.rsa_hash = rd32(pl, o + offsetof(struct vhost_user_crypto_asym_info, hash_algo));
    /* QEMU's asym session info has only the RSA parameters; an ECDSA
     * session arrives without a curve id. */
    p->u.akcipher.ecdsa_curve = VIRTIO_CRYPTO_CURVE_UNKNOWN;
    return VIRTIO_CRYPTO_OK;
}

uint8_t vc__vu_sess_decode(const uint8_t *payload, uint32_t size, enum vc_vu_layout layout,
                           struct vc_sess_params *p)
{
    struct sym_view v;
    switch (layout) {
    case VC_VU_LAYOUT_A:
        if (size != VHOST_USER_CRYPTO_SESSION_632_SIZE)
            return VIRTIO_CRYPTO_ERR;
        if (rd32(payload, offsetof(struct vhost_user_crypto_session_a, op_code)) !=
            VIRTIO_CRYPTO_CIPHER_CREATE_SESSION)
            return VIRTIO_CRYPTO_NOTSUPP;
        view_a(payload, &v);
        return sym_params(&v, p);
    case VC_VU_LAYOUT_B:
        if (size != VHOST_USER_CRYPTO_SESSION_632_SIZE)
            return VIRTIO_CRYPTO_ERR;
        view_b(payload, &v);
        return sym_params(&v, p);
    case VC_VU_LAYOUT_C: {
        if (size != VHOST_USER_CRYPTO_SESSION_C_SIZE)
            return VIRTIO_CRYPTO_ERR;
        uint64_t op = rd64(payload, offsetof(struct vhost_user_crypto_session_c, op_code));
        if (op == VIRTIO_CRYPTO_CIPHER_CREATE_SESSION) {
            view_b(payload, &v);
            return sym_params(&v, p);
        }
        if (op == VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION)
            return asym_params(payload, p);
        return VIRTIO_CRYPTO_NOTSUPP;
    }
    case VC_VU_LAYOUT_AUTO:
    default:
        return VIRTIO_CRYPTO_ERR;
    }
}

void vc__vu_sess_wipe(uint8_t *payload, uint32_t size, enum vc_vu_layout layout)
{
    if (layout == VC_VU_LAYOUT_C && size == VHOST_USER_CRYPTO_SESSION_C_SIZE) {
        /* The union holds either the sym keys or the asym key; wipe the
         * span of both. */
        size_t lo = offsetof(struct vhost_user_crypto_session_c, u.asym.key);
        size_t hi = offsetof(struct vhost_user_crypto_session_c, session_id);
        explicit_bzero(payload + lo, hi - lo);
    } else if (size == VHOST_USER_CRYPTO_SESSION_632_SIZE) {
        size_t lo = offsetof(struct vhost_user_crypto_session_a, key);
        explicit_bzero(payload + lo, VHOST_USER_CRYPTO_SESSION_632_SIZE - lo);
    }
}

void vc__vu_sess_reply(struct vc_vu_msg *reply, const struct vc_vu_msg *req,
                       enum vc_vu_layout layout, int64_t session_id)
{
    uint32_t size = req->hdr.size;
    vc__vu_reply_init(reply, VHOST_USER_CREATE_CRYPTO_SESSION, size);
    memcpy(reply->u.bytes, req->u.bytes, size);
    vc__vu_sess_wipe(reply->u.bytes, size, layout);
    size_t off = layout == VC_VU_LAYOUT_C
                     ? offsetof(struct vhost_user_crypto_session_c, session_id)
                     : offsetof(struct vhost_user_crypto_session_a, session_id);
    if (off + sizeof(session_id) <= size)
        memcpy(reply->u.bytes + off, &session_id, sizeof(session_id));
}
