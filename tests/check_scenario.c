/* check_scenario.c: scenario files (cart-scenario(5)): the built-in default, the example files,
 * what each key builds, and every error with its code and its line. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* Loads `text` as "test.ini"; ck_assert on failure. */
static cart_trial *load_ok(const char *text)
{
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(text, "test.ini", &err);
  ck_assert_msg(trial != NULL, "load failed: %s (%s)", err.message, cart_status_name(err.code));
  ck_assert_int_eq(err.code, CART_OK);
  return trial;
}

static double typical_value(cart_trial *trial, const char *name)
{
  double value = NAN;
  ck_assert_int_eq(cart_params_get(cart_population_typical(cart_trial_edit_population(trial)), name,
                                   &value),
                   CART_OK);
  return value;
}

/* The rule in force is `expected` (enabled included); durations compared to rounding. */
static void assert_rule(const cart_trial *trial, const cart_toci_rule *expected)
{
  cart_toci_rule rule;
  memset(&rule, 0xff, sizeof rule);
  cart_dosing_get_toci_rule(cart_trial_dosing((cart_trial *)trial), &rule);
  ck_assert_int_eq(rule.enabled, expected->enabled);
  ck_assert_double_eq(rule.trigger, expected->trigger);
  ck_assert_double_eq_tol(rule.interval_day, expected->interval_day, 1e-15);
  ck_assert_int_eq(rule.max_doses, expected->max_doses);
  ck_assert_double_eq(rule.mg_per_kg, expected->mg_per_kg);
  ck_assert_double_eq(rule.cap_mg, expected->cap_mg);
  ck_assert_double_eq_tol(rule.duration_day, expected->duration_day, 1e-15);
  ck_assert_double_eq_tol(rule.delay_day, expected->delay_day, 1e-15);
}

static int rule_enabled(const cart_trial *trial)
{
  cart_toci_rule rule;
  cart_dosing_get_toci_rule(cart_trial_dosing((cart_trial *)trial), &rule);
  return rule.enabled;
}

/* The default text gives the trial its comments describe. */
START_TEST(test_default_scenario)
{
  const char *text = cart_scenario_default();
  ck_assert_ptr_nonnull(text);
  ck_assert_ptr_eq(text, cart_scenario_default());
  cart_trial *trial = cart_trial_new_from_scenario(text, "<default>", NULL);
  ck_assert_ptr_nonnull(trial);

  ck_assert_str_eq(cart_model_name(cart_trial_model(trial)), "cart");
  ck_assert_uint_eq(cart_trial_n_patients(trial), 1000);
  ck_assert_uint_eq(cart_trial_seed(trial), 20261123u);

  size_t n_times = 0;
  const double *times = cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, 78); /* daily 0..28, weekly 35..364, then 365 */
  for (size_t k = 0; k <= 28; k++) {
    ck_assert_double_eq(times[k], (double)k);
  }
  for (size_t k = 29; k < 77; k++) {
    ck_assert_double_eq(times[k], 28.0 + 7.0 * (double)(k - 28));
  }
  ck_assert_double_eq(times[77], 365.0);

  static const char *const outputs[] = {"Cblood", "tumour", "B", "IL6", "IL6s", "CRS"};
  ck_assert_uint_eq(cart_trial_n_outputs(trial), 6);
  for (size_t i = 0; i < 6; i++) {
    const char *name = NULL, *unit = NULL;
    ck_assert_int_eq(cart_trial_output_info(trial, i, &name, &unit), CART_OK);
    ck_assert_str_eq(name, outputs[i]);
  }

  /* calibrated to ZUMA-1 (tests/fidelity.sh runs it): the opt-in mechanisms are on */
  ck_assert_double_gt(typical_value(trial, "t_prog"), 0);
  ck_assert_double_gt(typical_value(trial, "k_imm"), 0);
  ck_assert_double_gt(typical_value(trial, "q_ifn"), 0);
  ck_assert_double_lt(typical_value(trial, "a_tum"), 1);
  static const char *const varied[] = {"rho", "delta_E", "gamma", "T0", "f_neg0",
                                       "r_tum", "k_imm", "q_ifn", "p_act", "WT"};
  const size_t n_varied = sizeof varied / sizeof *varied;
  const cart_population *population = cart_trial_population(trial);
  ck_assert_uint_eq(cart_population_n_varied(population), n_varied);
  for (size_t i = 0; i < n_varied; i++) {
    const char *name = NULL;
    double cv = 0;
    ck_assert_int_eq(cart_population_varied(population, i, &name, &cv), CART_OK);
    ck_assert_str_eq(name, varied[i]);
    ck_assert_double_gt(cv, 0);
  }

  /* no extra doses: the t = 0 infusion is the parameter dose, at its default */
  ck_assert_uint_eq(cart_dosing_n_cart(cart_trial_dosing(trial)), 0);
  ck_assert_uint_eq(cart_dosing_n_toci(cart_trial_dosing(trial)), 0);
  ck_assert_double_eq(typical_value(trial, "dose"), 1.4e8);

  /* the standard of care: tocilizumab by rule, on with MODEL.md's defaults; extinction at 1 */
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  ck_assert_int_eq(rule.enabled, 1);
  ck_assert_double_eq(rule.trigger, 200);
  ck_assert_double_eq_tol(rule.interval_day, 8.0 / 24.0, 1e-15);
  ck_assert_int_eq(rule.max_doses, 4);
  ck_assert_double_eq(rule.mg_per_kg, 8);
  ck_assert_double_eq(rule.cap_mg, 800);
  ck_assert_double_eq_tol(rule.duration_day, 1.0 / 24.0, 1e-15);
  rule.delay_day = 12.0 / 24.0; /* given once grade-2 CRS persists (doc/models.md 2.8) */
  assert_rule(trial, &rule);
  ck_assert_double_eq(cart_trial_extinction(trial), 1.0);
  ck_assert_uint_eq(cart_trial_max_toci_doses(trial), 4);

  cart_endpoint_settings defaults;
  cart_endpoint_settings_default(&defaults);
  const cart_endpoint_settings *settings = cart_trial_endpoint_settings(trial);
  ck_assert_double_eq(settings->n_detect, defaults.n_detect);
  ck_assert_double_eq(settings->t_resp, defaults.t_resp);
  ck_assert_double_eq(settings->f_aplasia, defaults.f_aplasia);
  ck_assert_double_eq(settings->auc_end, defaults.auc_end);
  for (int g = 0; g < 4; g++) {
    ck_assert_double_eq(settings->crs_g[g], defaults.crs_g[g]);
  }
  ck_assert_int_eq(cart_trial_prepare(trial), CART_OK);
  cart_trial_free(trial);
}
END_TEST

/* Each example file loads and sets what it is about. */
START_TEST(test_example_files)
{
  static const char *const names[] = {"lbcl_typical.ini", "dose_ranging.ini", "high_burden.ini"};
  for (size_t i = 0; i < 3; i++) {
    char *text = test_read_example(names[i]);
    cart_error err;
    cart_trial *trial = cart_trial_new_from_scenario(text, names[i], &err);
    ck_assert_msg(trial != NULL, "%s: %s", names[i], err.message);
    ck_assert_str_eq(cart_model_name(cart_trial_model(trial)), "cart");
    ck_assert_uint_gt(cart_trial_n_patients(trial), 0);
    if (i == 2) {
      ck_assert_double_eq(typical_value(trial, "T0"), 5e11);
    }
    /* every example treats CRS by the rule, as in practice */
    ck_assert_msg(rule_enabled(trial), "%s: tocilizumab rule off", names[i]);
    ck_assert_double_eq(cart_trial_extinction(trial), 1.0);
    cart_trial_free(trial);
    free(text);
  }
}
END_TEST

/* Keys build the trial: sections in any order, comments, doses, times, solver, outputs. */
START_TEST(test_keys)
{
  cart_trial *trial = load_ok("; sections in any order, the model last\n"
                              "[parameters]\n"
                              "rho = 0.5   ; an inline comment\n"
                              "  T0 = 2e11\n" /* indented lines are ordinary lines */
                              "[dosing]\n"
                              "cart = 0:2e8:0.3\n"
                              "cart = 14 : 1e8\n"
                              "cart = 28:5e7:0.5\n"
                              "toci = 3:8\n"
                              "toci = 4:8:2:600\n"
                              "[variability]\n"
                              "rho = 0.2\n"
                              "gamma = 0.25\n"
                              "[correlation]\n"
                              "rho , gamma = 0.4\n"
                              "[times]\n"
                              "list = 0, 1, 7\n"
                              "list = 7, 28\n"
                              "[solver]\n"
                              "method = rk8pd\n"
                              "rtol = 1e-7\n"
                              "atol.IL6 = 1e-4\n"
                              "max_steps = 5000\n"
                              "[endpoints]\n"
                              "crs_g1 = 50\n"
                              "t_resp = 60\n"
                              "[outputs]\n"
                              "trajectories = IL6s,E\n"
                              "[trial]\n"
                              "model = cart\n"
                              "n_patients = 12\n"
                              "seed = 18446744073709551615\n");
  ck_assert_uint_eq(cart_trial_n_patients(trial), 12);
  ck_assert_uint_eq(cart_trial_seed(trial), UINT64_MAX);
  ck_assert_double_eq(typical_value(trial, "rho"), 0.5);
  ck_assert_double_eq(typical_value(trial, "T0"), 2e11);
  /* the t = 0 dose sets the parameters dose and f_mem, the others go to the schedule */
  ck_assert_double_eq(typical_value(trial, "dose"), 2e8);
  ck_assert_double_eq(typical_value(trial, "f_mem"), 0.3);
  const cart_dosing *dosing = cart_trial_dosing(trial);
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 2);
  cart_cart_dose dose;
  ck_assert_int_eq(cart_dosing_get_cart(dosing, 0, &dose), CART_OK);
  ck_assert_double_eq(dose.time, 14);
  ck_assert_double_eq(dose.cells, 1e8);
  ck_assert(isnan(dose.f_mem)); /* CART_FMEM_FROM_PARAMS */
  ck_assert_int_eq(cart_dosing_get_cart(dosing, 1, &dose), CART_OK);
  ck_assert_double_eq(dose.f_mem, 0.5);
  ck_assert_uint_eq(cart_dosing_n_toci(dosing), 2);
  cart_toci_dose toci;
  ck_assert_int_eq(cart_dosing_get_toci(dosing, 0, &toci), CART_OK);
  ck_assert_double_eq(toci.time, 3);
  ck_assert_double_eq(toci.mg_per_kg, 8);
  ck_assert_double_eq(toci.duration_day, CART_TOCI_DURATION_DAY_DEFAULT);
  ck_assert_double_eq(toci.cap_mg, CART_TOCI_CAP_MG_DEFAULT);
  ck_assert_int_eq(cart_dosing_get_toci(dosing, 1, &toci), CART_OK);
  ck_assert_double_eq_tol(toci.duration_day, 2.0 / 24.0, 1e-15);
  ck_assert_double_eq(toci.cap_mg, 600);

  ck_assert_uint_eq(cart_population_n_varied(cart_trial_population(trial)), 2);
  size_t n_times = 0;
  const double *times = cart_trial_times(trial, &n_times);
  static const double expected_times[] = {0, 1, 7, 7, 28};
  ck_assert_uint_eq(n_times, 5);
  for (size_t k = 0; k < n_times; k++) {
    ck_assert_double_eq(times[k], expected_times[k]);
  }
  ck_assert_double_eq(cart_trial_endpoint_settings(trial)->crs_g[0], 50);
  ck_assert_double_eq(cart_trial_endpoint_settings(trial)->t_resp, 60);
  ck_assert_double_eq(cart_trial_endpoint_settings(trial)->crs_g[1], 200);
  ck_assert_uint_eq(cart_trial_n_outputs(trial), 2);
  const char *name = NULL, *unit = NULL;
  ck_assert_int_eq(cart_trial_output_info(trial, 1, &name, &unit), CART_OK);
  ck_assert_str_eq(name, "E");
  cart_trial_free(trial);

  /* horizon and step: land on the horizon when it is a whole number of steps, else add it */
  trial = load_ok("[trial]\nmodel = cart\n[times]\nhorizon = 28\n");
  cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, 5);
  cart_trial_free(trial);
  trial = load_ok("[trial]\nmodel = cart\n[times]\nhorizon = 10\nstep = 3\n");
  times = cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, 5);
  ck_assert_double_eq(times[3], 9);
  ck_assert_double_eq(times[4], 10);
  cart_trial_free(trial);
  trial = load_ok("[trial]\nmodel = cart\n[times]\nhorizon = 1\nstep = 0.1\n");
  times = cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, 11);
  ck_assert_double_eq(times[10], 1.0);
  cart_trial_free(trial);
  trial = load_ok("[trial]\nmodel = cart\n[times]\nhorizon = 0\n");
  cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, 1);
  cart_trial_free(trial);
  /* an early, finer grid: daily to day 28, then weekly from there, and the horizon */
  trial = load_ok("[trial]\nmodel = cart\n[times]\nhorizon = 365\nstep = 7\nearly_step = 1\n"
                  "early_until = 28\n");
  times = cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, 29 + 48 + 1);
  for (size_t k = 0; k <= 28; k++) {
    ck_assert_double_eq(times[k], (double)k);
  }
  ck_assert_double_eq(times[29], 35);
  ck_assert_double_eq(times[76], 364);
  ck_assert_double_eq(times[77], 365);
  cart_trial_free(trial);
  /* early_until off the early grid: it is an output time itself, and the late grid starts there */
  trial = load_ok("[trial]\nmodel = cart\n[times]\nhorizon = 20\nstep = 5\nearly_step = 2\n"
                  "early_until = 5\n");
  times = cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, 7); /* 0 2 4 5 10 15 20 */
  ck_assert_double_eq(times[3], 5);
  ck_assert_double_eq(times[4], 10);
  ck_assert_double_eq(times[6], 20);
  cart_trial_free(trial);

  /* comments after a section header; repeated sections; "key: value" */
  trial = load_ok("[trial] ; the trial\nmodel: cart\n[parameters] # typical values\nrho = 0.4\n"
                  "[trial]\nseed = 5\n[parameters]\ngamma = 2\n");
  ck_assert_uint_eq(cart_trial_seed(trial), 5);
  ck_assert_double_eq(typical_value(trial, "rho"), 0.4);
  ck_assert_double_eq(typical_value(trial, "gamma"), 2);
  cart_trial_free(trial);

  /* an empty trajectories list keeps none; CRLF line ends and a byte order mark are fine */
  trial = load_ok("\xEF\xBB\xBF[trial]\r\nmodel = cart\r\n[outputs]\r\ntrajectories =\r\n");
  ck_assert_uint_eq(cart_trial_n_outputs(trial), 0);
  cart_trial_free(trial);

  /* stein has no parameter dose: a t = 0 CAR-T dose would go to its schedule, and stein takes
   * no doses; without doses it loads */
  trial = load_ok("[trial]\nmodel = stein\n[parameters]\nc0 = 10\n[outputs]\ntrajectories = C\n");
  ck_assert_str_eq(cart_model_name(cart_trial_model(trial)), "stein");
  cart_trial_free(trial);

  /* no [tocilizumab]: the rule is off; no [events]: extinction at 1 cell */
  trial = load_ok("[trial]\nmodel = cart\n");
  ck_assert_int_eq(rule_enabled(trial), 0);
  ck_assert_uint_eq(cart_trial_max_toci_doses(trial), 0);
  ck_assert_double_eq(cart_trial_extinction(trial), 1.0);
  cart_trial_free(trial);

  /* rule = on alone: the defaults */
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  trial = load_ok("[trial]\nmodel = cart\n[tocilizumab]\nrule = on\n[events]\nn_ext = 0\n");
  assert_rule(trial, &rule);
  ck_assert_double_eq(cart_trial_extinction(trial), 0.0);
  cart_trial_free(trial);

  /* every key, in any order, sections after the rest */
  trial = load_ok("[events]\nn_ext = 10\n"
                  "[tocilizumab]\n"
                  "infusion_h = 2\n"
                  "cap_mg = 600\n"
                  "mg_per_kg = 4\n"
                  "max_doses = 16\n"
                  "interval_h = 12\n"
                  "trigger = 1000\n"
                  "delay_h = 12\n"
                  "rule = on ; the standard of care\n"
                  "[dosing]\ntoci = 2:8\n"
                  "[trial]\nmodel = cart\n");
  const cart_toci_rule every = {1, 1000, 0.5, 16, 4, 600, 2.0 / 24.0, 0.5};
  assert_rule(trial, &every);
  ck_assert_double_eq(cart_trial_extinction(trial), 10.0);
  ck_assert_uint_eq(cart_dosing_n_toci(cart_trial_dosing(trial)), 1); /* the fixed dose stays */
  ck_assert_uint_eq(cart_trial_max_toci_doses(trial), 17);
  cart_trial_free(trial);

  /* a bolus, and the smallest max_doses */
  trial = load_ok("[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ninfusion_h = 0\n"
                  "max_doses = 1\n");
  cart_toci_rule bolus = rule;
  bolus.duration_day = 0;
  bolus.max_doses = 1;
  assert_rule(trial, &bolus);
  cart_trial_free(trial);

  /* rule = off keeps (and checks) the settings, so that turning it on is one edit */
  trial = load_ok("[trial]\nmodel = cart\n[tocilizumab]\ntrigger = 500\nrule = off\n"
                  "max_doses = 2\n");
  cart_toci_rule off = rule;
  off.enabled = 0;
  off.trigger = 500;
  off.max_doses = 2;
  assert_rule(trial, &off);
  ck_assert_uint_eq(cart_trial_max_toci_doses(trial), 0);
  cart_trial_free(trial);

  /* an empty [tocilizumab] leaves the rule off */
  trial = load_ok("[trial]\nmodel = cart\n[tocilizumab]\n[events]\n");
  ck_assert_int_eq(rule_enabled(trial), 0);
  cart_trial_free(trial);

  /* NULL arguments */
  cart_error err;
  ck_assert_ptr_null(cart_trial_new_from_scenario(NULL, "x", &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_ptr_null(cart_trial_new_from_scenario("", NULL, NULL));
}
END_TEST

typedef struct bad_case {
  const char *what;
  const char *text;
  int code;
  int line;
  const char *mentions; /* a piece of the message, or NULL */
} bad_case;

static const bad_case bad_cases[] = {
    {"unknown section", "[trial]\nmodel = cart\n[trail]\nseed = 1\n", CART_EPARSE, 3, "[trail]"},
    {"unknown empty section", "[trial]\nmodel = cart\n\n[extra]\n", CART_EPARSE, 4, "[extra]"},
    {"unknown key", "[trial]\nmodel = cart\nmodle = cart\n", CART_EPARSE, 3, "'modle'"},
    {"unknown key in [dosing]", "[trial]\nmodel = cart\n[dosing]\ncar = 1:1e8\n", CART_EPARSE, 4,
     "'car'"},
    {"text after a section header", "[trial] x\nmodel = cart\n", CART_EPARSE, 1, "'x'"},
    {"section names are case-sensitive", "[Trial]\nmodel = cart\n", CART_EPARSE, 1, "[Trial]"},
    {"key given twice", "[trial]\nmodel = cart\n[solver]\nrtol = 1e-6\n[trial]\nmodel = stein\n",
     CART_EPARSE, 6, "first at line 2"},
    {"key before a section", "model = cart\n[trial]\nmodel = cart\n", CART_EPARSE, 1, "model"},
    {"unknown parameter", "[trial]\nmodel = cart\n[parameters]\nrho = 0.5\nrhoo = 1\n",
     CART_EUNKNOWN_PARAM, 5, "rhoo"},
    {"bad number", "[trial]\nmodel = cart\n[parameters]\nrho = 0.5x\n", CART_EPARSE, 4,
     "[parameters] rho: '0.5x' is not a number"},
    {"empty number", "[trial]\nmodel = cart\n[parameters]\nrho =\n", CART_EPARSE, 4, "rho"},
    {"'#' is no inline comment", "[trial]\nmodel = cart\n[parameters]\nrho = 0.5 # no\n",
     CART_EPARSE, 4, "'0.5 # no'"},
    {"NaN parameter", "[trial]\nmodel = cart\n[parameters]\n\nrho = nan\n", CART_ENOTFINITE, 5,
     "rho"},
    {"infinite parameter", "[trial]\nmodel = cart\n[parameters]\nT0 = 1e999\n", CART_ENOTFINITE,
     4, "T0"},
    {"out-of-range parameter", "[trial]\nmodel = cart\n[parameters]\nrho = 11\n", CART_ERANGE, 4,
     "[0, 10]"},
    {"parameter given twice", "[trial]\nmodel = cart\n[parameters]\nrho = 1\nrho = 2\n",
     CART_EPARSE, 5, "first at line 4"},
    {"negative dose", "[trial]\nmodel = cart\n[dosing]\ncart = 14:1e8\ncart = 21:-1e8\n",
     CART_EDOSE, 5, "-1e+08"},
    {"negative dose at t = 0", "[trial]\nmodel = cart\n[dosing]\ncart = 0:-1e8\n", CART_EDOSE, 4,
     "dose"},
    {"negative dose time", "[trial]\nmodel = cart\n[dosing]\ncart = -1:1e8\n", CART_EDOSE, 4,
     NULL},
    {"f_mem -1", "[trial]\nmodel = cart\n[dosing]\ncart = 7:1e8:-1\n", CART_EDOSE, 4, "f_mem"},
    {"f_mem at t = 0", "[trial]\nmodel = cart\n[dosing]\ncart = 0:1e8:1.5\n", CART_EDOSE, 4,
     "f_mem"},
    {"malformed dose", "[trial]\nmodel = cart\n[dosing]\ncart = 14\n", CART_EPARSE, 4,
     "TIME:CELLS[:FMEM]"},
    {"dose with too many fields", "[trial]\nmodel = cart\n[dosing]\ncart = 14:1e8:0.2:3\n",
     CART_EPARSE, 4, "TIME:CELLS[:FMEM]"},
    {"dose with an empty field", "[trial]\nmodel = cart\n[dosing]\ncart = 14::1e8\n",
     CART_EPARSE, 4, "TIME:CELLS[:FMEM]"},
    {"dose that is not a number", "[trial]\nmodel = cart\n[dosing]\ncart = 14:lots\n",
     CART_EPARSE, 4, "'lots'"},
    {"NaN dose time", "[trial]\nmodel = cart\n[dosing]\ncart = nan:1e8\n", CART_EPARSE, 4,
     "finite"},
    {"malformed tocilizumab", "[trial]\nmodel = cart\n[dosing]\ntoci = 3\n", CART_EPARSE, 4,
     "TIME:MG_PER_KG"},
    {"negative tocilizumab", "[trial]\nmodel = cart\n[dosing]\ntoci = 3:-8\n", CART_EDOSE, 4,
     NULL},
    {"two doses at t = 0", "[trial]\nmodel = cart\n[dosing]\ncart = 0:1e8\ncart = 0:2e8\n",
     CART_EDOSE, 5, "line 4"},
    {"t = 0 dose and [parameters] dose",
     "[trial]\nmodel = cart\n[parameters]\ndose = 1e8\n[dosing]\ncart = 0:2e8\n", CART_EDOSE, 6,
     "line 4"},
    {"stein takes no CAR-T doses", "[trial]\nmodel = stein\n[dosing]\n\ncart = 0:1e8\n",
     CART_EDOSE, 5, "stein"},
    {"unknown model", "# a comment\n[trial]\nmodel = cartt\n", CART_EUNKNOWN_MODEL, 3, "cartt"},
    {"missing [trial] model", "[trial]\nseed = 3\n[parameters]\nrho = 1\n", CART_EPARSE, 1,
     "missing [trial] model"},
    {"missing [trial]", "[parameters]\nrho = 1\n\n", CART_EPARSE, 3, "missing [trial] model"},
    {"empty text", "", CART_EPARSE, 1, "missing [trial] model"},
    {"n_patients 0", "[trial]\nmodel = cart\nn_patients = 0\n", CART_ERANGE, 3, "n_patients"},
    {"n_patients negative", "[trial]\nmodel = cart\nn_patients = -5\n", CART_EPARSE, 3,
     "n_patients"},
    {"seed too large", "[trial]\nmodel = cart\nseed = 18446744073709551616\n", CART_EPARSE, 3,
     "seed"},
    {"correlation not positive definite",
     "[trial]\nmodel = cart\n[variability]\nrho = 0.3\ngamma = 0.3\ndelta_E = 0.3\n"
     "[correlation]\nrho, gamma = 0.9\nrho, delta_E = 0.9\ngamma, delta_E = -0.9\n"
     "[outputs]\ntrajectories = B\n",
     CART_ERANGE, 10, "rho, gamma"},
    {"correlation key without a comma", "[trial]\nmodel = cart\n[correlation]\nrho gamma = 0.5\n",
     CART_EPARSE, 4, "rho gamma"},
    {"correlation of an unvaried parameter",
     "[trial]\nmodel = cart\n[variability]\nrho = 0.3\n[correlation]\nrho, gamma = 0.5\n",
     CART_EINVAL, 6, "gamma"},
    {"bad cv", "[trial]\nmodel = cart\n[variability]\nrho = -0.3\n", CART_ERANGE, 4, "rho"},
    {"cv with omega not finite", "[trial]\nmodel = cart\n[variability]\nrho = 0.3\ngamma = 1e300\n",
     CART_ERANGE, 5, "gamma"},
    {"loop-gain rule", "[trial]\nmodel = cart\n[parameters]\nrho = 0.5\np_amp = 12000\nT0 = 1e11\n",
     CART_ERULE, 5, "p_amp"},
    {"times list decreasing", "[trial]\nmodel = cart\n[times]\nlist = 0, 7, 3\n", CART_ETIMES, 4,
     "3"},
    {"times list decreasing across keys",
     "[trial]\nmodel = cart\n[times]\nlist = 0, 7\nlist = 28\nlist = 14\n", CART_ETIMES, 6, "14"},
    {"negative time", "[trial]\nmodel = cart\n[times]\nlist = -1, 7\n", CART_ETIMES, 4, NULL},
    {"NaN time", "[trial]\nmodel = cart\n[times]\nlist = 0, nan\n", CART_EPARSE, 4, "'nan'"},
    {"times list and step", "[trial]\nmodel = cart\n[times]\nstep = 1\nlist = 0, 1\n",
     CART_EPARSE, 5, "step"},
    /* fuzzing found horizon = 47413274 (6.8 million weekly times) slow to build */
    {"too many output times", "[trial]\nmodel = cart\n[times]\nhorizon = 47413274\n",
     CART_ETIMES, 4, "more than 1000000 output times"},
    {"step 0", "[trial]\nmodel = cart\n[times]\nhorizon = 28\nstep = 0\n", CART_ETIMES, 5,
     "step"},
    {"early_step without early_until", "[trial]\nmodel = cart\n[times]\nearly_step = 1\n",
     CART_EPARSE, 4, "early_until"},
    {"early_until past the horizon",
     "[trial]\nmodel = cart\n[times]\nhorizon = 28\nearly_step = 1\nearly_until = 30\n",
     CART_ETIMES, 6, "early_until"},
    {"early_step 0", "[trial]\nmodel = cart\n[times]\nearly_step = 0\nearly_until = 28\n",
     CART_ETIMES, 4, "early_step"},
    {"times list and early_step",
     "[trial]\nmodel = cart\n[times]\nlist = 0, 1\nearly_step = 1\nearly_until = 1\n",
     CART_EPARSE, 5, "early_step"},
    {"step negative", "[trial]\nmodel = cart\n[times]\nstep = -7\nhorizon = 28\n", CART_ETIMES,
     4, "step"},
    {"unknown state in atol", "[trial]\nmodel = cart\n[solver]\natol.E = 1\natol.IL7 = 1e-3\n",
     CART_EUNKNOWN_PARAM, 5, "IL7"},
    {"atol not positive", "[trial]\nmodel = cart\n[solver]\natol.E = 0\n", CART_ERANGE, 4,
     "atol.E"},
    {"unknown method", "[trial]\nmodel = cart\n[solver]\nmethod = euler\n", CART_EPARSE, 4,
     "euler"},
    {"rtol negative", "[trial]\nmodel = cart\n[solver]\nrtol = -1\n", CART_ERANGE, 4, "rtol"},
    {"rtol 1e300", "[trial]\nmodel = cart\n[solver]\nrtol = 1e300\n", CART_ERANGE, 4,
     "rtol: 1e+300 must be in (0, 0.1]"},
    {"crs thresholds not increasing", "[trial]\nmodel = cart\n[endpoints]\ncrs_g2 = 30\n",
     CART_ERANGE, 4, "crs_g2"},
    {"endpoint not positive", "[trial]\nmodel = cart\n[endpoints]\nt_resp = 0\n", CART_ERANGE, 4,
     "t_resp"},
    /* a key besides the trial-wide ones is a setting of the model's own: cart has none */
    {"unknown endpoint setting",
     "[trial]\nmodel = cart\n[endpoints]\nn_detect = 1e8\nf_fall = 0.2\n", CART_EUNKNOWN_PARAM, 5,
     "[endpoints] f_fall: model 'cart' has no endpoint setting 'f_fall' (settings: n_detect, "
     "t_resp, f_aplasia, crs_g1, crs_g2, crs_g3, crs_g4, auc_end)"},
    {"endpoint setting not a number", "[trial]\nmodel = cart\n[endpoints]\nf_fall = x\n",
     CART_EPARSE, 4, "f_fall"},
    {"unknown output", "[trial]\nmodel = cart\n[outputs]\ntrajectories = Cblood, IL7\n",
     CART_EUNKNOWN_PARAM, 4, "IL7"},
    {"output twice", "[trial]\nmodel = cart\n[outputs]\ntrajectories = B, B\n", CART_EINVAL, 4,
     "B"},
    {"empty output name", "[trial]\nmodel = cart\n[outputs]\ntrajectories = B,,E\n", CART_EPARSE,
     4, "empty"},
    {"syntax error", "[trial]\nmodel = cart\n[parameters]\nrho 0.5\n", CART_EPARSE, 4, "syntax"},
    {"unclosed section", "[trial]\nmodel = cart\n[parameters\n", CART_EPARSE, 3, "syntax"},
    {"the first error by line wins", "[trial]\nmodel = cart\nmodle = 1\nno equals sign\n",
     CART_EPARSE, 3, "modle"},
    {"a syntax error before a key error", "[trial]\nno equals sign\nmodle = 1\n", CART_EPARSE, 2,
     "syntax"},
    {"rule neither on nor off", "[trial]\nmodel = cart\n[tocilizumab]\nrule = maybe\n",
     CART_EPARSE, 4, "'maybe'"},
    {"rule given twice", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\nrule = off\n",
     CART_EPARSE, 5, "first at line 4"},
    {"max_doses 0", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\n\nmax_doses = 0\n",
     CART_EDOSE, 6, "max_doses"},
    {"max_doses 17", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\nmax_doses = 17\n",
     CART_EDOSE, 5, "max_doses"},
    {"max_doses huge",
     "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\nmax_doses = 99999999999999999999\n",
     CART_EPARSE, 5, "max_doses"},
    {"max_doses 2.5", "[trial]\nmodel = cart\n[tocilizumab]\nmax_doses = 2.5\nrule = on\n",
     CART_EPARSE, 4, "'2.5'"},
    {"trigger -1", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ntrigger = -1\n",
     CART_EDOSE, 5, "trigger"},
    {"trigger 0 with the rule off",
     "[trial]\nmodel = cart\n[tocilizumab]\nrule = off\ncap_mg = 600\ntrigger = 0\n",
     CART_EDOSE, 6, "trigger"},
    {"interval_h 0", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ninterval_h = 0\n",
     CART_EDOSE, 5, "interval_h"},
    {"mg_per_kg 0", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\nmg_per_kg = 0\n",
     CART_EDOSE, 5, "mg_per_kg"},
    {"cap_mg -1", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ncap_mg = -1\n",
     CART_EDOSE, 5, "cap_mg"},
    {"infusion_h -1", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ninfusion_h = -1\n",
     CART_EDOSE, 5, "infusion_h"},
    {"delay_h -1", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ndelay_h = -1\n",
     CART_EDOSE, 5, "delay_h"},
    {"delay_h over 30 days", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ndelay_h = 721\n",
     CART_EDOSE, 5, "delay_h"},
    {"delay_h not a number",
     "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\n\ndelay_h = soon\n", CART_EPARSE, 6,
     "'soon'"},
    {"delay_h nan", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ndelay_h = nan\n",
     CART_EPARSE, 5, "delay_h"},
    {"delay_h given twice",
     "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ndelay_h = 1\ndelay_h = 2\n", CART_EPARSE,
     6, "first at line 5"},
    {"the first bad rule setting by line",
     "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\nmg_per_kg = -8\ntrigger = -1\n",
     CART_EDOSE, 5, "mg_per_kg"},
    {"trigger not a number", "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ntrigger = high\n",
     CART_EPARSE, 5, "'high'"},
    {"unknown key in [tocilizumab]",
     "[trial]\nmodel = cart\n[tocilizumab]\nrule = on\ninterval = 8\n", CART_EPARSE, 5,
     "'interval'"},
    {"settings without rule = on",
     "[trial]\nmodel = cart\n[tocilizumab]\n\ninterval_h = 12\ntrigger = 500\n", CART_EPARSE, 5,
     "[tocilizumab] settings without rule = on"},
    {"settings without rule = on, sections repeated",
     "[tocilizumab]\nmax_doses = 2\n[trial]\nmodel = cart\n[tocilizumab]\ntrigger = 500\n",
     CART_EPARSE, 2, "[tocilizumab] settings without rule = on"},
    {"n_ext -1", "[trial]\nmodel = cart\n[events]\nn_ext = -1\n", CART_ERANGE, 4, "n_ext"},
    {"n_ext infinite", "[trial]\nmodel = cart\n[events]\nn_ext = inf\n", CART_EPARSE, 4,
     "finite"},
    {"n_ext given twice", "[trial]\nmodel = cart\n[events]\nn_ext = 1\nn_ext = 2\n", CART_EPARSE,
     5, "first at line 4"},
    {"unknown key in [events]", "[trial]\nmodel = cart\n[events]\nn_extinct = 1\n", CART_EPARSE,
     4, "'n_extinct'"},
    {"a long line",
     "[trial]\nmodel = cart\n[times]\nlist = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, "
     "15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, "
     "37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53\n",
     CART_EPARSE, 4, "longer than"},
};

START_TEST(test_errors)
{
  const bad_case *c = &bad_cases[_i];
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(c->text, "test.ini", &err);
  ck_assert_msg(trial == NULL, "%s: loaded", c->what);
  ck_assert_msg(err.code == c->code, "%s: %s instead of %s (%s)", c->what,
                cart_status_name(err.code), cart_status_name(c->code), err.message);
  char prefix[32];
  snprintf(prefix, sizeof prefix, "test.ini:%d: ", c->line);
  ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0, "%s: message '%s', not %s...",
                c->what, err.message, prefix);
  ck_assert_msg(c->mentions == NULL || strstr(err.message, c->mentions) != NULL,
                "%s: message '%s' does not mention '%s'", c->what, err.message, c->mentions);
}
END_TEST

/* The scenario reads doses with cart_grammar.h, as cart run and Python do: each text gives the
 * doses that cart_parse_*_dose give, with the expected values (so the owner itself is held
 * too), and a bad text the same message after "[dosing] KEY = TEXT: ". */
static const char *const cart_dose_texts[] = {"14:1e8", " 7 : 2e8 : 0.25 ", "0:3e8", "0:2e8:0.5"};
static const cart_cart_dose cart_dose_expected[] = {
    {14, 1e8, CART_FMEM_FROM_PARAMS}, {7, 2e8, 0.25}, {0, 3e8, CART_FMEM_FROM_PARAMS}, {0, 2e8, 0.5}};
static const char *const toci_dose_texts[] = {"5:8", "4:8:2:600", "3:4:0"};
static const cart_toci_dose toci_dose_expected[] = {
    {5, 8, 1.0 / 24.0, 800}, {4, 8, 2.0 / 24.0, 600}, {3, 4, 0, 800}};

START_TEST(test_doses_as_the_grammar_reads_them)
{
  char text[256];
  for (size_t i = 0; i < sizeof cart_dose_texts / sizeof cart_dose_texts[0]; i++) {
    cart_cart_dose parsed;
    ck_assert_int_eq(cart_parse_cart_dose(cart_dose_texts[i], &parsed, NULL), CART_OK);
    ck_assert_double_eq(parsed.time, cart_dose_expected[i].time);
    ck_assert_double_eq(parsed.cells, cart_dose_expected[i].cells);
    ck_assert(isnan(parsed.f_mem) ? isnan(cart_dose_expected[i].f_mem)
                                  : parsed.f_mem == cart_dose_expected[i].f_mem);
    snprintf(text, sizeof text, "[trial]\nmodel = cart\n[dosing]\ncart = %s\n", cart_dose_texts[i]);
    cart_trial *trial = load_ok(text);
    const cart_dosing *dosing = cart_trial_dosing(trial);
    if (parsed.time == 0) {
      /* the t = 0 rule: the initial infusion is the parameter dose, not a schedule entry */
      ck_assert_int_eq(cart_cart_dose_is_initial(cart_trial_model(trial), parsed.time), 1);
      ck_assert_uint_eq(cart_dosing_n_cart(dosing), 0);
      ck_assert_double_eq(typical_value(trial, "dose"), parsed.cells);
      if (!isnan(parsed.f_mem)) {
        ck_assert_double_eq(typical_value(trial, "f_mem"), parsed.f_mem);
      }
    } else {
      cart_cart_dose dose;
      ck_assert_uint_eq(cart_dosing_n_cart(dosing), 1);
      ck_assert_int_eq(cart_dosing_get_cart(dosing, 0, &dose), CART_OK);
      ck_assert_double_eq(dose.time, parsed.time);
      ck_assert_double_eq(dose.cells, parsed.cells);
      ck_assert(isnan(parsed.f_mem) ? isnan(dose.f_mem) : dose.f_mem == parsed.f_mem);
    }
    cart_trial_free(trial);
  }
  for (size_t i = 0; i < sizeof toci_dose_texts / sizeof toci_dose_texts[0]; i++) {
    cart_toci_dose parsed, dose;
    ck_assert_int_eq(cart_parse_toci_dose(toci_dose_texts[i], &parsed, NULL), CART_OK);
    ck_assert_double_eq(parsed.time, toci_dose_expected[i].time);
    ck_assert_double_eq(parsed.mg_per_kg, toci_dose_expected[i].mg_per_kg);
    ck_assert_double_eq_tol(parsed.duration_day, toci_dose_expected[i].duration_day, 1e-15);
    ck_assert_double_eq(parsed.cap_mg, toci_dose_expected[i].cap_mg);
    snprintf(text, sizeof text, "[trial]\nmodel = cart\n[dosing]\ntoci = %s\n", toci_dose_texts[i]);
    cart_trial *trial = load_ok(text);
    ck_assert_int_eq(cart_dosing_get_toci(cart_trial_dosing(trial), 0, &dose), CART_OK);
    ck_assert_double_eq(dose.time, parsed.time);
    ck_assert_double_eq(dose.duration_day, parsed.duration_day);
    ck_assert_double_eq(dose.cap_mg, parsed.cap_mg);
    cart_trial_free(trial);
  }
}
END_TEST

static const struct {
  const char *key, *text;
} bad_dose_texts[] = {{"cart", "5"},         {"cart", "14:lots"},  {"cart", "nan:1e8"},
                      {"cart", "14::1e8"},   {"cart", "1:2:0.5:4"}, {"cart", "7:1e8:-1"},
                      {"toci", "3"},         {"toci", "3:8:x"},    {"toci", "1:2:3:4:5"}};

START_TEST(test_bad_dose_same_message)
{
  const char *key = bad_dose_texts[_i].key, *value = bad_dose_texts[_i].text;
  cart_error parsed, loaded;
  cart_cart_dose cart_dose;
  cart_toci_dose toci_dose;
  const int code = strcmp(key, "cart") == 0 ? cart_parse_cart_dose(value, &cart_dose, &parsed)
                                            : cart_parse_toci_dose(value, &toci_dose, &parsed);
  ck_assert_int_lt(code, 0);
  char text[256], expected[512];
  snprintf(text, sizeof text, "[trial]\nmodel = cart\n[dosing]\n%s = %s\n", key, value);
  ck_assert_ptr_null(cart_trial_new_from_scenario(text, "test.ini", &loaded));
  snprintf(expected, sizeof expected, "test.ini:4: [dosing] %s = %s: %s", key, value,
           parsed.message);
  ck_assert_int_eq(loaded.code, code);
  ck_assert_str_eq(loaded.message, expected);
}
END_TEST

/* Times and the rule's hours: the scenario's list is cart_parse_time_list's, and its hours are
 * converted by cart_days_from_hours (CART_HOURS_PER_DAY), as cart run's --toci-rule. */
START_TEST(test_times_and_hours_as_the_grammar_reads_them)
{
  double list[4];
  size_t n = 0;
  ck_assert_int_eq(cart_parse_time_list(" 0, 1.5 ,7,28", list, 4, &n, NULL), CART_OK);
  ck_assert_uint_eq(n, 4);
  cart_trial *trial = load_ok("[trial]\nmodel = cart\n[times]\nlist = 0, 1.5 ,7,28\n"
                              "[tocilizumab]\nrule = on\ninterval_h = 6\ndelay_h = 12\n"
                              "infusion_h = 2\n");
  size_t n_times = 0;
  const double *times = cart_trial_times(trial, &n_times);
  ck_assert_uint_eq(n_times, n);
  for (size_t k = 0; k < n; k++) {
    ck_assert_double_eq(times[k], list[k]);
  }
  ck_assert_double_eq(list[1], 1.5);
  cart_toci_rule rule, parsed;
  cart_dosing_get_toci_rule(cart_trial_dosing(trial), &rule);
  ck_assert_int_eq(cart_parse_toci_rule("200:6:4:8:12", &parsed, NULL), CART_OK);
  ck_assert_double_eq(rule.interval_day, parsed.interval_day);
  ck_assert_double_eq(rule.delay_day, parsed.delay_day);
  ck_assert_double_eq(rule.interval_day, cart_days_from_hours(6));
  ck_assert_double_eq_tol(rule.interval_day, 0.25, 1e-15);
  ck_assert_double_eq_tol(rule.duration_day, 2.0 / 24.0, 1e-15);
  ck_assert_double_eq(cart_days_from_hours(CART_HOURS_PER_DAY), 1.0);
  cart_trial_free(trial);

  /* A:B:STEP, and its count first */
  ck_assert_int_eq(cart_parse_times("0:1:0.1", NULL, 0, &n, NULL), CART_OK);
  ck_assert_uint_eq(n, 11);
  double grid[11];
  ck_assert_int_eq(cart_parse_times("0:1:0.1", grid, 11, &n, NULL), CART_OK);
  ck_assert_double_eq(grid[10], 1.0);
  cart_error err;
  ck_assert_int_eq(cart_parse_times("0:10:-1", grid, 11, &n, &err), CART_ETIMES);
  ck_assert_str_eq(err.message, "expected A:B:STEP with 0 <= A <= B and STEP > 0");
  ck_assert_int_eq(cart_parse_time_list("0,x", NULL, 0, &n, &err), CART_EPARSE);
  ck_assert_str_eq(err.message, "'x' is not a number");
  ck_assert_int_eq(cart_parse_toci_rule("200:8:2.5", &parsed, &err), CART_EDOSE);
  ck_assert_int_eq(cart_parse_toci_rule("off", &parsed, NULL), CART_OK);
  ck_assert_int_eq(parsed.enabled, 0);
}
END_TEST

/* cart_dose_give_cart: the one t = 0 rule. */
START_TEST(test_give_cart_dose)
{
  const cart_model *model = cart_model_find("cart", NULL);
  cart_params *params = cart_params_new(model, NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  int initial = 0;
  cart_error err;
  const cart_cart_dose first = {0, 2e8, 0.5}, later = {14, 1e8, CART_FMEM_FROM_PARAMS};
  ck_assert_int_eq(cart_dose_give_cart(params, dosing, &first, &initial, &err), CART_OK);
  ck_assert_int_eq(initial, 1);
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 0);
  double value;
  cart_params_get(params, "dose", &value);
  ck_assert_double_eq(value, 2e8);
  cart_params_get(params, "f_mem", &value);
  ck_assert_double_eq(value, 0.5);
  ck_assert_int_eq(cart_dose_give_cart(params, dosing, &later, &initial, &err), CART_OK);
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 1);
  ck_assert_int_eq(cart_dose_give_cart(params, dosing, &first, &initial, &err), CART_EDOSE);
  ck_assert_str_eq(err.message, "a CAR-T dose at t = 0 was already given");
  /* stein has no parameter dose: its t = 0 dose is a schedule entry (refused at solve time) */
  ck_assert_int_eq(cart_cart_dose_is_initial(cart_model_find("stein", NULL), 0), 0);
  ck_assert_int_eq(cart_cart_dose_is_initial(model, 1e-300), 0);
  cart_dosing_free(dosing);
  cart_params_free(params);
}
END_TEST

/* The patients table grammar (cart_parse_table): names, rows, an id column of labels, comments
 * and quotes; every malformed table names its line and column. */
START_TEST(test_parse_table)
{
  cart_table *t = NULL;
  cart_error err;
  const char *text = "# weight and burden\n\"ID\", WT , T0\nA-1, 62, 5e10\n\n# next\nB 2,85,2e11\n";
  ck_assert_int_eq(cart_parse_table(text, "p.csv", &t, &err), CART_OK);
  ck_assert_uint_eq(t->n_columns, 2);
  ck_assert_uint_eq(t->n_rows, 2);
  ck_assert_str_eq(t->names[0], "WT");
  ck_assert_str_eq(t->names[1], "T0");
  ck_assert_double_eq(t->values[0], 62);
  ck_assert_double_eq(t->values[1], 5e10);
  ck_assert_double_eq(t->values[2], 85);
  ck_assert_double_eq(t->values[3], 2e11);
  cart_table_free(t);
  static const struct {
    const char *text, *message;
    int code;
  } bad[] = {
      {"", "p.csv: no header line", CART_EPARSE},
      {"# only\n\n", "p.csv: no header line", CART_EPARSE},
      {"WT\n", "p.csv: the table has a header but no rows", CART_EPARSE},
      {"WT,,T0\n1,2,3\n", "p.csv:1: column 2 has no name", CART_EPARSE},
      {"WT,T0,WT\n1,2,3\n", "p.csv:1: column 'WT' is named twice", CART_EPARSE},
      {"WT,T0\n1,2\n3\n", "p.csv:3: a different number of fields where the header has 2",
       CART_EPARSE},
      {"WT,T0\n1,2,3\n", "p.csv:2: a different number of fields where the header has 2",
       CART_EPARSE},
      {"WT,T0\n1,abc\n", "p.csv:2: column 'T0': 'abc' is not a finite number", CART_EPARSE},
      {"id,WT\nx,inf\n", "p.csv:2: column 'WT': 'inf' is not a finite number", CART_EPARSE},
      {"ID\np1\np2\n", "p.csv: the table has no column besides id", CART_EPARSE},
  };
  /* the column limit: CART_TABLE_MAX_COLUMNS besides id, not one more */
  char wide[4096] = "id";
  for (int c = 0; c <= CART_TABLE_MAX_COLUMNS; c++) {
    snprintf(wide + strlen(wide), sizeof wide - strlen(wide), ",c%d", c);
  }
  ck_assert_int_eq(cart_parse_table(wide, "p.csv", &t, &err), CART_ERANGE);
  ck_assert_ptr_null(t);
  *strrchr(wide, ',') = '\0'; /* exactly the limit, and a row */
  strcat(wide, "\nx");
  for (int c = 0; c < CART_TABLE_MAX_COLUMNS; c++) {
    strcat(wide, ",1");
  }
  ck_assert_int_eq(cart_parse_table(wide, "p.csv", &t, &err), CART_OK);
  ck_assert_uint_eq(t->n_columns, CART_TABLE_MAX_COLUMNS);
  cart_table_free(t);
  /* label columns (cart_parse_table_labels): at most 8, those of the names listed first when the
   * header has more (here all nine, in the reverse order), kept in the header's order; a name's
   * second column is a number column */
  static const char *const nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", NULL};
  ck_assert_int_eq(cart_parse_table_labels("I,H,G,F,E,D,C,B,A,a,x\n9,h,g,f,e,d,c,b,a,1,2\n",
                                           "l.csv", nine, ',', &t, &err),
                   CART_OK);
  ck_assert_uint_eq(t->n_label_columns, 8);
  ck_assert_str_eq(t->label_names[0], "H");
  ck_assert_str_eq(t->label_names[7], "A");
  ck_assert_str_eq(t->labels[0], "h");
  ck_assert_uint_eq(t->n_columns, 3);
  ck_assert_str_eq(t->names[0], "I");
  ck_assert_str_eq(t->names[1], "a");
  ck_assert_double_eq(t->values[0], 9);
  ck_assert_double_eq(t->values[1], 1);
  cart_table_free(t);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    t = (cart_table *)&err; /* must be reset to NULL */
    ck_assert_int_eq(cart_parse_table(bad[i].text, "p.csv", &t, &err), bad[i].code);
    ck_assert_ptr_null(t);
    ck_assert_msg(strncmp(err.message, bad[i].message, strlen(bad[i].message)) == 0,
                  "case %zu: '%s'", i, err.message);
  }
}
END_TEST

/* [patients] file relative to the scenario's directory, and [dosing] dose_per_kg with its cap:
 * each patient's WT from the table, the dose min(2e6 WT, 1.5e8). */
START_TEST(test_patients_file_and_dose_per_kg)
{
  char dir[] = "/tmp/cart-scenario-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char csv[64], ini[64];
  snprintf(csv, sizeof csv, "%s/p.csv", dir);
  snprintf(ini, sizeof ini, "%s/s.ini", dir);
  FILE *f = fopen(csv, "w");
  ck_assert_ptr_nonnull(f);
  fputs("id,WT\np1,50\np2,90\n", f);
  ck_assert_int_eq(fclose(f), 0);
  const char *text = "[trial]\nmodel = cart\nn_patients = 4\n[dosing]\ndose_per_kg = 2e6\n"
                     "dose_cap = 1.5e8\n[patients]\nfile = p.csv\n";
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(text, ini, &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  double cap;
  ck_assert_double_eq(cart_trial_dose_per_kg(trial, &cap), 2e6);
  ck_assert_double_eq(cap, 1.5e8);
  cart_trial_block *block = cart_trial_block_new(trial, 4, NULL);
  cart_trial_workspace *ws = cart_trial_workspace_new(trial, 1, NULL);
  ck_assert_int_eq(cart_trial_run_block(trial, ws, 0, 4, block), CART_OK);
  const cart_model *model = cart_trial_model(trial);
  const int wt = cart_model_param_index(model, "WT"), dose = cart_model_param_index(model, "dose");
  const size_t np = cart_model_n_params(model);
  ck_assert_double_eq(block->params[wt], 50);
  ck_assert_double_eq(block->params[np + wt], 90);
  ck_assert_double_eq(block->params[dose], 1e8);         /* 2e6 x 50 */
  ck_assert_double_eq(block->params[np + dose], 1.5e8);  /* 2e6 x 90 = 1.8e8, capped */
  for (size_t i = 2; i < 4; i++) { /* resampled rows */
    const double w = block->params[i * np + wt];
    ck_assert(w == 50 || w == 90);
    ck_assert_double_eq(block->params[i * np + dose], fmin(2e6 * w, 1.5e8));
  }
  cart_trial_workspace_free(ws);
  cart_trial_block_free(block);
  cart_trial_free(trial);
  /* errors: a missing file (named), dose_cap alone, a column of the table with a cv */
  ck_assert_ptr_null(cart_trial_new_from_scenario(
      "[trial]\nmodel = cart\n[patients]\nfile = missing.csv\n", ini, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "missing.csv"));
  ck_assert_ptr_nonnull(strstr(err.message, "s.ini:4: [patients] file:"));
  ck_assert_ptr_null(cart_trial_new_from_scenario(
      "[trial]\nmodel = cart\n[dosing]\ndose_cap = 1e8\n", ini, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "dose_cap: only with dose_per_kg"));
  ck_assert_ptr_null(cart_trial_new_from_scenario(
      "[trial]\nmodel = cart\n[variability]\nWT = 0.2\n[patients]\nfile = p.csv\n", ini, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "'WT' is a column of the patients table"));
  ck_assert_ptr_null(cart_trial_new_from_scenario(
      "[trial]\nmodel = stein\n[dosing]\ndose_per_kg = 2e6\n", ini, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "no dose and body-weight parameters"));
  remove(csv);
  rmdir(dir);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("scenario");
  TCase *tc = tcase_create("scenario");
  tcase_add_test(tc, test_default_scenario);
  tcase_add_test(tc, test_example_files);
  tcase_add_test(tc, test_keys);
  tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
  tcase_add_test(tc, test_doses_as_the_grammar_reads_them);
  tcase_add_loop_test(tc, test_bad_dose_same_message, 0,
                      (int)(sizeof bad_dose_texts / sizeof bad_dose_texts[0]));
  tcase_add_test(tc, test_times_and_hours_as_the_grammar_reads_them);
  tcase_add_test(tc, test_give_cart_dose);
  tcase_add_test(tc, test_parse_table);
  tcase_add_test(tc, test_patients_file_and_dose_per_kg);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
