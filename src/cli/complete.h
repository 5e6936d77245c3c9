#ifndef MTS_COMPLETE_H
#define MTS_COMPLETE_H

/* Shell completions for bash and zsh, written from the option tables of
 * cli.c and rptcmd.c (opttab.h), so that no second list of options exists:
 * the build runs tools/gen-completions.c, and test/completion_test.py
 * checks the result against --help. What each option's argument completes
 * to comes from the table: its values (--format, --color, ...), files when
 * the argument is a FILE, nothing otherwise. */

#include <stdio.h>

#include "mtasts/err.h"

/*! Write the bash completion (for bash-completion's loader: the file is
 *  named after the command). \return MTS_OK or MTS_EIO. */
enum mts_err mts_complete_bash(FILE *out);

/*! Write the zsh completion (#compdef, for a directory of $fpath, as
 *  _mtasts-check). \return MTS_OK or MTS_EIO. */
enum mts_err mts_complete_zsh(FILE *out);

#endif
