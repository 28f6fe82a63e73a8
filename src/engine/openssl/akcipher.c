/* The OpenSSL engine's AKCIPHER service: session create/free, op dispatch
 * and capability entries. RSA lives in akcipher_rsa.c, ECDSA in
 * akcipher_ecdsa.c, the DER key reader in akcipher_der.c.
 *
 * OPERATION SEMANTICS (the contract KAT drivers and the device layer rely on;
 * docs/ENGINE.md "AKCIPHER" repeats it). k = modulus length in bytes.
 *
 * Spec: \devicenormative{Device Types / Crypto Device / Device Operation /
 * AKCIPHER Service Operation}: enc/dec/sign read src_data and write dst_data;
 * verify reads "signature || digest" (src_data_len = signature length,
 * dst_data_len = digest length) and writes no data. In struct vc_engine_op
 * verify arrives as op->src = signature and op->dst = digest (read only).
 *
 * RSA, RAW padding (Linux "rsa" akcipher, textbook RSA):
 *   ENCRYPT  src = m, 0 <= src.len <= k, big-endian, value < n; the device
 *            left-pads with zeros. dst = m^e mod n, exactly k bytes.
 *   DECRYPT  the same with d (private session only).
 *   SIGN / VERIFY: ERR ("RAW sessions MUST NOT be used for sign/verify").
 * RSA, PKCS1 padding (RSAES-/RSASSA-PKCS1-v1_5, RFC 8017):
 *   ENCRYPT  src = message, src.len <= k - 11. dst = k bytes.
 *   DECRYPT  src.len == k (RFC 8017 §7.2.2 step 1). dst = the message; any
 *            padding failure is ERR, one status for every cause.
 *   SIGN     src = the raw digest of the session hash (exactly its length);
 *            the device builds DigestInfo and EMSA-PKCS1-v1_5, as QEMU's
 *            builtin backend does (nettle rsa_*_sign_digest, gcrypt
 *            "(hash alg digest)"). With hash NO_HASH, src is the already
 *            encoded T (e.g. a DigestInfo, or TLS 1.1 MD5||SHA1),
 *            1 <= src.len <= k - 11, and only the 00 01 FF.. 00 prefix is
 *            added. dst = k bytes.
 *   VERIFY   src = signature, dst = digest (same length rules as SIGN; a
 *            wrong digest length is ERR: a malformed request, not a bad
 *            signature). A signature whose length is not k is
 *            KEY_REJECTED (RFC 8017 §8.2.2 step 1 calls it "invalid
 *            signature"), as is any signature that does not verify.
 *   Hash ids MD2/MD3/MD4: NOTSUPP at session create with PKCS1; RAW ignores
 *   any defined hash id (0..9); ids above 9 are NOTSUPP for both.
 * ECDSA (P-256, P-384, P-521):
 *   SIGN     src = digest, 1..64 bytes (longer digests are truncated to the
 *            order's bit length per FIPS 186-5 §6.4.1, done by OpenSSL).
 *            dst.len must be >= the largest DER Ecdsa-Sig-Value for the
 *            curve (72 / 104 / 139 bytes) so that success never depends on
 *            the random k; dst = DER signature, dst_written = its length.
 *   VERIFY   src = DER Ecdsa-Sig-Value, dst = digest (1..64 bytes, else
 *            ERR). A signature that is not strict DER, has trailing bytes or
 *            does not verify is KEY_REJECTED.
 *   ENCRYPT / DECRYPT: NOTSUPP.
 * Every op: dst.len below the output size is ERR and nothing is written;
 * dst_written = bytes produced; bytes of dst past dst_written are untouched.
 * A public-key session can ENCRYPT and VERIFY only (DECRYPT/SIGN: ERR); a
 * private-key session can do all four (the public half is derived).
 * KEY_REJECTED is returned by VERIFY only.
 *
 * IMPLEMENTATION NOTES
 * Threading: one EVP_PKEY per session, shared read-only by all workers. Each
 * worker keeps one initialised EVP_PKEY_CTX per op kind (encrypt, decrypt,
 * sign, verify), built on its first op of that kind and reused: building one
 * (EVP_PKEY_CTX_new_from_pkey, *_init, padding and digest parameters) walks
 * OpenSSL's method store under a global lock and cost ~32k instructions per
 * op, 11 % of an RSA-2048 verify (docs/BENCH.md). OpenSSL 3 allows any
 * number of EVP_PKEY_sign/verify/encrypt/decrypt calls on one initialised
 * context. A context whose sign/encrypt/decrypt call failed is freed and
 * rebuilt on the next op, so no error state can carry over; a verify that
 * says "mismatch" leaves nothing behind and keeps its context. Contexts are
 * created lazily so that a session only pays for the kinds it uses; that
 * first op allocates (engine.h allows allocation on the asymmetric path).
 * Data never stays on the heap: inputs are gathered from the sg into stack
 * buffers of one modulus (1 KiB), and buffers that held plaintext are wiped
 * with OPENSSL_cleanse before return.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "engine/openssl/akcipher_int.h"

const struct vc_algo_cap vc__ossl_ak_caps[] = {
    {
        .service = VIRTIO_CRYPTO_SERVICE_AKCIPHER,
        .algo = VIRTIO_CRYPTO_AKCIPHER_RSA,
        .key_min = 1,
        .key_max = VC_ENGINE_MAX_AKCIPHER_KEY,
        .key_step = 1,
        .bits_min = VC__AK_RSA_MIN_BITS,
        .bits_max = VC__AK_RSA_MAX_BITS,
    },
    {
        .service = VIRTIO_CRYPTO_SERVICE_AKCIPHER,
        .algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA,
        .key_min = 1,
        .key_max = VC_ENGINE_MAX_AKCIPHER_KEY,
        .key_step = 1,
        .curves = (1u << VIRTIO_CRYPTO_CURVE_NIST_P256) | (1u << VIRTIO_CRYPTO_CURVE_NIST_P384) |
                  (1u << VIRTIO_CRYPTO_CURVE_NIST_P521),
    },
};
const uint32_t vc__ossl_ak_ncaps = VC_ARRAY_SIZE(vc__ossl_ak_caps);

int vc__ak_gather(const struct vc_sg *sg, uint8_t *buf, size_t cap)
{
    if (sg->len > cap)
        return -1;
    return vc_ok(vc_sg_read(sg, 0, buf, sg->len)) ? 0 : -1;
}

void vc__ak_params_free(OSSL_PARAM *params)
{
    if (params == NULL)
        return;
    for (OSSL_PARAM *q = params; q->key != NULL; q++)
        if (q->data != NULL)
            OPENSSL_cleanse(q->data, q->data_size);
    OSSL_PARAM_free(params);
}

uint8_t vc__ossl_ak_create(const struct vc_sess_params *p, uint32_t max_bits, unsigned nworkers,
                           struct vc__ossl_ak **out)
{
    *out = NULL;
    if (p->service != VIRTIO_CRYPTO_SERVICE_AKCIPHER)
        return VIRTIO_CRYPTO_ERR;
    uint32_t algo = p->u.akcipher.algo;
    if (algo != VIRTIO_CRYPTO_AKCIPHER_RSA && algo != VIRTIO_CRYPTO_AKCIPHER_ECDSA)
        return VIRTIO_CRYPTO_NOTSUPP;
    uint32_t kt = p->u.akcipher.key_type;
    if (kt != VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC &&
        kt != VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE)
        return VIRTIO_CRYPTO_ERR;
    /* Lengths were checked against the config caps above us; check again so
     * this layer is safe on its own (hostile-inputs #10). */
    if (p->u.akcipher.key == NULL || p->u.akcipher.key_len == 0 ||
        p->u.akcipher.key_len > VC_ENGINE_MAX_AKCIPHER_KEY)
        return VIRTIO_CRYPTO_ERR;
    if (nworkers == 0 || nworkers > VC_ENGINE_MAX_WORKERS)
        return VIRTIO_CRYPTO_ERR;
    if (max_bits == 0 || max_bits > VC__AK_RSA_MAX_BITS)
        max_bits = VC__AK_RSA_MAX_BITS;

    struct vc__ossl_ak *s = OPENSSL_zalloc(sizeof(*s) + nworkers * sizeof(s->w[0]));
    if (s == NULL)
        return VIRTIO_CRYPTO_ERR;
    s->algo = algo;
    s->priv = kt == VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
    s->nworkers = nworkers;
    uint8_t st = algo == VIRTIO_CRYPTO_AKCIPHER_RSA ? vc__ak_rsa_create(s, p, max_bits)
                                                   : vc__ak_ecdsa_create(s, p);
    if (st != VIRTIO_CRYPTO_OK) {
        vc__ossl_ak_free(s);
        return st;
    }
    *out = s;
    return VIRTIO_CRYPTO_OK;
}

void vc__ossl_ak_free(struct vc__ossl_ak *s)
{
    if (s == NULL)
        return;
    for (unsigned w = 0; w < s->nworkers; w++)
        for (int k = 0; k < VC__AK_NKINDS; k++)
            EVP_PKEY_CTX_free(s->w[w].ctx[k]);
    /* EVP_PKEY_free clears the key's BIGNUMs (BN_clear_free) itself. */
    EVP_PKEY_free(s->pkey);
    EVP_MD_free(s->md);
    OPENSSL_clear_free(s, sizeof(*s) + s->nworkers * sizeof(s->w[0]));
}

EVP_PKEY_CTX *vc__ak_ctx(struct vc__ossl_ak *s, unsigned worker, enum vc__ak_kind k,
                         vc__ak_setup_fn setup)
{
    EVP_PKEY_CTX *c = s->w[worker].ctx[k];
    if (c != NULL)
        return c;
    c = EVP_PKEY_CTX_new_from_pkey(NULL, s->pkey, NULL);
    if (c == NULL || setup(s, c) != 0) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    s->w[worker].ctx[k] = c;
    return c;
}

void vc__ak_ctx_drop(struct vc__ossl_ak *s, unsigned worker, enum vc__ak_kind k)
{
    EVP_PKEY_CTX_free(s->w[worker].ctx[k]);
    s->w[worker].ctx[k] = NULL;
}

uint8_t vc__ossl_ak_op(struct vc__ossl_ak *s, unsigned worker, struct vc_engine_op *op)
{
    op->dst_written = 0;
    if (s == NULL || worker >= s->nworkers)
        return VIRTIO_CRYPTO_ERR;
    switch (op->opcode) {
    case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_DECRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_SIGN:
    case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
        break;
    default:
        return VIRTIO_CRYPTO_NOTSUPP;
    }
    uint8_t st = s->algo == VIRTIO_CRYPTO_AKCIPHER_RSA ? vc__ak_rsa_op(s, worker, op)
                                                      : vc__ak_ecdsa_op(s, worker, op);
    /* Leave nothing for the next op on this thread to trip over. Most ops
     * leave the queue empty; clearing it unconditionally cost ~800
     * instructions per op (more than the rest of the glue). */
    if (ERR_peek_error() != 0)
        ERR_clear_error();
    return st;
}

uint8_t vc__ak_sign(struct vc__ossl_ak *s, unsigned w, vc__ak_setup_fn setup, const uint8_t *tbs,
                    size_t tbslen, uint8_t *sig, size_t cap, size_t min_len, size_t max_len,
                    struct vc_engine_op *op)
{
    size_t siglen = cap;
    EVP_PKEY_CTX *c = vc__ak_ctx(s, w, VC__AK_SIGN, setup);
    if (c == NULL)
        return VIRTIO_CRYPTO_ERR;
    if (EVP_PKEY_sign(c, sig, &siglen, tbs, tbslen) != 1 || siglen < min_len ||
        siglen > max_len) {
        vc__ak_ctx_drop(s, w, VC__AK_SIGN);
        return VIRTIO_CRYPTO_ERR;
    }
    if (!vc_ok(vc_sg_write(&op->dst, 0, sig, siglen)))
        return VIRTIO_CRYPTO_ERR;
    op->dst_written = siglen;
    return VIRTIO_CRYPTO_OK;
}
