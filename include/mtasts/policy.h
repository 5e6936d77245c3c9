#ifndef MTS_POLICY_H
#define MTS_POLICY_H

/* The MTA-STS policy body (RFC 8461 §3.2) and MX pattern matching (§4.1):
 * pure functions over bytes, no I/O, no globals. The HTTPS fetch that
 * brings the body is a separate module. */

#include <stddef.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"

/*! The policy's mode (RFC 8461 §5). */
enum mts_policy_mode {
  MTS_MODE_UNSET = 0, /*!< missing or not one of the three values */
  MTS_MODE_ENFORCE,
  MTS_MODE_TESTING,
  MTS_MODE_NONE,
};

/*! What the parser found. Release with mts_policy_release. */
struct mts_policy {
  int valid; /*!< 1 if no error finding: senders would use it */
  enum mts_policy_mode mode;
  char *mode_str; /*!< the mode value as written (first), or NULL */
  char *version;  /*!< the version value as written, or NULL */
  long max_age;   /*!< seconds, -1 if missing or invalid */
  char **mx;      /*!< mx patterns, normalised (lowercase, no
                       trailing dot), in order, duplicates kept */
  size_t n_mx;
};

/*! Parse and judge a policy body (rfc-rules R71-R95): line endings, BOM,
 *  bare CR, UTF-8, line and key syntax, first duplicate wins, unknown keys,
 *  version, mode, max_age (1-10 digits, 0..31557600, no strtol surprises),
 *  mx required unless mode none, mx pattern syntax, trailing dots.
 *  \param[in] body the bytes as received; any octet; not NUL-terminated
 *  \param[out] out written on success only
 *  \param[in,out] findings findings are appended (subjects name the line)
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_policy_parse(const char *body, size_t len,
                              struct mts_policy *out,
                              struct mts_findings *findings);

/*! Judge a Content-Type header value (R60, R61): the media type must be
 *  text/plain (case-insensitive, parameters allowed); a charset other than
 *  utf-8 or us-ascii gets a warning. NULL means the header was absent.
 *  \return 1 if the media type is acceptable, 0 if not (a finding was
 *  added), -1 out of memory. */
int mts_policy_check_content_type(const char *content_type,
                                  struct mts_findings *findings);

/*! RFC 8461 §4.1: does MX host \p host match \p pattern? Exact match, or
 *  "*.S" matching exactly one non-empty leftmost label before S; ASCII
 *  case-insensitive; a trailing dot on either side is ignored.
 *  \return 1 or 0. */
int mts_policy_mx_match(const char *pattern, const char *host);

/*! \return "enforce", "testing", "none" or NULL for MTS_MODE_UNSET. */
const char *mts_policy_mode_str(enum mts_policy_mode mode);

/*! Free what \p p owns; \p p is zeroed. NULL-safe. */
void mts_policy_release(struct mts_policy *p);

#endif
