#ifndef MTS_OPTTAB_H
#define MTS_OPTTAB_H

/* One option table feeds getopt_long, --help and the documentation tests
 * (curl's tool_listhelp.c idea); shared by the main command (cli.c) and
 * the report sub-command (rptcmd.c). */

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct mts_optdef {
  const char *name; /*!< long name */
  int has_arg;      /*!< no_argument or required_argument */
  int val;          /*!< short letter, or a value >= 256 for long only */
  const char *arg;  /*!< the argument's name in --help, or NULL */
  const char *help; /*!< one line */
  /*! The argument's only valid words (NULL-terminated), for the shell
   *  completions; NULL when the argument is free (a number, a FILE, ...).
   *  The parser accepts exactly these (a unit test checks). */
  const char *const *values;
};

/*! Fill \p longopts (room for \p n + 1) for getopt_long. */
void mts_opttab_longopts(const struct mts_optdef *defs, size_t n,
                         struct option *longopts);

/*! The words of --lang: auto (the environment's locale), C or en
 *  (English), ja (Japanese). NULL-terminated. */
extern const char *const mts_lang_words[];

/*! \return 1 if \p value is one of mts_lang_words, else 0. */
int mts_lang_valid(const char *value);

/*! The value of the last --lang in argv (before a "--"), or NULL: main
 *  applies it before anything is printed, so usage errors are in the
 *  language asked for too. */
const char *mts_lang_scan(int argc, char **argv);

/*! Write one --help line per option ("  -q, --quiet    text: ..."). */
void mts_opttab_help(FILE *out, const struct mts_optdef *defs, size_t n);

#endif
