/* vcryptod device: backend hooks for the vhost-user layer. Each started ring
 * gets a queue worker (src/device/worker.h, shared with the in-process
 * device) running the data-queue or control-queue handler. */
#include "daemon/dev.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vcrypto/err.h"

/* Control-queue handler: session requests, counted in the queue stats. */
static void handle_ctrl(void *arg, const struct vc_sg *rd, const struct vc_sg *wr,
                        struct vc_req_result *res)
{
    struct vc_ddev_queue *q = arg;
    vc_ctrlq_handle(&q->cctx, rd, wr, res);
    vc_stat_add(&q->stats.requests, 1);
    vc_stat_add(&q->stats.status[res->status <= VIRTIO_CRYPTO_MAX_STATUS ? res->status
                                                                         : VIRTIO_CRYPTO_ERR],
                1);
}

static void handle_data(void *arg, const struct vc_sg *rd, const struct vc_sg *wr,
                        struct vc_req_result *res)
{
    struct vc_ddev_queue *q = arg;
    vc_dataq_handle(&q->ctx, rd, wr, res, &q->stats);
}

static void idle_data(void *arg)
{
    struct vc_ddev_queue *q = arg;
    vc_dataq_idle(&q->ctx);
}

static void on_broken(void *arg)
{
    struct vc_ddev_queue *q = arg;
    atomic_store(&q->broken, true);
    VC_ERR("%s: q%u: ring broken (%s); device needs reset", q->dev->name, q->index,
           vc_vq_fault_str(vc_vq_broken_reason(q->vr.vq)));
}

/* ---- vhost-user backend hooks */

static int b_get_config(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
    struct vc_ddev *d = ctx;
    memcpy(buf, (const uint8_t *)&d->config + off, len);
    return 0;
}

static uint8_t b_create_session(void *ctx, const struct vc_sess_params *p, uint64_t *id)
{
    struct vc_ddev *d = ctx;
    uint8_t st = vc_sess_create(&d->sessions, p, id);
    VC_DEBUG("%s: create session service %u: status %u", d->name, p->service, st);
    return st;
}

static uint8_t b_close_session(void *ctx, uint64_t id)
{
    struct vc_ddev *d = ctx;
    return vc_sess_destroy(&d->sessions, id);
}

/* REVISION_1 and stateless mode for all five services. QEMU's
 * cryptodev-vhost-user never acks these (the legacy format stays); our
 * driver library and generic frontends do. */
#define DEVICE_FEATURES                                                                            \
    ((1ull << VIRTIO_CRYPTO_F_REVISION_1) | (1ull << VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE) |     \
     (1ull << VIRTIO_CRYPTO_F_HASH_STATELESS_MODE) | (1ull << VIRTIO_CRYPTO_F_MAC_STATELESS_MODE) | \
     (1ull << VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE) |                                               \
     (1ull << VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE))

static uint64_t b_get_features(void *ctx)
{
    (void)ctx;
    return DEVICE_FEATURES;
}

static void b_set_features(void *ctx, uint64_t features)
{
    struct vc_ddev *d = ctx;
    /* Rings are stopped while this runs, so workers see a stable value. */
    d->revision_1 = (features >> VIRTIO_CRYPTO_F_REVISION_1) & 1;
    /* "VIRTIO_CRYPTO_F_<SERVICE>_STATELESS_MODE requires
     * VIRTIO_CRYPTO_F_REVISION_1": feature bit s + 1 is service s. */
    d->stateless = d->revision_1 ? (uint32_t)(features >> 1) & 0x1f : 0;
    for (uint32_t i = 0; i <= d->cfg.num_queues; i++) {
        d->q[i].ctx.revision_1 = d->revision_1;
        d->q[i].ctx.stateless = d->stateless;
        d->q[i].cctx.revision_1 = d->revision_1;
    }
}

static int b_vring_start(void *ctx, const struct vc_vu_vring *vr)
{
    struct vc_ddev *d = ctx;
    if (vr->index > d->cfg.num_queues)
        return VC_ERANGE;
    struct vc_ddev_queue *q = &d->q[vr->index];
    if (q->running)
        return VC_EINVAL;
    q->vr = *vr;
    atomic_store(&q->broken, false);
    struct vc_qworker *w = &q->w;
    w->vq = vr->vq;
    w->gmem = vr->gmem;
    w->kick_fd = vr->kick_fd;
    w->call_fd = vr->call_fd;
    w->err_fd = vr->err_fd;
    w->poll_us = d->cfg.poll_us;
    w->iov = q->iov;
    w->iov_max = q->iov_max;
    w->stats = &q->stats;
    w->on_broken = on_broken;
    /* The device's limits are shared evenly by its data queues. */
    w->rate_ops = q->is_ctrl ? 0 : (d->cfg.rate_ops + d->cfg.num_queues - 1) / d->cfg.num_queues;
    w->rate_bytes =
        q->is_ctrl ? 0 : (d->cfg.rate_bytes + d->cfg.num_queues - 1) / d->cfg.num_queues;
    w->handle = q->is_ctrl ? handle_ctrl : handle_data;
    w->idle = q->is_ctrl ? NULL : idle_data;
    q->ctx.cache = q->is_ctrl ? NULL : &q->scache;
    w->arg = q;
    int err = vc_qworker_start(w);
    if (err)
        return err;
    q->running = true;
    VC_INFO("%s: q%u started (kick fd %d, call fd %d)", d->name, vr->index, vr->kick_fd,
            vr->call_fd);
    return 0;
}

static void b_vring_stop(void *ctx, uint32_t index)
{
    struct vc_ddev *d = ctx;
    if (index > d->cfg.num_queues || !d->q[index].running)
        return;
    struct vc_ddev_queue *q = &d->q[index];
    vc_qworker_stop(&q->w);
    q->running = false;
    VC_INFO("%s: q%u stopped", d->name, index);
}

static const struct vc_vu_backend_ops backend_ops = {
    .get_features = b_get_features,
    .set_features = b_set_features,
    .get_config = b_get_config,
    .create_session = b_create_session,
    .close_session = b_close_session,
    .vring_start = b_vring_start,
    .vring_stop = b_vring_stop,
};

static void fill_config(struct vc_ddev *d)
{
    const struct vc_engine_caps *c = vc_engine_caps(d->engine);
    struct virtio_crypto_config *k = &d->config;
    k->status = htole32(VIRTIO_CRYPTO_S_HW_READY);
    k->max_dataqueues = htole32(d->cfg.num_queues);
    k->crypto_services = htole32(c->crypto_services);
    k->cipher_algo_l = htole32(c->cipher_algo_l);
    k->cipher_algo_h = htole32(c->cipher_algo_h);
    k->hash_algo = htole32(c->hash_algo);
    k->mac_algo_l = htole32(c->mac_algo_l);
    k->mac_algo_h = htole32(c->mac_algo_h);
    k->aead_algo = htole32(c->aead_algo);
    k->max_cipher_key_len = htole32(c->max_cipher_key_len);
    k->max_auth_key_len = htole32(c->max_auth_key_len);
    k->akcipher_algo = htole32(c->akcipher_algo);
    k->max_size = htole64(d->cfg.max_size);
}

int vc_ddev_new(const struct vc_ddev_cfg *cfg, struct vc_ddev **out)
{
    if (cfg->num_queues == 0 || cfg->num_queues >= VC_VU_MAX_QUEUES)
        return VC_EINVAL;
    struct vc_ddev *d = calloc(1, sizeof(*d));
    if (!d)
        return VC_ENOMEM;
    d->cfg = *cfg;
    if (!d->cfg.max_size)
        d->cfg.max_size = 1u << 20;
    if (!d->cfg.max_sessions)
        d->cfg.max_sessions = 1024;
    snprintf(d->name, sizeof(d->name), "%s", cfg->name ? cfg->name : "dev");
    d->cfg.name = d->name;

    struct vc_engine_cfg ecfg = {.nworkers = cfg->num_queues, .max_size = d->cfg.max_size};
    int err = vc_engine_create(&vc_engine_openssl, &ecfg, &d->engine).err;
    if (!err)
        err = vc_sess_table_init(&d->sessions, d->engine, d->cfg.max_sessions);
    if (err) {
        vc_ddev_free(d);
        return err;
    }
    fill_config(d);
    const struct vc_engine_caps *caps = vc_engine_caps(d->engine);
    for (uint32_t i = 0; i <= cfg->num_queues && !err; i++) {
        struct vc_ddev_queue *q = &d->q[i];
        q->dev = d;
        q->index = i;
        q->is_ctrl = i == cfg->num_queues;
        if (q->is_ctrl) {
            q->cctx.sessions = &d->sessions;
            q->cctx.max_cipher_key_len = caps->max_cipher_key_len;
            q->cctx.max_auth_key_len = caps->max_auth_key_len;
            q->cctx.max_akcipher_key_len = VC_ENGINE_MAX_AKCIPHER_KEY;
            q->cctx.key_scratch = malloc(VC_MAX(caps->max_cipher_key_len + caps->max_auth_key_len,
                                                VC_ENGINE_MAX_AKCIPHER_KEY));
            if (!q->cctx.key_scratch)
                err = VC_ENOMEM;
        }
        q->iov_max = VC_VU_MAX_RING + 8;
        q->iov = calloc(q->iov_max, sizeof(*q->iov));
        q->ctx.sessions = &d->sessions;
        q->ctx.engine = d->engine;
        q->ctx.max_size = d->cfg.max_size;
        q->ctx.worker = i;
        if (!q->iov || vc_dataq_scratch_init(&q->ctx.scratch, q->iov_max))
            err = VC_ENOMEM;
    }
    /* The vhost layer sees num_queues + 1 rings: the last one is the control
     * queue, used only in full-device mode. */
    struct vc_vu_cfg vcfg = {.num_queues = cfg->num_queues + 1, .layout = cfg->layout,
                             .name = d->name};
    if (!err)
        err = vc_vu_dev_new(&vcfg, &backend_ops, d, &d->vu);
    if (err) {
        vc_ddev_free(d);
        return err;
    }
    *out = d;
    return 0;
}

void vc_ddev_free(struct vc_ddev *d)
{
    if (!d)
        return;
    /* Stops the rings through vring_stop, so workers are gone after this. */
    vc_vu_dev_free(d->vu);
    for (uint32_t i = 0; i < VC_VU_MAX_QUEUES; i++) {
        struct vc_ddev_queue *q = &d->q[i];
        if (q->running)
            b_vring_stop(d, i);
        free(q->iov);
        free(q->cctx.key_scratch);
        vc_dataq_scratch_fini(&q->ctx.scratch);
    }
    if (d->sessions.slots)
        vc_sess_table_fini(&d->sessions);
    vc_engine_destroy(d->engine);
    free(d);
}

static const char *const status_names[] = {"ok",      "err",   "badmsg",       "notsupp",
                                           "invsess", "nospc", "key_rejected", "sa_soft_expiry"};

void vc_ddev_stats_json(struct vc_ddev *d, struct vc_jbuf *b)
{
    struct vc_vu_info info;
    vc_vu_get_info(d->vu, &info);
    vc_jbuf_obj_open(b, NULL);
    vc_jbuf_str(b, "name", d->name);
    struct vc_sess_stats ss;
    vc_sess_stats(&d->sessions, &ss);
    vc_jbuf_u64(b, "sessions", ss.live);
    vc_jbuf_u64(b, "sessions_created", ss.created);
    vc_jbuf_u64(b, "sessions_refused", ss.refused);
    vc_jbuf_u64(b, "sessions_closed", ss.destroyed);
    vc_jbuf_u64(b, "memory_regions", info.nregions);
    vc_jbuf_u64(b, "messages_refused", info.refused);
    bool broken = false;
    vc_jbuf_bool(b, "revision_1", d->revision_1);
    vc_jbuf_u64(b, "stateless_services", d->stateless);
    vc_jbuf_arr_open(b, "queues");
    for (uint32_t i = 0; i <= d->cfg.num_queues; i++) {
        struct vc_ddev_queue *q = &d->q[i];
        bool qb = atomic_load(&q->broken);
        broken |= qb;
        vc_jbuf_obj_open(b, NULL);
        vc_jbuf_u64(b, "index", i);
        vc_jbuf_str(b, "type", q->is_ctrl ? "control" : "data");
        vc_jbuf_bool(b, "started", vc_vu_ring_started(d->vu, i));
        vc_jbuf_bool(b, "broken", qb);
        vc_jbuf_u64(b, "requests", vc_stat_get(&q->stats.requests));
        vc_jbuf_u64(b, "bytes_in", vc_stat_get(&q->stats.bytes_in));
        vc_jbuf_u64(b, "bytes_out", vc_stat_get(&q->stats.bytes_out));
        vc_jbuf_u64(b, "kicks", vc_stat_get(&q->stats.kicks));
        vc_jbuf_u64(b, "notifies", vc_stat_get(&q->stats.notifies));
        vc_jbuf_u64(b, "broken_events", vc_stat_get(&q->stats.broken));
        vc_jbuf_u64(b, "throttled_ns", vc_stat_get(&q->stats.throttled_ns));
        vc_jbuf_obj_open(b, "status");
        for (uint32_t s = 0; s <= VIRTIO_CRYPTO_MAX_STATUS; s++)
            vc_jbuf_u64(b, status_names[s], vc_stat_get(&q->stats.status[s]));
        vc_jbuf_obj_close(b);
        vc_jbuf_obj_close(b);
    }
    vc_jbuf_arr_close(b);
    vc_jbuf_bool(b, "broken", broken);
    vc_jbuf_obj_close(b);
}
