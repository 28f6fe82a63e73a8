/* RSA for the AKCIPHER service: PKCS#1 key parsing and the four ops.
 * The op contract (src/dst lengths, statuses) is at the top of akcipher.c.
 *
 * IMPLEMENTATION NOTES
 * Keys: the spec's key encodings are PKCS#1 RSAPrivateKey (key_type
 * PRIVATE) and RSAPublicKey (PUBLIC) DER. We read them with the strict DER
 * reader and build the EVP_PKEY with EVP_PKEY_fromdata rather than
 * OSSL_DECODER, for three reasons: the decoder, asked for a key pair, will
 * also accept a public key (so key_type mismatches would need a second
 * check); trailing bytes are reported differently by each decoder path; and
 * Linux's own self-test vectors (crypto/testmgr.h, run against our device by
 * any guest that loads virtio_crypto) carry private keys whose p, q, dP, dQ,
 * qInv are all zero. Those we accept and build from n, e, d alone (OpenSSL
 * then exponentiates with d, without CRT), as QEMU's backends do. A key with
 * some but not all CRT fields zero, or with p*q != n, is ERR.
 * Limits: modulus 1024 .. max_bits (<= 8192) bits and odd; e odd, 3 <= e < n;
 * 0 < d < n. The modulus cap bounds the CPU a guest can make one op cost
 * (hostile-inputs #12).
 * Padding oracles: OpenSSL 3.0 (Debian 12) has no implicit rejection, so a
 * bad PKCS#1 v1.5 block is an explicit error; we map every decrypt failure
 * to one status (ERR) and keep nothing that says which check failed
 * (hostile-inputs #13). Keys are per guest, so what an oracle could reveal
 * is that guest's own key. Where OpenSSL >= 3.2 offers implicit rejection we
 * turn it off, so that every build answers a bad block with ERR, as the
 * spec's status model expects, instead of a synthetic plaintext.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "engine/openssl/akcipher_int.h"

/* EMSA/EME-PKCS1-v1_5 need at least 11 bytes of padding (RFC 8017 §7.2.1,
 * §9.2 step 3). */
#define PKCS1_OVERHEAD 11

static const struct {
    const char *name; /* OpenSSL digest name; NULL = not supported */
    size_t len;
} rsa_hashes[] = {
    [VIRTIO_CRYPTO_RSA_NO_HASH] = {NULL, 0},  [VIRTIO_CRYPTO_RSA_MD2] = {NULL, 0},
    [VIRTIO_CRYPTO_RSA_MD3] = {NULL, 0},      [VIRTIO_CRYPTO_RSA_MD4] = {NULL, 0},
    [VIRTIO_CRYPTO_RSA_MD5] = {"MD5", 16},    [VIRTIO_CRYPTO_RSA_SHA1] = {"SHA1", 20},
    [VIRTIO_CRYPTO_RSA_SHA256] = {"SHA256", 32}, [VIRTIO_CRYPTO_RSA_SHA384] = {"SHA384", 48},
    [VIRTIO_CRYPTO_RSA_SHA512] = {"SHA512", 64}, [VIRTIO_CRYPTO_RSA_SHA224] = {"SHA224", 28},
};

/* The nine INTEGERs of RSAPrivateKey after the version (RFC 8017 A.1.2);
 * RSAPublicKey uses the first two. */
enum { F_N, F_E, F_D, F_P, F_Q, F_DP, F_DQ, F_QINV, F_COUNT };

static const char *const rsa_param_names[F_COUNT] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* Splits the DER into its integers (magnitudes, in place). Returns the
 * number of integers read (2 or 8) or -1 for anything but an exact
 * RSAPublicKey / two-prime RSAPrivateKey with nothing after it. */
static int rsa_der_split(const uint8_t *key, size_t len, int priv, struct vc__der f[F_COUNT])
{
    struct vc__der d = {key, len}, seq, ver;
    if (vc__der_take(&d, VC__DER_SEQUENCE, &seq) != 0 || d.len != 0)
        return -1; /* trailing garbage after the key */
    int n = priv ? F_COUNT : 2;
    if (priv) {
        /* Version 0 is two-prime. Version 1 announces otherPrimeInfos; older
         * Linux test vectors say 1 without any, so accept 1 only when the
         * structure still ends after qInv (checked below). */
        if (vc__der_uint(&seq, &ver) != 0 || ver.len > 1 || (ver.len == 1 && ver.p[0] != 1))
            return -1;
    }
    for (int i = 0; i < n; i++)
        if (vc__der_uint(&seq, &f[i]) != 0)
            return -1;
    return seq.len == 0 ? n : -1;
}

static BIGNUM *bn_of(const struct vc__der *v)
{
    return BN_bin2bn(v->p, (int)v->len, NULL);
}

/* Checks the numbers and builds the key. Returns a virtio status. */
static uint8_t rsa_build(struct vc__ossl_ak *s, const struct vc__der f[F_COUNT], int nf,
                         uint32_t max_bits)
{
    BIGNUM *bn[F_COUNT] = {0};
    BN_CTX *bctx = BN_CTX_new();
    BIGNUM *t = BN_new();
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *kctx = NULL;
    uint8_t st = VIRTIO_CRYPTO_ERR;
    int nparams = nf;

    if (bctx == NULL || t == NULL || bld == NULL)
        goto out;
    for (int i = 0; i < nf; i++)
        if ((bn[i] = bn_of(&f[i])) == NULL)
            goto out;
    /* BN_num_bits is at most 8 * 16 KiB here: the key length is capped. */
    int bits = BN_num_bits(bn[F_N]);
    if (bits < (int)VC__AK_RSA_MIN_BITS || bits > (int)max_bits || !BN_is_odd(bn[F_N]))
        goto out;
    if (!BN_is_odd(bn[F_E]) || BN_is_one(bn[F_E]) || BN_cmp(bn[F_E], bn[F_N]) >= 0)
        goto out; /* e odd and >= 3 (BN_is_odd excludes 0 and 2) and < n */
    if (nf == F_COUNT) {
        if (BN_is_zero(bn[F_D]) || BN_cmp(bn[F_D], bn[F_N]) >= 0)
            goto out;
        int zeros = 0;
        for (int i = F_P; i < F_COUNT; i++)
            zeros += BN_is_zero(bn[i]);
        if (zeros == F_COUNT - F_P) {
            nparams = F_P; /* n, e, d only: OpenSSL works without CRT */
        } else if (zeros != 0) {
            goto out;
        } else {
            if (BN_is_one(bn[F_P]) || BN_is_one(bn[F_Q]) || !BN_mul(t, bn[F_P], bn[F_Q], bctx) ||
                BN_cmp(t, bn[F_N]) != 0)
                goto out;
        }
    }
    for (int i = 0; i < nparams; i++)
        if (!OSSL_PARAM_BLD_push_BN(bld, rsa_param_names[i], bn[i]))
            goto out;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto out;
    kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) != 1 ||
        EVP_PKEY_fromdata(kctx, &s->pkey, nf == F_COUNT ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) != 1)
        goto out;
    s->k = (size_t)(bits + 7) / 8;
    st = VIRTIO_CRYPTO_OK;
out:
    for (int i = 0; i < F_COUNT; i++)
        BN_clear_free(bn[i]);
    BN_free(t);
    BN_CTX_free(bctx);
    vc__ak_params_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(kctx);
    return st;
}

uint8_t vc__ak_rsa_create(struct vc__ossl_ak *s, const struct vc_sess_params *p, uint32_t max_bits)
{
    s->padding = p->u.akcipher.rsa_padding;
    s->hash = p->u.akcipher.rsa_hash;
    if (s->padding != VIRTIO_CRYPTO_RSA_RAW_PADDING &&
        s->padding != VIRTIO_CRYPTO_RSA_PKCS1_PADDING)
        return VIRTIO_CRYPTO_NOTSUPP;
    if (s->hash >= VC_ARRAY_SIZE(rsa_hashes))
        return VIRTIO_CRYPTO_NOTSUPP;
    /* The hash only shapes PKCS#1 signatures; RAW sessions ignore it. */
    if (s->padding == VIRTIO_CRYPTO_RSA_PKCS1_PADDING && s->hash != VIRTIO_CRYPTO_RSA_NO_HASH) {
        if (rsa_hashes[s->hash].name == NULL)
            return VIRTIO_CRYPTO_NOTSUPP; /* MD2, MD3, MD4 */
        s->md = EVP_MD_fetch(NULL, rsa_hashes[s->hash].name, NULL);
        if (s->md == NULL)
            return VIRTIO_CRYPTO_NOTSUPP;
        s->md_len = rsa_hashes[s->hash].len;
    }
    struct vc__der f[F_COUNT];
    int nf = rsa_der_split(p->u.akcipher.key, p->u.akcipher.key_len, s->priv, f);
    if (nf < 0)
        return VIRTIO_CRYPTO_ERR;
    return rsa_build(s, f, nf, max_bits);
}

/* ---- ops
 *
 * Each op takes its worker's cached context (akcipher.c, "Threading"); the
 * setup functions below run once per worker and op kind. */

static int rsa_pad(const struct vc__ossl_ak *s)
{
    return s->padding == VIRTIO_CRYPTO_RSA_RAW_PADDING ? RSA_NO_PADDING : RSA_PKCS1_PADDING;
}

static int rsa_setup_enc(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c)
{
    return EVP_PKEY_encrypt_init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, rsa_pad(s)) == 1
               ? 0
               : -1;
}

static int rsa_setup_dec(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c)
{
    if (EVP_PKEY_decrypt_init(c) != 1 || EVP_PKEY_CTX_set_rsa_padding(c, rsa_pad(s)) != 1)
        return -1;
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
    if (s->padding == VIRTIO_CRYPTO_RSA_PKCS1_PADDING) {
        unsigned int off = 0;
        OSSL_PARAM ir[] = {
            OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION, &off),
            OSSL_PARAM_construct_end(),
        };
        if (EVP_PKEY_CTX_set_params(c, ir) != 1)
            return -1;
    }
#endif
    return 0;
}

/* PKCS#1 v1.5 signatures; with a signature md, OpenSSL prepends the
 * DigestInfo for that hash (EMSA-PKCS1-v1_5, RFC 8017 §9.2 step 2) to the
 * digest we pass. */
static int rsa_sig_setup(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c)
{
    if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1)
        return -1;
    if (s->md != NULL && EVP_PKEY_CTX_set_signature_md(c, s->md) != 1)
        return -1;
    return 0;
}

static int rsa_setup_sign(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c)
{
    return EVP_PKEY_sign_init(c) == 1 ? rsa_sig_setup(s, c) : -1;
}

static int rsa_setup_verify(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c)
{
    return EVP_PKEY_verify_init(c) == 1 ? rsa_sig_setup(s, c) : -1;
}

/* Reads the input block: RAW left-pads to k (the Linux "rsa" akcipher takes
 * src shorter than the modulus as a big-endian number); PKCS1 takes it as
 * is. Returns the length to feed OpenSSL, or 0 on a bad length. */
static size_t rsa_input(const struct vc__ossl_ak *s, const struct vc_sg *src, uint8_t *in)
{
    if (s->padding == VIRTIO_CRYPTO_RSA_RAW_PADDING) {
        if (src->len > s->k)
            return 0;
        size_t pad = s->k - (size_t)src->len;
        memset(in, 0, pad);
        return vc__ak_gather(src, in + pad, s->k - pad) == 0 ? s->k : 0;
    }
    return vc__ak_gather(src, in, s->k) == 0 ? (size_t)src->len : 0;
}

static uint8_t rsa_encrypt(struct vc__ossl_ak *s, unsigned w, struct vc_engine_op *op)
{
    uint8_t in[VC__AK_MAX_BYTES], out[VC__AK_MAX_BYTES];
    size_t outlen = sizeof(out);
    uint8_t st = VIRTIO_CRYPTO_ERR;
    if (op->dst.len < s->k)
        return VIRTIO_CRYPTO_ERR;
    if (s->padding == VIRTIO_CRYPTO_RSA_PKCS1_PADDING && op->src.len > s->k - PKCS1_OVERHEAD)
        return VIRTIO_CRYPTO_ERR;
    size_t inlen = rsa_input(s, &op->src, in);
    if (s->padding == VIRTIO_CRYPTO_RSA_RAW_PADDING && inlen == 0)
        goto out;
    EVP_PKEY_CTX *c = vc__ak_ctx(s, w, VC__AK_ENC, rsa_setup_enc);
    if (c == NULL)
        goto out;
    /* RSA_NO_PADDING also rejects a block >= n (OpenSSL "data too large for
     * modulus"), which is the Linux rule for raw RSA. */
    if (EVP_PKEY_encrypt(c, out, &outlen, in, inlen) != 1 || outlen != s->k) {
        vc__ak_ctx_drop(s, w, VC__AK_ENC);
        goto out;
    }
    if (!vc_ok(vc_sg_write(&op->dst, 0, out, outlen)))
        goto out;
    op->dst_written = outlen;
    st = VIRTIO_CRYPTO_OK;
out:
    OPENSSL_cleanse(in, sizeof(in));
    return st;
}

static uint8_t rsa_decrypt(struct vc__ossl_ak *s, unsigned w, struct vc_engine_op *op)
{
    uint8_t in[VC__AK_MAX_BYTES], out[VC__AK_MAX_BYTES];
    size_t outlen = sizeof(out);
    uint8_t st = VIRTIO_CRYPTO_ERR;
    if (!s->priv)
        return VIRTIO_CRYPTO_ERR;
    if (s->padding == VIRTIO_CRYPTO_RSA_RAW_PADDING ? op->dst.len < s->k : op->src.len != s->k)
        return VIRTIO_CRYPTO_ERR;
    size_t inlen = rsa_input(s, &op->src, in);
    EVP_PKEY_CTX *c = inlen == 0 ? NULL : vc__ak_ctx(s, w, VC__AK_DEC, rsa_setup_dec);
    if (c == NULL)
        goto out;
    /* One exit for every padding failure: no detail reaches the status or
     * the log (hostile-inputs #13). */
    if (EVP_PKEY_decrypt(c, out, &outlen, in, inlen) != 1 || outlen > op->dst.len)
        goto out;
    if (outlen > 0 && !vc_ok(vc_sg_write(&op->dst, 0, out, outlen)))
        goto out;
    op->dst_written = outlen;
    st = VIRTIO_CRYPTO_OK;
out:
    /* Any failure after the context was taken rebuilds it on the next op,
     * whatever the cause, so that cost tells one cause from another no
     * better than the status does. */
    if (st != VIRTIO_CRYPTO_OK && c != NULL)
        vc__ak_ctx_drop(s, w, VC__AK_DEC);
    OPENSSL_cleanse(in, sizeof(in));
    OPENSSL_cleanse(out, sizeof(out));
    return st;
}

/* The digest (SIGN src, VERIFY dst) must be exactly the session hash's
 * length, or with NO_HASH an encoded T that fits under the padding. */
static int rsa_tbs_len_ok(const struct vc__ossl_ak *s, uint64_t len)
{
    if (s->md != NULL)
        return len == s->md_len;
    return len >= 1 && len <= s->k - PKCS1_OVERHEAD;
}

static uint8_t rsa_sign(struct vc__ossl_ak *s, unsigned w, struct vc_engine_op *op)
{
    uint8_t tbs[VC__AK_MAX_BYTES], sig[VC__AK_MAX_BYTES];
    /* "RAW sessions MUST NOT be used for sign/verify" (v1.3 AKCIPHER). */
    if (s->padding != VIRTIO_CRYPTO_RSA_PKCS1_PADDING || !s->priv)
        return VIRTIO_CRYPTO_ERR;
    if (!rsa_tbs_len_ok(s, op->src.len) || op->dst.len < s->k)
        return VIRTIO_CRYPTO_ERR;
    if (vc__ak_gather(&op->src, tbs, sizeof(tbs)) != 0)
        return VIRTIO_CRYPTO_ERR;
    return vc__ak_sign(s, w, rsa_setup_sign, tbs, (size_t)op->src.len, sig, sizeof(sig), s->k,
                       s->k, op);
}

static uint8_t rsa_verify(struct vc__ossl_ak *s, unsigned w, struct vc_engine_op *op)
{
    uint8_t tbs[VC__AK_MAX_BYTES], sig[VC__AK_MAX_BYTES];
    if (s->padding != VIRTIO_CRYPTO_RSA_PKCS1_PADDING)
        return VIRTIO_CRYPTO_ERR;
    const struct vc_sg *digest = &op->dst;
    if (!rsa_tbs_len_ok(s, digest->len) || vc__ak_gather(digest, tbs, sizeof(tbs)) != 0)
        return VIRTIO_CRYPTO_ERR;
    /* RFC 8017 §8.2.2 step 1: a signature that is not k octets long is an
     * "invalid signature", i.e. a verification failure. */
    if (op->src.len != s->k)
        return VIRTIO_CRYPTO_KEY_REJECTED;
    if (vc__ak_gather(&op->src, sig, sizeof(sig)) != 0)
        return VIRTIO_CRYPTO_ERR;
    EVP_PKEY_CTX *c = vc__ak_ctx(s, w, VC__AK_VERIFY, rsa_setup_verify);
    if (c == NULL)
        return VIRTIO_CRYPTO_ERR;
    /* 0 is a mismatch; < 0 is a malformed block (e.g. s >= n); both mean
     * the signature does not verify, and neither changes the context's
     * setup (the RSA provider keeps only its key, padding and md). */
    return EVP_PKEY_verify(c, sig, s->k, tbs, (size_t)digest->len) == 1
               ? VIRTIO_CRYPTO_OK
               : VIRTIO_CRYPTO_KEY_REJECTED;
}

uint8_t vc__ak_rsa_op(struct vc__ossl_ak *s, unsigned worker, struct vc_engine_op *op)
{
    switch (op->opcode) {
    case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
        return rsa_encrypt(s, worker, op);
    case VIRTIO_CRYPTO_AKCIPHER_DECRYPT:
        return rsa_decrypt(s, worker, op);
    case VIRTIO_CRYPTO_AKCIPHER_SIGN:
        return rsa_sign(s, worker, op);
    case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
        return rsa_verify(s, worker, op);
    default:
        return VIRTIO_CRYPTO_NOTSUPP;
    }
}
