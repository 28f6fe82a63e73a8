/* Guest memory table: validation of whole tables and range translation
 * edges (hostile-inputs #24, #36). Host pointers here are never
 * dereferenced, so plain arrays stand in for mappings. */
#include "test.h"
#include "vcrypto/err.h"
#include "virtq/gmem.h"

static uint8_t h0[64], h1[64], h2[64];

static struct vc_gmem_region R(uint64_t gpa, uint64_t size, uint64_t uva, uint8_t *host)
{
    return (struct vc_gmem_region){.gpa = gpa, .size = size, .uva = uva, .host = host};
}

/* Three regions: [0x1000,+64) [0x1040,+64) adjacent, [0x9000,+64) apart. */
static void three(struct vc_gmem *gm)
{
    struct vc_gmem_region r[3] = {R(0x9000, 64, 0x7000, h2), R(0x1040, 64, 0x5040, h1),
                                  R(0x1000, 64, 0x2000, h0)};
    vc_gmem_init(gm);
    if (!vc_ok(vc_gmem_set(gm, r, 3)))
        printf("# setup failed\n");
}

TEST(set_sorts_and_counts)
{
    struct vc_gmem gm;
    three(&gm);
    EXPECT_EQ(vc_gmem_count(&gm), 3);
    EXPECT_EQ(vc_gmem_region(&gm, 0)->gpa, 0x1000);
    EXPECT_EQ(vc_gmem_region(&gm, 2)->gpa, 0x9000);
    EXPECT(vc_gmem_region(&gm, 3) == NULL);
}

TEST(bad_tables_rejected_old_kept)
{
    struct vc_gmem gm;
    three(&gm);
    struct vc_gmem_region zero[1] = {R(0x100, 0, 0, h0)};
    struct vc_gmem_region gwrap[1] = {R(UINT64_MAX - 10, 12, 0, h0)};
    struct vc_gmem_region uwrap[1] = {R(0, 12, UINT64_MAX - 10, h0)};
    struct vc_gmem_region nohost[1] = {R(0, 12, 0, NULL)};
    struct vc_gmem_region hwrap[1] = {R(0, 16, 0, (uint8_t *)(UINTPTR_MAX - 7))};
    struct vc_gmem_region partial[2] = {R(0x1000, 0x100, 0, h0), R(0x10ff, 0x10, 0x1000, h1)};
    struct vc_gmem_region same[2] = {R(0x1000, 0x100, 0, h0), R(0x1000, 0x100, 0x1000, h1)};
    struct vc_gmem_region inside[2] = {R(0x1000, 0x1000, 0, h0), R(0x1100, 0x10, 0x5000, h1)};
    /* The second region is valid alone; the table must fail as a whole. */
    struct vc_gmem_region mixed[2] = {R(0x5000, 16, 0, h0), R(0x6000, 0, 0, h1)};
    EXPECT_EQ(vc_gmem_set(&gm, zero, 1).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, gwrap, 1).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, uwrap, 1).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, nohost, 1).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, hwrap, 1).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, partial, 2).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, same, 2).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, inside, 2).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, mixed, 2).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_set(&gm, NULL, 1).err, VC_EINVAL);
    struct vc_gmem_region many[VC_GMEM_MAX_REGIONS + 1];
    for (uint32_t i = 0; i < VC_GMEM_MAX_REGIONS + 1; i++)
        many[i] = R(0x1000 * (uint64_t)i, 16, 0, h0);
    EXPECT_EQ(vc_gmem_set(&gm, many, VC_GMEM_MAX_REGIONS + 1).err, VC_EINVAL);
    EXPECT(vc_ok(vc_gmem_set(&gm, many, VC_GMEM_MAX_REGIONS)));
    EXPECT_EQ(vc_gmem_count(&gm), VC_GMEM_MAX_REGIONS);
    /* The last failing call must not have touched the previous table. */
    three(&gm);
    EXPECT_EQ(vc_gmem_set(&gm, same, 2).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_count(&gm), 3);
    EXPECT(vc_gmem_gpa(&gm, 0x9000, 1) == h2);
}

TEST(region_at_top_of_address_space)
{
    struct vc_gmem gm;
    vc_gmem_init(&gm);
    struct vc_gmem_region r[1] = {R(UINT64_MAX - 63, 64, UINT64_MAX - 63, h0)};
    EXPECT(vc_ok(vc_gmem_set(&gm, r, 1)));
    EXPECT(vc_gmem_gpa(&gm, UINT64_MAX, 1) == h0 + 63);
    EXPECT(vc_gmem_gpa(&gm, UINT64_MAX, 2) == NULL);
    EXPECT(vc_gmem_uva(&gm, UINT64_MAX - 63, 64) == h0);
    struct vc_iov iov[2];
    uint32_t n = 0;
    EXPECT(vc_ok(vc_gmem_map(&gm, UINT64_MAX - 63, 64, iov, 2, &n)));
    EXPECT_EQ(n, 1);
    EXPECT_EQ(vc_gmem_map(&gm, UINT64_MAX - 1, 3, iov, 2, &n).err, VC_ERANGE);
}

TEST(adjacent_regions_allowed)
{
    struct vc_gmem gm;
    vc_gmem_init(&gm);
    struct vc_gmem_region r[2] = {R(0x2000, 0x1000, 0, h0), R(0x1000, 0x1000, 0x1000, h1)};
    EXPECT(vc_ok(vc_gmem_set(&gm, r, 2)));
    /* Overlapping frontend virtual ranges are tolerated (aliases). */
    struct vc_gmem_region a[2] = {R(0x2000, 0x1000, 0, h0), R(0x8000, 0x1000, 0, h1)};
    EXPECT(vc_ok(vc_gmem_set(&gm, a, 2)));
    EXPECT(vc_ok(vc_gmem_set(&gm, NULL, 0)));
    EXPECT_EQ(vc_gmem_count(&gm), 0);
}

TEST(map_edges)
{
    struct vc_gmem gm;
    three(&gm);
    struct vc_iov iov[4];
    uint32_t n = 0;
    EXPECT(vc_ok(vc_gmem_map(&gm, 0x1000, 64, iov, 4, &n)));
    EXPECT_EQ(n, 1);
    EXPECT(iov[0].base == h0 && iov[0].len == 64);
    EXPECT(vc_ok(vc_gmem_map(&gm, 0x903f, 1, iov, 4, &n)));
    EXPECT(n == 1 && iov[0].base == h2 + 63);
    /* One past a lone region, the gap before it, len 0, wrap. */
    EXPECT_EQ(vc_gmem_map(&gm, 0x9000, 65, iov, 4, &n).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_map(&gm, 0x9040, 1, iov, 4, &n).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_map(&gm, 0x8fff, 2, iov, 4, &n).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_map(&gm, 0x1000, 0, iov, 4, &n).err, VC_EINVAL);
    EXPECT_EQ(vc_gmem_map(&gm, UINT64_MAX - 3, 8, iov, 4, &n).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_map(&gm, 0x1000, UINT64_MAX, iov, 4, &n).err, VC_ERANGE);
    EXPECT_EQ(vc_gmem_map(&gm, 0x1000, 0xffffffff, iov, 4, &n).err, VC_ERANGE);
}

TEST(map_straddles_adjacent_regions)
{
    struct vc_gmem gm;
    three(&gm);
    struct vc_iov iov[4];
    uint32_t n = 0;
    EXPECT(vc_ok(vc_gmem_map(&gm, 0x1038, 16, iov, 4, &n)));
    EXPECT_EQ(n, 2);
    EXPECT(iov[0].base == h0 + 56 && iov[0].len == 8);
    EXPECT(iov[1].base == h1 && iov[1].len == 8);
    EXPECT(vc_ok(vc_gmem_map(&gm, 0x1000, 128, iov, 4, &n)));
    EXPECT_EQ(n, 2);
    /* Runs past the second region into the gap. */
    EXPECT_EQ(vc_gmem_map(&gm, 0x1038, 80, iov, 4, &n).err, VC_ERANGE);
    /* Needs two pieces, only one slot. */
    EXPECT_EQ(vc_gmem_map(&gm, 0x1038, 16, iov, 1, &n).err, VC_ENOSPC);
    EXPECT_EQ(vc_gmem_map(&gm, 0x1000, 1, iov, 0, &n).err, VC_ENOSPC);
}

TEST(uva_and_gpa_single_region_only)
{
    struct vc_gmem gm;
    three(&gm);
    EXPECT(vc_gmem_uva(&gm, 0x2000, 64) == h0);
    EXPECT(vc_gmem_uva(&gm, 0x2010, 48) == h0 + 16);
    EXPECT(vc_gmem_uva(&gm, 0x2010, 49) == NULL);
    EXPECT(vc_gmem_uva(&gm, 0x5040, 64) == h1);
    EXPECT(vc_gmem_uva(&gm, 0x1fff, 1) == NULL);
    EXPECT(vc_gmem_uva(&gm, 0x2000, 0) == NULL);
    EXPECT(vc_gmem_uva(&gm, UINT64_MAX, 2) == NULL);
    EXPECT(vc_gmem_gpa(&gm, 0x1040, 64) == h1);
    /* Contiguous in gpa, but a ring must sit in one region. */
    EXPECT(vc_gmem_gpa(&gm, 0x1038, 16) == NULL);
    EXPECT(vc_gmem_gpa(&gm, 0x5000, 1) == NULL);
}

TEST(empty_table_translates_nothing)
{
    struct vc_gmem gm;
    vc_gmem_init(&gm);
    struct vc_iov iov[1];
    uint32_t n;
    EXPECT_EQ(vc_gmem_map(&gm, 0, 1, iov, 1, &n).err, VC_ERANGE);
    EXPECT(vc_gmem_uva(&gm, 0, 1) == NULL);
    EXPECT(vc_gmem_gpa(&gm, 0, 1) == NULL);
}

int main(void)
{
    RUN(set_sorts_and_counts);
    RUN(bad_tables_rejected_old_kept);
    RUN(region_at_top_of_address_space);
    RUN(adjacent_regions_allowed);
    RUN(map_edges);
    RUN(map_straddles_adjacent_regions);
    RUN(uva_and_gpa_single_region_only);
    RUN(empty_table_translates_nothing);
    return TEST_DONE();
}
