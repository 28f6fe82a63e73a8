/* OpenSSL engine, symmetric services: known answers (one or more published
 * vectors per algorithm, tests/engine/sym_vectors.h) run through flat and
 * through multi-piece scatter-gather buffers, both directions; algorithms
 * without published vectors (3DES-CTR, CBC-MAC) against an independent
 * reference built from plain EVP calls; algorithm chaining against a
 * composition of EVP calls. */
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "sym_util.h"

static struct vc_engine *E;

enum layout { FLAT, SPLIT_ODD, SPLIT_ONE };

static void lay(struct t_sg *s, uint8_t *buf, size_t len, enum layout l)
{
    if (l == FLAT)
        t_sg_flat(s, buf, len);
    else if (l == SPLIT_ODD)
        t_sg_split(s, buf, len, t_pat_odd, VC_ARRAY_SIZE(t_pat_odd));
    else
        t_sg_split(s, buf, len, t_pat_one, 1);
}

/* Runs one KAT row in one layout; returns the number of new failures. */
static int run_kat(const struct sym_kat *k, enum layout l)
{
    int before = t__fail_cur;
    size_t klen, ivlen, aadlen, inlen, outlen;
    uint8_t *key = t_hex(k->key, &klen), *iv = t_hex(k->iv, &ivlen);
    uint8_t *aad = t_hex(k->aad, &aadlen), *in = t_hex(k->in, &inlen);
    uint8_t *want = t_hex(k->out, &outlen);
    uint8_t *out = calloc(1, outlen + inlen + 1);
    static struct t_sg siv, saad, ssrc, sdst, sdig;
    struct vc_engine_sess *s = NULL;
    struct vc_sess_params p;
    struct vc_engine_op op;

    lay(&siv, iv, ivlen, l);
    lay(&saad, aad, aadlen, l);
    switch (k->service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        for (int dir = VIRTIO_CRYPTO_OP_ENCRYPT; dir <= VIRTIO_CRYPTO_OP_DECRYPT; dir++) {
            bool enc = dir == VIRTIO_CRYPTO_OP_ENCRYPT;
            p = t_cipher_params(k->algo, dir, key, (uint32_t)klen);
            EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
            memset(out, 0xee, outlen);
            lay(&ssrc, enc ? in : want, inlen, l);
            lay(&sdst, out, outlen, l);
            op = t_op(enc ? VIRTIO_CRYPTO_CIPHER_ENCRYPT : VIRTIO_CRYPTO_CIPHER_DECRYPT, &siv,
                      NULL, &ssrc, &sdst, NULL);
            EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
            EXPECT_EQ(op.dst_written, inlen);
            EXPECT_MEM(out, enc ? want : in, inlen);
            vc_engine_sess_destroy(E, s);
        }
        break;
    case VIRTIO_CRYPTO_SERVICE_HASH:
    case VIRTIO_CRYPTO_SERVICE_MAC:
        p = k->service == VIRTIO_CRYPTO_SERVICE_HASH
                ? t_hash_params(k->algo, k->olen)
                : t_mac_params(k->algo, k->olen, key, (uint32_t)klen);
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        lay(&ssrc, in, inlen, l);
        lay(&sdig, out, outlen, l);
        op = t_op(k->service == VIRTIO_CRYPTO_SERVICE_HASH ? VIRTIO_CRYPTO_HASH : VIRTIO_CRYPTO_MAC,
                  &siv, NULL, &ssrc, NULL, &sdig);
        EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
        EXPECT_MEM(out, want, outlen);
        vc_engine_sess_destroy(E, s);
        break;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        for (int dir = VIRTIO_CRYPTO_OP_ENCRYPT; dir <= VIRTIO_CRYPTO_OP_DECRYPT; dir++) {
            bool enc = dir == VIRTIO_CRYPTO_OP_ENCRYPT;
            p = t_aead_params(k->algo, dir, key, (uint32_t)klen, k->olen);
            EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
            memset(out, 0xee, outlen);
            lay(&ssrc, enc ? in : want, enc ? inlen : outlen, l);
            lay(&sdst, out, enc ? outlen : inlen, l);
            op = t_op(enc ? VIRTIO_CRYPTO_AEAD_ENCRYPT : VIRTIO_CRYPTO_AEAD_DECRYPT, &siv, &saad,
                      &ssrc, &sdst, NULL);
            EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
            EXPECT_EQ(op.dst_written, enc ? outlen : inlen);
            EXPECT_MEM(out, enc ? want : in, enc ? outlen : inlen);
            vc_engine_sess_destroy(E, s);
        }
        break;
    default:
        EXPECT(0);
        break;
    }
    free(key);
    free(iv);
    free(aad);
    free(in);
    free(want);
    free(out);
    if (t__fail_cur != before)
        printf("#   ^ vector %s, layout %d\n", k->name, (int)l);
    return t__fail_cur - before;
}

static void run_service(uint32_t service)
{
    int n = 0;
    for (size_t i = 0; i < VC_ARRAY_SIZE(sym_kats); i++) {
        if (sym_kats[i].service != service)
            continue;
        n++;
        for (int l = FLAT; l <= SPLIT_ONE; l++)
            run_kat(&sym_kats[i], (enum layout)l);
    }
    EXPECT(n > 0);
}

TEST(kat_cipher)
{
    run_service(VIRTIO_CRYPTO_SERVICE_CIPHER);
}

TEST(kat_hash)
{
    run_service(VIRTIO_CRYPTO_SERVICE_HASH);
}

TEST(kat_mac)
{
    run_service(VIRTIO_CRYPTO_SERVICE_MAC);
}

TEST(kat_aead)
{
    run_service(VIRTIO_CRYPTO_SERVICE_AEAD);
}

/* Every supported (service, algo) of the capability list has a KAT row. */
TEST(kat_covers_every_capability)
{
    const struct vc_engine_caps *c = vc_engine_caps(E);
    for (uint32_t i = 0; i < c->n_algos; i++) {
        const struct vc_algo_cap *a = &c->algos[i];
        if (a->service == VIRTIO_CRYPTO_SERVICE_AKCIPHER)
            continue;
        /* 3DES-CTR and CBC-MAC have reference tests below instead. */
        if ((a->service == VIRTIO_CRYPTO_SERVICE_CIPHER &&
             a->algo == VIRTIO_CRYPTO_CIPHER_3DES_CTR) ||
            (a->service == VIRTIO_CRYPTO_SERVICE_MAC && a->algo == VIRTIO_CRYPTO_MAC_CBCMAC_AES))
            continue;
        int found = 0;
        for (size_t j = 0; j < VC_ARRAY_SIZE(sym_kats); j++)
            found |= sym_kats[j].service == a->service && sym_kats[j].algo == a->algo;
        if (!found)
            printf("#   no KAT for service %u algo %u\n", a->service, a->algo);
        EXPECT(found);
    }
}

/* ---- Independent references built from plain EVP calls. */

static void evp_oneshot(const char *name, int enc, const uint8_t *key, const uint8_t *iv,
                        const uint8_t *in, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, name, NULL);
    int l1 = 0, l2 = 0;
    EXPECT(EVP_CipherInit_ex2(c, ciph, key, iv, enc, NULL) == 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EXPECT(EVP_CipherUpdate(c, out, &l1, in, (int)len) == 1);
    EXPECT(EVP_CipherFinal_ex(c, out + l1, &l2) == 1);
    EXPECT_EQ(l1 + l2, len);
    EVP_CIPHER_free(ciph);
    EVP_CIPHER_CTX_free(c);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* 3DES-CTR: keystream = DES-EDE3-ECB(counter), counter = IV incremented
 * as a big-endian 64-bit integer; the IV ff..ff wraps to 00..00. */
TEST(tdes_ctr_reference_and_wrap)
{
    uint8_t key[24], iv[8], pt[77], ct[77], ctrs[80], ks[80], want[77];
    fill(key, sizeof key, 1);
    memset(iv, 0xff, sizeof iv);
    iv[7] = 0xfe; /* blocks: ..fe, ..ff, 00..00, 00..01, ... */
    fill(pt, sizeof pt, 2);
    uint64_t c = UINT64_C(0xfffffffffffffffe);
    for (int b = 0; b < 10; b++, c++)
        for (int i = 0; i < 8; i++)
            ctrs[8 * b + i] = (uint8_t)(c >> (56 - 8 * i));
    evp_oneshot("DES-EDE3-ECB", 1, key, NULL, ctrs, 80, ks);
    for (size_t i = 0; i < sizeof pt; i++)
        want[i] = pt[i] ^ ks[i];

    for (int l = FLAT; l <= SPLIT_ONE; l++) {
        struct vc_engine_sess *s;
        struct vc_sess_params p = t_cipher_params(VIRTIO_CRYPTO_CIPHER_3DES_CTR,
                                                  VIRTIO_CRYPTO_OP_ENCRYPT, key, 24);
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        static struct t_sg a, b, d;
        lay(&a, iv, 8, (enum layout)l);
        lay(&b, pt, sizeof pt, (enum layout)l);
        lay(&d, ct, sizeof ct, (enum layout)l);
        struct vc_engine_op op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
        EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
        EXPECT_MEM(ct, want, sizeof ct);
        vc_engine_sess_destroy(E, s);
    }
}

/* CBC-MAC-AES = last block of AES-CBC encryption with a zero IV. */
TEST(cbcmac_reference)
{
    static uint8_t msg[608], cbc[608];
    uint8_t key[32], tag[16], zero[16] = {0};
    for (uint32_t kl = 16; kl <= 32; kl += 8) {
        fill(key, kl, kl);
        fill(msg, sizeof msg, 7);
        const char *name = kl == 16 ? "AES-128-CBC" : kl == 24 ? "AES-192-CBC" : "AES-256-CBC";
        evp_oneshot(name, 1, key, zero, msg, sizeof msg, cbc);
        struct vc_engine_sess *s;
        struct vc_sess_params p = t_mac_params(VIRTIO_CRYPTO_MAC_CBCMAC_AES, 0, key, kl);
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        for (int l = FLAT; l <= SPLIT_ONE; l++) {
            static struct t_sg a, d;
            lay(&a, msg, sizeof msg, (enum layout)l);
            t_sg_flat(&d, tag, sizeof tag);
            struct vc_engine_op op = t_op(VIRTIO_CRYPTO_MAC, NULL, NULL, &a, NULL, &d);
            EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
            EXPECT_MEM(tag, cbc + sizeof cbc - 16, 16);
        }
        vc_engine_sess_destroy(E, s);
    }
}

static void ref_hmac(const char *md, const uint8_t *key, size_t klen, const uint8_t *a, size_t al,
                     const uint8_t *b, size_t bl, uint8_t *out)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
    OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)(uintptr_t)md, 0),
                        OSSL_PARAM_construct_end()};
    size_t ol;
    static const uint8_t none[1];
    EXPECT(EVP_MAC_init(c, klen ? key : none, klen, prm) == 1);
    EXPECT(EVP_MAC_update(c, a, al) == 1);
    EXPECT(EVP_MAC_update(c, b, bl) == 1);
    EXPECT(EVP_MAC_final(c, out, &ol, 64) == 1);
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(mac);
}

/* Empty HMAC key and truncation: compared with plain EVP_MAC. */
TEST(hmac_empty_key_and_truncation)
{
    uint8_t msg[50], full[64], tag[64];
    fill(msg, sizeof msg, 3);
    ref_hmac("SHA2-256", NULL, 0, msg, sizeof msg, NULL, 0, full);
    for (uint32_t rl = 0; rl <= 32; rl += 11) {
        struct vc_engine_sess *s;
        struct vc_sess_params p = t_mac_params(VIRTIO_CRYPTO_MAC_HMAC_SHA_256, rl, NULL, 0);
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        static struct t_sg a, d;
        t_sg_flat(&a, msg, sizeof msg);
        t_sg_flat(&d, tag, rl ? rl : 32);
        struct vc_engine_op op = t_op(VIRTIO_CRYPTO_MAC, NULL, NULL, &a, NULL, &d);
        EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
        EXPECT_MEM(tag, full, rl ? rl : 32);
        vc_engine_sess_destroy(E, s);
    }
}

TEST(hash_truncation_is_prefix)
{
    uint8_t msg[3] = {'a', 'b', 'c'}, d1[64], d2[64];
    struct t_sg a, d;
    t_sg_flat(&a, msg, 3);
    uint32_t lens[] = {0, 20};
    uint8_t *outs[] = {d1, d2};
    for (int i = 0; i < 2; i++) {
        struct vc_engine_sess *s;
        struct vc_sess_params p = t_hash_params(VIRTIO_CRYPTO_HASH_SHA_512, lens[i]);
        EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
        t_sg_flat(&d, outs[i], lens[i] ? lens[i] : 64);
        struct vc_engine_op op = t_op(VIRTIO_CRYPTO_HASH, NULL, NULL, &a, NULL, &d);
        EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
        vc_engine_sess_destroy(E, s);
    }
    EXPECT_MEM(d2, d1, 20);
}

/* ---- Round trips over odd-sized pieces: every cipher and AEAD, several
 * lengths, split vs flat give the same bytes and decryption inverts. */

struct rt_case {
    uint32_t service, algo, klen, ivlen, tag, block;
};

static const struct rt_case rt_cases[] = {
    {VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_ECB, 24, 0, 0, 16},
    {VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_CBC, 16, 16, 0, 16},
    {VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_CTR, 32, 16, 0, 1},
    {VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_XTS, 64, 16, 0, 1},
    {VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_3DES_ECB, 24, 0, 0, 8},
    {VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_3DES_CBC, 24, 8, 0, 8},
    {VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_CIPHER_3DES_CTR, 24, 8, 0, 1},
    {VIRTIO_CRYPTO_SERVICE_AEAD, VIRTIO_CRYPTO_AEAD_GCM, 16, 12, 16, 1},
    {VIRTIO_CRYPTO_SERVICE_AEAD, VIRTIO_CRYPTO_AEAD_GCM, 32, 7, 13, 1},
    {VIRTIO_CRYPTO_SERVICE_AEAD, VIRTIO_CRYPTO_AEAD_CCM, 16, 13, 8, 1},
    {VIRTIO_CRYPTO_SERVICE_AEAD, VIRTIO_CRYPTO_AEAD_CCM, 24, 7, 16, 1},
    {VIRTIO_CRYPTO_SERVICE_AEAD, VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 32, 12, 16, 1},
};

static uint8_t run_once(const struct rt_case *c, uint32_t dir, const uint8_t *key,
                        const uint8_t *iv, const uint8_t *aad, size_t aadlen, const uint8_t *in,
                        size_t inlen, uint8_t *out, size_t outlen, enum layout l)
{
    static struct t_sg a, b, x, d;
    struct vc_engine_sess *s;
    struct vc_sess_params p = c->service == VIRTIO_CRYPTO_SERVICE_CIPHER
                                  ? t_cipher_params(c->algo, dir, key, c->klen)
                                  : t_aead_params(c->algo, dir, key, c->klen, c->tag);
    uint8_t st = vc_engine_sess_create(E, &p, &s);
    if (st != VIRTIO_CRYPTO_OK)
        return st;
    lay(&a, (uint8_t *)(uintptr_t)iv, c->ivlen, l);
    lay(&x, (uint8_t *)(uintptr_t)aad, aadlen, l);
    lay(&b, (uint8_t *)(uintptr_t)in, inlen, l);
    lay(&d, out, outlen, l);
    uint32_t opc = c->service == VIRTIO_CRYPTO_SERVICE_CIPHER
                       ? (dir == VIRTIO_CRYPTO_OP_ENCRYPT ? VIRTIO_CRYPTO_CIPHER_ENCRYPT
                                                          : VIRTIO_CRYPTO_CIPHER_DECRYPT)
                       : (dir == VIRTIO_CRYPTO_OP_ENCRYPT ? VIRTIO_CRYPTO_AEAD_ENCRYPT
                                                          : VIRTIO_CRYPTO_AEAD_DECRYPT);
    struct vc_engine_op op = t_op(opc, &a, c->service == VIRTIO_CRYPTO_SERVICE_AEAD ? &x : NULL,
                                  &b, &d, NULL);
    st = vc_engine_op(E, s, 0, &op);
    vc_engine_sess_destroy(E, s);
    return st;
}

TEST(roundtrip_odd_pieces)
{
    static const size_t lens[] = {0, 1, 15, 16, 17, 33, 100, 1000, 4099};
    uint8_t key[64], iv[16], aad[40];
    static uint8_t pt[4200], ct[3][4300], back[4300];
    fill(key, sizeof key, 9);
    fill(iv, sizeof iv, 10);
    fill(aad, sizeof aad, 11);
    fill(pt, sizeof pt, 12);
    for (size_t ci = 0; ci < VC_ARRAY_SIZE(rt_cases); ci++) {
        const struct rt_case *c = &rt_cases[ci];
        for (size_t li = 0; li < VC_ARRAY_SIZE(lens); li++) {
            size_t n = lens[li];
            if (n % c->block != 0 || (c->algo == VIRTIO_CRYPTO_CIPHER_AES_XTS &&
                                      c->service == VIRTIO_CRYPTO_SERVICE_CIPHER && n < 16))
                continue;
            size_t on = n + c->tag;
            int before = t__fail_cur;
            for (int l = FLAT; l <= SPLIT_ONE; l++) {
                if (l == SPLIT_ONE && n > 1000)
                    continue; /* 1-byte pieces: the piece array caps out */
                EXPECT_STATUS(run_once(c, VIRTIO_CRYPTO_OP_ENCRYPT, key, iv, aad, n % 41, pt, n,
                                       ct[l], on, (enum layout)l),
                              VIRTIO_CRYPTO_OK);
                if (l != FLAT)
                    EXPECT_MEM(ct[l], ct[FLAT], on);
                memset(back, 0, sizeof back);
                EXPECT_STATUS(run_once(c, VIRTIO_CRYPTO_OP_DECRYPT, key, iv, aad, n % 41, ct[l],
                                       on, back, n, (enum layout)l),
                              VIRTIO_CRYPTO_OK);
                EXPECT_MEM(back, pt, n);
            }
            if (t__fail_cur != before)
                printf("#   ^ case %zu len %zu\n", ci, n);
        }
    }
}

/* Reference AES-128-CCM encryption with plain EVP calls (fresh context). */
static void ref_ccm(const uint8_t *key, const uint8_t *nonce, size_t nl, const uint8_t *pt,
                    size_t n, uint8_t *out, size_t tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ol;
    EXPECT(EVP_EncryptInit_ex(c, EVP_aes_128_ccm(), NULL, NULL, NULL) == 1);
    EXPECT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)nl, NULL) == 1);
    EXPECT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag, NULL) == 1);
    EXPECT(EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) == 1);
    EXPECT(EVP_EncryptUpdate(c, NULL, &ol, NULL, (int)n) == 1);
    EXPECT(EVP_EncryptUpdate(c, out, &ol, pt, (int)n) == 1);
    EXPECT(EVP_EncryptFinal_ex(c, out + n, &ol) == 1);
    EXPECT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tag, out + n) == 1);
    EVP_CIPHER_CTX_free(c);
}

/* CCM fixes the nonce length at key setup; one session must still serve
 * ops whose nonce lengths differ (the engine re-keys that worker). */
TEST(ccm_nonce_length_changes_per_op)
{
    static const size_t nl[] = {7, 13, 13, 7, 11, 8, 12};
    uint8_t key[16], nonce[13], pt[40], ct[56], want[56];
    fill(key, sizeof key, 41);
    fill(nonce, sizeof nonce, 42);
    fill(pt, sizeof pt, 43);
    struct vc_sess_params p = t_aead_params(VIRTIO_CRYPTO_AEAD_CCM, 1, key, 16, 16);
    struct vc_engine_sess *s;
    EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
    for (size_t i = 0; i < VC_ARRAY_SIZE(nl); i++) {
        ref_ccm(key, nonce, nl[i], pt, sizeof pt, want, 16);
        struct t_sg a, b, d;
        t_sg_flat(&a, nonce, nl[i]);
        t_sg_flat(&b, pt, sizeof pt);
        t_sg_flat(&d, ct, sizeof ct);
        struct vc_engine_op op = t_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, &a, NULL, &b, &d, NULL);
        EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
        EXPECT_MEM(ct, want, sizeof ct);
    }
    vc_engine_sess_destroy(E, s);
}

/* ---- Algorithm chaining against a composition of EVP calls. */

static void check_chain(uint32_t order, uint32_t dir, uint32_t mode, enum layout l, int inplace)
{
    uint8_t ckey[16], akey[40], iv[16], aad[13];
    static uint8_t src[200], dst[200], want[200];
    uint8_t md[32], wantmd[32];
    const uint64_t cs = 24, cl = 128, hs = 8, hl = 170;
    fill(ckey, sizeof ckey, 21);
    fill(akey, sizeof akey, 22);
    fill(iv, sizeof iv, 23);
    fill(aad, sizeof aad, 24);
    fill(src, sizeof src, 25);

    /* reference */
    memcpy(want, src, sizeof src);
    evp_oneshot("AES-128-CBC", dir == VIRTIO_CRYPTO_OP_ENCRYPT, ckey, iv, src + cs, cl, want + cs);
    bool hash_first = order == VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER;
    const uint8_t *hashed = hash_first ? src : want;
    if (mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH) {
        ref_hmac("SHA2-256", akey, sizeof akey, aad, sizeof aad, hashed + hs, hl, wantmd);
    } else {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        EVP_DigestInit_ex(m, EVP_sha256(), NULL);
        EVP_DigestUpdate(m, aad, sizeof aad);
        EVP_DigestUpdate(m, hashed + hs, hl);
        EVP_DigestFinal_ex(m, wantmd, NULL);
        EVP_MD_CTX_free(m);
    }

    bool auth = mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
    struct vc_sess_params p = t_chain_params(
        VIRTIO_CRYPTO_CIPHER_AES_CBC, dir, ckey, 16, order, mode,
        auth ? VIRTIO_CRYPTO_MAC_HMAC_SHA_256 : VIRTIO_CRYPTO_HASH_SHA_256, 0, auth ? akey : NULL,
        auth ? sizeof akey : 0);
    struct vc_engine_sess *s;
    EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
    static struct t_sg a, x, b, d, g;
    uint8_t *out = inplace ? src : dst;
    lay(&a, iv, 16, l);
    lay(&x, aad, sizeof aad, l);
    lay(&b, src, sizeof src, l);
    lay(&d, out, sizeof src, l);
    lay(&g, md, sizeof md, l);
    struct vc_engine_op op =
        t_op(dir == VIRTIO_CRYPTO_OP_ENCRYPT ? VIRTIO_CRYPTO_CIPHER_ENCRYPT
                                             : VIRTIO_CRYPTO_CIPHER_DECRYPT,
             &a, &x, &b, &d, &g);
    op.cipher_start = cs;
    op.cipher_len = cl;
    op.hash_start = hs;
    op.hash_len = hl;
    EXPECT_STATUS(vc_engine_op(E, s, 0, &op), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(op.dst_written, sizeof src);
    EXPECT_MEM(out, want, sizeof src);
    EXPECT_MEM(md, wantmd, 32);
    vc_engine_sess_destroy(E, s);
}

TEST(chain_both_orders_both_modes)
{
    for (uint32_t order = 1; order <= 2; order++)
        for (uint32_t dir = 1; dir <= 2; dir++)
            for (uint32_t mode = 1; mode <= 2; mode++)
                for (int l = FLAT; l <= SPLIT_ONE; l++) {
                    int before = t__fail_cur;
                    check_chain(order, dir, mode, (enum layout)l, 0);
                    if (t__fail_cur != before)
                        printf("#   ^ order %u dir %u mode %u layout %d\n", order, dir, mode, l);
                }
}

TEST(chain_in_place)
{
    for (uint32_t order = 1; order <= 2; order++)
        check_chain(order, VIRTIO_CRYPTO_OP_ENCRYPT, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, SPLIT_ODD,
                    1);
}

int main(void)
{
    E = t_engine(2, 0);
    if (E == NULL)
        SKIP_ALL("engine create failed");
    RUN(kat_cipher);
    RUN(kat_hash);
    RUN(kat_mac);
    RUN(kat_aead);
    RUN(kat_covers_every_capability);
    RUN(tdes_ctr_reference_and_wrap);
    RUN(cbcmac_reference);
    RUN(hmac_empty_key_and_truncation);
    RUN(hash_truncation_is_prefix);
    RUN(roundtrip_odd_pieces);
    RUN(ccm_nonce_length_changes_per_op);
    RUN(chain_both_orders_both_modes);
    RUN(chain_in_place);
    vc_engine_destroy(E);
    return TEST_DONE();
}
