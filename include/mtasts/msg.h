#ifndef MTS_MSG_H
#define MTS_MSG_H

/* Helpers shared by the validators (txt.c, policy.c) to write findings'
 * messages about untrusted bytes. Pure: no I/O, no globals. */

#include <stdarg.h>
#include <stddef.h>

/*! Bytes of a record or a policy line quoted in one message at most. */
#define MTS_SHOW_MAX 60

/*! Caller-owned room for one quoted span. */
struct mts_shown {
  char s[MTS_SHOW_MAX * 4 + 4];
};

/*! Quote \p n bytes at \p p for a message: printable ASCII as is; '"', '\\',
 *  tab, CR and LF as C escapes; other bytes as \\xHH; cut after
 *  MTS_SHOW_MAX bytes with "...". \return b->s. */
const char *mts_show(struct mts_shown *b, const char *p, size_t n);

/*! Name one byte for a message: "'-'", "a space", "a tab", "the non-ASCII
 *  byte 0xff"... \return \p buf. */
const char *mts_describe_byte(char *buf, size_t size, char ch);

/*! Make \p msg a sentence (contract.md "a sentence for a person"): capital
 *  first letter, full stop at the end when there is room (none after a
 *  Japanese full stop). */
void mts_sentence(char *msg, size_t size);

/*! A fragment of a finding's message (a reason, the name of a byte) in
 *  both languages: \p fmt (English, marked N_()) and its translation are
 *  formatted and kept side by side in \p buf between control bytes
 *  (0x0e English 0x1f translation 0x0f), which mts_findings_add and
 *  mts_vformat2 resolve, so that the English message (JSON) reads the
 *  English side and the localized text the other. Plain English when
 *  there is no translation or no room. Only for text that ends up in a
 *  finding's message. \return \p buf. */
const char *mts_frag(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*! \p msgid (a constant marked N_(), not a format) and its translation as
 *  a fragment (mts_frag): a reason or a word spliced into a finding's
 *  message. \return \p buf. */
const char *mts_frag_str(char *buf, size_t size, const char *msgid);

/*! \p en and its translation \p loc (NULL: none) as a fragment
 *  (mts_frag), for sentences formatted elsewhere (mts_vformat2).
 *  \return \p buf. */
const char *mts_frag_pair(char *buf, size_t size, const char *en,
                          const char *loc);

/*! mts_describe_byte as a fragment (mts_frag). */
const char *mts_describe_byte2(char *buf, size_t size, char ch);

/*! Resolve the fragments of \p s in place: the English side (\p loc 0)
 *  or the translation (1); text outside fragments is kept. */
void mts_frag_resolve(char *s, int loc);

/*! mts_sentence for a message and its translation: \p loc is left as the
 *  catalogue wrote it when it differs from \p en (a capital letter would
 *  be wrong before "id" in Japanese), else made a sentence too. */
void mts_sentence2(char *en, char *loc, size_t size);

/*! Format \p fmt (English, marked N_()) into \p en, and the catalogue's
 *  translation of it into \p loc (the same text when there is none); both
 *  hold \p size bytes. */
void mts_vformat2(char *en, char *loc, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/*! mts_vformat2 with a plural: \p en is \p one or \p many (English, marked
 *  P_()) as \p n is 1 or not, \p loc the catalogue's form for \p n
 *  (ngettext), so that a language with other plural forms has them. */
void mts_vformat2n(char *en, char *loc, size_t size, const char *one,
                   const char *many, unsigned long n, va_list ap)
    __attribute__((format(printf, 5, 0)));

#endif
