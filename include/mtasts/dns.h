#ifndef MTS_DNS_H
#define MTS_DNS_H

/* What one DNS lookup found, in the tool's own terms: no c-ares types. */

#include <stddef.h>

/*! RR types the tool asks for (RFC 1035 §3.2.2, RFC 3596). */
enum mts_rrtype {
  MTS_RR_A = 1,
  MTS_RR_CNAME = 5,
  MTS_RR_SOA = 6,
  MTS_RR_MX = 15,
  MTS_RR_TXT = 16,
  MTS_RR_AAAA = 28,
};

/*! How a lookup ended, after following CNAMEs (rfc-rules R23). */
enum mts_dns_status {
  MTS_DNS_OK = 0,     /*!< records of the asked type were found */
  MTS_DNS_NODATA,     /*!< NOERROR, the name exists, no such records */
  MTS_DNS_NXDOMAIN,   /*!< RCODE 3 for the last name of the chain */
  MTS_DNS_SERVFAIL,   /*!< SERVFAIL, REFUSED, NOTIMP, FORMERR, other RCODE */
  MTS_DNS_TIMEOUT,    /*!< no answer in time */
  MTS_DNS_TRUNCATED,  /*!< TC=1 over UDP and the TCP retry failed */
  MTS_DNS_BADRESP,    /*!< a malformed or unusable answer */
  MTS_DNS_CNAME_LOOP, /*!< CNAME loop, or a chain over MTS_DNS_MAX_CNAMES */
};

/*! Longest CNAME chain followed (rfc-rules R14). */
#define MTS_DNS_MAX_CNAMES 8
/*! Longest domain name in presentation form, without the final dot. */
#define MTS_DNS_NAME_MAX 253

/*! Owned bytes (a TXT record may hold any octet, NUL included). */
struct mts_buf {
  char *data; /*!< NUL-terminated for convenience, but see len */
  size_t len;
};

/*! One MX record. */
struct mts_mx {
  char
      *host; /*!< RDATA name, lowercase, no trailing dot; "" = root (null MX) */
  unsigned preference;
};

/*! One lookup's result; free with mts_dns_result_free. */
struct mts_dns_result {
  enum mts_dns_status status;
  int type;      /*!< enum mts_rrtype asked */
  char *qname;   /*!< the name asked, lowercase, no trailing dot */
  int rcode;     /*!< last RCODE seen, -1 if no answer arrived */
  char **cnames; /*!< CNAME targets followed, in order */
  size_t n_cnames;
  long ttl;            /*!< smallest TTL of the answer RRset, -1 if none */
  int ad;              /*!< the AD bit of the final answer */
  int tcp_fallback;    /*!< the UDP answer was truncated, TCP was used */
  struct mts_buf *txt; /*!< TXT: one entry per RR, strings joined (R15) */
  size_t n_txt;
  struct mts_mx *mx; /*!< MX records, in answer order */
  size_t n_mx;
  char **addrs; /*!< A/AAAA: the addresses as text, answer order */
  size_t n_addrs;
  char *detail; /*!< resolver's own words on a failure, or NULL */
};

/*! \return "NOERROR"-style names for RCODEs 0..10, else "RCODE n". */
const char *mts_rcode_str(int rcode, char *buf, size_t size);
/*! \return a short name for a status ("NXDOMAIN", "timeout", ...). */
const char *mts_dns_status_str(enum mts_dns_status st);
/*! \return 1 if \p st means the lookup failed (the answer is unknown). */
int mts_dns_status_failed(enum mts_dns_status st);

/*! Free \p *res and everything it owns; set \p *res to NULL. NULL-safe. */
void mts_dns_result_free(struct mts_dns_result **res);

#endif
