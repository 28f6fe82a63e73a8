/* Wycheproof ECDSA verify vectors (P-256/SHA-256, P-384/SHA-384,
 * P-521/SHA-512) through the engine's AKCIPHER service.
 *
 * Mapping (engine.h, virtio v1.3 AKCIPHER): one session per test group with
 * algo ECDSA, key_type PUBLIC, key = the group's uncompressed point
 * (04 || X || Y, the ECPoint value virtio specifies), curve id from the
 * group's curve; op VERIFY with src = DER Ecdsa-Sig-Value and dst = the
 * message digest, which the test computes with the group's hash. Valid
 * signatures must give OK, invalid ones KEY_REJECTED.
 *
 * IEEE P1363 files (raw r || s): virtio carries DER only, so the test
 * converts r || s of the right size (twice the order's byte length) to DER
 * and runs it like any other vector, which keeps the range checks on r and
 * s (r = 0, r >= n, ...) meaningful. A P1363 signature of any other size has
 * no DER form: it must be marked invalid in the file and is counted as
 * test-rejected without reaching the engine.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wycheproof.h"

static bool g_p1363;

static const struct curve {
    const char *name;
    uint32_t id;
    size_t bytes; /* order length */
} curves[] = {
    {"secp256r1", VIRTIO_CRYPTO_CURVE_NIST_P256, 32},
    {"secp384r1", VIRTIO_CRYPTO_CURVE_NIST_P384, 48},
    {"secp521r1", VIRTIO_CRYPTO_CURVE_NIST_P521, 66},
};

static const struct curve *find_curve(const char *name)
{
    for (size_t i = 0; name && i < VC_ARRAY_SIZE(curves); i++)
        if (strcmp(curves[i].name, name) == 0)
            return &curves[i];
    return NULL;
}

/* Wycheproof hash names are "SHA-256" etc.; OpenSSL takes them as is. */
static const EVP_MD *find_md(const char *sha)
{
    return sha ? EVP_get_digestbyname(sha) : NULL;
}

/* r || s (each half bytes long) -> DER Ecdsa-Sig-Value in *der (malloc'd). */
static bool p1363_to_der(const struct wp_buf *raw, struct wp_buf *der)
{
    size_t half = raw->n / 2;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw->p, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(raw->p + half, (int)half, NULL);
    bool ok = false;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* owned by sig now */
        int n = i2d_ECDSA_SIG(sig, NULL);
        if (n > 0) {
            wp_buf_alloc(der, (size_t)n);
            uint8_t *q = der->p;
            ok = i2d_ECDSA_SIG(sig, &q) == n;
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return ok;
}

static void count_all_refused(struct wp_ctx *c, json_t *tests)
{
    for (size_t i = 0; i < json_array_size(tests); i++)
        wp_refused(c);
}

static void run_group(struct wp_ctx *c, json_t *g)
{
    json_t *tests = json_object_get(g, "tests");
    json_t *pk = json_object_get(g, "publicKey");
    const struct curve *cv = find_curve(wp_str(pk, "curve"));
    const EVP_MD *md = find_md(wp_str(g, "sha"));
    struct wp_buf point = {0};
    if (!cv || !md || !wp_hex(c, pk, "uncompressed", &point)) {
        wp_fail(c, -1, "group: unknown curve/hash or no uncompressed point");
        count_all_refused(c, tests);
        return;
    }
    const struct vc_algo_cap *cap =
        wp_cap(c, VIRTIO_CRYPTO_SERVICE_AKCIPHER, VIRTIO_CRYPTO_AKCIPHER_ECDSA);
    bool in_caps = cap && (cap->curves >> cv->id & 1);

    struct vc_sess_params p;
    wp_params(&p, VIRTIO_CRYPTO_SERVICE_AKCIPHER);
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
    p.u.akcipher.key_type = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC;
    p.u.akcipher.key = point.p;
    p.u.akcipher.key_len = (uint32_t)point.n;
    p.u.akcipher.ecdsa_curve = cv->id;
    struct vc_engine_sess *s = NULL;
    uint8_t st = vc_engine_sess_create(c->eng, &p, &s);
    wp_buf_free(&point);
    if (!in_caps || st != VIRTIO_CRYPTO_OK) {
        if (in_caps)
            wp_fail(c, -1, "group key (%s): session create %s", cv->name, wp_status(st));
        else if (st != VIRTIO_CRYPTO_NOTSUPP && st != VIRTIO_CRYPTO_ERR)
            wp_fail(c, -1, "curve %s not in caps, yet session create gave %s", cv->name,
                    wp_status(st));
        vc_engine_sess_destroy(c->eng, s);
        count_all_refused(c, tests);
        return;
    }

    size_t i;
    json_t *t;
    json_array_foreach (tests, i, t) {
        struct wp_vec w;
        struct wp_buf msg = {0}, sig = {0}, der = {0};
        bool parsed = wp_vec_get(c, t, &w);
        parsed = wp_hex(c, t, "msg", &msg) && parsed;
        parsed = wp_hex(c, t, "sig", &sig) && parsed;
        if (!parsed) {
            wp_ran(c, &w);
            goto next;
        }
        if (g_p1363) {
            if (sig.n != 2 * cv->bytes) {
                if (w.res == WP_VALID)
                    wp_fail(c, w.tcid, "valid P1363 signature of %zu bytes", sig.n);
                wp_test_rejected(c);
                goto next;
            }
            if (!p1363_to_der(&sig, &der)) {
                wp_fail(c, w.tcid, "cannot DER-encode r || s");
                wp_ran(c, &w);
                goto next;
            }
        } else {
            der = sig;
            sig = (struct wp_buf){0};
        }

        uint8_t dig[EVP_MAX_MD_SIZE];
        unsigned dlen = 0;
        if (EVP_Digest(msg.p, msg.n, dig, &dlen, md, NULL) != 1) {
            wp_fail(c, w.tcid, "EVP_Digest failed");
            wp_ran(c, &w);
            goto next;
        }
        struct vc_engine_op op;
        struct wp_sg ss, ds;
        wp_op(&op, VIRTIO_CRYPTO_AKCIPHER_VERIFY);
        wp_sg(&ss, der.p, der.n, (unsigned)w.tcid);
        wp_sg(&ds, dig, dlen, (unsigned)w.tcid / 2);
        op.src = ss.sg;
        op.dst = ds.sg;
        st = vc_engine_op(c->eng, s, WP_WORKER(w.tcid), &op);
        wp_ran(c, &w);
        if (w.res == WP_VALID && st != VIRTIO_CRYPTO_OK)
            wp_fail(c, w.tcid, "valid signature: verify gave %s", wp_status(st));
        else if (w.res == WP_INVALID && st != VIRTIO_CRYPTO_KEY_REJECTED)
            wp_fail(c, w.tcid, "invalid signature: verify gave %s, expected KEY_REJECTED",
                    wp_status(st));
        else if (w.res == WP_ACCEPTABLE && st != VIRTIO_CRYPTO_OK &&
                 st != VIRTIO_CRYPTO_KEY_REJECTED)
            wp_fail(c, w.tcid, "acceptable signature: verify gave %s", wp_status(st));
    next:
        wp_buf_free(&msg);
        wp_buf_free(&sig);
        wp_buf_free(&der);
    }
    vc_engine_sess_destroy(c->eng, s);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *file;
        bool p1363;
    } files[] = {
        {"ecdsa_secp256r1_sha256_test.json", false},
        {"ecdsa_secp384r1_sha384_test.json", false},
        {"ecdsa_secp521r1_sha512_test.json", false},
        {"ecdsa_secp256r1_sha256_p1363_test.json", true},
        {"ecdsa_secp384r1_sha384_p1363_test.json", true},
        {"ecdsa_secp521r1_sha512_p1363_test.json", true},
    };
    struct wp_ctx c;
    int rc = wp_init(&c, argc, argv);
    if (rc != -1)
        return rc;
    for (size_t i = 0; i < VC_ARRAY_SIZE(files); i++) {
        g_p1363 = files[i].p1363;
        wp_file(&c, files[i].file, run_group);
    }
    return wp_done(&c);
}
