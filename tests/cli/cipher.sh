#!/bin/sh
# vcrypto enc/dec against `openssl enc` on the same key, IV and data:
# several ciphers and sizes, multi-chunk files (1 MiB, odd chunk sizes, many
# requests in flight), stdin/stdout streaming, padding on and off.
. "$(dirname "$0")/lib.sh"

K16=000102030405060708090a0b0c0d0e0f
K24=${K16}1011121314151617
K32=${K16}101112131415161718191a1b1c1d1e1f
K64=${K32}202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
IV16=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
IV8=f0f1f2f3f4f5f6f7
# 3DES key with three distinct halves (OpenSSL and the engine refuse none).
K3DES=0123456789abcdeffedcba987654321089abcdef01234567

for s in 0 1 15 16 17 1000 16384 16385 100000 500000 1048576; do
    mkdata "$T/m$s" "$s"
done

# cipher key iv sizes...: round trip and openssl equality (padded, default).
padded() {
    alg=$1 key=$2 iv=$3
    shift 3
    for s in "$@"; do
        ivopt=""
        [ -n "$iv" ] && ivopt="--iv $iv"
        # shellcheck disable=SC2086
        vc enc -a "$alg" -k "$key" $ivopt -in "$T/m$s" -out "$T/v.enc"
        if [ -n "$iv" ]; then
            openssl enc "-$alg" -K "$key" -iv "$iv" -in "$T/m$s" -out "$T/o.enc"
        else
            openssl enc "-$alg" -K "$key" -in "$T/m$s" -out "$T/o.enc"
        fi
        same "$T/v.enc" "$T/o.enc" "enc $alg $s bytes == openssl enc"
        # shellcheck disable=SC2086
        vc dec -a "$alg" -k "$key" $ivopt -in "$T/v.enc" -out "$T/v.dec"
        same "$T/v.dec" "$T/m$s" "dec $alg $s bytes round trip"
    done
}

# Same with -nopad (sizes must be whole blocks) or for stream modes.
nopad() {
    alg=$1 key=$2 iv=$3
    shift 3
    for s in "$@"; do
        vc enc -a "$alg" -k "$key" --iv "$iv" -nopad -in "$T/m$s" -out "$T/v.enc"
        openssl enc "-$alg" -K "$key" -iv "$iv" -nopad -bufsize 2000000 -in "$T/m$s" \
            -out "$T/o.enc"
        same "$T/v.enc" "$T/o.enc" "enc -nopad $alg $s bytes == openssl enc -nopad"
        vc dec -a "$alg" -k "$key" --iv "$iv" -nopad -in "$T/v.enc" -out "$T/v.dec"
        same "$T/v.dec" "$T/m$s" "dec -nopad $alg $s bytes round trip"
    done
}

padded aes-128-cbc "$K16" "$IV16" 0 1 15 16 17 16384 16385 1048576
padded aes-192-cbc "$K24" "$IV16" 1000
padded aes-256-cbc "$K32" "$IV16" 100000
padded aes-128-ecb "$K16" "" 17 100000
padded des-ede3-cbc "$K3DES" "$IV8" 1000 100000
padded des-ede3 "$K3DES" "" 1000
nopad aes-256-cbc "$K32" "$IV16" 16 16384 1048576
nopad aes-128-ctr "$K16" "$IV16" 1 15 17 16385 100000 1048576
nopad aes-256-ctr "$K32" "$IV16" 1000 1048576

# XTS: `openssl enc` refuses XTS, so a published vector (IEEE 1619-2007
# Annex B, vector 2: tweak = data unit 0x3333333333, little-endian) and
# round trips of several sizes (ciphertext stealing for 17 and 16385).
unhex 4444444444444444444444444444444444444444444444444444444444444444 >"$T/xts.in"
vc enc -a aes-128-xts -k 1111111111111111111111111111111122222222222222222222222222222222 \
    --iv 33333333330000000000000000000000 -in "$T/xts.in" | hex >"$T/xts.hex"
check "aes-128-xts IEEE 1619 vector 2" \
    [ "$(cat "$T/xts.hex")" = c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0 ]
for spec in "aes-128-xts $K32 16" "aes-128-xts $K32 17" "aes-128-xts $K32 100000" \
    "aes-256-xts $K64 16385" "aes-256-xts $K64 500000"; do
    # shellcheck disable=SC2086
    set -- $spec
    vc enc -a "$1" -k "$2" --iv "$IV16" -in "$T/m$3" -out "$T/v.enc"
    vc dec -a "$1" -k "$2" --iv "$IV16" -in "$T/v.enc" -out "$T/v.dec"
    if cmp -s "$T/v.dec" "$T/m$3" && ! cmp -s "$T/v.enc" "$T/m$3"; then
        ok "$1 $3 bytes round trip (one data unit)"
    else
        not_ok "$1 $3 bytes round trip (one data unit)"
    fi
done

# Multi-chunk: the chaining across requests must not depend on the chunk
# size or on how many requests are in flight.
for alg in aes-128-cbc aes-128-ctr; do
    openssl enc "-$alg" -K "$K16" -iv "$IV16" -in "$T/m1048576" -out "$T/o.enc"
    vc enc -a "$alg" -k "$K16" --iv "$IV16" --chunk 4096 --inflight 16 -in "$T/m1048576" \
        -out "$T/v.enc"
    same "$T/v.enc" "$T/o.enc" "enc $alg 1 MiB in 4 KiB chunks, 16 in flight == openssl"
    vc dec -a "$alg" -k "$K16" --iv "$IV16" --chunk 1040 --inflight 3 -in "$T/v.enc" \
        -out "$T/v.dec"
    same "$T/v.dec" "$T/m1048576" "dec $alg 1 MiB in 1040-byte chunks, 3 in flight"
done

# 3DES-CTR has no OpenSSL cipher: chunking must agree with one big request
# (64-bit counter carried between chunks), and decryption must invert it.
vc enc -a des-ede3-ctr -k "$K3DES" --iv "$IV8" --chunk 64k -in "$T/m100000" -out "$T/big.enc"
vc enc -a des-ede3-ctr -k "$K3DES" --iv "$IV8" --chunk 16 --inflight 5 -in "$T/m100000" \
    -out "$T/small.enc"
same "$T/small.enc" "$T/big.enc" "des-ede3-ctr: 16-byte chunks == 64 KiB chunks"
vc dec -a des-ede3-ctr -k "$K3DES" --iv "$IV8" -in "$T/big.enc" -out "$T/v.dec"
same "$T/v.dec" "$T/m100000" "des-ede3-ctr round trip"
# Counter wrap: an IV of all ones must carry across a chunk boundary.
vc enc -a aes-128-ctr -k "$K16" --iv ffffffffffffffffffffffffffffffff --chunk 16 \
    -in "$T/m1000" -out "$T/v.enc"
openssl enc -aes-128-ctr -K "$K16" -iv ffffffffffffffffffffffffffffffff -in "$T/m1000" \
    -out "$T/o.enc"
same "$T/v.enc" "$T/o.enc" "aes-128-ctr counter wrap across 16-byte chunks == openssl"

# stdin -> stdout streaming through a pipe (not a seekable file: the cat
# is the point).
# shellcheck disable=SC2002
cat "$T/m1048576" | vc enc -a aes-256-cbc -k "$K32" --iv "$IV16" >"$T/v.enc"
openssl enc -aes-256-cbc -K "$K32" -iv "$IV16" -in "$T/m1048576" -out "$T/o.enc"
same "$T/v.enc" "$T/o.enc" "enc stdin -> stdout (pipe) == openssl"
# shellcheck disable=SC2002
cat "$T/v.enc" | vc dec -a aes-256-cbc -k "$K32" --iv "$IV16" | cmp -s - "$T/m1048576"
check "dec stdin -> stdout (pipe) round trip" [ $? -eq 0 ]

# Decryption failures.
fails 1 "dec with the wrong key: bad padding" \
    vc dec -a aes-256-cbc -k "$K16$K16" --iv "$IV16" -in "$T/o.enc" -out "$T/x"
fails 1 "dec -nopad of a non-block-multiple input" \
    vc dec -a aes-128-cbc -k "$K16" --iv "$IV16" -nopad -in "$T/m17"
fails 1 "dec (padded) of an empty input" \
    vc dec -a aes-128-cbc -k "$K16" --iv "$IV16" -in "$T/m0"
fails 1 "enc -nopad of a non-block-multiple input" \
    vc enc -a aes-128-ecb -k "$K16" -nopad -in "$T/m15"
fails 1 "xts over what one request can carry (1 MiB)" \
    vc enc -a aes-256-xts -k "$K64" --iv "$IV16" -in "$T/m1048576"
fails 1 "xts with less than 16 bytes" \
    vc enc -a aes-128-xts -k "$K32" --iv "$IV16" -in "$T/m15"

finish
