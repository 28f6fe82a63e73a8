/* Split virtqueue, device side.
 *
 * The device half of §2.7 "Split Virtqueues": take descriptor chains off the
 * available ring (vc_vq_pop), give them back through the used ring
 * (vc_vq_push), and decide when the driver wants a notification
 * (vc_vq_should_notify) or when we want kicks (vc_vq_enable_notify /
 * vc_vq_disable_notify). Sans-I/O (STYLE.md rule 1): no fds, no eventfd
 * writes; the caller kicks/calls based on the booleans returned here.
 *
 * Guest memory is reached only through a struct vc_gmem (gmem.h): every
 * descriptor address/length is translated and bounds-checked, and each
 * descriptor is read from guest memory exactly once into a local snapshot
 * (the guest may rewrite it concurrently; hostile-inputs #8). The iovs handed
 * out still point into guest memory: a request header must likewise be copied
 * once by the layer above before it is validated.
 *
 * Faults (hostile-inputs §1d). Every check has a vc_vq_fault code; each code
 * is one of two classes, fixed in VC_VQ_FAULT_MAP:
 *   fatal    - the ring itself is corrupt or the driver broke the head
 *              bookkeeping (avail idx too far ahead, head or next index out of
 *              range, loop / chain too long, head posted twice while in
 *              flight). The queue becomes broken (sticky, DEVICE_NEEDS_RESET
 *              semantics, §2.1.2): pop returns VC_EBROKEN from then on, no
 *              used entry or notification is written any more, the on_broken
 *              callback runs once. Other queues are not affected. Only
 *              vc_vq_reset()/vc_vq_start() clear it.
 *   request  - one chain is malformed but the head is valid (zero length,
 *              address outside guest memory, bad indirect table, readable after
 *              writable, more pieces than the caller's iov storage). pop
 *              completes that head itself with used.len = 0, counts it and
 *              goes on with the next chain; the caller never sees it.
 * A chain's structure (indexes, loops) is always walked to its end before a
 * content fault is reported, so the class never depends on where a bad
 * buffer sits or on the caller's iov storage.
 * Indirect descriptors are accepted whether or not VIRTIO_RING_F_INDIRECT_DESC
 * was negotiated: QEMU's crypto frontend never tells the backend which ring
 * features the guest accepted (reference/virtio-crypto.md §2).
 *
 * Threading: one vq is used by one thread at a time; the caller serialises
 * every call on the same vq (e.g. the queue's worker owns it and the vhost
 * thread stops the worker before start/stop/remap/reset). Different vqs are
 * independent. The guest runs concurrently on other CPUs: index fields are
 * read and written with the fences the spec's memory model needs.
 *
 * Ownership: struct vc_vq and struct vc_vq_elem are caller-allocated; vc_vq is
 * about 4.5 KiB (in-flight bitmap for 32768 heads) and holds no heap memory.
 */
#ifndef VC_VIRTQ_VQ_H
#define VC_VIRTQ_VQ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/result.h"
#include "common/sg.h"
#include "vcrypto/err.h"
#include "vcrypto/virtio_ring.h"
#include "virtq/gmem.h"

/* Largest indirect table accepted, in descriptors: max(queue size, this).
 * Linux builds indirect tables of total_sg entries, which may exceed the
 * queue size; QEMU's own device model caps a chain at 1024 pieces. */
#define VC_VQ_INDIRECT_MIN_CAP 1024

/* X(name, fatal, message) */
#define VC_VQ_FAULT_MAP(X)                                                                         \
    X(NONE, 0, "no fault")                                                                         \
    X(AVAIL_IDX, 1, "avail idx moved more than the queue size ahead")    /* #29 */                 \
    X(HEAD_RANGE, 1, "head index at or above the queue size")            /* #27 */                 \
    X(DUP_HEAD, 1, "head made available again while in flight")          /* #28 */                 \
    X(NEXT_RANGE, 1, "next index at or above the table size")            /* #27 */                 \
    X(CHAIN_LOOP, 1, "descriptor loop or chain longer than allowed")     /* #22 */                 \
    X(ZERO_LEN, 0, "zero-length descriptor")                             /* #23 */                 \
    X(BAD_ADDR, 0, "buffer outside guest memory or address wraps")       /* #24 */                 \
    X(INDIRECT_LEN, 0, "indirect table length zero, not 16*n, or too big") /* #25 */               \
    X(INDIRECT_ADDR, 0, "indirect table outside guest memory")           /* #25 */                 \
    X(INDIRECT_NESTED, 0, "indirect descriptor inside an indirect table") /* #25 */                \
    X(INDIRECT_NEXT, 0, "INDIRECT and NEXT set together")               /* #25 */                  \
    X(WRITE_ORDER, 0, "device-readable descriptor after a writable one") /* #26 */                 \
    X(IOV_FULL, 0, "chain needs more pieces than the iov storage")

enum vc_vq_fault {
#define VC__VQ_FAULT_ENUM(name, fatal, msg) VC_VQ_FAULT_##name,
    VC_VQ_FAULT_MAP(VC__VQ_FAULT_ENUM)
#undef VC__VQ_FAULT_ENUM
        VC_VQ_FAULT_COUNT
};

/* Static message / class of a fault code (unknown codes: "?" / fatal). */
const char *vc_vq_fault_str(enum vc_vq_fault f);
bool vc_vq_fault_is_fatal(enum vc_vq_fault f);

/* What we know about VIRTIO_RING_F_EVENT_IDX. */
enum vc_vq_evidx {
    /* Not reported by the frontend (QEMU's crypto frontend). The device
     * always keeps avail_event current AND honours used->flags, so kicks work
     * either way; notifications are sent unless the driver set
     * VIRTQ_AVAIL_F_NO_INTERRUPT and used_event says no (extra interrupts are
     * harmless, a missing one hangs the guest). */
    VC_VQ_EVIDX_UNKNOWN = 0,
    VC_VQ_EVIDX_OFF, /* not negotiated: flags only */
    VC_VQ_EVIDX_ON,  /* negotiated: used_event / avail_event only */
};

struct vc_vq_config {
    uint32_t size;  /* queue size: power of two, 1..VIRTQ_MAX_SIZE */
    uint32_t base;  /* first avail index to process (SET_VRING_BASE), < 65536 */
    uint64_t desc;  /* ring part addresses: frontend virtual (vc_vq_start) */
    uint64_t avail;
    uint64_t used;
    enum vc_vq_evidx evidx;
};

struct vc_vq_stats {
    uint64_t popped;      /* chains handed to the caller */
    uint64_t pushed;      /* used entries written (including bad chains) */
    uint64_t bad_chains;  /* request-class faults completed with len 0 */
    uint64_t dropped;     /* pushes on a stopped or broken ring */
    uint64_t notify;      /* should_notify returned true */
    uint64_t notify_suppressed;
    uint64_t faults[VC_VQ_FAULT_COUNT];
};

struct vc_vq;
/* Called once when the queue turns broken, from inside the vc_vq_* call that
 * found the fault (so on the queue's thread). It may record state and
 * schedule work but must not call back into this vq. */
typedef void (*vc_vq_broken_fn)(void *arg, struct vc_vq *vq, enum vc_vq_fault why);

struct vc_vq {
    /* private: read through the accessors below */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    vc_le16 *used_event;  /* avail->ring[size] */
    vc_le16 *avail_event; /* after used->ring[size] */
    uint32_t size;
    uint16_t last_avail_idx;
    uint16_t shadow_avail_idx; /* last avail->idx read, already validated */
    uint16_t used_idx;
    uint16_t signalled_used;
    bool signalled_valid;
    bool ready;
    bool broken;
    bool notify_enabled;
    enum vc_vq_evidx evidx;
    enum vc_vq_fault fault;
    uint32_t inflight;
    struct vc_vq_config cfg; /* as started, for remap */
    bool by_uva;
    vc_vq_broken_fn on_broken;
    void *cb_arg;
    struct vc_vq_stats stats;
    uint64_t inflight_map[VIRTQ_MAX_SIZE / 64];
};

/* One popped chain. The caller sets iov/iov_max (storage for the pieces)
 * before vc_vq_pop; pop fills the rest. Pieces: iov[0 .. rd_cnt) are
 * device-readable, iov[rd_cnt .. rd_cnt + wr_cnt) device-writable. A
 * descriptor crossing guest memory regions becomes several pieces, so size
 * iov_max for the longest chain you accept plus slack (e.g. queue size + 8).
 * The pieces point into guest memory and are valid until the head is pushed
 * or the memory table is replaced. */
struct vc_vq_elem {
    struct vc_iov *iov; /* in: caller storage, not owned */
    uint32_t iov_max;   /* in */
    uint16_t head;      /* out: pass to vc_vq_push */
    uint32_t rd_cnt, wr_cnt;
    uint64_t rd_len, wr_len; /* total bytes, 64-bit */
    uint32_t ndesc;          /* descriptors walked (direct + indirect, excl. the table one) */
};

/* Puts vq in the stopped, empty state and sets the broken callback (may be
 * NULL). Never fails. */
void vc_vq_init(struct vc_vq *vq, vc_vq_broken_fn cb, void *arg);

/* Starts the ring described by cfg, whose addresses are frontend virtual
 * addresses (VHOST_USER_SET_VRING_ADDR), translated through gm. Checks: size a
 * power of two in 1..32768, base < 65536, each part's address aligned as §2.7
 * requires (desc 16, avail 2, used 4) and entirely inside one region of gm
 * (hostile #30/#35). The used index continues from the ring's used->idx; the
 * avail index from cfg->base. Clears in-flight state, stats are kept.
 * Errors: VC_EINVAL (size, base, alignment), VC_ERANGE (not in gm); the vq
 * is then stopped. */
VC_RESULT vc_vq_start(struct vc_vq *vq, const struct vc_vq_config *cfg, const struct vc_gmem *gm);

/* Same with host pointers (tests, in-process devices); cfg->desc/avail/used
 * are ignored. The caller guarantees the three areas stay valid and have the
 * sizes VIRTQ_*_BYTES(size). */
VC_RESULT vc_vq_start_ptr(struct vc_vq *vq, const struct vc_vq_config *cfg, void *desc,
                          void *avail, void *used);

/* Re-translates a vc_vq_start'ed ring's addresses through a new memory table
 * (after SET_MEM_TABLE). On failure the vq is stopped and VC_ERANGE returned.
 * Pointer-started rings are left as they are. */
VC_RESULT vc_vq_remap(struct vc_vq *vq, const struct vc_gmem *gm);

/* Stops processing: pop returns VC_EAGAIN, push drops. State (last avail
 * index, broken flag, in-flight heads) is kept for vc_vq_get_base. */
void vc_vq_stop(struct vc_vq *vq);

/* Back to the vc_vq_init state (keeps the callback), forgetting in-flight
 * heads and the broken flag. The caller must have quiesced every user of
 * heads popped from this vq. */
void vc_vq_reset(struct vc_vq *vq);

/* Takes the next available chain into elem.
 * Returns ok with elem filled and elem->head in flight (the caller must push
 * it exactly once); VC_EAGAIN when nothing is available or the vq is not
 * started (a kick before setup is ignored, hostile #30); VC_EBROKEN when the
 * vq is or just became broken. Malformed chains of the request class are
 * completed internally (used.len 0) and skipped; one call therefore walks at
 * most `size` heads. */
VC_RESULT vc_vq_pop(struct vc_vq *vq, const struct vc_gmem *gm, struct vc_vq_elem *elem);

/* Completes head with len bytes written to its writable part, at the next
 * used slot (out-of-order completion is fine, §2.7.8), and publishes used->idx
 * with release ordering. len must not exceed the chain's wr_len (the caller
 * knows it; the vq does not keep it). Errors: VC_EINVAL if head is not in
 * flight (never completes twice, hostile #28). On a stopped or broken ring the
 * head is only released (counted in stats.dropped) and ok is returned. */
VC_RESULT vc_vq_push(struct vc_vq *vq, uint16_t head, uint32_t len);

/* Batch variant: all n completions are checked first (each in flight, no
 * duplicates); on VC_EINVAL nothing is completed. Then written and published
 * with a single used->idx store. */
struct vc_vq_done {
    uint16_t head;
    uint32_t len;
};
VC_RESULT vc_vq_push_n(struct vc_vq *vq, const struct vc_vq_done *done, uint32_t n);

/* After a batch of pushes: true if the driver must get a used buffer
 * notification (call fd), per §2.7.7 and the vq's evidx mode. Returns false
 * when nothing was pushed since the last call, or the ring is stopped/broken;
 * the first call after a start returns true (after a reconnect we cannot know
 * what the driver last saw, and a spurious interrupt is harmless).
 * Includes the full fence between publishing used->idx and reading the
 * driver's suppression fields. */
bool vc_vq_should_notify(struct vc_vq *vq);

/* Asks the driver for kicks again: clears VIRTQ_USED_F_NO_NOTIFY and/or sets
 * avail_event = last avail index (per evidx mode), then re-reads avail->idx
 * after a full fence. Returns true if chains arrived meanwhile, in which case
 * the caller must drain again (the race closed by the re-check: a driver that
 * published before seeing our update will not kick). */
bool vc_vq_enable_notify(struct vc_vq *vq);

/* Asks the driver not to kick (VIRTQ_USED_F_NO_NOTIFY without event idx;
 * with event idx avail_event simply stops advancing). Advisory only. */
void vc_vq_disable_notify(struct vc_vq *vq);

/* True if avail->idx differs from our last avail index (cheap poll). */
bool vc_vq_has_avail(struct vc_vq *vq);

/* Accessors. get_base is the value for VHOST_USER_GET_VRING_BASE; call it
 * after vc_vq_stop. Chains popped but not pushed are not in it; drain them
 * first (inflight tracking for reconnect is not implemented). */
uint16_t vc_vq_get_base(const struct vc_vq *vq);
uint32_t vc_vq_inflight(const struct vc_vq *vq);
bool vc_vq_is_ready(const struct vc_vq *vq);
bool vc_vq_is_broken(const struct vc_vq *vq);
enum vc_vq_fault vc_vq_broken_reason(const struct vc_vq *vq);
const struct vc_vq_stats *vc_vq_get_stats(const struct vc_vq *vq);

#endif
