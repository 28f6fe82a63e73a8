/* libvcrypto end to end: the same suite through the in-process device and
 * through vhost-user to a real vcryptod child process, then what only a
 * separate daemon can show (several client processes, the daemon killed
 * and restarted mid-burst).
 *
 * usage: driver_test [PATH/TO/vcryptod]   (without it: inproc only)
 */
#include <errno.h>
#include <pthread.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "driver/internal.h" /* qp->kicks */
#include "driver/sync.h"
#include "test.h"
#include "vcrypto/vcrypto.h"
#include "vcrypto/virtio_ring.h"

static const char *g_spec = "inproc";
static char g_dir[64], g_sock[2][96];
static const char *g_vcryptod;
static pid_t g_pid;

struct der {
    uint8_t b[4096];
    size_t n;
};
static struct der rsa_priv, rsa_pub, ec_priv, ec_pub;
static EVP_PKEY *rsa_key, *ec_key;

static const uint8_t K32[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t IV16[16] = {0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* ---- helpers */

static int encode(EVP_PKEY *k, int sel, struct der *out)
{
    unsigned char *p = NULL;
    size_t n = 0;
    OSSL_ENCODER_CTX *c = OSSL_ENCODER_CTX_new_for_pkey(k, sel, "DER", "type-specific", NULL);
    int ok = c && OSSL_ENCODER_to_data(c, &p, &n) == 1 && n <= sizeof(out->b);
    if (ok) {
        memcpy(out->b, p, n);
        out->n = n;
    }
    OPENSSL_free(p);
    OSSL_ENCODER_CTX_free(c);
    return ok;
}

static struct vc_dev *open_dev(const char *spec, uint32_t qsize)
{
    struct vc_dev_opts o = {0};
    o.queue_size = qsize;
    o.timeout_ms = 3000;
    struct vc_dev *d = NULL;
    int r = vc_dev_open(spec, &o, &d);
    if (r)
        printf("# vc_dev_open(%s): %s\n", spec, vc_strerror(r));
    return d;
}

static struct vc_session *mk_aead_tag(struct vc_dev *d, uint32_t op, uint32_t tag_len)
{
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_AEAD};
    p.u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
    p.u.aead.op = op;
    p.u.aead.key = K32;
    p.u.aead.key_len = 32;
    p.u.aead.tag_len = tag_len;
    struct vc_session *s = NULL;
    EXPECT_EQ(vc_session_create(d, &p, &s), 0);
    return s;
}

static struct vc_session *mk_aead(struct vc_dev *d, uint32_t op)
{
    return mk_aead_tag(d, op, 16);
}

static struct vc_session *mk_cipher(struct vc_dev *d, uint32_t op, uint32_t hash_mode)
{
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_CIPHER};
    p.u.cipher.algo = VIRTIO_CRYPTO_CIPHER_AES_CBC;
    p.u.cipher.op = op;
    p.u.cipher.key = K32;
    p.u.cipher.key_len = 32;
    if (hash_mode) {
        p.u.cipher.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
        p.u.cipher.chain_hash_mode = hash_mode;
        p.u.cipher.chain_algo = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
        p.u.cipher.chain_digest_len = 32;
        p.u.cipher.auth_key = K32;
        p.u.cipher.auth_key_len = 32;
    }
    struct vc_session *s = NULL;
    EXPECT_EQ(vc_session_create(d, &p, &s), 0);
    return s;
}

static struct vc_session *mk_ak(struct vc_dev *d, uint32_t algo, uint32_t kt)
{
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    p.u.akcipher.algo = algo;
    p.u.akcipher.key_type = kt;
    bool priv = kt == VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
    const struct der *k = algo == VIRTIO_CRYPTO_AKCIPHER_RSA ? (priv ? &rsa_priv : &rsa_pub)
                                                             : (priv ? &ec_priv : &ec_pub);
    p.u.akcipher.key = k->b;
    p.u.akcipher.key_len = (uint32_t)k->n;
    p.u.akcipher.rsa_padding = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
    p.u.akcipher.rsa_hash = VIRTIO_CRYPTO_RSA_SHA256;
    p.u.akcipher.curve = VIRTIO_CRYPTO_CURVE_NIST_P256;
    struct vc_session *s = NULL;
    EXPECT_EQ(vc_session_create(d, &p, &s), 0);
    return s;
}

static void gcm_ref(const uint8_t *iv, const uint8_t *aad, uint32_t aad_len, const uint8_t *pt,
                    uint32_t n, uint8_t *ct_tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, K32, iv);
    if (aad_len)
        EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len);
    EVP_EncryptUpdate(c, ct_tag, &l, pt, (int)n);
    EVP_EncryptFinal_ex(c, ct_tag + n, &l);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, ct_tag + n);
    EVP_CIPHER_CTX_free(c);
}

static void cbc_ref(const uint8_t *pt, uint32_t n, uint8_t *ct)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, K32, IV16);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_EncryptUpdate(c, ct, &l, pt, (int)n);
    EVP_CIPHER_CTX_free(c);
}

static uint8_t run1(struct vc_dev *d, struct vc_op *op)
{
    int r = vc__sync_op(d, op, 5000);
    if (r) {
        printf("# sync op: %s\n", vc_strerror(r));
        return 0xee;
    }
    return op->status;
}

/* Dequeues until `want` ops came back (or 5 s); returns how many. */
static uint32_t drain(struct vc_qp *qp, struct vc_op **done, uint32_t want)
{
    uint32_t got = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (got < want) {
        got += vc_dequeue_burst(qp, done + got, (uint16_t)VC_MIN(want - got, 64u));
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 5)
            break;
    }
    return got;
}

/* ---- the suite (runs for g_spec) */

TEST(open_and_info)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    EXPECT(d != NULL);
    if (!d)
        return;
    struct vc_dev_info i;
    EXPECT_EQ(vc_dev_info(d, &i), 0);
    EXPECT(strcmp(i.transport, strncmp(g_spec, "vhost", 5) ? "inproc" : "vhost-user") == 0);
    EXPECT(i.revision_1);
    EXPECT_EQ(i.stateless, 0x1f); /* both devices offer stateless mode */
    EXPECT_EQ(i.num_queues, 1);
    EXPECT_EQ(i.queue_size, 256);
    EXPECT_EQ(i.crypto_services, 0x1f);
    EXPECT(vc_dev_supports(d, VIRTIO_CRYPTO_SERVICE_AEAD, VIRTIO_CRYPTO_AEAD_GCM));
    EXPECT(!vc_dev_supports(d, VIRTIO_CRYPTO_SERVICE_AEAD, 31));
    EXPECT(!vc_dev_supports(d, 9, 1));
    EXPECT(i.features & (1ull << VIRTIO_RING_F_EVENT_IDX));
    EXPECT(i.features & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
    EXPECT_EQ(vc_dev_state(d), 0);
    EXPECT(vc_dev_qp(d, 0) != NULL);
    EXPECT(vc_dev_qp(d, 1) == NULL);
    EXPECT(vc_qp_eventfd(vc_dev_qp(d, 0)) >= 0);
    vc_dev_close(d);
    /* Bad specs. */
    EXPECT_EQ(vc_dev_open("nonsense", NULL, &d), VC_EINVAL);
    EXPECT_EQ(vc_dev_open("vfio:0000:00:04.0", NULL, &d), VC_ENOTSUP);
    struct vc_dev_opts o = {.queue_size = 100};
    EXPECT_EQ(vc_dev_open(g_spec, &o, &d), VC_EINVAL);
}

TEST(sessions_for_every_service)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_session *s[9];
    s[0] = mk_cipher(d, VIRTIO_CRYPTO_OP_ENCRYPT, 0);
    s[1] = mk_cipher(d, VIRTIO_CRYPTO_OP_ENCRYPT, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
    p.u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
    EXPECT_EQ(vc_session_create(d, &p, &s[2]), 0);
    p = (struct vc_session_params){.service = VIRTIO_CRYPTO_SERVICE_MAC};
    p.u.mac.algo = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
    p.u.mac.key = K32;
    p.u.mac.key_len = 32;
    EXPECT_EQ(vc_session_create(d, &p, &s[3]), 0);
    s[4] = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    s[5] = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_RSA, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
    s[6] = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_RSA, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC);
    s[7] = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_ECDSA, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
    s[8] = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_ECDSA, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC);
    for (int i = 0; i < 9; i++)
        EXPECT_EQ(vc_session_destroy(s[i]), 0);
    /* The device refuses a key it cannot parse: ERR -> VC_EINVAL. */
    p = (struct vc_session_params){.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
    p.u.akcipher.key_type = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
    p.u.akcipher.key = K32;
    p.u.akcipher.key_len = 32;
    struct vc_session *bad = NULL;
    int r = vc_session_create(d, &p, &bad);
    EXPECT(r == VC_EINVAL || r == VC_ENOTSUP);
    EXPECT(bad == NULL);
    /* A session left open is destroyed by close. */
    (void)mk_aead(d, VIRTIO_CRYPTO_OP_DECRYPT);
    vc_dev_close(d);
}

TEST(config_honoured_locally)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_dev_info i;
    vc_dev_info(d, &i);
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_CIPHER};
    struct vc_session *s = NULL;
    /* An algorithm the device does not advertise. */
    EXPECT(!vc_dev_supports(d, VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_KASUMI_F8));
    p.u.cipher.algo = VIRTIO_CRYPTO_CIPHER_KASUMI_F8;
    p.u.cipher.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    p.u.cipher.key = K32;
    p.u.cipher.key_len = 16;
    EXPECT_EQ(vc_session_create(d, &p, &s), VC_ENOTSUP);
    /* A key longer than max_cipher_key_len. */
    uint8_t big[2048] = {0};
    p.u.cipher.algo = VIRTIO_CRYPTO_CIPHER_AES_CBC;
    p.u.cipher.key = big;
    p.u.cipher.key_len = i.max_cipher_key_len + 1;
    EXPECT_EQ(vc_session_create(d, &p, &s), VC_ERANGE);
    /* MAC key over max_auth_key_len. */
    p = (struct vc_session_params){.service = VIRTIO_CRYPTO_SERVICE_MAC};
    p.u.mac.algo = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
    p.u.mac.key = big;
    p.u.mac.key_len = i.max_auth_key_len + 1;
    EXPECT_EQ(vc_session_create(d, &p, &s), VC_ERANGE);
    /* Unknown service, NULL key. */
    p.service = 7;
    EXPECT_EQ(vc_session_create(d, &p, &s), VC_EINVAL);
    p = (struct vc_session_params){.service = VIRTIO_CRYPTO_SERVICE_AEAD};
    p.u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
    p.u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    p.u.aead.key_len = 32;
    EXPECT_EQ(vc_session_create(d, &p, &s), VC_EINVAL);
    EXPECT(s == NULL);

    /* Ops refused locally are still accepted and complete with a status. */
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    static uint8_t huge[64 * 1024], out[64 * 1024 + 16];
    uint8_t iv[12] = {0};
    struct vc_op ops[5];
    memset(ops, 0, sizeof(ops));
    /* stateless without its parameters */
    ops[0] = (struct vc_op){.session = NULL, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                            .iv_len = 12, .src = huge, .src_len = 16, .dst = out,
                            .dst_len = 32};
    /* larger than the bounce area (32 KiB default) */
    ops[1] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                            .iv_len = 12, .src = huge, .src_len = sizeof(huge), .dst = out,
                            .dst_len = sizeof(out)};
    /* NULL buffer with a length */
    ops[2] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                            .iv_len = 12, .src = NULL, .src_len = 16, .dst = out, .dst_len = 32};
    /* opcode of another service than the session's */
    ops[3] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_HASH, .src = huge,
                            .src_len = 16, .digest = out, .digest_len = 32};
    /* an IV on a HASH request (virtio has no field for it) */
    static const struct vc_session_params sha = {.service = VIRTIO_CRYPTO_SERVICE_HASH,
                                                 .u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256};
    ops[4] = (struct vc_op){.stateless = &sha, .opcode = VIRTIO_CRYPTO_HASH, .iv = iv,
                            .iv_len = 12, .src = huge, .src_len = 16, .digest = out,
                            .digest_len = 32};
    struct vc_op *v[5] = {&ops[0], &ops[1], &ops[2], &ops[3], &ops[4]}, *done[5];
    EXPECT_EQ(vc_enqueue_burst(qp, v, 5), 5);
    EXPECT_EQ(drain(qp, done, 5), 5);
    EXPECT_EQ(ops[0].status, VC_OP_STATUS_INVALID);
    EXPECT_EQ(ops[1].status, VC_OP_STATUS_TOO_BIG);
    EXPECT_EQ(ops[2].status, VC_OP_STATUS_INVALID);
    EXPECT_EQ(ops[3].status, VC_OP_STATUS_INVALID);
    EXPECT_EQ(ops[4].status, VC_OP_STATUS_INVALID);
    EXPECT_EQ(vc_dequeue_burst(qp, done, 5), 0);
    EXPECT_EQ(vc_qp_inflight(qp), 0);
    vc_dev_close(d);
}

static void cipher_case(struct vc_dev *d, bool zero_copy)
{
    struct vc_session *enc = mk_cipher(d, VIRTIO_CRYPTO_OP_ENCRYPT, 0);
    struct vc_session *dec = mk_cipher(d, VIRTIO_CRYPTO_OP_DECRYPT, 0);
    static uint8_t spt[4096], sct[4096], sback[4096];
    uint8_t want[4096];
    uint8_t *pt = spt, *ct = sct, *back = sback;
    if (zero_copy) {
        pt = vc_mem_alloc(d, 4096);
        ct = vc_mem_alloc(d, 4096);
        back = vc_mem_alloc(d, 4096);
        EXPECT(pt && ct && back);
        if (!pt || !ct || !back)
            return;
    }
    for (int i = 0; i < 4096; i++)
        pt[i] = (uint8_t)(i * 7);
    cbc_ref(pt, 4096, want);
    struct vc_op op = {.session = enc, .opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv = IV16,
                       .iv_len = 16, .src = pt, .src_len = 4096, .dst = ct, .dst_len = 4096};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(op.dst_written, 4096);
    EXPECT_MEM(ct, want, 4096);
    op = (struct vc_op){.session = dec, .opcode = VIRTIO_CRYPTO_CIPHER_DECRYPT, .iv = IV16,
                        .iv_len = 16, .src = ct, .src_len = 4096, .dst = back, .dst_len = 4096};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(back, pt, 4096);
    /* dst shorter than src: the device refuses (ERR) */
    op.dst_len = 16;
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_ERR);
    /* the session's direction must match: an encrypt session fed a decrypt
     * opcode is still a cipher session, the device decides; a destroyed
     * session is INVSESS */
    vc_session_destroy(dec);
    if (zero_copy) {
        vc_mem_free(d, pt);
        vc_mem_free(d, ct);
        vc_mem_free(d, back);
    }
    vc_session_destroy(enc);
}

TEST(cipher_bounce_and_zero_copy)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    cipher_case(d, false);
    cipher_case(d, true);
    /* Pool: alloc/free/reuse and exhaustion. */
    void *a = vc_mem_alloc(d, 1000), *b = vc_mem_alloc(d, 1);
    EXPECT(a && b && ((uintptr_t)a % 64) == 0 && ((uintptr_t)b % 64) == 0);
    vc_mem_free(d, a);
    void *c = vc_mem_alloc(d, 64);
    EXPECT(c == a);
    EXPECT(vc_mem_alloc(d, (size_t)1 << 40) == NULL);
    vc_mem_free(d, b);
    vc_mem_free(d, c);
    vc_dev_close(d);
}

TEST(chain_hash_mac)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    /* AES-256-CBC then HMAC-SHA256 over the ciphertext (encrypt-then-MAC). */
    struct vc_session *ch =
        mk_cipher(d, VIRTIO_CRYPTO_OP_ENCRYPT, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
    uint8_t pt[256], ct[256], mac[32], want_ct[256], want_mac[32];
    for (int i = 0; i < 256; i++)
        pt[i] = (uint8_t)i;
    cbc_ref(pt, 256, want_ct);
    unsigned int ml = 32;
    HMAC(EVP_sha256(), K32, 32, want_ct, 256, want_mac, &ml);
    struct vc_op op = {.session = ch, .opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv = IV16,
                       .iv_len = 16, .src = pt, .src_len = 256, .dst = ct, .dst_len = 256,
                       .digest = mac, .digest_len = 32, .cipher_len = 256, .hash_len = 256};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(ct, want_ct, 256);
    EXPECT_MEM(mac, want_mac, 32);
    vc_session_destroy(ch);

    /* HASH and MAC. */
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
    p.u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
    struct vc_session *hs = NULL, *ms = NULL;
    EXPECT_EQ(vc_session_create(d, &p, &hs), 0);
    p = (struct vc_session_params){.service = VIRTIO_CRYPTO_SERVICE_MAC};
    p.u.mac.algo = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
    p.u.mac.key = K32;
    p.u.mac.key_len = 32;
    EXPECT_EQ(vc_session_create(d, &p, &ms), 0);
    uint8_t msg[1000], dg[32], want[32];
    memset(msg, 'm', sizeof(msg));
    op = (struct vc_op){.session = hs, .opcode = VIRTIO_CRYPTO_HASH, .src = msg,
                        .src_len = sizeof(msg), .digest = dg, .digest_len = 32};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EVP_Digest(msg, sizeof(msg), want, NULL, EVP_sha256(), NULL);
    EXPECT_MEM(dg, want, 32);
    op.session = ms;
    op.opcode = VIRTIO_CRYPTO_MAC;
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    HMAC(EVP_sha256(), K32, 32, msg, sizeof(msg), want, &ml);
    EXPECT_MEM(dg, want, 32);
    /* A destroyed session: INVSESS from the device. */
    vc_session_destroy(ms);
    struct vc_session *hs2 = hs;
    (void)hs2;
    vc_session_destroy(hs);
    vc_dev_close(d);
}

TEST(aead_and_tampered_tag)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_session *enc = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    struct vc_session *dec = mk_aead(d, VIRTIO_CRYPTO_OP_DECRYPT);
    uint8_t iv[12] = {9}, aad[20] = {1, 2}, pt[300], ct[316], want[316], back[300];
    for (int i = 0; i < 300; i++)
        pt[i] = (uint8_t)(i ^ 0x5a);
    gcm_ref(iv, aad, 20, pt, 300, want);
    struct vc_op op = {.session = enc, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv, .iv_len = 12,
                       .aad = aad, .aad_len = 20, .src = pt, .src_len = 300, .dst = ct,
                       .dst_len = 316};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(op.dst_written, 316);
    EXPECT_MEM(ct, want, 316);
    op = (struct vc_op){.session = dec, .opcode = VIRTIO_CRYPTO_AEAD_DECRYPT, .iv = iv,
                        .iv_len = 12, .aad = aad, .aad_len = 20, .src = ct, .src_len = 316,
                        .dst = back, .dst_len = 300};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(op.dst_written, 300);
    EXPECT_MEM(back, pt, 300);
    ct[310] ^= 1;
    memset(back, 0x77, sizeof(back));
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_BADMSG);
    EXPECT_EQ(op.dst_written, 0);
    uint8_t untouched[300];
    memset(untouched, 0x77, sizeof(untouched));
    EXPECT_MEM(back, untouched, 300); /* bounce path: nothing copied back */
    vc_session_destroy(enc);
    vc_session_destroy(dec);
    vc_dev_close(d);
}

/* The prepared path (an op whose slot still holds its layout reuses the
 * shared header and table). New IVs (copied, private memory) and new data
 * (zero copy) every round; now and then an op changes length, swaps its
 * destination with another op's, or moves to a session with another tag
 * length. Every result is checked against EVP. With fewer ops than ring
 * entries the ops keep their slots and most take the prepared path; with
 * more, ops keep landing on slots another op built (correctness only). */
static void prepared_case(uint32_t qsize, int nops, bool expect_prepared)
{
    struct vc_dev *d = open_dev(g_spec, qsize);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_session *s16 = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    struct vc_session *s12 = mk_aead_tag(d, VIRTIO_CRYPTO_OP_ENCRYPT, 12);
    enum { MAXOPS = 16, MAXN = 64 };
    uint8_t *mem = vc_mem_alloc(d, MAXOPS * 2 * 128);
    uint8_t iv[MAXOPS][12];
    struct vc_op ops[MAXOPS], *v[MAXOPS], *done[MAXOPS];
    for (int i = 0; i < nops; i++) {
        ops[i] = (struct vc_op){.session = s16, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT,
                                .iv = iv[i], .iv_len = 12, .src = mem + 256 * i,
                                .src_len = MAXN, .dst = mem + 256 * i + 128,
                                .dst_len = MAXN + 16};
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    uint64_t prep0 = qp->prepared;
    uint32_t wrong = 0, checked = 0;
    for (int round = 0; round < 60 && !t__fail_cur; round++) {
        for (int i = 0; i < nops; i++) {
            struct vc_op *o = &ops[i];
            RAND_bytes(iv[i], 12);
            if (round % 7 == 3 && i % 3 == 0)
                o->src_len = o->src_len == MAXN ? 48 : MAXN;
            if (round % 11 == 5 && i % 4 == 1 && i + 1 < nops) {
                void *t = o->dst;
                o->dst = ops[i + 1].dst;
                ops[i + 1].dst = t;
            }
            if (round % 13 == 7 && i % 5 == 2)
                o->session = o->session == s16 ? s12 : s16;
            uint32_t tag = o->session == s16 ? 16 : 12;
            o->dst_len = o->src_len + tag;
            RAND_bytes((uint8_t *)(uintptr_t)o->src, (int)o->src_len);
            v[i] = o;
        }
        int sent = 0, got = 0;
        while (got < nops) {
            if (sent < nops)
                sent += vc_enqueue_burst(qp, v + sent, (uint16_t)(nops - sent));
            uint16_t k = vc_dequeue_burst(qp, done, MAXOPS);
            for (uint16_t j = 0; j < k; j++) {
                struct vc_op *o = done[j];
                uint8_t want[MAXN + 16];
                gcm_ref(o->iv, NULL, 0, o->src, o->src_len, want);
                uint32_t tag = o->session == s16 ? 16 : 12;
                wrong += o->status != VIRTIO_CRYPTO_OK || o->dst_written != o->src_len + tag ||
                         memcmp(o->dst, want, o->src_len + tag) != 0;
                checked++;
            }
            got += k;
        }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(checked, 60u * (uint32_t)nops);
    uint64_t prep = qp->prepared - prep0;
    printf("#   queue %u, %d ops: %llu of %u took the prepared path\n", qsize, nops,
           (unsigned long long)prep, checked);
    if (expect_prepared)
        EXPECT(prep > checked / 2);
    vc_mem_free(d, mem);
    vc_session_destroy(s16);
    vc_session_destroy(s12);
    vc_dev_close(d);
}

TEST(prepared_requests)
{
    prepared_case(16, 12, true);
    prepared_case(8, 16, false);
}

TEST(rsa_and_ecdsa_sign_verify)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    uint8_t digest[32], sig[512];
    EVP_Digest("hello", 5, digest, NULL, EVP_sha256(), NULL);
    const uint32_t algos[2] = {VIRTIO_CRYPTO_AKCIPHER_RSA, VIRTIO_CRYPTO_AKCIPHER_ECDSA};
    for (int a = 0; a < 2; a++) {
        struct vc_session *sg = mk_ak(d, algos[a], VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
        struct vc_session *vf = mk_ak(d, algos[a], VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC);
        struct vc_op op = {.session = sg, .opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN, .src = digest,
                           .src_len = 32, .dst = sig, .dst_len = sizeof(sig)};
        EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
        uint32_t sl = op.dst_written;
        EXPECT(a == 0 ? sl == 256 : (sl > 60 && sl <= 72));
        /* Cross-check with OpenSSL. */
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(a == 0 ? rsa_key : ec_key, NULL);
        EXPECT(EVP_PKEY_verify_init(c) == 1);
        if (a == 0) {
            EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
            EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
        }
        EXPECT(EVP_PKEY_verify(c, sig, sl, digest, 32) == 1);
        EVP_PKEY_CTX_free(c);
        op = (struct vc_op){.session = vf, .opcode = VIRTIO_CRYPTO_AKCIPHER_VERIFY, .src = sig,
                            .src_len = sl, .dst = digest, .dst_len = 32};
        EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
        digest[0] ^= 1;
        EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_KEY_REJECTED);
        digest[0] ^= 1;
        vc_session_destroy(sg);
        vc_session_destroy(vf);
    }
    vc_dev_close(d);
}

/* Ops complete in any order: locally failed ones overtake slow RSA signs
 * sent before them; each op still completes exactly once and correctly. */
TEST(completion_order_and_mixed_sizes)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *sg = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_RSA,
                                  VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    enum { N = 24 };
    static struct vc_op ops[N];
    static uint8_t src[N][16384], dst[N][16384 + 16], sig[N][256], want[16384 + 16];
    uint8_t digest[32] = {1}, iv[12] = {3};
    struct vc_op *v[N], *done[N];
    /* 16 KiB ops use shared memory (zero copy): src + dst would not fit the
     * default 32 KiB bounce area. */
    uint8_t *zbuf = vc_mem_alloc(d, (size_t)N * (2 * 16384 + 64));
    EXPECT(zbuf != NULL);
    if (!zbuf)
        return;
    for (int i = 0; i < N; i++) {
        uint8_t *zs = zbuf + (size_t)i * (2 * 16384 + 64), *zd = zs + 16384;
        memset(src[i], i, sizeof(src[i]));
        memcpy(zs, src[i], 16384);
        v[i] = &ops[i];
        if (i % 3 == 0)
            ops[i] = (struct vc_op){.session = sg, .opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN,
                                    .src = digest, .src_len = 32, .dst = sig[i], .dst_len = 256};
        else if (i % 3 == 1)
            ops[i] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                                    .iv_len = 12, .src = zs, .src_len = 16384, .dst = zd,
                                    .dst_len = 16384 + 16};
        else /* 64 B, with one invalid */
            ops[i] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                                    .iv_len = i == 2 ? 0 : 12, .src = i == 2 ? NULL : src[i],
                                    .src_len = 64, .dst = dst[i], .dst_len = 64 + 16};
        ops[i].user = (void *)(uintptr_t)(i + 1);
    }
    EXPECT_EQ(vc_enqueue_burst(qp, v, N), N);
    EXPECT_EQ(drain(qp, done, N), N);
    int seen[N] = {0}, inversions = 0;
    for (int k = 0; k < N; k++) {
        int i = (int)(uintptr_t)done[k]->user - 1;
        EXPECT(i >= 0 && i < N);
        if (i < 0 || i >= N)
            continue;
        seen[i]++;
        if (k > 0 && i < (int)(uintptr_t)done[k - 1]->user - 1)
            inversions++;
    }
    for (int i = 0; i < N; i++)
        EXPECT_EQ(seen[i], 1);
    EXPECT(inversions > 0);
    EXPECT_EQ(ops[2].status, VC_OP_STATUS_INVALID);
    for (int i = 0; i < N; i++) {
        if (i == 2)
            continue;
        EXPECT_STATUS(ops[i].status, VIRTIO_CRYPTO_OK);
        if (i % 3 == 0) {
            EXPECT_EQ(ops[i].dst_written, 256);
        } else {
            uint32_t n = i % 3 == 1 ? 16384 : 64;
            gcm_ref(iv, NULL, 0, src[i], n, want);
            EXPECT_MEM(ops[i].dst, want, n + 16);
        }
    }
    vc_mem_free(d, zbuf);
    vc_session_destroy(sg);
    vc_session_destroy(gs);
    vc_dev_close(d);
}

TEST(backpressure)
{
    struct vc_dev *d = open_dev(g_spec, 8);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    enum { N = 13 };
    struct vc_op ops[N], copy[N], *v[N], *done[N];
    uint8_t iv[12] = {0}, src[64] = {0}, dst[N][80];
    for (int i = 0; i < N; i++) {
        ops[i] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                                .iv_len = 12, .src = src, .src_len = 64, .dst = dst[i],
                                .dst_len = 80, .status = 0xaa, .dst_written = 0xdead};
        v[i] = &ops[i];
    }
    memcpy(copy, ops, sizeof(ops));
    uint16_t n = vc_enqueue_burst(qp, v, N);
    EXPECT_EQ(n, 8);
    EXPECT_EQ(vc_qp_inflight(qp), 8);
    EXPECT_MEM(&ops[8], &copy[8], sizeof(ops[0]) * (N - 8)); /* untouched */
    EXPECT_EQ(vc_enqueue_burst(qp, v + n, N - n), 0); /* still full */
    EXPECT_EQ(drain(qp, done, 8), 8);
    EXPECT_EQ(vc_enqueue_burst(qp, v + n, N - n), N - 8);
    EXPECT_EQ(drain(qp, done, N - 8), N - 8);
    for (int i = 0; i < N; i++)
        EXPECT_STATUS(ops[i].status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(vc_qp_inflight(qp), 0);
    vc_session_destroy(gs);
    vc_dev_close(d);
}

TEST(eventfd_mode_with_epoll)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *sg = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_RSA,
                                  VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    EXPECT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, vc_qp_eventfd(qp), &ev), 0);
    enum { N = 32 };
    static struct vc_op ops[N], *v[N], *done[N];
    static uint8_t sig[N][256];
    uint8_t digest[32] = {5};
    for (int i = 0; i < N; i++) {
        ops[i] = (struct vc_op){.session = sg, .opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN,
                                .src = digest, .src_len = 32, .dst = sig[i], .dst_len = 256};
        v[i] = &ops[i];
    }
    EXPECT_EQ(vc_enqueue_burst(qp, v, N), N);
    uint32_t got = 0, sleeps = 0, wakeups = 0;
    while (got < N) {
        uint16_t k = vc_dequeue_burst(qp, done + got, N);
        got += k;
        if (k || got == N)
            continue;
        if (vc_qp_arm(qp))
            continue;
        sleeps++;
        int r = epoll_wait(ep, &ev, 1, 3000);
        if (r <= 0)
            break; /* a lost interrupt: fail below */
        wakeups++;
    }
    EXPECT_EQ(got, N);
    EXPECT(sleeps >= 1); /* 32 RSA-2048 signs take milliseconds */
    EXPECT_EQ(wakeups, sleeps);
    for (int i = 0; i < N; i++)
        EXPECT_STATUS(ops[i].status, VIRTIO_CRYPTO_OK);
    /* Nothing in flight: arm says so and the fd stays quiet. */
    EXPECT(!vc_qp_arm(qp));
    EXPECT_EQ(epoll_wait(ep, &ev, 1, 20), 0);
    close(ep);
    vc_session_destroy(sg);
    vc_dev_close(d);
}

TEST(polling_mode_burst)
{
    struct vc_dev *d = open_dev(g_spec, 64);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    enum { B = 32, ROUNDS = 200 };
    static struct vc_op ops[B];
    static uint8_t src[B][64], dst[B][80], want[80];
    uint8_t *zsrc = vc_mem_alloc(d, B * 64), *zdst = vc_mem_alloc(d, B * 80);
    uint8_t iv[12] = {1};
    struct vc_op *v[B], *done[B];
    uint32_t bad = 0;
    for (int r = 0; r < ROUNDS; r++) {
        bool zc = r % 2;
        for (int i = 0; i < B; i++) {
            uint8_t *s = zc ? zsrc + 64 * i : src[i], *o = zc ? zdst + 80 * i : dst[i];
            memset(s, r + i, 64);
            ops[i] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT,
                                    .iv = iv, .iv_len = 12, .src = s, .src_len = 64, .dst = o,
                                    .dst_len = 80};
            v[i] = &ops[i];
        }
        EXPECT_EQ(vc_enqueue_burst(qp, v, B), B);
        EXPECT_EQ(drain(qp, done, B), B);
        for (int i = 0; i < B; i++) {
            gcm_ref(iv, NULL, 0, ops[i].src, 64, want);
            bad += ops[i].status != 0 || memcmp(ops[i].dst, want, 80) != 0;
        }
    }
    EXPECT_EQ(bad, 0);
    vc_mem_free(d, zsrc);
    vc_mem_free(d, zdst);
    vc_session_destroy(gs);
    vc_dev_close(d);
}

TEST(stateless_ops)
{
    struct vc_dev *d = open_dev(g_spec, 0);
    if (!d) {
        EXPECT(0);
        return;
    }
    uint8_t iv[12] = {4}, aad[8] = {1}, pt[200], ct[216], want[216];
    for (int i = 0; i < 200; i++)
        pt[i] = (uint8_t)(3 * i);
    /* AEAD */
    struct vc_session_params ap = {.service = VIRTIO_CRYPTO_SERVICE_AEAD};
    ap.u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
    ap.u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    ap.u.aead.key = K32;
    ap.u.aead.key_len = 32;
    ap.u.aead.tag_len = 16;
    struct vc_op op = {.stateless = &ap, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                       .iv_len = 12, .aad = aad, .aad_len = 8, .src = pt, .src_len = 200,
                       .dst = ct, .dst_len = 216};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    gcm_ref(iv, aad, 8, pt, 200, want);
    EXPECT_MEM(ct, want, 216);
    /* session-mode ops keep working next to stateless ones (flag) */
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    op.session = gs;
    memset(ct, 0, sizeof(ct));
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(ct, want, 216);
    vc_session_destroy(gs);
    /* CIPHER (AES-256-CBC) */
    struct vc_session_params cp = {.service = VIRTIO_CRYPTO_SERVICE_CIPHER};
    cp.u.cipher.algo = VIRTIO_CRYPTO_CIPHER_AES_CBC;
    cp.u.cipher.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    cp.u.cipher.key = K32;
    cp.u.cipher.key_len = 32;
    uint8_t c2[192], w2[192], mac[32], wmac[32];
    op = (struct vc_op){.stateless = &cp, .opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv = IV16,
                        .iv_len = 16, .src = pt, .src_len = 192, .dst = c2, .dst_len = 192};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    cbc_ref(pt, 192, w2);
    EXPECT_MEM(c2, w2, 192);
    /* Chaining: AES-CBC then HMAC-SHA256 */
    cp.u.cipher.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
    cp.u.cipher.chain_hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
    cp.u.cipher.chain_algo = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
    cp.u.cipher.auth_key = K32;
    cp.u.cipher.auth_key_len = 32;
    op = (struct vc_op){.stateless = &cp, .opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv = IV16,
                        .iv_len = 16, .src = pt, .src_len = 192, .dst = c2, .dst_len = 192,
                        .digest = mac, .digest_len = 32, .cipher_len = 192, .hash_len = 192};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    unsigned int ml = 32;
    HMAC(EVP_sha256(), K32, 32, w2, 192, wmac, &ml);
    EXPECT_MEM(c2, w2, 192);
    EXPECT_MEM(mac, wmac, 32);
    /* HASH and MAC */
    struct vc_session_params hp = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
    hp.u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
    op = (struct vc_op){.stateless = &hp, .opcode = VIRTIO_CRYPTO_HASH, .src = pt, .src_len = 200,
                        .digest = mac, .digest_len = 32};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EVP_Digest(pt, 200, wmac, NULL, EVP_sha256(), NULL);
    EXPECT_MEM(mac, wmac, 32);
    struct vc_session_params mp = {.service = VIRTIO_CRYPTO_SERVICE_MAC};
    mp.u.mac.algo = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
    mp.u.mac.key = K32;
    mp.u.mac.key_len = 32;
    op = (struct vc_op){.stateless = &mp, .opcode = VIRTIO_CRYPTO_MAC, .src = pt, .src_len = 200,
                        .digest = mac, .digest_len = 32};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    HMAC(EVP_sha256(), K32, 32, pt, 200, wmac, &ml);
    EXPECT_MEM(mac, wmac, 32);
    /* ECDSA sign, verified by OpenSSL */
    struct vc_session_params kp = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    kp.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
    kp.u.akcipher.key_type = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
    kp.u.akcipher.key = ec_priv.b;
    kp.u.akcipher.key_len = (uint32_t)ec_priv.n;
    kp.u.akcipher.curve = VIRTIO_CRYPTO_CURVE_NIST_P256;
    uint8_t sig[80];
    op = (struct vc_op){.stateless = &kp, .opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN, .src = wmac,
                        .src_len = 32, .dst = sig, .dst_len = sizeof(sig)};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(ec_key, NULL);
    EXPECT(EVP_PKEY_verify_init(c) == 1 && EVP_PKEY_verify(c, sig, op.dst_written, wmac, 32) == 1);
    EVP_PKEY_CTX_free(c);
    /* Parameters of another service than the opcode's: refused locally. */
    op = (struct vc_op){.stateless = &hp, .opcode = VIRTIO_CRYPTO_MAC, .src = pt, .src_len = 200,
                        .digest = mac, .digest_len = 32};
    EXPECT_STATUS(run1(d, &op), VC_OP_STATUS_INVALID);
    vc_dev_close(d);

    /* Not negotiated (opts.no_stateless): NOTSUPP_LOCAL, nothing sent. */
    struct vc_dev_opts o = {.no_stateless = true, .timeout_ms = 3000};
    EXPECT_EQ(vc_dev_open(g_spec, &o, &d), 0);
    if (!d)
        return;
    struct vc_dev_info info;
    vc_dev_info(d, &info);
    EXPECT_EQ(info.stateless, 0);
    op = (struct vc_op){.stateless = &hp, .opcode = VIRTIO_CRYPTO_HASH, .src = pt, .src_len = 200,
                        .digest = mac, .digest_len = 32};
    EXPECT_STATUS(run1(d, &op), VC_OP_STATUS_NOTSUPP_LOCAL);
    vc_dev_close(d);
}

struct qp_worker {
    struct vc_qp *qp;
    struct vc_session *s;
    int bad;
};

static void *qp_thread(void *arg)
{
    struct qp_worker *w = arg;
    uint8_t iv[12] = {6}, src[16][64], dst[16][80], want[80];
    struct vc_op ops[16], *v[16], *done[16];
    for (int r = 0; r < 100; r++) {
        for (int i = 0; i < 16; i++) {
            memset(src[i], r * 16 + i, 64);
            ops[i] = (struct vc_op){.session = w->s, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT,
                                    .iv = iv, .iv_len = 12, .src = src[i], .src_len = 64,
                                    .dst = dst[i], .dst_len = 80};
            v[i] = &ops[i];
        }
        if (vc_enqueue_burst(w->qp, v, 16) != 16 || drain(w->qp, done, 16) != 16) {
            w->bad++;
            break;
        }
        for (int i = 0; i < 16; i++) {
            gcm_ref(iv, NULL, 0, src[i], 64, want);
            w->bad += ops[i].status != 0 || memcmp(dst[i], want, 80) != 0;
        }
    }
    return NULL;
}

/* One qp per thread, a session shared by all of them. */
TEST(queue_pairs_on_threads)
{
    struct vc_dev_opts o = {.num_queues = 2, .timeout_ms = 3000};
    struct vc_dev *d = NULL;
    EXPECT_EQ(vc_dev_open(g_spec, &o, &d), 0);
    if (!d)
        return;
    struct vc_dev_info i;
    vc_dev_info(d, &i);
    EXPECT_EQ(i.num_queues, 2);
    struct vc_session *s = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    struct qp_worker w[2] = {{vc_dev_qp(d, 0), s, 0}, {vc_dev_qp(d, 1), s, 0}};
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, qp_thread, &w[k]);
    /* Meanwhile, sessions come and go on this thread. */
    for (int k = 0; k < 20; k++) {
        struct vc_session *x = mk_aead(d, VIRTIO_CRYPTO_OP_DECRYPT);
        EXPECT_EQ(vc_session_destroy(x), 0);
    }
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        EXPECT_EQ(w[k].bad, 0);
    }
    vc_session_destroy(s);
    vc_dev_close(d);
}

/* Bursts of 32 AEAD ops; returns the kicks they cost. */
static uint64_t kicks_for_bursts(struct vc_dev *d, int bursts)
{
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    uint8_t iv[12] = {0}, src[64] = {0}, dst[32][80];
    struct vc_op ops[32], *v[32], *done[32];
    uint64_t k0 = qp->kicks;
    int bad = 0;
    for (int b = 0; b < bursts; b++) {
        for (int i = 0; i < 32; i++) {
            ops[i] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                                    .iv_len = 12, .src = src, .src_len = 64, .dst = dst[i],
                                    .dst_len = 80};
            v[i] = &ops[i];
        }
        if (vc_enqueue_burst(qp, v, 32) != 32 || drain(qp, done, 32) != 32)
            bad++;
        for (int i = 0; i < 32; i++)
            bad += ops[i].status != VIRTIO_CRYPTO_OK;
    }
    EXPECT_EQ(bad, 0);
    vc_session_destroy(gs);
    return qp->kicks - k0;
}

/* At most one kick per burst; none while the device polls (it stops
 * advancing avail_event). */
TEST(kicks_per_burst)
{
    struct vc_dev *d = open_dev(g_spec, 64);
    if (!d) {
        EXPECT(0);
        return;
    }
    uint64_t k = kicks_for_bursts(d, 200);
    EXPECT(k <= 200);
    printf("# %s: %llu kicks for 200 bursts\n", g_spec, (unsigned long long)k);
    vc_dev_close(d);
    if (strcmp(g_spec, "inproc") != 0)
        return;
    /* The in-process device spinning 100 ms after each drain: only the very
     * first burst may need a kick. */
    struct vc_dev_opts o = {.queue_size = 64, .poll_us = 100000};
    EXPECT_EQ(vc_dev_open(g_spec, &o, &d), 0);
    if (!d)
        return;
    k = kicks_for_bursts(d, 200);
    EXPECT(k <= 1);
    vc_dev_close(d);
}

/* A device without REVISION_1 (or a driver that does not ack it): the
 * legacy layouts, 72-byte control and data fixed parts. */
TEST(legacy_format)
{
    vc__test_no_revision_1 = true;
    struct vc_dev *d = open_dev(g_spec, 0);
    vc__test_no_revision_1 = false;
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_dev_info i;
    vc_dev_info(d, &i);
    EXPECT(!i.revision_1);
    EXPECT_EQ(i.stateless, 0);
    struct vc_session *enc = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    uint8_t iv[12] = {8}, pt[100], ct[116], want[116];
    memset(pt, 0x3c, sizeof(pt));
    gcm_ref(iv, NULL, 0, pt, 100, want);
    struct vc_op op = {.session = enc, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                       .iv_len = 12, .src = pt, .src_len = 100, .dst = ct, .dst_len = 116};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(ct, want, 116);
    struct vc_session *ch =
        mk_cipher(d, VIRTIO_CRYPTO_OP_ENCRYPT, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
    uint8_t cpt[64], cct[64], mac[32], wct[64], wmac[32];
    memset(cpt, 0x11, sizeof(cpt));
    cbc_ref(cpt, 64, wct);
    unsigned int ml = 32;
    HMAC(EVP_sha256(), K32, 32, wct, 64, wmac, &ml);
    op = (struct vc_op){.session = ch, .opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT, .iv = IV16,
                        .iv_len = 16, .src = cpt, .src_len = 64, .dst = cct, .dst_len = 64,
                        .digest = mac, .digest_len = 32, .cipher_len = 64, .hash_len = 64};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    EXPECT_MEM(cct, wct, 64);
    EXPECT_MEM(mac, wmac, 32);
    struct vc_session *sg = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_ECDSA,
                                  VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
    struct vc_session *vf = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_ECDSA,
                                  VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC);
    uint8_t sig[80];
    op = (struct vc_op){.session = sg, .opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN, .src = wmac,
                        .src_len = 32, .dst = sig, .dst_len = sizeof(sig)};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    op = (struct vc_op){.session = vf, .opcode = VIRTIO_CRYPTO_AKCIPHER_VERIFY, .src = sig,
                        .src_len = op.dst_written, .dst = wmac, .dst_len = 32};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    /* stateless is a REVISION_1 feature */
    struct vc_session_params hp = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
    hp.u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
    op = (struct vc_op){.stateless = &hp, .opcode = VIRTIO_CRYPTO_HASH, .src = pt,
                        .src_len = 10, .digest = mac, .digest_len = 32};
    EXPECT_STATUS(run1(d, &op), VC_OP_STATUS_NOTSUPP_LOCAL);
    EXPECT_EQ(vc_session_destroy(enc), 0);
    EXPECT_EQ(vc_session_destroy(ch), 0);
    EXPECT_EQ(vc_session_destroy(sg), 0);
    EXPECT_EQ(vc_session_destroy(vf), 0);
    vc_dev_close(d);
}

static void run_suite(void)
{
    printf("# ---- suite through %s\n", g_spec);
    RUN(open_and_info);
    RUN(sessions_for_every_service);
    RUN(config_honoured_locally);
    RUN(cipher_bounce_and_zero_copy);
    RUN(chain_hash_mac);
    RUN(aead_and_tampered_tag);
    RUN(prepared_requests);
    RUN(rsa_and_ecdsa_sign_verify);
    RUN(stateless_ops);
    RUN(completion_order_and_mixed_sizes);
    RUN(backpressure);
    RUN(eventfd_mode_with_epoll);
    RUN(polling_mode_burst);
    RUN(queue_pairs_on_threads);
    RUN(kicks_per_burst);
    RUN(legacy_format);
}

/* ---- vcryptod child */

static pid_t start_vcryptod(const char *extra)
{
    pid_t p = fork();
    if (p == 0) {
        if (extra)
            execl(g_vcryptod, g_vcryptod, "--queues", "2", "--socket-path", g_sock[0],
                  "--socket-path", g_sock[1], extra, "100000", (char *)NULL);
        else
            execl(g_vcryptod, g_vcryptod, "--queues", "2", "--socket-path", g_sock[0],
                  "--socket-path", g_sock[1], (char *)NULL);
        _exit(127);
    }
    return p;
}

static void stop_vcryptod(int sig)
{
    if (g_pid > 0) {
        kill(g_pid, sig);
        waitpid(g_pid, NULL, 0);
        g_pid = 0;
    }
}

static int client_child(const char *sock)
{
    char spec[128];
    snprintf(spec, sizeof(spec), "vhost-user:%s", sock);
    struct vc_dev *d = open_dev(spec, 64);
    if (!d)
        return 2;
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    if (!gs)
        return 3;
    int bad = 0;
    uint8_t iv[12] = {2}, src[32][64], dst[32][80], want[80];
    struct vc_op ops[32], *v[32], *done[32];
    for (int r = 0; r < 100; r++) {
        for (int i = 0; i < 32; i++) {
            memset(src[i], (int)getpid() + r + i, 64);
            ops[i] = (struct vc_op){.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT,
                                    .iv = iv, .iv_len = 12, .src = src[i], .src_len = 64,
                                    .dst = dst[i], .dst_len = 80};
            v[i] = &ops[i];
        }
        if (vc_enqueue_burst(qp, v, 32) != 32 || drain(qp, done, 32) != 32)
            return 4;
        for (int i = 0; i < 32; i++) {
            gcm_ref(iv, NULL, 0, src[i], 64, want);
            bad += ops[i].status != 0 || memcmp(dst[i], want, 80) != 0;
        }
    }
    vc_session_destroy(gs);
    vc_dev_close(d);
    return bad ? 5 : 0;
}

TEST(two_processes_share_one_vcryptod)
{
    pid_t c[2];
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        c[i] = fork();
        if (c[i] == 0)
            _exit(client_child(g_sock[i]));
    }
    for (int i = 0; i < 2; i++) {
        int st = -1;
        waitpid(c[i], &st, 0);
        EXPECT(WIFEXITED(st));
        EXPECT_EQ(WEXITSTATUS(st), 0);
    }
    /* A second frontend on a busy device socket is refused, not merged. */
    char spec[128];
    snprintf(spec, sizeof(spec), "vhost-user:%s", g_sock[0]);
    struct vc_dev *a = open_dev(spec, 0), *b = NULL;
    EXPECT(a != NULL);
    struct vc_dev_opts o = {.timeout_ms = 500};
    EXPECT(vc_dev_open(spec, &o, &b) != 0);
    vc_dev_close(a);
}

TEST(vcryptod_killed_and_restarted_mid_burst)
{
    char spec[128];
    snprintf(spec, sizeof(spec), "vhost-user:%s", g_sock[0]);
    enum { N = 256 };
    struct vc_dev *d = open_dev(spec, N);
    if (!d) {
        EXPECT(0);
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    struct vc_session *sg = mk_ak(d, VIRTIO_CRYPTO_AKCIPHER_RSA,
                                  VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
    static struct vc_op ops[N];
    static uint8_t sig[N][256];
    uint8_t digest[32] = {7};
    static struct vc_op *v[N], *done[N + 8];
    for (int i = 0; i < N; i++) {
        ops[i] = (struct vc_op){.session = sg, .opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN,
                                .src = digest, .src_len = 32, .dst = sig[i], .dst_len = 256,
                                .status = 0xaa, .user = (void *)(uintptr_t)(i + 1)};
        v[i] = &ops[i];
    }
    EXPECT_EQ(vc_enqueue_burst(qp, v, N), N);
    /* Once the first completions are back, kill the daemon with the rest
     * (hundreds of RSA signs, tens of milliseconds) still in flight. */
    uint32_t got = 0;
    struct timespec ts = {0, 0};
    uint64_t spins = 0;
    while (got == 0 && spins++ < 100000000ull)
        got += vc_dequeue_burst(qp, done, 4);
    EXPECT(got > 0);
    stop_vcryptod(SIGKILL);
    /* The monitor notices the socket closing. */
    for (int i = 0; i < 200 && vc_dev_state(d) == 0; i++) {
        ts.tv_nsec = 5 * 1000 * 1000;
        nanosleep(&ts, NULL);
    }
    EXPECT_EQ(vc_dev_state(d), VC_EIO);
    EXPECT_EQ(vc_enqueue_burst(qp, v, 1), 0);
    got += drain(qp, done + got, N - got);
    EXPECT_EQ(got, N);
    EXPECT_EQ(vc_dequeue_burst(qp, done + got, 8), 0); /* nothing twice */
    int seen[N] = {0}, ok = 0, lost = 0, other = 0;
    for (uint32_t k = 0; k < got; k++) {
        int i = (int)(uintptr_t)done[k]->user - 1;
        if (i >= 0 && i < N)
            seen[i]++;
    }
    for (int i = 0; i < N; i++) {
        EXPECT_EQ(seen[i], 1);
        ok += ops[i].status == VIRTIO_CRYPTO_OK;
        lost += ops[i].status == VC_OP_STATUS_DEVICE_LOST;
        other += ops[i].status != VIRTIO_CRYPTO_OK &&
                 ops[i].status != VC_OP_STATUS_DEVICE_LOST;
    }
    printf("# killed mid-burst: %d ok, %d device-lost\n", ok, lost);
    EXPECT(ok > 0);
    EXPECT(lost > 0);
    EXPECT_EQ(other, 0);
    EXPECT_EQ(ok + lost, N);
    /* Sessions died with the device; control requests fail cleanly. */
    EXPECT_EQ(vc_session_destroy(sg), VC_EIO);
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
    p.u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
    struct vc_session *s = NULL;
    EXPECT_EQ(vc_session_create(d, &p, &s), VC_EIO);
    vc_dev_close(d);

    /* Restart the daemon (polling this time) and reopen. */
    g_pid = start_vcryptod("--poll-us");
    d = open_dev(spec, 64);
    EXPECT(d != NULL);
    if (!d)
        return;
    struct vc_session *gs = mk_aead(d, VIRTIO_CRYPTO_OP_ENCRYPT);
    uint8_t iv[12] = {0}, src[64] = {0}, dst[80], want[80];
    struct vc_op op = {.session = gs, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT, .iv = iv,
                       .iv_len = 12, .src = src, .src_len = 64, .dst = dst, .dst_len = 80};
    EXPECT_STATUS(run1(d, &op), VIRTIO_CRYPTO_OK);
    gcm_ref(iv, NULL, 0, src, 64, want);
    EXPECT_MEM(dst, want, 80);
    vc_session_destroy(gs);
    /* The restarted daemon busy-polls (--poll-us 100000): no kicks. */
    uint64_t k = kicks_for_bursts(d, 200);
    printf("# polling vcryptod: %llu kicks for 200 bursts\n", (unsigned long long)k);
    EXPECT(k <= 1);
    vc_dev_close(d);
}

TEST(not_a_backend)
{
    struct vc_dev *d = NULL;
    struct vc_dev_opts o = {.timeout_ms = 100};
    char spec[128];
    snprintf(spec, sizeof(spec), "vhost-user:%s/nobody.sock", g_dir);
    EXPECT_EQ(vc_dev_open(spec, &o, &d), VC_EIO);
    EXPECT(d == NULL);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!rsa_key || !ec_key || !encode(rsa_key, EVP_PKEY_KEYPAIR, &rsa_priv) ||
        !encode(rsa_key, EVP_PKEY_PUBLIC_KEY, &rsa_pub) ||
        !encode(ec_key, EVP_PKEY_KEYPAIR, &ec_priv) ||
        EVP_PKEY_get_octet_string_param(ec_key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, ec_pub.b,
                                        sizeof(ec_pub.b), &ec_pub.n) != 1) {
        printf("Bail out! key generation failed\n");
        return 1;
    }
    g_spec = "inproc";
    run_suite();
    if (argc >= 2) {
        g_vcryptod = argv[1];
        snprintf(g_dir, sizeof(g_dir), "/tmp/vcdrv-test-XXXXXX");
        if (!mkdtemp(g_dir))
            return 1;
        snprintf(g_sock[0], sizeof(g_sock[0]), "%s/a.sock", g_dir);
        snprintf(g_sock[1], sizeof(g_sock[1]), "%s/b.sock", g_dir);
        g_pid = start_vcryptod(NULL);
        static char spec[128];
        snprintf(spec, sizeof(spec), "vhost-user:%s", g_sock[0]);
        g_spec = spec;
        run_suite();
        RUN(two_processes_share_one_vcryptod);
        RUN(vcryptod_killed_and_restarted_mid_burst);
        RUN(not_a_backend);
        stop_vcryptod(SIGTERM);
        unlink(g_sock[0]);
        unlink(g_sock[1]);
        rmdir(g_dir);
    } else {
        printf("# no vcryptod path given: vhost-user part not run\n");
    }
    return TEST_DONE();
}
