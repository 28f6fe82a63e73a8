/* Token buckets for per-device rate limits (hostile-inputs #38: one guest's
 * flood of large requests or RSA-4096 operations must not starve another).
 *
 * A bucket holds up to `burst` tokens and refills at `rate` tokens per
 * second. A worker takes tokens after each request (one per operation, one
 * per source byte) and, when a bucket goes negative, waits the time it takes
 * to refill to zero before serving its queue again. Only the offending
 * device's queue waits: devices and queues have their own workers.
 *
 * The clock is passed in, so the arithmetic is testable without sleeping.
 * Threading: one bucket per worker thread, no locking.
 */
#ifndef VC_DEVICE_THROTTLE_H
#define VC_DEVICE_THROTTLE_H

#include <stdint.h>

struct vc_tbucket {
    uint64_t rate;  /* tokens per second; 0 = unlimited */
    uint64_t burst; /* bucket size in tokens */
    int64_t tokens;
    uint64_t last_ns;
};

/* rate 0 disables the bucket. burst 0 means one second's worth. */
void vc_tbucket_init(struct vc_tbucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Takes n tokens at time now_ns and returns how many nanoseconds the caller
 * must wait before the bucket is back at zero (0 if it is not in debt). */
uint64_t vc_tbucket_take(struct vc_tbucket *b, uint64_t n, uint64_t now_ns);

#endif
