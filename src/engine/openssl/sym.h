/* Internal: the OpenSSL engine's symmetric half (cipher, hash, MAC, AEAD,
 * algorithm chaining) and the scatter-gather helpers it streams with.
 *
 * Layout: algos.c holds the one table of supported algorithms (capabilities
 * plus the OpenSSL names); cipher.c, auth.c and aead.c each own one kind of
 * per-session state; chain.c composes cipher + auth; sgio.c walks sg ranges;
 * engine.c is the vtable and the dispatch.
 *
 * Ownership: every *_new() returns a heap object the caller frees with the
 * matching *_free(), which wipes key material (OPENSSL_cleanse) and is
 * NULL-safe. Objects hold one pre-keyed OpenSSL context per worker, made at
 * create time; *_run() with worker w touches only worker w's contexts and
 * scratch, so different workers may run on one object concurrently (see
 * engine.h). Nothing on the *_run() paths allocates, except inside OpenSSL
 * 3.0's EVP_DigestInit (docs/ENGINE.md "Allocation").
 *
 * Errors: every function returning uint8_t returns a virtio status
 * (VIRTIO_CRYPTO_OK/ERR/NOTSUPP/BADMSG). *_new() functions validate their
 * parameters against the algorithm table before touching the key.
 */
#ifndef VC_ENGINE_OSSL_SYM_H
#define VC_ENGINE_OSSL_SYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Multi-piece CCM/XTS data must be gathered into one buffer (OpenSSL takes
 * those in a single call); this is the per-worker cap for that case. */
#define VC_OSSL_SCRATCH (64u * 1024u)

/* ---- Algorithm table (algos.c) */

enum vc__ossl_kind {
    VC_K_CIPHER,   /* EVP block/stream cipher: ECB, CBC, CTR */
    VC_K_XTS,      /* AES-XTS: one EVP call per data unit */
    VC_K_3DES_CTR, /* built on DES-EDE3-ECB */
    VC_K_MD,       /* EVP digest */
    VC_K_XOF,      /* SHAKE */
    VC_K_HMAC,     /* EVP_MAC HMAC; names[0] = digest */
    VC_K_CMAC,     /* EVP_MAC CMAC; names = CBC ciphers */
    VC_K_GMAC,     /* GCM with AAD only; names = GCM ciphers */
    VC_K_CBCMAC,   /* on AES-CBC, zero IV; names = CBC ciphers */
    VC_K_XCBC,     /* RFC 3566 on AES-128-CBC */
    VC_K_GCM,
    VC_K_CCM,
    VC_K_CHACHA,
};

struct vc__ossl_alg {
    struct vc_algo_cap cap;
    enum vc__ossl_kind kind;
    uint32_t full;        /* HASH/MAC: full digest/tag length */
    const char *names[3]; /* OpenSSL name per key size index (vc__ossl_key_index) */
};

/* Looks up (service, algo) in the table; NULL if unsupported. */
const struct vc__ossl_alg *vc__ossl_alg_find(uint32_t service, uint32_t algo);
/* The table itself (for the capability list). */
extern const struct vc__ossl_alg vc__ossl_algs[];
extern const uint32_t vc__ossl_nalgs;

/* Returns the names[] index for key_len, or -1 if key_len is not allowed by
 * a->cap (range and step). A key index with a NULL name is also -1. */
int vc__ossl_key_index(const struct vc__ossl_alg *a, uint32_t key_len);
/* True if n is an allowed digest/tag length for a (out_mask or range). */
bool vc__ossl_out_ok(const struct vc__ossl_alg *a, uint32_t n);

/* ---- Scatter-gather ranges (sgio.c)
 *
 * A range cursor walks bytes [off, off+len) of an sg. Callers check the
 * range with vc__range_ok first; the cursor never reads outside it. */
struct vc__rcur {
    const struct vc_sg *sg;
    uint32_t idx;
    size_t off;
    uint64_t left;
};

bool vc__range_ok(const struct vc_sg *sg, uint64_t off, uint64_t len);
void vc__rcur_init(struct vc__rcur *c, const struct vc_sg *sg, uint64_t off, uint64_t len);

/* Current contiguous piece (skipping empty ones) without advancing; 0 when
 * done. Inline: it runs once or twice per sg piece on the hot path. */
static inline size_t vc__rcur_peek(struct vc__rcur *c, uint8_t **p)
{
    while (c->left > 0 && c->idx < c->sg->cnt && c->off >= c->sg->iov[c->idx].len) {
        c->idx++;
        c->off = 0;
    }
    if (c->left == 0 || c->idx >= c->sg->cnt)
        return 0;
    size_t take = c->sg->iov[c->idx].len - c->off;
    if (take > c->left)
        take = (size_t)c->left;
    *p = c->sg->iov[c->idx].base + c->off;
    return take;
}

/* Advances by n <= the last peek. */
static inline void vc__rcur_skip(struct vc__rcur *c, size_t n)
{
    c->off += n;
    c->left -= n;
}

/* Next contiguous piece of at most max bytes (0 = no cap); 0 when done. */
static inline size_t vc__rcur_next(struct vc__rcur *c, uint8_t **p, size_t max)
{
    size_t take = vc__rcur_peek(c, p);
    if (max != 0 && take > max)
        take = max;
    vc__rcur_skip(c, take);
    return take;
}

/* Fast-path test: a pointer to bytes [0, len) of sg when they all sit in its
 * first piece (the common single-descriptor case), else NULL. len must be
 * <= sg->len; a len of 0 may give either answer. Lets the hot paths skip a
 * cursor walk or a copy through a stack buffer. */
static inline uint8_t *vc__sg_head(const struct vc_sg *sg, uint64_t len)
{
    return sg->cnt > 0 && sg->iov[0].len >= len ? sg->iov[0].base : NULL;
}

/* Copy n bytes out of / into the cursor, advancing. Return false if fewer
 * than n bytes are left (nothing sensible was done then). */
bool vc__rcur_read(struct vc__rcur *c, uint8_t *dst, size_t n);
bool vc__rcur_write(struct vc__rcur *c, const uint8_t *src, size_t n);
/* Copies len bytes from src[soff..] to dst[doff..]; ranges already checked.
 * Identical source and destination memory (in place) is allowed. */
void vc__sg_copy(const struct vc_sg *dst, uint64_t doff, const struct vc_sg *src, uint64_t soff,
                 uint64_t len);

/* Runs every byte of src through an initialised EVP cipher context into
 * dst (src->left bytes; dst may have more room left, which stays
 * unwritten and where dst's cursor ends up), one EVP_CipherUpdate per piece
 * (just one when src and dst each take it in one piece). block is the output
 * granularity (cipher block for ECB/CBC without padding, 1 for stream
 * modes); output blocks that straddle dst pieces go through a bounce
 * buffer. Returns false on any OpenSSL failure or unexpected output size. */
bool vc__ossl_stream(void *evp_cipher_ctx, unsigned block, struct vc__rcur *src,
                     struct vc__rcur *dst);

/* Contiguous view of bytes [off, off+len) of sg: a pointer into the sg if
 * they sit in one piece, else a copy in *scr (which advances; *scr_left
 * shrinks). NULL if the copy does not fit. len 0 gives a non-NULL pointer. */
uint8_t *vc__contig(const struct vc_sg *sg, uint64_t off, uint64_t len, uint8_t **scr,
                    size_t *scr_left);

/* ---- Cipher (cipher.c) */
struct vc__ossl_cipher;

/* dir: VIRTIO_CRYPTO_OP_ENCRYPT/_DECRYPT. NOTSUPP for unknown algorithms,
 * ERR for bad key length, equal XTS halves or a bad direction. */
uint8_t vc__ossl_cipher_new(uint32_t algo, uint32_t dir, const uint8_t *key, uint32_t key_len,
                            unsigned nworkers, struct vc__ossl_cipher **out);
void vc__ossl_cipher_free(struct vc__ossl_cipher *c);
uint32_t vc__ossl_cipher_dir(const struct vc__ossl_cipher *c);
/* Checks iv length and data length rules without running anything. */
uint8_t vc__ossl_cipher_check(const struct vc__ossl_cipher *c, uint64_t iv_len, uint64_t len);
/* Ciphers src[soff, +len) into dst[doff, +len); ranges already checked and
 * vc__ossl_cipher_check passed. */
uint8_t vc__ossl_cipher_run(struct vc__ossl_cipher *c, unsigned w, const struct vc_sg *iv,
                            const struct vc_sg *src, uint64_t soff, const struct vc_sg *dst,
                            uint64_t doff, uint64_t len);

/* ---- Hash and MAC (auth.c) */
struct vc__ossl_auth;

/* service: VIRTIO_CRYPTO_SERVICE_HASH or _MAC; result_len 0 = full. chained
 * rejects algorithms that cannot run inside a chain (GMAC needs its own IV:
 * NOTSUPP). */
uint8_t vc__ossl_auth_new(uint32_t service, uint32_t algo, uint32_t result_len, const uint8_t *key,
                          uint32_t key_len, unsigned nworkers, bool chained,
                          struct vc__ossl_auth **out);
void vc__ossl_auth_free(struct vc__ossl_auth *a);
uint32_t vc__ossl_auth_len(const struct vc__ossl_auth *a);
/* Checks iv/total-length rules (GMAC IV, CBC-MAC block multiple). */
uint8_t vc__ossl_auth_check(const struct vc__ossl_auth *a, uint64_t iv_len, uint64_t total);
/* Hashes aad (may be NULL) then data[off, +len) into out[0, auth_len):
 * exactly vc__ossl_auth_len(a) bytes are written (out may point into guest
 * memory of just that size). */
uint8_t vc__ossl_auth_run(struct vc__ossl_auth *a, unsigned w, const struct vc_sg *iv,
                          const struct vc_sg *aad, const struct vc_sg *data, uint64_t off,
                          uint64_t len, uint8_t *out);

/* ---- AEAD (aead.c) */
struct vc__ossl_aead;

uint8_t vc__ossl_aead_new(const struct vc_sess_params *p, unsigned nworkers, uint64_t max_size,
                          struct vc__ossl_aead **out);
void vc__ossl_aead_free(struct vc__ossl_aead *a);
uint32_t vc__ossl_aead_dir(const struct vc__ossl_aead *a);
/* Runs an AEAD_ENCRYPT/_DECRYPT op matching the session direction. */
uint8_t vc__ossl_aead_run(struct vc__ossl_aead *a, unsigned w, struct vc_engine_op *op);

/* ---- Algorithm chaining (chain.c) */
struct vc__ossl_chain;

uint8_t vc__ossl_chain_new(const struct vc_sess_params *p, unsigned nworkers,
                           struct vc__ossl_chain **out);
void vc__ossl_chain_free(struct vc__ossl_chain *ch);
uint32_t vc__ossl_chain_dir(const struct vc__ossl_chain *ch);
uint8_t vc__ossl_chain_run(struct vc__ossl_chain *ch, unsigned w, struct vc_engine_op *op);

/* Plain cipher op (CIPHER service, op_type CIPHER): validates and runs. */
uint8_t vc__ossl_cipher_op(struct vc__ossl_cipher *c, unsigned w, struct vc_engine_op *op);
/* HASH or MAC service op. */
uint8_t vc__ossl_auth_op(struct vc__ossl_auth *a, unsigned w, struct vc_engine_op *op);

#endif
