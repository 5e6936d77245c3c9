#include "writer.h"

#include <string.h>
#include <time.h>

static enum mts_err
on_result(void *arg, const struct mts_result *r)
{
  struct mts_writer *w = arg;

  switch (w->opts.format) {
    case MTS_FORMAT_JSON:
      return mts_report_json_write(w->out, r);
    case MTS_FORMAT_PROMETHEUS:
      return mts_report_prom_add(w->prom, r);
    case MTS_FORMAT_TEXT:
      break;
  }
  if (w->opts.quiet && r->status == MTS_STATUS_OK && r->changes.n == 0) {
    return MTS_OK;
  }
  w->text_written = 1;
  {
    struct mts_text_opts t = {w->opts.color};
    return mts_report_text_write(w->out, r, &t);
  }
}

static enum mts_err
on_end(void *arg, const struct mts_tally *tally, int several, int stopped)
{
  struct mts_writer *w = arg;
  char line[160];

  switch (w->opts.format) {
    case MTS_FORMAT_JSON:
      return MTS_OK; /* JSON Lines stay pure */
    case MTS_FORMAT_PROMETHEUS:
      /* Nothing after SIGINT or SIGTERM: metrics of part of the list
       * would replace those of the whole (docs/monitoring.md); stale ones
       * show in mtasts_last_run_timestamp_seconds. */
      return stopped ? MTS_OK
                     : mts_report_prom_write(w->out, w->prom,
                                             (long long)time(NULL));
    case MTS_FORMAT_TEXT:
      break;
  }
  /* The summary line ends text output of a list, or of several domains;
   * with --quiet only when something was printed (a cron job stays silent
   * when all is well). */
  if (!several || (w->opts.quiet && !w->text_written)) {
    return MTS_OK;
  }
  mts_summary_format(line, sizeof(line), tally);
  return fprintf(w->out, "%s\n", line) < 0 ? MTS_EIO : MTS_OK;
}

enum mts_err
mts_writer_init(struct mts_writer *w, const struct mts_write_opts *opts,
                FILE *out)
{
  memset(w, 0, sizeof(*w));
  w->opts = *opts;
  w->out = out;
  return opts->format == MTS_FORMAT_PROMETHEUS ? mts_report_prom_new(&w->prom)
                                               : MTS_OK;
}

struct mts_sink
mts_writer_sink(struct mts_writer *w)
{
  struct mts_sink s = {on_result, on_end, w};
  return s;
}

void
mts_writer_release(struct mts_writer *w)
{
  mts_report_prom_free(&w->prom);
}
