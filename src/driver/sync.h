/* Synchronous helper for tools and tests inside this tree (the vcrypto CLI,
 * KAT adapters): run one op and wait for it. INTERNAL, not part of the
 * public API (include/vcrypto/vcrypto.h); link with vcrypto_dep.
 *
 * Threading: the same rule as the burst API: qp must be used by one thread
 * at a time, and must have NO other op in flight (this helper dequeues
 * whatever completes and expects only its own op).
 */
#ifndef VC_DRIVER_SYNC_H
#define VC_DRIVER_SYNC_H

#include <stdint.h>

#include "vcrypto/vcrypto.h"

/* Enqueues op on qp and waits up to timeout_ms (0 = 5000) for its
 * completion: spins briefly, then sleeps on the qp's eventfd.
 * Returns 0 when the op completed (its outcome is op->status, which may be
 * any virtio or VC_OP_STATUS_* code), or VC_EINVAL (NULL argument, or
 * other ops in flight on qp), VC_EIO (device lost before the op was
 * accepted, or no completion within the timeout: the op then still belongs
 * to the library until it completes, so do not reuse or free it).
 * @see vc_enqueue_burst, vc_dequeue_burst */
int vc__sync_run(struct vc_qp *qp, struct vc_op *op, uint32_t timeout_ms);

/* vc__sync_run on queue pair 0 of dev. */
int vc__sync_op(struct vc_dev *dev, struct vc_op *op, uint32_t timeout_ms);

#endif
