/* Engine vtable over libvcrypto; see drv_engine.h.
 *
 * IMPLEMENTATION NOTES
 * The adapter adds no semantics of its own: parameters are copied field by
 * field into the library's structs, buffers are gathered into shared memory
 * and scattered back, and the device's status is returned. Where the
 * library answers locally (config masks, key limits, max_size, layout
 * checks) the status it stands for is the one the device gives for the same
 * request, so that a conformance suite sees one behaviour on every backend
 * (drv_engine.h, STATUS MAPPING). The few requests the public API cannot
 * carry are answered here with the engine's documented status.
 */
#include "drv_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "driver/sync.h"
#include "vcrypto/vcrypto.h"

/* Ops are synchronous; generous so that an RSA-8192 private operation under
 * ASan on a loaded machine does not time out. */
#define OP_TIMEOUT_MS 120000u
/* vc_mem_alloc pool: the largest op (iv + aad + src + dst + digest) must
 * fit, max_size (1 MiB by default) several times over. */
#define POOL_BYTES (64u << 20)
#define ALIGN 64u

struct drv_engine {
    struct vc_engine base; /* first: engine.h "begins with its ops pointer" */
    struct vc_dev *dev;
    unsigned nworkers;
    struct vc_algo_cap *algos;
    struct vc_engine_caps caps;
};

/* What the suite holds as a struct vc_engine_sess. */
struct drv_sess {
    struct vc_session *s;
};

static struct drv_engine *drv_of(struct vc_engine *e)
{
    return (struct drv_engine *)e;
}

/* ---- capabilities ---- */

static bool has_bit(uint32_t lo, uint32_t hi, uint32_t algo)
{
    return algo < 32 ? (lo >> algo) & 1 : algo < 64 && ((hi >> (algo - 32)) & 1);
}

static bool dev_has(const struct vc_dev_info *i, const struct vc_algo_cap *a)
{
    if (a->service > 31 || !(i->crypto_services >> a->service & 1))
        return false;
    switch (a->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return has_bit(i->cipher_algo_l, i->cipher_algo_h, a->algo);
    case VIRTIO_CRYPTO_SERVICE_HASH:
        return has_bit(i->hash_algo, 0, a->algo);
    case VIRTIO_CRYPTO_SERVICE_MAC:
        return has_bit(i->mac_algo_l, i->mac_algo_h, a->algo);
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        return has_bit(i->aead_algo, 0, a->algo);
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        return has_bit(i->akcipher_algo, 0, a->algo);
    default:
        return false;
    }
}

/* Rows of the engine the device runs, restricted to what the device
 * advertises (drv_engine.h, CAPABILITIES). */
static int caps_from_device(struct drv_engine *d, const struct vc_engine_cfg *cfg)
{
    struct vc_engine *ref = NULL;
    struct vc_engine_cfg rc = *cfg;
    rc.nworkers = 1;
    vc_result r = vc_engine_create(&vc_engine_openssl, &rc, &ref);
    if (!vc_ok(r))
        return r.err;
    const struct vc_engine_caps *rcaps = vc_engine_caps(ref);
    struct vc_dev_info info;
    int err = vc_dev_info(d->dev, &info);
    d->algos = calloc(rcaps->n_algos ? rcaps->n_algos : 1, sizeof(*d->algos));
    if (err || !d->algos) {
        vc_engine_destroy(ref);
        return err ? err : VC_ENOMEM;
    }
    uint32_t n = 0;
    for (uint32_t k = 0; k < rcaps->n_algos; k++) {
        struct vc_algo_cap a = rcaps->algos[k];
        if (!dev_has(&info, &a))
            continue;
        /* virtio_crypto_mac_data_req has no IV field: a MAC that needs one
         * (AES-GMAC) cannot be used through any virtio device, advertised or
         * not (drv_engine.h). */
        if (a.service == VIRTIO_CRYPTO_SERVICE_MAC && a.iv_min > 0)
            continue;
        /* The library refuses longer keys before sending (VC_ERANGE). */
        if (a.service == VIRTIO_CRYPTO_SERVICE_MAC)
            a.key_max = VC_MIN(a.key_max, info.max_auth_key_len);
        else if (a.service == VIRTIO_CRYPTO_SERVICE_CIPHER ||
                 a.service == VIRTIO_CRYPTO_SERVICE_AEAD)
            a.key_max = VC_MIN(a.key_max, info.max_cipher_key_len);
        d->algos[n++] = a;
    }
    vc_engine_destroy(ref);
    d->caps.algos = d->algos;
    d->caps.n_algos = n;
    vc_engine_caps_derive(&d->caps);
    d->caps.max_size = info.max_size;
    return 0;
}

/* ---- vtable ---- */

static void drv_destroy(struct vc_engine *e)
{
    struct drv_engine *d = drv_of(e);
    vc_dev_close(d->dev);
    free(d->algos);
    free(d);
}

static int open_dev(const char *spec, const struct vc_engine_cfg *cfg, struct vc_engine **out)
{
    static const struct vc_engine_cfg dflt = {.nworkers = 1};
    if (!cfg)
        cfg = &dflt;
    if (cfg->nworkers == 0 || cfg->nworkers > VC_ENGINE_MAX_WORKERS)
        return VC_EINVAL;
    struct drv_engine *d = calloc(1, sizeof(*d));
    if (!d)
        return VC_ENOMEM;
    d->base.ops = &vc_test_drv_engine;
    d->nworkers = cfg->nworkers;
    struct vc_dev_opts o;
    vc_dev_opts_init(&o);
    o.num_queues = cfg->nworkers;
    o.mem_size = POOL_BYTES;
    int r = vc_dev_open(spec, &o, &d->dev);
    struct vc_dev_info info;
    if (!r)
        r = vc_dev_info(d->dev, &info);
    /* One qp per worker, or two workers would share a qp. */
    if (!r && info.num_queues < cfg->nworkers) {
        fprintf(stderr, "drv_engine: %s gave %u queue pairs for %u workers\n", spec,
                info.num_queues, cfg->nworkers);
        r = VC_ENOTSUP;
    }
    if (!r)
        r = caps_from_device(d, cfg);
    if (r) {
        drv_destroy(&d->base);
        return r;
    }
    *out = &d->base;
    return 0;
}

static vc_result drv_create(const struct vc_engine_cfg *cfg, struct vc_engine **out)
{
    int r = open_dev("inproc", cfg, out);
    return r ? VC_ERR_RESULT(r) : VC_OK_RESULT;
}

static const struct vc_engine_caps *drv_caps(const struct vc_engine *e)
{
    return &((const struct drv_engine *)e)->caps;
}

/* VC_E* of vc_session_create -> the status the device stands behind. */
static uint8_t create_status(int err)
{
    switch (err) {
    case 0:
        return VIRTIO_CRYPTO_OK;
    case VC_ENOTSUP:
        return VIRTIO_CRYPTO_NOTSUPP;
    case VC_EINVAL:
    case VC_ERANGE:
    case VC_ENOMEM:
        return VIRTIO_CRYPTO_ERR;
    case VC_ENOSPC:
        return VIRTIO_CRYPTO_NOSPC;
    case VC_EIO:
        return VC_OP_STATUS_DEVICE_LOST;
    default:
        return VC_OP_STATUS_BAD_DEVICE;
    }
}

/* Fills q from p. Returns OK, or the engine's status for a request the
 * library API cannot express (drv_engine.h). */
static uint8_t map_params(const struct vc_sess_params *p, struct vc_session_params *q)
{
    memset(q, 0, sizeof(*q));
    q->service = p->service;
    switch (p->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER: {
        const __typeof__(p->u.sym) *s = &p->u.sym;
        q->u.cipher.algo = s->cipher.algo;
        q->u.cipher.op = s->cipher.op;
        q->u.cipher.key = s->cipher.key;
        q->u.cipher.key_len = s->cipher.key_len;
        if (s->op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER)
            return VIRTIO_CRYPTO_OK;
        if (s->op_type != VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING)
            return VIRTIO_CRYPTO_NOTSUPP;
        if (s->hash_mode == 0)
            return VIRTIO_CRYPTO_ERR;
        q->u.cipher.chain_order = s->chain_order;
        q->u.cipher.chain_hash_mode = s->hash_mode;
        q->u.cipher.chain_algo = s->hash_algo;
        q->u.cipher.chain_digest_len = s->hash_result_len;
        q->u.cipher.auth_key = s->auth_key;
        q->u.cipher.auth_key_len = s->auth_key_len;
        q->u.cipher.aad_len = s->aad_len;
        return VIRTIO_CRYPTO_OK;
    }
    case VIRTIO_CRYPTO_SERVICE_HASH:
        q->u.hash.algo = p->u.hash.algo;
        q->u.hash.digest_len = p->u.hash.result_len;
        return VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        q->u.mac.algo = p->u.mac.algo;
        q->u.mac.digest_len = p->u.mac.result_len;
        q->u.mac.key = p->u.mac.key;
        q->u.mac.key_len = p->u.mac.key_len;
        return VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        q->u.aead.algo = p->u.aead.algo;
        q->u.aead.op = p->u.aead.op;
        q->u.aead.key = p->u.aead.key;
        q->u.aead.key_len = p->u.aead.key_len;
        q->u.aead.tag_len = p->u.aead.tag_len;
        q->u.aead.aad_len = p->u.aead.aad_len;
        return VIRTIO_CRYPTO_OK;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        q->u.akcipher.algo = p->u.akcipher.algo;
        q->u.akcipher.key_type = p->u.akcipher.key_type;
        q->u.akcipher.key = p->u.akcipher.key;
        q->u.akcipher.key_len = p->u.akcipher.key_len;
        q->u.akcipher.rsa_padding = p->u.akcipher.rsa_padding;
        q->u.akcipher.rsa_hash = p->u.akcipher.rsa_hash;
        q->u.akcipher.curve = p->u.akcipher.ecdsa_curve;
        return VIRTIO_CRYPTO_OK;
    default:
        /* Unknown services go to the library as they are: it refuses them
         * (VC_EINVAL or VC_ENOTSUP) as the device would. */
        return VIRTIO_CRYPTO_OK;
    }
}

static uint8_t drv_sess_create(struct vc_engine *e, const struct vc_sess_params *p,
                               struct vc_engine_sess **out)
{
    struct drv_engine *d = drv_of(e);
    *out = NULL;
    struct vc_session_params q;
    uint8_t st = map_params(p, &q);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    struct drv_sess *s = calloc(1, sizeof(*s));
    if (!s)
        return VIRTIO_CRYPTO_ERR;
    int r = vc_session_create(d->dev, &q, &s->s);
    if (r) {
        if (r != VC_ENOTSUP && r != VC_EINVAL && r != VC_ERANGE)
            fprintf(stderr, "drv_engine: vc_session_create: %s\n", vc_errname(r));
        free(s);
        return create_status(r);
    }
    *out = (struct vc_engine_sess *)s;
    return VIRTIO_CRYPTO_OK;
}

static void drv_sess_destroy(struct vc_engine *e, struct vc_engine_sess *es)
{
    (void)e;
    struct drv_sess *s = (struct drv_sess *)es;
    if (!s)
        return;
    int r = vc_session_destroy(s->s);
    if (r)
        fprintf(stderr, "drv_engine: vc_session_destroy: %s\n", vc_errname(r));
    free(s);
}

/* Offset of the next field in the op's block, 64-byte aligned. */
static uint64_t field(uint64_t *off, uint64_t len)
{
    uint64_t at = *off;
    *off += (len + ALIGN - 1) / ALIGN * ALIGN;
    return at;
}

/* Completion status -> engine status (drv_engine.h, STATUS MAPPING). */
static uint8_t op_status(uint8_t st)
{
    switch (st) {
    case VC_OP_STATUS_TOO_BIG:
    case VC_OP_STATUS_INVALID:
        return VIRTIO_CRYPTO_ERR;
    case VC_OP_STATUS_NOTSUPP_LOCAL:
        return VIRTIO_CRYPTO_NOTSUPP;
    default:
        return st;
    }
}

static uint8_t drv_op(struct vc_engine *e, struct vc_engine_sess *es, unsigned worker,
                      struct vc_engine_op *eop)
{
    struct drv_engine *d = drv_of(e);
    struct drv_sess *s = (struct drv_sess *)es;
    eop->dst_written = 0;
    if (!s)
        return VIRTIO_CRYPTO_INVSESS;
    if (worker >= d->nworkers)
        return VIRTIO_CRYPTO_ERR;
    /* Not expressible: the HASH and MAC requests have no IV field, and
     * libvcrypto would drop it silently. */
    if ((eop->opcode == VIRTIO_CRYPTO_HASH || eop->opcode == VIRTIO_CRYPTO_MAC) && eop->iv.len)
        return VIRTIO_CRYPTO_ERR;
    const struct vc_sg *sg[5] = {&eop->iv, &eop->aad, &eop->src, &eop->dst, &eop->digest};
    uint64_t at[5], total = 0;
    for (unsigned i = 0; i < 5; i++) {
        if (sg[i]->len > UINT32_MAX)
            return VIRTIO_CRYPTO_ERR;
        at[i] = field(&total, sg[i]->len);
    }
    if (eop->cipher_start > UINT32_MAX || eop->cipher_len > UINT32_MAX ||
        eop->hash_start > UINT32_MAX || eop->hash_len > UINT32_MAX)
        return VIRTIO_CRYPTO_ERR;
    uint8_t *blk = vc_mem_alloc(d->dev, total ? (size_t)total : 1);
    if (!blk) {
        fprintf(stderr, "drv_engine: vc_mem_alloc(%llu) failed\n", (unsigned long long)total);
        return VC_OP_STATUS_TOO_BIG;
    }
    /* dst and digest too: bytes the device leaves alone must come back
     * unchanged, as they would in guest memory. */
    for (unsigned i = 0; i < 5; i++) {
        if (!vc_ok(vc_sg_read(sg[i], 0, blk + at[i], sg[i]->len))) {
            vc_mem_free(d->dev, blk);
            return VC_OP_STATUS_INVALID; /* cannot happen: the whole sg */
        }
    }
    struct vc_op op = {
        .session = s->s,
        .opcode = eop->opcode,
        .iv = blk + at[0],
        .iv_len = (uint32_t)eop->iv.len,
        .aad = blk + at[1],
        .aad_len = (uint32_t)eop->aad.len,
        .src = blk + at[2],
        .src_len = (uint32_t)eop->src.len,
        .dst = blk + at[3],
        .dst_len = (uint32_t)eop->dst.len,
        .digest = blk + at[4],
        .digest_len = (uint32_t)eop->digest.len,
        .cipher_offset = (uint32_t)eop->cipher_start,
        .cipher_len = (uint32_t)eop->cipher_len,
        .hash_offset = (uint32_t)eop->hash_start,
        .hash_len = (uint32_t)eop->hash_len,
    };
    int r = vc__sync_run(vc_dev_qp(d->dev, worker), &op, OP_TIMEOUT_MS);
    if (r) {
        /* The op may still belong to the library: leak its block rather
         * than hand the device memory we reuse. */
        fprintf(stderr, "drv_engine: op 0x%x: %s\n", eop->opcode, vc_errname(r));
        return VC_OP_STATUS_DEVICE_LOST;
    }
    uint8_t st = op_status(op.status);
    /* Whole sgs of the lengths measured above: these cannot fail. */
    vc_result w = VC_OK_RESULT;
    if (eop->opcode != VIRTIO_CRYPTO_AKCIPHER_VERIFY)
        w = vc_sg_write(&eop->dst, 0, blk + at[3], eop->dst.len);
    if (vc_ok(w))
        w = vc_sg_write(&eop->digest, 0, blk + at[4], eop->digest.len);
    if (!vc_ok(w))
        st = VC_OP_STATUS_INVALID;
    eop->dst_written = st == VIRTIO_CRYPTO_OK ? op.dst_written : 0;
    vc_mem_free(d->dev, blk);
    return st;
}

const struct vc_engine_ops vc_test_drv_engine = {
    .name = "libvcrypto",
    .create = drv_create,
    .destroy = drv_destroy,
    .caps = drv_caps,
    .sess_create = drv_sess_create,
    .sess_destroy = drv_sess_destroy,
    .op = drv_op,
};

/* ---- backend selection ---- */

const char *drv_engine_backend(void)
{
    const char *b = getenv("VC_KAT_BACKEND");
    return b && *b ? b : "engine";
}

int drv_engine_create(const char *backend, const struct vc_engine_cfg *cfg,
                      struct vc_engine **out)
{
    *out = NULL;
    if (!backend || !strcmp(backend, "engine"))
        return vc_engine_create(&vc_engine_openssl, cfg, out).err;
    if (!strcmp(backend, "inproc") || !strncmp(backend, "vhost-user:", 11))
        return open_dev(backend, cfg, out);
    return VC_EINVAL;
}
