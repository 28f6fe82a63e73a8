/* Wycheproof RSA PKCS#1 v1.5 vectors through the engine's AKCIPHER service:
 *
 *   rsa_signature_<bits>_<hash>_test.json  verify (RsassaPkcs1Verify)
 *   rsa_pkcs1_<bits>_sig_gen_test.json     sign, compared byte for byte
 *                                          (PKCS#1 v1.5 is deterministic),
 *                                          then verify of the expected value
 *   rsa_pkcs1_<bits>_test.json             decrypt (RsaesPkcs1Decrypt)
 *
 * Mapping (engine.h, virtio v1.3 AKCIPHER): one session per test group with
 * algo RSA, padding PKCS1, hash = the group's SHA (virtio RSA hash ids exist
 * for SHA-1/224/256/384/512 only: files using SHA-512/224, SHA-512/256 or
 * SHA-3 are n/a); keys as virtio specifies them, PKCS#1 RSAPublicKey /
 * RSAPrivateKey DER, converted here from the files' SubjectPublicKeyInfo /
 * PKCS#8 with OpenSSL's encoder (structure "type-specific"). Sign and verify
 * take the message digest, which the test computes. Decrypt uses NO_HASH.
 *
 * Statuses: bad signatures -> KEY_REJECTED; every invalid ciphertext -> ERR,
 * one status for all padding failures (RFC 8017 §7.2.2: they must not be
 * distinguishable). A key the engine's caps exclude (modulus bits) must be
 * refused at session create; so may a key with a public exponent below
 * 65537 (Wycheproof "SmallPublicKey": libraries may reject it).
 */
#include <dirent.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wycheproof.h"

#define CANARY 8
#define CANARY_BYTE 0xc3

enum kind { K_VERIFY, K_SIGN, K_DECRYPT };
static enum kind g_kind;

#define NO_ID UINT32_MAX

static uint32_t rsa_hash_id(const char *sha)
{
    static const struct {
        const char *name;
        uint32_t id;
    } map[] = {
        {"SHA-1", VIRTIO_CRYPTO_RSA_SHA1},     {"SHA-224", VIRTIO_CRYPTO_RSA_SHA224},
        {"SHA-256", VIRTIO_CRYPTO_RSA_SHA256}, {"SHA-384", VIRTIO_CRYPTO_RSA_SHA384},
        {"SHA-512", VIRTIO_CRYPTO_RSA_SHA512},
    };
    for (size_t i = 0; sha && i < VC_ARRAY_SIZE(map); i++)
        if (strcmp(map[i].name, sha) == 0)
            return map[i].id;
    return NO_ID;
}

/* PKCS#1 (type-specific) DER of pk; selection picks public or private. */
static bool to_pkcs1(EVP_PKEY *pk, int selection, struct wp_buf *out)
{
    OSSL_ENCODER_CTX *ec =
        OSSL_ENCODER_CTX_new_for_pkey(pk, selection, "DER", "type-specific", NULL);
    unsigned char *data = NULL;
    size_t len = 0;
    bool ok = ec && OSSL_ENCODER_CTX_get_num_encoders(ec) > 0 &&
              OSSL_ENCODER_to_data(ec, &data, &len) == 1;
    if (ok) {
        wp_buf_alloc(out, len);
        memcpy(out->p, data, len);
    }
    OPENSSL_free(data);
    OSSL_ENCODER_CTX_free(ec);
    return ok;
}

/* Decodes the group's key field (SPKI or PKCS#8 DER hex) and converts it. */
static EVP_PKEY *load_key(struct wp_ctx *c, json_t *g, const char *field, bool priv,
                          struct wp_buf *pkcs1)
{
    struct wp_buf der;
    if (!wp_hex(c, g, field, &der))
        return NULL;
    const unsigned char *q = der.p;
    EVP_PKEY *pk =
        priv ? d2i_AutoPrivateKey(NULL, &q, (long)der.n) : d2i_PUBKEY(NULL, &q, (long)der.n);
    wp_buf_free(&der);
    if (!pk ||
        !to_pkcs1(pk, priv ? OSSL_KEYMGMT_SELECT_KEYPAIR : OSSL_KEYMGMT_SELECT_PUBLIC_KEY, pkcs1)) {
        wp_fail(c, -1, "cannot convert %s to PKCS#1", field);
        EVP_PKEY_free(pk);
        return NULL;
    }
    return pk;
}

/* The files also carry the PKCS#1 public key; it must equal our conversion. */
static void check_asn(struct wp_ctx *c, json_t *g, const char *field, const struct wp_buf *got)
{
    if (!json_object_get(g, field))
        return;
    struct wp_buf want;
    if (!wp_hex(c, g, field, &want))
        return;
    if (want.n != got->n || memcmp(want.p, got->p, got->n) != 0)
        wp_fail(c, -1, "PKCS#1 public key conversion differs from %s", field);
    wp_buf_free(&want);
}

static bool small_e(json_t *g)
{
    json_t *k = json_object_get(g, g_kind == K_VERIFY ? "publicKey" : "privateKey");
    const char *e = wp_str(k, "publicExponent");
    return e && strtoul(e, NULL, 16) < 65537;
}

static uint8_t open_sess(struct wp_ctx *c, uint32_t key_type, const struct wp_buf *key,
                         uint32_t hash, struct vc_engine_sess **s)
{
    struct vc_sess_params p;
    wp_params(&p, VIRTIO_CRYPTO_SERVICE_AKCIPHER);
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
    p.u.akcipher.key_type = key_type;
    p.u.akcipher.key = key->p;
    p.u.akcipher.key_len = (uint32_t)key->n;
    p.u.akcipher.rsa_padding = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
    p.u.akcipher.rsa_hash = hash;
    *s = NULL;
    return vc_engine_sess_create(c->eng, &p, s);
}

static uint8_t akop(struct wp_ctx *c, struct vc_engine_sess *s, uint32_t opcode, uint8_t *src,
                    size_t slen, uint8_t *dst, size_t dlen, unsigned seed, uint64_t *written)
{
    struct vc_engine_op op;
    struct wp_sg ss, ds;
    wp_op(&op, opcode);
    wp_sg(&ss, src, slen, seed);
    wp_sg(&ds, dst, dlen, seed / 2);
    op.src = ss.sg;
    op.dst = ds.sg;
    uint8_t st = vc_engine_op(c->eng, s, WP_WORKER(seed), &op);
    if (written)
        *written = op.dst_written;
    return st;
}

static bool digest(const EVP_MD *md, const struct wp_buf *msg, uint8_t *out, unsigned *len)
{
    return EVP_Digest(msg->p, msg->n, out, len, md, NULL) == 1;
}

static void count_all_refused(struct wp_ctx *c, json_t *tests)
{
    for (size_t i = 0; i < json_array_size(tests); i++)
        wp_refused(c);
}

/* One test of a verify or sign group. s_pub verifies, s_priv signs or
 * decrypts; modlen is the modulus length in bytes. */
static void run_test(struct wp_ctx *c, json_t *t, const EVP_MD *md, struct vc_engine_sess *s_pub,
                     struct vc_engine_sess *s_priv, size_t modlen, uint8_t *out)
{
    struct wp_vec w;
    struct wp_buf msg = {0}, data = {0};
    bool parsed = wp_vec_get(c, t, &w);
    parsed = wp_hex(c, t, "msg", &msg) && parsed;
    parsed = wp_hex(c, t, g_kind == K_DECRYPT ? "ct" : "sig", &data) && parsed;
    wp_ran(c, &w);
    if (!parsed)
        goto out;
    unsigned seed = (unsigned)w.tcid;
    uint8_t dig[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (g_kind != K_DECRYPT && !digest(md, &msg, dig, &dlen)) {
        wp_fail(c, w.tcid, "EVP_Digest failed");
        goto out;
    }
    uint64_t written = 0;
    uint8_t st;
    memset(out, CANARY_BYTE, modlen + CANARY);
    switch (g_kind) {
    case K_VERIFY:
        st = akop(c, s_pub, VIRTIO_CRYPTO_AKCIPHER_VERIFY, data.p, data.n, dig, dlen, seed, NULL);
        if (w.res == WP_VALID && st != VIRTIO_CRYPTO_OK)
            wp_fail(c, w.tcid, "valid signature: verify gave %s", wp_status(st));
        else if (w.res == WP_INVALID && st != VIRTIO_CRYPTO_KEY_REJECTED)
            wp_fail(c, w.tcid, "invalid signature: verify gave %s, expected KEY_REJECTED",
                    wp_status(st));
        else if (w.res == WP_ACCEPTABLE && st != VIRTIO_CRYPTO_OK &&
                 st != VIRTIO_CRYPTO_KEY_REJECTED)
            wp_fail(c, w.tcid, "acceptable signature: verify gave %s", wp_status(st));
        break;
    case K_SIGN:
        st = akop(c, s_priv, VIRTIO_CRYPTO_AKCIPHER_SIGN, dig, dlen, out, modlen + CANARY, seed,
                  &written);
        if (st != VIRTIO_CRYPTO_OK || written != data.n || memcmp(out, data.p, data.n) != 0)
            wp_fail(c, w.tcid, "sign gave %s, %llu bytes%s", wp_status(st),
                    (unsigned long long)written,
                    st == VIRTIO_CRYPTO_OK ? ", not the expected signature" : "");
        else if (out[modlen] != CANARY_BYTE)
            wp_fail(c, w.tcid, "sign wrote past the modulus length");
        st = akop(c, s_pub, VIRTIO_CRYPTO_AKCIPHER_VERIFY, data.p, data.n, dig, dlen, seed + 1,
                  NULL);
        if (st != VIRTIO_CRYPTO_OK)
            wp_fail(c, w.tcid, "verify of the expected signature gave %s", wp_status(st));
        break;
    case K_DECRYPT:
    default:
        st = akop(c, s_priv, VIRTIO_CRYPTO_AKCIPHER_DECRYPT, data.p, data.n, out, modlen + CANARY,
                  seed, &written);
        if (w.res == WP_INVALID) {
            if (st != VIRTIO_CRYPTO_ERR)
                wp_fail(c, w.tcid, "invalid ciphertext: decrypt gave %s, expected ERR",
                        wp_status(st));
        } else if (st != VIRTIO_CRYPTO_OK || written != msg.n || memcmp(out, msg.p, msg.n) != 0) {
            if (w.res == WP_VALID || st == VIRTIO_CRYPTO_OK)
                wp_fail(c, w.tcid, "decrypt gave %s, %llu bytes%s", wp_status(st),
                        (unsigned long long)written,
                        st == VIRTIO_CRYPTO_OK ? ", wrong plaintext" : "");
        }
        if (out[modlen] != CANARY_BYTE)
            wp_fail(c, w.tcid, "decrypt wrote past the modulus length");
        break;
    }
out:
    wp_buf_free(&msg);
    wp_buf_free(&data);
}

static void run_group(struct wp_ctx *c, json_t *g)
{
    json_t *tests = json_object_get(g, "tests");
    const char *sha = wp_str(g, "sha");
    const EVP_MD *md = NULL;
    uint32_t hash = VIRTIO_CRYPTO_RSA_NO_HASH;
    if (g_kind != K_DECRYPT) {
        hash = rsa_hash_id(sha);
        md = sha ? EVP_get_digestbyname(sha) : NULL;
        if (hash == NO_ID || !md) {
            wp_fail(c, -1, "group hash %s has no virtio RSA id", sha ? sha : "(none)");
            count_all_refused(c, tests);
            return;
        }
    }

    struct wp_buf pub = {0}, priv = {0};
    EVP_PKEY *kpub = NULL, *kpriv = NULL;
    struct vc_engine_sess *s_pub = NULL, *s_priv = NULL;
    uint8_t *out = NULL;
    if (g_kind == K_VERIFY) {
        kpub = load_key(c, g, "publicKeyDer", false, &pub);
        if (kpub)
            check_asn(c, g, "publicKeyAsn", &pub);
    } else {
        kpriv = load_key(c, g, "privateKeyPkcs8", true, &priv);
        if (g_kind == K_SIGN) {
            kpub = load_key(c, g, "keyDer", false, &pub);
            if (kpub)
                check_asn(c, g, "keyAsn", &pub);
        }
    }
    EVP_PKEY *any = kpub ? kpub : kpriv;
    if (!any || (g_kind != K_VERIFY && !kpriv) || (g_kind != K_DECRYPT && !kpub)) {
        count_all_refused(c, tests);
        goto out;
    }
    int bits = EVP_PKEY_get_bits(any);
    size_t modlen = (size_t)(bits + 7) / 8;
    const struct vc_algo_cap *cap =
        wp_cap(c, VIRTIO_CRYPTO_SERVICE_AKCIPHER, VIRTIO_CRYPTO_AKCIPHER_RSA);
    bool in_caps = cap && (uint32_t)bits >= cap->bits_min &&
                   (cap->bits_max == 0 || (uint32_t)bits <= cap->bits_max);

    uint8_t st = VIRTIO_CRYPTO_OK;
    if (kpub)
        st = open_sess(c, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC, &pub, hash, &s_pub);
    if (st == VIRTIO_CRYPTO_OK && kpriv)
        st = open_sess(c, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE, &priv, hash, &s_priv);
    if (!in_caps) {
        if (!wp_is_refusal(st))
            wp_fail(c, -1, "%d-bit key not in the engine's caps, yet session create gave %s", bits,
                    wp_status(st));
        count_all_refused(c, tests);
        goto out;
    }
    if (st != VIRTIO_CRYPTO_OK) {
        if (small_e(g) && wp_is_refusal(st)) {
            printf("# %s: %d-bit key with small public exponent refused (%s)\n", c->file, bits,
                   wp_status(st));
        } else {
            wp_fail(c, -1, "%d-bit key: session create gave %s", bits, wp_status(st));
        }
        count_all_refused(c, tests);
        goto out;
    }
    out = malloc(modlen + CANARY);
    if (!out) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    size_t i;
    json_t *t;
    json_array_foreach (tests, i, t) {
        run_test(c, t, md, s_pub, s_priv, modlen, out);
    }
out:
    free(out);
    vc_engine_sess_destroy(c->eng, s_pub);
    vc_engine_sess_destroy(c->eng, s_priv);
    EVP_PKEY_free(kpub);
    EVP_PKEY_free(kpriv);
    wp_buf_free(&pub);
    wp_buf_free(&priv);
}

/* ---- File selection: every matching file in the folder, sorted. */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_decrypt_file(const char *n)
{
    /* rsa_pkcs1_<digits>_test.json */
    const char *p = n + strlen("rsa_pkcs1_");
    if (strncmp(n, "rsa_pkcs1_", 10) != 0 || *p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    return strcmp(p, "_test.json") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every file of one kind; fails (a TAP line) if there is none. */
static void run_kind(struct wp_ctx *c, enum kind kind, const char *label)
{
    DIR *d = opendir(c->dir);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < VC_ARRAY_SIZE(names)) {
        const char *f = e->d_name;
        bool match = kind == K_VERIFY
                         ? strncmp(f, "rsa_signature_", 14) == 0 && ends_with(f, "_test.json")
                     : kind == K_SIGN
                         ? strncmp(f, "rsa_pkcs1_", 10) == 0 && ends_with(f, "_sig_gen_test.json")
                         : is_decrypt_file(f);
        if (match)
            names[n++] = strdup(f);
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    if (n == 0) {
        c->ntap++;
        c->nfail_files++;
        printf("not ok %d %s # no such files in %s\n", c->ntap, label, c->dir);
    }
    g_kind = kind;
    for (size_t i = 0; i < n; i++) {
        if (strstr(names[i], "sha3_") || strstr(names[i], "sha512_224") ||
            strstr(names[i], "sha512_256"))
            wp_file_na(c, names[i],
                       "virtio has no RSA hash id for SHA-3, SHA-512/224, SHA-512/256");
        else
            wp_file(c, names[i], run_group);
        free(names[i]);
    }
}

int main(int argc, char **argv)
{
    struct wp_ctx c;
    int rc = wp_init(&c, argc, argv);
    if (rc != -1)
        return rc;
    run_kind(&c, K_VERIFY, "rsa_signature_*_test.json");
    run_kind(&c, K_SIGN, "rsa_pkcs1_*_sig_gen_test.json");
    run_kind(&c, K_DECRYPT, "rsa_pkcs1_<bits>_test.json");
    return wp_done(&c);
}
