#ifndef MTS_DOMAIN_H
#define MTS_DOMAIN_H

/* Input domain normalisation (rfc-rules R9). */

#include <stddef.h>

#include "mtasts/err.h"

/*! Normalise a domain as typed by a user: strip one trailing dot,
 *  lowercase, convert U-labels to A-labels (IDNA2008, libidn2), and check
 *  the result: no empty name or label, labels of letters, digits and
 *  hyphens (no leading or trailing hyphen), at most 63 octets a label and
 *  253 in all, not an address literal.
 *  \param[out] alabel the A-label form, at least 254 bytes
 *  \param[out] unicode the Unicode form when the name is an IDN, else NULL
 *              (heap; free() it)
 *  \param[out] why on MTS_EINVAL, a static phrase saying what is wrong
 *  \return MTS_OK, MTS_EINVAL (not a valid domain) or MTS_ENOMEM. */
enum mts_err mts_domain_normalize(const char *input, char *alabel, size_t size,
                                  char **unicode, const char **why);

/*! \return 1 if \p name (A-label form) reads as an IPv4 or IPv6 address. */
int mts_domain_is_ip_literal(const char *name);

#endif
