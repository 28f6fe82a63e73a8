/* Wycheproof known-answer test drivers: shared runner.
 *
 * The Wycheproof JSON files (C2SP/wycheproof testvectors_v1, see SOURCE.md in
 * the vectors folder) are read with libjansson and run through the crypto
 * engine interface (src/engine/engine.h), never through OpenSSL directly:
 * OpenSSL is used here only to hash messages for signature tests and to
 * convert key encodings into the ones virtio specifies.
 *
 * Each family binary (wycheproof_aead, _cipher, _mac, _ecdsa, _rsa) calls
 * wp_init(), then wp_file() once per vector file, then wp_done(). wp_file()
 * prints one TAP line per file plus a "#" line with the counts:
 *
 *   ran      vectors whose outcome the engine decided, split by the file's
 *            "result" (valid / invalid / acceptable);
 *   refused  vectors whose parameters the engine does not advertise in its
 *            capabilities (key, IV, tag or data size), which it then must
 *            refuse with the status docs/STATUS.md gives;
 *   test-rejected  vectors the test itself rejects before the engine sees
 *            them, because virtio cannot carry them (e.g. an IEEE P1363
 *            signature of the wrong size has no DER form);
 *
 * and fails when ran is 0 or ran + refused + test-rejected differs from the
 * file's numberOfTests (so no vector is silently dropped).
 *
 * Ownership: everything returned by wp_hex() is malloc'd and freed with
 * wp_buf_free(). Single-threaded: one engine instance made for WP_WORKERS
 * workers; RSA/ECDSA ops alternate between the worker indexes (per-worker
 * contexts of one session), symmetric ops use worker 0.
 */
#ifndef VC_TESTS_KAT_WYCHEPROOF_H
#define VC_TESTS_KAT_WYCHEPROOF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/sg.h"
#include "engine/engine.h"

#define WP_WORKERS 2

/* Worker index for the op of vector tcid. */
#define WP_WORKER(tcid) ((unsigned)(tcid) % WP_WORKERS)

enum wp_result { WP_VALID, WP_INVALID, WP_ACCEPTABLE };

struct wp_counts {
    unsigned ran[3]; /* indexed by enum wp_result */
    unsigned refused;
    unsigned test_rejected;
    unsigned failed;
};

struct wp_ctx {
    struct vc_engine *eng;
    const struct vc_engine_caps *caps;
    const char *dir;
    const char *file; /* file being run */
    struct wp_counts c;
    int ntap;
    int nfail_files;
};

/* One test vector of the file being run. */
struct wp_vec {
    json_t *t;
    long tcid;
    enum wp_result res;
};

/* Called once per test group; runs its tests (wp_group_tests helps). */
typedef void (*wp_group_fn)(struct wp_ctx *c, json_t *group);

/* Exit status after "1..0 # SKIP". Not the GNU 77: meson 1.0.1 (mtest.py
 * TestRunTAP.complete) turns any non-zero exit of a protocol 'tap' test into
 * ERROR, while "1..0 # SKIP" with exit 0 is counted as skipped (checked). */
#define WP_SKIP_EXIT 0

/* Locates the vectors folder (env VC_WYCHEPROOF_DIR, else argv[1]) and
 * creates the OpenSSL engine with one worker. Returns -1 to go on,
 * WP_SKIP_EXIT after printing "1..0 # SKIP ..." when the folder is absent,
 * 1 on a setup error (a failure, not a skip). main() returns any value but
 * -1 as its exit status. */
int wp_init(struct wp_ctx *c, int argc, char **argv);

/* Runs every group of dir/name through fn and prints the file's TAP line. */
void wp_file(struct wp_ctx *c, const char *name, wp_group_fn fn);

/* Prints a skipped TAP line for a file that has no virtio mapping. The file
 * must still exist (so a renamed upstream file is noticed). */
void wp_file_na(struct wp_ctx *c, const char *name, const char *why);

/* Prints the plan, destroys the engine; returns the process exit status. */
int wp_done(struct wp_ctx *c);

/* Reads the "result" and "tcId" fields of a test object. */
bool wp_vec_get(struct wp_ctx *c, json_t *t, struct wp_vec *v);

/* Records a failing vector with a message (printed as a TAP comment). */
void wp_fail(struct wp_ctx *c, long tcid, const char *fmt, ...) VC_PRINTF(3, 4);

/* Counts one vector as ran (by its result), refused or test-rejected. */
void wp_ran(struct wp_ctx *c, const struct wp_vec *v);
void wp_refused(struct wp_ctx *c);
void wp_test_rejected(struct wp_ctx *c);

/* True if the test carries the named flag. */
bool wp_has_flag(json_t *t, const char *flag);

/* Integer / string member of a JSON object (-1 / NULL if absent). */
long wp_int(json_t *o, const char *key);
const char *wp_str(json_t *o, const char *key);

/* A decoded hex field. p is never NULL (1 spare byte) so that empty fields
 * can still be handed to the engine. */
struct wp_buf {
    uint8_t *p;
    size_t n;
};

/* Decodes the hex string member key of o into b. False (and a recorded
 * failure) if it is missing or not hex. */
bool wp_hex(struct wp_ctx *c, json_t *o, const char *key, struct wp_buf *b);
void wp_buf_free(struct wp_buf *b);
/* Allocates n zeroed bytes (plus a spare one). Aborts the binary on OOM. */
void wp_buf_alloc(struct wp_buf *b, size_t n);

/* Scatter-gather over one buffer. Depending on seed, the buffer is one piece
 * or is cut into up to WP_MAX_IOV pieces (some of one byte, one possibly
 * empty), so that engines are exercised with data split across descriptors
 * at odd offsets. */
#define WP_MAX_IOV 6
struct wp_sg {
    struct vc_iov iov[WP_MAX_IOV];
    struct vc_sg sg;
};
void wp_sg(struct wp_sg *s, uint8_t *buf, size_t len, unsigned seed);

/* ---- Capabilities: predicts whether the engine supports a parameter set. */
const struct vc_algo_cap *wp_cap(struct wp_ctx *c, uint32_t service, uint32_t algo);
bool wp_cap_key(const struct vc_algo_cap *a, size_t key_len);
bool wp_cap_iv(const struct vc_algo_cap *a, size_t iv_len);
bool wp_cap_out(const struct vc_algo_cap *a, size_t out_len);
bool wp_cap_data(const struct vc_algo_cap *a, size_t data_len);

/* True for the status an engine must answer a parameter outside its
 * capabilities with (key, IV, tag, data or modulus size of an algorithm it
 * does support): ERR, per engine.h "NOTSUPP for an algorithm/mode the engine
 * lacks, ERR for bad parameters" and docs/STATUS.md. NOTSUPP is only right
 * for an algorithm (or ECDSA curve) that is missing altogether, which no
 * Wycheproof file here needs. */
bool wp_is_refusal(uint8_t st);

/* Pseudo-status a driver may use for "OK, but dst_written is wrong"; never
 * a virtio status value. */
#define WP_WRONG_WRITTEN 0xee
/* Pseudo-status of wp_run(): the two runs of one op gave different statuses. */
#define WP_UNSTABLE 0xef

/* Status name for messages (virtio names, or WP_WRONG_WRITTEN). */
const char *wp_status(uint8_t st);

/* Fills p with zeros except the service. */
void wp_params(struct vc_sess_params *p, uint32_t service);

/* Zero-initialised op with the given opcode. */
void wp_op(struct vc_engine_op *op, uint32_t opcode);

/* Creates a session, runs op twice on it (the first time into scratch
 * output buffers), destroys the session. Returns the session-create status
 * if not OK, else the op status, or WP_UNSTABLE if the two runs differ. */
uint8_t wp_run(struct wp_ctx *c, const struct vc_sess_params *p, struct vc_engine_op *op);

#endif
