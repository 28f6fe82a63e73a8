/* Fuzz target: virtio-crypto request parsing and validation (data queue and
 * control queue) down to the OpenSSL engine, over guest buffers cut into
 * several pieces.
 *
 * Input layout:
 *   byte 0  bit 0: control queue (else data queue)
 *           bit 1: REVISION_1 formats
 *           bits 2-7: readable piece size (1..63; 0 = one piece)
 *   byte 1  session slot to patch into the request (data queue)
 *   byte 2-3 writable length (little endian, capped at 4096)
 *   rest    the device-readable bytes of the chain
 * Data requests run against long-lived sessions of every service; control
 * requests against a fresh session table per input (so DER keys, key
 * lengths and session parameters reach the engine's parsers), destroyed at the
 * end of the input.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device/ctrlq.h"
#include "device/dataq.h"
#include "engine/engine.h"

#define NSESS 6
#define MAX_PIECES 4096

static struct vc_engine *g_engine;
static struct vc_sess_table g_data_sessions;
static uint64_t g_ids[NSESS];
static struct vc_dataq_scratch g_scratch;
static uint8_t g_key_scratch[16384 + 1024];

static void init_once(void)
{
    static const uint8_t key[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct vc_engine_cfg cfg = {.nworkers = 1, .max_size = 1 << 16};
    if (!vc_ok(vc_engine_create(&vc_engine_openssl, &cfg, &g_engine)))
        abort();
    if (vc_sess_table_init(&g_data_sessions, g_engine, 64) != 0 ||
        vc_dataq_scratch_init(&g_scratch, MAX_PIECES) != 0)
        abort();
    struct vc_sess_params p[NSESS];
    memset(p, 0, sizeof(p));
    p[0].service = VIRTIO_CRYPTO_SERVICE_CIPHER;
    p[0].u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
    p[0].u.sym.cipher = (struct vc_cipher_params){VIRTIO_CRYPTO_CIPHER_AES_CBC,
                                                  VIRTIO_CRYPTO_OP_ENCRYPT, key, 16};
    p[1] = p[0];
    p[1].u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
    p[1].u.sym.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
    p[1].u.sym.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
    p[1].u.sym.hash_algo = VIRTIO_CRYPTO_MAC_HMAC_SHA1;
    p[1].u.sym.hash_result_len = 20;
    p[1].u.sym.auth_key = key;
    p[1].u.sym.auth_key_len = 20;
    p[2].service = VIRTIO_CRYPTO_SERVICE_HASH;
    p[2].u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
    p[2].u.hash.result_len = 32;
    p[3].service = VIRTIO_CRYPTO_SERVICE_MAC;
    p[3].u.mac.algo = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
    p[3].u.mac.result_len = 32;
    p[3].u.mac.key = key;
    p[3].u.mac.key_len = 32;
    p[4].service = VIRTIO_CRYPTO_SERVICE_AEAD;
    p[4].u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
    p[4].u.aead.op = VIRTIO_CRYPTO_OP_DECRYPT;
    p[4].u.aead.key = key;
    p[4].u.aead.key_len = 32;
    p[4].u.aead.tag_len = 16;
    p[5] = p[4];
    p[5].u.aead.algo = VIRTIO_CRYPTO_AEAD_CCM;
    p[5].u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    p[5].u.aead.tag_len = 8;
    for (int i = 0; i < NSESS; i++)
        if (vc_sess_create(&g_data_sessions, &p[i], &g_ids[i]) != VIRTIO_CRYPTO_OK)
            abort();
}

/* Cuts buf into pieces of `piece` bytes (0 = one piece). */
static uint32_t cut(uint8_t *buf, size_t len, size_t piece, struct vc_iov *iov, uint32_t max)
{
    uint32_t n = 0;
    for (size_t off = 0; off < len && n < max;) {
        size_t l = piece ? (len - off < piece ? len - off : piece) : len - off;
        iov[n++] = (struct vc_iov){buf + off, l};
        off += l;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    static struct vc_iov rio[MAX_PIECES], wio[2];
    if (!inited) {
        init_once();
        inited = 1;
    }
    if (size < 4)
        return 0;
    bool ctrl = data[0] & 1, rev1 = data[0] & 2;
    size_t piece = data[0] >> 2;
    uint32_t wlen = (uint32_t)(data[2] | data[3] << 8);
    if (wlen > 4096)
        wlen = 4096;
    size_t rlen = size - 4;
    /* Exact-size copies so ASan sees any overread or overwrite. */
    uint8_t *rbuf = malloc(rlen ? rlen : 1);
    uint8_t *wbuf = malloc(wlen ? wlen : 1);
    if (!rbuf || !wbuf)
        abort();
    memcpy(rbuf, data + 4, rlen);
    if (!ctrl && rlen >= 16) {
        uint64_t id = htole64(g_ids[data[1] % NSESS]);
        if (data[1] < 0x80)
            memcpy(rbuf + 8, &id, 8);
    }
    struct vc_sg rd, wr;
    vc_sg_init(&rd, rio, cut(rbuf, rlen, piece, rio, MAX_PIECES));
    /* writable: split the last byte (the status) into its own piece */
    uint32_t nw = 0;
    if (wlen > 1)
        wio[nw++] = (struct vc_iov){wbuf, wlen - 1};
    if (wlen > 0)
        wio[nw++] = (struct vc_iov){wbuf + wlen - 1, 1};
    vc_sg_init(&wr, wio, nw);
    struct vc_req_result res;
    if (ctrl) {
        struct vc_sess_table t;
        if (vc_sess_table_init(&t, g_engine, 4) != 0)
            abort();
        struct vc_ctrlq_ctx c = {.sessions = &t,
                                 .revision_1 = rev1,
                                 .max_cipher_key_len = 64,
                                 .max_auth_key_len = 512,
                                 .max_akcipher_key_len = 16384,
                                 .key_scratch = g_key_scratch};
        vc_ctrlq_handle(&c, &rd, &wr, &res);
        vc_sess_table_fini(&t);
    } else {
        struct vc_dataq_ctx c = {.sessions = &g_data_sessions,
                                 .engine = g_engine,
                                 .max_size = 1 << 16,
                                 .revision_1 = rev1,
                                 .worker = 0,
                                 .scratch = g_scratch};
        vc_dataq_handle(&c, &rd, &wr, &res, NULL);
    }
    if (res.used_len > wlen)
        abort();
    free(rbuf);
    free(wbuf);
    return 0;
}
