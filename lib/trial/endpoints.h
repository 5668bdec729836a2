/* endpoints.h: MODEL.md section 4 endpoints of one patient, followed step by step (internal). */
#ifndef CART_TRIAL_ENDPOINTS_H
#define CART_TRIAL_ENDPOINTS_H

#include <cart/cart_trial.h>

#include "../models/model_impl.h"
#include "../solver/solver_impl.h"

#define CART_MAX_STATES_ENDPOINTS 32

typedef struct cartp_endpoint_tracker {
  const cart_model *model;
  const cart_endpoint_settings *settings;
  const double *p; /* the patient's parameters */
  double b_threshold;
  double tumour0;
  int started;
  double t_last;
  double v_last[CART_N_ROLES];
  /* results so far */
  double cmax, tmax, auc, nadir, il6_peak, il6s_peak, aplasia, crs_onset, cr_time, relapse_day;
  double crs_peak; /* max of the CRS role: crs_grade */
  int relapse_negative;
  /* per refined extreme (endpoints.c): the running value was set at the end of the last step,
   * so it may still rise just after the start of the next */
  unsigned char extreme_at_step_end[8];
} cartp_endpoint_tracker;

/* Prepares the tracker for one patient and returns the observer to pass to the solver. */
cartp_step_observer cartp_endpoints_begin(cartp_endpoint_tracker *tracker, const cart_model *model,
                                          const cart_endpoint_settings *settings,
                                          const double *p);

/* Writes the CART_N_ENDPOINTS values (horizon: the last output time; toci_doses given). */
void cartp_endpoints_end(const cartp_endpoint_tracker *tracker, double horizon, int toci_doses,
                         double *endpoints);

#endif
