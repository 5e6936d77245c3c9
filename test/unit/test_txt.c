/* Unit tests for src/txt.c: the _mta-sts and _smtp._tls TXT validators.
 *
 * Table-driven from fixtures/txt/sts.cases and fixtures/txt/tlsrpt.cases
 * (the line format is documented at the top of each file): one Check loop
 * test per case line, so a failure names the case and its line. */
#include "mtasts/rules.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MTS_SOURCE_DIR
#define MTS_SOURCE_DIR "."
#endif

#define MAX_RECS 16
#define MAX_FIELDS (4 + MAX_RECS)

struct bytes {
  char *p;
  size_t n;
};

struct case_line {
  char name[128];
  int line;
  enum mts_record_status status;
  unsigned expect[MTS_F__COUNT]; /* how many times each code fires */
  int check_out;                 /* 0: the out column is "*" */
  struct bytes out;              /* "-" is stored as n == 0, p == NULL */
  struct bytes recs[MAX_RECS];
  size_t n_recs;
};

struct case_file {
  const char *path;
  struct case_line *v;
  size_t n;
  char error[512]; /* set if the file could not be read */
};

static struct case_file sts_cases = {MTS_SOURCE_DIR "/fixtures/txt/sts.cases",
                                     NULL, 0, ""};
static struct case_file tlsrpt_cases = {
    MTS_SOURCE_DIR "/fixtures/txt/tlsrpt.cases", NULL, 0, ""};

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

/* Decode a field's escapes: \\ \| \t \r \n \xHH and \{N} (the byte before
 * it, N times in all). \return 0, or -1 with a reason in err. */
static int
decode(const char *s, size_t n, struct bytes *out, char *err, size_t esize)
{
  size_t cap = n + 1, o = 0;
  char *b = malloc(cap);

  if (b == NULL) {
    snprintf(err, esize, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c != '\\') {
      b[o++] = c;
      continue;
    }
    if (++i >= n) {
      snprintf(err, esize, "'\\' at the end of a field");
      goto fail;
    }
    switch (s[i]) {
      case '\\':
      case '|':
        b[o++] = s[i];
        break;
      case 't':
        b[o++] = '\t';
        break;
      case 'r':
        b[o++] = '\r';
        break;
      case 'n':
        b[o++] = '\n';
        break;
      case 'x': {
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          snprintf(err, esize, "bad \\x escape");
          goto fail;
        }
        b[o++] = (char)(hi * 16 + lo);
        i += 2;
        break;
      }
      case '{': {
        size_t count = 0, j = i + 1;
        while (j < n && s[j] >= '0' && s[j] <= '9' && count < 100000) {
          count = count * 10 + (size_t)(s[j] - '0');
          j++;
        }
        if (j >= n || s[j] != '}' || o == 0 || count == 0) {
          snprintf(err, esize, "bad \\{N} escape");
          goto fail;
        }
        if (o + count > cap) {
          char *nb;
          cap = o + count + n;
          nb = realloc(b, cap);
          if (nb == NULL) {
            snprintf(err, esize, "out of memory");
            goto fail;
          }
          b = nb;
        }
        for (size_t k = 1; k < count; k++) {
          b[o] = b[o - 1];
          o++;
        }
        i = j;
        break;
      }
      default:
        snprintf(err, esize, "unknown escape \\%c", s[i]);
        goto fail;
    }
  }
  out->p = b;
  out->n = o;
  return 0;
fail:
  free(b);
  return -1;
}

static int
code_by_name(const char *name, size_t n)
{
  for (int c = 0; c < MTS_F__COUNT; c++) {
    const char *cn = mts_code_name((enum mts_code)c);
    if (strlen(cn) == n && memcmp(cn, name, n) == 0) {
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

static int
parse_line(const char *line, size_t len, struct case_line *c, char *err,
           size_t esize)
{
  const char *fs[MAX_FIELDS];
  size_t fl[MAX_FIELDS], nf = 0, start = 0;

  for (size_t i = 0; i <= len; i++) {
    if (i < len && line[i] == '\\') {
      i++;
      continue;
    }
    if (i == len || line[i] == '|') {
      if (nf == MAX_FIELDS) {
        snprintf(err, esize, "too many fields");
        return -1;
      }
      fs[nf] = line + start;
      fl[nf] = (i < len ? i : len) - start;
      trim(&fs[nf], &fl[nf]);
      nf++;
      start = i + 1;
    }
  }
  if (nf < 4) {
    snprintf(err, esize, "expected name | status | codes | out [| records]");
    return -1;
  }
  snprintf(c->name, sizeof(c->name), "%.*s", (int)fl[0], fs[0]);

  if (fl[1] == 5 && memcmp(fs[1], "valid", 5) == 0) {
    c->status = MTS_REC_VALID;
  } else if (fl[1] == 7 && memcmp(fs[1], "invalid", 7) == 0) {
    c->status = MTS_REC_INVALID;
  } else if (fl[1] == 7 && memcmp(fs[1], "missing", 7) == 0) {
    c->status = MTS_REC_MISSING;
  } else {
    snprintf(err, esize, "bad status \"%.*s\"", (int)fl[1], fs[1]);
    return -1;
  }

  if (!(fl[2] == 1 && fs[2][0] == '-')) {
    const char *p = fs[2];
    size_t n = fl[2];
    while (n > 0) {
      const char *comma = memchr(p, ',', n);
      size_t tl = comma ? (size_t)(comma - p) : n;
      const char *t = p;
      int code;
      trim(&t, &tl);
      code = code_by_name(t, tl);
      if (code < 0) {
        snprintf(err, esize, "unknown code \"%.*s\"", (int)tl, t);
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

  if (fl[3] == 1 && fs[3][0] == '*') {
    c->check_out = 0;
  } else if (fl[3] == 1 && fs[3][0] == '-') {
    c->check_out = 1;
  } else {
    c->check_out = 1;
    if (decode(fs[3], fl[3], &c->out, err, esize) != 0) {
      return -1;
    }
  }

  for (size_t i = 4; i < nf; i++) {
    if (decode(fs[i], fl[i], &c->recs[c->n_recs], err, esize) != 0) {
      return -1;
    }
    c->n_recs++;
  }
  return 0;
}

static void
load_cases(struct case_file *cf)
{
  FILE *f = fopen(cf->path, "rb");
  char line[8192];
  size_t cap = 0;
  int lineno = 0;

  if (f == NULL) {
    snprintf(cf->error, sizeof(cf->error), "cannot open %s", cf->path);
    return;
  }
  while (fgets(line, sizeof(line), f) != NULL) {
    size_t len = strlen(line);
    char err[256] = "";
    struct case_line *c;
    lineno++;
    if (len > 0 && line[len - 1] == '\n') {
      line[--len] = '\0';
    } else if (!feof(f)) {
      snprintf(cf->error, sizeof(cf->error), "%s:%d: line too long", cf->path,
               lineno);
      break;
    }
    if (len == 0 || line[0] == '#') {
      continue;
    }
    if (cf->n == cap) {
      struct case_line *v;
      cap = cap ? cap * 2 : 64;
      v = realloc(cf->v, cap * sizeof(*v));
      if (v == NULL) {
        snprintf(cf->error, sizeof(cf->error), "out of memory");
        break;
      }
      cf->v = v;
    }
    c = &cf->v[cf->n];
    memset(c, 0, sizeof(*c));
    c->line = lineno;
    if (parse_line(line, len, c, err, sizeof(err)) != 0) {
      snprintf(cf->error, sizeof(cf->error), "%s:%d: %s", cf->path, lineno,
               err);
      break;
    }
    cf->n++;
  }
  fclose(f);
}

static void
free_cases(struct case_file *cf)
{
  for (size_t i = 0; i < cf->n; i++) {
    free(cf->v[i].out.p);
    for (size_t j = 0; j < cf->v[i].n_recs; j++) {
      free(cf->v[i].recs[j].p);
    }
  }
  free(cf->v);
  cf->v = NULL;
  cf->n = 0;
}

/* ---- checks shared by both tables ------------------------------------ */

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

/* Every finding: a non-empty printable-ASCII message and the code's
 * default severity; the expected multiset of codes. */
static void
check_findings(const struct case_line *c, const char *file,
               const struct mts_findings *fl)
{
  unsigned got[MTS_F__COUNT] = {0};
  char want_s[2048], got_s[2048];

  for (size_t i = 0; i < fl->n; i++) {
    const struct mts_finding *f = &fl->v[i];
    ck_assert_msg(f->message != NULL && f->message[0] != '\0',
                  "%s:%d %s: empty message", file, c->line, c->name);
    for (const char *m = f->message; *m; m++) {
      ck_assert_msg(*m >= 0x20 && *m <= 0x7e,
                    "%s:%d %s: unprintable byte in message \"%s\"", file,
                    c->line, c->name, f->message);
    }
    ck_assert_int_eq(f->severity, mts_code_severity(f->code));
    got[f->code]++;
  }
  codes_str(c->expect, want_s, sizeof(want_s));
  codes_str(got, got_s, sizeof(got_s));
  ck_assert_msg(memcmp(got, c->expect, sizeof(got)) == 0,
                "%s:%d %s: codes: want %s, got %s", file, c->line, c->name,
                want_s, got_s);
}

static void
make_recs(const struct case_line *c, struct mts_txt *recs)
{
  for (size_t i = 0; i < c->n_recs; i++) {
    recs[i].data = c->recs[i].p;
    recs[i].len = c->recs[i].n;
  }
}

START_TEST(test_sts_case)
{
  const struct case_line *c = &sts_cases.v[_i];
  struct mts_txt recs[MAX_RECS];
  struct mts_findings fl = {0};
  struct mts_sts out = {MTS_REC_UNKNOWN, NULL, 99};

  make_recs(c, recs);
  ck_assert_int_eq(mts_sts_check(recs, c->n_recs, &out, &fl), MTS_OK);
  ck_assert_msg(out.status == c->status,
                "sts.cases:%d %s: status: want %s, got %s", c->line, c->name,
                mts_record_status_str(c->status),
                mts_record_status_str(out.status));
  check_findings(c, "sts.cases", &fl);
  if (c->check_out) {
    if (c->out.p == NULL) {
      ck_assert_msg(out.id == NULL,
                    "sts.cases:%d %s: id: want none, got \"%s\"", c->line,
                    c->name, out.id);
    } else {
      ck_assert_msg(out.id != NULL && strlen(out.id) == c->out.n &&
                        memcmp(out.id, c->out.p, c->out.n) == 0,
                    "sts.cases:%d %s: id: want \"%.*s\", got \"%s\"", c->line,
                    c->name, (int)c->out.n, c->out.p,
                    out.id ? out.id : "(none)");
    }
  }
  if (out.status == MTS_REC_VALID) {
    /* A valid record has an id, and no error findings. */
    ck_assert_ptr_nonnull(out.id);
    for (size_t i = 0; i < fl.n; i++) {
      ck_assert_int_ne(fl.v[i].severity, MTS_SEV_ERROR);
    }
  }
  mts_sts_release(&out);
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_tlsrpt_case)
{
  const struct case_line *c = &tlsrpt_cases.v[_i];
  struct mts_txt recs[MAX_RECS];
  struct mts_findings fl = {0};
  struct mts_tlsrpt out = {MTS_REC_UNKNOWN, NULL, 99};
  char got[4096];
  size_t o = 0;

  make_recs(c, recs);
  ck_assert_int_eq(mts_tlsrpt_check(recs, c->n_recs, &out, &fl), MTS_OK);
  ck_assert_msg(out.status == c->status,
                "tlsrpt.cases:%d %s: status: want %s, got %s", c->line, c->name,
                mts_record_status_str(c->status),
                mts_record_status_str(out.status));
  check_findings(c, "tlsrpt.cases", &fl);
  got[0] = '\0';
  for (size_t i = 0; i < out.n_rua; i++) {
    int w =
        snprintf(got + o, sizeof(got) - o, "%s%s", i ? "," : "", out.rua[i]);
    ck_assert(w >= 0 && (size_t)w < sizeof(got) - o);
    o += (size_t)w;
  }
  ck_assert(out.n_rua == 0 || out.rua != NULL);
  if (c->check_out) {
    ck_assert_msg(o == c->out.n && (o == 0 || memcmp(got, c->out.p, o) == 0),
                  "tlsrpt.cases:%d %s: rua: want \"%.*s\", got \"%s\"", c->line,
                  c->name, (int)c->out.n, c->out.p ? c->out.p : "", got);
  }
  if (out.status == MTS_REC_VALID) {
    ck_assert_uint_gt(out.n_rua, 0);
    for (size_t i = 0; i < fl.n; i++) {
      ck_assert_int_ne(fl.v[i].severity, MTS_SEV_ERROR);
    }
  }
  mts_tlsrpt_release(&out);
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_fixtures_loaded)
{
  ck_assert_msg(sts_cases.error[0] == '\0', "%s", sts_cases.error);
  ck_assert_msg(tlsrpt_cases.error[0] == '\0', "%s", tlsrpt_cases.error);
  ck_assert_uint_ge(sts_cases.n, 80);
  ck_assert_uint_ge(tlsrpt_cases.n, 60);
}
END_TEST

/* ---- mts_sts_id_as_date ---------------------------------------------- */

static const struct {
  const char *id;
  const char *want; /* NULL: not a timestamp */
} dates[] = {
    {"20190425", "2019-04-25 UTC"},
    {"201904250857", "2019-04-25 08:57 UTC"},
    {"20190425085700", "2019-04-25 08:57:00 UTC"},
    {"20160831085700Z", "2016-08-31 08:57:00 UTC"},
    {"201608310857Z", "2016-08-31 08:57 UTC"},
    {"20160831Z", NULL},
    {"19900101", "1990-01-01 UTC"},
    {"20991231235960", "2099-12-31 23:59:60 UTC"},
    {"20240229", "2024-02-29 UTC"},
    {"20000229", "2000-02-29 UTC"},
    {"21000229", NULL},
    {"19000229", NULL},
    {"20230229", NULL},
    {"20190431", NULL},
    {"20190631", NULL},
    {"20191131", NULL},
    {"20190131", "2019-01-31 UTC"},
    {"20190132", NULL},
    {"20190100", NULL},
    {"20190001", NULL},
    {"20191301", NULL},
    {"19891231", NULL},
    {"21000101", NULL},
    {"201904252400", NULL},
    {"201904252360", NULL},
    {"20190425235961", NULL},
    {"2019042508570", NULL},
    {"201904250", NULL},
    {"2019042", NULL},
    {"201904250857000", NULL},
    {"20190425085700ZZ", NULL},
    {"2019042508570a", NULL},
    {"2019-04-25", NULL},
    {"abc", NULL},
    {"", NULL},
    {"20190425085700000000000000000000", NULL},
    {"z20190425", NULL},
    {"20190425z", NULL},
    {" 20190425", NULL},
};

START_TEST(test_id_as_date)
{
  char buf[64];
  int r;

  memset(buf, 'X', sizeof(buf));
  r = mts_sts_id_as_date(dates[_i].id, buf, sizeof(buf));
  if (dates[_i].want == NULL) {
    ck_assert_msg(r == 0, "id \"%s\": want 0, got \"%s\"", dates[_i].id, buf);
  } else {
    ck_assert_msg(r == 1, "id \"%s\": want \"%s\", got 0", dates[_i].id,
                  dates[_i].want);
    ck_assert_str_eq(buf, dates[_i].want);
  }
}
END_TEST

START_TEST(test_id_as_date_small_buffer)
{
  char buf[24];

  /* "2019-04-25 08:57:00 UTC" is 23 characters + NUL. */
  ck_assert_int_eq(mts_sts_id_as_date("20190425085700", buf, 24), 1);
  ck_assert_str_eq(buf, "2019-04-25 08:57:00 UTC");
  memset(buf, 'X', sizeof(buf));
  ck_assert_int_eq(mts_sts_id_as_date("20190425085700", buf, 23), 0);
  ck_assert_int_eq(buf[0], 'X');
  ck_assert_int_eq(mts_sts_id_as_date("20190425", buf, 14), 0);
  ck_assert_int_eq(mts_sts_id_as_date("20190425", buf, 15), 1);
  ck_assert_str_eq(buf, "2019-04-25 UTC");
  ck_assert_int_eq(mts_sts_id_as_date("20190425", buf, 0), 0);
  ck_assert_int_eq(mts_sts_id_as_date(NULL, buf, sizeof(buf)), 0);
  ck_assert_int_eq(mts_sts_id_as_date("20190425", NULL, 10), 0);
}
END_TEST

/* ---- looks_like ------------------------------------------------------ */

static const struct {
  const char *rec;
  size_t len; /* 0: strlen */
  int sts, tlsrpt;
} looks[] = {
    {"v=STSv1; id=abc", 0, 1, 0},
    {"v=STSv1", 0, 1, 0},
    {"v=STSv1 ;", 0, 1, 0},
    {"v=STSv1\tid=1", 0, 1, 0},
    {"v=stsv1; id=abc", 0, 1, 0},
    {"V=STSv1; id=abc", 0, 1, 0},
    {"v=STSv2; id=abc", 0, 1, 0},
    {"v=STSv10; id=abc", 0, 1, 0},
    {" v=STSv1; id=abc", 0, 1, 0},
    {"id=1; v=STSv1", 0, 1, 0},
    {"v = STSv1; id=1", 0, 1, 0},
    {"v=sts", 0, 1, 0},
    {"v=st", 0, 0, 0},
    {"v=spf1 -all", 0, 0, 0},
    {"google-site-verification=abc", 0, 0, 0},
    {"", 0, 0, 0},
    {"vv=STSv1", 0, 0, 0},
    {"x; v=STSv1", 0, 1, 0},
    {"v=TLSRPTv1; rua=mailto:a@x", 0, 0, 1},
    {"v=TLSRPTv1", 0, 0, 1},
    {"v=tlsrptv1; rua=mailto:a@x", 0, 0, 1},
    {"V=TLSRPTv2", 0, 0, 1},
    {" v=TLSRPTv1; rua=mailto:a@x", 0, 0, 1},
    {"rua=mailto:a@x; v=TLSRPTv1", 0, 0, 1},
    {"v=TLSRPT", 0, 0, 1},
    {"v=TLS", 0, 0, 0},
    {"v=DMARC1; p=none", 0, 0, 0},
    {"v=STSv1\0; id=1", 15, 1, 0},
    {"\0v=STSv1", 8, 0, 0},
};

START_TEST(test_looks_like)
{
  struct mts_txt t;
  t.data = looks[_i].rec;
  t.len = looks[_i].len ? looks[_i].len : strlen(looks[_i].rec);
  ck_assert_msg(mts_sts_looks_like(&t) == looks[_i].sts,
                "sts looks_like(\"%s\") != %d", looks[_i].rec, looks[_i].sts);
  ck_assert_msg(mts_tlsrpt_looks_like(&t) == looks[_i].tlsrpt,
                "tlsrpt looks_like(\"%s\") != %d", looks[_i].rec,
                looks[_i].tlsrpt);
}
END_TEST

START_TEST(test_looks_like_null)
{
  struct mts_txt t = {NULL, 0};
  ck_assert_int_eq(mts_sts_looks_like(&t), 0);
  ck_assert_int_eq(mts_tlsrpt_looks_like(&t), 0);
  ck_assert_int_eq(mts_sts_looks_like(NULL), 0);
  ck_assert_int_eq(mts_tlsrpt_looks_like(NULL), 0);
}
END_TEST

/* ---- hand-written checks --------------------------------------------- */

START_TEST(test_status_str)
{
  ck_assert_str_eq(mts_record_status_str(MTS_REC_VALID), "valid");
  ck_assert_str_eq(mts_record_status_str(MTS_REC_INVALID), "invalid");
  ck_assert_str_eq(mts_record_status_str(MTS_REC_MISSING), "missing");
  ck_assert_str_eq(mts_record_status_str(MTS_REC_UNKNOWN), "unknown");
}
END_TEST

static const struct mts_finding *
find_code(const struct mts_findings *fl, enum mts_code code)
{
  for (size_t i = 0; i < fl->n; i++) {
    if (fl->v[i].code == code) {
      return &fl->v[i];
    }
  }
  return NULL;
}

START_TEST(test_sts_message_and_subject)
{
  static const char rec[] = "v=STSv1; id=2019-04-25";
  struct mts_txt t = {rec, sizeof(rec) - 1};
  struct mts_findings fl = {0};
  struct mts_sts out = {0};
  const struct mts_finding *f;

  ck_assert_int_eq(mts_sts_check(&t, 1, &out, &fl), MTS_OK);
  ck_assert_int_eq(out.status, MTS_REC_INVALID);
  ck_assert_ptr_null(out.id);
  f = find_code(&fl, MTS_F_STS_ID_INVALID);
  ck_assert_ptr_nonnull(f);
  ck_assert_str_eq(f->message, "The id \"2019-04-25\" contains '-': only "
                               "letters and digits are allowed.");
  ck_assert_uint_eq(f->subject_len, sizeof(rec) - 1);
  ck_assert_mem_eq(f->subject, rec, sizeof(rec) - 1);
  mts_sts_release(&out);
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_sts_subject_keeps_nul)
{
  static const char rec[] = "v=STSv1; id=ab\0cd";
  struct mts_txt t = {rec, sizeof(rec) - 1};
  struct mts_findings fl = {0};
  struct mts_sts out = {0};
  const struct mts_finding *f;

  ck_assert_int_eq(mts_sts_check(&t, 1, &out, &fl), MTS_OK);
  ck_assert_int_eq(out.status, MTS_REC_INVALID);
  f = find_code(&fl, MTS_F_STS_RECORD_NOT_ASCII);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->subject_len, sizeof(rec) - 1);
  ck_assert_mem_eq(f->subject, rec, sizeof(rec) - 1);
  ck_assert_ptr_nonnull(strstr(f->message, "NUL"));
  ck_assert_ptr_nonnull(strstr(f->message, "offset 14"));
  mts_sts_release(&out);
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_sts_selected_and_id)
{
  static const char r0[] = "v=spf1 -all";
  static const char r1[] = "v=STSv1; id=20190425085700";
  struct mts_txt t[2] = {{r0, sizeof(r0) - 1}, {r1, sizeof(r1) - 1}};
  struct mts_findings fl = {0};
  struct mts_sts out = {0};
  char date[64];

  ck_assert_int_eq(mts_sts_check(t, 2, &out, &fl), MTS_OK);
  ck_assert_int_eq(out.status, MTS_REC_VALID);
  ck_assert_uint_eq(out.selected, 1);
  ck_assert_str_eq(out.id, "20190425085700");
  ck_assert_int_eq(mts_sts_id_as_date(out.id, date, sizeof(date)), 1);
  ck_assert_str_eq(date, "2019-04-25 08:57:00 UTC");
  mts_sts_release(&out);
  ck_assert_ptr_null(out.id);
  mts_sts_release(&out); /* twice is harmless */
  mts_sts_release(NULL);
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_findings_appended)
{
  static const char r0[] = "v=STSv1; id=abc; x=1";
  struct mts_txt t = {r0, sizeof(r0) - 1};
  struct mts_findings fl = {0};
  struct mts_sts out = {0};

  ck_assert_int_eq(
      mts_findings_add(&fl, MTS_F_DNS_TCP_FALLBACK, NULL, 0, "already there"),
      MTS_OK);
  ck_assert_int_eq(mts_sts_check(&t, 1, &out, &fl), MTS_OK);
  ck_assert_uint_eq(fl.n, 2);
  ck_assert_int_eq(fl.v[0].code, MTS_F_DNS_TCP_FALLBACK);
  ck_assert_int_eq(fl.v[1].code, MTS_F_STS_UNKNOWN_FIELD);
  ck_assert_str_eq(out.id, "abc");
  mts_sts_release(&out);
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_tlsrpt_rua_output)
{
  static const char r0[] =
      "v=TLSRPTv1; rua=mailto:a@x , https://y/r;rua=mailto:a@x,ftp://z/";
  struct mts_txt t = {r0, sizeof(r0) - 1};
  struct mts_findings fl = {0};
  struct mts_tlsrpt out = {0};
  const struct mts_finding *f;

  ck_assert_int_eq(mts_tlsrpt_check(&t, 1, &out, &fl), MTS_OK);
  ck_assert_int_eq(out.status, MTS_REC_VALID);
  ck_assert_uint_eq(out.n_rua, 4);
  ck_assert_str_eq(out.rua[0], "mailto:a@x");
  ck_assert_str_eq(out.rua[1], "https://y/r");
  ck_assert_str_eq(out.rua[2], "mailto:a@x");
  ck_assert_str_eq(out.rua[3], "ftp://z/");
  /* URI findings have the URI as their subject. */
  f = find_code(&fl, MTS_F_TLSRPT_RUA_INVALID_SCHEME);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->subject_len, 8);
  ck_assert_mem_eq(f->subject, "ftp://z/", 8);
  ck_assert_ptr_nonnull(find_code(&fl, MTS_F_TLSRPT_RUA_DUPLICATE_URI));
  ck_assert_ptr_nonnull(find_code(&fl, MTS_F_TLSRPT_RUA_MULTIPLE_FIELDS));
  mts_tlsrpt_release(&out);
  ck_assert_ptr_null(out.rua);
  ck_assert_uint_eq(out.n_rua, 0);
  mts_tlsrpt_release(&out);
  mts_tlsrpt_release(NULL);
  mts_findings_release(&fl);
}
END_TEST

START_TEST(test_tlsrpt_missing_no_rua)
{
  struct mts_findings fl = {0};
  struct mts_tlsrpt out = {MTS_REC_UNKNOWN, NULL, 7};

  ck_assert_int_eq(mts_tlsrpt_check(NULL, 0, &out, &fl), MTS_OK);
  ck_assert_int_eq(out.status, MTS_REC_MISSING);
  ck_assert_ptr_null(out.rua);
  ck_assert_uint_eq(out.n_rua, 0);
  ck_assert_uint_eq(fl.n, 1);
  ck_assert_int_eq(fl.v[0].code, MTS_F_TLSRPT_RECORD_MISSING);
  ck_assert_int_eq(fl.v[0].severity, MTS_SEV_WARNING);
  ck_assert_ptr_null(fl.v[0].subject);
  mts_findings_release(&fl);
}
END_TEST

/* A 64 KiB record with thousands of fields or URIs: the findings stay few
 * (each may copy the whole record), and the verdict is still right. */
START_TEST(test_huge_records)
{
  static const size_t size = 65535;
  char *b = malloc(size);
  struct mts_txt t = {b, 0};
  struct mts_findings fl = {0};
  struct mts_sts sts = {0};
  struct mts_tlsrpt rpt = {0};
  size_t o;
  unsigned i;

  ck_assert_ptr_nonnull(b);
  o = (size_t)snprintf(b, size, "v=STSv1; id=a");
  for (i = 0; o + 16 < size; i++) {
    o += (size_t)snprintf(b + o, size - o, "; %x=1", i);
  }
  t.len = o;
  ck_assert_int_eq(mts_sts_check(&t, 1, &sts, &fl), MTS_OK);
  ck_assert_int_eq(sts.status, MTS_REC_VALID);
  ck_assert_str_eq(sts.id, "a");
  ck_assert_uint_eq(fl.n, 12); /* 10 + 1 UNKNOWN_FIELD, RECORD_LARGE */
  mts_sts_release(&sts);
  mts_findings_release(&fl);

  o = (size_t)snprintf(b, size, "v=TLSRPTv1; rua=mailto:a@x");
  for (i = 0; o + 16 < size; i++) {
    o += (size_t)snprintf(b + o, size - o, ",x:%x", i);
  }
  t.len = o;
  ck_assert_int_eq(mts_tlsrpt_check(&t, 1, &rpt, &fl), MTS_OK);
  ck_assert_int_eq(rpt.status, MTS_REC_VALID);
  ck_assert_uint_eq(rpt.n_rua, i + 1);
  ck_assert_uint_eq(fl.n, 12); /* 10 + 1 INVALID_SCHEME, RECORD_LARGE */
  mts_tlsrpt_release(&rpt);
  mts_findings_release(&fl);

  memset(b, ';', size);
  memcpy(b, "v=STSv1", 7);
  t.len = size;
  ck_assert_int_eq(mts_sts_check(&t, 1, &sts, &fl), MTS_OK);
  ck_assert_int_eq(sts.status, MTS_REC_INVALID);
  ck_assert_uint_le(fl.n, 14);
  mts_sts_release(&sts);
  mts_findings_release(&fl);
  free(b);
}
END_TEST

static Suite *
txt_suite(void)
{
  Suite *s = suite_create("txt");
  TCase *tc;

  tc = tcase_create("fixtures");
  tcase_add_test(tc, test_fixtures_loaded);
  tcase_add_loop_test(tc, test_sts_case, 0, (int)sts_cases.n);
  tcase_add_loop_test(tc, test_tlsrpt_case, 0, (int)tlsrpt_cases.n);
  suite_add_tcase(s, tc);

  tc = tcase_create("helpers");
  tcase_add_loop_test(tc, test_id_as_date, 0,
                      (int)(sizeof(dates) / sizeof(dates[0])));
  tcase_add_test(tc, test_id_as_date_small_buffer);
  tcase_add_loop_test(tc, test_looks_like, 0,
                      (int)(sizeof(looks) / sizeof(looks[0])));
  tcase_add_test(tc, test_looks_like_null);
  tcase_add_test(tc, test_status_str);
  suite_add_tcase(s, tc);

  tc = tcase_create("outputs");
  tcase_add_test(tc, test_sts_message_and_subject);
  tcase_add_test(tc, test_sts_subject_keeps_nul);
  tcase_add_test(tc, test_sts_selected_and_id);
  tcase_add_test(tc, test_findings_appended);
  tcase_add_test(tc, test_tlsrpt_rua_output);
  tcase_add_test(tc, test_tlsrpt_missing_no_rua);
  tcase_add_test(tc, test_huge_records);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  load_cases(&sts_cases);
  load_cases(&tlsrpt_cases);
  sr = srunner_create(txt_suite());
  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  free_cases(&sts_cases);
  free_cases(&tlsrpt_cases);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
