/* Split virtqueue, device side: a fake driver builds rings and chains in
 * fake guest memory and checks every hostile input of
 * reference/hostile-inputs.md §1d (#22-#30) plus the positive paths.
 *
 * Fake guest memory: three regions, each its own mmap with PROT_NONE guard
 * pages on both sides, so a translation bug that reads or writes past a
 * region faults instead of passing silently. R0 and R1 are adjacent in guest
 * physical space (a buffer may straddle them), R2 sits after a gap. The
 * frontend virtual addresses differ from the guest-physical ones on purpose.
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "vcrypto/err.h"
#include "virtq/vq.h"

#define R0_GPA 0x100000u
#define R1_GPA 0x110000u /* adjacent to R0 */
#define R2_GPA 0x400000u /* after a gap */
#define RSZ 0x10000u
#define UVA_OFF 0x7f0000000000ull

#define QSZ 8
#define DESC_GPA R0_GPA
#define AVAIL_GPA (R0_GPA + 0x1000)
#define USED_GPA (R0_GPA + 0x2000)
#define BUF_GPA (R0_GPA + 0x4000) /* data buffers */
#define TBL_GPA (R0_GPA + 0x8000) /* indirect tables */

static uint8_t *host[3];
static const uint64_t rgpa[3] = {R0_GPA, R1_GPA, R2_GPA};
static struct vc_gmem gm;

/* Fake driver state for the ring under test. */
static struct {
    uint32_t size;
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t avail_idx;
} drv;

static struct vc_vq vq;
static int broken_calls;
static enum vc_vq_fault broken_why;

static uint8_t *guarded(size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *p = mmap(NULL, len + 2 * (size_t)pg, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("Bail out! mmap failed\n");
        exit(1);
    }
    mprotect(p, (size_t)pg, PROT_NONE);
    mprotect(p + pg + len, (size_t)pg, PROT_NONE);
    return p + pg;
}

static void *g2h(uint64_t gpa)
{
    for (int i = 0; i < 3; i++)
        if (gpa >= rgpa[i] && gpa < rgpa[i] + RSZ)
            return host[i] + (gpa - rgpa[i]);
    return NULL;
}

static void on_broken(void *arg, struct vc_vq *q, enum vc_vq_fault why)
{
    (void)arg;
    (void)q;
    broken_calls++;
    broken_why = why;
}

static void mem_setup(void)
{
    struct vc_gmem_region r[3];
    for (int i = 0; i < 3; i++) {
        if (!host[i])
            host[i] = guarded(RSZ);
        memset(host[i], 0, RSZ);
        r[i] = (struct vc_gmem_region){
            .gpa = rgpa[i], .size = RSZ, .uva = rgpa[i] + UVA_OFF, .host = host[i]};
    }
    vc_gmem_init(&gm);
    if (!vc_ok(vc_gmem_set(&gm, r, 3)))
        printf("# gmem setup failed\n");
}

static struct vc_vq_config cfg_for(uint32_t size, uint16_t base, enum vc_vq_evidx ev)
{
    return (struct vc_vq_config){.size = size,
                                 .base = base,
                                 .desc = DESC_GPA + UVA_OFF,
                                 .avail = AVAIL_GPA + UVA_OFF,
                                 .used = USED_GPA + UVA_OFF,
                                 .evidx = ev};
}

/* Fresh memory and a started ring of `size` entries at avail/used idx base. */
static void setup_ev(uint32_t size, uint16_t base, enum vc_vq_evidx ev)
{
    mem_setup();
    drv.size = size;
    drv.desc = g2h(DESC_GPA);
    drv.avail = g2h(AVAIL_GPA);
    drv.used = g2h(USED_GPA);
    drv.avail_idx = base;
    drv.avail->idx = htole16(base);
    drv.used->idx = htole16(base);
    broken_calls = 0;
    broken_why = VC_VQ_FAULT_NONE;
    vc_vq_init(&vq, on_broken, NULL);
    struct vc_vq_config c = cfg_for(size, base, ev);
    if (!vc_ok(vc_vq_start(&vq, &c, &gm)))
        printf("# vq start failed\n");
}

static void setup(void)
{
    setup_ev(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
}

static void put_desc(struct virtq_desc *t, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    t[i].addr = htole64(addr);
    t[i].len = htole32(len);
    t[i].flags = htole16(flags);
    t[i].next = htole16(next);
}

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    put_desc(drv.desc, i, addr, len, flags, next);
}

/* Publishes head at the driver's avail index (§2.7.13). */
static void post(uint16_t head)
{
    drv.avail->ring[drv.avail_idx % drv.size] = htole16(head);
    atomic_thread_fence(memory_order_release);
    drv.avail_idx++;
    drv.avail->idx = htole16(drv.avail_idx);
}

static uint16_t used_idx(void)
{
    return le16toh(drv.used->idx);
}

static struct virtq_used_elem used_at(uint16_t slot)
{
    struct virtq_used_elem u = drv.used->ring[slot % drv.size];
    u.id = le32toh(u.id);
    u.len = le32toh(u.len);
    return u;
}

static uint16_t avail_event(void)
{
    return le16toh(*(vc_le16 *)((uint8_t *)drv.used + VIRTQ_AVAIL_EVENT_OFF(drv.size)));
}

static void set_used_event(uint16_t v)
{
    *(vc_le16 *)((uint8_t *)drv.avail + VIRTQ_USED_EVENT_OFF(drv.size)) = htole16(v);
}

static struct vc_iov iovs[64];

static struct vc_vq_elem elem(uint32_t max)
{
    return (struct vc_vq_elem){.iov = iovs, .iov_max = max};
}

static int pop(struct vc_vq_elem *e)
{
    return vc_vq_pop(&vq, &gm, e).err;
}

/* A request-class fault: pop skips the chain, completes it with len 0 and
 * the queue stays usable (a good chain posted after it is returned). */
static void expect_request_error(uint16_t head, enum vc_vq_fault f, int line)
{
    uint16_t u0 = used_idx();
    uint64_t bad0 = vc_vq_get_stats(&vq)->bad_chains;
    uint64_t f0 = vc_vq_get_stats(&vq)->faults[f];
    struct vc_vq_elem e = elem(64);
    /* A good chain behind it, at a descriptor no test uses. */
    desc(7, BUF_GPA + 0x700, 4, 0, 0);
    post(head);
    post(7);
    int r = pop(&e);
    if (r != 0 || e.head != 7)
        T__FAIL("line %d: pop = %d head %u, expected the good chain 7", line, r, e.head);
    if (used_idx() != (uint16_t)(u0 + 1) || used_at(u0).id != head || used_at(u0).len != 0)
        T__FAIL("line %d: bad chain %u not completed with len 0", line, head);
    if (vc_vq_get_stats(&vq)->bad_chains != bad0 + 1 ||
        vc_vq_get_stats(&vq)->faults[f] != f0 + 1)
        T__FAIL("line %d: fault %s not counted", line, vc_vq_fault_str(f));
    if (vc_vq_is_broken(&vq) || broken_calls)
        T__FAIL("line %d: queue broken by a request-class fault", line);
    EXPECT(vc_ok(vc_vq_push(&vq, 7, 0)));
}
#define EXPECT_REQ_ERR(head, f) expect_request_error(head, f, __LINE__)

/* A fatal fault: pop says broken, the callback ran once with the reason,
 * the state is sticky and nothing more is written to the used ring. */
static uint32_t broken_iov_max = 64;

static void expect_broken(enum vc_vq_fault f, int line)
{
    struct vc_vq_elem e = elem(broken_iov_max);
    uint16_t u0 = used_idx();
    uint32_t inflight0 = vc_vq_inflight(&vq);
    int r = pop(&e);
    if (r != VC_EBROKEN)
        T__FAIL("line %d: pop = %d, expected VC_EBROKEN", line, r);
    if (!vc_vq_is_broken(&vq) || vc_vq_broken_reason(&vq) != f || broken_calls != 1 ||
        broken_why != f)
        T__FAIL("line %d: reason %s (calls %d), expected %s", line,
                vc_vq_fault_str(vc_vq_broken_reason(&vq)), broken_calls, vc_vq_fault_str(f));
    if (vc_vq_inflight(&vq) != inflight0)
        T__FAIL("line %d: in-flight count changed by the bad chain", line);
    if (pop(&e) != VC_EBROKEN || broken_calls != 1)
        T__FAIL("line %d: broken state not sticky", line);
    if (vc_vq_should_notify(&vq) || used_idx() != u0)
        T__FAIL("line %d: broken queue still writes/notifies", line);
}
#define EXPECT_BROKEN(f) expect_broken(f, __LINE__)

/* ---- positive paths ---- */

TEST(direct_chain)
{
    setup();
    uint8_t *rd = g2h(BUF_GPA), *wr = g2h(BUF_GPA + 0x100);
    memcpy(rd, "request!", 8);
    desc(2, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 5);
    desc(5, BUF_GPA + 0x100, 32, VIRTQ_DESC_F_WRITE, 0);
    post(2);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(e.head, 2);
    EXPECT_EQ(e.rd_cnt, 1);
    EXPECT_EQ(e.wr_cnt, 1);
    EXPECT_EQ(e.rd_len, 16);
    EXPECT_EQ(e.wr_len, 32);
    EXPECT_EQ(e.ndesc, 2);
    EXPECT(e.iov[0].base == rd && e.iov[0].len == 16);
    EXPECT(e.iov[1].base == wr && e.iov[1].len == 32);
    EXPECT_EQ(vc_vq_inflight(&vq), 1);
    EXPECT_EQ(pop(&e), VC_EAGAIN);
    memset(e.iov[1].base, 0xab, 32);
    EXPECT(vc_ok(vc_vq_push(&vq, 2, 32)));
    EXPECT_EQ(used_idx(), 1);
    EXPECT_EQ(used_at(0).id, 2);
    EXPECT_EQ(used_at(0).len, 32);
    EXPECT_EQ(vc_vq_inflight(&vq), 0);
    EXPECT_EQ(vc_vq_get_base(&vq), 1);
    EXPECT_EQ(vc_vq_get_stats(&vq)->popped, 1);
}

TEST(empty_ring_and_single_descriptor)
{
    setup();
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), VC_EAGAIN);
    EXPECT(!vc_vq_has_avail(&vq));
    desc(0, BUF_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
    post(0);
    EXPECT(vc_vq_has_avail(&vq));
    EXPECT_EQ(pop(&e), 0);
    EXPECT(e.rd_cnt == 0 && e.wr_cnt == 1 && e.wr_len == 1);
}

TEST(kick_before_setup_ignored) /* #30 */
{
    struct vc_vq q;
    struct vc_vq_elem e = elem(64);
    vc_vq_init(&q, NULL, NULL);
    EXPECT_EQ(vc_vq_pop(&q, &gm, &e).err, VC_EAGAIN);
    EXPECT(!vc_vq_should_notify(&q));
    EXPECT(!vc_vq_enable_notify(&q));
    EXPECT(!vc_vq_has_avail(&q));
    EXPECT_EQ(vc_vq_push(&q, 0, 0).err, VC_EINVAL);
    EXPECT(!vc_vq_is_broken(&q));
    /* Stopped after running: the same. */
    setup();
    desc(0, BUF_GPA, 4, 0, 0);
    post(0);
    vc_vq_stop(&vq);
    EXPECT_EQ(pop(&e), VC_EAGAIN);
}

TEST(indirect_table)
{
    setup();
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
    put_desc(t, 2, BUF_GPA + 0x10, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA + 0x100, 64, VIRTQ_DESC_F_WRITE, 0);
    desc(3, TBL_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    post(3);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(e.head, 3);
    EXPECT_EQ(e.ndesc, 3);
    EXPECT(e.rd_cnt == 2 && e.rd_len == 12);
    EXPECT(e.wr_cnt == 1 && e.wr_len == 64);
    EXPECT(e.iov[1].base == g2h(BUF_GPA + 0x10));
    EXPECT(e.iov[2].base == g2h(BUF_GPA + 0x100));
}

/* §2.7.5.3.2: "The device MUST handle the case of zero or more normal chained
 * descriptors followed by a single descriptor with flags&VIRTQ_DESC_F_INDIRECT." */
TEST(direct_then_indirect_accepted)
{
    setup();
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA + 0x20, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
    desc(0, BUF_GPA, 24, VIRTQ_DESC_F_NEXT, 1);
    desc(1, BUF_GPA + 0x40, 8, VIRTQ_DESC_F_NEXT, 4);
    /* WRITE on the table descriptor itself must be ignored (§2.7.5.3.2). */
    desc(4, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    post(0);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(e.ndesc, 4);
    EXPECT(e.rd_cnt == 3 && e.rd_len == 40);
    EXPECT(e.wr_cnt == 1 && e.wr_len == 16);
}

TEST(indirect_table_larger_than_queue)
{
    /* Linux builds tables of total_sg entries, which may exceed the ring. */
    setup();
    struct virtq_desc *t = g2h(TBL_GPA);
    for (uint16_t i = 0; i < 20; i++)
        put_desc(t, i, BUF_GPA + 16u * i, 16, i < 19 ? VIRTQ_DESC_F_NEXT : VIRTQ_DESC_F_WRITE,
                 (uint16_t)(i + 1));
    desc(0, TBL_GPA, 20 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    post(0);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(e.rd_cnt == 19 && e.wr_cnt == 1 && e.ndesc == 20);
}

TEST(buffer_straddling_regions_split)
{
    setup();
    /* 8 bytes at the end of R0, 16 at the start of R1. */
    desc(0, R1_GPA - 8, 24, VIRTQ_DESC_F_WRITE, 0);
    post(0);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(e.wr_cnt, 2);
    EXPECT_EQ(e.wr_len, 24);
    EXPECT(e.iov[0].base == host[0] + RSZ - 8 && e.iov[0].len == 8);
    EXPECT(e.iov[1].base == host[1] && e.iov[1].len == 16);
    /* Touch every byte: the guard pages catch a bad split. */
    memset(e.iov[0].base, 1, e.iov[0].len);
    memset(e.iov[1].base, 1, e.iov[1].len);
}

TEST(indirect_table_straddling_regions)
{
    setup();
    /* A 4-entry table: two entries at the end of R0, two at the start of R1. */
    uint64_t tg = R1_GPA - 32;
    struct virtq_desc t[4];
    put_desc(t, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA + 4, 4, VIRTQ_DESC_F_NEXT, 2);
    put_desc(t, 2, BUF_GPA + 8, 4, VIRTQ_DESC_F_NEXT, 3);
    put_desc(t, 3, BUF_GPA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
    memcpy(g2h(tg), t, 32);
    memcpy(g2h(R1_GPA), &t[2], 32);
    desc(0, tg, 64, VIRTQ_DESC_F_INDIRECT, 0);
    post(0);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(e.rd_cnt == 3 && e.wr_cnt == 1 && e.ndesc == 4);
}

TEST(out_of_order_push)
{
    setup();
    struct vc_vq_elem e = elem(64);
    for (uint16_t i = 0; i < 3; i++) {
        desc(i, BUF_GPA + 0x100u * i, 8, VIRTQ_DESC_F_WRITE, 0);
        post(i);
    }
    for (uint16_t i = 0; i < 3; i++) {
        EXPECT_EQ(pop(&e), 0);
        EXPECT_EQ(e.head, i);
    }
    EXPECT_EQ(vc_vq_inflight(&vq), 3);
    EXPECT(vc_ok(vc_vq_push(&vq, 2, 5)));
    struct vc_vq_done d[2] = {{0, 7}, {1, 8}};
    EXPECT(vc_ok(vc_vq_push_n(&vq, d, 2)));
    EXPECT_EQ(used_idx(), 3);
    EXPECT(used_at(0).id == 2 && used_at(0).len == 5);
    EXPECT(used_at(1).id == 0 && used_at(1).len == 7);
    EXPECT(used_at(2).id == 1 && used_at(2).len == 8);
    EXPECT_EQ(vc_vq_inflight(&vq), 0);
}

TEST(push_not_in_flight_rejected)
{
    setup();
    struct vc_vq_elem e = elem(64);
    desc(0, BUF_GPA, 8, 0, 0);
    desc(1, BUF_GPA, 8, 0, 0);
    post(0);
    post(1);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(vc_vq_push(&vq, 3, 0).err, VC_EINVAL);     /* never popped */
    EXPECT_EQ(vc_vq_push(&vq, 65535, 0).err, VC_EINVAL); /* out of any range */
    /* A batch with a duplicate completes nothing. */
    struct vc_vq_done d[3] = {{0, 0}, {1, 0}, {0, 0}};
    EXPECT_EQ(vc_vq_push_n(&vq, d, 3).err, VC_EINVAL);
    EXPECT_EQ(vc_vq_inflight(&vq), 2);
    EXPECT_EQ(used_idx(), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
    EXPECT_EQ(vc_vq_push(&vq, 0, 0).err, VC_EINVAL); /* twice */
    EXPECT_EQ(used_idx(), 1);
    EXPECT_EQ(vc_vq_inflight(&vq), 1);
}

TEST(head_reposted_after_completion_ok)
{
    setup();
    struct vc_vq_elem e = elem(64);
    desc(4, BUF_GPA, 8, 0, 0);
    for (int round = 0; round < 3; round++) {
        post(4);
        EXPECT_EQ(pop(&e), 0);
        EXPECT(vc_ok(vc_vq_push(&vq, 4, 0)));
    }
    EXPECT(!vc_vq_is_broken(&vq));
}

TEST(full_ring_of_size_entries)
{
    /* avail idx exactly size ahead is legal (boundary of #29). */
    setup();
    struct vc_vq_elem e = elem(64);
    for (uint16_t i = 0; i < QSZ; i++) {
        desc(i, BUF_GPA + 16u * i, 16, 0, 0);
        post(i);
    }
    for (uint16_t i = 0; i < QSZ; i++)
        EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(vc_vq_inflight(&vq), QSZ);
    EXPECT_EQ(pop(&e), VC_EAGAIN);
}

TEST(chain_of_exactly_queue_size)
{
    setup();
    for (uint16_t i = 0; i < QSZ; i++)
        desc(i, BUF_GPA + 16u * i, 16, i + 1 < QSZ ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    post(0);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(e.ndesc, QSZ);
}

TEST(indices_wrap_at_65536)
{
    setup_ev(QSZ, 65534, VC_VQ_EVIDX_UNKNOWN);
    struct vc_vq_elem e = elem(64);
    for (uint16_t i = 0; i < 4; i++) {
        desc(i, BUF_GPA, 8, 0, 0);
        post(i);
    }
    for (uint16_t i = 0; i < 4; i++) {
        EXPECT_EQ(pop(&e), 0);
        EXPECT_EQ(e.head, i);
        EXPECT(vc_ok(vc_vq_push(&vq, i, 1)));
    }
    EXPECT_EQ(vc_vq_get_base(&vq), 2);
    EXPECT_EQ(used_idx(), 2);
    EXPECT_EQ(used_at(65535).id, 1);
}

/* ---- hostile inputs, request class ---- */

TEST(zero_length_rejected) /* #23 */
{
    setup();
    desc(0, BUF_GPA, 0, 0, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_ZERO_LEN);
    desc(1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
    desc(2, BUF_GPA + 8, 0, VIRTQ_DESC_F_WRITE, 0);
    EXPECT_REQ_ERR(1, VC_VQ_FAULT_ZERO_LEN);
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA, 0, 0, 0);
    desc(3, TBL_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(3, VC_VQ_FAULT_ZERO_LEN);
}

TEST(bad_addresses_rejected) /* #24 */
{
    setup();
    desc(0, 0x200000, 16, 0, 0); /* gap between R1 and R2 */
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_BAD_ADDR);
    desc(0, UINT64_MAX - 7, 16, 0, 0); /* addr + len wraps */
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_BAD_ADDR);
    desc(0, BUF_GPA, 0xffffffff, 0, 0); /* huge length from a valid start */
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_BAD_ADDR);
    desc(0, R1_GPA + RSZ - 8, 16, 0, 0); /* straddles R1 into the gap */
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_BAD_ADDR);
    desc(0, R2_GPA + RSZ - 1, 2, VIRTQ_DESC_F_WRITE, 0); /* one past the last region */
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_BAD_ADDR);
    desc(0, 0, 1, 0, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_BAD_ADDR);
    /* Second descriptor bad, first fine: the whole chain is refused. */
    desc(1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
    desc(2, UINT64_MAX, 1, VIRTQ_DESC_F_WRITE, 0);
    EXPECT_REQ_ERR(1, VC_VQ_FAULT_BAD_ADDR);
}

TEST(indirect_rules) /* #25 */
{
    setup();
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA + 8, 8, VIRTQ_DESC_F_WRITE, 0);
    desc(0, TBL_GPA, 15, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_LEN);
    desc(0, TBL_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_LEN);
    desc(0, TBL_GPA, 0, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_LEN);
    /* Above the cap max(size, 1024) entries. */
    desc(0, TBL_GPA, 1025 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_LEN);
    /* Table in unmapped memory, and running off the end of memory. */
    desc(0, 0x300000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_ADDR);
    desc(0, R2_GPA + RSZ - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_ADDR);
    /* INDIRECT together with NEXT (§2.7.5.3.1 MUST NOT). */
    desc(1, BUF_GPA, 8, 0, 0);
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_NEXT);
    /* Nested indirect. */
    put_desc(t, 1, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_INDIRECT_NESTED);
    /* Two indirect descriptors in one direct chain: the first ends it, so the
     * second would have to be reached through NEXT, which is refused. */
    put_desc(t, 1, BUF_GPA + 8, 8, VIRTQ_DESC_F_WRITE, 0);
    desc(2, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 3);
    desc(3, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(2, VC_VQ_FAULT_INDIRECT_NEXT);
    /* And the well-formed table still works afterwards. */
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(0);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(pop(&e), 0);
}

TEST(readable_after_writable_rejected) /* #26 */
{
    setup();
    desc(0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc(1, BUF_GPA + 8, 8, 0, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_WRITE_ORDER);
    /* Writable direct descriptor, then a table starting with a readable one. */
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA + 0x20, 8, 0, 0);
    desc(2, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
    desc(3, TBL_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(2, VC_VQ_FAULT_WRITE_ORDER);
    /* Inside one table. */
    put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA + 8, 8, 0, 0);
    desc(4, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(4, VC_VQ_FAULT_WRITE_ORDER);
}

TEST(first_content_fault_reported)
{
    setup();
    desc(0, BUF_GPA, 0, VIRTQ_DESC_F_NEXT, 1);
    desc(1, 0x200000, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    desc(2, BUF_GPA, 8, 0, 0);
    EXPECT_REQ_ERR(0, VC_VQ_FAULT_ZERO_LEN);
    EXPECT_EQ(vc_vq_get_stats(&vq)->faults[VC_VQ_FAULT_BAD_ADDR], 0);
    EXPECT_EQ(vc_vq_get_stats(&vq)->faults[VC_VQ_FAULT_WRITE_ORDER], 0);
    /* Structural content faults after a buffer fault. */
    desc(3, BUF_GPA, 0, VIRTQ_DESC_F_NEXT, 4);
    desc(4, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 5);
    desc(5, BUF_GPA, 8, 0, 0);
    EXPECT_REQ_ERR(3, VC_VQ_FAULT_ZERO_LEN);
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2); /* order fault */
    put_desc(t, 2, TBL_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
    desc(6, TBL_GPA, 48, VIRTQ_DESC_F_INDIRECT, 0);
    EXPECT_REQ_ERR(6, VC_VQ_FAULT_WRITE_ORDER);
    EXPECT_EQ(vc_vq_get_stats(&vq)->faults[VC_VQ_FAULT_INDIRECT_NEXT], 0);
    EXPECT_EQ(vc_vq_get_stats(&vq)->faults[VC_VQ_FAULT_INDIRECT_NESTED], 0);
}

TEST(iov_storage_exhausted)
{
    setup();
    desc(0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    desc(1, BUF_GPA + 8, 8, VIRTQ_DESC_F_NEXT, 2);
    desc(2, BUF_GPA + 16, 8, VIRTQ_DESC_F_WRITE, 0);
    post(0);
    struct vc_vq_elem e = elem(2);
    EXPECT_EQ(pop(&e), VC_EAGAIN);
    EXPECT_EQ(used_idx(), 1);
    EXPECT(used_at(0).id == 0 && used_at(0).len == 0);
    EXPECT_EQ(vc_vq_get_stats(&vq)->faults[VC_VQ_FAULT_IOV_FULL], 1);
    /* A straddling buffer needs two slots. */
    desc(3, R1_GPA - 4, 8, 0, 0);
    post(3);
    e = elem(1);
    EXPECT_EQ(pop(&e), VC_EAGAIN);
    EXPECT_EQ(vc_vq_get_stats(&vq)->faults[VC_VQ_FAULT_IOV_FULL], 2);
    EXPECT(!vc_vq_is_broken(&vq));
    EXPECT_EQ(vc_vq_inflight(&vq), 0);
}

/* ---- hostile inputs, fatal class ---- */

TEST(descriptor_loop_breaks_queue) /* #22 */
{
    setup();
    desc(0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    desc(1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
    post(0);
    EXPECT_BROKEN(VC_VQ_FAULT_CHAIN_LOOP);
    /* Self loop. */
    setup();
    desc(5, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 5);
    post(5);
    EXPECT_BROKEN(VC_VQ_FAULT_CHAIN_LOOP);
}

/* Whether the ring is corrupt must not depend on where a bad buffer sits or
 * on the caller's iov slots: structure faults win over content faults. */
TEST(structure_faults_win_over_content_faults)
{
    setup();
    desc(0, BUF_GPA, 0, VIRTQ_DESC_F_NEXT, 1); /* zero length first ... */
    desc(1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0); /* ... then a loop */
    post(0);
    EXPECT_BROKEN(VC_VQ_FAULT_CHAIN_LOOP);
    /* A loop walked with fewer iov slots than the queue size. */
    setup();
    desc(0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    desc(1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
    post(0);
    broken_iov_max = 2;
    EXPECT_BROKEN(VC_VQ_FAULT_CHAIN_LOOP);
    broken_iov_max = 64;
    /* INDIRECT|NEXT whose next is out of range. */
    setup();
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, QSZ + 1);
    post(0);
    EXPECT_BROKEN(VC_VQ_FAULT_NEXT_RANGE);
    /* Nested indirect entry inside a table that loops. */
    setup();
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, TBL_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(0);
    EXPECT_BROKEN(VC_VQ_FAULT_CHAIN_LOOP);
    /* Indirect loop with a one-slot iov. */
    setup();
    put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(0);
    broken_iov_max = 1;
    EXPECT_BROKEN(VC_VQ_FAULT_CHAIN_LOOP);
    broken_iov_max = 64;
}

TEST(indirect_loop_breaks_queue) /* #22 */
{
    setup();
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(t, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(0);
    EXPECT_BROKEN(VC_VQ_FAULT_CHAIN_LOOP);
}

TEST(next_out_of_range_breaks_queue) /* #27 */
{
    setup();
    desc(0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, QSZ);
    post(0);
    EXPECT_BROKEN(VC_VQ_FAULT_NEXT_RANGE);
    setup();
    struct virtq_desc *t = g2h(TBL_GPA);
    put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2); /* table has 2 entries */
    desc(0, TBL_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(0);
    EXPECT_BROKEN(VC_VQ_FAULT_NEXT_RANGE);
}

TEST(head_out_of_range_breaks_queue) /* #27 */
{
    setup();
    post(QSZ);
    EXPECT_BROKEN(VC_VQ_FAULT_HEAD_RANGE);
    setup();
    post(0xffff);
    EXPECT_BROKEN(VC_VQ_FAULT_HEAD_RANGE);
}

TEST(duplicate_inflight_head_breaks_queue) /* #28 */
{
    setup();
    struct vc_vq_elem e = elem(64);
    desc(3, BUF_GPA + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
    post(3);
    EXPECT_EQ(pop(&e), 0);
    post(3);
    EXPECT_BROKEN(VC_VQ_FAULT_DUP_HEAD);
    /* The first instance completes exactly once: released, never written to
     * the broken ring, and a second push is refused. */
    EXPECT_EQ(vc_vq_inflight(&vq), 1);
    EXPECT(vc_ok(vc_vq_push(&vq, 3, 16)));
    EXPECT_EQ(used_idx(), 0);
    EXPECT_EQ(vc_vq_get_stats(&vq)->dropped, 1);
    EXPECT_EQ(vc_vq_push(&vq, 3, 16).err, VC_EINVAL);
    EXPECT_EQ(vc_vq_inflight(&vq), 0);
}

TEST(avail_idx_too_far_breaks_queue) /* #29 */
{
    setup();
    for (uint16_t i = 0; i < QSZ; i++)
        desc(i, BUF_GPA, 8, 0, 0);
    drv.avail->idx = htole16(QSZ + 1);
    EXPECT_BROKEN(VC_VQ_FAULT_AVAIL_IDX);
    EXPECT_EQ(vc_vq_inflight(&vq), 0);
    /* Far ahead including a wrap of the 16-bit index. */
    setup_ev(QSZ, 65530, VC_VQ_EVIDX_UNKNOWN);
    drv.avail->idx = htole16(10);
    EXPECT_BROKEN(VC_VQ_FAULT_AVAIL_IDX);
    /* "Behind" is the same as far ahead mod 2^16. */
    setup_ev(QSZ, 100, VC_VQ_EVIDX_UNKNOWN);
    drv.avail->idx = htole16(99);
    EXPECT_BROKEN(VC_VQ_FAULT_AVAIL_IDX);
}

TEST(broken_queue_leaves_others_alone)
{
    setup();
    /* A second, independent ring in R2 with its own memory. */
    struct vc_vq other;
    vc_vq_init(&other, NULL, NULL);
    struct vc_vq_config c = {.size = 4,
                             .desc = R2_GPA + UVA_OFF,
                             .avail = R2_GPA + 0x100 + UVA_OFF,
                             .used = R2_GPA + 0x200 + UVA_OFF};
    EXPECT(vc_ok(vc_vq_start(&other, &c, &gm)));
    struct virtq_desc *d2 = g2h(R2_GPA);
    struct virtq_avail *a2 = g2h(R2_GPA + 0x100);
    put_desc(d2, 0, BUF_GPA, 8, 0, 0);
    a2->ring[0] = 0;
    a2->idx = htole16(1);

    post(QSZ + 3);
    EXPECT_BROKEN(VC_VQ_FAULT_HEAD_RANGE);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(vc_vq_pop(&other, &gm, &e).err, 0);
    EXPECT(vc_ok(vc_vq_push(&other, 0, 0)));
    EXPECT(!vc_vq_is_broken(&other));
    EXPECT_EQ(le16toh(((struct virtq_used *)g2h(R2_GPA + 0x200))->idx), 1);

    /* Reset clears the sticky state; a restart works again. */
    vc_vq_reset(&vq);
    EXPECT(!vc_vq_is_broken(&vq) && !vc_vq_is_ready(&vq));
    setup();
    EXPECT(!vc_vq_is_broken(&vq));
}

/* ---- notification ---- */

TEST(event_idx_notify_decisions)
{
    setup_ev(QSZ, 0, VC_VQ_EVIDX_ON);
    struct vc_vq_elem e = elem(64);
    for (uint16_t i = 0; i < 4; i++)
        desc(i, BUF_GPA, 8, 0, 0);
    /* The first decision after start notifies even with nothing pushed:
     * after a reconnect we cannot know what the driver last saw. */
    set_used_event(7);
    EXPECT(vc_vq_should_notify(&vq));
    EXPECT(!vc_vq_should_notify(&vq)); /* and then nothing new */
    post(0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
    set_used_event(0);
    EXPECT(vc_vq_should_notify(&vq)); /* 0 -> 1 crosses event 0 */
    /* used_event 5 not reached by 1 -> 2. NO_INTERRUPT is ignored in this mode. */
    set_used_event(5);
    drv.avail->flags = htole16(VIRTQ_AVAIL_F_NO_INTERRUPT);
    post(1);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 1, 0)));
    EXPECT(!vc_vq_should_notify(&vq));
    /* Crossing it in a batch 2 -> 4 (event 3 in [2, 4)). */
    set_used_event(3);
    post(2);
    post(3);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 2, 0)));
    EXPECT(vc_ok(vc_vq_push(&vq, 3, 0)));
    EXPECT(vc_vq_should_notify(&vq));
    EXPECT(!vc_vq_should_notify(&vq)); /* nothing new */
    EXPECT_EQ(vc_vq_get_stats(&vq)->notify, 3);
    EXPECT_EQ(vc_vq_get_stats(&vq)->notify_suppressed, 1);
}

TEST(event_idx_wraparound_65535)
{
    struct vc_vq_elem e = elem(64);
    for (int want = 0; want < 2; want++) {
        /* used idx 65534 -> 0 across the wrap; event 65535 is crossed, event 1
         * is not. */
        setup_ev(QSZ, 65533, VC_VQ_EVIDX_ON);
        for (uint16_t i = 0; i < 3; i++) {
            desc(i, BUF_GPA, 8, 0, 0);
            post(i);
        }
        EXPECT_EQ(pop(&e), 0);
        EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
        set_used_event(65533);
        EXPECT(vc_vq_should_notify(&vq)); /* 65533 -> 65534, first decision */
        EXPECT_EQ(pop(&e), 0);
        EXPECT_EQ(pop(&e), 0);
        EXPECT(vc_ok(vc_vq_push(&vq, 1, 0)));
        EXPECT(vc_ok(vc_vq_push(&vq, 2, 0)));
        EXPECT_EQ(used_idx(), 0);
        set_used_event(want ? 65535 : 1);
        EXPECT_EQ(vc_vq_should_notify(&vq), want);
    }
}

TEST(no_event_idx_uses_flags)
{
    setup_ev(QSZ, 0, VC_VQ_EVIDX_OFF);
    struct vc_vq_elem e = elem(64);
    desc(0, BUF_GPA, 8, 0, 0);
    set_used_event(0); /* garbage for this mode; must not matter */
    drv.avail->flags = htole16(VIRTQ_AVAIL_F_NO_INTERRUPT);
    post(0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
    EXPECT(!vc_vq_should_notify(&vq));
    drv.avail->flags = 0;
    post(0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
    EXPECT(vc_vq_should_notify(&vq));
    /* avail_event is never written in this mode. */
    EXPECT_EQ(avail_event(), 0);
}

TEST(unknown_mode_notifies_conservatively)
{
    setup_ev(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    struct vc_vq_elem e = elem(64);
    desc(0, BUF_GPA, 8, 0, 0);
    for (int i = 0; i < 2; i++) { /* make signalled_used valid */
        post(0);
        EXPECT_EQ(pop(&e), 0);
        EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
        EXPECT(vc_vq_should_notify(&vq));
    }
    /* Flag set and event not crossed: both readings agree, no notification. */
    drv.avail->flags = htole16(VIRTQ_AVAIL_F_NO_INTERRUPT);
    set_used_event(100);
    post(0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
    EXPECT(!vc_vq_should_notify(&vq));
    /* Flag set but an event-idx driver asked for this one (event 3 in [3,4)). */
    set_used_event(3);
    post(0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
    EXPECT(vc_vq_should_notify(&vq));
    /* Event far away but a flags-driver wants interrupts. */
    drv.avail->flags = 0;
    set_used_event(1000);
    post(0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 0)));
    EXPECT(vc_vq_should_notify(&vq));
}

TEST(avail_event_kept_current)
{
    setup_ev(QSZ, 40, VC_VQ_EVIDX_UNKNOWN);
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(avail_event(), 40); /* written at start */
    for (uint16_t i = 0; i < 3; i++) {
        desc(i, BUF_GPA, 8, 0, 0);
        post(i);
    }
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(avail_event(), 41);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(avail_event(), 43);
    EXPECT_EQ(pop(&e), VC_EAGAIN);

    /* Disable: NO_NOTIFY flag for a flags-driver, avail_event frozen. */
    vc_vq_disable_notify(&vq);
    EXPECT_EQ(le16toh(drv.used->flags), VIRTQ_USED_F_NO_NOTIFY);
    desc(3, BUF_GPA, 8, 0, 0);
    post(3);
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(avail_event(), 43);
    /* Enable with nothing pending: false, fields updated. */
    EXPECT(!vc_vq_enable_notify(&vq));
    EXPECT_EQ(le16toh(drv.used->flags), 0);
    EXPECT_EQ(avail_event(), 44);
    /* Enable racing a new post: true, caller drains again. */
    vc_vq_disable_notify(&vq);
    desc(4, BUF_GPA, 8, 0, 0);
    post(4);
    EXPECT(vc_vq_enable_notify(&vq));
    EXPECT_EQ(pop(&e), 0);
    EXPECT_EQ(e.head, 4);
}

TEST(event_idx_on_never_sets_no_notify)
{
    setup_ev(QSZ, 0, VC_VQ_EVIDX_ON);
    vc_vq_disable_notify(&vq);
    EXPECT_EQ(le16toh(drv.used->flags), 0);
    EXPECT(!vc_vq_enable_notify(&vq));
    EXPECT_EQ(avail_event(), 0);
}

/* ---- setup ---- */

TEST(start_validation)
{
    setup();
    struct vc_vq q;
    vc_vq_init(&q, NULL, NULL);
    struct vc_vq_config c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    uint32_t bad_sizes[] = {0, 3, 6, 65536, 32768 * 2 - 1};
    for (size_t i = 0; i < VC_ARRAY_SIZE(bad_sizes); i++) {
        c.size = bad_sizes[i];
        EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_EINVAL);
    }
    c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    c.base = 65536; /* #35: u32 from the wire */
    EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_EINVAL);
    c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    c.evidx = (enum vc_vq_evidx)7;
    EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_EINVAL);
    c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    c.desc += 8; /* misaligned */
    EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_EINVAL);
    c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    c.used += 2;
    EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_EINVAL);
    c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    c.avail = DESC_GPA; /* guest-physical given where a uva is expected */
    EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_ERANGE);
    c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    c.used = R0_GPA + RSZ - 8 + UVA_OFF; /* ring runs past its region */
    EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_ERANGE);
    c = cfg_for(32768, 0, VC_VQ_EVIDX_UNKNOWN); /* 512 KiB table, 64 KiB region */
    EXPECT_EQ(vc_vq_start(&q, &c, &gm).err, VC_ERANGE);
    EXPECT(!vc_vq_is_ready(&q));
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(vc_vq_pop(&q, &gm, &e).err, VC_EAGAIN);
    /* Pointer variant: NULL and misaligned refused. */
    c = cfg_for(QSZ, 0, VC_VQ_EVIDX_UNKNOWN);
    EXPECT_EQ(vc_vq_start_ptr(&q, &c, NULL, drv.avail, drv.used).err, VC_EINVAL);
    EXPECT_EQ(vc_vq_start_ptr(&q, &c, (uint8_t *)drv.desc + 4, drv.avail, drv.used).err,
              VC_EINVAL);
    EXPECT(vc_ok(vc_vq_start_ptr(&q, &c, drv.desc, drv.avail, drv.used)));
    EXPECT(vc_vq_is_ready(&q));
}

TEST(largest_queue_size)
{
    /* 32768 entries: table 512 KiB. Direct pointers into one big buffer. */
    size_t n = 32768;
    uint8_t *mem = guarded(VIRTQ_DESC_BYTES(n) + 0x40000 + VIRTQ_USED_BYTES(n) + 16);
    struct virtq_desc *d = (struct virtq_desc *)mem;
    struct virtq_avail *a = (struct virtq_avail *)(mem + VIRTQ_DESC_BYTES(n));
    struct virtq_used *u = (struct virtq_used *)(mem + VIRTQ_DESC_BYTES(n) + 0x40000);
    struct vc_vq q;
    vc_vq_init(&q, NULL, NULL);
    struct vc_vq_config c = {.size = (uint32_t)n};
    mem_setup();
    EXPECT(vc_ok(vc_vq_start_ptr(&q, &c, d, a, u)));
    put_desc(d, 32767, BUF_GPA, 8, 0, 0);
    a->ring[32767] = htole16(32767);
    a->ring[0] = htole16(32767);
    a->idx = htole16(1);
    /* Slot 0 names head 32767, which is the last valid head. */
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(vc_vq_pop(&q, &gm, &e).err, 0);
    EXPECT_EQ(e.head, 32767);
    EXPECT(vc_ok(vc_vq_push(&q, 32767, 0)));
    /* The avail_event slot after used->ring[32768] is inside our buffer. */
    EXPECT_EQ(le16toh(*(vc_le16 *)((uint8_t *)u + VIRTQ_AVAIL_EVENT_OFF(n))), 1);
}

TEST(remap_after_new_memory_table)
{
    setup();
    desc(0, BUF_GPA, 8, 0, 0);
    post(0);
    /* Same guest layout, R0 now backed by a different host mapping. */
    uint8_t *copy = guarded(RSZ);
    memcpy(copy, host[0], RSZ);
    struct vc_gmem gm2;
    struct vc_gmem_region r[3];
    for (int i = 0; i < 3; i++)
        r[i] = *vc_gmem_region(&gm, (uint32_t)i);
    r[0].host = copy;
    vc_gmem_init(&gm2);
    EXPECT(vc_ok(vc_gmem_set(&gm2, r, 3)));
    EXPECT(vc_ok(vc_vq_remap(&vq, &gm2)));
    struct vc_vq_elem e = elem(64);
    EXPECT_EQ(vc_vq_pop(&vq, &gm2, &e).err, 0);
    EXPECT(e.iov[0].base == copy + (BUF_GPA - R0_GPA));
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 3)));
    EXPECT_EQ(le16toh(((struct virtq_used *)(copy + 0x2000))->idx), 1);
    EXPECT_EQ(used_idx(), 0); /* the old mapping is not written */
    /* A table without the ring's region stops the queue. */
    EXPECT(vc_ok(vc_gmem_set(&gm2, &r[1], 2)));
    EXPECT_EQ(vc_vq_remap(&vq, &gm2).err, VC_ERANGE);
    EXPECT(!vc_vq_is_ready(&vq));
    EXPECT_EQ(vc_vq_pop(&vq, &gm2, &e).err, VC_EAGAIN);
    munmap(copy - sysconf(_SC_PAGESIZE), RSZ + 2 * (size_t)sysconf(_SC_PAGESIZE));
}

TEST(stop_drops_late_completions)
{
    setup();
    struct vc_vq_elem e = elem(64);
    desc(0, BUF_GPA, 8, 0, 0);
    post(0);
    EXPECT_EQ(pop(&e), 0);
    vc_vq_stop(&vq);
    EXPECT_EQ(vc_vq_get_base(&vq), 1);
    EXPECT(vc_ok(vc_vq_push(&vq, 0, 8)));
    EXPECT_EQ(used_idx(), 0);
    EXPECT_EQ(vc_vq_get_stats(&vq)->dropped, 1);
    EXPECT_EQ(vc_vq_inflight(&vq), 0);
}

TEST(fault_table)
{
    EXPECT(vc_vq_fault_is_fatal(VC_VQ_FAULT_DUP_HEAD));
    EXPECT(!vc_vq_fault_is_fatal(VC_VQ_FAULT_ZERO_LEN));
    EXPECT(vc_vq_fault_is_fatal((enum vc_vq_fault)99));
    EXPECT(strcmp(vc_vq_fault_str((enum vc_vq_fault)99), "?") == 0);
    EXPECT(strcmp(vc_vq_fault_str(VC_VQ_FAULT_NONE), "no fault") == 0);
}

int main(void)
{
    RUN(direct_chain);
    RUN(empty_ring_and_single_descriptor);
    RUN(kick_before_setup_ignored);
    RUN(indirect_table);
    RUN(direct_then_indirect_accepted);
    RUN(indirect_table_larger_than_queue);
    RUN(buffer_straddling_regions_split);
    RUN(indirect_table_straddling_regions);
    RUN(out_of_order_push);
    RUN(push_not_in_flight_rejected);
    RUN(head_reposted_after_completion_ok);
    RUN(full_ring_of_size_entries);
    RUN(chain_of_exactly_queue_size);
    RUN(indices_wrap_at_65536);
    RUN(zero_length_rejected);
    RUN(bad_addresses_rejected);
    RUN(indirect_rules);
    RUN(readable_after_writable_rejected);
    RUN(first_content_fault_reported);
    RUN(iov_storage_exhausted);
    RUN(descriptor_loop_breaks_queue);
    RUN(structure_faults_win_over_content_faults);
    RUN(indirect_loop_breaks_queue);
    RUN(next_out_of_range_breaks_queue);
    RUN(head_out_of_range_breaks_queue);
    RUN(duplicate_inflight_head_breaks_queue);
    RUN(avail_idx_too_far_breaks_queue);
    RUN(broken_queue_leaves_others_alone);
    RUN(event_idx_notify_decisions);
    RUN(event_idx_wraparound_65535);
    RUN(no_event_idx_uses_flags);
    RUN(unknown_mode_notifies_conservatively);
    RUN(avail_event_kept_current);
    RUN(event_idx_on_never_sets_no_notify);
    RUN(start_validation);
    RUN(largest_queue_size);
    RUN(remap_after_new_memory_table);
    RUN(stop_drops_late_completions);
    RUN(fault_table);
    return TEST_DONE();
}
