#include "common/sg.h"

#include <string.h>

#include "vcrypto/err.h"

void vc_sg_init(struct vc_sg *sg, struct vc_iov *iov, uint32_t cnt)
{
    sg->iov = iov;
    sg->cnt = cnt;
    sg->len = 0;
    for (uint32_t i = 0; i < cnt; i++)
        sg->len += iov[i].len;
}

void vc_sg_flat(struct vc_sg *sg, struct vc_iov *iov, void *buf, size_t len)
{
    iov->base = buf;
    iov->len = len;
    vc_sg_init(sg, iov, 1);
}

static int range_ok(const struct vc_sg *sg, uint64_t off, uint64_t len)
{
    return off <= sg->len && len <= sg->len - off;
}

vc_result vc_sg_slice(const struct vc_sg *in, uint64_t off, uint64_t len, struct vc_iov *iov,
                      uint32_t max, struct vc_sg *out)
{
    ENSURE(range_ok(in, off, len), VC_ERANGE);
    uint32_t n = 0;
    uint64_t want = len;
    for (uint32_t i = 0; i < in->cnt && want > 0; i++) {
        size_t l = in->iov[i].len;
        if (off >= l) {
            off -= l;
            continue;
        }
        size_t take = l - off;
        if (take > want)
            take = want;
        ENSURE(n < max, VC_ENOSPC);
        iov[n].base = in->iov[i].base + off;
        iov[n].len = take;
        n++;
        want -= take;
        off = 0;
    }
    out->iov = iov;
    out->cnt = n;
    out->len = len;
    return VC_OK_RESULT;
}

vc_result vc_sg_read(const struct vc_sg *sg, uint64_t off, void *dst, uint64_t len)
{
    ENSURE(range_ok(sg, off, len), VC_ERANGE);
    uint8_t *d = dst;
    for (uint32_t i = 0; i < sg->cnt && len > 0; i++) {
        size_t l = sg->iov[i].len;
        if (off >= l) {
            off -= l;
            continue;
        }
        size_t take = l - off < len ? l - off : len;
        memcpy(d, sg->iov[i].base + off, take);
        d += take;
        len -= take;
        off = 0;
    }
    return VC_OK_RESULT;
}

vc_result vc_sg_write(const struct vc_sg *sg, uint64_t off, const void *src, uint64_t len)
{
    ENSURE(range_ok(sg, off, len), VC_ERANGE);
    const uint8_t *s = src;
    for (uint32_t i = 0; i < sg->cnt && len > 0; i++) {
        size_t l = sg->iov[i].len;
        if (off >= l) {
            off -= l;
            continue;
        }
        size_t take = l - off < len ? l - off : len;
        memcpy(sg->iov[i].base + off, s, take);
        s += take;
        len -= take;
        off = 0;
    }
    return VC_OK_RESULT;
}

void vc_sg_zero(const struct vc_sg *sg, uint64_t off, uint64_t len)
{
    if (off >= sg->len)
        return;
    if (len > sg->len - off)
        len = sg->len - off;
    for (uint32_t i = 0; i < sg->cnt && len > 0; i++) {
        size_t l = sg->iov[i].len;
        if (off >= l) {
            off -= l;
            continue;
        }
        size_t take = l - off < len ? l - off : len;
        memset(sg->iov[i].base + off, 0, take);
        len -= take;
        off = 0;
    }
}

void vc_sg_cur_init(struct vc_sg_cur *c, const struct vc_sg *sg)
{
    c->sg = sg;
    c->idx = 0;
    c->off = 0;
    c->left = sg->len;
}

size_t vc_sg_next(struct vc_sg_cur *c, uint8_t **p, size_t max)
{
    while (c->idx < c->sg->cnt && c->off >= c->sg->iov[c->idx].len) {
        c->idx++;
        c->off = 0;
    }
    if (c->idx >= c->sg->cnt)
        return 0;
    size_t take = c->sg->iov[c->idx].len - c->off;
    if (max && take > max)
        take = max;
    *p = c->sg->iov[c->idx].base + c->off;
    c->off += take;
    c->left -= take;
    return take;
}
