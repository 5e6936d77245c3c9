#include "mtasts/net.h"

#include <stdio.h>
#include <stdlib.h>

const char *
mts_rcode_str(int rcode, char *buf, size_t size)
{
  static const char *const names[] = {
      "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
  };

  if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0])) {
    return names[rcode];
  }
  snprintf(buf, size, "RCODE %d", rcode);
  return buf;
}

const char *
mts_dns_status_str(enum mts_dns_status st)
{
  switch (st) {
    case MTS_DNS_OK:
      return "answer";
    case MTS_DNS_NODATA:
      return "no data";
    case MTS_DNS_NXDOMAIN:
      return "NXDOMAIN";
    case MTS_DNS_SERVFAIL:
      return "server failure";
    case MTS_DNS_TIMEOUT:
      return "timeout";
    case MTS_DNS_TRUNCATED:
      return "truncated";
    case MTS_DNS_BADRESP:
      return "malformed response";
    case MTS_DNS_CNAME_LOOP:
      return "CNAME loop";
  }
  return "?";
}

int
mts_dns_status_failed(enum mts_dns_status st)
{
  switch (st) {
    case MTS_DNS_SERVFAIL:
    case MTS_DNS_TIMEOUT:
    case MTS_DNS_TRUNCATED:
    case MTS_DNS_BADRESP:
      return 1;
    case MTS_DNS_OK:
    case MTS_DNS_NODATA:
    case MTS_DNS_NXDOMAIN:
    case MTS_DNS_CNAME_LOOP:
      return 0;
  }
  return 1;
}

void
mts_dns_result_free(struct mts_dns_result **res)
{
  struct mts_dns_result *r;

  if (res == NULL || *res == NULL) {
    return;
  }
  r = *res;
  free(r->qname);
  for (size_t i = 0; i < r->n_cnames; i++) {
    free(r->cnames[i]);
  }
  free(r->cnames);
  for (size_t i = 0; i < r->n_txt; i++) {
    free(r->txt[i].data);
  }
  free(r->txt);
  for (size_t i = 0; i < r->n_mx; i++) {
    free(r->mx[i].host);
  }
  free(r->mx);
  for (size_t i = 0; i < r->n_addrs; i++) {
    free(r->addrs[i]);
  }
  free(r->addrs);
  for (size_t i = 0; i < r->n_rdata; i++) {
    free(r->rdata[i].data);
  }
  free(r->rdata);
  for (size_t i = 0; i < r->n_names; i++) {
    free(r->names[i]);
  }
  free(r->names);
  free(r->soa_zone);
  free(r->detail);
  free(r);
  *res = NULL;
}
