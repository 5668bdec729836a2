/* check_allo.c: the allogeneic model allo (doc/models.md section 3b): its reduction to cart without
 * alloreactivity, rejection shortening persistence, anti-CD52 delaying rejection, the initial
 * state, and its lanes against its scalar code. The Jacobian is checked against finite
 * differences in check_models.c with the other models. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_scenario.h>

#include "../lib/models/model_impl.h"
#include "../lib/trial/trial_impl.h"
#include "test_util.h"

enum { E, M, X, TP, TN, B, IL6, D1, D2, NH, RA, A52, NA }; /* allo states */
#define NC 9 /* cart's states, the first NC of allo's */
#define N_TIMES 366

/* cart's opt-in mechanisms on, at the values of the built-in calibrated scenario (rounded), so
 * that the reduction covers every term of cart_equations.h. */
static const char *const mechanisms[] = {"t_prog=7.86", "k_imm=0.084", "K_imm=4.7e7",
                                         "q_ifn=17.6", "a_tum=0.204", "gamma=60",
                                         "Kkill=1.16e11", "f_blood=0.015"};
#define N_MECH (sizeof mechanisms / sizeof mechanisms[0])

/* Solves on days 0..365 (params freed here); `atol_cells` > 0 sets rtol 1e-10 and that absolute
 * tolerance for cells (1e-9 pg/mL, 1e-13 mg) and turns extinction off. */
static void solve_days(cart_params *params, const cart_dosing *dosing, double atol_cells,
                       double *states, double *outputs)
{
  const cart_model *model = cart_params_model(params);
  double times[N_TIMES];
  for (size_t k = 0; k < N_TIMES; k++) {
    times[k] = (double)k;
  }
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_ptr_nonnull(solver);
  if (atol_cells > 0) {
    double atol[16];
    for (size_t i = 0; i < cart_model_n_states(model); i++) {
      cart_state_info info;
      cart_model_state_info(model, i, &info);
      atol[i] = strcmp(info.unit, "cells") == 0   ? atol_cells
                : strcmp(info.unit, "pg/mL") == 0 ? 1e-9
                                                  : 1e-13;
    }
    ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-10, atol), CART_OK);
    ck_assert_int_eq(cart_solver_set_extinction(solver, 0.0), CART_OK);
  }
  test_solve_and_free(solver, params, dosing, times, N_TIMES, states, outputs);
}

/* The parameters of `params` in table order. */
static void param_values(const cart_params *params, double *p)
{
  const cart_model *model = cart_params_model(params);
  for (size_t i = 0; i < cart_model_n_params(model); i++) {
    ck_assert_int_eq(cart_params_get_index(params, i, &p[i]), CART_OK);
  }
}

/* allo with `extra` settings on top of the mechanisms. */
static cart_params *allo_params(const char *const *extra, size_t n_extra)
{
  const char *set[32];
  memcpy(set, mechanisms, sizeof mechanisms);
  for (size_t i = 0; i < n_extra; i++) { /* extra may be NULL when n_extra is 0 */
    set[N_MECH + i] = extra[i];
  }
  return test_params("allo", set, N_MECH + n_extra);
}

static cart_dosing *toci_on_day_4(void)
{
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 4.0, 8.0, 1.0 / 24, 800.0), CART_OK);
  return dosing;
}

/* Solves cart and allo (with `off` settings) with a tocilizumab dose on day 4 at rtol 1e-10,
 * into sc and sa, and returns the worst relative deviation of cart's states, asserting it is at
 * most `tol` above 1e3 cells, 1e-2 pg/mL and `mg_floor` mg. */
static double compare_to_cart(const char *const *off, size_t n_off, double tol, double mg_floor,
                              double *sc, double *sa)
{
  static double oc[N_TIMES], oa[N_TIMES];
  cart_dosing *dosing = toci_on_day_4();
  solve_days(test_params("cart", mechanisms, N_MECH), dosing, 1e-5, sc, oc);
  solve_days(allo_params(off, n_off), dosing, 1e-5, sa, oa);
  cart_dosing_free(dosing);
  const double floors[NC] = {1e3, 1e3, 1e3, 1e3, 1e3, 1e3, 1e-2, mg_floor, mg_floor};
  double worst = 0.0;
  for (size_t k = 0; k < N_TIMES; k++) {
    for (size_t i = 0; i < NC; i++) {
      const double b = sc[k * NC + i];
      const double d = fabs(b) > floors[i] ? test_rel_diff(sa[k * NA + i], b) : 0.0;
      ck_assert_msg(d <= tol, "day %zu state %zu: allo %.17g, cart %.17g", k, i,
                    sa[k * NA + i], b);
      worst = d > worst ? d : worst;
    }
    ck_assert(test_rel_diff(oa[k], oc[k]) <= tol || oc[k] < 1e3 * 0.015 / 5e6);
  }
  ck_assert_double_gt(sc[5 * NC + D1], 1.0); /* tocilizumab was there */
  ck_assert_double_gt(sc[10 * NC + E], 1e9); /* and an expansion */
  return worst;
}

/* Without alloreactivity (f_allo = 0), host T cells (n_ld = 0) or antibody (cd52_dose = 0) every
 * state allo adds is exactly 0 for ever and every term it adds to cart's rows is exactly 0 (the
 * right-hand side of cart's states is cart's bit for bit: the next test). The trajectories are not
 * bit-identical all the same: rejection couples X and R to E in the Jacobian's declared structure,
 * so the solver's block LU (rosenbrock.h) eliminates cart's core block in another order, and the
 * rounding of the linear solves differs. At rtol 1e-10 (atol 1e-5 cells) that rounding moves the
 * trajectories apart by less than 1e-10 relative, which this test holds, for cart's mechanisms,
 * a tocilizumab dose and a year. */
START_TEST(test_reduction_to_cart)
{
  static double sc[N_TIMES * NC], sa[N_TIMES * NA];
  const char *const off[] = {"f_allo=0", "n_ld=0", "cd52_dose=0"};
  /* above 1e-3 mg: tocilizumab's decline to micrograms over months, through Michaelis-Menten
   * elimination, gathers 1e-10 by itself */
  const double worst = compare_to_cart(off, 3, 1e-10, 1e-3, sc, sa);
  for (size_t k = 0; k < N_TIMES; k++) {
    ck_assert(sa[k * NA + NH] == 0.0 && sa[k * NA + RA] == 0.0 && sa[k * NA + A52] == 0.0);
  }
  printf("allo -> cart without host T cells: worst relative deviation %.3g\n", worst);
}
END_TEST

/* With f_allo = 0 and c_comp = 0 the host T cells and the antibody run (N recovers, A52 decays)
 * but touch nothing of cart: at any state with R = 0 allo's right-hand side of cart's states is
 * cart's, bit for bit; and the trajectories agree to 1e-6 relative at rtol 1e-10 (they differ
 * only by the steps, which N's error also sizes: about 1e-8 each, MODEL.md 6). */
START_TEST(test_reduction_host_cells_running)
{
  const cart_model *allo = cart_model_find("allo", NULL);
  const cart_model *cart = cart_model_find("cart", NULL);
  const char *const off[] = {"f_allo=0", "c_comp=0", "cd52_dose=90"};
  cart_params *pa = allo_params(off, 3);
  cart_params *pc = test_params("cart", mechanisms, N_MECH);
  double p_allo[64], p_cart[64], dva[CART_MAX_DERIVED], dvc[CART_MAX_DERIVED];
  param_values(pa, p_allo);
  param_values(pc, p_cart);
  allo->prepare(p_allo, dva);
  cart->prepare(p_cart, dvc);
  const cart_model_eval eva = {p_allo, dva, 0}, evc = {p_cart, dvc, 0};
  unsigned seed = 15;
  for (int trial = 0; trial < 200; trial++) {
    double y[NA], fa[NA], fc[NC];
    for (size_t i = 0; i < NA; i++) {
      seed = seed * 1103515245u + 12345u;
      y[i] = exp(log(1e12) * (double)(seed >> 8) / (double)(1u << 24));
    }
    y[RA] = 0.0;
    const double t = 0.1 * trial;
    allo->rhs(t, y, fa, &eva);
    cart->rhs(t, y, fc, &evc);
    ck_assert_msg(memcmp(fa, fc, sizeof fc) == 0, "rhs differs at trial %d", trial);
  }
  cart_params_free(pc);
  cart_params_free(pa);

  static double sc[N_TIMES * NC], sa[N_TIMES * NA];
  const double worst = compare_to_cart(off, 3, 1e-6, 1e-6, sc, sa);
  ck_assert_double_gt(sa[60 * NA + NH], 1e10); /* the host cells did run */
  printf("allo -> cart with host T cells running: worst relative deviation %.3g\n", worst);
}
END_TEST

/* The last day with CAR-T cells (E + M + X) above 1e7 (a blood level near 0.03 cells/uL). */
static double persistence_day(const double *s)
{
  double last = 0.0;
  for (size_t k = 0; k < N_TIMES; k++) {
    if (s[k * NA + E] + s[k * NA + M] + s[k * NA + X] > 1e7) {
      last = (double)k;
    }
  }
  return last;
}

/* Rejection shortens persistence, more the faster it kills (k_rej) and the more host cells are
 * alloreactive (f_allo). */
START_TEST(test_rejection_shortens_persistence)
{
  static double s[N_TIMES * NA];
  static const char *const k_rej[] = {"k_rej=0", "k_rej=0.25", "k_rej=1", "k_rej=4"};
  static const char *const f_allo[] = {"f_allo=0", "f_allo=0.001", "f_allo=0.01", "f_allo=0.1"};
  const char *const *sweeps[] = {k_rej, f_allo};
  for (size_t w = 0; w < 2; w++) {
    double previous = INFINITY;
    for (size_t v = 0; v < 4; v++) {
      solve_days(allo_params(&sweeps[w][v], 1), NULL, 0, s, NULL);
      const double day = persistence_day(s);
      printf("allo %s: CAR-T above 1e7 cells until day %g\n", sweeps[w][v], day);
      ck_assert_msg(day < previous, "%s: persistence %g, not shorter than %g", sweeps[w][v], day,
                    previous);
      previous = day;
    }
  }
}
END_TEST

/* More anti-CD52 depletes host T cells longer: the alloreactive cells peak later and the CAR-T
 * persist longer; without it, N and R start recovering at once. */
START_TEST(test_cd52_delays_rejection)
{
  static double s[N_TIMES * NA];
  static const char *const doses[] = {"cd52_dose=0", "cd52_dose=39", "cd52_dose=90",
                                      "cd52_dose=200"};
  double previous_peak = -1.0, previous_persistence = -1.0;
  for (size_t v = 0; v < 4; v++) {
    solve_days(allo_params(&doses[v], 1), NULL, 0, s, NULL);
    size_t peak = 0;
    for (size_t k = 1; k < N_TIMES; k++) {
      peak = s[k * NA + RA] > s[peak * NA + RA] ? k : peak;
    }
    const double persistence = persistence_day(s);
    printf("allo %s: R peaks on day %zu, CAR-T above 1e7 cells until day %g\n", doses[v], peak,
           persistence);
    ck_assert_double_gt((double)peak, previous_peak);
    ck_assert_double_gt(persistence, previous_persistence);
    previous_peak = (double)peak;
    previous_persistence = persistence;
  }
}
END_TEST

/* doc/models.md 3b: N(0) = n_ld N0, R(0) = f_allo N(0), A52(0) = cd52_dose exp(-CL t_cd52 / V). */
START_TEST(test_initial_state)
{
  const cart_model *allo = cart_model_find("allo", NULL);
  cart_params *params = test_params("allo", NULL, 0);
  double p[64], dv[CART_MAX_DERIVED], y[NA];
  param_values(params, p);
  allo->prepare(p, dv);
  int mode = -1;
  allo->initial(p, dv, y, &mode);
  ck_assert_int_eq(mode, 0);
  ck_assert_double_eq_tol(y[NH], 0.05 * 3e11, 1e-3);
  ck_assert_double_eq_tol(y[RA], 0.01 * 0.05 * 3e11, 1e-3);
  ck_assert_double_eq_tol(y[A52], 39.0 * exp(-1.2 / 7.0 * 4.0), 1e-12);
  ck_assert_double_eq(y[E], 0.8 * 1.4e8);
  cart_params_free(params);
}
END_TEST

/* The lanes (two patients per vector, the baseline width) compute what the scalar code does, bit
 * for bit, at random states and parameters with every term on. */
START_TEST(test_lanes_match_scalar)
{
  const cart_model *allo = cart_model_find("allo", NULL);
  ck_assert_ptr_nonnull(allo->lanes);
  const size_t n = allo->n_states, np = allo->n_params;
  cart_params *params = allo_params(NULL, 0);
  double p[2][64], dv[2][CART_MAX_DERIVED], y[2][NA], t[2], base[64];
  param_values(params, base);
  unsigned seed = 52;
  for (int trial = 0; trial < 50; trial++) {
    for (int l = 0; l < 2; l++) {
      for (size_t i = 0; i < np; i++) {
        seed = seed * 1103515245u + 12345u;
        p[l][i] = base[i] * (0.5 + (double)(seed >> 8) / (double)(1u << 24));
      }
      p[l][cart_model_param_index(allo, "h")] = l == 0 ? 2.0 : 1.5;
      p[l][cart_model_param_index(allo, "n_ld")] = 0.05;
      p[l][cart_model_param_index(allo, "a_tum")] = 0.2;
      allo->prepare(p[l], dv[l]);
      for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        y[l][i] = exp(log(1e11) * (double)(seed >> 8) / (double)(1u << 24));
      }
      t[l] = 0.37 * trial + l;
    }
    cartp_lane2 tl = {t[0], t[1]}, yl[NA], pl[64], dvl[CART_MAX_DERIVED], fl[NA], Jl[NA * NA],
                dfdtl[NA];
    for (size_t i = 0; i < n; i++) {
      yl[i] = (cartp_lane2){y[0][i], y[1][i]};
    }
    for (size_t i = 0; i < np; i++) {
      pl[i] = (cartp_lane2){p[0][i], p[1][i]};
    }
    for (size_t i = 0; i < CART_MAX_DERIVED; i++) {
      dvl[i] = (cartp_lane2){dv[0][i], dv[1][i]};
    }
    allo->lanes->rhs2(&tl, yl, fl, pl, dvl);
    allo->lanes->jacobian2(&tl, yl, Jl, dfdtl, pl, dvl);
    for (int l = 0; l < 2; l++) {
      double f[NA], J[NA * NA], dfdt[NA];
      const cart_model_eval ev = {p[l], dv[l], 0};
      allo->rhs(t[l], y[l], f, &ev);
      allo->jacobian(t[l], y[l], J, dfdt, &ev);
      for (size_t i = 0; i < n; i++) {
        ck_assert_msg(memcmp(&f[i], &fl[i][l], sizeof(double)) == 0, "f %zu lane %d", i, l);
        ck_assert(memcmp(&dfdt[i], &dfdtl[i][l], sizeof(double)) == 0);
      }
      for (size_t i = 0; i < n * n; i++) {
        ck_assert_msg(memcmp(&J[i], &Jl[i][l], sizeof(double)) == 0, "J %zu lane %d", i, l);
      }
    }
  }
  cart_params_free(params);
}
END_TEST

/* allo's own endpoints from a solve: persistence_day is where Cblood last falls through
 * car_detect (between the last output day above it and the next),
 * expansion counts the folds of Cblood at infusion that cmax exceeds; persistence shortens with
 * k_rej. */
START_TEST(test_endpoints)
{
  const cart_model *allo = cart_model_find("allo", NULL);
  const int i_pers = cart_model_endpoint_index(allo, "persistence_day");
  const int i_exp = cart_model_endpoint_index(allo, "expansion");
  const int i_cmax = cart_model_endpoint_index(allo, "cmax");
  ck_assert(i_pers >= 0 && i_exp >= 0 && i_cmax >= 0);
  static const char *const k_rej[] = {"k_rej=0.25", "k_rej=1", "k_rej=4"};
  double previous = INFINITY;
  for (size_t v = 0; v < 3; v++) {
    cart_params *params = allo_params(&k_rej[v], 1);
    double times[N_TIMES], endpoints[CART_SUMMARY_MAX_ENDPOINTS];
    static double states[N_TIMES * NA], cblood[N_TIMES];
    for (size_t k = 0; k < N_TIMES; k++) {
      times[k] = (double)k;
    }
    cart_solver *solver = cart_solver_new(allo, NULL);
    ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, NULL, NULL, times, N_TIMES,
                                                 states, cblood, endpoints),
                     CART_OK);
    const double day = endpoints[i_pers];
    size_t last = 0;
    for (size_t k = 0; k < N_TIMES; k++) {
      last = cblood[k] > 0.05 ? k : last;
    }
    ck_assert_msg(day >= (double)last && day <= (double)last + 1.0, "persistence %g, last day %zu",
                  day, last);
    const double fold = endpoints[i_cmax] / cblood[0];
    const double folds[4] = {2, 10, 100, 1000};
    int grade = 0;
    for (int g = 0; g < 4; g++) {
      grade += fold > folds[g];
    }
    ck_assert_double_eq(endpoints[i_exp], grade);
    printf("allo %s: persistence_day %.2f, expansion %g (peak %.0f-fold)\n", k_rej[v], day,
           endpoints[i_exp], fold);
    ck_assert_double_lt(day, previous);
    previous = day;
    cart_solver_free(solver);
    cart_params_free(params);
  }
}
END_TEST

/* A trial of varied allo patients (examples/allo.ini: rejection failing expansion in some, the
 * tocilizumab rule in others) in SIMD lanes gives the rows of one patient at a time, bit for bit:
 * the lanes' equations are the scalar ones (test_lanes_match_scalar) and the batch solver feeds
 * them the same steps. */
START_TEST(test_trial_lanes_bit_identical)
{
  char *text = test_read_example("allo.ini");
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(text, "allo.ini", &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  const size_t n = 60;
  cart_trial_block *one = test_lanes_against_one_by_one(trial, n, "allo.ini");
  const size_t ne = one->n_endpoints;
  int failed = 0, responded = 0;
  for (size_t k = 0; k < n; k++) {
    failed += one->endpoints[k * ne + (size_t)cart_model_endpoint_index(
                                          cart_model_find("allo", NULL), "expansion")] < 2;
    responded += one->endpoints[k * ne + CART_ENDPOINT_RESPONSE] >= 1;
  }
  ck_assert_int_gt(failed, 0); /* both kinds of patient were there */
  ck_assert_int_gt(responded, 0);
  cart_trial_block_free(one);
  cart_trial_free(trial);
  free(text);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("allo");
  TCase *tc = tcase_create("allo");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_reduction_to_cart);
  tcase_add_test(tc, test_reduction_host_cells_running);
  tcase_add_test(tc, test_rejection_shortens_persistence);
  tcase_add_test(tc, test_cd52_delays_rejection);
  tcase_add_test(tc, test_initial_state);
  tcase_add_test(tc, test_lanes_match_scalar);
  tcase_add_test(tc, test_endpoints);
  tcase_add_test(tc, test_trial_lanes_bit_identical);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
