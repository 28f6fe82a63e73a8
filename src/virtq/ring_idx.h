/* Split-ring index arithmetic shared by the device side (vq.c) and the later
 * driver side. Ring indexes are free-running 16-bit counters (§2.7.6: "idx
 * ... wraps naturally at 65536"), so every comparison is a 16-bit
 * subtraction.
 *
 * Threading: pure functions.
 */
#ifndef VC_VIRTQ_RING_IDX_H
#define VC_VIRTQ_RING_IDX_H

#include <stdbool.h>
#include <stdint.h>

/* Entries published between old and new (mod 2^16). */
static inline uint16_t vc__ring_dist(uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - old_idx);
}

/* VIRTIO_RING_F_EVENT_IDX (§2.7.7.2 / §2.7.10): having moved an index from
 * old to new, the other side asked to be notified when the index passes
 * event, i.e. when event lies in [old, new) modulo 2^16. */
static inline bool vc__ring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
