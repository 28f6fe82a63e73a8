/* Session table of one virtio-crypto device.
 *
 * Every device (one guest, one vhost-user frontend) has its own table, so a
 * guest can only ever name its own sessions (hostile-inputs #17). The table
 * lives in the device object, not in the connection: it survives a frontend
 * disconnect/reconnect, so the guest's session ids stay valid.
 *
 * Ids: id = (generation << 20) | (slot + 1). A destroyed slot bumps its
 * generation, so a stale id never aliases a newer session. Id 0 is never
 * issued.
 *
 * Capacity is fixed at creation (the per-device session cap); a full table
 * makes create fail with NOSPC (the caller turns that into ERR without
 * REVISION_1, as the spec allows NOSPC only with it).
 *
 * Threading: all functions are thread-safe. Workers look a session up, use it,
 * and put it back; destroy may run concurrently with lookups, and the engine
 * session is freed only after the last user put it back.
 */
#ifndef VC_DEVICE_SESSIONS_H
#define VC_DEVICE_SESSIONS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine/engine.h"

#define VC_SESS_MAX_CAP (1u << 20)

struct vc_sess_slot {
    struct vc_engine_sess *es;
    uint32_t gen;
    uint32_t refs;    /* users in flight + 1 while the session is live */
    uint32_t service; /* VIRTIO_CRYPTO_SERVICE_* of the session */
    uint8_t live;
    uint32_t next_free;
};

struct vc_sess_table {
    pthread_mutex_t lock;
    struct vc_engine *engine;
    struct vc_sess_slot *slots;
    uint32_t cap;
    uint32_t used;
    uint32_t free_head; /* UINT32_MAX = none */
    /* Counters for statistics (under lock). */
    uint64_t created, refused, destroyed;
    /* Bumped (under lock, release) by every destroy: a vc_sess_cache entry
     * taken at an older epoch is looked up again. */
    _Atomic uint64_t epoch;
};

/* One worker's last session, held across requests so that a run of
 * requests on one session costs one atomic load each instead of a lock
 * round trip (vc_sess_get_cached). The entry owns one reference. Owned by
 * a single thread; zero-initialise; drop it (vc_sess_cache_drop) before
 * the thread sleeps or exits, so a destroyed session's key does not
 * outlive its destroy by more than the worker's polling window. */
struct vc_sess_cache {
    struct vc_engine_sess *es; /* NULL = empty */
    uint64_t id, epoch;
    uint32_t service;
};

/* Sets up a table for cap sessions (1..VC_SESS_MAX_CAP) on engine.
 * Returns 0 or VC_EINVAL / VC_ENOMEM. */
int vc_sess_table_init(struct vc_sess_table *t, struct vc_engine *engine, uint32_t cap);
/* Destroys every remaining session (wiping keys) and frees the table. No
 * lookups may be in flight. */
void vc_sess_table_fini(struct vc_sess_table *t);

/* Creates an engine session from p and returns its id in *id. Status:
 * VIRTIO_CRYPTO_OK, NOTSUPP/ERR from the engine, or NOSPC when full. */
uint8_t vc_sess_create(struct vc_sess_table *t, const struct vc_sess_params *p, uint64_t *id);

/* Destroys session id. VIRTIO_CRYPTO_OK, or INVSESS for an id that is out of
 * range, never issued or already destroyed. */
uint8_t vc_sess_destroy(struct vc_sess_table *t, uint64_t id);

/* Looks up id for use by an operation. Returns the engine session and sets
 * *service, or NULL if id is not live (caller answers INVSESS). Every
 * successful get must be paired with vc_sess_put(t, id). */
struct vc_engine_sess *vc_sess_get(struct vc_sess_table *t, uint64_t id, uint32_t *service);
void vc_sess_put(struct vc_sess_table *t, uint64_t id);

/* vc_sess_get through cache c: same answer, but the reference stays in c
 * (no vc_sess_put by the caller). A destroy completed before this call is
 * always seen (the epoch check), so INVSESS semantics are unchanged. */
struct vc_engine_sess *vc_sess_get_cached(struct vc_sess_table *t, struct vc_sess_cache *c,
                                          uint64_t id, uint32_t *service);
/* Releases c's reference, if any. */
void vc_sess_cache_drop(struct vc_sess_table *t, struct vc_sess_cache *c);

/* Number of live sessions. */
uint32_t vc_sess_count(struct vc_sess_table *t);

struct vc_sess_stats {
    uint32_t live;
    uint64_t created;   /* creates that succeeded */
    uint64_t refused;   /* creates the engine refused or that found the table full */
    uint64_t destroyed; /* successful destroys */
};
/* Snapshot of the counters, whichever path (control queue, vhost-user
 * message) created or destroyed the sessions. */
void vc_sess_stats(struct vc_sess_table *t, struct vc_sess_stats *out);

#endif
