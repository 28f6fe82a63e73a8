/* The vhost-user protocol table and the message processor.
 *
 * IMPLEMENTATION NOTES
 * One X-macro row per request we serve (STYLE.md rule 7):
 *   X(request, handler, fds, min_size, max_size, quiesce)
 *     fds      exact number of fds the message must carry, or FDS_ANY when
 *              the handler checks (SET_MEM_TABLE: one per region; vring fd
 *              messages: 0 or 1 by the NOFD bit)
 *     min/max  payload size bounds, checked before the handler runs
 *     quiesce  Q_NONE, Q_RING or Q_ALL: stop the running ring the message
 *              names (Q_RING) or every running ring (Q_ALL) around the
 *              handler and restart the ready ones afterwards, because the
 *              message changes what a worker uses (ring addresses and
 *              fds; memory and features for all rings)
 * Requests not in the table (logging, inflight, postcopy, IOTLB, ...) are
 * refused: their fds are closed, a REPLY_ACK failure is sent if asked for,
 * and the connection is kept (hostile-inputs #37).
 *
 * Every fd in a message is either taken by a handler or closed here before
 * vc_vu_process() returns (hostile-inputs #32: the fd count stays flat).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vcrypto/err.h"
#include "vcrypto/virtio_crypto.h"
#include "vhost/dev.h"
#include "vhost/session.h"

#define FDS_ANY (-1)
#define CONFIG_SPACE_SIZE ((uint32_t)sizeof(struct virtio_crypto_config))

typedef int (*handler_fn)(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                          bool *has_reply);

static int h_get_features(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_set_features(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_get_protocol_features(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *,
                                   bool *);
static int h_set_protocol_features(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *,
                                   bool *);
static int h_nop(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_mem_table(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_queue_num(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_get_config(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_set_config(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_create_session(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);
static int h_close_session(struct vc_vu_dev *, struct vc_vu_msg *, struct vc_vu_msg *, bool *);

#define U64 sizeof(uint64_t)
#define STATE sizeof(struct vhost_user_vring_state)
#define ADDR sizeof(struct vhost_user_vring_addr)
#define MEM_MAX sizeof(struct vhost_user_memory)
#define CFG_MAX sizeof(struct vhost_user_config)

/* X(request, handler, fds, min_size, max_size, quiesce) */
#define VC_VU_HANDLERS(X)                                                                          \
    X(VHOST_USER_GET_FEATURES, h_get_features, 0, 0, 0, Q_NONE)                                    \
    X(VHOST_USER_SET_FEATURES, h_set_features, 0, U64, U64, Q_ALL)                                 \
    X(VHOST_USER_SET_OWNER, h_nop, 0, 0, 0, Q_NONE)                                                \
    X(VHOST_USER_RESET_OWNER, h_nop, 0, 0, 0, Q_NONE)                                              \
    X(VHOST_USER_SET_MEM_TABLE, h_mem_table, FDS_ANY, VHOST_USER_MEMORY_HDR_SIZE, MEM_MAX, Q_ALL)  \
    X(VHOST_USER_SET_VRING_NUM, vc__vu_h_vring_num, 0, STATE, STATE, Q_RING)                       \
    X(VHOST_USER_SET_VRING_ADDR, vc__vu_h_vring_addr, 0, ADDR, ADDR, Q_RING)                       \
    X(VHOST_USER_SET_VRING_BASE, vc__vu_h_vring_base, 0, STATE, STATE, Q_RING)                     \
    X(VHOST_USER_GET_VRING_BASE, vc__vu_h_get_vring_base, 0, STATE, STATE, Q_NONE)                 \
    X(VHOST_USER_SET_VRING_KICK, vc__vu_h_vring_fd, FDS_ANY, U64, U64, Q_RING)                     \
    X(VHOST_USER_SET_VRING_CALL, vc__vu_h_vring_fd, FDS_ANY, U64, U64, Q_RING)                     \
    X(VHOST_USER_SET_VRING_ERR, vc__vu_h_vring_fd, FDS_ANY, U64, U64, Q_RING)                      \
    X(VHOST_USER_GET_PROTOCOL_FEATURES, h_get_protocol_features, 0, 0, 0, Q_NONE)                  \
    X(VHOST_USER_SET_PROTOCOL_FEATURES, h_set_protocol_features, 0, U64, U64, Q_NONE)              \
    X(VHOST_USER_GET_QUEUE_NUM, h_queue_num, 0, 0, 0, Q_NONE)                                      \
    X(VHOST_USER_SET_VRING_ENABLE, vc__vu_h_vring_enable, 0, STATE, STATE, Q_RING)                 \
    X(VHOST_USER_GET_CONFIG, h_get_config, 0, VHOST_USER_CONFIG_HDR_SIZE, CFG_MAX, Q_NONE)         \
    X(VHOST_USER_SET_CONFIG, h_set_config, 0, VHOST_USER_CONFIG_HDR_SIZE, CFG_MAX, Q_NONE)         \
    X(VHOST_USER_CREATE_CRYPTO_SESSION, h_create_session, 0, VHOST_USER_CRYPTO_SESSION_632_SIZE,   \
      VHOST_USER_CRYPTO_SESSION_C_SIZE, Q_NONE)                                                    \
    X(VHOST_USER_CLOSE_CRYPTO_SESSION, h_close_session, 0, U64, U64, Q_NONE)

enum quiesce { Q_NONE, Q_RING, Q_ALL };

struct entry {
    handler_fn fn;
    int fds;
    uint32_t min_size, max_size;
    enum quiesce quiesce;
};

#define VC__VU_ROW(req, h, nfd, lo, hi, q) [req] = {h, nfd, (uint32_t)(lo), (uint32_t)(hi), q},
static const struct entry table[VHOST_USER_GET_STATUS + 1] = {VC_VU_HANDLERS(VC__VU_ROW)};
#undef VC__VU_ROW

/* ---- simple handlers */

static uint64_t offered_features(const struct vc_vu_dev *d)
{
    uint64_t dev = d->ops->get_features ? d->ops->get_features(d->ctx) : 0;
    return VC_VU_TRANSPORT_FEATURES | dev;
}

static int h_get_features(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                          bool *has_reply)
{
    vc__vu_reply_u64(reply, in->hdr.request, offered_features(d));
    *has_reply = true;
    return 0;
}

static int h_set_features(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                          bool *has_reply)
{
    uint64_t f = in->u.u64, offered = offered_features(d);
    if (f & ~offered) {
        VC_ERR("vhost %s: SET_FEATURES 0x%llx acks bits never offered (0x%llx)", d->name,
               (unsigned long long)f, (unsigned long long)(f & ~offered));
        return VC_EINVAL;
    }
    d->features = f;
    d->features_set = true;
    if (d->ops->set_features)
        d->ops->set_features(d->ctx, f);
    return 0;
}

static int h_get_protocol_features(struct vc_vu_dev *d, struct vc_vu_msg *in,
                                   struct vc_vu_msg *reply, bool *has_reply)
{
    vc__vu_reply_u64(reply, in->hdr.request, VC_VU_PROTOCOL_FEATURES);
    *has_reply = true;
    return 0;
}

static int h_set_protocol_features(struct vc_vu_dev *d, struct vc_vu_msg *in,
                                   struct vc_vu_msg *reply, bool *has_reply)
{
    uint64_t f = in->u.u64;
    if (f & ~(uint64_t)VC_VU_PROTOCOL_FEATURES) {
        VC_ERR("vhost %s: SET_PROTOCOL_FEATURES 0x%llx has bits never offered", d->name,
               (unsigned long long)f);
        return VC_EINVAL;
    }
    d->protocol_features = f;
    return 0;
}

/* SET_OWNER: QEMU sends one per data queue (each is its own vhost_dev on
 * the same socket), so repeats are normal. RESET_OWNER is deprecated: "It
 * is recommended that back-ends either ignore this message, or use it to
 * disable all rings"; we ignore it. */
static int h_nop(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                 bool *has_reply)
{
    return 0;
}

static int h_mem_table(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                       bool *has_reply)
{
    return vc__vu_mem_set(d->name, &d->gmem, in);
}

static int h_queue_num(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                       bool *has_reply)
{
    /* QEMU exits if this is below its queues= setting: it comes from the
     * device configuration, never from a guess. */
    vc__vu_reply_u64(reply, in->hdr.request, d->cfg.num_queues);
    *has_reply = true;
    return 0;
}

/* Config messages carry {offset, size, flags, bytes[size]}; the payload
 * must be exactly 12 + size and the range inside the 56-byte config. */
static bool config_range_ok(struct vc_vu_dev *d, const struct vc_vu_msg *in)
{
    const struct vhost_user_config *c = &in->u.config;
    if (c->size > VHOST_USER_MAX_CONFIG_SIZE ||
        in->hdr.size != VHOST_USER_CONFIG_HDR_SIZE + c->size) {
        VC_ERR("vhost %s: %s: size %u does not match payload %u", d->name,
               vc__vu_req_name(in->hdr.request), c->size, in->hdr.size);
        return false;
    }
    if ((uint64_t)c->offset + c->size > CONFIG_SPACE_SIZE) {
        VC_ERR("vhost %s: %s: range %u+%u outside the %u-byte config space", d->name,
               vc__vu_req_name(in->hdr.request), c->offset, c->size, CONFIG_SPACE_SIZE);
        return false;
    }
    return true;
}

static int h_get_config(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                        bool *has_reply)
{
    *has_reply = true;
    /* "vhost-user back-end uses zero length of payload to indicate an error
     * to the vhost-user front-end". */
    if (!config_range_ok(d, in) || !d->ops->get_config) {
        vc__vu_reply_init(reply, in->hdr.request, 0);
        return VC_EINVAL;
    }
    const struct vhost_user_config *c = &in->u.config;
    vc__vu_reply_init(reply, in->hdr.request, in->hdr.size);
    reply->u.config.offset = c->offset;
    reply->u.config.size = c->size;
    reply->u.config.flags = c->flags;
    int rc = d->ops->get_config(d->ctx, c->offset, reply->u.config.region, c->size);
    if (rc != 0) {
        vc__vu_reply_init(reply, in->hdr.request, 0);
        return rc;
    }
    return 0;
}

static int h_set_config(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                        bool *has_reply)
{
    if (!config_range_ok(d, in))
        return VC_EINVAL;
    const struct vhost_user_config *c = &in->u.config;
    /* "back-ends MUST NOT accept SET_CONFIG for read-only configuration
     * space fields unless the live migration bit is set": every
     * virtio-crypto config field is read-only, so without a backend hook
     * the write is refused. */
    if (!d->ops->set_config) {
        VC_WARN("vhost %s: SET_CONFIG %u+%u refused: config space is read-only", d->name, c->offset,
                c->size);
        return VC_EINVAL;
    }
    return d->ops->set_config(d->ctx, c->offset, c->region, c->size, c->flags);
}

static int h_create_session(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                            bool *has_reply)
{
    uint32_t size = in->hdr.size;
    int certain = 0;
    enum vc_vu_layout layout =
        vc__vu_sess_layout(in->u.bytes, size, d->cfg.layout, d->layout_hint, &certain);
    if (layout == VC_VU_LAYOUT_AUTO) {
        /* QEMU checks the reply against its own struct size; with a size we
         * do not know there is no reply it would accept. */
        VC_ERR("vhost %s: CREATE_CRYPTO_SESSION with %u bytes (632 or 1072 expected)", d->name,
               size);
        return VC_EPROTO;
    }
    if (certain && d->cfg.layout == VC_VU_LAYOUT_AUTO && layout != VC_VU_LAYOUT_C)
        d->layout_hint = layout;

    struct vc_sess_params p;
    uint64_t id = 0;
    uint8_t st = vc__vu_sess_decode(in->u.bytes, size, layout, &p);
    if (st == VIRTIO_CRYPTO_OK)
        st = d->ops->create_session(d->ctx, &p, &id);
    if (st == VIRTIO_CRYPTO_OK && id > (uint64_t)INT64_MAX) {
        /* The reply field is signed: such an id would read as failure. */
        VC_ERR("vhost %s: backend returned session id %llu > INT64_MAX", d->name,
               (unsigned long long)id);
        (void)d->ops->close_session(d->ctx, id);
        st = VIRTIO_CRYPTO_ERR;
    }
    /* "The back-end must return the session id, 0 or positive for success,
     * negative for failure." */
    int64_t sid = st == VIRTIO_CRYPTO_OK ? (int64_t)id : -(int64_t)(st ? st : VIRTIO_CRYPTO_ERR);
    vc__vu_sess_reply(reply, in, layout, sid);
    *has_reply = true;
    explicit_bzero(&p, sizeof(p));
    if (st != VIRTIO_CRYPTO_OK) {
        VC_WARN("vhost %s: session create refused, status %u (layout %c)", d->name, st,
                "?ABC"[layout]);
        return VC_EINVAL;
    }
    return 0;
}

static int h_close_session(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                           bool *has_reply)
{
    /* QEMU reads no reply and tells the guest OK regardless; an unknown id
     * is logged and the connection kept (DPDK drops it, reference §2.4). */
    uint8_t st = d->ops->close_session(d->ctx, in->u.u64);
    if (st != VIRTIO_CRYPTO_OK) {
        VC_WARN("vhost %s: CLOSE_CRYPTO_SESSION %llu: status %u", d->name,
                (unsigned long long)in->u.u64, st);
        return VC_EINVAL;
    }
    return 0;
}

/* ---- processor */

/* The ring a Q_RING message names, before the handler validates it (an
 * out-of-range value names no ring and stops nothing). */
static uint32_t ring_of(const struct vc_vu_msg *in)
{
    switch (in->hdr.request) {
    case VHOST_USER_SET_VRING_KICK:
    case VHOST_USER_SET_VRING_CALL:
    case VHOST_USER_SET_VRING_ERR:
        return (uint32_t)(in->u.u64 & VHOST_USER_VRING_IDX_MASK);
    case VHOST_USER_SET_VRING_ADDR:
        return in->u.addr.index;
    default:
        return in->u.state.index;
    }
}

int vc_vu_process(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                  bool *has_reply)
{
    uint32_t req = in->hdr.request;
    const struct entry *e = req < VC_ARRAY_SIZE(table) && table[req].fn ? &table[req] : NULL;
    int rc;

    *has_reply = false;
    if (in->nfds > VHOST_USER_MAX_FDS)
        in->nfds = VHOST_USER_MAX_FDS; /* the socket layer never does this */

    if (!vc__vu_hdr_valid(&in->hdr)) {
        VC_ERR("vhost %s: bad header (request %u flags 0x%x size %u)", d->name, req, in->hdr.flags,
               in->hdr.size);
        /* Flags we cannot parse cannot ask for an ack either: no reply. */
        in->hdr.flags = 0;
        rc = VC_EPROTO;
        goto done;
    }
    if (!e) {
        /* hostile-inputs #37: refused, no undefined behaviour. */
        VC_WARN("vhost %s: request %u (%s) not supported", d->name, req, vc__vu_req_name(req));
        rc = VC_ENOTSUP;
        goto done;
    }
    if (in->hdr.size < e->min_size || in->hdr.size > e->max_size) {
        VC_ERR("vhost %s: %s with %u payload bytes (%u..%u expected)", d->name,
               vc__vu_req_name(req), in->hdr.size, e->min_size, e->max_size);
        rc = VC_EPROTO;
        goto done;
    }
    /* hostile-inputs #32 (CVE-2019-14818): fds on a message that takes
     * none, or more than it takes, are closed and the message refused. */
    if (e->fds != FDS_ANY && in->nfds != (uint32_t)e->fds) {
        VC_ERR("vhost %s: %s with %u fds (%d expected)", d->name, vc__vu_req_name(req), in->nfds,
               e->fds);
        rc = VC_EPROTO;
        goto done;
    }

    if (e->quiesce == Q_ALL)
        vc__vu_rings_quiesce(d);
    else if (e->quiesce == Q_RING)
        vc__vu_ring_quiesce(d, ring_of(in));
    rc = e->fn(d, in, reply, has_reply);
    if (e->quiesce != Q_NONE)
        vc__vu_rings_resume(d);

done:
    vc__vu_msg_close_fds(in);
    /* REPLY_ACK: "the back-end MUST respond with a Payload VhostUserMsg
     * indicating success or failure ... unless the message already has an
     * explicit reply body". */
    if (!*has_reply && (in->hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
        (d->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK))) {
        vc__vu_reply_u64(reply, req, rc == 0 ? 0 : 1);
        *has_reply = true;
    }
    /* Key material must not outlive the message, whatever the outcome. */
    if (req == VHOST_USER_CREATE_CRYPTO_SESSION)
        explicit_bzero(in->u.bytes, VC_MIN(in->hdr.size, VC_VU_MAX_PAYLOAD));
    if (rc == 0)
        return 0;
    d->refused++;
    return rc == VC_EPROTO ? VC_EPROTO : 0;
}

/* ---- lifecycle */

static void ring_init(struct vc__vu_ring *r)
{
    memset(r, 0, sizeof(*r));
    vc_vq_init(&r->vq, NULL, NULL);
    r->kick_fd = r->call_fd = r->err_fd = -1;
    r->enabled = true;
}

int vc_vu_dev_new(const struct vc_vu_cfg *cfg, const struct vc_vu_backend_ops *ops, void *ctx,
                  struct vc_vu_dev **out)
{
    *out = NULL;
    if (!cfg || !ops || !ops->create_session || !ops->close_session || !ops->vring_start ||
        !ops->vring_stop)
        return VC_EINVAL;
    if (cfg->num_queues == 0 || cfg->num_queues > VC_VU_MAX_QUEUES)
        return VC_EINVAL;
    uint32_t max_ring = cfg->max_ring_size ? cfg->max_ring_size : VC_VU_MAX_RING;
    if (max_ring > VC_VU_MAX_RING || (max_ring & (max_ring - 1)) != 0)
        return VC_EINVAL;
    if (cfg->layout == VC_VU_LAYOUT_C)
        return VC_EINVAL;

    struct vc_vu_dev *d = calloc(1, sizeof(*d));
    if (!d)
        return VC_ENOMEM;
    d->rings = calloc(cfg->num_queues, sizeof(*d->rings));
    if (!d->rings) {
        free(d);
        return VC_ENOMEM;
    }
    d->cfg = *cfg;
    d->cfg.max_ring_size = max_ring;
    d->cfg.name = NULL;
    const char *name = cfg->name ? cfg->name : "dev";
    size_t n = strnlen(name, sizeof(d->name) - 1);
    memcpy(d->name, name, n);
    d->name[n] = '\0';
    d->ops = ops;
    d->ctx = ctx;
    vc_gmem_init(&d->gmem);
    for (uint32_t i = 0; i < cfg->num_queues; i++)
        ring_init(&d->rings[i]);
    *out = d;
    return 0;
}

void vc_vu_disconnect(struct vc_vu_dev *d)
{
    for (uint32_t i = 0; i < d->cfg.num_queues; i++) {
        vc__vu_ring_teardown(d, i);
        ring_init(&d->rings[i]);
    }
    vc__vu_mem_clear(&d->gmem);
    d->features = 0;
    d->features_set = false;
    d->protocol_features = 0;
    d->layout_hint = VC_VU_LAYOUT_AUTO;
}

void vc_vu_dev_free(struct vc_vu_dev *d)
{
    if (!d)
        return;
    vc_vu_disconnect(d);
    free(d->rings);
    free(d);
}

void vc_vu_get_info(const struct vc_vu_dev *d, struct vc_vu_info *info)
{
    memset(info, 0, sizeof(*info));
    info->features = d->features;
    info->protocol_features = d->protocol_features;
    info->nregions = vc_gmem_count(&d->gmem);
    for (uint32_t i = 0; i < d->cfg.num_queues; i++)
        info->started += d->rings[i].started;
    info->layout = d->layout_hint;
    info->refused = d->refused;
}

bool vc_vu_ring_started(const struct vc_vu_dev *d, uint32_t index)
{
    return index < d->cfg.num_queues && d->rings[index].started;
}
