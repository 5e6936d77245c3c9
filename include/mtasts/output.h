#ifndef MTS_OUTPUT_H
#define MTS_OUTPUT_H

/* The public interface of src/output/: what other parts may use. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"
#include "mtasts/plan.h"
#include "mtasts/result.h"

/* ---- report -------------------------------------------------------------- */

/* Reporters: pure writers of one domain's result (contract.md). Nothing
 * else in the program prints results. */

struct mts_text_opts {
  int color; /*!< emit ANSI colour sequences */
};

/*! Write the human-readable block for \p r. Every byte that came from the
 *  network is escaped: no terminal control sequence can pass.
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_text_write(FILE *out, const struct mts_result *r,
                                   const struct mts_text_opts *opts);

/*! Write \p r as one JSON object on one line, '\n'-terminated (JSON Lines,
 *  contract.md). Strings that are not valid UTF-8 have each bad byte
 *  replaced by U+FFFD.
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_json_write(FILE *out, const struct mts_result *r);

/*! --format prometheus (docs/monitoring.md): the text exposition format
 *  groups each metric family's samples, so results are collected (a few
 *  numbers per domain: memory grows with the list) and written at the
 *  end. Opaque; owns copies of what it keeps. */
struct mts_report_prom;

/*! \return MTS_OK or MTS_ENOMEM; *out is written on success only. */
enum mts_err mts_report_prom_new(struct mts_report_prom **out);

/*! Keep what the metrics need of \p r (copied). A domain added again
 *  replaces its earlier result, at its first place.
 *  \return MTS_OK or MTS_ENOMEM (nothing kept then). */
enum mts_err mts_report_prom_add(struct mts_report_prom *p,
                                 const struct mts_result *r);

/*! Write every family, HELP and TYPE first, samples in the order domains
 *  were added; \p now is mtasts_last_run_timestamp_seconds.
 *  \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_prom_write(FILE *out, const struct mts_report_prom *p,
                                   long long now);

/*! Free \p *p and set it to NULL; NULL is a no-op. */
void mts_report_prom_free(struct mts_report_prom **p);

/*! Write \p s as the value of a label, without its quotes: backslash,
 *  double quote and line feed escaped, each byte that is not part of
 *  well-formed UTF-8 written as U+FFFD (also used by the TLS-RPT report
 *  metrics, tlsrpt.h). */
void mts_prom_label_value(FILE *out, const char *s);

/*! The offline lint of one policy file (mtasts-check --policy-file):
 *  borrowed data. */
struct mts_policy_lint {
  const char *source; /*!< the path as given, "-" for stdin */
  enum mts_status status;
  enum mts_policy_status policy_status; /*!< valid or invalid */
  const char *mode;                     /*!< as written, or NULL */
  long max_age;                         /*!< -1 = null */
  char *const *mx;
  size_t n_mx;
  const struct mts_findings *findings;
};

/*! Write the lint of a policy file as a text block. */
enum mts_err mts_report_text_policy_write(FILE *out,
                                          const struct mts_policy_lint *l,
                                          const struct mts_text_opts *opts);

/*! Write the lint of a policy file as one JSON line:
 *  {"schema_version":1,"kind":"policy-file","source":...,"status":...,
 *   "policy":{"status","mode","max_age","mx"},"findings":[...]}. */
enum mts_err mts_report_json_policy_write(FILE *out,
                                          const struct mts_policy_lint *l);

/*! For other text writers (report_tlsrpt.c): write s[0..len) as the text
 *  blocks do, printable ASCII as is, '\\' as "\\\\", every other byte as
 *  \\xHH; between double quotes, '"' as \\", when \p quote.
 *  \return MTS_OK or MTS_EIO. */
/*! \return the display columns of our own (catalogue) text \p s: UTF-8,
 *  a CJK character two columns (wcwidth). */
size_t mts_text_width(const char *s);

enum mts_err mts_report_text_esc(FILE *out, const char *s, size_t len,
                                 int quote);

/*! For other text writers: the "Findings" section of a block, as the
 *  domain check writes it (a count line, then each finding worst first
 *  with its subject and fix), its label in the caller's label column of
 *  \p label_w display columns (0: the default, 16).
 *  \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_text_findings_write(FILE *out,
                                            const struct mts_findings *list,
                                            const struct mts_text_opts *opts,
                                            size_t label_w);

/* ---- plan (issue 13, rollout.md R193) ------------------------------------ */

/*! `mtasts-check plan`, text: the live check's block (as
 *  mts_report_text_write), then the records as single copyable zone-file
 *  lines, the policy body, the numbered steps with their UTC dates and the
 *  readiness verdict with its blockers.
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_text_plan_write(FILE *out, const struct mts_plan *p,
                                        const struct mts_result *r,
                                        const struct mts_text_opts *opts);

/*! `mtasts-check plan`, JSON: one object, one line,
 *  {"schema_version":1,"kind":"plan",...,"check":{the check's object}}
 *  (R193; "check" is exactly what mts_report_json_write writes for \p r).
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_json_plan_write(FILE *out, const struct mts_plan *p,
                                        const struct mts_result *r);

/* ---- jsonw --------------------------------------------------------------- */

/* A JSON Lines writer: one object written straight into a buffer, member
 * by member, then written out with its '\n' in one fwrite. The bytes are
 * those of src/report_json.c (cJSON_PrintUnformatted's): no spaces; '"',
 * '\\' and control characters escaped as cJSON does; every byte that is not
 * part of well-formed UTF-8, and NUL, becomes U+FFFD (docs/json.md). Keys
 * are escaped like values, so they may come from input too.
 *
 * Errors are sticky: out of memory (or nesting beyond MTS_JW_DEPTH) is
 * reported once, by mts_jw_finish. */

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
