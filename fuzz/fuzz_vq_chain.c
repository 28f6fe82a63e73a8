/* libFuzzer target: descriptor-chain walking over fake guest memory
 * (STYLE.md rule 14; hostile-inputs §1d).
 *
 * Input layout:
 *   byte 0   queue size = 1 << (b % 9)       (1 .. 256)
 *   byte 1   bits 0-1 event-idx mode, bits 2-7 iov slots - 1 (1 .. 64)
 *   byte 2-3 base avail index (little endian)
 *   byte 4.. guest memory image, copied over the regions in order
 *
 * Guest memory: R0 [0x10000, +16 KiB) and R1 [0x14000, +16 KiB) adjacent (so
 * buffers and indirect tables may straddle), R2 [0x40000, +16 KiB) after a
 * gap. Each region is its own malloc, so ASan flags any access outside one.
 * The ring lives in R0: descriptors at +0, avail at +0x1000, used at +0x1800;
 * the image therefore controls the descriptor table, the avail ring and any
 * indirect tables. Popped chains are checked against invariants, every byte
 * of every piece is touched (writable ones are overwritten, which may rewrite
 * the ring itself, as a hostile guest could), and completions are pushed out
 * of order. Any invariant violation traps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtq/vq.h"

#define NREG 3
#define RSZ 0x4000u
#define UVA_OFF 0x5500000000ull

static const uint64_t reg_gpa[NREG] = {0x10000, 0x14000, 0x40000};
/* Readable bytes are folded in here so the reads cannot be optimised away. */
static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_regions(uint8_t *const *mem, const struct vc_iov *v)
{
    for (int i = 0; i < NREG; i++)
        if (v->base >= mem[i] && v->len <= RSZ && v->base + v->len <= mem[i] + RSZ)
            return 1;
    return 0;
}

static void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t qs = 1u << (data[0] % 9);
    enum vc_vq_evidx ev = (enum vc_vq_evidx)((data[1] & 3) % 3);
    uint32_t iov_max = (uint32_t)(data[1] >> 2) + 1;
    uint16_t base = (uint16_t)(data[2] | data[3] << 8);
    data += 4;
    size -= 4;

    uint8_t *mem[NREG];
    struct vc_gmem_region r[NREG];
    for (int i = 0; i < NREG; i++) {
        mem[i] = calloc(1, RSZ);
        if (!mem[i])
            abort();
        size_t n = size < RSZ ? size : RSZ;
        memcpy(mem[i], data, n);
        data += n;
        size -= n;
        r[i] = (struct vc_gmem_region){
            .gpa = reg_gpa[i], .size = RSZ, .uva = reg_gpa[i] + UVA_OFF, .host = mem[i]};
    }
    struct vc_gmem gm;
    vc_gmem_init(&gm);
    check(vc_ok(vc_gmem_set(&gm, r, NREG)));

    static struct vc_vq vq; /* 4.5 KiB: keep it off the fuzzer's stack */
    vc_vq_init(&vq, NULL, NULL);
    struct vc_vq_config cfg = {.size = qs,
                               .base = base,
                               .desc = reg_gpa[0] + UVA_OFF,
                               .avail = reg_gpa[0] + 0x1000 + UVA_OFF,
                               .used = reg_gpa[0] + 0x1800 + UVA_OFF,
                               .evidx = ev};
    check(vc_ok(vc_vq_start(&vq, &cfg, &gm)));

    struct vc_iov iov[64];
    uint16_t held[256];
    uint32_t held_len[256];
    uint32_t nheld = 0;
    for (uint32_t round = 0; round < 2 * qs + 2; round++) {
        struct vc_vq_elem e = {.iov = iov, .iov_max = iov_max};
        vc_result res = vc_vq_pop(&vq, &gm, &e);
        if (res.err != 0) {
            check(res.err == VC_EAGAIN || res.err == VC_EBROKEN);
            check((res.err == VC_EBROKEN) == vc_vq_is_broken(&vq));
            if (res.err == VC_EAGAIN && round % 3 == 0 && vc_vq_enable_notify(&vq))
                continue;
            break;
        }
        check(e.head < qs);
        check(e.rd_cnt + e.wr_cnt <= iov_max);
        check(e.ndesc >= 1);
        uint64_t rd = 0, wr = 0;
        for (uint32_t i = 0; i < e.rd_cnt + e.wr_cnt; i++) {
            check(iov[i].len > 0 && in_regions(mem, &iov[i]));
            if (i < e.rd_cnt) {
                for (size_t b = 0; b < iov[i].len; b++)
                    sink ^= iov[i].base[b];
                rd += iov[i].len;
            } else {
                memset(iov[i].base, 0x5a, iov[i].len);
                wr += iov[i].len;
            }
        }
        check(rd == e.rd_len && wr == e.wr_len);
        check(nheld < 256 && vc_vq_inflight(&vq) == nheld + 1);
        held_len[nheld] = (uint32_t)e.wr_len;
        held[nheld++] = e.head;
        /* Complete out of order: every third round the oldest, else hold. */
        if (round % 3 == 2) {
            check(vc_ok(vc_vq_push(&vq, held[0], held_len[0])));
            nheld--;
            memmove(held, held + 1, nheld * sizeof held[0]);
            memmove(held_len, held_len + 1, nheld * sizeof held_len[0]);
            (void)vc_vq_should_notify(&vq);
        }
    }
    /* Newest first; each exactly once, the second attempt refused. */
    while (nheld > 0) {
        uint16_t h = held[--nheld];
        check(vc_ok(vc_vq_push(&vq, h, 0)));
        check(vc_vq_push(&vq, h, 0).err == VC_EINVAL);
    }
    check(vc_vq_inflight(&vq) == 0);
    (void)vc_vq_should_notify(&vq);
    vc_vq_disable_notify(&vq);
    (void)vc_vq_has_avail(&vq);

    for (int i = 0; i < NREG; i++)
        free(mem[i]);
    return 0;
}
