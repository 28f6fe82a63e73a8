/* virtio-crypto wire format (device ID 20).
 *
 * Source: OASIS virtio spec v1.3 "Device Types / Crypto Device"
 * (device-types/crypto/description.tex), plus the v1.4 status
 * VIRTIO_CRYPTO_IPSEC_SA_SOFT_EXPIRY. Every multi-byte field is little endian
 * on the wire (vc_le16/32/64). Constants sit next to the field they belong to.
 * Sizes are checked with _Static_assert against the spec's layouts.
 *
 * Wire structs only: no functions in this header (STYLE.md rule 11).
 */
#ifndef VCRYPTO_VIRTIO_CRYPTO_H
#define VCRYPTO_VIRTIO_CRYPTO_H

#include <stdint.h>

/* Little-endian wire types. They are plain integers: code converts with
 * le32toh()/htole32() at the boundary. */
typedef uint16_t vc_le16;
typedef uint32_t vc_le32;
typedef uint64_t vc_le64;

#define VIRTIO_ID_CRYPTO 20

/* ---- Feature bits ("Feature bits") ---- */
#define VIRTIO_CRYPTO_F_REVISION_1 0
#define VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE 1
#define VIRTIO_CRYPTO_F_HASH_STATELESS_MODE 2
#define VIRTIO_CRYPTO_F_MAC_STATELESS_MODE 3
#define VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE 4
#define VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE 5

/* ---- Services (ids double as crypto_services bit numbers) ---- */
#define VIRTIO_CRYPTO_SERVICE_CIPHER 0
#define VIRTIO_CRYPTO_SERVICE_HASH 1
#define VIRTIO_CRYPTO_SERVICE_MAC 2
#define VIRTIO_CRYPTO_SERVICE_AEAD 3
#define VIRTIO_CRYPTO_SERVICE_AKCIPHER 4
#define VIRTIO_CRYPTO_SERVICE_IPSEC 5 /* v1.4 */

/* ---- Cipher algorithms (cipher_algo_l bits 0..31, cipher_algo_h 32..63) ---- */
#define VIRTIO_CRYPTO_NO_CIPHER 0
#define VIRTIO_CRYPTO_CIPHER_ARC4 1
#define VIRTIO_CRYPTO_CIPHER_AES_ECB 2
#define VIRTIO_CRYPTO_CIPHER_AES_CBC 3
#define VIRTIO_CRYPTO_CIPHER_AES_CTR 4
#define VIRTIO_CRYPTO_CIPHER_DES_ECB 5
#define VIRTIO_CRYPTO_CIPHER_DES_CBC 6
#define VIRTIO_CRYPTO_CIPHER_3DES_ECB 7
#define VIRTIO_CRYPTO_CIPHER_3DES_CBC 8
#define VIRTIO_CRYPTO_CIPHER_3DES_CTR 9
#define VIRTIO_CRYPTO_CIPHER_KASUMI_F8 10
#define VIRTIO_CRYPTO_CIPHER_SNOW3G_UEA2 11
#define VIRTIO_CRYPTO_CIPHER_AES_F8 12
#define VIRTIO_CRYPTO_CIPHER_AES_XTS 13
#define VIRTIO_CRYPTO_CIPHER_ZUC_EEA3 14

/* ---- Hash algorithms (hash_algo bits) ---- */
#define VIRTIO_CRYPTO_NO_HASH 0
#define VIRTIO_CRYPTO_HASH_MD5 1
#define VIRTIO_CRYPTO_HASH_SHA1 2
#define VIRTIO_CRYPTO_HASH_SHA_224 3
#define VIRTIO_CRYPTO_HASH_SHA_256 4
#define VIRTIO_CRYPTO_HASH_SHA_384 5
#define VIRTIO_CRYPTO_HASH_SHA_512 6
#define VIRTIO_CRYPTO_HASH_SHA3_224 7
#define VIRTIO_CRYPTO_HASH_SHA3_256 8
#define VIRTIO_CRYPTO_HASH_SHA3_384 9
#define VIRTIO_CRYPTO_HASH_SHA3_512 10
#define VIRTIO_CRYPTO_HASH_SHA3_SHAKE128 11
#define VIRTIO_CRYPTO_HASH_SHA3_SHAKE256 12

/* ---- MAC algorithms (mac_algo_l bits 0..31, mac_algo_h 32..63) ---- */
#define VIRTIO_CRYPTO_NO_MAC 0
#define VIRTIO_CRYPTO_MAC_HMAC_MD5 1
#define VIRTIO_CRYPTO_MAC_HMAC_SHA1 2
#define VIRTIO_CRYPTO_MAC_HMAC_SHA_224 3
#define VIRTIO_CRYPTO_MAC_HMAC_SHA_256 4
#define VIRTIO_CRYPTO_MAC_HMAC_SHA_384 5
#define VIRTIO_CRYPTO_MAC_HMAC_SHA_512 6
#define VIRTIO_CRYPTO_MAC_CMAC_3DES 25
#define VIRTIO_CRYPTO_MAC_CMAC_AES 26
#define VIRTIO_CRYPTO_MAC_KASUMI_F9 27
#define VIRTIO_CRYPTO_MAC_SNOW3G_UIA2 28
#define VIRTIO_CRYPTO_MAC_GMAC_AES 41
#define VIRTIO_CRYPTO_MAC_GMAC_TWOFISH 42
#define VIRTIO_CRYPTO_MAC_CBCMAC_AES 49
#define VIRTIO_CRYPTO_MAC_CBCMAC_KASUMI_F9 50
#define VIRTIO_CRYPTO_MAC_XCBC_AES 53
#define VIRTIO_CRYPTO_MAC_ZUC_EIA3 54

/* ---- AEAD algorithms (aead_algo bits) ---- */
#define VIRTIO_CRYPTO_NO_AEAD 0
#define VIRTIO_CRYPTO_AEAD_GCM 1
#define VIRTIO_CRYPTO_AEAD_CCM 2
#define VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305 3

/* ---- AKCIPHER algorithms (akcipher_algo bits, v1.3) ---- */
#define VIRTIO_CRYPTO_NO_AKCIPHER 0
#define VIRTIO_CRYPTO_AKCIPHER_RSA 1
#define VIRTIO_CRYPTO_AKCIPHER_ECDSA 2

/* ---- Operation status ("Operation Status"). 1 byte in inhdr and in the
 * destroy-session input; le32 in the create-session input. ---- */
#define VIRTIO_CRYPTO_OK 0
#define VIRTIO_CRYPTO_ERR 1
#define VIRTIO_CRYPTO_BADMSG 2       /* authentication failed: AEAD decryption only */
#define VIRTIO_CRYPTO_NOTSUPP 3
#define VIRTIO_CRYPTO_INVSESS 4      /* invalid session id */
#define VIRTIO_CRYPTO_NOSPC 5        /* no free session id: REVISION_1 only */
#define VIRTIO_CRYPTO_KEY_REJECTED 6 /* signature verification failed: AKCIPHER verify only */
#define VIRTIO_CRYPTO_IPSEC_SA_SOFT_EXPIRY 7 /* v1.4 */
#define VIRTIO_CRYPTO_MAX_STATUS 7

/* ---- Opcodes ---- */
#define VIRTIO_CRYPTO_OPCODE(service, op) (((service) << 8) | (op))

/* control queue */
#define VIRTIO_CRYPTO_CIPHER_CREATE_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x02)
#define VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x03)
#define VIRTIO_CRYPTO_HASH_CREATE_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_HASH, 0x02)
#define VIRTIO_CRYPTO_HASH_DESTROY_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_HASH, 0x03)
#define VIRTIO_CRYPTO_MAC_CREATE_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_MAC, 0x02)
#define VIRTIO_CRYPTO_MAC_DESTROY_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_MAC, 0x03)
#define VIRTIO_CRYPTO_AEAD_CREATE_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AEAD, 0x02)
#define VIRTIO_CRYPTO_AEAD_DESTROY_SESSION VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AEAD, 0x03)
/* AKCIPHER uses ops 4/5, unlike the other services (spec quirk, v1.3). */
#define VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION                                                      \
    VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x04)
#define VIRTIO_CRYPTO_AKCIPHER_DESTROY_SESSION                                                     \
    VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x05)

/* data queue */
#define VIRTIO_CRYPTO_CIPHER_ENCRYPT VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x00)
#define VIRTIO_CRYPTO_CIPHER_DECRYPT VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x01)
#define VIRTIO_CRYPTO_HASH VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_HASH, 0x00)
#define VIRTIO_CRYPTO_MAC VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_MAC, 0x00)
#define VIRTIO_CRYPTO_AEAD_ENCRYPT VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AEAD, 0x00)
#define VIRTIO_CRYPTO_AEAD_DECRYPT VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AEAD, 0x01)
#define VIRTIO_CRYPTO_AKCIPHER_ENCRYPT VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x00)
#define VIRTIO_CRYPTO_AKCIPHER_DECRYPT VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x01)
#define VIRTIO_CRYPTO_AKCIPHER_SIGN VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x02)
#define VIRTIO_CRYPTO_AKCIPHER_VERIFY VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x03)
#define VIRTIO_CRYPTO_IPSEC_OUTBOUND VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_IPSEC, 0x00)
#define VIRTIO_CRYPTO_IPSEC_INBOUND VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_IPSEC, 0x01)

/* Cipher direction (cipher_session_flf.op, aead_create_session_flf.op) */
#define VIRTIO_CRYPTO_OP_ENCRYPT 1
#define VIRTIO_CRYPTO_OP_DECRYPT 2

/* Symmetric op_type (sym_create_session_flf.op_type, sym_data_flf.op_type) */
#define VIRTIO_CRYPTO_SYM_OP_NONE 0
#define VIRTIO_CRYPTO_SYM_OP_CIPHER 1
#define VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING 2

/* Chaining order and hash mode (alg_chain_session_flf) */
#define VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER 1
#define VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH 2
#define VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN 1
#define VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH 2
#define VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED 3

/* AKCIPHER key type (akcipher_session_flf.keytype) */
#define VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC 1
#define VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE 2

/* RSA padding and hash (rsa_session_para) */
#define VIRTIO_CRYPTO_RSA_RAW_PADDING 0
#define VIRTIO_CRYPTO_RSA_PKCS1_PADDING 1
#define VIRTIO_CRYPTO_RSA_NO_HASH 0
#define VIRTIO_CRYPTO_RSA_MD2 1
#define VIRTIO_CRYPTO_RSA_MD3 2
#define VIRTIO_CRYPTO_RSA_MD4 3
#define VIRTIO_CRYPTO_RSA_MD5 4
#define VIRTIO_CRYPTO_RSA_SHA1 5
#define VIRTIO_CRYPTO_RSA_SHA256 6
#define VIRTIO_CRYPTO_RSA_SHA384 7
#define VIRTIO_CRYPTO_RSA_SHA512 8
#define VIRTIO_CRYPTO_RSA_SHA224 9

/* ECDSA curves (ecdsa_session_para.curve_id) */
#define VIRTIO_CRYPTO_CURVE_UNKNOWN 0
#define VIRTIO_CRYPTO_CURVE_NIST_P192 1
#define VIRTIO_CRYPTO_CURVE_NIST_P224 2
#define VIRTIO_CRYPTO_CURVE_NIST_P256 3
#define VIRTIO_CRYPTO_CURVE_NIST_P384 4
#define VIRTIO_CRYPTO_CURVE_NIST_P521 5

/* op_header.flag */
#define VIRTIO_CRYPTO_FLAG_SESSION_MODE 1

/* config.status */
#define VIRTIO_CRYPTO_S_HW_READY (1u << 0)

/* Legacy (no REVISION_1) padded sizes of op_flf */
#define VIRTIO_CRYPTO_CTRLQ_OP_SPEC_HDR_LEGACY 56
#define VIRTIO_CRYPTO_DATAQ_OP_SPEC_HDR_LEGACY 48

/* ======================================================================
 * Device configuration layout ("Device configuration layout"), 56 bytes.
 * ====================================================================== */
struct virtio_crypto_config {
    vc_le32 status;             /* VIRTIO_CRYPTO_S_HW_READY; other bits MUST be 0 */
    vc_le32 max_dataqueues;     /* 1..65535 */
    vc_le32 crypto_services;    /* bit = VIRTIO_CRYPTO_SERVICE_* */
    vc_le32 cipher_algo_l;      /* bit = cipher id 0..31 */
    vc_le32 cipher_algo_h;      /* bit = cipher id 32..63 */
    vc_le32 hash_algo;          /* bit = hash id */
    vc_le32 mac_algo_l;         /* bit = mac id 0..31 */
    vc_le32 mac_algo_h;         /* bit = mac id 32..63 */
    vc_le32 aead_algo;          /* bit = aead id */
    vc_le32 max_cipher_key_len; /* bytes */
    vc_le32 max_auth_key_len;   /* bytes */
    vc_le32 akcipher_algo;      /* bit = akcipher id; "reserved" before v1.3 */
    vc_le64 max_size;           /* max total length of variable-length params per request */
};
_Static_assert(sizeof(struct virtio_crypto_config) == 56, "virtio_crypto_config");

/* ======================================================================
 * Control queue ("Control Virtqueue").
 * Chain: readable header | op_flf | op_vlf, then writable op_outcome.
 * ====================================================================== */
struct virtio_crypto_ctrl_header {
    vc_le32 opcode; /* VIRTIO_CRYPTO_*_CREATE_SESSION / _DESTROY_SESSION */
    vc_le32 algo;   /* algorithm id of the service */
    vc_le32 flag;
    vc_le32 reserved; /* driver MUST set 0; Linux/QEMU call it queue_id */
};
_Static_assert(sizeof(struct virtio_crypto_ctrl_header) == 16, "ctrl_header");

/* CIPHER session */
struct virtio_crypto_cipher_session_flf {
    vc_le32 algo;    /* VIRTIO_CRYPTO_CIPHER_* */
    vc_le32 key_len; /* bytes */
    vc_le32 op;      /* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_cipher_session_flf) == 16, "cipher_session_flf");

/* HASH session */
struct virtio_crypto_hash_create_session_flf {
    vc_le32 algo;            /* VIRTIO_CRYPTO_HASH_* */
    vc_le32 hash_result_len; /* bytes */
};
_Static_assert(sizeof(struct virtio_crypto_hash_create_session_flf) == 8, "hash_session_flf");

/* MAC session; op_vlf = auth_key[auth_key_len] */
struct virtio_crypto_mac_create_session_flf {
    vc_le32 algo;            /* VIRTIO_CRYPTO_MAC_* */
    vc_le32 hash_result_len; /* bytes */
    vc_le32 auth_key_len;    /* bytes; 0 = no key */
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_mac_create_session_flf) == 16, "mac_session_flf");

/* Algorithm chaining session */
#define VIRTIO_CRYPTO_ALG_CHAIN_SESS_OP_SPEC_HDR_SIZE 16
struct virtio_crypto_alg_chain_session_flf {
    vc_le32 alg_chain_order; /* VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_* */
    vc_le32 hash_mode;       /* VIRTIO_CRYPTO_SYM_HASH_MODE_* */
    struct virtio_crypto_cipher_session_flf cipher_hdr;
    /* hash_create_session_flf (PLAIN) or mac_create_session_flf (AUTH) */
    uint8_t algo_flf[VIRTIO_CRYPTO_ALG_CHAIN_SESS_OP_SPEC_HDR_SIZE];
    vc_le32 aad_len;
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_alg_chain_session_flf) == 48, "chain_session_flf");

/* Symmetric session wrapper; op_vlf = cipher_key then auth_key (chain) */
#define VIRTIO_CRYPTO_SYM_SESS_OP_SPEC_HDR_SIZE 48
struct virtio_crypto_sym_create_session_flf {
    /* cipher_session_flf or alg_chain_session_flf */
    uint8_t op_flf[VIRTIO_CRYPTO_SYM_SESS_OP_SPEC_HDR_SIZE];
    vc_le32 op_type; /* VIRTIO_CRYPTO_SYM_OP_* */
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_sym_create_session_flf) == 56, "sym_session_flf");

/* AEAD session; op_vlf = key[key_len] */
struct virtio_crypto_aead_create_session_flf {
    vc_le32 algo;    /* VIRTIO_CRYPTO_AEAD_* */
    vc_le32 key_len; /* bytes */
    vc_le32 tag_len; /* bytes */
    vc_le32 aad_len; /* bytes */
    vc_le32 op;      /* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_aead_create_session_flf) == 24, "aead_session_flf");

/* AKCIPHER session (v1.3); op_vlf = key[key_len] (DER, see below) */
struct virtio_crypto_rsa_session_para {
    vc_le32 padding_algo; /* VIRTIO_CRYPTO_RSA_RAW_PADDING / _PKCS1_PADDING */
    vc_le32 hash_algo;    /* VIRTIO_CRYPTO_RSA_* hash id */
};
_Static_assert(sizeof(struct virtio_crypto_rsa_session_para) == 8, "rsa_session_para");

struct virtio_crypto_ecdsa_session_para {
    vc_le32 curve_id; /* VIRTIO_CRYPTO_CURVE_* */
};
_Static_assert(sizeof(struct virtio_crypto_ecdsa_session_para) == 4, "ecdsa_session_para");

/* Key encodings: RSA private = PKCS#1 RSAPrivateKey DER, public = RSAPublicKey
 * DER; ECDSA private = RFC 5915 ECPrivateKey DER, public = ECPoint octets
 * (no OCTET STRING header). ECDSA signature = DER Ecdsa-Sig-Value. */
#define VIRTIO_CRYPTO_AKCIPHER_SESS_ALGO_SPEC_HDR_SIZE 44
struct virtio_crypto_akcipher_session_flf {
    vc_le32 algo;     /* VIRTIO_CRYPTO_AKCIPHER_* */
    vc_le32 key_type; /* VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_* */
    vc_le32 key_len;  /* bytes */
    /* rsa_session_para or ecdsa_session_para */
    uint8_t algo_flf[VIRTIO_CRYPTO_AKCIPHER_SESS_ALGO_SPEC_HDR_SIZE];
};
_Static_assert(sizeof(struct virtio_crypto_akcipher_session_flf) == 56, "akcipher_session_flf");

/* Destroy session: op_flf */
struct virtio_crypto_destroy_session_flf {
    vc_le64 session_id;
};
_Static_assert(sizeof(struct virtio_crypto_destroy_session_flf) == 8, "destroy_session_flf");

/* Create-session outcome (device-writable): status is le32 here */
struct virtio_crypto_create_session_input {
    vc_le64 session_id; /* written only when status is OK */
    vc_le32 status;
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_create_session_input) == 16, "create_session_input");

/* Destroy-session outcome (device-writable): one status byte */
struct virtio_crypto_destroy_session_input {
    uint8_t status; /* VIRTIO_CRYPTO_OK or _ERR */
};
_Static_assert(sizeof(struct virtio_crypto_destroy_session_input) == 1, "destroy_session_input");

/* Without VIRTIO_CRYPTO_F_REVISION_1 every ctrl op_flf is padded to 56 bytes,
 * so a legacy control request's fixed part is exactly 72 bytes. */
struct virtio_crypto_op_ctrl_req_legacy {
    struct virtio_crypto_ctrl_header header;
    uint8_t op_flf[VIRTIO_CRYPTO_CTRLQ_OP_SPEC_HDR_LEGACY];
};
_Static_assert(sizeof(struct virtio_crypto_op_ctrl_req_legacy) == 72, "ctrl_req_legacy");

/* ======================================================================
 * Data queue ("Data Virtqueue").
 * Chain: readable op_header | op_flf | readable op_vlf,
 *        writable rest of op_vlf | inhdr (1 status byte, last).
 * ====================================================================== */
struct virtio_crypto_op_header {
    vc_le32 opcode; /* VIRTIO_CRYPTO_CIPHER_ENCRYPT ... */
    vc_le32 algo;   /* used in stateless mode */
    vc_le64 session_id;
    vc_le32 flag;   /* VIRTIO_CRYPTO_FLAG_SESSION_MODE when a stateless bit is negotiated */
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_op_header) == 24, "op_header");

/* CIPHER op_flf; op_vlf = R iv, R src; W dst */
struct virtio_crypto_cipher_data_flf {
    vc_le32 iv_len;
    vc_le32 src_data_len;
    vc_le32 dst_data_len; /* >= src_data_len */
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_cipher_data_flf) == 16, "cipher_data_flf");

/* Chaining op_flf; op_vlf = R iv, R src, R aad; W dst, W hash_result */
struct virtio_crypto_alg_chain_data_flf {
    vc_le32 iv_len;
    vc_le32 src_data_len;
    vc_le32 dst_data_len;
    vc_le32 cipher_start_src_offset;
    vc_le32 len_to_cipher;
    vc_le32 hash_start_src_offset;
    vc_le32 len_to_hash;
    vc_le32 aad_len;
    vc_le32 hash_result_len;
    vc_le32 reserved;
};
_Static_assert(sizeof(struct virtio_crypto_alg_chain_data_flf) == 40, "alg_chain_data_flf");

#define VIRTIO_CRYPTO_SYM_DATA_REQ_HDR_SIZE 40
struct virtio_crypto_sym_data_flf {
    /* cipher_data_flf or alg_chain_data_flf */
    uint8_t op_type_flf[VIRTIO_CRYPTO_SYM_DATA_REQ_HDR_SIZE];
    vc_le32 op_type; /* VIRTIO_CRYPTO_SYM_OP_* */
    vc_le32 padding;
};
_Static_assert(sizeof(struct virtio_crypto_sym_data_flf) == 48, "sym_data_flf");

/* HASH op_flf; op_vlf = R src; W hash_result */
struct virtio_crypto_hash_data_flf {
    vc_le32 src_data_len;
    vc_le32 hash_result_len;
};
_Static_assert(sizeof(struct virtio_crypto_hash_data_flf) == 8, "hash_data_flf");

/* MAC op_flf; op_vlf = R src; W hash_result */
struct virtio_crypto_mac_data_flf {
    struct virtio_crypto_hash_data_flf hdr;
};
_Static_assert(sizeof(struct virtio_crypto_mac_data_flf) == 8, "mac_data_flf");

/* AEAD op_flf; op_vlf = R iv, R src, R aad; W dst (ciphertext then tag).
 * Note: the Linux/QEMU/DPDK header copies lack tag_len (16-byte struct). */
struct virtio_crypto_aead_data_flf {
    vc_le32 iv_len;
    vc_le32 aad_len;
    vc_le32 src_data_len;
    vc_le32 dst_data_len; /* encrypt: >= src_data_len + tag_len */
    vc_le32 tag_len;
    vc_le32 reserved;
};
_Static_assert(sizeof(struct virtio_crypto_aead_data_flf) == 24, "aead_data_flf");

/* AKCIPHER op_flf; enc/dec/sign: R src, W dst. verify: R src = signature ||
 * digest (src_data_len = signature length, dst_data_len = digest length). */
struct virtio_crypto_akcipher_data_flf {
    vc_le32 src_data_len;
    vc_le32 dst_data_len;
};
_Static_assert(sizeof(struct virtio_crypto_akcipher_data_flf) == 8, "akcipher_data_flf");

/* IPsec op_flf (v1.4) */
struct virtio_crypto_ipsec_data_flf {
    vc_le32 src_data_len;
    vc_le32 dst_data_len;
};
_Static_assert(sizeof(struct virtio_crypto_ipsec_data_flf) == 8, "ipsec_data_flf");

struct virtio_crypto_inhdr {
    uint8_t status; /* VIRTIO_CRYPTO_OK ... */
};
_Static_assert(sizeof(struct virtio_crypto_inhdr) == 1, "inhdr");

/* Without REVISION_1 the data op_flf is padded to 48 bytes, so a legacy data
 * request's fixed part is exactly 72 bytes. This is what QEMU's frontend and
 * the Linux driver send. */
struct virtio_crypto_op_data_req_legacy {
    struct virtio_crypto_op_header header;
    uint8_t op_flf[VIRTIO_CRYPTO_DATAQ_OP_SPEC_HDR_LEGACY];
};
_Static_assert(sizeof(struct virtio_crypto_op_data_req_legacy) == 72, "data_req_legacy");

/* ---- Stateless mode (REVISION_1 + <SERVICE>_STATELESS_MODE). op_vlf
 * carries the keys first (cipher_key, auth_key), then iv / aad / src. ---- */
struct virtio_crypto_cipher_sess_para_stateless {
    vc_le32 algo;
    vc_le32 key_len;
    vc_le32 op;
};
_Static_assert(sizeof(struct virtio_crypto_cipher_sess_para_stateless) == 12, "cipher_sp_sl");

struct virtio_crypto_cipher_data_flf_stateless {
    struct virtio_crypto_cipher_sess_para_stateless sess_para;
    vc_le32 iv_len;
    vc_le32 src_data_len;
    vc_le32 dst_data_len;
};
_Static_assert(sizeof(struct virtio_crypto_cipher_data_flf_stateless) == 24, "cipher_flf_sl");

struct virtio_crypto_alg_chain_data_flf_stateless {
    struct {
        vc_le32 alg_chain_order; /* VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_* */
        vc_le32 aad_len;
        struct virtio_crypto_cipher_sess_para_stateless cipher;
        struct {
            vc_le32 algo; /* VIRTIO_CRYPTO_HASH_* or VIRTIO_CRYPTO_MAC_* */
            vc_le32 auth_key_len;
            vc_le32 hash_mode; /* VIRTIO_CRYPTO_SYM_HASH_MODE_* */
        } hash;
    } sess_para;
    vc_le32 iv_len;
    vc_le32 src_data_len;
    vc_le32 dst_data_len;
    vc_le32 cipher_start_src_offset;
    vc_le32 len_to_cipher;
    vc_le32 hash_start_src_offset;
    vc_le32 len_to_hash;
    vc_le32 aad_len;
    vc_le32 hash_result_len;
    vc_le32 reserved;
};
/* vlf (stateless chain): R cipher_key, R auth_key, R iv, R aad, R src (aad
 * BEFORE src, unlike session mode); W dst, W hash_result. */
_Static_assert(sizeof(struct virtio_crypto_alg_chain_data_flf_stateless) == 72, "chain_flf_sl");

/* The spec spells this macro VIRTIO_CRYPTO_SYM_DATE_REQ_HDR_STATELESS_SIZE. */
#define VIRTIO_CRYPTO_SYM_DATA_REQ_HDR_STATELESS_SIZE 72
struct virtio_crypto_sym_data_flf_stateless {
    uint8_t op_type_flf[VIRTIO_CRYPTO_SYM_DATA_REQ_HDR_STATELESS_SIZE];
    vc_le32 op_type;
};
_Static_assert(sizeof(struct virtio_crypto_sym_data_flf_stateless) == 76, "sym_flf_sl");

struct virtio_crypto_hash_data_flf_stateless {
    struct {
        vc_le32 algo; /* VIRTIO_CRYPTO_HASH_* */
    } sess_para;
    vc_le32 src_data_len;
    vc_le32 hash_result_len;
    vc_le32 reserved;
};
_Static_assert(sizeof(struct virtio_crypto_hash_data_flf_stateless) == 16, "hash_flf_sl");

struct virtio_crypto_mac_data_flf_stateless {
    struct {
        vc_le32 algo;
        vc_le32 auth_key_len;
    } sess_para;
    vc_le32 src_data_len;
    vc_le32 hash_result_len;
};
_Static_assert(sizeof(struct virtio_crypto_mac_data_flf_stateless) == 16, "mac_flf_sl");

struct virtio_crypto_aead_data_flf_stateless {
    struct {
        vc_le32 algo;
        vc_le32 key_len;
        vc_le32 op;
    } sess_para;
    vc_le32 iv_len;
    vc_le32 tag_len;
    vc_le32 aad_len;
    vc_le32 src_data_len;
    vc_le32 dst_data_len;
};
_Static_assert(sizeof(struct virtio_crypto_aead_data_flf_stateless) == 32, "aead_flf_sl");

struct virtio_crypto_akcipher_data_flf_stateless {
    struct {
        vc_le32 algo;
        vc_le32 key_type;
        vc_le32 key_len;
        union {
            struct virtio_crypto_rsa_session_para rsa;
            struct virtio_crypto_ecdsa_session_para ecdsa;
        } u;
    } sess_para;
    vc_le32 src_data_len;
    vc_le32 dst_data_len;
};
_Static_assert(sizeof(struct virtio_crypto_akcipher_data_flf_stateless) == 28, "akcipher_flf_sl");

#endif
