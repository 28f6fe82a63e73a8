/* Scripted vhost-user front-end for tests (see vu_client.h). */
#include "vu_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        printf("# vu_client: ");                                                                   \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        return -1;                                                                                 \
    } while (0)

static void put32(uint8_t *b, size_t off, uint32_t v)
{
    memcpy(b + off, &v, 4);
}

static void put64(uint8_t *b, size_t off, uint64_t v)
{
    memcpy(b + off, &v, 8);
}

int vu_client_connect(struct vu_client *c, const char *path, int timeout_ms)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof(sa.sun_path))
        FAIL("path too long");
    memcpy(sa.sun_path, path, n + 1);
    for (int waited = 0;; waited += 10) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            FAIL("socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            vu_client_from_fd(c, fd);
            return 0;
        }
        close(fd);
        if (waited >= timeout_ms)
            FAIL("connect %s: %s", path, strerror(errno));
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void vu_client_from_fd(struct vu_client *c, int fd)
{
    c->fd = fd;
    c->timeout_ms = 2000;
    c->protocol = 0;
}

void vu_client_close(struct vu_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

int vu_client_send_raw(struct vu_client *c, const void *buf, size_t len, const int *fds,
                       unsigned nfds)
{
    union {
        char b[CMSG_SPACE(64 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 64)
        FAIL("too many fds");
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
    ssize_t r = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
    if (r < 0 || (size_t)r != len)
        FAIL("sendmsg: %s", r < 0 ? strerror(errno) : "short");
    return 0;
}

int vu_client_send(struct vu_client *c, uint32_t req, uint32_t flags, const void *payload,
                   uint32_t size, const int *fds, unsigned nfds)
{
    static uint8_t buf[12 + 8192];
    if (size > sizeof(buf) - 12)
        FAIL("payload too large for the client");
    struct vhost_user_hdr h = {req, flags ? flags : VHOST_USER_VERSION, size};
    memcpy(buf, &h, 12);
    if (size)
        memcpy(buf + 12, payload, size);
    return vu_client_send_raw(c, buf, 12 + (size_t)size, fds, nfds);
}

static int read_full(struct vu_client *c, void *dst, size_t len)
{
    uint8_t *p = dst;
    while (len) {
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        int pr = poll(&pf, 1, c->timeout_ms);
        if (pr <= 0)
            FAIL("timeout waiting for the back-end");
        ssize_t r = recv(c->fd, p, len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            FAIL("recv: %s", r < 0 ? strerror(errno) : "connection closed");
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

int vu_client_recv(struct vu_client *c, struct vhost_user_hdr *hdr, void *payload, uint32_t cap)
{
    if (read_full(c, hdr, sizeof(*hdr)) != 0)
        return -1;
    if (hdr->size > cap)
        FAIL("reply of %u bytes exceeds %u", hdr->size, cap);
    if (hdr->size && read_full(c, payload, hdr->size) != 0)
        return -1;
    return (int)hdr->size;
}

bool vu_client_peer_closed(struct vu_client *c, int timeout_ms)
{
    struct pollfd pf = {.fd = c->fd, .events = POLLIN};
    if (poll(&pf, 1, timeout_ms) <= 0)
        return false;
    char b;
    return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static int check_reply(const struct vhost_user_hdr *h, uint32_t req, uint32_t size)
{
    if (h->request != req)
        FAIL("reply request %u, expected %u", h->request, req);
    if (h->flags != (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK))
        FAIL("reply flags 0x%x, expected 0x5", h->flags);
    if (h->size != size)
        FAIL("reply size %u, expected %u", h->size, size);
    return 0;
}

int vu_client_get_u64(struct vu_client *c, uint32_t req, uint64_t *v)
{
    struct vhost_user_hdr h;
    uint64_t val = 0;
    if (vu_client_send(c, req, 0, NULL, 0, NULL, 0) != 0)
        return -1;
    if (vu_client_recv(c, &h, &val, sizeof(val)) < 0 || check_reply(&h, req, 8) != 0)
        return -1;
    *v = val;
    return 0;
}

int vu_client_set_u64(struct vu_client *c, uint32_t req, uint64_t v, bool need_reply, uint64_t *ack)
{
    uint32_t flags = VHOST_USER_VERSION | (need_reply ? VHOST_USER_NEED_REPLY_MASK : 0);
    if (vu_client_send(c, req, flags, &v, 8, NULL, 0) != 0)
        return -1;
    if (!need_reply)
        return 0;
    struct vhost_user_hdr h;
    uint64_t st = 0;
    if (vu_client_recv(c, &h, &st, sizeof(st)) < 0 || check_reply(&h, req, 8) != 0)
        return -1;
    if (ack)
        *ack = st;
    return 0;
}

int vu_client_setup(struct vu_client *c, uint64_t want_protocol, uint64_t *features,
                    uint64_t *protocol, uint64_t *queues)
{
    uint64_t f, p, q = 0;
    if (vu_client_send(c, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0) != 0)
        return -1;
    if (vu_client_get_u64(c, VHOST_USER_GET_FEATURES, &f) != 0)
        return -1;
    if (!(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
        FAIL("back-end lacks PROTOCOL_FEATURES");
    if (vu_client_get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES, &p) != 0)
        return -1;
    p &= want_protocol;
    if (vu_client_set_u64(c, VHOST_USER_SET_PROTOCOL_FEATURES, p, false, NULL) != 0)
        return -1;
    c->protocol = p;
    if ((p & (1ull << VHOST_USER_PROTOCOL_F_MQ)) &&
        vu_client_get_u64(c, VHOST_USER_GET_QUEUE_NUM, &q) != 0)
        return -1;
    if (vu_client_set_u64(c, VHOST_USER_SET_FEATURES, 1ull << VHOST_USER_F_PROTOCOL_FEATURES, false,
                          NULL) != 0)
        return -1;
    if (features)
        *features = f;
    if (protocol)
        *protocol = p;
    if (queues)
        *queues = q;
    return 0;
}

int vu_guest_mem_new(struct vu_guest_mem *m, uint64_t size, uint64_t gpa)
{
    long page = sysconf(_SC_PAGESIZE);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    if (size == 0 || size % (uint64_t)page)
        FAIL("guest memory size must be a multiple of the page size");
    m->fd = memfd_create("vu-guest", MFD_CLOEXEC);
    if (m->fd < 0 || ftruncate(m->fd, (off_t)size) != 0)
        FAIL("memfd: %s", strerror(errno));
    m->reserve_size = size + 2 * (uint64_t)page;
    m->reserve = mmap(NULL, m->reserve_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m->reserve == MAP_FAILED)
        FAIL("mmap reserve: %s", strerror(errno));
    void *p = mmap((uint8_t *)m->reserve + page, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_FIXED, m->fd, 0);
    if (p == MAP_FAILED)
        FAIL("mmap memfd: %s", strerror(errno));
    m->base = p;
    m->size = size;
    m->gpa = gpa;
    return 0;
}

void vu_guest_mem_free(struct vu_guest_mem *m)
{
    if (m->reserve && m->reserve != MAP_FAILED)
        munmap(m->reserve, m->reserve_size);
    if (m->fd >= 0)
        close(m->fd);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}

int vu_client_set_mem(struct vu_client *c, const struct vu_guest_mem *m, unsigned n)
{
    uint8_t buf[8 + 8 * 32] = {0};
    int fds[8];
    if (n == 0 || n > 8)
        FAIL("1..8 regions");
    put32(buf, 0, n);
    for (unsigned i = 0; i < n; i++) {
        put64(buf, 8 + 32 * i, m[i].gpa);
        put64(buf, 8 + 32 * i + 8, m[i].size);
        put64(buf, 8 + 32 * i + 16, (uint64_t)(uintptr_t)m[i].base);
        put64(buf, 8 + 32 * i + 24, 0);
        fds[i] = m[i].fd;
    }
    bool ack = (c->protocol & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK)) != 0;
    uint32_t flags = VHOST_USER_VERSION | (ack ? VHOST_USER_NEED_REPLY_MASK : 0);
    if (vu_client_send(c, VHOST_USER_SET_MEM_TABLE, flags, buf, 8 + 32 * n, fds, n) != 0)
        return -1;
    if (!ack)
        return 0;
    struct vhost_user_hdr h;
    uint64_t st = 1;
    if (vu_client_recv(c, &h, &st, 8) < 0 || check_reply(&h, VHOST_USER_SET_MEM_TABLE, 8) != 0)
        return -1;
    if (st != 0)
        FAIL("SET_MEM_TABLE refused (ack %llu)", (unsigned long long)st);
    return 0;
}

uint64_t vu_ring_layout(struct vu_ring *r, const struct vu_guest_mem *m, uint64_t off, uint32_t num)
{
    /* virtio §2.7: desc 16*num (align 16), avail 6+2*num (align 2), used
     * 6+8*num (align 4). */
    uint64_t d = (off + 15) & ~15ull;
    uint64_t a = d + 16ull * num;
    uint64_t u = (a + 6 + 2ull * num + 3) & ~3ull;
    uint64_t end = u + 6 + 8ull * num;
    if (end > m->size)
        return 0;
    memset(m->base + d, 0, end - d);
    r->num = num;
    r->desc_gpa = m->gpa + d;
    r->avail_gpa = m->gpa + a;
    r->used_gpa = m->gpa + u;
    r->desc = m->base + d;
    r->avail = m->base + a;
    r->used = m->base + u;
    return end - off;
}

int vu_client_vring_setup(struct vu_client *c, uint32_t idx, const struct vu_ring *r,
                          const struct vu_guest_mem *m, uint16_t base, int *kick, int *call)
{
    struct vhost_user_vring_state st = {idx, r->num};
    if (vu_client_send(c, VHOST_USER_SET_VRING_NUM, 0, &st, sizeof(st), NULL, 0) != 0)
        return -1;
    st.num = base;
    if (vu_client_send(c, VHOST_USER_SET_VRING_BASE, 0, &st, sizeof(st), NULL, 0) != 0)
        return -1;
    struct vhost_user_vring_addr a = {
        .index = idx,
        .desc_user_addr = vu_guest_uva(m, r->desc),
        .used_user_addr = vu_guest_uva(m, r->used),
        .avail_user_addr = vu_guest_uva(m, r->avail),
    };
    if (vu_client_send(c, VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0) != 0)
        return -1;
    *kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    *call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (*kick < 0 || *call < 0)
        FAIL("eventfd: %s", strerror(errno));
    uint64_t v = idx;
    if (vu_client_send(c, VHOST_USER_SET_VRING_KICK, 0, &v, 8, kick, 1) != 0 ||
        vu_client_send(c, VHOST_USER_SET_VRING_CALL, 0, &v, 8, call, 1) != 0)
        return -1;
    return 0;
}

int vu_client_get_vring_base(struct vu_client *c, uint32_t idx, uint32_t *base)
{
    struct vhost_user_vring_state st = {idx, 0};
    struct vhost_user_hdr h;
    if (vu_client_send(c, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0) != 0)
        return -1;
    if (vu_client_recv(c, &h, &st, sizeof(st)) < 0 ||
        check_reply(&h, VHOST_USER_GET_VRING_BASE, sizeof(st)) != 0)
        return -1;
    if (st.index != idx)
        FAIL("GET_VRING_BASE answered for ring %u", st.index);
    *base = st.num;
    return 0;
}

/* Offsets from QEMU's structs (reference/virtio-crypto.md §2.3), written
 * out here rather than taken from vhost_user.h. */
uint32_t vu_build_sym_session(enum vu_layout l, const struct vu_sym_sess *s, uint8_t *buf)
{
    uint32_t size = l == VU_LAYOUT_C ? 1072 : 632;
    size_t o = 8; /* first sym field, B and C */
    memset(buf, 0, size);
    if (l == VU_LAYOUT_A) {
        put32(buf, 8, 0x0002); /* VIRTIO_CRYPTO_CIPHER_CREATE_SESSION */
        o = 12;
    } else if (l == VU_LAYOUT_C) {
        put64(buf, 0, 0x0002);
    }
    put32(buf, o + 0, s->cipher_alg);
    put32(buf, o + 4, s->key_len);
    put32(buf, o + 8, s->hash_alg);
    put32(buf, o + 12, s->hash_result_len);
    put32(buf, o + 16, s->auth_key_len);
    put32(buf, o + 20, s->aad_len);
    buf[o + 24] = s->op_type;
    buf[o + 25] = s->direction;
    buf[o + 26] = s->hash_mode;
    buf[o + 27] = s->chain_order;
    put64(buf, 40, 0xdeadbeef00001000ull); /* QEMU pointers: garbage to us */
    put64(buf, 48, 0xdeadbeef00002000ull);
    if (s->key)
        memcpy(buf + 56, s->key, s->key_len < 64 ? s->key_len : 64);
    if (s->auth_key)
        memcpy(buf + 120, s->auth_key, s->auth_key_len < 512 ? s->auth_key_len : 512);
    if (l == VU_LAYOUT_C)
        put64(buf, 1064, 0);
    return size;
}

uint32_t vu_build_asym_session(uint32_t algo, uint32_t keytype, const uint8_t *key, uint32_t keylen,
                               uint32_t padding, uint32_t hash, uint8_t *buf)
{
    memset(buf, 0, 1072);
    put64(buf, 0, 0x0404); /* VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION */
    put32(buf, 8, algo);
    put32(buf, 12, keytype);
    put32(buf, 16, keylen);
    put64(buf, 24, 0xdeadbeef00003000ull);
    put32(buf, 32, padding);
    put32(buf, 36, hash);
    if (key)
        memcpy(buf + 40, key, keylen < 1024 ? keylen : 1024);
    return 1072;
}

int vu_client_create_session_raw(struct vu_client *c, const uint8_t *payload, uint32_t size,
                                 int64_t *id)
{
    static uint8_t rep[2048];
    struct vhost_user_hdr h;
    if (vu_client_send(c, VHOST_USER_CREATE_CRYPTO_SESSION, 0, payload, size, NULL, 0) != 0)
        return -1;
    if (vu_client_recv(c, &h, rep, sizeof(rep)) < 0 ||
        check_reply(&h, VHOST_USER_CREATE_CRYPTO_SESSION, size) != 0)
        return -1;
    memcpy(id, rep + (size == 1072 ? 1064 : 0), 8);
    return 0;
}

int vu_client_create_sym(struct vu_client *c, enum vu_layout l, const struct vu_sym_sess *s,
                         int64_t *id)
{
    uint8_t buf[1072];
    uint32_t n = vu_build_sym_session(l, s, buf);
    return vu_client_create_session_raw(c, buf, n, id);
}

int vu_client_close_session(struct vu_client *c, uint64_t id)
{
    return vu_client_send(c, VHOST_USER_CLOSE_CRYPTO_SESSION, 0, &id, 8, NULL, 0);
}
