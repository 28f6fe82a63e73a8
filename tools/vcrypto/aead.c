/* `vcrypto aead-enc` / `aead-dec`: AES-GCM, AES-CCM, ChaCha20-Poly1305.
 *
 * The message goes in ONE request: an AEAD tag covers the whole message,
 * and virtio-crypto has no way to carry AEAD state between requests, so
 * the input is limited to what one request can carry (max_size covers IV,
 * AAD, input and output). The wire layout is the virtio one: aead-enc
 * writes ciphertext || tag; aead-dec reads ciphertext || tag and writes the
 * plaintext only if the tag verifies. On a bad tag nothing is written (the
 * output file is not even created) and the exit status is 1.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"

static bool nonce_ok(const struct cli_alg *a, size_t len)
{
    size_t lo = 1, hi = 64;

    if (a->algo == VIRTIO_CRYPTO_AEAD_CCM)
        lo = 7, hi = 13;
    else if (a->algo == VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305)
        lo = hi = 12;
    if (len >= lo && len <= hi)
        return true;
    cli_err("nonce is %zu bytes; %s takes %zu..%zu (12 recommended)", len, a->name, lo, hi);
    return false;
}

int cli_cmd_aead(struct cli_opts *o, bool decrypt)
{
    const struct cli_alg *a = cli_alg_need(o->alg, VIRTIO_CRYPTO_SERVICE_AEAD, "an AEAD");
    struct cli_buf key = {0}, iv = {0}, aad = {0}, in = {0};
    struct vc_session_params p = {0};
    struct vc_session *sess = NULL;
    struct vc_dev *dev = NULL;
    struct vc_dev_info info;
    struct vc_op op = {0};
    void *shm[4] = {0};
    uint8_t *dst = NULL;
    size_t dst_len;
    uint32_t tag;
    uint64_t fixed, limit;
    int rc = CLI_EXIT_USAGE;
    uint8_t st;
    FILE *f;

    if (!a)
        return CLI_EXIT_USAGE;
    tag = o->tag_len ? o->tag_len : a->out_len;
    if (!o->key_hex || !o->iv_hex) {
        cli_err("%s needs -k HEX and --iv HEX", a->name);
        return CLI_EXIT_USAGE;
    }
    if (!cli_hex(o->key_hex, "the key", &key) || !cli_alg_key_ok(a, key.len) ||
        !cli_hex(o->iv_hex, "the nonce", &iv) || !nonce_ok(a, iv.len) ||
        (o->aad_hex && !cli_hex(o->aad_hex, "the AAD", &aad)))
        goto out;
    if (tag < 1 || tag > 16) {
        cli_err("--tag-len %u out of range (1..16; the device checks the exact set)", tag);
        goto out;
    }
    rc = cli_dev_open(o, 0, &dev);
    if (rc)
        goto out;
    rc = CLI_EXIT_FAIL;
    if (vc_dev_info(dev, &info) < 0 || !cli_dev_has(dev, a))
        goto out;
    /* max_size bounds iv + aad + src + dst of the request. */
    fixed = iv.len + aad.len;
    if (decrypt)
        limit = info.max_size + tag > fixed ? (info.max_size + tag - fixed) / 2 : 0;
    else
        limit = info.max_size > fixed + tag ? (info.max_size - fixed - tag) / 2 : 0;
    if (cli_read_oneshot(o, limit, "an AEAD message is one request; max_size covers nonce, AAD, "
                                   "input and output",
                         &in))
        goto out;
    if (decrypt && in.len < tag) {
        cli_err("input (%zu bytes) is shorter than the %u-byte tag", in.len, tag);
        goto out;
    }
    dst_len = decrypt ? in.len - tag : in.len + tag;

    p.service = VIRTIO_CRYPTO_SERVICE_AEAD;
    p.u.aead.algo = a->algo;
    p.u.aead.op = decrypt ? VIRTIO_CRYPTO_OP_DECRYPT : VIRTIO_CRYPTO_OP_ENCRYPT;
    p.u.aead.key = key.p;
    p.u.aead.key_len = (uint32_t)key.len;
    p.u.aead.tag_len = tag;
    p.u.aead.aad_len = (uint32_t)aad.len;
    if (cli_session(dev, a->name, &p, &sess))
        goto out;

    op.session = sess;
    op.opcode = decrypt ? VIRTIO_CRYPTO_AEAD_DECRYPT : VIRTIO_CRYPTO_AEAD_ENCRYPT;
    op.iv = cli_shm_copy(dev, iv.p, iv.len, &shm[0]);
    op.iv_len = (uint32_t)iv.len;
    if (aad.len) {
        op.aad = cli_shm_copy(dev, aad.p, aad.len, &shm[1]);
        op.aad_len = (uint32_t)aad.len;
    }
    op.src = cli_shm_copy(dev, in.p, in.len, &shm[2]);
    op.src_len = (uint32_t)in.len;
    shm[3] = vc_mem_alloc(dev, dst_len ? dst_len : 1);
    dst = shm[3];
    if (!dst) {
        cli_err("no shared memory for a %zu-byte output", dst_len);
        goto out;
    }
    op.dst = dst;
    op.dst_len = (uint32_t)dst_len;
    st = cli_run_op(vc_dev_qp(dev, 0), &op);
    if (st == VIRTIO_CRYPTO_BADMSG) {
        cli_err("authentication failed: the tag does not match (wrong key, nonce, AAD or "
                "tampered data); nothing written");
        goto out;
    }
    if (st != VIRTIO_CRYPTO_OK) {
        cli_err("%s", cli_status_str(st));
        goto out;
    }
    f = cli_open_out(o->out);
    if (!f)
        goto out;
    {
        bool wrote = cli_write(f, dst, dst_len);

        if (cli_close_out(f, o->out) && wrote)
            rc = CLI_EXIT_OK;
    }
out:
    if (dst)
        OPENSSL_cleanse(dst, dst_len);
    for (size_t i = 0; dev && i < VC_ARRAY_SIZE(shm); i++)
        vc_mem_free(dev, shm[i]);
    if (sess)
        (void)vc_session_destroy(sess);
    vc_dev_close(dev);
    cli_buf_wipe_free(&key);
    cli_buf_free(&iv);
    cli_buf_free(&aad);
    cli_buf_wipe_free(&in);
    return rc;
}
