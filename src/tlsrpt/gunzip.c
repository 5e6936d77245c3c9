#include "gunzip.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mtasts/i18n.h"

int
mts_gz_magic(const unsigned char *p, size_t n)
{
  return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* zlib counts in uInt: feed it at most this much at a time. */
#define CHUNK_MAX ((size_t)UINT_MAX)

enum mts_gz_res
mts_gunzip(const unsigned char *in, size_t n, size_t max_out,
           unsigned char **out, size_t *out_len, const char **why)
{
  z_stream z;
  unsigned char *buf = NULL;
  size_t cap = 0, len = 0, used = 0;
  enum mts_gz_res res = MTS_GZ_OK;
  int zr = Z_OK;

  *out = NULL;
  *out_len = 0;
  *why = NULL;
  if (!mts_gz_magic(in, n)) {
    *why = N_("it does not start with the gzip magic bytes");
    return MTS_GZ_NOT_GZIP;
  }
  memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) { /* gzip only */
    *why = N_("zlib could not be set up");
    return MTS_GZ_NOMEM;
  }
  for (;;) {
    size_t chunk;

    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 16384;
      unsigned char *nb;
      if (cap > max_out) {
        res = MTS_GZ_TOO_LARGE;
        *why = N_("the decompressed report is over the size cap");
        goto out;
      }
      if (ncap > max_out + 1) {
        ncap = max_out + 1; /* one byte more tells an overflow */
      }
      nb = realloc(buf, ncap + 1);
      if (nb == NULL) {
        res = MTS_GZ_NOMEM;
        *why = N_("out of memory");
        goto out;
      }
      buf = nb;
      cap = ncap;
    }
    chunk = n - used < CHUNK_MAX ? n - used : CHUNK_MAX;
    z.next_in = (unsigned char *)(uintptr_t)(in + used);
    z.avail_in = (uInt)chunk;
    z.next_out = buf + len;
    z.avail_out = (uInt)(cap - len < CHUNK_MAX ? cap - len : CHUNK_MAX);
    {
      size_t before_out = z.avail_out;
      zr = inflate(&z, Z_NO_FLUSH);
      len += before_out - z.avail_out;
      used += chunk - z.avail_in;
    }
    if (len > max_out) {
      res = MTS_GZ_TOO_LARGE;
      *why = N_("the decompressed report is over the size cap");
      goto out;
    }
    if (zr == Z_STREAM_END) {
      /* Another member follows? (RFC 1952 §2.2) */
      if (mts_gz_magic(in + used, n - used)) {
        if (inflateReset(&z) != Z_OK) {
          res = MTS_GZ_CORRUPT;
          *why = N_("a gzip member could not be started");
          goto out;
        }
        continue;
      }
      break;
    }
    if (zr == Z_BUF_ERROR && len < cap) {
      /* No progress with room left: the input ended mid-stream. */
      res = MTS_GZ_CORRUPT;
      *why = N_("the gzip data is truncated");
      goto out;
    }
    if (zr != Z_OK && zr != Z_BUF_ERROR) {
      res = zr == Z_MEM_ERROR ? MTS_GZ_NOMEM : MTS_GZ_CORRUPT;
      *why = zr == Z_MEM_ERROR ? N_("out of memory")
             : z.msg           ? z.msg
                               : N_("the gzip data is corrupt");
      /* z.msg points into zlib's static strings: safe after inflateEnd. */
      goto out;
    }
    if (used == n && z.avail_out != 0) {
      res = MTS_GZ_CORRUPT;
      *why = N_("the gzip data is truncated");
      goto out;
    }
  }
  buf[len] = '\0';
  *out = buf;
  *out_len = len;
  buf = NULL;
out:
  inflateEnd(&z);
  free(buf);
  return res;
}

size_t
mts_gunzip_head(const unsigned char *in, size_t n, unsigned char *out,
                size_t cap)
{
  z_stream z;
  size_t got;

  if (!mts_gz_magic(in, n) || cap == 0) {
    return 0;
  }
  memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    return 0;
  }
  z.next_in = (unsigned char *)(uintptr_t)in;
  z.avail_in = (uInt)(n < CHUNK_MAX ? n : CHUNK_MAX);
  z.next_out = out;
  z.avail_out = (uInt)(cap < CHUNK_MAX ? cap : CHUNK_MAX);
  (void)inflate(&z, Z_SYNC_FLUSH); /* as far as the input or room goes */
  got = (size_t)(z.next_out - out);
  inflateEnd(&z);
  return got;
}
