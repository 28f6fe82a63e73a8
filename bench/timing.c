/* Timing: fixed-time slots, interleaved engine/native rounds.
 *
 * IMPLEMENTATION NOTES
 * The machine this runs on is shared and noisy (other builds, frequency
 * changes), and most of that noise only ever slows a slot down. So a cell is
 * cut into R short rounds; each round runs the engine side and the native
 * side for one slot each, back to back, and the order flips every round
 * (E N, N E, E N, ...), so a slow stretch lands on both sides alike. The
 * headline rate of a side is its best round (the least disturbed one); the
 * median of the per-round paired ratios is reported next to it as a
 * cross-check that does not depend on one lucky slot.
 * A slot runs for a fixed time, not a fixed count: ops go in batches sized
 * during warm-up to take 100-200 us (at least one op), and the clock
 * (CLOCK_MONOTONIC, vDSO) is read once per batch, so its cost is far below
 * the resolution we care about. The rate of a slot comes from its median
 * batch time: with a load of 2-3 on two cores a slot loses whole scheduler
 * time slices, which the plain slot rate (kept as "wall") would count as
 * slowness of whichever side happened to be running.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define NS_PER_S 1000000000.0

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
    double tmp[BENCH_MAX_ROUNDS];
    if (n == 0)
        return 0;
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* Runs fn for at least warm_ns and returns the batch size that takes
 * about batch_ns, or 0 if an op failed. The size comes from the fastest
 * per-op time seen, so one batch that was preempted (or ran cold) cannot
 * freeze the batch at a few ops, where reading the clock would be a
 * visible part of every batch. */
static uint64_t warm_up(bench_run_fn fn, void *st, uint64_t warm_ns, uint64_t batch_ns)
{
    uint64_t n = 1, start = bench_now_ns();
    double best = 0; /* fastest ns per op so far */
    for (;;) {
        uint64_t t0 = bench_now_ns();
        if (fn(st, n) != 0)
            return 0;
        uint64_t t1 = bench_now_ns();
        double per = (double)(t1 - t0) / (double)n;
        if (best == 0 || per < best)
            best = per;
        double want = (double)batch_ns / VC_MAX(best, 0.1);
        if ((double)n < want && n < (UINT64_C(1) << 30))
            n = (double)(2 * n) < want ? 2 * n : (uint64_t)want + 1;
        else if (t1 - start >= warm_ns)
            return n;
    }
}

/* Batch durations of the slot being run (single-threaded program). */
#define MAX_BATCHES 65536
static uint64_t batch_ns_buf[MAX_BATCHES];

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* One slot: runs batches for slot_ns and returns the slot's rate in ops/s
 * from its median batch time, or -1 if an op failed. A batch during which
 * the scheduler took the CPU away (or a timer fired) is an outlier on the
 * slow side, so the median of a slot's batches is its undisturbed speed;
 * the slot's plain wall-clock rate goes to *wall. */
static double run_slot(bench_run_fn fn, void *st, uint64_t batch, uint64_t slot_ns,
                       uint64_t *ops_total, double *wall)
{
    uint64_t nb = 0, t0 = bench_now_ns(), t = t0;
    do {
        uint64_t b0 = t;
        if (fn(st, batch) != 0)
            return -1;
        t = bench_now_ns();
        batch_ns_buf[nb++] = t - b0;
    } while (t - t0 < slot_ns && nb < MAX_BATCHES);
    *ops_total += nb * batch;
    *wall = (double)(nb * batch) * NS_PER_S / (double)(t - t0);
    qsort(batch_ns_buf, nb, sizeof batch_ns_buf[0], cmp_u64);
    uint64_t med = nb % 2 ? batch_ns_buf[nb / 2]
                          : (batch_ns_buf[nb / 2 - 1] + batch_ns_buf[nb / 2]) / 2;
    return (double)batch * NS_PER_S / (double)VC_MAX(med, UINT64_C(1));
}

static void summarise(struct bench_side_result *s, unsigned rounds)
{
    s->best = 0;
    for (unsigned i = 0; i < rounds; i++)
        if (s->ops_round[i] > s->best)
            s->best = s->ops_round[i];
    s->median = median(s->ops_round, rounds);
    s->wall_median = median(s->wall, rounds);
}

void bench_measure(const struct bench_opts *o, const struct bench_cell *c, struct bench_result *r)
{
    unsigned rounds = o->rounds;
    uint64_t slot_ns = (uint64_t)o->time_ms * 1000000u / rounds;
    /* ~100-200 us batches: short enough that most escape preemption and
     * timer ticks, long enough that reading the clock (~25 ns) is noise. */
    uint64_t batch_ns = VC_MIN(slot_ns / 20, UINT64_C(100000));
    uint64_t warm_ns = (uint64_t)o->warmup_ms * 1000000u;

    memset(r, 0, sizeof *r);
    snprintf(r->alg, sizeof r->alg, "%s", c->alg);
    r->bytes = c->bytes;
    r->pieces = c->pieces;
    r->target = c->target;
    r->informational = c->informational;

    uint64_t eb = warm_up(c->engine, c->state, warm_ns, batch_ns);
    uint64_t nb = warm_up(c->native, c->state, warm_ns, batch_ns);
    r->eng.batch = eb;
    r->nat.batch = nb;
    if (eb == 0 || nb == 0) {
        r->failed = true;
        return;
    }
    double ratios[BENCH_MAX_ROUNDS];
    for (unsigned i = 0; i < rounds; i++) {
        double e, n;
        if (i % 2 == 0) {
            e = run_slot(c->engine, c->state, eb, slot_ns, &r->eng.total_ops, &r->eng.wall[i]);
            n = run_slot(c->native, c->state, nb, slot_ns, &r->nat.total_ops, &r->nat.wall[i]);
        } else {
            n = run_slot(c->native, c->state, nb, slot_ns, &r->nat.total_ops, &r->nat.wall[i]);
            e = run_slot(c->engine, c->state, eb, slot_ns, &r->eng.total_ops, &r->eng.wall[i]);
        }
        if (e <= 0 || n <= 0) {
            r->failed = true;
            return;
        }
        r->eng.ops_round[i] = e;
        r->nat.ops_round[i] = n;
        ratios[i] = e / n;
    }
    summarise(&r->eng, rounds);
    summarise(&r->nat, rounds);
    r->ratio = r->eng.best / r->nat.best;
    r->ratio_median = median(ratios, rounds);
    r->ratio_min = r->ratio_max = ratios[0];
    for (unsigned i = 1; i < rounds; i++) {
        r->ratio_min = VC_MIN(r->ratio_min, ratios[i]);
        r->ratio_max = VC_MAX(r->ratio_max, ratios[i]);
    }
    r->overhead = r->nat.best / r->eng.best - 1;
    r->miss = r->overhead > r->target;
}
