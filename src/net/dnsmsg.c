#include "dnsmsg.h"

#include <stdio.h>
#include <string.h>

/* RFC 1035 §4.1.1: the header is 12 octets. */
#define HDR_LEN 12
/* RFC 1035 §2.3.4: a name is at most 255 octets on the wire. */
#define WIRE_NAME_MAX 255

static uint16_t
get16(const uint8_t *p)
{
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

static int
lower(int c)
{
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

enum mts_err
mts_dnsmsg_name(const uint8_t *buf, size_t len, size_t off, char *out,
                size_t size, size_t *end)
{
  size_t pos = off, o = 0, wire = 0, jumps = 0;
  size_t after = 0; /* where the name ends in the original position */
  int jumped = 0;

  if (size == 0) {
    return MTS_ERANGE;
  }
  for (;;) {
    unsigned l;

    if (pos >= len) {
      return MTS_EINVAL;
    }
    l = buf[pos];
    if ((l & 0xc0) == 0xc0) {
      /* RFC 1035 §4.1.4: a pointer. Each jump must go strictly backwards,
       * which rules out loops; the jump count bounds the work anyway. */
      size_t target;
      if (pos + 1 >= len) {
        return MTS_EINVAL;
      }
      target = (size_t)(get16(buf + pos) & 0x3fff);
      if (target >= pos || ++jumps > 127) {
        return MTS_EINVAL;
      }
      if (!jumped) {
        after = pos + 2;
        jumped = 1;
      }
      pos = target;
      continue;
    }
    if ((l & 0xc0) != 0) {
      return MTS_EINVAL; /* RFC 6891 §5: extended label types are gone */
    }
    pos++;
    wire += l + 1;
    if (wire > WIRE_NAME_MAX) {
      return MTS_EINVAL;
    }
    if (l == 0) {
      break;
    }
    if (pos + l > len) {
      return MTS_EINVAL;
    }
    if (o > 0) {
      if (o + 1 >= size) {
        return MTS_ERANGE;
      }
      out[o++] = '.';
    }
    for (unsigned i = 0; i < l; i++) {
      int c = buf[pos + i];
      if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
        if (o + 1 >= size) {
          return MTS_ERANGE;
        }
        out[o++] = (char)lower(c);
      } else {
        /* RFC 4343 §2.1: \DDD for octets that cannot stand as they are. */
        if (o + 4 >= size) {
          return MTS_ERANGE;
        }
        snprintf(out + o, 5, "\\%03d", c);
        o += 4;
      }
    }
    pos += l;
  }
  out[o] = '\0';
  if (end != NULL) {
    *end = jumped ? after : pos;
  }
  return MTS_OK;
}

/* Skip a name without expanding it; checks it like mts_dnsmsg_name. */
static enum mts_err
skip_name(const uint8_t *buf, size_t len, size_t off, size_t *end)
{
  char tmp[4 * WIRE_NAME_MAX + 1];
  return mts_dnsmsg_name(buf, len, off, tmp, sizeof(tmp), end);
}

enum mts_err
mts_dnsmsg_next_rr(const struct mts_dnsmsg *msg, size_t *off,
                   struct mts_dnsmsg_rr *rr)
{
  size_t pos;
  char owner[4 * WIRE_NAME_MAX + 1];
  enum mts_err err;

  err = mts_dnsmsg_name(msg->buf, msg->len, *off, owner, sizeof(owner), &pos);
  if (err != MTS_OK) {
    return MTS_EINVAL;
  }
  /* TYPE, CLASS, TTL, RDLENGTH: 10 octets (RFC 1035 §4.1.3). */
  if (msg->len - pos < 10) {
    return MTS_EINVAL;
  }
  if (strlen(owner) >= sizeof(rr->owner)) {
    return MTS_EINVAL; /* escaped form too long to be a usable name */
  }
  memcpy(rr->owner, owner, strlen(owner) + 1);
  rr->type = get16(msg->buf + pos);
  rr->rclass = get16(msg->buf + pos + 2);
  rr->ttl = get32(msg->buf + pos + 4);
  /* RFC 2181 §8: a TTL with the top bit set is treated as zero. */
  if (rr->ttl > 0x7fffffffu) {
    rr->ttl = 0;
  }
  rr->rdlen = get16(msg->buf + pos + 8);
  rr->rdoff = pos + 10;
  if (msg->len - rr->rdoff < rr->rdlen) {
    return MTS_EINVAL;
  }
  *off = rr->rdoff + rr->rdlen;
  return MTS_OK;
}

enum mts_err
mts_dnsmsg_parse(struct mts_dnsmsg *msg, const uint8_t *buf, size_t len)
{
  struct mts_dnsmsg m;
  size_t pos;
  enum mts_err err;

  memset(&m, 0, sizeof(m));
  if (buf == NULL || len < HDR_LEN) {
    return MTS_EINVAL;
  }
  m.buf = buf;
  m.len = len;
  m.id = get16(buf);
  m.qr = (buf[2] >> 7) & 1;
  m.aa = (buf[2] >> 2) & 1;
  m.tc = (buf[2] >> 1) & 1;
  m.rd = buf[2] & 1;
  m.ra = (buf[3] >> 7) & 1;
  m.ad = (buf[3] >> 5) & 1;
  m.rcode = buf[3] & 0x0f;
  m.qdcount = get16(buf + 4);
  m.ancount = get16(buf + 6);
  m.nscount = get16(buf + 8);
  m.arcount = get16(buf + 10);

  pos = HDR_LEN;
  if (m.qdcount != 1) {
    return MTS_EINVAL; /* every query we send has exactly one question */
  }
  err = mts_dnsmsg_name(buf, len, pos, m.qname, sizeof(m.qname), &pos);
  if (err != MTS_OK || len - pos < 4) {
    return MTS_EINVAL;
  }
  m.qtype = get16(buf + pos);
  m.qclass = get16(buf + pos + 2);
  pos += 4;
  m.an_off = pos;

  /* Check the whole answer section now, so that later walks cannot fail
   * half-way through. */
  for (unsigned i = 0; i < m.ancount; i++) {
    struct mts_dnsmsg_rr rr;
    if (mts_dnsmsg_next_rr(&m, &pos, &rr) != MTS_OK) {
      return MTS_EINVAL;
    }
    if (rr.type == MTS_RR_CNAME) {
      size_t end;
      m.n_cname++;
      if (skip_name(buf, rr.rdoff + rr.rdlen, rr.rdoff, &end) != MTS_OK ||
          end != rr.rdoff + rr.rdlen) {
        return MTS_EINVAL;
      }
    }
  }
  *msg = m;
  return MTS_OK;
}

enum mts_err
mts_dnsmsg_chase(const struct mts_dnsmsg *msg, const char *qname,
                 uint16_t qtype, struct mts_dnsmsg_chain *chain)
{
  struct mts_dnsmsg_chain c;
  char first[MTS_DNS_NAME_MAX + 2];

  memset(&c, 0, sizeof(c));
  c.ttl = -1;
  c.cname_ttl = -1;
  if (strlen(qname) >= sizeof(c.final)) {
    return MTS_EINVAL;
  }
  for (size_t i = 0; qname[i] != '\0'; i++) {
    c.final[i] = (char)lower((unsigned char)qname[i]);
  }
  memcpy(first, c.final, sizeof(first));

  /* RFC 1034 §3.6.2 / RFC 6604: follow CNAMEs from the question name. Each
   * pass looks for a CNAME owned by the current name; at most
   * MTS_DNS_MAX_CNAMES hops, and a name seen twice is a loop. */
  for (;;) {
    size_t pos = msg->an_off;
    int found = 0;

    if (qtype == MTS_RR_CNAME || msg->n_cname == 0) {
      break; /* no CNAME to follow: skip a walk over every owner name */
    }
    for (unsigned i = 0; i < msg->ancount; i++) {
      struct mts_dnsmsg_rr rr;
      char target[MTS_DNS_NAME_MAX + 2];

      if (mts_dnsmsg_next_rr(msg, &pos, &rr) != MTS_OK) {
        return MTS_EINVAL;
      }
      if (rr.type != MTS_RR_CNAME || rr.rclass != 1 ||
          strcmp(rr.owner, c.final) != 0) {
        continue;
      }
      if (mts_dnsmsg_name(msg->buf, msg->len, rr.rdoff, target, sizeof(target),
                          NULL) != MTS_OK) {
        return MTS_EINVAL;
      }
      if (c.n_cnames == MTS_DNS_MAX_CNAMES) {
        c.loop = 1;
        goto done;
      }
      for (size_t k = 0; k < c.n_cnames; k++) {
        if (strcmp(c.cnames[k], target) == 0) {
          c.loop = 1;
        }
      }
      if (strcmp(target, first) == 0 || c.loop) {
        c.loop = 1;
        goto done;
      }
      memcpy(c.cnames[c.n_cnames++], target, strlen(target) + 1);
      /* A cache forgets the chain when its shortest-lived link expires. */
      if (c.cname_ttl < 0 || (long)rr.ttl < c.cname_ttl) {
        c.cname_ttl = (long)rr.ttl;
      }
      memcpy(c.final, target, strlen(target) + 1);
      found = 1;
      break;
    }
    if (!found) {
      break;
    }
  }

  {
    size_t pos = msg->an_off;
    for (unsigned i = 0; i < msg->ancount; i++) {
      struct mts_dnsmsg_rr rr;
      if (mts_dnsmsg_next_rr(msg, &pos, &rr) != MTS_OK) {
        return MTS_EINVAL;
      }
      if (rr.type == qtype && rr.rclass == 1 &&
          strcmp(rr.owner, c.final) == 0) {
        c.n_rr++;
        if (c.ttl < 0 || (long)rr.ttl < c.ttl) {
          c.ttl = (long)rr.ttl;
        }
      }
    }
  }
done:
  *chain = c;
  return MTS_OK;
}
