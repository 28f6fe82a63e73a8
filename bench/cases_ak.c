/* Asymmetric cells: RSA-2048 PKCS#1 v1.5 with SHA-256 and ECDSA P-256, sign
 * and verify of one SHA-256 digest.
 *
 * IMPLEMENTATION NOTES
 * Keys are generated at start (EVP_RSA_gen, EVP_EC_gen) and handed to the
 * engine the way a virtio session carries them: RSAPrivateKey /
 * RSAPublicKey DER, RFC 5915 ECPrivateKey DER / the ECPoint bytes
 * (i2d_PrivateKey / i2d_PublicKey give exactly those "type-specific" forms).
 * Sign cells use a private-key session, verify cells a public-key session,
 * as a guest would.
 * Native side = the cheapest correct EVP use: one EVP_PKEY_CTX per cell,
 * EVP_PKEY_sign_init / _verify_init (+ PKCS#1 padding and the SHA-256
 * signature md for RSA) once, then EVP_PKEY_sign / EVP_PKEY_verify per
 * message. The engine's contract (akcipher.c) matches: SIGN src = the raw
 * digest, dst = signature; VERIFY src = signature, dst = digest.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "bench.h"

#define SIG_BUF 512

enum ak_kind { AK_RSA, AK_ECDSA };

struct ak_state {
    const char *label;
    enum ak_kind kind;
    bool verify;
    /* engine side */
    struct vc_engine *eng;
    struct vc_engine_sess *sess;
    struct vc_engine_op op;
    struct vc_iov src_iov, dst_iov;
    uint8_t esig[SIG_BUF];
    /* native side */
    EVP_PKEY_CTX *ctx;
    uint8_t nsig[SIG_BUF];
    /* shared */
    uint8_t dgst[32];
    uint8_t sig[SIG_BUF]; /* a valid signature, for verify cells */
    size_t sig_len;
};

static void ak_free(void *p)
{
    struct ak_state *s = p;
    if (s == NULL)
        return;
    vc_engine_sess_destroy(s->eng, s->sess);
    EVP_PKEY_CTX_free(s->ctx);
    free(s);
}

static int engine_run(void *p, uint64_t n)
{
    struct ak_state *s = p;
    for (uint64_t i = 0; i < n; i++) {
        s->op.dst_written = 0;
        if (vc_engine_op(s->eng, s->sess, 0, &s->op) != VIRTIO_CRYPTO_OK)
            return -1;
    }
    return 0;
}

static int native_sign(void *p, uint64_t n)
{
    struct ak_state *s = p;
    for (uint64_t i = 0; i < n; i++) {
        size_t len = sizeof s->nsig;
        if (EVP_PKEY_sign(s->ctx, s->nsig, &len, s->dgst, sizeof s->dgst) != 1)
            return -1;
    }
    return 0;
}

static int native_verify(void *p, uint64_t n)
{
    struct ak_state *s = p;
    for (uint64_t i = 0; i < n; i++)
        if (EVP_PKEY_verify(s->ctx, s->sig, s->sig_len, s->dgst, sizeof s->dgst) != 1)
            return -1;
    return 0;
}

/* The DER the engine takes: private (RSAPrivateKey / ECPrivateKey) or public
 * (RSAPublicKey / ECPoint). Returns the length, *der to OPENSSL_free. */
static int key_der(EVP_PKEY *pk, bool pub, uint8_t **der)
{
    *der = NULL;
    return pub ? i2d_PublicKey(pk, der) : i2d_PrivateKey(pk, der);
}

static int native_ctx(struct ak_state *s, EVP_PKEY *pk, EVP_MD *md)
{
    s->ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    if (s->ctx == NULL)
        return -1;
    if ((s->verify ? EVP_PKEY_verify_init(s->ctx) : EVP_PKEY_sign_init(s->ctx)) != 1)
        return -1;
    if (s->kind == AK_RSA && (EVP_PKEY_CTX_set_rsa_padding(s->ctx, RSA_PKCS1_PADDING) != 1 ||
                              EVP_PKEY_CTX_set_signature_md(s->ctx, md) != 1))
        return -1;
    return 0;
}

/* Checks that each side accepts the other's signatures and that the engine
 * rejects a corrupted one: a verify that always says OK would time well. */
static int cross_check(struct ak_state *s, EVP_PKEY *pk, EVP_MD *md)
{
    EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    int rc = -1;
    if (v == NULL || EVP_PKEY_verify_init(v) != 1 ||
        (s->kind == AK_RSA && (EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PADDING) != 1 ||
                               EVP_PKEY_CTX_set_signature_md(v, md) != 1)))
        goto out;
    if (!s->verify) {
        size_t nlen = sizeof s->nsig;
        if (engine_run(s, 1) != 0 ||
            EVP_PKEY_sign(s->ctx, s->nsig, &nlen, s->dgst, sizeof s->dgst) != 1)
            goto out;
        if (EVP_PKEY_verify(v, s->esig, s->op.dst_written, s->dgst, sizeof s->dgst) != 1)
            goto out;
        /* PKCS#1 v1.5 is deterministic: the bytes must match too. */
        if (s->kind == AK_RSA && (s->op.dst_written != nlen || memcmp(s->esig, s->nsig, nlen) != 0))
            goto out;
        rc = 0;
        goto out;
    }
    if (engine_run(s, 1) != 0 || native_verify(s, 1) != 0)
        goto out;
    s->sig[s->sig_len / 2] ^= 0x10;
    uint8_t st = vc_engine_op(s->eng, s->sess, 0, &s->op);
    s->sig[s->sig_len / 2] ^= 0x10;
    rc = st == VIRTIO_CRYPTO_KEY_REJECTED ? 0 : -1;
out:
    EVP_PKEY_CTX_free(v);
    if (rc != 0)
        fprintf(stderr, "bench: %s: engine and native disagree\n", s->label);
    return rc;
}

static int make_cell(const struct bench_env *env, const char *label, enum ak_kind kind,
                     bool verify, EVP_PKEY *pk, EVP_MD *md, struct bench_cell *cell)
{
    struct ak_state *s = calloc(1, sizeof *s);
    uint8_t *der = NULL;
    if (s == NULL)
        return -1;
    s->label = label;
    s->kind = kind;
    s->verify = verify;
    s->eng = env->eng;
    for (size_t i = 0; i < sizeof s->dgst; i++)
        s->dgst[i] = (uint8_t)(0xa5 ^ i * 7);

    struct vc_sess_params p;
    memset(&p, 0, sizeof p);
    int der_len = key_der(pk, verify, &der);
    if (der_len <= 0)
        goto fail;
    p.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER;
    p.u.akcipher.algo = kind == AK_RSA ? VIRTIO_CRYPTO_AKCIPHER_RSA : VIRTIO_CRYPTO_AKCIPHER_ECDSA;
    p.u.akcipher.key_type =
        verify ? VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC : VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
    p.u.akcipher.key = der;
    p.u.akcipher.key_len = (uint32_t)der_len;
    p.u.akcipher.rsa_padding = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
    p.u.akcipher.rsa_hash = VIRTIO_CRYPTO_RSA_SHA256;
    p.u.akcipher.ecdsa_curve = VIRTIO_CRYPTO_CURVE_NIST_P256;
    uint8_t st = vc_engine_sess_create(env->eng, &p, &s->sess);
    OPENSSL_clear_free(der, (size_t)der_len);
    der = NULL;
    if (st != VIRTIO_CRYPTO_OK) {
        fprintf(stderr, "bench: %s: engine session create failed (status %u)\n", label, st);
        goto fail;
    }
    if (native_ctx(s, pk, md) != 0)
        goto fail;

    if (verify) {
        /* A valid signature made by a separate signing context. */
        EVP_PKEY_CTX *sc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        s->sig_len = sizeof s->sig;
        int ok = sc != NULL && EVP_PKEY_sign_init(sc) == 1 &&
                 (kind != AK_RSA || (EVP_PKEY_CTX_set_rsa_padding(sc, RSA_PKCS1_PADDING) == 1 &&
                                     EVP_PKEY_CTX_set_signature_md(sc, md) == 1)) &&
                 EVP_PKEY_sign(sc, s->sig, &s->sig_len, s->dgst, sizeof s->dgst) == 1;
        EVP_PKEY_CTX_free(sc);
        if (!ok)
            goto fail;
        s->op.opcode = VIRTIO_CRYPTO_AKCIPHER_VERIFY;
        vc_sg_flat(&s->op.src, &s->src_iov, s->sig, s->sig_len);
        vc_sg_flat(&s->op.dst, &s->dst_iov, s->dgst, sizeof s->dgst);
    } else {
        s->op.opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN;
        vc_sg_flat(&s->op.src, &s->src_iov, s->dgst, sizeof s->dgst);
        vc_sg_flat(&s->op.dst, &s->dst_iov, s->esig, sizeof s->esig);
    }
    if (cross_check(s, pk, md) != 0)
        goto fail;

    memset(cell, 0, sizeof *cell);
    snprintf(cell->alg, sizeof cell->alg, "%s", label);
    cell->bytes = 0;
    cell->pieces = 1;
    /* A fixed per-op cost, like the smallest messages: the 15 % bound. */
    cell->target = 0.15;
    cell->state = s;
    cell->engine = engine_run;
    cell->native = verify ? native_verify : native_sign;
    cell->free_state = ak_free;
    return 0;
fail:
    OPENSSL_free(der);
    ak_free(s);
    return -1;
}

int bench_cases_ak(const struct bench_env *env, const struct bench_opts *o,
                   struct bench_cell *cells, int max)
{
    static const struct {
        const char *label;
        enum ak_kind kind;
        bool verify;
    } defs[] = {
        {"RSA-2048 sign", AK_RSA, false},
        {"RSA-2048 verify", AK_RSA, true},
        {"ECDSA-P256 sign", AK_ECDSA, false},
        {"ECDSA-P256 verify", AK_ECDSA, true},
    };
    EVP_PKEY *rsa = NULL, *ec = NULL;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    int n = 0;

    for (size_t i = 0; i < VC_ARRAY_SIZE(defs); i++) {
        if (!bench_filter_match(o, defs[i].label) || o->size != 0 || o->pieces > 1)
            continue;
        EVP_PKEY **pk = defs[i].kind == AK_RSA ? &rsa : &ec;
        /* Generate each key only if some cell needs it (RSA takes a while). */
        if (*pk == NULL)
            *pk = defs[i].kind == AK_RSA ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
        if (*pk == NULL || md == NULL || n >= max) {
            fprintf(stderr, "bench: %s: key generation or setup failed\n", defs[i].label);
            n = -1;
            break;
        }
        if (make_cell(env, defs[i].label, defs[i].kind, defs[i].verify, *pk, md, &cells[n]) != 0) {
            n = -1;
            break;
        }
        n++;
    }
    /* Cells hold their own EVP_PKEY_CTX references to the keys. */
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_MD_free(md);
    return n;
}
