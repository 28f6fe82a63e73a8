/* Guest memory table: guest-physical and frontend-virtual addresses to host
 * pointers, with every range checked.
 *
 * The vhost-user layer receives SET_MEM_TABLE, mmaps each region's fd and
 * hands the resulting host pointers here; this module never makes a system
 * call (STYLE.md rule 1), so tests and fuzzers back a table with malloc'd
 * memory. The table is the only way the virtqueue code reaches guest memory:
 * every descriptor address and length goes through vc_gmem_map(), every ring
 * address through vc_gmem_uva().
 *
 * Ownership: struct vc_gmem is caller-allocated (about 4 KiB, fixed size, no
 * heap). The host mappings are not owned: whoever filled host/mmap_* unmaps
 * them, after every user of the table (the rings) has been stopped or
 * remapped. The mmap_* fields are carried for that owner and never read here.
 *
 * Threading: a table is read-only while rings use it; replacing it
 * (vc_gmem_set) requires that no other thread reads it at the same time (the
 * vhost layer stops the rings around SET_MEM_TABLE). Lookups on a constant
 * table are thread-safe.
 */
#ifndef VC_VIRTQ_GMEM_H
#define VC_VIRTQ_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/result.h"
#include "common/sg.h"

/* vhost-user allows 8 regions classically and more with
 * VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS; QEMU caps memory slots well
 * below this. */
#define VC_GMEM_MAX_REGIONS 64

struct vc_gmem_region {
    uint64_t gpa;  /* guest-physical start */
    uint64_t size; /* bytes; non-zero */
    uint64_t uva;  /* the frontend's (QEMU's) virtual address of byte 0 */
    uint8_t *host; /* our pointer to byte 0 (after mmap + offset) */
    /* Owner's bookkeeping for munmap; opaque to gmem. */
    void *mmap_addr;
    uint64_t mmap_size;
};

struct vc_gmem {
    /* private: use the functions below */
    uint32_t n;
    struct vc_gmem_region r[VC_GMEM_MAX_REGIONS]; /* sorted by gpa */
};

/* Empties the table. Never fails. */
void vc_gmem_init(struct vc_gmem *gm);

/* Replaces the whole table with n regions copied from regs (any order).
 * The new table is validated as a whole before anything changes:
 *   n <= VC_GMEM_MAX_REGIONS; every size non-zero; gpa + size, uva + size and
 *   host + size do not wrap; host non-NULL; no two regions overlap in
 *   guest-physical space (hostile-inputs #36).
 * Returns ok, or VC_EINVAL / VC_ERANGE with the old table unchanged.
 * Overlapping frontend virtual ranges are allowed (QEMU may alias memory);
 * vc_gmem_uva() then uses the lowest-gpa region containing the range. */
VC_RESULT vc_gmem_set(struct vc_gmem *gm, const struct vc_gmem_region *regs, uint32_t n);

/* Number of regions and read access to region i (i < count), e.g. for the
 * vhost layer to unmap the old table. */
uint32_t vc_gmem_count(const struct vc_gmem *gm);
const struct vc_gmem_region *vc_gmem_region(const struct vc_gmem *gm, uint32_t i);

/* Translates the guest-physical range [gpa, gpa + len) into host pieces,
 * appended to iov[0..max). A range crossing from one region into an
 * adjacent one (no gap) is split into one piece per region.
 * On success *cnt is the number of pieces written (>= 1).
 * Errors (nothing usable in iov):
 *   VC_EINVAL  len == 0
 *   VC_ERANGE  gpa + len wraps, or some byte lies in no region
 *   VC_ENOSPC  more than max pieces would be needed */
VC_RESULT vc_gmem_map(const struct vc_gmem *gm, uint64_t gpa, uint64_t len, struct vc_iov *iov,
                      uint32_t max, uint32_t *cnt);

/* The hot case of vc_gmem_map, inline: a non-empty range inside one of the
 * first two regions (a process's one memfd; a guest's RAM below and above
 * 4 GiB) maps to one piece. Returns false when the range needs the full
 * vc_gmem_map (other regions, several pieces, or an error to report). */
static inline bool vc_gmem_map1(const struct vc_gmem *gm, uint64_t gpa, uint64_t len,
                                struct vc_iov *iov)
{
    for (uint32_t i = 0; i < gm->n && i < 2; i++) {
        const struct vc_gmem_region *r = &gm->r[i];
        uint64_t off = gpa - r->gpa; /* wraps to huge when gpa < r->gpa */
        if (off < r->size && len != 0 && len <= r->size - off) {
            iov->base = r->host + off;
            iov->len = (size_t)len;
            return true;
        }
    }
    return false;
}

/* Host pointer for the frontend-virtual range [uva, uva + len), which must
 * lie inside one region (rings are addressed this way by
 * VHOST_USER_SET_VRING_ADDR). Returns NULL if len == 0, the range wraps or no
 * single region contains it. */
void *vc_gmem_uva(const struct vc_gmem *gm, uint64_t uva, uint64_t len);

/* Host pointer for a guest-physical range inside one region, or NULL (same
 * rules as vc_gmem_uva). For rings given by guest-physical address. */
void *vc_gmem_gpa(const struct vc_gmem *gm, uint64_t gpa, uint64_t len);

#endif
