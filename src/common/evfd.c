#include "common/evfd.h"

#include <time.h>
#include <unistd.h>

uint64_t vc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vc_evfd_signal(int fd)
{
    if (fd < 0)
        return;
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof(one));
    (void)r;
}

void vc_evfd_drain(int fd)
{
    if (fd < 0)
        return;
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof(v));
    (void)r;
}
