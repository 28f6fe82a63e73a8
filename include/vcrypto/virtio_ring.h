/* Split virtqueue wire layout, shared by the device side (src/virtq/) and
 * the driver side (user-space driver library).
 *
 * Source: OASIS virtio spec v1.3 §2.7 "Split Virtqueues" (2.7.5 "The
 * Virtqueue Descriptor Table", 2.7.6 "The Virtqueue Available Ring", 2.7.8
 * "The Virtqueue Used Ring", 2.7.7/2.7.10 notification suppression) and §6
 * "Reserved Feature Bits". Struct names follow the spec (virtq_*); the flag
 * constants also carry the Linux uapi spelling (VRING_*) with the same
 * tokens, so this header can coexist with <linux/virtio_ring.h>.
 *
 * Every multi-byte field is little endian (vc_le16/32/64). Wire structs and
 * constants only, no functions (STYLE.md rule 11).
 *
 * Memory layout of one split ring of N entries (N a power of two, at most
 * VIRTQ_MAX_SIZE), each part in guest memory, parts not necessarily adjacent:
 *
 *   descriptor table  N * 16 bytes          alignment 16
 *   available ring    flags, idx, ring[N], used_event      6 + 2N bytes, align 2
 *   used ring         flags, idx, ring[N] (8 B each), avail_event  6 + 8N, align 4
 *
 * The trailing used_event / avail_event fields are part of the ring sizes in
 * §2.7 "Virtqueue Part Sizes" whether or not VIRTIO_RING_F_EVENT_IDX was
 * negotiated, so a device may always write avail_event.
 */
#ifndef VCRYPTO_VIRTIO_RING_H
#define VCRYPTO_VIRTIO_RING_H

#include <stddef.h>

#include "vcrypto/virtio_types.h"

/* ---- Reserved feature bits (§6) ---- */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24 /* legacy only */
#define VIRTIO_F_ANY_LAYOUT 27      /* legacy only */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38

/* Largest queue size of a split ring: "Queue Size ... The maximum Queue Size
 * value is 32768" (§2.7). */
#define VIRTQ_MAX_SIZE 32768

/* ---- Descriptor table (§2.7.5) ---- */
struct virtq_desc {
    vc_le64 addr; /* guest-physical address of the buffer */
    vc_le32 len;  /* buffer length; for INDIRECT: the table length in bytes */
    vc_le16 flags;
/* This marks a buffer as continuing via the next field. */
#define VIRTQ_DESC_F_NEXT 1
/* This marks a buffer as device write-only (otherwise device read-only). */
#define VIRTQ_DESC_F_WRITE 2
/* This means the buffer contains a list of buffer descriptors (§2.7.5.3). */
#define VIRTQ_DESC_F_INDIRECT 4
    vc_le16 next; /* index of the next descriptor if flags & NEXT */
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");
_Static_assert(offsetof(struct virtq_desc, flags) == 12, "virtq_desc.flags");

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4

/* ---- Available ring (§2.7.6), driver-written ---- */
struct virtq_avail {
    vc_le16 flags;
/* Driver asks for no used buffer notifications (only meaningful without
 * VIRTIO_RING_F_EVENT_IDX, §2.7.7). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
    vc_le16 idx;    /* where the driver puts the next entry, mod 2^16 */
    vc_le16 ring[]; /* ring[N] head indexes, then vc_le16 used_event */
};
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail");

#define VRING_AVAIL_F_NO_INTERRUPT 1

/* ---- Used ring (§2.7.8), device-written ---- */
struct virtq_used_elem {
    vc_le32 id;  /* head index of the completed chain (u32 for padding reasons) */
    vc_le32 len; /* bytes written into the device-writable part of the chain */
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem");

struct virtq_used {
    vc_le16 flags;
/* Device asks for no available buffer notifications (kicks); only meaningful
 * without VIRTIO_RING_F_EVENT_IDX (§2.7.10). */
#define VIRTQ_USED_F_NO_NOTIFY 1
    vc_le16 idx;
    struct virtq_used_elem ring[]; /* ring[N], then vc_le16 avail_event */
};
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used");
_Static_assert(offsetof(struct virtq_used, ring) == 4, "virtq_used.ring");

#define VRING_USED_F_NO_NOTIFY 1

/* ---- Part sizes and alignment (§2.7 "Virtqueue Part Sizes", 2.7.2) ----
 * Sizes are 64-bit so callers validating a hostile N cannot overflow. */
#define VIRTQ_DESC_ALIGN 16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN 4
#define VIRTQ_DESC_BYTES(n) (16 * (uint64_t)(n))
#define VIRTQ_AVAIL_BYTES(n) (6 + 2 * (uint64_t)(n))
#define VIRTQ_USED_BYTES(n) (6 + 8 * (uint64_t)(n))
/* Byte offsets of the event-index fields inside the avail / used ring. */
#define VIRTQ_USED_EVENT_OFF(n) (4 + 2 * (uint64_t)(n))  /* in virtq_avail */
#define VIRTQ_AVAIL_EVENT_OFF(n) (4 + 8 * (uint64_t)(n)) /* in virtq_used */

#endif
