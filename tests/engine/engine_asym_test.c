/* Tests for the OpenSSL engine's AKCIPHER half (src/engine/openssl/akcipher*.c)
 * through its internal interface (akcipher.h), independent of the dispatch.
 *
 * Keys are generated here with OpenSSL (RSA 1024/2048, P-256/384/521) and
 * handed to the engine as the DER the spec defines; results are cross-checked
 * against direct EVP calls both ways. Every op runs over multi-piece sg lists.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "engine/engine.h"
#include "engine/openssl/akcipher.h"
#include "test.h"

#define PUB VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC
#define PRIV VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE
#define RAW VIRTIO_CRYPTO_RSA_RAW_PADDING
#define PKCS1 VIRTIO_CRYPTO_RSA_PKCS1_PADDING
#define OP_ENC VIRTIO_CRYPTO_AKCIPHER_ENCRYPT
#define OP_DEC VIRTIO_CRYPTO_AKCIPHER_DECRYPT
#define OP_SIGN VIRTIO_CRYPTO_AKCIPHER_SIGN
#define OP_VER VIRTIO_CRYPTO_AKCIPHER_VERIFY
#define NWORKERS 2

struct der {
    uint8_t b[8192];
    size_t n;
};

static EVP_PKEY *rsa1k, *rsa2k, *ec[3];
static struct der rsa1k_priv, rsa1k_pub, rsa2k_priv, rsa2k_pub;
static struct der ec_priv[3], ec_pub[3];
static const uint32_t ec_ids[3] = {VIRTIO_CRYPTO_CURVE_NIST_P256, VIRTIO_CRYPTO_CURVE_NIST_P384,
                                   VIRTIO_CRYPTO_CURVE_NIST_P521};
static const char *const ec_names[3] = {"P-256", "P-384", "P-521"};

/* ---- helpers */

static int encode(EVP_PKEY *k, int sel, struct der *out)
{
    unsigned char *p = NULL;
    size_t n = 0;
    OSSL_ENCODER_CTX *c = OSSL_ENCODER_CTX_new_for_pkey(k, sel, "DER", "type-specific", NULL);
    int ok = c && OSSL_ENCODER_to_data(c, &p, &n) == 1 && n <= sizeof(out->b);
    if (ok) {
        memcpy(out->b, p, n);
        out->n = n;
    }
    OPENSSL_free(p);
    OSSL_ENCODER_CTX_free(c);
    return ok;
}

static uint8_t mk_rsa(const void *key, size_t len, uint32_t kt, uint32_t pad, uint32_t hash,
                      uint32_t max_bits, struct vc__ossl_ak **s)
{
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
    p.u.akcipher.key_type = kt;
    p.u.akcipher.key = key;
    p.u.akcipher.key_len = (uint32_t)len;
    p.u.akcipher.rsa_padding = pad;
    p.u.akcipher.rsa_hash = hash;
    return vc__ossl_ak_create(&p, max_bits, NWORKERS, s);
}

static uint8_t mk_ec(const void *key, size_t len, uint32_t kt, uint32_t curve,
                     struct vc__ossl_ak **s)
{
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
    p.u.akcipher.key_type = kt;
    p.u.akcipher.key = key;
    p.u.akcipher.key_len = (uint32_t)len;
    p.u.akcipher.ecdsa_curve = curve;
    return vc__ossl_ak_create(&p, 0, NWORKERS, s);
}

/* Splits buf into up to 3 pieces (sizes 1, 2/5 of the rest, the rest) so that
 * every op crosses piece boundaries. */
static void split(struct vc_sg *sg, struct vc_iov *iov, uint8_t *buf, size_t n)
{
    if (n < 3) {
        vc_sg_flat(sg, iov, buf, n);
        return;
    }
    size_t a = 1, b = (n - 1) * 2 / 5;
    iov[0] = (struct vc_iov){buf, a};
    iov[1] = (struct vc_iov){buf + a, b};
    iov[2] = (struct vc_iov){buf + a + b, n - a - b};
    vc_sg_init(sg, iov, 3);
}

/* Runs one op on worker w: src -> dst (for VERIFY, dst is the digest). */
static uint8_t run_w(struct vc__ossl_ak *s, unsigned w, uint32_t opcode, const void *src,
                     size_t slen, void *dst, size_t dlen, size_t *written)
{
    struct vc_iov si[3], di[3];
    struct vc_engine_op op = {.opcode = opcode};
    split(&op.src, si, (uint8_t *)(uintptr_t)src, slen);
    split(&op.dst, di, dst, dlen);
    op.dst_written = 12345;
    uint8_t st = vc__ossl_ak_op(s, w, &op);
    if (written)
        *written = (size_t)op.dst_written;
    return st;
}

static uint8_t run(struct vc__ossl_ak *s, uint32_t opcode, const void *src, size_t slen, void *dst,
                   size_t dlen, size_t *written)
{
    return run_w(s, 0, opcode, src, slen, dst, dlen, written);
}

static size_t digest(const char *md, const char *msg, uint8_t *out)
{
    unsigned int n = 0;
    if (EVP_Digest(msg, strlen(msg), out, &n, EVP_get_digestbyname(md), NULL) != 1)
        return 0;
    return n;
}

/* EVP reference sign/verify (hash md over a precomputed digest). */
static size_t evp_sign(EVP_PKEY *k, const char *md, int pad, const uint8_t *tbs, size_t n,
                       uint8_t *sig, size_t cap)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    size_t sl = cap;
    int ok = c && EVP_PKEY_sign_init(c) == 1 &&
             (pad == 0 || EVP_PKEY_CTX_set_rsa_padding(c, pad) == 1) &&
             (md == NULL || EVP_PKEY_CTX_set_signature_md(c, EVP_get_digestbyname(md)) == 1) &&
             EVP_PKEY_sign(c, sig, &sl, tbs, n) == 1;
    EVP_PKEY_CTX_free(c);
    return ok ? sl : 0;
}

static int evp_verify(EVP_PKEY *k, const char *md, int pad, const uint8_t *sig, size_t sl,
                      const uint8_t *tbs, size_t n)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    int ok = c && EVP_PKEY_verify_init(c) == 1 &&
             (pad == 0 || EVP_PKEY_CTX_set_rsa_padding(c, pad) == 1) &&
             (md == NULL || EVP_PKEY_CTX_set_signature_md(c, EVP_get_digestbyname(md)) == 1) &&
             EVP_PKEY_verify(c, sig, sl, tbs, n) == 1;
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    return ok;
}

static size_t evp_crypt(EVP_PKEY *k, int enc, int pad, const uint8_t *in, size_t n, uint8_t *out,
                        size_t cap)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    size_t ol = cap;
    int ok = c && (enc ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(c, pad) == 1 &&
             (enc ? EVP_PKEY_encrypt(c, out, &ol, in, n) : EVP_PKEY_decrypt(c, out, &ol, in, n)) ==
                 1;
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    return ok ? ol : 0;
}

/* Minimal DER writer for hand-made keys. */
static size_t tlv(uint8_t *o, uint8_t tag, const uint8_t *v, size_t n)
{
    size_t h = 0;
    o[h++] = tag;
    if (n < 0x80) {
        o[h++] = (uint8_t)n;
    } else if (n < 0x100) {
        o[h++] = 0x81;
        o[h++] = (uint8_t)n;
    } else {
        o[h++] = 0x82;
        o[h++] = (uint8_t)(n >> 8);
        o[h++] = (uint8_t)n;
    }
    memmove(o + h, v, n);
    return h + n;
}

static size_t der_bn(uint8_t *o, const BIGNUM *bn)
{
    uint8_t v[1100];
    int n = BN_num_bytes(bn);
    v[0] = 0;
    BN_bn2bin(bn, v + 1);
    if (n == 0)
        return tlv(o, 0x02, v, 1);
    return (v[1] & 0x80) ? tlv(o, 0x02, v, (size_t)n + 1) : tlv(o, 0x02, v + 1, (size_t)n);
}

static BIGNUM *rsa_bn(EVP_PKEY *k, const char *name)
{
    BIGNUM *b = NULL;
    EVP_PKEY_get_bn_param(k, name, &b);
    return b;
}

/* RSAPrivateKey from parts; zero_crt replaces p..qInv by 0 (Linux testmgr
 * style); only_qinv_zero zeroes qInv alone. */
static size_t rsa_priv_der(EVP_PKEY *k, int zero_crt, int only_qinv_zero, uint8_t *out)
{
    static const char *const names[] = {
        OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
    };
    uint8_t body[4096];
    size_t n = 0;
    BIGNUM *zero = BN_new();
    BN_zero(zero);
    n += der_bn(body + n, zero); /* version 0 */
    for (int i = 0; i < 8; i++) {
        BIGNUM *b = rsa_bn(k, names[i]);
        int z = (zero_crt && i >= 3) || (only_qinv_zero && i == 7);
        n += der_bn(body + n, z ? zero : b);
        BN_free(b);
    }
    BN_free(zero);
    return tlv(out, 0x30, body, n);
}

static size_t rsa_pub_der(const BIGNUM *n_, const BIGNUM *e, uint8_t *out)
{
    uint8_t body[1100];
    size_t n = der_bn(body, n_);
    n += der_bn(body + n, e);
    return tlv(out, 0x30, body, n);
}

static void fill(uint8_t *b, size_t n, uint8_t v)
{
    memset(b, v, n);
}

static int all(const uint8_t *b, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return 0;
    return 1;
}

/* ---- RSA */

static const struct {
    uint32_t id;
    const char *md;
} rsa_hash_ids[] = {
    {VIRTIO_CRYPTO_RSA_MD5, "MD5"},       {VIRTIO_CRYPTO_RSA_SHA1, "SHA1"},
    {VIRTIO_CRYPTO_RSA_SHA224, "SHA224"}, {VIRTIO_CRYPTO_RSA_SHA256, "SHA256"},
    {VIRTIO_CRYPTO_RSA_SHA384, "SHA384"}, {VIRTIO_CRYPTO_RSA_SHA512, "SHA512"},
};

TEST(rsa_sign_verify_every_hash)
{
    for (size_t i = 0; i < VC_ARRAY_SIZE(rsa_hash_ids); i++) {
        struct vc__ossl_ak *sp = NULL, *sv = NULL;
        uint8_t dg[64], sig[512], ref[512];
        size_t dl = digest(rsa_hash_ids[i].md, "vcrypto rsa", dg), w = 0;
        EXPECT_STATUS(mk_rsa(rsa2k_priv.b, rsa2k_priv.n, PRIV, PKCS1, rsa_hash_ids[i].id, 0, &sp),
                      VIRTIO_CRYPTO_OK);
        EXPECT_STATUS(mk_rsa(rsa2k_pub.b, rsa2k_pub.n, PUB, PKCS1, rsa_hash_ids[i].id, 0, &sv),
                      VIRTIO_CRYPTO_OK);
        if (!sp || !sv) {
            vc__ossl_ak_free(sp);
            vc__ossl_ak_free(sv);
            continue;
        }
        fill(sig, sizeof(sig), 0xee);
        EXPECT_STATUS(run(sp, OP_SIGN, dg, dl, sig, sizeof(sig), &w), VIRTIO_CRYPTO_OK);
        EXPECT_EQ(w, 256);
        EXPECT(all(sig + 256, sizeof(sig) - 256, 0xee)); /* nothing past dst_written */
        /* PKCS#1 v1.5 signatures are deterministic: equal to OpenSSL's own. */
        size_t rl =
            evp_sign(rsa2k, rsa_hash_ids[i].md, RSA_PKCS1_PADDING, dg, dl, ref, sizeof(ref));
        EXPECT_EQ(rl, 256);
        EXPECT_MEM(sig, ref, 256);
        EXPECT(evp_verify(rsa2k, rsa_hash_ids[i].md, RSA_PKCS1_PADDING, sig, 256, dg, dl));
        /* Verify: public and private sessions both. */
        EXPECT_STATUS(run(sv, OP_VER, sig, 256, dg, dl, &w), VIRTIO_CRYPTO_OK);
        EXPECT_EQ(w, 0);
        EXPECT_STATUS(run(sp, OP_VER, ref, 256, dg, dl, NULL), VIRTIO_CRYPTO_OK);
        /* Tampered signature and tampered digest. */
        sig[100] ^= 1;
        EXPECT_STATUS(run(sv, OP_VER, sig, 256, dg, dl, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
        sig[100] ^= 1;
        dg[0] ^= 0x80;
        EXPECT_STATUS(run(sv, OP_VER, sig, 256, dg, dl, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
        dg[0] ^= 0x80;
        /* Wrong digest length: a malformed request (ERR), sign and verify. */
        EXPECT_STATUS(run(sp, OP_SIGN, dg, dl - 1, sig, sizeof(sig), NULL), VIRTIO_CRYPTO_ERR);
        EXPECT_STATUS(run(sp, OP_SIGN, dg, dl + 1, sig, sizeof(sig), NULL), VIRTIO_CRYPTO_ERR);
        EXPECT_STATUS(run(sv, OP_VER, sig, 256, dg, dl - 1, NULL), VIRTIO_CRYPTO_ERR);
        vc__ossl_ak_free(sp);
        vc__ossl_ak_free(sv);
    }
}

TEST(rsa_sign_no_hash_is_raw_emsa)
{
    /* With NO_HASH the guest passes T = DigestInfo || digest itself; the
     * result must equal a SHA-256 signature over the digest. */
    static const uint8_t sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                            0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                            0x01, 0x05, 0x00, 0x04, 0x20};
    struct vc__ossl_ak *s = NULL, *v = NULL;
    uint8_t t[19 + 32], sig[128], ref[128];
    memcpy(t, sha256_prefix, 19);
    digest("SHA256", "no hash", t + 19);
    EXPECT_STATUS(mk_rsa(rsa1k_priv.b, rsa1k_priv.n, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_NO_HASH, 0, &s),
                  VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, PKCS1, VIRTIO_CRYPTO_RSA_NO_HASH, 0, &v),
                  VIRTIO_CRYPTO_OK);
    if (!s || !v)
        goto out;
    size_t w = 0;
    EXPECT_STATUS(run(s, OP_SIGN, t, sizeof(t), sig, sizeof(sig), &w), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(w, 128);
    EXPECT_EQ(evp_sign(rsa1k, "SHA256", RSA_PKCS1_PADDING, t + 19, 32, ref, sizeof(ref)), 128);
    EXPECT_MEM(sig, ref, 128);
    EXPECT_STATUS(run(v, OP_VER, sig, 128, t, sizeof(t), NULL), VIRTIO_CRYPTO_OK);
    /* T longer than k - 11 cannot be padded: ERR; empty T: ERR. */
    uint8_t big[128] = {0};
    EXPECT_STATUS(run(s, OP_SIGN, big, 118, sig, sizeof(sig), NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(s, OP_SIGN, big, 117, sig, sizeof(sig), NULL), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(run(s, OP_SIGN, big, 0, sig, sizeof(sig), NULL), VIRTIO_CRYPTO_ERR);
out:
    vc__ossl_ak_free(s);
    vc__ossl_ak_free(v);
}

TEST(rsa_raw_roundtrip_and_length_rule)
{
    struct vc__ossl_ak *s = NULL, *v = NULL;
    EXPECT_STATUS(mk_rsa(rsa1k_priv.b, rsa1k_priv.n, PRIV, RAW, VIRTIO_CRYPTO_RSA_NO_HASH, 0, &s),
                  VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, RAW, VIRTIO_CRYPTO_RSA_NO_HASH, 0, &v),
                  VIRTIO_CRYPTO_OK);
    if (!s || !v)
        goto out;
    uint8_t m[5] = {1, 2, 3, 4, 5}, c[128], p[200], padded[128] = {0}, ref[128];
    size_t w = 0;
    /* Short src is a big-endian number: the same as the left-padded block. */
    EXPECT_STATUS(run(v, OP_ENC, m, sizeof(m), c, sizeof(c), &w), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(w, 128);
    memcpy(padded + 123, m, 5);
    EXPECT_EQ(evp_crypt(rsa1k, 1, RSA_NO_PADDING, padded, 128, ref, sizeof(ref)), 128);
    EXPECT_MEM(c, ref, 128);
    fill(p, sizeof(p), 0xee);
    EXPECT_STATUS(run(s, OP_DEC, c, sizeof(c), p, sizeof(p), &w), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(w, 128); /* always k bytes, leading zeros kept */
    EXPECT_MEM(p, padded, 128);
    EXPECT(all(p + 128, sizeof(p) - 128, 0xee));
    /* The private session encrypts too (public half derived). */
    EXPECT_STATUS(run(s, OP_ENC, padded, 128, c, sizeof(c), &w), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(c, ref, 128);
    /* src longer than k, or >= n: ERR. dst shorter than k: ERR, untouched. */
    uint8_t ff[129];
    fill(ff, sizeof(ff), 0xff);
    EXPECT_STATUS(run(v, OP_ENC, ff, 129, c, sizeof(c), NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(v, OP_ENC, ff, 128, c, sizeof(c), NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(s, OP_DEC, ff, 128, p, sizeof(p), NULL), VIRTIO_CRYPTO_ERR);
    fill(p, sizeof(p), 0xee);
    EXPECT_STATUS(run(v, OP_ENC, m, sizeof(m), p, 127, &w), VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(w, 0);
    EXPECT(all(p, sizeof(p), 0xee));
    EXPECT_STATUS(run(s, OP_DEC, c, sizeof(c), p, 127, NULL), VIRTIO_CRYPTO_ERR);
    EXPECT(all(p, sizeof(p), 0xee));
    /* RAW MUST NOT sign or verify (spec); public key cannot decrypt. */
    EXPECT_STATUS(run(s, OP_SIGN, m, sizeof(m), c, sizeof(c), NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(v, OP_VER, c, sizeof(c), m, sizeof(m), NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(v, OP_DEC, c, sizeof(c), p, sizeof(p), NULL), VIRTIO_CRYPTO_ERR);
out:
    vc__ossl_ak_free(s);
    vc__ossl_ak_free(v);
}

TEST(rsa_pkcs1_encrypt_decrypt)
{
    struct vc__ossl_ak *s = NULL, *v = NULL;
    EXPECT_STATUS(mk_rsa(rsa2k_priv.b, rsa2k_priv.n, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA256, 0, &s),
                  VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(mk_rsa(rsa2k_pub.b, rsa2k_pub.n, PUB, PKCS1, VIRTIO_CRYPTO_RSA_SHA256, 0, &v),
                  VIRTIO_CRYPTO_OK);
    if (!s || !v)
        goto out;
    uint8_t m[245], c[256], p[300];
    for (size_t i = 0; i < sizeof(m); i++)
        m[i] = (uint8_t)(i * 7 + 1);
    size_t w = 0;
    /* Engine encrypt -> EVP decrypt, for a short and the longest message. */
    size_t lens[] = {0, 1, 16, 245};
    for (size_t i = 0; i < VC_ARRAY_SIZE(lens); i++) {
        EXPECT_STATUS(run(v, OP_ENC, m, lens[i], c, sizeof(c), &w), VIRTIO_CRYPTO_OK);
        EXPECT_EQ(w, 256);
        size_t pl = evp_crypt(rsa2k, 0, RSA_PKCS1_PADDING, c, 256, p, sizeof(p));
        EXPECT_EQ(pl, lens[i]);
        EXPECT_MEM(p, m, lens[i]);
        /* Engine decrypt writes exactly the message length. */
        fill(p, sizeof(p), 0xee);
        EXPECT_STATUS(run(s, OP_DEC, c, 256, p, sizeof(p), &w), VIRTIO_CRYPTO_OK);
        EXPECT_EQ(w, lens[i]);
        EXPECT_MEM(p, m, lens[i]);
        EXPECT(all(p + lens[i], sizeof(p) - lens[i], 0xee));
    }
    /* EVP encrypt -> engine decrypt; dst exactly the plaintext length is
     * enough, one byte less is ERR. */
    EXPECT_EQ(evp_crypt(rsa2k, 1, RSA_PKCS1_PADDING, m, 40, c, sizeof(c)), 256);
    EXPECT_STATUS(run(s, OP_DEC, c, 256, p, 40, &w), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(p, m, 40);
    EXPECT_STATUS(run(s, OP_DEC, c, 256, p, 39, &w), VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(w, 0);
    /* Message longer than k - 11: ERR. dst shorter than k: ERR. */
    EXPECT_STATUS(run(v, OP_ENC, m, 246, c, sizeof(c), NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(v, OP_ENC, m, 16, c, 255, NULL), VIRTIO_CRYPTO_ERR);
    /* Ciphertext not k bytes: ERR. */
    EXPECT_STATUS(run(s, OP_DEC, c + 1, 255, p, sizeof(p), NULL), VIRTIO_CRYPTO_ERR);
out:
    vc__ossl_ak_free(s);
    vc__ossl_ak_free(v);
}

TEST(rsa_bad_padding_is_one_err)
{
    /* Build blocks with broken EME-PKCS1-v1_5 structure, raw-encrypt them
     * with EVP, and decrypt with a PKCS1 session: always plain ERR, nothing
     * written. */
    struct vc__ossl_ak *s = NULL;
    EXPECT_STATUS(mk_rsa(rsa1k_priv.b, rsa1k_priv.n, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA1, 0, &s),
                  VIRTIO_CRYPTO_OK);
    if (!s)
        return;
    uint8_t em[128], c[128], p[128];
    for (int kind = 0; kind < 4; kind++) {
        fill(em, sizeof(em), 0x5a);
        em[0] = 0;
        em[1] = 2;
        em[100] = 0;
        if (kind == 0)
            em[1] = 1; /* wrong block type */
        if (kind == 1)
            em[100] = 0x5a; /* no zero separator */
        if (kind == 2)
            em[5] = 0; /* padding string shorter than 8 bytes */
        if (kind == 3)
            em[0] = 0, em[1] = 0; /* type 0 */
        EXPECT_EQ(evp_crypt(rsa1k, 1, RSA_NO_PADDING, em, 128, c, sizeof(c)), 128);
        fill(p, sizeof(p), 0xee);
        size_t w = 7;
        EXPECT_STATUS(run(s, OP_DEC, c, 128, p, sizeof(p), &w), VIRTIO_CRYPTO_ERR);
        EXPECT_EQ(w, 0);
        EXPECT(all(p, sizeof(p), 0xee));
    }
    /* The well-formed block decrypts (shows the test can pass). */
    em[1] = 2;
    em[0] = 0;
    em[5] = 0x5a;
    em[100] = 0;
    EXPECT_EQ(evp_crypt(rsa1k, 1, RSA_NO_PADDING, em, 128, c, sizeof(c)), 128);
    size_t w = 0;
    EXPECT_STATUS(run(s, OP_DEC, c, 128, p, sizeof(p), &w), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(w, 27);
    vc__ossl_ak_free(s);
}

TEST(rsa_signature_length_and_range)
{
    struct vc__ossl_ak *s = NULL;
    EXPECT_STATUS(mk_rsa(rsa1k_priv.b, rsa1k_priv.n, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA256, 0, &s),
                  VIRTIO_CRYPTO_OK);
    if (!s)
        return;
    uint8_t dg[32], sig[129], small[127];
    digest("SHA256", "len", dg);
    size_t w = 9;
    /* dst shorter than k: ERR and nothing written. */
    fill(small, sizeof(small), 0xee);
    EXPECT_STATUS(run(s, OP_SIGN, dg, 32, small, sizeof(small), &w), VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(w, 0);
    EXPECT(all(small, sizeof(small), 0xee));
    EXPECT_STATUS(run(s, OP_SIGN, dg, 32, sig, 128, &w), VIRTIO_CRYPTO_OK);
    /* Signature of the wrong length is "invalid signature": KEY_REJECTED. */
    EXPECT_STATUS(run(s, OP_VER, sig, 127, dg, 32, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    sig[128] = 0;
    EXPECT_STATUS(run(s, OP_VER, sig, 129, dg, 32, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    EXPECT_STATUS(run(s, OP_VER, sig, 0, dg, 32, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    /* s >= n: KEY_REJECTED, not ERR. */
    fill(sig, 128, 0xff);
    EXPECT_STATUS(run(s, OP_VER, sig, 128, dg, 32, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    vc__ossl_ak_free(s);
}

TEST(rsa_session_params)
{
    struct vc__ossl_ak *s = NULL;
    /* MD2/MD3/MD4 and undefined hash ids: NOTSUPP. */
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, PKCS1, VIRTIO_CRYPTO_RSA_MD2, 0, &s),
                  VIRTIO_CRYPTO_NOTSUPP);
    EXPECT(s == NULL);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, PKCS1, VIRTIO_CRYPTO_RSA_MD3, 0, &s),
                  VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, PKCS1, VIRTIO_CRYPTO_RSA_MD4, 0, &s),
                  VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, PKCS1, 10, 0, &s), VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, RAW, 10, 0, &s), VIRTIO_CRYPTO_NOTSUPP);
    /* RAW ignores a defined hash id. */
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, RAW, VIRTIO_CRYPTO_RSA_MD2, 0, &s),
                  VIRTIO_CRYPTO_OK);
    vc__ossl_ak_free(s);
    s = NULL;
    /* Unknown padding: NOTSUPP. Unknown key type: ERR. */
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, 2, 0, 0, &s), VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, 3, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, 0, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* Unknown akcipher algorithm: NOTSUPP; empty key: ERR. */
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    p.u.akcipher.algo = 3;
    p.u.akcipher.key_type = PUB;
    p.u.akcipher.key = rsa1k_pub.b;
    p.u.akcipher.key_len = (uint32_t)rsa1k_pub.n;
    EXPECT_STATUS(vc__ossl_ak_create(&p, 0, 1, &s), VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, 0, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, VC_ENGINE_MAX_AKCIPHER_KEY + 1, PUB, PKCS1, 0, 0, &s),
                  VIRTIO_CRYPTO_ERR);
    EXPECT(s == NULL);
}

TEST(rsa_key_encodings_rejected)
{
    struct vc__ossl_ak *s = NULL;
    uint8_t buf[8192];
    /* Truncated DER. */
    EXPECT_STATUS(mk_rsa(rsa1k_priv.b, rsa1k_priv.n - 1, PRIV, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n - 1, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* Trailing garbage after the key. */
    memcpy(buf, rsa1k_priv.b, rsa1k_priv.n);
    buf[rsa1k_priv.n] = 0;
    EXPECT_STATUS(mk_rsa(buf, rsa1k_priv.n + 1, PRIV, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    memcpy(buf, rsa1k_pub.b, rsa1k_pub.n);
    buf[rsa1k_pub.n] = 0x30;
    EXPECT_STATUS(mk_rsa(buf, rsa1k_pub.n + 1, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* key_type mismatches. */
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PRIV, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_rsa(rsa1k_priv.b, rsa1k_priv.n, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* Not an RSA key: an EC key, a SubjectPublicKeyInfo, garbage. */
    EXPECT_STATUS(mk_rsa(ec_priv[0].b, ec_priv[0].n, PRIV, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    unsigned char *spki = NULL;
    int sl = i2d_PUBKEY(rsa1k, &spki);
    EXPECT(sl > 0);
    EXPECT_STATUS(mk_rsa(spki, (size_t)sl, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    OPENSSL_free(spki);
    fill(buf, 300, 0x30);
    EXPECT_STATUS(mk_rsa(buf, 300, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* Non-minimal length encoding (long form for a short length). */
    uint8_t nm[] = {0x30, 0x81, 0x06, 0x02, 0x01, 0x03, 0x02, 0x01, 0x03};
    EXPECT_STATUS(mk_rsa(nm, sizeof(nm), PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* The real 1024-bit public key, re-encoded with exactly one DER defect
     * each; the control (same bytes, minimal form) must pass. rsa1k_pub is
     * 30 81 89 | 02 81 81 00 <n:128> | 02 03 01 00 01. */
    EXPECT_EQ(rsa1k_pub.n, 140);
    const uint8_t *nfield = rsa1k_pub.b + 3; /* 02 81 81 00 n... (132 bytes) */
    static const uint8_t e_ok[] = {0x02, 0x03, 0x01, 0x00, 0x01};
    static const uint8_t e_longlen[] = {0x02, 0x81, 0x03, 0x01, 0x00, 0x01};
    static const uint8_t e_zeropad[] = {0x02, 0x04, 0x00, 0x01, 0x00, 0x01};
    static const uint8_t e_neg[] = {0x02, 0x03, 0x81, 0x00, 0x01};
    const struct {
        const uint8_t *e;
        size_t n;
        uint8_t want;
    } ev[] = {{e_ok, sizeof(e_ok), VIRTIO_CRYPTO_OK},
              {e_longlen, sizeof(e_longlen), VIRTIO_CRYPTO_ERR},
              {e_zeropad, sizeof(e_zeropad), VIRTIO_CRYPTO_ERR},
              {e_neg, sizeof(e_neg), VIRTIO_CRYPTO_ERR}};
    for (size_t i = 0; i < VC_ARRAY_SIZE(ev); i++) {
        uint8_t body[200];
        memcpy(body, nfield, 132);
        memcpy(body + 132, ev[i].e, ev[i].n);
        size_t l = tlv(buf, 0x30, body, 132 + ev[i].n);
        EXPECT_STATUS(mk_rsa(buf, l, PUB, PKCS1, 0, 0, &s), ev[i].want);
        vc__ossl_ak_free(s);
        s = NULL;
    }
    /* Sequence length in long form with a leading zero octet (30 82 00 89). */
    buf[0] = 0x30;
    buf[1] = 0x82;
    buf[2] = 0x00;
    buf[3] = 0x89;
    memcpy(buf + 4, rsa1k_pub.b + 3, 137);
    EXPECT_STATUS(mk_rsa(buf, 141, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* Modulus INTEGER without its sign octet reads as negative. */
    buf[0] = 0x30;
    buf[1] = 0x81;
    buf[2] = 0x88;
    buf[3] = 0x02;
    buf[4] = 0x81;
    buf[5] = 0x80;
    memcpy(buf + 6, rsa1k_pub.b + 7, 128 + 5);
    EXPECT_STATUS(mk_rsa(buf, 139, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* Indefinite length (BER). */
    memcpy(buf, rsa1k_pub.b, rsa1k_pub.n);
    buf[1] = 0x80;
    memmove(buf + 2, rsa1k_pub.b + 3, 137);
    buf[139] = 0;
    buf[140] = 0;
    EXPECT_STATUS(mk_rsa(buf, 141, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    EXPECT(s == NULL);
}

TEST(rsa_key_limits)
{
    struct vc__ossl_ak *s = NULL;
    uint8_t buf[1200];
    BIGNUM *n = rsa_bn(rsa1k, OSSL_PKEY_PARAM_RSA_N), *e = BN_new();
    /* e = 3 is allowed; even e, e = 1, e >= n are not. */
    BN_set_word(e, 3);
    size_t l = rsa_pub_der(n, e, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_OK);
    vc__ossl_ak_free(s);
    s = NULL;
    BN_set_word(e, 65536);
    l = rsa_pub_der(n, e, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    BN_set_word(e, 1);
    l = rsa_pub_der(n, e, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    BN_copy(e, n);
    BN_add_word(e, 2);
    l = rsa_pub_der(n, e, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* A 512-bit modulus (RSA-512 key generated here) and a 1023-bit one. */
    EVP_PKEY *k512 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
    struct der d512;
    EXPECT(k512 && encode(k512, EVP_PKEY_KEYPAIR, &d512));
    EXPECT_STATUS(mk_rsa(d512.b, d512.n, PRIV, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    EVP_PKEY_free(k512);
    BIGNUM *n1023 = BN_new();
    BN_rshift1(n1023, n);
    BN_set_bit(n1023, 0);
    BN_set_word(e, 65537);
    l = rsa_pub_der(n1023, e, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* Even modulus. */
    BN_clear_bit(n, 0);
    l = rsa_pub_der(n, e, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PUB, PKCS1, 0, 0, &s), VIRTIO_CRYPTO_ERR);
    /* max_bits caps the modulus: 2048-bit key with max 1024 / 2048. */
    EXPECT_STATUS(mk_rsa(rsa2k_pub.b, rsa2k_pub.n, PUB, PKCS1, 0, 1024, &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_rsa(rsa2k_pub.b, rsa2k_pub.n, PUB, PKCS1, 0, 2048, &s), VIRTIO_CRYPTO_OK);
    vc__ossl_ak_free(s);
    BN_free(n);
    BN_free(n1023);
    BN_free(e);
}

TEST(rsa_zero_crt_private_key)
{
    /* Linux crypto/testmgr.h private keys carry p = q = dP = dQ = qInv = 0;
     * such a key works from n, e, d alone and signs identically. */
    uint8_t buf[1500], dg[20], sig[128], ref[128];
    size_t l = rsa_priv_der(rsa1k, 1, 0, buf), w = 0;
    struct vc__ossl_ak *s = NULL;
    EXPECT_STATUS(mk_rsa(buf, l, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA1, 0, &s), VIRTIO_CRYPTO_OK);
    digest("SHA1", "testmgr", dg);
    if (s) {
        EXPECT_STATUS(run(s, OP_SIGN, dg, 20, sig, sizeof(sig), &w), VIRTIO_CRYPTO_OK);
        EXPECT_EQ(evp_sign(rsa1k, "SHA1", RSA_PKCS1_PADDING, dg, 20, ref, sizeof(ref)), 128);
        EXPECT_MEM(sig, ref, 128);
    }
    vc__ossl_ak_free(s);
    s = NULL;
    /* The full key rebuilt by hand is accepted too (the builder is right). */
    l = rsa_priv_der(rsa1k, 0, 0, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA1, 0, &s), VIRTIO_CRYPTO_OK);
    vc__ossl_ak_free(s);
    s = NULL;
    /* Some CRT fields zero, others not: ERR. */
    l = rsa_priv_der(rsa1k, 0, 1, buf);
    EXPECT_STATUS(mk_rsa(buf, l, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA1, 0, &s), VIRTIO_CRYPTO_ERR);
    /* p*q != n: splice the 2048-bit key's factors into the 1024-bit key. */
    BIGNUM *n = rsa_bn(rsa1k, OSSL_PKEY_PARAM_RSA_N), *e = rsa_bn(rsa1k, OSSL_PKEY_PARAM_RSA_E);
    BIGNUM *d = rsa_bn(rsa1k, OSSL_PKEY_PARAM_RSA_D), *p2 = rsa_bn(rsa2k, "rsa-factor1");
    uint8_t body[2000];
    size_t bl = 0;
    BIGNUM *zero = BN_new();
    BN_zero(zero);
    bl += der_bn(body + bl, zero);
    bl += der_bn(body + bl, n);
    bl += der_bn(body + bl, e);
    bl += der_bn(body + bl, d);
    for (int i = 0; i < 5; i++)
        bl += der_bn(body + bl, p2);
    l = tlv(buf, 0x30, body, bl);
    EXPECT_STATUS(mk_rsa(buf, l, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA1, 0, &s), VIRTIO_CRYPTO_ERR);
    EXPECT(s == NULL);
    BN_free(n);
    BN_free(e);
    BN_free(d);
    BN_free(p2);
    BN_free(zero);
}

TEST(public_session_limits_and_workers)
{
    struct vc__ossl_ak *v = NULL;
    EXPECT_STATUS(mk_rsa(rsa1k_pub.b, rsa1k_pub.n, PUB, PKCS1, VIRTIO_CRYPTO_RSA_SHA256, 0, &v),
                  VIRTIO_CRYPTO_OK);
    if (!v)
        return;
    uint8_t dg[32] = {0}, out[128];
    EXPECT_STATUS(run(v, OP_SIGN, dg, 32, out, sizeof(out), NULL), VIRTIO_CRYPTO_ERR);
    uint8_t c[128] = {1};
    EXPECT_STATUS(run(v, OP_DEC, c, 128, out, sizeof(out), NULL), VIRTIO_CRYPTO_ERR);
    /* Worker index out of range; unknown opcode. */
    EXPECT_STATUS(run_w(v, NWORKERS, OP_ENC, dg, 32, out, sizeof(out), NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run_w(v, NWORKERS - 1, OP_ENC, dg, 32, out, sizeof(out), NULL),
                  VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(run(v, VIRTIO_CRYPTO_CIPHER_ENCRYPT, dg, 32, out, sizeof(out), NULL),
                  VIRTIO_CRYPTO_NOTSUPP);
    vc__ossl_ak_free(v);
    vc__ossl_ak_free(NULL);
}

/* ---- ECDSA */

/* ECPrivateKey without [0] parameters, optionally without [1] public key. */
static size_t ec_der_noparams(int i, int with_pub, uint8_t *out)
{
    BIGNUM *d = NULL;
    uint8_t body[300], pub[300], dbytes[66];
    size_t pl = 0, flen = i == 0 ? 32 : i == 1 ? 48 : 66;
    EVP_PKEY_get_bn_param(ec[i], OSSL_PKEY_PARAM_PRIV_KEY, &d);
    BN_bn2binpad(d, dbytes, (int)flen);
    BN_clear_free(d);
    EVP_PKEY_get_octet_string_param(ec[i], OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub + 1,
                                    sizeof(pub) - 1, &pl);
    size_t n = 0;
    uint8_t one = 1;
    n += tlv(body + n, 0x02, &one, 1);
    n += tlv(body + n, 0x04, dbytes, flen);
    if (with_pub) {
        uint8_t bs[300];
        pub[0] = 0; /* unused bits */
        size_t bl = tlv(bs, 0x03, pub, pl + 1);
        n += tlv(body + n, 0xa1, bs, bl);
    }
    return tlv(out, 0x30, body, n);
}

TEST(ecdsa_sign_verify_every_curve)
{
    static const char *const mds[] = {"SHA256", "SHA384", "SHA512", "SHA1"};
    for (int i = 0; i < 3; i++) {
        struct vc__ossl_ak *sp = NULL, *sv = NULL;
        EXPECT_STATUS(mk_ec(ec_priv[i].b, ec_priv[i].n, PRIV, ec_ids[i], &sp), VIRTIO_CRYPTO_OK);
        EXPECT_STATUS(mk_ec(ec_pub[i].b, ec_pub[i].n, PUB, ec_ids[i], &sv), VIRTIO_CRYPTO_OK);
        if (!sp || !sv) {
            vc__ossl_ak_free(sp);
            vc__ossl_ak_free(sv);
            continue;
        }
        int smax = EVP_PKEY_get_size(ec[i]);
        EXPECT_EQ(smax, i == 0 ? 72 : i == 1 ? 104 : 139);
        for (size_t m = 0; m < VC_ARRAY_SIZE(mds); m++) {
            uint8_t dg[64], sig[160], ref[160];
            size_t dl = digest(mds[m], ec_names[i], dg), w = 0;
            fill(sig, sizeof(sig), 0xee);
            EXPECT_STATUS(run(sp, OP_SIGN, dg, dl, sig, (size_t)smax, &w), VIRTIO_CRYPTO_OK);
            EXPECT(w > 8 && w <= (size_t)smax);
            EXPECT(all(sig + w, sizeof(sig) - w, 0xee));
            EXPECT(evp_verify(ec[i], NULL, 0, sig, w, dg, dl));
            EXPECT_STATUS(run(sv, OP_VER, sig, w, dg, dl, NULL), VIRTIO_CRYPTO_OK);
            EXPECT_STATUS(run(sp, OP_VER, sig, w, dg, dl, NULL), VIRTIO_CRYPTO_OK);
            size_t rl = evp_sign(ec[i], NULL, 0, dg, dl, ref, sizeof(ref));
            EXPECT(rl > 0);
            EXPECT_STATUS(run(sv, OP_VER, ref, rl, dg, dl, NULL), VIRTIO_CRYPTO_OK);
            /* Tampered r/s, tampered digest, truncated DER, trailing byte. */
            sig[w - 1] ^= 1;
            EXPECT_STATUS(run(sv, OP_VER, sig, w, dg, dl, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
            sig[w - 1] ^= 1;
            dg[0] ^= 1;
            EXPECT_STATUS(run(sv, OP_VER, sig, w, dg, dl, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
            dg[0] ^= 1;
            /* A digest longer than the order is truncated to its bit length
             * (FIPS 186-5 §6.4.1): bytes past it do not matter. */
            if (dl * 8 > (size_t)(i == 0 ? 256 : i == 1 ? 384 : 521)) {
                dg[dl - 1] ^= 1;
                EXPECT_STATUS(run(sv, OP_VER, sig, w, dg, dl, NULL), VIRTIO_CRYPTO_OK);
                dg[dl - 1] ^= 1;
            }
            EXPECT_STATUS(run(sv, OP_VER, sig, w - 1, dg, dl, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
            sig[w] = 0;
            EXPECT_STATUS(run(sv, OP_VER, sig, w + 1, dg, dl, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
        }
        vc__ossl_ak_free(sp);
        vc__ossl_ak_free(sv);
    }
}

TEST(ecdsa_op_negatives)
{
    struct vc__ossl_ak *sp = NULL, *sv = NULL;
    EXPECT_STATUS(mk_ec(ec_priv[0].b, ec_priv[0].n, PRIV, ec_ids[0], &sp), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n, PUB, ec_ids[0], &sv), VIRTIO_CRYPTO_OK);
    if (!sp || !sv)
        goto out;
    uint8_t dg[65] = {1}, sig[200];
    size_t w = 5;
    /* dst below the largest DER signature: ERR, untouched. */
    fill(sig, sizeof(sig), 0xee);
    EXPECT_STATUS(run(sp, OP_SIGN, dg, 32, sig, 71, &w), VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(w, 0);
    EXPECT(all(sig, sizeof(sig), 0xee));
    /* Digest empty or longer than 64 bytes: ERR (sign and verify). */
    EXPECT_STATUS(run(sp, OP_SIGN, dg, 0, sig, 72, NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(sp, OP_SIGN, dg, 65, sig, 72, NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(sp, OP_SIGN, dg, 64, sig, 72, &w), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(run(sv, OP_VER, sig, w, dg, 65, NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(sv, OP_VER, sig, w, dg, 0, NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(sv, OP_VER, sig, w, dg, 64, NULL), VIRTIO_CRYPTO_OK);
    /* Empty, oversized and non-DER signatures: KEY_REJECTED. */
    EXPECT_STATUS(run(sv, OP_VER, sig, 0, dg, 64, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    EXPECT_STATUS(run(sv, OP_VER, sig, 73, dg, 64, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    uint8_t junk[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
    EXPECT_STATUS(run(sv, OP_VER, junk, sizeof(junk), dg, 32, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    junk[0] = 0x31;
    EXPECT_STATUS(run(sv, OP_VER, junk, sizeof(junk), dg, 32, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    /* BER (long-form length) re-encoding of a valid signature. */
    uint8_t ber[200];
    ber[0] = 0x30;
    ber[1] = 0x81;
    ber[2] = sig[1];
    memcpy(ber + 3, sig + 2, w - 2);
    EXPECT_STATUS(run(sv, OP_VER, ber, w + 1, dg, 64, NULL), VIRTIO_CRYPTO_KEY_REJECTED);
    /* Public session cannot sign; ECDSA has no encrypt/decrypt. */
    EXPECT_STATUS(run(sv, OP_SIGN, dg, 32, sig, 72, NULL), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(run(sp, OP_ENC, dg, 32, sig, sizeof(sig), NULL), VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(run(sp, OP_DEC, dg, 32, sig, sizeof(sig), NULL), VIRTIO_CRYPTO_NOTSUPP);
out:
    vc__ossl_ak_free(sp);
    vc__ossl_ak_free(sv);
}

TEST(ecdsa_key_forms)
{
    for (int i = 0; i < 3; i++) {
        struct vc__ossl_ak *s = NULL;
        uint8_t buf[400], dg[32], sig[160];
        size_t l, w = 0;
        digest("SHA256", "forms", dg);
        /* No [0] parameters: the session curve applies; with or without [1]. */
        l = ec_der_noparams(i, 1, buf);
        EXPECT_STATUS(mk_ec(buf, l, PRIV, ec_ids[i], &s), VIRTIO_CRYPTO_OK);
        if (s) {
            EXPECT_STATUS(run(s, OP_SIGN, dg, 32, sig, sizeof(sig), &w), VIRTIO_CRYPTO_OK);
            EXPECT(evp_verify(ec[i], NULL, 0, sig, w, dg, 32));
        }
        vc__ossl_ak_free(s);
        s = NULL;
        l = ec_der_noparams(i, 0, buf);
        EXPECT_STATUS(mk_ec(buf, l, PRIV, ec_ids[i], &s), VIRTIO_CRYPTO_OK);
        vc__ossl_ak_free(s);
        s = NULL;
        /* A [1] point that is not d*G: ERR. */
        l = ec_der_noparams(i, 1, buf);
        buf[l - 1] ^= 1;
        EXPECT_STATUS(mk_ec(buf, l, PRIV, ec_ids[i], &s), VIRTIO_CRYPTO_ERR);
        /* Compressed public point is accepted and verifies. */
        uint8_t cp[80];
        size_t flen = (ec_pub[i].n - 1) / 2;
        cp[0] = (uint8_t)(0x02 | (ec_pub[i].b[ec_pub[i].n - 1] & 1));
        memcpy(cp + 1, ec_pub[i].b + 1, flen);
        EXPECT_STATUS(mk_ec(cp, flen + 1, PUB, ec_ids[i], &s), VIRTIO_CRYPTO_OK);
        if (s) {
            size_t rl = evp_sign(ec[i], NULL, 0, dg, 32, sig, sizeof(sig));
            EXPECT_STATUS(run(s, OP_VER, sig, rl, dg, 32, NULL), VIRTIO_CRYPTO_OK);
        }
        vc__ossl_ak_free(s);
        s = NULL;
    }
}

TEST(ecdsa_key_rejects)
{
    struct vc__ossl_ak *s = NULL;
    uint8_t buf[400];
    /* Curve mismatch: P-256 key in a P-384 session, both key forms. */
    EXPECT_STATUS(mk_ec(ec_priv[0].b, ec_priv[0].n, PRIV, ec_ids[1], &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n, PUB, ec_ids[1], &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_ec(ec_priv[2].b, ec_priv[2].n, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    /* P-192 / P-224 / UNKNOWN / undefined curve ids: NOTSUPP. */
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n, PUB, VIRTIO_CRYPTO_CURVE_NIST_P192, &s),
                  VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n, PUB, VIRTIO_CRYPTO_CURVE_NIST_P224, &s),
                  VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n, PUB, VIRTIO_CRYPTO_CURVE_UNKNOWN, &s),
                  VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n, PUB, 6, &s), VIRTIO_CRYPTO_NOTSUPP);
    /* Trailing garbage, truncation, key-type mismatch, RSA key. */
    memcpy(buf, ec_priv[0].b, ec_priv[0].n);
    buf[ec_priv[0].n] = 0;
    EXPECT_STATUS(mk_ec(buf, ec_priv[0].n + 1, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_ec(ec_priv[0].b, ec_priv[0].n - 1, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_ec(ec_priv[0].b, ec_priv[0].n, PUB, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_ec(rsa1k_priv.b, rsa1k_priv.n, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    /* Public point: off the curve, identity, hybrid form, wrong length. */
    memcpy(buf, ec_pub[0].b, ec_pub[0].n);
    buf[64] ^= 1;
    EXPECT_STATUS(mk_ec(buf, ec_pub[0].n, PUB, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    uint8_t inf = 0;
    EXPECT_STATUS(mk_ec(&inf, 1, PUB, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    memcpy(buf, ec_pub[0].b, ec_pub[0].n);
    buf[0] = 0x06 | (ec_pub[0].b[64] & 1);
    EXPECT_STATUS(mk_ec(buf, ec_pub[0].n, PUB, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(mk_ec(ec_pub[0].b, ec_pub[0].n - 1, PUB, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    /* d = 0 and d = order (n of P-256). */
    static const uint8_t order256[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
        0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    uint8_t body[64], one = 1;
    size_t n = tlv(body, 0x02, &one, 1);
    uint8_t zero32[32] = {0};
    size_t n0 = n + tlv(body + n, 0x04, zero32, 32);
    size_t l = tlv(buf, 0x30, body, n0);
    EXPECT_STATUS(mk_ec(buf, l, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    n0 = n + tlv(body + n, 0x04, order256, 32);
    l = tlv(buf, 0x30, body, n0);
    EXPECT_STATUS(mk_ec(buf, l, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    /* d = order - 1 is a valid key (shows the construction is right). */
    uint8_t om1[32];
    memcpy(om1, order256, 32);
    om1[31]--;
    n0 = n + tlv(body + n, 0x04, om1, 32);
    l = tlv(buf, 0x30, body, n0);
    EXPECT_STATUS(mk_ec(buf, l, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_OK);
    vc__ossl_ak_free(s);
    s = NULL;
    /* Version 2 instead of 1. */
    buf[4] = 2;
    EXPECT_STATUS(mk_ec(buf, l, PRIV, ec_ids[0], &s), VIRTIO_CRYPTO_ERR);
    EXPECT(s == NULL);
}

/* ---- threads: two workers on shared sessions. */

struct thr {
    struct vc__ossl_ak *rsa, *ecs;
    unsigned worker;
    int fails;
};

static void *worker_main(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < 12; i++) {
        uint8_t dg[32], sig[256];
        size_t w = 0;
        char msg[32];
        snprintf(msg, sizeof(msg), "w%u-%d", t->worker, i);
        digest("SHA256", msg, dg);
        if (run_w(t->rsa, t->worker, OP_SIGN, dg, 32, sig, sizeof(sig), &w) != VIRTIO_CRYPTO_OK ||
            run_w(t->rsa, t->worker, OP_VER, sig, w, dg, 32, NULL) != VIRTIO_CRYPTO_OK ||
            !evp_verify(rsa2k, "SHA256", RSA_PKCS1_PADDING, sig, w, dg, 32))
            t->fails++;
        if (run_w(t->ecs, t->worker, OP_SIGN, dg, 32, sig, sizeof(sig), &w) != VIRTIO_CRYPTO_OK ||
            run_w(t->ecs, t->worker, OP_VER, sig, w, dg, 32, NULL) != VIRTIO_CRYPTO_OK)
            t->fails++;
        sig[w - 1] ^= 1;
        if (run_w(t->ecs, t->worker, OP_VER, sig, w, dg, 32, NULL) != VIRTIO_CRYPTO_KEY_REJECTED)
            t->fails++;
    }
    return NULL;
}

TEST(two_workers_share_sessions)
{
    struct vc__ossl_ak *r = NULL, *e = NULL;
    EXPECT_STATUS(mk_rsa(rsa2k_priv.b, rsa2k_priv.n, PRIV, PKCS1, VIRTIO_CRYPTO_RSA_SHA256, 0, &r),
                  VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(mk_ec(ec_priv[1].b, ec_priv[1].n, PRIV, ec_ids[1], &e), VIRTIO_CRYPTO_OK);
    if (!r || !e)
        goto out;
    struct thr t[NWORKERS];
    pthread_t th[NWORKERS];
    for (unsigned i = 0; i < NWORKERS; i++) {
        t[i] = (struct thr){r, e, i, 0};
        EXPECT_EQ(pthread_create(&th[i], NULL, worker_main, &t[i]), 0);
    }
    for (unsigned i = 0; i < NWORKERS; i++) {
        pthread_join(th[i], NULL);
        EXPECT_EQ(t[i].fails, 0);
    }
out:
    vc__ossl_ak_free(r);
    vc__ossl_ak_free(e);
}

/* The same contract through the engine vtable (engine.c dispatch). */
TEST(through_engine_vtable)
{
    struct vc_engine *e = NULL;
    struct vc_engine_cfg cfg = {.nworkers = NWORKERS, .rsa_max_bits = 1024};
    EXPECT(vc_ok(vc_engine_create(&vc_engine_openssl, &cfg, &e)));
    if (e == NULL)
        return;
    const struct vc_engine_caps *caps = vc_engine_caps(e);
    EXPECT(caps->crypto_services & (1u << VIRTIO_CRYPTO_SERVICE_AKCIPHER));
    EXPECT_EQ(caps->akcipher_algo,
              (1u << VIRTIO_CRYPTO_AKCIPHER_RSA) | (1u << VIRTIO_CRYPTO_AKCIPHER_ECDSA));
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
    p.u.akcipher.key_type = PRIV;
    p.u.akcipher.key = ec_priv[0].b;
    p.u.akcipher.key_len = (uint32_t)ec_priv[0].n;
    p.u.akcipher.ecdsa_curve = ec_ids[0];
    struct vc_engine_sess *s = NULL;
    EXPECT_STATUS(vc_engine_sess_create(e, &p, &s), VIRTIO_CRYPTO_OK);
    if (s) {
        uint8_t dg[32], sig[72];
        digest("SHA256", "vtable", dg);
        struct vc_iov si[3], di[3];
        struct vc_engine_op op = {.opcode = OP_SIGN};
        split(&op.src, si, dg, 32);
        split(&op.dst, di, sig, sizeof(sig));
        EXPECT_STATUS(vc_engine_op(e, s, 1, &op), VIRTIO_CRYPTO_OK);
        EXPECT(evp_verify(ec[0], NULL, 0, sig, (size_t)op.dst_written, dg, 32));
        struct vc_engine_op v = {.opcode = OP_VER};
        split(&v.src, si, sig, (size_t)op.dst_written);
        split(&v.dst, di, dg, 32);
        EXPECT_STATUS(vc_engine_op(e, s, 0, &v), VIRTIO_CRYPTO_OK);
        sig[op.dst_written - 1] ^= 1;
        EXPECT_STATUS(vc_engine_op(e, s, 0, &v), VIRTIO_CRYPTO_KEY_REJECTED);
    }
    vc_engine_sess_destroy(e, s);
    /* cfg.rsa_max_bits = 1024 reaches the RSA half. */
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
    p.u.akcipher.key_type = PUB;
    p.u.akcipher.rsa_padding = PKCS1;
    p.u.akcipher.rsa_hash = VIRTIO_CRYPTO_RSA_SHA256;
    p.u.akcipher.key = rsa2k_pub.b;
    p.u.akcipher.key_len = (uint32_t)rsa2k_pub.n;
    s = NULL;
    EXPECT_STATUS(vc_engine_sess_create(e, &p, &s), VIRTIO_CRYPTO_ERR);
    p.u.akcipher.key = rsa1k_pub.b;
    p.u.akcipher.key_len = (uint32_t)rsa1k_pub.n;
    EXPECT_STATUS(vc_engine_sess_create(e, &p, &s), VIRTIO_CRYPTO_OK);
    vc_engine_sess_destroy(e, s);
    vc_engine_destroy(e);
}

TEST(caps_entries)
{
    EXPECT_EQ(vc__ossl_ak_ncaps, 2);
    int seen_rsa = 0, seen_ec = 0;
    for (uint32_t i = 0; i < vc__ossl_ak_ncaps; i++) {
        const struct vc_algo_cap *c = &vc__ossl_ak_caps[i];
        EXPECT_EQ(c->service, VIRTIO_CRYPTO_SERVICE_AKCIPHER);
        if (c->algo == VIRTIO_CRYPTO_AKCIPHER_RSA) {
            seen_rsa = 1;
            EXPECT_EQ(c->bits_min, 1024);
            EXPECT_EQ(c->bits_max, 8192);
        } else if (c->algo == VIRTIO_CRYPTO_AKCIPHER_ECDSA) {
            seen_ec = 1;
            EXPECT_EQ(c->curves, (1u << 3) | (1u << 4) | (1u << 5));
        }
    }
    EXPECT(seen_rsa && seen_ec);
}

int main(void)
{
    rsa1k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    rsa2k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    int ok = rsa1k && rsa2k && encode(rsa1k, EVP_PKEY_KEYPAIR, &rsa1k_priv) &&
             encode(rsa1k, EVP_PKEY_PUBLIC_KEY, &rsa1k_pub) &&
             encode(rsa2k, EVP_PKEY_KEYPAIR, &rsa2k_priv) &&
             encode(rsa2k, EVP_PKEY_PUBLIC_KEY, &rsa2k_pub);
    for (int i = 0; ok && i < 3; i++) {
        ec[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ec_names[i]);
        ok = ec[i] && encode(ec[i], EVP_PKEY_KEYPAIR, &ec_priv[i]) &&
             EVP_PKEY_get_octet_string_param(ec[i], OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                             ec_pub[i].b, sizeof(ec_pub[i].b), &ec_pub[i].n) == 1;
    }
    if (!ok) {
        printf("Bail out! key generation failed\n");
        return 1;
    }
    RUN(rsa_sign_verify_every_hash);
    RUN(rsa_sign_no_hash_is_raw_emsa);
    RUN(rsa_raw_roundtrip_and_length_rule);
    RUN(rsa_pkcs1_encrypt_decrypt);
    RUN(rsa_bad_padding_is_one_err);
    RUN(rsa_signature_length_and_range);
    RUN(rsa_session_params);
    RUN(rsa_key_encodings_rejected);
    RUN(rsa_key_limits);
    RUN(rsa_zero_crt_private_key);
    RUN(public_session_limits_and_workers);
    RUN(ecdsa_sign_verify_every_curve);
    RUN(ecdsa_op_negatives);
    RUN(ecdsa_key_forms);
    RUN(ecdsa_key_rejects);
    RUN(two_workers_share_sessions);
    RUN(through_engine_vtable);
    RUN(caps_entries);
    EVP_PKEY_free(rsa1k);
    EVP_PKEY_free(rsa2k);
    for (int i = 0; i < 3; i++)
        EVP_PKEY_free(ec[i]);
    return TEST_DONE();
}
