/* One virtio-crypto device served by vcryptod: the backend behind one
 * vhost-user socket (one guest).
 *
 * A device owns its engine instance, its session table (which outlives
 * frontend connections, so session ids survive a QEMU reconnect), its config
 * space, and one worker thread per started queue. The vhost-user layer
 * (src/vhost) calls into it through struct vc_vu_backend_ops.
 *
 * Modes (docs/VCRYPTOD.md): with QEMU's cryptodev-vhost-user only the data
 * queues are started and sessions come over the socket (legacy request
 * format). A frontend that also starts ring index num_queues gets the
 * control queue served here ("full-device mode": every service's sessions);
 * one that acks VIRTIO_CRYPTO_F_REVISION_1 gets the REVISION_1 formats.
 *
 * Isolation: nothing is shared between devices but the process. A device's
 * broken ring or bad request never touches another device's state.
 *
 * Threading: vc_ddev_* functions run on the daemon's loop thread. Workers
 * touch only their own queue's state; statistics are read with relaxed
 * atomics from the loop thread (stats JSON).
 */
#ifndef VC_DAEMON_DEV_H
#define VC_DAEMON_DEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/jbuf.h"
#include "device/ctrlq.h"
#include "device/dataq.h"
#include "device/sessions.h"
#include "device/stats.h"
#include "device/worker.h"
#include "engine/engine.h"
#include "vhost/vhost.h"
#include "virtq/vq.h"

struct vc_ddev_cfg {
    const char *name;      /* for logs and stats */
    uint32_t num_queues;   /* data queues, 1..VC_VU_MAX_QUEUES-1 */
    uint32_t max_sessions; /* per-device session cap */
    uint64_t max_size;     /* advertised/enforced max_size */
    uint32_t poll_us;      /* busy-poll this long before sleeping on the kick fd */
    uint64_t rate_ops;     /* per-device request rate limit (per second; 0 = none) */
    uint64_t rate_bytes;   /* per-device source-byte rate limit (per second; 0 = none) */
    enum vc_vu_layout layout;
};

struct vc_ddev_queue {
    struct vc_ddev *dev;
    uint32_t index;
    struct vc_qworker w;
    bool running;
    struct vc_vu_vring vr;
    bool is_ctrl; /* the control queue (index num_queues, full-device mode) */
    struct vc_dataq_ctx ctx;
    struct vc_sess_cache scache; /* ctx.cache: owned by the worker thread */
    struct vc_ctrlq_ctx cctx;
    struct vc_iov *iov; /* chain storage */
    uint32_t iov_max;
    struct vc_qstats stats;
    atomic_bool broken;
};

struct vc_ddev {
    char name[64];
    struct vc_ddev_cfg cfg;
    struct vc_engine *engine;
    struct vc_sess_table sessions;
    struct virtio_crypto_config config; /* little endian, as the guest sees it */
    struct vc_vu_dev *vu;
    /* q[0 .. num_queues) data queues, q[num_queues] the control queue */
    struct vc_ddev_queue q[VC_VU_MAX_QUEUES];
    bool revision_1; /* VIRTIO_CRYPTO_F_REVISION_1 acked by the frontend */
    uint32_t stateless; /* bit s: stateless mode acked for service s */
};

/* Creates a device (engine, session table, vhost-user state). Returns 0 or a
 * negative VC_E* code. Free with vc_ddev_free. */
int vc_ddev_new(const struct vc_ddev_cfg *cfg, struct vc_ddev **out);
/* Stops every worker, frees the vhost state, wipes and frees sessions. */
void vc_ddev_free(struct vc_ddev *d);

/* Appends this device's statistics object to b (see docs/STATS.md). */
void vc_ddev_stats_json(struct vc_ddev *d, struct vc_jbuf *b);

#endif
