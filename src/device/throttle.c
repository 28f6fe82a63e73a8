#include "device/throttle.h"

#define NS 1000000000ull

void vc_tbucket_init(struct vc_tbucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
    b->rate = rate;
    /* Tokens are signed 64-bit: keep both ends far from overflow. */
    if (b->rate > (1ull << 40))
        b->rate = 1ull << 40;
    b->burst = burst ? burst : b->rate;
    if (b->burst > (1ull << 40))
        b->burst = 1ull << 40;
    b->tokens = (int64_t)b->burst;
    b->last_ns = now_ns;
}

uint64_t vc_tbucket_take(struct vc_tbucket *b, uint64_t n, uint64_t now_ns)
{
    if (b->rate == 0)
        return 0;
    if (now_ns > b->last_ns) {
        /* One second refills a bucket of burst <= rate; longer gaps add
         * nothing more. 128-bit product: rate and dt are both large. */
        uint64_t dt = now_ns - b->last_ns;
        if (dt > NS)
            dt = NS;
        uint64_t add = (uint64_t)((unsigned __int128)dt * b->rate / NS);
        int64_t t = b->tokens + (int64_t)add;
        b->tokens = t > (int64_t)b->burst ? (int64_t)b->burst : t;
        b->last_ns = now_ns;
    }
    if (n > (1ull << 40))
        n = 1ull << 40;
    b->tokens -= (int64_t)n;
    if (b->tokens >= 0)
        return 0;
    /* Debt of d tokens takes d / rate seconds to repay. */
    uint64_t debt = (uint64_t)(-b->tokens);
    return (uint64_t)((unsigned __int128)debt * NS / b->rate);
}
