/* Split virtqueue, DRIVER side (the counterpart of vq.h).
 *
 * The driver half of §2.7 "Split Virtqueues": place descriptor chains (direct
 * or one indirect table) on the available ring, publish them, decide whether
 * the device wants a kick (§2.7.10 / VIRTIO_RING_F_EVENT_IDX avail_event),
 * and take completions off the used ring, checking each one: the driver does
 * not trust the device either (hostile-inputs §1g #40).
 *
 * Sans-I/O (STYLE.md rule 1): no fds. vc_drv_kick_prepare() says whether to
 * notify; the caller writes the eventfd.
 *
 * Checks on the used ring (any failure makes the ring broken, sticky):
 *   - used->idx may not run ahead of what is in flight;
 *   - each used id must be a head we made available and that is still in
 *     flight (an id out of range or completed twice is refused).
 * A used len above the chain's device-writable length is reported per entry
 * (VC_ERANGE from vc_drv_get, the head is still released): the request is
 * finished but its result cannot be trusted.
 *
 * Memory: the three ring parts are caller memory (shared with the device);
 * the per-head bookkeeping array (struct vc_drv_head[size]) is caller memory
 * too, private to the driver. struct vc_drv holds no heap memory.
 *
 * Threading: one ring is used by one thread at a time (the caller
 * serialises every call). The device runs concurrently: index fields are
 * accessed with the fences the spec's memory model needs.
 */
#ifndef VC_VIRTQ_DRV_H
#define VC_VIRTQ_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "vcrypto/virtio_ring.h"

/* Per-descriptor state, private to the driver (indexed by descriptor; for a
 * chain's head it also describes the chain). */
struct vc_drv_head {
    uint16_t next_free; /* free-list / chain link (never read from the ring) */
    uint16_t prev_free; /* free list only: it is circular and doubly linked */
    uint8_t is_free;    /* on the free list */
    uint32_t wr_len; /* device-writable bytes of the chain */
    uint16_t ndesc;  /* ring descriptors the chain holds */
    uint16_t last;   /* last ring descriptor of the chain */
    uint8_t busy;    /* made available, not yet used */
};

/* One buffer of a chain: a device address (what goes into desc.addr) and a
 * length. */
struct vc_drv_buf {
    uint64_t addr;
    uint32_t len;
};

struct vc_drv {
    /* private */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    vc_le16 *used_event;  /* in the avail ring, after ring[size] */
    vc_le16 *avail_event; /* in the used ring, after ring[size] */
    struct vc_drv_head *heads;
    uint32_t size;
    uint32_t num_free;
    uint16_t free_head;
    uint16_t avail_idx;   /* next avail index we will publish */
    uint16_t kicked_idx;  /* avail index at the last kick decision */
    uint16_t last_used;   /* next used index to consume */
    uint32_t inflight;    /* heads busy */
    bool event_idx;
    bool broken;
    bool cb_enabled;
};

/* Initialises r over zeroed ring memory of `size` entries (a power of two,
 * 1..VIRTQ_MAX_SIZE) and a heads[size] array. desc must be 16-byte, avail
 * 2-byte, used 4-byte aligned with the sizes VIRTQ_*_BYTES(size). The
 * device side must start from avail/used index 0. Used buffer notifications
 * start enabled. Returns 0 or VC_EINVAL. */
int vc_drv_init(struct vc_drv *r, uint32_t size, bool event_idx, void *desc, void *avail,
                void *used, struct vc_drv_head *heads);

/* Like vc_drv_add_indirect, but takes descriptor want, which must be free
 * (vc_drv_is_free): a caller that ties per-request state to a descriptor
 * can keep giving a request the same one. VC_EINVAL if want is not free. */
int vc_drv_add_indirect_at(struct vc_drv *r, uint16_t want, uint64_t table_addr, uint32_t n,
                           uint32_t wr_len);

/* True if descriptor i is free (i < size). */
static inline bool vc_drv_is_free(const struct vc_drv *r, uint32_t i)
{
    return i < r->size && r->heads[i].is_free;
}

/* The descriptor the next vc_drv_add_indirect would take (num_free > 0). */
static inline uint16_t vc_drv_next_free(const struct vc_drv *r)
{
    return r->free_head;
}

/* Free descriptors. */
static inline uint32_t vc_drv_num_free(const struct vc_drv *r)
{
    return r->num_free;
}

/* Adds a direct chain: n_rd device-readable buffers then n_wr
 * device-writable ones, as one head (made available, not yet published).
 * Zero-length buffers are not allowed. Returns 0 and *head, VC_ENOSPC when
 * fewer than n_rd + n_wr descriptors are free, VC_EINVAL (no buffer, a zero
 * length, or a writable total above 4 GiB), VC_EBROKEN. */
int vc_drv_add(struct vc_drv *r, const struct vc_drv_buf *bufs, uint32_t n_rd, uint32_t n_wr,
               uint16_t *head);

/* Adds one descriptor pointing at an indirect table (table_addr, n entries
 * already filled by the caller, §2.7.5.3) whose device-writable bytes total
 * wr_len. Same errors as vc_drv_add. */
int vc_drv_add_indirect(struct vc_drv *r, uint64_t table_addr, uint32_t n, uint32_t wr_len,
                        uint16_t *head);

/* Fills an indirect table entry i of a chain of n entries (helper for
 * callers building tables): flags NEXT for all but the last, WRITE when wr. */
void vc_drv_fill_indirect(struct virtq_desc *table, uint32_t i, uint32_t n, uint64_t addr,
                          uint32_t len, bool wr);

/* Publishes every head added since the last call (one avail->idx store,
 * release ordered). */
void vc_drv_publish(struct vc_drv *r);

/* After publish: true if the device wants an available buffer notification
 * for what was published since the last call (§2.7.10: avail_event with
 * EVENT_IDX, else !VIRTQ_USED_F_NO_NOTIFY). Includes the full fence between
 * our avail->idx store and the read of the device's field. */
bool vc_drv_kick_prepare(struct vc_drv *r);

/* Takes the next used entry. Returns 0 with *head and *len; VC_EAGAIN when
 * none; VC_ERANGE when the entry's len exceeds the head's writable length
 * (*head is valid and released, the result must not be trusted);
 * VC_EBROKEN when the ring is or just became broken (bad id, duplicate,
 * used idx too far ahead). */
int vc_drv_get(struct vc_drv *r, uint16_t *head, uint32_t *len);

/* Prefetch hints, no validation and no state change: the ids of up to max
 * used entries not yet taken (ids >= size are skipped), and the heads the
 * next max vc_drv_add_indirect calls will take. Return how many. */
uint32_t vc_drv_peek_used(const struct vc_drv *r, uint16_t *ids, uint32_t max);
uint32_t vc_drv_peek_free(const struct vc_drv *r, uint16_t *heads, uint32_t max);

/* True if the used ring has entries we have not taken (cheap poll). */
bool vc_drv_has_used(const struct vc_drv *r);

/* Used buffer notifications (§2.7.7): disable is advisory; enable asks for
 * one at the next completion and returns true if completions arrived
 * meanwhile (then drain instead of sleeping). */
void vc_drv_disable_cb(struct vc_drv *r);
bool vc_drv_enable_cb(struct vc_drv *r);
/* Interrupt moderation: with EVENT_IDX, asks for the notification only once
 * n (>= 1) more buffers are used (used_event = last_used + n - 1, §2.7.10)
 * and returns true if n are already there. Without EVENT_IDX the device
 * cannot be told a count: same as vc_drv_enable_cb. */
bool vc_drv_enable_cb_after(struct vc_drv *r, uint16_t n);

/* Heads in flight, head state (tests) and the broken flag. */
static inline uint32_t vc_drv_inflight(const struct vc_drv *r)
{
    return r->inflight;
}
static inline bool vc_drv_is_broken(const struct vc_drv *r)
{
    return r->broken;
}
/* Releases every busy head without a used entry (after device loss or a
 * broken ring), calling fn(arg, head) for each, in head order. */
void vc_drv_abort_all(struct vc_drv *r, void (*fn)(void *arg, uint16_t head), void *arg);

#endif
