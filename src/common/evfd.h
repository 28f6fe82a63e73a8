/* Small helpers around eventfds and the monotonic clock, shared by the
 * daemon, the in-process device and the driver library. */
#ifndef VC_COMMON_EVFD_H
#define VC_COMMON_EVFD_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vc_now_ns(void);
/* Adds 1 to an eventfd; fd < 0 is ignored. Never blocks (the counter of a
 * non-blocking eventfd saturates long before it could overflow). */
void vc_evfd_signal(int fd);
/* Reads (clears) an eventfd; fd < 0 is ignored. */
void vc_evfd_drain(int fd);

#endif
