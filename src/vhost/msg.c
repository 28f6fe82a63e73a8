/* vhost-user message container: header checks, reply builders, fd
 * ownership. */
#include "vhost/msg.h"

#include <string.h>
#include <unistd.h>

void vc__vu_msg_init(struct vc_vu_msg *m)
{
    memset(&m->hdr, 0, sizeof(m->hdr));
    m->nfds = 0;
    for (uint32_t i = 0; i < VHOST_USER_MAX_FDS; i++)
        m->fds[i] = -1;
}

void vc__vu_msg_close_fds(struct vc_vu_msg *m)
{
    uint32_t n = VC_MIN(m->nfds, VHOST_USER_MAX_FDS);
    for (uint32_t i = 0; i < n; i++) {
        if (m->fds[i] >= 0)
            close(m->fds[i]);
        m->fds[i] = -1;
    }
    m->nfds = 0;
}

int vc__vu_msg_take_fd(struct vc_vu_msg *m, uint32_t i)
{
    if (i >= m->nfds || i >= VHOST_USER_MAX_FDS)
        return -1;
    int fd = m->fds[i];
    m->fds[i] = -1;
    return fd;
}

bool vc__vu_hdr_valid(const struct vhost_user_hdr *h)
{
    const uint32_t known =
        VHOST_USER_VERSION_MASK | VHOST_USER_REPLY_MASK | VHOST_USER_NEED_REPLY_MASK;
    /* "Lower 2 bits are the version (currently 0x01)". A request never
     * carries the reply flag: that one is "sent on each reply from the
     * back-end". */
    if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
        return false;
    if (h->flags & VHOST_USER_REPLY_MASK)
        return false;
    if (h->flags & ~known)
        return false;
    return h->size <= VC_VU_MAX_PAYLOAD;
}

void vc__vu_reply_init(struct vc_vu_msg *reply, uint32_t req, uint32_t size)
{
    vc__vu_msg_init(reply);
    size = VC_MIN(size, VC_VU_MAX_PAYLOAD);
    reply->hdr.request = req;
    reply->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
    reply->hdr.size = size;
    memset(reply->u.bytes, 0, size);
}

void vc__vu_reply_u64(struct vc_vu_msg *reply, uint32_t req, uint64_t v)
{
    vc__vu_reply_init(reply, req, sizeof(uint64_t));
    reply->u.u64 = v;
}

const char *vc__vu_req_name(uint32_t req)
{
    static const char *const names[] = {
        [VHOST_USER_GET_FEATURES] = "GET_FEATURES",
        [VHOST_USER_SET_FEATURES] = "SET_FEATURES",
        [VHOST_USER_SET_OWNER] = "SET_OWNER",
        [VHOST_USER_RESET_OWNER] = "RESET_OWNER",
        [VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
        [VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
        [VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
        [VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
        [VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
        [VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
        [VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
        [VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
        [VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
        [VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
        [VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
        [VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
        [VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
        [VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
        [VHOST_USER_SEND_RARP] = "SEND_RARP",
        [VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
        [VHOST_USER_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
        [VHOST_USER_IOTLB_MSG] = "IOTLB_MSG",
        [VHOST_USER_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN",
        [VHOST_USER_GET_CONFIG] = "GET_CONFIG",
        [VHOST_USER_SET_CONFIG] = "SET_CONFIG",
        [VHOST_USER_CREATE_CRYPTO_SESSION] = "CREATE_CRYPTO_SESSION",
        [VHOST_USER_CLOSE_CRYPTO_SESSION] = "CLOSE_CRYPTO_SESSION",
        [VHOST_USER_POSTCOPY_ADVISE] = "POSTCOPY_ADVISE",
        [VHOST_USER_POSTCOPY_LISTEN] = "POSTCOPY_LISTEN",
        [VHOST_USER_POSTCOPY_END] = "POSTCOPY_END",
        [VHOST_USER_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
        [VHOST_USER_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
        [VHOST_USER_GPU_SET_SOCKET] = "GPU_SET_SOCKET",
        [VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
        [VHOST_USER_VRING_KICK] = "VRING_KICK",
        [VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
        [VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
        [VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
        [VHOST_USER_SET_STATUS] = "SET_STATUS",
        [VHOST_USER_GET_STATUS] = "GET_STATUS",
    };
    if (req < VC_ARRAY_SIZE(names) && names[req])
        return names[req];
    return "UNKNOWN";
}
