/* Validators for the _mta-sts (RFC 8461 §3.1) and _smtp._tls (RFC 8460 §3)
 * TXT records: rfc-rules.md §3 (R19, R24-R41) and §8 (R118-R134), with the
 * errata decisions A2, A16, A19, A20 and A21.
 *
 * Every record is a borrowed byte string that may hold any octet: nothing
 * here assumes NUL termination, recurses, keeps state between calls or does
 * I/O. Findings name the offending part of a record, escaped for a person to
 * read (mts_show()).
 *
 * Decisions the rules leave open, taken here:
 * - The id of a single candidate record is returned (mts_sts.id) whenever
 *   the first id field is valid in form (1*32 ALPHA/DIGIT), even when the
 *   record is invalid for another reason: the administrator sees which id was
 *   published. Consumers must look at the status before relying on it.
 * - mts_sts.selected: the only candidate; with several candidates the
 *   first one; with no candidate but STS-looking records the first of those;
 *   otherwise 0.
 * - mts_tlsrpt.rua: every non-empty element of every rua field of the only
 *   candidate, as written (invalid ones and repeats included), so the
 *   administrator sees what was published; the status says whether senders
 *   use them. A URI holding a NUL byte is cut there in its C string (the
 *   findings keep the full bytes).
 * - With several candidates none of them is parsed: the headline finding
 *   STS_RECORD_MULTIPLE (subject NULL: it is about the set) says what to fix.
 *   STS-looking malformed records next to one or more candidates get
 *   STS_MALFORMED_DISCARDED each.
 * - With no candidate, each STS-looking record gets its specific code
 *   (A21): STS_VERSION_NOT_FIRST when an exact "v=STSv1" field appears after
 *   byte 0, else STS_VERSION_INVALID.
 * - A byte outside printable US-ASCII (a CTL other than HTAB, or >= 0x7f) in
 *   an MTA-STS candidate is reported once, by STS_RECORD_NOT_ASCII; the field
 *   holding it gets no STS_RECORD_SYNTAX of its own. The id is the exception:
 *   an id holding such a byte also gets STS_ID_INVALID, since it cannot be
 *   used. RFC 8460 has no NOT_ASCII code: there such bytes are
 *   TLSRPT_RECORD_SYNTAX (R127) or, inside a URI, TLSRPT_RUA_INVALID_URI.
 * - TLS-RPT has no code for trailing whitespace or a repeated v field: both
 *   are accepted silently (every sender trims; first wins).
 * - A rua element holding whitespace followed by name=... reads as a missing
 *   ';' between fields (TLSRPT_RECORD_SYNTAX), not as one URI with a space.
 * - STS_RECORD_LARGE / TLSRPT_RECORD_LARGE (R19) are about the parsed
 *   candidate only, not about unrelated or malformed records.
 * - A finding may copy its whole record (up to 64 KiB), so a record lists
 *   at most SAME_MAX findings of one code, then one finding that counts the
 *   rest; unlisted errors still make the record invalid.
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

#define STS_VERSION "v=STSv1"
#define TLSRPT_VERSION "v=TLSRPTv1"
#define RECORD_LARGE 450 /* RFC 7208 §3.4, by analogy (R19) */
#define ID_MAX 32        /* RFC 8461 §3.1: 1*32(ALPHA / DIGIT) */
#define EXT_NAME_MAX 32  /* (ALPHA / DIGIT) *31(...) */
#define SAME_MAX 10      /* findings of one code listed per record */
#define MSG_MAX 1024

enum kind {
  KIND_STS,
  KIND_TLSRPT,
};

/* R25: how a TXT record relates to the protocol. */
enum rclass {
  RC_UNRELATED,
  RC_LOOKING,
  RC_CANDIDATE,
};

/* A quoted, escaped excerpt of a record for a message. */
struct span {
  const char *p;
  size_t n;
};

struct spans {
  struct span *v;
  size_t n;
  size_t cap;
};

/* The state of parsing one candidate record. */
struct parse {
  struct mts_findings *findings;
  const char *r; /* the record */
  size_t n;
  enum kind kind;
  size_t errors; /* error findings about this record */
  /* MTA-STS */
  int have_id;
  const char *id; /* the first id value */
  size_t id_len;
  int id_ok;
  const char *id_like; /* a field named "ID", "Id"...: for a hint */
  size_t id_like_len;
  struct spans names; /* extension names seen, for duplicates */
  /* TLS-RPT */
  size_t n_rua_fields;
  size_t n_usable;
  const char *rua_like; /* a field named "RUA", "Rua"...: for a hint */
  size_t rua_like_len;
  struct spans uris; /* every rua URI, in order */
  /* Findings of each code about this record, listed and not listed. */
  size_t listed[MTS_F__COUNT];
  size_t unlisted[MTS_F__COUNT];
};

/* What the classification of all records found. */
struct census {
  size_t n_cand;
  size_t n_looking;
  size_t first_cand;
  size_t first_looking;
};

enum uri_kind {
  URI_INVALID,
  URI_OTHER,
  URI_MAILTO,
  URI_HTTPS,
};

static enum mts_err vaddf(struct mts_findings *f, size_t *errors,
                          enum mts_code code, const char *subj, size_t subj_len,
                          const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
static enum mts_err addf(struct mts_findings *f, size_t *errors,
                         enum mts_code code, const char *subj, size_t subj_len,
                         const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static enum mts_err vpadd(struct parse *ps, enum mts_code code,
                          const char *subj, size_t subj_len, const char *fmt,
                          va_list ap) __attribute__((format(printf, 5, 0)));
static enum mts_err padd(struct parse *ps, enum mts_code code, const char *subj,
                         size_t subj_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static enum mts_err rec_add(struct parse *ps, enum mts_code code,
                            const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- characters ---------------------------------------------------- */

/* Any ASCII white space: only for the lenient R25 classification. */
static int
is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

static int
is_alpha(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_hex(char c)
{
  return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* RFC 8461 §3.1: records MUST be US-ASCII; the ABNF excludes CTLs except
 * HTAB, which WSP allows in a delimiter. */
static int
is_bad(char c)
{
  return (uc(c) < 0x20 && c != '\t') || uc(c) >= 0x7f;
}

/* sts-ext-value / tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E) */
static int
is_ext_value_char(char c)
{
  return (uc(c) >= 0x21 && uc(c) <= 0x3a) || uc(c) == 0x3c ||
         (uc(c) >= 0x3e && uc(c) <= 0x7e);
}

/* sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static int
is_ext_name_char(char c)
{
  return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static size_t
skip_wsp(const char *r, size_t n, size_t p)
{
  while (p < n && is_wsp(r[p])) {
    p++;
  }
  return p;
}

static int
has_bad(const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (is_bad(p[i])) {
      return 1;
    }
  }
  return 0;
}

static int
prefix_nocase(const char *p, size_t n, const char *s, size_t sl)
{
  if (n < sl) {
    return 0;
  }
  for (size_t i = 0; i < sl; i++) {
    if (to_lower(p[i]) != to_lower(s[i])) {
      return 0;
    }
  }
  return 1;
}

/* ---- findings and spans ------------------------------------------------ */

static enum mts_err
vaddf(struct mts_findings *f, size_t *errors, enum mts_code code,
      const char *subj, size_t subj_len, const char *fmt, va_list ap)
{
  char msg[MSG_MAX], loc[MSG_MAX];
  enum mts_err err;

  mts_vformat2(msg, loc, sizeof(msg), fmt, ap);
  mts_sentence2(msg, loc, sizeof(msg));
  err = mts_findings_add_text(f, code, mts_code_severity(code), subj, subj_len,
                              msg, loc);
  if (err == MTS_OK && errors != NULL &&
      mts_code_severity(code) == MTS_SEV_ERROR) {
    (*errors)++;
  }
  return err;
}

static enum mts_err
addf(struct mts_findings *f, size_t *errors, enum mts_code code,
     const char *subj, size_t subj_len, const char *fmt, ...)
{
  va_list ap;
  enum mts_err err;

  va_start(ap, fmt);
  err = vaddf(f, errors, code, subj, subj_len, fmt, ap);
  va_end(ap);
  return err;
}

/* A finding about the record being parsed. Each finding may copy the whole
 * record (up to 64 KiB), so past SAME_MAX findings of one code only a count
 * is kept (parse_candidate then adds one finding saying so); an error not
 * listed still makes the record invalid. */
static enum mts_err
vpadd(struct parse *ps, enum mts_code code, const char *subj, size_t subj_len,
      const char *fmt, va_list ap)
{
  if (ps->listed[code] >= SAME_MAX) {
    ps->unlisted[code]++;
    if (mts_code_severity(code) == MTS_SEV_ERROR) {
      ps->errors++;
    }
    return MTS_OK;
  }
  ps->listed[code]++;
  return vaddf(ps->findings, &ps->errors, code, subj, subj_len, fmt, ap);
}

static enum mts_err
padd(struct parse *ps, enum mts_code code, const char *subj, size_t subj_len,
     const char *fmt, ...)
{
  va_list ap;
  enum mts_err err;

  va_start(ap, fmt);
  err = vpadd(ps, code, subj, subj_len, fmt, ap);
  va_end(ap);
  return err;
}

/* A finding about the record being parsed; its subject is the record. */
static enum mts_err
rec_add(struct parse *ps, enum mts_code code, const char *fmt, ...)
{
  va_list ap;
  enum mts_err err;

  va_start(ap, fmt);
  err = vpadd(ps, code, ps->r, ps->n, fmt, ap);
  va_end(ap);
  return err;
}

static enum mts_err
spans_push(struct spans *s, const char *p, size_t n)
{
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    struct span *v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      return MTS_ENOMEM;
    }
    v = realloc(s->v, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n].p = p;
  s->v[s->n].n = n;
  s->n++;
  return MTS_OK;
}

static int
spans_has(const struct spans *s, const char *p, size_t n)
{
  for (size_t i = 0; i < s->n; i++) {
    if (s->v[i].n == n && (n == 0 || memcmp(s->v[i].p, p, n) == 0)) {
      return 1;
    }
  }
  return 0;
}

static enum mts_code
syntax_code(const struct parse *ps)
{
  return ps->kind == KIND_STS ? MTS_F_STS_RECORD_SYNTAX
                              : MTS_F_TLSRPT_RECORD_SYNTAX;
}

static const char *
version_of(enum kind kind)
{
  return kind == KIND_STS ? STS_VERSION : TLSRPT_VERSION;
}

/* ---- classification (R25, R120) ---------------------------------------- */

/* R25: a candidate starts with the exact bytes of the version followed by
 * ';', WSP or the end; an STS-looking record has a field named v (any case,
 * any spacing) whose value starts with "sts" (any case; R120: "tlsrpt" for
 * TLS-RPT). For such a record, *vf and *vfl give that field, trimmed. */
static enum rclass
classify(enum kind kind, const char *r, size_t n, size_t *vf, size_t *vfl)
{
  const char *version = version_of(kind);
  const char *prefix = kind == KIND_STS ? "sts" : "tlsrpt";
  size_t vlen = strlen(version);
  size_t plen = strlen(prefix);
  size_t p = 0;

  /* RFC 8461 §3.1: "Records that do not begin with "v=STSv1;" are
   * discarded"; the ABNF also allows WSP or the end after the version. */
  if (n >= vlen && memcmp(r, version, vlen) == 0 &&
      (n == vlen || r[vlen] == ';' || is_wsp(r[vlen]))) {
    return RC_CANDIDATE;
  }
  for (;;) {
    size_t q = p, a, b, eq;
    while (q < n && r[q] != ';') {
      q++;
    }
    a = p;
    while (a < q && is_space(r[a])) {
      a++;
    }
    b = q;
    while (b > a && is_space(r[b - 1])) {
      b--;
    }
    eq = a;
    while (eq < b && r[eq] != '=') {
      eq++;
    }
    if (eq < b) {
      size_t ne = eq, vs = eq + 1;
      while (ne > a && is_space(r[ne - 1])) {
        ne--;
      }
      while (vs < b && is_space(r[vs])) {
        vs++;
      }
      if (ne - a == 1 && to_lower(r[a]) == 'v' &&
          prefix_nocase(r + vs, b - vs, prefix, plen)) {
        *vf = a;
        *vfl = b - a;
        return RC_LOOKING;
      }
    }
    if (q >= n) {
      break;
    }
    p = q + 1;
  }
  return RC_UNRELATED;
}

/* R31, R124: the exact version appears as a field, but not at byte 0.
 * \return its offset, or 0 if it does not. */
static size_t
version_offset(enum kind kind, const char *r, size_t n)
{
  const char *version = version_of(kind);
  size_t vlen = strlen(version);
  size_t p = 0;

  for (;;) {
    size_t q = p, a;
    while (q < n && r[q] != ';') {
      q++;
    }
    a = p;
    while (a < q && is_space(r[a])) {
      a++;
    }
    if (a > 0 && q - a >= vlen && memcmp(r + a, version, vlen) == 0 &&
        (q - a == vlen || is_space(r[a + vlen]))) {
      return a;
    }
    if (q >= n) {
      break;
    }
    p = q + 1;
  }
  return 0;
}

static void
census_take(enum kind kind, const struct mts_txt *recs, size_t n,
            struct census *cs)
{
  memset(cs, 0, sizeof(*cs));
  for (size_t i = 0; i < n; i++) {
    size_t vf, vfl;
    switch (classify(kind, recs[i].data, recs[i].len, &vf, &vfl)) {
      case RC_CANDIDATE:
        if (cs->n_cand++ == 0) {
          cs->first_cand = i;
        }
        break;
      case RC_LOOKING:
        if (cs->n_looking++ == 0) {
          cs->first_looking = i;
        }
        break;
      case RC_UNRELATED:
        break;
    }
  }
}

/* A21, R30, R31 (R123, R124): the specific code for an STS-looking record
 * when there is no candidate. */
static enum mts_err
report_malformed(enum kind kind, const struct mts_txt *rec, size_t vf,
                 size_t vfl, struct mts_findings *f, size_t *errors)
{
  const char *version = version_of(kind);
  const char *r = rec->data;
  size_t n = rec->len;
  size_t at = version_offset(kind, r, n);
  struct mts_shown s1, s2;
  size_t a = 0, b;

  if (at == 0) {
    /* RFC 8461 §3.1 ABNF: sts-version = %s"v=STSv1" (RFC 8460 §3:
     * tlsrpt-version = %s"v=TLSRPTv1"): case-sensitive, no WSP. Quote the
     * field as written, up to its ';'. */
    b = vf + vfl;
    while (b < n && r[b] != ';') {
      b++;
    }
    while (b > vf && is_wsp(r[b - 1])) {
      b--;
    }
    return addf(f, errors,
                kind == KIND_STS ? MTS_F_STS_VERSION_INVALID
                                 : MTS_F_TLSRPT_VERSION_INVALID,
                r, n,
                "the version field \"%s\" is not exactly \"%s\": the version "
                "is case-sensitive, with no spaces around '='",
                mts_show(&s1, r + vf, b - vf), version);
  }
  /* RFC 8461 §3.1: "The TXT record MUST begin with the sts-version
   * field"; RFC 8460 §3: the record starts with tlsrpt-version. */
  while (a < at && is_space(r[a])) {
    a++;
  }
  if (a == at) {
    return addf(f, errors,
                kind == KIND_STS ? MTS_F_STS_VERSION_NOT_FIRST
                                 : MTS_F_TLSRPT_VERSION_NOT_FIRST,
                r, n,
                "the record starts with whitespace before \"%s\": the "
                "version must be its very first bytes",
                version);
  }
  b = at;
  while (b > 0 && (is_space(r[b - 1]) || r[b - 1] == ';')) {
    b--;
  }
  return addf(f, errors,
              kind == KIND_STS ? MTS_F_STS_VERSION_NOT_FIRST
                               : MTS_F_TLSRPT_VERSION_NOT_FIRST,
              r, n,
              "the version \"%s\" comes after \"%s\": it must be the very "
              "first field of the record",
              version, mts_show(&s2, r, b));
}

/* ---- field checks --------------------------------------------------------
 */

/* sts-ext-name / tlsrpt-ext-name. \return 1 and a reason if invalid. */
static int
ext_name_bad(const char *p, size_t n, char *why, size_t size)
{
  struct mts_shown s;
  char d[160];

  if (n == 0) {
    (void)mts_frag(why, size, N_("a field has no name before '='"));
    return 1;
  }
  if (!is_alnum(p[0])) {
    (void)mts_frag(
        why, size,
        N_("the field name \"%s\" starts with %s: it must start with a "
           "letter or digit"),
        mts_show(&s, p, n), mts_describe_byte2(d, sizeof(d), p[0]));
    return 1;
  }
  if (n > EXT_NAME_MAX) {
    (void)mts_frag(
        why, size,
        N_("the field name \"%s\" is %zu characters long: at most 32 are "
           "allowed"),
        mts_show(&s, p, n), n);
    return 1;
  }
  for (size_t i = 1; i < n; i++) {
    if (!is_ext_name_char(p[i])) {
      (void)mts_frag(
          why, size,
          N_("the field name \"%s\" contains %s: only letters, digits, "
             "'_', '-' and '.' are allowed"),
          mts_show(&s, p, n), mts_describe_byte2(d, sizeof(d), p[i]));
      return 1;
    }
  }
  return 0;
}

/* sts-ext-value / tlsrpt-ext-value. \return 1 and a reason if invalid. */
static int
ext_value_bad(const char *name, size_t nlen, const char *p, size_t n, char *why,
              size_t size)
{
  struct mts_shown s;
  char d[160];

  if (n == 0) {
    (void)mts_frag(why, size, N_("the field \"%s\" has an empty value"),
                   mts_show(&s, name, nlen));
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    if (!is_ext_value_char(p[i])) {
      (void)mts_frag(why, size, N_("the value of the field \"%s\" contains %s"),
                     mts_show(&s, name, nlen),
                     mts_describe_byte2(d, sizeof(d), p[i]));
      return 1;
    }
  }
  return 0;
}

/* RFC 8461 §3.1: sts-id = %s"id=" 1*32(ALPHA / DIGIT) (R37). */
static enum mts_err
check_id(struct parse *ps, const char *v, size_t vlen)
{
  struct mts_shown s;
  char d[160];

  if (vlen == 0) {
    return rec_add(ps, MTS_F_STS_ID_INVALID,
                   "the id is empty: it must be 1 to 32 letters or digits");
  }
  for (size_t i = 0; i < vlen; i++) {
    if (!is_alnum(v[i])) {
      return rec_add(ps, MTS_F_STS_ID_INVALID,
                     "the id \"%s\" contains %s: only letters and digits "
                     "are allowed",
                     mts_show(&s, v, vlen),
                     mts_describe_byte2(d, sizeof(d), v[i]));
    }
  }
  if (vlen > ID_MAX) {
    return rec_add(ps, MTS_F_STS_ID_INVALID,
                   "the id \"%s\" is %zu characters long: at most 32 are "
                   "allowed",
                   mts_show(&s, v, vlen), vlen);
  }
  ps->id_ok = 1;
  return MTS_OK;
}

/* One field of an MTA-STS candidate after the version (R36-R41). */
static enum mts_err
sts_field(struct parse *ps, const char *name, size_t nlen, const char *v,
          size_t vlen)
{
  char why[512];
  struct mts_shown s1, s2;
  enum mts_err err;
  int bad = has_bad(name, nlen) || has_bad(v, vlen);
  int name_bad, value_bad;

  if (span_eq(name, nlen, "id")) {
    if (ps->have_id) {
      /* RFC 8461 §3.2: "If any non-repeated field ... is duplicated, all
       * entries except for the first SHALL be ignored" (R40, A7). */
      err = rec_add(ps, MTS_F_STS_DUPLICATE_FIELD,
                    "the id field appears again (\"id=%s\"): senders use "
                    "only the first one",
                    mts_show(&s1, v, vlen));
      if (err == MTS_OK && !bad &&
          ext_value_bad(name, nlen, v, vlen, why, sizeof(why))) {
        err = rec_add(ps, MTS_F_STS_RECORD_SYNTAX, "%s", why);
      }
      return err;
    }
    ps->have_id = 1;
    ps->id = v;
    ps->id_len = vlen;
    return check_id(ps, v, vlen);
  }
  if (span_eq(name, nlen, "v")) {
    /* R40: v again later; the first (the version) wins. */
    err = rec_add(ps, MTS_F_STS_DUPLICATE_FIELD,
                  "the v field appears again (\"v=%s\"): senders use only "
                  "the first one",
                  mts_show(&s1, v, vlen));
    if (err == MTS_OK && !bad &&
        ext_value_bad(name, nlen, v, vlen, why, sizeof(why))) {
      err = rec_add(ps, MTS_F_STS_RECORD_SYNTAX, "%s", why);
    }
    return err;
  }
  if (bad) {
    return MTS_OK; /* STS_RECORD_NOT_ASCII already says it */
  }
  /* RFC 8461 §3.1: sts-extension = sts-ext-name "=" sts-ext-value (R38). */
  name_bad = ext_name_bad(name, nlen, why, sizeof(why));
  if (name_bad) {
    err = rec_add(ps, MTS_F_STS_RECORD_SYNTAX, "%s", why);
    if (err != MTS_OK) {
      return err;
    }
  }
  value_bad = ext_value_bad(name, nlen, v, vlen, why, sizeof(why));
  if (value_bad) {
    err = rec_add(ps, MTS_F_STS_RECORD_SYNTAX, "%s", why);
    if (err != MTS_OK) {
      return err;
    }
  }
  if (name_bad) {
    return MTS_OK;
  }
  if (span_eq_nocase(name, nlen, "id") && ps->id_like == NULL) {
    ps->id_like = name;
    ps->id_like_len = nlen;
  }
  if (spans_has(&ps->names, name, nlen)) {
    /* RFC 8461 §3.2: duplicates after the first are ignored (R40). */
    return rec_add(ps, MTS_F_STS_DUPLICATE_FIELD,
                   "the field \"%s\" appears more than once: senders use "
                   "only the first one",
                   mts_show(&s1, name, nlen));
  }
  err = spans_push(&ps->names, name, nlen);
  if (err != MTS_OK || value_bad) {
    return err;
  }
  /* RFC 8461 §3.2: "unknown fields SHALL be ignored" (R39). */
  if (span_eq_nocase(name, nlen, "id")) {
    return rec_add(ps, MTS_F_STS_UNKNOWN_FIELD,
                   "the field \"%s=%s\" is not the id field (field names "
                   "are case-sensitive: write \"id\"): senders ignore it",
                   mts_show(&s1, name, nlen), mts_show(&s2, v, vlen));
  }
  return rec_add(ps, MTS_F_STS_UNKNOWN_FIELD,
                 "the field \"%s\" is not defined by RFC 8461: senders "
                 "ignore it",
                 mts_show(&s1, name, nlen));
}

/* One field of a TLS-RPT candidate other than rua (R126, R127, R134). */
static enum mts_err
tlsrpt_field(struct parse *ps, const char *name, size_t nlen, const char *v,
             size_t vlen)
{
  char why[512];
  struct mts_shown s1;
  enum mts_err err;
  int name_bad, value_bad;

  if (span_eq(name, nlen, "v")) {
    /* A repeated version: the first wins, as RFC 8461 §3.2 says for STS. */
    if (ext_value_bad(name, nlen, v, vlen, why, sizeof(why))) {
      return rec_add(ps, MTS_F_TLSRPT_RECORD_SYNTAX, "%s", why);
    }
    return rec_add(ps, MTS_F_TLSRPT_DUPLICATE_FIELD,
                   "the v field appears again (\"v=%s\"): senders use only "
                   "the first one",
                   mts_show(&s1, v, vlen));
  }
  /* RFC 8460 §3: tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value */
  name_bad = ext_name_bad(name, nlen, why, sizeof(why));
  if (name_bad) {
    err = rec_add(ps, MTS_F_TLSRPT_RECORD_SYNTAX, "%s", why);
    if (err != MTS_OK) {
      return err;
    }
  }
  value_bad = ext_value_bad(name, nlen, v, vlen, why, sizeof(why));
  if (value_bad) {
    err = rec_add(ps, MTS_F_TLSRPT_RECORD_SYNTAX, "%s", why);
    if (err != MTS_OK) {
      return err;
    }
  }
  if (name_bad) {
    return MTS_OK;
  }
  /* R126: "RUA=" and "Rua=" are extension fields. */
  if (span_eq_nocase(name, nlen, "rua") && ps->rua_like == NULL) {
    ps->rua_like = name;
    ps->rua_like_len = nlen;
  }
  if (value_bad) {
    return MTS_OK;
  }
  /* RFC 8460 §3: "unknown fields SHALL be ignored" (R134). */
  if (span_eq_nocase(name, nlen, "rua")) {
    return rec_add(ps, MTS_F_TLSRPT_UNKNOWN_FIELD,
                   "the field \"%s\" is not the rua field (field names are "
                   "case-sensitive: write \"rua\"): senders ignore it",
                   mts_show(&s1, name, nlen));
  }
  return rec_add(ps, MTS_F_TLSRPT_UNKNOWN_FIELD,
                 "the field \"%s\" is not defined by RFC 8460: senders "
                 "ignore it",
                 mts_show(&s1, name, nlen));
}

/* ---- URIs (RFC 3986, RFC 8460 §3) ------------------------------------- */

static int
is_unreserved(char c)
{
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 §2.2 sub-delims */
static int
is_sub_delim(char c)
{
  return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/* RFC 3986 §2.2 gen-delims */
static int
is_gen_delim(char c)
{
  return c != '\0' && strchr(":/?#[]@", c) != NULL;
}

/* RFC 3986 §3.2.2 reg-name, one character (pct-encoded checked apart) */
static int
is_reg_name_char(char c)
{
  return is_unreserved(c) || is_sub_delim(c) || c == '%';
}

/* Judge one rua element as an RFC 3986 absolute URI plus the mailto: and
 * https: specifics of R129. On URI_INVALID, why says what is wrong; on
 * any other result, *scheme_len is the length of the scheme. */
static enum uri_kind
uri_check(const char *u, size_t n, size_t *scheme_len, char *why, size_t size)
{
  struct mts_shown s;
  char d[160];
  size_t i = 0, rest, h0 = 0, h1 = 0, hashes = 0;
  int has_auth = 0, bracket_host = 0;

  /* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
  if (n > 0 && is_alpha(u[0])) {
    for (i = 1; i < n; i++) {
      if (!is_alnum(u[i]) && u[i] != '+' && u[i] != '-' && u[i] != '.') {
        break;
      }
    }
  }
  if (i == 0 || i >= n || u[i] != ':') {
    if (memchr(u, '@', n) != NULL) {
      (void)mts_frag(
          why, size,
          N_("it has no scheme; write a mail address as \"mailto:%s\""),
          mts_show(&s, u, n));
    } else {
      (void)mts_frag(why, size,
                     N_("it has no scheme such as \"mailto:\" or \"https:\""));
    }
    return URI_INVALID;
  }
  *scheme_len = i;
  rest = i + 1;

  /* RFC 3986 §2: the characters; RFC 8460 §3: ',', '!' and ';' MUST be
   * percent-encoded. */
  for (size_t j = rest; j < n; j++) {
    char c = u[j];
    if (c == '%') {
      if (n - j >= 3 && is_hex(u[j + 1]) && is_hex(u[j + 2])) {
        j += 2;
        continue;
      }
      (void)mts_frag(
          why, size,
          N_("\"%s\" is not a valid percent-escape (write %%25 for a "
             "literal '%%')"),
          mts_show(&s, u + j, n - j >= 3 ? 3 : n - j));
      return URI_INVALID;
    }
    if (c == '!') {
      /* A20: DMARC's "!10m" size suffix is not part of TLS-RPT. */
      (void)mts_frag(
          why, size,
          N_("it contains a raw '!', which must be written %%21 (the "
             "DMARC size suffix \"!10m\" is not allowed in TLS-RPT)"));
      return URI_INVALID;
    }
    if (c == ',' || c == ';') {
      (void)mts_frag(why, size,
                     N_("it contains a raw '%c', which must be written %s"), c,
                     c == ',' ? "%2C" : "%3B");
      return URI_INVALID;
    }
    if (c == '#' && ++hashes > 1) {
      (void)mts_frag(why, size, N_("it contains more than one '#'"));
      return URI_INVALID;
    }
    if (!is_unreserved(c) && !is_sub_delim(c) && !is_gen_delim(c)) {
      (void)mts_frag(why, size,
                     N_("it contains %s, which must be percent-encoded"),
                     mts_describe_byte2(d, sizeof(d), c));
      return URI_INVALID;
    }
  }

  /* RFC 3986 §3: hier-part = "//" authority path-abempty / path-... */
  if (n - rest >= 2 && u[rest] == '/' && u[rest + 1] == '/') {
    size_t a0 = rest + 2, a1 = a0;
    has_auth = 1;
    while (a1 < n && u[a1] != '/' && u[a1] != '?' && u[a1] != '#') {
      a1++;
    }
    /* authority = [ userinfo "@" ] host [ ":" port ] */
    h0 = a0;
    for (size_t k = a0; k < a1; k++) {
      if (u[k] == '@') {
        h0 = k + 1;
      }
    }
    if (h0 < a1 && u[h0] == '[') {
      /* RFC 3986 §3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]" */
      h1 = h0 + 1;
      while (h1 < a1 && u[h1] != ']') {
        if (!is_hex(u[h1]) && u[h1] != ':' && u[h1] != '.' && u[h1] != 'v' &&
            u[h1] != 'V') {
          (void)mts_frag(why, size, N_("the IP literal host contains %s"),
                         mts_describe_byte2(d, sizeof(d), u[h1]));
          return URI_INVALID;
        }
        h1++;
      }
      if (h1 >= a1 || h1 == h0 + 1) {
        (void)mts_frag(why, size,
                       N_("the IP literal host \"%s\" is not closed by "
                          "']' or is empty"),
                       mts_show(&s, u + h0, a1 - h0));
        return URI_INVALID;
      }
      h1++; /* past ']' */
      bracket_host = 1;
    } else {
      h1 = h0;
      while (h1 < a1 && u[h1] != ':') {
        if (!is_reg_name_char(u[h1])) {
          (void)mts_frag(why, size, N_("the host contains %s"),
                         mts_describe_byte2(d, sizeof(d), u[h1]));
          return URI_INVALID;
        }
        h1++;
      }
    }
    /* port = *DIGIT */
    if (h1 < a1) {
      if (u[h1] != ':') {
        (void)mts_frag(why, size,
                       N_("the host is followed by %s instead of ':'"),
                       mts_describe_byte2(d, sizeof(d), u[h1]));
        return URI_INVALID;
      }
      for (size_t k = h1 + 1; k < a1; k++) {
        if (!is_digit(u[k])) {
          (void)mts_frag(why, size, N_("the port \"%s\" is not a number"),
                         mts_show(&s, u + h1 + 1, a1 - h1 - 1));
          return URI_INVALID;
        }
      }
    }
  }
  /* '[' and ']' are allowed only around an IP literal host. */
  for (size_t j = rest; j < n; j++) {
    if ((u[j] == '[' || u[j] == ']') &&
        !(bracket_host && (j == h0 || j == h1 - 1))) {
      (void)mts_frag(why, size,
                     N_("it contains '%c', which must be percent-encoded"),
                     u[j]);
      return URI_INVALID;
    }
  }

  if (span_eq_nocase(u, i, "mailto")) {
    /* RFC 6068: mailto:addr-spec, no authority; R129: local@domain with
     * both parts non-empty. */
    size_t t1 = rest, at = SIZE_MAX;
    if (has_auth) {
      (void)mts_frag(why, size,
                     N_("a mailto: URI takes no \"//\": write "
                        "\"mailto:user@example.com\""));
      return URI_INVALID;
    }
    while (t1 < n && u[t1] != '?' && u[t1] != '#') {
      if (u[t1] == '@') {
        at = t1;
      }
      t1++;
    }
    if (at == SIZE_MAX) {
      (void)mts_frag(
          why, size,
          N_("a mailto: URI needs an address user@domain, and there is "
             "no '@'"));
      return URI_INVALID;
    }
    if (at == rest) {
      (void)mts_frag(why, size, N_("the mail address has an empty local part"));
      return URI_INVALID;
    }
    if (at + 1 == t1) {
      (void)mts_frag(why, size, N_("the mail address has an empty domain"));
      return URI_INVALID;
    }
    for (size_t k = at + 1; k < t1; k++) {
      if (!is_alnum(u[k]) && u[k] != '-' && u[k] != '.' && u[k] != '%') {
        (void)mts_frag(why, size, N_("the mail domain \"%s\" contains %s"),
                       mts_show(&s, u + at + 1, t1 - at - 1),
                       mts_describe_byte2(d, sizeof(d), u[k]));
        return URI_INVALID;
      }
    }
    return URI_MAILTO;
  }
  if (span_eq_nocase(u, i, "https")) {
    /* R129: an https: URI needs a host. */
    if (!has_auth || h1 == h0) {
      (void)mts_frag(why, size,
                     N_("an https: URI needs a host, as in "
                        "\"https://reports.example.com/tlsrpt\""));
      return URI_INVALID;
    }
    return URI_HTTPS;
  }
  return URI_OTHER;
}

/* One rua element (R129-R131, R133). */
static enum mts_err
rua_uri(struct parse *ps, const char *u, size_t len)
{
  char why[512];
  struct mts_shown s1, s2;
  size_t scheme_len = 0;
  enum mts_err err = MTS_OK;

  switch (uri_check(u, len, &scheme_len, why, sizeof(why))) {
    case URI_INVALID:
      /* RFC 8460 §3: tlsrpt-uri = URI (RFC 3986) */
      err = padd(ps, MTS_F_TLSRPT_RUA_INVALID_URI, u, len,
                 "the rua URI \"%s\" is not valid: %s", mts_show(&s1, u, len),
                 why);
      break;
    case URI_OTHER:
      /* RFC 8460 §3: "Two URI schemes are supported" (R130, A19). */
      err = padd(ps, MTS_F_TLSRPT_RUA_INVALID_SCHEME, u, len,
                 "the rua URI \"%s\" uses the scheme \"%s:\": senders support "
                 "only mailto: and https:, and ignore it",
                 mts_show(&s1, u, len), mts_show(&s2, u, scheme_len));
      break;
    case URI_MAILTO:
    case URI_HTTPS:
      ps->n_usable++;
      break;
  }
  if (err != MTS_OK) {
    return err;
  }
  if (spans_has(&ps->uris, u, len)) {
    /* R133 */
    err = padd(ps, MTS_F_TLSRPT_RUA_DUPLICATE_URI, u, len,
               "the rua URI \"%s\" is listed more than once",
               mts_show(&s1, u, len));
    if (err != MTS_OK) {
      return err;
    }
  }
  return spans_push(&ps->uris, u, len);
}

/* Does [p, e) start like "name=", a field that lost its ';'? */
static int
looks_like_field(const char *p, size_t n)
{
  size_t i = 0;
  if (n == 0 || !is_alnum(p[0])) {
    return 0;
  }
  while (i < n && is_ext_name_char(p[i])) {
    i++;
  }
  return i < n && p[i] == '=';
}

/* RFC 8460 §3: tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP
 * tlsrpt-uri). The list starts at v and ends at ';' or the end (R128);
 * *end is where the field stops. */
static enum mts_err
parse_rua(struct parse *ps, size_t v, size_t *end)
{
  const char *r = ps->r;
  size_t n = ps->n, p = v, index = 0;
  enum mts_err err;

  /* RFC 8460 §3 (R132, A14): several rua fields are merged. */
  if (++ps->n_rua_fields == 2) {
    err = rec_add(ps, MTS_F_TLSRPT_RUA_MULTIPLE_FIELDS,
                  "the record has more than one rua field: their URIs are "
                  "merged");
    if (err != MTS_OK) {
      return err;
    }
  }
  for (;;) {
    size_t q = p, e, w;
    int stop = 0;

    while (q < n && r[q] != ',' && r[q] != ';') {
      q++;
    }
    e = q;
    while (e > p && is_wsp(r[e - 1])) {
      e--;
    }
    for (w = p; w < e && !is_wsp(r[w]); w++) {
    }
    if (w < e) {
      size_t t0 = skip_wsp(r, e, w), t1 = t0;
      while (t1 < e && !is_wsp(r[t1])) {
        t1++;
      }
      if (looks_like_field(r + t0, t1 - t0)) {
        /* "rua=mailto:a@x ruf=...": the field ends here; the caller
         * reports the missing ';'. */
        e = w;
        stop = 1;
      }
    }
    if (e == p) {
      /* R127: an empty list element, or a trailing comma. */
      const char *what;
      int comma_next = !stop && q < n && r[q] == ',';
      if (index == 0) {
        what = comma_next ? "the rua list starts with a comma"
                          : "the rua field has no URI";
      } else if (!comma_next) {
        what = "the rua list ends with a comma";
      } else {
        what = "the rua list has an empty element between two commas";
      }
      err = rec_add(ps, MTS_F_TLSRPT_RECORD_SYNTAX, "%s", what);
    } else {
      err = rua_uri(ps, r + p, e - p);
    }
    if (err != MTS_OK) {
      return err;
    }
    if (!stop && q < n && r[q] == ',') {
      p = skip_wsp(r, n, q + 1);
      index++;
      continue;
    }
    *end = e;
    return MTS_OK;
  }
}

/* One field starting at *pp (not WSP, not ';'); *pp moves past it. */
static enum mts_err
parse_field(struct parse *ps, size_t *pp)
{
  const char *r = ps->r;
  size_t n = ps->n, p = *pp, q, e, v, ve;
  struct mts_shown s1;
  int spaced = 0;
  enum mts_err err = MTS_OK;

  for (q = p; q < n && r[q] != '=' && r[q] != ';' && !is_wsp(r[q]); q++) {
  }
  e = skip_wsp(r, n, q);
  if (e >= n || r[e] != '=') {
    /* RFC 8461 §3.1 / RFC 8460 §3: a field is name=value (R38, R127). */
    size_t fe = q;
    while (fe < n && r[fe] != ';') {
      fe++;
    }
    while (fe > p && is_wsp(r[fe - 1])) {
      fe--;
    }
    if (!(ps->kind == KIND_STS && has_bad(r + p, fe - p))) {
      err = rec_add(ps, syntax_code(ps),
                    "the field \"%s\" has no '=': fields are written "
                    "name=value",
                    mts_show(&s1, r + p, fe - p));
    }
    *pp = fe;
    return err;
  }
  if (e > q) {
    spaced = 1;
  }
  v = e + 1;
  e = skip_wsp(r, n, v);
  if (e > v && e < n && r[e] != ';') {
    spaced = 1;
    v = e;
  }
  if (spaced) {
    /* The ABNF has no WSP around '=' (R38, R127). */
    err = rec_add(ps, syntax_code(ps),
                  "the field \"%s\" has spaces around '=': write "
                  "name=value",
                  mts_show(&s1, r + p, q - p));
    if (err != MTS_OK) {
      return err;
    }
  }
  if (ps->kind == KIND_TLSRPT && span_eq(r + p, q - p, "rua")) {
    err = parse_rua(ps, v, &ve);
  } else {
    for (ve = v; ve < n && r[ve] != ';' && !is_wsp(r[ve]); ve++) {
    }
    if (ps->kind == KIND_STS) {
      err = sts_field(ps, r + p, q - p, r + v, ve - v);
    } else {
      err = tlsrpt_field(ps, r + p, q - p, r + v, ve - v);
    }
  }
  *pp = ve;
  return err;
}

/* The one finding that stands for those past SAME_MAX of a code. */
static enum mts_err
add_summary(struct parse *ps, enum mts_code code)
{
  return addf(ps->findings, NULL, code, ps->r, ps->n,
              "%zu more findings like the %d above about this record are "
              "not listed",
              ps->unlisted[code], SAME_MAX);
}

/* Parse a candidate: version 1*(field-delim field) [field-delim], where
 * field-delim = *WSP ";" *WSP (RFC 8461 §3.1, RFC 8460 §3). */
static enum mts_err
parse_candidate(struct parse *ps)
{
  const char *r = ps->r;
  size_t n = ps->n;
  size_t vlen = strlen(version_of(ps->kind));
  size_t p = vlen, prev = 0, prev_end = vlen;
  int want_field = 0, first_delim = 1;
  struct mts_shown s1, s2;
  enum mts_err err = MTS_OK;

  if (ps->kind == KIND_STS) {
    /* RFC 8461 §3.1: "MTA-STS TXT records MUST be US-ASCII" (R32). */
    size_t first = SIZE_MAX, count = 0;
    for (size_t i = 0; i < n; i++) {
      if (is_bad(r[i])) {
        if (count++ == 0) {
          first = i;
        }
      }
    }
    if (count > 0) {
      char d[160], more[200] = "";
      if (count > 1) {
        (void)mts_frag(more, sizeof(more), N_(" (%zu such bytes in all)"),
                       count);
      }
      err = rec_add(ps, MTS_F_STS_RECORD_NOT_ASCII,
                    "the record contains %s at offset %zu%s: MTA-STS "
                    "records must be printable US-ASCII",
                    mts_describe_byte2(d, sizeof(d), r[first]), first, more);
      if (err != MTS_OK) {
        return err;
      }
    }
  }

  for (;;) {
    size_t w = p;
    p = skip_wsp(r, n, p);
    if (p >= n) {
      if (p > w && !want_field) {
        /* R35: the ABNF has no trailing WSP, but every sender trims it. */
        err = rec_add(ps,
                      ps->kind == KIND_STS ? MTS_F_STS_TRAILING_WSP
                                           : MTS_F_TLSRPT_TRAILING_WSP,
                      "the record ends with whitespace after \"%s\"",
                      mts_show(&s1, r + prev, prev_end - prev));
      }
      break;
    }
    if (r[p] == ';') {
      if (want_field) {
        /* R38, R127: an empty field. */
        err = rec_add(ps, syntax_code(ps),
                      "there is an empty field (two ';' with nothing "
                      "between them) after \"%s\"",
                      mts_show(&s1, r + prev, prev_end - prev));
        if (err != MTS_OK) {
          break;
        }
      }
      if (first_delim && p > w) {
        /* R34, A2 (erratum 6285); R125, A16: allowed by the ABNF, but the
         * prose prefix is "v=STSv1;" / "v=TLSRPTv1;". */
        err = rec_add(ps,
                      ps->kind == KIND_STS ? MTS_F_STS_WSP_BEFORE_DELIM
                                           : MTS_F_TLSRPT_WSP_BEFORE_DELIM,
                      "there is whitespace between \"%s\" and the first "
                      "';': senders that look for the exact prefix \"%s;\" "
                      "ignore the record",
                      version_of(ps->kind), version_of(ps->kind));
        if (err != MTS_OK) {
          break;
        }
      }
      first_delim = 0;
      want_field = 1;
      p = skip_wsp(r, n, p + 1);
      continue;
    }
    if (!want_field) {
      /* Text after WSP where a ';' was due. */
      size_t t = p;
      while (t < n && r[t] != ';' && !is_wsp(r[t])) {
        t++;
      }
      if (memchr(r + p, '=', t - p) != NULL) {
        err = rec_add(ps, syntax_code(ps),
                      "there is no ';' between \"%s\" and \"%s\"",
                      mts_show(&s1, r + prev, prev_end - prev),
                      mts_show(&s2, r + p, t - p));
        if (err != MTS_OK) {
          break;
        }
      } else {
        if (!(ps->kind == KIND_STS && has_bad(r + p, t - p))) {
          err = rec_add(ps, syntax_code(ps),
                        "\"%s\" is followed by a space and \"%s\": values "
                        "cannot contain spaces, and fields are separated "
                        "by ';'",
                        mts_show(&s1, r + prev, prev_end - prev),
                        mts_show(&s2, r + p, t - p));
          if (err != MTS_OK) {
            break;
          }
        }
        p = t;
        continue;
      }
    }
    first_delim = 0;
    want_field = 0;
    prev = p;
    err = parse_field(ps, &p);
    if (err != MTS_OK) {
      break;
    }
    prev_end = p;
  }
  if (err != MTS_OK) {
    return err;
  }

  if (ps->kind == KIND_STS && !ps->have_id) {
    /* RFC 8461 §3.1: sts-id is required (R36). */
    if (ps->id_like != NULL) {
      err = rec_add(ps, MTS_F_STS_ID_MISSING,
                    "the record has no id field (\"%s\" is a different "
                    "field: names are case-sensitive)",
                    mts_show(&s1, ps->id_like, ps->id_like_len));
    } else {
      err = rec_add(ps, MTS_F_STS_ID_MISSING, "the record has no id field");
    }
  } else if (ps->kind == KIND_TLSRPT && ps->n_rua_fields == 0) {
    /* RFC 8460 §3: "tlsrpt-rua record is required" (R126). */
    if (ps->rua_like != NULL) {
      err = rec_add(ps, MTS_F_TLSRPT_RUA_MISSING,
                    "the record has no rua field (\"%s\" is a different "
                    "field: names are case-sensitive)",
                    mts_show(&s1, ps->rua_like, ps->rua_like_len));
    } else {
      err = rec_add(ps, MTS_F_TLSRPT_RUA_MISSING,
                    "the record has no rua field: reports have nowhere to "
                    "go");
    }
  } else if (ps->kind == KIND_TLSRPT && ps->n_usable == 0) {
    /* R131, A19 */
    err = rec_add(ps, MTS_F_TLSRPT_RUA_NO_VALID_URI,
                  "none of the rua URIs is a usable mailto: or https: URI: "
                  "reports have nowhere to go");
  }
  for (int c = 0; c < MTS_F__COUNT && err == MTS_OK; c++) {
    if (ps->unlisted[c] > 0) {
      err = add_summary(ps, (enum mts_code)c);
    }
  }
  if (err == MTS_OK && n > RECORD_LARGE) {
    /* R19: no limit in the RFCs; RFC 7208 §3.4 by analogy. */
    err = rec_add(ps,
                  ps->kind == KIND_STS ? MTS_F_STS_RECORD_LARGE
                                       : MTS_F_TLSRPT_RECORD_LARGE,
                  "the record is %zu octets long, over 450: the DNS answer "
                  "may not fit a 512-octet UDP response",
                  n);
  }
  return err;
}

static void
parse_release(struct parse *ps)
{
  free(ps->names.v);
  free(ps->uris.v);
  ps->names.v = NULL;
  ps->uris.v = NULL;
}

/* Classify every record and judge the set (R2, R3, R25-R29, R120-R122);
 * parse the candidate when there is exactly one. ps is left for the caller
 * (release it with parse_release, also on failure). */
static enum mts_err
check_set(enum kind kind, const struct mts_txt *recs, size_t n,
          struct mts_findings *f, enum mts_record_status *status,
          size_t *selected, struct parse *ps)
{
  const char *version = version_of(kind);
  struct census cs;
  enum mts_err err;

  memset(ps, 0, sizeof(*ps));
  ps->findings = f;
  ps->kind = kind;
  census_take(kind, recs, n, &cs);

  if (cs.n_cand == 0 && cs.n_looking == 0) {
    /* R26 (8461 §3.1 "MUST assume ... does not have an available MTA-STS
     * Policy"); R121 (TLS-RPT is optional: a warning). */
    if (kind == KIND_STS) {
      if (n == 0) {
        err = addf(f, NULL, MTS_F_STS_RECORD_MISSING, NULL, 0,
                   "there is no TXT record: senders do not use MTA-STS for "
                   "this domain");
      } else if (n == 1) {
        err = addf(f, NULL, MTS_F_STS_RECORD_MISSING, NULL, 0,
                   "the only TXT record does not start with \"%s\": "
                   "senders do not use MTA-STS for this domain",
                   version);
      } else {
        err = addf(f, NULL, MTS_F_STS_RECORD_MISSING, NULL, 0,
                   "none of the %zu TXT records starts with \"%s\": "
                   "senders do not use MTA-STS for this domain",
                   n, version);
      }
    } else {
      if (n == 0) {
        err = addf(f, NULL, MTS_F_TLSRPT_RECORD_MISSING, NULL, 0,
                   "there is no TLS-RPT record: senders send no TLS "
                   "reports, so mode testing tells you nothing");
      } else if (n == 1) {
        err = addf(f, NULL, MTS_F_TLSRPT_RECORD_MISSING, NULL, 0,
                   "the only TXT record does not start with \"%s\": "
                   "senders send no TLS reports, so mode testing tells you "
                   "nothing",
                   version);
      } else {
        err = addf(f, NULL, MTS_F_TLSRPT_RECORD_MISSING, NULL, 0,
                   "none of the %zu TXT records starts with \"%s\": "
                   "senders send no TLS reports, so mode testing tells you "
                   "nothing",
                   n, version);
      }
    }
    *status = MTS_REC_MISSING;
    *selected = 0;
  } else if (cs.n_cand > 1) {
    /* RFC 8461 §3.1 / RFC 8460 §3: "If the number of resulting records is
     * not one", senders MUST assume there is none (R27, R122). */
    err = addf(f, NULL,
               kind == KIND_STS ? MTS_F_STS_RECORD_MULTIPLE
                                : MTS_F_TLSRPT_RECORD_MULTIPLE,
               NULL, 0,
               "%zu TXT records start with \"%s\": senders ignore them all "
               "unless there is exactly one",
               cs.n_cand, version);
    *status = MTS_REC_INVALID;
    *selected = cs.first_cand;
  } else if (cs.n_cand == 1) {
    *status = MTS_REC_VALID; /* until parsed */
    *selected = cs.first_cand;
    err = MTS_OK;
  } else {
    /* A21: STS-looking records only: invalid, each with its own code. */
    *status = MTS_REC_INVALID;
    *selected = cs.first_looking;
    err = MTS_OK;
  }
  if (err != MTS_OK) {
    return err;
  }

  for (size_t i = 0; i < n && err == MTS_OK; i++) {
    const char *r = recs[i].data;
    size_t len = recs[i].len;
    size_t vf = 0, vfl = 0;
    switch (classify(kind, r, len, &vf, &vfl)) {
      case RC_UNRELATED:
        /* RFC 8461 §3.1: "Records that do not begin with "v=STSv1;" are
         * discarded" (R28, R120); not an error, not "multiple". */
        err = addf(f, NULL,
                   kind == KIND_STS ? MTS_F_STS_UNRELATED_TXT
                                    : MTS_F_TLSRPT_UNRELATED_TXT,
                   r, len,
                   "this TXT record does not start with \"%s\": senders "
                   "ignore it",
                   version);
        break;
      case RC_LOOKING:
        if (cs.n_cand > 0) {
          /* R29, R120 */
          err = addf(f, NULL,
                     kind == KIND_STS ? MTS_F_STS_MALFORMED_DISCARDED
                                      : MTS_F_TLSRPT_MALFORMED_DISCARDED,
                     r, len,
                     "this record looks like %s record but does not "
                     "start with \"%s;\": senders ignore it",
                     kind == KIND_STS ? "an MTA-STS" : "a TLS-RPT", version);
        } else {
          err = report_malformed(kind, &recs[i], vf, vfl, f, NULL);
        }
        break;
      case RC_CANDIDATE:
        if (cs.n_cand == 1) {
          ps->r = r;
          ps->n = len;
          err = parse_candidate(ps);
          if (err == MTS_OK && ps->errors > 0) {
            *status = MTS_REC_INVALID;
          }
        }
        break;
    }
  }
  return err;
}

/* ---- public interface ------------------------------------------------- */

enum mts_err
mts_sts_check(const struct mts_txt *recs, size_t n, struct mts_sts *out,
              struct mts_findings *findings)
{
  size_t n0 = findings->n;
  struct parse ps;
  enum mts_record_status status;
  size_t selected;
  char *id = NULL;
  enum mts_err err;

  err = check_set(KIND_STS, recs, n, findings, &status, &selected, &ps);
  if (err != MTS_OK) {
    goto done;
  }
  /* R42: the first id, when it is valid in form (see the top comment). */
  if (ps.r != NULL && ps.have_id && ps.id_ok) {
    id = malloc(ps.id_len + 1);
    if (id == NULL) {
      err = MTS_ENOMEM;
      goto done;
    }
    memcpy(id, ps.id, ps.id_len);
    id[ps.id_len] = '\0';
  }
  out->status = status;
  out->id = id;
  out->selected = selected;
  id = NULL;

done:
  if (err != MTS_OK) {
    mts_findings_truncate(findings, n0);
  }
  free(id);
  parse_release(&ps);
  return err;
}

enum mts_err
mts_tlsrpt_check(const struct mts_txt *recs, size_t n, struct mts_tlsrpt *out,
                 struct mts_findings *findings)
{
  size_t n0 = findings->n;
  struct parse ps;
  enum mts_record_status status;
  size_t selected, n_rua = 0;
  char **rua = NULL;
  enum mts_err err;

  err = check_set(KIND_TLSRPT, recs, n, findings, &status, &selected, &ps);
  if (err != MTS_OK) {
    goto done;
  }
  /* The URIs as written, also invalid ones, so an administrator sees them;
   * the status says whether senders use them. */
  if (ps.r != NULL && ps.uris.n > 0) {
    rua = calloc(ps.uris.n, sizeof(*rua));
    if (rua == NULL) {
      err = MTS_ENOMEM;
      goto done;
    }
    for (n_rua = 0; n_rua < ps.uris.n; n_rua++) {
      const struct span *sp = &ps.uris.v[n_rua];
      rua[n_rua] = malloc(sp->n + 1);
      if (rua[n_rua] == NULL) {
        err = MTS_ENOMEM;
        goto done;
      }
      memcpy(rua[n_rua], sp->p, sp->n);
      rua[n_rua][sp->n] = '\0';
    }
  }
  out->status = status;
  out->rua = rua;
  out->n_rua = n_rua;
  rua = NULL;

done:
  if (err != MTS_OK) {
    mts_findings_truncate(findings, n0);
  }
  if (rua != NULL) {
    for (size_t i = 0; i < n_rua; i++) {
      free(rua[i]);
    }
    free(rua);
  }
  parse_release(&ps);
  return err;
}

int
mts_sts_looks_like(const struct mts_txt *rec)
{
  size_t vf, vfl;
  return rec != NULL &&
         classify(KIND_STS, rec->data, rec->len, &vf, &vfl) != RC_UNRELATED;
}

int
mts_tlsrpt_looks_like(const struct mts_txt *rec)
{
  size_t vf, vfl;
  return rec != NULL &&
         classify(KIND_TLSRPT, rec->data, rec->len, &vf, &vfl) != RC_UNRELATED;
}

void
mts_sts_release(struct mts_sts *sts)
{
  if (sts == NULL) {
    return;
  }
  free(sts->id);
  sts->id = NULL;
}

void
mts_tlsrpt_release(struct mts_tlsrpt *rpt)
{
  if (rpt == NULL) {
    return;
  }
  for (size_t i = 0; i < rpt->n_rua; i++) {
    free(rpt->rua[i]);
  }
  free(rpt->rua);
  rpt->rua = NULL;
  rpt->n_rua = 0;
}
