/* Unit tests for the raw DNS message reader (src/dnsmsg.c). Messages are
 * built byte by byte so that every malformation can be expressed. */
#include "net/dnsmsg.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pkt {
  uint8_t b[1024];
  size_t n;
};

static void
put8(struct pkt *p, unsigned v)
{
  ck_assert_uint_lt(p->n, sizeof(p->b));
  p->b[p->n++] = (uint8_t)v;
}

static void
put16(struct pkt *p, unsigned v)
{
  put8(p, (v >> 8) & 0xff);
  put8(p, v & 0xff);
}

static void
put32(struct pkt *p, uint32_t v)
{
  put16(p, v >> 16);
  put16(p, v & 0xffff);
}

/* A name in wire form from "a.b.c" (no compression). */
static void
putname(struct pkt *p, const char *name)
{
  while (*name) {
    const char *dot = strchr(name, '.');
    size_t l = dot ? (size_t)(dot - name) : strlen(name);
    put8(p, (unsigned)l);
    for (size_t i = 0; i < l; i++) {
      put8(p, (unsigned char)name[i]);
    }
    name += l + (dot ? 1 : 0);
  }
  put8(p, 0);
}

static void
header(struct pkt *p, unsigned flags2, unsigned rcode, unsigned an)
{
  p->n = 0;
  put16(p, 0x1234);
  put8(p, 0x81 | flags2); /* QR, RD, plus AA/TC as given */
  put8(p, 0x80 | rcode);  /* RA */
  put16(p, 1);
  put16(p, an);
  put16(p, 0);
  put16(p, 0);
}

static void
question(struct pkt *p, const char *name, unsigned type)
{
  putname(p, name);
  put16(p, type);
  put16(p, 1);
}

/* An RR whose owner is a pointer to offset 12 (the question name). */
static void
rr_ptr_owner(struct pkt *p, unsigned type, uint32_t ttl, const uint8_t *rd,
             size_t rdlen)
{
  put16(p, 0xc00c);
  put16(p, type);
  put16(p, 1);
  put32(p, ttl);
  put16(p, (unsigned)rdlen);
  for (size_t i = 0; i < rdlen; i++) {
    put8(p, rd[i]);
  }
}

static void
rr_named(struct pkt *p, const char *owner, unsigned type, uint32_t ttl,
         const char *cname_target)
{
  size_t lenpos;
  putname(p, owner);
  put16(p, type);
  put16(p, 1);
  put32(p, ttl);
  lenpos = p->n;
  put16(p, 0);
  if (cname_target != NULL) {
    size_t start = p->n;
    putname(p, cname_target);
    p->b[lenpos] = (uint8_t)((p->n - start) >> 8);
    p->b[lenpos + 1] = (uint8_t)((p->n - start) & 0xff);
  } else {
    static const uint8_t txt[] = {3, 'a', 'b', 'c'};
    p->b[lenpos + 1] = sizeof(txt);
    for (size_t i = 0; i < sizeof(txt); i++) {
      put8(p, txt[i]);
    }
  }
}

START_TEST(header_and_question)
{
  struct pkt p;
  struct mts_dnsmsg m;
  static const uint8_t txt[] = {5, 'h', 'e', 'l', 'l', 'o'};

  header(&p, 0x04, 0, 1);
  question(&p, "_MTA-STS.Example.COM", 16);
  rr_ptr_owner(&p, 16, 300, txt, sizeof(txt));
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_uint_eq(m.id, 0x1234);
  ck_assert_int_eq(m.qr, 1);
  ck_assert_int_eq(m.aa, 1);
  ck_assert_int_eq(m.tc, 0);
  ck_assert_int_eq(m.rcode, 0);
  ck_assert_str_eq(m.qname, "_mta-sts.example.com");
  ck_assert_uint_eq(m.qtype, 16);
  ck_assert_uint_eq(m.ancount, 1);
}
END_TEST

START_TEST(ttl_of_rrset_is_the_minimum)
{
  struct pkt p;
  struct mts_dnsmsg m;
  struct mts_dnsmsg_chain c;
  static const uint8_t txt[] = {1, 'x'};

  header(&p, 0, 0, 3);
  question(&p, "a.test", 16);
  rr_ptr_owner(&p, 16, 600, txt, sizeof(txt));
  rr_ptr_owner(&p, 16, 300, txt, sizeof(txt));
  rr_ptr_owner(&p, 1, 5, (const uint8_t *)"\x7f\0\0\1", 4); /* other type */
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_int_eq(mts_dnsmsg_chase(&m, "A.test", 16, &c), MTS_OK);
  ck_assert_uint_eq(c.n_rr, 2);
  ck_assert_int_eq(c.ttl, 300);
  ck_assert_uint_eq(c.n_cnames, 0);
  ck_assert_str_eq(c.final, "a.test");
}
END_TEST

START_TEST(ttl_top_bit_reads_as_zero)
{
  struct pkt p;
  struct mts_dnsmsg m;
  struct mts_dnsmsg_chain c;
  static const uint8_t txt[] = {1, 'x'};

  header(&p, 0, 0, 1);
  question(&p, "a.test", 16);
  rr_ptr_owner(&p, 16, 0x80000000u, txt, sizeof(txt));
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_int_eq(mts_dnsmsg_chase(&m, "a.test", 16, &c), MTS_OK);
  ck_assert_int_eq(c.ttl, 0);
}
END_TEST

START_TEST(cname_chain_is_followed)
{
  struct pkt p;
  struct mts_dnsmsg m;
  struct mts_dnsmsg_chain c;

  header(&p, 0, 0, 3);
  question(&p, "_mta-sts.a.test", 16);
  rr_named(&p, "_mta-sts.a.test", 5, 60, "Policy.B.test");
  rr_named(&p, "policy.b.test", 5, 60, "final.c.test");
  rr_named(&p, "final.c.test", 16, 120, NULL);
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_int_eq(mts_dnsmsg_chase(&m, "_mta-sts.a.test", 16, &c), MTS_OK);
  ck_assert_uint_eq(c.n_cnames, 2);
  ck_assert_str_eq(c.cnames[0], "policy.b.test");
  ck_assert_str_eq(c.cnames[1], "final.c.test");
  ck_assert_str_eq(c.final, "final.c.test");
  ck_assert_uint_eq(c.n_rr, 1);
  ck_assert_int_eq(c.ttl, 120);
  ck_assert_int_eq(c.cname_ttl, 60);
  ck_assert_int_eq(c.loop, 0);
}
END_TEST

START_TEST(cname_without_target_data)
{
  struct pkt p;
  struct mts_dnsmsg m;
  struct mts_dnsmsg_chain c;

  /* What an authoritative server says for a target outside its zones. */
  header(&p, 0x04, 0, 1);
  question(&p, "_mta-sts.a.test", 16);
  rr_named(&p, "_mta-sts.a.test", 5, 60, "elsewhere.example");
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_int_eq(mts_dnsmsg_chase(&m, "_mta-sts.a.test", 16, &c), MTS_OK);
  ck_assert_uint_eq(c.n_cnames, 1);
  ck_assert_str_eq(c.final, "elsewhere.example");
  ck_assert_uint_eq(c.n_rr, 0);
  ck_assert_int_eq(c.ttl, -1);
}
END_TEST

START_TEST(cname_loop_is_detected)
{
  struct pkt p;
  struct mts_dnsmsg m;
  struct mts_dnsmsg_chain c;

  header(&p, 0, 0, 2);
  question(&p, "a.test", 16);
  rr_named(&p, "a.test", 5, 60, "b.test");
  rr_named(&p, "b.test", 5, 60, "a.test");
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_int_eq(mts_dnsmsg_chase(&m, "a.test", 16, &c), MTS_OK);
  ck_assert_int_eq(c.loop, 1);
}
END_TEST

START_TEST(cname_chain_too_long)
{
  struct pkt p;
  struct mts_dnsmsg m;
  struct mts_dnsmsg_chain c;
  char owner[16], target[16];

  header(&p, 0, 0, MTS_DNS_MAX_CNAMES + 1);
  question(&p, "n0.test", 16);
  for (int i = 0; i <= MTS_DNS_MAX_CNAMES; i++) {
    snprintf(owner, sizeof(owner), "n%d.test", i);
    snprintf(target, sizeof(target), "n%d.test", i + 1);
    rr_named(&p, owner, 5, 60, target);
  }
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_int_eq(mts_dnsmsg_chase(&m, "n0.test", 16, &c), MTS_OK);
  ck_assert_int_eq(c.loop, 1);
}
END_TEST

START_TEST(flags_tc_rcode_ad)
{
  struct pkt p;
  struct mts_dnsmsg m;

  header(&p, 0x02, 3, 0);
  p.b[3] |= 0x20; /* AD */
  question(&p, "a.test", 15);
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  ck_assert_int_eq(m.tc, 1);
  ck_assert_int_eq(m.rcode, 3);
  ck_assert_int_eq(m.ad, 1);
}
END_TEST

START_TEST(malformed_messages)
{
  struct pkt p;
  struct mts_dnsmsg m;
  static const uint8_t txt[] = {1, 'x'};

  /* Shorter than a header. */
  ck_assert_int_eq(mts_dnsmsg_parse(&m, (const uint8_t *)"\0\1\2", 3),
                   MTS_EINVAL);
  ck_assert_int_eq(mts_dnsmsg_parse(&m, NULL, 0), MTS_EINVAL);

  /* Two questions. */
  header(&p, 0, 0, 0);
  p.b[5] = 2;
  question(&p, "a.test", 16);
  question(&p, "a.test", 16);
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_EINVAL);

  /* Answer count beyond the data. */
  header(&p, 0, 0, 2);
  question(&p, "a.test", 16);
  rr_ptr_owner(&p, 16, 1, txt, sizeof(txt));
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_EINVAL);

  /* RDLENGTH past the end. */
  header(&p, 0, 0, 1);
  question(&p, "a.test", 16);
  rr_ptr_owner(&p, 16, 1, txt, sizeof(txt));
  p.b[p.n - 3] = 0x40;
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_EINVAL);

  /* Question cut in the middle of the type. */
  header(&p, 0, 0, 0);
  question(&p, "a.test", 16);
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n - 3), MTS_EINVAL);

  /* CNAME whose RDATA is not exactly one name. */
  header(&p, 0, 0, 1);
  question(&p, "a.test", 16);
  rr_ptr_owner(&p, 5, 1, txt, sizeof(txt));
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_EINVAL);
}
END_TEST

START_TEST(name_pointer_loops_and_forward_pointers)
{
  uint8_t b[32];
  char out[300];

  memset(b, 0, sizeof(b));
  /* A pointer to itself. */
  b[12] = 0xc0;
  b[13] = 12;
  ck_assert_int_eq(mts_dnsmsg_name(b, 14, 12, out, sizeof(out), NULL),
                   MTS_EINVAL);
  /* A pointer forward. */
  b[13] = 20;
  ck_assert_int_eq(mts_dnsmsg_name(b, 32, 12, out, sizeof(out), NULL),
                   MTS_EINVAL);
  /* A pointer cut in half. */
  ck_assert_int_eq(mts_dnsmsg_name(b, 13, 12, out, sizeof(out), NULL),
                   MTS_EINVAL);
  /* Extended label type 0x40. */
  b[12] = 0x41;
  ck_assert_int_eq(mts_dnsmsg_name(b, 32, 12, out, sizeof(out), NULL),
                   MTS_EINVAL);
  /* Label running past the end. */
  b[12] = 30;
  ck_assert_int_eq(mts_dnsmsg_name(b, 32, 12, out, sizeof(out), NULL),
                   MTS_EINVAL);
}
END_TEST

START_TEST(name_escapes_and_limits)
{
  struct pkt p;
  char out[300];
  size_t end;

  p.n = 0;
  put8(&p, 4);
  put8(&p, 'a');
  put8(&p, '.');
  put8(&p, 0);
  put8(&p, 'Z');
  put8(&p, 0);
  ck_assert_int_eq(mts_dnsmsg_name(p.b, p.n, 0, out, sizeof(out), &end),
                   MTS_OK);
  ck_assert_str_eq(out, "a\\046\\000z");
  ck_assert_uint_eq(end, p.n);

  /* The root. */
  ck_assert_int_eq(
      mts_dnsmsg_name((const uint8_t *)"", 1, 0, out, sizeof(out), &end),
      MTS_OK);
  ck_assert_str_eq(out, "");

  /* Output buffer too small. */
  ck_assert_int_eq(mts_dnsmsg_name(p.b, p.n, 0, out, 4, NULL), MTS_ERANGE);

  /* Over 255 octets on the wire. */
  p.n = 0;
  for (int i = 0; i < 5; i++) {
    put8(&p, 63);
    for (int k = 0; k < 63; k++) {
      put8(&p, 'a');
    }
  }
  put8(&p, 0);
  ck_assert_int_eq(mts_dnsmsg_name(p.b, p.n, 0, out, sizeof(out), NULL),
                   MTS_EINVAL);
}
END_TEST

START_TEST(compressed_owner_names)
{
  struct pkt p;
  struct mts_dnsmsg m;
  struct mts_dnsmsg_rr rr;
  size_t off;
  static const uint8_t txt[] = {1, 'x'};

  header(&p, 0, 0, 1);
  question(&p, "_smtp._tls.example.org", 16);
  rr_ptr_owner(&p, 16, 42, txt, sizeof(txt));
  ck_assert_int_eq(mts_dnsmsg_parse(&m, p.b, p.n), MTS_OK);
  off = m.an_off;
  ck_assert_int_eq(mts_dnsmsg_next_rr(&m, &off, &rr), MTS_OK);
  ck_assert_str_eq(rr.owner, "_smtp._tls.example.org");
  ck_assert_uint_eq(rr.ttl, 42);
  ck_assert_uint_eq(rr.rdlen, 2);
  ck_assert_uint_eq(off, p.n);
  /* Past the end. */
  ck_assert_int_eq(mts_dnsmsg_next_rr(&m, &off, &rr), MTS_EINVAL);
}
END_TEST

static Suite *
dnsmsg_suite(void)
{
  Suite *s = suite_create("dnsmsg");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, header_and_question);
  tcase_add_test(tc, ttl_of_rrset_is_the_minimum);
  tcase_add_test(tc, ttl_top_bit_reads_as_zero);
  tcase_add_test(tc, cname_chain_is_followed);
  tcase_add_test(tc, cname_without_target_data);
  tcase_add_test(tc, cname_loop_is_detected);
  tcase_add_test(tc, cname_chain_too_long);
  tcase_add_test(tc, flags_tc_rcode_ad);
  tcase_add_test(tc, malformed_messages);
  tcase_add_test(tc, name_pointer_loops_and_forward_pointers);
  tcase_add_test(tc, name_escapes_and_limits);
  tcase_add_test(tc, compressed_owner_names);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(dnsmsg_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
