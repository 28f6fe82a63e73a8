/* AES encryption with the AES-NI instructions: key expansion (FIPS 197
 * §5.2), one block, and CTR32 eight blocks at a time.
 *
 * IMPLEMENTATION NOTES
 * AESENC has a latency of several cycles but issues one or two per cycle,
 * so CTR keeps eight independent blocks in flight per round; the loops are
 * unrolled explicitly because a rolled inner loop spills the eight blocks
 * to memory and runs five times slower (measured). The instructions are
 * constant-time; there are no tables. Only the encryption direction
 * exists: GCM never decrypts a block.
 *
 * With VAES and AVX-512 (vc__aes_ni_vaes) CTR runs sixteen blocks per step
 * in four 512-bit vectors and leaves the tail to the 128-bit code;
 * VC_ENGINE_NO_VAES in the environment keeps it off (tests run both).
 *
 * Key expansion uses AESKEYGENASSIST for SubWord(RotWord(w)) xor Rcon; the
 * three shifted xors then form the running xor of the previous round key's
 * words. AES-256's odd round keys use SubWord without RotWord or Rcon
 * (shuffle of word 2 instead of word 3).
 */
#include <stdlib.h>

#include <openssl/crypto.h>

#include "engine/openssl/gcm_ni.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define NI __attribute__((target("aes,sse4.1")))
#define LD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define ST(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

/* CPUID leaf 7: AVX512F (EBX 16), AVX512BW (EBX 30), VAES (ECX 9); and
 * the OS must save the opmask and zmm state (XCR0 bits 1, 2, 5, 6, 7).
 * By hand because clang's __builtin_cpu_supports lacks "vaes". */
static bool vaes_cpu(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
        return false;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6)
        return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    return (b & (1u << 16)) && (b & (1u << 30)) && (c & (1u << 9));
}

/* VAES with AVX-512: four blocks per instruction. Set once by
 * vc__aes_ni_cpu() (before any key exists) and only read afterwards. */
static bool use_vaes;

bool vc__aes_ni_cpu(void)
{
    __builtin_cpu_init();
    bool ni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
              __builtin_cpu_supports("sse4.1");
    use_vaes = ni && vaes_cpu() && getenv("VC_ENGINE_NO_VAES") == NULL;
    return ni;
}

bool vc__aes_ni_vaes(void)
{
    return use_vaes;
}

NI static __m128i expand(__m128i k, __m128i assist, int word3)
{
    assist = word3 ? _mm_shuffle_epi32(assist, 0xff) : _mm_shuffle_epi32(assist, 0xaa);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, assist);
}

#define KGA(k, rcon) _mm_aeskeygenassist_si128((k), (rcon))

NI bool vc__aes_ni_set_key(struct vc__aes_ni_key *ks, const uint8_t *key, uint32_t key_len)
{
    __m128i rk[15];

    if (key_len == 16) {
        ks->rounds = 10;
        rk[0] = LD(key);
        rk[1] = expand(rk[0], KGA(rk[0], 0x01), 1);
        rk[2] = expand(rk[1], KGA(rk[1], 0x02), 1);
        rk[3] = expand(rk[2], KGA(rk[2], 0x04), 1);
        rk[4] = expand(rk[3], KGA(rk[3], 0x08), 1);
        rk[5] = expand(rk[4], KGA(rk[4], 0x10), 1);
        rk[6] = expand(rk[5], KGA(rk[5], 0x20), 1);
        rk[7] = expand(rk[6], KGA(rk[6], 0x40), 1);
        rk[8] = expand(rk[7], KGA(rk[7], 0x80), 1);
        rk[9] = expand(rk[8], KGA(rk[8], 0x1b), 1);
        rk[10] = expand(rk[9], KGA(rk[9], 0x36), 1);
    } else if (key_len == 32) {
        ks->rounds = 14;
        rk[0] = LD(key);
        rk[1] = LD(key + 16);
#define PAIR(i, rcon)                                      \
    rk[i] = expand(rk[(i)-2], KGA(rk[(i)-1], (rcon)), 1); \
    rk[(i) + 1] = expand(rk[(i)-1], KGA(rk[i], 0), 0);
        PAIR(2, 0x01)
        PAIR(4, 0x02)
        PAIR(6, 0x04)
        PAIR(8, 0x08)
        PAIR(10, 0x10)
        PAIR(12, 0x20)
#undef PAIR
        rk[14] = expand(rk[12], KGA(rk[13], 0x40), 1);
    } else {
        return false;
    }
    for (int i = 0; i <= ks->rounds; i++)
        ST(ks->rk[i], rk[i]);
    /* The stack copy held the schedule too. */
    OPENSSL_cleanse(rk, sizeof rk);
    return true;
}

NI void vc__aes_ni_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
    const struct vc__aes_ni_key *ks = key;
    __m128i x = _mm_xor_si128(LD(in), LD(ks->rk[0]));
    for (int r = 1; r < ks->rounds; r++)
        x = _mm_aesenc_si128(x, LD(ks->rk[r]));
    ST(out, _mm_aesenclast_si128(x, LD(ks->rk[ks->rounds])));
}

/* n (1..8) counter blocks starting at counter c, xored into in -> out.
 * Always called with a constant n, so each copy unrolls without tests. */
NI __attribute__((always_inline)) static inline void ctr_n(const struct vc__aes_ni_key *ks, __m128i base, uint32_t c,
                            const unsigned char *in, unsigned char *out, unsigned n)
{
    __m128i x[8];
    const int rounds = ks->rounds;
    __m128i k0 = LD(ks->rk[0]);

    _Pragma("GCC unroll 8") for (unsigned i = 0; i < 8; i++) if (i < n) x[i] =
        _mm_xor_si128(_mm_insert_epi32(base, (int)__builtin_bswap32(c + i), 3), k0);
    for (int r = 1; r < rounds; r++) {
        __m128i k = LD(ks->rk[r]);
        _Pragma("GCC unroll 8") for (unsigned i = 0; i < 8; i++) if (i < n) x[i] =
            _mm_aesenc_si128(x[i], k);
    }
    __m128i kl = LD(ks->rk[rounds]);
    _Pragma("GCC unroll 8") for (unsigned i = 0; i < 8; i++) if (i < n)
        ST(out + 16 * i, _mm_xor_si128(_mm_aesenclast_si128(x[i], kl), LD(in + 16 * i)));
}

#define VA __attribute__((target("aes,sse4.1,avx512f,avx512bw,vaes")))
#define BC(p) _mm512_broadcast_i32x4(LD(p))

/* 16 blocks per step as four 4-block vectors. The counters live in a
 * little-endian copy of the counter dword, so one 32-bit add per vector
 * steps them (wrapping mod 2^32, exactly inc32); a byte shuffle turns
 * dword 3 of each lane back to big-endian. Returns the blocks done. */
VA static size_t ctr32_vaes(const struct vc__aes_ni_key *ks, __m128i base, uint32_t c,
                            const unsigned char *in, unsigned char *out, size_t blocks)
{
    const __m512i swap = _mm512_broadcast_i32x4(
        _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    const __m512i step = _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
    __m512i ctr = _mm512_add_epi32(_mm512_broadcast_i32x4(_mm_insert_epi32(base, (int)c, 3)),
                                   _mm512_set_epi32(3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
    const int rounds = ks->rounds;
    size_t done = 0;

    for (; blocks - done >= 16; done += 16, in += 256, out += 256) {
        __m512i x[4];
        __m512i k0 = BC(ks->rk[0]);
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
            x[i] = _mm512_xor_si512(_mm512_shuffle_epi8(ctr, swap), k0);
            ctr = _mm512_add_epi32(ctr, step);
        }
        for (int r = 1; r < rounds; r++) {
            __m512i k = BC(ks->rk[r]);
            _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) x[i] =
                _mm512_aesenc_epi128(x[i], k);
        }
        __m512i kl = BC(ks->rk[rounds]);
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) _mm512_storeu_si512(
            out + 64 * i, _mm512_xor_si512(_mm512_aesenclast_epi128(x[i], kl),
                                           _mm512_loadu_si512(in + 64 * i)));
    }
    return done;
}

NI void vc__aes_ni_ctr32(const unsigned char *in, unsigned char *out, size_t blocks,
                         const void *key, const unsigned char ivec[16])
{
    const struct vc__aes_ni_key *ks = key;
    __m128i base = LD(ivec);
    uint32_t c = __builtin_bswap32((uint32_t)_mm_extract_epi32(base, 3));

    if (use_vaes && blocks >= 16) {
        size_t done = ctr32_vaes(ks, base, c, in, out, blocks);
        c += (uint32_t)done, in += 16 * done, out += 16 * done, blocks -= done;
    }

    for (; blocks >= 8; blocks -= 8, c += 8, in += 128, out += 128)
        ctr_n(ks, base, c, in, out, 8);
    /* The tail as 4 + 2 + 1, each still pipelined. */
    if (blocks & 4) {
        ctr_n(ks, base, c, in, out, 4);
        c += 4, in += 64, out += 64;
    }
    if (blocks & 2) {
        ctr_n(ks, base, c, in, out, 2);
        c += 2, in += 32, out += 32;
    }
    if (blocks & 1)
        ctr_n(ks, base, c, in, out, 1);
}

#else /* no AES-NI build: the fast path is never chosen */

bool vc__aes_ni_cpu(void)
{
    return false;
}

bool vc__aes_ni_vaes(void)
{
    return false;
}

bool vc__aes_ni_set_key(struct vc__aes_ni_key *ks, const uint8_t *key, uint32_t key_len)
{
    (void)ks, (void)key, (void)key_len;
    return false;
}

void vc__aes_ni_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
    (void)in, (void)out, (void)key;
}

void vc__aes_ni_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
                      const unsigned char ivec[16])
{
    (void)in, (void)out, (void)blocks, (void)key, (void)ivec;
}

#endif
