/* The CLI's algorithm names: one table mapping OpenSSL-like names to virtio
 * (service, algorithm) ids plus what the tool needs to check arguments
 * locally (key lengths, IV length, block size) before asking the device.
 * The device has the last word: libvcrypto refuses what the device does not
 * advertise, and the engine refuses bad parameters.
 */
#include <strings.h>

#include "cli.h"
#include "vcrypto/virtio_crypto.h"

#define C VIRTIO_CRYPTO_SERVICE_CIPHER
#define H VIRTIO_CRYPTO_SERVICE_HASH
#define M VIRTIO_CRYPTO_SERVICE_MAC
#define A VIRTIO_CRYPTO_SERVICE_AEAD
#define K VIRTIO_CRYPTO_SERVICE_AKCIPHER

/* name, service, algo, keys, any_key, iv, block, mode, out_len, curve, evp */
static const struct cli_alg algs[] = {
    {"aes-128-ecb", C, VIRTIO_CRYPTO_CIPHER_AES_ECB, {16}, false, 0, 16, CLI_MODE_ECB, 0, 0,
     "AES-128-ECB"},
    {"aes-192-ecb", C, VIRTIO_CRYPTO_CIPHER_AES_ECB, {24}, false, 0, 16, CLI_MODE_ECB, 0, 0,
     "AES-192-ECB"},
    {"aes-256-ecb", C, VIRTIO_CRYPTO_CIPHER_AES_ECB, {32}, false, 0, 16, CLI_MODE_ECB, 0, 0,
     "AES-256-ECB"},
    {"aes-128-cbc", C, VIRTIO_CRYPTO_CIPHER_AES_CBC, {16}, false, 16, 16, CLI_MODE_CBC, 0, 0,
     "AES-128-CBC"},
    {"aes-192-cbc", C, VIRTIO_CRYPTO_CIPHER_AES_CBC, {24}, false, 16, 16, CLI_MODE_CBC, 0, 0,
     "AES-192-CBC"},
    {"aes-256-cbc", C, VIRTIO_CRYPTO_CIPHER_AES_CBC, {32}, false, 16, 16, CLI_MODE_CBC, 0, 0,
     "AES-256-CBC"},
    {"aes-128-ctr", C, VIRTIO_CRYPTO_CIPHER_AES_CTR, {16}, false, 16, 0, CLI_MODE_CTR, 0, 0,
     "AES-128-CTR"},
    {"aes-192-ctr", C, VIRTIO_CRYPTO_CIPHER_AES_CTR, {24}, false, 16, 0, CLI_MODE_CTR, 0, 0,
     "AES-192-CTR"},
    {"aes-256-ctr", C, VIRTIO_CRYPTO_CIPHER_AES_CTR, {32}, false, 16, 0, CLI_MODE_CTR, 0, 0,
     "AES-256-CTR"},
    {"aes-128-xts", C, VIRTIO_CRYPTO_CIPHER_AES_XTS, {32}, false, 16, 0, CLI_MODE_XTS, 0, 0,
     "AES-128-XTS"},
    {"aes-256-xts", C, VIRTIO_CRYPTO_CIPHER_AES_XTS, {64}, false, 16, 0, CLI_MODE_XTS, 0, 0,
     "AES-256-XTS"},
    {"des-ede3", C, VIRTIO_CRYPTO_CIPHER_3DES_ECB, {24}, false, 0, 8, CLI_MODE_ECB, 0, 0,
     "DES-EDE3-ECB"},
    {"des-ede3-ecb", C, VIRTIO_CRYPTO_CIPHER_3DES_ECB, {24}, false, 0, 8, CLI_MODE_ECB, 0, 0,
     "DES-EDE3-ECB"},
    {"des-ede3-cbc", C, VIRTIO_CRYPTO_CIPHER_3DES_CBC, {24}, false, 8, 8, CLI_MODE_CBC, 0, 0,
     "DES-EDE3-CBC"},
    /* No OpenSSL cipher: a 64-bit big-endian counter (docs/ENGINE.md). */
    {"des-ede3-ctr", C, VIRTIO_CRYPTO_CIPHER_3DES_CTR, {24}, false, 8, 0, CLI_MODE_CTR, 0, 0,
     NULL},

    {"md5", H, VIRTIO_CRYPTO_HASH_MD5, {0}, false, 0, 0, CLI_MODE_NONE, 16, 0, "MD5"},
    {"sha1", H, VIRTIO_CRYPTO_HASH_SHA1, {0}, false, 0, 0, CLI_MODE_NONE, 20, 0, "SHA1"},
    {"sha224", H, VIRTIO_CRYPTO_HASH_SHA_224, {0}, false, 0, 0, CLI_MODE_NONE, 28, 0, "SHA224"},
    {"sha256", H, VIRTIO_CRYPTO_HASH_SHA_256, {0}, false, 0, 0, CLI_MODE_NONE, 32, 0, "SHA256"},
    {"sha384", H, VIRTIO_CRYPTO_HASH_SHA_384, {0}, false, 0, 0, CLI_MODE_NONE, 48, 0, "SHA384"},
    {"sha512", H, VIRTIO_CRYPTO_HASH_SHA_512, {0}, false, 0, 0, CLI_MODE_NONE, 64, 0, "SHA512"},
    {"sha3-224", H, VIRTIO_CRYPTO_HASH_SHA3_224, {0}, false, 0, 0, CLI_MODE_NONE, 28, 0,
     "SHA3-224"},
    {"sha3-256", H, VIRTIO_CRYPTO_HASH_SHA3_256, {0}, false, 0, 0, CLI_MODE_NONE, 32, 0,
     "SHA3-256"},
    {"sha3-384", H, VIRTIO_CRYPTO_HASH_SHA3_384, {0}, false, 0, 0, CLI_MODE_NONE, 48, 0,
     "SHA3-384"},
    {"sha3-512", H, VIRTIO_CRYPTO_HASH_SHA3_512, {0}, false, 0, 0, CLI_MODE_NONE, 64, 0,
     "SHA3-512"},
    /* SHAKE: out_len is the engine's default output (OpenSSL's). */
    {"shake128", H, VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, {0}, false, 0, 0, CLI_MODE_NONE, 16, 0,
     "SHAKE128"},
    {"shake256", H, VIRTIO_CRYPTO_HASH_SHA3_SHAKE256, {0}, false, 0, 0, CLI_MODE_NONE, 32, 0,
     "SHAKE256"},

    /* MAC: evp names the HMAC digest or the CMAC cipher family. */
    {"hmac-md5", M, VIRTIO_CRYPTO_MAC_HMAC_MD5, {0}, true, 0, 0, CLI_MODE_NONE, 16, 0, "MD5"},
    {"hmac-sha1", M, VIRTIO_CRYPTO_MAC_HMAC_SHA1, {0}, true, 0, 0, CLI_MODE_NONE, 20, 0, "SHA1"},
    {"hmac-sha224", M, VIRTIO_CRYPTO_MAC_HMAC_SHA_224, {0}, true, 0, 0, CLI_MODE_NONE, 28, 0,
     "SHA224"},
    {"hmac-sha256", M, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, {0}, true, 0, 0, CLI_MODE_NONE, 32, 0,
     "SHA256"},
    {"hmac-sha384", M, VIRTIO_CRYPTO_MAC_HMAC_SHA_384, {0}, true, 0, 0, CLI_MODE_NONE, 48, 0,
     "SHA384"},
    {"hmac-sha512", M, VIRTIO_CRYPTO_MAC_HMAC_SHA_512, {0}, true, 0, 0, CLI_MODE_NONE, 64, 0,
     "SHA512"},
    {"cmac-aes", M, VIRTIO_CRYPTO_MAC_CMAC_AES, {16, 24, 32}, false, 0, 0, CLI_MODE_NONE, 16, 0,
     "CMAC"},
    {"cmac-des-ede3", M, VIRTIO_CRYPTO_MAC_CMAC_3DES, {24}, false, 0, 0, CLI_MODE_NONE, 8, 0,
     "CMAC"},
    {"gmac-aes", M, VIRTIO_CRYPTO_MAC_GMAC_AES, {16, 24, 32}, false, 12, 0, CLI_MODE_NONE, 16, 0,
     NULL},
    {"cbcmac-aes", M, VIRTIO_CRYPTO_MAC_CBCMAC_AES, {16, 24, 32}, false, 0, 16, CLI_MODE_NONE, 16,
     0, NULL},
    {"xcbc-aes", M, VIRTIO_CRYPTO_MAC_XCBC_AES, {16}, false, 0, 0, CLI_MODE_NONE, 16, 0, NULL},

    {"aes-128-gcm", A, VIRTIO_CRYPTO_AEAD_GCM, {16}, false, 12, 0, CLI_MODE_NONE, 16, 0,
     "AES-128-GCM"},
    {"aes-192-gcm", A, VIRTIO_CRYPTO_AEAD_GCM, {24}, false, 12, 0, CLI_MODE_NONE, 16, 0,
     "AES-192-GCM"},
    {"aes-256-gcm", A, VIRTIO_CRYPTO_AEAD_GCM, {32}, false, 12, 0, CLI_MODE_NONE, 16, 0,
     "AES-256-GCM"},
    {"aes-128-ccm", A, VIRTIO_CRYPTO_AEAD_CCM, {16}, false, 12, 0, CLI_MODE_NONE, 16, 0,
     "AES-128-CCM"},
    {"aes-192-ccm", A, VIRTIO_CRYPTO_AEAD_CCM, {24}, false, 12, 0, CLI_MODE_NONE, 16, 0,
     "AES-192-CCM"},
    {"aes-256-ccm", A, VIRTIO_CRYPTO_AEAD_CCM, {32}, false, 12, 0, CLI_MODE_NONE, 16, 0,
     "AES-256-CCM"},
    {"chacha20-poly1305", A, VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, {32}, false, 12, 0,
     CLI_MODE_NONE, 16, 0, "ChaCha20-Poly1305"},

    {"rsa", K, VIRTIO_CRYPTO_AKCIPHER_RSA, {0}, false, 0, 0, CLI_MODE_NONE, 0, 0, "RSA"},
    {"ecdsa-p256", K, VIRTIO_CRYPTO_AKCIPHER_ECDSA, {0}, false, 0, 0, CLI_MODE_NONE, 0,
     VIRTIO_CRYPTO_CURVE_NIST_P256, "P-256"},
    {"ecdsa-p384", K, VIRTIO_CRYPTO_AKCIPHER_ECDSA, {0}, false, 0, 0, CLI_MODE_NONE, 0,
     VIRTIO_CRYPTO_CURVE_NIST_P384, "P-384"},
    {"ecdsa-p521", K, VIRTIO_CRYPTO_AKCIPHER_ECDSA, {0}, false, 0, 0, CLI_MODE_NONE, 0,
     VIRTIO_CRYPTO_CURVE_NIST_P521, "P-521"},
};

const struct cli_alg *cli_alg_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < VC_ARRAY_SIZE(algs); i++) {
        if (strcasecmp(algs[i].name, name) == 0)
            return &algs[i];
    }
    return NULL;
}

const struct cli_alg *cli_alg_at(size_t i)
{
    return i < VC_ARRAY_SIZE(algs) ? &algs[i] : NULL;
}

const struct cli_alg *cli_alg_need(const char *name, uint32_t service, const char *what)
{
    const struct cli_alg *a;

    if (!name) {
        cli_err("no algorithm given (-a %s)", what);
        return NULL;
    }
    a = cli_alg_find(name);
    if (!a) {
        cli_err("unknown algorithm '%s' (see 'vcrypto info' for the list)", name);
        return NULL;
    }
    if (a->service != service) {
        cli_err("'%s' is not %s (it is a %s algorithm)", name, what,
                cli_service_name(a->service));
        return NULL;
    }
    return a;
}

bool cli_alg_key_ok(const struct cli_alg *a, size_t key_len)
{
    char want[32];
    size_t n = 0;

    if (a->any_key)
        return true;
    want[0] = '\0';
    for (size_t i = 0; i < sizeof(a->keys) && a->keys[i]; i++) {
        if (a->keys[i] == key_len)
            return true;
        n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%u", i ? "/" : "", a->keys[i]);
        if (n >= sizeof(want))
            break;
    }
    cli_err("key is %zu bytes; %s takes %s", key_len, a->name, want);
    return false;
}

const char *cli_service_name(uint32_t service)
{
    static const char *const names[] = {"cipher", "hash", "mac", "aead", "akcipher", "ipsec"};

    return service < VC_ARRAY_SIZE(names) ? names[service] : "unknown";
}

struct vname {
    uint32_t service, algo;
    const char *name;
};

/* Virtio algorithm names, as the spec spells them (for `info`). */
static const struct vname vnames[] = {
    {C, VIRTIO_CRYPTO_CIPHER_ARC4, "ARC4"},
    {C, VIRTIO_CRYPTO_CIPHER_AES_ECB, "AES-ECB"},
    {C, VIRTIO_CRYPTO_CIPHER_AES_CBC, "AES-CBC"},
    {C, VIRTIO_CRYPTO_CIPHER_AES_CTR, "AES-CTR"},
    {C, VIRTIO_CRYPTO_CIPHER_DES_ECB, "DES-ECB"},
    {C, VIRTIO_CRYPTO_CIPHER_DES_CBC, "DES-CBC"},
    {C, VIRTIO_CRYPTO_CIPHER_3DES_ECB, "3DES-ECB"},
    {C, VIRTIO_CRYPTO_CIPHER_3DES_CBC, "3DES-CBC"},
    {C, VIRTIO_CRYPTO_CIPHER_3DES_CTR, "3DES-CTR"},
    {C, VIRTIO_CRYPTO_CIPHER_KASUMI_F8, "KASUMI-F8"},
    {C, VIRTIO_CRYPTO_CIPHER_SNOW3G_UEA2, "SNOW3G-UEA2"},
    {C, VIRTIO_CRYPTO_CIPHER_AES_F8, "AES-F8"},
    {C, VIRTIO_CRYPTO_CIPHER_AES_XTS, "AES-XTS"},
    {C, VIRTIO_CRYPTO_CIPHER_ZUC_EEA3, "ZUC-EEA3"},
    {H, VIRTIO_CRYPTO_HASH_MD5, "MD5"},
    {H, VIRTIO_CRYPTO_HASH_SHA1, "SHA1"},
    {H, VIRTIO_CRYPTO_HASH_SHA_224, "SHA-224"},
    {H, VIRTIO_CRYPTO_HASH_SHA_256, "SHA-256"},
    {H, VIRTIO_CRYPTO_HASH_SHA_384, "SHA-384"},
    {H, VIRTIO_CRYPTO_HASH_SHA_512, "SHA-512"},
    {H, VIRTIO_CRYPTO_HASH_SHA3_224, "SHA3-224"},
    {H, VIRTIO_CRYPTO_HASH_SHA3_256, "SHA3-256"},
    {H, VIRTIO_CRYPTO_HASH_SHA3_384, "SHA3-384"},
    {H, VIRTIO_CRYPTO_HASH_SHA3_512, "SHA3-512"},
    {H, VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, "SHAKE128"},
    {H, VIRTIO_CRYPTO_HASH_SHA3_SHAKE256, "SHAKE256"},
    {M, VIRTIO_CRYPTO_MAC_HMAC_MD5, "HMAC-MD5"},
    {M, VIRTIO_CRYPTO_MAC_HMAC_SHA1, "HMAC-SHA1"},
    {M, VIRTIO_CRYPTO_MAC_HMAC_SHA_224, "HMAC-SHA-224"},
    {M, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, "HMAC-SHA-256"},
    {M, VIRTIO_CRYPTO_MAC_HMAC_SHA_384, "HMAC-SHA-384"},
    {M, VIRTIO_CRYPTO_MAC_HMAC_SHA_512, "HMAC-SHA-512"},
    {M, VIRTIO_CRYPTO_MAC_CMAC_3DES, "CMAC-3DES"},
    {M, VIRTIO_CRYPTO_MAC_CMAC_AES, "CMAC-AES"},
    {M, VIRTIO_CRYPTO_MAC_KASUMI_F9, "KASUMI-F9"},
    {M, VIRTIO_CRYPTO_MAC_SNOW3G_UIA2, "SNOW3G-UIA2"},
    {M, VIRTIO_CRYPTO_MAC_GMAC_AES, "GMAC-AES"},
    {M, VIRTIO_CRYPTO_MAC_GMAC_TWOFISH, "GMAC-TWOFISH"},
    {M, VIRTIO_CRYPTO_MAC_CBCMAC_AES, "CBCMAC-AES"},
    {M, VIRTIO_CRYPTO_MAC_CBCMAC_KASUMI_F9, "CBCMAC-KASUMI-F9"},
    {M, VIRTIO_CRYPTO_MAC_XCBC_AES, "XCBC-AES"},
    {M, VIRTIO_CRYPTO_MAC_ZUC_EIA3, "ZUC-EIA3"},
    {A, VIRTIO_CRYPTO_AEAD_GCM, "GCM"},
    {A, VIRTIO_CRYPTO_AEAD_CCM, "CCM"},
    {A, VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, "CHACHA20-POLY1305"},
    {K, VIRTIO_CRYPTO_AKCIPHER_RSA, "RSA"},
    {K, VIRTIO_CRYPTO_AKCIPHER_ECDSA, "ECDSA"},
};

const char *cli_virtio_algo_name(uint32_t service, uint32_t algo)
{
    for (size_t i = 0; i < VC_ARRAY_SIZE(vnames); i++) {
        if (vnames[i].service == service && vnames[i].algo == algo)
            return vnames[i].name;
    }
    return NULL;
}
