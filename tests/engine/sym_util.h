/* Helpers shared by the engine unit tests: hex buffers, scatter-gather
 * lists cut at odd piece sizes, session parameters from a KAT row. */
#ifndef VC_TESTS_ENGINE_SYM_UTIL_H
#define VC_TESTS_ENGINE_SYM_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "sym_vectors.h"
#include "test.h"

#define T_MAXIOV 1024

/* An sg over a caller buffer. */
struct t_sg {
    struct vc_iov iov[T_MAXIOV];
    struct vc_sg sg;
};

/* Odd piece sizes: every block-straddling case the engine must handle. */
static const size_t t_pat_odd[] = {1, 3, 15, 17, 2, 31, 16, 5};
static const size_t t_pat_one[] = {1};

static inline void t_sg_split(struct t_sg *s, uint8_t *buf, size_t len, const size_t *pat,
                              size_t npat)
{
    uint32_t n = 0;
    size_t off = 0, i = 0;
    while (off < len && n < T_MAXIOV - 1) {
        size_t take = pat[i++ % npat];
        if (take > len - off)
            take = len - off;
        s->iov[n++] = (struct vc_iov){buf + off, take};
        off += take;
        /* an empty piece now and then: the engine must skip it */
        if (n % 5 == 0 && n < T_MAXIOV - 1)
            s->iov[n++] = (struct vc_iov){buf + off, 0};
    }
    if (off < len)
        s->iov[n++] = (struct vc_iov){buf + off, len - off};
    vc_sg_init(&s->sg, s->iov, n);
}

static inline void t_sg_flat(struct t_sg *s, uint8_t *buf, size_t len)
{
    vc_sg_flat(&s->sg, s->iov, buf, len);
}

static inline void t_sg_empty(struct t_sg *s)
{
    vc_sg_init(&s->sg, s->iov, 0);
}

/* Heap copy of a hex string (never NULL; at least 1 byte allocated). */
static inline uint8_t *t_hex(const char *h, size_t *len)
{
    size_t n = strlen(h) / 2;
    uint8_t *b = malloc(n + 1);
    if (b == NULL || t_unhex(h, b, n) != (long)n)
        abort();
    *len = n;
    return b;
}

static inline struct vc_engine *t_engine(unsigned nworkers, uint64_t max_size)
{
    struct vc_engine_cfg cfg = {.nworkers = nworkers, .max_size = max_size};
    struct vc_engine *e = NULL;
    if (!vc_ok(vc_engine_create(&vc_engine_openssl, &cfg, &e)))
        return NULL;
    return e;
}

/* Session parameters for a plain cipher session. */
static inline struct vc_sess_params t_cipher_params(uint32_t algo, uint32_t dir, const uint8_t *key,
                                                    uint32_t key_len)
{
    struct vc_sess_params p;
    memset(&p, 0, sizeof p);
    p.service = VIRTIO_CRYPTO_SERVICE_CIPHER;
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
    p.u.sym.cipher = (struct vc_cipher_params){algo, dir, key, key_len};
    return p;
}

static inline struct vc_sess_params t_hash_params(uint32_t algo, uint32_t result_len)
{
    struct vc_sess_params p;
    memset(&p, 0, sizeof p);
    p.service = VIRTIO_CRYPTO_SERVICE_HASH;
    p.u.hash.algo = algo;
    p.u.hash.result_len = result_len;
    return p;
}

static inline struct vc_sess_params t_mac_params(uint32_t algo, uint32_t result_len,
                                                 const uint8_t *key, uint32_t key_len)
{
    struct vc_sess_params p;
    memset(&p, 0, sizeof p);
    p.service = VIRTIO_CRYPTO_SERVICE_MAC;
    p.u.mac.algo = algo;
    p.u.mac.result_len = result_len;
    p.u.mac.key = key;
    p.u.mac.key_len = key_len;
    return p;
}

static inline struct vc_sess_params t_aead_params(uint32_t algo, uint32_t dir, const uint8_t *key,
                                                  uint32_t key_len, uint32_t tag_len)
{
    struct vc_sess_params p;
    memset(&p, 0, sizeof p);
    p.service = VIRTIO_CRYPTO_SERVICE_AEAD;
    p.u.aead.algo = algo;
    p.u.aead.op = dir;
    p.u.aead.key = key;
    p.u.aead.key_len = key_len;
    p.u.aead.tag_len = tag_len;
    return p;
}

static inline struct vc_sess_params t_chain_params(uint32_t calgo, uint32_t dir,
                                                   const uint8_t *ckey, uint32_t ckey_len,
                                                   uint32_t order, uint32_t mode, uint32_t halgo,
                                                   uint32_t hlen, const uint8_t *akey,
                                                   uint32_t akey_len)
{
    struct vc_sess_params p = t_cipher_params(calgo, dir, ckey, ckey_len);
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
    p.u.sym.chain_order = order;
    p.u.sym.hash_mode = mode;
    p.u.sym.hash_algo = halgo;
    p.u.sym.hash_result_len = hlen;
    p.u.sym.auth_key = akey;
    p.u.sym.auth_key_len = akey_len;
    return p;
}

/* Builds an op from sgs (any may be NULL = empty). */
static inline struct vc_engine_op t_op(uint32_t opcode, struct t_sg *iv, struct t_sg *aad,
                                       struct t_sg *src, struct t_sg *dst, struct t_sg *digest)
{
    struct vc_engine_op op;
    memset(&op, 0, sizeof op);
    op.opcode = opcode;
    if (iv)
        op.iv = iv->sg;
    if (aad)
        op.aad = aad->sg;
    if (src)
        op.src = src->sg;
    if (dst)
        op.dst = dst->sg;
    if (digest)
        op.digest = digest->sg;
    return op;
}

static inline int t_all(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

#endif
