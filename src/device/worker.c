/* Queue worker (see worker.h for the loop's shape and contract). */
#include "device/worker.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/evfd.h"
#include "common/log.h"
#include "vcrypto/err.h"

/* Completions published per used-index store. */
#define BATCH 64

struct batch {
    struct vc_vq_done done[BATCH];
    uint32_t n;
};

static void flush(struct vc_qworker *w, struct batch *b)
{
    if (b->n == 0)
        return;
    if (!vc_ok(vc_vq_push_n(w->vq, b->done, b->n)))
        VC_ERR("queue worker: completion of %u requests refused", b->n);
    b->n = 0;
    if (vc_vq_should_notify(w->vq)) {
        vc_evfd_signal(w->call_fd);
        if (w->stats)
            vc_stat_add(&w->stats->notifies, 1);
    }
}

/* Waits ns (in slices, so a stop request is seen within 10 ms). */
static void throttle_wait(struct vc_qworker *w, uint64_t ns)
{
    if (w->stats)
        vc_stat_add(&w->stats->throttled_ns, ns);
    while (ns > 0 && !atomic_load_explicit(&w->stop, memory_order_relaxed)) {
        uint64_t slice = ns < 10000000u ? ns : 10000000u;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)slice};
        nanosleep(&ts, NULL);
        ns -= slice;
    }
}

/* Tokens for one finished request; returns the time to wait (0 = none). */
static uint64_t charge(struct vc_qworker *w, const struct vc_req_result *res)
{
    if (!w->rate_ops && !w->rate_bytes)
        return 0;
    uint64_t now = vc_now_ns();
    uint64_t a = vc_tbucket_take(&w->tb_ops, 1, now);
    uint64_t b = vc_tbucket_take(&w->tb_bytes, res->cost_bytes, now);
    return a > b ? a : b;
}

/* Requests popped ahead of the one being handled: their first bytes are
 * prefetched when popped, so the cache misses on what the driver just wrote
 * (IV, header, the status byte's line) overlap instead of coming one per
 * request (measured: docs/LIBVCRYPTO.md "Performance"). */
#define LOOKAHEAD 8

/* Touches the lines a request will need first: each readable piece's first
 * line, and for writing the line of the status byte (the chain's last). */
static void prefetch_elem(const struct vc_vq_elem *e)
{
    uint32_t n = e->rd_cnt + e->wr_cnt;
    for (uint32_t i = 0; i < e->rd_cnt && i < 4; i++)
        __builtin_prefetch(e->iov[i].base, 0, 3);
    if (e->wr_cnt > 0) {
        const struct vc_iov *last = &e->iov[n - 1];
        __builtin_prefetch(last->base + last->len - 1, 1, 3);
    }
}

/* Handles one popped request and adds its completion to the batch. */
static void handle_one(struct vc_qworker *w, struct batch *b, const struct vc_vq_elem *elem)
{
    struct vc_sg rd, wr;
    vc_sg_init(&rd, elem->iov, elem->rd_cnt);
    vc_sg_init(&wr, elem->iov + elem->rd_cnt, elem->wr_cnt);
    struct vc_req_result res;
    w->handle(w->arg, &rd, &wr, &res);
    if (res.no_status)
        VC_WARN("queue worker: request without room for a status byte");
    b->done[b->n].head = elem->head;
    b->done[b->n].len = res.used_len;
    uint64_t wait = charge(w, &res);
    /* A slow request (RSA, ECDSA) publishes what is done so far, so fast
     * requests batched before it are not held back; so does a queue that
     * must wait for rate-limit tokens. */
    if (++b->n == BATCH || res.flush || wait)
        flush(w, b);
    if (wait)
        throttle_wait(w, wait);
}

/* Drains the ring once. Returns false if the ring is broken (after
 * completing every request it had popped). */
static bool drain(struct vc_qworker *w)
{
    struct batch b = {.n = 0};
    struct vc_vq_elem elem[LOOKAHEAD];
    for (;;) {
        uint32_t np = 0;
        int err = 0;
        while (np < LOOKAHEAD) {
            elem[np].iov = np == 0 ? w->iov : w->la_iov + (size_t)(np - 1) * w->iov_max;
            elem[np].iov_max = w->iov_max;
            vc_result r = vc_vq_pop(w->vq, w->gmem, &elem[np]);
            if (r.err != 0) {
                err = r.err;
                break;
            }
            prefetch_elem(&elem[np]);
            np++;
        }
        for (uint32_t i = 0; i < np; i++)
            handle_one(w, &b, &elem[i]);
        if (np == LOOKAHEAD)
            continue; /* err == 0: there may be more */
        flush(w, &b);
        return err == VC_EAGAIN;
    }
}

/* Spins up to poll_us for new requests. True if some arrived. */
static bool spin(struct vc_qworker *w)
{
    if (!w->poll_us)
        return false;
    uint64_t until = vc_now_ns() + (uint64_t)w->poll_us * 1000u;
    for (uint32_t i = 1; !atomic_load_explicit(&w->stop, memory_order_relaxed); i++) {
        if (vc_vq_has_avail(w->vq))
            return true;
        /* With fewer free cores than spinners, the driver we wait for may
         * need this very CPU (measured: 55-60 us per burst-1 request without
         * the yield). The clock is read every 16 turns only. */
        sched_yield();
        if (i % 16 == 0 && vc_now_ns() >= until)
            return false;
    }
    return false;
}

static void *run(void *arg)
{
    struct vc_qworker *w = arg;
    struct pollfd pfd[2] = {{.fd = w->stop_fd, .events = POLLIN},
                            {.fd = w->kick_fd, .events = POLLIN}};
    nfds_t npfd = w->kick_fd >= 0 ? 2 : 1;
    while (!atomic_load(&w->stop)) {
        vc_vq_disable_notify(w->vq);
        if (!drain(w)) {
            /* DEVICE_NEEDS_RESET semantics: only this queue stops. */
            vc_evfd_signal(w->err_fd);
            if (w->stats)
                vc_stat_add(&w->stats->broken, 1);
            if (w->on_broken)
                w->on_broken(w->arg);
            if (w->idle)
                w->idle(w->arg);
            while (!atomic_load(&w->stop))
                poll(pfd, 1, -1);
            break;
        }
        if (spin(w))
            continue;
        if (w->idle)
            w->idle(w->arg);
        if (vc_vq_enable_notify(w->vq))
            continue;
        if (poll(pfd, npfd, w->kick_fd >= 0 ? -1 : 1) < 0 && errno != EINTR)
            break;
        if (npfd == 2 && (pfd[1].revents & POLLIN)) {
            vc_evfd_drain(w->kick_fd);
            if (w->stats)
                vc_stat_add(&w->stats->kicks, 1);
        }
    }
    if (w->idle)
        w->idle(w->arg);
    return NULL;
}

int vc_qworker_start(struct vc_qworker *w)
{
    if (w->running || !w->handle || !w->vq || !w->iov)
        return VC_EINVAL;
    atomic_store(&w->stop, false);
    w->la_iov = calloc((size_t)(LOOKAHEAD - 1) * w->iov_max, sizeof(*w->la_iov));
    if (w->la_iov == NULL)
        return VC_ENOMEM;
    uint64_t now = vc_now_ns();
    vc_tbucket_init(&w->tb_ops, w->rate_ops, 0, now);
    vc_tbucket_init(&w->tb_bytes, w->rate_bytes, 0, now);
    w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->stop_fd < 0) {
        free(w->la_iov);
        w->la_iov = NULL;
        return VC_ENOMEM;
    }
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        close(w->stop_fd);
        w->stop_fd = -1;
        free(w->la_iov);
        w->la_iov = NULL;
        return VC_ENOMEM;
    }
    w->running = true;
    return 0;
}

void vc_qworker_stop(struct vc_qworker *w)
{
    if (!w->running)
        return;
    atomic_store(&w->stop, true);
    vc_evfd_signal(w->stop_fd);
    pthread_join(w->thread, NULL);
    close(w->stop_fd);
    w->stop_fd = -1;
    free(w->la_iov);
    w->la_iov = NULL;
    w->running = false;
}

void vc_qworker_dataq_idle(void *arg)
{
    vc_dataq_idle(arg);
}

void vc_qworker_dataq(void *arg, const struct vc_sg *rd, const struct vc_sg *wr,
                      struct vc_req_result *res)
{
    struct vc_dataq_ctx *ctx = arg;
    vc_dataq_handle(ctx, rd, wr, res, ctx->stats);
}
