/* NIST CAVP hash KATs (SHAVS, SHA3VS) plus the RFC 1321 MD5 examples, run
 * through the engine's HASH service.
 *
 * Mapping (engine.h): session {service HASH, algo, result_len}; op
 * {opcode VIRTIO_CRYPTO_HASH, src = Msg (Len/8 bytes), digest}. Fixed-size
 * hashes use result_len 0 (full digest) or the explicit full length, in
 * alternate files; SHAKE uses result_len = Outputlen/8.
 *
 * One session serves a whole file where the parameters allow, so state
 * leaking from one op into the next would show up as a wrong digest.
 */
#include "kat.h"

#include <stdlib.h>
#include <string.h>

enum kind {
    MSG,       /* ShortMsg / LongMsg / VariableOut / RFC 1321 */
    MONTE_SHA, /* SHAVS Monte: MD_i = H(MD_i-3 || MD_i-2 || MD_i-1) */
    MONTE_SHA3 /* SHA3VS Monte: MD_i = H(MD_i-1) */
};

struct hfile {
    const char *path;
    uint32_t algo;
    uint32_t dlen; /* digest length; 0 for SHAKE (from the file) */
    enum kind kind;
};

static const struct hfile files[] = {
    {"hashes/MD5/rfc-1321.txt", VIRTIO_CRYPTO_HASH_MD5, 16, MSG},
    {"hashes/SHA1/SHA1ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA1, 20, MSG},
    {"hashes/SHA1/SHA1LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA1, 20, MSG},
    {"hashes/SHA1/SHA1Monte.rsp", VIRTIO_CRYPTO_HASH_SHA1, 20, MONTE_SHA},
    {"hashes/SHA2/SHA224ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_224, 28, MSG},
    {"hashes/SHA2/SHA224LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_224, 28, MSG},
    {"hashes/SHA2/SHA224Monte.rsp", VIRTIO_CRYPTO_HASH_SHA_224, 28, MONTE_SHA},
    {"hashes/SHA2/SHA256ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_256, 32, MSG},
    {"hashes/SHA2/SHA256LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_256, 32, MSG},
    {"hashes/SHA2/SHA256Monte.rsp", VIRTIO_CRYPTO_HASH_SHA_256, 32, MONTE_SHA},
    {"hashes/SHA2/SHA384ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_384, 48, MSG},
    {"hashes/SHA2/SHA384LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_384, 48, MSG},
    {"hashes/SHA2/SHA384Monte.rsp", VIRTIO_CRYPTO_HASH_SHA_384, 48, MONTE_SHA},
    {"hashes/SHA2/SHA512ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_512, 64, MSG},
    {"hashes/SHA2/SHA512LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA_512, 64, MSG},
    {"hashes/SHA2/SHA512Monte.rsp", VIRTIO_CRYPTO_HASH_SHA_512, 64, MONTE_SHA},
    {"hashes/SHA3/SHA3_224ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_224, 28, MSG},
    {"hashes/SHA3/SHA3_224LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_224, 28, MSG},
    {"hashes/SHA3/SHA3_224Monte.rsp", VIRTIO_CRYPTO_HASH_SHA3_224, 28, MONTE_SHA3},
    {"hashes/SHA3/SHA3_256ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_256, 32, MSG},
    {"hashes/SHA3/SHA3_256LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_256, 32, MSG},
    {"hashes/SHA3/SHA3_256Monte.rsp", VIRTIO_CRYPTO_HASH_SHA3_256, 32, MONTE_SHA3},
    {"hashes/SHA3/SHA3_384ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_384, 48, MSG},
    {"hashes/SHA3/SHA3_384LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_384, 48, MSG},
    {"hashes/SHA3/SHA3_384Monte.rsp", VIRTIO_CRYPTO_HASH_SHA3_384, 48, MONTE_SHA3},
    {"hashes/SHA3/SHA3_512ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_512, 64, MSG},
    {"hashes/SHA3/SHA3_512LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_512, 64, MSG},
    {"hashes/SHA3/SHA3_512Monte.rsp", VIRTIO_CRYPTO_HASH_SHA3_512, 64, MONTE_SHA3},
    {"hashes/SHAKE/SHAKE128ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, 0, MSG},
    {"hashes/SHAKE/SHAKE128LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, 0, MSG},
    {"hashes/SHAKE/SHAKE128VariableOut.rsp", VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, 0, MSG},
    {"hashes/SHAKE/SHAKE256ShortMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_SHAKE256, 0, MSG},
    {"hashes/SHAKE/SHAKE256LongMsg.rsp", VIRTIO_CRYPTO_HASH_SHA3_SHAKE256, 0, MSG},
    {"hashes/SHAKE/SHAKE256VariableOut.rsp", VIRTIO_CRYPTO_HASH_SHA3_SHAKE256, 0, MSG},
};

/* Files not run, and why (listed as TAP skips so nothing disappears). */
static const struct {
    const char *path, *why;
} skipped[] = {
    {"hashes/SHA2/SHA512_224ShortMsg.rsp", "SHA-512/224 has no virtio hash id"},
    {"hashes/SHA2/SHA512_224LongMsg.rsp", "SHA-512/224 has no virtio hash id"},
    {"hashes/SHA2/SHA512_224Monte.rsp", "SHA-512/224 has no virtio hash id"},
    {"hashes/SHA2/SHA512_256ShortMsg.rsp", "SHA-512/256 has no virtio hash id"},
    {"hashes/SHA2/SHA512_256LongMsg.rsp", "SHA-512/256 has no virtio hash id"},
    {"hashes/SHA2/SHA512_256Monte.rsp", "SHA-512/256 has no virtio hash id"},
    {"hashes/SHAKE/SHAKE128Monte.rsp", "chain needs outputs up to 140 bytes; engine caps 64"},
    {"hashes/SHAKE/SHAKE256Monte.rsp", "chain needs outputs up to 250 bytes; engine caps 64"},
};

struct hstate {
    struct vc_engine *e;
    const struct vc_engine_caps *caps;
    struct kat_file f;
    struct vc_engine_sess *s; /* cached session for (algo, result_len) */
    uint32_t s_algo, s_len;
    uint8_t s_status;
    bool explicit_len; /* ask for the full digest by its length, not 0 */
};

static void sess_drop(struct hstate *h)
{
    vc_engine_sess_destroy(h->e, h->s);
    h->s = NULL;
    h->s_algo = h->s_len = UINT32_MAX;
}

/* Returns the session for (algo, result_len), creating it if needed; NULL
 * if the engine refused it (*st then holds the create status). */
static struct vc_engine_sess *sess_get(struct hstate *h, uint32_t algo, uint32_t result_len,
                                       uint8_t *st)
{
    if (h->s_algo != algo || h->s_len != result_len) {
        sess_drop(h);
        struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
        p.u.hash.algo = algo;
        p.u.hash.result_len = result_len;
        h->s_algo = algo;
        h->s_len = result_len;
        h->s_status = vc_engine_sess_create(h->e, &p, &h->s);
        if (h->s_status != VIRTIO_CRYPTO_OK)
            h->s = NULL;
    }
    *st = h->s_status;
    return h->s;
}

/* Hashes src (already an sg) into out (dlen bytes + guard). */
static uint8_t hash_op(struct hstate *h, struct vc_engine_sess *s, unsigned worker,
                       const struct vc_sg *src, struct kat_buf *out, size_t dlen,
                       unsigned long seed)
{
    struct kat_sg d;
    kat_buf_out(out, dlen);
    kat_sg_split(&d, out->p, dlen, seed >> 1);
    struct vc_engine_op op = {.opcode = VIRTIO_CRYPTO_HASH, .src = *src, .digest = d.sg};
    return vc_engine_op(h->e, s, worker, &op);
}

/* One vector: Msg of Len bits hashed to want (wlen bytes). */
static void one_msg(struct hstate *h, uint32_t algo, uint32_t dlen, bool shake, unsigned long n,
                    struct kat_buf *msg, struct kat_buf *want, struct kat_buf *out)
{
    struct kat_file *f = &h->f;
    unsigned long bits;
    /* VariableOut files give the input length once, in a header. */
    if (!kat_get_ulong(f, kat_rsp_get(f->r, "Len") ? "Len" : "Input Length", &bits))
        return;
    const char *outname = shake ? "Output" : "MD";
    if (!kat_get_hex(f, "Msg", msg) || !kat_get_hex(f, outname, want))
        return;
    if (bits % 8) {
        f->skip++;
        f->skip_why = "bit-granular message";
        return;
    }
    if (bits / 8 > msg->len) {
        kat_fail(f, "Len %lu beyond Msg", bits);
        return;
    }
    size_t mlen = bits / 8; /* "Msg = 00" stands for the empty message */
    uint32_t rlen = dlen;
    if (shake) {
        unsigned long obits;
        if (!kat_get_ulong(f, "Outputlen", &obits))
            return;
        if (obits % 8) {
            f->skip++;
            f->skip_why = "bit-granular output";
            return;
        }
        rlen = (uint32_t)(obits / 8);
        if (rlen != want->len) {
            kat_fail(f, "Outputlen %lu != Output", obits);
            return;
        }
    } else if (want->len != dlen) {
        kat_fail(f, "MD has %zu bytes, expected %u", want->len, dlen);
        return;
    }
    uint32_t result_len = shake || h->explicit_len ? rlen : 0;
    const struct vc_algo_cap *cap = vc_engine_find_cap(h->caps, VIRTIO_CRYPTO_SERVICE_HASH, algo);
    bool ok = cap && kat_cap_out_ok(cap, rlen);

    uint8_t st;
    struct vc_engine_sess *s = sess_get(h, algo, result_len, &st);
    if (s) {
        struct kat_sg src;
        kat_sg_split(&src, msg->p, mlen, n);
        st = hash_op(h, s, n % 2, &src.sg, out, rlen, n);
    }
    if (!ok) {
        f->na++;
        if (!kat_refused(st))
            kat_fail(f, "n/a vector (algo %u, %u-byte output) gave %s, want NOTSUPP/ERR", algo,
                     rlen, kat_st(st));
        return;
    }
    f->run++;
    if (st != VIRTIO_CRYPTO_OK) {
        kat_fail(f, "Len %lu: status %s", bits, kat_st(st));
        return;
    }
    if (!kat_buf_guard_ok(out))
        kat_fail(f, "Len %lu: digest written past its end", bits);
    else
        kat_check_mem(f, "digest", out->p, want->p, rlen);
}

/* SHAVS 6.4 / SHA3VS 6.2.3 Monte Carlo: 100 checkpoints x 1000 chained
 * hashes. The SHA-2 variant hashes three digests fed as three iovs. */
static void monte(struct hstate *h, const struct hfile *hf, struct kat_buf *want,
                  struct kat_buf *out)
{
    struct kat_file *f = &h->f;
    uint8_t md[3][VC_ENGINE_MAX_DIGEST];
    struct kat_buf seed = {0};
    bool have_seed = false;
    uint32_t dlen = hf->dlen;
    const struct vc_algo_cap *cap =
        vc_engine_find_cap(h->caps, VIRTIO_CRYPTO_SERVICE_HASH, hf->algo);
    uint8_t st;
    struct vc_engine_sess *s = sess_get(h, hf->algo, h->explicit_len ? dlen : 0, &st);
    if (!cap || !s) {
        /* Whole file n/a: count the checkpoints, require a refusal. */
        while (kat_rsp_next(f->r))
            if (kat_rsp_own(f->r, "MD"))
                f->na++;
        if (cap || !kat_refused(st))
            kat_fail(f, "hash algo %u: create gave %s with%s a capability", hf->algo, kat_st(st),
                     cap ? "" : "out");
        return;
    }
    while (kat_rsp_next(f->r)) {
        if (kat_rsp_own(f->r, "Seed")) {
            if (!kat_get_hex(f, "Seed", &seed))
                return;
            if (seed.len != dlen) {
                kat_fail(f, "Seed length %zu", seed.len);
                return;
            }
            have_seed = true;
            continue;
        }
        if (!kat_rsp_own(f->r, "MD"))
            continue;
        if (!have_seed) {
            kat_fail(f, "MD before Seed");
            return;
        }
        if (!kat_get_hex(f, "MD", want))
            return;
        f->run++;
        if (hf->kind == MONTE_SHA) {
            for (int k = 0; k < 3; k++)
                memcpy(md[k], seed.p, dlen);
            for (int i = 3; i < 1003 && st == VIRTIO_CRYPTO_OK; i++) {
                struct vc_iov iov[3] = {{md[0], dlen}, {md[1], dlen}, {md[2], dlen}};
                struct vc_sg src;
                vc_sg_init(&src, iov, 3);
                st = hash_op(h, s, (unsigned)i % 2, &src, out, dlen, 0);
                memmove(md[0], md[1], dlen);
                memmove(md[1], md[2], dlen);
                memcpy(md[2], out->p, dlen);
            }
        } else {
            memcpy(md[2], seed.p, dlen);
            for (int i = 0; i < 1000 && st == VIRTIO_CRYPTO_OK; i++) {
                struct vc_iov iov = {md[2], dlen};
                struct vc_sg src;
                vc_sg_init(&src, &iov, 1);
                st = hash_op(h, s, (unsigned)i % 2, &src, out, dlen, 0);
                memcpy(md[2], out->p, dlen);
            }
        }
        if (st != VIRTIO_CRYPTO_OK) {
            kat_fail(f, "Monte: status %s", kat_st(st));
            break;
        }
        if (want->len != dlen || !kat_check_mem(f, "Monte MD", md[2], want->p, dlen))
            break; /* the chain is broken from here on */
        kat_buf_set(&seed, md[2], dlen);
    }
    kat_buf_free(&seed);
}

/* Full-length digests are asked for as 0 ("full") in even-numbered files
 * and by their length in odd ones; either way one session serves the file. */
static void run_file(struct hstate *h, const char *dir, const struct hfile *hf, bool explicit_len)
{
    static struct kat_buf msg, want, out;
    if (!kat_file_open(&h->f, dir, hf->path)) {
        kat_file_missing(hf->path);
        return;
    }
    sess_drop(h);
    h->explicit_len = explicit_len;
    if (hf->kind != MSG) {
        monte(h, hf, &want, &out);
    } else {
        unsigned long n = 0;
        while (kat_rsp_next(h->f.r))
            if (kat_rsp_own(h->f.r, "Msg"))
                one_msg(h, hf->algo, hf->dlen, hf->dlen == 0, n++, &msg, &want, &out);
    }
    sess_drop(h);
    kat_file_end(&h->f);
}

/* Algorithm ids the spec does not assign must be refused, never guessed. */
static void unknown_ids(struct hstate *h)
{
    static const uint32_t bad[] = {VIRTIO_CRYPTO_NO_HASH, VIRTIO_CRYPTO_HASH_SHA3_SHAKE256 + 1,
                                   0xffffffffu};
    int fails = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vc_sess_params p = {.service = VIRTIO_CRYPTO_SERVICE_HASH};
        p.u.hash.algo = bad[i];
        struct vc_engine_sess *s = NULL;
        uint8_t st = vc_engine_sess_create(h->e, &p, &s);
        if (!kat_refused(st)) {
            printf("# hash algo %u: create gave %s\n", bad[i], kat_st(st));
            fails++;
        }
        vc_engine_sess_destroy(h->e, s);
    }
    t__n++;
    printf("%sok %d - unassigned hash ids refused\n", fails ? "not " : "", t__n);
    if (fails)
        t__fail_total++;
}

int main(int argc, char **argv)
{
    kat__touch();
    const char *dir = kat_dir(argc, argv);
    if (!dir)
        SKIP_ALL("CAVP vectors not found (install python3-cryptography-vectors)");
    struct hstate h = {.e = kat_engine()};
    if (!h.e) {
        printf("Bail out! cannot create the OpenSSL engine\n");
        return 1;
    }
    h.caps = vc_engine_caps(h.e);
    h.s_algo = h.s_len = UINT32_MAX;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_file(&h, dir, &files[i], i % 2);
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        kat_file_skipped(skipped[i].path, skipped[i].why);
    unknown_ids(&h);
    vc_engine_destroy(h.e);
    return TEST_DONE();
}
