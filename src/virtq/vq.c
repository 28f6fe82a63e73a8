/* Split virtqueue, device side.
 *
 * IMPLEMENTATION NOTES
 * Guest-shared fields are accessed only through ld16/st16/st32 and
 * read_desc(), which go through volatile pointers: the compiler may not
 * re-read a value the guest can change, so every check is made on, and every
 * use made of, the same snapshot (hostile-inputs #8). Ordering follows §2.7.13
 * "Supplying Buffers to The Device" / §2.7.8: an acquire fence after reading
 * avail->idx (ring entries and descriptors are read after it), a release fence
 * before storing used->idx (used entries become visible first), and a full
 * fence between our store of used->idx / avail_event and our load of the
 * driver's used_event / avail->idx (store-load, the event-index race).
 *
 * Invariants: inflight == popcount(inflight_map) <= size; a head is in the map
 * from pop until its push; shadow_avail_idx - last_avail_idx <= size (checked
 * when shadow is loaded). Bad chains of the request class are completed with
 * len 0 inside pop, so the caller only ever holds well-formed chains.
 */
#include "virtq/vq.h"

#include <endian.h>
#include <stdatomic.h>
#include <string.h>

#include "common/log.h"
#include "vcrypto/err.h"
#include "virtq/ring_idx.h"

/* Only the first few request-class faults per queue are logged at WARN: a
 * guest must not be able to flood our log. */
#define BAD_CHAIN_LOG_MAX 8
/* Pieces an indirect table may be split into across memory regions. */
#define TABLE_IOV_MAX 8

static const char *const fault_msg[] = {
#define F(name, fatal, msg) msg,
    VC_VQ_FAULT_MAP(F)
#undef F
};
static const bool fault_fatal[] = {
#define F(name, fatal, msg) fatal,
    VC_VQ_FAULT_MAP(F)
#undef F
};

const char *vc_vq_fault_str(enum vc_vq_fault f)
{
    return (unsigned)f < VC_VQ_FAULT_COUNT ? fault_msg[f] : "?";
}

bool vc_vq_fault_is_fatal(enum vc_vq_fault f)
{
    return (unsigned)f < VC_VQ_FAULT_COUNT ? fault_fatal[f] : true;
}

static inline uint16_t ld16(const vc_le16 *p)
{
    return le16toh(*(const volatile vc_le16 *)p);
}

static inline void st16(vc_le16 *p, uint16_t v)
{
    *(volatile vc_le16 *)p = htole16(v);
}

static inline void st32(vc_le32 *p, uint32_t v)
{
    *(volatile vc_le32 *)p = htole32(v);
}

/* The one read of a descriptor in the ring (guest memory). */
static void read_desc(const struct virtq_desc *src, struct virtq_desc *d)
{
    const volatile struct virtq_desc *v = src;
    d->addr = le64toh(v->addr);
    d->len = le32toh(v->len);
    d->flags = le16toh(v->flags);
    d->next = le16toh(v->next);
}

static bool inflight_test(const struct vc_vq *vq, uint16_t head)
{
    return (vq->inflight_map[head / 64] >> (head % 64)) & 1;
}

static void inflight_set(struct vc_vq *vq, uint16_t head)
{
    vq->inflight_map[head / 64] |= UINT64_C(1) << (head % 64);
    vq->inflight++;
}

static void inflight_clear(struct vc_vq *vq, uint16_t head)
{
    vq->inflight_map[head / 64] &= ~(UINT64_C(1) << (head % 64));
    vq->inflight--;
}

static void set_broken(struct vc_vq *vq, enum vc_vq_fault f)
{
    vq->stats.faults[f]++;
    if (vq->broken)
        return;
    vq->broken = true;
    vq->fault = f;
    VC_ERR("virtqueue broken (device needs reset): %s", vc_vq_fault_str(f));
    if (vq->on_broken)
        vq->on_broken(vq->cb_arg, vq, f);
}

void vc_vq_init(struct vc_vq *vq, vc_vq_broken_fn cb, void *arg)
{
    memset(vq, 0, sizeof *vq);
    vq->on_broken = cb;
    vq->cb_arg = arg;
}

void vc_vq_reset(struct vc_vq *vq)
{
    vc_vq_init(vq, vq->on_broken, vq->cb_arg);
}

static VC_RESULT check_cfg(const struct vc_vq_config *cfg)
{
    ENSURE(cfg->size >= 1 && cfg->size <= VIRTQ_MAX_SIZE, VC_EINVAL);
    ENSURE((cfg->size & (cfg->size - 1)) == 0, VC_EINVAL);
    ENSURE(cfg->base <= UINT16_MAX, VC_EINVAL);
    ENSURE(cfg->evidx >= VC_VQ_EVIDX_UNKNOWN && cfg->evidx <= VC_VQ_EVIDX_ON, VC_EINVAL);
    return VC_OK_RESULT;
}

/* Common part of start/remap once the three host pointers are known. */
static VC_RESULT attach(struct vc_vq *vq, void *desc, void *avail, void *used)
{
    uint32_t n = vq->cfg.size;

    /* §2.7.2 "Legacy Interfaces: A Note on Virtqueue Layout" aside, the
     * modern alignment rules are desc 16, avail 2, used 4. Our own accesses
     * need the host pointers aligned too. */
    ENSURE((uintptr_t)desc % VIRTQ_DESC_ALIGN == 0, VC_EINVAL);
    ENSURE((uintptr_t)avail % VIRTQ_AVAIL_ALIGN == 0, VC_EINVAL);
    ENSURE((uintptr_t)used % VIRTQ_USED_ALIGN == 0, VC_EINVAL);
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
    vq->used_event = (vc_le16 *)((uint8_t *)avail + VIRTQ_USED_EVENT_OFF(n));
    vq->avail_event = (vc_le16 *)((uint8_t *)used + VIRTQ_AVAIL_EVENT_OFF(n));
    return VC_OK_RESULT;
}

static void go(struct vc_vq *vq)
{
    vq->size = vq->cfg.size;
    vq->evidx = vq->cfg.evidx;
    vq->last_avail_idx = (uint16_t)vq->cfg.base;
    vq->shadow_avail_idx = vq->last_avail_idx;
    /* Continue the used ring where the guest sees it: after a reconnect our
     * own counter is gone, the ring's is authoritative. */
    vq->used_idx = ld16(&vq->used->idx);
    if (vq->used_idx != vq->last_avail_idx)
        VC_WARN("virtqueue start: used idx %u != base %u, %u request(s) lost", vq->used_idx,
                vq->last_avail_idx, vc__ring_dist(vq->last_avail_idx, vq->used_idx));
    vq->signalled_valid = false;
    vq->broken = false;
    vq->fault = VC_VQ_FAULT_NONE;
    vq->inflight = 0;
    memset(vq->inflight_map, 0, sizeof vq->inflight_map);
    vq->ready = true;
    vq->notify_enabled = false;
    /* Kicks on: a kick-driven backend must get the first one. */
    (void)vc_vq_enable_notify(vq);
}

static VC_RESULT translate(struct vc_vq *vq, const struct vc_gmem *gm)
{
    const struct vc_vq_config *c = &vq->cfg;
    ENSURE(c->desc % VIRTQ_DESC_ALIGN == 0 && c->avail % VIRTQ_AVAIL_ALIGN == 0 &&
               c->used % VIRTQ_USED_ALIGN == 0,
           VC_EINVAL);
    void *d = vc_gmem_uva(gm, c->desc, VIRTQ_DESC_BYTES(c->size));
    void *a = vc_gmem_uva(gm, c->avail, VIRTQ_AVAIL_BYTES(c->size));
    void *u = vc_gmem_uva(gm, c->used, VIRTQ_USED_BYTES(c->size));
    ENSURE(d && a && u, VC_ERANGE);
    return attach(vq, d, a, u);
}

VC_RESULT vc_vq_start(struct vc_vq *vq, const struct vc_vq_config *cfg, const struct vc_gmem *gm)
{
    vq->ready = false;
    GUARD(check_cfg(cfg));
    vq->cfg = *cfg;
    vq->by_uva = true;
    GUARD(translate(vq, gm));
    go(vq);
    return VC_OK_RESULT;
}

VC_RESULT vc_vq_start_ptr(struct vc_vq *vq, const struct vc_vq_config *cfg, void *desc,
                          void *avail, void *used)
{
    vq->ready = false;
    GUARD(check_cfg(cfg));
    ENSURE(desc && avail && used, VC_EINVAL);
    vq->cfg = *cfg;
    vq->by_uva = false;
    GUARD(attach(vq, desc, avail, used));
    go(vq);
    return VC_OK_RESULT;
}

VC_RESULT vc_vq_remap(struct vc_vq *vq, const struct vc_gmem *gm)
{
    if (!vq->by_uva || vq->size == 0)
        return VC_OK_RESULT;
    vc_result r = translate(vq, gm);
    if (!vc_ok(r))
        vq->ready = false;
    return r;
}

void vc_vq_stop(struct vc_vq *vq)
{
    vq->ready = false;
}

/* ---- chain walking ----
 *
 * The structure of a chain (indexes, loops) is always walked to its end,
 * even after a request-class fault was found in its contents: whether the
 * ring is corrupt must not depend on where a bad buffer sits or on how many
 * iov slots the caller gave us. The first content fault is remembered in
 * w->soft and buffers after it are no longer mapped.
 */

struct walk {
    const struct vc_gmem *gm;
    struct vc_vq_elem *e;
    uint32_t k;            /* iov pieces used */
    bool seen_write;       /* a device-writable buffer came already */
    enum vc_vq_fault soft; /* first request-class fault, or NONE */
};

static void soft_fault(struct walk *w, enum vc_vq_fault f)
{
    if (w->soft == VC_VQ_FAULT_NONE)
        w->soft = f;
}

/* One buffer descriptor (direct or inside an indirect table). */
static void add_buf(struct walk *w, const struct virtq_desc *d)
{
    struct vc_vq_elem *e = w->e;
    bool wr = d->flags & VIRTQ_DESC_F_WRITE;
    uint32_t cnt;

    if (w->soft != VC_VQ_FAULT_NONE)
        return;
    /* CVE-2016-6490: a zero-length buffer is never useful and has looped
     * device models before. */
    if (d->len == 0) {
        soft_fault(w, VC_VQ_FAULT_ZERO_LEN);
        return;
    }
    /* §2.7.4.2 (driver normative): "The driver MUST place any device-writable
     * descriptor elements after any device-readable descriptor elements." */
    if (!wr && w->seen_write) {
        soft_fault(w, VC_VQ_FAULT_WRITE_ORDER);
        return;
    }
    w->seen_write |= wr;
    if (w->k < e->iov_max && vc_gmem_map1(w->gm, d->addr, d->len, &e->iov[w->k])) {
        cnt = 1;
    } else {
        vc_result r =
            vc_gmem_map(w->gm, d->addr, d->len, &e->iov[w->k], e->iov_max - w->k, &cnt);
        if (!vc_ok(r)) {
            soft_fault(w, r.err == VC_ENOSPC ? VC_VQ_FAULT_IOV_FULL : VC_VQ_FAULT_BAD_ADDR);
            return;
        }
    }
    w->k += cnt;
    e->ndesc++;
    if (wr) {
        e->wr_cnt += cnt;
        e->wr_len += d->len;
    } else {
        e->rd_cnt += cnt;
        e->rd_len += d->len;
    }
}

/* The indirect table named by d, which ends the direct chain. Returns a
 * fatal fault or NONE (content faults go to w->soft). */
static enum vc_vq_fault walk_indirect(struct vc_vq *vq, struct walk *w, const struct virtq_desc *d)
{
    struct vc_iov tiov[TABLE_IOV_MAX];
    struct vc_sg table;
    uint32_t pieces;
    uint32_t cap = VC_MAX(vq->size, (uint32_t)VC_VQ_INDIRECT_MIN_CAP);

    /* The WRITE flag of this descriptor is ignored: "The device MUST ignore
     * the write-only flag (flags&VIRTQ_DESC_F_WRITE) in the descriptor that
     * refers to an indirect table." (§2.7.5.3.2) */
    if (d->len == 0 || d->len % sizeof(struct virtq_desc) != 0 ||
        d->len / sizeof(struct virtq_desc) > cap) {
        soft_fault(w, VC_VQ_FAULT_INDIRECT_LEN);
        return VC_VQ_FAULT_NONE;
    }
    uint32_t n = d->len / (uint32_t)sizeof(struct virtq_desc);
    if (vc_gmem_map1(w->gm, d->addr, d->len, tiov))
        pieces = 1;
    else if (!vc_ok(vc_gmem_map(w->gm, d->addr, d->len, tiov, TABLE_IOV_MAX, &pieces))) {
        soft_fault(w, VC_VQ_FAULT_INDIRECT_ADDR);
        return VC_VQ_FAULT_NONE;
    }
    vc_sg_init(&table, tiov, pieces);
    /* The usual table sits in one region: read its entries in place. */
    const uint8_t *flat = pieces == 1 ? tiov[0].base : NULL;

    /* "The first descriptor is located at the start of the indirect
     * descriptor table, additional indirect descriptors come immediately
     * after" and are chained through next like direct ones. A walk longer
     * than the table is a loop (hostile #22). */
    uint32_t i = 0;
    for (uint32_t steps = 0;; steps++) {
        struct virtq_desc raw, x;
        if (steps == n)
            return VC_VQ_FAULT_CHAIN_LOOP;
        /* Cannot fail: i < n and the whole table is mapped. Each entry is
         * copied once (raw) and only the copy is used. */
        if (flat != NULL) {
            read_desc((const struct virtq_desc *)(const void *)(flat + (size_t)i * sizeof raw),
                      &x);
        } else {
            if (!vc_ok(vc_sg_read(&table, (uint64_t)i * sizeof raw, &raw, sizeof raw)))
                return VC_VQ_FAULT_NEXT_RANGE;
            x.addr = le64toh(raw.addr);
            x.len = le32toh(raw.len);
            x.flags = le16toh(raw.flags);
            x.next = le16toh(raw.next);
        }
        /* "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an
         * indirect descriptor (ie. only one table per descriptor)." */
        if (x.flags & VIRTQ_DESC_F_INDIRECT)
            soft_fault(w, VC_VQ_FAULT_INDIRECT_NESTED);
        else
            add_buf(w, &x);
        if (!(x.flags & VIRTQ_DESC_F_NEXT))
            return VC_VQ_FAULT_NONE;
        if (x.next >= n)
            return VC_VQ_FAULT_NEXT_RANGE;
        i = x.next;
    }
}

/* Returns the chain's fatal fault if any, else its first content fault, else
 * NONE with e filled. */
static enum vc_vq_fault walk_chain(struct vc_vq *vq, const struct vc_gmem *gm, uint16_t head,
                                   struct vc_vq_elem *e)
{
    struct walk w = {.gm = gm, .e = e, .k = 0, .seen_write = false, .soft = VC_VQ_FAULT_NONE};
    uint16_t i = head;

    e->head = head;
    e->rd_cnt = e->wr_cnt = 0;
    e->rd_len = e->wr_len = 0;
    e->ndesc = 0;
    /* A direct chain visits at most size descriptors: "The driver MUST NOT
     * create a descriptor chain longer than the Queue Size of the device"
     * (§2.7.4.2); one more means a loop (hostile #22). */
    for (uint32_t steps = 0;; steps++) {
        struct virtq_desc d;
        if (steps == vq->size)
            return VC_VQ_FAULT_CHAIN_LOOP;
        read_desc(&vq->desc[i], &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* §2.7.5.3.1: "The driver MUST NOT set both VIRTQ_DESC_F_INDIRECT
             * and VIRTQ_DESC_F_NEXT in flags." Refused, but the rest of the
             * direct chain is still walked for its structure. */
            if (d.flags & VIRTQ_DESC_F_NEXT) {
                soft_fault(&w, VC_VQ_FAULT_INDIRECT_NEXT);
            } else {
                /* "The device MUST handle the case of zero or more normal
                 * chained descriptors followed by a single descriptor with
                 * flags&VIRTQ_DESC_F_INDIRECT." (§2.7.5.3.2) */
                enum vc_vq_fault f = walk_indirect(vq, &w, &d);
                return f != VC_VQ_FAULT_NONE ? f : w.soft;
            }
        } else {
            add_buf(&w, &d);
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return w.soft;
        if (d.next >= vq->size)
            return VC_VQ_FAULT_NEXT_RANGE;
        i = d.next;
    }
}

/* ---- used ring ---- */

static void used_put(struct vc_vq *vq, uint16_t head, uint32_t len)
{
    struct virtq_used_elem *u = &vq->used->ring[vq->used_idx & (vq->size - 1)];
    st32(&u->id, head);
    st32(&u->len, len);
    vq->used_idx++;
    vq->stats.pushed++;
}

static void used_publish(struct vc_vq *vq)
{
    /* §2.7.8: the used elements must be visible before the index that
     * exposes them. */
    atomic_thread_fence(memory_order_release);
    st16(&vq->used->idx, vq->used_idx);
}

static bool writable(const struct vc_vq *vq)
{
    return vq->ready && !vq->broken;
}

/* Loads and validates avail->idx into shadow. false = broken. */
static bool load_avail(struct vc_vq *vq)
{
    uint16_t a = ld16(&vq->avail->idx);
    /* Ring entries and descriptors are read after the index (§2.7.13.3:
     * the driver publishes them before the index). */
    atomic_thread_fence(memory_order_acquire);
    /* CVE-2016-5403: "virtio: error out if guest exceeds virtqueue size". */
    if (vc__ring_dist(a, vq->last_avail_idx) > vq->size) {
        set_broken(vq, VC_VQ_FAULT_AVAIL_IDX);
        return false;
    }
    vq->shadow_avail_idx = a;
    return true;
}

VC_RESULT vc_vq_pop(struct vc_vq *vq, const struct vc_gmem *gm, struct vc_vq_elem *e)
{
    /* Each pass consumes one avail entry, and at most size are valid, so the
     * loop is bounded even if every chain is bad. */
    for (;;) {
        ENSURE(!vq->broken, VC_EBROKEN);
        ENSURE(vq->ready, VC_EAGAIN);
        if (vq->last_avail_idx == vq->shadow_avail_idx) {
            ENSURE(load_avail(vq), VC_EBROKEN);
            ENSURE(vq->last_avail_idx != vq->shadow_avail_idx, VC_EAGAIN);
        }
        uint16_t head = ld16(&vq->avail->ring[vq->last_avail_idx & (vq->size - 1)]);
        if (head >= vq->size) {
            set_broken(vq, VC_VQ_FAULT_HEAD_RANGE);
            BAIL(VC_EBROKEN);
        }
        /* cloud-hypervisor 730677730: a duplicate head would be completed
         * twice and its buffers released twice. The driver broke its own
         * free-list bookkeeping, so nothing on this ring can be trusted. */
        if (inflight_test(vq, head)) {
            set_broken(vq, VC_VQ_FAULT_DUP_HEAD);
            BAIL(VC_EBROKEN);
        }
        vq->last_avail_idx++;
        inflight_set(vq, head);
        if (vq->notify_enabled && vq->evidx != VC_VQ_EVIDX_OFF)
            st16(vq->avail_event, vq->last_avail_idx);

        enum vc_vq_fault f = walk_chain(vq, gm, head, e);
        if (f == VC_VQ_FAULT_NONE) {
            vq->stats.popped++;
            return VC_OK_RESULT;
        }
        /* The caller never holds this head, so it is not in flight. */
        inflight_clear(vq, head);
        if (fault_fatal[f]) {
            set_broken(vq, f);
            BAIL(VC_EBROKEN);
        }
        vq->stats.faults[f]++;
        if (vq->stats.bad_chains++ < BAD_CHAIN_LOG_MAX)
            VC_WARN("virtqueue: head %u rejected: %s", head, vc_vq_fault_str(f));
        used_put(vq, head, 0);
        used_publish(vq);
    }
}

VC_RESULT vc_vq_push(struct vc_vq *vq, uint16_t head, uint32_t len)
{
    struct vc_vq_done d = {head, len};
    return vc_vq_push_n(vq, &d, 1);
}

VC_RESULT vc_vq_push_n(struct vc_vq *vq, const struct vc_vq_done *done, uint32_t n)
{
    /* Validate the whole batch first by clearing bits, and put them back if
     * one is not in flight (covers duplicates inside the batch). */
    for (uint32_t i = 0; i < n; i++) {
        if (done[i].head >= VIRTQ_MAX_SIZE || !inflight_test(vq, done[i].head)) {
            while (i-- > 0)
                inflight_set(vq, done[i].head);
            BAIL(VC_EINVAL);
        }
        inflight_clear(vq, done[i].head);
    }
    if (!writable(vq)) {
        /* A stopped ring may be unmapped already; a broken one must not be
         * written any more. The heads are released all the same. */
        vq->stats.dropped += n;
        return VC_OK_RESULT;
    }
    for (uint32_t i = 0; i < n; i++)
        used_put(vq, done[i].head, done[i].len);
    if (n)
        used_publish(vq);
    return VC_OK_RESULT;
}

bool vc_vq_should_notify(struct vc_vq *vq)
{
    if (!writable(vq))
        return false;
    /* Our used->idx store must be visible before we read the driver's
     * used_event/flags, or both sides may skip the notification. */
    atomic_thread_fence(memory_order_seq_cst);
    uint16_t old = vq->signalled_used, cur = vq->used_idx;
    bool valid = vq->signalled_valid;
    if (valid && old == cur)
        return false;
    vq->signalled_used = cur;
    vq->signalled_valid = true;

    bool flag_says = !(ld16(&vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    /* §2.7.7.2: with event idx, "the device MUST ... send a notification if
     * the used idx crosses used_event"; without it, unless NO_INTERRUPT. */
    bool event_says = !valid || vc__ring_need_event(ld16(vq->used_event), cur, old);
    bool r;
    switch (vq->evidx) {
    case VC_VQ_EVIDX_OFF:
        r = flag_says;
        break;
    case VC_VQ_EVIDX_ON:
        r = event_says;
        break;
    case VC_VQ_EVIDX_UNKNOWN:
    default:
        /* Either reading may be the driver's: notify if either asks. */
        r = flag_says || event_says;
        break;
    }
    if (r)
        vq->stats.notify++;
    else
        vq->stats.notify_suppressed++;
    return r;
}

bool vc_vq_enable_notify(struct vc_vq *vq)
{
    if (!writable(vq))
        return false;
    vq->notify_enabled = true;
    if (vq->evidx != VC_VQ_EVIDX_ON)
        st16(&vq->used->flags, 0);
    if (vq->evidx != VC_VQ_EVIDX_OFF)
        st16(vq->avail_event, vq->last_avail_idx);
    /* Store-load: the driver publishes idx then reads our field; we store our
     * field then read idx. Without a full fence both could miss. */
    atomic_thread_fence(memory_order_seq_cst);
    return ld16(&vq->avail->idx) != vq->last_avail_idx;
}

void vc_vq_disable_notify(struct vc_vq *vq)
{
    if (!writable(vq))
        return;
    vq->notify_enabled = false;
    if (vq->evidx != VC_VQ_EVIDX_ON)
        st16(&vq->used->flags, VIRTQ_USED_F_NO_NOTIFY);
}

bool vc_vq_has_avail(struct vc_vq *vq)
{
    if (!writable(vq))
        return false;
    return vq->last_avail_idx != vq->shadow_avail_idx ||
           ld16(&vq->avail->idx) != vq->last_avail_idx;
}

uint16_t vc_vq_get_base(const struct vc_vq *vq)
{
    return vq->last_avail_idx;
}

uint32_t vc_vq_inflight(const struct vc_vq *vq)
{
    return vq->inflight;
}

bool vc_vq_is_ready(const struct vc_vq *vq)
{
    return vq->ready;
}

bool vc_vq_is_broken(const struct vc_vq *vq)
{
    return vq->broken;
}

enum vc_vq_fault vc_vq_broken_reason(const struct vc_vq *vq)
{
    return vq->fault;
}

const struct vc_vq_stats *vc_vq_get_stats(const struct vc_vq *vq)
{
    return &vq->stats;
}
