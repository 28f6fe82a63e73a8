/* Synchronous one-op helper (see sync.h). Spins for a few microseconds
 * first (a small op through a polling backend completes in about that
 * time), then arms the qp's interrupt and sleeps on its eventfd. */
#include "driver/sync.h"

#include <poll.h>

#include "driver/internal.h"

#define SPIN_NS 20000u

int vc__sync_run(struct vc_qp *qp, struct vc_op *op, uint32_t timeout_ms)
{
    if (!qp || !op || vc_qp_inflight(qp) != 0)
        return VC_EINVAL;
    if (!timeout_ms)
        timeout_ms = 5000;
    if (vc_enqueue_burst(qp, &op, 1) != 1)
        return VC_EIO;
    uint64_t start = vc_now_ns(), end = start + (uint64_t)timeout_ms * 1000000u;
    struct vc_op *done;
    for (;;) {
        if (vc_dequeue_burst(qp, &done, 1) == 1)
            return done == op ? 0 : VC_EINVAL;
        uint64_t now = vc_now_ns();
        if (now >= end)
            return VC_EIO;
        if (now - start < SPIN_NS)
            continue;
        if (vc_qp_arm(qp))
            continue;
        struct pollfd pf = {.fd = vc_qp_eventfd(qp), .events = POLLIN};
        uint64_t left_ms = (end - now) / 1000000u + 1;
        (void)poll(&pf, 1, (int)(left_ms < 1000 ? left_ms : 1000));
    }
}

int vc__sync_op(struct vc_dev *dev, struct vc_op *op, uint32_t timeout_ms)
{
    return vc__sync_run(vc_dev_qp(dev, 0), op, timeout_ms);
}
