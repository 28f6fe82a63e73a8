/* A scripted engine for device-layer tests: records the last op it saw and
 * answers with a chosen status, so request parsing is tested without
 * OpenSSL. */
#ifndef VC_TEST_FAKE_ENGINE_H
#define VC_TEST_FAKE_ENGINE_H

#include "engine/engine.h"

struct fake_engine {
    struct vc_engine base;
    uint8_t create_status; /* answer to sess_create */
    uint8_t op_status;     /* answer to op */
    int live_sessions;
    int ops;
    struct vc_engine_op last;
    uint8_t last_src[256], last_iv[64], last_aad[64], last_dst_in[256];
    struct vc_sess_params last_params; /* key pointers cleared */
    uint8_t last_key[64], last_auth_key[64];
    int sessions_created;
};

struct fake_sess {
    uint32_t service;
};

extern const struct vc_engine_ops fake_engine_ops;
void fake_engine_init(struct fake_engine *fe);

#endif
