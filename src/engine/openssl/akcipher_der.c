/* A strict, allocation-free DER reader for the two key structures OpenSSL
 * has no undeprecated, parameter-less decoder for in 3.0 (RFC 5915
 * ECPrivateKey without [0] parameters) and for PKCS#1 RSA keys, whose
 * all-zero CRT fields (Linux testmgr vectors) we must see before OpenSSL does.
 *
 * IMPLEMENTATION NOTES
 * Guest bytes are hostile: every length is compared with what is left before
 * it is used, in size_t arithmetic that cannot wrap (lengths are limited to
 * four octets and then to the remaining buffer). Indefinite lengths,
 * multi-byte tags and non-minimal length or INTEGER encodings are rejected,
 * so one key has exactly one accepted encoding (X.690 §10.1, §8.3.2).
 */
#include "engine/openssl/akcipher_int.h"

int vc__der_take(struct vc__der *d, uint8_t tag, struct vc__der *out)
{
    const uint8_t *p = d->p;
    size_t left = d->len;
    if (left < 2 || p[0] != tag)
        return -1;
    size_t n = p[1];
    size_t hdr = 2;
    if (n & 0x80) {
        size_t nb = n & 0x7f;
        /* 0x80 is the indefinite form (BER only); more than 4 octets cannot
         * describe anything that fits our 16 KiB key cap. */
        if (nb == 0 || nb > 4 || left < 2 + nb)
            return -1;
        n = 0;
        for (size_t i = 0; i < nb; i++)
            n = (n << 8) | p[2 + i];
        /* X.690 §10.1: the long form only for >= 128, with no leading zero. */
        if (n < 0x80 || p[2] == 0)
            return -1;
        hdr += nb;
    }
    if (n > left - hdr)
        return -1;
    out->p = p + hdr;
    out->len = n;
    d->p = p + hdr + n;
    d->len = left - hdr - n;
    return 0;
}

int vc__der_uint(struct vc__der *d, struct vc__der *out)
{
    struct vc__der save = *d, v;
    if (vc__der_take(d, VC__DER_INTEGER, &v) != 0)
        return -1;
    /* X.690 §8.3.2: at least one octet, no redundant leading 0x00/0xff. */
    if (v.len == 0 || (v.p[0] & 0x80) || (v.len > 1 && v.p[0] == 0 && !(v.p[1] & 0x80))) {
        *d = save;
        return -1;
    }
    if (v.p[0] == 0) {
        v.p++;
        v.len--;
    }
    *out = v;
    return 0;
}
