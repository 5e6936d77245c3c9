#ifndef MTS_TEST_TESTFILE_H
#define MTS_TEST_TESTFILE_H

/* Reading a source-tree file whole, for the unit tests that check the
 * documentation against the code. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* The whole file at \p path, NUL-terminated (the caller frees). */
static inline char *
test_slurp(const char *path)
{
  FILE *f = fopen(path, "r");
  char *text;
  long len;

  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  text = calloc(1, (size_t)len + 1);
  ck_assert_ptr_nonnull(text);
  ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  return text;
}

#endif
