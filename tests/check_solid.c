/* check_solid.c: the solid-tumour model (doc/models.md, "solid"): limit cases against independent
 * solutions (no CAR-T: logistic growth in closed form; no anti-PD-1: its states stay exactly 0;
 * anti-PD-1 doses without distribution: a sum of exponentials), the direction of PD-1 blockade
 * (less exhaustion, more effectors, a deeper tumour nadir), the RECIST and persistence endpoints
 * against the trajectory and the optional off-tumour tissue. The Jacobian is checked against
 * finite differences in check_models.c with the other models. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/models/model_impl.h"
#include "test_util.h"

enum { EB, MB, ET, XT, TP, TN, Z, H, IL6, D1, D2, A1, A2, NS };
#define N_TIMES 366

static const cart_model *solid(void)
{
  const cart_model *model = cart_model_find("solid", NULL);
  ck_assert_ptr_nonnull(model);
  return model;
}

/* Solves `params` (freed here) on days 0..365 at rtol 1e-10 (atol 1e-6 cells, 1e-12 of relative
 * states and mg, 1e-9 pg/mL), extinction off; fills endpoints when not NULL. */
static void solve_days(cart_params *params, double *states, double *outputs, double *endpoints)
{
  const cart_model *model = cart_params_model(params);
  static double times[N_TIMES];
  for (size_t k = 0; k < N_TIMES; k++) {
    times[k] = (double)k;
  }
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_ptr_nonnull(solver);
  double atol[NS];
  for (size_t i = 0; i < NS; i++) {
    cart_state_info info;
    cart_model_state_info(model, i, &info);
    atol[i] = strcmp(info.unit, "cells") == 0   ? 1e-6
              : strcmp(info.unit, "pg/mL") == 0 ? 1e-9
                                                : 1e-12;
  }
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-10, atol), CART_OK);
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0.0), CART_OK);
  cart_error err;
  ck_assert_msg(cart_params_check(params, &err) == CART_OK, "%s", err.message);
  const int status =
      endpoints ? cart_solver_solve_endpoints(solver, params, NULL, NULL, times, N_TIMES, states,
                                              outputs, endpoints)
                : cart_solver_solve(solver, params, NULL, times, N_TIMES, states, outputs);
  ck_assert_msg(status == CART_OK, "%s", cart_solver_last_error(solver)->message);
  cart_solver_free(solver);
  cart_params_free(params);
}

static double param(const char *name, const char *const *set, size_t n)
{
  cart_params *params = test_params("solid", set, n);
  double v;
  ck_assert_int_eq(cart_params_get(params, name, &v), CART_OK);
  cart_params_free(params);
  return v;
}

/* No CAR-T (dose 0) and one growth rate (r_neg = r_tum, no antigen loss): the tumour sum is the
 * logistic N(t) = K N0 e^(rt) / (K + N0 (e^(rt) - 1)), and the CAR-T, tocilizumab and anti-PD-1
 * states stay exactly 0. */
START_TEST(test_no_cart_logistic)
{
  const char *const set[] = {"dose=0", "mu_loss=0", "r_tum=0.02", "r_neg=0.02", "T0=1e10"};
  static double s[N_TIMES * NS];
  solve_days(test_params("solid", set, 5), s, NULL, NULL);
  const double k = param("K_tum", set, 5), n0 = 1e10, r = 0.02;
  double worst = 0.0;
  for (size_t d = 0; d < N_TIMES; d++) {
    const double *y = &s[d * NS];
    const double g = exp(r * (double)d);
    const double exact = k * n0 * g / (k + n0 * (g - 1.0));
    const double dev = test_rel_diff(y[TP] + y[TN], exact);
    worst = dev > worst ? dev : worst;
    ck_assert_msg(dev < 1e-7, "day %zu: tumour %.10g, logistic %.10g", d, y[TP] + y[TN], exact);
    for (int i = EB; i <= XT; i++) {
      ck_assert_double_eq(y[i], 0.0);
    }
    ck_assert_double_eq(y[A1], 0.0);
    ck_assert_double_eq(y[A2], 0.0);
    ck_assert_double_eq(y[D1], 0.0);
  }
  printf("solid without CAR-T vs logistic growth: worst relative deviation %.3g\n", worst);
}
END_TEST

/* The default (no anti-PD-1 dose) keeps A1 and A2 at exactly 0 while CAR-T act. */
START_TEST(test_no_pd1_states_zero)
{
  static double s[N_TIMES * NS];
  solve_days(test_params("solid", NULL, 0), s, NULL, NULL);
  for (size_t d = 0; d < N_TIMES; d++) {
    ck_assert_double_eq(s[d * NS + A1], 0.0);
    ck_assert_double_eq(s[d * NS + A2], 0.0);
  }
  ck_assert_double_gt(s[30 * NS + ET], 1e6); /* the CAR-T did reach the tumour */
}
END_TEST

/* Anti-PD-1 without distribution (Q_pd1 = 0): doses of D mg on days t1 + k tau (k < n) decay at
 * CL/V1, A1(t) = sum over given doses of D exp(-(CL/V1) (t - t_k)); A2 stays 0. Checks the dose
 * times of the model's switches too (three doses, the fourth not given). */
START_TEST(test_pd1_pk_exponential)
{
  const char *const set[] = {"dose_pd1=200", "n_pd1=3", "tau_pd1=21", "t_pd1=5", "Q_pd1=0"};
  static double s[N_TIMES * NS];
  solve_days(test_params("solid", set, 5), s, NULL, NULL);
  const double k = param("CL_pd1", set, 5) / param("V1_pd1", set, 5);
  double worst = 0.0;
  for (size_t d = 0; d < N_TIMES; d++) {
    double exact = 0.0;
    for (int j = 0; j < 3; j++) {
      const double tj = 5.0 + 21.0 * j;
      exact += (double)d >= tj ? 200.0 * exp(-k * ((double)d - tj)) : 0.0;
    }
    const double a1 = s[d * NS + A1];
    ck_assert_double_eq(s[d * NS + A2], 0.0);
    if (exact == 0.0) {
      ck_assert_double_eq(a1, 0.0);
      continue;
    }
    /* relative where A1 is far above its absolute tolerance (1e-12 mg); below 1e-3 mg (from
     * about day 240 on) the solver's error is bounded by that tolerance, not by rtol */
    const double dev = exact > 1e-3 ? test_rel_diff(a1, exact) : fabs(a1 - exact) / 1e-3;
    worst = dev > worst ? dev : worst;
    ck_assert_msg(dev < 1e-7, "day %zu: A1 %.10g, exponentials %.10g", d, a1, exact);
  }
  printf("solid anti-PD-1 PK vs exponentials: worst relative deviation %.3g\n", worst);
}
END_TEST

/* At a fixed state, more anti-PD-1 in the central compartment means strictly less exhaustion
 * (dXt/dt falls) and strictly more effectors (dEt/dt rises); kill does not depend on it. */
START_TEST(test_pd1_lowers_exhaustion)
{
  const cart_model *model = solid();
  cart_params *params = test_params("solid", NULL, 0);
  double p[128], dv[CART_MAX_DERIVED];
  for (size_t i = 0; i < model->n_params; i++) {
    cart_params_get_index(params, i, &p[i]);
  }
  cart_params_free(params);
  model->prepare(p, dv);
  const cart_model_eval ev = {p, dv, 0};
  double y[NS] = {1e8, 1e7, 1e9, 5e8, 3e10, 1e10, 0.8, 1.0, 10.0, 0.0, 0.0, 0.0, 0.0};
  double last_x = INFINITY, last_e = -INFINITY, kill = NAN;
  static const double amounts[] = {0.0, 0.1, 1.0, 10.0, 100.0, 1000.0};
  for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
    y[A1] = amounts[i];
    double f[NS];
    ck_assert_int_eq(model->rhs(10.0, y, f, &ev), 0);
    ck_assert_msg(f[XT] < last_x && f[ET] > last_e, "A1 = %g: dXt/dt %g, dEt/dt %g", y[A1], f[XT],
                  f[ET]);
    if (i > 0) {
      ck_assert_double_eq(f[TP], kill);
    }
    kill = f[TP];
    last_x = f[XT];
    last_e = f[ET];
  }
}
END_TEST

/* Over a solve, anti-PD-1 (200 mg q3w from day 0) lowers the exhausted share of tumour CAR-T and
 * deepens the tumour nadir, more with a larger dose (0, 20, 200 mg). */
START_TEST(test_pd1_deepens_response)
{
  const cart_model *model = solid();
  const int nadir = cart_model_endpoint_index(model, "tumour_nadir");
  static const char *const doses[] = {"dose_pd1=0", "dose_pd1=20", "dose_pd1=200"};
  double last = INFINITY, last_share = INFINITY;
  for (size_t i = 0; i < 3; i++) {
    static double s[N_TIMES * NS], e[32];
    const char *const set[] = {doses[i]};
    solve_days(test_params("solid", set, 1), s, NULL, e);
    const double *y = &s[60 * NS];
    const double share = y[XT] / (y[ET] + y[XT]);
    ck_assert_msg(e[nadir] < last && share < last_share, "%s: nadir %g, exhausted share %g",
                  doses[i], e[nadir], share);
    last = e[nadir];
    last_share = share;
  }
}
END_TEST

/* The RECIST response and persistence endpoints against the daily trajectory, over expansion
 * rates from no response to complete response (rho = 4: persisting to the horizon): response 2
 * where the tumour fell below n_detect (1e9) before day 90, else 1 where its nadir is at most
 * 0.343 T0 (30 % diameter decrease), else 0; persistence is the first day Cblood is at or below
 * 0.1 cells/uL after its peak (to a day), the peak taken after the infused cells' first dip:
 * with fast entry into a large tumour (k_in 0.05, T0 1.6e11) Cblood falls from 0.3 through 0.1
 * within days, and at rho 1.2 expands again to about 0.12, below the level at infusion, for
 * three weeks (persistence about day 24, not the dip's day 2.6); at rho 1 it never comes back
 * above 0.1 (the dip's day). */
START_TEST(test_recist_and_persistence)
{
  const cart_model *model = solid();
  const int response = cart_model_endpoint_index(model, "response");
  const int persistence = cart_model_endpoint_index(model, "persistence");
  const int til = cart_model_endpoint_index(model, "til_peak");
  static const char *const cases[][5] = {
      {"rho=1", "f_neg0=0.01", "b_by=1", "k_in=0.01", "T0=5e10"},
      {"rho=1.7", "f_neg0=0.01", "b_by=1", "k_in=0.01", "T0=5e10"},
      {"rho=2.5", "f_neg0=0.01", "b_by=1", "k_in=0.01", "T0=5e10"},
      {"rho=4", "f_neg0=0.01", "b_by=1", "k_in=0.01", "T0=5e10"},
      {"rho=1.2", "f_neg0=0.01", "b_by=1", "k_in=0.05", "T0=1.6e11"}, /* dip, then a low peak */
      {"rho=1", "f_neg0=0.01", "b_by=1", "k_in=0.05", "T0=1.6e11"},   /* dip, no return */
  };
  enum { N_CASES = sizeof cases / sizeof cases[0] };
  double persistence_of[N_CASES];
  int seen[3] = {0, 0, 0};
  for (size_t i = 0; i < N_CASES; i++) {
    static double s[N_TIMES * NS], o[N_TIMES], e[32];
    solve_days(test_params("solid", cases[i], 5), s, o, e);
    const double t0 = s[TP] + s[TN];
    double nadir = t0, til_max = 0.0;
    int cr = 0;
    double fall = NAN, running_max = -INFINITY;
    int risen = 0;
    for (size_t d = 0; d < N_TIMES; d++) {
      const double *y = &s[d * NS];
      const double tum = y[TP] + y[TN];
      nadir = tum < nadir ? tum : nadir;
      cr |= d < 90 && tum < 1e9;
      til_max = y[ET] + y[XT] > til_max ? y[ET] + y[XT] : til_max;
      /* persistence: the first fall to 0.1 after the peak; the maximum starts afresh at the
       * first rise, and only a new maximum above 0.1 starts the wait again */
      if (d > 0 && !risen && o[d] > o[d - 1]) {
        risen = 1;
        running_max = o[d - 1];
      }
      if (o[d] > running_max) {
        running_max = o[d];
        if (o[d] > 0.1) {
          fall = NAN;
        }
      } else if (isnan(fall) && o[d - 1] > 0.1 && o[d] <= 0.1) {
        fall = (double)d;
      }
    }
    const int expected = cr ? 2 : nadir <= 0.343 * t0 ? 1 : 0;
    ck_assert_msg(e[response] == expected, "%s: response %g, trajectory says %d", cases[i][0],
                  e[response], expected);
    seen[expected] = 1;
    const double expected_fall = isnan(fall) ? 365.0 : fall; /* the horizon: still above */
    ck_assert_msg(fabs(e[persistence] - expected_fall) <= 1.0,
                  "%s, %s: persistence %g, first day at or below 0.1 cells/uL after the peak %g",
                  cases[i][0], cases[i][3], e[persistence], expected_fall);
    ck_assert_double_ge(e[til], til_max * (1 - 1e-9));
    persistence_of[i] = e[persistence];
  }
  ck_assert_msg(seen[0] && seen[1] && seen[2], "responses seen: NR %d PR %d CR %d", seen[0],
                seen[1], seen[2]);
  /* the two dips: the low second peak read (not the dip's first days), and no return read as
   * the dip */
  ck_assert_msg(persistence_of[4] > 20.0, "dip then low peak: persistence %g", persistence_of[4]);
  ck_assert_msg(persistence_of[5] < 5.0, "dip without return: persistence %g", persistence_of[5]);
}
END_TEST

/* On-target off-tumour damage: off (k_H = 0, the default) the healthy tissue stays exactly
 * intact; on, its nadir falls with the dose (more circulating effectors), and the tumour and
 * CAR-T are the same as without it (H feeds back on nothing). */
START_TEST(test_off_tumour_tissue)
{
  const cart_model *model = solid();
  const int tissue = cart_model_endpoint_index(model, "tissue_nadir");
  static double s0[N_TIMES * NS], s[N_TIMES * NS], e[32];
  solve_days(test_params("solid", NULL, 0), s0, NULL, e);
  ck_assert_double_eq(e[tissue], 1.0);
  for (size_t d = 0; d < N_TIMES; d++) {
    ck_assert_double_eq(s0[d * NS + H], 1.0);
  }
  static const char *const doses[] = {"dose=1e8", "dose=3e8", "dose=1e9"};
  double last = 1.0;
  for (size_t i = 0; i < 3; i++) {
    const char *const set[] = {"k_H=1", doses[i]};
    solve_days(test_params("solid", set, 2), s, NULL, e);
    ck_assert_msg(e[tissue] < last, "%s: tissue nadir %g", doses[i], e[tissue]);
    last = e[tissue];
    if (i == 1) { /* the default dose: the same course as without the tissue, to the solves'
                   * accuracy (H's error changes the steps) */
      for (size_t d = 0; d < N_TIMES; d++) {
        for (int k = EB; k <= TN; k++) { /* cells, where far above their tolerance */
          const double a = s[d * NS + k], b = s0[d * NS + k];
          ck_assert_msg(b < 1e3 || test_rel_diff(a, b) <= 1e-6, "day %zu state %d: %g vs %g", d,
                        k, a, b);
        }
      }
    }
  }
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("solid");
  TCase *limits = tcase_create("limits");
  tcase_set_timeout(limits, 120);
  tcase_add_test(limits, test_no_cart_logistic);
  tcase_add_test(limits, test_no_pd1_states_zero);
  tcase_add_test(limits, test_pd1_pk_exponential);
  suite_add_tcase(suite, limits);
  TCase *pd1 = tcase_create("anti-PD-1");
  tcase_set_timeout(pd1, 120);
  tcase_add_test(pd1, test_pd1_lowers_exhaustion);
  tcase_add_test(pd1, test_pd1_deepens_response);
  suite_add_tcase(suite, pd1);
  TCase *endpoints = tcase_create("endpoints");
  tcase_set_timeout(endpoints, 120);
  tcase_add_test(endpoints, test_recist_and_persistence);
  tcase_add_test(endpoints, test_off_tumour_tissue);
  suite_add_tcase(suite, endpoints);
  return test_run(suite);
}
