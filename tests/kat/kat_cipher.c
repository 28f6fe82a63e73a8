/* NIST CAVP block cipher KATs (AESAVS, TDES, XTSVS) and the RFC 3686 AES-CTR
 * vectors, run through the engine's CIPHER service.
 *
 * Mapping (engine.h): session {service CIPHER, sym.op_type
 * VIRTIO_CRYPTO_SYM_OP_CIPHER, cipher {algo, op = ENCRYPT/DECRYPT from the
 * [ENCRYPT]/[DECRYPT] header, key}}; op {opcode CIPHER_ENCRYPT/_DECRYPT,
 * iv, src, dst (exactly src.len bytes)}.
 *   TDES keys: KEY1||KEY2||KEY3, or KEYs three times (keying option 3).
 *   XTS: key = Key (both halves); iv = the 16-byte tweak: "i", or
 *   DataUnitSeqNumber as a 128-bit little-endian number (IEEE 1619 5.1).
 */
#include "kat.h"

#include <stdlib.h>
#include <string.h>

struct cfile {
    const char *path;
    uint32_t algo;
};

#define AES_SET(dir, mode, algo)                                                                   \
    {dir #mode "GFSbox128.rsp", algo}, {dir #mode "GFSbox192.rsp", algo},                          \
        {dir #mode "GFSbox256.rsp", algo}, {dir #mode "KeySbox128.rsp", algo},                     \
        {dir #mode "KeySbox192.rsp", algo}, {dir #mode "KeySbox256.rsp", algo},                    \
        {dir #mode "MMT128.rsp", algo}, {dir #mode "MMT192.rsp", algo},                            \
        {dir #mode "MMT256.rsp", algo}, {dir #mode "VarKey128.rsp", algo},                         \
        {dir #mode "VarKey192.rsp", algo}, {dir #mode "VarKey256.rsp", algo},                      \
        {dir #mode "VarTxt128.rsp", algo}, {dir #mode "VarTxt192.rsp", algo},                      \
        {dir #mode "VarTxt256.rsp", algo}

#define TDES_SET(dir, mode, algo)                                                                  \
    {dir #mode "MMT1.rsp", algo}, {dir #mode "MMT2.rsp", algo}, {dir #mode "MMT3.rsp", algo},      \
        {dir #mode "invperm.rsp", algo}, {dir #mode "permop.rsp", algo},                           \
        {dir #mode "subtab.rsp", algo}, {dir #mode "varkey.rsp", algo},                            \
        {dir #mode "vartext.rsp", algo}

static const struct cfile files[] = {
    AES_SET("ciphers/AES/ECB/", ECB, VIRTIO_CRYPTO_CIPHER_AES_ECB),
    AES_SET("ciphers/AES/CBC/", CBC, VIRTIO_CRYPTO_CIPHER_AES_CBC),
    {"ciphers/AES/CTR/aes-128-ctr.txt", VIRTIO_CRYPTO_CIPHER_AES_CTR},
    {"ciphers/AES/CTR/aes-192-ctr.txt", VIRTIO_CRYPTO_CIPHER_AES_CTR},
    {"ciphers/AES/CTR/aes-256-ctr.txt", VIRTIO_CRYPTO_CIPHER_AES_CTR},
    {"ciphers/AES/XTS/tweak-128hexstr/XTSGenAES128.rsp", VIRTIO_CRYPTO_CIPHER_AES_XTS},
    {"ciphers/AES/XTS/tweak-128hexstr/XTSGenAES256.rsp", VIRTIO_CRYPTO_CIPHER_AES_XTS},
    {"ciphers/AES/XTS/tweak-dataunitseqno/XTSGenAES128.rsp", VIRTIO_CRYPTO_CIPHER_AES_XTS},
    {"ciphers/AES/XTS/tweak-dataunitseqno/XTSGenAES256.rsp", VIRTIO_CRYPTO_CIPHER_AES_XTS},
    TDES_SET("ciphers/3DES/ECB/T", ECB, VIRTIO_CRYPTO_CIPHER_3DES_ECB),
    TDES_SET("ciphers/3DES/CBC/T", CBC, VIRTIO_CRYPTO_CIPHER_3DES_CBC),
};

static const struct {
    const char *path, *why;
} skipped[] = {
    {"ciphers/AES/CFB/*", "CFB has no virtio cipher id"},
    {"ciphers/AES/OFB/*", "OFB has no virtio cipher id"},
    {"ciphers/3DES/CBC/TCBCI*", "TDES CBC-I (interleaved) has no virtio cipher id"},
    {"ciphers/3DES/CFB/*", "CFB has no virtio cipher id"},
    {"ciphers/3DES/OFB/*", "OFB has no virtio cipher id"},
};

struct cvec {
    struct kat_buf key, iv, in, want, out, tmp;
};

/* The key: KEY, Key, KEY1||KEY2||KEY3 or KEYs x3. */
static bool get_key(struct kat_file *f, struct kat_buf *key, struct kat_buf *tmp)
{
    const char *one = kat_rsp_get(f->r, "KEY");
    if (!one)
        one = kat_rsp_get(f->r, "Key");
    if (one) {
        if (!kat_buf_hex(key, one)) {
            kat_fail(f, "bad key");
            return false;
        }
        return true;
    }
    const char *ks = kat_rsp_get(f->r, "KEYs");
    uint8_t k[24];
    for (int i = 0; i < 3; i++) {
        char name[8] = "KEY1";
        name[3] = (char)('1' + i);
        const char *v = ks ? ks : kat_rsp_get(f->r, name);
        if (!v || !kat_buf_hex(tmp, v) || tmp->len != 8) {
            kat_fail(f, "bad TDES key");
            return false;
        }
        memcpy(k + 8 * i, tmp->p, 8);
    }
    kat_buf_set(key, k, sizeof(k));
    return true;
}

/* The IV or XTS tweak; empty for ECB. */
static bool get_iv(struct kat_file *f, struct kat_buf *iv)
{
    const char *v = kat_rsp_get(f->r, "IV");
    if (!v)
        v = kat_rsp_get(f->r, "i");
    if (v) {
        if (kat_buf_hex(iv, v))
            return true;
        kat_fail(f, "bad IV");
        return false;
    }
    const char *seq = kat_rsp_get(f->r, "DataUnitSeqNumber");
    if (seq) {
        char *end;
        unsigned long long n = strtoull(seq, &end, 10);
        if (*end) {
            kat_fail(f, "bad DataUnitSeqNumber");
            return false;
        }
        uint8_t t[16] = {0};
        for (int i = 0; i < 8; i++)
            t[i] = (uint8_t)(n >> (8 * i));
        kat_buf_set(iv, t, sizeof(t));
        return true;
    }
    iv->len = 0;
    return true;
}

static void one(struct vc_engine *e, const struct vc_engine_caps *caps, struct kat_file *f,
                uint32_t algo, bool enc, unsigned long n, struct cvec *v)
{
    const char *in_name = enc ? "PLAINTEXT" : "CIPHERTEXT";
    const char *out_name = enc ? "CIPHERTEXT" : "PLAINTEXT";
    if (algo == VIRTIO_CRYPTO_CIPHER_AES_XTS) {
        in_name = enc ? "PT" : "CT";
        out_name = enc ? "CT" : "PT";
        unsigned long bits;
        if (!kat_get_ulong(f, "DataUnitLen", &bits))
            return;
        if (bits % 8) {
            f->skip++;
            f->skip_why = "bit-granular data unit";
            return;
        }
    }
    if (!get_key(f, &v->key, &v->tmp) || !get_iv(f, &v->iv) || !kat_get_hex(f, in_name, &v->in) ||
        !kat_get_hex(f, out_name, &v->want))
        return;
    if (v->in.len != v->want.len) {
        kat_fail(f, "input and output lengths differ");
        return;
    }
    const struct vc_algo_cap *cap = vc_engine_find_cap(caps, VIRTIO_CRYPTO_SERVICE_CIPHER, algo);
    bool ok = cap && kat_cap_key_ok(cap, (uint32_t)v->key.len) &&
              kat_cap_iv_ok(cap, (uint32_t)v->iv.len) &&
              (cap->block == 0 || v->in.len % cap->block == 0);

    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_CIPHER};
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
    p.u.sym.cipher.algo = algo;
    p.u.sym.cipher.op = enc ? VIRTIO_CRYPTO_OP_ENCRYPT : VIRTIO_CRYPTO_OP_DECRYPT;
    p.u.sym.cipher.key = v->key.p;
    p.u.sym.cipher.key_len = (uint32_t)v->key.len;
    struct vc_engine_sess *s = NULL;
    uint8_t st = vc_engine_sess_create(e, &p, &s);
    if (st == VIRTIO_CRYPTO_OK) {
        struct kat_sg iv, src, dst;
        kat_buf_out(&v->out, v->in.len);
        kat_sg_split(&iv, v->iv.p, v->iv.len, n >> 2);
        kat_sg_split(&src, v->in.p, v->in.len, n);
        kat_sg_split(&dst, v->out.p, v->out.len, n >> 1);
        struct vc_engine_op op = {
            .opcode = enc ? VIRTIO_CRYPTO_CIPHER_ENCRYPT : VIRTIO_CRYPTO_CIPHER_DECRYPT,
            .iv = iv.sg,
            .src = src.sg,
            .dst = dst.sg,
        };
        st = vc_engine_op(e, s, n % 2, &op);
    }
    vc_engine_sess_destroy(e, s);
    if (!ok) {
        f->na++;
        if (!kat_refused(st))
            kat_fail(f, "n/a vector (key %zu, iv %zu, data %zu bytes) gave %s, want NOTSUPP/ERR",
                     v->key.len, v->iv.len, v->in.len, kat_st(st));
        return;
    }
    f->run++;
    if (st != VIRTIO_CRYPTO_OK) {
        kat_fail(f, "%s: status %s", enc ? "encrypt" : "decrypt", kat_st(st));
        return;
    }
    if (!kat_buf_guard_ok(&v->out))
        kat_fail(f, "output written past dst");
    else
        kat_check_mem(f, out_name, v->out.p, v->want.p, v->want.len);
}

static void run_file(struct vc_engine *e, const struct vc_engine_caps *caps, const char *dir,
                     const struct cfile *cf, struct cvec *v)
{
    struct kat_file f;
    if (!kat_file_open(&f, dir, cf->path)) {
        kat_file_missing(cf->path);
        return;
    }
    unsigned long n = 0;
    while (kat_rsp_next(f.r)) {
        if (!kat_rsp_own(f.r, "COUNT"))
            continue;
        bool enc = kat_rsp_header(f.r, "ENCRYPT") != NULL;
        if (!enc && !kat_rsp_header(f.r, "DECRYPT")) {
            kat_fail(&f, "vector outside [ENCRYPT]/[DECRYPT]");
            continue;
        }
        one(e, caps, &f, cf->algo, enc, n++, v);
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
    struct cvec v = {0};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_file(e, vc_engine_caps(e), dir, &files[i], &v);
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        kat_file_skipped(skipped[i].path, skipped[i].why);
    kat_buf_free(&v.key);
    kat_buf_free(&v.iv);
    kat_buf_free(&v.in);
    kat_buf_free(&v.want);
    kat_buf_free(&v.out);
    kat_buf_free(&v.tmp);
    vc_engine_destroy(e);
    return TEST_DONE();
}
