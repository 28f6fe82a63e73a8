/* Compiler wrappers: no raw __attribute__ elsewhere (STYLE.md rule 15). */
#ifndef VC_COMMON_COMPILER_H
#define VC_COMMON_COMPILER_H

#define VC_MUST_USE __attribute__((warn_unused_result))
#define VC_UNUSED __attribute__((unused))
#define VC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define VC_LIKELY(x) __builtin_expect(!!(x), 1)
#define VC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VC_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
