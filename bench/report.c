/* Reporting: the header that says where and how a run was made, the table,
 * and the same results as JSON. docs/BENCH.md explains every column.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "bench.h"

#ifndef VC_BENCH_BUILDTYPE
#define VC_BENCH_BUILDTYPE "unknown"
#endif

/* Facts gathered once at start (bench_report_init). */
static struct {
    char date[40];  /* 2026-11-30 16:04:02 UTC */
    char stamp[20]; /* 20261130-160402 */
    char uname[512];
    char cpu[128];
    char flags[160]; /* the crypto-relevant CPU flags present */
    long nproc;
    char load_start[64];
} facts;

static void read_first_line(const char *path, const char *key, char *out, size_t cap)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        if (key != NULL && strncmp(line, key, strlen(key)) != 0)
            continue;
        const char *v = line;
        if (key != NULL) {
            const char *colon = strchr(line, ':');
            v = colon != NULL ? colon + 1 : line;
            while (*v == ' ' || *v == '\t')
                v++;
        }
        size_t l = strcspn(v, "\n");
        l = l < cap ? l : cap - 1;
        memcpy(out, v, l);
        out[l] = '\0';
        break;
    }
    fclose(f);
}

/* The flags that decide which OpenSSL code paths run (AES-NI, VAES, SHA
 * extensions, AVX-512, ADX/BMI2 for bignums). */
static void cpu_flags(char *out, size_t cap)
{
    static const char *const want[] = {"aes",  "pclmulqdq", "vaes",   "vpclmulqdq", "sha_ni",
                                       "avx2", "avx512f",   "adx",    "bmi2"};
    char line[4096];
    size_t used = 0;
    out[0] = '\0';
    read_first_line("/proc/cpuinfo", "flags", line, sizeof line);
    for (size_t i = 0; i < VC_ARRAY_SIZE(want); i++) {
        size_t wl = strlen(want[i]);
        for (const char *p = line; (p = strstr(p, want[i])) != NULL; p += wl) {
            bool start = p == line || p[-1] == ' ';
            bool end = p[wl] == ' ' || p[wl] == '\0';
            if (start && end) {
                int w = snprintf(out + used, cap - used, "%s%s", used ? " " : "", want[i]);
                if (w > 0 && (size_t)w < cap - used)
                    used += (size_t)w;
                break;
            }
        }
    }
}

void bench_report_init(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(facts.date, sizeof facts.date, "%Y-%m-%d %H:%M:%S UTC", &tm);
    strftime(facts.stamp, sizeof facts.stamp, "%Y%m%d-%H%M%S", &tm);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(facts.uname, sizeof facts.uname, "%s %s %s %s %s", u.sysname, u.nodename,
                 u.release, u.version, u.machine);
    read_first_line("/proc/cpuinfo", "model name", facts.cpu, sizeof facts.cpu);
    if (facts.cpu[0] == '\0')
        snprintf(facts.cpu, sizeof facts.cpu, "unknown");
    facts.nproc = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_flags(facts.flags, sizeof facts.flags);
    read_first_line("/proc/loadavg", NULL, facts.load_start, sizeof facts.load_start);
}

const char *bench_report_stamp(void)
{
    return facts.stamp;
}

static const char *compiler_name(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

static const char *size_label(size_t bytes, char *buf, size_t cap)
{
    if (bytes == 0)
        snprintf(buf, cap, "-");
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, cap, "%zu KiB", bytes / 1024);
    else
        snprintf(buf, cap, "%zu B", bytes);
    return buf;
}

static const char *status_of(const struct bench_result *r)
{
    if (r->failed)
        return "FAILED";
    if (!r->miss)
        return "ok";
    return r->informational ? "miss (info)" : "MISS";
}

static void method_text(FILE *f, const struct bench_opts *o)
{
    fprintf(f,
            "method    per cell: %u ms warm-up per side, then %u rounds; each round runs the\n"
            "          engine and the native side for one %.0f ms slot each, back to back,\n"
            "          the order flipping every round (E N, N E, ...), so drift and other\n"
            "          load hit both sides alike. Fixed time per slot; ops in batches of\n"
            "          100-200 us timed with CLOCK_MONOTONIC; a slot's rate = batch ops /\n"
            "          median batch time (drops batches the scheduler interrupted);\n"
            "          ops/s = best round of each side.\n",
            o->warmup_ms, o->rounds, (double)o->time_ms / o->rounds);
}

void bench_report_text_header(FILE *f, const struct bench_opts *o)
{
    fprintf(f, "vcrypto bench/engine: vc_engine_openssl (1 worker) vs direct EVP calls\n");
    fprintf(f, "date      %s\n", facts.date);
    fprintf(f, "command   %s\n", o->cmdline);
    fprintf(f, "machine   %s\n", facts.uname);
    fprintf(f, "cpu       %s, %ld online; flags: %s\n", facts.cpu, facts.nproc, facts.flags);
    fprintf(f, "load      %s (at start)\n", facts.load_start);
    fprintf(f, "openssl   %s (built against %s)\n", OpenSSL_version(OPENSSL_VERSION),
            OPENSSL_VERSION_TEXT);
    fprintf(f, "compiler  %s, meson buildtype %s\n", compiler_name(), VC_BENCH_BUILDTYPE);
    method_text(f, o);
    fprintf(f, "columns   ratio = engine/native ops/s (best rounds); r.med = median of the\n"
               "          per-round engine/native ratios; ovh = native/engine - 1 (extra time\n"
               "          per op); target = issue #2 §5: <= 15 %% at 64 B (also applied to\n"
               "          256 B..4 KiB and to sign/verify), <= 5 %% at 16 KiB. GB/s = 10^9 B/s\n"
               "          of message. pc = sg pieces of the engine's src and dst.\n\n");
    fprintf(f, "%-22s %6s %2s %12s %7s %12s %7s %6s %6s %7s %6s  %s\n", "algorithm", "size", "pc",
            "engine ops/s", "GB/s", "native ops/s", "GB/s", "ratio", "r.med", "ovh", "target",
            "status");
    fflush(f);
}

void bench_report_text_row(FILE *f, const struct bench_result *r)
{
    char sz[32];
    size_label(r->bytes, sz, sizeof sz);
    if (r->failed) {
        fprintf(f, "%-22s %6s %2u %12s %7s %12s %7s %6s %6s %7s %5.0f%%  %s\n", r->alg, sz,
                r->pieces, "-", "-", "-", "-", "-", "-", "-", r->target * 100, status_of(r));
        fflush(f);
        return;
    }
    char egb[16] = "-", ngb[16] = "-";
    if (r->bytes > 0) {
        snprintf(egb, sizeof egb, "%.3f", r->eng.best * (double)r->bytes / 1e9);
        snprintf(ngb, sizeof ngb, "%.3f", r->nat.best * (double)r->bytes / 1e9);
    }
    fprintf(f, "%-22s %6s %2u %12.0f %7s %12.0f %7s %6.3f %6.3f %6.1f%% %5.0f%%  %s\n", r->alg,
            sz, r->pieces, r->eng.best, egb, r->nat.best, ngb, r->ratio, r->ratio_median,
            r->overhead * 100, r->target * 100, status_of(r));
    fflush(f);
}

/* Extra time per op through the engine, from the best rounds. */
static double extra_ns(const struct bench_result *r)
{
    return 1e9 / r->eng.best - 1e9 / r->nat.best;
}

void bench_report_text_footer(FILE *f, const struct bench_result *r, int n, double elapsed_s)
{
    int miss = 0, info = 0, failed = 0;
    char load_end[64];
    for (int i = 0; i < n; i++) {
        if (r[i].failed)
            failed++;
        else if (r[i].miss && r[i].informational)
            info++;
        else if (r[i].miss)
            miss++;
    }
    read_first_line("/proc/loadavg", NULL, load_end, sizeof load_end);
    fprintf(f, "\n%d cells: %d within target, %d MISS, %d informational miss, %d failed\n", n,
            n - miss - info - failed, miss, info, failed);
    for (int i = 0; i < n; i++) {
        char sz[32];
        if (!r[i].failed && r[i].miss && !r[i].informational)
            fprintf(f,
                    "  MISS %s %s: overhead %.1f %% > %.0f %%, +%.0f ns/op (per-round ratios "
                    "%.3f..%.3f)\n",
                    r[i].alg, size_label(r[i].bytes, sz, sizeof sz), r[i].overhead * 100,
                    r[i].target * 100, extra_ns(&r[i]), r[i].ratio_min, r[i].ratio_max);
    }
    fprintf(f, "elapsed   %.1f s; load %s (at end)\n", elapsed_s, load_end);
    fflush(f);
}

void bench_report_text(FILE *f, const struct bench_opts *o, const struct bench_result *r, int n,
                       double elapsed_s)
{
    bench_report_text_header(f, o);
    for (int i = 0; i < n; i++)
        bench_report_text_row(f, &r[i]);
    bench_report_text_footer(f, r, n, elapsed_s);
}

/* ---- JSON (written by hand: a flat, fixed shape) */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void json_side(FILE *f, const char *name, const struct bench_side_result *s, size_t bytes,
                      unsigned rounds)
{
    fprintf(f,
            "      \"%s\": {\"ops_per_s\": %.1f, \"gb_per_s\": %.4f, \"median_ops_per_s\": %.1f, "
            "\"wall_median_ops_per_s\": %.1f, \"total_ops\": %llu, \"batch\": %llu,\n"
            "        \"rounds_ops_per_s\": [",
            name, s->best, s->best * (double)bytes / 1e9, s->median, s->wall_median,
            (unsigned long long)s->total_ops, (unsigned long long)s->batch);
    for (unsigned i = 0; i < rounds; i++)
        fprintf(f, "%s%.1f", i ? ", " : "", s->ops_round[i]);
    fprintf(f, "],\n        \"rounds_wall_ops_per_s\": [");
    for (unsigned i = 0; i < rounds; i++)
        fprintf(f, "%s%.1f", i ? ", " : "", s->wall[i]);
    fprintf(f, "]},\n");
}

void bench_report_json(FILE *f, const struct bench_opts *o, const struct bench_result *r, int n,
                       double elapsed_s)
{
    char load_end[64];
    read_first_line("/proc/loadavg", NULL, load_end, sizeof load_end);
    fprintf(f, "{\n  \"tool\": \"bench/engine\",\n  \"date\": ");
    json_str(f, facts.date);
    fprintf(f, ",\n  \"command\": ");
    json_str(f, o->cmdline);
    fprintf(f, ",\n  \"machine\": {\"uname\": ");
    json_str(f, facts.uname);
    fprintf(f, ", \"cpu\": ");
    json_str(f, facts.cpu);
    fprintf(f, ", \"flags\": ");
    json_str(f, facts.flags);
    fprintf(f, ", \"nproc\": %ld, \"load_start\": ", facts.nproc);
    json_str(f, facts.load_start);
    fprintf(f, ", \"load_end\": ");
    json_str(f, load_end);
    fprintf(f, "},\n  \"openssl\": ");
    json_str(f, OpenSSL_version(OPENSSL_VERSION));
    fprintf(f, ",\n  \"buildtype\": ");
    json_str(f, VC_BENCH_BUILDTYPE);
    fprintf(f,
            ",\n  \"method\": {\"warmup_ms\": %u, \"rounds\": %u, \"slot_ms\": %.1f, "
            "\"order\": \"alternating E N / N E\", "
            "\"slot_rate\": \"batch ops / median batch time\", \"rate\": \"best round per side\", "
            "\"clock\": \"CLOCK_MONOTONIC\", \"batch_us\": \"100-200\"},\n",
            o->warmup_ms, o->rounds, (double)o->time_ms / o->rounds);
    fprintf(f, "  \"elapsed_s\": %.2f,\n  \"results\": [\n", elapsed_s);
    for (int i = 0; i < n; i++) {
        const struct bench_result *x = &r[i];
        fprintf(f, "    {\"algorithm\": ");
        json_str(f, x->alg);
        fprintf(f, ", \"bytes\": %zu, \"pieces\": %u, \"failed\": %s,\n", x->bytes, x->pieces,
                x->failed ? "true" : "false");
        json_side(f, "engine", &x->eng, x->bytes, x->failed ? 0 : o->rounds);
        json_side(f, "native", &x->nat, x->bytes, x->failed ? 0 : o->rounds);
        fprintf(f,
                "      \"ratio\": %.4f, \"ratio_median\": %.4f, \"ratio_min\": %.4f, "
                "\"ratio_max\": %.4f, \"overhead\": %.4f, \"extra_ns_per_op\": %.1f, "
                "\"target\": %.2f, \"miss\": %s, \"informational\": %s, \"status\": ",
                x->ratio, x->ratio_median, x->ratio_min, x->ratio_max, x->overhead,
                x->failed ? 0.0 : extra_ns(x), x->target,
                x->miss ? "true" : "false", x->informational ? "true" : "false");
        json_str(f, status_of(x));
        fprintf(f, "}%s\n", i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    fflush(f);
}
