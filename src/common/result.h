/* Internal result type and safety macros (STYLE.md rule 4a).
 *
 * Functions that can fail return vc_result; callers must look at it
 * (warn_unused_result). The macros keep error paths short:
 *   ENSURE(cond, err)  return err unless cond holds
 *   GUARD(expr)        propagate a failing vc_result
 *   GUARD_OSSL(expr, err) OpenSSL calls return 1 on success; anything else is err
 */
#ifndef VC_COMMON_RESULT_H
#define VC_COMMON_RESULT_H

#include "common/compiler.h"

typedef struct {
    int err; /* 0 = ok, else a negative VC_E* code (see vcrypto/err.h) */
} vc_result;

/* Declare fallible functions as `VC_RESULT f(...)` so callers must check. */
#define VC_RESULT VC_MUST_USE vc_result

#define VC_OK_RESULT ((vc_result){0})
#define VC_ERR_RESULT(e) ((vc_result){(e)})
#define vc_ok(r) ((r).err == 0)

#define ENSURE(cond, e)                                                                            \
    do {                                                                                           \
        if (VC_UNLIKELY(!(cond)))                                                                  \
            return VC_ERR_RESULT(e);                                                               \
    } while (0)

#define GUARD(expr)                                                                                \
    do {                                                                                           \
        vc_result vc__r = (expr);                                                                  \
        if (VC_UNLIKELY(vc__r.err != 0))                                                           \
            return vc__r;                                                                          \
    } while (0)

#define GUARD_OSSL(expr, e)                                                                        \
    do {                                                                                           \
        if (VC_UNLIKELY((expr) != 1))                                                              \
            return VC_ERR_RESULT(e);                                                               \
    } while (0)

#define BAIL(e) return VC_ERR_RESULT(e)

#endif
