/* Unit tests for the command line (contract.md "Command line"). */
#include "cli/cli.h"
#include "cli/opttab.h"
#include "optcheck.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* getopt permutes argv and the options point into it: keep writable
 * copies alive until the test ends. */
static char *argv_store[32];
static int argc_store;

static void
args_free(void)
{
  for (int i = 0; i < argc_store; i++) {
    free(argv_store[i]);
    argv_store[i] = NULL;
  }
  argc_store = 0;
}

static void
args_push(const char *a)
{
  ck_assert_int_lt(argc_store, 31);
  argv_store[argc_store] = strdup(a);
  ck_assert_ptr_nonnull(argv_store[argc_store]);
  argc_store++;
  argv_store[argc_store] = NULL;
}

static enum mts_err
parse(struct mts_opts *o, char *err, size_t errsz, ...)
{
  va_list ap;
  const char *a;

  args_free();
  args_push("mtasts-check");
  va_start(ap, errsz);
  while ((a = va_arg(ap, const char *)) != NULL) {
    args_push(a);
  }
  va_end(ap);
  err[0] = '\0';
  return mts_cli_parse(argc_store, argv_store, o, err, errsz);
}

START_TEST(defaults)
{
  struct mts_opts o;
  char err[256];

  ck_assert_int_eq(parse(&o, err, sizeof(err), "example.com", NULL), MTS_OK);
  ck_assert_uint_eq(o.n_domains, 1);
  ck_assert_str_eq(o.domains[0], "example.com");
  ck_assert_int_eq(o.write.format, MTS_FORMAT_TEXT);
  ck_assert_int_eq(o.run.timeout_ms, 20000);
  ck_assert_uint_eq(o.run.concurrency, 64);
  ck_assert_uint_eq(o.run.resolver.n_servers, 0);
  ck_assert_int_eq(o.write.quiet, 0);
  ck_assert_int_eq(o.run.no_policy, 0);
  ck_assert(o.run.resolver.qps == 0.0); /* no --qps: no limit */
  ck_assert_int_eq(o.run.progress, 0);  /* auto, one domain: none */
  mts_cli_release(&o);
}
END_TEST

START_TEST(every_option)
{
  struct mts_opts o;
  char err[256];

  ck_assert_int_eq(parse(&o, err, sizeof(err), "-j", "-q", "-r",
                         "127.0.0.1:5300", "--resolver", "[::1]:53", "-r",
                         "::1", "-t", "2.5", "--no-policy", "--color", "never",
                         "--concurrency", "7", "a.example", "b.example", NULL),
                   MTS_OK);
  ck_assert_int_eq(o.write.format, MTS_FORMAT_JSON);
  ck_assert_int_eq(o.write.quiet, 1);
  ck_assert_uint_eq(o.run.resolver.n_servers, 3);
  ck_assert_str_eq(o.run.resolver.servers[0], "127.0.0.1:5300");
  ck_assert_int_eq(o.run.timeout_ms, 2500);
  ck_assert_int_eq(o.run.no_policy, 1);
  ck_assert_int_eq(o.write.color, 0);
  ck_assert_uint_eq(o.run.concurrency, 7);
  ck_assert_uint_eq(o.n_domains, 2);
  mts_cli_release(&o);

  ck_assert_int_eq(parse(&o, err, sizeof(err), "--format", "json", "-f", "-",
                         "--color", "always", "--ca-file",
                         MTS_SOURCE_DIR "/fixtures/tls/ca-example.pem", NULL),
                   MTS_OK);
  ck_assert_str_eq(o.run.ca_file,
                   MTS_SOURCE_DIR "/fixtures/tls/ca-example.pem");
  ck_assert_int_eq(o.write.format, MTS_FORMAT_JSON);
  ck_assert_str_eq(o.file, "-");
  ck_assert_int_eq(o.write.color, 1);
  ck_assert_uint_eq(o.run.shard_n, 0); /* no --shard: every domain */
  mts_cli_release(&o);

  ck_assert_int_eq(parse(&o, err, sizeof(err), "--format", "prometheus",
                         "--shard", "3/7", "a.example", NULL),
                   MTS_OK);
  ck_assert_int_eq(o.write.format, MTS_FORMAT_PROMETHEUS);
  ck_assert_uint_eq(o.run.shard_k, 3);
  ck_assert_uint_eq(o.run.shard_n, 7);
  mts_cli_release(&o);

  ck_assert_int_eq(parse(&o, err, sizeof(err), "--qps", "2.5", "--progress",
                         "always", "a.example", NULL),
                   MTS_OK);
  ck_assert(o.run.resolver.qps == 2.5);
  ck_assert_int_eq(o.run.progress, 1);
  mts_cli_release(&o);
  ck_assert_int_eq(
      parse(&o, err, sizeof(err), "--progress", "never", "-f", "-", NULL),
      MTS_OK);
  ck_assert_int_eq(o.run.progress, 0);
  mts_cli_release(&o);

  ck_assert_int_eq(parse(&o, err, sizeof(err), "--help", NULL), MTS_OK);
  ck_assert_int_eq(o.help, 1);
  mts_cli_release(&o);
  ck_assert_int_eq(parse(&o, err, sizeof(err), "-V", NULL), MTS_OK);
  ck_assert_int_eq(o.version, 1);
  mts_cli_release(&o);
}
END_TEST

/* Every usage error: MTS_EINVAL with a sentence. */
static const char *const bad[][4] = {
    {"--bogus", "example.com", NULL},
    {"-x", "example.com", NULL},
    {NULL},
    {"-t", "0", "example.com", NULL},
    {"-t", "-1", "example.com", NULL},
    {"-t", "abc", "example.com", NULL},
    {"-t", "1e9", "example.com", NULL},
    {"--format", "xml", "example.com", NULL},
    {"--color", "sometimes", "example.com", NULL},
    {"-r", "dns.example", "example.com", NULL},
    {"-r", "127.0.0.1:0", "example.com", NULL},
    {"-r", "127.0.0.1:70000", "example.com", NULL},
    {"-r", "[::1", "example.com", NULL},
    {"--concurrency", "0", "example.com", NULL},
    {"--qps", "0", "example.com", NULL},
    {"--qps", "-5", "example.com", NULL},
    {"--qps", "fast", "example.com", NULL},
    {"--qps", "2000000", "example.com", NULL},
    {"--progress", "sometimes", "example.com", NULL},
    {"--shard", "0/4", "example.com", NULL},
    {"--shard", "5/4", "example.com", NULL},
    {"--shard", "1/1000001", "example.com", NULL},
    {"--shard", "1", "example.com", NULL},
    {"--format", "prometheus", "--policy-file", "p.txt"},
    {"--shard", "1/2", "--policy-file", "p.txt"},
    {"-f", "list.txt", "example.com", NULL},
    {"example.com", "-t", NULL},
    {"--ca-file", "/nonexistent/ca.pem", "example.com", NULL},
    {"--ca-file", MTS_SOURCE_DIR "/README.md", "example.com", NULL},
};

START_TEST(usage_errors)
{
  struct mts_opts o;
  char err[256];

  args_free();
  args_push("mtasts-check");
  for (int i = 0; i < 4 && bad[_i][i] != NULL; i++) {
    args_push(bad[_i][i]);
  }
  err[0] = '\0';
  ck_assert_int_eq(mts_cli_parse(argc_store, argv_store, &o, err, sizeof(err)),
                   MTS_EINVAL);
  ck_assert_msg(err[0] != '\0', "no message for case %d", _i);
  ck_assert_ptr_null(strchr(err, '\n'));
  mts_cli_release(&o);
}
END_TEST

/* The man page documents every long option (curl's tool_listhelp idea). */
START_TEST(man_page_lists_every_option)
{
  size_t n;
  const struct mts_optdef *defs = mts_cli_optdefs(&n);
  char *text = test_slurp(MTS_SOURCE_DIR "/docs/mtasts-check.1");

  optcheck_documents(defs, n, text, "docs/mtasts-check.1");
  free(text);
}
END_TEST

START_TEST(help_lists_every_option)
{
  size_t n;
  const struct mts_optdef *defs = mts_cli_optdefs(&n);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  ck_assert_ptr_nonnull(f);
  mts_cli_help(f);
  fclose(f);
  optcheck_documents(defs, n, buf, "--help");
  free(buf);
}
END_TEST

/* The words the completions offer after --format, --color, --progress
 * (the table's values) are the ones the parser takes. */
START_TEST(option_words_accepted)
{
  size_t n;
  const struct mts_optdef *defs = mts_cli_optdefs(&n);
  struct mts_opts o;
  char err[256], name[64];
  size_t with_words = 0;

  for (size_t i = 0; i < n; i++) {
    if (defs[i].values == NULL) {
      continue;
    }
    with_words++;
    snprintf(name, sizeof(name), "--%s", defs[i].name);
    for (size_t j = 0; defs[i].values[j] != NULL; j++) {
      ck_assert_msg(parse(&o, err, sizeof(err), name, defs[i].values[j],
                          "a.example", NULL) == MTS_OK,
                    "%s %s: %s", name, defs[i].values[j], err);
      mts_cli_release(&o);
    }
    ck_assert_int_eq(
        parse(&o, err, sizeof(err), name, "bogus", "a.example", NULL),
        MTS_EINVAL);
    optcheck_error_words(err, defs[i].values);
    mts_cli_release(&o);
  }
  ck_assert_uint_eq(with_words, 4); /* --format, --color, --progress, --lang */
}
END_TEST

static Suite *
cli_suite(void)
{
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("parse");

  tcase_add_test(tc, defaults);
  tcase_add_test(tc, every_option);
  tcase_add_loop_test(tc, usage_errors, 0, (int)(sizeof(bad) / sizeof(bad[0])));
  tcase_add_test(tc, man_page_lists_every_option);
  tcase_add_test(tc, help_lists_every_option);
  tcase_add_test(tc, option_words_accepted);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(cli_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  args_free();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
