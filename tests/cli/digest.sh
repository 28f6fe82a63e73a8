#!/bin/sh
# vcrypto dgst/mac against `openssl dgst` / `openssl mac` on the same data,
# published vectors where OpenSSL has no equivalent (XCBC), and the
# one-request size limit (virtio-crypto has no streaming hash).
. "$(dirname "$0")/lib.sh"

for s in 0 1 1000 65536 1000000; do
    mkdata "$T/m$s" "$s"
done
lower() { tr 'A-F' 'a-f'; }

for alg in md5 sha1 sha224 sha256 sha384 sha512 sha3-224 sha3-256 sha3-384 sha3-512; do
    for s in 0 1000 1000000; do
        want=$(openssl dgst "-$alg" -r "$T/m$s" | cut -d' ' -f1)
        got=$(vc dgst -a "$alg" -in "$T/m$s")
        check "dgst $alg $s bytes == openssl dgst" [ "$got" = "$want" ]
    done
done
for spec in "shake128 16" "shake256 32" "shake128 64" "shake256 64" "shake256 7"; do
    # shellcheck disable=SC2086
    set -- $spec
    want=$(openssl dgst "-$1" -xoflen "$2" -r "$T/m1000" | cut -d' ' -f1)
    got=$(vc dgst -a "$1" --len "$2" -in "$T/m1000")
    check "dgst $1 --len $2 == openssl dgst -xoflen $2" [ "$got" = "$want" ]
done
want=$(openssl dgst -shake128 -r "$T/m1000" | cut -d' ' -f1)
check "dgst shake128 default length == openssl (16 bytes)" \
    [ "$(vc dgst -a shake128 -in "$T/m1000")" = "$want" ]
vc dgst -a sha512 --binary -in "$T/m65536" -out "$T/v.bin"
openssl dgst -sha512 -binary -out "$T/o.bin" "$T/m65536"
same "$T/v.bin" "$T/o.bin" "dgst --binary == openssl dgst -binary"
want=$(openssl dgst -sha256 -r "$T/m65536" | cut -c1-32)
check "dgst sha256 --len 16 is the truncated digest" \
    [ "$(vc dgst -a sha256 --len 16 <"$T/m65536")" = "$want" ]

# MACs.
K32=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
for spec in "hmac-md5 MD5" "hmac-sha1 SHA1" "hmac-sha224 SHA224" "hmac-sha256 SHA256" \
    "hmac-sha384 SHA384" "hmac-sha512 SHA512"; do
    # shellcheck disable=SC2086
    set -- $spec
    for s in 0 65536; do
        want=$(openssl mac -digest "$2" -macopt "hexkey:$K32" -in "$T/m$s" HMAC | lower)
        got=$(vc mac -a "$1" -k "$K32" -in "$T/m$s")
        check "mac $1 $s bytes == openssl mac HMAC" [ "$got" = "$want" ]
    done
done
# HMAC keys longer than the block are hashed first; 131 bytes exercises it.
LONGKEY=$(head -c 131 "$T/m1000" | hex)
want=$(openssl mac -digest SHA256 -macopt "hexkey:$LONGKEY" -in "$T/m1000" HMAC | lower)
check "mac hmac-sha256 with a 131-byte key == openssl" \
    [ "$(vc mac -a hmac-sha256 -k "$LONGKEY" -in "$T/m1000")" = "$want" ]
want=$(openssl mac -digest SHA256 -macopt "hexkey:$K32" -in "$T/m1000" HMAC | lower | cut -c1-24)
check "mac hmac-sha256 --len 12 is the truncated tag" \
    [ "$(vc mac -a hmac-sha256 -k "$K32" --len 12 -in "$T/m1000")" = "$want" ]
for k in 000102030405060708090a0b0c0d0e0f 000102030405060708090a0b0c0d0e0f1011121314151617 \
    "$K32"; do
    bits=$((${#k} * 4))
    want=$(openssl mac -cipher "AES-$bits-CBC" -macopt "hexkey:$k" -in "$T/m1000" CMAC | lower)
    check "mac cmac-aes ($bits-bit key) == openssl mac CMAC" \
        [ "$(vc mac -a cmac-aes -k "$k" -in "$T/m1000")" = "$want" ]
done
K3DES=0123456789abcdeffedcba987654321089abcdef01234567
want=$(openssl mac -cipher DES-EDE3-CBC -macopt "hexkey:$K3DES" -in "$T/m1000" CMAC | lower)
check "mac cmac-des-ede3 == openssl mac CMAC" \
    [ "$(vc mac -a cmac-des-ede3 -k "$K3DES" -in "$T/m1000")" = "$want" ]
# CBC-MAC (no padding) = last block of AES-CBC with a zero IV.
want=$(openssl enc -aes-128-cbc -nopad -K 000102030405060708090a0b0c0d0e0f \
    -iv 00000000000000000000000000000000 -in "$T/m65536" | tail -c 16 | hex)
check "mac cbcmac-aes == last block of openssl enc -aes-128-cbc -nopad" \
    [ "$(vc mac -a cbcmac-aes -k 000102030405060708090a0b0c0d0e0f -in "$T/m65536")" = "$want" ]
# AES-XCBC-MAC-96 has no OpenSSL implementation: RFC 3566 section 4.6
# test cases 1 (empty) and 2 (3 bytes), full 16-byte MAC.
check "mac xcbc-aes RFC 3566 test case 1" \
    [ "$(vc mac -a xcbc-aes -k 000102030405060708090a0b0c0d0e0f </dev/null)" = \
    75f0251d528ac01c4573dfd584d79f29 ]
unhex 000102 >"$T/x3"
check "mac xcbc-aes RFC 3566 test case 2" \
    [ "$(vc mac -a xcbc-aes -k 000102030405060708090a0b0c0d0e0f -in "$T/x3")" = \
    5b376580ae2f19afe7219ceef172756f ]

# One request: max_size (1 MiB) covers input + digest.
head -c 1048544 /dev/zero >"$T/atlimit"
want=$(openssl dgst -sha256 -r "$T/atlimit" | cut -d' ' -f1)
check "dgst sha256 of max_size - 32 bytes (the largest one request carries)" \
    [ "$(vc dgst -a sha256 -in "$T/atlimit")" = "$want" ]
printf x >>"$T/atlimit"
fails 1 "dgst one byte over the one-request limit" vc dgst -a sha256 -in "$T/atlimit"
fails 1 "mac cbcmac-aes of a partial block" \
    vc mac -a cbcmac-aes -k 000102030405060708090a0b0c0d0e0f -in "$T/m1000"
fails 2 "dgst --len above the digest size" vc dgst -a sha256 --len 33 -in "$T/m1"
fails 2 "mac without a key" vc mac -a hmac-sha256 -in "$T/m1"
fails 2 "mac cmac-aes with a 15-byte key" \
    vc mac -a cmac-aes -k 000102030405060708090a0b0c0d0e -in "$T/m1"
fails 1 "mac gmac-aes (no IV in a virtio MAC request)" \
    vc mac -a gmac-aes -k 000102030405060708090a0b0c0d0e0f -in "$T/m1"

finish
