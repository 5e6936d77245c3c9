#include "opttab.h"
#include "rptcmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts/i18n.h"
#include "mtasts/msg.h"
#include "mtasts/output.h"
#include "mtasts/tlsrpt.h"

/* mtasts-check report [options] PATH...: read every report found under
 * the paths, in order, and write each one as soon as it is read; then the
 * summary. Memory holds one report at a time plus the summary tables and
 * the duplicate set (tlsrpt_sum.h). The exit code follows
 * mts_rpt_sum_exit (docs/reports.md "Exit status"). */

#define EXIT_USAGE 64
#define EXIT_UNKNOWN 3
/* --max-size: at most 4 GiB (a whole mail message is held in memory). */
#define MAX_SIZE_CAP (4ULL << 30)

enum {
  OPT_COLOR = 256,
  OPT_FAIL_THRESHOLD,
  OPT_FORMAT,
  OPT_MAX_SIZE,
  OPT_SUMMARY,
  OPT_LANG,
};

/* The words of --format and --color, for the completions. */
static const char *const format_words[] = {"text", "json", "prometheus", NULL};
static const char *const when_words[] = {"auto", "always", "never", NULL};

static const struct mts_optdef optdefs[] = {
    {"color", required_argument, OPT_COLOR, "WHEN",
     N_("colour: auto (default), always, never"), when_words},
    {"fail-threshold", required_argument, OPT_FAIL_THRESHOLD, "PCT",
     N_("failure rate that makes exit 2 (default 5)"), NULL},
    {"format", required_argument, OPT_FORMAT, "FMT",
     N_("output: text (default), json or prometheus"), format_words},
    {"help", no_argument, 'h', NULL, N_("show this help"), NULL},
    {"json", no_argument, 'j', NULL, N_("JSON Lines, one object a report"),
     NULL},
    {"lang", required_argument, OPT_LANG, "LANG",
     N_("language of the text: auto (default), C, en, ja"), mts_lang_words},
    {"max-size", required_argument, OPT_MAX_SIZE, "BYTES",
     N_("largest file or message read (default 32M)"), NULL},
    {"quiet", no_argument, 'q', NULL,
     N_("text: print only reports with problems"), NULL},
    {"summary", no_argument, OPT_SUMMARY, NULL,
     N_("add totals per policy domain and day"), NULL},
};

#define N_OPTS (sizeof(optdefs) / sizeof(optdefs[0]))

const struct mts_optdef *
mts_rptcmd_optdefs(size_t *n)
{
  *n = N_OPTS;
  return optdefs;
}

void
mts_rptcmd_help(FILE *out)
{
  fputs(_("usage: mtasts-check report [options] PATH...\n"
          "\n"
          "Read SMTP TLS Reporting aggregate reports (RFC 8460): .json and\n"
          "gzip files, mail messages (.eml), Maildir folders, mbox files and\n"
          "'-' (stdin); validate each report, show its sessions and failures,\n"
          "and with --summary total them per policy domain and day.\n"
          "\n"
          "Options:\n"),
        out);
  mts_opttab_help(out, optdefs, N_OPTS);
  fputs(_("\n"
          "Exit status: 0 all reports valid and no failed session; 1 failed\n"
          "sessions below the threshold, warnings or envelope errors; 2 a\n"
          "policy domain's failure rate at or above the threshold; 3 an input\n"
          "could not be read or is not a valid report; 64 usage error.\n"
          "See mtasts-check(1) and docs/reports.md.\n"),
        out);
}

/* PCT: digits with at most one '.', 0 to 100. */
static int
parse_pct(const char *s, double *out)
{
  size_t digits = 0, dots = 0;
  char *end;
  double v;

  for (const char *p = s; *p != '\0'; p++) {
    if (*p >= '0' && *p <= '9') {
      digits++;
    } else if (*p == '.') {
      dots++;
    } else {
      return -1;
    }
  }
  if (digits == 0 || dots > 1 || strlen(s) > 32) {
    return -1;
  }
  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || *end != '\0' || !(v >= 0.0 && v <= 100.0)) {
    return -1;
  }
  *out = v;
  return 0;
}

/* BYTES: digits, optionally k, M or G (powers of 1024). */
static int
parse_size(const char *s, size_t *out)
{
  unsigned long long v = 0, mult = 1;
  const char *p = s;

  if (*p < '0' || *p > '9') {
    return -1;
  }
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > MAX_SIZE_CAP) {
      return -1;
    }
    v = v * 10 + (unsigned long long)(*p - '0');
  }
  switch (*p) {
    case '\0':
      break;
    case 'k':
    case 'K':
      mult = 1ULL << 10;
      p++;
      break;
    case 'm':
    case 'M':
      mult = 1ULL << 20;
      p++;
      break;
    case 'g':
    case 'G':
      mult = 1ULL << 30;
      p++;
      break;
    default:
      return -1;
  }
  if (*p != '\0' || v == 0 || v > MAX_SIZE_CAP / mult ||
      v * mult > (unsigned long long)SIZE_MAX) {
    return -1;
  }
  *out = (size_t)(v * mult);
  return 0;
}

static const char *
opt_name(const char *arg, int opt, char *buf, size_t size)
{
  if (strncmp(arg, "--", 2) == 0) {
    size_t n = strcspn(arg, "=");
    snprintf(buf, size, _("%.*s"), (int)(n < 64 ? n : 64), arg);
  } else if (opt > 0 && opt < 256) {
    snprintf(buf, size, _("-%c"), opt);
  } else {
    snprintf(buf, size, _("%.64s"), arg);
  }
  return buf;
}

enum mts_err
mts_rptcmd_parse(int argc, char **argv, struct mts_rptcmd_opts *o, char *errbuf,
                 size_t errsz)
{
  struct option longopts[N_OPTS + 1];
  const char *color = "auto";
  char name[80];
  int c;

  memset(o, 0, sizeof(*o));
  o->threshold = MTS_RPT_DEFAULT_THRESHOLD;
  mts_rpt_limits_default(&o->lim);

  mts_opttab_longopts(optdefs, N_OPTS, longopts);
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":hjq", longopts, NULL)) != -1) {
    switch (c) {
      case 'h':
        o->help = 1;
        break;
      case 'j':
        o->json = 1;
        o->prom = 0;
        break;
      case 'q':
        o->quiet = 1;
        break;
      case OPT_COLOR:
        color = optarg;
        break;
      case OPT_LANG: /* applied by main before parsing */
        if (!mts_lang_valid(optarg)) {
          snprintf(errbuf, errsz,
                   _("invalid --lang '%s': expected auto, C, en or ja"),
                   optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_FAIL_THRESHOLD:
        if (parse_pct(optarg, &o->threshold) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --fail-threshold '%.64s': expected a percentage "
                     "from 0 to 100"),
                   optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_FORMAT:
        o->json = strcmp(optarg, "json") == 0;
        o->prom = strcmp(optarg, "prometheus") == 0;
        if (!o->json && !o->prom && strcmp(optarg, "text") != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --format '%.64s': expected text, json or "
                     "prometheus"),
                   optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_MAX_SIZE:
        if (parse_size(optarg, &o->lim.max_input) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --max-size '%.64s': expected bytes from 1 to "
                     "4G (k, M, G allowed)"),
                   optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_SUMMARY:
        o->summary = 1;
        break;
      case ':':
        snprintf(errbuf, errsz, _("option '%s' needs an argument"),
                 opt_name(argv[optind - 1], optopt, name, sizeof(name)));
        return MTS_EINVAL;
      default:
        snprintf(errbuf, errsz, _("unknown option '%s'"),
                 opt_name(argv[optind - 1], optopt, name, sizeof(name)));
        return MTS_EINVAL;
    }
  }
  if (o->help) {
    return MTS_OK;
  }
  if (o->prom && o->summary) {
    snprintf(errbuf, errsz,
             _("--summary goes with text or JSON output; the metrics of "
               "--format prometheus are totals already"));
    return MTS_EINVAL;
  }
  if (strcmp(color, "always") == 0) {
    o->color = 1;
  } else if (strcmp(color, "never") == 0) {
    o->color = 0;
  } else if (strcmp(color, "auto") == 0) {
    const char *no_color = getenv("NO_COLOR");
    o->color = isatty(STDOUT_FILENO) && (no_color == NULL || !no_color[0]);
  } else {
    snprintf(errbuf, errsz,
             _("invalid --color '%.64s': expected auto, always or never"),
             color);
    return MTS_EINVAL;
  }
  if (optind >= argc) {
    snprintf(errbuf, errsz, _("no report path given ('-' reads stdin)"));
    return MTS_EINVAL;
  }
  for (int i = optind; i < argc; i++) {
    if (argv[i][0] == '\0') {
      snprintf(errbuf, errsz, _("an empty path was given"));
      return MTS_EINVAL;
    }
  }
  o->paths = argv + optind;
  o->n_paths = (size_t)(argc - optind);
  return MTS_OK;
}

/* ---- signals ---------------------------------------------------------- */

/* Ctrl-C (SIGINT) or SIGTERM, as in a domain check (docs/design.md "Rate
 * limit, progress and signals"): the first stops the walk before the next
 * report is written, so the output holds whole reports only; a second has
 * its usual effect at once (a read or a write that blocks cannot see the
 * first). The walk is synchronous, so a flag read before each report does
 * what the check's self-pipe does for its loop. The handler's state is
 * necessarily static; mts_rptcmd_main restores the old dispositions. */
static volatile sig_atomic_t rpt_sig; /* the first signal, 0: none yet */

static const int rpt_sigs[] = {SIGINT, SIGTERM};
#define N_RPT_SIGS (sizeof(rpt_sigs) / sizeof(rpt_sigs[0]))

struct sigsave {
  struct sigaction old[N_RPT_SIGS];
  int set[N_RPT_SIGS];
};

static void
on_rpt_signal(int sig)
{
  if (rpt_sig != 0) {
    signal(sig, SIG_DFL);
    raise(sig);
  } else {
    rpt_sig = sig;
  }
}

/* Catch SIGINT and SIGTERM, unless they are ignored (nohup). */
static void
signals_catch(struct sigsave *sv)
{
  struct sigaction sa;

  memset(sv, 0, sizeof(*sv));
  rpt_sig = 0;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_rpt_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < N_RPT_SIGS; i++) {
    if (sigaction(rpt_sigs[i], NULL, &sv->old[i]) != 0 ||
        sv->old[i].sa_handler == SIG_IGN) {
      continue;
    }
    sv->set[i] = sigaction(rpt_sigs[i], &sa, NULL) == 0;
  }
}

static void
signals_release(struct sigsave *sv)
{
  for (size_t i = 0; i < N_RPT_SIGS; i++) {
    if (sv->set[i]) {
      (void)sigaction(rpt_sigs[i], &sv->old[i], NULL);
      sv->set[i] = 0;
    }
  }
}

/* ---- the driver ------------------------------------------------------- */

struct drv {
  const struct mts_rptcmd_opts *o;
  struct mts_text_opts topts;
  struct mts_rpt_sum *sum;
  struct mts_rpt_prom *prom; /* --format prometheus */
  struct mts_rpt_tally t;
  FILE *out;
  int text_written; /* a text block was written */
};

/* Move the findings of \p from to the end of \p to (\p from ends empty). */
static enum mts_err
move_findings(struct mts_findings *to, struct mts_findings *from)
{
  if (from->n == 0) {
    return MTS_OK;
  }
  if (to->n == 0 && to->cap == 0) {
    free(to->v);
    *to = *from;
    memset(from, 0, sizeof(*from));
    return MTS_OK;
  }
  if (to->cap - to->n < from->n) {
    size_t cap = to->n + from->n;
    struct mts_finding *v;

    if (cap > SIZE_MAX / sizeof(*v)) {
      return MTS_ENOMEM;
    }
    v = realloc(to->v, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    to->v = v;
    to->cap = cap;
  }
  memcpy(to->v + to->n, from->v, from->n * sizeof(*from->v));
  to->n += from->n;
  from->n = 0; /* the strings belong to \p to now */
  return MTS_OK;
}

/* \p s[0..len) lowercased, spaces around (and a closing '>') and one
 * trailing dot removed, into buf. \return 0, or -1 when it does not fit or is
 * empty. */
static int
norm_domain(const char *s, size_t len, char *buf, size_t size)
{
  while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
    s++;
    len--;
  }
  /* "Name <user@example.com>": the closing bracket is not the domain's. */
  while (len > 0 &&
         (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
          s[len - 1] == '\n' || s[len - 1] == '>')) {
    len--;
  }
  if (len > 0 && s[len - 1] == '.') {
    len--;
  }
  if (len == 0 || len >= size) {
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    char ch = s[i];
    buf[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
  }
  buf[len] = '\0';
  return 0;
}

/* RFC 8460 §5.3 (R159): the TLS-Report-Submitter must match the domain
 * of contact-info: that domain, or a subdomain of it. A contact-info
 * without '@' is not an address (REPORT_CONTACT_INFO_INVALID says so):
 * nothing to compare then. */
static enum mts_err
check_submitter(struct mts_findings *list, const char *submitter,
                const char *contact)
{
  char sub[256], dom[256];
  const char *at = strrchr(contact, '@');
  size_t ls, ld;
  struct mts_shown a, b;

  if (at == NULL) {
    return MTS_OK;
  }
  if (norm_domain(submitter, strlen(submitter), sub, sizeof(sub)) == 0 &&
      norm_domain(at + 1, strlen(at + 1), dom, sizeof(dom)) == 0) {
    ls = strlen(sub);
    ld = strlen(dom);
    if (strcmp(sub, dom) == 0 || (ld > ls && dom[ld - ls - 1] == '.' &&
                                  strcmp(dom + ld - ls, sub) == 0)) {
      return MTS_OK;
    }
  }
  return mts_findings_add(
      list, MTS_F_REPORT_SUBMITTER_MISMATCH, contact, strlen(contact),
      "The TLS-Report-Submitter header says \"%s\", but the report's "
      "contact-info \"%s\" is not in that domain.",
      mts_show(&a, submitter, strlen(submitter)),
      mts_show(&b, contact, strlen(contact)));
}

/* A warning or an error among the findings (info never counts). */
static int
has_problem(const struct mts_findings *list)
{
  for (size_t i = 0; i < list->n; i++) {
    if (list->v[i].severity != MTS_SEV_INFO) {
      return 1;
    }
  }
  return 0;
}

static enum mts_err
on_part(void *arg, struct mts_rpt_part *part)
{
  struct drv *d = arg;
  struct mts_findings all = part->envelope;
  struct mts_rpt r;
  struct mts_rpt_view v;
  const char *first = NULL;
  int parsed = 0, valid, dup = 0, show;
  enum mts_err err = MTS_OK;

  memset(&part->envelope, 0, sizeof(part->envelope));
  memset(&r, 0, sizeof(r));
  if (rpt_sig != 0) {
    /* Interrupted: this report is neither read nor written. */
    err = MTS_EINTR;
    goto done;
  }
  if (!part->unreadable) {
    err = mts_rpt_parse(part->data, part->len, part->gzip_expected, &d->o->lim,
                        &r);
    parsed = 1;
    if (err != MTS_OK) {
      goto done;
    }
    err = move_findings(&all, &r.findings);
    if (err != MTS_OK) {
      goto done;
    }
    if (part->from_mail && part->submitter != NULL && r.contact_info != NULL) {
      err = check_submitter(&all, part->submitter, r.contact_info);
      if (err != MTS_OK) {
        goto done;
      }
    }
  }
  valid = parsed && r.valid;
  if (valid) {
    err = mts_rpt_sum_dedup(d->sum, r.organization, r.report_id, part->source,
                            &first);
    if (err != MTS_OK) {
      goto done;
    }
    if (first != NULL) {
      struct mts_shown s;
      dup = 1;
      err = mts_findings_add(
          &all, MTS_F_REPORT_DUPLICATE, first, strlen(first),
          "This report (same organization and report-id) was already read "
          "from %s; it is not counted again.",
          mts_show(&s, first, strlen(first)));
      if (err != MTS_OK) {
        goto done;
      }
    }
  }

  d->t.reports++;
  if (!valid) {
    d->t.invalid++;
  } else if (dup) {
    d->t.duplicates++;
  } else {
    err = mts_rpt_sum_add(d->sum, &r);
    if (err == MTS_OK && d->prom != NULL) {
      err = mts_rpt_prom_add(d->prom, &r);
    }
    if (err != MTS_OK) {
      goto done;
    }
    d->t.problems += (uint64_t)has_problem(&all);
    d->t.failed += (uint64_t)(r.total_failed > 0);
  }

  v.source = part->source != NULL ? part->source : "-";
  v.message_id = part->message_id;
  v.r = parsed ? &r : NULL;
  v.findings = &all;
  if (d->o->prom) {
    /* Metrics only, written at the end. */
  } else if (d->o->json) {
    err = mts_report_tlsrpt_json_write(d->out, &v);
  } else {
    show = !d->o->quiet || !valid || has_problem(&all) ||
           (r.total_failed > 0 && !dup);
    if (show) {
      err = mts_report_tlsrpt_text_write(d->out, &v, &d->topts);
      d->text_written = 1;
    }
  }
done:
  if (parsed) {
    mts_rpt_release(&r);
  }
  mts_findings_release(&all);
  return err;
}

static enum mts_err
write_summary(struct drv *d)
{
  const struct mts_rpt_day *days;
  size_t n;
  enum mts_err err = mts_rpt_sum_days(d->sum, &days, &n);

  if (err != MTS_OK) {
    return err;
  }

  if (d->o->json) {
    for (size_t i = 0; i < n && err == MTS_OK; i++) {
      err = mts_report_tlsrpt_summary_json_write(d->out, &days[i]);
    }
    return err;
  }
  d->text_written = 1;
  return mts_report_tlsrpt_summary_text_write(d->out, days, n, d->o->threshold,
                                              &d->topts);
}

/* Text output of several reports ends with a count line, as domain checks
 * do; with --quiet only when something was printed (a cron job stays
 * silent when all is well). */
static enum mts_err
write_tally(struct drv *d)
{
  if (d->o->json || d->o->prom || d->t.reports < 2 ||
      (d->o->quiet && !d->text_written)) {
    return MTS_OK;
  }
  return mts_report_tlsrpt_tally_text_write(d->out, &d->t);
}

int
mts_rptcmd_main(int argc, char **argv)
{
  struct mts_rptcmd_opts o;
  struct drv d;
  struct sigsave sv;
  char errbuf[256];
  enum mts_err err;
  int rc;

  errbuf[0] = '\0';
  if (mts_rptcmd_parse(argc, argv, &o, errbuf, sizeof(errbuf)) != MTS_OK) {
    fprintf(stderr,
            _("mtasts-check report: %s (try 'mtasts-check report --help')\n"),
            errbuf);
    return EXIT_USAGE;
  }
  if (o.help) {
    mts_rptcmd_help(stdout);
    return fflush(stdout) == 0 ? 0 : EXIT_UNKNOWN;
  }

  memset(&d, 0, sizeof(d));
  d.o = &o;
  d.topts.color = o.color;
  d.out = stdout;
  if (mts_rpt_sum_new(&d.sum) != MTS_OK ||
      (o.prom && mts_rpt_prom_new(&d.prom) != MTS_OK)) {
    mts_rpt_sum_free(&d.sum);
    fprintf(stderr, "mtasts-check report: %s\n", _(mts_strerror(MTS_ENOMEM)));
    return EXIT_UNKNOWN;
  }
  mts_rpt_init();
  signals_catch(&sv);
  err = MTS_OK;
  for (size_t i = 0; i < o.n_paths && err == MTS_OK; i++) {
    err = rpt_sig != 0 ? MTS_EINTR
                       : mts_rpt_walk(o.paths[i], &o.lim, on_part, &d);
    /* Each path's reports reach a pipe when the path is done. */
    if (err == MTS_OK && fflush(d.out) != 0) {
      err = MTS_EIO;
    }
  }
  if (err == MTS_OK && rpt_sig != 0) {
    err = MTS_EINTR; /* caught after the last report */
  }
  mts_rpt_shutdown();
  /* Interrupted: the totals of --summary would look like a whole run's,
   * so, like the Prometheus metrics of a check, they are not written; the
   * count line of text output says what was. */
  if (err == MTS_OK && o.summary) {
    err = write_summary(&d);
  }
  /* Only a complete run writes metrics: those of part of the reports
   * would replace those of all of them. */
  if (err == MTS_OK && d.prom != NULL) {
    err = mts_rpt_prom_write(d.out, d.prom, &d.t, (long long)time(NULL));
  }
  if (err == MTS_OK || err == MTS_EINTR) {
    enum mts_err werr = write_tally(&d);
    if (werr != MTS_OK) {
      err = werr;
    }
  }
  if (fflush(d.out) != 0 && (err == MTS_OK || err == MTS_EINTR)) {
    err = MTS_EIO;
  }
  rc = mts_rpt_sum_exit(d.sum, &d.t, o.threshold);
  if (err == MTS_EINTR) {
    fprintf(stderr,
            "mtasts-check report: interrupted by %s after %llu report%s%s\n",
            rpt_sig == SIGTERM ? "SIGTERM" : "SIGINT",
            (unsigned long long)d.t.reports, d.t.reports == 1 ? "" : "s",
            o.summary ? " (no --summary totals)" : "");
    if (d.t.reports == 0) {
      rc = EXIT_UNKNOWN; /* nothing was read */
    }
  } else if (err != MTS_OK) {
    /* The run could not be completed: UNKNOWN, unless worse is known. */
    fprintf(stderr, "mtasts-check report: %s\n",
            err == MTS_EIO ? _("cannot write the output")
                           : _(mts_strerror(err)));
    if (rc != 2) {
      rc = EXIT_UNKNOWN;
    }
  }
  signals_release(&sv);
  mts_rpt_sum_free(&d.sum);
  mts_rpt_prom_free(&d.prom);
  return rc;
}
