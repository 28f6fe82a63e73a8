#include "device/throttle.h"
#include "test.h"

#define MS 1000000ull

TEST(unlimited_never_waits)
{
    struct vc_tbucket b;
    vc_tbucket_init(&b, 0, 0, 0);
    EXPECT_EQ(vc_tbucket_take(&b, UINT64_MAX, 0), 0);
}

TEST(burst_then_rate)
{
    struct vc_tbucket b;
    vc_tbucket_init(&b, 100, 10, 0); /* 100 ops/s, 10 at once */
    for (int i = 0; i < 10; i++)
        EXPECT_EQ(vc_tbucket_take(&b, 1, 0), 0);
    /* the 11th is one token in debt: 10 ms at 100/s */
    EXPECT_EQ(vc_tbucket_take(&b, 1, 0), 10 * MS);
    /* after the wait, the debt is repaid: next one waits another 10 ms */
    EXPECT_EQ(vc_tbucket_take(&b, 1, 10 * MS), 10 * MS);
    /* a long idle period refills only up to the burst */
    EXPECT_EQ(vc_tbucket_take(&b, 10, 10 * 1000 * MS), 0);
    EXPECT_EQ(vc_tbucket_take(&b, 1, 10 * 1000 * MS), 10 * MS);
}

TEST(bytes_large_values_do_not_overflow)
{
    struct vc_tbucket b;
    vc_tbucket_init(&b, 1ull << 40, 0, 0); /* capped rate */
    EXPECT_EQ(vc_tbucket_take(&b, 1ull << 40, 0), 0);
    uint64_t w = vc_tbucket_take(&b, UINT64_MAX, 0); /* clamped to 2^40: one second */
    EXPECT_EQ(w, 1000 * MS);
    struct vc_tbucket c;
    vc_tbucket_init(&c, 1000, 0, 5 * MS);
    EXPECT_EQ(vc_tbucket_take(&c, 3000, 5 * MS), 2000 * MS); /* 2000 tokens of debt */
    /* time going backwards (a caller bug) adds nothing, never underflows */
    EXPECT_EQ(vc_tbucket_take(&c, 0, 0), 2000 * MS);
}

int main(void)
{
    RUN(unlimited_never_waits);
    RUN(burst_then_rate);
    RUN(bytes_large_values_do_not_overflow);
    return TEST_DONE();
}
