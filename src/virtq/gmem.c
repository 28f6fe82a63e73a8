/* Guest memory table.
 *
 * IMPLEMENTATION NOTES
 * All range arithmetic is done on 64-bit offsets relative to a region start
 * after checking the start is inside the region, so "addr + len" is never
 * formed from two guest-controlled values without an overflow check. The
 * table is kept sorted by gpa, which makes the overlap check a comparison of
 * neighbours and lets a straddling range walk forward through adjacent
 * regions. A linear scan finds the first region: QEMU sends a handful of
 * regions, so a search structure would not pay for itself.
 */
#include "virtq/gmem.h"

#include <string.h>

#include "vcrypto/err.h"

void vc_gmem_init(struct vc_gmem *gm)
{
    gm->n = 0;
}

static int region_ok(const struct vc_gmem_region *r)
{
    if (r->size == 0 || r->host == NULL)
        return 0;
    if (r->gpa + r->size - 1 < r->gpa || r->uva + r->size - 1 < r->uva)
        return 0;
    /* The host mapping must fit in our address space without wrapping. */
    if (r->size - 1 > UINTPTR_MAX - (uintptr_t)r->host)
        return 0;
    return 1;
}

VC_RESULT vc_gmem_set(struct vc_gmem *gm, const struct vc_gmem_region *regs, uint32_t n)
{
    struct vc_gmem_region tmp[VC_GMEM_MAX_REGIONS];

    ENSURE(n <= VC_GMEM_MAX_REGIONS, VC_EINVAL);
    ENSURE(n == 0 || regs != NULL, VC_EINVAL);
    /* Insertion sort by gpa into a scratch copy: n is at most 64. */
    for (uint32_t i = 0; i < n; i++) {
        ENSURE(region_ok(&regs[i]), VC_ERANGE);
        uint32_t j = i;
        while (j > 0 && tmp[j - 1].gpa > regs[i].gpa) {
            tmp[j] = tmp[j - 1];
            j--;
        }
        tmp[j] = regs[i];
    }
    /* Sorted, so overlap can only happen between neighbours. Last bytes are
     * compared (not ends) because an end may be 2^64. */
    for (uint32_t i = 1; i < n; i++)
        ENSURE(tmp[i - 1].gpa + (tmp[i - 1].size - 1) < tmp[i].gpa, VC_ERANGE);
    if (n)
        memcpy(gm->r, tmp, n * sizeof tmp[0]);
    gm->n = n;
    return VC_OK_RESULT;
}

uint32_t vc_gmem_count(const struct vc_gmem *gm)
{
    return gm->n;
}

const struct vc_gmem_region *vc_gmem_region(const struct vc_gmem *gm, uint32_t i)
{
    return i < gm->n ? &gm->r[i] : NULL;
}

/* Index of the region holding guest-physical byte gpa, or -1. */
static int find_gpa(const struct vc_gmem *gm, uint64_t gpa)
{
    for (uint32_t i = 0; i < gm->n; i++) {
        const struct vc_gmem_region *r = &gm->r[i];
        if (gpa >= r->gpa && gpa - r->gpa < r->size)
            return (int)i;
    }
    return -1;
}

VC_RESULT vc_gmem_map(const struct vc_gmem *gm, uint64_t gpa, uint64_t len, struct vc_iov *iov,
                      uint32_t max, uint32_t *cnt)
{
    ENSURE(len != 0, VC_EINVAL);
    ENSURE(gpa + (len - 1) >= gpa, VC_ERANGE);
    int i = find_gpa(gm, gpa);
    ENSURE(i >= 0, VC_ERANGE);

    uint32_t k = 0;
    for (;;) {
        const struct vc_gmem_region *r = &gm->r[i];
        uint64_t off = gpa - r->gpa;
        uint64_t take = VC_MIN(len, r->size - off);
        ENSURE(k < max, VC_ENOSPC);
        iov[k].base = r->host + off;
        iov[k].len = (size_t)take;
        k++;
        len -= take;
        if (len == 0)
            break;
        /* The rest must start exactly at the next region (sorted table, so
         * only i + 1 can be adjacent). take > 0, so this cannot wrap: the
         * range's last byte was checked above. */
        gpa += take;
        i++;
        ENSURE((uint32_t)i < gm->n && gm->r[i].gpa == gpa, VC_ERANGE);
    }
    *cnt = k;
    return VC_OK_RESULT;
}

void *vc_gmem_uva(const struct vc_gmem *gm, uint64_t uva, uint64_t len)
{
    if (len == 0 || uva + (len - 1) < uva)
        return NULL;
    for (uint32_t i = 0; i < gm->n; i++) {
        const struct vc_gmem_region *r = &gm->r[i];
        if (uva >= r->uva && uva - r->uva < r->size && len <= r->size - (uva - r->uva))
            return r->host + (uva - r->uva);
    }
    return NULL;
}

void *vc_gmem_gpa(const struct vc_gmem *gm, uint64_t gpa, uint64_t len)
{
    if (len == 0 || gpa + (len - 1) < gpa)
        return NULL;
    int i = find_gpa(gm, gpa);
    if (i < 0)
        return NULL;
    const struct vc_gmem_region *r = &gm->r[i];
    if (len > r->size - (gpa - r->gpa))
        return NULL;
    return r->host + (gpa - r->gpa);
}
