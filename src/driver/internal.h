/* libvcrypto internals shared by the files of src/driver/ (not installed).
 *
 * One device = one shared memory region (a memfd mapped once), laid out at
 * open time:
 *
 *   [control ring][control slot: meta + key area]
 *   [qp 0 ring][qp 0 slots: queue_size x (meta + bounce)] ... [qp N-1 ...]
 *   [vc_mem_alloc pool]
 *
 * Device addresses are identity mapped: a descriptor's addr is our own
 * pointer value. vhost-user gets one memory region with gpa = uva = our
 * mapping address; the in-process device gets a vc_gmem with the same
 * region, so the device code translates and bounds-checks exactly as in
 * vcryptod.
 *
 * A slot belongs to the ring head with the same index (every op uses ONE
 * ring descriptor pointing at the slot's indirect table), so head = slot.
 *
 * Threading: see vcrypto.h. dev->state is the only field the monitor thread
 * writes; qps are owned by their user thread; ctrl_lock serialises control
 * requests and the session list; mem_lock the pool.
 */
#ifndef VC_DRIVER_INTERNAL_H
#define VC_DRIVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/evfd.h"
#include "vcrypto/vcrypto.h"
#include "virtq/drv.h"

/* Slot meta area (shared memory): fixed part of the request, indirect
 * table, status byte / control outcome. */
#define VC__META_HDR 0u      /* request header + op_flf (<= 100 bytes) */
#define VC__META_TABLE 128u  /* indirect table */
#define VC__MAX_PIECES 16u   /* descriptors per request */
#define VC__META_STATUS 384u /* ctrl: 16-byte outcome */
#define VC__META_SIZE 512u
/* Data requests: the status byte is the first byte of the bounce area and
 * small copied pieces (the IV) follow it in the same cache line, so the one
 * line that must change hands per request does so once each way. */
#define VC__DATA_STATUS VC__META_SIZE
#define VC__BOUNCE_START 8u
#define VC__CTRL_RING 4u
#define VC__CTRL_KEYS (16384u + 1024u) /* key bytes one control request carries */
#define VC__STATUS_UNSET 0xffu

/* What a slot's shared header and descriptor table were last built from:
 * an op with the same key reuses them as they are (vc_enqueue_burst's
 * "prepared" path), writing only the IV copy and the status byte. */
struct vc__tmpl_key {
    const struct vc_session *session;
    uint64_t sid;
    uint32_t opcode, iv_len, aad_len, src_len, dst_len, digest_len;
    uint32_t cipher_offset, cipher_len, hash_offset, hash_len;
    const void *iv, *aad, *src;
    void *dst, *digest;
};

/* Driver-side per-head state of a data request (private memory). */
struct vc__slot {
    struct vc__tmpl_key key;
    bool tmpl;           /* key describes what the shared slot holds */
    uint8_t *iv_bounce;  /* where the IV is copied, or NULL (in place) */
    uint32_t tmpl_ndesc, tmpl_wr_len;
    struct vc_op *op;
    void *copy_dst;   /* caller dst to copy back from the bounce area, or NULL */
    uint8_t *bounce_dst;
    void *copy_digest; /* same for the digest */
    uint8_t *bounce_digest;
    uint32_t dst_sent;    /* writable dst bytes in the request */
    uint32_t digest_sent; /* writable digest bytes in the request */
};

struct vc_qp {
    struct vc_dev *dev;
    uint32_t index;
    uint32_t size;
    struct vc_drv ring;
    struct vc_drv_head *heads;
    struct vc__slot *slots;
    uint8_t *slot_base; /* shared: slot i at slot_base + i * stride */
    uint32_t stride;
    int kick_fd;
    int call_fd;
    /* Ops completed without reaching the device (local statuses, device
     * loss): a FIFO of size entries; inflight + local_n <= size. */
    struct vc_op **local;
    uint32_t local_head, local_n;
    uint64_t kicks; /* eventfd writes (statistics for tests and benchmarks) */
    uint64_t prepared; /* ops that reused their slot's header and table (same) */
};

struct vc__pool_block;

struct vc__transport;

struct vc_dev {
    const struct vc__transport *tp;
    void *tp_priv;
    struct vc_dev_opts opts;
    struct vc_dev_info info;
    uint64_t offered;  /* device features offered */
    uint32_t max_rings; /* rings the device can serve (vhost-user GET_QUEUE_NUM) */
    _Atomic int state; /* 0, VC_EIO (lost) or VC_EBROKEN */

    /* shared region */
    int memfd;
    uint8_t *mem;
    uint64_t mem_len;

    /* control queue */
    struct vc_drv cring;
    struct vc_drv_head cheads[VC__CTRL_RING];
    uint8_t *cmeta; /* shared */
    uint8_t *ckeys; /* shared */
    int ckick_fd, ccall_fd;
    pthread_mutex_t ctrl_lock;
    struct vc_session *sessions; /* live sessions, under ctrl_lock */

    /* data queues */
    struct vc_qp *qps;
    uint32_t nqp;

    /* vc_mem_alloc pool */
    pthread_mutex_t mem_lock;
    uint8_t *pool;
    uint64_t pool_len;
    struct vc__pool_block *blocks;
};

struct vc_session {
    struct vc_dev *dev;
    uint64_t id;
    uint32_t service;
    uint32_t algo;
    uint32_t tag_len; /* AEAD */
    bool chain;
    struct vc_session *next, *prev;
};

/* A transport: how the rings reach a device. */
struct vc__transport {
    const char *name;
    /* Connects / creates the device and fills dev->info's config fields,
     * dev->offered and dev->max_rings. spec is the part after "name:". */
    int (*probe)(struct vc_dev *dev, const char *spec);
    /* Memory and rings are laid out: hand them to the device and start it
     * with dev->info.features negotiated. */
    int (*start)(struct vc_dev *dev);
    /* A control request was published on dev->cring: make the device run
     * it and wait (up to opts.timeout_ms) until it is used. Returns 0, or
     * VC_EIO (device lost or timeout). Called under ctrl_lock. */
    int (*ctrl_run)(struct vc_dev *dev);
    /* Stops the device threads / connection; frees transport state. The
     * shared memory is unmapped by the caller afterwards. */
    void (*close)(struct vc_dev *dev);
};

extern const struct vc__transport vc__tp_inproc;
extern const struct vc__transport vc__tp_vhost_user;

/* Device address of host pointer p (identity mapping). */
static inline uint64_t vc__addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* True if [p, p + len) lies inside the shared region (zero copy). */
static inline bool vc__in_region(const struct vc_dev *d, const void *p, uint64_t len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)d->mem;
    return a >= b && len <= d->mem_len && a - b <= d->mem_len - len;
}

/* Test hook: when set before vc_dev_open, VIRTIO_CRYPTO_F_REVISION_1 is not
 * negotiated (legacy 72-byte request layouts, no stateless mode), as with a
 * device that does not offer it. Tests only; not thread-safe. */
extern bool vc__test_no_revision_1;

/* Marks the device lost (monitor thread) or broken; wakes waiters on the
 * call eventfds so epoll loops see the completions. */
void vc__dev_set_state(struct vc_dev *dev, int state);

/* Ring memory needs for size entries, and its placement at p (zeroed
 * memory; returns the three parts). */
uint64_t vc__ring_bytes(uint32_t size);
void vc__ring_parts(uint8_t *p, uint32_t size, void **desc, void **avail, void **used);

/* Pool (mem.c). */
int vc__pool_init(struct vc_dev *dev, uint8_t *base, uint64_t len);
void vc__pool_fini(struct vc_dev *dev);

/* Queue pairs (req.c). */
int vc__qp_init(struct vc_qp *qp, struct vc_dev *dev, uint32_t index, uint8_t *ring_mem,
                uint8_t *slot_mem, bool event_idx);
void vc__qp_fini(struct vc_qp *qp);
uint64_t vc__qp_slot_bytes(const struct vc_dev_opts *o);

/* Sessions (session.c): destroys every live session at close. */
void vc__sessions_drop_all(struct vc_dev *dev);

/* Small helpers. */
void vc__put32(uint8_t *p, uint32_t off, uint32_t v);
void vc__put64(uint8_t *p, uint32_t off, uint64_t v);

#endif
