/* libFuzzer target: vhost-user message handling (STYLE.md rule 14;
 * hostile-inputs §1e), through the sans-I/O core vc_vu_process().
 *
 * Input: a sequence of records, each
 *   byte 0       fd spec: bits 0-3 number of fds (mod 9, so 0..8),
 *                bits 4-5 their kind (0 memfd 64 KiB, 1 eventfd, 2 pipe
 *                read end, 3 memfd 4 KiB), bit 6 = the front-end reconnects
 *                before this message (vc_vu_disconnect)
 *   bytes 1-12   header: request, flags, size (native endian)
 *   then         min(size, 4096, rest of input) payload bytes; the rest of
 *                the payload buffer is zero
 * The device has 2 data queues and a fake backend that checks what the
 * vhost layer hands it (key lengths within the arrays, ring index in range,
 * rings started/stopped in pairs, config ranges inside 56 bytes) and traps
 * otherwise. Synthetic fds are dup()s of a few long-lived fds; after each
 * input the device is freed and every fd the input created must be closed
 * again (hostile-inputs #32: no fd leak). A VC_EPROTO answer ends the
 * "connection" as the daemon would: vc_vu_disconnect, then go on.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vcrypto/virtio_crypto.h"
#include "vhost/vhost.h"
#include "virtq/gmem.h"
#include "virtq/vq.h"

#define NQ 2
#define MAX_CREATED 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

static struct {
    uint64_t next_id;
    uint32_t running;
    volatile uint8_t sink;
} fk;

static uint8_t f_create(void *ctx, const struct vc_sess_params *p, uint64_t *id)
{
    uint8_t key[1024];
    if (p->service == VIRTIO_CRYPTO_SERVICE_CIPHER) {
        check(p->u.sym.cipher.key_len <= VHOST_USER_CRYPTO_SYM_CIPHER_MAX_KEY_LEN);
        check(p->u.sym.auth_key_len <= VHOST_USER_CRYPTO_SYM_HMAC_MAX_KEY_LEN);
        memcpy(key, p->u.sym.cipher.key, p->u.sym.cipher.key_len);
        if (p->u.sym.auth_key)
            memcpy(key, p->u.sym.auth_key, p->u.sym.auth_key_len);
    } else {
        check(p->service == VIRTIO_CRYPTO_SERVICE_AKCIPHER);
        check(p->u.akcipher.key_len <= VHOST_USER_CRYPTO_ASYM_MAX_KEY_LEN);
        memcpy(key, p->u.akcipher.key, p->u.akcipher.key_len);
    }
    fk.sink ^= key[0];
    if (fk.next_id % 7 == 3) {
        fk.next_id++;
        return VIRTIO_CRYPTO_NOTSUPP;
    }
    *id = ++fk.next_id;
    return VIRTIO_CRYPTO_OK;
}

static uint8_t f_close(void *ctx, uint64_t id)
{
    return id <= fk.next_id ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_INVSESS;
}

static int fd_ok(int fd)
{
    return fd == -1 || fcntl(fd, F_GETFD) != -1;
}

static int f_start(void *ctx, const struct vc_vu_vring *vr)
{
    check(vr->index < NQ);
    check(!(fk.running & (1u << vr->index)));
    check(vc_vq_is_ready(vr->vq));
    check(fd_ok(vr->kick_fd) && fd_ok(vr->call_fd) && fd_ok(vr->err_fd));
    /* Touch the first and last byte of every mapped region: a bad mapping
     * would fault here. */
    uint32_t n = vc_gmem_count(vr->gmem);
    check(n > 0);
    for (uint32_t i = 0; i < n; i++) {
        const struct vc_gmem_region *r = vc_gmem_region(vr->gmem, i);
        fk.sink ^= r->host[0] ^ r->host[r->size - 1];
    }
    fk.running |= 1u << vr->index;
    return 0;
}

static void f_stop(void *ctx, uint32_t index)
{
    check(index < NQ && (fk.running & (1u << index)));
    fk.running &= ~(1u << index);
}

static int f_get_config(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
    check((uint64_t)off + len <= sizeof(struct virtio_crypto_config));
    memset(buf, 0x42, len);
    return 0;
}

static const struct vc_vu_backend_ops ops = {
    .create_session = f_create,
    .close_session = f_close,
    .vring_start = f_start,
    .vring_stop = f_stop,
    .get_config = f_get_config,
};

/* Long-lived fds the synthetic ones are dup()ed from. */
static int pool[4] = {-1, -1, -1, -1};

static void pool_init(void)
{
    if (pool[0] >= 0)
        return;
    pool[0] = memfd_create("fuzz-vhost-64k", MFD_CLOEXEC);
    check(pool[0] >= 0 && ftruncate(pool[0], 1 << 16) == 0);
    pool[1] = eventfd(0, EFD_CLOEXEC);
    int p[2];
    check(pipe(p) == 0);
    pool[2] = p[0]; /* the write end stays open too, never used */
    pool[3] = memfd_create("fuzz-vhost-4k", MFD_CLOEXEC);
    check(pool[3] >= 0 && ftruncate(pool[3], 4096) == 0);
    check(pool[1] >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vc_vu_msg in, out;
    static int created[MAX_CREATED];
    uint32_t ncreated = 0;
    pool_init();
    memset(&fk, 0, sizeof(fk));

    struct vc_vu_cfg cfg = {.num_queues = NQ, .max_ring_size = 256, .name = "fuzz"};
    struct vc_vu_dev *dev;
    check(vc_vu_dev_new(&cfg, &ops, NULL, &dev) == 0);

    while (size >= 13) {
        uint8_t spec = data[0];
        memset(&in, 0, sizeof(in));
        memcpy(&in.hdr, data + 1, 12);
        data += 13;
        size -= 13;
        size_t n = in.hdr.size < VC_VU_MAX_PAYLOAD ? in.hdr.size : VC_VU_MAX_PAYLOAD;
        if (n > size)
            n = size;
        memcpy(in.u.bytes, data, n);
        data += n;
        size -= n;

        in.nfds = (spec & 15u) % 9u;
        for (uint32_t i = 0; i < in.nfds; i++) {
            in.fds[i] = dup(pool[(spec >> 4) & 3]);
            check(in.fds[i] >= 0 && ncreated < MAX_CREATED);
            created[ncreated++] = in.fds[i];
        }
        if (spec & 0x40)
            vc_vu_disconnect(dev);

        bool has_reply = false;
        uint32_t req_size = in.hdr.size;
        int rc = vc_vu_process(dev, &in, &out, &has_reply);
        check(rc == 0 || rc == VC_EPROTO);
        check(in.nfds == 0);
        if (has_reply) {
            check(out.hdr.flags == (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK));
            check(out.hdr.size <= VC_VU_MAX_PAYLOAD);
            check(out.hdr.request == in.hdr.request);
            /* QEMU's rule: a session reply has exactly the request's size.
             * (A message refused as malformed may get an 8-byte REPLY_ACK.) */
            if (in.hdr.request == VHOST_USER_CREATE_CRYPTO_SESSION && rc == 0)
                check(out.hdr.size == req_size);
        }
        if (rc == VC_EPROTO)
            vc_vu_disconnect(dev);
    }
    vc_vu_dev_free(dev);
    check(fk.running == 0);
    for (uint32_t i = 0; i < ncreated; i++)
        check(fcntl(created[i], F_GETFD) == -1);
    return 0;
}
