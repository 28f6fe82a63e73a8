/* OpenSSL engine, symmetric services: every validation rule and every row
 * of docs/STATUS.md that the symmetric engine produces (OK, ERR, NOTSUPP,
 * INVSESS, BADMSG), with a negative test each. Failed validation must leave
 * dst untouched; a failed AEAD tag must leave dst zeroed. */
#include "sym_util.h"

#define MAXSZ 8192

static struct vc_engine *E;
static uint8_t K[64];

static uint8_t create(struct vc_sess_params p)
{
    struct vc_engine_sess *s = NULL;
    uint8_t st = vc_engine_sess_create(E, &p, &s);
    EXPECT((st == VIRTIO_CRYPTO_OK) == (s != NULL));
    vc_engine_sess_destroy(E, s);
    return st;
}

static struct vc_engine_sess *must(struct vc_sess_params p)
{
    struct vc_engine_sess *s = NULL;
    EXPECT_STATUS(vc_engine_sess_create(E, &p, &s), VIRTIO_CRYPTO_OK);
    return s;
}

/* ---- Session create */

TEST(create_unsupported_algorithms_notsupp)
{
    static const uint32_t ciphers[] = {
        VIRTIO_CRYPTO_NO_CIPHER,        VIRTIO_CRYPTO_CIPHER_ARC4,   VIRTIO_CRYPTO_CIPHER_DES_ECB,
        VIRTIO_CRYPTO_CIPHER_DES_CBC,   VIRTIO_CRYPTO_CIPHER_KASUMI_F8,
        VIRTIO_CRYPTO_CIPHER_SNOW3G_UEA2, VIRTIO_CRYPTO_CIPHER_AES_F8,
        VIRTIO_CRYPTO_CIPHER_ZUC_EEA3,  15,                          63,
        0xffffffffu};
    for (size_t i = 0; i < VC_ARRAY_SIZE(ciphers); i++)
        EXPECT_STATUS(create(t_cipher_params(ciphers[i], VIRTIO_CRYPTO_OP_ENCRYPT, K, 16)),
                      VIRTIO_CRYPTO_NOTSUPP);
    static const uint32_t hashes[] = {VIRTIO_CRYPTO_NO_HASH, 13, 31, 1000};
    for (size_t i = 0; i < VC_ARRAY_SIZE(hashes); i++)
        EXPECT_STATUS(create(t_hash_params(hashes[i], 0)), VIRTIO_CRYPTO_NOTSUPP);
    static const uint32_t macs[] = {VIRTIO_CRYPTO_NO_MAC,          VIRTIO_CRYPTO_MAC_KASUMI_F9,
                                    VIRTIO_CRYPTO_MAC_SNOW3G_UIA2, VIRTIO_CRYPTO_MAC_GMAC_TWOFISH,
                                    VIRTIO_CRYPTO_MAC_CBCMAC_KASUMI_F9,
                                    VIRTIO_CRYPTO_MAC_ZUC_EIA3,    7};
    for (size_t i = 0; i < VC_ARRAY_SIZE(macs); i++)
        EXPECT_STATUS(create(t_mac_params(macs[i], 0, K, 16)), VIRTIO_CRYPTO_NOTSUPP);
    static const uint32_t aeads[] = {VIRTIO_CRYPTO_NO_AEAD, 4, 99};
    for (size_t i = 0; i < VC_ARRAY_SIZE(aeads); i++)
        EXPECT_STATUS(create(t_aead_params(aeads[i], VIRTIO_CRYPTO_OP_ENCRYPT, K, 16, 16)),
                      VIRTIO_CRYPTO_NOTSUPP);
    struct vc_sess_params p = t_hash_params(VIRTIO_CRYPTO_HASH_SHA1, 0);
    p.service = VIRTIO_CRYPTO_SERVICE_IPSEC;
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_NOTSUPP);
    p.service = 77;
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_NOTSUPP);
}

TEST(create_unsupported_modes_notsupp)
{
    struct vc_sess_params p = t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, K, 16);
    p.u.sym.op_type = VIRTIO_CRYPTO_SYM_OP_NONE;
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_NOTSUPP);
    p.u.sym.op_type = 3;
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_NOTSUPP);
    p = t_chain_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, K, 16, 2,
                       VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED, VIRTIO_CRYPTO_MAC_HMAC_SHA1, 0, K, 20);
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_NOTSUPP);
    /* GMAC needs its own IV: not inside a chain. */
    p = t_chain_params(VIRTIO_CRYPTO_CIPHER_AES_CTR, 1, K, 16, 2, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
                       VIRTIO_CRYPTO_MAC_GMAC_AES, 0, K, 16);
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_NOTSUPP);
    /* unsupported cipher inside a chain */
    p = t_chain_params(VIRTIO_CRYPTO_CIPHER_ARC4, 1, K, 16, 2, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
                       VIRTIO_CRYPTO_MAC_HMAC_SHA1, 0, K, 16);
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_NOTSUPP);
}

TEST(create_bad_key_lengths_err)
{
    struct {
        uint32_t algo, len;
    } bad[] = {{VIRTIO_CRYPTO_CIPHER_AES_CBC, 0},  {VIRTIO_CRYPTO_CIPHER_AES_CBC, 17},
               {VIRTIO_CRYPTO_CIPHER_AES_ECB, 40}, {VIRTIO_CRYPTO_CIPHER_AES_CTR, 8},
               {VIRTIO_CRYPTO_CIPHER_AES_XTS, 16}, {VIRTIO_CRYPTO_CIPHER_AES_XTS, 48},
               {VIRTIO_CRYPTO_CIPHER_3DES_CBC, 16}, {VIRTIO_CRYPTO_CIPHER_3DES_CTR, 8},
               {VIRTIO_CRYPTO_CIPHER_AES_CBC, 65}, {VIRTIO_CRYPTO_CIPHER_AES_CBC, 0xffffffffu}};
    for (size_t i = 0; i < VC_ARRAY_SIZE(bad); i++)
        EXPECT_STATUS(create(t_cipher_params(bad[i].algo, 1, K, bad[i].len)), VIRTIO_CRYPTO_ERR);
    /* A huge key_len is refused before a byte is read: the buffer here is
     * 16 bytes, so any read past it would trip ASan. */
    uint8_t small[16] = {1};
    EXPECT_STATUS(create(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, small, 100000)),
                  VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 0, small, 513)),
                  VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 1, small, 100000, 16)),
                  VIRTIO_CRYPTO_ERR);
    /* NULL key with a length */
    EXPECT_STATUS(create(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, NULL, 16)),
                  VIRTIO_CRYPTO_ERR);
    /* MAC key rules */
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_CMAC_AES, 0, K, 15)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_CMAC_3DES, 0, K, 16)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_XCBC_AES, 0, K, 32)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_GMAC_AES, 0, K, 20)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_CBCMAC_AES, 0, K, 0)), VIRTIO_CRYPTO_ERR);
    /* AEAD key rules */
    EXPECT_STATUS(create(t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 1, K, 20, 16)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_aead_params(VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 1, K, 16, 16)),
                  VIRTIO_CRYPTO_ERR);
    /* a hash session takes no key (chain PLAIN mode with an auth key) */
    struct vc_sess_params p = t_chain_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, K, 16, 1,
                                             VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
                                             VIRTIO_CRYPTO_HASH_SHA_256, 0, K, 16);
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_ERR);
}

TEST(create_xts_equal_halves_err)
{
    uint8_t k[64];
    memset(k, 0x5a, sizeof k);
    EXPECT_STATUS(create(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 1, k, 32)),
                  VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 2, k, 64)),
                  VIRTIO_CRYPTO_ERR);
    k[63] ^= 1;
    EXPECT_STATUS(create(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 2, k, 64)),
                  VIRTIO_CRYPTO_OK);
}

TEST(create_bad_direction_and_chain_fields_err)
{
    EXPECT_STATUS(create(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 0, K, 16)),
                  VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 3, K, 16)),
                  VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 0, K, 16, 16)), VIRTIO_CRYPTO_ERR);
    struct vc_sess_params p = t_chain_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, K, 16, 0,
                                             VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
                                             VIRTIO_CRYPTO_MAC_HMAC_SHA1, 0, K, 20);
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_ERR);
    p.u.sym.chain_order = 3;
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_ERR);
    p.u.sym.chain_order = 1;
    p.u.sym.hash_mode = 0;
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_ERR);
    p.u.sym.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
    EXPECT_STATUS(create(p), VIRTIO_CRYPTO_OK);
}

TEST(create_result_and_tag_lengths)
{
    /* HASH: 0 = full, 1..full, > full = ERR; SHAKE up to 64 */
    EXPECT_STATUS(create(t_hash_params(VIRTIO_CRYPTO_HASH_SHA_256, 32)), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(create(t_hash_params(VIRTIO_CRYPTO_HASH_SHA_256, 1)), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(create(t_hash_params(VIRTIO_CRYPTO_HASH_SHA_256, 33)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_hash_params(VIRTIO_CRYPTO_HASH_MD5, 17)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_hash_params(VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, 64)), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(create(t_hash_params(VIRTIO_CRYPTO_HASH_SHA3_SHAKE256, 65)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_hash_params(VIRTIO_CRYPTO_HASH_SHA1, 0xffffffffu)), VIRTIO_CRYPTO_ERR);
    /* MAC */
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_HMAC_SHA1, 21, K, 20)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_CMAC_3DES, 9, K, 24)), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(create(t_mac_params(VIRTIO_CRYPTO_MAC_XCBC_AES, 12, K, 16)), VIRTIO_CRYPTO_OK);
    /* AEAD tag sets */
    static const struct {
        uint32_t algo, klen, tag;
        uint8_t st;
    } tags[] = {
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 16, VIRTIO_CRYPTO_OK},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 4, VIRTIO_CRYPTO_OK},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 8, VIRTIO_CRYPTO_OK},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 12, VIRTIO_CRYPTO_OK},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 0, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 5, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 11, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 17, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_GCM, 16, 64, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_CCM, 16, 4, VIRTIO_CRYPTO_OK},
        {VIRTIO_CRYPTO_AEAD_CCM, 16, 14, VIRTIO_CRYPTO_OK},
        {VIRTIO_CRYPTO_AEAD_CCM, 16, 5, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_CCM, 16, 2, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_CCM, 16, 18, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 32, 16, VIRTIO_CRYPTO_OK},
        {VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 32, 12, VIRTIO_CRYPTO_ERR},
        {VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 32, 8, VIRTIO_CRYPTO_ERR},
    };
    for (size_t i = 0; i < VC_ARRAY_SIZE(tags); i++)
        EXPECT_STATUS(create(t_aead_params(tags[i].algo, 1, K, tags[i].klen, tags[i].tag)),
                      tags[i].st);
}

/* Every capability row creates a session with its min and max key: the
 * advertised list and the create-time rules agree. */
TEST(caps_match_session_create)
{
    const struct vc_engine_caps *c = vc_engine_caps(E);
    uint8_t key[64];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    int n = 0;
    for (uint32_t i = 0; i < c->n_algos; i++) {
        const struct vc_algo_cap *a = &c->algos[i];
        for (uint32_t kl = a->key_min; kl <= a->key_max && kl <= 64;
             kl += a->key_step ? a->key_step : 1000) {
            struct vc_sess_params p;
            switch (a->service) {
            case VIRTIO_CRYPTO_SERVICE_CIPHER:
                p = t_cipher_params(a->algo, 1, key, kl);
                break;
            case VIRTIO_CRYPTO_SERVICE_HASH:
                p = t_hash_params(a->algo, 0);
                break;
            case VIRTIO_CRYPTO_SERVICE_MAC:
                p = t_mac_params(a->algo, 0, key, kl);
                break;
            case VIRTIO_CRYPTO_SERVICE_AEAD:
                p = t_aead_params(a->algo, 2, key, kl, a->out_max);
                break;
            default:
                continue;
            }
            n++;
            uint8_t st = create(p);
            if (st != VIRTIO_CRYPTO_OK)
                printf("#   service %u algo %u key %u: status %u\n", a->service, a->algo, kl, st);
            EXPECT_STATUS(st, VIRTIO_CRYPTO_OK);
        }
    }
    EXPECT(n >= 30);
}

TEST(caps_config_masks)
{
    const struct vc_engine_caps *c = vc_engine_caps(E);
    EXPECT_EQ(c->max_size, MAXSZ);
    EXPECT_EQ(c->max_cipher_key_len, 64);
    EXPECT_EQ(c->max_auth_key_len, 512);
    uint32_t want_cipher = 1u << VIRTIO_CRYPTO_CIPHER_AES_ECB | 1u << VIRTIO_CRYPTO_CIPHER_AES_CBC |
                           1u << VIRTIO_CRYPTO_CIPHER_AES_CTR | 1u << VIRTIO_CRYPTO_CIPHER_AES_XTS |
                           1u << VIRTIO_CRYPTO_CIPHER_3DES_ECB |
                           1u << VIRTIO_CRYPTO_CIPHER_3DES_CBC |
                           1u << VIRTIO_CRYPTO_CIPHER_3DES_CTR;
    EXPECT_EQ(c->cipher_algo_l, want_cipher);
    EXPECT_EQ(c->cipher_algo_h, 0);
    EXPECT_EQ(c->hash_algo, 0x1ffeu); /* MD5 .. SHAKE256 */
    EXPECT_EQ(c->mac_algo_l, 0x7eu | 1u << 25 | 1u << 26);
    /* GMAC-AES (41) is in the engine's table but not in the config mask:
     * a virtio MAC request has no IV field. */
    EXPECT(vc_engine_find_cap(c, VIRTIO_CRYPTO_SERVICE_MAC, VIRTIO_CRYPTO_MAC_GMAC_AES) != NULL);
    EXPECT_EQ(c->mac_algo_h, 1u << (49 - 32) | 1u << (53 - 32));
    EXPECT_EQ(c->aead_algo, 0xeu);
    uint32_t svc = 1u << VIRTIO_CRYPTO_SERVICE_CIPHER | 1u << VIRTIO_CRYPTO_SERVICE_HASH |
                   1u << VIRTIO_CRYPTO_SERVICE_MAC | 1u << VIRTIO_CRYPTO_SERVICE_AEAD;
    EXPECT_EQ(c->crypto_services & svc, svc);
}

/* ---- Op dispatch */

static struct vc_engine_sess *S_CBC_ENC;

static uint8_t cbc_op(uint32_t opcode, unsigned worker, size_t ivlen, size_t srclen, size_t dstlen,
                      uint8_t *dst)
{
    static uint8_t iv[64], src[MAXSZ + 64];
    static struct t_sg a, b, d;
    t_sg_flat(&a, iv, ivlen);
    t_sg_flat(&b, src, srclen);
    t_sg_flat(&d, dst, dstlen);
    struct vc_engine_op op = t_op(opcode, &a, NULL, &b, &d, NULL);
    return vc_engine_op(E, S_CBC_ENC, worker, &op);
}

TEST(op_status_rows)
{
    static uint8_t dst[MAXSZ + 64];
    memset(dst, 0xaa, sizeof dst);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_OK);
    EXPECT(!t_all(dst, 32, 0xaa));
    memset(dst, 0xaa, sizeof dst);
    /* INVSESS: no session */
    struct vc_engine_op op;
    memset(&op, 0, sizeof op);
    op.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT;
    EXPECT_STATUS(vc_engine_op(E, NULL, 0, &op), VIRTIO_CRYPTO_INVSESS);
    /* worker index out of range */
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 2, 16, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 1000, 16, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    /* unknown opcodes: NOTSUPP; known opcode of another service: ERR */
    EXPECT_STATUS(cbc_op(0x0002, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(cbc_op(0x0999, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_IPSEC_OUTBOUND, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_NOTSUPP);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_HASH, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_AKCIPHER_SIGN, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    /* direction differs from the session: ERR */
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_DECRYPT, 0, 16, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    /* IV length, data length, dst room */
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 15, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 17, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 0, 32, 32, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 16, 33, 48, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 16, 32, 31, dst), VIRTIO_CRYPTO_ERR);
    /* max_size covers iv + src + dst */
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 16, 4080, 4080, dst), VIRTIO_CRYPTO_OK);
    memset(dst, 0xaa, sizeof dst);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 16, 4096, 4096, dst), VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(cbc_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0, 16, 16, MAXSZ, dst), VIRTIO_CRYPTO_ERR);
    /* none of the failures above wrote to dst */
    EXPECT(t_all(dst, sizeof dst, 0xaa));
}

TEST(op_lengths_that_wrap_are_rejected)
{
    /* Lengths whose sum passes 2^64 must not slip under max_size by
     * wrapping (CVE-2017-5931 class). No byte is touched: the check comes
     * first. */
    static uint8_t buf[64];
    struct vc_iov big1 = {buf, SIZE_MAX - 8};
    struct vc_sg big;
    vc_sg_init(&big, &big1, 1);
    struct t_sg a, d;
    t_sg_flat(&a, buf, 16);
    t_sg_flat(&d, buf, 32);
    struct vc_engine_op op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, NULL, &d, NULL);
    op.src = big;
    op.aad = big;
    EXPECT_STATUS(vc_engine_op(E, S_CBC_ENC, 0, &op), VIRTIO_CRYPTO_ERR);
}

static void ecb_xts_rules(void)
{
    uint8_t key[64], buf[64] = {0}, out[64];
    for (int i = 0; i < 64; i++)
        key[i] = (uint8_t)i;
    struct vc_engine_sess *ecb = must(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_ECB, 1, key, 16));
    struct vc_engine_sess *xts = must(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 1, key, 32));
    struct vc_engine_sess *ctr = must(t_cipher_params(VIRTIO_CRYPTO_CIPHER_3DES_CTR, 1, key, 24));
    struct t_sg a, b, d;
    t_sg_flat(&b, buf, 16);
    t_sg_flat(&d, out, 16);
    t_sg_flat(&a, buf, 1);
    struct vc_engine_op op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(E, ecb, 0, &op), VIRTIO_CRYPTO_ERR); /* ECB takes no IV */
    op.iv.len = 0;
    op.iv.cnt = 0;
    EXPECT_STATUS(vc_engine_op(E, ecb, 0, &op), VIRTIO_CRYPTO_OK);
    t_sg_flat(&b, buf, 15);
    t_sg_flat(&a, buf, 16);
    op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(E, xts, 0, &op), VIRTIO_CRYPTO_ERR); /* XTS unit < 16 */
    t_sg_flat(&b, buf, 16);
    op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(E, xts, 0, &op), VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(vc_engine_op(E, ctr, 0, &op), VIRTIO_CRYPTO_ERR); /* 3DES-CTR IV is 8 */
    t_sg_flat(&a, buf, 8);
    t_sg_flat(&b, buf, 13);
    op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(E, ctr, 0, &op), VIRTIO_CRYPTO_OK);
    EXPECT_EQ(op.dst_written, 13);
    vc_engine_sess_destroy(E, ecb);
    vc_engine_sess_destroy(E, xts);
    vc_engine_sess_destroy(E, ctr);
}

TEST(op_cipher_mode_rules)
{
    ecb_xts_rules();
}

TEST(op_hash_mac_rules)
{
    uint8_t msg[40] = {0}, dig[64], iv[65] = {0};
    struct vc_engine_sess *h = must(t_hash_params(VIRTIO_CRYPTO_HASH_SHA1, 0));
    struct vc_engine_sess *g = must(t_mac_params(VIRTIO_CRYPTO_MAC_GMAC_AES, 0, K, 16));
    struct vc_engine_sess *cm = must(t_mac_params(VIRTIO_CRYPTO_MAC_CBCMAC_AES, 8, K, 16));
    struct t_sg a, b, d;
    t_sg_flat(&b, msg, 40);
    t_sg_flat(&d, dig, 19);
    struct vc_engine_op op = t_op(VIRTIO_CRYPTO_HASH, NULL, NULL, &b, NULL, &d);
    EXPECT_STATUS(vc_engine_op(E, h, 0, &op), VIRTIO_CRYPTO_ERR); /* digest != 20 */
    t_sg_flat(&d, dig, 21);
    op = t_op(VIRTIO_CRYPTO_HASH, NULL, NULL, &b, NULL, &d);
    EXPECT_STATUS(vc_engine_op(E, h, 0, &op), VIRTIO_CRYPTO_ERR);
    t_sg_flat(&d, dig, 20);
    op = t_op(VIRTIO_CRYPTO_MAC, NULL, NULL, &b, NULL, &d);
    EXPECT_STATUS(vc_engine_op(E, h, 0, &op), VIRTIO_CRYPTO_ERR); /* MAC opcode on a hash */
    op = t_op(VIRTIO_CRYPTO_HASH, NULL, NULL, &b, NULL, &d);
    EXPECT_STATUS(vc_engine_op(E, h, 0, &op), VIRTIO_CRYPTO_OK);
    t_sg_flat(&a, iv, 12);
    op = t_op(VIRTIO_CRYPTO_HASH, &a, NULL, &b, NULL, &d);
    EXPECT_STATUS(vc_engine_op(E, h, 0, &op), VIRTIO_CRYPTO_ERR); /* hashes take no IV */
    /* GMAC IV 1..64 */
    t_sg_flat(&d, dig, 16);
    for (size_t n = 0; n <= 65; n++) {
        t_sg_flat(&a, iv, n);
        op = t_op(VIRTIO_CRYPTO_MAC, &a, NULL, &b, NULL, &d);
        EXPECT_STATUS(vc_engine_op(E, g, 0, &op),
                      n >= 1 && n <= 64 ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_ERR);
    }
    /* CBC-MAC: positive whole blocks */
    t_sg_flat(&d, dig, 8);
    size_t lens[] = {0, 15, 17, 16, 32};
    for (size_t i = 0; i < VC_ARRAY_SIZE(lens); i++) {
        t_sg_flat(&b, msg, lens[i]);
        op = t_op(VIRTIO_CRYPTO_MAC, NULL, NULL, &b, NULL, &d);
        EXPECT_STATUS(vc_engine_op(E, cm, 0, &op),
                      i >= 3 ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_ERR);
    }
    vc_engine_sess_destroy(E, h);
    vc_engine_sess_destroy(E, g);
    vc_engine_sess_destroy(E, cm);
}

/* ---- AEAD: lengths, nonces, BADMSG with dst zeroed */

static uint8_t aead_op(struct vc_engine_sess *s, uint32_t opc, size_t ivlen, uint8_t *src,
                       size_t srclen, uint8_t *dst, size_t dstlen, int split)
{
    static uint8_t iv[80], aad[20];
    static struct t_sg a, x, b, d;
    t_sg_flat(&a, iv, ivlen);
    if (split) {
        t_sg_split(&x, aad, sizeof aad, t_pat_odd, VC_ARRAY_SIZE(t_pat_odd));
        t_sg_split(&b, src, srclen, t_pat_odd, VC_ARRAY_SIZE(t_pat_odd));
        t_sg_split(&d, dst, dstlen, t_pat_odd, VC_ARRAY_SIZE(t_pat_odd));
    } else {
        t_sg_flat(&x, aad, sizeof aad);
        t_sg_flat(&b, src, srclen);
        t_sg_flat(&d, dst, dstlen);
    }
    struct vc_engine_op op = t_op(opc, &a, &x, &b, &d, NULL);
    return vc_engine_op(E, s, 0, &op);
}

static void aead_rules(uint32_t algo, uint32_t klen, uint32_t tag, size_t ivok, size_t ivlo,
                       size_t ivhi)
{
    struct vc_engine_sess *enc = must(t_aead_params(algo, 1, K, klen, tag));
    struct vc_engine_sess *dec = must(t_aead_params(algo, 2, K, klen, tag));
    static uint8_t pt[100], ct[120], out[120];
    memset(pt, 0x11, sizeof pt);
    /* lengths */
    EXPECT_STATUS(aead_op(enc, VIRTIO_CRYPTO_AEAD_ENCRYPT, ivok, pt, 50, ct, 50 + tag - 1, 0),
                  VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(aead_op(enc, VIRTIO_CRYPTO_AEAD_DECRYPT, ivok, pt, 50, ct, 50 + tag, 0),
                  VIRTIO_CRYPTO_ERR); /* direction */
    EXPECT_STATUS(aead_op(enc, VIRTIO_CRYPTO_CIPHER_ENCRYPT, ivok, pt, 50, ct, 50 + tag, 0),
                  VIRTIO_CRYPTO_ERR); /* service */
    if (ivlo > 0)
        EXPECT_STATUS(aead_op(enc, VIRTIO_CRYPTO_AEAD_ENCRYPT, ivlo - 1, pt, 50, ct, 50 + tag, 0),
                      VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(aead_op(enc, VIRTIO_CRYPTO_AEAD_ENCRYPT, ivhi + 1, pt, 50, ct, 50 + tag, 0),
                  VIRTIO_CRYPTO_ERR);
    EXPECT_STATUS(aead_op(enc, VIRTIO_CRYPTO_AEAD_ENCRYPT, ivok, pt, 50, ct, 50 + tag, 0),
                  VIRTIO_CRYPTO_OK);
    EXPECT_STATUS(aead_op(dec, VIRTIO_CRYPTO_AEAD_DECRYPT, ivok, ct, tag - 1, out, 100, 0),
                  VIRTIO_CRYPTO_ERR); /* src shorter than the tag */
    EXPECT_STATUS(aead_op(dec, VIRTIO_CRYPTO_AEAD_DECRYPT, ivok, ct, 50 + tag, out, 49, 0),
                  VIRTIO_CRYPTO_ERR); /* dst too small */
    EXPECT_STATUS(aead_op(dec, VIRTIO_CRYPTO_AEAD_DECRYPT, ivok, ct, 50 + tag, out, 50, 0),
                  VIRTIO_CRYPTO_OK);
    EXPECT_MEM(out, pt, 50);
    /* BADMSG: flipped tag bit, flipped ciphertext bit; flat and split. For
     * each, dst (pre-filled) must come back all zero. */
    for (int split = 0; split <= 1; split++) {
        for (size_t flip = 0; flip < 2; flip++) {
            size_t pos = flip ? 3 : 50 + tag - 1;
            ct[pos] ^= 0x40;
            memset(out, 0xaa, sizeof out);
            EXPECT_STATUS(aead_op(dec, VIRTIO_CRYPTO_AEAD_DECRYPT, ivok, ct, 50 + tag, out, 50,
                                  split),
                          VIRTIO_CRYPTO_BADMSG);
            EXPECT(t_all(out, 50, 0));
            EXPECT(t_all(out + 50, sizeof out - 50, 0xaa));
            ct[pos] ^= 0x40;
        }
    }
    /* a wrong IV is also a tag failure */
    EXPECT_STATUS(aead_op(dec, VIRTIO_CRYPTO_AEAD_DECRYPT, ivhi, ct, 50 + tag, out, 50, 0),
                  ivhi == ivok ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_BADMSG);
    vc_engine_sess_destroy(E, enc);
    vc_engine_sess_destroy(E, dec);
}

TEST(aead_gcm_rules_and_badmsg)
{
    aead_rules(VIRTIO_CRYPTO_AEAD_GCM, 16, 16, 12, 1, 64);
    aead_rules(VIRTIO_CRYPTO_AEAD_GCM, 32, 4, 12, 1, 64);
}

TEST(aead_ccm_rules_and_badmsg)
{
    aead_rules(VIRTIO_CRYPTO_AEAD_CCM, 16, 16, 13, 7, 13);
    aead_rules(VIRTIO_CRYPTO_AEAD_CCM, 24, 6, 7, 7, 13);
}

TEST(aead_chacha_rules_and_badmsg)
{
    aead_rules(VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 32, 16, 12, 12, 12);
}

/* CCM with nonce 13 (L = 2) cannot carry 65536 bytes; multi-piece CCM above
 * the scratch cap is ERR, single-piece is fine. */
TEST(aead_ccm_length_limits)
{
    struct vc_engine *big = t_engine(1, 1u << 20);
    struct vc_sess_params p = t_aead_params(VIRTIO_CRYPTO_AEAD_CCM, 1, K, 16, 16);
    struct vc_engine_sess *s = NULL;
    EXPECT_STATUS(vc_engine_sess_create(big, &p, &s), VIRTIO_CRYPTO_OK);
    size_t n = 65536;
    uint8_t *src = calloc(1, n + 16), *dst = calloc(1, n + 32), iv[13] = {0};
    static struct t_sg a, b, d;
    t_sg_flat(&a, iv, 13);
    t_sg_flat(&b, src, n);
    t_sg_flat(&d, dst, n + 16);
    struct vc_engine_op op = t_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(big, s, 0, &op), VIRTIO_CRYPTO_ERR);
    t_sg_flat(&a, iv, 12); /* L = 3 */
    op = t_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(big, s, 0, &op), VIRTIO_CRYPTO_OK);
    /* two pieces of 40000: gathered size 80000 > scratch */
    struct vc_iov two[2] = {{src, 40000}, {src + 40000, 40000}};
    uint8_t *dst2 = calloc(1, 80016);
    vc_sg_init(&b.sg, two, 2);
    t_sg_flat(&d, dst2, 80016);
    op = t_op(VIRTIO_CRYPTO_AEAD_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(big, s, 0, &op), VIRTIO_CRYPTO_ERR);
    vc_engine_sess_destroy(big, s);
    vc_engine_destroy(big);
    free(src);
    free(dst);
    free(dst2);
}

/* XTS: one data unit per OpenSSL call, so multi-piece units are gathered
 * into the 64 KiB scratch; above it ERR (dst zeroed), single piece fine. */
TEST(xts_multi_piece_scratch_limit)
{
    struct vc_engine *big = t_engine(1, 1u << 20);
    uint8_t key[32], iv[16] = {0};
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    struct vc_sess_params p = t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 1, key, 32);
    struct vc_engine_sess *s = NULL;
    EXPECT_STATUS(vc_engine_sess_create(big, &p, &s), VIRTIO_CRYPTO_OK);
    size_t n = 80000;
    uint8_t *src = calloc(1, n), *dst = malloc(n);
    struct vc_iov two[2] = {{src, 40000}, {src + 40000, n - 40000}};
    static struct t_sg a, b, d;
    t_sg_flat(&a, iv, 16);
    vc_sg_init(&b.sg, two, 2);
    t_sg_flat(&d, dst, n);
    memset(dst, 0xaa, n);
    struct vc_engine_op op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(big, s, 0, &op), VIRTIO_CRYPTO_ERR);
    EXPECT(t_all(dst, n, 0));
    t_sg_flat(&b, src, n);
    op = t_op(VIRTIO_CRYPTO_CIPHER_ENCRYPT, &a, NULL, &b, &d, NULL);
    EXPECT_STATUS(vc_engine_op(big, s, 0, &op), VIRTIO_CRYPTO_OK);
    EXPECT(!t_all(dst, n, 0));
    vc_engine_sess_destroy(big, s);
    vc_engine_destroy(big);
    free(src);
    free(dst);
}

/* ---- Chain range checks: nothing written on failure. */
TEST(chain_range_rules)
{
    uint8_t src[64] = {0}, dst[64], md[32], iv[16] = {0};
    struct vc_engine_sess *s = must(t_chain_params(
        VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, K, 16, VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH,
        VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 16, K, 32));
    struct {
        uint64_t cs, cl, hs, hl;
        size_t dlen, mdlen;
        uint32_t opc;
        uint8_t st;
    } c[] = {
        {0, 64, 0, 64, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_OK},
        {16, 32, 8, 40, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_OK},
        {16, 64, 0, 64, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {UINT64_MAX - 15, 32, 0, 64, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {16, UINT64_MAX - 15, 0, 64, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {0, 64, 1, 64, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {0, 64, UINT64_MAX, 2, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {0, 17, 0, 64, 64, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {0, 64, 0, 64, 63, 16, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {0, 64, 0, 64, 64, 32, VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_ERR},
        {0, 64, 0, 64, 64, 16, VIRTIO_CRYPTO_CIPHER_DECRYPT, VIRTIO_CRYPTO_ERR},
        {0, 64, 0, 64, 64, 16, VIRTIO_CRYPTO_MAC, VIRTIO_CRYPTO_ERR},
    };
    for (size_t i = 0; i < VC_ARRAY_SIZE(c); i++) {
        struct t_sg a, b, d, g;
        memset(dst, 0xaa, sizeof dst);
        memset(md, 0xaa, sizeof md);
        t_sg_flat(&a, iv, 16);
        t_sg_flat(&b, src, 64);
        t_sg_flat(&d, dst, c[i].dlen);
        t_sg_flat(&g, md, c[i].mdlen);
        struct vc_engine_op op = t_op(c[i].opc, &a, NULL, &b, &d, &g);
        op.cipher_start = c[i].cs;
        op.cipher_len = c[i].cl;
        op.hash_start = c[i].hs;
        op.hash_len = c[i].hl;
        uint8_t st = vc_engine_op(E, s, 0, &op);
        if (st != c[i].st)
            printf("#   row %zu\n", i);
        EXPECT_STATUS(st, c[i].st);
        if (c[i].st != VIRTIO_CRYPTO_OK) {
            EXPECT(t_all(dst, sizeof dst, 0xaa));
            EXPECT(t_all(md, sizeof md, 0xaa));
        }
    }
    vc_engine_sess_destroy(E, s);
}

/* Random requests against every kind of session: whatever the lengths,
 * offsets and piece layouts, the engine answers with a legal status, never
 * reports more output than dst holds, and (under ASan) never touches a byte
 * outside the exactly-sized buffers. */
static uint32_t rnd_state = 12345;
static uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 1664525u + 1013904223u;
    return n ? (rnd_state >> 8) % n : 0;
}

static void rnd_sg(struct t_sg *s, uint8_t *buf, size_t len)
{
    static const size_t pats[][4] = {{1, 2, 3, 4}, {16, 16, 16, 16}, {7, 9, 31, 1}, {64, 5, 3, 2}};
    if (rnd(3) == 0)
        t_sg_flat(s, buf, len);
    else
        t_sg_split(s, buf, len, pats[rnd(4)], 4);
}

TEST(random_requests_never_crash)
{
    static const uint32_t opcodes[] = {
        VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_CIPHER_DECRYPT, VIRTIO_CRYPTO_HASH,
        VIRTIO_CRYPTO_MAC,            VIRTIO_CRYPTO_AEAD_ENCRYPT,   VIRTIO_CRYPTO_AEAD_DECRYPT,
        0x0404,                       0x0777};
    struct vc_sess_params ps[] = {
        t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, K, 16),
        t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_XTS, 2, K, 64),
        t_cipher_params(VIRTIO_CRYPTO_CIPHER_3DES_CTR, 1, K, 24),
        t_cipher_params(VIRTIO_CRYPTO_CIPHER_3DES_ECB, 2, K, 24),
        t_hash_params(VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, 33),
        t_mac_params(VIRTIO_CRYPTO_MAC_XCBC_AES, 12, K, 16),
        t_mac_params(VIRTIO_CRYPTO_MAC_GMAC_AES, 0, K, 16),
        t_mac_params(VIRTIO_CRYPTO_MAC_CBCMAC_AES, 0, K, 16),
        t_aead_params(VIRTIO_CRYPTO_AEAD_GCM, 2, K, 16, 12),
        t_aead_params(VIRTIO_CRYPTO_AEAD_CCM, 2, K, 16, 8),
        t_aead_params(VIRTIO_CRYPTO_AEAD_CCM, 1, K, 32, 4),
        t_aead_params(VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305, 1, K, 32, 16),
        t_chain_params(VIRTIO_CRYPTO_CIPHER_AES_CTR, 1, K, 16, 2, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
                       VIRTIO_CRYPTO_MAC_HMAC_SHA1, 10, K, 20),
        t_chain_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 2, K, 16, 1, VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
                       VIRTIO_CRYPTO_HASH_SHA_256, 0, NULL, 0),
    };
    /* What a well-formed request looks like for each session above:
     * opcode, IV length, digest length, data block, tag (+ on encrypt:
     * dst grows; - on decrypt: dst shrinks), chain. */
    static const struct {
        uint32_t opc, iv, dig, block;
        int tag, chain;
    } ok[] = {
        {VIRTIO_CRYPTO_CIPHER_ENCRYPT, 16, 0, 16, 0, 0},
        {VIRTIO_CRYPTO_CIPHER_DECRYPT, 16, 0, 1, 0, 0},
        {VIRTIO_CRYPTO_CIPHER_ENCRYPT, 8, 0, 1, 0, 0},
        {VIRTIO_CRYPTO_CIPHER_DECRYPT, 0, 0, 8, 0, 0},
        {VIRTIO_CRYPTO_HASH, 0, 33, 1, 0, 0},
        {VIRTIO_CRYPTO_MAC, 0, 12, 1, 0, 0},
        {VIRTIO_CRYPTO_MAC, 12, 16, 1, 0, 0},
        {VIRTIO_CRYPTO_MAC, 0, 16, 16, 0, 0},
        {VIRTIO_CRYPTO_AEAD_DECRYPT, 12, 0, 1, -12, 0},
        {VIRTIO_CRYPTO_AEAD_DECRYPT, 11, 0, 1, -8, 0},
        {VIRTIO_CRYPTO_AEAD_ENCRYPT, 13, 0, 1, 4, 0},
        {VIRTIO_CRYPTO_AEAD_ENCRYPT, 12, 0, 1, 16, 0},
        {VIRTIO_CRYPTO_CIPHER_ENCRYPT, 16, 10, 1, 0, 1},
        {VIRTIO_CRYPTO_CIPHER_DECRYPT, 16, 32, 16, 0, 1},
    };
    struct vc_engine_sess *ss[VC_ARRAY_SIZE(ps)];
    for (size_t i = 0; i < VC_ARRAY_SIZE(ps); i++)
        ss[i] = must(ps[i]);
    int counts[8] = {0};
    for (int it = 0; it < 10000; it++) {
        size_t si = rnd(VC_ARRAY_SIZE(ss));
        bool good = rnd(4) != 0;
        size_t src = rnd(300);
        if (good) {
            src = src / ok[si].block * ok[si].block;
            if (ok[si].tag < 0)
                src += (size_t)-ok[si].tag;
            if (ok[si].block == 16 && ok[si].opc == VIRTIO_CRYPTO_MAC && src == 0)
                src = 16;
        }
        bool hashy = ok[si].opc == VIRTIO_CRYPTO_HASH || ok[si].opc == VIRTIO_CRYPTO_MAC;
        size_t lens[5] = {good ? ok[si].iv : rnd(70),
                          (good && hashy) ? 0 : rnd(4) ? rnd(60) : 0, src,
                          good ? (hashy ? 0 : src + (size_t)(ok[si].tag > 0 ? ok[si].tag : 0))
                               : rnd(330),
                          good ? ok[si].dig : rnd(70)};
        if (good && rnd(4) == 0)
            lens[rnd(5)] += rnd(3); /* one small perturbation */
        uint8_t *bufs[5];
        static struct t_sg sgs[5];
        for (int b = 0; b < 5; b++) {
            bufs[b] = malloc(lens[b] + 1);
            memset(bufs[b], (int)rnd(256), lens[b] + 1);
            rnd_sg(&sgs[b], bufs[b], lens[b]);
        }
        uint32_t opc = good ? ok[si].opc : opcodes[rnd(VC_ARRAY_SIZE(opcodes))];
        struct vc_engine_op op = t_op(opc, &sgs[0], &sgs[1], &sgs[2], &sgs[3], &sgs[4]);
        static const uint64_t offs[] = {0, 1, 16, 17, 64, 300, UINT64_MAX, UINT64_MAX - 15};
        if (good && ok[si].chain) {
            uint64_t cs = rnd((uint32_t)src + 1) / 16 * 16;
            op.cipher_start = cs;
            op.cipher_len = (src - cs) / 16 * 16;
            op.hash_start = rnd((uint32_t)src + 1);
            op.hash_len = src - op.hash_start;
        } else {
            op.cipher_start = rnd(2) ? rnd((uint32_t)src + 1) : offs[rnd(8)];
            op.cipher_len = rnd(2) ? rnd((uint32_t)src + 1) : offs[rnd(8)];
            op.hash_start = rnd(2) ? rnd((uint32_t)src + 1) : offs[rnd(8)];
            op.hash_len = rnd(2) ? rnd((uint32_t)src + 1) : offs[rnd(8)];
        }
        uint8_t st = vc_engine_op(E, ss[si], good ? rnd(2) : rnd(3), &op);
        EXPECT(st == VIRTIO_CRYPTO_OK || st == VIRTIO_CRYPTO_ERR || st == VIRTIO_CRYPTO_NOTSUPP ||
               st == VIRTIO_CRYPTO_BADMSG);
        EXPECT(op.dst_written <= op.dst.len);
        counts[st & 7]++;
        for (int b = 0; b < 5; b++)
            free(bufs[b]);
    }
    printf("#   OK %d, ERR %d, BADMSG %d, NOTSUPP %d\n", counts[0], counts[1], counts[2],
           counts[3]);
    /* the generator reaches real work and the tag check */
    EXPECT(counts[VIRTIO_CRYPTO_OK] > 2000);
    EXPECT(counts[VIRTIO_CRYPTO_BADMSG] > 300);
    for (size_t i = 0; i < VC_ARRAY_SIZE(ps); i++)
        vc_engine_sess_destroy(E, ss[i]);
}

TEST(engine_create_rejects_bad_cfg)
{
    struct vc_engine *e = NULL;
    struct vc_engine_cfg cfg = {.nworkers = 0};
    EXPECT(!vc_ok(vc_engine_create(&vc_engine_openssl, &cfg, &e)));
    cfg.nworkers = VC_ENGINE_MAX_WORKERS + 1;
    EXPECT(!vc_ok(vc_engine_create(&vc_engine_openssl, &cfg, &e)));
    EXPECT(e == NULL);
    cfg.nworkers = 1;
    EXPECT(vc_ok(vc_engine_create(&vc_engine_openssl, &cfg, &e)));
    EXPECT_EQ(vc_engine_caps(e)->max_size, 1u << 20); /* default */
    vc_engine_destroy(e);
    vc_engine_sess_destroy(E, NULL); /* NULL-safe */
}

int main(void)
{
    for (size_t i = 0; i < sizeof K; i++)
        K[i] = (uint8_t)(0x30 + i);
    E = t_engine(2, MAXSZ);
    if (E == NULL)
        SKIP_ALL("engine create failed");
    S_CBC_ENC = must(t_cipher_params(VIRTIO_CRYPTO_CIPHER_AES_CBC, 1, K, 16));
    RUN(create_unsupported_algorithms_notsupp);
    RUN(create_unsupported_modes_notsupp);
    RUN(create_bad_key_lengths_err);
    RUN(create_xts_equal_halves_err);
    RUN(create_bad_direction_and_chain_fields_err);
    RUN(create_result_and_tag_lengths);
    RUN(caps_match_session_create);
    RUN(caps_config_masks);
    RUN(op_status_rows);
    RUN(op_lengths_that_wrap_are_rejected);
    RUN(op_cipher_mode_rules);
    RUN(op_hash_mac_rules);
    RUN(aead_gcm_rules_and_badmsg);
    RUN(aead_ccm_rules_and_badmsg);
    RUN(aead_chacha_rules_and_badmsg);
    RUN(aead_ccm_length_limits);
    RUN(xts_multi_piece_scratch_limit);
    RUN(chain_range_rules);
    RUN(random_requests_never_crash);
    RUN(engine_create_rejects_bad_cfg);
    vc_engine_sess_destroy(E, S_CBC_ENC);
    vc_engine_destroy(E);
    return TEST_DONE();
}
