/* vhost-user wire format, as used between QEMU (front-end) and vcryptod
 * (back-end).
 *
 * Source: QEMU docs/interop/vhost-user.rst ("Message Specification",
 * "Front-end message types", "Protocol features"), and for the crypto
 * session payload, which that document does not define, QEMU's C struct in
 * the three layouts it has shipped (see ../shared/reference/virtio-crypto.md
 * §2.3 and the comments at each struct below).
 *
 * Byte order: "All numbers are in the machine native byte order" (spec,
 * "Message Specification"). Both ends run on the same host, so the fields
 * are plain native integers, unlike the little-endian virtio structs.
 *
 * Every message is a 12-byte header followed by `size` payload bytes; file
 * descriptors travel as SCM_RIGHTS ancillary data of the same sendmsg().
 *
 * Wire structs and constants only: no functions in this header (STYLE.md
 * rule 11). Sizes and offsets are checked with _Static_assert.
 */
#ifndef VCRYPTO_VHOST_USER_H
#define VCRYPTO_VHOST_USER_H

#include <stddef.h>
#include <stdint.h>

/* ======================================================================
 * Header ("Header": request, flags, size; 12 bytes, packed)
 * ====================================================================== */
struct vhost_user_hdr {
    uint32_t request; /* VHOST_USER_* request code */
    uint32_t flags;   /* VHOST_USER_VERSION | VHOST_USER_REPLY_MASK | VHOST_USER_NEED_REPLY_MASK */
    uint32_t size;    /* payload bytes that follow the header */
};
_Static_assert(sizeof(struct vhost_user_hdr) == 12, "vhost_user_hdr");

#define VHOST_USER_HDR_SIZE 12u
/* "Lower 2 bits are the version (currently 0x01)" */
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_VERSION 0x1u
/* "Bit 2 is the reply flag - needs to be sent on each reply from the back-end" */
#define VHOST_USER_REPLY_MASK (1u << 2)
/* "Bit 3 is the need_reply flag" (REPLY_ACK) */
#define VHOST_USER_NEED_REPLY_MASK (1u << 3)

/* Most fds one message carries. QEMU sends at most 8 (its baseline memory
 * region count, VHOST_MEMORY_BASELINE_NREGIONS); no front-end message of the
 * spec carries more. */
#define VHOST_USER_MAX_FDS 8u

/* ======================================================================
 * Front-end request codes ("Front-end message types", `:id:`)
 * ====================================================================== */
#define VHOST_USER_NONE 0
#define VHOST_USER_GET_FEATURES 1
#define VHOST_USER_SET_FEATURES 2
#define VHOST_USER_SET_OWNER 3
#define VHOST_USER_RESET_OWNER 4
#define VHOST_USER_SET_MEM_TABLE 5
#define VHOST_USER_SET_LOG_BASE 6
#define VHOST_USER_SET_LOG_FD 7
#define VHOST_USER_SET_VRING_NUM 8
#define VHOST_USER_SET_VRING_ADDR 9
#define VHOST_USER_SET_VRING_BASE 10
#define VHOST_USER_GET_VRING_BASE 11
#define VHOST_USER_SET_VRING_KICK 12
#define VHOST_USER_SET_VRING_CALL 13
#define VHOST_USER_SET_VRING_ERR 14
#define VHOST_USER_GET_PROTOCOL_FEATURES 15
#define VHOST_USER_SET_PROTOCOL_FEATURES 16
#define VHOST_USER_GET_QUEUE_NUM 17
#define VHOST_USER_SET_VRING_ENABLE 18
#define VHOST_USER_SEND_RARP 19
#define VHOST_USER_NET_SET_MTU 20
#define VHOST_USER_SET_BACKEND_REQ_FD 21
#define VHOST_USER_IOTLB_MSG 22
#define VHOST_USER_SET_VRING_ENDIAN 23
#define VHOST_USER_GET_CONFIG 24
#define VHOST_USER_SET_CONFIG 25
#define VHOST_USER_CREATE_CRYPTO_SESSION 26
#define VHOST_USER_CLOSE_CRYPTO_SESSION 27
#define VHOST_USER_POSTCOPY_ADVISE 28
#define VHOST_USER_POSTCOPY_LISTEN 29
#define VHOST_USER_POSTCOPY_END 30
#define VHOST_USER_GET_INFLIGHT_FD 31
#define VHOST_USER_SET_INFLIGHT_FD 32
#define VHOST_USER_GPU_SET_SOCKET 33
#define VHOST_USER_RESET_DEVICE 34
#define VHOST_USER_VRING_KICK 35
#define VHOST_USER_GET_MAX_MEM_SLOTS 36
#define VHOST_USER_ADD_MEM_REG 37
#define VHOST_USER_REM_MEM_REG 38
#define VHOST_USER_SET_STATUS 39
#define VHOST_USER_GET_STATUS 40

/* ======================================================================
 * Feature bits
 * ====================================================================== */
/* Virtio feature bit 30 (legacy UNUSED) reused to announce protocol
 * feature negotiation ("Communication"). */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol feature bits ("Protocol features") */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD 1
#define VHOST_USER_PROTOCOL_F_RARP 2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_MTU 4
#define VHOST_USER_PROTOCOL_F_BACKEND_REQ 5
#define VHOST_USER_PROTOCOL_F_CROSS_ENDIAN 6
/* "It's a required feature for crypto devices." */
#define VHOST_USER_PROTOCOL_F_CRYPTO_SESSION 7
#define VHOST_USER_PROTOCOL_F_PAGEFAULT 8
#define VHOST_USER_PROTOCOL_F_CONFIG 9
#define VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD 10
#define VHOST_USER_PROTOCOL_F_HOST_NOTIFIER 11
#define VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD 12
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13
#define VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15
#define VHOST_USER_PROTOCOL_F_STATUS 16

/* ======================================================================
 * Payloads
 * ====================================================================== */

/* "A single 64-bit integer": features, protocol features, queue count,
 * REPLY_ACK status (0 = success), CLOSE_CRYPTO_SESSION id, and the vring
 * fd messages (SET_VRING_KICK/CALL/ERR) whose u64 is laid out as: */
/* "Bits (0-7) of the payload contain the vring index." */
#define VHOST_USER_VRING_IDX_MASK 0xffull
/* "Bit 8 is the invalid FD flag. This flag is set when there is no file
 * descriptor in the ancillary data." */
#define VHOST_USER_VRING_NOFD_MASK (1ull << 8)

/* "A vring state description": SET_VRING_NUM/BASE, GET_VRING_BASE,
 * SET_VRING_ENABLE. */
struct vhost_user_vring_state {
    uint32_t index;
    uint32_t num;
};
_Static_assert(sizeof(struct vhost_user_vring_state) == 8, "vhost_user_vring_state");

/* "A vring address description": SET_VRING_ADDR. The ring addresses are
 * front-end user addresses (no VIRTIO_F_IOMMU_PLATFORM), translated through
 * the userspace_addr of the memory table regions. */
struct vhost_user_vring_addr {
    uint32_t index;
    uint32_t flags; /* bit VHOST_VRING_F_LOG */
    uint64_t desc_user_addr;
    uint64_t used_user_addr;
    uint64_t avail_user_addr;
    uint64_t log_guest_addr;
};
_Static_assert(sizeof(struct vhost_user_vring_addr) == 40, "vhost_user_vring_addr");
#define VHOST_VRING_F_LOG 0

/* "Memory regions description": SET_MEM_TABLE. One fd per region, in the
 * same order. QEMU sends size = 8 + nregions * 32 (not the whole array). */
struct vhost_user_mem_region {
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t userspace_addr;
    uint64_t mmap_offset; /* "offset where region starts in the mapped memory" */
};
_Static_assert(sizeof(struct vhost_user_mem_region) == 32, "vhost_user_mem_region");

#define VHOST_USER_MAX_MEM_REGIONS 8u
struct vhost_user_memory {
    uint32_t nregions;
    uint32_t padding;
    struct vhost_user_mem_region regions[VHOST_USER_MAX_MEM_REGIONS];
};
_Static_assert(sizeof(struct vhost_user_memory) == 264, "vhost_user_memory");
#define VHOST_USER_MEMORY_HDR_SIZE 8u

/* "Virtio device config space": GET_CONFIG / SET_CONFIG. The payload is
 * the 12-byte head plus `size` bytes; QEMU caps size at 256. */
#define VHOST_USER_MAX_CONFIG_SIZE 256u
struct vhost_user_config {
    uint32_t offset;
    uint32_t size;
    uint32_t flags; /* VHOST_SET_CONFIG_TYPE_* */
    uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
};
_Static_assert(sizeof(struct vhost_user_config) == 268, "vhost_user_config");
#define VHOST_USER_CONFIG_HDR_SIZE 12u
/* "0: Vhost front-end messages used for writable fields" */
#define VHOST_SET_CONFIG_TYPE_FRONTEND 0u
/* "1: Vhost front-end messages used for live migration" */
#define VHOST_SET_CONFIG_TYPE_MIGRATION 1u

/* ======================================================================
 * Crypto session description (CREATE_CRYPTO_SESSION request and reply).
 *
 * Not defined by the vhost-user spec ("crypto session description"): the
 * de-facto ABI is QEMU's VhostUserCryptoSession, which has had three
 * layouts (x86-64 offsets). The back-end tells them apart by `size` (632
 * vs 1072) and, for 632, by the word at offset 8 (see src/vhost/session.c).
 * The reply "must return the session id, 0 or positive for success,
 * negative for failure", in a message of exactly the request's size.
 *
 * The *_ptr fields are QEMU pointers, meaningless here: the keys travel in
 * the inline arrays, `key_len` bytes of them.
 * ====================================================================== */
#define VHOST_USER_CRYPTO_SYM_CIPHER_MAX_KEY_LEN 64u
#define VHOST_USER_CRYPTO_SYM_HMAC_MAX_KEY_LEN 512u
#define VHOST_USER_CRYPTO_ASYM_MAX_KEY_LEN 1024u

/* Layout A: QEMU 2.12 ... 7.0, 632 bytes. */
struct vhost_user_crypto_session_a {
    int64_t session_id;       /* @0: reply */
    uint32_t op_code;         /* @8: VIRTIO_CRYPTO_CIPHER_CREATE_SESSION */
    uint32_t cipher_alg;      /* @12: VIRTIO_CRYPTO_CIPHER_* */
    uint32_t key_len;         /* @16 */
    uint32_t hash_alg;        /* @20: HASH id (PLAIN) or MAC id (AUTH) */
    uint32_t hash_result_len; /* @24 */
    uint32_t auth_key_len;    /* @28 */
    uint32_t add_len;         /* @32: AAD length */
    uint8_t op_type;          /* @36: VIRTIO_CRYPTO_SYM_OP_* */
    uint8_t direction;        /* @37: VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
    uint8_t hash_mode;        /* @38: VIRTIO_CRYPTO_SYM_HASH_MODE_* */
    uint8_t alg_chain_order;  /* @39: VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_* */
    uint64_t cipher_key_ptr;  /* @40: QEMU pointer, ignore */
    uint64_t auth_key_ptr;    /* @48: QEMU pointer, ignore */
    uint8_t key[VHOST_USER_CRYPTO_SYM_CIPHER_MAX_KEY_LEN];    /* @56 */
    uint8_t auth_key[VHOST_USER_CRYPTO_SYM_HMAC_MAX_KEY_LEN]; /* @120 */
};
_Static_assert(sizeof(struct vhost_user_crypto_session_a) == 632, "crypto_session_a");
_Static_assert(offsetof(struct vhost_user_crypto_session_a, key) == 56, "a.key");
_Static_assert(offsetof(struct vhost_user_crypto_session_a, auth_key) == 120, "a.auth_key");

/* QEMU's CryptoDevBackendSymSessionInfo from 7.1 on (op_code moved out),
 * 48 bytes. Embedded in layouts B and C. */
struct vhost_user_crypto_sym_info {
    uint32_t cipher_alg;      /* +0 */
    uint32_t key_len;         /* +4 */
    uint32_t hash_alg;        /* +8 */
    uint32_t hash_result_len; /* +12 */
    uint32_t auth_key_len;    /* +16 */
    uint32_t add_len;         /* +20 */
    uint8_t op_type;          /* +24 */
    uint8_t direction;        /* +25 */
    uint8_t hash_mode;        /* +26 */
    uint8_t alg_chain_order;  /* +27 */
    uint32_t pad;             /* +28: implicit padding in QEMU's struct */
    uint64_t cipher_key_ptr;  /* +32 */
    uint64_t auth_key_ptr;    /* +40 */
};
_Static_assert(sizeof(struct vhost_user_crypto_sym_info) == 48, "crypto_sym_info");

/* Layout B: QEMU 7.1 ... 8.0 (incl. Debian 12's 7.2), 632 bytes: same size
 * as A, every field from cipher_alg on 4 bytes earlier, no op_code. */
struct vhost_user_crypto_session_b {
    int64_t session_id;                                       /* @0: reply */
    struct vhost_user_crypto_sym_info sym;                    /* @8 */
    uint8_t key[VHOST_USER_CRYPTO_SYM_CIPHER_MAX_KEY_LEN];    /* @56 */
    uint8_t auth_key[VHOST_USER_CRYPTO_SYM_HMAC_MAX_KEY_LEN]; /* @120 */
};
_Static_assert(sizeof(struct vhost_user_crypto_session_b) == 632, "crypto_session_b");
_Static_assert(offsetof(struct vhost_user_crypto_session_b, sym.key_len) == 12, "b.key_len");
_Static_assert(offsetof(struct vhost_user_crypto_session_b, sym.op_type) == 32, "b.op_type");
_Static_assert(offsetof(struct vhost_user_crypto_session_b, key) == 56, "b.key");

/* QEMU's CryptoDevBackendAsymSessionInfo (8.1+), 32 bytes. */
struct vhost_user_crypto_asym_info {
    uint32_t algo;         /* +0: VIRTIO_CRYPTO_AKCIPHER_* */
    uint32_t keytype;      /* +4: VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_* */
    uint32_t keylen;       /* +8 */
    uint32_t pad;          /* +12: implicit padding */
    uint64_t key_ptr;      /* +16: QEMU pointer, ignore */
    uint32_t padding_algo; /* +24: u.rsa: VIRTIO_CRYPTO_RSA_*_PADDING */
    uint32_t hash_algo;    /* +28: u.rsa: VIRTIO_CRYPTO_RSA_* hash */
};
_Static_assert(sizeof(struct vhost_user_crypto_asym_info) == 32, "crypto_asym_info");

/* Layout C: QEMU >= 8.1, 1072 bytes, symmetric or asymmetric by op_code. */
struct vhost_user_crypto_session_c {
    uint64_t op_code; /* @0: VIRTIO_CRYPTO_CIPHER_CREATE_SESSION or _AKCIPHER_ */
    union {
        struct {
            struct vhost_user_crypto_sym_info info;                   /* @8 */
            uint8_t key[VHOST_USER_CRYPTO_SYM_CIPHER_MAX_KEY_LEN];    /* @56 */
            uint8_t auth_key[VHOST_USER_CRYPTO_SYM_HMAC_MAX_KEY_LEN]; /* @120 */
        } sym;
        struct {
            struct vhost_user_crypto_asym_info info;         /* @8 */
            uint8_t key[VHOST_USER_CRYPTO_ASYM_MAX_KEY_LEN]; /* @40 */
        } asym;
    } u;
    int64_t session_id; /* @1064: reply */
};
_Static_assert(sizeof(struct vhost_user_crypto_session_c) == 1072, "crypto_session_c");
_Static_assert(offsetof(struct vhost_user_crypto_session_c, u.sym.key) == 56, "c.sym.key");
_Static_assert(offsetof(struct vhost_user_crypto_session_c, u.sym.auth_key) == 120, "c.auth");
_Static_assert(offsetof(struct vhost_user_crypto_session_c, u.asym.key) == 40, "c.asym.key");
_Static_assert(offsetof(struct vhost_user_crypto_session_c, session_id) == 1064, "c.id");

#define VHOST_USER_CRYPTO_SESSION_632_SIZE 632u
#define VHOST_USER_CRYPTO_SESSION_C_SIZE 1072u

#endif
