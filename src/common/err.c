#include "vcrypto/err.h"

const char *vc_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define VC__ERR_MSG(name, val, msg)                                                                \
    case val:                                                                                      \
        return msg;
        VC_ERRNO_MAP(VC__ERR_MSG)
#undef VC__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *vc_errname(int err)
{
    switch (err) {
    case 0:
        return "0";
#define VC__ERR_NAME(name, val, msg)                                                               \
    case val:                                                                                      \
        return "VC_" #name;
        VC_ERRNO_MAP(VC__ERR_NAME)
#undef VC__ERR_NAME
    default:
        return "VC_E?";
    }
}
