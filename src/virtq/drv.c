/* Split virtqueue, driver side.
 *
 * IMPLEMENTATION NOTES
 * Free descriptors form a circular, doubly linked list through the private
 * heads[i].next_free / prev_free links, never through desc[i].next: the
 * descriptor table is shared memory a hostile device could rewrite. Chains
 * are taken from the front in list order and keep their next_free links
 * while in use; a head's chain is released as a whole from the private
 * head state (ndesc, last) and spliced back at the front. The prev links
 * let vc_drv_add_indirect_at take any one free descriptor in O(1).
 *
 * Ordering (§2.7.13): descriptors and the avail ring entry are written
 * before avail->idx (release fence); a full fence separates our avail->idx
 * store from the read of the device's avail_event / used->flags (the
 * notification race, same as vq.c's should_notify). used->idx is read with
 * acquire ordering before the used entries it exposes, and each entry is
 * read once into a local copy (the device may rewrite it).
 */
#include "virtq/drv.h"

#include <endian.h>
#include <stdatomic.h>
#include <string.h>

#include "vcrypto/err.h"
#include "virtq/ring_idx.h"

static inline uint16_t ld16(const vc_le16 *p)
{
    return le16toh(*(const volatile vc_le16 *)p);
}

static inline void st16(vc_le16 *p, uint16_t v)
{
    *(volatile vc_le16 *)p = htole16(v);
}

int vc_drv_init(struct vc_drv *r, uint32_t size, bool event_idx, void *desc, void *avail,
                void *used, struct vc_drv_head *heads)
{
    if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) || !desc || !avail || !used ||
        !heads || (uintptr_t)desc % VIRTQ_DESC_ALIGN || (uintptr_t)avail % VIRTQ_AVAIL_ALIGN ||
        (uintptr_t)used % VIRTQ_USED_ALIGN)
        return VC_EINVAL;
    memset(r, 0, sizeof(*r));
    r->desc = desc;
    r->avail = avail;
    r->used = used;
    r->used_event = (vc_le16 *)((uint8_t *)avail + VIRTQ_USED_EVENT_OFF(size));
    r->avail_event = (vc_le16 *)((uint8_t *)used + VIRTQ_AVAIL_EVENT_OFF(size));
    r->heads = heads;
    r->size = size;
    r->event_idx = event_idx;
    memset(heads, 0, sizeof(*heads) * size);
    for (uint32_t i = 0; i < size; i++) {
        heads[i].next_free = (uint16_t)((i + 1) % size);
        heads[i].prev_free = (uint16_t)((i + size - 1) % size);
        heads[i].is_free = 1;
    }
    r->num_free = size;
    r->free_head = 0;
    st16(&r->avail->flags, 0);
    st16(&r->avail->idx, 0);
    st16(r->used_event, 0);
    r->cb_enabled = true;
    return 0;
}

/* Takes n (<= num_free) descriptors off the front of the free list; returns
 * the first. They stay linked in order through next_free. */
static uint16_t take(struct vc_drv *r, uint32_t n, uint16_t *last)
{
    uint16_t head = r->free_head, i = head;
    r->heads[i].is_free = 0;
    for (uint32_t k = 1; k < n; k++) {
        i = r->heads[i].next_free;
        r->heads[i].is_free = 0;
    }
    *last = i;
    r->num_free -= n;
    if (r->num_free > 0) {
        uint16_t front = r->heads[i].next_free, tail = r->heads[head].prev_free;
        r->heads[front].prev_free = tail;
        r->heads[tail].next_free = front;
        r->free_head = front;
    }
    return head;
}

/* Takes free descriptor h out of the list. */
static void take_one(struct vc_drv *r, uint16_t h)
{
    struct vc_drv_head *d = &r->heads[h];
    d->is_free = 0;
    r->num_free--;
    if (r->num_free > 0) {
        r->heads[d->prev_free].next_free = d->next_free;
        r->heads[d->next_free].prev_free = d->prev_free;
        if (r->free_head == h)
            r->free_head = d->next_free;
    }
}

static void make_avail(struct vc_drv *r, uint16_t head, uint16_t ndesc, uint16_t last,
                       uint32_t wr_len)
{
    struct vc_drv_head *h = &r->heads[head];
    h->wr_len = wr_len;
    h->ndesc = ndesc;
    h->last = last;
    h->busy = 1;
    r->inflight++;
    /* Unchanged entries are not rewritten (see vc_drv_add_indirect). */
    vc_le16 *slot = &r->avail->ring[r->avail_idx & (r->size - 1)];
    if (ld16(slot) != head)
        st16(slot, head);
    r->avail_idx++;
}

int vc_drv_add(struct vc_drv *r, const struct vc_drv_buf *bufs, uint32_t n_rd, uint32_t n_wr,
               uint16_t *head)
{
    uint32_t n = n_rd + n_wr;
    uint64_t wr = 0;
    if (r->broken)
        return VC_EBROKEN;
    if (n == 0 || n > r->size)
        return VC_EINVAL;
    for (uint32_t k = 0; k < n; k++) {
        if (bufs[k].len == 0)
            return VC_EINVAL;
        if (k >= n_rd)
            wr += bufs[k].len;
    }
    if (wr > UINT32_MAX)
        return VC_EINVAL;
    if (r->num_free < n)
        return VC_ENOSPC;
    uint16_t last, h = take(r, n, &last), i = h;
    for (uint32_t k = 0; k < n; k++) {
        struct virtq_desc *d = &r->desc[i];
        uint16_t flags = (k >= n_rd ? VIRTQ_DESC_F_WRITE : 0) | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
        d->addr = htole64(bufs[k].addr);
        d->len = htole32(bufs[k].len);
        d->flags = htole16(flags);
        /* The chain is the free list's prefix; the private links give the
         * order. */
        d->next = htole16(r->heads[i].next_free);
        i = r->heads[i].next_free;
    }
    make_avail(r, h, (uint16_t)n, last, (uint32_t)wr);
    *head = h;
    return 0;
}

static void put_indirect(struct vc_drv *r, uint16_t h, uint64_t table_addr, uint32_t n,
                         uint32_t wr_len);

int vc_drv_add_indirect(struct vc_drv *r, uint64_t table_addr, uint32_t n, uint32_t wr_len,
                        uint16_t *head)
{
    if (r->broken)
        return VC_EBROKEN;
    if (n == 0 || (uint64_t)n * sizeof(struct virtq_desc) > UINT32_MAX)
        return VC_EINVAL;
    if (r->num_free < 1)
        return VC_ENOSPC;
    uint16_t last, h = take(r, 1, &last);
    put_indirect(r, h, table_addr, n, wr_len);
    *head = h;
    return 0;
}

int vc_drv_add_indirect_at(struct vc_drv *r, uint16_t want, uint64_t table_addr, uint32_t n,
                           uint32_t wr_len)
{
    if (r->broken)
        return VC_EBROKEN;
    if (n == 0 || (uint64_t)n * sizeof(struct virtq_desc) > UINT32_MAX || !vc_drv_is_free(r, want))
        return VC_EINVAL;
    take_one(r, want);
    put_indirect(r, want, table_addr, n, wr_len);
    return 0;
}

static void put_indirect(struct vc_drv *r, uint16_t h, uint64_t table_addr, uint32_t n,
                         uint32_t wr_len)
{
    /* §2.7.5.3.1: "The driver MUST NOT set both VIRTQ_DESC_F_INDIRECT and
     * VIRTQ_DESC_F_NEXT in flags." Written only when it differs: a slot
     * reused with the same table leaves the line valid in the device's
     * cache (the device only reads descriptors). */
    struct virtq_desc nd = {.addr = htole64(table_addr),
                            .len = htole32(n * (uint32_t)sizeof(struct virtq_desc)),
                            .flags = htole16(VIRTQ_DESC_F_INDIRECT),
                            .next = r->desc[h].next};
    if (memcmp(&r->desc[h], &nd, sizeof(nd)) != 0)
        r->desc[h] = nd;
    make_avail(r, h, 1, h, wr_len);
}

void vc_drv_fill_indirect(struct virtq_desc *table, uint32_t i, uint32_t n, uint64_t addr,
                          uint32_t len, bool wr)
{
    struct virtq_desc *d = &table[i];
    d->addr = htole64(addr);
    d->len = htole32(len);
    d->flags = htole16((uint16_t)((wr ? VIRTQ_DESC_F_WRITE : 0) |
                                  (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)));
    d->next = htole16((uint16_t)(i + 1 < n ? i + 1 : 0));
}

void vc_drv_publish(struct vc_drv *r)
{
    /* §2.7.13.3.1: "The driver MUST perform a suitable memory barrier
     * before the idx update, to ensure the device sees the most up-to-date
     * copy." */
    atomic_thread_fence(memory_order_release);
    st16(&r->avail->idx, r->avail_idx);
}

bool vc_drv_kick_prepare(struct vc_drv *r)
{
    uint16_t old = r->kicked_idx, cur = r->avail_idx;
    if (r->broken || old == cur)
        return false;
    r->kicked_idx = cur;
    /* Store (avail->idx) then load (the device's suppression field): both
     * sides may otherwise miss each other. */
    atomic_thread_fence(memory_order_seq_cst);
    if (r->event_idx)
        /* §2.7.10: "the driver ... MUST examine the avail_event field ... to
         * determine whether to send an available buffer notification" */
        return vc__ring_need_event(ld16(r->avail_event), cur, old);
    return !(ld16(&r->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
}

static void release(struct vc_drv *r, uint16_t head)
{
    struct vc_drv_head *h = &r->heads[head];
    uint16_t last = h->last;
    /* Chain [head .. last] was taken as a run of the list and its links
     * inside the run (next_free and prev_free) are untouched since: splice
     * the run back in front of the free list by its two ends. */
    for (uint16_t i = head; i != last; i = r->heads[i].next_free)
        r->heads[i].is_free = 1;
    r->heads[last].is_free = 1;
    if (r->num_free == 0) {
        r->heads[last].next_free = head;
        h->prev_free = last;
    } else {
        uint16_t front = r->free_head, tail = r->heads[front].prev_free;
        r->heads[tail].next_free = head;
        h->prev_free = tail;
        r->heads[last].next_free = front;
        r->heads[front].prev_free = last;
    }
    r->free_head = head;
    r->num_free += h->ndesc;
    h->busy = 0;
    r->inflight--;
}

uint32_t vc_drv_peek_used(const struct vc_drv *r, uint16_t *ids, uint32_t max)
{
    if (r->broken)
        return 0;
    uint16_t avail = (uint16_t)(ld16(&r->used->idx) - r->last_used);
    atomic_thread_fence(memory_order_acquire);
    uint32_t k = 0;
    for (uint32_t i = 0; i < avail && i < max && i < r->size; i++) {
        uint32_t id = le32toh(r->used->ring[(uint16_t)(r->last_used + i) & (r->size - 1)].id);
        if (id < r->size)
            ids[k++] = (uint16_t)id;
    }
    return k;
}

uint32_t vc_drv_peek_free(const struct vc_drv *r, uint16_t *heads, uint32_t max)
{
    uint32_t k = 0;
    uint16_t h = r->free_head;
    for (; k < max && k < r->num_free; k++) {
        heads[k] = h;
        h = r->heads[h].next_free;
    }
    return k;
}

bool vc_drv_has_used(const struct vc_drv *r)
{
    return !r->broken && ld16(&r->used->idx) != r->last_used;
}

int vc_drv_get(struct vc_drv *r, uint16_t *head, uint32_t *len)
{
    if (r->broken)
        return VC_EBROKEN;
    uint16_t idx = ld16(&r->used->idx);
    if (idx == r->last_used)
        return VC_EAGAIN;
    atomic_thread_fence(memory_order_acquire);
    /* More used entries than heads in flight: the device invented some. */
    if (vc__ring_dist(idx, r->last_used) > r->inflight) {
        r->broken = true;
        return VC_EBROKEN;
    }
    const volatile struct virtq_used_elem *e = &r->used->ring[r->last_used & (r->size - 1)];
    uint32_t id = le32toh(e->id), l = le32toh(e->len);
    /* hostile-inputs #40: "used id out of range or not in flight". */
    if (id >= r->size || !r->heads[id].busy) {
        r->broken = true;
        return VC_EBROKEN;
    }
    r->last_used++;
    if (r->cb_enabled && r->event_idx)
        st16(r->used_event, r->last_used);
    bool too_long = l > r->heads[id].wr_len;
    release(r, (uint16_t)id);
    *head = (uint16_t)id;
    *len = l;
    return too_long ? VC_ERANGE : 0;
}

void vc_drv_disable_cb(struct vc_drv *r)
{
    r->cb_enabled = false;
    if (!r->event_idx)
        st16(&r->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    /* With EVENT_IDX used_event simply stops following last_used. */
}

bool vc_drv_enable_cb(struct vc_drv *r)
{
    return vc_drv_enable_cb_after(r, 1);
}

bool vc_drv_enable_cb_after(struct vc_drv *r, uint16_t n)
{
    r->cb_enabled = true;
    if (n == 0 || !r->event_idx)
        n = 1;
    if (r->event_idx)
        st16(r->used_event, (uint16_t)(r->last_used + n - 1));
    else
        st16(&r->avail->flags, 0);
    /* The store above must be visible before we look at used->idx, or the
     * device could miss it while we miss its entries (§2.7.10). */
    atomic_thread_fence(memory_order_seq_cst);
    return !r->broken && (uint16_t)(ld16(&r->used->idx) - r->last_used) >= n;
}

void vc_drv_abort_all(struct vc_drv *r, void (*fn)(void *arg, uint16_t head), void *arg)
{
    for (uint32_t i = 0; i < r->size && r->inflight; i++) {
        if (!r->heads[i].busy)
            continue;
        release(r, (uint16_t)i);
        if (fn)
            fn(arg, (uint16_t)i);
    }
}
