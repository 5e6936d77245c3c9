/* Library versions at run time, for --version (bug reports). */
#include "mtasts/net.h"

#include <sys/select.h>

#include <ares.h>
#include <openssl/crypto.h>
#include <stdio.h>

void
mts_net_libversions(char *buf, size_t size)
{
  snprintf(buf, size, "c-ares %s, %s", ares_version(NULL),
           OpenSSL_version(OPENSSL_VERSION));
}
