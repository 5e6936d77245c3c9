/* mtasts-check: parse, run, clean up (like kdig_main.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lint.h"
#include "plancmd.h"
#include "rptcmd.h"
#include "writer.h"
#include "opttab.h"
#include "mtasts/check.h"
#include "mtasts/i18n.h"
#include "mtasts/net.h"
#include "mtasts/tlsrpt.h"

/* Where the catalogues are: $MTASTS_CHECK_LOCALEDIR if set; the build
 * tree's (MTS_BUILD_LOCALEDIR) when this binary is the build tree's own,
 * so the tests and scripts/demo.sh need no install; else the installed
 * one (MTS_LOCALEDIR, share/locale under the prefix). */
static const char *
locale_dir(void)
{
  static char exe[PATH_MAX];
  const char *env = getenv("MTASTS_CHECK_LOCALEDIR");
  ssize_t n;

  if (env != NULL && env[0] != '\0') {
    return env;
  }
  n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    size_t blen = strlen(MTS_BUILD_DIR);
    exe[n] = '\0';
    if (strncmp(exe, MTS_BUILD_DIR, blen) == 0 && exe[blen] == '/') {
      return MTS_BUILD_LOCALEDIR;
    }
  }
  return MTS_LOCALEDIR;
}

/* The locale from the environment (or --lang) for messages; character
 * classes (C.UTF-8) and numbers (C) stay fixed so that no parser changes
 * with the locale and no machine output ever reads "0,5" (JSON, metrics,
 * the state file). The catalogue is read as UTF-8, which the text writer
 * expects. */
static void
i18n_init(int argc, char **argv)
{
  const char *lang = mts_lang_scan(argc, argv);

  (void)setlocale(LC_ALL, "");
  if (lang != NULL && (strcmp(lang, "C") == 0 || strcmp(lang, "en") == 0)) {
    (void)setlocale(LC_MESSAGES, "C");
  } else if (lang != NULL && strcmp(lang, "ja") == 0) {
    (void)setlocale(LC_MESSAGES, "ja_JP.UTF-8");
  }
  /* The parsers and writers keep C's character classes and numbers
   * whatever the environment says (a Latin-1 locale would make isspace
   * take 0xa0); the text writer needs only Unicode character widths,
   * which C.UTF-8 has. */
  if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
    (void)setlocale(LC_CTYPE, "C");
  }
  (void)setlocale(LC_NUMERIC, "C");
  (void)bindtextdomain(MTS_TEXTDOMAIN, locale_dir());
  (void)bind_textdomain_codeset(MTS_TEXTDOMAIN, "UTF-8");
  (void)textdomain(MTS_TEXTDOMAIN);
}

int
main(int argc, char **argv)
{
  struct mts_opts o;
  struct mts_source src;
  struct mts_state *state = NULL;
  struct mts_writer writer;
  enum mts_status worst = MTS_STATUS_OK;
  char errbuf[512];
  enum mts_err err;
  int rc;

  /* c-ares 1.18 writes queued TCP queries with writev(), which cannot ask
   * for MSG_NOSIGNAL: a server that resets the connection would kill us.
   * A closed stdout then shows as a write error (exit 3), not a signal. */
  signal(SIGPIPE, SIG_IGN);
  i18n_init(argc, argv);

  /* mtasts-check report ...: the TLS-RPT report sub-command (rptcmd.h). */
  if (argc > 1 && strcmp(argv[1], "report") == 0) {
    return mts_rptcmd_main(argc - 1, argv + 1);
  }
  /* mtasts-check plan ...: what to publish (plancmd.h, issue 13). */
  if (argc > 1 && strcmp(argv[1], "plan") == 0) {
    return mts_plancmd_main(argc - 1, argv + 1);
  }

  errbuf[0] = '\0';
  err = mts_cli_parse(argc, argv, &o, errbuf, sizeof(errbuf));
  if (err != MTS_OK) {
    fprintf(stderr, _("mtasts-check: %s (try 'mtasts-check --help')\n"),
            err == MTS_EINVAL ? errbuf : _(mts_strerror(err)));
    mts_cli_release(&o);
    return MTS_EXIT_USAGE;
  }
  if (o.help || o.version) {
    if (o.help) {
      mts_cli_help(stdout);
    } else {
      /* The libraries as loaded at run time, for bug reports. */
      char net[256], parse[256];
      mts_net_libversions(net, sizeof(net));
      mts_tlsrpt_libversions(parse, sizeof(parse));
      printf("mtasts-check %s\n%s, %s\n", MTS_VERSION, net, parse);
    }
    mts_cli_release(&o);
    return 0;
  }

  if (o.policy_file != NULL) {
    err = mts_lint_policy_file(o.policy_file, &o.write, o.run.out, &worst,
                               errbuf, sizeof(errbuf));
    mts_cli_release(&o);
    if (err != MTS_OK) {
      fprintf(stderr, "mtasts-check: %s\n", errbuf);
      return err == MTS_EINVAL || err == MTS_ERANGE
                 ? MTS_EXIT_USAGE
                 : mts_status_exit(MTS_STATUS_UNKNOWN);
    }
    return mts_status_exit(worst);
  }

  if (o.state_file != NULL) {
    /* A state file that is not ours, or damaged, stops the run before
     * anything is checked, and is left as it is (docs/state.md). */
    err = mts_state_open(&state, o.state_file, errbuf, sizeof(errbuf));
    if (err != MTS_OK) {
      fprintf(stderr, "mtasts-check: %s\n", errbuf);
      mts_cli_release(&o);
      return err == MTS_ENOMEM ? mts_status_exit(MTS_STATUS_UNKNOWN)
                               : MTS_EXIT_USAGE;
    }
    o.run.state = state;
  }

  memset(&src, 0, sizeof(src));
  src.argv = o.domains;
  src.argc = o.n_domains;
  src.fd = -1;
  if (o.file != NULL) {
    struct stat st;
    src.fd = strcmp(o.file, "-") == 0 ? STDIN_FILENO
                                      : open(o.file, O_RDONLY | O_CLOEXEC);
    if (src.fd >= 0 && fstat(src.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      close(src.fd);
      src.fd = -1;
      errno = EISDIR;
    }
    if (src.fd < 0) {
      fprintf(stderr, _("mtasts-check: cannot open '%s': %s\n"), o.file,
              strerror(errno));
      mts_state_free(&state);
      mts_cli_release(&o);
      return MTS_EXIT_USAGE;
    }
  }

  /* Ctrl-C (SIGINT) or SIGTERM: mts_run stops cleanly and returns
   * MTS_EINTR; the exit code is that of the domains written. */
  o.run.catch_signals = 1;
  err = mts_writer_init(&writer, &o.write, o.run.out);
  if (err == MTS_OK) {
    o.run.sink = mts_writer_sink(&writer);
    err = mts_run(&o.run, &src, &worst, errbuf, sizeof(errbuf));
  } else {
    snprintf(errbuf, sizeof(errbuf), "%s", _(mts_strerror(err)));
    worst = MTS_STATUS_UNKNOWN;
  }
  mts_writer_release(&writer);
  rc = mts_status_exit(worst);
  if (err == MTS_EINTR) {
    fprintf(stderr, "mtasts-check: %s\n", errbuf);
  } else if (err != MTS_OK) {
    /* The check could not be completed: UNKNOWN, unless worse is known. */
    fprintf(stderr, "mtasts-check: %s\n",
            errbuf[0] ? errbuf : _(mts_strerror(err)));
    if (worst != MTS_STATUS_ERROR) {
      rc = mts_status_exit(MTS_STATUS_UNKNOWN);
    }
  }
  if (state != NULL) {
    /* Once, at the end: the domains whose results were written. */
    if (mts_state_save(state, (long long)time(NULL), errbuf, sizeof(errbuf)) !=
        MTS_OK) {
      fprintf(stderr, "mtasts-check: %s\n", errbuf);
      if (worst != MTS_STATUS_ERROR) {
        rc = mts_status_exit(MTS_STATUS_UNKNOWN);
      }
    }
    mts_state_free(&state);
  }
  if (src.fd > STDIN_FILENO) {
    close(src.fd);
  }
  mts_cli_release(&o);
  return rc;
}
