/* The OpenSSL engine's algorithm table: one row per supported (service,
 * algorithm). The rows are the capability list the device advertises (they
 * fill the virtio config masks through vc_engine_caps_derive) and also the
 * parameter rules session create enforces, so the two cannot disagree.
 *
 * Anything absent answers NOTSUPP: ARC4, DES-ECB/CBC (single DES lives in
 * OpenSSL 3's legacy provider, which we do not load), KASUMI-F8,
 * SNOW3G-UEA2, AES-F8, ZUC-EEA3, KASUMI-F9, SNOW3G-UIA2, GMAC-Twofish,
 * CBC-MAC-KASUMI-F9, ZUC-EIA3 (no OpenSSL implementation).
 */
#include "engine/openssl/sym.h"

#define BIT(n) (UINT64_C(1) << (n))

#define CIPHER(a, kmin, kmax, kstep, iv, blk)                                                      \
    {.service = VIRTIO_CRYPTO_SERVICE_CIPHER, .algo = VIRTIO_CRYPTO_CIPHER_##a, .key_min = kmin,   \
     .key_max = kmax, .key_step = kstep, .iv_min = iv, .iv_max = iv, .block = blk}
#define HASH(a, max)                                                                               \
    {.service = VIRTIO_CRYPTO_SERVICE_HASH, .algo = VIRTIO_CRYPTO_HASH_##a, .out_min = 1,          \
     .out_max = max}
#define MAC(a, kmin, kmax, kstep, ivmin, ivmax, full, blk)                                         \
    {.service = VIRTIO_CRYPTO_SERVICE_MAC, .algo = VIRTIO_CRYPTO_MAC_##a, .key_min = kmin,         \
     .key_max = kmax, .key_step = kstep, .iv_min = ivmin, .iv_max = ivmax, .out_min = 1,           \
     .out_max = full, .block = blk}
#define AEAD(a, kmin, kmax, kstep, ivmin, ivmax, tmin, mask)                                       \
    {.service = VIRTIO_CRYPTO_SERVICE_AEAD, .algo = VIRTIO_CRYPTO_AEAD_##a, .key_min = kmin,       \
     .key_max = kmax, .key_step = kstep, .iv_min = ivmin, .iv_max = ivmax, .out_min = tmin,        \
     .out_max = 16, .out_mask = mask}

#define AES_NAMES(mode) {"AES-128-" mode, "AES-192-" mode, "AES-256-" mode}

const struct vc__ossl_alg vc__ossl_algs[] = {
    /* Ciphers. No padding anywhere: ECB/CBC data must be whole blocks. */
    {CIPHER(AES_ECB, 16, 32, 8, 0, 16), VC_K_CIPHER, 0, AES_NAMES("ECB")},
    {CIPHER(AES_CBC, 16, 32, 8, 16, 16), VC_K_CIPHER, 0, AES_NAMES("CBC")},
    {CIPHER(AES_CTR, 16, 32, 8, 16, 0), VC_K_CIPHER, 0, AES_NAMES("CTR")},
    /* XTS keys are two AES keys: 32 bytes = AES-128-XTS, 64 = AES-256-XTS. */
    {CIPHER(AES_XTS, 32, 64, 32, 16, 0), VC_K_XTS, 0, {"AES-128-XTS", "AES-256-XTS", NULL}},
    {CIPHER(3DES_ECB, 24, 24, 0, 0, 8), VC_K_CIPHER, 0, {"DES-EDE3-ECB", NULL, NULL}},
    {CIPHER(3DES_CBC, 24, 24, 0, 8, 8), VC_K_CIPHER, 0, {"DES-EDE3-CBC", NULL, NULL}},
    {CIPHER(3DES_CTR, 24, 24, 0, 8, 0), VC_K_3DES_CTR, 0, {"DES-EDE3-ECB", NULL, NULL}},

    /* Hashes: result length 1..full (0 in the session = full). SHAKE output
     * is capped at VC_ENGINE_MAX_DIGEST; 0 means 16 / 32 bytes. */
    {HASH(MD5, 16), VC_K_MD, 16, {"MD5", NULL, NULL}},
    {HASH(SHA1, 20), VC_K_MD, 20, {"SHA1", NULL, NULL}},
    {HASH(SHA_224, 28), VC_K_MD, 28, {"SHA2-224", NULL, NULL}},
    {HASH(SHA_256, 32), VC_K_MD, 32, {"SHA2-256", NULL, NULL}},
    {HASH(SHA_384, 48), VC_K_MD, 48, {"SHA2-384", NULL, NULL}},
    {HASH(SHA_512, 64), VC_K_MD, 64, {"SHA2-512", NULL, NULL}},
    {HASH(SHA3_224, 28), VC_K_MD, 28, {"SHA3-224", NULL, NULL}},
    {HASH(SHA3_256, 32), VC_K_MD, 32, {"SHA3-256", NULL, NULL}},
    {HASH(SHA3_384, 48), VC_K_MD, 48, {"SHA3-384", NULL, NULL}},
    {HASH(SHA3_512, 64), VC_K_MD, 64, {"SHA3-512", NULL, NULL}},
    {HASH(SHA3_SHAKE128, VC_ENGINE_MAX_DIGEST), VC_K_XOF, 16, {"SHAKE-128", NULL, NULL}},
    {HASH(SHA3_SHAKE256, VC_ENGINE_MAX_DIGEST), VC_K_XOF, 32, {"SHAKE-256", NULL, NULL}},

    /* MACs: tag 1..full. HMAC keys 0..max_auth_key_len, any length. */
    {MAC(HMAC_MD5, 0, VC_ENGINE_MAX_AUTH_KEY, 1, 0, 0, 16, 0), VC_K_HMAC, 16, {"MD5", 0, 0}},
    {MAC(HMAC_SHA1, 0, VC_ENGINE_MAX_AUTH_KEY, 1, 0, 0, 20, 0), VC_K_HMAC, 20, {"SHA1", 0, 0}},
    {MAC(HMAC_SHA_224, 0, VC_ENGINE_MAX_AUTH_KEY, 1, 0, 0, 28, 0), VC_K_HMAC, 28,
     {"SHA2-224", 0, 0}},
    {MAC(HMAC_SHA_256, 0, VC_ENGINE_MAX_AUTH_KEY, 1, 0, 0, 32, 0), VC_K_HMAC, 32,
     {"SHA2-256", 0, 0}},
    {MAC(HMAC_SHA_384, 0, VC_ENGINE_MAX_AUTH_KEY, 1, 0, 0, 48, 0), VC_K_HMAC, 48,
     {"SHA2-384", 0, 0}},
    {MAC(HMAC_SHA_512, 0, VC_ENGINE_MAX_AUTH_KEY, 1, 0, 0, 64, 0), VC_K_HMAC, 64,
     {"SHA2-512", 0, 0}},
    {MAC(CMAC_3DES, 24, 24, 0, 0, 0, 8, 0), VC_K_CMAC, 8, {"DES-EDE3-CBC", NULL, NULL}},
    {MAC(CMAC_AES, 16, 32, 8, 0, 0, 16, 0), VC_K_CMAC, 16, AES_NAMES("CBC")},
    /* GMAC takes its IV from the op (1..VC_ENGINE_MAX_IV bytes). */
    {MAC(GMAC_AES, 16, 32, 8, 1, VC_ENGINE_MAX_IV, 16, 0), VC_K_GMAC, 16, AES_NAMES("GCM")},
    /* CBC-MAC without padding: the message must be a positive number of
     * whole blocks (docs/ENGINE.md). */
    {MAC(CBCMAC_AES, 16, 32, 8, 0, 0, 16, 16), VC_K_CBCMAC, 16, AES_NAMES("CBC")},
    /* RFC 3566 defines AES-XCBC-MAC for 128-bit keys only. */
    {MAC(XCBC_AES, 16, 16, 0, 0, 0, 16, 0), VC_K_XCBC, 16, {"AES-128-CBC", NULL, NULL}},

    /* AEAD. Tags: GCM per SP 800-38D §5.2.1.2; CCM per RFC 3610 / SP 800-38C
     * (M even, 4..16); ChaCha20-Poly1305 per RFC 8439 (16 only). */
    {AEAD(GCM, 16, 32, 8, 1, VC_ENGINE_MAX_IV, 4,
          BIT(4) | BIT(8) | BIT(12) | BIT(13) | BIT(14) | BIT(15) | BIT(16)),
     VC_K_GCM, 16, AES_NAMES("GCM")},
    {AEAD(CCM, 16, 32, 8, 7, 13, 4,
          BIT(4) | BIT(6) | BIT(8) | BIT(10) | BIT(12) | BIT(14) | BIT(16)),
     VC_K_CCM, 16, AES_NAMES("CCM")},
    {AEAD(CHACHA20_POLY1305, 32, 32, 0, 12, 12, 16, BIT(16)), VC_K_CHACHA, 16,
     {"ChaCha20-Poly1305", NULL, NULL}},
};

const uint32_t vc__ossl_nalgs = VC_ARRAY_SIZE(vc__ossl_algs);

const struct vc__ossl_alg *vc__ossl_alg_find(uint32_t service, uint32_t algo)
{
    for (uint32_t i = 0; i < vc__ossl_nalgs; i++)
        if (vc__ossl_algs[i].cap.service == service && vc__ossl_algs[i].cap.algo == algo)
            return &vc__ossl_algs[i];
    return NULL;
}

int vc__ossl_key_index(const struct vc__ossl_alg *a, uint32_t key_len)
{
    const struct vc_algo_cap *c = &a->cap;
    if (key_len < c->key_min || key_len > c->key_max)
        return -1;
    uint32_t idx = 0;
    if (c->key_step != 0) {
        if ((key_len - c->key_min) % c->key_step != 0)
            return -1;
        idx = (key_len - c->key_min) / c->key_step;
    } else if (key_len != c->key_min) {
        return -1;
    }
    /* HMAC accepts any key length but has one name. */
    if (a->kind == VC_K_HMAC)
        return 0;
    if (idx >= VC_ARRAY_SIZE(a->names) || a->names[idx] == NULL)
        return -1;
    return (int)idx;
}

bool vc__ossl_out_ok(const struct vc__ossl_alg *a, uint32_t n)
{
    if (a->cap.out_mask != 0)
        return n < 64 && (a->cap.out_mask & BIT(n)) != 0;
    return n >= a->cap.out_min && n <= a->cap.out_max;
}
