/* Data-queue request parsing and validation.
 *
 * IMPLEMENTATION NOTES
 * Every length below comes from the guest. The rules, in the order checked:
 *  - the fixed part is copied out of the chain once and only the copy is used
 *    (hostile-inputs #8);
 *  - each variable-length field is capped by its own limit (IV, digest,
 *    stateless keys) and the sum of all of them, computed in 64 bits, by
 *    max_size (#1, #5, #9, #10);
 *  - the readable fields must fit in the bytes the chain really provides
 *    after the fixed part, and the writable ones in the writable bytes before
 *    the status byte (#3, #4);
 *  - cipher output may not be shorter than its input (#2), chaining regions
 *    must lie inside the source (#6).
 * A request that fails any rule completes with ERR (or NOTSUPP for an
 * unknown opcode / op_type, INVSESS for a bad session id) and nothing but the
 * status byte is written.
 *
 * Layout selection ("Device Operation / Data Virtqueue"): "If
 * VIRTIO_CRYPTO_F_<SERVICE>_STATELESS_MODE is negotiated, op_flf is struct
 * virtio_crypto_<...>_flf_stateless"; otherwise the session-mode struct,
 * "padded to 48 bytes if [REVISION_1 is] NOT negotiated". With the stateless
 * layout "the device MUST parse flag ... in order to decide which mode the
 * driver uses".
 */
#include "device/dataq.h"

#include <endian.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "vcrypto/err.h"

#define HDR_SZ ((uint32_t)sizeof(struct virtio_crypto_op_header))
#define LEGACY_FIXED ((uint32_t)sizeof(struct virtio_crypto_op_data_req_legacy))
#define MAX_FLF ((uint32_t)sizeof(struct virtio_crypto_sym_data_flf_stateless))

enum { SL_SRC, SL_AAD, SL_DST, SL_DIGEST, SL_N };

int vc_dataq_scratch_init(struct vc_dataq_scratch *s, uint32_t max_segs)
{
    if (max_segs == 0)
        max_segs = 1;
    s->iov = calloc((size_t)max_segs * SL_N, sizeof(*s->iov));
    s->keys = malloc(VC_DATAQ_KEYBUF);
    if (!s->iov || !s->keys) {
        vc_dataq_scratch_fini(s);
        return VC_ENOMEM;
    }
    s->per_slice = max_segs;
    return 0;
}

void vc_dataq_scratch_fini(struct vc_dataq_scratch *s)
{
    free(s->iov);
    if (s->keys)
        OPENSSL_cleanse(s->keys, VC_DATAQ_KEYBUF);
    free(s->keys);
    s->iov = NULL;
    s->keys = NULL;
}

/* Size of op_flf in REVISION_1 session mode (stateless: sl_flf_len). */
static uint32_t flf_len(uint32_t opcode)
{
    switch (opcode) {
    case VIRTIO_CRYPTO_CIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_CIPHER_DECRYPT:
        return sizeof(struct virtio_crypto_sym_data_flf);
    case VIRTIO_CRYPTO_HASH:
        return sizeof(struct virtio_crypto_hash_data_flf);
    case VIRTIO_CRYPTO_MAC:
        return sizeof(struct virtio_crypto_mac_data_flf);
    case VIRTIO_CRYPTO_AEAD_ENCRYPT:
    case VIRTIO_CRYPTO_AEAD_DECRYPT:
        return sizeof(struct virtio_crypto_aead_data_flf);
    case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_DECRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_SIGN:
    case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
        return sizeof(struct virtio_crypto_akcipher_data_flf);
    default:
        return 0;
    }
}

static uint32_t sl_flf_len(uint32_t opcode)
{
    switch (opcode >> 8) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return sizeof(struct virtio_crypto_sym_data_flf_stateless);
    case VIRTIO_CRYPTO_SERVICE_HASH:
        return sizeof(struct virtio_crypto_hash_data_flf_stateless);
    case VIRTIO_CRYPTO_SERVICE_MAC:
        return sizeof(struct virtio_crypto_mac_data_flf_stateless);
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        return sizeof(struct virtio_crypto_aead_data_flf_stateless);
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        return sizeof(struct virtio_crypto_akcipher_data_flf_stateless);
    default:
        return 0;
    }
}

uint32_t vc_dataq_hdr_len(uint32_t opcode, bool revision_1)
{
    uint32_t flf = flf_len(opcode);
    if (flf == 0)
        return 0;
    return revision_1 ? HDR_SZ + flf : LEGACY_FIXED;
}

uint32_t vc_dataq_hdr_len_stateless(uint32_t opcode)
{
    return flf_len(opcode) ? HDR_SZ + sl_flf_len(opcode) : 0;
}

static uint32_t rd32(const uint8_t *p, uint32_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof(v));
    return le32toh(v);
}

/* Order of the readable variable-length fields after the keys. */
enum rd_order {
    RD_IV_SRC_AAD,      /* cipher, session chain, AEAD */
    RD_IV_AAD_SRC,      /* stateless chain: "aad BEFORE src" */
    RD_SRC,             /* hash, mac, akcipher enc/dec/sign */
    RD_SRC_THEN_DIGEST, /* akcipher verify: signature || digest */
};

/* One request as the predicates understood it. */
struct req {
    uint32_t opcode;
    bool stateless; /* parameters and keys inline */
    bool chain;
    enum rd_order order;
    struct vc_sess_params p; /* stateless only; key pointers set later */
    uint64_t k1, k2;         /* inline key lengths (first in the vlf) */
    uint64_t iv, src, aad, rd_extra; /* readable */
    uint64_t dst, digest;            /* writable, before the status */
    uint64_t cipher_start, cipher_len, hash_start, hash_len;
};

/* Symmetric op_flf (session layout: cipher_data_flf / alg_chain_data_flf). */
static uint8_t parse_sym(const uint8_t *flf, struct req *r)
{
    uint32_t op_type = rd32(flf, VIRTIO_CRYPTO_SYM_DATA_REQ_HDR_SIZE);
    r->iv = rd32(flf, 0);
    r->src = rd32(flf, 4);
    r->dst = rd32(flf, 8);
    if (op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER)
        return VIRTIO_CRYPTO_OK;
    if (op_type != VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING)
        return VIRTIO_CRYPTO_NOTSUPP; /* NONE or unknown (hostile-inputs #19) */
    r->chain = true;
    r->cipher_start = rd32(flf, 12);
    r->cipher_len = rd32(flf, 16);
    r->hash_start = rd32(flf, 20);
    r->hash_len = rd32(flf, 24);
    r->aad = rd32(flf, 28);
    r->digest = rd32(flf, 32);
    return VIRTIO_CRYPTO_OK;
}

/* Symmetric op_flf, stateless layout (cipher / alg_chain *_flf_stateless). */
static uint8_t parse_sym_sl(const uint8_t *flf, struct req *r)
{
    uint32_t op_type = rd32(flf, VIRTIO_CRYPTO_SYM_DATA_REQ_HDR_STATELESS_SIZE);
    struct vc_sess_params *p = &r->p;
    p->service = VIRTIO_CRYPTO_SERVICE_CIPHER;
    p->u.sym.op_type = op_type;
    if (op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER) {
        p->u.sym.cipher.algo = rd32(flf, 0);
        r->k1 = p->u.sym.cipher.key_len = rd32(flf, 4);
        p->u.sym.cipher.op = rd32(flf, 8);
        r->iv = rd32(flf, 12);
        r->src = rd32(flf, 16);
        r->dst = rd32(flf, 20);
        return VIRTIO_CRYPTO_OK;
    }
    if (op_type != VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING)
        return VIRTIO_CRYPTO_NOTSUPP;
    r->chain = true;
    r->order = RD_IV_AAD_SRC;
    p->u.sym.chain_order = rd32(flf, 0);
    p->u.sym.aad_len = rd32(flf, 4);
    p->u.sym.cipher.algo = rd32(flf, 8);
    r->k1 = p->u.sym.cipher.key_len = rd32(flf, 12);
    p->u.sym.cipher.op = rd32(flf, 16);
    p->u.sym.hash_algo = rd32(flf, 20);
    r->k2 = p->u.sym.auth_key_len = rd32(flf, 24);
    p->u.sym.hash_mode = rd32(flf, 28);
    r->iv = rd32(flf, 32);
    r->src = rd32(flf, 36);
    r->dst = rd32(flf, 40);
    r->cipher_start = rd32(flf, 44);
    r->cipher_len = rd32(flf, 48);
    r->hash_start = rd32(flf, 52);
    r->hash_len = rd32(flf, 56);
    r->aad = rd32(flf, 60);
    r->digest = rd32(flf, 64);
    p->u.sym.hash_result_len = (uint32_t)r->digest;
    return VIRTIO_CRYPTO_OK;
}

/* Fills r from op_flf. sl: stateless layout; r->stateless: flag said so. */
static uint8_t parse(uint32_t opcode, const uint8_t *flf, bool sl, struct req *r)
{
    struct vc_sess_params *p = &r->p;
    uint32_t svc = opcode >> 8;
    p->service = svc;
    switch (svc) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return sl ? parse_sym_sl(flf, r) : parse_sym(flf, r);
    case VIRTIO_CRYPTO_SERVICE_HASH:
        r->order = RD_SRC;
        if (!sl) {
            r->src = rd32(flf, 0);
            r->digest = rd32(flf, 4);
            return VIRTIO_CRYPTO_OK;
        }
        p->u.hash.algo = rd32(flf, 0);
        r->src = rd32(flf, 4);
        r->digest = rd32(flf, 8);
        p->u.hash.result_len = (uint32_t)r->digest;
        return VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        r->order = RD_SRC;
        if (!sl) {
            r->src = rd32(flf, 0);
            r->digest = rd32(flf, 4);
            return VIRTIO_CRYPTO_OK;
        }
        p->u.mac.algo = rd32(flf, 0);
        r->k1 = p->u.mac.key_len = rd32(flf, 4);
        r->src = rd32(flf, 8);
        r->digest = rd32(flf, 12);
        p->u.mac.result_len = (uint32_t)r->digest;
        return VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        if (!sl) {
            r->iv = rd32(flf, 0);
            r->aad = rd32(flf, 4);
            r->src = rd32(flf, 8);
            r->dst = rd32(flf, 12);
            return VIRTIO_CRYPTO_OK;
        }
        p->u.aead.algo = rd32(flf, 0);
        r->k1 = p->u.aead.key_len = rd32(flf, 4);
        p->u.aead.op = rd32(flf, 8);
        r->iv = rd32(flf, 12);
        p->u.aead.tag_len = rd32(flf, 16);
        r->aad = p->u.aead.aad_len = rd32(flf, 20);
        r->src = rd32(flf, 24);
        r->dst = rd32(flf, 28);
        return VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER: {
        uint32_t off = 0;
        if (sl) {
            p->u.akcipher.algo = rd32(flf, 0);
            p->u.akcipher.key_type = rd32(flf, 4);
            r->k1 = p->u.akcipher.key_len = rd32(flf, 8);
            p->u.akcipher.rsa_padding = rd32(flf, 12);
            p->u.akcipher.rsa_hash = rd32(flf, 16);
            p->u.akcipher.ecdsa_curve = rd32(flf, 12);
            off = 20;
        }
        r->src = rd32(flf, off);
        if (opcode == VIRTIO_CRYPTO_AKCIPHER_VERIFY) {
            /* src = signature || digest; dst_data_len is the digest length
             * and nothing is writable besides the status. */
            r->rd_extra = rd32(flf, off + 4);
            r->order = RD_SRC_THEN_DIGEST;
        } else {
            r->dst = rd32(flf, off + 4);
            r->order = RD_SRC;
        }
        return VIRTIO_CRYPTO_OK;
    }
    default:
        return VIRTIO_CRYPTO_NOTSUPP;
    }
}

/* The per-request rules that do not depend on the chain. */
static uint8_t validate(const struct vc_dataq_ctx *ctx, const struct req *r)
{
    uint32_t svc = r->opcode >> 8;
    if (svc == VIRTIO_CRYPTO_SERVICE_CIPHER && r->dst < r->src)
        return VIRTIO_CRYPTO_ERR; /* CVE-2023-3180: output shorter than input */
    if (r->chain && (r->cipher_start + r->cipher_len > r->src ||
                     r->hash_start + r->hash_len > r->src))
        return VIRTIO_CRYPTO_ERR; /* hostile-inputs #6 */
    if ((r->chain || svc == VIRTIO_CRYPTO_SERVICE_HASH || svc == VIRTIO_CRYPTO_SERVICE_MAC) &&
        (r->digest == 0 || r->digest > VC_ENGINE_MAX_DIGEST))
        return VIRTIO_CRYPTO_ERR;
    if (r->iv > VC_ENGINE_MAX_IV)
        return VIRTIO_CRYPTO_ERR; /* hostile-inputs #5 */
    /* Inline keys get the same caps as session keys (hostile-inputs #9). */
    uint64_t k1_cap = svc == VIRTIO_CRYPTO_SERVICE_AKCIPHER ? VC_ENGINE_MAX_AKCIPHER_KEY
                      : svc == VIRTIO_CRYPTO_SERVICE_MAC    ? VC_ENGINE_MAX_AUTH_KEY
                                                            : VC_ENGINE_MAX_CIPHER_KEY;
    if (r->k1 > k1_cap || r->k2 > VC_ENGINE_MAX_AUTH_KEY)
        return VIRTIO_CRYPTO_ERR;
    /* Each term is a 32-bit guest value, so the 64-bit sum cannot wrap. */
    uint64_t sum = r->k1 + r->k2 + r->iv + r->src + r->aad + r->rd_extra + r->dst + r->digest;
    if (sum > ctx->max_size)
        return VIRTIO_CRYPTO_ERR; /* hostile-inputs #1, #10 */
    return VIRTIO_CRYPTO_OK;
}

/* Slices rd/wr into op following r's layout; off is where the vlf starts. */
static vc_result slice(const struct vc_dataq_ctx *ctx, const struct vc_sg *rd,
                       const struct vc_sg *wr, const struct req *r, uint64_t off, uint8_t *iv,
                       struct vc_iov *iv_iov, struct vc_engine_op *op)
{
    struct vc_iov *sc = ctx->scratch.iov;
    uint32_t per = ctx->scratch.per_slice;
    off += r->k1 + r->k2;
    /* The IV is small and read once into private memory. */
    GUARD(vc_sg_read(rd, off, iv, r->iv));
    vc_sg_flat(&op->iv, iv_iov, iv, (size_t)r->iv);
    off += r->iv;
    if (r->order == RD_IV_AAD_SRC) {
        GUARD(vc_sg_slice(rd, off, r->aad, sc + SL_AAD * per, per, &op->aad));
        off += r->aad;
    }
    GUARD(vc_sg_slice(rd, off, r->src, sc + SL_SRC * per, per, &op->src));
    off += r->src;
    if (r->order == RD_IV_SRC_AAD)
        GUARD(vc_sg_slice(rd, off, r->aad, sc + SL_AAD * per, per, &op->aad));
    if (r->order == RD_SRC_THEN_DIGEST)
        GUARD(vc_sg_slice(rd, off, r->rd_extra, sc + SL_DST * per, per, &op->dst));
    else
        GUARD(vc_sg_slice(wr, 0, r->dst, sc + SL_DST * per, per, &op->dst));
    GUARD(vc_sg_slice(wr, r->dst, r->digest, sc + SL_DIGEST * per, per, &op->digest));
    if (r->chain) {
        op->cipher_start = r->cipher_start;
        op->cipher_len = r->cipher_len;
        op->hash_start = r->hash_start;
        op->hash_len = r->hash_len;
    }
    return VC_OK_RESULT;
}

/* Runs r on a one-request engine session built from the inline parameters. */
static uint8_t run_stateless(const struct vc_dataq_ctx *ctx, const struct vc_sg *rd,
                             uint64_t vlf_off, struct req *r, struct vc_engine_op *op)
{
    uint8_t *keys = ctx->scratch.keys;
    uint64_t klen = r->k1 + r->k2;
    if (!vc_ok(vc_sg_read(rd, vlf_off, keys, klen)))
        return VIRTIO_CRYPTO_ERR;
    vc_sess_params_set_keys(&r->p, r->k1 ? keys : NULL, r->k2 ? keys + r->k1 : NULL);
    struct vc_engine_sess *es = NULL;
    uint8_t st = vc_engine_sess_create(ctx->engine, &r->p, &es);
    /* The engine copied what it needs: wipe our copy now. */
    OPENSSL_cleanse(keys, (size_t)klen);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    st = vc_engine_op(ctx->engine, es, ctx->worker, op);
    vc_engine_sess_destroy(ctx->engine, es);
    return st;
}

static uint8_t run(const struct vc_dataq_ctx *ctx, const struct vc_sg *rd, const struct vc_sg *wr,
                   uint64_t *written, uint64_t *src_bytes, bool *slow)
{
    uint8_t fixed[HDR_SZ + MAX_FLF];
    struct virtio_crypto_op_header h;

    if (rd->len < HDR_SZ || !vc_ok(vc_sg_read(rd, 0, fixed, HDR_SZ)))
        return VIRTIO_CRYPTO_ERR;
    memcpy(&h, fixed, HDR_SZ);
    struct req r;
    memset(&r, 0, sizeof(r));
    r.opcode = le32toh(h.opcode);
    uint32_t svc = r.opcode >> 8;
    *slow = svc == VIRTIO_CRYPTO_SERVICE_AKCIPHER;
    bool sl = ctx->revision_1 && svc < 32 && (ctx->stateless >> svc) & 1;
    uint32_t fixed_len = sl ? vc_dataq_hdr_len_stateless(r.opcode)
                            : vc_dataq_hdr_len(r.opcode, ctx->revision_1);
    if (fixed_len == 0)
        return VIRTIO_CRYPTO_NOTSUPP;
    /* Snapshot the whole fixed part once; only the copy is used below. */
    if (rd->len < fixed_len || !vc_ok(vc_sg_read(rd, HDR_SZ, fixed + HDR_SZ, fixed_len - HDR_SZ)))
        return VIRTIO_CRYPTO_ERR;
    r.stateless = sl && !(le32toh(h.flag) & VIRTIO_CRYPTO_FLAG_SESSION_MODE);
    uint8_t st = parse(r.opcode, fixed + HDR_SZ, sl, &r);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    if (!r.stateless)
        r.k1 = r.k2 = 0; /* session mode: sess_para and its keys are ignored */
    st = validate(ctx, &r);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    /* The lengths must fit in what the chain provides (CVE-2020-14374). */
    uint64_t rd_need = (uint64_t)fixed_len + r.k1 + r.k2 + r.iv + r.src + r.aad + r.rd_extra;
    uint64_t wr_need = r.dst + r.digest + 1;
    if (rd_need > rd->len || wr_need > wr->len)
        return VIRTIO_CRYPTO_ERR;

    struct vc_engine_op op = {.opcode = r.opcode};
    uint8_t iv[VC_ENGINE_MAX_IV];
    struct vc_iov iv_iov;
    if (!vc_ok(slice(ctx, rd, wr, &r, fixed_len, iv, &iv_iov, &op)))
        return VIRTIO_CRYPTO_ERR;

    if (r.stateless) {
        st = run_stateless(ctx, rd, fixed_len, &r, &op);
    } else {
        uint32_t service;
        uint64_t sid = le64toh(h.session_id);
        bool cached = ctx->cache != NULL;
        struct vc_engine_sess *es = cached
                                        ? vc_sess_get_cached(ctx->sessions, ctx->cache, sid, &service)
                                        : vc_sess_get(ctx->sessions, sid, &service);
        if (!es)
            return VIRTIO_CRYPTO_INVSESS;
        if (service != svc) {
            /* A live session of another service: the id is not valid for
             * this request (docs/STATUS.md). */
            if (!cached)
                vc_sess_put(ctx->sessions, sid);
            return VIRTIO_CRYPTO_INVSESS;
        }
        st = vc_engine_op(ctx->engine, es, ctx->worker, &op);
        if (!cached)
            vc_sess_put(ctx->sessions, sid);
    }
    *src_bytes = r.src;
    if (st == VIRTIO_CRYPTO_OK)
        *written = VC_MIN(op.dst_written, r.dst) + r.digest;
    return st;
}

void vc_dataq_idle(const struct vc_dataq_ctx *ctx)
{
    if (ctx->cache)
        vc_sess_cache_drop(ctx->sessions, ctx->cache);
}

void vc_dataq_handle(const struct vc_dataq_ctx *ctx, const struct vc_sg *rd,
                     const struct vc_sg *wr, struct vc_req_result *res, struct vc_qstats *stats)
{
    res->status = VIRTIO_CRYPTO_ERR;
    res->used_len = 0;
    res->no_status = false;
    res->flush = false;
    res->cost_bytes = 0;
    if (wr->len == 0) {
        /* Nowhere to put the inhdr: this is a ring-level error. */
        res->no_status = true;
        if (stats)
            vc_stat_add(&stats->broken, 1);
        return;
    }
    uint64_t written = 0, src_bytes = 0;
    uint8_t st = run(ctx, rd, wr, &written, &src_bytes, &res->flush);
    /* The inhdr is the last writable byte of the chain. */
    (void)vc_sg_write(wr, wr->len - 1, &st, 1).err;
    res->status = st;
    res->used_len = (uint32_t)VC_MIN(written + 1, wr->len);
    res->cost_bytes = src_bytes;
    if (stats) {
        vc_stat_add(&stats->requests, 1);
        vc_stat_add(&stats->status[st <= VIRTIO_CRYPTO_MAX_STATUS ? st : VIRTIO_CRYPTO_ERR], 1);
        vc_stat_add(&stats->bytes_in, src_bytes);
        vc_stat_add(&stats->bytes_out, written);
    }
}
