/* check_solve_endpoints.c: one patient's endpoints outside a trial (cart_endpoint_plan,
 * cart_solver_solve_endpoints) are the trial's for that patient, bit for bit. The reference is
 * the trial path itself: a trial of a few varied patients of cart, cart2 and stein is run into a
 * block (several patients in flight per thread, SIMD lanes where the model has them), and each
 * patient is solved again alone from its block parameters with the trial's doses, times and
 * settings: plain, with the tocilizumab rule, fixed tocilizumab and a second CAR-T dose, and with
 * settings changed by name. Then the errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart.h>

#include "test_util.h"

#define N_PATIENTS 5

/* What a case changes from a model's default trial. */
typedef struct trial_case {
  const char *model;
  const char *const *varied; /* parameters drawn with cv 0.3, NULL-terminated */
  int toci;                  /* the rule on, a fixed dose at day 20, a CAR-T dose at day 30 */
  int settings;              /* endpoint settings changed by name, trial and plan alike */
  int plan_from_trial;       /* the plan copied from the trial, else set by name */
} trial_case;

static const char *const cart_varied[] = {"rho", "gamma", "delta_E", "T0", "p_amp", NULL};
static const char *const stein_varied[] = {"c0", "rho", "tmax", "alpha", NULL};

/* The settings a case changes, by name: (name, value) pairs for each model's endpoints. */
static const struct {
  const char *name;
  double value;
} cart_settings[] = {{"crs_g1", 20}, {"crs_g2", 150}, {"t_resp", 60}, {"f_aplasia", 0.2},
                     {"n_detect", 1e8}, {"auc_end", 14}},
  stein_settings[] = {{"auc_end", 10}};

static int same_value(double a, double b)
{
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static cart_trial *case_trial(const trial_case *c)
{
  cart_error err;
  cart_trial *trial = cart_trial_new(cart_model_find(c->model, NULL), &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, N_PATIENTS), CART_OK);
  cart_trial_set_seed(trial, 3);
  double times[41];
  for (int i = 0; i <= 40; i++) {
    times[i] = 5.0 * i; /* to day 200: past every response and relapse window */
  }
  ck_assert_int_eq(cart_trial_set_times(trial, times, 41), CART_OK);
  for (const char *const *name = c->varied; *name; name++) {
    ck_assert_int_eq(cart_population_set_cv(cart_trial_edit_population(trial), *name, 0.3),
                     CART_OK);
  }
  if (c->toci) {
    cart_dosing *dosing = cart_trial_edit_dosing(trial);
    cart_toci_rule rule;
    cart_toci_rule_default(&rule);
    rule.trigger = 100; /* low enough that most patients get rule doses */
    ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
    ck_assert_int_eq(cart_dosing_add_toci(dosing, 20.0, 4.0, 1.0 / 24, 800), CART_OK);
    ck_assert_int_eq(cart_dosing_add_cart(dosing, 30.0, 5e7, 0.5), CART_OK);
  }
  return trial;
}

/* The plan of a case: the trial's own settings, or the same changes made by name. */
static cart_endpoint_plan *case_plan(const trial_case *c, cart_trial *trial)
{
  const int stein = strcmp(c->model, "stein") == 0;
  const size_t n = stein ? sizeof stein_settings / sizeof stein_settings[0]
                         : sizeof cart_settings / sizeof cart_settings[0];
  cart_error err;
  cart_endpoint_plan *plan = c->plan_from_trial
                                 ? NULL
                                 : cart_endpoint_plan_new(cart_trial_model(trial), &err);
  for (size_t i = 0; c->settings && i < n; i++) {
    const char *name = stein ? stein_settings[i].name : cart_settings[i].name;
    const double value = stein ? stein_settings[i].value : cart_settings[i].value;
    ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, name, value), CART_OK);
    if (plan != NULL) {
      ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, name, value), CART_OK);
      double back;
      ck_assert_int_eq(cart_endpoint_plan_setting(plan, name, &back), CART_OK);
      ck_assert_double_eq(back, value);
    }
  }
  if (c->plan_from_trial) {
    plan = cart_endpoint_plan_from_trial(trial, &err);
  }
  ck_assert_msg(plan != NULL, "%s", err.message);
  ck_assert_ptr_eq(cart_endpoint_plan_model(plan), cart_trial_model(trial));
  return plan;
}

/* Runs the case's trial and solves each patient alone; returns the rule doses seen in all. */
static size_t check_case(const trial_case *c)
{
  cart_trial *trial = case_trial(c);
  cart_endpoint_plan *plan = case_plan(c, trial);
  cart_trial_block *block = cart_trial_block_new(trial, N_PATIENTS, NULL);
  ck_assert_ptr_nonnull(block);
  ck_assert_int_eq(test_run_block(trial, 0, N_PATIENTS, 1, block), CART_OK);

  const cart_model *model = cart_trial_model(trial);
  const size_t n_params = cart_model_n_params(model), n_states = cart_model_n_states(model);
  const size_t n_endpoints = cart_model_n_endpoints(model);
  size_t n_times = 0;
  const double *times = cart_trial_times(trial, &n_times);
  cart_error err;
  cart_solver *solver = cart_solver_new(model, &err);
  ck_assert_msg(solver != NULL, "%s", err.message);
  cart_params *params = cart_params_new(model, &err);
  double *states = malloc(n_times * n_states * sizeof *states);
  double endpoints[64];
  size_t rule_doses = 0;
  for (size_t k = 0; k < N_PATIENTS; k++) {
    ck_assert_int_eq(block->status[k], CART_OK);
    for (size_t i = 0; i < n_params; i++) {
      ck_assert_int_eq(cart_params_set_index(params, i, block->params[k * n_params + i]), CART_OK);
    }
    const int status = cart_solver_solve_endpoints(solver, params, cart_trial_dosing(trial), plan,
                                                   times, n_times, states, NULL, endpoints);
    ck_assert_msg(status == CART_OK, "%s patient %zu: %s", c->model, k,
                  cart_solver_last_error(solver)->message);
    for (size_t e = 0; e < n_endpoints; e++) {
      cart_endpoint_info info;
      cart_model_endpoint_info(model, e, &info);
      const double want = block->endpoints[k * n_endpoints + e];
      ck_assert_msg(same_value(endpoints[e], want), "%s patient %zu %s: %.17g alone, %.17g in the "
                    "trial", c->model, k, info.name, endpoints[e], want);
    }
    for (size_t i = 0; i < cart_solver_n_events(solver); i++) {
      cart_event_record record;
      cart_solver_get_event(solver, i, &record);
      rule_doses += record.kind == CART_EVENT_TOCI_RULE;
    }
  }
  free(states);
  cart_params_free(params);
  cart_solver_free(solver);
  cart_trial_block_free(block);
  cart_endpoint_plan_free(plan);
  cart_trial_free(trial);
  return rule_doses;
}

/* Each model plain, with tocilizumab and a second dose, with settings by name (set on a new
 * plan) and with changed settings copied from the trial. */
static const trial_case cases[] = {
    {"cart", cart_varied, 0, 0, 1},  {"cart", cart_varied, 1, 0, 1},
    {"cart", cart_varied, 1, 1, 0},  {"cart", cart_varied, 0, 1, 1},
    {"cart2", cart_varied, 0, 0, 1}, {"cart2", cart_varied, 1, 1, 0},
    {"stein", stein_varied, 0, 0, 1}, {"stein", stein_varied, 0, 1, 0},
};

START_TEST(test_equals_the_trial)
{
  const size_t rule_doses = check_case(&cases[_i]);
  if (cases[_i].toci) {
    ck_assert_uint_gt(rule_doses, 0); /* the rule gave doses: their count was compared */
  } else {
    ck_assert_uint_eq(rule_doses, 0);
  }
}
END_TEST

/* NULL plan: the defaults, as a plan just made. */
START_TEST(test_null_plan_is_the_defaults)
{
  const cart_model *model = cart_model_find("cart", NULL);
  cart_endpoint_plan *plan = cart_endpoint_plan_new(model, NULL);
  cart_solver *solver = cart_solver_new(model, NULL);
  cart_params *params = cart_params_new(model, NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  const double times[] = {0, 30, 120};
  double states[3 * 16], a[64], b[64];
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, dosing, NULL, times, 3, states,
                                               NULL, a), CART_OK);
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, dosing, plan, times, 3, states,
                                               NULL, b), CART_OK);
  for (size_t e = 0; e < cart_model_n_endpoints(model); e++) {
    ck_assert(same_value(a[e], b[e]));
  }
  /* the states are cart_solver_solve's */
  double plain[3 * 16];
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, 3, plain, NULL), CART_OK);
  ck_assert_int_eq(memcmp(plain, states, 3 * cart_model_n_states(model) * sizeof(double)), 0);
  /* toci_doses: the rule's doses, every one logged */
  size_t rule_doses = 0;
  for (size_t i = 0; i < cart_solver_n_events(solver); i++) {
    cart_event_record record;
    cart_solver_get_event(solver, i, &record);
    rule_doses += record.kind == CART_EVENT_TOCI_RULE;
  }
  ck_assert_uint_gt(rule_doses, 0);
  ck_assert_double_eq(a[CART_ENDPOINT_TOCI_DOSES], (double)rule_doses);
  cart_dosing_free(dosing);
  cart_params_free(params);
  cart_solver_free(solver);
  cart_endpoint_plan_free(plan);
}
END_TEST

START_TEST(test_errors)
{
  const cart_model *cart = cart_model_find("cart", NULL), *stein = cart_model_find("stein", NULL);
  cart_error err;
  ck_assert_ptr_null(cart_endpoint_plan_new(NULL, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_ptr_null(cart_endpoint_plan_from_trial(NULL, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  cart_endpoint_plan *plan = cart_endpoint_plan_new(cart, &err);
  cart_endpoint_plan *stein_plan = cart_endpoint_plan_new(stein, &err);
  ck_assert_ptr_nonnull(plan);

  /* settings: unknown names, bounds, NULL */
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, "crs_g9", 1), CART_EUNKNOWN_PARAM);
  ck_assert_ptr_nonnull(strstr(cart_endpoint_plan_last_error(plan)->message, "crs_g4"));
  ck_assert_int_eq(cart_endpoint_plan_set_setting(stein_plan, "crs_g1", 1), CART_OK);
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, "t_resp", -1), CART_ERANGE);
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, "t_resp", NAN), CART_ERANGE);
  double value;
  ck_assert_int_eq(cart_endpoint_plan_setting(plan, "t_resp", &value), CART_OK);
  ck_assert_double_eq(value, 90); /* unchanged */
  ck_assert_int_eq(cart_endpoint_plan_setting(plan, "nope", &value), CART_EUNKNOWN_PARAM);
  ck_assert_int_eq(cart_endpoint_plan_set_setting(NULL, "t_resp", 1), CART_EINVAL);
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, NULL, 1), CART_EINVAL);
  ck_assert_int_eq(cart_endpoint_plan_setting(plan, "t_resp", NULL), CART_EINVAL);
  ck_assert_ptr_null(cart_endpoint_plan_last_error(NULL));
  ck_assert_ptr_null(cart_endpoint_plan_model(NULL));
  cart_endpoint_plan_free(NULL);

  cart_solver *solver = cart_solver_new(cart, NULL);
  cart_params *params = cart_params_new(cart, NULL), *stein_params = cart_params_new(stein, NULL);
  const double times[] = {0, 10};
  double states[2 * 16], endpoints[64];
  ck_assert_int_eq(cart_solver_solve_endpoints(NULL, params, NULL, plan, times, 2, states, NULL,
                                               endpoints), CART_EINVAL);
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, NULL, NULL, plan, times, 2, states, NULL,
                                               endpoints), CART_EINVAL);
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, NULL, plan, times, 2, states, NULL,
                                               NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, NULL, plan, NULL, 2, states, NULL,
                                               endpoints), CART_EINVAL);
  ck_assert(isnan(endpoints[0]));
  /* the wrong model: parameters, plan */
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, stein_params, NULL, plan, times, 2, states,
                                               NULL, endpoints), CART_EINVAL);
  ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "stein"));
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, NULL, stein_plan, times, 2, states,
                                               NULL, endpoints), CART_EINVAL);
  ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "endpoint plan"));
  /* settings that fail the trial's check as a whole: crs_g1 above crs_g2 */
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, "crs_g1", 300), CART_OK);
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, NULL, plan, times, 2, states, NULL,
                                               endpoints), CART_ERANGE);
  ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "crs_g1 < crs_g2"));
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, "crs_g2", 400), CART_OK);
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, NULL, plan, times, 2, states, NULL,
                                               endpoints), CART_OK);
  ck_assert(!isnan(endpoints[CART_ENDPOINT_CMAX]));
  /* a failed solve: its code, NaN endpoints */
  ck_assert_int_eq(cart_solver_set_max_steps(solver, 2), CART_OK);
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, NULL, plan, times, 2, states, NULL,
                                               endpoints), CART_EMAXSTEPS);
  for (size_t e = 0; e < cart_model_n_endpoints(cart); e++) {
    ck_assert(isnan(endpoints[e]));
  }
  cart_params_free(params);
  cart_params_free(stein_params);
  cart_solver_free(solver);
  cart_endpoint_plan_free(stein_plan);
  cart_endpoint_plan_free(plan);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("solve_endpoints");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_equals_the_trial, 0, sizeof cases / sizeof cases[0]);
  tcase_add_test(tc, test_null_plan_is_the_defaults);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
