/* check_cart2.c: the two-antigen model cart2 (MODEL.md 2.3): its reduction to cart (7.6), escape
 * by antigen loss under each CAR, the parameter rules, the IL-6 baseline (7.5) and its signals.
 * The Jacobian is checked against finite differences in check_models.c with the other models. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/models/model_impl.h"
#include "test_util.h"

enum { E, M, X, TAB, TA, TB, T0N, B, IL6, D1, D2, N2 };         /* cart2 states */
enum { C_E, C_M, C_X, C_TP, C_TN, C_B, C_IL6, C_D1, C_D2, N1 }; /* cart states */
#define N_TIMES 366

/* Tight tolerances: rtol 1e-10, atol 1e-5 cells, 1e-9 pg/mL, 1e-13 mg. */
static void set_tight(cart_solver *solver, const cart_model *model)
{
  double atol[16];
  for (size_t i = 0; i < cart_model_n_states(model); i++) {
    cart_state_info info;
    cart_model_state_info(model, i, &info);
    atol[i] = strcmp(info.unit, "cells") == 0 ? 1e-5 : strcmp(info.unit, "pg/mL") == 0 ? 1e-9 : 1e-13;
  }
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-10, atol), CART_OK);
}

/* Solves `params` (freed here) on days 0..365; tight tolerances and no extinction when `tight`
 * (the reduction compares two ODE solutions, and extinction would zero a phenotype of one model
 * that is part of a sum above n_ext in the other). */
static void solve_days(cart_params *params, const cart_dosing *dosing, int tight, double *times,
                       double *states, double *outputs)
{
  const cart_model *model = cart_params_model(params);
  for (size_t k = 0; k < N_TIMES; k++) {
    times[k] = (double)k;
  }
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_ptr_nonnull(solver);
  if (tight) {
    set_tight(solver, model);
    ck_assert_int_eq(cart_solver_set_extinction(solver, 0.0), CART_OK);
  }
  test_solve_and_free(solver, params, dosing, times, N_TIMES, states, outputs);
}

/* |a - b| / |b| where |b| is above `floor`, else 0: below it the comparison would measure the
 * absolute tolerance, not the model. */
static double rel_above(double a, double b, double floor)
{
  return fabs(b) > floor ? test_rel_diff(a, b) : 0.0;
}

/* MODEL.md 7.6 (2.3): cart2 with car_targets = 1 is cart with Tp = Tab + Ta and Tn = Tb + T0n
 * when r_neg = r_tum, mu_loss = mu_a and f_neg0 = f_b0 + f_n0. Losing b keeps a cell on its side
 * (Tab -> Ta inside Tp, Tb -> T0n inside Tn), so mu_b may be anything; MODEL.md's case is mu_b =
 * f_b0 = f_n0 = 0 (f_neg0 = 0), the second call below the general one. mu_a = 1e-4 makes antigen
 * loss matter (Tn reaches ~1e9 cells and grows), and a tocilizumab dose on day 4 exercises D1, D2
 * and IL6s. Both solves run at rtol 1e-10 with atol 1e-5 cells (1e-9 pg/mL, 1e-13 mg); the
 * global error of each is then about 1e-8 relative (MODEL.md 6: about 100 rtol over a year), so
 * the two must agree to 1e-6 relative wherever a value is far above its atol floor: above 1e3
 * cells (1e8 atol), 1e-2 pg/mL (1e7 atol) and 1e-6 mg (1e7 atol). Returns the worst deviation. */
static double check_reduction(double f_a0, double f_b0, double f_n0, double mu_b)
{
  const double mu_a = 1e-4;
  char buf[6][64];
  snprintf(buf[0], sizeof buf[0], "f_a0=%.17g", f_a0);
  snprintf(buf[1], sizeof buf[1], "f_b0=%.17g", f_b0);
  snprintf(buf[2], sizeof buf[2], "f_n0=%.17g", f_n0);
  snprintf(buf[3], sizeof buf[3], "mu_b=%.17g", mu_b);
  snprintf(buf[4], sizeof buf[4], "mu_a=%.17g", mu_a);
  snprintf(buf[5], sizeof buf[5], "mu_loss=%.17g", mu_a);
  const char *const set2[] = {"car_targets=1", buf[0], buf[1], buf[2], buf[3], buf[4]};
  char neg[64];
  snprintf(neg, sizeof neg, "f_neg0=%.17g", f_b0 + f_n0);
  const char *const set1[] = {"r_neg=0.03", neg, buf[5]}; /* r_tum is 0.03 in both */

  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 4.0, 8.0, 1.0 / 24, 800.0), CART_OK);
  static double times[N_TIMES], s1[N_TIMES * N1], s2[N_TIMES * N2], o1[N_TIMES], o2[N_TIMES];
  solve_days(test_params("cart", set1, 3), dosing, 1, times, s1, o1);
  solve_days(test_params("cart2", set2, 6), dosing, 1, times, s2, o2);
  cart_dosing_free(dosing);

  static const int pairs[][2] = {{E, C_E}, {M, C_M}, {X, C_X}, {B, C_B}, {IL6, C_IL6},
                                 {D1, C_D1}, {D2, C_D2}};
  static const double floors[] = {1e3, 1e3, 1e3, 1e3, 1e-2, 1e-6, 1e-6};
  double worst = 0.0;
  for (size_t k = 0; k < N_TIMES; k++) {
    const double *y2 = &s2[k * N2], *y1 = &s1[k * N1];
    double d[10];
    for (size_t i = 0; i < 7; i++) {
      d[i] = rel_above(y2[pairs[i][0]], y1[pairs[i][1]], floors[i]);
    }
    d[7] = rel_above(y2[TAB] + y2[TA], y1[C_TP], 1e3);
    d[8] = rel_above(y2[TB] + y2[T0N], y1[C_TN], 1e3);
    d[9] = rel_above(o2[k], o1[k], 1e3 * 0.005 / 5e6); /* Cblood of 1e3 cells */
    for (size_t i = 0; i < 10; i++) {
      ck_assert_msg(d[i] <= 1e-6, "day %zu quantity %zu: cart2 and cart differ by %g", k, i, d[i]);
      worst = d[i] > worst ? d[i] : worst;
    }
  }
  /* the comparison saw what it is for: escape cells grew, tocilizumab was there */
  ck_assert_double_gt(s1[365 * N1 + C_TN], 1e6);
  ck_assert_double_gt(s1[5 * N1 + C_D1], 1.0);
  ck_assert_double_gt(s2[365 * N2 + TB], 1e6);
  return worst;
}

START_TEST(test_reduction_to_cart)
{
  const double worst = check_reduction(1e-3, 0.0, 0.0, 0.0);
  printf("cart2 -> cart reduction (MODEL.md 7.6): worst relative deviation %.3g\n", worst);
}
END_TEST

START_TEST(test_reduction_to_cart_general)
{
  const double worst = check_reduction(1e-3, 1e-3, 1e-6, 1e-4);
  printf("cart2 -> cart reduction (f_b0, f_n0, mu_b > 0): worst relative deviation %.3g\n", worst);
}
END_TEST

/* Antigen escape with the default solver settings (extinction at 1 cell): a dual CAR
 * (car_targets = 3) leaves only double-negative cells; a CAR against a alone lets Tb escape too. */
START_TEST(test_escape_dual_car)
{
  static double times[N_TIMES], s[N_TIMES * N2];
  const char *const set[] = {"car_targets=3", "mu_a=1e-4", "mu_b=1e-4"};
  solve_days(test_params("cart2", set, 3), NULL, 0, times, s, NULL);
  const double *y = &s[365 * N2];
  ck_assert_double_lt(y[TAB], 1.0);
  ck_assert_double_lt(y[TA], 1.0);
  ck_assert_double_lt(y[TB], 1.0);
  ck_assert_double_gt(y[T0N], 1e-12 * 1e11); /* f_n0 T0 */
}
END_TEST

START_TEST(test_escape_single_car)
{
  static double times[N_TIMES], s[N_TIMES * N2];
  const char *const set[] = {"car_targets=1", "mu_a=1e-4", "mu_b=1e-4"};
  solve_days(test_params("cart2", set, 3), NULL, 0, times, s, NULL);
  const double *y = &s[365 * N2];
  ck_assert_double_lt(y[TAB], 1.0);
  ck_assert_double_lt(y[TA], 1.0);
  ck_assert_double_gt(y[TB], 1e6);
}
END_TEST

/* The parameter rules of MODEL.md 2.3 and the IL-6 rules of 2.2. */
START_TEST(test_bad_params)
{
  const cart_model *model = cart_model_find("cart2", NULL);
  cart_params *params = cart_params_new(model, NULL);
  cart_error err;
  ck_assert_int_eq(cart_params_check(params, &err), CART_OK);

  ck_assert_int_eq(cart_params_set(params, "car_targets", 1.5), CART_OK); /* in bounds */
  ck_assert_int_eq(cart_params_check(params, &err), CART_ERULE);
  ck_assert_ptr_nonnull(strstr(err.message, "car_targets must be 1, 2 or 3"));
  ck_assert_int_eq(cart_params_set(params, "car_targets", 4), CART_ERANGE);
  ck_assert_int_eq(cart_params_set(params, "car_targets", 0), CART_ERANGE);
  for (int ct = 1; ct <= 3; ct++) {
    ck_assert_int_eq(cart_params_set(params, "car_targets", ct), CART_OK);
    ck_assert_int_eq(cart_params_check(params, &err), CART_OK);
  }

  ck_assert_int_eq(cart_params_set(params, "f_a0", 0.6), CART_OK);
  ck_assert_int_eq(cart_params_set(params, "f_b0", 0.3), CART_OK);
  ck_assert_int_eq(cart_params_set(params, "f_n0", 0.2), CART_OK);
  ck_assert_int_eq(cart_params_check(params, &err), CART_ERULE);
  ck_assert_ptr_nonnull(strstr(err.message, "f_a0"));
  ck_assert_ptr_nonnull(strstr(err.message, "f_b0"));
  ck_assert_ptr_nonnull(strstr(err.message, "f_n0"));
  ck_assert_int_eq(cart_params_set(params, "f_n0", 0.1), CART_OK); /* 0.6 + 0.3 + 0.1 = 1 */
  ck_assert_int_eq(cart_params_check(params, &err), CART_OK);
  cart_params_reset(params);

  ck_assert_int_eq(cart_params_set(params, "p_amp", 12000), CART_OK);
  ck_assert_int_eq(cart_params_check(params, &err), CART_ERULE);
  ck_assert_ptr_nonnull(strstr(err.message, "loop gain"));
  ck_assert_int_eq(cart_params_set(params, "p_amp", 9000), CART_OK); /* exactly 3/4 of 20/day */
  ck_assert_int_eq(cart_params_check(params, &err), CART_OK);
  double value;
  ck_assert_int_eq(cart_params_derived(params, "il6_loop_gain", &value), CART_OK);
  ck_assert_double_eq_tol(value, 15.0, 1e-12);
  cart_params_free(params);
}
END_TEST

/* MODEL.md 7.5 for cart2: with no CAR-T (dose = 0) and no tocilizumab, IL6 stays at il6_0 whatever
 * the tumour does, and no CAR-T cell appears. */
START_TEST(test_il6_baseline)
{
  for (int ct = 1; ct <= 3; ct++) {
    static double times[N_TIMES], s[N_TIMES * N2];
    char buf[32];
    snprintf(buf, sizeof buf, "car_targets=%d", ct);
    const char *const set[] = {"dose=0", buf};
    solve_days(test_params("cart2", set, 2), NULL, 0, times, s, NULL);
    for (size_t k = 0; k < N_TIMES; k++) {
      ck_assert_double_le(fabs(s[k * N2 + IL6] - 3.0), 1e-9 * 3.0);
      ck_assert_double_eq(s[k * N2 + E] + s[k * N2 + M] + s[k * N2 + X], 0.0);
    }
    ck_assert_double_gt(s[365 * N2 + TAB], 1e11); /* the untreated tumour grew */
  }
}
END_TEST

/* Initial state and signals: Tab gets what the other phenotypes leave; Tesc is the phenotypes
 * the CAR cannot target (MODEL.md 2.3). */
START_TEST(test_initial_and_signals)
{
  const cart_model *model = cart_model_find("cart2", NULL);
  double p[64], dv[CART_MAX_DERIVED], y[N2], sig[8];
  for (size_t i = 0; i < model->n_params; i++) {
    p[i] = model->params[i].default_value;
  }
  const int ct_index = cart_model_param_index(model, "car_targets");
  const double expected_tesc[3][3] = {{0, 1, 1}, {1, 0, 1}, {0, 0, 1}}; /* weights of Ta, Tb, T0n */
  for (int ct = 1; ct <= 3; ct++) {
    p[ct_index] = ct;
    model->prepare(p, dv);
    int mode;
    model->initial(p, dv, y, &mode);
    ck_assert_double_eq(y[TA], 1e-7 * 1e11);
    ck_assert_double_eq(y[TB], 1e-7 * 1e11);
    ck_assert_double_eq(y[T0N], 1e-12 * 1e11);
    ck_assert_double_eq(y[TAB], (1.0 - 1e-7 - 1e-7 - 1e-12) * 1e11);
    ck_assert_double_eq(y[B], 0.1 * 1e10);
    ck_assert_double_eq(y[E] + y[M], 1.4e8);
    y[TA] = 10, y[TB] = 100, y[T0N] = 1000;
    model->signal_values(y, p, sig);
    const double *w = expected_tesc[ct - 1];
    ck_assert_double_eq(sig[1], y[TAB] + 1110);
    ck_assert_double_eq(sig[2], w[0] * 10 + w[1] * 100 + w[2] * 1000);
    ck_assert_double_eq(sig[3], y[IL6]); /* no tocilizumab: IL6s = IL6 */
    /* IL-6 balance at the start without CAR-T (7.5), and X' = 0 with X = 0 and E = 0 */
    y[E] = y[M] = 0;
    double f[N2];
    const cart_model_eval ev = {p, dv, mode};
    model->rhs(0, y, f, &ev);
    ck_assert_double_le(fabs(f[IL6]), 1e-12);
    ck_assert_double_eq(f[E], 0.0);
    ck_assert_double_eq(f[X], 0.0);
  }
  ck_assert_int_eq(cartp_model_role(model, CART_ROLE_TUMOUR_NEG), N2 + 2);
  ck_assert_str_eq(model->signals[2].name, "Tesc");
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("cart2");
  TCase *tables = tcase_create("tables");
  tcase_add_test(tables, test_bad_params);
  tcase_add_test(tables, test_initial_and_signals);
  suite_add_tcase(suite, tables);
  TCase *solve = tcase_create("solve");
  tcase_set_timeout(solve, 60);
  tcase_add_test(solve, test_reduction_to_cart);
  tcase_add_test(solve, test_reduction_to_cart_general);
  tcase_add_test(solve, test_escape_dual_car);
  tcase_add_test(solve, test_escape_single_car);
  tcase_add_test(solve, test_il6_baseline);
  suite_add_tcase(suite, solve);
  return test_run(suite);
}
