/* Unit tests for the program's hashes (include/mtasts/hash.h). */
#include "mtasts/hash.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* SipHash-2-4 with the key 00 01 ... 0f over the messages 00 01 ... (n-1)
 * for n = 0..63: the reference vectors of the SipHash paper (appendix A)
 * and its reference implementation (vectors.h), read as little-endian
 * 64-bit values. */
static const uint64_t sip_vectors[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
    0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
    0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
    0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
    0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
    0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
    0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
    0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
    0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
    0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
    0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
    0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
    0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
    0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
    0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
    0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
    0x958a324ceb064572ULL,
};

START_TEST(siphash_reference_vectors)
{
  struct mts_hash_key k;
  unsigned char key[16], msg[64];

  for (unsigned i = 0; i < 16; i++) {
    key[i] = (unsigned char)i;
  }
  k.k0 = k.k1 = 0;
  for (unsigned i = 0; i < 8; i++) {
    k.k0 |= (uint64_t)key[i] << (8 * i);
    k.k1 |= (uint64_t)key[i + 8] << (8 * i);
  }
  for (unsigned i = 0; i < 64; i++) {
    msg[i] = (unsigned char)i;
  }
  for (size_t n = 0; n < 64; n++) {
    ck_assert_msg(mts_siphash(&k, msg, n) == sip_vectors[n], "length %zu", n);
  }
}
END_TEST

/* Fed in pieces, the hash is the same as in one go. */
START_TEST(siphash_pieces)
{
  struct mts_hash_key k = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  unsigned char msg[64];

  for (unsigned i = 0; i < 64; i++) {
    msg[i] = (unsigned char)i;
  }
  for (size_t n = 0; n < 64; n++) {
    for (size_t cut = 0; cut <= n; cut++) {
      struct mts_siphash s;
      mts_siphash_init(&s, &k);
      mts_siphash_update(&s, msg, cut);
      mts_siphash_update(&s, msg + cut, n - cut);
      ck_assert_msg(mts_siphash_final(&s) == sip_vectors[n], "%zu at %zu", n,
                    cut);
    }
  }
}
END_TEST

/* Two keys drawn for two runs differ (2^-128 chance that they do not), and
 * the key changes the hash. */
START_TEST(random_keys)
{
  struct mts_hash_key a, b;

  mts_hash_key_new(&a);
  mts_hash_key_new(&b);
  ck_assert(a.k0 != b.k0 || a.k1 != b.k1);
  ck_assert(mts_siphash(&a, "mx.example.com", 14) !=
            mts_siphash(&b, "mx.example.com", 14));
}
END_TEST

/* FNV-1a 64 stays what --shard and --state were built on. */
START_TEST(fnv_unchanged)
{
  ck_assert(mts_fnv1a64(MTS_FNV64_INIT, "", 0) == 0xcbf29ce484222325ULL);
  ck_assert(mts_fnv1a64(MTS_FNV64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
  ck_assert(mts_fnv1a64(MTS_FNV64_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("hash");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_add_test(tc, siphash_reference_vectors);
  tcase_add_test(tc, siphash_pieces);
  tcase_add_test(tc, random_keys);
  tcase_add_test(tc, fnv_unchanged);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
