/* calibrate_impl.h: the inside of cart_targets and the statistics of a simulated trial
 * (internal; targets.c owns both, calibrate.c uses them). */
#ifndef CART_CALIBRATE_IMPL_H
#define CART_CALIBRATE_IMPL_H

#include <cart/cart_calibrate.h>

#include "../trial/endpoints.h" /* CARTP_MAX_VALUES_AT */

typedef struct cartp_target {
  char *name;     /* blanks removed */
  char *argument; /* endpoint or parameter (NAME of NAME@DAY), or NULL */
  cart_statistic statistic;
  int is_rate;
  double day, q;
  double at; /* NAME@DAY: the day (the argument a state or signal of the model), else NaN */
  cart_comparison comparison; /* fraction's, else CART_COMPARE_NONE */
  double threshold;           /* fraction's X, else NaN */
  double observed, lower, upper, se;
  size_t count, total;
  int line;
} cartp_target;

typedef struct cartp_free {
  char *name;
  int is_cv;
  double lower, upper;
  int line;
} cartp_free;

/* A [calibrate] or [trial] number: its line (0: not given) and value. */
typedef struct cartp_setting {
  int line;
  double value;
} cartp_setting;

enum {
  SETTING_N_OBSERVED, /* [trial] n */
  SETTING_N_PATIENTS,
  SETTING_SEED,
  SETTING_MAX_EVALUATIONS,
  SETTING_INITIAL_STEP,
  SETTING_TOLERANCE,
  SETTING_FD_STEP,
  N_SETTINGS
};

struct cart_targets {
  char *source;
  char *trial_name;
  cartp_target *targets;
  size_t n_targets;
  cartp_free *free;
  size_t n_free;
  cartp_setting settings[N_SETTINGS];
  uint64_t seed; /* exact, beside settings[SETTING_SEED] */
};

/* The endpoints and parameters of a trial's patients in patient order (status kept, so that
 * statistics use the patients solved). */
typedef struct cartp_sim {
  size_t n, n_params, n_endpoints;
  /* the targets' distinct NAME@DAY (extended-vector index, day), in the order of their first
   * target: columns n_endpoints + j of the rows */
  size_t n_values_at, n_columns; /* n_columns = n_endpoints + n_values_at */
  int value_at_index[CARTP_MAX_VALUES_AT];
  double value_at_day[CARTP_MAX_VALUES_AT];
  /* the model's column of each endpoint of cart's list (targets name those), -1 for none */
  int oncology_column[CART_N_ENDPOINTS];
  int *status;
  double *endpoints; /* n x n_columns: the endpoints, then the values at days */
  double *params;    /* n x n_params */
  double *scratch;   /* n: sorted values */
  double *scratch2;  /* 2 n: (value, index) pairs for terciles */
} cartp_sim;

/* For the statistics of `targets` (checked against model), or of none (NULL): the endpoints'
 * columns and those of their NAME@DAY. */
int cartp_sim_init(cartp_sim *sim, size_t n, const cart_targets *targets, const cart_model *model,
                   cart_error *err);
void cartp_sim_clear(cartp_sim *sim);
/* Runs every patient of `trial` (sim->n must equal its N) in blocks, asking it for the values at
 * days of the sim for that run only (the trial's results otherwise as without them). */
int cartp_sim_run(cartp_sim *sim, cart_trial *trial, int n_threads, cart_error *err);
/* Each target's statistic and Monte-Carlo SE (NaN where undefined). `index[i]` is what target
 * i's argument names in the model: the parameter index of cr_tercile_diff, the column of
 * median, quantile, median_ratio, mean and fraction (an endpoint's, or n_endpoints + j for the
 * j-th distinct NAME@DAY, as cartp_sim_init numbers them); -1 otherwise. */
void cartp_statistics(const cart_targets *targets, const int *index, cartp_sim *sim,
                      double *values, double *mc_se);
/* index as above for `model` (targets already checked against it). */
void cartp_target_index(const cart_targets *targets, const cart_model *model, int *index);

/* A targets object of one statistic (cart-targets(5)'s grammar, `cr`, `median(cmax)`), without
 * an observed value or free parameters, for the analyses that compute a statistic of a trial
 * (sensitivity.c); check it with cart_targets_check. NULL with CART_EPARSE, CART_ERANGE or
 * CART_ENOMEM in *err, the message starting "statistic: ". */
cart_targets *cartp_targets_of_statistic(const char *statistic, cart_error *err);
/* cart_targets_check of such a statistic, its message with the same "statistic: " form. */
int cartp_targets_check_statistic(const cart_targets *targets, const cart_trial *trial,
                                  cart_error *err);

#define CARTP_Z95 1.959963984540054 /* the 97.5 % normal quantile */

#endif
