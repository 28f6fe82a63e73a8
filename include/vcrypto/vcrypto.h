/* libvcrypto: a user-space virtio-crypto driver with a burst API.
 *
 * OVERVIEW
 * libvcrypto drives a virtio-crypto device from an ordinary process. The
 * device is named by a spec string given to vc_dev_open():
 *
 *   "inproc"                 the in-process device (the default): the same
 *                            device code as vcryptod (virtqueues, request
 *                            validation, OpenSSL engine) on threads inside
 *                            this process. No daemon needed.
 *   "vhost-user:/path.sock"  vcryptod (or any vhost-user virtio-crypto
 *                            backend in full-device mode) over a unix socket.
 *                            The library is the vhost-user frontend: it
 *                            shares memory (memfd) with the backend, owns the
 *                            rings and the control queue.
 *   "vfio:BDF"               reserved for a PCI device inside a guest
 *                            (VC_ENOTSUP today).
 *
 * The library negotiates features (VIRTIO_CRYPTO_F_REVISION_1 and the
 * stateless-mode bits when offered), reads the device's config space and
 * honours it: a service, algorithm or key length the device does not
 * advertise fails locally with VC_ENOTSUP / VC_ERANGE before any request is
 * sent.
 *
 * Work is submitted as operations (struct vc_op) on queue pairs
 * (struct vc_qp, one per device data queue):
 *
 *   n = vc_enqueue_burst(qp, ops, count);   // accepted: ops[0..n)
 *   ...
 *   m = vc_dequeue_burst(qp, done, max);    // completed, in any order
 *
 * An accepted op completes exactly once, through vc_dequeue_burst, with a
 * status (op->status). An op that was not accepted was not touched and may be
 * resubmitted. Neither call ever blocks; a full queue simply accepts fewer
 * (backpressure). For event loops, vc_qp_eventfd() gives an fd that becomes
 * readable when completions may be waiting; without it the queue is polled.
 *
 * OWNERSHIP
 * struct vc_dev, struct vc_qp and struct vc_session are opaque and owned by
 * the library (created by vc_dev_open / vc_session_create, released by
 * vc_dev_close / vc_session_destroy; a qp lives as long as its device).
 * struct vc_op is caller-allocated (e.g. from the caller's own pool made at
 * set-up); between vc_enqueue_burst accepting it and vc_dequeue_burst
 * returning it, it belongs to the library and the caller must not touch it or
 * the buffers it points to. The library never allocates on the enqueue or
 * dequeue path.
 *
 * MEMORY
 * Buffers from vc_mem_alloc() live in memory the device can see: ops whose
 * buffers are all there are zero-copy. Any other buffer is copied through a
 * per-request bounce area in shared memory (opts.bounce_size bytes per
 * in-flight op); an op that does not fit fails at enqueue time with status
 * VC_OP_STATUS_TOO_BIG (it is still accepted and completed, see below).
 *
 * THREADING
 * One queue pair per thread: vc_enqueue_burst, vc_dequeue_burst and the
 * vc_qp_* calls on one qp must not run concurrently (no locks on the fast
 * path). Different qps of one device may be used from different threads at
 * the same time. Sessions may be shared by all qps of their device.
 * vc_session_create/destroy, vc_mem_alloc/free and vc_dev_info are
 * thread-safe. vc_dev_close must not race with anything on that device.
 *
 * ERRORS
 * Non-burst calls return 0 or a negative VC_E* code (vcrypto/err.h,
 * vc_strerror()). Burst calls return a count, and each completed op carries
 * its own status: a virtio status (VIRTIO_CRYPTO_OK, _ERR, _BADMSG,
 * _NOTSUPP, _INVSESS, _KEY_REJECTED) as the device answered, or one of the
 * driver-side VC_OP_STATUS_* codes below when the request never reached the
 * device or the device went away.
 *
 * DEVICE LOSS
 * If the device goes away (vcryptod exits or restarts, the socket closes),
 * the library notices on its next call: every op in flight completes once
 * with VC_OP_STATUS_DEVICE_LOST, vc_enqueue_burst accepts nothing more and
 * vc_dev_state() reports VC_EIO. Sessions died with the device. The
 * application closes the device and opens it again (vcryptod keeps a
 * device's sessions across reconnects of the same frontend, but a restarted
 * daemon starts empty). Ops are never resubmitted behind the caller's back.
 *
 * @see docs/LIBVCRYPTO.md for examples.
 */
#ifndef VCRYPTO_VCRYPTO_H
#define VCRYPTO_VCRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcrypto/err.h"
#include "vcrypto/virtio_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vc_dev;
struct vc_qp;
struct vc_session;

/* ---------------------------------------------------------------------
 * Device
 * --------------------------------------------------------------------- */

struct vc_dev_opts {
    uint32_t num_queues;    /* queue pairs to set up; 0 = 1; capped by the device */
    uint32_t queue_size;    /* ops in flight per queue pair, power of 2; 0 = 256 */
    uint32_t bounce_size;   /* copy-path bytes per in-flight op; 0 = 32 KiB */
    uint64_t mem_size;      /* vc_mem_alloc pool; 0 = 16 MiB */
    bool no_stateless;      /* do not negotiate stateless mode even if offered */
    uint32_t timeout_ms;    /* connect and control-request timeout; 0 = 5000 */
    /* inproc only */
    uint32_t poll_us;       /* device threads spin this long before sleeping; 0 = 50 */
};

/* Fills o with the defaults (all zero = defaults, so {0} works too). */
void vc_dev_opts_init(struct vc_dev_opts *o);

/* Opens the device named by spec (see OVERVIEW; NULL or "" = "inproc").
 * opts may be NULL for defaults. On success *out owns the device; close it
 * with vc_dev_close.
 * Errors: VC_EINVAL (bad spec or opts), VC_ENOTSUP (transport not built or
 * "vfio:"), VC_EIO (cannot connect, device not ready: HW_READY clear),
 * VC_EPROTO (device broke the protocol or sent an impossible config),
 * VC_ENOMEM. */
int vc_dev_open(const char *spec, const struct vc_dev_opts *opts, struct vc_dev **out);

/* Destroys remaining sessions, stops the queues (ops still in flight are
 * dropped: drain first), and frees everything. NULL is ignored. */
void vc_dev_close(struct vc_dev *dev);

struct vc_dev_info {
    char transport[16];       /* "inproc", "vhost-user" */
    uint64_t features;        /* negotiated device feature bits */
    bool revision_1;          /* VIRTIO_CRYPTO_F_REVISION_1 negotiated */
    uint32_t stateless;       /* bit per service: stateless mode negotiated */
    uint32_t num_queues;      /* queue pairs set up */
    uint32_t queue_size;
    /* config space, as read (and clamped) from the device */
    uint32_t max_dataqueues;
    uint32_t crypto_services; /* bit = VIRTIO_CRYPTO_SERVICE_* */
    uint32_t cipher_algo_l, cipher_algo_h, hash_algo, mac_algo_l, mac_algo_h;
    uint32_t aead_algo, akcipher_algo;
    uint32_t max_cipher_key_len, max_auth_key_len;
    uint64_t max_size;
};

/* Copies the device description. Thread-safe. Returns 0, or VC_EINVAL. */
int vc_dev_info(const struct vc_dev *dev, struct vc_dev_info *info);

/* True if the device advertises algo of service (an id from
 * vcrypto/virtio_crypto.h, e.g. VIRTIO_CRYPTO_SERVICE_AEAD,
 * VIRTIO_CRYPTO_AEAD_GCM). */
bool vc_dev_supports(const struct vc_dev *dev, uint32_t service, uint32_t algo);

/* 0 while the device works; VC_EIO once it was lost, VC_EBROKEN if it
 * reported a ring error. Thread-safe. */
int vc_dev_state(const struct vc_dev *dev);

/* Queue pair index (< info.num_queues), or NULL. Owned by the device. */
struct vc_qp *vc_dev_qp(struct vc_dev *dev, uint32_t index);

/* ---------------------------------------------------------------------
 * Sessions
 * --------------------------------------------------------------------- */

/* Everything a virtio session carries. Set service, then the member of u for
 * that service. Key bytes are copied; the caller may wipe its copy as soon
 * as the call returns. Algorithm ids and constants are the virtio ones from
 * vcrypto/virtio_crypto.h. */
struct vc_session_params {
    uint32_t service; /* VIRTIO_CRYPTO_SERVICE_CIPHER ... _AKCIPHER */
    union {
        struct {
            uint32_t algo; /* VIRTIO_CRYPTO_CIPHER_* */
            uint32_t op;   /* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
            const uint8_t *key;
            uint32_t key_len;
            /* Algorithm chaining: chain_hash_mode != 0 makes this a
             * chaining session (cipher + hash or MAC). */
            uint32_t chain_order;     /* VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_* */
            uint32_t chain_hash_mode; /* 0, _HASH_MODE_PLAIN or _HASH_MODE_AUTH */
            uint32_t chain_algo;      /* HASH id (PLAIN) or MAC id (AUTH) */
            uint32_t chain_digest_len;
            const uint8_t *auth_key;  /* AUTH */
            uint32_t auth_key_len;
            uint32_t aad_len;
        } cipher;
        struct {
            uint32_t algo;       /* VIRTIO_CRYPTO_HASH_* */
            uint32_t digest_len; /* 0 = full; SHAKE: output length */
        } hash;
        struct {
            uint32_t algo;       /* VIRTIO_CRYPTO_MAC_* */
            uint32_t digest_len; /* 0 = full tag */
            const uint8_t *key;
            uint32_t key_len;
        } mac;
        struct {
            uint32_t algo; /* VIRTIO_CRYPTO_AEAD_* */
            uint32_t op;   /* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
            const uint8_t *key;
            uint32_t key_len;
            uint32_t tag_len;
            uint32_t aad_len; /* informational */
        } aead;
        struct {
            uint32_t algo;     /* VIRTIO_CRYPTO_AKCIPHER_RSA / _ECDSA */
            uint32_t key_type; /* VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC / _PRIVATE */
            const uint8_t *key; /* RSA: PKCS#1 DER; ECDSA: RFC 5915 DER or ECPoint */
            uint32_t key_len;
            uint32_t rsa_padding; /* VIRTIO_CRYPTO_RSA_RAW_PADDING / _PKCS1_PADDING */
            uint32_t rsa_hash;    /* VIRTIO_CRYPTO_RSA_* hash id */
            uint32_t curve;       /* VIRTIO_CRYPTO_CURVE_* */
        } akcipher;
    } u;
};

/* Creates a session on the device (a control-queue round trip; blocks up to
 * opts.timeout_ms). The parameters are checked against the device's config
 * first. Thread-safe.
 * Returns 0 and *out, or: VC_ENOTSUP (service/algorithm not advertised, or
 * the device answered NOTSUPP), VC_ERANGE (key longer than the device's
 * limit), VC_ENOSPC (device session table full), VC_EINVAL (bad params or
 * the device answered ERR), VC_EIO (device lost), VC_ENOMEM. */
int vc_session_create(struct vc_dev *dev, const struct vc_session_params *p,
                      struct vc_session **out);

/* Destroys a session (control-queue round trip) and frees it. Ops using it
 * must have completed. NULL is ignored. Returns 0, or VC_EIO (device lost;
 * the handle is freed anyway). */
int vc_session_destroy(struct vc_session *s);

/* ---------------------------------------------------------------------
 * Operations
 * --------------------------------------------------------------------- */

/* Driver-side statuses (never sent by a device; above the virtio range). */
#define VC_OP_STATUS_DEVICE_LOST 0x80 /* device went away with the op in flight */
#define VC_OP_STATUS_TOO_BIG 0x81     /* buffers exceed bounce_size or max_size */
#define VC_OP_STATUS_INVALID 0x82     /* op inconsistent (NULL buffer, bad opcode...) */
#define VC_OP_STATUS_NOTSUPP_LOCAL 0x83 /* stateless op for a service not negotiated */
#define VC_OP_STATUS_BAD_DEVICE 0x84  /* device's answer failed validation */

/* One request. Caller-allocated; fill the "in" part, enqueue, read the "out"
 * part after dequeue. Buffer meaning follows the virtio request layout:
 *   CIPHER_ENCRYPT/DECRYPT  iv, src -> dst (dst_len >= src_len)
 *   chaining session        iv, src, aad -> dst, digest; cipher_* / hash_*
 *                           select the regions of src (see docs/ENGINE.md)
 *   HASH, MAC               src -> digest (digest_len = session's length)
 *   AEAD_ENCRYPT            iv, src, aad -> dst = ciphertext || tag
 *   AEAD_DECRYPT            iv, src = ciphertext || tag, aad -> dst
 *   AKCIPHER_ENCRYPT/DECRYPT/SIGN  src -> dst (dst_written = actual length)
 *   AKCIPHER_VERIFY         src = signature, dst = digest (read only)
 */
struct vc_op {
    /* in */
    struct vc_session *session; /* NULL = stateless (needs stateless mode) */
    const struct vc_session_params *stateless; /* parameters when session is NULL */
    uint32_t opcode;            /* VIRTIO_CRYPTO_CIPHER_ENCRYPT ... */
    const void *iv;
    uint32_t iv_len;
    const void *aad;
    uint32_t aad_len;
    const void *src;
    uint32_t src_len;
    void *dst;
    uint32_t dst_len;
    void *digest;
    uint32_t digest_len;
    uint32_t cipher_offset, cipher_len; /* chaining */
    uint32_t hash_offset, hash_len;     /* chaining */
    void *user;                         /* caller's cookie, untouched */
    /* out */
    uint8_t status;       /* VIRTIO_CRYPTO_* or VC_OP_STATUS_* */
    uint32_t dst_written; /* bytes produced in dst */
    /* private: library use only */
    uint32_t priv_slot;
    uint32_t priv_flags;
};

/* Submits up to n ops on qp. Returns how many were accepted, always the
 * first ones: ops[0..ret). Fewer than n means the queue is full
 * (backpressure) or the device is lost; ops not accepted were not touched.
 * An op with an impossible layout is still accepted and comes back from
 * vc_dequeue_burst with a VC_OP_STATUS_* code, so every accepted op has one
 * completion path. At most one device notification ("kick") per call, none
 * when the device is polling. Never blocks.
 * Fast path: an op struct submitted again on the same qp with the same
 * session, opcode, lengths and buffer pointers (new data and IV in them is
 * fine) reuses the request it built last time; keep at most queue_size such
 * ops in circulation per qp so each keeps its slot. */
uint16_t vc_enqueue_burst(struct vc_qp *qp, struct vc_op **ops, uint16_t n);

/* Returns up to n completed ops into ops[0..ret), in completion order (not
 * submission order). Each is returned exactly once. Never blocks. */
uint16_t vc_dequeue_burst(struct vc_qp *qp, struct vc_op **ops, uint16_t n);

/* Ops accepted and not yet dequeued. */
uint32_t vc_qp_inflight(const struct vc_qp *qp);

/* An eventfd that becomes readable when completions may be waiting (the
 * device interrupts). Before sleeping on it, call vc_qp_arm(); if it
 * returns true, completions are already there: dequeue instead of sleeping.
 * After waking, read (drain) the fd or just dequeue; the library drains it.
 * The fd is owned by the qp. Returns -1 if the transport has none. */
int vc_qp_eventfd(struct vc_qp *qp);
bool vc_qp_arm(struct vc_qp *qp);

/* Like vc_qp_arm, but the eventfd fires only once n ops have completed
 * (n is clamped to 1..vc_qp_inflight): one wake-up per n completions
 * instead of one per completion, which is what keeps the client's CPU per
 * op low at high rates. Returns true if n completions are already there.
 * Needs VIRTIO_RING_F_EVENT_IDX (negotiated whenever the device offers it;
 * inproc and vcryptod do); without it this is vc_qp_arm. A device may
 * still signal earlier (the fd is a hint), never later: after waking,
 * dequeue what is there. Pick n no larger than the ops you will have in
 * flight, or the wake-up waits for ops that were never submitted. */
bool vc_qp_arm_batch(struct vc_qp *qp, uint32_t n);

/* ---------------------------------------------------------------------
 * Shared memory (zero copy)
 * --------------------------------------------------------------------- */

/* Allocates size bytes (64-byte aligned) the device can access directly.
 * Returns NULL when the pool (opts.mem_size) is exhausted. Thread-safe. */
void *vc_mem_alloc(struct vc_dev *dev, size_t size);
/* Frees a vc_mem_alloc block. NULL is ignored. Thread-safe. */
void vc_mem_free(struct vc_dev *dev, void *p);

#ifdef __cplusplus
}
#endif
#endif
