/* The libvcrypto engine adapter (tests/testlib/drv_engine.h) itself: the
 * status mapping rows the KAT files never reach, the requests the adapter
 * answers on its own, and its buffer handling (scatter back, bytes the
 * device leaves alone, BADMSG zeroing). Runs on the backend VC_KAT_BACKEND
 * names ("inproc", or "vhost-user:PATH" under with_vcryptod.sh).
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "drv_engine.h"
#include "test.h"
#include "vcrypto/err.h"

static struct vc_engine *g_e;

static uint8_t cbc_session(uint32_t key_len, struct vc_engine_sess **s)
{
    static const uint8_t key[80] = {1, 2, 3};
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_CIPHER};
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
    p.u.sym.cipher.algo = VIRTIO_CRYPTO_CIPHER_AES_CBC;
    p.u.sym.cipher.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    p.u.sym.cipher.key = key;
    p.u.sym.cipher.key_len = key_len;
    return vc_engine_sess_create(g_e, &p, s);
}

TEST(backend_names)
{
    struct vc_engine *e = (struct vc_engine *)1;
    struct vc_engine_cfg cfg = {.nworkers = 1};
    EXPECT_EQ(drv_engine_create("bogus", &cfg, &e), VC_EINVAL);
    EXPECT(e == NULL);
    cfg.nworkers = 0;
    EXPECT_EQ(drv_engine_create("inproc", &cfg, &e), VC_EINVAL);
}

TEST(caps_follow_the_device)
{
    const struct vc_engine_caps *c = vc_engine_caps(g_e);
    EXPECT(c->max_size >= 4096);
    EXPECT(vc_engine_find_cap(c, VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_CBC));
    /* No IV in a virtio MAC request: GMAC is not offered. */
    EXPECT(!vc_engine_find_cap(c, VIRTIO_CRYPTO_SERVICE_MAC, VIRTIO_CRYPTO_MAC_GMAC_AES));
    EXPECT(!(c->mac_algo_h >> (VIRTIO_CRYPTO_MAC_GMAC_AES - 32) & 1));
}

TEST(session_create_statuses)
{
    struct vc_engine_sess *s = NULL;
    EXPECT_STATUS(cbc_session(16, &s), VIRTIO_CRYPTO_OK);
    vc_engine_sess_destroy(g_e, s);
    s = NULL;
    /* Device ERR (bad key length for AES) and library VC_ERANGE (above
     * max_cipher_key_len) both come back as ERR, as from the engine. */
    EXPECT_STATUS(cbc_session(17, &s), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_session(80, &s), VIRTIO_CRYPTO_ERR);
    EXPECT(s == NULL);
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
    p.u.hash.algo = VIRTIO_CRYPTO_NO_HASH; /* not in the mask: VC_ENOTSUP */
    EXPECT_STATUS(vc_engine_sess_create(g_e, &p, &s), VIRTIO_CRYPTO_NOTSUPP);
    /* Not expressible through libvcrypto: answered as the engine would. */
    memset(&p, 0, sizeof(p));
    p.service = VIRTIO_CRYPTO_SERVICE_CIPHER;
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_NONE;
    p.u.sym.cipher.algo = VIRTIO_CRYPTO_CIPHER_AES_CBC;
    EXPECT_STATUS(vc_engine_sess_create(g_e, &p, &s), VIRTIO_CRYPTO_NOTSUPP);
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
    p.u.sym.hash_mode = 0;
    EXPECT_STATUS(vc_engine_sess_create(g_e, &p, &s), VIRTIO_CRYPTO_ERR);
    EXPECT(s == NULL);
}

TEST(op_statuses_and_buffers)
{
    struct vc_engine_sess *s = NULL;
    EXPECT_STATUS(cbc_session(16, &s), VIRTIO_CRYPTO_OK);
    uint8_t iv[16] = {9}, src[32], d0[40], d1[40], ivb[4] = {0};
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)i;
    struct vc_iov ii, si, di[3];
    struct vc_engine_op op = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT};
    vc_sg_flat(&op.iv, &ii, iv, sizeof(iv));
    vc_sg_flat(&op.src, &si, src, sizeof(src));
    /* Worker 0, one piece; worker 1, three pieces: same ciphertext, and the
     * 8 bytes past what the device writes keep their contents. */
    memset(d0, 0xa5, sizeof(d0));
    vc_sg_flat(&op.dst, di, d0, sizeof(d0));
    EXPECT_STATUS(vc_engine_op(g_e, s, 0, &op), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(op.dst_written, 32);
    memset(d1, 0xa5, sizeof(d1));
    di[0] = (struct vc_iov){d1, 1};
    di[1] = (struct vc_iov){d1 + 1, 20};
    di[2] = (struct vc_iov){d1 + 21, 19};
    vc_sg_init(&op.dst, di, 3);
    EXPECT_STATUS(vc_engine_op(g_e, s, 1, &op), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(d1, d0, sizeof(d0));
    EXPECT(d0[32] == 0xa5 && d0[39] == 0xa5 && memcmp(d0, src, 16) != 0);
    /* Bad length (CBC, 15 bytes): device ERR, dst untouched. */
    memset(d0, 0x5a, sizeof(d0));
    vc_sg_flat(&op.dst, di, d0, sizeof(d0));
    vc_sg_flat(&op.src, &si, src, 15);
    EXPECT_STATUS(vc_engine_op(g_e, s, 0, &op), VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(op.dst_written, 0);
    EXPECT(d0[0] == 0x5a && d0[39] == 0x5a);
    /* Answered by the adapter: no session, no such worker. */
    EXPECT_STATUS(vc_engine_op(g_e, NULL, 0, &op), VIRTIO_CRYPTO_INVSESS);
    EXPECT_STATUS(vc_engine_op(g_e, s, 2, &op), VIRTIO_CRYPTO_ERR);
    vc_engine_sess_destroy(g_e, s);

    /* A HASH op with an IV cannot be carried (no IV field): ERR. Without it:
     * OK. Above max_size: the library refuses locally (TOO_BIG) = ERR. */
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
    p.u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
    s = NULL;
    EXPECT_STATUS(vc_engine_sess_create(g_e, &p, &s), VIRTIO_CRYPTO_OK);
    uint8_t dg[32];
    struct vc_iov gi;
    struct vc_engine_op h = {.opcode = VIRTIO_CRYPTO_HASH};
    vc_sg_flat(&h.src, &si, src, 3);
    vc_sg_flat(&h.digest, &gi, dg, sizeof(dg));
    vc_sg_flat(&h.iv, &ii, ivb, sizeof(ivb));
    EXPECT_STATUS(vc_engine_op(g_e, s, 0, &h), VIRTIO_CRYPTO_ERR);
    vc_sg_flat(&h.iv, &ii, NULL, 0);
    EXPECT_STATUS(vc_engine_op(g_e, s, 1, &h), VIRTIO_CRYPTO_OK);
    uint8_t want[32];
    SHA256(src, 3, want);
    EXPECT_MEM(dg, want, sizeof(want));
    uint64_t big = vc_engine_caps(g_e)->max_size + 1;
    uint8_t *m = calloc(1, (size_t)big);
    EXPECT(m != NULL);
    vc_sg_flat(&h.src, &si, m, (size_t)big);
    EXPECT_STATUS(vc_engine_op(g_e, s, 0, &h), VIRTIO_CRYPTO_ERR);
    free(m);
    vc_engine_sess_destroy(g_e, s);
}

TEST(aead_badmsg_zeroes_dst)
{
    static const uint8_t key[16] = {7};
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AEAD};
    p.u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
    p.u.aead.op = VIRTIO_CRYPTO_OP_DECRYPT;
    p.u.aead.key = key;
    p.u.aead.key_len = sizeof(key);
    p.u.aead.tag_len = 16;
    struct vc_engine_sess *s = NULL;
    EXPECT_STATUS(vc_engine_sess_create(g_e, &p, &s), VIRTIO_CRYPTO_OK);
    uint8_t iv[12] = {1}, ct[32] = {2}, pt[16];
    memset(pt, 0x77, sizeof(pt));
    struct vc_iov ii, ci, pi;
    struct vc_engine_op op = {.opcode = VIRTIO_CRYPTO_AEAD_DECRYPT};
    vc_sg_flat(&op.iv, &ii, iv, sizeof(iv));
    vc_sg_flat(&op.src, &ci, ct, sizeof(ct));
    vc_sg_flat(&op.dst, &pi, pt, sizeof(pt));
    EXPECT_STATUS(vc_engine_op(g_e, s, 1, &op), VIRTIO_CRYPTO_BADMSG);
    static const uint8_t zero[16];
    EXPECT_MEM(pt, zero, sizeof(pt));
    EXPECT_EQ(op.dst_written, 0);
    vc_engine_sess_destroy(g_e, s);
}

int main(void)
{
    const char *b = drv_engine_backend();
    if (!strcmp(b, "engine"))
        SKIP_ALL("VC_KAT_BACKEND names no libvcrypto backend");
    printf("# backend: %s\n", b);
    struct vc_engine_cfg cfg = {.nworkers = 2};
    int r = drv_engine_create(b, &cfg, &g_e);
    if (r) {
        printf("Bail out! backend %s: %s\n", b, vc_errname(r));
        return 1;
    }
    RUN(backend_names);
    RUN(caps_follow_the_device);
    RUN(session_create_statuses);
    RUN(op_statuses_and_buffers);
    RUN(aead_badmsg_zeroes_dst);
    vc_engine_destroy(g_e);
    return TEST_DONE();
}
