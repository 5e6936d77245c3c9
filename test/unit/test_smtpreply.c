/* Unit tests for the SMTP reply reader (net/smtpreply.c; RFC 5321 §4.2,
 * mx-transport.md R164). */
#include "net/smtpreply.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* Feed s in one go; \return the outcome, *used the octets consumed. */
static enum mts_smtp_rd
feed(struct mts_smtp_reply *r, const char *s, size_t *used)
{
  mts_smtp_reply_reset(r);
  return mts_smtp_reply_feed(r, s, strlen(s), used);
}

static const struct {
  const char *in;
  enum mts_smtp_rd rd;
  int code;
  int starttls;
  const char *first;
} cases[] = {
    {"220 mx1.example.com ESMTP Postfix\r\n", MTS_SMTP_RD_DONE, 220, 0,
     "220 mx1.example.com ESMTP Postfix"},
    {"220\r\n", MTS_SMTP_RD_DONE, 220, 0, "220"},
    {"220 bare LF\n", MTS_SMTP_RD_DONE, 220, 0, "220 bare LF"},
    {"220-first\r\n220-second\r\n220 last\r\n", MTS_SMTP_RD_DONE, 220, 0,
     "220-first"},
    {"250-mx1.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 "
     "8BITMIME\r\n",
     MTS_SMTP_RD_DONE, 250, 1, "250-mx1.example.com"},
    {"250-mx1\r\n250 starttls\r\n", MTS_SMTP_RD_DONE, 250, 1, "250-mx1"},
    {"250-mx1\r\n250-STARTTLSX\r\n250 XSTARTTLS\r\n", MTS_SMTP_RD_DONE, 250, 0,
     "250-mx1"},
    /* The greeting line names no keyword: STARTTLS there does not count. */
    {"250 STARTTLS\r\n", MTS_SMTP_RD_DONE, 250, 0, "250 STARTTLS"},
    {"554 5.7.1 go away\r\n", MTS_SMTP_RD_DONE, 554, 0, "554 5.7.1 go away"},
    {"220-partial\r\n220 no end", MTS_SMTP_RD_MORE, 220, 0, "220-partial"},
    {"", MTS_SMTP_RD_MORE, 0, 0, ""},
    {"220-a\r\n250 b\r\n", MTS_SMTP_RD_SYNTAX, 220, 0, "220-a"},
    {"hello\r\n", MTS_SMTP_RD_SYNTAX, 0, 0, ""},
    {"22\r\n", MTS_SMTP_RD_SYNTAX, 0, 0, ""},
    {"220x\r\n", MTS_SMTP_RD_SYNTAX, 0, 0, ""},
    {"020 zero\r\n", MTS_SMTP_RD_SYNTAX, 0, 0, ""},
    {"620 six\r\n", MTS_SMTP_RD_SYNTAX, 0, 0, ""},
};

START_TEST(table)
{
  struct mts_smtp_reply r;
  size_t used = 99;
  enum mts_smtp_rd rd = feed(&r, cases[_i].in, &used);

  ck_assert_int_eq(rd, cases[_i].rd);
  ck_assert_int_eq(r.code, cases[_i].code);
  ck_assert_int_eq(r.starttls, cases[_i].starttls);
  ck_assert_str_eq(r.first, cases[_i].first);
  ck_assert_uint_le(used, strlen(cases[_i].in));
}
END_TEST

START_TEST(incremental_and_pipelined)
{
  struct mts_smtp_reply r;
  const char *s = "250-a\r\n250 b\r\n221 bye\r\n";
  size_t used;

  /* Byte by byte, keeping the unread tail as the caller does. */
  mts_smtp_reply_reset(&r);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, s, 3, &used), MTS_SMTP_RD_MORE);
  ck_assert_uint_eq(used, 0);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, s, 9, &used), MTS_SMTP_RD_MORE);
  ck_assert_uint_eq(used, 7);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, s + 7, strlen(s) - 7, &used),
                   MTS_SMTP_RD_DONE);
  ck_assert_uint_eq(used, 7);
  ck_assert_uint_eq(r.n_lines, 2);
  /* What follows the reply is left for the next one. */
  mts_smtp_reply_reset(&r);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, s + 14, strlen(s) - 14, &used),
                   MTS_SMTP_RD_DONE);
  ck_assert_int_eq(r.code, 221);
}
END_TEST

START_TEST(caps)
{
  struct mts_smtp_reply r;
  char *buf = malloc(MTS_SMTP_REPLY_MAX + 1024);
  size_t used, off = 0;

  ck_assert_ptr_nonnull(buf);
  /* 510 octets + CRLF = 512: allowed. */
  memset(buf, 'a', 510);
  memcpy(buf, "220 ", 4);
  memcpy(buf + 510, "\r\n", 2);
  mts_smtp_reply_reset(&r);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, buf, 512, &used), MTS_SMTP_RD_DONE);
  ck_assert_uint_eq(r.first_len, 510);
  /* 511 + CRLF: too long, even before the line end arrives. */
  memset(buf, 'a', 600);
  memcpy(buf, "220 ", 4);
  mts_smtp_reply_reset(&r);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, buf, 511, &used), MTS_SMTP_RD_MORE);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, buf, 512, &used),
                   MTS_SMTP_RD_LONG_LINE);
  /* An endless multi-line reply stops at 64 KiB. */
  while (off + 100 < MTS_SMTP_REPLY_MAX + 1000) {
    memcpy(buf + off, "250-", 4);
    memset(buf + off + 4, 'x', 94);
    memcpy(buf + off + 98, "\r\n", 2);
    off += 100;
  }
  mts_smtp_reply_reset(&r);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, buf, off, &used),
                   MTS_SMTP_RD_TOO_LARGE);
  ck_assert_uint_le(r.size, MTS_SMTP_REPLY_MAX);
  /* A NUL in the first line shows as SUB. */
  mts_smtp_reply_reset(&r);
  ck_assert_int_eq(mts_smtp_reply_feed(&r, "220 a\0b\r\n", 9, &used),
                   MTS_SMTP_RD_DONE);
  ck_assert_uint_eq(r.first_len, 7);
  ck_assert_int_eq(r.first[5], '\x1a');
  ck_assert_str_eq(mts_smtp_rd_str(MTS_SMTP_RD_LONG_LINE),
                   "a reply line over 512 octets");
  free(buf);
}
END_TEST

static Suite *
smtpreply_suite(void)
{
  Suite *s = suite_create("smtpreply");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
  tcase_add_test(tc, incremental_and_pipelined);
  tcase_add_test(tc, caps);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(smtpreply_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
