/* vhost-user socket framing over AF_UNIX with SCM_RIGHTS.
 *
 * IMPLEMENTATION NOTES
 * Receive state: `got` counts bytes of the current message (header, then
 * payload). Each recvmsg asks for exactly the missing bytes of that part,
 * with room for a few more fds than a message may carry, so that an
 * over-full SCM_RIGHTS shows up as "too many" (closed, refused) instead of
 * silently truncated (hostile-inputs #32; DPDK 6e302e5ede leaked fds on
 * MSG_CTRUNC). The kernel releases fds that did not fit the control buffer
 * when it sets MSG_CTRUNC, so none leak even then; we refuse the message.
 * Any error closes the fds collected for the message so far.
 */
#include "vhost/socket.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "vcrypto/err.h"

/* Control buffer: room for the legal maximum plus slack to detect abuse. */
#define CMSG_FDS (VHOST_USER_MAX_FDS + 8u)

struct vc_vu_conn {
    int fd;
    uint32_t got;           /* bytes of the current message received */
    bool bad;               /* the current message is refused once complete */
    struct vc_vu_msg rx;    /* message being received */
    struct vc_vu_msg req;   /* complete request handed to the core */
    struct vc_vu_msg reply; /* its reply */
};

int vc_vu_listen(const char *path, int backlog, int *fd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(sa.sun_path))
        return VC_EINVAL;
    memcpy(sa.sun_path, path, n + 1);

    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            VC_ERR("vhost: %s exists and is not a socket", path);
            return VC_EINVAL;
        }
        unlink(path);
    }
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return VC_EIO;
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s, backlog) != 0) {
        VC_ERR("vhost: cannot listen on %s (errno %d)", path, errno);
        close(s);
        return VC_EIO;
    }
    *fd = s;
    return 0;
}

int vc_vu_accept(int listen_fd, int *fd)
{
    int s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (s < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? VC_EAGAIN : VC_EIO;
    *fd = s;
    return 0;
}

int vc_vu_conn_new(int fd, struct vc_vu_conn **out)
{
    struct vc_vu_conn *c = malloc(sizeof(*c));
    *out = NULL;
    if (!c) {
        close(fd);
        return VC_ENOMEM;
    }
    c->fd = fd;
    c->got = 0;
    c->bad = false;
    vc__vu_msg_init(&c->rx);
    vc__vu_msg_init(&c->req);
    vc__vu_msg_init(&c->reply);
    *out = c;
    return 0;
}

void vc_vu_conn_free(struct vc_vu_conn *c)
{
    if (!c)
        return;
    vc__vu_msg_close_fds(&c->rx);
    vc__vu_msg_close_fds(&c->req);
    explicit_bzero(c->rx.u.bytes, sizeof(c->rx.u.bytes));
    explicit_bzero(c->req.u.bytes, sizeof(c->req.u.bytes));
    close(c->fd);
    free(c);
}

int vc_vu_conn_fd(const struct vc_vu_conn *c)
{
    return c->fd;
}

/* Moves the fds of every SCM_RIGHTS block into m; extras are closed and
 * mark the message bad. */
static void take_fds(struct vc_vu_conn *c, struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const uint8_t *data = CMSG_DATA(cm);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, data + i * sizeof(int), sizeof(int));
            if (c->rx.nfds < VHOST_USER_MAX_FDS) {
                c->rx.fds[c->rx.nfds++] = fd;
            } else {
                close(fd);
                c->bad = true;
            }
        }
    }
    if (mh->msg_flags & MSG_CTRUNC)
        c->bad = true;
}

static void reset_rx(struct vc_vu_conn *c)
{
    vc__vu_msg_close_fds(&c->rx);
    c->got = 0;
    c->bad = false;
}

int vc_vu_conn_recv(struct vc_vu_conn *c, struct vc_vu_msg *m)
{
    for (;;) {
        uint8_t *dst;
        uint32_t want;
        if (c->got < VHOST_USER_HDR_SIZE) {
            dst = (uint8_t *)&c->rx.hdr + c->got;
            want = VHOST_USER_HDR_SIZE - c->got;
        } else {
            uint32_t have = c->got - VHOST_USER_HDR_SIZE;
            if (have == c->rx.hdr.size)
                break;
            dst = c->rx.u.bytes + have;
            want = c->rx.hdr.size - have;
        }
        union {
            char buf[CMSG_SPACE(CMSG_FDS * sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = dst, .iov_len = want};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.buf,
                            .msg_controllen = sizeof(ctl.buf)};
        ssize_t r = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            reset_rx(c);
            return VC_EIO;
        }
        take_fds(c, &mh);
        if (r == 0) {
            reset_rx(c);
            return VC_EIO;
        }
        c->got += (uint32_t)r;
        /* The size field is trusted only up to our buffer: a larger
         * payload cannot be framed (hostile-inputs #37). */
        if (c->got == VHOST_USER_HDR_SIZE && c->rx.hdr.size > VC_VU_MAX_PAYLOAD) {
            VC_ERR("vhost: message %u with %u payload bytes (max %u)", c->rx.hdr.request,
                   c->rx.hdr.size, VC_VU_MAX_PAYLOAD);
            reset_rx(c);
            return VC_EPROTO;
        }
    }
    if (c->bad) {
        VC_ERR("vhost: message %u: too many fds or truncated control data", c->rx.hdr.request);
        reset_rx(c);
        return VC_EPROTO;
    }
    m->hdr = c->rx.hdr;
    memcpy(m->u.bytes, c->rx.u.bytes, c->rx.hdr.size);
    m->nfds = c->rx.nfds;
    memcpy(m->fds, c->rx.fds, sizeof(m->fds));
    /* Ownership of the fds moved to m. */
    c->rx.nfds = 0;
    explicit_bzero(c->rx.u.bytes, c->rx.hdr.size);
    reset_rx(c);
    return 1;
}

int vc_vu_conn_send(struct vc_vu_conn *c, const struct vc_vu_msg *m)
{
    uint32_t size = VC_MIN(m->hdr.size, VC_VU_MAX_PAYLOAD);
    /* sendmsg takes non-const iovecs but only reads them. */
    struct iovec iov[2] = {
        {.iov_base = (void *)(uintptr_t)&m->hdr, .iov_len = VHOST_USER_HDR_SIZE},
        {.iov_base = (void *)(uintptr_t)m->u.bytes, .iov_len = size},
    };
    union {
        char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
    uint32_t nfds = VC_MIN(m->nfds, VHOST_USER_MAX_FDS);
    if (nfds) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), m->fds, nfds * sizeof(int));
    }
    size_t total = VHOST_USER_HDR_SIZE + size, sent = 0;
    while (sent < total) {
        ssize_t r = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = {.fd = c->fd, .events = POLLOUT};
                if (poll(&p, 1, 1000) == 1)
                    continue;
            }
            return VC_EIO;
        }
        sent += (size_t)r;
        /* fds went with the first byte; advance the iovecs past what was
         * sent. */
        mh.msg_control = NULL;
        mh.msg_controllen = 0;
        size_t skip = (size_t)r;
        while (mh.msg_iovlen && skip >= mh.msg_iov[0].iov_len) {
            skip -= mh.msg_iov[0].iov_len;
            mh.msg_iov++;
            mh.msg_iovlen--;
        }
        if (mh.msg_iovlen) {
            mh.msg_iov[0].iov_base = (uint8_t *)mh.msg_iov[0].iov_base + skip;
            mh.msg_iov[0].iov_len -= skip;
        }
    }
    return 0;
}

int vc_vu_conn_serve(struct vc_vu_conn *c, struct vc_vu_dev *dev)
{
    /* A budget per call, so one chatty front-end cannot hold the event
     * loop that also serves other devices (hostile-inputs §1f). */
    for (unsigned budget = VC_VU_SERVE_BUDGET; budget > 0; budget--) {
        int r = vc_vu_conn_recv(c, &c->req);
        if (r <= 0)
            return r;
        bool has_reply = false;
        int rc = vc_vu_process(dev, &c->req, &c->reply, &has_reply);
        int sr = has_reply ? vc_vu_conn_send(c, &c->reply) : 0;
        explicit_bzero(c->reply.u.bytes, VC_MIN(c->reply.hdr.size, VC_VU_MAX_PAYLOAD));
        if (rc != 0)
            return rc;
        if (sr != 0)
            return sr;
    }
    return 0;
}
