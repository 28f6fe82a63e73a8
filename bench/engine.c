/* bench/engine: command line, the run, and the result files.
 * See bench.h for the structure and docs/BENCH.md for usage and method.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "common/log.h"

#define MAX_CELLS 64

/* Full run: 1 s per cell and side in 40 rounds of 25 ms. Quick: 30 cells x
 * 2 sides x 120 ms = 7.2 s plus warm-up and RSA key generation. */
#define FULL_TIME_MS 1000u
#define FULL_ROUNDS 40u
#define FULL_WARMUP_MS 50u
#define QUICK_TIME_MS 120u
#define QUICK_ROUNDS 8u
#define QUICK_WARMUP_MS 10u

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench/engine [options]\n"
            "Throughput of vc_engine_openssl against direct EVP calls (issue #2 section 5).\n"
            "  --quick         short cells (%u ms per side, %u rounds): the whole table in ~10 s\n"
            "  --time-ms N     time per cell and side, all rounds together (default %u)\n"
            "  --rounds N      interleaved engine/native rounds per cell, 1..%u (default %u)\n"
            "  --filter LIST   only cells whose algorithm contains one of the comma-separated\n"
            "                  words (case-insensitive), e.g. --filter gcm,rsa\n"
            "  --size N        only the symmetric cells of N bytes (64, 256, 1024, 4096, 16384)\n"
            "  --pieces N      only the cells whose engine buffers come in N sg pieces (1 or 4)\n"
            "  --json          print the JSON results to stdout instead of the table\n"
            "  --out DIR       directory for engine-<stamp>.txt/.json (default: the source\n"
            "                  tree's bench/results)\n"
            "  --no-save       do not write result files\n"
            "  --only SIDE     profiling aid: run only the engine or the native side of each\n"
            "                  selected cell for --count ops (default 100000), untimed\n"
            "                  except for a per-op wall time; no table, no files. Use under\n"
            "                  valgrind --tool=callgrind or perf to split the cost\n"
            "  --help          this text\n",
            QUICK_TIME_MS, QUICK_ROUNDS, FULL_TIME_MS, BENCH_MAX_ROUNDS, FULL_ROUNDS);
}

bool bench_filter_match(const struct bench_opts *o, const char *label)
{
    if (o->filter == NULL || o->filter[0] == '\0')
        return true;
    const char *w = o->filter;
    while (*w != '\0') {
        size_t wl = strcspn(w, ",");
        for (const char *p = label; wl > 0 && strlen(p) >= wl; p++) {
            size_t i = 0;
            while (i < wl && tolower((unsigned char)p[i]) == tolower((unsigned char)w[i]))
                i++;
            if (i == wl)
                return true;
        }
        w += wl;
        if (*w == ',')
            w++;
    }
    return false;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The exact command line, shell-quoted where needed, for the header. */
static void join_cmdline(char *buf, size_t cap, int argc, char **argv)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used < cap; i++) {
        const char *a = argv[i];
        bool plain = a[0] != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789-_./=,:+@%") == strlen(a);
        int w = snprintf(buf + used, cap - used, plain ? "%s%s" : "%s'%s'", i ? " " : "", a);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
    static const struct option longopts[] = {
        {"quick", no_argument, NULL, 'q'},  {"time-ms", required_argument, NULL, 't'},
        {"rounds", required_argument, NULL, 'r'}, {"filter", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},   {"out", required_argument, NULL, 'o'},
        {"no-save", no_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
        {"only", required_argument, NULL, 'O'}, {"count", required_argument, NULL, 'c'},
        {"size", required_argument, NULL, 's'}, {"pieces", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    unsigned time_ms = 0, rounds = 0;
    int ch;

    memset(o, 0, sizeof *o);
    o->save = true;
    join_cmdline(o->cmdline, sizeof o->cmdline, argc, argv);
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'q':
            o->quick = true;
            break;
        case 't':
            if (parse_uint(optarg, 1, 600000, &time_ms) != 0) {
                fprintf(stderr, "bench: --time-ms wants 1..600000\n");
                return -1;
            }
            break;
        case 'r':
            if (parse_uint(optarg, 1, BENCH_MAX_ROUNDS, &rounds) != 0) {
                fprintf(stderr, "bench: --rounds wants 1..%u\n", BENCH_MAX_ROUNDS);
                return -1;
            }
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 'j':
            o->json_stdout = true;
            break;
        case 'o':
            o->out_dir = optarg;
            break;
        case 'n':
            o->save = false;
            break;
        case 'O':
            o->only = strcmp(optarg, "engine") == 0 ? 1 : strcmp(optarg, "native") == 0 ? 2 : -1;
            if (o->only < 0) {
                fprintf(stderr, "bench: --only wants engine or native\n");
                return -1;
            }
            break;
        case 'c': {
            unsigned c;
            if (parse_uint(optarg, 1, 1000000000u, &c) != 0) {
                fprintf(stderr, "bench: --count wants 1..1000000000\n");
                return -1;
            }
            o->count = c;
            break;
        }
        case 's':
            if (parse_uint(optarg, 1, 1u << 20, &o->size) != 0) {
                fprintf(stderr, "bench: --size wants a byte count\n");
                return -1;
            }
            break;
        case 'p':
            if (parse_uint(optarg, 1, 64, &o->pieces) != 0) {
                fprintf(stderr, "bench: --pieces wants 1..64\n");
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "bench: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    if (o->count == 0)
        o->count = 100000;
    o->time_ms = time_ms ? time_ms : o->quick ? QUICK_TIME_MS : FULL_TIME_MS;
    o->rounds = rounds ? rounds : o->quick ? QUICK_ROUNDS : FULL_ROUNDS;
    o->warmup_ms = o->quick ? QUICK_WARMUP_MS : FULL_WARMUP_MS;
    if (o->time_ms < o->rounds) {
        fprintf(stderr, "bench: --time-ms must give each round at least 1 ms\n");
        return -1;
    }
    return 0;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where result files go: --out (created if missing), else the source tree's
 * bench/results (compiled in), else ./bench/results, else ".". */
static const char *results_dir(const struct bench_opts *o)
{
    if (o->out_dir != NULL) {
        if (!is_dir(o->out_dir) && mkdir(o->out_dir, 0777) != 0) {
            fprintf(stderr, "bench: cannot create %s: %s\n", o->out_dir, strerror(errno));
            return NULL;
        }
        return o->out_dir;
    }
#ifdef VC_BENCH_RESULTS_DIR
    if (is_dir(VC_BENCH_RESULTS_DIR))
        return VC_BENCH_RESULTS_DIR;
#endif
    if (is_dir("bench/results"))
        return "bench/results";
    return ".";
}

/* Writes one result file through a temporary name, so a reader never sees
 * half a file. */
static int save_one(const char *dir, const char *ext, const struct bench_opts *o,
                    const struct bench_result *r, int n, double elapsed_s)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/engine-%s.%s", dir, bench_report_stamp(), ext);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "bench: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    if (strcmp(ext, "json") == 0)
        bench_report_json(f, o, r, n, elapsed_s);
    else
        bench_report_text(f, o, r, n, elapsed_s);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    fprintf(stderr, "bench: wrote %s\n", path);
    return 0;
}

/* --only: one side, a fixed count, for a profiler to attribute. */
static int run_only(const struct bench_opts *o, const struct bench_cell *cells, int n)
{
    for (int i = 0; i < n; i++) {
        const struct bench_cell *c = &cells[i];
        uint64_t t0 = bench_now_ns();
        if ((o->only == 1 ? c->engine : c->native)(c->state, o->count) != 0) {
            fprintf(stderr, "bench: %s: an op failed\n", c->alg);
            return 1;
        }
        double ns = (double)(bench_now_ns() - t0) / (double)o->count;
        printf("%-22s %6zu B  %s  %llu ops  %.1f ns/op\n", c->alg, c->bytes,
               o->only == 1 ? "engine" : "native", (unsigned long long)o->count, ns);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct bench_cell cells[MAX_CELLS];
    static struct bench_result results[MAX_CELLS];
    struct bench_opts o;
    struct vc_engine *eng = NULL;
    int rc = 1, n = 0;

    if (parse_args(argc, argv, &o) != 0)
        return 2;
    uint64_t t_start = bench_now_ns();
    bench_report_init();
    vc_log_set(vc_log_stderr, NULL, VC_LOG_WARN);

    struct vc_engine_cfg cfg = {.nworkers = 1};
    if (!vc_ok(vc_engine_create(&vc_engine_openssl, &cfg, &eng))) {
        fprintf(stderr, "bench: cannot create the OpenSSL engine\n");
        return 1;
    }
    struct bench_env env = {.eng = eng};
    int ns = bench_cases_sym(&env, &o, cells, MAX_CELLS);
    int na = ns < 0 ? -1 : bench_cases_ak(&env, &o, cells + ns, MAX_CELLS - ns);
    if (ns < 0 || na < 0) {
        fprintf(stderr, "bench: setup failed; no numbers from a path that does not work\n");
        n = ns > 0 ? ns : 0; /* the symmetric cells that were built */
        goto out;
    }
    n = ns + na;
    if (n == 0) {
        fprintf(stderr, "bench: no cell matches --filter '%s'\n", o.filter ? o.filter : "");
        goto out;
    }

    if (o.only != 0) {
        rc = run_only(&o, cells, n);
        goto out;
    }
    if (!o.json_stdout)
        bench_report_text_header(stdout, &o);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        bench_measure(&o, &cells[i], &results[i]);
        failed += results[i].failed;
        if (!o.json_stdout)
            bench_report_text_row(stdout, &results[i]);
    }
    double elapsed = (double)(bench_now_ns() - t_start) / 1e9;
    if (o.json_stdout)
        bench_report_json(stdout, &o, results, n, elapsed);
    else
        bench_report_text_footer(stdout, results, n, elapsed);

    rc = failed ? 1 : 0;
    if (o.save) {
        const char *dir = results_dir(&o);
        if (dir == NULL || save_one(dir, "txt", &o, results, n, elapsed) != 0 ||
            save_one(dir, "json", &o, results, n, elapsed) != 0)
            rc = 1;
    }
out:
    for (int i = 0; i < n; i++)
        cells[i].free_state(cells[i].state);
    vc_engine_destroy(eng);
    return rc;
}
