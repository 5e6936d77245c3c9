#ifndef MTS_TLSRPT_H
#define MTS_TLSRPT_H

/* One TLS-RPT aggregate report (RFC 8460 §4; "rpt" for short, since
 * struct mts_tlsrpt is the _smtp._tls TXT record in txt.h): decoded (gzip by
 * its magic bytes), checked as I-JSON, validated against rfc-rules §9 and read
 * into plain data. A pure function over bytes: no I/O, no globals; fuzzed.
 *
 * Leniency (rfc-rules §9, issue 5): what real senders do is accepted with
 * a warning (mx-host as a string, policy-string as one string, contact-info
 * null, dates without an offset, no failure-details when nothing failed,
 * failure details that add up to more than the total). What is not a
 * report is rejected with a named reason: the report is then `invalid`,
 * and its policies and totals are not given. */

#include <stddef.h>
#include <stdint.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"
#include "mtasts/rptsrc.h"

/*! One entry of failure-details. Strings are owned; NULL = absent (or of
 *  the wrong type, with a finding). */
struct mts_rpt_failure {
  char *result_type;
  char *sending_mta_ip;
  char *receiving_mx_hostname;
  char *receiving_mx_helo;
  char *receiving_ip;
  char *failure_reason_code;
  char *additional_information;
  uint64_t count; /*!< failed-session-count */
};

/*! failed-session-count summed per result-type, in first-seen order. */
struct mts_rpt_rtcount {
  char *result_type;
  uint64_t count;
};

struct mts_rpt_policy {
  char *policy_type;   /*!< "sts", "tlsa", "no-policy-found" (as written) */
  char *policy_domain; /*!< as written, or NULL */
  char *mode;          /*!< from an sts policy-string's "mode:" line, or NULL */
  char **policy_string; /*!< the lines (after the lenient forms are read) */
  size_t n_policy_string;
  int has_policy_string; /*!< 0: absent (JSON null in output) */
  char **mx_host;
  size_t n_mx_host;
  int has_mx_host;
  uint64_t successful; /*!< total-successful-session-count */
  uint64_t failed;     /*!< total-failure-session-count */
  struct mts_rpt_failure *failures;
  size_t n_failures;
  struct mts_rpt_rtcount *by_result_type;
  size_t n_by_result_type;
};

struct mts_rpt {
  /*! 1: a report (maybe with warnings); 0: rejected, \p findings say why,
   *  \p policies is empty and the totals are not known. */
  int valid;
  char *organization; /*!< raw strings, NULL when absent or not a string */
  char *report_id;
  char *contact_info;
  char *start; /*!< date-range start-datetime, as written */
  char *end;
  /*! start and end in seconds since the epoch (UTC), when they parsed;
   *  \p have_dates says so. The summary keys its day on \p start_epoch. */
  int64_t start_epoch;
  int64_t end_epoch;
  int have_dates;
  struct mts_rpt_policy *policies;
  size_t n_policies;
  uint64_t total_successful; /*!< sums over the policies */
  uint64_t total_failed;
  struct mts_findings findings;
};

/*! Decode and validate one report as found (gzip or JSON bytes).
 *  \param[in] gzip_expected the sender said gzip (REPORT_GZIP_INVALID when
 *             the magic bytes are missing)
 *  \param[out] out zero-initialised by the function; release with
 *              mts_rpt_release even on error
 *  \return MTS_OK (valid or not: see out->valid) or MTS_ENOMEM. */
enum mts_err mts_rpt_parse(const unsigned char *data, size_t len,
                           int gzip_expected, const struct mts_rpt_limits *lim,
                           struct mts_rpt *out);

/*! \return 1 if \p s is one of the 11 registered result types. */
int mts_rpt_result_type_known(const char *s);

void mts_rpt_release(struct mts_rpt *r);

#endif
