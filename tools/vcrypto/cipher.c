/* `vcrypto enc` / `vcrypto dec`: streaming symmetric ciphers.
 *
 * IMPLEMENTATION NOTES
 * The input is cut into chunks (--chunk, default 16 KiB, a multiple of 16
 * bytes) and each chunk is one CIPHER request. Up to --inflight chunks are
 * on the queue at once; completions come back in any order and are written
 * out in input order. The output is byte-for-byte what one request over the
 * whole input would give (and what `openssl enc` gives), because each
 * chunk's IV continues the previous chunk:
 *
 *   CBC encrypt  IV = last ciphertext block of the previous chunk, which
 *                only exists once that chunk completed: CBC encryption is
 *                inherently serial, so one chunk is in flight at a time.
 *   CBC decrypt  IV = last ciphertext block of the previous chunk's INPUT,
 *                known at read time: chunks run in parallel.
 *   CTR          counter block advanced by the previous chunk's blocks,
 *                big-endian over the whole IV (128-bit for AES as OpenSSL
 *                does; 64-bit for 3DES-CTR as our engine does).
 *   ECB          no IV; parallel.
 *   XTS          one data unit: the whole input in one request (so at most
 *                the device's max_size); XTS has no chaining across units.
 *
 * Padding: ECB and CBC use PKCS#7 like `openssl enc` unless -nopad. The pad
 * is added to the last chunk on encryption (a whole block if the input is
 * block-aligned); on decryption it is checked and stripped from the last
 * chunk, which is why an output chunk is only written once the tool knows
 * whether it is the last one (the next read returned data or EOF).
 *
 * Buffers come from vc_mem_alloc (zero copy); if the shared pool is short,
 * plain heap buffers go through the driver's copy path instead.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"

struct slot {
    struct vc_op op;
    uint8_t *in, *out;
    bool in_shm, out_shm;
    uint8_t iv[16];
    size_t len;   /* bytes in `in` (after padding on encryption) */
    uint64_t seq; /* chunk number */
    bool busy;    /* holds a chunk not yet written out */
    bool done;    /* completed */
    bool last;    /* known to be the final chunk */
};

struct stream {
    const struct cli_alg *a;
    bool decrypt, pad;
    struct vc_dev *dev;
    struct vc_qp *qp;
    struct vc_session *sess;
    size_t chunk;
    unsigned nslots;
    struct slot *slots;
    uint8_t next_iv[16];
    uint64_t read_seq, write_seq, offset;
    struct slot *last_read;
    bool eof;
    bool serial; /* CBC encryption */
    FILE *in, *out;
};

/* Adds n blocks to a big-endian counter of len bytes (wrapping). */
static void ctr_add(uint8_t *ctr, size_t len, uint64_t n)
{
    for (size_t i = len; i-- > 0 && n;) {
        uint64_t v = (uint64_t)ctr[i] + (n & 0xff);

        ctr[i] = (uint8_t)v;
        n = (n >> 8) + (v >> 8);
    }
}

static struct slot *free_slot(struct stream *st)
{
    for (unsigned i = 0; i < st->nslots; i++) {
        if (!st->slots[i].busy)
            return &st->slots[i];
    }
    return NULL;
}

static unsigned inflight(const struct stream *st)
{
    unsigned n = 0;

    for (unsigned i = 0; i < st->nslots; i++)
        n += st->slots[i].busy && !st->slots[i].done;
    return n;
}

/* A chunk completed: check it, and for CBC encryption take the next IV
 * from its last ciphertext block. */
static int on_done(struct stream *st, struct slot *s)
{
    s->done = true;
    if (s->op.status != VIRTIO_CRYPTO_OK) {
        cli_err("request for bytes %llu..%llu failed: %s",
                (unsigned long long)(s->seq * st->chunk),
                (unsigned long long)(s->seq * st->chunk + s->len), cli_status_str(s->op.status));
        return -1;
    }
    if (st->serial)
        memcpy(st->next_iv, s->out + s->len - st->a->iv_len, st->a->iv_len);
    return 0;
}

/* Reads the next chunk into a free slot and submits it. Returns 1 if a
 * chunk was submitted, 0 if nothing to do now, -1 on error (printed). */
static int submit_next(struct stream *st)
{
    const struct cli_alg *a = st->a;
    struct slot *s;
    struct vc_op *op;
    bool err = false;
    size_t n;

    if (st->eof || (st->serial && inflight(st) > 0))
        return 0;
    s = free_slot(st);
    if (!s)
        return 0;
    n = cli_read_full(st->in, s->in, st->chunk, &err);
    if (err)
        return -1;
    if (n < st->chunk)
        st->eof = true;
    if (st->pad && !st->decrypt && st->eof) {
        size_t p = a->block - n % a->block;

        memset(s->in + n, (int)p, p);
        n += p;
    }
    if (n == 0) {
        /* EOF on a chunk boundary: the previous chunk was the last. */
        if (st->last_read)
            st->last_read->last = true;
        else if (st->pad && st->decrypt) {
            cli_err("bad decrypt: empty input (a padded ciphertext has at least one block)");
            return -1;
        }
        return 0;
    }
    if (a->block && n % a->block) {
        cli_err("input length %llu is not a multiple of the %u-byte block%s",
                (unsigned long long)(st->offset + n), a->block,
                st->decrypt ? "" : " (drop -nopad to pad it)");
        return -1;
    }
    s->len = n;
    s->seq = st->read_seq++;
    s->busy = true;
    s->done = false;
    s->last = st->eof;
    st->last_read = s;

    memcpy(s->iv, st->next_iv, a->iv_len);
    switch (a->mode) {
    case CLI_MODE_CBC:
        if (st->decrypt)
            memcpy(st->next_iv, s->in + n - a->iv_len, a->iv_len);
        break; /* encryption: set from the output at completion */
    case CLI_MODE_CTR:
        ctr_add(st->next_iv, a->iv_len, n / a->iv_len);
        break;
    case CLI_MODE_ECB:
    case CLI_MODE_XTS:
    case CLI_MODE_NONE:
    default:
        break;
    }
    st->offset += n;

    op = &s->op;
    memset(op, 0, sizeof(*op));
    op->session = st->sess;
    op->opcode = st->decrypt ? VIRTIO_CRYPTO_CIPHER_DECRYPT : VIRTIO_CRYPTO_CIPHER_ENCRYPT;
    op->iv = a->iv_len ? s->iv : NULL;
    op->iv_len = a->iv_len;
    op->src = s->in;
    op->src_len = (uint32_t)n;
    op->dst = s->out;
    op->dst_len = (uint32_t)n;
    op->user = s;
    while (vc_enqueue_burst(st->qp, &op, 1) == 0) {
        struct vc_op *done[1];

        if (vc_qp_inflight(st->qp) == 0) {
            cli_err("device lost");
            return -1;
        }
        /* Cannot happen with nslots <= queue size, but stay correct. */
        if (cli_wait(st->qp, done, 1) == 1 && on_done(st, done[0]->user) < 0)
            return -1;
    }
    return 1;
}

/* Collects completions (waiting if nothing else can progress). */
static int complete(struct stream *st, bool block)
{
    struct vc_op *done[CLI_MAX_INFLIGHT];
    uint16_t n;

    if (vc_qp_inflight(st->qp) == 0)
        return 0;
    n = block ? cli_wait(st->qp, done, CLI_MAX_INFLIGHT)
              : vc_dequeue_burst(st->qp, done, CLI_MAX_INFLIGHT);
    for (uint16_t i = 0; i < n; i++) {
        if (on_done(st, done[i]->user) < 0)
            return -1;
    }
    return 0;
}

/* Writes completed chunks in order. */
static int flush(struct stream *st)
{
    for (;;) {
        struct slot *s = NULL;
        size_t len;

        for (unsigned i = 0; i < st->nslots; i++) {
            if (st->slots[i].busy && st->slots[i].seq == st->write_seq)
                s = &st->slots[i];
        }
        if (!s || !s->done)
            return 0;
        len = s->len;
        if (st->pad && st->decrypt) {
            /* Only the last chunk carries the pad; wait until we know. */
            if (!s->last && st->read_seq == s->seq + 1)
                return 0;
            if (s->last) {
                uint8_t p = s->out[len - 1];
                uint8_t bad = (uint8_t)(p == 0 || p > st->a->block);

                for (size_t i = 0; !bad && i < p; i++)
                    bad |= (uint8_t)(s->out[len - 1 - i] != p);
                if (bad) {
                    cli_err("bad decrypt: wrong padding (wrong key or IV, corrupt input, "
                            "or a -nopad ciphertext)");
                    return -1;
                }
                len -= p;
            }
        }
        if (!cli_write(st->out, s->out, len))
            return -1;
        s->busy = false;
        st->write_seq++;
    }
}

static bool all_written(const struct stream *st)
{
    for (unsigned i = 0; i < st->nslots; i++) {
        if (st->slots[i].busy)
            return false;
    }
    return true;
}

static int run_stream(struct stream *st)
{
    for (;;) {
        int progressed = 0, r;

        while ((r = submit_next(st)) == 1)
            progressed = 1;
        if (r < 0)
            return -1;
        if (st->eof && st->pad && st->decrypt && st->last_read)
            st->last_read->last = true;
        if (complete(st, !progressed) < 0 || flush(st) < 0)
            return -1;
        if (st->eof && all_written(st))
            return 0;
    }
}

static bool alloc_slots(struct stream *st)
{
    size_t bytes = st->chunk + 16;

    st->slots = calloc(st->nslots, sizeof(*st->slots));
    if (!st->slots)
        return false;
    for (unsigned i = 0; i < st->nslots; i++) {
        struct slot *s = &st->slots[i];

        s->in = vc_mem_alloc(st->dev, bytes);
        s->in_shm = s->in != NULL;
        if (!s->in)
            s->in = malloc(bytes);
        s->out = vc_mem_alloc(st->dev, bytes);
        s->out_shm = s->out != NULL;
        if (!s->out)
            s->out = malloc(bytes);
        if (!s->in || !s->out)
            return false;
    }
    return true;
}

static void free_slots(struct stream *st)
{
    if (!st->slots)
        return;
    for (unsigned i = 0; i < st->nslots; i++) {
        struct slot *s = &st->slots[i];

        if (s->in_shm)
            vc_mem_free(st->dev, s->in);
        else
            free(s->in);
        if (s->out_shm)
            vc_mem_free(st->dev, s->out);
        else
            free(s->out);
    }
    free(st->slots);
}

/* Everything that can be checked before opening the device. */
static int check_args(const struct cli_opts *o, const struct cli_alg **ap, struct cli_buf *key,
                      struct cli_buf *iv)
{
    const struct cli_alg *a = cli_alg_need(o->alg, VIRTIO_CRYPTO_SERVICE_CIPHER, "a cipher");

    if (!a)
        return CLI_EXIT_USAGE;
    *ap = a;
    if (!o->key_hex) {
        cli_err("no key given (-k HEX)");
        return CLI_EXIT_USAGE;
    }
    if (!cli_hex(o->key_hex, "the key", key))
        return CLI_EXIT_USAGE;
    if (!cli_alg_key_ok(a, key->len))
        return CLI_EXIT_USAGE;
    if (a->iv_len) {
        if (!o->iv_hex) {
            cli_err("%s needs an IV (--iv with %u bytes of hex)", a->name, a->iv_len);
            return CLI_EXIT_USAGE;
        }
        if (!cli_hex(o->iv_hex, "the IV", iv))
            return CLI_EXIT_USAGE;
        if (iv->len != a->iv_len) {
            cli_err("IV is %zu bytes; %s takes %u", iv->len, a->name, a->iv_len);
            return CLI_EXIT_USAGE;
        }
    } else if (o->iv_hex) {
        cli_err("%s takes no IV", a->name);
        return CLI_EXIT_USAGE;
    }
    if (o->chunk && (o->chunk < 16 || o->chunk > CLI_MAX_CHUNK)) {
        cli_err("--chunk must be 16..%u bytes", CLI_MAX_CHUNK);
        return CLI_EXIT_USAGE;
    }
    if (o->inflight > CLI_MAX_INFLIGHT) {
        cli_err("--inflight must be 1..%u", CLI_MAX_INFLIGHT);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_cmd_enc(struct cli_opts *o, bool decrypt)
{
    const struct cli_alg *a = NULL;
    struct cli_buf key = {0}, iv = {0}, xts_all = {0};
    struct stream st = {0};
    struct vc_session_params p = {0};
    struct vc_dev_info info;
    int rc;

    rc = check_args(o, &a, &key, &iv);
    if (rc != CLI_EXIT_OK)
        goto out;
    rc = CLI_EXIT_FAIL;
    st.a = a;
    st.decrypt = decrypt;
    st.pad = !o->nopad && (a->mode == CLI_MODE_ECB || a->mode == CLI_MODE_CBC);
    st.serial = a->mode == CLI_MODE_CBC && !decrypt;
    st.chunk = (o->chunk ? o->chunk : CLI_DEFAULT_CHUNK) & ~(size_t)15;
    st.nslots = (o->inflight ? o->inflight : CLI_DEFAULT_INFLIGHT) + 1;
    if (st.serial)
        st.nslots = 2;
    if (iv.len)
        memcpy(st.next_iv, iv.p, iv.len);

    st.in = cli_open_in(o->in);
    if (!st.in)
        goto out;
    rc = cli_dev_open(o, CLI_DEFAULT_MEM + (uint64_t)st.nslots * 2 * (st.chunk + 64), &st.dev);
    if (rc)
        goto out;
    rc = CLI_EXIT_FAIL;
    if (vc_dev_info(st.dev, &info) < 0 || !cli_dev_has(st.dev, a))
        goto out;
    st.qp = vc_dev_qp(st.dev, 0);
    if (!st.qp) {
        cli_err("the device has no queue");
        goto out;
    }
    if (a->mode == CLI_MODE_XTS) {
        /* One data unit: the whole input in one request, fed through the
         * same path as a stream from a memory FILE. */
        bool too_big;

        uint64_t limit = info.max_size > 16 ? (info.max_size - 16) / 2 : 0;

        if (!cli_read_all(st.in, limit, &xts_all, &too_big)) {
            if (too_big)
                cli_err("%s encrypts the whole input as one data unit: at most %llu bytes "
                        "(the device's max_size %llu covers IV, input and output)",
                        a->name, (unsigned long long)limit, (unsigned long long)info.max_size);
            goto out;
        }
        if (xts_all.len < 16) {
            cli_err("%s needs at least 16 bytes of input (got %zu)", a->name, xts_all.len);
            goto out;
        }
        cli_close_in(st.in);
        st.in = fmemopen(xts_all.p, xts_all.len, "rb");
        if (!st.in) {
            cli_err("out of memory");
            goto out;
        }
        st.chunk = xts_all.len;
        st.nslots = 1;
    } else {
        /* max_size bounds IV + input + output of one request. */
        uint64_t limit = info.max_size > 16 ? (info.max_size - 16) / 2 : 0;

        if (st.chunk > limit)
            st.chunk = (size_t)limit & ~(size_t)15;
        if (st.chunk < 16) {
            cli_err("the device's max_size (%llu) is below one block",
                    (unsigned long long)info.max_size);
            goto out;
        }
        if (st.nslots > info.queue_size)
            st.nslots = info.queue_size < 2 ? 2 : info.queue_size;
    }
    if (!alloc_slots(&st)) {
        cli_err("out of memory");
        goto out;
    }
    p.service = VIRTIO_CRYPTO_SERVICE_CIPHER;
    p.u.cipher.algo = a->algo;
    p.u.cipher.op = decrypt ? VIRTIO_CRYPTO_OP_DECRYPT : VIRTIO_CRYPTO_OP_ENCRYPT;
    p.u.cipher.key = key.p;
    p.u.cipher.key_len = (uint32_t)key.len;
    if (cli_session(st.dev, a->name, &p, &st.sess) != CLI_EXIT_OK)
        goto out;
    st.out = cli_open_out(o->out);
    if (!st.out)
        goto out;
    if (run_stream(&st) == 0) {
        if (cli_close_out(st.out, o->out))
            rc = CLI_EXIT_OK;
    } else if (st.out != stdout) {
        fclose(st.out);
    } else {
        fflush(stdout);
    }
    st.out = NULL;
out:
    if (st.qp) {
        struct vc_op *done[CLI_MAX_INFLIGHT];

        /* Drain before closing: vc_dev_close drops in-flight ops. */
        while (vc_qp_inflight(st.qp) > 0)
            (void)cli_wait(st.qp, done, CLI_MAX_INFLIGHT);
    }
    if (st.slots) {
        for (unsigned i = 0; i < st.nslots; i++) {
            OPENSSL_cleanse(st.slots[i].in, st.chunk + 16);
            OPENSSL_cleanse(st.slots[i].out, st.chunk + 16);
        }
    }
    free_slots(&st);
    if (st.sess)
        (void)vc_session_destroy(st.sess);
    vc_dev_close(st.dev);
    if (st.in)
        cli_close_in(st.in);
    cli_buf_wipe_free(&key);
    cli_buf_wipe_free(&iv);
    cli_buf_wipe_free(&xts_all);
    return rc;
}
