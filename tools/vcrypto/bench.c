/* `vcrypto bench`: device throughput against native OpenSSL, same run.
 *
 * IMPLEMENTATION NOTES
 * Cells are (algorithm, size); each cell is measured on every target (the
 * devices of --devices, then native OpenSSL) in R interleaved rounds —
 * device A, device B, native, device A, ... — and the median round is
 * reported, so a noisy neighbour on a 2-core machine hits all targets alike
 * instead of one.
 *
 * Device side: one session per cell, a window of 8 x --burst ops (at most
 * the queue size) kept in flight on queue pair 0, enqueued --burst at a
 * time, so the device never waits for the client; every buffer (source,
 * IV, each op's destination and digest) comes from vc_mem_alloc, so the
 * driver copies nothing. When a dequeue finds nothing, the thread sleeps on
 * the queue's eventfd unless --spin, armed with vc_qp_arm_batch for half
 * of what is in flight (one wake-up per many completions): that is what
 * makes "client CPU per op" meaningful (a spinning client would show
 * 100 %).
 *
 * CPU per op is getrusage() user+sys over the round divided by the ops
 * completed in it, twice: RUSAGE_THREAD (the application thread: what
 * offloading costs the caller) and RUSAGE_SELF (the whole process, which
 * for the in-process device includes the device's own threads, i.e. the
 * total CPU price of an op; for vhost-user the daemon's CPU is elsewhere).
 *
 * Before timing, one op per cell and device is checked against the native
 * result on the same input: a device that is fast but wrong fails the cell.
 */
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"

#define DEFAULT_ALGS "aes-256-gcm,aes-128-gcm,aes-128-cbc,sha256,hmac-sha256"
#define DEFAULT_SIZES "64,256,1024,4096,16384"
#define MAX_LIST 32
#define MAX_WINDOW 256
#define STALL_NS (UINT64_C(10) * 1000000000u)

struct target {
    const char *spec;
    char label[16];
    struct vc_dev *dev;
    struct vc_qp *qp;
    uint32_t queue_size;
    uint64_t max_size;
};

struct dev_cell {
    struct target *t;
    struct vc_session *sess;
    uint8_t *src, *iv;
    struct vc_op ops[MAX_WINDOW];
    uint8_t *dst[MAX_WINDOW], *dig[MAX_WINDOW];
    struct vc_op *freel[MAX_WINDOW];
    uint32_t nfree, nops;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* user+sys CPU of the calling thread (RUSAGE_THREAD) or the process. */
static uint64_t cpu_ns(int who)
{
    struct rusage ru;

    getrusage(who, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/* Per-round measurement: wall clock, thread CPU, process CPU. */
struct meter {
    uint64_t t, thr, proc;
};

static void meter_read(struct meter *m)
{
    m->t = now_ns();
    m->thr = cpu_ns(RUSAGE_THREAD);
    m->proc = cpu_ns(RUSAGE_SELF);
}

struct sample {
    double ops_s, thr_ns, proc_ns;
};

static void meter_sample(const struct meter *a, const struct meter *b, uint64_t ops,
                         struct sample *out)
{
    out->ops_s = (double)ops * 1e9 / (double)(b->t - a->t);
    out->thr_ns = (double)(b->thr - a->thr) / (double)ops;
    out->proc_ns = (double)(b->proc - a->proc) / (double)ops;
}

static uint32_t out_len_of(const struct cli_alg *a, uint32_t size)
{
    switch (a->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return size;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        return size + BENCH_TAG;
    default:
        return a->out_len;
    }
}

static uint32_t key_len_of(const struct cli_alg *a)
{
    return a->any_key ? 32 : a->keys[0];
}

static void dev_cell_free(struct dev_cell *c)
{
    struct vc_dev *d = c->t->dev;

    for (uint32_t i = 0; i < c->nops; i++) {
        vc_mem_free(d, c->dst[i]);
        vc_mem_free(d, c->dig[i]);
    }
    vc_mem_free(d, c->src);
    vc_mem_free(d, c->iv);
    if (c->sess)
        (void)vc_session_destroy(c->sess);
    free(c);
}

/* Session and buffers for one cell on one device. NULL + *why on failure. */
static struct dev_cell *dev_cell_new(struct target *t, const struct cli_alg *a, uint32_t size,
                                     const uint8_t *key, const uint8_t *data, const uint8_t *iv,
                                     uint32_t window, const char **why)
{
    struct vc_session_params p = {0};
    struct dev_cell *c = calloc(1, sizeof(*c));
    uint32_t olen = out_len_of(a, size);
    int rc;

    if (!c) {
        *why = "out of memory";
        return NULL;
    }
    c->t = t;
    if (!vc_dev_supports(t->dev, a->service, a->algo)) {
        *why = "not offered by the device";
        free(c);
        return NULL;
    }
    p.service = a->service;
    switch (a->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        p.u.cipher.algo = a->algo;
        p.u.cipher.op = VIRTIO_CRYPTO_OP_ENCRYPT;
        p.u.cipher.key = key;
        p.u.cipher.key_len = key_len_of(a);
        break;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        p.u.aead.algo = a->algo;
        p.u.aead.op = VIRTIO_CRYPTO_OP_ENCRYPT;
        p.u.aead.key = key;
        p.u.aead.key_len = key_len_of(a);
        p.u.aead.tag_len = BENCH_TAG;
        break;
    case VIRTIO_CRYPTO_SERVICE_HASH:
        p.u.hash.algo = a->algo;
        p.u.hash.digest_len = a->out_len;
        break;
    case VIRTIO_CRYPTO_SERVICE_MAC:
    default:
        p.u.mac.algo = a->algo;
        p.u.mac.digest_len = a->out_len;
        p.u.mac.key = key;
        p.u.mac.key_len = key_len_of(a);
        break;
    }
    rc = vc_session_create(t->dev, &p, &c->sess);
    if (rc < 0) {
        *why = vc_strerror(rc);
        c->sess = NULL;
        dev_cell_free(c);
        return NULL;
    }
    c->src = vc_mem_alloc(t->dev, size);
    c->iv = vc_mem_alloc(t->dev, 64);
    if (!c->src || !c->iv)
        goto nomem;
    memcpy(c->src, data, size);
    memcpy(c->iv, iv, 64);
    for (uint32_t i = 0; i < window; i++) {
        struct vc_op *op = &c->ops[i];
        bool digest = a->service == VIRTIO_CRYPTO_SERVICE_HASH ||
                      a->service == VIRTIO_CRYPTO_SERVICE_MAC;

        c->nops = i + 1;
        c->dst[i] = digest ? NULL : vc_mem_alloc(t->dev, olen);
        c->dig[i] = digest ? vc_mem_alloc(t->dev, 64) : NULL;
        if (!c->dst[i] && !c->dig[i])
            goto nomem;
        op->session = c->sess;
        op->src = c->src;
        op->src_len = size;
        switch (a->service) {
        case VIRTIO_CRYPTO_SERVICE_CIPHER:
            op->opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT;
            break;
        case VIRTIO_CRYPTO_SERVICE_AEAD:
            op->opcode = VIRTIO_CRYPTO_AEAD_ENCRYPT;
            break;
        case VIRTIO_CRYPTO_SERVICE_HASH:
            op->opcode = VIRTIO_CRYPTO_HASH;
            break;
        default:
            op->opcode = VIRTIO_CRYPTO_MAC;
            break;
        }
        if (a->iv_len) {
            op->iv = c->iv;
            op->iv_len = a->iv_len;
        }
        op->dst = c->dst[i];
        op->dst_len = c->dst[i] ? olen : 0;
        op->digest = c->dig[i];
        op->digest_len = c->dig[i] ? a->out_len : 0;
        c->freel[c->nfree++] = op;
    }
    return c;
nomem:
    *why = "shared memory pool exhausted";
    dev_cell_free(c);
    return NULL;
}

/* Runs the first op alone and compares with the native output. */
static bool dev_check(struct dev_cell *c, const struct cli_alg *a, uint32_t size,
                      const uint8_t *expect, const char **why)
{
    struct vc_op *op = &c->ops[0];
    uint8_t st = cli_run_op(c->t->qp, op);
    const uint8_t *got = op->dst ? op->dst : op->digest;

    if (st != VIRTIO_CRYPTO_OK) {
        *why = cli_status_str(st);
        return false;
    }
    if (expect && memcmp(got, expect, out_len_of(a, size)) != 0) {
        *why = "device output differs from OpenSSL";
        return false;
    }
    return true;
}

static void wait_event(struct vc_qp *qp, uint32_t inflight)
{
    int fd = vc_qp_eventfd(qp);
    struct pollfd p = {.fd = fd, .events = POLLIN};

    if (fd >= 0 && !vc_qp_arm_batch(qp, inflight > 1 ? inflight / 2 : 1))
        (void)poll(&p, 1, 10);
}

/* One timed round on a device. */
static bool dev_round(struct dev_cell *c, const struct bench_run *r, struct sample *out,
                      const char **why)
{
    struct vc_qp *qp = c->t->qp;
    struct vc_op *done[MAX_WINDOW];
    uint64_t completed = 0, deadline;
    uint32_t inflight = 0;
    struct meter m0, m1;
    bool ok = true;

    meter_read(&m0);
    deadline = m0.t + (uint64_t)r->round_ms * 1000000u;
    for (;;) {
        uint64_t t;
        uint16_t m;

        while (inflight + r->burst <= r->window && c->nfree >= r->burst) {
            uint16_t n = vc_enqueue_burst(qp, &c->freel[c->nfree - r->burst],
                                          (uint16_t)r->burst);

            /* Accepted ops are the first n of the slice; shift the rest
             * down so the free list stays dense. */
            memmove(&c->freel[c->nfree - r->burst], &c->freel[c->nfree - r->burst + n],
                    (r->burst - n) * sizeof(c->freel[0]));
            c->nfree -= n;
            inflight += n;
            if (n < r->burst)
                break;
        }
        m = vc_dequeue_burst(qp, done, MAX_WINDOW);
        for (uint16_t i = 0; i < m; i++) {
            if (done[i]->status != VIRTIO_CRYPTO_OK && ok) {
                *why = cli_status_str(done[i]->status);
                ok = false;
            }
            c->freel[c->nfree++] = done[i];
        }
        inflight -= m;
        completed += m;
        if (!ok)
            break;
        /* A round ends at its deadline once something completed: on a
         * loaded machine the first burst can outlast a short round, which
         * is slowness to measure, not a failure. */
        t = now_ns();
        if (completed > 0 && t >= deadline)
            break;
        if (completed == 0 && t >= m0.t + STALL_NS) {
            *why = "no completion within 10 s";
            ok = false;
            break;
        }
        if (m == 0) {
            if (inflight == 0 && vc_dev_state(c->t->dev) != 0) {
                *why = "device lost";
                return false;
            }
            /* --spin: poll, but yield so a device thread sharing this
             * core (2-core machines) is not starved by our busy loop. */
            if (r->spin)
                sched_yield();
            else
                wait_event(qp, inflight);
        }
    }
    meter_read(&m1);
    while (inflight > 0) {
        uint16_t m = cli_wait(qp, done, MAX_WINDOW);

        if (m == 0)
            break;
        for (uint16_t i = 0; i < m; i++)
            c->freel[c->nfree++] = done[i];
        inflight -= m;
    }
    if (!ok || completed == 0) {
        if (ok)
            *why = "no op completed";
        return false;
    }
    meter_sample(&m0, &m1, completed, out);
    return true;
}

static bool native_round(struct native *n, const uint8_t *iv, const uint8_t *src, uint32_t size,
                         uint8_t *out, const struct bench_run *r, struct sample *res)
{
    struct meter m0, m1;
    uint64_t count = 0, deadline;

    meter_read(&m0);
    deadline = m0.t + (uint64_t)r->round_ms * 1000000u;
    do {
        for (int i = 0; i < 8; i++) {
            if (!native_one(n, iv, src, size, out))
                return false;
        }
        count += 8;
    } while (now_ns() < deadline);
    meter_read(&m1);
    meter_sample(&m0, &m1, count, res);
    return true;
}

/* Splits a comma-separated list in place. */
static size_t split(char *s, char **out, size_t max)
{
    size_t n = 0;

    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        out[n++] = tok;
    return n;
}

static int parse_args(const struct cli_opts *o, struct bench_run *r, const struct cli_alg **algs,
                      size_t *nalgs, uint32_t *sizes, size_t *nsizes, char *alg_buf,
                      char *size_buf, size_t buflen)
{
    char *words[MAX_LIST];
    size_t n;

    snprintf(alg_buf, buflen, "%s", o->alg ? o->alg : DEFAULT_ALGS);
    snprintf(size_buf, buflen, "%s", o->sizes ? o->sizes : DEFAULT_SIZES);
    n = split(alg_buf, words, MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        const struct cli_alg *a = cli_alg_find(words[i]);

        if (!a) {
            cli_err("unknown algorithm '%s' (see 'vcrypto info')", words[i]);
            return CLI_EXIT_USAGE;
        }
        if (a->service == VIRTIO_CRYPTO_SERVICE_AKCIPHER) {
            cli_err("bench covers symmetric algorithms, hashes and MACs; not '%s'", a->name);
            return CLI_EXIT_USAGE;
        }
        algs[i] = a;
    }
    *nalgs = n;
    n = split(size_buf, words, MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        uint64_t v;

        if (!cli_parse_size(words[i], &v) || v == 0 || v > CLI_MAX_CHUNK) {
            cli_err("bad size '%s' (1..%u bytes)", words[i], CLI_MAX_CHUNK);
            return CLI_EXIT_USAGE;
        }
        sizes[i] = (uint32_t)v;
    }
    *nsizes = n;
    if (!*nalgs || !*nsizes) {
        cli_err("empty algorithm or size list");
        return CLI_EXIT_USAGE;
    }
    r->burst = o->burst ? o->burst : 32;
    r->rounds = o->rounds ? o->rounds : (o->quick ? 3 : 5);
    r->round_ms = (o->time_ms ? o->time_ms : (o->quick ? 150 : 600)) / r->rounds;
    r->spin = o->spin;
    if (r->burst > MAX_WINDOW / 2 || r->rounds > BENCH_MAX_ROUNDS || r->round_ms == 0) {
        cli_err("--burst 1..%d, --rounds 1..%d, --time-ms >= rounds", MAX_WINDOW / 2,
                BENCH_MAX_ROUNDS);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static bool size_fits(const struct cli_alg *a, uint32_t size, const struct target *t)
{
    if (a->block && size % a->block)
        return false;
    if (a->mode == CLI_MODE_XTS && size < 16)
        return false;
    return (uint64_t)size + out_len_of(a, size) + 64 <= t->max_size;
}

static int open_targets(const struct cli_opts *o, struct target *ts, size_t *nt, char *buf,
                        size_t buflen, uint64_t mem)
{
    char *specs[BENCH_MAX_TARGETS];
    size_t n;

    snprintf(buf, buflen, "%s", o->devices ? o->devices : (o->device ? o->device : "inproc"));
    n = split(buf, specs, BENCH_MAX_TARGETS - 1);
    for (size_t i = 0; i < n; i++) {
        struct cli_opts one = *o;
        struct vc_dev_info info;

        one.device = specs[i];
        ts[i].spec = specs[i];
        int rc = cli_dev_open(&one, mem, &ts[i].dev);

        if (rc)
            return rc;
        *nt = i + 1;
        if (vc_dev_info(ts[i].dev, &info) < 0 || !(ts[i].qp = vc_dev_qp(ts[i].dev, 0))) {
            cli_err("device '%s' has no usable queue", specs[i]);
            return CLI_EXIT_FAIL;
        }
        snprintf(ts[i].label, sizeof(ts[i].label), "%s", info.transport);
        ts[i].queue_size = info.queue_size;
        ts[i].max_size = info.max_size;
    }
    return CLI_EXIT_OK;
}

/* Measures one (algorithm, size) on every target; appends cells to r. */
static void run_cell(struct bench_run *r, const struct cli_alg *a, uint32_t size,
                     struct target *ts, size_t nt, const uint8_t *data, const uint8_t *key,
                     const uint8_t *iv, uint8_t *scratch)
{
    struct dev_cell *dc[BENCH_MAX_TARGETS] = {0};
    struct bench_cell *cells = &r->cells[r->ncells];
    struct native *nat = native_new(a, key, key_len_of(a));
    bool have_ref = nat && native_one(nat, iv, data, size, scratch);

    for (size_t t = 0; t <= nt; t++) {
        struct bench_cell *c = &cells[t];

        c->a = a;
        c->size = size;
        c->native = t == nt;
        c->target = c->native ? "native" : ts[t].label;
        c->spec = c->native ? "openssl" : ts[t].spec;
        c->ok = true;
        if (c->native) {
            if (!have_ref) {
                c->ok = false;
                c->why = nat ? "OpenSSL failed" : "no OpenSSL equivalent";
            }
            continue;
        }
        if (!size_fits(a, size, &ts[t])) {
            c->ok = false;
            c->why = "size not valid for the algorithm or above max_size";
            continue;
        }
        dc[t] = dev_cell_new(&ts[t], a, size, key, data, iv, r->window, &c->why);
        if (!dc[t] || !dev_check(dc[t], a, size, have_ref ? scratch : NULL, &c->why))
            c->ok = false;
    }
    for (uint32_t round = 0; round < r->rounds; round++) {
        for (size_t t = 0; t <= nt; t++) {
            struct bench_cell *c = &cells[t];
            struct sample smp = {0};
            bool ok;

            if (!c->ok)
                continue;
            if (c->native)
                ok = native_round(nat, iv, data, size, scratch, r, &smp);
            else
                ok = dev_round(dc[t], r, &smp, &c->why);
            if (!ok) {
                c->ok = false;
                if (c->native)
                    c->why = "OpenSSL failed";
                continue;
            }
            c->ops[c->rounds] = smp.ops_s;
            c->cpu_ns[c->rounds] = smp.thr_ns;
            c->proc_ns[c->rounds] = smp.proc_ns;
            c->rounds++;
        }
    }
    for (size_t t = 0; t < nt; t++) {
        if (dc[t])
            dev_cell_free(dc[t]);
    }
    native_free(nat);
    r->ncells += nt + 1;
}

int cli_cmd_bench(struct cli_opts *o)
{
    const struct cli_alg *algs[MAX_LIST];
    uint32_t sizes[MAX_LIST], max_size = 0;
    char alg_buf[512], size_buf[512], dev_buf[1024];
    struct target ts[BENCH_MAX_TARGETS] = {0};
    struct bench_run r = {0};
    size_t nalgs, nsizes, nt = 0;
    uint8_t *data = NULL, *scratch = NULL, key[64], iv[64];
    int rc;

    rc = parse_args(o, &r, algs, &nalgs, sizes, &nsizes, alg_buf, size_buf, sizeof(alg_buf));
    if (rc)
        return rc;
    if (o->plot && !bench_have_gnuplot()) {
        cli_err("--plot needs gnuplot on PATH (Debian: apt-get install gnuplot-nox)");
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < nsizes; i++)
        max_size = VC_MAX(max_size, sizes[i]);
    r.window = 8 * r.burst;
    /* Shared memory: a destination per op in the window, plus source/IV. */
    rc = open_targets(o, ts, &nt, dev_buf, sizeof(dev_buf),
                      (uint64_t)(r.window + 4) * (max_size + 192) + (4u << 20));
    if (rc)
        goto out;
    for (size_t t = 0; t < nt; t++) {
        if (r.window > ts[t].queue_size)
            r.window = ts[t].queue_size;
    }
    if (r.window < r.burst)
        r.burst = r.window;
    r.cells = calloc(nalgs * nsizes * (nt + 1), sizeof(*r.cells));
    data = malloc(max_size);
    scratch = malloc((size_t)max_size + 256);
    if (!r.cells || !data || !scratch) {
        cli_err("out of memory");
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    for (uint32_t i = 0; i < max_size; i++)
        data[i] = (uint8_t)(i * 131u + 7u);
    for (uint32_t i = 0; i < sizeof(key); i++) {
        key[i] = (uint8_t)(0xa5u ^ (i * 17u));
        iv[i] = (uint8_t)(i * 3u + 1u);
    }
    if (!o->json)
        fprintf(stderr, "vcrypto bench: %zu algorithm(s) x %zu size(s) x %zu target(s), "
                        "%u rounds of %u ms...\n",
                nalgs, nsizes, nt + 1, r.rounds, r.round_ms);
    for (size_t i = 0; i < nalgs; i++) {
        for (size_t j = 0; j < nsizes; j++)
            run_cell(&r, algs[i], sizes[j], ts, nt, data, key, iv, scratch);
    }
    bench_summarise(&r);
    rc = CLI_EXIT_OK;
    for (size_t i = 0; i < r.ncells; i++) {
        const struct bench_cell *c = &r.cells[i];

        /* A failed device cell fails the run; "not applicable" does not. */
        if (!c->ok && !c->native && c->why &&
            strcmp(c->why, "size not valid for the algorithm or above max_size") != 0 &&
            strcmp(c->why, "not offered by the device") != 0)
            rc = CLI_EXIT_FAIL;
    }
    /* One timestamp for the run, so --json and --save print the same. */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(r.stamp, sizeof(r.stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (o->json)
        bench_print_json(stdout, &r);
    else
        bench_print_table(stdout, &r);
    if (o->save) {
        FILE *f = fopen(o->save, "w");

        if (!f) {
            cli_err("cannot write '%s'", o->save);
            rc = CLI_EXIT_FAIL;
        } else {
            bench_print_json(f, &r);
            if (fclose(f) != 0)
                rc = CLI_EXIT_FAIL;
        }
    }
    if (o->plot && !bench_plot(&r, o->plot))
        rc = CLI_EXIT_FAIL;
    if (rc != CLI_EXIT_OK)
        cli_err("some cells failed (see the table)");
out:
    for (size_t t = 0; t < nt; t++)
        vc_dev_close(ts[t].dev);
    free(r.cells);
    free(data);
    free(scratch);
    return rc;
}
