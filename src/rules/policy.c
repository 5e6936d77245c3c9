/* The MTA-STS policy body (RFC 8461 §3.2), its Content-Type, and MX pattern
 * matching (§4.1): rfc-rules.md §5 (R70-R96), R60, R61, R113, R114, with the
 * errata decisions A1, A3, A7, A8, A9, A10 and A12.
 *
 * The body is a borrowed byte string that may hold any octet and need not be
 * NUL-terminated. Nothing here recurses, keeps state between calls or does
 * I/O; the work is linear in the body (duplicates are found with hash sets,
 * keyed at random per set: a fetched policy is the server's choice, so its
 * names must not be able to collide on purpose)
 * and the findings are bounded whatever the length (SAME_MAX per code, then
 * one finding that counts the rest; subjects are cut at SUBJECT_MAX).
 *
 * Decisions the rules leave open, taken here:
 * - Lines end at CRLF, LF or a bare CR. A bare CR is an error
 *   (POLICY_BARE_CR, once per body with a count), but the rest of the body is
 *   still judged line by line, so the administrator sees every other problem
 *   rather than one long malformed line.
 * - A BOM (POLICY_BOM) is skipped before the lines are parsed, so it is not
 *   reported a second time as a missing version.
 * - Invalid UTF-8 is reported once per body (POLICY_NOT_UTF8, with a count);
 *   the lines holding it are still parsed (a known field's value with such a
 *   byte is then invalid for its own reason; an extension value is not
 *   reported again).
 * - A line of whitespace only is an empty line (POLICY_EMPTY_LINE, A9).
 * - A line that is not `name ":" *WSP value *WSP` (POLICY_LINE_SYNTAX:
 *   leading WSP, WSP before ':', no ':', a bad name, a CTL other than HTAB,
 *   an empty or tab-holding extension value) is not a field and is ignored
 *   entirely: at least one sender reads such keys wrongly, so the
 *   required-field rules then fire as they would for that sender.
 * - An empty value of a known field gets that field's own code
 *   (POLICY_MODE_INVALID...), not POLICY_LINE_SYNTAX; the field still counts
 *   as present, so a later repeat is a duplicate (first wins, R80, A7). A
 *   repeated field is ignored entirely apart from POLICY_DUPLICATE_KEY.
 * - max_age with 11 or more digits is POLICY_MAX_AGE_OUT_OF_RANGE (R86), and
 *   mts_policy.max_age is -1 whenever the first max_age is missing, invalid
 *   or out of range.
 * - mx is required unless the mode is `none`; a missing or invalid mode
 *   therefore also gets POLICY_MX_MISSING when there is no mx line.
 * - mts_policy.mx holds the mx patterns that are valid (after removing one
 *   trailing dot, R91), lowercased, in order, repeats kept; an invalid
 *   pattern appears only in its POLICY_MX_INVALID finding. Consumers get
 *   clean A-label patterns even from a hostile body.
 * - POLICY_MX_WILDCARD_BROAD (R95) needs the Policy Domain, which the parser
 *   does not know; here it fires for a wildcard over a single label
 *   (`*.com`), which is broader than any Policy Domain.
 * - An mx that is all-numeric labels (`192.0.2.1`) is an IP address, not a
 *   host name: POLICY_MX_INVALID (R90), although the Domain ABNF admits it.
 * - mts_policy_check_content_type ignores malformed parameters; only the
 *   media type decides acceptance, and a charset other than utf-8 or
 *   us-ascii (quoted or not, any case) is a warning (A8).
 */
#include "mtasts/rules.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/i18n.h"
#include "mtasts/msg.h"

#include "mtasts/bytes.h"
#include "mtasts/hash.h"

#define MAX_AGE_MAX 31557600ULL /* RFC 8461 §3.2, erratum 7282 (A3) */
#define MAX_AGE_DIGITS 10       /* 1*10(DIGIT) */
#define DAY 86400L
#define WEEK 604800L
#define EXT_NAME_MAX 32 /* (alphanum) *31(alphanum / "_" / "-" / ".") */
#define LABEL_MAX 63
#define DOMAIN_MAX 253
#define SAME_MAX 10     /* findings of one code listed per body */
#define SUBJECT_MAX 256 /* body bytes copied into one subject */
#define MSG_MAX 1024

/* A quoted, escaped excerpt of the body for a message. */
struct span {
  const char *p;
  size_t n;
};

/* An open-addressing hash set of byte strings (not owned); p == NULL is a
 * free slot. */
struct hset {
  struct span *v;
  size_t cap; /* 0 or a power of two */
  size_t n;
  struct mts_hash_key key; /* drawn when the set is first used */
};

enum known {
  K_VERSION,
  K_MODE,
  K_MAX_AGE,
  K_MX,
  K__COUNT,
};

static const char *const known_names[K__COUNT] = {"version", "mode", "max_age",
                                                  "mx"};

/* The state of parsing one body. */
struct parse {
  struct mts_findings *findings;
  size_t errors; /* error findings, listed or not */
  size_t listed[MTS_F__COUNT];
  size_t unlisted[MTS_F__COUNT];
  struct hset names; /* field names seen (not mx) */
  struct hset mxset; /* normalised mx patterns seen */
  const char *line;  /* the current line */
  size_t line_len;
  size_t lineno;
  int have[K__COUNT];
  const char *version;
  size_t version_len;
  const char *mode_s;
  size_t mode_len;
  enum mts_policy_mode mode;
  long max_age;
  size_t n_mx_lines;
  char **mx;
  size_t n_mx;
  size_t cap_mx;
  /* R78: a field named like a known one but for case: for the hint. */
  const char *like[K__COUNT];
  size_t like_len[K__COUNT];
};

static enum mts_err vaddf(struct parse *ps, enum mts_code code,
                          const char *subj, size_t subj_len, const char *fmt,
                          va_list ap) __attribute__((format(printf, 5, 0)));
static enum mts_err addf(struct parse *ps, enum mts_code code, const char *subj,
                         size_t subj_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static enum mts_err line_add(struct parse *ps, enum mts_code code,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum mts_err ct_add(struct mts_findings *f, enum mts_code code,
                           const char *ct, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- characters ---------------------------------------------------- */

/* A CTL the ABNF forbids in a line: everything below 0x20 but HTAB, and
 * DEL. */
static int
is_ctl(char c)
{
  return (uc(c) < 0x20 && c != '\t') || uc(c) == 0x7f;
}

/* R78: the same as s but for case, or '-' written for '_'. */
static int
span_looks_like(const char *p, size_t n, const char *s)
{
  if (n != strlen(s)) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = to_lower(p[i]);
    if (c != s[i] && !(c == '-' && s[i] == '_')) {
      return 0;
    }
  }
  return 1;
}

/* \return the length of the well-formed UTF-8 sequence at p (RFC 3629 §4:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t
utf8_len(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  unsigned c = p[0];

  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return n >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return n >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
                   (p[3] & 0xc0) == 0x80
               ? 4
               : 0;
  }
  return 0;
}

/* ---- findings ---------------------------------------------------------- */

/* Add a finding whose message is a sentence (capital first, full stop
 * last). Past SAME_MAX findings of one code only a count is kept (one
 * summary finding says so at the end); an unlisted error still counts. */
static enum mts_err
add_text(struct parse *ps, enum mts_code code, const char *subj,
         size_t subj_len, char *msg, char *loc, size_t size)
{
  enum mts_err err;

  if (ps->listed[code] >= SAME_MAX) {
    ps->unlisted[code]++;
    if (mts_code_severity(code) == MTS_SEV_ERROR) {
      ps->errors++;
    }
    return MTS_OK;
  }
  mts_sentence2(msg, loc, size);
  if (subj_len > SUBJECT_MAX) {
    subj_len = SUBJECT_MAX;
  }
  err = mts_findings_add_text(ps->findings, code, mts_code_severity(code), subj,
                              subj_len, msg, loc);
  if (err == MTS_OK) {
    ps->listed[code]++;
    if (mts_code_severity(code) == MTS_SEV_ERROR) {
      ps->errors++;
    }
  }
  return err;
}

static enum mts_err
vaddf(struct parse *ps, enum mts_code code, const char *subj, size_t subj_len,
      const char *fmt, va_list ap)
{
  char msg[MSG_MAX], loc[MSG_MAX];

  mts_vformat2(msg, loc, sizeof(msg), fmt, ap);
  return add_text(ps, code, subj, subj_len, msg, loc, sizeof(msg));
}

static enum mts_err
addf(struct parse *ps, enum mts_code code, const char *subj, size_t subj_len,
     const char *fmt, ...)
{
  va_list ap;
  enum mts_err err;

  va_start(ap, fmt);
  err = vaddf(ps, code, subj, subj_len, fmt, ap);
  va_end(ap);
  return err;
}

/* A finding about the current line: its subject is the line, and the
 * message starts with "Line N: ". */
static enum mts_err
line_add(struct parse *ps, enum mts_code code, const char *fmt, ...)
{
  char msg[MSG_MAX], loc[MSG_MAX], line[MSG_MAX + 32], line_loc[MSG_MAX + 64];
  va_list ap;

  va_start(ap, fmt);
  mts_vformat2(msg, loc, sizeof(msg), fmt, ap);
  va_end(ap);
  (void)snprintf(line, sizeof(line), "line %zu: %s", ps->lineno, msg);
  (void)snprintf(line_loc, sizeof(line_loc), _("line %zu: %s"), ps->lineno,
                 loc);
  return add_text(ps, code, ps->line, ps->line_len, line, line_loc,
                  sizeof(line));
}

/* ---- hash set ----------------------------------------------------------- */

static size_t
hash(const struct hset *s, const char *p, size_t n)
{
  return (size_t)mts_siphash(&s->key, p, n);
}

static void
hset_put(const struct hset *s, struct span *v, size_t cap, const char *p,
         size_t n)
{
  size_t i = hash(s, p, n) & (cap - 1);
  while (v[i].p != NULL) {
    i = (i + 1) & (cap - 1);
  }
  v[i].p = p;
  v[i].n = n;
}

/* Add p (not copied: it must outlive the set). \return 1 if it was there
 * already, 0 if added, -1 out of memory. */
static int
hset_add(struct hset *s, const char *p, size_t n)
{
  if (s->cap == 0) {
    mts_hash_key_new(&s->key);
  } else {
    size_t i = hash(s, p, n) & (s->cap - 1);
    while (s->v[i].p != NULL) {
      if (s->v[i].n == n && memcmp(s->v[i].p, p, n) == 0) {
        return 1;
      }
      i = (i + 1) & (s->cap - 1);
    }
  }
  if (2 * (s->n + 1) > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct span *v = calloc(cap, sizeof(*v));
    if (v == NULL) {
      return -1;
    }
    for (size_t i = 0; i < s->cap; i++) {
      if (s->v[i].p != NULL) {
        hset_put(s, v, cap, s->v[i].p, s->v[i].n);
      }
    }
    free(s->v);
    s->v = v;
    s->cap = cap;
  }
  hset_put(s, s->v, s->cap, p, n);
  s->n++;
  return 0;
}

/* ---- field values --------------------------------------------------------
 */

/* sts-policy-ext-name. \return 1 and a reason if invalid. */
static int
ext_name_bad(const char *p, size_t n, char *why, size_t size)
{
  struct mts_shown s;
  char d[160];

  if (n == 0) {
    (void)mts_frag(why, size, N_("the line has no field name before ':'"));
    return 1;
  }
  if (!is_alnum(p[0])) {
    (void)mts_frag(
        why, size,
        N_("the field name \"%s\" starts with %s: it must start with "
           "a letter or digit"),
        mts_show(&s, p, n), mts_describe_byte2(d, sizeof(d), p[0]));
    return 1;
  }
  for (size_t i = 1; i < n; i++) {
    if (!is_alnum(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.') {
      (void)mts_frag(why, size,
                     N_("the field name \"%s\" contains %s: only letters, "
                        "digits, '_', '-' and '.' are allowed"),
                     mts_show(&s, p, n),
                     mts_describe_byte2(d, sizeof(d), p[i]));
      return 1;
    }
  }
  if (n > EXT_NAME_MAX) {
    (void)mts_frag(
        why, size,
        N_("the field name \"%s\" is %zu characters long: at most 32 "
           "are allowed"),
        mts_show(&s, p, n), n);
    return 1;
  }
  return 0;
}

/* RFC 8461 §3.2: sts-policy-version-value = %s"STSv1" (R81). */
static enum mts_err
check_version(struct parse *ps, const char *v, size_t n)
{
  struct mts_shown s;

  ps->version = v;
  ps->version_len = n;
  if (span_eq(v, n, "STSv1")) {
    return MTS_OK;
  }
  if (n == 0) {
    return line_add(ps, MTS_F_POLICY_VERSION_INVALID,
                    "the version is empty: write \"version: STSv1\"");
  }
  if (span_eq_nocase(v, n, "STSv1")) {
    return line_add(ps, MTS_F_POLICY_VERSION_INVALID,
                    "the version \"%s\" must be written exactly \"STSv1\" "
                    "(it is case-sensitive)",
                    mts_show(&s, v, n));
  }
  return line_add(ps, MTS_F_POLICY_VERSION_INVALID,
                  "the version \"%s\" is not \"STSv1\": senders ignore the "
                  "policy",
                  mts_show(&s, v, n));
}

/* RFC 8461 §3.2: %s"testing" / %s"enforce" / %s"none" (R82-R84). */
static enum mts_err
check_mode(struct parse *ps, const char *v, size_t n)
{
  static const struct {
    const char *s;
    enum mts_policy_mode m;
  } modes[] = {{"enforce", MTS_MODE_ENFORCE},
               {"testing", MTS_MODE_TESTING},
               {"none", MTS_MODE_NONE}};
  struct mts_shown s;

  ps->mode_s = v;
  ps->mode_len = n;
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    if (span_eq(v, n, modes[i].s)) {
      ps->mode = modes[i].m;
      return MTS_OK;
    }
  }
  if (n == 0) {
    return line_add(ps, MTS_F_POLICY_MODE_INVALID,
                    "the mode is empty: write enforce, testing or none");
  }
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    if (span_eq_nocase(v, n, modes[i].s)) {
      return line_add(ps, MTS_F_POLICY_MODE_INVALID,
                      "the mode \"%s\" must be written in lower case, "
                      "\"%s\" (it is case-sensitive)",
                      mts_show(&s, v, n), modes[i].s);
    }
  }
  if (span_eq_nocase(v, n, "report")) {
    return line_add(ps, MTS_F_POLICY_MODE_INVALID,
                    "the mode \"%s\" comes from drafts before RFC 8461: "
                    "write \"testing\"",
                    mts_show(&s, v, n));
  }
  return line_add(ps, MTS_F_POLICY_MODE_INVALID,
                  "the mode \"%s\" is not enforce, testing or none",
                  mts_show(&s, v, n));
}

/* RFC 8461 §3.2: sts-policy-max-age-value = 1*10(DIGIT), at most 31557600
 * (R85, R86, A3). Decimal, leading zeros allowed; no strtol. */
static enum mts_err
check_max_age(struct parse *ps, const char *v, size_t n)
{
  struct mts_shown s;
  char d[160];
  unsigned long long value = 0;

  if (n == 0) {
    return line_add(ps, MTS_F_POLICY_MAX_AGE_INVALID,
                    "the max_age is empty: give a number of seconds, for "
                    "example 604800");
  }
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(v[i])) {
      return line_add(ps, MTS_F_POLICY_MAX_AGE_INVALID,
                      "the max_age \"%s\" contains %s: write whole seconds in "
                      "decimal digits only (no sign, unit, exponent or hex)",
                      mts_show(&s, v, n),
                      mts_describe_byte2(d, sizeof(d), v[i]));
    }
  }
  if (n > MAX_AGE_DIGITS) {
    return line_add(
        ps, MTS_F_POLICY_MAX_AGE_OUT_OF_RANGE,
        "the max_age \"%s\" has %zu digits: at most 10 are allowed, "
        "and the value at most 31557600 (one year)",
        mts_show(&s, v, n), n);
  }
  for (size_t i = 0; i < n; i++) {
    value = value * 10 + (unsigned)(v[i] - '0');
  }
  if (value > MAX_AGE_MAX) {
    return line_add(ps, MTS_F_POLICY_MAX_AGE_OUT_OF_RANGE,
                    "the max_age %llu is over the maximum of 31557600 seconds "
                    "(one year)",
                    value);
  }
  ps->max_age = (long)value;
  return MTS_OK;
}

/* RFC 5321 §4.1.2: Domain = sub-domain *("." sub-domain). \return 1 and a
 * reason if p is not one (or is all-numeric: an IPv4 address). */
static int
domain_bad(const char *p, size_t n, char *why, size_t size)
{
  size_t start = 0;
  int all_digits = 1;
  char d[160];

  if (n == 0) {
    (void)mts_frag(why, size, N_("no domain follows \"*.\""));
    return 1;
  }
  for (size_t i = 0; i <= n; i++) {
    if (i < n && p[i] != '.') {
      continue;
    }
    /* the label [start, i) */
    if (i == start) {
      (void)mts_frag(why, size,
                     N_("it has an empty label (two dots in a row, "
                        "or a dot at the start)"));
      return 1;
    }
    if (i - start > LABEL_MAX) {
      (void)mts_frag(
          why, size,
          N_("a label is %zu characters long: at most 63 are allowed"),
          i - start);
      return 1;
    }
    for (size_t k = start; k < i; k++) {
      if (p[k] == '_') {
        (void)mts_frag(why, size,
                       N_("it contains '_', which host names cannot "
                          "hold"));
        return 1;
      }
      if (!is_alnum(p[k]) && p[k] != '-') {
        (void)mts_frag(why, size,
                       N_("it contains %s: only letters, digits, '-' and '.' "
                          "are allowed"),
                       mts_describe_byte2(d, sizeof(d), p[k]));
        return 1;
      }
      if (!is_digit(p[k])) {
        all_digits = 0;
      }
    }
    if (p[start] == '-' || p[i - 1] == '-') {
      (void)mts_frag(why, size, N_("a label starts or ends with '-'"));
      return 1;
    }
    start = i + 1;
  }
  if (all_digits) {
    (void)mts_frag(why, size, N_("it is an IP address, not a host name"));
    return 1;
  }
  return 0;
}

/* \return 1 and a reason if the mx value (trailing dot removed) is not
 * ["*."] Domain (R90). */
static int
mx_bad(const char *p, size_t n, char *why, size_t size)
{
  char d[160];

  if (n == 0) {
    (void)mts_frag(why, size, N_("it is empty"));
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    if (uc(p[i]) >= 0x80) {
      (void)mts_frag(why, size,
                     N_("it contains %s: write an internationalised name as "
                        "its A-label (xn--...)"),
                     mts_describe_byte2(d, sizeof(d), p[i]));
      return 1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (p[i] == ',' || is_wsp(p[i])) {
      (void)mts_frag(why, size,
                     N_("it lists several values: each mx needs a "
                        "line \"mx: <host>\" of its own"));
      return 1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '/') {
      (void)mts_frag(why, size,
                     N_("it looks like a URL: give a host name only"));
      return 1;
    }
  }
  if (p[0] == '[' || memchr(p, ':', n) != NULL) {
    (void)mts_frag(why, size, N_("it is an address literal, not a host name"));
    return 1;
  }
  if (p[0] == '.') {
    (void)mts_frag(why, size,
                   N_("the leading-dot suffix form is from drafts before RFC "
                      "8461: write \"*%.*s\" to match one label"),
                   (int)(n > 200 ? 200 : n), p);
    return 1;
  }
  if (n > DOMAIN_MAX) {
    (void)mts_frag(why, size,
                   N_("it is %zu characters long: at most 253 are allowed"), n);
    return 1;
  }
  if (n >= 2 && p[0] == '*' && p[1] == '.') {
    p += 2;
    n -= 2;
  }
  if (memchr(p, '*', n) != NULL) {
    /* RFC 8461 §4.1: "'*' may only be used to match the entire left-most
     * label" (R90, R114). */
    (void)mts_frag(why, size,
                   N_("'*' may only stand for the whole left-most "
                      "label, as in \"*.example.com\""));
    return 1;
  }
  return domain_bad(p, n, why, size);
}

static enum mts_err
mx_push(struct parse *ps, char *s)
{
  if (ps->n_mx == ps->cap_mx) {
    size_t cap = ps->cap_mx ? ps->cap_mx * 2 : 4;
    char **v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      return MTS_ENOMEM;
    }
    v = realloc(ps->mx, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    ps->mx = v;
    ps->cap_mx = cap;
  }
  ps->mx[ps->n_mx++] = s;
  return MTS_OK;
}

/* RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain (R90-R93, R95). */
static enum mts_err
check_mx(struct parse *ps, const char *v, size_t n)
{
  char why[512];
  struct mts_shown s;
  size_t len = n;
  int trailing = 0, dup;
  char *norm;
  enum mts_err err;

  ps->n_mx_lines++;
  if (len > 1 && v[len - 1] == '.') {
    len--;
    trailing = 1;
  }
  if (mx_bad(v, len, why, sizeof(why))) {
    return line_add(ps, MTS_F_POLICY_MX_INVALID,
                    "the mx pattern \"%s\" is not a host name or "
                    "\"*.\" and a domain: %s",
                    mts_show(&s, v, n), why);
  }
  if (trailing) {
    /* A10: not a valid Domain; senders that compare literally never match
     * it. Use it without the dot. */
    err = line_add(ps, MTS_F_POLICY_MX_TRAILING_DOT,
                   "the mx pattern \"%s\" ends with a dot: write it without "
                   "one; it is used as \"%.*s\"",
                   mts_show(&s, v, n), (int)(len > 200 ? 200 : len), v);
    if (err != MTS_OK) {
      return err;
    }
  }
  /* R92: case-insensitive; keep the lowercase form. */
  norm = malloc(len + 1);
  if (norm == NULL) {
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < len; i++) {
    norm[i] = to_lower(v[i]);
  }
  norm[len] = '\0';
  if (mx_push(ps, norm) != MTS_OK) {
    free(norm);
    return MTS_ENOMEM;
  }
  dup = hset_add(&ps->mxset, norm, len);
  if (dup < 0) {
    return MTS_ENOMEM;
  }
  if (dup) {
    /* R93 */
    err = line_add(ps, MTS_F_POLICY_MX_DUPLICATE,
                   "the mx pattern \"%s\" is listed more than once",
                   mts_show(&s, norm, len));
    if (err != MTS_OK) {
      return err;
    }
  }
  if (norm[0] == '*' && memchr(norm + 2, '.', len - 2) == NULL) {
    /* R95, RFC 8461 §10.4: any host under the suffix with a certificate
     * passes MX validation. */
    return line_add(ps, MTS_F_POLICY_MX_WILDCARD_BROAD,
                    "the mx pattern \"%s\" matches hosts in a whole "
                    "top-level domain",
                    mts_show(&s, norm, len));
  }
  return MTS_OK;
}

/* An extension field (R79): any valid name and value; ignored. */
static enum mts_err
check_extension(struct parse *ps, const char *name, size_t nlen)
{
  struct mts_shown s;

  for (int k = 0; k < K__COUNT; k++) {
    if (span_looks_like(name, nlen, known_names[k])) {
      /* R78: field names are case-sensitive. */
      if (ps->like[k] == NULL) {
        ps->like[k] = name;
        ps->like_len[k] = nlen;
      }
      return line_add(ps, MTS_F_POLICY_UNKNOWN_KEY,
                      "the field \"%s\" is not \"%s\" (field names are "
                      "case-sensitive): senders ignore it",
                      mts_show(&s, name, nlen), known_names[k]);
    }
  }
  return line_add(ps, MTS_F_POLICY_UNKNOWN_KEY,
                  "the field \"%s\" is not defined by RFC 8461: senders "
                  "ignore it",
                  mts_show(&s, name, nlen));
}

/* One line without its terminator (R76-R93). */
static enum mts_err
parse_line(struct parse *ps)
{
  const char *l = ps->line;
  size_t n = ps->line_len, nlen, v, ve;
  const char *colon;
  char why[512], d[48];
  struct mts_shown s;
  int k, dup;

  v = 0;
  while (v < n && is_wsp(l[v])) {
    v++;
  }
  if (v == n) {
    /* R76, A9: the ABNF has no empty line, but every sender skips it. */
    return line_add(ps, MTS_F_POLICY_EMPTY_LINE,
                    n == 0 ? "the line is empty: remove it"
                           : "the line holds only whitespace: remove it");
  }
  if (v > 0) {
    /* R77, A9: no folding; some senders read the key as "  mode". */
    return line_add(ps, MTS_F_POLICY_LINE_SYNTAX,
                    "the line starts with whitespace, so senders may not "
                    "recognise the field: the line is ignored");
  }
  colon = memchr(l, ':', n);
  if (colon == NULL) {
    return line_add(ps, MTS_F_POLICY_LINE_SYNTAX,
                    "\"%s\" is not a field (\"name: value\"): the line is "
                    "ignored",
                    mts_show(&s, l, n));
  }
  nlen = (size_t)(colon - l);
  if (nlen > 0 && is_wsp(l[nlen - 1])) {
    return line_add(ps, MTS_F_POLICY_LINE_SYNTAX,
                    "there is whitespace before ':', so senders may not "
                    "recognise the field \"%s\": the line is ignored",
                    mts_show(&s, l, nlen));
  }
  if (ext_name_bad(l, nlen, why, sizeof(why))) {
    return line_add(ps, MTS_F_POLICY_LINE_SYNTAX, "%s: the line is ignored",
                    why);
  }
  /* sts-policy-field-delim = ":" *WSP; trailing *WSP is allowed. */
  v = nlen + 1;
  while (v < n && is_wsp(l[v])) {
    v++;
  }
  ve = n;
  while (ve > v && is_wsp(l[ve - 1])) {
    ve--;
  }
  for (size_t i = v; i < ve; i++) {
    if (is_ctl(l[i])) {
      return line_add(ps, MTS_F_POLICY_LINE_SYNTAX,
                      "the value of \"%s\" contains %s: the line is ignored",
                      mts_show(&s, l, nlen),
                      mts_describe_byte2(d, sizeof(d), l[i]));
    }
  }

  for (k = 0; k < K__COUNT; k++) {
    if (span_eq(l, nlen, known_names[k])) {
      break;
    }
  }
  if (k == K__COUNT) {
    /* sts-policy-ext-value: no CTL, no leading/trailing space; HTAB is
     * not allowed inside. */
    if (v == ve) {
      return line_add(ps, MTS_F_POLICY_LINE_SYNTAX,
                      "the field \"%s\" has an empty value: the line is "
                      "ignored",
                      mts_show(&s, l, nlen));
    }
    if (memchr(l + v, '\t', ve - v) != NULL) {
      return line_add(ps, MTS_F_POLICY_LINE_SYNTAX,
                      "the value of \"%s\" contains a tab: the line is "
                      "ignored",
                      mts_show(&s, l, nlen));
    }
  }
  if (k != K_MX) {
    /* RFC 8461 §3.2: "all entries except for the first SHALL be ignored"
     * (R80, A7). */
    dup = hset_add(&ps->names, l, nlen);
    if (dup < 0) {
      return MTS_ENOMEM;
    }
    if (dup) {
      return line_add(ps, MTS_F_POLICY_DUPLICATE_KEY,
                      "the field \"%s\" appears again: senders use only the "
                      "first one, and ignore this line",
                      mts_show(&s, l, nlen));
    }
  }
  if (k < K__COUNT) {
    ps->have[k] = 1;
  }
  switch (k) {
    case K_VERSION:
      return check_version(ps, l + v, ve - v);
    case K_MODE:
      return check_mode(ps, l + v, ve - v);
    case K_MAX_AGE:
      return check_max_age(ps, l + v, ve - v);
    case K_MX:
      return check_mx(ps, l + v, ve - v);
    default:
      return check_extension(ps, l, nlen);
  }
}

/* "" or " (\"Mode\" is a different field: ...)" for a missing field. */
static const char *
like_hint(const struct parse *ps, enum known k, char *buf, size_t size)
{
  struct mts_shown s;

  buf[0] = '\0';
  if (ps->like[k] != NULL) {
    (void)snprintf(buf, size,
                   " (\"%s\" is a different field: names are "
                   "case-sensitive)",
                   mts_show(&s, ps->like[k], ps->like_len[k]));
  }
  return buf;
}

/* The required fields and what the values mean together (R81-R89). */
static enum mts_err
check_required(struct parse *ps)
{
  char hint[256];
  enum mts_err err = MTS_OK;

  if (!ps->have[K_VERSION]) {
    err = addf(ps, MTS_F_POLICY_VERSION_MISSING, NULL, 0,
               "the policy has no \"version: STSv1\" line%s",
               like_hint(ps, K_VERSION, hint, sizeof(hint)));
  }
  if (err == MTS_OK && !ps->have[K_MODE]) {
    err = addf(ps, MTS_F_POLICY_MODE_MISSING, NULL, 0,
               "the policy has no mode line%s",
               like_hint(ps, K_MODE, hint, sizeof(hint)));
  } else if (err == MTS_OK && ps->mode == MTS_MODE_TESTING) {
    err = addf(ps, MTS_F_POLICY_MODE_TESTING, NULL, 0,
               "the mode is testing: senders report TLS failures but "
               "deliver anyway");
  } else if (err == MTS_OK && ps->mode == MTS_MODE_NONE) {
    err = addf(ps, MTS_F_POLICY_MODE_NONE, NULL, 0,
               "the mode is none: senders treat the domain as having no "
               "active policy");
  }
  if (err == MTS_OK && !ps->have[K_MAX_AGE]) {
    err = addf(ps, MTS_F_POLICY_MAX_AGE_MISSING, NULL, 0,
               "the policy has no max_age line%s",
               like_hint(ps, K_MAX_AGE, hint, sizeof(hint)));
  } else if (err == MTS_OK && ps->max_age >= 0 && ps->max_age < DAY &&
             (ps->mode == MTS_MODE_ENFORCE || ps->mode == MTS_MODE_TESTING)) {
    /* R87, A18: not for mode none. */
    err = addf(ps, MTS_F_POLICY_MAX_AGE_SHORT, NULL, 0,
               "the max_age is %ld seconds, less than a day: senders may "
               "forget the policy between fetches",
               ps->max_age);
  } else if (err == MTS_OK && ps->max_age >= DAY && ps->max_age < WEEK &&
             ps->mode == MTS_MODE_ENFORCE) {
    /* R88 */
    err = addf(ps, MTS_F_POLICY_MAX_AGE_BELOW_WEEK, NULL, 0,
               "the max_age is %ld seconds, less than a week", ps->max_age);
  }
  if (err == MTS_OK && ps->n_mx_lines == 0 && ps->mode != MTS_MODE_NONE) {
    /* R89: "required at least once, except when mode is none". */
    err = addf(ps, MTS_F_POLICY_MX_MISSING, NULL, 0,
               "the policy has no mx line%s",
               like_hint(ps, K_MX, hint, sizeof(hint)));
  }
  return err;
}

/* The end of the line starting at p: *next is where the next one starts,
 * *term says how the line ended. */
enum term {
  TERM_NONE,
  TERM_LF,
  TERM_CRLF,
  TERM_CR,
};

static size_t
line_end(const char *b, size_t n, size_t p, size_t *next, enum term *term)
{
  while (p < n && b[p] != '\n' && b[p] != '\r') {
    p++;
  }
  if (p == n) {
    *term = TERM_NONE;
    *next = n;
  } else if (b[p] == '\n') {
    *term = TERM_LF;
    *next = p + 1;
  } else if (p + 1 < n && b[p + 1] == '\n') {
    *term = TERM_CRLF;
    *next = p + 2;
  } else {
    *term = TERM_CR;
    *next = p + 1;
  }
  return p;
}

static enum mts_err
parse_body(struct parse *ps, const char *b, size_t n)
{
  size_t p = 0, n_lf = 0, n_cr = 0, n_bad = 0;
  size_t cr_line = 0, bad_line = 0, bad_col = 0;
  struct span cr_subj = {NULL, 0}, bad_subj = {NULL, 0};
  char bad_byte = 0, d[48];
  enum mts_err err = MTS_OK;

  if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
    /* R72, RFC 3629 §6: the first name becomes "\uFEFFversion". */
    size_t next;
    enum term t;
    size_t e = line_end(b, n, 3, &next, &t);
    err = addf(ps, MTS_F_POLICY_BOM, b, e,
               "the policy starts with a byte order mark (EF BB BF): many "
               "senders then see no version field");
    p = 3;
  }
  while (err == MTS_OK && p < n) {
    size_t next, e;
    enum term t;

    e = line_end(b, n, p, &next, &t);
    ps->line = b + p;
    ps->line_len = e - p;
    ps->lineno++;
    if (t == TERM_LF) {
      n_lf++;
    } else if (t == TERM_CR && n_cr++ == 0) {
      cr_line = ps->lineno;
      cr_subj.p = ps->line;
      cr_subj.n = ps->line_len;
    }
    /* R71: well-formed UTF-8 only. */
    for (size_t i = p; i < e;) {
      size_t l = utf8_len(b + i, e - i);
      if (l > 0) {
        i += l;
        continue;
      }
      if (n_bad++ == 0) {
        bad_line = ps->lineno;
        bad_col = i - p + 1;
        bad_byte = b[i];
        bad_subj.p = ps->line;
        bad_subj.n = ps->line_len;
      }
      i++;
    }
    err = parse_line(ps);
    p = next;
  }
  if (err == MTS_OK && n_bad > 0) {
    err = addf(ps, MTS_F_POLICY_NOT_UTF8, bad_subj.p, bad_subj.n,
               "line %zu, column %zu: %s does not start a valid UTF-8 "
               "sequence (%zu invalid bytes in all)",
               bad_line, bad_col, mts_describe_byte2(d, sizeof(d), bad_byte),
               n_bad);
  }
  if (err == MTS_OK && n_cr > 0) {
    /* R73: sts-policy-term = LF / CRLF; a lone CR is a CTL. */
    err = addf(ps, MTS_F_POLICY_BARE_CR, cr_subj.p, cr_subj.n,
               "line %zu ends with a carriage return that no line feed "
               "follows (%zu such line ends in all): senders read the "
               "lines as one",
               cr_line, n_cr);
  }
  if (err == MTS_OK && n_lf > 0) {
    /* R74, A1 (erratum 6253): valid by the ABNF, the prose says CRLF. */
    err = addf(ps, MTS_F_POLICY_LF_LINE_ENDINGS, NULL, 0,
               "lines end with LF alone rather than CRLF (%zu of them): "
               "valid, and every sender accepts it",
               n_lf);
  }
  if (err == MTS_OK) {
    err = check_required(ps);
  }
  for (int c = 0; c < MTS_F__COUNT && err == MTS_OK; c++) {
    if (ps->unlisted[c] > 0) {
      size_t more = ps->unlisted[c];
      ps->listed[c] = 0; /* the summary itself is always listed */
      err = addf(ps, (enum mts_code)c, NULL, 0,
                 "there are %zu more findings like the %d above, not listed",
                 more, SAME_MAX);
    }
  }
  return err;
}

static char *
dup_span(const char *p, size_t n, enum mts_err *err)
{
  char *s = malloc(n + 1);
  if (s == NULL) {
    *err = MTS_ENOMEM;
    return NULL;
  }
  if (n > 0) {
    memcpy(s, p, n);
  }
  s[n] = '\0';
  return s;
}

/* ---- public interface ------------------------------------------------- */

enum mts_err
mts_policy_parse(const char *body, size_t len, struct mts_policy *out,
                 struct mts_findings *findings)
{
  size_t n0 = findings->n;
  struct parse ps;
  char *version = NULL, *mode_s = NULL;
  enum mts_err err;

  memset(&ps, 0, sizeof(ps));
  ps.findings = findings;
  ps.mode = MTS_MODE_UNSET;
  ps.max_age = -1;
  if (body == NULL) {
    len = 0;
    body = "";
  }
  err = parse_body(&ps, body, len);
  if (err == MTS_OK && ps.version != NULL) {
    version = dup_span(ps.version, ps.version_len, &err);
  }
  if (err == MTS_OK && ps.mode_s != NULL) {
    mode_s = dup_span(ps.mode_s, ps.mode_len, &err);
  }
  if (err == MTS_OK) {
    out->valid = ps.errors == 0;
    out->mode = ps.mode;
    out->mode_str = mode_s;
    out->version = version;
    out->max_age = ps.max_age;
    out->mx = ps.mx;
    out->n_mx = ps.n_mx;
    mode_s = NULL;
    version = NULL;
    ps.mx = NULL;
    ps.n_mx = 0;
  }

  if (err != MTS_OK) {
    mts_findings_truncate(findings, n0);
  }
  free(version);
  free(mode_s);
  for (size_t i = 0; i < ps.n_mx; i++) {
    free(ps.mx[i]);
  }
  free(ps.mx);
  free(ps.names.v);
  free(ps.mxset.v);
  return err;
}

static enum mts_err
ct_add(struct mts_findings *f, enum mts_code code, const char *ct,
       const char *fmt, ...)
{
  struct parse ps;
  va_list ap;
  enum mts_err err;

  memset(&ps, 0, sizeof(ps));
  ps.findings = f;
  va_start(ap, fmt);
  err = vaddf(&ps, code, ct, ct ? strlen(ct) : 0, fmt, ap);
  va_end(ap);
  return err;
}

/* RFC 7230 §3.2.6 tchar. */
static int
is_tchar(char c)
{
  return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
mts_policy_check_content_type(const char *content_type,
                              struct mts_findings *findings)
{
  const char *ct = content_type;
  struct mts_shown s;
  size_t p = 0, n, t0, t1, slash;
  int ok;

  if (ct == NULL) {
    /* R60 */
    return ct_add(findings, MTS_F_POLICY_CONTENT_TYPE, NULL,
                  "the response has no Content-Type header: senders that "
                  "check it want text/plain") == MTS_OK
               ? 0
               : -1;
  }
  n = strlen(ct);
  while (p < n && is_wsp(ct[p])) {
    p++;
  }
  /* RFC 7231 §3.1.1.1: media-type = type "/" subtype *(OWS ";" OWS
   * parameter), case-insensitive. */
  t0 = p;
  while (p < n && is_tchar(ct[p])) {
    p++;
  }
  slash = p;
  if (p < n && ct[p] == '/') {
    p++;
    while (p < n && is_tchar(ct[p])) {
      p++;
    }
  }
  t1 = p;
  while (p < n && is_wsp(ct[p])) {
    p++;
  }
  ok = slash - t0 == 4 && span_eq_nocase(ct + t0, 4, "text") &&
       t1 - slash == 6 && span_eq_nocase(ct + slash, 6, "/plain") &&
       (p == n || ct[p] == ';');
  if (!ok) {
    return ct_add(findings, MTS_F_POLICY_CONTENT_TYPE, ct,
                  "the Content-Type is \"%s\", not text/plain: senders that "
                  "check it reject the policy",
                  mts_show(&s, ct, n)) == MTS_OK
               ? 0
               : -1;
  }
  /* Parameters: ignore all but charset (R61, A8). */
  while (p < n) {
    size_t a, b, vs, ve;
    p++; /* ';' */
    while (p < n && is_wsp(ct[p])) {
      p++;
    }
    a = p;
    while (p < n && is_tchar(ct[p])) {
      p++;
    }
    b = p;
    vs = ve = p;
    if (p < n && ct[p] == '=') {
      p++;
      vs = p;
      if (p < n && ct[p] == '"') {
        vs = ++p;
        while (p < n && ct[p] != '"') {
          p += ct[p] == '\\' && p + 1 < n ? 2 : 1;
        }
        ve = p;
        if (p < n) {
          p++;
        }
      } else {
        while (p < n && is_tchar(ct[p])) {
          p++;
        }
        ve = p;
      }
    }
    /* Skip anything malformed up to the next ';'. */
    while (p < n && ct[p] != ';') {
      p++;
    }
    if (b - a != 7 || !span_eq_nocase(ct + a, 7, "charset")) {
      continue;
    }
    /* Only the first charset parameter is judged. */
    if (!span_eq_nocase(ct + vs, ve - vs, "utf-8") &&
        !span_eq_nocase(ct + vs, ve - vs, "us-ascii")) {
      if (ct_add(findings, MTS_F_POLICY_CONTENT_TYPE_CHARSET, ct,
                 "the Content-Type names the charset \"%s\": the policy "
                 "is read as UTF-8 anyway",
                 mts_show(&s, ct + vs, ve - vs)) != MTS_OK) {
        return -1;
      }
    }
    break;
  }
  return 1;
}

const char *
mts_policy_mode_str(enum mts_policy_mode mode)
{
  switch (mode) {
    case MTS_MODE_ENFORCE:
      return "enforce";
    case MTS_MODE_TESTING:
      return "testing";
    case MTS_MODE_NONE:
      return "none";
    case MTS_MODE_UNSET:
      break;
  }
  return NULL;
}

void
mts_policy_release(struct mts_policy *p)
{
  if (p == NULL) {
    return;
  }
  free(p->mode_str);
  free(p->version);
  for (size_t i = 0; i < p->n_mx; i++) {
    free(p->mx[i]);
  }
  free(p->mx);
  memset(p, 0, sizeof(*p));
}
