/* gen-completions bash|zsh FILE: write a shell completion for mtasts-check
 * from its option tables (src/cli/complete.h). Run by the build. */
#include <stdio.h>
#include <string.h>

#include "complete.h"

int
main(int argc, char **argv)
{
  enum mts_err err;
  FILE *out;

  if (argc != 3 ||
      (strcmp(argv[1], "bash") != 0 && strcmp(argv[1], "zsh") != 0)) {
    fputs("usage: gen-completions bash|zsh FILE\n", stderr);
    return 64;
  }
  out = fopen(argv[2], "w");
  if (out == NULL) {
    perror(argv[2]);
    return 1;
  }
  err = strcmp(argv[1], "bash") == 0 ? mts_complete_bash(out)
                                     : mts_complete_zsh(out);
  if (fclose(out) != 0 || err != MTS_OK) {
    fprintf(stderr, "gen-completions: cannot write %s\n", argv[2]);
    remove(argv[2]);
    return 1;
  }
  return 0;
}
