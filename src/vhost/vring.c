/* Per-ring vhost-user messages and the ring start/stop rules.
 *
 * IMPLEMENTATION NOTES
 * A ring is handed to the backend (vring_start) once it is ready: size,
 * addresses, a kick (fd or NOFD = polling), a memory table, and not
 * disabled. spec "Ring states": "The back-end must start ring upon receiving
 * a kick ... and stop ring upon receiving VHOST_USER_GET_VRING_BASE". QEMU
 * 7.2 never sends SET_VRING_ENABLE to a crypto back-end, so rings start
 * enabled.
 *
 * Restarting after a quiesce resumes from the saved last avail index; the
 * used index always continues from the ring's own used->idx (vc_vq_start),
 * so nothing the guest has seen is repeated or lost.
 *
 * Index checks use the full 32-bit (or 64-bit) field before any narrowing
 * (hostile-inputs #35, CVE-2020-10723).
 */
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vcrypto/err.h"
#include "vhost/dev.h"

static bool ring_ready(const struct vc_vu_dev *d, const struct vc__vu_ring *r)
{
    return r->has_num && r->has_addr && r->kick_set && r->enabled && vc_gmem_count(&d->gmem) > 0;
}

static enum vc_vq_evidx evidx_mode(const struct vc_vu_dev *d)
{
    /* QEMU's crypto front-end never passes the guest's ring features
     * (reference §2.4): only a SET_FEATURES that carries VERSION_1 is taken
     * as the real feature set. */
    if (!d->features_set || !(d->features & (1ull << VIRTIO_F_VERSION_1)))
        return VC_VQ_EVIDX_UNKNOWN;
    return (d->features & (1ull << VIRTIO_RING_F_EVENT_IDX)) ? VC_VQ_EVIDX_ON : VC_VQ_EVIDX_OFF;
}

static void ring_start(struct vc_vu_dev *d, uint32_t i)
{
    struct vc__vu_ring *r = &d->rings[i];
    if (r->started || !ring_ready(d, r))
        return;
    struct vc_vq_config cfg = {
        .size = r->num,
        .base = r->base,
        .desc = r->addr.desc_user_addr,
        .avail = r->addr.avail_user_addr,
        .used = r->addr.used_user_addr,
        .evidx = evidx_mode(d),
    };
    vc_result res = vc_vq_start(&r->vq, &cfg, &d->gmem);
    if (!vc_ok(res)) {
        VC_ERR("vhost %s: ring %u: addresses not usable (%s); ring not started", d->name, i,
               vc_strerror(res.err));
        return;
    }
    struct vc_vu_vring vr = {
        .index = i,
        .vq = &r->vq,
        .gmem = &d->gmem,
        .kick_fd = r->kick_fd,
        .call_fd = r->call_fd,
        .err_fd = r->err_fd,
        .features = d->features,
    };
    int rc = d->ops->vring_start(d->ctx, &vr);
    if (rc != 0) {
        VC_ERR("vhost %s: ring %u: backend refused to start it (%s)", d->name, i, vc_strerror(rc));
        vc_vq_stop(&r->vq);
        return;
    }
    r->started = true;
    VC_DEBUG("vhost %s: ring %u started (size %u, base %u)", d->name, i, r->num, r->base);
}

static void ring_stop(struct vc_vu_dev *d, uint32_t i)
{
    struct vc__vu_ring *r = &d->rings[i];
    if (!r->started)
        return;
    d->ops->vring_stop(d->ctx, i);
    vc_vq_stop(&r->vq);
    r->base = vc_vq_get_base(&r->vq);
    r->started = false;
}

void vc__vu_rings_quiesce(struct vc_vu_dev *d)
{
    for (uint32_t i = 0; i < d->cfg.num_queues; i++)
        ring_stop(d, i);
}

void vc__vu_ring_quiesce(struct vc_vu_dev *d, uint32_t i)
{
    if (i < d->cfg.num_queues)
        ring_stop(d, i);
}

void vc__vu_rings_resume(struct vc_vu_dev *d)
{
    for (uint32_t i = 0; i < d->cfg.num_queues; i++)
        ring_start(d, i);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void vc__vu_ring_teardown(struct vc_vu_dev *d, uint32_t i)
{
    struct vc__vu_ring *r = &d->rings[i];
    ring_stop(d, i);
    close_fd(&r->kick_fd);
    close_fd(&r->call_fd);
    close_fd(&r->err_fd);
    r->kick_set = false;
}

/* Ring index of a vring-state message, checked on the full 32 bits. */
static bool state_index(struct vc_vu_dev *d, const struct vc_vu_msg *in, const char *what)
{
    if (in->u.state.index >= d->cfg.num_queues) {
        VC_ERR("vhost %s: %s: ring index %u out of range (%u rings)", d->name, what,
               in->u.state.index, d->cfg.num_queues);
        return false;
    }
    return true;
}

int vc__vu_h_vring_num(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                       bool *has_reply)
{
    if (!state_index(d, in, "SET_VRING_NUM"))
        return VC_EPROTO;
    uint32_t num = in->u.state.num;
    /* virtio §2.7: "Queue Size value is always a power of 2. The maximum
     * Queue Size value is 32768." */
    if (num == 0 || num > d->cfg.max_ring_size || (num & (num - 1)) != 0) {
        VC_ERR("vhost %s: SET_VRING_NUM %u: not a power of two in 1..%u", d->name, num,
               d->cfg.max_ring_size);
        return VC_EPROTO;
    }
    /* Re-sending this message replaces the value; nothing is allocated per
     * ring, so repetition cannot leak (hostile-inputs #33). */
    struct vc__vu_ring *r = &d->rings[in->u.state.index];
    r->num = num;
    r->has_num = true;
    return 0;
}

int vc__vu_h_vring_addr(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                        bool *has_reply)
{
    const struct vhost_user_vring_addr *a = &in->u.addr;
    if (a->index >= d->cfg.num_queues) {
        VC_ERR("vhost %s: SET_VRING_ADDR: ring index %u out of range", d->name, a->index);
        return VC_EPROTO;
    }
    if (a->flags & (1u << VHOST_VRING_F_LOG))
        VC_WARN("vhost %s: ring %u asks for used-ring logging, which is not offered", d->name,
                a->index);
    /* Addresses are checked against the memory table when the ring starts
     * (vc_vq_start), since QEMU may send them before a new table. */
    struct vc__vu_ring *r = &d->rings[a->index];
    r->addr = *a;
    r->has_addr = true;
    return 0;
}

int vc__vu_h_vring_base(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                        bool *has_reply)
{
    if (!state_index(d, in, "SET_VRING_BASE"))
        return VC_EPROTO;
    /* Split rings only: the avail index is 16 bits (rust-vmm 38c442d,
     * hostile-inputs #35). */
    if (in->u.state.num > 0xffffu) {
        VC_ERR("vhost %s: SET_VRING_BASE %u does not fit a 16-bit ring index", d->name,
               in->u.state.num);
        return VC_EPROTO;
    }
    d->rings[in->u.state.index].base = in->u.state.num;
    return 0;
}

int vc__vu_h_get_vring_base(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                            bool *has_reply)
{
    if (!state_index(d, in, "GET_VRING_BASE"))
        return VC_EPROTO;
    uint32_t i = in->u.state.index;
    struct vc__vu_ring *r = &d->rings[i];
    /* "stop ring upon receiving VHOST_USER_GET_VRING_BASE". The kick and
     * call fds are dropped too: the front-end sends fresh ones before it
     * starts the ring again. */
    vc__vu_ring_teardown(d, i);
    vc__vu_reply_init(reply, VHOST_USER_GET_VRING_BASE, sizeof(struct vhost_user_vring_state));
    reply->u.state.index = i;
    reply->u.state.num = r->base;
    *has_reply = true;
    vc_vq_reset(&r->vq);
    return 0;
}

/* SET_VRING_KICK / CALL / ERR: u64 = index (bits 0-7) | NOFD (bit 8). The
 * table lets these through with 0 or 1 fd; the NOFD bit decides which. */
int vc__vu_h_vring_fd(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                      bool *has_reply)
{
    uint64_t v = in->u.u64;
    uint32_t req = in->hdr.request;
    bool nofd = (v & VHOST_USER_VRING_NOFD_MASK) != 0;
    if (v & ~(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK)) {
        VC_ERR("vhost %s: %s: reserved bits set in 0x%llx", d->name, vc__vu_req_name(req),
               (unsigned long long)v);
        return VC_EPROTO;
    }
    uint32_t i = (uint32_t)(v & VHOST_USER_VRING_IDX_MASK);
    if (i >= d->cfg.num_queues) {
        VC_ERR("vhost %s: %s: ring index %u out of range", d->name, vc__vu_req_name(req), i);
        return VC_EPROTO;
    }
    /* "This flag is set when there is no file descriptor in the ancillary
     * data." An fd with the flag, or no fd without it, is refused; the
     * caller closes whatever came. */
    if (in->nfds != (nofd ? 0u : 1u)) {
        VC_ERR("vhost %s: %s: %u fds with NOFD=%d", d->name, vc__vu_req_name(req), in->nfds, nofd);
        return VC_EPROTO;
    }
    int fd = nofd ? -1 : vc__vu_msg_take_fd(in, 0);
    struct vc__vu_ring *r = &d->rings[i];
    int *slot = req == VHOST_USER_SET_VRING_KICK   ? &r->kick_fd
                : req == VHOST_USER_SET_VRING_CALL ? &r->call_fd
                                                   : &r->err_fd;
    /* The ring is stopped (the table quiesces around this message), so no
     * worker uses the old fd any more. */
    close_fd(slot);
    *slot = fd;
    if (req == VHOST_USER_SET_VRING_KICK)
        r->kick_set = true;
    return 0;
}

int vc__vu_h_vring_enable(struct vc_vu_dev *d, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                          bool *has_reply)
{
    if (!state_index(d, in, "SET_VRING_ENABLE"))
        return VC_EPROTO;
    if (in->u.state.num > 1) {
        VC_ERR("vhost %s: SET_VRING_ENABLE %u (0 or 1)", d->name, in->u.state.num);
        return VC_EPROTO;
    }
    d->rings[in->u.state.index].enabled = in->u.state.num == 1;
    return 0;
}
