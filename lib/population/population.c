/* population.c: virtual patients, MODEL.md section 5 (see cart_population.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include <cart/cart_population.h>

#include "../models/params_impl.h"
#include "../util/checked.h"
#include "../util/error.h"
#include "../util/gsl_init.h"
#include "rng.h"


struct cart_population {
  cart_params *typical;
  size_t n_varied;
  int index[CART_MAX_PARAMS];        /* parameter index of varied parameter j */
  double cv[CART_MAX_PARAMS];        /* as given */
  double omega[CART_MAX_PARAMS];     /* sqrt(ln(1 + cv^2)) */
  int logit[CART_MAX_PARAMS];        /* 1: logit-normal (bounds [0, 1]); 0: log-normal */
  double correlation[CART_MAX_PARAMS][CART_MAX_PARAMS]; /* of the etas, unit diagonal */
  double cholesky[CART_MAX_PARAMS][CART_MAX_PARAMS];    /* lower factor, after prepare */
  /* A table of real patients (cart_population_set_patients): n_rows x n_columns values, row
   * major; column c holds parameter column_param[c]. */
  double *table;
  size_t n_rows, n_columns;
  int column_param[CART_MAX_PARAMS];
  int prepared;
  cart_error error;
};

cart_population *cart_population_new(const cart_params *typical, cart_error *err)
{
  cartp_gsl_init(); /* the Cholesky factorisation reports through GSL's handler */
  if (typical == NULL) {
    cartp_error(err, CART_EINVAL, "cart_population_new: typical parameters are NULL");
    return NULL;
  }
  cart_population *population = calloc(1, sizeof *population);
  if (population == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_population_new: out of memory");
    return NULL;
  }
  population->typical = cart_params_clone(typical, err);
  if (population->typical == NULL) {
    free(population);
    return NULL;
  }
  return population;
}

void cart_population_free(cart_population *population)
{
  if (population != NULL) {
    free(population->table);
    cart_params_free(population->typical);
    free(population);
  }
}

cart_params *cart_population_typical(cart_population *population)
{
  if (population == NULL) {
    return NULL;
  }
  population->prepared = 0;
  return population->typical;
}

static int varied_slot(const cart_population *population, int param)
{
  for (size_t j = 0; j < population->n_varied; j++) {
    if (population->index[j] == param) {
      return (int)j;
    }
  }
  return -1;
}

/* Parameters bounded by 0 and 1 vary logit-normally, the others log-normally (MODEL.md 5). */
static int is_unit_interval(const cart_param_info *info)
{
  return info->lower == 0.0 && info->upper == 1.0;
}

int cart_population_set_cv(cart_population *population, const char *name, double cv)
{
  if (population == NULL || name == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &population->error;
  const cart_model *model = population->typical->model;
  const int param = cart_model_param_index(model, name);
  if (param < 0) {
    return cartp_error(err, CART_EUNKNOWN_PARAM, "model '%s' has no parameter '%s'", model->name,
                       name);
  }
  if (!isfinite(cv) || cv < 0) {
    return cartp_error(err, CART_ERANGE, "cv of '%s': %g must be finite and >= 0", name, cv);
  }
  /* omega^2 = ln(1 + cv^2) overflows beyond cv ~ 1e154: an infinite omega would turn every
   * draw into 0 or infinity (or NaN for eta = 0) without a word. */
  const double omega = sqrt(log1p(cv * cv));
  if (!isfinite(omega)) {
    return cartp_error(err, CART_ERANGE,
                       "cv of '%s': %g is too large (omega^2 = ln(1 + cv^2) is not finite)", name,
                       cv);
  }
  const cart_param_info *info = &model->params[param];
  const double typical = population->typical->values[param];
  const int logit = is_unit_interval(info);
  if (cv > 0 && (logit ? !(typical > 0 && typical < 1) : !(typical > 0))) {
    return cartp_error(err, CART_ERANGE,
                       "cv of '%s': its typical value %g cannot vary %s-normally (needs %s)", name,
                       typical, logit ? "logit" : "log", logit ? "0 < value < 1" : "value > 0");
  }
  population->prepared = 0;
  int slot = varied_slot(population, param);
  if (cv == 0) {
    if (slot >= 0) { /* remove it, keeping the order of the others and their correlations */
      const size_t n = population->n_varied;
      for (size_t j = (size_t)slot; j + 1 < n; j++) {
        population->index[j] = population->index[j + 1];
        population->cv[j] = population->cv[j + 1];
        population->omega[j] = population->omega[j + 1];
        population->logit[j] = population->logit[j + 1];
      }
      for (size_t a = 0; a < n; a++) {
        for (size_t b = (size_t)slot; b + 1 < n; b++) {
          population->correlation[a][b] = population->correlation[a][b + 1];
        }
      }
      for (size_t a = (size_t)slot; a + 1 < n; a++) {
        memcpy(population->correlation[a], population->correlation[a + 1],
               sizeof population->correlation[a]);
      }
      population->n_varied--;
    }
    return CART_OK;
  }
  if (slot < 0) {
    slot = (int)population->n_varied++;
    for (size_t j = 0; j < population->n_varied; j++) {
      population->correlation[slot][j] = population->correlation[j][slot] = 0.0;
    }
    population->correlation[slot][slot] = 1.0;
  }
  population->index[slot] = param;
  population->cv[slot] = cv;
  population->omega[slot] = omega;
  population->logit[slot] = logit;
  return CART_OK;
}

int cart_population_set_correlation(cart_population *population, const char *a, const char *b,
                                    double r)
{
  if (population == NULL || a == NULL || b == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &population->error;
  const cart_model *model = population->typical->model;
  const int pa = cart_model_param_index(model, a), pb = cart_model_param_index(model, b);
  if (pa < 0 || pb < 0) {
    return cartp_error(err, CART_EUNKNOWN_PARAM, "model '%s' has no parameter '%s'", model->name,
                       pa < 0 ? a : b);
  }
  if (pa == pb) {
    return cartp_error(err, CART_EINVAL, "correlation of '%s' with itself", a);
  }
  const int sa = varied_slot(population, pa), sb = varied_slot(population, pb);
  if (sa < 0 || sb < 0) {
    return cartp_error(err, CART_EINVAL, "correlation of '%s' and '%s': '%s' has no variability "
                       "(give its cv first)", a, b, sa < 0 ? a : b);
  }
  if (!(r > -1 && r < 1)) {
    return cartp_error(err, CART_ERANGE, "correlation of '%s' and '%s': %g is outside (-1, 1)", a,
                       b, r);
  }
  population->correlation[sa][sb] = population->correlation[sb][sa] = r;
  population->prepared = 0;
  return CART_OK;
}

int cart_population_prepare(cart_population *population)
{
  if (population != NULL) {
    /* a parameter given by the patients table is that patient's value: no draw on top of it */
    for (size_t c = 0; c < population->n_columns; c++) {
      const int p = population->column_param[c];
      if (varied_slot(population, p) >= 0) {
        population->prepared = 0;
        return cartp_error(&population->error, CART_EINVAL,
                           "'%s' is a column of the patients table and has a cv too: remove "
                           "one (the table gives each patient's value)",
                           population->typical->model->params[p].name);
      }
    }
  }
  if (population == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &population->error;
  int status = cart_params_check(population->typical, err);
  if (status != CART_OK) {
    return status;
  }
  const size_t n = population->n_varied;
  if (n > 0) {
    gsl_matrix *m = gsl_matrix_alloc(n, n);
    if (m == NULL) {
      return cartp_error(err, CART_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
      for (size_t j = 0; j < n; j++) {
        gsl_matrix_set(m, i, j, population->correlation[i][j]);
      }
    }
    /* The handler is off (cartp_gsl_init): a matrix that is not positive definite returns
     * GSL_EDOM here instead of aborting. */
    if (gsl_linalg_cholesky_decomp1(m) != GSL_SUCCESS) {
      char names[160] = "";
      for (size_t i = 0; i < n; i++) {
        int correlated = 0;
        for (size_t j = 0; j < n; j++) {
          correlated |= i != j && population->correlation[i][j] != 0.0;
        }
        if (correlated && strlen(names) + 40 < sizeof names) {
          strcat(names, strlen(names) ? ", " : "");
          strcat(names, population->typical->model->params[population->index[i]].name);
        }
      }
      gsl_matrix_free(m);
      return cartp_error(err, CART_ERANGE,
                         "the correlation matrix of (%s) is not positive definite", names);
    }
    for (size_t i = 0; i < n; i++) {
      for (size_t j = 0; j < n; j++) {
        population->cholesky[i][j] = j <= i ? gsl_matrix_get(m, i, j) : 0.0;
      }
    }
    gsl_matrix_free(m);
  }
  population->prepared = 1;
  cart_error_clear(err);
  return CART_OK;
}

size_t cart_population_n_varied(const cart_population *population)
{
  return population ? population->n_varied : 0;
}

int cart_population_varied(const cart_population *population, size_t i, const char **name,
                           double *cv)
{
  if (population == NULL || i >= population->n_varied) {
    return CART_EINVAL;
  }
  if (name != NULL) {
    *name = population->typical->model->params[population->index[i]].name;
  }
  if (cv != NULL) {
    *cv = population->cv[i];
  }
  return CART_OK;
}

int cart_population_set_patients(cart_population *population, const char *const *names,
                                 size_t n_columns, const double *values, size_t n_rows)
{
  if (population == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &population->error;
  const cart_model *model = population->typical->model;
  if (n_rows == 0 || n_columns == 0) { /* no table */
    population->prepared = 0;
    free(population->table);
    population->table = NULL;
    population->n_rows = population->n_columns = 0;
    return CART_OK;
  }
  if (names == NULL || values == NULL) {
    return cartp_error(err, CART_EINVAL, "patients table: no names or values");
  }
  if (n_columns > model->n_params) {
    return cartp_error(err, CART_EINVAL, "patients table: %zu columns, but model '%s' has %zu "
                       "parameters", n_columns, model->name, model->n_params);
  }
  int column_param[CART_MAX_PARAMS];
  for (size_t c = 0; c < n_columns; c++) {
    column_param[c] = names[c] != NULL ? cart_model_param_index(model, names[c]) : -1;
    if (column_param[c] < 0) {
      return cartp_error(err, CART_EUNKNOWN_PARAM,
                         "patients table: column %zu '%s' is not a parameter of model '%s' (see "
                         "`cart models`)", c + 1, names[c] ? names[c] : "(null)", model->name);
    }
    for (size_t d = 0; d < c; d++) {
      if (column_param[d] == column_param[c]) {
        return cartp_error(err, CART_EINVAL, "patients table: column '%s' is given twice",
                           names[c]);
      }
    }
  }
  size_t cells;
  if (cartp_mul3_size(n_rows, n_columns, sizeof(double), &cells) != 0) {
    return cartp_error(err, CART_ENOMEM, "patients table: %zu rows of %zu values are too many",
                       n_rows, n_columns);
  }
  for (size_t r = 0; r < n_rows; r++) {
    for (size_t c = 0; c < n_columns; c++) {
      const double v = values[r * n_columns + c];
      const int p = column_param[c];
      if (!cart_model_param_in_bounds(model, (size_t)p, v)) {
        const cart_param_info *info = &model->params[p];
        return cartp_error(err, CART_ERANGE,
                           "patients table: row %zu, column '%s': %g %s is outside its bounds "
                           "%s%g, %g%s",
                           r + 1, info->name, v, info->unit, info->lower_open ? "(" : "[",
                           info->lower, info->upper, info->upper_open ? ")" : "]");
      }
    }
  }
  double *table = malloc(cells);
  if (table == NULL) {
    return cartp_error(err, CART_ENOMEM, "patients table: out of memory for %zu rows", n_rows);
  }
  memcpy(table, values, cells);
  population->prepared = 0; /* only now: a refused table leaves the population as it was */
  free(population->table);
  population->table = table;
  population->n_rows = n_rows;
  population->n_columns = n_columns;
  memcpy(population->column_param, column_param, n_columns * sizeof column_param[0]);
  return CART_OK;
}

size_t cart_population_n_table_rows(const cart_population *population)
{
  return population ? population->n_rows : 0;
}

long long cartp_table_row(size_t n_rows, uint64_t seed, uint64_t patient)
{
  if (n_rows == 0) {
    return -1;
  }
  if (patient < n_rows) {
    return (long long)patient;
  }
  /* past the table: a row drawn uniformly from the patient's own stream (GSL's unbiased
   * integer draw), so it depends only on (seed, patient) */
  cartp_stream stream;
  cartp_stream_init(&stream, seed, patient, CARTP_PURPOSE_TABLE_ROW);
  return (long long)gsl_rng_uniform_int(&stream.rng, n_rows);
}

long long cart_population_table_row(const cart_population *population, uint64_t seed,
                                    uint64_t patient)
{
  return population ? cartp_table_row(population->n_rows, seed, patient) : -1;
}

const double *cart_population_table(const cart_population *population, size_t *n_rows,
                                    size_t *n_columns)
{
  if (n_rows != NULL) {
    *n_rows = population ? population->n_rows : 0;
  }
  if (n_columns != NULL) {
    *n_columns = population ? population->n_columns : 0;
  }
  return population ? population->table : NULL;
}

const char *cart_population_table_column(const cart_population *population, size_t c)
{
  if (population == NULL || c >= population->n_columns) {
    return NULL;
  }
  return population->typical->model->params[population->column_param[c]].name;
}

/* The typical values with the patients table's row `row` (-1: none) over them. */
static void typical_and_row(const cart_population *population, long long row, double *values)
{
  memcpy(values, population->typical->values,
         population->typical->model->n_params * sizeof(double));
  if (row >= 0) {
    const double *cells = population->table + (size_t)row * population->n_columns;
    for (size_t c = 0; c < population->n_columns; c++) {
      values[population->column_param[c]] = cells[c];
    }
  }
}

int cart_population_draw(const cart_population *population, uint64_t seed, uint64_t patient,
                         cart_params *params, cart_error *err)
{
  if (population == NULL || params == NULL || params->model != population->typical->model) {
    return cartp_error(err, CART_EINVAL, "cart_population_draw: no population, or parameters of "
                       "another model");
  }
  if (!population->prepared) {
    return cartp_error(err, CART_EINVAL, "cart_population_draw: call cart_population_prepare "
                       "first");
  }
  const cart_model *model = params->model;
  const size_t n = population->n_varied;
  const long long row = cart_population_table_row(population, seed, patient);
  typical_and_row(population, row, params->values);
  if (n == 0) {
    char message[CART_ERROR_MESSAGE_SIZE];
    if (row >= 0 && model->check != NULL &&
        model->check(params->values, message, sizeof message) != CART_OK) {
      return cartp_error(err, CART_ERULE, "patient %llu (table row %lld): %s",
                         (unsigned long long)patient, row + 1, message);
    }
    return CART_OK;
  }
  cartp_stream stream;
  cartp_stream_init(&stream, seed, patient, CARTP_PURPOSE_PARAMETERS);
  double z[CART_MAX_PARAMS];
  int bad = -1;
  for (int attempt = 0; attempt < CART_MAX_REDRAWS; attempt++) {
    for (size_t j = 0; j < n; j++) {
      z[j] = gsl_ran_gaussian_ziggurat(&stream.rng, 1.0);
    }
    bad = -1;
    for (size_t j = 0; j < n && bad < 0; j++) {
      double eta = 0.0;
      for (size_t k = 0; k <= j; k++) {
        eta += population->cholesky[j][k] * z[k];
      }
      eta *= population->omega[j];
      const int p = population->index[j];
      const double typical = population->typical->values[p];
      double value;
      if (population->logit[j]) {
        const double logit = log(typical / (1.0 - typical)) + eta;
        value = 1.0 / (1.0 + exp(-logit));
      } else {
        value = typical * exp(eta);
      }
      params->values[p] = value;
      if (!cart_model_param_in_bounds(model, (size_t)p, value)) {
        bad = p;
      }
    }
    if (bad < 0) {
      char message[CART_ERROR_MESSAGE_SIZE];
      if (model->check == NULL || model->check(params->values, message, sizeof message) == CART_OK) {
        return CART_OK;
      }
      bad = -2; /* a model rule (cart's IL-6 loop gain): redraw like an out-of-bounds draw */
    }
  }
  typical_and_row(population, row, params->values); /* what the patient is without draws */
  return cartp_error(err, CART_ERANGE,
                     "patient %llu: %d draws in a row broke %s%s%s; narrow its variability%s",
                     (unsigned long long)patient, CART_MAX_REDRAWS,
                     bad >= 0 ? "the bounds of '" : "a rule of model '",
                     bad >= 0 ? model->params[bad].name : model->name, "'",
                     row >= 0 && bad == -2 ? " (or check its row of the patients table)" : "");
}

const cart_error *cart_population_last_error(const cart_population *population)
{
  return population ? &population->error : NULL;
}
