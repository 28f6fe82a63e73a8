/* vcrypto public error codes.
 *
 * Every public non-burst call returns 0 on success or one of these negative
 * codes. Burst calls return a count and report per-operation outcome in the
 * op's status field instead (see the burst API). The table is an X-macro so the
 * codes, names and messages cannot drift apart.
 *
 * Threading: vc_strerror() is thread-safe and returns a static string that
 * must not be freed.
 */
#ifndef VCRYPTO_ERR_H
#define VCRYPTO_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define VC_ERRNO_MAP(X)                                                                            \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(ENOTSUP, -3, "operation or algorithm not supported")                                         \
    X(EBADMSG, -4, "authentication failed")                                                        \
    X(EKEYREJECTED, -5, "signature verification failed")                                           \
    X(EINVSESS, -6, "invalid session")                                                             \
    X(ENOSPC, -7, "no space left (sessions or queue)")                                             \
    X(EIO, -8, "I/O or device error")                                                              \
    X(EPROTO, -9, "protocol error")                                                                \
    X(ECRYPTO, -10, "crypto library failure")                                                      \
    X(EAGAIN, -11, "try again")                                                                    \
    X(ERANGE, -12, "length out of range")                                                          \
    X(EBROKEN, -13, "device broken, needs reset")                                                  \
    X(ENOENT, -14, "not found")

enum vc_errno {
#define VC__ERR_ENUM(name, val, msg) VC_##name = (val),
    VC_ERRNO_MAP(VC__ERR_ENUM)
#undef VC__ERR_ENUM
};

/* Returns a static, human-readable message for a VC_E* code (or 0).
 * Unknown codes give "unknown error". Never returns NULL. */
const char *vc_strerror(int err);

/* Returns the symbolic name ("VC_EINVAL") of a code, or "VC_E?" if unknown. */
const char *vc_errname(int err);

#ifdef __cplusplus
}
#endif
#endif
