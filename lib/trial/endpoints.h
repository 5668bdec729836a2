/* endpoints.h: a patient's endpoints (the model's table, model_impl.h), followed step by step
 * (internal). */
#ifndef CART_TRIAL_ENDPOINTS_H
#define CART_TRIAL_ENDPOINTS_H

#include <cart/cart_trial.h>

#include "../models/model_impl.h"
#include "../solver/solver_impl.h"

#define CART_MAX_STATES_ENDPOINTS 32
/* Distinct (input, direction) extremes a tracker follows: the maxima and minima its endpoints
 * read (cmax and tmax share one; cart2's CRS signal is IL6s, so crs_grade and il6s_peak do). */
#define CARTP_MAX_EXTREMES 8
/* The most values of the extended vector at a day (the statistics' NAME@DAY, cart-targets(5)) a
 * trial follows besides its endpoints. */
#define CARTP_MAX_VALUES_AT 16

typedef struct cartp_extreme {
  int role;           /* its input */
  double sign;        /* +1: max, -1: min */
  double value, time; /* so far */
  /* the running value was set at the end of the last step, so it may still rise (or fall) just
   * after the start of the next (endpoints.c) */
  unsigned char at_step_end;
} cartp_extreme;

/* The levels of a trial's endpoints (model_impl.h, cartp_level) as its settings give them, before
 * a patient's scale: made once by cart_trial_prepare (cartp_level_plan_make), so that a patient's
 * tracker only multiplies. */
typedef struct cartp_level_plan {
  double base[CARTP_MAX_ENDPOINTS][CARTP_MAX_LEVELS];       /* the setting's value */
  signed char param[CARTP_MAX_ENDPOINTS][CARTP_MAX_LEVELS]; /* CART_LEVEL_PARAM: its index; -1 */
  unsigned char initial[CARTP_MAX_ENDPOINTS]; /* bit j: level j is times the input at t = 0 */
} cartp_level_plan;

/* The plan of `model`'s endpoints from the trial-wide settings and the values of the model's own
 * (own[k] for setting k of cartp_model_endpoint_settings; trial-wide ones there are not read).
 * The table must have passed cartp_model_check_endpoints. */
void cartp_level_plan_make(cartp_level_plan *plan, const cart_model *model,
                           cart_endpoint_settings *settings, const double *own);

typedef struct cartp_endpoint_tracker {
  const cart_model *model;
  const cartp_level_plan *plan;
  const double *p; /* the patient's parameters */
  /* each endpoint's levels for this patient (cartp_endpoints_begin; the ones scaled by the
   * input's initial value at the first segment start): the steps only read them */
  double level[CARTP_MAX_ENDPOINTS][CARTP_MAX_LEVELS];
  int started;
  double t_last;
  double v_last[CART_N_ROLES];
  int entry_of_role[CART_N_ROLES]; /* each role's entry of the extended vector, -1 for none */
  /* the roles the steps read (an extreme's, an endpoint's, the response machine's), listed once
   * so that a step takes only those from its samples (v_last of the others is not kept) */
  unsigned char n_step_roles;
  unsigned char step_role[CART_N_ROLES];
  size_t n_extremes;
  cartp_extreme extremes[CARTP_MAX_EXTREMES];
  signed char extreme_of[CARTP_MAX_ENDPOINTS]; /* endpoint -> its extreme, -1 for none */
  signed char role_of[CARTP_MAX_ENDPOINTS];    /* endpoint -> its input role */
  /* the endpoints that need work at every step (an integral, a value at a day) and at every
   * sample (a time below, a first crossing), listed once so that the steps need not walk the
   * whole table */
  unsigned char n_per_step, n_per_sample;
  unsigned char per_step[CARTP_MAX_ENDPOINTS], per_sample[CARTP_MAX_ENDPOINTS];
  /* per endpoint: its reducer and whether it reads the row's day, looked up once (the steps
   * branch on them) */
  unsigned char reducer_of[CARTP_MAX_ENDPOINTS];
  unsigned char reads_day[CARTP_MAX_ENDPOINTS];
  /* per endpoint: the integral, time below, crossing (first, last, after the maximum), value at
   * a day or recovery day so far */
  double value[CARTP_MAX_ENDPOINTS];
  /* per recovery endpoint (CARTP_REDUCE_RECOVERY_DAY): how far it is; per fall-after-maximum
   * endpoint: 1 once its input has first risen (endpoints.c) */
  unsigned char phase[CARTP_MAX_ENDPOINTS];
  /* per fall-after-maximum endpoint (CARTP_REDUCE_FALL_AFTER_MAX): the running maximum of its
   * input over the samples */
  double running_max[CARTP_MAX_ENDPOINTS];
  /* the response machine (RESPONSE, RELAPSE_DAY, RELAPSE_NEGATIVE) over one tumour input; -1:
   * no endpoint needs it. Its levels (n_detect, t_resp) are those of row response_row (the rows
   * of the machine read the same ones: cartp_model_check_endpoints). */
  int tumour_role;
  int response_row;
  int tumour_min; /* its extreme (the nadir) */
  double tumour0, cr_time, relapse_day;
  int relapse_negative;
  /* values of the extended vector [states..., signals...] at days (cartp_endpoints_values_at):
   * entry index[j] at day[j], taken as VALUE_AT takes its input (the dense output at that day,
   * before an event's jump there); NaN until that day is reached */
  size_t n_values_at;
  int value_at_index[CARTP_MAX_VALUES_AT];
  double value_at_day[CARTP_MAX_VALUES_AT];
  double value_at[CARTP_MAX_VALUES_AT];
} cartp_endpoint_tracker;

/* Prepares the tracker for one patient and returns the observer to pass to the solver. The
 * model's table must have passed cartp_model_check_endpoints. */
cartp_step_observer cartp_endpoints_begin(cartp_endpoint_tracker *tracker, const cart_model *model,
                                          const cartp_level_plan *plan, const double *p);

/* After cartp_endpoints_begin: also follow entry index[j] of the extended vector at day[j], j < n
 * (n <= CARTP_MAX_VALUES_AT; the values in tracker->value_at when the solve is done). */
void cartp_endpoints_values_at(cartp_endpoint_tracker *tracker, size_t n, const int *index,
                               const double *day);

/* Writes the model's n_endpoints values (horizon: the last output time; toci_doses given). */
void cartp_endpoints_end(const cartp_endpoint_tracker *tracker, double horizon, int toci_doses,
                         double *endpoints);

#endif
