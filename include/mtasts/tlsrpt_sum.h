#ifndef MTS_TLSRPT_SUM_H
#define MTS_TLSRPT_SUM_H

/* The aggregation behind `mtasts-check report` (docs/reports.md): the
 * duplicate set (organization + report-id), the per policy domain and UTC
 * day tables of --summary, the per-domain failure rates and the exit code.
 * Pure: no I/O. Memory grows with the number of distinct (domain, day)
 * groups, organizations, result types and MX hosts, and with the
 * duplicate set (one entry per valid report), never with the reports'
 * contents otherwise. */

#include <stddef.h>
#include <stdint.h>

#include "mtasts/err.h"
#include "mtasts/tlsrpt.h"

/*! "day" is not known (the report's start date did not parse). */
#define MTS_RPT_DAY_UNKNOWN INT64_MIN

/*! One row of a group's table: a reporting organization (reports,
 *  successful, failed), a result type or a receiving MX host (failed
 *  only: the failed-session-count of the failure details). */
struct mts_rpt_count {
  char *name; /*!< owned; as written (organization, result type) or
                   lowercased without the trailing dot (MX host);
                   "(unknown)" when the report did not say */
  uint64_t reports;
  uint64_t successful;
  uint64_t failed;
};

/*! The figures of one policy domain on one UTC day. */
struct mts_rpt_day {
  char *policy_domain; /*!< lowercase, no trailing dot; NULL = not given */
  int64_t day;         /*!< days since 1970-01-01, or MTS_RPT_DAY_UNKNOWN */
  uint64_t reports;    /*!< distinct reports with a policy of this group */
  uint64_t successful; /*!< total-successful-session-count, summed */
  uint64_t failed;     /*!< total-failure-session-count, summed */
  struct mts_rpt_count *by_result_type;
  size_t n_by_result_type;
  struct mts_rpt_count *by_organization;
  size_t n_by_organization;
  struct mts_rpt_count *by_mx_host;
  size_t n_by_mx_host;
  uint64_t last_serial; /*!< internal: the report counted last */
};

/*! What the driver counted while reading (everything but the figures). */
struct mts_rpt_tally {
  uint64_t reports;    /*!< report objects written (duplicates included) */
  uint64_t invalid;    /*!< unreadable or invalid */
  uint64_t duplicates; /*!< valid reports seen before */
  uint64_t problems;   /*!< counted reports with a warning or an error
                            finding (envelope errors included) */
  uint64_t failed;     /*!< counted reports with a failed session */
};

struct mts_rpt_sum;

/*! \return MTS_OK or MTS_ENOMEM; *out is written on success only. */
enum mts_err mts_rpt_sum_new(struct mts_rpt_sum **out);

/*! Free \p *s and set it to NULL; NULL is a no-op. */
void mts_rpt_sum_free(struct mts_rpt_sum **s);

/*! Look up (\p org, \p report_id) in the duplicate set and add it with
 *  \p source when it is new (NULL \p org or \p report_id: never a
 *  duplicate, nothing kept).
 *  \param[out] first on a duplicate, the source given the first time
 *              (owned by \p s); else NULL
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_rpt_sum_dedup(struct mts_rpt_sum *s, const char *org,
                               const char *report_id, const char *source,
                               const char **first);

/*! Add the figures of a valid, non-duplicate report to its (domain, day)
 *  groups. Invalid reports (\p r->valid 0) are ignored.
 *  \return MTS_OK or MTS_ENOMEM (the tables may then hold part of it). */
enum mts_err mts_rpt_sum_add(struct mts_rpt_sum *s, const struct mts_rpt *r);

/*! The groups sorted by domain (byte order, NULL first) then day; each
 *  group's tables sorted by name (byte order). Borrowed: valid until the
 *  next mts_rpt_sum_add or mts_rpt_sum_free.
 *  \param[out] days the groups (NULL when there are none)
 *  \param[out] n their number
 *  \return MTS_OK or MTS_ENOMEM (*n is then 0). */
enum mts_err mts_rpt_sum_days(struct mts_rpt_sum *s,
                              const struct mts_rpt_day **days, size_t *n);

/*! 1 when \p failed of \p successful + \p failed sessions is at least
 *  \p threshold_pct percent and \p failed > 0. */
int mts_rpt_rate_over(uint64_t successful, uint64_t failed,
                      double threshold_pct);

/*! The number of policy domains whose failure rate over all their groups
 *  (all days) is at or above \p threshold_pct (mts_rpt_rate_over). */
size_t mts_rpt_sum_domains_over(struct mts_rpt_sum *s, double threshold_pct);

/*! The exit code of the run (contract.md, docs/reports.md): 2 when a
 *  domain is over the threshold; else 3 when a report was unreadable or
 *  invalid; else 1 for failed sessions, warnings or envelope errors;
 *  else 0. */
int mts_rpt_sum_exit(struct mts_rpt_sum *s, const struct mts_rpt_tally *t,
                     double threshold_pct);

/*! "YYYY-MM-DD" for a day number into \p buf (11 bytes at least).
 *  \return \p buf, or NULL for MTS_RPT_DAY_UNKNOWN or a year outside
 *  0000..9999. */
const char *mts_rpt_day_str(int64_t day, char *buf, size_t size);

#endif
