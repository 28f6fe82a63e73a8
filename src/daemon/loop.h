/* The daemon's event loop: epoll over listening sockets, vhost-user
 * connections, the control socket and a signalfd. Only the daemon owns a loop
 * (STYLE.md rule 1); the protocol cores never see it.
 *
 * Threading: one loop per thread; all functions must be called from the
 * loop's thread, except vc_loop_stop which is async-signal-safe and
 * thread-safe.
 */
#ifndef VC_DAEMON_LOOP_H
#define VC_DAEMON_LOOP_H

#include <stdint.h>

typedef void (*vc_loop_cb)(void *arg, int fd, uint32_t events);

struct vc_loop;

/* Creates a loop that stops on SIGINT/SIGTERM (blocked in the calling thread
 * and delivered through a signalfd). Returns NULL on failure. */
struct vc_loop *vc_loop_new(void);
void vc_loop_free(struct vc_loop *l);

/* Watches fd for events (EPOLLIN...). The callback may add or remove watches,
 * including its own. Returns 0 or a negative VC_E* code. */
int vc_loop_add(struct vc_loop *l, int fd, uint32_t events, vc_loop_cb cb, void *arg);
void vc_loop_del(struct vc_loop *l, int fd);

/* Runs until vc_loop_stop or a termination signal. Returns 0. */
int vc_loop_run(struct vc_loop *l);
void vc_loop_stop(struct vc_loop *l);

#endif
