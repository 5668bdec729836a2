/* check_calibrate.c: calibration (cart_calibrate.h): the targets grammar and each of its errors
 * with code, line and name; recovery of known typical values and CVs of a synthetic truth
 * (stein: cmax quantiles; cart: a CR rate) from another start and another seed, within 3
 * reported SEs; bit-identical fits for 1 and 2 threads; a parameter the targets do not identify;
 * a stopped fit; the calibrated scenario, which loads and reruns to the reported statistics. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* ---- the grammar ---- */

static const char example_targets[] =
    "[trial]\n"
    "name = ZUMA-1 (axi-cel, Neelapu 2017 NEJM)   ; shown in reports\n"
    "[targets]\n"
    "orr = 83/101\n"
    "cr = 55/101\n"
    "crs_grade3 = 0/101\n"
    "median( cmax ) = 38 [20, 80]\n"
    "median(tmax) = 10 [7, 14]\n"
    "quantile(cmax, 0.9) = 300 [100, 900]\n"
    "relapse_cr(365) = 0.30 [0.15, 0.45]\n"
    "relapse_negative(365) = 0.3 [0.15, 0.5]\n"
    "durable_cr(365) = 0.35 [0.2, 0.5]\n"
    "cr_tercile_diff(T0) = -0.15 [-0.35, 0.0]\n"
    "median_ratio(cmax, NR/R) = 1 [0.5, 2]\n"
    "[free]\n"
    "rho = 0.2, 3                 ; typical value\n"
    "cv.rho = 0.05, 1.5\n"
    "[calibrate]\n"
    "n_patients = 2000\n"
    "seed = 1\n"
    "max_evaluations = 400\n";

START_TEST(test_targets_grammar)
{
  cart_error err;
  cart_targets *t = cart_targets_new(example_targets, "zuma1.ini", &err);
  ck_assert_msg(t != NULL, "%s", err.message);
  ck_assert_str_eq(cart_targets_trial_name(t), "ZUMA-1 (axi-cel, Neelapu 2017 NEJM)");
  ck_assert_str_eq(cart_targets_source(t), "zuma1.ini");
  ck_assert_uint_eq(cart_targets_n_targets(t), 11);
  ck_assert_uint_eq(cart_targets_n_free(t), 2);
  cart_target_info info;
  ck_assert_int_eq(cart_targets_get(t, 0, &info), CART_OK);
  ck_assert_str_eq(info.name, "orr");
  ck_assert_int_eq(info.statistic, CART_STAT_ORR);
  ck_assert_int_eq(info.is_rate, 1);
  ck_assert_uint_eq(info.count, 83);
  ck_assert_uint_eq(info.total, 101);
  ck_assert_int_eq(info.line, 4);
  ck_assert_double_eq_tol(info.observed, 83.0 / 101, 1e-15);
  /* Wilson 95 %: 0.7358 .. 0.8842 for 83/101 */
  ck_assert_double_eq_tol(info.lower, 0.7358, 1e-3);
  ck_assert_double_eq_tol(info.upper, 0.8842, 1e-3);
  ck_assert(info.se >= sqrt(info.observed * (1 - info.observed) / 101) - 1e-15);
  /* 0/101: a positive SE from Wilson's interval */
  ck_assert_int_eq(cart_targets_get(t, 2, &info), CART_OK);
  ck_assert_double_eq(info.observed, 0);
  ck_assert_double_eq(info.lower, 0);
  ck_assert(info.upper > 0.03 && info.se > 0.009);
  ck_assert_int_eq(cart_targets_get(t, 3, &info), CART_OK);
  ck_assert_str_eq(info.name, "median(cmax)");
  ck_assert_str_eq(info.argument, "cmax");
  ck_assert_int_eq(info.statistic, CART_STAT_QUANTILE);
  ck_assert_double_eq(info.q, 0.5);
  ck_assert_double_eq_tol(info.se, 60 / (2 * 1.959963984540054), 1e-12);
  ck_assert_int_eq(cart_targets_get(t, 5, &info), CART_OK);
  ck_assert_str_eq(info.name, "quantile(cmax,0.9)");
  ck_assert_double_eq(info.q, 0.9);
  ck_assert_int_eq(cart_targets_get(t, 6, &info), CART_OK);
  ck_assert_int_eq(info.statistic, CART_STAT_RELAPSE_CR);
  ck_assert_double_eq(info.day, 365);
  ck_assert_int_eq(cart_targets_get(t, 9, &info), CART_OK);
  ck_assert_int_eq(info.statistic, CART_STAT_CR_TERCILE_DIFF);
  ck_assert_str_eq(info.argument, "T0");
  ck_assert_int_eq(cart_targets_get(t, 10, &info), CART_OK);
  ck_assert_int_eq(info.statistic, CART_STAT_MEDIAN_RATIO);
  ck_assert_int_eq(cart_targets_get(t, 11, &info), CART_EINVAL);
  cart_free_info f;
  ck_assert_int_eq(cart_targets_get_free(t, 1, &f), CART_OK);
  ck_assert_str_eq(f.name, "rho");
  ck_assert_int_eq(f.is_cv, 1);
  ck_assert_double_eq(f.lower, 0.05);
  ck_assert_double_eq(f.upper, 1.5);
  ck_assert_int_eq(f.line, 17);
  cart_calibrate_settings s;
  cart_calibrate_settings_default(&s);
  ck_assert_uint_eq(s.max_evaluations, 400);
  s.max_evaluations = 7;
  cart_targets_settings(t, &s);
  ck_assert_uint_eq(s.n_patients, 2000);
  ck_assert_int_eq(s.use_seed, 1);
  ck_assert_uint_eq(s.seed, 1);
  ck_assert_uint_eq(s.max_evaluations, 400);
  ck_assert_uint_eq(s.n_observed, 0);
  /* the default scenario (cart, horizon 365) accepts it */
  cart_trial *trial =
      cart_trial_new_from_scenario(cart_scenario_default(), "<default>", &err);
  ck_assert_ptr_nonnull(trial);
  ck_assert_msg(cart_targets_check(t, trial, &err) == CART_OK, "%s", err.message);
  cart_trial_free(trial);
  cart_targets_free(t);
  cart_targets_free(NULL);
}
END_TEST

/* A bad targets file: its code and a message with "t.ini:LINE:" and the offending name. */
typedef struct bad_case {
  const char *targets, *free; /* [targets] and [free] bodies */
  int code, line;
  const char *name;
} bad_case;

static const bad_case bad_cases[] = {
    /* [targets] starts at line 2, its first key is line 3; [free] follows the targets */
    {"foo = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "foo"},
    {"fraction(crs_grade=3) = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "fraction(crs_grade=3)"},
    {"fraction(crs_grade!=3) = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "OP one of >="},
    {"fraction(crs_grade>=x) = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "'x' is not a number"},
    {"fraction(>=3) = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "fraction(>=3)"},
    {"fraction(cmax) = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "fraction(cmax)"},
    {"fraction(cmax>1) = 5/4\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "fraction(cmax>1)"},
    {"mean(cmax) = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "only for rates"},
    {"mean(cmax,2) = 1 [0, 2]\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "mean(ENDPOINT)"},
    {"median(cmax) = 1 [0; 2]\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "median(cmax)"},
    {"orr = abc\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "orr"},
    {"orr = 0.5\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "orr"},
    {"cr = 5/4\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "cr"},
    {"cr = 0/0\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "cr"},
    {"cr = 1.2 [0.5, 1]\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "cr"},
    {"median(tmax) = 10 [11, 14]\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "median(tmax)"},
    {"median(tmax) = 10 [14, 7]\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "median(tmax)"},
    {"median(cmax) = 10 [1, 20]\n", "rho = 0.5\n", CART_EPARSE, 5, "rho"},
    {"median(cmax) = 10 [1, 20]\n", "rho = 1, 0.5\n", CART_ERANGE, 5, "rho"},
    {"median(cmax) = 10 [1, 20]\n", "cv.rho = -0.1, 0.5\n", CART_ERANGE, 5, "cv.rho"},
    {"orr = 1/2\norr = 1/3\n", "rho = 0.1, 1\n", CART_EPARSE, 4, "orr"},
    {"orr = 1/2\n", "rho = 0.1, 1\nrho = 0.2, 1\n", CART_EPARSE, 6, "rho"},
    {"", "rho = 0.1, 1\n", CART_EPARSE, 2, "no targets"},
    {"orr = 1/2\n", "", CART_EPARSE, 4, "no free parameters"},
    {"quantile(cmax, 1.5) = 1 [0, 2]\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "quantile(cmax,1.5)"},
    {"relapse_cr = 0.3 [0.1, 0.5]\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "relapse_cr"},
    {"median(cmax) = 1/2\n", "rho = 0.1, 1\n", CART_EPARSE, 3, "median(cmax)"},
};

/* err is code, starts "t.ini:LINE: " and names what is wrong (case i of a table). */
static void assert_error_at(const cart_error *err, int code, int line, const char *name, int i)
{
  char where[32];
  snprintf(where, sizeof where, "t.ini:%d: ", line);
  ck_assert_msg(err->code == code, "case %d: %s, expected %s: %s", i, cart_status_name(err->code),
                cart_status_name(code), err->message);
  ck_assert_msg(strncmp(err->message, where, strlen(where)) == 0, "case %d: %s", i, err->message);
  ck_assert_msg(strstr(err->message, name) != NULL, "case %d: no '%s' in %s", i, name,
                err->message);
}

START_TEST(test_targets_errors)
{
  const bad_case *c = &bad_cases[_i];
  char text[1024];
  snprintf(text, sizeof text, "[trial]\n[targets]\n%s[free]\n%s", c->targets, c->free);
  cart_error err;
  cart_targets *t = cart_targets_new(text, "t.ini", &err);
  ck_assert_msg(t == NULL, "case %d loaded", _i);
  assert_error_at(&err, c->code, c->line, c->name, _i);
}
END_TEST

/* Errors that need the model (cart_targets_check), against the default scenario (cart). */
typedef struct model_case {
  const char *targets, *free;
  int code, line;
  const char *name;
} model_case;

static const model_case model_cases[] = {
    {"orr = 1/2\n", "rhoo = 0.1, 1\n", CART_EUNKNOWN_PARAM, 5, "rhoo"},
    {"orr = 1/2\n", "cv.nope = 0.1, 1\n", CART_EUNKNOWN_PARAM, 5, "nope"},
    {"orr = 1/2\n", "rho = 0.1, 20\n", CART_ERANGE, 5, "rho"},
    {"orr = 1/2\n", "f_blood = 0, 0.5\n", CART_ERANGE, 5, "f_blood"},
    {"cr_tercile_diff(T00) = 0 [-1, 1]\n", "rho = 0.1, 1\n", CART_EUNKNOWN_PARAM, 3, "T00"},
    {"cr_tercile_diff(KS) = 0 [-1, 1]\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "KS"},
    {"durable_cr(1825) = 0.3 [0.2, 0.5]\n", "rho = 0.1, 1\n", CART_ERANGE, 3, "durable_cr(1825)"},
    /* an endpoint the model lacks, named with the model's list */
    {"median(cmx) = 1 [0, 2]\n", "rho = 0.1, 1\n", CART_EUNKNOWN_PARAM, 3,
     "median(cmx): model 'cart' has no endpoint 'cmx' (its endpoints: cmax, tmax, auc28, "
     "tumour_nadir, response"},
    {"orr = 1/2\nmean(nope) = 1 [0, 2]\n", "rho = 0.1, 1\n", CART_EUNKNOWN_PARAM, 4,
     "has no endpoint 'nope'"},
    {"fraction(crs>=3) = 1/2\n", "rho = 0.1, 1\n", CART_EUNKNOWN_PARAM, 3,
     "has no endpoint 'crs'"},
};

START_TEST(test_targets_model_errors)
{
  const model_case *c = &model_cases[_i];
  char text[1024];
  snprintf(text, sizeof text, "[trial]\n[targets]\n%s[free]\n%s", c->targets, c->free);
  cart_error err;
  cart_targets *t = cart_targets_new(text, "t.ini", &err);
  ck_assert_msg(t != NULL, "case %d: %s", _i, err.message);
  cart_trial *trial =
      cart_trial_new_from_scenario(cart_scenario_default(), "<default>", &err);
  ck_assert_ptr_nonnull(trial);
  ck_assert_int_eq(cart_targets_check(t, trial, &err), c->code);
  assert_error_at(&err, c->code, c->line, c->name, _i);
  /* cart_calibration_new refuses it the same way, without a result */
  cart_calibration *cal = (cart_calibration *)&err; /* must be reset to NULL */
  ck_assert_int_eq(cart_calibration_new(trial, t, NULL, NULL, NULL, &cal, &err), c->code);
  ck_assert_ptr_null(cal);
  cart_trial_free(trial);
  cart_targets_free(t);
}
END_TEST

/* ---- fits ---- */

/* The stein start scenario: rho and its CV away from the truth (0.7, 0.25). */
static const char stein_start[] =
    "[trial]\n"
    "model = stein\n"
    "n_patients = 300\n"
    "seed = 5\n"
    "[times]\n"
    "horizon = 60\n"
    "step = 7\n"
    "[parameters]\n"
    "rho = 0.889   ; the default\n"
    "[variability]\n"
    "rho = 0.4\n"
    "[outputs]\n"
    "trajectories = C\n";

#define TRUE_RHO 0.7
#define TRUE_CV 0.25
#define N_OBSERVED 200

static cart_trial *load(const char *text)
{
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(text, "test.ini", &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  return trial;
}

static cart_targets *targets_ok(const char *text)
{
  cart_error err;
  cart_targets *t = cart_targets_new(text, "targets.ini", &err);
  ck_assert_msg(t != NULL, "%s", err.message);
  return t;
}

/* ---- the statistics any model can use: mean(EP), fraction(EP OP X) ---- */

/* The endpoints of patients 0..N-1 of `trial`, run here in one block, for independent counts. */
static cart_trial_block *run_all(cart_trial *trial)
{
  const size_t n = cart_trial_n_patients(trial);
  cart_trial_block *block = cart_trial_block_new(trial, n, NULL);
  ck_assert_ptr_nonnull(block);
  ck_assert_int_eq(test_run_block(trial, 0, n, 1, block), CART_OK);
  return block;
}

/* Mean of endpoint e over the block's solved patients with a number (long double sum). */
static double block_mean(const cart_trial_block *block, size_t e)
{
  long double sum = 0;
  size_t m = 0;
  for (size_t k = 0; k < block->count; k++) {
    const double x = block->endpoints[k * block->n_endpoints + e];
    if (block->status[k] == CART_OK && !isnan(x)) {
      sum += x;
      m++;
    }
  }
  return m ? (double)(sum / (long double)m) : NAN;
}

/* The solved patients whose endpoint e is >= (op 0), > (1), <= (2), < (3) or == (4) x, over the
 * solved patients. */
static double block_fraction(const cart_trial_block *block, size_t e, int op, double x)
{
  size_t k_met = 0, solved = 0;
  for (size_t k = 0; k < block->count; k++) {
    if (block->status[k] != CART_OK) {
      continue;
    }
    const double v = block->endpoints[k * block->n_endpoints + e];
    solved++;
    k_met += op == 0 ? v >= x : op == 1 ? v > x : op == 2 ? v <= x : op == 3 ? v < x : v == x;
  }
  return (double)k_met / (double)solved;
}

START_TEST(test_generic_statistics)
{
  cart_trial *trial = load(cart_scenario_default());
  cart_trial_set_n_patients(trial, 120);
  cart_trial_set_seed(trial, 3);
  cart_targets *t = targets_ok("[targets]\n"
                               "mean(cmax) = 30 [10, 50]\n"
                               "mean( relapse_day ) = 100 [10, 300]\n"
                               "fraction(crs_grade >= 3) = 1/10\n"
                               "fraction(crs_grade>2) = 1/10\n"
                               "fraction(crs_grade == 0) = 0.2 [0.1, 0.3]\n"
                               "fraction(cmax <= 30) = 1/2\n"
                               "fraction(tmax < 9.5) = 1/2\n"
                               "fraction(relapse_day >= 100) = 1/10\n"
                               "crs_grade3 = 1/10\n"
                               "[free]\nrho = 0.1, 1\n");
  cart_target_info info;
  ck_assert_int_eq(cart_targets_get(t, 2, &info), CART_OK);
  ck_assert_str_eq(info.name, "fraction(crs_grade>=3)");
  ck_assert_str_eq(info.argument, "crs_grade");
  ck_assert_int_eq(info.statistic, CART_STAT_FRACTION);
  ck_assert_int_eq(info.comparison, CART_COMPARE_GE);
  ck_assert_double_eq(info.threshold, 3);
  ck_assert_int_eq(info.is_rate, 1);
  ck_assert_int_eq(cart_targets_get(t, 1, &info), CART_OK);
  ck_assert_int_eq(info.statistic, CART_STAT_MEAN);
  ck_assert_str_eq(info.argument, "relapse_day");
  ck_assert_int_eq(info.comparison, CART_COMPARE_NONE);
  ck_assert(isnan(info.threshold));
  double got[9], se[9];
  cart_error err;
  ck_assert_msg(cart_targets_simulate(t, trial, 2, got, se, &err) == CART_OK, "%s", err.message);
  cart_trial_block *block = run_all(trial);
  const double expected[9] = {
      block_mean(block, CART_ENDPOINT_CMAX),
      block_mean(block, CART_ENDPOINT_RELAPSE_DAY),
      block_fraction(block, CART_ENDPOINT_CRS_GRADE, 0, 3),
      block_fraction(block, CART_ENDPOINT_CRS_GRADE, 1, 2),
      block_fraction(block, CART_ENDPOINT_CRS_GRADE, 4, 0),
      block_fraction(block, CART_ENDPOINT_CMAX, 2, 30),
      block_fraction(block, CART_ENDPOINT_TMAX, 3, 9.5),
      block_fraction(block, CART_ENDPOINT_RELAPSE_DAY, 0, 100),
      block_fraction(block, CART_ENDPOINT_CRS_GRADE, 0, 3)};
  for (size_t i = 0; i < 2; i++) {
    ck_assert_msg(fabs(got[i] - expected[i]) <= 1e-15 * fabs(expected[i]),
                  "target %zu: %.17g, expected %.17g", i, got[i], expected[i]);
    ck_assert(se[i] > 0 && isfinite(se[i]));
  }
  for (size_t i = 2; i < 9; i++) {
    ck_assert_msg(got[i] == expected[i], "target %zu: %.17g, expected %.17g", i, got[i],
                  expected[i]);
  }
  /* not vacuous: the counts are neither 0 nor all, and the two ways of one rate agree */
  for (size_t i = 2; i < 8; i++) {
    ck_assert_msg(got[i] > 0 && got[i] < 1, "target %zu: %g", i, got[i]);
  }
  ck_assert_double_eq(got[2], got[8]);
  ck_assert_double_eq(got[2], got[3]); /* grades are whole */
  cart_trial_block_free(block);
  cart_targets_free(t);

  /* stein has cmax, tmax and auc28 only: mean and fraction work, the oncology rates are refused
   * with the endpoint they need and the model's list */
  cart_trial *stein = load(stein_start);
  cart_trial_set_n_patients(stein, 40);
  cart_targets *generic = targets_ok("[targets]\nmean(auc28) = 1 [0, 2]\n"
                                     "fraction(cmax > 1000) = 1/2\n[free]\nrho = 0.1, 1\n");
  ck_assert_msg(cart_targets_simulate(generic, stein, 1, got, NULL, &err) == CART_OK, "%s",
                err.message);
  block = run_all(stein);
  ck_assert(fabs(got[0] - block_mean(block, 2)) <= 1e-15 * fabs(got[0]));
  ck_assert_double_eq(got[1], block_fraction(block, 0, 1, 1000));
  cart_trial_block_free(block);
  cart_targets_free(generic);
  static const struct {
    const char *target, *needs;
  } refused[] = {{"orr = 1/2", "response"},
                 {"crs_grade3 = 1/2", "crs_grade"},
                 {"toci = 1/2", "toci_doses"},
                 {"relapse_negative(30) = 1/2", "response"},
                 {"median_ratio(cmax, NR/R) = 1 [0.5, 2]", "response"},
                 {"cr_tercile_diff(rho) = 0 [-1, 1]", "response"}};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    char text[256], expected_text[128];
    snprintf(text, sizeof text, "[targets]\n%s\n[free]\nrho = 0.1, 1\n", refused[i].target);
    cart_targets *bad = targets_ok(text);
    ck_assert_int_eq(cart_targets_check(bad, stein, &err), CART_EUNKNOWN_PARAM);
    snprintf(expected_text, sizeof expected_text,
             "needs endpoint '%s', which model 'stein' lacks (its endpoints: cmax, tmax, auc28;",
             refused[i].needs);
    ck_assert_msg(strstr(err.message, expected_text) != NULL && strncmp(err.message,
                  "targets.ini:2: ", 15) == 0, "%s", err.message);
    ck_assert_int_eq(cart_targets_simulate(bad, stein, 1, got, NULL, &err), CART_EUNKNOWN_PARAM);
    cart_targets_free(bad);
  }
  cart_trial_free(stein);
  cart_trial_free(trial);
}
END_TEST

/* ---- NAME@DAY: a state or signal of the model at a day ---- */

/* stein's solution in closed form: C = CE + CM = c0 e^(rho t) up to tmax; then, with
 * E = c0 e^(rho tmax), CE = (1 - fb) E e^(-alpha (t - tmax)) and CM = fb E e^(-beta (t - tmax)). */
static const char stein_one[] = "[trial]\nmodel = stein\nn_patients = 1\n"
                                "[times]\nhorizon = 60\nstep = 7\n"
                                "[solver]\nrtol = 1e-10\natol.CE = 1e-12\natol.CM = 1e-12\n";

static void stein_closed_form(double t, double *ce, double *cm)
{
  const double c0 = 6.15, rho = 0.889, tmax = 9.3, alpha = 0.16, beta = 0.0032, fb = 0.0079;
  if (t <= tmax) { /* at tmax itself: before the switch, as a value at a day takes it */
    *ce = c0 * exp(rho * t);
    *cm = 0;
    return;
  }
  const double e = c0 * exp(rho * tmax);
  *ce = (1 - fb) * e * exp(-alpha * (t - tmax));
  *cm = fb * e * exp(-beta * (t - tmax));
}

START_TEST(test_value_at_closed_form)
{
  cart_trial *trial = load(stein_one);
  cart_targets *t = targets_ok("[targets]\n"
                               "mean(C@0) = 1 [0, 2]\n"
                               "mean(C@5.5) = 1 [0, 2]\n"
                               "median(C@9.3) = 1 [0, 2]\n"
                               "mean( C @ 20 ) = 1 [0, 2]\n"
                               "mean(CE@20) = 1 [0, 2]\n"
                               "quantile(CM@40.25, 0.5) = 1 [0, 2]\n"
                               "mean(C@60) = 1 [0, 2]\n"
                               "median(C@20) = 1 [0, 2]\n" /* the same value again */
                               "fraction(C@20 < 1000) = 1/2\n"
                               "mean(cmax) = 1 [0, 2]\n"
                               "[free]\nrho = 0.1, 1\n");
  cart_target_info info;
  ck_assert_int_eq(cart_targets_get(t, 3, &info), CART_OK);
  ck_assert_str_eq(info.name, "mean(C@20)");
  ck_assert_str_eq(info.argument, "C");
  ck_assert_double_eq(info.at, 20);
  ck_assert_int_eq(cart_targets_get(t, 9, &info), CART_OK);
  ck_assert(isnan(info.at)); /* mean(cmax) */
  double got[10];
  cart_error err;
  ck_assert_msg(cart_targets_simulate(t, trial, 1, got, NULL, &err) == CART_OK, "%s",
                err.message);
  const double day[7] = {0, 5.5, 9.3, 20, 20, 40.25, 60};
  const int which[7] = {0, 0, 0, 0, 1, 2, 0}; /* C, CE, CM */
  for (size_t i = 0; i < 7; i++) {
    double ce, cm;
    stein_closed_form(day[i], &ce, &cm);
    const double want = which[i] == 1 ? ce : which[i] == 2 ? cm : ce + cm;
    ck_assert_msg(fabs(got[i] - want) <= 1e-6 * want, "target %zu (day %g): %.12g, closed form %.12g",
                  i, day[i], got[i], want);
  }
  ck_assert(got[7] == got[3]);
  double ce20, cm20;
  stein_closed_form(20, &ce20, &cm20);
  ck_assert_double_eq(got[8], ce20 + cm20 < 1000); /* the one patient's share */
  double cmax_alone;
  cart_targets *only_cmax = targets_ok("[targets]\nmean(cmax) = 1 [0, 2]\n[free]\nrho = 0.1, 1\n");
  ck_assert_int_eq(cart_targets_simulate(only_cmax, trial, 1, &cmax_alone, NULL, NULL), CART_OK);
  ck_assert(got[9] == cmax_alone); /* the values at days change no endpoint */
  cart_targets_free(only_cmax);
  cart_targets_free(t);
  cart_trial_free(trial);
}
END_TEST

/* Order statistic q (numpy's linear rule) of x[0..m), sorted here. */
static int compare_double(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double sorted_quantile(double *x, size_t m, double q)
{
  qsort(x, m, sizeof *x, compare_double);
  const double h = q * (double)(m - 1);
  const size_t lo = (size_t)floor(h);
  return lo + 1 < m ? x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]) : x[lo];
}

/* The statistics of values at output times against the same from the trial's trajectories (kept
 * as floats), and bit-identical for 1 and 2 threads. */
START_TEST(test_value_at_trajectories)
{
  cart_trial *trial = load(cart_scenario_default());
  cart_trial_set_n_patients(trial, 24);
  cart_trial_set_seed(trial, 11);
  cart_targets *t = targets_ok("[targets]\n"
                               "median(Cblood@28) = 1 [0, 2]\n"
                               "mean(Cblood@28) = 1 [0, 2]\n"
                               "quantile(IL6@7, 0.9) = 1 [0, 2]\n"
                               "mean(tumour@91) = 1 [0, 2]\n"
                               "median(cmax) = 1 [0, 2]\n"
                               "[free]\nrho = 0.1, 1\n");
  double one[5], two[5];
  cart_error err;
  ck_assert_msg(cart_targets_simulate(t, trial, 1, one, NULL, &err) == CART_OK, "%s", err.message);
  ck_assert_int_eq(cart_targets_simulate(t, trial, 2, two, NULL, NULL), CART_OK);
  ck_assert(memcmp(one, two, sizeof one) == 0);
  cart_trial_block *block = run_all(trial);
  ck_assert_uint_eq(block->n_values_at, 0); /* asked for by the statistics' run only */
  size_t n_times;
  const double *times = cart_trial_times(trial, &n_times);
  const char *names[4] = {"Cblood", "Cblood", "IL6", "tumour"};
  const double days[4] = {28, 28, 7, 91};
  double x[24], cmax[24];
  for (size_t s = 0; s < 4; s++) {
    size_t o = 0, j = 0, m = 0;
    const char *name = NULL;
    while (cart_trial_output_info(trial, o, &name, NULL) == CART_OK && strcmp(name, names[s]) != 0) {
      o++;
    }
    ck_assert_msg(o < cart_trial_n_outputs(trial), "no trajectory of %s", names[s]);
    while (j < n_times && times[j] != days[s]) {
      j++;
    }
    ck_assert_msg(j < n_times, "day %g is no output time", days[s]);
    long double sum = 0;
    for (size_t k = 0; k < block->count; k++) {
      if (block->status[k] == CART_OK) {
        x[m] = block->trajectories[(o * block->capacity + k) * n_times + j];
        sum += x[m++];
      }
    }
    ck_assert_uint_gt(m, 10);
    const double want = s == 1 || s == 3 ? (double)(sum / (long double)m)
                               : sorted_quantile(x, m, s == 2 ? 0.9 : 0.5);
    ck_assert_msg(fabs(one[s] - want) <= 1e-6 * fabs(want) && want > 0,
                  "target %zu: %.9g, from the trajectories %.9g", s, one[s], want);
  }
  size_t m = 0;
  for (size_t k = 0; k < block->count; k++) {
    if (block->status[k] == CART_OK) {
      cmax[m++] = block->endpoints[k * block->n_endpoints + CART_ENDPOINT_CMAX];
    }
  }
  ck_assert(one[4] == sorted_quantile(cmax, m, 0.5)); /* the endpoints as without them */
  cart_trial_block_free(block);
  cart_targets_free(t);
  cart_trial_free(trial);
}
END_TEST

/* A malformed NAME@DAY (parse), an unknown name or a day after the horizon (check). */
START_TEST(test_value_at_errors)
{
  static const struct {
    const char *key, *wanted;
  } bad[] = {{"median(@28)", "'@28' is not NAME@DAY"},
             {"median(Cblood@)", "'Cblood@' is not NAME@DAY"},
             {"mean(Cblood@x)", "'Cblood@x' is not NAME@DAY"},
             {"mean(Cblood@28@3)", "'Cblood@28@3' is not NAME@DAY"},
             {"fraction(Cblood@ < 3)", "'Cblood@' is not NAME@DAY"},
             {"mean(Cblood@-1)", "the day -1 must be >= 0"},
             {"quantile(Cblood@inf, 0.5)", "'Cblood@inf' is not NAME@DAY"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[200];
    snprintf(text, sizeof text, "[targets]\n%s = 1 [0, 2]\n[free]\nrho = 0.1, 1\n", bad[i].key);
    cart_error err;
    ck_assert_ptr_null(cart_targets_new(text, "t.ini", &err));
    ck_assert_msg(strstr(err.message, bad[i].wanted) != NULL && strstr(err.message, "t.ini:2:"),
                  "%s: '%s' lacks '%s'", bad[i].key, err.message, bad[i].wanted);
  }
  cart_trial *trial = load(cart_scenario_default());
  cart_error err;
  cart_targets *t = targets_ok("[targets]\nmedian(cmax) = 1 [0, 2]\nmedian(Cbloood@28) = 1 [0, 2]\n"
                               "[free]\nrho = 0.1, 1\n");
  ck_assert_int_eq(cart_targets_check(t, trial, &err), CART_EUNKNOWN_PARAM);
  ck_assert_msg(strstr(err.message, "targets.ini:3: [targets] median(Cbloood@28): model 'cart' "
                                    "has no state or signal 'Cbloood' for Cbloood@DAY (its "
                                    "states and signals: E, M, X, Tp, Tn, B, IL6, D1, D2, "
                                    "Cblood, tumour, IL6s, CRS)") != NULL,
                "%s", err.message);
  cart_targets_free(t);
  t = targets_ok("[targets]\nfraction(tumour@400 < 1e9) = 1/2\n[free]\nrho = 0.1, 1\n");
  ck_assert_int_eq(cart_targets_check(t, trial, &err), CART_ERANGE);
  ck_assert_msg(strstr(err.message, "day 400 is after the trial's horizon 365") != NULL, "%s",
                err.message);
  cart_targets_free(t);
  t = targets_ok("[targets]\nmedian(cmax@28) = 1 [0, 2]\n[free]\nrho = 0.1, 1\n"); /* no state */
  ck_assert_int_eq(cart_targets_check(t, trial, &err), CART_EUNKNOWN_PARAM);
  ck_assert(strstr(err.message, "no state or signal 'cmax'") != NULL);
  cart_targets_free(t);
  cart_trial_free(trial);
}
END_TEST

/* Targets of the stein truth: the cmax quantiles 0.05, 0.5, 0.95 of a big truth trial (another
 * seed), each with the distribution-free 95 % interval an observed trial of N_OBSERVED patients
 * would have: the truth's quantiles at q -+ 1.96 sqrt(q (1 - q) / N_OBSERVED). */
static void stein_truth_targets(char *text, size_t size)
{
  static const double levels[3] = {0.05, 0.5, 0.95};
  char probe[1024] = "[targets]\n";
  for (int i = 0; i < 3; i++) {
    const double d = 1.959963984540054 * sqrt(levels[i] * (1 - levels[i]) / N_OBSERVED);
    char line[160];
    snprintf(line, sizeof line,
             "quantile(cmax, %.17g) = 0 [0, 1]\nquantile(cmax, %.17g) = 0 [0, 1]\n"
             "quantile(cmax, %.17g) = 0 [0, 1]\n",
             levels[i], fmax(levels[i] - d, 0.005), fmin(levels[i] + d, 0.995));
    strcat(probe, line);
  }
  strcat(probe, "[free]\nrho = 0.1, 1\n");
  cart_trial *truth = load(stein_start);
  cart_params_set(cart_population_typical(cart_trial_edit_population(truth)), "rho", TRUE_RHO);
  cart_population_set_cv(cart_trial_edit_population(truth), "rho", TRUE_CV);
  cart_trial_set_n_patients(truth, 8000);
  cart_trial_set_seed(truth, 99);
  cart_targets *t = targets_ok(probe);
  double q[9];
  cart_error err;
  ck_assert_msg(cart_targets_simulate(t, truth, 0, q, NULL, &err) == CART_OK, "%s", err.message);
  snprintf(text, size,
           "[trial]\nname = stein truth\nn = %d\n[targets]\n"
           "quantile(cmax, 0.05) = %.6g [%.6g, %.6g]\n"
           "median(cmax) = %.6g [%.6g, %.6g]\n"
           "quantile(cmax, 0.95) = %.6g [%.6g, %.6g]\n"
           "[free]\nrho = 0.3, 2\ncv.rho = 0.05, 1\n"
           "[calibrate]\nn_patients = 300\nseed = 3\nmax_evaluations = 120\n",
           N_OBSERVED, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8]);
  cart_targets_free(t);
  cart_trial_free(truth);
}

static cart_calibration *calibrate_ok(cart_trial *trial, const cart_targets *t,
                                      const cart_calibrate_settings *s)
{
  cart_error err;
  cart_calibration *cal = NULL;
  const int status = cart_calibration_new(trial, t, s, NULL, NULL, &cal, &err);
  ck_assert_msg(status == CART_OK, "%s: %s", cart_status_name(status), err.message);
  ck_assert_ptr_nonnull(cal);
  return cal;
}

static double typical(cart_trial *trial, const char *name)
{
  double v = NAN;
  cart_params_get(cart_population_typical(cart_trial_edit_population(trial)), name, &v);
  return v;
}

static double cv_of(cart_trial *trial, const char *name)
{
  const cart_population *population = cart_trial_population(trial);
  for (size_t i = 0; i < cart_population_n_varied(population); i++) {
    const char *varied;
    double cv;
    cart_population_varied(population, i, &varied, &cv);
    if (strcmp(varied, name) == 0) {
      return cv;
    }
  }
  return 0;
}

/* (a) and (d): recovery of rho and cv.rho within 3 SEs, sensible SEs; the calibrated scenario
 * loads, keeps everything else, and reruns to the reported statistics bit for bit. */
START_TEST(test_recovery_stein)
{
  char text[2048];
  stein_truth_targets(text, sizeof text);
  cart_targets *t = targets_ok(text);
  cart_trial *trial = load(stein_start);
  cart_calibration *cal = calibrate_ok(trial, t, NULL);
  cart_calibration_summary s;
  ck_assert_int_eq(cart_calibration_get_summary(cal, &s), CART_OK);
  ck_assert_int_eq(s.complete, 1);
  ck_assert_uint_eq(s.n_patients, 300);
  ck_assert_uint_eq(s.seed, 3);
  ck_assert_uint_le(s.evaluations, 120 + 4);
  ck_assert_double_eq_tol(s.variance_factor, 1 + 200.0 / 300.0, 1e-12);
  ck_assert(s.objective < 3 && s.wall_seconds > 0);
  const double truth[2] = {TRUE_RHO, TRUE_CV};
  for (size_t k = 0; k < 2; k++) {
    cart_calibration_param q;
    ck_assert_int_eq(cart_calibration_get_param(cal, k, &q), CART_OK);
    ck_assert_int_eq(q.identified, 1);
    ck_assert_int_eq(q.is_cv, (int)k);
    ck_assert_msg(fabs(q.value - truth[k]) < 3 * q.se, "%s%s = %g +- %g, truth %g",
                  k ? "cv." : "", q.name, q.value, q.se, truth[k]);
    /* sensible: an observed trial of 200 pins rho to a few %, its CV to some 10-20 % */
    ck_assert_msg(q.se > 0 && q.se < 0.25 * truth[k], "%s: SE %g", q.name, q.se);
  }
  /* the trial is as it was */
  ck_assert_double_eq(typical(trial, "rho"), 0.889);
  ck_assert_double_eq(cv_of(trial, "rho"), 0.4);
  ck_assert_uint_eq(cart_trial_n_patients(trial), 300);
  ck_assert_uint_eq(cart_trial_seed(trial), 5);
  double reported[3];
  for (size_t j = 0; j < 3; j++) {
    cart_calibration_target target;
    ck_assert_int_eq(cart_calibration_get_target(cal, j, &target), CART_OK);
    ck_assert_int_eq(target.in_range, 1);
    ck_assert(target.mc_se > 0);
    reported[j] = target.simulated;
  }

  /* (d) the calibrated scenario */
  size_t length = 0;
  ck_assert_int_eq(cart_calibration_scenario(cal, stein_start, NULL, 0, &length), CART_ERANGE);
  char *written = malloc(length + 1);
  ck_assert_int_eq(cart_calibration_scenario(cal, stein_start, written, length + 1, &length),
                   CART_OK);
  ck_assert_uint_eq(strlen(written), length);
  ck_assert(strncmp(written, "# Calibrated by cart calibrate ", 31) == 0);
  ck_assert_ptr_nonnull(strstr(written, "stein truth (targets.ini)"));
  ck_assert_ptr_nonnull(strstr(written, "N = 300, seed = 3"));
  ck_assert_ptr_nonnull(strstr(written, "not validated beyond them"));
  ck_assert_ptr_nonnull(strstr(written, "; the default\n")); /* the inline comment kept */
  ck_assert_ptr_nonnull(strstr(written, "trajectories = C\n"));
  cart_trial *rerun = load(written);
  ck_assert_uint_eq(cart_trial_n_patients(rerun), 300);
  ck_assert_uint_eq(cart_trial_seed(rerun), 5); /* the scenario's own, kept */
  cart_calibration_param q0, q1;
  cart_calibration_get_param(cal, 0, &q0);
  cart_calibration_get_param(cal, 1, &q1);
  ck_assert_double_eq(typical(rerun, "rho"), q0.value);
  ck_assert_double_eq(cv_of(rerun, "rho"), q1.value);
  cart_trial_set_seed(rerun, 3);
  double again[3];
  cart_error err;
  ck_assert_int_eq(cart_targets_simulate(t, rerun, 0, again, NULL, &err), CART_OK);
  ck_assert_int_eq(memcmp(again, reported, sizeof again), 0);
  /* cart_calibration_apply does the same to a trial */
  cart_trial *applied = load(stein_start);
  ck_assert_int_eq(cart_calibration_apply(cal, applied), CART_OK);
  ck_assert_double_eq(typical(applied, "rho"), q0.value);
  ck_assert_double_eq(cv_of(applied, "rho"), q1.value);
  cart_trial_free(applied);
  cart_trial_free(rerun);
  free(written);
  cart_calibration_free(cal);
  cart_trial_free(trial);
  cart_targets_free(t);
}
END_TEST

/* A scenario without the keys or sections: they are added, and the result loads back. */
START_TEST(test_scenario_added_keys)
{
  static const char bare[] = "[trial]\nmodel = stein\nn_patients = 60\nseed = 2\n\n[times]\n"
                             "horizon = 30\nstep = 7\n\n[parameters]\n# typical values\n\n\n"
                             "[outputs]\ntrajectories = C";
  cart_targets *t = targets_ok("[targets]\nmedian(cmax) = 4000 [3000, 5000]\n[free]\n"
                               "rho = 0.3, 2\ncv.rho = 0.05, 1\ncv.tmax = 0.01, 0.5\n"
                               "[calibrate]\nmax_evaluations = 6\n");
  cart_trial *trial = load(bare);
  cart_calibration *cal = calibrate_ok(trial, t, NULL);
  size_t length = 0;
  cart_calibration_scenario(cal, bare, NULL, 0, &length);
  char *written = malloc(length + 1);
  ck_assert_int_eq(cart_calibration_scenario(cal, bare, written, length + 1, &length), CART_OK);
  /* rho goes after the comment of [parameters], before its blank lines; [variability] is new */
  ck_assert_ptr_nonnull(strstr(written, "[parameters]\n# typical values\nrho = "));
  ck_assert_ptr_nonnull(strstr(written, "\n\n[variability]\nrho = "));
  ck_assert_ptr_nonnull(strstr(written, "\ntmax = "));
  cart_trial *rerun = load(written);
  cart_calibration_param q;
  cart_calibration_get_param(cal, 2, &q);
  ck_assert_double_eq(cv_of(rerun, "tmax"), q.value);
  cart_calibration_summary s;
  cart_calibration_get_summary(cal, &s);
  ck_assert_uint_eq(s.n_free, 3);
  cart_trial_free(rerun);
  free(written);
  cart_calibration_free(cal);
  cart_trial_free(trial);
  cart_targets_free(t);
}
END_TEST

/* (b) 1 and 2 threads give the same fit bit for bit; a parameter that no target depends on
 * (beta acts after the peak) is flagged as not identified. */
START_TEST(test_threads_and_identification)
{
  cart_targets *t = targets_ok("[targets]\nmedian(cmax) = 3000 [2000, 4000]\n"
                               "quantile(cmax, 0.9) = 40000 [20000, 80000]\n[free]\n"
                               "rho = 0.3, 2\ncv.rho = 0.05, 1\nbeta = 0.001, 0.1\n"
                               "[calibrate]\nn_patients = 150\nmax_evaluations = 30\n");
  cart_trial *trial = load(stein_start);
  cart_calibrate_settings s;
  cart_calibrate_settings_default(&s);
  cart_targets_settings(t, &s);
  s.n_threads = 1;
  cart_calibration *one = calibrate_ok(trial, t, &s);
  s.n_threads = 2;
  cart_calibration *two = calibrate_ok(trial, t, &s);
  cart_calibration_summary a, b;
  cart_calibration_get_summary(one, &a);
  cart_calibration_get_summary(two, &b);
  ck_assert_int_eq(memcmp(&a.objective, &b.objective, sizeof a.objective), 0);
  ck_assert_uint_eq(a.evaluations, b.evaluations);
  ck_assert_uint_eq(a.seed, 5); /* the scenario's seed: [calibrate] has none */
  for (size_t k = 0; k < 3; k++) {
    cart_calibration_param p, q;
    cart_calibration_get_param(one, k, &p);
    cart_calibration_get_param(two, k, &q);
    ck_assert_int_eq(memcmp(&p.value, &q.value, sizeof p.value), 0);
    ck_assert(isnan(p.se) ? isnan(q.se) : memcmp(&p.se, &q.se, sizeof p.se) == 0);
    ck_assert_int_eq(p.identified, k < 2);
    if (k == 2) {
      ck_assert(isnan(p.se));
    }
  }
  ck_assert(isinf(a.condition));
  for (size_t j = 0; j < 2; j++) {
    cart_calibration_target p, q;
    cart_calibration_get_target(one, j, &p);
    cart_calibration_get_target(two, j, &q);
    ck_assert_int_eq(memcmp(&p.simulated, &q.simulated, sizeof p.simulated), 0);
  }
  cart_calibration_free(one);
  cart_calibration_free(two);
  cart_trial_free(trial);
  cart_targets_free(t);
}
END_TEST

static int stop_after_three(size_t evaluations, size_t total, double best, void *data)
{
  (void)total;
  *(double *)data = best;
  return evaluations >= 3;
}

/* A progress callback stops the fit: CART_ESTOPPED, the best so far, no SEs, trial restored. */
START_TEST(test_stopped)
{
  cart_targets *t = targets_ok("[targets]\nmedian(cmax) = 3000 [2000, 4000]\n[free]\n"
                               "rho = 0.3, 2\n[calibrate]\nn_patients = 50\n");
  cart_trial *trial = load(stein_start);
  cart_calibration *cal = NULL;
  cart_error err;
  double best = NAN;
  ck_assert_int_eq(cart_calibration_new(trial, t, NULL, stop_after_three, &best, &cal, &err),
                   CART_ESTOPPED);
  ck_assert_ptr_nonnull(strstr(err.message, "stopped after 3 evaluations"));
  ck_assert_ptr_nonnull(cal);
  cart_calibration_summary s;
  cart_calibration_get_summary(cal, &s);
  ck_assert_int_eq(s.complete, 0);
  ck_assert_uint_eq(s.evaluations, 3);
  ck_assert_double_eq(s.objective, best);
  cart_calibration_param q;
  cart_calibration_get_param(cal, 0, &q);
  ck_assert(isnan(q.se) && q.value >= 0.3 && q.value <= 2);
  ck_assert_double_eq(typical(trial, "rho"), 0.889);
  cart_calibration_free(cal);
  cart_trial_free(trial);
  cart_targets_free(t);
}
END_TEST

/* (a) with a rate: the cart model's CR rate pins its expansion rate rho. Truth rho = 0.3, the
 * CR rate of an observed trial of 200 taken from a truth trial of 400 (seed 11); the fit starts
 * from the default 0.6 with seed 3. */
START_TEST(test_recovery_cart_rate)
{
  static const char scenario[] = "[trial]\nmodel = cart\nn_patients = 200\nseed = 20261123\n"
                                 "[variability]\nrho = 0.3\ngamma = 0.3\ndelta_E = 0.3\n"
                                 "T0 = 0.3\n[tocilizumab]\nrule = on\n[outputs]\n"
                                 "trajectories = Cblood\n";
  cart_trial *truth = load(scenario);
  cart_params_set(cart_population_typical(cart_trial_edit_population(truth)), "rho", 0.3);
  cart_trial_set_n_patients(truth, 400);
  cart_trial_set_seed(truth, 11);
  cart_targets *probe = targets_ok("[targets]\ncr = 1/2\n[free]\nrho = 0.1, 1\n");
  double cr;
  cart_error err;
  ck_assert_int_eq(cart_targets_simulate(probe, truth, 0, &cr, NULL, &err), CART_OK);
  char text[512];
  snprintf(text, sizeof text,
           "[targets]\ncr = %d/200\n[free]\nrho = 0.1, 1\n[calibrate]\nseed = 3\n"
           "max_evaluations = 24\n",
           (int)lround(cr * 200));
  cart_targets *t = targets_ok(text);
  cart_trial *trial = load(scenario);
  cart_calibration *cal = calibrate_ok(trial, t, NULL);
  cart_calibration_param q;
  cart_calibration_get_param(cal, 0, &q);
  cart_calibration_target target;
  cart_calibration_get_target(cal, 0, &target);
  ck_assert_msg(q.identified && fabs(q.value - 0.3) < 3 * q.se && q.se < 0.1,
                "rho = %g +- %g (cr %g observed, %g simulated)", q.value, q.se, cr,
                target.simulated);
  ck_assert_int_eq(target.in_range, 1);
  cart_calibration_free(cal);
  cart_trial_free(trial);
  cart_targets_free(t);
  cart_targets_free(probe);
  cart_trial_free(truth);
}
END_TEST

static Suite *calibrate_suite(void)
{
  Suite *s = suite_create("calibrate");
  TCase *grammar = tcase_create("targets");
  tcase_add_test(grammar, test_targets_grammar);
  tcase_add_loop_test(grammar, test_targets_errors, 0,
                      (int)(sizeof bad_cases / sizeof bad_cases[0]));
  tcase_add_loop_test(grammar, test_targets_model_errors, 0,
                      (int)(sizeof model_cases / sizeof model_cases[0]));
  suite_add_tcase(s, grammar);
  TCase *statistics = tcase_create("statistics");
  tcase_set_timeout(statistics, 60);
  tcase_add_test(statistics, test_generic_statistics);
  tcase_add_test(statistics, test_value_at_closed_form);
  tcase_add_test(statistics, test_value_at_trajectories);
  tcase_add_test(statistics, test_value_at_errors);
  suite_add_tcase(s, statistics);
  TCase *fits = tcase_create("fits");
  tcase_set_timeout(fits, 120);
  tcase_add_test(fits, test_recovery_stein);
  tcase_add_test(fits, test_scenario_added_keys);
  tcase_add_test(fits, test_threads_and_identification);
  tcase_add_test(fits, test_stopped);
  tcase_add_test(fits, test_recovery_cart_rate);
  suite_add_tcase(s, fits);
  return s;
}

int main(void)
{
  return test_run(calibrate_suite());
}
