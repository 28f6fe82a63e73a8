/* NIST CAVP RSA PKCS#1 v1.5 signature KATs (FIPS 186-2 / 186-3 RSA2VS)
 * through the engine's AKCIPHER service.
 *
 *   SigGen15_186-2.txt  n, e, d: sign (deterministic, must equal S), and
 *                       verify S with the public key.
 *   SigGen15_186-3.rsp  n, e only: verify S; S with one bit flipped must
 *                       give KEY_REJECTED.
 *   SigVer15_186-3.rsp, SigVer15EMTest.txt  Result P -> OK, F ->
 *                       KEY_REJECTED.
 *
 * Mapping (engine.h, akcipher.c "OPERATION SEMANTICS"): session {service
 * AKCIPHER, akcipher {RSA, key_type, key = PKCS#1 RSAPrivateKey /
 * RSAPublicKey DER, rsa_padding PKCS1, rsa_hash from SHAAlg}}; SIGN {src =
 * digest of Msg, dst = k bytes}; VERIFY {src = S, dst = digest}. The test
 * hashes Msg with OpenSSL, since the engine signs digests.
 *
 * The DER keys are made with OpenSSL from the published numbers. The
 * SigGen file gives n, e, d but no primes; an RSAPrivateKey needs them, so
 * they are recovered from (n, e, d) as in NIST SP 800-56B Appendix C.
 */
#include "kat.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

enum rkind { SIGGEN, VERIFY_ONLY, SIGVER };

static const struct {
    const char *path;
    enum rkind kind;
} files[] = {
    {"asymmetric/RSA/FIPS_186-2/SigGen15_186-2.txt", SIGGEN},
    {"asymmetric/RSA/FIPS_186-2/SigGen15_186-3.rsp", VERIFY_ONLY},
    {"asymmetric/RSA/FIPS_186-2/SigVer15_186-3.rsp", SIGVER},
    {"asymmetric/RSA/SigVer15EMTest.txt", SIGVER},
};

static const struct {
    const char *path, *why;
} skipped[] = {
    {"asymmetric/RSA/FIPS_186-2/SigGen15_186-2.rsp", "same vectors as SigGen15_186-2.txt"},
    {"asymmetric/RSA/FIPS_186-2/*PSS*", "RSASSA-PSS has no virtio padding id"},
    {"asymmetric/RSA/FIPS_186-2/*RSA*.rsp", "X9.31 signatures have no virtio padding id"},
};

static const struct {
    const char *name;
    uint32_t id;
    const char *md;
} hashes[] = {
    {"SHA1", VIRTIO_CRYPTO_RSA_SHA1, "SHA1"},       {"SHA224", VIRTIO_CRYPTO_RSA_SHA224, "SHA224"},
    {"SHA256", VIRTIO_CRYPTO_RSA_SHA256, "SHA256"}, {"SHA384", VIRTIO_CRYPTO_RSA_SHA384, "SHA384"},
    {"SHA512", VIRTIO_CRYPTO_RSA_SHA512, "SHA512"},
};

/* A session kept while the key and hash stay the same (files group vectors
 * by modulus and hash), so the key is not parsed again for every vector. */
struct scache {
    struct kat_buf der;
    uint32_t hash, type;
    struct vc_engine_sess *s;
    uint8_t st;
};

struct rstate {
    struct vc_engine *e;
    const struct vc_algo_cap *cap;
    struct kat_file f;
    struct kat_buf n, e_, d, msg, sig, out, dig, pub, priv;
    struct scache cpub, cpriv;
    /* The numbers the current DER keys were made from. */
    struct kat_buf kn, ke, kd;
    bool have_keys, keys_priv;
};

static bool buf_eq(const struct kat_buf *a, const struct kat_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static BIGNUM *bn_of(const struct kat_buf *b)
{
    return BN_bin2bn(b->p, (int)b->len, NULL);
}

/* Recovers p, q from n, e, d (SP 800-56B Appendix C.2): with k = de - 1 =
 * 2^t r, some g^(r 2^i) is a non-trivial square root of 1 mod n, and its
 * gcd with n splits n. */
static bool factor(const BIGNUM *n, const BIGNUM *e, const BIGNUM *d, BIGNUM *p, BIGNUM *q,
                   BN_CTX *ctx)
{
    bool ok = false;
    BN_CTX_start(ctx);
    BIGNUM *k = BN_CTX_get(ctx), *r = BN_CTX_get(ctx), *g = BN_CTX_get(ctx);
    BIGNUM *y = BN_CTX_get(ctx), *x = BN_CTX_get(ctx), *n1 = BN_CTX_get(ctx);
    if (!n1 || !BN_mul(k, d, e, ctx) || !BN_sub_word(k, 1) || !BN_copy(r, k) || !BN_copy(n1, n) ||
        !BN_sub_word(n1, 1))
        goto out;
    int t = 0;
    while (!BN_is_zero(r) && !BN_is_odd(r)) {
        if (!BN_rshift1(r, r))
            goto out;
        t++;
    }
    for (unsigned long gw = 2; gw < 200 && !ok; gw++) {
        if (!BN_set_word(g, gw) || !BN_mod_exp(y, g, r, n, ctx))
            goto out;
        if (BN_is_one(y) || BN_cmp(y, n1) == 0)
            continue;
        for (int i = 0; i < t; i++) {
            if (!BN_mod_sqr(x, y, n, ctx))
                goto out;
            if (BN_is_one(x)) {
                if (!BN_sub_word(y, 1) || !BN_gcd(p, y, n, ctx) || !BN_div(q, NULL, n, p, ctx))
                    goto out;
                ok = !BN_is_one(p) && BN_cmp(p, n) != 0;
                break;
            }
            if (BN_cmp(x, n1) == 0)
                break;
            if (!BN_copy(y, x))
                goto out;
        }
    }
out:
    BN_CTX_end(ctx);
    return ok;
}

/* Encodes key (a public or private EVP_PKEY) as PKCS#1 DER into out. */
static bool to_der(EVP_PKEY *key, bool priv, struct kat_buf *out)
{
    unsigned char *der = NULL;
    int len = priv ? i2d_PrivateKey(key, &der) : i2d_PublicKey(key, &der);
    if (len <= 0)
        return false;
    kat_buf_set(out, der, (size_t)len);
    OPENSSL_free(der);
    return true;
}

/* Builds PKCS#1 DER for (n, e) and, if d is given, for the private key. */
static bool make_keys(const struct kat_buf *nb, const struct kat_buf *eb, const struct kat_buf *db,
                      struct kat_buf *pub, struct kat_buf *priv)
{
    bool ok = false;
    BN_CTX *ctx = BN_CTX_new();
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *key = NULL;
    BIGNUM *n = bn_of(nb), *e = bn_of(eb), *d = db ? bn_of(db) : NULL;
    BIGNUM *p = BN_new(), *q = BN_new(), *dp = BN_new(), *dq = BN_new(), *qi = BN_new();
    BIGNUM *t = BN_new();
    if (!ctx || !bld || !pc || !n || !e || (db && !d) || !p || !q || !dp || !dq || !qi || !t)
        goto out;
    if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto out;
    if (d) {
        if (!factor(n, e, d, p, q, ctx))
            goto out;
        /* dp = d mod (p-1), dq = d mod (q-1), qinv = q^-1 mod p. */
        if (!BN_copy(t, p) || !BN_sub_word(t, 1) || !BN_mod(dp, d, t, ctx) || !BN_copy(t, q) ||
            !BN_sub_word(t, 1) || !BN_mod(dq, d, t, ctx) || !BN_mod_inverse(qi, q, p, ctx))
            goto out;
        if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi))
            goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params || EVP_PKEY_fromdata_init(pc) <= 0 ||
        EVP_PKEY_fromdata(pc, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
        goto out;
    ok = to_der(key, false, pub) && (!d || to_der(key, true, priv));
out:
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    BN_clear_free(p);
    BN_clear_free(q);
    BN_clear_free(dp);
    BN_clear_free(dq);
    BN_clear_free(qi);
    BN_clear_free(t);
    BN_CTX_free(ctx);
    return ok;
}

/* The session for (der, type, hash), cached; NULL with *st on refusal. */
static struct vc_engine_sess *sess_get(struct rstate *r, struct scache *c,
                                       const struct kat_buf *der, uint32_t type, uint32_t hash,
                                       uint8_t *st)
{
    if (c->der.len != der->len || memcmp(c->der.p, der->p, der->len) != 0 || c->hash != hash ||
        c->type != type) {
        vc_engine_sess_destroy(r->e, c->s);
        c->s = NULL;
        kat_buf_set(&c->der, der->p, der->len);
        c->hash = hash;
        c->type = type;
        struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
        p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
        p.u.akcipher.key_type = type;
        p.u.akcipher.key = der->p;
        p.u.akcipher.key_len = (uint32_t)der->len;
        p.u.akcipher.rsa_padding = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
        p.u.akcipher.rsa_hash = hash;
        c->st = vc_engine_sess_create(r->e, &p, &c->s);
        if (c->st != VIRTIO_CRYPTO_OK)
            c->s = NULL;
    }
    *st = c->st;
    return c->s;
}

static void cache_drop(struct rstate *r, struct scache *c)
{
    vc_engine_sess_destroy(r->e, c->s);
    kat_buf_free(&c->der);
    memset(c, 0, sizeof(*c));
}

static uint8_t verify(struct rstate *r, struct vc_engine_sess *s, const struct kat_buf *sig,
                      unsigned long n)
{
    struct kat_sg src, dst;
    kat_sg_split(&src, sig->p, sig->len, n);
    kat_sg_split(&dst, r->dig.p, r->dig.len, n >> 1);
    struct vc_engine_op op = {
        .opcode = VIRTIO_CRYPTO_AKCIPHER_VERIFY, .src = src.sg, .dst = dst.sg};
    return vc_engine_op(r->e, s, n % 2, &op);
}

static void one(struct rstate *r, enum rkind kind, unsigned long n)
{
    struct kat_file *f = &r->f;
    const char *alg = kat_rsp_get(f->r, "SHAAlg");
    size_t h = 0;
    while (h < sizeof(hashes) / sizeof(hashes[0]) && (!alg || strcmp(alg, hashes[h].name) != 0))
        h++;
    if (h == sizeof(hashes) / sizeof(hashes[0])) {
        kat_fail(f, "unknown SHAAlg %s", alg ? alg : "(none)");
        return;
    }
    if (!kat_get_num(f, "n", &r->n) || !kat_get_num(f, "e", &r->e_) ||
        !kat_get_hex(f, "Msg", &r->msg) || !kat_get_num(f, "S", &r->sig) ||
        (kind == SIGGEN && !kat_get_num(f, "d", &r->d)))
        return;
    const char *res = kat_rsp_own(f->r, "Result");
    if (kind == SIGVER && (!res || (*res != 'P' && *res != 'F'))) {
        kat_fail(f, "no P/F Result");
        return;
    }
    bool want_ok = kind != SIGVER || *res == 'P';

    unsigned int dlen = 0;
    kat_buf_out(&r->dig, EVP_MAX_MD_SIZE);
    if (!EVP_Digest(r->msg.p, r->msg.len, r->dig.p, &dlen, EVP_get_digestbyname(hashes[h].md),
                    NULL)) {
        kat_fail(f, "OpenSSL %s failed", hashes[h].md);
        return;
    }
    r->dig.len = dlen;
    /* Keys change per modulus group (and per vector for SigVer's "e
     * changed" cases); a private key costs a factorisation, so reuse it. */
    bool want_priv = kind == SIGGEN;
    if (!r->have_keys || r->keys_priv != want_priv || !buf_eq(&r->kn, &r->n) ||
        !buf_eq(&r->ke, &r->e_) || (want_priv && !buf_eq(&r->kd, &r->d))) {
        r->have_keys = make_keys(&r->n, &r->e_, want_priv ? &r->d : NULL, &r->pub, &r->priv);
        if (!r->have_keys) {
            kat_fail(f, "cannot build the DER key");
            return;
        }
        r->keys_priv = want_priv;
        kat_buf_set(&r->kn, r->n.p, r->n.len);
        kat_buf_set(&r->ke, r->e_.p, r->e_.len);
        kat_buf_set(&r->kd, r->d.p, want_priv ? r->d.len : 0);
    }
    /* Modulus size without leading zero bytes. */
    size_t lz = 0;
    while (lz < r->n.len && r->n.p[lz] == 0)
        lz++;
    size_t k = r->n.len - lz;
    uint32_t bits = (uint32_t)(8 * k);
    for (uint8_t top = k ? r->n.p[lz] : 0; top && !(top & 0x80); top <<= 1)
        bits--;
    bool ok = r->cap && bits >= r->cap->bits_min && bits <= r->cap->bits_max;

    uint8_t st;
    struct vc_engine_sess *pub =
        sess_get(r, &r->cpub, &r->pub, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC, hashes[h].id, &st);
    if (pub)
        st = verify(r, pub, &r->sig, n);
    if (!ok) {
        f->na++;
        if (!kat_refused(st))
            kat_fail(f, "n/a %u-bit key gave %s, want NOTSUPP/ERR", bits, kat_st(st));
        return;
    }
    f->run++;
    uint8_t want = want_ok ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_KEY_REJECTED;
    if (st != want) {
        kat_fail(f, "%u-bit %s verify (%s): status %s, want %s", bits, hashes[h].name,
                 res ? res : "P", kat_st(st), kat_st(want));
        return;
    }
    if (kind == VERIFY_ONLY && r->sig.len) {
        r->sig.p[n % r->sig.len] ^= (uint8_t)(1u << (n % 8));
        st = verify(r, pub, &r->sig, n + 1);
        if (st != VIRTIO_CRYPTO_KEY_REJECTED)
            kat_fail(f, "verify of a flipped signature: status %s, want KEY_REJECTED", kat_st(st));
    }
    if (kind != SIGGEN)
        return;

    struct vc_engine_sess *priv = sess_get(
        r, &r->cpriv, &r->priv, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE, hashes[h].id, &st);
    if (!priv) {
        kat_fail(f, "private key session: %s", kat_st(st));
        return;
    }
    struct kat_sg src, dst;
    kat_buf_out(&r->out, k);
    kat_sg_split(&src, r->dig.p, r->dig.len, n >> 2);
    kat_sg_split(&dst, r->out.p, k, n >> 1);
    struct vc_engine_op op = {.opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN, .src = src.sg, .dst = dst.sg};
    st = vc_engine_op(r->e, priv, n % 2, &op);
    if (st != VIRTIO_CRYPTO_OK) {
        kat_fail(f, "%u-bit %s sign: status %s", bits, hashes[h].name, kat_st(st));
        return;
    }
    if (op.dst_written != k || r->sig.len != k || !kat_buf_guard_ok(&r->out)) {
        kat_fail(f, "sign wrote %llu bytes, want %zu", (unsigned long long)op.dst_written, k);
        return;
    }
    kat_check_mem(f, "signature", r->out.p, r->sig.p, k);
}

static void run_file(struct rstate *r, const char *dir, const char *path, enum rkind kind)
{
    if (!kat_file_open(&r->f, dir, path)) {
        kat_file_missing(path);
        return;
    }
    unsigned long n = 0;
    while (kat_rsp_next(r->f.r))
        if (kat_rsp_own(r->f.r, "Msg"))
            one(r, kind, n++);
    kat_file_end(&r->f);
}

int main(int argc, char **argv)
{
    kat__touch();
    const char *dir = kat_dir(argc, argv);
    if (!dir)
        SKIP_ALL("CAVP vectors not found (install python3-cryptography-vectors)");
    struct rstate r = {.e = kat_engine()};
    if (!r.e) {
        printf("Bail out! cannot create the OpenSSL engine\n");
        return 1;
    }
    r.cap = vc_engine_find_cap(vc_engine_caps(r.e), VIRTIO_CRYPTO_SERVICE_AKCIPHER,
                               VIRTIO_CRYPTO_AKCIPHER_RSA);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_file(&r, dir, files[i].path, files[i].kind);
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        kat_file_skipped(skipped[i].path, skipped[i].why);
    cache_drop(&r, &r.cpub);
    cache_drop(&r, &r.cpriv);
    struct kat_buf *bufs[] = {&r.n,   &r.e_,  &r.d,    &r.msg, &r.sig, &r.out,
                              &r.dig, &r.pub, &r.priv, &r.kn,  &r.ke,  &r.kd};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        kat_buf_free(bufs[i]);
    vc_engine_destroy(r.e);
    return TEST_DONE();
}
