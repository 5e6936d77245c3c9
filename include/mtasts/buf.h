#ifndef MTS_BUF_H
#define MTS_BUF_H

/* Core: owned bytes, the one buffer type of the result model and of the
 * DNS layer's answers. */

#include <stddef.h>

/*! Owned bytes (a TXT record may hold any octet, NUL included). */
struct mts_buf {
  char *data; /*!< NUL-terminated for convenience, but see len */
  size_t len;
};

#endif
