/* The AES-GCM fast path (src/engine/openssl/gcm_ni.c, aes_ni.c): the AES-NI
 * core against FIPS 197 and against OpenSSL's AES-ECB, the counter's 32-bit
 * wrap, and whole GCM operations against the EVP route (VC_ENGINE_GCM=evp)
 * over random sizes, IV lengths, tag lengths and scatter-gather splits,
 * including forged tags. The CAVP and Wycheproof suites run both routes
 * too (tests/kat/meson.build). */
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "engine/openssl/gcm_ni.h"
#include "sym_util.h"

static struct vc_engine *E;

/* FIPS 197 Appendix C.1 and C.3. */
TEST(aes_block_fips197)
{
    if (!vc__aes_ni_cpu())
        return;
    uint8_t key[32], pt[16], ct[16];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 16; i++)
        pt[i] = (uint8_t)(i * 0x11);
    static const uint8_t c128[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                     0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    static const uint8_t c256[16] = {0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf,
                                     0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89};
    struct vc__aes_ni_key k;
    EXPECT(vc__aes_ni_set_key(&k, key, 16));
    vc__aes_ni_block(pt, ct, &k);
    EXPECT_MEM(ct, c128, 16);
    EXPECT(vc__aes_ni_set_key(&k, key, 32));
    vc__aes_ni_block(pt, ct, &k);
    EXPECT_MEM(ct, c256, 16);
    EXPECT(!vc__aes_ni_set_key(&k, key, 24)); /* AES-192 stays on EVP */
}

/* CTR32 for 0..40 blocks from a counter just below 2^32: the counter
 * wraps within its 32 bits and never carries into byte 11 (SP 800-38D
 * inc32), checked block by block against AES-ECB of the counter blocks. */
TEST(ctr32_matches_ecb_across_wrap)
{
    if (!vc__aes_ni_cpu())
        return;
    for (uint32_t klen = 16; klen <= 32; klen += 16) {
        uint8_t key[32], iv[16], in[640], out[640], want[640], cb[16], ks[16];
        RAND_bytes(key, sizeof key);
        RAND_bytes(in, sizeof in);
        RAND_bytes(iv, 12);
        struct vc__aes_ni_key k;
        EXPECT(vc__aes_ni_set_key(&k, key, klen));
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(c, klen == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb(), NULL, key,
                           NULL);
        EVP_CIPHER_CTX_set_padding(c, 0);
        for (size_t blocks = 0; blocks <= 40; blocks++) {
            uint32_t start = 0xffffffffu - (uint32_t)(blocks / 3);
            iv[12] = (uint8_t)(start >> 24), iv[13] = (uint8_t)(start >> 16);
            iv[14] = (uint8_t)(start >> 8), iv[15] = (uint8_t)start;
            for (size_t b = 0; b < blocks; b++) {
                uint32_t ctr = start + (uint32_t)b;
                memcpy(cb, iv, 12);
                cb[12] = (uint8_t)(ctr >> 24), cb[13] = (uint8_t)(ctr >> 16);
                cb[14] = (uint8_t)(ctr >> 8), cb[15] = (uint8_t)ctr;
                int l;
                EVP_EncryptUpdate(c, ks, &l, cb, 16);
                for (int j = 0; j < 16; j++)
                    want[16 * b + j] = in[16 * b + j] ^ ks[j];
            }
            memset(out, 0xee, sizeof out);
            vc__aes_ni_ctr32(in, out, blocks, &k, iv);
            EXPECT_MEM(out, want, 16 * blocks);
            EXPECT(t_all(out + 16 * blocks, sizeof out - 16 * blocks, 0xee));
        }
        EVP_CIPHER_CTX_free(c);
    }
}

TEST(selection)
{
    bool cpu = vc__aes_ni_cpu();
    printf("# CPU %s AES-NI+PCLMUL+SSE4.1: fast path %s; CTR with VAES: %s\n",
           cpu ? "has" : "lacks", cpu ? "in use for AES-128/256-GCM" : "off",
           vc__aes_ni_vaes() ? "yes" : "no");
    EXPECT_EQ(vc__gcm_ni_usable(16), cpu);
    EXPECT_EQ(vc__gcm_ni_usable(32), cpu);
    EXPECT(!vc__gcm_ni_usable(24));
    setenv("VC_ENGINE_GCM", "evp", 1);
    EXPECT(!vc__gcm_ni_usable(32));
    unsetenv("VC_ENGINE_GCM");
}

static uint32_t rnd(uint32_t n)
{
    uint32_t r;
    RAND_bytes((uint8_t *)&r, sizeof r);
    return n ? r % n : 0;
}

/* One random case through both routes. */
static void one_case(int seed)
{
    static const uint32_t ivlens[] = {12, 12, 12, 1, 8, 16, 60};
    static const uint32_t tags[] = {16, 16, 4, 8, 12, 13, 14, 15};
    static const size_t pat_a[] = {7, 16, 1, 33}, pat_b[] = {64, 5, 17}, pat_c[] = {3};
    const size_t *pats[] = {t_pat_one, pat_a, pat_b, pat_c, t_pat_odd};
    const size_t npat[] = {1, 4, 3, 1, VC_ARRAY_SIZE(t_pat_odd)};
    uint32_t klen = rnd(2) ? 32 : 16, ivlen = ivlens[rnd(VC_ARRAY_SIZE(ivlens))];
    uint32_t tlen = tags[rnd(VC_ARRAY_SIZE(tags))], alen = rnd(4) ? rnd(70) : 0;
    uint32_t len = seed % 7 == 0 ? rnd(20000) : rnd(700);
    static uint8_t key[32], iv[64], aad[80], pt[20000], ct[2][20016], back[20000];
    RAND_bytes(key, klen);
    RAND_bytes(iv, ivlen);
    RAND_bytes(aad, alen ? alen : 1);
    RAND_bytes(pt, len ? len : 1);
    int pi = (int)rnd(5), pd = (int)rnd(5);
    struct t_sg siv, saad, ssrc, sdst;

    for (int route = 0; route < 2; route++) {
        if (route == 1)
            setenv("VC_ENGINE_GCM", "evp", 1);
        struct vc_sess_params p = t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 1, key, klen, tlen);
        struct vc_engine_sess *s = NULL;
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        unsetenv("VC_ENGINE_GCM");
        if (s == NULL)
            return;
        t_sg_split(&siv, iv, ivlen, pats[pi], npat[pi]);
        t_sg_split(&saad, aad, alen, pats[pd], npat[pd]);
        t_sg_split(&ssrc, pt, len, pats[pi], npat[pi]);
        t_sg_split(&sdst, ct[route], len + tlen, pats[pd], npat[pd]);
        struct vc_engine_op op = t_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, &siv, &saad, &ssrc, &sdst, NULL);
        EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
        vc_engine_sess_destroy(E, s);
    }
    EXPECT_MEM(ct[0], ct[1], len + tlen);
    if (memcmp(ct[0], ct[1], len + tlen) != 0)
        printf("#   key %u iv %u aad %u len %u tag %u split %d/%d\n", klen, ivlen, alen, len,
               tlen, pi, pd);

    /* Decrypt on the fast route, once genuine and once forged. */
    for (int forge = 0; forge < 2; forge++) {
        struct vc_sess_params p = t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 2, key, klen, tlen);
        struct vc_engine_sess *s = NULL;
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        if (s == NULL)
            return;
        if (forge)
            ct[0][len + rnd(tlen)] ^= (uint8_t)(1u << rnd(8));
        memset(back, 0x5a, len);
        t_sg_split(&siv, iv, ivlen, pats[pd], npat[pd]);
        t_sg_split(&saad, aad, alen, pats[pi], npat[pi]);
        t_sg_split(&ssrc, ct[0], len + tlen, pats[pd], npat[pd]);
        t_sg_split(&sdst, back, len, pats[pi], npat[pi]);
        struct vc_engine_op op = t_op(VIRTIO_CRYPTO_AEAD_DECRYPT, &siv, &saad, &ssrc, &sdst, NULL);
        EXPECT_STATUS(vc_engine_op(E, s, 1, &op),
                      forge ? VIRTIO_CRYPTO_BADMSG : VIRTIO_CRYPTO_OK);
        if (forge)
            EXPECT(t_all(back, len, 0)); /* no plaintext leaves a forged message */
        else
            EXPECT_MEM(back, pt, len);
        vc_engine_sess_destroy(E, s);
    }
}

TEST(fast_route_equals_evp_route)
{
    if (!vc__aes_ni_cpu())
        return;
    for (int i = 0; i < 400; i++)
        one_case(i);
}

int main(void)
{
    unsetenv("VC_ENGINE_GCM"); /* the test sets it itself */
    E = t_engine(2, 0);
    if (E == NULL)
        SKIP_ALL("engine create failed");
    RUN(aes_block_fips197);
    RUN(ctr32_matches_ecb_across_wrap);
    RUN(selection);
    RUN(fast_route_equals_evp_route);
    vc_engine_destroy(E);
    return TEST_DONE();
}
