/* The OpenSSL 3 engine: vtable, capability list, session and op dispatch.
 *
 * IMPLEMENTATION NOTES
 * A session is a tagged union of one state object (sym.h / akcipher.h).
 * The dispatch checks, in this order and before any crypto:
 *   1. session and worker index (INVSESS for no session, ERR for a worker
 *      index out of range);
 *   2. the opcode: one the spec does not define for the data queue (or an
 *      IPsec one) is NOTSUPP;
 *   3. a defined data opcode of another service is ERR, and so is a
 *      request above max_size (iv + aad + src + dst + digest, summed
 *      without wrapping; the config field is "the maximum size of the
 *      variable-length parameters");
 *   4. a direction that differs from the session's (CIPHER_DECRYPT on an
 *      encrypt session, AEAD and chains likewise) is ERR, because the
 *      contexts are keyed for one direction at session create.
 * Each service then validates its own lengths before writing anything.
 * Status meanings follow the spec (docs/STATUS.md).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "engine/openssl/akcipher.h"
#include "engine/openssl/sym.h"
#include "vcrypto/err.h"

#define DEFAULT_MAX_SIZE (UINT64_C(1) << 20)
#define DEFAULT_RSA_BITS 8192

struct ossl_engine {
    struct vc_engine base; /* first: struct vc_engine * casts to us */
    unsigned nworkers;
    uint64_t max_size;
    uint32_t rsa_max_bits;
    struct vc_engine_caps caps;
    struct vc_algo_cap *algos;
};

enum sess_kind { S_CIPHER, S_CHAIN, S_AUTH, S_AEAD, S_AK };

struct vc_engine_sess {
    enum sess_kind kind;
    uint32_t service;
    uint32_t dir; /* CIPHER, CHAIN, AEAD: the direction the contexts are keyed for */
    union {
        struct vc__ossl_cipher *cipher;
        struct vc__ossl_chain *chain;
        struct vc__ossl_auth *auth;
        struct vc__ossl_aead *aead;
        struct vc__ossl_ak *ak;
    } u;
};

static struct ossl_engine *eng(struct vc_engine *e)
{
    return (struct ossl_engine *)e;
}

static void ossl_destroy(struct vc_engine *e)
{
    if (e == NULL)
        return;
    OPENSSL_free(eng(e)->algos);
    OPENSSL_free(e);
}

static vc_result ossl_create(const struct vc_engine_cfg *cfg, struct vc_engine **out)
{
    ENSURE(cfg != NULL && out != NULL, VC_EINVAL);
    ENSURE(cfg->nworkers >= 1 && cfg->nworkers <= VC_ENGINE_MAX_WORKERS, VC_EINVAL);
    struct ossl_engine *e = OPENSSL_zalloc(sizeof *e);
    ENSURE(e != NULL, VC_ENOMEM);
    e->base.ops = &vc_engine_openssl;
    e->nworkers = cfg->nworkers;
    e->max_size = cfg->max_size ? cfg->max_size : DEFAULT_MAX_SIZE;
    e->rsa_max_bits = cfg->rsa_max_bits ? cfg->rsa_max_bits : DEFAULT_RSA_BITS;

    uint32_t n = vc__ossl_nalgs + vc__ossl_ak_ncaps;
    e->algos = OPENSSL_zalloc(n * sizeof e->algos[0]);
    if (e->algos == NULL) {
        OPENSSL_free(e);
        BAIL(VC_ENOMEM);
    }
    for (uint32_t i = 0; i < vc__ossl_nalgs; i++)
        e->algos[i] = vc__ossl_algs[i].cap;
    memcpy(e->algos + vc__ossl_nalgs, vc__ossl_ak_caps, vc__ossl_ak_ncaps * sizeof e->algos[0]);
    e->caps.algos = e->algos;
    e->caps.n_algos = n;
    vc_engine_caps_derive(&e->caps);
    e->caps.max_size = e->max_size;
    *out = &e->base;
    return VC_OK_RESULT;
}

static const struct vc_engine_caps *ossl_caps(const struct vc_engine *e)
{
    return &((const struct ossl_engine *)e)->caps;
}

/* \devicenormative{Device Types / Crypto Device / Device Operation /
 * Session operation / Session operation: create session}: "the device MUST
 * set the status field to one of the following values: VIRTIO_CRYPTO_OK
 * ..., VIRTIO_CRYPTO_NOTSUPP if the requested algorithm or service is
 * unsupported, ... VIRTIO_CRYPTO_ERR if failure not mentioned above
 * occurs." Key lengths are capped before any byte is read (CVE-2020-10724
 * class); each *_new checks the exact length for its algorithm. */
static uint8_t ossl_sess_create(struct vc_engine *ve, const struct vc_sess_params *p,
                                struct vc_engine_sess **out)
{
    struct ossl_engine *e = eng(ve);
    uint8_t st;

    if (p == NULL || out == NULL)
        return VIRTIO_CRYPTO_ERR;
    *out = NULL;
    struct vc_engine_sess *s = OPENSSL_zalloc(sizeof *s);
    if (s == NULL)
        return VIRTIO_CRYPTO_ERR;
    s->service = p->service;
    switch (p->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        if (p->u.sym.cipher.key_len > VC_ENGINE_MAX_CIPHER_KEY ||
            p->u.sym.auth_key_len > VC_ENGINE_MAX_AUTH_KEY) {
            st = VIRTIO_CRYPTO_ERR;
        } else if (p->u.sym.op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER) {
            s->kind = S_CIPHER;
            const struct vc_cipher_params *c = &p->u.sym.cipher;
            st = vc__ossl_cipher_new(c->algo, c->op, c->key, c->key_len, e->nworkers,
                                     &s->u.cipher);
        } else if (p->u.sym.op_type == VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING) {
            s->kind = S_CHAIN;
            st = vc__ossl_chain_new(p, e->nworkers, &s->u.chain);
        } else {
            /* op_type NONE (and anything undefined): hostile-inputs #19. */
            st = VIRTIO_CRYPTO_NOTSUPP;
        }
        break;
    case VIRTIO_CRYPTO_SERVICE_HASH:
        s->kind = S_AUTH;
        st = vc__ossl_auth_new(p->service, p->u.hash.algo, p->u.hash.result_len, NULL, 0,
                               e->nworkers, false, &s->u.auth);
        break;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        s->kind = S_AUTH;
        st = p->u.mac.key_len > VC_ENGINE_MAX_AUTH_KEY
                 ? VIRTIO_CRYPTO_ERR
                 : vc__ossl_auth_new(p->service, p->u.mac.algo, p->u.mac.result_len,
                                     p->u.mac.key, p->u.mac.key_len, e->nworkers, false,
                                     &s->u.auth);
        break;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        s->kind = S_AEAD;
        st = p->u.aead.key_len > VC_ENGINE_MAX_CIPHER_KEY
                 ? VIRTIO_CRYPTO_ERR
                 : vc__ossl_aead_new(p, e->nworkers, e->max_size, &s->u.aead);
        break;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        s->kind = S_AK;
        st = p->u.akcipher.key_len > VC_ENGINE_MAX_AKCIPHER_KEY
                 ? VIRTIO_CRYPTO_ERR
                 : vc__ossl_ak_create(p, e->rsa_max_bits, e->nworkers, &s->u.ak);
        break;
    default:
        st = VIRTIO_CRYPTO_NOTSUPP;
        break;
    }
    if (st != VIRTIO_CRYPTO_OK) {
        OPENSSL_free(s);
        return st;
    }
    /* Cached so that the op dispatch needs no call to find it. */
    if (s->kind == S_CIPHER)
        s->dir = vc__ossl_cipher_dir(s->u.cipher);
    else if (s->kind == S_CHAIN)
        s->dir = vc__ossl_chain_dir(s->u.chain);
    else if (s->kind == S_AEAD)
        s->dir = vc__ossl_aead_dir(s->u.aead);
    *out = s;
    return VIRTIO_CRYPTO_OK;
}

static void ossl_sess_destroy(struct vc_engine *e, struct vc_engine_sess *s)
{
    if (s == NULL)
        return;
    switch (s->kind) {
    case S_CIPHER:
        vc__ossl_cipher_free(s->u.cipher);
        break;
    case S_CHAIN:
        vc__ossl_chain_free(s->u.chain);
        break;
    case S_AUTH:
        vc__ossl_auth_free(s->u.auth);
        break;
    case S_AEAD:
        vc__ossl_aead_free(s->u.aead);
        break;
    case S_AK:
        vc__ossl_ak_free(s->u.ak);
        break;
    default:
        break;
    }
    OPENSSL_free(s);
}

/* True if the variable-length parts fit in max (the sum may not wrap:
 * CVE-2017-5931 is the wrapped version). Subtracting from what is left
 * checks that without an overflow test per addition. */
static bool within_max(const struct vc_engine_op *op, uint64_t max)
{
    uint64_t left = max;
    if (op->iv.len > left)
        return false;
    left -= op->iv.len;
    if (op->aad.len > left)
        return false;
    left -= op->aad.len;
    if (op->src.len > left)
        return false;
    left -= op->src.len;
    if (op->dst.len > left)
        return false;
    left -= op->dst.len;
    return op->digest.len <= left;
}

/* The order of the checks is the one in the notes at the top. */
static uint8_t ossl_op(struct vc_engine *ve, struct vc_engine_sess *s, unsigned worker,
                       struct vc_engine_op *op)
{
    struct ossl_engine *e = eng(ve);
    uint32_t dir = VIRTIO_CRYPTO_OP_ENCRYPT;

    if (s == NULL)
        return VIRTIO_CRYPTO_INVSESS;
    if (op == NULL || worker >= e->nworkers)
        return VIRTIO_CRYPTO_ERR;
    op->dst_written = 0;
    /* The data opcodes the spec defines (the service is the high byte),
     * and the direction of those that have one. */
    switch (op->opcode) {
    case VIRTIO_CRYPTO_CIPHER_DECRYPT:
    case VIRTIO_CRYPTO_AEAD_DECRYPT:
        dir = VIRTIO_CRYPTO_OP_DECRYPT;
        break;
    case VIRTIO_CRYPTO_CIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_AEAD_ENCRYPT:
    case VIRTIO_CRYPTO_HASH:
    case VIRTIO_CRYPTO_MAC:
    case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_DECRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_SIGN:
    case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
        break;
    default:
        return VIRTIO_CRYPTO_NOTSUPP;
    }
    if ((op->opcode >> 8) != s->service || !within_max(op, e->max_size))
        return VIRTIO_CRYPTO_ERR;

    switch (s->kind) {
    case S_CIPHER:
        return dir != s->dir ? VIRTIO_CRYPTO_ERR : vc__ossl_cipher_op(s->u.cipher, worker, op);
    case S_CHAIN:
        return dir != s->dir ? VIRTIO_CRYPTO_ERR : vc__ossl_chain_run(s->u.chain, worker, op);
    case S_AUTH:
        return vc__ossl_auth_op(s->u.auth, worker, op);
    case S_AEAD:
        return dir != s->dir ? VIRTIO_CRYPTO_ERR : vc__ossl_aead_run(s->u.aead, worker, op);
    case S_AK:
        return vc__ossl_ak_op(s->u.ak, worker, op);
    default:
        return VIRTIO_CRYPTO_ERR;
    }
}

const struct vc_engine_ops vc_engine_openssl = {
    .name = "openssl",
    .create = ossl_create,
    .destroy = ossl_destroy,
    .caps = ossl_caps,
    .sess_create = ossl_sess_create,
    .sess_destroy = ossl_sess_destroy,
    .op = ossl_op,
};
