/* The native side of bench/vhost: what an in-process user does with EVP.
 *
 * One message per op, with the key schedule kept between messages (the
 * context is keyed once in vb_native_new):
 *   AES-256-GCM  EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv), Update,
 *                Final, EVP_CTRL_AEAD_GET_TAG (16 bytes; no AAD, as the
 *                device requests);
 *   AES-128-CBC  EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv), Update,
 *                Final (padding off: every size is a block multiple);
 *   HMAC-SHA256  EVP_MAC_init(ctx, NULL, 0, NULL) on the keyed context,
 *                EVP_MAC_update, EVP_MAC_final.
 * Op i reads slot i % burst of the device's guest memory, so both sides
 * touch the same bytes with the same cache footprint; output goes to a
 * private buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "vhost.h"

struct vb_native {
    EVP_CIPHER_CTX *gcm, *cbc;
    EVP_MAC *mac;
    EVP_MAC_CTX *hmac;
    uint8_t out[VB_MAX_MSG + 32];
};

struct vb_native *vb_native_new(void)
{
    struct vb_native *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->gcm = EVP_CIPHER_CTX_new();
    n->cbc = EVP_CIPHER_CTX_new();
    n->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    n->hmac = n->mac ? EVP_MAC_CTX_new(n->mac) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!n->gcm || !n->cbc || !n->hmac ||
        EVP_EncryptInit_ex(n->gcm, EVP_aes_256_gcm(), NULL, vb_key_gcm, NULL) != 1 ||
        EVP_EncryptInit_ex(n->cbc, EVP_aes_128_cbc(), NULL, vb_key_cbc, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(n->cbc, 0) != 1 ||
        EVP_MAC_init(n->hmac, vb_key_hmac, sizeof(vb_key_hmac), params) != 1) {
        fprintf(stderr, "vhost bench: native contexts: OpenSSL setup failed\n");
        vb_native_free(n);
        return NULL;
    }
    return n;
}

void vb_native_free(struct vb_native *n)
{
    if (!n)
        return;
    EVP_CIPHER_CTX_free(n->gcm);
    EVP_CIPHER_CTX_free(n->cbc);
    EVP_MAC_CTX_free(n->hmac);
    EVP_MAC_free(n->mac);
    free(n);
}

/* One message; returns the output length or 0 on failure. */
static inline uint32_t one(struct vb_native *n, enum vb_alg a, const uint8_t *src, uint32_t size,
                           const uint8_t *iv, uint8_t *out)
{
    int l1 = 0, l2 = 0;
    size_t ml = 0;
    switch (a) {
    case VB_GCM:
        if (EVP_EncryptInit_ex(n->gcm, NULL, NULL, NULL, iv) != 1 ||
            EVP_EncryptUpdate(n->gcm, out, &l1, src, (int)size) != 1 ||
            EVP_EncryptFinal_ex(n->gcm, out + l1, &l2) != 1 ||
            EVP_CIPHER_CTX_ctrl(n->gcm, EVP_CTRL_AEAD_GET_TAG, 16, out + size) != 1)
            return 0;
        return size + 16;
    case VB_CBC:
        if (EVP_EncryptInit_ex(n->cbc, NULL, NULL, NULL, iv) != 1 ||
            EVP_EncryptUpdate(n->cbc, out, &l1, src, (int)size) != 1 ||
            EVP_EncryptFinal_ex(n->cbc, out + l1, &l2) != 1)
            return 0;
        return size;
    case VB_HMAC:
        if (EVP_MAC_init(n->hmac, NULL, 0, NULL) != 1 ||
            EVP_MAC_update(n->hmac, src, size) != 1 || EVP_MAC_final(n->hmac, out, &ml, 32) != 1)
            return 0;
        return (uint32_t)ml;
    default:
        return 0;
    }
}

uint32_t vb_native_one(struct vb_native *n, enum vb_alg a, const uint8_t *src, uint32_t size,
                       const uint8_t *iv, uint8_t *out)
{
    return one(n, a, src, size, iv, out);
}

int vb_native_run(struct vb_native *n, const struct vb_dev *d, enum vb_alg a, uint32_t size,
                  uint32_t burst, uint64_t ns, struct vb_sample *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *src[VB_MAX_BURST], *iv[VB_MAX_BURST];
    for (uint32_t i = 0; i < burst; i++) {
        src[i] = vb_dev_src(d, i);
        iv[i] = vb_dev_iv(d, i);
    }
    uint64_t cpu0 = vb_cpu_ns();
    uint64_t t0 = vb_now_ns(), end = t0 + ns;
    uint32_t fail = 0;
    uint64_t ops = 0;
    do {
        /* 32 ops between clock reads, the same cadence as the ring side. */
        for (uint32_t k = 0; k < VB_MAX_BURST; k++) {
            uint32_t s = k % burst;
            fail |= one(n, a, src[s], size, iv[s], n->out) == 0;
        }
        ops += VB_MAX_BURST;
    } while (vb_now_ns() < end && !fail);
    out->wall_ns = vb_now_ns() - t0;
    out->cli_cpu_ns = vb_cpu_ns() - cpu0;
    out->ops = ops;
    if (fail) {
        fprintf(stderr, "vhost bench: native %s %u B: an EVP call failed\n", vb_alg_short(a),
                size);
        return -1;
    }
    return 0;
}
