/* Per-queue statistics. Counters are written by the queue's worker only and
 * read by the control socket with relaxed atomics, so a reader may see a
 * slightly stale but never torn value. */
#ifndef VC_DEVICE_STATS_H
#define VC_DEVICE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "vcrypto/virtio_crypto.h"

struct vc_qstats {
    _Atomic uint64_t requests;
    _Atomic uint64_t bytes_in;  /* source bytes processed */
    _Atomic uint64_t bytes_out; /* bytes written back */
    _Atomic uint64_t status[VIRTIO_CRYPTO_MAX_STATUS + 1];
    _Atomic uint64_t kicks;
    _Atomic uint64_t notifies;
    _Atomic uint64_t broken; /* times the ring was found corrupt */
    _Atomic uint64_t throttled_ns; /* time spent waiting for rate-limit tokens */
};

static inline void vc_stat_add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline uint64_t vc_stat_get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
