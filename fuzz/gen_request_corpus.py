#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_request (see fuzz_request.c for the input
layout). Seeds ending in _negative are malformed on purpose."""
import os
import struct
import sys

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "request")
os.makedirs(out, exist_ok=True)


def seed(name, ctrl, rev1, piece, slot, wlen, rd):
    flags = (1 if ctrl else 0) | (2 if rev1 else 0) | (piece << 2)
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([flags, slot]) + struct.pack("<H", wlen) + rd)


def data_hdr(opcode, flf, legacy=True):
    h = struct.pack("<IIQII", opcode, 0, 0, 1, 0)
    return h + flf.ljust(48 if legacy else len(flf), b"\0")


def u32s(*v):
    return struct.pack("<" + "I" * len(v), *v)


cipher = u32s(16, 32, 32, 0) + b"\0" * 24 + u32s(1, 0)
seed("cipher_cbc", False, False, 0, 0, 33, data_hdr(0x0000, cipher) + b"\x11" * 16 + b"\x22" * 32)
seed("cipher_cbc_pieces", False, False, 5, 0, 33, data_hdr(0x0000, cipher) + b"\x11" * 48)
chain = u32s(16, 32, 32, 0, 32, 0, 32, 8, 20, 0) + u32s(2, 0)
seed("chain", False, False, 7, 1, 53, data_hdr(0x0000, chain) + b"\x01" * 56)
seed("hash", False, False, 3, 2, 33, data_hdr(0x0100, u32s(100, 32)) + b"a" * 100)
seed("hash_rev1", False, True, 0, 2, 33, data_hdr(0x0100, u32s(100, 32), False) + b"a" * 100)
seed("mac", False, False, 0, 3, 33, data_hdr(0x0200, u32s(64, 32)) + b"m" * 64)
seed("aead_gcm_dec", False, False, 9, 4, 49,
     data_hdr(0x0301, u32s(12, 5, 64, 48, 16, 0)) + b"\x07" * 12 + b"c" * 64 + b"aaaaa")
seed("aead_ccm_enc", False, False, 0, 5, 41,
     data_hdr(0x0300, u32s(12, 3, 32, 40, 8, 0)) + b"\x07" * 12 + b"p" * 32 + b"aaa")
seed("data_sum_wrap_negative", False, False, 0, 0, 33,
     data_hdr(0x0000, u32s(16, 0xFFFFFFF0, 0xFFFFFFF0, 0) + b"\0" * 24 + u32s(1, 0)))
seed("data_dst_short_negative", False, False, 0, 0, 17,
     data_hdr(0x0000, u32s(16, 32, 16, 0) + b"\0" * 24 + u32s(1, 0)) + b"\0" * 48)
seed("data_no_status_negative", False, False, 0, 0, 0, data_hdr(0x0100, u32s(4, 32)) + b"abcd")


def ctrl_hdr(opcode, algo, flf, legacy=True):
    return u32s(opcode, algo, 0, 0) + flf.ljust(56 if legacy else len(flf), b"\0")


sym = u32s(3, 16, 1, 0) + b"\0" * 32 + u32s(1, 0)
seed("ctrl_cipher", True, False, 0, 0, 16, ctrl_hdr(0x0002, 3, sym) + b"k" * 16)
seed("ctrl_xts", True, False, 0, 0, 16,
     ctrl_hdr(0x0002, 13, u32s(13, 64, 2, 0) + b"\0" * 32 + u32s(1, 0)) + bytes(range(64)))
chain_s = (u32s(2, 2) + u32s(3, 16, 1, 0) + u32s(4, 32, 32, 0) + u32s(0, 0)) + u32s(2, 0)
seed("ctrl_chain", True, False, 4, 0, 16, ctrl_hdr(0x0002, 3, chain_s) + b"k" * 48)
seed("ctrl_hash", True, True, 0, 0, 16, ctrl_hdr(0x0102, 8, u32s(8, 32), False))
seed("ctrl_mac", True, False, 0, 0, 16, ctrl_hdr(0x0202, 4, u32s(4, 32, 32, 0)) + b"k" * 32)
seed("ctrl_aead", True, False, 0, 0, 16, ctrl_hdr(0x0302, 1, u32s(1, 32, 16, 0, 1, 0)) + b"k" * 32)
# ECDSA P-256 public key: a point that is not on the curve (parser path)
seed("ctrl_ecdsa_bad_point_negative", True, False, 0, 0, 16,
     ctrl_hdr(0x0404, 2, u32s(2, 1, 65, 3)) + b"\x04" + b"\x01" * 64)
# RSA public key DER header with garbage (parser path)
seed("ctrl_rsa_garbage_negative", True, False, 0, 0, 16,
     ctrl_hdr(0x0404, 1, u32s(1, 1, 16, 1, 6)) + b"\x30\x0e\x02\x01\x03" + b"\xff" * 11)
seed("ctrl_destroy", True, False, 0, 0, 1, ctrl_hdr(0x0003, 0, struct.pack("<Q", 1)))
seed("ctrl_key_too_long_negative", True, False, 0, 0, 16,
     ctrl_hdr(0x0002, 3, u32s(3, 0xFFFFFFFF, 1, 0) + b"\0" * 32 + u32s(1, 0)))
print("wrote", len(os.listdir(out)), "seeds to", out, file=sys.stderr)
