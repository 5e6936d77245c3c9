#include "complete.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "opttab.h"
#include "plancmd.h"
#include "rptcmd.h"

/* The commands: the main one (domains as arguments, nothing to complete)
 * and each sub-command of main.c (report: paths; plan: one domain). */
struct cmd {
  const char *name; /* the sub-command's word, or NULL for the main command */
  const struct mts_optdef *defs;
  size_t n;
  int files; /* the operands are files or directories */
};

static size_t
commands(struct cmd *c)
{
  c[0].name = NULL;
  c[0].defs = mts_cli_optdefs(&c[0].n);
  c[0].files = 0;
  c[1].name = "report";
  c[1].defs = mts_rptcmd_optdefs(&c[1].n);
  c[1].files = 1;
  c[2].name = "plan";
  c[2].defs = mts_plancmd_optdefs(&c[2].n);
  c[2].files = 0;
  return 3;
}

/* What the word after the option completes to. */
enum arg_kind { ARG_NONE, ARG_FREE, ARG_FILE, ARG_WORDS };

static enum arg_kind
arg_kind(const struct mts_optdef *d)
{
  if (d->has_arg == no_argument) {
    return ARG_NONE;
  }
  if (d->values != NULL) {
    return ARG_WORDS;
  }
  return d->arg != NULL && strcmp(d->arg, "FILE") == 0 ? ARG_FILE : ARG_FREE;
}

static void
bash_words(FILE *out, const char *const *w)
{
  for (size_t i = 0; w[i] != NULL; i++) {
    fprintf(out, "%s%s", i ? " " : "", w[i]);
  }
}

/* "-f | --file" */
static void
bash_pattern(FILE *out, const struct mts_optdef *d)
{
  if (d->val < 256) {
    fprintf(out, "-%c | ", d->val);
  }
  fprintf(out, "--%s", d->name);
}

static void
bash_command(FILE *out, const struct cmd *c)
{
  const char *in = "            ";

  fprintf(out, "%s%s)\n", "        ", c->name ? c->name : "*");
  fprintf(out, "%scase $prev in\n", in);
  for (size_t i = 0; i < c->n; i++) {
    const struct mts_optdef *d = &c->defs[i];
    enum arg_kind k = arg_kind(d);

    if (k == ARG_NONE) {
      continue;
    }
    fprintf(out, "%s    ", in);
    bash_pattern(out, d);
    fputs(")\n", out);
    if (k == ARG_WORDS) {
      fprintf(out, "%s        COMPREPLY=($(compgen -W '", in);
      bash_words(out, d->values);
      fputs("' -- \"$cur\"))\n", out);
    } else if (k == ARG_FILE) {
      fprintf(out, "%s        _filedir\n", in);
    }
    fprintf(out, "%s        return\n%s        ;;\n", in, in);
  }
  fprintf(out, "%sesac\n", in);
  fprintf(out, "%s$split && return\n", in);
  fprintf(out, "%sif [[ $cur == -* ]]; then\n", in);
  fprintf(out, "%s    COMPREPLY=($(compgen -W '", in);
  for (size_t i = 0; i < c->n; i++) {
    fprintf(out, "%s--%s", i ? " " : "", c->defs[i].name);
  }
  for (size_t i = 0; i < c->n; i++) {
    if (c->defs[i].val < 256) {
      fprintf(out, " -%c", c->defs[i].val);
    }
  }
  fputs("' -- \"$cur\"))\n", out);
  fprintf(out, "%s    return\n%sfi\n", in, in);
  if (c->files) {
    fprintf(out, "%s_filedir\n", in);
  }
  fprintf(out, "%s;;\n", in);
}

enum mts_err
mts_complete_bash(FILE *out)
{
  struct cmd cmds[4];
  size_t n = commands(cmds);

  fputs("# bash completion for mtasts-check                        "
        "-*- shell-script -*-\n"
        "# Written by gen-completions from the option tables of "
        "mtasts-check;\n"
        "# do not edit.\n"
        "\n"
        "_mtasts_check()\n"
        "{\n"
        "    local cur prev words cword split\n"
        "    _init_completion -s || return\n"
        "\n"
        "    local sub=\n",
        out);
  fputs("    if ((cword > 1)); then\n        case ${words[1]} in\n", out);
  for (size_t i = 1; i < n; i++) {
    fprintf(out, "            %s) sub=%s ;;\n", cmds[i].name, cmds[i].name);
  }
  fputs("        esac\n    fi\n\n    case $sub in\n", out);
  /* Sub-commands first: the main command's branch is the catch-all. */
  for (size_t i = 1; i <= n; i++) {
    bash_command(out, &cmds[i % n]);
  }
  fputs("    esac\n", out);
  /* The operands of the main command are domains (nothing to offer), but
   * the first word may be a sub-command. */
  fputs("    if [[ -z $sub ]] && ((cword == 1)) && [[ $cur != -* ]]; then\n"
        "        COMPREPLY=($(compgen -W '",
        out);
  for (size_t i = 1; i < n; i++) {
    fprintf(out, "%s%s", i > 1 ? " " : "", cmds[i].name);
  }
  fputs("' -- \"$cur\"))\n"
        "    fi\n"
        "} &&\n"
        "    complete -F _mtasts_check mtasts-check\n"
        "\n"
        "# ex: filetype=sh\n",
        out);
  return ferror(out) ? MTS_EIO : MTS_OK;
}

/* Inside a single-quoted zsh word: ' as '\'', and a backslash before each
 * character of \p special (the _arguments syntax). */
static void
zsh_put(FILE *out, const char *s, const char *special)
{
  for (; *s != '\0'; s++) {
    if (*s == '\'') {
      fputs("'\\''", out);
    } else {
      if (strchr(special, *s) != NULL) {
        fputc('\\', out);
      }
      fputc(*s, out);
    }
  }
}

/* One _arguments spec: '*'{-f+,--file=}'[help]:FILE:_files'. Every option
 * may be repeated ('*'): --resolver is, and repeating the others is
 * harmless (the last one wins). */
static void
zsh_option(FILE *out, const struct mts_optdef *d)
{
  enum arg_kind k = arg_kind(d);
  const char *sep = k == ARG_NONE ? "" : "=";

  fputs("    ", out);
  if (d->val < 256) {
    fprintf(out, "'*'{-%c%s,--%s%s}'", d->val, k == ARG_NONE ? "" : "+",
            d->name, sep);
  } else {
    fprintf(out, "'*--%s%s", d->name, sep);
  }
  fputc('[', out);
  zsh_put(out, d->help, "[]");
  fputc(']', out);
  if (k != ARG_NONE) {
    fputc(':', out);
    zsh_put(out, d->arg ? d->arg : "value", ":");
    fputc(':', out);
    if (k == ARG_WORDS) {
      fputc('(', out);
      for (size_t i = 0; d->values[i] != NULL; i++) {
        fprintf(out, "%s", i ? " " : "");
        zsh_put(out, d->values[i], ":() ");
      }
      fputc(')', out);
    } else if (k == ARG_FILE) {
      fputs("_files", out);
    } else {
      fputc(' ', out);
    }
  }
  fputs("' \\\n", out);
}

enum mts_err
mts_complete_zsh(FILE *out)
{
  struct cmd cmds[4];
  size_t n = commands(cmds);

  fputs("#compdef mtasts-check\n"
        "# zsh completion for mtasts-check.\n"
        "# Written by gen-completions from the option tables of "
        "mtasts-check;\n"
        "# do not edit.\n"
        "\n",
        out);
  for (size_t i = 1; i < n; i++) {
    fprintf(out,
            "%sif (( CURRENT > 2 )) && [[ ${words[2]} == %s ]]; then\n"
            "  shift words\n"
            "  (( CURRENT-- ))\n"
            "  _arguments -s -S \\\n",
            i > 1 ? "el" : "", cmds[i].name);
    for (size_t j = 0; j < cmds[i].n; j++) {
      zsh_option(out, &cmds[i].defs[j]);
    }
    fprintf(out, "    '*:PATH:%s'\n", cmds[i].files ? "_files" : " ");
  }
  fputs("else\n  _arguments -s -S \\\n", out);
  for (size_t j = 0; j < cmds[0].n; j++) {
    zsh_option(out, &cmds[0].defs[j]);
  }
  fputs("    '1:DOMAIN or sub-command:(", out);
  for (size_t i = 1; i < n; i++) {
    fprintf(out, "%s%s", i > 1 ? " " : "", cmds[i].name);
  }
  fputs(")' \\\n    '*:DOMAIN: '\nfi\n", out);
  return ferror(out) ? MTS_EIO : MTS_OK;
}
