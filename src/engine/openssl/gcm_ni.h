/* Internal: the AES-GCM fast path of the OpenSSL engine.
 *
 * What it is: OpenSSL's own GCM mode layer (CRYPTO_gcm128_*, public in
 * <openssl/modes.h>, which brings OpenSSL's CLMUL/AVX GHASH) driven by an
 * AES-NI block and CTR32 core of ours (aes_ni.c) instead of an EVP context.
 * The EVP route spends most of a small message in parameter plumbing
 * (OSSL_PARAM lookups for the IV, the tag, the IV length); this route does
 * only the cryptography. docs/ENGINE.md "AES-GCM fast path" has the numbers.
 *
 * When: AES-128 and AES-256 keys on a CPU with AES-NI, PCLMULQDQ and
 * SSE4.1, unless the environment says VC_ENGINE_GCM=evp (read at session
 * create; the KAT suites run both ways). Everything else (AES-192, other
 * CPUs) keeps the EVP route in aead.c.
 *
 * Ownership and threading as in sym.h: one read-only key schedule per
 * session, one GCM128 context per worker; run() with worker w touches only
 * worker w's context. free() wipes the key schedule and the contexts (the
 * GHASH key H is key material too). No allocation after new().
 */
#ifndef VC_ENGINE_OSSL_GCM_NI_H
#define VC_ENGINE_OSSL_GCM_NI_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

struct vc__gcm_ni;

/* True if the fast path can take a key of key_len bytes on this CPU and is
 * not switched off by VC_ENGINE_GCM=evp. */
bool vc__gcm_ni_usable(uint32_t key_len);

/* NULL on allocation failure or when !vc__gcm_ni_usable(key_len). */
struct vc__gcm_ni *vc__gcm_ni_new(const uint8_t *key, uint32_t key_len, unsigned nworkers);
void vc__gcm_ni_free(struct vc__gcm_ni *g);

/* One GCM operation with the same contract as aead.c's run_stream: iv of
 * op->iv.len bytes (contiguous copy), AAD from op->aad, len bytes of data
 * from op->src to op->dst. Encrypt writes the tag_len-byte tag at dst[len];
 * decrypt checks it against tag (constant time) and answers BADMSG on a
 * mismatch. The caller zeroes dst on any failure. */
uint8_t vc__gcm_ni_run(struct vc__gcm_ni *g, unsigned w, bool enc, uint32_t tag_len,
                       struct vc_engine_op *op, const uint8_t *iv, uint64_t len,
                       uint8_t tag[16]);

/* ---- The AES-NI core (aes_ni.c), usable as OpenSSL block128_f/ctr128_f. */
struct vc__aes_ni_key {
    uint8_t rk[15][16]; /* round keys, loaded unaligned */
    int rounds;
};

/* Probes the CPU (call before any key is set up): true if AES-NI, PCLMULQDQ
 * and SSE4.1 are there. vc__aes_ni_vaes() then says whether CTR also uses
 * VAES on AVX-512 (off when VC_ENGINE_NO_VAES is set). */
bool vc__aes_ni_cpu(void);
bool vc__aes_ni_vaes(void);
/* key_len 16 or 32; false otherwise. */
bool vc__aes_ni_set_key(struct vc__aes_ni_key *k, const uint8_t *key, uint32_t key_len);
void vc__aes_ni_block(const unsigned char in[16], unsigned char out[16], const void *key);
/* CTR with a 32-bit big-endian counter in ivec[12..15] (GCM's inc32):
 * encrypts `blocks` whole blocks; ivec itself is not updated. */
void vc__aes_ni_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
                      const unsigned char ivec[16]);

#endif
