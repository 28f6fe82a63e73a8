#!/bin/sh
# vcrypto aead-enc/aead-dec: published vectors (`openssl enc` has no AEAD
# mode), round trips, and every way a decryption must fail: tampered
# ciphertext or tag, wrong AAD, wrong nonce, truncated input. A failed
# decryption exits 1, prints one line and writes nothing.
. "$(dirname "$0")/lib.sh"

# GCM spec (McGrew & Viega) test case 4: AES-128, 60-byte plaintext, AAD.
unhex d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39 >"$T/gcm.p"
GCM_K=feffe9928665731c6d6a8f9467308308
GCM_IV=cafebabefacedbaddecaf888
GCM_A=feedfacedeadbeeffeedfacedeadbeefabaddad2
GCM_CT=42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e0915bc94fbc3221a5db94fae95ae7121a47
check "aead-enc aes-128-gcm: GCM test case 4 (ciphertext || tag)" \
    [ "$(vc aead-enc -a aes-128-gcm -k $GCM_K --iv $GCM_IV --aad $GCM_A -in "$T/gcm.p" | hex)" \
    = "$GCM_CT" ]
unhex "$GCM_CT" >"$T/gcm.c"
vc aead-dec -a aes-128-gcm -k $GCM_K --iv $GCM_IV --aad $GCM_A -in "$T/gcm.c" -out "$T/gcm.d"
same "$T/gcm.d" "$T/gcm.p" "aead-dec aes-128-gcm: GCM test case 4"

# RFC 8439 section 2.8.2: ChaCha20-Poly1305.
printf "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it." >"$T/cc.p"
CC_K=808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f
CC_IV=070000004041424344454647
CC_A=50515253c0c1c2c3c4c5c6c7
CC_CT=d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b61161ae10b594f09e26a7e902ecbd0600691
check "aead-enc chacha20-poly1305: RFC 8439 2.8.2" \
    [ "$(vc aead-enc -a chacha20-poly1305 -k $CC_K --iv $CC_IV --aad $CC_A -in "$T/cc.p" | hex)" \
    = "$CC_CT" ]

# RFC 3610 packet vector 1: AES-128-CCM, 13-byte nonce, 8-byte AAD, 8-byte tag.
unhex 08090a0b0c0d0e0f101112131415161718191a1b1c1d1e >"$T/ccm.p"
check "aead-enc aes-128-ccm: RFC 3610 packet vector 1 (tag 8)" \
    [ "$(vc aead-enc -a aes-128-ccm -k c0c1c2c3c4c5c6c7c8c9cacbcccdcecf \
    --iv 00000003020100a0a1a2a3a4a5 --aad 0001020304050607 --tag-len 8 -in "$T/ccm.p" | hex)" \
    = 588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0 ]

K16=000102030405060708090a0b0c0d0e0f
K32=${K16}101112131415161718191a1b1c1d1e1f
N12=0a0b0c0d0e0f101112131415
for s in 0 1 1000 65536 400000; do
    mkdata "$T/m$s" "$s"
done
for spec in "aes-128-gcm $K16 $N12 16" "aes-256-gcm $K32 $N12 16" "aes-256-gcm $K32 0a0b 12" \
    "aes-128-ccm $K16 $N12 16" "aes-256-ccm $K32 0a0b0c0d0e0f10 8" \
    "chacha20-poly1305 $K32 $N12 16"; do
    # shellcheck disable=SC2086
    set -- $spec
    for s in 0 1 1000 65536 400000; do
        vc aead-enc -a "$1" -k "$2" --iv "$3" --tag-len "$4" --aad 01020304 -in "$T/m$s" \
            -out "$T/v.enc"
        vc aead-dec -a "$1" -k "$2" --iv "$3" --tag-len "$4" --aad 01020304 -in "$T/v.enc" \
            -out "$T/v.dec"
        if cmp -s "$T/v.dec" "$T/m$s" && [ "$(wc -c <"$T/v.enc")" -eq $((s + $4)) ]; then
            ok "$1 nonce ${#3} hex tag $4: $s bytes round trip"
        else
            not_ok "$1 nonce ${#3} hex tag $4: $s bytes round trip"
        fi
    done
done

# Failures: nothing written, exit 1, one line.
vc aead-enc -a aes-256-gcm -k "$K32" --iv "$N12" --aad aa -in "$T/m1000" -out "$T/g.enc"
cp "$T/g.enc" "$T/g.bad"
printf '\001' | dd of="$T/g.bad" bs=1 seek=500 conv=notrunc 2>/dev/null
fails 1 "aead-dec of tampered ciphertext" \
    vc aead-dec -a aes-256-gcm -k "$K32" --iv "$N12" --aad aa -in "$T/g.bad" -out "$T/none1"
check "nothing written on tampered ciphertext" [ ! -e "$T/none1" ]
cp "$T/g.enc" "$T/g.bad"
printf '\001' | dd of="$T/g.bad" bs=1 seek=1010 conv=notrunc 2>/dev/null
fails 1 "aead-dec of a tampered tag" \
    vc aead-dec -a aes-256-gcm -k "$K32" --iv "$N12" --aad aa -in "$T/g.bad" -out "$T/none2"
fails 1 "aead-dec with the wrong AAD" \
    vc aead-dec -a aes-256-gcm -k "$K32" --iv "$N12" --aad ab -in "$T/g.enc" -out "$T/none3"
fails 1 "aead-dec without the AAD" \
    vc aead-dec -a aes-256-gcm -k "$K32" --iv "$N12" -in "$T/g.enc" -out "$T/none4"
fails 1 "aead-dec with the wrong nonce" \
    vc aead-dec -a aes-256-gcm -k "$K32" --iv 0a0b0c0d0e0f101112131416 --aad aa -in "$T/g.enc"
head -c 1009 "$T/g.enc" >"$T/g.short"
fails 1 "aead-dec of a truncated message" \
    vc aead-dec -a aes-256-gcm -k "$K32" --iv "$N12" --aad aa -in "$T/g.short"
head -c 10 "$T/g.enc" >"$T/g.tiny"
fails 1 "aead-dec of an input shorter than the tag" \
    vc aead-dec -a aes-256-gcm -k "$K32" --iv "$N12" -in "$T/g.tiny"
check "no output file from any failed decryption" \
    [ ! -e "$T/none2" ] && [ ! -e "$T/none3" ] && [ ! -e "$T/none4" ]
vc aead-enc -a chacha20-poly1305 -k "$K32" --iv "$N12" -in "$T/m65536" -out "$T/c.enc"
printf '\200' | dd of="$T/c.enc" bs=1 seek=0 conv=notrunc 2>/dev/null
fails 1 "aead-dec chacha20-poly1305 tampered" \
    vc aead-dec -a chacha20-poly1305 -k "$K32" --iv "$N12" -in "$T/c.enc"
fails 2 "aead-enc ccm with a 6-byte nonce" \
    vc aead-enc -a aes-128-ccm -k "$K16" --iv 010203040506 -in "$T/m1"
fails 2 "aead-enc chacha20-poly1305 with an 8-byte nonce" \
    vc aead-enc -a chacha20-poly1305 -k "$K32" --iv 0102030405060708 -in "$T/m1"
fails 1 "aead-enc gcm with a tag length the device refuses (5)" \
    vc aead-enc -a aes-128-gcm -k "$K16" --iv "$N12" --tag-len 5 -in "$T/m1"
head -c 600000 /dev/zero >"$T/big"
fails 1 "aead-enc over what one request carries" \
    vc aead-enc -a aes-128-gcm -k "$K16" --iv "$N12" -in "$T/big"

finish
