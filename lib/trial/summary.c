/* summary.c: a trial's statistics, accumulated block by block in patient order, so the result
 * does not depend on threads or block size (see cart_trial.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_trial.h>

#include "../util/checked.h"
#include "../util/error.h"
#include "select.h"
#include "summary_impl.h"

/* The endpoints the summary reads, by name in the block's model: the kept (percentile) columns
 * first. A model without one (stein has no response) reads NaN there, which no rate counts. */
enum { KEPT_CMAX, KEPT_TMAX, KEPT_AUC28, KEPT_APLASIA, N_KEPT };
enum { COL_RESPONSE = N_KEPT, COL_CRS_GRADE, COL_TOCI, COL_RELAPSE_DAY, COL_RELAPSE_NEG, N_COLS };
static const char *const column_name[N_COLS] = {
    "cmax", "tmax", "auc28", "aplasia_days", "response", "crs_grade", "toci_doses", "relapse_day",
    "relapse_negative"};

struct cart_summary_acc {
  size_t n_patients, n_added, n_solved;
  size_t n_cr, n_or, n_crs_any, n_crs3, n_toci, n_toci_doses, n_relapse, n_relapse_negative;
  /* Either the values of the solved patients, in patient order (cart_summary_acc_new), or a
   * reader that gives them back (cart_summary_acc_new_reader): kept[] is then NULL. */
  double *kept[N_KEPT];
  int kept_column[N_KEPT]; /* the model's column of each, -1 for none (set by the first add) */
  cart_endpoint_reader reader;
  void *reader_data;
  cartp_select_limits limits;
};

static cart_summary_acc *acc_alloc(size_t n_patients)
{
  cart_summary_acc *acc = calloc(1, sizeof *acc);
  if (acc != NULL) {
    acc->n_patients = n_patients;
    acc->limits.chunk = CARTP_SELECT_CHUNK;
    acc->limits.max_candidates = CARTP_SELECT_MAX_CANDIDATES;
    for (int i = 0; i < N_KEPT; i++) {
      acc->kept_column[i] = -1;
    }
  }
  return acc;
}

cart_summary_acc *cart_summary_acc_new(size_t n_patients, cart_error *err)
{
  size_t bytes;
  if (cartp_mul3_size(n_patients ? n_patients : 1, N_KEPT, sizeof(double), &bytes) != 0) {
    cartp_error(err, CART_ENOMEM,
                "a summary of %zu patients is too large (%d values per patient exceed the "
                "address space)", n_patients, N_KEPT);
    return NULL;
  }
  cart_summary_acc *acc = acc_alloc(n_patients);
  int ok = acc != NULL;
  for (int i = 0; ok && i < N_KEPT; i++) {
    acc->kept[i] = malloc((n_patients ? n_patients : 1) * sizeof(double));
    ok = acc->kept[i] != NULL;
  }
  if (!ok) {
    cart_summary_acc_free(acc);
    cartp_error(err, CART_ENOMEM, "out of memory for the summary of %zu patients", n_patients);
    return NULL;
  }
  return acc;
}

cart_summary_acc *cart_summary_acc_new_reader(size_t n_patients, cart_endpoint_reader read,
                                              void *data, cart_error *err)
{
  if (read == NULL) {
    cartp_error(err, CART_EINVAL, "cart_summary_acc_new_reader: no reader");
    return NULL;
  }
  cart_summary_acc *acc = acc_alloc(n_patients);
  if (acc == NULL) {
    cartp_error(err, CART_ENOMEM, "out of memory for a summary");
    return NULL;
  }
  acc->reader = read;
  acc->reader_data = data;
  return acc;
}

void cartp_summary_acc_set_limits(cart_summary_acc *acc, const cartp_select_limits *limits)
{
  acc->limits = *limits;
}

void cart_summary_acc_free(cart_summary_acc *acc)
{
  if (acc != NULL) {
    for (int i = 0; i < N_KEPT; i++) {
      free(acc->kept[i]);
    }
    free(acc);
  }
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
  int col[N_COLS];
  for (int c = 0; c < N_COLS; c++) {
    col[c] = cart_model_endpoint_index(model, column_name[c]);
  }
  memcpy(acc->kept_column, col, sizeof acc->kept_column);
  for (size_t k = 0; k < block->count; k++) {
    if (block->status[k] != CART_OK) {
      continue;
    }
    const double *row = block->endpoints + k * stride;
    double e[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
      e[c] = col[c] < 0 ? NAN : row[col[c]];
    }
    const size_t s = acc->n_solved++;
    for (int i = 0; i < N_KEPT && acc->reader == NULL; i++) {
      acc->kept[i][s] = e[i];
    }
    acc->n_cr += e[COL_RESPONSE] == 2;
    acc->n_or += e[COL_RESPONSE] >= 1;
    acc->n_crs_any += e[COL_CRS_GRADE] >= 1;
    acc->n_crs3 += e[COL_CRS_GRADE] >= 3;
    acc->n_toci += e[COL_TOCI] > 0;
    acc->n_toci_doses += e[COL_TOCI] > 0 ? (size_t)e[COL_TOCI] : 0;
    const int relapsed = e[COL_RESPONSE] == 2 && !isnan(e[COL_RELAPSE_DAY]);
    acc->n_relapse += relapsed;
    acc->n_relapse_negative += relapsed && e[COL_RELAPSE_NEG] == 1;
  }
  acc->n_added += block->count;
  return CART_OK;
}

/* Where the percentiles read a kept column from: the acc's own array, or its reader. */
typedef struct column_source {
  const cart_summary_acc *acc;
  int kept;
} column_source;

static int read_column(void *data, size_t first, size_t count, double *values)
{
  const column_source *source = data;
  const cart_summary_acc *acc = source->acc;
  const int column = acc->kept_column[source->kept];
  if (acc->reader != NULL && column >= 0) {
    return acc->reader(acc->reader_data, (size_t)column, first, count, values);
  }
  if (acc->reader != NULL) { /* the model has no such endpoint */
    for (size_t k = 0; k < count; k++) {
      values[k] = NAN;
    }
    return CART_OK;
  }
  memcpy(values, acc->kept[source->kept] + first, count * sizeof *values);
  return CART_OK;
}

static double ratio(size_t a, size_t b)
{
  return b ? (double)a / (double)b : NAN;
}

int cart_summary_acc_get(const cart_summary_acc *acc, cart_trial_summary *s)
{
  if (acc == NULL || s == NULL) {
    return CART_EINVAL;
  }
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
  double *fields[N_KEPT][3] = {{&s->cmax_p5, &s->cmax_p50, &s->cmax_p95},
                               {&s->tmax_p5, &s->tmax_p50, &s->tmax_p95},
                               {&s->auc28_p5, &s->auc28_p50, &s->auc28_p95},
                               {&s->aplasia_days_p50, NULL, NULL}};
  static const double q[N_KEPT][3] = {{5, 50, 95}, {5, 50, 95}, {5, 50, 95}, {50, 0, 0}};
  static const size_t n_q[N_KEPT] = {3, 3, 3, 1};
  /* A reader gives every patient added (NaN for those not solved); the kept arrays only the
   * solved ones. Either way the numbers are the same, and so are the percentiles. */
  const size_t rows = acc->reader != NULL ? acc->n_added : n;
  int status = CART_OK;
  for (int k = 0; k < N_KEPT; k++) {
    column_source source = {acc, k};
    double values[3];
    const int code = cartp_percentiles(read_column, &source, rows, q[k], n_q[k], &acc->limits,
                                       values);
    if (code != CART_OK && status == CART_OK) {
      status = code;
    }
    for (size_t j = 0; j < n_q[k]; j++) {
      *fields[k][j] = code == CART_OK ? values[j] : NAN; /* never a number that is not exact */
    }
  }
  return status;
}
