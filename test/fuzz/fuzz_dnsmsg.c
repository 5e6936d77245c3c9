/* libFuzzer target for the raw DNS message reader: any bytes as a
 * response, then every walk the resolver does over it. */
#include <stdint.h>
#include <string.h>

#include "net/dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct mts_dnsmsg msg;
  struct mts_dnsmsg_chain chain;
  struct mts_dnsmsg_rr rr;
  size_t off;
  char name[MTS_DNS_NAME_MAX + 2];

  if (mts_dnsmsg_parse(&msg, data, size) != MTS_OK) {
    /* Still read a name at every offset of a short input. */
    for (size_t i = 0; i < size && i < 64; i++) {
      (void)mts_dnsmsg_name(data, size, i, name, sizeof(name), &off);
    }
    return 0;
  }
  off = msg.an_off;
  for (unsigned i = 0; i < msg.ancount; i++) {
    if (mts_dnsmsg_next_rr(&msg, &off, &rr) != MTS_OK) {
      break;
    }
    if (rr.type == MTS_RR_CNAME || rr.type == MTS_RR_MX) {
      size_t at = rr.type == MTS_RR_MX ? rr.rdoff + 2 : rr.rdoff;
      (void)mts_dnsmsg_name(data, size, at, name, sizeof(name), NULL);
    }
  }
  (void)mts_dnsmsg_chase(&msg, msg.qname, msg.qtype, &chain);
  (void)mts_dnsmsg_chase(&msg, msg.qname, MTS_RR_TXT, &chain);
  (void)mts_dnsmsg_chase(&msg, "Example.COM", MTS_RR_MX, &chain);
  return 0;
}
