/* MAC KATs through the engine's MAC service: NIST SP 800-38B CMAC examples
 * (AES-128/192/256, three- and two-key TDES) and the RFC 2202 / RFC 4231
 * HMAC test cases, as shipped by python3-cryptography-vectors (which has no
 * CAVP HMAC.rsp; see docs/VECTORS.md).
 *
 * Mapping (engine.h): session {service MAC, mac {algo, result_len, key}};
 * op {opcode VIRTIO_CRYPTO_MAC, src = message, digest (result_len bytes)}.
 * Every vector runs twice: once for the full tag (result_len 0 or the full
 * length, alternately) and once truncated to the shortest tag length the
 * engine advertises above 4 bytes, which must equal the leading bytes of the
 * full tag (RFC 2104 section 5, SP 800-38B section 6.2 MSB_Tlen).
 * TDES keys are KEY1||KEY2||KEY3 (two-key vectors repeat KEY1 as KEY3).
 */
#include "kat.h"

#include <string.h>

struct mfile {
    const char *path;
    uint32_t algo;
    uint32_t full; /* full tag length */
};

static const struct mfile files[] = {
    {"CMAC/nist-800-38b-aes128.txt", VIRTIO_CRYPTO_MAC_CMAC_AES, 16},
    {"CMAC/nist-800-38b-aes192.txt", VIRTIO_CRYPTO_MAC_CMAC_AES, 16},
    {"CMAC/nist-800-38b-aes256.txt", VIRTIO_CRYPTO_MAC_CMAC_AES, 16},
    {"CMAC/nist-800-38b-3des.txt", VIRTIO_CRYPTO_MAC_CMAC_3DES, 8},
    {"HMAC/rfc-2202-md5.txt", VIRTIO_CRYPTO_MAC_HMAC_MD5, 16},
    {"HMAC/rfc-2202-sha1.txt", VIRTIO_CRYPTO_MAC_HMAC_SHA1, 20},
    {"HMAC/rfc-4231-sha224.txt", VIRTIO_CRYPTO_MAC_HMAC_SHA_224, 28},
    {"HMAC/rfc-4231-sha256.txt", VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 32},
    {"HMAC/rfc-4231-sha384.txt", VIRTIO_CRYPTO_MAC_HMAC_SHA_384, 48},
    {"HMAC/rfc-4231-sha512.txt", VIRTIO_CRYPTO_MAC_HMAC_SHA_512, 64},
};

struct mvec {
    struct kat_buf key, msg, want, out, tmp;
};

static bool get_key(struct kat_file *f, struct mvec *v)
{
    /* AES CMAC: KEY; HMAC: Key; TDES CMAC: KEY1..KEY3. */
    if (kat_rsp_get(f->r, "KEY") || kat_rsp_get(f->r, "Key"))
        return kat_get_hex(f, kat_rsp_get(f->r, "KEY") ? "KEY" : "Key", &v->key);
    uint8_t k3[24];
    static const char *const names[3] = {"KEY1", "KEY2", "KEY3"};
    for (int i = 0; i < 3; i++) {
        if (!kat_get_hex(f, names[i], &v->tmp))
            return false;
        if (v->tmp.len != 8) {
            kat_fail(f, "%s is not 8 bytes", names[i]);
            return false;
        }
        memcpy(k3 + 8 * i, v->tmp.p, 8);
    }
    kat_buf_set(&v->key, k3, sizeof(k3));
    return true;
}

/* Shortest advertised tag length of at least 4 bytes below full, or 0. */
static uint32_t short_len(const struct vc_algo_cap *cap, uint32_t full)
{
    for (uint32_t n = 4; cap && n < full; n++)
        if (kat_cap_out_ok(cap, n))
            return n;
    return 0;
}

/* One MAC op with result_len rl, comparing tlen bytes with want. Returns the
 * status. */
static uint8_t mac_op(struct vc_engine *e, struct mvec *v, uint32_t algo, uint32_t rl,
                      uint32_t tlen, size_t mlen, unsigned long n)
{
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_MAC};
    p.u.mac.algo = algo;
    p.u.mac.result_len = rl;
    p.u.mac.key = v->key.p;
    p.u.mac.key_len = (uint32_t)v->key.len;
    struct vc_engine_sess *s = NULL;
    uint8_t st = vc_engine_sess_create(e, &p, &s);
    if (st == VIRTIO_CRYPTO_OK) {
        struct kat_sg src, dig;
        kat_buf_out(&v->out, tlen);
        kat_sg_split(&src, v->msg.p, mlen, n);
        kat_sg_split(&dig, v->out.p, tlen, n >> 1);
        struct vc_engine_op op = {.opcode = VIRTIO_CRYPTO_MAC, .src = src.sg, .digest = dig.sg};
        st = vc_engine_op(e, s, n % 2, &op);
    }
    vc_engine_sess_destroy(e, s);
    return st;
}

static void one(struct vc_engine *e, const struct vc_engine_caps *caps, struct kat_file *f,
                const struct mfile *mf, unsigned long n, struct mvec *v)
{
    bool hmac = kat_rsp_get(f->r, "Msg") != NULL;
    if (!get_key(f, v) || !kat_get_hex(f, hmac ? "Msg" : "MESSAGE", &v->msg) ||
        !kat_get_hex(f, hmac ? "MD" : "OUTPUT", &v->want))
        return;
    size_t mlen = v->msg.len;
    if (hmac) {
        unsigned long bits;
        if (!kat_get_ulong(f, "Len", &bits))
            return;
        if (bits % 8 || bits / 8 > v->msg.len) {
            kat_fail(f, "Len %lu does not fit Msg", bits);
            return;
        }
        mlen = bits / 8;
    }
    if (v->want.len != mf->full) {
        kat_fail(f, "tag is %zu bytes, expected %u", v->want.len, mf->full);
        return;
    }
    const struct vc_algo_cap *cap = vc_engine_find_cap(caps, VIRTIO_CRYPTO_SERVICE_MAC, mf->algo);
    bool ok = cap && kat_cap_key_ok(cap, (uint32_t)v->key.len) && kat_cap_out_ok(cap, mf->full);
    uint8_t st = mac_op(e, v, mf->algo, (n & 2) ? mf->full : 0, mf->full, mlen, n);
    if (!ok) {
        f->na++;
        if (!kat_refused(st))
            kat_fail(f, "n/a vector (key %zu bytes) gave %s, want NOTSUPP/ERR", v->key.len,
                     kat_st(st));
        return;
    }
    f->run++;
    if (st != VIRTIO_CRYPTO_OK) {
        kat_fail(f, "status %s", kat_st(st));
        return;
    }
    if (!kat_buf_guard_ok(&v->out)) {
        kat_fail(f, "tag written past digest");
        return;
    }
    if (!kat_check_mem(f, "tag", v->out.p, v->want.p, mf->full))
        return;

    uint32_t t = short_len(cap, mf->full);
    if (!t)
        return;
    st = mac_op(e, v, mf->algo, t, t, mlen, n + 1);
    if (st != VIRTIO_CRYPTO_OK)
        kat_fail(f, "truncated to %u: status %s", t, kat_st(st));
    else if (!kat_buf_guard_ok(&v->out))
        kat_fail(f, "truncated tag written past digest");
    else
        kat_check_mem(f, "truncated tag", v->out.p, v->want.p, t);
}

static void run_file(struct vc_engine *e, const struct vc_engine_caps *caps, const char *dir,
                     const struct mfile *mf, struct mvec *v)
{
    struct kat_file f;
    if (!kat_file_open(&f, dir, mf->path)) {
        kat_file_missing(mf->path);
        return;
    }
    unsigned long n = 0;
    while (kat_rsp_next(f.r))
        if (kat_rsp_own(f.r, "OUTPUT") || kat_rsp_own(f.r, "MD"))
            one(e, caps, &f, mf, n++, v);
    kat_file_end(&f);
}

int main(int argc, char **argv)
{
    kat__touch();
    const char *dir = kat_dir(argc, argv);
    if (!dir)
        SKIP_ALL("CAVP vectors not found (install python3-cryptography-vectors)");
    struct vc_engine *e = kat_engine();
    if (!e) {
        printf("Bail out! cannot create the OpenSSL engine\n");
        return 1;
    }
    struct mvec v = {0};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_file(e, vc_engine_caps(e), dir, &files[i], &v);
    kat_file_skipped("HMAC/rfc-2286-ripemd160.txt", "HMAC-RIPEMD160 has no virtio MAC id");
    kat_buf_free(&v.key);
    kat_buf_free(&v.msg);
    kat_buf_free(&v.want);
    kat_buf_free(&v.out);
    kat_buf_free(&v.tmp);
    vc_engine_destroy(e);
    return TEST_DONE();
}
