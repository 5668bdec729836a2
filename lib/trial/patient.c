/* patient.c: one patient's endpoints outside a trial (cart_endpoint_plan,
 * cart_solver_solve_endpoints; cart_trial.h), and the pieces the trial shares with it
 * (patient.h). A single solve runs the trial's tracker (endpoints.h) on the solver's observed
 * solve with the trial's level plan, settings check and tocilizumab count, so its endpoints are
 * the trial's for the same patient, bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_trial.h>

#include "../models/params_impl.h"
#include "../solver/dosing_impl.h"
#include "../solver/solver_struct.h" /* the solver's last error, where a solve's errors go */
#include "../util/error.h"
#include "endpoints.h"
#include "patient.h"
#include "trial_impl.h"

/* ---- shared with the trial ---- */

void cartp_endpoint_own_defaults(const cart_model *model, double *own)
{
  cart_param_info settings[CARTP_MAX_ENDPOINT_SETTINGS];
  const size_t n = cartp_model_endpoint_settings(model, settings, NULL);
  for (size_t k = 0; k < n; k++) {
    own[k] = settings[k].default_value;
  }
}

double *cartp_endpoint_setting_find(const cart_model *model, cart_endpoint_settings *settings,
                                    double *own, const char *name, cart_param_info *info,
                                    cart_error *err)
{
  const int t = cartp_trial_setting_index(name);
  if (t >= 0) {
    *info = cartp_trial_settings[t].info;
    return cartp_trial_setting_field(settings, t);
  }
  cart_param_info described[CARTP_MAX_ENDPOINT_SETTINGS];
  int is_own[CARTP_MAX_ENDPOINT_SETTINGS];
  const size_t n = cartp_model_endpoint_settings(model, described, is_own);
  for (size_t k = 0; k < n; k++) {
    if (is_own[k] && strcmp(described[k].name, name) == 0) {
      *info = described[k];
      return &own[k];
    }
  }
  char known[512] = "";
  for (int i = 0; i < CARTP_N_TRIAL_SETTINGS; i++) {
    strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
    strncat(known, cartp_trial_settings[i].info.name, sizeof known - strlen(known) - 1);
  }
  for (size_t k = 0; k < n; k++) {
    if (is_own[k]) {
      strncat(known, ", ", sizeof known - strlen(known) - 1);
      strncat(known, described[k].name, sizeof known - strlen(known) - 1);
    }
  }
  cartp_error(err, CART_EUNKNOWN_PARAM, "model '%s' has no endpoint setting '%s' (settings: %s)",
              model->name, name, known);
  return NULL;
}

int cartp_endpoint_setting_get(const cart_model *model, const cart_endpoint_settings *settings,
                               const double *own, const char *name, double *value)
{
  cart_param_info info;
  /* the lookup only reads: the casts let one function serve the setters too */
  const double *found = cartp_endpoint_setting_find(model, (cart_endpoint_settings *)settings,
                                                    (double *)own, name, &info, NULL);
  if (found == NULL) {
    return CART_EUNKNOWN_PARAM;
  }
  *value = *found;
  return CART_OK;
}

int cartp_endpoint_setting_set(const cart_model *model, cart_endpoint_settings *settings,
                               double *own, const char *name, double value, cart_error *err)
{
  cart_param_info info;
  double *target = cartp_endpoint_setting_find(model, settings, own, name, &info, err);
  if (target == NULL) {
    return CART_EUNKNOWN_PARAM;
  }
  if (!cartp_value_in_bounds(&info, value)) {
    char bounds[96];
    cartp_format_bounds(bounds, sizeof bounds, info.lower, info.upper, info.lower_open,
                        info.upper_open);
    return cartp_error(err, CART_ERANGE, "endpoint setting %s: %g is outside %s", name, value,
                       bounds);
  }
  *target = value;
  return CART_OK;
}

int cartp_endpoint_settings_check(const cart_endpoint_settings *s, cart_error *err)
{
  if (!(s->n_detect > 0 && s->t_resp > 0 && s->f_aplasia > 0 && s->auc_end > 0 && s->crs_g[0] > 0 &&
        s->crs_g[1] > s->crs_g[0] && s->crs_g[2] > s->crs_g[1] && s->crs_g[3] > s->crs_g[2] &&
        isfinite(s->n_detect + s->t_resp + s->f_aplasia + s->auc_end + s->crs_g[3]))) {
    return cartp_error(err, CART_ERANGE,
                       "endpoint settings: n_detect, t_resp, f_aplasia, auc_end must be positive "
                       "and crs_g1 < crs_g2 < crs_g3 < crs_g4");
  }
  return CART_OK;
}

size_t cartp_max_toci_doses(const cart_dosing *dosing)
{
  if (dosing == NULL) {
    return 0;
  }
  cart_toci_rule rule;
  cart_dosing_get_toci_rule(dosing, &rule);
  return dosing->n_toci + (rule.enabled ? (size_t)rule.max_doses : 0);
}

static int compare_times(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int cartp_toci_doses_given(const cart_dosing *dosing, const cart_solver *solver, double horizon,
                           double *times, size_t max_toci)
{
  size_t n = 0;
  for (size_t i = 0; i < dosing->n_toci && n < max_toci; i++) {
    if (dosing->toci[i].time <= horizon) {
      if (times != NULL) {
        times[n] = dosing->toci[i].time;
      }
      n++;
    }
  }
  const double *rule_times = NULL;
  const int n_rule = cartp_solver_rule_doses(solver, &rule_times);
  for (int i = 0; i < n_rule && n < max_toci; i++) {
    if (times != NULL) {
      times[n] = rule_times[i];
    }
    n++;
  }
  if (times != NULL) {
    qsort(times, n, sizeof *times, compare_times);
    for (size_t i = n; i < max_toci; i++) {
      times[i] = NAN;
    }
  }
  return (int)n;
}

/* ---- the plan ---- */

struct cart_endpoint_plan {
  const cart_model *model;
  cart_endpoint_settings settings;
  double own[CARTP_MAX_ENDPOINT_SETTINGS]; /* as a trial's endpoint_own */
  cart_error error;
};

cart_endpoint_plan *cart_endpoint_plan_new(const cart_model *model, cart_error *err)
{
  if (model == NULL) {
    cartp_error(err, CART_EINVAL, "cart_endpoint_plan_new: model is NULL");
    return NULL;
  }
  if (cartp_model_check_endpoints(model, err) != CART_OK) {
    return NULL; /* a table the tracker cannot follow, as cart_trial_new refuses it */
  }
  cart_endpoint_plan *plan = calloc(1, sizeof *plan);
  if (plan == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_endpoint_plan_new: out of memory");
    return NULL;
  }
  plan->model = model;
  cart_endpoint_settings_default(&plan->settings);
  cartp_endpoint_own_defaults(model, plan->own);
  return plan;
}

cart_endpoint_plan *cart_endpoint_plan_from_trial(const cart_trial *trial, cart_error *err)
{
  if (trial == NULL) {
    cartp_error(err, CART_EINVAL, "cart_endpoint_plan_from_trial: trial is NULL");
    return NULL;
  }
  cart_endpoint_plan *plan = cart_endpoint_plan_new(trial->model, err);
  if (plan != NULL) {
    plan->settings = trial->endpoints;
    memcpy(plan->own, trial->endpoint_own, sizeof plan->own);
  }
  return plan;
}

void cart_endpoint_plan_free(cart_endpoint_plan *plan)
{
  free(plan);
}

const cart_model *cart_endpoint_plan_model(const cart_endpoint_plan *plan)
{
  return plan ? plan->model : NULL;
}

int cart_endpoint_plan_set_setting(cart_endpoint_plan *plan, const char *name, double value)
{
  if (plan == NULL || name == NULL) {
    return CART_EINVAL;
  }
  return cartp_endpoint_setting_set(plan->model, &plan->settings, plan->own, name, value,
                                    &plan->error);
}

int cart_endpoint_plan_setting(const cart_endpoint_plan *plan, const char *name, double *value)
{
  if (plan == NULL || name == NULL || value == NULL) {
    return CART_EINVAL;
  }
  return cartp_endpoint_setting_get(plan->model, &plan->settings, plan->own, name, value);
}

const cart_error *cart_endpoint_plan_last_error(const cart_endpoint_plan *plan)
{
  return plan ? &plan->error : NULL;
}

/* ---- the solve ---- */

static void fill_nan(double *values, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    values[i] = NAN;
  }
}

int cart_solver_solve_endpoints(cart_solver *solver, const cart_params *params,
                                const cart_dosing *dosing, const cart_endpoint_plan *plan,
                                const double *times, size_t n_times, double *states,
                                double *outputs, double *endpoints)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &solver->error;
  if (params == NULL || endpoints == NULL) {
    return cartp_error(err, CART_EINVAL,
                       "cart_solver_solve_endpoints: params and endpoints must be given");
  }
  const cart_model *model = solver->model;
  fill_nan(endpoints, model->n_endpoints);
  if (params->model != model) {
    return cartp_error(err, CART_EINVAL, "parameters are for model '%s', the solver for '%s'",
                       params->model->name, model->name);
  }
  if (plan != NULL && plan->model != model) {
    return cartp_error(err, CART_EINVAL,
                       "the endpoint plan is for model '%s', the solver for '%s'",
                       plan->model->name, model->name);
  }
  /* the settings as a trial of them would have them at cart_trial_prepare */
  cart_endpoint_settings settings;
  double own[CARTP_MAX_ENDPOINT_SETTINGS];
  if (plan != NULL) {
    settings = plan->settings;
    memcpy(own, plan->own, sizeof own);
  } else {
    if (cartp_model_check_endpoints(model, err) != CART_OK) {
      return err->code;
    }
    cart_endpoint_settings_default(&settings);
    cartp_endpoint_own_defaults(model, own);
  }
  int status = cartp_endpoint_settings_check(&settings, err);
  if (status != CART_OK) {
    return status;
  }
  cartp_level_plan levels;
  cartp_level_plan_make(&levels, model, &settings, own);
  cartp_endpoint_tracker tracker;
  const cartp_step_observer observer =
      cartp_endpoints_begin(&tracker, model, &levels, params->values);
  status = cartp_solver_solve_observed(solver, params, dosing, times, n_times, states, outputs,
                                       &observer);
  if (status != CART_OK) {
    return status;
  }
  const double horizon = times[n_times - 1];
  const int n_toci = dosing != NULL ? cartp_toci_doses_given(dosing, solver, horizon, NULL,
                                                             cartp_max_toci_doses(dosing))
                                    : 0;
  cartp_endpoints_end(&tracker, horizon, n_toci, endpoints);
  return CART_OK;
}
