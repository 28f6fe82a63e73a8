/* OpenSSL engine, symmetric services: concurrency, allocation and key
 * hygiene.
 *
 * This binary installs counting allocator hooks (CRYPTO_set_mem_functions)
 * before anything else touches OpenSSL. The engine allocates through
 * OPENSSL_malloc too, so the hooks see every allocation on the op path and
 * every block released at session destroy: freed blocks are scanned for
 * the session key, which must have been wiped. */
#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sym_util.h"

/* ---- Allocator hooks: a size header in front of every block. */
#define HDR 16

static _Atomic long n_alloc;
static _Atomic long key_hits;
static uint8_t needle[16];
static _Atomic int scanning;

static void scan(const uint8_t *p, size_t n)
{
    if (!scanning || n < sizeof needle)
        return;
    for (size_t i = 0; i + sizeof needle <= n; i++)
        if (p[i] == needle[0] && memcmp(p + i, needle, sizeof needle) == 0)
            key_hits++;
}

static void *h_malloc(size_t n, const char *f, int l)
{
    n_alloc++;
    uint8_t *p = malloc(n + HDR);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + HDR;
}

static void h_free(void *v, const char *f, int l)
{
    if (v == NULL)
        return;
    uint8_t *p = (uint8_t *)v - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    scan(v, n);
    free(p);
}

static void *h_realloc(void *v, size_t n, const char *f, int l)
{
    if (v == NULL)
        return h_malloc(n, f, l);
    n_alloc++;
    uint8_t *q = h_malloc(n, f, l);
    n_alloc--;
    if (q == NULL)
        return NULL;
    size_t old;
    memcpy(&old, (uint8_t *)v - HDR, sizeof old);
    memcpy(q, v, VC_MIN(old, n));
    h_free(v, f, l);
    return q;
}

static struct vc_engine *E;

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* ---- Allocation per op */

struct alloc_case {
    const char *name;
    struct vc_sess_params p;
    uint32_t opcode;
    size_t ivlen, aadlen, dlen_extra, diglen;
    uint64_t cs, cl, hs, hl;
};

static long allocs_for(struct vc_engine_sess *s, const struct alloc_case *c, size_t len, int split)
{
    static uint8_t iv[16], aad[32], src[5000], dst[5100], dig[64];
    static struct t_sg a, x, b, d, g;
    t_sg_flat(&a, iv, c->ivlen);
    if (split) {
        t_sg_split(&x, aad, c->aadlen, t_pat_odd, VC_ARRAY_SIZE(t_pat_odd));
        t_sg_split(&b, src, len, t_pat_odd, VC_ARRAY_SIZE(t_pat_odd));
        t_sg_split(&d, dst, c->opcode == VIRTIO_CRYPTO_HASH || c->opcode == VIRTIO_CRYPTO_MAC
                                ? 0
                                : len + c->dlen_extra,
                   t_pat_odd, VC_ARRAY_SIZE(t_pat_odd));
    } else {
        t_sg_flat(&x, aad, c->aadlen);
        t_sg_flat(&b, src, len);
        t_sg_flat(&d, dst,
                  c->opcode == VIRTIO_CRYPTO_HASH || c->opcode == VIRTIO_CRYPTO_MAC
                      ? 0
                      : len + c->dlen_extra);
    }
    t_sg_flat(&g, dig, c->diglen);
    struct vc_engine_op op = t_op(c->opcode, &a, &x, &b, &d, &g);
    op.cipher_start = c->cs;
    op.cipher_len = c->cl ? c->cl : len - c->cs;
    op.hash_start = c->hs;
    op.hash_len = c->hl ? c->hl : len - c->hs;
    long before = n_alloc;
    uint8_t st = vc_engine_op(E, s, 0, &op);
    long after = n_alloc;
    EXPECT_STATUS(st, VIRTIO_CRYPTO_OK);
    return after - before;
}

TEST(no_allocation_per_op)
{
    static uint8_t k[64];
    fill(k, sizeof k, 5);
    const struct alloc_case cases[] = {
        {"aes-cbc", t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, k, 16),
         VIRTIO_CRYPTO_CIPHER_ENCRYPT, 16, 0, 0, 0, 0, 0, 0, 0},
        {"aes-ctr", t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CTR, 2, k, 32),
         VIRTIO_CRYPTO_CIPHER_DECRYPT, 16, 0, 0, 0, 0, 0, 0, 0},
        {"aes-xts", t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 1, k, 64),
         VIRTIO_CRYPTO_CIPHER_ENCRYPT, 16, 0, 0, 0, 0, 0, 0, 0},
        {"3des-ctr", t_cipher_params(VIRTIO_CRYPTO_CIPHER_3DES_CTR, 1, k, 24),
         VIRTIO_CRYPTO_CIPHER_ENCRYPT, 8, 0, 0, 0, 0, 0, 0, 0},
        {"cmac", t_mac_params(VIRTIO_CRYPTO_MAC_CMAC_AES, 0, k, 16), VIRTIO_CRYPTO_MAC, 0, 0, 0,
         16, 0, 0, 0, 0},
        {"gmac", t_mac_params(VIRTIO_CRYPTO_MAC_GMAC_AES, 0, k, 16), VIRTIO_CRYPTO_MAC, 12, 0, 0,
         16, 0, 0, 0, 0},
        {"xcbc", t_mac_params(VIRTIO_CRYPTO_MAC_XCBC_AES, 12, k, 16), VIRTIO_CRYPTO_MAC, 0, 0, 0,
         12, 0, 0, 0, 0},
        {"cbcmac", t_mac_params(VIRTIO_CRYPTO_MAC_CBCMAC_AES, 0, k, 32), VIRTIO_CRYPTO_MAC, 0, 0,
         0, 16, 0, 0, 0, 0},
        {"gcm", t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 1, k, 16, 16), VIRTIO_CRYPTO_AEAD_ENCRYPT,
         12, 20, 16, 0, 0, 0, 0, 0},
        {"ccm", t_aead_params(VIRTIO_CRYPTO_AEAD_CCM, 1, k, 16, 8), VIRTIO_CRYPTO_AEAD_ENCRYPT,
         11, 20, 8, 0, 0, 0, 0, 0},
        {"chacha", t_aead_params(VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 1, k, 32, 16),
         VIRTIO_CRYPTO_AEAD_ENCRYPT, 12, 20, 16, 0, 0, 0, 0, 0},
        {"chain cbc+cmac",
         t_chain_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, k, 16, 2, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
                        VIRTIO_CRYPTO_MAC_CMAC_AES, 0, k, 16),
         VIRTIO_CRYPTO_CIPHER_ENCRYPT, 16, 20, 0, 16, 16, 0, 3, 0},
    };
    for (size_t i = 0; i < VC_ARRAY_SIZE(cases); i++) {
        struct vc_engine_sess *s = NULL;
        EXPECT_STATUS(vc_engine_sess_create(E, &cases[i].p, &s), VIRTIO_CRYPTO_OK);
        if (s == NULL)
            continue;
        allocs_for(s, &cases[i], 64, 0); /* warm-up: lazy OpenSSL state */
        long n = 0;
        for (int split = 0; split <= 1; split++) {
            n += allocs_for(s, &cases[i], 64, split);
            n += allocs_for(s, &cases[i], 4096, split);
        }
        if (n != 0)
            printf("#   %s: %ld allocations in 4 ops\n", cases[i].name, n);
        EXPECT_EQ(n, 0);
        vc_engine_sess_destroy(E, s);
    }
}

/* OpenSSL 3.0's EVP_DigestInit frees and re-creates the provider digest
 * context on every call, so hash and HMAC ops allocate inside OpenSSL. The
 * count must stay small and must not depend on the data size. */
TEST(digest_allocation_is_bounded)
{
    static uint8_t k[32];
    const struct alloc_case cases[] = {
        {"sha256", t_hash_params(VIRTIO_CRYPTO_HASH_SHA_256, 0), VIRTIO_CRYPTO_HASH, 0, 0, 0, 32,
         0, 0, 0, 0},
        {"hmac", t_mac_params(VIRTIO_CRYPTO_MAC_HMAC_SHA_512, 0, k, 32), VIRTIO_CRYPTO_MAC, 0, 0,
         0, 64, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < VC_ARRAY_SIZE(cases); i++) {
        struct vc_engine_sess *s = NULL;
        EXPECT_STATUS(vc_engine_sess_create(E, &cases[i].p, &s), VIRTIO_CRYPTO_OK);
        allocs_for(s, &cases[i], 64, 0);
        long small = allocs_for(s, &cases[i], 16, 0);
        long large = allocs_for(s, &cases[i], 4096, 1);
        printf("#   %s: %ld allocations per op\n", cases[i].name, small);
        EXPECT_EQ(small, large);
        EXPECT(small <= 2);
        vc_engine_sess_destroy(E, s);
    }
}

/* ---- Key wiping: after destroy, no freed block holds the key. */
TEST(destroy_wipes_keys)
{
    static uint8_t k[64];
    for (size_t i = 0; i < sizeof k; i++)
        k[i] = (uint8_t)(0xa0 ^ (i * 13));
    /* A pattern, not the whole key: XTS and CCM are the two halves. */
    const struct {
        struct vc_sess_params p;
        size_t off;
    } cases[] = {
        {t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, k, 16), 0},
        {t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 2, k, 64), 32},
        {t_cipher_params(VIRTIO_CRYPTO_CIPHER_3DES_CTR, 1, k, 24), 0},
        {t_mac_params(VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 0, k, 40), 0},
        {t_mac_params(VIRTIO_CRYPTO_MAC_CMAC_AES, 0, k, 32), 16},
        {t_mac_params(VIRTIO_CRYPTO_MAC_XCBC_AES, 0, k, 16), 0},
        {t_mac_params(VIRTIO_CRYPTO_MAC_GMAC_AES, 0, k, 16), 0},
        {t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 1, k, 32, 16), 0},
        {t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 2, k, 16, 16), 0},
        {t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 1, k, 24, 16), 0},
        {t_aead_params(VIRTIO_CRYPTO_AEAD_CCM, 2, k, 16, 16), 0},
        {t_aead_params(VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 1, k, 32, 16), 16},
    };
    for (size_t i = 0; i < VC_ARRAY_SIZE(cases); i++) {
        struct vc_engine_sess *s = NULL;
        memcpy(needle, k + cases[i].off, sizeof needle);
        EXPECT_STATUS(vc_engine_sess_create(E, &cases[i].p, &s), VIRTIO_CRYPTO_OK);
        key_hits = 0;
        scanning = 1;
        vc_engine_sess_destroy(E, s);
        scanning = 0;
        if (key_hits != 0)
            printf("#   case %zu: key bytes found in %ld freed blocks\n", i, (long)key_hits);
        EXPECT_EQ(key_hits, 0);
    }
}

/* XCBC keeps derived subkeys K2, K3 (RFC 3566 §4): those must go too. */
TEST(destroy_wipes_xcbc_subkeys)
{
    uint8_t k[16], c[16], sub[2][16];
    int outl;
    fill(k, sizeof k, 31);
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    EXPECT(EVP_EncryptInit_ex(cc, EVP_aes_128_ecb(), NULL, k, NULL) == 1);
    for (int i = 0; i < 2; i++) {
        memset(c, i + 2, sizeof c);
        EXPECT(EVP_EncryptUpdate(cc, sub[i], &outl, c, 16) == 1);
    }
    EVP_CIPHER_CTX_free(cc);
    for (int i = 0; i < 2; i++) {
        struct vc_sess_params p = t_mac_params(VIRTIO_CRYPTO_MAC_XCBC_AES, 0, k, 16);
        struct vc_engine_sess *s = NULL;
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        memcpy(needle, sub[i], sizeof needle);
        key_hits = 0;
        scanning = 1;
        vc_engine_sess_destroy(E, s);
        scanning = 0;
        EXPECT_EQ(key_hits, 0);
    }
}

/* The scanner itself works: an un-wiped key copy is found. */
TEST(wipe_scanner_detects_unwiped_copy)
{
    memset(needle, 0x77, sizeof needle);
    uint8_t *p = OPENSSL_malloc(64);
    memset(p, 0x77, 64);
    key_hits = 0;
    scanning = 1;
    OPENSSL_free(p);
    scanning = 0;
    EXPECT(key_hits > 0);
}

/* ---- Two threads hammering the same sessions with distinct workers. */

#define NOPS 3000

struct thr {
    unsigned worker;
    struct vc_engine_sess *gcm_enc, *gcm_dec, *cbc, *ccm, *hmac;
    int bad;
};

static uint8_t want_gcm[2][NOPS % 7 + 300], want_ccm[2][300], want_cbc[2][256],
    want_hmac[2][32];

static void one_round(struct thr *t, uint8_t *out_gcm, uint8_t *out_ccm, uint8_t *out_cbc,
                      uint8_t *out_hmac)
{
    uint8_t iv[16], aad[24], pt[256], back[256];
    struct t_sg a, x, b, d;
    fill(iv, sizeof iv, 100 + t->worker);
    fill(aad, sizeof aad, 200 + t->worker);
    fill(pt, sizeof pt, 300 + t->worker);

    t_sg_flat(&a, iv, 12);
    t_sg_split(&x, aad, sizeof aad, t_pat_odd, 8);
    t_sg_split(&b, pt, 250, t_pat_odd, 8);
    t_sg_split(&d, out_gcm, 266, t_pat_odd, 8);
    struct vc_engine_op op = t_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, &a, &x, &b, &d, NULL);
    t->bad |= vc_engine_op(E, t->gcm_enc, t->worker, &op) != VIRTIO_CRYPTO_OK;
    t_sg_split(&b, out_gcm, 266, t_pat_odd, 8);
    t_sg_flat(&d, back, 250);
    op = t_op(VIRTIO_CRYPTO_AEAD_DECRYPT, &a, &x, &b, &d, NULL);
    t->bad |= vc_engine_op(E, t->gcm_dec, t->worker, &op) != VIRTIO_CRYPTO_OK;
    t->bad |= memcmp(back, pt, 250) != 0;

    t_sg_flat(&a, iv, 13);
    t_sg_split(&b, pt, 200, t_pat_odd, 8);
    t_sg_split(&d, out_ccm, 216, t_pat_odd, 8);
    op = t_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, &a, &x, &b, &d, NULL);
    t->bad |= vc_engine_op(E, t->ccm, t->worker, &op) != VIRTIO_CRYPTO_OK;

    t_sg_flat(&a, iv, 16);
    t_sg_split(&b, pt, 256, t_pat_odd, 8);
    t_sg_split(&d, out_cbc, 256, t_pat_odd, 8);
    op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
    t->bad |= vc_engine_op(E, t->cbc, t->worker, &op) != VIRTIO_CRYPTO_OK;

    t_sg_split(&b, pt, 201, t_pat_odd, 8);
    t_sg_flat(&d, out_hmac, 32);
    op = t_op(VIRTIO_CRYPTO_MAC, NULL, NULL, &b, NULL, &d);
    t->bad |= vc_engine_op(E, t->hmac, t->worker, &op) != VIRTIO_CRYPTO_OK;
}

static void *hammer(void *arg)
{
    struct thr *t = arg;
    uint8_t g[300], c[300], b[256], h[32];
    for (int i = 0; i < NOPS; i++) {
        one_round(t, g, c, b, h);
        t->bad |= memcmp(g, want_gcm[t->worker], 266) != 0;
        t->bad |= memcmp(c, want_ccm[t->worker], 216) != 0;
        t->bad |= memcmp(b, want_cbc[t->worker], 256) != 0;
        t->bad |= memcmp(h, want_hmac[t->worker], 32) != 0;
    }
    return NULL;
}

TEST(two_threads_share_sessions)
{
    static uint8_t k[32];
    fill(k, sizeof k, 77);
    struct thr t[2];
    memset(t, 0, sizeof t);
    struct vc_sess_params p[5] = {
        t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 1, k, 32, 16),
        t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 2, k, 32, 16),
        t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, k, 16),
        t_aead_params(VIRTIO_CRYPTO_AEAD_CCM, 1, k, 16, 16),
        t_mac_params(VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 0, k, 32),
    };
    struct vc_engine_sess *s[5];
    for (int i = 0; i < 5; i++)
        EXPECT_STATUS(vc_engine_sess_create(E, &p[i], &s[i]), VIRTIO_CRYPTO_OK);
    for (unsigned w = 0; w < 2; w++) {
        t[w] = (struct thr){w, s[0], s[1], s[2], s[3], s[4], 0};
        /* expected results, computed single-threaded */
        one_round(&t[w], want_gcm[w], want_ccm[w], want_cbc[w], want_hmac[w]);
    }
    EXPECT(memcmp(want_gcm[0], want_gcm[1], 266) != 0); /* threads use different data */
    pthread_t th[2];
    for (int w = 0; w < 2; w++)
        EXPECT_EQ(pthread_create(&th[w], NULL, hammer, &t[w]), 0);
    for (int w = 0; w < 2; w++)
        pthread_join(th[w], NULL);
    EXPECT_EQ(t[0].bad, 0);
    EXPECT_EQ(t[1].bad, 0);
    for (int i = 0; i < 5; i++)
        vc_engine_sess_destroy(E, s[i]);
}

int main(void)
{
    /* Must precede any OpenSSL allocation. */
    if (CRYPTO_set_mem_functions(h_malloc, h_realloc, h_free) != 1)
        SKIP_ALL("cannot install OpenSSL allocator hooks");
    E = t_engine(2, 0);
    if (E == NULL)
        SKIP_ALL("engine create failed");
    RUN(no_allocation_per_op);
    RUN(digest_allocation_is_bounded);
    RUN(destroy_wipes_keys);
    RUN(destroy_wipes_xcbc_subkeys);
    RUN(wipe_scanner_detects_unwiped_copy);
    RUN(two_threads_share_sessions);
    vc_engine_destroy(E);
    return TEST_DONE();
}
