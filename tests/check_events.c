/* check_events.c: root-found events (MODEL.md 3): a crossing located to 1e-8 day with both
 * methods, one that happens and reverts inside one long solver step, extinction in cart, the
 * tocilizumab rule on the default patient against an independent scan, and the rule's clinical
 * delay (the first dose at t* + delay, none when the signal has fallen back by then). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/models/model_impl.h"
#include "../lib/solver/solver_impl.h"
#include "../lib/util/search.h"
#include "test_util.h"

/* ---- test model "decay": Y' = -k Y, Y(0) = y0, a tumour phenotype that goes extinct ---- */

static const cart_state_info decay_states[] = {{"Y", "cells", 1e-12, "a decaying population"}};
static const cart_param_info decay_params[] = {
    {"y0", "cells", 1000, 0, 1e12, 1, 0, "initial value"},
    {"k", "1/day", 0.5, 0, 10, 0, 0, "decay rate"},
};

static void decay_prepare(const double *p, double *d)
{
  (void)p;
  (void)d;
}

static void decay_initial(const double *p, const double *d, double *y, int *mode)
{
  (void)d;
  y[0] = p[0];
  *mode = 0;
}

static int decay_rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  (void)t;
  f[0] = -ev->p[1] * y[0];
  return 0;
}

static int decay_jac(double t, const double *y, double *J, double *dfdt, const cart_model_eval *ev)
{
  (void)t;
  (void)y;
  J[0] = -ev->p[1];
  dfdt[0] = 0;
  return 0;
}

static void no_signals(const double *y, const double *p, double *out)
{
  (void)y;
  (void)p;
  (void)out;
}

static const int decay_extinct[] = {0, -1};
static const int decay_group[] = {0, -1};
static const int *const decay_groups[] = {decay_group, NULL};

static const cart_model decay_model = {
    .name = "decay", .description = "Y' = -k Y (test)", .n_states = 1, .states = decay_states,
    .n_params = 2, .params = decay_params, .prepare = decay_prepare, .initial = decay_initial,
    .rhs = decay_rhs, .jacobian = decay_jac, .signal_values = no_signals,
    .extinct_states = decay_extinct, .zero_groups = decay_groups};

/* t* = ln(y0 / n_ext) / k, located to 1e-8 day with BDF and rk8pd; the state is exactly 0 from
 * then on and positive before. */
static void check_decay(cart_method method)
{
  cart_params *params = cart_params_new(&decay_model, NULL);
  cart_solver *solver = cart_solver_new(&decay_model, NULL);
  ck_assert_int_eq(cart_solver_set_method(solver, method), CART_OK);
  /* tight enough that the solution, not the root finder, is the limit: at rtol 1e-10 BDF's
   * solution at t* is 3e-8 off, which moves the crossing 6e-8 day */
  const double atol[1] = {1e-14};
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-12, atol), CART_OK);
  const double n_ext = 1.0, t_star = log(1000.0 / n_ext) / 0.5;
  const double times[] = {0, 10, 13.8, 14, 30};
  double y[5];
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 5, y, NULL), CART_OK);
  ck_assert_uint_eq(cart_solver_n_events(solver), 1);
  cart_event_record record;
  ck_assert_int_eq(cart_solver_get_event(solver, 0, &record), CART_OK);
  ck_assert_int_eq(record.kind, CART_EVENT_EXTINCTION);
  ck_assert_int_eq(record.state, 0);
  printf("event time error, %s: %.2e day (extinction at %.12f, exact %.12f)\n",
         cart_method_name(method), fabs(record.time - t_star), record.time, t_star);
  ck_assert_msg(fabs(record.time - t_star) < 1e-8, "%s: extinction at %.12f, exact %.12f",
                cart_method_name(method), record.time, t_star);
  ck_assert_double_le(test_rel_diff(y[2], 1000 * exp(-0.5 * 13.8)), 1e-8);
  ck_assert_double_eq(y[3], 0.0);
  ck_assert_double_eq(y[4], 0.0);
  /* n_ext = 0: no event, the ODE's decay */
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 5, y, NULL), CART_OK);
  ck_assert_uint_eq(cart_solver_n_events(solver), 0);
  ck_assert_double_le(test_rel_diff(y[4], 1000 * exp(-15.0)), 1e-6);
  cart_solver_free(solver);
  cart_params_free(params);
}

START_TEST(test_crossing_time_bdf)
{
  check_decay(CART_METHOD_BDF);
}
END_TEST

START_TEST(test_crossing_time_rodas5p)
{
  check_decay(CART_METHOD_RODAS5P);
}
END_TEST

START_TEST(test_crossing_time_rk8pd)
{
  check_decay(CART_METHOD_RK8PD);
}
END_TEST

/* ---- test model "bump": Y(t) = L - c ((t - 5)^2 - w^2), above L only on (5 - w, 5 + w), as
 * Y' = -2c (t - 5)
 * (a polynomial, so BDF's steps grow long); Y plays IL6s for the tocilizumab rule, which doses a
 * second state D. ---- */

static const cart_state_info bump_states[] = {{"Y", "pg/mL", 1e-6, "a bump"},
                                              {"D", "mg", 1e-6, "dose received"}};
static const cart_param_info bump_params[] = {
    {"L", "pg/mL", 100, 0, 1e6, 1, 0, "trigger level"},
    {"c", "pg/mL/day^2", 1, 0, 100, 0, 0, "curvature"},
    {"WT", "kg", 70, 0, 300, 1, 0, "weight"},
    {"w", "day", 0.1, 0, 5, 1, 0, "half width of the excursion"},
};

static void bump_initial(const double *p, const double *d, double *y, int *mode)
{
  (void)d;
  y[0] = p[0] - p[1] * (25 - p[3] * p[3]);
  y[1] = 0;
  *mode = 0;
}

static int bump_rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  (void)y;
  f[0] = -2 * ev->p[1] * (t - 5);
  f[1] = 0;
  return 0;
}

static int bump_jac(double t, const double *y, double *J, double *dfdt, const cart_model_eval *ev)
{
  (void)t;
  (void)y;
  memset(J, 0, 4 * sizeof *J);
  dfdt[0] = -2 * ev->p[1];
  dfdt[1] = 0;
  return 0;
}

static const cart_model bump_model = {
    .name = "bump", .description = "a bump above a trigger (test)", .n_states = 2,
    .states = bump_states, .n_params = 4, .params = bump_params, .prepare = decay_prepare,
    .initial = bump_initial, .rhs = bump_rhs, .jacobian = bump_jac,
    .toci_slot = CARTP_SLOT(1), .weight_slot = CARTP_SLOT(2), .signal_values = no_signals,
    .role_slots = {[CART_ROLE_IL6S] = CARTP_SLOT(0), [CART_ROLE_CRS] = CARTP_SLOT(0)}};

/* Records the steps of a solve. */
typedef struct step_log {
  double t0[4096], t1[4096];
  size_t n;
} step_log;

static void log_start(void *context, const cart_solver *solver, double t, const double *y)
{
  (void)context;
  (void)solver;
  (void)t;
  (void)y;
}

static void log_step(void *context, const cart_solver *solver, double t0, double t1, const double *y)
{
  (void)solver;
  (void)y;
  step_log *log = context;
  if (log->n < 4096) {
    log->t0[log->n] = t0;
    log->t1[log->n++] = t1;
  }
}

/* The crossing at t = 4.9 is found although Y is back below L at the end of that step (the step
 * spans (4.9, 5.1)): checking the sign at step ends, or at output times (0 and 8 here), would
 * miss it, and so would the step's evenly spaced samples, which straddle the 0.2-day excursion:
 * the golden-section search around the sample nearest its top finds it. The rule's bolus lands
 * in D at t = 4.9, once: its repeat check comes 3 days later, when Y is below L again. */
/* The rule's doses, too, are boluses when their duration is below CART_TOCI_BOLUS_EPS_DAY: a 1e-20 h
 * or 1e-12 h rule dose puts the bolus's 70 mg in D (a 1e-20 h one used to be lost). */
START_TEST(test_toci_rule_tiny_duration_is_bolus)
{
  cart_params *params = cart_params_new(&bump_model, NULL);
  cart_solver *solver = cart_solver_new(&bump_model, NULL);
  const double hours[] = {1e-20, 1e-12};
  for (size_t k = 0; k < 2; k++) {
    cart_dosing *dosing = cart_dosing_new(NULL);
    cart_toci_rule rule;
    cart_toci_rule_default(&rule);
    rule.trigger = 100;
    rule.interval_day = 3.0;
    rule.duration_day = hours[k] / 24;
    rule.mg_per_kg = 1;
    ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
    const double times[] = {0, 8};
    double y[2 * 2]; /* Y, D at t = 0 and 8 */
    ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, 2, y, NULL), CART_OK);
    ck_assert_uint_eq(cart_solver_n_events(solver), 1);
    ck_assert_msg(fabs(y[2 + 1] - 70) <= 1e-12 * 70, "%g h rule dose: D at t = 8 is %.17g, not 70",
                  hours[k], y[2 + 1]);
    cart_dosing_free(dosing);
  }
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

START_TEST(test_crossing_inside_one_long_step)
{
  cart_params *params = cart_params_new(&bump_model, NULL);
  cart_solver *solver = cart_solver_new(&bump_model, NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  rule.trigger = 100;
  rule.interval_day = 3.0; /* next check at t = 7, when Y is below L again: one dose only */
  rule.duration_day = 0;   /* bolus */
  rule.mg_per_kg = 1;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  const double times[] = {0, 8}; /* Y(8) = 91.01: still positive */
  double y[4];
  static step_log log;
  log.n = 0;
  const cartp_step_observer observer = {log_start, log_step, &log};
  ck_assert_int_eq(cartp_solver_solve_observed(solver, params, dosing, times, 2, y, NULL, &observer),
                   CART_OK);
  ck_assert_uint_eq(cart_solver_n_events(solver), 1);
  cart_event_record record;
  cart_solver_get_event(solver, 0, &record);
  ck_assert_int_eq(record.kind, CART_EVENT_TOCI_RULE);
  /* At the default tolerances Y (~100) is good to a few 1e-4, and at the crossing Y' is only 0.2
   * per day: the crossing moves by ~1.5e-3 day. Its location as such is tested above to 1e-8. */
  ck_assert_msg(fabs(record.time - 4.9) < 5e-3, "dose at %.12f, expected 4.9", record.time);
  ck_assert_double_eq_tol(record.amount_mg, 70, 1e-12);
  ck_assert_double_eq_tol(y[3], 70, 1e-9); /* D at t = 8 holds the one bolus */
  /* The step that found it was cut back to t = 4.9. The same solve without the rule takes the
   * same steps up to there, and shows that step whole: it starts before 4.9 and ends after 5.1,
   * so the excursion above L began and ended inside it. */
  double step_start = NAN;
  for (size_t i = 0; i < log.n; i++) {
    step_start = log.t1[i] == record.time ? log.t0[i] : step_start;
  }
  ck_assert(step_start < 4.9);
  log.n = 0;
  ck_assert_int_eq(cartp_solver_solve_observed(solver, params, NULL, times, 2, y, NULL, &observer),
                   CART_OK);
  int spanned = 0;
  for (size_t i = 0; i < log.n; i++) {
    spanned |= log.t0[i] == step_start && log.t1[i] > 5.1;
  }
  ck_assert_msg(spanned, "the step from %g does not span (4.9, 5.1) (%zu steps)", step_start, log.n);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* ---- extinction in cart ---- */

/* Default patient: Tp falls through 1 cell once, is 0 exactly from then on and never regrows;
 * with n_ext = 0 it stays positive, as the ODE says. */
START_TEST(test_extinction_default_patient)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  double times[366], y[366 * 9];
  for (int i = 0; i <= 365; i++) {
    times[i] = i;
  }
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 366, y, NULL), CART_OK);
  double t_ext = NAN;
  for (size_t i = 0; i < cart_solver_n_events(solver); i++) {
    cart_event_record r;
    cart_solver_get_event(solver, i, &r);
    if (r.kind == CART_EVENT_EXTINCTION && r.state == 3) {
      ck_assert(isnan(t_ext)); /* once */
      t_ext = r.time;
    }
  }
  ck_assert(t_ext > 12 && t_ext < 40);
  for (int i = 0; i <= 365; i++) {
    if (times[i] >= t_ext) {
      ck_assert_double_eq(y[9 * i + 3], 0.0);
    } else {
      ck_assert_double_gt(y[9 * i + 3], 0.0);
    }
  }
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 366, y, NULL), CART_OK);
  ck_assert_uint_eq(cart_solver_n_events(solver), 0);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* A tumour the CAR-T cells push below one cell but do not keep down: the effectors die out
 * (no memory, fast death), so with n_ext = 0 the remnant regrows as the ODE says, while with
 * n_ext = 1 it is cured and stays at exactly 0. */
START_TEST(test_extinction_cures_what_the_ode_regrows)
{
  const char *const set[] = {"k_mem=0", "f_mem=0", "T0=1e11", "B0=0", "b_ld=0",
                             "f_neg0=0", "gamma=40", "delta_E=0.5", "r_tum=0.1"};
  cart_params *params = test_params("cart", set, 9);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  const double times[] = {0, 100, 200, 365}; /* the ODE's nadir: 0.13 cells at day 12 */
  double with[36], without[36];
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 4, with, NULL), CART_OK);
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 4, without, NULL), CART_OK);
  ck_assert_double_eq(with[9 * 3 + 3], 0.0);
  ck_assert_double_eq(with[9 * 2 + 3], 0.0);
  ck_assert_double_gt(without[9 * 3 + 3], 1e3);                /* regrown */
  ck_assert_double_gt(without[9 * 3 + 3], without[9 * 1 + 3]); /* growing */
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* A phenotype that starts below n_ext starts at 0, and one fed by antigen loss rises again. */
START_TEST(test_extinction_at_start_and_refed)
{
  const char *const set[] = {"f_neg0=5e-12", "dose=0"}; /* Tn(0) = 0.5 cells */
  cart_params *params = test_params("cart", set, 2);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  const double times[] = {0, 100};
  double y[18];
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 2, y, NULL), CART_OK);
  ck_assert_double_eq(y[4], 0.0);      /* started at 0 */
  ck_assert_double_gt(y[9 + 4], 10.0); /* fed by mu_loss Tp: 1e-8 x 1e11 cells/day */
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* ---- tocilizumab by rule on the default patient ---- */

static double il6s(const double *y)
{
  const double c1 = y[7] / 3.5;
  return y[6] * 0.4 / (c1 + 0.4);
}

START_TEST(test_toci_rule_default_patient)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  /* independent check: IL6s of the untreated patient on a 1e-4-day grid */
  const size_t n = 150001;
  double *times = malloc(n * sizeof *times), *y = malloc(n * 9 * sizeof *y);
  for (size_t i = 0; i < n; i++) {
    times[i] = 1e-4 * (double)i;
  }
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, n, y, NULL), CART_OK);
  double scan = NAN;
  for (size_t i = 1; i < n && isnan(scan); i++) {
    if (il6s(y + 9 * i) > 200) {
      scan = times[i];
    }
  }
  ck_assert(scan > 5 && scan < 15);

  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, n, y, NULL), CART_OK);
  ck_assert_uint_ge(cart_solver_n_events(solver), 1);
  double first = NAN, previous = NAN;
  int doses = 0;
  for (size_t i = 0; i < cart_solver_n_events(solver); i++) {
    cart_event_record r;
    cart_solver_get_event(solver, i, &r);
    if (r.kind != CART_EVENT_TOCI_RULE) {
      continue;
    }
    doses++;
    ck_assert_double_eq_tol(r.amount_mg, 560, 1e-9); /* 8 mg/kg x 70 kg, under the cap */
    if (isnan(first)) {
      first = r.time;
    } else {
      ck_assert_double_eq_tol(r.time - previous, 8.0 / 24.0, 1e-9); /* 8 h apart */
    }
    previous = r.time;
  }
  printf("tocilizumab rule: first dose at %.9f day, fine scan %.4f (1e-4 grid): %d doses\n", first,
         scan, doses);
  ck_assert_msg(fabs(first - scan) <= 1e-3, "first dose at %.6f, scan says %.6f", first, scan);
  ck_assert_int_le(doses, 4);
  /* after the dose, IL6s falls while serum IL6 rises (receptor blockade, MODEL.md 2.2) */
  const size_t k = (size_t)ceil(first / 1e-4), later = k + 5000; /* half a day later */
  ck_assert_double_lt(il6s(y + 9 * later), 200);
  ck_assert_double_gt(y[9 * later + 6], y[9 * k + 6]);
  free(times);
  free(y);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* The rule repeats every interval while IL6s stays above the trigger, and never more than the
 * maximum: with a low trigger (IL6s stays above 10 for days) and a small dose, all 3 allowed
 * doses are given, 8 h apart. */
START_TEST(test_toci_rule_repeats_and_maximum)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  rule.trigger = 10;
  rule.mg_per_kg = 0.01; /* too little to block IL-6 */
  rule.max_doses = 3;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  const double times[] = {0, 60};
  double y[18];
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, 2, y, NULL), CART_OK);
  int doses = 0;
  double t_prev = NAN;
  for (size_t i = 0; i < cart_solver_n_events(solver); i++) {
    cart_event_record r;
    cart_solver_get_event(solver, i, &r);
    if (r.kind == CART_EVENT_TOCI_RULE) {
      if (doses > 0) {
        ck_assert_double_eq_tol(r.time - t_prev, 8.0 / 24.0, 1e-9);
      }
      t_prev = r.time;
      doses++;
    }
  }
  ck_assert_int_eq(doses, 3);
  cart_toci_rule bad = rule;
  bad.max_doses = 0;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &bad), CART_EDOSE);
  bad = rule;
  bad.trigger = NAN;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &bad), CART_EDOSE);
  bad = rule;
  bad.delay_day = -1.0 / 24;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &bad), CART_EDOSE);
  ck_assert_ptr_nonnull(strstr(cart_dosing_last_error(dosing)->message, "delay"));
  bad.delay_day = NAN;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &bad), CART_EDOSE);
  bad.delay_day = CART_TOCI_RULE_MAX_DELAY_DAY * 1.001;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &bad), CART_EDOSE);
  bad.delay_day = CART_TOCI_RULE_MAX_DELAY_DAY;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &bad), CART_OK);
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  /* stein has no CRS signal */
  cart_params *stein = test_params("stein", NULL, 0);
  cart_solver *stein_solver = cart_solver_new(cart_params_model(stein), NULL);
  ck_assert_int_eq(cart_solver_solve(stein_solver, stein, dosing, times, 2, y, NULL), CART_EDOSE);
  cart_solver_free(stein_solver);
  cart_params_free(stein);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* The rule's doses of the last solve, in time order; returns how many (at most max). */
static int rule_dose_times(const cart_solver *solver, double *times, int max)
{
  int n = 0;
  for (size_t i = 0; i < cart_solver_n_events(solver); i++) {
    cart_event_record r;
    cart_solver_get_event(solver, i, &r);
    if (r.kind == CART_EVENT_TOCI_RULE && n < max) {
      times[n++] = r.time;
    }
  }
  return n;
}

/* The default patient's IL6s rises through 200 pg/mL at t* (day 7.01: the first dose without a
 * delay, located by root finding) and stays above it for days untreated. With a delay of 12 h
 * the first dose comes at exactly t* + 12 h: the solution up to t* does not depend on the delay,
 * and the solver stops at the delayed dose time, it does not step across it. Repeat doses follow
 * every 8 h from there while IL6s is above, as without a delay. */
START_TEST(test_toci_rule_delay_first_dose)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  ck_assert_double_eq(rule.delay_day, 0.0);
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  const double times[] = {0, 60};
  double y[18];
  double now[CART_TOCI_RULE_MAX_DOSES], later[CART_TOCI_RULE_MAX_DOSES];
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, 2, y, NULL), CART_OK);
  const int n_now = rule_dose_times(solver, now, CART_TOCI_RULE_MAX_DOSES);
  ck_assert_int_ge(n_now, 1);
  const double t_star = now[0];
  ck_assert(t_star > 5 && t_star < 15);

  rule.delay_day = 12.0 / 24.0;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, 2, y, NULL), CART_OK);
  const int n_later = rule_dose_times(solver, later, CART_TOCI_RULE_MAX_DOSES);
  ck_assert_int_ge(n_later, 1);
  ck_assert_int_le(n_later, rule.max_doses);
  printf("tocilizumab rule with a 12 h delay: rise at %.9f day, first dose at %.9f\n", t_star,
         later[0]);
  ck_assert_msg(fabs(later[0] - (t_star + 0.5)) <= 1e-8, "first dose at %.12f, expected %.12f",
                later[0], t_star + 0.5);
  for (int k = 1; k < n_later; k++) {
    ck_assert_double_eq_tol(later[k] - later[k - 1], 8.0 / 24.0, 1e-9);
  }
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* The bump model's Y is above L = 100 only from t = 4.9 to 5.1. With a delay shorter than that
 * excursion the dose comes at 4.9 + delay; with a longer one Y is back below L at the delayed
 * time: no dose, no series (the check does not come back 3 days later), D stays empty. */
START_TEST(test_toci_rule_delay_outlasts_excursion)
{
  cart_params *params = cart_params_new(&bump_model, NULL);
  cart_solver *solver = cart_solver_new(&bump_model, NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  rule.trigger = 100;
  rule.interval_day = 3.0;
  rule.duration_day = 0;
  rule.mg_per_kg = 1;
  const double times[] = {0, 8};
  double y[4], doses[CART_TOCI_RULE_MAX_DOSES];

  rule.delay_day = 0.1; /* inside the excursion */
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, 2, y, NULL), CART_OK);
  ck_assert_int_eq(rule_dose_times(solver, doses, CART_TOCI_RULE_MAX_DOSES), 1);
  ck_assert_msg(fabs(doses[0] - 5.0) < 5e-3, "dose at %.12f, expected 5.0", doses[0]);
  ck_assert_double_eq_tol(y[3], 70, 1e-9);

  rule.delay_day = 0.25; /* Y is back below L at 4.9 + 0.25 */
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, 2, y, NULL), CART_OK);
  ck_assert_int_eq(rule_dose_times(solver, doses, CART_TOCI_RULE_MAX_DOSES), 0);
  ck_assert_double_eq(y[3], 0.0);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* ---- the searches the events and endpoints share (lib/util/search.h) ---- */

typedef struct counted {
  int calls;
  double shift;
} counted;

/* near side positive: cos(t) - 0.3 falls through 0 at acos(0.3) */
static double falling_cosine(void *context, double t)
{
  counted *c = context;
  c->calls++;
  return cos(t) - c->shift;
}

/* a steep logistic through 0 at t = 2: a crossing where false position alone would stall */
static double steep_logistic(void *context, double t)
{
  counted *c = context;
  c->calls++;
  return 1.0 - 2.0 / (1.0 + exp(-40.0 * (t - 2.0))) + c->shift;
}

START_TEST(test_search_crossing)
{
  counted c = {0, 0.3};
  double lo, hi;
  cartp_search_crossing(falling_cosine, &c, 0.0, cos(0.0) - 0.3, 3.0, cos(3.0) - 0.3, 1e-10, &lo,
                        &hi);
  const double root = acos(0.3);
  const int calls = c.calls;
  ck_assert_double_le(hi - lo, 1e-10);
  ck_assert_msg(lo <= root && root <= hi, "bracket [%.17g, %.17g] misses %.17g", lo, hi, root);
  ck_assert_double_gt(falling_cosine(&c, lo), 0.0);
  ck_assert_double_le(falling_cosine(&c, hi), 0.0);
  /* superlinear: bisection needs 35 evaluations for this bracket and tolerance */
  printf("search: crossings in %d evaluations", calls);
  ck_assert_int_le(calls, 15);
  c = (counted){0, 0.0};
  cartp_search_crossing(steep_logistic, &c, 0.0, 1.0, 10.0, -1.0, 1e-10, &lo, &hi);
  ck_assert_double_le(hi - lo, 1e-10);
  ck_assert(lo <= 2.0 && 2.0 <= hi);
  printf(" and %d (steep)\n", c.calls);
  ck_assert_int_le(c.calls, 70); /* about twice bisection's 37 at worst */
}
END_TEST

static double quartic_peak(void *context, double t)
{
  counted *c = context;
  c->calls++;
  const double u = t - c->shift;
  return 5.0 - u * u * (1.0 + 0.5 * u * u) + 0.1 * u * u * u;
}

static double flat_peak(void *context, double t)
{
  counted *c = context;
  c->calls++;
  const double u = t - c->shift;
  return 1e6 - 1e-3 * u * u;
}

static double falling(void *context, double t)
{
  counted *c = context;
  c->calls++;
  return -t;
}

static double rising(void *context, double t)
{
  counted *c = context;
  c->calls++;
  return t * t;
}

/* cartp_search_maximum_near from f's samples at a, x and b; c->calls counts the search's own. */
static double search_from_samples(cartp_search_fn f, counted *c, double a, double x, double b,
                                  double *f_max)
{
  const double fa = f(c, a), fx = f(c, x), fb = f(c, b);
  c->calls = 0;
  return cartp_search_maximum_near(f, c, a, fa, x, fx, b, fb, 0.25e-9, f_max);
}

START_TEST(test_search_maximum)
{
  counted c = {0, 0.37};
  double f;
  const double t = cartp_search_maximum(quartic_peak, &c, 0.0, 1.0, 0.25e-9, &f);
  /* f'(u) = -2u - 2u^3 + 0.3u^2 = 0 at u = 0: the peak at t = 0.37, value 5 */
  printf("search: maximum in %d evaluations, crossing checks above\n", c.calls);
  ck_assert_double_le(fabs(t - 0.37), 1e-8);
  ck_assert_double_eq_tol(f, 5.0, 1e-15);
  ck_assert_int_le(c.calls, 40); /* golden section alone needs 45 for this tolerance */
  /* from three samples around the peak, as an endpoint's step gives them: a peak as above, and
   * one flat to rounding over far more than tol (1e6 - 1e-3 u^2 is within an ulp of 1e6 for
   * |u| < 3.4e-4), where the probes end the search instead of golden sections that cannot
   * choose */
  const struct {
    cartp_search_fn fn;
    const char *name;
    double peak, t_tol, f_tol;
    int most_calls;
  } peaks[] = {{quartic_peak, "a peak", 5.0, 1e-8, 1e-15, 10},
               {flat_peak, "a flat peak", 1e6, 3.4e-4, 1e-9, 12}};
  for (size_t k = 0; k < sizeof peaks / sizeof peaks[0]; k++) {
    c = (counted){0, 0.37};
    const double near = search_from_samples(peaks[k].fn, &c, 0.2, 0.45, 0.7, &f);
    printf("search: %s from three samples in %d evaluations\n", peaks[k].name, c.calls);
    ck_assert_double_le(fabs(near - 0.37), peaks[k].t_tol);
    ck_assert_double_eq_tol(f, peaks[k].peak, peaks[k].f_tol);
    ck_assert_int_le(c.calls, peaks[k].most_calls);
  }
  /* the best sample at an end: a probe by it decides. A peak 1e-4 inside the end is found (to the
   * ~7e-8 within which 5 - u^2 is 5 to rounding); a function falling from the end costs the
   * probe alone, and the end is its maximum */
  c = (counted){0, 0.2 + 1e-4};
  const double f_end = quartic_peak(&c, 0.2), f_other = quartic_peak(&c, 0.45);
  const double just_inside =
      cartp_search_maximum_at_end(quartic_peak, &c, 0.2, f_end, 0.45, f_other, 1, 0.25e-9, &f);
  ck_assert_double_le(fabs(just_inside - (0.2 + 1e-4)), 1e-7);
  ck_assert_double_eq_tol(f, 5.0, 1e-15);
  c = (counted){0, 0.0};
  ck_assert_double_eq(cartp_search_maximum_at_end(falling, &c, 1.0, -1.0, 2.0, -2.0, 1, 1e-9, &f),
                      1.0);
  ck_assert_double_eq(f, -1.0);
  ck_assert_int_eq(c.calls, 1);
  /* not a peak between the samples: as cartp_search_maximum */
  c = (counted){0, 0.0};
  const double end_near = cartp_search_maximum_near(rising, &c, 1.0, 1.0, 1.5, 2.25, 2.0, 4.0,
                                                    1e-9, &f);
  ck_assert_double_le(2.0 - end_near, 1e-8);
  c = (counted){0, 0.0};
  const double end = cartp_search_maximum(rising, &c, 1.0, 2.0, 1e-9, &f);
  ck_assert_double_le(2.0 - end, 1e-8); /* at the interval's end when the function only rises */
  ck_assert_double_le(f, 4.0);
  ck_assert_double_ge(f, 4.0 - 1e-7);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("events");
  TCase *tc = tcase_create("events");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_search_crossing);
  tcase_add_test(tc, test_search_maximum);
  tcase_add_test(tc, test_crossing_time_bdf);
  tcase_add_test(tc, test_crossing_time_rk8pd);
  tcase_add_test(tc, test_crossing_time_rodas5p);
  tcase_add_test(tc, test_crossing_inside_one_long_step);
  tcase_add_test(tc, test_toci_rule_tiny_duration_is_bolus);
  tcase_add_test(tc, test_extinction_default_patient);
  tcase_add_test(tc, test_extinction_cures_what_the_ode_regrows);
  tcase_add_test(tc, test_extinction_at_start_and_refed);
  tcase_add_test(tc, test_toci_rule_default_patient);
  tcase_add_test(tc, test_toci_rule_repeats_and_maximum);
  tcase_add_test(tc, test_toci_rule_delay_first_dose);
  tcase_add_test(tc, test_toci_rule_delay_outlasts_excursion);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
