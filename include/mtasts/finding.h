#ifndef MTS_FINDING_H
#define MTS_FINDING_H

#include <stddef.h>

#include "mtasts/err.h"

/*! How bad a finding is (rfc-rules §0). Ordered: a larger value is worse. */
enum mts_severity {
  MTS_SEV_INFO = 0,
  MTS_SEV_WARNING,
  MTS_SEV_ERROR,
};

/*! Finding codes, generated from codes.def: MTS_F_STS_ID_INVALID, ... */
enum mts_code {
#define MTS_CODE(name, sev, rfc, fix) MTS_F_##name,
#include "mtasts/codes.def"
#undef MTS_CODE
  MTS_F__COUNT /* must be last */
};

/*! One problem or fact about a deployment. Strings are owned by the list. */
struct mts_finding {
  enum mts_code code;
  enum mts_severity severity;
  char *message; /*!< a sentence for a person (never NULL), in English:
                     JSON's "message", whatever the locale */
  char *text;    /*!< the same sentence in the locale's language (the
                     catalogue's translation), or NULL when it has none:
                     for the text writers only */
  char *subject; /*!< what it is about (record text, host), or NULL; it
                     may hold any byte (network data): escape it on output */
  size_t subject_len;
};

/*! A growable list of findings; zero-initialise, then mts_findings_release. */
struct mts_findings {
  struct mts_finding *v;
  size_t n;
  size_t cap;
};

/*! \return the code's name as in JSON ("STS_ID_INVALID"), or "?". */
const char *mts_code_name(enum mts_code code);
/*! \return the code's default severity. */
enum mts_severity mts_code_severity(enum mts_code code);
/*! \return the code's RFC reference, e.g. "RFC 8461 §3.1". */
const char *mts_code_rfc(enum mts_code code);
/*! \return a sentence telling the administrator how to fix it. */
const char *mts_code_fix(enum mts_code code);
/*! \return the fix text in the locale's language (the catalogue's
 *  translation of mts_code_fix), for the text writers. */
const char *mts_code_fix_text(enum mts_code code);
/*! \return "error", "warning" or "info". */
const char *mts_severity_str(enum mts_severity sev);

/*! Append a finding with the code's default severity.
 *  \param[in] subject copied; may be NULL
 *  \param[in] len length of \p subject (it may hold any byte, even NUL)
 *  \param[in] fmt printf format for the message, in English, marked N_()
 *  for xgettext: the English message is formatted with it, the localized
 *  text with its translation (the catalogue's may reorder the arguments
 *  with %1$s positions)
 *  \return MTS_OK or MTS_ENOMEM (the list is unchanged then). */
enum mts_err mts_findings_add(struct mts_findings *list, enum mts_code code,
                              const char *subject, size_t len, const char *fmt,
                              ...) __attribute__((format(printf, 5, 6)));

/*! As mts_findings_add, with an explicit severity. */
enum mts_err mts_findings_add_sev(struct mts_findings *list, enum mts_code code,
                                  enum mts_severity sev, const char *subject,
                                  size_t len, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*! Append a finding whose sentences are already written: \p message in
 *  English, \p text in the locale's language or NULL (both copied). */
enum mts_err mts_findings_add_text(struct mts_findings *list,
                                   enum mts_code code, enum mts_severity sev,
                                   const char *subject, size_t len,
                                   const char *message, const char *text);

/*! \return f->text when there is one, else f->message. */
const char *mts_finding_text(const struct mts_finding *f);

/*! \return 1 if \p list holds \p code, else 0. */
int mts_findings_has(const struct mts_findings *list, enum mts_code code);

/*! Drop the findings appended after the first \p n (an undo on error). */
void mts_findings_truncate(struct mts_findings *list, size_t n);

/*! Free every finding; the list is empty and reusable afterwards. */
void mts_findings_release(struct mts_findings *list);

#endif
