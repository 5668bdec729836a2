/* fit.c: fitting one patient's observations (cart_fit.h): the parameter scales, the objective
 * and its gradient, the two optimisers, the Fisher information and what is reported from it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_vector.h>

#include <cart/cart_grammar.h>
#include <cart/cart_solver.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../models/model_impl.h"
#include "../models/params_impl.h"
#include "../util/error.h"
#include "../util/gsl_init.h"
#include "fit_impl.h"

#define FIT_MAX_THETA 34 /* 32 parameters and two sigmas */
#define FIT_RTOL 1e-9    /* the solver's relative tolerance inside a fit */
#define FIT_FD_STEP 1e-4 /* the step in theta of the finite-difference gradient */
#define FIT_SENS_RTOL 1e-9
#define FIT_TINY 1e-300
/* Identifiability: an eigenvalue of the information below this share of the largest, a standard
 * error on theta above FIT_SE_MAX, a correlation above FIT_CORR_MAX. */
#define FIT_EIG_MIN 1e-10
#define FIT_SE_MAX 2.0
#define FIT_CORR_MAX 0.99
#define FIT_Z95 1.959963984540054 /* the 97.5 % point of the standard normal */

/* How a parameter lies on theta. */
typedef enum scale_kind {
  SCALE_LOG,      /* p = lower + exp(theta) */
  SCALE_LOGIT,    /* p = lower + (upper - lower) s(theta), s the logistic function */
  SCALE_LOG_LOGIT /* log p = log lower + (log upper - log lower) s(theta) */
} scale_kind;

typedef struct fit_param {
  int index; /* in the model's table */
  const char *name;
  scale_kind scale;
  double lower, upper; /* the scale's; for SCALE_LOG the model's upper clamps */
  double initial;
  int has_prior;
  double prior_log_median, prior_omega;
} fit_param;

struct cart_fit {
  const cart_model *model;
  cart_params *params; /* the starting point and the fixed values */
  cart_params *work;   /* the values at the theta being evaluated */
  cart_dosing *dosing; /* NULL: none */
  const cart_fit_data *data;
  cart_solver *solver;
  fit_param fp[FIT_MAX_THETA];
  size_t np;
  cart_fit_error_kind kind;
  int log_scale, estimate_sigma, use_fd;
  double sigma_add, sigma_prop;
  int sens_failed; /* the sensitivity equations refused this fit's schedule: differences */
  unsigned long n_sens, n_fd_fallbacks; /* gradients by each method */
  /* buffers */
  double *times, *states, *pred, *sens, *y_sens, *dydp;
  /* result */
  int have_result;
  double theta_hat[FIT_MAX_THETA], se_theta[FIT_MAX_THETA];
  double correlation[FIT_MAX_THETA * FIT_MAX_THETA];
  int flags[FIT_MAX_THETA];
  double objective;
  int iterations;
  const char *optimiser;
  char report[1024];
  cart_error error;
};

static double logistic(double x)
{
  return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* theta -> p and dp/dtheta. */
static double param_value(const fit_param *f, double theta, double *dp)
{
  switch (f->scale) {
  case SCALE_LOG: {
    const double e = exp(theta);
    double p = f->lower + e;
    *dp = e;
    if (p > f->upper) { /* clamped at the model's bound */
      p = f->upper;
      *dp = 0;
    }
    return p;
  }
  case SCALE_LOGIT: {
    const double s = logistic(theta);
    *dp = (f->upper - f->lower) * s * (1 - s);
    return f->lower + (f->upper - f->lower) * s;
  }
  case SCALE_LOG_LOGIT:
  default: {
    const double s = logistic(theta), w = log(f->upper) - log(f->lower);
    const double p = exp(log(f->lower) + w * s);
    *dp = p * w * s * (1 - s);
    return p;
  }
  }
}

static double param_theta(const fit_param *f, double p)
{
  switch (f->scale) {
  case SCALE_LOG:
    return log(p - f->lower);
  case SCALE_LOGIT: {
    const double u = (p - f->lower) / (f->upper - f->lower);
    return log(u / (1 - u));
  }
  case SCALE_LOG_LOGIT:
  default: {
    const double u = (log(p) - log(f->lower)) / (log(f->upper) - log(f->lower));
    return log(u / (1 - u));
  }
  }
}

static size_t n_sigma(const cart_fit *fit)
{
  if (!fit->estimate_sigma) {
    return 0;
  }
  return fit->kind == CART_FIT_COMBINED ? 2 : 1;
}

size_t cart_fit_n_theta(const cart_fit *fit)
{
  return fit ? fit->np + n_sigma(fit) : 0;
}

/* Which sigma theta entry k >= np is: 0 additive, 1 proportional. */
static int sigma_of(const cart_fit *fit, size_t k)
{
  if (fit->kind == CART_FIT_COMBINED) {
    return (int)(k - fit->np);
  }
  return fit->kind == CART_FIT_PROPORTIONAL ? 1 : 0;
}

const char *cart_fit_theta_name(const cart_fit *fit, size_t k)
{
  if (fit == NULL || k >= cart_fit_n_theta(fit)) {
    return NULL;
  }
  if (k < fit->np) {
    return fit->fp[k].name;
  }
  return sigma_of(fit, k) == 0 ? "sigma_add" : "sigma_prop";
}

int cart_fit_error_kind_from_name(const char *name, cart_fit_error_kind *kind)
{
  static const char *const names[] = {"additive", "proportional", "combined"};
  for (int k = 0; name != NULL && kind != NULL && k < 3; k++) {
    if (strcmp(name, names[k]) == 0) {
      *kind = (cart_fit_error_kind)k;
      return CART_OK;
    }
  }
  return CART_EINVAL;
}

/* The data set's own doses as fit's schedule and initial infusion (cart_fit_new), with the
 * tocilizumab rule of `dosing` (which may hold no dose). */
static int use_data_doses(cart_fit *fit, const cart_dosing *dosing, cart_error *err)
{
  const cart_fit_data *data = fit->data;
  if (dosing != NULL && (cart_dosing_n_cart(dosing) > 0 || cart_dosing_n_toci(dosing) > 0)) {
    return cartp_error(err, CART_EINVAL,
                       "cart_fit_new: data set%s%s carries its own doses (dose records); give "
                       "no other doses with it", data->id[0] ? " " : "", data->id);
  }
  if ((fit->dosing = cart_dosing_new(err)) == NULL) {
    return CART_ENOMEM;
  }
  cart_toci_rule rule;
  if (dosing != NULL) {
    cart_dosing_get_toci_rule(dosing, &rule);
    if (rule.enabled && cart_dosing_set_toci_rule(fit->dosing, &rule) != CART_OK) {
      return cartp_error_copy(err, cart_dosing_last_error(fit->dosing));
    }
  }
  int initial_given = 0, status = CART_OK;
  for (size_t i = 0; status == CART_OK && i < cart_dosing_n_cart(data->dosing); i++) {
    cart_cart_dose dose;
    cart_dosing_get_cart(data->dosing, i, &dose);
    status = cart_dose_give_cart(fit->params, fit->dosing, &dose, &initial_given, err);
  }
  for (size_t i = 0; status == CART_OK && i < cart_dosing_n_toci(data->dosing); i++) {
    cart_toci_dose dose;
    cart_dosing_get_toci(data->dosing, i, &dose);
    if ((status = cart_dosing_add_toci(fit->dosing, dose.time, dose.mg_per_kg, dose.duration_day,
                                       dose.cap_mg)) != CART_OK) {
      cartp_error_copy(err, cart_dosing_last_error(fit->dosing));
    }
  }
  if (status == CART_OK && !initial_given && cart_model_param_index(fit->model, "dose") >= 0 &&
      cart_params_set(fit->params, "dose", 0.0) != CART_OK) {
    status = cartp_error_copy(err, cart_params_last_error(fit->params));
  }
  return status;
}

cart_fit *cart_fit_new(const cart_params *params, const cart_dosing *dosing,
                       const cart_fit_data *data, cart_error *err)
{
  if (params == NULL || data == NULL) {
    cartp_error(err, CART_EINVAL, "cart_fit_new: NULL argument");
    return NULL;
  }
  if (cart_params_model(params) != data->model) {
    cartp_error(err, CART_EINVAL, "cart_fit_new: the data are for model %s, the parameters for %s",
                data->model->name, cart_params_model(params)->name);
    return NULL;
  }
  if (data->n == 0) {
    cartp_error(err, CART_EINVAL, "cart_fit_new: no observations");
    return NULL;
  }
  cartp_gsl_init();
  cart_fit *fit = calloc(1, sizeof *fit);
  if (fit == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_fit_new: out of memory");
    return NULL;
  }
  fit->model = data->model;
  fit->data = data;
  fit->kind = CART_FIT_ADDITIVE;
  fit->sigma_add = 1.0;
  fit->sigma_prop = 0.1;
  fit->estimate_sigma = 1;
  const size_t n = data->n, ns = fit->model->n_states;
  fit->params = cart_params_clone(params, err);
  fit->solver = fit->params ? cart_solver_new(fit->model, err) : NULL;
  fit->times = malloc(n * sizeof *fit->times);
  fit->states = malloc(n * ns * sizeof *fit->states);
  fit->pred = malloc(n * sizeof *fit->pred);
  fit->sens = malloc(n * FIT_MAX_THETA * sizeof *fit->sens);
  fit->y_sens = malloc(n * ns * sizeof *fit->y_sens);
  fit->dydp = malloc(n * ns * FIT_MAX_THETA * sizeof *fit->dydp);
  int status = fit->solver ? CART_OK : CART_ENOMEM;
  if (status == CART_OK && data->dosing != NULL) {
    status = use_data_doses(fit, dosing, err);
  } else if (status == CART_OK && dosing != NULL &&
             (fit->dosing = cart_dosing_clone(dosing, err)) == NULL) {
    status = CART_ENOMEM;
  }
  if (status == CART_OK && (fit->work = cart_params_clone(fit->params, err)) == NULL) {
    status = CART_ENOMEM;
  }
  if (status == CART_OK && (fit->times == NULL || fit->states == NULL || fit->pred == NULL ||
                            fit->sens == NULL || fit->y_sens == NULL || fit->dydp == NULL)) {
    status = cartp_error(err, CART_ENOMEM, "cart_fit_new: out of memory");
  }
  if (status == CART_OK &&
      (status = cart_solver_set_tolerances(fit->solver, FIT_RTOL, NULL)) != CART_OK) {
    cartp_error_copy(err, cart_solver_last_error(fit->solver));
  }
  if (status != CART_OK) {
    if (err != NULL && err->code == CART_OK) {
      cartp_error(err, CART_ENOMEM, "cart_fit_new: out of memory");
    }
    cart_fit_free(fit);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    fit->times[i] = data->obs[i].time;
  }
  return fit;
}

void cart_fit_free(cart_fit *fit)
{
  if (fit == NULL) {
    return;
  }
  cart_params_free(fit->params);
  cart_params_free(fit->work);
  cart_dosing_free(fit->dosing);
  cart_solver_free(fit->solver);
  free(fit->times);
  free(fit->states);
  free(fit->pred);
  free(fit->sens);
  free(fit->y_sens);
  free(fit->dydp);
  free(fit);
}

const cart_error *cart_fit_last_error(const cart_fit *fit)
{
  return fit ? &fit->error : NULL;
}

int cart_fit_add_param(cart_fit *fit, const char *name, double initial, double lower,
                       double upper)
{
  if (fit == NULL || name == NULL) {
    return CART_EINVAL;
  }
  const int index = cart_model_param_index(fit->model, name);
  if (index < 0) {
    return cartp_error(&fit->error, CART_EUNKNOWN_PARAM, "model %s has no parameter '%s'",
                       fit->model->name, name);
  }
  for (size_t k = 0; k < fit->np; k++) {
    if (fit->fp[k].index == index) {
      return cartp_error(&fit->error, CART_EINVAL, "parameter '%s' is fitted twice", name);
    }
  }
  if (fit->np == FIT_MAX_THETA - 2) {
    return cartp_error(&fit->error, CART_ERANGE, "more than %d fitted parameters",
                       FIT_MAX_THETA - 2);
  }
  const cart_param_info *info = &fit->model->params[index];
  if (isnan(initial)) {
    initial = fit->params->values[index];
  }
  const int user_bounds = !isnan(lower) || !isnan(upper);
  lower = isnan(lower) ? info->lower : lower;
  upper = isnan(upper) ? info->upper : upper;
  fit_param f = {index, info->name, SCALE_LOG, lower, upper, initial, 0, 0, 0};
  if (!(lower < upper) || lower < info->lower || upper > info->upper) {
    return cartp_error(&fit->error, CART_ERANGE,
                       "parameter '%s': bounds [%g, %g] are not inside the model's [%g, %g]",
                       name, lower, upper, info->lower, info->upper);
  }
  if (user_bounds && lower > 0 && isfinite(upper)) {
    f.scale = SCALE_LOG_LOGIT;
  } else if (isfinite(upper) && (upper <= 1 || user_bounds)) {
    f.scale = SCALE_LOGIT;
  } else if (lower < 0) {
    return cartp_error(&fit->error, CART_ERANGE,
                       "parameter '%s': give bounds (it may be negative)", name);
  }
  if (!(initial > lower && initial < upper)) {
    return cartp_error(&fit->error, CART_ERANGE,
                       "parameter '%s': initial value %g is not inside (%g, %g)", name, initial,
                       lower, upper);
  }
  fit->fp[fit->np++] = f;
  fit->have_result = 0;
  cart_error_clear(&fit->error);
  return CART_OK;
}

int cart_fit_set_error_model(cart_fit *fit, cart_fit_error_kind kind, int log_scale,
                             double sigma_add, double sigma_prop, int estimate)
{
  if (fit == NULL || (int)kind < 0 || kind > CART_FIT_COMBINED) {
    return CART_EINVAL;
  }
  const int uses_add = kind != CART_FIT_PROPORTIONAL, uses_prop = kind != CART_FIT_ADDITIVE;
  if ((uses_add && !(sigma_add > 0 && isfinite(sigma_add))) ||
      (uses_prop && !(sigma_prop > 0 && isfinite(sigma_prop)))) {
    return cartp_error(&fit->error, CART_EINVAL,
                       "error model: sigma_add %g and sigma_prop %g must be finite and > 0",
                       sigma_add, sigma_prop);
  }
  if (log_scale) {
    for (size_t i = 0; i < fit->data->n; i++) {
      if (!fit->data->obs[i].blq && !(fit->data->obs[i].value > 0)) {
        return cartp_error(&fit->error, CART_EINVAL,
                           "error model on the log scale: observation %zu (day %g) is 0; mark it "
                           "below the LLOQ", i + 1, fit->data->obs[i].time);
      }
    }
  }
  fit->kind = kind;
  fit->log_scale = log_scale != 0;
  fit->sigma_add = uses_add ? sigma_add : 0;
  fit->sigma_prop = uses_prop ? sigma_prop : 0;
  fit->estimate_sigma = estimate != 0;
  fit->have_result = 0;
  return CART_OK;
}

int cart_fit_set_prior(cart_fit *fit, const char *name, double typical, double cv)
{
  if (fit == NULL || name == NULL) {
    return CART_EINVAL;
  }
  for (size_t k = 0; k < fit->np; k++) {
    if (strcmp(fit->fp[k].name, name) == 0) {
      if (!(typical > 0 && isfinite(typical) && cv > 0 && isfinite(cv))) {
        return cartp_error(&fit->error, CART_ERANGE,
                           "prior of '%s': typical value %g and cv %g must be finite and > 0",
                           name, typical, cv);
      }
      fit->fp[k].has_prior = 1;
      fit->fp[k].prior_log_median = log(typical);
      fit->fp[k].prior_omega = sqrt(log1p(cv * cv));
      fit->have_result = 0;
      return CART_OK;
    }
  }
  return cartp_error(&fit->error, CART_EUNKNOWN_PARAM, "prior: '%s' is not a fitted parameter",
                     name);
}

int cart_fit_set_priors_from_population(cart_fit *fit, cart_population *population)
{
  if (fit == NULL || population == NULL) {
    return CART_EINVAL;
  }
  const cart_params *typical = cart_population_typical(population);
  for (size_t i = 0; i < cart_population_n_varied(population); i++) {
    const char *name = NULL;
    double cv = 0, value = 0;
    if (cart_population_varied(population, i, &name, &cv) != CART_OK || cv <= 0) {
      continue;
    }
    for (size_t k = 0; k < fit->np; k++) {
      if (strcmp(fit->fp[k].name, name) == 0) {
        cart_params_get(typical, name, &value);
        const int status = cart_fit_set_prior(fit, name, value, cv);
        if (status != CART_OK) {
          return status;
        }
      }
    }
  }
  return CART_OK;
}

void cart_fit_set_finite_differences(cart_fit *fit, int on)
{
  if (fit != NULL) {
    fit->use_fd = on != 0;
  }
}

int cart_fit_initial_theta(const cart_fit *fit, double *theta)
{
  if (fit == NULL || theta == NULL) {
    return CART_EINVAL;
  }
  for (size_t k = 0; k < fit->np; k++) {
    theta[k] = param_theta(&fit->fp[k], fit->fp[k].initial);
  }
  for (size_t k = fit->np; k < cart_fit_n_theta(fit); k++) {
    theta[k] = log(sigma_of(fit, k) == 0 ? fit->sigma_add : fit->sigma_prop);
  }
  return CART_OK;
}

int cart_fit_theta_to_values(const cart_fit *fit, const double *theta, double *values)
{
  if (fit == NULL || theta == NULL || values == NULL) {
    return CART_EINVAL;
  }
  for (size_t k = 0; k < fit->np; k++) {
    double dp;
    values[k] = param_value(&fit->fp[k], theta[k], &dp);
  }
  for (size_t k = fit->np; k < cart_fit_n_theta(fit); k++) {
    values[k] = exp(theta[k]);
  }
  return CART_OK;
}

double cartp_fit_observe(const cart_model *model, int o, double t, const double *y,
                         const double *p)
{
  const size_t ns = model->n_states;
  double out[CART_MAX_SIGNALS + 8];
  if ((size_t)o < ns) {
    return y[o];
  }
  if ((size_t)o < ns + model->n_outputs) {
    model->observe(t, y, p, out);
    return out[(size_t)o - ns];
  }
  model->signal_values(y, p, out);
  return out[(size_t)o - ns - model->n_outputs];
}

/* Sets fit->work from theta (the error parameters from theta too, into *sa, *sb) and the
 * derivatives dp/dtheta into dp. */
static int set_theta(cart_fit *fit, const double *theta, double *dp, double *sa, double *sb)
{
  memcpy(fit->work->values, fit->params->values, sizeof fit->work->values);
  for (size_t k = 0; k < fit->np; k++) {
    if (!isfinite(theta[k])) {
      return cartp_error(&fit->error, CART_ENOTFINITE, "theta[%zu] (%s) is not finite", k,
                         fit->fp[k].name);
    }
    fit->work->values[fit->fp[k].index] = param_value(&fit->fp[k], theta[k], &dp[k]);
  }
  *sa = fit->sigma_add;
  *sb = fit->sigma_prop;
  for (size_t k = fit->np; k < cart_fit_n_theta(fit); k++) {
    if (!isfinite(theta[k])) {
      return cartp_error(&fit->error, CART_ENOTFINITE, "theta[%zu] is not finite", k);
    }
    *(sigma_of(fit, k) == 0 ? sa : sb) = exp(theta[k]);
  }
  cart_error e;
  const int status = cart_params_check(fit->work, &e);
  if (status != CART_OK) {
    return cartp_error_copy(&fit->error, &e);
  }
  return CART_OK;
}

/* The predictions at the current fit->work into pred. */
static int solve_pred(cart_fit *fit, double *pred)
{
  const cart_fit_data *d = fit->data;
  const int status = cart_solver_solve(fit->solver, fit->work, fit->dosing, fit->times, d->n,
                                       fit->states, NULL);
  if (status != CART_OK) {
    return cartp_error_copy(&fit->error, cart_solver_last_error(fit->solver));
  }
  const size_t ns = fit->model->n_states;
  for (size_t i = 0; i < d->n; i++) {
    pred[i] = cartp_fit_observe(fit->model, d->obs[i].observable, d->obs[i].time,
                                fit->states + i * ns, fit->work->values);
  }
  return CART_OK;
}

/* d pred_i / d p_k from the sensitivities (dydp at the observation's time). */
static void observable_sens(cart_fit *fit, size_t i, const double *y, const double *dydp_i,
                            double *out)
{
  const cart_model *model = fit->model;
  const int o = fit->data->obs[i].observable;
  const double t = fit->data->obs[i].time;
  const size_t ns = model->n_states;
  double *p = fit->work->values;
  if ((size_t)o < ns) {
    for (size_t k = 0; k < fit->np; k++) {
      out[k] = dydp_i[k * ns + (size_t)o];
    }
    return;
  }
  double dhdy[64], z[64];
  memcpy(z, y, ns * sizeof z[0]);
  for (size_t j = 0; j < ns; j++) {
    const double h = 1e-6 * (fabs(y[j]) > 1e-3 ? fabs(y[j]) : 1e-3);
    z[j] = y[j] + h;
    const double a = cartp_fit_observe(model, o, t, z, p);
    z[j] = y[j] - h;
    const double b = cartp_fit_observe(model, o, t, z, p);
    z[j] = y[j];
    dhdy[j] = (a - b) / (2 * h);
  }
  for (size_t k = 0; k < fit->np; k++) {
    const int pi = fit->fp[k].index;
    const double keep = p[pi], h = 1e-6 * (fabs(keep) > 0 ? fabs(keep) : 1.0);
    p[pi] = keep + h;
    const double a = cartp_fit_observe(model, o, t, y, p);
    p[pi] = keep - h;
    const double b = cartp_fit_observe(model, o, t, y, p);
    p[pi] = keep;
    double acc = (a - b) / (2 * h);
    for (size_t j = 0; j < ns; j++) {
      acc += dhdy[j] * dydp_i[k * ns + j];
    }
    out[k] = acc;
  }
}

/* Whether the sensitivity integration's states (fit->y_sens) are the solver's (fit->states, the
 * solve at the same theta) within tolerances: not when an event the equations do not follow
 * (an extinction) changed the solution. */
static int same_states(const cart_fit *fit)
{
  const size_t ns = fit->model->n_states;
  for (size_t i = 0; i < fit->data->n * ns; i++) {
    const double a = fit->y_sens[i], b = fit->states[i];
    const double tol = 1e-5 * fmax(fabs(a), fabs(b)) + 100 * fit->model->states[i % ns].abs_tol;
    if (!(fabs(a - b) <= tol)) {
      return 0;
    }
  }
  return 1;
}

/* sens (n x n_theta) = d pred / d theta at theta, by sensitivities or differences. */
static int pred_sens(cart_fit *fit, const double *theta, const double *dp, double *sens)
{
  const cart_fit_data *d = fit->data;
  const size_t nt = cart_fit_n_theta(fit), ns = fit->model->n_states;
  memset(sens, 0, d->n * nt * sizeof *sens);
  if (!fit->use_fd && !fit->sens_failed) {
    int pidx[FIT_MAX_THETA];
    for (size_t k = 0; k < fit->np; k++) {
      pidx[k] = fit->fp[k].index;
    }
    cart_error e;
    const int status = cartp_fit_sensitivities(fit->model, fit->work->values, fit->dosing, pidx,
                                               fit->np, fit->times, d->n, FIT_SENS_RTOL, 1e-2,
                                               fit->y_sens, fit->dydp, &e);
    if (status == CART_OK && !same_states(fit)) {
      fit->n_fd_fallbacks++; /* an event the equations do not follow (extinction): differences */
    } else if (status == CART_OK) {
      fit->n_sens++;
      for (size_t i = 0; i < d->n; i++) {
        double row[FIT_MAX_THETA];
        observable_sens(fit, i, fit->y_sens + i * ns, fit->dydp + i * fit->np * ns, row);
        for (size_t k = 0; k < fit->np; k++) {
          sens[i * nt + k] = row[k] * dp[k];
        }
      }
      return CART_OK;
    }
    if (status == CART_ENOMEM) {
      return cartp_error_copy(&fit->error, &e);
    }
    if (status == CART_EINVAL) {
      fit->sens_failed = 1; /* a schedule the equations do not follow: differences from now on */
    } else if (status != CART_OK) {
      fit->n_fd_fallbacks++; /* the integration failed here (a refused state): differences */
    }
  }
  if (fit->use_fd || fit->sens_failed) {
    fit->n_fd_fallbacks++;
  }
  double th[FIT_MAX_THETA], sa, sb, dq[FIT_MAX_THETA];
  double *plus = fit->y_sens; /* n values each: the buffer holds n * ns >= 2n */
  double *minus = fit->dydp;
  for (size_t k = 0; k < fit->np; k++) {
    memcpy(th, theta, nt * sizeof th[0]);
    th[k] = theta[k] + FIT_FD_STEP;
    int status = set_theta(fit, th, dq, &sa, &sb);
    if (status == CART_OK) {
      status = solve_pred(fit, plus);
    }
    th[k] = theta[k] - FIT_FD_STEP;
    if (status == CART_OK) {
      status = set_theta(fit, th, dq, &sa, &sb);
    }
    if (status == CART_OK) {
      status = solve_pred(fit, minus);
    }
    if (status != CART_OK) {
      return status;
    }
    for (size_t i = 0; i < d->n; i++) {
      sens[i * nt + k] = (plus[i] - minus[i]) / (2 * FIT_FD_STEP);
    }
  }
  return set_theta(fit, theta, dq, &sa, &sb);
}

/* set_theta, then the predictions into pred and, when sens is not NULL, their derivatives
 * (pred_sens) into sens. */
static int evaluate(cart_fit *fit, const double *theta, double *pred, double *sens, double *dp,
                    double *sa, double *sb)
{
  int status = set_theta(fit, theta, dp, sa, sb);
  if (status == CART_OK) {
    status = solve_pred(fit, pred);
  }
  if (status == CART_OK && sens != NULL) {
    status = pred_sens(fit, theta, dp, sens);
  }
  return status;
}

int cart_fit_predict(cart_fit *fit, const double *theta, double *pred, double *sens)
{
  if (fit == NULL || theta == NULL || pred == NULL) {
    return CART_EINVAL;
  }
  double dp[FIT_MAX_THETA], sa, sb;
  return evaluate(fit, theta, pred, sens, dp, &sa, &sb);
}

/* ---- the objective ---- */

/* The transformed value g(x) and g'(x). */
static double g_of(const cart_fit *fit, double x, double *dg)
{
  if (!fit->log_scale) {
    *dg = 1;
    return x;
  }
  const double v = x > FIT_TINY ? x : FIT_TINY;
  *dg = x > FIT_TINY ? 1 / v : 0;
  return log(v);
}

/* sd at transformed prediction G with sigmas sa, sb, and its derivatives. */
static double sd_of(double G, double sa, double sb, double *dsd_dG, double *dsd_da,
                    double *dsd_db)
{
  double sd = sqrt(sa * sa + sb * sb * G * G);
  if (sd < FIT_TINY) {
    sd = FIT_TINY;
  }
  *dsd_dG = sb * sb * G / sd;
  *dsd_da = sa / sd;
  *dsd_db = sb * G * G / sd;
  return sd;
}

/* log Phi(z) with Phi the standard normal CDF, safe far in the lower tail. */
static double log_phi_cdf(double z)
{
  return log(0.5) + gsl_sf_log_erfc(-z / M_SQRT2);
}

/* Derivative-friendly per-observation pieces: the -2 log-likelihood contribution c, dc/dG,
 * dc/dsigma_a, dc/dsigma_b (natural sigmas). */
static double contribution(const cart_fit *fit, const cartp_fit_obs *o, double f, double sa,
                           double sb, double *dc_df, double *dc_da, double *dc_db)
{
  double dg, dgy;
  const double G = g_of(fit, f, &dg);
  double dsdG, dsda, dsdb;
  const double sd = sd_of(G, sa, sb, &dsdG, &dsda, &dsdb);
  if (!o->blq) {
    const double gy = g_of(fit, o->value, &dgy);
    const double r = (gy - G) / sd;
    const double c = log(2 * M_PI) + 2 * log(sd) + r * r;
    const double dr_dG = -1 / sd - r * dsdG / sd;
    *dc_df = (2 * dsdG / sd + 2 * r * dr_dG) * dg;
    *dc_da = (2 - 2 * r * r) * dsda / sd;
    *dc_db = (2 - 2 * r * r) * dsdb / sd;
    return c;
  }
  const double gl = g_of(fit, o->lloq, &dgy);
  const double z = (gl - G) / sd;
  const double lp = log_phi_cdf(z);
  const double ratio = exp(-0.5 * z * z - 0.5 * log(2 * M_PI) - lp); /* phi / Phi */
  const double dc_dz = -2 * ratio;
  *dc_df = dc_dz * (-1 / sd - z * dsdG / sd) * dg;
  *dc_da = dc_dz * (-z * dsda / sd);
  *dc_db = dc_dz * (-z * dsdb / sd);
  return -2 * lp;
}

/* The objective at the predictions fit->pred (theta already set), its gradient from sens. */
static double objective_at(cart_fit *fit, const double *dp, double sa, double sb,
                           const double *sens, double *grad)
{
  const size_t nt = cart_fit_n_theta(fit);
  const cart_fit_data *d = fit->data;
  double value = 0;
  if (grad) {
    memset(grad, 0, nt * sizeof *grad);
  }
  for (size_t i = 0; i < d->n; i++) {
    double dcf, dca, dcb;
    value += contribution(fit, &d->obs[i], fit->pred[i], sa, sb, &dcf, &dca, &dcb);
    if (grad) {
      for (size_t k = 0; k < fit->np; k++) {
        grad[k] += dcf * sens[i * nt + k];
      }
      for (size_t k = fit->np; k < nt; k++) {
        grad[k] += sigma_of(fit, k) == 0 ? dca * sa : dcb * sb;
      }
    }
  }
  for (size_t k = 0; k < fit->np; k++) {
    const fit_param *f = &fit->fp[k];
    if (f->has_prior) {
      const double p = fit->work->values[f->index];
      const double u = (log(p) - f->prior_log_median) / f->prior_omega;
      value += u * u;
      if (grad) {
        grad[k] += 2 * u / f->prior_omega * dp[k] / p;
      }
    }
  }
  return value;
}

int cart_fit_objective(cart_fit *fit, const double *theta, double *value, double *gradient)
{
  if (fit == NULL || theta == NULL || value == NULL) {
    return CART_EINVAL;
  }
  if (fit->np == 0) {
    return cartp_error(&fit->error, CART_EINVAL, "no fitted parameters");
  }
  double dp[FIT_MAX_THETA], sa, sb;
  const int status =
      evaluate(fit, theta, fit->pred, gradient != NULL ? fit->sens : NULL, dp, &sa, &sb);
  if (status != CART_OK) {
    return status;
  }
  *value = objective_at(fit, dp, sa, sb, fit->sens, gradient);
  return CART_OK;
}

/* ---- optimisers ---- */

/* Least squares: residuals of the observed values at the initial sigmas, plus the priors. */
typedef struct ls_context {
  cart_fit *fit;
  double theta[FIT_MAX_THETA]; /* the sigma entries stay */
} ls_context;

static int ls_residuals(const gsl_vector *x, void *params, gsl_vector *f, gsl_matrix *J)
{
  ls_context *c = params;
  cart_fit *fit = c->fit;
  const size_t nt = cart_fit_n_theta(fit);
  for (size_t k = 0; k < fit->np; k++) {
    c->theta[k] = gsl_vector_get(x, k);
  }
  double dp[FIT_MAX_THETA], sa, sb;
  if (evaluate(fit, c->theta, fit->pred, J != NULL ? fit->sens : NULL, dp, &sa, &sb) != CART_OK) {
    return GSL_EDOM;
  }
  size_t r = 0;
  for (size_t i = 0; i < fit->data->n; i++) {
    const cartp_fit_obs *o = &fit->data->obs[i];
    if (o->blq) {
      continue;
    }
    double dg, dgy, dsdG, dsda, dsdb;
    const double G = g_of(fit, fit->pred[i], &dg);
    const double sd = sd_of(G, sa, sb, &dsdG, &dsda, &dsdb);
    const double res = (g_of(fit, o->value, &dgy) - G) / sd;
    if (f) {
      gsl_vector_set(f, r, res);
    }
    if (J) {
      const double dres = (-1 / sd - res * dsdG / sd) * dg;
      for (size_t k = 0; k < fit->np; k++) {
        gsl_matrix_set(J, r, k, dres * fit->sens[i * nt + k]);
      }
    }
    r++;
  }
  for (size_t k = 0; k < fit->np; k++) {
    const fit_param *fpk = &fit->fp[k];
    if (!fpk->has_prior) {
      continue;
    }
    const double p = fit->work->values[fpk->index];
    if (f) {
      gsl_vector_set(f, r, (log(p) - fpk->prior_log_median) / fpk->prior_omega);
    }
    if (J) {
      for (size_t j = 0; j < fit->np; j++) {
        gsl_matrix_set(J, r, j, j == k ? dp[k] / p / fpk->prior_omega : 0.0);
      }
    }
    r++;
  }
  return GSL_SUCCESS;
}

static int ls_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  return ls_residuals(x, params, f, NULL);
}

static int ls_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  return ls_residuals(x, params, NULL, J);
}

/* Levenberg-Marquardt with geodesic acceleration on the parameters (theta[0 .. np)). */
static int run_lm(cart_fit *fit, double *theta, int *iterations)
{
  ls_context c = {fit, {0}};
  size_t n_res = 0;
  for (size_t i = 0; i < fit->data->n; i++) {
    n_res += !fit->data->obs[i].blq;
  }
  for (size_t k = 0; k < fit->np; k++) {
    n_res += (size_t)fit->fp[k].has_prior;
  }
  if (n_res < fit->np) {
    return CART_EINVAL; /* too few: the likelihood stage alone */
  }
  memcpy(c.theta, theta, cart_fit_n_theta(fit) * sizeof *theta);
  gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
  params.trs = gsl_multifit_nlinear_trs_lmaccel;
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, n_res, fit->np);
  gsl_vector *x = gsl_vector_alloc(fit->np);
  if (w == NULL || x == NULL) {
    gsl_multifit_nlinear_free(w);
    gsl_vector_free(x);
    return cartp_error(&fit->error, CART_ENOMEM, "fit: out of memory");
  }
  for (size_t k = 0; k < fit->np; k++) {
    gsl_vector_set(x, k, theta[k]);
  }
  gsl_multifit_nlinear_fdf fdf = {ls_f, ls_df, NULL, n_res, fit->np, &c, 0, 0, 0};
  int info = 0;
  int status = gsl_multifit_nlinear_init(x, &fdf, w);
  if (status == GSL_SUCCESS) {
    status = gsl_multifit_nlinear_driver(200, 1e-10, 1e-10, 0.0, NULL, NULL, &info, w);
  }
  if (status == GSL_SUCCESS || status == GSL_EMAXITER || status == GSL_ENOPROG) {
    const gsl_vector *best = gsl_multifit_nlinear_position(w);
    for (size_t k = 0; k < fit->np; k++) {
      theta[k] = gsl_vector_get(best, k);
    }
    *iterations = (int)gsl_multifit_nlinear_niter(w);
    status = GSL_SUCCESS;
  }
  gsl_multifit_nlinear_free(w);
  gsl_vector_free(x);
  return status == GSL_SUCCESS ? CART_OK : CART_ESOLVER;
}

/* BFGS over the free entries of theta (entry `fixed` held, -1: none). */
typedef struct mm_context {
  cart_fit *fit;
  double theta[FIT_MAX_THETA];
  int fixed;
  size_t nt;
} mm_context;

static void mm_unpack(mm_context *c, const gsl_vector *x)
{
  size_t j = 0;
  for (size_t k = 0; k < c->nt; k++) {
    if ((int)k != c->fixed) {
      c->theta[k] = gsl_vector_get(x, j++);
    }
  }
}

static void mm_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
  mm_context *c = params;
  mm_unpack(c, x);
  double grad[FIT_MAX_THETA], value;
  if (cart_fit_objective(c->fit, c->theta, &value, g ? grad : NULL) != CART_OK ||
      !isfinite(value)) {
    value = 1e300; /* a refused point: the line search steps back */
    memset(grad, 0, sizeof grad);
  }
  if (f) {
    *f = value;
  }
  if (g) {
    size_t j = 0;
    for (size_t k = 0; k < c->nt; k++) {
      if ((int)k != c->fixed) {
        gsl_vector_set(g, j++, grad[k]);
      }
    }
  }
}

static double mm_f(const gsl_vector *x, void *params)
{
  double f;
  mm_fdf(x, params, &f, NULL);
  return f;
}

static void mm_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  double f;
  mm_fdf(x, params, &f, g);
}

static int run_bfgs(cart_fit *fit, double *theta, int fixed, int *iterations, double *value)
{
  const size_t nt = cart_fit_n_theta(fit), nfree = nt - (fixed >= 0);
  mm_context c = {fit, {0}, fixed, nt};
  memcpy(c.theta, theta, nt * sizeof *theta);
  if (nfree == 0) {
    return cart_fit_objective(fit, theta, value, NULL);
  }
  gsl_multimin_function_fdf fn = {mm_f, mm_df, mm_fdf, nfree, &c};
  gsl_multimin_fdfminimizer *m =
      gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, nfree);
  gsl_vector *x = gsl_vector_alloc(nfree);
  if (m == NULL || x == NULL) {
    gsl_multimin_fdfminimizer_free(m);
    gsl_vector_free(x);
    return cartp_error(&fit->error, CART_ENOMEM, "fit: out of memory");
  }
  size_t j = 0;
  for (size_t k = 0; k < nt; k++) {
    if ((int)k != fixed) {
      gsl_vector_set(x, j++, theta[k]);
    }
  }
  int status = gsl_multimin_fdfminimizer_set(m, &fn, x, 0.1, 0.1);
  int iter = 0;
  while (status == GSL_SUCCESS && iter < 1000) {
    iter++;
    status = gsl_multimin_fdfminimizer_iterate(m);
    if (status != GSL_SUCCESS) {
      break;
    }
    status = gsl_multimin_test_gradient(m->gradient, 1e-6);
    if (status == GSL_SUCCESS) {
      break;
    }
    status = GSL_SUCCESS;
  }
  /* ENOPROG: no further decrease along the line: the minimum within rounding */
  const int ok = (status == GSL_SUCCESS || status == GSL_ENOPROG) && m->f < 1e299;
  mm_unpack(&c, m->x);
  memcpy(theta, c.theta, nt * sizeof *theta);
  *value = m->f;
  *iterations += iter;
  gsl_multimin_fdfminimizer_free(m);
  gsl_vector_free(x);
  if (!ok) {
    return cartp_error(&fit->error, CART_ESOLVER, "fit: BFGS stopped (%s) after %d iterations",
                       gsl_strerror(status), iter);
  }
  return CART_OK;
}

/* ---- the information at the estimate ---- */

static int information(cart_fit *fit, const double *theta, gsl_matrix *I)
{
  const size_t nt = cart_fit_n_theta(fit);
  double dp[FIT_MAX_THETA], sa, sb;
  const int status = evaluate(fit, theta, fit->pred, fit->sens, dp, &sa, &sb);
  if (status != CART_OK) {
    return status;
  }
  gsl_matrix_set_zero(I);
  for (size_t i = 0; i < fit->data->n; i++) {
    const cartp_fit_obs *o = &fit->data->obs[i];
    double dg, dsdG, dsda, dsdb, dmu[FIT_MAX_THETA], dsd[FIT_MAX_THETA];
    const double G = g_of(fit, fit->pred[i], &dg);
    const double sd = sd_of(G, sa, sb, &dsdG, &dsda, &dsdb);
    for (size_t k = 0; k < nt; k++) {
      dmu[k] = k < fit->np ? dg * fit->sens[i * nt + k] : 0;
      dsd[k] = k < fit->np ? dsdG * dmu[k] : (sigma_of(fit, k) == 0 ? dsda * sa : dsdb * sb);
    }
    if (!o->blq) { /* the expected information of one normal value */
      for (size_t a = 0; a < nt; a++) {
        for (size_t b = 0; b < nt; b++) {
          const double v = (dmu[a] * dmu[b] + 2 * dsd[a] * dsd[b]) / (sd * sd);
          gsl_matrix_set(I, a, b, gsl_matrix_get(I, a, b) + v);
        }
      }
    } else { /* the outer product of the M3 term's score */
      double dgl;
      const double z = (g_of(fit, o->lloq, &dgl) - G) / sd;
      const double ratio = exp(-0.5 * z * z - 0.5 * log(2 * M_PI) - log_phi_cdf(z));
      double s[FIT_MAX_THETA];
      for (size_t k = 0; k < nt; k++) {
        s[k] = ratio * (-dmu[k] - z * dsd[k]) / sd;
      }
      for (size_t a = 0; a < nt; a++) {
        for (size_t b = 0; b < nt; b++) {
          gsl_matrix_set(I, a, b, gsl_matrix_get(I, a, b) + s[a] * s[b]);
        }
      }
    }
  }
  for (size_t k = 0; k < fit->np; k++) {
    const fit_param *f = &fit->fp[k];
    if (f->has_prior) {
      const double p = fit->work->values[f->index], dl = dp[k] / p;
      gsl_matrix_set(I, k, k, gsl_matrix_get(I, k, k) + dl * dl / (f->prior_omega * f->prior_omega));
    }
  }
  return CART_OK;
}

/* Covariance and identifiability from the information. */
static int covariance(cart_fit *fit, const double *theta)
{
  const size_t nt = cart_fit_n_theta(fit);
  gsl_matrix *I = gsl_matrix_alloc(nt, nt), *V = gsl_matrix_alloc(nt, nt);
  gsl_matrix *C = gsl_matrix_calloc(nt, nt);
  gsl_vector *lambda = gsl_vector_alloc(nt);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(nt);
  int status = (I && V && C && lambda && w) ? CART_OK
                                             : cartp_error(&fit->error, CART_ENOMEM,
                                                           "fit: out of memory");
  if (status == CART_OK) {
    status = information(fit, theta, I);
  }
  if (status == CART_OK && gsl_eigen_symmv(I, lambda, V, w) != GSL_SUCCESS) {
    status = cartp_error(&fit->error, CART_ESOLVER, "fit: eigenvalues of the information failed");
  }
  size_t used = 0;
  fit->report[0] = '\0';
  if (status == CART_OK) {
    double lmax = 0;
    for (size_t j = 0; j < nt; j++) {
      lmax = fmax(lmax, gsl_vector_get(lambda, j));
    }
    for (size_t k = 0; k < nt; k++) {
      fit->flags[k] = 0;
    }
    for (size_t j = 0; j < nt; j++) {
      const double l = gsl_vector_get(lambda, j);
      if (!(l > FIT_EIG_MIN * lmax) || !(l > 0)) { /* a direction the data do not see */
        for (size_t k = 0; k < nt; k++) {
          if (fabs(gsl_matrix_get(V, k, j)) > 0.1) {
            fit->flags[k] |= CART_FIT_NOT_IDENTIFIABLE;
          }
        }
        continue;
      }
      for (size_t a = 0; a < nt; a++) {
        for (size_t b = 0; b < nt; b++) {
          gsl_matrix_set(C, a, b, gsl_matrix_get(C, a, b) +
                                      gsl_matrix_get(V, a, j) * gsl_matrix_get(V, b, j) / l);
        }
      }
    }
    for (size_t k = 0; k < nt; k++) {
      fit->se_theta[k] = fit->flags[k] ? INFINITY : sqrt(gsl_matrix_get(C, k, k));
      if (fit->se_theta[k] > FIT_SE_MAX && !fit->flags[k]) {
        fit->flags[k] |= CART_FIT_NOT_IDENTIFIABLE;
        const int wrote = snprintf(fit->report + used, sizeof fit->report - used,
                                   "%s: not identifiable: standard error %.3g on its scale\n",
                                   cart_fit_theta_name(fit, k), fit->se_theta[k]);
        used += wrote > 0 && (size_t)wrote < sizeof fit->report - used ? (size_t)wrote : 0;
      } else if (fit->flags[k]) {
        const int wrote = snprintf(fit->report + used, sizeof fit->report - used,
                                   "%s: not identifiable: the information is singular in its "
                                   "direction\n", cart_fit_theta_name(fit, k));
        used += wrote > 0 && (size_t)wrote < sizeof fit->report - used ? (size_t)wrote : 0;
      }
    }
    for (size_t a = 0; a < nt; a++) {
      for (size_t b = 0; b < nt; b++) {
        const double r = (fit->flags[a] || fit->flags[b])
                             ? (a == b ? 1.0 : NAN)
                             : gsl_matrix_get(C, a, b) / (fit->se_theta[a] * fit->se_theta[b]);
        fit->correlation[a * nt + b] = r;
        if (a < b && fabs(r) > FIT_CORR_MAX) {
          fit->flags[a] |= CART_FIT_NOT_IDENTIFIABLE;
          fit->flags[b] |= CART_FIT_NOT_IDENTIFIABLE;
          const int wrote = snprintf(fit->report + used, sizeof fit->report - used,
                                     "%s and %s: not identifiable apart: correlation %.4f\n",
                                     cart_fit_theta_name(fit, a), cart_fit_theta_name(fit, b), r);
          used += wrote > 0 && (size_t)wrote < sizeof fit->report - used ? (size_t)wrote : 0;
        }
      }
    }
  }
  gsl_matrix_free(I);
  gsl_matrix_free(V);
  gsl_matrix_free(C);
  gsl_vector_free(lambda);
  gsl_eigen_symmv_free(w);
  return status;
}

int cart_fit_run(cart_fit *fit)
{
  if (fit == NULL) {
    return CART_EINVAL;
  }
  if (fit->np == 0) {
    return cartp_error(&fit->error, CART_EINVAL, "fit: no fitted parameters");
  }
  fit->have_result = 0;
  fit->n_sens = fit->n_fd_fallbacks = 0;
  const size_t nt = cart_fit_n_theta(fit);
  double theta[FIT_MAX_THETA];
  cart_fit_initial_theta(fit, theta);
  int iterations = 0, status = run_lm(fit, theta, &iterations);
  fit->optimiser = "lm";
  if (status != CART_OK && status != CART_EINVAL && status != CART_ESOLVER) {
    return status;
  }
  int has_prior = 0;
  for (size_t k = 0; k < fit->np; k++) {
    has_prior |= fit->fp[k].has_prior;
  }
  double value = NAN;
  if (fit->estimate_sigma || fit->data->n_blq > 0 || has_prior || status != CART_OK) {
    if (fit->estimate_sigma && status == CART_OK) {
      /* sigmas from the least-squares residuals: scale both by the root mean square of the
       * weighted residuals at the initial sigmas */
      double ss = 0, sa, sb, dp[FIT_MAX_THETA];
      size_t n_obs = 0;
      if (evaluate(fit, theta, fit->pred, NULL, dp, &sa, &sb) == CART_OK) {
        for (size_t i = 0; i < fit->data->n; i++) {
          const cartp_fit_obs *o = &fit->data->obs[i];
          double dg, d1, d2, d3;
          if (o->blq) {
            continue;
          }
          const double G = g_of(fit, fit->pred[i], &dg);
          const double sd = sd_of(G, sa, sb, &d1, &d2, &d3);
          const double r = (g_of(fit, o->value, &dg) - G) / sd;
          ss += r * r;
          n_obs++;
        }
        const double s = n_obs > 0 && ss > 0 ? sqrt(ss / (double)n_obs) : 1.0;
        for (size_t k = fit->np; k < nt; k++) {
          theta[k] += log(s);
        }
      }
    }
    status = run_bfgs(fit, theta, -1, &iterations, &value);
    fit->optimiser = "lm+bfgs2";
    if (status != CART_OK) {
      return status;
    }
  }
  status = cart_fit_objective(fit, theta, &value, NULL);
  if (status != CART_OK) {
    return status;
  }
  memcpy(fit->theta_hat, theta, nt * sizeof *theta);
  fit->objective = value;
  fit->iterations = iterations;
  status = covariance(fit, theta);
  if (status != CART_OK) {
    return status;
  }
  fit->have_result = 1;
  cart_error_clear(&fit->error);
  return CART_OK;
}

int cart_fit_run_all(cart_fit **fits, size_t n, int n_threads, int *statuses)
{
  if ((fits == NULL || statuses == NULL) && n > 0) {
    return CART_EINVAL;
  }
  const long long count = (long long)n;
#ifdef _OPENMP
  const int threads = n_threads > 0 ? n_threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) default(none) \
    shared(fits, statuses, count)
#else
  (void)n_threads;
#endif
  for (long long i = 0; i < count; i++) {
    statuses[i] = cart_fit_run(fits[i]);
  }
  return CART_OK;
}

int cart_fit_get_result(const cart_fit *fit, cart_fit_result *result)
{
  if (fit == NULL || result == NULL || !fit->have_result) {
    return CART_EINVAL;
  }
  const size_t nt = cart_fit_n_theta(fit);
  result->objective = fit->objective;
  result->n_theta = nt;
  result->n_observations = fit->data->n;
  result->n_blq = fit->data->n_blq;
  result->identifiable = 1;
  for (size_t k = 0; k < nt; k++) {
    if (fit->flags[k]) {
      result->identifiable = 0;
    }
  }
  result->iterations = fit->iterations;
  result->optimiser = fit->optimiser;
  result->gradient_method = fit->n_fd_fallbacks == 0 ? "sensitivities"
                            : fit->n_sens == 0      ? "finite differences"
                                                    : "sensitivities and finite differences";
  return CART_OK;
}

int cart_fit_get_estimate(const cart_fit *fit, size_t k, cart_fit_estimate *e)
{
  if (fit == NULL || e == NULL || !fit->have_result || k >= cart_fit_n_theta(fit)) {
    return CART_EINVAL;
  }
  double v[FIT_MAX_THETA], lo[FIT_MAX_THETA], hi[FIT_MAX_THETA], th[FIT_MAX_THETA];
  const size_t nt = cart_fit_n_theta(fit);
  cart_fit_theta_to_values(fit, fit->theta_hat, v);
  memcpy(th, fit->theta_hat, nt * sizeof th[0]);
  th[k] = fit->theta_hat[k] - FIT_Z95 * fit->se_theta[k];
  cart_fit_theta_to_values(fit, th, lo);
  th[k] = fit->theta_hat[k] + FIT_Z95 * fit->se_theta[k];
  cart_fit_theta_to_values(fit, th, hi);
  double dp = v[k];
  if (k < fit->np) {
    param_value(&fit->fp[k], fit->theta_hat[k], &dp);
  }
  e->name = cart_fit_theta_name(fit, k);
  e->value = v[k];
  e->se = isfinite(fit->se_theta[k]) ? fabs(dp) * fit->se_theta[k] : NAN;
  e->ci_lower = isfinite(fit->se_theta[k]) ? fmin(lo[k], hi[k]) : NAN;
  e->ci_upper = isfinite(fit->se_theta[k]) ? fmax(lo[k], hi[k]) : NAN;
  e->theta = fit->theta_hat[k];
  e->se_theta = fit->se_theta[k];
  e->flags = fit->flags[k];
  return CART_OK;
}

int cart_fit_correlation(const cart_fit *fit, double *correlation)
{
  if (fit == NULL || correlation == NULL || !fit->have_result) {
    return CART_EINVAL;
  }
  const size_t nt = cart_fit_n_theta(fit);
  memcpy(correlation, fit->correlation, nt * nt * sizeof *correlation);
  return CART_OK;
}

const char *cart_fit_identifiability_report(const cart_fit *fit)
{
  return fit && fit->have_result ? fit->report : "";
}

int cart_fit_profile(cart_fit *fit, size_t k, size_t n_points, double width, double *values,
                     double *objective)
{
  if (fit == NULL || values == NULL || objective == NULL || n_points == 0 || !fit->have_result ||
      k >= cart_fit_n_theta(fit)) {
    return CART_EINVAL;
  }
  const size_t nt = cart_fit_n_theta(fit);
  width = width > 0 ? width : 3.0;
  const double se = isfinite(fit->se_theta[k]) ? fit->se_theta[k] : 1.0;
  double theta[FIT_MAX_THETA], v[FIT_MAX_THETA];
  for (size_t j = 0; j < n_points; j++) {
    memcpy(theta, fit->theta_hat, nt * sizeof theta[0]);
    const double u = n_points == 1 ? 0 : -1 + 2 * (double)j / (double)(n_points - 1);
    theta[k] = fit->theta_hat[k] + width * se * u;
    int iterations = 0;
    double value = NAN;
    const int status = run_bfgs(fit, theta, (int)k, &iterations, &value);
    cart_fit_theta_to_values(fit, theta, v);
    values[j] = v[k];
    objective[j] = status == CART_OK ? value : NAN;
  }
  return CART_OK;
}

int cart_fit_curve(cart_fit *fit, int observable, const double *times, size_t n, double *out)
{
  if (fit == NULL || times == NULL || out == NULL || observable < 0 ||
      (size_t)observable >= cart_fit_n_observables(fit->model)) {
    return CART_EINVAL;
  }
  double theta[FIT_MAX_THETA], dp[FIT_MAX_THETA], sa, sb;
  if (fit->have_result) {
    memcpy(theta, fit->theta_hat, cart_fit_n_theta(fit) * sizeof theta[0]);
  } else {
    cart_fit_initial_theta(fit, theta);
  }
  const size_t ns = fit->model->n_states;
  double *states = malloc((n ? n : 1) * ns * sizeof *states);
  if (states == NULL) {
    return cartp_error(&fit->error, CART_ENOMEM, "fit: out of memory");
  }
  int status = set_theta(fit, theta, dp, &sa, &sb);
  if (status == CART_OK) {
    status = cart_solver_solve(fit->solver, fit->work, fit->dosing, times, n, states, NULL);
    if (status != CART_OK) {
      cartp_error_copy(&fit->error, cart_solver_last_error(fit->solver));
    }
  }
  for (size_t i = 0; status == CART_OK && i < n; i++) {
    out[i] = cartp_fit_observe(fit->model, observable, times[i], states + i * ns,
                               fit->work->values);
  }
  free(states);
  return status;
}
