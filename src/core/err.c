#include "mtasts/err.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "mtasts/i18n.h"

/* The words are English (they may end up in a finding's JSON message);
 * marked N_() so that the CLI can show _(mts_strerror(err)) on stderr. */
const char *
mts_strerror(enum mts_err err)
{
  switch (err) {
    case MTS_OK:
      return N_("success");
    case MTS_ENOMEM:
      return N_("out of memory");
    case MTS_EINVAL:
      return N_("invalid argument");
    case MTS_EIO:
      return N_("input/output error");
    case MTS_ERESOLV:
      return N_("resolver setup failed");
    case MTS_ESYS:
      return N_("system call failed");
    case MTS_ERANGE:
      return N_("value out of range");
    case MTS_EINTR:
      return N_("interrupted");
  }
  return N_("unknown error");
}

const char *
mts_errno_str(char *buf, size_t size, int e)
{
  /* strerror() speaks the LC_MESSAGES language (glibc ships libc.mo):
   * strerror_l() with a C locale object does not. The text is copied: a
   * locale's strings die with it. */
  locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);

  if (c == (locale_t)0) {
    snprintf(buf, size, "error %d", e);
    return buf;
  }
  snprintf(buf, size, "%s", strerror_l(e, c));
  freelocale(c);
  return buf;
}
