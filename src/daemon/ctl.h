/* vcryptod's control socket: statistics for outside readers.
 *
 * Protocol (docs/STATS.md): a client connects to the unix stream socket and
 * reads until EOF; the daemon writes one JSON document and closes. Nothing
 * is read from the client, so a client cannot make the daemon block or parse
 * anything.
 */
#ifndef VC_DAEMON_CTL_H
#define VC_DAEMON_CTL_H

#include <stddef.h>

/* Opens a listening unix socket at path (an old socket file there is
 * replaced). Returns the fd or a negative VC_E* code. */
int vc_ctl_listen(const char *path);

/* Accepts one client on listen_fd, writes len bytes of doc and closes. The
 * write has a 1 s send timeout so a stuck client cannot stall the daemon. */
void vc_ctl_serve(int listen_fd, const char *doc, size_t len);

#endif
