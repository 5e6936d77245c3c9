/* libFuzzer target for the SMTP reply reader: any bytes as what a server
 * says, read the way the SMTP probe reads them (whole buffer, then in
 * pieces with the unread tail kept). */
#include <stdint.h>
#include <string.h>

#include "net/smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *p = (const char *)data;
  struct mts_smtp_reply r;
  size_t off = 0, used;
  char buf[MTS_SMTP_LINE_MAX];
  size_t have = 0;

  /* Replies back to back, as pipelined. */
  while (off < size) {
    enum mts_smtp_rd rd;
    mts_smtp_reply_reset(&r);
    rd = mts_smtp_reply_feed(&r, p + off, size - off, &used);
    if (used > size - off || r.first_len > MTS_SMTP_LINE_MAX ||
        r.size > MTS_SMTP_REPLY_MAX) {
      __builtin_trap();
    }
    off += used;
    if (rd != MTS_SMTP_RD_DONE || used == 0) {
      break;
    }
  }
  /* In 7-octet pieces through a line-sized buffer, as the probe does. */
  mts_smtp_reply_reset(&r);
  for (off = 0; off < size;) {
    size_t n = size - off < 7 ? size - off : 7;
    enum mts_smtp_rd rd;
    if (n > sizeof(buf) - have) {
      n = sizeof(buf) - have;
    }
    memcpy(buf + have, p + off, n);
    have += n;
    off += n;
    rd = mts_smtp_reply_feed(&r, buf, have, &used);
    if (used > have) {
      __builtin_trap();
    }
    memmove(buf, buf + used, have - used);
    have -= used;
    if (rd == MTS_SMTP_RD_DONE) {
      mts_smtp_reply_reset(&r);
    } else if (rd != MTS_SMTP_RD_MORE) {
      break;
    }
  }
  (void)mts_smtp_rd_str(MTS_SMTP_RD_SYNTAX);
  return 0;
}
