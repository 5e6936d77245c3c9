#ifndef MTS_TEST_OPTCHECK_H
#define MTS_TEST_OPTCHECK_H

/* Checks shared by the tests of each command's option table (test_cli,
 * test_rptcmd, test_plan): the man page and --help name every option, and
 * the words a parser names when it rejects a value are the table's. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opttab.h"
#include "testfile.h"

/* Every long option of \p defs appears in \p text (roff "\-\-name" or
 * plain "--name"); \p what names the text in the failure message. */
static inline void
optcheck_documents(const struct mts_optdef *defs, size_t n, const char *text,
                   const char *what)
{
  for (size_t i = 0; i < n; i++) {
    char roff[64], plain[64];
    snprintf(roff, sizeof(roff), "\\-\\-%s", defs[i].name);
    snprintf(plain, sizeof(plain), "--%s", defs[i].name);
    ck_assert_msg(strstr(text, roff) || strstr(text, plain),
                  "%s does not document --%s", what, defs[i].name);
  }
}

/* The words the parser names when it rejects a value ("expected text,
 * json or prometheus") are all in the table's \p values: a word added to
 * the parser but not to the table fails here. */
static inline void
optcheck_error_words(const char *err, const char *const *values)
{
  const char *p = strstr(err, "expected ");

  ck_assert_msg(p != NULL, "no 'expected' in: %s", err);
  p += strlen("expected ");
  while (*p != '\0') {
    char w[32];
    size_t n = 0;
    int found = 0;

    while (*p != '\0' && !(*p >= 'a' && *p <= 'z')) {
      p++;
    }
    while (*p >= 'a' && *p <= 'z' && n < sizeof(w) - 1) {
      w[n++] = *p++;
    }
    w[n] = '\0';
    if (n == 0 || strcmp(w, "or") == 0) {
      continue;
    }
    for (size_t i = 0; values[i] != NULL; i++) {
      found |= strcmp(values[i], w) == 0;
    }
    ck_assert_msg(found, "the parser takes '%s', the table's values lack it",
                  w);
  }
}

#endif
