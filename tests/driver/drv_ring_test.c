/* Driver ring (src/virtq/drv.c) against the device ring (src/virtq/vq.c) in
 * one process: chains, indirect tables, out-of-order completion, kick and
 * interrupt suppression (event idx and flags) across the 16-bit index wrap,
 * and a hostile device (bad used id, used len too big, duplicate
 * completion, used idx running ahead). */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "virtq/drv.h"
#include "virtq/gmem.h"
#include "virtq/vq.h"

#define ARENA (1u << 16)

struct rig {
    uint8_t *mem; /* rings + buffers, identity mapped */
    struct vc_gmem gm;
    struct vc_drv d;
    struct vc_drv_head heads[256];
    struct vc_vq vq;
    struct vc_iov iov[64];
    uint32_t size;
};

static uint64_t A(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static void rig_init(struct rig *r, uint32_t size, bool evidx)
{
    memset(r, 0, sizeof(*r));
    r->mem = aligned_alloc(4096, ARENA);
    memset(r->mem, 0, ARENA);
    r->size = size;
    uint8_t *desc = r->mem, *avail = desc + 16 * size, *used = r->mem + 8192;
    struct vc_gmem_region reg = {.gpa = A(r->mem), .size = ARENA, .uva = A(r->mem), .host = r->mem};
    vc_gmem_init(&r->gm);
    EXPECT(vc_ok(vc_gmem_set(&r->gm, &reg, 1)));
    EXPECT_EQ(vc_drv_init(&r->d, size, evidx, desc, avail, used, r->heads), 0);
    struct vc_vq_config cfg = {.size = size, .evidx = evidx ? VC_VQ_EVIDX_ON : VC_VQ_EVIDX_OFF};
    vc_vq_init(&r->vq, NULL, NULL);
    EXPECT(vc_ok(vc_vq_start_ptr(&r->vq, &cfg, desc, avail, used)));
}

static void rig_fini(struct rig *r)
{
    free(r->mem);
}

static uint8_t *buf(struct rig *r, uint32_t off)
{
    return r->mem + 16384 + off;
}

TEST(direct_chain_roundtrip)
{
    struct rig r;
    rig_init(&r, 8, true);
    memcpy(buf(&r, 0), "hello", 5);
    memcpy(buf(&r, 100), "world!", 6);
    struct vc_drv_buf b[4] = {{A(buf(&r, 0)), 5}, {A(buf(&r, 100)), 6}, {A(buf(&r, 200)), 32},
                              {A(buf(&r, 300)), 1}};
    uint16_t head;
    EXPECT_EQ(vc_drv_add(&r.d, b, 2, 2, &head), 0);
    EXPECT_EQ(vc_drv_num_free(&r.d), 4);
    /* Not visible before publish. */
    struct vc_vq_elem e = {.iov = r.iov, .iov_max = 64};
    EXPECT_EQ(vc_vq_pop(&r.vq, &r.gm, &e).err, VC_EAGAIN);
    vc_drv_publish(&r.d);
    EXPECT(vc_ok(vc_vq_pop(&r.vq, &r.gm, &e)));
    EXPECT_EQ(e.head, head);
    EXPECT_EQ(e.rd_cnt, 2);
    EXPECT_EQ(e.wr_cnt, 2);
    EXPECT_EQ(e.rd_len, 11);
    EXPECT_EQ(e.wr_len, 33);
    EXPECT_MEM(r.iov[1].base, "world!", 6);
    EXPECT(vc_ok(vc_vq_push(&r.vq, e.head, 33)));
    uint16_t h;
    uint32_t len;
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), 0);
    EXPECT_EQ(h, head);
    EXPECT_EQ(len, 33);
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), VC_EAGAIN);
    EXPECT_EQ(vc_drv_num_free(&r.d), 8);
    EXPECT_EQ(vc_drv_inflight(&r.d), 0);
    /* Invalid adds. */
    struct vc_drv_buf z = {A(buf(&r, 0)), 0};
    EXPECT_EQ(vc_drv_add(&r.d, &z, 1, 0, &head), VC_EINVAL);
    struct vc_drv_buf many[9];
    for (int i = 0; i < 9; i++)
        many[i] = (struct vc_drv_buf){A(buf(&r, 0)), 1};
    EXPECT_EQ(vc_drv_add(&r.d, many, 9, 0, &head), VC_EINVAL); /* longer than the ring */
    EXPECT_EQ(vc_drv_add(&r.d, many, 8, 0, &head), 0);
    EXPECT_EQ(vc_drv_add(&r.d, many, 1, 0, &head), VC_ENOSPC);
    rig_fini(&r);
}

TEST(indirect_and_out_of_order)
{
    struct rig r;
    rig_init(&r, 4, true);
    uint16_t heads[4];
    for (int k = 0; k < 4; k++) {
        struct virtq_desc *t = (struct virtq_desc *)buf(&r, 4096 + 256 * (uint32_t)k);
        vc_drv_fill_indirect(t, 0, 3, A(buf(&r, 0)), 8, false);
        vc_drv_fill_indirect(t, 1, 3, A(buf(&r, 64 + 64 * (uint32_t)k)), 16, true);
        vc_drv_fill_indirect(t, 2, 3, A(buf(&r, 1024 + (uint32_t)k)), 1, true);
        EXPECT_EQ(vc_drv_add_indirect(&r.d, A(t), 3, 17, &heads[k]), 0);
    }
    uint16_t h;
    EXPECT_EQ(vc_drv_add_indirect(&r.d, A(buf(&r, 4096)), 3, 17, &h), VC_ENOSPC);
    vc_drv_publish(&r.d);
    struct vc_vq_elem e[4];
    for (int k = 0; k < 4; k++) {
        e[k] = (struct vc_vq_elem){.iov = r.iov + 8 * k, .iov_max = 8};
        EXPECT(vc_ok(vc_vq_pop(&r.vq, &r.gm, &e[k])));
        EXPECT_EQ(e[k].rd_cnt, 1);
        EXPECT_EQ(e[k].wr_cnt, 2);
        EXPECT_EQ(e[k].wr_len, 17);
    }
    /* Complete in the order 2, 0, 3, 1. */
    const int order[4] = {2, 0, 3, 1};
    for (int k = 0; k < 4; k++)
        EXPECT(vc_ok(vc_vq_push(&r.vq, e[order[k]].head, (uint32_t)(10 + order[k]))));
    for (int k = 0; k < 4; k++) {
        uint32_t len;
        EXPECT_EQ(vc_drv_get(&r.d, &h, &len), 0);
        EXPECT_EQ(h, heads[order[k]]);
        EXPECT_EQ(len, 10 + order[k]);
    }
    EXPECT_EQ(vc_drv_num_free(&r.d), 4);
    rig_fini(&r);
}

/* The free list stays a consistent circular list: every free descriptor
 * once, links both ways, is_free set exactly on it, and the count adds up
 * with the descriptors of chains in flight. */
static bool free_list_ok(const struct rig *r, uint32_t busy_desc)
{
    const struct vc_drv *d = &r->d;
    uint32_t n = d->num_free, seen = 0, flagged = 0;
    uint8_t mark[256] = {0};
    for (uint32_t i = 0; i < d->size; i++)
        flagged += d->heads[i].is_free;
    if (flagged != n || n + busy_desc != d->size)
        return false;
    uint16_t i = d->free_head;
    for (uint32_t k = 0; k < n; k++) {
        if (!d->heads[i].is_free || mark[i]++ ||
            d->heads[d->heads[i].next_free].prev_free != i)
            return false;
        seen++;
        i = d->heads[i].next_free;
    }
    return seen == n && (n == 0 || i == d->free_head);
}

/* Chains, indirect requests and requests on a chosen descriptor
 * (vc_drv_add_indirect_at) mixed at random, completed out of order: the
 * free list keeps its shape, a busy or out-of-range descriptor is refused,
 * and each request comes back on the descriptor it was given. */
TEST(chosen_descriptor_and_free_list_shape)
{
    struct rig r;
    rig_init(&r, 16, false);
    srand(7);
    uint32_t busy = 0, bad = 0, rounds = 0;
    uint8_t ndesc_of[16] = {0};
    struct vc_vq_elem e[16];
    uint32_t ne = 0;
    for (int step = 0; step < 20000 && !t__fail_cur; step++) {
        int what = rand() % 4;
        uint16_t h = 0;
        if (what == 0 && vc_drv_num_free(&r.d) >= 3) {
            struct vc_drv_buf b[3] = {{A(buf(&r, 0)), 4}, {A(buf(&r, 64)), 4}, {A(buf(&r, 128)), 4}};
            uint32_t n = 1 + (uint32_t)(rand() % 3);
            EXPECT_EQ(vc_drv_add(&r.d, b, 1, n - 1, &h), 0);
            ndesc_of[h] = (uint8_t)n;
            busy += n;
        } else if (what == 1 && vc_drv_num_free(&r.d) >= 1) {
            struct virtq_desc *t = (struct virtq_desc *)buf(&r, 4096);
            vc_drv_fill_indirect(t, 0, 2, A(buf(&r, 0)), 8, false);
            vc_drv_fill_indirect(t, 1, 2, A(buf(&r, 64)), 8, true);
            uint16_t want = (uint16_t)(rand() % 18); /* 16, 17: out of range */
            bool ok = vc_drv_is_free(&r.d, want);
            int rc = vc_drv_add_indirect_at(&r.d, want, A(t), 2, 8);
            EXPECT_EQ(rc, ok ? 0 : VC_EINVAL);
            if (ok) {
                ndesc_of[want] = 1;
                busy += 1;
            }
        } else if (ne < 16) {
            /* Device: take what is available. */
            vc_drv_publish(&r.d);
            while (ne < 16) {
                e[ne] = (struct vc_vq_elem){.iov = r.iov + 4 * ne, .iov_max = 4};
                if (!vc_ok(vc_vq_pop(&r.vq, &r.gm, &e[ne])))
                    break;
                ne++;
            }
        }
        if (ne > 0 && rand() % 2) {
            /* Complete a random one; the driver takes it back. */
            uint32_t k = (uint32_t)rand() % ne;
            EXPECT(vc_ok(vc_vq_push(&r.vq, e[k].head, 0)));
            uint32_t len;
            EXPECT_EQ(vc_drv_get(&r.d, &h, &len), 0);
            EXPECT_EQ(h, e[k].head);
            busy -= ndesc_of[h];
            e[k] = e[--ne];
            rounds++;
        }
        bad += !free_list_ok(&r, busy);
    }
    EXPECT_EQ(bad, 0);
    EXPECT(rounds > 1000);
    rig_fini(&r);
}

/* One request through both sides; returns whether the driver would kick. */
static bool one_round(struct rig *r, bool device_wants_kicks, bool *irq)
{
    struct vc_drv_buf b[2] = {{A(buf(r, 0)), 4}, {A(buf(r, 64)), 4}};
    uint16_t head, h;
    uint32_t len;
    if (device_wants_kicks)
        (void)vc_vq_enable_notify(&r->vq);
    else
        vc_vq_disable_notify(&r->vq);
    EXPECT_EQ(vc_drv_add(&r->d, b, 1, 1, &head), 0);
    vc_drv_publish(&r->d);
    bool kick = vc_drv_kick_prepare(&r->d);
    EXPECT_EQ(vc_drv_kick_prepare(&r->d), 0); /* nothing new published */
    struct vc_vq_elem e = {.iov = r->iov, .iov_max = 64};
    EXPECT(vc_ok(vc_vq_pop(&r->vq, &r->gm, &e)));
    EXPECT(vc_ok(vc_vq_push(&r->vq, e.head, 4)));
    *irq = vc_vq_should_notify(&r->vq);
    EXPECT_EQ(vc_drv_get(&r->d, &h, &len), 0);
    EXPECT_EQ(h, head);
    return kick;
}

static void suppression(bool evidx)
{
    struct rig r;
    rig_init(&r, 4, evidx);
    uint32_t kicks = 0, kick_bad = 0, irq_bad = 0;
    bool irq, prev_dev_on = false, prev_cb = false;
    /* 3 x 65536 rounds: every index wraps several times. */
    for (uint32_t i = 0; i < 3 * 65536u; i++) {
        bool dev_on = (i / 3) % 2 == 0;
        bool drv_cb = (i / 5) % 2 == 0;
        if (drv_cb)
            EXPECT_EQ(vc_drv_enable_cb(&r.d), 0);
        else
            vc_drv_disable_cb(&r.d);
        bool k = one_round(&r, dev_on, &irq);
        kicks += k;
        /* Flags: exactly while the other side asks. Event idx: disabling
         * is advisory, the last published event still fires once. */
        bool want_k = dev_on || (evidx && prev_dev_on);
        bool want_i = drv_cb || (evidx && prev_cb) || i == 0; /* first after start */
        kick_bad += k != want_k;
        irq_bad += irq != want_i;
        prev_dev_on = dev_on;
        prev_cb = drv_cb;
        if (t__fail_cur)
            break;
    }
    EXPECT_EQ(kick_bad, 0);
    EXPECT_EQ(irq_bad, 0);
    /* Suppression really happened: far fewer kicks than requests. */
    EXPECT(kicks < 3 * 65536u * 3 / 4);
    rig_fini(&r);
}

TEST(event_idx_suppression_wraps)
{
    suppression(true);
}

TEST(flags_suppression_wraps)
{
    suppression(false);
}

/* vc_drv_enable_cb_after(n): with EVENT_IDX the device signals exactly at
 * the n-th completion, never before, across the index wrap; it returns
 * true once n are there. Without EVENT_IDX it asks for the first one. */
static void moderation(bool evidx)
{
    struct rig r;
    rig_init(&r, 64, evidx);
    uint32_t early = 0, late = 0, wrong_ret = 0;
    const uint16_t n = 8;
    for (uint32_t cyc = 0; cyc < 3 * 65536u / 12 && !t__fail_cur; cyc++) {
        uint16_t m = (uint16_t)(12 + cyc % 5); /* 12..16 in flight */
        for (uint16_t i = 0; i < m; i++) {
            struct vc_drv_buf b[2] = {{A(buf(&r, 0)), 4}, {A(buf(&r, 64 + 8 * i)), 4}};
            uint16_t head;
            EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &head), 0);
        }
        vc_drv_publish(&r.d);
        wrong_ret += vc_drv_enable_cb_after(&r.d, n); /* nothing used yet */
        uint16_t want_at = evidx ? n : 1;
        for (uint16_t i = 1; i <= m; i++) {
            struct vc_vq_elem e = {.iov = r.iov, .iov_max = 64};
            EXPECT(vc_ok(vc_vq_pop(&r.vq, &r.gm, &e)));
            EXPECT(vc_ok(vc_vq_push(&r.vq, e.head, 4)));
            bool irq = vc_vq_should_notify(&r.vq);
            early += irq && i < want_at && !(cyc == 0 && i == 1); /* first after start */
            late += !irq && i == want_at;
            if (evidx && i == n - 1)
                wrong_ret += vc_drv_enable_cb_after(&r.d, n); /* 7 of 8 */
            if (evidx && i == n)
                wrong_ret += !vc_drv_enable_cb_after(&r.d, n); /* 8 of 8 */
        }
        vc_drv_disable_cb(&r.d);
        uint16_t h;
        uint32_t len;
        for (uint16_t i = 0; i < m; i++)
            EXPECT_EQ(vc_drv_get(&r.d, &h, &len), 0);
    }
    EXPECT_EQ(early, 0);
    EXPECT_EQ(late, 0);
    EXPECT_EQ(wrong_ret, 0);
    rig_fini(&r);
}

TEST(interrupt_moderation_event_idx)
{
    moderation(true);
}

TEST(interrupt_moderation_flags)
{
    moderation(false);
}

static void forge_used(struct rig *r, uint32_t id, uint32_t len)
{
    struct virtq_used *u = r->d.used;
    uint16_t idx = u->idx;
    u->ring[idx & (r->size - 1)].id = id;
    u->ring[idx & (r->size - 1)].len = len;
    __atomic_store_n(&u->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

TEST(hostile_device_answers)
{
    struct rig r;
    uint16_t head, h;
    uint32_t len;
    struct vc_drv_buf b[2] = {{0, 4}, {0, 8}};

    /* used len above the writable length: reported, head released. */
    rig_init(&r, 4, true);
    b[0].addr = b[1].addr = A(buf(&r, 0));
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &head), 0);
    vc_drv_publish(&r.d);
    forge_used(&r, head, 9);
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), VC_ERANGE);
    EXPECT_EQ(h, head);
    EXPECT_EQ(vc_drv_inflight(&r.d), 0);
    EXPECT_EQ(vc_drv_num_free(&r.d), 4);
    /* ... and the ring still works. */
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &head), 0);
    forge_used(&r, head, 8);
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), 0);
    EXPECT(!vc_drv_is_broken(&r.d));

    /* Duplicate completion of the same head. */
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &head), 0);
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &h), 0);
    forge_used(&r, head, 1);
    forge_used(&r, head, 1);
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), 0);
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), VC_EBROKEN);
    EXPECT(vc_drv_is_broken(&r.d));
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &h), VC_EBROKEN);
    /* Abort releases what was left, exactly once. */
    int aborted = 0;
    vc_drv_abort_all(&r.d, NULL, NULL);
    aborted = (int)vc_drv_inflight(&r.d);
    EXPECT_EQ(aborted, 0);
    rig_fini(&r);

    /* Used id out of range. */
    rig_init(&r, 4, true);
    b[0].addr = b[1].addr = A(buf(&r, 0));
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &head), 0);
    forge_used(&r, 7, 1);
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), VC_EBROKEN);
    rig_fini(&r);

    /* A free (never made available) id, in range. */
    rig_init(&r, 4, true);
    b[0].addr = b[1].addr = A(buf(&r, 0));
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &head), 0);
    forge_used(&r, 3, 1);
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), VC_EBROKEN);
    rig_fini(&r);

    /* used idx far ahead of what is in flight. */
    rig_init(&r, 4, true);
    b[0].addr = b[1].addr = A(buf(&r, 0));
    EXPECT_EQ(vc_drv_add(&r.d, b, 1, 1, &head), 0);
    forge_used(&r, head, 1);
    r.d.used->idx = 3;
    EXPECT_EQ(vc_drv_get(&r.d, &h, &len), VC_EBROKEN);
    rig_fini(&r);
}

static void count_abort(void *arg, uint16_t head)
{
    (void)head;
    (*(int *)arg)++;
}

TEST(abort_all_completes_each_once)
{
    struct rig r;
    rig_init(&r, 8, true);
    struct vc_drv_buf b[1] = {{0, 4}};
    b[0].addr = A(buf(&r, 0));
    uint16_t h;
    for (int i = 0; i < 5; i++)
        EXPECT_EQ(vc_drv_add(&r.d, b, 0, 1, &h), 0);
    int n = 0;
    vc_drv_abort_all(&r.d, count_abort, &n);
    EXPECT_EQ(n, 5);
    vc_drv_abort_all(&r.d, count_abort, &n);
    EXPECT_EQ(n, 5);
    EXPECT_EQ(vc_drv_num_free(&r.d), 8);
    rig_fini(&r);
}

int main(void)
{
    RUN(direct_chain_roundtrip);
    RUN(indirect_and_out_of_order);
    RUN(event_idx_suppression_wraps);
    RUN(flags_suppression_wraps);
    RUN(interrupt_moderation_event_idx);
    RUN(interrupt_moderation_flags);
    RUN(chosen_descriptor_and_free_list_shape);
    RUN(hostile_device_answers);
    RUN(abort_all_completes_each_once);
    return TEST_DONE();
}
