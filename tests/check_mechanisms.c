/* check_mechanisms.c: cart's opt-in mechanisms (doc/models.md, "cart: opt-in mechanisms")
 * against exact solutions of cases they reduce to. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "test_util.h"

enum { E, M, X, TP, TN, B, N_CART = 9 };

static double *solve(const char *const *settings, size_t n, const double *times, size_t n_times)
{
  cart_params *params = test_params("cart", settings, n);
  cart_solver *solver = cart_solver_new(cart_model_find("cart", NULL), NULL);
  ck_assert_ptr_nonnull(solver);
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0.0), CART_OK);
  const double atol[N_CART] = {1e-6, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6, 1e-9, 1e-9, 1e-9};
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-10, atol), CART_OK);
  double *y = malloc(n_times * N_CART * sizeof *y);
  const int rc = cart_solver_solve(solver, params, NULL, times, n_times, y, NULL);
  ck_assert_msg(rc == CART_OK, "solve: %s", cart_solver_last_error(solver)->message);
  cart_solver_free(solver);
  cart_params_free(params);
  return y;
}

/* Programmed expansion with constant antigen (no killing, no tumour growth, B at B0) and no
 * memory traffic: E' = (rho S P(t) - delta_E - k_exh S) E with P = 1 / (1 + (t / t_prog)^2),
 * so ln(E / E0) = rho S t_prog atan(t / t_prog) - (delta_E + k_exh S) t. */
START_TEST(test_programme_exact)
{
  const char *const settings[] = {"t_prog=8", "n_prog=2", "gamma=0", "r_tum=0", "mu_loss=0",
                                  "b_ld=1", "omega=0", "k_mem=0", "rho_ld=0", "T0=1e10",
                                  "f_neg0=0", "dose=1e8", "f_mem=0"};
  const double times[] = {0, 2, 5, 8, 12, 20, 40};
  const size_t n_times = sizeof times / sizeof *times;
  double *y = solve(settings, sizeof settings / sizeof *settings, times, n_times);
  const double rho = 0.6, delta_e = 0.25, k_exh = 0.05, t_prog = 8.0;
  const double antigen = 1e10 + 1e10, stim = antigen / (antigen + 1e9);
  double worst = 0.0;
  for (size_t k = 0; k < n_times; k++) {
    const double t = times[k];
    const double exact =
        1e8 * exp(rho * stim * t_prog * atan(t / t_prog) - (delta_e + k_exh * stim) * t);
    const double rel = test_rel_diff(y[k * N_CART + E], exact);
    worst = rel > worst ? rel : worst;
  }
  ck_assert_msg(worst < 1e-7, "programmed expansion: largest relative error %g", worst);
  /* the program is what stops the expansion: without it E grows through day 40 */
  ck_assert_double_lt(y[(n_times - 1) * N_CART + E], y[3 * N_CART + E]);
  free(y);
}
END_TEST

/* Immune control alone (no CAR-T, no tumour growth): T' = -k K T / (K + T), whose solution
 * satisfies ln(T / T0) + (T - T0) / K = -k t exactly. Tp and Tn obey it apart (each carries its
 * own share of the same per-cell rate), so the sum does too. */
START_TEST(test_immune_control_exact)
{
  const char *const settings[] = {"dose=0", "r_tum=0", "r_neg=0", "mu_loss=0", "k_imm=0.05",
                                  "K_imm=1e8", "T0=1e9", "f_neg0=0.25"};
  const double times[] = {0, 10, 30, 60, 120, 240};
  const size_t n_times = sizeof times / sizeof *times;
  double *y = solve(settings, sizeof settings / sizeof *settings, times, n_times);
  const double k = 0.05, K = 1e8, T0 = 1e9;
  double worst = 0.0;
  for (size_t i = 0; i < n_times; i++) {
    const double tumour = y[i * N_CART + TP] + y[i * N_CART + TN];
    const double residual = log(tumour / T0) + (tumour - T0) / K + k * times[i];
    worst = fabs(residual) > worst ? fabs(residual) : worst;
    /* the share of Tn is constant: both phenotypes die at the same per-cell rate */
    ck_assert_double_lt(fabs(y[i * N_CART + TN] / tumour - 0.25), 1e-8);
  }
  /* residual is an error in ln T: 1e-7 relative */
  ck_assert_msg(worst < 1e-7, "immune control: largest residual %g", worst);
  /* a large tumour escapes: the decline is far slower than k while T >> K */
  ck_assert_double_gt(y[1 * N_CART + TP] + y[1 * N_CART + TN], T0 * exp(-k * 10) * 1.5);
  free(y);
}
END_TEST

/* With every opt-in parameter at its default the model is MODEL.md 2.2 bit for bit: the same
 * patient solved with the defaults and with the defaults written out explicitly. */
START_TEST(test_defaults_are_off)
{
  const double times[] = {0, 7, 14, 28, 90, 365};
  const size_t n_times = sizeof times / sizeof *times;
  const char *const off[] = {"t_prog=0", "k_imm=0", "q_ifn=0", "n_prog=3", "K_imm=1e5", "a_tum=1"};
  double *a = solve(NULL, 0, times, n_times);
  double *b = solve(off, sizeof off / sizeof *off, times, n_times);
  for (size_t i = 0; i < n_times * N_CART; i++) {
    ck_assert_msg(a[i] == b[i], "value %zu differs: %.17g vs %.17g", i, a[i], b[i]);
  }
  free(a);
  free(b);
}
END_TEST

/* The CRS signal: its trajectory is IL6s + q_ifn S E / 1e9 (S from Tp and B), the CRS grade and
 * onset read it, the tocilizumab rule fires on it, and tocilizumab lowers IL6s but not the part
 * it does not block: the typical patient of the default population, rule on. */
START_TEST(test_crs_signal)
{
  cart_trial *trial = test_trial_new(1);
  static const char *const varied[] = {"rho", "gamma", "delta_E", "T0"};
  for (size_t i = 0; i < 4; i++) {
    cart_population_set_cv(cart_trial_edit_population(trial), varied[i], 0);
  }
  double times[61];
  for (int k = 0; k <= 60; k++) {
    times[k] = 0.5 * k;
  }
  ck_assert_int_eq(cart_trial_set_times(trial, times, 61), CART_OK);
  cart_trial_clear_outputs(trial);
  static const char *const outs[] = {"E", "Tp", "B", "IL6s", "CRS"};
  for (size_t i = 0; i < 5; i++) {
    ck_assert_int_eq(cart_trial_add_output(trial, outs[i]), CART_OK);
  }
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  ck_assert_int_eq(cart_dosing_set_toci_rule(cart_trial_edit_dosing(trial), &rule), CART_OK);
  double grade[2], onset[2], il6s_peak[2], first_dose[2];
  for (int on = 0; on < 2; on++) {
    const double q = on ? 60.0 : 0.0;
    ck_assert_int_eq(cart_params_set(cart_population_typical(cart_trial_edit_population(trial)),
                                     "q_ifn", q), CART_OK);
    cart_trial_block *block = cart_trial_block_new(trial, 1, NULL);
    ck_assert_int_eq(test_run_block(trial, 0, 1, 1, block), CART_OK);
    ck_assert_int_eq(block->status[0], CART_OK);
    const float *tr = block->trajectories;
    const size_t nt = block->n_times, cap = block->capacity;
    for (size_t k = 0; k < nt; k++) {
      const double e = tr[(0 * cap) * nt + k], tp = tr[(1 * cap) * nt + k];
      const double b = tr[(2 * cap) * nt + k], il6s = tr[(3 * cap) * nt + k];
      const double crs = tr[(4 * cap) * nt + k];
      const double stim = (tp + b) / (tp + b + 1e9);
      const double expect = il6s + q * stim * e / 1e9;
      ck_assert_msg(fabs(crs - expect) <= 1e-5 * expect + 1e-6, "t %g: CRS %g, expected %g",
                    times[k], crs, expect);
    }
    grade[on] = block->endpoints[CART_ENDPOINT_CRS_GRADE];
    onset[on] = block->endpoints[CART_ENDPOINT_CRS_ONSET];
    il6s_peak[on] = block->endpoints[CART_ENDPOINT_IL6S_PEAK];
    first_dose[on] = block->toci_times[0];
    cart_trial_block_free(block);
  }
  /* q_ifn = 0: the rule caps IL6s at grade 2 (MODEL.md as written) */
  ck_assert_double_eq(grade[0], 2);
  /* the unblocked signal: earlier onset, earlier tocilizumab, and severe CRS despite it */
  ck_assert_double_lt(onset[1], onset[0]);
  ck_assert_double_lt(first_dose[1], first_dose[0]);
  ck_assert_double_ge(grade[1], 3);
  /* il6s_peak stays the peak of IL6s, which the earlier tocilizumab lowers */
  ck_assert_double_le(il6s_peak[1], il6s_peak[0]);
  cart_trial_free(trial);
}
END_TEST

/* Tumour susceptibility a_tum: with mass-action killing (Kkill far above the targets), saturated
 * stimulation (KS tiny, so E does not depend on the tumour) and no growth, ln(Tp / T0) is
 * -a_tum gamma/Kkill times the integral of E, so it scales with a_tum exactly (to the 1e-6 of
 * Tp / Kkill left in the denominator); B cells (none here) keep the full rate. */
START_TEST(test_tumour_susceptibility_scales_kill)
{
  const double times[] = {0, 8, 11, 14};
  const size_t n_times = sizeof times / sizeof *times;
  const char *const full[] = {"dose=1e8", "T0=1e9", "f_neg0=0", "r_tum=0", "r_neg=0",
                              "mu_loss=0", "B0=0", "b_ld=0", "KS=1e-3", "Kkill=1e15",
                              "gamma=100", "rho=0.9", "a_tum=1"};
  const size_t n = sizeof full / sizeof *full;
  const char *quarter[sizeof full / sizeof *full];
  for (size_t i = 0; i < n; i++) {
    quarter[i] = full[i];
  }
  quarter[n - 1] = "a_tum=0.25";
  double *a = solve(full, n, times, n_times);
  double *b = solve(quarter, n, times, n_times);
  for (size_t k = 1; k < n_times; k++) {
    const double log_kill_full = log(a[k * N_CART + TP] / 1e9);
    const double log_kill_quarter = log(b[k * N_CART + TP] / 1e9);
    /* the case kills, but not so far that the stimulation by Tp itself fades */
    ck_assert_msg(log_kill_full < -0.01 && log_kill_full > -15, "day %g: ln(Tp/T0) %g",
                  times[k], log_kill_full);
    ck_assert_msg(fabs(log_kill_quarter / log_kill_full - 0.25) < 1e-5,
                  "day %g: log-kill ratio %.9g, expected 0.25", times[k],
                  log_kill_quarter / log_kill_full);
    ck_assert_double_eq_tol(a[k * N_CART + E], b[k * N_CART + E], 1e-6 * a[k * N_CART + E]);
  }
  free(a);
  free(b);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("mechanisms");
  TCase *exact = tcase_create("exact");
  tcase_set_timeout(exact, 60);
  tcase_add_test(exact, test_programme_exact);
  tcase_add_test(exact, test_immune_control_exact);
  tcase_add_test(exact, test_defaults_are_off);
  tcase_add_test(exact, test_crs_signal);
  tcase_add_test(exact, test_tumour_susceptibility_scales_kill);
  suite_add_tcase(suite, exact);
  return test_run(suite);
}
