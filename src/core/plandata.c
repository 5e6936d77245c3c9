#include "mtasts/plan.h"

#include <stdlib.h>
#include <string.h>

const char *
mts_plan_mode_str(enum mts_plan_mode m)
{
  switch (m) {
    case MTS_PLAN_MODE_AUTO:
      return "auto";
    case MTS_PLAN_MODE_TESTING:
      return "testing";
    case MTS_PLAN_MODE_ENFORCE:
      return "enforce";
    case MTS_PLAN_MODE_NONE:
      return "none";
  }
  return "?";
}

const char *
mts_plan_action_str(enum mts_plan_action a)
{
  switch (a) {
    case MTS_PLAN_TLSRPT_RECORD:
      return "tlsrpt-record";
    case MTS_PLAN_CREATE_MAILBOX:
      return "create-mailbox";
    case MTS_PLAN_POLICY_FILE:
      return "policy-file";
    case MTS_PLAN_STS_RECORD:
      return "sts-record";
    case MTS_PLAN_WAIT:
      return "wait";
  }
  return "?";
}

void
mts_plan_init(struct mts_plan *p)
{
  memset(p, 0, sizeof(*p));
  p->policy.max_age = -1;
  p->ready = -1;
}

static void
record_release(struct mts_plan_record *rec)
{
  free(rec->name);
  free(rec->value);
}

void
mts_plan_release(struct mts_plan *p)
{
  free(p->domain);
  record_release(&p->sts);
  record_release(&p->tlsrpt);
  free(p->policy.body);
  for (size_t i = 0; i < p->policy.n_mx; i++) {
    free(p->policy.mx[i]);
  }
  free(p->policy.mx);
  free(p->policy.url);
  for (size_t i = 0; i < p->n_removed; i++) {
    free(p->removed[i].pattern);
  }
  free(p->removed);
  for (size_t i = 0; i < p->n_steps; i++) {
    free(p->steps[i].text);
    free(p->steps[i].text_local);
  }
  free(p->steps);
  free(p->blockers);
  mts_plan_init(p);
}
