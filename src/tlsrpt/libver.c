/* Library versions at run time, for --version (bug reports). */
#include "mtasts/tlsrpt.h"

#include <cjson/cJSON.h>
#include <gmime/gmime.h>
#include <idn2.h>
#include <stdio.h>
#include <zlib.h>

void
mts_tlsrpt_libversions(char *buf, size_t size)
{
  const char *idn = idn2_check_version(NULL);

  snprintf(buf, size, "cJSON %s, GMime %u.%u.%u, zlib %s, libidn2 %s",
           cJSON_Version(), gmime_major_version, gmime_minor_version,
           gmime_micro_version, zlibVersion(), idn ? idn : "?");
}
