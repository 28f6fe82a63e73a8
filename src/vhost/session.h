/* CREATE_CRYPTO_SESSION payloads: the three layouts QEMU has shipped,
 * decoded into the engine's neutral struct vc_sess_params, and the reply.
 *
 * Layouts (include/vcrypto/vhost_user.h): A (QEMU 2.12-7.0, 632 bytes),
 * B (7.1-8.0, 632 bytes, fields 4 bytes earlier, no op_code), C (>= 8.1,
 * 1072 bytes, sym or asym). All functions are pure (no I/O, no
 * allocation) and thread-compatible.
 */
#ifndef VC_VHOST_SESSION_H
#define VC_VHOST_SESSION_H

#include <stdint.h>

#include "engine/engine.h"
#include "vhost/vhost.h"

/* Decides the layout of a session payload of `size` bytes.
 *   size 1072 -> C. size 632 -> A or B: `forced` (A or B) wins; otherwise
 *   the word at offset 8 decides (A: op_code 0x0002; B: cipher id 0..14);
 *   when it is 2 (A's op_code or B's AES_ECB) the word at offset 12 decides
 *   (A: cipher id <= 14; B: key length, >= 16 for any AES key). If both
 *   readings remain plausible, `hint` (the layout seen earlier on this
 *   connection) decides, else A.
 * *certain is set when the payload alone settled the question (the caller
 * may then remember it as the hint). Returns VC_VU_LAYOUT_AUTO for any
 * other size. */
enum vc_vu_layout vc__vu_sess_layout(const uint8_t *payload, uint32_t size,
                                     enum vc_vu_layout forced, enum vc_vu_layout hint,
                                     int *certain);

/* Decodes a payload in `layout` into *p; key pointers point into payload.
 * Key lengths are checked against the fixed arrays (64 / 512 / 1024,
 * hostile-inputs #15) before anything reads a key. Returns
 * VIRTIO_CRYPTO_OK, VIRTIO_CRYPTO_ERR (key too long) or
 * VIRTIO_CRYPTO_NOTSUPP (op_code / op_type a QEMU front-end never sends).
 * size must match the layout (632 or 1072). */
uint8_t vc__vu_sess_decode(const uint8_t *payload, uint32_t size, enum vc_vu_layout layout,
                           struct vc_sess_params *p);

/* Builds the reply: a copy of the request payload (same size, so QEMU's
 * exact-size check passes) with every key byte wiped and session_id set at
 * the layout's offset (0 for A/B, 1064 for C); flags REPLY|VERSION. */
void vc__vu_sess_reply(struct vc_vu_msg *reply, const struct vc_vu_msg *req,
                       enum vc_vu_layout layout, int64_t session_id);

/* Wipes the key arrays of a session payload in place (non-elidable). */
void vc__vu_sess_wipe(uint8_t *payload, uint32_t size, enum vc_vu_layout layout);

#endif
