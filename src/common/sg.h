/* Scatter-gather lists: the one way buffers move between the device, the
 * engine and the driver.
 *
 * Guest data lives in several descriptors, so no layer may assume a single
 * contiguous buffer. A vc_sg names an array of vc_iov owned by the caller and
 * caches the total length. Slicing never allocates: the caller passes the
 * output iov array, whose size bounds the number of pieces.
 *
 * Threading: plain data, no locking; an sg is used by one thread at a time.
 */
#ifndef VC_COMMON_SG_H
#define VC_COMMON_SG_H

#include <stddef.h>
#include <stdint.h>

#include "common/result.h"

struct vc_iov {
    uint8_t *base;
    size_t len;
};

struct vc_sg {
    struct vc_iov *iov; /* not owned */
    uint32_t cnt;
    uint64_t len; /* sum of iov[i].len */
};

/* Builds an sg over cnt iovs and sums their lengths (64-bit). */
void vc_sg_init(struct vc_sg *sg, struct vc_iov *iov, uint32_t cnt);

/* An sg over one flat buffer; iov is the caller's single-element storage. */
void vc_sg_flat(struct vc_sg *sg, struct vc_iov *iov, void *buf, size_t len);

/* Takes bytes [off, off+len) of in as a new sg in out, using at most max
 * entries of the caller's iov array. Fails with VC_ERANGE if the range is not
 * inside in (64-bit checked), VC_ENOSPC if more than max pieces are needed. */
VC_RESULT vc_sg_slice(const struct vc_sg *in, uint64_t off, uint64_t len, struct vc_iov *iov,
                      uint32_t max, struct vc_sg *out);

/* Copies len bytes starting at off out of sg into dst / from src into sg.
 * VC_ERANGE if the range is not inside sg; nothing is copied then. */
VC_RESULT vc_sg_read(const struct vc_sg *sg, uint64_t off, void *dst, uint64_t len);
VC_RESULT vc_sg_write(const struct vc_sg *sg, uint64_t off, const void *src, uint64_t len);

/* Zero-fills bytes [off, off+len) of sg (clamped to sg's length). */
void vc_sg_zero(const struct vc_sg *sg, uint64_t off, uint64_t len);

/* Cursor over an sg for streaming: each call to vc_sg_next yields the next
 * contiguous piece of at most max bytes (max 0 = unlimited) and advances. */
struct vc_sg_cur {
    const struct vc_sg *sg;
    uint32_t idx;
    size_t off; /* offset in iov[idx] */
    uint64_t left;
};

void vc_sg_cur_init(struct vc_sg_cur *c, const struct vc_sg *sg);
/* Returns the length of the piece (0 when exhausted) and sets *p. */
size_t vc_sg_next(struct vc_sg_cur *c, uint8_t **p, size_t max);

#endif
