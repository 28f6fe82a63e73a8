#include "common/sg.h"
#include "test.h"
#include "vcrypto/err.h"

static uint8_t a[5] = {0, 1, 2, 3, 4}, b[3] = {5, 6, 7}, c[4] = {8, 9, 10, 11};

static void mk(struct vc_sg *sg, struct vc_iov *iov)
{
    iov[0] = (struct vc_iov){a, sizeof a};
    iov[1] = (struct vc_iov){b, 0};
    iov[2] = (struct vc_iov){b, sizeof b};
    iov[3] = (struct vc_iov){c, sizeof c};
    vc_sg_init(sg, iov, 4);
}

TEST(init_sums_lengths)
{
    struct vc_iov iov[4];
    struct vc_sg sg;
    mk(&sg, iov);
    EXPECT_EQ(sg.len, 12);
}

TEST(read_across_pieces)
{
    struct vc_iov iov[4];
    struct vc_sg sg;
    mk(&sg, iov);
    uint8_t out[12], want[12];
    for (int i = 0; i < 12; i++)
        want[i] = (uint8_t)i;
    EXPECT(vc_ok(vc_sg_read(&sg, 0, out, 12)));
    EXPECT_MEM(out, want, 12);
    EXPECT(vc_ok(vc_sg_read(&sg, 4, out, 5)));
    EXPECT_MEM(out, want + 4, 5);
}

TEST(first_piece_fast_path)
{
    struct vc_iov iov[4];
    struct vc_sg sg;
    mk(&sg, iov);
    uint8_t out[5], want[5] = {0, 1, 2, 3, 4};
    EXPECT(vc_ok(vc_sg_read(&sg, 0, out, 5))); /* exactly the first piece */
    EXPECT_MEM(out, want, 5);
    EXPECT(vc_ok(vc_sg_read(&sg, 3, out, 2)));
    EXPECT_MEM(out, want + 3, 2);
    uint8_t v[2] = {0xaa, 0xbb};
    EXPECT(vc_ok(vc_sg_write(&sg, 4, v, 2))); /* crosses into the next piece */
    EXPECT_EQ(a[4], 0xaa);
    EXPECT_EQ(b[0], 0xbb);
    a[4] = 4;
    b[0] = 5;
    struct vc_sg empty;
    vc_sg_init(&empty, iov, 0);
    EXPECT_EQ(vc_sg_read(&empty, 0, out, 1).err, VC_ERANGE);
    EXPECT(vc_ok(vc_sg_read(&empty, 0, out, 0)));
}

TEST(range_checks_reject)
{
    struct vc_iov iov[4];
    struct vc_sg sg;
    mk(&sg, iov);
    uint8_t out[16];
    EXPECT_EQ(vc_sg_read(&sg, 0, out, 13).err, VC_ERANGE);
    EXPECT_EQ(vc_sg_read(&sg, 13, out, 0).err, VC_ERANGE);
    EXPECT_EQ(vc_sg_read(&sg, UINT64_MAX, out, 2).err, VC_ERANGE);
    EXPECT_EQ(vc_sg_write(&sg, 11, out, 2).err, VC_ERANGE);
    struct vc_iov s[4];
    struct vc_sg o;
    EXPECT_EQ(vc_sg_slice(&sg, 2, UINT64_MAX - 1, s, 4, &o).err, VC_ERANGE);
}

TEST(slice_pieces_and_limit)
{
    struct vc_iov iov[4];
    struct vc_sg sg;
    mk(&sg, iov);
    struct vc_iov s[4];
    struct vc_sg o;
    EXPECT(vc_ok(vc_sg_slice(&sg, 3, 6, s, 4, &o)));
    EXPECT_EQ(o.cnt, 3);
    EXPECT_EQ(o.len, 6);
    uint8_t out[6], want[6] = {3, 4, 5, 6, 7, 8};
    EXPECT(vc_ok(vc_sg_read(&o, 0, out, 6)));
    EXPECT_MEM(out, want, 6);
    EXPECT_EQ(vc_sg_slice(&sg, 3, 6, s, 2, &o).err, VC_ENOSPC);
}

TEST(cursor_walks_all)
{
    struct vc_iov iov[4];
    struct vc_sg sg;
    mk(&sg, iov);
    struct vc_sg_cur cur;
    vc_sg_cur_init(&cur, &sg);
    uint8_t *p;
    size_t n, tot = 0, pieces = 0;
    while ((n = vc_sg_next(&cur, &p, 2)) > 0) {
        EXPECT_EQ(p[0], tot);
        tot += n;
        pieces++;
    }
    EXPECT_EQ(tot, 12);
    EXPECT_EQ(pieces, 7);
}

TEST(zero_clamps)
{
    uint8_t buf[4] = {1, 1, 1, 1};
    struct vc_iov iov;
    struct vc_sg sg;
    vc_sg_flat(&sg, &iov, buf, 4);
    vc_sg_zero(&sg, 2, 100);
    EXPECT_EQ(buf[1], 1);
    EXPECT_EQ(buf[2], 0);
    EXPECT_EQ(buf[3], 0);
}

int main(void)
{
    RUN(init_sums_lengths);
    RUN(read_across_pieces);
    RUN(first_piece_fast_path);
    RUN(range_checks_reject);
    RUN(slice_pieces_and_limit);
    RUN(cursor_walks_all);
    RUN(zero_clamps);
    return TEST_DONE();
}
