/* ECDSA for the AKCIPHER service: key parsing and sign/verify over NIST
 * P-256, P-384 and P-521. The op contract is at the top of akcipher.c.
 *
 * IMPLEMENTATION NOTES
 * Keys (v1.3 AKCIPHER, "ECDSA private key ... RFC 5915 ECPrivateKey", public
 * key "ECPoint ... without the OCTET STRING header"):
 *  - Private: SEQUENCE { INTEGER 1, OCTET STRING d, [0] namedCurve OID
 *    OPTIONAL, [1] BIT STRING publicKey OPTIONAL } and nothing after it.
 *    A [0] curve must be the session's curve_id (explicit curve parameters
 *    are refused); without [0] the session curve is used, which OpenSSL
 *    3.0's decoders cannot do, hence our own reader. d is 1..field-size
 *    octets (some encoders strip leading zeros) and 1 <= d < order. The
 *    public point is always computed from d; a [1] point must equal it.
 *  - Public: 0x04||X||Y (uncompressed), or 0x02/0x03||X (compressed; OpenSSL
 *    decompresses, so we accept it). The point must be on the curve and not
 *    the identity (EVP_PKEY_public_check). Hybrid 0x06/0x07 is refused.
 * P-192 and P-224 are NOTSUPP: OpenSSL's default provider has them, but the
 * device does not advertise them (their security is below what we offer).
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "engine/openssl/akcipher_int.h"

/* Largest DER Ecdsa-Sig-Value we handle (P-521: 139 bytes) plus slack. */
#define ECDSA_SIG_BUF 160
/* Digest cap: the largest digest any hash produces (SHA-512). */
#define ECDSA_MAX_DIGEST VC_ENGINE_MAX_DIGEST

static const struct ec_curve {
    uint32_t id;
    const char *name; /* OpenSSL group name */
    int nid;
    size_t flen;      /* field element / scalar length in bytes */
    uint8_t oid[10];  /* DER contents of the namedCurve OID */
    size_t oid_len;
} ec_curves[] = {
    {VIRTIO_CRYPTO_CURVE_NIST_P256, SN_X9_62_prime256v1, NID_X9_62_prime256v1, 32,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, 8}, /* 1.2.840.10045.3.1.7 */
    {VIRTIO_CRYPTO_CURVE_NIST_P384, SN_secp384r1, NID_secp384r1, 48,
     {0x2b, 0x81, 0x04, 0x00, 0x22}, 5}, /* 1.3.132.0.34 */
    {VIRTIO_CRYPTO_CURVE_NIST_P521, SN_secp521r1, NID_secp521r1, 66,
     {0x2b, 0x81, 0x04, 0x00, 0x23}, 5}, /* 1.3.132.0.35 */
};

static const struct ec_curve *ec_curve_of(uint32_t id)
{
    for (size_t i = 0; i < VC_ARRAY_SIZE(ec_curves); i++)
        if (ec_curves[i].id == id)
            return &ec_curves[i];
    return NULL;
}

/* Builds s->pkey from a group and a public point, plus d when priv != NULL. */
static uint8_t ec_build(struct vc__ossl_ak *s, const struct ec_curve *cv, const uint8_t *pub,
                        size_t pub_len, const BIGNUM *priv)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *kctx = NULL, *chk = NULL;
    uint8_t st = VIRTIO_CRYPTO_ERR;
    if (bld == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, cv->name, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) ||
        (priv != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto out;
    kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) != 1 ||
        EVP_PKEY_fromdata(kctx, &s->pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) != 1)
        goto out;
    /* On the curve, not the identity, in the prime-order subgroup. */
    chk = EVP_PKEY_CTX_new_from_pkey(NULL, s->pkey, NULL);
    if (chk == NULL || EVP_PKEY_public_check(chk) != 1)
        goto out;
    int sz = EVP_PKEY_get_size(s->pkey);
    if (sz <= 0 || sz > ECDSA_SIG_BUF)
        goto out;
    s->sig_max = (size_t)sz;
    st = VIRTIO_CRYPTO_OK;
out:
    EVP_PKEY_CTX_free(chk);
    EVP_PKEY_CTX_free(kctx);
    vc__ak_params_free(params);
    OSSL_PARAM_BLD_free(bld);
    return st;
}

static uint8_t ec_public(struct vc__ossl_ak *s, const struct ec_curve *cv, const uint8_t *key,
                         size_t len)
{
    int ok = (key[0] == 0x04 && len == 1 + 2 * cv->flen) ||
             ((key[0] == 0x02 || key[0] == 0x03) && len == 1 + cv->flen);
    return ok ? ec_build(s, cv, key, len, NULL) : VIRTIO_CRYPTO_ERR;
}

/* Splits an RFC 5915 ECPrivateKey. Returns 0 or -1. */
static int ec_der_split(const struct ec_curve *cv, const uint8_t *key, size_t len,
                        struct vc__der *d, struct vc__der *pub)
{
    struct vc__der in = {key, len}, seq, ver, tmp;
    if (vc__der_take(&in, VC__DER_SEQUENCE, &seq) != 0 || in.len != 0)
        return -1;
    if (vc__der_uint(&seq, &ver) != 0 || ver.len != 1 || ver.p[0] != 1) /* ecPrivkeyVer1 */
        return -1;
    if (vc__der_take(&seq, VC__DER_OCTET_STRING, d) != 0 || d->len == 0 || d->len > cv->flen)
        return -1;
    if (vc__der_take(&seq, VC__DER_CTX0, &tmp) == 0) {
        struct vc__der oid;
        /* namedCurve only; specifiedCurve (a SEQUENCE) fails the OID tag. */
        if (vc__der_take(&tmp, VC__DER_OID, &oid) != 0 || tmp.len != 0 ||
            oid.len != cv->oid_len || memcmp(oid.p, cv->oid, oid.len) != 0)
            return -1;
    }
    pub->p = NULL;
    pub->len = 0;
    if (vc__der_take(&seq, VC__DER_CTX1, &tmp) == 0) {
        if (vc__der_take(&tmp, VC__DER_BIT_STRING, pub) != 0 || tmp.len != 0 || pub->len < 2 ||
            pub->p[0] != 0) /* no unused bits in an ECPoint */
            return -1;
        pub->p++;
        pub->len--;
    }
    return seq.len == 0 ? 0 : -1;
}

static uint8_t ec_private(struct vc__ossl_ak *s, const struct ec_curve *cv, const uint8_t *key,
                          size_t len)
{
    struct vc__der dd, pubd;
    uint8_t pub[1 + 2 * 66];
    uint8_t st = VIRTIO_CRYPTO_ERR;
    BIGNUM *d = NULL;
    BN_CTX *bctx = BN_CTX_new();
    EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(NULL, NULL, cv->nid);
    EC_POINT *q = g ? EC_POINT_new(g) : NULL;
    EC_POINT *given = g ? EC_POINT_new(g) : NULL;
    if (bctx == NULL || q == NULL || given == NULL)
        goto out;
    if (ec_der_split(cv, key, len, &dd, &pubd) != 0)
        goto out;
    d = BN_secure_new();
    if (d == NULL || BN_bin2bn(dd.p, (int)dd.len, d) == NULL)
        goto out;
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0)
        goto out;
    /* Q = d*G; the key's own [1] point, if any, must agree. */
    if (!EC_POINT_mul(g, q, d, NULL, NULL, bctx))
        goto out;
    if (pubd.p != NULL && (EC_POINT_oct2point(g, given, pubd.p, pubd.len, bctx) != 1 ||
                           EC_POINT_cmp(g, q, given, bctx) != 0))
        goto out;
    size_t pl = EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), bctx);
    if (pl != 1 + 2 * cv->flen)
        goto out;
    st = ec_build(s, cv, pub, pl, d);
out:
    BN_clear_free(d);
    EC_POINT_free(q);
    EC_POINT_free(given);
    EC_GROUP_free(g);
    BN_CTX_free(bctx);
    return st;
}

uint8_t vc__ak_ecdsa_create(struct vc__ossl_ak *s, const struct vc_sess_params *p)
{
    s->curve = p->u.akcipher.ecdsa_curve;
    const struct ec_curve *cv = ec_curve_of(s->curve);
    if (cv == NULL)
        return VIRTIO_CRYPTO_NOTSUPP; /* P-192, P-224, UNKNOWN, undefined ids */
    const uint8_t *key = p->u.akcipher.key;
    size_t len = p->u.akcipher.key_len;
    return s->priv ? ec_private(s, cv, key, len) : ec_public(s, cv, key, len);
}

/* ---- ops (worker contexts: akcipher.c, "Threading") */

/* No signature md: the provider signs tbs as the digest, truncating it to
 * the order's bit length (FIPS 186-5 §6.4.1), any length accepted. */
static int ec_setup_sign(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c)
{
    (void)s;
    return EVP_PKEY_sign_init(c) == 1 ? 0 : -1;
}

static int ec_setup_verify(const struct vc__ossl_ak *s, EVP_PKEY_CTX *c)
{
    (void)s;
    return EVP_PKEY_verify_init(c) == 1 ? 0 : -1;
}

static uint8_t ec_sign(struct vc__ossl_ak *s, unsigned w, struct vc_engine_op *op)
{
    uint8_t tbs[ECDSA_MAX_DIGEST], sig[ECDSA_SIG_BUF];
    if (!s->priv || op->src.len == 0 || op->src.len > sizeof(tbs) || op->dst.len < s->sig_max)
        return VIRTIO_CRYPTO_ERR;
    if (vc__ak_gather(&op->src, tbs, sizeof(tbs)) != 0)
        return VIRTIO_CRYPTO_ERR;
    return vc__ak_sign(s, w, ec_setup_sign, tbs, (size_t)op->src.len, sig, sizeof(sig), 1,
                       s->sig_max, op);
}

static uint8_t ec_verify(struct vc__ossl_ak *s, unsigned w, struct vc_engine_op *op)
{
    uint8_t tbs[ECDSA_MAX_DIGEST], sig[ECDSA_SIG_BUF];
    const struct vc_sg *digest = &op->dst;
    if (digest->len == 0 || digest->len > sizeof(tbs) ||
        vc__ak_gather(digest, tbs, sizeof(tbs)) != 0)
        return VIRTIO_CRYPTO_ERR;
    /* A signature longer than any DER Ecdsa-Sig-Value for this curve, or
     * empty, cannot verify: a verification failure, not a bad request. */
    if (op->src.len == 0 || op->src.len > s->sig_max)
        return VIRTIO_CRYPTO_KEY_REJECTED;
    if (vc__ak_gather(&op->src, sig, sizeof(sig)) != 0)
        return VIRTIO_CRYPTO_ERR;
    EVP_PKEY_CTX *c = vc__ak_ctx(s, w, VC__AK_VERIFY, ec_setup_verify);
    if (c == NULL)
        return VIRTIO_CRYPTO_ERR;
    /* OpenSSL re-encodes the parsed signature and rejects anything that is
     * not the identical strict DER (trailing bytes, BER lengths, r or s out
     * of range); all of that is KEY_REJECTED and leaves the context as it
     * was (the provider keeps only its key). */
    return EVP_PKEY_verify(c, sig, (size_t)op->src.len, tbs, (size_t)digest->len) == 1
               ? VIRTIO_CRYPTO_OK
               : VIRTIO_CRYPTO_KEY_REJECTED;
}

uint8_t vc__ak_ecdsa_op(struct vc__ossl_ak *s, unsigned worker, struct vc_engine_op *op)
{
    switch (op->opcode) {
    case VIRTIO_CRYPTO_AKCIPHER_SIGN:
        return ec_sign(s, worker, op);
    case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
        return ec_verify(s, worker, op);
    case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_DECRYPT:
    default:
        return VIRTIO_CRYPTO_NOTSUPP;
    }
}
