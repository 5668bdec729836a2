/* check_lupus.c: model lupus (doc/models.md): its pre-treatment steady state, the B-cell lineage
 * without CAR-T against its closed form, the gate of B-cell return by the CAR-T cells, and the
 * example scenario's endpoints in plausible ranges. (Its analytic Jacobian is checked against
 * finite differences with every model's in check_models.c.) */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/models/model_impl.h"
#include "test_util.h"

static const cart_model *lupus(void)
{
  const cart_model *model = cart_model_find("lupus", NULL);
  ck_assert_ptr_nonnull(model);
  return model;
}

static double param(const cart_params *params, const char *name)
{
  double value;
  ck_assert_int_eq(cart_params_get(params, name, &value), CART_OK);
  return value;
}

static int state(const char *name)
{
  const int i = cart_model_state_index(lupus(), name);
  ck_assert_int_ge(i, 0);
  return i;
}

/* With no CAR-T and no lymphodepletion the initial state is the pre-treatment steady state that
 * prepare() derives by hand (doc/models.md): every derivative vanishes, to round-off of the
 * largest term of its row. The default parameters and a second set. */
START_TEST(test_steady_state)
{
  const cart_model *model = lupus();
  const char *const sets[][4] = {{"dose=0", "b_ld=1", "il6_0=3", "f_auto=0.05"},
                                 {"dose=0", "b_ld=1", "eps=1e-3", "f_auto=0.2"}};
  for (size_t s = 0; s < 2; s++) {
    cart_params *params = test_params("lupus", sets[s], 4);
    double p[64], dv[CART_MAX_DERIVED], y[16], f[16], J[16 * 16], dfdt[16];
    for (size_t i = 0; i < model->n_params; i++) {
      cart_params_get_index(params, i, &p[i]);
    }
    model->prepare(p, dv);
    int mode;
    model->initial(p, dv, y, &mode);
    const cart_model_eval ev = {p, dv, mode};
    model->rhs(0.0, y, f, &ev);
    model->jacobian(0.0, y, J, dfdt, &ev);
    const size_t n = model->n_states;
    for (size_t i = 0; i < n; i++) {
      double terms = 0.0;
      for (size_t j = 0; j < n; j++) {
        terms += fabs(J[i * n + j] * y[j]);
      }
      ck_assert_msg(fabs(f[i]) <= 1e-12 * terms + 1e-300, "set %zu: d%s/dt = %g at rest", s,
                    model->states[i].name, f[i]);
    }
    ck_assert_double_eq(y[state("B")], param(params, "B0"));
    ck_assert_double_eq_tol(y[state("Ba")], 0.05 * (s == 0 ? 1 : 4) * param(params, "B0"), 1e-3);
    ck_assert_double_eq(y[state("Ab")], 1.0);
    cart_params_free(params);
  }
}
END_TEST

/* Without CAR-T cells the precursors and the B cells are linear (doc/models.md):
 *   P1' = s_P - k P1,  P2' = k (P1 - P2),  B' = k P2 - d B,  k = k_mat, d = delta_B + k_act,
 * with P* = s_P / k and B* = B0 at rest. After lymphodepletion to b_ld of each, u0 = (b_ld - 1)
 * P* and w0 = (b_ld - 1) B0:
 *   P1 = P* + u0 e^{-kt},  P2 = P* + u0 (1 + k t) e^{-kt},
 *   B  = B0 + e^{-dt} [w0 + k u0 ((e^{at} - 1) / a + k (t e^{at} / a - (e^{at} - 1) / a^2))],
 * a = d - k. The solver's states agree to 1e-6 relative; the CAR-T states stay exactly 0 and
 * the autoreactive cells, without a CAR-T target, return towards their rest. */
START_TEST(test_no_car_t_closed_form)
{
  const cart_model *model = lupus();
  cart_params *params = test_params("lupus", (const char *const[]){"dose=0", "b_ld=0.05"}, 2);
  const double k = param(params, "k_mat"), d = param(params, "delta_B") + param(params, "k_act");
  const double b0 = param(params, "B0"), b_ld = param(params, "b_ld");
  const double p_star = d * b0 / k, u0 = (b_ld - 1.0) * p_star, w0 = (b_ld - 1.0) * b0;
  const double a = d - k;
  enum { N_TIMES = 8 };
  const double times[N_TIMES] = {0.5, 2, 5, 10, 20, 40, 80, 200};
  const size_t n = model->n_states;
  double states[N_TIMES * 16], outputs[N_TIMES * 4];
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-11, NULL), CART_OK);
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_solver_solve(solver, params, dosing, times, N_TIMES, states, outputs),
                   CART_OK);
  for (size_t j = 0; j < N_TIMES; j++) {
    const double t = times[j], decay = exp(-k * t), eat = exp(a * t);
    const double p1 = p_star + u0 * decay;
    const double p2 = p_star + u0 * (1.0 + k * t) * decay;
    const double b = b0 + exp(-d * t) * (w0 + k * u0 * ((eat - 1.0) / a +
                                                        k * (t * eat / a - (eat - 1.0) / (a * a))));
    const double *y = &states[j * n];
    ck_assert_msg(test_rel_diff(y[state("P1")], p1) < 1e-6, "t %g: P1 %.12g, closed form %.12g",
                  t, y[state("P1")], p1);
    ck_assert_msg(test_rel_diff(y[state("P2")], p2) < 1e-6, "t %g: P2 %.12g, closed form %.12g",
                  t, y[state("P2")], p2);
    ck_assert_msg(test_rel_diff(y[state("B")], b) < 1e-6, "t %g: B %.12g, closed form %.12g", t,
                  y[state("B")], b);
    ck_assert_double_eq(y[state("E")] + y[state("M")] + y[state("X")], 0.0);
  }
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* One patient's endpoints with "name=value" settings over 400 days; E and Ba's share of its
 * pre-treatment level at day 400. */
static void solve_endpoints(const char *const *settings, size_t n_settings, double *endpoints,
                            double *e_400, double *ba_share_400)
{
  const cart_model *model = lupus();
  cart_params *params = test_params("lupus", settings, n_settings);
  cart_solver *solver = cart_solver_new(model, NULL);
  cart_dosing *dosing = cart_dosing_new(NULL);
  const double times[] = {100, 400};
  double states[2 * 16], outputs[2 * 4];
  ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, dosing, NULL, times, 2, states,
                                               outputs, endpoints),
                   CART_OK);
  *e_400 = states[model->n_states + (size_t)state("E")];
  /* the autoreactive pool at day 400 as a share of its level before treatment */
  *ba_share_400 = states[model->n_states + (size_t)state("Ba")] /
                  (param(params, "f_auto") * param(params, "B0"));
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
}

static double endpoint(const double *endpoints, const char *name)
{
  const int i = cart_model_endpoint_index(lupus(), name);
  ck_assert_int_ge(i, 0);
  return endpoints[i];
}

/* B cells return only after the CAR-T cells fall (doc/models.md, "the gate"): with no CAR-T
 * they refill from a lymphodepletion below f_deep within days (what a model without the precursor gate would show after CAR-T);
 * with CAR-T cells that keep proliferating (t_prog = 0: no programmed decline) they never
 * return and the CAR-T stay; the longer the CAR-T keep proliferating, the later the return, day
 * for day (within the marrow transit); in every case the deep aplasia starts within days. */
START_TEST(test_gate)
{
  double none[32], kept[32], base[32], longer[32], e_none, e_kept, e_base, e_longer;
  double ba_none, ba_kept, ba_base, ba_longer;
  solve_endpoints((const char *const[]){"dose=0", "b_ld=0.005"}, 2, none, &e_none, &ba_none);
  solve_endpoints((const char *const[]){"t_prog=0"}, 1, kept, &e_kept, &ba_kept);
  solve_endpoints((const char *const[]){"t_prog=60"}, 1, base, &e_base, &ba_base);
  solve_endpoints((const char *const[]){"t_prog=120"}, 1, longer, &e_longer, &ba_longer);
  /* no CAR-T, a lymphodepletion deep enough to count as aplasia: back above f_return B0 in
   * days */
  ck_assert_double_lt(endpoint(none, "bcell_return_day"), 14);
  ck_assert_double_lt(endpoint(none, "aplasia_days"), 14);
  ck_assert_double_eq(e_none, 0.0);
  /* CAR-T that keep proliferating on the precursor stream: no return, CAR-T still there */
  ck_assert(isnan(endpoint(kept, "bcell_return_day")));
  ck_assert_double_gt(endpoint(kept, "aplasia_days"), 390);
  ck_assert_double_gt(e_kept, 1e6);
  /* returns that follow the CAR-T's decline */
  const double early = endpoint(base, "bcell_return_day"), late = endpoint(longer, "bcell_return_day");
  ck_assert_msg(early > 40 && early < 120, "return day %g", early);
  ck_assert_msg(late - early > 0.7 * 60 && late - early < 1.3 * 60, "return days %g and %g",
                early, late);
  ck_assert_double_lt(e_base, 1.0);
  for (int k = 0; k < 3; k++) {
    const double *e = k == 0 ? kept : k == 1 ? base : longer;
    ck_assert_double_lt(endpoint(e, "aplasia_onset"), 7);
  }
  /* reset, not refill: after lymphodepletion alone the autoreactive pool regrows from its 10 %
   * (about half back at day 400, at its net rate 0.005/day); after CAR-T the returning pool is
   * naive and the autoreactive one still below a tenth of its level at day 400 */
  double flu_cy[32], e_flu_cy, ba_flu_cy;
  solve_endpoints((const char *const[]){"dose=0"}, 1, flu_cy, &e_flu_cy, &ba_flu_cy);
  ck_assert_msg(ba_flu_cy > 0.3, "autoreactive pool after Flu/Cy alone %g", ba_flu_cy);
  ck_assert_double_lt(ba_base, 0.1);
  ck_assert_double_lt(ba_longer, 0.1);
  ck_assert_double_lt(ba_kept, 1e-6);
  /* the autoantibody falls while the plasma-cell floor stays: not to 0 */
  ck_assert_double_lt(endpoint(base, "autoab_d90"), 0.2);
  ck_assert_double_gt(endpoint(base, "autoab_d365"), 0.005);
  ck_assert_double_eq(endpoint(base, "remission"), 1.0);
}
END_TEST

static int compare(const void *a, const void *b)
{
  return test_compare_doubles(a, b);
}

/* examples/lupus.ini, 200 of its patients: every one solved, and the endpoints where the clinic
 * puts them (wide ranges, not the calibrated values: a calibration that moves keeps them). */
START_TEST(test_scenario)
{
  char *text = test_read_example("lupus.ini");
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(text, "lupus.ini", &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  ck_assert_str_eq(cart_model_name(cart_trial_model(trial)), "lupus");
  enum { N = 200 };
  ck_assert_int_eq(cart_trial_set_n_patients(trial, N), CART_OK);
  cart_trial_block *block = cart_trial_block_new(trial, N, NULL);
  ck_assert_ptr_nonnull(block);
  ck_assert_int_eq(test_run_block(trial, 0, N, 1, block), CART_OK);
  const cart_model *model = lupus();
  const size_t ne = block->n_endpoints;
  static double column[N];
  double sum = 0, sum2 = 0;
  size_t returned = 0, remission = 0, crs_any = 0, crs_severe = 0;
  for (size_t k = 0; k < N; k++) {
    ck_assert_int_eq(block->status[k], CART_OK);
    const double *e = &block->endpoints[k * ne];
    const double back = e[cart_model_endpoint_index(model, "bcell_return_day")];
    if (!isnan(back)) {
      returned++, sum += back, sum2 += back * back;
    }
    ck_assert_double_lt(e[cart_model_endpoint_index(model, "aplasia_onset")], 14);
    column[k] = e[cart_model_endpoint_index(model, "autoab_d90")];
    remission += e[cart_model_endpoint_index(model, "remission")] == 1.0;
    const double grade = e[cart_model_endpoint_index(model, "crs_grade")];
    crs_any += grade >= 1, crs_severe += grade >= 3;
  }
  const double mean = sum / (double)returned;
  const double sd = sqrt((sum2 - sum * mean) / (double)(returned - 1));
  ck_assert_msg(returned >= 0.9 * N, "%zu of %d returned", returned, N);
  ck_assert_msg(mean > 70 && mean < 160 && sd > 10 && sd < 70, "return %g +- %g days", mean, sd);
  qsort(column, N, sizeof column[0], compare);
  ck_assert_msg(column[N / 2] < 0.25, "median autoantibody at day 90 %g", column[N / 2]);
  ck_assert_uint_ge(remission, 0.9 * N);
  ck_assert_msg(crs_any > 0.2 * N && crs_any < 0.95 * N, "CRS in %zu of %d", crs_any, N);
  ck_assert_uint_le(crs_severe, 0.02 * N);
  cart_trial_block_free(block);
  cart_trial_free(trial);
  free(text);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("lupus");
  TCase *tc = tcase_create("lupus");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_steady_state);
  tcase_add_test(tc, test_no_car_t_closed_form);
  tcase_add_test(tc, test_gate);
  tcase_add_test(tc, test_scenario);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
