/* bench/driver --loopback: libvcrypto's own cost per op. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "driver.h"
#include "driver/internal.h"
#include "vcrypto/vcrypto.h"
#include "vcrypto/vhost_user.h"

/* ---- loopback: the library's own cost, without a device competing for
 * the CPU. A minimal vhost-user backend thread only answers set-up; this
 * thread then plays the device by hand (status byte + used entry, no
 * crypto), and only the enqueue/dequeue calls are timed. */

static int lb_listen;

static void *lb_backend(void *arg)
{
    (void)arg;
    int c = accept(lb_listen, NULL, NULL);
    uint8_t buf[4096];
    char cb[CMSG_SPACE(8 * sizeof(int))];
    for (;;) {
        struct vhost_user_hdr h;
        struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
                            .msg_controllen = sizeof(cb)};
        if (recvmsg(c, &mh, MSG_WAITALL) != (ssize_t)sizeof(h) || h.size > sizeof(buf) ||
            (h.size && recv(c, buf, h.size, MSG_WAITALL) != h.size))
            break;
        uint8_t rep[12 + 68];
        uint32_t n = 8;
        uint64_t v = 0;
        struct virtio_crypto_config cfg = {.status = 1, .max_dataqueues = 1,
                                           .crypto_services = 1u << VIRTIO_CRYPTO_SERVICE_AEAD,
                                           .aead_algo = 1u << VIRTIO_CRYPTO_AEAD_GCM,
                                           .max_cipher_key_len = 32, .max_size = 1u << 20};
        switch (h.request) {
        case VHOST_USER_GET_FEATURES:
            v = (1ull << VHOST_USER_F_PROTOCOL_FEATURES) | (1ull << 32) | (1ull << 29) |
                (1ull << 28) | 1;
            break;
        case VHOST_USER_GET_PROTOCOL_FEATURES:
            v = (1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG);
            break;
        case VHOST_USER_GET_QUEUE_NUM:
            v = 2;
            break;
        case VHOST_USER_GET_CONFIG:
            n = 68;
            memset(rep + 12, 0, 12);
            rep[16] = 56;
            memcpy(rep + 24, &cfg, 56);
            break;
        default:
            continue;
        }
        struct vhost_user_hdr r = {h.request, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, n};
        memcpy(rep, &r, 12);
        if (n == 8)
            memcpy(rep + 12, &v, 8);
        if (send(c, rep, 12 + n, MSG_NOSIGNAL) < 0)
            break;
    }
    close(c);
    return NULL;
}

int db_loopback(double *zc_ns, double *bounce_ns)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/vc-perf-%d.sock", (int)getpid());
    unlink(path);
    lb_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (bind(lb_listen, (struct sockaddr *)&sa, sizeof(sa)) || listen(lb_listen, 1))
        return -1;
    pthread_t t;
    pthread_create(&t, NULL, lb_backend, NULL);
    char spec[80];
    snprintf(spec, sizeof(spec), "vhost-user:%s", path);
    struct vc_dev *d;
    struct vc_dev_opts o = {.queue_size = 64};
    if (vc_dev_open(spec, &o, &d) != 0)
        return -1;
    struct vc_qp *qp = vc_dev_qp(d, 0);
    /* A session handle without a device round trip (nobody serves the
     * control queue here): only its fields matter to the data path. */
    struct vc_session fake = {.dev = d, .id = 1, .service = VIRTIO_CRYPTO_SERVICE_AEAD,
                              .algo = VIRTIO_CRYPTO_AEAD_GCM, .tag_len = 16};
    static uint8_t heap_src[DB_BURST][64], heap_dst[DB_BURST][80];
    uint8_t *buf = vc_mem_alloc(d, DB_BURST * 256);
    static uint8_t iv[DB_BURST][12];
    struct vc_op ops[DB_BURST], *v[DB_BURST], *done[DB_BURST];
    for (int zc = 1; zc >= 0; zc--) {
        for (unsigned i = 0; i < DB_BURST; i++) {
            ops[i] = (struct vc_op){.session = &fake, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT,
                                    .iv = iv[i], .iv_len = 12,
                                    .src = zc ? buf + 256 * i : heap_src[i], .src_len = 64,
                                    .dst = zc ? buf + 256 * i + 64 : heap_dst[i],
                                    .dst_len = 80};
            v[i] = &ops[i];
        }
        struct virtq_avail *av = qp->ring.avail;
        struct virtq_used *us = qp->ring.used;
        static uint16_t last_avail;
        double best = 1e9;
        for (int rep = 0; rep < 20; rep++) {
            double in = 0;
            uint64_t n = 0;
            for (int it = 0; it < 2000; it++) {
                double a = db_now();
                uint16_t k = vc_enqueue_burst(qp, v, DB_BURST);
                in += db_now() - a;
                for (uint16_t j = 0; j < k; j++, last_avail++) {
                    uint16_t head = av->ring[last_avail % qp->size];
                    qp->slot_base[(size_t)head * qp->stride + VC__DATA_STATUS] = 0;
                    uint16_t u = us->idx;
                    us->ring[u % qp->size].id = head;
                    us->ring[u % qp->size].len = 81;
                    __atomic_store_n(&us->idx, (uint16_t)(u + 1), __ATOMIC_RELEASE);
                }
                a = db_now();
                uint16_t got = vc_dequeue_burst(qp, done, DB_BURST);
                in += db_now() - a;
                n += got;
            }
            double per = in * 1e9 / (double)n;
            best = per < best ? per : best;
        }
        *(zc ? zc_ns : bounce_ns) = best;
    }
    vc_mem_free(d, buf);
    vc_dev_close(d);
    pthread_join(t, NULL);
    close(lb_listen);
    unlink(path);
    return 0;
}

