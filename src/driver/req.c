/* Data requests: the enqueue/dequeue fast path.
 *
 * IMPLEMENTATION NOTES
 * One op = one ring descriptor (VIRTQ_DESC_F_INDIRECT) pointing at the
 * indirect table in the op's slot; the slot index is the ring head, so the
 * completion's used id finds the op without a search. A slot's shared part
 * holds the fixed request part, the table, the status byte and the bounce
 * area; its private part (struct vc__slot) the op pointer and the copy-back
 * plan. Nothing here allocates, locks or makes a system call, except the one
 * kick per burst that vc_drv_kick_prepare() asks for.
 *
 * Every piece of an op is either inside the shared region (referenced
 * directly: zero copy) or copied through the slot's bounce area (readable
 * pieces at enqueue, writable ones back at dequeue). Empty pieces are left
 * out: the device refuses zero-length descriptors.
 *
 * Ops that cannot be sent (bad layout, too big, stateless not negotiated)
 * are accepted and put on the local FIFO with their status, so every
 * accepted op has exactly one completion path: the used ring, the local
 * FIFO, or vc_drv_abort_all() when the device is lost (whose ops also go to
 * the FIFO). inflight + local_n <= size keeps the FIFO from overflowing.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/compiler.h"
#include "driver/internal.h"

#define HDR 24u /* struct virtio_crypto_op_header */
#define LEGACY_FIXED 72u

uint64_t vc__qp_slot_bytes(const struct vc_dev_opts *o)
{
    return VC__META_SIZE + VC__BOUNCE_START + (uint64_t)o->bounce_size;
}

/* Shared memory the device reads: store only what differs. An op that
 * reuses its slot's layout (the common case: same session, same buffers)
 * then leaves the header and descriptor lines untouched, and the device's
 * cached copies of them stay valid; rewriting identical bytes would still
 * take each line away from the device's core. */
static void put_if_changed(void *dst, const void *src, size_t n)
{
    if (memcmp(dst, src, n) != 0)
        memcpy(dst, src, n);
}

int vc__qp_init(struct vc_qp *qp, struct vc_dev *dev, uint32_t index, uint8_t *ring_mem,
                uint8_t *slot_mem, bool event_idx)
{
    uint32_t n = dev->opts.queue_size;
    void *desc, *avail, *used;
    memset(qp, 0, sizeof(*qp));
    qp->dev = dev;
    qp->kick_fd = qp->call_fd = -1;
    qp->index = index;
    qp->size = n;
    qp->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    qp->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    qp->heads = calloc(n, sizeof(*qp->heads));
    qp->slots = calloc(n, sizeof(*qp->slots));
    qp->local = calloc(n, sizeof(*qp->local));
    if (qp->kick_fd < 0 || qp->call_fd < 0 || !qp->heads || !qp->slots || !qp->local)
        return VC_ENOMEM;
    qp->slot_base = slot_mem;
    qp->stride = (uint32_t)vc__qp_slot_bytes(&dev->opts);
    vc__ring_parts(ring_mem, n, &desc, &avail, &used);
    if (vc_drv_init(&qp->ring, n, event_idx, desc, avail, used, qp->heads))
        return VC_EINVAL;
    /* Polling is the default: interrupts only once vc_qp_arm asks. */
    vc_drv_disable_cb(&qp->ring);
    return 0;
}

void vc__qp_fini(struct vc_qp *qp)
{
    if (!qp->dev)
        return; /* never initialised */
    if (qp->kick_fd >= 0)
        close(qp->kick_fd);
    if (qp->call_fd >= 0)
        close(qp->call_fd);
    free(qp->heads);
    free(qp->slots);
    free(qp->local);
}

/* ---- local completions ---- */

static void local_push(struct vc_qp *qp, struct vc_op *op, uint8_t status)
{
    op->status = status;
    op->dst_written = 0;
    qp->local[(qp->local_head + qp->local_n) & (qp->size - 1)] = op;
    qp->local_n++;
}

static struct vc_op *local_pop(struct vc_qp *qp)
{
    struct vc_op *op = qp->local[qp->local_head];
    qp->local_head = (qp->local_head + 1) & (qp->size - 1);
    qp->local_n--;
    return op;
}

/* ---- request building ---- */

struct build {
    struct vc_qp *qp;
    struct vc__slot *slot;
    struct virtq_desc *table;
    uint8_t *bounce;
    uint32_t bounce_used;
    uint32_t n;
    uint64_t wr_len;
    uint64_t vlf; /* variable-length bytes, for max_size */
    uint8_t err;  /* first local status */
};

/* Appends one piece; copies a readable one into the bounce area unless it
 * is already in shared memory. Returns the device-visible pointer (NULL for
 * an empty piece or an error). */
static uint8_t *piece(struct build *b, const void *p, uint32_t len, bool wr)
{
    if (len == 0 || b->err)
        return NULL;
    if (!p) {
        b->err = VC_OP_STATUS_INVALID;
        return NULL;
    }
    if (b->n == VC__MAX_PIECES - 1) {
        b->err = VC_OP_STATUS_INVALID;
        return NULL;
    }
    const uint8_t *q = p;
    if (!vc__in_region(b->qp->dev, p, len)) {
        uint32_t room = b->qp->dev->opts.bounce_size - b->bounce_used;
        if (len > room) {
            b->err = VC_OP_STATUS_TOO_BIG;
            return NULL;
        }
        uint8_t *bq = b->bounce + b->bounce_used;
        b->bounce_used += (len + 7u) & ~7u;
        if (b->bounce_used > b->qp->dev->opts.bounce_size)
            b->bounce_used = b->qp->dev->opts.bounce_size;
        if (!wr)
            memcpy(bq, p, len);
        q = bq;
    }
    struct virtq_desc *d = &b->table[b->n++];
    d->addr = htole64(vc__addr(q));
    d->len = htole32(len);
    d->flags = wr ? VIRTQ_DESC_F_WRITE : 0;
    b->vlf += len;
    if (wr)
        b->wr_len += len;
    return (uint8_t *)(uintptr_t)q;
}

/* A writable piece with a copy-back plan. */
static void wpiece(struct build *b, void *p, uint32_t len, bool digest)
{
    uint8_t *q = piece(b, p, len, true);
    if (!q)
        return;
    if (digest) {
        b->slot->digest_sent = len;
        if (q != p) {
            b->slot->copy_digest = p;
            b->slot->bounce_digest = q;
        }
    } else {
        b->slot->dst_sent = len;
        if (q != p) {
            b->slot->copy_dst = p;
            b->slot->bounce_dst = q;
        }
    }
}

static uint32_t key_len_of(const struct vc_session_params *s, const uint8_t **k, uint32_t *k2len,
                           const uint8_t **k2)
{
    *k2len = 0;
    *k2 = NULL;
    switch (s->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        *k = s->u.cipher.key;
        if (s->u.cipher.chain_hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH) {
            *k2 = s->u.cipher.auth_key;
            *k2len = s->u.cipher.auth_key_len;
        }
        return s->u.cipher.key_len;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        *k = s->u.mac.key;
        return s->u.mac.key_len;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        *k = s->u.aead.key;
        return s->u.aead.key_len;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        *k = s->u.akcipher.key;
        return s->u.akcipher.key_len;
    default:
        *k = NULL;
        return 0;
    }
}

/* Fills the op_flf (at f, zeroed) and the pieces. sl: stateless layout;
 * sp: its parameters (NULL in session mode: sess_para stays zero, the
 * device ignores it). Returns the flf length. */
static uint32_t build_body(struct build *b, struct vc_op *op, bool chain, bool sl,
                           const struct vc_session_params *sp, uint32_t tag_len, uint8_t *f)
{
    const uint8_t *k1 = NULL, *k2 = NULL;
    uint32_t k1len = 0, k2len = 0;
    if (sp)
        k1len = key_len_of(sp, &k1, &k2len, &k2);
    switch (op->opcode) {
    case VIRTIO_CRYPTO_CIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_CIPHER_DECRYPT: {
        uint32_t o = 0, optype_off = 40, len = 48;
        if (sl) {
            optype_off = 72;
            len = 76;
            if (sp) {
                /* Chain sess_para (spec order, as src/device/dataq.c parses
                 * it): alg_chain_order, aad_len, cipher{algo, keylen, op},
                 * hash{algo, auth_key_len, hash_mode}. */
                uint32_t c = chain ? 8 : 0;
                if (chain) {
                    vc__put32(f, 0, sp->u.cipher.chain_order);
                    vc__put32(f, 4, sp->u.cipher.aad_len);
                    vc__put32(f, 20, sp->u.cipher.chain_algo);
                    vc__put32(f, 24, k2len);
                    vc__put32(f, 28, sp->u.cipher.chain_hash_mode);
                }
                vc__put32(f, c, sp->u.cipher.algo);
                vc__put32(f, c + 4, k1len);
                vc__put32(f, c + 8, sp->u.cipher.op);
            }
            o = chain ? 32 : 12;
            piece(b, k1, k1len, false);
            piece(b, k2, k2len, false);
        }
        vc__put32(f, o, op->iv_len);
        vc__put32(f, o + 4, op->src_len);
        vc__put32(f, o + 8, op->dst_len);
        if (chain) {
            vc__put32(f, o + 12, op->cipher_offset);
            vc__put32(f, o + 16, op->cipher_len);
            vc__put32(f, o + 20, op->hash_offset);
            vc__put32(f, o + 24, op->hash_len);
            vc__put32(f, o + 28, op->aad_len);
            vc__put32(f, o + 32, op->digest_len);
        }
        vc__put32(f, optype_off,
                  chain ? VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING : VIRTIO_CRYPTO_SYM_OP_CIPHER);
        piece(b, op->iv, op->iv_len, false);
        /* Session-mode chaining sends src before aad; the stateless chain
         * vlf puts aad first (spec layout). */
        if (chain && sl)
            piece(b, op->aad, op->aad_len, false);
        piece(b, op->src, op->src_len, false);
        if (chain && !sl)
            piece(b, op->aad, op->aad_len, false);
        wpiece(b, op->dst, op->dst_len, false);
        if (chain)
            wpiece(b, op->digest, op->digest_len, true);
        return len;
    }
    case VIRTIO_CRYPTO_HASH:
    case VIRTIO_CRYPTO_MAC: {
        uint32_t o = 0;
        bool mac = op->opcode == VIRTIO_CRYPTO_MAC;
        if (sl) {
            /* hash: sess_para{algo}, src, result, reserved (spec order);
             * mac: sess_para{algo, auth_key_len}, src, result. */
            if (sp) {
                vc__put32(f, 0, mac ? sp->u.mac.algo : sp->u.hash.algo);
                if (mac)
                    vc__put32(f, 4, k1len);
            }
            o = mac ? 8 : 4;
            piece(b, k1, k1len, false);
        }
        vc__put32(f, o, op->src_len);
        vc__put32(f, o + 4, op->digest_len);
        piece(b, op->src, op->src_len, false);
        wpiece(b, op->digest, op->digest_len, true);
        return sl ? 16 : 8;
    }
    case VIRTIO_CRYPTO_AEAD_ENCRYPT:
    case VIRTIO_CRYPTO_AEAD_DECRYPT:
        if (sl) {
            if (sp) {
                vc__put32(f, 0, sp->u.aead.algo);
                vc__put32(f, 4, k1len);
                vc__put32(f, 8, sp->u.aead.op);
                tag_len = sp->u.aead.tag_len;
            }
            vc__put32(f, 12, op->iv_len);
            vc__put32(f, 16, tag_len);
            vc__put32(f, 20, op->aad_len);
            vc__put32(f, 24, op->src_len);
            vc__put32(f, 28, op->dst_len);
            piece(b, k1, k1len, false);
        } else {
            vc__put32(f, 0, op->iv_len);
            vc__put32(f, 4, op->aad_len);
            vc__put32(f, 8, op->src_len);
            vc__put32(f, 12, op->dst_len);
            vc__put32(f, 16, tag_len);
        }
        piece(b, op->iv, op->iv_len, false);
        piece(b, op->src, op->src_len, false);
        piece(b, op->aad, op->aad_len, false);
        wpiece(b, op->dst, op->dst_len, false);
        return sl ? 32 : 24;
    default: { /* AKCIPHER */
        uint32_t o = 0;
        if (sl) {
            if (sp) {
                vc__put32(f, 0, sp->u.akcipher.algo);
                vc__put32(f, 4, sp->u.akcipher.key_type);
                vc__put32(f, 8, k1len);
                if (sp->u.akcipher.algo == VIRTIO_CRYPTO_AKCIPHER_RSA) {
                    vc__put32(f, 12, sp->u.akcipher.rsa_padding);
                    vc__put32(f, 16, sp->u.akcipher.rsa_hash);
                } else {
                    vc__put32(f, 12, sp->u.akcipher.curve);
                }
            }
            o = 20;
            piece(b, k1, k1len, false);
        }
        vc__put32(f, o, op->src_len);
        vc__put32(f, o + 4, op->dst_len);
        piece(b, op->src, op->src_len, false);
        if (op->opcode == VIRTIO_CRYPTO_AKCIPHER_VERIFY)
            /* verify: src = signature || digest, no writable data */
            piece(b, op->dst, op->dst_len, false);
        else
            wpiece(b, op->dst, op->dst_len, false);
        return sl ? 28 : 8;
    }
    }
}

static uint32_t params_algo(const struct vc_session_params *p)
{
    switch (p->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return p->u.cipher.algo;
    case VIRTIO_CRYPTO_SERVICE_HASH:
        return p->u.hash.algo;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        return p->u.mac.algo;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        return p->u.aead.algo;
    default:
        return p->u.akcipher.algo;
    }
}

static bool known_opcode(uint32_t opc)
{
    switch (opc) {
    case VIRTIO_CRYPTO_CIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_CIPHER_DECRYPT:
    case VIRTIO_CRYPTO_HASH:
    case VIRTIO_CRYPTO_MAC:
    case VIRTIO_CRYPTO_AEAD_ENCRYPT:
    case VIRTIO_CRYPTO_AEAD_DECRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_DECRYPT:
    case VIRTIO_CRYPTO_AKCIPHER_SIGN:
    case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
        return true;
    default:
        return false;
    }
}

static void tmpl_key(const struct vc_op *op, struct vc__tmpl_key *k)
{
    memset(k, 0, sizeof(*k));
    k->session = op->session;
    k->sid = op->session->id;
    k->opcode = op->opcode;
    k->iv_len = op->iv_len, k->aad_len = op->aad_len, k->src_len = op->src_len;
    k->dst_len = op->dst_len, k->digest_len = op->digest_len;
    k->cipher_offset = op->cipher_offset, k->cipher_len = op->cipher_len;
    k->hash_offset = op->hash_offset, k->hash_len = op->hash_len;
    k->iv = op->iv, k->aad = op->aad, k->src = op->src;
    k->dst = op->dst, k->digest = op->digest;
}

/* The prepared path: op is laid out exactly as the slot's last request
 * (same session, opcode, lengths and buffers), so the shared header and
 * table are still right; only the IV copy and the status byte change. The
 * caller keeps passing the same op structs with new data and IVs in the
 * same buffers: the common shape of a busy user. */
static bool submit_prepared(struct vc_qp *qp, struct vc_op *op, uint16_t head)
{
    struct vc__slot *slot = &qp->slots[head];
    if (!slot->tmpl || op->session == NULL || op->session != slot->key.session)
        return false;
    struct vc__tmpl_key k;
    tmpl_key(op, &k);
    if (memcmp(&k, &slot->key, sizeof(k)) != 0)
        return false;
    uint8_t *meta = qp->slot_base + (size_t)head * qp->stride;
    if (slot->iv_bounce)
        memcpy(slot->iv_bounce, op->iv, op->iv_len);
    meta[VC__DATA_STATUS] = VC__STATUS_UNSET;
    if (vc_drv_add_indirect_at(&qp->ring, head, vc__addr(meta + VC__META_TABLE),
                               slot->tmpl_ndesc, slot->tmpl_wr_len) != 0)
        return false; /* cannot happen: head is free; the full path decides */
    slot->op = op;
    op->priv_slot = (uint32_t)head + 1;
    qp->prepared++;
    return true;
}

/* Builds op into slot `head` and makes it available. Returns 0, or the
 * local status to complete it with. */
static uint8_t submit(struct vc_qp *qp, struct vc_op *op, uint16_t head)
{
    struct vc_dev *d = qp->dev;
    const struct vc_session *s = op->session;
    uint32_t service = op->opcode >> 8;
    if (!known_opcode(op->opcode))
        return VC_OP_STATUS_INVALID;
    /* HASH and MAC requests carry no IV: refuse one rather than drop it. */
    if ((service == VIRTIO_CRYPTO_SERVICE_HASH || service == VIRTIO_CRYPTO_SERVICE_MAC) &&
        op->iv_len != 0)
        return VC_OP_STATUS_INVALID;
    bool sl_mode = (d->info.stateless >> service) & 1;
    if (s) {
        if (s->dev != d || s->service != service)
            return VC_OP_STATUS_INVALID;
    } else {
        if (!sl_mode)
            return VC_OP_STATUS_NOTSUPP_LOCAL;
        if (!op->stateless || op->stateless->service != service)
            return VC_OP_STATUS_INVALID;
    }
    bool chain = s ? s->chain
                   : (service == VIRTIO_CRYPTO_SERVICE_CIPHER &&
                      op->stateless->u.cipher.chain_hash_mode != 0);

    if (submit_prepared(qp, op, head))
        return 0;
    uint8_t *meta = qp->slot_base + (size_t)head * qp->stride;
    struct vc__slot *slot = &qp->slots[head];
    memset(slot, 0, sizeof(*slot));
    /* Header and table are built privately, then put_if_changed. */
    struct virtq_desc table[VC__MAX_PIECES];
    uint8_t h[HDR + 76];
    struct build b = {.qp = qp, .slot = slot, .table = table,
                      .bounce = meta + VC__DATA_STATUS + VC__BOUNCE_START};
    memset(h, 0, sizeof(h));
    b.n = 1; /* table[0] is the fixed part, filled below */
    uint32_t flf = build_body(&b, op, chain, sl_mode, s ? NULL : op->stateless,
                              s ? s->tag_len : 0, h + HDR);
    if (b.err)
        return b.err;
    if (b.vlf > d->info.max_size)
        return VC_OP_STATUS_TOO_BIG;
    /* "If VIRTIO_CRYPTO_F_REVISION_1 is not negotiated, the fixed-length
     * parameters are padded to VIRTIO_CRYPTO_DATAQ_OP_SPEC_HDR_LEGACY." */
    uint32_t fixed = d->info.revision_1 ? HDR + flf : LEGACY_FIXED;
    vc__put32(h, 0, op->opcode);
    /* op_header.algo: "used in stateless mode"; the session's otherwise. */
    vc__put32(h, 4, s ? s->algo : params_algo(op->stateless));
    vc__put64(h, 8, s ? s->id : 0);
    /* Driver normative: "set flag to 0 (stateless) or SESSION_MODE when the
     * stateless bit is on"; harmless otherwise. */
    if (s && d->info.revision_1)
        vc__put32(h, 16, VIRTIO_CRYPTO_FLAG_SESSION_MODE);
    uint8_t *sh = meta + VC__META_HDR;
    put_if_changed(sh, h, fixed); /* the device reads exactly fixed bytes */
    b.table[0].addr = htole64(vc__addr(sh));
    b.table[0].len = htole32(fixed);
    b.table[0].flags = 0;
    /* The status byte: last writable byte of the chain. */
    uint8_t *st = meta + VC__DATA_STATUS;
    *st = VC__STATUS_UNSET;
    b.table[b.n].addr = htole64(vc__addr(st));
    b.table[b.n].len = htole32(1);
    b.table[b.n].flags = VIRTQ_DESC_F_WRITE;
    b.n++;
    b.wr_len++;
    for (uint32_t i = 0; i < b.n; i++) {
        uint16_t fl = b.table[i].flags;
        b.table[i].flags = htole16((uint16_t)(fl | (i + 1 < b.n ? VIRTQ_DESC_F_NEXT : 0)));
        b.table[i].next = htole16((uint16_t)(i + 1 < b.n ? i + 1 : 0));
    }
    struct virtq_desc *stab = (struct virtq_desc *)(void *)(meta + VC__META_TABLE);
    put_if_changed(stab, table, b.n * sizeof(table[0]));
    if (vc_drv_add_indirect_at(&qp->ring, head, vc__addr(stab), b.n, (uint32_t)b.wr_len) != 0)
        return VC_OP_STATUS_INVALID; /* cannot happen: head was free */
    slot->op = op;
    op->priv_slot = (uint32_t)head + 1;
    /* Reusable as is next time if nothing but the IV was copied (sessions
     * only: stateless requests carry keys). */
    bool iv_copied = op->iv_len > 0 && !vc__in_region(d, op->iv, op->iv_len);
    uint32_t iv_room = iv_copied ? (op->iv_len + 7u) & ~7u : 0;
    if (s && !slot->copy_dst && !slot->copy_digest && b.bounce_used == iv_room &&
        (service == VIRTIO_CRYPTO_SERVICE_CIPHER || service == VIRTIO_CRYPTO_SERVICE_AEAD ||
         op->iv_len == 0)) {
        tmpl_key(op, &slot->key);
        slot->iv_bounce = iv_copied ? b.bounce : NULL;
        slot->tmpl_ndesc = b.n;
        slot->tmpl_wr_len = (uint32_t)b.wr_len;
        slot->tmpl = true;
    }
    return 0;
}

uint16_t vc_enqueue_burst(struct vc_qp *qp, struct vc_op **ops, uint16_t n)
{
    if (VC_UNLIKELY(!qp || !ops))
        return 0;
    if (atomic_load_explicit(&qp->dev->state, memory_order_relaxed) != 0)
        return 0;
    uint16_t i;
    bool posted = false;
    /* The slots the burst will use: their status/IV line (written below)
     * and descriptor table, fetched together rather than missed one by one. */
    uint16_t heads[32];
    uint32_t m = vc_drv_peek_free(&qp->ring, heads, n < 32 ? n : 32);
    for (uint32_t j = 0; j < m; j++) {
        uint32_t hint = ops[j] ? ops[j]->priv_slot : 0;
        uint16_t h = hint != 0 && vc_drv_is_free(&qp->ring, hint - 1) ? (uint16_t)(hint - 1)
                                                                        : heads[j];
        uint8_t *meta = qp->slot_base + (size_t)h * qp->stride;
        __builtin_prefetch(meta + VC__DATA_STATUS, 1, 3);
        __builtin_prefetch(meta + VC__META_TABLE, 1, 3);
    }
    for (i = 0; i < n; i++) {
        if (qp->ring.inflight + qp->local_n >= qp->size)
            break;
        struct vc_op *op = ops[i];
        if (VC_UNLIKELY(!op))
            break; /* not accepted, so nothing to complete */
        /* Each op takes exactly one descriptor: the one it had last time
         * if that is free (its slot may still hold its request layout),
         * else the next free one. */
        uint32_t hint = op->priv_slot;
        uint16_t head = hint != 0 && vc_drv_is_free(&qp->ring, hint - 1)
                            ? (uint16_t)(hint - 1)
                            : vc_drv_next_free(&qp->ring);
        uint8_t st = submit(qp, op, head);
        if (st)
            local_push(qp, op, st);
        else
            posted = true;
    }
    if (posted) {
        vc_drv_publish(&qp->ring);
        if (vc_drv_kick_prepare(&qp->ring)) {
            vc_evfd_signal(qp->kick_fd);
            qp->kicks++;
        }
    }
    return i;
}

static struct vc_op *complete(struct vc_qp *qp, uint16_t head, uint32_t len, bool len_bad)
{
    struct vc__slot *slot = &qp->slots[head];
    struct vc_op *op = slot->op;
    slot->op = NULL;
    uint8_t st = *(volatile uint8_t *)(qp->slot_base + (size_t)head * qp->stride + VC__DATA_STATUS);
    /* hostile-inputs #40: status byte in range, used len within what we
     * offered and at least the status byte. */
    if (len_bad || len == 0 || st > VIRTIO_CRYPTO_MAX_STATUS)
        st = VC_OP_STATUS_BAD_DEVICE;
    op->status = st;
    op->dst_written = 0;
    if (st == VIRTIO_CRYPTO_OK) {
        uint32_t w = len - 1;
        uint32_t dw = w > slot->digest_sent ? w - slot->digest_sent : 0;
        dw = VC_MIN(dw, slot->dst_sent);
        op->dst_written = dw;
        if (slot->copy_dst)
            memcpy(slot->copy_dst, slot->bounce_dst, dw);
        if (slot->copy_digest)
            memcpy(slot->copy_digest, slot->bounce_digest, slot->digest_sent);
    }
    return op;
}

struct abort_ctx {
    struct vc_qp *qp;
    uint8_t status;
};

static void abort_one(void *arg, uint16_t head)
{
    struct abort_ctx *a = arg;
    struct vc__slot *slot = &a->qp->slots[head];
    struct vc_op *op = slot->op;
    slot->op = NULL;
    if (op)
        local_push(a->qp, op, a->status);
}

uint16_t vc_dequeue_burst(struct vc_qp *qp, struct vc_op **ops, uint16_t n)
{
    if (VC_UNLIKELY(!qp || !ops))
        return 0;
    uint16_t k = 0;
    if (qp->ring.cb_enabled)
        vc_drv_disable_cb(&qp->ring);
    /* The status bytes sit in lines the device just wrote: fetch them all
     * at once, for writing, since the next op on the slot writes its IV
     * there (one transfer per line instead of a read then an upgrade). */
    uint16_t ids[32];
    uint32_t m = vc_drv_peek_used(&qp->ring, ids, n < 32 ? n : 32);
    for (uint32_t i = 0; i < m; i++)
        __builtin_prefetch(qp->slot_base + (size_t)ids[i] * qp->stride + VC__DATA_STATUS, 1, 3);
    int state = atomic_load_explicit(&qp->dev->state, memory_order_acquire);
    while (k < n) {
        if (qp->local_n) {
            ops[k++] = local_pop(qp);
            continue;
        }
        uint16_t head;
        uint32_t len;
        int r = vc_drv_get(&qp->ring, &head, &len);
        if (r == 0 || r == VC_ERANGE) {
            ops[k++] = complete(qp, head, len, r == VC_ERANGE);
            continue;
        }
        /* VC_EAGAIN on a working device: nothing more for now. */
        if ((r != VC_EBROKEN && state == 0) || !qp->ring.inflight)
            break;
        /* Device lost: what it completed before going away came out above;
         * everything else completes here, once. A ring the device
         * corrupted is treated the same way, with BAD_DEVICE. */
        if (r == VC_EBROKEN) {
            vc__dev_set_state(qp->dev, VC_EBROKEN);
            state = atomic_load(&qp->dev->state);
        }
        struct abort_ctx a = {qp, state == VC_EIO ? VC_OP_STATUS_DEVICE_LOST
                                                  : VC_OP_STATUS_BAD_DEVICE};
        vc_drv_abort_all(&qp->ring, abort_one, &a);
    }
    return k;
}

uint32_t vc_qp_inflight(const struct vc_qp *qp)
{
    return qp ? qp->ring.inflight + qp->local_n : 0;
}

int vc_qp_eventfd(struct vc_qp *qp)
{
    return qp ? qp->call_fd : -1;
}

bool vc_qp_arm(struct vc_qp *qp)
{
    return vc_qp_arm_batch(qp, 1);
}

bool vc_qp_arm_batch(struct vc_qp *qp, uint32_t n)
{
    if (!qp)
        return false;
    vc_evfd_drain(qp->call_fd);
    if (qp->local_n)
        return true;
    if (atomic_load(&qp->dev->state) != 0)
        return qp->ring.inflight > 0;
    if (n > qp->ring.inflight)
        n = qp->ring.inflight;
    return vc_drv_enable_cb_after(&qp->ring, (uint16_t)(n ? n : 1));
}
