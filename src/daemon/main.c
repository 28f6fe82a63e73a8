/* vcryptod: the vhost-user virtio-crypto device.
 *
 * Follows QEMU's "vhost-user back-end program conventions"
 * (docs/interop/vhost-user.rst): --socket-path, --fd, --print-capabilities.
 * Several --socket-path options serve several guests (one device each) from
 * one process. See docs/VCRYPTOD.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/jbuf.h"
#include "common/log.h"
#include "daemon/ctl.h"
#include "daemon/dev.h"
#include "daemon/loop.h"
#include "vcrypto/err.h"
#include "vhost/socket.h"

#define MAX_DEVS 64

struct dsock {
    struct vc_ddev *dev;
    char path[108];
    int listen_fd;
    struct vc_vu_conn *conn;
    bool unlink_on_exit;
};

struct daemon {
    struct vc_loop *loop;
    struct dsock s[MAX_DEVS];
    uint32_t n;
    int ctl_fd;
};

static struct daemon g;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vcryptod [options]\n"
            "  --socket-path PATH   listen on PATH (repeat for several devices/guests)\n"
            "  --fd FD              serve an already-connected vhost-user socket FD\n"
            "  --print-capabilities print the backend capabilities (JSON) and exit\n"
            "  --queues N           data queues per device (default 1)\n"
            "  --max-sessions N     session cap per device (default 1024)\n"
            "  --max-size BYTES     max_size per request (default 1048576)\n"
            "  --poll-us N          busy-poll N microseconds before sleeping (default 0)\n"
            "  --rate-ops N         per-device limit, requests per second (default none)\n"
            "  --rate-bytes N       per-device limit, source bytes per second (default none)\n"
            "  --session-layout L   auto|a|b for 632-byte session messages (default auto)\n"
            "  --ctl-socket PATH    statistics socket (JSON, see docs/STATS.md)\n"
            "  -v                   more logging (repeat for debug)\n"
            "  -h, --help\n");
}

static void close_conn(struct dsock *s)
{
    if (!s->conn)
        return;
    vc_loop_del(g.loop, vc_vu_conn_fd(s->conn));
    /* Rings stop and memory unmaps; the session table stays (reconnect). */
    vc_vu_disconnect(s->dev->vu);
    vc_vu_conn_free(s->conn);
    s->conn = NULL;
    VC_INFO("%s: frontend disconnected", s->dev->name);
    /* An inherited --fd connection cannot come back: once no device has a
     * connection or a listening socket, there is nothing left to serve. */
    bool alive = false;
    for (uint32_t i = 0; i < g.n; i++)
        alive |= g.s[i].conn != NULL || g.s[i].listen_fd >= 0;
    if (!alive)
        vc_loop_stop(g.loop);
}

static void on_conn(void *arg, int fd, uint32_t events)
{
    struct dsock *s = arg;
    (void)fd;
    (void)events;
    int r = vc_vu_conn_serve(s->conn, s->dev->vu);
    if (r != 0) {
        if (r == VC_EPROTO)
            VC_WARN("%s: closing connection after protocol error", s->dev->name);
        close_conn(s);
    }
}

static int attach_conn(struct dsock *s, int c)
{
    if (vc_vu_conn_new(c, &s->conn) != 0)
        return VC_ENOMEM;
    if (vc_loop_add(g.loop, c, EPOLLIN, on_conn, s) != 0) {
        vc_vu_conn_free(s->conn);
        s->conn = NULL;
        return VC_EIO;
    }
    return 0;
}

static void on_listen(void *arg, int fd, uint32_t events)
{
    struct dsock *s = arg;
    (void)events;
    int c;
    if (vc_vu_accept(fd, &c) != 0)
        return;
    if (s->conn) {
        /* One frontend per device: a second one would share the guest's
         * rings and sessions. */
        VC_WARN("%s: refusing a second frontend", s->dev->name);
        close(c);
        return;
    }
    if (attach_conn(s, c) != 0)
        return;
    VC_INFO("%s: frontend connected", s->dev->name);
}

static void on_ctl(void *arg, int fd, uint32_t events)
{
    (void)arg;
    (void)events;
    static char doc[1 << 20];
    struct vc_jbuf b;
    vc_jbuf_init(&b, doc, sizeof(doc));
    vc_jbuf_obj_open(&b, NULL);
    vc_jbuf_str(&b, "version", "1");
    vc_jbuf_arr_open(&b, "devices");
    for (uint32_t i = 0; i < g.n; i++)
        vc_ddev_stats_json(g.s[i].dev, &b);
    vc_jbuf_arr_close(&b);
    vc_jbuf_obj_close(&b);
    if (!vc_jbuf_ok(&b)) {
        vc_jbuf_init(&b, doc, sizeof(doc));
        vc_jbuf_obj_open(&b, NULL);
        vc_jbuf_str(&b, "error", "statistics too large");
        vc_jbuf_obj_close(&b);
    }
    size_t len = strlen(doc);
    doc[len++] = '\n';
    vc_ctl_serve(fd, doc, len);
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    enum {
        O_SOCK = 256,
        O_FD,
        O_CAPS,
        O_QUEUES,
        O_MAXS,
        O_MAXSIZE,
        O_POLL,
        O_LAYOUT,
        O_CTL,
        O_RATE_OPS,
        O_RATE_BYTES
    };
    static const struct option opts[] = {
        {"socket-path", required_argument, NULL, O_SOCK},
        {"fd", required_argument, NULL, O_FD},
        {"print-capabilities", no_argument, NULL, O_CAPS},
        {"queues", required_argument, NULL, O_QUEUES},
        {"max-sessions", required_argument, NULL, O_MAXS},
        {"max-size", required_argument, NULL, O_MAXSIZE},
        {"poll-us", required_argument, NULL, O_POLL},
        {"session-layout", required_argument, NULL, O_LAYOUT},
        {"ctl-socket", required_argument, NULL, O_CTL},
        {"rate-ops", required_argument, NULL, O_RATE_OPS},
        {"rate-bytes", required_argument, NULL, O_RATE_BYTES},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *paths[MAX_DEVS];
    uint32_t npaths = 0, nq = 1, max_sess = 1024, poll_us = 0, inherited_fd = UINT32_MAX;
    uint64_t max_size = 1u << 20, rate_ops = 0, rate_bytes = 0;
    const char *ctl = NULL;
    enum vc_vu_layout layout = VC_VU_LAYOUT_AUTO;
    int verbose = 0, c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        uint32_t v;
        switch (c) {
        case O_SOCK:
            if (npaths == MAX_DEVS) {
                fprintf(stderr, "vcryptod: at most %d sockets\n", MAX_DEVS);
                return 2;
            }
            paths[npaths++] = optarg;
            break;
        case O_FD:
            if (parse_u32(optarg, 0, 1 << 20, &inherited_fd)) {
                fprintf(stderr, "vcryptod: bad --fd\n");
                return 2;
            }
            break;
        case O_CAPS:
            printf("{\n  \"type\": \"crypto\",\n  \"features\": []\n}\n");
            return 0;
        case O_QUEUES:
            if (parse_u32(optarg, 1, VC_VU_MAX_QUEUES - 1, &nq)) {
                fprintf(stderr, "vcryptod: --queues must be 1..%u\n", VC_VU_MAX_QUEUES - 1);
                return 2;
            }
            break;
        case O_MAXS:
            if (parse_u32(optarg, 1, VC_SESS_MAX_CAP - 1, &max_sess)) {
                fprintf(stderr, "vcryptod: bad --max-sessions\n");
                return 2;
            }
            break;
        case O_MAXSIZE:
            if (parse_u32(optarg, 4096, UINT32_MAX, &v)) {
                fprintf(stderr, "vcryptod: --max-size must be >= 4096\n");
                return 2;
            }
            max_size = v;
            break;
        case O_POLL:
            if (parse_u32(optarg, 0, 1000000, &poll_us)) {
                fprintf(stderr, "vcryptod: bad --poll-us\n");
                return 2;
            }
            break;
        case O_LAYOUT:
            if (!strcmp(optarg, "a"))
                layout = VC_VU_LAYOUT_A;
            else if (!strcmp(optarg, "b"))
                layout = VC_VU_LAYOUT_B;
            else if (!strcmp(optarg, "auto"))
                layout = VC_VU_LAYOUT_AUTO;
            else {
                fprintf(stderr, "vcryptod: --session-layout auto|a|b\n");
                return 2;
            }
            break;
        case O_CTL:
            ctl = optarg;
            break;
        case O_RATE_OPS:
        case O_RATE_BYTES: {
            char *end;
            errno = 0;
            unsigned long long r = strtoull(optarg, &end, 0);
            if (errno || *end || *optarg == '-') {
                fprintf(stderr, "vcryptod: bad rate %s\n", optarg);
                return 2;
            }
            *(c == O_RATE_OPS ? &rate_ops : &rate_bytes) = r;
            break;
        }
        case 'v':
            verbose++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || (npaths == 0 && inherited_fd == UINT32_MAX)) {
        usage(stderr);
        return 2;
    }
    vc_log_set(vc_log_stderr, NULL,
               verbose >= 2 ? VC_LOG_DEBUG : verbose ? VC_LOG_INFO : VC_LOG_WARN);

    g.loop = vc_loop_new();
    g.ctl_fd = -1;
    if (!g.loop) {
        fprintf(stderr, "vcryptod: cannot create event loop\n");
        return 1;
    }
    int rc = 0;
    uint32_t ndev = npaths + (inherited_fd != UINT32_MAX);
    for (uint32_t i = 0; i < ndev && rc == 0; i++) {
        struct dsock *s = &g.s[g.n];
        s->listen_fd = -1;
        char name[64];
        snprintf(name, sizeof(name), "dev%u", i);
        struct vc_ddev_cfg cfg = {.name = name, .num_queues = nq, .max_sessions = max_sess,
                                  .max_size = max_size, .poll_us = poll_us, .layout = layout,
                                  .rate_ops = rate_ops, .rate_bytes = rate_bytes};
        int err = vc_ddev_new(&cfg, &s->dev);
        if (err) {
            fprintf(stderr, "vcryptod: device: %s\n", vc_strerror(err));
            rc = 1;
            break;
        }
        g.n++;
        if (i < npaths) {
            snprintf(s->path, sizeof(s->path), "%s", paths[i]);
            if (vc_vu_listen(paths[i], 4, &s->listen_fd) != 0 ||
                vc_loop_add(g.loop, s->listen_fd, EPOLLIN, on_listen, s)) {
                fprintf(stderr, "vcryptod: cannot listen on %s\n", paths[i]);
                rc = 1;
                break;
            }
            s->unlink_on_exit = true;
        } else {
            if (attach_conn(s, (int)inherited_fd) != 0) {
                fprintf(stderr, "vcryptod: bad --fd\n");
                rc = 1;
            }
        }
    }
    if (rc == 0 && ctl) {
        g.ctl_fd = vc_ctl_listen(ctl);
        if (g.ctl_fd < 0 || vc_loop_add(g.loop, g.ctl_fd, EPOLLIN, on_ctl, NULL))
            rc = 1;
    }
    if (rc == 0) {
        VC_INFO("serving %u device(s), %u queue(s) each", g.n, nq);
        vc_loop_run(g.loop);
    }
    for (uint32_t i = 0; i < g.n; i++) {
        struct dsock *s = &g.s[i];
        close_conn(s);
        if (s->listen_fd >= 0) {
            close(s->listen_fd);
            if (s->unlink_on_exit)
                unlink(s->path);
        }
        vc_ddev_free(s->dev);
    }
    if (g.ctl_fd >= 0) {
        close(g.ctl_fd);
        unlink(ctl);
    }
    vc_loop_free(g.loop);
    return rc;
}
