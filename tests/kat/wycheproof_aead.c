/* Wycheproof AEAD vectors (AES-GCM, AES-CCM, ChaCha20-Poly1305) through the
 * engine's AEAD service.
 *
 * Mapping (engine.h): one session per direction with the vector's key and
 * tag_len = the tag's byte length; encrypt: iv, aad, src = msg -> dst = ct ||
 * tag; decrypt: src = ct || tag -> dst = msg, BADMSG on a bad tag with the
 * plaintext area zeroed. Valid vectors run both ways; invalid ones only
 * decrypt (their tag was modified, or their parameters are invalid, which the
 * engine must refuse). A vector whose key, IV or tag size the engine does not
 * advertise must be refused in both directions and is counted as refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wycheproof.h"

/* Bytes past the expected output that the engine must leave alone. */
#define CANARY 8
#define CANARY_BYTE 0xa5

static uint32_t g_algo;

struct aead_vec {
    struct wp_buf key, iv, aad, msg, ct, tag;
};

/* Parameter problems Wycheproof marks; an engine may reject these at
 * session or op time instead of reaching tag verification. */
static bool bad_params(json_t *t)
{
    static const char *const flags[] = {"InvalidNonceSize", "InvalidTagSize", "InsecureTagSize",
                                        "ZeroLengthIv", "CVE-2017-18330"};
    for (size_t i = 0; i < VC_ARRAY_SIZE(flags); i++)
        if (wp_has_flag(t, flags[i]))
            return true;
    return false;
}

static bool canary_ok(const uint8_t *p)
{
    for (int i = 0; i < CANARY; i++)
        if (p[i] != CANARY_BYTE)
            return false;
    return true;
}

/* Runs one AEAD operation; dst must have room for dst_len + CANARY bytes. */
static uint8_t aead(struct wp_ctx *c, uint32_t dir, const struct aead_vec *v, uint8_t *src,
                    size_t src_len, uint8_t *dst, size_t dst_len, unsigned seed, uint64_t *written)
{
    struct vc_sess_params p;
    wp_params(&p, VIRTIO_CRYPTO_SERVICE_AEAD);
    p.u.aead.algo = g_algo;
    p.u.aead.op = dir;
    p.u.aead.key = v->key.p;
    p.u.aead.key_len = (uint32_t)v->key.n;
    p.u.aead.tag_len = (uint32_t)v->tag.n;
    p.u.aead.aad_len = (uint32_t)v->aad.n;

    struct vc_engine_op op;
    struct wp_sg iv, aad, s, d;
    wp_op(&op, dir == VIRTIO_CRYPTO_OP_ENCRYPT ? VIRTIO_CRYPTO_AEAD_ENCRYPT
                                               : VIRTIO_CRYPTO_AEAD_DECRYPT);
    wp_sg(&iv, v->iv.p, v->iv.n, seed % 8 == 5 ? seed : 0);
    wp_sg(&aad, v->aad.p, v->aad.n, seed);
    wp_sg(&s, src, src_len, seed);
    wp_sg(&d, dst, dst_len + CANARY, seed / 2);
    op.iv = iv.sg;
    op.aad = aad.sg;
    op.src = s.sg;
    op.dst = d.sg;
    uint8_t st = wp_run(c, &p, &op);
    *written = op.dst_written;
    return st;
}

static void run_test(struct wp_ctx *c, json_t *t)
{
    struct wp_vec w;
    struct aead_vec v = {0};
    bool parsed = wp_vec_get(c, t, &w);
    parsed = wp_hex(c, t, "key", &v.key) && parsed;
    parsed = wp_hex(c, t, "iv", &v.iv) && parsed;
    parsed = wp_hex(c, t, "aad", &v.aad) && parsed;
    parsed = wp_hex(c, t, "msg", &v.msg) && parsed;
    parsed = wp_hex(c, t, "ct", &v.ct) && parsed;
    parsed = wp_hex(c, t, "tag", &v.tag) && parsed;
    if (!parsed || v.ct.n != v.msg.n) {
        if (parsed)
            wp_fail(c, w.tcid, "ct and msg lengths differ");
        wp_ran(c, &w);
        goto out;
    }
    unsigned seed = (unsigned)w.tcid;
    const struct vc_algo_cap *cap = wp_cap(c, VIRTIO_CRYPTO_SERVICE_AEAD, g_algo);
    bool in_caps = wp_cap_key(cap, v.key.n) && wp_cap_iv(cap, v.iv.n) && wp_cap_out(cap, v.tag.n);

    /* Decrypt: src = ct || tag. */
    struct wp_buf ctt, pt, enc;
    wp_buf_alloc(&ctt, v.ct.n + v.tag.n);
    memcpy(ctt.p, v.ct.p, v.ct.n);
    memcpy(ctt.p + v.ct.n, v.tag.p, v.tag.n);
    wp_buf_alloc(&pt, v.msg.n + CANARY);
    memset(pt.p, CANARY_BYTE, pt.n);
    uint64_t wr_d = 0, wr_e = 0;
    uint8_t st_d = aead(c, VIRTIO_CRYPTO_OP_DECRYPT, &v, ctt.p, ctt.n, pt.p, v.msg.n, seed, &wr_d);

    /* Encrypt: dst = ct || tag. Not for invalid vectors, whose ct/tag pair
     * is not what a correct encryption gives. */
    uint8_t st_e = VIRTIO_CRYPTO_OK;
    wp_buf_alloc(&enc, ctt.n + CANARY);
    memset(enc.p, CANARY_BYTE, enc.n);
    if (w.res != WP_INVALID)
        st_e =
            aead(c, VIRTIO_CRYPTO_OP_ENCRYPT, &v, v.msg.p, v.msg.n, enc.p, ctt.n, seed + 1, &wr_e);

    if (!in_caps) {
        if (!wp_is_refusal(st_d) || (w.res != WP_INVALID && !wp_is_refusal(st_e)))
            wp_fail(c, w.tcid,
                    "key %zu / iv %zu / tag %zu bytes not in the engine's caps, yet decrypt "
                    "gave %s, encrypt %s (expected ERR)",
                    v.key.n, v.iv.n, v.tag.n, wp_status(st_d),
                    w.res != WP_INVALID ? wp_status(st_e) : "-");
        wp_refused(c);
        goto free_bufs;
    }
    wp_ran(c, &w);
    /* dst_written (engine.h: bytes produced in dst) is part of the answer. */
    bool dec_ok =
        st_d == VIRTIO_CRYPTO_OK && wr_d == v.msg.n && memcmp(pt.p, v.msg.p, v.msg.n) == 0;
    bool enc_ok = st_e == VIRTIO_CRYPTO_OK && (w.res == WP_INVALID || wr_e == ctt.n) &&
                  memcmp(enc.p, ctt.p, ctt.n) == 0;
    if (!canary_ok(pt.p + v.msg.n) || !canary_ok(enc.p + ctt.n))
        wp_fail(c, w.tcid, "engine wrote past the end of the output");
    switch (w.res) {
    case WP_VALID:
        if (!dec_ok)
            wp_fail(c, w.tcid, "valid: decrypt %s%s", wp_status(st_d),
                    st_d == VIRTIO_CRYPTO_OK ? ", wrong plaintext or dst_written" : "");
        if (!enc_ok)
            wp_fail(c, w.tcid, "valid: encrypt %s%s", wp_status(st_e),
                    st_e == VIRTIO_CRYPTO_OK ? ", wrong ct||tag or dst_written" : "");
        break;
    case WP_INVALID:
        if (st_d == VIRTIO_CRYPTO_BADMSG) {
            for (size_t i = 0; i < v.msg.n; i++)
                if (pt.p[i] != 0) {
                    wp_fail(c, w.tcid, "BADMSG but plaintext released (byte %zu)", i);
                    break;
                }
        } else if (!(bad_params(t) && wp_is_refusal(st_d))) {
            wp_fail(c, w.tcid, "invalid: decrypt gave %s, expected BADMSG", wp_status(st_d));
        }
        break;
    case WP_ACCEPTABLE:
    default:
        if (st_d == VIRTIO_CRYPTO_OK && !dec_ok)
            wp_fail(c, w.tcid, "acceptable: decrypt OK but wrong plaintext");
        if (st_e == VIRTIO_CRYPTO_OK && !enc_ok)
            wp_fail(c, w.tcid, "acceptable: encrypt OK but wrong ct||tag");
        break;
    }
free_bufs:
    wp_buf_free(&ctt);
    wp_buf_free(&pt);
    wp_buf_free(&enc);
out:
    wp_buf_free(&v.key);
    wp_buf_free(&v.iv);
    wp_buf_free(&v.aad);
    wp_buf_free(&v.msg);
    wp_buf_free(&v.ct);
    wp_buf_free(&v.tag);
}

static void run_group(struct wp_ctx *c, json_t *g)
{
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(g, "tests"), i, t) {
        run_test(c, t);
    }
}

int main(int argc, char **argv)
{
    static const struct {
        const char *file;
        uint32_t algo;
    } files[] = {
        {"aes_gcm_test.json", VIRTIO_CRYPTO_AEAD_GCM},
        {"aes_ccm_test.json", VIRTIO_CRYPTO_AEAD_CCM},
        {"chacha20_poly1305_test.json", VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305},
    };
    struct wp_ctx c;
    int rc = wp_init(&c, argc, argv);
    if (rc != -1)
        return rc;
    for (size_t i = 0; i < VC_ARRAY_SIZE(files); i++) {
        g_algo = files[i].algo;
        wp_file(&c, files[i].file, run_group);
    }
    wp_file_na(&c, "xchacha20_poly1305_test.json", "virtio has no XChaCha20-Poly1305 AEAD id");
    return wp_done(&c);
}
