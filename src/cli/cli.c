#include "opttab.h"
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts/i18n.h"
#include "mtasts/check.h"

#define DEFAULT_TIMEOUT_S 20
/* 64 domains = 192 queries in flight: they fit a DNS server's default
 * 208 KiB socket buffer even when it falls behind, so a burst costs no
 * dropped query and no retry timeout (docs/benchmarks.md). */
#define DEFAULT_CONCURRENCY 64
#define MAX_CONCURRENCY 10000
#define MAX_SERVERS MTS_RESOLVER_MAX_SERVERS

enum {
  OPT_CA_FILE = 256,
  OPT_FORMAT,
  OPT_NO_POLICY,
  OPT_COLOR,
  OPT_CONCURRENCY,
  OPT_POLICY_FILE,
  OPT_SHARD,
  OPT_STATE,
  OPT_QPS,
  OPT_PROGRESS,
  OPT_NO_SMTP,
  OPT_EHLO,
  OPT_SMTP_PORT,
  OPT_SMTP_TIMEOUT,
  OPT_LANG,
  OPT_PROPAGATION,
  OPT_NS_PORT,
};

/* --qps: up to a million queries a second (more is no limit at all). */
#define MAX_QPS 1000000.0

/* One table feeds getopt_long and --help (curl's tool_listhelp.c idea). */
/* The words of --format, --color and --progress (the completions offer
 * them; test_cli checks that the parser takes each). */
static const char *const format_words[] = {"text", "json", "prometheus", NULL};
static const char *const when_words[] = {"auto", "always", "never", NULL};

static const struct mts_optdef optdefs[] = {
    {"ca-file", required_argument, OPT_CA_FILE, "FILE",
     N_("CA certificates for the policy fetch (PEM)"), NULL},
    {"concurrency", required_argument, OPT_CONCURRENCY, "N",
     N_("domains checked at once (default 64)"), NULL},
    {"color", required_argument, OPT_COLOR, "WHEN",
     N_("colour: auto (default), always, never"), when_words},
    {"ehlo", required_argument, OPT_EHLO, "NAME",
     N_("name sent in SMTP EHLO (default: this host's name)"), NULL},
    {"file", required_argument, 'f', "FILE",
     N_("domains from FILE, one a line (- = stdin)"), NULL},
    {"format", required_argument, OPT_FORMAT, "FMT",
     N_("output: text (default), json or prometheus"), format_words},
    {"help", no_argument, 'h', NULL, N_("show this help"), NULL},
    {"json", no_argument, 'j', NULL, N_("JSON Lines, one object a domain"),
     NULL},
    {"lang", required_argument, OPT_LANG, "LANG",
     N_("language of the text: auto (default), C, en, ja"), mts_lang_words},
    {"no-policy", no_argument, OPT_NO_POLICY, NULL,
     N_("DNS checks only, no HTTPS policy fetch"), NULL},
    {"no-smtp", no_argument, OPT_NO_SMTP, NULL,
     N_("no SMTP STARTTLS probe of the MX hosts"), NULL},
    {"ns-port", required_argument, OPT_NS_PORT, "N",
     N_("port of the authoritative servers (default 53)"), NULL},
    {"policy-file", required_argument, OPT_POLICY_FILE, "FILE",
     N_("check a local policy file offline"), NULL},
    {"progress", required_argument, OPT_PROGRESS, "WHEN",
     N_("progress on stderr: auto (default), always, never"), when_words},
    {"propagation", no_argument, OPT_PROPAGATION, NULL,
     N_("ask every authoritative server directly, compare"), NULL},
    {"qps", required_argument, OPT_QPS, "N",
     N_("at most N DNS queries a second (default: no limit)"), NULL},
    {"quiet", no_argument, 'q', NULL, N_("text: print only domains not ok"),
     NULL},
    {"resolver", required_argument, 'r', "ADDR[:PORT]",
     N_("DNS server to ask (repeatable)"), NULL},
    {"shard", required_argument, OPT_SHARD, "K/N",
     N_("check only the domains of shard K of N"), NULL},
    {"smtp-port", required_argument, OPT_SMTP_PORT, "N",
     N_("port of the MX hosts (default 25)"), NULL},
    {"smtp-timeout", required_argument, OPT_SMTP_TIMEOUT, "SECONDS",
     N_("TCP connect timeout of an SMTP probe (default 5)"), NULL},
    {"state", required_argument, OPT_STATE, "FILE",
     N_("remember results in FILE, report changes"), NULL},
    {"timeout", required_argument, 't', "SECONDS",
     N_("time limit per domain (default 20)"), NULL},
    {"version", no_argument, 'V', NULL, N_("show the version"), NULL},
};

#define N_OPTS (sizeof(optdefs) / sizeof(optdefs[0]))

const struct mts_optdef *
mts_cli_optdefs(size_t *n)
{
  *n = N_OPTS;
  return optdefs;
}

void
mts_cli_help(FILE *out)
{
  fputs(_("usage: mtasts-check [options] DOMAIN...\n"
          "       mtasts-check [options] -f FILE\n"
          "       mtasts-check [options] --policy-file FILE\n"
          "       mtasts-check report [options] PATH...  (TLS-RPT reports; "
          "see report --help)\n"
          "       mtasts-check plan [options] DOMAIN  (what to publish; see "
          "plan --help)\n"
          "\n"
          "Check a mail domain's MTA-STS (RFC 8461) and SMTP TLS Reporting\n"
          "(RFC 8460) records and say what to fix.\n"
          "\n"
          "Options:\n"),
        out);
  mts_opttab_help(out, optdefs, N_OPTS);
  fputs(_("\n"
          "Default resolvers: /etc/resolv.conf. ADDR is IPv4[:PORT] or\n"
          "[IPv6]:PORT.\n"
          "\n"
          "Exit status: 0 all ok, 1 warning, 2 error, 3 unknown (the check\n"
          "could not be completed), 64 usage error.\n"
          "See mtasts-check(1) and docs/findings.md for every finding code.\n"),
        out);
}

static int
parse_long(const char *s, long min, long max, long *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
    return -1;
  }
  *out = v;
  return 0;
}

/* --ehlo: RFC 5321 §4.1.1.1 Domain or address-literal; no space, no
 * control character, at most 255 octets. */
static int
ehlo_ok(const char *s)
{
  size_t n = strlen(s);

  if (n == 0 || n > 255) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
          c == '[' || c == ']' || c == ':')) {
      return 0;
    }
  }
  return 1;
}

/* Seconds, possibly with a fraction: "20", "0.5". */
static int
parse_seconds(const char *s, long *ms)
{
  char *end;
  double v;

  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !(v > 0.0) || v > 86400.0) {
    return -1;
  }
  *ms = (long)(v * 1000.0 + 0.5);
  if (*ms < 1) {
    *ms = 1;
  }
  return 0;
}

/* ADDR[:PORT]: IPv4, IPv4:port, IPv6, [IPv6] or [IPv6]:port. */
static int
valid_server(const char *s)
{
  char host[INET6_ADDRSTRLEN + 1];
  unsigned char addr[16];
  const char *port = NULL;
  size_t len;
  long p;

  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (close == NULL) {
      return 0;
    }
    len = (size_t)(close - s - 1);
    if (close[1] == ':') {
      port = close + 2;
    } else if (close[1] != '\0') {
      return 0;
    }
    if (len >= sizeof(host)) {
      return 0;
    }
    memcpy(host, s + 1, len);
    host[len] = '\0';
    if (inet_pton(AF_INET6, host, addr) != 1) {
      return 0;
    }
  } else if (inet_pton(AF_INET6, s, addr) == 1) {
    return 1;
  } else {
    const char *colon = strchr(s, ':');
    len = colon ? (size_t)(colon - s) : strlen(s);
    if (len >= sizeof(host)) {
      return 0;
    }
    memcpy(host, s, len);
    host[len] = '\0';
    if (inet_pton(AF_INET, host, addr) != 1) {
      return 0;
    }
    port = colon ? colon + 1 : NULL;
  }
  return port == NULL || parse_long(port, 1, 65535, &p) == 0;
}

/* --ca-file must be readable and hold at least one PEM certificate: a
 * wrong file would otherwise show as a TLS failure of every domain. */
static int
pem_has_certificate(const char *path, char *errbuf, size_t errsz)
{
  FILE *f = fopen(path, "r");
  char line[256];
  int found = 0;

  if (f == NULL) {
    snprintf(errbuf, errsz, _("cannot read --ca-file '%s': %s"), path,
             strerror(errno));
    return 0;
  }
  while (!found && fgets(line, sizeof(line), f) != NULL) {
    found = strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0;
  }
  fclose(f);
  if (!found) {
    snprintf(errbuf, errsz,
             _("--ca-file '%s' holds no PEM certificate (-----BEGIN "
               "CERTIFICATE-----)"),
             path);
  }
  return found;
}

/* The option getopt complained about: a long option as written (without
 * "=value"), else the short option character, which inside a cluster such
 * as -xj is not argv[optind - 1] itself. */
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

static int
color_wanted(const char *when, int *color)
{
  const char *no_color;

  if (strcmp(when, "always") == 0) {
    *color = 1;
  } else if (strcmp(when, "never") == 0) {
    *color = 0;
  } else if (strcmp(when, "auto") == 0) {
    /* https://no-color.org: NO_COLOR set and not empty turns it off. */
    no_color = getenv("NO_COLOR");
    *color = isatty(STDOUT_FILENO) && (no_color == NULL || !no_color[0]);
  } else {
    return -1;
  }
  return 0;
}

enum mts_err
mts_cli_parse(int argc, char **argv, struct mts_opts *o, char *errbuf,
              size_t errsz)
{
  struct option longopts[N_OPTS + 1];
  const char *color = "auto";
  const char *progress = "auto";
  char name[80];
  long v;
  int c;

  memset(o, 0, sizeof(o[0]));
  o->run.timeout_ms = DEFAULT_TIMEOUT_S * 1000L;
  o->run.concurrency = DEFAULT_CONCURRENCY;
  o->write.format = MTS_FORMAT_TEXT;
  o->run.out = stdout;
  o->run.resolver.tries = 3;
  o->run.smtp_port = 25;
  o->run.smtp_timeout_ms = 5000;
  o->run.ns_port = 53;
  if (gethostname(o->ehlo_buf, sizeof(o->ehlo_buf)) != 0 ||
      o->ehlo_buf[0] == '\0') {
    snprintf(o->ehlo_buf, sizeof(o->ehlo_buf), "localhost");
  }
  o->ehlo_buf[sizeof(o->ehlo_buf) - 1] = '\0';
  o->run.ehlo = o->ehlo_buf;

  mts_opttab_longopts(optdefs, N_OPTS, longopts);

  /* 0, not 1: glibc then also resets its position inside a cluster of short
   * options, which otherwise points into a previous argv. */
  optind = 0;
  opterr = 0;
  /* Leading ':' so a missing argument is told apart from an unknown one. */
  while ((c = getopt_long(argc, argv, ":Vf:hjqr:t:", longopts, NULL)) != -1) {
    switch (c) {
      case 'V':
        o->version = 1;
        break;
      case 'f':
        o->file = optarg;
        break;
      case 'h':
        o->help = 1;
        break;
      case 'j':
        o->write.format = MTS_FORMAT_JSON;
        break;
      case 'q':
        o->write.quiet = 1;
        break;
      case 'r': {
        char **s;
        if (!valid_server(optarg)) {
          snprintf(errbuf, errsz,
                   _("invalid --resolver '%s': expected IPv4[:PORT] or "
                     "[IPv6]:PORT"),
                   optarg);
          return MTS_EINVAL;
        }
        if (o->n_servers == MAX_SERVERS) {
          snprintf(errbuf, errsz, _("at most %d --resolver options"),
                   MAX_SERVERS);
          return MTS_EINVAL;
        }
        s = realloc(o->servers, (o->n_servers + 1) * sizeof(*s));
        if (s == NULL) {
          return MTS_ENOMEM;
        }
        o->servers = s;
        o->servers[o->n_servers++] = optarg;
        break;
      }
      case 't':
        if (parse_seconds(optarg, &o->run.timeout_ms) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --timeout '%s': expected seconds, more than 0 "
                     "and at most 86400"),
                   optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_CA_FILE:
        if (!pem_has_certificate(optarg, errbuf, errsz)) {
          return MTS_EINVAL;
        }
        o->run.ca_file = optarg;
        break;
      case OPT_FORMAT:
        if (strcmp(optarg, "text") == 0) {
          o->write.format = MTS_FORMAT_TEXT;
        } else if (strcmp(optarg, "json") == 0) {
          o->write.format = MTS_FORMAT_JSON;
        } else if (strcmp(optarg, "prometheus") == 0) {
          o->write.format = MTS_FORMAT_PROMETHEUS;
        } else {
          snprintf(
              errbuf, errsz,
              _("invalid --format '%s': expected text, json or prometheus"),
              optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_NO_POLICY:
        o->run.no_policy = 1;
        break;
      case OPT_COLOR:
        color = optarg;
        break;
      case OPT_POLICY_FILE:
        o->policy_file = optarg;
        break;
      case OPT_LANG: /* applied by main before parsing */
        if (!mts_lang_valid(optarg)) {
          snprintf(errbuf, errsz,
                   _("invalid --lang '%s': expected auto, C, en or ja"),
                   optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_PROGRESS:
        progress = optarg;
        break;
      case OPT_QPS: {
        char *end;
        double q;
        errno = 0;
        q = strtod(optarg, &end);
        if (errno != 0 || end == optarg || *end != '\0' || !(q >= 0.1) ||
            q > MAX_QPS) {
          snprintf(errbuf, errsz,
                   _("invalid --qps '%s': expected queries a second, 0.1 to "
                     "%.0f"),
                   optarg, MAX_QPS);
          return MTS_EINVAL;
        }
        o->run.resolver.qps = q;
        break;
      }
      case OPT_SHARD:
        if (mts_shard_parse(optarg, &o->run.shard_k, &o->run.shard_n) !=
            MTS_OK) {
          snprintf(errbuf, errsz,
                   _("invalid --shard '%s': expected K/N with 1 <= K <= N <= "
                     "%lu, e.g. 1/4"),
                   optarg, MTS_SHARD_MAX);
          return MTS_EINVAL;
        }
        break;
      case OPT_STATE:
        if (optarg[0] == '\0') {
          snprintf(errbuf, errsz, _("invalid --state '': expected a file"));
          return MTS_EINVAL;
        }
        o->state_file = optarg;
        break;
      case OPT_NO_SMTP:
        o->run.no_smtp = 1;
        break;
      case OPT_EHLO:
        if (!ehlo_ok(optarg)) {
          snprintf(errbuf, errsz,
                   _("invalid --ehlo '%s': expected a host name or an address "
                     "literal"),
                   optarg);
          return MTS_EINVAL;
        }
        o->run.ehlo = optarg;
        break;
      case OPT_SMTP_PORT:
        if (parse_long(optarg, 1, 65535, &v) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --smtp-port '%s': expected 1 to "
                     "65535"),
                   optarg);
          return MTS_EINVAL;
        }
        o->run.smtp_port = (unsigned)v;
        break;
      case OPT_PROPAGATION:
        o->run.propagation = 1;
        break;
      case OPT_NS_PORT:
        if (parse_long(optarg, 1, 65535, &v) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --ns-port '%s': expected 1 to 65535"), optarg);
          return MTS_EINVAL;
        }
        o->run.ns_port = (unsigned)v;
        break;
      case OPT_SMTP_TIMEOUT:
        if (parse_seconds(optarg, &o->run.smtp_timeout_ms) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --smtp-timeout '%s': expected seconds, more than "
                     "0 and at most 86400"),
                   optarg);
          return MTS_EINVAL;
        }
        break;
      case OPT_CONCURRENCY:
        if (parse_long(optarg, 1, MAX_CONCURRENCY, &v) != 0) {
          snprintf(errbuf, errsz,
                   _("invalid --concurrency '%s': expected 1 to %d"), optarg,
                   MAX_CONCURRENCY);
          return MTS_EINVAL;
        }
        o->run.concurrency = (size_t)v;
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
  if (o->help || o->version) {
    return MTS_OK;
  }
  if (color_wanted(color, &o->write.color) != 0) {
    snprintf(errbuf, errsz,
             _("invalid --color '%s': expected auto, always or never"), color);
    return MTS_EINVAL;
  }
  /* auto: a person watches stderr (a terminal); never in a pipe or log. */
  if (strcmp(progress, "always") == 0) {
    o->run.progress = 1;
  } else if (strcmp(progress, "never") == 0) {
    o->run.progress = 0;
  } else if (strcmp(progress, "auto") == 0) {
    /* Not for one domain named on the command line: nothing to follow. */
    o->run.progress = isatty(STDERR_FILENO) && argc - optind != 1;
  } else {
    snprintf(errbuf, errsz,
             _("invalid --progress '%s': expected auto, always or never"),
             progress);
    return MTS_EINVAL;
  }
  o->domains = argv + optind;
  o->n_domains = (size_t)(argc - optind);
  if (o->policy_file != NULL) {
    if (o->state_file != NULL) {
      snprintf(errbuf, errsz,
               _("--state goes with domain checks, not "
                 "--policy-file"));
      return MTS_EINVAL;
    }
    if (o->write.format == MTS_FORMAT_PROMETHEUS || o->run.shard_n > 0) {
      snprintf(errbuf, errsz,
               _("--format prometheus and --shard go with domain checks, not "
                 "--policy-file"));
      return MTS_EINVAL;
    }
    if (o->file != NULL || o->n_domains > 0) {
      snprintf(errbuf, errsz,
               _("--policy-file checks a file offline: give no domains"));
      return MTS_EINVAL;
    }
    return MTS_OK;
  }
  if (o->file != NULL && o->n_domains > 0) {
    snprintf(errbuf, errsz, _("give domains or -f FILE, not both"));
    return MTS_EINVAL;
  }
  if (o->file == NULL && o->n_domains == 0) {
    snprintf(errbuf, errsz, _("no domain given"));
    return MTS_EINVAL;
  }
  o->run.resolver.servers = (const char *const *)o->servers;
  o->run.resolver.n_servers = o->n_servers;
  /* First try's timeout: a tenth of the budget, 200 ms to 1 s; c-ares
   * doubles it on each retry (1 + 2 + 4 s with the defaults), so a lost
   * datagram costs a second, not the whole check. */
  v = o->run.timeout_ms / 10;
  o->run.resolver.try_timeout_ms = (int)(v < 200 ? 200 : v > 1000 ? 1000 : v);
  return MTS_OK;
}

void
mts_cli_release(struct mts_opts *o)
{
  free(o->servers);
  o->servers = NULL;
  o->n_servers = 0;
}
