/* SET_MEM_TABLE: guest memory regions from the front-end's fds.
 *
 * IMPLEMENTATION NOTES
 * Order of work, so that a bad table maps nothing and leaks nothing
 * (hostile-inputs #36, CVE-2020-10722 class):
 *   1. Validate the whole message with arithmetic only: size == 8 + 32n,
 *      1 <= n <= 8, exactly n fds, every region non-empty, no 64-bit wrap
 *      of gpa/uva/mmap_offset + size, no two regions overlapping in guest
 *      physical space.
 *   2. fstat every fd: it must be a regular file (memfd, tmpfs, hugetlbfs)
 *      at least mmap_offset + size long. Mapping past the end of a file
 *      "succeeds" and then SIGBUSes on first touch, which a worker would
 *      do on the guest's behalf.
 *   3. mmap every region; on a failure unmap the ones already made.
 *   4. Install in the gmem table (which re-checks), then unmap the old one.
 * The fds are closed in every case: a mapping keeps its file alive.
 *
 * A front-end that shrinks the file after we mapped it can still make us
 * SIGBUS; every vhost-user back-end shares that limit (sealing would need
 * the front-end's cooperation).
 *
 * mmap offsets need page alignment; mmap_offset need not be page aligned,
 * so we map from the page below it and add the difference.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "vcrypto/err.h"
#include "vhost/dev.h"

static bool wraps(uint64_t a, uint64_t len)
{
    return a + len < a;
}

static bool overlaps(const struct vhost_user_mem_region *x, const struct vhost_user_mem_region *y)
{
    /* Both ranges are known not to wrap. */
    return x->guest_phys_addr < y->guest_phys_addr + y->memory_size &&
           y->guest_phys_addr < x->guest_phys_addr + x->memory_size;
}

/* Step 1: the table itself. */
static bool table_valid(const char *name, const struct vc_vu_msg *msg)
{
    const struct vhost_user_memory *m = &msg->u.mem;
    if (msg->hdr.size < VHOST_USER_MEMORY_HDR_SIZE) {
        VC_ERR("vhost %s: SET_MEM_TABLE payload %u bytes, below the 8-byte head", name,
               msg->hdr.size);
        return false;
    }
    uint32_t n = m->nregions;
    if (n == 0 || n > VHOST_USER_MAX_MEM_REGIONS) {
        VC_ERR("vhost %s: SET_MEM_TABLE with %u regions (1..%u allowed)", name, n,
               VHOST_USER_MAX_MEM_REGIONS);
        return false;
    }
    uint64_t want = VHOST_USER_MEMORY_HDR_SIZE + (uint64_t)n * sizeof(struct vhost_user_mem_region);
    if (msg->hdr.size != want) {
        VC_ERR("vhost %s: SET_MEM_TABLE size %u, %u regions need %llu", name, msg->hdr.size, n,
               (unsigned long long)want);
        return false;
    }
    /* "The size and ordering of the fds matches the number and ordering of
     * memory regions." */
    if (msg->nfds != n) {
        VC_ERR("vhost %s: SET_MEM_TABLE with %u regions but %u fds", name, n, msg->nfds);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct vhost_user_mem_region *r = &m->regions[i];
        if (r->memory_size == 0 || wraps(r->guest_phys_addr, r->memory_size) ||
            wraps(r->userspace_addr, r->memory_size) || wraps(r->mmap_offset, r->memory_size)) {
            VC_ERR("vhost %s: SET_MEM_TABLE region %u empty or wraps", name, i);
            return false;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (overlaps(r, &m->regions[j])) {
                VC_ERR("vhost %s: SET_MEM_TABLE regions %u and %u overlap", name, j, i);
                return false;
            }
        }
    }
    return true;
}

/* Step 2: the files back the whole regions. */
static bool fds_valid(const char *name, const struct vc_vu_msg *msg)
{
    for (uint32_t i = 0; i < msg->u.mem.nregions; i++) {
        const struct vhost_user_mem_region *r = &msg->u.mem.regions[i];
        struct stat st;
        if (fstat(msg->fds[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            VC_ERR("vhost %s: SET_MEM_TABLE region %u: fd is not a regular file", name, i);
            return false;
        }
        if (st.st_size < 0 || r->mmap_offset + r->memory_size > (uint64_t)st.st_size) {
            VC_ERR("vhost %s: SET_MEM_TABLE region %u: offset+size beyond the file (%lld bytes)",
                   name, i, (long long)st.st_size);
            return false;
        }
    }
    return true;
}

static void unmap_regions(struct vc_gmem_region *regs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (regs[i].mmap_addr)
            munmap(regs[i].mmap_addr, (size_t)regs[i].mmap_size);
        regs[i].mmap_addr = NULL;
    }
}

/* Step 3. */
static bool map_regions(const char *name, const struct vc_vu_msg *msg, struct vc_gmem_region *out)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint32_t n = msg->u.mem.nregions;
    memset(out, 0, n * sizeof(*out));
    for (uint32_t i = 0; i < n; i++) {
        const struct vhost_user_mem_region *r = &msg->u.mem.regions[i];
        uint64_t map_off = r->mmap_offset & ~(page - 1);
        uint64_t delta = r->mmap_offset - map_off;
        uint64_t len = delta + r->memory_size; /* <= mmap_offset + size: no wrap */
        if (len > SIZE_MAX || map_off > (uint64_t)INT64_MAX) {
            unmap_regions(out, i);
            return false;
        }
        void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                       msg->fds[i], (off_t)map_off);
        if (p == MAP_FAILED) {
            VC_ERR("vhost %s: SET_MEM_TABLE region %u: mmap of %llu bytes failed (errno %d)", name,
                   i, (unsigned long long)len, errno);
            unmap_regions(out, i);
            return false;
        }
        out[i].gpa = r->guest_phys_addr;
        out[i].size = r->memory_size;
        out[i].uva = r->userspace_addr;
        out[i].host = (uint8_t *)p + delta;
        out[i].mmap_addr = p;
        out[i].mmap_size = len;
    }
    return true;
}

int vc__vu_mem_set(const char *name, struct vc_gmem *gm, struct vc_vu_msg *msg)
{
    struct vc_gmem_region fresh[VHOST_USER_MAX_MEM_REGIONS];
    struct vc_gmem_region old[VC_GMEM_MAX_REGIONS];
    int rc = VC_EPROTO;

    if (!table_valid(name, msg) || !fds_valid(name, msg) || !map_regions(name, msg, fresh))
        goto out;
    uint32_t n = msg->u.mem.nregions, nold = vc_gmem_count(gm);
    for (uint32_t i = 0; i < nold; i++)
        old[i] = *vc_gmem_region(gm, i);
    if (!vc_ok(vc_gmem_set(gm, fresh, n))) {
        VC_ERR("vhost %s: SET_MEM_TABLE refused by the memory table checks", name);
        unmap_regions(fresh, n);
        goto out;
    }
    unmap_regions(old, nold);
    rc = 0;
out:
    vc__vu_msg_close_fds(msg);
    return rc;
}

void vc__vu_mem_clear(struct vc_gmem *gm)
{
    struct vc_gmem_region old[VC_GMEM_MAX_REGIONS];
    uint32_t n = vc_gmem_count(gm);
    for (uint32_t i = 0; i < n; i++)
        old[i] = *vc_gmem_region(gm, i);
    vc_gmem_init(gm);
    unmap_regions(old, n);
}
