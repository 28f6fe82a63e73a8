/* Control-queue parsing with a fake engine: every service, every rule. */
#include <endian.h>

#include "device/ctrlq.h"
#include "fake_engine.h"
#include "test.h"

static void put32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

struct env {
    struct fake_engine fe;
    struct vc_sess_table t;
    struct vc_ctrlq_ctx ctx;
    uint8_t scratch[2048];
    uint8_t rd[1024];
    size_t rd_len;
    uint8_t wr[32];
    size_t wr_len;
};

static void env_init(struct env *e, uint32_t cap)
{
    memset(e, 0, sizeof(*e));
    fake_engine_init(&e->fe);
    if (vc_sess_table_init(&e->t, &e->fe.base, cap))
        abort();
    e->ctx.sessions = &e->t;
    e->ctx.max_cipher_key_len = 64;
    e->ctx.max_auth_key_len = 512;
    e->ctx.max_akcipher_key_len = 1024;
    e->ctx.key_scratch = e->scratch;
}

static void req(struct env *e, uint32_t opcode)
{
    memset(e->rd, 0, sizeof(e->rd));
    put32(e->rd, opcode);
    e->rd_len = e->ctx.revision_1 ? 16 + 56 : 72;
    e->wr_len = 16;
}

static void key(struct env *e, size_t n)
{
    memset(e->rd + e->rd_len, 0x6b, n);
    e->rd_len += n;
}

static struct vc_req_result go(struct env *e)
{
    struct vc_iov ri = {e->rd, e->rd_len}, wi = {e->wr, e->wr_len};
    struct vc_sg rd, wr;
    vc_sg_init(&rd, &ri, 1);
    vc_sg_init(&wr, &wi, 1);
    memset(e->wr, 0xee, sizeof(e->wr));
    struct vc_req_result res;
    vc_ctrlq_handle(&e->ctx, &rd, &wr, &res);
    return res;
}

static uint32_t out_status(const struct env *e)
{
    uint32_t v;
    memcpy(&v, e->wr + 8, 4);
    return le32toh(v);
}

static uint64_t out_id(const struct env *e)
{
    uint64_t v;
    memcpy(&v, e->wr, 8);
    return le64toh(v);
}

TEST(cipher_session_and_destroy)
{
    struct env e;
    env_init(&e, 4);
    req(&e, VIRTIO_CRYPTO_CIPHER_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    put32(e.rd + 20, 16);
    put32(e.rd + 24, VIRTIO_CRYPTO_OP_ENCRYPT);
    put32(e.rd + 16 + 48, VIRTIO_CRYPTO_SYM_OP_CIPHER);
    key(&e, 16);
    struct vc_req_result r = go(&e);
    EXPECT_STATUS(r.status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(out_status(&e), VIRTIO_CRYPTO_OK);
    uint64_t id = out_id(&e);
    EXPECT(id != 0);
    EXPECT_EQ(r.used_len, 16);
    EXPECT_EQ(e.fe.live_sessions, 1);
    EXPECT(memchr(e.scratch, 0x6b, sizeof(e.scratch)) == NULL); /* key wiped */
    /* destroy: one status byte */
    req(&e, VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION);
    uint64_t le = htole64(id);
    memcpy(e.rd + 16, &le, 8);
    e.wr_len = 1;
    r = go(&e);
    EXPECT_STATUS(r.status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.wr[0], VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.live_sessions, 0);
    /* destroying again: ERR (destroy answers OK or ERR only) */
    r = go(&e);
    EXPECT_STATUS(r.status, VIRTIO_CRYPTO_ERR);
    vc_sess_table_fini(&e.t);
}

TEST(chain_session_auth_and_nested)
{
    struct env e;
    env_init(&e, 4);
    req(&e, VIRTIO_CRYPTO_CIPHER_CREATE_SESSION);
    uint8_t *f = e.rd + 16;
    put32(f + 0, VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
    put32(f + 4, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
    put32(f + 8, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    put32(f + 12, 16);
    put32(f + 16, VIRTIO_CRYPTO_OP_ENCRYPT);
    put32(f + 24, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
    put32(f + 28, 32);
    put32(f + 32, 20);
    put32(f + 48, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
    key(&e, 36);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_OK);
    /* keys missing from the chain */
    e.rd_len -= 1;
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    e.rd_len += 1;
    /* auth key above max_auth_key_len (hostile-inputs #15) */
    put32(f + 32, 513);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    put32(f + 32, 20);
    put32(f + 4, VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_NOTSUPP);
    vc_sess_table_fini(&e.t);
}

TEST(key_caps_and_op_type)
{
    struct env e;
    env_init(&e, 4);
    req(&e, VIRTIO_CRYPTO_CIPHER_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    put32(e.rd + 20, 65);
    put32(e.rd + 16 + 48, VIRTIO_CRYPTO_SYM_OP_CIPHER);
    key(&e, 65);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(e.fe.live_sessions, 0);
    put32(e.rd + 20, 0xFFFFFFFFu);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    put32(e.rd + 16 + 48, VIRTIO_CRYPTO_SYM_OP_NONE);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_NOTSUPP);
    req(&e, 0x0f02);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_NOTSUPP);
    req(&e, VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_AKCIPHER_RSA);
    put32(e.rd + 24, 2000);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    vc_sess_table_fini(&e.t);
}

TEST(every_service_creates)
{
    struct env e;
    env_init(&e, 8);
    req(&e, VIRTIO_CRYPTO_HASH_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_HASH_SHA_256);
    put32(e.rd + 20, 32);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_OK);
    req(&e, VIRTIO_CRYPTO_MAC_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
    put32(e.rd + 20, 32);
    put32(e.rd + 24, 32);
    key(&e, 32);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_OK);
    req(&e, VIRTIO_CRYPTO_AEAD_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_AEAD_GCM);
    put32(e.rd + 20, 32);
    put32(e.rd + 24, 16);
    put32(e.rd + 32, VIRTIO_CRYPTO_OP_ENCRYPT);
    key(&e, 32);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_OK);
    req(&e, VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_AKCIPHER_ECDSA);
    put32(e.rd + 20, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC);
    put32(e.rd + 24, 65);
    put32(e.rd + 28, VIRTIO_CRYPTO_CURVE_NIST_P256);
    key(&e, 65);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.live_sessions, 4);
    vc_sess_table_fini(&e.t);
}

TEST(nospc_only_with_revision_1)
{
    struct env e;
    env_init(&e, 1);
    req(&e, VIRTIO_CRYPTO_HASH_CREATE_SESSION);
    put32(e.rd + 16, VIRTIO_CRYPTO_HASH_SHA_256);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(out_id(&e), 0); /* no session id on failure */
    e.ctx.revision_1 = true;
    req(&e, VIRTIO_CRYPTO_HASH_CREATE_SESSION);
    e.rd_len = 16 + 8;
    put32(e.rd + 16, VIRTIO_CRYPTO_HASH_SHA_256);
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_NOSPC);
    EXPECT_EQ(out_status(&e), VIRTIO_CRYPTO_NOSPC);
    vc_sess_table_fini(&e.t);
}

TEST(short_buffers)
{
    struct env e;
    env_init(&e, 2);
    req(&e, VIRTIO_CRYPTO_HASH_CREATE_SESSION);
    e.rd_len = 40; /* fixed part cut */
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    req(&e, VIRTIO_CRYPTO_HASH_CREATE_SESSION);
    e.wr_len = 4; /* outcome does not fit */
    struct vc_req_result r = go(&e);
    EXPECT_STATUS(r.status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(r.used_len, 1);
    EXPECT_EQ(e.fe.live_sessions, 0);
    e.wr_len = 0;
    EXPECT(go(&e).no_status);
    req(&e, VIRTIO_CRYPTO_HASH_CREATE_SESSION);
    e.rd_len = 8; /* not even a header */
    EXPECT_STATUS(go(&e).status, VIRTIO_CRYPTO_ERR);
    /* a truncated destroy has a 1-byte outcome: never report more (fuzz find) */
    req(&e, VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION);
    e.rd_len = 64;
    e.wr_len = 1;
    r = go(&e);
    EXPECT_STATUS(r.status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(r.used_len, 1);
    EXPECT_EQ(e.wr[0], VIRTIO_CRYPTO_ERR);
    vc_sess_table_fini(&e.t);
}

int main(void)
{
    RUN(cipher_session_and_destroy);
    RUN(chain_session_auth_and_nested);
    RUN(key_caps_and_op_type);
    RUN(every_service_creates);
    RUN(nospc_only_with_revision_1);
    RUN(short_buffers);
    return TEST_DONE();
}
