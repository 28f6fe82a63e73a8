/* Wycheproof cipher vectors (AES-CBC with PKCS#5 padding, AES-XTS) through
 * the engine's CIPHER service (sym op_type CIPHER, one session per direction).
 *
 * AES-CBC-PKCS5: the engine cipher has no padding (virtio has none), so the
 * test pads before encrypting and checks and strips the padding after
 * decrypting. Invalid vectors carry a bad padding (or no ciphertext at all);
 * the test's strip step must reject them after a successful decrypt.
 *
 * AES-XTS: Wycheproof gives the tweak as its leading 1..16 bytes (ivSize 8 ..
 * 128 bits); the 16-byte virtio IV is that value zero-padded on the right
 * (checked against OpenSSL for every 256/512-bit-key vector). Data that is
 * not a multiple of the advertised block (ciphertext stealing) and 384-bit
 * keys (AES-192-XTS) are refused if the caps say so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wycheproof.h"

#define CANARY 8
#define CANARY_BYTE 0x5a
#define AES_BLOCK 16
#define XTS_IV 16

static uint32_t g_algo;

static uint8_t cipher(struct wp_ctx *c, uint32_t dir, const struct wp_buf *key, const uint8_t *iv,
                      size_t iv_len, uint8_t *src, size_t len, uint8_t *dst, unsigned seed)
{
    /* engine.h: exactly src.len bytes are written (dst_written). */
    struct vc_sess_params p;
    wp_params(&p, VIRTIO_CRYPTO_SERVICE_CIPHER);
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
    p.u.sym.cipher.algo = g_algo;
    p.u.sym.cipher.op = dir;
    p.u.sym.cipher.key = key->p;
    p.u.sym.cipher.key_len = (uint32_t)key->n;

    uint8_t ivb[VC_ENGINE_MAX_IV];
    memcpy(ivb, iv, iv_len);
    struct vc_engine_op op;
    struct wp_sg i, s, d;
    wp_op(&op, dir == VIRTIO_CRYPTO_OP_ENCRYPT ? VIRTIO_CRYPTO_CIPHER_ENCRYPT
                                               : VIRTIO_CRYPTO_CIPHER_DECRYPT);
    wp_sg(&i, ivb, iv_len, seed % 8 == 5 ? seed : 0);
    wp_sg(&s, src, len, seed);
    wp_sg(&d, dst, len + CANARY, seed / 2);
    op.iv = i.sg;
    op.src = s.sg;
    op.dst = d.sg;
    uint8_t st = wp_run(c, &p, &op);
    if (st == VIRTIO_CRYPTO_OK && op.dst_written != len)
        st = WP_WRONG_WRITTEN;
    return st;
}

static bool canary_ok(const uint8_t *p)
{
    for (int i = 0; i < CANARY; i++)
        if (p[i] != CANARY_BYTE)
            return false;
    return true;
}

/* PKCS#5: 1..16 bytes, each equal to the count. Returns the unpadded length
 * or -1. */
static long pkcs5_strip(const uint8_t *p, size_t n)
{
    if (n == 0 || n % AES_BLOCK)
        return -1;
    uint8_t k = p[n - 1];
    if (k == 0 || k > AES_BLOCK)
        return -1;
    for (size_t i = n - k; i < n; i++)
        if (p[i] != k)
            return -1;
    return (long)(n - k);
}

static void run_test(struct wp_ctx *c, json_t *t)
{
    struct wp_vec w;
    struct wp_buf key = {0}, iv = {0}, msg = {0}, ct = {0}, in = {0}, out = {0};
    bool parsed = wp_vec_get(c, t, &w);
    parsed = wp_hex(c, t, "key", &key) && parsed;
    parsed = wp_hex(c, t, "iv", &iv) && parsed;
    parsed = wp_hex(c, t, "msg", &msg) && parsed;
    parsed = wp_hex(c, t, "ct", &ct) && parsed;
    bool cbc = g_algo == VIRTIO_CRYPTO_CIPHER_AES_CBC;
    if (!parsed || iv.n > (cbc ? AES_BLOCK : XTS_IV)) {
        if (parsed)
            wp_fail(c, w.tcid, "IV of %zu bytes", iv.n);
        wp_ran(c, &w);
        goto out;
    }
    unsigned seed = (unsigned)w.tcid;
    uint8_t ivb[XTS_IV] = {0};
    size_t iv_len = cbc ? iv.n : XTS_IV;
    memcpy(ivb, iv.p, iv.n);

    /* Plaintext as the engine sees it: CBC adds the padding here. */
    size_t pad = cbc ? AES_BLOCK - msg.n % AES_BLOCK : 0;
    wp_buf_alloc(&in, msg.n + pad);
    memcpy(in.p, msg.p, msg.n);
    memset(in.p + msg.n, (int)pad, pad);
    size_t outcap = VC_MAX(in.n, ct.n);
    wp_buf_alloc(&out, outcap + CANARY);

    const struct vc_algo_cap *cap = wp_cap(c, VIRTIO_CRYPTO_SERVICE_CIPHER, g_algo);
    bool in_caps = wp_cap_key(cap, key.n) && wp_cap_iv(cap, iv_len) && wp_cap_data(cap, ct.n) &&
                   wp_cap_data(cap, in.n);

    /* Decrypt. */
    memset(out.p, CANARY_BYTE, out.n);
    uint8_t st_d = cipher(c, VIRTIO_CRYPTO_OP_DECRYPT, &key, ivb, iv_len, ct.p, ct.n, out.p, seed);
    bool canaries = canary_ok(out.p + ct.n);
    long plen = -1;
    bool dec_ok = false;
    if (st_d == VIRTIO_CRYPTO_OK) {
        plen = cbc ? pkcs5_strip(out.p, ct.n) : (long)ct.n;
        dec_ok = plen == (long)msg.n && memcmp(out.p, msg.p, msg.n) == 0;
    }

    /* Encrypt (valid and acceptable vectors). */
    uint8_t st_e = VIRTIO_CRYPTO_OK;
    bool enc_ok = true;
    if (w.res != WP_INVALID) {
        memset(out.p, CANARY_BYTE, out.n);
        st_e = cipher(c, VIRTIO_CRYPTO_OP_ENCRYPT, &key, ivb, iv_len, in.p, in.n, out.p, seed + 1);
        canaries = canaries && canary_ok(out.p + in.n);
        enc_ok = st_e == VIRTIO_CRYPTO_OK && in.n == ct.n && memcmp(out.p, ct.p, ct.n) == 0;
    }

    if (!in_caps) {
        if (!wp_is_refusal(st_d) || (w.res != WP_INVALID && !wp_is_refusal(st_e)))
            wp_fail(c, w.tcid,
                    "key %zu / iv %zu / data %zu bytes not in the engine's caps, yet decrypt "
                    "gave %s, encrypt %s (expected ERR)",
                    key.n, iv_len, ct.n, wp_status(st_d),
                    w.res != WP_INVALID ? wp_status(st_e) : "-");
        wp_refused(c);
        goto out;
    }
    wp_ran(c, &w);
    if (!canaries)
        wp_fail(c, w.tcid, "engine wrote past the end of the output");
    switch (w.res) {
    case WP_VALID:
        if (!dec_ok)
            wp_fail(c, w.tcid, "valid: decrypt %s%s", wp_status(st_d),
                    st_d == VIRTIO_CRYPTO_OK ? ", wrong plaintext or padding" : "");
        if (!enc_ok)
            wp_fail(c, w.tcid, "valid: encrypt %s%s", wp_status(st_e),
                    st_e == VIRTIO_CRYPTO_OK ? ", wrong ciphertext" : "");
        break;
    case WP_INVALID:
        /* The padding check is the test's: the engine decrypts any block
         * multiple; an empty ciphertext may also be refused as no data. */
        if (st_d == VIRTIO_CRYPTO_OK) {
            if (plen >= 0)
                wp_fail(c, w.tcid, "invalid: padding accepted after decrypt (%ld bytes)", plen);
        } else if (!(ct.n == 0 && wp_is_refusal(st_d))) {
            wp_fail(c, w.tcid, "invalid: decrypt gave %s, expected OK then a padding error",
                    wp_status(st_d));
        }
        break;
    case WP_ACCEPTABLE:
    default:
        if (st_d == VIRTIO_CRYPTO_OK && plen >= 0 && !dec_ok)
            wp_fail(c, w.tcid, "acceptable: decrypt OK but wrong plaintext");
        if (st_e == VIRTIO_CRYPTO_OK && !enc_ok)
            wp_fail(c, w.tcid, "acceptable: encrypt OK but wrong ciphertext");
        break;
    }
out:
    wp_buf_free(&key);
    wp_buf_free(&iv);
    wp_buf_free(&msg);
    wp_buf_free(&ct);
    wp_buf_free(&in);
    wp_buf_free(&out);
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
        {"aes_cbc_pkcs5_test.json", VIRTIO_CRYPTO_CIPHER_AES_CBC},
        {"aes_xts_test.json", VIRTIO_CRYPTO_CIPHER_AES_XTS},
    };
    struct wp_ctx c;
    int rc = wp_init(&c, argc, argv);
    if (rc != -1)
        return rc;
    for (size_t i = 0; i < VC_ARRAY_SIZE(files); i++) {
        g_algo = files[i].algo;
        wp_file(&c, files[i].file, run_group);
    }
    return wp_done(&c);
}
