/* `vcrypto bench` internals: the native (in-process OpenSSL) side and the
 * report writers. Internal to tools/vcrypto/; single-threaded. */
#ifndef VC_TOOLS_VCRYPTO_BENCH_H
#define VC_TOOLS_VCRYPTO_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

#define BENCH_MAX_ROUNDS 32
#define BENCH_MAX_TARGETS 4 /* devices + native */
#define BENCH_TAG 16

/* ---- Native: what a user would otherwise do in-process (bench_native.c).
 * One message per call; the key schedule is kept between calls (a keyed
 * EVP_CIPHER_CTX re-initialised with only a new IV, a keyed EVP_MAC_CTX
 * re-initialised with no key, a fetched EVP_MD). */
struct native;

/* NULL if OpenSSL has no direct equivalent (3DES-CTR, GMAC, CBC-MAC...). */
struct native *native_new(const struct cli_alg *a, const uint8_t *key, size_t key_len);
/* Processes len bytes of src: cipher -> out[len], AEAD encrypt -> out[len +
 * BENCH_TAG] (ciphertext || tag), hash/MAC -> out[a->out_len]. Returns
 * false on an OpenSSL failure. */
bool native_one(struct native *n, const uint8_t *iv, const uint8_t *src, uint32_t len,
                uint8_t *out);
void native_free(struct native *n);

/* ---- Results (bench_out.c). */
struct bench_cell {
    const struct cli_alg *a;
    uint32_t size;
    const char *target; /* short label: "vhost-user", "inproc", "native" */
    const char *spec;   /* device spec, or "openssl" */
    bool native;
    bool ok;            /* measured; false: failed or not applicable */
    const char *why;    /* when !ok */
    uint32_t rounds;
    double ops[BENCH_MAX_ROUNDS];    /* ops/s per round */
    double cpu_ns[BENCH_MAX_ROUNDS]; /* calling thread's CPU ns per op per round */
    double proc_ns[BENCH_MAX_ROUNDS]; /* whole process's CPU ns per op per round */
    double med_ops, med_cpu_ns, med_proc_ns, gbps, vs_native;
};

struct bench_run {
    uint32_t burst, window, rounds, round_ms;
    bool spin;
    char stamp[32]; /* UTC time the run finished; every output of a run shows the same */
    struct bench_cell *cells;
    size_t ncells;
};

/* Median of n values (n >= 1); sorts a copy. */
double bench_median(const double *v, uint32_t n);
/* Fills med_*, gbps and vs_native of every cell. */
void bench_summarise(struct bench_run *r);
void bench_print_table(FILE *f, const struct bench_run *r);
void bench_print_json(FILE *f, const struct bench_run *r);
/* True if a `gnuplot` executable is on PATH. */
bool bench_have_gnuplot(void);
/* Writes a PNG (GB/s vs size, one panel per algorithm). Prints on error. */
bool bench_plot(const struct bench_run *r, const char *png);
/* Writes s as a JSON string literal (quotes included). */
void cli_json_str(FILE *f, const char *s);

#endif
