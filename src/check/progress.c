#include "mtasts/check.h"

#include "mtasts/i18n.h"

#include <stdio.h>
#include <string.h>

unsigned long
mts_tally_total(const struct mts_tally *t)
{
  return t->n[0] + t->n[1] + t->n[2] + t->n[3];
}

void
mts_tally_add(struct mts_tally *t, enum mts_status st)
{
  if ((unsigned)st < sizeof(t->n) / sizeof(t->n[0])) {
    t->n[st]++;
  }
}

/* snprintf's result, turned into what was really written. */
static size_t
written(int n, size_t size)
{
  if (n < 0 || size == 0) {
    return 0;
  }
  return (size_t)n < size ? (size_t)n : size - 1;
}

size_t
mts_summary_format(char *buf, size_t size, const struct mts_tally *t)
{
  unsigned long total = mts_tally_total(t);
  int n;

  /* ok, warning, error, unknown: the order people read them in, not the
   * order of the enum (which follows the exit codes' severity). */
  n = snprintf(buf, size,
               P_("checked %lu domain: %lu ok, %lu warning, %lu error, %lu "
                  "unknown",
                  "checked %lu domains: %lu ok, %lu warning, %lu error, %lu "
                  "unknown",
                  total),
               total, t->n[MTS_STATUS_OK], t->n[MTS_STATUS_WARNING],
               t->n[MTS_STATUS_ERROR], t->n[MTS_STATUS_UNKNOWN]);
  return written(n, size);
}

/* "7s", "4:05", "1:02:03". */
static void
duration(char *buf, size_t size, unsigned long s)
{
  if (s < 60) {
    snprintf(buf, size, "%lus", s);
  } else if (s < 3600) {
    snprintf(buf, size, "%lu:%02lu", s / 60, s % 60);
  } else {
    snprintf(buf, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
  }
}

size_t
mts_progress_format(char *buf, size_t size, unsigned long done,
                    unsigned long total, uint64_t elapsed_ms, size_t width)
{
  char text[128], eta[32];
  double rate =
      elapsed_ms > 0 ? (double)done * 1000.0 / (double)elapsed_ms : 0.0;
  size_t len, bar;
  int n;

  if (size == 0) {
    return 0;
  }
  if (total == 0) {
    n = snprintf(text, sizeof(text), _("%lu checked  %.0f/s"), done, rate);
    len = written(n, sizeof(text));
    if (len > width) {
      len = width;
    }
    if (len >= size) {
      len = size - 1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    return len;
  }
  if (done > total) {
    total = done; /* the count up front may have been short */
  }
  if (rate > 0.0) {
    duration(eta, sizeof(eta),
             (unsigned long)((double)(total - done) / rate + 0.5));
  } else {
    snprintf(eta, sizeof(eta), "-");
  }
  n = snprintf(text, sizeof(text), _("  %lu/%lu  %3lu%%  %.0f/s  ETA %s"), done,
               total, (unsigned long)((double)done * 100.0 / (double)total),
               rate, eta);
  len = written(n, sizeof(text));
  /* The bar takes what the numbers leave, 10 to 40 columns, or nothing. */
  bar = width > len + 2 ? width - len - 2 : 0;
  if (bar > 40) {
    bar = 40;
  }
  if (bar < 10) {
    bar = 0;
  }
  if (bar + (bar ? 2 : 0) + len >= size) {
    bar = 0;
  }
  {
    size_t o = 0;
    const char *t = text;
    size_t tl = len;
    if (bar > 0) {
      size_t fill = (size_t)((double)bar * (double)done / (double)total);
      buf[o++] = '[';
      for (size_t i = 0; i < bar; i++) {
        buf[o++] = i < fill ? '#' : '.';
      }
      buf[o++] = ']';
    } else {
      t += 2; /* no bar: no gap before the numbers */
      tl -= 2;
    }
    if (o + tl > width) {
      tl = width > o ? width - o : 0;
    }
    if (o + tl >= size) {
      tl = size - 1 - o;
    }
    memcpy(buf + o, t, tl);
    o += tl;
    buf[o] = '\0';
    return o;
  }
}
