/* NIST CAVP AEAD KATs through the engine's AEAD service: GCMVS
 * (gcmEncryptExtIV*, gcmDecrypt*) and CCMVS (VADT, VNT, VPT, VTT encrypt;
 * DVPT decrypt-verify).
 *
 * Mapping (engine.h): session {service AEAD, aead {algo, op, key, tag_len,
 * aad_len}}; op AEAD_ENCRYPT {iv, aad, src = plaintext, dst = ciphertext ||
 * tag} or AEAD_DECRYPT {iv, aad, src = ciphertext || tag, dst = plaintext}.
 * The GCM iv is the IV as given; the CCM iv is the nonce N (7..13 bytes).
 * GCM files count lengths in bits, CCM files in bytes; "00" stands for an
 * empty Adata/Payload when Alen/Plen is 0.
 *
 * Each encrypt vector is also decrypted back, and decrypted once more with
 * one tag bit flipped, which must give BADMSG with dst zeroed ("no plaintext
 * is released", engine.h). Published FAIL / "Result = Fail" vectors must
 * give BADMSG the same way.
 */
#include "kat.h"

#include <stdlib.h>
#include <string.h>

enum layout { GCM_ENC, GCM_DEC, CCM_ENC, CCM_DEC };

struct afile {
    const char *path;
    enum layout layout;
};

static const struct afile files[] = {
    {"ciphers/AES/GCM/gcmEncryptExtIV128.rsp", GCM_ENC},
    {"ciphers/AES/GCM/gcmEncryptExtIV192.rsp", GCM_ENC},
    {"ciphers/AES/GCM/gcmEncryptExtIV256.rsp", GCM_ENC},
    {"ciphers/AES/GCM/gcmDecrypt128.rsp", GCM_DEC},
    {"ciphers/AES/GCM/gcmDecrypt192.rsp", GCM_DEC},
    {"ciphers/AES/GCM/gcmDecrypt256.rsp", GCM_DEC},
    {"ciphers/AES/CCM/VADT128.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VADT192.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VADT256.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VNT128.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VNT192.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VNT256.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VPT128.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VPT192.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VPT256.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VTT128.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VTT192.rsp", CCM_ENC},
    {"ciphers/AES/CCM/VTT256.rsp", CCM_ENC},
    {"ciphers/AES/CCM/DVPT128.rsp", CCM_DEC},
    {"ciphers/AES/CCM/DVPT192.rsp", CCM_DEC},
    {"ciphers/AES/CCM/DVPT256.rsp", CCM_DEC},
};

/* One vector, normalised: pt and ct (ciphertext||tag) as published. */
struct avec {
    uint32_t algo;
    struct kat_buf key, iv, aad, pt, ct, tag, out, in;
    size_t tag_len;
    bool fail; /* published as not authentic */
};

static uint8_t aead_op(struct vc_engine *e, struct avec *v, bool enc, const struct kat_buf *src,
                       size_t out_len, unsigned long n)
{
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AEAD};
    p.u.aead.algo = v->algo;
    p.u.aead.op = enc ? VIRTIO_CRYPTO_OP_ENCRYPT : VIRTIO_CRYPTO_OP_DECRYPT;
    p.u.aead.key = v->key.p;
    p.u.aead.key_len = (uint32_t)v->key.len;
    p.u.aead.tag_len = (uint32_t)v->tag_len;
    p.u.aead.aad_len = (uint32_t)v->aad.len;
    struct vc_engine_sess *s = NULL;
    kat_buf_out(&v->out, out_len);
    uint8_t st = vc_engine_sess_create(e, &p, &s);
    if (st == VIRTIO_CRYPTO_OK) {
        struct kat_sg iv, aad, in, out;
        kat_sg_split(&iv, v->iv.p, v->iv.len, n >> 3);
        kat_sg_split(&aad, v->aad.p, v->aad.len, n >> 2);
        kat_sg_split(&in, src->p, src->len, n);
        kat_sg_split(&out, v->out.p, out_len, n >> 1);
        struct vc_engine_op op = {
            .opcode = enc ? VIRTIO_CRYPTO_AEAD_ENCRYPT : VIRTIO_CRYPTO_AEAD_DECRYPT,
            .iv = iv.sg,
            .aad = aad.sg,
            .src = in.sg,
            .dst = out.sg,
        };
        st = vc_engine_op(e, s, n % 2, &op);
    }
    vc_engine_sess_destroy(e, s);
    return st;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Decrypts `in` (ciphertext||tag) expecting either the plaintext pt or, if
 * bad, BADMSG with a zeroed dst. */
static void check_dec(struct vc_engine *e, struct kat_file *f, struct avec *v, bool bad,
                      unsigned long n, const char *what)
{
    size_t plen = v->in.len - v->tag_len;
    uint8_t st = aead_op(e, v, false, &v->in, plen, n);
    if (!kat_buf_guard_ok(&v->out)) {
        kat_fail(f, "%s: output written past dst", what);
        return;
    }
    if (bad) {
        if (st != VIRTIO_CRYPTO_BADMSG)
            kat_fail(f, "%s: status %s, want BADMSG", what, kat_st(st));
        else if (!all_zero(v->out.p, plen))
            kat_fail(f, "%s: BADMSG but dst not zeroed", what);
        return;
    }
    if (st != VIRTIO_CRYPTO_OK)
        kat_fail(f, "%s: status %s", what, kat_st(st));
    else
        kat_check_mem(f, what, v->out.p, v->pt.p, plen);
}

static bool applicable(const struct vc_engine_caps *caps, const struct avec *v)
{
    const struct vc_algo_cap *c = vc_engine_find_cap(caps, VIRTIO_CRYPTO_SERVICE_AEAD, v->algo);
    return c && kat_cap_key_ok(c, (uint32_t)v->key.len) && kat_cap_iv_ok(c, (uint32_t)v->iv.len) &&
           kat_cap_out_ok(c, (uint32_t)v->tag_len);
}

static void one(struct vc_engine *e, const struct vc_engine_caps *caps, struct kat_file *f,
                bool enc, unsigned long n, struct avec *v)
{
    /* ct = ciphertext || tag as the engine sees it. */
    size_t plen = v->ct.len - v->tag_len;
    if (!applicable(caps, v)) {
        f->na++;
        uint8_t st =
            enc ? aead_op(e, v, true, &v->pt, v->ct.len, n) : aead_op(e, v, false, &v->ct, plen, n);
        if (!kat_refused(st))
            kat_fail(f, "n/a vector (key %zu, iv %zu, tag %zu bytes) gave %s, want NOTSUPP/ERR",
                     v->key.len, v->iv.len, v->tag_len, kat_st(st));
        return;
    }
    f->run++;
    if (enc) {
        uint8_t st = aead_op(e, v, true, &v->pt, v->ct.len, n);
        if (st != VIRTIO_CRYPTO_OK) {
            kat_fail(f, "encrypt: status %s", kat_st(st));
            return;
        }
        if (!kat_buf_guard_ok(&v->out)) {
            kat_fail(f, "encrypt: output written past dst");
            return;
        }
        if (!kat_check_mem(f, "ciphertext||tag", v->out.p, v->ct.p, v->ct.len))
            return;
    }
    kat_buf_set(&v->in, v->ct.p, v->ct.len);
    check_dec(e, f, v, v->fail, n + 1, v->fail ? "FAIL vector" : "decrypt");
    if (v->fail)
        return;
    /* Flip one tag bit, chosen by the vector number. */
    v->in.p[plen + n % v->tag_len] ^= (uint8_t)(1u << (n % 8));
    check_dec(e, f, v, true, n + 2, "tampered tag");
}

/* Reads a GCM vector; lengths in the headers are bits. */
static bool read_gcm(struct kat_file *f, bool enc, struct avec *v)
{
    unsigned long taglen;
    if (!kat_get_ulong(f, "Taglen", &taglen) || !kat_get_hex(f, "Key", &v->key) ||
        !kat_get_hex(f, "IV", &v->iv) || !kat_get_hex(f, "AAD", &v->aad) ||
        !kat_get_hex(f, "CT", &v->ct) || !kat_get_hex(f, "Tag", &v->tag))
        return false;
    v->fail = !enc && kat_rsp_own(f->r, "FAIL") != NULL;
    if (v->fail)
        v->pt.len = 0;
    else if (!kat_get_hex(f, "PT", &v->pt))
        return false;
    v->tag_len = taglen / 8;
    if (taglen % 8 || v->tag_len == 0 || v->tag.len != v->tag_len ||
        (!v->fail && v->pt.len != v->ct.len)) {
        kat_fail(f, "inconsistent GCM vector");
        return false;
    }
    /* Publish ct as ciphertext||tag, the engine's layout. */
    size_t clen = v->ct.len;
    struct kat_buf tmp = {0};
    kat_buf_set(&tmp, v->ct.p, clen);
    kat_buf_out(&v->ct, clen + v->tag_len);
    if (clen)
        memcpy(v->ct.p, tmp.p, clen);
    memcpy(v->ct.p + clen, v->tag.p, v->tag_len);
    kat_buf_free(&tmp);
    return true;
}

/* Reads a CCM vector; lengths are bytes, "00" means empty. */
static bool read_ccm(struct kat_file *f, bool enc, struct avec *v)
{
    unsigned long alen, plen, nlen, tlen;
    if (!kat_get_ulong(f, "Alen", &alen) || !kat_get_ulong(f, "Plen", &plen) ||
        !kat_get_ulong(f, "Nlen", &nlen) || !kat_get_ulong(f, "Tlen", &tlen) ||
        !kat_get_hex(f, "Key", &v->key) || !kat_get_hex(f, "Nonce", &v->iv) ||
        !kat_get_hex(f, "Adata", &v->aad) || !kat_get_hex(f, "CT", &v->ct))
        return false;
    const char *res = enc ? NULL : kat_rsp_own(f->r, "Result");
    if (!enc && !res) {
        kat_fail(f, "no Result");
        return false;
    }
    v->fail = res && strncmp(res, "Fail", 4) == 0;
    if (v->fail)
        v->pt.len = 0;
    else if (!kat_get_hex(f, "Payload", &v->pt))
        return false;
    if (tlen == 0 || alen > v->aad.len || (!v->fail && plen > v->pt.len) || nlen != v->iv.len ||
        v->ct.len != plen + tlen) {
        kat_fail(f, "inconsistent CCM vector");
        return false;
    }
    v->aad.len = alen;
    if (!v->fail)
        v->pt.len = plen;
    v->tag_len = tlen;
    return true;
}

static void run_file(struct vc_engine *e, const struct vc_engine_caps *caps, const char *dir,
                     const struct afile *af, struct avec *v)
{
    struct kat_file f;
    if (!kat_file_open(&f, dir, af->path)) {
        kat_file_missing(af->path);
        return;
    }
    bool gcm = af->layout == GCM_ENC || af->layout == GCM_DEC;
    bool enc = af->layout == GCM_ENC || af->layout == CCM_ENC;
    v->algo = gcm ? VIRTIO_CRYPTO_AEAD_GCM : VIRTIO_CRYPTO_AEAD_CCM;
    unsigned long n = 0;
    while (kat_rsp_next(f.r)) {
        if (!kat_rsp_own(f.r, "Count"))
            continue;
        if (gcm ? read_gcm(&f, enc, v) : read_ccm(&f, enc, v))
            one(e, caps, &f, enc, n, v);
        n += 3;
    }
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
    struct avec v = {0};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_file(e, vc_engine_caps(e), dir, &files[i], &v);
    struct kat_buf *bufs[] = {&v.key, &v.iv, &v.aad, &v.pt, &v.ct, &v.tag, &v.out, &v.in};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        kat_buf_free(bufs[i]);
    vc_engine_destroy(e);
    return TEST_DONE();
}
