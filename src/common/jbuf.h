/* A tiny JSON writer into a caller-provided buffer (output only; we never
 * parse JSON in the product). Overflow is sticky: once the buffer is full,
 * vc_jbuf_ok() turns false and further writes are dropped.
 *
 * Usage: vc_jbuf_obj_open(b, NULL); vc_jbuf_u64(b, "requests", n); ...
 * Keys are emitted with separating commas handled automatically.
 */
#ifndef VC_COMMON_JBUF_H
#define VC_COMMON_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_JBUF_DEPTH 16

struct vc_jbuf {
    char *p;
    size_t cap, len;
    bool overflow;
    int depth;
    bool first[VC_JBUF_DEPTH];    /* no element yet at this depth */
    bool in_array[VC_JBUF_DEPTH]; /* container at this depth is an array */
};

void vc_jbuf_init(struct vc_jbuf *b, char *buf, size_t cap);
/* key must be NULL inside arrays and at top level, and non-NULL inside
 * objects; a misuse makes the document invalid (vc_jbuf_ok() false). */
void vc_jbuf_obj_open(struct vc_jbuf *b, const char *key);
void vc_jbuf_obj_close(struct vc_jbuf *b);
void vc_jbuf_arr_open(struct vc_jbuf *b, const char *key);
void vc_jbuf_arr_close(struct vc_jbuf *b);
void vc_jbuf_u64(struct vc_jbuf *b, const char *key, uint64_t v);
void vc_jbuf_bool(struct vc_jbuf *b, const char *key, bool v);
void vc_jbuf_str(struct vc_jbuf *b, const char *key, const char *s);
/* True if everything fit; the text is NUL-terminated then. */
bool vc_jbuf_ok(const struct vc_jbuf *b);

#endif
