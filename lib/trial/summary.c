/* summary.c: a trial's statistics, accumulated block by block in patient order, so the result
 * does not depend on threads or block size (see cart_trial.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_trial.h>

#include "../util/checked.h"
#include "../util/error.h"
#include "../util/sum.h"
#include "select.h"
#include "summary_impl.h"

/* The endpoints the oncology statistics read, by name in the accumulator's model. A model
 * without one (stein has no response) reads NaN there, which no rate counts. */
enum { COL_RESPONSE, COL_CRS_GRADE, COL_TOCI, COL_RELAPSE_DAY, COL_RELAPSE_NEG, N_COLS };
static const char *const column_name[N_COLS] = {"response", "crs_grade", "toci_doses",
                                                "relapse_day", "relapse_negative"};
/* The oncology percentiles, by endpoint name, taken from that endpoint's summary. */
enum { PCT_CMAX, PCT_TMAX, PCT_AUC28, PCT_APLASIA, N_PCT };
static const char *const percentile_name[N_PCT] = {"cmax", "tmax", "auc28", "aplasia_days"};

/* The per-endpoint percentiles, in the order of cart_endpoint_summary's fields. */
static const double endpoint_q[] = {5, 25, 50, 75, 95};
#define N_Q (sizeof endpoint_q / sizeof endpoint_q[0])

/* A column read back through the reader that has at most this many values is read once and held
 * while its percentiles are selected (16 MiB at most, 8 MiB at 1e6 patients): the selection reads
 * its column several times, and each read through the reader inflates it again from the file
 * (holding it took the summary after 200,000 patients' last block from 0.80 to 0.62 s, one
 * thread). Longer columns are read again, pass by pass, in bounded memory (select.h). */
#define HELD_MAX ((size_t)1 << 21)

/* A running sum of one endpoint, compensated and in patient order (the mean does not depend on
 * the blocks or threads). */
typedef struct endpoint_acc {
  size_t n_number;
  cartp_sum sum;
  size_t n_level[CART_SUMMARY_MAX_LEVEL + 1], n_above;
  int is_integer;
} endpoint_acc;

struct cart_summary_acc {
  const cart_model *model;
  size_t n_patients, n_added, n_solved, n_endpoints;
  size_t n_dropout; /* patients not infused (CART_ENOTINFUSED) */
  size_t n_cr, n_or, n_crs_any, n_crs3, n_toci, n_toci_doses, n_relapse, n_relapse_negative;
  int col[N_COLS]; /* the model's column of each, -1 for none */
  endpoint_acc endpoint[CART_SUMMARY_MAX_ENDPOINTS];
  /* Either the values of the solved patients, endpoint by endpoint in patient order (kept[e *
   * n_patients + s], cart_summary_acc_new), or a reader that gives them back
   * (cart_summary_acc_new_reader): kept is then NULL. */
  double *kept;
  cart_endpoint_reader reader;
  void *reader_data;
  cartp_select_limits limits;
  size_t held_max; /* the longest column read back that is held (HELD_MAX) */
};

static cart_summary_acc *acc_alloc(const cart_model *model, size_t n_patients, cart_error *err)
{
  const size_t n_endpoints = model != NULL ? cart_model_n_endpoints(model) : 0;
  if (model == NULL || n_endpoints > CART_SUMMARY_MAX_ENDPOINTS) {
    cartp_error(err, CART_EINVAL,
                model == NULL ? "cart_summary_acc_new: no model"
                              : "cart_summary_acc_new: the model has more than %d endpoints",
                CART_SUMMARY_MAX_ENDPOINTS);
    return NULL;
  }
  cart_summary_acc *acc = calloc(1, sizeof *acc);
  if (acc == NULL) {
    cartp_error(err, CART_ENOMEM, "out of memory for a summary");
    return NULL;
  }
  acc->model = model;
  acc->n_patients = n_patients;
  acc->n_endpoints = n_endpoints;
  acc->limits.chunk = CARTP_SELECT_CHUNK;
  acc->limits.max_candidates = CARTP_SELECT_MAX_CANDIDATES;
  acc->held_max = HELD_MAX;
  for (int c = 0; c < N_COLS; c++) {
    acc->col[c] = cart_model_endpoint_index(model, column_name[c]);
  }
  for (size_t e = 0; e < n_endpoints; e++) {
    cart_endpoint_info info;
    cart_model_endpoint_info(model, e, &info);
    acc->endpoint[e].is_integer = info.is_integer;
  }
  return acc;
}

cart_summary_acc *cart_summary_acc_new(const cart_model *model, size_t n_patients,
                                       cart_error *err)
{
  cart_summary_acc *acc = acc_alloc(model, n_patients, err);
  if (acc == NULL) {
    return NULL;
  }
  size_t bytes;
  if (cartp_mul3_size(n_patients ? n_patients : 1, acc->n_endpoints ? acc->n_endpoints : 1,
                      sizeof(double), &bytes) != 0) {
    cartp_error(err, CART_ENOMEM,
                "a summary of %zu patients is too large (%zu values per patient exceed the "
                "address space)", n_patients, acc->n_endpoints);
    cart_summary_acc_free(acc);
    return NULL;
  }
  acc->kept = malloc(bytes);
  if (acc->kept == NULL) {
    cart_summary_acc_free(acc);
    cartp_error(err, CART_ENOMEM, "out of memory for the summary of %zu patients", n_patients);
    return NULL;
  }
  return acc;
}

cart_summary_acc *cart_summary_acc_new_reader(const cart_model *model, size_t n_patients,
                                              cart_endpoint_reader read, void *data,
                                              cart_error *err)
{
  if (read == NULL) {
    cartp_error(err, CART_EINVAL, "cart_summary_acc_new_reader: no reader");
    return NULL;
  }
  cart_summary_acc *acc = acc_alloc(model, n_patients, err);
  if (acc != NULL) {
    acc->reader = read;
    acc->reader_data = data;
  }
  return acc;
}

void cartp_summary_acc_set_limits(cart_summary_acc *acc, const cartp_select_limits *limits,
                                  size_t held_max)
{
  acc->limits = *limits;
  acc->held_max = held_max;
}

void cart_summary_acc_free(cart_summary_acc *acc)
{
  if (acc != NULL) {
    free(acc->kept);
    free(acc);
  }
}

static void add_value(endpoint_acc *a, double x)
{
  if (isnan(x)) {
    return;
  }
  a->n_number++;
  cartp_sum_add(&a->sum, x);
  if (a->is_integer && x >= 0 && x <= CART_SUMMARY_MAX_LEVEL) {
    a->n_level[(size_t)x] += x == floor(x); /* whole by contract; a fraction counts nowhere */
  } else if (a->is_integer && x > CART_SUMMARY_MAX_LEVEL) {
    a->n_above++;
  }
}

static double column(const double *row, int col)
{
  return col < 0 ? NAN : row[col];
}

int cart_summary_acc_add(cart_summary_acc *acc, const cart_trial_block *block)
{
  if (acc == NULL || block == NULL || block->first != acc->n_added ||
      block->count > acc->n_patients - acc->n_added) {
    return CART_EINVAL;
  }
  /* the block's columns (a block with no model: cart's list) */
  const cart_model *model = block->model ? block->model : cart_model_find("cart", NULL);
  const size_t stride = block->model ? block->n_endpoints : CART_N_ENDPOINTS;
  if (model != acc->model || stride != acc->n_endpoints) {
    return CART_EINVAL;
  }
  for (size_t k = 0; k < block->count; k++) {
    if (block->status[k] != CART_OK) {
      acc->n_dropout += block->status[k] == CART_ENOTINFUSED;
      continue;
    }
    const double *row = block->endpoints + k * stride;
    const size_t s = acc->n_solved++;
    for (size_t e = 0; e < acc->n_endpoints; e++) {
      add_value(&acc->endpoint[e], row[e]);
      if (acc->kept != NULL) {
        acc->kept[e * acc->n_patients + s] = row[e];
      }
    }
    const double response = column(row, acc->col[COL_RESPONSE]);
    const double grade = column(row, acc->col[COL_CRS_GRADE]);
    const double toci = column(row, acc->col[COL_TOCI]);
    acc->n_cr += response == 2;
    acc->n_or += response >= 1;
    acc->n_crs_any += grade >= 1;
    acc->n_crs3 += grade >= 3;
    acc->n_toci += toci > 0;
    acc->n_toci_doses += toci > 0 ? (size_t)toci : 0;
    const int relapsed = response == 2 && !isnan(column(row, acc->col[COL_RELAPSE_DAY]));
    acc->n_relapse += relapsed;
    acc->n_relapse_negative += relapsed && column(row, acc->col[COL_RELAPSE_NEG]) == 1;
  }
  acc->n_added += block->count;
  return CART_OK;
}

/* Where the percentiles read an endpoint's column from: the values held (the acc's own array,
 * or the column read once), or the reader. */
typedef struct column_source {
  const cart_summary_acc *acc;
  size_t endpoint;
  const double *held; /* the column's values, or NULL: the reader */
} column_source;

static int read_column(void *data, size_t first, size_t count, double *values)
{
  const column_source *source = data;
  const cart_summary_acc *acc = source->acc;
  if (source->held == NULL) {
    return acc->reader(acc->reader_data, source->endpoint, first, count, values);
  }
  memcpy(values, source->held + first, count * sizeof *values);
  return CART_OK;
}

/* Endpoint e's column of `rows` values read through the reader into a new array, or NULL (longer
 * than held_max, no memory, or the read failed: the selection then reads it itself and reports
 * any error). */
static double *column_held(const cart_summary_acc *acc, size_t e, size_t rows)
{
  double *values = rows > 0 && rows <= acc->held_max && acc->limits.chunk > 0
                       ? malloc(rows * sizeof *values)
                       : NULL;
  /* in the selection's pieces, so that the reader's own buffers stay as small as for it */
  for (size_t first = 0; values != NULL && first < rows; first += acc->limits.chunk) {
    const size_t count = rows - first < acc->limits.chunk ? rows - first : acc->limits.chunk;
    if (acc->reader(acc->reader_data, e, first, count, values + first) != CART_OK) {
      free(values);
      values = NULL;
    }
  }
  return values;
}

static double ratio(size_t a, size_t b)
{
  return b ? (double)a / (double)b : NAN;
}

/* Endpoint e's summary; its percentiles NaN on an error, which is returned. */
static int endpoint_summary(const cart_summary_acc *acc, size_t e, cart_endpoint_summary *out)
{
  const endpoint_acc *a = &acc->endpoint[e];
  out->n_number = a->n_number;
  out->mean = a->n_number ? cartp_sum_value(&a->sum) / (double)a->n_number : NAN;
  memcpy(out->n_level, a->n_level, sizeof out->n_level);
  out->n_above = a->n_above;
  /* A reader gives every patient added (NaN for those not solved); the kept arrays only the
   * solved ones. Either way the numbers are the same, and so are the percentiles. */
  const size_t rows = acc->reader != NULL ? acc->n_added : acc->n_solved;
  double *held = acc->reader != NULL ? column_held(acc, e, rows) : NULL;
  column_source source = {acc, e,
                          acc->reader != NULL ? held : acc->kept + e * acc->n_patients};
  double values[N_Q];
  const int code =
      cartp_percentiles(read_column, &source, rows, endpoint_q, N_Q, &acc->limits, values);
  free(held);
  double *fields[N_Q] = {&out->p5, &out->p25, &out->p50, &out->p75, &out->p95};
  for (size_t j = 0; j < N_Q; j++) {
    *fields[j] = code == CART_OK ? values[j] : NAN; /* never a number that is not exact */
  }
  return code;
}

int cart_summary_acc_get(const cart_summary_acc *acc, cart_trial_summary *s)
{
  if (acc == NULL || s == NULL) {
    return CART_EINVAL;
  }
  memset(s, 0, sizeof *s); /* the endpoints past the model's, and any padding, are zero */
  const size_t n = acc->n_solved;
  s->n_patients = acc->n_added;
  s->n_solved = n;
  s->cr_rate = ratio(acc->n_cr, n);
  s->orr_rate = ratio(acc->n_or, n);
  s->crs_any_rate = ratio(acc->n_crs_any, n);
  s->crs_grade3_rate = ratio(acc->n_crs3, n);
  s->toci_rate = ratio(acc->n_toci, n);
  s->toci_doses_mean = ratio(acc->n_toci_doses, n);
  s->relapse_rate = ratio(acc->n_relapse, acc->n_cr);
  s->relapse_negative_rate = ratio(acc->n_relapse_negative, acc->n_relapse);
  /* intention to treat: a drop-out is a non-responder (the same division without one) */
  s->n_dropout = acc->n_dropout;
  s->cr_rate_itt = ratio(acc->n_cr, n + acc->n_dropout);
  s->orr_rate_itt = ratio(acc->n_or, n + acc->n_dropout);
  s->cost_per_patient = s->cost_per_infused = s->cost_per_cr = NAN; /* the trial's, if any */
  s->n_endpoints = acc->n_endpoints;
  int status = CART_OK;
  for (size_t e = 0; e < acc->n_endpoints; e++) {
    const int code = endpoint_summary(acc, e, &s->endpoints[e]);
    if (code != CART_OK && status == CART_OK) {
      status = code;
    }
  }
  /* The oncology percentiles are those of the endpoints' summaries: the selection gives each
   * percentile from the column alone, so they are the same bits as when computed apart. */
  const cart_endpoint_summary *pct[N_PCT];
  for (int k = 0; k < N_PCT; k++) {
    const int e = cart_model_endpoint_index(acc->model, percentile_name[k]);
    pct[k] = e >= 0 ? &s->endpoints[e] : NULL;
  }
  s->cmax_p5 = pct[PCT_CMAX] ? pct[PCT_CMAX]->p5 : NAN;
  s->cmax_p50 = pct[PCT_CMAX] ? pct[PCT_CMAX]->p50 : NAN;
  s->cmax_p95 = pct[PCT_CMAX] ? pct[PCT_CMAX]->p95 : NAN;
  s->tmax_p5 = pct[PCT_TMAX] ? pct[PCT_TMAX]->p5 : NAN;
  s->tmax_p50 = pct[PCT_TMAX] ? pct[PCT_TMAX]->p50 : NAN;
  s->tmax_p95 = pct[PCT_TMAX] ? pct[PCT_TMAX]->p95 : NAN;
  s->auc28_p5 = pct[PCT_AUC28] ? pct[PCT_AUC28]->p5 : NAN;
  s->auc28_p50 = pct[PCT_AUC28] ? pct[PCT_AUC28]->p50 : NAN;
  s->auc28_p95 = pct[PCT_AUC28] ? pct[PCT_AUC28]->p95 : NAN;
  s->aplasia_days_p50 = pct[PCT_APLASIA] ? pct[PCT_APLASIA]->p50 : NAN;
  return status;
}
