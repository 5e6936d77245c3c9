/* Unit tests for the HTTP/1.1 response reader of the policy fetch
 * (net/httpresp.c; RFC 9112, rfc-rules R57-R62). */
#include "net/httpresp.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read \p in in pieces of \p step octets (0: whole), going on after the
 * header section as the fetch does for a 200, and closing the connection
 * when the input runs out before the end. \return the outcome; *heads
 * counts MTS_HTTP_RD_HEAD. */
static enum mts_http_rd
read_all(struct mts_http_resp *r, const char *in, size_t len, size_t step,
         size_t max_body, int *heads)
{
  size_t off = 0;
  enum mts_http_rd rd = MTS_HTTP_RD_MORE;

  ck_assert_int_eq(mts_http_resp_init(r, max_body), 0);
  *heads = 0;
  while (off < len || rd == MTS_HTTP_RD_HEAD) {
    size_t n = step == 0 || len - off < step ? len - off : step, used = 99;
    rd = mts_http_resp_feed(r, in + off, n, &used);
    ck_assert_uint_le(used, n);
    off += used;
    if (rd == MTS_HTTP_RD_HEAD) {
      (*heads)++;
      continue;
    }
    if (rd != MTS_HTTP_RD_MORE) {
      return rd;
    }
    ck_assert_uint_eq(used, n);
  }
  return mts_http_resp_eof(r);
}

#define OK200 "HTTP/1.1 200 OK\r\n"
#define POL "version: STSv1\r\nmode: enforce\r\n"

static const struct {
  const char *name;
  const char *in;
  size_t max_body;
  enum mts_http_rd rd;
  int status;
  const char *ctype;
  const char *location;
  const char *body;
} cases[] = {
    {"content-length",
     OK200 "Content-Type: text/plain\r\nContent-Length: 31\r\n\r\n" POL, 1000,
     MTS_HTTP_RD_DONE, 200, "text/plain", NULL, POL},
    {"bytes after the body are not read",
     OK200 "Content-Length: 4\r\n\r\nabcdEXTRA", 1000, MTS_HTTP_RD_DONE, 200,
     NULL, NULL, "abcd"},
    {"close-delimited", OK200 "Content-Type:text/plain \r\n\r\n" POL, 1000,
     MTS_HTTP_RD_DONE, 200, "text/plain", NULL, POL},
    {"bare LF", "HTTP/1.0 200 OK\nContent-Length: 2\n\nok", 1000,
     MTS_HTTP_RD_DONE, 200, NULL, NULL, "ok"},
    {"no reason phrase", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 1000,
     MTS_HTTP_RD_DONE, 200, NULL, NULL, ""},
    {"one leading empty line", "\r\n" OK200 "Content-Length: 1\r\n\r\nx", 1000,
     MTS_HTTP_RD_DONE, 200, NULL, NULL, "x"},
    {"chunked",
     OK200 "Transfer-Encoding: chunked\r\n\r\n10\r\nversion: STSv1\r\n\r\n"
           "f;ext=1\r\nmode: enforce\r\n\r\n0\r\nX-Trailer: t\r\n\r\n",
     1000, MTS_HTTP_RD_DONE, 200, NULL, NULL, POL},
    {"a folded trailer line does not reach the header fields",
     OK200 "Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
           "2\r\nok\r\n0\r\n x\r\n\r\n",
     1000, MTS_HTTP_RD_DONE, 200, "text/plain", NULL, "ok"},
    {"chunked wins over Content-Length",
     OK200 "Content-Length: 99\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
           "2\r\nok\r\n0\r\n\r\n",
     1000, MTS_HTTP_RD_DONE, 200, NULL, NULL, "ok"},
    {"a coding other than chunked last: to the close",
     OK200 "Transfer-Encoding: chunked, gzip\r\n\r\nraw", 1000,
     MTS_HTTP_RD_DONE, 200, NULL, NULL, "raw"},
    {"1xx interim responses are skipped",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n"
     "Content-Type: text/html\r\n\r\n" OK200 "Content-Length: 2\r\n\r\nok",
     1000, MTS_HTTP_RD_DONE, 200, NULL, NULL, "ok"},
    {"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", 1000,
     MTS_HTTP_RD_DONE, 204, NULL, NULL, ""},
    {"redirect",
     "HTTP/1.1 301 Moved\r\nLocation:  https://x.test/p \r\n"
     "Content-Length: 3\r\n\r\nabc",
     1000, MTS_HTTP_RD_DONE, 301, NULL, "https://x.test/p", "abc"},
    {"header names are case-insensitive",
     OK200 "CONTENT-TYPE: Text/Plain\r\ncontent-length: 1\r\n\r\nx", 1000,
     MTS_HTTP_RD_DONE, 200, "Text/Plain", NULL, "x"},
    {"the last Content-Type counts",
     OK200 "Content-Type: text/html\r\nContent-Type: text/plain\r\n"
           "Content-Length: 0\r\n\r\n",
     1000, MTS_HTTP_RD_DONE, 200, "text/plain", NULL, ""},
    {"obs-fold continues the field",
     OK200 "Content-Type: text/plain;\r\n charset=utf-8\r\nX: a\r\n b\r\n"
           "Content-Length: 0\r\n\r\n",
     1000, MTS_HTTP_RD_DONE, 200, "text/plain; charset=utf-8", NULL, ""},
    {"a list of one Content-Length", OK200 "Content-Length: 2, 2\r\n\r\nok",
     1000, MTS_HTTP_RD_DONE, 200, NULL, NULL, "ok"},
    {"exactly the limit", OK200 "Content-Length: 4\r\n\r\nabcd", 4,
     MTS_HTTP_RD_DONE, 200, NULL, NULL, "abcd"},
    /* Errors. */
    {"Content-Length over the limit", OK200 "Content-Length: 5\r\n\r\nabcde", 4,
     MTS_HTTP_RD_TOO_LARGE, 200, NULL, NULL, ""},
    {"close-delimited over the limit", OK200 "\r\nabcde", 4,
     MTS_HTTP_RD_TOO_LARGE, 200, NULL, NULL, NULL},
    {"a chunk over the limit",
     OK200 "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
     4, MTS_HTTP_RD_TOO_LARGE, 200, NULL, NULL, "abc"},
    {"a huge chunk size",
     OK200 "Transfer-Encoding: chunked\r\n\r\n"
           "ffffffffffffffffffff\r\n",
     1000, MTS_HTTP_RD_BAD_CHUNK, 200, NULL, NULL, ""},
    {"a chunk size without digits",
     OK200 "Transfer-Encoding: chunked\r\n\r\n;x\r\n", 1000,
     MTS_HTTP_RD_BAD_CHUNK, 200, NULL, NULL, ""},
    {"a chunk size with junk", OK200 "Transfer-Encoding: chunked\r\n\r\n2x\r\n",
     1000, MTS_HTTP_RD_BAD_CHUNK, 200, NULL, NULL, ""},
    {"no CRLF after a chunk",
     OK200 "Transfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n", 1000,
     MTS_HTTP_RD_BAD_CHUNK, 200, NULL, NULL, "ok"},
    {"two different Content-Length",
     OK200 "Content-Length: 2\r\nContent-Length: 3\r\n\r\nok", 1000,
     MTS_HTTP_RD_BAD_LENGTH, 200, NULL, NULL, ""},
    {"a negative Content-Length", OK200 "Content-Length: -1\r\n\r\n", 1000,
     MTS_HTTP_RD_BAD_LENGTH, 200, NULL, NULL, ""},
    {"a Content-Length beyond any size",
     OK200 "Content-Length: 99999999999999999999999\r\n\r\n", 1000,
     MTS_HTTP_RD_BAD_LENGTH, 200, NULL, NULL, ""},
    {"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", 1000, MTS_HTTP_RD_BAD_STATUS, 0,
     NULL, NULL, ""},
    {"HTTP/2 text", "HTTP/2 200\r\n\r\n", 1000, MTS_HTTP_RD_BAD_STATUS, 0, NULL,
     NULL, ""},
    {"a status of two digits", "HTTP/1.1 20 OK\r\n\r\n", 1000,
     MTS_HTTP_RD_BAD_STATUS, 0, NULL, NULL, ""},
    {"101 was not asked for", "HTTP/1.1 101 Switching\r\n\r\n", 1000,
     MTS_HTTP_RD_BAD_STATUS, 101, NULL, NULL, ""},
    {"two empty lines first", "\r\n\r\n" OK200 "\r\n", 1000,
     MTS_HTTP_RD_BAD_STATUS, 0, NULL, NULL, ""},
    {"a space before the colon", OK200 "Content-Type : text/plain\r\n\r\n",
     1000, MTS_HTTP_RD_BAD_HEADER, 200, NULL, NULL, ""},
    {"a field without a colon", OK200 "Content-Type text/plain\r\n\r\n", 1000,
     MTS_HTTP_RD_BAD_HEADER, 200, NULL, NULL, ""},
    {"cut in the header section", OK200 "Content-Type: te", 1000,
     MTS_HTTP_RD_TRUNCATED, 200, NULL, NULL, ""},
    {"cut in the body", OK200 "Content-Length: 10\r\n\r\nabc", 1000,
     MTS_HTTP_RD_TRUNCATED, 200, NULL, NULL, "abc"},
    {"cut in a chunk", OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nab", 1000,
     MTS_HTTP_RD_TRUNCATED, 200, NULL, NULL, "ab"},
    {"nothing", "", 1000, MTS_HTTP_RD_NOTHING, 0, NULL, NULL, ""},
};

static void
check_case(size_t i, size_t step)
{
  struct mts_http_resp r;
  int heads;
  enum mts_http_rd rd = read_all(&r, cases[i].in, strlen(cases[i].in), step,
                                 cases[i].max_body, &heads);

  ck_assert_msg(rd == cases[i].rd, "%s (step %zu): %d, not %d", cases[i].name,
                step, rd, cases[i].rd);
  ck_assert_int_eq(r.status, cases[i].status);
  if (cases[i].rd == MTS_HTTP_RD_DONE) {
    ck_assert_int_eq(heads, 1);
    ck_assert_pstr_eq(r.content_type, cases[i].ctype);
    ck_assert_pstr_eq(r.location, cases[i].location);
  }
  if (cases[i].body != NULL) {
    ck_assert_str_eq(r.body, cases[i].body);
    ck_assert_uint_eq(r.body_len, strlen(cases[i].body));
  }
  ck_assert_uint_le(r.body_len, cases[i].max_body);
  /* Once ended, it stays ended. */
  if (rd != MTS_HTTP_RD_NOTHING && rd != MTS_HTTP_RD_TRUNCATED) {
    size_t used = 9;
    ck_assert_int_eq(mts_http_resp_feed(&r, "x", 1, &used), rd);
    ck_assert_uint_eq(used, 0);
  }
  mts_http_resp_free(&r);
}

START_TEST(table_whole)
{
  check_case((size_t)_i, 0);
}
END_TEST

/* The same answers whatever the pieces the network delivers. */
START_TEST(table_bytewise)
{
  check_case((size_t)_i, 1);
  check_case((size_t)_i, 3);
}
END_TEST

/* A status whose body is ignored: the fetch stops at the header section. */
START_TEST(head_then_stop)
{
  static const char in[] = "HTTP/1.1 404 Not Found\r\nContent-Type: "
                           "text/html\r\nContent-Length: 100000\r\n\r\n<html>";
  struct mts_http_resp r;
  size_t used = 0;

  ck_assert_int_eq(mts_http_resp_init(&r, 10), 0);
  ck_assert_int_eq(mts_http_resp_feed(&r, in, sizeof(in) - 1, &used),
                   MTS_HTTP_RD_HEAD);
  ck_assert_uint_eq(used, sizeof(in) - 1 - 6);
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(r.content_type, "text/html");
  /* Going on would find the body too large. */
  ck_assert_int_eq(mts_http_resp_feed(&r, "", 0, &used), MTS_HTTP_RD_TOO_LARGE);
  mts_http_resp_free(&r);
}
END_TEST

/* Limits: an endless line, an endless header section, an endless chunk
 * extension; memory stays bounded. */
START_TEST(limits)
{
  size_t big = MTS_HTTP_HEAD_MAX + 100, off;
  char *in = malloc(big + 64);
  struct mts_http_resp r;
  int heads;

  ck_assert_ptr_nonnull(in);
  memcpy(in, OK200, sizeof(OK200) - 1);
  memset(in + sizeof(OK200) - 1, 'a', MTS_HTTP_LINE_MAX + 10);
  ck_assert_int_eq(read_all(&r, in, sizeof(OK200) - 1 + MTS_HTTP_LINE_MAX + 10,
                            0, 100, &heads),
                   MTS_HTTP_RD_LONG_LINE);
  mts_http_resp_free(&r);

  /* Short header lines, many of them. */
  off = sizeof(OK200) - 1;
  while (off + 8 < big) {
    memcpy(in + off, "X-A: b\r\n", 8);
    off += 8;
  }
  ck_assert_int_eq(read_all(&r, in, off, 5, 100, &heads),
                   MTS_HTTP_RD_LONG_HEAD);
  mts_http_resp_free(&r);

  off = (size_t)snprintf(in, 64, OK200 "Transfer-Encoding: chunked\r\n\r\n1;");
  memset(in + off, 'e', big - off);
  ck_assert_int_eq(read_all(&r, in, big, 7, 100, &heads),
                   MTS_HTTP_RD_LONG_LINE);
  mts_http_resp_free(&r);
  free(in);
}
END_TEST

START_TEST(nul_in_header)
{
  static const char in[] = OK200 "Content-Type: text/\0plain\r\n\r\n";
  struct mts_http_resp r;
  int heads;

  ck_assert_int_eq(read_all(&r, in, sizeof(in) - 1, 0, 100, &heads),
                   MTS_HTTP_RD_BAD_HEADER);
  mts_http_resp_free(&r);
}
END_TEST

START_TEST(phrases)
{
  for (int rd = MTS_HTTP_RD_MORE; rd <= MTS_HTTP_RD_NOMEM; rd++) {
    const char *s = mts_http_rd_str((enum mts_http_rd)rd);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_gt((int)strlen(s), 0);
  }
}
END_TEST

static Suite *
suite(void)
{
  Suite *s = suite_create("httpresp");
  TCase *tc = tcase_create("core");
  int n = (int)(sizeof(cases) / sizeof(cases[0]));

  tcase_add_loop_test(tc, table_whole, 0, n);
  tcase_add_loop_test(tc, table_bytewise, 0, n);
  tcase_add_test(tc, head_then_stop);
  tcase_add_test(tc, limits);
  tcase_add_test(tc, nul_in_header);
  tcase_add_test(tc, phrases);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
