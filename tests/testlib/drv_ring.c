#include "drv_ring.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void *drv_alloc(const struct vu_guest_mem *m, uint64_t *brk, uint64_t n)
{
    uint64_t at = (*brk + 15) & ~15ull;
    if (at + n > m->size) {
        fprintf(stderr, "drv_alloc: guest memory exhausted\n");
        abort();
    }
    *brk = at + n;
    memset(m->base + at, 0, n);
    return m->base + at;
}

uint64_t drv_gpa(const struct vu_guest_mem *m, const void *p)
{
    return m->gpa + (uint64_t)((const uint8_t *)p - m->base);
}

static struct virtq_desc *descs(struct drv_ring *d)
{
    return (struct virtq_desc *)d->r.desc;
}

void drv_desc(struct drv_ring *d, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
              uint16_t next)
{
    struct virtq_desc *t = descs(d);
    t[i].addr = addr;
    t[i].len = len;
    t[i].flags = flags;
    t[i].next = next;
}

static uint16_t take(struct drv_ring *d)
{
    uint16_t i = d->next_desc;
    d->next_desc = (uint16_t)((d->next_desc + 1) % d->r.num);
    return i;
}

void drv_publish(struct drv_ring *d, uint16_t head)
{
    struct virtq_avail *a = (struct virtq_avail *)d->r.avail;
    a->ring[d->avail_idx % d->r.num] = head;
    d->avail_idx++;
    __atomic_store_n(&a->idx, d->avail_idx, __ATOMIC_RELEASE);
}

uint16_t drv_post(struct drv_ring *d, uint64_t *brk, const struct drv_buf *b, unsigned n,
                  bool indirect)
{
    if (indirect) {
        struct virtq_desc *t = drv_alloc(d->m, brk, 16ull * n);
        for (unsigned i = 0; i < n; i++) {
            t[i].addr = drv_gpa(d->m, b[i].p);
            t[i].len = b[i].len;
            t[i].flags = (uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) |
                                    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
            t[i].next = (uint16_t)(i + 1);
        }
        uint16_t h = take(d);
        drv_desc(d, h, drv_gpa(d->m, t), 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
        drv_publish(d, h);
        return h;
    }
    uint16_t head = 0, prev = 0;
    for (unsigned i = 0; i < n; i++) {
        uint16_t x = take(d);
        drv_desc(d, x, drv_gpa(d->m, b[i].p), b[i].len, b[i].write ? VIRTQ_DESC_F_WRITE : 0, 0);
        if (i == 0) {
            head = x;
        } else {
            descs(d)[prev].flags |= VIRTQ_DESC_F_NEXT;
            descs(d)[prev].next = x;
        }
        prev = x;
    }
    drv_publish(d, head);
    return head;
}

void drv_kick(struct drv_ring *d)
{
    uint64_t one = 1;
    if (write(d->kick, &one, sizeof(one)) != (ssize_t)sizeof(one))
        fprintf(stderr, "drv_kick: write failed\n");
}

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool drv_wait_used(struct drv_ring *d, int timeout_ms, uint32_t *id, uint32_t *len)
{
    struct virtq_used *u = (struct virtq_used *)d->r.used;
    uint64_t end = ms_now() + (uint64_t)timeout_ms;
    for (;;) {
        uint16_t idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
        if (idx != d->used_seen) {
            struct virtq_used_elem e = u->ring[d->used_seen % d->r.num];
            d->used_seen++;
            *id = e.id;
            *len = e.len;
            return true;
        }
        uint64_t now = ms_now();
        if (now >= end)
            return false;
        struct pollfd p = {.fd = d->call, .events = POLLIN};
        if (poll(&p, 1, (int)((end - now) < 20 ? (end - now) : 20)) > 0) {
            uint64_t v;
            ssize_t r = read(d->call, &v, sizeof(v));
            (void)r;
        }
    }
}
