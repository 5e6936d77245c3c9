#include "opttab.h"

#include <string.h>

void
mts_opttab_longopts(const struct mts_optdef *defs, size_t n,
                    struct option *longopts)
{
  memset(longopts, 0, (n + 1) * sizeof(*longopts));
  for (size_t i = 0; i < n; i++) {
    longopts[i].name = defs[i].name;
    longopts[i].has_arg = defs[i].has_arg;
    longopts[i].val = defs[i].val;
  }
}

void
mts_opttab_names(const struct mts_optdef *defs, size_t n, const char **names)
{
  for (size_t i = 0; i < n; i++) {
    names[i] = defs[i].name;
  }
  names[n] = NULL;
}

void
mts_opttab_help(FILE *out, const struct mts_optdef *defs, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const struct mts_optdef *d = &defs[i];
    char left[64];

    if (d->val < 256) {
      snprintf(left, sizeof(left), "-%c, --%s%s%s", d->val, d->name,
               d->arg ? " " : "", d->arg ? d->arg : "");
    } else {
      snprintf(left, sizeof(left), "    --%s%s%s", d->name, d->arg ? " " : "",
               d->arg ? d->arg : "");
    }
    fprintf(out, "  %-26s %s\n", left, d->help);
  }
}
