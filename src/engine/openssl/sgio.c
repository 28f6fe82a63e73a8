/* Scatter-gather walking for the OpenSSL engine.
 *
 * IMPLEMENTATION NOTES
 * Guest data arrives in several descriptors, so every primitive streams sg
 * pieces straight into EVP calls. The one subtle part is vc__ossl_stream:
 * with padding off, an ECB/CBC context emits exactly
 * floor((buffered + in) / block) * block bytes per update, so we know the
 * output size before each call and feed only as much input as the current
 * dst piece can take. When fewer than one block of room is left in a dst
 * piece, exactly one block is produced into a bounce buffer and scattered.
 * The "output size equals prediction" check turns any OpenSSL surprise into
 * an error instead of an overflow.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "engine/openssl/sym.h"

/* EVP update calls take int lengths. */
#define PIECE_MAX (1u << 30)

bool vc__range_ok(const struct vc_sg *sg, uint64_t off, uint64_t len)
{
    return off <= sg->len && len <= sg->len - off;
}

void vc__rcur_init(struct vc__rcur *c, const struct vc_sg *sg, uint64_t off, uint64_t len)
{
    c->sg = sg;
    c->idx = 0;
    c->left = len;
    while (c->idx < sg->cnt && off >= sg->iov[c->idx].len) {
        off -= sg->iov[c->idx].len;
        c->idx++;
    }
    c->off = (size_t)off;
}

bool vc__rcur_read(struct vc__rcur *c, uint8_t *dst, size_t n)
{
    if (c->left < n)
        return false;
    uint8_t *p;
    size_t got;
    while (n > 0 && (got = vc__rcur_next(c, &p, n)) > 0) {
        memcpy(dst, p, got);
        dst += got;
        n -= got;
    }
    return n == 0;
}

bool vc__rcur_write(struct vc__rcur *c, const uint8_t *src, size_t n)
{
    if (c->left < n)
        return false;
    uint8_t *p;
    size_t got;
    while (n > 0 && (got = vc__rcur_next(c, &p, n)) > 0) {
        memcpy(p, src, got);
        src += got;
        n -= got;
    }
    return n == 0;
}

void vc__sg_copy(const struct vc_sg *dst, uint64_t doff, const struct vc_sg *src, uint64_t soff,
                 uint64_t len)
{
    struct vc__rcur s, d;
    vc__rcur_init(&s, src, soff, len);
    vc__rcur_init(&d, dst, doff, len);
    uint8_t *sp, *dp;
    size_t n;
    while ((n = vc__rcur_peek(&s, &sp)) > 0) {
        size_t m = vc__rcur_peek(&d, &dp);
        if (m == 0)
            return;
        n = VC_MIN(n, m);
        /* memmove: an in-place request has src and dst on the same bytes. */
        memmove(dp, sp, n);
        vc__rcur_skip(&s, n);
        vc__rcur_skip(&d, n);
    }
}

bool vc__ossl_stream(void *evp_cipher_ctx, unsigned block, struct vc__rcur *src,
                     struct vc__rcur *dst)
{
    EVP_CIPHER_CTX *ctx = evp_cipher_ctx;
    uint8_t bounce[32];
    bool bounced = false;
    size_t buffered = 0; /* input bytes held inside ctx (< block) */
    uint8_t *in, *out;
    size_t n;
    int outl;

    if (block == 0 || block > sizeof bounce)
        return false;
    /* Single piece in and out, whole blocks: one call, no bookkeeping. */
    n = vc__rcur_peek(src, &in);
    if (n > 0 && n == src->left && n <= PIECE_MAX && (block == 1 || n % block == 0) &&
        vc__rcur_peek(dst, &out) >= n) {
        if (EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n)
            return false;
        vc__rcur_skip(src, n);
        vc__rcur_skip(dst, n);
        return true;
    }
    while ((n = vc__rcur_next(src, &in, PIECE_MAX)) > 0) {
        while (n > 0) {
            size_t room = vc__rcur_peek(dst, &out);
            size_t produce = (buffered + n) / block * block;
            size_t take, want;
            if (produce <= room) {
                take = n;
                want = produce;
            } else if (room >= block) {
                want = room / block * block;
                take = want - buffered;
            } else {
                /* The next output block straddles dst pieces. */
                take = block - buffered;
                bounced = true;
                if (EVP_CipherUpdate(ctx, bounce, &outl, in, (int)take) != 1 ||
                    (size_t)outl != block || !vc__rcur_write(dst, bounce, block)) {
                    OPENSSL_cleanse(bounce, sizeof bounce);
                    return false;
                }
                buffered = 0;
                in += take;
                n -= take;
                continue;
            }
            if (EVP_CipherUpdate(ctx, want > 0 ? out : bounce, &outl, in, (int)take) != 1 ||
                (size_t)outl != want)
                return false;
            vc__rcur_skip(dst, want);
            buffered = (buffered + take) % block;
            in += take;
            n -= take;
        }
    }
    /* The bounce buffer may hold a block of plaintext. */
    if (bounced)
        OPENSSL_cleanse(bounce, sizeof bounce);
    return buffered == 0 || block == 1;
}

uint8_t *vc__contig(const struct vc_sg *sg, uint64_t off, uint64_t len, uint8_t **scr,
                    size_t *scr_left)
{
    static uint8_t empty[1];
    struct vc__rcur c;
    uint8_t *p;

    if (len == 0)
        return empty;
    vc__rcur_init(&c, sg, off, len);
    if (vc__rcur_peek(&c, &p) == len)
        return p;
    if (len > *scr_left)
        return NULL;
    p = *scr;
    if (!vc__rcur_read(&c, p, (size_t)len))
        return NULL;
    *scr += len;
    *scr_left -= (size_t)len;
    return p;
}
