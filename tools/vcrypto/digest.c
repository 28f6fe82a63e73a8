/* `vcrypto dgst` and `vcrypto mac`: one request over the whole input.
 *
 * virtio-crypto has no streaming hash: a HASH or MAC request carries the
 * whole message and the session keeps no state between requests, so an
 * input can be hashed only if it fits in one request. The device's max_size
 * bounds everything a request carries (input + digest), so the tool reads
 * at most max_size - digest bytes and refuses a longer input with the limit
 * in the message, rather than silently computing something else (hashing
 * chunks separately would give a different, non-standard digest).
 *
 * Output: the digest as lowercase hex and a newline (like `openssl dgst -r`
 * without the file name), or the raw bytes with --binary.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct oneshot {
    struct vc_dev *dev;
    struct vc_session *sess;
    struct cli_buf in;
    void *src_shm, *dig_shm;
};

static void oneshot_free(struct oneshot *x)
{
    if (x->dev) {
        vc_mem_free(x->dev, x->src_shm);
        vc_mem_free(x->dev, x->dig_shm);
    }
    if (x->sess)
        (void)vc_session_destroy(x->sess);
    vc_dev_close(x->dev);
    cli_buf_free(&x->in);
}

/* Runs the HASH/MAC request of session x->sess over the input and prints
 * the digest. */
static int run_digest(const struct cli_opts *o, struct oneshot *x, uint32_t opcode,
                      uint32_t dlen)
{
    struct vc_qp *qp = vc_dev_qp(x->dev, 0);
    struct vc_op op = {0};
    uint8_t dig[64];
    void *digp;
    FILE *f;
    uint8_t st;
    bool ok;

    if (!qp) {
        cli_err("the device has no queue");
        return CLI_EXIT_FAIL;
    }
    op.session = x->sess;
    op.opcode = opcode;
    op.src = cli_shm_copy(x->dev, x->in.p, x->in.len, &x->src_shm);
    op.src_len = (uint32_t)x->in.len;
    x->dig_shm = vc_mem_alloc(x->dev, dlen);
    digp = x->dig_shm ? x->dig_shm : dig;
    op.digest = digp;
    op.digest_len = dlen;
    st = cli_run_op(qp, &op);
    if (st != VIRTIO_CRYPTO_OK) {
        cli_err("%s", cli_status_str(st));
        return CLI_EXIT_FAIL;
    }
    f = cli_open_out(o->out);
    if (!f)
        return CLI_EXIT_FAIL;
    if (o->binary) {
        ok = cli_write(f, digp, dlen);
    } else {
        cli_hex_print(f, digp, dlen);
        ok = fputc('\n', f) != EOF;
    }
    return cli_close_out(f, o->out) && ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int open_and_read(const struct cli_opts *o, const struct cli_alg *a, uint32_t dlen,
                         uint32_t extra, struct oneshot *x)
{
    struct vc_dev_info info;
    uint64_t limit;
    int rc;

    rc = cli_dev_open(o, 0, &x->dev);
    if (rc)
        return rc;
    if (vc_dev_info(x->dev, &info) < 0 || !cli_dev_has(x->dev, a))
        return CLI_EXIT_FAIL;
    /* max_size bounds input + digest (+ IV) of the single request. */
    limit = info.max_size > (uint64_t)dlen + extra ? info.max_size - dlen - extra : 0;
    return cli_read_oneshot(o, limit,
                            "virtio-crypto has no streaming hash or MAC; max_size covers input "
                            "and digest",
                            &x->in);
}

static bool digest_len(const struct cli_opts *o, const struct cli_alg *a, uint32_t *out)
{
    bool shake = a->service == VIRTIO_CRYPTO_SERVICE_HASH &&
                 (a->algo == VIRTIO_CRYPTO_HASH_SHA3_SHAKE128 ||
                  a->algo == VIRTIO_CRYPTO_HASH_SHA3_SHAKE256);
    uint32_t max = shake ? 64 : a->out_len;

    *out = o->out_len ? o->out_len : a->out_len;
    if (*out < 1 || *out > max) {
        cli_err("--len %u out of range for %s (1..%u)", *out, a->name, max);
        return false;
    }
    return true;
}

int cli_cmd_dgst(struct cli_opts *o)
{
    const struct cli_alg *a = cli_alg_need(o->alg, VIRTIO_CRYPTO_SERVICE_HASH, "a hash");
    struct vc_session_params p = {0};
    struct oneshot x = {0};
    uint32_t dlen;
    int rc;

    if (!a || !digest_len(o, a, &dlen))
        return CLI_EXIT_USAGE;
    rc = open_and_read(o, a, dlen, 0, &x);
    if (rc == CLI_EXIT_OK) {
        p.service = VIRTIO_CRYPTO_SERVICE_HASH;
        p.u.hash.algo = a->algo;
        p.u.hash.digest_len = dlen;
        rc = cli_session(x.dev, a->name, &p, &x.sess);
    }
    if (rc == CLI_EXIT_OK)
        rc = run_digest(o, &x, VIRTIO_CRYPTO_HASH, dlen);
    oneshot_free(&x);
    return rc;
}

int cli_cmd_mac(struct cli_opts *o)
{
    const struct cli_alg *a = cli_alg_need(o->alg, VIRTIO_CRYPTO_SERVICE_MAC, "a MAC");
    struct vc_session_params p = {0};
    struct cli_buf key = {0};
    struct oneshot x = {0};
    uint32_t dlen;
    int rc = CLI_EXIT_USAGE;

    if (!a || !digest_len(o, a, &dlen))
        return CLI_EXIT_USAGE;
    if (!o->key_hex) {
        cli_err("no key given (-k HEX)");
        return CLI_EXIT_USAGE;
    }
    if (!cli_hex(o->key_hex, "the key", &key) || !cli_alg_key_ok(a, key.len))
        goto out;
    if (a->algo == VIRTIO_CRYPTO_MAC_GMAC_AES) {
        /* The engine implements GMAC, but a virtio MAC request has no IV
         * field (virtio_crypto_mac_data_flf: src_data_len and
         * hash_result_len only), so GMAC cannot be driven through it. */
        cli_err("gmac-aes needs a per-message IV, which virtio-crypto MAC requests cannot "
                "carry; use aes-*-gcm with an empty message and --aad instead");
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    rc = open_and_read(o, a, dlen, 0, &x);
    if (rc == CLI_EXIT_OK && a->block && (x.in.len == 0 || x.in.len % a->block)) {
        cli_err("%s needs a non-empty input of whole %u-byte blocks (got %zu bytes)", a->name,
                a->block, x.in.len);
        rc = CLI_EXIT_FAIL;
    }
    if (rc == CLI_EXIT_OK) {
        p.service = VIRTIO_CRYPTO_SERVICE_MAC;
        p.u.mac.algo = a->algo;
        p.u.mac.digest_len = dlen;
        p.u.mac.key = key.p;
        p.u.mac.key_len = (uint32_t)key.len;
        rc = cli_session(x.dev, a->name, &p, &x.sess);
    }
    if (rc == CLI_EXIT_OK)
        rc = run_digest(o, &x, VIRTIO_CRYPTO_MAC, dlen);
    oneshot_free(&x);
out:
    cli_buf_wipe_free(&key);
    return rc;
}
