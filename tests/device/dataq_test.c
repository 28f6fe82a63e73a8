/* Data-queue request parsing: every validation rule, with a fake engine. */
#include <endian.h>

#include "device/dataq.h"
#include "fake_engine.h"
#include "test.h"

/* A request under construction: readable bytes and writable space, later
 * cut into several iovs to mimic a guest's descriptor chain. */
struct req {
    uint8_t rd[1024];
    size_t rd_len;
    uint8_t wr[1024];
    size_t wr_len;
};

static void put32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, 8);
}

static void hdr(struct req *r, uint32_t opcode, uint64_t sid)
{
    memset(r, 0, sizeof(*r));
    put32(r->rd, opcode);
    put64(r->rd + 8, sid);
    r->rd_len = 72;
}

static void add(struct req *r, uint8_t fill, size_t n)
{
    memset(r->rd + r->rd_len, fill, n);
    r->rd_len += n;
}

struct env {
    struct fake_engine fe;
    struct vc_sess_table t;
    struct vc_dataq_ctx ctx;
    struct vc_qstats st;
    uint64_t sid[5]; /* one session per service */
};

static void env_init(struct env *e)
{
    memset(e, 0, sizeof(*e));
    fake_engine_init(&e->fe);
    if (vc_sess_table_init(&e->t, &e->fe.base, 16) != 0)
        abort();
    for (uint32_t s = 0; s < 5; s++) {
        struct vc_sess_params p = {.service = s};
        if (vc_sess_create(&e->t, &p, &e->sid[s]) != VIRTIO_CRYPTO_OK)
            abort();
    }
    e->ctx.sessions = &e->t;
    e->ctx.engine = &e->fe.base;
    e->ctx.max_size = 4096;
    if (vc_dataq_scratch_init(&e->ctx.scratch, 64) != 0)
        abort();
}

static void env_fini(struct env *e)
{
    vc_dataq_scratch_fini(&e->ctx.scratch);
    vc_sess_table_fini(&e->t);
}

/* Runs r with the readable part cut every `cut` bytes (0 = one piece). */
static struct vc_req_result go_cut(struct env *e, struct req *r, size_t cut)
{
    struct vc_iov rio[64], wio[64];
    uint32_t nr = 0, nw = 0;
    for (size_t off = 0; off < r->rd_len && nr < 63;) {
        size_t n = cut ? VC_MIN(cut, r->rd_len - off) : r->rd_len - off;
        rio[nr++] = (struct vc_iov){r->rd + off, n};
        off += n;
    }
    if (r->wr_len > 1) {
        wio[nw++] = (struct vc_iov){r->wr, r->wr_len - 1};
    }
    if (r->wr_len > 0)
        wio[nw++] = (struct vc_iov){r->wr + r->wr_len - 1, 1};
    struct vc_sg rd, wr;
    vc_sg_init(&rd, rio, nr);
    vc_sg_init(&wr, wio, nw);
    struct vc_req_result res;
    memset(r->wr, 0xee, r->wr_len);
    vc_dataq_handle(&e->ctx, &rd, &wr, &res, &e->st);
    return res;
}

static struct vc_req_result go(struct env *e, struct req *r)
{
    return go_cut(e, r, 0);
}

static void cipher_req(struct req *r, uint64_t sid, uint32_t iv, uint32_t src, uint32_t dst)
{
    hdr(r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid);
    put32(r->rd + 24, iv);
    put32(r->rd + 28, src);
    put32(r->rd + 32, dst);
    put32(r->rd + 24 + 40, VIRTIO_CRYPTO_SYM_OP_CIPHER);
    add(r, 0x11, iv);
    add(r, 0x22, src);
    r->wr_len = dst + 1;
}

TEST(cipher_ok_multi_piece)
{
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, e.sid[0], 16, 48, 48);
    struct vc_req_result res = go_cut(&e, &r, 7);
    EXPECT_STATUS(res.status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(res.used_len, 49);
    EXPECT_EQ(r.wr[48], VIRTIO_CRYPTO_OK);
    EXPECT_EQ(r.wr[0], 0x22 ^ 0xff);
    EXPECT_EQ(e.fe.last.iv.len, 16);
    EXPECT_EQ(e.fe.last.src.len, 48);
    EXPECT_EQ(e.fe.last_iv[15], 0x11);
    EXPECT_EQ(e.fe.last_src[47], 0x22);
    EXPECT_EQ(vc_stat_get(&e.st.requests), 1);
    EXPECT_EQ(vc_stat_get(&e.st.status[VIRTIO_CRYPTO_OK]), 1);
    env_fini(&e);
}

TEST(cipher_dst_shorter_than_src_rejected)
{
    /* hostile-inputs #2 (CVE-2023-3180) */
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, e.sid[0], 16, 48, 32);
    struct vc_req_result res = go(&e, &r);
    EXPECT_STATUS(res.status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(e.fe.ops, 0);
    EXPECT_EQ(r.wr[0], 0xee); /* nothing but the status written */
    EXPECT_EQ(r.wr[32], VIRTIO_CRYPTO_ERR);
    env_fini(&e);
}

TEST(lengths_beyond_chain_rejected)
{
    /* hostile-inputs #3: header claims more than the descriptors hold */
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, e.sid[0], 16, 48, 48);
    r.rd_len -= 1;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    cipher_req(&r, e.sid[0], 16, 48, 48);
    r.wr_len -= 1; /* dst + status do not fit */
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(e.fe.ops, 0);
    env_fini(&e);
}

TEST(sum_wrap_and_max_size)
{
    /* hostile-inputs #1: lengths whose 32-bit sum wraps */
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, e.sid[0], 16, 16, 16);
    put32(r.rd + 28, 0xFFFFFFF0u); /* src */
    put32(r.rd + 32, 0xFFFFFFF0u); /* dst */
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    /* above max_size but consistent */
    e.ctx.max_size = 64;
    cipher_req(&r, e.sid[0], 16, 48, 48);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(e.fe.ops, 0);
    env_fini(&e);
}

TEST(iv_too_long_rejected)
{
    /* hostile-inputs #5 */
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, e.sid[0], 65, 16, 16);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(e.fe.ops, 0);
    env_fini(&e);
}

static void chain_req(struct req *r, uint64_t sid, uint32_t src, uint32_t cs, uint32_t cl,
                      uint32_t hs, uint32_t hl, uint32_t aad, uint32_t hr)
{
    hdr(r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid);
    uint8_t *f = r->rd + 24;
    put32(f + 0, 16);
    put32(f + 4, src);
    put32(f + 8, src);
    put32(f + 12, cs);
    put32(f + 16, cl);
    put32(f + 20, hs);
    put32(f + 24, hl);
    put32(f + 28, aad);
    put32(f + 32, hr);
    put32(f + 40, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
    add(r, 0x11, 16);
    add(r, 0x22, src);
    add(r, 0x33, aad);
    r->wr_len = src + hr + 1;
}

TEST(chain_ok_and_regions)
{
    struct env e;
    env_init(&e);
    struct req r;
    chain_req(&r, e.sid[0], 64, 16, 48, 0, 64, 8, 20);
    struct vc_req_result res = go_cut(&e, &r, 5);
    EXPECT_STATUS(res.status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last.cipher_start, 16);
    EXPECT_EQ(e.fe.last.cipher_len, 48);
    EXPECT_EQ(e.fe.last.hash_len, 64);
    EXPECT_EQ(e.fe.last.aad.len, 8);
    EXPECT_EQ(e.fe.last_aad[7], 0x33);
    EXPECT_EQ(e.fe.last.digest.len, 20);
    EXPECT_EQ(r.wr[64], 0xd1); /* digest follows dst */
    EXPECT_EQ(res.used_len, 64 + 20 + 1);
    env_fini(&e);
}

TEST(chain_regions_outside_src_rejected)
{
    /* hostile-inputs #6 */
    struct env e;
    env_init(&e);
    struct req r;
    chain_req(&r, e.sid[0], 64, 32, 48, 0, 64, 0, 20);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    chain_req(&r, e.sid[0], 64, 0, 64, 1, 64, 0, 20);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    chain_req(&r, e.sid[0], 64, 0xFFFFFFFFu, 2, 0, 64, 0, 20);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    chain_req(&r, e.sid[0], 64, 0, 64, 0, 64, 0, 65); /* digest too long */
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    chain_req(&r, e.sid[0], 64, 0, 64, 0, 64, 0, 0); /* no digest */
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(e.fe.ops, 0);
    env_fini(&e);
}

TEST(op_type_none_and_unknown_opcode_notsupp)
{
    /* hostile-inputs #19 */
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, e.sid[0], 16, 16, 16);
    put32(r.rd + 24 + 40, VIRTIO_CRYPTO_SYM_OP_NONE);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_NOTSUPP);
    cipher_req(&r, e.sid[0], 16, 16, 16);
    put32(r.rd, 0x0777);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_NOTSUPP);
    cipher_req(&r, e.sid[0], 16, 16, 16);
    put32(r.rd, VIRTIO_CRYPTO_IPSEC_OUTBOUND);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_NOTSUPP);
    env_fini(&e);
}

TEST(bad_session_invsess)
{
    /* hostile-inputs #17 */
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, 12345, 16, 16, 16);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_INVSESS);
    /* a HASH session used for a cipher op */
    cipher_req(&r, e.sid[1], 16, 16, 16);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_INVSESS);
    /* destroyed session */
    EXPECT_STATUS(vc_sess_destroy(&e.t, e.sid[0]), VIRTIO_CRYPTO_OK);
    cipher_req(&r, e.sid[0], 16, 16, 16);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_INVSESS);
    EXPECT_EQ(vc_stat_get(&e.st.status[VIRTIO_CRYPTO_INVSESS]), 3);
    env_fini(&e);
}

TEST(short_header_and_no_status_room)
{
    /* hostile-inputs #20 */
    struct env e;
    env_init(&e);
    struct req r;
    cipher_req(&r, e.sid[0], 0, 0, 0);
    r.rd_len = 71;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    r.rd_len = 10;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    cipher_req(&r, e.sid[0], 0, 0, 0);
    r.wr_len = 0;
    struct vc_req_result res = go(&e, &r);
    EXPECT(res.no_status);
    EXPECT_EQ(vc_stat_get(&e.st.broken), 1);
    env_fini(&e);
}

TEST(hash_and_mac)
{
    struct env e;
    env_init(&e);
    struct req r;
    hdr(&r, VIRTIO_CRYPTO_HASH, e.sid[1]);
    put32(r.rd + 24, 100);
    put32(r.rd + 28, 32);
    add(&r, 0x44, 100);
    r.wr_len = 33;
    struct vc_req_result res = go_cut(&e, &r, 33);
    EXPECT_STATUS(res.status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(res.used_len, 33);
    EXPECT_EQ(r.wr[31], 0xd1);
    put32(r.rd + 28, 0);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    put32(r.rd + 28, 65);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    hdr(&r, VIRTIO_CRYPTO_MAC, e.sid[2]);
    put32(r.rd + 24, 10);
    put32(r.rd + 28, 16);
    add(&r, 0x44, 10);
    r.wr_len = 17;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    env_fini(&e);
}

TEST(aead_layout_iv_src_aad)
{
    struct env e;
    env_init(&e);
    struct req r;
    hdr(&r, VIRTIO_CRYPTO_AEAD_ENCRYPT, e.sid[3]);
    put32(r.rd + 24, 12);
    put32(r.rd + 28, 20);
    put32(r.rd + 32, 30);
    put32(r.rd + 36, 46);
    put32(r.rd + 40, 16);
    add(&r, 0x11, 12);
    add(&r, 0x22, 30);
    add(&r, 0x33, 20);
    r.wr_len = 47;
    EXPECT_STATUS(go_cut(&e, &r, 9).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last.iv.len, 12);
    EXPECT_EQ(e.fe.last.src.len, 30);
    EXPECT_EQ(e.fe.last.aad.len, 20);
    EXPECT_EQ(e.fe.last_src[29], 0x22);
    EXPECT_EQ(e.fe.last_aad[0], 0x33);
    EXPECT_EQ(e.fe.last.dst.len, 46);
    /* AEAD errors from the engine pass through: BADMSG */
    e.fe.op_status = VIRTIO_CRYPTO_BADMSG;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_BADMSG);
    EXPECT_EQ(go(&e, &r).used_len, 1);
    env_fini(&e);
}

TEST(akcipher_verify_reads_sig_then_digest)
{
    struct env e;
    env_init(&e);
    struct req r;
    hdr(&r, VIRTIO_CRYPTO_AKCIPHER_VERIFY, e.sid[4]);
    put32(r.rd + 24, 64);
    put32(r.rd + 28, 32);
    add(&r, 0x55, 64);
    add(&r, 0x66, 32);
    r.wr_len = 1;
    e.fe.op_status = VIRTIO_CRYPTO_KEY_REJECTED;
    struct vc_req_result res = go(&e, &r);
    EXPECT_STATUS(res.status, VIRTIO_CRYPTO_KEY_REJECTED);
    EXPECT_EQ(e.fe.last.src.len, 64);
    EXPECT_EQ(e.fe.last.dst.len, 32);
    EXPECT_EQ(e.fe.last_dst_in[31], 0x66);
    EXPECT_EQ(r.wr[0], VIRTIO_CRYPTO_KEY_REJECTED);
    /* huge lengths (hostile-inputs #10): rejected before the engine */
    int before = e.fe.ops;
    put32(r.rd + 24, 0xFFFFFFFFu);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(e.fe.ops, before);
    env_fini(&e);
}

TEST(akcipher_sign_used_len_is_produced)
{
    struct env e;
    env_init(&e);
    struct req r;
    hdr(&r, VIRTIO_CRYPTO_AKCIPHER_SIGN, e.sid[4]);
    put32(r.rd + 24, 32);
    put32(r.rd + 28, 128);
    add(&r, 0x77, 32);
    r.wr_len = 129;
    struct vc_req_result res = go(&e, &r);
    EXPECT_STATUS(res.status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(res.used_len, 33); /* the fake engine produced 32 bytes */
    EXPECT_EQ(r.wr[128], VIRTIO_CRYPTO_OK);
    env_fini(&e);
}

TEST(revision1_exact_header_sizes)
{
    EXPECT_EQ(vc_dataq_hdr_len(VIRTIO_CRYPTO_HASH, false), 72);
    EXPECT_EQ(vc_dataq_hdr_len(VIRTIO_CRYPTO_HASH, true), 32);
    EXPECT_EQ(vc_dataq_hdr_len(VIRTIO_CRYPTO_CIPHER_ENCRYPT, true), 72);
    EXPECT_EQ(vc_dataq_hdr_len(VIRTIO_CRYPTO_AEAD_DECRYPT, true), 48);
    EXPECT_EQ(vc_dataq_hdr_len(VIRTIO_CRYPTO_AKCIPHER_VERIFY, true), 32);
    EXPECT_EQ(vc_dataq_hdr_len(0xffff, true), 0);
    struct env e;
    env_init(&e);
    e.ctx.revision_1 = true;
    struct req r;
    hdr(&r, VIRTIO_CRYPTO_HASH, e.sid[1]);
    r.rd_len = 32;
    put32(r.rd + 24, 5);
    put32(r.rd + 28, 20);
    add(&r, 0x44, 5);
    r.wr_len = 21;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last_src[0], 0x44);
    env_fini(&e);
}

/* ---- stateless layouts (REVISION_1 + <SERVICE>_STATELESS_MODE) */

static void sl_hdr(struct req *r, uint32_t opcode, uint32_t flf_len, uint32_t flag, uint64_t sid)
{
    hdr(r, opcode, sid);
    put32(r->rd + 16, flag);
    r->rd_len = 24 + flf_len;
}

static void sl_env(struct env *e)
{
    env_init(e);
    e->ctx.revision_1 = true;
    e->ctx.stateless = 0x1f;
}

TEST(stateless_cipher_keys_first)
{
    struct env e;
    sl_env(&e);
    struct req r;
    sl_hdr(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, 76, 0, 0);
    uint8_t *f = r.rd + 24;
    put32(f + 0, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    put32(f + 4, 16); /* key_len */
    put32(f + 8, VIRTIO_CRYPTO_OP_ENCRYPT);
    put32(f + 12, 16); /* iv */
    put32(f + 16, 32); /* src */
    put32(f + 20, 32); /* dst */
    put32(f + 72, VIRTIO_CRYPTO_SYM_OP_CIPHER);
    add(&r, 0x4b, 16); /* key */
    add(&r, 0x11, 16); /* iv */
    add(&r, 0x22, 32); /* src */
    r.wr_len = 33;
    int before = e.fe.sessions_created;
    struct vc_req_result res = go_cut(&e, &r, 11);
    EXPECT_STATUS(res.status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.sessions_created, before + 1);
    EXPECT_EQ(e.fe.last_params.u.sym.cipher.algo, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    EXPECT_EQ(e.fe.last_key[15], 0x4b);
    EXPECT_EQ(e.fe.last_iv[0], 0x11);
    EXPECT_EQ(e.fe.last_src[31], 0x22);
    EXPECT_EQ(e.fe.live_sessions, 5); /* the one-request session is gone */
    /* keys above the cap (hostile-inputs #9) */
    put32(f + 4, 65);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    put32(f + 4, 0xFFFFFFFFu);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    env_fini(&e);
}

TEST(stateless_chain_aad_before_src)
{
    struct env e;
    sl_env(&e);
    struct req r;
    sl_hdr(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, 76, 0, 0);
    uint8_t *f = r.rd + 24;
    put32(f + 0, VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
    put32(f + 4, 8); /* sess aad_len */
    put32(f + 8, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    put32(f + 12, 16);
    put32(f + 16, VIRTIO_CRYPTO_OP_ENCRYPT);
    put32(f + 20, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
    put32(f + 24, 20); /* auth key */
    put32(f + 28, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
    put32(f + 32, 16); /* iv */
    put32(f + 36, 32); /* src */
    put32(f + 40, 32); /* dst */
    put32(f + 48, 32); /* len_to_cipher */
    put32(f + 56, 32); /* len_to_hash */
    put32(f + 60, 8);  /* aad */
    put32(f + 64, 32); /* hash_result_len */
    put32(f + 72, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
    add(&r, 0x4b, 16); /* cipher key */
    add(&r, 0x41, 20); /* auth key */
    add(&r, 0x11, 16); /* iv */
    add(&r, 0x33, 8);  /* aad */
    add(&r, 0x22, 32); /* src */
    r.wr_len = 32 + 32 + 1;
    EXPECT_STATUS(go_cut(&e, &r, 13).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last_key[0], 0x4b);
    EXPECT_EQ(e.fe.last_auth_key[19], 0x41);
    EXPECT_EQ(e.fe.last_aad[7], 0x33);
    EXPECT_EQ(e.fe.last_src[0], 0x22);
    EXPECT_EQ(e.fe.last_params.u.sym.hash_mode, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
    EXPECT_EQ(e.fe.last_params.u.sym.hash_result_len, 32);
    EXPECT_EQ(e.fe.last.digest.len, 32);
    env_fini(&e);
}

TEST(stateless_hash_mac_aead_akcipher)
{
    struct env e;
    sl_env(&e);
    struct req r;
    sl_hdr(&r, VIRTIO_CRYPTO_HASH, 16, 0, 0);
    put32(r.rd + 24, VIRTIO_CRYPTO_HASH_SHA_256);
    put32(r.rd + 28, 10);
    put32(r.rd + 32, 32);
    add(&r, 0x44, 10);
    r.wr_len = 33;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last_params.u.hash.algo, VIRTIO_CRYPTO_HASH_SHA_256);
    EXPECT_EQ(e.fe.last_src[9], 0x44);
    sl_hdr(&r, VIRTIO_CRYPTO_MAC, 16, 0, 0);
    put32(r.rd + 24, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
    put32(r.rd + 28, 32);
    put32(r.rd + 32, 10);
    put32(r.rd + 36, 32);
    add(&r, 0x6b, 32);
    add(&r, 0x44, 10);
    r.wr_len = 33;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last_key[31], 0x6b);
    EXPECT_EQ(e.fe.last_src[0], 0x44);
    put32(r.rd + 28, 513); /* auth key above 512 */
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_ERR);
    sl_hdr(&r, VIRTIO_CRYPTO_AEAD_ENCRYPT, 32, 0, 0);
    put32(r.rd + 24, VIRTIO_CRYPTO_AEAD_GCM);
    put32(r.rd + 28, 32);
    put32(r.rd + 32, VIRTIO_CRYPTO_OP_ENCRYPT);
    put32(r.rd + 36, 12); /* iv */
    put32(r.rd + 40, 16); /* tag */
    put32(r.rd + 44, 5);  /* aad */
    put32(r.rd + 48, 20); /* src */
    put32(r.rd + 52, 36); /* dst */
    add(&r, 0x6b, 32);
    add(&r, 0x11, 12);
    add(&r, 0x22, 20);
    add(&r, 0x33, 5);
    r.wr_len = 37;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last_params.u.aead.tag_len, 16);
    EXPECT_EQ(e.fe.last_aad[4], 0x33);
    EXPECT_EQ(e.fe.last_src[19], 0x22);
    sl_hdr(&r, VIRTIO_CRYPTO_AKCIPHER_VERIFY, 28, 0, 0);
    put32(r.rd + 24, VIRTIO_CRYPTO_AKCIPHER_ECDSA);
    put32(r.rd + 28, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC);
    put32(r.rd + 32, 65);
    put32(r.rd + 36, VIRTIO_CRYPTO_CURVE_NIST_P256);
    put32(r.rd + 44, 70); /* signature */
    put32(r.rd + 48, 32); /* digest */
    add(&r, 0x04, 65);
    add(&r, 0x30, 70);
    add(&r, 0x99, 32);
    r.wr_len = 1;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.last_params.u.akcipher.ecdsa_curve, VIRTIO_CRYPTO_CURVE_NIST_P256);
    EXPECT_EQ(e.fe.last_dst_in[31], 0x99);
    env_fini(&e);
}

TEST(stateless_layout_in_session_mode)
{
    /* flag = SESSION_MODE: stateless layout, sess_para ignored, no keys */
    struct env e;
    sl_env(&e);
    struct req r;
    sl_hdr(&r, VIRTIO_CRYPTO_HASH, 16, VIRTIO_CRYPTO_FLAG_SESSION_MODE, e.sid[1]);
    put32(r.rd + 24, 0x77); /* ignored algo */
    put32(r.rd + 28, 10);
    put32(r.rd + 32, 32);
    add(&r, 0x44, 10);
    r.wr_len = 33;
    int before = e.fe.sessions_created;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(e.fe.sessions_created, before);
    /* bad session id in that mode: INVSESS */
    put64(r.rd + 8, 999);
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_INVSESS);
    /* stateless bits without REVISION_1 are ignored: legacy layout */
    e.ctx.revision_1 = false;
    hdr(&r, VIRTIO_CRYPTO_HASH, e.sid[1]);
    put32(r.rd + 24, 5);
    put32(r.rd + 28, 32);
    add(&r, 0x44, 5);
    r.wr_len = 33;
    EXPECT_STATUS(go(&e, &r).status, VIRTIO_CRYPTO_OK);
    env_fini(&e);
}

int main(void)
{
    RUN(stateless_cipher_keys_first);
    RUN(stateless_chain_aad_before_src);
    RUN(stateless_hash_mac_aead_akcipher);
    RUN(stateless_layout_in_session_mode);
    RUN(cipher_ok_multi_piece);
    RUN(cipher_dst_shorter_than_src_rejected);
    RUN(lengths_beyond_chain_rejected);
    RUN(sum_wrap_and_max_size);
    RUN(iv_too_long_rejected);
    RUN(chain_ok_and_regions);
    RUN(chain_regions_outside_src_rejected);
    RUN(op_type_none_and_unknown_opcode_notsupp);
    RUN(bad_session_invsess);
    RUN(short_header_and_no_status_room);
    RUN(hash_and_mac);
    RUN(aead_layout_iv_src_aad);
    RUN(akcipher_verify_reads_sig_then_digest);
    RUN(akcipher_sign_used_len_is_produced);
    RUN(revision1_exact_header_sizes);
    return TEST_DONE();
}
