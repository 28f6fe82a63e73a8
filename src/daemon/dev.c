/* vcryptod device: backend hooks for the vhost-user layer and the data-queue
 * workers.
 *
 * IMPLEMENTATION NOTES
 * Worker loop per data queue (STYLE.md rule 8's "disable; drain; while
 * (!enable) drain" shape): pop every available chain, handle it, complete it,
 * then publish all completions with one used->idx store and at most one call
 * notification per batch. Before sleeping, re-enable kicks and re-check the
 * ring to close the race with a driver that published meanwhile. With
 * cfg.poll_us the worker spins that long on the avail index first, so a
 * driver that polls never needs to kick.
 */
#include "daemon/dev.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "vcrypto/err.h"

#define BATCH 64

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void signal_fd(int fd)
{
    if (fd < 0)
        return;
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof(one));
    (void)r;
}

static void drain_fd(int fd)
{
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof(v));
    (void)r;
}

static void flush(struct vc_ddev_queue *q, struct vc_vq_done *done, uint32_t *n)
{
    if (*n == 0)
        return;
    if (!vc_ok(vc_vq_push_n(q->vr.vq, done, *n)))
        VC_ERR("%s: q%u: completion of %u requests refused", q->dev->name, q->index, *n);
    *n = 0;
    if (vc_vq_should_notify(q->vr.vq)) {
        signal_fd(q->vr.call_fd);
        vc_stat_add(&q->stats.notifies, 1);
    }
}

/* Drains the ring once. Returns false if the ring is broken. */
static bool drain(struct vc_ddev_queue *q)
{
    struct vc_vq_done done[BATCH];
    uint32_t n = 0;
    struct vc_vq_elem elem = {.iov = q->iov, .iov_max = q->iov_max};
    for (;;) {
        vc_result r = vc_vq_pop(q->vr.vq, q->vr.gmem, &elem);
        if (r.err == VC_EAGAIN)
            break;
        if (r.err != 0) {
            flush(q, done, &n);
            return false;
        }
        struct vc_sg rd, wr;
        vc_sg_init(&rd, elem.iov, elem.rd_cnt);
        vc_sg_init(&wr, elem.iov + elem.rd_cnt, elem.wr_cnt);
        struct vc_req_result res;
        if (q->is_ctrl) {
            vc_ctrlq_handle(&q->cctx, &rd, &wr, &res);
            vc_stat_add(&q->stats.requests, 1);
            vc_stat_add(&q->stats.status[res.status <= VIRTIO_CRYPTO_MAX_STATUS
                                             ? res.status
                                             : VIRTIO_CRYPTO_ERR],
                        1);
        } else {
            vc_dataq_handle(&q->ctx, &rd, &wr, &res, &q->stats);
        }
        if (res.no_status)
            VC_WARN("%s: q%u: request without room for a status byte", q->dev->name,
                    q->index);
        done[n].head = elem.head;
        done[n].len = res.used_len;
        if (++n == BATCH)
            flush(q, done, &n);
    }
    flush(q, done, &n);
    return true;
}

static void *worker(void *arg)
{
    struct vc_ddev_queue *q = arg;
    struct pollfd pfd[2] = {{.fd = q->vr.kick_fd, .events = POLLIN},
                            {.fd = q->stop_fd, .events = POLLIN}};
    while (!atomic_load(&q->stop)) {
        vc_vq_disable_notify(q->vr.vq);
        if (!drain(q)) {
            /* Broken ring (DEVICE_NEEDS_RESET semantics): only this queue
             * stops; tell the frontend and wait to be stopped. */
            atomic_store(&q->broken, true);
            vc_stat_add(&q->stats.broken, 1);
            VC_ERR("%s: q%u: ring broken (%s); device needs reset", q->dev->name, q->index,
                   vc_vq_fault_str(vc_vq_broken_reason(q->vr.vq)));
            signal_fd(q->vr.err_fd);
            while (!atomic_load(&q->stop))
                poll(&pfd[1], 1, -1);
            break;
        }
        if (q->dev->cfg.poll_us) {
            uint64_t until = now_ns() + (uint64_t)q->dev->cfg.poll_us * 1000u;
            bool got = false;
            while (!atomic_load(&q->stop) && now_ns() < until) {
                if (vc_vq_has_avail(q->vr.vq)) {
                    got = true;
                    break;
                }
                /* On a machine with fewer free cores than spinners the
                 * driver we wait for may need this very CPU (measured:
                 * 55-60 us per burst-1 request without the yield). */
                sched_yield();
            }
            if (got)
                continue;
        }
        if (vc_vq_enable_notify(q->vr.vq))
            continue;
        int pr = poll(pfd, q->vr.kick_fd >= 0 ? 2 : 1, q->vr.kick_fd >= 0 ? -1 : 1);
        if (pr < 0 && errno != EINTR)
            break;
        if (q->vr.kick_fd >= 0 && (pfd[0].revents & POLLIN)) {
            drain_fd(q->vr.kick_fd);
            vc_stat_add(&q->stats.kicks, 1);
        }
    }
    return NULL;
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
    atomic_store(&q->stop, false);
    atomic_store(&q->broken, false);
    drain_fd(q->stop_fd);
    if (pthread_create(&q->thread, NULL, worker, q) != 0)
        return VC_ENOMEM;
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
    atomic_store(&q->stop, true);
    signal_fd(q->stop_fd);
    pthread_join(q->thread, NULL);
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
    for (uint32_t i = 0; i < VC_VU_MAX_QUEUES; i++)
        d->q[i].stop_fd = -1;

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
        q->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        q->iov_max = VC_VU_MAX_RING + 8;
        q->iov = calloc(q->iov_max, sizeof(*q->iov));
        q->ctx.sessions = &d->sessions;
        q->ctx.engine = d->engine;
        q->ctx.max_size = d->cfg.max_size;
        q->ctx.worker = i;
        if (q->stop_fd < 0 || !q->iov || vc_dataq_scratch_init(&q->ctx.scratch, q->iov_max))
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
        if (q->stop_fd >= 0)
            close(q->stop_fd);
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
