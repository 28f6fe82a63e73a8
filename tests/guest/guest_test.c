/*
 * In-guest test program for the real-Linux-guest test (issue #3 §4) and the guest-path
 * benchmark (§6).
 *
 * It runs inside a throw-away initramfs, after /init has loaded virtio_pci, virtio_crypto
 * and the AF_ALG modules, and talks to the guest kernel's virtio_crypto driver through
 * AF_ALG. Every line meant for the host starts with "VCT: " so that the host runner can
 * pick them out of a serial console that also carries kernel messages; the last one is
 * "GUEST-RESULT: <passed> passed, <failed> failed".
 *
 * IMPLEMENTATION NOTES
 * - The virtio driver is reached by binding AF_ALG to the driver name
 *   "virtio_crypto_aes_cbc", so no other cbc(aes) implementation can answer instead; the
 *   interrupt check is the second, independent proof that the device did the work.
 * - AF_ALG keeps the IV in the socket and the kernel API requires an skcipher to leave
 *   the chaining value in req->iv, so a request sent without ALG_SET_IV continues the CBC
 *   chain of the previous one. The chaining tests rely on exactly that.
 * - One sendmsg() must fit the socket's send buffer (wmem_default, 208 KiB here); a
 *   larger request would block forever because this program only reads after sending.
 * - The default run stops at 64 KiB + 48 B; "large" mode probes beyond. Measured: 112 KiB
 *   works, but for a 124 KiB request the guest's driver posts an indirect table longer than
 *   the 1024-entry queue, which QEMU 7.2 and 10.0 (builtin backend: "virtio: too many
 *   write descriptors in indirect table") and vcryptod (INDIRECT_LEN) both refuse; the
 *   request then never completes.
 * - A request the device never completes blocks read() forever, and uninterruptibly (the
 *   kernel waits with wait_for_completion()), so no signal can end it. The tests therefore
 *   run in a child process; the parent watches a request-start timestamp in shared memory
 *   and, if one request takes longer than REQUEST_TIMEOUT_S, reports the failure and the
 *   final counts itself and exits; init then powers the guest off around the stuck child.
 * - Random data comes from a seeded splitmix64 so that a failure can be replayed with the
 *   printed seed (and so that early-boot getrandom() can never block the test).
 *
 * This is a test program, not library code: it prints and exits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_alg.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define VIRTIO_DRIVER "virtio_crypto_aes_cbc"
#define GENERIC_DRIVER "cbc(aes-generic)"
#define AES_BLOCK 16
#define MAX_BUF (192u * 1024u + 64u)
#define REQUEST_TIMEOUT_S 10u

/* Shared between the test child and the watchdog parent (MAP_SHARED). */
struct shared {
    unsigned test_no;
    unsigned failed;
    double req_start; /* CLOCK_MONOTONIC start of the request in flight, 0 if none */
};

static struct shared *g_sh;

/* ---- output --------------------------------------------------------------------------- */

static void vct(const char *fmt, ...) VC_PRINTF(1, 2);

static void vct(const char *fmt, ...)
{
    va_list ap;

    fputs("VCT: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static bool check(bool ok, const char *fmt, ...) VC_PRINTF(2, 3);

static bool check(bool ok, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    g_sh->test_no++;
    if (!ok) {
        g_sh->failed++;
    }
    vct("%s %u - %s", ok ? "ok" : "not ok", g_sh->test_no, msg);
    return ok;
}

/* ---- helpers -------------------------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;

    while (hex[0] != '\0' && hex[1] != '\0' && n < cap) {
        unsigned v;

        if (sscanf(hex, "%2x", &v) != 1) {
            break;
        }
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Bounded copy that truncates silently: the names compared here are far shorter. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static uint64_t g_rng;

static uint64_t rng_next(void)
{
    /* splitmix64: tiny, seedable, good enough to fill test buffers. */
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(rng_next() >> 56);
    }
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void first_diff(const uint8_t *a, const uint8_t *b, size_t n, char *why, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            snprintf(why, cap, " (first difference at byte %zu)", i);
            return;
        }
    }
    why[0] = '\0';
}

/* ---- AF_ALG --------------------------------------------------------------------------- */

struct alg {
    int tfm; /* bound transform socket: holds the key */
    int op;  /* accepted operation socket: holds the IV and the pending data */
};

/* Opens an skcipher transform by algorithm or driver name and sets its key. Returns 0 or
 * -errno; on error nothing is left open and both fds are -1 (alg_close() is a no-op). */
static int alg_open(struct alg *a, const char *name, const uint8_t *key, size_t keylen)
{
    struct sockaddr_alg sa = { .salg_family = AF_ALG };
    int err;

    copy_str((char *)sa.salg_type, sizeof(sa.salg_type), "skcipher");
    copy_str((char *)sa.salg_name, sizeof(sa.salg_name), name);
    a->op = -1;
    a->tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (a->tfm < 0) {
        a->tfm = -1;
        return -errno;
    }
    if (bind(a->tfm, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        setsockopt(a->tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)keylen) != 0) {
        err = -errno;
        close(a->tfm);
        a->tfm = -1;
        return err;
    }
    a->op = accept4(a->tfm, NULL, NULL, SOCK_CLOEXEC);
    if (a->op < 0) {
        err = -errno;
        close(a->tfm);
        a->tfm = -1;
        return err;
    }
    return 0;
}

static void alg_close(struct alg *a)
{
    if (a->op >= 0) {
        close(a->op);
    }
    if (a->tfm >= 0) {
        close(a->tfm);
    }
    a->op = a->tfm = -1;
}

/* Replaces the key of an open transform (the virtio driver creates a new device session
 * and closes the old one) and opens a fresh operation socket. AF_ALG refuses a new key with
 * EBUSY while an operation socket is open, so that one is closed first. */
static int alg_rekey(struct alg *a, const uint8_t *key, size_t keylen)
{
    close(a->op);
    a->op = -1;
    if (setsockopt(a->tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)keylen) != 0) {
        return -errno;
    }
    a->op = accept4(a->tfm, NULL, NULL, SOCK_CLOEXEC);
    return a->op < 0 ? -errno : 0; /* alg_close() copes with op == -1 */
}

/*
 * One AF_ALG request: encrypts (enc) or decrypts len bytes of in into out. iv may be NULL
 * to continue the chain of the previous request on this operation socket. Returns 0 or
 * -errno (the kernel's answer, e.g. -EINVAL for a length that is not a block multiple).
 */
static int alg_crypt_once(struct alg *a, bool enc, const uint8_t *iv, const uint8_t *in,
                          size_t len, uint8_t *out)
{
    union {
        char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + AES_BLOCK)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)(uintptr_t)in, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf };
    struct cmsghdr *c;
    uint32_t op = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    size_t got = 0;
    ssize_t n;

    memset(&ctl, 0, sizeof(ctl));
    msg.msg_controllen = CMSG_SPACE(sizeof(op)) +
                         (iv ? CMSG_SPACE(sizeof(struct af_alg_iv) + AES_BLOCK) : 0);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(op));
    memcpy(CMSG_DATA(c), &op, sizeof(op));
    if (iv) {
        struct af_alg_iv hdr = { .ivlen = AES_BLOCK };

        c = CMSG_NXTHDR(&msg, c);
        c->cmsg_level = SOL_ALG;
        c->cmsg_type = ALG_SET_IV;
        c->cmsg_len = CMSG_LEN(sizeof(hdr) + AES_BLOCK);
        memcpy(CMSG_DATA(c), &hdr, sizeof(hdr));
        memcpy(CMSG_DATA(c) + sizeof(hdr), iv, AES_BLOCK);
    }
    n = sendmsg(a->op, &msg, 0);
    if (n < 0) {
        return -errno;
    }
    if ((size_t)n != len) {
        return -EMSGSIZE;
    }
    while (got < len) {
        n = read(a->op, out + got, len - got);
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            return -EIO;
        }
        got += (size_t)n;
    }
    return 0;
}

static int alg_crypt(struct alg *a, bool enc, const uint8_t *iv, const uint8_t *in, size_t len,
                     uint8_t *out)
{
    int rc;

    g_sh->req_start = now_s();
    rc = alg_crypt_once(a, enc, iv, in, len, out);
    g_sh->req_start = 0.0;
    return rc;
}

/* ---- /proc and /sys ------------------------------------------------------------------- */

struct crypto_entry {
    char name[128];
    char driver[128];
    char selftest[32];
    long priority;
};

/* Calls fn for every block of /proc/crypto. Returns the number of blocks, -1 if the file
 * cannot be read. */
static int proc_crypto_each(void (*fn)(const struct crypto_entry *e, void *arg), void *arg)
{
    FILE *f = fopen("/proc/crypto", "r");
    struct crypto_entry e;
    char line[256];
    int blocks = 0;
    bool open_block = false;

    if (!f) {
        return -1;
    }
    memset(&e, 0, sizeof(e));
    for (;;) {
        bool eof = fgets(line, sizeof(line), f) == NULL;
        char key[64], val[160];

        if (eof || line[0] == '\n') {
            if (open_block) {
                fn(&e, arg);
                blocks++;
            }
            memset(&e, 0, sizeof(e));
            open_block = false;
            if (eof) {
                break;
            }
            continue;
        }
        if (sscanf(line, "%63s : %159s", key, val) != 2) {
            continue;
        }
        open_block = true;
        if (strcmp(key, "name") == 0) {
            copy_str(e.name, sizeof(e.name), val);
        } else if (strcmp(key, "driver") == 0) {
            copy_str(e.driver, sizeof(e.driver), val);
        } else if (strcmp(key, "selftest") == 0) {
            copy_str(e.selftest, sizeof(e.selftest), val);
        } else if (strcmp(key, "priority") == 0) {
            e.priority = strtol(val, NULL, 10);
        }
    }
    fclose(f);
    return blocks;
}

struct cbc_scan {
    struct crypto_entry virtio; /* the virtio entry, driver[0] == 0 if absent */
    long best_other;            /* highest priority of any other cbc(aes), -1 if none */
    char best_other_driver[128];
};

static void cbc_scan_fn(const struct crypto_entry *e, void *arg)
{
    struct cbc_scan *s = arg;

    if (strcmp(e->name, "cbc(aes)") != 0) {
        return;
    }
    if (strcmp(e->driver, VIRTIO_DRIVER) == 0) {
        s->virtio = *e;
    } else if (e->priority > s->best_other) {
        s->best_other = e->priority;
        copy_str(s->best_other_driver, sizeof(s->best_other_driver), e->driver);
    }
}

/* Name of the virtio device bound to virtio_crypto ("virtio0"), or "" if none. */
static void crypto_virtio_dev(char *out, size_t cap)
{
    DIR *d = opendir("/sys/bus/virtio/drivers/virtio_crypto");
    struct dirent *de;

    out[0] = '\0';
    if (!d) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "virtio", 6) == 0 && de->d_name[6] >= '0' &&
            de->d_name[6] <= '9') {
            copy_str(out, cap, de->d_name);
            break;
        }
    }
    closedir(d);
}

/* True if the action list of an /proc/interrupts line names dev ("virtio0" or
 * "virtio0-dataqueue.0"), not merely a prefix of it ("virtio01"). */
static bool irq_line_names(const char *line, const char *dev)
{
    size_t n = strlen(dev);

    for (const char *p = strstr(line, dev); p; p = strstr(p + 1, dev)) {
        bool left = p == line || p[-1] == ' ' || p[-1] == ',';
        char r = p[n];
        bool right = r == '\0' || r == '\n' || r == ' ' || r == ',' || r == '-';

        if (left && right) {
            return true;
        }
    }
    return false;
}

/* Sum of all CPUs' counts on every interrupt line of dev; -1 if none found. */
static long long irq_count(const char *dev)
{
    FILE *f = fopen("/proc/interrupts", "r");
    char line[1024];
    long long sum = -1;

    if (!f || dev[0] == '\0') {
        if (f) {
            fclose(f);
        }
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *p = strchr(line, ':');

        if (!p || !irq_line_names(p, dev)) {
            continue;
        }
        if (sum < 0) {
            sum = 0;
        }
        for (p++;;) {
            char *end;
            long long v = strtoll(p, &end, 10);

            if (end == p) {
                break;
            }
            sum += v;
            p = end;
        }
    }
    fclose(f);
    return sum;
}

/* ---- known answers -------------------------------------------------------------------- */

struct kat {
    const char *src;
    const char *key, *iv, *pt, *ct; /* hex */
};

/*
 * NIST SP 800-38A Appendix F.2.1-F.2.6 (CBC-AES128/192/256, the same vectors serve the
 * Encrypt and Decrypt sections) and RFC 3602 §4 cases #1-#4.
 */
#define SP800_IV "000102030405060708090a0b0c0d0e0f"
#define SP800_PT                                                                           \
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"                     \
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"

static const struct kat g_kats[] = {
    { "SP 800-38A F.2.1/F.2.2 CBC-AES128", "2b7e151628aed2a6abf7158809cf4f3c", SP800_IV,
      SP800_PT,
      "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
      "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
    { "SP 800-38A F.2.3/F.2.4 CBC-AES192",
      "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", SP800_IV, SP800_PT,
      "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
      "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd" },
    { "SP 800-38A F.2.5/F.2.6 CBC-AES256",
      "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", SP800_IV, SP800_PT,
      "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
      "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
    { "RFC 3602 case #1 (16 B)", "06a9214036b8a15b512e03d534120006",
      "3dafba429d9eb430b422da802c9fac41", "53696e676c6520626c6f636b206d7367",
      "e353779c1079aeb82708942dbe77181a" },
    { "RFC 3602 case #2 (32 B)", "c286696d887c9aa0611bbb3e2025a45a",
      "562e17996d093d28ddb3ba695a2e6f58",
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
      "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1" },
    { "RFC 3602 case #3 (48 B)", "6c3ea0477630ce21a2ce334aa746c2cd",
      "c782dc4c098c66cbd9cd27d825682c81",
      "5468697320697320612034382d62797465206d657373616765202865786163746c7920332041455320"
      "626c6f636b7329",
      "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5"
      "021c19216bad525c8579695d83ba2684" },
    { "RFC 3602 case #4 (64 B)", "56e47a38c5598974bc46903dba290349",
      "8ce82eefbea0da3c44699ed7db51b7d9",
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
      "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
      "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55" },
};

struct kat_bytes {
    uint8_t key[32], iv[16], pt[64], ct[64];
    size_t keylen, len;
};

static void kat_decode(const struct kat *k, struct kat_bytes *b)
{
    b->keylen = unhex(k->key, b->key, sizeof(b->key));
    unhex(k->iv, b->iv, sizeof(b->iv));
    b->len = unhex(k->pt, b->pt, sizeof(b->pt));
    unhex(k->ct, b->ct, sizeof(b->ct));
}

static void test_kats(void)
{
    for (size_t i = 0; i < VC_ARRAY_SIZE(g_kats); i++) {
        const struct kat *k = &g_kats[i];
        struct kat_bytes b;
        uint8_t out[64];
        struct alg a;
        int rc;

        kat_decode(k, &b);
        rc = alg_open(&a, VIRTIO_DRIVER, b.key, b.keylen);
        if (!check(rc == 0, "open %s with %s key: %s", VIRTIO_DRIVER, k->src, strerror(-rc))) {
            continue;
        }
        memset(out, 0, sizeof(out));
        rc = alg_crypt(&a, true, b.iv, b.pt, b.len, out);
        check(rc == 0 && memcmp(out, b.ct, b.len) == 0, "KAT encrypt %s (rc %d)", k->src, rc);
        memset(out, 0, sizeof(out));
        rc = alg_crypt(&a, false, b.iv, b.ct, b.len, out);
        check(rc == 0 && memcmp(out, b.pt, b.len) == 0, "KAT decrypt %s (rc %d)", k->src, rc);
        alg_close(&a);
    }
}

/* Splits a KAT into requests of the given sizes; only the first carries the IV. */
static void test_chain_one(const struct kat *k, bool enc, const size_t *parts, size_t nparts)
{
    struct kat_bytes b;
    uint8_t out[64];
    struct alg a;
    const uint8_t *in, *want;
    size_t off = 0;
    int rc;
    char desc[64];
    int dl = 0;

    kat_decode(k, &b);
    in = enc ? b.pt : b.ct;
    want = enc ? b.ct : b.pt;
    for (size_t i = 0; i < nparts; i++) {
        dl += snprintf(desc + dl, sizeof(desc) - (size_t)dl, "%s%zu", i ? "+" : "", parts[i]);
    }
    rc = alg_open(&a, VIRTIO_DRIVER, b.key, b.keylen);
    if (rc == 0) {
        for (size_t i = 0; i < nparts && rc == 0; i++) {
            rc = alg_crypt(&a, enc, i == 0 ? b.iv : NULL, in + off, parts[i], out + off);
            off += parts[i];
        }
        alg_close(&a);
    }
    check(rc == 0 && off == b.len && memcmp(out, want, b.len) == 0,
          "IV chaining across %zu %s requests (%s B) equals one-shot %s (rc %d)", nparts,
          enc ? "encrypt" : "decrypt", desc, k->src, rc);
}

static void test_chaining(void)
{
    static const size_t halves[] = { 32, 32 };
    static const size_t thirds[] = { 16, 32, 16 };

    test_chain_one(&g_kats[0], true, halves, 2);
    test_chain_one(&g_kats[0], false, halves, 2);
    test_chain_one(&g_kats[2], true, thirds, 3);
    test_chain_one(&g_kats[2], false, thirds, 3);
}

/* Several keys on one transform: each setkey is a new device session. */
static void test_rekey(void)
{
    struct kat_bytes b0, b1;
    uint8_t out[64];
    struct alg a;
    int rc;
    bool ok = true;

    kat_decode(&g_kats[6], &b0);
    kat_decode(&g_kats[2], &b1);
    rc = alg_open(&a, VIRTIO_DRIVER, b0.key, b0.keylen);
    for (int round = 0; rc == 0 && round < 4; round++) {
        const struct kat_bytes *b = (round & 1) ? &b1 : &b0;

        if (round > 0) {
            rc = alg_rekey(&a, b->key, b->keylen);
        }
        if (rc == 0) {
            rc = alg_crypt(&a, true, b->iv, b->pt, b->len, out);
            ok = ok && rc == 0 && memcmp(out, b->ct, b->len) == 0;
        }
    }
    alg_close(&a);
    check(rc == 0 && ok, "re-keying one transform 4 times (AES-128/AES-256) gives the KATs "
                         "(rc %d)", rc);
}

static void test_negative(void)
{
    static const uint8_t key17[17];
    struct kat_bytes b;
    uint8_t out[64], ct[64], wrongkey[16];
    struct alg a;
    int rc;

    rc = alg_open(&a, VIRTIO_DRIVER, key17, sizeof(key17));
    if (rc == 0) {
        alg_close(&a);
    }
    check(rc == -EINVAL, "17-byte key is refused with EINVAL (got %s)", strerror(-rc));

    kat_decode(&g_kats[0], &b);
    rc = alg_open(&a, VIRTIO_DRIVER, b.key, b.keylen);
    if (rc == 0) {
        rc = alg_crypt(&a, true, b.iv, b.pt, 17, out);
        alg_close(&a);
        check(rc == -EINVAL, "17-byte (not a block multiple) request is refused with EINVAL "
                             "(got %s)", strerror(-rc));
    } else {
        check(false, "open for the partial-block test: %s", strerror(-rc));
    }

    /* Decrypting with the wrong key must not give the plaintext back. */
    memcpy(wrongkey, b.key, sizeof(wrongkey));
    wrongkey[0] ^= 1;
    rc = alg_open(&a, VIRTIO_DRIVER, wrongkey, sizeof(wrongkey));
    if (rc == 0) {
        rc = alg_crypt(&a, false, b.iv, b.ct, b.len, out);
        alg_close(&a);
    }
    check(rc == 0 && memcmp(out, b.pt, b.len) != 0,
          "decrypt with a 1-bit-different key does not give the plaintext (rc %d)", rc);

    /* CBC: a bit flipped in ciphertext block 1 garbles plaintext block 1 and flips the
     * same bit of block 2; blocks 0 and 3 are untouched. */
    memcpy(ct, b.ct, b.len);
    ct[16 + 5] ^= 0x80;
    rc = alg_open(&a, VIRTIO_DRIVER, b.key, b.keylen);
    if (rc == 0) {
        rc = alg_crypt(&a, false, b.iv, ct, b.len, out);
        alg_close(&a);
    }
    check(rc == 0 && memcmp(out, b.pt, 16) == 0 && memcmp(out + 16, b.pt + 16, 16) != 0 &&
              out[32 + 5] == (b.pt[32 + 5] ^ 0x80) && memcmp(out + 48, b.pt + 48, 16) == 0,
          "flipped ciphertext bit propagates exactly as CBC specifies (rc %d)", rc);
}

/* Random data of the given sizes (each <= MAX_BUF) at several alignments, virtio against
 * cbc(aes-generic). */
static void test_random(const size_t *sizes, size_t nsizes)
{
    static const size_t keylens[] = { 16, 24, 32 };
    uint8_t *pt = malloc(MAX_BUF + 64), *c1 = malloc(MAX_BUF + 64);
    uint8_t *c2 = malloc(MAX_BUF + 64), *back = malloc(MAX_BUF + 64);

    if (!pt || !c1 || !c2 || !back) {
        check(false, "allocate random-test buffers");
        goto out;
    }
    for (size_t i = 0; i < nsizes; i++) {
        size_t len = sizes[i], klen = keylens[i % 3], shift = (i * 7) % 16;
        uint8_t key[32], iv[16];
        struct alg v, g;
        int rv, rg, rd;
        char why[64] = "";

        rng_fill(key, klen);
        rng_fill(iv, sizeof(iv));
        /* Misaligned user buffers make the kernel build scatterlists that cross pages
         * at odd offsets. */
        rng_fill(pt + shift, len);
        rv = alg_open(&v, VIRTIO_DRIVER, key, klen);
        rg = alg_open(&g, GENERIC_DRIVER, key, klen);
        if (rv != 0 || rg != 0) {
            check(false, "open %s/%s for %zu B: %s", VIRTIO_DRIVER, GENERIC_DRIVER, len,
                  strerror(rv ? -rv : -rg));
            if (rv == 0) {
                alg_close(&v);
            }
            if (rg == 0) {
                alg_close(&g);
            }
            continue;
        }
        rv = alg_crypt(&v, true, iv, pt + shift, len, c1 + shift);
        rg = alg_crypt(&g, true, iv, pt + shift, len, c2);
        if (rv == 0 && rg == 0) {
            first_diff(c1 + shift, c2, len, why, sizeof(why));
        }
        check(rv == 0 && rg == 0 && why[0] == '\0',
              "random %zu B, AES-%zu, offset %zu: virtio encrypt == %s (rc %d/%d)%s", len,
              klen * 8, shift, GENERIC_DRIVER, rv, rg, why);
        rd = alg_crypt(&v, false, iv, c2, len, back);
        why[0] = '\0';
        if (rd == 0) {
            first_diff(back, pt + shift, len, why, sizeof(why));
        }
        check(rd == 0 && why[0] == '\0', "random %zu B, AES-%zu: virtio decrypt restores the "
                                         "plaintext (rc %d)%s", len, klen * 8, rd, why);
        alg_close(&v);
        alg_close(&g);
    }
out:
    free(pt);
    free(c1);
    free(c2);
    free(back);
}

/* ---- main modes ----------------------------------------------------------------------- */

static void test_proc_crypto(void)
{
    struct cbc_scan s;
    int blocks;

    memset(&s, 0, sizeof(s));
    s.best_other = -1;
    blocks = proc_crypto_each(cbc_scan_fn, &s);
    check(blocks > 0 && s.virtio.driver[0] != '\0',
          "/proc/crypto lists cbc(aes) with driver %s", VIRTIO_DRIVER);
    check(strcmp(s.virtio.selftest, "passed") == 0,
          "%s selftest : %s (the kernel's testmgr vectors ran on the device)", VIRTIO_DRIVER,
          s.virtio.selftest[0] ? s.virtio.selftest : "(missing)");
    check(s.virtio.driver[0] != '\0' && s.virtio.priority > s.best_other,
          "%s (priority %ld) is the preferred cbc(aes) (best other: %s, %ld)", VIRTIO_DRIVER,
          s.virtio.priority, s.best_other_driver[0] ? s.best_other_driver : "none",
          s.best_other);
}

static int run_tests(void)
{
    static const size_t sizes[] = { 16, 4080, 4096, 4112, 16384, 65536, 65536 + 48 };
    char dev[32];
    long long irq_before, irq_after;

    vct("seed 0x%016" PRIx64, g_rng);
    crypto_virtio_dev(dev, sizeof(dev));
    check(dev[0] != '\0', "virtio_crypto driver is bound to a device (%s)",
          dev[0] ? dev : "none");
    test_proc_crypto();
    irq_before = irq_count(dev);
    check(irq_before >= 0, "/proc/interrupts has a line for %s (count %lld)",
          dev[0] ? dev : "?", irq_before);
    test_kats();
    test_chaining();
    test_rekey();
    test_negative();
    test_random(sizes, VC_ARRAY_SIZE(sizes));
    irq_after = irq_count(dev);
    check(irq_before >= 0 && irq_after > irq_before,
          "%s interrupt count rose during the AF_ALG tests (%lld -> %lld, +%lld)",
          dev[0] ? dev : "?", irq_before, irq_after, irq_after - irq_before);
    vct("1..%u", g_sh->test_no);
    return 0;
}

static int run_bench(double secs)
{
    static const size_t sizes[] = { 256, 4096, 16384, 65536 };
    static const char *const drivers[] = { VIRTIO_DRIVER, GENERIC_DRIVER };
    uint8_t key[16], iv[16];
    uint8_t *in = malloc(65536), *out = malloc(65536);

    if (!in || !out) {
        check(false, "allocate bench buffers");
        free(in);
        free(out);
        return 0;
    }
    rng_fill(key, sizeof(key));
    rng_fill(iv, sizeof(iv));
    rng_fill(in, 65536);
    vct("BENCH %-22s %8s %10s %10s %10s", "driver", "size", "ops", "ops/s", "MB/s");
    for (size_t d = 0; d < 2; d++) {
        for (size_t i = 0; i < VC_ARRAY_SIZE(sizes); i++) {
            struct alg a;
            unsigned long long ops = 0;
            double t0, t;
            int rc = alg_open(&a, drivers[d], key, sizeof(key));

            if (!check(rc == 0, "bench open %s: %s", drivers[d], strerror(-rc))) {
                continue;
            }
            t0 = now_s();
            do {
                rc = alg_crypt(&a, true, iv, in, sizes[i], out);
                ops++;
                t = now_s() - t0;
            } while (rc == 0 && t < secs);
            alg_close(&a);
            if (check(rc == 0, "bench %s %zu B: %llu encrypt requests (rc %d)", drivers[d],
                      sizes[i], ops, rc)) {
                vct("BENCH %-22s %8zu %10llu %10.0f %10.2f", drivers[d], sizes[i], ops,
                    (double)ops / t, (double)ops * (double)sizes[i] / t / 1e6);
            }
        }
    }
    vct("1..%u", g_sh->test_no);
    free(in);
    free(out);
    return 0;
}

/*
 * Parent side: waits for the test child, fails the run if one request hangs, and prints
 * the result line in either case. Returns the exit status for main().
 */
static int watchdog(pid_t child)
{
    int status = 0;

    for (;;) {
        pid_t r = waitpid(child, &status, WNOHANG);
        double start = g_sh->req_start;

        if (r == child) {
            if (!WIFEXITED(status)) {
                check(false, "test process died (status 0x%x)", (unsigned)status);
            }
            break;
        }
        if (r < 0 && errno != EINTR) {
            check(false, "waitpid: %s", strerror(errno));
            break;
        }
        if (start > 0.0 && now_s() - start > (double)REQUEST_TIMEOUT_S) {
            check(false, "an AF_ALG request did not complete within %u s (device hung?)",
                  REQUEST_TIMEOUT_S);
            break;
        }
        usleep(200 * 1000);
    }
    vct("GUEST-RESULT: %u passed, %u failed", g_sh->test_no - g_sh->failed, g_sh->failed);
    return g_sh->failed ? 1 : 0;
}

/*
 * Requests above 64 KiB, in increasing size: a probe of the device's limits, not part of
 * the default run (see IMPLEMENTATION NOTES). The first failure usually breaks the device,
 * so the watchdog ends the run there.
 */
static int run_large(void)
{
    static const size_t sizes[] = { 80u << 10, 96u << 10, 112u << 10, 124u << 10,
                                    128u << 10, 192u << 10 };

    for (size_t i = 0; i < VC_ARRAY_SIZE(sizes); i++) {
        test_random(&sizes[i], 1);
    }
    vct("1..%u", g_sh->test_no);
    return 0;
}

/* Usage: guest_test [test [SEED]] | bench [SECONDS_PER_SIZE] | large */
int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "test";
    pid_t child;

    g_rng = 0x76637279707430ull;
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_sh = mmap(NULL, sizeof(*g_sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memset(g_sh, 0, sizeof(*g_sh));
    child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child > 0) {
        return watchdog(child);
    }
    if (strcmp(mode, "bench") == 0) {
        double secs = argc > 2 ? strtod(argv[2], NULL) : 2.0;

        run_bench(secs > 0.0 && secs < 600.0 ? secs : 2.0);
    } else if (strcmp(mode, "large") == 0) {
        run_large();
    } else {
        if (argc > 2) {
            g_rng = strtoull(argv[2], NULL, 0);
        }
        run_tests();
    }
    return g_sh->failed ? 1 : 0;
}
