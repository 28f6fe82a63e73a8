/* Logging. Libraries never print directly; they call vc_log, which goes to a
 * sink the program sets (stderr by default in tools, silent by default in the
 * library). Never log key material. */
#ifndef VC_COMMON_LOG_H
#define VC_COMMON_LOG_H

#include "common/compiler.h"

enum vc_log_level { VC_LOG_ERR = 0, VC_LOG_WARN = 1, VC_LOG_INFO = 2, VC_LOG_DEBUG = 3 };

typedef void (*vc_log_sink)(enum vc_log_level lvl, const char *msg, void *arg);

/* Sets the process-wide sink and level. Not thread-safe against concurrent
 * vc_log calls: set it once at start-up. A NULL sink silences logging. */
void vc_log_set(vc_log_sink sink, void *arg, enum vc_log_level max_level);
/* A sink that writes "vcrypto: <level>: msg" lines to stderr. */
void vc_log_stderr(enum vc_log_level lvl, const char *msg, void *arg);
int vc_log_enabled(enum vc_log_level lvl);
void vc_log(enum vc_log_level lvl, const char *fmt, ...) VC_PRINTF(2, 3);

#define VC_ERR(...) vc_log(VC_LOG_ERR, __VA_ARGS__)
#define VC_WARN(...) vc_log(VC_LOG_WARN, __VA_ARGS__)
#define VC_INFO(...) vc_log(VC_LOG_INFO, __VA_ARGS__)
#define VC_DEBUG(...)                                                                              \
    do {                                                                                           \
        if (vc_log_enabled(VC_LOG_DEBUG))                                                          \
            vc_log(VC_LOG_DEBUG, __VA_ARGS__);                                                     \
    } while (0)

#endif
