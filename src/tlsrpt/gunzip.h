#ifndef MTS_GUNZIP_H
#define MTS_GUNZIP_H

/* gzip decoding (RFC 1952) with zlib, capped: inflating stops as soon as the
 * output would pass the cap, so a decompression bomb costs at most the cap
 * in memory and the time to produce it. Pure: no I/O, no globals. */

#include <stddef.h>

enum mts_gz_res {
  MTS_GZ_OK = 0,
  MTS_GZ_NOT_GZIP,  /*!< no gzip magic bytes */
  MTS_GZ_CORRUPT,   /*!< a bad header, bad data, a bad CRC, or truncated */
  MTS_GZ_TOO_LARGE, /*!< the output would pass the cap */
  MTS_GZ_NOMEM,
};

/*! \return 1 if \p p starts with the gzip magic bytes 1f 8b. */
int mts_gz_magic(const unsigned char *p, size_t n);

/*! Decode every gzip member of \p in (trailing bytes after the last member
 *  are ignored, as gzip(1) does).
 *  \param[out] out malloc'd result (NUL-terminated for convenience), or
 *              NULL on failure
 *  \param[out] why on failure, a static phrase
 *  \return the outcome. */
enum mts_gz_res mts_gunzip(const unsigned char *in, size_t n, size_t max_out,
                           unsigned char **out, size_t *out_len,
                           const char **why);

/*! Inflate the start of the gzip data \p in into \p out, at most \p cap
 *  bytes (at most UINT_MAX), to look at what it holds: the rest of the
 *  input is not decoded and the CRC is not checked.
 *  \return the number of bytes written (0 for data that is not gzip or
 *  whose start is corrupt). */
size_t mts_gunzip_head(const unsigned char *in, size_t n, unsigned char *out,
                       size_t cap);

#endif
