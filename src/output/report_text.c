/* wcwidth() is XSI. */
#define _XOPEN_SOURCE 700

#include "mtasts/output.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "mtasts/i18n.h"
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
 * for the Unicode form of an IDN (put_rfc spells "\xc2\xa7" as "section")
 * and for the catalogue's words in another language than English: every
 * word, label and sentence goes through _() (po/ja.po), and the layout
 * counts display columns (a CJK character takes two), not bytes. */

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
  int failed;  /* a write failed: stop writing, report MTS_EIO */
  int label_w; /* the label column's width, in display columns */
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

/* The display width of code point cp: wcwidth() in the locale, or, where
 * the locale does not know it (C), two columns for East Asian wide and
 * full-width characters (UAX #11 W and F, the common blocks), else one. */
static size_t
cp_width(unsigned long cp)
{
  int w = wcwidth((wchar_t)cp);

  if (w >= 0) {
    return (size_t)w;
  }
  if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
      (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd)) {
    return 2;
  }
  return 1;
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

/* The number of columns put_esc(s, len, flags) takes (quotes aside). */
static size_t
esc_width(const char *s, size_t len, unsigned flags)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t w = 0;

  for (size_t i = 0; i < len; i++) {
    unsigned char b = p[i];
    size_t n;

    if (b == '\\' || (b == '"' && (flags & ESC_QUOTE))) {
      w += 2;
    } else if (b >= 0x20 && b <= 0x7e) {
      w += 1;
    } else if ((flags & ESC_UTF8) &&
               (n = utf8_printable_len(p + i, len - i)) > 0) {
      w += cp_width(mts_utf8_decode(p + i, n));
      i += n - 1;
    } else {
      w += 4;
    }
  }
  return w;
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
  put_str(c, word, ESC_UTF8);
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
  size_t w = esc_width(label, strlen(label), ESC_UTF8);

  out_s(c, "  ");
  put_str(c, label, ESC_UTF8);
  put_spaces(c, w < (size_t)c->label_w ? c->label_w - (int)w : 1);
}

/* The labels of the domain block, translated: the label column is as wide
 * as the widest of them plus two (LABEL_WIDTH at least), so that values
 * stay aligned in any language. */
static int
label_width(void)
{
  const char *labels[] = {_("MTA-STS record"), _("Policy"),       _("MX hosts"),
                          _("TLS-RPT record"), _("Name servers"), _("Changes"),
                          _("Findings")};
  int w = LABEL_WIDTH;

  for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
    int lw = (int)esc_width(labels[i], strlen(labels[i]), ESC_UTF8) + 2;
    w = lw > w ? lw : w;
  }
  return w;
}

/* A word of the result model ("valid", "not-checked"...), translated for
 * the text output; JSON writes the word itself. */
static const char *
tr_word(const char *w)
{
  static const char *const words[] = {
      N_("ok"),          N_("warning"), N_("error"),   N_("unknown"),
      N_("valid"),       N_("invalid"), N_("missing"), N_("not-checked"),
      N_("unreachable"), N_("failed"),  N_("refused"), N_("lame"),
  };

  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
    if (strcmp(w, words[i]) == 0) {
      return _(words[i]);
    }
  }
  return w;
}

/* An RFC reference, with "§" spelt "section " to keep the output ASCII. */
static void
put_rfc(struct ctx *c, const char *rfc)
{
  static const char sect[] = "\xc2\xa7";
  const char *p;

  while ((p = strstr(rfc, sect)) != NULL) {
    put_esc(c, rfc, (size_t)(p - rfc), 0);
    /* TRANSLATORS: stands for the section sign of an RFC reference. */
    put_str(c, _("section "), ESC_UTF8);
    rfc = p + strlen(sect);
  }
  put_str(c, rfc, 0);
}

/* Characters that must not start a line (Japanese kinsoku: closing
 * brackets and punctuation), attached to what precedes them; ASCII
 * punctuation after a wide character sticks to it the same way. */
static int
no_line_start(unsigned long cp)
{
  static const unsigned long v[] = {
      0x3001, 0x3002, 0x300d, 0x300f, 0x3011, 0x3015, 0x3017, 0x30fc, 0xff09,
      0xff0c, 0xff0e, 0xff1a, 0xff1b, 0xff01, 0xff1f, 0x3063, 0x3083, 0x3085,
      0x3087, 0x30c3, 0x30e3, 0x30e5, 0x30e7, 0x30a1, 0x30a3, 0x30a5, 0x30a7,
      0x30a9, 0x3041, 0x3043, 0x3045, 0x3047, 0x3049, 0x30fb, '.',    ',',
      ':',    ';',    ')',    '!',    '?',    ']',    '"',
  };

  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    if (v[i] == cp) {
      return 1;
    }
  }
  return 0;
}

/* Opening brackets: they must not end a line. */
static int
no_line_end(unsigned long cp)
{
  return cp == 0x300c || cp == 0x300e || cp == 0x3010 || cp == 0xff08 ||
         cp == 0x3014 || cp == 0x3016;
}

/* The code point at t[i] (a byte that is not well-formed UTF-8 stands for
 * itself) and its length in *n. */
static unsigned long
cp_at(const char *t, size_t len, size_t i, size_t *n)
{
  const unsigned char *p = (const unsigned char *)t + i;
  size_t k = mts_utf8_seq_len(p, len - i);

  if (k < 2) {
    *n = 1;
    return p[0];
  }
  *n = k;
  return mts_utf8_decode(p, k);
}

/* The end of the unbreakable unit at t[i] (not a space): a run of narrow
 * characters (a word), or one wide character with the opening brackets
 * before it and the closing punctuation after it. A line may break
 * between two units only at a space, or where one of them is wide: never
 * inside a UTF-8 sequence. *wide says which kind it is. */
static size_t
unit_end(const char *t, size_t len, size_t i, int *wide)
{
  size_t n;
  unsigned long cp = cp_at(t, len, i, &n);

  if (cp_width(cp) < 2 || cp < 0x80) {
    size_t start = i;
    *wide = 0;
    while (i < len && t[i] != ' ') {
      cp = cp_at(t, len, i, &n);
      if (cp >= 0x80 && cp_width(cp) == 2 && !no_line_start(cp)) {
        /* An ASCII opening bracket stays with the wide text it opens. */
        if (i > start && (t[i - 1] == '(' || t[i - 1] == '[')) {
          *wide = 1;
          i += n;
          continue;
        }
        break;
      }
      i += n;
    }
    return i;
  }
  *wide = 1;
  while (no_line_end(cp) && i + n < len) {
    i += n;
    cp = cp_at(t, len, i, &n);
  }
  i += n;
  while (i < len && t[i] != ' ') {
    cp = cp_at(t, len, i, &n);
    if (!no_line_start(cp)) {
      break;
    }
    i += n;
  }
  return i;
}

/* Write text (escaped, see put_esc's flags) from column col, continuing
 * at column indent: a single space before a word that would reach
 * WRAP_COL becomes a line break, and so does the boundary between two
 * units when one is a wide (CJK) character. Runs of several spaces are
 * never broken, so apart from those line breaks the bytes are shown
 * exactly. Widths are display columns. */
static void
put_wrapped_f(struct ctx *c, const char *text, int col, int indent,
              unsigned flags)
{
  size_t len = strlen(text), i = 0;
  size_t pos = (size_t)col;
  int prev_wide = 0;

  while (i < len) {
    size_t sp = i, end = i, w = 0;
    int wide = 0;

    while (i < len && text[i] == ' ') {
      i++;
    }
    if (i < len && (flags & ESC_UTF8)) {
      end = unit_end(text, len, i, &wide);
    } else {
      for (end = i; end < len && text[end] != ' '; end++) {
      }
    }
    w = esc_width(text + i, end - i, flags);
    /* text[sp..i) is spaces, text[i..end) a unit (empty at the end). */
    if (i - sp == 1 && end > i && pos > (size_t)indent &&
        pos + 1 + w > WRAP_COL) {
      out_c(c, '\n');
      put_spaces(c, indent);
      pos = (size_t)indent;
    } else if (i == sp && end > i && (wide || prev_wide) &&
               pos > (size_t)indent && pos + w > WRAP_COL) {
      out_c(c, '\n');
      put_spaces(c, indent);
      pos = (size_t)indent;
    } else {
      put_esc(c, text + sp, i - sp, flags);
      pos += i - sp;
    }
    put_esc(c, text + i, end - i, flags);
    pos += w;
    prev_wide = wide;
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
      return _("OK");
    case MTS_STATUS_WARNING:
      return _("WARNING");
    case MTS_STATUS_ERROR:
      return _("ERROR");
    case MTS_STATUS_UNKNOWN:
      return _("UNKNOWN");
  }
  return _("UNKNOWN");
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
      return _("INFO");
    case MTS_SEV_WARNING:
      return _("WARNING");
    case MTS_SEV_ERROR:
      return _("ERROR");
  }
  return _("ERROR");
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
  put_str(c, what, ESC_UTF8);
  out_s(c, ": ");
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
           tr_word(mts_record_status_str(rec->status)));
  if (rec->status == MTS_REC_UNKNOWN) {
    put_str(c,
            rec->name != NULL ? _(" (lookup failed)") : _(" (not looked up)"),
            ESC_UTF8);
  }
  if (id != NULL) {
    char date[64];

    put_str(c, _(", id "), ESC_UTF8);
    put_str(c, id, 0);
    if (mts_sts_id_as_date(id, date, sizeof(date)) == 1) {
      out_s(c, " (");
      put_str(c, date, 0);
      out_c(c, ')');
    }
  }
  if (rec->ttl >= 0) {
    char ttl[64];
    (void)snprintf(ttl, sizeof(ttl), _(", TTL %ld"), rec->ttl);
    put_str(c, ttl, ESC_UTF8);
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
  char buf[64];

  if (s >= 86400) {
    long n = s / 86400;
    (void)snprintf(
        buf, sizeof(buf),
        s % 86400
            ? P_(" (about %ld day)", " (about %ld days)", (unsigned long)n)
            : P_(" (%ld day)", " (%ld days)", (unsigned long)n),
        n);
  } else if (s >= 3600) {
    long n = s / 3600;
    (void)snprintf(
        buf, sizeof(buf),
        s % 3600
            ? P_(" (about %ld hour)", " (about %ld hours)", (unsigned long)n)
            : P_(" (%ld hour)", " (%ld hours)", (unsigned long)n),
        n);
  } else {
    return;
  }
  put_str(c, buf, ESC_UTF8);
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
      char from[128];
      (void)snprintf(from, sizeof(from), _("from %s"), a->address);
      put_str(c, from, ESC_UTF8);
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
      put_str(c, _(", another policy"), ESC_UTF8);
    } else if (a->same_policy == 1) {
      put_str(c, _(", same policy"), ESC_UTF8);
    }
  }
  out_c(c, '\n');
}

static void
put_policy(struct ctx *c, const struct mts_result *r)
{
  put_label(c, _("Policy"));
  put_word(c, policy_tone(r->policy.status),
           tr_word(mts_policy_status_str(r->policy.status)));
  if (r->policy.status == MTS_POLICY_NOT_CHECKED) {
    out_c(c, '\n');
    return;
  }
  if (r->policy.mode != NULL) {
    put_str(c, _(", mode "), ESC_UTF8);
    put_str(c, r->policy.mode, 0);
  }
  if (r->policy.max_age >= 0) {
    char ma[64];
    (void)snprintf(ma, sizeof(ma), _(", max_age %ld"), r->policy.max_age);
    put_str(c, ma, ESC_UTF8);
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
    {
      char line[160];
      (void)snprintf(line, sizeof(line),
                     P_("certificate valid until %s (%lld day left)",
                        "certificate valid until %s (%lld days left)",
                        (unsigned long)(left < 0 ? -left : left)),
                     day, left);
      put_str(c, line, ESC_UTF8);
    }
    out_c(c, '\n');
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
    out_s(c, "  ");
    put_str(c, _("no address"), ESC_UTF8);
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
               tr_word(mts_smtp_status_str(v->status)));
      if (v->tls_version != NULL) {
        out_s(c, "  ");
        put_str(c, v->tls_version, 0);
      }
      if (v->cert_seen) {
        put_str(c, _(", certificate "), ESC_UTF8);
        put_str(c, v->n_cert_san > 0 ? v->cert_san[0] : v->cert_subject, 0);
        if (v->cert_not_after >= 0 && v->cert_not_after >= now) {
          long long left = (v->cert_not_after - now) / 86400;
          char days[64];
          (void)snprintf(
              days, sizeof(days),
              P_(", %lld day left", ", %lld days left", (unsigned long)left),
              left);
          put_str(c, days, ESC_UTF8);
        } else if (v->cert_not_after >= 0) {
          put_str(c, _(", "), ESC_UTF8);
          put_word(c, TONE_BAD, _("expired"));
        }
        if (v->trusted == 0) {
          put_str(c, _(", "), ESC_UTF8);
          put_word(c, TONE_BAD, _("untrusted"));
        }
        if (v->name_match == 0) {
          put_str(c, _(", "), ESC_UTF8);
          put_word(c, TONE_BAD, _("wrong name"));
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
        put_str(c, v->error_text ? v->error_text : v->error,
                v->error_text ? ESC_UTF8 : 0);
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

  put_label(c, _("MX hosts"));
  if (mts_findings_has(&r->findings, MTS_F_MX_LOOKUP_FAILED)) {
    put_word(c, TONE_UNKNOWN, tr_word("unknown"));
    put_str(c, _(" (lookup failed)"), ESC_UTF8);
  } else if (r->mx.n_hosts == 0) {
    put_str(c, _("none"), ESC_UTF8);
  } else if (r->mx.covered == 1) {
    put_word(c, TONE_GOOD, _("all covered"));
    put_str(c, _(" by the policy"), ESC_UTF8);
  } else if (r->mx.covered == 0) {
    put_word(c, uncovered, _("NOT all covered"));
    put_str(c, _(" by the policy"), ESC_UTF8);
  } else {
    put_str(c, _("coverage not evaluated"), ESC_UTF8);
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
      put_word(c, TONE_GOOD, _("covered"));
      if (h->matched_by != NULL) {
        put_str(c, _(" by "), ESC_UTF8);
        put_str(c, h->matched_by, 0);
      }
    } else if (h->covered == 0) {
      out_s(c, "  ");
      put_word(c, uncovered, _("NOT covered"));
    }
    if (h->cname != NULL) {
      put_str(c, _("  alias of "), ESC_UTF8);
      put_str(c, h->cname, 0);
    }
    out_c(c, '\n');
    put_mx_addrs(c, h, r->checked_at);
  }
}

static void
put_tlsrpt(struct ctx *c, const struct mts_result *r)
{
  put_record(c, _("TLS-RPT record"), &r->tlsrpt.record, TONE_WARN, NULL);
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
  const char *fix = mts_code_fix_text(f->code);
  const char *msg = mts_finding_text(f);
  unsigned flags = f->text != NULL ? ESC_UTF8 : 0;
  int tw = (int)esc_width(tag, strlen(tag), ESC_UTF8);

  put_spaces(c, 4);
  put_word(c, severity_tone(f->severity), tag);
  put_spaces(c, FINDING_COL - 4 - tw > 0 ? FINDING_COL - 4 - tw : 1);
  put_str(c, mts_code_name(f->code), 0);
  out_s(c, " (");
  put_rfc(c, mts_code_rfc(f->code));
  out_s(c, ")\n");

  if (msg != NULL && msg[0] != '\0') {
    put_spaces(c, FINDING_COL);
    put_wrapped_f(c, msg, FINDING_COL, FINDING_COL, flags);
    out_c(c, '\n');
  }
  /* The subject is worth a line unless the message already quotes it. */
  if (f->subject != NULL && f->subject_len > 0 &&
      (f->message == NULL ||
       !contains(f->message, f->subject, f->subject_len))) {
    put_spaces(c, FINDING_COL);
    put_str(c, _("subject: "), ESC_UTF8);
    put_esc(c, f->subject, f->subject_len, ESC_QUOTE);
    out_c(c, '\n');
  }
  if (fix != NULL && fix[0] != '\0') {
    const char *label = _("fix: ");
    int col = FINDING_COL + (int)esc_width(label, strlen(label), ESC_UTF8);
    put_spaces(c, FINDING_COL);
    put_str(c, label, ESC_UTF8);
    put_wrapped_f(c, fix, col, col,
                  fix != mts_code_fix(f->code) ? ESC_UTF8 : 0);
    out_c(c, '\n');
  }
}

/* --propagation: the zone, whether its servers agree, then one line per
 * authoritative address; what differs is in the findings. */
static void
put_propagation(struct ctx *c, const struct mts_propagation_view *v)
{
  char line[512];

  if (v == NULL) {
    return;
  }
  put_label(c, _("Name servers"));
  if (v->error != NULL && v->n_servers == 0) {
    put_word(c, TONE_WARN, tr_word("not-checked"));
    out_s(c, ": ");
    put_str(c, _(v->error), ESC_UTF8);
    out_c(c, '\n');
    return;
  }
  snprintf(line, sizeof(line), _("zone %s"), v->zone ? v->zone : "?");
  put_str(c, line, ESC_UTF8);
  out_s(c, ": ");
  put_word(c, v->in_sync == 0 ? TONE_WARN : TONE_GOOD,
           v->in_sync == 1   ? _("in sync")
           : v->in_sync == 0 ? _("out of sync")
                             : _("no server answered"));
  if (v->resolver_current == 0) {
    out_s(c, "; ");
    put_word(c, TONE_WARN, _("the resolver's copy is older"));
  }
  out_c(c, '\n');
  for (size_t i = 0; i < v->n_servers; i++) {
    const struct mts_ns_view *s = &v->servers[i];
    put_label(c, "");
    put_str(c, s->name, 0);
    out_c(c, ' ');
    put_str(c, s->ip, 0);
    out_s(c, ": ");
    put_word(c, s->status == MTS_NS_OK ? TONE_GOOD : TONE_WARN,
             tr_word(mts_ns_status_str(s->status)));
    if (s->serial >= 0) {
      snprintf(line, sizeof(line), _(", serial %lld"), s->serial);
      put_str(c, line, ESC_UTF8);
    }
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
  put_label(c, _("Changes"));
  if (ch->n == 0) {
    put_str(c,
            ch->first ? _("none: first check of this domain")
                      : _("none since the last run"),
            ESC_UTF8);
    out_c(c, '\n');
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
  size_t count[3] = {0, 0, 0};
  int any = 0;

  for (size_t i = 0; i < list->n; i++) {
    count[severity_rank(list->v[i].severity)]++;
  }
  put_label(c, _("Findings"));
  if (list->n == 0) {
    put_str(c, _("none"), ESC_UTF8);
    out_c(c, '\n');
    return;
  }
  for (int rank = 0; rank < 3; rank++) {
    char part[64];
    unsigned long n = (unsigned long)count[rank];
    if (count[rank] == 0) {
      continue;
    }
    (void)snprintf(part, sizeof(part),
                   rank == 0   ? P_("%zu error", "%zu errors", n)
                   : rank == 1 ? P_("%zu warning", "%zu warnings", n)
                               : P_("%zu info", "%zu info", n),
                   count[rank]);
    if (any) {
      put_str(c, _(", "), ESC_UTF8);
    }
    put_str(c, part, ESC_UTF8);
    any = 1;
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
  struct ctx c = {out, opts != NULL && opts->color, 0, label_width()};

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
    put_record(&c, _("MTA-STS record"), &r->sts.record, TONE_BAD, r->sts.id);
    put_policy(&c, r);
    put_mx(&c, r);
    put_tlsrpt(&c, r);
    put_propagation(&c, r->propagation);
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
  struct ctx c = {out, opts != NULL && opts->color, 0, label_width()};

  put_esc(&c, l->source, strlen(l->source), 0);
  out_s(&c, ": ");
  put_word(&c, status_tone(l->status), status_word(l->status));
  out_c(&c, '\n');
  put_label(&c, _("Policy"));
  put_word(&c, policy_tone(l->policy_status),
           tr_word(mts_policy_status_str(l->policy_status)));
  if (l->mode != NULL) {
    put_str(&c, _(", mode "), ESC_UTF8);
    put_str(&c, l->mode, 0);
  }
  if (l->max_age >= 0) {
    char ma[64];
    (void)snprintf(ma, sizeof(ma), _(", max_age %ld"), l->max_age);
    put_str(&c, ma, ESC_UTF8);
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

size_t
mts_text_width(const char *s)
{
  return esc_width(s, strlen(s), ESC_UTF8);
}

enum mts_err
mts_report_text_esc(FILE *out, const char *s, size_t len, int quote)
{
  struct ctx c = {out, 0, 0, LABEL_WIDTH};

  put_esc(&c, s, len, quote ? ESC_QUOTE : 0);
  return c.failed ? MTS_EIO : MTS_OK;
}

enum mts_err
mts_report_text_findings_write(FILE *out, const struct mts_findings *list,
                               const struct mts_text_opts *opts, size_t label_w)
{
  struct ctx c = {out, opts != NULL && opts->color, 0,
                  label_w > 0 ? (int)label_w : LABEL_WIDTH};

  put_findings(&c, list);
  return c.failed ? MTS_EIO : MTS_OK;
}
