/* Unit tests for src/policy.c: the MTA-STS policy body, the Content-Type
 * check and MX pattern matching (rfc-rules.md §5, R60, R61, R113, R114).
 *
 * mts_policy_parse is table-driven from fixtures/policy/policy.cases (the
 * format is documented at the top of that file): one Check loop test per
 * case, so a failure names the case and its line. */
#include "mtasts/rules.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MTS_SOURCE_DIR
#define MTS_SOURCE_DIR "."
#endif

#define CASES_PATH MTS_SOURCE_DIR "/fixtures/policy/policy.cases"

struct pcase {
  char name[128];
  int line;
  int valid;
  unsigned expect[MTS_F__COUNT];
  enum mts_policy_mode mode;
  long max_age;
  char mx[1024]; /* comma-separated; "" for none */
  char *body;
  size_t len;
  size_t cap;
};

static struct pcase *cases;
static size_t n_cases;
static char load_error[512];

/* ---- fixture loading ------------------------------------------------- */

static int
hexval(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

static int
put(struct pcase *c, char b)
{
  if (c->len == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 256;
    char *nb = realloc(c->body, cap);
    if (nb == NULL) {
      return -1;
    }
    c->body = nb;
    c->cap = cap;
  }
  c->body[c->len++] = b;
  return 0;
}

/* Append one body line, decoding \\ \t \r \n \xHH and \{N} (the byte
 * before it, N times in all). \return 0 or -1 with a reason. */
static int
decode_append(struct pcase *c, const char *s, size_t n, char *err, size_t es)
{
  for (size_t i = 0; i < n; i++) {
    char b = s[i];
    if (b != '\\') {
      if (put(c, b) != 0) {
        goto oom;
      }
      continue;
    }
    if (++i >= n) {
      snprintf(err, es, "'\\' at the end of a line");
      return -1;
    }
    switch (s[i]) {
      case '\\':
        b = '\\';
        break;
      case 't':
        b = '\t';
        break;
      case 'r':
        b = '\r';
        break;
      case 'n':
        b = '\n';
        break;
      case 'x': {
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          snprintf(err, es, "bad \\x escape");
          return -1;
        }
        b = (char)(hi * 16 + lo);
        i += 2;
        break;
      }
      case '{': {
        size_t count = 0, j = i + 1;
        while (j < n && s[j] >= '0' && s[j] <= '9' && count < 1000000) {
          count = count * 10 + (size_t)(s[j] - '0');
          j++;
        }
        if (j >= n || s[j] != '}' || c->len == 0 || count == 0) {
          snprintf(err, es, "bad \\{N} escape");
          return -1;
        }
        for (size_t k = 1; k < count; k++) {
          if (put(c, c->body[c->len - 1]) != 0) {
            goto oom;
          }
        }
        i = j;
        continue;
      }
      default:
        snprintf(err, es, "unknown escape \\%c", s[i]);
        return -1;
    }
    if (put(c, b) != 0) {
      goto oom;
    }
  }
  return 0;
oom:
  snprintf(err, es, "out of memory");
  return -1;
}

/* A code named without its "POLICY_" prefix. */
static int
code_by_name(const char *name, size_t n)
{
  for (int c = 0; c < MTS_F__COUNT; c++) {
    const char *cn = mts_code_name((enum mts_code)c);
    if (strncmp(cn, "POLICY_", 7) == 0 && strlen(cn) == n + 7 &&
        memcmp(cn + 7, name, n) == 0) {
      return c;
    }
  }
  return -1;
}

static void
trim(const char **s, size_t *n)
{
  while (*n > 0 && (**s == ' ' || **s == '\t')) {
    (*s)++;
    (*n)--;
  }
  while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) {
    (*n)--;
  }
}

/* "=== name | valid | codes | mode | max_age | mx" */
static int
parse_header(const char *line, size_t len, struct pcase *c, char *err,
             size_t es)
{
  const char *fs[6];
  size_t fl[6], nf = 0, start = 0;
  char num[32];

  for (size_t i = 0; i <= len; i++) {
    if (i == len || line[i] == '|') {
      if (nf == 6) {
        snprintf(err, es, "too many fields");
        return -1;
      }
      fs[nf] = line + start;
      fl[nf] = i - start;
      trim(&fs[nf], &fl[nf]);
      nf++;
      start = i + 1;
    }
  }
  if (nf != 6) {
    snprintf(err, es, "want name | valid | codes | mode | max_age | mx");
    return -1;
  }
  snprintf(c->name, sizeof(c->name), "%.*s", (int)fl[0], fs[0]);
  if (fl[1] != 1 || (fs[1][0] != '0' && fs[1][0] != '1')) {
    snprintf(err, es, "valid must be 0 or 1");
    return -1;
  }
  c->valid = fs[1][0] == '1';
  if (!(fl[2] == 1 && fs[2][0] == '-')) {
    const char *p = fs[2];
    size_t n = fl[2];
    for (;;) {
      const char *comma = memchr(p, ',', n);
      size_t tl = comma ? (size_t)(comma - p) : n;
      const char *t = p;
      int code;
      trim(&t, &tl);
      code = code_by_name(t, tl);
      if (code < 0) {
        snprintf(err, es, "unknown code \"%.*s\"", (int)tl, t);
        return -1;
      }
      c->expect[code]++;
      if (comma == NULL) {
        break;
      }
      n -= (size_t)(comma - p) + 1;
      p = comma + 1;
    }
  }
  if (fl[3] == 1 && fs[3][0] == '-') {
    c->mode = MTS_MODE_UNSET;
  } else if (fl[3] == 7 && memcmp(fs[3], "enforce", 7) == 0) {
    c->mode = MTS_MODE_ENFORCE;
  } else if (fl[3] == 7 && memcmp(fs[3], "testing", 7) == 0) {
    c->mode = MTS_MODE_TESTING;
  } else if (fl[3] == 4 && memcmp(fs[3], "none", 4) == 0) {
    c->mode = MTS_MODE_NONE;
  } else {
    snprintf(err, es, "bad mode");
    return -1;
  }
  snprintf(num, sizeof(num), "%.*s", (int)(fl[4] < 31 ? fl[4] : 31), fs[4]);
  c->max_age = strtol(num, NULL, 10);
  if (fl[5] == 1 && fs[5][0] == '-') {
    c->mx[0] = '\0';
  } else {
    snprintf(c->mx, sizeof(c->mx), "%.*s", (int)fl[5], fs[5]);
  }
  return 0;
}

static void
load_cases(void)
{
  FILE *f = fopen(CASES_PATH, "rb");
  char line[8192], err[256];
  size_t cap = 0;
  int lineno = 0, in_case = 0;

  if (f == NULL) {
    snprintf(load_error, sizeof(load_error), "cannot open %s", CASES_PATH);
    return;
  }
  while (fgets(line, sizeof(line), f) != NULL) {
    size_t len = strlen(line);
    lineno++;
    if (len > 0 && line[len - 1] == '\n') {
      line[--len] = '\0';
    } else if (!feof(f)) {
      snprintf(load_error, sizeof(load_error), "%d: line too long", lineno);
      break;
    }
    err[0] = '\0';
    if (!in_case) {
      struct pcase *c;
      if (len == 0 || line[0] == '#') {
        continue;
      }
      if (strncmp(line, "=== ", 4) != 0 || strcmp(line, "=== end") == 0) {
        snprintf(load_error, sizeof(load_error), "%d: expected a case header",
                 lineno);
        break;
      }
      if (n_cases == cap) {
        struct pcase *v;
        cap = cap ? cap * 2 : 64;
        v = realloc(cases, cap * sizeof(*v));
        if (v == NULL) {
          snprintf(load_error, sizeof(load_error), "out of memory");
          break;
        }
        cases = v;
      }
      c = &cases[n_cases++];
      memset(c, 0, sizeof(*c));
      c->line = lineno;
      if (parse_header(line + 4, len - 4, c, err, sizeof(err)) != 0) {
        snprintf(load_error, sizeof(load_error), "%d: %s", lineno, err);
        break;
      }
      in_case = 1;
    } else if (strcmp(line, "=== end") == 0) {
      in_case = 0;
    } else if (decode_append(&cases[n_cases - 1], line, len, err,
                             sizeof(err)) != 0) {
      snprintf(load_error, sizeof(load_error), "%d: %s", lineno, err);
      break;
    }
  }
  if (in_case && load_error[0] == '\0') {
    snprintf(load_error, sizeof(load_error), "the last case has no end");
  }
  fclose(f);
}

static void
free_cases(void)
{
  for (size_t i = 0; i < n_cases; i++) {
    free(cases[i].body);
  }
  free(cases);
  cases = NULL;
  n_cases = 0;
}

static void
codes_str(const unsigned *counts, char *buf, size_t size)
{
  size_t o = 0;
  buf[0] = '\0';
  for (int c = 0; c < MTS_F__COUNT; c++) {
    for (unsigned k = 0; k < counts[c]; k++) {
      int w = snprintf(buf + o, size - o, "%s%s", o ? "," : "",
                       mts_code_name((enum mts_code)c));
      if (w < 0 || (size_t)w >= size - o) {
        return;
      }
      o += (size_t)w;
    }
  }
  if (o == 0) {
    snprintf(buf, size, "-");
  }
}

/* ---- mts_policy_parse ------------------------------------------------ */

START_TEST(test_fixtures_loaded)
{
  ck_assert_msg(load_error[0] == '\0', "policy.cases:%s", load_error);
  ck_assert_uint_ge(n_cases, 60);
}
END_TEST

START_TEST(test_policy_case)
{
  const struct pcase *c = &cases[_i];
  struct mts_findings fl = {0};
  struct mts_policy out;
  unsigned got[MTS_F__COUNT] = {0};
  char want_s[2048], got_s[2048], mx[1024];
  size_t o = 0, n_err = 0;

  memset(&out, 0x5a, sizeof(out));
  ck_assert_int_eq(mts_policy_parse(c->body ? c->body : "", c->len, &out, &fl),
                   MTS_OK);
  for (size_t i = 0; i < fl.n; i++) {
    const struct mts_finding *f = &fl.v[i];
    ck_assert_msg(f->message != NULL && f->message[0] >= 'A' &&
                      f->message[0] <= 'Z' &&
                      f->message[strlen(f->message) - 1] == '.',
                  "policy.cases:%d %s: not a sentence: \"%s\"", c->line,
                  c->name, f->message);
    for (const char *m = f->message; *m; m++) {
      ck_assert_msg(*m >= 0x20 && *m <= 0x7e,
                    "policy.cases:%d %s: unprintable byte in \"%s\"", c->line,
                    c->name, f->message);
    }
    ck_assert_int_eq(f->severity, mts_code_severity(f->code));
    ck_assert_uint_le(f->subject_len, 256);
    n_err += f->severity == MTS_SEV_ERROR;
    got[f->code]++;
  }
  codes_str(c->expect, want_s, sizeof(want_s));
  codes_str(got, got_s, sizeof(got_s));
  ck_assert_msg(memcmp(got, c->expect, sizeof(got)) == 0,
                "policy.cases:%d %s: codes: want %s, got %s", c->line, c->name,
                want_s, got_s);
  ck_assert_msg(out.valid == c->valid, "policy.cases:%d %s: valid: want %d",
                c->line, c->name, c->valid);
  ck_assert_int_eq(out.valid, n_err == 0);
  ck_assert_msg(
      out.mode == c->mode, "policy.cases:%d %s: mode: got %s", c->line, c->name,
      mts_policy_mode_str(out.mode) ? mts_policy_mode_str(out.mode) : "-");
  ck_assert_msg(out.max_age == c->max_age,
                "policy.cases:%d %s: max_age: want %ld, got %ld", c->line,
                c->name, c->max_age, out.max_age);
  mx[0] = '\0';
  for (size_t i = 0; i < out.n_mx; i++) {
    int w = snprintf(mx + o, sizeof(mx) - o, "%s%s", i ? "," : "", out.mx[i]);
    ck_assert(w >= 0 && (size_t)w < sizeof(mx) - o);
    o += (size_t)w;
  }
  ck_assert_msg(strcmp(mx, c->mx) == 0,
                "policy.cases:%d %s: mx: want \"%s\", got \"%s\"", c->line,
                c->name, c->mx, mx);
  if (out.mode != MTS_MODE_UNSET) {
    ck_assert_str_eq(out.mode_str, mts_policy_mode_str(out.mode));
  }
  mts_policy_release(&out);
  ck_assert_ptr_null(out.mx);
  mts_policy_release(&out);
  mts_findings_release(&fl);
}
END_TEST

/* First duplicate wins, and version/mode_str are the values as written. */
START_TEST(test_first_wins_values)
{
  static const char body[] = "version: STSv1\nmode: Enforce\nmode: "
                             "testing\nmax_age: 100\nmax_age: 200\n"
                             "mx: A.Example.COM.\n";
  struct mts_findings fl = {0};
  struct mts_policy out;

  ck_assert_int_eq(mts_policy_parse(body, sizeof(body) - 1, &out, &fl), MTS_OK);
  ck_assert_str_eq(out.version, "STSv1");
  ck_assert_str_eq(out.mode_str, "Enforce");
  ck_assert_int_eq(out.mode, MTS_MODE_UNSET);
  ck_assert_int_eq(out.max_age, 100);
  ck_assert_uint_eq(out.n_mx, 1);
  ck_assert_str_eq(out.mx[0], "a.example.com");
  ck_assert_int_eq(out.valid, 0);
  mts_policy_release(&out);
  mts_findings_release(&fl);
}
END_TEST

/* Findings are appended after those already in the list; NULL body. */
START_TEST(test_appends_and_null)
{
  struct mts_findings fl = {0};
  struct mts_policy out;

  ck_assert_int_eq(mts_findings_add(&fl, MTS_F_STS_ID_INVALID, NULL, 0, "x"),
                   MTS_OK);
  ck_assert_int_eq(mts_policy_parse(NULL, 0, &out, &fl), MTS_OK);
  ck_assert_int_eq(fl.v[0].code, MTS_F_STS_ID_INVALID);
  ck_assert_uint_eq(fl.n, 5); /* version, mode, max_age, mx missing */
  ck_assert_int_eq(out.valid, 0);
  ck_assert_ptr_null(out.version);
  ck_assert_ptr_null(out.mode_str);
  mts_policy_release(&out);
  mts_policy_release(NULL);
  mts_findings_release(&fl);
}
END_TEST

/* A hostile body: findings stay bounded, and the time linear. */
START_TEST(test_hostile_bounded)
{
  size_t n = 1u << 20, o = 0;
  char *b = malloc(n);
  struct mts_findings fl = {0};
  struct mts_policy out;
  unsigned i = 0;

  ck_assert_ptr_nonnull(b);
  while (o + 40 < n) {
    o += (size_t)snprintf(b + o, n - o, "k%u: v\n mx: x\n\nmx: m%u.example.\n",
                          i, i);
    i++;
  }
  ck_assert_int_eq(mts_policy_parse(b, o, &out, &fl), MTS_OK);
  ck_assert_uint_lt(fl.n, 100);
  ck_assert_uint_eq(out.n_mx, i);
  ck_assert_int_eq(out.valid, 0);
  mts_policy_release(&out);
  mts_findings_release(&fl);
  free(b);
}
END_TEST

/* ---- mts_name_match (R113, R114) -------------------------------- */

static const struct {
  const char *pattern;
  const char *host;
  int want;
} matches[] = {
    /* RFC 8461 §4.1's own example */
    {"*.example.com", "mail.example.com", 1},
    {"*.example.com", "example.com", 0},
    {"*.example.com", "foo.bar.example.com", 0},
    /* exact */
    {"mail.example.com", "mail.example.com", 1},
    {"mail.example.com", "MAIL.Example.COM", 1},
    {"MAIL.EXAMPLE.COM", "mail.example.com", 1},
    {"mail.example.com", "mail.example.org", 0},
    {"mail.example.com", "xmail.example.com", 0},
    {"mail.example.com", "mail.example.com.evil", 0},
    {"example.com", "mail.example.com", 0},
    /* case-insensitive wildcard */
    {"*.Example.COM", "MX1.example.com", 1},
    /* trailing dots on either side */
    {"mail.example.com.", "mail.example.com", 1},
    {"mail.example.com", "mail.example.com.", 1},
    {"*.example.com.", "mx.example.com.", 1},
    {"mail.example.com..", "mail.example.com", 0},
    /* empty labels and strings */
    {"*.example.com", ".example.com", 0},
    {"*.example.com", "a..example.com", 0},
    {"", "", 0},
    {"", "mail.example.com", 0},
    {"mail.example.com", "", 0},
    {".", ".", 0},
    {"*.", "a.", 0},
    /* '*' alone and partial wildcards never match */
    {"*", "mail", 0},
    {"*", "*", 0},
    {"*example.com", "mail.example.com", 0},
    {"*example.com", "*example.com", 0},
    {"mx*.example.com", "mx1.example.com", 0},
    {"mail.*.example.com", "mail.x.example.com", 0},
    {"**.example.com", "a.example.com", 0},
    {"*.*.example.com", "a.b.example.com", 0},
    {"*.example.com", "*.example.com", 0},
    /* suffix tests (mailauth) and unanchored regexes (checkdmarc) */
    {"*.example.com", "mail.notexample.com", 0},
    {"*.example.com", "mailexample.com", 0},
    {"*.com", "example.com", 1},
    {"*.com", "mail.example.com", 0},
};

START_TEST(test_mx_match)
{
  ck_assert_msg(mts_name_match(matches[_i].pattern, matches[_i].host) ==
                    matches[_i].want,
                "mx_match(\"%s\", \"%s\") should be %d", matches[_i].pattern,
                matches[_i].host, matches[_i].want);
}
END_TEST

START_TEST(test_mx_match_null)
{
  ck_assert_int_eq(mts_name_match(NULL, "a.example"), 0);
  ck_assert_int_eq(mts_name_match("a.example", NULL), 0);
  ck_assert_int_eq(mts_name_match(NULL, NULL), 0);
}
END_TEST

/* ---- mts_policy_check_content_type (R60, R61) ------------------------ */

static const struct {
  const char *ct;
  int want;
  const char *code; /* the one finding expected, or NULL */
} cts[] = {
    {"text/plain", 1, NULL},
    {"Text/Plain; Charset=UTF-8", 1, NULL},
    {"TEXT/PLAIN", 1, NULL},
    {"text/plain; charset=utf-8", 1, NULL},
    {"text/plain;charset=us-ascii", 1, NULL},
    {"text/plain; charset=\"UTF-8\"", 1, NULL},
    {"  text/plain  ", 1, NULL},
    {"\ttext/plain ;charset=utf-8 ", 1, NULL},
    {"text/plain; format=flowed", 1, NULL},
    {"text/plain; foo", 1, NULL},
    {"text/plain;", 1, NULL},
    {"text/plain;charset=iso-8859-1", 1, "POLICY_CONTENT_TYPE_CHARSET"},
    {"text/plain; charset=\"iso-8859-1\"", 1, "POLICY_CONTENT_TYPE_CHARSET"},
    {"text/plain; charset=utf8", 1, "POLICY_CONTENT_TYPE_CHARSET"},
    {"text/plain; charset=", 1, "POLICY_CONTENT_TYPE_CHARSET"},
    {"text/plain; a=\"x;charset=latin1\"", 1, NULL},
    {"text/plain; charset=latin1; charset=koi8-r", 1,
     "POLICY_CONTENT_TYPE_CHARSET"},
    {"text/plain; charset=utf-8; charset=latin1", 1, NULL},
    {"text/html", 0, "POLICY_CONTENT_TYPE"},
    {"text/plainx", 0, "POLICY_CONTENT_TYPE"},
    {"text/plain x", 0, "POLICY_CONTENT_TYPE"},
    {"text/plai", 0, "POLICY_CONTENT_TYPE"},
    {"textplain", 0, "POLICY_CONTENT_TYPE"},
    {"text/", 0, "POLICY_CONTENT_TYPE"},
    {"text /plain", 0, "POLICY_CONTENT_TYPE"},
    {"application/octet-stream", 0, "POLICY_CONTENT_TYPE"},
    {"", 0, "POLICY_CONTENT_TYPE"},
    {NULL, 0, "POLICY_CONTENT_TYPE"},
};

START_TEST(test_content_type)
{
  struct mts_findings fl = {0};
  int got = mts_policy_check_content_type(cts[_i].ct, &fl);

  ck_assert_msg(got == cts[_i].want, "\"%s\": want %d, got %d",
                cts[_i].ct ? cts[_i].ct : "(null)", cts[_i].want, got);
  if (cts[_i].code == NULL) {
    ck_assert_msg(fl.n == 0, "\"%s\": unexpected %s", cts[_i].ct,
                  fl.n ? mts_code_name(fl.v[0].code) : "");
  } else {
    ck_assert_uint_eq(fl.n, 1);
    ck_assert_str_eq(mts_code_name(fl.v[0].code), cts[_i].code);
    ck_assert_int_eq(fl.v[0].message[strlen(fl.v[0].message) - 1], '.');
  }
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_mode_str)
{
  ck_assert_str_eq(mts_policy_mode_str(MTS_MODE_ENFORCE), "enforce");
  ck_assert_str_eq(mts_policy_mode_str(MTS_MODE_TESTING), "testing");
  ck_assert_str_eq(mts_policy_mode_str(MTS_MODE_NONE), "none");
  ck_assert_ptr_null(mts_policy_mode_str(MTS_MODE_UNSET));
}
END_TEST

static Suite *
policy_suite(void)
{
  Suite *s = suite_create("policy");
  TCase *tc = tcase_create("parse");
  TCase *tm = tcase_create("match");

  tcase_add_test(tc, test_fixtures_loaded);
  tcase_add_loop_test(tc, test_policy_case, 0, (int)n_cases);
  tcase_add_test(tc, test_first_wins_values);
  tcase_add_test(tc, test_appends_and_null);
  tcase_add_test(tc, test_hostile_bounded);
  suite_add_tcase(s, tc);
  tcase_add_loop_test(tm, test_mx_match, 0,
                      (int)(sizeof(matches) / sizeof(matches[0])));
  tcase_add_test(tm, test_mx_match_null);
  tcase_add_loop_test(tm, test_content_type, 0,
                      (int)(sizeof(cts) / sizeof(cts[0])));
  tcase_add_test(tm, test_mode_str);
  suite_add_tcase(s, tm);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  load_cases();
  sr = srunner_create(policy_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  free_cases();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
