#ifndef MTS_HTTPRESP_H
#define MTS_HTTPRESP_H

/* The HTTP/1.1 response reader of the policy fetch (RFC 9112): bytes from
 * a server in, the status, the two headers RFC 8461 cares about and the
 * body out. It reads exactly what a GET of the policy needs: a status
 * line, header fields, then a body delimited by Content-Length, chunked
 * transfer coding or the end of the connection; 1xx interim responses are
 * skipped.
 *
 * Pure: no I/O, no globals; it allocates the two header values and the
 * body. It takes hostile input: a line over MTS_HTTP_LINE_MAX octets, a
 * header section over MTS_HTTP_HEAD_MAX octets, a body over max_body
 * octets (whatever Content-Length or a chunk size says), a malformed
 * length or chunk size end the response with an error, never a crash or
 * unbounded memory. Lines end with CRLF; a bare LF is accepted too (RFC
 * 9112 §2.2). */

#include <stddef.h>

/*! Longest status, header, chunk-size or trailer line, line end included. */
#define MTS_HTTP_LINE_MAX 8192
/*! Largest header section (and trailer section), line ends included. */
#define MTS_HTTP_HEAD_MAX 65536

/*! How mts_http_resp_feed or mts_http_resp_eof ended. */
enum mts_http_rd {
  MTS_HTTP_RD_MORE = 0,   /*!< all input used, the response goes on */
  MTS_HTTP_RD_HEAD,       /*!< the final header section just ended: status,
                               content_type and location are known; call
                               again with the rest of the input (even none) */
  MTS_HTTP_RD_DONE,       /*!< the response is complete */
  MTS_HTTP_RD_TOO_LARGE,  /*!< the body is over max_body */
  MTS_HTTP_RD_LONG_LINE,  /*!< a line over MTS_HTTP_LINE_MAX */
  MTS_HTTP_RD_LONG_HEAD,  /*!< header section over MTS_HTTP_HEAD_MAX */
  MTS_HTTP_RD_BAD_STATUS, /*!< not "HTTP/1.x DDD ..." */
  MTS_HTTP_RD_BAD_HEADER, /*!< not "name: value", or a NUL */
  MTS_HTTP_RD_BAD_LENGTH, /*!< Content-Length not a number, or two */
  MTS_HTTP_RD_BAD_CHUNK,  /*!< a malformed chunk size or chunk end */
  MTS_HTTP_RD_TRUNCATED,  /*!< (eof) the connection closed mid-response */
  MTS_HTTP_RD_NOTHING,    /*!< (eof) the connection closed before a byte */
  MTS_HTTP_RD_NOMEM,
};

/*! A response being read. mts_http_resp_init before the first byte,
 *  mts_http_resp_free after the last. */
struct mts_http_resp {
  /* What was read. */
  int status;         /*!< 100..999 once a status line is read, else 0 */
  char *content_type; /*!< the field value, whitespace trimmed; NULL if
                           absent (the last one if sent twice) */
  char *location;     /*!< the same for Location */
  char *body;         /*!< NUL-terminated, never NULL after init */
  size_t body_len;
  size_t max_body; /*!< set by init */
  /* The reader's state: private. */
  int state;
  enum mts_http_rd error;  /*!< the error that ended it */
  int chunked;             /*!< Transfer-Encoding ends with chunked */
  long long length;        /*!< Content-Length, or -1 */
  unsigned long long left; /*!< octets left in this body or chunk */
  size_t head_size;        /*!< octets of the current header section */
  size_t seen;             /*!< octets fed so far */
  size_t lines;            /*!< complete lines read so far */
  size_t body_cap;         /*!< allocated size of body */
  char **last_value;       /*!< the kept field a folded line continues */
  size_t line_len;
  char line[MTS_HTTP_LINE_MAX];
};

/*! Ready for a response whose body may be up to \p max_body octets.
 *  \return 0, or -1 out of memory. */
int mts_http_resp_init(struct mts_http_resp *r, size_t max_body);
void mts_http_resp_free(struct mts_http_resp *r);

/*! Read \p buf[0..len): everything is consumed up to the end of the
 *  response, an error, or the end of the header section (MTS_HTTP_RD_HEAD).
 *  \param[out] used octets consumed
 *  \return see enum mts_http_rd; after DONE or an error, nothing more is
 *  read (the same value is returned again). */
enum mts_http_rd mts_http_resp_feed(struct mts_http_resp *r, const char *buf,
                                    size_t len, size_t *used);

/*! The connection ended: DONE for a body that runs to the end of the
 *  connection (or a response already complete), else TRUNCATED or NOTHING. */
enum mts_http_rd mts_http_resp_eof(struct mts_http_resp *r);

/*! \return a short English phrase for an error value ("a malformed chunk
 *  size"), fit after "the server sent". */
const char *mts_http_rd_str(enum mts_http_rd rd);

#endif
