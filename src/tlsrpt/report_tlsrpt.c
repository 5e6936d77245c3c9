#include "mtasts/tlsrpt.h"

#include <stdarg.h>
#include <string.h>

#include "mtasts/i18n.h"
#include "mtasts/msg.h"
#include "mtasts/output.h"

/* The output of `mtasts-check report` (docs/reports.md, docs/json.md).
 *
 * JSON: one line per report (contract.md "TLS-RPT aggregate reports", the
 * members in the contract's order, "message_id" added after "source") and
 * one line per --summary group. Text: one block per report, shaped like
 * the domain check's block, and a table for --summary. Every string from
 * the input goes through mts_report_text_esc (report_text.c), so no
 * terminal control sequence can pass; colour sequences are our own. */

#define LABEL_WIDTH 16
#define UNKNOWN_NAME "(unknown)"
/* Grouping failures under their result type costs types x failures
 * comparisons; beyond this, hostile input is listed as it comes. */
#define GROUP_MAX_WORK 1000000u

/* ---- shared ----------------------------------------------------------- */

int
mts_rpt_view_valid(const struct mts_rpt_view *v)
{
  return v->r != NULL && v->r->valid;
}

void
mts_rpt_rate_str(uint64_t successful, uint64_t failed, char *rate,
                 size_t rate_size, char *pct, size_t pct_size)
{
  double sessions = (double)successful + (double)failed;
  double r;

  if (successful == 0 && failed == 0) {
    snprintf(rate, rate_size, "null");
    snprintf(pct, pct_size, "null");
    return;
  }
  r = (double)failed / sessions;
  snprintf(rate, rate_size, "%.4f", r);
  snprintf(pct, pct_size, "%.2f", r * 100.0);
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- JSON ------------------------------------------------------------- */

/* Most reports fit. */
#define JW_STACK 8192

static void
json_policy(struct mts_jw *w, const struct mts_rpt_policy *p)
{
  mts_jw_open(w, NULL, '{');
  mts_jw_str(w, "policy_type", p->policy_type);
  mts_jw_str(w, "policy_domain", p->policy_domain);
  mts_jw_str(w, "mode", p->mode);
  mts_jw_strv(w, "policy_string", p->policy_string, p->n_policy_string,
              !p->has_policy_string);
  mts_jw_strv(w, "mx_host", p->mx_host, p->n_mx_host, !p->has_mx_host);
  mts_jw_u64(w, "successful", p->successful);
  mts_jw_u64(w, "failed", p->failed);
  mts_jw_open(w, "failures_by_result_type", '{');
  for (size_t i = 0; i < p->n_by_result_type; i++) {
    const char *rt = p->by_result_type[i].result_type;
    mts_jw_u64(w, rt != NULL ? rt : UNKNOWN_NAME, p->by_result_type[i].count);
  }
  mts_jw_close(w, '}');
  mts_jw_open(w, "failures", '[');
  for (size_t i = 0; i < p->n_failures; i++) {
    const struct mts_rpt_failure *f = &p->failures[i];

    mts_jw_open(w, NULL, '{');
    mts_jw_str(w, "result_type", f->result_type);
    mts_jw_str(w, "sending_mta_ip", f->sending_mta_ip);
    mts_jw_str(w, "receiving_mx_hostname", f->receiving_mx_hostname);
    mts_jw_str(w, "receiving_ip", f->receiving_ip);
    mts_jw_u64(w, "failed_session_count", f->count);
    mts_jw_str(w, "failure_reason_code", f->failure_reason_code);
    /* Additions (CHANGELOG): the optional fields of RFC 8460 §4.4. */
    mts_jw_str(w, "receiving_mx_helo", f->receiving_mx_helo);
    mts_jw_str(w, "additional_information", f->additional_information);
    mts_jw_close(w, '}');
  }
  mts_jw_close(w, ']');
  /* issue 11: the index of the policy that describes the same sessions. */
  if (p->same_sessions_as > 0) {
    mts_jw_u64(w, "same_sessions_as", p->same_sessions_as - 1);
  } else {
    mts_jw_null(w, "same_sessions_as");
  }
  mts_jw_close(w, '}');
}

enum mts_err
mts_report_tlsrpt_json_write(FILE *out, const struct mts_rpt_view *v)
{
  char stack[JW_STACK];
  const struct mts_rpt *r = v->r;
  int valid = mts_rpt_view_valid(v);
  struct mts_jw w;
  enum mts_err err;

  mts_jw_init(&w, stack, sizeof(stack));
  mts_jw_open(&w, NULL, '{');
  mts_jw_u64(&w, "schema_version", 1);
  mts_jw_str(&w, "kind", "tlsrpt-report");
  mts_jw_str(&w, "source", v->source);
  mts_jw_str(&w, "message_id", v->message_id);
  mts_jw_str(&w, "status", valid ? "valid" : "invalid");
  mts_jw_str(&w, "organization", r ? r->organization : NULL);
  mts_jw_str(&w, "report_id", r ? r->report_id : NULL);
  mts_jw_str(&w, "contact_info", r ? r->contact_info : NULL);
  if (r == NULL || (r->start == NULL && r->end == NULL)) {
    mts_jw_null(&w, "date_range");
  } else {
    mts_jw_open(&w, "date_range", '{');
    mts_jw_str(&w, "start", r->start);
    mts_jw_str(&w, "end", r->end);
    mts_jw_close(&w, '}');
  }
  mts_jw_open(&w, "policies", '[');
  for (size_t i = 0; valid && i < r->n_policies; i++) {
    json_policy(&w, &r->policies[i]);
  }
  mts_jw_close(&w, ']');
  if (valid) {
    mts_jw_u64(&w, "total_successful", r->total_successful);
    mts_jw_u64(&w, "total_failed", r->total_failed);
  } else {
    mts_jw_null(&w, "total_successful");
    mts_jw_null(&w, "total_failed");
  }
  mts_jw_findings(&w, v->findings);
  mts_jw_close(&w, '}');
  err = mts_jw_finish(&w, out);
  mts_jw_release(&w);
  return err;
}

enum mts_err
mts_report_tlsrpt_summary_json_write(FILE *out, const struct mts_rpt_day *d)
{
  char stack[JW_STACK];
  char day[16], rate[32], pct[32];
  struct mts_jw w;
  enum mts_err err;

  mts_rpt_rate_str(d->successful, d->failed, rate, sizeof(rate), pct,
                   sizeof(pct));
  mts_jw_init(&w, stack, sizeof(stack));
  mts_jw_open(&w, NULL, '{');
  mts_jw_u64(&w, "schema_version", 1);
  mts_jw_str(&w, "kind", "tlsrpt-summary");
  mts_jw_str(&w, "policy_domain", d->policy_domain);
  mts_jw_str(&w, "day", mts_rpt_day_str(d->day, day, sizeof(day)));
  mts_jw_u64(&w, "reports", d->reports);
  mts_jw_u64(&w, "sessions", add_sat(d->successful, d->failed));
  mts_jw_u64(&w, "successful", d->successful);
  mts_jw_u64(&w, "failed", d->failed);
  mts_jw_number(&w, "failure_rate", rate);
  mts_jw_number(&w, "failure_percent", pct);
  mts_jw_open(&w, "failures_by_result_type", '{');
  for (size_t i = 0; i < d->n_by_result_type; i++) {
    mts_jw_u64(&w, d->by_result_type[i].name, d->by_result_type[i].failed);
  }
  mts_jw_close(&w, '}');
  mts_jw_open(&w, "by_organization", '{');
  for (size_t i = 0; i < d->n_by_organization; i++) {
    const struct mts_rpt_count *o = &d->by_organization[i];

    mts_jw_open(&w, o->name, '{');
    mts_jw_u64(&w, "reports", o->reports);
    mts_jw_u64(&w, "successful", o->successful);
    mts_jw_u64(&w, "failed", o->failed);
    mts_jw_close(&w, '}');
  }
  mts_jw_close(&w, '}');
  mts_jw_open(&w, "failures_by_mx_host", '{');
  for (size_t i = 0; i < d->n_by_mx_host; i++) {
    mts_jw_u64(&w, d->by_mx_host[i].name, d->by_mx_host[i].failed);
  }
  mts_jw_close(&w, '}');
  /* issue 11: sts and tlsa policies of the same sessions, counted once. */
  mts_jw_u64(&w, "sts_tlsa_counted_once", d->counted_once);
  mts_jw_close(&w, '}');
  err = mts_jw_finish(&w, out);
  mts_jw_release(&w);
  return err;
}

/* ---- text ------------------------------------------------------------- */

struct ctx {
  FILE *f;
  int color;
  int failed;
  size_t label_w; /* the label column, in display columns (0: LABEL_WIDTH) */
};

static void
out_s(struct ctx *c, const char *s)
{
  size_t len = strlen(s);

  if (!c->failed && len > 0 && fwrite(s, 1, len, c->f) != len) {
    c->failed = 1;
  }
}

static void out_f(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_f(struct ctx *c, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  if (!c->failed && vfprintf(c->f, fmt, ap) < 0) {
    c->failed = 1;
  }
  va_end(ap);
}

/* Input bytes, escaped; NULL as \p absent (our own text). */
static void
put_str(struct ctx *c, const char *s, const char *absent)
{
  if (s == NULL) {
    out_s(c, absent);
    return;
  }
  if (!c->failed && mts_report_text_esc(c->f, s, strlen(s), 0) != MTS_OK) {
    c->failed = 1;
  }
}

enum tone { TONE_NONE = 0, TONE_GOOD, TONE_WARN, TONE_BAD };

static void
put_word(struct ctx *c, enum tone t, const char *word)
{
  static const char *const sgr[] = {
      [TONE_NONE] = "",
      [TONE_GOOD] = "\033[32m",
      [TONE_WARN] = "\033[33m",
      [TONE_BAD] = "\033[31m",
  };
  int on = c->color && t != TONE_NONE;

  if (on) {
    out_s(c, sgr[t]);
  }
  out_s(c, word);
  if (on) {
    out_s(c, "\033[0m");
  }
}

static void
put_spaces(struct ctx *c, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    out_s(c, " ");
  }
}

/* Our own text (a translated word) in a cell of \p width display columns,
 * left- or right-aligned. */
static void
put_cell(struct ctx *c, const char *s, size_t width, int right)
{
  size_t w = mts_text_width(s);

  if (right && w < width) {
    put_spaces(c, width - w);
  }
  out_s(c, s);
  if (!right && w < width) {
    put_spaces(c, width - w);
  }
}

static void
put_label(struct ctx *c, const char *label)
{
  size_t w = mts_text_width(label), lw = c->label_w ? c->label_w : LABEL_WIDTH;

  out_s(c, "  ");
  put_cell(c, label, lw, 0);
  if (w >= lw) {
    out_s(c, " ");
  }
}

/* The labels of a report block, translated: the label column is as wide
 * as the widest of them plus two (LABEL_WIDTH at least), so that values
 * stay aligned in any language (as report_text.c does for a domain). */
static size_t
label_width(void)
{
  const char *labels[] = {
      _("Organization"),      _("Report-ID"), _("Contact"), _("Date range"),
      C_("report", "Policy"), _("Sessions"),  _("Findings")};
  size_t w = LABEL_WIDTH;

  for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
    size_t lw = mts_text_width(labels[i]) + 2;
    w = lw > w ? lw : w;
  }
  return w;
}

/* " (0.67% failed)", or nothing without sessions. */
static void
put_rate(struct ctx *c, uint64_t successful, uint64_t failed)
{
  char rate[32], pct[32];

  mts_rpt_rate_str(successful, failed, rate, sizeof(rate), pct, sizeof(pct));
  if (strcmp(pct, "null") != 0) {
    out_f(c, _(" (%s%% failed)"), pct);
  }
}

static void
put_sessions(struct ctx *c, uint64_t successful, uint64_t failed)
{
  char n[48];

  snprintf(n, sizeof(n), _("%llu failed"), (unsigned long long)failed);
  out_f(c, _("%llu successful, "), (unsigned long long)successful);
  put_word(c, failed > 0 ? TONE_WARN : TONE_NONE, n);
  put_rate(c, successful, failed);
}

/* One failure-details entry on its own line. */
static void
put_failure(struct ctx *c, const struct mts_rpt_failure *f, int with_type)
{
  put_label(c, "");
  out_s(c, "  ");
  if (with_type) {
    put_str(c, f->result_type, _("(no result-type)"));
    out_s(c, ": ");
  }
  put_str(c, f->receiving_mx_hostname, _("(MX not given)"));
  out_s(c, " [");
  put_str(c, f->receiving_ip, _("IP not given"));
  if (f->receiving_ip != NULL && f->receiving_ip[0] == '\0') {
    out_s(c, _("IP empty"));
  }
  out_s(c, "]: ");
  out_f(c, _("%llu failed"), (unsigned long long)f->count);
  if (f->sending_mta_ip != NULL) {
    out_s(c, _(", sending MTA "));
    put_str(c, f->sending_mta_ip, "");
  }
  if (f->failure_reason_code != NULL) {
    out_s(c, _(", reason "));
    put_str(c, f->failure_reason_code, "");
  }
  out_s(c, "\n");
}

static int
same(const char *a, const char *b)
{
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void
put_policy(struct ctx *c, const struct mts_rpt *r,
           const struct mts_rpt_policy *p)
{
  int grouped = p->n_by_result_type == 0 ||
                p->n_failures <= GROUP_MAX_WORK / p->n_by_result_type;

  put_label(c, C_("report", "Policy"));
  put_str(c, p->policy_type, _("(no type)"));
  out_s(c, " ");
  put_str(c, p->policy_domain, _("(no domain)"));
  if (p->mode != NULL) {
    out_s(c, _(", mode "));
    put_str(c, p->mode, "");
  }
  out_s(c, "\n");
  if (p->has_mx_host && p->n_mx_host > 0) {
    put_label(c, "");
    out_s(c, "mx: ");
    for (size_t i = 0; i < p->n_mx_host; i++) {
      out_s(c, i > 0 ? ", " : "");
      put_str(c, p->mx_host[i], "");
    }
    out_s(c, "\n");
  }
  put_label(c, "");
  out_s(c, _("sessions: "));
  put_sessions(c, p->successful, p->failed);
  out_s(c, "\n");
  if (p->same_sessions_as > 0 && p->same_sessions_as <= r->n_policies) {
    const char *type = r->policies[p->same_sessions_as - 1].policy_type;
    struct mts_shown shown;
    put_label(c, "");
    if (type != NULL) {
      out_f(c, _("the same sessions as the %s policy: counted once"),
            mts_show(&shown, type, strlen(type)));
    } else {
      out_s(c, _("the same sessions as the other policy: counted once"));
    }
    out_s(c, "\n");
  }
  if (!grouped) {
    for (size_t i = 0; i < p->n_failures; i++) {
      put_failure(c, &p->failures[i], 1);
    }
    return;
  }
  for (size_t k = 0; k < p->n_by_result_type; k++) {
    const char *rt = p->by_result_type[k].result_type;

    put_label(c, "");
    put_str(c, rt, _("(no result-type)"));
    out_f(c, ": %llu\n", (unsigned long long)p->by_result_type[k].count);
    for (size_t i = 0; i < p->n_failures; i++) {
      if (same(p->failures[i].result_type, rt)) {
        put_failure(c, &p->failures[i], 0);
      }
    }
  }
  /* Entries whose result-type was missing or not a string. */
  for (size_t i = 0; i < p->n_failures; i++) {
    if (p->failures[i].result_type == NULL) {
      put_failure(c, &p->failures[i], 1);
    }
  }
}

enum mts_err
mts_report_tlsrpt_text_write(FILE *out, const struct mts_rpt_view *v,
                             const struct mts_text_opts *opts)
{
  struct ctx c = {out, opts != NULL && opts->color, 0, label_width()};
  const struct mts_rpt *r = v->r;
  int valid = mts_rpt_view_valid(v);

  put_str(&c, v->source, "-");
  out_s(&c, ": ");
  put_word(&c, valid ? TONE_GOOD : TONE_BAD, valid ? _("VALID") : _("INVALID"));
  out_s(&c, "\n");
  if (r != NULL && (valid || r->organization != NULL)) {
    put_label(&c, _("Organization"));
    put_str(&c, r->organization, _("(not given)"));
    out_s(&c, "\n");
  }
  if (r != NULL && (valid || r->report_id != NULL)) {
    put_label(&c, _("Report-ID"));
    put_str(&c, r->report_id, _("(not given)"));
    out_s(&c, "\n");
  }
  if (r != NULL && r->contact_info != NULL) {
    put_label(&c, _("Contact"));
    put_str(&c, r->contact_info, "");
    out_s(&c, "\n");
  }
  if (r != NULL && (r->start != NULL || r->end != NULL)) {
    put_label(&c, _("Date range"));
    put_str(&c, r->start, "?");
    out_s(&c, _(" to "));
    put_str(&c, r->end, "?");
    out_s(&c, "\n");
  }
  for (size_t i = 0; valid && i < r->n_policies; i++) {
    put_policy(&c, r, &r->policies[i]);
  }
  if (valid) {
    put_label(&c, _("Sessions"));
    put_sessions(&c, r->total_successful, r->total_failed);
    out_s(&c, "\n");
  }
  /* "Findings" in the same label column as the labels above. */
  if (!c.failed && v->findings != NULL &&
      mts_report_text_findings_write(out, v->findings, opts, c.label_w) !=
          MTS_OK) {
    c.failed = 1;
  }
  if (v->findings == NULL) {
    put_label(&c, _("Findings"));
    out_s(&c, _("none"));
    out_s(&c, "\n");
  }
  out_s(&c, "\n");
  return c.failed || ferror(out) ? MTS_EIO : MTS_OK;
}

/* The columns put_str takes for s (as mts_report_text_esc writes it). */
static size_t
esc_width(const char *s)
{
  size_t w = 0;

  if (s == NULL) {
    return strlen(UNKNOWN_NAME);
  }
  for (; *s != '\0'; s++) {
    unsigned char b = (unsigned char)*s;
    w += b == '\\' ? 2 : (b >= 0x20 && b <= 0x7e) ? 1 : 4;
  }
  return w;
}

static void
put_padded(struct ctx *c, const char *s, size_t width)
{
  size_t w = esc_width(s);

  put_str(c, s, UNKNOWN_NAME);
  for (; w < width; w++) {
    out_s(c, " ");
  }
}

/* One table of a group, a row a line: "name  figures". */
static void
put_counts(struct ctx *c, const char *what, const struct mts_rpt_count *v,
           size_t n, int org)
{
  size_t width = 0;

  if (n == 0) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    size_t w = esc_width(v[i].name);
    width = w > width ? (w > 40 ? 40 : w) : width;
  }
  out_f(c, "      %s\n", what); /* translated by the caller */
  for (size_t i = 0; i < n; i++) {
    out_s(c, "        ");
    put_padded(c, v[i].name, width);
    if (org) {
      out_s(c, "  ");
      out_f(c,
            P_("%llu report, %llu of %llu sessions failed",
               "%llu reports, %llu of %llu sessions failed",
               (unsigned long)v[i].reports),
            (unsigned long long)v[i].reports, (unsigned long long)v[i].failed,
            (unsigned long long)add_sat(v[i].successful, v[i].failed));
      out_s(c, "\n");
    } else {
      out_f(c, "  %llu\n", (unsigned long long)v[i].failed);
    }
  }
}

/* The FAILED% cell, coloured by the verdict. */
static void
put_pct_cell(struct ctx *c, uint64_t successful, uint64_t failed, int over)
{
  char rate[32], pct[32], cell[40];

  mts_rpt_rate_str(successful, failed, rate, sizeof(rate), pct, sizeof(pct));
  if (strcmp(pct, "null") == 0) {
    out_f(c, "%7s", "-");
    return;
  }
  snprintf(cell, sizeof(cell), "%6s%%", pct);
  put_word(c, over ? TONE_BAD : failed > 0 ? TONE_WARN : TONE_GOOD, cell);
}

static int
same_domain(const char *a, const char *b)
{
  return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Per policy domain over all its days: the figures the exit code uses. */
static void
put_domains(struct ctx *c, const struct mts_rpt_day *days, size_t n,
            size_t width, double threshold_pct)
{
  out_s(c, "\n  ");
  put_cell(c, _("DOMAIN (ALL DAYS)"), width, 0);
  out_s(c, "  ");
  put_cell(c, _("REPORTS"), 7, 1);
  out_s(c, "  ");
  put_cell(c, _("SESSIONS"), 10, 1);
  out_s(c, "  ");
  put_cell(c, _("FAILED"), 10, 1);
  out_s(c, "  ");
  put_cell(c, _("FAILED%"), 7, 1);
  out_s(c, "\n");
  for (size_t i = 0; i < n;) {
    uint64_t reports = 0, ok = 0, failed = 0;
    size_t j = i;
    int over;

    for (; j < n && same_domain(days[j].policy_domain, days[i].policy_domain);
         j++) {
      reports = add_sat(reports, days[j].reports);
      ok = add_sat(ok, days[j].successful);
      failed = add_sat(failed, days[j].failed);
    }
    over = mts_rpt_rate_over(ok, failed, threshold_pct);
    out_s(c, "  ");
    put_padded(c, days[i].policy_domain, width);
    out_f(c, "  %7llu  %10llu  %10llu  ", (unsigned long long)reports,
          (unsigned long long)add_sat(ok, failed), (unsigned long long)failed);
    put_pct_cell(c, ok, failed, over);
    if (over) {
      out_s(c, "  ");
      out_s(c, _("at or above the threshold"));
    }
    out_s(c, "\n");
    i = j;
  }
}

enum mts_err
mts_report_tlsrpt_summary_text_write(FILE *out, const struct mts_rpt_day *days,
                                     size_t n, double threshold_pct,
                                     const struct mts_text_opts *opts)
{
  struct ctx c = {out, opts != NULL && opts->color, 0, 0};
  size_t width = mts_text_width(_("DOMAIN (ALL DAYS)"));

  for (size_t i = 0; i < n; i++) {
    size_t w = esc_width(days[i].policy_domain);
    if (w > width) {
      width = w > 60 ? 60 : w;
    }
  }
  out_f(&c, _("Summary (fail threshold %g%%)"), threshold_pct);
  out_s(&c, "\n");
  if (n == 0) {
    out_s(&c, "  ");
    out_s(&c, _("no valid report"));
    out_s(&c, "\n\n");
    return c.failed || ferror(out) ? MTS_EIO : MTS_OK;
  }
  out_s(&c, "  ");
  put_cell(&c, _("DOMAIN"), width, 0);
  out_s(&c, "  ");
  put_cell(&c, _("DAY"), 10, 0);
  out_s(&c, "  ");
  put_cell(&c, _("REPORTS"), 7, 1);
  out_s(&c, "  ");
  put_cell(&c, _("SESSIONS"), 10, 1);
  out_s(&c, "  ");
  put_cell(&c, _("FAILED"), 10, 1);
  out_s(&c, "  ");
  put_cell(&c, _("FAILED%"), 7, 1);
  out_s(&c, "\n");
  for (size_t i = 0; i < n; i++) {
    const struct mts_rpt_day *d = &days[i];
    char day[16];

    out_s(&c, "  ");
    put_padded(&c, d->policy_domain, width);
    out_f(&c, "  %-10s  %7llu  %10llu  %10llu  ",
          mts_rpt_day_str(d->day, day, sizeof(day)) ? day : _("(unknown)"),
          (unsigned long long)d->reports,
          (unsigned long long)add_sat(d->successful, d->failed),
          (unsigned long long)d->failed);
    put_pct_cell(&c, d->successful, d->failed, 0);
    out_s(&c, "\n");
    if (d->counted_once > 0) {
      out_s(&c, "      ");
      out_f(&c,
            P_("sessions counted once: %llu pair of an sts and a tlsa "
               "policy of the same sessions",
               "sessions counted once: %llu pairs of an sts and a tlsa "
               "policy of the same sessions",
               (unsigned long)d->counted_once),
            (unsigned long long)d->counted_once);
      out_s(&c, "\n");
    }
    put_counts(&c, _("by organization"), d->by_organization,
               d->n_by_organization, 1);
    put_counts(&c, _("failures by result type"), d->by_result_type,
               d->n_by_result_type, 0);
    put_counts(&c, _("failures by MX host"), d->by_mx_host, d->n_by_mx_host, 0);
  }
  put_domains(&c, days, n, width, threshold_pct);
  out_s(&c, "\n");
  return c.failed || ferror(out) ? MTS_EIO : MTS_OK;
}

enum mts_err
mts_report_tlsrpt_tally_text_write(FILE *out, const struct mts_rpt_tally *t)
{
  struct ctx c = {out, 0, 0, 0};
  unsigned long long reports = t->reports, valid = t->reports - t->invalid,
                     invalid = t->invalid, failed = t->failed,
                     problems = t->problems;
  unsigned long n = (unsigned long)t->reports;
  char dup[64] = "";

  if (t->duplicates > 0) {
    (void)snprintf(dup, sizeof(dup),
                   /* TRANSLATORS: the %s after "valid" in the totals. */
                   P_(" (%llu duplicate)", " (%llu duplicates)",
                      (unsigned long)t->duplicates),
                   (unsigned long long)t->duplicates);
  }
  /* One whole line per case, so that a language joins its parts its own
   * way. */
  if (t->failed > 0 && t->problems > 0) {
    out_f(&c,
          /* TRANSLATORS: %s is " (%llu duplicates)" or nothing. */
          P_("%llu report: %llu valid%s, %llu invalid; %llu with failed "
             "sessions, %llu with warnings or envelope errors",
             "%llu reports: %llu valid%s, %llu invalid; %llu with failed "
             "sessions, %llu with warnings or envelope errors",
             n),
          reports, valid, dup, invalid, failed, problems);
  } else if (t->failed > 0) {
    out_f(&c,
          /* TRANSLATORS: %s is " (%llu duplicates)" or nothing. */
          P_("%llu report: %llu valid%s, %llu invalid; %llu with failed "
             "sessions",
             "%llu reports: %llu valid%s, %llu invalid; %llu with failed "
             "sessions",
             n),
          reports, valid, dup, invalid, failed);
  } else if (t->problems > 0) {
    out_f(&c,
          /* TRANSLATORS: %s is " (%llu duplicates)" or nothing. */
          P_("%llu report: %llu valid%s, %llu invalid; %llu with warnings "
             "or envelope errors",
             "%llu reports: %llu valid%s, %llu invalid; %llu with warnings "
             "or envelope errors",
             n),
          reports, valid, dup, invalid, problems);
  } else {
    out_f(&c,
          /* TRANSLATORS: %s is " (%llu duplicates)" or nothing. */
          P_("%llu report: %llu valid%s, %llu invalid",
             "%llu reports: %llu valid%s, %llu invalid", n),
          reports, valid, dup, invalid);
  }
  out_s(&c, "\n");
  return c.failed || ferror(out) ? MTS_EIO : MTS_OK;
}
