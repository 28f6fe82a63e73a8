/* vhost-user frontend transport: libvcrypto plays QEMU's part towards
 * vcryptod (or any full-device-mode virtio-crypto backend).
 *
 * IMPLEMENTATION NOTES
 * Set-up follows QEMU's docs/interop/vhost-user.rst: SET_OWNER,
 * GET_FEATURES, GET/SET_PROTOCOL_FEATURES (MQ, REPLY_ACK, CONFIG,
 * CRYPTO_SESSION), GET_QUEUE_NUM, GET_CONFIG (the 56-byte virtio-crypto
 * config space), then SET_FEATURES, SET_MEM_TABLE (one memfd region whose
 * guest-physical and user addresses are both our mapping address), and per
 * ring SET_VRING_NUM/BASE/ADDR/KICK/CALL. "The back-end must start ring upon
 * receiving a kick" - the kick fd message starts each ring. With REPLY_ACK
 * every set-up message asks for an ack, so a refusal fails the open with a
 * clear error instead of a silent hang later.
 *
 * Every reply is checked (request code, flags, size) before use: the
 * backend is a peer we do not trust.
 *
 * Device loss: after set-up the socket carries nothing (sessions go through
 * the control queue), so a monitor thread just polls it. EOF or an error
 * means the backend went away: vc__dev_set_state(VC_EIO) makes enqueue
 * refuse work and the next dequeue complete every in-flight op with
 * DEVICE_LOST (the backend stops rings before closing, and a killed one
 * writes nothing, so the rings are stable by then). Ops are never
 * resubmitted: a restarted vcryptod has no sessions, so resubmission would
 * fail anyway; the application reopens.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "driver/internal.h"
#include "vcrypto/vhost_user.h"

#define PROTO_WANT                                                                                 \
    ((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |            \
     (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | (1ull << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION))

struct vu {
    int sock;
    int stop_fd;
    uint64_t protocol;
    pthread_t mon;
    bool mon_running;
};

static int sock_send(struct vu *v, uint32_t req, bool need_reply, const void *payload,
                     uint32_t size, const int *fds, unsigned nfds)
{
    uint8_t buf[VHOST_USER_HDR_SIZE + sizeof(struct vhost_user_memory)];
    union {
        char b[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    if (size > sizeof(buf) - VHOST_USER_HDR_SIZE || nfds > VHOST_USER_MAX_FDS)
        return VC_EINVAL;
    uint32_t flags = VHOST_USER_VERSION | (need_reply ? VHOST_USER_NEED_REPLY_MASK : 0);
    struct vhost_user_hdr h = {req, flags, size};
    memcpy(buf, &h, sizeof(h));
    if (size)
        memcpy(buf + VHOST_USER_HDR_SIZE, payload, size);
    struct iovec iov = {.iov_base = buf, .iov_len = VHOST_USER_HDR_SIZE + size};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.b;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
    }
    ssize_t r;
    do
        r = sendmsg(v->sock, &mh, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)iov.iov_len) {
        VC_ERR("vcrypto vhost-user: send request %u: %s", req, r < 0 ? strerror(errno) : "short");
        return VC_EIO;
    }
    return 0;
}

static int read_full(struct vu *v, void *dst, size_t len, int timeout_ms)
{
    uint8_t *p = dst;
    while (len) {
        struct pollfd pf = {.fd = v->sock, .events = POLLIN};
        int pr = poll(&pf, 1, timeout_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return VC_EIO;
        ssize_t r = recv(v->sock, p, len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return VC_EIO;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* Reads a reply to req of exactly size bytes into payload. */
static int sock_reply(struct vc_dev *d, uint32_t req, void *payload, uint32_t size)
{
    struct vu *v = d->tp_priv;
    struct vhost_user_hdr h;
    int r = read_full(v, &h, sizeof(h), (int)d->opts.timeout_ms);
    if (r) {
        VC_ERR("vcrypto vhost-user: no reply to request %u", req);
        return VC_EIO;
    }
    if (h.request != req || h.flags != (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK) ||
        h.size != size) {
        VC_ERR("vcrypto vhost-user: bad reply to request %u (request %u flags 0x%x size %u)", req,
               h.request, h.flags, h.size);
        /* No attempt to resynchronise with a peer that breaks framing. */
        return VC_EPROTO;
    }
    return read_full(v, payload, size, (int)d->opts.timeout_ms) ? VC_EIO : 0;
}

static int get_u64(struct vc_dev *d, uint32_t req, uint64_t *val)
{
    int r = sock_send(d->tp_priv, req, false, NULL, 0, NULL, 0);
    return r ? r : sock_reply(d, req, val, sizeof(*val));
}

/* A set-up message; waits for the REPLY_ACK when negotiated. */
static int set_msg(struct vc_dev *d, uint32_t req, const void *payload, uint32_t size,
                   const int *fds, unsigned nfds)
{
    struct vu *v = d->tp_priv;
    bool ack = v->protocol & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
    int r = sock_send(v, req, ack, payload, size, fds, nfds);
    if (r || !ack)
        return r;
    uint64_t st = 1;
    r = sock_reply(d, req, &st, sizeof(st));
    if (!r && st != 0) {
        VC_ERR("vcrypto vhost-user: backend refused request %u", req);
        return VC_EPROTO;
    }
    return r;
}

static int connect_to(struct vc_dev *d, const char *path, int *out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(sa.sun_path))
        return VC_EINVAL;
    memcpy(sa.sun_path, path, n + 1);
    uint64_t end = vc_now_ns() + (uint64_t)d->opts.timeout_ms * 1000000u;
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return VC_EIO;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            *out = fd;
            return 0;
        }
        int e = errno;
        close(fd);
        /* The backend may still be starting: retry a missing or refusing
         * socket until the timeout. */
        if ((e != ENOENT && e != ECONNREFUSED && e != EAGAIN) || vc_now_ns() >= end) {
            VC_ERR("vcrypto vhost-user: connect %s: %s", path, strerror(e));
            return VC_EIO;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int probe(struct vc_dev *d, const char *path)
{
    struct vu *v = calloc(1, sizeof(*v));
    if (!v)
        return VC_ENOMEM;
    v->sock = -1;
    v->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    d->tp_priv = v;
    if (v->stop_fd < 0)
        return VC_ENOMEM;
    int r = connect_to(d, path, &v->sock);
    if (r)
        return r;
    uint64_t f = 0, p = 0, q = 0;
    r = sock_send(v, VHOST_USER_SET_OWNER, false, NULL, 0, NULL, 0);
    if (!r)
        r = get_u64(d, VHOST_USER_GET_FEATURES, &f);
    if (r)
        return r;
    if (!(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES))) {
        VC_ERR("vcrypto vhost-user: backend has no protocol features (no config space)");
        return VC_EPROTO;
    }
    r = get_u64(d, VHOST_USER_GET_PROTOCOL_FEATURES, &p);
    if (r)
        return r;
    p &= PROTO_WANT;
    r = sock_send(v, VHOST_USER_SET_PROTOCOL_FEATURES, false, &p, 8, NULL, 0);
    if (r)
        return r;
    v->protocol = p;
    uint64_t need = (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | (1ull << VHOST_USER_PROTOCOL_F_MQ);
    if ((p & need) != need) {
        VC_ERR("vcrypto vhost-user: backend lacks CONFIG or MQ: not a full-device backend");
        return VC_EPROTO;
    }
    r = get_u64(d, VHOST_USER_GET_QUEUE_NUM, &q);
    if (r)
        return r;
    d->max_rings = (uint32_t)VC_MIN(q, 256u); /* ring indexes travel in 8 bits */

    struct {
        uint32_t offset, size, flags;
        uint8_t region[sizeof(struct virtio_crypto_config)];
    } creq = {0, sizeof(struct virtio_crypto_config), 0, {0}}, crep;
    r = sock_send(v, VHOST_USER_GET_CONFIG, false, &creq, sizeof(creq), NULL, 0);
    if (!r)
        r = sock_reply(d, VHOST_USER_GET_CONFIG, &crep, sizeof(crep));
    if (r)
        return r;
    if (crep.offset != 0 || crep.size != sizeof(struct virtio_crypto_config))
        return VC_EPROTO;
    struct virtio_crypto_config c;
    memcpy(&c, crep.region, sizeof(c));
    /* "The driver MUST read the ready status from the bottom bit of status
     * to check whether the hardware-backed implementation is ready or not,
     * and the driver MUST reread it after the device reset." */
    if (!(le32toh(c.status) & VIRTIO_CRYPTO_S_HW_READY)) {
        VC_ERR("vcrypto vhost-user: device not ready (HW_READY clear)");
        return VC_EIO;
    }
    struct vc_dev_info *i = &d->info;
    i->max_dataqueues = le32toh(c.max_dataqueues);
    i->crypto_services = le32toh(c.crypto_services);
    i->cipher_algo_l = le32toh(c.cipher_algo_l);
    i->cipher_algo_h = le32toh(c.cipher_algo_h);
    i->hash_algo = le32toh(c.hash_algo);
    i->mac_algo_l = le32toh(c.mac_algo_l);
    i->mac_algo_h = le32toh(c.mac_algo_h);
    i->aead_algo = le32toh(c.aead_algo);
    i->max_cipher_key_len = le32toh(c.max_cipher_key_len);
    i->max_auth_key_len = le32toh(c.max_auth_key_len);
    i->akcipher_algo = le32toh(c.akcipher_algo);
    i->max_size = le64toh(c.max_size);
    d->offered = f & ~(1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    return 0;
}

static int setup_ring(struct vc_dev *d, uint32_t idx, struct vc_drv *ring, int kick, int call)
{
    struct vhost_user_vring_state st = {idx, ring->size};
    int r = set_msg(d, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
    st.num = 0;
    if (!r)
        r = set_msg(d, VHOST_USER_SET_VRING_BASE, &st, sizeof(st), NULL, 0);
    struct vhost_user_vring_addr a = {
        .index = idx,
        .desc_user_addr = vc__addr(ring->desc),
        .used_user_addr = vc__addr(ring->used),
        .avail_user_addr = vc__addr(ring->avail),
    };
    if (!r)
        r = set_msg(d, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
    uint64_t u = idx;
    if (!r)
        r = set_msg(d, VHOST_USER_SET_VRING_CALL, &u, sizeof(u), &call, 1);
    if (!r)
        r = set_msg(d, VHOST_USER_SET_VRING_KICK, &u, sizeof(u), &kick, 1);
    return r;
}

static void *monitor(void *arg)
{
    struct vc_dev *d = arg;
    struct vu *v = d->tp_priv;
    struct pollfd pfd[2] = {{.fd = v->sock, .events = POLLIN | POLLRDHUP},
                            {.fd = v->stop_fd, .events = POLLIN}};
    for (;;) {
        int r = poll(pfd, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (pfd[1].revents & POLLIN))
            return NULL;
        if (pfd[0].revents) {
            char b[256];
            ssize_t n = recv(v->sock, b, sizeof(b), MSG_DONTWAIT);
            if (n > 0)
                continue; /* unsolicited bytes: ignored */
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            VC_WARN("vcrypto vhost-user: backend closed the connection; device lost");
            vc__dev_set_state(d, VC_EIO);
            return NULL;
        }
    }
}

static int start(struct vc_dev *d)
{
    struct vu *v = d->tp_priv;
    uint64_t f = d->info.features | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    int r = set_msg(d, VHOST_USER_SET_FEATURES, &f, sizeof(f), NULL, 0);
    if (r)
        return r;
    struct {
        uint32_t nregions, padding;
        struct vhost_user_mem_region reg;
    } mt = {1, 0, {vc__addr(d->mem), d->mem_len, vc__addr(d->mem), 0}};
    r = set_msg(d, VHOST_USER_SET_MEM_TABLE, &mt, sizeof(mt), &d->memfd, 1);
    for (uint32_t i = 0; !r && i < d->nqp; i++)
        r = setup_ring(d, i, &d->qps[i].ring, d->qps[i].kick_fd, d->qps[i].call_fd);
    /* The control queue is ring index max_dataqueues. */
    if (!r)
        r = setup_ring(d, d->info.max_dataqueues, &d->cring, d->ckick_fd, d->ccall_fd);
    if (r)
        return r;
    if (pthread_create(&v->mon, NULL, monitor, d) != 0)
        return VC_ENOMEM;
    v->mon_running = true;
    return 0;
}

static int ctrl_run(struct vc_dev *d)
{
    vc_evfd_signal(d->ckick_fd);
    uint64_t end = vc_now_ns() + (uint64_t)d->opts.timeout_ms * 1000000u;
    for (;;) {
        if (vc_drv_enable_cb(&d->cring))
            return 0;
        if (atomic_load(&d->state) != 0)
            return VC_EIO;
        uint64_t now = vc_now_ns();
        if (now >= end) {
            VC_ERR("vcrypto vhost-user: control request timed out");
            return VC_EIO;
        }
        struct pollfd pf = {.fd = d->ccall_fd, .events = POLLIN};
        uint64_t left_ms = (end - now) / 1000000u + 1;
        if (poll(&pf, 1, (int)VC_MIN(left_ms, 100u)) > 0)
            vc_evfd_drain(d->ccall_fd);
    }
}

static void tp_close(struct vc_dev *d)
{
    struct vu *v = d->tp_priv;
    if (v->mon_running) {
        vc_evfd_signal(v->stop_fd);
        pthread_join(v->mon, NULL);
    }
    /* Closing the socket is the disconnect: the backend stops the rings and
     * unmaps our memory. */
    if (v->sock >= 0)
        close(v->sock);
    if (v->stop_fd >= 0)
        close(v->stop_fd);
    free(v);
    d->tp_priv = NULL;
}

const struct vc__transport vc__tp_vhost_user = {
    .name = "vhost-user",
    .probe = probe,
    .start = start,
    .ctrl_run = ctrl_run,
    .close = tp_close,
};
