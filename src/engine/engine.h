/* Crypto engine interface: what the device runs requests on.
 *
 * An engine is a const vtable (struct vc_engine_ops) plus an instance. The
 * device layer (vcryptod, the in-process device) never calls a crypto library
 * directly: it asks an engine for its capabilities (which fill the virtio
 * config masks), creates sessions from the parameters a virtio session
 * carries, and runs one-shot operations over scatter-gather buffers.
 *
 * Status values: every session/op call returns a virtio status code
 * (VIRTIO_CRYPTO_OK, _ERR, _NOTSUPP, _BADMSG, _KEY_REJECTED, _INVSESS) exactly
 * as the spec defines them (see docs/STATUS.md). NOSPC is never returned by an
 * engine: the session table above it owns that.
 *
 * Threading: an engine instance is created for a fixed number of worker
 * threads (cfg.nworkers). Sessions are shared by all workers; each session
 * holds one set of pre-keyed contexts per worker, made at session create, so
 * vc_engine_op() with distinct worker indexes may run concurrently on the same
 * session with no locking and no allocation. Two threads must never use the
 * same worker index at the same time. Session create/destroy must not race
 * with ops on that session (the session table guarantees this).
 *
 * Memory: the symmetric op path does not allocate. Asymmetric ops may
 * allocate inside OpenSSL (PKEY operations do).
 */
#ifndef VC_ENGINE_ENGINE_H
#define VC_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/result.h"
#include "common/sg.h"
#include "vcrypto/virtio_crypto.h"

/* Largest IV any supported algorithm takes (GCM accepts long IVs; we cap). */
#define VC_ENGINE_MAX_IV 64
/* Largest digest/tag (SHA-512, or SHAKE output cap). */
#define VC_ENGINE_MAX_DIGEST 64
#define VC_ENGINE_MAX_CIPHER_KEY 64
#define VC_ENGINE_MAX_AUTH_KEY 512
#define VC_ENGINE_MAX_AKCIPHER_KEY 16384
#define VC_ENGINE_MAX_WORKERS 64

/* ---- Session parameters: everything a virtio session carries (host order). */
struct vc_cipher_params {
    uint32_t algo; /* VIRTIO_CRYPTO_CIPHER_* */
    uint32_t op;   /* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
    const uint8_t *key;
    uint32_t key_len;
};

struct vc_sess_params {
    uint32_t service; /* VIRTIO_CRYPTO_SERVICE_* */
    union {
        struct {
            uint32_t op_type; /* VIRTIO_CRYPTO_SYM_OP_CIPHER / _ALGORITHM_CHAINING */
            struct vc_cipher_params cipher;
            /* chaining only: */
            uint32_t chain_order;     /* VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_* */
            uint32_t hash_mode;       /* VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN / _AUTH */
            uint32_t hash_algo;       /* HASH id if PLAIN, MAC id if AUTH */
            uint32_t hash_result_len; /* 0 = full digest */
            const uint8_t *auth_key;  /* AUTH mode */
            uint32_t auth_key_len;
            uint32_t aad_len;
        } sym;
        struct {
            uint32_t algo;       /* VIRTIO_CRYPTO_HASH_* */
            uint32_t result_len; /* 0 = full digest; SHAKE: output length */
        } hash;
        struct {
            uint32_t algo;       /* VIRTIO_CRYPTO_MAC_* */
            uint32_t result_len; /* 0 = full tag */
            const uint8_t *key;
            uint32_t key_len;
        } mac;
        struct {
            uint32_t algo; /* VIRTIO_CRYPTO_AEAD_* */
            uint32_t op;   /* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
            const uint8_t *key;
            uint32_t key_len;
            uint32_t tag_len;
            uint32_t aad_len; /* informational; the op carries the real AAD length */
        } aead;
        struct {
            uint32_t algo;     /* VIRTIO_CRYPTO_AKCIPHER_RSA / _ECDSA */
            uint32_t key_type; /* VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC / _PRIVATE */
            const uint8_t *key; /* DER RSAPrivateKey/RSAPublicKey, RFC 5915 ECPrivateKey, ECPoint */
            uint32_t key_len;
            uint32_t rsa_padding; /* VIRTIO_CRYPTO_RSA_RAW_PADDING / _PKCS1_PADDING */
            uint32_t rsa_hash;    /* VIRTIO_CRYPTO_RSA_* hash id */
            uint32_t ecdsa_curve; /* VIRTIO_CRYPTO_CURVE_* */
        } akcipher;
    } u;
};

/* ---- One operation. Buffers are scatter-gather lists the caller owns.
 *
 * CIPHER:   iv, src -> dst (dst.len >= src.len; exactly src.len bytes written)
 * HASH/MAC: src -> digest (digest.len = session result length)
 * AEAD enc: iv, aad, src(plaintext) -> dst = ciphertext || tag
 *           (dst.len >= src.len + tag_len)
 * AEAD dec: iv, aad, src = ciphertext || tag -> dst = plaintext
 *           (src.len >= tag_len, dst.len >= src.len - tag_len). On tag
 *           mismatch: BADMSG and no plaintext is released (dst zeroed).
 * CHAIN:    iv, aad, src -> dst mirrors src (dst.len >= src.len; bytes outside
 *           the cipher region are copied), digest. The cipher runs over
 *           [cipher_start, +cipher_len) of the data; the hash over
 *           [hash_start, +hash_len) of src (HASH_THEN_CIPHER) or of dst
 *           (CIPHER_THEN_HASH, i.e. encrypt-then-MAC). AAD, when present, is
 *           hashed before the region.
 * AKCIPHER: src -> dst (enc/dec/sign; dst_written tells how much);
 *           verify: src = signature, dst = digest/message (read only);
 *           fails with KEY_REJECTED only when the signature does not verify.
 */
struct vc_engine_op {
    uint32_t opcode; /* VIRTIO_CRYPTO_CIPHER_ENCRYPT ... _AKCIPHER_VERIFY */
    struct vc_sg iv;
    struct vc_sg aad;
    struct vc_sg src;
    struct vc_sg dst;
    struct vc_sg digest;
    uint64_t cipher_start, cipher_len; /* chaining */
    uint64_t hash_start, hash_len;     /* chaining */
    uint64_t dst_written;              /* out: bytes produced in dst */
};

/* ---- Capabilities */
struct vc_algo_cap {
    uint32_t service;
    uint32_t algo;
    uint32_t key_min, key_max, key_step; /* bytes; all 0 = keyless */
    uint32_t iv_min, iv_max;             /* bytes; 0,0 = no IV */
    uint32_t out_min, out_max;           /* digest / tag length range in bytes */
    uint64_t out_mask;                   /* if non-zero: bit n set = n bytes allowed */
    uint32_t block;                      /* block size; data must be a multiple (0 = any) */
    uint32_t bits_min, bits_max;         /* AKCIPHER RSA modulus bits */
    uint32_t curves;                     /* AKCIPHER ECDSA: bit = VIRTIO_CRYPTO_CURVE_* */
};

struct vc_engine_caps {
    const struct vc_algo_cap *algos;
    uint32_t n_algos;
    /* virtio config space values derived from algos[] */
    uint32_t crypto_services;
    uint32_t cipher_algo_l, cipher_algo_h;
    uint32_t hash_algo;
    uint32_t mac_algo_l, mac_algo_h;
    uint32_t aead_algo;
    uint32_t akcipher_algo;
    uint32_t max_cipher_key_len;
    uint32_t max_auth_key_len;
    uint64_t max_size;
};

struct vc_engine_cfg {
    unsigned nworkers;     /* worker threads that will call vc_engine_op; 1..64 */
    uint64_t max_size;     /* advertised max_size; 0 = default (1 MiB) */
    uint32_t rsa_max_bits; /* 0 = default 8192 */
};

struct vc_engine;      /* instance; begins with its ops pointer */
struct vc_engine_sess; /* opaque per-engine session */

struct vc_engine_ops {
    const char *name;
    vc_result (*create)(const struct vc_engine_cfg *cfg, struct vc_engine **out);
    void (*destroy)(struct vc_engine *e);
    const struct vc_engine_caps *(*caps)(const struct vc_engine *e);
    uint8_t (*sess_create)(struct vc_engine *e, const struct vc_sess_params *p,
                           struct vc_engine_sess **out);
    void (*sess_destroy)(struct vc_engine *e, struct vc_engine_sess *s);
    uint8_t (*op)(struct vc_engine *e, struct vc_engine_sess *s, unsigned worker,
                  struct vc_engine_op *op);
};

struct vc_engine {
    const struct vc_engine_ops *ops;
};

/* The OpenSSL 3 libcrypto engine. */
extern const struct vc_engine_ops vc_engine_openssl;

/* ---- Convenience wrappers (the vtable is the contract). */

/* Creates an engine instance; *out is freed with vc_engine_destroy. */
static inline VC_RESULT vc_engine_create(const struct vc_engine_ops *ops,
                                         const struct vc_engine_cfg *cfg, struct vc_engine **out)
{
    return ops->create(cfg, out);
}

static inline void vc_engine_destroy(struct vc_engine *e)
{
    if (e)
        e->ops->destroy(e);
}

static inline const struct vc_engine_caps *vc_engine_caps(const struct vc_engine *e)
{
    return e->ops->caps(e);
}

/* Creates a session. Returns VIRTIO_CRYPTO_OK and sets *out, or a status
 * (NOTSUPP for an algorithm/mode the engine lacks, ERR for bad parameters).
 * Key bytes are copied; the caller may wipe its copy right after. */
static inline uint8_t vc_engine_sess_create(struct vc_engine *e, const struct vc_sess_params *p,
                                            struct vc_engine_sess **out)
{
    return e->ops->sess_create(e, p, out);
}

/* Destroys a session and wipes its key material. NULL is ignored. */
static inline void vc_engine_sess_destroy(struct vc_engine *e, struct vc_engine_sess *s)
{
    if (s)
        e->ops->sess_destroy(e, s);
}

/* Runs one operation; returns its virtio status. worker < cfg.nworkers. */
static inline uint8_t vc_engine_op(struct vc_engine *e, struct vc_engine_sess *s, unsigned worker,
                                   struct vc_engine_op *op)
{
    return e->ops->op(e, s, worker, op);
}

/* Looks up the capability entry for (service, algo) in caps, or NULL. */
const struct vc_algo_cap *vc_engine_find_cap(const struct vc_engine_caps *caps, uint32_t service,
                                             uint32_t algo);

/* Points the key fields of p (per p->service) at k1 (cipher / MAC / AEAD /
 * AKCIPHER key) and k2 (chaining auth key). Used by request parsers that
 * read keys after the parameters. */
void vc_sess_params_set_keys(struct vc_sess_params *p, const uint8_t *k1, const uint8_t *k2);

/* Fills the config-space fields of caps from caps->algos[]. */
void vc_engine_caps_derive(struct vc_engine_caps *caps);

#endif
