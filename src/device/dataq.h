/* Data-queue request handling: one virtio-crypto request in, one status out.
 *
 * The transport (vhost-user vring, in-process ring) hands over a request as
 * two scatter-gather lists: the device-readable part (rd) and the
 * device-writable part (wr) of the descriptor chain, already translated and
 * bounds-checked. This module:
 *   1. copies the fixed header once (no TOCTOU: later guest writes to the
 *      header cannot change what was validated),
 *   2. validates it with one predicate per request type, in 64-bit
 *      arithmetic, against max_size and against the bytes rd/wr provide,
 *   3. slices rd/wr into the engine op and runs it,
 *   4. writes the status byte into the last writable byte (the inhdr).
 *
 * Formats: the legacy layout (no VIRTIO_CRYPTO_F_REVISION_1: 72-byte fixed
 * part, op_flf padded to 48 bytes) that QEMU's frontend and Linux use, the
 * REVISION_1 layout with exact op_flf sizes, and, for a service whose
 * stateless bit was negotiated, the *_flf_stateless layouts: header flag 0
 * means stateless (session parameters in sess_para, keys first in the vlf;
 * a one-request engine session is made and destroyed, keys wiped), flag
 * VIRTIO_CRYPTO_FLAG_SESSION_MODE means session mode in the same layout
 * (sess_para ignored, so no keys in the vlf).
 *
 * Threading: one call runs on one worker thread; ctx->worker selects the
 * engine's per-worker contexts; scratch belongs to that worker.
 */
#ifndef VC_DEVICE_DATAQ_H
#define VC_DEVICE_DATAQ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/sg.h"
#include "device/sessions.h"
#include "device/stats.h"
#include "engine/engine.h"

/* Per-worker scratch: iov storage for slicing and a key buffer for
 * stateless requests, sized at setup. */
struct vc_dataq_scratch {
    struct vc_iov *iov;
    uint32_t per_slice; /* iovs available to each of the 5 slices */
    uint8_t *keys;      /* VC_DATAQ_KEYBUF bytes, wiped after each use */
};

#define VC_DATAQ_KEYBUF (VC_ENGINE_MAX_AKCIPHER_KEY + VC_ENGINE_MAX_AUTH_KEY)

struct vc_dataq_ctx {
    struct vc_sess_table *sessions;
    struct vc_engine *engine;
    uint64_t max_size; /* config max_size: cap on the variable-length part */
    bool revision_1;   /* VIRTIO_CRYPTO_F_REVISION_1 negotiated */
    uint32_t stateless; /* bit s set: stateless mode negotiated for service s
                           (feature bit VIRTIO_CRYPTO_F_*_STATELESS_MODE = s + 1) */
    unsigned worker;
    struct vc_dataq_scratch scratch;
    struct vc_qstats *stats; /* optional, used by vc_qworker_dataq */
    /* Optional: the worker's session cache (sessions.h); NULL = a locked
     * lookup per request. Call vc_dataq_idle before the worker sleeps. */
    struct vc_sess_cache *cache;
};

/* Drops ctx's session cache (see vc_sess_cache). */
void vc_dataq_idle(const struct vc_dataq_ctx *ctx);

struct vc_req_result {
    uint8_t status;    /* VIRTIO_CRYPTO_* written to the inhdr */
    bool no_status;    /* no writable byte for the status: ring-level error */
    uint32_t used_len; /* bytes written into wr, for the used ring */
    bool flush;        /* slow request: publish completions now */
    uint64_t cost_bytes; /* source bytes processed, for rate limits */
};

/* Allocates scratch for requests of at most max_segs descriptors per side.
 * Returns 0 or VC_ENOMEM. */
int vc_dataq_scratch_init(struct vc_dataq_scratch *s, uint32_t max_segs);
void vc_dataq_scratch_fini(struct vc_dataq_scratch *s);

/* Handles one data request. Never fails as a call: the outcome is res.
 * If wr is empty no status can be written and res->no_status is set: the
 * caller must treat the ring as broken (hostile-inputs #20). stats may be
 * NULL. */
void vc_dataq_handle(const struct vc_dataq_ctx *ctx, const struct vc_sg *rd,
                     const struct vc_sg *wr, struct vc_req_result *res, struct vc_qstats *stats);

/* Size of the fixed part (op_header + op_flf) for an opcode: 72 in legacy
 * mode, the exact REVISION_1 size otherwise (the stateless struct's size if
 * stateless is set); 0 for an unknown opcode. */
uint32_t vc_dataq_hdr_len(uint32_t opcode, bool revision_1);
uint32_t vc_dataq_hdr_len_stateless(uint32_t opcode);

#endif
