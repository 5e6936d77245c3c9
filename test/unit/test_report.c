/* Reporters: golden files for text (colour off and on) and JSON, plus the
 * properties that must hold whatever the layout: JSON fields and their
 * order, valid UTF-8, no terminal control bytes from network data, errors.
 *
 * Regenerate the goldens after a deliberate change, then review them:
 *   MTS_UPDATE_GOLDEN=1 ./test_report
 *   git diff fixtures/expected/
 *
 * The same cases in Japanese (LC_ALL=ja_JP.UTF-8 and the build tree's
 * catalogue, po/ja.po): text goldens in fixtures/expected/ja/, and the
 * JSON must be byte for byte the English golden (issue 15).
 */

#include "mtasts/output.h"

#include <check.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#ifndef MTS_SOURCE_DIR
#error "MTS_SOURCE_DIR must name the source tree"
#endif

#define CHECKED_AT 1795856400LL /* 2026-11-28T09:00:00Z */

/* String literals with embedded NULs: pass the length explicitly. */
#define LIT(s) s, sizeof(s) - 1

/* ---- building results by hand ---------------------------------------- */

static char *
xmemdup(const char *s, size_t len)
{
  char *p = malloc(len + 1);

  ck_assert_ptr_nonnull(p);
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

static char *
xstrdup(const char *s)
{
  return xmemdup(s, strlen(s));
}

static void
add_txt(struct mts_record_view *v, const char *data, size_t len)
{
  struct mts_buf *txt = realloc(v->txt, (v->n_txt + 1) * sizeof(*txt));

  ck_assert_ptr_nonnull(txt);
  v->txt = txt;
  v->txt[v->n_txt].data = xmemdup(data, len);
  v->txt[v->n_txt].len = len;
  v->n_txt++;
}

static void
add_str(char ***v, size_t *n, const char *s)
{
  char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

  ck_assert_ptr_nonnull(nv);
  *v = nv;
  nv[(*n)++] = xstrdup(s);
}

static void
add_host(struct mts_result *r, const char *name, unsigned pref, int covered,
         const char *matched_by)
{
  struct mts_mx_host *h =
      realloc(r->mx.hosts, (r->mx.n_hosts + 1) * sizeof(*h));

  ck_assert_ptr_nonnull(h);
  r->mx.hosts = h;
  h += r->mx.n_hosts++;
  memset(h, 0, sizeof(*h));
  h->name = xstrdup(name);
  h->preference = pref;
  h->covered = covered;
  h->matched_by = matched_by ? xstrdup(matched_by) : NULL;
}

/* One entry of policy.addresses that answered HTTP 200. */
static void
add_policy_addr(struct mts_result *r, const char *address, int selected,
                int same_policy)
{
  struct mts_policy_addr *a =
      realloc(r->policy.addrs, (r->policy.n_addrs + 1) * sizeof(*a));

  ck_assert_ptr_nonnull(a);
  r->policy.addrs = a;
  a += r->policy.n_addrs++;
  memset(a, 0, sizeof(*a));
  a->address = xstrdup(address);
  a->outcome = "ok";
  a->selected = selected;
  a->status = MTS_POLICY_VALID;
  a->http_status = 200;
  a->content_type = xstrdup("text/plain");
  a->cert_not_after = -1;
  a->cert_checked = 1;
  a->same_policy = same_policy;
}

static void
set_record(struct mts_record_view *v, enum mts_record_status st,
           const char *name, long ttl)
{
  v->status = st;
  v->name = xstrdup(name);
  v->ttl = ttl;
}

/* A complete, healthy deployment: everything valid, no findings. */
static void
build_valid(struct mts_result *r)
{
  r->domain = xstrdup("example.com");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 184;

  set_record(&r->sts.record, MTS_REC_VALID, "_mta-sts.example.com", 300);
  add_txt(&r->sts.record, LIT("v=STSv1; id=20190425085700"));
  r->sts.id = xstrdup("20190425085700");

  r->policy.status = MTS_POLICY_VALID;
  r->policy.url =
      xstrdup("https://mta-sts.example.com/.well-known/mta-sts.txt");
  r->policy.http_status = 200;
  r->policy.content_type = xstrdup("text/plain");
  r->policy.mode = xstrdup("enforce");
  r->policy.max_age = 604800;
  add_str(&r->policy.mx, &r->policy.n_mx, "mx1.example.com");
  add_str(&r->policy.mx, &r->policy.n_mx, "*.example.net");
  add_policy_addr(r, "192.0.2.10", 1, 1);
  add_policy_addr(r, "2001:db8::10", 0, 1);

  r->mx.covered = 1;
  add_host(r, "mx1.example.com", 10, 1, "mx1.example.com");
  add_host(r, "mx2.example.net", 20, 1, "*.example.net");

  set_record(&r->tlsrpt.record, MTS_REC_VALID, "_smtp._tls.example.com", 3600);
  add_txt(&r->tlsrpt.record, LIT("v=TLSRPTv1; rua=mailto:tlsrpt@example.com"));
  add_str(&r->tlsrpt.rua, &r->tlsrpt.n_rua, "mailto:tlsrpt@example.com");

  mts_result_set_status(r);
}

/* Several problems at once; findings added in a mixed severity order. */
static void
build_broken(struct mts_result *r)
{
  struct mts_findings *fl = &r->findings;

  r->domain = xstrdup("broken.example");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 96;

  set_record(&r->sts.record, MTS_REC_INVALID, "_mta-sts.broken.example", 300);
  add_txt(&r->sts.record, LIT("v=STSv1; id=2019-04-25T08:57"));
  add_txt(&r->sts.record, LIT("v=STSv1; id=abc"));
  add_txt(&r->sts.record, LIT("google-site-verification=abc123"));

  add_host(r, "mx1.broken.example", 10, -1, NULL);
  add_host(r, "192.0.2.1", 20, -1, NULL);

  set_record(&r->tlsrpt.record, MTS_REC_INVALID, "_smtp._tls.broken.example",
             300);
  add_txt(&r->tlsrpt.record, LIT("v=TLSRPTv1; rua=tlsrpt@broken.example"));

  ck_assert_int_eq(
      mts_findings_add(fl, MTS_F_STS_UNRELATED_TXT,
                       LIT("google-site-verification=abc123"),
                       "A TXT record at %s does not start with v=STSv1; "
                       "senders ignore it.",
                       "_mta-sts.broken.example"),
      MTS_OK);
  ck_assert_int_eq(mts_findings_add(fl, MTS_F_STS_RECORD_MULTIPLE, NULL, 0,
                                    "%d TXT records at %s start with "
                                    "v=STSv1; senders need exactly one.",
                                    2, "_mta-sts.broken.example"),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(fl, MTS_F_STS_ID_INVALID,
                                    LIT("2019-04-25T08:57"),
                                    "The id \"%s\" holds characters other "
                                    "than letters and digits.",
                                    "2019-04-25T08:57"),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(fl, MTS_F_MX_TARGET_IP_LITERAL,
                                    LIT("192.0.2.1"),
                                    "The MX target %s (preference %u) is an "
                                    "IP address, not a host name.",
                                    "192.0.2.1", 20u),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(fl, MTS_F_TLSRPT_RUA_INVALID_URI,
                                    LIT("tlsrpt@broken.example"),
                                    "A rua entry is not a URI: it has no "
                                    "scheme (mailto: is missing)."),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(fl, MTS_F_TLSRPT_RUA_NO_VALID_URI, NULL, 0,
                                    "The record has no usable rua URI: "
                                    "reports have nowhere to go."),
                   MTS_OK);
  mts_result_set_status(r);
}

/* Lookups failed: the record's status and the MX hosts are unknown. */
static void
build_unknown(struct mts_result *r)
{
  r->domain = xstrdup("example.org");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 20000;

  set_record(&r->sts.record, MTS_REC_UNKNOWN, "_mta-sts.example.org", -1);

  set_record(&r->tlsrpt.record, MTS_REC_VALID, "_smtp._tls.example.org", 86400);
  add_txt(&r->tlsrpt.record, LIT("v=TLSRPTv1;rua=mailto:tls@example.org,"
                                 "https://report.example.org/tlsrpt"));
  add_str(&r->tlsrpt.rua, &r->tlsrpt.n_rua, "mailto:tls@example.org");
  add_str(&r->tlsrpt.rua, &r->tlsrpt.n_rua,
          "https://report.example.org/tlsrpt");

  ck_assert_int_eq(mts_findings_add(&r->findings, MTS_F_DNS_TIMEOUT,
                                    LIT("_mta-sts.example.org"),
                                    "No answer for %s TXT within %d s (%d "
                                    "tries).",
                                    "_mta-sts.example.org", 5, 3),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(&r->findings, MTS_F_MX_LOOKUP_FAILED,
                                    LIT("example.org"),
                                    "The MX lookup failed: SERVFAIL."),
                   MTS_OK);
  mts_result_set_status(r);
}

/* An internationalised domain, mode testing, no TLS-RPT record. */
static void
build_idn(struct mts_result *r)
{
  r->domain = xstrdup("xn--bcher-kva.example");
  r->domain_unicode = xstrdup("b\xc3\xbc"
                              "cher.example");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 211;

  set_record(&r->sts.record, MTS_REC_VALID, "_mta-sts.xn--bcher-kva.example",
             3600);
  add_txt(&r->sts.record, LIT("v=STSv1; id=20240301"));
  r->sts.id = xstrdup("20240301");

  r->policy.status = MTS_POLICY_VALID;
  r->policy.url =
      xstrdup("https://mta-sts.xn--bcher-kva.example/.well-known/mta-sts.txt");
  r->policy.http_status = 200;
  r->policy.content_type = xstrdup("text/plain; charset=utf-8");
  r->policy.mode = xstrdup("testing");
  r->policy.max_age = 90000;
  add_str(&r->policy.mx, &r->policy.n_mx, "mx.xn--bcher-kva.example");

  r->mx.covered = 1;
  add_host(r, "mx.xn--bcher-kva.example", 0, 1, "mx.xn--bcher-kva.example");

  set_record(&r->tlsrpt.record, MTS_REC_MISSING,
             "_smtp._tls.xn--bcher-kva.example", -1);

  ck_assert_int_eq(mts_findings_add(&r->findings, MTS_F_TLSRPT_RECORD_MISSING,
                                    NULL, 0,
                                    "No TLS-RPT record at %s: in mode "
                                    "testing nobody reports the failures.",
                                    "_smtp._tls.xn--bcher-kva.example"),
                   MTS_OK);
  mts_result_set_status(r);
}

/* Every network string is hostile: terminal escapes (CSI, OSC, C1 CSI),
 * NUL, CR/LF, DEL, 0xff, invalid UTF-8, a bidi override. */
static const char hostile_txt[] = "v=STSv1; id=\x1b[31mRED\x1b[0m\0\xff\\ \x7f"
                                  "\x9b"
                                  "2J\xc3\xa9";
/* One malformed sequence per field, then the JSON it must turn into. */
static const char utf8_in[] = "\0|\xff|\xc3\x28|\xe2\x82|\xed\xa0\x80|"
                              "\xc0\x80|\xf4\x90\x80\x80|\xc3\xa9|"
                              "\xf0\x9f\x98\x80|\xef\xbf\xbf|"
                              "\xf8\x88\x80\x80\x80|";
#define FFFD "\xef\xbf\xbd"
static const char utf8_out[] =
    FFFD "|" FFFD "|" FFFD "(|" FFFD FFFD "|" FFFD FFFD FFFD "|" FFFD FFFD
         "|" FFFD FFFD FFFD FFFD "|\xc3\xa9|"
         "\xf0\x9f\x98\x80|\xef\xbf\xbf|" FFFD FFFD FFFD FFFD FFFD "|";

static void
build_hostile(struct mts_result *r)
{
  r->domain = xstrdup("hostile.example");
  r->domain_unicode = xstrdup("h\xe2\x80\xaeostile.example"); /* U+202E */
  r->checked_at = CHECKED_AT;
  r->duration_ms = 7;

  set_record(&r->sts.record, MTS_REC_INVALID, "_mta-sts.hostile.example", 60);
  add_txt(&r->sts.record, LIT(hostile_txt));
  add_txt(&r->sts.record, LIT(utf8_in));
  r->sts.id = xstrdup("\x1b[5mblink");

  r->policy.status = MTS_POLICY_INVALID;
  r->policy.url =
      xstrdup("https://mta-sts.hostile.example/.well-known/mta-sts.txt");
  r->policy.http_status = 200;
  r->policy.content_type = xstrdup("text/html\x1b]0;pwned\x07");
  r->policy.mode = xstrdup("enforce\r\n\x1b[1A");
  r->policy.max_age = 604800;
  add_str(&r->policy.mx, &r->policy.n_mx, "\x1b[2Jmx.hostile.example");
  add_str(&r->policy.mx, &r->policy.n_mx, "*.ok.example\\");

  r->mx.covered = 0;
  add_host(r,
           "mx\x1b]8;;http://evil.example/\x07"
           "click\x1b]8;;\x07.hostile.example",
           10, 0, NULL);
  add_host(r, "\xff\xfe.example", 20, 1,
           "*.\x9b"
           "31m");

  set_record(&r->tlsrpt.record, MTS_REC_INVALID, "_smtp._tls.hostile.example",
             60);
  add_txt(&r->tlsrpt.record,
          LIT("v=TLSRPTv1; rua=mailto:a@hostile.example\r\n\x1b[2K"));
  add_str(&r->tlsrpt.rua, &r->tlsrpt.n_rua,
          "mailto:a@hostile.example\r\n\x1b[2K");

  ck_assert_int_eq(mts_findings_add(&r->findings, MTS_F_STS_RECORD_NOT_ASCII,
                                    LIT(hostile_txt),
                                    "The record holds a control character "
                                    "in \"%s\".",
                                    "\x1b[31mRED\x1b[0m"),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(&r->findings, MTS_F_TLSRPT_RECORD_SYNTAX,
                                    LIT("\r\n\x1b[2K"),
                                    "Control characters after the rua "
                                    "list: %s",
                                    "\r\n\x1b[2K"),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(&r->findings, MTS_F_STS_UNRELATED_TXT,
                                    LIT("\0\0"),
                                    "A TXT record holds only NUL bytes."),
                   MTS_OK);
  mts_result_set_status(r);
}

/* A name that is not a domain: nothing was looked up. */
static void
build_invalid(struct mts_result *r)
{
  r->domain = xstrdup("bad..name");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 0;
  ck_assert_int_eq(mts_findings_add(&r->findings, MTS_F_DOMAIN_INVALID,
                                    LIT("bad..name"),
                                    "'%s' is not a valid domain: the name "
                                    "has an empty label.",
                                    "bad..name"),
                   MTS_OK);
  mts_result_set_status(r);
}

struct report_case {
  const char *name;
  void (*build)(struct mts_result *r);
};

static const struct report_case cases[] = {
    {"valid", build_valid},     {"broken", build_broken},
    {"unknown", build_unknown}, {"idn", build_idn},
    {"hostile", build_hostile}, {"invalid", build_invalid},
};
#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* ---- rendering and golden files ---------------------------------------- */

enum kind { KIND_TEXT, KIND_COLOR, KIND_JSON };

static const char *const kind_ext[] = {".txt", ".color.txt", ".json"};

/* Render r into memory; the caller frees the buffer. */
static char *
render(const struct mts_result *r, enum kind kind, size_t *len)
{
  struct mts_text_opts opts = {kind == KIND_COLOR};
  char *buf = NULL;
  size_t size = 0;
  enum mts_err err;
  FILE *f = open_memstream(&buf, &size);

  ck_assert_ptr_nonnull(f);
  if (kind == KIND_JSON) {
    err = mts_report_json_write(f, r);
  } else {
    err = mts_report_text_write(f, r, &opts);
  }
  ck_assert_int_eq(err, MTS_OK);
  ck_assert_int_eq(fclose(f), 0);
  *len = size;
  return buf;
}

static char *
render_case(int i, enum kind kind, size_t *len)
{
  struct mts_result r;
  char *buf;

  mts_result_init(&r);
  cases[i].build(&r);
  buf = render(&r, kind, len);
  mts_result_release(&r);
  return buf;
}

static char *
read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0, cap = 0;

  if (f == NULL) {
    return NULL;
  }
  for (;;) {
    size_t got;

    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      buf = realloc(buf, cap);
      ck_assert_ptr_nonnull(buf);
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      break;
    }
  }
  ck_assert_int_eq(ferror(f), 0);
  ck_assert_int_eq(fclose(f), 0);
  *len = n;
  return buf;
}

static void
check_golden_in(const char *sub, const char *name, enum kind kind,
                const char *out, size_t len)
{
  const char *update = getenv("MTS_UPDATE_GOLDEN");
  char path[1024];
  char *want;
  size_t want_len, at = 0;

  ck_assert_int_lt(snprintf(path, sizeof(path),
                            "%s/fixtures/expected/%sreport_%s%s",
                            MTS_SOURCE_DIR, sub, name, kind_ext[kind]),
                   (int)sizeof(path));
  if (update != NULL && strcmp(update, "1") == 0) {
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(out, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return;
  }
  want = read_file(path, &want_len);
  ck_assert_msg(want != NULL, "%s is missing (MTS_UPDATE_GOLDEN=1 writes it)",
                path);
  while (at < len && at < want_len && out[at] == want[at]) {
    at++;
  }
  ck_assert_msg(at == len && at == want_len,
                "%s: output differs at byte %zu (output %zu bytes, golden "
                "%zu); regenerate with MTS_UPDATE_GOLDEN=1 and review",
                path, at, len, want_len);
  free(want);
}

static void
check_golden(const char *name, enum kind kind, const char *out, size_t len)
{
  check_golden_in("", name, kind, out, len);
}

/* What main() does for LANG=ja_JP.UTF-8 (src/cli/main.c i18n_init).
 * \return 0 when the machine lacks the locale: a package build in a bare
 * chroot has none; CI generates it, and i18n.output fails without it. */
static int
japanese(void)
{
  if (setlocale(LC_ALL, "ja_JP.UTF-8") == NULL) {
    fprintf(stderr, "test_report: no ja_JP.UTF-8 locale, Japanese goldens "
                    "skipped (localedef -i ja_JP -f UTF-8 ja_JP.UTF-8)\n");
    return 0;
  }
  ck_assert_ptr_nonnull(setlocale(LC_NUMERIC, "C"));
  ck_assert_ptr_nonnull(bindtextdomain("mtasts-check", MTS_BUILD_LOCALEDIR));
  ck_assert_ptr_nonnull(bind_textdomain_codeset("mtasts-check", "UTF-8"));
  return 1;
}

/* The Japanese goldens switch the process's locale; with CK_FORK=no
 * (valgrind) every later test runs in the same process, so each test of
 * this case ends back in the C locale, failed or not. */
static void
c_locale(void)
{
  setlocale(LC_ALL, "C");
}

START_TEST(test_golden_ja)
{
  size_t len;
  char *out;

  if (!japanese()) {
    return;
  }
  out = render_case(_i, KIND_TEXT, &len);
  check_golden_in("ja/", cases[_i].name, KIND_TEXT, out, len);
  free(out);
  out = render_case(_i, KIND_COLOR, &len);
  check_golden_in("ja/", cases[_i].name, KIND_COLOR, out, len);
  free(out);
  /* Machine output does not move with the language. */
  out = render_case(_i, KIND_JSON, &len);
  check_golden_in("", cases[_i].name, KIND_JSON, out, len);
  free(out);
}
END_TEST

START_TEST(test_golden)
{
  for (enum kind k = KIND_TEXT; k <= KIND_JSON; k++) {
    size_t len;
    char *out = render_case(_i, k, &len);

    check_golden(cases[_i].name, k, out, len);
    free(out);
  }
}
END_TEST

/* ---- properties of the JSON -------------------------------------------- */

/* Independent strict UTF-8 check (RFC 3629 §4), by code point. */
static int
valid_utf8(const unsigned char *s, size_t len)
{
  size_t i = 0;

  while (i < len) {
    unsigned long cp;
    size_t n;

    if (s[i] < 0x80) {
      i++;
      continue;
    }
    if ((s[i] & 0xe0) == 0xc0) {
      n = 2;
      cp = s[i] & 0x1fu;
    } else if ((s[i] & 0xf0) == 0xe0) {
      n = 3;
      cp = s[i] & 0x0fu;
    } else if ((s[i] & 0xf8) == 0xf0) {
      n = 4;
      cp = s[i] & 0x07u;
    } else {
      return 0;
    }
    if (i + n > len) {
      return 0;
    }
    for (size_t k = 1; k < n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) {
        return 0;
      }
      cp = (cp << 6) | (s[i + k] & 0x3fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return 0;
    }
    i += n;
  }
  return 1;
}

/* obj has exactly these members, in this order. */
static void
check_keys(const cJSON *obj, const char *where, const char *const *keys)
{
  const cJSON *it;
  size_t i = 0;

  ck_assert_msg(cJSON_IsObject(obj), "%s is not an object", where);
  cJSON_ArrayForEach(it, obj)
  {
    ck_assert_msg(keys[i] != NULL, "%s: unexpected member %s", where,
                  it->string);
    ck_assert_msg(strcmp(it->string, keys[i]) == 0,
                  "%s: member %zu is %s, expected %s", where, i, it->string,
                  keys[i]);
    i++;
  }
  ck_assert_msg(keys[i] == NULL, "%s: member %s is missing", where, keys[i]);
}

static const cJSON *
member(const cJSON *obj, const char *name)
{
  return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static void
check_one_of(const cJSON *v, const char *where, const char *const *allowed)
{
  ck_assert_msg(cJSON_IsString(v), "%s is not a string", where);
  for (size_t i = 0; allowed[i] != NULL; i++) {
    if (strcmp(v->valuestring, allowed[i]) == 0) {
      return;
    }
  }
  ck_abort_msg("%s: unexpected value %s", where, v->valuestring);
}

static void
check_string_or_null(const cJSON *v, const char *where)
{
  ck_assert_msg(cJSON_IsString(v) || cJSON_IsNull(v),
                "%s is neither a string nor null", where);
}

static void
check_count_or_null(const cJSON *v, const char *where)
{
  ck_assert_msg(cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble >= 0),
                "%s is neither a non-negative number nor null", where);
}

static void
check_strings_or_null(const cJSON *v, const char *where)
{
  const cJSON *it;

  ck_assert_msg(cJSON_IsArray(v) || cJSON_IsNull(v),
                "%s is neither an array nor null", where);
  cJSON_ArrayForEach(it, v)
  {
    ck_assert_msg(cJSON_IsString(it), "%s holds a non-string", where);
  }
}

static const char *const record_statuses[] = {"valid", "invalid", "missing",
                                              "unknown", NULL};

static void
check_schema(const cJSON *root)
{
  static const char *const root_keys[] = {"schema_version",
                                          "domain",
                                          "domain_unicode",
                                          "checked_at",
                                          "duration_ms",
                                          "status",
                                          "mta_sts",
                                          "tls_rpt",
                                          "findings",
                                          "changes",
                                          "old_policy_until",
                                          "propagation",
                                          NULL};
  static const char *const sts_keys[] = {"record", "policy", "mx", NULL};
  static const char *const sts_rec_keys[] = {"status", "name", "txt",
                                             "id",     "ttl",  NULL};
  static const char *const policy_keys[] = {
      "status",         "url",       "http_status", "content_type",
      "mode",           "max_age",   "mx",          "cert_not_after",
      "cert_days_left", "addresses", NULL};
  static const char *const addr_keys[] = {"address",        "selected",
                                          "outcome",        "status",
                                          "http_status",    "content_type",
                                          "cert_not_after", "cert_checked",
                                          "same_policy",    NULL};
  static const char *const mx_keys[] = {"covered", "hosts", "tls_ok", NULL};
  static const char *const host_keys[] = {"name",       "preference", "covered",
                                          "matched_by", "cname",      "dane",
                                          "addresses",  NULL};
  static const char *const rpt_keys[] = {"record", NULL};
  static const char *const rpt_rec_keys[] = {"status", "name", "txt",
                                             "rua",    "ttl",  NULL};
  static const char *const finding_keys[] = {"code",    "severity", "message",
                                             "subject", "rfc",      NULL};
  static const char *const statuses[] = {"ok", "warning", "error", "unknown",
                                         NULL};
  static const char *const policy_statuses[] = {
      "valid", "invalid", "unreachable", "not-checked", NULL};
  static const char *const severities[] = {"error", "warning", "info", NULL};
  const cJSON *sts, *rec, *pol, *mx, *rpt, *it, *v;

  check_keys(root, "root", root_keys);
  v = member(root, "schema_version");
  ck_assert(cJSON_IsNumber(v) && v->valuedouble == 1);
  ck_assert(cJSON_IsString(member(root, "domain")));
  check_string_or_null(member(root, "domain_unicode"), "domain_unicode");
  v = member(root, "checked_at");
  ck_assert(cJSON_IsNull(v) ||
            (cJSON_IsString(v) && strlen(v->valuestring) == 20 &&
             v->valuestring[10] == 'T' && v->valuestring[19] == 'Z'));
  check_count_or_null(member(root, "duration_ms"), "duration_ms");
  check_one_of(member(root, "status"), "status", statuses);

  sts = member(root, "mta_sts");
  check_keys(sts, "mta_sts", sts_keys);
  rec = member(sts, "record");
  check_keys(rec, "mta_sts.record", sts_rec_keys);
  check_one_of(member(rec, "status"), "mta_sts.record.status", record_statuses);
  check_string_or_null(member(rec, "name"), "mta_sts.record.name");
  check_strings_or_null(member(rec, "txt"), "mta_sts.record.txt");
  check_string_or_null(member(rec, "id"), "mta_sts.record.id");
  check_count_or_null(member(rec, "ttl"), "mta_sts.record.ttl");

  pol = member(sts, "policy");
  check_keys(pol, "mta_sts.policy", policy_keys);
  check_one_of(member(pol, "status"), "policy.status", policy_statuses);
  check_string_or_null(member(pol, "url"), "policy.url");
  check_count_or_null(member(pol, "http_status"), "policy.http_status");
  check_string_or_null(member(pol, "content_type"), "policy.content_type");
  check_string_or_null(member(pol, "mode"), "policy.mode");
  check_count_or_null(member(pol, "max_age"), "policy.max_age");
  check_strings_or_null(member(pol, "mx"), "policy.mx");
  /* Additions to the contract's policy object (CHANGELOG). */
  ck_assert(cJSON_IsNull(member(pol, "cert_not_after")) ||
            cJSON_IsString(member(pol, "cert_not_after")));
  check_count_or_null(member(pol, "cert_days_left"), "policy.cert_days_left");
  v = member(pol, "addresses");
  ck_assert(cJSON_IsArray(v));
  cJSON_ArrayForEach(it, v)
  {
    check_keys(it, "mta_sts.policy.addresses[]", addr_keys);
    ck_assert(cJSON_IsString(member(it, "address")));
    ck_assert(cJSON_IsBool(member(it, "selected")));
    ck_assert(cJSON_IsString(member(it, "outcome")));
    check_one_of(member(it, "status"), "addresses[].status", policy_statuses);
    check_count_or_null(member(it, "http_status"), "addresses[].http_status");
    check_string_or_null(member(it, "content_type"),
                         "addresses[].content_type");
    check_string_or_null(member(it, "cert_not_after"),
                         "addresses[].cert_not_after");
    ck_assert(cJSON_IsBool(member(it, "cert_checked")));
    ck_assert(cJSON_IsBool(member(it, "same_policy")) ||
              cJSON_IsNull(member(it, "same_policy")));
  }

  mx = member(sts, "mx");
  check_keys(mx, "mta_sts.mx", mx_keys);
  v = member(mx, "covered");
  ck_assert(cJSON_IsBool(v) || cJSON_IsNull(v));
  v = member(mx, "hosts");
  ck_assert(cJSON_IsArray(v) || cJSON_IsNull(v));
  cJSON_ArrayForEach(it, v)
  {
    check_keys(it, "mta_sts.mx.hosts[]", host_keys);
    ck_assert(cJSON_IsString(member(it, "name")));
    check_count_or_null(member(it, "preference"), "preference");
    ck_assert(cJSON_IsBool(member(it, "covered")) ||
              cJSON_IsNull(member(it, "covered")));
    check_string_or_null(member(it, "matched_by"), "matched_by");
  }

  rpt = member(root, "tls_rpt");
  check_keys(rpt, "tls_rpt", rpt_keys);
  rec = member(rpt, "record");
  check_keys(rec, "tls_rpt.record", rpt_rec_keys);
  check_one_of(member(rec, "status"), "tls_rpt.record.status", record_statuses);
  check_string_or_null(member(rec, "name"), "tls_rpt.record.name");
  check_strings_or_null(member(rec, "txt"), "tls_rpt.record.txt");
  check_strings_or_null(member(rec, "rua"), "tls_rpt.record.rua");
  check_count_or_null(member(rec, "ttl"), "tls_rpt.record.ttl");

  v = member(root, "findings");
  ck_assert(cJSON_IsArray(v));
  cJSON_ArrayForEach(it, v)
  {
    check_keys(it, "findings[]", finding_keys);
    ck_assert(cJSON_IsString(member(it, "code")));
    check_one_of(member(it, "severity"), "severity", severities);
    ck_assert(cJSON_IsString(member(it, "message")));
    check_string_or_null(member(it, "subject"), "subject");
    ck_assert(cJSON_IsString(member(it, "rfc")));
  }
}

START_TEST(test_json_schema)
{
  size_t len;
  char *out = render_case(_i, KIND_JSON, &len);
  cJSON *root;

  /* One line, '\n'-terminated, valid UTF-8, no NUL. */
  ck_assert_uint_gt(len, 2);
  ck_assert_int_eq(out[len - 1], '\n');
  ck_assert_ptr_eq(memchr(out, '\n', len), out + len - 1);
  ck_assert_ptr_null(memchr(out, '\0', len));
  ck_assert_msg(valid_utf8((const unsigned char *)out, len),
                "%s: JSON is not valid UTF-8", cases[_i].name);

  root = cJSON_Parse(out);
  ck_assert_msg(root != NULL, "%s: JSON does not parse", cases[_i].name);
  check_schema(root);
  cJSON_Delete(root);
  free(out);
}
END_TEST

static cJSON *json_of(void (*build)(struct mts_result *));
static const cJSON *member(const cJSON *obj, const char *name);

/* --propagation (rollout.md R199): the member's shape, and the text block. */
static void
build_propagation(struct mts_result *r)
{
  struct mts_propagation_view *v = calloc(1, sizeof(*v));
  struct mts_ns_view *s;

  ck_assert_ptr_nonnull(v);
  r->domain = xstrdup("example.com");
  r->status = MTS_STATUS_WARNING;
  v->zone = xstrdup("example.com");
  v->in_sync = 0;
  v->resolver_current = 1;
  v->servers = calloc(2, sizeof(*v->servers));
  ck_assert_ptr_nonnull(v->servers);
  v->n_servers = 2;
  s = &v->servers[0];
  s->name = xstrdup("ns1.example.com");
  s->ip = xstrdup("192.0.2.53");
  s->serial = 2026120502;
  for (int k = 0; k < MTS_PROP__COUNT; k++) {
    s->rr[k].known = 1;
  }
  s->rr[MTS_PROP_STS].v = calloc(1, sizeof(struct mts_buf));
  ck_assert_ptr_nonnull(s->rr[MTS_PROP_STS].v);
  s->rr[MTS_PROP_STS].v[0].data = xstrdup("v=STSv1; id=2");
  s->rr[MTS_PROP_STS].v[0].len = strlen("v=STSv1; id=2");
  s->rr[MTS_PROP_STS].n = 1;
  s = &v->servers[1];
  s->name = xstrdup("ns2.example.com");
  s->ip = xstrdup("198.51.100.53");
  s->status = MTS_NS_LAME;
  s->serial = -1;
  r->propagation = v;
}

START_TEST(test_json_propagation)
{
  static const char *const prop_keys[] = {
      "zone",    "domain_zone", "in_sync", "resolver_current",
      "servers", "error",       NULL};
  static const char *const server_keys[] = {
      "name", "ip", "status", "serial", "sts_txt", "tlsrpt_txt", "mx", NULL};
  cJSON *root = json_of(build_propagation);
  const cJSON *p = member(root, "propagation"), *s0, *s1;
  struct mts_result r;
  size_t len;
  char *text;

  check_keys(p, "propagation", prop_keys);
  ck_assert(cJSON_IsFalse(member(p, "in_sync")));
  ck_assert(cJSON_IsTrue(member(p, "resolver_current")));
  ck_assert(cJSON_IsNull(member(p, "domain_zone")));
  s0 = cJSON_GetArrayItem(member(p, "servers"), 0);
  s1 = cJSON_GetArrayItem(member(p, "servers"), 1);
  check_keys(s0, "propagation.servers[0]", server_keys);
  ck_assert_str_eq(member(s0, "status")->valuestring, "ok");
  ck_assert_double_eq(member(s0, "serial")->valuedouble, 2026120502.0);
  ck_assert_str_eq(cJSON_GetArrayItem(member(s0, "sts_txt"), 0)->valuestring,
                   "v=STSv1; id=2");
  ck_assert_int_eq(cJSON_GetArraySize(member(s0, "mx")), 0);
  ck_assert_str_eq(member(s1, "status")->valuestring, "lame");
  ck_assert(cJSON_IsNull(member(s1, "serial")));
  ck_assert(cJSON_IsNull(member(s1, "sts_txt")));
  cJSON_Delete(root);

  mts_result_init(&r);
  build_propagation(&r);
  text = render(&r, KIND_TEXT, &len);
  ck_assert_ptr_nonnull(strstr(text, "  Name servers    zone example.com: "
                                     "out of sync\n"));
  ck_assert_ptr_nonnull(strstr(text, "ns1.example.com 192.0.2.53: ok, serial "
                                     "2026120502\n"));
  ck_assert_ptr_nonnull(strstr(text, "ns2.example.com 198.51.100.53: lame\n"));
  free(text);
  mts_result_release(&r);
}
END_TEST

static cJSON *
json_of(void (*build)(struct mts_result *))
{
  struct mts_result r;
  size_t len;
  char *out;
  cJSON *root;

  mts_result_init(&r);
  build(&r);
  out = render(&r, KIND_JSON, &len);
  mts_result_release(&r);
  root = cJSON_Parse(out);
  ck_assert_ptr_nonnull(root);
  free(out);
  return root;
}

static const cJSON *
path(const cJSON *v, const char *a, const char *b, const char *c)
{
  v = member(v, a);
  if (b != NULL) {
    v = member(v, b);
  }
  if (c != NULL) {
    v = member(v, c);
  }
  ck_assert_ptr_nonnull(v);
  return v;
}

START_TEST(test_json_utf8_replacement)
{
  cJSON *root = json_of(build_hostile);
  const cJSON *txt = path(root, "mta_sts", "record", "txt");
  const cJSON *f = cJSON_GetArrayItem(member(root, "findings"), 2);

  ck_assert_int_eq(cJSON_GetArraySize(txt), 2);
  /* Each bad byte is one U+FFFD; valid sequences (even U+FFFF) stay. */
  ck_assert_str_eq(cJSON_GetArrayItem(txt, 1)->valuestring, utf8_out);
  ck_assert_str_eq(cJSON_GetArrayItem(txt, 0)->valuestring,
                   "v=STSv1; id=\x1b[31mRED\x1b[0m" FFFD FFFD "\\ \x7f" FFFD
                   "2J\xc3\xa9");
  /* The subject keeps its length: NULs are not truncation points. */
  ck_assert_str_eq(member(f, "subject")->valuestring, FFFD FFFD);
  /* A bidi override is valid UTF-8: JSON keeps it (the text escapes it). */
  ck_assert_str_eq(member(root, "domain_unicode")->valuestring,
                   "h\xe2\x80\xaeostile.example");
  cJSON_Delete(root);
}
END_TEST

START_TEST(test_json_values)
{
  cJSON *root = json_of(build_valid);

  ck_assert_str_eq(member(root, "checked_at")->valuestring,
                   "2026-11-28T09:00:00Z");
  ck_assert_double_eq(member(root, "duration_ms")->valuedouble, 184);
  ck_assert_str_eq(member(root, "status")->valuestring, "ok");
  ck_assert(cJSON_IsNull(member(root, "domain_unicode")));
  ck_assert_double_eq(path(root, "mta_sts", "record", "ttl")->valuedouble, 300);
  ck_assert_int_eq(cJSON_GetArraySize(path(root, "mta_sts", "policy", "mx")),
                   2);
  ck_assert(cJSON_IsTrue(path(root, "mta_sts", "mx", "covered")));
  cJSON_Delete(root);

  /* Unknown things are null, never missing. */
  root = json_of(build_unknown);
  ck_assert_str_eq(member(root, "status")->valuestring, "unknown");
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "record", "txt")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "record", "ttl")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "record", "id")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "policy", "mx")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "policy", "http_status")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "policy", "max_age")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "mx", "covered")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "mx", "hosts")));
  ck_assert_int_eq(cJSON_GetArraySize(path(root, "tls_rpt", "record", "rua")),
                   2);
  cJSON_Delete(root);

  /* Missing is known: empty arrays, not null. */
  root = json_of(build_idn);
  ck_assert_str_eq(member(root, "domain_unicode")->valuestring, "b\xc3\xbc"
                                                                "cher.example");
  ck_assert_int_eq(cJSON_GetArraySize(path(root, "tls_rpt", "record", "txt")),
                   0);
  ck_assert(cJSON_IsArray(path(root, "tls_rpt", "record", "txt")));
  ck_assert(cJSON_IsArray(path(root, "tls_rpt", "record", "rua")));
  ck_assert(cJSON_IsNull(path(root, "tls_rpt", "record", "ttl")));
  cJSON_Delete(root);
}
END_TEST

START_TEST(test_json_null_scalars)
{
  struct mts_result r;
  size_t len;
  char *out;
  cJSON *root;

  mts_result_init(&r); /* nothing known at all */
  r.duration_ms = -1;
  out = render(&r, KIND_JSON, &len);
  root = cJSON_Parse(out);
  ck_assert_ptr_nonnull(root);
  check_keys(root, "root",
             (const char *const[]){"schema_version", "domain", "domain_unicode",
                                   "checked_at", "duration_ms", "status",
                                   "mta_sts", "tls_rpt", "findings", "changes",
                                   "old_policy_until", "propagation", NULL});
  ck_assert(cJSON_IsNull(member(root, "propagation")));
  ck_assert(cJSON_IsNull(member(root, "domain")));
  ck_assert(cJSON_IsNull(member(root, "changes")));
  ck_assert(cJSON_IsNull(member(root, "old_policy_until")));
  ck_assert(cJSON_IsNull(member(root, "checked_at")));
  ck_assert(cJSON_IsNull(member(root, "duration_ms")));
  ck_assert(cJSON_IsNull(path(root, "mta_sts", "record", "name")));
  ck_assert(cJSON_IsArray(path(root, "mta_sts", "mx", "hosts")));
  cJSON_Delete(root);
  free(out);
  mts_result_release(&r);
}
END_TEST

/* cJSON allocations fail one after the other: every failure is reported
 * as MTS_ENOMEM with nothing written and nothing leaked (ASan). */
/* The writer builds each line in a 4 KiB buffer on its stack and moves
 * to the heap for longer ones. A line of a few hundred KiB (hostile TXT
 * records) must come out whole, and byte for byte as cJSON would print
 * the same document: parse it and print it again. */
START_TEST(test_json_long_line)
{
  struct mts_result r;
  size_t len;
  char *line, *again;
  cJSON *doc;

  mts_result_init(&r);
  build_hostile(&r);
  for (int i = 0; i < 200; i++) {
    add_txt(&r.sts.record, LIT(hostile_txt));
    add_txt(&r.sts.record, LIT(utf8_in));
  }
  line = render(&r, KIND_JSON, &len);
  ck_assert_uint_gt(len, 4096 * 4);
  ck_assert_ptr_eq(memchr(line, '\n', len), line + len - 1);
  line[len - 1] = '\0';
  doc = cJSON_Parse(line);
  ck_assert_ptr_nonnull(doc);
  ck_assert_int_eq(
      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(doc, "mta_sts"), "record"),
          "txt")),
      402);
  again = cJSON_PrintUnformatted(doc);
  ck_assert_ptr_nonnull(again);
  ck_assert_str_eq(again, line);
  cJSON_free(again);
  cJSON_Delete(doc);
  free(line);
  mts_result_release(&r);
}
END_TEST

/* ---- properties of the text -------------------------------------------- */

/* Remove the SGR sequences the reporter writes ("\033[<n>m"). */
static size_t
strip_sgr(char *s, size_t len)
{
  size_t o = 0;

  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\033' && i + 1 < len && s[i + 1] == '[') {
      size_t j = i + 2;

      while (j < len && ((s[j] >= '0' && s[j] <= '9') || s[j] == ';')) {
        j++;
      }
      if (j < len && s[j] == 'm') {
        i = j;
        continue;
      }
    }
    s[o++] = s[i];
  }
  return o;
}

/* Every byte is printable ASCII or '\n'. */
static void
check_plain_ascii(const char *s, size_t len, const char *what)
{
  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)s[i];

    ck_assert_msg(b == '\n' || (b >= 0x20 && b <= 0x7e),
                  "%s: byte 0x%02x at offset %zu", what, b, i);
  }
}

START_TEST(test_text_hostile_escaped)
{
  size_t len;
  char *out = render_case(4, KIND_TEXT, &len);

  ck_assert_str_eq(cases[4].name, "hostile");
  check_plain_ascii(out, len, "hostile text");
  ck_assert_ptr_nonnull(strstr(out, "\\x1b[31mRED\\x1b[0m\\x00\\xff\\\\ "
                                    "\\x7f\\x9b2J\\xc3\\xa9"));
  ck_assert_ptr_nonnull(strstr(out, "h\\xe2\\x80\\xaeostile.example"));
  ck_assert_ptr_nonnull(strstr(out, "mode enforce\\x0d\\x0a\\x1b[1A"));
  free(out);

  out = render_case(4, KIND_COLOR, &len);
  ck_assert_ptr_nonnull(memchr(out, '\033', len));
  len = strip_sgr(out, len);
  check_plain_ascii(out, len, "hostile colour text without SGR");
  free(out);
}
END_TEST

START_TEST(test_text_no_escape_without_color)
{
  size_t len;
  char *out = render_case(_i, KIND_TEXT, &len);

  ck_assert_ptr_null(memchr(out, '\033', len));
  ck_assert_ptr_null(memchr(out, '\0', len));
  ck_assert_int_eq(out[len - 1], '\n');
  free(out);
}
END_TEST

static size_t
offset_of(const char *hay, const char *needle)
{
  const char *p = strstr(hay, needle);

  ck_assert_msg(p != NULL, "\"%s\" not in output", needle);
  return (size_t)(p - hay);
}

START_TEST(test_text_findings_order)
{
  size_t len;
  char *out = render_case(1, KIND_TEXT, &len);

  ck_assert_str_eq(cases[1].name, "broken");
  /* Errors in the order found, then warnings, then info. */
  ck_assert_uint_lt(offset_of(out, "ERROR    STS_RECORD_MULTIPLE"),
                    offset_of(out, "ERROR    STS_ID_INVALID"));
  ck_assert_uint_lt(offset_of(out, "ERROR    STS_ID_INVALID"),
                    offset_of(out, "ERROR    TLSRPT_RUA_INVALID_URI"));
  ck_assert_uint_lt(offset_of(out, "ERROR    TLSRPT_RUA_INVALID_URI"),
                    offset_of(out, "ERROR    TLSRPT_RUA_NO_VALID_URI"));
  ck_assert_uint_lt(offset_of(out, "ERROR    TLSRPT_RUA_NO_VALID_URI"),
                    offset_of(out, "WARNING  MX_TARGET_IP_LITERAL"));
  ck_assert_uint_lt(offset_of(out, "WARNING  MX_TARGET_IP_LITERAL"),
                    offset_of(out, "INFO     STS_UNRELATED_TXT"));
  ck_assert_uint_eq(offset_of(out, "broken.example: ERROR\n"), 0);
  offset_of(out, "4 errors, 1 warning, 1 info");
  /* The fix sentence and the RFC reference, "§" spelt out. */
  offset_of(out, "fix: Keep exactly one TXT record");
  offset_of(out, "(RFC 8461 section 3.1)");
  /* A subject the message already quotes is not repeated. */
  ck_assert_ptr_null(strstr(out, "subject: \"2019-04-25T08:57\""));
  offset_of(out, "subject: \"tlsrpt@broken.example\"");
  free(out);
}
END_TEST

START_TEST(test_text_id_date)
{
  size_t len;
  char *out = render_case(0, KIND_TEXT, &len);

  offset_of(out, "id 20190425085700 (2019-04-25 08:57:00 UTC), TTL 300");
  free(out);
}
END_TEST

/* ---- write errors --------------------------------------------------- */

START_TEST(test_write_error)
{
  struct mts_text_opts opts = {0};
  struct mts_result r;
  FILE *f = fopen("/dev/full", "w");

  if (f == NULL) {
    return; /* not Linux */
  }
  ck_assert_int_eq(setvbuf(f, NULL, _IONBF, 0), 0);
  mts_result_init(&r);
  build_broken(&r);
  ck_assert_int_eq(mts_report_text_write(f, &r, &opts), MTS_EIO);
  clearerr(f);
  ck_assert_int_eq(mts_report_json_write(f, &r), MTS_EIO);
  (void)fclose(f); /* fails too: /dev/full */
  mts_result_release(&r);
}
END_TEST

static Suite *
report_suite(void)
{
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("golden");
  TCase *tj = tcase_create("json");
  TCase *tt = tcase_create("text");

  tcase_add_loop_test(tc, test_golden, 0, N_CASES);
  tcase_add_checked_fixture(tc, NULL, c_locale);
  tcase_add_loop_test(tc, test_golden_ja, 0, N_CASES);
  suite_add_tcase(s, tc);

  tcase_add_loop_test(tj, test_json_schema, 0, N_CASES);
  tcase_add_test(tj, test_json_utf8_replacement);
  tcase_add_test(tj, test_json_values);
  tcase_add_test(tj, test_json_null_scalars);
  tcase_add_test(tj, test_json_long_line);
  tcase_add_test(tj, test_json_propagation);
  tcase_set_timeout(tj, 60);
  suite_add_tcase(s, tj);

  tcase_add_test(tt, test_text_hostile_escaped);
  tcase_add_loop_test(tt, test_text_no_escape_without_color, 0, N_CASES);
  tcase_add_test(tt, test_text_findings_order);
  tcase_add_test(tt, test_text_id_date);
  tcase_add_test(tt, test_write_error);
  suite_add_tcase(s, tt);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(report_suite());
  int failed;

  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
