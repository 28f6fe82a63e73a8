/* The device-side queue worker shared by vcryptod and the in-process device.
 *
 * One thread per queue, in the shape STYLE.md rule 8 asks for: disable kicks;
 * drain (pop, handle, complete); publish the batch with one used-index store
 * and at most one used-buffer notification; optionally spin poll_us on the
 * avail index (yielding the CPU each turn, since the driver may need it);
 * re-enable kicks and re-check the ring to close the race with a driver that
 * published meanwhile; sleep on the kick eventfd.
 *
 * Rate limits (rate_ops, rate_bytes): after each request the worker takes
 * tokens; when a bucket is in debt it publishes what is done and waits until
 * the debt is repaid before serving the queue again (hostile-inputs #38).
 *
 * A corrupt ring (vc_vq_pop returns VC_EBROKEN) stops only this queue: the
 * worker signals err_fd, calls on_broken once and waits to be stopped.
 *
 * Ownership: struct vc_qworker is caller-allocated; the caller fills the
 * "setup" part, starts the worker, and must keep vq, gmem, fds and iov
 * valid until vc_qworker_stop returns. The worker never closes the caller's
 * fds.
 *
 * Threading: vc_qworker_start/stop are called by the owner's thread; handle
 * and on_broken run on the worker thread.
 */
#ifndef VC_DEVICE_WORKER_H
#define VC_DEVICE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "device/dataq.h"
#include "device/stats.h"
#include "device/throttle.h"
#include "virtq/vq.h"

typedef void (*vc_qworker_handle_fn)(void *arg, const struct vc_sg *rd, const struct vc_sg *wr,
                                     struct vc_req_result *res);

struct vc_qworker {
    /* setup */
    struct vc_vq *vq;
    const struct vc_gmem *gmem;
    int kick_fd;      /* -1: no kicks, the worker polls every millisecond */
    int call_fd;      /* -1: no notifications */
    int err_fd;       /* -1: none */
    uint32_t poll_us; /* spin this long before sleeping */
    struct vc_iov *iov; /* storage for one popped chain */
    uint32_t iov_max;
    vc_qworker_handle_fn handle;
    void *arg;
    struct vc_qstats *stats;     /* may be NULL */
    void (*on_broken)(void *arg); /* may be NULL */
    void (*idle)(void *arg);      /* may be NULL: before each sleep and at exit */
    uint64_t rate_ops;           /* requests per second; 0 = unlimited */
    uint64_t rate_bytes;         /* source bytes per second; 0 = unlimited */
    /* private */
    struct vc_iov *la_iov; /* look-ahead chains: (LOOKAHEAD - 1) * iov_max */
    struct vc_tbucket tb_ops, tb_bytes;
    pthread_t thread;
    atomic_bool stop;
    int stop_fd;
    bool running;
};

/* Starts the worker thread. Returns 0, or VC_EINVAL (already running, no
 * handler) / VC_ENOMEM. */
int vc_qworker_start(struct vc_qworker *w);

/* Stops and joins the worker; every chain it popped has been completed when
 * this returns. No-op if not running. */
void vc_qworker_stop(struct vc_qworker *w);

/* Handler adapter for data queues: arg is a struct vc_dataq_ctx. */
/* The matching idle hook (arg = the same vc_dataq_ctx): drops its session
 * cache. */
void vc_qworker_dataq_idle(void *arg);
void vc_qworker_dataq(void *arg, const struct vc_sg *rd, const struct vc_sg *wr,
                      struct vc_req_result *res);

#endif
