/* libFuzzer target for the mail side of src/tlsrpt/rptsrc.c: the pre-scan
 * (lines, boundary lines, header blocks, enclosed messages), the mbox
 * splitter and the MIME walk over GMime.
 *
 * The input is walked twice: as a stream (read into memory, sniffed: an
 * mbox or a message is split and pre-scanned in memory) and as a file
 * through /proc/self/fd (an mbox is then read in chunks with pread), with
 * small caps when the first byte is odd, to reach them. Every callback
 * must be a report or an unreadable input with a finding. Replayed over
 * fixtures/fuzz/mail/ by test/fuzz/replay.c as a normal test. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mtasts/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
  if (!cond) {
    abort();
  }
}

static enum mts_err
on_part(void *arg, struct mts_rpt_part *part)
{
  size_t *n = arg;

  check(part->source != NULL && part->path != NULL);
  if (part->unreadable) {
    check(part->data == NULL || part->len == 0);
    check(part->envelope.n > 0);
  } else {
    volatile unsigned char sink = 0;
    check(part->data != NULL);
    /* Touch every byte handed over: the sanitizers check the bounds. */
    for (size_t i = 0; i < part->len; i++) {
      sink ^= part->data[i];
    }
    (void)sink;
  }
  (*n)++;
  return MTS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int init;
  struct mts_rpt_limits lim;
  char path[64];
  size_t n = 0;
  int fd;

  if (!init) {
    mts_rpt_init();
    init = 1;
  }
  mts_rpt_limits_default(&lim);
  if (size > 0 && (data[0] & 1)) {
    lim.max_input = 512;
    lim.max_report = 256;
  }
  fd = memfd_create("fuzz_mail", MFD_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  if (size > 0 && write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return 0;
  }
  (void)lseek(fd, 0, SEEK_SET);
  check(mts_rpt_walk_fd(fd, "-", &lim, on_part, &n) == MTS_OK);
  check(n >= 1);
  n = 0;
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  check(mts_rpt_walk(path, &lim, on_part, &n) == MTS_OK);
  check(n >= 1);
  close(fd);
  return 0;
}
