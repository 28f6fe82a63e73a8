/* Quick libvcrypto numbers (not a test): AES-256-GCM encrypt, burst 32,
 * 64 B / 1 KiB / 16 KiB, through the given devices vs native OpenSSL EVP
 * (key schedule kept, new IV per message) in the same run; client CPU per
 * op from getrusage(RUSAGE_THREAD); kicks per op; queue-depth-1 round trip.
 * "spin" polls vc_dequeue_burst; "event" sleeps on the qp eventfd
 * (vc_qp_arm) when nothing is ready.
 *
 * usage: driver_perf [SPEC...]   (default: inproc)
 *        driver_perf loopback    (the library's own cost, no device)
 */
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "driver/internal.h"
#include "vcrypto/vcrypto.h"
#include "vcrypto/vhost_user.h"

#define BURST 32
static const uint8_t K[32] = {1};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage r;
    getrusage(RUSAGE_THREAD, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
           (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

static double native(uint32_t size, double secs)
{
    static uint8_t src[16384], dst[16384 + 16];
    uint8_t iv[12] = {0};
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, K, NULL);
    uint64_t n = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 256; k++) {
            int l;
            iv[0]++;
            EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv);
            EVP_EncryptUpdate(c, dst, &l, src, (int)size);
            EVP_EncryptFinal_ex(c, dst + size, &l);
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, dst + size);
        }
        n += 256;
        t = now_s();
    } while (t - t0 < secs);
    EVP_CIPHER_CTX_free(c);
    return (double)n / (t - t0);
}

struct res {
    double ops, cpu_ns, kicks_per_op, lat_us;
};

static int through(const char *spec, uint32_t size, double secs, bool event, struct res *out)
{
    struct vc_dev *d;
    struct vc_dev_opts o = {.queue_size = 64};
    int r = vc_dev_open(spec, &o, &d);
    if (r) {
        fprintf(stderr, "open %s: %s\n", spec, vc_strerror(r));
        return r;
    }
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_AEAD};
    p.u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
    p.u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    p.u.aead.key = K;
    p.u.aead.key_len = 32;
    p.u.aead.tag_len = 16;
    struct vc_session *s;
    if ((r = vc_session_create(d, &p, &s)) != 0)
        return r;
    struct vc_qp *qp = vc_dev_qp(d, 0);
    uint8_t *buf = vc_mem_alloc(d, (size_t)BURST * (2 * size + 64));
    static uint8_t iv[BURST][12];
    struct vc_op ops[BURST], *v[BURST], *done[BURST];
    for (int i = 0; i < BURST; i++) {
        uint8_t *src = buf + (size_t)i * (2 * size + 64);
        ops[i] = (struct vc_op){.session = s, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT,
                                .iv = iv[i], .iv_len = 12, .src = src, .src_len = size,
                                .dst = src + size, .dst_len = size + 16};
        v[i] = &ops[i];
    }
    uint64_t n = 0, k0 = qp->kicks;
    double c0 = cpu_s(), t0 = now_s(), t;
    do {
        for (int rep = 0; rep < 64; rep++) {
            for (int i = 0; i < BURST; i++)
                iv[i][0]++;
            uint16_t sent = vc_enqueue_burst(qp, v, BURST);
            uint32_t got = 0;
            while (got < sent) {
                uint16_t k = vc_dequeue_burst(qp, done, BURST);
                got += k;
                if (k || !event)
                    continue;
                if (!vc_qp_arm(qp)) {
                    struct pollfd pf = {.fd = vc_qp_eventfd(qp), .events = POLLIN};
                    (void)poll(&pf, 1, 1000);
                }
            }
            n += sent;
        }
        t = now_s();
    } while (t - t0 < secs);
    out->cpu_ns = (cpu_s() - c0) * 1e9 / (double)n;
    out->ops = (double)n / (t - t0);
    out->kicks_per_op = (double)(qp->kicks - k0) / (double)n;
    /* queue depth 1, polling */
    uint64_t m = 0;
    t0 = now_s();
    do {
        struct vc_op *one = &ops[0];
        if (vc_enqueue_burst(qp, &one, 1) == 1)
            while (vc_dequeue_burst(qp, done, 1) == 0)
                ;
        m++;
        t = now_s();
    } while (t - t0 < secs / 4);
    out->lat_us = (t - t0) * 1e6 / (double)m;
    vc_mem_free(d, buf);
    vc_session_destroy(s);
    vc_dev_close(d);
    return 0;
}

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

static void loopback(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/vc-perf-%d.sock", (int)getpid());
    unlink(path);
    lb_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (bind(lb_listen, (struct sockaddr *)&sa, sizeof(sa)) || listen(lb_listen, 1))
        return;
    pthread_t t;
    pthread_create(&t, NULL, lb_backend, NULL);
    char spec[80];
    snprintf(spec, sizeof(spec), "vhost-user:%s", path);
    struct vc_dev *d;
    struct vc_dev_opts o = {.queue_size = 64};
    if (vc_dev_open(spec, &o, &d) != 0)
        return;
    struct vc_qp *qp = vc_dev_qp(d, 0);
    /* A session handle without a device round trip (nobody serves the
     * control queue here): only its fields matter to the data path. */
    struct vc_session fake = {.dev = d, .id = 1, .service = VIRTIO_CRYPTO_SERVICE_AEAD,
                              .algo = VIRTIO_CRYPTO_AEAD_GCM, .tag_len = 16};
    static uint8_t heap_src[BURST][64], heap_dst[BURST][80];
    uint8_t *buf = vc_mem_alloc(d, BURST * 256);
    static uint8_t iv[BURST][12];
    struct vc_op ops[BURST], *v[BURST], *done[BURST];
    for (int zc = 1; zc >= 0; zc--) {
        for (int i = 0; i < BURST; i++) {
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
                double a = now_s();
                uint16_t k = vc_enqueue_burst(qp, v, BURST);
                in += now_s() - a;
                for (uint16_t j = 0; j < k; j++, last_avail++) {
                    uint16_t head = av->ring[last_avail % qp->size];
                    qp->slot_base[(size_t)head * qp->stride + VC__META_STATUS] = 0;
                    uint16_t u = us->idx;
                    us->ring[u % qp->size].id = head;
                    us->ring[u % qp->size].len = 81;
                    __atomic_store_n(&us->idx, (uint16_t)(u + 1), __ATOMIC_RELEASE);
                }
                a = now_s();
                uint16_t got = vc_dequeue_burst(qp, done, BURST);
                in += now_s() - a;
                n += got;
            }
            double per = in * 1e9 / (double)n;
            best = per < best ? per : best;
        }
        printf("loopback (library only, no crypto), 64 B, %s: %.0f ns/op enqueue+dequeue "
               "(best of 20 x 64000 ops)\n",
               zc ? "zero-copy" : "bounce   ", best);
    }
    vc_mem_free(d, buf);
    vc_dev_close(d);
    pthread_join(t, NULL);
    close(lb_listen);
    unlink(path);
}

int main(int argc, char **argv)
{
    char def[] = "inproc";
    char *defv[] = {def};
    char **specs = argc > 1 ? argv + 1 : defv;
    int nspec = argc > 1 ? argc - 1 : 1;
    const uint32_t sizes[] = {64, 1024, 16384};
    if (argc > 1 && strcmp(argv[1], "loopback") == 0) {
        loopback();
        return 0;
    }
    printf("AES-256-GCM encrypt, burst %d, zero-copy buffers\n", BURST);
    printf("%-36s %5s %6s %10s %10s %6s %9s %8s %7s\n", "device", "wait", "size", "ops/s",
           "native", "ratio", "cpu ns/op", "kicks/op", "qd1 us");
    for (int s = 0; s < nspec; s++)
        for (int ev = 0; ev < 2; ev++)
            for (unsigned z = 0; z < 3; z++) {
                double nat = native(sizes[z], 0.3);
                struct res r;
                if (through(specs[s], sizes[z], 0.6, ev, &r))
                    return 1;
                printf("%-36s %5s %6u %10.0f %10.0f %6.2f %9.0f %8.3f %7.2f\n", specs[s],
                       ev ? "event" : "spin", sizes[z], r.ops, nat, r.ops / nat, r.cpu_ns,
                       r.kicks_per_op, r.lat_us);
            }
    return 0;
}
