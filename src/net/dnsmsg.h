#ifndef MTS_DNSMSG_H
#define MTS_DNSMSG_H

/* A small, bounds-checked reader for DNS messages (RFC 1035 §4.1): the
 * header bits, the answer section's owners, types and TTLs, and CNAME
 * chains. c-ares 1.18's parse helpers drop the TTL and the chain; this
 * reader gives them back. Pure: no I/O, no allocation, no globals. */

#include <stddef.h>
#include <stdint.h>

#include "mtasts/net.h"
#include "mtasts/err.h"

/*! A parsed message header and where its sections start. */
struct mts_dnsmsg {
  const uint8_t *buf;
  size_t len;
  uint16_t id;
  int rcode; /*!< 4-bit RCODE (no EDNS extension) */
  int qr, aa, tc, rd, ra, ad;
  uint16_t qdcount, ancount, nscount, arcount;
  char qname[MTS_DNS_NAME_MAX + 2]; /*!< first question, lowercase */
  uint16_t qtype, qclass;
  size_t an_off;    /*!< offset of the first answer RR */
  unsigned n_cname; /*!< CNAME RRs in the answer section */
};

/*! One resource record of the answer section. */
struct mts_dnsmsg_rr {
  char owner[MTS_DNS_NAME_MAX + 2]; /*!< lowercase, no trailing dot */
  uint16_t type, rclass;
  uint32_t ttl;
  size_t rdoff, rdlen; /*!< RDATA position in the message */
};

/*! Parse the header and the question and check that every answer RR is
 *  well-formed (names, lengths, within the message).
 *  \return MTS_OK, or MTS_EINVAL for a malformed message. */
enum mts_err mts_dnsmsg_parse(struct mts_dnsmsg *msg, const uint8_t *buf,
                              size_t len);

/*! Read the answer RR at \p *off and advance \p *off past it.
 *  \return MTS_OK, or MTS_EINVAL when malformed or past the end. */
enum mts_err mts_dnsmsg_next_rr(const struct mts_dnsmsg *msg, size_t *off,
                                struct mts_dnsmsg_rr *rr);

/*! Expand the (possibly compressed) name at \p off into lowercase
 *  presentation form without the final dot ("" for the root). Pointer loops
 *  and names over 255 octets are rejected. Labels holding '.', '\\' or
 *  bytes outside 0x21-0x7E are written with \\DDD escapes.
 *  \param[out] end offset just past the name at \p off (may be NULL)
 *  \return MTS_OK, MTS_EINVAL (malformed), MTS_ERANGE (\p size too small) */
enum mts_err mts_dnsmsg_name(const uint8_t *buf, size_t len, size_t off,
                             char *out, size_t size, size_t *end);

/*! Where a CNAME chain in the answer section leads (rfc-rules R14). */
struct mts_dnsmsg_chain {
  char final[MTS_DNS_NAME_MAX + 2]; /*!< the last name of the chain */
  char cnames[MTS_DNS_MAX_CNAMES][MTS_DNS_NAME_MAX + 2]; /*!< targets */
  size_t n_cnames;
  int loop;       /*!< a loop, or longer than MTS_DNS_MAX_CNAMES */
  size_t n_rr;    /*!< RRs of the asked type owned by \p final */
  long ttl;       /*!< smallest TTL of those RRs, -1 if none */
  long cname_ttl; /*!< smallest TTL of the CNAMEs followed, -1 if none */
};

/*! Follow the CNAMEs from \p qname through the answer section and count
 *  the RRs of \p qtype at the end of the chain. Names compare
 *  case-insensitively.
 *  \return MTS_OK or MTS_EINVAL (malformed message). */
enum mts_err mts_dnsmsg_chase(const struct mts_dnsmsg *msg, const char *qname,
                              uint16_t qtype, struct mts_dnsmsg_chain *chain);

#endif
