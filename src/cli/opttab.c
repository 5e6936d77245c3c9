#include "opttab.h"

#include <string.h>

#include "mtasts/i18n.h"

const char *const mts_lang_words[] = {"auto", "C", "en", "ja", NULL};

int
mts_lang_valid(const char *value)
{
  for (size_t i = 0; mts_lang_words[i] != NULL; i++) {
    if (strcmp(value, mts_lang_words[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

const char *
mts_lang_scan(int argc, char **argv)
{
  const char *lang = NULL;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      break;
    }
    if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
      lang = argv[++i];
    } else if (strncmp(argv[i], "--lang=", 7) == 0) {
      lang = argv[i] + 7;
    }
  }
  return lang;
}

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
    fprintf(out, "  %-26s %s\n", left, _(d->help));
  }
}
