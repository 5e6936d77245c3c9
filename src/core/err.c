#include "mtasts/err.h"

const char *
mts_strerror(enum mts_err err)
{
  switch (err) {
    case MTS_OK:
      return "success";
    case MTS_ENOMEM:
      return "out of memory";
    case MTS_EINVAL:
      return "invalid argument";
    case MTS_EIO:
      return "input/output error";
    case MTS_ERESOLV:
      return "resolver setup failed";
    case MTS_ESYS:
      return "system call failed";
    case MTS_ERANGE:
      return "value out of range";
    case MTS_EINTR:
      return "interrupted";
  }
  return "unknown error";
}
