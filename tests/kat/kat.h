/* Shared driver code for the NIST CAVP known-answer tests (tests/kat/kat_*.c).
 *
 * Every KAT binary walks a list of vector files under the CAVP directory
 * (python3-cryptography-vectors, meson option cavp_dir, passed as argv[1]
 * or VC_CAVP_DIR). Per file it prints
 *
 *   # <file>: N vectors run, M n/a
 *   ok K - <file>            (or "not ok")
 *
 * A file fails if any vector fails or if no vector ran (a file we open must
 * exercise something). "n/a" vectors are those outside the engine's
 * advertised capabilities (struct vc_algo_cap); they are still sent to the
 * engine and must be refused with NOTSUPP or ERR. Vectors that cannot even
 * be expressed in a virtio request (no algorithm id, bit-granular lengths)
 * are counted in `skip` and listed, never sent.
 *
 * Data goes through multi-piece scatter-gather lists for every other vector
 * (kat_sg_split), with guard bytes after every output buffer.
 *
 * Threading: single-threaded test code. Allocation failure aborts.
 */
#ifndef VC_TESTS_KAT_KAT_H
#define VC_TESTS_KAT_KAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "engine/engine.h"
#include "rsp.h"
#include "test.h"

/* Most pieces an sg built by kat_sg_split has. */
#define KAT_SG_MAX 6
/* Guard bytes after every output buffer; must stay untouched. */
#define KAT_GUARD 16

struct kat_file {
    const char *name; /* path below the CAVP dir */
    struct kat_rsp *r;
    unsigned long run, na, skip, fail;
    const char *skip_why; /* why `skip` vectors were not sent */
};

/* A growable byte buffer. `len` is the payload; outputs get KAT_GUARD
 * guard bytes after it (kat_buf_out / kat_buf_guard_ok). */
struct kat_buf {
    uint8_t *p;
    size_t len, cap;
};

struct kat_sg {
    struct vc_iov iov[KAT_SG_MAX];
    struct vc_sg sg;
};

/* ---- setup (kat.c) */

/* The CAVP directory from argv[1] or $VC_CAVP_DIR, or NULL if neither names
 * an existing directory. */
const char *kat_dir(int argc, char **argv);

/* The engine under test, with 2 workers: vc_engine_openssl, or libvcrypto
 * per VC_KAT_BACKEND (tests/testlib/drv_engine.h). NULL on failure. */
struct vc_engine *kat_engine(void);

/* Opens dir/name into f (zeroing its counters). false if it cannot be
 * opened; the caller reports that as a failure. */
bool kat_file_open(struct kat_file *f, const char *dir, const char *name);

/* Records one failed vector; prints the message for the first few only. */
void kat_fail(struct kat_file *f, const char *fmt, ...) VC_PRINTF(2, 3);

/* Records a failure if got != want (n bytes), with a hex dump of both. */
bool kat_check_mem(struct kat_file *f, const char *what, const void *got, const void *want,
                   size_t n);

/* ---- buffers (kat.c) */

/* Sets b to the bytes of hex string s; false on bad hex. */
bool kat_buf_hex(struct kat_buf *b, const char *s);
/* Looks name up with kat_rsp_get and decodes it; a missing or bad value is
 * recorded as a failure (the file is not what we expect). */
bool kat_get_hex(struct kat_file *f, const char *name, struct kat_buf *b);
/* As kat_get_hex, for big-endian numbers: an odd number of hex digits is
 * read as if it had a leading zero (P-521 coordinates are written so). */
bool kat_get_num(struct kat_file *f, const char *name, struct kat_buf *b);
/* Sets b to len bytes (contents 0x5a) followed by KAT_GUARD guard bytes. */
void kat_buf_out(struct kat_buf *b, size_t len);
/* Sets b to a copy of len bytes of src, with guard bytes after. */
void kat_buf_set(struct kat_buf *b, const void *src, size_t len);
/* True if the guard bytes after b->len are intact. */
bool kat_buf_guard_ok(const struct kat_buf *b);
void kat_buf_free(struct kat_buf *b);

/* Unsigned decimal value of name (kat_rsp_get); false if missing/bad. */
bool kat_get_ulong(struct kat_file *f, const char *name, unsigned long *out);

/* ---- scatter-gather (kat.c) */

/* Builds s over [p, p+len). With seed odd, the buffer is cut at up to
 * KAT_SG_MAX-1 pseudo-random points (pieces are never empty); with seed
 * even it is one piece. len 0 gives an empty sg. */
void kat_sg_split(struct kat_sg *s, uint8_t *p, size_t len, unsigned long seed);

/* ---- capabilities (kat.c) */

/* True if len is within [min, max] and (step == 0 or (len-min) % step == 0). */
bool kat_len_ok(uint32_t len, uint32_t min, uint32_t max, uint32_t step);
/* True if cap admits a key of key_len bytes. */
bool kat_cap_key_ok(const struct vc_algo_cap *c, uint32_t key_len);
/* True if cap admits an IV of iv_len bytes. */
bool kat_cap_iv_ok(const struct vc_algo_cap *c, uint32_t iv_len);
/* True if cap admits an output (digest/tag) of n bytes (out_mask if set,
 * else [out_min, out_max]). */
bool kat_cap_out_ok(const struct vc_algo_cap *c, uint32_t n);

/* True if status is what an n/a vector must give (NOTSUPP or ERR). */
static inline bool kat_refused(uint8_t st)
{
    return st == VIRTIO_CRYPTO_NOTSUPP || st == VIRTIO_CRYPTO_ERR;
}

/* Status name for messages (test.h's table). */
static inline const char *kat_st(int st)
{
    return t__status_name(st);
}

/* Closes f, prints its counts and its TAP line through the test.h counters
 * (so TEST_DONE() plans and fails correctly). Header-only because those
 * counters are per translation unit. */
static inline void kat_file_end(struct kat_file *f)
{
    kat_rsp_close(f->r);
    f->r = NULL;
    printf("# %s: %lu vectors run, %lu n/a", f->name, f->run, f->na);
    if (f->skip)
        printf(", %lu not expressible (%s)", f->skip, f->skip_why ? f->skip_why : "?");
    printf("\n");
    bool bad = f->fail > 0 || f->run == 0;
    if (f->run == 0)
        printf("# %s: no vector ran\n", f->name);
    if (f->fail)
        printf("# %s: %lu vectors failed\n", f->name, f->fail);
    t__n++;
    printf("%sok %d - %s\n", bad ? "not " : "", t__n, f->name);
    fflush(stdout);
    if (bad)
        t__fail_total++;
}

/* A file that is deliberately not run (reason printed): a TAP skip line,
 * which meson counts as skipped, never as passed. */
static inline void kat_file_skipped(const char *name, const char *why)
{
    t__n++;
    printf("ok %d - %s # SKIP %s\n", t__n, name, why);
}

/* A file that should exist but could not be opened. */
static inline void kat_file_missing(const char *name)
{
    t__n++;
    t__fail_total++;
    printf("# %s: cannot open\nnot ok %d - %s\n", name, t__n, name);
}

/* Keeps test.h's per-test counter referenced in binaries that never use
 * RUN() (all KAT binaries), so -Wunused-variable stays quiet. */
static inline void kat__touch(void)
{
    (void)t__fail_cur;
}

#endif
