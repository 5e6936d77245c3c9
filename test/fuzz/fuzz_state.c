/* libFuzzer target for src/state.c: the strict reader of --state files
 * (both the line layout and the whole-document fallback) and the writer.
 *
 * The input is written to a state file and opened. A file that opens is
 * then updated with one result and saved, and the saved file must open
 * again: what the tool writes it can always read back. A file that does
 * not open must be left byte for byte as it was. A violation aborts.
 * Replayed over fixtures/fuzz/state/ by test/fuzz/replay.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
  if (!cond) {
    abort();
  }
}

static char dir[64];

static void
remove_dir(void)
{
  rmdir(dir);
}

static void
put_file(const char *path, const uint8_t *data, size_t size)
{
  FILE *f = fopen(path, "wb");

  check(f != NULL);
  check(size == 0 || fwrite(data, 1, size, f) == size);
  check(fclose(f) == 0);
}

static int
same_file(const char *path, const uint8_t *data, size_t size)
{
  FILE *f = fopen(path, "rb");
  uint8_t *buf = malloc(size + 1);
  size_t n;
  int same;

  check(f != NULL && buf != NULL);
  n = fread(buf, 1, size + 1, f);
  fclose(f);
  same = n == size && (size == 0 || memcmp(buf, data, size) == 0);
  free(buf);
  return same;
}

static void
one_result(struct mts_result *r)
{
  static const char *const mx[] = {"mx1.example.com"};

  mts_result_init(r);
  r->domain = strdup("example.com");
  r->checked_at = 1796000000LL;
  r->sts.record.status = MTS_REC_VALID;
  r->sts.id = strdup("20260101");
  r->policy.status = MTS_POLICY_VALID;
  r->policy.mode = strdup("enforce");
  r->policy.max_age = 604800;
  r->policy.mx = calloc(1, sizeof(char *));
  check(r->domain && r->sts.id && r->policy.mode && r->policy.mx);
  r->policy.mx[0] = strdup(mx[0]);
  check(r->policy.mx[0] != NULL);
  r->policy.n_mx = 1;
  r->tlsrpt.record.status = MTS_REC_MISSING;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[128], lock[160], err[512];
  struct mts_state *st = NULL;
  struct mts_result r;
  enum mts_err e;

  if (dir[0] == '\0') {
    snprintf(dir, sizeof(dir), "/tmp/mts-fuzz-state-XXXXXX");
    check(mkdtemp(dir) != NULL);
    atexit(remove_dir);
  }
  snprintf(path, sizeof(path), "%s/state.json", dir);
  snprintf(lock, sizeof(lock), "%s/state.json.lock", dir);
  put_file(path, data, size);

  e = mts_state_open(&st, path, err, sizeof(err));
  if (e != MTS_OK) {
    check(st == NULL);
    check(e == MTS_EINVAL || e == MTS_ENOMEM || e == MTS_ERANGE);
    check(err[0] != '\0');
    check(same_file(path, data, size));
  } else {
    one_result(&r);
    check(mts_state_note(st, &r) == MTS_OK);
    check(r.changes.tracked == 1);
    check(mts_state_save(st, r.checked_at, err, sizeof(err)) == MTS_OK);
    mts_state_free(&st);
    mts_result_release(&r);
    /* Read back what was written. */
    check(mts_state_open(&st, path, err, sizeof(err)) == MTS_OK);
    mts_state_free(&st);
  }
  unlink(path);
  unlink(lock);
  return 0;
}
