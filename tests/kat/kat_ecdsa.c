/* NIST CAVP ECDSA KATs (FIPS 186-2 / 186-3 ECDSA2VS) through the engine's
 * AKCIPHER service.
 *
 *   SigVer.rsp   Result P -> OK, F -> KEY_REJECTED (or, for "Q changed"
 *                vectors whose Q is not a valid point, refusal at session
 *                create, checked against OpenSSL's own view of the point).
 *   SigGen.txt   (d, Q, k, R, S): the engine signs the digest with d (k is
 *                random, so the result cannot equal R, S); our signature must
 *                verify through the engine and through OpenSSL directly, the
 *                published (R, S) must verify, and (R, S) with a bit flipped
 *                must give KEY_REJECTED.
 *   PKV.rsp      public key validation: P -> session create OK, F -> refused.
 *
 * Mapping (engine.h, akcipher.c "OPERATION SEMANTICS"): session {service
 * AKCIPHER, akcipher {ECDSA, key_type, key, ecdsa_curve}}; private key =
 * RFC 5915 ECPrivateKey DER, public key = uncompressed point 04||Qx||Qy;
 * SIGN {src = digest, dst >= largest DER signature}; VERIFY {src = DER
 * Ecdsa-Sig-Value, dst = digest}. The test hashes Msg with OpenSSL (186-2
 * files use SHA-1 throughout).
 * Binary (B-) and Koblitz (K-) curves have no virtio curve id: counted as
 * not expressible, never sent.
 */
#include "kat.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

enum ekind { SIGGEN, SIGVER, PKV };

static const struct {
    const char *path;
    enum ekind kind;
} files[] = {
    {"asymmetric/ECDSA/FIPS_186-3/SigGen.txt", SIGGEN},
    {"asymmetric/ECDSA/FIPS_186-3/SigVer.rsp", SIGVER},
    {"asymmetric/ECDSA/FIPS_186-3/PKV.rsp", PKV},
    {"asymmetric/ECDSA/FIPS_186-2/SigGen.txt", SIGGEN},
    {"asymmetric/ECDSA/FIPS_186-2/SigVer.rsp", SIGVER},
    {"asymmetric/ECDSA/FIPS_186-2/PKV.rsp", PKV},
};

static const struct {
    const char *path, *why;
} skipped[] = {
    {"asymmetric/ECDSA/FIPS_186-3/SigGen.rsp", "same vectors as SigGen.txt (which adds d)"},
    {"asymmetric/ECDSA/FIPS_186-2/SigGen.rsp", "same vectors as SigGen.txt (which adds d)"},
    {"asymmetric/ECDSA/SECP256K1/SigGen.txt", "secp256k1 has no virtio curve id"},
};

static const struct curve {
    const char *name; /* as in the files and OpenSSL's NIST names */
    uint32_t id;
    size_t field; /* bytes per coordinate */
} curves[] = {
    {"P-192", VIRTIO_CRYPTO_CURVE_NIST_P192, 24}, {"P-224", VIRTIO_CRYPTO_CURVE_NIST_P224, 28},
    {"P-256", VIRTIO_CRYPTO_CURVE_NIST_P256, 32}, {"P-384", VIRTIO_CRYPTO_CURVE_NIST_P384, 48},
    {"P-521", VIRTIO_CRYPTO_CURVE_NIST_P521, 66},
};

/* Room for the largest DER signature (P-521: 139 bytes). */
#define SIG_ROOM 139

struct estate {
    struct vc_engine *e;
    const struct vc_algo_cap *cap;
    struct kat_file f;
    struct kat_buf msg, d, qx, qy, r, s, point, priv, sig, out, dig;
};

/* Left-pads src to width bytes into dst at off; longer values are kept
 * whole (an out-of-range coordinate then makes the point the wrong length,
 * which is as invalid as the value). */
static size_t put_coord(uint8_t *dst, const struct kat_buf *src, size_t width)
{
    size_t pad = src->len < width ? width - src->len : 0;
    memset(dst, 0, pad);
    memcpy(dst + pad, src->p, src->len);
    return pad + src->len;
}

/* point = 04 || Qx || Qy. */
static void make_point(struct estate *st, const struct curve *c)
{
    uint8_t tmp[1 + 2 * 80];
    size_t n = 1;
    tmp[0] = 0x04;
    if (st->qx.len > 80 || st->qy.len > 80)
        st->qx.len = st->qy.len = 0;
    n += put_coord(tmp + n, &st->qx, c->field);
    n += put_coord(tmp + n, &st->qy, c->field);
    kat_buf_set(&st->point, tmp, n);
}

/* An OpenSSL EVP_PKEY for the curve with point (and d if given). */
static EVP_PKEY *ossl_key(const struct curve *c, const struct kat_buf *point,
                          const struct kat_buf *d)
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    BIGNUM *dn = d ? BN_bin2bn(d->p, (int)d->len, NULL) : NULL;
    if (!bld || !pc || (d && !dn))
        goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point->p, point->len) ||
        (dn && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dn)))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params || EVP_PKEY_fromdata_init(pc) <= 0 ||
        EVP_PKEY_fromdata(pc, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(pc);
    BN_clear_free(dn);
    return key;
}

/* OpenSSL's independent opinion: is point a valid public key? */
static bool ossl_point_ok(const struct curve *c, const struct kat_buf *point)
{
    EVP_PKEY *key = ossl_key(c, point, NULL);
    EVP_PKEY_CTX *pc = key ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) : NULL;
    bool ok = pc && EVP_PKEY_public_check(pc) == 1;
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(key);
    return ok;
}

/* OpenSSL verification of a DER signature over dig. */
static bool ossl_verify(const struct curve *c, const struct kat_buf *point, const uint8_t *sig,
                        size_t sig_len, const struct kat_buf *dig)
{
    EVP_PKEY *key = ossl_key(c, point, NULL);
    EVP_PKEY_CTX *pc = key ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) : NULL;
    bool ok = pc && EVP_PKEY_verify_init(pc) == 1 &&
              EVP_PKEY_verify(pc, sig, sig_len, dig->p, dig->len) == 1;
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(key);
    return ok;
}

/* ECPrivateKey DER (RFC 5915, with curve OID and public key). */
static bool make_priv(const struct curve *c, const struct kat_buf *point, const struct kat_buf *d,
                      struct kat_buf *out)
{
    EVP_PKEY *key = ossl_key(c, point, d);
    unsigned char *der = NULL;
    int len = key ? i2d_PrivateKey(key, &der) : -1;
    if (len > 0)
        kat_buf_set(out, der, (size_t)len);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    return len > 0;
}

/* DER Ecdsa-Sig-Value from R, S into out. */
static bool make_sig(const struct kat_buf *r, const struct kat_buf *s, struct kat_buf *out)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *rn = BN_bin2bn(r->p, (int)r->len, NULL), *sn = BN_bin2bn(s->p, (int)s->len, NULL);
    unsigned char *der = NULL;
    int len = -1;
    if (sig && rn && sn && ECDSA_SIG_set0(sig, rn, sn)) {
        rn = sn = NULL; /* owned by sig now */
        len = i2d_ECDSA_SIG(sig, &der);
    }
    if (len > 0)
        kat_buf_set(out, der, (size_t)len);
    OPENSSL_free(der);
    BN_free(rn);
    BN_free(sn);
    ECDSA_SIG_free(sig);
    return len > 0;
}

static uint8_t sess(struct estate *st, const struct curve *c, uint32_t type,
                    const struct kat_buf *key, struct vc_engine_sess **out)
{
    struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_AKCIPHER};
    p.u.akcipher.algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
    p.u.akcipher.key_type = type;
    p.u.akcipher.key = key->p;
    p.u.akcipher.key_len = (uint32_t)key->len;
    p.u.akcipher.ecdsa_curve = c ? c->id : VIRTIO_CRYPTO_CURVE_UNKNOWN;
    *out = NULL;
    uint8_t r = vc_engine_sess_create(st->e, &p, out);
    if (r != VIRTIO_CRYPTO_OK)
        *out = NULL;
    return r;
}

static uint8_t verify(struct estate *st, struct vc_engine_sess *s, const uint8_t *sig,
                      size_t sig_len, unsigned long n)
{
    struct kat_sg src, dst;
    kat_sg_split(&src, (uint8_t *)(uintptr_t)sig, sig_len, n);
    kat_sg_split(&dst, st->dig.p, st->dig.len, n >> 1);
    struct vc_engine_op op = {
        .opcode = VIRTIO_CRYPTO_AKCIPHER_VERIFY, .src = src.sg, .dst = dst.sg};
    return vc_engine_op(st->e, s, n % 2, &op);
}

/* The curve and hash named by the header ("P-256,SHA-384" or "P-256");
 * NULL curve if the name is not a prime curve. */
static const struct curve *parse_header(const char *raw, const char **md)
{
    static char hash[16];
    const char *comma = strchr(raw, ',');
    size_t clen = comma ? (size_t)(comma - raw) : strlen(raw);
    *md = "SHA1";
    if (comma) {
        /* "SHA-384" -> "SHA384" for EVP_get_digestbyname. */
        size_t j = 0;
        for (const char *p = comma + 1; *p && j < sizeof(hash) - 1; p++)
            if (*p != '-' && *p != ' ')
                hash[j++] = *p;
        hash[j] = '\0';
        *md = hash;
    }
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
        if (strlen(curves[i].name) == clen && strncmp(curves[i].name, raw, clen) == 0)
            return &curves[i];
    return NULL;
}

static void pkv(struct estate *st, const struct curve *c)
{
    struct kat_file *f = &st->f;
    const char *res = kat_rsp_own(f->r, "Result");
    if (!res || (*res != 'P' && *res != 'F')) {
        kat_fail(f, "no P/F Result");
        return;
    }
    bool ok = st->cap && (st->cap->curves >> c->id & 1);
    struct vc_engine_sess *s;
    uint8_t r = sess(st, c, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC, &st->point, &s);
    vc_engine_sess_destroy(st->e, s);
    if (!ok) {
        f->na++;
        if (!kat_refused(r))
            kat_fail(f, "n/a curve %s: create gave %s", c->name, kat_st(r));
        return;
    }
    f->run++;
    if (*res == 'P' && r != VIRTIO_CRYPTO_OK)
        kat_fail(f, "valid %s key refused: %s", c->name, kat_st(r));
    else if (*res == 'F' && !kat_refused(r))
        kat_fail(f, "invalid %s key (%s): create gave %s", c->name, res, kat_st(r));
}

static void one(struct estate *st, enum ekind kind, unsigned long n)
{
    struct kat_file *f = &st->f;
    const char *md;
    const struct curve *c = parse_header(kat_rsp_header_raw(f->r), &md);
    if (!c) {
        f->skip++;
        f->skip_why = "binary/Koblitz curves have no virtio curve id";
        return;
    }
    if (!kat_get_num(f, "Qx", &st->qx) || !kat_get_num(f, "Qy", &st->qy))
        return;
    make_point(st, c);
    if (kind == PKV) {
        pkv(st, c);
        return;
    }
    if (!kat_get_hex(f, "Msg", &st->msg) || !kat_get_num(f, "R", &st->r) ||
        !kat_get_num(f, "S", &st->s) || (kind == SIGGEN && !kat_get_num(f, "d", &st->d)))
        return;
    const char *res = kind == SIGVER ? kat_rsp_own(f->r, "Result") : "P";
    if (!res || (*res != 'P' && *res != 'F')) {
        kat_fail(f, "no P/F Result");
        return;
    }
    const EVP_MD *evp = EVP_get_digestbyname(md);
    unsigned int dlen = 0;
    kat_buf_out(&st->dig, EVP_MAX_MD_SIZE);
    if (!evp || !EVP_Digest(st->msg.p, st->msg.len, st->dig.p, &dlen, evp, NULL)) {
        kat_fail(f, "OpenSSL digest %s failed", md);
        return;
    }
    st->dig.len = dlen;
    if (!make_sig(&st->r, &st->s, &st->sig)) {
        kat_fail(f, "cannot encode (R, S)");
        return;
    }

    bool ok = st->cap && (st->cap->curves >> c->id & 1);
    struct vc_engine_sess *pub;
    uint8_t r = sess(st, c, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC, &st->point, &pub);
    if (pub)
        r = verify(st, pub, st->sig.p, st->sig.len, n);
    if (!ok) {
        f->na++;
        if (!kat_refused(r))
            kat_fail(f, "n/a curve %s gave %s, want NOTSUPP/ERR", c->name, kat_st(r));
        vc_engine_sess_destroy(st->e, pub);
        return;
    }
    f->run++;
    if (*res == 'F') {
        /* A changed Q may be off the curve: then refusing the key is right,
         * provided OpenSSL agrees the point is invalid. */
        bool bad_key = !pub && r == VIRTIO_CRYPTO_ERR && !ossl_point_ok(c, &st->point);
        if (!bad_key && r != VIRTIO_CRYPTO_KEY_REJECTED)
            kat_fail(f, "%s/%s F vector (%s): status %s, want KEY_REJECTED", c->name, md, res,
                     kat_st(r));
        vc_engine_sess_destroy(st->e, pub);
        return;
    }
    if (r != VIRTIO_CRYPTO_OK) {
        kat_fail(f, "%s/%s verify of the published signature: status %s", c->name, md, kat_st(r));
        vc_engine_sess_destroy(st->e, pub);
        return;
    }
    if (kind == SIGGEN) {
        /* Tampered published signature. */
        kat_buf_set(&st->out, st->sig.p, st->sig.len);
        st->out.p[st->out.len - 1 - n % 8] ^= (uint8_t)(1u << (n % 8));
        r = verify(st, pub, st->out.p, st->out.len, n + 1);
        if (r != VIRTIO_CRYPTO_KEY_REJECTED)
            kat_fail(f, "%s/%s flipped signature: status %s, want KEY_REJECTED", c->name, md,
                     kat_st(r));

        /* Our own signature. */
        struct vc_engine_sess *priv = NULL;
        if (!make_priv(c, &st->point, &st->d, &st->priv)) {
            kat_fail(f, "cannot build ECPrivateKey");
        } else if ((r = sess(st, c, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE, &st->priv, &priv)) !=
                   VIRTIO_CRYPTO_OK) {
            kat_fail(f, "%s private key session: %s", c->name, kat_st(r));
        } else {
            struct kat_sg src, dst;
            kat_buf_out(&st->out, SIG_ROOM);
            kat_sg_split(&src, st->dig.p, st->dig.len, n >> 2);
            kat_sg_split(&dst, st->out.p, SIG_ROOM, n >> 1);
            struct vc_engine_op op = {
                .opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN, .src = src.sg, .dst = dst.sg};
            r = vc_engine_op(st->e, priv, n % 2, &op);
            size_t w = (size_t)op.dst_written;
            if (r != VIRTIO_CRYPTO_OK) {
                kat_fail(f, "%s/%s sign: status %s", c->name, md, kat_st(r));
            } else if (w == 0 || w > SIG_ROOM || !kat_buf_guard_ok(&st->out)) {
                kat_fail(f, "%s sign wrote %zu bytes", c->name, w);
            } else {
                bool tail_ok = true;
                for (size_t i = w; i < SIG_ROOM; i++)
                    tail_ok &= st->out.p[i] == 0x5a;
                if (!tail_ok)
                    kat_fail(f, "%s sign touched dst past dst_written", c->name);
                if ((r = verify(st, pub, st->out.p, w, n + 2)) != VIRTIO_CRYPTO_OK)
                    kat_fail(f, "%s/%s engine rejects its own signature: %s", c->name, md,
                             kat_st(r));
                if (!ossl_verify(c, &st->point, st->out.p, w, &st->dig))
                    kat_fail(f, "%s/%s OpenSSL rejects the engine's signature", c->name, md);
            }
        }
        vc_engine_sess_destroy(st->e, priv);
    }
    vc_engine_sess_destroy(st->e, pub);
}

static void run_file(struct estate *st, const char *dir, const char *path, enum ekind kind)
{
    if (!kat_file_open(&st->f, dir, path)) {
        kat_file_missing(path);
        return;
    }
    unsigned long n = 0;
    while (kat_rsp_next(st->f.r))
        if (kat_rsp_own(st->f.r, kind == PKV ? "Qx" : "Msg"))
            one(st, kind, n++);
    kat_file_end(&st->f);
}

/* A point on a curve without an id must be refused, whatever the engine
 * could guess from the key. */
static void unknown_curve(struct estate *st)
{
    /* P-256 generator. */
    static const char *const gx =
        "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
    struct kat_buf pt = {0};
    struct vc_engine_sess *s = NULL;
    int bad = 0;
    if (!kat_buf_hex(&pt, gx))
        bad++;
    uint8_t r = sess(st, NULL, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC, &pt, &s);
    if (!kat_refused(r)) {
        printf("# curve UNKNOWN: create gave %s\n", kat_st(r));
        bad++;
    }
    vc_engine_sess_destroy(st->e, s);
    kat_buf_free(&pt);
    t__n++;
    printf("%sok %d - curve id UNKNOWN refused\n", bad ? "not " : "", t__n);
    if (bad)
        t__fail_total++;
}

int main(int argc, char **argv)
{
    kat__touch();
    const char *dir = kat_dir(argc, argv);
    if (!dir)
        SKIP_ALL("CAVP vectors not found (install python3-cryptography-vectors)");
    struct estate st = {.e = kat_engine()};
    if (!st.e) {
        printf("Bail out! cannot create the OpenSSL engine\n");
        return 1;
    }
    st.cap = vc_engine_find_cap(vc_engine_caps(st.e), VIRTIO_CRYPTO_SERVICE_AKCIPHER,
                                VIRTIO_CRYPTO_AKCIPHER_ECDSA);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_file(&st, dir, files[i].path, files[i].kind);
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        kat_file_skipped(skipped[i].path, skipped[i].why);
    unknown_curve(&st);
    struct kat_buf *bufs[] = {&st.msg,   &st.d,    &st.qx,  &st.qy,  &st.r,  &st.s,
                              &st.point, &st.priv, &st.sig, &st.out, &st.dig};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        kat_buf_free(bufs[i]);
    vc_engine_destroy(st.e);
    return TEST_DONE();
}
