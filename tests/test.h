/* The in-house test harness: TAP output, one binary per module.
 *
 *   TEST(name) { ... }            defines a test case
 *   RUN(name)                     runs it (in main), isolated by name
 *   EXPECT(cond)                  records a failure, goes on
 *   EXPECT_EQ(a, b)               integer compare with values printed
 *   EXPECT_MEM(a, b, n)           memcmp with hex dump on mismatch
 *   EXPECT_STATUS(got, want)      virtio status compare with names
 *   SKIP_ALL(reason)              whole binary skipped ("1..0 # SKIP")
 *   return TEST_DONE();           prints the plan and returns exit status
 *
 * Each RUN prints one "ok N name" / "not ok N name" line; meson counts them
 * (protocol: 'tap').
 */
#ifndef VC_TEST_H
#define VC_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t__n, t__fail_total, t__fail_cur;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        t__fail_cur = 0;                                                                           \
        test_##name();                                                                             \
        t__n++;                                                                                    \
        printf("%sok %d %s\n", t__fail_cur ? "not " : "", t__n, #name);                          \
        fflush(stdout);                                                                            \
        if (t__fail_cur)                                                                           \
            t__fail_total++;                                                                       \
    } while (0)

#define T__FAIL(...)                                                                               \
    do {                                                                                           \
        printf("# %s:%d: ", __FILE__, __LINE__);                                                   \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        t__fail_cur++;                                                                             \
    } while (0)

#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            T__FAIL("expected %s", #c);                                                            \
    } while (0)

#define EXPECT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long t__a = (long long)(a), t__b = (long long)(b);                                    \
        if (t__a != t__b)                                                                          \
            T__FAIL("%s == %lld, expected %s == %lld", #a, t__a, #b, t__b);                        \
    } while (0)

static inline void t__hex(const char *tag, const void *p, size_t n)
{
    const unsigned char *b = p;
    printf("#   %s: ", tag);
    for (size_t i = 0; i < n && i < 64; i++)
        printf("%02x", b[i]);
    printf("%s\n", n > 64 ? "..." : "");
}

#define EXPECT_MEM(a, b, n)                                                                        \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                                          \
            T__FAIL("%s != %s (%zu bytes)", #a, #b, (size_t)(n));                                  \
            t__hex("got ", (a), (n));                                                              \
            t__hex("want", (b), (n));                                                              \
        }                                                                                          \
    } while (0)

static inline const char *t__status_name(int s)
{
    static const char *const n[] = {"OK",    "ERR",   "BADMSG",       "NOTSUPP",
                                     "INVSESS", "NOSPC", "KEY_REJECTED", "SA_SOFT_EXPIRY"};
    return s >= 0 && s < 8 ? n[s] : "?";
}

#define EXPECT_STATUS(got, want)                                                                   \
    do {                                                                                           \
        int t__g = (got), t__w = (want);                                                          \
        if (t__g != t__w)                                                                          \
            T__FAIL("%s: status %s(%d), expected %s(%d)", #got, t__status_name(t__g), t__g,        \
                    t__status_name(t__w), t__w);                                                   \
    } while (0)

#define SKIP_ALL(...)                                                                              \
    do {                                                                                           \
        printf("1..0 # SKIP ");                                                                    \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        return 0; /* meson 1.0 TAP: non-zero would be ERROR */                                     \
    } while (0)

#define TEST_DONE() (printf("1..%d\n", t__n), t__fail_total ? 1 : 0)

/* Hex helpers for vectors. Returns bytes written or -1 on bad input. */
static inline int t__nib(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline long t_unhex(const char *s, unsigned char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int h = t__nib(s[2 * i]), l = t__nib(s[2 * i + 1]);
        if (h < 0 || l < 0)
            return -1;
        out[i] = (unsigned char)(h << 4 | l);
    }
    return (long)(n / 2);
}

#endif
