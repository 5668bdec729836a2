/* check_trial.c: virtual trials: bit-identical for 1, 2 and 4 threads and for any N; endpoints
 * (MODEL.md 4) against a fine grid of the same patient and against anchors/reference; failed
 * patients; the summary. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/trial/trial_impl.h"
#include "test_util.h"

/* The anchors' bench population: rho, gamma, delta_E and T0 vary by exp(0.3 z). */
static cart_trial *bench_trial(size_t n)
{
  cart_trial *trial = test_trial_new(n);
  return trial;
}

/* The bench population with every kind of event: the tocilizumab rule (MODEL.md 3 defaults),
 * extinction (the default) and a fixed tocilizumab infusion on day 20. */
static cart_trial *eventful_trial(size_t n)
{
  cart_trial *trial = bench_trial(n);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  ck_assert_int_eq(cart_dosing_set_toci_rule(cart_trial_edit_dosing(trial), &rule), CART_OK);
  ck_assert_int_eq(cart_dosing_add_toci(cart_trial_edit_dosing(trial), 20, 4, 1.0 / 24, 800),
                   CART_OK);
  return trial;
}

/* Runs every patient of the prepared `plan` in blocks of block_size in one workspace of
 * `threads`, reused for every block, copying the rows into `out`. */
static void run_prepared(const cart_trial *plan, size_t block_size, int threads,
                         cart_trial_block *out)
{
  const size_t n = cart_trial_n_patients(plan);
  cart_trial_block *block = cart_trial_block_new(plan, block_size, NULL);
  ck_assert_ptr_nonnull(block);
  cart_trial_workspace *workspace = cart_trial_workspace_new(plan, threads, NULL);
  ck_assert_ptr_nonnull(workspace);
  ck_assert_int_eq(cart_trial_workspace_n_threads(workspace), threads);
  const size_t nt = out->n_times, no = out->n_outputs, np = out->n_params;
  for (size_t first = 0; first < n; first += block_size) {
    const size_t count = n - first < block_size ? n - first : block_size;
    ck_assert_int_eq(cart_trial_run_block(plan, workspace, first, count, block), CART_OK);
    memcpy(out->params + first * np, block->params, count * np * sizeof(double));
    memcpy(out->endpoints + first * CART_N_ENDPOINTS, block->endpoints,
           count * CART_N_ENDPOINTS * sizeof(double));
    memcpy(out->status + first, block->status, count * sizeof(int));
    memcpy(out->toci_times + first * out->max_toci, block->toci_times,
           count * out->max_toci * sizeof(double));
    for (size_t o = 0; o < no; o++) {
      memcpy(out->trajectories + (o * out->capacity + first) * nt,
             block->trajectories + o * block->capacity * nt, count * nt * sizeof(float));
    }
  }
  out->first = 0;
  out->count = n;
  cart_trial_workspace_free(workspace);
  cart_trial_block_free(block);
}

static void run_all(cart_trial *trial, size_t block_size, int threads, cart_trial_block *out)
{
  ck_assert_int_eq(cart_trial_prepare(trial), CART_OK);
  run_prepared(trial, block_size, threads, out);
}

static int same_rows(const cart_trial_block *a, const cart_trial_block *b, size_t rows)
{
  const size_t nt = a->n_times;
  int same = memcmp(a->params, b->params, rows * a->n_params * sizeof(double)) == 0 &&
             memcmp(a->endpoints, b->endpoints, rows * CART_N_ENDPOINTS * sizeof(double)) == 0 &&
             memcmp(a->status, b->status, rows * sizeof(int)) == 0;
  for (size_t o = 0; o < a->n_outputs; o++) {
    same = same && memcmp(a->trajectories + o * a->capacity * nt,
                          b->trajectories + o * b->capacity * nt, rows * nt * sizeof(float)) == 0;
  }
  return same;
}

START_TEST(test_threads_bit_identical)
{
  const size_t n = 96;
  cart_trial *trial = eventful_trial(n);
  cart_trial_block *one = cart_trial_block_new(trial, n, NULL);
  cart_trial_block *two = cart_trial_block_new(trial, n, NULL);
  cart_trial_block *four = cart_trial_block_new(trial, n, NULL);
  run_all(trial, n, 1, one);
  run_all(trial, 40, 2, two);
  run_all(trial, 17, 4, four);
  ck_assert(same_rows(one, two, n));
  ck_assert(same_rows(one, four, n));
  ck_assert_int_eq(memcmp(one->toci_times, two->toci_times, n * one->max_toci * sizeof(double)), 0);
  ck_assert_int_eq(memcmp(one->toci_times, four->toci_times, n * one->max_toci * sizeof(double)), 0);
  ck_assert_uint_eq(one->max_toci, 5); /* the fixed dose + the rule's 4 */
  size_t rule_doses = 0;
  for (size_t k = 0; k < n; k++) {
    rule_doses += one->endpoints[k * CART_N_ENDPOINTS + CART_ENDPOINT_TOCI_DOSES] > 1;
  }
  ck_assert_uint_gt(rule_doses, 10); /* the rule did fire in many patients */
  for (size_t k = 0; k < n; k++) {
    ck_assert_int_eq(one->status[k], CART_OK);
  }
  /* the patients differ */
  ck_assert_double_ne(one->endpoints[CART_ENDPOINT_CMAX], one->endpoints[CART_N_ENDPOINTS + CART_ENDPOINT_CMAX]);
  cart_trial_block_free(one);
  cart_trial_block_free(two);
  cart_trial_block_free(four);
  cart_trial_free(trial);
}
END_TEST

/* Several patients in flight per thread (lanes), stepped together by SIMD rounds (cart has
 * lanes, Rodas5P is the method) and replaced as soon as they are done: the same rows bit for bit
 * as one patient at a time on the scalar path, with every kind of event (extinction, the
 * tocilizumab rule with its infusions, a fixed infusion, a second CAR-T dose), for a partial
 * group of lanes (7), two groups (16) and the default. */
START_TEST(test_lanes_bit_identical)
{
  const size_t n = 70;
  cart_trial *trial = eventful_trial(n);
  ck_assert_int_eq(cart_dosing_add_cart(cart_trial_edit_dosing(trial), 30, 5e7, 0.5), CART_OK);
  cart_trial_block *one = cart_trial_block_new(trial, n, NULL);
  cart_trial_block *many = cart_trial_block_new(trial, n, NULL);
  ck_assert_int_eq(cartp_trial_set_lanes(trial, 1), CART_OK);
  run_all(trial, n, 1, one);
  static const size_t lane_counts[] = {7, 16, 0};
  for (size_t c = 0; c < 3; c++) {
    ck_assert_int_eq(cartp_trial_set_lanes(trial, lane_counts[c]), CART_OK);
    memset(many->endpoints, 0, n * CART_N_ENDPOINTS * sizeof(double));
    run_all(trial, 33, 2, many);
    ck_assert_msg(same_rows(one, many, n), "%zu lanes differ from one by one",
                  lane_counts[c]);
    ck_assert_int_eq(
        memcmp(one->toci_times, many->toci_times, n * one->max_toci * sizeof(double)), 0);
  }
  ck_assert_int_eq(cartp_trial_set_lanes(trial, CARTP_MAX_LANES + 1), CART_EINVAL);
  cart_trial_block_free(one);
  cart_trial_block_free(many);
  cart_trial_free(trial);
}
END_TEST

/* Every model with lanes in a trial with its events (the tocilizumab rule, a second CAR-T
 * infusion, anti-PD-1 doses): the rows of one patient at a time, bit for bit, in SIMD lanes.
 * Scenarios: examples/lupus.ini, examples/solid_gd2.ini, examples/solid.ini with anti-PD-1 at
 * 200 mg every 3 weeks, and a cart2 trial against antigen a alone with a second infusion, a
 * fixed tocilizumab dose and non-whole Hill powers (pow lane by lane). */
static const char *const CART2_EVENTFUL =
    "[trial]\nmodel = cart2\nn_patients = 40\nseed = 11\n"
    "[times]\nhorizon = 365\nstep = 7\nearly_step = 1\nearly_until = 28\n"
    "[parameters]\nrho = 0.58\ngamma = 60\nKkill = 1.16e11\nT0 = 1.08e11\nf_a0 = 3e-05\n"
    "f_b0 = 3e-05\nf_n0 = 1e-9\nmu_a = 1e-5\nmu_b = 1e-5\ncar_targets = 1\nr_tum = 0.0315\n"
    "p_act = 3.5\np_kill = 24\nf_blood = 0.015\n"
    "[variability]\nrho = 0.1\ndelta_E = 0.32\ngamma = 1\nT0 = 0.77\nf_a0 = 3.8\nf_b0 = 3.8\n"
    "r_tum = 0.48\np_act = 1\nh = 0.1\nld_tau = 0.3\nmu_a = 1\nWT = 0.2\n"
    "[dosing]\ncart = 21:5e7:0.5\ntoci = 2:4\n"
    "[tocilizumab]\nrule = on\ntrigger = 100\ninterval_h = 8\n";

static void expect_lanes_equal_one_by_one(const char *text, const char *source,
                                          const char *typical_set, double typical_value)
{
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(text, source, &err);
  ck_assert_msg(trial != NULL, "%s: %s", source, err.message);
  if (typical_set != NULL) {
    cart_params *typical = cart_population_typical(cart_trial_edit_population(trial));
    ck_assert_int_eq(cart_params_set(typical, typical_set, typical_value), CART_OK);
  }
  const size_t n = 40;
  cart_trial_block *one = test_lanes_against_one_by_one(trial, n, source);
  for (size_t k = 0; k < n; k++) {
    ck_assert_int_eq(one->status[k], CART_OK);
  }
  cart_trial_block_free(one);
  cart_trial_free(trial);
}

START_TEST(test_every_model_lanes_in_trials)
{
  static const char *const examples[] = {"lupus.ini", "solid_gd2.ini", "solid.ini"};
  for (size_t i = 0; i < 3; i++) {
    char *text = test_read_example(examples[i]);
    expect_lanes_equal_one_by_one(text, examples[i], i == 2 ? "dose_pd1" : NULL, 200.0);
    free(text);
  }
  expect_lanes_equal_one_by_one(CART2_EVENTFUL, "cart2 (check_trial.c)", NULL, 0.0);
}
END_TEST

START_TEST(test_patient_independent_of_n)
{
  cart_trial *small = bench_trial(10), *large = bench_trial(1000);
  cart_trial_block *a = cart_trial_block_new(small, 10, NULL);
  cart_trial_block *b = cart_trial_block_new(large, 1000, NULL);
  run_all(small, 10, 1, a);
  run_all(large, 256, 2, b);
  /* same shape of rows: compare patient by patient */
  const size_t nt = a->n_times;
  for (size_t k = 0; k < 10; k++) {
    ck_assert_int_eq(memcmp(a->params + k * a->n_params, b->params + k * b->n_params,
                            a->n_params * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(a->endpoints + k * CART_N_ENDPOINTS, b->endpoints + k * CART_N_ENDPOINTS,
                            CART_N_ENDPOINTS * sizeof(double)), 0);
    for (size_t o = 0; o < a->n_outputs; o++) {
      ck_assert_int_eq(memcmp(a->trajectories + (o * a->capacity + k) * nt,
                              b->trajectories + (o * b->capacity + k) * nt, nt * sizeof(float)), 0);
    }
  }
  cart_trial_block_free(a);
  cart_trial_block_free(b);
  cart_trial_free(small);
  cart_trial_free(large);
}
END_TEST

/* One patient's endpoints against its own trajectory on a 0.0005-day grid (days 0-60) and a
 * 0.01-day grid (60-365), from the same solver: maxima, minima and crossings to the grid's
 * resolution, auc28 by the trapezoid rule (error ~ h^2/12 * int |C''| < 1e-7 relative). */
START_TEST(test_endpoints_against_fine_grid)
{
  cart_trial *trial = test_trial_new(1);
  cart_population_set_cv(cart_trial_edit_population(trial), "rho", 0); /* the typical patient */
  cart_population_set_cv(cart_trial_edit_population(trial), "gamma", 0);
  cart_population_set_cv(cart_trial_edit_population(trial), "delta_E", 0);
  cart_population_set_cv(cart_trial_edit_population(trial), "T0", 0);
  cart_trial_block *block = cart_trial_block_new(trial, 1, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, 1, 1, block), CART_OK);
  ck_assert_int_eq(block->status[0], CART_OK);
  const double *e = block->endpoints;

  const size_t n = 120000 + 30500 + 1;
  double *times = malloc(n * sizeof *times), *y = malloc(n * 9 * sizeof *y), *c = malloc(n * sizeof *c);
  size_t m = 0;
  for (size_t i = 0; i < 120000; i++) {
    times[m++] = 0.0005 * (double)i;
  }
  for (size_t i = 0; i <= 30500; i++) {
    times[m++] = 60.0 + 0.01 * (double)i;
  }
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, m, y, c), CART_OK);
  double cmax = 0, tmax = 0, auc = 0, nadir = INFINITY, il6 = 0, il6s = 0, onset = NAN, cr = NAN;
  double aplasia = 0;
  for (size_t i = 0; i < m; i++) {
    const double tumour = y[9 * i + 3] + y[9 * i + 4];
    const double c1 = y[9 * i + 7] / 3.5, s = y[9 * i + 6] * 0.4 / (c1 + 0.4);
    if (c[i] > cmax) {
      cmax = c[i], tmax = times[i];
    }
    nadir = tumour < nadir ? tumour : nadir;
    il6 = y[9 * i + 6] > il6 ? y[9 * i + 6] : il6;
    il6s = s > il6s ? s : il6s;
    if (isnan(onset) && s > 40) {
      onset = times[i];
    }
    if (isnan(cr) && tumour < 1e9) {
      cr = times[i];
    }
    if (i > 0) {
      const double dt = times[i] - times[i - 1];
      if (times[i] <= 28) {
        auc += 0.5 * dt * (c[i] + c[i - 1]);
      }
      aplasia += y[9 * i + 5] < 1e9 ? dt : 0;
    }
  }
  ck_assert_double_le(test_rel_diff(e[CART_ENDPOINT_CMAX], cmax), 1e-6);
  ck_assert_double_ge(e[CART_ENDPOINT_CMAX], cmax); /* the refined max is never below a sample */
  ck_assert_double_le(fabs(e[CART_ENDPOINT_TMAX] - tmax), 1e-3);
  ck_assert_double_le(test_rel_diff(e[CART_ENDPOINT_AUC28], auc), 1e-6);
  ck_assert_double_le(test_rel_diff(e[CART_ENDPOINT_TUMOUR_NADIR], nadir), 1e-5);
  ck_assert_double_le(test_rel_diff(e[CART_ENDPOINT_IL6_PEAK], il6), 1e-6);
  ck_assert_double_le(test_rel_diff(e[CART_ENDPOINT_IL6S_PEAK], il6s), 1e-6);
  ck_assert_double_le(fabs(e[CART_ENDPOINT_CRS_ONSET] - onset), 1e-3);
  ck_assert_double_le(fabs(e[CART_ENDPOINT_APLASIA_DAYS] - aplasia), 0.03);
  ck_assert_double_eq(e[CART_ENDPOINT_RESPONSE], 2); /* CR, at day ~11 */
  ck_assert_double_lt(cr, 90);
  ck_assert(isnan(e[CART_ENDPOINT_RELAPSE_DAY]));
  ck_assert_double_eq(e[CART_ENDPOINT_RELAPSE_NEGATIVE], 0);
  ck_assert_double_eq(e[CART_ENDPOINT_CRS_GRADE], 2); /* MODEL.md 2.2: IL-6 peak ~700, grade 2 */
  ck_assert_double_eq(e[CART_ENDPOINT_TOCI_DOSES], 0);
  /* MODEL.md 2.2's description of the default patient */
  ck_assert(e[CART_ENDPOINT_CMAX] > 60 && e[CART_ENDPOINT_CMAX] < 100);
  ck_assert(e[CART_ENDPOINT_TMAX] > 10 && e[CART_ENDPOINT_TMAX] < 14);
  free(times);
  free(y);
  free(c);
  cart_solver_free(solver);
  cart_params_free(params);
  cart_trial_block_free(block);
  cart_trial_free(trial);
}
END_TEST

/* cmax and auc28 of the default patient against anchors/reference/cart_default.csv (Radau,
 * rtol 1e-10; Cblood every 0.25 day to day 28): auc28 by Simpson's rule on the reference grid,
 * cmax by the maximum of the quartic through the five samples around the largest. libcart at
 * tight tolerances (rtol 1e-10, atol 1e-5 cells). */
START_TEST(test_endpoints_against_reference)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/anchors/reference/cart_default.csv", test_shared_dir());
  test_csv *csv = test_csv_read(path);
  ck_assert_ptr_nonnull(csv);
  const int ct = test_csv_column(csv, "t"), cc = test_csv_column(csv, "Cblood");
  double simpson = 0;
  size_t top = 0;
  for (size_t i = 0; i < csv->n_rows; i++) {
    const double t = csv->data[i * csv->n_cols + ct];
    if (csv->data[i * csv->n_cols + cc] > csv->data[top * csv->n_cols + cc]) {
      top = i;
    }
    if (t < 28) {
      const double w = (i == 0) ? 1 : (i % 2 == 1 ? 4 : 2);
      simpson += w * csv->data[i * csv->n_cols + cc];
    } else if (t == 28) {
      simpson += csv->data[i * csv->n_cols + cc];
    }
  }
  simpson *= 0.25 / 3;
  const double y_top = csv->data[top * csv->n_cols + cc];
  /* the maximum of the degree-4 polynomial through the five samples around the largest one */
  double vertex = 0;
  for (int i = 0; i <= 40000; i++) {
    const double x = -1.0 + i / 20000.0; /* in steps of 0.25 day, around the top sample */
    double value = 0;
    for (int j = -2; j <= 2; j++) {
      double w = 1;
      for (int m = -2; m <= 2; m++) {
        w *= m == j ? 1 : (x - m) / (j - m);
      }
      value += w * csv->data[(top + (size_t)(ptrdiff_t)j) * csv->n_cols + cc];
    }
    vertex = value > vertex ? value : vertex;
  }

  cart_trial *trial = test_trial_new(1);
  cart_population *population = cart_trial_edit_population(trial);
  const char *varied[] = {"rho", "gamma", "delta_E", "T0"};
  for (int i = 0; i < 4; i++) {
    cart_population_set_cv(population, varied[i], 0);
  }
  double atol[9] = {1e-5, 1e-5, 1e-5, 1e-5, 1e-5, 1e-5, 1e-9, 1e-14, 1e-14};
  ck_assert_int_eq(cart_trial_set_solver(trial, CART_METHOD_BDF, 1e-10, atol, 1000000), CART_OK);
  cart_trial_block *block = cart_trial_block_new(trial, 1, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, 1, 1, block), CART_OK);
  printf("auc28 %.9g (reference Simpson %.9g), cmax %.9g (reference quartic %.9g)\n",
         block->endpoints[CART_ENDPOINT_AUC28], simpson, block->endpoints[CART_ENDPOINT_CMAX], vertex);
  ck_assert_double_le(test_rel_diff(block->endpoints[CART_ENDPOINT_AUC28], simpson), 1e-5);
  /* The peak is sharp (expansion stops within half a day as the tumour clears), so five samples
   * 0.25 day apart pin it only to a few 1e-4 (parabola: 6.7e-4 off, quartic 2.6e-4); the solver
   * itself matches the reference samples to 1.4e-7 at these tolerances (check_reference). */
  ck_assert_double_le(test_rel_diff(block->endpoints[CART_ENDPOINT_CMAX], vertex), 5e-4);
  ck_assert_double_ge(block->endpoints[CART_ENDPOINT_CMAX], y_top * (1 - 1e-7));
  cart_trial_block_free(block);
  cart_trial_free(trial);
  test_csv_free(csv);
}
END_TEST

/* A patient whose solve fails gets its code and NaN endpoints and trajectories; the block runs. */
START_TEST(test_failed_patients)
{
  cart_trial *trial = bench_trial(6);
  ck_assert_int_eq(cart_trial_set_solver(trial, CART_METHOD_BDF, 1e-6, NULL, 30), CART_OK);
  cart_trial_block *block = cart_trial_block_new(trial, 6, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, 6, 2, block), CART_OK);
  for (size_t k = 0; k < 6; k++) {
    ck_assert_int_eq(block->status[k], CART_EMAXSTEPS);
    for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
      ck_assert(isnan(block->endpoints[k * CART_N_ENDPOINTS + e]));
    }
    ck_assert(isnan(block->trajectories[k * block->n_times + 3]));
    ck_assert(!isnan(block->params[k * block->n_params])); /* the draw is still recorded */
  }
  cart_trial_block_free(block);
  cart_trial_free(trial);
}
END_TEST

/* toci_doses with the rule's delay: a trigger at 99% of the typical patient's IL6s peak is
 * exceeded for about 0.3 day (10.63 to 10.95), so the rule doses at once without a delay and not
 * at all with a 12 h one (the signal has fallen back by then); a trigger at 200 pg/mL, exceeded
 * for days, still doses with the delay. */
START_TEST(test_toci_rule_delay_short_excursion)
{
  cart_trial *trial = test_trial_new(1);
  static const char *const varied[] = {"rho", "gamma", "delta_E", "T0"};
  for (size_t i = 0; i < 4; i++) {
    cart_population_set_cv(cart_trial_edit_population(trial), varied[i], 0); /* the typical patient */
  }
  cart_trial_block *block = cart_trial_block_new(trial, 1, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, 1, 1, block), CART_OK);
  const double peak = block->endpoints[CART_ENDPOINT_IL6S_PEAK];
  ck_assert(peak > 400 && peak < 2000);
  cart_trial_block_free(block);

  const double near_peak = 0.99 * peak;
  const struct { double trigger, delay_h, doses_min, doses_max; } cases[] = {
      {near_peak, 0, 1, 4}, {near_peak, 12, 0, 0}, {200, 12, 1, 4}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    cart_toci_rule rule;
    cart_toci_rule_default(&rule);
    rule.trigger = cases[c].trigger;
    rule.delay_day = cases[c].delay_h / 24.0;
    ck_assert_int_eq(cart_dosing_set_toci_rule(cart_trial_edit_dosing(trial), &rule), CART_OK);
    block = cart_trial_block_new(trial, 1, NULL);
    ck_assert_int_eq(test_run_block(trial, 0, 1, 1, block), CART_OK);
    ck_assert_int_eq(block->status[0], CART_OK);
    const double doses = block->endpoints[CART_ENDPOINT_TOCI_DOSES];
    ck_assert_msg(doses >= cases[c].doses_min && doses <= cases[c].doses_max,
                  "trigger %g, delay %g h: %g doses", rule.trigger, cases[c].delay_h, doses);
    cart_trial_block_free(block);
  }
  cart_trial_free(trial);
}
END_TEST

/* The summary: rates and numpy-style percentiles of a hand-made block. */
START_TEST(test_summary)
{
  cart_trial *trial = bench_trial(5);
  cart_trial_block *block = cart_trial_block_new(trial, 5, NULL);
  block->first = 0;
  block->count = 5;
  const double cmax[5] = {10, 40, 20, 30, 99};
  const double response[5] = {2, 2, 1, 0, 2}, grade[5] = {0, 1, 3, 2, 4};
  const double relapse[5] = {100, NAN, NAN, NAN, 50}, negative[5] = {1, 0, 0, 0, 0};
  for (size_t k = 0; k < 5; k++) {
    double *e = block->endpoints + k * CART_N_ENDPOINTS;
    for (size_t j = 0; j < CART_N_ENDPOINTS; j++) {
      e[j] = 0;
    }
    e[CART_ENDPOINT_CMAX] = cmax[k];
    e[CART_ENDPOINT_TMAX] = (double)k;
    e[CART_ENDPOINT_RESPONSE] = response[k];
    e[CART_ENDPOINT_CRS_GRADE] = grade[k];
    e[CART_ENDPOINT_RELAPSE_DAY] = relapse[k];
    e[CART_ENDPOINT_RELAPSE_NEGATIVE] = negative[k];
    e[CART_ENDPOINT_TOCI_DOSES] = k == 2 ? 3 : 0;
    block->status[k] = k == 4 ? CART_EMAXSTEPS : CART_OK; /* the last one failed */
  }
  cart_summary_acc *acc = cart_summary_acc_new(cart_trial_model(trial), 5, NULL);
  ck_assert_int_eq(cart_summary_acc_add(acc, block), CART_OK);
  ck_assert_int_eq(cart_summary_acc_add(acc, block), CART_EINVAL); /* out of order */
  cart_trial_summary s;
  ck_assert_int_eq(cart_summary_acc_get(acc, &s), CART_OK);
  ck_assert_uint_eq(s.n_patients, 5);
  ck_assert_uint_eq(s.n_solved, 4);
  ck_assert_double_eq(s.cr_rate, 0.5);
  ck_assert_double_eq(s.orr_rate, 0.75);
  ck_assert_double_eq(s.crs_any_rate, 0.75);
  ck_assert_double_eq(s.crs_grade3_rate, 0.25);
  ck_assert_double_eq(s.toci_rate, 0.25);
  ck_assert_double_eq(s.toci_doses_mean, 0.75);
  /* solved cmax 10, 40, 20, 30 -> sorted 10 20 30 40: p50 = 25, p5 = 10 + 0.15*10, p95 = 38.5 */
  ck_assert_double_eq_tol(s.cmax_p50, 25, 1e-12);
  ck_assert_double_eq_tol(s.cmax_p5, 11.5, 1e-12);
  ck_assert_double_eq_tol(s.cmax_p95, 38.5, 1e-12);
  ck_assert_double_eq_tol(s.tmax_p50, 1.5, 1e-12);
  ck_assert_double_eq(s.relapse_rate, 0.5);          /* 1 of the 2 solved CRs relapsed */
  ck_assert_double_eq(s.relapse_negative_rate, 1.0); /* antigen-negative */
  /* every endpoint's summary: cmax 10 20 30 40 as above, p25 at 0.75 and p75 at 2.25 */
  ck_assert_uint_eq(s.n_endpoints, CART_N_ENDPOINTS);
  const cart_endpoint_summary *cmax_s = &s.endpoints[CART_ENDPOINT_CMAX];
  ck_assert_uint_eq(cmax_s->n_number, 4);
  ck_assert_double_eq_tol(cmax_s->mean, 25, 1e-12);
  ck_assert_double_eq_tol(cmax_s->p25, 17.5, 1e-12);
  ck_assert_double_eq_tol(cmax_s->p75, 32.5, 1e-12);
  ck_assert(cmax_s->p5 == s.cmax_p5 && cmax_s->p50 == s.cmax_p50 && cmax_s->p95 == s.cmax_p95);
  ck_assert_uint_eq(cmax_s->n_level[0] + cmax_s->n_above, 0); /* not an integer endpoint */
  /* integer endpoints counted at each value: solved responses 2 2 1 0, grades 0 1 3 2, doses
   * 0 0 3 0 */
  const cart_endpoint_summary *resp = &s.endpoints[CART_ENDPOINT_RESPONSE];
  ck_assert_uint_eq(resp->n_level[0], 1);
  ck_assert_uint_eq(resp->n_level[1], 1);
  ck_assert_uint_eq(resp->n_level[2], 2);
  ck_assert_double_eq_tol(resp->mean, 1.25, 1e-12);
  const cart_endpoint_summary *grade_s = &s.endpoints[CART_ENDPOINT_CRS_GRADE];
  for (size_t v = 0; v <= 3; v++) {
    ck_assert_uint_eq(grade_s->n_level[v], 1);
  }
  ck_assert_uint_eq(grade_s->n_level[4] + grade_s->n_above, 0);
  const cart_endpoint_summary *toci_s = &s.endpoints[CART_ENDPOINT_TOCI_DOSES];
  ck_assert_uint_eq(toci_s->n_level[0], 3);
  ck_assert_uint_eq(toci_s->n_level[3], 1);
  cart_summary_acc_free(acc);
  cart_trial_block_free(block);
  cart_trial_free(trial);
}
END_TEST

/* A plan changed after a run (longer times, other tolerances, endpoint settings, variability
 * through a kept pointer) is what the next run uses: the same numbers as a fresh trial. */
START_TEST(test_plan_changed_after_run)
{
  cart_trial *trial = bench_trial(8), *fresh = bench_trial(8);
  cart_trial_block *block = cart_trial_block_new(trial, 8, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, 8, 2, block), CART_OK);
  cart_trial_block_free(block);
  double times[200];
  for (int i = 0; i < 200; i++) {
    times[i] = 0.5 * i;
  }
  cart_population *kept = cart_trial_edit_population(trial);
  ck_assert_int_eq(cart_population_set_cv(kept, "gamma", 0.5), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(cart_trial_edit_population(fresh), "gamma", 0.5), CART_OK);
  cart_trial *both[2] = {trial, fresh};
  cart_trial_block *out[2];
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(cart_trial_set_times(both[i], times, 200), CART_OK);
    ck_assert_int_eq(cart_trial_set_solver(both[i], CART_METHOD_BDF, 1e-7, NULL, 50000), CART_OK);
    ck_assert_int_eq(cart_trial_prepare(both[i]), CART_OK);
    out[i] = cart_trial_block_new(both[i], 8, NULL);
    ck_assert_int_eq(test_run_block(both[i], 0, 8, 2, out[i]), CART_OK);
  }
  ck_assert(same_rows(out[0], out[1], 8));
  ck_assert_int_eq(out[0]->status[3], CART_OK);
  cart_trial_edit_endpoint_settings(trial)->crs_g[1] = 1; /* below crs_g1: refused at the next run */
  ck_assert_int_eq(test_run_block(trial, 0, 8, 2, out[0]), CART_ERANGE);
  cart_trial_block_free(out[0]);
  cart_trial_block_free(out[1]);
  cart_trial_free(trial);
  cart_trial_free(fresh);
}
END_TEST

/* Two threads of the caller's run blocks of one prepared trial at once, each in its own
 * workspace: the plan is only read (FFTW's one plan, many executes), so both get the rows of a
 * run alone, bit for bit. */
typedef struct concurrent_run {
  const cart_trial *plan;
  size_t block_size;
  cart_trial_block *out;
} concurrent_run;

static void *run_concurrently(void *data)
{
  concurrent_run *run = data;
  run_prepared(run->plan, run->block_size, 2, run->out);
  return NULL;
}

START_TEST(test_workspace_shared_plan)
{
  const size_t n = 48;
  cart_trial *trial = eventful_trial(n);
  cart_trial_block *alone = cart_trial_block_new(trial, n, NULL);
  run_all(trial, 16, 1, alone);
  concurrent_run runs[2] = {{trial, 16, cart_trial_block_new(trial, n, NULL)},
                            {trial, 7, cart_trial_block_new(trial, n, NULL)}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(pthread_create(&threads[i], NULL, run_concurrently, &runs[i]), 0);
  }
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
    ck_assert(same_rows(alone, runs[i].out, n));
    cart_trial_block_free(runs[i].out);
  }
  cart_trial_block_free(alone);
  cart_trial_free(trial);
}
END_TEST

/* The workspace's contract: made for one trial as its settings are, refused otherwise; the
 * trial must be prepared after any change; every refusal says why in the workspace. */
START_TEST(test_workspace_errors)
{
  cart_trial *trial = bench_trial(4), *other = bench_trial(4);
  cart_error err;
  cart_error_clear(&err);
  ck_assert_ptr_null(cart_trial_workspace_new(NULL, 1, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_ptr_null(cart_trial_workspace_new(trial, -1, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  cart_trial_workspace_free(NULL);
  ck_assert_int_eq(cart_trial_workspace_n_threads(NULL), 0);
  ck_assert_ptr_null(cart_trial_workspace_last_error(NULL));
  cart_trial_block *block = cart_trial_block_new(trial, 4, NULL);
  cart_trial_workspace *workspace = cart_trial_workspace_new(trial, 1, &err);
  ck_assert_ptr_nonnull(workspace);
  ck_assert_int_eq(cart_trial_run_block(trial, NULL, 0, 4, block), CART_EINVAL);
  ck_assert_int_eq(cart_trial_run_block(trial, workspace, 0, 4, NULL), CART_EINVAL);
  /* not prepared yet */
  ck_assert_int_eq(cart_trial_run_block(trial, workspace, 0, 4, block), CART_EINVAL);
  ck_assert_msg(strstr(cart_trial_workspace_last_error(workspace)->message, "cart_trial_prepare"),
                "%s", cart_trial_workspace_last_error(workspace)->message);
  ck_assert_int_eq(cart_trial_prepare(trial), CART_OK);
  ck_assert_int_eq(cart_trial_run_block(trial, workspace, 0, 4, block), CART_OK);
  ck_assert_int_eq(cart_trial_workspace_last_error(workspace)->code, CART_OK);
  /* an edit unprepares it, even one that changes nothing */
  (void)cart_trial_edit_population(trial);
  ck_assert_int_eq(cart_trial_run_block(trial, workspace, 0, 4, block), CART_EINVAL);
  ck_assert_int_eq(cart_trial_prepare(trial), CART_OK);
  ck_assert_int_eq(cart_trial_run_block(trial, workspace, 0, 4, block), CART_OK);
  /* another trial's workspace */
  ck_assert_int_eq(cart_trial_prepare(other), CART_OK);
  ck_assert_int_eq(cart_trial_run_block(other, workspace, 0, 4, block), CART_EINVAL);
  ck_assert_msg(strstr(cart_trial_workspace_last_error(workspace)->message, "another trial"),
                "%s", cart_trial_workspace_last_error(workspace)->message);
  /* made before the solver settings changed: a new one is needed */
  ck_assert_int_eq(cart_trial_set_solver(trial, CART_METHOD_BDF, 1e-7, NULL, 50000), CART_OK);
  ck_assert_int_eq(cart_trial_prepare(trial), CART_OK);
  ck_assert_int_eq(cart_trial_run_block(trial, workspace, 0, 4, block), CART_EINVAL);
  cart_trial_workspace_free(workspace);
  workspace = cart_trial_workspace_new(trial, 1, &err);
  ck_assert_int_eq(cart_trial_run_block(trial, workspace, 0, 4, block), CART_OK);
  cart_trial_workspace_free(workspace);
  cart_trial_block_free(block);
  cart_trial_free(other);
  cart_trial_free(trial);
}
END_TEST

/* Patient counts whose sizes wrap a size_t (2^61 patients of 8-byte values is 2^64 bytes) are
 * refused with a message, never allocated short and written past. */
START_TEST(test_sizes_overflow)
{
  { /* more output times than CART_MAX_OUTPUT_TIMES: refused before they are read */
    cart_trial *trial = bench_trial(1);
    const double one = 0.0;
    ck_assert_int_eq(cart_trial_set_times(trial, &one, (size_t)CART_MAX_OUTPUT_TIMES + 1),
                     CART_ETIMES);
    ck_assert_ptr_nonnull(strstr(cart_trial_last_error(trial)->message, "at most 1000000"));
    cart_trial_free(trial);
  }
  const size_t huge[] = {(size_t)1 << 61, (size_t)1 << 63, SIZE_MAX};
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    cart_error err;
    cart_error_clear(&err);
    ck_assert_ptr_null(cart_summary_acc_new(cart_model_find("cart", NULL), huge[i], &err));
    ck_assert_int_eq(err.code, CART_ENOMEM);
    ck_assert_msg(strstr(err.message, "too large") != NULL, "%s", err.message);
    cart_trial *trial = bench_trial(10);
    cart_error_clear(&err);
    ck_assert_ptr_null(cart_trial_block_new(trial, huge[i], &err));
    ck_assert_int_eq(err.code, CART_ENOMEM);
    ck_assert_msg(strstr(err.message, "too large") != NULL, "%s", err.message);
    ck_assert_int_eq(cart_trial_set_n_patients(trial, huge[i]), CART_EINVAL);
    ck_assert_msg(strstr(cart_trial_last_error(trial)->message, "too many") != NULL, "%s",
                  cart_trial_last_error(trial)->message);
    ck_assert_uint_eq(cart_trial_n_patients(trial), 10); /* unchanged */
    cart_trial_free(trial);
  }
  /* a count that fits alone but not with the trial's data per patient */
  cart_trial *trial = bench_trial(10);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, SIZE_MAX / 64), CART_EINVAL);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, 1000000), CART_OK);
  ck_assert_int_eq(cart_trial_prepare(trial), CART_OK);
  cart_trial_free(trial);
}
END_TEST

START_TEST(test_errors)
{
  cart_error err;
  ck_assert_ptr_null(cart_trial_new(NULL, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  cart_trial *trial = bench_trial(10);
  ck_assert_int_eq(cart_trial_add_output(trial, "nope"), CART_EUNKNOWN_PARAM);
  ck_assert_int_eq(cart_trial_add_output(trial, "Cblood"), CART_EINVAL); /* already kept */
  ck_assert_uint_eq(cart_trial_n_outputs(trial), 5);
  const char *name, *unit;
  ck_assert_int_eq(cart_trial_output_info(trial, 1, &name, &unit), CART_OK);
  ck_assert_str_eq(name, "tumour");
  ck_assert_str_eq(unit, "cells");
  const double bad_times[] = {0, 5, 1};
  ck_assert_int_eq(cart_trial_set_times(trial, bad_times, 3), CART_ETIMES);
  ck_assert_int_eq(cart_trial_set_solver(trial, CART_METHOD_BDF, -1, NULL, 100), CART_EINVAL);
  ck_assert_int_eq(cart_trial_set_solver(trial, CART_METHOD_BDF, 1e300, NULL, 100), CART_EINVAL);
  ck_assert_msg(strstr(cart_trial_last_error(trial)->message, "relative tolerance") != NULL, "%s",
                cart_trial_last_error(trial)->message);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, 0), CART_EINVAL);
  cart_trial_block *block = cart_trial_block_new(trial, 4, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, 5, 1, block), CART_EINVAL); /* > capacity */
  ck_assert_int_eq(test_run_block(trial, 8, 4, 1, block), CART_EINVAL); /* > N */
  cart_trial_clear_outputs(trial);
  ck_assert_int_eq(test_run_block(trial, 0, 4, 1, block), CART_EINVAL); /* other shape */
  cart_trial_block_free(block);
  cart_endpoint_settings *s = cart_trial_edit_endpoint_settings(trial);
  s->crs_g[1] = 10; /* below crs_g1 */
  ck_assert_int_eq(cart_trial_prepare(trial), CART_ERANGE);
  cart_endpoint_settings_default(s);
  ck_assert_int_eq(cart_params_set(cart_population_typical(cart_trial_edit_population(trial)), "p_amp", 12000),
                   CART_OK);
  ck_assert_int_eq(cart_trial_prepare(trial), CART_ERULE);
  cart_trial_free(trial);
  cart_trial_free(NULL);
  cart_endpoint_info info;
  ck_assert_int_eq(cart_endpoint_get_info(CART_N_ENDPOINTS, &info), CART_EINVAL);
  ck_assert_int_eq(cart_endpoint_get_info(CART_ENDPOINT_AUC28, &info), CART_OK);
  ck_assert_str_eq(info.name, "auc28");
  ck_assert_str_eq(info.unit, "cells/uL*day");
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("trial");
  TCase *tc = tcase_create("trial");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_threads_bit_identical);
  tcase_add_test(tc, test_lanes_bit_identical);
  tcase_add_test(tc, test_every_model_lanes_in_trials);
  tcase_add_test(tc, test_patient_independent_of_n);
  tcase_add_test(tc, test_endpoints_against_fine_grid);
  tcase_add_test(tc, test_endpoints_against_reference);
  tcase_add_test(tc, test_failed_patients);
  tcase_add_test(tc, test_toci_rule_delay_short_excursion);
  tcase_add_test(tc, test_summary);
  tcase_add_test(tc, test_plan_changed_after_run);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_workspace_shared_plan);
  tcase_add_test(tc, test_workspace_errors);
  tcase_add_test(tc, test_sizes_overflow);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
