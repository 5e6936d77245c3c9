#ifndef MTS_JSONW_H
#define MTS_JSONW_H

/* A JSON Lines writer: one object written straight into a buffer, member
 * by member, then written out with its '\n' in one fwrite. The bytes are
 * those of src/report_json.c (cJSON_PrintUnformatted's): no spaces; '"',
 * '\\' and control characters escaped as cJSON does; every byte that is not
 * part of well-formed UTF-8, and NUL, becomes U+FFFD (docs/json.md). Keys
 * are escaped like values, so they may come from input too.
 *
 * Errors are sticky: out of memory (or nesting beyond MTS_JW_DEPTH) is
 * reported once, by mts_jw_finish. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"

#define MTS_JW_DEPTH 16

/*! Caller-owned state; starts in a caller buffer, moves to the heap when
 *  the line outgrows it. */
struct mts_jw {
  char *p;
  size_t len, cap;
  int heap;
  int oom;
  int depth;
  unsigned char more[MTS_JW_DEPTH]; /*!< per open object or array */
};

/*! Start a line in \p stack (\p size bytes, at least 1). */
void mts_jw_init(struct mts_jw *w, char *stack, size_t size);

/*! Free the heap buffer, if any. */
void mts_jw_release(struct mts_jw *w);

/*! Open an object ('{') or an array ('[') under \p key (NULL in an array
 *  or at the top). */
void mts_jw_open(struct mts_jw *w, const char *key, char bracket);

/*! Close what mts_jw_open opened (the same \p bracket, '}' or ']'). */
void mts_jw_close(struct mts_jw *w, char bracket);

/*! Member \p key (NULL in an array) with the value null. */
void mts_jw_null(struct mts_jw *w, const char *key);

/*! A string of \p len bytes (any byte), or null when \p s is NULL. */
void mts_jw_bytes(struct mts_jw *w, const char *key, const char *s, size_t len);

/*! A NUL-terminated string, or null when \p s is NULL. */
void mts_jw_str(struct mts_jw *w, const char *key, const char *s);

/*! A non-negative integer. */
void mts_jw_u64(struct mts_jw *w, const char *key, uint64_t v);

/*! A number already formatted by the caller (e.g. "0.0125"); it must be
 *  a valid JSON number. */
void mts_jw_number(struct mts_jw *w, const char *key, const char *num);

/*! An array of NUL-terminated strings, or null when \p is_null. */
void mts_jw_strv(struct mts_jw *w, const char *key, char *const *v, size_t n,
                 int is_null);

/*! Write the line and its '\n' to \p out.
 *  \return MTS_OK, MTS_ENOMEM or MTS_EIO. */
/*! The "findings" array of every JSON object the tool writes (contract:
 *  code, severity, message, subject, rfc); NULL \p list = []. */
void mts_jw_findings(struct mts_jw *w, const struct mts_findings *list);

enum mts_err mts_jw_finish(struct mts_jw *w, FILE *out);

#endif
