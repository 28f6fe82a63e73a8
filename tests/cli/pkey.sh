#!/bin/sh
# vcrypto sign/verify against openssl on the same keys and data, both ways:
# openssl signs -> vcrypto verifies, vcrypto signs -> openssl verifies, for
# RSA-2048 PKCS#1 v1.5 (SHA-256, SHA-384, SHA-512) and ECDSA P-256 (and
# P-384), plus tampering and key-type errors.
. "$(dirname "$0")/lib.sh"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
openssl pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub"
openssl rsa -in "$T/rsa.pem" -RSAPublicKey_out -out "$T/rsa.pkcs1.pub" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/p256.pem" 2>/dev/null
openssl pkey -in "$T/p256.pem" -pubout -out "$T/p256.pub"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.pem" 2>/dev/null
openssl pkey -in "$T/p384.pem" -pubout -out "$T/p384.pub"
# A traditional "BEGIN EC PRIVATE KEY" file (RFC 5915 inside PEM).
openssl ec -in "$T/p256.pem" -out "$T/p256.trad.pem" 2>/dev/null
mkdata "$T/msg" 1000
mkdata "$T/big" 3000000

for key in rsa p256 p384; do
    for d in sha256 sha384 sha512; do
        [ "$key" != rsa ] && [ "$d" = sha512 ] && continue
        openssl dgst "-$d" -sign "$T/$key.pem" -out "$T/o.sig" "$T/msg"
        out=$(vc verify --key "$T/$key.pub" --digest "$d" --sig "$T/o.sig" -in "$T/msg")
        check "$key $d: openssl signs, vcrypto verifies" [ "$out" = "Verified OK" ]
        vc sign --key "$T/$key.pem" --digest "$d" -in "$T/msg" -out "$T/v.sig"
        check "$key $d: vcrypto signs, openssl verifies" \
            openssl dgst "-$d" -verify "$T/$key.pub" -signature "$T/v.sig" "$T/msg"
        if [ "$key" = rsa ]; then
            # PKCS#1 v1.5 is deterministic: the very same bytes.
            same "$T/v.sig" "$T/o.sig" "rsa $d: signature identical to openssl's"
        fi
    done
done

# Defaults (sha256), stdin, a message larger than any request (hashed on
# the host), a private key given to verify, PKCS#1 and traditional PEM.
vc sign --key "$T/rsa.pem" <"$T/big" >"$T/big.sig"
check "rsa: 3 MB message from stdin, openssl verifies" \
    openssl dgst -sha256 -verify "$T/rsa.pub" -signature "$T/big.sig" "$T/big"
check "rsa: verify with the private key file" \
    vc verify --key "$T/rsa.pem" --sig "$T/big.sig" -in "$T/big"
check "rsa: verify with a PKCS1 RSA PUBLIC KEY file" \
    vc verify --key "$T/rsa.pkcs1.pub" --sig "$T/big.sig" -in "$T/big"
vc sign --key "$T/p256.trad.pem" -in "$T/msg" -out "$T/t.sig"
check "ecdsa: traditional EC PRIVATE KEY PEM signs, openssl verifies" \
    openssl dgst -sha256 -verify "$T/p256.pub" -signature "$T/t.sig" "$T/msg"
check "ecdsa: -a ecdsa-p256 matching the key" \
    vc sign -a ecdsa-p256 --key "$T/p256.pem" -in "$T/msg" -out "$T/t2.sig"

# --prehashed: the input is the digest (as `openssl pkeyutl -sign`).
openssl dgst -sha256 -binary -out "$T/msg.dgst" "$T/msg"
vc sign --key "$T/rsa.pem" --prehashed -in "$T/msg.dgst" -out "$T/p.sig"
openssl pkeyutl -sign -inkey "$T/rsa.pem" -pkeyopt digest:sha256 -in "$T/msg.dgst" \
    -out "$T/pu.sig"
same "$T/p.sig" "$T/pu.sig" "rsa --prehashed == openssl pkeyutl -sign -pkeyopt digest:sha256"
openssl pkeyutl -sign -inkey "$T/p256.pem" -in "$T/msg.dgst" -out "$T/pe.sig"
check "ecdsa --prehashed verifies an openssl pkeyutl signature" \
    vc verify --key "$T/p256.pub" --prehashed --sig "$T/pe.sig" -in "$T/msg.dgst"

# Failures: exit 1 with one line for a signature that does not verify.
cp "$T/msg" "$T/msg2"
printf 'X' | dd of="$T/msg2" bs=1 seek=3 conv=notrunc 2>/dev/null
for key in rsa p256; do
    openssl dgst -sha256 -sign "$T/$key.pem" -out "$T/o.sig" "$T/msg"
    fails 1 "$key: verify of a modified message" \
        vc verify --key "$T/$key.pub" --sig "$T/o.sig" -in "$T/msg2"
    cp "$T/o.sig" "$T/bad.sig"
    printf '\001' | dd of="$T/bad.sig" bs=1 seek=20 conv=notrunc 2>/dev/null
    fails 1 "$key: verify of a corrupted signature" \
        vc verify --key "$T/$key.pub" --sig "$T/bad.sig" -in "$T/msg"
    fails 1 "$key: verify with the wrong digest" \
        vc verify --key "$T/$key.pub" --digest sha384 --sig "$T/o.sig" -in "$T/msg"
done
openssl dgst -sha256 -sign "$T/p384.pem" -out "$T/o.sig" "$T/msg"
fails 1 "ecdsa: P-384 signature against the P-256 key" \
    vc verify --key "$T/p256.pub" --sig "$T/o.sig" -in "$T/msg"
head -c 100 "$T/big.sig" >"$T/short.sig"
fails 1 "rsa: truncated signature" vc verify --key "$T/rsa.pub" --sig "$T/short.sig" -in "$T/big"
fails 2 "sign with a public key" vc sign --key "$T/rsa.pub" -in "$T/msg"
fails 2 "-a rsa with an EC key" vc sign -a rsa --key "$T/p256.pem" -in "$T/msg"
fails 1 "key file that is not a key" vc sign --key "$T/msg" -in "$T/msg"
fails 1 "missing key file" vc sign --key "$T/nope.pem" -in "$T/msg"
fails 2 "verify without --sig" vc verify --key "$T/rsa.pub" -in "$T/msg"
fails 2 "unknown --digest" vc sign --key "$T/rsa.pem" --digest sha999 -in "$T/msg"
fails 1 "--prehashed input of the wrong length" \
    vc sign --key "$T/rsa.pem" --prehashed -in "$T/msg"
openssl genpkey -algorithm ED25519 -out "$T/ed.pem" 2>/dev/null
fails 1 "an Ed25519 key (not RSA/ECDSA)" vc sign --key "$T/ed.pem" -in "$T/msg"

finish
