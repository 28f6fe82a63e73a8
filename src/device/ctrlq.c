/* Control-queue requests: session create / destroy.
 *
 * IMPLEMENTATION NOTES
 * The fixed part is copied once (no TOCTOU), then each key length is checked
 * against the config-space limit before any key byte is read
 * (hostile-inputs #15: "Cipher key longer than 64 bytes, or auth key longer
 * than 512 bytes ... Reject (ERR); the key must not be copied"). Keys are
 * copied into the queue's private scratch, handed to the engine (which copies
 * them again into its own contexts) and wiped here right after.
 *
 * Spec, "Control Virtqueue / Session operation": the device MUST return
 * OK / NOTSUPP / NOSPC / ERR for create, "VIRTIO_CRYPTO_NOSPC ... only when
 * VIRTIO_CRYPTO_F_REVISION_1 is negotiated", and writes session_id only when
 * the status is OK. Destroy answers OK or ERR: an unknown id is ERR here
 * (INVSESS is not a listed destroy outcome).
 */
#include "device/ctrlq.h"

#include <endian.h>
#include <openssl/crypto.h>
#include <string.h>

#include "engine/engine.h"

#define CTRL_HDR ((uint32_t)sizeof(struct virtio_crypto_ctrl_header))
#define LEGACY_FIXED ((uint32_t)sizeof(struct virtio_crypto_op_ctrl_req_legacy))
#define MAX_FLF 56u

uint32_t vc_ctrlq_hdr_len(uint32_t opcode, bool revision_1)
{
    uint32_t flf;
    switch (opcode) {
    case VIRTIO_CRYPTO_CIPHER_CREATE_SESSION:
        flf = sizeof(struct virtio_crypto_sym_create_session_flf);
        break;
    case VIRTIO_CRYPTO_HASH_CREATE_SESSION:
        flf = sizeof(struct virtio_crypto_hash_create_session_flf);
        break;
    case VIRTIO_CRYPTO_MAC_CREATE_SESSION:
        flf = sizeof(struct virtio_crypto_mac_create_session_flf);
        break;
    case VIRTIO_CRYPTO_AEAD_CREATE_SESSION:
        flf = sizeof(struct virtio_crypto_aead_create_session_flf);
        break;
    case VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION:
        flf = sizeof(struct virtio_crypto_akcipher_session_flf);
        break;
    case VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION:
    case VIRTIO_CRYPTO_HASH_DESTROY_SESSION:
    case VIRTIO_CRYPTO_MAC_DESTROY_SESSION:
    case VIRTIO_CRYPTO_AEAD_DESTROY_SESSION:
    case VIRTIO_CRYPTO_AKCIPHER_DESTROY_SESSION:
        flf = sizeof(struct virtio_crypto_destroy_session_flf);
        break;
    default:
        return 0;
    }
    return revision_1 ? CTRL_HDR + flf : LEGACY_FIXED;
}

static uint32_t rd32(const uint8_t *p, uint32_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof(v));
    return le32toh(v);
}

static bool is_destroy(uint32_t opcode)
{
    return opcode == VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION ||
           opcode == VIRTIO_CRYPTO_HASH_DESTROY_SESSION ||
           opcode == VIRTIO_CRYPTO_MAC_DESTROY_SESSION ||
           opcode == VIRTIO_CRYPTO_AEAD_DESTROY_SESSION ||
           opcode == VIRTIO_CRYPTO_AKCIPHER_DESTROY_SESSION;
}

/* Fills p from the op_flf of a create request; sets the key lengths the vlf
 * must carry (k1 first, then k2). Returns OK, NOTSUPP or ERR. */
static uint8_t parse_create(const struct vc_ctrlq_ctx *ctx, uint32_t opcode, const uint8_t *flf,
                            struct vc_sess_params *p, uint32_t *k1, uint32_t *k2)
{
    *k1 = *k2 = 0;
    memset(p, 0, sizeof(*p));
    switch (opcode) {
    case VIRTIO_CRYPTO_CIPHER_CREATE_SESSION: {
        p->service = VIRTIO_CRYPTO_SERVICE_CIPHER;
        uint32_t op_type = rd32(flf, VIRTIO_CRYPTO_SYM_SESS_OP_SPEC_HDR_SIZE);
        const uint8_t *c = flf; /* cipher_session_flf, or chain's cipher_hdr at +8 */
        if (op_type == VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING) {
            p->u.sym.chain_order = rd32(flf, 0);
            p->u.sym.hash_mode = rd32(flf, 4);
            c = flf + 8;
            const uint8_t *a = flf + 24; /* algo_flf */
            p->u.sym.hash_algo = rd32(a, 0);
            p->u.sym.hash_result_len = rd32(a, 4);
            if (p->u.sym.hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH)
                *k2 = p->u.sym.auth_key_len = rd32(a, 8);
            else if (p->u.sym.hash_mode != VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN)
                return VIRTIO_CRYPTO_NOTSUPP; /* NESTED (hostile-inputs #19) */
            p->u.sym.aad_len = rd32(flf, 40);
            if (*k2 > ctx->max_auth_key_len)
                return VIRTIO_CRYPTO_ERR;
        } else if (op_type != VIRTIO_CRYPTO_SYM_OP_CIPHER) {
            return VIRTIO_CRYPTO_NOTSUPP;
        }
        p->u.sym.op_type = op_type;
        p->u.sym.cipher.algo = rd32(c, 0);
        *k1 = p->u.sym.cipher.key_len = rd32(c, 4);
        p->u.sym.cipher.op = rd32(c, 8);
        if (*k1 > ctx->max_cipher_key_len)
            return VIRTIO_CRYPTO_ERR;
        return VIRTIO_CRYPTO_OK;
    }
    case VIRTIO_CRYPTO_HASH_CREATE_SESSION:
        p->service = VIRTIO_CRYPTO_SERVICE_HASH;
        p->u.hash.algo = rd32(flf, 0);
        p->u.hash.result_len = rd32(flf, 4);
        return VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_MAC_CREATE_SESSION:
        p->service = VIRTIO_CRYPTO_SERVICE_MAC;
        p->u.mac.algo = rd32(flf, 0);
        p->u.mac.result_len = rd32(flf, 4);
        *k1 = p->u.mac.key_len = rd32(flf, 8);
        return *k1 > ctx->max_auth_key_len ? VIRTIO_CRYPTO_ERR : VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_AEAD_CREATE_SESSION:
        p->service = VIRTIO_CRYPTO_SERVICE_AEAD;
        p->u.aead.algo = rd32(flf, 0);
        *k1 = p->u.aead.key_len = rd32(flf, 4);
        p->u.aead.tag_len = rd32(flf, 8);
        p->u.aead.aad_len = rd32(flf, 12);
        p->u.aead.op = rd32(flf, 16);
        return *k1 > ctx->max_cipher_key_len ? VIRTIO_CRYPTO_ERR : VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION:
        p->service = VIRTIO_CRYPTO_SERVICE_AKCIPHER;
        p->u.akcipher.algo = rd32(flf, 0);
        p->u.akcipher.key_type = rd32(flf, 4);
        *k1 = p->u.akcipher.key_len = rd32(flf, 8);
        if (p->u.akcipher.algo == VIRTIO_CRYPTO_AKCIPHER_RSA) {
            p->u.akcipher.rsa_padding = rd32(flf, 12);
            p->u.akcipher.rsa_hash = rd32(flf, 16);
        } else {
            p->u.akcipher.ecdsa_curve = rd32(flf, 12);
        }
        return *k1 > ctx->max_akcipher_key_len ? VIRTIO_CRYPTO_ERR : VIRTIO_CRYPTO_OK;
    default:
        return VIRTIO_CRYPTO_NOTSUPP;
    }
}

static void write_create_outcome(const struct vc_sg *wr, uint8_t st, uint64_t id,
                                 struct vc_req_result *res)
{
    struct virtio_crypto_create_session_input in = {0};
    in.status = htole32(st);
    /* "session_id ... written only when status is OK" */
    if (st == VIRTIO_CRYPTO_OK)
        in.session_id = htole64(id);
    (void)vc_sg_write(wr, 0, &in, sizeof(in)).err;
    res->status = st;
    res->used_len = sizeof(in);
}

void vc_ctrlq_handle(const struct vc_ctrlq_ctx *ctx, const struct vc_sg *rd,
                     const struct vc_sg *wr, struct vc_req_result *res)
{
    uint8_t fixed[CTRL_HDR + MAX_FLF];
    res->status = VIRTIO_CRYPTO_ERR;
    res->used_len = 0;
    res->no_status = false;
    res->flush = true; /* control requests are answered one by one */
    res->cost_bytes = 0;

    uint32_t opcode = 0;
    bool have_hdr = rd->len >= CTRL_HDR && vc_ok(vc_sg_read(rd, 0, fixed, CTRL_HDR));
    if (have_hdr)
        opcode = rd32(fixed, 0);
    bool destroy = is_destroy(opcode);
    /* The outcome layout depends on the opcode: 1 byte for destroy, 16 for
     * create (and for anything unknown, which we answer as a create). */
    uint64_t out_len = destroy ? 1 : sizeof(struct virtio_crypto_create_session_input);
    if (wr->len < out_len) {
        if (wr->len == 0) {
            res->no_status = true;
            return;
        }
        /* Too small for the outcome: report ERR in its first byte. */
        uint8_t e = VIRTIO_CRYPTO_ERR;
        (void)vc_sg_write(wr, 0, &e, 1).err;
        res->used_len = 1;
        return;
    }
    uint32_t fixed_len = vc_ctrlq_hdr_len(opcode, ctx->revision_1);
    if (fixed_len == 0 || rd->len < fixed_len ||
        !vc_ok(vc_sg_read(rd, CTRL_HDR, fixed + CTRL_HDR, fixed_len - CTRL_HDR))) {
        /* Unknown opcode: NOTSUPP (hostile-inputs #19); truncated: ERR. */
        uint8_t st = have_hdr && fixed_len == 0 ? VIRTIO_CRYPTO_NOTSUPP : VIRTIO_CRYPTO_ERR;
        if (destroy) {
            (void)vc_sg_write(wr, 0, &st, 1).err;
            res->status = st;
            res->used_len = 1;
        } else {
            write_create_outcome(wr, st, 0, res);
        }
        return;
    }
    const uint8_t *flf = fixed + CTRL_HDR;

    if (destroy) {
        uint64_t id;
        memcpy(&id, flf, sizeof(id));
        uint8_t st = vc_sess_destroy(ctx->sessions, le64toh(id)) == VIRTIO_CRYPTO_OK
                         ? VIRTIO_CRYPTO_OK
                         : VIRTIO_CRYPTO_ERR;
        (void)vc_sg_write(wr, 0, &st, 1).err;
        res->status = st;
        res->used_len = 1;
        return;
    }

    struct vc_sess_params p;
    uint32_t k1, k2;
    uint8_t st = parse_create(ctx, opcode, flf, &p, &k1, &k2);
    /* Keys follow the fixed part; they must be inside the readable bytes. */
    if (st == VIRTIO_CRYPTO_OK && (uint64_t)fixed_len + k1 + k2 > rd->len)
        st = VIRTIO_CRYPTO_ERR;
    if (st == VIRTIO_CRYPTO_OK && p.service == VIRTIO_CRYPTO_SERVICE_MAC) {
        /* Not advertised in the config space: no IV in a MAC request. */
        const struct vc_algo_cap *cap =
            vc_engine_find_cap(vc_engine_caps(ctx->sessions->engine), p.service, p.u.mac.algo);
        if (cap && cap->iv_max > 0)
            st = VIRTIO_CRYPTO_NOTSUPP;
    }
    uint64_t id = 0;
    if (st == VIRTIO_CRYPTO_OK) {
        uint8_t *key1 = ctx->key_scratch, *key2 = ctx->key_scratch + k1;
        if (!vc_ok(vc_sg_read(rd, fixed_len, key1, (uint64_t)k1 + k2))) {
            st = VIRTIO_CRYPTO_ERR;
        } else {
            vc_sess_params_set_keys(&p, k1 ? key1 : NULL, k2 ? key2 : NULL);
            st = vc_sess_create(ctx->sessions, &p, &id);
        }
        OPENSSL_cleanse(ctx->key_scratch, (size_t)k1 + k2);
        if (st == VIRTIO_CRYPTO_NOSPC && !ctx->revision_1)
            st = VIRTIO_CRYPTO_ERR;
    }
    write_create_outcome(wr, st, id, res);
}
