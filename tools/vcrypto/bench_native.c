/* The native side of `vcrypto bench`: the same operation with OpenSSL EVP
 * in this thread, the way an application would write it without a device.
 * Contexts are keyed once in native_new; each message pays only what it
 * must (new IV / re-init, update, final, tag). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bench.h"

struct native {
    const struct cli_alg *a;
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *cctx;
    EVP_MD *md;
    EVP_MD_CTX *mctx;
    EVP_MAC *mac;
    EVP_MAC_CTX *macctx;
    bool ccm;
};

void native_free(struct native *n)
{
    if (!n)
        return;
    EVP_CIPHER_CTX_free(n->cctx);
    EVP_CIPHER_free(n->cipher);
    EVP_MD_CTX_free(n->mctx);
    EVP_MD_free(n->md);
    EVP_MAC_CTX_free(n->macctx);
    EVP_MAC_free(n->mac);
    free(n);
}

static bool cipher_setup(struct native *n, const uint8_t *key)
{
    const struct cli_alg *a = n->a;
    bool aead = a->service == VIRTIO_CRYPTO_SERVICE_AEAD;

    n->cipher = EVP_CIPHER_fetch(NULL, a->evp, NULL);
    n->cctx = EVP_CIPHER_CTX_new();
    if (!n->cipher || !n->cctx || EVP_EncryptInit_ex2(n->cctx, n->cipher, NULL, NULL, NULL) != 1)
        return false;
    if (aead) {
        n->ccm = a->algo == VIRTIO_CRYPTO_AEAD_CCM;
        if (EVP_CIPHER_CTX_ctrl(n->cctx, EVP_CTRL_AEAD_SET_IVLEN, (int)a->iv_len, NULL) != 1)
            return false;
        if (n->ccm && EVP_CIPHER_CTX_ctrl(n->cctx, EVP_CTRL_AEAD_SET_TAG, BENCH_TAG, NULL) != 1)
            return false;
    }
    if (EVP_EncryptInit_ex2(n->cctx, NULL, key, NULL, NULL) != 1)
        return false;
    return aead || EVP_CIPHER_CTX_set_padding(n->cctx, 0) == 1;
}

static bool mac_setup(struct native *n, const uint8_t *key, size_t key_len)
{
    OSSL_PARAM params[2];
    char cname[32], dname[32];
    bool hmac = n->a->algo <= VIRTIO_CRYPTO_MAC_HMAC_SHA_512;

    n->mac = EVP_MAC_fetch(NULL, hmac ? "HMAC" : "CMAC", NULL);
    if (!n->mac)
        return false;
    n->macctx = EVP_MAC_CTX_new(n->mac);
    if (hmac) {
        snprintf(dname, sizeof(dname), "%s", n->a->evp);
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, dname, 0);
    } else {
        if (n->a->algo == VIRTIO_CRYPTO_MAC_CMAC_3DES)
            snprintf(cname, sizeof(cname), "DES-EDE3-CBC");
        else
            snprintf(cname, sizeof(cname), "AES-%zu-CBC", key_len * 8);
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cname, 0);
    }
    params[1] = OSSL_PARAM_construct_end();
    return n->macctx && EVP_MAC_init(n->macctx, key, key_len, params) == 1;
}

struct native *native_new(const struct cli_alg *a, const uint8_t *key, size_t key_len)
{
    struct native *n;
    bool ok = false;

    if (!a->evp)
        return NULL;
    n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->a = a;
    switch (a->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        ok = cipher_setup(n, key);
        break;
    case VIRTIO_CRYPTO_SERVICE_HASH:
        n->md = EVP_MD_fetch(NULL, a->evp, NULL);
        n->mctx = EVP_MD_CTX_new();
        ok = n->md && n->mctx;
        break;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        ok = mac_setup(n, key, key_len);
        break;
    default:
        break;
    }
    if (!ok) {
        native_free(n);
        return NULL;
    }
    return n;
}

static bool aead_one(struct native *n, const uint8_t *iv, const uint8_t *src, uint32_t len,
                     uint8_t *out)
{
    int l1 = 0, l2 = 0;

    if (EVP_EncryptInit_ex2(n->cctx, NULL, NULL, iv, NULL) != 1)
        return false;
    /* CCM must be told the message length before any data or AAD. */
    if (n->ccm && EVP_EncryptUpdate(n->cctx, NULL, &l1, NULL, (int)len) != 1)
        return false;
    if (EVP_EncryptUpdate(n->cctx, out, &l1, src, (int)len) != 1 ||
        EVP_EncryptFinal_ex(n->cctx, out + l1, &l2) != 1)
        return false;
    return EVP_CIPHER_CTX_ctrl(n->cctx, EVP_CTRL_AEAD_GET_TAG, BENCH_TAG, out + len) == 1;
}

bool native_one(struct native *n, const uint8_t *iv, const uint8_t *src, uint32_t len,
                uint8_t *out)
{
    int l1 = 0, l2 = 0;
    size_t ml = 0;

    switch (n->a->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return EVP_EncryptInit_ex2(n->cctx, NULL, NULL, iv, NULL) == 1 &&
               EVP_EncryptUpdate(n->cctx, out, &l1, src, (int)len) == 1 &&
               EVP_EncryptFinal_ex(n->cctx, out + l1, &l2) == 1;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        return aead_one(n, iv, src, len, out);
    case VIRTIO_CRYPTO_SERVICE_HASH:
        if (EVP_DigestInit_ex2(n->mctx, n->md, NULL) != 1 ||
            EVP_DigestUpdate(n->mctx, src, len) != 1)
            return false;
        if (EVP_MD_get_flags(n->md) & EVP_MD_FLAG_XOF)
            return EVP_DigestFinalXOF(n->mctx, out, n->a->out_len) == 1;
        return EVP_DigestFinal_ex(n->mctx, out, NULL) == 1;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        return EVP_MAC_init(n->macctx, NULL, 0, NULL) == 1 &&
               EVP_MAC_update(n->macctx, src, len) == 1 &&
               EVP_MAC_final(n->macctx, out, &ml, n->a->out_len) == 1;
    default:
        return false;
    }
}
