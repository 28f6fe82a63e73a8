/* `vcrypto sign` / `vcrypto verify`: RSA PKCS#1 v1.5 and ECDSA through the
 * AKCIPHER service.
 *
 * IMPLEMENTATION NOTES
 * The device signs a DIGEST, not a message (docs/ENGINE.md, AKCIPHER: "SIGN
 * takes the raw digest"; the RSA session's hash id names the DigestInfo the
 * device prepends). So the tool hashes the input on the host, streaming, with
 * --digest (default sha256) and sends only the digest; the message size is
 * therefore unlimited. With --prehashed the input already is the digest.
 * This is exactly what `openssl dgst -sha256 -sign key.pem` computes, so
 * signatures interoperate both ways:
 *   RSA    the raw k-byte PKCS#1 v1.5 signature (RFC 8017 §8.2);
 *   ECDSA  the DER Ecdsa-Sig-Value (RFC 3279), as OpenSSL writes it.
 *
 * Keys are PEM (PKCS#8 / traditional private keys, SubjectPublicKeyInfo or
 * PKCS#1 public keys), read with OpenSSL's decoders and converted to what
 * virtio-crypto carries: RSA -> PKCS#1 RSAPrivateKey / RSAPublicKey DER;
 * ECDSA -> RFC 5915 ECPrivateKey DER / the public point. `verify` accepts a
 * private key too and uses its public half. Encrypted PEM is refused (no
 * password prompt in a pipeline tool).
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"

struct key {
    EVP_PKEY *pkey;
    bool private;
    uint32_t algo;  /* VIRTIO_CRYPTO_AKCIPHER_* */
    uint32_t curve; /* ECDSA */
    const char *name;
};

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static bool load_key(const char *path, struct key *k)
{
    BIO *b = BIO_new_file(path, "rb");
    OSSL_DECODER_CTX *dctx;
    char group[64];

    if (!b) {
        cli_err("cannot open key file '%s'", path);
        return false;
    }
    k->pkey = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
    k->private = k->pkey != NULL;
    if (!k->pkey) {
        (void)BIO_reset(b);
        k->pkey = PEM_read_bio_PUBKEY(b, NULL, no_password, NULL);
    }
    if (!k->pkey) {
        /* "BEGIN RSA PUBLIC KEY" (PKCS#1) has no PEM_read_bio_* in 3.0
         * that is not deprecated; the generic decoder reads it. */
        (void)BIO_reset(b);
        dctx = OSSL_DECODER_CTX_new_for_pkey(&k->pkey, "PEM", NULL, NULL,
                                             OSSL_KEYMGMT_SELECT_PUBLIC_KEY, NULL, NULL);
        if (dctx && OSSL_DECODER_from_bio(dctx, b) != 1)
            k->pkey = NULL;
        OSSL_DECODER_CTX_free(dctx);
    }
    BIO_free(b);
    if (!k->pkey) {
        cli_err("'%s' is not a PEM private or public key (encrypted keys are not supported)",
                path);
        return false;
    }
    if (EVP_PKEY_is_a(k->pkey, "RSA")) {
        k->algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
        k->name = "rsa";
        return true;
    }
    if (EVP_PKEY_is_a(k->pkey, "EC") &&
        EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       NULL) == 1) {
        static const struct {
            const char *group, *name;
            uint32_t curve;
        } curves[] = {
            {"prime256v1", "ecdsa-p256", VIRTIO_CRYPTO_CURVE_NIST_P256},
            {"P-256", "ecdsa-p256", VIRTIO_CRYPTO_CURVE_NIST_P256},
            {"secp384r1", "ecdsa-p384", VIRTIO_CRYPTO_CURVE_NIST_P384},
            {"P-384", "ecdsa-p384", VIRTIO_CRYPTO_CURVE_NIST_P384},
            {"secp521r1", "ecdsa-p521", VIRTIO_CRYPTO_CURVE_NIST_P521},
            {"P-521", "ecdsa-p521", VIRTIO_CRYPTO_CURVE_NIST_P521},
        };

        for (size_t i = 0; i < VC_ARRAY_SIZE(curves); i++) {
            if (strcmp(group, curves[i].group) == 0) {
                k->algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
                k->curve = curves[i].curve;
                k->name = curves[i].name;
                return true;
            }
        }
        cli_err("curve %s is not supported (virtio-crypto ECDSA: P-256, P-384, P-521)", group);
        return false;
    }
    cli_err("'%s': only RSA and EC (ECDSA) keys are supported", path);
    return false;
}

/* DER of the key in the virtio format; *der is OPENSSL_free'd by the caller
 * (after cleansing, for private keys). */
static int key_der(const struct key *k, bool private, unsigned char **der)
{
    *der = NULL;
    /* For RSA these are PKCS#1 RSAPrivateKey / RSAPublicKey; for EC the RFC
     * 5915 ECPrivateKey and the octet-string point (OpenSSL's "type
     * specific" encodings), which is what the virtio spec names. */
    return private ? i2d_PrivateKey(k->pkey, der) : i2d_PublicKey(k->pkey, der);
}

static const struct {
    const char *name;
    uint32_t rsa_hash;
} digests[] = {
    {"sha1", VIRTIO_CRYPTO_RSA_SHA1},     {"sha224", VIRTIO_CRYPTO_RSA_SHA224},
    {"sha256", VIRTIO_CRYPTO_RSA_SHA256}, {"sha384", VIRTIO_CRYPTO_RSA_SHA384},
    {"sha512", VIRTIO_CRYPTO_RSA_SHA512},
};

/* Hashes the input (or reads a prehashed digest). */
static int message_digest(const struct cli_opts *o, const EVP_MD *md, uint8_t *dig,
                          unsigned *dlen)
{
    unsigned want = (unsigned)EVP_MD_get_size(md);
    FILE *f = cli_open_in(o->in);
    EVP_MD_CTX *ctx;
    uint8_t buf[16384];
    bool err = false;
    size_t n;
    int rc = CLI_EXIT_FAIL;

    if (!f)
        return CLI_EXIT_FAIL;
    if (o->prehashed) {
        n = cli_read_full(f, dig, want + 1, &err);
        cli_close_in(f);
        if (err)
            return CLI_EXIT_FAIL;
        if (n != want) {
            cli_err("--prehashed input is %s%zu bytes; a %s digest is %u", n > want ? "over " : "",
                    n > want ? want : n, EVP_MD_get0_name(md), want);
            return CLI_EXIT_FAIL;
        }
        *dlen = want;
        return CLI_EXIT_OK;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex2(ctx, md, NULL) == 1) {
        while ((n = cli_read_full(f, buf, sizeof(buf), &err)) > 0 && !err) {
            if (EVP_DigestUpdate(ctx, buf, n) != 1)
                break;
            if (n < sizeof(buf))
                break;
        }
        if (!err && EVP_DigestFinal_ex(ctx, dig, dlen) == 1)
            rc = CLI_EXIT_OK;
        else if (!err)
            cli_err("hashing the input failed");
    } else {
        cli_err("cannot hash with %s", EVP_MD_get0_name(md));
    }
    EVP_MD_CTX_free(ctx);
    cli_close_in(f);
    return rc;
}

struct pk_job {
    struct key key;
    EVP_MD *md;
    uint32_t rsa_hash;
    uint8_t dig[EVP_MAX_MD_SIZE];
    unsigned dlen;
    struct vc_dev *dev;
    struct vc_session *sess;
};

/* Common front half of sign and verify: key, digest, device, session. */
static int pk_setup(const struct cli_opts *o, bool sign, struct pk_job *j)
{
    const char *dname = o->digest ? o->digest : "sha256";
    struct vc_session_params p = {0};
    const struct cli_alg *a;
    unsigned char *der = NULL;
    int der_len, rc;

    if (!o->key_file) {
        cli_err("no key given (--key FILE.pem)");
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < VC_ARRAY_SIZE(digests); i++) {
        if (strcmp(dname, digests[i].name) == 0)
            j->rsa_hash = digests[i].rsa_hash;
    }
    if (!j->rsa_hash) {
        cli_err("unknown --digest '%s' (sha1, sha224, sha256, sha384, sha512)", dname);
        return CLI_EXIT_USAGE;
    }
    if (o->alg && !cli_alg_need(o->alg, VIRTIO_CRYPTO_SERVICE_AKCIPHER, "rsa or ecdsa-pNNN"))
        return CLI_EXIT_USAGE;
    if (!load_key(o->key_file, &j->key))
        return CLI_EXIT_FAIL;
    a = cli_alg_find(j->key.name);
    if (o->alg && cli_alg_find(o->alg) != a) {
        cli_err("-a %s does not match the key (%s)", o->alg, j->key.name);
        return CLI_EXIT_USAGE;
    }
    if (sign && !j->key.private) {
        cli_err("'%s' is a public key; signing needs the private key", o->key_file);
        return CLI_EXIT_USAGE;
    }
    j->md = EVP_MD_fetch(NULL, dname, NULL);
    if (!j->md) {
        cli_err("OpenSSL has no %s", dname);
        return CLI_EXIT_FAIL;
    }
    rc = message_digest(o, j->md, j->dig, &j->dlen);
    if (rc)
        return rc;

    rc = cli_dev_open(o, 0, &j->dev);
    if (rc)
        return rc;
    if (!cli_dev_has(j->dev, a))
        return CLI_EXIT_FAIL;
    der_len = key_der(&j->key, sign, &der);
    if (der_len <= 0) {
        cli_err("cannot convert the key to its virtio DER form");
        return CLI_EXIT_FAIL;
    }
    p.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER;
    p.u.akcipher.algo = j->key.algo;
    p.u.akcipher.key_type =
        sign ? VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE : VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC;
    p.u.akcipher.key = der;
    p.u.akcipher.key_len = (uint32_t)der_len;
    if (j->key.algo == VIRTIO_CRYPTO_AKCIPHER_RSA) {
        p.u.akcipher.rsa_padding = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
        p.u.akcipher.rsa_hash = j->rsa_hash;
    } else {
        p.u.akcipher.curve = j->key.curve;
    }
    rc = cli_session(j->dev, j->key.name, &p, &j->sess);
    OPENSSL_clear_free(der, (size_t)der_len);
    return rc;
}

static void pk_free(struct pk_job *j)
{
    if (j->sess)
        (void)vc_session_destroy(j->sess);
    vc_dev_close(j->dev);
    EVP_PKEY_free(j->key.pkey);
    EVP_MD_free(j->md);
}

int cli_cmd_sign(struct cli_opts *o)
{
    struct pk_job j = {0};
    struct vc_op op = {0};
    void *shm[2] = {0};
    uint8_t sig[1024];
    uint8_t *dst;
    size_t cap;
    uint8_t st;
    FILE *f;
    int rc = pk_setup(o, true, &j);

    if (rc)
        goto out;
    rc = CLI_EXIT_FAIL;
    /* EVP_PKEY_get_size: k for RSA, the largest DER signature for ECDSA
     * (the engine asks for exactly that much room). */
    cap = (size_t)EVP_PKEY_get_size(j.key.pkey);
    if (cap == 0 || cap > sizeof(sig)) {
        cli_err("key too large (%zu-byte signatures)", cap);
        goto out;
    }
    shm[1] = vc_mem_alloc(j.dev, cap);
    dst = shm[1] ? shm[1] : sig;
    op.session = j.sess;
    op.opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN;
    op.src = cli_shm_copy(j.dev, j.dig, j.dlen, &shm[0]);
    op.src_len = j.dlen;
    op.dst = dst;
    op.dst_len = (uint32_t)cap;
    st = cli_run_op(vc_dev_qp(j.dev, 0), &op);
    if (st != VIRTIO_CRYPTO_OK) {
        cli_err("signing failed: %s", cli_status_str(st));
        goto out;
    }
    if (op.dst_written == 0 || op.dst_written > cap) {
        cli_err("the device returned a %u-byte signature", op.dst_written);
        goto out;
    }
    f = cli_open_out(o->out);
    if (f) {
        bool wrote = cli_write(f, dst, op.dst_written);

        if (cli_close_out(f, o->out) && wrote)
            rc = CLI_EXIT_OK;
    }
out:
    for (size_t i = 0; j.dev && i < VC_ARRAY_SIZE(shm); i++)
        vc_mem_free(j.dev, shm[i]);
    pk_free(&j);
    return rc;
}

int cli_cmd_verify(struct cli_opts *o)
{
    struct pk_job j = {0};
    struct cli_buf sig = {0};
    struct vc_op op = {0};
    void *shm[2] = {0};
    bool too_big;
    uint8_t st;
    FILE *f;
    int rc;

    if (!o->sig_file) {
        cli_err("no signature given (--sig FILE)");
        return CLI_EXIT_USAGE;
    }
    rc = pk_setup(o, false, &j);
    if (rc)
        goto out;
    rc = CLI_EXIT_FAIL;
    f = cli_open_in(o->sig_file);
    if (!f)
        goto out;
    if (!cli_read_all(f, 2048, &sig, &too_big)) {
        if (too_big)
            cli_err("signature file '%s' is larger than 2048 bytes", o->sig_file);
        cli_close_in(f);
        goto out;
    }
    cli_close_in(f);
    op.session = j.sess;
    op.opcode = VIRTIO_CRYPTO_AKCIPHER_VERIFY;
    /* Virtio layout: src = signature, dst = digest (read by the device). */
    op.src = cli_shm_copy(j.dev, sig.p, sig.len, &shm[0]);
    op.src_len = (uint32_t)sig.len;
    op.dst = cli_shm_copy(j.dev, j.dig, j.dlen, &shm[1]);
    op.dst_len = j.dlen;
    st = cli_run_op(vc_dev_qp(j.dev, 0), &op);
    if (st == VIRTIO_CRYPTO_KEY_REJECTED) {
        cli_err("signature does not verify (KEY_REJECTED)");
        goto out;
    }
    if (st != VIRTIO_CRYPTO_OK) {
        cli_err("verification could not run: %s", cli_status_str(st));
        goto out;
    }
    f = cli_open_out(o->out);
    if (f) {
        bool wrote = fputs("Verified OK\n", f) != EOF;

        if (cli_close_out(f, o->out) && wrote)
            rc = CLI_EXIT_OK;
    }
out:
    for (size_t i = 0; j.dev && i < VC_ARRAY_SIZE(shm); i++)
        vc_mem_free(j.dev, shm[i]);
    cli_buf_free(&sig);
    pk_free(&j);
    return rc;
}
