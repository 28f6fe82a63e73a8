/* bench/driver: libvcrypto against native OpenSSL (issue #4 section 7).
 *
 * A cell is (algorithm, message size, device, wait mode). The device is
 * libvcrypto's in-process device or vhost-user to a vcryptod child started
 * by the bench with one queue and one worker (--queues 1) that polls
 * (--poll-us). The client keeps the queue pair full: a pool of
 * db_inflight ops, enqueued in bursts of DB_BURST as they come back
 * (the way a user with that much work would drive it); "spin" polls
 * vc_dequeue_burst, "event" sleeps on the queue pair's eventfd with
 * vc_qp_arm_batch(db_inflight / 2) when it has nothing to do (one wake-up
 * per half pool: the device still has work queued when the client wakes).
 *
 * "Native" is what the user would otherwise do in-process: OpenSSL EVP, one
 * message per operation with the key schedule kept (new IV each message),
 * over the same db_inflight buffers the device path uses, in the same
 * thread, alternating with the device side round by round.
 *
 * Files: driver.c (options, cells, report), driver_run.c (the timed loops,
 * the vcryptod child), driver_loopback.c (the library's own cost with the
 * device played by hand). docs/LIBVCRYPTO.md "Performance" has the method.
 */
#ifndef VC_BENCH_DRIVER_H
#define VC_BENCH_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DB_BURST 32u
#define DB_MAX_INFLIGHT 1024u
/* Ops in the client's pool (--inflight, a power of two 32..1024; default
 * 1024). Set by main before any run. */
extern uint32_t db_inflight;
#define DB_MAX_MSG 16384u

struct db_sample {
    uint64_t ops;
    double wall_s;
    double cpu_s;   /* client thread, getrusage(RUSAGE_THREAD) */
    uint64_t kicks; /* device notifications sent by the client */
    uint64_t sleeps; /* eventfd waits (event mode) */
};

/* The vcryptod child (driver_run.c). */
struct db_daemon {
    pid_t pid;
    char dir[64], sock[96], spec[128];
};
int db_daemon_start(struct db_daemon *d, const char *vcryptod, unsigned poll_us, int cpu);
void db_daemon_stop(struct db_daemon *d);

struct vc_dev;
struct vc_session;
struct vc_qp;

/* An open device with one AEAD session and db_inflight ops over buffers in
 * its shared memory (zero copy), prepared for one (key length, size). */
struct db_dev {
    struct vc_dev *dev;
    struct vc_session *sess;
    struct vc_qp *qp;
    uint8_t *buf;
    uint32_t size;
};
/* cpu >= 0: the device threads (inproc) start pinned there. */
int db_dev_open(struct db_dev *d, const char *spec, uint32_t key_len, uint32_t size, int cpu);
void db_dev_close(struct db_dev *d);

/* Timed loops: run for about secs. */
void db_run_native(uint32_t key_len, uint32_t size, double secs, struct db_sample *s);
void db_run_device(struct db_dev *d, bool event, double secs, struct db_sample *s);
/* Queue depth 1 with the device polling: mean round trip in ns of one op,
 * and the mean native time of the same op. */
double db_qd1_device_ns(struct db_dev *d, double secs);
double db_qd1_native_ns(uint32_t key_len, uint32_t size, double secs);

/* driver_loopback.c: enqueue+dequeue ns per 64 B op, zero copy and bounce. */
int db_loopback(double *zc_ns, double *bounce_ns);

double db_now(void);
double db_cpu(void);
void db_pin_self(int cpu);

#endif
