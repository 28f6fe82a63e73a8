/* bench/vhost: vcryptod over vhost-user against direct EVP calls.
 *
 * The program starts vcryptod as a child process on a private socket, plays
 * the frontend itself (tests/testlib/vu_client + a raw split ring over a
 * memfd "guest memory", as QEMU would) in full-device mode, i.e. with the
 * control queue started so that AEAD and MAC sessions can be created, and
 * times REVISION_1 data requests through the data queue. Next to each such
 * "vhost" measurement it times "native": what an in-process user would do
 * with the same bytes (one message per op, key schedule kept; vhost_native.c
 * lists the calls).
 *
 * A cell is (algorithm, message size, burst). Both sides of a cell run in
 * short alternating slots ("rounds"); the report gives the median over
 * rounds, which copes with a noisy two-core machine better than a mean.
 *
 * Files: vhost.c (options, main loop, report), vhost_dev.c (daemon, device
 * setup, timed ring loop), vhost_native.c (EVP loop and reference outputs).
 * docs/BENCH-VHOST.md describes the method and the columns.
 *
 * This is a program, not a library: it prints freely, and nothing in src/
 * links it. Single-threaded (the daemon is a separate process).
 */
#ifndef VC_BENCH_VHOST_H
#define VC_BENCH_VHOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "drv_ring.h"
#include "vu_client.h"

/* Most requests posted per burst; also the number of prepared slots. */
#define VB_MAX_BURST 32u
/* Data-queue ring size (entries). */
#define VB_RING 256u
/* Largest message size a slot can hold. */
#define VB_MAX_MSG 16384u

enum vb_alg { VB_GCM, VB_CBC, VB_HMAC, VB_NALG };

/* Display name ("AES-256-GCM encrypt") and short name ("gcm"). */
const char *vb_alg_name(enum vb_alg a);
const char *vb_alg_short(enum vb_alg a);

/* What one timed slot of either side measured. */
struct vb_sample {
    uint64_t ops;
    uint64_t wall_ns;
    uint64_t cli_cpu_ns; /* getrusage(RUSAGE_SELF) user+sys over the slot */
    uint64_t srv_cpu_ns; /* vcryptod, all threads (schedstat); 0 for native */
    uint64_t kicks;      /* eventfd writes (vhost only) */
    uint64_t waits;      /* blocking waits on the call eventfd (event mode) */
};

/* Client-side completion wait: busy-poll the used index; sleep on the call
 * eventfd; or poll the used index with sched_yield() between loads (for
 * machines with fewer free cores than spinning threads). */
enum vb_wait { VB_WAIT_SPIN, VB_WAIT_EVENT, VB_WAIT_YIELD, VB_NWAIT };

/* One vcryptod child and the frontend state that drives it. */
struct vb_dev {
    pid_t pid;
    char dir[64], sock[96];
    struct vu_client c;
    struct vu_guest_mem m;
    struct drv_ring dq, cq; /* data queue 0, control queue 1 */
    uint64_t brk;
    uint64_t sid[VB_NALG];
    bool indirect, always_kick;
    enum vb_wait wait;
    /* The prepared cell. */
    enum vb_alg alg;
    uint32_t size, burst, ndesc, used_len;
    uint16_t head[VB_MAX_BURST];
    uint16_t slot_of_head[VB_RING];
    /* Per-slot buffers in guest memory (our pointers). */
    struct {
        uint8_t *hdr, *iv, *src, *dst, *status;
        struct virtq_desc *table; /* indirect table, when used */
    } s[VB_MAX_BURST];
};

struct vb_dev_opts {
    const char *vcryptod;
    uint32_t poll_us;
    int pin_cpu; /* pin the daemon to this CPU; -1 = no pinning */
    bool indirect;
    bool always_kick;
    enum vb_wait wait;
};

/* Starts vcryptod on a temporary socket, sets up the device (REVISION_1,
 * data queue of VB_RING entries, control queue) and creates one session per
 * algorithm. Returns 0, or -1 after printing why (the child is reaped). */
int vb_dev_start(struct vb_dev *d, const struct vb_dev_opts *o);
/* SIGTERM to the child, wait, remove the socket directory. */
void vb_dev_stop(struct vb_dev *d);
/* Writes the request headers and descriptor chains of burst slots for one
 * cell (outside any timed region). Source bytes and IVs are fixed per slot
 * (vb_dev_src / vb_dev_iv). */
void vb_dev_prepare(struct vb_dev *d, enum vb_alg a, uint32_t size, uint32_t burst);
/* Runs bursts for about ns nanoseconds (at least one burst). Every
 * completion's status and used length is checked; returns 0, or -1 after
 * printing the first failure. */
int vb_dev_run(struct vb_dev *d, uint64_t ns, struct vb_sample *out);
/* Slot i's source bytes / IV / device output (after a run). */
const uint8_t *vb_dev_src(const struct vb_dev *d, uint32_t i);
const uint8_t *vb_dev_iv(const struct vb_dev *d, uint32_t i);
const uint8_t *vb_dev_out(const struct vb_dev *d, uint32_t i);

/* ---- vhost_native.c */

struct vb_native;

/* Keys the contexts of all algorithms with the bench keys. NULL on failure. */
struct vb_native *vb_native_new(void);
void vb_native_free(struct vb_native *n);
/* Runs ops for about ns nanoseconds over the slots' sources (op i uses slot
 * i % burst, like the ring side). Returns 0, or -1 if an EVP call failed. */
int vb_native_run(struct vb_native *n, const struct vb_dev *d, enum vb_alg a, uint32_t size,
                  uint32_t burst, uint64_t ns, struct vb_sample *out);
/* The expected device output for (src, iv) into out (size + 16 bytes for
 * GCM, size for CBC, 32 for HMAC). Returns its length, or 0 on failure. */
uint32_t vb_native_one(struct vb_native *n, enum vb_alg a, const uint8_t *src, uint32_t size,
                       const uint8_t *iv, uint8_t *out);

/* The bench keys (the device sessions use the same). */
extern const uint8_t vb_key_gcm[32], vb_key_cbc[16], vb_key_hmac[32];

/* Monotonic nanoseconds; process CPU (user + sys) nanoseconds. */
uint64_t vb_now_ns(void);
uint64_t vb_cpu_ns(void);

#endif
