/* One TLS-RPT aggregate report: decode, check as I-JSON, validate
 * (rfc-rules §9, R138–R157 and R153a) and read into plain data. */
#include "mtasts/i18n.h"
#include "mtasts/tlsrpt.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <idn2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/bytes.h"
#include "mtasts/civil.h"
#include "gunzip.h"
#include "ijson.h"
#include "mtasts/msg.h"

/* JSON values in one report at most: a tree of cJSON nodes costs about 80
 * bytes a value, so this bounds the tree at about 40 MiB whatever the
 * document holds. A real report of 10 MiB has far fewer values. */
#define MAX_VALUES 500000
/* Findings kept for one report; later ones are counted, not stored. */
#define MAX_FINDINGS 200
/* Distinct result types counted per policy (11 are registered); beyond it
 * they are summed under "(other)". */
#define MAX_RESULT_TYPES 64
/* 2^53: counts beyond it are not exact in JSON (I-JSON). */
#define MAX_COUNT 9007199254740992.0

void
mts_rpt_limits_default(struct mts_rpt_limits *lim)
{
  lim->max_input = 32u << 20;
  lim->max_report = 10u << 20;
  lim->max_json = 10u << 20;
  lim->max_depth = 32;
}

static const char *const result_types[] = {
    "starttls-not-supported", "certificate-host-mismatch",
    "certificate-expired",    "certificate-not-trusted",
    "validation-failure",     "tlsa-invalid",
    "dnssec-invalid",         "dane-required",
    "sts-policy-fetch-error", "sts-policy-invalid",
    "sts-webpki-invalid",
};

int
mts_rpt_result_type_known(const char *s)
{
  for (size_t i = 0; i < sizeof(result_types) / sizeof(result_types[0]); i++) {
    if (strcmp(s, result_types[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

/* The state of one parse. */
struct ctx {
  struct mts_rpt *r;
  int errors; /* error findings so far (stored or not) */
  int nomem;
  const struct mts_rpt_limits *lim;
};

static void add(struct ctx *c, enum mts_code code, enum mts_severity sev,
                const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void addn(struct ctx *c, enum mts_code code, enum mts_severity sev,
                 const char *subject, const char *one, const char *many,
                 unsigned long n, ...) __attribute__((format(printf, 6, 8)));

/* Count an error; \return 0 when the finding is beyond MAX_FINDINGS
 * (dropped: the count stays right, the list bounded). */
static int
admit(struct ctx *c, enum mts_severity sev)
{
  if (sev == MTS_SEV_ERROR) {
    c->errors++;
  }
  return c->r->findings.n < MAX_FINDINGS;
}

/* Add a finding of message \p msg, its translation \p loc, made a
 * sentence. Memory failure is remembered in c->nomem and reported once
 * at the end. */
static void
add_text(struct ctx *c, enum mts_code code, enum mts_severity sev,
         const char *subject, char *msg, char *loc, size_t size)
{
  mts_sentence2(msg, loc, size);
  if (mts_findings_add_text(&c->r->findings, code, sev, subject,
                            subject ? strlen(subject) : 0, msg,
                            loc) != MTS_OK) {
    c->nomem = 1;
  }
}

/* Add a finding; the message is made a sentence. */
static void
add(struct ctx *c, enum mts_code code, enum mts_severity sev,
    const char *subject, const char *fmt, ...)
{
  char msg[512], loc[512];
  va_list ap;

  if (!admit(c, sev)) {
    return;
  }
  va_start(ap, fmt);
  mts_vformat2(msg, loc, sizeof(msg), fmt, ap);
  va_end(ap);
  add_text(c, code, sev, subject, msg, loc, sizeof(msg));
}

/* add() with a message that has a plural form for \p n (P_()). */
static void
addn(struct ctx *c, enum mts_code code, enum mts_severity sev,
     const char *subject, const char *one, const char *many, unsigned long n,
     ...)
{
  char msg[512], loc[512];
  va_list ap;

  if (!admit(c, sev)) {
    return;
  }
  va_start(ap, n);
  mts_vformat2n(msg, loc, sizeof(msg), one, many, n, ap);
  va_end(ap);
  add_text(c, code, sev, subject, msg, loc, sizeof(msg));
}

static void
adddef(struct ctx *c, enum mts_code code, const char *subject, const char *msg)
{
  char loc[512];

  /* msg is a literal marked by xgettext's adddef:4 keyword. */
  (void)snprintf(loc, sizeof(loc), "%s", _(msg));
  if (c->r->findings.n < MAX_FINDINGS) {
    char en[512];
    (void)snprintf(en, sizeof(en), "%s", msg);
    mts_sentence2(en, loc, sizeof(en));
    if (mts_code_severity(code) == MTS_SEV_ERROR) {
      c->errors++;
    }
    if (mts_findings_add_text(&c->r->findings, code, mts_code_severity(code),
                              subject, subject ? strlen(subject) : 0, en,
                              loc) != MTS_OK) {
      c->nomem = 1;
    }
  } else if (mts_code_severity(code) == MTS_SEV_ERROR) {
    c->errors++;
  }
}

static char *
dup_str(struct ctx *c, const char *s)
{
  char *d;

  if (s == NULL) {
    return NULL;
  }
  d = strdup(s);
  if (d == NULL) {
    c->nomem = 1;
  }
  return d;
}

/* A JSON path for subjects: "policies[0].summary". */
struct path {
  char s[160];
};

static const char *pathf(struct path *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *
pathf(struct path *p, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(p->s, sizeof(p->s), fmt, ap);
  va_end(ap);
  return p->s;
}

static const char *
json_type(const cJSON *v)
{
  if (cJSON_IsString(v)) {
    return "a string";
  }
  if (cJSON_IsNumber(v)) {
    return "a number";
  }
  if (cJSON_IsBool(v)) {
    return "a boolean";
  }
  if (cJSON_IsNull(v)) {
    return "null";
  }
  if (cJSON_IsArray(v)) {
    return "an array";
  }
  if (cJSON_IsObject(v)) {
    return "an object";
  }
  return "an unknown type";
}

/* Member lookup: exact (case-sensitive) name, as the RFC's schema spells
 * it. cJSON_GetObjectItem would match case-insensitively. */
static const cJSON *
member(const cJSON *obj, const char *name)
{
  return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* A required string member: NULL (and a finding of severity \p sev) when
 * absent or not a string. */
static const char *
req_string(struct ctx *c, const cJSON *obj, const char *name, const char *where,
           enum mts_severity sev)
{
  const cJSON *v = member(obj, name);
  struct path p;

  pathf(&p, "%s%s%s", where, where[0] ? "." : "", name);
  if (v == NULL || cJSON_IsNull(v)) {
    add(c, MTS_F_REPORT_FIELD_MISSING, sev, p.s,
        "the required field \"%s\" is missing", name);
    return NULL;
  }
  if (!cJSON_IsString(v)) {
    add(c, MTS_F_REPORT_FIELD_TYPE, sev, p.s, "\"%s\" must be a string, not %s",
        name, json_type(v));
    return NULL;
  }
  return v->valuestring;
}

/* An optional string member: NULL when absent or null; a wrong type is a
 * warning (the value is ignored; real senders' extras must not reject a
 * report). */
static const char *
opt_string(struct ctx *c, const cJSON *obj, const char *name, const char *where)
{
  const cJSON *v = member(obj, name);
  struct path p;

  if (v == NULL || cJSON_IsNull(v)) {
    return NULL;
  }
  if (!cJSON_IsString(v)) {
    add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_WARNING,
        pathf(&p, "%s.%s", where, name),
        "\"%s\" should be a string, not %s; it was ignored", name,
        json_type(v));
    return NULL;
  }
  return v->valuestring;
}

/* A session count: a non-negative integer JSON number up to 2^53; a
 * finding of severity \p sev otherwise. */
static int
count(struct ctx *c, const cJSON *obj, const char *name, const char *where,
      enum mts_severity sev, uint64_t *out)
{
  const cJSON *v = member(obj, name);
  struct path p;
  double d;

  pathf(&p, "%s.%s", where, name);
  *out = 0;
  if (v == NULL) {
    add(c, MTS_F_REPORT_FIELD_MISSING, sev, p.s,
        "the required count \"%s\" is missing", name);
    return -1;
  }
  if (!cJSON_IsNumber(v)) {
    if (cJSON_IsString(v)) {
      struct mts_shown sh;
      add(c, MTS_F_REPORT_COUNT_INVALID, sev, p.s,
          "\"%s\" must be a JSON number, not the string \"%s\"", name,
          mts_show(&sh, v->valuestring, strlen(v->valuestring)));
    } else {
      add(c, MTS_F_REPORT_COUNT_INVALID, sev, p.s,
          "\"%s\" must be a JSON number, not %s", name, json_type(v));
    }
    return -1;
  }
  d = v->valuedouble;
  if (!(d >= 0) || d > MAX_COUNT || d != (double)(uint64_t)d) {
    add(c, MTS_F_REPORT_COUNT_INVALID, sev, p.s,
        "\"%s\" must be a non-negative integer, not %g", name, d);
    return -1;
  }
  *out = (uint64_t)d;
  return 0;
}

/* --- Dates (RFC 3339 §5.6) ---------------------------------------------- */

static int
digits(const char *s, size_t n, int *out)
{
  int v = 0;

  for (size_t i = 0; i < n; i++) {
    if (!is_digit(s[i])) {
      return -1;
    }
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

static int
leap(int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

enum dt_res {
  DT_OK = 0,
  DT_NO_OFFSET, /* read as UTC, with a warning */
  DT_BAD,
};

/* Parse an RFC 3339 date-time into seconds since the epoch (UTC). Lenient
 * where real senders are: no offset (read as UTC), a space for 'T'
 * (RFC 3339 §5.6 NOTE). 24:00:00 is read as the next day's 00:00:00 (RFC
 * 8460 §4.1 speaks of "00:00-24:00"). */
static enum dt_res
parse_datetime(const char *s, int64_t *out, const char **why)
{
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  size_t n = strlen(s), i;
  int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
  enum dt_res res = DT_OK;

  *why = NULL;
  if (n < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
      digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
      digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
      digits(s + 17, 2, &se)) {
    *why = "it is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)";
    return DT_BAD;
  }
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') {
    *why = "the date and the time must be separated by 'T'";
    return DT_BAD;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y))) {
    *why = "the date does not exist";
    return DT_BAD;
  }
  if ((h > 23 && !(h == 24 && mi == 0 && se == 0)) || mi > 59 || se > 60) {
    *why = "the time does not exist";
    return DT_BAD;
  }
  i = 19;
  if (i < n && s[i] == '.') {
    size_t f = ++i;
    while (i < n && is_digit(s[i])) {
      i++;
    }
    if (i == f) {
      *why = "the fraction of a second has no digits";
      return DT_BAD;
    }
  }
  if (i == n) {
    res = DT_NO_OFFSET;
  } else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
    /* UTC */
  } else if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':' &&
             !digits(s + i + 1, 2, &oh) && !digits(s + i + 4, 2, &om) &&
             oh <= 23 && om <= 59) {
    sign = s[i] == '+' ? 1 : -1;
  } else {
    *why = "the time-zone offset is not 'Z' or +HH:MM";
    return DT_BAD;
  }
  if (s[10] == ' ' && res == DT_OK) {
    res = DT_NO_OFFSET; /* warn once: not the ABNF's form */
  }
  *out = mts_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
         (int64_t)h * 3600 + (int64_t)mi * 60 + (se == 60 ? 59 : se) -
         (int64_t)sign * (oh * 3600 + om * 60);
  return res;
}

static void
date_range(struct ctx *c, const cJSON *root)
{
  const cJSON *dr = member(root, "date-range");
  static const char *const names[] = {"start-datetime", "end-datetime"};
  int64_t t[2] = {0, 0};
  int ok = 1;
  struct mts_rpt *r = c->r;

  if (dr == NULL || cJSON_IsNull(dr)) {
    adddef(c, MTS_F_REPORT_FIELD_MISSING, "date-range",
           "The required field \"date-range\" is missing.");
    return;
  }
  if (!cJSON_IsObject(dr)) {
    add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_ERROR, "date-range",
        "\"date-range\" must be an object, not %s", json_type(dr));
    return;
  }
  for (size_t k = 0; k < 2; k++) {
    const cJSON *v = member(dr, names[k]);
    struct path p;
    const char *why;
    enum dt_res dt;

    pathf(&p, "date-range.%s", names[k]);
    if (v == NULL || cJSON_IsNull(v)) {
      add(c, MTS_F_REPORT_FIELD_MISSING, MTS_SEV_ERROR, p.s,
          "the required field \"%s\" is missing", names[k]);
      ok = 0;
      continue;
    }
    if (!cJSON_IsString(v)) {
      add(c, MTS_F_REPORT_DATETIME_INVALID, MTS_SEV_ERROR, p.s,
          "\"%s\" must be an RFC 3339 date-time string, not %s%s", names[k],
          json_type(v),
          cJSON_IsNumber(v) ? " (seconds since the epoch are not allowed)"
                            : "");
      ok = 0;
      continue;
    }
    if (k == 0) {
      r->start = dup_str(c, v->valuestring);
    } else {
      r->end = dup_str(c, v->valuestring);
    }
    dt = parse_datetime(v->valuestring, &t[k], &why);
    if (dt == DT_BAD) {
      struct mts_shown sh;
      add(c, MTS_F_REPORT_DATETIME_INVALID, MTS_SEV_ERROR, p.s,
          "\"%s\" is not a valid date-time: %s",
          mts_show(&sh, v->valuestring, strlen(v->valuestring)), why);
      ok = 0;
    } else if (dt == DT_NO_OFFSET) {
      struct mts_shown sh;
      add(c, MTS_F_REPORT_DATETIME_INVALID, MTS_SEV_WARNING, p.s,
          "\"%s\" has no time-zone offset (or no 'T'); it was read as UTC",
          mts_show(&sh, v->valuestring, strlen(v->valuestring)));
    }
  }
  if (!ok) {
    return;
  }
  if (t[0] >= t[1]) {
    adddef(c, MTS_F_REPORT_DATETIME_INVALID, "date-range",
           "The date range's start is not before its end.");
    return;
  }
  r->start_epoch = t[0];
  r->end_epoch = t[1];
  r->have_dates = 1;
  if (t[0] % 86400 != 0 || (t[1] - t[0] != 86400 && t[1] - t[0] != 86399)) {
    adddef(c, MTS_F_REPORT_DATE_RANGE_NOT_DAY, "date-range",
           "The report does not cover exactly one UTC day (00:00 to "
           "24:00, or to 23:59:59).");
  }
}

/* --- Names and addresses ---------------------------------------------- */

/* Is \p s a domain name in A-label form (LDH labels; xn-- labels decode)?
 * \p wildcard allows a leading "*." (mx patterns). A trailing dot is
 * accepted. */
static int
is_alabel_domain(const char *s, int wildcard)
{
  size_t n = strlen(s), start = 0;

  if (wildcard && n > 2 && s[0] == '*' && s[1] == '.') {
    start = 2;
  }
  if (n > start && s[n - 1] == '.') {
    n--;
  }
  if (n <= start || n - start > 253) {
    return 0;
  }
  for (size_t i = start; i < n;) {
    size_t j = i;
    while (j < n && s[j] != '.') {
      char ch = s[j];
      if (!is_alnum(ch) && ch != '-') {
        return 0;
      }
      j++;
    }
    if (j == i || j - i > 63 || s[i] == '-' || s[j - 1] == '-') {
      return 0;
    }
    if (j - i >= 4 && mem_eq_nocase(s + i, "xn--", 4)) {
      char label[64];
      char *u = NULL;
      int rc;
      memcpy(label, s + i, j - i);
      label[j - i] = '\0';
      for (char *q = label; *q; q++) {
        *q = to_lower(*q);
      }
      rc = idn2_to_unicode_8z8z(label, &u, 0);
      idn2_free(u);
      if (rc != IDN2_OK) {
        return 0;
      }
    }
    i = j + 1;
  }
  return 1;
}

/* RFC 8460 §4.4: IPv4 as dotted quads without leading zeros, IPv6 in the
 * RFC 5952 canonical form. */
static int
ip_canonical(const char *s)
{
  unsigned char bin[16];
  char back[INET6_ADDRSTRLEN];

  if (inet_pton(AF_INET, s, bin) == 1) {
    return inet_ntop(AF_INET, bin, back, sizeof(back)) != NULL &&
           strcmp(back, s) == 0;
  }
  if (inet_pton(AF_INET6, s, bin) == 1) {
    /* glibc's inet_ntop writes the RFC 5952 form. */
    return inet_ntop(AF_INET6, bin, back, sizeof(back)) != NULL &&
           strcmp(back, s) == 0;
  }
  return 0;
}

static void
check_ip(struct ctx *c, const char *ip, const char *where, const char *name)
{
  struct path p;
  struct mts_shown sh;

  if (ip == NULL || ip_canonical(ip)) {
    return;
  }
  add(c, MTS_F_REPORT_IP_INVALID, MTS_SEV_INFO, pathf(&p, "%s.%s", where, name),
      ip[0] ? "\"%s\" is not an IP address in canonical form"
            : "%sthe address is empty",
      mts_show(&sh, ip, strlen(ip)));
}

/* RFC 5322 addr-spec, simplified: a dot-atom or a quoted local part, '@',
 * a domain of dot-atom text. */
static int
is_addr_spec(const char *s)
{
  const char *at = strrchr(s, '@');
  static const char atext[] = "!#$%&'*+-/=?^_`{|}~";

  if (at == NULL || at == s || at[1] == '\0') {
    return 0;
  }
  if (s[0] == '"') {
    if (at - s < 2 || at[-1] != '"') {
      return 0;
    }
  } else {
    for (const char *q = s; q < at; q++) {
      if (*q == '.') {
        if (q == s || q[1] == '@' || q[1] == '.') {
          return 0;
        }
      } else if (!is_alnum(*q) && strchr(atext, *q) == NULL) {
        return 0;
      }
    }
  }
  for (const char *q = at + 1; *q; q++) {
    if (!is_alnum(*q) && *q != '-' && *q != '.') {
      return 0;
    }
  }
  return at[1] != '.' && s[strlen(s) - 1] != '.';
}

/* --- Policies --------------------------------------------------------- */

static int
push_str(struct ctx *c, char ***v, size_t *n, const char *s, size_t len)
{
  char **nv;
  char *d;

  nv = realloc(*v, (*n + 1) * sizeof(**v));
  if (nv == NULL) {
    c->nomem = 1;
    return -1;
  }
  *v = nv;
  d = malloc(len + 1);
  if (d == NULL) {
    c->nomem = 1;
    return -1;
  }
  memcpy(d, s, len);
  d[len] = '\0';
  (*v)[(*n)++] = d;
  return 0;
}

/* Read \p s as a JSON-encoded array of strings into pol->policy_string.
 * The string is untrusted JSON in its own right: the same scan as the
 * report's (depth, number of values, I-JSON) bounds it before cJSON builds
 * a tree, and the string is no longer than the report. \return 1 when it
 * was such an array (its elements were added), 0 when not (nothing added). */
static int
policy_string_json(struct ctx *c, struct mts_rpt_policy *pol, const char *s)
{
  const char *q = s;
  struct mts_ijson_res jr;
  cJSON *arr = NULL;
  const cJSON *e;
  int ok = 0;

  while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') {
    q++;
  }
  if (*q != '[' || mts_ijson_check(q, strlen(q), c->lim->max_depth, MAX_VALUES,
                                   &jr) != MTS_IJSON_OK) {
    return 0;
  }
  arr = cJSON_Parse(q);
  if (arr == NULL || !cJSON_IsArray(arr)) {
    goto done;
  }
  cJSON_ArrayForEach(e, arr)
  {
    if (!cJSON_IsString(e)) {
      goto done;
    }
  }
  ok = 1;
  cJSON_ArrayForEach(e, arr)
  {
    if (push_str(c, &pol->policy_string, &pol->n_policy_string, e->valuestring,
                 strlen(e->valuestring))) {
      break;
    }
  }
done:
  cJSON_Delete(arr);
  return ok;
}

/* Split one string policy-string (the lenient forms): a JSON-encoded array
 * of strings, else ';'-separated fields, else lines. */
static void
policy_string_lenient(struct ctx *c, struct mts_rpt_policy *pol, const char *s,
                      const char *where)
{
  char sep;

  if (policy_string_json(c, pol, s)) {
    add(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, where,
        "\"policy-string\" is one string holding a JSON array; it should "
        "be the array itself. It was read as the array");
    return;
  }
  sep = strchr(s, ';') != NULL ? ';' : '\n';
  for (const char *p = s;;) {
    const char *e = strchr(p, sep);
    const char *end = e ? e : p + strlen(p);
    const char *b = p;
    while (b < end && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')) {
      b++;
    }
    while (end > b && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
                       end[-1] == '\n')) {
      end--;
    }
    if (end > b && push_str(c, &pol->policy_string, &pol->n_policy_string, b,
                            (size_t)(end - b))) {
      return;
    }
    if (e == NULL) {
      break;
    }
    p = e + 1;
  }
  add(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, where,
      "\"policy-string\" is one string; it should be a JSON array of "
      "strings, one per policy line. It was split at '%s'",
      sep == ';' ? ";" : "line ends");
}

static int
is_hex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char ch = to_lower(s[i]);
    if (!is_digit(ch) && !(ch >= 'a' && ch <= 'f')) {
      return 0;
    }
  }
  return n > 0;
}

/* One TLSA RR's presentation fields: "3 1 1 ABCD...". */
static int
is_tlsa_line(const char *s)
{
  const char *p = s;
  int v;

  for (int k = 0; k < 3; k++) {
    const char *b = p;
    while (is_digit(*p)) {
      p++;
    }
    if (p == b || p - b > 3 || digits(b, (size_t)(p - b), &v) || v > 255 ||
        *p != ' ') {
      return 0;
    }
    p++;
  }
  return is_hex(p, strlen(p));
}

static void
policy_lines(struct ctx *c, struct mts_rpt_policy *pol, const char *where)
{
  int sts = pol->policy_type && strcmp(pol->policy_type, "sts") == 0;
  int tlsa = pol->policy_type && strcmp(pol->policy_type, "tlsa") == 0;

  for (size_t k = 0; k < pol->n_policy_string; k++) {
    const char *line = pol->policy_string[k];
    struct mts_shown sh;
    struct path p;

    pathf(&p, "%s[%zu]", where, k);
    if (sts) {
      const char *colon = strchr(line, ':');
      const char *v;
      size_t vn;
      if (colon == NULL || colon == line) {
        add(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, p.s,
            "\"%s\" is not a policy line \"key: value\"",
            mts_show(&sh, line, strlen(line)));
        continue;
      }
      if (span_eq(line, (size_t)(colon - line), "mode") && pol->mode == NULL) {
        v = colon + 1;
        while (is_wsp(*v)) {
          v++;
        }
        vn = strlen(v);
        while (vn > 0 && (is_wsp(v[vn - 1]) || v[vn - 1] == '\r')) {
          vn--;
        }
        if (span_eq(v, vn, "enforce") || span_eq(v, vn, "testing") ||
            span_eq(v, vn, "none")) {
          pol->mode = malloc(vn + 1);
          if (pol->mode == NULL) {
            c->nomem = 1;
            return;
          }
          memcpy(pol->mode, v, vn);
          pol->mode[vn] = '\0';
        } else {
          add(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, p.s,
              "the mode \"%s\" is not enforce, testing or none",
              mts_show(&sh, v, vn));
        }
      }
    } else if (tlsa && !is_tlsa_line(line)) {
      add(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, p.s,
          "\"%s\" is not one TLSA record's four fields (usage selector "
          "type data, the data in hex without spaces)",
          mts_show(&sh, line, strlen(line)));
    }
  }
}

static void
policy_block(struct ctx *c, const cJSON *pj, struct mts_rpt_policy *pol,
             const char *where)
{
  const char *s;
  const cJSON *v;
  struct path p;
  struct mts_shown sh;

  if (pj == NULL || cJSON_IsNull(pj)) {
    add(c, MTS_F_REPORT_FIELD_MISSING, MTS_SEV_ERROR,
        pathf(&p, "%s.policy", where),
        "the required field \"policy\" is missing");
    return;
  }
  if (!cJSON_IsObject(pj)) {
    add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_ERROR,
        pathf(&p, "%s.policy", where), "\"policy\" must be an object, not %s",
        json_type(pj));
    return;
  }
  pathf(&p, "%s.policy", where);
  s = req_string(c, pj, "policy-type", p.s, MTS_SEV_ERROR);
  if (s != NULL) {
    pol->policy_type = dup_str(c, s);
    if (strcmp(s, "sts") != 0 && strcmp(s, "tlsa") != 0 &&
        strcmp(s, "no-policy-found") != 0) {
      struct path q;
      add(c, MTS_F_REPORT_POLICY_TYPE_INVALID, MTS_SEV_ERROR,
          pathf(&q, "%s.policy-type", p.s),
          "the policy-type \"%s\" is not sts, tlsa or no-policy-found",
          mts_show(&sh, s, strlen(s)));
    }
  }
  /* issue 11: Postfix's libtlsrpt leaves policy-domain out of
   * no-policy-found policies. Its figures are still unambiguous: they are
   * counted under an unknown domain (never guessed from report-id). */
  if (pol->policy_type != NULL &&
      strcmp(pol->policy_type, "no-policy-found") == 0 &&
      (member(pj, "policy-domain") == NULL ||
       cJSON_IsNull(member(pj, "policy-domain")))) {
    struct path q;
    add(c, MTS_F_REPORT_FIELD_MISSING, MTS_SEV_WARNING,
        pathf(&q, "%s.policy-domain", p.s),
        "the required field \"policy-domain\" is missing; the sessions "
        "are counted under an unknown domain");
    s = NULL;
  } else {
    s = req_string(c, pj, "policy-domain", p.s, MTS_SEV_ERROR);
  }
  if (s != NULL) {
    pol->policy_domain = dup_str(c, s);
    if (!is_alabel_domain(s, 0)) {
      struct path q;
      add(c, MTS_F_REPORT_DOMAIN_NOT_ALABEL, MTS_SEV_ERROR,
          pathf(&q, "%s.policy-domain", p.s),
          "the policy-domain \"%s\" is not a domain name in A-label form",
          mts_show(&sh, s, strlen(s)));
    }
  }

  /* policy-string */
  v = member(pj, "policy-string");
  {
    struct path q;
    pathf(&q, "%s.policy-string", p.s);
    if (v == NULL || cJSON_IsNull(v)) {
      if (pol->policy_type != NULL &&
          strcmp(pol->policy_type, "no-policy-found") != 0) {
        add(c, MTS_F_REPORT_FIELD_MISSING, MTS_SEV_WARNING, q.s,
            "\"policy-string\" is missing: the report does not say which "
            "policy the sender applied");
      }
    } else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1 &&
               cJSON_IsString(v->child) &&
               policy_string_json(c, pol, v->child->valuestring)) {
      /* issue 11: Microsoft sends a tlsa policy-string as an array of one
       * string that holds a JSON-encoded array of the TLSA records. */
      pol->has_policy_string = 1;
      addn(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, q.s,
           "\"policy-string\" is an array of one string holding a JSON "
           "array; it should be that array itself. It was read as its %zu "
           "element",
           "\"policy-string\" is an array of one string holding a JSON "
           "array; it should be that array itself. It was read as its %zu "
           "elements",
           (unsigned long)pol->n_policy_string, pol->n_policy_string);
      policy_lines(c, pol, q.s);
    } else if (cJSON_IsArray(v)) {
      const cJSON *e;
      int bad = 0;
      pol->has_policy_string = 1;
      cJSON_ArrayForEach(e, v)
      {
        if (!cJSON_IsString(e)) {
          bad = 1;
          continue;
        }
        if (push_str(c, &pol->policy_string, &pol->n_policy_string,
                     e->valuestring, strlen(e->valuestring))) {
          return;
        }
      }
      if (bad) {
        add(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, q.s,
            "every element of \"policy-string\" must be a string; the "
            "others were ignored");
      }
      policy_lines(c, pol, q.s);
    } else if (cJSON_IsString(v)) {
      pol->has_policy_string = 1;
      policy_string_lenient(c, pol, v->valuestring, q.s);
      policy_lines(c, pol, q.s);
    } else {
      add(c, MTS_F_REPORT_POLICY_STRING_INVALID, MTS_SEV_WARNING, q.s,
          "\"policy-string\" must be an array of strings, not %s; it was "
          "ignored",
          json_type(v));
    }
  }

  /* mx-host */
  v = member(pj, "mx-host");
  {
    struct path q;
    pathf(&q, "%s.mx-host", p.s);
    if (v == NULL || cJSON_IsNull(v)) {
      /* optional (absent for no-policy-found) */
    } else if (cJSON_IsString(v) || cJSON_IsArray(v)) {
      const cJSON *e;
      pol->has_mx_host = 1;
      if (cJSON_IsString(v)) {
        adddef(c, MTS_F_REPORT_MX_HOST_NOT_ARRAY, q.s,
               "\"mx-host\" is a string; it should be an array of strings. "
               "It was read as one host.");
        if (push_str(c, &pol->mx_host, &pol->n_mx_host, v->valuestring,
                     strlen(v->valuestring))) {
          return;
        }
      } else {
        cJSON_ArrayForEach(e, v)
        {
          if (!cJSON_IsString(e)) {
            add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_WARNING, q.s,
                "every element of \"mx-host\" must be a string, not %s; "
                "it was ignored",
                json_type(e));
            continue;
          }
          if (push_str(c, &pol->mx_host, &pol->n_mx_host, e->valuestring,
                       strlen(e->valuestring))) {
            return;
          }
        }
      }
      for (size_t k = 0; k < pol->n_mx_host; k++) {
        if (!is_alabel_domain(pol->mx_host[k], 1)) {
          const char *h = pol->mx_host[k];
          add(c, MTS_F_REPORT_DOMAIN_NOT_ALABEL, MTS_SEV_WARNING, q.s,
              "the mx-host \"%s\" is not a host name (or *.domain "
              "pattern) in A-label form",
              mts_show(&sh, h, strlen(h)));
        }
      }
    } else {
      add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_WARNING, q.s,
          "\"mx-host\" must be an array of strings, not %s; it was ignored",
          json_type(v));
    }
  }
}

static int
add_rtcount(struct ctx *c, struct mts_rpt_policy *pol, const char *rt,
            uint64_t n)
{
  struct mts_rpt_rtcount *nv;

  for (size_t k = 0; k < pol->n_by_result_type; k++) {
    if (strcmp(pol->by_result_type[k].result_type, rt) == 0) {
      pol->by_result_type[k].count += n;
      return 0;
    }
  }
  if (pol->n_by_result_type >= MAX_RESULT_TYPES) {
    /* A hostile report with many distinct types: the rest are counted
     * together, which keeps this scan (and the output) bounded. */
    rt = "(other)";
    for (size_t k = 0; k < pol->n_by_result_type; k++) {
      if (strcmp(pol->by_result_type[k].result_type, rt) == 0) {
        pol->by_result_type[k].count += n;
        return 0;
      }
    }
  }
  nv = realloc(pol->by_result_type, (pol->n_by_result_type + 1) * sizeof(*nv));
  if (nv == NULL) {
    c->nomem = 1;
    return -1;
  }
  pol->by_result_type = nv;
  nv[pol->n_by_result_type].result_type = dup_str(c, rt);
  if (nv[pol->n_by_result_type].result_type == NULL) {
    return -1;
  }
  nv[pol->n_by_result_type].count = n;
  pol->n_by_result_type++;
  return 0;
}

static void
failure_details(struct ctx *c, const cJSON *fd, struct mts_rpt_policy *pol,
                const char *where)
{
  const cJSON *e;
  size_t k = 0, n = 0;
  uint64_t listed = 0;
  struct path p;

  pathf(&p, "%s.failure-details", where);
  if (fd == NULL || cJSON_IsNull(fd)) {
    return; /* nothing failed, or the sender left it out */
  }
  if (!cJSON_IsArray(fd)) {
    add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_WARNING, p.s,
        "\"failure-details\" must be an array, not %s; it was ignored",
        json_type(fd));
    return;
  }
  n = (size_t)cJSON_GetArraySize(fd);
  if (n > 0) {
    pol->failures = calloc(n, sizeof(*pol->failures));
    if (pol->failures == NULL) {
      c->nomem = 1;
      return;
    }
  }
  cJSON_ArrayForEach(e, fd)
  {
    struct mts_rpt_failure *f = &pol->failures[pol->n_failures];
    struct path q;
    const char *rt;

    pathf(&q, "%s[%zu]", p.s, k++);
    if (!cJSON_IsObject(e)) {
      add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_WARNING, q.s,
          "a failure detail must be an object, not %s; it was ignored",
          json_type(e));
      continue;
    }
    pol->n_failures++;
    rt = req_string(c, e, "result-type", q.s, MTS_SEV_WARNING);
    if (rt != NULL) {
      f->result_type = dup_str(c, rt);
      if (!mts_rpt_result_type_known(rt)) {
        struct path r;
        struct mts_shown sh;
        add(c, MTS_F_REPORT_RESULT_TYPE_UNKNOWN, MTS_SEV_WARNING,
            pathf(&r, "%s.result-type", q.s),
            "the result-type \"%s\" is not one of the 11 registered types",
            mts_show(&sh, rt, strlen(rt)));
      }
    }
    if (count(c, e, "failed-session-count", q.s, MTS_SEV_WARNING, &f->count) ==
        0) {
      listed += f->count;
      if (rt != NULL && add_rtcount(c, pol, rt, f->count)) {
        return;
      }
    }
    f->sending_mta_ip = dup_str(c, opt_string(c, e, "sending-mta-ip", q.s));
    f->receiving_mx_hostname =
        dup_str(c, opt_string(c, e, "receiving-mx-hostname", q.s));
    f->receiving_mx_helo =
        dup_str(c, opt_string(c, e, "receiving-mx-helo", q.s));
    f->receiving_ip = dup_str(c, opt_string(c, e, "receiving-ip", q.s));
    f->failure_reason_code =
        dup_str(c, opt_string(c, e, "failure-reason-code", q.s));
    f->additional_information =
        dup_str(c, opt_string(c, e, "additional-information", q.s));
    if (f->additional_information == NULL) {
      /* RFC 8460 §4.3 names it additional-info-uri (A15). */
      f->additional_information =
          dup_str(c, opt_string(c, e, "additional-info-uri", q.s));
    }
    check_ip(c, f->sending_mta_ip, q.s, "sending-mta-ip");
    check_ip(c, f->receiving_ip, q.s, "receiving-ip");
    if (rt != NULL && f->failure_reason_code == NULL &&
        (strcmp(rt, "certificate-not-trusted") == 0 ||
         strcmp(rt, "validation-failure") == 0)) {
      struct path r;
      add(c, MTS_F_REPORT_FAILURE_REASON_MISSING, MTS_SEV_INFO,
          pathf(&r, "%s.failure-reason-code", q.s),
          "a %s failure should carry a failure-reason-code", rt);
    }
  }
  if (listed > 0 && pol->failed == 0) {
    add(c, MTS_F_REPORT_COUNTS_INCONSISTENT, MTS_SEV_WARNING, p.s,
        "failure details list %llu failed sessions but "
        "total-failure-session-count is 0",
        (unsigned long long)listed);
  }
}

static void
one_policy(struct ctx *c, const cJSON *pe, size_t idx)
{
  struct mts_rpt *r = c->r;
  struct mts_rpt_policy *pol = &r->policies[r->n_policies];
  const cJSON *sum;
  struct path p;

  pathf(&p, "policies[%zu]", idx);
  if (!cJSON_IsObject(pe)) {
    add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_ERROR, p.s,
        "each element of \"policies\" must be an object, not %s",
        json_type(pe));
    return;
  }
  r->n_policies++;
  policy_block(c, member(pe, "policy"), pol, p.s);
  sum = member(pe, "summary");
  if (sum == NULL || cJSON_IsNull(sum)) {
    struct path q;
    add(c, MTS_F_REPORT_FIELD_MISSING, MTS_SEV_ERROR,
        pathf(&q, "%s.summary", p.s),
        "the required field \"summary\" is missing");
  } else if (!cJSON_IsObject(sum)) {
    struct path q;
    add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_ERROR, pathf(&q, "%s.summary", p.s),
        "\"summary\" must be an object, not %s", json_type(sum));
  } else {
    struct path q;
    pathf(&q, "%s.summary", p.s);
    count(c, sum, "total-successful-session-count", q.s, MTS_SEV_ERROR,
          &pol->successful);
    count(c, sum, "total-failure-session-count", q.s, MTS_SEV_ERROR,
          &pol->failed);
    r->total_successful += pol->successful;
    r->total_failed += pol->failed;
  }
  failure_details(c, member(pe, "failure-details"), pol, p.s);
}

/* --- sts and tlsa policies of the same sessions (issue 11) -------------- */

/* Compare two domain names as the summary groups them: ASCII case
 * ignored, one trailing dot ignored. */
static int
domain_cmp(const char *a, const char *b)
{
  size_t na = strlen(a), nb = strlen(b);

  if (na > 1 && a[na - 1] == '.') {
    na--;
  }
  if (nb > 1 && b[nb - 1] == '.') {
    nb--;
  }
  for (size_t i = 0; i < na && i < nb; i++) {
    int d = (unsigned char)to_lower(a[i]) - (unsigned char)to_lower(b[i]);
    if (d != 0) {
      return d;
    }
  }
  return (na > nb) - (na < nb);
}

static int
pair_cmp(const void *pa, const void *pb)
{
  const struct mts_rpt_policy *a = *(const struct mts_rpt_policy *const *)pa;
  const struct mts_rpt_policy *b = *(const struct mts_rpt_policy *const *)pb;
  int d = domain_cmp(a->policy_domain, b->policy_domain);

  if (d != 0) {
    return d;
  }
  if (a->successful != b->successful) {
    return a->successful < b->successful ? -1 : 1;
  }
  if (a->failed != b->failed) {
    return a->failed < b->failed ? -1 : 1;
  }
  return (a > b) - (a < b); /* stable: the order in the report */
}

static int
is_type(const struct mts_rpt_policy *p, const char *t)
{
  return p->policy_type != NULL && strcmp(p->policy_type, t) == 0;
}

/* An sts and a tlsa policy for the same domain with the same session
 * counts describe the same sessions: Microsoft reports both for a domain
 * that publishes both. Pair them (same_sessions_as) and count their
 * sessions once in the report's totals. Sorting keeps this O(n log n)
 * whatever the number of policies. */
static void
pair_policies(struct ctx *c)
{
  struct mts_rpt *r = c->r;
  struct mts_rpt_policy **v;
  size_t n = 0;

  if (r->n_policies < 2) {
    return;
  }
  v = calloc(r->n_policies, sizeof(*v));
  if (v == NULL) {
    c->nomem = 1;
    return;
  }
  for (size_t i = 0; i < r->n_policies; i++) {
    struct mts_rpt_policy *p = &r->policies[i];
    if (p->policy_domain != NULL && (is_type(p, "sts") || is_type(p, "tlsa"))) {
      v[n++] = p;
    }
  }
  qsort(v, n, sizeof(*v), pair_cmp);
  for (size_t a = 0; a < n;) {
    size_t b = a + 1, s = a, t = a;
    while (b < n && domain_cmp(v[a]->policy_domain, v[b]->policy_domain) == 0 &&
           v[a]->successful == v[b]->successful &&
           v[a]->failed == v[b]->failed) {
      b++;
    }
    /* In [a, b): pair the k-th sts with the k-th tlsa. */
    for (;;) {
      struct mts_rpt_policy *later;
      while (s < b && !is_type(v[s], "sts")) {
        s++;
      }
      while (t < b && !is_type(v[t], "tlsa")) {
        t++;
      }
      if (s == b || t == b) {
        break;
      }
      v[s]->same_sessions_as = (size_t)(v[t] - r->policies) + 1;
      v[t]->same_sessions_as = (size_t)(v[s] - r->policies) + 1;
      later = v[s] > v[t] ? v[s] : v[t];
      r->total_successful -= later->successful;
      r->total_failed -= later->failed;
      s++;
      t++;
    }
    a = b;
  }
  free(v);
}

static void
validate(struct ctx *c, const cJSON *root)
{
  struct mts_rpt *r = c->r;
  const cJSON *v;
  const char *s;

  if (!cJSON_IsObject(root)) {
    add(c, MTS_F_REPORT_FIELD_TYPE, MTS_SEV_ERROR, NULL,
        "a report must be a JSON object, not %s", json_type(root));
    return;
  }
  s = req_string(c, root, "organization-name", "", MTS_SEV_ERROR);
  r->organization = dup_str(c, s);
  date_range(c, root);

  v = member(root, "contact-info");
  if (v == NULL || cJSON_IsNull(v)) {
    adddef(c, MTS_F_REPORT_CONTACT_INFO_INVALID, "contact-info",
           "\"contact-info\" is missing or null: the sender cannot be "
           "contacted about this report.");
  } else if (!cJSON_IsString(v)) {
    add(c, MTS_F_REPORT_CONTACT_INFO_INVALID, MTS_SEV_WARNING, "contact-info",
        "\"contact-info\" should be a string, not %s", json_type(v));
  } else {
    struct mts_shown sh;
    r->contact_info = dup_str(c, v->valuestring);
    if (!is_addr_spec(v->valuestring)) {
      add(c, MTS_F_REPORT_CONTACT_INFO_INVALID, MTS_SEV_WARNING, "contact-info",
          "\"%s\" is not an e-mail address (addr-spec)",
          mts_show(&sh, v->valuestring, strlen(v->valuestring)));
    }
  }

  s = req_string(c, root, "report-id", "", MTS_SEV_ERROR);
  r->report_id = dup_str(c, s);

  v = member(root, "policies");
  if (v == NULL || cJSON_IsNull(v)) {
    adddef(c, MTS_F_REPORT_FIELD_MISSING, "policies",
           "The required field \"policies\" is missing.");
    return;
  }
  if (!cJSON_IsArray(v)) {
    add(c, MTS_F_REPORT_POLICIES_NOT_ARRAY, MTS_SEV_ERROR, "policies",
        "\"policies\" must be an array, not %s", json_type(v));
    return;
  }
  {
    size_t n = (size_t)cJSON_GetArraySize(v), k = 0;
    const cJSON *e;
    if (n > 0) {
      r->policies = calloc(n, sizeof(*r->policies));
      if (r->policies == NULL) {
        c->nomem = 1;
        return;
      }
    }
    cJSON_ArrayForEach(e, v)
    {
      one_policy(c, e, k++);
      if (c->nomem) {
        return;
      }
    }
  }
  if (c->errors == 0) {
    pair_policies(c);
  }
}

static void
policy_release(struct mts_rpt_policy *p)
{
  free(p->policy_type);
  free(p->policy_domain);
  free(p->mode);
  for (size_t k = 0; k < p->n_policy_string; k++) {
    free(p->policy_string[k]);
  }
  free(p->policy_string);
  for (size_t k = 0; k < p->n_mx_host; k++) {
    free(p->mx_host[k]);
  }
  free(p->mx_host);
  for (size_t k = 0; k < p->n_failures; k++) {
    struct mts_rpt_failure *f = &p->failures[k];
    free(f->result_type);
    free(f->sending_mta_ip);
    free(f->receiving_mx_hostname);
    free(f->receiving_mx_helo);
    free(f->receiving_ip);
    free(f->failure_reason_code);
    free(f->additional_information);
  }
  free(p->failures);
  for (size_t k = 0; k < p->n_by_result_type; k++) {
    free(p->by_result_type[k].result_type);
  }
  free(p->by_result_type);
}

static void
drop_policies(struct mts_rpt *r)
{
  for (size_t k = 0; k < r->n_policies; k++) {
    policy_release(&r->policies[k]);
  }
  free(r->policies);
  r->policies = NULL;
  r->n_policies = 0;
  r->total_successful = 0;
  r->total_failed = 0;
}

void
mts_rpt_release(struct mts_rpt *r)
{
  drop_policies(r);
  free(r->organization);
  free(r->report_id);
  free(r->contact_info);
  free(r->start);
  free(r->end);
  mts_findings_release(&r->findings);
  memset(r, 0, sizeof(*r));
}

/* Decode (gzip) and check the bytes as I-JSON; on success (json, jlen) is
 * the document (in \p *owned when it was decompressed). \return 0 to go on,
 * -1 when the report was rejected (a finding says why). */
static int
decode(struct ctx *c, const unsigned char *data, size_t len, int gzip_expected,
       const struct mts_rpt_limits *lim, unsigned char **owned,
       const char **json, size_t *jlen)
{
  struct mts_ijson_res jr;
  static const char *const ijson_why[] = {
      [MTS_IJSON_UTF8] = N_("it is not valid UTF-8"),
      [MTS_IJSON_SURROGATE] = N_("it holds a lone UTF-16 surrogate escape"),
      [MTS_IJSON_NUMBER] = N_("it holds a number that is not exact in I-JSON"),
  };

  *owned = NULL;
  if (len > lim->max_report) {
    add(c, MTS_F_REPORT_TOO_LARGE, MTS_SEV_ERROR, NULL,
        "the report is %zu bytes, over the cap of %zu bytes", len,
        lim->max_report);
    return -1;
  }
  if (mts_gz_magic(data, len)) {
    const char *why;
    enum mts_gz_res g = mts_gunzip(data, len, lim->max_json, owned, jlen, &why);
    if (g == MTS_GZ_NOMEM) {
      c->nomem = 1;
      return -1;
    }
    if (g == MTS_GZ_TOO_LARGE) {
      add(c, MTS_F_REPORT_TOO_LARGE, MTS_SEV_ERROR, NULL,
          "the report decompresses to more than %zu bytes (a decompression "
          "bomb?); inflating stopped at the cap",
          lim->max_json);
      return -1;
    }
    if (g != MTS_GZ_OK) {
      char w[512];
      add(c, MTS_F_REPORT_GZIP_INVALID, MTS_SEV_ERROR, NULL,
          "the gzip data cannot be decompressed: %s",
          mts_frag_str(w, sizeof(w), why));
      return -1;
    }
    *json = (const char *)*owned;
  } else if (gzip_expected) {
    adddef(c, MTS_F_REPORT_GZIP_INVALID, NULL,
           "The report is labelled gzip but does not start with the gzip "
           "magic bytes (1f 8b).");
    return -1;
  } else {
    if (len > lim->max_json) {
      add(c, MTS_F_REPORT_TOO_LARGE, MTS_SEV_ERROR, NULL,
          "the report is %zu bytes, over the cap of %zu bytes", len,
          lim->max_json);
      return -1;
    }
    *json = (const char *)data;
    *jlen = len;
  }
  if (*jlen >= 3 && memcmp(*json, "\xef\xbb\xbf", 3) == 0) {
    adddef(c, MTS_F_REPORT_BOM, NULL,
           "The report starts with a UTF-8 byte order mark, which JSON "
           "forbids; it was skipped.");
    *json += 3;
    *jlen -= 3;
  }
  char w1[512], w2[512];

  switch (mts_ijson_check(*json, *jlen, lim->max_depth, MAX_VALUES, &jr)) {
    case MTS_IJSON_OK:
      return 0;
    case MTS_IJSON_SYNTAX:
      add(c, MTS_F_REPORT_NOT_JSON, MTS_SEV_ERROR, NULL,
          "the report is not JSON: %s at byte %zu",
          mts_frag_str(w1, sizeof(w1), jr.why), jr.offset);
      return -1;
    case MTS_IJSON_DEPTH:
      add(c, MTS_F_REPORT_JSON_TOO_DEEP, MTS_SEV_ERROR, NULL,
          "the JSON nests deeper than %u levels (at byte %zu)", lim->max_depth,
          jr.offset);
      return -1;
    case MTS_IJSON_TOO_MANY:
      add(c, MTS_F_REPORT_TOO_LARGE, MTS_SEV_ERROR, NULL,
          "the JSON holds more than %d values", MAX_VALUES);
      return -1;
    case MTS_IJSON_UTF8:
    case MTS_IJSON_SURROGATE:
    case MTS_IJSON_NUMBER:
      add(c, MTS_F_REPORT_NOT_IJSON, MTS_SEV_ERROR, NULL,
          "the report is not I-JSON: %s (%s at byte %zu)",
          mts_frag_str(w1, sizeof(w1), ijson_why[jr.err]),
          mts_frag_str(w2, sizeof(w2), jr.why), jr.offset);
      return -1;
  }
  return -1;
}

enum mts_err
mts_rpt_parse(const unsigned char *data, size_t len, int gzip_expected,
              const struct mts_rpt_limits *lim_in, struct mts_rpt *out)
{
  struct ctx c = {out, 0, 0, NULL};
  struct mts_rpt_limits lim;
  unsigned char *owned = NULL;
  const char *json = NULL;
  size_t jlen = 0;
  cJSON *root = NULL;
  enum mts_err err = MTS_OK;

  memset(out, 0, sizeof(*out));
  if (lim_in != NULL) {
    lim = *lim_in;
  } else {
    mts_rpt_limits_default(&lim);
  }
  c.lim = &lim;
  if (data == NULL) {
    len = 0;
    data = (const unsigned char *)"";
  }
  if (decode(&c, data, len, gzip_expected, &lim, &owned, &json, &jlen) != 0) {
    goto done;
  }
  root = cJSON_ParseWithLength(json, jlen);
  if (root == NULL) {
    /* The scanner accepted it: cJSON can only have run out of memory. */
    c.nomem = 1;
    goto done;
  }
  {
    int nomem;
    const char *dup = mts_ijson_duplicate(root, &nomem);
    if (nomem) {
      c.nomem = 1;
      goto done;
    }
    if (dup != NULL) {
      struct mts_shown sh;
      add(&c, MTS_F_REPORT_NOT_IJSON, MTS_SEV_ERROR, NULL,
          "the report is not I-JSON: the member name \"%s\" appears twice "
          "in one object",
          mts_show(&sh, dup, strlen(dup)));
      goto done;
    }
  }
  validate(&c, root);

done:
  cJSON_Delete(root);
  free(owned);
  if (c.nomem) {
    err = MTS_ENOMEM;
  }
  out->valid = c.errors == 0 && !c.nomem;
  if (!out->valid) {
    drop_policies(out);
  }
  return err;
}
