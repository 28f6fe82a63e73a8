/* Internal to the OpenSSL akcipher half: what akcipher.c, akcipher_der.c,
 * akcipher_rsa.c and akcipher_ecdsa.c share. Nothing outside
 * src/engine/openssl/akcipher*.c includes this.
 *
 * Ownership: a struct vc__ossl_ak owns its EVP_PKEY and EVP_MD; the key
 * parsers below never keep a copy of the guest's DER bytes (they read them in
 * place and hand the numbers to OpenSSL), so the only key material the
 * session holds lives inside the EVP_PKEY, which OpenSSL clears on free.
 *
 * Threading: after create returns, the shared part of a session (the
 * EVP_PKEY and the parameters) is read-only. Each worker index owns one
 * EVP_PKEY_CTX per op kind in s->w[worker], made on that worker's first op
 * of the kind and reused after (engine.h: one thread per worker index at a
 * time), so workers never share a context and need no lock. OpenSSL
 * documents EVP_PKEY as safe for concurrent read-only use; RSA blinding and
 * Montgomery caches are locked inside libcrypto.
 */
#ifndef VC_ENGINE_OSSL_AKCIPHER_INT_H
#define VC_ENGINE_OSSL_AKCIPHER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/params.h>

#include "engine/openssl/akcipher.h"

/* Hard ceiling for the RSA modulus whatever cfg.rsa_max_bits says, and the
 * size of the per-op stack buffers (one modulus). */
#define VC__AK_RSA_MAX_BITS 8192u
#define VC__AK_RSA_MIN_BITS 1024u
#define VC__AK_MAX_BYTES (VC__AK_RSA_MAX_BITS / 8)

/* Op kinds that get their own initialised context per worker. */
enum vc__ak_kind { VC__AK_ENC, VC__AK_DEC, VC__AK_SIGN, VC__AK_VERIFY, VC__AK_NKINDS };

/* Sets up a fresh context for one op kind (EVP_PKEY_*_init plus padding and
 * digest parameters). Returns 0 or -1. */
typedef int (*vc__ak_setup_fn)(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c);

struct vc__ossl_ak {
    uint32_t algo;     /* VIRTIO_CRYPTO_AKCIPHER_RSA / _ECDSA */
    int priv;          /* 1 = private-key session (may do all ops) */
    unsigned nworkers; /* op() rejects worker >= nworkers */
    EVP_PKEY *pkey;    /* owned; read-only after create */
    /* RSA */
    uint32_t padding; /* VIRTIO_CRYPTO_RSA_RAW_PADDING / _PKCS1_PADDING */
    uint32_t hash;    /* VIRTIO_CRYPTO_RSA_* */
    EVP_MD *md;       /* owned; NULL for NO_HASH */
    size_t md_len;    /* digest length of md */
    size_t k;         /* modulus length in bytes */
    /* ECDSA */
    uint32_t curve;   /* VIRTIO_CRYPTO_CURVE_* */
    size_t sig_max;   /* largest DER Ecdsa-Sig-Value for the curve */
    /* Per worker, per op kind: NULL until first use; freed with the
     * session. Only worker w's op touches w[w]. */
    struct {
        EVP_PKEY_CTX *ctx[VC__AK_NKINDS];
    } w[];
};

/* ---- Strict DER reader (akcipher_der.c). Reads in place from a caller
 * buffer; never allocates. Accepts only definite, minimally encoded lengths
 * (X.690 §10.1) and single-byte tags. */
struct vc__der {
    const uint8_t *p;
    size_t len;
};

/* Reads one TLV with tag `tag` from d; on success *out covers its contents
 * and d advances past it. Returns 0, or -1 (d unchanged) on a different tag,
 * a bad length or a length past the end. */
int vc__der_take(struct vc__der *d, uint8_t tag, struct vc__der *out);
/* Reads an INTEGER that must be non-negative and minimally encoded; *out is
 * its magnitude without the sign octet (may be empty for zero). */
int vc__der_uint(struct vc__der *d, struct vc__der *out);

#define VC__DER_INTEGER 0x02
#define VC__DER_BIT_STRING 0x03
#define VC__DER_OCTET_STRING 0x04
#define VC__DER_OID 0x06
#define VC__DER_SEQUENCE 0x30
#define VC__DER_CTX0 0xa0
#define VC__DER_CTX1 0xa1

/* ---- Per-algorithm halves. create functions fill s (already zeroed, algo,
 * priv and nworkers set) and return a virtio status; on failure the caller
 * frees s with vc__ossl_ak_free. op functions return a virtio status and set
 * op->dst_written. */
uint8_t vc__ak_rsa_create(struct vc__ossl_ak *s, const struct vc_sess_params *p,
                          uint32_t max_bits);
uint8_t vc__ak_rsa_op(struct vc__ossl_ak *s, unsigned worker, struct vc_engine_op *op);
uint8_t vc__ak_ecdsa_create(struct vc__ossl_ak *s, const struct vc_sess_params *p);
uint8_t vc__ak_ecdsa_op(struct vc__ossl_ak *s, unsigned worker, struct vc_engine_op *op);

/* Worker `worker`'s context for op kind k, made from s->pkey and set up with
 * setup on first use (allocates then; later calls do not). NULL if OpenSSL
 * fails; nothing is cached then. The caller owns nothing: the session frees
 * it, or vc__ak_ctx_drop does. */
EVP_PKEY_CTX *vc__ak_ctx(struct vc__ossl_ak *s, unsigned worker, enum vc__ak_kind k,
                         vc__ak_setup_fn setup);
/* Frees worker `worker`'s context for k so the next op builds a fresh one.
 * Called after an OpenSSL failure that might leave the context in a state
 * we do not want to reason about (a mismatching verify is not one). */
void vc__ak_ctx_drop(struct vc__ossl_ak *s, unsigned worker, enum vc__ak_kind k);

/* Wipes every value of an OSSL_PARAM array built by OSSL_PARAM_BLD (which
 * may hold private key numbers) and frees it. NULL is ignored. OpenSSL 3.0
 * has no OSSL_PARAM_clear_free. */
void vc__ak_params_free(OSSL_PARAM *params);

/* Copies all of sg into buf (cap bytes). Returns 0, or -1 if sg.len > cap. */
int vc__ak_gather(const struct vc_sg *sg, uint8_t *buf, size_t cap);

/* The common tail of RSA and ECDSA sign: takes worker w's SIGN context
 * (built with setup), signs tbs into sig (cap bytes), checks the signature
 * length lies in [min_len, max_len] and writes it to op->dst, setting
 * dst_written. A failed sign drops the context so the next op rebuilds it.
 * Returns OK or ERR. */
uint8_t vc__ak_sign(struct vc__ossl_ak *s, unsigned w, vc__ak_setup_fn setup, const uint8_t *tbs,
                    size_t tbslen, uint8_t *sig, size_t cap, size_t min_len, size_t max_len,
                    struct vc_engine_op *op);

#endif
