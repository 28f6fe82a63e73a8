/* Control-queue request handling (full-device mode): session create and
 * destroy for every service, as the virtio spec's "Control Virtqueue"
 * section defines them.
 *
 * With QEMU's cryptodev-vhost-user, QEMU keeps the control queue and sends
 * sessions over the vhost-user socket instead; in full-device mode (our own
 * driver library, generic frontends such as vhost-user-test-device) the
 * backend owns queue index max_dataqueues and this module serves it.
 *
 * A request arrives like a data request: the device-readable part rd
 * (header, op_flf, keys) and the device-writable part wr (the outcome:
 * 16-byte create_session_input or 1-byte destroy_session_input).
 *
 * Threading: one control queue, served by one thread; scratch belongs to it.
 */
#ifndef VC_DEVICE_CTRLQ_H
#define VC_DEVICE_CTRLQ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/sg.h"
#include "device/dataq.h"
#include "device/sessions.h"

struct vc_ctrlq_ctx {
    struct vc_sess_table *sessions;
    bool revision_1;            /* exact op_flf sizes; NOSPC allowed */
    uint32_t max_cipher_key_len; /* from config space */
    uint32_t max_auth_key_len;
    uint32_t max_akcipher_key_len;
    uint8_t *key_scratch; /* >= max_cipher_key_len + max(auth, akcipher) bytes */
};

/* Handles one control request; same result contract as vc_dataq_handle. */
void vc_ctrlq_handle(const struct vc_ctrlq_ctx *ctx, const struct vc_sg *rd,
                     const struct vc_sg *wr, struct vc_req_result *res);

/* Fixed part (header + op_flf) of a control request: 72 bytes in legacy
 * mode, the exact REVISION_1 size otherwise, 0 for an unknown opcode. */
uint32_t vc_ctrlq_hdr_len(uint32_t opcode, bool revision_1);

#endif
