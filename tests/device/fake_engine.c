#include "fake_engine.h"

#include <stdlib.h>
#include <string.h>

static uint8_t fake_sess_create(struct vc_engine *e, const struct vc_sess_params *p,
                                struct vc_engine_sess **out)
{
    struct fake_engine *fe = (struct fake_engine *)e;
    if (fe->create_status != VIRTIO_CRYPTO_OK)
        return fe->create_status;
    fe->sessions_created++;
    fe->last_params = *p;
    const uint8_t *k = NULL, *ak = NULL;
    uint32_t kl = 0, akl = 0;
    switch (p->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        k = p->u.sym.cipher.key, kl = p->u.sym.cipher.key_len;
        ak = p->u.sym.auth_key, akl = p->u.sym.auth_key_len;
        break;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        k = p->u.mac.key, kl = p->u.mac.key_len;
        break;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        k = p->u.aead.key, kl = p->u.aead.key_len;
        break;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        k = p->u.akcipher.key, kl = p->u.akcipher.key_len;
        break;
    default:
        break;
    }
    memset(fe->last_key, 0, sizeof(fe->last_key));
    memset(fe->last_auth_key, 0, sizeof(fe->last_auth_key));
    if (k)
        memcpy(fe->last_key, k, VC_MIN(kl, sizeof(fe->last_key)));
    if (ak)
        memcpy(fe->last_auth_key, ak, VC_MIN(akl, sizeof(fe->last_auth_key)));
    struct fake_sess *s = calloc(1, sizeof(*s));
    if (!s)
        return VIRTIO_CRYPTO_ERR;
    s->service = p->service;
    fe->live_sessions++;
    *out = (struct vc_engine_sess *)s;
    return VIRTIO_CRYPTO_OK;
}

static void fake_sess_destroy(struct vc_engine *e, struct vc_engine_sess *s)
{
    struct fake_engine *fe = (struct fake_engine *)e;
    fe->live_sessions--;
    free(s);
}

static uint8_t fake_op(struct vc_engine *e, struct vc_engine_sess *s, unsigned worker,
                       struct vc_engine_op *op)
{
    struct fake_engine *fe = (struct fake_engine *)e;
    (void)s;
    (void)worker;
    fe->ops++;
    fe->last = *op;
    if (op->src.len <= sizeof(fe->last_src))
        (void)vc_sg_read(&op->src, 0, fe->last_src, op->src.len).err;
    if (op->iv.len <= sizeof(fe->last_iv))
        (void)vc_sg_read(&op->iv, 0, fe->last_iv, op->iv.len).err;
    if (op->aad.len <= sizeof(fe->last_aad))
        (void)vc_sg_read(&op->aad, 0, fe->last_aad, op->aad.len).err;
    if (op->opcode == VIRTIO_CRYPTO_AKCIPHER_VERIFY && op->dst.len <= sizeof(fe->last_dst_in))
        (void)vc_sg_read(&op->dst, 0, fe->last_dst_in, op->dst.len).err;
    /* "Encrypt" = copy src to dst, xor 0xff, and fill the digest with 0xd1. */
    if (op->opcode != VIRTIO_CRYPTO_AKCIPHER_VERIFY) {
        uint64_t n = VC_MIN(op->src.len, op->dst.len);
        for (uint64_t i = 0; i < n; i++) {
            uint8_t b;
            (void)vc_sg_read(&op->src, i, &b, 1).err;
            b ^= 0xff;
            (void)vc_sg_write(&op->dst, i, &b, 1).err;
        }
        op->dst_written = n;
        for (uint64_t i = 0; i < op->digest.len; i++) {
            uint8_t d = 0xd1;
            (void)vc_sg_write(&op->digest, i, &d, 1).err;
        }
    }
    return fe->op_status;
}

static const struct vc_engine_caps fake_caps;

static const struct vc_engine_caps *fake_get_caps(const struct vc_engine *e)
{
    (void)e;
    return &fake_caps;
}

const struct vc_engine_ops fake_engine_ops = {
    .name = "fake",
    .caps = fake_get_caps,
    .sess_create = fake_sess_create,
    .sess_destroy = fake_sess_destroy,
    .op = fake_op,
};

void fake_engine_init(struct fake_engine *fe)
{
    memset(fe, 0, sizeof(*fe));
    fe->base.ops = &fake_engine_ops;
}
