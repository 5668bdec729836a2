/* summary.c: a trial's statistics, accumulated block by block in patient order, so the result
 * does not depend on threads or block size (see cart_trial.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_trial.h>

#include "../util/checked.h"
#include "../util/error.h"

enum { KEPT_CMAX, KEPT_TMAX, KEPT_AUC28, KEPT_APLASIA, N_KEPT };

struct cart_summary_acc {
  size_t n_patients, n_added, n_solved;
  size_t n_cr, n_or, n_crs_any, n_crs3, n_toci, n_toci_doses, n_relapse, n_relapse_negative;
  double *kept[N_KEPT]; /* values of the solved patients, in patient order */
};

cart_summary_acc *cart_summary_acc_new(size_t n_patients, cart_error *err)
{
  size_t bytes;
  if (cartp_mul3_size(n_patients ? n_patients : 1, N_KEPT, sizeof(double), &bytes) != 0) {
    cartp_error(err, CART_ENOMEM,
                "a summary of %zu patients is too large (%d values per patient exceed the "
                "address space)", n_patients, N_KEPT);
    return NULL;
  }
  cart_summary_acc *acc = calloc(1, sizeof *acc);
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
  acc->n_patients = n_patients;
  return acc;
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
  for (size_t k = 0; k < block->count; k++) {
    if (block->status[k] != CART_OK) {
      continue;
    }
    const double *e = block->endpoints + k * CART_N_ENDPOINTS;
    const size_t s = acc->n_solved++;
    acc->kept[KEPT_CMAX][s] = e[CART_ENDPOINT_CMAX];
    acc->kept[KEPT_TMAX][s] = e[CART_ENDPOINT_TMAX];
    acc->kept[KEPT_AUC28][s] = e[CART_ENDPOINT_AUC28];
    acc->kept[KEPT_APLASIA][s] = e[CART_ENDPOINT_APLASIA_DAYS];
    acc->n_cr += e[CART_ENDPOINT_RESPONSE] == 2;
    acc->n_or += e[CART_ENDPOINT_RESPONSE] >= 1;
    acc->n_crs_any += e[CART_ENDPOINT_CRS_GRADE] >= 1;
    acc->n_crs3 += e[CART_ENDPOINT_CRS_GRADE] >= 3;
    acc->n_toci += e[CART_ENDPOINT_TOCI_DOSES] > 0;
    acc->n_toci_doses += e[CART_ENDPOINT_TOCI_DOSES] > 0 ? (size_t)e[CART_ENDPOINT_TOCI_DOSES] : 0;
    const int relapsed = e[CART_ENDPOINT_RESPONSE] == 2 && !isnan(e[CART_ENDPOINT_RELAPSE_DAY]);
    acc->n_relapse += relapsed;
    acc->n_relapse_negative += relapsed && e[CART_ENDPOINT_RELAPSE_NEGATIVE] == 1;
  }
  acc->n_added += block->count;
  return CART_OK;
}

static int compare_doubles(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  /* NaN last, so they never mix into the order statistics of the numbers */
  if (isnan(x) || isnan(y)) {
    return isnan(x) - isnan(y);
  }
  return (x > y) - (x < y);
}

/* Percentile q (0..100) of sorted[0..n), numpy's default linear rule. */
static double percentile(const double *sorted, size_t n, double q)
{
  if (n == 0) {
    return NAN;
  }
  const double position = q / 100.0 * (double)(n - 1);
  const size_t below = (size_t)floor(position);
  const size_t above = below + 1 < n ? below + 1 : below;
  const double fraction = position - (double)below;
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

/* Sorts a copy of kept values (NaN dropped) and returns the count of numbers. */
static size_t sorted_copy(const double *values, size_t n, double *out)
{
  memcpy(out, values, n * sizeof *out);
  qsort(out, n, sizeof *out, compare_doubles);
  size_t m = n;
  while (m > 0 && isnan(out[m - 1])) {
    m--;
  }
  return m;
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
  double *sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (sorted == NULL) {
    return CART_ENOMEM;
  }
  s->n_patients = acc->n_added;
  s->n_solved = n;
  s->cr_rate = ratio(acc->n_cr, n);
  s->orr_rate = ratio(acc->n_or, n);
  s->crs_any_rate = ratio(acc->n_crs_any, n);
  s->crs_grade3_rate = ratio(acc->n_crs3, n);
  s->toci_rate = ratio(acc->n_toci, n);
  s->toci_doses_mean = ratio(acc->n_toci_doses, n);
  double *fields[N_KEPT][3] = {{&s->cmax_p5, &s->cmax_p50, &s->cmax_p95},
                               {&s->tmax_p5, &s->tmax_p50, &s->tmax_p95},
                               {&s->auc28_p5, &s->auc28_p50, &s->auc28_p95},
                               {NULL, &s->aplasia_days_p50, NULL}};
  static const double q[3] = {5, 50, 95};
  for (int k = 0; k < N_KEPT; k++) {
    const size_t m = sorted_copy(acc->kept[k], n, sorted);
    for (int j = 0; j < 3; j++) {
      if (fields[k][j] != NULL) {
        *fields[k][j] = percentile(sorted, m, q[j]);
      }
    }
  }
  s->relapse_rate = ratio(acc->n_relapse, acc->n_cr);
  s->relapse_negative_rate = ratio(acc->n_relapse_negative, acc->n_relapse);
  free(sorted);
  return CART_OK;
}
