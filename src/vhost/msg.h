/* vhost-user messages in memory: one struct holding header, payload and the
 * file descriptors that came with it, plus the parse/build helpers every
 * handler uses.
 *
 * Ownership of fds: a struct vc_vu_msg owns fds[0..nfds). Whoever consumes
 * a message either takes an fd (and sets that slot to -1) or closes it;
 * vc__vu_msg_close_fds() closes whatever is left. A message never holds
 * more than VHOST_USER_MAX_FDS fds: the socket layer refuses (and closes)
 * extra ones before they get here.
 *
 * Threading: plain data, used by one thread at a time.
 */
#ifndef VC_VHOST_MSG_H
#define VC_VHOST_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/compiler.h"
#include "vcrypto/vhost_user.h"

/* Largest payload we accept. The largest message we handle is the 1072-byte
 * crypto session (layout C); anything above this cap is refused by the
 * socket layer before it is read into memory. */
#define VC_VU_MAX_PAYLOAD 4096u

struct vc_vu_msg {
    struct vhost_user_hdr hdr;
    union {
        uint64_t u64;
        struct vhost_user_vring_state state;
        struct vhost_user_vring_addr addr;
        struct vhost_user_memory mem;
        struct vhost_user_config config;
        struct vhost_user_crypto_session_a sess_a;
        struct vhost_user_crypto_session_b sess_b;
        struct vhost_user_crypto_session_c sess_c;
        uint8_t bytes[VC_VU_MAX_PAYLOAD];
    } u;
    int fds[VHOST_USER_MAX_FDS];
    uint32_t nfds;
};

/* Empties m: zero header and size, no fds (does not close anything). */
void vc__vu_msg_init(struct vc_vu_msg *m);

/* Closes every fd still owned by m and sets nfds to 0. Safe to call twice. */
void vc__vu_msg_close_fds(struct vc_vu_msg *m);

/* Removes fd slot i from m and returns it; the caller now owns it. -1 if
 * i >= nfds or the slot was already taken. */
int vc__vu_msg_take_fd(struct vc_vu_msg *m, uint32_t i);

/* Checks the header of a front-end request: version bits == 1, REPLY flag
 * clear, no unknown flag bits, size <= VC_VU_MAX_PAYLOAD. Returns true if it
 * is acceptable. Pure. */
bool vc__vu_hdr_valid(const struct vhost_user_hdr *h);

/* Returns true when the front-end asked for a REPLY_ACK. */
static inline bool vc__vu_need_reply(const struct vc_vu_msg *m)
{
    return (m->hdr.flags & VHOST_USER_NEED_REPLY_MASK) != 0;
}

/* Starts a reply to request `req` with a payload of `size` bytes
 * (<= VC_VU_MAX_PAYLOAD); flags are VERSION | REPLY as the spec requires
 * on "each reply from the back-end". The payload is zeroed. */
void vc__vu_reply_init(struct vc_vu_msg *reply, uint32_t req, uint32_t size);

/* A reply carrying one u64 (GET_FEATURES, REPLY_ACK status, ...). */
void vc__vu_reply_u64(struct vc_vu_msg *reply, uint32_t req, uint64_t v);

/* Name of a request code for logs ("SET_MEM_TABLE"), "UNKNOWN" otherwise.
 * Returns a static string. */
const char *vc__vu_req_name(uint32_t req);

#endif
