/* Little-endian wire types shared by every virtio layout header.
 *
 * They are plain integers; code converts with le16toh()/htole16() (and the
 * 32/64-bit variants) at the boundary. The same typedefs also appear in
 * virtio_crypto.h; C11 allows an identical typedef to be repeated, so either
 * header may be included first.
 */
#ifndef VCRYPTO_VIRTIO_TYPES_H
#define VCRYPTO_VIRTIO_TYPES_H

#include <stdint.h>

typedef uint16_t vc_le16;
typedef uint32_t vc_le32;
typedef uint64_t vc_le64;

#endif
