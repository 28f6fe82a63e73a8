/* vcryptod end to end, across processes: a scripted vhost-user frontend
 * (tests/testlib/vu_client) drives a real vcryptod over unix sockets with
 * fake guest memory guarded by PROT_NONE pages, the way QEMU's
 * cryptodev-vhost-user does (legacy 72-byte requests, sessions over the
 * socket). Besides the good path it sends the hostile inputs of
 * ../shared/reference/hostile-inputs.md §1a-1f that apply to the backend and
 * checks, after each, that the right status came back, nothing was written
 * outside the request's writable buffers, and the daemon still serves a
 * second, well-behaved frontend on another socket.
 *
 * usage: vcryptod_test PATH/TO/vcryptod
 */
#include <dirent.h>
#include <endian.h>
#include <openssl/evp.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/compiler.h"
#include "drv_ring.h"
#include "test.h"
#ifdef HAVE_JANSSON
#include <jansson.h>
#endif
#include "vcrypto/virtio_crypto.h"
#include "vu_client.h"

#define RING 64
#define MEM (4u << 20)
#define GUARD 32
#define PROTO                                                                                      \
    ((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |            \
     (1ull << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION))

static char g_dir[40], g_sock1[64], g_sock2[64], g_ctl[64];
static pid_t g_pid;
static const char *g_bin;

struct peer {
    struct vu_client c;
    struct vu_guest_mem m;
    struct drv_ring d;
    uint64_t brk;
    bool up;
};

static struct peer p1, p2;
/* Longer than 16 so the oversize-key cases read real bytes. */
static const uint8_t key16[128] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                  0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};

static int start_daemon(void)
{
    g_pid = fork();
    if (g_pid == 0) {
        /* The daemon must not outlive a crashed test. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(g_bin, g_bin, "--socket-path", g_sock1, "--socket-path", g_sock2, "--ctl-socket",
              g_ctl, "--max-sessions", "8", (char *)NULL);
        _exit(127);
    }
    return g_pid > 0 ? 0 : -1;
}

static bool daemon_alive(void)
{
    int st;
    return waitpid(g_pid, &st, WNOHANG) == 0;
}

static int peer_open(struct peer *p, const char *sock)
{
    memset(p, 0, sizeof(*p));
    if (vu_client_connect(&p->c, sock, 5000) != 0)
        return -1;
    if (vu_client_setup(&p->c, PROTO, NULL, NULL, NULL) != 0)
        return -1;
    if (vu_guest_mem_new(&p->m, MEM, 0x100000) != 0)
        return -1;
    if (vu_client_set_mem(&p->c, &p->m, 1) != 0)
        return -1;
    uint64_t used = vu_ring_layout(&p->d.r, &p->m, 0, RING);
    if (!used)
        return -1;
    p->brk = used;
    p->d.m = &p->m;
    if (vu_client_vring_setup(&p->c, 0, &p->d.r, &p->m, 0, &p->d.kick, &p->d.call) != 0)
        return -1;
    p->up = true;
    return 0;
}

static void peer_close(struct peer *p)
{
    if (!p->up)
        return;
    vu_client_close(&p->c);
    close(p->d.kick);
    close(p->d.call);
    vu_guest_mem_free(&p->m);
    p->up = false;
}

/* Buffer with GUARD bytes of 0xA5 on each side. */
static uint8_t *guarded(struct peer *p, uint32_t n)
{
    uint8_t *b = drv_alloc(&p->m, &p->brk, n + 2 * GUARD);
    memset(b, 0xA5, n + 2 * GUARD);
    return b + GUARD;
}

static bool guards_ok(const uint8_t *b, uint32_t n)
{
    for (int i = 1; i <= GUARD; i++)
        if (b[-i] != 0xA5 || b[n + (uint32_t)i - 1] != 0xA5)
            return false;
    return true;
}

static int64_t aes_cbc_session(struct peer *p, uint8_t dir, enum vu_layout l, uint32_t key_len)
{
    struct vu_sym_sess s = {.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
                            .key_len = key_len,
                            .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                            .direction = dir,
                            .key = key16};
    int64_t id = -1;
    if (vu_client_create_sym(&p->c, l, &s, &id) != 0)
        return INT64_MIN;
    return id;
}

static void put32(uint8_t *b, uint32_t off, uint32_t v)
{
    v = htole32(v);
    memcpy(b + off, &v, 4);
}

struct creq {
    uint32_t opcode, iv_len, src_len, dst_len, op_type;
    uint64_t sid;
    const uint8_t *iv, *src;
    /* out */
    uint8_t *dst, *status;
    uint32_t used_len;
    bool completed;
};

/* Sends a legacy cipher request: [hdr 72 R][iv R][src R][dst W][status W]. */
static void send_cipher(struct peer *p, struct creq *r, int timeout_ms)
{
    uint8_t *h = drv_alloc(&p->m, &p->brk, 72);
    put32(h, 0, r->opcode);
    uint64_t sid = htole64(r->sid);
    memcpy(h + 8, &sid, 8);
    put32(h, 24, r->iv_len);
    put32(h, 28, r->src_len);
    put32(h, 32, r->dst_len);
    put32(h, 24 + 40, r->op_type);
    uint32_t ivn = r->iv ? r->iv_len : 16, srcn = r->src ? r->src_len : 16;
    uint8_t *iv = drv_alloc(&p->m, &p->brk, ivn ? ivn : 1);
    if (r->iv)
        memcpy(iv, r->iv, r->iv_len);
    uint8_t *src = drv_alloc(&p->m, &p->brk, srcn ? srcn : 1);
    if (r->src)
        memcpy(src, r->src, r->src_len);
    uint32_t dstn = r->dst_len > 4096 ? 16 : r->dst_len;
    r->dst = guarded(p, dstn);
    r->status = guarded(p, 1);
    *r->status = 0xEE;
    struct drv_buf b[5] = {{h, 72, false},   {iv, ivn, false},        {src, srcn, false},
                           {r->dst, dstn, true}, {r->status, 1, true}};
    struct drv_buf bz[4] = {{h, 72, false}, {src, srcn, false}, {r->dst, dstn, true},
                            {r->status, 1, true}};
    if (ivn)
        drv_post(&p->d, &p->brk, b, dstn ? 5 : 4, false);
    else
        drv_post(&p->d, &p->brk, bz, 4, false);
    drv_kick(&p->d);
    if (timeout_ms == 0)
        return; /* post only; the caller collects completions */
    uint32_t id;
    r->completed = drv_wait_used(&p->d, timeout_ms, &id, &r->used_len);
}

static uint64_t ms_now_test(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ref_cbc(const uint8_t *iv, const uint8_t *in, uint32_t n, uint8_t *out, int enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    EVP_CipherInit_ex(c, EVP_aes_128_cbc(), NULL, key16, iv, enc);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_CipherUpdate(c, out, &l1, in, (int)n);
    EVP_CipherFinal_ex(c, out + l1, &l2);
    EVP_CIPHER_CTX_free(c);
}

/* A good request on the second device: the daemon is alive and serving. */
static bool second_frontend_ok(void)
{
    if (!daemon_alive())
        return false;
    if (!p2.up && peer_open(&p2, g_sock2) != 0)
        return false;
    static int64_t sid = -1;
    if (sid < 0)
        sid = aes_cbc_session(&p2, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16);
    if (sid < 0)
        return false;
    uint8_t iv[16] = {1}, src[64], want[64];
    for (int i = 0; i < 64; i++)
        src[i] = (uint8_t)i;
    struct creq r = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 64,
                     .dst_len = 64, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER, .sid = (uint64_t)sid,
                     .iv = iv, .src = src};
    send_cipher(&p2, &r, 3000);
    ref_cbc(iv, src, 64, want, 1);
    return r.completed && *r.status == VIRTIO_CRYPTO_OK && memcmp(r.dst, want, 64) == 0 &&
           guards_ok(r.dst, 64);
}

static int64_t g_enc = -1, g_dec = -1;

static void ensure_p1(void)
{
    if (p1.up)
        return;
    if (peer_open(&p1, g_sock1) != 0)
        return;
    if (g_enc >= 0)
        return; /* sessions survive reconnects */
    g_enc = aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16);
    g_dec = aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_DECRYPT, VU_LAYOUT_B, 16);
}

TEST(aes_cbc_roundtrip_nist)
{
    ensure_p1();
    EXPECT(p1.up);
    EXPECT(g_enc >= 0 && g_dec >= 0);
    /* NIST SP 800-38A F.2.1 CBC-AES128.Encrypt, first two blocks. */
    static const uint8_t iv[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t pt[32] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e,
                                   0x11, 0x73, 0x93, 0x17, 0x2a, 0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03,
                                   0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51};
    static const uint8_t ct[32] = {0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e,
                                   0x9b, 0x12, 0xe9, 0x19, 0x7d, 0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72,
                                   0x19, 0xee, 0x95, 0xdb, 0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2};
    struct creq r = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 32,
                     .dst_len = 32, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                     .sid = (uint64_t)g_enc, .iv = iv, .src = pt};
    send_cipher(&p1, &r, 3000);
    EXPECT(r.completed);
    EXPECT_STATUS(*r.status, VIRTIO_CRYPTO_OK);
    EXPECT_MEM(r.dst, ct, 32);
    EXPECT(guards_ok(r.dst, 32));
    struct creq d = {.opcode = VIRTIO_CRYPTO_CIPHER_DECRYPT, .iv_len = 16, .src_len = 32,
                     .dst_len = 32, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                     .sid = (uint64_t)g_dec, .iv = iv, .src = ct};
    send_cipher(&p1, &d, 3000);
    EXPECT_STATUS(*d.status, VIRTIO_CRYPTO_OK);
    EXPECT_MEM(d.dst, pt, 32);
}

TEST(all_three_session_layouts)
{
    /* The 632-byte layout (A or B) is decided once per connection, as a real
     * QEMU never mixes them: start a fresh connection for layout A. */
    peer_close(&p1);
    ensure_p1();
    int64_t a = aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_A, 16);
    int64_t c = aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_C, 16);
    EXPECT(a >= 0);
    EXPECT(c >= 0);
    uint8_t iv[16] = {9}, src[48], want[48];
    memset(src, 0x5a, sizeof(src));
    ref_cbc(iv, src, 48, want, 1);
    int64_t ids[2] = {a, c};
    for (int i = 0; i < 2; i++) {
        struct creq r = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 48,
                         .dst_len = 48, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                         .sid = (uint64_t)ids[i], .iv = iv, .src = src};
        send_cipher(&p1, &r, 3000);
        EXPECT_STATUS(*r.status, VIRTIO_CRYPTO_OK);
        EXPECT_MEM(r.dst, want, 48);
    }
    EXPECT_EQ(vu_client_close_session(&p1.c, (uint64_t)a), 0);
    EXPECT_EQ(vu_client_close_session(&p1.c, (uint64_t)c), 0);
}

/* hostile-inputs #1, #2, #3, #5, #19: per-request errors, guards intact. */
TEST(hostile_lengths_get_err)
{
    ensure_p1();
    uint8_t iv[16] = {0}, src[64] = {0};
    struct {
        uint32_t iv_len, src_len, dst_len, op_type, opcode;
        uint8_t want;
    } cases[] = {
        {16, 0xFFFFFFF0u, 0xFFFFFFF0u, VIRTIO_CRYPTO_SYM_OP_CIPHER,
         VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},                               /* #1 */
        {16, 64, 32, VIRTIO_CRYPTO_SYM_OP_CIPHER, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
         VIRTIO_CRYPTO_ERR},                                                              /* #2 */
        {16, 64, 64 + 4096, VIRTIO_CRYPTO_SYM_OP_CIPHER, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
         VIRTIO_CRYPTO_ERR},                                                              /* #3 */
        {100, 64, 64, VIRTIO_CRYPTO_SYM_OP_CIPHER, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
         VIRTIO_CRYPTO_ERR},                                                              /* #5 */
        {16, 64, 64, VIRTIO_CRYPTO_SYM_OP_NONE, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
         VIRTIO_CRYPTO_NOTSUPP},                                                          /* #19 */
        {16, 64, 64, VIRTIO_CRYPTO_SYM_OP_CIPHER, 0x0999, VIRTIO_CRYPTO_NOTSUPP},         /* #19 */
        {16, 60, 60, VIRTIO_CRYPTO_SYM_OP_CIPHER, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
         VIRTIO_CRYPTO_ERR}, /* not a block multiple */
    };
    for (size_t i = 0; i < VC_ARRAY_SIZE(cases); i++) {
        struct creq r = {.opcode = cases[i].opcode, .iv_len = cases[i].iv_len,
                         .src_len = cases[i].src_len, .dst_len = cases[i].dst_len,
                         .op_type = cases[i].op_type, .sid = (uint64_t)g_enc};
        r.iv = cases[i].iv_len <= 16 ? iv : NULL;
        r.src = cases[i].src_len <= 64 ? src : NULL;
        send_cipher(&p1, &r, 3000);
        EXPECT(r.completed);
        if (*r.status != cases[i].want)
            printf("# case %zu\n", i);
        EXPECT_STATUS(*r.status, cases[i].want);
        uint32_t dn = r.dst_len > 4096 ? 16 : r.dst_len;
        EXPECT(guards_ok(r.dst, dn));
        EXPECT(guards_ok(r.status, 1));
    }
    EXPECT(second_frontend_ok());
}

/* hostile-inputs #17: unknown, destroyed and other-guest session ids. */
TEST(hostile_sessions_invsess)
{
    ensure_p1();
    uint8_t iv[16] = {0}, src[16] = {0};
    int64_t other = aes_cbc_session(&p2, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16);
    int64_t mine = aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16);
    EXPECT(other >= 0 && mine >= 0);
    EXPECT_EQ(vu_client_close_session(&p1.c, (uint64_t)mine), 0);
    /* closing an unknown id keeps the connection (QEMU reads no reply) */
    EXPECT_EQ(vu_client_close_session(&p1.c, 0xdeadbeefull), 0);
    /* CLOSE has no reply; a request that has one proves both CLOSEs were
     * handled (messages are processed in order) before the data requests
     * below reach the worker. */
    uint64_t f;
    EXPECT_EQ(vu_client_get_u64(&p1.c, VHOST_USER_GET_FEATURES, &f), 0);
    uint64_t ids[3] = {0x123456789ull, (uint64_t)mine, (uint64_t)other + 1000};
    for (int i = 0; i < 3; i++) {
        struct creq r = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 16,
                         .dst_len = 16, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER, .sid = ids[i],
                         .iv = iv, .src = src};
        send_cipher(&p1, &r, 3000);
        EXPECT_STATUS(*r.status, VIRTIO_CRYPTO_INVSESS);
    }
    EXPECT(!vu_client_peer_closed(&p1.c, 50));
    EXPECT(second_frontend_ok());
}

/* hostile-inputs #15, #16, #18: bad keys refused; session cap holds. */
TEST(hostile_session_create)
{
    ensure_p1();
    EXPECT(aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 17) < 0);  /* #16 */
    EXPECT(aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 100) < 0); /* #15 */
    EXPECT(aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_C, 65) < 0);  /* #15 */
    /* #18: --max-sessions 8; g_enc/g_dec are live. */
    int64_t ids[16];
    int ok = 0, refused = 0;
    for (int i = 0; i < 16; i++) {
        ids[i] = aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16);
        if (ids[i] >= 0)
            ok++;
        else if (ids[i] != INT64_MIN)
            refused++;
    }
    EXPECT_EQ(ok, 6);
    EXPECT_EQ(refused, 10);
    for (int i = 0; i < 16; i++)
        if (ids[i] >= 0)
            EXPECT_EQ(vu_client_close_session(&p1.c, (uint64_t)ids[i]), 0);
    EXPECT(aes_cbc_session(&p1, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16) >= 0);
    EXPECT(second_frontend_ok());
}

/* hostile-inputs #23, #24, #25, #26: malformed chains complete with used.len
 * 0 and the queue keeps serving. */
TEST(hostile_chains_request_class)
{
    ensure_p1();
    struct drv_ring *d = &p1.d;
    uint8_t *buf = drv_alloc(&p1.m, &p1.brk, 128);
    struct {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
    } bad[] = {
        {drv_gpa(&p1.m, buf), 0, 0},                        /* #23 zero length */
        {0x7fff0000ull, 64, 0},                             /* #24 unmapped */
        {UINT64_MAX - 8, 64, 0},                            /* #24 wraps */
        {drv_gpa(&p1.m, buf), 24, VIRTQ_DESC_F_INDIRECT},   /* #25 not 16*n */
        {0x7fff0000ull, 32, VIRTQ_DESC_F_INDIRECT},         /* #25 unmapped table */
    };
    for (size_t i = 0; i < VC_ARRAY_SIZE(bad); i++) {
        uint16_t h = d->next_desc;
        d->next_desc = (uint16_t)((d->next_desc + 1) % RING);
        drv_desc(d, h, bad[i].addr, bad[i].len, bad[i].flags, 0);
        drv_publish(d, h);
        drv_kick(d);
        uint32_t id, len;
        EXPECT(drv_wait_used(d, 3000, &id, &len));
        EXPECT_EQ(id, h);
        EXPECT_EQ(len, 0);
    }
    /* #26 readable after writable */
    struct drv_buf b[2] = {{buf, 16, true}, {buf + 16, 16, false}};
    uint16_t h = drv_post(d, &p1.brk, b, 2, false);
    drv_kick(d);
    uint32_t id, len;
    EXPECT(drv_wait_used(d, 3000, &id, &len));
    EXPECT_EQ(id, h);
    EXPECT_EQ(len, 0);
    /* the queue still works */
    uint8_t iv[16] = {0}, src[16] = {0};
    struct creq r = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 16,
                     .dst_len = 16, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                     .sid = (uint64_t)g_enc, .iv = iv, .src = src};
    send_cipher(&p1, &r, 3000);
    EXPECT_STATUS(*r.status, VIRTIO_CRYPTO_OK);
}

/* Indirect tables, including "direct descriptors then one indirect". */
TEST(indirect_layouts_accepted)
{
    ensure_p1();
    uint8_t iv[16] = {3}, src[32], want[32];
    memset(src, 7, sizeof(src));
    ref_cbc(iv, src, 32, want, 1);
    uint8_t *h = drv_alloc(&p1.m, &p1.brk, 72);
    put32(h, 0, VIRTIO_CRYPTO_CIPHER_ENCRYPT);
    uint64_t sid = htole64((uint64_t)g_enc);
    memcpy(h + 8, &sid, 8);
    put32(h, 24, 16);
    put32(h, 28, 32);
    put32(h, 32, 32);
    put32(h, 64, VIRTIO_CRYPTO_SYM_OP_CIPHER);
    uint8_t *ivb = drv_alloc(&p1.m, &p1.brk, 16), *sb = drv_alloc(&p1.m, &p1.brk, 32);
    memcpy(ivb, iv, 16);
    memcpy(sb, src, 32);
    uint8_t *dst = guarded(&p1, 32), *st = guarded(&p1, 1);
    struct drv_buf b[5] = {{h, 72, false}, {ivb, 16, false}, {sb, 32, false}, {dst, 32, true},
                           {st, 1, true}};
    /* fully indirect */
    drv_post(&p1.d, &p1.brk, b, 5, true);
    drv_kick(&p1.d);
    uint32_t id, len;
    EXPECT(drv_wait_used(&p1.d, 3000, &id, &len));
    EXPECT_STATUS(*st, VIRTIO_CRYPTO_OK);
    EXPECT_MEM(dst, want, 32);
    /* two direct, then one indirect holding the rest */
    memset(dst, 0, 32);
    *st = 0xEE;
    struct virtq_desc *t = drv_alloc(&p1.m, &p1.brk, 3 * 16);
    for (int i = 0; i < 3; i++) {
        t[i].addr = drv_gpa(&p1.m, b[2 + i].p);
        t[i].len = b[2 + i].len;
        t[i].flags = (uint16_t)((b[2 + i].write ? VIRTQ_DESC_F_WRITE : 0) |
                                (i < 2 ? VIRTQ_DESC_F_NEXT : 0));
        t[i].next = (uint16_t)(i + 1);
    }
    uint16_t d0 = p1.d.next_desc, d1 = (uint16_t)((d0 + 1) % RING), d2 = (uint16_t)((d0 + 2) % RING);
    p1.d.next_desc = (uint16_t)((d0 + 3) % RING);
    drv_desc(&p1.d, d0, drv_gpa(&p1.m, h), 72, VIRTQ_DESC_F_NEXT, d1);
    drv_desc(&p1.d, d1, drv_gpa(&p1.m, ivb), 16, VIRTQ_DESC_F_NEXT, d2);
    drv_desc(&p1.d, d2, drv_gpa(&p1.m, t), 48, VIRTQ_DESC_F_INDIRECT, 0);
    drv_publish(&p1.d, d0);
    drv_kick(&p1.d);
    EXPECT(drv_wait_used(&p1.d, 3000, &id, &len));
    EXPECT_EQ(id, d0);
    EXPECT_STATUS(*st, VIRTIO_CRYPTO_OK);
    EXPECT_MEM(dst, want, 32);
}

static char g_ctl_doc[1 << 16];

static bool ctl_says(const char *needle)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", g_ctl);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return false;
    }
    char *doc = g_ctl_doc;
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(g_ctl_doc) - 1 &&
           (r = read(fd, doc + n, sizeof(g_ctl_doc) - 1 - n)) > 0)
        n += (size_t)r;
    doc[n] = '\0';
    close(fd);
    return strstr(doc, needle) != NULL;
}

TEST(stats_socket_reports)
{
    ensure_p1();
    EXPECT(ctl_says("")); /* reachable */
#ifdef HAVE_JANSSON
    json_error_t jerr;
    json_t *doc = json_loads(g_ctl_doc, 0, &jerr);
    EXPECT(doc != NULL);
    if (!doc)
        printf("# invalid JSON: %s\n", jerr.text);
    json_t *devs = json_object_get(doc, "devices");
    EXPECT(json_is_array(devs) && json_array_size(devs) == 2);
    json_t *q0 = json_array_get(json_object_get(json_array_get(devs, 0), "queues"), 0);
    EXPECT(json_integer_value(json_object_get(q0, "requests")) > 0);
    json_decref(doc);
#endif
    EXPECT(ctl_says("\"devices\":["));
    EXPECT(ctl_says("\"name\":\"dev0\""));
    EXPECT(ctl_says("\"name\":\"dev1\""));
    EXPECT(ctl_says("\"invsess\":3"));
}

/* hostile-inputs #22, #27, #29: ring corruption breaks only this device's
 * queue; the daemon and the other device keep going; a reconnect recovers and
 * sessions survive the reconnect. */
TEST(hostile_ring_corruption_and_reconnect)
{
    ensure_p1();
    struct drv_ring *d = &p1.d;
    uint8_t *buf = drv_alloc(&p1.m, &p1.brk, 64);
    /* #22: a two-descriptor loop */
    uint16_t a = d->next_desc, b2 = (uint16_t)((a + 1) % RING);
    d->next_desc = (uint16_t)((a + 2) % RING);
    drv_desc(d, a, drv_gpa(&p1.m, buf), 16, VIRTQ_DESC_F_NEXT, b2);
    drv_desc(d, b2, drv_gpa(&p1.m, buf), 16, VIRTQ_DESC_F_NEXT, a);
    drv_publish(d, a);
    drv_kick(d);
    uint32_t id, len;
    EXPECT(!drv_wait_used(d, 300, &id, &len));
    EXPECT(ctl_says("\"broken\":true"));
    EXPECT(second_frontend_ok());

    int64_t keep = g_enc;
    for (int round = 0; round < 2; round++) {
        /* reconnect: rings are rebuilt, the session table stays */
        peer_close(&p1);
        EXPECT_EQ(peer_open(&p1, g_sock1), 0);
        uint8_t iv[16] = {0}, src[16] = {0};
        struct creq r = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 16,
                         .dst_len = 16, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                         .sid = (uint64_t)keep, .iv = iv, .src = src};
        send_cipher(&p1, &r, 3000);
        EXPECT(r.completed);
        EXPECT_STATUS(*r.status, VIRTIO_CRYPTO_OK);
        if (round == 0) {
            /* #29: avail idx runs more than the queue size ahead */
            struct virtq_avail *av = (struct virtq_avail *)p1.d.r.avail;
            __atomic_store_n(&av->idx, (uint16_t)(p1.d.avail_idx + RING + 5), __ATOMIC_RELEASE);
            drv_kick(&p1.d);
            EXPECT(!drv_wait_used(&p1.d, 300, &id, &len));
            EXPECT(second_frontend_ok());
        }
    }
}

/* hostile-inputs #32, #37: unexpected fds are closed; unknown requests do
 * not kill the daemon. */
static int count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    int n = 0;
    if (!dir)
        return -1;
    while (readdir(dir))
        n++;
    closedir(dir);
    return n;
}

TEST(hostile_messages_fds_flat)
{
    /* #32: fds on a message that takes none is a protocol error: the daemon
     * closes them (and the connection); its fd count stays flat. */
    peer_close(&p1);
    int efd[4];
    for (int i = 0; i < 4; i++)
        efd[i] = eventfd(0, EFD_CLOEXEC);
    struct vu_client c;
    EXPECT_EQ(vu_client_connect(&c, g_sock1, 2000), 0);
    vu_client_close(&c);
    usleep(100000);
    int before = count_fds(g_pid);
    for (int i = 0; i < 100; i++) {
        if (vu_client_connect(&c, g_sock1, 2000) != 0)
            break;
        EXPECT_EQ(vu_client_send(&c, VHOST_USER_GET_FEATURES, 0, NULL, 0, efd, 4), 0);
        EXPECT(vu_client_peer_closed(&c, 2000));
        vu_client_close(&c);
    }
    usleep(100000);
    EXPECT(before > 0);
    EXPECT_EQ(count_fds(g_pid), before);
    for (int i = 0; i < 4; i++)
        close(efd[i]);

    /* #37: an unknown request code is refused, the connection stays usable */
    ensure_p1();
    EXPECT_EQ(vu_client_send(&p1.c, 99, 0, NULL, 0, NULL, 0), 0);
    uint64_t f = 0;
    EXPECT_EQ(vu_client_get_u64(&p1.c, VHOST_USER_GET_FEATURES, &f), 0);
    EXPECT(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
    /* a second frontend on a busy socket is turned away without harm */
    if (vu_client_connect(&c, g_sock1, 2000) == 0) {
        EXPECT(vu_client_peer_closed(&c, 2000));
        vu_client_close(&c);
    }
    uint8_t iv[16] = {0}, src[16] = {0};
    struct creq r = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 16,
                     .dst_len = 16, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                     .sid = (uint64_t)g_enc, .iv = iv, .src = src};
    send_cipher(&p1, &r, 3000);
    EXPECT_STATUS(*r.status, VIRTIO_CRYPTO_OK);
    EXPECT(second_frontend_ok());
}

/* QEMU's backend program conventions: --print-capabilities and --fd. */
TEST(backend_program_conventions)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "%s --print-capabilities", g_bin);
    FILE *f = popen(cmd, "r");
    char out[256] = {0};
    size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
    EXPECT(f && pclose(f) == 0);
    EXPECT(n > 0 && strstr(out, "\"type\": \"crypto\"") != NULL);

    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(sv[0]);
        char fdarg[16];
        snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
        execl(g_bin, g_bin, "--fd", fdarg, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    struct peer p = {0};
    vu_client_from_fd(&p.c, sv[0]);
    p.c.timeout_ms = 3000;
    uint64_t q = 0;
    EXPECT_EQ(vu_client_setup(&p.c, PROTO, NULL, NULL, &q), 0);
    EXPECT(q >= 1);
    int64_t id = aes_cbc_session(&p, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_C, 16);
    EXPECT(id >= 0);
    vu_client_close(&p.c);
    /* The frontend went away: an --fd daemon has nothing left to serve and
     * exits by itself. */
    int st = 0;
    EXPECT_EQ(waitpid(pid, &st, 0), pid);
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* hostile-inputs #38: a guest flooding its device is slowed to the
 * configured rate; another guest of the same daemon is served meanwhile. */
TEST(rate_limit_isolates_a_flooding_guest)
{
    char sa[80], sb[80];
    snprintf(sa, sizeof(sa), "%s/rl-a.sock", g_dir);
    snprintf(sb, sizeof(sb), "%s/rl-b.sock", g_dir);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(g_bin, g_bin, "--socket-path", sa, "--socket-path", sb, "--rate-ops", "6",
              (char *)NULL);
        _exit(127);
    }
    struct peer a, b;
    EXPECT_EQ(peer_open(&a, sa), 0);
    EXPECT_EQ(peer_open(&b, sb), 0);
    int64_t ia = aes_cbc_session(&a, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16);
    int64_t ib = aes_cbc_session(&b, VIRTIO_CRYPTO_OP_ENCRYPT, VU_LAYOUT_B, 16);
    EXPECT(ia >= 0 && ib >= 0);
    /* 12 requests on A (5 descriptors each: 60 of the ring's 64): the
     * first 6 (one second's burst) pass at once, the next 6 take about a
     * second in all. */
    uint8_t iv[16] = {0}, src[16] = {0};
    struct creq r[12];
    uint64_t t0 = ms_now_test();
    for (int i = 0; i < 12; i++) {
        r[i] = (struct creq){.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16,
                             .src_len = 16, .dst_len = 16,
                             .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER, .sid = (uint64_t)ia,
                             .iv = iv, .src = src};
        send_cipher(&a, &r[i], 0); /* post only */
    }
    /* B is served while A is still being throttled. */
    struct creq rb = {.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv_len = 16, .src_len = 16,
                      .dst_len = 16, .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                      .sid = (uint64_t)ib, .iv = iv, .src = src};
    send_cipher(&b, &rb, 3000);
    EXPECT(rb.completed);
    EXPECT_STATUS(*rb.status, VIRTIO_CRYPTO_OK);
    struct virtq_used *ua = (struct virtq_used *)a.d.r.used;
    uint16_t done_when_b = __atomic_load_n(&ua->idx, __ATOMIC_ACQUIRE);
    EXPECT(done_when_b < 12);
    /* A completes every request, no earlier than the rate allows. */
    uint32_t id, len;
    int got = 0;
    while (got < 12 && drv_wait_used(&a.d, 5000, &id, &len))
        got++;
    EXPECT_EQ(got, 12);
    EXPECT(ms_now_test() - t0 >= 700);
    for (int i = 0; i < 12; i++)
        EXPECT_STATUS(*r[i].status, VIRTIO_CRYPTO_OK);
    peer_close(&a);
    peer_close(&b);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

TEST(sigterm_clean_shutdown)
{
    peer_close(&p1);
    peer_close(&p2);
    kill(g_pid, SIGTERM);
    int st = 0;
    EXPECT_EQ(waitpid(g_pid, &st, 0), g_pid);
    EXPECT(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0);
    EXPECT(access(g_sock1, F_OK) != 0); /* socket files removed */
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        printf("1..0 # SKIP usage: vcryptod_test PATH/TO/vcryptod\n");
        return 0;
    }
    g_bin = argv[1];
    snprintf(g_dir, sizeof(g_dir), "/tmp/vcryptod-test-XXXXXX");
    if (!mkdtemp(g_dir))
        return 1;
    snprintf(g_sock1, sizeof(g_sock1), "%s/dev0.sock", g_dir);
    snprintf(g_sock2, sizeof(g_sock2), "%s/dev1.sock", g_dir);
    snprintf(g_ctl, sizeof(g_ctl), "%s/ctl.sock", g_dir);
    if (start_daemon() != 0)
        return 1;
    RUN(aes_cbc_roundtrip_nist);
    RUN(all_three_session_layouts);
    RUN(hostile_lengths_get_err);
    RUN(hostile_sessions_invsess);
    RUN(hostile_session_create);
    RUN(hostile_chains_request_class);
    RUN(indirect_layouts_accepted);
    RUN(stats_socket_reports);
    RUN(hostile_ring_corruption_and_reconnect);
    RUN(hostile_messages_fds_flat);
    RUN(backend_program_conventions);
    RUN(rate_limit_isolates_a_flooding_guest);
    RUN(sigterm_clean_shutdown);
    rmdir(g_dir);
    return TEST_DONE();
}
