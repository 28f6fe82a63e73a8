#include "device/sessions.h"
#include "fake_engine.h"
#include "test.h"
#include "vcrypto/err.h"

static struct vc_sess_params cipher_params(void)
{
    static const uint8_t key[16];
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_CIPHER};
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
    p.u.sym.cipher = (struct vc_cipher_params){VIRTIO_CRYPTO_CIPHER_AES_CBC,
                                               VIRTIO_CRYPTO_OP_ENCRYPT, key, 16};
    return p;
}

TEST(create_get_destroy)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 4), 0);
    struct vc_sess_params p = cipher_params();
    uint64_t id = 0;
    EXPECT_STATUS(vc_sess_create(&t, &p, &id), VIRTIO_CRYPTO_OK);
    EXPECT(id != 0);
    uint32_t svc = 99;
    EXPECT(vc_sess_get(&t, id, &svc) != NULL);
    EXPECT_EQ(svc, VIRTIO_CRYPTO_SERVICE_CIPHER);
    vc_sess_put(&t, id);
    EXPECT_EQ(vc_sess_count(&t), 1);
    EXPECT_STATUS(vc_sess_destroy(&t, id), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(fe.live_sessions, 0);
    EXPECT_EQ(vc_sess_count(&t), 0);
    vc_sess_table_fini(&t);
}

TEST(bad_ids_are_invsess)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 4), 0);
    struct vc_sess_params p = cipher_params();
    uint64_t id;
    EXPECT_STATUS(vc_sess_create(&t, &p, &id), VIRTIO_CRYPTO_OK);
    uint32_t svc;
    /* out of range, zero, never issued, all-ones */
    EXPECT_STATUS(vc_sess_destroy(&t, 0), VIRTIO_CRYPTO_INVSESS);
    EXPECT_STATUS(vc_sess_destroy(&t, 5), VIRTIO_CRYPTO_INVSESS);
    EXPECT_STATUS(vc_sess_destroy(&t, UINT64_MAX), VIRTIO_CRYPTO_INVSESS);
    EXPECT(vc_sess_get(&t, id + 1, &svc) == NULL);
    /* double destroy */
    EXPECT_STATUS(vc_sess_destroy(&t, id), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_sess_destroy(&t, id), VIRTIO_CRYPTO_INVSESS);
    EXPECT(vc_sess_get(&t, id, &svc) == NULL);
    vc_sess_table_fini(&t);
}

TEST(stale_id_never_aliases_reused_slot)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 1), 0);
    struct vc_sess_params p = cipher_params();
    uint64_t a, b;
    EXPECT_STATUS(vc_sess_create(&t, &p, &a), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_sess_destroy(&t, a), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_sess_create(&t, &p, &b), VIRTIO_CRYPTO_OK);
    EXPECT(a != b);
    uint32_t svc;
    EXPECT(vc_sess_get(&t, a, &svc) == NULL);
    EXPECT_STATUS(vc_sess_destroy(&t, a), VIRTIO_CRYPTO_INVSESS);
    EXPECT_STATUS(vc_sess_destroy(&t, b), VIRTIO_CRYPTO_OK);
    vc_sess_table_fini(&t);
}

TEST(full_table_gives_nospc)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 3), 0);
    struct vc_sess_params p = cipher_params();
    uint64_t id[4];
    for (int i = 0; i < 3; i++)
        EXPECT_STATUS(vc_sess_create(&t, &p, &id[i]), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_sess_create(&t, &p, &id[3]), VIRTIO_CRYPTO_NOSPC);
    EXPECT_STATUS(vc_sess_destroy(&t, id[1]), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_sess_create(&t, &p, &id[3]), VIRTIO_CRYPTO_OK);
    struct vc_sess_stats ss;
    vc_sess_stats(&t, &ss);
    EXPECT_EQ(ss.live, 3);
    EXPECT_EQ(ss.created, 4);
    EXPECT_EQ(ss.refused, 1);
    EXPECT_EQ(ss.destroyed, 1);
    EXPECT_EQ(fe.live_sessions, 3);
    vc_sess_table_fini(&t);
    EXPECT_EQ(fe.live_sessions, 0);
}

TEST(engine_refusal_frees_slot)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 1), 0);
    struct vc_sess_params p = cipher_params();
    uint64_t id;
    fe.create_status = VIRTIO_CRYPTO_NOTSUPP;
    EXPECT_STATUS(vc_sess_create(&t, &p, &id), VIRTIO_CRYPTO_NOTSUPP);
    fe.create_status = VIRTIO_CRYPTO_OK;
    EXPECT_STATUS(vc_sess_create(&t, &p, &id), VIRTIO_CRYPTO_OK);
    vc_sess_table_fini(&t);
}

TEST(destroy_while_in_use_defers_free)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 2), 0);
    struct vc_sess_params p = cipher_params();
    uint64_t id;
    EXPECT_STATUS(vc_sess_create(&t, &p, &id), VIRTIO_CRYPTO_OK);
    uint32_t svc;
    EXPECT(vc_sess_get(&t, id, &svc) != NULL);
    EXPECT_STATUS(vc_sess_destroy(&t, id), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(fe.live_sessions, 1); /* still in use by the "worker" */
    EXPECT(vc_sess_get(&t, id, &svc) == NULL);
    vc_sess_put(&t, id);
    EXPECT_EQ(fe.live_sessions, 0);
    vc_sess_table_fini(&t);
}

/* The per-worker cache: one reference for a run of requests, a destroy is
 * seen on the very next lookup, a new id or a drop releases the old one. */
TEST(cache_holds_one_ref_and_sees_destroy)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 4), 0);
    struct vc_sess_params p = cipher_params();
    uint64_t a, b;
    EXPECT_STATUS(vc_sess_create(&t, &p, &a), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_sess_create(&t, &p, &b), VIRTIO_CRYPTO_OK);
    struct vc_sess_cache c = {0};
    uint32_t svc = 99;
    struct vc_engine_sess *es = vc_sess_get_cached(&t, &c, a, &svc);
    EXPECT(es != NULL);
    EXPECT_EQ(svc, VIRTIO_CRYPTO_SERVICE_CIPHER);
    for (int i = 0; i < 10; i++)
        EXPECT(vc_sess_get_cached(&t, &c, a, &svc) == es);
    EXPECT_EQ(t.slots[(a & 0xfffff) - 1].refs, 2); /* live + the cache, once */
    /* Destroy while cached: the engine session lives on in the cache... */
    EXPECT_STATUS(vc_sess_destroy(&t, a), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(fe.live_sessions, 2);
    /* ...but the next lookup misses, and releases it. */
    EXPECT(vc_sess_get_cached(&t, &c, a, &svc) == NULL);
    EXPECT_EQ(fe.live_sessions, 1);
    EXPECT(c.es == NULL);
    /* Switching ids moves the reference; a drop releases it. */
    EXPECT(vc_sess_get_cached(&t, &c, b, &svc) != NULL);
    EXPECT_EQ(t.slots[(b & 0xfffff) - 1].refs, 2);
    vc_sess_cache_drop(&t, &c);
    EXPECT_EQ(t.slots[(b & 0xfffff) - 1].refs, 1);
    vc_sess_cache_drop(&t, &c); /* empty: no-op */
    EXPECT_STATUS(vc_sess_destroy(&t, b), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(fe.live_sessions, 0);
    /* A destroy of another session also invalidates (epoch), and the
     * re-lookup of a still-live id succeeds. */
    EXPECT_STATUS(vc_sess_create(&t, &p, &a), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_sess_create(&t, &p, &b), VIRTIO_CRYPTO_OK);
    es = vc_sess_get_cached(&t, &c, a, &svc);
    EXPECT_STATUS(vc_sess_destroy(&t, b), VIRTIO_CRYPTO_OK);
    EXPECT(vc_sess_get_cached(&t, &c, a, &svc) == es);
    EXPECT_EQ(t.slots[(a & 0xfffff) - 1].refs, 2);
    vc_sess_cache_drop(&t, &c);
    vc_sess_table_fini(&t);
}

TEST(init_rejects_bad_cap)
{
    struct fake_engine fe;
    fake_engine_init(&fe);
    struct vc_sess_table t;
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, 0), VC_EINVAL);
    EXPECT_EQ(vc_sess_table_init(&t, &fe.base, VC_SESS_MAX_CAP), VC_EINVAL);
}

int main(void)
{
    RUN(create_get_destroy);
    RUN(bad_ids_are_invsess);
    RUN(stale_id_never_aliases_reused_slot);
    RUN(full_table_gives_nospc);
    RUN(engine_refusal_frees_slot);
    RUN(destroy_while_in_use_defers_free);
    RUN(cache_holds_one_ref_and_sees_destroy);
    RUN(init_rejects_bad_cap);
    return TEST_DONE();
}
