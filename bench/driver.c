/* bench/driver: libvcrypto through vhost-user and inproc against native
 * OpenSSL, per issue #4 section 7 (see driver.h for the method). */
#include "driver.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef VC_BENCH_RESULTS_DIR
#define VC_BENCH_RESULTS_DIR "bench/results"
#endif
#ifndef VC_VCRYPTOD_PATH
#define VC_VCRYPTOD_PATH "vcryptod"
#endif

#define MAX_ROUNDS 64

struct opts {
    double secs;
    unsigned rounds, poll_us;
    uint32_t sizes[8], nsizes;
    uint32_t keys[2], nkeys;
    bool dev_inproc, dev_vhost, spin, event, pin, save, loopback, profile;
    const char *vcryptod, *out_dir;
};

struct cell {
    uint32_t key_len, size;
    const char *dev;
    bool event;
    double dev_ops, nat_ops, ratio, cpu_ns, kicks_op, sleeps_op, target;
    bool has_target, met;
};

static struct cell g_cells[256];
static unsigned g_ncells;
static FILE *g_txt;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list a;
    va_start(a, fmt);
    vprintf(fmt, a);
    va_end(a);
    if (g_txt) {
        va_start(a, fmt);
        vfprintf(g_txt, fmt, a);
        va_end(a);
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(void)
{
    puts("usage: bench/driver [options]\n"
         "libvcrypto (vhost-user to a private vcryptod, and inproc) against native\n"
         "OpenSSL EVP, AES-GCM encrypt, zero copy, bursts of 32 with up to 1024 ops in\n"
         "flight\n"
         "(issue #4 section 7; docs/LIBVCRYPTO.md \"Performance\").\n"
         "  --quick         5 rounds of 40 ms per side (about 12 s)\n"
         "  --secs S        time per side and round (default 0.05)\n"
         "  --rounds N      alternating native/device rounds per cell (default 15)\n"
         "  --sizes LIST    message sizes (default 64,1024,16384)\n"
         "  --keys LIST     key lengths in bytes, 16 and/or 32 (default 16,32)\n"
         "  --devices LIST  inproc and/or vhost-user (default both)\n"
         "  --wait LIST     spin and/or event (default both)\n"
         "  --inflight N    ops the client keeps in flight (power of 2, 32..1024;\n"
         "                  default 1024; the queue has twice as many entries)\n"
         "  --poll-us N     device polling window (vcryptod --poll-us; default 50)\n"
         "  --no-pin        do not pin client (CPU 0) and device worker (CPU 1)\n"
         "  --vcryptod PATH the daemon to start (default: the build tree's)\n"
         "  --loopback      only the library's own enqueue+dequeue cost\n"
         "  --profile       profiling aid: device rounds only (no native, ratio 0)\n"
         "  --out DIR       where driver-<stamp>.txt/.json go (default bench/results)\n"
         "  --no-save       do not write result files");
}

static unsigned parse_list(const char *s, uint32_t *v, unsigned cap)
{
    unsigned n = 0;
    char *end;
    while (*s && n < cap) {
        v[n++] = (uint32_t)strtoul(s, &end, 10);
        s = *end == ',' ? end + 1 : end;
        if (end == s && *s)
            break;
    }
    return n;
}

static bool parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.secs = 0.05, .rounds = 15, .poll_us = 50, .sizes = {64, 1024, 16384},
                       .nsizes = 3, .keys = {16, 32}, .nkeys = 2, .dev_inproc = true,
                       .dev_vhost = true, .spin = true, .event = true, .pin = true,
                       .save = true, .vcryptod = VC_VCRYPTOD_PATH,
                       .out_dir = VC_BENCH_RESULTS_DIR};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            o->rounds = 5, o->secs = 0.04;
        } else if (!strcmp(a, "--secs") && v) {
            o->secs = atof(v), i++;
        } else if (!strcmp(a, "--rounds") && v) {
            o->rounds = (unsigned)atoi(v), i++;
        } else if (!strcmp(a, "--sizes") && v) {
            o->nsizes = parse_list(v, o->sizes, 8), i++;
        } else if (!strcmp(a, "--keys") && v) {
            o->nkeys = parse_list(v, o->keys, 2), i++;
        } else if (!strcmp(a, "--devices") && v) {
            o->dev_inproc = strstr(v, "inproc") != NULL;
            o->dev_vhost = strstr(v, "vhost-user") != NULL, i++;
        } else if (!strcmp(a, "--wait") && v) {
            o->spin = strstr(v, "spin") != NULL, o->event = strstr(v, "event") != NULL, i++;
        } else if (!strcmp(a, "--inflight") && v) {
            db_inflight = (uint32_t)atoi(v), i++;
        } else if (!strcmp(a, "--poll-us") && v) {
            o->poll_us = (unsigned)atoi(v), i++;
        } else if (!strcmp(a, "--no-pin")) {
            o->pin = false;
        } else if (!strcmp(a, "--vcryptod") && v) {
            o->vcryptod = v, i++;
        } else if (!strcmp(a, "--profile")) {
            o->profile = true;
        } else if (!strcmp(a, "--loopback")) {
            o->loopback = true;
        } else if (!strcmp(a, "--out") && v) {
            o->out_dir = v, i++;
        } else if (!strcmp(a, "--no-save")) {
            o->save = false;
        } else {
            usage();
            return false;
        }
    }
    for (unsigned i = 0; i < o->nsizes; i++)
        if (o->sizes[i] == 0 || o->sizes[i] > DB_MAX_MSG)
            return fprintf(stderr, "sizes are 1..%u\n", DB_MAX_MSG), false;
    for (unsigned i = 0; i < o->nkeys; i++)
        if (o->keys[i] != 16 && o->keys[i] != 32)
            return fprintf(stderr, "keys are 16 or 32\n"), false;
    if (db_inflight < 32 || db_inflight > DB_MAX_INFLIGHT || (db_inflight & (db_inflight - 1)))
        return fprintf(stderr, "--inflight is a power of two, 32..%u\n", DB_MAX_INFLIGHT), false;
    if (o->rounds == 0 || o->rounds > MAX_ROUNDS || o->secs <= 0)
        return fprintf(stderr, "bad --rounds/--secs\n"), false;
    return true;
}

/* Issue #4 §7 targets, judged on the vhost-user cells in event mode: a
 * throughput ratio >= 0.85 at 64 B and >= 0.9 at 1 KiB and 16 KiB, and at
 * 64 B also a client CPU <= 100 ns per op. One configuration for both,
 * the one an application with an event loop runs: a spinning client's CPU
 * per op is its wall time by construction, so spin cells are information
 * (the lowest latency, and the throughput a dedicated polling core gets). */
static void judge(struct cell *c)
{
    c->has_target = strcmp(c->dev, "vhost-user") == 0 && c->event &&
                    (c->size == 64 || c->size == 1024 || c->size == 16384);
    c->target = c->size == 64 ? 0.85 : 0.9;
    c->met = c->ratio >= c->target;
    if (c->has_target && c->size == 64)
        c->met = c->met && c->cpu_ns <= 100;
}

static int run_cell(const struct opts *o, const char *spec, const char *dev, uint32_t key,
                    uint32_t size, bool event)
{
    struct db_dev d;
    if (db_dev_open(&d, spec, key, size, o->pin ? 1 : -1))
        return -1;
    double dv[MAX_ROUNDS], nv[MAX_ROUNDS], rv[MAX_ROUNDS], cpu = 0;
    uint64_t ops = 0, kicks = 0, sleeps = 0;
    struct db_sample s;
    db_run_device(&d, event, o->secs / 3, &s); /* warm-up */
    for (unsigned r = 0; r < o->rounds; r++) {
        if (o->profile) {
            s = (struct db_sample){.ops = 0, .wall_s = 1};
        } else {
            db_run_native(key, size, o->secs, &s);
        }
        nv[r] = (double)s.ops / s.wall_s;
        db_run_device(&d, event, o->secs, &s);
        dv[r] = (double)s.ops / s.wall_s;
        rv[r] = dv[r] / nv[r];
        cpu += s.cpu_s, ops += s.ops, kicks += s.kicks, sleeps += s.sleeps;
    }
    db_dev_close(&d);
    struct cell *c = &g_cells[g_ncells++];
    *c = (struct cell){.key_len = key, .size = size, .dev = dev, .event = event,
                       .dev_ops = median(dv, o->rounds), .nat_ops = median(nv, o->rounds),
                       .ratio = median(rv, o->rounds), .cpu_ns = cpu * 1e9 / (double)ops,
                       .kicks_op = (double)kicks / (double)ops,
                       .sleeps_op = (double)sleeps / (double)ops};
    judge(c);
    out("AES-%u-GCM   %5u  %-10s %-5s %11.0f %11.0f %6.3f %9s %6.0f %8.4f %8.4f  %s\n",
        key * 8, size, dev, event ? "event" : "spin", c->dev_ops, c->nat_ops, c->ratio,
        c->has_target ? (size == 64 ? ">=.85,100" : ">=0.90") : "-", c->cpu_ns, c->kicks_op,
        c->sleeps_op, !c->has_target ? "info" : c->met ? "ok" : "MISS");
    fflush(stdout);
    return 0;
}

struct lat {
    const char *dev;
    uint32_t key, size;
    double native_ns, rt_ns;
};

int main(int argc, char **argv)
{
    struct opts o;
    if (!parse(argc, argv, &o))
        return 2;
    if (o.loopback) {
        double zc, bounce;
        if (db_loopback(&zc, &bounce))
            return 1;
        printf("loopback (library only, no device, no crypto), 64 B AES-GCM ops, best of 20 "
               "x 64000:\n  zero copy %.0f ns/op enqueue+dequeue, copying path %.0f ns/op\n",
               zc, bounce);
        return 0;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 2)
        o.pin = false;
    if (o.pin)
        db_pin_self(0);

    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32], date[64], load[128] = "?";
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm);
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fgets(load, sizeof(load), lf))
            load[strcspn(load, "\n")] = 0;
        fclose(lf);
    }
    struct utsname u;
    uname(&u);
    char txt_path[512] = "", json_path[512] = "";
    if (o.save) {
        snprintf(txt_path, sizeof(txt_path), "%s/driver-%s.txt", o.out_dir, stamp);
        snprintf(json_path, sizeof(json_path), "%s/driver-%s.json", o.out_dir, stamp);
        g_txt = fopen(txt_path, "w");
    }
    out("# bench/driver: libvcrypto vs native OpenSSL EVP (issue #4 section 7)\n");
    out("# date:     %s\n# machine:  %s %s %s, %ld CPUs, loadavg at start %s\n", date,
        u.sysname, u.release, u.machine, ncpu, load);
    out("# command:");
    for (int i = 0; i < argc; i++)
        out(" %s", argv[i]);
    out("\n# method:   AES-GCM encrypt, 16-byte tag, no AAD, zero-copy buffers; client keeps\n"
        "#           %u ops in flight in bursts of %u (spin: PAUSE while idle; event: wake\n"
        "#           per %u completions); vcryptod --queues 1 --poll-us %u (one\n"
        "#           worker); client pinned to CPU 0, device worker to CPU 1: %s. Native =\n"
        "#           EVP, key schedule kept, new IV per message, same %u buffers. %u rounds\n"
        "#           of %.2f s per side, alternating; medians over rounds.\n",
        db_inflight, DB_BURST, db_inflight / 2, o.poll_us, o.pin ? "yes" : "no", db_inflight, o.rounds, o.secs);
    out("# columns:  ratio = median of per-round device/native; cpu = client thread CPU\n"
        "#           (getrusage) per op; kicks, sleeps = per op. Targets (issue #4 s7) are\n"
        "#           judged on vhost-user event cells: ratio, and at 64 B CPU <= 100 ns\n\n");
    out("algorithm     size  device     wait        ops/s      native  ratio    target cpu ns "
        "kicks/op sleep/op  status\n");

    struct db_daemon dm = {0};
    if (o.dev_vhost && db_daemon_start(&dm, o.vcryptod, o.poll_us, o.pin ? 1 : -1)) {
        fprintf(stderr, "driver bench: cannot start %s\n", o.vcryptod);
        return 1;
    }
    /* A first device run pays for page faults in the fresh shared memory
     * and for waking both sides' code: untimed, before the first cell. */
    {
        struct db_dev w;
        const char *spec = o.dev_vhost ? dm.spec : "inproc";
        if (db_dev_open(&w, spec, o.keys[0], o.sizes[0], o.pin ? 1 : -1) == 0) {
            struct db_sample s;
            db_run_device(&w, false, 0.3, &s);
            db_dev_close(&w);
        }
    }
    double t0 = db_now();
    int rc = 0;
    for (unsigned k = 0; k < o.nkeys && !rc; k++)
        for (unsigned z = 0; z < o.nsizes && !rc; z++)
            for (int dv = 0; dv < 2 && !rc; dv++) {
                if ((dv == 0 && !o.dev_vhost) || (dv == 1 && !o.dev_inproc))
                    continue;
                for (int ev = 0; ev < 2 && !rc; ev++) {
                    if ((ev == 0 && !o.spin) || (ev == 1 && !o.event))
                        continue;
                    rc = run_cell(&o, dv == 0 ? dm.spec : "inproc",
                                  dv == 0 ? "vhost-user" : "inproc", o.keys[k], o.sizes[z],
                                  ev == 1);
                }
            }

    /* Added latency at queue depth 1, backend polling: round trip of one
     * op minus the native time of the same op. */
    struct lat lats[4];
    unsigned nl = 0;
    out("\nqueue depth 1 (device polling), 64 B AES-%u-GCM:\n", o.keys[o.nkeys - 1] * 8);
    out("device       native ns  round trip ns  added ns  target    status\n");
    for (int dv = 0; dv < 2 && !rc && !o.profile; dv++) {
        if ((dv == 0 && !o.dev_vhost) || (dv == 1 && !o.dev_inproc))
            continue;
        struct db_dev d;
        uint32_t key = o.keys[o.nkeys - 1];
        if ((rc = db_dev_open(&d, dv == 0 ? dm.spec : "inproc", key, 64, o.pin ? 1 : -1)))
            break;
        double rt[MAX_ROUNDS], na[MAX_ROUNDS];
        for (unsigned r = 0; r < o.rounds; r++) {
            na[r] = db_qd1_native_ns(key, 64, o.secs / 2);
            rt[r] = db_qd1_device_ns(&d, o.secs / 2);
        }
        db_dev_close(&d);
        struct lat *l = &lats[nl++];
        *l = (struct lat){dv == 0 ? "vhost-user" : "inproc", key, 64, median(na, o.rounds),
                          median(rt, o.rounds)};
        bool tgt = dv == 0;
        out("%-10s %11.0f %14.0f %9.0f  %-8s  %s\n", l->dev, l->native_ns, l->rt_ns,
            l->rt_ns - l->native_ns, tgt ? "<=2000" : "-",
            !tgt ? "info" : l->rt_ns - l->native_ns <= 2000 ? "ok" : "MISS");
    }
    if (o.dev_vhost)
        db_daemon_stop(&dm);
    if (rc)
        return 1;

    unsigned with = 0, met = 0;
    for (unsigned i = 0; i < g_ncells; i++)
        if (g_cells[i].has_target)
            with++, met += g_cells[i].met;
    for (unsigned i = 0; i < nl; i++)
        if (!strcmp(lats[i].dev, "vhost-user"))
            with++, met += lats[i].rt_ns - lats[i].native_ns <= 2000;
    char lend[128] = "?";
    lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fgets(lend, sizeof(lend), lf))
            lend[strcspn(lend, "\n")] = 0;
        fclose(lf);
    }
    out("\n# %u of %u targets met; %u cells in %.1f s; loadavg at end %s\n", met, with,
        g_ncells, db_now() - t0, lend);
    if (g_txt)
        fclose(g_txt);
    if (o.save) {
        FILE *j = fopen(json_path, "w");
        if (j) {
            fprintf(j, "{\n  \"bench\": \"driver\",\n  \"date\": \"%s\",\n  \"machine\": \"%s %s "
                       "%s\",\n  \"cpus\": %ld,\n  \"loadavg_start\": \"%s\",\n  \"loadavg_end\": "
                       "\"%s\",\n  \"inflight\": %u,\n  \"burst\": %u,\n  \"poll_us\": %u,\n  "
                       "\"pinned\": %s,\n  \"cells\": [\n",
                    date, u.sysname, u.release, u.machine, ncpu, load, lend, db_inflight,
                    DB_BURST, o.poll_us, o.pin ? "true" : "false");
            for (unsigned i = 0; i < g_ncells; i++) {
                struct cell *c = &g_cells[i];
                fprintf(j, "    {\"algorithm\": \"AES-%u-GCM\", \"size\": %u, \"device\": \"%s\", "
                           "\"wait\": \"%s\", \"ops_per_s\": %.0f, \"native_ops_per_s\": %.0f, "
                           "\"ratio\": %.4f, \"client_cpu_ns_per_op\": %.1f, \"kicks_per_op\": "
                           "%.5f, \"sleeps_per_op\": %.5f, \"target\": %s, \"met\": %s}%s\n",
                        c->key_len * 8, c->size, c->dev, c->event ? "event" : "spin", c->dev_ops,
                        c->nat_ops, c->ratio, c->cpu_ns, c->kicks_op, c->sleeps_op,
                        c->has_target ? (c->size == 64 ? "0.85" : "0.9") : "null",
                        !c->has_target ? "null" : c->met ? "true" : "false",
                        i + 1 < g_ncells ? "," : "");
            }
            fprintf(j, "  ],\n  \"qd1\": [\n");
            for (unsigned i = 0; i < nl; i++)
                fprintf(j, "    {\"device\": \"%s\", \"size\": 64, \"native_ns\": %.0f, "
                           "\"round_trip_ns\": %.0f, \"added_ns\": %.0f}%s\n",
                        lats[i].dev, lats[i].native_ns, lats[i].rt_ns,
                        lats[i].rt_ns - lats[i].native_ns, i + 1 < nl ? "," : "");
            fprintf(j, "  ],\n  \"targets\": %u,\n  \"met\": %u\n}\n", with, met);
            fclose(j);
            printf("# results: %s, %s\n", txt_path, json_path);
        }
    }
    return 0;
}
