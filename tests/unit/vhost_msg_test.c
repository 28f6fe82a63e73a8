/* vhost-user back-end protocol layer: every message and error path through
 * the sans-I/O core (vc_vu_process) with a fake backend, then the socket
 * layer against the scripted front-end (tests/testlib/vu_client) over a
 * socketpair. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "testlib/vu_client.h"
#include "vcrypto/err.h"
#include "vcrypto/virtio_crypto.h"
#include "vhost/socket.h"
#include "vhost/vhost.h"
#include "virtq/gmem.h"

/* ------------------------------------------------------------------ fake */

struct fake {
    uint64_t next_id;
    uint64_t live[64];
    uint32_t nlive;
    uint32_t creates, closes;
    uint8_t force_status; /* non-zero: create fails with it */
    struct vc_sess_params last;
    uint8_t key[1024], auth_key[512];
    uint32_t starts, stops;
    bool running[4];
    struct vc_vu_vring vr; /* last started */
    int vr_kick_valid, vr_call_valid;
    uint8_t seen_byte; /* first byte of guest memory at start time */
    uint64_t acked;
    uint8_t config[56];
};

static uint64_t f_get_features(void *ctx)
{
    return 1ull << VIRTIO_CRYPTO_F_REVISION_1;
}

static void f_set_features(void *ctx, uint64_t f)
{
    ((struct fake *)ctx)->acked = f;
}

static int f_get_config(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
    memcpy(buf, ((struct fake *)ctx)->config + off, len);
    return 0;
}

static uint8_t f_create(void *ctx, const struct vc_sess_params *p, uint64_t *id)
{
    struct fake *f = ctx;
    f->creates++;
    f->last = *p;
    if (p->service == VIRTIO_CRYPTO_SERVICE_CIPHER) {
        memcpy(f->key, p->u.sym.cipher.key, p->u.sym.cipher.key_len);
        if (p->u.sym.auth_key)
            memcpy(f->auth_key, p->u.sym.auth_key, p->u.sym.auth_key_len);
    } else {
        memcpy(f->key, p->u.akcipher.key, p->u.akcipher.key_len);
    }
    if (f->force_status)
        return f->force_status;
    if (f->nlive == 64)
        return VIRTIO_CRYPTO_NOSPC;
    *id = ++f->next_id;
    f->live[f->nlive++] = *id;
    return VIRTIO_CRYPTO_OK;
}

static uint8_t f_close(void *ctx, uint64_t id)
{
    struct fake *f = ctx;
    f->closes++;
    for (uint32_t i = 0; i < f->nlive; i++) {
        if (f->live[i] == id) {
            f->live[i] = f->live[--f->nlive];
            return VIRTIO_CRYPTO_OK;
        }
    }
    return VIRTIO_CRYPTO_INVSESS;
}

static bool fd_valid(int fd)
{
    return fd >= 0 && fcntl(fd, F_GETFD) != -1;
}

static int f_start(void *ctx, const struct vc_vu_vring *vr)
{
    struct fake *f = ctx;
    f->starts++;
    f->running[vr->index] = true;
    f->vr = *vr;
    f->vr_kick_valid = fd_valid(vr->kick_fd);
    f->vr_call_valid = fd_valid(vr->call_fd);
    const uint8_t *p = vc_gmem_gpa(vr->gmem, 0, 1);
    f->seen_byte = p ? *p : 0;
    return 0;
}

static void f_stop(void *ctx, uint32_t index)
{
    struct fake *f = ctx;
    f->stops++;
    f->running[index] = false;
}

static const struct vc_vu_backend_ops fake_ops = {
    .get_features = f_get_features,
    .set_features = f_set_features,
    .get_config = f_get_config,
    .create_session = f_create,
    .close_session = f_close,
    .vring_start = f_start,
    .vring_stop = f_stop,
};

/* ---------------------------------------------------------------- helpers */

static struct fake F;
static struct vc_vu_dev *D;
static struct vc_vu_msg IN, OUT;
static bool HAS;

static void setup_n(uint32_t nq)
{
    memset(&F, 0, sizeof(F));
    for (int i = 0; i < 56; i++)
        F.config[i] = (uint8_t)(i + 1);
    struct vc_vu_cfg cfg = {.num_queues = nq, .name = "t"};
    D = NULL;
    if (vc_vu_dev_new(&cfg, &fake_ops, &F, &D) != 0)
        printf("# dev_new failed\n");
}

static void setup(void)
{
    setup_n(2);
}

static void teardown(void)
{
    vc_vu_dev_free(D);
    D = NULL;
}

/* Builds IN with a payload and fds (fds become owned by IN). */
static void mk(uint32_t req, uint32_t flags, const void *payload, uint32_t size, const int *fds,
               uint32_t nfds)
{
    memset(&IN, 0, sizeof(IN));
    IN.hdr.request = req;
    IN.hdr.flags = flags ? flags : VHOST_USER_VERSION;
    IN.hdr.size = size;
    if (size && payload)
        memcpy(IN.u.bytes, payload, size);
    IN.nfds = nfds;
    for (uint32_t i = 0; i < nfds; i++)
        IN.fds[i] = fds[i];
}

static int run(uint32_t req, uint32_t flags, const void *payload, uint32_t size, const int *fds,
               uint32_t nfds)
{
    mk(req, flags, payload, size, fds, nfds);
    memset(&OUT, 0xa5, sizeof(OUT.hdr));
    HAS = false;
    return vc_vu_process(D, &IN, &OUT, &HAS);
}

static int run_u64(uint32_t req, uint64_t v)
{
    return run(req, 0, &v, 8, NULL, 0);
}

static int run_state(uint32_t req, uint32_t index, uint32_t num)
{
    struct vhost_user_vring_state s = {index, num};
    return run(req, 0, &s, sizeof(s), NULL, 0);
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Mappings of our test memfds, counted in /proc/self/maps. */
static int count_maps(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, name) != NULL;
    fclose(f);
    return n;
}

static void negotiate_reply_ack(void)
{
    EXPECT_EQ(run_u64(VHOST_USER_SET_PROTOCOL_FEATURES,
                      (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
                          (1ull << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION)),
              0);
}

static void expect_reply_hdr(uint32_t req, uint32_t size)
{
    EXPECT(HAS);
    EXPECT_EQ(OUT.hdr.request, req);
    EXPECT_EQ(OUT.hdr.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
    EXPECT_EQ(OUT.hdr.size, size);
}

/* A memfd "guest" of size bytes whose first byte is tag. */
struct gm {
    int fd;
    uint8_t *p;
    uint64_t size;
};

static struct gm gm_new(const char *name, uint64_t size, uint8_t tag)
{
    struct gm g = {memfd_create(name, MFD_CLOEXEC), NULL, size};
    if (g.fd < 0 || ftruncate(g.fd, (off_t)size) != 0)
        printf("# memfd failed\n");
    g.p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g.fd, 0);
    g.p[0] = tag;
    return g;
}

static void gm_free(struct gm *g)
{
    munmap(g->p, g->size);
    close(g->fd);
}

static uint32_t mem_payload(uint8_t *buf, uint32_t n, const struct vhost_user_mem_region *r)
{
    memset(buf, 0, 264);
    memcpy(buf, &n, 4);
    memcpy(buf + 8, r, 32ull * n);
    return 8 + 32 * n;
}

/* Sends a one-region table for g at gpa 0, uva = our mapping; fd dup'd. */
static int set_mem(const struct gm *g)
{
    struct vhost_user_mem_region r = {0, g->size, (uint64_t)(uintptr_t)g->p, 0};
    uint8_t buf[264];
    uint32_t n = mem_payload(buf, 1, &r);
    int fd = dup(g->fd);
    return run(VHOST_USER_SET_MEM_TABLE, 0, buf, n, &fd, 1);
}

/* Ring of 8 entries at offset 0x1000 of g. */
static void ring_cfg(const struct gm *g, uint32_t idx)
{
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, idx, 8), 0);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_BASE, idx, 5), 0);
    struct vhost_user_vring_addr a = {
        .index = idx,
        .desc_user_addr = (uint64_t)(uintptr_t)(g->p + 0x1000),
        .avail_user_addr = (uint64_t)(uintptr_t)(g->p + 0x1100),
        .used_user_addr = (uint64_t)(uintptr_t)(g->p + 0x1200),
    };
    EXPECT_EQ(run(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0), 0);
}

static int send_vring_fd(uint32_t req, uint64_t v, int fd)
{
    if (fd < 0)
        return run(req, 0, &v, 8, NULL, 0);
    int d = dup(fd);
    return run(req, 0, &v, 8, &d, 1);
}

/* ------------------------------------------------------------ basic msgs */

TEST(features_and_queue_num)
{
    setup();
    EXPECT_EQ(run(VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_FEATURES, 8);
    uint64_t f = OUT.u.u64;
    EXPECT(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
    EXPECT(f & (1ull << VIRTIO_F_VERSION_1));
    EXPECT(f & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
    EXPECT(f & (1ull << VIRTIO_RING_F_EVENT_IDX));
    EXPECT(f & (1ull << VIRTIO_CRYPTO_F_REVISION_1)); /* from the backend */

    EXPECT_EQ(run(VHOST_USER_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_PROTOCOL_FEATURES, 8);
    uint64_t p = OUT.u.u64;
    EXPECT(p & (1ull << VHOST_USER_PROTOCOL_F_MQ));
    EXPECT(p & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
    EXPECT(p & (1ull << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION));
    EXPECT(p & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
    EXPECT(!(p & (1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD)));

    EXPECT_EQ(run(VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_QUEUE_NUM, 8);
    EXPECT_EQ(OUT.u.u64, 2);

    EXPECT_EQ(run_u64(VHOST_USER_SET_FEATURES, 1ull << VHOST_USER_F_PROTOCOL_FEATURES), 0);
    EXPECT(!HAS);
    EXPECT_EQ(F.acked, 1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    struct vc_vu_info info;
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.features, 1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    EXPECT_EQ(info.refused, 0);
    teardown();
}

TEST(set_features_unoffered_refused)
{
    setup();
    negotiate_reply_ack();
    uint64_t bad = (1ull << VHOST_USER_F_PROTOCOL_FEATURES) | (1ull << 26); /* LOG_ALL */
    EXPECT_EQ(run(VHOST_USER_SET_FEATURES, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, &bad, 8,
                  NULL, 0),
              0);
    expect_reply_hdr(VHOST_USER_SET_FEATURES, 8);
    EXPECT_EQ(OUT.u.u64, 1);
    EXPECT_EQ(F.acked, 0);
    /* Protocol features we never offered. */
    EXPECT_EQ(run_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 1ull << VHOST_USER_PROTOCOL_F_PAGEFAULT),
              0);
    struct vc_vu_info info;
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.refused, 2);
    EXPECT(info.protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
    teardown();
}

TEST(reply_ack_only_when_negotiated)
{
    setup();
    uint32_t nr = VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK;
    EXPECT_EQ(run(VHOST_USER_SET_OWNER, nr, NULL, 0, NULL, 0), 0);
    EXPECT(!HAS);
    negotiate_reply_ack();
    EXPECT_EQ(run(VHOST_USER_SET_OWNER, nr, NULL, 0, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_SET_OWNER, 8);
    EXPECT_EQ(OUT.u.u64, 0);
    /* Repeated SET_OWNER (QEMU: one per data queue) and RESET_OWNER. */
    EXPECT_EQ(run(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0), 0);
    EXPECT_EQ(run(VHOST_USER_RESET_OWNER, 0, NULL, 0, NULL, 0), 0);
    EXPECT(!HAS);
    /* A GET with NEED_REPLY gets its normal reply, not an extra ack. */
    EXPECT_EQ(run(VHOST_USER_GET_QUEUE_NUM, nr, NULL, 0, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_QUEUE_NUM, 8);
    EXPECT_EQ(OUT.u.u64, 2);
    teardown();
}

TEST(bad_headers_refused)
{
    setup();
    negotiate_reply_ack();
    mk(VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
    IN.hdr.flags = 0; /* version 0 */
    EXPECT_EQ(vc_vu_process(D, &IN, &OUT, &HAS), VC_EPROTO);
    EXPECT(!HAS);
    /* Unparseable flags get no REPLY_ACK even with the NEED_REPLY bit. */
    EXPECT_EQ(run(VHOST_USER_SET_OWNER, VHOST_USER_NEED_REPLY_MASK | 3, NULL, 0, NULL, 0),
              VC_EPROTO);
    EXPECT(!HAS);
    /* A well-formed header on a malformed message does get the failure ack. */
    uint32_t junk = 0;
    EXPECT_EQ(run(VHOST_USER_SET_OWNER, VHOST_USER_NEED_REPLY_MASK | 1, &junk, 4, NULL, 0),
              VC_EPROTO);
    expect_reply_hdr(VHOST_USER_SET_OWNER, 8);
    EXPECT_EQ(OUT.u.u64, 1);
    EXPECT_EQ(
        run(VHOST_USER_GET_FEATURES, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, NULL, 0, NULL, 0),
        VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_GET_FEATURES, 2, NULL, 0, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_GET_FEATURES, VHOST_USER_VERSION | 0x100, NULL, 0, NULL, 0),
              VC_EPROTO);
    mk(VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
    IN.hdr.size = VC_VU_MAX_PAYLOAD + 1;
    EXPECT_EQ(vc_vu_process(D, &IN, &OUT, &HAS), VC_EPROTO);
    teardown();
}

TEST(wrong_sizes_refused)
{
    setup();
    uint8_t z[64] = {0};
    EXPECT_EQ(run(VHOST_USER_GET_FEATURES, 0, z, 8, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_SET_FEATURES, 0, z, 4, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_SET_FEATURES, 0, z, 16, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_SET_VRING_NUM, 0, z, 7, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_SET_VRING_NUM, 0, z, 9, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_SET_VRING_ADDR, 0, z, 39, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_SET_VRING_KICK, 0, z, 4, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_CLOSE_CRYPTO_SESSION, 0, z, 4, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_SET_MEM_TABLE, 0, z, 4, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_GET_CONFIG, 0, z, 8, NULL, 0), VC_EPROTO);
    struct vc_vu_info info;
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.refused, 10);
    teardown();
}

TEST(unknown_requests_kept_and_fds_closed)
{
    setup();
    negotiate_reply_ack();
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    int wr = p[1];
    /* SET_LOG_BASE (not offered) with an fd, then undefined codes. */
    uint64_t v[2] = {0, 0};
    EXPECT_EQ(run(VHOST_USER_SET_LOG_BASE, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, v, 16,
                  &p[0], 1),
              0);
    expect_reply_hdr(VHOST_USER_SET_LOG_BASE, 8);
    EXPECT_EQ(OUT.u.u64, 1);
    EXPECT(!fd_valid(p[0]));
    EXPECT_EQ(run(0, 0, NULL, 0, NULL, 0), 0);
    EXPECT_EQ(run(99, 0, NULL, 0, NULL, 0), 0);
    EXPECT_EQ(run(0xffffffffu, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, v, 8, NULL, 0), 0);
    expect_reply_hdr(0xffffffffu, 8);
    EXPECT_EQ(OUT.u.u64, 1);
    /* The device still answers. */
    EXPECT_EQ(run(VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0), 0);
    EXPECT_EQ(OUT.u.u64, 2);
    close(wr);
    teardown();
}

TEST(unexpected_fds_closed_and_count_flat)
{
    setup();
    int before = count_fds();
    for (int i = 0; i < 2000; i++) {
        int p[2];
        if (pipe(p) != 0) {
            T__FAIL("pipe failed at %d (fd leak?)", i);
            break;
        }
        uint64_t v = 1;
        int rc = i % 3 == 0   ? run(VHOST_USER_SET_FEATURES, 0, &v, 8, p, 2)
                 : i % 3 == 1 ? run(VHOST_USER_GET_FEATURES, 0, NULL, 0, p, 1)
                              : run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, NULL, 0, p, 2);
        if (rc != VC_EPROTO)
            T__FAIL("message %d accepted with fds", i);
        if (i % 3 == 1)
            close(p[1]);
        if (fd_valid(p[0]) || (i % 3 != 1 && fd_valid(p[1])))
            T__FAIL("fd left open at %d", i);
        if (IN.nfds != 0)
            T__FAIL("message still owns fds");
    }
    EXPECT_EQ(count_fds(), before);
    teardown();
}

/* ------------------------------------------------------------- vrings */

TEST(vring_index_checks)
{
    setup(); /* 2 queues */
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 2, 8), VC_EPROTO);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0x80000000u, 8), VC_EPROTO);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0x10000u, 8), VC_EPROTO); /* u16 truncation */
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_BASE, 0x10001u, 0), VC_EPROTO);
    EXPECT_EQ(run_state(VHOST_USER_GET_VRING_BASE, 7, 0), VC_EPROTO);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_ENABLE, 2, 1), VC_EPROTO);
    struct vhost_user_vring_addr a = {.index = 0x100};
    EXPECT_EQ(run(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0), VC_EPROTO);
    int e = eventfd(0, EFD_CLOEXEC);
    int before = count_fds();
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, 2, e), VC_EPROTO);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_CALL, 0x100000000ull, e), VC_EPROTO);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_ERR, 1ull << 9, e), VC_EPROTO);
    /* NOFD with an fd, and no NOFD without one. */
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, VHOST_USER_VRING_NOFD_MASK, e), VC_EPROTO);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_CALL, 0, -1), VC_EPROTO);
    EXPECT_EQ(count_fds(), before);
    /* Valid ones. */
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 1, 256), 0);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_BASE, 1, 0xffff), 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_CALL, 1, e), 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_ERR, 1 | VHOST_USER_VRING_NOFD_MASK, -1), 0);
    close(e);
    teardown();
}

TEST(vring_num_checks)
{
    setup();
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 0), VC_EPROTO);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 6), VC_EPROTO);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 65536), VC_EPROTO);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 32768), 0);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 1), 0);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_ENABLE, 0, 2), VC_EPROTO);
    teardown();
}

TEST(vring_lifecycle)
{
    setup();
    struct gm g = gm_new("vhost-t-ring", 1 << 16, 0x5a);
    int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
    int before = count_fds();
    EXPECT_EQ(set_mem(&g), 0);
    ring_cfg(&g, 1);
    EXPECT_EQ(F.starts, 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, 1, kick), 0);
    EXPECT_EQ(F.starts, 1);
    EXPECT(F.running[1]);
    EXPECT(vc_vu_ring_started(D, 1));
    EXPECT(!vc_vu_ring_started(D, 0));
    EXPECT_EQ(F.vr.index, 1);
    EXPECT(F.vr_kick_valid);
    EXPECT_EQ(F.vr.call_fd, -1);
    EXPECT_EQ(F.seen_byte, 0x5a); /* the backend reaches guest memory */
    /* SET_VRING_CALL on a running ring: stop, swap, restart. */
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_CALL, 1, call), 0);
    EXPECT_EQ(F.stops, 1);
    EXPECT_EQ(F.starts, 2);
    EXPECT(F.vr_call_valid);
    /* Disable / enable. */
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_ENABLE, 1, 0), 0);
    EXPECT(!F.running[1]);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_ENABLE, 1, 1), 0);
    EXPECT(F.running[1]);
    /* GET_VRING_BASE stops the ring and answers the base. */
    EXPECT_EQ(run_state(VHOST_USER_GET_VRING_BASE, 1, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_VRING_BASE, 8);
    EXPECT_EQ(OUT.u.state.index, 1);
    EXPECT_EQ(OUT.u.state.num, 5);
    EXPECT(!F.running[1]);
    EXPECT(!vc_vu_ring_started(D, 1));
    EXPECT_EQ(count_fds(), before); /* kick/call copies closed, memfd dup closed */
    /* Restart needs a new kick. */
    ring_cfg(&g, 1);
    EXPECT(!F.running[1]);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, 1 | VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT(F.running[1]);
    EXPECT_EQ(F.vr.kick_fd, -1); /* polling */
    vc_vu_disconnect(D);
    EXPECT(!F.running[1]);
    EXPECT_EQ(F.starts, F.stops);
    EXPECT_EQ(count_maps("vhost-t-ring"), 1); /* only our own mapping left */
    teardown();
    close(kick);
    close(call);
    gm_free(&g);
}

/* A per-ring message stops only its ring; memory and features stop all. */
TEST(quiesce_scope)
{
    setup();
    struct gm g = gm_new("vhost-t-scope", 1 << 16, 7);
    EXPECT_EQ(set_mem(&g), 0);
    ring_cfg(&g, 0);
    ring_cfg(&g, 1);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, 0 | VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, 1 | VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT(F.running[0] && F.running[1]);
    EXPECT_EQ(F.starts, 2);
    int e = eventfd(0, EFD_CLOEXEC);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_CALL, 1, e), 0);
    EXPECT_EQ(F.stops, 1);
    EXPECT_EQ(F.starts, 3);
    EXPECT_EQ(F.vr.index, 1);
    EXPECT(F.running[0] && F.running[1]);
    /* A refused per-ring message with a bad index stops nothing. */
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_CALL, 9, e), VC_EPROTO);
    EXPECT_EQ(F.stops, 1);
    EXPECT_EQ(run_u64(VHOST_USER_SET_FEATURES, 1ull << VHOST_USER_F_PROTOCOL_FEATURES), 0);
    EXPECT_EQ(F.stops, 3);
    EXPECT_EQ(F.starts, 5);
    EXPECT(F.running[0] && F.running[1]);
    teardown();
    EXPECT_EQ(F.starts, F.stops);
    close(e);
    gm_free(&g);
}

TEST(vring_addr_outside_memory_not_started)
{
    setup();
    struct gm g = gm_new("vhost-t-addr", 1 << 16, 1);
    EXPECT_EQ(set_mem(&g), 0);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 8), 0);
    struct vhost_user_vring_addr a = {
        .index = 0,
        .desc_user_addr = (uint64_t)(uintptr_t)(g.p + g.size - 16), /* table runs off the end */
        .avail_user_addr = (uint64_t)(uintptr_t)(g.p + 0x1100),
        .used_user_addr = (uint64_t)(uintptr_t)(g.p + 0x1200),
    };
    EXPECT_EQ(run(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0), 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT_EQ(F.starts, 0);
    /* Kick before any memory table: stays stopped too. */
    vc_vu_disconnect(D);
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 8), 0);
    a.desc_user_addr = (uint64_t)(uintptr_t)(g.p + 0x1000);
    EXPECT_EQ(run(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0), 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT_EQ(F.starts, 0);
    /* The table arrives: the ready ring starts. */
    EXPECT_EQ(set_mem(&g), 0);
    EXPECT_EQ(F.starts, 1);
    teardown();
    gm_free(&g);
}

/* ------------------------------------------------------------- memory */

TEST(mem_table_map_replace_unmap)
{
    setup();
    struct gm a = gm_new("vhost-t-mema", 1 << 16, 0xaa);
    struct gm b = gm_new("vhost-t-memb", 1 << 16, 0xbb);
    int before = count_fds();
    EXPECT_EQ(set_mem(&a), 0);
    EXPECT_EQ(count_maps("vhost-t-mema"), 2);
    ring_cfg(&a, 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT_EQ(F.seen_byte, 0xaa);
    /* Replace: the ring restarts on the new table, the old one is gone.
     * Ring addresses are uvas of a; give b's region a's uva range. */
    struct vhost_user_mem_region r = {0, b.size, (uint64_t)(uintptr_t)a.p, 0};
    uint8_t buf[264];
    uint32_t n = mem_payload(buf, 1, &r);
    int fd = dup(b.fd);
    EXPECT_EQ(run(VHOST_USER_SET_MEM_TABLE, 0, buf, n, &fd, 1), 0);
    EXPECT_EQ(count_maps("vhost-t-mema"), 1);
    EXPECT_EQ(count_maps("vhost-t-memb"), 2);
    EXPECT_EQ(F.stops, 1);
    EXPECT_EQ(F.starts, 2);
    EXPECT_EQ(F.seen_byte, 0xbb);
    struct vc_vu_info info;
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.nregions, 1);
    teardown();
    EXPECT_EQ(count_maps("vhost-t-memb"), 1);
    EXPECT_EQ(count_fds(), before);
    gm_free(&a);
    gm_free(&b);
}

TEST(mem_table_two_regions_with_offset)
{
    setup();
    struct gm g = gm_new("vhost-t-mem2", 3 << 16, 0x11);
    g.p[2 << 16] = 0x22;
    struct vhost_user_mem_region r[2] = {
        {0x100000, 1 << 16, 0x7000000000, 2 << 16}, /* second half of the file */
        {0, 1 << 16, 0x6000000000, 0},
    };
    uint8_t buf[264];
    uint32_t n = mem_payload(buf, 2, r);
    int fds[2] = {dup(g.fd), dup(g.fd)};
    EXPECT_EQ(run(VHOST_USER_SET_MEM_TABLE, 0, buf, n, fds, 2), 0);
    EXPECT_EQ(count_maps("vhost-t-mem2"), 3);
    /* Ring at uva 0x7000001000 = gpa 0x101000: the backend sees gpa 0. */
    EXPECT_EQ(run_state(VHOST_USER_SET_VRING_NUM, 0, 8), 0);
    struct vhost_user_vring_addr a = {0, 0, 0x7000001000, 0x7000001200, 0x7000001100, 0};
    EXPECT_EQ(run(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0), 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT_EQ(F.starts, 1);
    EXPECT_EQ(F.seen_byte, 0x11);
    EXPECT_EQ(*(const uint8_t *)vc_gmem_gpa(F.vr.gmem, 0x100000, 1), 0x22);
    teardown();
    EXPECT_EQ(count_maps("vhost-t-mem2"), 1);
    gm_free(&g);
}

/* Each bad table is refused, maps nothing and closes every fd. */
static void bad_table(const struct vhost_user_mem_region *r, uint32_t nregions, uint32_t size,
                      uint32_t nfds, const struct gm *g)
{
    uint8_t buf[264] = {0};
    memcpy(buf, &nregions, 4);
    memcpy(buf + 8, r, 32ull * VC_MIN(nregions, 8u));
    int fds[8];
    for (uint32_t i = 0; i < nfds; i++)
        fds[i] = dup(g->fd);
    int before = count_fds() - (int)nfds;
    int maps = count_maps("vhost-t-bad");
    EXPECT_EQ(run(VHOST_USER_SET_MEM_TABLE, 0, buf, size, fds, nfds), VC_EPROTO);
    EXPECT_EQ(count_fds(), before);
    EXPECT_EQ(count_maps("vhost-t-bad"), maps);
}

TEST(mem_table_bad_tables)
{
    setup();
    struct gm g = gm_new("vhost-t-bad", 1 << 16, 0);
    uint64_t uva = (uint64_t)(uintptr_t)g.p;
    struct vhost_user_mem_region ok = {0, 1 << 16, uva, 0};
    struct vhost_user_mem_region r[9];
    for (int i = 0; i < 9; i++)
        r[i] = ok;
    bad_table(r, 0, 8, 0, &g);             /* no region */
    bad_table(r, 9, 8 + 32 * 8, 8, &g);    /* 9 regions */
    bad_table(r, 0xffffffffu, 264, 8, &g); /* huge count */
    bad_table(r, 1, 8 + 32 * 2, 1, &g);    /* size does not match count */
    bad_table(r, 1, 8 + 32, 0, &g);        /* fewer fds than regions */
    bad_table(r, 1, 8 + 32, 2, &g);        /* more fds than regions */
    r[0].memory_size = 0;
    bad_table(r, 1, 8 + 32, 1, &g); /* zero-size region */
    r[0] = ok;
    r[0].guest_phys_addr = UINT64_MAX - 100;
    bad_table(r, 1, 8 + 32, 1, &g); /* gpa + size wraps */
    r[0] = ok;
    r[0].mmap_offset = UINT64_MAX - 10;
    bad_table(r, 1, 8 + 32, 1, &g); /* offset + size wraps */
    r[0] = ok;
    r[0].mmap_offset = 4096;
    bad_table(r, 1, 8 + 32, 1, &g); /* offset + size beyond the file */
    r[0] = ok;
    r[0].memory_size = 1 << 20;
    bad_table(r, 1, 8 + 32, 1, &g); /* region larger than the file */
    r[0] = ok;
    r[1] = ok;
    r[1].guest_phys_addr = 0x8000;
    r[1].memory_size = 0x8000;
    bad_table(r, 2, 8 + 64, 2, &g); /* overlapping gpa */
    /* An fd that is not a regular file. */
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    uint8_t buf[264];
    uint32_t n = mem_payload(buf, 1, &ok);
    EXPECT_EQ(run(VHOST_USER_SET_MEM_TABLE, 0, buf, n, &p[0], 1), VC_EPROTO);
    EXPECT(!fd_valid(p[0]));
    close(p[1]);
    /* The device is still usable afterwards. */
    EXPECT_EQ(set_mem(&g), 0);
    struct vc_vu_info info;
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.nregions, 1);
    /* A bad table after a good one keeps the good one. */
    r[0] = ok;
    r[0].memory_size = 0;
    bad_table(r, 1, 8 + 32, 1, &g);
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.nregions, 1);
    teardown();
    gm_free(&g);
}

/* ------------------------------------------------------------- config */

TEST(config_get_set)
{
    setup();
    uint8_t buf[12 + 256] = {0};
    uint32_t hdr[3] = {0, 56, 0};
    memcpy(buf, hdr, 12);
    EXPECT_EQ(run(VHOST_USER_GET_CONFIG, 0, buf, 12 + 56, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_CONFIG, 12 + 56);
    EXPECT_EQ(OUT.u.config.size, 56);
    EXPECT_MEM(OUT.u.config.region, F.config, 56);
    hdr[0] = 8;
    hdr[1] = 4;
    memcpy(buf, hdr, 12);
    EXPECT_EQ(run(VHOST_USER_GET_CONFIG, 0, buf, 12 + 4, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_CONFIG, 16);
    EXPECT_MEM(OUT.u.config.region, F.config + 8, 4);
    /* Out of range: zero-length reply ("uses zero length of payload to
     * indicate an error"). */
    hdr[0] = 50;
    hdr[1] = 8;
    memcpy(buf, hdr, 12);
    EXPECT_EQ(run(VHOST_USER_GET_CONFIG, 0, buf, 12 + 8, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_CONFIG, 0);
    hdr[0] = 0xffffffffu;
    hdr[1] = 8;
    memcpy(buf, hdr, 12);
    EXPECT_EQ(run(VHOST_USER_GET_CONFIG, 0, buf, 12 + 8, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_CONFIG, 0);
    /* size field disagrees with the payload. */
    hdr[0] = 0;
    hdr[1] = 200;
    memcpy(buf, hdr, 12);
    EXPECT_EQ(run(VHOST_USER_GET_CONFIG, 0, buf, 12 + 8, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_GET_CONFIG, 0);
    /* SET_CONFIG: read-only, refused (REPLY_ACK says so). */
    negotiate_reply_ack();
    hdr[0] = 0;
    hdr[1] = 4;
    memcpy(buf, hdr, 12);
    EXPECT_EQ(run(VHOST_USER_SET_CONFIG, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, buf, 16,
                  NULL, 0),
              0);
    expect_reply_hdr(VHOST_USER_SET_CONFIG, 8);
    EXPECT_EQ(OUT.u.u64, 1);
    teardown();
}

/* ------------------------------------------------------------- sessions */

static const uint8_t KEY[64] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static uint8_t AKEY[512];

static int64_t reply_id(uint32_t size)
{
    int64_t id;
    memcpy(&id, OUT.u.bytes + (size == 1072 ? 1064 : 0), 8);
    return id;
}

static bool keys_wiped(uint32_t size)
{
    for (uint32_t i = size == 1072 ? 40 : 56; i < (size == 1072 ? 1064u : 632u); i++)
        if (OUT.u.bytes[i])
            return false;
    return true;
}

static int64_t create(enum vu_layout l, const struct vu_sym_sess *s)
{
    uint8_t buf[1072];
    uint32_t n = vu_build_sym_session(l, s, buf);
    int rc = run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, n, NULL, 0);
    if (rc != 0)
        T__FAIL("process returned %d", rc);
    expect_reply_hdr(VHOST_USER_CREATE_CRYPTO_SESSION, n);
    if (!keys_wiped(n))
        T__FAIL("reply echoes key bytes");
    return reply_id(n);
}

static struct vu_sym_sess cbc(uint32_t key_len)
{
    return (struct vu_sym_sess){.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
                                .key_len = key_len,
                                .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
                                .direction = VIRTIO_CRYPTO_OP_ENCRYPT,
                                .key = KEY};
}

TEST(session_layouts_round_trip)
{
    static const enum vu_layout ls[] = {VU_LAYOUT_A, VU_LAYOUT_B, VU_LAYOUT_C};
    for (int i = 0; i < 3; i++) {
        setup();
        struct vu_sym_sess s = cbc(32);
        s.direction = VIRTIO_CRYPTO_OP_DECRYPT;
        int64_t id = create(ls[i], &s);
        EXPECT_EQ(id, 1);
        EXPECT_EQ(F.last.service, VIRTIO_CRYPTO_SERVICE_CIPHER);
        EXPECT_EQ(F.last.u.sym.op_type, VIRTIO_CRYPTO_SYM_OP_CIPHER);
        EXPECT_EQ(F.last.u.sym.cipher.algo, VIRTIO_CRYPTO_CIPHER_AES_CBC);
        EXPECT_EQ(F.last.u.sym.cipher.op, VIRTIO_CRYPTO_OP_DECRYPT);
        EXPECT_EQ(F.last.u.sym.cipher.key_len, 32);
        EXPECT_MEM(F.key, KEY, 32);
        /* Chained cipher + HMAC. */
        for (int k = 0; k < 512; k++)
            AKEY[k] = (uint8_t)(k * 7);
        s = cbc(16);
        s.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
        s.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
        s.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
        s.hash_result_len = 32;
        s.auth_key_len = 512;
        s.auth_key = AKEY;
        s.aad_len = 13;
        s.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
        EXPECT_EQ(create(ls[i], &s), 2);
        EXPECT_EQ(F.last.u.sym.op_type, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
        EXPECT_EQ(F.last.u.sym.cipher.key_len, 16);
        EXPECT_EQ(F.last.u.sym.hash_mode, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
        EXPECT_EQ(F.last.u.sym.hash_algo, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
        EXPECT_EQ(F.last.u.sym.hash_result_len, 32);
        EXPECT_EQ(F.last.u.sym.auth_key_len, 512);
        EXPECT_EQ(F.last.u.sym.aad_len, 13);
        EXPECT_EQ(F.last.u.sym.chain_order, VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
        EXPECT_MEM(F.auth_key, AKEY, 512);
        /* The request buffer no longer holds key bytes. */
        EXPECT(IN.u.bytes[56] == 0 && IN.u.bytes[120] == 0);
        /* Close: no reply. */
        EXPECT_EQ(run_u64(VHOST_USER_CLOSE_CRYPTO_SESSION, 1), 0);
        EXPECT(!HAS);
        EXPECT_EQ(F.nlive, 1);
        teardown();
    }
}

TEST(session_asym_layout_c)
{
    setup();
    uint8_t key[1024], buf[1072];
    for (int i = 0; i < 1024; i++)
        key[i] = (uint8_t)(i ^ 0x5c);
    uint32_t n = vu_build_asym_session(
        VIRTIO_CRYPTO_AKCIPHER_RSA, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE, key, 1024,
        VIRTIO_CRYPTO_RSA_PKCS1_PADDING, VIRTIO_CRYPTO_RSA_SHA256, buf);
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, n, NULL, 0), 0);
    expect_reply_hdr(VHOST_USER_CREATE_CRYPTO_SESSION, 1072);
    EXPECT_EQ(reply_id(1072), 1);
    EXPECT(keys_wiped(1072));
    EXPECT_EQ(F.last.service, VIRTIO_CRYPTO_SERVICE_AKCIPHER);
    EXPECT_EQ(F.last.u.akcipher.algo, VIRTIO_CRYPTO_AKCIPHER_RSA);
    EXPECT_EQ(F.last.u.akcipher.key_type, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE);
    EXPECT_EQ(F.last.u.akcipher.key_len, 1024);
    EXPECT_EQ(F.last.u.akcipher.rsa_padding, VIRTIO_CRYPTO_RSA_PKCS1_PADDING);
    EXPECT_EQ(F.last.u.akcipher.rsa_hash, VIRTIO_CRYPTO_RSA_SHA256);
    EXPECT_MEM(F.key, key, 1024);
    /* Key longer than the 1024-byte array: refused before the backend. */
    n = vu_build_asym_session(VIRTIO_CRYPTO_AKCIPHER_RSA, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC,
                              key, 1025, 0, 0, buf);
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, n, NULL, 0), 0);
    EXPECT_EQ(reply_id(1072), -VIRTIO_CRYPTO_ERR);
    EXPECT_EQ(F.creates, 1);
    /* Unknown op_code in layout C. */
    n = vu_build_asym_session(1, 1, key, 16, 0, 0, buf);
    uint64_t op = VIRTIO_CRYPTO_HASH_CREATE_SESSION;
    memcpy(buf, &op, 8);
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, n, NULL, 0), 0);
    EXPECT_EQ(reply_id(1072), -VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_EQ(F.creates, 1);
    teardown();
}

/* The AES_ECB case: in B, cipher_alg AES_ECB (2) sits where A has op_code
 * 0x0002. The next word (A: cipher id; B: key length) decides. */
TEST(session_layout_a_b_ambiguity)
{
    setup();
    struct vu_sym_sess s = cbc(16);
    s.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_ECB;
    EXPECT_EQ(create(VU_LAYOUT_B, &s), 1);
    EXPECT_EQ(F.last.u.sym.cipher.algo, VIRTIO_CRYPTO_CIPHER_AES_ECB);
    EXPECT_EQ(F.last.u.sym.cipher.key_len, 16);
    EXPECT_MEM(F.key, KEY, 16);
    struct vc_vu_info info;
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.layout, VC_VU_LAYOUT_B);
    teardown();

    setup();
    EXPECT_EQ(create(VU_LAYOUT_A, &s), 1);
    EXPECT_EQ(F.last.u.sym.cipher.algo, VIRTIO_CRYPTO_CIPHER_AES_ECB);
    EXPECT_EQ(F.last.u.sym.cipher.key_len, 16);
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.layout, VC_VU_LAYOUT_A);
    /* 24- and 32-byte ECB keys in B, AES_CBC in A. */
    teardown();
    setup();
    s.key_len = 32;
    EXPECT_EQ(create(VU_LAYOUT_B, &s), 1);
    EXPECT_EQ(F.last.u.sym.cipher.key_len, 32);
    s = cbc(24);
    EXPECT_EQ(create(VU_LAYOUT_B, &s), 2);
    EXPECT_EQ(F.last.u.sym.cipher.algo, VIRTIO_CRYPTO_CIPHER_AES_CBC);
    EXPECT_EQ(F.last.u.sym.cipher.key_len, 24);
    /* A truly ambiguous message (op 2 / ECB with an 8-byte "key") follows
     * the layout this connection already used (B). */
    s.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_ECB;
    s.key_len = 8;
    EXPECT_EQ(create(VU_LAYOUT_B, &s), 3);
    EXPECT_EQ(F.last.u.sym.cipher.algo, VIRTIO_CRYPTO_CIPHER_AES_ECB);
    EXPECT_EQ(F.last.u.sym.cipher.key_len, 8);
    /* The hint is per connection: with no history the same bytes read as A
     * (cipher id 8), whose op_type byte (B's padding, 0) then fails closed
     * without reaching the backend. */
    vc_vu_disconnect(D);
    uint32_t creates = F.creates;
    EXPECT_EQ(create(VU_LAYOUT_B, &s), -VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_EQ(F.creates, creates);
    teardown();

    /* A forced layout wins. */
    memset(&F, 0, sizeof(F));
    struct vc_vu_cfg cfg = {.num_queues = 1, .layout = VC_VU_LAYOUT_B};
    EXPECT_EQ(vc_vu_dev_new(&cfg, &fake_ops, &F, &D), 0);
    EXPECT_EQ(create(VU_LAYOUT_B, &s), 1);
    EXPECT_EQ(F.last.u.sym.cipher.algo, VIRTIO_CRYPTO_CIPHER_AES_ECB);
    teardown();
}

TEST(session_key_length_limits)
{
    static const enum vu_layout ls[] = {VU_LAYOUT_A, VU_LAYOUT_B, VU_LAYOUT_C};
    for (int i = 0; i < 3; i++) {
        setup();
        struct vu_sym_sess s = cbc(65);
        EXPECT_EQ(create(ls[i], &s), -VIRTIO_CRYPTO_ERR);
        s = cbc(0xffffffffu);
        EXPECT_EQ(create(ls[i], &s), -VIRTIO_CRYPTO_ERR);
        s = cbc(16);
        s.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
        s.auth_key_len = 513;
        EXPECT_EQ(create(ls[i], &s), -VIRTIO_CRYPTO_ERR);
        EXPECT_EQ(F.creates, 0);
        /* op_type NONE (hostile-inputs #19). */
        s = cbc(16);
        s.op_type = VIRTIO_CRYPTO_SYM_OP_NONE;
        EXPECT_EQ(create(ls[i], &s), -VIRTIO_CRYPTO_NOTSUPP);
        EXPECT_EQ(F.creates, 0);
        /* Exactly at the limits: accepted. */
        s = cbc(64);
        s.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
        s.auth_key_len = 512;
        s.auth_key = AKEY;
        EXPECT_EQ(create(ls[i], &s), 1);
        /* Backend refusal travels back as -status. */
        F.force_status = VIRTIO_CRYPTO_NOTSUPP;
        s = cbc(16);
        EXPECT_EQ(create(ls[i], &s), -VIRTIO_CRYPTO_NOTSUPP);
        struct vc_vu_info info;
        vc_vu_get_info(D, &info);
        EXPECT_EQ(info.refused, 5);
        teardown();
    }
}

TEST(session_bad_sizes)
{
    setup();
    uint8_t buf[1100] = {0};
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, 631, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, 633, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, 1071, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, 1073, NULL, 0), VC_EPROTO);
    EXPECT_EQ(run(VHOST_USER_CREATE_CRYPTO_SESSION, 0, buf, 0, NULL, 0), VC_EPROTO);
    EXPECT(!HAS);
    EXPECT_EQ(F.creates, 0);
    teardown();
}

TEST(close_unknown_session_keeps_connection)
{
    setup();
    EXPECT_EQ(run_u64(VHOST_USER_CLOSE_CRYPTO_SESSION, 12345), 0);
    EXPECT(!HAS); /* QEMU reads no reply: an unsolicited one would desync it */
    EXPECT_EQ(run_u64(VHOST_USER_CLOSE_CRYPTO_SESSION, UINT64_MAX), 0);
    EXPECT_EQ(F.closes, 2);
    negotiate_reply_ack();
    uint64_t id = 777;
    EXPECT_EQ(run(VHOST_USER_CLOSE_CRYPTO_SESSION, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK,
                  &id, 8, NULL, 0),
              0);
    expect_reply_hdr(VHOST_USER_CLOSE_CRYPTO_SESSION, 8);
    EXPECT_EQ(OUT.u.u64, 1);
    EXPECT_EQ(run(VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0), 0);
    teardown();
}

TEST(disconnect_keeps_sessions)
{
    setup();
    struct gm g = gm_new("vhost-t-disc", 1 << 16, 0);
    struct vu_sym_sess s = cbc(16);
    EXPECT_EQ(create(VU_LAYOUT_B, &s), 1);
    EXPECT_EQ(set_mem(&g), 0);
    ring_cfg(&g, 0);
    int call = eventfd(0, EFD_CLOEXEC);
    int before = count_fds();
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_CALL, 0, call), 0);
    EXPECT_EQ(send_vring_fd(VHOST_USER_SET_VRING_KICK, VHOST_USER_VRING_NOFD_MASK, -1), 0);
    EXPECT(F.running[0]);
    EXPECT_EQ(count_fds(), before + 1);
    vc_vu_disconnect(D);
    EXPECT(!F.running[0]);
    EXPECT_EQ(count_fds(), before);
    EXPECT_EQ(count_maps("vhost-t-disc"), 1);
    struct vc_vu_info info;
    vc_vu_get_info(D, &info);
    EXPECT_EQ(info.nregions, 0);
    EXPECT_EQ(info.started, 0);
    EXPECT_EQ(info.protocol_features, 0);
    /* Reconnected front-end closes the old session: still there. */
    EXPECT_EQ(F.nlive, 1);
    EXPECT_EQ(run_u64(VHOST_USER_CLOSE_CRYPTO_SESSION, 1), 0);
    EXPECT_EQ(F.nlive, 0);
    struct vc_vu_info info2;
    vc_vu_get_info(D, &info2);
    EXPECT_EQ(info2.refused, 0);
    teardown();
    close(call);
    gm_free(&g);
}

TEST(dev_new_rejects_bad_config)
{
    struct vc_vu_dev *d = (struct vc_vu_dev *)&d;
    struct vc_vu_cfg cfg = {.num_queues = 0};
    EXPECT_EQ(vc_vu_dev_new(&cfg, &fake_ops, &F, &d), VC_EINVAL);
    EXPECT(d == NULL);
    cfg.num_queues = VC_VU_MAX_QUEUES + 1;
    EXPECT_EQ(vc_vu_dev_new(&cfg, &fake_ops, &F, &d), VC_EINVAL);
    cfg.num_queues = 1;
    cfg.max_ring_size = 100;
    EXPECT_EQ(vc_vu_dev_new(&cfg, &fake_ops, &F, &d), VC_EINVAL);
    cfg.max_ring_size = 0;
    struct vc_vu_backend_ops ops = fake_ops;
    ops.vring_stop = NULL;
    EXPECT_EQ(vc_vu_dev_new(&cfg, &ops, &F, &d), VC_EINVAL);
    cfg.layout = VC_VU_LAYOUT_C;
    EXPECT_EQ(vc_vu_dev_new(&cfg, &fake_ops, &F, &d), VC_EINVAL);
    vc_vu_dev_free(NULL);
}

/* ------------------------------------------------------------- socket */

struct server {
    struct vc_vu_conn *conn;
    struct vc_vu_dev *dev;
    int rc;
};

static void *serve_thread(void *arg)
{
    struct server *s = arg;
    do
        s->rc = vc_vu_conn_serve(s->conn, s->dev);
    while (s->rc == 0);
    vc_vu_disconnect(s->dev);
    vc_vu_conn_free(s->conn);
    return NULL;
}

static int start_server(struct server *s, pthread_t *th, struct vu_client *c)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    s->dev = D;
    s->rc = 1;
    if (vc_vu_conn_new(sv[0], &s->conn) != 0)
        return -1;
    vu_client_from_fd(c, sv[1]);
    return pthread_create(th, NULL, serve_thread, s);
}

TEST(socket_qemu_sequence_and_reconnect)
{
    setup_n(1);
    struct server s;
    pthread_t th;
    struct vu_client c;
    struct vu_guest_mem m;
    EXPECT_EQ(vu_guest_mem_new(&m, 1 << 16, 0), 0);
    EXPECT_EQ(start_server(&s, &th, &c), 0);
    uint64_t f = 0, p = 0, q = 0;
    uint64_t want = (1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
                    (1ull << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION);
    EXPECT_EQ(vu_client_setup(&c, want, &f, &p, &q), 0);
    EXPECT_EQ(p, want);
    EXPECT_EQ(q, 1);
    EXPECT_EQ(vu_client_set_mem(&c, &m, 1), 0);
    struct vu_ring r;
    EXPECT(vu_ring_layout(&r, &m, 0x1000, 64) > 0);
    int kick = -1, call = -1;
    EXPECT_EQ(vu_client_vring_setup(&c, 0, &r, &m, 0, &kick, &call), 0);
    /* Sessions in the three layouts; the client checks QEMU's reply rules. */
    struct vu_sym_sess ss = cbc(16);
    int64_t id[3] = {0, 0, 0};
    EXPECT_EQ(vu_client_create_sym(&c, VU_LAYOUT_A, &ss, &id[0]), 0);
    EXPECT_EQ(vu_client_create_sym(&c, VU_LAYOUT_B, &ss, &id[1]), 0);
    EXPECT_EQ(vu_client_create_sym(&c, VU_LAYOUT_C, &ss, &id[2]), 0);
    EXPECT(id[0] > 0 && id[1] > id[0] && id[2] > id[1]);
    ss.key_len = 100;
    int64_t bad = 0;
    EXPECT_EQ(vu_client_create_sym(&c, VU_LAYOUT_B, &ss, &bad), 0);
    EXPECT(bad < 0);
    EXPECT_EQ(vu_client_close_session(&c, (uint64_t)id[0]), 0);
    EXPECT_EQ(vu_client_close_session(&c, 999999), 0); /* unknown: kept */
    uint32_t base = 1;
    EXPECT_EQ(vu_client_get_vring_base(&c, 0, &base), 0);
    EXPECT_EQ(base, 0);
    EXPECT_EQ(F.starts, 2); /* KICK started it, CALL restarted it */
    /* Front-end goes away (QEMU reconnect=). */
    vu_client_close(&c);
    pthread_join(th, NULL);
    EXPECT_EQ(s.rc, VC_EIO);
    EXPECT_EQ(F.nlive, 2);

    /* Second connection on the same device: old ids still valid. */
    EXPECT_EQ(start_server(&s, &th, &c), 0);
    EXPECT_EQ(vu_client_setup(&c, want, NULL, NULL, NULL), 0);
    EXPECT_EQ(vu_client_close_session(&c, (uint64_t)id[1]), 0);
    uint64_t qn = 0;
    EXPECT_EQ(vu_client_get_u64(&c, VHOST_USER_GET_QUEUE_NUM, &qn), 0); /* sync point */
    EXPECT_EQ(F.nlive, 1);
    /* A protocol violation closes this connection only. */
    uint64_t v = 0;
    EXPECT_EQ(vu_client_send(&c, VHOST_USER_SET_VRING_NUM, 0, &v, 8, NULL, 0), 0);
    EXPECT(vu_client_peer_closed(&c, 2000));
    vu_client_close(&c);
    pthread_join(th, NULL);
    EXPECT_EQ(s.rc, VC_EPROTO);
    close(kick);
    close(call);
    vu_guest_mem_free(&m);
    teardown();
}

TEST(socket_framing_errors)
{
    setup_n(1);
    struct server s;
    pthread_t th;
    struct vu_client c;
    int before = count_fds();
    /* Oversized payload: refused before it is read. */
    EXPECT_EQ(start_server(&s, &th, &c), 0);
    struct vhost_user_hdr h = {VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 1u << 30};
    EXPECT_EQ(vu_client_send_raw(&c, &h, sizeof(h), NULL, 0), 0);
    EXPECT(vu_client_peer_closed(&c, 2000));
    vu_client_close(&c);
    pthread_join(th, NULL);
    EXPECT_EQ(s.rc, VC_EPROTO);
    /* More fds than any message may carry: all closed. */
    EXPECT_EQ(start_server(&s, &th, &c), 0);
    int fds[12];
    for (int i = 0; i < 12; i++)
        fds[i] = eventfd(0, EFD_CLOEXEC);
    uint8_t mem[8 + 32] = {1};
    EXPECT_EQ(vu_client_send(&c, VHOST_USER_SET_MEM_TABLE, 0, mem, sizeof(mem), fds, 12), 0);
    EXPECT(vu_client_peer_closed(&c, 2000));
    vu_client_close(&c);
    pthread_join(th, NULL);
    EXPECT_EQ(s.rc, VC_EPROTO);
    for (int i = 0; i < 12; i++)
        close(fds[i]);
    /* So many fds that the control data is truncated (MSG_CTRUNC): the
     * kernel drops the ones that did not fit, we close the rest. */
    EXPECT_EQ(start_server(&s, &th, &c), 0);
    int many[48];
    for (int i = 0; i < 48; i++)
        many[i] = eventfd(0, EFD_CLOEXEC);
    EXPECT_EQ(vu_client_send(&c, VHOST_USER_SET_OWNER, 0, NULL, 0, many, 48), 0);
    EXPECT(vu_client_peer_closed(&c, 2000));
    vu_client_close(&c);
    pthread_join(th, NULL);
    EXPECT_EQ(s.rc, VC_EPROTO);
    for (int i = 0; i < 48; i++)
        close(many[i]);
    /* Message split across writes, fds on the first part: still framed. */
    EXPECT_EQ(start_server(&s, &th, &c), 0);
    uint8_t buf[12 + 8];
    struct vhost_user_hdr h2 = {VHOST_USER_GET_QUEUE_NUM, VHOST_USER_VERSION, 0};
    memcpy(buf, &h2, 12);
    EXPECT_EQ(vu_client_send_raw(&c, buf, 5, NULL, 0), 0);
    usleep(20000);
    EXPECT_EQ(vu_client_send_raw(&c, buf + 5, 7, NULL, 0), 0);
    struct vhost_user_hdr rh;
    uint64_t qn = 0;
    EXPECT_EQ(vu_client_recv(&c, &rh, &qn, 8), 8);
    EXPECT_EQ(qn, 1);
    /* Truncated: header promises 8 bytes, peer hangs up after 4. */
    struct vhost_user_hdr h3 = {VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 8};
    memcpy(buf, &h3, 12);
    EXPECT_EQ(vu_client_send_raw(&c, buf, 16, NULL, 0), 0);
    vu_client_close(&c);
    pthread_join(th, NULL);
    EXPECT_EQ(s.rc, VC_EIO);
    EXPECT_EQ(count_fds(), before);
    teardown();
}

/* The daemon's mode: non-blocking socket, serve() returns 0 whenever the
 * socket runs dry, partial messages are kept across calls. */
TEST(socket_nonblocking_incremental)
{
    setup_n(1);
    int before = count_fds();
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    EXPECT_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    struct vc_vu_conn *conn = NULL;
    EXPECT_EQ(vc_vu_conn_new(sv[0], &conn), 0);
    EXPECT_EQ(vc_vu_conn_fd(conn), sv[0]);
    struct vu_client c;
    vu_client_from_fd(&c, sv[1]);
    c.timeout_ms = 200;

    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0); /* nothing yet */
    uint8_t buf[64];
    struct vhost_user_hdr h = {VHOST_USER_GET_QUEUE_NUM, VHOST_USER_VERSION, 0};
    memcpy(buf, &h, 12);
    EXPECT_EQ(vu_client_send_raw(&c, buf, 7, NULL, 0), 0);
    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0);
    struct pollfd pf = {.fd = sv[1], .events = POLLIN};
    EXPECT_EQ(poll(&pf, 1, 0), 0); /* no reply to half a header */
    EXPECT_EQ(vu_client_send_raw(&c, buf + 7, 5, NULL, 0), 0);
    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0);
    struct vhost_user_hdr rh;
    uint64_t v = 0;
    EXPECT_EQ(vu_client_recv(&c, &rh, &v, 8), 8);
    EXPECT_EQ(v, 1);

    /* An fd riding on the first fragment stays with its message. */
    int e = eventfd(0, EFD_CLOEXEC);
    struct vhost_user_hdr hc = {VHOST_USER_SET_VRING_CALL, VHOST_USER_VERSION, 8};
    uint64_t idx = 0;
    memcpy(buf, &hc, 12);
    memcpy(buf + 12, &idx, 8);
    EXPECT_EQ(vu_client_send_raw(&c, buf, 14, &e, 1), 0);
    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0);
    EXPECT_EQ(vu_client_send_raw(&c, buf + 14, 6, NULL, 0), 0);
    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0);
    close(e);
    EXPECT_EQ(count_fds(), before + 3); /* conn + client + the stored call fd */

    /* Two messages in one write: both served, one reply. */
    struct vhost_user_hdr h1 = {VHOST_USER_SET_OWNER, VHOST_USER_VERSION, 0};
    struct vhost_user_hdr h2 = {VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, 0};
    memcpy(buf, &h1, 12);
    memcpy(buf + 12, &h2, 12);
    EXPECT_EQ(vu_client_send_raw(&c, buf, 24, NULL, 0), 0);
    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0);
    EXPECT_EQ(vu_client_recv(&c, &rh, &v, 8), 8);
    EXPECT_EQ(rh.request, VHOST_USER_GET_FEATURES);

    /* A flood is served in budget-sized slices. */
    for (unsigned i = 0; i < VC_VU_SERVE_BUDGET + 1; i++)
        EXPECT_EQ(vu_client_send(&c, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0), 0);
    memcpy(buf, &h, 12);
    EXPECT_EQ(vu_client_send_raw(&c, buf, 12, NULL, 0), 0); /* GET_QUEUE_NUM */
    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0);
    EXPECT_EQ(poll(&pf, 1, 0), 0); /* budget spent before the GET */
    EXPECT_EQ(vc_vu_conn_serve(conn, D), 0);
    EXPECT_EQ(vu_client_recv(&c, &rh, &v, 8), 8);
    EXPECT_EQ(rh.request, VHOST_USER_GET_QUEUE_NUM);

    /* Peer hangs up: serve reports it, the daemon tears down. */
    vu_client_close(&c);
    EXPECT_EQ(vc_vu_conn_serve(conn, D), VC_EIO);
    vc_vu_disconnect(D);
    vc_vu_conn_free(conn);
    EXPECT_EQ(count_fds(), before);
    teardown();
}

TEST(listen_and_accept)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/vc-vhost-test-%d.sock", (int)getpid());
    int lfd = -1, cfd = -1;
    EXPECT_EQ(vc_vu_listen(path, 4, &lfd), 0);
    EXPECT_EQ(vc_vu_accept(lfd, &cfd), VC_EAGAIN);
    struct vu_client c;
    EXPECT_EQ(vu_client_connect(&c, path, 1000), 0);
    EXPECT_EQ(vc_vu_accept(lfd, &cfd), 0);
    EXPECT(fd_valid(cfd));
    /* A stale socket file is replaced; a regular file is not touched. */
    int lfd2 = -1;
    EXPECT_EQ(vc_vu_listen(path, 4, &lfd2), 0);
    close(lfd2);
    unlink(path);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    EXPECT_EQ(vc_vu_listen(path, 4, &lfd2), VC_EINVAL);
    EXPECT_EQ(access(path, F_OK), 0);
    unlink(path);
    vu_client_close(&c);
    close(cfd);
    close(lfd);
}

int main(void)
{
    RUN(features_and_queue_num);
    RUN(set_features_unoffered_refused);
    RUN(reply_ack_only_when_negotiated);
    RUN(bad_headers_refused);
    RUN(wrong_sizes_refused);
    RUN(unknown_requests_kept_and_fds_closed);
    RUN(unexpected_fds_closed_and_count_flat);
    RUN(vring_index_checks);
    RUN(vring_num_checks);
    RUN(vring_lifecycle);
    RUN(quiesce_scope);
    RUN(vring_addr_outside_memory_not_started);
    RUN(mem_table_map_replace_unmap);
    RUN(mem_table_two_regions_with_offset);
    RUN(mem_table_bad_tables);
    RUN(config_get_set);
    RUN(session_layouts_round_trip);
    RUN(session_asym_layout_c);
    RUN(session_layout_a_b_ambiguity);
    RUN(session_key_length_limits);
    RUN(session_bad_sizes);
    RUN(close_unknown_session_keeps_connection);
    RUN(disconnect_keeps_sessions);
    RUN(dev_new_rejects_bad_config);
    RUN(socket_qemu_sequence_and_reconnect);
    RUN(socket_framing_errors);
    RUN(socket_nonblocking_incremental);
    RUN(listen_and_accept);
    return TEST_DONE();
}
