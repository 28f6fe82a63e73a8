/* libvcrypto against a hostile vhost-user backend (hostile-inputs §1g #40):
 * a fake backend thread answers the set-up messages with chosen values
 * (impossible config, unclamped limits), and then the test plays the
 * device on the rings it was given (bad used ids, used len too big, status
 * out of range, duplicate completion, silence, disconnect). The library
 * must fail cleanly and complete every accepted op exactly once. */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "test.h"
#include "vcrypto/vcrypto.h"
#include "vcrypto/vhost_user.h"
#include "vcrypto/virtio_ring.h"

static char g_path[108];
static struct virtio_crypto_config g_cfg;
static uint64_t g_qnum;
static atomic_int g_listen = -1, g_conn = -1;
static _Atomic(void *) g_desc, g_avail, g_used; /* ring 0, our own pointers */
static atomic_uint g_ring0_num;

static void put_cfg(uint32_t status, uint32_t maxq, uint64_t max_size, uint32_t services)
{
    memset(&g_cfg, 0, sizeof(g_cfg));
    g_cfg.status = htole32(status);
    g_cfg.max_dataqueues = htole32(maxq);
    g_cfg.crypto_services = htole32(services);
    g_cfg.hash_algo = htole32(1u << VIRTIO_CRYPTO_HASH_SHA_256);
    g_cfg.aead_algo = htole32(1u << VIRTIO_CRYPTO_AEAD_GCM);
    g_cfg.max_cipher_key_len = htole32(64);
    g_cfg.max_auth_key_len = htole32(512);
    g_cfg.max_size = htole64(max_size);
}

static int read_msg(int fd, struct vhost_user_hdr *h, uint8_t *payload)
{
    char cbuf[CMSG_SPACE(8 * sizeof(int))];
    struct iovec iov = {.iov_base = h, .iov_len = sizeof(*h)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof(cbuf)};
    if (recvmsg(fd, &mh, MSG_WAITALL) != (ssize_t)sizeof(*h))
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_type == SCM_RIGHTS) {
            int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < n; i++) {
                int x;
                memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                close(x);
            }
        }
    if (h->size > 4096 || (h->size && recv(fd, payload, h->size, MSG_WAITALL) != h->size))
        return -1;
    return 0;
}

static void reply(int fd, uint32_t req, const void *p, uint32_t n)
{
    uint8_t b[12 + 128];
    struct vhost_user_hdr h = {req, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, n};
    memcpy(b, &h, 12);
    memcpy(b + 12, p, n);
    ssize_t r = send(fd, b, 12 + n, MSG_NOSIGNAL);
    (void)r;
}

static void *backend(void *arg)
{
    (void)arg;
    int c = accept(g_listen, NULL, NULL);
    if (c < 0)
        return NULL;
    g_conn = c;
    struct vhost_user_hdr h;
    static uint8_t p[4096];
    while (read_msg(c, &h, p) == 0) {
        uint64_t v;
        switch (h.request) {
        case VHOST_USER_GET_FEATURES:
            v = (1ull << VHOST_USER_F_PROTOCOL_FEATURES) | (1ull << VIRTIO_F_VERSION_1) |
                (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                (1ull << VIRTIO_CRYPTO_F_REVISION_1) | (0x1full << 1);
            reply(c, h.request, &v, 8);
            break;
        case VHOST_USER_GET_PROTOCOL_FEATURES:
            v = (1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG);
            reply(c, h.request, &v, 8);
            break;
        case VHOST_USER_GET_QUEUE_NUM:
            reply(c, h.request, &g_qnum, 8);
            break;
        case VHOST_USER_GET_CONFIG: {
            uint8_t r[12 + 56] = {0};
            uint32_t sz = 56;
            memcpy(r + 4, &sz, 4);
            memcpy(r + 12, &g_cfg, 56);
            reply(c, h.request, r, sizeof(r));
            break;
        }
        case VHOST_USER_SET_VRING_NUM: {
            struct vhost_user_vring_state st;
            memcpy(&st, p, sizeof(st));
            if (st.index == 0)
                g_ring0_num = st.num;
            break;
        }
        case VHOST_USER_SET_VRING_ADDR: {
            struct vhost_user_vring_addr a;
            memcpy(&a, p, sizeof(a));
            if (a.index == 0) {
                g_desc = (void *)(uintptr_t)a.desc_user_addr;
                g_avail = (void *)(uintptr_t)a.avail_user_addr;
                g_used = (void *)(uintptr_t)a.used_user_addr;
            }
            break;
        }
        default:
            break;
        }
    }
    return NULL;
}

static pthread_t g_thr;

static void serve(void)
{
    unlink(g_path);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, g_path, strlen(g_path) + 1);
    if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
        printf("# bind: %s\n", strerror(errno));
    g_listen = l;
    g_conn = -1;
    g_desc = g_avail = g_used = NULL;
    pthread_create(&g_thr, NULL, backend, NULL);
}

static void unserve(void)
{
    int c = g_conn;
    if (c >= 0)
        shutdown(c, SHUT_RDWR);
    else
        shutdown(g_listen, SHUT_RDWR);
    pthread_join(g_thr, NULL);
    if (c >= 0)
        close(c);
    close(g_listen);
    unlink(g_path);
}

static int try_open(struct vc_dev **d, uint32_t timeout_ms)
{
    char spec[160];
    snprintf(spec, sizeof(spec), "vhost-user:%s", g_path);
    struct vc_dev_opts o = {.timeout_ms = timeout_ms, .queue_size = 8};
    serve();
    int r = vc_dev_open(spec, &o, d);
    /* Without REPLY_ACK the open does not wait for the backend thread to
     * have read the ring messages. */
    for (int i = 0; r == 0 && i < 1000 && !(g_used && g_ring0_num); i++)
        usleep(1000);
    return r;
}

TEST(impossible_configs_fail_open)
{
    struct vc_dev *d = NULL;
    put_cfg(0, 1, 4096, 0x1f); /* HW_READY clear */
    g_qnum = 2;
    EXPECT_EQ(try_open(&d, 1000), VC_EIO);
    unserve();
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 0, 4096, 0x1f); /* no data queue */
    EXPECT_EQ(try_open(&d, 1000), VC_EPROTO);
    unserve();
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 65535, 4096, 0x1f); /* ctrl ring beyond the rings */
    g_qnum = UINT64_MAX;
    EXPECT_EQ(try_open(&d, 1000), VC_EPROTO);
    unserve();
    EXPECT(d == NULL);
}

TEST(config_values_clamped)
{
    struct vc_dev *d = NULL;
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 1, UINT64_MAX, 0xffffffffu);
    g_qnum = 2;
    EXPECT_EQ(try_open(&d, 1000), 0);
    if (d) {
        struct vc_dev_info i;
        vc_dev_info(d, &i);
        EXPECT_EQ(i.max_size, UINT32_MAX);
        EXPECT_EQ(i.crypto_services, 0x1f);
        EXPECT_EQ(i.num_queues, 1);
        EXPECT_EQ(i.stateless, 0x1f);
        vc_dev_close(d);
    }
    unserve();
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 1, 0, 0x1f);
    EXPECT_EQ(try_open(&d, 1000), 0);
    if (d) {
        struct vc_dev_info i;
        vc_dev_info(d, &i);
        EXPECT_EQ(i.max_size, UINT32_MAX);
        vc_dev_close(d);
    }
    unserve();
}

TEST(silent_control_queue_times_out)
{
    struct vc_dev *d = NULL;
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 1, 4096, 0x1f);
    g_qnum = 2;
    EXPECT_EQ(try_open(&d, 200), 0);
    if (d) {
        /* Refused locally, so nothing waits for the silent device. */
        struct vc_session_params c = {.service = VIRTIO_CRYPTO_SERVICE_CIPHER};
        c.u.cipher.algo = VIRTIO_CRYPTO_CIPHER_AES_CBC; /* not in cipher_algo_l */
        c.u.cipher.op = VIRTIO_CRYPTO_OP_ENCRYPT;
        struct vc_session *s = NULL;
        EXPECT_EQ(vc_session_create(d, &c, &s), VC_ENOTSUP);
        c = (struct vc_session_params){.service = VIRTIO_CRYPTO_SERVICE_AEAD};
        c.u.aead.algo = VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305; /* not in aead_algo */
        c.u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
        EXPECT_EQ(vc_session_create(d, &c, &s), VC_ENOTSUP);
        uint8_t k65[65] = {0};
        c.u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
        c.u.aead.key = k65;
        c.u.aead.key_len = 65; /* max_cipher_key_len 64 */
        EXPECT_EQ(vc_session_create(d, &c, &s), VC_ERANGE);
        EXPECT_EQ(vc_dev_state(d), 0);
        /* A request the device never answers: timeout, device lost. */
        struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
        p.u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256;
        EXPECT_EQ(vc_session_create(d, &p, &s), VC_EIO);
        EXPECT_EQ(vc_dev_state(d), VC_EIO);
        EXPECT_EQ(vc_session_create(d, &p, &s), VC_EIO);
        vc_dev_close(d);
    }
    unserve();
}

/* Plays the device: the k-th available head. */
static uint16_t avail_head(uint16_t k)
{
    struct virtq_avail *a = g_avail;
    return le16toh(a->ring[k % g_ring0_num]);
}

static uint8_t *status_byte(uint16_t head)
{
    struct virtq_desc *d = g_desc;
    struct virtq_desc *t = (struct virtq_desc *)(uintptr_t)le64toh(d[head].addr);
    uint32_t n = le32toh(d[head].len) / 16;
    return (uint8_t *)(uintptr_t)le64toh(t[n - 1].addr);
}

static void push_used(uint32_t id, uint32_t len)
{
    struct virtq_used *u = g_used;
    uint16_t i = u->idx;
    u->ring[i % g_ring0_num].id = htole32(id);
    u->ring[i % g_ring0_num].len = htole32(len);
    __atomic_store_n(&u->idx, (uint16_t)(i + 1), __ATOMIC_RELEASE);
}

static struct vc_session_params g_hash = {.service = VIRTIO_CRYPTO_SERVICE_HASH,
                                          .u.hash.algo = VIRTIO_CRYPTO_HASH_SHA_256};

static uint32_t dequeue_all(struct vc_qp *qp, struct vc_op **done, uint32_t max)
{
    uint32_t got = 0;
    for (int spin = 0; spin < 1000 && got < max; spin++) {
        got += vc_dequeue_burst(qp, done + got, (uint16_t)(max - got));
        usleep(100);
    }
    return got;
}

TEST(hostile_completions)
{
    struct vc_dev *d = NULL;
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 1, 4096, 0x1f);
    g_qnum = 2;
    EXPECT_EQ(try_open(&d, 500), 0);
    if (!d) {
        unserve();
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    uint8_t msg[16] = {1}, dg[5][32];
    struct vc_op ops[5], *v[5], *done[8];
    for (int i = 0; i < 5; i++) {
        ops[i] = (struct vc_op){.stateless = &g_hash, .opcode = VIRTIO_CRYPTO_HASH, .src = msg,
                                .src_len = 16, .digest = dg[i], .digest_len = 32,
                                .user = (void *)(uintptr_t)i};
        v[i] = &ops[i];
    }
    EXPECT_EQ(vc_enqueue_burst(qp, v, 5), 5);
    EXPECT(g_avail != NULL);
    if (!g_avail) {
        vc_dev_close(d);
        unserve();
        return;
    }
    uint16_t h[5];
    for (uint16_t k = 0; k < 5; k++)
        h[k] = avail_head(k);
    /* 0: a fine answer; 1: used len above what was offered (32 + 1);
     * 2: status byte out of range; 3: len 0 (status never written). */
    memset(dg[0], 0xab, 32);
    *status_byte(h[0]) = VIRTIO_CRYPTO_OK;
    push_used(h[0], 33);
    *status_byte(h[1]) = VIRTIO_CRYPTO_OK;
    push_used(h[1], 34);
    *status_byte(h[2]) = 0x55;
    push_used(h[2], 1);
    push_used(h[3], 0);
    EXPECT_EQ(dequeue_all(qp, done, 4), 4);
    EXPECT_STATUS(ops[0].status, VIRTIO_CRYPTO_OK);
    EXPECT_EQ(ops[1].status, VC_OP_STATUS_BAD_DEVICE);
    EXPECT_EQ(ops[2].status, VC_OP_STATUS_BAD_DEVICE);
    EXPECT_EQ(ops[3].status, VC_OP_STATUS_BAD_DEVICE);
    EXPECT_EQ(vc_dev_state(d), 0);
    /* Duplicate completion of head 0: the ring cannot be trusted any more;
     * op 4, still in flight, completes once with BAD_DEVICE. */
    push_used(h[0], 33);
    EXPECT_EQ(dequeue_all(qp, done, 8), 1);
    EXPECT_EQ(done[0], &ops[4]);
    EXPECT_EQ(ops[4].status, VC_OP_STATUS_BAD_DEVICE);
    EXPECT_EQ(vc_dev_state(d), VC_EBROKEN);
    EXPECT_EQ(vc_enqueue_burst(qp, v, 1), 0);
    EXPECT_EQ(vc_qp_inflight(qp), 0);
    vc_dev_close(d);
    unserve();
}

TEST(used_id_out_of_range_and_disconnect)
{
    struct vc_dev *d = NULL;
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 1, 4096, 0x1f);
    g_qnum = 2;
    EXPECT_EQ(try_open(&d, 500), 0);
    if (!d) {
        unserve();
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    uint8_t msg[16] = {1}, dg[3][32];
    struct vc_op ops[3], *v[3], *done[4];
    for (int i = 0; i < 3; i++) {
        ops[i] = (struct vc_op){.stateless = &g_hash, .opcode = VIRTIO_CRYPTO_HASH, .src = msg,
                                .src_len = 16, .digest = dg[i], .digest_len = 32};
        v[i] = &ops[i];
    }
    EXPECT_EQ(vc_enqueue_burst(qp, v, 2), 2);
    push_used(1000, 1);
    EXPECT_EQ(dequeue_all(qp, done, 4), 2);
    EXPECT_EQ(ops[0].status, VC_OP_STATUS_BAD_DEVICE);
    EXPECT_EQ(ops[1].status, VC_OP_STATUS_BAD_DEVICE);
    vc_dev_close(d);
    unserve();

    /* The backend goes away with an op in flight: DEVICE_LOST, once, and
     * the qp's eventfd wakes a sleeper. */
    EXPECT_EQ(try_open(&d, 500), 0);
    if (!d) {
        unserve();
        return;
    }
    qp = vc_dev_qp(d, 0);
    EXPECT_EQ(vc_enqueue_burst(qp, v + 2, 1), 1);
    EXPECT(!vc_qp_arm(qp));
    unserve(); /* closes the connection */
    struct pollfd pf = {.fd = vc_qp_eventfd(qp), .events = POLLIN};
    EXPECT_EQ(poll(&pf, 1, 2000), 1);
    EXPECT_EQ(vc_dev_state(d), VC_EIO);
    EXPECT(vc_qp_arm(qp));
    EXPECT_EQ(dequeue_all(qp, done, 4), 1);
    EXPECT_EQ(ops[2].status, VC_OP_STATUS_DEVICE_LOST);
    EXPECT(!vc_qp_arm(qp));
    vc_dev_close(d);
}

/* The device completes a burst in reverse order (virtio allows any order):
 * every op comes back once, in completion order, with its own result. */
TEST(out_of_order_completion)
{
    struct vc_dev *d = NULL;
    put_cfg(VIRTIO_CRYPTO_S_HW_READY, 1, 4096, 0x1f);
    g_qnum = 2;
    EXPECT_EQ(try_open(&d, 500), 0);
    if (!d || !g_avail) {
        vc_dev_close(d);
        unserve();
        return;
    }
    struct vc_qp *qp = vc_dev_qp(d, 0);
    enum { N = 8 };
    uint8_t msg[16] = {1}, dg[N][32];
    struct vc_op ops[N], *v[N], *done[N];
    for (int i = 0; i < N; i++) {
        ops[i] = (struct vc_op){.stateless = &g_hash, .opcode = VIRTIO_CRYPTO_HASH, .src = msg,
                                .src_len = 16, .digest = dg[i], .digest_len = 32,
                                .user = (void *)(uintptr_t)i};
        v[i] = &ops[i];
    }
    EXPECT_EQ(vc_enqueue_burst(qp, v, N), N);
    uint16_t h[N];
    for (uint16_t k = 0; k < N; k++)
        h[k] = avail_head(k);
    /* The digest the device "computes" for request k is k repeated; the
     * digest buffer precedes the status byte in the request's last two
     * descriptors (bounce area), so write it through the indirect table. */
    for (int k = N - 1; k >= 0; k--) {
        struct virtq_desc *dd = g_desc;
        struct virtq_desc *t = (struct virtq_desc *)(uintptr_t)le64toh(dd[h[k]].addr);
        uint32_t n = le32toh(dd[h[k]].len) / 16;
        memset((void *)(uintptr_t)le64toh(t[n - 2].addr), 0x40 + k, 32);
        *status_byte(h[k]) = VIRTIO_CRYPTO_OK;
        push_used(h[k], 33);
    }
    EXPECT_EQ(dequeue_all(qp, done, N), N);
    for (int i = 0; i < N; i++) {
        int k = (int)(uintptr_t)done[i]->user;
        EXPECT_EQ(k, N - 1 - i); /* completion order, not submission order */
        EXPECT_STATUS(done[i]->status, VIRTIO_CRYPTO_OK);
        EXPECT_EQ(dg[k][0], 0x40 + k);
        EXPECT_EQ(dg[k][31], 0x40 + k);
    }
    EXPECT_EQ(vc_qp_inflight(qp), 0);
    vc_dev_close(d);
    unserve();
}

int main(void)
{
    snprintf(g_path, sizeof(g_path), "/tmp/vc-hostile-%d.sock", (int)getpid());
    RUN(impossible_configs_fail_open);
    RUN(config_values_clamped);
    RUN(silent_control_queue_times_out);
    RUN(hostile_completions);
    RUN(used_id_out_of_range_and_disconnect);
    RUN(out_of_order_completion);
    return TEST_DONE();
}
