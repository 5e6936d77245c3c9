/* libFuzzer target for the policy fetch's HTTP response reader: any bytes
 * as what a policy host sends after the TLS handshake, read the way the
 * fetch reads them (in pieces, on after the header section, then the end
 * of the connection), with a small and the real body limit. */
#include <stdint.h>
#include <string.h>

#include "mtasts/net.h"
#include "net/httpresp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
read_in(const char *p, size_t size, size_t step, size_t max_body)
{
  struct mts_http_resp r;
  enum mts_http_rd rd = MTS_HTTP_RD_MORE;
  size_t off = 0;

  if (mts_http_resp_init(&r, max_body) != 0) {
    return;
  }
  while (off < size || rd == MTS_HTTP_RD_HEAD) {
    size_t n = size - off < step ? size - off : step, used = 0;
    rd = mts_http_resp_feed(&r, p + off, n, &used);
    if (used > n) {
      __builtin_trap();
    }
    off += used;
    if (rd != MTS_HTTP_RD_MORE && rd != MTS_HTTP_RD_HEAD) {
      break;
    }
  }
  if (rd == MTS_HTTP_RD_MORE) {
    rd = mts_http_resp_eof(&r);
  }
  if (r.body_len > max_body || r.body[r.body_len] != '\0' ||
      (r.content_type != NULL && strlen(r.content_type) >= MTS_HTTP_HEAD_MAX) ||
      (r.location != NULL && strlen(r.location) >= MTS_HTTP_HEAD_MAX) ||
      (rd == MTS_HTTP_RD_DONE && r.status < 100)) {
    __builtin_trap();
  }
  (void)mts_http_rd_str(rd);
  mts_http_resp_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *p = (const char *)data;

  read_in(p, size, size > 0 ? size : 1, MTS_FETCH_MAX_BODY);
  read_in(p, size, 7, 64);
  return 0;
}
