/* Unit tests for the validators' shared message helpers (src/msg.c). */
#include "mtasts/msg.h"

#include <check.h>
#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/err.h"

START_TEST(show_escapes_and_cuts)
{
  struct mts_shown b;
  char big[200];

  ck_assert_str_eq(mts_show(&b, "v=STSv1; id=1", 13), "v=STSv1; id=1");
  ck_assert_str_eq(mts_show(&b, "a\"b\\c", 5), "a\\\"b\\\\c");
  ck_assert_str_eq(mts_show(&b, "\t\r\n", 3), "\\t\\r\\n");
  ck_assert_str_eq(mts_show(&b, "\x00\x1b\xff", 3), "\\x00\\x1b\\xff");
  memset(big, 'a', sizeof(big));
  mts_show(&b, big, sizeof(big));
  ck_assert_uint_eq(strlen(b.s), MTS_SHOW_MAX);
  ck_assert_str_eq(b.s + MTS_SHOW_MAX - 3, "...");
  /* The worst case fits: every byte as \xHH. */
  memset(big, 0xff, sizeof(big));
  ck_assert_uint_lt(strlen(mts_show(&b, big, sizeof(big))), sizeof(b.s));
}
END_TEST

START_TEST(describe_bytes)
{
  char buf[64];

  ck_assert_str_eq(mts_describe_byte(buf, sizeof(buf), '-'), "'-'");
  ck_assert_str_eq(mts_describe_byte(buf, sizeof(buf), ' '), "a space");
  ck_assert_str_eq(mts_describe_byte(buf, sizeof(buf), '\r'),
                   "a carriage return (0x0d)");
  ck_assert_str_eq(mts_describe_byte(buf, sizeof(buf), (char)0xff),
                   "the non-ASCII byte 0xff");
}
END_TEST

START_TEST(sentences)
{
  char m[32] = "the id is empty";
  char full[4] = "abc";
  char empty[4] = "";

  mts_sentence(m, sizeof(m));
  ck_assert_str_eq(m, "The id is empty.");
  mts_sentence(m, sizeof(m));
  ck_assert_str_eq(m, "The id is empty.");
  mts_sentence(full, sizeof(full)); /* no room for the full stop */
  ck_assert_str_eq(full, "Abc");
  mts_sentence(empty, sizeof(empty));
  ck_assert_str_eq(empty, "");
}
END_TEST

/* mts_frag_pair / mts_frag_str: both sides kept, each resolved alone. */
START_TEST(frag_pairs)
{
  char buf[128], msg[256];

  mts_frag_pair(buf, sizeof(buf), "no route", "経路がありません");
  snprintf(msg, sizeof(msg), "fails (%s).", buf);
  mts_frag_resolve(msg, 0);
  ck_assert_str_eq(msg, "fails (no route).");
  snprintf(msg, sizeof(msg), "fails (%s).", buf);
  mts_frag_resolve(msg, 1);
  ck_assert_str_eq(msg, "fails (経路がありません).");
  /* No translation, or the same words: plain text. */
  ck_assert_str_eq(mts_frag_pair(buf, sizeof(buf), "a", NULL), "a");
  ck_assert_str_eq(mts_frag_pair(buf, sizeof(buf), "a", "a"), "a");
  /* Never the catalogue's header for "". */
  ck_assert_str_eq(mts_frag_str(buf, sizeof(buf), ""), "");
  /* Too long for both sides: the English side alone. */
  ck_assert_str_eq(mts_frag_pair(buf, 8, "abc", "defghij"), "abc");
}
END_TEST

static void fmt2n(char *en, char *loc, size_t size, const char *one,
                  const char *many, unsigned long n, ...)
    __attribute__((format(printf, 5, 7)));

static void
fmt2n(char *en, char *loc, size_t size, const char *one, const char *many,
      unsigned long n, ...)
{
  va_list ap;

  va_start(ap, n);
  mts_vformat2n(en, loc, size, one, many, n, ap);
  va_end(ap);
}

/* mts_vformat2n: English by English's rule, the translation by the
 * catalogue's plural form (Japanese has one). */
START_TEST(plural_formats)
{
  static const char one[] =
      "\"policy-string\" is an array of one string holding a JSON array; "
      "it should be that array itself. It was read as its %zu element";
  static const char many[] =
      "\"policy-string\" is an array of one string holding a JSON array; "
      "it should be that array itself. It was read as its %zu elements";
  char en[512], loc[512];

  fmt2n(en, loc, sizeof(en), "%lu apple", "%lu apples", 1, 1UL);
  ck_assert_str_eq(en, "1 apple");
  ck_assert_str_eq(loc, "1 apple");
  fmt2n(en, loc, sizeof(en), "%lu apple", "%lu apples", 0, 0UL);
  ck_assert_str_eq(en, "0 apples");
  ck_assert_str_eq(loc, "0 apples");
  if (setlocale(LC_ALL, "ja_JP.UTF-8") == NULL) {
    fprintf(stderr, "test_msg: no ja_JP.UTF-8 locale, plural checked in C "
                    "only\n");
    return;
  }
  ck_assert_ptr_nonnull(bindtextdomain("mtasts-check", MTS_BUILD_LOCALEDIR));
  ck_assert_ptr_nonnull(bind_textdomain_codeset("mtasts-check", "UTF-8"));
  fmt2n(en, loc, sizeof(en), one, many, 2, (size_t)2);
  ck_assert_ptr_nonnull(strstr(en, "read as its 2 elements"));
  ck_assert_ptr_nonnull(strstr(loc, "2 個の要素"));
  ck_assert_ptr_null(strstr(loc, "要素s"));
  fmt2n(en, loc, sizeof(en), one, many, 1, (size_t)1);
  ck_assert_ptr_nonnull(strstr(en, "read as its 1 element"));
  ck_assert_ptr_null(strstr(en, "1 elements"));
  ck_assert_ptr_nonnull(strstr(loc, "1 個の要素"));
  setlocale(LC_ALL, "C");
}
END_TEST

/* errno texts reach JSON (a refused connection in a finding's message):
 * English whatever LC_MESSAGES says, although glibc's strerror() speaks
 * Japanese under ja_JP (libc.mo). */
START_TEST(errno_text_is_english)
{
  char buf[64];

  if (setlocale(LC_ALL, "ja_JP.UTF-8") == NULL) {
    fprintf(stderr, "test_msg: no ja_JP.UTF-8 locale, checked in C only\n");
  }
  ck_assert_str_eq(mts_errno_str(buf, sizeof(buf), ECONNREFUSED),
                   "Connection refused");
  ck_assert_str_eq(mts_errno_str(buf, 8, ENETUNREACH), "Network");
  setlocale(LC_ALL, "C");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("msg");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_add_test(tc, show_escapes_and_cuts);
  tcase_add_test(tc, describe_bytes);
  tcase_add_test(tc, sentences);
  tcase_add_test(tc, frag_pairs);
  tcase_add_test(tc, plural_formats);
  tcase_add_test(tc, errno_text_is_english);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
