/* bench/engine: throughput of the crypto engine against direct EVP calls.
 *
 * The program measures "cells": one algorithm at one message size. Every cell
 * has two sides that do the same work on the same bytes:
 *   engine  vc_engine_op() on a vc_engine_openssl session (worker 0);
 *   native  the EVP calls an in-process user would make instead, with every
 *           key schedule / context kept between messages (cases_sym.c and
 *           cases_ak.c say exactly which calls).
 * The two sides run interleaved in short time slots (timing.c), so that
 * frequency drift and other tenants of the machine hit both alike.
 *
 * Files: engine.c (options, main loop), cases_sym.c (AEAD, cipher, hash,
 * MAC cells), cases_ak.c (RSA and ECDSA cells), timing.c (clock, slots,
 * rounds), report.c (header, table, JSON, result files).
 *
 * This is a program, not a library: it prints to stdout/stderr freely, and
 * nothing in src/ links it. Single-threaded throughout.
 */
#ifndef VC_BENCH_BENCH_H
#define VC_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"

/* Most slots a cell can be split into (--rounds). */
#define BENCH_MAX_ROUNDS 64

/* One side of a cell: run(state, n) performs n operations and returns 0, or
 * -1 if any of them failed (the cell is then reported as an error). */
typedef int (*bench_run_fn)(void *state, uint64_t n);

/* A cell as the case files set it up. */
struct bench_cell {
    char alg[40];       /* row label, e.g. "AES-256-GCM enc" */
    size_t bytes;       /* message bytes per op for GB/s; 0 = not a throughput row */
    unsigned pieces;    /* sg pieces of the engine's src/dst */
    double target;      /* allowed overhead, e.g. 0.05 */
    bool informational; /* a miss is shown but is not an issue target miss */
    void *state;        /* owned by the case; freed by free_state */
    bench_run_fn engine;
    bench_run_fn native;
    void (*free_state)(void *state);
};

/* What one side measured over all rounds. */
struct bench_side_result {
    double ops_round[BENCH_MAX_ROUNDS]; /* ops/s in each round (median batch) */
    double wall[BENCH_MAX_ROUNDS];      /* ops/s in each round, slot wall clock */
    double best;                        /* max over rounds of ops_round */
    double median;                      /* median over rounds of ops_round */
    double wall_median;                 /* median over rounds of wall */
    uint64_t total_ops;
    uint64_t batch; /* ops per timed batch */
};

struct bench_result {
    char alg[40];
    size_t bytes;
    unsigned pieces;
    double target;
    bool informational;
    bool failed; /* an op failed or the output check failed; numbers are void */
    struct bench_side_result eng, nat;
    double ratio;        /* eng.best / nat.best */
    double ratio_median; /* median of the per-round eng/nat ratios */
    double ratio_min, ratio_max;
    double overhead; /* nat.best / eng.best - 1: extra time per op */
    bool miss;       /* overhead > target */
};

/* Run parameters (engine.c fills them from the command line). */
struct bench_opts {
    bool quick;
    bool json_stdout;
    bool save;
    unsigned time_ms; /* per cell and side, all rounds together */
    unsigned rounds;
    unsigned warmup_ms;
    const char *filter; /* comma-separated case-insensitive substrings, or NULL */
    unsigned size;      /* --size: only symmetric cells of this many bytes; 0 = all */
    unsigned pieces;    /* --pieces: only cells with this many sg pieces; 0 = all */
    const char *out_dir;
    int only;        /* 0 = both sides timed; 1 = engine only, 2 = native only */
    uint64_t count;  /* ops per cell with --only */
    char cmdline[1024];
};

/* Everything a case needs to build its cells. */
struct bench_env {
    struct vc_engine *eng; /* nworkers = 1 */
};

/* Case builders: each returns the number of cells it appended to cells[]
 * (at most max), skipping cells whose label fails the filter, or -1 after
 * printing why setup failed. Every built cell has already checked that both
 * sides produce the same output (or, for ECDSA, signatures the other side
 * verifies), so a fast but wrong engine cannot post a number. */
int bench_cases_sym(const struct bench_env *env, const struct bench_opts *o,
                    struct bench_cell *cells, int max);
int bench_cases_ak(const struct bench_env *env, const struct bench_opts *o,
                   struct bench_cell *cells, int max);

/* True if label passes o->filter (always true without a filter). */
bool bench_filter_match(const struct bench_opts *o, const char *label);

/* ---- timing.c */

/* Monotonic time in nanoseconds (CLOCK_MONOTONIC). */
uint64_t bench_now_ns(void);
/* Measures one cell: warm-up, batch calibration, then o->rounds rounds of
 * engine and native slots, alternating which side goes first. */
void bench_measure(const struct bench_opts *o, const struct bench_cell *c,
                   struct bench_result *r);

/* ---- report.c */

/* The text report in three parts, so that rows can stream to stdout as
 * cells finish; bench_report_text writes all three for results r[0..n). */
void bench_report_text_header(FILE *f, const struct bench_opts *o);
void bench_report_text_row(FILE *f, const struct bench_result *r);
void bench_report_text_footer(FILE *f, const struct bench_result *r, int n, double elapsed_s);
void bench_report_text(FILE *f, const struct bench_opts *o, const struct bench_result *r, int n,
                       double elapsed_s);
void bench_report_json(FILE *f, const struct bench_opts *o, const struct bench_result *r, int n,
                       double elapsed_s);
/* Fills the header facts (time stamp, uname, CPU, ...); call once at start. */
void bench_report_init(void);
/* The UTC time stamp used in result file names, YYYYmmdd-HHMMSS. */
const char *bench_report_stamp(void);

#endif
