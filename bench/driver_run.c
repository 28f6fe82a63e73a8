/* The timed loops of bench/driver and its vcryptod child (driver.h). */
#include "driver.h"

#include <errno.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/internal.h" /* qp->kicks */
#include "vcrypto/vcrypto.h"

static const uint8_t KEY[32] = {0x42, 1, 2, 3};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

double db_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double db_cpu(void)
{
    struct rusage r;
    getrusage(RUSAGE_THREAD, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
           (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

void db_pin_self(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

/* ---- vcryptod child */

int db_daemon_start(struct db_daemon *d, const char *vcryptod, unsigned poll_us, int cpu)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->dir, sizeof(d->dir), "/tmp/vcdrvbench-XXXXXX");
    if (!mkdtemp(d->dir)) {
        d->dir[0] = '\0';
        return -1;
    }
    snprintf(d->sock, sizeof(d->sock), "%s/dev.sock", d->dir);
    snprintf(d->spec, sizeof(d->spec), "vhost-user:%s", d->sock);
    char poll_arg[16];
    snprintf(poll_arg, sizeof(poll_arg), "%u", poll_us);
    d->pid = fork();
    if (d->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the bench */
        db_pin_self(cpu);
        execl(vcryptod, vcryptod, "--socket-path", d->sock, "--queues", "1", "--poll-us",
              poll_arg, (char *)NULL);
        fprintf(stderr, "driver bench: exec %s: %s\n", vcryptod, strerror(errno));
        _exit(127);
    }
    if (d->pid < 0)
        return -1;
    struct stat st;
    for (int i = 0; i < 500; i++) {
        if (stat(d->sock, &st) == 0)
            return 0;
        if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
            d->pid = 0;
            return -1;
        }
        usleep(10000);
    }
    return -1;
}

void db_daemon_stop(struct db_daemon *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
    }
    if (d->sock[0])
        unlink(d->sock);
    if (d->dir[0])
        rmdir(d->dir);
    memset(d, 0, sizeof(*d));
}

/* ---- device side */

uint32_t db_inflight = DB_MAX_INFLIGHT;
static struct vc_op g_ops[DB_MAX_INFLIGHT];
static uint8_t g_iv[DB_MAX_INFLIGHT][12];

int db_dev_open(struct db_dev *d, const char *spec, uint32_t key_len, uint32_t size, int cpu)
{
    memset(d, 0, sizeof(*d));
    struct vc_dev_opts o;
    vc_dev_opts_init(&o);
    o.queue_size = 2 * db_inflight;
    o.bounce_size = 256; /* zero copy: only the IV is copied */
    o.mem_size = (uint64_t)db_inflight * (2 * DB_MAX_MSG + 64) + (1u << 20);
    /* inproc: the device thread inherits this thread's CPU set. */
    cpu_set_t saved;
    sched_getaffinity(0, sizeof(saved), &saved);
    db_pin_self(cpu);
    int r = vc_dev_open(spec, &o, &d->dev);
    sched_setaffinity(0, sizeof(saved), &saved);
    if (r) {
        fprintf(stderr, "driver bench: open %s: %s\n", spec, vc_strerror(r));
        return r;
    }
    struct vc_session_params p = {.service = VIRTIO_CRYPTO_SERVICE_AEAD};
    p.u.aead.algo = VIRTIO_CRYPTO_AEAD_GCM;
    p.u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
    p.u.aead.key = KEY;
    p.u.aead.key_len = key_len;
    p.u.aead.tag_len = 16;
    if ((r = vc_session_create(d->dev, &p, &d->sess)) != 0) {
        fprintf(stderr, "driver bench: session: %s\n", vc_strerror(r));
        vc_dev_close(d->dev);
        return r;
    }
    d->qp = vc_dev_qp(d->dev, 0);
    d->size = size;
    size_t stride = 2 * (size_t)size + 64;
    d->buf = vc_mem_alloc(d->dev, db_inflight * stride);
    if (d->buf == NULL) {
        db_dev_close(d);
        return VC_ENOMEM;
    }
    memset(d->buf, 0x3c, db_inflight * stride);
    for (uint32_t i = 0; i < db_inflight; i++) {
        uint8_t *src = d->buf + i * stride;
        g_ops[i] = (struct vc_op){.session = d->sess, .opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT,
                                  .iv = g_iv[i], .iv_len = 12, .src = src, .src_len = size,
                                  .dst = src + size, .dst_len = size + 16};
    }
    return 0;
}

void db_dev_close(struct db_dev *d)
{
    if (d->buf)
        vc_mem_free(d->dev, d->buf);
    if (d->sess)
        vc_session_destroy(d->sess);
    if (d->dev)
        vc_dev_close(d->dev);
    memset(d, 0, sizeof(*d));
}

static void check(const struct vc_op *op)
{
    if (op->status != VIRTIO_CRYPTO_OK) {
        fprintf(stderr, "driver bench: op failed with status %d\n", op->status);
        exit(1);
    }
}

void db_run_device(struct db_dev *d, bool event, double secs, struct db_sample *s)
{
    struct vc_op *free_ops[DB_MAX_INFLIGHT], *done[DB_BURST];
    uint32_t nfree = db_inflight;
    for (uint32_t i = 0; i < db_inflight; i++)
        free_ops[i] = &g_ops[i];
    memset(s, 0, sizeof(*s));
    uint64_t k0 = d->qp->kicks;
    int efd = vc_qp_eventfd(d->qp);
    double c0 = db_cpu(), t0 = db_now(), t = t0;
    for (uint32_t it = 0;; it++) {
        while (nfree >= DB_BURST) {
            struct vc_op **b = free_ops + nfree - DB_BURST;
            for (uint32_t i = 0; i < DB_BURST; i++)
                g_iv[b[i] - g_ops][0]++;
            uint16_t k = vc_enqueue_burst(d->qp, b, DB_BURST);
            /* Accepted ops are the first k: move the rest down. */
            if (k < DB_BURST)
                memmove(b, b + k, (DB_BURST - k) * sizeof(*b));
            nfree -= k;
            if (k < DB_BURST)
                break;
        }
        uint16_t got = vc_dequeue_burst(d->qp, done, DB_BURST);
        for (uint16_t i = 0; i < got; i++) {
            check(done[i]);
            free_ops[nfree++] = done[i];
        }
        s->ops += got;
        /* A polite spin (PAUSE), as DPDK's rte_pause: a spinning thread
         * otherwise takes issue slots from an SMT sibling (the device). */
        if (got == 0 && !event)
            for (int p = 0; p < 8; p++)
                cpu_relax();
        if (got == 0 && event && !vc_qp_arm_batch(d->qp, db_inflight / 2)) {
            struct pollfd pf = {.fd = efd, .events = POLLIN};
            (void)poll(&pf, 1, 1000);
            s->sleeps++;
        }
        if ((it & 15) == 0 && (t = db_now()) - t0 >= secs)
            break;
    }
    s->wall_s = t - t0;
    s->cpu_s = db_cpu() - c0;
    s->kicks = d->qp->kicks - k0;
    /* Drain, untimed, so the next round starts empty. */
    while (nfree < db_inflight) {
        uint16_t got = vc_dequeue_burst(d->qp, done, DB_BURST);
        for (uint16_t i = 0; i < got; i++)
            free_ops[nfree++] = done[i];
    }
}

double db_qd1_device_ns(struct db_dev *d, double secs)
{
    struct vc_op *one = &g_ops[0], *done;
    uint64_t n = 0;
    double t0 = db_now(), t;
    do {
        for (int i = 0; i < 64; i++) {
            g_iv[0][0]++;
            if (vc_enqueue_burst(d->qp, &one, 1) != 1)
                return -1;
            while (vc_dequeue_burst(d->qp, &done, 1) == 0)
                ;
            check(done);
        }
        n += 64;
        t = db_now();
    } while (t - t0 < secs);
    return (t - t0) * 1e9 / (double)n;
}

/* ---- native side: EVP over the same number of buffers */

static uint8_t *native_buf(void)
{
    static uint8_t *buf;
    if (buf == NULL) {
        buf = aligned_alloc(64, DB_MAX_INFLIGHT * (2 * (size_t)DB_MAX_MSG + 64));
        if (buf == NULL)
            abort();
        memset(buf, 0x3c, DB_MAX_INFLIGHT * (2 * (size_t)DB_MAX_MSG + 64));
    }
    return buf;
}

static EVP_CIPHER_CTX *native_ctx(uint32_t key_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL ||
        EVP_EncryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, KEY,
                           NULL) != 1)
        abort();
    return c;
}

static void native_one(EVP_CIPHER_CTX *c, uint8_t *iv, uint8_t *src, uint32_t size)
{
    int l;
    (*(uint32_t *)(void *)iv)++;
    if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(c, src + size, &l, src, (int)size) != 1 ||
        EVP_EncryptFinal_ex(c, src + 2 * size, &l) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, src + 2 * size) != 1)
        abort();
}

void db_run_native(uint32_t key_len, uint32_t size, double secs, struct db_sample *s)
{
    uint8_t *buf = native_buf();
    size_t stride = 2 * (size_t)size + 64;
    EVP_CIPHER_CTX *c = native_ctx(key_len);
    memset(s, 0, sizeof(*s));
    double c0 = db_cpu(), t0 = db_now(), t;
    do {
        for (uint32_t i = 0; i < db_inflight; i++)
            native_one(c, g_iv[i], buf + i * stride, size);
        s->ops += db_inflight;
        t = db_now();
    } while (t - t0 < secs);
    s->wall_s = t - t0;
    s->cpu_s = db_cpu() - c0;
    EVP_CIPHER_CTX_free(c);
}

double db_qd1_native_ns(uint32_t key_len, uint32_t size, double secs)
{
    uint8_t *buf = native_buf();
    EVP_CIPHER_CTX *c = native_ctx(key_len);
    uint64_t n = 0;
    double t0 = db_now(), t;
    do {
        for (int i = 0; i < 64; i++)
            native_one(c, g_iv[0], buf, size);
        n += 64;
        t = db_now();
    } while (t - t0 < secs);
    EVP_CIPHER_CTX_free(c);
    return (t - t0) * 1e9 / (double)n;
}
