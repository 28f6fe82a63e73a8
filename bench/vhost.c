/* bench/vhost: vcryptod over vhost-user against direct EVP calls (issue #3
 * section 6, first half). See vhost.h for the structure and
 * docs/BENCH-VHOST.md for the method and the columns.
 *
 * usage: vhost [--quick] [--time-ms N] [--rounds N] [--poll-us LIST]
 *              [--wait spin,event,yield] [--alg LIST] [--sizes LIST]
 *              [--bursts LIST] [--indirect] [--always-kick] [--pin]
 *              [--vcryptod PATH] [--out DIR] [--no-save]
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "vhost.h"

#ifndef VC_BENCH_RESULTS_DIR
#define VC_BENCH_RESULTS_DIR "bench/results"
#endif
#ifndef VC_VCRYPTOD_PATH
#define VC_VCRYPTOD_PATH "build/src/daemon/vcryptod"
#endif
#ifndef VC_BENCH_BUILDTYPE
#define VC_BENCH_BUILDTYPE "unknown"
#endif

#define MAX_ROUNDS 32
#define MAX_LIST 8
#define MAX_CELLS (MAX_LIST * VB_NWAIT * VB_NALG * MAX_LIST * MAX_LIST)

static const uint32_t default_sizes[] = {64, 256, 1024, 4096, 16384};
static const uint32_t default_bursts[] = {1, 32};

struct opts {
    unsigned time_ms, rounds, warmup_ms;
    uint32_t poll[MAX_LIST], npoll;
    enum vb_wait wait[VB_NWAIT];
    uint32_t nwait;
    bool alg_on[VB_NALG];
    uint32_t sizes[MAX_LIST], nsizes;
    uint32_t bursts[MAX_LIST], nbursts;
    bool indirect, always_kick, pin, save, quick;
    const char *vcryptod, *out_dir;
    char cmdline[1024];
};

/* One cell's result. Ratios pair the two sides of the same round. */
struct cell {
    uint32_t poll_us;
    enum vb_wait wait;
    enum vb_alg alg;
    uint32_t size, burst, rounds;
    double v_ops[MAX_ROUNDS], n_ops[MAX_ROUNDS], ratio[MAX_ROUNDS];
    double cli[MAX_ROUNDS], srv[MAX_ROUNDS], ncli[MAX_ROUNDS];
    double v_med, n_med, r_med, r_min, r_max, cli_med, srv_med, ncli_med;
    double kicks_per_op, waits_per_op;
    uint64_t v_total_ops;
    bool verified;
};

static struct cell g_cells[MAX_CELLS];
static uint32_t g_ncells;
static FILE *g_txt;

static struct {
    char date[40], stamp[20], uname[400], cpu[128], load[64];
    long nproc;
} facts;

const char *vb_alg_name(enum vb_alg a)
{
    static const char *const n[] = {"AES-256-GCM encrypt", "AES-128-CBC encrypt", "HMAC-SHA256"};
    return (unsigned)a < VB_NALG ? n[a] : "?";
}

const char *vb_alg_short(enum vb_alg a)
{
    static const char *const n[] = {"gcm", "cbc", "hmac"};
    return (unsigned)a < VB_NALG ? n[a] : "?";
}

static const char *wait_name(enum vb_wait w)
{
    static const char *const n[] = {"spin", "event", "yield"};
    return (unsigned)w < VB_NWAIT ? n[w] : "?";
}

/* Prints to stdout and to the text result file. */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (g_txt) {
        va_start(ap, fmt);
        vfprintf(g_txt, fmt, ap);
        va_end(ap);
    }
    fflush(stdout);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vhost [options]\n"
            "  --quick            short run (whole run < 30 s)\n"
            "  --time-ms N        ms per side per round (default 150, quick 30)\n"
            "  --rounds N         rounds per cell, medians reported (default 7, quick 3)\n"
            "  --poll-us LIST     vcryptod --poll-us values, one daemon each (default 0,50)\n"
            "  --wait LIST        client wait, any of spin,event,yield (default spin)\n"
            "  --alg LIST         gcm,cbc,hmac (default all)\n"
            "  --sizes LIST       message sizes in bytes (default 64,256,1024,4096,16384)\n"
            "  --bursts LIST      requests per kick (default 1,32; at most %u)\n"
            "  --indirect         one indirect descriptor per request\n"
            "  --always-kick      kick every burst even if the device set NO_NOTIFY\n"
            "  --pin              client on CPU 0, vcryptod on CPU 1\n"
            "  --vcryptod PATH    daemon binary (default %s)\n"
            "  --out DIR          result directory (default %s)\n"
            "  --no-save          do not write result files\n",
            VB_MAX_BURST, VC_VCRYPTOD_PATH, VC_BENCH_RESULTS_DIR);
}

/* Parses "a,b,c" of unsigned values in [lo, hi]. */
static int parse_list(const char *s, uint32_t lo, uint32_t hi, uint32_t *v, uint32_t *n)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", s);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(t, &end, 10);
        if (errno || *end || x < lo || x > hi || *n == MAX_LIST)
            return -1;
        v[(*n)++] = (uint32_t)x;
    }
    return *n ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    enum { O_QUICK = 256, O_TIME, O_ROUNDS, O_POLL, O_WAIT, O_ALG, O_SIZES, O_BURSTS,
           O_INDIRECT, O_KICK, O_PIN, O_DAEMON, O_OUT, O_NOSAVE };
    static const struct option lo[] = {
        {"quick", no_argument, NULL, O_QUICK},     {"time-ms", required_argument, NULL, O_TIME},
        {"rounds", required_argument, NULL, O_ROUNDS},
        {"poll-us", required_argument, NULL, O_POLL},
        {"wait", required_argument, NULL, O_WAIT}, {"alg", required_argument, NULL, O_ALG},
        {"sizes", required_argument, NULL, O_SIZES},
        {"bursts", required_argument, NULL, O_BURSTS},
        {"indirect", no_argument, NULL, O_INDIRECT},
        {"always-kick", no_argument, NULL, O_KICK}, {"pin", no_argument, NULL, O_PIN},
        {"vcryptod", required_argument, NULL, O_DAEMON},
        {"out", required_argument, NULL, O_OUT},   {"no-save", no_argument, NULL, O_NOSAVE},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->save = true;
    o->vcryptod = VC_VCRYPTOD_PATH;
    o->out_dir = VC_BENCH_RESULTS_DIR;
    o->poll[0] = 0;
    o->poll[1] = 50;
    o->npoll = 2;
    o->wait[0] = VB_WAIT_SPIN;
    o->nwait = 1;
    for (int a = 0; a < VB_NALG; a++)
        o->alg_on[a] = true;
    memcpy(o->sizes, default_sizes, sizeof(default_sizes));
    o->nsizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
    memcpy(o->bursts, default_bursts, sizeof(default_bursts));
    o->nbursts = sizeof(default_bursts) / sizeof(default_bursts[0]);
    unsigned time_ms = 0, rounds = 0;

    size_t len = 0;
    for (int i = 0; i < argc && len < sizeof(o->cmdline) - 1; i++)
        len += (size_t)snprintf(o->cmdline + len, sizeof(o->cmdline) - len, "%s%s",
                                i ? " " : "", argv[i]);

    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        uint32_t v[MAX_LIST], n;
        switch (c) {
        case O_QUICK:
            o->quick = true;
            break;
        case O_TIME:
            if (parse_list(optarg, 1, 60000, v, &n) || n != 1)
                goto bad;
            time_ms = v[0];
            break;
        case O_ROUNDS:
            if (parse_list(optarg, 1, MAX_ROUNDS, v, &n) || n != 1)
                goto bad;
            rounds = v[0];
            break;
        case O_POLL:
            if (parse_list(optarg, 0, 1000000, o->poll, &o->npoll))
                goto bad;
            break;
        case O_WAIT: {
            char buf[64];
            snprintf(buf, sizeof(buf), "%s", optarg);
            o->nwait = 0;
            for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
                int w = 0;
                while (w < VB_NWAIT && strcmp(t, wait_name((enum vb_wait)w)))
                    w++;
                if (w == VB_NWAIT || o->nwait == VB_NWAIT)
                    goto bad;
                o->wait[o->nwait++] = (enum vb_wait)w;
            }
            if (!o->nwait)
                goto bad;
            break;
        }
        case O_ALG: {
            memset(o->alg_on, 0, sizeof(o->alg_on));
            char buf[64];
            snprintf(buf, sizeof(buf), "%s", optarg);
            for (char *s = NULL, *t = strtok_r(buf, ",", &s); t; t = strtok_r(NULL, ",", &s)) {
                int a = 0;
                while (a < VB_NALG && strcmp(t, vb_alg_short((enum vb_alg)a)))
                    a++;
                if (a == VB_NALG)
                    goto bad;
                o->alg_on[a] = true;
            }
            break;
        }
        case O_SIZES:
            if (parse_list(optarg, 16, VB_MAX_MSG, o->sizes, &o->nsizes))
                goto bad;
            for (uint32_t i = 0; i < o->nsizes; i++)
                if (o->sizes[i] % 16) /* CBC without padding */
                    goto bad;
            break;
        case O_BURSTS:
            if (parse_list(optarg, 1, VB_MAX_BURST, o->bursts, &o->nbursts))
                goto bad;
            break;
        case O_INDIRECT:
            o->indirect = true;
            break;
        case O_KICK:
            o->always_kick = true;
            break;
        case O_PIN:
            o->pin = true;
            break;
        case O_DAEMON:
            o->vcryptod = optarg;
            break;
        case O_OUT:
            o->out_dir = optarg;
            break;
        case O_NOSAVE:
            o->save = false;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            goto bad;
        }
    }
    if (optind != argc)
        goto bad;
    o->time_ms = time_ms ? time_ms : o->quick ? 30 : 150;
    o->rounds = rounds ? rounds : o->quick ? 3 : 7;
    o->warmup_ms = o->time_ms / 2 ? o->time_ms / 2 : 1;
    return 0;
bad:
    usage(stderr);
    return -1;
}

static void read_line(const char *path, const char *key, char *dst, size_t cap)
{
    char line[512];
    FILE *f = fopen(path, "r");
    dst[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (key && strncmp(line, key, strlen(key)))
            continue;
        const char *v = line;
        if (key) {
            const char *colon = strchr(line, ':');
            v = colon ? colon + 1 : line;
            while (*v == ' ' || *v == '\t')
                v++;
        }
        size_t l = strcspn(v, "\n");
        l = l < cap ? l : cap - 1;
        memcpy(dst, v, l);
        dst[l] = '\0';
        break;
    }
    fclose(f);
}

static void gather_facts(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(facts.date, sizeof(facts.date), "%Y-%m-%d %H:%M:%S UTC", &tm);
    strftime(facts.stamp, sizeof(facts.stamp), "%Y%m%d-%H%M%S", &tm);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(facts.uname, sizeof(facts.uname), "%s %s %s %s %s", u.sysname, u.nodename,
                 u.release, u.version, u.machine);
    read_line("/proc/cpuinfo", "model name", facts.cpu, sizeof(facts.cpu));
    read_line("/proc/loadavg", NULL, facts.load, sizeof(facts.load));
    facts.nproc = sysconf(_SC_NPROCESSORS_ONLN);
}

static void print_header(const struct opts *o)
{
    out("# bench/vhost: vcryptod over vhost-user vs native EVP (issue #3 section 6)\n");
    out("# date:      %s\n", facts.date);
    out("# machine:   %s\n", facts.uname);
    out("# cpu:       %s, nproc %ld, loadavg at start %s\n", facts.cpu, facts.nproc, facts.load);
    out("# openssl:   %s (headers %s)\n", OpenSSL_version(OPENSSL_VERSION),
        OPENSSL_VERSION_TEXT);
    out("# build:     %s\n", VC_BENCH_BUILDTYPE);
    out("# command:   %s\n", o->cmdline);
    out("# vcryptod:  %s --socket-path TMP --queues 1 --poll-us {", o->vcryptod);
    for (uint32_t i = 0; i < o->npoll; i++)
        out("%s%u", i ? "," : "", o->poll[i]);
    out("}%s\n", o->pin ? " (pinned to CPU 1, client CPU 0)" : "");
    out("# frontend:  full-device mode, REVISION_1, data ring %u, %s descriptors, %s, "
        "client wait {",
        VB_RING, o->indirect ? "indirect" : "direct",
        o->always_kick ? "kick every burst" : "kick unless NO_NOTIFY");
    for (uint32_t i = 0; i < o->nwait; i++)
        out("%s%s", i ? "," : "", wait_name(o->wait[i]));
    out("}\n");
    out("# timing:    %u rounds x %u ms per side per cell (+%u ms warm-up), order "
        "alternating, medians over rounds\n",
        o->rounds, o->time_ms, o->warmup_ms);
    out("# columns:   GB/s = 1e9 bytes of message per second; ratio = median of per-round "
        "vhost/native (range);\n"
        "#            cli/srv ns/op = CPU of the bench process / of vcryptod per vhost op; "
        "kicks/op = eventfd writes per op\n");
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, uint32_t n)
{
    double t[MAX_ROUNDS];
    memcpy(t, v, n * sizeof(double));
    qsort(t, n, sizeof(double), cmp_d);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void fmt_ops(char *b, size_t cap, double v)
{
    if (v >= 1e6)
        snprintf(b, cap, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(b, cap, "%.1fk", v / 1e3);
    else
        snprintf(b, cap, "%.0f", v);
}

static void print_table_head(enum vb_alg a, uint32_t burst, uint32_t poll_us, enum vb_wait w)
{
    out("\n%s, burst %u  (poll-us %u, wait %s)\n", vb_alg_name(a), burst, poll_us, wait_name(w));
    out("  %6s %11s %9s %12s %9s %8s %15s %9s %9s %8s\n", "size", "vhost op/s", "GB/s",
        "native op/s", "GB/s", "ratio", "(min-max)", "cli ns/op", "srv ns/op", "kicks/op");
}

static void print_row(const struct cell *c)
{
    char v[16], n[16], range[32];
    fmt_ops(v, sizeof(v), c->v_med);
    fmt_ops(n, sizeof(n), c->n_med);
    snprintf(range, sizeof(range), "(%.3f-%.3f)", c->r_min, c->r_max);
    out("  %6u %11s %9.3f %12s %9.3f %8.3f %15s %9.0f %9.0f %8.3f\n", c->size, v,
        c->v_med * c->size / 1e9, n, c->n_med * c->size / 1e9, c->r_med, range, c->cli_med,
        c->srv_med, c->kicks_per_op);
}

/* Measures one cell: warm-up, then rounds alternating which side goes
 * first, then checks every slot's device output against native. */
static int run_cell(const struct opts *o, struct vb_dev *d, struct vb_native *nat,
                    struct cell *c)
{
    struct vb_sample s;
    uint64_t warm = (uint64_t)o->warmup_ms * 1000000ull, slot = (uint64_t)o->time_ms * 1000000ull;
    vb_dev_prepare(d, c->alg, c->size, c->burst);
    if (vb_dev_run(d, warm, &s) || vb_native_run(nat, d, c->alg, c->size, c->burst, warm, &s))
        return -1;
    uint64_t kicks = 0, waits = 0;
    c->rounds = o->rounds;
    for (uint32_t r = 0; r < o->rounds; r++) {
        struct vb_sample sv, sn;
        for (int side = 0; side < 2; side++) {
            bool vhost_side = (side == 0) == (r % 2 == 0);
            int rc = vhost_side ? vb_dev_run(d, slot, &sv)
                                : vb_native_run(nat, d, c->alg, c->size, c->burst, slot, &sn);
            if (rc)
                return -1;
        }
        c->v_ops[r] = (double)sv.ops * 1e9 / (double)sv.wall_ns;
        c->n_ops[r] = (double)sn.ops * 1e9 / (double)sn.wall_ns;
        c->ratio[r] = c->v_ops[r] / c->n_ops[r];
        c->cli[r] = (double)sv.cli_cpu_ns / (double)sv.ops;
        c->srv[r] = (double)sv.srv_cpu_ns / (double)sv.ops;
        c->ncli[r] = (double)sn.cli_cpu_ns / (double)sn.ops;
        c->v_total_ops += sv.ops;
        kicks += sv.kicks;
        waits += sv.waits;
    }
    c->v_med = median(c->v_ops, c->rounds);
    c->n_med = median(c->n_ops, c->rounds);
    c->r_med = median(c->ratio, c->rounds);
    c->cli_med = median(c->cli, c->rounds);
    c->srv_med = median(c->srv, c->rounds);
    c->ncli_med = median(c->ncli, c->rounds);
    c->r_min = c->r_max = c->ratio[0];
    for (uint32_t r = 1; r < c->rounds; r++) {
        c->r_min = c->ratio[r] < c->r_min ? c->ratio[r] : c->r_min;
        c->r_max = c->ratio[r] > c->r_max ? c->ratio[r] : c->r_max;
    }
    c->kicks_per_op = (double)kicks / (double)c->v_total_ops;
    c->waits_per_op = (double)waits / (double)c->v_total_ops;

    /* The device's last outputs against native, slot by slot. */
    static uint8_t want[VB_MAX_MSG + 32];
    for (uint32_t i = 0; i < c->burst; i++) {
        uint32_t n = vb_native_one(nat, c->alg, vb_dev_src(d, i), c->size, vb_dev_iv(d, i), want);
        if (n == 0 || memcmp(vb_dev_out(d, i), want, n) != 0) {
            fprintf(stderr, "vhost bench: %s %u B burst %u: slot %u output differs from native\n",
                    vb_alg_short(c->alg), c->size, c->burst, i);
            return -1;
        }
    }
    c->verified = true;
    return 0;
}

static void json_str(FILE *f, const char *k, const char *v, bool comma)
{
    fprintf(f, "  \"%s\": \"", k);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*p);
        else
            fputc(*p, f);
    }
    fprintf(f, "\"%s\n", comma ? "," : "");
}

static void write_json(FILE *f, const struct opts *o, double elapsed)
{
    fprintf(f, "{\n");
    json_str(f, "bench", "vhost", true);
    json_str(f, "date", facts.date, true);
    json_str(f, "uname", facts.uname, true);
    json_str(f, "cpu", facts.cpu, true);
    fprintf(f, "  \"nproc\": %ld,\n", facts.nproc);
    json_str(f, "loadavg_start", facts.load, true);
    json_str(f, "openssl", OpenSSL_version(OPENSSL_VERSION), true);
    json_str(f, "buildtype", VC_BENCH_BUILDTYPE, true);
    json_str(f, "command", o->cmdline, true);
    json_str(f, "vcryptod", o->vcryptod, true);
    fprintf(f, "  \"vcryptod_args\": \"--socket-path TMP --queues 1 --poll-us N\",\n");
    fprintf(f, "  \"ring\": %u,\n  \"descriptors\": \"%s\",\n  \"kick\": \"%s\",\n", VB_RING,
            o->indirect ? "indirect" : "direct", o->always_kick ? "always" : "unless NO_NOTIFY");
    fprintf(f, "  \"pinned\": %s,\n", o->pin ? "true" : "false");
    fprintf(f, "  \"time_ms\": %u,\n  \"rounds\": %u,\n  \"warmup_ms\": %u,\n", o->time_ms,
            o->rounds, o->warmup_ms);
    fprintf(f, "  \"elapsed_s\": %.1f,\n  \"results\": [\n", elapsed);
    for (uint32_t i = 0; i < g_ncells; i++) {
        const struct cell *c = &g_cells[i];
        fprintf(f,
                "    {\"alg\": \"%s\", \"size\": %u, \"burst\": %u, \"poll_us\": %u, "
                "\"wait\": \"%s\",\n"
                "     \"vhost_ops\": %.1f, \"vhost_gbps\": %.4f, \"native_ops\": %.1f, "
                "\"native_gbps\": %.4f,\n"
                "     \"ratio\": %.4f, \"ratio_min\": %.4f, \"ratio_max\": %.4f,\n"
                "     \"client_cpu_ns_per_op\": %.1f, \"vcryptod_cpu_ns_per_op\": %.1f, "
                "\"native_cpu_ns_per_op\": %.1f,\n"
                "     \"kicks_per_op\": %.4f, \"waits_per_op\": %.4f, \"verified\": %s,\n"
                "     \"vhost_ops_rounds\": [",
                vb_alg_short(c->alg), c->size, c->burst, c->poll_us, wait_name(c->wait), c->v_med,
                c->v_med * c->size / 1e9, c->n_med, c->n_med * c->size / 1e9, c->r_med, c->r_min,
                c->r_max, c->cli_med, c->srv_med, c->ncli_med, c->kicks_per_op, c->waits_per_op,
                c->verified ? "true" : "false");
        for (uint32_t r = 0; r < c->rounds; r++)
            fprintf(f, "%s%.1f", r ? ", " : "", c->v_ops[r]);
        fprintf(f, "], \"native_ops_rounds\": [");
        for (uint32_t r = 0; r < c->rounds; r++)
            fprintf(f, "%s%.1f", r ? ", " : "", c->n_ops[r]);
        fprintf(f, "]}%s\n", i + 1 < g_ncells ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
}

static FILE *open_result(const struct opts *o, const char *ext, char *path, size_t cap)
{
    mkdir(o->out_dir, 0755);
    snprintf(path, cap, "%s/vhost-%s.%s", o->out_dir, facts.stamp, ext);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "vhost bench: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_opts(argc, argv, &o))
        return 2;
    signal(SIGPIPE, SIG_IGN);
    if (access(o.vcryptod, X_OK) != 0) {
        fprintf(stderr, "vhost bench: %s is not executable (build it, or pass --vcryptod)\n",
                o.vcryptod);
        return 1;
    }
    gather_facts();
    char txt_path[512] = "", json_path[512] = "";
    if (o.save)
        g_txt = open_result(&o, "txt", txt_path, sizeof(txt_path));
    print_header(&o);
    if (o.pin) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            fprintf(stderr, "vhost bench: pinning the client failed: %s\n", strerror(errno));
    }
    struct vb_native *nat = vb_native_new();
    if (!nat)
        return 1;
    uint64_t t0 = vb_now_ns();
    int rc = 0;
    static struct vb_dev dev;
    for (uint32_t p = 0; p < o.npoll && !rc; p++) {
        for (uint32_t w = 0; w < o.nwait && !rc; w++) {
            struct vb_dev_opts dopt = {.vcryptod = o.vcryptod,
                                       .poll_us = o.poll[p],
                                       .pin_cpu = o.pin ? 1 : -1,
                                       .indirect = o.indirect,
                                       .always_kick = o.always_kick,
                                       .wait = o.wait[w]};
            if (vb_dev_start(&dev, &dopt)) {
                rc = 1;
                break;
            }
            for (int a = 0; a < VB_NALG && !rc; a++) {
                if (!o.alg_on[a])
                    continue;
                for (uint32_t b = 0; b < o.nbursts && !rc; b++) {
                    print_table_head((enum vb_alg)a, o.bursts[b], o.poll[p], o.wait[w]);
                    for (uint32_t s = 0; s < o.nsizes && !rc; s++) {
                        struct cell *c = &g_cells[g_ncells];
                        memset(c, 0, sizeof(*c));
                        c->poll_us = o.poll[p];
                        c->wait = o.wait[w];
                        c->alg = (enum vb_alg)a;
                        c->size = o.sizes[s];
                        c->burst = o.bursts[b];
                        if (run_cell(&o, &dev, nat, c)) {
                            rc = 1;
                            break;
                        }
                        g_ncells++;
                        print_row(c);
                    }
                }
            }
            vb_dev_stop(&dev);
        }
    }
    double elapsed = (double)(vb_now_ns() - t0) / 1e9;
    char load_end[64];
    read_line("/proc/loadavg", NULL, load_end, sizeof(load_end));
    out("\n# %u cells in %.1f s, loadavg at end %s%s\n", g_ncells, elapsed, load_end,
        rc ? "; FAILED (see stderr), numbers above are partial" : "; every output verified");
    vb_native_free(nat);
    if (g_txt) {
        fclose(g_txt);
        g_txt = NULL;
    }
    if (o.save) {
        FILE *f = open_result(&o, "json", json_path, sizeof(json_path));
        if (f) {
            write_json(f, &o, elapsed);
            fclose(f);
        }
        printf("# results: %s, %s\n", txt_path, json_path);
    }
    return rc;
}
