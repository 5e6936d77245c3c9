#ifndef MTS_TLSRPT_H
#define MTS_TLSRPT_H

/* The public interface of src/tlsrpt/: what other parts may use. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"
#include "mtasts/output.h"

/* ---- rptsrc -------------------------------------------------------------- */

/* Where TLS-RPT aggregate reports come from (mtasts-check report PATH...):
 * files (.json, gzip by its magic bytes whatever the name), mail messages
 * (.eml) carrying application/tlsrpt+gzip or +json parts, Maildir folders,
 * mbox files, plain directories of report files, and stdin ("-").
 *
 * The walker does the I/O and the MIME decoding (GMime); it hands every
 * report it finds, still as found (gzip or JSON bytes), to a callback,
 * together with the findings about the envelope: mail headers (R159,
 * R160, R161), the part's media type (R158) and the attachment's file name
 * (R138, R157). Decompression and validation of the report itself are the
 * callback's job (tlsrpt.h), so they stay pure functions over bytes. */

/*! Caps against hostile input (docs/reports.md). */
struct mts_rpt_limits {
  size_t max_input;   /*!< bytes of one file or one mail message read */
  size_t max_report;  /*!< bytes of one report part as found (compressed) */
  size_t max_json;    /*!< bytes of one report once decompressed */
  unsigned max_depth; /*!< JSON nesting depth */
};

/*! The documented defaults: 32 MiB, 10 MiB, 10 MiB, 32. */
void mts_rpt_limits_default(struct mts_rpt_limits *lim);

/*! One report as found. Everything is borrowed for the callback's
 *  duration only. */
struct mts_rpt_part {
  /*! "PATH", or "PATH <message-id>" for a mail message, or "PATH #N" for
   *  the Nth message (from 1) of an mbox that has no Message-ID; "-" for
   *  stdin ("- <message-id>" for a mail on stdin). */
  const char *source;
  const char *path;       /*!< the path as given or found (Maildir file) */
  const char *message_id; /*!< with its angle brackets, or NULL */
  /*! The attachment's file name (Content-Disposition filename or
   *  Content-Type name), or NULL for a bare file. */
  const char *filename;
  const unsigned char *data; /*!< the bytes of the report; NULL when
                                  \p unreadable */
  size_t len;
  /*! The sender said it is gzip (a .gz name, of a bare file too, or
   *  application/tlsrpt+gzip): bytes without the gzip magic are then
   *  REPORT_GZIP_INVALID (R139). */
  int gzip_expected;
  /*! 1: the input was a mail message (an .eml, a Maildir file, an mbox
   *  message), even when \p unreadable (no report part, too large); 0: a
   *  bare file or stream. */
  int from_mail;
  /*! From a mail message: the TLS-Report-Submitter header, trimmed (NULL
   *  if absent), so that the caller can check it against the report's
   *  contact-info once the report is parsed (R159,
   *  REPORT_SUBMITTER_MISMATCH). */
  const char *submitter;
  /*! The input could not be read (missing file, permission, a mail message
   *  without any report part, over max_input...): \p envelope holds the
   *  finding that says why; the caller emits an invalid report for it. */
  int unreadable;
  /*! Findings about the envelope (never about the report's content). The
   *  callback may move them out (mts_findings is a plain struct: copy it
   *  and zero the original). */
  struct mts_findings envelope;
};

/*! \return MTS_OK to go on, anything else to stop the walk (returned). */
typedef enum mts_err (*mts_rpt_cb)(void *arg, struct mts_rpt_part *part);

/*! Call \p cb for every report found under \p path, in a stable order
 *  (a Maildir's new/ then cur/, each sorted by name; an mbox in file
 *  order). A path that cannot be read at all still gives one callback
 *  with \p unreadable set. Never stops on bad input; stops only when \p cb
 *  says so or memory runs out. \p lim NULL means the defaults.
 *  \return MTS_OK, MTS_ENOMEM, or what \p cb returned. */
enum mts_err mts_rpt_walk(const char *path, const struct mts_rpt_limits *lim,
                          mts_rpt_cb cb, void *arg);

/*! As mts_rpt_walk for a stream that is not a path (stdin, a pipe, a
 *  socket; the tests use it): read \p fd up to lim->max_input, then sniff
 *  the bytes as a file's. \p label names the input in \p source and
 *  \p path ("-" for stdin). \p fd is neither closed nor rewound. */
enum mts_err mts_rpt_walk_fd(int fd, const char *label,
                             const struct mts_rpt_limits *lim, mts_rpt_cb cb,
                             void *arg);

/*! Initialise and release the MIME library (GMime); call once around all
 *  walks. */
void mts_rpt_init(void);
void mts_rpt_shutdown(void);

/* ---- tlsrpt -------------------------------------------------------------- */

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
  /*! 1 + the index of the other policy of this report that describes the
   *  same sessions, or 0. An sts and a tlsa policy for the same domain
   *  with equal session counts are paired (issue 11: Microsoft reports
   *  both): the report's totals and the summary count them once. */
  size_t same_sessions_as;
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
  /*! Sums over the policies, a pair of policies of the same sessions
   *  (same_sessions_as) counted once. */
  uint64_t total_successful;
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

/* ---- tlsrpt_sum ---------------------------------------------------------- */

/* The aggregation behind `mtasts-check report` (docs/reports.md): the
 * duplicate set (organization + report-id), the per policy domain and UTC
 * day tables of --summary, the per-domain failure rates and the exit code.
 * Pure: no I/O. Memory grows with the number of distinct (domain, day)
 * groups, organizations, result types and MX hosts, and with the
 * duplicate set (one entry per valid report), never with the reports'
 * contents otherwise. */

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
  /*! Pairs of an sts and a tlsa policy of one report that describe the
   *  same sessions (mts_rpt_policy.same_sessions_as): their sessions are
   *  in \p successful and \p failed once, and each result type and MX
   *  host with the larger of the two policies' counts. */
  uint64_t counted_once;
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

/* ---- report_tlsrpt ------------------------------------------------------- */

/* Writers of `mtasts-check report` (contract.md "TLS-RPT aggregate
 * reports", docs/json.md, docs/reports.md): one report as a JSON line or a
 * text block, and the --summary groups as JSON lines or a text table.
 * Pure: they read plain data and write to the stream given, nothing
 * else. Every byte that came from input is escaped (text: \xHH; JSON:
 * valid UTF-8, U+FFFD for the rest). */

/*! One report as written: borrowed data. */
struct mts_rpt_view {
  const char *source;     /*!< "PATH" or "PATH <message-id>"; never NULL */
  const char *message_id; /*!< or NULL */
  /*! The parsed report, or NULL when the input could not be read (the
   *  report is then invalid and every field but the findings null). */
  const struct mts_rpt *r;
  /*! All findings: the envelope's, then the report's, then the
   *  driver's (REPORT_SUBMITTER_MISMATCH, REPORT_DUPLICATE). */
  const struct mts_findings *findings;
};

/*! 1 when the view is a valid report (\p v->r set and valid). */
int mts_rpt_view_valid(const struct mts_rpt_view *v);

/*! The report as one JSON line, "kind": "tlsrpt-report".
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_tlsrpt_json_write(FILE *out,
                                          const struct mts_rpt_view *v);

/*! The report as a text block (docs/reports.md "Text output").
 *  \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_tlsrpt_text_write(FILE *out,
                                          const struct mts_rpt_view *v,
                                          const struct mts_text_opts *opts);

/*! One --summary group as one JSON line, "kind": "tlsrpt-summary".
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_tlsrpt_summary_json_write(FILE *out,
                                                  const struct mts_rpt_day *d);

/*! The --summary table of \p n groups (sorted as mts_rpt_sum_days gives
 *  them), flagging the rates at or above \p threshold_pct.
 *  \return MTS_OK or MTS_EIO. */
enum mts_err
mts_report_tlsrpt_summary_text_write(FILE *out, const struct mts_rpt_day *days,
                                     size_t n, double threshold_pct,
                                     const struct mts_text_opts *opts);

/*! The line that ends text output of several reports, e.g.
 *  "12 reports: 10 valid (1 duplicate), 2 invalid; 3 with failed
 *  sessions, 2 with warnings or envelope errors" (parts that are 0 left
 *  out). \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_tlsrpt_tally_text_write(FILE *out,
                                                const struct mts_rpt_tally *t);

/*! The failure rate of \p failed among \p successful + \p failed sessions
 *  as JSON numbers: a fraction with 4 decimals ("0.0067") into \p rate and
 *  a percentage with 2 decimals ("0.67") into \p pct, or "null" into both
 *  when there was no session. */
void mts_rpt_rate_str(uint64_t successful, uint64_t failed, char *rate,
                      size_t rate_size, char *pct, size_t pct_size);

/* ---- tlsrpt_prom --------------------------------------------------------- */

/* `mtasts-check report --format prometheus` (docs/monitoring.md, "TLS-RPT
 * report metrics"): the figures of the counted reports (valid, first
 * seen) as counters per policy domain, policy type (sts, tlsa,
 * no-policy-found: never summed together, since a sender may list the same
 * sessions under two) and reporting organization, result type or receiving
 * MX host; the latest report's time per domain and organization; what the
 * run read. Label values come from the reports, so they are bounded: cut
 * to 256 bytes, and past 256 policy domains, or 16 organizations, result
 * types or MX hosts of one domain, the values with the smallest figures
 * are summed under "(other)". Pure: no I/O but the stream given. Memory
 * grows with the distinct (domain, type, label value) rows, like the
 * summary's tables. */

struct mts_rpt_prom;

/*! \return MTS_OK or MTS_ENOMEM; *out is written on success only. */
enum mts_err mts_rpt_prom_new(struct mts_rpt_prom **out);

/*! Free \p *p and set it to NULL; NULL is a no-op. */
void mts_rpt_prom_free(struct mts_rpt_prom **p);

/*! Count a report: the caller passes the valid, first-seen ones (an
 *  invalid one is ignored). \return MTS_OK or MTS_ENOMEM (the tables may
 *  then hold part of it). */
enum mts_err mts_rpt_prom_add(struct mts_rpt_prom *p, const struct mts_rpt *r);

/*! Write every family (HELP and TYPE, then the samples sorted by their
 *  labels, byte order), then the run's families from \p t;
 *  mtasts_tlsrpt_last_run_timestamp_seconds (\p now) is the last line, so
 *  a file that ends with it is complete.
 *  \return MTS_OK, MTS_ENOMEM or MTS_EIO. */
enum mts_err mts_rpt_prom_write(FILE *out, const struct mts_rpt_prom *p,
                                const struct mts_rpt_tally *t, long long now);

/* ---- libver -------------------------------------------------------------- */

/*! The versions of the parsing libraries this process runs with, for
 *  --version: "cJSON 1.7.15, GMime 3.2.13, zlib 1.2.13, libidn2 2.3.3".
 *  Truncated to fit. */
void mts_tlsrpt_libversions(char *buf, size_t size);

#endif
