/* Device open/close, feature negotiation, config clamping, memory layout.
 *
 * IMPLEMENTATION NOTES
 * Open is: probe (transport connects or creates the device and reads the
 * config space) -> clamp and check the config -> choose the queue count and
 * the features -> lay out one shared region -> start (transport hands the
 * region and rings to the device). The config space comes from a device we
 * do not trust (hostile-inputs #40): every value that sizes something is
 * clamped before use, and an impossible one (HW_READY clear, no data queue)
 * fails the open.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "common/log.h"
#include "driver/internal.h"

#define DEF_QUEUE_SIZE 256u
#define DEF_BOUNCE (32u * 1024u)
#define DEF_MEM (16ull << 20)
#define DEF_TIMEOUT_MS 5000u
#define DEF_POLL_US 50u
#define MAX_QPS 63u /* vcryptod's VC_VU_MAX_QUEUES - 1; the vhost fd messages carry 8 bits */
#define MAX_BOUNCE (16u << 20)
#define MAX_QUEUE_SIZE 32768u
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

void vc__put32(uint8_t *p, uint32_t off, uint32_t v)
{
    v = htole32(v);
    memcpy(p + off, &v, 4);
}

void vc__put64(uint8_t *p, uint32_t off, uint64_t v)
{
    v = htole64(v);
    memcpy(p + off, &v, 8);
}

void vc_dev_opts_init(struct vc_dev_opts *o)
{
    if (o)
        memset(o, 0, sizeof(*o));
}

uint64_t vc__ring_bytes(uint32_t size)
{
    /* desc (16-aligned) | avail | pad to 4 | used, rounded to 64. */
    uint64_t a = VIRTQ_DESC_BYTES(size);
    uint64_t u = ALIGN_UP(a + VIRTQ_AVAIL_BYTES(size), VIRTQ_USED_ALIGN);
    return ALIGN_UP(u + VIRTQ_USED_BYTES(size), 64);
}

void vc__ring_parts(uint8_t *p, uint32_t size, void **desc, void **avail, void **used)
{
    uint64_t a = VIRTQ_DESC_BYTES(size);
    uint64_t u = ALIGN_UP(a + VIRTQ_AVAIL_BYTES(size), VIRTQ_USED_ALIGN);
    *desc = p;
    *avail = p + a;
    *used = p + u;
}

static int fix_opts(const struct vc_dev_opts *in, struct vc_dev_opts *o)
{
    if (in)
        *o = *in;
    else
        memset(o, 0, sizeof(*o));
    if (!o->num_queues)
        o->num_queues = 1;
    if (!o->queue_size)
        o->queue_size = DEF_QUEUE_SIZE;
    if (!o->bounce_size)
        o->bounce_size = DEF_BOUNCE;
    if (!o->mem_size)
        o->mem_size = DEF_MEM;
    if (!o->timeout_ms)
        o->timeout_ms = DEF_TIMEOUT_MS;
    if (!o->poll_us)
        o->poll_us = DEF_POLL_US;
    if (o->queue_size > MAX_QUEUE_SIZE || (o->queue_size & (o->queue_size - 1)))
        return VC_EINVAL;
    if (o->bounce_size > MAX_BOUNCE || o->mem_size > (1ull << 40))
        return VC_EINVAL;
    o->bounce_size = (uint32_t)ALIGN_UP(o->bounce_size, 64);
    return 0;
}

/* hostile-inputs #40: clamp what the device told us. */
static int check_config(struct vc_dev *d)
{
    struct vc_dev_info *i = &d->info;
    if (i->max_dataqueues == 0) {
        VC_ERR("vcrypto: device config has max_dataqueues 0");
        return VC_EPROTO;
    }
    i->max_dataqueues = VC_MIN(i->max_dataqueues, 65535u);
    /* Undefined service bits mean nothing to us. */
    i->crypto_services &= 0x1fu;
    if (i->max_size == 0) {
        /* No limit stated: our own bounce and ring limits still apply. */
        VC_WARN("vcrypto: device config has max_size 0; treating it as 4 GiB");
        i->max_size = UINT32_MAX;
    }
    i->max_size = VC_MIN(i->max_size, (uint64_t)UINT32_MAX);
    i->max_cipher_key_len = VC_MIN(i->max_cipher_key_len, 1024u);
    i->max_auth_key_len = VC_MIN(i->max_auth_key_len, 1024u);
    return 0;
}

bool vc__test_no_revision_1;

static uint64_t negotiate(struct vc_dev *d)
{
    uint64_t f = vc__test_no_revision_1 ? 0 : d->offered & (1ull << VIRTIO_CRYPTO_F_REVISION_1);
    /* Stateless mode needs REVISION_1 (the stateless layouts are
     * REVISION_1-only). */
    if (f && !d->opts.no_stateless)
        f |= d->offered & (0x1full << VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE);
    f |= d->offered & ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                       (1ull << VIRTIO_RING_F_EVENT_IDX));
    return f;
}

static int layout(struct vc_dev *d)
{
    const struct vc_dev_opts *o = &d->opts;
    uint64_t off = 0;
    uint64_t ctrl_ring = off;
    off += vc__ring_bytes(VC__CTRL_RING);
    uint64_t ctrl_meta = off;
    off += VC__META_SIZE;
    uint64_t ctrl_keys = off;
    off += ALIGN_UP(VC__CTRL_KEYS, 64);
    uint64_t qp_off = ALIGN_UP(off, 4096);
    uint64_t ring_b = vc__ring_bytes(o->queue_size);
    uint64_t per_qp = ALIGN_UP(ring_b + vc__qp_slot_bytes(o) * o->queue_size, 4096);
    uint64_t pool_off = qp_off + per_qp * d->nqp;
    d->mem_len = pool_off + ALIGN_UP(o->mem_size, 4096);

    d->memfd = memfd_create("vcrypto", MFD_CLOEXEC);
    if (d->memfd < 0 || ftruncate(d->memfd, (off_t)d->mem_len) != 0) {
        VC_ERR("vcrypto: shared memory of %llu bytes: %s", (unsigned long long)d->mem_len,
               strerror(errno));
        return VC_ENOMEM;
    }
    void *m = mmap(NULL, d->mem_len, PROT_READ | PROT_WRITE, MAP_SHARED, d->memfd, 0);
    if (m == MAP_FAILED)
        return VC_ENOMEM;
    d->mem = m;

    void *desc, *avail, *used;
    bool evidx = (d->info.features >> VIRTIO_RING_F_EVENT_IDX) & 1;
    vc__ring_parts(d->mem + ctrl_ring, VC__CTRL_RING, &desc, &avail, &used);
    if (vc_drv_init(&d->cring, VC__CTRL_RING, evidx, desc, avail, used, d->cheads))
        return VC_EINVAL;
    d->cmeta = d->mem + ctrl_meta;
    d->ckeys = d->mem + ctrl_keys;
    d->ckick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    d->ccall_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->ckick_fd < 0 || d->ccall_fd < 0)
        return VC_ENOMEM;

    d->qps = calloc(d->nqp, sizeof(*d->qps));
    if (!d->qps)
        return VC_ENOMEM;
    for (uint32_t i = 0; i < d->nqp; i++) {
        uint8_t *base = d->mem + qp_off + per_qp * i;
        int r = vc__qp_init(&d->qps[i], d, i, base, base + ring_b, evidx);
        if (r)
            return r;
    }
    return vc__pool_init(d, d->mem + pool_off, d->mem_len - pool_off);
}

static int pick_transport(const char *spec, const struct vc__transport **tp, const char **rest)
{
    if (!spec || !*spec || strcmp(spec, "inproc") == 0) {
        *tp = &vc__tp_inproc;
        *rest = "";
        return 0;
    }
    if (strncmp(spec, "vhost-user:", 11) == 0 && spec[11]) {
        *tp = &vc__tp_vhost_user;
        *rest = spec + 11;
        return 0;
    }
    if (strncmp(spec, "vfio:", 5) == 0)
        return VC_ENOTSUP;
    return VC_EINVAL;
}

int vc_dev_open(const char *spec, const struct vc_dev_opts *opts, struct vc_dev **out)
{
    const struct vc__transport *tp;
    const char *rest;
    if (!out)
        return VC_EINVAL;
    *out = NULL;
    int r = pick_transport(spec, &tp, &rest);
    if (r)
        return r;
    struct vc_dev *d = calloc(1, sizeof(*d));
    if (!d)
        return VC_ENOMEM;
    d->memfd = d->ckick_fd = d->ccall_fd = -1;
    pthread_mutex_init(&d->ctrl_lock, NULL);
    pthread_mutex_init(&d->mem_lock, NULL);
    d->tp = tp;
    r = fix_opts(opts, &d->opts);
    if (!r)
        r = tp->probe(d, rest);
    if (!r)
        r = check_config(d);
    if (r) {
        vc_dev_close(d);
        return r;
    }
    /* The control queue is ring index max_dataqueues; the device must be
     * able to serve it, and we use at most as many data queues. */
    uint32_t nq = VC_MIN(d->opts.num_queues, d->info.max_dataqueues);
    nq = VC_MIN(nq, MAX_QPS);
    if (d->max_rings <= d->info.max_dataqueues) {
        VC_ERR("vcrypto: device serves %u rings, but its control queue is ring %u",
               d->max_rings, d->info.max_dataqueues);
        vc_dev_close(d);
        return VC_EPROTO;
    }
    d->nqp = nq;
    d->info.features = negotiate(d);
    d->info.revision_1 = d->info.features & (1ull << VIRTIO_CRYPTO_F_REVISION_1);
    d->info.stateless = (uint32_t)((d->info.features >> 1) & 0x1f);
    d->info.num_queues = nq;
    d->info.queue_size = d->opts.queue_size;
    snprintf(d->info.transport, sizeof(d->info.transport), "%s", tp->name);
    r = layout(d);
    if (!r)
        r = tp->start(d);
    if (r) {
        vc_dev_close(d);
        return r;
    }
    *out = d;
    return 0;
}

void vc_dev_close(struct vc_dev *d)
{
    if (!d)
        return;
    if (d->tp_priv)
        vc__sessions_drop_all(d);
    if (d->tp && d->tp_priv)
        d->tp->close(d);
    if (d->qps)
        for (uint32_t i = 0; i < d->nqp; i++)
            vc__qp_fini(&d->qps[i]);
    free(d->qps);
    vc__pool_fini(d);
    if (d->mem)
        munmap(d->mem, d->mem_len);
    if (d->memfd >= 0)
        close(d->memfd);
    if (d->ckick_fd >= 0)
        close(d->ckick_fd);
    if (d->ccall_fd >= 0)
        close(d->ccall_fd);
    pthread_mutex_destroy(&d->ctrl_lock);
    pthread_mutex_destroy(&d->mem_lock);
    free(d);
}

void vc__dev_set_state(struct vc_dev *d, int state)
{
    int zero = 0;
    if (!atomic_compare_exchange_strong(&d->state, &zero, state))
        return;
    /* Wake every sleeper: epoll loops on the qp eventfds and a control
     * request waiting for its answer. */
    for (uint32_t i = 0; d->qps && i < d->nqp; i++)
        vc_evfd_signal(d->qps[i].call_fd);
    vc_evfd_signal(d->ccall_fd);
}

int vc_dev_info(const struct vc_dev *d, struct vc_dev_info *info)
{
    if (!d || !info)
        return VC_EINVAL;
    *info = d->info;
    return 0;
}

bool vc_dev_supports(const struct vc_dev *d, uint32_t service, uint32_t algo)
{
    if (!d || service > VIRTIO_CRYPTO_SERVICE_AKCIPHER ||
        !(d->info.crypto_services & (1u << service)))
        return false;
    const struct vc_dev_info *i = &d->info;
    switch (service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return algo < 32 ? (i->cipher_algo_l >> algo) & 1
                         : algo < 64 && ((i->cipher_algo_h >> (algo - 32)) & 1);
    case VIRTIO_CRYPTO_SERVICE_HASH:
        return algo < 32 && ((i->hash_algo >> algo) & 1);
    case VIRTIO_CRYPTO_SERVICE_MAC:
        return algo < 32 ? (i->mac_algo_l >> algo) & 1
                         : algo < 64 && ((i->mac_algo_h >> (algo - 32)) & 1);
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        return algo < 32 && ((i->aead_algo >> algo) & 1);
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        return algo < 32 && ((i->akcipher_algo >> algo) & 1);
    default:
        return false;
    }
}

int vc_dev_state(const struct vc_dev *d)
{
    if (!d)
        return VC_EINVAL;
    return atomic_load(&((struct vc_dev *)(uintptr_t)d)->state);
}

struct vc_qp *vc_dev_qp(struct vc_dev *d, uint32_t index)
{
    if (!d || index >= d->nqp)
        return NULL;
    return &d->qps[index];
}
