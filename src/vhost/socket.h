/* vhost-user socket I/O: the only file of src/vhost/ that reads or writes
 * a socket. It frames messages (header, payload, SCM_RIGHTS fds) and hands
 * them to the sans-I/O core (vc_vu_process).
 *
 * A struct vc_vu_conn is one front-end connection. Reception is
 * incremental, so a non-blocking socket never stalls the daemon's event
 * loop on a front-end that sends half a message: vc_vu_conn_recv() returns
 * 0 until a whole message is in. It reads exactly the bytes of the current
 * message, so the fds of the next message are never attached to this one.
 *
 * Ownership: vc_vu_conn_new() takes the socket fd; vc_vu_conn_free() closes
 * it and any fds of a half-received message. Messages returned by
 * vc_vu_conn_recv() own their fds (see msg.h).
 *
 * Errors: negative VC_E* codes. VC_EIO: the peer closed the connection or
 * a socket call failed; VC_EPROTO: the peer sent something that cannot be
 * framed (payload above VC_VU_MAX_PAYLOAD, more than 8 fds, truncated
 * control data). After either, close the connection.
 *
 * Threading: one connection is used by one thread at a time.
 */
#ifndef VC_VHOST_SOCKET_H
#define VC_VHOST_SOCKET_H

#include "vhost/vhost.h"

/* Creates a listening unix stream socket at path (CLOEXEC, NONBLOCK). A
 * stale socket file at path is removed first; any other kind of file is
 * left alone and VC_EINVAL returned. Returns 0 and *fd, or VC_EINVAL /
 * VC_EIO. */
int vc_vu_listen(const char *path, int backlog, int *fd);

/* Accepts one connection (CLOEXEC, NONBLOCK). Returns 0 and *fd, VC_EAGAIN
 * when none is pending, or VC_EIO. */
int vc_vu_accept(int listen_fd, int *fd);

struct vc_vu_conn;

/* Wraps a connected socket (e.g. from vc_vu_accept, or --fd). Takes
 * ownership of fd even on failure. Returns 0 and *out, or VC_ENOMEM. */
int vc_vu_conn_new(int fd, struct vc_vu_conn **out);

/* Closes the socket and frees c. NULL is ignored. */
void vc_vu_conn_free(struct vc_vu_conn *c);

/* The socket fd, for the caller's poll set. */
int vc_vu_conn_fd(const struct vc_vu_conn *c);

/* Reads towards the next message. Returns 1 with *m filled (m owns the
 * fds), 0 if more bytes are needed (non-blocking socket would block), or
 * VC_EIO / VC_EPROTO. */
int vc_vu_conn_recv(struct vc_vu_conn *c, struct vc_vu_msg *m);

/* Sends one message with its fds (m keeps ownership of them). Waits up to
 * one second for room on a full non-blocking socket. Returns 0 or VC_EIO. */
int vc_vu_conn_send(struct vc_vu_conn *c, const struct vc_vu_msg *m);

/* Messages vc_vu_conn_serve handles per call at most. */
#define VC_VU_SERVE_BUDGET 64u

/* Serves the complete messages available on c, at most
 * VC_VU_SERVE_BUDGET of them: receive, vc_vu_process, send the reply.
 * Returns 0 when the socket has no more data for now or the budget is
 * spent (keep polling it level-triggered: data may remain), or a negative
 * code when the connection must be closed: the caller then calls
 * vc_vu_disconnect(dev) and vc_vu_conn_free(c). On a blocking socket it
 * returns after the budget, on error or on EOF. */
int vc_vu_conn_serve(struct vc_vu_conn *c, struct vc_vu_dev *dev);

#endif
