#ifndef MTS_ERR_H
#define MTS_ERR_H

#include <stddef.h>

/*! Operational errors: something the program could not do. Problems found in
 *  a domain's deployment are not errors but findings (finding.h). */
enum mts_err {
  MTS_OK = 0,
  MTS_ENOMEM,  /*!< out of memory */
  MTS_EINVAL,  /*!< invalid argument */
  MTS_EIO,     /*!< read or write failed */
  MTS_ERESOLV, /*!< the resolver could not be set up */
  MTS_ESYS,    /*!< a system call failed (see errno) */
  MTS_ERANGE,  /*!< a value or a size is out of range */
  MTS_EINTR,   /*!< stopped by a signal (SIGINT, SIGTERM) */
};

/*! \return a static, human-readable description of \p err. */
const char *mts_strerror(enum mts_err err);

/*! The C library's description of errno value \p e in English, whatever
 *  the locale ("Connection refused", never 接続を拒否されました): for
 *  messages that reach machine output (JSON, metrics), which never depend
 *  on the locale. \return \p buf. */
const char *mts_errno_str(char *buf, size_t size, int e);

#endif
