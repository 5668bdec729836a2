/* check_solver.c: the solver against MODEL.md section 7's exact answers (cases 1-5), the event
 * paths (doses at output times, inside a step, several in one step, at t = 0), bad input, and
 * failures under GSL's default error handler. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_lambert.h>

#include "test_util.h"

enum { E, M, X, TP, TN, B, IL6, D1, D2 };
#define MAX_TIMES 800

/* Tight tolerances of anchors/reference/README.md: rtol 1e-10, atol 1e-4 cells (IL-6 1e-9 pg/mL,
 * tocilizumab 1e-12 mg; stein 1e-10 copies/ug). */
static void set_tight(cart_solver *solver, const cart_model *model)
{
  double atol[16];
  for (size_t i = 0; i < cart_model_n_states(model); i++) {
    cart_state_info info;
    cart_model_state_info(model, i, &info);
    atol[i] = strcmp(info.unit, "cells") == 0     ? 1e-4
              : strcmp(info.unit, "pg/mL") == 0 ? 1e-9
              : strcmp(info.unit, "mg") == 0    ? 1e-12
                                                : 1e-10;
  }
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-10, atol), CART_OK);
}

static size_t daily(double *times, double t_end)
{
  size_t n = 0;
  for (double t = 0; t <= t_end; t += 1) {
    times[n++] = t;
  }
  return n;
}

/* Solves `params` (freed here) and returns the solver for inspection (caller frees). */
static cart_solver *solve_or_fail(cart_params *params, const cart_dosing *dosing, cart_method method,
                                  int tight, const double *times, size_t n, double *states,
                                  double *outputs)
{
  const cart_model *model = cart_params_model(params);
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_ptr_nonnull(solver);
  ck_assert_int_eq(cart_solver_set_method(solver, method), CART_OK);
  if (tight) {
    set_tight(solver, model);
  }
  const int status = cart_solver_solve(solver, params, dosing, times, n, states, outputs);
  ck_assert_msg(status == CART_OK, "solve failed: %s", cart_solver_last_error(solver)->message);
  cart_params_free(params);
  return solver;
}

/* ---- MODEL.md 7.1: stein against its analytic solution, both sides of tmax ---- */

static double stein_exact(double t)
{
  const double c0 = 6.15, rho = 0.889, tmax = 9.3, alpha = 0.16, beta = 0.0032, fb = 0.0079;
  if (t < tmax) {
    return c0 * exp(rho * t);
  }
  const double cmax = c0 * exp(rho * tmax);
  return cmax * ((1 - fb) * exp(-alpha * (t - tmax)) + fb * exp(-beta * (t - tmax)));
}

static void check_stein(cart_method method)
{
  double times[MAX_TIMES], states[2 * MAX_TIMES];
  size_t n = 0;
  for (double t = 0; t < 9.3; t += 0.5) {
    times[n++] = t;
  }
  times[n++] = 9.3 - 1e-6;
  times[n++] = 9.3;
  times[n++] = 9.3 + 1e-6;
  for (double t = 10; t <= 365; t += 1) {
    times[n++] = t;
  }
  cart_solver *solver =
      solve_or_fail(test_params("stein", NULL, 0), NULL, method, 1, times, n, states, NULL);
  double worst = 0;
  for (size_t k = 0; k < n; k++) {
    const double c = states[2 * k] + states[2 * k + 1];
    const double d = test_rel_diff(c, stein_exact(times[k]));
    worst = d > worst ? d : worst;
    ck_assert_msg(d <= 1e-6, "stein %s t = %.9g: %.12g vs exact %.12g", cart_method_name(method),
                  times[k], c, stein_exact(times[k]));
  }
  /* at tmax the state after the switch: CM = fb Cmax exactly as the event says */
  const double cmax = 6.15 * exp(0.889 * 9.3);
  ck_assert_double_eq(times[20], 9.3);
  ck_assert_double_le(test_rel_diff(states[2 * 20 + 1], 0.0079 * cmax), 1e-6);
  ck_assert_double_eq(states[2 * 19 + 1], 0.0); /* just before: no CM yet */
  cart_solver_stats stats;
  cart_solver_get_stats(solver, &stats);
  ck_assert_uint_eq(stats.events, 1);
  cart_solver_free(solver);
}

START_TEST(test_stein_analytic_bdf)
{
  check_stein(CART_METHOD_BDF);
}
END_TEST

START_TEST(test_stein_analytic_rodas5p)
{
  check_stein(CART_METHOD_RODAS5P);
}
END_TEST

START_TEST(test_stein_analytic_rk8pd)
{
  check_stein(CART_METHOD_RK8PD);
}
END_TEST

/* Relative error 1e-6 where the exact value is above 1e8 atol. Nearer the atol floor a relative
 * comparison measures atol, not the solver: BDF's global error there is a few hundred atol (at
 * rtol 1e-10 and atol 1e-4 cells, E(t) of case 7.2 is within 1.3e-7 above 1e4 cells, 3.6e-6
 * above 1e2 cells, 5e-4 above 1e-2 cells). */
static void expect_close(const char *what, double t, double got, double exact, double atol)
{
  if (fabs(exact) > 1e8 * atol) {
    ck_assert_msg(test_rel_diff(got, exact) <= 1e-6, "%s at t = %g: %.12g vs exact %.12g", what, t,
                  got, exact);
  }
}

/* ---- 7.2: no antigen, S = 0 ---- */
static void check_no_antigen(cart_method method)
{
  const char *const set[] = {"T0=0", "B0=0", "b_ld=0"};
  double times[MAX_TIMES], states[9 * MAX_TIMES];
  const size_t n = daily(times, 365);
  cart_solver_free(
      solve_or_fail(test_params("cart", set, 3), NULL, method, 1, times, n, states, NULL));
  const double e0 = 0.8 * 1.4e8, k = 0.25 + 0.02, rho_ld = 0.6, tau = 7;
  for (size_t i = 0; i < n; i++) {
    const double t = times[i];
    expect_close("E", t, states[9 * i + E], e0 * exp(-k * t + rho_ld * tau * (1 - exp(-t / tau))),
                 1e-4);
    ck_assert_double_eq(states[9 * i + X], 0.0); /* X stays 0 exactly */
  }
  /* with rho_ld = 0, M(t) in closed form */
  const char *const set0[] = {"T0=0", "B0=0", "b_ld=0", "rho_ld=0"};
  cart_solver_free(
      solve_or_fail(test_params("cart", set0, 4), NULL, method, 1, times, n, states, NULL));
  const double m0 = 0.2 * 1.4e8, dm = 0.005, kmem = 0.02;
  for (size_t i = 0; i < n; i++) {
    const double t = times[i];
    const double m = m0 * exp(-dm * t) + kmem * e0 * (exp(-dm * t) - exp(-k * t)) / (k - dm);
    expect_close("M", t, states[9 * i + M], m, 1e-4);
    expect_close("E", t, states[9 * i + E], e0 * exp(-k * t), 1e-4);
  }
}

START_TEST(test_no_antigen_bdf)
{
  check_no_antigen(CART_METHOD_BDF);
}
END_TEST

START_TEST(test_no_antigen_rodas5p)
{
  check_no_antigen(CART_METHOD_RODAS5P);
}
END_TEST

START_TEST(test_no_antigen_rk8pd)
{
  check_no_antigen(CART_METHOD_RK8PD);
}
END_TEST

/* ---- 7.3: no CAR-T: logistic tumour (r_neg = r_tum), B relaxes to B0; 7.5: IL6 stays ---- */
START_TEST(test_no_cart)
{
  const char *const set[] = {"dose=0", "r_neg=0.03"};
  double times[MAX_TIMES], states[9 * MAX_TIMES];
  const size_t n = daily(times, 365);
  cart_solver_free(
      solve_or_fail(test_params("cart", set, 2), NULL, CART_METHOD_BDF, 1, times, n, states, NULL));
  const double K = 1e12, n0 = 1e11, r = 0.03, b0 = 1e10, dB = 0.03;
  for (size_t i = 0; i < n; i++) {
    const double t = times[i];
    expect_close("Tp+Tn", t, states[9 * i + TP] + states[9 * i + TN],
                 K * n0 / (n0 + (K - n0) * exp(-r * t)), 1e-4);
    expect_close("B", t, states[9 * i + B], b0 - (b0 - 0.1 * b0) * exp(-dB * t), 1e-4);
    ck_assert_double_le(fabs(states[9 * i + IL6] - 3.0), 1e-9);
  }
}
END_TEST

/* 7.5 at the default tolerances too, and with a tumour and B cells present: IL6 = il6_0. */
START_TEST(test_il6_steady_default_tolerances)
{
  double times[MAX_TIMES], states[9 * MAX_TIMES];
  const size_t n = daily(times, 365);
  cart_solver_free(solve_or_fail(test_params("cart", (const char *const[]){"dose=0"}, 1), NULL,
                                 CART_METHOD_BDF, 0, times, n, states, NULL));
  for (size_t i = 0; i < n; i++) {
    ck_assert_double_le(fabs(states[9 * i + IL6] - 3.0), 1e-9);
  }
}
END_TEST

/* ---- 7.4: tocilizumab alone, 560 mg in D1 at t = 0 (a bolus: infusion of duration 0) ---- */
static void toci_alone(const char *const *set, size_t n_set, double *times, size_t n,
                       double *states, cart_method method)
{
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 0, 8, 0, 800), CART_OK); /* 8 mg/kg * 70 kg */
  cart_solver_free(
      solve_or_fail(test_params("cart", set, n_set), dosing, method, 1, times, n, states, NULL));
  cart_dosing_free(dosing);
}

START_TEST(test_toci_biexponential)
{
  const char *const set[] = {"dose=0", "T0=0", "Vmax=0"};
  double times[MAX_TIMES], states[9 * MAX_TIMES];
  const size_t n = daily(times, 365);
  toci_alone(set, 3, times, n, states, CART_METHOD_BDF);
  /* e^{At} for the 2x2 system by Sylvester's formula with eigenvalues l1, l2 */
  const double CL = 0.3, V1 = 3.5, V2 = 2.9, Q = 0.2;
  const double a = -(CL + Q) / V1, b = Q / V2, c = Q / V1, d = -Q / V2;
  const double tr = a + d, det = a * d - b * c, disc = sqrt(tr * tr - 4 * det);
  const double l1 = (tr + disc) / 2, l2 = (tr - disc) / 2;
  for (size_t i = 0; i < n; i++) {
    const double t = times[i], e1 = exp(l1 * t), e2 = exp(l2 * t);
    /* x(t) = [e1 (A - l2 I) - e2 (A - l1 I)] / (l1 - l2) x0, x0 = (560, 0) */
    const double d1 = 560 * (e1 * (a - l2) - e2 * (a - l1)) / (l1 - l2);
    const double d2 = 560 * (e1 * c - e2 * c) / (l1 - l2);
    expect_close("D1", t, states[9 * i + D1], d1, 1e-12);
    expect_close("D2", t, states[9 * i + D2], d2, 1e-12);
  }
}
END_TEST

/* Q = CL = 0: one compartment with Michaelis-Menten elimination, exact by Lambert W. */
static void check_lambert(cart_method method)
{
  const char *const set[] = {"dose=0", "T0=0", "Q=0", "CL=0"};
  double times[MAX_TIMES], states[9 * MAX_TIMES];
  const size_t n = daily(times, 365);
  toci_alone(set, 4, times, n, states, method);
  const double V1 = 3.5, Vmax = 7.5, Km = 2.7, c0 = 560 / V1;
  for (size_t i = 0; i < n; i++) {
    const double t = times[i];
    const double c = Km * gsl_sf_lambert_W0((c0 / Km) * exp((c0 - Vmax * t / V1) / Km));
    expect_close("C1", t, states[9 * i + D1] / V1, c, 1e-12 / V1);
    ck_assert_double_eq(states[9 * i + D2], 0.0);
  }
}

START_TEST(test_toci_lambert_bdf)
{
  check_lambert(CART_METHOD_BDF);
}
END_TEST

START_TEST(test_toci_lambert_rodas5p)
{
  check_lambert(CART_METHOD_RODAS5P);
}
END_TEST

START_TEST(test_toci_lambert_rk8pd)
{
  check_lambert(CART_METHOD_RK8PD);
}
END_TEST

/* A 1-hour infusion with no elimination: D1 rises linearly, then holds the capped amount. */
START_TEST(test_toci_infusion_and_cap)
{
  const char *const set[] = {"dose=0", "T0=0", "Q=0", "CL=0", "Vmax=0"};
  cart_dosing *dosing = cart_dosing_new(NULL);
  const double tinf = CART_TOCI_DURATION_DAY_DEFAULT, start = 2.0;
  ck_assert_int_eq(cart_dosing_add_toci(dosing, start, 12, tinf, 800), CART_OK); /* 840 > 800 */
  double times[] = {0, start, start + tinf / 4, start + tinf / 2, start + tinf, 3, 10};
  double states[9 * 7];
  cart_solver_free(solve_or_fail(test_params("cart", set, 5), dosing, CART_METHOD_BDF, 1, times, 7,
                                 states, NULL));
  ck_assert_double_eq(states[9 * 1 + D1], 0.0); /* the start of an infusion adds nothing */
  ck_assert_double_le(test_rel_diff(states[9 * 2 + D1], 200), 1e-9);
  ck_assert_double_le(test_rel_diff(states[9 * 3 + D1], 400), 1e-9);
  ck_assert_double_le(test_rel_diff(states[9 * 4 + D1], 800), 1e-9);
  ck_assert_double_le(test_rel_diff(states[9 * 6 + D1], 800), 1e-9);
  cart_dosing_free(dosing);
}
END_TEST

/* Infusions shorter than CART_TOCI_BOLUS_EPS_DAY are boluses: 1e-20 h (time + duration rounds to
 * time, which dropped the whole dose) and 1e-12 h (whose rounded end gave more than the dose)
 * put the bolus's amount in D1 at the dose time and after it; 1e-6 h is still an infusion. */
START_TEST(test_toci_tiny_infusion_is_bolus)
{
  const char *const set[] = {"dose=0", "T0=0", "Q=0", "CL=0", "Vmax=0"};
  const double start = 2.0, hours[] = {0, 1e-20, 1e-12, 1e-6};
  double times[] = {0, start, start + 1e-6, 3, 10};
  double bolus[9 * 5];
  for (size_t k = 0; k < sizeof hours / sizeof *hours; k++) {
    cart_dosing *dosing = cart_dosing_new(NULL);
    ck_assert_int_eq(cart_dosing_add_toci(dosing, start, 8, hours[k] / 24, 800), CART_OK);
    double states[9 * 5];
    cart_solver_free(solve_or_fail(test_params("cart", set, 5), dosing, CART_METHOD_BDF, 1, times,
                                   5, k == 0 ? bolus : states, NULL));
    cart_dosing_free(dosing);
    if (k == 0) {
      ck_assert_double_le(test_rel_diff(bolus[9 * 1 + D1], 560), 1e-15); /* 8 mg/kg * 70 kg */
      continue;
    }
    const int is_bolus = hours[k] / 24 < CART_TOCI_BOLUS_EPS_DAY;
    ck_assert_int_eq(is_bolus, hours[k] < 1e-6);
    /* a real infusion starts empty; its amount is exact up to the rounding of the solver's steps
     * (each of their ends is rounded to the double near day 2) */
    if (!is_bolus) {
      ck_assert_double_eq(states[9 * 1 + D1], 0.0);
    }
    for (size_t i = is_bolus ? 1 : 2; i < 5; i++) {
      ck_assert_msg(test_rel_diff(states[9 * i + D1], bolus[9 * i + D1]) <= (is_bolus ? 1e-12 : 1e-7),
                    "%g h infusion: D1 at day %g is %.17g, the bolus gives %.17g", hours[k],
                    times[i], states[9 * i + D1], bolus[9 * i + D1]);
    }
  }
}
END_TEST

/* ---- events ---- */

/* Solves cart from 0 with `dosing`; returns the state at each time. */
static void solve_cart(cart_solver *solver, const cart_params *params, const cart_dosing *dosing,
                       const double *times, size_t n, double *states)
{
  const int status = cart_solver_solve(solver, params, dosing, times, n, states, NULL);
  ck_assert_msg(status == CART_OK, "%s", cart_solver_last_error(solver)->message);
}

/* A CAR-T dose at t = 5 equals stopping at 5, adding the dose by hand and restarting; the output
 * at t = 5 is the state after the dose. */
START_TEST(test_dose_equals_stop_add_restart)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 5, 1e8, 0.3), CART_OK);
  const double times[] = {0, 1, 2, 3, 4, 5, 6, 10, 28, 100, 365};
  double with_dose[9 * 11], until_5[9 * 6], after[9 * 6];
  solve_cart(solver, params, dosing, times, 11, with_dose);
  solve_cart(solver, params, NULL, times, 6, until_5);
  double y5[9];
  memcpy(y5, until_5 + 9 * 5, sizeof y5);
  y5[E] += 0.7 * 1e8;
  y5[M] += 0.3 * 1e8;
  ck_assert_int_eq(cart_solver_solve_from(solver, params, NULL, 5, y5, times + 5, 6, after, NULL),
                   CART_OK);
  for (size_t k = 0; k < 6; k++) {
    for (size_t i = 0; i < 9; i++) {
      ck_assert_msg(with_dose[9 * (5 + k) + i] == after[9 * k + i],
                    "t = %g state %zu: %.17g with the dose event, %.17g by stop-add-restart",
                    times[5 + k], i, with_dose[9 * (5 + k) + i], after[9 * k + i]);
    }
  }
  /* before the dose the two runs are the same patient */
  ck_assert_int_eq(memcmp(with_dose, until_5, 9 * 5 * sizeof(double)), 0);
  ck_assert_double_eq(with_dose[9 * 5 + E], until_5[9 * 5 + E] + 0.7e8);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* Doses between output times (inside what would be one step), several of them between two outputs,
 * two at the same time and a tocilizumab infusion among them: the same as restarting by hand at
 * each event. */
START_TEST(test_events_inside_steps)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 7.3, 5e7, 0.2), CART_OK);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 7.6, 2e7, 0.5), CART_OK);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 7.6, 1e7, 0.0), CART_OK);
  const double times[] = {0, 7, 8, 9, 30};
  double events[9 * 5];
  solve_cart(solver, params, dosing, times, 5, events);

  /* by hand: 0 -> 7 -> 7.3 (+dose) -> 7.6 (+2 doses) -> 8 -> 9 -> 30 */
  double s1[9 * 3], s2[9 * 2], s3[9 * 4];
  const double t1[] = {0, 7, 7.3};
  solve_cart(solver, params, NULL, t1, 3, s1);
  double y[9];
  memcpy(y, s1 + 9 * 2, sizeof y);
  y[E] += 0.8 * 5e7;
  y[M] += 0.2 * 5e7;
  const double t2[] = {7.3, 7.6};
  ck_assert_int_eq(cart_solver_solve_from(solver, params, NULL, 7.3, y, t2, 2, s2, NULL), CART_OK);
  memcpy(y, s2 + 9, sizeof y);
  y[E] += 0.5 * 2e7;
  y[M] += 0.5 * 2e7;
  y[E] += 1.0 * 1e7;
  const double t3[] = {7.6, 8, 9, 30};
  ck_assert_int_eq(cart_solver_solve_from(solver, params, NULL, 7.6, y, t3, 4, s3, NULL), CART_OK);
  for (size_t i = 0; i < 9; i++) {
    ck_assert_double_eq(events[9 * 1 + i], s1[9 * 1 + i]);
    for (size_t k = 0; k < 3; k++) {
      ck_assert_double_le(test_rel_diff(events[9 * (2 + k) + i], s3[9 * (1 + k) + i]), 1e-14);
    }
  }
  cart_solver_stats stats;
  cart_solver_solve(solver, params, dosing, times, 5, events, NULL);
  cart_solver_get_stats(solver, &stats);
  ck_assert_uint_eq(stats.events, 3); /* 7.3, 7.6 (two doses, one restart), Tp's extinction */
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* A schedule dose at t = 0 adds to the initial infusion `dose`; two doses at one time add up. */
START_TEST(test_dose_at_zero_and_simultaneous)
{
  cart_params *base = test_params("cart", NULL, 0);
  cart_params *bigger = test_params("cart", (const char *const[]){"dose=2.4e8"}, 1);
  cart_solver *solver = cart_solver_new(cart_params_model(base), NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 0, 0.6e8, CART_FMEM_FROM_PARAMS), CART_OK);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 0, 0.4e8, CART_FMEM_FROM_PARAMS), CART_OK);
  const double times[] = {0, 1, 14, 100};
  double a[9 * 4], b[9 * 4];
  solve_cart(solver, base, dosing, times, 4, a);
  solve_cart(solver, bigger, NULL, times, 4, b);
  for (size_t k = 0; k < 4; k++) {
    for (size_t i = 0; i < 9; i++) {
      ck_assert_double_le(test_rel_diff(a[9 * k + i], b[9 * k + i]), 1e-9);
    }
  }
  ck_assert_double_le(test_rel_diff(a[E], 0.8 * 2.4e8), 1e-15);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(base);
  cart_params_free(bigger);
}
END_TEST

/* An output time equal to an infusion's end, a dose at the last output time, and events after
 * the last output time (ignored). */
START_TEST(test_event_at_last_output)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 20, 1e8, 0.2), CART_OK);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 50, 1e8, 0.2), CART_OK);
  const double times[] = {0, 10, 20};
  double with[9 * 3], without[9 * 3];
  solve_cart(solver, params, dosing, times, 3, with);
  solve_cart(solver, params, NULL, times, 3, without);
  ck_assert_double_eq(with[9 * 2 + E], without[9 * 2 + E] + 0.8e8);
  ck_assert_double_eq(with[9 * 2 + M], without[9 * 2 + M] + 0.2e8);
  ck_assert_double_eq(with[9 * 1 + E], without[9 * 1 + E]);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* stein: the switch at tmax is an event, continuing from after tmax keeps the contracting phase. */
START_TEST(test_stein_solve_from_after_tmax)
{
  cart_params *params = test_params("stein", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  set_tight(solver, cart_params_model(params));
  const double times[] = {0, 20, 40};
  double full[6], rest[4];
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, 3, full, NULL), CART_OK);
  ck_assert_int_eq(cart_solver_solve_from(solver, params, NULL, 20, full + 2, times + 1, 2, rest,
                                          NULL),
                   CART_OK);
  ck_assert_double_le(test_rel_diff(rest[2] + rest[3], stein_exact(40)), 1e-6);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* ---- bad input and failures ---- */

START_TEST(test_bad_input)
{
  cart_params *params = test_params("cart", NULL, 0);
  cart_params *stein = test_params("stein", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  double states[9 * 4];
  const double good[] = {0, 1, 2};
  ck_assert_int_eq(cart_solver_solve(solver, NULL, NULL, good, 3, states, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, NULL, 3, states, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, good, 0, states, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_solve(NULL, params, NULL, good, 3, states, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_solve(solver, stein, NULL, good, 3, states, NULL), CART_EINVAL);
  ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "'stein'"));

  const double decreasing[] = {0, 2, 1};
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, decreasing, 3, states, NULL),
                   CART_ETIMES);
  const double negative[] = {-1, 2};
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, negative, 2, states, NULL), CART_ETIMES);
  const double nan_time[] = {0, NAN};
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, nan_time, 2, states, NULL), CART_ETIMES);
  const double y0[9] = {0};
  ck_assert_int_eq(cart_solver_solve_from(solver, params, NULL, 5, y0, good, 3, states, NULL),
                   CART_ETIMES); /* outputs before the start */
  ck_assert_int_eq(cart_solver_solve_from(solver, params, NULL, 0, NULL, good, 3, states, NULL),
                   CART_EINVAL);

  /* a rule broken after the values were set one by one */
  ck_assert_int_eq(cart_params_set(params, "p_amp", 12000), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, good, 3, states, NULL), CART_ERULE);
  ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "gain"));

  /* doses a model cannot take */
  cart_solver *stein_solver = cart_solver_new(cart_params_model(stein), NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_dosing_add_cart(dosing, 1, 1e6, 0.1);
  ck_assert_int_eq(cart_solver_solve(stein_solver, stein, dosing, good, 3, states, NULL),
                   CART_EDOSE);
  cart_dosing_clear(dosing);
  cart_dosing_add_toci(dosing, 1, 8, 0.04, 800);
  ck_assert_int_eq(cart_solver_solve(stein_solver, stein, dosing, good, 3, states, NULL),
                   CART_EDOSE);

  /* options */
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 0, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_set_tolerances(solver, NAN, NULL), CART_EINVAL);
  /* rtol >= 1 controls nothing: refused above CART_RTOL_MAX, with the bound in the message */
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e300, NULL), CART_EINVAL);
  ck_assert_msg(strstr(cart_solver_last_error(solver)->message, "must be in (0, 0.1]") != NULL, "%s",
                cart_solver_last_error(solver)->message);
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 0.11, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_solver_set_tolerances(solver, CART_RTOL_MAX, NULL), CART_OK);
  const double bad_atol[9] = {1, 1, 1, 1, 1, -1, 1, 1, 1};
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-6, bad_atol), CART_EINVAL);
  ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "'B'"));
  ck_assert_int_eq(cart_solver_set_max_steps(solver, 0), CART_EINVAL);
  ck_assert_int_eq(cart_solver_set_method(solver, (cart_method)7), CART_EINVAL);
  cart_method method;
  ck_assert_int_eq(cart_method_from_name("euler", &method), CART_EINVAL);
  ck_assert_int_eq(cart_method_from_name("rk8pd", &method), CART_OK);
  ck_assert_int_eq(method, CART_METHOD_RK8PD);
  cart_error err;
  ck_assert_ptr_null(cart_solver_new(NULL, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);

  cart_dosing_free(dosing);
  cart_solver_free(stein_solver);
  cart_solver_free(solver);
  cart_solver_free(NULL);
  cart_params_free(params);
  cart_params_free(stein);
}
END_TEST

/* The solver fails cleanly with GSL's default (aborting) error handler installed: before the first
 * solver exists and again after. A failure keeps the outputs already written and the time reached. */
START_TEST(test_failures_under_gsl_default_handler)
{
  gsl_set_error_handler(NULL); /* GSL's default: print and abort() */
  cart_params *params = test_params("cart", NULL, 0);
  cart_solver *solver = cart_solver_new(cart_params_model(params), NULL);
  gsl_set_error_handler(NULL); /* a host program may put it back at any time */
  double times[MAX_TIMES], states[9 * MAX_TIMES];
  const size_t n = daily(times, 365);
  for (size_t i = 0; i < 9 * n; i++) {
    states[i] = -12345;
  }
  for (int method = CART_METHOD_BDF; method <= CART_METHOD_RK8PD; method++) {
    ck_assert_int_eq(cart_solver_set_method(solver, (cart_method)method), CART_OK);
    ck_assert_int_eq(cart_solver_set_max_steps(solver, 10), CART_OK);
    ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, n, states, NULL),
                     CART_EMAXSTEPS);
    const double reached = cart_solver_time_reached(solver);
    ck_assert(reached > 0 && reached < 365);
    ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "10 steps"));
    ck_assert_double_eq(states[E], 1.12e8);             /* t = 0 was written */
    ck_assert_double_eq(states[9 * (n - 1) + E], -12345); /* the end was not */
  }
  /* tolerances that cannot be met: the step size underflows */
  ck_assert_int_eq(cart_solver_set_method(solver, CART_METHOD_BDF), CART_OK);
  ck_assert_int_eq(cart_solver_set_max_steps(solver, CART_MAX_STEPS_DEFAULT), CART_OK);
  double atol[9];
  for (size_t i = 0; i < 9; i++) {
    atol[i] = 1e-300;
  }
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-300, atol), CART_OK);
  const int status = cart_solver_solve(solver, params, NULL, times, n, states, NULL);
  ck_assert_msg(status == CART_ESTEPSIZE, "got %s: %s", cart_status_name(status),
                cart_solver_last_error(solver)->message);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* Outputs are never negative: solver noise above -atol (Tp after clearance) is reported as 0. */
START_TEST(test_no_negative_output)
{
  double times[MAX_TIMES], states[9 * MAX_TIMES];
  const size_t n = daily(times, 365);
  cart_solver_free(solve_or_fail(test_params("cart", NULL, 0), NULL, CART_METHOD_BDF, 0, times, n,
                                 states, NULL));
  for (size_t i = 0; i < 9 * n; i++) {
    ck_assert(states[i] >= 0.0);
  }
  ck_assert_double_lt(states[9 * (n - 1) + TP], 1.0); /* the tumour was cleared */
}
END_TEST

/* Cblood = f_blood (E + M + X) / (V_blood 1e6) (MODEL.md 2.2). */
START_TEST(test_cblood_output)
{
  const double times[] = {0, 12, 100};
  double states[27], outputs[3];
  cart_solver_free(solve_or_fail(test_params("cart", NULL, 0), NULL, CART_METHOD_BDF, 0, times, 3,
                                 states, outputs));
  ck_assert_double_eq_tol(outputs[0], 0.14, 1e-15);
  for (size_t k = 0; k < 3; k++) {
    const double e = states[9 * k + E] + states[9 * k + M] + states[9 * k + X];
    ck_assert_double_le(test_rel_diff(outputs[k], 0.005 * e / 5e6), 1e-15);
  }
}
END_TEST

/* A patient of a calibrated trial (seed 3, patient 766 of an early candidate of the default):
 * the tocilizumab compartments decay towards 0 months after the last dose, D1 ends a step as
 * noise just above -atol and the exact ODE then pulls D2 below -atol from there, in any step
 * however short. The retry restarts from the step's start with its noise set to 0 (MODEL.md 6
 * calls it 0), so the solve goes through and no state is reported negative. */
START_TEST(test_noise_negative_restart)
{
  const char *const settings[] = {
    "dose=140000000", "f_mem=0.20000000000000001", "rho=0.57611285581480598", "KS=1000000000",
    "rho_ld=0.59999999999999998", "ld_tau=7", "omega=0.20000000000000001",
    "delta_E=0.23736931021764401", "k_mem=0.02", "k_exh=0.050000000000000003",
    "delta_M=0.0050000000000000001", "delta_X=0.10000000000000001", "gamma=57.986699370571827",
    "Kkill=487012732511.61719", "T0=222827438010.55136", "f_neg0=5.7708181523247934e-05",
    "r_tum=0.023439804647873902", "r_neg=0.025000000000000001", "K_tum=1000000000000",
    "mu_loss=1e-08", "B0=10000000000", "b_ld=0.10000000000000001",
    "delta_B=0.029999999999999999", "il6_0=3", "k_il6=5", "k_rec=15",
    "p_kill=5.8356217268718886", "p_act=3.3041318941364559", "p_amp=8000", "IL6_50=300", "h=2",
    "CL=0.29999999999999999", "V1=3.5", "V2=2.8999999999999999", "Q=0.20000000000000001",
    "Vmax=7.5", "Km=2.7000000000000002", "KD_toci=0.40000000000000002", "WT=88.212880901128543",
    "V_blood=5", "f_blood=0.013339330697989598", "t_prog=9.4128401271550626", "n_prog=4",
    "k_imm=0.073692822784412942", "K_imm=58856095.285114035", "q_ifn=30.475302030093641"};
  cart_params *params = test_params("cart", settings, sizeof settings / sizeof *settings);
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  rule.delay_day = 0.5;
  ck_assert_int_eq(cart_dosing_set_toci_rule(dosing, &rule), CART_OK);
  cart_solver *solver = cart_solver_new(cart_model_find("cart", NULL), NULL);
  /* msbdf is the method that reaches the retry here (Rodas5P, L-stable and restarting at no
   * cost, takes other steps and does not overshoot) */
  ck_assert_int_eq(cart_solver_set_method(solver, CART_METHOD_BDF), CART_OK);
  double times[366], y[366 * 9];
  for (int k = 0; k <= 365; k++) {
    times[k] = k;
  }
  const int rc = cart_solver_solve(solver, params, dosing, times, 366, y, NULL);
  ck_assert_msg(rc == CART_OK, "%s", cart_solver_last_error(solver)->message);
  cart_solver_stats stats;
  cart_solver_get_stats(solver, &stats);
  ck_assert_uint_gt(stats.rejected_invalid, 0); /* the case does reach the retry */
  for (size_t i = 0; i < 366 * 9; i++) {
    ck_assert_double_ge(y[i], 0.0);
  }
  cart_solver_free(solver);
  cart_dosing_free(dosing);
  cart_params_free(params);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("solver");
  TCase *exact = tcase_create("exact");
  tcase_set_timeout(exact, 60);
  tcase_add_test(exact, test_stein_analytic_bdf);
  tcase_add_test(exact, test_stein_analytic_rk8pd);
  tcase_add_test(exact, test_stein_analytic_rodas5p);
  tcase_add_test(exact, test_no_antigen_bdf);
  tcase_add_test(exact, test_no_antigen_rk8pd);
  tcase_add_test(exact, test_no_antigen_rodas5p);
  tcase_add_test(exact, test_no_cart);
  tcase_add_test(exact, test_il6_steady_default_tolerances);
  tcase_add_test(exact, test_toci_biexponential);
  tcase_add_test(exact, test_toci_lambert_bdf);
  tcase_add_test(exact, test_toci_lambert_rk8pd);
  tcase_add_test(exact, test_toci_lambert_rodas5p);
  tcase_add_test(exact, test_toci_infusion_and_cap);
  tcase_add_test(exact, test_toci_tiny_infusion_is_bolus);
  suite_add_tcase(suite, exact);
  TCase *events = tcase_create("events");
  tcase_add_test(events, test_dose_equals_stop_add_restart);
  tcase_add_test(events, test_events_inside_steps);
  tcase_add_test(events, test_dose_at_zero_and_simultaneous);
  tcase_add_test(events, test_event_at_last_output);
  tcase_add_test(events, test_stein_solve_from_after_tmax);
  suite_add_tcase(suite, events);
  TCase *errors = tcase_create("errors");
  tcase_set_timeout(errors, 60);
  tcase_add_test(errors, test_bad_input);
  tcase_add_test(errors, test_failures_under_gsl_default_handler);
  tcase_add_test(errors, test_no_negative_output);
  tcase_add_test(errors, test_noise_negative_restart);
  tcase_add_test(errors, test_cblood_output);
  suite_add_tcase(suite, errors);
  return test_run(suite);
}
