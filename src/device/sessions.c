#include "device/sessions.h"

#include <stdlib.h>

#include "vcrypto/err.h"

#define SLOT_BITS 20
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define NO_FREE UINT32_MAX

int vc_sess_table_init(struct vc_sess_table *t, struct vc_engine *engine, uint32_t cap)
{
    if (cap == 0 || cap > VC_SESS_MAX_CAP - 1)
        return VC_EINVAL;
    t->slots = calloc(cap, sizeof(*t->slots));
    if (!t->slots)
        return VC_ENOMEM;
    pthread_mutex_init(&t->lock, NULL);
    t->engine = engine;
    t->cap = cap;
    t->used = 0;
    t->created = t->refused = t->destroyed = 0;
    atomic_init(&t->epoch, 0);
    for (uint32_t i = 0; i < cap; i++)
        t->slots[i].next_free = i + 1 < cap ? i + 1 : NO_FREE;
    t->free_head = 0;
    return 0;
}

void vc_sess_table_fini(struct vc_sess_table *t)
{
    if (!t->slots)
        return;
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->slots[i].es)
            vc_engine_sess_destroy(t->engine, t->slots[i].es);
    free(t->slots);
    t->slots = NULL;
    pthread_mutex_destroy(&t->lock);
}

static uint64_t make_id(uint32_t slot, uint32_t gen)
{
    return ((uint64_t)gen << SLOT_BITS) | (uint64_t)(slot + 1);
}

/* Returns the slot of a live id, or NULL. Caller holds the lock. */
static struct vc_sess_slot *find_locked(struct vc_sess_table *t, uint64_t id)
{
    uint64_t low = id & SLOT_MASK;
    if (low == 0 || low > t->cap)
        return NULL;
    struct vc_sess_slot *s = &t->slots[low - 1];
    if (!s->live || (id >> SLOT_BITS) != s->gen)
        return NULL;
    return s;
}

uint8_t vc_sess_create(struct vc_sess_table *t, const struct vc_sess_params *p, uint64_t *id)
{
    /* Engine session set-up (key schedule, DER parsing) runs outside the lock;
     * only the slot claim is serialised. */
    pthread_mutex_lock(&t->lock);
    uint32_t slot = t->free_head;
    if (slot == NO_FREE) {
        t->refused++;
        pthread_mutex_unlock(&t->lock);
        return VIRTIO_CRYPTO_NOSPC;
    }
    t->free_head = t->slots[slot].next_free;
    t->used++;
    pthread_mutex_unlock(&t->lock);

    struct vc_engine_sess *es = NULL;
    uint8_t st = vc_engine_sess_create(t->engine, p, &es);

    pthread_mutex_lock(&t->lock);
    struct vc_sess_slot *s = &t->slots[slot];
    if (st != VIRTIO_CRYPTO_OK) {
        s->next_free = t->free_head;
        t->free_head = slot;
        t->used--;
        t->refused++;
        pthread_mutex_unlock(&t->lock);
        return st;
    }
    s->es = es;
    s->live = 1;
    s->refs = 1;
    s->service = p->service;
    t->created++;
    s->gen = (s->gen + 1) & 0xFFFFFFFu; /* 28 bits keep ids within 48 bits */
    *id = make_id(slot, s->gen);
    pthread_mutex_unlock(&t->lock);
    return VIRTIO_CRYPTO_OK;
}

/* Caller holds the lock and has dropped the last reference. */
static struct vc_engine_sess *release_locked(struct vc_sess_table *t, struct vc_sess_slot *s)
{
    struct vc_engine_sess *es = s->es;
    uint32_t slot = (uint32_t)(s - t->slots);
    s->es = NULL;
    s->next_free = t->free_head;
    t->free_head = slot;
    t->used--;
    return es;
}

uint8_t vc_sess_destroy(struct vc_sess_table *t, uint64_t id)
{
    struct vc_engine_sess *dead = NULL;
    pthread_mutex_lock(&t->lock);
    struct vc_sess_slot *s = find_locked(t, id);
    if (!s) {
        pthread_mutex_unlock(&t->lock);
        return VIRTIO_CRYPTO_INVSESS;
    }
    s->live = 0;
    t->destroyed++;
    atomic_fetch_add_explicit(&t->epoch, 1, memory_order_release);
    if (--s->refs == 0)
        dead = release_locked(t, s);
    pthread_mutex_unlock(&t->lock);
    /* Key wipe and free happen outside the lock. */
    vc_engine_sess_destroy(t->engine, dead);
    return VIRTIO_CRYPTO_OK;
}

struct vc_engine_sess *vc_sess_get(struct vc_sess_table *t, uint64_t id, uint32_t *service)
{
    pthread_mutex_lock(&t->lock);
    struct vc_sess_slot *s = find_locked(t, id);
    struct vc_engine_sess *es = NULL;
    if (s) {
        s->refs++;
        es = s->es;
        *service = s->service;
    }
    pthread_mutex_unlock(&t->lock);
    return es;
}

void vc_sess_put(struct vc_sess_table *t, uint64_t id)
{
    struct vc_engine_sess *dead = NULL;
    uint64_t low = id & SLOT_MASK;
    if (low == 0 || low > t->cap)
        return;
    pthread_mutex_lock(&t->lock);
    struct vc_sess_slot *s = &t->slots[low - 1];
    if (s->refs > 0 && --s->refs == 0)
        dead = release_locked(t, s);
    pthread_mutex_unlock(&t->lock);
    vc_engine_sess_destroy(t->engine, dead);
}

struct vc_engine_sess *vc_sess_get_cached(struct vc_sess_table *t, struct vc_sess_cache *c,
                                          uint64_t id, uint32_t *service)
{
    /* Pairs with the release in vc_sess_destroy: a destroy that happened
     * before this request (the driver saw its answer, then queued us) has
     * bumped the epoch by now. */
    uint64_t ep = atomic_load_explicit(&t->epoch, memory_order_acquire);
    if (c->es != NULL && c->id == id && c->epoch == ep) {
        *service = c->service;
        return c->es;
    }
    vc_sess_cache_drop(t, c);
    pthread_mutex_lock(&t->lock);
    struct vc_sess_slot *s = find_locked(t, id);
    if (s) {
        s->refs++;
        c->es = s->es;
        c->id = id;
        c->service = s->service;
        c->epoch = atomic_load_explicit(&t->epoch, memory_order_relaxed);
        *service = s->service;
    }
    pthread_mutex_unlock(&t->lock);
    return c->es;
}

void vc_sess_cache_drop(struct vc_sess_table *t, struct vc_sess_cache *c)
{
    if (c->es == NULL)
        return;
    c->es = NULL;
    vc_sess_put(t, c->id);
}

uint32_t vc_sess_count(struct vc_sess_table *t)
{
    pthread_mutex_lock(&t->lock);
    uint32_t n = t->used;
    pthread_mutex_unlock(&t->lock);
    return n;
}

void vc_sess_stats(struct vc_sess_table *t, struct vc_sess_stats *out)
{
    pthread_mutex_lock(&t->lock);
    out->live = t->used;
    out->created = t->created;
    out->refused = t->refused;
    out->destroyed = t->destroyed;
    pthread_mutex_unlock(&t->lock);
}
