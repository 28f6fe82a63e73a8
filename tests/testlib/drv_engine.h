/* The crypto-engine interface (src/engine/engine.h) on top of libvcrypto.
 *
 * OVERVIEW
 * Conformance suites written against struct vc_engine_ops (the KATs in
 * tests/kat/) run unchanged through the whole driver path with this
 * adapter: every session is a vc_session_create control round trip, every
 * op is one struct vc_op through vc_enqueue_burst / vc_dequeue_burst on a
 * device opened with vc_dev_open ("inproc" or "vhost-user:PATH"). The
 * answer is the device's, mapped back to virtio statuses (table below), so
 * a suite judges the device exactly as it judges the engine.
 *
 * Backends are named by a string, read from VC_KAT_BACKEND by
 * drv_engine_backend():
 *
 *   "engine" (or unset/empty)  vc_engine_openssl, called directly;
 *   "inproc"                    libvcrypto's in-process device;
 *   "vhost-user:PATH"           vcryptod listening on PATH.
 *
 * STATUS MAPPING
 * Session create returns 0 or a VC_E* code; the adapter turns it back into
 * the status the device (or the engine under it) gave:
 *
 *   0            OK
 *   VC_ENOTSUP   NOTSUPP  (device NOTSUPP, or algorithm/service not in the
 *                          config masks: the device would say NOTSUPP too)
 *   VC_EINVAL    ERR      (device ERR, or a local parameter check)
 *   VC_ERANGE    ERR      (key above max_cipher/auth_key_len: the engine
 *                          refuses such keys with ERR, docs/STATUS.md)
 *   VC_ENOSPC    NOSPC    (session table full; a test setup problem)
 *   VC_ENOMEM    ERR      (engine: "out of memory -> ERR")
 *   VC_EIO       VC_OP_STATUS_DEVICE_LOST  (not a virtio status: fails)
 *   other        VC_OP_STATUS_BAD_DEVICE   (not a virtio status: fails)
 *
 * Op statuses are virtio statuses straight from the device, except the
 * driver-side ones:
 *
 *   VC_OP_STATUS_TOO_BIG        ERR      (above max_size; the device's
 *                                         answer for that, docs/STATUS.md)
 *   VC_OP_STATUS_INVALID        ERR      (layout the library refuses)
 *   VC_OP_STATUS_NOTSUPP_LOCAL  NOTSUPP
 *   VC_OP_STATUS_DEVICE_LOST, _BAD_DEVICE, a sync timeout: passed through
 *                               (not virtio statuses, so every suite fails)
 *
 * Requests libvcrypto cannot express are answered by the adapter with the
 * engine's documented status, without a device round trip: a NULL session
 * (INVSESS; libvcrypto would read NULL as a stateless op), a worker index
 * >= nworkers (ERR), a sym op_type other than CIPHER/CHAINING (NOTSUPP), a
 * chaining session with hash mode 0 (ERR; libvcrypto reads 0 as "no
 * chaining"), a length above 4 GiB - 1 (ERR; vc_op lengths are 32-bit and
 * such an op is far above any max_size), a HASH or MAC op with an IV (ERR;
 * virtio_crypto_mac_data_req has no IV field and libvcrypto ignores iv).
 *
 * CAPABILITIES
 * The virtio config space carries algorithm masks, key-length limits and
 * max_size only. The per-algorithm ranges (key/IV/tag sizes, RSA bits,
 * curves) are those of vc_engine_openssl, the engine vcryptod and the
 * inproc device run; the adapter keeps the rows whose algorithm the device
 * advertises, caps key_max at the device's key limits and takes max_size
 * from the device. MAC rows that need an IV (AES-GMAC) are left out even
 * when the device advertises them: no virtio MAC request can carry it.
 *
 * MEMORY AND THREADING
 * Each op's buffers are gathered into one vc_mem_alloc block (zero copy to
 * the device) and dst/digest scattered back after completion, so bytes the
 * device does not write keep their previous contents, as in guest memory.
 * The device is opened with one queue pair per worker; worker w uses queue
 * pair w only, so the engine.h rule (one thread per worker index) gives
 * libvcrypto's rule (one thread per qp). Sessions are shared by all qps.
 * Ops are synchronous (vc__sync_run, 120 s timeout).
 */
#ifndef VC_TESTS_TESTLIB_DRV_ENGINE_H
#define VC_TESTS_TESTLIB_DRV_ENGINE_H

#include "engine/engine.h"

/* The adapter as a vtable; its create() opens "inproc". */
extern const struct vc_engine_ops vc_test_drv_engine;

/* Returns $VC_KAT_BACKEND, or "engine" when unset or empty. The string is
 * not owned by the caller. */
const char *drv_engine_backend(void);

/* Creates an engine instance for backend (see OVERVIEW; NULL = "engine")
 * with cfg->nworkers workers; free it with vc_engine_destroy().
 * Returns 0, or a VC_E* code: VC_EINVAL for an unknown backend name, else
 * what vc_engine_create / vc_dev_open returned. Also fails (VC_ENOTSUP) if
 * the device gives fewer queue pairs than workers. */
int drv_engine_create(const char *backend, const struct vc_engine_cfg *cfg,
                      struct vc_engine **out);

#endif
