/* Sessions over the control queue.
 *
 * IMPLEMENTATION NOTES
 * Parameters are checked against the config space first (service and
 * algorithm masks, key limits): "The driver MUST ... not use a key longer
 * than max_cipher_key_len / max_auth_key_len" (Device Types / Crypto Device
 * / Device Initialization, driver normative), so such a request never
 * reaches the device. Then one control request at a time (ctrl_lock): the
 * fixed part in the control meta area, keys in the control key area (both
 * shared memory, wiped after the round trip), the outcome written by the
 * device after them. The device's answer is checked like a data completion
 * (used id, used len, status range) and a session id the device already
 * gave us for a live session is refused (hostile-inputs #40).
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "common/log.h"
#include "driver/internal.h"

#define CTRL_HDR 16u
#define CTRL_LEGACY_FIXED 72u
#define OUTCOME VC__META_STATUS

static uint32_t service_opcode(uint32_t service, bool destroy)
{
    static const uint32_t create[] = {
        VIRTIO_CRYPTO_CIPHER_CREATE_SESSION, VIRTIO_CRYPTO_HASH_CREATE_SESSION,
        VIRTIO_CRYPTO_MAC_CREATE_SESSION, VIRTIO_CRYPTO_AEAD_CREATE_SESSION,
        VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION};
    static const uint32_t destroy_[] = {
        VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION, VIRTIO_CRYPTO_HASH_DESTROY_SESSION,
        VIRTIO_CRYPTO_MAC_DESTROY_SESSION, VIRTIO_CRYPTO_AEAD_DESTROY_SESSION,
        VIRTIO_CRYPTO_AKCIPHER_DESTROY_SESSION};
    return destroy ? destroy_[service] : create[service];
}

static bool mask_has(uint32_t lo, uint32_t hi, uint32_t algo)
{
    return algo < 32 ? (lo >> algo) & 1 : algo < 64 && ((hi >> (algo - 32)) & 1);
}

/* Local checks (config space honoured). */
static int check_params(const struct vc_dev *d, const struct vc_session_params *p)
{
    const struct vc_dev_info *i = &d->info;
    if (p->service > VIRTIO_CRYPTO_SERVICE_AKCIPHER)
        return VC_EINVAL;
    if (!(i->crypto_services & (1u << p->service)))
        return VC_ENOTSUP;
    switch (p->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER: {
        const __typeof__(p->u.cipher) *c = &p->u.cipher;
        if (!mask_has(i->cipher_algo_l, i->cipher_algo_h, c->algo))
            return VC_ENOTSUP;
        if (c->op != VIRTIO_CRYPTO_OP_ENCRYPT && c->op != VIRTIO_CRYPTO_OP_DECRYPT)
            return VC_EINVAL;
        if (c->key_len > i->max_cipher_key_len)
            return VC_ERANGE;
        if ((c->key_len && !c->key) || (c->auth_key_len && !c->auth_key))
            return VC_EINVAL;
        if (c->chain_hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN) {
            if (!mask_has(i->hash_algo, 0, c->chain_algo))
                return VC_ENOTSUP;
        } else if (c->chain_hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH) {
            if (!mask_has(i->mac_algo_l, i->mac_algo_h, c->chain_algo))
                return VC_ENOTSUP;
            if (c->auth_key_len > i->max_auth_key_len)
                return VC_ERANGE;
        } else if (c->chain_hash_mode != 0) {
            return VC_ENOTSUP; /* NESTED */
        }
        return 0;
    }
    case VIRTIO_CRYPTO_SERVICE_HASH:
        return mask_has(i->hash_algo, 0, p->u.hash.algo) ? 0 : VC_ENOTSUP;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        if (!mask_has(i->mac_algo_l, i->mac_algo_h, p->u.mac.algo))
            return VC_ENOTSUP;
        if (p->u.mac.key_len > i->max_auth_key_len)
            return VC_ERANGE;
        return p->u.mac.key_len && !p->u.mac.key ? VC_EINVAL : 0;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        if (!mask_has(i->aead_algo, 0, p->u.aead.algo))
            return VC_ENOTSUP;
        if (p->u.aead.key_len > i->max_cipher_key_len)
            return VC_ERANGE;
        if (p->u.aead.op != VIRTIO_CRYPTO_OP_ENCRYPT && p->u.aead.op != VIRTIO_CRYPTO_OP_DECRYPT)
            return VC_EINVAL;
        return p->u.aead.key_len && !p->u.aead.key ? VC_EINVAL : 0;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
    default:
        if (!mask_has(i->akcipher_algo, 0, p->u.akcipher.algo))
            return VC_ENOTSUP;
        if (p->u.akcipher.key_len > VC__CTRL_KEYS)
            return VC_ERANGE;
        return !p->u.akcipher.key || !p->u.akcipher.key_len ? VC_EINVAL : 0;
    }
}

/* Writes the create op_flf into f (zeroed) and the keys into the key area.
 * Returns the flf length; *keys the key bytes. */
static uint32_t build_create(struct vc_dev *d, const struct vc_session_params *p, uint8_t *f,
                             uint32_t *keys, uint32_t *algo)
{
    uint8_t *k = d->ckeys;
    *keys = 0;
    switch (p->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER: {
        const __typeof__(p->u.cipher) *c = &p->u.cipher;
        uint8_t *cf = f;
        *algo = c->algo;
        if (c->chain_hash_mode) {
            vc__put32(f, 0, c->chain_order);
            vc__put32(f, 4, c->chain_hash_mode);
            cf = f + 8;
            vc__put32(f, 24, c->chain_algo);
            vc__put32(f, 28, c->chain_digest_len);
            if (c->chain_hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH)
                vc__put32(f, 32, c->auth_key_len);
            vc__put32(f, 40, c->aad_len);
        }
        vc__put32(cf, 0, c->algo);
        vc__put32(cf, 4, c->key_len);
        vc__put32(cf, 8, c->op);
        vc__put32(f, 48, c->chain_hash_mode ? VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING
                                            : VIRTIO_CRYPTO_SYM_OP_CIPHER);
        if (c->key_len)
            memcpy(k, c->key, c->key_len);
        *keys = c->key_len;
        if (c->chain_hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH && c->auth_key_len) {
            memcpy(k + *keys, c->auth_key, c->auth_key_len);
            *keys += c->auth_key_len;
        }
        return (uint32_t)sizeof(struct virtio_crypto_sym_create_session_flf);
    }
    case VIRTIO_CRYPTO_SERVICE_HASH:
        *algo = p->u.hash.algo;
        vc__put32(f, 0, p->u.hash.algo);
        vc__put32(f, 4, p->u.hash.digest_len);
        return 8;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        *algo = p->u.mac.algo;
        vc__put32(f, 0, p->u.mac.algo);
        vc__put32(f, 4, p->u.mac.digest_len);
        vc__put32(f, 8, p->u.mac.key_len);
        if (p->u.mac.key_len)
            memcpy(k, p->u.mac.key, p->u.mac.key_len);
        *keys = p->u.mac.key_len;
        return 16;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        *algo = p->u.aead.algo;
        vc__put32(f, 0, p->u.aead.algo);
        vc__put32(f, 4, p->u.aead.key_len);
        vc__put32(f, 8, p->u.aead.tag_len);
        vc__put32(f, 12, p->u.aead.aad_len);
        vc__put32(f, 16, p->u.aead.op);
        if (p->u.aead.key_len)
            memcpy(k, p->u.aead.key, p->u.aead.key_len);
        *keys = p->u.aead.key_len;
        return 24;
    default: /* AKCIPHER */
        *algo = p->u.akcipher.algo;
        vc__put32(f, 0, p->u.akcipher.algo);
        vc__put32(f, 4, p->u.akcipher.key_type);
        vc__put32(f, 8, p->u.akcipher.key_len);
        if (p->u.akcipher.algo == VIRTIO_CRYPTO_AKCIPHER_RSA) {
            vc__put32(f, 12, p->u.akcipher.rsa_padding);
            vc__put32(f, 16, p->u.akcipher.rsa_hash);
        } else {
            vc__put32(f, 12, p->u.akcipher.curve);
        }
        memcpy(k, p->u.akcipher.key, p->u.akcipher.key_len);
        *keys = p->u.akcipher.key_len;
        return 56;
    }
}

/* One control round trip under ctrl_lock. The fixed part is at cmeta,
 * keys at ckeys. Returns 0 with *status (and *id for create), or VC_EIO /
 * VC_EPROTO. */
static int ctrl_locked(struct vc_dev *d, uint32_t fixed, uint32_t keys, bool destroy,
                       uint8_t *status, uint64_t *id)
{
    if (atomic_load(&d->state) != 0)
        return VC_EIO;
    uint8_t *out = d->cmeta + OUTCOME;
    uint32_t out_len = destroy ? 1 : (uint32_t)sizeof(struct virtio_crypto_create_session_input);
    memset(out, 0xff, 16);
    struct vc_drv_buf b[3];
    uint32_t n = 0;
    b[n++] = (struct vc_drv_buf){vc__addr(d->cmeta), fixed};
    if (keys)
        b[n++] = (struct vc_drv_buf){vc__addr(d->ckeys), keys};
    b[n++] = (struct vc_drv_buf){vc__addr(out), out_len};
    uint16_t head, got;
    uint32_t len;
    if (vc_drv_add(&d->cring, b, n - 1, 1, &head) != 0)
        return VC_EIO;
    vc_drv_publish(&d->cring);
    int r = d->tp->ctrl_run(d);
    if (r) {
        /* The request may still be in flight: the device is not answering,
         * so it is as good as lost. */
        vc__dev_set_state(d, VC_EIO);
        return r;
    }
    r = vc_drv_get(&d->cring, &got, &len);
    if (r != 0 || got != head || len < out_len) {
        VC_ERR("vcrypto: control queue answer refused (head %u len %u)", got, len);
        vc__dev_set_state(d, VC_EBROKEN);
        return VC_EPROTO;
    }
    if (destroy) {
        *status = out[0];
    } else {
        struct virtio_crypto_create_session_input in;
        memcpy(&in, out, sizeof(in));
        uint32_t st = le32toh(in.status);
        *status = st > VIRTIO_CRYPTO_MAX_STATUS ? 0xff : (uint8_t)st;
        *id = le64toh(in.session_id);
    }
    if (*status > VIRTIO_CRYPTO_MAX_STATUS)
        return VC_EPROTO;
    return 0;
}

static void header(struct vc_dev *d, uint32_t opcode, uint32_t algo)
{
    memset(d->cmeta, 0, CTRL_LEGACY_FIXED);
    vc__put32(d->cmeta, 0, opcode);
    vc__put32(d->cmeta, 4, algo);
    /* flag and reserved stay 0: "The driver MUST set the reserved field to
     * zero" (Control Virtqueue, driver normative). */
}

static int map_status(uint8_t st)
{
    switch (st) {
    case VIRTIO_CRYPTO_OK:
        return 0;
    case VIRTIO_CRYPTO_NOTSUPP:
        return VC_ENOTSUP;
    case VIRTIO_CRYPTO_NOSPC:
        return VC_ENOSPC;
    case VIRTIO_CRYPTO_ERR:
        return VC_EINVAL;
    default:
        return VC_EPROTO;
    }
}

int vc_session_create(struct vc_dev *d, const struct vc_session_params *p, struct vc_session **out)
{
    if (!d || !p || !out)
        return VC_EINVAL;
    *out = NULL;
    int r = check_params(d, p);
    if (r)
        return r;
    struct vc_session *s = calloc(1, sizeof(*s));
    if (!s)
        return VC_ENOMEM;
    pthread_mutex_lock(&d->ctrl_lock);
    uint32_t algo = 0, keys = 0;
    header(d, service_opcode(p->service, false), 0);
    uint32_t flf = build_create(d, p, d->cmeta + CTRL_HDR, &keys, &algo);
    vc__put32(d->cmeta, 4, algo);
    uint32_t fixed = d->info.revision_1 ? CTRL_HDR + flf : CTRL_LEGACY_FIXED;
    uint8_t st = 0;
    uint64_t id = 0;
    r = ctrl_locked(d, fixed, keys, false, &st, &id);
    /* Keys do not linger in shared memory. */
    explicit_bzero(d->ckeys, keys);
    if (!r)
        r = map_status(st);
    if (!r) {
        for (struct vc_session *o = d->sessions; o; o = o->next)
            if (o->id == id) {
                VC_ERR("vcrypto: device issued session id %llu twice",
                       (unsigned long long)id);
                r = VC_EPROTO;
            }
    }
    if (!r) {
        s->dev = d;
        s->id = id;
        s->service = p->service;
        s->algo = algo;
        s->chain = p->service == VIRTIO_CRYPTO_SERVICE_CIPHER && p->u.cipher.chain_hash_mode;
        s->tag_len = p->service == VIRTIO_CRYPTO_SERVICE_AEAD ? p->u.aead.tag_len : 0;
        s->next = d->sessions;
        if (d->sessions)
            d->sessions->prev = s;
        d->sessions = s;
    }
    pthread_mutex_unlock(&d->ctrl_lock);
    if (r) {
        free(s);
        return r;
    }
    *out = s;
    return 0;
}

/* Caller holds ctrl_lock. */
static int destroy_locked(struct vc_session *s)
{
    struct vc_dev *d = s->dev;
    header(d, service_opcode(s->service, true), s->algo);
    vc__put64(d->cmeta, CTRL_HDR, s->id);
    uint32_t fixed = d->info.revision_1 ? CTRL_HDR + 8 : CTRL_LEGACY_FIXED;
    uint8_t st = 0;
    uint64_t id;
    int r = ctrl_locked(d, fixed, 0, true, &st, &id);
    if (r)
        return VC_EIO;
    return st == VIRTIO_CRYPTO_OK ? 0 : VC_EIO;
}

static void unlink_locked(struct vc_session *s)
{
    struct vc_dev *d = s->dev;
    if (s->prev)
        s->prev->next = s->next;
    else
        d->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

int vc_session_destroy(struct vc_session *s)
{
    if (!s)
        return 0;
    struct vc_dev *d = s->dev;
    pthread_mutex_lock(&d->ctrl_lock);
    unlink_locked(s);
    int r = destroy_locked(s);
    pthread_mutex_unlock(&d->ctrl_lock);
    free(s);
    return r;
}

void vc__sessions_drop_all(struct vc_dev *d)
{
    pthread_mutex_lock(&d->ctrl_lock);
    while (d->sessions) {
        struct vc_session *s = d->sessions;
        unlink_locked(s);
        if (atomic_load(&d->state) == 0)
            (void)destroy_locked(s);
        free(s);
    }
    pthread_mutex_unlock(&d->ctrl_lock);
}
