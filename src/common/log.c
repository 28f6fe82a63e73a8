#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static vc_log_sink g_sink;
static void *g_arg;
static enum vc_log_level g_level = VC_LOG_WARN;

void vc_log_set(vc_log_sink sink, void *arg, enum vc_log_level max_level)
{
    g_sink = sink;
    g_arg = arg;
    g_level = max_level;
}

void vc_log_stderr(enum vc_log_level lvl, const char *msg, void *arg)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    (void)arg;
    fprintf(stderr, "vcrypto: %s: %s\n", names[lvl & 3], msg);
}

int vc_log_enabled(enum vc_log_level lvl)
{
    return g_sink && lvl <= g_level;
}

void vc_log(enum vc_log_level lvl, const char *fmt, ...)
{
    if (!vc_log_enabled(lvl))
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    g_sink(lvl, buf, g_arg);
}
