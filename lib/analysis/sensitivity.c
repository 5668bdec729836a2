/* sensitivity.c: global sensitivity analysis, Saltelli's design with the Saltelli 2010 and
 * Jansen 1999 estimators and Morris's elementary effects (see cart_sensitivity.h for the methods
 * and their sources).
 *
 * Determinism: the design is made once from the settings; every estimate sums over rows in row
 * order (compensated sums), and the bootstrap draws from one mt19937 stream seeded with the
 * settings' seed in a fixed order, so the indices depend on the outputs only, never on threads.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <cart/cart_model.h>
#include <cart/cart_sensitivity.h>

#include "../calibrate/calibrate_impl.h"
#include "../util/error.h"
#include "../util/gsl_init.h"
#include "../util/sum.h"
#include "../util/text.h"

/* The unit cube's faces for the normal kinds: their 0.1 % and 99.9 % quantiles, so that an open
 * bound (rho > 0, or an infinite one) is never reached. */
#define NORMAL_U_MIN 1e-3

/* GSL's Sobol generator has at most 40 dimensions (gsl_qrng_sobol). */
#define SOBOL_MAX_DIMENSION 40

struct cart_sensitivity {
  cart_sensitivity_settings settings;
  size_t p, n_rows;
  cart_sensitivity_param *params; /* names owned */
  double *unit, *values;          /* n_rows x p */
  double *outputs;                /* n_rows */
  cart_sensitivity_index *indices; /* p */
  cart_sensitivity_summary summary;
  char refusal[CART_ERROR_MESSAGE_SIZE + 40]; /* "design row R: " and why it was refused */
  char *statistic;
  cart_error error;
};

void cart_sensitivity_settings_default(cart_sensitivity_settings *settings)
{
  if (settings == NULL) {
    return;
  }
  settings->method = CART_SENSITIVITY_SOBOL;
  settings->n = 1024;
  settings->levels = 4;
  settings->seed = 1;
  settings->n_bootstrap = 1000;
  settings->confidence = 0.95;
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- ranges ---- */

static double logistic(double x)
{
  return 1.0 / (1.0 + exp(-x));
}

/* The standard normal bounds (z) of a normal kind's truncation. */
static void normal_bounds(const cart_sensitivity_param *q, double omega, double *z_lo, double *z_hi)
{
  if (q->distribution == CART_SENSITIVITY_LOG_NORMAL) {
    const double centre = log(q->typical);
    *z_lo = q->lower > 0 ? (log(q->lower) - centre) / omega : -INFINITY;
    *z_hi = isfinite(q->upper) ? (log(q->upper) - centre) / omega : INFINITY;
  } else {
    const double centre = log(q->typical / (1 - q->typical));
    *z_lo = q->lower > 0 ? (log(q->lower / (1 - q->lower)) - centre) / omega : -INFINITY;
    *z_hi = q->upper < 1 ? (log(q->upper / (1 - q->upper)) - centre) / omega : INFINITY;
  }
}

/* The value of parameter q at the unit-cube coordinate u (its inverse CDF). */
static double map_unit(const cart_sensitivity_param *q, double u)
{
  switch (q->distribution) {
  case CART_SENSITIVITY_UNIFORM: return q->lower + u * (q->upper - q->lower);
  case CART_SENSITIVITY_LOG_UNIFORM: return q->lower * pow(q->upper / q->lower, u);
  default: break;
  }
  const double omega = sqrt(log1p(q->cv * q->cv));
  double z_lo, z_hi;
  normal_bounds(q, omega, &z_lo, &z_hi);
  /* inverse CDF of the truncated normal: u spans [Phi(z_lo), Phi(z_hi)] */
  const double v = u < NORMAL_U_MIN ? NORMAL_U_MIN : u > 1 - NORMAL_U_MIN ? 1 - NORMAL_U_MIN : u;
  const double p_lo = gsl_cdf_ugaussian_P(z_lo), p_hi = gsl_cdf_ugaussian_P(z_hi);
  const double z = gsl_cdf_ugaussian_Pinv(p_lo + v * (p_hi - p_lo));
  double x;
  if (q->distribution == CART_SENSITIVITY_LOG_NORMAL) {
    x = q->typical * exp(omega * z);
  } else {
    x = logistic(log(q->typical / (1 - q->typical)) + omega * z);
  }
  return x < q->lower ? q->lower : x > q->upper ? q->upper : x;
}

static int check_param(const cart_sensitivity_param *q, cart_error *err)
{
  if (q->name == NULL || q->name[0] == '\0') {
    return cartp_error(err, CART_EINVAL, "a parameter has no name");
  }
  switch (q->distribution) {
  case CART_SENSITIVITY_UNIFORM:
  case CART_SENSITIVITY_LOG_UNIFORM:
    if (!(isfinite(q->lower) && isfinite(q->upper) && q->lower < q->upper)) {
      return cartp_error(err, CART_ERANGE, "%s: the range %g, %g must be finite with lower < upper",
                         q->name, q->lower, q->upper);
    }
    if (q->distribution == CART_SENSITIVITY_LOG_UNIFORM && !(q->lower > 0)) {
      return cartp_error(err, CART_ERANGE, "%s: a log-uniform range needs lower > 0 (not %g)",
                         q->name, q->lower);
    }
    return CART_OK;
  case CART_SENSITIVITY_LOG_NORMAL:
  case CART_SENSITIVITY_LOGIT_NORMAL:
    if (!(q->cv > 0 && isfinite(q->cv) && isfinite(sqrt(log1p(q->cv * q->cv))))) {
      return cartp_error(err, CART_ERANGE, "%s: the cv %g must be > 0 and finite", q->name, q->cv);
    }
    if (!(q->lower < q->upper) || isnan(q->lower) || isnan(q->upper)) {
      return cartp_error(err, CART_ERANGE, "%s: the truncation %g, %g needs lower < upper",
                         q->name, q->lower, q->upper);
    }
    if (q->distribution == CART_SENSITIVITY_LOG_NORMAL && !(q->typical > 0 && isfinite(q->typical))) {
      return cartp_error(err, CART_ERANGE, "%s: a log-normal typical value must be > 0 (not %g)",
                         q->name, q->typical);
    }
    if (q->distribution == CART_SENSITIVITY_LOGIT_NORMAL &&
        !(q->typical > 0 && q->typical < 1 && q->lower >= 0 && q->upper <= 1)) {
      return cartp_error(err, CART_ERANGE,
                         "%s: a logit-normal parameter needs 0 < typical (%g) < 1 and its "
                         "truncation within [0, 1]",
                         q->name, q->typical);
    }
    if (!(q->typical >= q->lower && q->typical <= q->upper)) {
      return cartp_error(err, CART_ERANGE, "%s: the typical value %g lies outside %g, %g",
                         q->name, q->typical, q->lower, q->upper);
    }
    return CART_OK;
  default: return cartp_error(err, CART_EINVAL, "%s: unknown distribution", q->name);
  }
}

/* ---- designs ---- */

/* Saltelli's A, B and AB_i from the first N points of the 2p-dimensional Sobol sequence. */
static int sobol_design(cart_sensitivity *s, cart_error *err)
{
  const size_t p = s->p, n = s->settings.n;
  gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned int)(2 * p));
  double point[SOBOL_MAX_DIMENSION];
  if (q == NULL) {
    return cartp_error(err, CART_ENOMEM, "out of memory for the Sobol sequence");
  }
  for (size_t j = 0; j < n; j++) {
    /* the sequence's first point is the origin, which GSL's generator skips: keep it, so that
     * N = 2^k points form a balanced net (Owen AB, "On dropping the first Sobol' point", Monte
     * Carlo and Quasi-Monte Carlo Methods 2020, Springer 2022, 71-86) */
    if (j == 0) {
      memset(point, 0, sizeof point);
    } else {
      gsl_qrng_get(q, point);
    }
    double *a = s->unit + j * p, *b = s->unit + (n + j) * p;
    for (size_t k = 0; k < p; k++) {
      a[k] = point[k];
      b[k] = point[p + k];
    }
    for (size_t i = 0; i < p; i++) {
      double *ab = s->unit + ((2 + i) * n + j) * p;
      memcpy(ab, a, p * sizeof *ab);
      ab[i] = b[i];
    }
  }
  gsl_qrng_free(q);
  return CART_OK;
}

/* Morris's r trajectories: for each, a random low grid level of every parameter, a random
 * direction (up from the low level, or down from low + delta) and a random order. */
static int morris_design(cart_sensitivity *s, cart_error *err)
{
  const size_t p = s->p, levels = s->settings.levels;
  const double step = 1.0 / (double)(levels - 1);
  const double delta = (double)levels / (2.0 * (double)(levels - 1));
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  size_t *order = malloc(p * sizeof *order);
  int *up = malloc(p * sizeof *up);
  if (rng == NULL || order == NULL || up == NULL) {
    gsl_rng_free(rng);
    free(order);
    free(up);
    return cartp_error(err, CART_ENOMEM, "out of memory for the Morris design");
  }
  gsl_rng_set(rng, (unsigned long)(s->settings.seed ^ (s->settings.seed >> 32)));
  for (size_t t = 0; t < s->settings.n; t++) {
    double *row = s->unit + t * (p + 1) * p;
    for (size_t k = 0; k < p; k++) {
      const double low = (double)gsl_rng_uniform_int(rng, levels / 2) * step;
      up[k] = gsl_rng_uniform_int(rng, 2) == 1;
      row[k] = up[k] ? low : low + delta;
      order[k] = k;
    }
    gsl_ran_shuffle(rng, order, p, sizeof *order);
    for (size_t m = 0; m < p; m++) {
      double *next = row + p;
      memcpy(next, row, p * sizeof *next);
      next[order[m]] += up[order[m]] ? delta : -delta;
      row = next;
    }
  }
  gsl_rng_free(rng);
  free(order);
  free(up);
  return CART_OK;
}

void cart_sensitivity_free(cart_sensitivity *s)
{
  if (s == NULL) {
    return;
  }
  if (s->params != NULL) {
    for (size_t k = 0; k < s->p; k++) {
      free((char *)s->params[k].name);
    }
  }
  free(s->params);
  free(s->unit);
  free(s->values);
  free(s->outputs);
  free(s->indices);
  free(s->statistic);
  free(s);
}

static void clear_indices(cart_sensitivity *s)
{
  for (size_t k = 0; k < s->p; k++) {
    cart_sensitivity_index *x = &s->indices[k];
    const char *name = s->params[k].name;
    x->name = name;
    x->first = x->first_lower = x->first_upper = NAN;
    x->total = x->total_lower = x->total_upper = NAN;
    x->mu = x->mu_star = x->sigma = x->mu_star_lower = x->mu_star_upper = NAN;
  }
  s->summary.analysed = 0;
  s->summary.n_valid = 0;
  s->summary.mean = s->summary.variance = NAN;
}

cart_sensitivity *cart_sensitivity_new(const cart_sensitivity_param *params, size_t n_params,
                                       const cart_sensitivity_settings *settings,
                                       cart_error *err)
{
  cartp_gsl_init();
  cart_sensitivity_settings st;
  cart_sensitivity_settings_default(&st);
  if (settings != NULL) {
    st = *settings;
  }
  if (params == NULL || n_params == 0) {
    cartp_error(err, CART_EINVAL, "no parameters to analyse");
    return NULL;
  }
  if (st.method != CART_SENSITIVITY_SOBOL && st.method != CART_SENSITIVITY_MORRIS) {
    cartp_error(err, CART_EINVAL, "unknown method %d", (int)st.method);
    return NULL;
  }
  if (st.method == CART_SENSITIVITY_SOBOL && n_params > CART_SENSITIVITY_SOBOL_MAX_PARAMS) {
    cartp_error(err, CART_ERANGE,
                "%zu parameters: a Sobol design takes at most %d (it uses 2 dimensions of GSL's "
                "Sobol sequence per parameter, which has at most %d); screen them with Morris "
                "first",
                n_params, CART_SENSITIVITY_SOBOL_MAX_PARAMS, SOBOL_MAX_DIMENSION);
    return NULL;
  }
  if (n_params > CART_SENSITIVITY_MAX_PARAMS) {
    cartp_error(err, CART_ERANGE, "%zu parameters: at most %d", n_params,
                CART_SENSITIVITY_MAX_PARAMS);
    return NULL;
  }
  if (st.method == CART_SENSITIVITY_MORRIS && (st.levels < 2 || st.levels % 2 != 0)) {
    cartp_error(err, CART_ERANGE, "Morris levels must be even and >= 2 (not %zu)", st.levels);
    return NULL;
  }
  if (!(st.confidence > 0 && st.confidence < 1)) {
    cartp_error(err, CART_ERANGE, "the confidence level %g must lie in (0, 1)", st.confidence);
    return NULL;
  }
  const size_t per = st.method == CART_SENSITIVITY_SOBOL ? n_params + 2 : n_params + 1;
  /* rows x p doubles, twice, must fit; 2^31 rows is far beyond any analysis that could run */
  if (st.n == 0 || st.n > ((size_t)1 << 31) / per) {
    cartp_error(err, CART_ERANGE, "%s must be at least 1 and at most %zu (not %zu)",
                st.method == CART_SENSITIVITY_SOBOL ? "N" : "the number of trajectories",
                ((size_t)1 << 31) / per, st.n);
    return NULL;
  }
  for (size_t k = 0; k < n_params; k++) {
    if (check_param(&params[k], err) != CART_OK) {
      return NULL;
    }
    for (size_t j = 0; j < k; j++) {
      if (strcmp(params[j].name, params[k].name) == 0) {
        cartp_error(err, CART_EINVAL, "parameter '%s' given twice", params[k].name);
        return NULL;
      }
    }
  }
  cart_sensitivity *s = calloc(1, sizeof *s);
  if (s == NULL) {
    cartp_error(err, CART_ENOMEM, "out of memory");
    return NULL;
  }
  s->settings = st;
  s->p = n_params;
  s->n_rows = st.n * per;
  s->params = calloc(n_params, sizeof *s->params);
  s->unit = malloc(s->n_rows * n_params * sizeof *s->unit);
  s->values = malloc(s->n_rows * n_params * sizeof *s->values);
  s->outputs = malloc(s->n_rows * sizeof *s->outputs);
  s->indices = calloc(n_params, sizeof *s->indices);
  s->statistic = calloc(1, 1);
  int ok = s->params && s->unit && s->values && s->outputs && s->indices && s->statistic;
  for (size_t k = 0; ok && k < n_params; k++) {
    s->params[k] = params[k];
    s->params[k].name = NULL;
    char *name = malloc(strlen(params[k].name) + 1);
    if (name == NULL) {
      ok = 0;
      break;
    }
    strcpy(name, params[k].name);
    s->params[k].name = name;
  }
  if (!ok) {
    cart_sensitivity_free(s);
    cartp_error(err, CART_ENOMEM, "out of memory for a design of %zu rows", st.n * per);
    return NULL;
  }
  const int status = st.method == CART_SENSITIVITY_SOBOL ? sobol_design(s, err)
                                                         : morris_design(s, err);
  if (status != CART_OK) {
    cart_sensitivity_free(s);
    return NULL;
  }
  for (size_t r = 0; r < s->n_rows; r++) {
    s->outputs[r] = NAN;
    for (size_t k = 0; k < n_params; k++) {
      s->values[r * n_params + k] = map_unit(&s->params[k], s->unit[r * n_params + k]);
    }
  }
  s->summary.n_rows = s->n_rows;
  s->summary.wall_seconds = 0;
  s->summary.n_refused = 0;
  clear_indices(s);
  cart_error_clear(err);
  return s;
}

/* ---- estimators ---- */

/* The percentile of sorted values at level q (linear interpolation between order statistics). */
static double percentile(const double *sorted, size_t n, double q)
{
  const double h = q * (double)(n - 1);
  const size_t lo = (size_t)floor(h);
  const size_t hi = lo + 1 < n ? lo + 1 : lo;
  return sorted[lo] + (h - (double)lo) * (sorted[hi] - sorted[lo]);
}

static int compare_doubles(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The percentile interval of values[0 .. n) (sorted in place), NaNs left out. */
static void interval(double *values, size_t n, double confidence, double *lower, double *upper)
{
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isnan(values[i])) {
      values[m++] = values[i];
    }
  }
  if (m == 0) {
    *lower = *upper = NAN;
    return;
  }
  qsort(values, m, sizeof *values, compare_doubles);
  *lower = percentile(values, m, (1 - confidence) / 2);
  *upper = percentile(values, m, (1 + confidence) / 2);
}

/* S_i and ST_i of every parameter over the base rows rows[0 .. m) (valid ones); mean and
 * variance of the 2m outputs of A and B in *mean, *variance. */
static void sobol_estimate(const cart_sensitivity *s, const size_t *rows, size_t m, double *first,
                           double *total, double *mean, double *variance)
{
  const size_t n = s->settings.n, p = s->p;
  const double *y = s->outputs;
  cartp_sum sum = {0, 0};
  for (size_t j = 0; j < m; j++) {
    cartp_sum_add(&sum, y[rows[j]]);
    cartp_sum_add(&sum, y[n + rows[j]]);
  }
  const double mu = cartp_sum_value(&sum) / (double)(2 * m);
  cartp_sum squares = {0, 0};
  for (size_t j = 0; j < m; j++) {
    const double a = y[rows[j]] - mu, b = y[n + rows[j]] - mu;
    cartp_sum_add(&squares, a * a);
    cartp_sum_add(&squares, b * b);
  }
  const double v = m > 1 ? cartp_sum_value(&squares) / (double)(2 * m - 1) : NAN;
  *mean = mu;
  *variance = v;
  for (size_t i = 0; i < p; i++) {
    cartp_sum s1 = {0, 0}, st = {0, 0};
    for (size_t j = 0; j < m; j++) {
      const double fa = y[rows[j]], fb = y[n + rows[j]], fab = y[(2 + i) * n + rows[j]];
      cartp_sum_add(&s1, fb * (fab - fa));
      cartp_sum_add(&st, (fa - fab) * (fa - fab));
    }
    first[i] = v > 0 ? cartp_sum_value(&s1) / (double)m / v : NAN;
    total[i] = v > 0 ? cartp_sum_value(&st) / (double)(2 * m) / v : NAN;
  }
}

/* The elementary effect of parameter i in trajectory t: along the step where only x_i changed;
 * NaN if none did (never, for a Morris design). */
static double elementary_effect(const cart_sensitivity *s, size_t t, size_t i)
{
  const size_t p = s->p, base = t * (p + 1);
  for (size_t k = 0; k < p; k++) {
    const double *a = s->unit + (base + k) * p, *b = a + p;
    if (b[i] != a[i]) {
      return (s->outputs[base + k + 1] - s->outputs[base + k]) / (b[i] - a[i]);
    }
  }
  return NAN;
}

/* mu, mu*, sigma of every parameter over trajectories rows[0 .. m). */
static void morris_estimate(const cart_sensitivity *s, const size_t *rows, size_t m, double *mu,
                            double *mu_star, double *sigma)
{
  const size_t p = s->p;
  for (size_t i = 0; i < p; i++) {
    cartp_sum sum = {0, 0}, sum_abs = {0, 0};
    for (size_t j = 0; j < m; j++) {
      const double effect = elementary_effect(s, rows[j], i);
      cartp_sum_add(&sum, effect);
      cartp_sum_add(&sum_abs, fabs(effect));
    }
    mu[i] = cartp_sum_value(&sum) / (double)m;
    mu_star[i] = cartp_sum_value(&sum_abs) / (double)m;
    if (sigma != NULL) {
      cartp_sum squares = {0, 0};
      for (size_t j = 0; j < m; j++) {
        const double d = elementary_effect(s, rows[j], i) - mu[i];
        cartp_sum_add(&squares, d * d);
      }
      sigma[i] = m > 1 ? sqrt(cartp_sum_value(&squares) / (double)(m - 1)) : NAN;
    }
  }
}

/* The base rows (Sobol) or trajectories (Morris) without a NaN output, into rows; their count. */
static size_t valid_rows(const cart_sensitivity *s, size_t *rows)
{
  const size_t n = s->settings.n;
  const size_t per = s->n_rows / n;
  size_t m = 0;
  for (size_t j = 0; j < n; j++) {
    int ok = 1;
    for (size_t r = 0; r < per && ok; r++) {
      /* Sobol rows of base j: j, n + j, (2 + i) n + j; Morris rows of trajectory j: j per + r */
      const size_t row = s->settings.method == CART_SENSITIVITY_SOBOL ? r * n + j : j * per + r;
      ok = !isnan(s->outputs[row]);
    }
    if (ok) {
      rows[m++] = j;
    }
  }
  return m;
}

/* Computes the indices from the outputs. */
static int analyse(cart_sensitivity *s)
{
  const size_t p = s->p, n = s->settings.n, nb = s->settings.n_bootstrap;
  const int sobol = s->settings.method == CART_SENSITIVITY_SOBOL;
  clear_indices(s);
  size_t *rows = malloc(n * sizeof *rows), *resample = malloc(n * sizeof *resample);
  double *a = malloc(p * sizeof *a), *b = malloc(p * sizeof *b), *c = malloc(p * sizeof *c);
  double *boot = malloc((nb ? nb : 1) * 2 * p * sizeof *boot);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  int status = CART_OK;
  if (!rows || !resample || !a || !b || !c || !boot || !rng) {
    status = cartp_error(&s->error, CART_ENOMEM, "out of memory for the estimates");
    goto cleanup;
  }
  const size_t m = valid_rows(s, rows);
  s->summary.n_valid = m;
  if (m == 0) {
    s->summary.analysed = 1;
    goto cleanup;
  }
  double mean, variance;
  if (sobol) {
    sobol_estimate(s, rows, m, a, b, &mean, &variance);
    s->summary.mean = mean;
    s->summary.variance = variance;
  } else {
    morris_estimate(s, rows, m, a, b, c);
    cartp_sum sum = {0, 0};
    for (size_t j = 0; j < m; j++) {
      for (size_t r = 0; r <= p; r++) {
        cartp_sum_add(&sum, s->outputs[rows[j] * (p + 1) + r]);
      }
    }
    s->summary.mean = cartp_sum_value(&sum) / (double)(m * (p + 1));
  }
  for (size_t i = 0; i < p; i++) {
    cart_sensitivity_index *x = &s->indices[i];
    if (sobol) {
      x->first = a[i];
      x->total = b[i];
    } else {
      x->mu = a[i];
      x->mu_star = b[i];
      x->sigma = c[i];
    }
  }
  /* percentile bootstrap over the valid base rows (trajectories), one seeded stream */
  if (nb > 0) {
    gsl_rng_set(rng, (unsigned long)(s->settings.seed ^ (s->settings.seed >> 32)));
    for (size_t k = 0; k < nb; k++) {
      for (size_t j = 0; j < m; j++) {
        resample[j] = rows[gsl_rng_uniform_int(rng, m)];
      }
      if (sobol) {
        sobol_estimate(s, resample, m, a, b, &mean, &variance);
      } else {
        morris_estimate(s, resample, m, a, b, NULL); /* mu* into b, as S_T's */
      }
      for (size_t i = 0; i < p; i++) {
        boot[i * nb + k] = a[i];
        boot[(p + i) * nb + k] = b[i];
      }
    }
    for (size_t i = 0; i < p; i++) {
      cart_sensitivity_index *x = &s->indices[i];
      if (sobol) {
        interval(boot + i * nb, nb, s->settings.confidence, &x->first_lower, &x->first_upper);
        interval(boot + (p + i) * nb, nb, s->settings.confidence, &x->total_lower,
                 &x->total_upper);
      } else {
        interval(boot + (p + i) * nb, nb, s->settings.confidence, &x->mu_star_lower,
                 &x->mu_star_upper);
      }
    }
  }
  s->summary.analysed = 1;
cleanup:
  free(rows);
  free(resample);
  free(a);
  free(b);
  free(c);
  free(boot);
  gsl_rng_free(rng);
  return status;
}

/* ---- evaluation ---- */

int cart_sensitivity_set_outputs(cart_sensitivity *s, const double *outputs)
{
  if (s == NULL || outputs == NULL) {
    return s ? cartp_error(&s->error, CART_EINVAL, "no outputs") : CART_EINVAL;
  }
  memcpy(s->outputs, outputs, s->n_rows * sizeof *outputs);
  cart_error_clear(&s->error);
  return analyse(s);
}

int cart_sensitivity_evaluate(cart_sensitivity *s, cart_sensitivity_fn f, void *data,
                              int n_threads)
{
  if (s == NULL || f == NULL) {
    return s ? cartp_error(&s->error, CART_EINVAL, "no function to evaluate") : CART_EINVAL;
  }
  const double start = now();
  const long long n_rows = (long long)s->n_rows;
  const size_t p = s->p;
  double *values = s->values, *outputs = s->outputs;
  int failed = 0;
  long long failed_row = -1;
  const int threads = n_threads > 0 ? n_threads : omp_get_max_threads();
#pragma omp parallel for default(none) shared(f, data, values, outputs, failed, failed_row) \
    firstprivate(n_rows, p) schedule(dynamic) num_threads(threads)
  for (long long r = 0; r < n_rows; r++) {
    double y = NAN;
    if (f(values + (size_t)r * p, p, &y, data) < 0) {
#pragma omp critical(cart_sensitivity_failure)
      {
        if (failed_row < 0 || r < failed_row) {
          failed_row = r;
        }
        failed = 1;
      }
      y = NAN;
    }
    outputs[r] = y;
  }
  s->summary.wall_seconds = now() - start;
  if (failed) {
    clear_indices(s);
    return cartp_error(&s->error, CART_EMODEL, "the function failed at design row %lld",
                       failed_row);
  }
  cart_error_clear(&s->error);
  return analyse(s);
}

/* ---- the trial ---- */

static const char *param_name(const void *model, size_t i)
{
  cart_param_info info;
  cart_model_param_info(model, i, &info);
  return info.name;
}

/* CART_EUNKNOWN_PARAM: "model 'cart' has no parameter 'x' (parameters: dose, f_mem, ...)", as
 * many of the model's parameters as the message holds. */
static int unknown_param(cart_error *err, const cart_model *model, const char *name)
{
  static const char format[] = "model '%s' has no parameter '%s' (parameters: %s)";
  const size_t fixed = sizeof format - 7 + strlen(cart_model_name(model)) + strlen(name);
  char list[CART_ERROR_MESSAGE_SIZE];
  cartp_join_names(list, fixed < sizeof list ? sizeof list - fixed : 1, cart_model_n_params(model),
                   param_name, model);
  return cartp_error(err, CART_EUNKNOWN_PARAM, format, cart_model_name(model), name, list);
}

int cart_sensitivity_scenario_param(const cart_trial *trial, const char *name,
                                    cart_sensitivity_param *param, cart_error *err)
{
  if (trial == NULL || name == NULL || param == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_sensitivity_scenario_param: NULL argument");
  }
  const cart_model *model = cart_trial_model(trial);
  const int index = cart_model_param_index(model, name);
  if (index < 0) {
    return unknown_param(err, model, name);
  }
  cart_param_info info;
  cart_model_param_info(model, (size_t)index, &info);
  const cart_population *population = cart_trial_population(trial);
  double cv = 0;
  for (size_t i = 0; i < cart_population_n_varied(population); i++) {
    const char *varied;
    double c;
    cart_population_varied(population, i, &varied, &c);
    if (strcmp(varied, info.name) == 0) {
      cv = c;
    }
  }
  if (!(cv > 0)) {
    return cartp_error(err, CART_ERANGE,
                       "'%s' does not vary in the scenario (no cv in [variability]): give it a "
                       "range",
                       info.name);
  }
  memset(param, 0, sizeof *param);
  param->name = info.name;
  param->distribution = info.lower == 0.0 && info.upper == 1.0 ? CART_SENSITIVITY_LOGIT_NORMAL
                                                                : CART_SENSITIVITY_LOG_NORMAL;
  param->lower = info.lower;
  param->upper = info.upper;
  param->cv = cv;
  cart_params_get(cart_population_typical((cart_population *)population), info.name,
                  &param->typical);
  cart_error_clear(err);
  return CART_OK;
}

int cart_sensitivity_typical_patient(cart_trial *trial)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  cart_population *population = cart_trial_edit_population(trial);
  /* removing a cv renumbers the others: remove the first until none is left */
  while (cart_population_n_varied(population) > 0) {
    const char *name;
    double cv;
    cart_population_varied(population, 0, &name, &cv);
    const int status = cart_population_set_cv(population, name, 0);
    if (status != CART_OK) {
      return status;
    }
  }
  return cart_trial_set_n_patients(trial, 1);
}

/* Every design parameter is a parameter of the model and its range within the bounds. */
static int check_trial_params(cart_sensitivity *s, const cart_model *model, int *index)
{
  for (size_t k = 0; k < s->p; k++) {
    const cart_sensitivity_param *q = &s->params[k];
    index[k] = cart_model_param_index(model, q->name);
    if (index[k] < 0) {
      return unknown_param(&s->error, model, q->name);
    }
    cart_param_info info;
    cart_model_param_info(model, (size_t)index[k], &info);
    /* the values the design takes: its smallest and largest */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < s->n_rows; r++) {
      const double x = s->values[r * s->p + k];
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
    if (!cart_model_param_in_bounds(model, (size_t)index[k], lo) ||
        !cart_model_param_in_bounds(model, (size_t)index[k], hi)) {
      char bounds[64];
      cartp_format_bounds(bounds, sizeof bounds, info.lower, info.upper, info.lower_open,
                          info.upper_open);
      return cartp_error(&s->error, CART_ERANGE,
                         "%s: the design's values %g .. %g leave the parameter's bounds %s",
                         q->name, lo, hi, bounds);
    }
  }
  return CART_OK;
}

const char *cart_sensitivity_statistic(const cart_sensitivity *s)
{
  return s ? s->statistic : NULL;
}

const char *cart_sensitivity_refusal(const cart_sensitivity *s)
{
  return s ? s->refusal : NULL;
}

int cart_sensitivity_run_trial(cart_sensitivity *s, cart_trial *trial, const char *statistic,
                               int n_threads, cart_sensitivity_progress_fn progress,
                               void *progress_data)
{
  if (s == NULL || trial == NULL || statistic == NULL) {
    return s ? cartp_error(&s->error, CART_EINVAL, "cart_sensitivity_run_trial: NULL argument")
             : CART_EINVAL;
  }
  const double start = now();
  cart_error *err = &s->error;
  const cart_model *model = cart_trial_model(trial);
  clear_indices(s);
  for (size_t r = 0; r < s->n_rows; r++) {
    s->outputs[r] = NAN;
  }
  s->summary.n_refused = 0;
  s->refusal[0] = '\0';
  int index[CART_SENSITIVITY_MAX_PARAMS];
  int status = check_trial_params(s, model, index);
  if (status != CART_OK) {
    return status;
  }
  cart_targets *targets = cartp_targets_of_statistic(statistic, err);
  if (targets == NULL) {
    return err->code;
  }
  status = cartp_targets_check_statistic(targets, trial, err);
  if (status != CART_OK) {
    cart_targets_free(targets);
    return status;
  }
  char *name = malloc(strlen(targets->targets[0].name) + 1);
  if (name == NULL) {
    cart_targets_free(targets);
    return cartp_error(err, CART_ENOMEM, "out of memory");
  }
  strcpy(name, targets->targets[0].name);
  free(s->statistic);
  s->statistic = name;
  int column;
  cartp_target_index(targets, model, &column);
  cart_params *typical = cart_population_typical(cart_trial_edit_population(trial));
  double saved[CART_SENSITIVITY_MAX_PARAMS];
  for (size_t k = 0; k < s->p; k++) {
    cart_params_get(typical, s->params[k].name, &saved[k]);
  }
  cartp_sim sim;
  status = cartp_sim_init(&sim, cart_trial_n_patients(trial), targets, model, err);
  for (size_t r = 0; status == CART_OK && r < s->n_rows; r++) {
    int row_status = CART_OK;
    const char *why = NULL;
    for (size_t k = 0; k < s->p && row_status == CART_OK; k++) {
      row_status = cart_params_set(typical, s->params[k].name, s->values[r * s->p + k]);
      why = cart_params_last_error(typical)->message;
    }
    if (row_status == CART_ENOMEM) {
      status = cartp_error(err, CART_ENOMEM, "out of memory");
      break;
    }
    if (row_status == CART_OK) {
      row_status = cartp_sim_run(&sim, trial, n_threads, err);
      why = err->message;
      if (row_status == CART_OK) {
        cartp_statistics(targets, &column, &sim, &s->outputs[r], NULL);
      } else if (row_status != CART_ERULE && row_status != CART_ERANGE) {
        status = row_status; /* the trial cannot run at all */
        break;
      }
    }
    if (row_status != CART_OK) { /* the model refused the row's values: left out */
      if (s->summary.n_refused++ == 0) {
        snprintf(s->refusal, sizeof s->refusal, "design row %zu: %s", r, why);
      }
    }
    if (progress != NULL && progress(r + 1, s->n_rows, progress_data) != 0) {
      status = cartp_error(err, CART_ESTOPPED, "stopped after %zu of %zu design rows", r + 1,
                           s->n_rows);
    }
  }
  cartp_sim_clear(&sim); /* also after a failed cartp_sim_init, which leaves it cleared */
  for (size_t k = 0; k < s->p; k++) {
    cart_params_set(typical, s->params[k].name, saved[k]);
  }
  cart_trial_prepare(trial);
  cart_targets_free(targets);
  s->summary.wall_seconds = now() - start;
  if (status != CART_OK) {
    return status;
  }
  cart_error_clear(err);
  return analyse(s);
}

/* ---- getters ---- */

void cart_sensitivity_get_settings(const cart_sensitivity *s, cart_sensitivity_settings *settings)
{
  if (s != NULL && settings != NULL) {
    *settings = s->settings;
  }
}

size_t cart_sensitivity_n_params(const cart_sensitivity *s)
{
  return s ? s->p : 0;
}

int cart_sensitivity_get_param(const cart_sensitivity *s, size_t i, cart_sensitivity_param *param)
{
  if (s == NULL || param == NULL || i >= s->p) {
    return CART_EINVAL;
  }
  *param = s->params[i];
  return CART_OK;
}

size_t cart_sensitivity_n_rows(const cart_sensitivity *s)
{
  return s ? s->n_rows : 0;
}

const double *cart_sensitivity_design_unit(const cart_sensitivity *s)
{
  return s ? s->unit : NULL;
}

const double *cart_sensitivity_design(const cart_sensitivity *s)
{
  return s ? s->values : NULL;
}

const double *cart_sensitivity_outputs(const cart_sensitivity *s)
{
  return s ? s->outputs : NULL;
}

void cart_sensitivity_get_summary(const cart_sensitivity *s, cart_sensitivity_summary *summary)
{
  if (s != NULL && summary != NULL) {
    *summary = s->summary;
  }
}

int cart_sensitivity_get_index(const cart_sensitivity *s, size_t i, cart_sensitivity_index *index)
{
  if (s == NULL || index == NULL || i >= s->p) {
    return CART_EINVAL;
  }
  *index = s->indices[i];
  return CART_OK;
}

const cart_error *cart_sensitivity_last_error(const cart_sensitivity *s)
{
  return s ? &s->error : NULL;
}
