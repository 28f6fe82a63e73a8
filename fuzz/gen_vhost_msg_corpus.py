#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_vhost_msg into fuzz/corpus/vhost_msg/.

Record layout (see fuzz_vhost_msg.c): 1 fd-spec byte (bits 0-3 fd count,
bits 4-5 kind: 0 memfd 64 KiB, 1 eventfd, 2 pipe, 3 memfd 4 KiB; bit 6
reconnect first), a 12-byte header (request, flags, size), then the payload.
Well-formed sequences are named after what they do; malformed ones end in
_negative. Offsets of the crypto session layouts: reference/virtio-crypto.md
section 2.3.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'vhost_msg')

GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE = 1, 2, 3, 4, 5
SET_LOG_BASE = 6
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR = 12, 13, 14
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE = 15, 16, 17, 18
GET_CONFIG, SET_CONFIG, CREATE_SESSION, CLOSE_SESSION = 24, 25, 26, 27
V, NEED_REPLY = 1, 8
MEMFD, EVENTFD, PIPE, MEMFD_SMALL = 0, 1, 2, 3
UVA = 0x7f0000000000


def rec(req, payload=b'', flags=V, nfds=0, kind=MEMFD, reconnect=False, size=None):
    spec = nfds | (kind << 4) | (0x40 if reconnect else 0)
    return bytes([spec]) + struct.pack('<III', req, flags,
                                       len(payload) if size is None else size) + payload


def u64(v):
    return struct.pack('<Q', v)


def state(i, n):
    return struct.pack('<II', i, n)


def handshake():
    return (rec(SET_OWNER) + rec(GET_FEATURES) + rec(GET_PROTOCOL_FEATURES) +
            rec(SET_PROTOCOL_FEATURES, u64(0x289)) + rec(GET_QUEUE_NUM) +
            rec(SET_FEATURES, u64(1 << 30)))


def mem_table(regions, nfds=None, kind=MEMFD, flags=V):
    p = struct.pack('<II', len(regions), 0)
    for r in regions:
        p += struct.pack('<QQQQ', *r)
    return rec(SET_MEM_TABLE, p, flags=flags, nfds=len(regions) if nfds is None else nfds,
               kind=kind)


def ring(i, num=64):
    addr = struct.pack('<IIQQQQ', i, 0, UVA + 0x1000, UVA + 0x3000, UVA + 0x2000, 0)
    return (rec(SET_VRING_NUM, state(i, num)) + rec(SET_VRING_BASE, state(i, 0)) +
            rec(SET_VRING_ADDR, addr) + rec(SET_VRING_KICK, u64(i), nfds=1, kind=EVENTFD) +
            rec(SET_VRING_CALL, u64(i), nfds=1, kind=EVENTFD))


def sym(layout, cipher=3, key_len=16, op_type=1, auth_key_len=0, hash_alg=0):
    size = 1072 if layout == 'C' else 632
    b = bytearray(size)
    o = 8
    if layout == 'A':
        struct.pack_into('<I', b, 8, 2)
        o = 12
    elif layout == 'C':
        struct.pack_into('<Q', b, 0, 2)
    struct.pack_into('<IIIIII', b, o, cipher, key_len, hash_alg, 20 if hash_alg else 0,
                     auth_key_len, 0)
    b[o + 24:o + 28] = bytes([op_type, 1, 2 if auth_key_len else 0, 2 if op_type == 2 else 0])
    for k in range(min(key_len, 64)):
        b[56 + k] = k + 1
    for k in range(min(auth_key_len, 512)):
        b[120 + k] = 0x80 | (k & 0x7f)
    return rec(CREATE_SESSION, bytes(b))


def asym(keylen=270, keytype=1):
    b = bytearray(1072)
    struct.pack_into('<Q', b, 0, 0x0404)
    struct.pack_into('<III', b, 8, 1, keytype, keylen)
    struct.pack_into('<II', b, 32, 1, 6)
    for k in range(min(keylen, 1024)):
        b[40 + k] = k & 0xff
    return rec(CREATE_SESSION, bytes(b))


def config(off, size, flags=V):
    return rec(GET_CONFIG, struct.pack('<III', off, size, 0) + bytes(size), flags=flags)


SEEDS = {
    'handshake': handshake(),
    'ring_setup': handshake() + mem_table([(0, 0x10000, UVA, 0)]) + ring(0) + ring(1) +
    rec(SET_VRING_ENABLE, state(0, 0)) + rec(SET_VRING_ENABLE, state(0, 1)) +
    rec(GET_VRING_BASE, state(0, 0)) + rec(GET_VRING_BASE, state(1, 0)),
    'mem_replace': handshake() + mem_table([(0, 0x10000, UVA, 0)]) + ring(0) +
    mem_table([(0, 0x8000, UVA, 0x8000), (0x100000, 0x8000, UVA + 0x8000, 0)]),
    'kick_nofd_polling': handshake() + mem_table([(0, 0x10000, UVA, 0)]) +
    rec(SET_VRING_NUM, state(0, 8)) +
    rec(SET_VRING_ADDR, struct.pack('<IIQQQQ', 0, 0, UVA, UVA + 0x200, UVA + 0x100, 0)) +
    rec(SET_VRING_KICK, u64(0x100)) + rec(SET_VRING_ERR, u64(0x101)),
    'sessions_a': handshake() + sym('A') + sym('A', cipher=2, key_len=16) + rec(CLOSE_SESSION,
                                                                                 u64(1)),
    'sessions_b': handshake() + sym('B') + sym('B', cipher=2, key_len=32) + sym(
        'B', op_type=2, auth_key_len=64, hash_alg=2) + rec(CLOSE_SESSION, u64(2)),
    'sessions_c': handshake() + sym('C') + asym() + rec(CLOSE_SESSION, u64(1)),
    'reconnect': handshake() + sym('B') + rec(GET_FEATURES, reconnect=True) +
    rec(CLOSE_SESSION, u64(1)),
    'config': handshake() + config(0, 56) + config(8, 4) +
    rec(SET_CONFIG, struct.pack('<III', 0, 4, 0) + bytes(4)),
    'reply_ack': handshake() + rec(SET_OWNER, flags=V | NEED_REPLY) +
    rec(CLOSE_SESSION, u64(99), flags=V | NEED_REPLY) + mem_table(
        [(0, 0x10000, UVA, 0)], flags=V | NEED_REPLY),
    'bad_sizes_negative': rec(GET_FEATURES, u64(0)) + rec(SET_FEATURES, b'\0' * 4) +
    rec(SET_VRING_NUM, b'\0' * 9) + rec(CREATE_SESSION, b'\0' * 700) +
    rec(GET_FEATURES, size=0xffffffff),
    'bad_headers_negative': rec(GET_FEATURES, flags=0) + rec(GET_FEATURES, flags=V | 4) +
    rec(GET_FEATURES, flags=V | 0x10),
    'fds_on_nofd_negative': rec(SET_FEATURES, u64(0), nfds=2, kind=PIPE) +
    rec(GET_FEATURES, nfds=8, kind=EVENTFD) + rec(SET_VRING_KICK, u64(0x100), nfds=1) +
    rec(SET_VRING_CALL, u64(0)),
    'unknown_request_negative': rec(SET_LOG_BASE, u64(0) * 2, nfds=1) + rec(99) +
    rec(0xffffffff, u64(0), flags=V | NEED_REPLY) + rec(0),
    'index_high_bits_negative': rec(SET_VRING_NUM, state(0x10000, 8)) +
    rec(SET_VRING_BASE, state(0, 0x10000)) + rec(GET_VRING_BASE, state(0x80000000, 0)) +
    rec(SET_VRING_KICK, u64(1 << 32), nfds=1, kind=EVENTFD) + rec(SET_VRING_NUM, state(0, 7)),
    'mem_table_negative': mem_table([(0, 0x10000, UVA, 0), (0x8000, 0x10000, UVA, 0)]) +
    mem_table([(0, 0x10000, UVA, 0)], nfds=0) + mem_table([(0, 0x20000, UVA, 0)]) +
    mem_table([(0, 0x10000, UVA, 0)], kind=MEMFD_SMALL) +
    mem_table([(0xffffffffffff0000, 0x20000, UVA, 0)]) + mem_table([(0, 0, UVA, 0)]) +
    mem_table([(0, 0x10000, UVA, 0)], kind=PIPE) +
    rec(SET_MEM_TABLE, struct.pack('<II', 0xffffffff, 0) + bytes(256), nfds=8),
    'key_too_long_negative': sym('A', key_len=65) + sym('B', key_len=0xffffffff) +
    sym('C', op_type=2, auth_key_len=513) + asym(keylen=1025) + sym('B', op_type=0),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    print('wrote %d seeds to %s' % (len(SEEDS), OUT))


if __name__ == '__main__':
    main()
