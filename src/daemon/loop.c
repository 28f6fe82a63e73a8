#include "daemon/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "vcrypto/err.h"

#define MAX_WATCH 1024

struct watch {
    int fd;
    vc_loop_cb cb;
    void *arg;
    /* Generation so an event for a removed-then-reused fd in the same
     * epoll_wait batch is not delivered to the new owner. */
    uint32_t gen;
};

struct vc_loop {
    int ep;
    int sigfd;
    int stopfd;
    atomic_int stop;
    struct watch w[MAX_WATCH];
};

struct vc_loop *vc_loop_new(void)
{
    struct vc_loop *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    for (int i = 0; i < MAX_WATCH; i++)
        l->w[i].fd = -1;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->ep < 0 || l->sigfd < 0 || l->stopfd < 0) {
        vc_loop_free(l);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->sigfd, &ev);
    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->stopfd, &ev);
    return l;
}

void vc_loop_free(struct vc_loop *l)
{
    if (!l)
        return;
    if (l->ep >= 0)
        close(l->ep);
    if (l->sigfd >= 0)
        close(l->sigfd);
    if (l->stopfd >= 0)
        close(l->stopfd);
    free(l);
}

int vc_loop_add(struct vc_loop *l, int fd, uint32_t events, vc_loop_cb cb, void *arg)
{
    if (fd < 0 || fd >= MAX_WATCH)
        return VC_ERANGE;
    struct watch *w = &l->w[fd];
    w->fd = fd;
    w->cb = cb;
    w->arg = arg;
    w->gen++;
    struct epoll_event ev = {.events = events,
                             .data.u64 = ((uint64_t)w->gen << 32) | (uint32_t)fd};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        w->fd = -1;
        return VC_EIO;
    }
    return 0;
}

void vc_loop_del(struct vc_loop *l, int fd)
{
    if (fd < 0 || fd >= MAX_WATCH || l->w[fd].fd != fd)
        return;
    epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
    l->w[fd].fd = -1;
    l->w[fd].gen++;
}

void vc_loop_stop(struct vc_loop *l)
{
    uint64_t one = 1;
    atomic_store(&l->stop, 1);
    ssize_t r = write(l->stopfd, &one, sizeof(one));
    (void)r;
}

int vc_loop_run(struct vc_loop *l)
{
    struct epoll_event ev[64];
    while (!atomic_load(&l->stop)) {
        int n = epoll_wait(l->ep, ev, 64, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            VC_ERR("epoll_wait failed: errno %d", errno);
            return VC_EIO;
        }
        for (int i = 0; i < n && !atomic_load(&l->stop); i++) {
            if (ev[i].data.u64 == UINT64_MAX) {
                struct signalfd_siginfo si;
                if (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                    VC_INFO("signal %u: shutting down", si.ssi_signo);
                atomic_store(&l->stop, 1);
                break;
            }
            int fd = (int)(uint32_t)ev[i].data.u64;
            uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
            struct watch *w = &l->w[fd];
            if (w->fd != fd || w->gen != gen)
                continue;
            w->cb(w->arg, fd, ev[i].events);
        }
    }
    return 0;
}
