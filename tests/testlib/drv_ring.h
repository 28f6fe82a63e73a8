/* Driver side of one split ring for integration tests, written raw over a
 * vu_client ring (vu_ring_layout) so tests can also forge hostile
 * descriptors. Also a bump allocator for buffers in the fake guest memory.
 *
 * Test-only: aborts when guest memory runs out.
 */
#ifndef VC_TESTLIB_DRV_RING_H
#define VC_TESTLIB_DRV_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "vcrypto/virtio_ring.h"
#include "vu_client.h"

struct drv_ring {
    struct vu_ring r;
    const struct vu_guest_mem *m;
    uint16_t avail_idx, used_seen, next_desc;
    int kick, call;
};

struct drv_buf {
    const void *p; /* our pointer into guest memory */
    uint32_t len;
    bool write;
};

/* Bump allocator over guest memory [*brk, m->size); 16-byte aligned,
 * zero-filled. */
void *drv_alloc(const struct vu_guest_mem *m, uint64_t *brk, uint64_t n);
uint64_t drv_gpa(const struct vu_guest_mem *m, const void *p);

/* Writes a chain of n buffers (direct, or through one indirect table placed
 * with the allocator) and publishes its head. Returns the head. */
uint16_t drv_post(struct drv_ring *d, uint64_t *brk, const struct drv_buf *b, unsigned n,
                  bool indirect);
/* Writes descriptor i raw. */
void drv_desc(struct drv_ring *d, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
              uint16_t next);
/* Publishes head in the avail ring (release ordering). */
void drv_publish(struct drv_ring *d, uint16_t head);
void drv_kick(struct drv_ring *d);
/* Waits for the next used entry. */
bool drv_wait_used(struct drv_ring *d, int timeout_ms, uint32_t *id, uint32_t *len);

#endif
