/* A scripted vhost-user FRONT-END (the QEMU side) for tests and benchmarks.
 *
 * It talks to a vhost-user back-end over a unix socket: send any message
 * with any fds (including malformed ones), read replies, and run the usual
 * setup steps the way QEMU does (features, protocol features, memory table
 * from a memfd, vring setup with kick/call eventfds, crypto sessions in a
 * chosen layout).
 *
 * The crypto session payloads are built here from the byte offsets of
 * QEMU's three layouts, independently of src/vhost/session.c, so a test
 * that round-trips through both checks one against the other.
 *
 * Ownership: struct vu_client and struct vu_guest_mem are caller-allocated.
 * vu_client_close() closes the socket; vu_guest_mem_free() unmaps and
 * closes the memfd. Ring eventfds returned by vu_client_vring_setup belong
 * to the caller.
 *
 * Errors: functions return 0 on success and -1 on any failure (socket
 * error, timeout, malformed reply); the reason is printed as a TAP comment
 * ("# vu_client: ...").
 *
 * Threading: one client per thread.
 */
#ifndef VC_TESTLIB_VU_CLIENT_H
#define VC_TESTLIB_VU_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "vcrypto/vhost_user.h"

struct vu_client {
    int fd;
    int timeout_ms;    /* per reply; default 2000 */
    uint64_t protocol; /* protocol features acked by vu_client_setup */
};

/* Connects to the unix socket at path, retrying for up to timeout_ms (the
 * server may still be starting). */
int vu_client_connect(struct vu_client *c, const char *path, int timeout_ms);
/* Uses an already connected socket (e.g. one end of a socketpair); takes
 * ownership of fd. */
void vu_client_from_fd(struct vu_client *c, int fd);
void vu_client_close(struct vu_client *c);

/* Sends one message: header {req, flags, size} + payload + fds (fds are
 * not closed: the kernel duplicates them into the peer). flags 0 means
 * VHOST_USER_VERSION. */
int vu_client_send(struct vu_client *c, uint32_t req, uint32_t flags, const void *payload,
                   uint32_t size, const int *fds, unsigned nfds);

/* Sends raw bytes (for truncated or oversized frames) with optional fds. */
int vu_client_send_raw(struct vu_client *c, const void *buf, size_t len, const int *fds,
                       unsigned nfds);

/* Receives one reply into hdr/payload (at most cap bytes of payload; a
 * larger one is an error). Returns the payload size, or -1 (timeout,
 * EOF, error). */
int vu_client_recv(struct vu_client *c, struct vhost_user_hdr *hdr, void *payload, uint32_t cap);

/* True if the peer has closed the connection (EOF readable within
 * timeout_ms). */
bool vu_client_peer_closed(struct vu_client *c, int timeout_ms);

/* GET_* request with a u64 reply; checks the reply's request, flags (must
 * be VERSION|REPLY) and size (8). */
int vu_client_get_u64(struct vu_client *c, uint32_t req, uint64_t *v);

/* Request with a u64 payload. If need_reply, sets NEED_REPLY and stores the
 * REPLY_ACK status in *ack (0 = success). */
int vu_client_set_u64(struct vu_client *c, uint32_t req, uint64_t v, bool need_reply,
                      uint64_t *ack);

/* QEMU's start-up sequence: SET_OWNER, GET_FEATURES, GET_PROTOCOL_FEATURES,
 * SET_PROTOCOL_FEATURES (offered & want_protocol), GET_QUEUE_NUM (if MQ),
 * SET_FEATURES (PROTOCOL_FEATURES bit only, as QEMU's crypto device does).
 * Any out-pointer may be NULL. */
int vu_client_setup(struct vu_client *c, uint64_t want_protocol, uint64_t *features,
                    uint64_t *protocol, uint64_t *queues);

/* Fake guest memory: a memfd of size bytes at guest-physical gpa, mapped
 * here between two PROT_NONE guard pages. The front-end virtual address
 * (uva) sent to the back-end is our own mapping address, as QEMU does. */
struct vu_guest_mem {
    int fd;
    uint8_t *base; /* our mapping of byte 0 */
    uint64_t size;
    uint64_t gpa;
    void *reserve; /* guard-page reservation, for unmapping */
    uint64_t reserve_size;
};
int vu_guest_mem_new(struct vu_guest_mem *m, uint64_t size, uint64_t gpa);
void vu_guest_mem_free(struct vu_guest_mem *m);
static inline uint64_t vu_guest_uva(const struct vu_guest_mem *m, const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* SET_MEM_TABLE for n regions (NEED_REPLY if REPLY_ACK was negotiated;
 * then the ack must be 0). */
int vu_client_set_mem(struct vu_client *c, const struct vu_guest_mem *m, unsigned n);

/* Split ring placement inside one guest memory region. */
struct vu_ring {
    uint32_t num;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    uint8_t *desc, *avail, *used; /* our pointers */
};
/* Lays out a ring of num entries at byte offset off of m (desc 16-aligned,
 * avail 2, used 4, event-idx fields included) and zeroes it. Returns the
 * bytes used, or 0 if it does not fit. */
uint64_t vu_ring_layout(struct vu_ring *r, const struct vu_guest_mem *m, uint64_t off,
                        uint32_t num);

/* SET_VRING_NUM, SET_VRING_BASE(base), SET_VRING_ADDR (uvas of r),
 * SET_VRING_KICK, SET_VRING_CALL with fresh eventfds returned in *kick and
 * *call (caller closes them). */
int vu_client_vring_setup(struct vu_client *c, uint32_t idx, const struct vu_ring *r,
                          const struct vu_guest_mem *m, uint16_t base, int *kick, int *call);

/* GET_VRING_BASE: stops ring idx, returns its last avail index. */
int vu_client_get_vring_base(struct vu_client *c, uint32_t idx, uint32_t *base);

/* ---- crypto sessions */
enum vu_layout { VU_LAYOUT_A = 1, VU_LAYOUT_B = 2, VU_LAYOUT_C = 3 };

struct vu_sym_sess {
    uint32_t cipher_alg, key_len;
    uint32_t hash_alg, hash_result_len, auth_key_len, aad_len;
    uint8_t op_type, direction, hash_mode, chain_order;
    const uint8_t *key, *auth_key; /* key_len / auth_key_len bytes (lengths
                                      above the arrays are sent as is, key
                                      bytes truncated: for hostile tests) */
};

/* Builds a CREATE_CRYPTO_SESSION payload in buf (>= 1072 bytes); returns
 * its size (632 or 1072). */
uint32_t vu_build_sym_session(enum vu_layout l, const struct vu_sym_sess *s, uint8_t *buf);
uint32_t vu_build_asym_session(uint32_t algo, uint32_t keytype, const uint8_t *key, uint32_t keylen,
                               uint32_t padding, uint32_t hash, uint8_t *buf);

/* Sends a session payload of size bytes and reads the reply with QEMU's
 * checks (request 26, flags exactly REPLY|VERSION, size equal to the
 * request's). *id is the session_id field (negative = refused). */
int vu_client_create_session_raw(struct vu_client *c, const uint8_t *payload, uint32_t size,
                                 int64_t *id);
int vu_client_create_sym(struct vu_client *c, enum vu_layout l, const struct vu_sym_sess *s,
                         int64_t *id);
/* CLOSE_CRYPTO_SESSION: no reply is read (as QEMU). */
int vu_client_close_session(struct vu_client *c, uint64_t id);

#endif
