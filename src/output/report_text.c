#include "mtasts/output.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "mtasts/utf8.h"

/* The human-readable block for one domain (docs/mtasts-check.1, OUTPUT):
 * a headline "domain: STATUS", one labelled section per check with
 * continuation lines aligned under the values, then the findings, worst
 * first, each with its fix. Example:
 *
 *   example.com: WARNING
 *     MTA-STS record  valid, id 20190425085700 (2019-04-25 08:57:00 UTC)
 *                     "v=STSv1; id=20190425085700"
 *     Policy          not-checked
 *     MX hosts        coverage not evaluated
 *                     10 mx1.example.com
 *     TLS-RPT record  missing
 *     Findings        1 warning
 *       WARNING  TLSRPT_RECORD_MISSING (RFC 8460 section 3)
 *                No TLS-RPT record at _smtp._tls.example.com.
 *                fix: Publish a TXT record at _smtp._tls.<domain>, ...
 *
 * Every string that may come from the network or the user goes through
 * put_esc(): bytes outside 0x20..0x7e become \xHH and '\' becomes "\\",
 * so no terminal control sequence can pass. Colour sequences are written
 * only by put_word(), and only when asked for. The output is ASCII except
 * for the Unicode form of an IDN (put_rfc spells "\xc2\xa7" as "section"). */

#define LABEL_WIDTH 16
#define FINDING_COL 13
#define FIX_COL (FINDING_COL + 5)
#define WRAP_COL 79

enum tone {
  TONE_NONE = 0,
  TONE_GOOD,    /* green: ok, valid, covered */
  TONE_WARN,    /* yellow: warning */
  TONE_BAD,     /* red: error, invalid, missing, unreachable */
  TONE_UNKNOWN, /* magenta: unknown */
  TONE_INFO,    /* cyan: info */
};

enum esc_flags {
  ESC_QUOTE = 1, /* wrap in double quotes; '"' becomes \" */
  ESC_UTF8 = 2,  /* let printable UTF-8 through (our own IDNA output) */
};

struct ctx {
  FILE *f;
  int color;
  int failed; /* a write failed: stop writing, report MTS_EIO */
};

/* The only functions that write to the stream. */
static void
out_n(struct ctx *c, const char *s, size_t len)
{
  if (!c->failed && len > 0 && fwrite(s, 1, len, c->f) != len) {
    c->failed = 1;
  }
}

static void
out_s(struct ctx *c, const char *s)
{
  out_n(c, s, strlen(s));
}

static void
out_c(struct ctx *c, int ch)
{
  char b = (char)ch;

  out_n(c, &b, 1);
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

/* Return the length of a well-formed UTF-8 sequence of 2 to 4 bytes at s
 * that encodes a printable character, or 0. Rejected: malformed sequences
 * (overlong, surrogates, above U+10FFFF), C1 controls, and invisible
 * formatting characters that could reorder or hide text (bidi controls,
 * zero-width characters, line/paragraph separators, BOM, annotations). */
static size_t
utf8_printable_len(const unsigned char *s, size_t avail)
{
  size_t need = mts_utf8_seq_len(s, avail);
  unsigned long cp;

  if (need < 2) {
    return 0;
  }
  cp = mts_utf8_decode(s, need);
  if (cp < 0xa0 || cp == 0xad || (cp >= 0x200b && cp <= 0x200f) ||
      (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
      cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb)) {
    return 0;
  }
  return need;
}

/* Write s[0..len) so that it is safe on a terminal: printable ASCII as is,
 * '\' as "\\", every other byte as \xHH (see enum esc_flags). */
static void
put_esc(struct ctx *c, const char *s, size_t len, unsigned flags)
{
  const unsigned char *p = (const unsigned char *)s;

  if (flags & ESC_QUOTE) {
    out_c(c, '"');
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char b = p[i];
    size_t n;

    if (b == '\\' || (b == '"' && (flags & ESC_QUOTE))) {
      out_c(c, '\\');
      out_c(c, b);
    } else if (b >= 0x20 && b <= 0x7e) {
      out_c(c, b);
    } else if ((flags & ESC_UTF8) &&
               (n = utf8_printable_len(p + i, len - i)) > 0) {
      out_n(c, (const char *)(p + i), n);
      i += n - 1;
    } else {
      out_f(c, "\\x%02x", (unsigned)b);
    }
  }
  if (flags & ESC_QUOTE) {
    out_c(c, '"');
  }
}

/* A NUL-terminated string through put_esc; NULL prints as "?". */
static void
put_str(struct ctx *c, const char *s, unsigned flags)
{
  if (s == NULL) {
    s = "?";
  }
  put_esc(c, s, strlen(s), flags);
}

/* A status word or severity tag, coloured when colour is on. */
static void
put_word(struct ctx *c, enum tone t, const char *word)
{
  static const char *const sgr[] = {
      [TONE_NONE] = "",
      [TONE_GOOD] = "\033[32m",
      [TONE_WARN] = "\033[33m",
      [TONE_BAD] = "\033[31m",
      [TONE_UNKNOWN] = "\033[35m",
      [TONE_INFO] = "\033[36m",
  };
  int on = c->color && t != TONE_NONE;

  if (on) {
    out_s(c, sgr[t]);
  }
  put_str(c, word, 0);
  if (on) {
    out_s(c, "\033[0m");
  }
}

static void
put_spaces(struct ctx *c, int n)
{
  for (int i = 0; i < n; i++) {
    out_c(c, ' ');
  }
}

/* "  Label           " at the start of a line; an empty label continues
 * the previous item. */
static void
put_label(struct ctx *c, const char *label)
{
  out_f(c, "  %-*s", LABEL_WIDTH, label);
}

/* An RFC reference, with "§" spelt "section " to keep the output ASCII. */
static void
put_rfc(struct ctx *c, const char *rfc)
{
  static const char sect[] = "\xc2\xa7";
  const char *p;

  while ((p = strstr(rfc, sect)) != NULL) {
    put_esc(c, rfc, (size_t)(p - rfc), 0);
    out_s(c, "section ");
    rfc = p + strlen(sect);
  }
  put_str(c, rfc, 0);
}

/* The number of columns put_esc(s, len, 0) takes. */
static size_t
esc_width(const char *s, size_t len)
{
  size_t w = 0;

  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)s[i];

    w += b == '\\' ? 2 : (b >= 0x20 && b <= 0x7e) ? 1 : 4;
  }
  return w;
}

/* Write text (escaped) from column col, continuing at column indent: a
 * single space before a word that would reach WRAP_COL becomes a line
 * break. Runs of several spaces are never broken, so apart from those
 * line breaks the bytes are shown exactly. */
static void
put_wrapped(struct ctx *c, const char *text, int col, int indent)
{
  size_t len = strlen(text), i = 0;
  size_t pos = (size_t)col;

  while (i < len) {
    size_t sp = i, end;

    while (i < len && text[i] == ' ') {
      i++;
    }
    end = i;
    while (end < len && text[end] != ' ') {
      end++;
    }
    /* text[sp..i) is spaces, text[i..end) a word (empty at the end). */
    if (i - sp == 1 && end > i && pos > (size_t)indent &&
        pos + 1 + esc_width(text + i, end - i) > WRAP_COL) {
      out_c(c, '\n');
      put_spaces(c, indent);
      pos = (size_t)indent;
    } else {
      put_esc(c, text + sp, i - sp, 0);
      pos += i - sp;
    }
    put_esc(c, text + i, end - i, 0);
    pos += esc_width(text + i, end - i);
    i = end;
  }
}

static enum tone
status_tone(enum mts_status st)
{
  switch (st) {
    case MTS_STATUS_OK:
      return TONE_GOOD;
    case MTS_STATUS_WARNING:
      return TONE_WARN;
    case MTS_STATUS_ERROR:
      return TONE_BAD;
    case MTS_STATUS_UNKNOWN:
      return TONE_UNKNOWN;
  }
  return TONE_UNKNOWN;
}

static const char *
status_word(enum mts_status st)
{
  switch (st) {
    case MTS_STATUS_OK:
      return "OK";
    case MTS_STATUS_WARNING:
      return "WARNING";
    case MTS_STATUS_ERROR:
      return "ERROR";
    case MTS_STATUS_UNKNOWN:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

static enum tone
severity_tone(enum mts_severity sev)
{
  switch (sev) {
    case MTS_SEV_INFO:
      return TONE_INFO;
    case MTS_SEV_WARNING:
      return TONE_WARN;
    case MTS_SEV_ERROR:
      return TONE_BAD;
  }
  return TONE_BAD;
}

static const char *
severity_tag(enum mts_severity sev)
{
  switch (sev) {
    case MTS_SEV_INFO:
      return "INFO";
    case MTS_SEV_WARNING:
      return "WARNING";
    case MTS_SEV_ERROR:
      return "ERROR";
  }
  return "ERROR";
}

/* A missing TLS-RPT record is a warning, a missing STS record an error. */
static enum tone
record_tone(enum mts_record_status st, enum tone missing)
{
  switch (st) {
    case MTS_REC_VALID:
      return TONE_GOOD;
    case MTS_REC_INVALID:
      return TONE_BAD;
    case MTS_REC_MISSING:
      return missing;
    case MTS_REC_UNKNOWN:
      return TONE_UNKNOWN;
  }
  return TONE_UNKNOWN;
}

static enum tone
policy_tone(enum mts_policy_status st)
{
  switch (st) {
    case MTS_POLICY_NOT_CHECKED:
      return TONE_NONE;
    case MTS_POLICY_VALID:
      return TONE_GOOD;
    case MTS_POLICY_INVALID:
    case MTS_POLICY_UNREACHABLE:
      return TONE_BAD;
  }
  return TONE_NONE;
}

/* ", " separated list of strings on a continuation line. */
static void
put_list(struct ctx *c, const char *what, char *const *v, size_t n)
{
  put_label(c, "");
  out_f(c, "%s: ", what);
  for (size_t i = 0; i < n; i++) {
    if (i > 0) {
      out_s(c, ", ");
    }
    put_str(c, v[i], 0);
  }
  out_c(c, '\n');
}

/* A DNS policy record: status, id (with its date), TTL, then the TXT
 * records found at the name, quoted, one per line. */
static void
put_record(struct ctx *c, const char *label, const struct mts_record_view *rec,
           enum tone missing, const char *id)
{
  put_label(c, label);
  put_word(c, record_tone(rec->status, missing),
           mts_record_status_str(rec->status));
  if (rec->status == MTS_REC_UNKNOWN) {
    out_s(c, rec->name != NULL ? " (lookup failed)" : " (not looked up)");
  }
  if (id != NULL) {
    char date[64];

    out_s(c, ", id ");
    put_str(c, id, 0);
    if (mts_sts_id_as_date(id, date, sizeof(date)) == 1) {
      out_s(c, " (");
      put_str(c, date, 0);
      out_c(c, ')');
    }
  }
  if (rec->ttl >= 0) {
    out_f(c, ", TTL %ld", rec->ttl);
  }
  out_c(c, '\n');
  for (size_t i = 0; i < rec->n_txt; i++) {
    put_label(c, "");
    put_esc(c, rec->txt[i].data, rec->txt[i].len, ESC_QUOTE);
    out_c(c, '\n');
  }
}

/* " (7 days)" for a duration in seconds of an hour or more. */
static void
put_duration(struct ctx *c, long s)
{
  static const struct {
    long secs;
    const char *one, *many;
  } units[] = {{86400, "day", "days"}, {3600, "hour", "hours"}};

  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    long n;

    if (s < units[i].secs) {
      continue;
    }
    n = s / units[i].secs;
    out_f(c, " (%s%ld %s)", s % units[i].secs ? "about " : "", n,
          n == 1 ? units[i].one : units[i].many);
    return;
  }
}

/* With several addresses: which one is shown, and how the others
 * answered ("from 192.0.2.1; 192.0.2.2: HTTP 404"). */
static void
put_policy_addrs(struct ctx *c, const struct mts_result *r)
{
  int first = 1;

  if (r->policy.n_addrs < 2) {
    return;
  }
  put_label(c, "");
  for (size_t i = 0; i < r->policy.n_addrs; i++) {
    const struct mts_policy_addr *a = &r->policy.addrs[i];
    if (a->selected) {
      out_s(c, "from ");
      put_str(c, a->address, 0);
      first = 0;
    }
  }
  for (size_t i = 0; i < r->policy.n_addrs; i++) {
    const struct mts_policy_addr *a = &r->policy.addrs[i];
    if (a->selected) {
      continue;
    }
    out_s(c, first ? "" : "; ");
    first = 0;
    put_str(c, a->address, 0);
    if (a->http_status < 0) {
      out_s(c, ": ");
      put_str(c, a->outcome, 0);
      continue;
    }
    out_f(c, ": HTTP %d", a->http_status);
    if (a->same_policy == 0) {
      out_s(c, ", another policy");
    } else if (a->same_policy == 1) {
      out_s(c, ", same policy");
    }
  }
  out_c(c, '\n');
}

static void
put_policy(struct ctx *c, const struct mts_result *r)
{
  put_label(c, "Policy");
  put_word(c, policy_tone(r->policy.status),
           mts_policy_status_str(r->policy.status));
  if (r->policy.status == MTS_POLICY_NOT_CHECKED) {
    out_c(c, '\n');
    return;
  }
  if (r->policy.mode != NULL) {
    out_s(c, ", mode ");
    put_str(c, r->policy.mode, 0);
  }
  if (r->policy.max_age >= 0) {
    out_f(c, ", max_age %ld", r->policy.max_age);
    put_duration(c, r->policy.max_age);
  }
  out_c(c, '\n');
  if (r->policy.url != NULL) {
    put_label(c, "");
    put_str(c, r->policy.url, 0);
    if (r->policy.http_status >= 0) {
      out_f(c, " (HTTP %d", r->policy.http_status);
      if (r->policy.content_type != NULL) {
        out_s(c, ", ");
        put_str(c, r->policy.content_type, 0);
      }
      out_c(c, ')');
    }
    out_c(c, '\n');
  }
  put_policy_addrs(c, r);
  if (r->policy.n_mx > 0) {
    put_list(c, "mx", r->policy.mx, r->policy.n_mx);
  }
  if (r->policy.cert_not_after >= 0) {
    long long left = (r->policy.cert_not_after - r->checked_at) / 86400;
    time_t t = (time_t)r->policy.cert_not_after;
    struct tm tm;
    char day[16] = "?";
    if (gmtime_r(&t, &tm) != NULL) {
      strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    }
    put_label(c, "");
    out_f(c, "certificate valid until %s (%lld days left)\n", day, left);
  }
}

/* MX transport (issue 12): one line per address of a host, with what
 * its SMTP probe saw: "127.0.0.1  ok  TLSv1.3, certificate mx1.example.com,
 * 58 days left, DANE ok". Server words are escaped. */
static void
put_mx_addrs(struct ctx *c, const struct mts_mx_host *h, long long now)
{
  if (h->addrs_known && h->n_addrs == 0) {
    put_label(c, "");
    out_s(c, "  no address");
    out_c(c, '\n');
  }
  for (size_t k = 0; k < h->n_addrs; k++) {
    const struct mts_smtp_view *v = h->addrs[k].smtp;
    put_label(c, "");
    out_s(c, "  ");
    put_str(c, h->addrs[k].ip, 0);
    if (v != NULL) {
      int bad = v->status != MTS_SMTP_OK ||
                (v->cert_seen && (v->trusted != 1 || v->name_match != 1)) ||
                (v->cert_not_after >= 0 && v->cert_not_after < now);
      out_s(c, "  ");
      put_word(c,
               v->status == MTS_SMTP_NOT_CHECKED ? TONE_NONE
               : bad                             ? TONE_BAD
                                                 : TONE_GOOD,
               mts_smtp_status_str(v->status));
      if (v->tls_version != NULL) {
        out_s(c, "  ");
        put_str(c, v->tls_version, 0);
      }
      if (v->cert_seen) {
        out_s(c, ", certificate ");
        put_str(c, v->n_cert_san > 0 ? v->cert_san[0] : v->cert_subject, 0);
        if (v->cert_not_after >= 0 && v->cert_not_after >= now) {
          out_f(c, ", %lld days left", (v->cert_not_after - now) / 86400);
        } else if (v->cert_not_after >= 0) {
          out_s(c, ", ");
          put_word(c, TONE_BAD, "expired");
        }
        if (v->trusted == 0) {
          out_s(c, ", ");
          put_word(c, TONE_BAD, "untrusted");
        }
        if (v->name_match == 0) {
          out_s(c, ", ");
          put_word(c, TONE_BAD, "wrong name");
        }
      }
      /* R169: the address's own DANE verdict, else the host's. */
      if (v->dane != NULL) {
        out_s(c, ", DANE ");
        put_word(c, strcmp(v->dane, "ok") == 0 ? TONE_GOOD : TONE_BAD, v->dane);
      } else if (h->dane != NULL && h->dane->status != MTS_DANE_NONE) {
        out_s(c, ", DANE ");
        put_word(c, TONE_NONE, mts_dane_status_str(h->dane->status));
      }
      if (v->error != NULL) {
        out_s(c, ": ");
        put_str(c, v->error, 0);
      }
    }
    out_c(c, '\n');
  }
}

static void
put_mx(struct ctx *c, const struct mts_result *r)
{
  /* MX_NOT_COVERED is an error in enforce mode, a warning in testing. */
  enum tone uncovered =
      r->policy.mode != NULL && strcmp(r->policy.mode, "enforce") == 0
          ? TONE_BAD
          : TONE_WARN;

  put_label(c, "MX hosts");
  if (mts_findings_has(&r->findings, MTS_F_MX_LOOKUP_FAILED)) {
    put_word(c, TONE_UNKNOWN, "unknown");
    out_s(c, " (lookup failed)");
  } else if (r->mx.n_hosts == 0) {
    out_s(c, "none");
  } else if (r->mx.covered == 1) {
    put_word(c, TONE_GOOD, "all covered");
    out_s(c, " by the policy");
  } else if (r->mx.covered == 0) {
    put_word(c, uncovered, "NOT all covered");
    out_s(c, " by the policy");
  } else {
    out_s(c, "coverage not evaluated");
  }
  out_c(c, '\n');

  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    const struct mts_mx_host *h = &r->mx.hosts[i];

    put_label(c, "");
    out_f(c, "%u ", h->preference);
    if (h->name != NULL && h->name[0] == '\0') {
      out_c(c, '.'); /* null MX (RFC 7505) */
    } else {
      put_str(c, h->name, 0);
    }
    if (h->covered == 1) {
      out_s(c, "  ");
      put_word(c, TONE_GOOD, "covered");
      if (h->matched_by != NULL) {
        out_s(c, " by ");
        put_str(c, h->matched_by, 0);
      }
    } else if (h->covered == 0) {
      out_s(c, "  ");
      put_word(c, uncovered, "NOT covered");
    }
    if (h->cname != NULL) {
      out_s(c, "  alias of ");
      put_str(c, h->cname, 0);
    }
    out_c(c, '\n');
    put_mx_addrs(c, h, r->checked_at);
  }
}

static void
put_tlsrpt(struct ctx *c, const struct mts_result *r)
{
  put_record(c, "TLS-RPT record", &r->tlsrpt.record, TONE_WARN, NULL);
  if (r->tlsrpt.n_rua > 0) {
    put_list(c, "rua", r->tlsrpt.rua, r->tlsrpt.n_rua);
  }
}

/* 1 if needle[0..nlen) occurs in hay. */
static int
contains(const char *hay, const char *needle, size_t nlen)
{
  size_t hlen = strlen(hay);

  for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
    if (memcmp(hay + i, needle, nlen) == 0) {
      return 1;
    }
  }
  return 0;
}

static void
put_finding(struct ctx *c, const struct mts_finding *f)
{
  const char *tag = severity_tag(f->severity);
  const char *fix = mts_code_fix(f->code);

  put_spaces(c, 4);
  put_word(c, severity_tone(f->severity), tag);
  put_spaces(c, FINDING_COL - 4 - (int)strlen(tag));
  put_str(c, mts_code_name(f->code), 0);
  out_s(c, " (");
  put_rfc(c, mts_code_rfc(f->code));
  out_s(c, ")\n");

  if (f->message != NULL && f->message[0] != '\0') {
    put_spaces(c, FINDING_COL);
    put_wrapped(c, f->message, FINDING_COL, FINDING_COL);
    out_c(c, '\n');
  }
  /* The subject is worth a line unless the message already quotes it. */
  if (f->subject != NULL && f->subject_len > 0 &&
      (f->message == NULL ||
       !contains(f->message, f->subject, f->subject_len))) {
    put_spaces(c, FINDING_COL);
    out_s(c, "subject: ");
    put_esc(c, f->subject, f->subject_len, ESC_QUOTE);
    out_c(c, '\n');
  }
  if (fix != NULL && fix[0] != '\0') {
    put_spaces(c, FINDING_COL);
    out_s(c, "fix: ");
    put_wrapped(c, fix, FIX_COL, FIX_COL);
    out_c(c, '\n');
  }
}

/* --state: one line per changed field, "field: old -> new" (values as
 * JSON, escaped like everything else). Nothing without --state. */
static void
put_changes(struct ctx *c, const struct mts_changes *ch)
{
  if (!ch->tracked) {
    return;
  }
  put_label(c, "Changes");
  if (ch->n == 0) {
    out_s(c, ch->first ? "none: first check of this domain\n"
                       : "none since the last run\n");
    return;
  }
  for (size_t i = 0; i < ch->n; i++) {
    const struct mts_change *x = &ch->v[i];
    if (i > 0) {
      put_label(c, "");
    }
    put_str(c, x->field, 0);
    out_s(c, ": ");
    put_str(c, x->old_value, 0);
    out_s(c, " -> ");
    put_str(c, x->new_value, 0);
    out_c(c, '\n');
  }
}

/* 0 for errors, 1 for warnings, 2 for info: the printing order. */
static int
severity_rank(enum mts_severity sev)
{
  switch (sev) {
    case MTS_SEV_ERROR:
      return 0;
    case MTS_SEV_WARNING:
      return 1;
    case MTS_SEV_INFO:
      return 2;
  }
  return 0;
}

static void
put_findings(struct ctx *c, const struct mts_findings *list)
{
  static const char *const names[3][2] = {
      {"error", "errors"}, {"warning", "warnings"}, {"info", "info"}};
  size_t count[3] = {0, 0, 0};
  int any = 0;

  for (size_t i = 0; i < list->n; i++) {
    count[severity_rank(list->v[i].severity)]++;
  }
  put_label(c, "Findings");
  if (list->n == 0) {
    out_s(c, "none\n");
    return;
  }
  for (int rank = 0; rank < 3; rank++) {
    if (count[rank] > 0) {
      out_f(c, "%s%zu %s", any ? ", " : "", count[rank],
            names[rank][count[rank] != 1]);
      any = 1;
    }
  }
  out_c(c, '\n');

  /* Worst first; within a severity, in the order they were found. */
  for (int rank = 0; rank < 3; rank++) {
    for (size_t i = 0; i < list->n; i++) {
      if (severity_rank(list->v[i].severity) == rank) {
        put_finding(c, &list->v[i]);
      }
    }
  }
}

enum mts_err
mts_report_text_write(FILE *out, const struct mts_result *r,
                      const struct mts_text_opts *opts)
{
  struct ctx c = {out, opts != NULL && opts->color, 0};

  put_str(&c, r->domain, 0);
  if (r->domain_unicode != NULL) {
    out_s(&c, " (");
    put_str(&c, r->domain_unicode, ESC_UTF8);
    out_c(&c, ')');
  }
  out_s(&c, ": ");
  put_word(&c, status_tone(r->status), status_word(r->status));
  out_c(&c, '\n');

  /* An invalid name was not looked up: only the findings say anything. */
  if (!mts_findings_has(&r->findings, MTS_F_DOMAIN_INVALID)) {
    put_record(&c, "MTA-STS record", &r->sts.record, TONE_BAD, r->sts.id);
    put_policy(&c, r);
    put_mx(&c, r);
    put_tlsrpt(&c, r);
  }
  put_changes(&c, &r->changes);
  put_findings(&c, &r->findings);
  out_c(&c, '\n');

  return c.failed || ferror(out) ? MTS_EIO : MTS_OK;
}

enum mts_err
mts_report_text_policy_write(FILE *out, const struct mts_policy_lint *l,
                             const struct mts_text_opts *opts)
{
  struct ctx c = {out, opts != NULL && opts->color, 0};

  put_esc(&c, l->source, strlen(l->source), 0);
  out_s(&c, ": ");
  put_word(&c, status_tone(l->status), status_word(l->status));
  out_c(&c, '\n');
  put_label(&c, "Policy");
  put_word(&c, policy_tone(l->policy_status),
           mts_policy_status_str(l->policy_status));
  if (l->mode != NULL) {
    out_s(&c, ", mode ");
    put_str(&c, l->mode, 0);
  }
  if (l->max_age >= 0) {
    out_f(&c, ", max_age %ld", l->max_age);
    put_duration(&c, l->max_age);
  }
  out_c(&c, '\n');
  if (l->n_mx > 0) {
    put_list(&c, "mx", l->mx, l->n_mx);
  }
  put_findings(&c, l->findings);
  out_c(&c, '\n');

  return c.failed || ferror(out) ? MTS_EIO : MTS_OK;
}

enum mts_err
mts_report_text_esc(FILE *out, const char *s, size_t len, int quote)
{
  struct ctx c = {out, 0, 0};

  put_esc(&c, s, len, quote ? ESC_QUOTE : 0);
  return c.failed ? MTS_EIO : MTS_OK;
}

enum mts_err
mts_report_text_findings_write(FILE *out, const struct mts_findings *list,
                               const struct mts_text_opts *opts)
{
  struct ctx c = {out, opts != NULL && opts->color, 0};

  put_findings(&c, list);
  return c.failed ? MTS_EIO : MTS_OK;
}
