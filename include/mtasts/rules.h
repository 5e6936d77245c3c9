#ifndef MTS_RULES_H
#define MTS_RULES_H

/* The public interface of src/rules/: what other parts may use. */

#include <stddef.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"
#include "mtasts/result.h"

/* ---- domain -------------------------------------------------------------- */

/* Input domain normalisation (rfc-rules R9). */

/*! Normalise a domain as typed by a user: strip one trailing dot,
 *  lowercase, convert U-labels to A-labels (IDNA2008, libidn2), and check
 *  the result: no empty name or label, labels of letters, digits and
 *  hyphens (no leading or trailing hyphen), at most 63 octets a label and
 *  253 in all, not an address literal.
 *  \param[out] alabel the A-label form, at least 254 bytes
 *  \param[out] unicode the Unicode form when the name is an IDN, else NULL
 *              (heap; free() it)
 *  \param[out] why on MTS_EINVAL, a static phrase saying what is wrong
 *  \return MTS_OK, MTS_EINVAL (not a valid domain) or MTS_ENOMEM. */
enum mts_err mts_domain_normalize(const char *input, char *alabel, size_t size,
                                  char **unicode, const char **why);

/*! \return 1 if \p name (A-label form) reads as an IPv4 or IPv6 address. */
int mts_domain_is_ip_literal(const char *name);

/* ---- txt ----------------------------------------------------------------- */

/* Validators for the _mta-sts (RFC 8461 §3.1) and _smtp._tls (RFC 8460 §3)
 * TXT records: pure functions over bytes, no I/O, no globals. */

/*! One TXT resource record, its character-strings already concatenated
 *  without separators (RFC 8461 §3.1). Borrowed bytes, not NUL-terminated
 *  by contract; may hold any octet. */
struct mts_txt {
  const char *data;
  size_t len;
};

/*! What the _mta-sts validator concluded. Release with mts_sts_release. */
struct mts_sts {
  enum mts_record_status status;
  char *id;        /*!< the selected record's id (NUL-terminated), or NULL */
  size_t selected; /*!< index of the selected candidate (valid/invalid) */
};

/*! What the _smtp._tls validator concluded. Release with
 *  mts_tlsrpt_release. */
struct mts_tlsrpt {
  enum mts_record_status status;
  char **rua; /*!< the URIs of the selected record, merged in order */
  size_t n_rua;
};

/*! Judge every TXT record found at _mta-sts.<domain> (rfc-rules R24-R41).
 *  n == 0 means no record: status missing with STS_RECORD_MISSING.
 *  \param[in] recs the records, in answer order
 *  \param[out] out written on success only (release with mts_sts_release)
 *  \param[in,out] findings findings are appended
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_sts_check(const struct mts_txt *recs, size_t n,
                           struct mts_sts *out, struct mts_findings *findings);

/*! Judge every TXT record found at _smtp._tls.<domain> (R118-R134).
 *  n == 0 means no record: status missing with TLSRPT_RECORD_MISSING.
 *  \return MTS_OK or MTS_ENOMEM; \p out written on success only. */
enum mts_err mts_tlsrpt_check(const struct mts_txt *recs, size_t n,
                              struct mts_tlsrpt *out,
                              struct mts_findings *findings);

/*! \return 1 if \p rec is an MTA-STS record or looks like one (R25 classes 1
 *  and 2), used to spot a record published at the domain apex (R22). */
int mts_sts_looks_like(const struct mts_txt *rec);
/*! \return 1 if \p rec is a TLS-RPT record or looks like one (R120). */
int mts_tlsrpt_looks_like(const struct mts_txt *rec);

void mts_sts_release(struct mts_sts *sts);
void mts_tlsrpt_release(struct mts_tlsrpt *rpt);

/* ---- name ------------------------------------------------------------- */

/*! RFC 8461 §4.1: does MX host \p host match \p pattern? Exact match, or
 *  "*.S" matching exactly one non-empty leftmost label before S; ASCII
 *  case-insensitive; a trailing dot on either side is ignored.
 *  \return 1 or 0. */
int mts_name_match(const char *pattern, const char *host);

/*! RFC 8461 §3.3 and RFC 6125: does one of the SAN dNSNames in \p san
 *  (OpenSSL's text, "DNS:a.example, DNS:*.example", as the fetcher
 *  reports it) match \p host by mts_name_match? The subject CN is never
 *  used. \return 1 or 0. */
int mts_name_san_match(const char *san, const char *host);

/* ---- policy -------------------------------------------------------------- */

/* The MTA-STS policy body (RFC 8461 §3.2) and MX pattern matching (§4.1):
 * pure functions over bytes, no I/O, no globals. The HTTPS fetch that
 * brings the body is a separate module. */

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

/*! \return "enforce", "testing", "none" or NULL for MTS_MODE_UNSET. */
const char *mts_policy_mode_str(enum mts_policy_mode mode);

/*! Free what \p p owns; \p p is zeroed. NULL-safe. */
void mts_policy_release(struct mts_policy *p);

#endif
