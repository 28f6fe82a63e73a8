#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_vq_chain into fuzz/corpus/vq_chain/.

Layout (see fuzz_vq_chain.c): 4 header bytes, then the guest memory image of
R0 [0x10000,+16K) R1 [0x14000,+16K) R2 [0x40000,+16K) in that order. Ring in
R0: descriptors at +0, avail at +0x1000, used at +0x1800. Files end at the
last non-zero byte (the harness zero-fills the rest). Seeds of well-formed
rings are named after the layout; malformed ones end in _negative.
"""
import os
import struct

R0, R1, R2 = 0x10000, 0x14000, 0x40000
RSZ = 0x4000
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'vq_chain')


def off(gpa):
    for i, base in enumerate((R0, R1, R2)):
        if base <= gpa < base + RSZ:
            return i * RSZ + gpa - base
    raise ValueError(hex(gpa))


class Image:
    def __init__(self, qlog2=3, mode=0, iov_slots=64, base=0):
        self.q = 1 << qlog2
        self.hdr = bytes([qlog2, (mode & 3) | ((iov_slots - 1) << 2)]) + struct.pack('<H', base)
        self.mem = bytearray(3 * RSZ)
        self.avail = base
        self.put16(R0 + 0x1802, base)  # used->idx continues from base

    def put(self, gpa, b):
        o = off(gpa)
        self.mem[o:o + len(b)] = b

    def put16(self, gpa, v):
        self.put(gpa, struct.pack('<H', v & 0xffff))

    def desc(self, i, addr, ln, flags=0, nxt=0, table=R0):
        self.put(table + 16 * i, struct.pack('<QIHH', addr, ln, flags, nxt))

    def post(self, head):
        self.put16(R0 + 0x1000 + 4 + 2 * (self.avail % self.q), head)
        self.avail += 1
        self.put16(R0 + 0x1002, self.avail)

    def write(self, name):
        data = self.hdr + bytes(self.mem).rstrip(b'\0')
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)


def seeds():
    s = {}
    m = Image()
    m.desc(0, 0x12000, 16, F_NEXT, 1)
    m.desc(1, 0x12100, 32, F_WRITE)
    m.post(0)
    s['direct_chain'] = m

    m = Image(mode=1)
    T = 0x13000
    m.desc(0, 0x12000, 8, F_NEXT, 2, table=T)
    m.desc(2, 0x12010, 8, F_NEXT, 1, table=T)
    m.desc(1, 0x12100, 64, F_WRITE, table=T)
    m.desc(3, T, 48, F_INDIRECT)
    m.post(3)
    s['indirect'] = m

    m = Image(mode=2)
    m.desc(0, T, 8 * 1, F_NEXT, table=T + 0x100)  # unused table entry
    m.desc(0, 0x12000, 24, F_NEXT, 1)
    m.desc(1, T, 32, F_INDIRECT | F_WRITE)
    m.desc(0, 0x12040, 8, F_NEXT, 1, table=T)
    m.desc(1, 0x12100, 16, F_WRITE, table=T)
    m.post(0)
    s['direct_then_indirect'] = m

    m = Image()
    m.desc(0, R1 - 8, 24, F_WRITE)
    m.desc(1, R1 - 32, 64, F_INDIRECT)
    m.desc(0, 0x12000, 4, F_NEXT, 1, table=R1 - 32)
    m.desc(1, 0x12100, 4, F_NEXT, 2, table=R1 - 32)
    m.desc(2, R2, 4, F_WRITE | F_NEXT, 3, table=R1 - 32)
    m.desc(3, R2 + 8, 4, F_WRITE, table=R1 - 32)
    m.post(0)
    m.post(1)
    s['straddle_regions'] = m

    m = Image(qlog2=2, mode=1, base=65534)
    for i in range(4):
        m.desc(i, 0x12000 + 0x40 * i, 16, F_WRITE if i & 1 else 0)
        m.post(3 - i)
    s['wrap_65535_full_ring'] = m

    m = Image(qlog2=8, iov_slots=3)
    for i in range(5):
        m.desc(i, 0x12000 + 8 * i, 8, F_NEXT if i < 4 else F_WRITE, i + 1)
    m.desc(10, 0x12000, 8)
    m.post(0)
    m.post(10)
    s['iov_full_then_ok'] = m

    m = Image()
    m.desc(0, 0x12000, 8, F_NEXT, 1)
    m.desc(1, 0x12000, 8, F_NEXT, 0)
    m.post(0)
    s['loop_negative'] = m

    m = Image()
    m.desc(0, 0x12000, 8, F_NEXT, 8)
    m.post(0)
    s['next_range_negative'] = m

    m = Image()
    m.desc(2, 0x12000, 8)
    m.post(2)
    m.post(2)
    s['dup_head_negative'] = m

    m = Image()
    m.put16(R0 + 0x1002, 9)
    s['avail_overrun_negative'] = m

    m = Image()
    m.desc(0, 0x12000, 0)
    m.desc(1, 0x20000, 16)
    m.desc(2, 0xfffffffffffffff8, 16)
    m.desc(3, 0x12000, 0xffffffff)
    m.desc(4, 0x12000, 8, F_WRITE | F_NEXT, 5)
    m.desc(5, 0x12000, 8)
    for h in range(6):
        if h != 5:
            m.post(h)
    s['bad_buffers_negative'] = m

    m = Image()
    m.desc(0, T, 15, F_INDIRECT)
    m.desc(1, T, 32, F_INDIRECT | F_NEXT, 2)
    m.desc(2, T, 32, F_INDIRECT)
    m.desc(0, 0x12000, 8, F_NEXT, 1, table=T)
    m.desc(1, T, 16, F_INDIRECT, table=T)
    m.desc(3, 0x30000, 32, F_INDIRECT)
    for h in (0, 1, 2, 3):
        m.post(h)
    s['indirect_rules_negative'] = m
    return s


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for name, img in seeds().items():
        img.write(name)
