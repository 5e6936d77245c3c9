#ifndef MTS_I18N_H
#define MTS_I18N_H

/* Message catalogues (GNU gettext, glibc's libintl). Every human-facing
 * string is marked _() (translated where it is used) or N_() (marked for
 * xgettext, translated later with _()). The catalogue is po/ja.po; the
 * program's domain is MTS_TEXTDOMAIN. Only cli/main.c calls setlocale()
 * and bindtextdomain(): the library looks strings up, never changes the
 * locale, and machine output (JSON, metrics, state) never goes through
 * these macros (docs/design.md "Languages"). */

#include <libintl.h>

#define MTS_TEXTDOMAIN "mtasts-check"

#define _(s) dgettext(MTS_TEXTDOMAIN, s)
#define N_(s) s
/*! Plural: \p one or \p many in English, the locale's form otherwise. */
#define P_(one, many, n) dngettext(MTS_TEXTDOMAIN, one, many, n)
/*! With a context: one English word that needs two translations ("Policy"
 *  of a domain is the MTA-STS policy, of a TLS-RPT report sts or tlsa).
 *  xgettext keyword C_:1c,2; the catalogue key is "ctx\004s". */
#define C_(ctx, s) mts_pgettext(ctx "\004" s, s)

static inline const char *
mts_pgettext(const char *key, const char *s)
{
  const char *t = dgettext(MTS_TEXTDOMAIN, key);
  return t == key ? s : t;
}

#endif
