/* vhost-user back-end: the protocol layer of vcryptod.
 *
 * OVERVIEW
 * A struct vc_vu_dev is the vhost-user side of one virtio-crypto device:
 * negotiated features, the guest memory table (mmapped from the front-end's
 * fds) and the data vrings. It is a sans-I/O core (STYLE.md rule 1): the
 * caller reads a message from the socket (socket.c does that), hands it to
 * vc_vu_process(), and sends back the reply it gets, if any. The core never
 * reads, writes, polls or sleeps; its only system calls are mmap/munmap of
 * guest memory and close() of fds it owns.
 *
 * The device itself (session table, engine, config space, the workers that
 * serve the rings) lives above, in the device layer, which implements
 * struct vc_vu_backend_ops. The vhost layer calls those hooks synchronously
 * from vc_vu_process(), on the caller's thread.
 *
 * Session survival: sessions belong to the device (the backend), not to the
 * connection. On front-end disconnect the daemon calls vc_vu_disconnect():
 * rings stop, fds close, memory unmaps, negotiated state resets; the
 * backend's session table is never touched, so the guest's session ids stay
 * valid when QEMU reconnects (QEMU does not replay sessions).
 *
 * Rings: QEMU 7.2 never sends SET_VRING_ENABLE to a crypto back-end, so a
 * ring starts as soon as it has memory, a size, addresses and a kick fd
 * (spec "Ring states": "The back-end must start ring upon receiving a kick
 * ... and stop ring upon receiving VHOST_USER_GET_VRING_BASE"). Rings are
 * therefore enabled by default; SET_VRING_ENABLE with 0 stops a ring until
 * it is enabled again.
 *
 * Messages that change what a running ring uses (memory table, addresses,
 * call/kick fds, features) stop every running ring first and restart the
 * ready ones afterwards, so a worker never sees a half-updated ring.
 *
 * ERRORS
 * vc_vu_process() returns 0 to keep the connection, or VC_EPROTO when the
 * front-end broke the protocol (wrong size, wrong fd count, out-of-range
 * index, bad memory table, bad header): the caller should send the reply
 * (if any: a REPLY_ACK failure) and then close the connection. Soft
 * failures (unknown request code, CLOSE of an unknown session id, a
 * session the engine refuses, a refused SET_CONFIG) keep the connection.
 * Every refusal is logged. Nothing reachable from a message aborts.
 *
 * THREADING
 * One vc_vu_dev is driven by one thread at a time (the daemon's event loop
 * thread for that device). Backend hooks are called on that thread.
 * vring_stop must not return while a worker still touches the ring.
 */
#ifndef VC_VHOST_VHOST_H
#define VC_VHOST_VHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/result.h"
#include "engine/engine.h"
#include "vcrypto/vhost_user.h"
#include "vcrypto/virtio_ring.h"
#include "vhost/msg.h"

struct vc_vq;
struct vc_gmem;

/* Data queues one device may have (vring indexes 0..num_queues-1). The
 * vring fd messages carry the index in 8 bits, so 256 is a hard protocol
 * limit; we stay well below. */
#define VC_VU_MAX_QUEUES 64u
/* Largest ring the split-ring format allows (virtio spec: Queue Size
 * <= 32768). */
#define VC_VU_MAX_RING 32768u

/* Which CREATE_CRYPTO_SESSION layout a 632-byte message uses (1072 bytes is
 * always layout C). AUTO decides per message and remembers the first
 * unambiguous answer per connection. */
enum vc_vu_layout {
    VC_VU_LAYOUT_AUTO = 0,
    VC_VU_LAYOUT_A = 1, /* QEMU 2.12 ... 7.0 */
    VC_VU_LAYOUT_B = 2, /* QEMU 7.1 ... 8.0 */
    VC_VU_LAYOUT_C = 3, /* QEMU >= 8.1 (1072 bytes); never forced */
};

/* One ring handed to the backend by vring_start. Everything in it is owned
 * by the vhost layer and stays valid until the matching vring_stop returns.
 * The backend must not close the fds. */
struct vc_vu_vring {
    uint32_t index;             /* data queue index, < num_queues */
    struct vc_vq *vq;           /* the device-side split ring */
    const struct vc_gmem *gmem; /* guest memory for descriptor addresses */
    int kick_fd;                /* eventfd the front-end kicks; -1 = poll */
    int call_fd;                /* eventfd to signal used buffers; -1 = none */
    int err_fd;                 /* eventfd to signal ring errors; -1 = none */
    uint64_t features;          /* virtio features acked by SET_FEATURES */
};

/* Hooks the device layer implements. `ctx` is the backend pointer given to
 * vc_vu_dev_new. All hooks are called on the thread that calls
 * vc_vu_process()/vc_vu_disconnect(). Optional hooks may be NULL. */
struct vc_vu_backend_ops {
    /* Device-specific virtio feature bits, offered on top of the transport
     * ones (VERSION_1, INDIRECT_DESC, EVENT_IDX, PROTOCOL_FEATURES).
     * Optional (NULL = none). */
    uint64_t (*get_features)(void *ctx);
    /* The feature set the front-end acknowledged with SET_FEATURES. Rings
     * are stopped while this runs. Optional. */
    void (*set_features)(void *ctx, uint64_t features);
    /* Reads len bytes of the 56-byte struct virtio_crypto_config at offset
     * off into buf (off + len <= 56 is checked before the call). Returns 0
     * or a negative VC_E* code. Required for GET_CONFIG (NULL = refused). */
    int (*get_config)(void *ctx, uint32_t off, uint8_t *buf, uint32_t len);
    /* SET_CONFIG: writes config bytes; flags is VHOST_SET_CONFIG_TYPE_*.
     * Return 0 or a negative VC_E* code. Optional (NULL = refused: the
     * crypto config space has no guest-writable field). */
    int (*set_config)(void *ctx, uint32_t off, const uint8_t *buf, uint32_t len, uint32_t flags);
    /* CREATE_CRYPTO_SESSION. p's key pointers point into the message and
     * are valid only during the call (copy them; the vhost layer wipes its
     * copy after). Returns VIRTIO_CRYPTO_OK and sets *id (must be
     * <= INT64_MAX), or a virtio status (ERR, NOTSUPP, NOSPC, ...), which
     * is sent back to QEMU as session_id = -status. */
    uint8_t (*create_session)(void *ctx, const struct vc_sess_params *p, uint64_t *id);
    /* CLOSE_CRYPTO_SESSION. Returns VIRTIO_CRYPTO_OK or INVSESS. QEMU reads
     * no reply; an unknown id is logged and the connection kept. */
    uint8_t (*close_session)(void *ctx, uint64_t id);
    /* Ring vr->index is ready: start serving it (watch kick_fd, run
     * requests, signal call_fd). Returns 0, or a negative VC_E* code (the
     * ring then stays stopped and the error is logged). */
    int (*vring_start)(void *ctx, const struct vc_vu_vring *vr);
    /* Stop serving ring index. Must return only when no worker touches the
     * ring, its memory or its fds any more, and every chain popped from it
     * has been pushed (the vhost layer then reads the last avail index for
     * GET_VRING_BASE or a restart). Called only for started rings. A
     * broken ring (vc_vq_is_broken) is reported by the backend, e.g. on
     * err_fd. */
    void (*vring_stop)(void *ctx, uint32_t index);
};

struct vc_vu_cfg {
    uint32_t num_queues;      /* data queues, 1..VC_VU_MAX_QUEUES (GET_QUEUE_NUM) */
    uint32_t max_ring_size;   /* largest SET_VRING_NUM, power of 2; 0 = 32768 */
    enum vc_vu_layout layout; /* for 632-byte sessions; AUTO recommended */
    const char *name;         /* for log lines; copied (first 31 chars) */
};

struct vc_vu_dev; /* opaque */

/* Creates the vhost-user state of one device. ops and ctx must outlive it.
 * Returns 0 and *out, or VC_EINVAL (bad cfg / missing required hooks:
 * create_session, close_session, vring_start, vring_stop) or VC_ENOMEM.
 * Free with vc_vu_dev_free. */
int vc_vu_dev_new(const struct vc_vu_cfg *cfg, const struct vc_vu_backend_ops *ops, void *ctx,
                  struct vc_vu_dev **out);

/* Stops rings, closes fds, unmaps memory and frees dev. NULL is ignored.
 * The backend's sessions are not touched. */
void vc_vu_dev_free(struct vc_vu_dev *dev);

/* Processes one front-end message.
 *   in:        header + payload + fds, as read from the socket. The call
 *              takes ownership of every fd in `in` (each is kept or closed;
 *              in->nfds is 0 on return), whatever the outcome.
 *   reply:     filled when *has_reply is set on return; send it as is.
 *   has_reply: true when a reply must be sent (GET_* requests,
 *              CREATE_CRYPTO_SESSION, and REPLY_ACK for requests with
 *              NEED_REPLY once REPLY_ACK is negotiated).
 * Returns 0 (keep the connection) or VC_EPROTO (close it after sending
 * the reply, if any). */
int vc_vu_process(struct vc_vu_dev *dev, struct vc_vu_msg *in, struct vc_vu_msg *reply,
                  bool *has_reply);

/* The front-end went away: stop every ring, close ring fds, unmap guest
 * memory, forget negotiated features. The device can then serve a new
 * connection (QEMU reconnect) with the backend's sessions intact. */
void vc_vu_disconnect(struct vc_vu_dev *dev);

/* Introspection for the daemon's stats and for tests. Same thread rule as
 * vc_vu_process (the values are plain fields, not atomics). */
struct vc_vu_info {
    uint64_t features;          /* acked virtio features */
    uint64_t protocol_features; /* acked protocol features */
    uint32_t nregions;          /* mapped memory regions */
    uint32_t started;           /* number of rings handed to the backend */
    enum vc_vu_layout layout;   /* 632-byte layout seen on this connection */
    uint64_t refused;           /* messages refused since creation */
};
void vc_vu_get_info(const struct vc_vu_dev *dev, struct vc_vu_info *info);

/* True if ring index is started (handed to the backend); false for an
 * index out of range. Same thread rule as vc_vu_process. */
bool vc_vu_ring_started(const struct vc_vu_dev *dev, uint32_t index);

/* Virtio transport features the vhost layer always offers. */
#define VC_VU_TRANSPORT_FEATURES                                                                   \
    ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |                        \
     (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES))

/* Protocol features offered. CONFIG is offered although QEMU's crypto
 * device masks it off (its config space is QEMU's own), so that generic
 * front-ends (vhost-user-test-device) can read the config space. */
#define VC_VU_PROTOCOL_FEATURES                                                                    \
    ((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |              \
     (1ull << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG))

#endif
