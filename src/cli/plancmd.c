#include "opttab.h"
#include "plancmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mtasts/check.h"
#include "mtasts/i18n.h"
#include "mtasts/output.h"

/* mtasts-check plan [options] DOMAIN (rollout.md R187-R196): the check's
 * options are handed on to mts_cli_parse as they are, so that every check
 * option that applies to one domain (and any added later, such as the
 * propagation options of R197) is a plan option too; the plan's own are
 * parsed here. */

#define EXIT_UNKNOWN 3

enum {
  OPT_P_FORMAT = 1000, /* above every value of cli.c's table */
  OPT_P_MAX_AGE,
  OPT_P_MODE,
  OPT_P_NO_PROPAGATION,
  OPT_P_POLICY_OUT,
  OPT_P_RUA,
};

static const char *const mode_words[] = {"testing", "enforce", "none", NULL};
static const char *const format_words[] = {"text", "json", NULL};

static const struct mts_optdef own[] = {
    {"format", required_argument, OPT_P_FORMAT, "FMT",
     N_("output: text (default) or json"), format_words},
    {"max-age", required_argument, OPT_P_MAX_AGE, "SECONDS",
     N_("max_age to recommend, 0 to 31557600"), NULL},
    {"mode", required_argument, OPT_P_MODE, "MODE",
     N_("mode to recommend: testing, enforce or none"), mode_words},
    {"no-propagation", no_argument, OPT_P_NO_PROPAGATION, NULL,
     N_("do not ask the authoritative servers (port 53 blocked)"), NULL},
    {"policy-out", required_argument, OPT_P_POLICY_OUT, "FILE",
     N_("write the recommended policy file there"), NULL},
    {"rua", required_argument, OPT_P_RUA, "URI",
     N_("TLS-RPT address to recommend (repeatable)"), NULL},
};
#define N_OWN (sizeof(own) / sizeof(own[0]))

/* The check's options that make no sense for one planned domain; and
 * --no-policy: a plan made without the live policy would recommend a new
 * one and a new id blindly (R187: plan runs the full check). */
static const char *const excluded[] = {
    "concurrency", "file",  "format", "no-policy", "policy-file",
    "progress",    "quiet", "shard",  "version",   NULL};

/* Writable copies for the argv handed to mts_cli_parse. */
static char prog[] = "mtasts-check plan";
static char dashes[] = "--";

#define MAX_DEFS 96
static struct mts_optdef table[MAX_DEFS];
static size_t n_table;

static int
by_name(const void *a, const void *b)
{
  return strcmp(((const struct mts_optdef *)a)->name,
                ((const struct mts_optdef *)b)->name);
}

static void
build_table(void)
{
  size_t n;
  const struct mts_optdef *check;

  if (n_table > 0) {
    return;
  }
  for (size_t i = 0; i < N_OWN; i++) {
    table[n_table++] = own[i];
  }
  check = mts_cli_optdefs(&n);
  for (size_t i = 0; i < n && n_table < MAX_DEFS; i++) {
    int skip = 0;
    for (size_t k = 0; excluded[k] != NULL && !skip; k++) {
      skip = strcmp(check[i].name, excluded[k]) == 0;
    }
    if (!skip) {
      table[n_table] = check[i];
      /* The same option, in the plan's words. */
      if (strcmp(check[i].name, "state") == 0) {
        table[n_table].help = N_("read the state FILE (never written)");
      } else if (strcmp(check[i].name, "json") == 0) {
        table[n_table].help = N_("one JSON object, \"kind\": \"plan\"");
      }
      n_table++;
    }
  }
  qsort(table, n_table, sizeof(table[0]), by_name);
}

const struct mts_optdef *
mts_plancmd_optdefs(size_t *n)
{
  build_table();
  *n = n_table;
  return table;
}

void
mts_plancmd_help(FILE *out)
{
  build_table();
  fputs(_("usage: mtasts-check plan [options] DOMAIN\n"
          "\n"
          "Check DOMAIN and say what to publish, in what order and when:\n"
          "the _mta-sts and _smtp._tls records, the policy file and the\n"
          "steps to get there, and whether mode enforce is safe. Nothing is\n"
          "changed but the --policy-out file.\n"
          "\n"
          "Options:\n"),
        out);
  mts_opttab_help(out, table, n_table);
  fputs(_("\n"
          "Defaults: no valid policy -> mode testing, max_age 86400; a\n"
          "testing policy moves to enforce (max_age 604800) once ready; the\n"
          "live TLS-RPT record is kept, else rua=mailto:tlsrpt@DOMAIN.\n"
          "\n"
          "Exit status: 2 or 3 when the live check has errors or could not be\n"
          "completed; else 1 when anything is to change; else 0; 64 usage\n"
          "error. See mtasts-check(1).\n"),
        out);
}

static int
parse_max_age(const char *s, long *out)
{
  long v = 0;

  if (*s == '\0' || strlen(s) > 9) {
    return -1;
  }
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') {
      return -1;
    }
    v = v * 10 + (*s - '0');
  }
  if (v > MTS_PLAN_MAX_AGE_MAX) {
    return -1;
  }
  *out = v;
  return 0;
}

/* A rua URI (RFC 8460 §3): mailto: or https:, one token, with ',' and ';'
 * (the record's separators) and spaces percent-encoded. */
static int
rua_ok(const char *s)
{
  if (strncmp(s, "mailto:", 7) != 0 && strncmp(s, "https://", 8) != 0) {
    return 0;
  }
  if (strlen(s) <= 8 || strlen(s) > 512) {
    return 0;
  }
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';' || c == '"' ||
        c == '\\') {
      return 0;
    }
  }
  return 1;
}

static enum mts_err
push(char ***v, size_t *n, char *s)
{
  char **p = realloc(*v, (*n + 2) * sizeof(*p));
  if (p == NULL) {
    return MTS_ENOMEM;
  }
  p[(*n)++] = s;
  p[*n] = NULL;
  *v = p;
  return MTS_OK;
}

void
mts_plancmd_release(struct mts_plancmd_opts *o)
{
  mts_cli_release(&o->check);
  free(o->rua);
  o->rua = NULL;
  if (o->argv2 != NULL) {
    /* The "--name[=value]" we made, up to the "--" before the domain. */
    for (size_t i = 1; o->argv2[i] != NULL && strcmp(o->argv2[i], "--") != 0;
         i++) {
      free(o->argv2[i]);
    }
    free(o->argv2);
    o->argv2 = NULL;
  }
}

enum mts_err
mts_plancmd_parse(int argc, char **argv, struct mts_plancmd_opts *o,
                  char *errbuf, size_t errsz)
{
  struct option longopts[MAX_DEFS + 1];
  char shortopts[2 * MAX_DEFS + 2];
  size_t ns = 0, n2 = 0;
  int c;

  build_table();
  memset(o, 0, sizeof(*o));
  o->plan.mode = MTS_PLAN_MODE_AUTO;
  o->plan.max_age = -1;
  o->plan.old_policy_until = -1;
  mts_opttab_longopts(table, n_table, longopts);
  shortopts[ns++] = ':';
  for (size_t i = 0; i < n_table; i++) {
    if (table[i].val < 256) {
      shortopts[ns++] = (char)table[i].val;
      if (table[i].has_arg == required_argument) {
        shortopts[ns++] = ':';
      }
    }
  }
  shortopts[ns] = '\0';
  if (push(&o->argv2, &n2, prog) != MTS_OK) {
    return MTS_ENOMEM;
  }

  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    const struct mts_optdef *d = NULL;
    char *arg;
    size_t len;

    switch (c) {
      case 'h':
        o->help = 1;
        continue;
      case OPT_P_FORMAT:
        if (strcmp(optarg, "json") == 0) {
          c = 'j';
          break; /* handed on as --json */
        }
        if (strcmp(optarg, "text") != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --format '%s': expected text or json"), optarg);
          return MTS_EINVAL;
        }
        continue;
      case OPT_P_MAX_AGE:
        if (parse_max_age(optarg, &o->plan.max_age) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --max-age '%s': expected seconds, 0 to %ld"),
                   optarg, MTS_PLAN_MAX_AGE_MAX);
          return MTS_EINVAL;
        }
        continue;
      case OPT_P_MODE:
        if (strcmp(optarg, "testing") == 0) {
          o->plan.mode = MTS_PLAN_MODE_TESTING;
        } else if (strcmp(optarg, "enforce") == 0) {
          o->plan.mode = MTS_PLAN_MODE_ENFORCE;
        } else if (strcmp(optarg, "none") == 0) {
          o->plan.mode = MTS_PLAN_MODE_NONE;
        } else {
          snprintf(errbuf, errsz,
                   _("invalid --mode '%s': expected testing, enforce or none"),
                   optarg);
          return MTS_EINVAL;
        }
        continue;
      case OPT_P_NO_PROPAGATION:
        o->no_propagation = 1;
        continue;
      case OPT_P_POLICY_OUT:
        if (optarg[0] == '\0') {
          snprintf(errbuf, errsz, "%s",
                   _("invalid --policy-out '': expected a file"));
          return MTS_EINVAL;
        }
        o->policy_out = optarg;
        continue;
      case OPT_P_RUA:
        if (!rua_ok(optarg)) {
          snprintf(errbuf, errsz,
                   _("invalid --rua '%.200s': expected a mailto: or https:// "
                     "URI without spaces, ',' or ';'"),
                   optarg);
          return MTS_EINVAL;
        }
        if (push(&o->rua, &o->n_rua, optarg) != MTS_OK) {
          return MTS_ENOMEM;
        }
        continue;
      case ':':
        snprintf(errbuf, errsz, _("option '%.64s' needs an argument"),
                 argv[optind - 1]);
        return MTS_EINVAL;
      case '?':
        snprintf(errbuf, errsz, _("unknown option '%.64s' for plan"),
                 argv[optind - 1]);
        return MTS_EINVAL;
      default:
        break;
    }
    /* One of the check's options: handed on as "--name[=value]". */
    for (size_t i = 0; i < n_table && d == NULL; i++) {
      if (table[i].val == c) {
        d = &table[i];
      }
    }
    if (d == NULL) {
      snprintf(errbuf, errsz, _("unknown option '%.64s' for plan"),
               argv[optind - 1]);
      return MTS_EINVAL;
    }
    len = strlen(d->name) + 4 + (d->has_arg ? strlen(optarg) : 0);
    arg = malloc(len);
    if (arg == NULL) {
      return MTS_ENOMEM;
    }
    snprintf(arg, len, "--%s%s%s", d->name, d->has_arg ? "=" : "",
             d->has_arg ? optarg : "");
    if (push(&o->argv2, &n2, arg) != MTS_OK) {
      free(arg);
      return MTS_ENOMEM;
    }
  }
  if (o->help) {
    return MTS_OK;
  }
  if (argc - optind != 1) {
    snprintf(errbuf, errsz, "%s",
             argc - optind == 0 ? "no domain given" : "plan takes one domain");
    return MTS_EINVAL;
  }
  if (push(&o->argv2, &n2, dashes) != MTS_OK ||
      push(&o->argv2, &n2, argv[optind]) != MTS_OK) {
    return MTS_ENOMEM;
  }
  o->plan.rua = o->rua;
  o->plan.n_rua = o->n_rua;
  return mts_cli_parse((int)n2, o->argv2, &o->check, errbuf, errsz);
}

/* ---- --policy-out (R194)
 * ----------------------------------------------------- */

static enum mts_err
refuse_path(const char *path, char *errbuf, size_t errsz)
{
  struct stat st;

  if (lstat(path, &st) != 0) {
    if (errno == ENOENT) {
      return MTS_OK;
    }
    snprintf(errbuf, errsz, _("cannot use --policy-out '%s': %s"), path,
             strerror(errno));
    return MTS_ESYS;
  }
  if (S_ISLNK(st.st_mode)) {
    snprintf(errbuf, errsz,
             _("refusing --policy-out '%s': it is a symbolic link (never "
               "followed or replaced)"),
             path);
    return MTS_EINVAL;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(errbuf, errsz, _("refusing --policy-out '%s': not a regular file"),
             path);
    return MTS_EINVAL;
  }
  return MTS_OK;
}

enum mts_err
mts_plancmd_write_policy(const char *path, const char *body, size_t len,
                         char *errbuf, size_t errsz)
{
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  char *tmp = NULL, *dir = NULL;
  size_t dlen = slash ? (size_t)(slash - path) : 1;
  enum mts_err err;
  mode_t mask;
  int fd = -1, dfd;

  err = refuse_path(path, errbuf, errsz);
  if (err != MTS_OK) {
    return err;
  }
  if (*base == '\0') {
    snprintf(errbuf, errsz, _("refusing --policy-out '%s': not a file name"),
             path);
    return MTS_EINVAL;
  }
  dir = malloc(dlen + 2);
  tmp = malloc(dlen + strlen(base) + 16);
  if (dir == NULL || tmp == NULL) {
    err = MTS_ENOMEM;
    goto done;
  }
  if (slash == NULL) {
    strcpy(dir, ".");
  } else if (dlen == 0) {
    strcpy(dir, "/");
  } else {
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
  }
  sprintf(tmp, "%s/.%s.XXXXXX", dir, base);
  fd = mkstemp(tmp);
  if (fd < 0) {
    snprintf(errbuf, errsz, _("cannot write --policy-out '%s': %s"), path,
             strerror(errno));
    err = MTS_ESYS;
    tmp[0] = '\0';
    goto done;
  }
  /* A web server reads it: the usual mode of a new file, not mkstemp's
   * 0600. */
  mask = umask(022);
  umask(mask);
  for (size_t off = 0; off < len;) {
    ssize_t w = write(fd, body + off, len - off);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      err = MTS_ESYS;
      break;
    }
    off += (size_t)w;
  }
  if (err == MTS_OK && (fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0)) {
    err = MTS_ESYS;
  }
  if (close(fd) != 0 && err == MTS_OK) {
    err = MTS_ESYS;
  }
  fd = -1;
  if (err != MTS_OK) {
    snprintf(errbuf, errsz, _("cannot write --policy-out '%s': %s"), path,
             strerror(errno));
    goto done;
  }
  /* Once more: a link may have appeared meanwhile. rename() would replace
   * the link itself, not its target, but a link is refused either way. */
  err = refuse_path(path, errbuf, errsz);
  if (err != MTS_OK) {
    goto done;
  }
  if (rename(tmp, path) != 0) {
    snprintf(errbuf, errsz, _("cannot write --policy-out '%s': %s"), path,
             strerror(errno));
    err = MTS_ESYS;
    goto done;
  }
  tmp[0] = '\0';
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
done:
  if (tmp != NULL && tmp[0] != '\0') {
    unlink(tmp);
  }
  free(tmp);
  free(dir);
  return err;
}

/* ---- the run
 * ------------------------------------------------------------------ */

struct plan_ctx {
  struct mts_plancmd_opts *o;
  FILE *out;
  struct mts_plan plan;
  int have_plan;
  int rc;
  char errbuf[256];
};

static enum mts_err
on_result(void *arg, const struct mts_result *r)
{
  struct plan_ctx *x = arg;
  struct mts_plan_opts po = x->o->plan;
  enum mts_err err;

  /* The run's time is the plan's clock: the id it recommends. */
  po.now = r->checked_at > 0 ? r->checked_at : (long long)time(NULL);
  /* Stale caches (R201): with --state, senders may hold the previous
   * policy until then, so the wait step lasts at least as long. */
  po.old_policy_until = r->old_policy_until;
  if (mts_findings_has(&r->findings, MTS_F_DOMAIN_INVALID)) {
    /* Nothing to plan for a name that is not a domain: a usage error. */
    snprintf(x->errbuf, sizeof(x->errbuf), _("invalid domain '%.200s'"),
             r->domain);
    x->rc = MTS_EXIT_USAGE;
    return MTS_OK;
  }
  err = mts_plan_build(r, &po, &x->plan);
  if (err != MTS_OK) {
    snprintf(x->errbuf, sizeof(x->errbuf), _("cannot make the plan: %s"),
             mts_strerror(err));
    return err;
  }
  x->have_plan = 1;
  x->rc = mts_plan_exit(&x->plan, r->status);
  if (x->o->check.write.format == MTS_FORMAT_JSON) {
    return mts_report_json_plan_write(x->out, &x->plan, r);
  }
  {
    struct mts_text_opts t = {x->o->check.write.color};
    return mts_report_text_plan_write(x->out, &x->plan, r, &t);
  }
}

static enum mts_err
on_end(void *arg, const struct mts_tally *tally, int several, int stopped)
{
  (void)arg;
  (void)tally;
  (void)several;
  (void)stopped;
  return MTS_OK;
}

int
mts_plancmd_main(int argc, char **argv)
{
  struct mts_plancmd_opts o;
  struct mts_state *state = NULL;
  struct mts_source src;
  struct plan_ctx x;
  enum mts_status worst = MTS_STATUS_OK;
  char errbuf[512];
  enum mts_err err;
  int rc;

  errbuf[0] = '\0';
  err = mts_plancmd_parse(argc, argv, &o, errbuf, sizeof(errbuf));
  if (err != MTS_OK) {
    fprintf(stderr,
            _("mtasts-check plan: %s (try 'mtasts-check plan --help')\n"),
            err == MTS_EINVAL ? errbuf : mts_strerror(err));
    mts_plancmd_release(&o);
    return MTS_EXIT_USAGE;
  }
  if (o.help) {
    mts_plancmd_help(stdout);
    mts_plancmd_release(&o);
    return 0;
  }
  /* A link or a directory at --policy-out: a usage error, before anything
   * is checked or printed. */
  if (o.policy_out != NULL) {
    err = refuse_path(o.policy_out, errbuf, sizeof(errbuf));
    if (err != MTS_OK) {
      fprintf(stderr, "mtasts-check plan: %s\n", errbuf);
      mts_plancmd_release(&o);
      return err == MTS_EINVAL ? MTS_EXIT_USAGE : EXIT_UNKNOWN;
    }
  }
  if (o.check.state_file != NULL) {
    /* R187: the state is read (POLICY_CHANGED_ID_UNCHANGED, R204), never
     * written: mts_state_save is not called. */
    err = mts_state_open(&state, o.check.state_file, errbuf, sizeof(errbuf));
    if (err != MTS_OK) {
      fprintf(stderr, "mtasts-check plan: %s\n", errbuf);
      mts_plancmd_release(&o);
      return err == MTS_ENOMEM ? EXIT_UNKNOWN : MTS_EXIT_USAGE;
    }
    o.check.run.state = state;
  }

  memset(&x, 0, sizeof(x));
  x.o = &o;
  x.out = o.check.run.out;
  x.rc = EXIT_UNKNOWN;
  mts_plan_init(&x.plan);
  memset(&src, 0, sizeof(src));
  src.argv = o.check.domains;
  src.argc = o.check.n_domains;
  src.fd = -1;
  o.check.run.progress = 0;
  o.check.run.catch_signals = 1;
  /* R187: a plan asks every authoritative server (--propagation), so
   * that "wait" steps wait for the servers too. */
  o.check.run.propagation = !o.no_propagation;
  o.check.run.sink.result = on_result;
  o.check.run.sink.end = on_end;
  o.check.run.sink.arg = &x;
  err = mts_run(&o.check.run, &src, &worst, errbuf, sizeof(errbuf));
  rc = x.rc;
  if (err == MTS_OK && rc == MTS_EXIT_USAGE) {
    fprintf(stderr, "mtasts-check plan: %s\n", x.errbuf);
  } else if (err != MTS_OK) {
    fprintf(stderr, "mtasts-check plan: %s\n",
            x.errbuf[0] ? x.errbuf
            : errbuf[0] ? errbuf
                        : mts_strerror(err));
    if (rc != 2) {
      rc = EXIT_UNKNOWN;
    }
  } else if (x.have_plan && o.policy_out != NULL) {
    err = mts_plancmd_write_policy(o.policy_out, x.plan.policy.body,
                                   x.plan.policy.body_len, errbuf,
                                   sizeof(errbuf));
    if (err != MTS_OK) {
      fprintf(stderr, "mtasts-check plan: %s\n", errbuf);
      rc = err == MTS_EINVAL ? MTS_EXIT_USAGE : EXIT_UNKNOWN;
    }
  }
  mts_plan_release(&x.plan);
  mts_state_free(&state);
  mts_plancmd_release(&o);
  return rc;
}
