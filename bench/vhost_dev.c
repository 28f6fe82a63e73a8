/* The vhost side of bench/vhost: a vcryptod child and a split-ring driver.
 *
 * IMPLEMENTATION NOTES
 * Guest memory layout (one 8 MiB memfd region): data ring (VB_RING), control
 * ring (64), then per slot: request header, IV, source, destination, status
 * byte and an indirect table, each allocated once at start. A cell rewrites
 * the headers and descriptors once (vb_dev_prepare); the timed loop only
 * writes the avail ring, one status byte per request (reset to 0xee after it
 * was checked, so a device that does not write it is caught) and kicks.
 *
 * Requests use the REVISION_1 layouts and the descriptor split the Linux
 * driver uses: header | IV | source | destination | status (AEAD has no AAD
 * descriptor here because aad_len is 0), HMAC: header | source | digest |
 * status. Slot i uses descriptors i*ndesc .. i*ndesc+ndesc-1 (direct) or
 * descriptor i pointing at its own table (indirect), so heads never collide
 * and a completed head maps straight back to its slot.
 *
 * Notifications, as a virtio driver does them: after publishing avail->idx a
 * full fence, then a kick only if the device has not set
 * VIRTQ_USED_F_NO_NOTIFY (the frontend does not negotiate EVENT_IDX, so the
 * flags are the device's only channel; --always-kick disables this). In spin
 * and yield modes avail->flags carries VIRTQ_AVAIL_F_NO_INTERRUPT so the
 * device skips the call eventfd; in event mode it is clear and the client
 * sleeps in poll().
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "vcrypto/virtio_crypto.h"
#include "vcrypto/virtio_ring.h"
#include "vhost.h"

#define CTRL_RING 64u
#define GUEST_MEM (8ull << 20)
#define HDR_CAP 128u
#define TIMEOUT_NS 3000000000ull
#define PROTO                                                                                      \
    ((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |            \
     (1ull << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG))

const uint8_t vb_key_gcm[32] = {0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
                                0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
                                0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4};
const uint8_t vb_key_cbc[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
const uint8_t vb_key_hmac[32] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};

uint64_t vb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vb_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

/* CPU time of every thread of pid: the first field of each
 * /proc/PID/task/TID/schedstat is nanoseconds on CPU. */
static uint64_t proc_cpu_ns(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (!dir)
        return 0;
    uint64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[300];
        snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        unsigned long long ns = 0;
        if (fscanf(f, "%llu", &ns) == 1)
            sum += ns;
        fclose(f);
    }
    closedir(dir);
    return sum;
}

static void put32(uint8_t *b, uint32_t off, uint32_t v)
{
    v = htole32(v);
    memcpy(b + off, &v, 4);
}

static void put64(uint8_t *b, uint32_t off, uint64_t v)
{
    v = htole64(v);
    memcpy(b + off, &v, 8);
}

/* Session creation on the control queue (REVISION_1: ctrl header, op_flf of
 * its real size, then the key). Blocking; setup only. */
static int ctrl_create(struct vb_dev *d, uint32_t opcode, const uint8_t *flf, uint32_t flf_len,
                       const uint8_t *key, uint32_t key_len, uint64_t *id)
{
    uint32_t fixed = 16 + flf_len;
    uint8_t *h = drv_alloc(&d->m, &d->brk, fixed + key_len);
    put32(h, 0, opcode);
    memcpy(h + 16, flf, flf_len);
    memcpy(h + fixed, key, key_len);
    uint8_t *out = drv_alloc(&d->m, &d->brk, 16);
    memset(out, 0xee, 16);
    struct drv_buf b[2] = {{h, fixed + key_len, false}, {out, 16, true}};
    drv_post(&d->cq, &d->brk, b, 2, false);
    drv_kick(&d->cq);
    uint32_t hid, len;
    if (!drv_wait_used(&d->cq, 3000, &hid, &len)) {
        fprintf(stderr, "vhost bench: session create 0x%x: no completion\n", opcode);
        return -1;
    }
    uint64_t sid;
    uint32_t st;
    memcpy(&sid, out, 8);
    memcpy(&st, out + 8, 4);
    if (le32toh(st) != VIRTIO_CRYPTO_OK) {
        fprintf(stderr, "vhost bench: session create 0x%x: status %u\n", opcode, le32toh(st));
        return -1;
    }
    *id = le64toh(sid);
    return 0;
}

static int create_sessions(struct vb_dev *d)
{
    uint8_t flf[56];

    /* virtio_crypto_aead_create_session_flf: algo, key_len, tag_len,
     * aad_len, op. */
    memset(flf, 0, sizeof(flf));
    put32(flf, 0, VIRTIO_CRYPTO_AEAD_GCM);
    put32(flf, 4, 32);
    put32(flf, 8, 16);
    put32(flf, 12, 0);
    put32(flf, 16, VIRTIO_CRYPTO_OP_ENCRYPT);
    if (ctrl_create(d, VIRTIO_CRYPTO_AEAD_CREATE_SESSION, flf, 24, vb_key_gcm, 32,
                    &d->sid[VB_GCM]))
        return -1;

    /* virtio_crypto_sym_create_session_flf: cipher_session_flf {algo,
     * key_len, op} in op_flf, op_type at 48. */
    memset(flf, 0, sizeof(flf));
    put32(flf, 0, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    put32(flf, 4, 16);
    put32(flf, 8, VIRTIO_CRYPTO_OP_ENCRYPT);
    put32(flf, VIRTIO_CRYPTO_SYM_SESS_OP_SPEC_HDR_SIZE, VIRTIO_CRYPTO_SYM_OP_CIPHER);
    if (ctrl_create(d, VIRTIO_CRYPTO_CIPHER_CREATE_SESSION, flf, 56, vb_key_cbc, 16,
                    &d->sid[VB_CBC]))
        return -1;

    /* virtio_crypto_mac_create_session_flf: algo, hash_result_len,
     * auth_key_len. */
    memset(flf, 0, sizeof(flf));
    put32(flf, 0, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
    put32(flf, 4, 32);
    put32(flf, 8, 32);
    return ctrl_create(d, VIRTIO_CRYPTO_MAC_CREATE_SESSION, flf, 16, vb_key_hmac, 32,
                       &d->sid[VB_HMAC]);
}

static void reap(struct vb_dev *d, int sig)
{
    if (d->pid > 0) {
        kill(d->pid, sig);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
    if (d->sock[0])
        unlink(d->sock);
    if (d->dir[0])
        rmdir(d->dir);
}

static pid_t spawn(const struct vb_dev_opts *o, const char *sock)
{
    char poll_arg[16];
    snprintf(poll_arg, sizeof(poll_arg), "%u", o->poll_us);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* The daemon must not outlive an interrupted bench. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (o->pin_cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o->pin_cpu, &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
    execl(o->vcryptod, o->vcryptod, "--socket-path", sock, "--queues", "1", "--poll-us",
          poll_arg, (char *)NULL);
    fprintf(stderr, "vhost bench: exec %s: %s\n", o->vcryptod, strerror(errno));
    _exit(127);
}

int vb_dev_start(struct vb_dev *d, const struct vb_dev_opts *o)
{
    memset(d, 0, sizeof(*d));
    d->c.fd = -1;
    d->indirect = o->indirect;
    d->always_kick = o->always_kick;
    d->wait = o->wait;
    snprintf(d->dir, sizeof(d->dir), "/tmp/vcbench-XXXXXX");
    if (!mkdtemp(d->dir)) {
        fprintf(stderr, "vhost bench: mkdtemp: %s\n", strerror(errno));
        d->dir[0] = '\0';
        return -1;
    }
    snprintf(d->sock, sizeof(d->sock), "%s/dev.sock", d->dir);
    d->pid = spawn(o, d->sock);
    if (d->pid < 0) {
        fprintf(stderr, "vhost bench: fork: %s\n", strerror(errno));
        d->pid = 0;
        reap(d, SIGKILL);
        return -1;
    }
    uint64_t q = 0;
    if (vu_client_connect(&d->c, d->sock, 5000) || vu_client_setup(&d->c, PROTO, NULL, NULL, &q))
        goto fail;
    if (q != 2) {
        fprintf(stderr, "vhost bench: expected 2 queues (data + control), got %llu\n",
                (unsigned long long)q);
        goto fail;
    }
    /* VERSION_1 and REVISION_1; no EVENT_IDX (see the notes above). */
    uint64_t feat = (1ull << VHOST_USER_F_PROTOCOL_FEATURES) | (1ull << VIRTIO_F_VERSION_1) |
                    (1ull << VIRTIO_CRYPTO_F_REVISION_1);
    if (vu_client_set_u64(&d->c, VHOST_USER_SET_FEATURES, feat, false, NULL))
        goto fail;
    if (vu_guest_mem_new(&d->m, GUEST_MEM, 0x100000) || vu_client_set_mem(&d->c, &d->m, 1))
        goto fail;
    uint64_t off = vu_ring_layout(&d->dq.r, &d->m, 0, VB_RING);
    uint64_t off2 = off ? vu_ring_layout(&d->cq.r, &d->m, off, CTRL_RING) : 0;
    if (!off || !off2)
        goto fail;
    d->brk = off + off2;
    d->dq.m = d->cq.m = &d->m;
    if (vu_client_vring_setup(&d->c, 0, &d->dq.r, &d->m, 0, &d->dq.kick, &d->dq.call) ||
        vu_client_vring_setup(&d->c, 1, &d->cq.r, &d->m, 0, &d->cq.kick, &d->cq.call))
        goto fail;
    if (create_sessions(d))
        goto fail;
    for (uint32_t i = 0; i < VB_MAX_BURST; i++) {
        d->s[i].hdr = drv_alloc(&d->m, &d->brk, HDR_CAP);
        d->s[i].iv = drv_alloc(&d->m, &d->brk, 16);
        d->s[i].src = drv_alloc(&d->m, &d->brk, VB_MAX_MSG);
        d->s[i].dst = drv_alloc(&d->m, &d->brk, VB_MAX_MSG + 32);
        d->s[i].status = drv_alloc(&d->m, &d->brk, 1);
        d->s[i].table = drv_alloc(&d->m, &d->brk, 8 * sizeof(struct virtq_desc));
        if (RAND_bytes(d->s[i].iv, 16) != 1 || RAND_bytes(d->s[i].src, VB_MAX_MSG) != 1)
            goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "vhost bench: device setup failed (vcryptod %s)\n", o->vcryptod);
    vb_dev_stop(d);
    return -1;
}

void vb_dev_stop(struct vb_dev *d)
{
    if (d->c.fd >= 0)
        vu_client_close(&d->c);
    d->c.fd = -1;
    int fds[4] = {d->dq.kick, d->dq.call, d->cq.kick, d->cq.call};
    for (int i = 0; i < 4; i++)
        if (fds[i] > 0)
            close(fds[i]);
    d->dq.kick = d->dq.call = d->cq.kick = d->cq.call = 0;
    if (d->m.base)
        vu_guest_mem_free(&d->m);
    d->m.base = NULL;
    reap(d, SIGTERM);
}

/* Fills slot i's header and descriptors for the prepared cell. */
static void prepare_slot(struct vb_dev *d, uint32_t i)
{
    uint8_t *h = d->s[i].hdr;
    uint32_t n = d->size;
    memset(h, 0, HDR_CAP);
    put64(h, 8, d->sid[d->alg]);
    put32(h, 16, VIRTIO_CRYPTO_FLAG_SESSION_MODE);
    struct drv_buf b[5];
    unsigned nb = 0;
    switch (d->alg) {
    case VB_GCM:
        /* op_header + virtio_crypto_aead_data_flf {iv_len, aad_len,
         * src_data_len, dst_data_len, tag_len}. */
        put32(h, 0, VIRTIO_CRYPTO_AEAD_ENCRYPT);
        put32(h, 24, 12);
        put32(h, 28, 0);
        put32(h, 32, n);
        put32(h, 36, n + 16);
        put32(h, 40, 16);
        b[nb++] = (struct drv_buf){h, 24 + 24, false};
        b[nb++] = (struct drv_buf){d->s[i].iv, 12, false};
        b[nb++] = (struct drv_buf){d->s[i].src, n, false};
        b[nb++] = (struct drv_buf){d->s[i].dst, n + 16, true};
        d->used_len = n + 16 + 1;
        break;
    case VB_CBC:
        /* op_header + virtio_crypto_sym_data_flf: cipher_data_flf {iv_len,
         * src_data_len, dst_data_len}, op_type at 40. */
        put32(h, 0, VIRTIO_CRYPTO_CIPHER_ENCRYPT);
        put32(h, 24, 16);
        put32(h, 28, n);
        put32(h, 32, n);
        put32(h, 24 + VIRTIO_CRYPTO_SYM_DATA_REQ_HDR_SIZE, VIRTIO_CRYPTO_SYM_OP_CIPHER);
        b[nb++] = (struct drv_buf){h, 24 + 48, false};
        b[nb++] = (struct drv_buf){d->s[i].iv, 16, false};
        b[nb++] = (struct drv_buf){d->s[i].src, n, false};
        b[nb++] = (struct drv_buf){d->s[i].dst, n, true};
        d->used_len = n + 1;
        break;
    case VB_HMAC:
    default:
        /* op_header + virtio_crypto_mac_data_flf {src_data_len,
         * hash_result_len}. */
        put32(h, 0, VIRTIO_CRYPTO_MAC);
        put32(h, 24, n);
        put32(h, 28, 32);
        b[nb++] = (struct drv_buf){h, 24 + 8, false};
        b[nb++] = (struct drv_buf){d->s[i].src, n, false};
        b[nb++] = (struct drv_buf){d->s[i].dst, 32, true};
        d->used_len = 32 + 1;
        break;
    }
    b[nb++] = (struct drv_buf){d->s[i].status, 1, true};
    d->ndesc = nb;
    *d->s[i].status = 0xee;

    if (d->indirect) {
        struct virtq_desc *t = d->s[i].table;
        for (unsigned k = 0; k < nb; k++) {
            t[k].addr = htole64(drv_gpa(&d->m, b[k].p));
            t[k].len = htole32(b[k].len);
            t[k].flags = htole16((uint16_t)((b[k].write ? VIRTQ_DESC_F_WRITE : 0) |
                                            (k + 1 < nb ? VIRTQ_DESC_F_NEXT : 0)));
            t[k].next = htole16((uint16_t)(k + 1));
        }
        d->head[i] = (uint16_t)i;
        drv_desc(&d->dq, (uint16_t)i, drv_gpa(&d->m, t), nb * 16, VIRTQ_DESC_F_INDIRECT, 0);
    } else {
        uint16_t base = (uint16_t)(i * nb);
        for (unsigned k = 0; k < nb; k++)
            drv_desc(&d->dq, (uint16_t)(base + k), drv_gpa(&d->m, b[k].p), b[k].len,
                     (uint16_t)((b[k].write ? VIRTQ_DESC_F_WRITE : 0) |
                                (k + 1 < nb ? VIRTQ_DESC_F_NEXT : 0)),
                     (uint16_t)(base + k + 1));
        d->head[i] = base;
    }
    d->slot_of_head[d->head[i]] = (uint16_t)i;
}

void vb_dev_prepare(struct vb_dev *d, enum vb_alg a, uint32_t size, uint32_t burst)
{
    d->alg = a;
    d->size = size;
    d->burst = burst;
    memset(d->slot_of_head, 0xff, sizeof(d->slot_of_head));
    for (uint32_t i = 0; i < burst; i++)
        prepare_slot(d, i);
    struct virtq_avail *av = (struct virtq_avail *)d->dq.r.avail;
    __atomic_store_n(&av->flags,
                     htole16(d->wait != VB_WAIT_EVENT ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0),
                     __ATOMIC_RELEASE);
}

const uint8_t *vb_dev_src(const struct vb_dev *d, uint32_t i)
{
    return d->s[i].src;
}

const uint8_t *vb_dev_iv(const struct vb_dev *d, uint32_t i)
{
    return d->s[i].iv;
}

const uint8_t *vb_dev_out(const struct vb_dev *d, uint32_t i)
{
    return d->s[i].dst;
}

/* Waits until the used index reaches target. Spin: reload used->idx,
 * checking the clock only every 4096 loads (yield: with sched_yield()
 * between loads). Event: sleep in poll() on the call eventfd and drain it.
 * Returns false on timeout. */
static bool wait_used(struct vb_dev *d, uint16_t target, uint64_t *waits)
{
    struct virtq_used *u = (struct virtq_used *)d->dq.r.used;
    uint64_t deadline = 0;
    for (uint32_t spins = 0;; spins++) {
        if (le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE)) == target)
            return true;
        if (d->wait == VB_WAIT_EVENT) {
            struct pollfd p = {.fd = d->dq.call, .events = POLLIN};
            int r = poll(&p, 1, (int)(TIMEOUT_NS / 1000000));
            (*waits)++;
            if (r == 0)
                return le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE)) == target;
            uint64_t v;
            if (r > 0 && read(d->dq.call, &v, sizeof(v)) < 0 && errno != EAGAIN)
                return false;
            continue;
        }
        if (d->wait == VB_WAIT_YIELD)
            sched_yield();
        if ((spins & 4095) == 4095) {
            uint64_t now = vb_now_ns();
            if (!deadline)
                deadline = now + TIMEOUT_NS;
            else if (now > deadline)
                return false;
        }
    }
}

/* Posts the prepared burst: ring entries, one release store of avail->idx,
 * then the kick decision. */
static void post_burst(struct vb_dev *d, uint64_t *kicks)
{
    struct virtq_avail *av = (struct virtq_avail *)d->dq.r.avail;
    uint16_t idx = d->dq.avail_idx;
    for (uint32_t i = 0; i < d->burst; i++)
        av->ring[(uint16_t)(idx + i) % VB_RING] = htole16(d->head[i]);
    idx = (uint16_t)(idx + d->burst);
    d->dq.avail_idx = idx;
    __atomic_store_n(&av->idx, htole16(idx), __ATOMIC_RELEASE);
    /* Store-load: our avail->idx store must be visible before we read the
     * device's NO_NOTIFY flag, or both of us could go to sleep. */
    atomic_thread_fence(memory_order_seq_cst);
    struct virtq_used *u = (struct virtq_used *)d->dq.r.used;
    if (d->always_kick ||
        !(le16toh(__atomic_load_n(&u->flags, __ATOMIC_RELAXED)) & VIRTQ_USED_F_NO_NOTIFY)) {
        uint64_t one = 1;
        if (write(d->dq.kick, &one, sizeof(one)) == (ssize_t)sizeof(one))
            (*kicks)++;
    }
}

/* Checks the completions of one burst; resets each status byte. */
static int reap_burst(struct vb_dev *d)
{
    struct virtq_used *u = (struct virtq_used *)d->dq.r.used;
    for (uint32_t k = 0; k < d->burst; k++) {
        struct virtq_used_elem e = u->ring[d->dq.used_seen % VB_RING];
        d->dq.used_seen++;
        uint32_t id = le32toh(e.id);
        uint16_t slot = id < VB_RING ? d->slot_of_head[id] : 0xffff;
        if (slot >= d->burst) {
            fprintf(stderr, "vhost bench: used id %u is not a posted head\n", id);
            return -1;
        }
        uint8_t st = *d->s[slot].status;
        if (st != VIRTIO_CRYPTO_OK || le32toh(e.len) != d->used_len) {
            fprintf(stderr, "vhost bench: %s %u B: status %u used len %u (want 0, %u)\n",
                    vb_alg_short(d->alg), d->size, st, le32toh(e.len), d->used_len);
            return -1;
        }
        *d->s[slot].status = 0xee;
    }
    return 0;
}

int vb_dev_run(struct vb_dev *d, uint64_t ns, struct vb_sample *out)
{
    memset(out, 0, sizeof(*out));
    /* Reading the clock every burst would add ~25 ns to each burst-1 op;
     * check it about every 32 requests instead. */
    uint32_t every = (VB_MAX_BURST + d->burst - 1) / d->burst;
    uint64_t srv0 = proc_cpu_ns(d->pid);
    uint64_t cpu0 = vb_cpu_ns();
    uint64_t t0 = vb_now_ns(), end = t0 + ns, t = t0;
    int rc = 0;
    for (uint32_t n = 1;; n++) {
        post_burst(d, &out->kicks);
        if (!wait_used(d, d->dq.avail_idx, &out->waits)) {
            fprintf(stderr, "vhost bench: %s %u B burst %u: no completion in %llu ms\n",
                    vb_alg_short(d->alg), d->size, d->burst,
                    (unsigned long long)(TIMEOUT_NS / 1000000));
            rc = -1;
            break;
        }
        if (reap_burst(d)) {
            rc = -1;
            break;
        }
        out->ops += d->burst;
        if (n % every == 0 && (t = vb_now_ns()) >= end)
            break;
    }
    t = vb_now_ns();
    out->cli_cpu_ns = vb_cpu_ns() - cpu0;
    out->wall_ns = t - t0;
    out->srv_cpu_ns = proc_cpu_ns(d->pid) - srv0;
    return rc;
}
