#ifndef MTS_RPTSRC_H
#define MTS_RPTSRC_H

/* Where TLS-RPT aggregate reports come from (mtasts-check report PATH...):
 * files (.json, gzip by its magic bytes whatever the name), mail messages
 * (.eml) carrying application/tlsrpt+gzip or +json parts, Maildir folders,
 * mbox files, plain directories of report files, and stdin ("-").
 *
 * The walker does the I/O and the MIME decoding (GMime); it hands every
 * report it finds, still as found (gzip or JSON bytes), to a callback,
 * together with the findings about the envelope: mail headers (R159,
 * R160, R161), the part's media type (R158) and the attachment's file name
 * (R138, R157). Decompression and validation of the report itself are the
 * callback's job (tlsrpt.h), so they stay pure functions over bytes. */

#include <stddef.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"

/*! Caps against hostile input (docs/reports.md). */
struct mts_rpt_limits {
  size_t max_input;   /*!< bytes of one file or one mail message read */
  size_t max_report;  /*!< bytes of one report part as found (compressed) */
  size_t max_json;    /*!< bytes of one report once decompressed */
  unsigned max_depth; /*!< JSON nesting depth */
};

/*! The documented defaults: 32 MiB, 10 MiB, 10 MiB, 32. */
void mts_rpt_limits_default(struct mts_rpt_limits *lim);

/*! One report as found. Everything is borrowed for the callback's
 *  duration only. */
struct mts_rpt_part {
  /*! "PATH", or "PATH <message-id>" for a mail message, or "PATH #N" for
   *  the Nth message (from 1) of an mbox that has no Message-ID; "-" for
   *  stdin ("- <message-id>" for a mail on stdin). */
  const char *source;
  const char *path;       /*!< the path as given or found (Maildir file) */
  const char *message_id; /*!< with its angle brackets, or NULL */
  /*! The attachment's file name (Content-Disposition filename or
   *  Content-Type name), or NULL for a bare file. */
  const char *filename;
  const unsigned char *data; /*!< the bytes of the report; NULL when
                                  \p unreadable */
  size_t len;
  /*! The sender said it is gzip (a .gz name, of a bare file too, or
   *  application/tlsrpt+gzip): bytes without the gzip magic are then
   *  REPORT_GZIP_INVALID (R139). */
  int gzip_expected;
  /*! 1: the input was a mail message (an .eml, a Maildir file, an mbox
   *  message), even when \p unreadable (no report part, too large); 0: a
   *  bare file or stream. */
  int from_mail;
  /*! From a mail message: the TLS-Report-Submitter header, trimmed (NULL
   *  if absent), so that the caller can check it against the report's
   *  contact-info once the report is parsed (R159,
   *  REPORT_SUBMITTER_MISMATCH). */
  const char *submitter;
  /*! The input could not be read (missing file, permission, a mail message
   *  without any report part, over max_input...): \p envelope holds the
   *  finding that says why; the caller emits an invalid report for it. */
  int unreadable;
  /*! Findings about the envelope (never about the report's content). The
   *  callback may move them out (mts_findings is a plain struct: copy it
   *  and zero the original). */
  struct mts_findings envelope;
};

/*! \return MTS_OK to go on, anything else to stop the walk (returned). */
typedef enum mts_err (*mts_rpt_cb)(void *arg, struct mts_rpt_part *part);

/*! Call \p cb for every report found under \p path, in a stable order
 *  (a Maildir's new/ then cur/, each sorted by name; an mbox in file
 *  order). A path that cannot be read at all still gives one callback
 *  with \p unreadable set. Never stops on bad input; stops only when \p cb
 *  says so or memory runs out. \p lim NULL means the defaults.
 *  \return MTS_OK, MTS_ENOMEM, or what \p cb returned. */
enum mts_err mts_rpt_walk(const char *path, const struct mts_rpt_limits *lim,
                          mts_rpt_cb cb, void *arg);

/*! As mts_rpt_walk for a stream that is not a path (stdin, a pipe, a
 *  socket; the tests use it): read \p fd up to lim->max_input, then sniff
 *  the bytes as a file's. \p label names the input in \p source and
 *  \p path ("-" for stdin). \p fd is neither closed nor rewound. */
enum mts_err mts_rpt_walk_fd(int fd, const char *label,
                             const struct mts_rpt_limits *lim, mts_rpt_cb cb,
                             void *arg);

/*! Initialise and release the MIME library (GMime); call once around all
 *  walks. */
void mts_rpt_init(void);
void mts_rpt_shutdown(void);

#endif
