#ifndef MTS_SMTPREPLY_H
#define MTS_SMTPREPLY_H

/* The SMTP reply reader (RFC 5321 §4.2, §4.5.3.1.5): bytes from a server in,
 * complete replies out. A reply is one or more lines "DDD-text" ending with
 * "DDD text" (or a bare "DDD"), every line with the same code. It keeps the
 * code, the first line as received (for banners and error messages) and
 * whether an EHLO reply offers STARTTLS (RFC 3207 §4).
 *
 * Pure: no I/O, no allocation, no globals. It takes hostile input: a line
 * over MTS_SMTP_LINE_MAX octets or a reply over MTS_SMTP_REPLY_MAX octets
 * ends the session (mx-transport.md R164). Lines end with CRLF; a bare LF is
 * accepted as well, as most MTAs do. */

#include <stddef.h>

/*! Longest reply line, CRLF included (RFC 5321 §4.5.3.1.5). */
#define MTS_SMTP_LINE_MAX 512
/*! Largest reply, all lines together (mx-transport.md R164). */
#define MTS_SMTP_REPLY_MAX 65536

/*! A reply being read; zero it (mts_smtp_reply_reset) before the first
 *  byte of each reply. */
struct mts_smtp_reply {
  int code;       /*!< 100..599 once the first line is read, else 0 */
  size_t n_lines; /*!< lines read so far */
  size_t size;    /*!< octets read so far, line ends included */
  int starttls;   /*!< a line after the first is the keyword STARTTLS */
  char first[MTS_SMTP_LINE_MAX + 1]; /*!< the first line, without its line
                                          end, NUL-terminated; any byte but
                                          NUL (escape it on output) */
  size_t first_len;
};

/*! How mts_smtp_reply_feed ended. */
enum mts_smtp_rd {
  MTS_SMTP_RD_MORE = 0,  /*!< all input used, the reply is not complete */
  MTS_SMTP_RD_DONE,      /*!< a reply is complete (*used says where) */
  MTS_SMTP_RD_LONG_LINE, /*!< a line over MTS_SMTP_LINE_MAX */
  MTS_SMTP_RD_TOO_LARGE, /*!< the reply over MTS_SMTP_REPLY_MAX */
  MTS_SMTP_RD_SYNTAX,    /*!< not "DDD[-| ]text", or the code changed */
};

/*! Forget everything: ready for a new reply. */
void mts_smtp_reply_reset(struct mts_smtp_reply *r);

/*! Read complete lines from \p buf[0..len) into \p r until a reply is
 *  complete or an error. A line that has not ended yet is not consumed:
 *  the caller keeps it and calls again with more bytes after it (so
 *  \p len alone decides a long line: a buffer of MTS_SMTP_LINE_MAX
 *  octets without a line end is MTS_SMTP_RD_LONG_LINE).
 *  \param[out] used octets consumed (complete lines only)
 *  \return see enum mts_smtp_rd. */
enum mts_smtp_rd mts_smtp_reply_feed(struct mts_smtp_reply *r, const char *buf,
                                     size_t len, size_t *used);

/*! \return a short English phrase for an error value ("a reply line over
 *  512 octets"). */
const char *mts_smtp_rd_str(enum mts_smtp_rd rd);

#endif
