/* vc_mem_alloc pool: first-fit over the tail of the shared region.
 *
 * IMPLEMENTATION NOTES
 * The block list lives in private (malloc'd) memory, never in the shared
 * region: the device can write the region, and must not be able to corrupt
 * our allocator. Blocks are kept sorted by offset; free merges neighbours.
 * Allocation is off the data path (set-up time), so a linear list is fine.
 */
#include <stdlib.h>

#include "driver/internal.h"

struct vc__pool_block {
    uint64_t off, len;
    bool used;
    struct vc__pool_block *next;
};

#define UNIT 64u

int vc__pool_init(struct vc_dev *d, uint8_t *base, uint64_t len)
{
    d->pool = base;
    d->pool_len = len;
    d->blocks = calloc(1, sizeof(*d->blocks));
    if (!d->blocks)
        return VC_ENOMEM;
    d->blocks->len = len;
    return 0;
}

void vc__pool_fini(struct vc_dev *d)
{
    struct vc__pool_block *b = d->blocks, *n;
    for (; b; b = n) {
        n = b->next;
        free(b);
    }
    d->blocks = NULL;
}

void *vc_mem_alloc(struct vc_dev *d, size_t size)
{
    if (!d || size == 0 || size > d->pool_len)
        return NULL;
    uint64_t need = ((uint64_t)size + UNIT - 1) / UNIT * UNIT;
    void *ret = NULL;
    pthread_mutex_lock(&d->mem_lock);
    for (struct vc__pool_block *b = d->blocks; b; b = b->next) {
        if (b->used || b->len < need)
            continue;
        if (b->len > need) {
            struct vc__pool_block *rest = malloc(sizeof(*rest));
            if (!rest)
                break;
            rest->off = b->off + need;
            rest->len = b->len - need;
            rest->used = false;
            rest->next = b->next;
            b->next = rest;
            b->len = need;
        }
        b->used = true;
        ret = d->pool + b->off;
        break;
    }
    pthread_mutex_unlock(&d->mem_lock);
    return ret;
}

void vc_mem_free(struct vc_dev *d, void *p)
{
    if (!d || !p)
        return;
    pthread_mutex_lock(&d->mem_lock);
    struct vc__pool_block *prev = NULL, *b = d->blocks;
    for (; b; prev = b, b = b->next)
        if (d->pool + b->off == (uint8_t *)p)
            break;
    if (b && b->used) {
        b->used = false;
        struct vc__pool_block *n = b->next;
        if (n && !n->used) {
            b->len += n->len;
            b->next = n->next;
            free(n);
        }
        if (prev && !prev->used) {
            prev->len += b->len;
            prev->next = b->next;
            free(b);
        }
    }
    pthread_mutex_unlock(&d->mem_lock);
}
