#include "engine/engine.h"

const struct vc_algo_cap *vc_engine_find_cap(const struct vc_engine_caps *caps, uint32_t service,
                                             uint32_t algo)
{
    for (uint32_t i = 0; i < caps->n_algos; i++)
        if (caps->algos[i].service == service && caps->algos[i].algo == algo)
            return &caps->algos[i];
    return NULL;
}

static void set_bit64(uint32_t *lo, uint32_t *hi, uint32_t bit)
{
    if (bit < 32)
        *lo |= 1u << bit;
    else if (bit < 64)
        *hi |= 1u << (bit - 32);
}

void vc_engine_caps_derive(struct vc_engine_caps *c)
{
    c->crypto_services = 0;
    c->cipher_algo_l = c->cipher_algo_h = c->hash_algo = 0;
    c->mac_algo_l = c->mac_algo_h = c->aead_algo = c->akcipher_algo = 0;
    c->max_cipher_key_len = c->max_auth_key_len = 0;
    for (uint32_t i = 0; i < c->n_algos; i++) {
        const struct vc_algo_cap *a = &c->algos[i];
        if (a->algo >= 64)
            continue;
        c->crypto_services |= 1u << a->service;
        switch (a->service) {
        case VIRTIO_CRYPTO_SERVICE_CIPHER:
            set_bit64(&c->cipher_algo_l, &c->cipher_algo_h, a->algo);
            c->max_cipher_key_len = VC_MAX(c->max_cipher_key_len, a->key_max);
            break;
        case VIRTIO_CRYPTO_SERVICE_HASH:
            if (a->algo < 32)
                c->hash_algo |= 1u << a->algo;
            break;
        case VIRTIO_CRYPTO_SERVICE_MAC:
            /* A virtio MAC request has no IV field ("Device Operation / MAC
             * Service Operation"), so a MAC that needs one (GMAC) is usable
             * through the engine API only, never through the device. */
            if (a->iv_max > 0)
                continue;
            set_bit64(&c->mac_algo_l, &c->mac_algo_h, a->algo);
            c->max_auth_key_len = VC_MAX(c->max_auth_key_len, a->key_max);
            break;
        case VIRTIO_CRYPTO_SERVICE_AEAD:
            if (a->algo < 32)
                c->aead_algo |= 1u << a->algo;
            c->max_cipher_key_len = VC_MAX(c->max_cipher_key_len, a->key_max);
            break;
        case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
            if (a->algo < 32)
                c->akcipher_algo |= 1u << a->algo;
            break;
        default:
            break;
        }
    }
}

void vc_sess_params_set_keys(struct vc_sess_params *p, const uint8_t *k1, const uint8_t *k2)
{
    switch (p->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        p->u.sym.cipher.key = k1;
        p->u.sym.auth_key = k2;
        break;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        p->u.mac.key = k1;
        break;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        p->u.aead.key = k1;
        break;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        p->u.akcipher.key = k1;
        break;
    default:
        break;
    }
}
