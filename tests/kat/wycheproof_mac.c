/* Wycheproof MAC vectors (HMAC-SHA1/224/256/384/512, AES-CMAC, AES-GMAC)
 * through the engine's MAC service.
 *
 * Mapping (engine.h): session with the vector's key and result_len = the
 * tag's byte length (truncated HMACs: tagSize/8; 0, meaning "full", is used
 * for some full-length vectors to cover that path too); op src = msg ->
 * digest. GMAC-AES takes the vector's IV in op.iv. virtio has no verify
 * operation for MACs, so the test compares: valid tags must match, invalid
 * (modified) tags must not. Invalid key sizes (AES-CMAC) must be refused.
 * HMAC-SHA3 has no virtio MAC id: n/a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wycheproof.h"

#define CANARY 8
#define CANARY_BYTE 0x3c

static uint32_t g_algo;
static size_t g_full; /* full tag length of g_algo */

static void run_test(struct wp_ctx *c, json_t *t, bool with_iv)
{
    struct wp_vec w;
    struct wp_buf key = {0}, iv = {0}, msg = {0}, tag = {0};
    bool parsed = wp_vec_get(c, t, &w);
    parsed = wp_hex(c, t, "key", &key) && parsed;
    parsed = (!with_iv || wp_hex(c, t, "iv", &iv)) && parsed;
    parsed = wp_hex(c, t, "msg", &msg) && parsed;
    parsed = wp_hex(c, t, "tag", &tag) && parsed;
    if (!parsed || tag.n > VC_ENGINE_MAX_DIGEST) {
        if (parsed)
            wp_fail(c, w.tcid, "tag of %zu bytes", tag.n);
        wp_ran(c, &w);
        goto out;
    }
    unsigned seed = (unsigned)w.tcid;
    const struct vc_algo_cap *cap = wp_cap(c, VIRTIO_CRYPTO_SERVICE_MAC, g_algo);
    bool in_caps =
        wp_cap_key(cap, key.n) && wp_cap_out(cap, tag.n) && (!with_iv || wp_cap_iv(cap, iv.n));

    struct vc_sess_params p;
    wp_params(&p, VIRTIO_CRYPTO_SERVICE_MAC);
    p.u.mac.algo = g_algo;
    p.u.mac.result_len = tag.n == g_full && seed % 3 == 0 ? 0 : (uint32_t)tag.n;
    p.u.mac.key = key.p;
    p.u.mac.key_len = (uint32_t)key.n;

    uint8_t out[VC_ENGINE_MAX_DIGEST + CANARY];
    memset(out, CANARY_BYTE, sizeof out);
    struct vc_engine_op op;
    struct wp_sg i, s, d;
    wp_op(&op, VIRTIO_CRYPTO_MAC);
    wp_sg(&i, iv.p, iv.n, seed % 8 == 5 ? seed : 0);
    wp_sg(&s, msg.p, msg.n, seed);
    wp_sg(&d, out, tag.n, seed / 2);
    if (with_iv)
        op.iv = i.sg;
    op.src = s.sg;
    op.digest = d.sg;
    uint8_t st = wp_run(c, &p, &op);

    if (!in_caps) {
        if (!wp_is_refusal(st))
            wp_fail(c, w.tcid,
                    "key %zu / tag %zu / iv %zu bytes not in the engine's caps, yet the MAC "
                    "gave %s (expected ERR)",
                    key.n, tag.n, iv.n, wp_status(st));
        wp_refused(c);
        goto out;
    }
    wp_ran(c, &w);
    for (size_t k = tag.n; k < sizeof out; k++)
        if (out[k] != CANARY_BYTE) {
            wp_fail(c, w.tcid, "engine wrote past the %zu-byte digest", tag.n);
            break;
        }
    bool match = st == VIRTIO_CRYPTO_OK && memcmp(out, tag.p, tag.n) == 0;
    switch (w.res) {
    case WP_VALID:
        if (!match)
            wp_fail(c, w.tcid, "valid: MAC %s%s", wp_status(st),
                    st == VIRTIO_CRYPTO_OK ? ", wrong tag" : "");
        break;
    case WP_INVALID:
        /* In-caps invalid vectors only have modified tags. */
        if (st != VIRTIO_CRYPTO_OK)
            wp_fail(c, w.tcid, "invalid: MAC gave %s, expected OK and another tag", wp_status(st));
        else if (match)
            wp_fail(c, w.tcid, "invalid: computed MAC equals the modified tag");
        break;
    case WP_ACCEPTABLE:
    default:
        if (st == VIRTIO_CRYPTO_OK && !match)
            wp_fail(c, w.tcid, "acceptable: MAC OK but wrong tag");
        break;
    }
out:
    wp_buf_free(&key);
    wp_buf_free(&iv);
    wp_buf_free(&msg);
    wp_buf_free(&tag);
}

static void run_group(struct wp_ctx *c, json_t *g)
{
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(g, "tests"), i, t) {
        run_test(c, t, g_algo == VIRTIO_CRYPTO_MAC_GMAC_AES);
    }
}

int main(int argc, char **argv)
{
    static const struct {
        const char *file;
        uint32_t algo;
        size_t full;
    } files[] = {
        {"hmac_sha1_test.json", VIRTIO_CRYPTO_MAC_HMAC_SHA1, 20},
        {"hmac_sha224_test.json", VIRTIO_CRYPTO_MAC_HMAC_SHA_224, 28},
        {"hmac_sha256_test.json", VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 32},
        {"hmac_sha384_test.json", VIRTIO_CRYPTO_MAC_HMAC_SHA_384, 48},
        {"hmac_sha512_test.json", VIRTIO_CRYPTO_MAC_HMAC_SHA_512, 64},
        {"aes_cmac_test.json", VIRTIO_CRYPTO_MAC_CMAC_AES, 16},
        {"aes_gmac_test.json", VIRTIO_CRYPTO_MAC_GMAC_AES, 16},
    };
    static const char *const sha3[] = {"hmac_sha3_224_test.json", "hmac_sha3_256_test.json",
                                       "hmac_sha3_384_test.json", "hmac_sha3_512_test.json"};
    struct wp_ctx c;
    int rc = wp_init(&c, argc, argv);
    if (rc != -1)
        return rc;
    for (size_t i = 0; i < VC_ARRAY_SIZE(files); i++) {
        g_algo = files[i].algo;
        g_full = files[i].full;
        /* The engine takes GMAC's IV in op.iv; a virtio MAC request has no
         * IV field, so backends behind virtio (tests/testlib/drv_engine.h)
         * do not offer GMAC at all. */
        if (g_algo == VIRTIO_CRYPTO_MAC_GMAC_AES &&
            !wp_cap(&c, VIRTIO_CRYPTO_SERVICE_MAC, g_algo)) {
            wp_file_na(&c, files[i].file, "virtio MAC requests carry no IV (AES-GMAC)");
            continue;
        }
        wp_file(&c, files[i].file, run_group);
    }
    for (size_t i = 0; i < VC_ARRAY_SIZE(sha3); i++)
        wp_file_na(&c, sha3[i], "virtio has no HMAC-SHA3 MAC id");
    return wp_done(&c);
}
