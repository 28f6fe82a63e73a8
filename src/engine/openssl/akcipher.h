/* Internal: the OpenSSL engine's asymmetric half (RSA, ECDSA).
 *
 * The engine dispatch (ossl_engine.c) calls these for
 * VIRTIO_CRYPTO_SERVICE_AKCIPHER sessions and ops. Status returns are virtio
 * status codes, as in engine.h.
 */
#ifndef VC_ENGINE_OSSL_AKCIPHER_H
#define VC_ENGINE_OSSL_AKCIPHER_H

#include "engine/engine.h"

struct vc__ossl_ak; /* opaque akcipher session state */

/* Parses the DER key of p->u.akcipher and builds the session. max_bits caps
 * the RSA modulus (cfg.rsa_max_bits); nworkers as in vc_engine_cfg. */
uint8_t vc__ossl_ak_create(const struct vc_sess_params *p, uint32_t max_bits, unsigned nworkers,
                           struct vc__ossl_ak **out);
void vc__ossl_ak_free(struct vc__ossl_ak *s);
uint8_t vc__ossl_ak_op(struct vc__ossl_ak *s, unsigned worker, struct vc_engine_op *op);

/* Capability entries for RSA and ECDSA (appended to the engine's table). */
extern const struct vc_algo_cap vc__ossl_ak_caps[];
extern const uint32_t vc__ossl_ak_ncaps;

#endif
