/* vcrypto: the command-line tool over libvcrypto (issue #4 section 4).
 *
 * This header is internal to tools/vcrypto/: the option record every
 * subcommand reads, the algorithm table, and small helpers for files, hex,
 * and running ops on a device. docs/CLI.md is the user's manual.
 *
 * Errors: helpers that can fail print ONE line on stderr ("vcrypto: CMD:
 * what went wrong") and return a CLI_EXIT_* code; subcommands return that
 * code straight to main(). Nothing here calls exit() except main().
 *
 * Threading: the tool is single-threaded (the in-process device runs its own
 * threads inside libvcrypto; we only use queue pair 0 from the main thread).
 */
#ifndef VC_TOOLS_VCRYPTO_CLI_H
#define VC_TOOLS_VCRYPTO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/compiler.h"
#include "vcrypto/vcrypto.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* the operation failed (device, crypto, I/O) */
#define CLI_EXIT_USAGE 2 /* bad command line or arguments */

/* Defaults (docs/CLI.md). */
#define CLI_DEFAULT_CHUNK (16u * 1024u)
#define CLI_MAX_CHUNK (1u << 20)
#define CLI_DEFAULT_INFLIGHT 8u
#define CLI_MAX_INFLIGHT 128u
#define CLI_DEFAULT_MEM (32u * 1024u * 1024u)

/* Every option of every subcommand; which ones a subcommand accepts is in
 * the option table (opts.c). Unset strings are NULL, unset numbers 0. */
struct cli_opts {
    const char *device; /* --device SPEC (global); NULL = inproc */
    const char *alg;    /* -a */
    const char *key_hex; /* -k */
    const char *iv_hex;  /* --iv */
    const char *aad_hex; /* --aad */
    const char *in;      /* -in; NULL or "-" = stdin */
    const char *out;     /* -out; NULL or "-" = stdout */
    const char *key_file; /* --key FILE.pem */
    const char *sig_file; /* --sig */
    const char *digest;   /* --digest (sign/verify) */
    const char *ctl;      /* --ctl (stats) */
    const char *sizes;    /* --sizes (bench) */
    const char *devices;  /* --devices (bench) */
    const char *plot;     /* --plot FILE.png (bench) */
    const char *save;     /* --save FILE.json (bench) */
    uint32_t tag_len;     /* --tag-len; 0 = algorithm default */
    uint32_t out_len;     /* --len (dgst/mac output length); 0 = full */
    uint32_t chunk;       /* --chunk; 0 = default */
    uint32_t inflight;    /* --inflight (enc/dec chunks in flight); 0 = default */
    uint32_t burst;       /* --burst (bench); 0 = default */
    uint32_t time_ms;     /* --time-ms (bench); 0 = default */
    uint32_t rounds;      /* --rounds (bench); 0 = default */
    bool nopad;           /* -nopad */
    bool json;            /* --json */
    bool quick;           /* --quick */
    bool binary;          /* --binary: raw digest instead of hex */
    bool prehashed;       /* --prehashed: sign/verify input is the digest */
    bool spin;            /* --spin: bench polls instead of sleeping */
};

/* The command being run, for error messages ("enc", "bench"...). */
extern const char *cli_cmd;

/* Prints "vcrypto: CMD: message" on stderr. */
void cli_err(const char *fmt, ...) VC_PRINTF(1, 2);

/* ---- Option parsing (opts.c). */

/* Subcommand bits for the option table. */
enum {
    CLI_C_INFO = 1u << 0,
    CLI_C_ENC = 1u << 1,
    CLI_C_DEC = 1u << 2,
    CLI_C_DGST = 1u << 3,
    CLI_C_MAC = 1u << 4,
    CLI_C_AEAD_ENC = 1u << 5,
    CLI_C_AEAD_DEC = 1u << 6,
    CLI_C_SIGN = 1u << 7,
    CLI_C_VERIFY = 1u << 8,
    CLI_C_STATS = 1u << 9,
    CLI_C_BENCH = 1u << 10,
};

/* Parses argv[0..argc) (the words after the subcommand) for a subcommand
 * with bit `cmd`. Returns CLI_EXIT_OK or CLI_EXIT_USAGE (message printed). */
int cli_parse_opts(int argc, char **argv, uint32_t cmd, struct cli_opts *o);

/* Prints the options a subcommand accepts (for --help). */
void cli_print_opts(FILE *f, uint32_t cmd);

/* ---- Algorithms (algs.c). */

enum cli_mode {
    CLI_MODE_NONE = 0,
    CLI_MODE_ECB,
    CLI_MODE_CBC,
    CLI_MODE_CTR, /* big-endian counter over the whole block */
    CLI_MODE_XTS,
};

struct cli_alg {
    const char *name;     /* CLI name, e.g. "aes-128-cbc" */
    uint32_t service;     /* VIRTIO_CRYPTO_SERVICE_* */
    uint32_t algo;        /* virtio algorithm id of that service */
    uint8_t keys[4];      /* allowed key lengths in bytes; {0} = keyless */
    bool any_key;         /* HMAC: any key length 0..max_auth_key_len */
    uint32_t iv_len;      /* cipher IV / default AEAD nonce; 0 = none */
    uint32_t block;       /* cipher block (data multiple); 0 = stream */
    enum cli_mode mode;   /* cipher mode for chunk chaining */
    uint32_t out_len;     /* full digest / default tag length */
    uint32_t curve;       /* AKCIPHER ECDSA curve; 0 otherwise */
    const char *evp;      /* OpenSSL name of the same thing (bench, docs), or NULL */
};

/* Looks up name (case-insensitive). NULL if unknown. */
const struct cli_alg *cli_alg_find(const char *name);
/* Iterates the table: returns entry i, or NULL past the end. */
const struct cli_alg *cli_alg_at(size_t i);
/* Looks up name and checks its service; prints the error and returns NULL
 * if unknown or of the wrong kind ("what" names the expected kind). */
const struct cli_alg *cli_alg_need(const char *name, uint32_t service, const char *what);
/* Checks a key length against the entry. Prints the error on failure. */
bool cli_alg_key_ok(const struct cli_alg *a, size_t key_len);
/* Virtio algorithm name of (service, algo), e.g. "AES-CBC"; NULL if none. */
const char *cli_virtio_algo_name(uint32_t service, uint32_t algo);
const char *cli_service_name(uint32_t service);

/* ---- Bytes, hex, files (util.c). */

struct cli_buf {
    uint8_t *p;
    size_t len;
};

/* Parses hex (optional "0x", no separators) into a malloc'd buffer. An
 * empty string gives len 0. Prints the error (naming `what`) on failure and
 * returns false. */
bool cli_hex(const char *hex, const char *what, struct cli_buf *out);
/* Writes len bytes as lowercase hex to f. */
void cli_hex_print(FILE *f, const uint8_t *p, size_t len);

/* Opens the input/output named by an option (NULL or "-" = stdin/stdout). */
FILE *cli_open_in(const char *path);
FILE *cli_open_out(const char *path);
/* Closes what cli_open_* returned (stdin/stdout are flushed, not closed).
 * Returns false (and prints) on a write error. */
bool cli_close_out(FILE *f, const char *path);
void cli_close_in(FILE *f);

/* Reads all of f into a malloc'd buffer, at most `limit` bytes: a longer
 * input fails with *too_big set (the caller prints the limit). */
bool cli_read_all(FILE *f, uint64_t limit, struct cli_buf *out, bool *too_big);
/* Reads up to len bytes, looping over short reads. Returns the count; sets
 * *err on a read error. */
size_t cli_read_full(FILE *f, uint8_t *p, size_t len, bool *err);
bool cli_write(FILE *f, const uint8_t *p, size_t len);

/* Frees (after wiping, for keys) a cli_buf. */
void cli_buf_free(struct cli_buf *b);
void cli_buf_wipe_free(struct cli_buf *b);

/* Parses a decimal size with optional k/K/m/M suffix (1024-based). */
bool cli_parse_size(const char *s, uint64_t *out);

/* ---- Device helpers (dev.c). */

/* Opens o->device (default inproc) with mem_size bytes of shared memory
 * (0 = CLI_DEFAULT_MEM). Prints the error. */
int cli_dev_open(const struct cli_opts *o, uint64_t mem_size, struct vc_dev **dev);
/* Creates a session; prints "cannot create a session for NAME: reason". */
int cli_session(struct vc_dev *dev, const char *name, const struct vc_session_params *p,
                struct vc_session **out);
/* Checks the device advertises (service, algo) of a; prints if not. */
bool cli_dev_has(struct vc_dev *dev, const struct cli_alg *a);

/* Waits until at least one op completes on qp and returns up to n of them
 * (never 0 unless nothing is in flight). Sleeps on the queue's eventfd when
 * there is one, else yields. */
uint16_t cli_wait(struct vc_qp *qp, struct vc_op **ops, uint16_t n);
/* Submits op (retrying while the queue is full) and waits for it. Returns
 * its status. */
uint8_t cli_run_op(struct vc_qp *qp, struct vc_op *op);
/* Human text for an op status ("authentication failed", "device lost"...). */
const char *cli_status_str(uint8_t status);

/* Copies len bytes into device-visible memory when it can (zero copy);
 * falls back to the caller's buffer (copy path) otherwise. *shm is set to
 * the allocation to free with vc_mem_free (NULL when it fell back). */
void *cli_shm_copy(struct vc_dev *dev, const void *p, size_t len, void **shm);

/* Reads all of the input named by o->in for a one-shot request, at most
 * limit bytes. A longer input fails with "input larger than ... (why)". */
int cli_read_oneshot(const struct cli_opts *o, uint64_t limit, const char *why,
                     struct cli_buf *out);

/* ---- Subcommands (one file per group). argv[0..argc) follow the name. */
int cli_cmd_info(struct cli_opts *o);
int cli_cmd_enc(struct cli_opts *o, bool decrypt);
int cli_cmd_dgst(struct cli_opts *o);
int cli_cmd_mac(struct cli_opts *o);
int cli_cmd_aead(struct cli_opts *o, bool decrypt);
int cli_cmd_sign(struct cli_opts *o);
int cli_cmd_verify(struct cli_opts *o);
int cli_cmd_stats(struct cli_opts *o);
int cli_cmd_bench(struct cli_opts *o);

#endif
