/* check_population.c: virtual patients (MODEL.md section 5): per-patient streams, log-normal and
 * logit-normal draws against their distributions, correlations, bounds and redraws. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static cart_population *make_population(void)
{
  cart_params *typical = test_params("cart", NULL, 0);
  cart_population *population = cart_population_new(typical, NULL);
  cart_params_free(typical);
  ck_assert_ptr_nonnull(population);
  return population;
}

static double get(const cart_params *params, const char *name)
{
  double v;
  ck_assert_int_eq(cart_params_get(params, name, &v), CART_OK);
  return v;
}

/* Patient i's draws depend only on (seed, i), not on which patients were drawn before. */
START_TEST(test_streams_reproducible)
{
  cart_population *population = make_population();
  ck_assert_int_eq(cart_population_set_cv(population, "rho", 0.3), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "T0", 0.5), CART_OK);
  ck_assert_int_eq(cart_population_prepare(population), CART_OK);
  cart_params *a = test_params("cart", NULL, 0), *b = test_params("cart", NULL, 0);
  ck_assert_int_eq(cart_population_draw(population, 42, 7, a, NULL), CART_OK);
  for (uint64_t i = 0; i < 7; i++) {
    ck_assert_int_eq(cart_population_draw(population, 42, i, b, NULL), CART_OK);
  }
  ck_assert_int_eq(cart_population_draw(population, 42, 7, b, NULL), CART_OK);
  ck_assert_double_eq(get(a, "rho"), get(b, "rho"));
  ck_assert_double_eq(get(a, "T0"), get(b, "T0"));
  ck_assert_double_eq(get(a, "gamma"), 1.0); /* not varied: the typical value */
  /* other patients, other seeds: other values */
  ck_assert_int_eq(cart_population_draw(population, 42, 8, b, NULL), CART_OK);
  ck_assert_double_ne(get(a, "rho"), get(b, "rho"));
  ck_assert_int_eq(cart_population_draw(population, 43, 7, b, NULL), CART_OK);
  ck_assert_double_ne(get(a, "rho"), get(b, "rho"));
  cart_params_free(a);
  cart_params_free(b);
  cart_population_free(population);
}
END_TEST

/* N = 1e5 log-normal draws: mean and variance of log(theta / theta_typical) against 0 and
 * omega^2 = ln(1 + cv^2), within 5 standard errors; logit-normal the same on the logit scale;
 * the correlation of two etas recovered within 5 standard errors. */
START_TEST(test_distributions)
{
  const size_t n = 100000;
  const double cv_rho = 0.4, cv_gamma = 0.25, cv_f_mem = 0.5, r = 0.6;
  cart_population *population = make_population();
  ck_assert_int_eq(cart_population_set_cv(population, "rho", cv_rho), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "gamma", cv_gamma), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "f_mem", cv_f_mem), CART_OK);
  ck_assert_int_eq(cart_population_set_correlation(population, "rho", "gamma", r), CART_OK);
  ck_assert_int_eq(cart_population_prepare(population), CART_OK);
  cart_params *p = test_params("cart", NULL, 0);
  double s1[3] = {0}, s2[3] = {0}, s12 = 0;
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(cart_population_draw(population, 2026, i, p, NULL), CART_OK);
    const double f = get(p, "f_mem");
    const double eta[3] = {log(get(p, "rho") / 0.6), log(get(p, "gamma") / 1.0),
                           log(f / (1 - f)) - log(0.2 / 0.8)};
    for (int j = 0; j < 3; j++) {
      s1[j] += eta[j];
      s2[j] += eta[j] * eta[j];
    }
    s12 += eta[0] * eta[1];
  }
  const double cvs[3] = {cv_rho, cv_gamma, cv_f_mem};
  double var[3];
  for (int j = 0; j < 3; j++) {
    const double omega2 = log(1 + cvs[j] * cvs[j]);
    const double mean = s1[j] / n;
    var[j] = s2[j] / n - mean * mean;
    ck_assert_msg(fabs(mean) < 5 * sqrt(omega2 / n), "eta %d mean %g", j, mean);
    ck_assert_msg(fabs(var[j] - omega2) < 5 * omega2 * sqrt(2.0 / (n - 1)), "eta %d variance %g vs %g",
                  j, var[j], omega2);
  }
  const double corr = (s12 / n - (s1[0] / n) * (s1[1] / n)) / sqrt(var[0] * var[1]);
  ck_assert_msg(fabs(corr - r) < 5 * (1 - r * r) / sqrt(n), "correlation %g vs %g", corr, r);
  cart_params_free(p);
  cart_population_free(population);
}
END_TEST

/* Draws outside the bounds are redrawn: rho (bounds [0, 10]) with typical 6 and cv 2 would leave
 * them often; every patient still lies inside. A model rule (cart's IL-6 loop gain) too. */
START_TEST(test_bounds_and_rules_respected)
{
  cart_population *population = make_population();
  ck_assert_int_eq(cart_params_set(cart_population_typical(population), "rho", 6), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "rho", 2), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "p_amp", 1), CART_OK); /* gain rule at 9000 */
  ck_assert_int_eq(cart_population_prepare(population), CART_OK);
  cart_params *p = test_params("cart", NULL, 0);
  int above_typical = 0;
  for (size_t i = 0; i < 20000; i++) {
    ck_assert_int_eq(cart_population_draw(population, 5, i, p, NULL), CART_OK);
    ck_assert_double_le(get(p, "rho"), 10);
    ck_assert_double_ge(get(p, "rho"), 0);
    ck_assert_int_eq(cart_params_check(p, NULL), CART_OK);
    above_typical += get(p, "p_amp") > 8000;
  }
  ck_assert_int_gt(above_typical, 100); /* p_amp did vary upwards, up to the rule's limit */
  cart_params_free(p);
  cart_population_free(population);
}
END_TEST

/* Fourteen parameters at their upper bound's edge: a draw lands inside all bounds with
 * probability about 2^-14, so 100 draws fail: CART_ERANGE, and the parameters stay typical. */
START_TEST(test_redraw_limit)
{
  static const char *const names[] = {"rho", "rho_ld", "omega", "delta_E", "delta_X",
                                      "gamma", "r_tum", "r_neg", "T0", "B0", "dose",
                                      "k_rec", "p_kill", "p_act"};
  static const double upper[] = {10, 10, 10, 10, 10, 100, 2, 2, 1e13, 1e13, 1e11, 1e3, 1e4, 1e5};
  cart_population *population = make_population();
  for (size_t i = 0; i < 14; i++) {
    ck_assert_int_eq(cart_params_set(cart_population_typical(population), names[i], 0.999 * upper[i]),
                     CART_OK);
    ck_assert_int_eq(cart_population_set_cv(population, names[i], 5), CART_OK);
  }
  ck_assert_int_eq(cart_population_prepare(population), CART_OK);
  cart_params *p = test_params("cart", NULL, 0);
  cart_error err;
  int failures = 0;
  for (uint64_t i = 0; i < 20; i++) {
    const int status = cart_population_draw(population, 1, i, p, &err);
    if (status != CART_OK) {
      ck_assert_int_eq(status, CART_ERANGE);
      ck_assert_ptr_nonnull(strstr(err.message, "100 draws"));
      failures++;
    }
  }
  ck_assert_int_ge(failures, 15);
  cart_params_free(p);
  cart_population_free(population);
}
END_TEST

START_TEST(test_errors)
{
  cart_population *population = make_population();
  ck_assert_int_eq(cart_population_set_cv(population, "nope", 0.3), CART_EUNKNOWN_PARAM);
  ck_assert_int_eq(cart_population_set_cv(population, "rho", -0.1), CART_ERANGE);
  ck_assert_int_eq(cart_population_set_cv(population, "rho", NAN), CART_ERANGE);
  /* omega^2 = ln(1 + cv^2) overflows: refused, naming the parameter, not drawn as infinity */
  ck_assert_int_eq(cart_population_set_cv(population, "rho", 1e200), CART_ERANGE);
  ck_assert_msg(strstr(cart_population_last_error(population)->message, "'rho'") != NULL &&
                    strstr(cart_population_last_error(population)->message, "too large") != NULL,
                "%s", cart_population_last_error(population)->message);
  ck_assert_int_eq(cart_population_set_cv(population, "rho", 1.4e154), CART_ERANGE);
  ck_assert_uint_eq(cart_population_n_varied(population), 0);
  ck_assert_int_eq(cart_population_set_cv(population, "rho", 1e150), CART_OK); /* finite omega */
  ck_assert_int_eq(cart_population_set_cv(population, "rho", 0), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "Vmax", 0.3), CART_OK);
  ck_assert_int_eq(cart_params_set(cart_population_typical(population), "Vmax", 0), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "Vmax", 0.3), CART_ERANGE); /* typical 0 */
  ck_assert_int_eq(cart_population_set_cv(population, "Vmax", 0), CART_OK);      /* removed */
  ck_assert_int_eq(cart_population_set_correlation(population, "rho", "gamma", 0.5), CART_EINVAL);
  ck_assert_int_eq(cart_population_set_cv(population, "rho", 0.3), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "gamma", 0.3), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "T0", 0.3), CART_OK);
  ck_assert_int_eq(cart_population_set_correlation(population, "rho", "rho", 0.5), CART_EINVAL);
  ck_assert_int_eq(cart_population_set_correlation(population, "rho", "gamma", 1.0), CART_ERANGE);
  ck_assert_uint_eq(cart_population_n_varied(population), 3);
  /* drawing before prepare */
  cart_params *p = test_params("cart", NULL, 0);
  ck_assert_int_eq(cart_population_draw(population, 1, 0, p, NULL), CART_EINVAL);
  /* not positive definite: r(rho,gamma) = r(rho,T0) = 0.9, r(gamma,T0) = -0.9 */
  ck_assert_int_eq(cart_population_set_correlation(population, "rho", "gamma", 0.9), CART_OK);
  ck_assert_int_eq(cart_population_set_correlation(population, "rho", "T0", 0.9), CART_OK);
  ck_assert_int_eq(cart_population_set_correlation(population, "gamma", "T0", -0.9), CART_OK);
  ck_assert_int_eq(cart_population_prepare(population), CART_ERANGE);
  const char *message = cart_population_last_error(population)->message;
  ck_assert_msg(strstr(message, "rho, gamma, T0") && strstr(message, "positive definite"), "%s",
                message);
  /* typical values that break a rule */
  ck_assert_int_eq(cart_population_set_correlation(population, "gamma", "T0", 0.5), CART_OK);
  ck_assert_int_eq(cart_population_set_correlation(population, "rho", "T0", 0.3), CART_OK);
  ck_assert_int_eq(cart_population_prepare(population), CART_OK);
  ck_assert_int_eq(cart_params_set(cart_population_typical(population), "p_amp", 12000), CART_OK);
  ck_assert_int_eq(cart_population_prepare(population), CART_ERULE);
  /* a set of another model */
  cart_params *stein = test_params("stein", NULL, 0);
  ck_assert_int_eq(cart_population_draw(population, 1, 0, stein, NULL), CART_EINVAL);
  cart_params_free(stein);
  cart_params_free(p);
  cart_population_free(population);
  cart_population_free(NULL);
}
END_TEST

/* A patients table: patient i < rows takes row i; a patient past its end a row drawn from its
 * own stream, uniformly (chi-square over 6000 patients), the same whatever else was drawn; the
 * parameters the table leaves out are drawn exactly as without a table. */
START_TEST(test_patients_table)
{
  static const char *const names[] = {"WT", "T0"};
  static const double values[] = {62, 5e10, 85, 2e11, 71, 1e11};
  cart_population *with = make_population(), *without = make_population();
  for (int k = 0; k < 2; k++) {
    cart_population *p = k ? without : with;
    ck_assert_int_eq(cart_population_set_cv(p, "rho", 0.3), CART_OK);
    ck_assert_int_eq(cart_population_set_cv(p, "gamma", 0.5), CART_OK);
    ck_assert_int_eq(cart_population_set_correlation(p, "rho", "gamma", 0.4), CART_OK);
  }
  ck_assert_int_eq(cart_population_set_patients(with, names, 2, values, 3), CART_OK);
  ck_assert_int_eq(cart_population_prepare(with), CART_OK);
  ck_assert_int_eq(cart_population_prepare(without), CART_OK);
  ck_assert_uint_eq(cart_population_n_table_rows(with), 3);
  ck_assert_int_eq((int)cart_population_table_row(without, 9, 0), -1);
  cart_params *a = test_params("cart", NULL, 0), *b = test_params("cart", NULL, 0);
  enum { N = 6000 };
  size_t count[3] = {0, 0, 0};
  for (uint64_t i = 0; i < N; i++) {
    ck_assert_int_eq(cart_population_draw(with, 9, i, a, NULL), CART_OK);
    ck_assert_int_eq(cart_population_draw(without, 9, i, b, NULL), CART_OK);
    const long long row = cart_population_table_row(with, 9, i);
    ck_assert(row >= 0 && row < 3);
    if (i < 3) {
      ck_assert_int_eq((int)row, (int)i);
    } else {
      count[row]++;
      ck_assert_int_eq((int)cart_population_table_row(with, 9, i), (int)row); /* seeded */
    }
    ck_assert_double_eq(get(a, "WT"), values[2 * row]);
    ck_assert_double_eq(get(a, "T0"), values[2 * row + 1]);
    ck_assert_double_eq(get(a, "rho"), get(b, "rho"));
    ck_assert_double_eq(get(a, "gamma"), get(b, "gamma"));
  }
  /* uniform over 3 rows: chi-square with 2 degrees of freedom below 13.8 (p = 0.001) */
  double chi2 = 0;
  for (int r = 0; r < 3; r++) {
    const double expected = (N - 3) / 3.0;
    chi2 += (count[r] - expected) * (count[r] - expected) / expected;
  }
  ck_assert_double_lt(chi2, 13.8);
  /* another seed resamples differently */
  int differ = 0;
  for (uint64_t i = 3; i < 40; i++) {
    differ |= cart_population_table_row(with, 9, i) != cart_population_table_row(with, 10, i);
  }
  ck_assert(differ);
  cart_params_free(a);
  cart_params_free(b);
  cart_population_free(with);
  cart_population_free(without);
}
END_TEST

START_TEST(test_patients_table_errors)
{
  cart_population *p = make_population();
  static const char *const unknown[] = {"WT", "weight"};
  static const double two[] = {70, 70};
  ck_assert_int_eq(cart_population_prepare(p), CART_OK);
  ck_assert_int_eq(cart_population_set_patients(p, unknown, 2, two, 1), CART_EUNKNOWN_PARAM);
  ck_assert_ptr_nonnull(strstr(cart_population_last_error(p)->message, "'weight'"));
  /* a refused table leaves the population as it was, prepared included */
  cart_params *drawn = test_params("cart", NULL, 0);
  ck_assert_int_eq(cart_population_draw(p, 1, 0, drawn, NULL), CART_OK);
  cart_params_free(drawn);
  static const char *const twice[] = {"WT", "WT"};
  ck_assert_int_eq(cart_population_set_patients(p, twice, 2, two, 1), CART_EINVAL);
  static const char *const wt[] = {"WT"};
  static const double negative[] = {70, -5};
  ck_assert_int_eq(cart_population_set_patients(p, wt, 1, negative, 2), CART_ERANGE);
  ck_assert_ptr_nonnull(strstr(cart_population_last_error(p)->message, "row 2"));
  ck_assert_uint_eq(cart_population_n_table_rows(p), 0); /* unchanged */
  /* a column that also has a cv: prepare says which */
  ck_assert_int_eq(cart_population_set_patients(p, wt, 1, two, 2), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(p, "WT", 0.2), CART_OK);
  ck_assert_int_eq(cart_population_prepare(p), CART_EINVAL);
  ck_assert_ptr_nonnull(strstr(cart_population_last_error(p)->message, "'WT'"));
  ck_assert_int_eq(cart_population_set_cv(p, "WT", 0), CART_OK);
  ck_assert_int_eq(cart_population_prepare(p), CART_OK);
  ck_assert_int_eq(cart_population_set_patients(p, NULL, 0, NULL, 0), CART_OK); /* removed */
  ck_assert_uint_eq(cart_population_n_table_rows(p), 0);
  cart_population_free(p);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("population");
  TCase *tc = tcase_create("population");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_streams_reproducible);
  tcase_add_test(tc, test_distributions);
  tcase_add_test(tc, test_bounds_and_rules_respected);
  tcase_add_test(tc, test_redraw_limit);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_patients_table);
  tcase_add_test(tc, test_patients_table_errors);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
