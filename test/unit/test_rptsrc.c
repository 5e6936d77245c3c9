/* Unit tests for the report walker (src/rptsrc.c): what it finds in files,
 * mail, Maildirs and mboxes, and what it says about the envelope. The
 * fixtures and their expectations are in fixtures/reports/mail/ (make.py,
 * expected.tsv) and fixtures/reports/maildir/. */
#include "mtasts/tlsrpt.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORTS MTS_SOURCE_DIR "/fixtures/reports"
#define MAX_SEEN 16

/* What one callback saw. */
struct seen {
  char source[512];
  char filename[256]; /* "-" for NULL */
  char submitter[128];
  char codes[512];   /* sorted, unique, comma-separated; "-" for none */
  char message[512]; /* the first finding's message */
  size_t len;
  unsigned char first; /* first byte of data, 0 when none */
  int gzip_expected;
  int unreadable;
  int from_mail;
  int has_data;
};

struct log {
  struct seen v[MAX_SEEN];
  size_t n;
  size_t stop_after; /* 0: never stop */
};

static int
cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum mts_err
record(void *arg, struct mts_rpt_part *part)
{
  struct log *log = arg;
  struct seen *s;
  const char *names[64];
  size_t n = 0;

  ck_assert_uint_lt(log->n, MAX_SEEN);
  s = &log->v[log->n++];
  memset(s, 0, sizeof(*s));
  snprintf(s->source, sizeof(s->source), "%s", part->source);
  snprintf(s->filename, sizeof(s->filename), "%s",
           part->filename ? part->filename : "-");
  snprintf(s->submitter, sizeof(s->submitter), "%s",
           part->submitter ? part->submitter : "-");
  s->len = part->len;
  s->gzip_expected = part->gzip_expected;
  s->unreadable = part->unreadable;
  s->from_mail = part->from_mail;
  s->has_data = part->data != NULL;
  s->first = part->data && part->len ? part->data[0] : 0;
  ck_assert_ptr_nonnull(part->path);
  if (part->unreadable) {
    ck_assert_ptr_null(part->data);
    ck_assert_uint_ge(part->envelope.n, 1);
  } else {
    ck_assert_ptr_nonnull(part->data);
  }
  if (part->message_id != NULL) {
    ck_assert_int_eq(part->message_id[0], '<');
    ck_assert_ptr_nonnull(strstr(part->source, part->message_id));
  }
  for (size_t i = 0; i < part->envelope.n && n < 64; i++) {
    const char *name = mts_code_name(part->envelope.v[i].code);
    int dup = 0;
    for (size_t j = 0; j < n; j++) {
      dup |= strcmp(names[j], name) == 0;
    }
    if (!dup) {
      names[n++] = name;
    }
  }
  qsort(names, n, sizeof(names[0]), cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (i > 0) {
      strncat(s->codes, ",", sizeof(s->codes) - strlen(s->codes) - 1);
    }
    strncat(s->codes, names[i], sizeof(s->codes) - strlen(s->codes) - 1);
  }
  if (n == 0) {
    strcpy(s->codes, "-");
  }
  if (part->envelope.n > 0) {
    snprintf(s->message, sizeof(s->message), "%s", part->envelope.v[0].message);
  }
  /* Take the findings, as a caller may. */
  mts_findings_release(&part->envelope);
  if (log->stop_after && log->n == log->stop_after) {
    return MTS_EIO;
  }
  return MTS_OK;
}

static void
limits(struct mts_rpt_limits *lim)
{
  mts_rpt_limits_default(lim);
}

/* Every input of expected.tsv, walked from fixtures/reports/. */
START_TEST(fixtures_as_expected)
{
  FILE *f;
  char line[2048];
  char current[256] = "";
  struct log log = {0};
  size_t row = 0;
  size_t rows_checked = 0;
  struct mts_rpt_limits lim;

  limits(&lim);
  ck_assert_int_eq(chdir(REPORTS), 0);
  f = fopen("mail/expected.tsv", "r");
  ck_assert_ptr_nonnull(f);
  while (fgets(line, sizeof(line), f) != NULL) {
    char *field[8];
    char *p = line;
    size_t nf = 0;
    struct seen *s;

    if (line[0] == '#') {
      continue;
    }
    line[strcspn(line, "\n")] = '\0';
    while (nf < 8) {
      field[nf++] = p;
      p = strchr(p, '\t');
      if (p == NULL) {
        break;
      }
      *p++ = '\0';
    }
    ck_assert_uint_eq(nf, 8);
    if (strcmp(field[0], current) != 0) {
      if (current[0] != '\0') {
        ck_assert_msg(row == log.n, "%s: %zu callbacks, expected %zu", current,
                      log.n, row);
      }
      ck_assert_uint_lt(strlen(field[0]), sizeof(current));
      memcpy(current, field[0], strlen(field[0]) + 1);
      memset(&log, 0, sizeof(log));
      ck_assert_int_eq(mts_rpt_walk(current, &lim, record, &log), MTS_OK);
      row = 0;
    }
    ck_assert_msg(row < log.n, "%s: callback %zu missing", current, row);
    s = &log.v[row++];
    ck_assert_str_eq(s->source, field[1]);
    ck_assert_str_eq(s->filename, field[2]);
    ck_assert_uint_eq(s->len, strtoul(field[3], NULL, 10));
    ck_assert_int_eq(s->gzip_expected, atoi(field[4]));
    ck_assert_str_eq(s->submitter, field[5]);
    ck_assert_int_eq(s->unreadable, atoi(field[6]));
    ck_assert_msg(strcmp(s->codes, field[7]) == 0, "%s: codes %s, expected %s",
                  s->source, s->codes, field[7]);
    ck_assert_int_eq(s->from_mail, 1); /* every input there is mail */
    if (!s->unreadable) {
      /* The bytes are decoded: gzip or JSON, not base64 or QP. */
      ck_assert_int_eq(s->first, s->gzip_expected ? 0x1f : '{');
    }
    rows_checked++;
  }
  fclose(f);
  ck_assert_msg(row == log.n, "%s: %zu callbacks, expected %zu", current, log.n,
                row);
  ck_assert_uint_ge(rows_checked, 14);
}
END_TEST

START_TEST(missing_path)
{
  struct log log = {0};
  struct mts_rpt_limits lim;

  limits(&lim);
  ck_assert_int_eq(
      mts_rpt_walk(REPORTS "/no/such/file.json", &lim, record, &log), MTS_OK);
  ck_assert_uint_eq(log.n, 1);
  ck_assert_str_eq(log.v[0].source, REPORTS "/no/such/file.json");
  ck_assert_int_eq(log.v[0].unreadable, 1);
  ck_assert_int_eq(log.v[0].from_mail, 0);
  ck_assert_str_eq(log.v[0].codes, "REPORT_READ_FAILED");
  ck_assert_ptr_nonnull(strstr(log.v[0].message, strerror(ENOENT)));
}
END_TEST

static void
write_file(const char *dir, const char *name, const char *data, size_t len)
{
  char path[512];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

static void
make_dir(char *tmpl)
{
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
}

static void
remove_tree(const char *dir)
{
  char cmd[600];

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

/* A plain directory: its regular files, by name, dotfiles and
 * subdirectories skipped; bare files get no name checks. */
START_TEST(plain_directory_sorted)
{
  char dir[] = "/tmp/test_rptsrc.XXXXXX";
  char sub[600];
  struct log log = {0};
  struct mts_rpt_limits lim;
  static const char gz[] = "\x1f\x8b\x08\x00rest";

  limits(&lim);
  make_dir(dir);
  write_file(dir, "b.json", "{\"b\":1}", 7);
  write_file(dir, "a-any-name.bin", gz, sizeof(gz) - 1);
  write_file(dir, ".hidden.json", "{}", 2);
  write_file(dir, "c.xml", "<?xml version=\"1.0\"?><feedback/>", 32);
  write_file(dir, "d.json", "\xef\xbb\xbf \n[1]", 8);
  write_file(dir, "e.json.gz", "{}", 2);
  snprintf(sub, sizeof(sub), "%s/sub", dir);
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  write_file(sub, "e.json", "{}", 2);

  ck_assert_int_eq(mts_rpt_walk(dir, &lim, record, &log), MTS_OK);
  ck_assert_uint_eq(log.n, 5);
  ck_assert_ptr_nonnull(strstr(log.v[0].source, "/a-any-name.bin"));
  ck_assert_uint_eq(log.v[0].len, sizeof(gz) - 1);
  ck_assert_int_eq(log.v[0].first, 0x1f);
  ck_assert_ptr_nonnull(strstr(log.v[1].source, "/b.json"));
  ck_assert_uint_eq(log.v[1].len, 7);
  ck_assert_ptr_nonnull(strstr(log.v[2].source, "/c.xml"));
  ck_assert_int_eq(log.v[2].first, '<'); /* as is: the parser says why */
  ck_assert_ptr_nonnull(strstr(log.v[3].source, "/d.json"));
  ck_assert_int_eq(log.v[3].first, 0xef); /* the BOM is the parser's */
  ck_assert_ptr_nonnull(strstr(log.v[4].source, "/e.json.gz"));
  for (size_t i = 0; i < log.n; i++) {
    ck_assert_str_eq(log.v[i].filename, "-");
    ck_assert_str_eq(log.v[i].codes, "-");
    /* R139: a .gz file says it is gzip, whatever it holds. */
    ck_assert_int_eq(log.v[i].gzip_expected, i == 4);
    ck_assert_int_eq(log.v[i].unreadable, 0);
    ck_assert_int_eq(log.v[i].from_mail, 0);
  }
  remove_tree(dir);
}
END_TEST

/* A file over max_input is not read past the cap; one at the cap is. */
START_TEST(file_over_max_input)
{
  char dir[] = "/tmp/test_rptsrc.XXXXXX";
  char path[600];
  char big[100];
  struct log log = {0};
  struct mts_rpt_limits lim;

  limits(&lim);
  lim.max_input = 50;
  make_dir(dir);
  memset(big, ' ', sizeof(big));
  big[0] = '{';
  write_file(dir, "big.json", big, sizeof(big));
  write_file(dir, "fits.json", big, 50);
  snprintf(path, sizeof(path), "%s/big.json", dir);
  ck_assert_int_eq(mts_rpt_walk(path, &lim, record, &log), MTS_OK);
  snprintf(path, sizeof(path), "%s/fits.json", dir);
  ck_assert_int_eq(mts_rpt_walk(path, &lim, record, &log), MTS_OK);
  ck_assert_uint_eq(log.n, 2);
  ck_assert_int_eq(log.v[0].unreadable, 1);
  ck_assert_str_eq(log.v[0].codes, "REPORT_TOO_LARGE");
  ck_assert_int_eq(log.v[0].has_data, 0);
  ck_assert_int_eq(log.v[1].unreadable, 0);
  ck_assert_uint_eq(log.v[1].len, 50);
  remove_tree(dir);
}
END_TEST

/* A report part over max_report once decoded. */
START_TEST(part_over_max_report)
{
  struct log log = {0};
  struct mts_rpt_limits lim;

  limits(&lim);
  lim.max_report = 100;
  ck_assert_int_eq(mts_rpt_walk(REPORTS "/mail/google.eml", &lim, record, &log),
                   MTS_OK);
  ck_assert_uint_eq(log.n, 1);
  ck_assert_int_eq(log.v[0].unreadable, 1);
  ck_assert_int_eq(log.v[0].from_mail, 1);
  ck_assert_int_eq(log.v[0].has_data, 0);
  ck_assert_str_eq(log.v[0].codes, "REPORT_TOO_LARGE");
  ck_assert_str_eq(log.v[0].filename,
                   "google.com!example.com!1700006400!1700092799.json.gz");
  ck_assert_str_eq(log.v[0].submitter, "google.com");
}
END_TEST

/* An mbox is streamed; each message is bounded by max_input on its own. */
START_TEST(mbox_message_over_max_input)
{
  struct log log = {0};
  struct mts_rpt_limits lim;
  struct stat st;

  limits(&lim);
  lim.max_input = 1700; /* the Mail.Ru message fits, the others do not */
  ck_assert_int_eq(stat(REPORTS "/mail/reports.mbox", &st), 0);
  ck_assert_int_gt(st.st_size, 3 * 1700);
  ck_assert_int_eq(
      mts_rpt_walk(REPORTS "/mail/reports.mbox", &lim, record, &log), MTS_OK);
  ck_assert_uint_eq(log.n, 3);
  ck_assert_str_eq(log.v[0].source,
                   REPORTS "/mail/reports.mbox "
                           "<000000000000a1b2c3d4e5f60001@google.com>");
  ck_assert_str_eq(log.v[0].codes, "REPORT_TOO_LARGE");
  ck_assert_int_eq(log.v[0].unreadable, 1);
  ck_assert_int_eq(log.v[0].from_mail, 1);
  ck_assert_str_eq(log.v[1].source,
                   REPORTS "/mail/reports.mbox "
                           "<PH0PR00MB1234.namprd00.prod.outlook.com>");
  ck_assert_str_eq(log.v[1].codes, "REPORT_TOO_LARGE");
  ck_assert_str_eq(log.v[2].source, REPORTS "/mail/reports.mbox #3");
  ck_assert_int_eq(log.v[2].unreadable, 0);
  ck_assert_int_eq(log.v[2].first, 0x1f);
}
END_TEST

/* The callback stops the walk. */
START_TEST(callback_stops)
{
  struct log log = {0};
  struct mts_rpt_limits lim;

  limits(&lim);
  log.stop_after = 1;
  ck_assert_int_eq(
      mts_rpt_walk(REPORTS "/mail/reports.mbox", &lim, record, &log), MTS_EIO);
  ck_assert_uint_eq(log.n, 1);
  memset(&log, 0, sizeof(log));
  log.stop_after = 1;
  ck_assert_int_eq(mts_rpt_walk(REPORTS "/maildir", &lim, record, &log),
                   MTS_EIO);
  ck_assert_uint_eq(log.n, 1);
}
END_TEST

/* A Maildir entry that is a directory is reported, not skipped. */
START_TEST(maildir_subdirectory)
{
  char dir[] = "/tmp/test_rptsrc.XXXXXX";
  char sub[600];
  struct log log = {0};
  struct mts_rpt_limits lim;

  limits(&lim);
  make_dir(dir);
  snprintf(sub, sizeof(sub), "%s/cur", dir);
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  snprintf(sub, sizeof(sub), "%s/cur/1.M1.x:2,", dir);
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  snprintf(sub, sizeof(sub), "%s/cur", dir);
  write_file(sub, "2.M2.x:2,", "{}", 2);
  ck_assert_int_eq(mts_rpt_walk(dir, &lim, record, &log), MTS_OK);
  ck_assert_uint_eq(log.n, 2);
  ck_assert_int_eq(log.v[0].unreadable, 1);
  ck_assert_str_eq(log.v[0].codes, "REPORT_READ_FAILED");
  ck_assert_ptr_nonnull(strstr(log.v[0].message, strerror(EISDIR)));
  ck_assert_int_eq(log.v[1].unreadable, 0);
  ck_assert_uint_eq(log.v[1].len, 2);
  remove_tree(dir);
}
END_TEST

/* Not a message, not JSON: handed over as is. */
START_TEST(raw_bytes)
{
  char dir[] = "/tmp/test_rptsrc.XXXXXX";
  char path[600];
  struct log log = {0};
  struct mts_rpt_limits lim;

  limits(&lim);
  make_dir(dir);
  write_file(dir, "x.eml", "no header here\n\nbody\n", 21);
  write_file(dir, "empty.json", "", 0);
  snprintf(path, sizeof(path), "%s/x.eml", dir);
  ck_assert_int_eq(mts_rpt_walk(path, &lim, record, &log), MTS_OK);
  snprintf(path, sizeof(path), "%s/empty.json", dir);
  ck_assert_int_eq(mts_rpt_walk(path, &lim, record, &log), MTS_OK);
  ck_assert_uint_eq(log.n, 2);
  ck_assert_int_eq(log.v[0].unreadable, 0);
  ck_assert_int_eq(log.v[0].from_mail, 0);
  ck_assert_uint_eq(log.v[0].len, 21);
  ck_assert_int_eq(log.v[1].unreadable, 0);
  ck_assert_uint_eq(log.v[1].len, 0);
  ck_assert_int_eq(log.v[1].has_data, 1);
  remove_tree(dir);
}
END_TEST

/* A stream (stdin in real life) through a pipe: a mail, and JSON. */
static void
walk_pipe(const char *data, size_t len, const struct mts_rpt_limits *lim,
          struct log *log)
{
  int fds[2];

  ck_assert_int_eq(pipe(fds), 0);
  ck_assert_int_eq(write(fds[1], data, len), (ssize_t)len);
  ck_assert_int_eq(close(fds[1]), 0);
  ck_assert_int_eq(mts_rpt_walk_fd(fds[0], "-", lim, record, log), MTS_OK);
  ck_assert_int_eq(close(fds[0]), 0);
}

START_TEST(stream_input)
{
  char buf[8192];
  size_t len;
  FILE *f;
  struct log log = {0};
  struct mts_rpt_limits lim;

  limits(&lim);
  f = fopen(REPORTS "/mail/google.eml", "rb");
  ck_assert_ptr_nonnull(f);
  len = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  ck_assert_uint_lt(len, sizeof(buf));
  walk_pipe(buf, len, &lim, &log);
  walk_pipe("  {\"a\": 1}\n", 11, &lim, &log);
  lim.max_input = 10;
  walk_pipe("  {\"a\": 1}\n", 11, &lim, &log);
  ck_assert_uint_eq(log.n, 3);
  ck_assert_str_eq(log.v[0].source,
                   "- <000000000000a1b2c3d4e5f60001@google.com>");
  ck_assert_int_eq(log.v[0].from_mail, 1);
  ck_assert_str_eq(log.v[0].codes, "-");
  ck_assert_str_eq(log.v[1].source, "-");
  ck_assert_uint_eq(log.v[1].len, 11);
  ck_assert_str_eq(log.v[2].source, "-");
  ck_assert_str_eq(log.v[2].codes, "REPORT_TOO_LARGE");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("rptsrc");
  TCase *tc = tcase_create("walk");
  SRunner *sr;
  int failed;

  tcase_add_test(tc, fixtures_as_expected);
  tcase_add_test(tc, missing_path);
  tcase_add_test(tc, plain_directory_sorted);
  tcase_add_test(tc, file_over_max_input);
  tcase_add_test(tc, part_over_max_report);
  tcase_add_test(tc, mbox_message_over_max_input);
  tcase_add_test(tc, callback_stops);
  tcase_add_test(tc, maildir_subdirectory);
  tcase_add_test(tc, raw_bytes);
  tcase_add_test(tc, stream_input);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  mts_rpt_init();
  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  mts_rpt_shutdown();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
