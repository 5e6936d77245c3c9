/* Library versions at run time, for --version (bug reports). */
#include "mtasts/net.h"

#include <sys/select.h>

#include <ares.h>
#include <curl/curl.h>
#include <stdio.h>

void
mts_net_libversions(char *buf, size_t size)
{
  const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

  snprintf(buf, size, "c-ares %s, libcurl %s (%s)", ares_version(NULL),
           cv->version, cv->ssl_version ? cv->ssl_version : "no TLS");
}
