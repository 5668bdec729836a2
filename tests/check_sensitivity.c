/* check_sensitivity.c: global sensitivity analysis (cart_sensitivity.h). Sobol indices of the
 * Ishigami function and of Sobol's g-function against their closed forms (within the bootstrap
 * intervals and a stated tolerance), Morris elementary effects of a function with a known
 * gradient and an inert parameter, the same indices for 1 and 2 threads, the designs' shape and
 * ranges, a trial's statistic (an inert parameter gets total index 0, bit-identical for 1 and 2
 * threads, the trial restored), and the errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <unistd.h>

#include "test_util.h"

/* ---- test functions with known indices ---- */

/* Ishigami T, Homma T (1990): f = sin x1 + a sin^2 x2 + b x3^4 sin x1, x uniform in [-pi, pi]^3.
 * a = 7, b = 0.1 as in Saltelli et al. 2010 and SALib. */
#define PI 3.14159265358979323846
#define ISHIGAMI_A 7.0
#define ISHIGAMI_B 0.1

static int ishigami(const double *x, size_t n, double *y, void *data)
{
  (void)n;
  (void)data;
  const double s2 = sin(x[1]);
  *y = sin(x[0]) + ISHIGAMI_A * s2 * s2 + ISHIGAMI_B * pow(x[2], 4) * sin(x[0]);
  return 0;
}

/* The closed forms (Sobol IM, Levitan YL 1999; Saltelli et al. 2008, Global Sensitivity
 * Analysis: The Primer, 4.6): partial variances V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8,
 * V13 = b^2 pi^8 (1/18 - 1/50), V3 = 0; V = V1 + V2 + V13. */
static void ishigami_indices(double first[3], double total[3])
{
  const double a = ISHIGAMI_A, b = ISHIGAMI_B, pi4 = pow(PI, 4), pi8 = pi4 * pi4;
  const double v1 = 0.5 * pow(1 + b * pi4 / 5, 2), v2 = a * a / 8;
  const double v13 = b * b * pi8 * (1.0 / 18 - 1.0 / 50);
  const double v = v1 + v2 + v13;
  first[0] = v1 / v;
  first[1] = v2 / v;
  first[2] = 0;
  total[0] = (v1 + v13) / v;
  total[1] = v2 / v;
  total[2] = v13 / v;
}

/* Sobol's g-function: prod (|4 x_i - 2| + a_i) / (1 + a_i), x uniform in [0, 1]^p; V_i =
 * 1 / (3 (1 + a_i)^2), V = prod (1 + V_i) - 1 (Saltelli et al. 2010, section 4). */
static const double g_a[] = {0, 1, 4.5, 9, 99, 99};
#define G_P (sizeof g_a / sizeof g_a[0])

static int g_function(const double *x, size_t n, double *y, void *data)
{
  (void)data;
  double g = 1;
  for (size_t i = 0; i < n; i++) {
    g *= (fabs(4 * x[i] - 2) + g_a[i]) / (1 + g_a[i]);
  }
  *y = g;
  return 0;
}

static void g_indices(double *first, double *total)
{
  double vi[G_P], product = 1;
  for (size_t i = 0; i < G_P; i++) {
    vi[i] = 1 / (3 * (1 + g_a[i]) * (1 + g_a[i]));
    product *= 1 + vi[i];
  }
  const double v = product - 1;
  for (size_t i = 0; i < G_P; i++) {
    first[i] = vi[i] / v;
    total[i] = vi[i] * product / (1 + vi[i]) / v;
  }
}

static cart_sensitivity *uniform_design(size_t p, double lower, double upper,
                                        cart_sensitivity_method method, size_t n)
{
  static const char *const names[] = {"x1", "x2", "x3", "x4", "x5", "x6"};
  cart_sensitivity_param params[6];
  for (size_t k = 0; k < p; k++) {
    memset(&params[k], 0, sizeof params[k]);
    params[k].name = names[k];
    params[k].distribution = CART_SENSITIVITY_UNIFORM;
    params[k].lower = lower;
    params[k].upper = upper;
  }
  cart_sensitivity_settings settings;
  cart_sensitivity_settings_default(&settings);
  settings.method = method;
  settings.n = n;
  cart_error err;
  cart_sensitivity *s = cart_sensitivity_new(params, p, &settings, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  return s;
}

/* ---- Sobol ---- */

/* Tolerance of the point estimates at N = 4096 (the estimators' error is a few 1e-3 there). */
#define SOBOL_TOLERANCE 0.02

/* S_i and ST_i of parameter i: within SOBOL_TOLERANCE of the exact values and inside their
 * bootstrap intervals. */
static void check_sobol_index(const cart_sensitivity *s, size_t i, double first, double total)
{
  cart_sensitivity_index x;
  ck_assert_int_eq(cart_sensitivity_get_index(s, i, &x), CART_OK);
  ck_assert_double_eq_tol(x.first, first, SOBOL_TOLERANCE);
  ck_assert_double_eq_tol(x.total, total, SOBOL_TOLERANCE);
  ck_assert_msg(x.first_lower <= first && first <= x.first_upper, "S1 of %s: %g outside [%g, %g]",
                x.name, first, x.first_lower, x.first_upper);
  ck_assert_msg(x.total_lower <= total && total <= x.total_upper, "ST of %s: %g outside [%g, %g]",
                x.name, total, x.total_lower, x.total_upper);
  ck_assert(isnan(x.mu_star));
}

START_TEST(test_ishigami)
{
  cart_sensitivity *s = uniform_design(3, -PI, PI, CART_SENSITIVITY_SOBOL, 4096);
  ck_assert_uint_eq(cart_sensitivity_n_rows(s), 4096 * 5);
  ck_assert_int_eq(cart_sensitivity_evaluate(s, ishigami, NULL, 2), CART_OK);
  double first[3], total[3];
  ishigami_indices(first, total);
  /* the published decimals, as a check of the closed forms */
  ck_assert_double_eq_tol(first[0], 0.3139, 1e-4);
  ck_assert_double_eq_tol(first[1], 0.4424, 1e-4);
  ck_assert_double_eq_tol(total[0], 0.5576, 1e-4);
  ck_assert_double_eq_tol(total[2], 0.2437, 1e-4);
  cart_sensitivity_summary summary;
  cart_sensitivity_get_summary(s, &summary);
  ck_assert_int_eq(summary.analysed, 1);
  ck_assert_uint_eq(summary.n_valid, 4096);
  for (size_t i = 0; i < 3; i++) {
    cart_sensitivity_index x;
    ck_assert_int_eq(cart_sensitivity_get_index(s, i, &x), CART_OK);
    fprintf(stderr,
            "ishigami N=4096 %s: S1 %.4f [%.4f, %.4f] (exact %.4f), ST %.4f [%.4f, %.4f] "
            "(exact %.4f)\n",
            x.name, x.first, x.first_lower, x.first_upper, first[i], x.total, x.total_lower,
            x.total_upper, total[i]);
    check_sobol_index(s, i, first[i], total[i]);
  }
  cart_sensitivity_free(s);
}
END_TEST

START_TEST(test_g_function)
{
  cart_sensitivity *s = uniform_design(G_P, 0, 1, CART_SENSITIVITY_SOBOL, 4096);
  ck_assert_int_eq(cart_sensitivity_evaluate(s, g_function, NULL, 1), CART_OK);
  double first[G_P], total[G_P];
  g_indices(first, total);
  for (size_t i = 0; i < G_P; i++) {
    check_sobol_index(s, i, first[i], total[i]);
  }
  cart_sensitivity_free(s);
}
END_TEST

/* The design: Saltelli's layout (A, B, then AB_i = A with column i from B), the ranges. */
START_TEST(test_sobol_design)
{
  const size_t n = 64, p = 3;
  cart_sensitivity *s = uniform_design(p, 2, 6, CART_SENSITIVITY_SOBOL, n);
  const double *u = cart_sensitivity_design_unit(s), *x = cart_sensitivity_design(s);
  ck_assert_uint_eq(cart_sensitivity_n_rows(s), n * (p + 2));
  for (size_t j = 0; j < n; j++) {
    for (size_t i = 0; i < p; i++) {
      for (size_t k = 0; k < p; k++) {
        const double expected = k == i ? u[(n + j) * p + k] : u[j * p + k];
        ck_assert(u[((2 + i) * n + j) * p + k] == expected);
      }
    }
  }
  for (size_t r = 0; r < n * (p + 2) * p; r++) {
    ck_assert(u[r] >= 0 && u[r] < 1);
    ck_assert(x[r] == 2 + 4 * u[r]);
  }
  ck_assert(isnan(cart_sensitivity_outputs(s)[0]));
  cart_sensitivity_free(s);
}
END_TEST

/* Every base row of the design is Sobol's: the 1-D projections of A's first 2^k rows are
 * stratified (one point in each interval of width 2^-k). */
START_TEST(test_sobol_stratified)
{
  const size_t n = 256, p = 2;
  cart_sensitivity *s = uniform_design(p, 0, 1, CART_SENSITIVITY_SOBOL, n);
  const double *u = cart_sensitivity_design_unit(s);
  for (size_t k = 0; k < p; k++) {
    int seen[256] = {0};
    for (size_t j = 0; j < n; j++) {
      seen[(size_t)(u[j * p + k] * (double)n)]++;
    }
    for (size_t b = 0; b < n; b++) {
      ck_assert_int_eq(seen[b], 1);
    }
  }
  cart_sensitivity_free(s);
}
END_TEST

/* ---- Morris ---- */

/* y = 3 x1 + x2^2 + 0 x3 over x in [0, 2]^3: x1's effect is 3 in parameter units, 6 in the unit
 * cube's; x3 is inert. */
static int linear_inert(const double *x, size_t n, double *y, void *data)
{
  (void)n;
  (void)data;
  *y = 3 * x[0] + x[1] * x[1];
  return 0;
}

START_TEST(test_morris)
{
  cart_sensitivity *s = uniform_design(3, 0, 2, CART_SENSITIVITY_MORRIS, 30);
  ck_assert_uint_eq(cart_sensitivity_n_rows(s), 30 * 4);
  /* each trajectory moves one parameter at a time by delta = 4 / (2 * 3) on the grid */
  const double *u = cart_sensitivity_design_unit(s);
  for (size_t t = 0; t < 30; t++) {
    int moved[3] = {0, 0, 0};
    for (size_t k = 0; k < 3; k++) {
      const double *a = u + (t * 4 + k) * 3, *b = a + 3;
      int changes = 0;
      for (size_t i = 0; i < 3; i++) {
        if (a[i] != b[i]) {
          changes++;
          moved[i]++;
          ck_assert_double_eq_tol(fabs(b[i] - a[i]), 2.0 / 3.0, 1e-15);
        }
        ck_assert(a[i] >= 0 && a[i] <= 1);
      }
      ck_assert_int_eq(changes, 1);
    }
    ck_assert(moved[0] == 1 && moved[1] == 1 && moved[2] == 1);
  }
  ck_assert_int_eq(cart_sensitivity_evaluate(s, linear_inert, NULL, 2), CART_OK);
  cart_sensitivity_index x;
  cart_sensitivity_get_index(s, 0, &x);
  ck_assert_double_eq_tol(x.mu, 6, 1e-12);
  ck_assert_double_eq_tol(x.mu_star, 6, 1e-12);
  ck_assert_double_eq_tol(x.sigma, 0, 1e-12);
  cart_sensitivity_get_index(s, 1, &x);
  ck_assert(x.mu_star > 1);
  ck_assert(x.sigma > 0.1); /* x2's effect depends on where it is taken */
  ck_assert(x.mu_star_lower <= x.mu_star && x.mu_star <= x.mu_star_upper);
  cart_sensitivity_get_index(s, 2, &x);
  ck_assert(x.mu_star == 0 && x.sigma == 0);
  ck_assert(isnan(x.first) && isnan(x.total));
  cart_sensitivity_free(s);
}
END_TEST

/* ---- determinism, distributions, NaN rows, errors ---- */

START_TEST(test_threads_identical)
{
  for (int method = 0; method < 2; method++) {
    cart_sensitivity *one = uniform_design(3, -PI, PI, (cart_sensitivity_method)method, 256);
    cart_sensitivity *two = uniform_design(3, -PI, PI, (cart_sensitivity_method)method, 256);
    ck_assert_int_eq(cart_sensitivity_evaluate(one, ishigami, NULL, 1), CART_OK);
    ck_assert_int_eq(cart_sensitivity_evaluate(two, ishigami, NULL, 2), CART_OK);
    ck_assert(memcmp(cart_sensitivity_design(one), cart_sensitivity_design(two),
                     cart_sensitivity_n_rows(one) * 3 * sizeof(double)) == 0);
    for (size_t i = 0; i < 3; i++) {
      cart_sensitivity_index a, b;
      cart_sensitivity_get_index(one, i, &a);
      cart_sensitivity_get_index(two, i, &b);
      a.name = b.name = NULL;
      ck_assert(memcmp(&a, &b, sizeof a) == 0);
    }
    cart_sensitivity_free(one);
    cart_sensitivity_free(two);
  }
}
END_TEST

START_TEST(test_distributions)
{
  cart_sensitivity_param params[3];
  memset(params, 0, sizeof params);
  params[0] = (cart_sensitivity_param){"a", CART_SENSITIVITY_LOG_UNIFORM, 1e-3, 1e1, 0, 0};
  params[1] = (cart_sensitivity_param){"b", CART_SENSITIVITY_LOG_NORMAL, 0, INFINITY, 2, 0.5};
  params[2] = (cart_sensitivity_param){"c", CART_SENSITIVITY_LOGIT_NORMAL, 0, 1, 0.2, 0.3};
  cart_sensitivity_settings settings;
  cart_sensitivity_settings_default(&settings);
  settings.n = 4096;
  cart_error err;
  cart_sensitivity *s = cart_sensitivity_new(params, 3, &settings, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  const double *u = cart_sensitivity_design_unit(s), *x = cart_sensitivity_design(s);
  const double omega = sqrt(log1p(0.25));
  double log_sum = 0;
  size_t below = 0;
  for (size_t j = 0; j < 4096; j++) {
    const double *uj = u + j * 3, *xj = x + j * 3;
    ck_assert_double_eq_tol(log10(xj[0]), -3 + 4 * uj[0], 1e-12);
    log_sum += log(xj[1] / 2);
    below += xj[2] < 0.2;
    ck_assert(xj[1] > 0 && xj[2] > 0 && xj[2] < 1);
  }
  /* log-normal: log(x / typical) has mean 0 and sd omega; logit-normal: half below typical */
  ck_assert_double_eq_tol(log_sum / 4096, 0, 0.01 * omega);
  ck_assert_uint_eq(below, 2048);
  cart_sensitivity_free(s);
}
END_TEST

static int nan_some(const double *x, size_t n, double *y, void *data)
{
  ishigami(x, n, y, data);
  if (x[0] > 3.0) {
    *y = NAN;
  }
  return 0;
}

static int fails(const double *x, size_t n, double *y, void *data)
{
  (void)n;
  (void)data;
  *y = 0;
  return x[0] > 0 ? -1 : 0;
}

START_TEST(test_nan_rows_and_failure)
{
  cart_sensitivity *s = uniform_design(3, -PI, PI, CART_SENSITIVITY_SOBOL, 256);
  ck_assert_int_eq(cart_sensitivity_evaluate(s, nan_some, NULL, 2), CART_OK);
  cart_sensitivity_summary summary;
  cart_sensitivity_get_summary(s, &summary);
  ck_assert(summary.n_valid > 200 && summary.n_valid < 256);
  cart_sensitivity_index x;
  cart_sensitivity_get_index(s, 0, &x);
  ck_assert(isfinite(x.first) && isfinite(x.total));
  ck_assert_int_eq(cart_sensitivity_evaluate(s, fails, NULL, 2), CART_EMODEL);
  ck_assert(strstr(cart_sensitivity_last_error(s)->message, "design row") != NULL);
  cart_sensitivity_get_index(s, 0, &x);
  ck_assert(isnan(x.first));
  /* outputs from elsewhere */
  const size_t rows = cart_sensitivity_n_rows(s);
  double *y = malloc(rows * sizeof *y);
  for (size_t r = 0; r < rows; r++) {
    ishigami(cart_sensitivity_design(s) + r * 3, 3, &y[r], NULL);
  }
  ck_assert_int_eq(cart_sensitivity_set_outputs(s, y), CART_OK);
  cart_sensitivity *t = uniform_design(3, -PI, PI, CART_SENSITIVITY_SOBOL, 256);
  ck_assert_int_eq(cart_sensitivity_evaluate(t, ishigami, NULL, 1), CART_OK);
  cart_sensitivity_index a;
  cart_sensitivity_get_index(s, 1, &x);
  cart_sensitivity_get_index(t, 1, &a);
  ck_assert(x.first == a.first && x.total_upper == a.total_upper);
  free(y);
  cart_sensitivity_free(s);
  cart_sensitivity_free(t);
}
END_TEST

static void expect_new_error(const cart_sensitivity_param *params, size_t p,
                             const cart_sensitivity_settings *settings, int code,
                             const char *wanted)
{
  cart_error err;
  cart_sensitivity *s = cart_sensitivity_new(params, p, settings, &err);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err.code, code);
  ck_assert_msg(strstr(err.message, wanted) != NULL, "'%s' lacks '%s'", err.message, wanted);
}

START_TEST(test_errors)
{
  cart_sensitivity_param params[21];
  char names[21][8];
  for (size_t k = 0; k < 21; k++) {
    snprintf(names[k], sizeof names[k], "p%zu", k);
    params[k] = (cart_sensitivity_param){names[k], CART_SENSITIVITY_UNIFORM, 0, 1, 0, 0};
  }
  cart_sensitivity_settings settings;
  cart_sensitivity_settings_default(&settings);
  expect_new_error(params, 21, &settings, CART_ERANGE, "at most 20");
  expect_new_error(params, 0, &settings, CART_EINVAL, "no parameters");
  settings.n = 0;
  expect_new_error(params, 2, &settings, CART_ERANGE, "N must be at least 1");
  cart_sensitivity_settings_default(&settings);
  settings.method = CART_SENSITIVITY_MORRIS;
  settings.levels = 3;
  expect_new_error(params, 2, &settings, CART_ERANGE, "even");
  cart_sensitivity_settings_default(&settings);
  settings.confidence = 1;
  expect_new_error(params, 2, &settings, CART_ERANGE, "confidence");
  cart_sensitivity_settings_default(&settings);
  params[1].lower = 2;
  expect_new_error(params, 2, &settings, CART_ERANGE, "p1: the range 2, 1");
  params[1] = (cart_sensitivity_param){"p0", CART_SENSITIVITY_UNIFORM, 0, 1, 0, 0};
  expect_new_error(params, 2, &settings, CART_EINVAL, "'p0' given twice");
  params[1] = (cart_sensitivity_param){"p1", CART_SENSITIVITY_LOG_UNIFORM, 0, 1, 0, 0};
  expect_new_error(params, 2, &settings, CART_ERANGE, "lower > 0");
  params[1] = (cart_sensitivity_param){"p1", CART_SENSITIVITY_LOG_NORMAL, 0, INFINITY, 1, 0};
  expect_new_error(params, 2, &settings, CART_ERANGE, "cv");
  params[1] = (cart_sensitivity_param){"p1", CART_SENSITIVITY_LOGIT_NORMAL, 0, 1, 1.5, 0.3};
  expect_new_error(params, 2, &settings, CART_ERANGE, "logit-normal");
}
END_TEST


/* The file: design, outputs and indices read back as written; an existing file needs force. */
START_TEST(test_write_file)
{
  cart_sensitivity *s = uniform_design(3, -PI, PI, CART_SENSITIVITY_SOBOL, 64);
  ck_assert_int_eq(cart_sensitivity_evaluate(s, ishigami, NULL, 1), CART_OK);
  char path[] = "/tmp/check_sensitivity_XXXXXX";
  const int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  cart_error err;
  ck_assert_int_eq(cart_sensitivity_write(s, path, 0, &err), CART_EEXIST);
  ck_assert_int_eq(cart_sensitivity_write(s, path, 1, &err), CART_OK);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  ck_assert_int_ge(file, 0);
  const size_t rows = cart_sensitivity_n_rows(s);
  double *values = malloc(rows * 3 * sizeof *values);
  hid_t d = H5Dopen2(file, "design/values", H5P_DEFAULT);
  ck_assert_int_ge(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0);
  H5Dclose(d);
  ck_assert(memcmp(values, cart_sensitivity_design(s), rows * 3 * sizeof *values) == 0);
  double total[3];
  d = H5Dopen2(file, "indices/total", H5P_DEFAULT);
  ck_assert_int_ge(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, total), 0);
  H5Dclose(d);
  for (size_t i = 0; i < 3; i++) {
    cart_sensitivity_index x;
    cart_sensitivity_get_index(s, i, &x);
    ck_assert(total[i] == x.total);
  }
  uint64_t complete = 0;
  hid_t a = H5Aopen(file, "complete", H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_UINT64, &complete);
  H5Aclose(a);
  ck_assert_uint_eq(complete, 1);
  H5Fclose(file);
  free(values);
  remove(path);
  ck_assert_int_eq(cart_sensitivity_write(s, "/nonexistent-dir/x.h5", 0, &err), CART_EIO);
  ck_assert(strstr(err.message, "cannot create output file") != NULL);
  cart_sensitivity_free(s);
}
END_TEST

/* The --param grammar (cart_grammar.h). */
START_TEST(test_range_grammar)
{
  char name[CART_RANGE_NAME_SIZE];
  cart_sensitivity_param q;
  int from_scenario = -1;
  cart_error err;
  ck_assert_int_eq(cart_parse_sensitivity_range(" rho = 0.2 : 1.5 ", name, &q, &from_scenario, &err),
                   CART_OK);
  ck_assert_str_eq(q.name, "rho");
  ck_assert(q.name == name && from_scenario == 0);
  ck_assert_int_eq(q.distribution, CART_SENSITIVITY_UNIFORM);
  ck_assert(q.lower == 0.2 && q.upper == 1.5);
  ck_assert_int_eq(cart_parse_sensitivity_range("KS=1e8:1e10:log", name, &q, &from_scenario, &err),
                   CART_OK);
  ck_assert_int_eq(q.distribution, CART_SENSITIVITY_LOG_UNIFORM);
  ck_assert(q.lower == 1e8 && q.upper == 1e10);
  ck_assert_int_eq(cart_parse_sensitivity_range("gamma=scenario", name, &q, &from_scenario, &err),
                   CART_OK);
  ck_assert_str_eq(name, "gamma");
  ck_assert_int_eq(from_scenario, 1);
  static const struct {
    const char *text, *wanted;
  } bad[] = {{"rho", "expected NAME=LOWER:UPPER"},
             {"=1:2", "expected NAME=LOWER:UPPER"},
             {"rho=1", "rho: expected"},
             {"rho=1:2:3", "rho: expected"},
             {"rho=1:x", "rho: 'x' is not a number"},
             {"rho=1:inf", "rho: 'inf' is not a finite number"},
             {"rho=1:2:lg", "rho: expected NAME=LOWER:UPPER"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_int_eq(cart_parse_sensitivity_range(bad[i].text, name, &q, &from_scenario, &err),
                     CART_EPARSE);
    ck_assert_msg(strstr(err.message, bad[i].wanted) != NULL, "%s: '%s' lacks '%s'", bad[i].text,
                  err.message, bad[i].wanted);
  }
}
END_TEST

/* ---- over a trial ---- */

/* rho drives the response; V_blood only converts cells to cells/uL in the output Cblood, so it
 * changes cmax but no response: its indices for the CR rate are exactly 0. */
static cart_sensitivity *trial_design(size_t n)
{
  const cart_sensitivity_param params[] = {
      {"rho", CART_SENSITIVITY_UNIFORM, 0.2, 1.2, 0, 0},
      {"V_blood", CART_SENSITIVITY_UNIFORM, 3, 7, 0, 0},
  };
  cart_sensitivity_settings settings;
  cart_sensitivity_settings_default(&settings);
  settings.n = n;
  settings.n_bootstrap = 200;
  cart_error err;
  cart_sensitivity *s = cart_sensitivity_new(params, 2, &settings, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  return s;
}

START_TEST(test_trial_inert_and_threads)
{
  cart_trial *trial = test_trial_new(12);
  ck_assert_int_eq(cart_trial_prepare(trial), CART_OK);
  double rho_before;
  cart_params_get(cart_population_typical(cart_trial_edit_population(trial)), "rho", &rho_before);
  cart_sensitivity *one = trial_design(16), *two = trial_design(16);
  ck_assert_int_eq(cart_sensitivity_run_trial(one, trial, "cr", 1, NULL, NULL), CART_OK);
  ck_assert_int_eq(cart_sensitivity_run_trial(two, trial, " cr ", 2, NULL, NULL), CART_OK);
  ck_assert_str_eq(cart_sensitivity_statistic(two), "cr");
  const size_t rows = cart_sensitivity_n_rows(one);
  ck_assert(memcmp(cart_sensitivity_outputs(one), cart_sensitivity_outputs(two),
                   rows * sizeof(double)) == 0);
  cart_sensitivity_index rho, v_blood, rho2;
  cart_sensitivity_get_index(one, 0, &rho);
  cart_sensitivity_get_index(one, 1, &v_blood);
  cart_sensitivity_get_index(two, 0, &rho2);
  ck_assert(rho.total == rho2.total && rho.first == rho2.first &&
            rho.total_upper == rho2.total_upper);
  ck_assert_msg(rho.total > 0.3, "ST(rho) of the CR rate %g", rho.total);
  ck_assert(v_blood.total == 0 && v_blood.first == 0);
  /* the trial is as it was */
  double rho_after;
  cart_params_get(cart_population_typical(cart_trial_edit_population(trial)), "rho", &rho_after);
  ck_assert(rho_after == rho_before);
  /* V_blood does drive cmax: the test can tell an inert parameter from one that is not */
  ck_assert_int_eq(cart_sensitivity_run_trial(one, trial, "median(cmax)", 2, NULL, NULL),
                   CART_OK);
  cart_sensitivity_get_index(one, 1, &v_blood);
  ck_assert_msg(v_blood.total > 0.01, "ST(V_blood) of median(cmax) %g", v_blood.total);
  cart_sensitivity_free(one);
  cart_sensitivity_free(two);
  cart_trial_free(trial);
}
END_TEST

/* One patient at the typical values: the statistic is its endpoint, which V_blood changes. */
START_TEST(test_typical_patient)
{
  cart_trial *trial = test_trial_new(8);
  ck_assert_int_eq(cart_sensitivity_typical_patient(trial), CART_OK);
  ck_assert_uint_eq(cart_trial_n_patients(trial), 1);
  ck_assert_uint_eq(cart_population_n_varied(cart_trial_population(trial)), 0);
  cart_sensitivity *s = trial_design(8);
  ck_assert_int_eq(cart_sensitivity_run_trial(s, trial, "mean(cmax)", 1, NULL, NULL), CART_OK);
  cart_sensitivity_index v_blood;
  cart_sensitivity_get_index(s, 1, &v_blood);
  ck_assert_msg(v_blood.total > 0.01, "ST(V_blood) of one patient's cmax %g", v_blood.total);
  /* cmax is in cells/uL: f_blood (E + M + X) / (V_blood 1e6), so doubling V_blood halves it */
  const double *x = cart_sensitivity_design(s), *y = cart_sensitivity_outputs(s);
  const size_t n = 8; /* rows A_j and AB_2,j differ in V_blood only */
  for (size_t j = 0; j < n; j++) {
    const double ratio = y[(2 + 1) * n + j] / y[j];
    ck_assert_double_eq_tol(ratio, x[j * 2 + 1] / x[((2 + 1) * n + j) * 2 + 1], 1e-12);
  }
  cart_sensitivity_free(s);
  cart_trial_free(trial);
}
END_TEST

/* A statistic of a state at a day (NAME@DAY, cart-targets(5)): WT scales only the tocilizumab
 * doses, and the equations of E, M and X (Cblood) read neither IL-6 nor tocilizumab, so Cblood at
 * day 28 cannot depend on it: the rows that differ in WT alone give the same value (these
 * patients get no tocilizumab, so not even the solver's steps move) and its indices are exactly
 * 0, while rho's are not; the same for one typical patient, and for 1 and 2 threads. */
START_TEST(test_trial_value_at)
{
  const cart_sensitivity_param params[] = {{"rho", CART_SENSITIVITY_UNIFORM, 0.2, 1.2, 0, 0},
                                           {"WT", CART_SENSITIVITY_UNIFORM, 40, 120, 0, 0}};
  cart_sensitivity_settings settings;
  cart_sensitivity_settings_default(&settings);
  settings.n = 8;
  settings.n_bootstrap = 100;
  for (int typical = 0; typical < 2; typical++) {
    cart_trial *trial = test_trial_new(10);
    if (typical) {
      ck_assert_int_eq(cart_sensitivity_typical_patient(trial), CART_OK);
    }
    cart_sensitivity *one = cart_sensitivity_new(params, 2, &settings, NULL);
    cart_sensitivity *two = cart_sensitivity_new(params, 2, &settings, NULL);
    const char *statistic = typical ? "mean(Cblood@28)" : "median( Cblood @ 28 )";
    ck_assert_int_eq(cart_sensitivity_run_trial(one, trial, statistic, 1, NULL, NULL), CART_OK);
    ck_assert_int_eq(cart_sensitivity_run_trial(two, trial, statistic, 2, NULL, NULL), CART_OK);
    ck_assert_str_eq(cart_sensitivity_statistic(one), typical ? "mean(Cblood@28)"
                                                              : "median(Cblood@28)");
    const size_t rows = cart_sensitivity_n_rows(one), n = 8;
    const double *y = cart_sensitivity_outputs(one);
    ck_assert(memcmp(y, cart_sensitivity_outputs(two), rows * sizeof(double)) == 0);
    for (size_t j = 0; j < n; j++) { /* A_j and AB_WT,j differ in WT alone */
      ck_assert(y[j] > 0 && isfinite(y[j]));
      ck_assert(y[(2 + 1) * n + j] == y[j]);
    }
    cart_sensitivity_index rho, wt;
    cart_sensitivity_get_index(one, 0, &rho);
    cart_sensitivity_get_index(one, 1, &wt);
    ck_assert(wt.total == 0 && wt.first == 0);
    ck_assert_msg(rho.total > 0.1, "ST(rho) of %s: %g", statistic, rho.total);
    cart_sensitivity_free(one);
    cart_sensitivity_free(two);
    cart_trial_free(trial);
  }
}
END_TEST

static int stop_at_three(size_t done, size_t total, void *data)
{
  (void)total;
  *(size_t *)data = done;
  return done >= 3;
}

START_TEST(test_trial_errors)
{
  cart_trial *trial = test_trial_new(4);
  cart_sensitivity *s = trial_design(2);
  ck_assert_int_eq(cart_sensitivity_run_trial(s, trial, "crr", 1, NULL, NULL), CART_EPARSE);
  ck_assert_msg(strstr(cart_sensitivity_last_error(s)->message,
                       "statistic: unknown statistic 'crr' (statistics: orr, cr") != NULL,
                "%s", cart_sensitivity_last_error(s)->message);
  static const struct { /* an unknown endpoint; NAME@DAY's unknown name, late day, bad form */
    const char *statistic, *wanted;
    int code;
  } bad[] = {{"median(cmaxx)", "cmaxx", CART_EUNKNOWN_PARAM},
             {"median(Cblod@28)",
              "statistic: median(Cblod@28): model 'cart' has no state or signal 'Cblod' for "
              "Cblod@DAY (its states and signals: E, M, X,",
              CART_EUNKNOWN_PARAM},
             {"median(Cblood@366)", "day 366 is after the trial's horizon 365", CART_ERANGE},
             {"median(Cblood@)", "'Cblood@' is not NAME@DAY", CART_EPARSE}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_int_eq(cart_sensitivity_run_trial(s, trial, bad[i].statistic, 1, NULL, NULL),
                     bad[i].code);
    ck_assert_msg(strstr(cart_sensitivity_last_error(s)->message, bad[i].wanted) != NULL,
                  "%s: '%s'", bad[i].statistic, cart_sensitivity_last_error(s)->message);
  }
  size_t done = 0;
  ck_assert_int_eq(cart_sensitivity_run_trial(s, trial, "cr", 1, stop_at_three, &done),
                   CART_ESTOPPED);
  ck_assert_uint_eq(done, 3);
  cart_sensitivity_free(s);
  const cart_sensitivity_param unknown[] = {{"rhoo", CART_SENSITIVITY_UNIFORM, 0.2, 1, 0, 0}};
  s = cart_sensitivity_new(unknown, 1, NULL, NULL);
  ck_assert_int_eq(cart_sensitivity_run_trial(s, trial, "cr", 1, NULL, NULL), CART_EUNKNOWN_PARAM);
  ck_assert_msg(strstr(cart_sensitivity_last_error(s)->message,
                       "model 'cart' has no parameter 'rhoo' (parameters: dose, f_mem, rho") !=
                    NULL,
                "%s", cart_sensitivity_last_error(s)->message);
  cart_sensitivity_free(s);
  const cart_sensitivity_param outside[] = {{"rho", CART_SENSITIVITY_UNIFORM, 5, 20, 0, 0}};
  s = cart_sensitivity_new(outside, 1, NULL, NULL);
  ck_assert_int_eq(cart_sensitivity_run_trial(s, trial, "cr", 1, NULL, NULL), CART_ERANGE);
  ck_assert(strstr(cart_sensitivity_last_error(s)->message, "bounds [0, 10]") != NULL);
  cart_sensitivity_free(s);
  /* points whose values break cart's IL-6 loop-gain rule are refused, counted and left out */
  const cart_sensitivity_param loop[] = {{"IL6_50", CART_SENSITIVITY_LOG_UNIFORM, 100, 600, 0, 0},
                                         {"rho", CART_SENSITIVITY_UNIFORM, 0.3, 1, 0, 0}};
  cart_sensitivity_settings settings;
  cart_sensitivity_settings_default(&settings);
  settings.n = 8;
  s = cart_sensitivity_new(loop, 2, &settings, NULL);
  ck_assert_int_eq(cart_sensitivity_run_trial(s, trial, "cr", 1, NULL, NULL), CART_OK);
  cart_sensitivity_summary summary;
  cart_sensitivity_get_summary(s, &summary);
  size_t refused = 0;
  for (size_t r = 0; r < cart_sensitivity_n_rows(s); r++) {
    refused += isnan(cart_sensitivity_outputs(s)[r]) && cart_sensitivity_design(s)[2 * r] < 8000.0 / 30;
  }
  ck_assert_uint_gt(summary.n_refused, 0);
  ck_assert_uint_eq(summary.n_refused, refused); /* p_amp / IL6_50 < 30 at h = 2 */
  ck_assert_uint_lt(summary.n_valid, 8);
  ck_assert_msg(strstr(cart_sensitivity_refusal(s), "loop gain") != NULL, "%s",
                cart_sensitivity_refusal(s));
  cart_sensitivity_free(s);
  /* the scenario's distribution of a varied parameter; a parameter that does not vary */
  cart_sensitivity_param q;
  ck_assert_int_eq(cart_sensitivity_scenario_param(trial, "rho", &q, NULL), CART_OK);
  ck_assert_int_eq(q.distribution, CART_SENSITIVITY_LOG_NORMAL);
  ck_assert_double_eq_tol(q.cv, 0.3, 1e-15);
  ck_assert(q.lower == 0 && q.upper == 10);
  cart_error err;
  ck_assert_int_eq(cart_sensitivity_scenario_param(trial, "V_blood", &q, &err), CART_ERANGE);
  ck_assert(strstr(err.message, "does not vary") != NULL);
  cart_trial_free(trial);
}
END_TEST

static Suite *sensitivity_suite(void)
{
  Suite *s = suite_create("sensitivity");
  TCase *sobol = tcase_create("sobol");
  tcase_add_test(sobol, test_ishigami);
  tcase_add_test(sobol, test_g_function);
  tcase_add_test(sobol, test_sobol_design);
  tcase_add_test(sobol, test_sobol_stratified);
  tcase_set_timeout(sobol, 60);
  suite_add_tcase(s, sobol);
  TCase *morris = tcase_create("morris");
  tcase_add_test(morris, test_morris);
  suite_add_tcase(s, morris);
  TCase *common = tcase_create("common");
  tcase_add_test(common, test_threads_identical);
  tcase_add_test(common, test_distributions);
  tcase_add_test(common, test_nan_rows_and_failure);
  tcase_add_test(common, test_errors);
  tcase_add_test(common, test_write_file);
  tcase_add_test(common, test_range_grammar);
  tcase_set_timeout(common, 60);
  suite_add_tcase(s, common);
  TCase *trial = tcase_create("trial");
  tcase_add_test(trial, test_trial_inert_and_threads);
  tcase_add_test(trial, test_trial_errors);
  tcase_add_test(trial, test_typical_patient);
  tcase_add_test(trial, test_trial_value_at);
  tcase_set_timeout(trial, 120);
  suite_add_tcase(s, trial);
  return s;
}

int main(void)
{
  return test_run(sensitivity_suite());
}
