/* calibrate.c: the fit of a calibration (simulated method of moments with common random numbers,
 * Nelder-Mead, sandwich covariance; see cart_calibrate.h for the method and its sources), its
 * result, and the calibrated scenario text.
 *
 * Determinism: every evaluation runs patients 0..N-1 with one seed, whose draws depend only on
 * (seed, i); a trial's endpoints are bit-identical for any thread count, the statistics are
 * computed from them in patient order, and Nelder-Mead is a deterministic sequence of
 * evaluations. So the whole fit is bit-identical for any number of threads.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include <cart/cart_version.h>

#include "../util/error.h"
#include "../util/gsl_init.h"
#include "calibrate_impl.h"

/* Objective of a candidate whose statistic is undefined (NaN: e.g. relapse_cr without any
 * complete responder), per such target, and of a candidate the model rejects (a rule broken,
 * CART_ERULE): large and finite, because nmsimplex2 stops at a non-finite value. */
#define UNDEFINED_PENALTY 1e6
#define INFEASIBLE_PENALTY 1e12

/* Eigenvalues of G'WG below RCOND times the largest mark directions the targets do not
 * identify; a parameter loading more than LOADING on such a direction is not identified. */
#define RCOND 1e-8
#define LOADING 0.3

/* Start values on or outside the search bounds move this fraction of the width inside, so that
 * their logit is finite. */
#define START_INSET 1e-3

struct cart_calibration {
  char *trial_name, *targets_source;
  cart_calibration_summary summary;
  cart_calibration_target *targets;
  cart_calibration_param *params;
  char **names; /* n_targets + n_free copies */
  const cart_model *model;
};

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The logit map between a parameter's search bounds and the real line. */
static double to_real(double theta, double lo, double hi)
{
  const double u = (theta - lo) / (hi - lo);
  return log(u / (1 - u));
}

static double from_real(double x, double lo, double hi)
{
  const double theta = lo + (hi - lo) / (1 + exp(-x));
  return theta < lo ? lo : theta > hi ? hi : theta;
}

/* d theta / d x */
static double slope(double x, double lo, double hi)
{
  const double u = 1 / (1 + exp(-x));
  return (hi - lo) * u * (1 - u);
}

typedef struct fit {
  cart_trial *trial;
  cart_population *population;
  const cart_targets *targets;
  const cart_calibrate_settings *settings;
  size_t p, m;
  int *param_index; /* m: what each target's argument is in the model (cartp_target_index) */
  cartp_sim sim;
  double *values, *mc_se; /* m: of the latest evaluation */
  double best_objective;
  double *best_x;                     /* p */
  double *best_values, *best_mc_se;   /* m */
  size_t evaluations, nm_limit, total;
  int stop, fatal;
  cart_error *err;
  cart_calibrate_progress_fn progress;
  void *progress_data;
} fit;

/* Sets the candidate x (transformed units) in the trial; returns CART_OK, a code that makes
 * the candidate infeasible (> 0 here: 1), or a fatal error (< 0). */
static int set_point(fit *f, const double *x)
{
  for (size_t k = 0; k < f->p; k++) {
    const cartp_free *fr = &f->targets->free[k];
    const double theta = from_real(x[k], fr->lower, fr->upper);
    const int status = fr->is_cv ? cart_population_set_cv(f->population, fr->name, theta)
                                 : cart_params_set(cart_population_typical(f->population),
                                                   fr->name, theta);
    if (status == CART_ENOMEM) {
      return cartp_error(f->err, status, "out of memory setting %s", fr->name);
    }
    if (status != CART_OK) {
      return 1;
    }
  }
  return CART_OK;
}

/* Runs the trial at x; the objective, with the statistics in values / mc_se. */
static double evaluate(fit *f, const double *x, double *values, double *mc_se)
{
  int status = set_point(f, x);
  if (status < 0) {
    f->fatal = status;
    return NAN;
  }
  if (status == CART_OK) {
    status = cartp_sim_run(&f->sim, f->trial, f->settings->n_threads, f->err);
    if (status == CART_ERULE || status == CART_ERANGE) {
      status = 1; /* the population does not prepare at this candidate */
    } else if (status != CART_OK) {
      f->fatal = status;
      return NAN;
    }
  }
  if (status != CART_OK) {
    for (size_t j = 0; j < f->m; j++) {
      values[j] = mc_se[j] = NAN;
    }
    return INFEASIBLE_PENALTY;
  }
  cartp_statistics(f->targets, f->param_index, &f->sim, values, mc_se);
  double objective = 0;
  for (size_t j = 0; j < f->m; j++) {
    const cartp_target *t = &f->targets->targets[j];
    const double r = (values[j] - t->observed) / t->se;
    objective += isnan(r) ? UNDEFINED_PENALTY : r * r;
  }
  return objective;
}

/* One counted evaluation with progress; NaN once stopped, exhausted or failed (nmsimplex2 then
 * returns GSL_EBADFUNC and the loop ends). */
static double counted(fit *f, const double *x, double *values, double *mc_se, int track_best)
{
  if (f->stop || f->fatal || (track_best && f->evaluations >= f->nm_limit)) {
    return NAN;
  }
  const double objective = evaluate(f, x, values, mc_se);
  if (f->fatal) {
    return NAN;
  }
  f->evaluations++;
  if (track_best && objective < f->best_objective) {
    f->best_objective = objective;
    memcpy(f->best_x, x, f->p * sizeof *x);
    memcpy(f->best_values, values, f->m * sizeof *values);
    memcpy(f->best_mc_se, mc_se, f->m * sizeof *mc_se);
  }
  if (f->progress != NULL &&
      f->progress(f->evaluations, f->total, f->best_objective, f->progress_data) != 0) {
    f->stop = 1;
  }
  return objective;
}

static double nm_function(const gsl_vector *v, void *data)
{
  fit *f = data;
  double x[64];
  for (size_t k = 0; k < f->p; k++) {
    x[k] = gsl_vector_get(v, k);
  }
  return counted(f, x, f->values, f->mc_se, 1);
}

/* Nelder-Mead (GSL nmsimplex2) from x0; the best point is kept by counted(). Returns 1 when the
 * simplex shrank below the tolerance. */
static int minimise(fit *f, const double *x0)
{
  const size_t p = f->p;
  gsl_vector *start = gsl_vector_alloc(p), *step = gsl_vector_alloc(p);
  gsl_multimin_fminimizer *nm = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, p);
  int converged = 0;
  if (start == NULL || step == NULL || nm == NULL) {
    f->fatal = cartp_error(f->err, CART_ENOMEM, "out of memory for the simplex");
  } else {
    for (size_t k = 0; k < p; k++) {
      gsl_vector_set(start, k, x0[k]);
      gsl_vector_set(step, k, f->settings->initial_step);
    }
    gsl_multimin_function function = {nm_function, p, f};
    int status = gsl_multimin_fminimizer_set(nm, &function, start, step);
    while (status == GSL_SUCCESS && !f->stop && !f->fatal && f->evaluations < f->nm_limit) {
      status = gsl_multimin_fminimizer_iterate(nm);
      if (status == GSL_SUCCESS &&
          gsl_multimin_fminimizer_size(nm) < f->settings->size_tolerance) {
        converged = 1;
        break;
      }
    }
  }
  gsl_multimin_fminimizer_free(nm);
  gsl_vector_free(start);
  gsl_vector_free(step);
  return converged;
}

/* The sandwich covariance at best_x: G by central differences (2 p evaluations), then
 * (1 + 1/R) (G'WG)^-1 over the identified parameters; SEs on the parameters' own scale. */
static void uncertainty(fit *f, double factor, cart_calibration *result)
{
  const size_t p = f->p, m = f->m;
  const double h = f->settings->fd_step;
  gsl_matrix *G = gsl_matrix_calloc(m, p), *A = gsl_matrix_calloc(p, p);
  gsl_matrix *A_copy = gsl_matrix_alloc(p, p), *V = gsl_matrix_alloc(p, p);
  gsl_vector *lambda = gsl_vector_alloc(p);
  gsl_eigen_symmv_workspace *eigen = gsl_eigen_symmv_alloc(p);
  double *x = malloc(p * sizeof *x), *plus = malloc(m * sizeof *plus);
  double *minus = malloc(m * sizeof *minus), *scratch = malloc(m * sizeof *scratch);
  size_t *identified = malloc(p * sizeof *identified);
  if (!G || !A || !A_copy || !V || !lambda || !eigen || !x || !plus || !minus || !scratch ||
      !identified) {
    f->fatal = cartp_error(f->err, CART_ENOMEM, "out of memory for the covariance");
    goto cleanup;
  }
  for (size_t k = 0; k < p && !f->stop && !f->fatal; k++) {
    memcpy(x, f->best_x, p * sizeof *x);
    x[k] = f->best_x[k] + h;
    counted(f, x, plus, scratch, 0);
    x[k] = f->best_x[k] - h;
    counted(f, x, minus, scratch, 0);
    for (size_t j = 0; j < m; j++) {
      const double d = (plus[j] - minus[j]) / (2 * h);
      /* a statistic undefined on either side adds nothing (its row stays 0) */
      gsl_matrix_set(G, j, k, isnan(d) ? 0.0 : d / f->targets->targets[j].se);
    }
  }
  if (f->stop || f->fatal) {
    goto cleanup;
  }
  /* A = G'WG, with W folded into G's rows above */
  gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, G, G, 0.0, A);
  gsl_matrix_memcpy(A_copy, A);
  gsl_eigen_symmv(A_copy, lambda, V, eigen);
  double lambda_max = 0, lambda_min = INFINITY;
  for (size_t k = 0; k < p; k++) {
    lambda_max = fmax(lambda_max, gsl_vector_get(lambda, k));
    lambda_min = fmin(lambda_min, gsl_vector_get(lambda, k));
  }
  result->summary.condition = lambda_min > 0 ? lambda_max / lambda_min : INFINITY;
  for (size_t k = 0; k < p; k++) {
    result->params[k].identified = lambda_max > 0;
  }
  for (size_t e = 0; e < p && lambda_max > 0; e++) {
    if (gsl_vector_get(lambda, e) <= RCOND * lambda_max) {
      for (size_t k = 0; k < p; k++) {
        if (fabs(gsl_matrix_get(V, k, e)) > LOADING) {
          result->params[k].identified = 0;
        }
      }
    }
  }
  /* The identified parameters' block of A, inverted by Cholesky (the others held fixed). */
  size_t q = 0;
  for (size_t k = 0; k < p; k++) {
    if (result->params[k].identified) {
      identified[q++] = k;
    }
  }
  if (q > 0) {
    gsl_matrix *B = gsl_matrix_alloc(q, q);
    if (B == NULL) {
      f->fatal = cartp_error(f->err, CART_ENOMEM, "out of memory for the covariance");
      goto cleanup;
    }
    for (size_t a = 0; a < q; a++) {
      for (size_t b = 0; b < q; b++) {
        gsl_matrix_set(B, a, b, gsl_matrix_get(A, identified[a], identified[b]));
      }
    }
    if (gsl_linalg_cholesky_decomp1(B) == GSL_SUCCESS && gsl_linalg_cholesky_invert(B) == GSL_SUCCESS) {
      for (size_t a = 0; a < q; a++) {
        const size_t k = identified[a];
        const cartp_free *fr = &f->targets->free[k];
        const double var_x = factor * gsl_matrix_get(B, a, a);
        result->params[k].se = slope(f->best_x[k], fr->lower, fr->upper) * sqrt(var_x);
      }
    } else {
      for (size_t a = 0; a < q; a++) {
        result->params[identified[a]].identified = 0;
      }
    }
    gsl_matrix_free(B);
  }

cleanup:
  gsl_matrix_free(G);
  gsl_matrix_free(A);
  gsl_matrix_free(A_copy);
  gsl_matrix_free(V);
  gsl_vector_free(lambda);
  gsl_eigen_symmv_free(eigen);
  free(x);
  free(plus);
  free(minus);
  free(scratch);
  free(identified);
}

void cart_calibration_free(cart_calibration *c)
{
  if (c == NULL) {
    return;
  }
  if (c->names != NULL) {
    for (size_t i = 0; i < c->summary.n_targets + c->summary.n_free; i++) {
      free(c->names[i]);
    }
  }
  free(c->names);
  free(c->targets);
  free(c->params);
  free(c->trial_name);
  free(c->targets_source);
  free(c);
}

static cart_calibration *result_new(const cart_targets *targets, const cart_model *model)
{
  cart_calibration *c = calloc(1, sizeof *c);
  if (c == NULL) {
    return NULL;
  }
  const size_t m = targets->n_targets, p = targets->n_free;
  c->model = model;
  c->summary.n_targets = m;
  c->summary.n_free = p;
  c->summary.condition = NAN;
  c->targets = calloc(m, sizeof *c->targets);
  c->params = calloc(p, sizeof *c->params);
  c->names = calloc(m + p, sizeof *c->names);
  c->trial_name = strdup(targets->trial_name);
  c->targets_source = strdup(targets->source);
  int ok = c->targets && c->params && c->names && c->trial_name && c->targets_source;
  for (size_t i = 0; ok && i < m + p; i++) {
    c->names[i] = strdup(i < m ? targets->targets[i].name : targets->free[i - m].name);
    ok = c->names[i] != NULL;
  }
  if (!ok) {
    cart_calibration_free(c);
    return NULL;
  }
  for (size_t i = 0; i < m; i++) {
    const cartp_target *t = &targets->targets[i];
    c->targets[i] = (cart_calibration_target){c->names[i], t->observed, t->lower, t->upper,
                                              t->se, NAN, NAN, 0};
  }
  for (size_t k = 0; k < p; k++) {
    const cartp_free *fr = &targets->free[k];
    c->params[k] = (cart_calibration_param){c->names[m + k], fr->is_cv, fr->lower, fr->upper,
                                            NAN, NAN, NAN, 1};
  }
  return c;
}

/* The trial's current value of free parameter fr (a CV of 0 when it does not vary). */
static double current_value(cart_population *population, const cartp_free *fr)
{
  double value = 0;
  if (!fr->is_cv) {
    cart_params_get(cart_population_typical(population), fr->name, &value);
    return value;
  }
  for (size_t i = 0; i < cart_population_n_varied(population); i++) {
    const char *name;
    double cv;
    if (cart_population_varied(population, i, &name, &cv) == CART_OK &&
        strcmp(name, fr->name) == 0) {
      value = cv;
    }
  }
  return value;
}

int cart_calibration_new(cart_trial *trial, const cart_targets *targets,
                         const cart_calibrate_settings *settings,
                         cart_calibrate_progress_fn progress, void *progress_data,
                         cart_calibration **result, cart_error *err)
{
  const double started = now();
  if (result != NULL) {
    *result = NULL;
  }
  if (trial == NULL || targets == NULL || result == NULL) {
    return cartp_error(err, CART_EINVAL,
                       "cart_calibration_new: trial, targets and result are needed");
  }
  cartp_gsl_init();
  cart_calibrate_settings local;
  if (settings == NULL) {
    cart_calibrate_settings_default(&local);
    cart_targets_settings(targets, &local);
    settings = &local;
  }
  if (settings->max_evaluations < 1 || !(settings->initial_step > 0) ||
      !(settings->size_tolerance > 0) || !(settings->fd_step > 0)) {
    return cartp_error(err, CART_EINVAL,
                       "cart_calibration_new: max_evaluations >= 1, initial_step, "
                       "size_tolerance and fd_step > 0 are needed");
  }
  if (targets->n_free > 64) {
    return cartp_error(err, CART_EINVAL, "cart_calibration_new: at most 64 free parameters");
  }
  int status = cart_targets_check(targets, trial, err);
  if (status != CART_OK) {
    return status;
  }
  const cart_model *model = cart_trial_model(trial);
  cart_population *population = cart_trial_edit_population(trial);
  const size_t p = targets->n_free, m = targets->n_targets;
  const size_t saved_n = cart_trial_n_patients(trial);
  const uint64_t saved_seed = cart_trial_seed(trial);
  const size_t n = settings->n_patients ? settings->n_patients : saved_n;
  const uint64_t seed = settings->use_seed ? settings->seed : saved_seed;

  fit f;
  memset(&f, 0, sizeof f);
  f.trial = trial;
  f.population = population;
  f.targets = targets;
  f.settings = settings;
  f.p = p;
  f.m = m;
  f.err = err;
  f.progress = progress;
  f.progress_data = progress_data;
  f.best_objective = INFINITY;
  f.nm_limit = settings->max_evaluations;
  f.total = settings->max_evaluations + 2 * p;
  double *saved = malloc(p * sizeof *saved), *x0 = malloc(p * sizeof *x0);
  f.param_index = malloc(m * sizeof *f.param_index);
  f.values = malloc(m * sizeof *f.values);
  f.mc_se = malloc(m * sizeof *f.mc_se);
  f.best_values = malloc(m * sizeof *f.best_values);
  f.best_mc_se = malloc(m * sizeof *f.best_mc_se);
  f.best_x = malloc(p * sizeof *f.best_x);
  cart_calibration *c = result_new(targets, model);
  int sim_ready = 0;
  if (!saved || !x0 || !f.param_index || !f.values || !f.mc_se || !f.best_values ||
      !f.best_mc_se || !f.best_x || c == NULL) {
    status = cartp_error(err, CART_ENOMEM, "out of memory for a calibration");
    goto cleanup;
  }
  status = cartp_sim_init(&f.sim, n, targets, model, err);
  if (status != CART_OK) {
    goto cleanup;
  }
  sim_ready = 1;
  cartp_target_index(targets, model, f.param_index);
  for (size_t k = 0; k < p; k++) {
    const cartp_free *fr = &targets->free[k];
    saved[k] = current_value(population, fr);
    const double inset = START_INSET * (fr->upper - fr->lower);
    const double start = fmin(fmax(saved[k], fr->lower + inset), fr->upper - inset);
    c->params[k].start = start;
    x0[k] = to_real(start, fr->lower, fr->upper);
  }
  status = cart_trial_set_n_patients(trial, n);
  if (status != CART_OK) {
    cartp_error_copy(err, cart_trial_last_error(trial));
    goto cleanup;
  }
  cart_trial_set_seed(trial, seed);

  c->summary.converged = minimise(&f, x0);
  if (!f.fatal && f.evaluations == 0) {
    status = cartp_error(err, CART_ESTOPPED, "stopped before the first evaluation");
    goto restore;
  }
  size_t n_observed = settings->n_observed;
  if (n_observed == 0) {
    for (size_t j = 0; j < m; j++) {
      n_observed = targets->targets[j].total > n_observed ? targets->targets[j].total : n_observed;
    }
  }
  const double factor = n_observed > 0 ? 1 + (double)n_observed / (double)n : 1.0;
  c->summary.variance_factor = factor;
  if (!f.fatal && !f.stop) {
    uncertainty(&f, factor, c);
  }

restore:
  /* the caller's trial as it was */
  for (size_t k = 0; k < p; k++) {
    const cartp_free *fr = &targets->free[k];
    if (fr->is_cv) {
      cart_population_set_cv(population, fr->name, saved[k]);
    } else {
      cart_params_set(cart_population_typical(population), fr->name, saved[k]);
    }
  }
  cart_trial_set_n_patients(trial, saved_n);
  cart_trial_set_seed(trial, saved_seed);
  if (status != CART_OK) {
    goto cleanup;
  }
  if (f.fatal) {
    status = f.fatal;
    goto cleanup;
  }
  c->summary.complete = !f.stop;
  c->summary.objective = f.best_objective;
  c->summary.evaluations = f.evaluations;
  c->summary.n_patients = n;
  c->summary.seed = seed;
  for (size_t j = 0; j < m; j++) {
    c->targets[j].simulated = f.best_values[j];
    c->targets[j].mc_se = f.best_mc_se[j];
    c->targets[j].in_range =
        f.best_values[j] >= c->targets[j].lower && f.best_values[j] <= c->targets[j].upper;
  }
  for (size_t k = 0; k < p; k++) {
    const cartp_free *fr = &targets->free[k];
    c->params[k].value = from_real(f.best_x[k], fr->lower, fr->upper);
  }
  status = f.stop ? cartp_error(err, CART_ESTOPPED,
                                "calibration stopped after %zu evaluations: the best point so "
                                "far is reported, without standard errors",
                                f.evaluations)
                  : CART_OK;
  if (status == CART_OK) {
    cart_error_clear(err);
  }

cleanup:
  c->summary.wall_seconds = now() - started;
  if (status == CART_OK || status == CART_ESTOPPED) {
    *result = c;
  } else {
    cart_calibration_free(c);
  }
  if (sim_ready) {
    cartp_sim_clear(&f.sim);
  }
  free(saved);
  free(x0);
  free(f.param_index);
  free(f.values);
  free(f.mc_se);
  free(f.best_values);
  free(f.best_mc_se);
  free(f.best_x);
  return status;
}

int cart_calibration_get_summary(const cart_calibration *c, cart_calibration_summary *summary)
{
  if (c == NULL || summary == NULL) {
    return CART_EINVAL;
  }
  *summary = c->summary;
  return CART_OK;
}

int cart_calibration_get_target(const cart_calibration *c, size_t i,
                                cart_calibration_target *target)
{
  if (c == NULL || target == NULL || i >= c->summary.n_targets) {
    return CART_EINVAL;
  }
  *target = c->targets[i];
  return CART_OK;
}

int cart_calibration_get_param(const cart_calibration *c, size_t i, cart_calibration_param *param)
{
  if (c == NULL || param == NULL || i >= c->summary.n_free) {
    return CART_EINVAL;
  }
  *param = c->params[i];
  return CART_OK;
}

int cart_calibration_apply(const cart_calibration *c, cart_trial *trial)
{
  if (c == NULL || trial == NULL || cart_trial_model(trial) != c->model) {
    return CART_EINVAL;
  }
  cart_population *population = cart_trial_edit_population(trial);
  for (size_t k = 0; k < c->summary.n_free; k++) {
    const cart_calibration_param *q = &c->params[k];
    const int status =
        q->is_cv ? cart_population_set_cv(population, q->name, q->value)
                 : cart_params_set(cart_population_typical(population), q->name, q->value);
    if (status != CART_OK) {
      return status;
    }
  }
  return CART_OK;
}

/* ---- the calibrated scenario ---- */

typedef struct text_buffer {
  char *data;
  size_t length, capacity;
  int failed;
} text_buffer;

static void append(text_buffer *b, const char *text, size_t length)
{
  if (b->failed) {
    return;
  }
  if (b->length + length + 1 > b->capacity) {
    size_t wanted = b->capacity ? 2 * b->capacity : 4096;
    while (wanted < b->length + length + 1) {
      wanted *= 2;
    }
    char *grown = realloc(b->data, wanted);
    if (grown == NULL) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->capacity = wanted;
  }
  memcpy(b->data + b->length, text, length);
  b->length += length;
  b->data[b->length] = '\0';
}

static void appendf(text_buffer *b, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void appendf(text_buffer *b, const char *format, ...)
{
  char line[1024];
  va_list args;
  va_start(args, format);
  const int n = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (n > 0) {
    append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  }
}

static void comment_block(text_buffer *b, const cart_calibration *c)
{
  const cart_calibration_summary *s = &c->summary;
  appendf(b, "# Calibrated by cart calibrate %s to %s (%s),\n", cart_version(),
          c->trial_name[0] ? c->trial_name : "unnamed trial", c->targets_source);
  appendf(b, "# N = %zu, seed = %llu; objective %.6g after %zu evaluations (%s).\n",
          s->n_patients, (unsigned long long)s->seed, s->objective, s->evaluations,
          !s->complete ? "stopped" : s->converged ? "converged" : "max_evaluations reached");
  appendf(b, "# Run with n_patients = %zu and seed = %llu to reproduce the simulated statistics.\n",
          s->n_patients, (unsigned long long)s->seed);
  appendf(b, "# targets: observed [95 %% interval] vs simulated +- MC SE (in range):\n");
  for (size_t j = 0; j < s->n_targets; j++) {
    const cart_calibration_target *t = &c->targets[j];
    appendf(b, "#   %-24s %.4g [%.4g, %.4g] vs %.4g +- %.2g (%s)\n", t->name, t->observed,
            t->lower, t->upper, t->simulated, t->mc_se, t->in_range ? "yes" : "no");
  }
  appendf(b, "# fitted values +- SE (search bounds):\n");
  for (size_t k = 0; k < s->n_free; k++) {
    const cart_calibration_param *q = &c->params[k];
    char se[64];
    if (!s->complete) {
      snprintf(se, sizeof se, "no SE (stopped)");
    } else if (!q->identified) {
      snprintf(se, sizeof se, "not identified by the targets");
    } else {
      snprintf(se, sizeof se, "+- %.3g", q->se);
    }
    char name[96];
    snprintf(name, sizeof name, "%s%s", q->is_cv ? "cv." : "", q->name);
    appendf(b, "#   %-24s %.6g %s ([%g, %g])\n", name, q->value, se, q->lower, q->upper);
  }
  appendf(b, "# Calibrated to these summary statistics, not validated beyond them.\n#\n");
}

static int is_blank_char(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* Section name of a header line "[name]" into out; 0, or -1 when the line is not one. */
static int header_name(const char *line, size_t length, char *out, size_t size)
{
  size_t i = 0;
  while (i < length && is_blank_char(line[i])) {
    i++;
  }
  if (i == length || line[i] != '[') {
    return -1;
  }
  const char *close = memchr(line + i, ']', length - i);
  if (close == NULL) {
    return -1;
  }
  snprintf(out, size, "%.*s", (int)(close - line - i - 1), line + i + 1);
  return 0;
}

/* The key of a "key = value" line into out (trimmed); 0, or -1 for other lines. */
static int key_name(const char *line, size_t length, char *out, size_t size, size_t *value_at)
{
  size_t i = 0;
  while (i < length && is_blank_char(line[i])) {
    i++;
  }
  if (i == length || line[i] == '#' || line[i] == ';' || line[i] == '[') {
    return -1;
  }
  size_t e = i;
  while (e < length && line[e] != '=' && line[e] != ':') {
    e++;
  }
  if (e == length) {
    return -1;
  }
  size_t end = e;
  while (end > i && is_blank_char(line[end - 1])) {
    end--;
  }
  snprintf(out, size, "%.*s", (int)(end - i), line + i);
  *value_at = e + 1;
  return 0;
}

static void value_line(text_buffer *b, const cart_calibration_param *q, const char *indent,
                       size_t indent_length, const char *comment)
{
  append(b, indent, indent_length);
  appendf(b, "%s = %.17g", q->name, q->value);
  if (comment != NULL) {
    append(b, " ", 1);
    append(b, comment, strlen(comment));
  }
  append(b, "\n", 1);
}

/* At the end of [section] (parameters or variability): the fitted keys the scenario did not
 * give there, once. done[k]: parameter k written; added[0], added[1]: each section completed. */
static void end_of_section(text_buffer *b, const cart_calibration *c, const char *section,
                           int *done, int *added)
{
  static const char *const section_of[2] = {"parameters", "variability"};
  for (int s = 0; s < 2; s++) {
    if (strcmp(section, section_of[s]) == 0 && !added[s]) {
      for (size_t k = 0; k < c->summary.n_free; k++) {
        if (c->params[k].is_cv == s && !done[k]) {
          value_line(b, &c->params[k], "", 0, NULL);
          done[k] = 1;
        }
      }
      added[s] = 1;
    }
  }
}

int cart_calibration_scenario(const cart_calibration *c, const char *scenario_text,
                              char *buffer, size_t size, size_t *length)
{
  if (c == NULL || scenario_text == NULL || length == NULL || (buffer == NULL && size > 0)) {
    return CART_EINVAL;
  }
  const size_t p = c->summary.n_free;
  static const char *const section_of[2] = {"parameters", "variability"};
  int *done = calloc(p ? p : 1, sizeof *done);
  if (done == NULL) {
    return CART_ENOMEM;
  }
  text_buffer b = {NULL, 0, 0, 0};
  comment_block(&b, c);
  /* Lines, with the current section; blank lines are held back so that keys added to a section
   * go after its last non-blank line. */
  char section[64] = "";
  int added[2] = {0, 0};
  const char *held = NULL; /* start of held blank lines */
  size_t held_length = 0;
  const char *line = scenario_text;
  for (;;) {
    const char *newline = strchr(line, '\n');
    const int last = newline == NULL;
    const size_t line_length = last ? strlen(line) : (size_t)(newline - line);
    if (last && line_length == 0) {
      break;
    }
    char name[64], key[128];
    size_t blank = 0;
    while (blank < line_length && is_blank_char(line[blank])) {
      blank++;
    }
    const int is_header = header_name(line, line_length, name, sizeof name) == 0;
    if (is_header) {
      /* the end of the current section: add its missing keys */
      end_of_section(&b, c, section, done, added);
      append(&b, held ? held : "", held_length);
      held = NULL;
      held_length = 0;
      snprintf(section, sizeof section, "%s", name);
      append(&b, line, line_length);
      append(&b, "\n", 1);
    } else if (blank == line_length) {
      if (held == NULL) {
        held = line;
      }
      held_length = (size_t)(line + line_length - held) + (last ? 0 : 1);
    } else {
      append(&b, held ? held : "", held_length);
      held = NULL;
      held_length = 0;
      size_t value_at = 0;
      int replaced = 0;
      if (key_name(line, line_length, key, sizeof key, &value_at) == 0) {
        for (size_t k = 0; k < p && !replaced; k++) {
          const cart_calibration_param *q = &c->params[k];
          if (!done[k] && strcmp(section, section_of[q->is_cv]) == 0 &&
              strcmp(key, q->name) == 0) {
            /* keep an inline comment (libinih's: ';' after a blank) */
            char rest[512];
            snprintf(rest, sizeof rest, "%.*s", (int)(line_length - value_at), line + value_at);
            char *comment = NULL;
            for (char *r = rest; *r; r++) {
              if (*r == ';' && r > rest && is_blank_char(r[-1])) {
                comment = r;
                break;
              }
            }
            value_line(&b, q, line, blank, comment);
            done[k] = 1;
            replaced = 1;
          }
        }
      }
      if (!replaced) {
        append(&b, line, line_length);
        append(&b, "\n", 1);
      }
    }
    if (last) {
      break;
    }
    line = newline + 1;
  }
  /* the end of the last section, then sections the scenario lacks */
  end_of_section(&b, c, section, done, added);
  append(&b, held ? held : "", held_length);
  if (held != NULL && held_length > 0 && held[held_length - 1] != '\n') {
    append(&b, "\n", 1);
  }
  for (int s = 0; s < 2; s++) {
    int header = 0;
    for (size_t k = 0; k < p; k++) {
      if (c->params[k].is_cv == s && !done[k]) {
        if (!header) {
          appendf(&b, "\n[%s]\n", section_of[s]);
          header = 1;
        }
        value_line(&b, &c->params[k], "", 0, NULL);
        done[k] = 1;
      }
    }
  }
  free(done);
  if (b.failed) {
    free(b.data);
    return CART_ENOMEM;
  }
  *length = b.length;
  int status = CART_OK;
  if (size > 0) {
    const size_t copy = b.length < size ? b.length : size - 1;
    memcpy(buffer, b.data ? b.data : "", copy);
    buffer[copy] = '\0';
  }
  if (b.length >= size) {
    status = CART_ERANGE;
  }
  free(b.data);
  return status;
}
