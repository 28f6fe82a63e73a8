/* Reader for NIST CAVP response files (.rsp) and the look-alike .txt files
 * that python3-cryptography-vectors ships next to them.
 *
 * The format is informal, so the reader keeps it simple and lets each test
 * decide what a vector is:
 *
 *   # comment                    ignored
 *   [ENCRYPT]                    a header; "[A = 1, B = 2]" gives two values,
 *   [Keylen = 128]               "[P-192,SHA-1]" gives bare names "P-192" and
 *                                "SHA-1". Consecutive header lines form one
 *                                header group.
 *   NAME = value                 a body line; a line with no '=' (GCM "FAIL")
 *                                is a bare name with an empty value.
 *   (blank line)                 ends a block
 *
 * kat_rsp_next() returns one block at a time. Values stay visible after their
 * block ends ("sticky"), because many files put shared values in a block of
 * their own (CCM's Key and Nonce, RSA's n and e) or before any header (CCM's
 * "Plen = 24"). A new header group forgets the sticky values of the previous
 * group; sticky values seen before the first header are kept for the whole
 * file.
 *
 * Lookup order for kat_rsp_get(): the current block, then sticky values of
 * this header group, then the header group, then the file-level values.
 * kat_rsp_own() looks only at the current block, for markers that must not
 * leak between vectors (FAIL, Result, PT).
 *
 * Names compare case-sensitively, as written in the files. Values are trimmed
 * of surrounding blanks and CR.
 *
 * Ownership: the reader owns every string it returns; a string stays valid
 * until the next kat_rsp_next() or kat_rsp_close(). Not thread-safe; one
 * reader per thread. Test-only code: allocation failure aborts.
 */
#ifndef VC_TESTS_KAT_RSP_H
#define VC_TESTS_KAT_RSP_H

#include <stdbool.h>
#include <stddef.h>

struct kat_rsp;

/* Opens path. Returns NULL (errno set) if the file cannot be opened. */
struct kat_rsp *kat_rsp_open(const char *path);

/* Closes the reader and frees all it owns. NULL is ignored. */
void kat_rsp_close(struct kat_rsp *r);

/* Reads the next block. Returns false at end of file. A header group alone
 * (no body lines) is not returned as a block; its values become visible
 * through kat_rsp_get() for the blocks that follow. */
bool kat_rsp_next(struct kat_rsp *r);

/* Value of name as described above, or NULL if no level has it. */
const char *kat_rsp_get(const struct kat_rsp *r, const char *name);

/* Value of name in the current block only, or NULL. */
const char *kat_rsp_own(const struct kat_rsp *r, const char *name);

/* Value of name in the current header group only, or NULL. */
const char *kat_rsp_header(const struct kat_rsp *r, const char *name);

/* Raw text (without brackets) of the last header line read, or "". */
const char *kat_rsp_header_raw(const struct kat_rsp *r);

/* Line number (1-based) where the current block starts, for messages. */
unsigned long kat_rsp_line(const struct kat_rsp *r);

#endif
