#include "mtasts/rules.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63

static int
is_ldh(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int
mts_domain_is_ip_literal(const char *name)
{
  unsigned char addr[16];
  size_t len = strlen(name);
  char tmp[64];

  if (len >= sizeof(tmp)) {
    return 0;
  }
  memcpy(tmp, name, len + 1);
  /* "[192.0.2.1]" is how RFC 5321 §4.1.3 writes an address literal. */
  if (len >= 2 && tmp[0] == '[' && tmp[len - 1] == ']') {
    return 1;
  }
  return inet_pton(AF_INET, tmp, addr) == 1 ||
         inet_pton(AF_INET6, tmp, addr) == 1;
}

/* Check an ASCII name label by label (RFC 1035 §2.3.1, RFC 5891 §4.2.3.1):
 * LDH only, no hyphen at either end, 1..63 octets, 253 in all. */
static const char *
check_ascii_name(const char *name)
{
  size_t len = strlen(name), start = 0;

  if (len == 0) {
    return "the name is empty";
  }
  if (len > NAME_MAX_LEN) {
    return "the name is longer than 253 characters";
  }
  while (start <= len) {
    const char *dot = strchr(name + start, '.');
    size_t end = dot ? (size_t)(dot - name) : len;
    size_t l = end - start;

    if (l == 0) {
      return "the name has an empty label";
    }
    if (l > LABEL_MAX_LEN) {
      return "a label is longer than 63 octets";
    }
    for (size_t i = start; i < end; i++) {
      if (!is_ldh((unsigned char)name[i])) {
        return "a label holds a character other than a letter, a digit or "
               "a hyphen";
      }
    }
    if (name[start] == '-' || name[end - 1] == '-') {
      return "a label starts or ends with a hyphen";
    }
    start = end + 1;
  }
  return NULL;
}

enum mts_err
mts_domain_normalize(const char *input, char *alabel, size_t size,
                     char **unicode, const char **why)
{
  char *work = NULL, *ascii = NULL, *uni = NULL;
  enum mts_err err = MTS_EINVAL;
  size_t len;
  int ascii_only = 1, rc;
  const char *problem = NULL;

  len = strlen(input);
  if (len > 4 * NAME_MAX_LEN) {
    problem = "the name is longer than 253 characters";
    goto done;
  }
  work = strdup(input);
  if (work == NULL) {
    err = MTS_ENOMEM;
    goto done;
  }
  /* One trailing dot: the absolute form of the same name. */
  if (len > 1 && work[len - 1] == '.') {
    work[--len] = '\0';
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)work[i];
    if (c >= 0x80) {
      ascii_only = 0;
    } else if (c >= 'A' && c <= 'Z') {
      work[i] = (char)(c + ('a' - 'A'));
    }
  }
  if (len == 0 || strcmp(work, ".") == 0) {
    problem = "the name is empty";
    goto done;
  }
  if (mts_domain_is_ip_literal(work)) {
    /* RFC 8461 §3.4: no policies for address literals. */
    problem = "an address literal is not a mail domain";
    goto done;
  }

  if (ascii_only) {
    ascii = strdup(work);
    if (ascii == NULL) {
      err = MTS_ENOMEM;
      goto done;
    }
  } else {
    /* IDNA2008 with the UTS #46 mapping that browsers and mail clients
     * apply to typed input (RFC 5895). */
    rc = idn2_to_ascii_8z(work, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc == IDN2_MALLOC) {
      err = MTS_ENOMEM;
      goto done;
    }
    if (rc != IDN2_OK) {
      problem = "the name is not a valid internationalised domain name";
      goto done;
    }
  }
  problem = check_ascii_name(ascii);
  if (problem != NULL) {
    goto done;
  }
  /* A-labels typed directly must decode, and an IDN gets its U-label form
   * for the report. */
  if (strstr(ascii, "xn--") != NULL) {
    rc = idn2_to_unicode_8z8z(ascii, &uni, 0);
    if (rc == IDN2_MALLOC) {
      err = MTS_ENOMEM;
      goto done;
    }
    if (rc != IDN2_OK) {
      problem = "a label starting with xn-- is not a valid A-label";
      goto done;
    }
    if (strcmp(uni, ascii) == 0) {
      free(uni);
      uni = NULL;
    }
  }
  if (strlen(ascii) >= size) {
    problem = "the name is longer than 253 characters";
    goto done;
  }
  memcpy(alabel, ascii, strlen(ascii) + 1);
  if (unicode != NULL) {
    *unicode = uni;
    uni = NULL;
  }
  err = MTS_OK;

done:
  if (err == MTS_EINVAL && why != NULL) {
    *why = problem ? problem : "the name is not valid";
  }
  free(work);
  idn2_free(ascii);
  idn2_free(uni);
  return err;
}
