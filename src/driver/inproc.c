/* The in-process device: vcryptod's device code (src/virtq/vq.c,
 * src/device/dataq.c + ctrlq.c + sessions.c, the OpenSSL engine) running
 * on threads of the caller's process, behind the same rings.
 *
 * IMPLEMENTATION NOTES
 * The device sees the shared region through a one-region vc_gmem (gpa = uva
 * = host = our pointer), so every descriptor goes through the same
 * translation and bounds checks as in vcryptod. One device thread per data
 * queue runs vcryptod's worker shape (disable kicks; drain; publish the
 * batch with one used->idx store and at most one call; spin opts.poll_us on
 * the avail index; re-enable kicks and re-check; sleep on the kick eventfd):
 * src/device/worker.c, the same worker vcryptod runs.
 * The control queue has no thread: ctrl_run pops and handles the request on
 * the caller's thread (control requests are serialised by ctrl_lock).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "device/ctrlq.h"
#include "device/dataq.h"
#include "device/sessions.h"
#include "device/worker.h"
#include "driver/internal.h"
#include "engine/engine.h"
#include "virtq/gmem.h"
#include "virtq/vq.h"

#define MAX_Q 63u
#define SESSIONS 4096u

struct iq {
    struct inproc *ip;
    struct vc_qp *qp;
    struct vc_vq vq;
    struct vc_dataq_ctx ctx;
    struct vc_sess_cache scache; /* ctx.cache, owned by the worker thread */
    struct vc_iov *iov;
    uint32_t iov_max;
    struct vc_qworker w;
};

struct inproc {
    struct vc_dev *dev;
    struct vc_engine *engine;
    struct vc_sess_table sessions;
    bool sessions_init;
    struct vc_gmem gmem;
    struct vc_vq cvq;
    struct vc_ctrlq_ctx cctx;
    struct vc_iov civ[16];
    struct iq q[MAX_Q];
};

static int probe(struct vc_dev *d, const char *spec)
{
    (void)spec;
    struct inproc *ip = calloc(1, sizeof(*ip));
    if (!ip)
        return VC_ENOMEM;
    d->tp_priv = ip;
    ip->dev = d;
    uint32_t nq = VC_MIN(d->opts.num_queues, MAX_Q);
    struct vc_engine_cfg ecfg = {.nworkers = nq};
    int r = vc_engine_create(&vc_engine_openssl, &ecfg, &ip->engine).err;
    if (r)
        return r;
    r = vc_sess_table_init(&ip->sessions, ip->engine, SESSIONS);
    if (r)
        return r;
    ip->sessions_init = true;
    const struct vc_engine_caps *c = vc_engine_caps(ip->engine);
    struct vc_dev_info *i = &d->info;
    i->max_dataqueues = nq;
    i->crypto_services = c->crypto_services;
    i->cipher_algo_l = c->cipher_algo_l;
    i->cipher_algo_h = c->cipher_algo_h;
    i->hash_algo = c->hash_algo;
    i->mac_algo_l = c->mac_algo_l;
    i->mac_algo_h = c->mac_algo_h;
    i->aead_algo = c->aead_algo;
    i->akcipher_algo = c->akcipher_algo;
    i->max_cipher_key_len = c->max_cipher_key_len;
    i->max_auth_key_len = c->max_auth_key_len;
    i->max_size = c->max_size ? c->max_size : (1u << 20);
    d->max_rings = nq + 1;
    /* The device code serves stateless requests of every service. */
    d->offered = (1ull << VIRTIO_CRYPTO_F_REVISION_1) | (0x1full << 1) |
                 (1ull << VIRTIO_F_VERSION_1) |
                 (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_RING_F_EVENT_IDX);
    return 0;
}

/* Our own driver broke the ring: a bug, reported to the application as a
 * broken device. arg is the queue's dataq ctx. */
static void on_broken(void *arg)
{
    struct iq *q = (struct iq *)((char *)arg - offsetof(struct iq, ctx));
    vc__dev_set_state(q->ip->dev, VC_EBROKEN);
}

static int start_ring(struct vc_vq *vq, struct vc_drv *ring, uint32_t size, bool evidx)
{
    struct vc_vq_config cfg = {.size = size, .evidx = evidx ? VC_VQ_EVIDX_ON : VC_VQ_EVIDX_OFF};
    vc_vq_init(vq, NULL, NULL);
    return vc_vq_start_ptr(vq, &cfg, ring->desc, ring->avail, ring->used).err;
}

static int start(struct vc_dev *d)
{
    struct inproc *ip = d->tp_priv;
    bool evidx = (d->info.features >> VIRTIO_RING_F_EVENT_IDX) & 1;
    struct vc_gmem_region reg = {.gpa = vc__addr(d->mem), .size = d->mem_len,
                                 .uva = vc__addr(d->mem), .host = d->mem};
    vc_gmem_init(&ip->gmem);
    int r = vc_gmem_set(&ip->gmem, &reg, 1).err;
    if (!r)
        r = start_ring(&ip->cvq, &d->cring, VC__CTRL_RING, evidx);
    if (r)
        return r;
    ip->cctx.sessions = &ip->sessions;
    ip->cctx.revision_1 = d->info.revision_1;
    ip->cctx.max_cipher_key_len = d->info.max_cipher_key_len;
    ip->cctx.max_auth_key_len = d->info.max_auth_key_len;
    ip->cctx.max_akcipher_key_len = VC_ENGINE_MAX_AKCIPHER_KEY;
    ip->cctx.key_scratch = malloc((size_t)d->info.max_cipher_key_len + d->info.max_auth_key_len +
                                  VC_ENGINE_MAX_AKCIPHER_KEY);
    if (!ip->cctx.key_scratch)
        return VC_ENOMEM;
    for (uint32_t i = 0; i < d->nqp; i++) {
        struct iq *q = &ip->q[i];
        q->ip = ip;
        q->qp = &d->qps[i];
        q->iov_max = VC__MAX_PIECES + 8;
        q->iov = calloc(q->iov_max, sizeof(*q->iov));
        q->ctx.sessions = &ip->sessions;
        q->ctx.engine = ip->engine;
        q->ctx.max_size = d->info.max_size;
        q->ctx.revision_1 = d->info.revision_1;
        q->ctx.stateless = d->info.stateless;
        q->ctx.worker = i;
        q->ctx.cache = &q->scache;
        if (!q->iov || vc_dataq_scratch_init(&q->ctx.scratch, q->iov_max))
            return VC_ENOMEM;
        r = start_ring(&q->vq, &q->qp->ring, q->qp->size, evidx);
        if (r)
            return r;
        q->w = (struct vc_qworker){.vq = &q->vq,
                                   .gmem = &ip->gmem,
                                   .kick_fd = q->qp->kick_fd,
                                   .call_fd = q->qp->call_fd,
                                   .err_fd = -1,
                                   .poll_us = d->opts.poll_us,
                                   .iov = q->iov,
                                   .iov_max = q->iov_max,
                                   .handle = vc_qworker_dataq,
                                   .idle = vc_qworker_dataq_idle,
                                   .arg = &q->ctx,
                                   .on_broken = on_broken};
        r = vc_qworker_start(&q->w);
        if (r)
            return r;
    }
    return 0;
}

static int ctrl_run(struct vc_dev *d)
{
    struct inproc *ip = d->tp_priv;
    struct vc_vq_elem elem = {.iov = ip->civ, .iov_max = VC_ARRAY_SIZE(ip->civ)};
    for (;;) {
        vc_result r = vc_vq_pop(&ip->cvq, &ip->gmem, &elem);
        if (r.err == VC_EAGAIN)
            return 0;
        if (r.err)
            return VC_EIO;
        struct vc_sg rd, wr;
        struct vc_req_result res;
        vc_sg_init(&rd, elem.iov, elem.rd_cnt);
        vc_sg_init(&wr, elem.iov + elem.rd_cnt, elem.wr_cnt);
        vc_ctrlq_handle(&ip->cctx, &rd, &wr, &res);
        if (!vc_ok(vc_vq_push(&ip->cvq, elem.head, res.used_len)))
            return VC_EIO;
    }
}

static void tp_close(struct vc_dev *d)
{
    struct inproc *ip = d->tp_priv;
    for (uint32_t i = 0; i < MAX_Q; i++) {
        struct iq *q = &ip->q[i];
        vc_qworker_stop(&q->w);
        free(q->iov);
        vc_dataq_scratch_fini(&q->ctx.scratch);
    }
    free(ip->cctx.key_scratch);
    if (ip->sessions_init)
        vc_sess_table_fini(&ip->sessions);
    if (ip->engine)
        vc_engine_destroy(ip->engine);
    free(ip);
    d->tp_priv = NULL;
}

const struct vc__transport vc__tp_inproc = {
    .name = "inproc",
    .probe = probe,
    .start = start,
    .ctrl_run = ctrl_run,
    .close = tp_close,
};
