#ifndef MTS_PLAN_H
#define MTS_PLAN_H

/* `mtasts-check plan DOMAIN` (rollout.md R187-R196, R204): what to publish
 * and in what order, derived from a judged check result. Plain data, made
 * by mts_plan_build (check.h) and written by the plan writers (output.h);
 * tests build and inspect it directly. */

#include <stddef.h>

/*! The mode a plan recommends. */
enum mts_plan_mode {
  MTS_PLAN_MODE_AUTO = 0, /*!< options only: derive it (R189) */
  MTS_PLAN_MODE_TESTING,
  MTS_PLAN_MODE_ENFORCE,
  MTS_PLAN_MODE_NONE,
};

/*! \return "testing", "enforce", "none" (or "auto"). */
const char *mts_plan_mode_str(enum mts_plan_mode m);

/*! What to do in one step (R192), in the order they apply. */
enum mts_plan_action {
  MTS_PLAN_TLSRPT_RECORD = 0, /*!< "tlsrpt-record" */
  MTS_PLAN_CREATE_MAILBOX,    /*!< "create-mailbox" */
  MTS_PLAN_POLICY_FILE,       /*!< "policy-file" */
  MTS_PLAN_STS_RECORD,        /*!< "sts-record" */
  MTS_PLAN_WAIT,              /*!< "wait" */
};

/*! \return the action's JSON word, "tlsrpt-record", ... */
const char *mts_plan_action_str(enum mts_plan_action a);

/*! The largest max_age the plan accepts (R189: 0..31557600). */
#define MTS_PLAN_MAX_AGE_MAX 31557600L

/*! What the planner is told besides the check result. */
struct mts_plan_opts {
  enum mts_plan_mode mode; /*!< --mode, or AUTO */
  char *const *rua;        /*!< --rua URIs (borrowed), n_rua = 0: none */
  size_t n_rua;
  long max_age;  /*!< --max-age, or -1 */
  long long now; /*!< the run's clock, epoch seconds UTC (never read from
                      the system here: the planner is pure) */
  /*! Stale caches (rollout.md R200-R202, --state): the time until which senders
   * may still hold the previous policy (previous last seen + previous max_age,
   * the check's "old_policy_until"), epoch s; -1 = not known. The wait step
   * ends no earlier than this. */
  long long old_policy_until;
};

/*! One DNS record to publish. */
struct mts_plan_record {
  char *name;  /*!< "_mta-sts.example.com" */
  char *value; /*!< the TXT value, one line */
  int changed; /*!< differs from what is live */
};

/*! A pattern of the live policy the plan drops (R188). */
struct mts_plan_removed {
  char *pattern;
  const char *reason; /*!< static sentence */
};

/*! One step (R192). */
struct mts_plan_step {
  enum mts_plan_action action;
  char *text;           /*!< one sentence: what and why (English: JSON) */
  char *text_local;     /*!< the same in the user's language (text) */
  long long not_before; /*!< wait: when it ends (epoch s UTC); else -1 */
};

/*! A plan: caller-owned storage, mts_plan_init then mts_plan_release. */
struct mts_plan {
  char *domain;
  struct mts_plan_record sts, tlsrpt;
  struct {
    char *body; /*!< exact bytes, CRLF line ends, NUL-terminated */
    size_t body_len;
    enum mts_plan_mode mode;
    long max_age;
    char **mx;
    size_t n_mx;
    int changed;
    char *url; /*!< where to serve it */
  } policy;
  struct mts_plan_removed *removed;
  size_t n_removed;
  struct mts_plan_step *steps;
  size_t n_steps;
  int ready;             /*!< ready_for_enforce: 1, 0, -1 = null */
  const char **blockers; /*!< static code names (finding codes, or
                              MX_TLS_NOT_CHECKED, POLICY_NOT_CHECKED,
                              POLICY_NOT_SERVED) */
  size_t n_blockers;
};

/*! Zero \p p (ready = -1). */
void mts_plan_init(struct mts_plan *p);

/*! Free what \p p owns; it is left initialised. */
void mts_plan_release(struct mts_plan *p);

#endif
