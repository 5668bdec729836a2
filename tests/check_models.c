/* check_models.c: the model tables and each model's analytic Jacobian (MODEL.md 2.1, 2.2). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "../lib/models/model_impl.h"
#include "../lib/trial/endpoints.h"
#include "test_util.h"

START_TEST(test_registry)
{
  cart_error err;
  ck_assert_uint_eq(cart_model_count(), 6);
  const cart_model *cart = cart_model_find("cart", &err);
  const cart_model *stein = cart_model_find("stein", &err);
  ck_assert_ptr_nonnull(cart);
  ck_assert_ptr_nonnull(stein);
  ck_assert_str_eq(cart_model_name(cart), "cart");
  ck_assert_uint_eq(cart_model_n_states(cart), 9);
  ck_assert_uint_eq(cart_model_n_states(stein), 2);
  ck_assert_uint_eq(cart_model_n_params(cart), 47); /* MODEL.md 2.2's 41 + 6 opt-in */
  ck_assert_uint_eq(cart_model_n_params(stein), 6);
  ck_assert_uint_eq(cart_model_n_outputs(cart), 1);
  const cart_model *cart2 = cart_model_find("cart2", &err);
  ck_assert_ptr_nonnull(cart2);
  ck_assert_str_eq(cart_model_name(cart2), "cart2");
  ck_assert_uint_eq(cart_model_n_states(cart2), 11);
  ck_assert_uint_eq(cart_model_n_params(cart2), 44); /* cart's 41 - 3 + 6 (MODEL.md 2.3) */
  ck_assert_uint_eq(cart_model_n_outputs(cart2), 1);
  const cart_model *allo = cart_model_find("allo", &err);
  ck_assert_ptr_nonnull(allo);
  ck_assert_uint_eq(cart_model_n_states(allo), 12);  /* cart's 9 + N, R, A52 */
  ck_assert_uint_eq(cart_model_n_params(allo), 63); /* cart's 47 + 16 (doc/models.md 3b) */
  ck_assert_uint_eq(cart_model_n_outputs(allo), 1);
  const cart_model *lupus = cart_model_find("lupus", &err);
  ck_assert_ptr_nonnull(lupus);
  ck_assert_uint_eq(cart_model_n_states(lupus), 11);
  const cart_model *solid = cart_model_find("solid", &err);
  ck_assert_ptr_nonnull(solid);
  ck_assert_uint_eq(cart_model_n_states(solid), 13); /* doc/models.md, solid */
  ck_assert_uint_eq(cart_model_n_params(solid), 59);
  ck_assert_ptr_null(cart_model_get(6));

  cart_error_clear(&err);
  ck_assert_ptr_null(cart_model_find("lupos", &err));
  ck_assert_int_eq(err.code, CART_EUNKNOWN_MODEL);
  ck_assert_ptr_nonnull(strstr(err.message, "'lupos'"));
  ck_assert_ptr_null(cart_model_find("lupos", NULL)); /* err is optional */
}
END_TEST

/* MODEL.md 2.2 state order. */
START_TEST(test_state_order)
{
  static const char *const names[] = {"E", "M", "X", "Tp", "Tn", "B", "IL6", "D1", "D2"};
  const cart_model *model = cart_model_find("cart", NULL);
  for (size_t i = 0; i < 9; i++) {
    cart_state_info info;
    ck_assert_int_eq(cart_model_state_info(model, i, &info), CART_OK);
    ck_assert_str_eq(info.name, names[i]);
    ck_assert_int_eq(cart_model_state_index(model, names[i]), (int)i);
  }
  ck_assert_int_eq(cart_model_state_info(model, 9, &(cart_state_info){0}), CART_EINVAL);
  ck_assert_int_eq(cart_model_state_index(model, "T"), -1);
  cart_state_info out;
  ck_assert_int_eq(cart_model_output_info(model, 0, &out), CART_OK);
  ck_assert_str_eq(out.name, "Cblood");

  /* MODEL.md 2.3 state order of cart2; its parameters start with cart's, in cart's order. */
  static const char *const names2[] = {"E", "M", "X", "Tab", "Ta", "Tb", "T0n",
                                       "B", "IL6", "D1", "D2"};
  const cart_model *cart2 = cart_model_find("cart2", NULL);
  for (size_t i = 0; i < 11; i++) {
    cart_state_info info;
    ck_assert_int_eq(cart_model_state_info(cart2, i, &info), CART_OK);
    ck_assert_str_eq(info.name, names2[i]);
    ck_assert_int_eq(cart_model_state_index(cart2, names2[i]), (int)i);
  }
  ck_assert_int_eq(cart_model_state_index(cart2, "Tp"), -1);
  ck_assert_int_eq(cart_model_param_index(cart2, "f_neg0"), -1);
  ck_assert_int_eq(cart_model_param_index(cart2, "r_neg"), -1);
  ck_assert_int_eq(cart_model_param_index(cart2, "mu_loss"), -1);
  size_t k = 0;
  for (size_t i = 0; i < cart_model_n_params(model); i++) {
    cart_param_info a, b;
    cart_model_param_info(model, i, &a);
    if (cart_model_param_index(cart2, a.name) < 0) {
      continue;
    }
    cart_model_param_info(cart2, k++, &b);
    ck_assert_str_eq(b.name, a.name);
    ck_assert_str_eq(b.unit, a.unit);
    ck_assert_double_eq(b.default_value, a.default_value);
    ck_assert(b.lower == a.lower && b.upper == a.upper);
    ck_assert(b.lower_open == a.lower_open && b.upper_open == a.upper_open);
  }
  static const char *const extra[] = {"mu_a", "mu_b", "f_a0", "f_b0", "f_n0", "car_targets"};
  for (size_t i = 0; i < 6; i++) {
    ck_assert_int_eq(cart_model_param_index(cart2, extra[i]), (int)(k + i));
  }
  ck_assert_int_eq(cart_model_output_info(cart2, 0, &out), CART_OK);
  ck_assert_str_eq(out.name, "Cblood");
}
END_TEST

/* Every default lies inside its bounds, names are unique, units and meanings are filled in. */
START_TEST(test_tables_consistent)
{
  for (size_t m = 0; m < cart_model_count(); m++) {
    const cart_model *model = cart_model_get(m);
    for (size_t i = 0; i < cart_model_n_params(model); i++) {
      cart_param_info info;
      ck_assert_int_eq(cart_model_param_info(model, i, &info), CART_OK);
      ck_assert_msg(cart_model_param_in_bounds(model, i, info.default_value),
                    "%s: default of %s outside bounds", model->name, info.name);
      ck_assert_int_eq(cart_model_param_index(model, info.name), (int)i);
      ck_assert(strlen(info.unit) > 0 && strlen(info.meaning) > 0);
      ck_assert(info.lower <= info.upper);
    }
    for (size_t i = 0; i < cart_model_n_states(model); i++) {
      ck_assert(model->states[i].abs_tol > 0);
      ck_assert_int_eq(cart_model_state_index(model, model->states[i].name), (int)i);
    }
  }
}
END_TEST

/* A few defaults and bounds read off MODEL.md's tables. */
START_TEST(test_defaults_from_model_md)
{
  const cart_model *cart = cart_model_find("cart", NULL);
  const cart_model *stein = cart_model_find("stein", NULL);
  cart_param_info info;
  cart_model_param_info(cart, (size_t)cart_model_param_index(cart, "dose"), &info);
  ck_assert_double_eq(info.default_value, 1.4e8);
  ck_assert_double_eq(info.upper, 1e11);
  cart_model_param_info(cart, (size_t)cart_model_param_index(cart, "p_amp"), &info);
  ck_assert_double_eq(info.default_value, 8000);
  cart_model_param_info(cart, (size_t)cart_model_param_index(cart, "KS"), &info);
  ck_assert(info.lower_open && info.lower == 0 && isinf(info.upper));
  cart_model_param_info(cart, (size_t)cart_model_param_index(cart, "Vmax"), &info);
  ck_assert(!info.lower_open && info.lower == 0);
  cart_model_param_info(stein, (size_t)cart_model_param_index(stein, "fb"), &info);
  ck_assert_double_eq(info.default_value, 0.0079);
  cart_model_param_info(stein, (size_t)cart_model_param_index(stein, "c0"), &info);
  ck_assert(info.lower_open && info.upper == 1e6 && !info.upper_open);
  ck_assert(!cart_model_param_in_bounds(stein, 0, 0.0));
  ck_assert(cart_model_param_in_bounds(stein, 0, 1e6));
  ck_assert(!cart_model_param_in_bounds(stein, 0, NAN));
}
END_TEST

/* A random parameter set: each default times a log-uniform factor in [1/3, 3], kept in bounds;
 * h is 2 (the fast path) or a random real in [1, 4]. */
static void random_params(const cart_model *model, gsl_rng *rng, double *p)
{
  for (size_t i = 0; i < model->n_params; i++) {
    const cart_param_info *info = &model->params[i];
    double v = info->default_value * exp(log(3.0) * (2 * gsl_rng_uniform(rng) - 1));
    if (!cart_model_param_in_bounds(model, i, v)) {
      v = info->default_value;
    }
    if (strcmp(info->name, "h") == 0) {
      v = gsl_rng_uniform(rng) < 0.3 ? 2.0 : 1.0 + 3.0 * gsl_rng_uniform(rng);
    }
    if (strcmp(info->name, "car_targets") == 0) { /* cart2: an integer 1, 2 or 3 */
      v = (double)(1 + gsl_rng_uniform_int(rng, 3));
    }
    p[i] = v;
  }
}

/* A random positive state, each component log-uniform over its plausible range. */
static void random_state(const cart_model *model, gsl_rng *rng, double *y)
{
  for (size_t i = 0; i < model->n_states; i++) {
    const char *unit = model->states[i].unit;
    double lo = 1e2, hi = 1e12; /* cells */
    if (strcmp(unit, "pg/mL") == 0) {
      lo = 0.1, hi = 1e4;
    } else if (strcmp(unit, "mg") == 0) {
      lo = 1e-2, hi = 800;
    } else if (strcmp(unit, "copies/ug") == 0) {
      lo = 1, hi = 3e4;
    } else if (strcmp(unit, "1") == 0) { /* solid's Z and H: relative levels */
      lo = 1e-3, hi = 10;
    }
    y[i] = exp(log(lo) + (log(hi) - log(lo)) * gsl_rng_uniform(rng));
  }
}

/* The analytic Jacobian against central finite differences at 100 random states and parameter
 * sets. Entry (i, j) must agree to 1e-5 relative; the only slack is the round-off floor of the
 * difference quotient, 1e-9 of the size of the terms of f_i divided by y_j. Where the model
 * declares a structure (jacobian_pattern), every entry it marks '.' must be exactly 0: the
 * Rosenbrock solver's block LU leaves those entries out. */
static void check_jacobian(const char *name, int mechanisms)
{
  const cart_model *model = cart_model_find(name, NULL);
  const size_t n = model->n_states;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 20261123);
  double p[64], derived[CART_MAX_DERIVED], y[32], yp[32], ym[32], fp[32], fm[32], f0[32];
  double J[32 * 32], dfdt[32];
  double worst = 0;
  for (int trial = 0; trial < 100; trial++) {
    random_params(model, rng, p);
    if (mechanisms) { /* cart's opt-in terms on (doc/models.md), at random strengths */
      p[cart_model_param_index(model, "t_prog")] = 3.0 + 20.0 * gsl_rng_uniform(rng);
      p[cart_model_param_index(model, "n_prog")] = 1.0 + 7.0 * gsl_rng_uniform(rng);
      p[cart_model_param_index(model, "k_imm")] = 0.3 * gsl_rng_uniform(rng);
      p[cart_model_param_index(model, "K_imm")] = exp(log(1e6) + log(1e4) * gsl_rng_uniform(rng));
      p[cart_model_param_index(model, "q_ifn")] = 100.0 * gsl_rng_uniform(rng);
      p[cart_model_param_index(model, "a_tum")] = 0.01 + 0.99 * gsl_rng_uniform(rng);
    }
    random_state(model, rng, y);
    model->prepare(p, derived);
    const cart_model_eval ev = {p, derived, trial % 2};
    const double t = 30.0 * gsl_rng_uniform(rng);
    ck_assert_int_eq(model->jacobian(t, y, J, dfdt, &ev), 0);
    ck_assert_int_eq(model->rhs(t, y, f0, &ev), 0);
    for (size_t i = 0; model->jacobian_pattern != NULL && i < n; i++) {
      ck_assert_uint_eq(strlen(model->jacobian_pattern[i]), n);
      for (size_t j = 0; j < n; j++) {
        ck_assert_msg(model->jacobian_pattern[i][j] == 'x' || J[i * n + j] == 0.0,
                      "%s: d f_%s / d %s = %g where the declared structure says 0", name,
                      model->states[i].name, model->states[j].name, J[i * n + j]);
      }
    }
    for (size_t j = 0; j < n; j++) {
      const double step = 1e-6 * fabs(y[j]);
      memcpy(yp, y, n * sizeof *y);
      memcpy(ym, y, n * sizeof *y);
      yp[j] += step;
      ym[j] -= step;
      model->rhs(t, yp, fp, &ev);
      model->rhs(t, ym, fm, &ev);
      /* The same quotient with a 4x step: where f_i is a small sum of large terms (E' when
       * growth and death nearly balance) the two differ by their round-off, which no analytic
       * error can hide in (both agree on a wrong derivative). */
      double fp4[32], fm4[32];
      memcpy(yp, y, n * sizeof *y);
      memcpy(ym, y, n * sizeof *y);
      yp[j] += 4 * step;
      ym[j] -= 4 * step;
      model->rhs(t, yp, fp4, &ev);
      model->rhs(t, ym, fm4, &ev);
      for (size_t i = 0; i < n; i++) {
        double terms = fabs(f0[i]);
        for (size_t k = 0; k < n; k++) {
          terms += fabs(J[i * n + k] * y[k]);
        }
        const double fd = (fp[i] - fm[i]) / (2 * step);
        const double analytic = J[i * n + j];
        const double fd4 = (fp4[i] - fm4[i]) / (8 * step);
        const double allowed =
            1e-5 * fabs(analytic) + 1e-9 * terms / fabs(y[j]) + 2.0 * fabs(fd - fd4);
        const double diff = fabs(analytic - fd);
        ck_assert_msg(diff <= allowed,
                      "%s trial %d: d f_%s / d %s analytic %.10g, finite difference %.10g",
                      name, trial, model->states[i].name, model->states[j].name, analytic, fd);
        if (fabs(analytic) > 0 && diff / fabs(analytic) > worst && diff > 1e-9 * terms / fabs(y[j])) {
          worst = diff / fabs(analytic);
        }
      }
    }
    /* d f / d t by the same central difference */
    double ft[32];
    const double dt = 1e-5;
    model->rhs(t + dt, y, fp, &ev);
    model->rhs(t - dt > 0 ? t - dt : t, y, fm, &ev);
    for (size_t i = 0; i < n; i++) {
      ft[i] = (fp[i] - fm[i]) / (t - dt > 0 ? 2 * dt : dt);
      ck_assert_msg(fabs(ft[i] - dfdt[i]) <= 1e-5 * fabs(dfdt[i]) + 1e-9 * fabs(f0[i]) + 1e-300,
                    "%s: d f_%s / dt analytic %g, finite difference %g", name,
                    model->states[i].name, dfdt[i], ft[i]);
    }
  }
  gsl_rng_free(rng);
}

/* Every registered model, so that a new one is checked without a new test. */
START_TEST(test_jacobian_every_model)
{
  for (size_t m = 0; m < cart_model_count(); m++) {
    check_jacobian(cart_model_get(m)->name, 0);
  }
}
END_TEST

START_TEST(test_jacobian_cart_mechanisms)
{
  check_jacobian("cart", 1);
  check_jacobian("allo", 1); /* cart's mechanisms under allo's terms */
}
END_TEST

/* The right-hand side at the initial state of MODEL.md 2.2: IL-6 balance p0 holds with no
 * treatment, and X' = k_exh S E exactly. */
START_TEST(test_cart_rhs_initial)
{
  const cart_model *model = cart_model_find("cart", NULL);
  cart_params *params = test_params("cart", (const char *const[]){"dose=0"}, 1);
  double p[64], derived[CART_MAX_DERIVED], y[9], f[9];
  for (size_t i = 0; i < model->n_params; i++) {
    cart_params_get_index(params, i, &p[i]);
  }
  model->prepare(p, derived);
  int mode;
  model->initial(p, derived, y, &mode);
  const cart_model_eval ev = {p, derived, mode};
  model->rhs(0, y, f, &ev);
  ck_assert_double_le(fabs(f[6]), 1e-12); /* IL6 at il6_0 is a steady state (MODEL.md 7.5) */
  ck_assert_double_eq(f[0], 0.0);
  ck_assert_double_eq(f[7], 0.0);
  cart_params_free(params);
}
END_TEST

/* The roles read in pg/mL name a pg/mL quantity. The CRS signal (crs_grade, crs_onset, the
 * tocilizumab rule) is IL6s in cart2 and absent in stein. A field a model's table leaves out is
 * "none" (model_impl.h's slots): stein names only Cblood and takes no doses. */
/* cart_model_dose_state: the state each kind of dose enters, by MODEL.md's names (E, D1), and
 * for cart the state a dose given by the solver moves (a dose of effector cells only at day 1,
 * a tocilizumab bolus at day 1). */
START_TEST(test_dose_state)
{
  const char *expected[][3] = {{"cart", "E", "D1"}, {"cart2", "E", "D1"}, {"stein", NULL, NULL},
                               {"lupus", "E", NULL}};
  for (size_t m = 0; m < sizeof expected / sizeof expected[0]; m++) {
    const cart_model *model = cart_model_find(expected[m][0], NULL);
    ck_assert_ptr_nonnull(model);
    for (int kind = CART_DOSE_CART; kind <= CART_DOSE_TOCI; kind++) {
      const char *name = expected[m][1 + kind];
      const int want = name ? cart_model_state_index(model, name) : -1;
      ck_assert_msg(name == NULL || want >= 0, "%s has no state %s", expected[m][0], name);
      ck_assert_int_eq(cart_model_dose_state(model, kind), want);
    }
    ck_assert_int_eq(cart_model_dose_state(model, 2), -1);
  }
  ck_assert_int_eq(cart_model_dose_state(NULL, CART_DOSE_CART), -1);

  /* the state after the dose at its time differs from an undosed solve's in one place */
  const cart_model *model = cart_model_find("cart", NULL);
  const size_t ns = cart_model_n_states(model);
  ck_assert_uint_le(ns, 32);
  const double time = 1.0;
  for (int kind = CART_DOSE_CART; kind <= CART_DOSE_TOCI; kind++) {
    double states[2][32], outputs[2][32];
    for (int dosed = 0; dosed <= 1; dosed++) {
      cart_params *params = cart_params_new(model, NULL);
      cart_dosing *dosing = cart_dosing_new(NULL);
      cart_solver *solver = cart_solver_new(model, NULL);
      if (dosed) {
        ck_assert_int_eq(kind == CART_DOSE_CART ? cart_dosing_add_cart(dosing, time, 1e8, 0.0)
                                                : cart_dosing_add_toci(dosing, time, 8, 0, 800),
                         CART_OK);
      }
      ck_assert_int_eq(cart_solver_solve(solver, params, dosing, &time, 1, states[dosed],
                                         outputs[dosed]), CART_OK);
      cart_solver_free(solver);
      cart_dosing_free(dosing);
      cart_params_free(params);
    }
    for (size_t i = 0; i < ns; i++) {
      const int moved = states[1][i] != states[0][i];
      ck_assert_msg(moved == ((int)i == cart_model_dose_state(model, kind)),
                    "kind %d: state %zu %s", kind, i, moved ? "moved" : "did not move");
    }
  }
}
END_TEST

START_TEST(test_roles)
{
  static const int pg_per_ml[] = {CART_ROLE_IL6, CART_ROLE_IL6S, CART_ROLE_CRS};
  for (size_t m = 0; m < cart_model_count(); m++) {
    const cart_model *model = cart_model_get(m);
    const int n_extended = (int)(model->n_states + model->n_signals);
    for (int r = 0; r < CART_N_ROLES; r++) {
      ck_assert_msg(cartp_model_role(model, r) >= -1 && cartp_model_role(model, r) < n_extended,
                    "%s: role %d is %d", model->name, r, cartp_model_role(model, r));
    }
    for (size_t k = 0; k < sizeof pg_per_ml / sizeof pg_per_ml[0]; k++) {
      const int i = cartp_model_role(model, pg_per_ml[k]);
      if (i < 0) {
        continue;
      }
      const cart_state_info *info = (size_t)i < model->n_states
                                        ? &model->states[i]
                                        : &model->signals[(size_t)i - model->n_states];
      ck_assert_msg(strcmp(info->unit, "pg/mL") == 0, "%s: role %d is '%s' in %s", model->name,
                    pg_per_ml[k], info->name, info->unit);
    }
    /* a model with IL6s has a CRS signal for the rule and the CRS endpoints */
    ck_assert_int_eq(cartp_model_role(model, CART_ROLE_IL6S) < 0,
                     cartp_model_role(model, CART_ROLE_CRS) < 0);
  }
  /* cart has every oncology role and no autoimmune one (lupus's autoantibody and activity) */
  const cart_model *cart = cart_model_find("cart", NULL);
  for (int r = 0; r < CART_N_ROLES; r++) {
    ck_assert_int_eq(cartp_model_role(cart, r) >= 0, r < CART_ROLE_AUTOAB);
  }
  const cart_model *lupus = cart_model_find("lupus", NULL);
  ck_assert_int_eq(cartp_model_role(lupus, CART_ROLE_AUTOAB), cart_model_state_index(lupus, "Ab"));
  ck_assert_int_ge(cartp_model_role(lupus, CART_ROLE_ACTIVITY), (int)lupus->n_states);
  ck_assert_int_eq(cartp_model_role(lupus, CART_ROLE_TUMOUR), -1);
  ck_assert_int_eq(cartp_model_toci_state(lupus), -1);
  ck_assert_int_eq(cartp_model_role(cart, CART_ROLE_B), cart_model_state_index(cart, "B"));
  ck_assert_int_eq(cartp_model_toci_state(cart), cart_model_state_index(cart, "D1"));
  ck_assert_int_eq(cartp_model_weight_param(cart), cart_model_param_index(cart, "WT"));
  /* aplasia is time below f_aplasia times the parameter B0 */
  cart_endpoint_level aplasia;
  ck_assert_int_eq(cart_model_endpoint_level(cart, CART_ENDPOINT_APLASIA_DAYS, 0, &aplasia),
                   CART_OK);
  ck_assert_str_eq(aplasia.setting, "f_aplasia");
  ck_assert_int_eq(aplasia.scale, CART_LEVEL_PARAM);
  ck_assert_int_ge(cart_model_param_index(cart, aplasia.param), 0);
  ck_assert_str_eq(aplasia.param, "B0");
  const cart_model *stein = cart_model_find("stein", NULL);
  ck_assert_int_eq(cartp_model_role(stein, CART_ROLE_CBLOOD), (int)stein->n_states);
  ck_assert_int_eq(cartp_model_role(stein, CART_ROLE_B), -1);
  ck_assert_int_eq(cartp_model_toci_state(stein), -1);
  ck_assert_int_eq(cartp_model_weight_param(stein), -1);
  ck_assert_int_eq(cartp_model_f_mem_param(stein), -1);
  const cart_model *cart2 = cart_model_find("cart2", NULL);
  ck_assert_int_eq(cartp_model_role(cart2, CART_ROLE_CRS),
                   cartp_model_role(cart2, CART_ROLE_IL6S));
  ck_assert_int_eq(cartp_model_role(cart_model_find("stein", NULL), CART_ROLE_CRS), -1);
}
END_TEST

/* Every registered model's endpoint table (model_impl.h) is one the trial can compute: named
 * uniquely, a known reducer over a role the model has, integer exactly where the reducer gives
 * codes or counts, within the tracker's limits; the public accessors read it. cart and cart2 have
 * the oncology list of cart_endpoint_get_info, in its order (their files keep that layout). */
START_TEST(test_endpoint_tables)
{
  for (size_t m = 0; m < cart_model_count(); m++) {
    const cart_model *model = cart_model_get(m);
    const size_t n = cart_model_n_endpoints(model);
    ck_assert_msg(n >= 1 && n <= CARTP_MAX_ENDPOINTS, "%s: %zu endpoints", model->name, n);
    int tumour_input = -1;
    size_t n_extremes = 0;
    int extreme_index[2 * CARTP_MAX_ENDPOINTS];
    double extreme_sign[2 * CARTP_MAX_ENDPOINTS];
    for (size_t i = 0; i < n; i++) {
      const cartp_endpoint *def = &model->endpoints[i];
      const char *name = def->info.name;
      ck_assert_msg(name != NULL && name[0] != '\0' && def->info.unit != NULL &&
                        def->info.meaning != NULL,
                    "%s: endpoint %zu has no name, unit or meaning", model->name, i);
      ck_assert_int_eq(cart_model_endpoint_index(model, name), (int)i); /* unique */
      cart_endpoint_info info;
      ck_assert_int_eq(cart_model_endpoint_info(model, i, &info), CART_OK);
      ck_assert_str_eq(info.name, name);
      const cartp_reducer r = def->reducer;
      const cartp_reducer_info *reducer = cartp_reducer_get(r);
      ck_assert_msg(reducer != NULL, "%s: %s has no reducer", model->name, name);
      ck_assert_msg(def->info.is_integer == reducer->is_integer, "%s: %s is_integer", model->name,
                    name);
      const int role = def->input_slot - 1;
      if (reducer->no_input) {
        ck_assert_msg(role == -1 && cartp_model_toci_state(model) >= 0,
                      "%s: %s counts doses of a drug the model does not take", model->name, name);
        continue;
      }
      ck_assert_msg(role >= 0 && role < CART_N_ROLES && cartp_model_role(model, role) >= 0,
                    "%s: %s reads role %d, which the model lacks", model->name, name, role);
      if (reducer->reads_day) {
        ck_assert(isfinite(def->day) && def->day >= 0);
      }
      if (reducer->response) {
        ck_assert_msg(tumour_input < 0 || tumour_input == role,
                      "%s: the response endpoints read one tumour", model->name);
        tumour_input = role;
      }
      if (r == CARTP_REDUCE_RELAPSE_NEGATIVE) {
        ck_assert_int_ge(cartp_model_role(model, CART_ROLE_TUMOUR_NEG), 0);
      }
      /* the distinct extremes the tracker follows (endpoints.h) */
      if (reducer->extreme != 0) {
        const int index = cartp_model_role(model, role);
        const double sign = reducer->extreme;
        size_t x = 0;
        while (x < n_extremes && !(extreme_index[x] == index && extreme_sign[x] == sign)) {
          x++;
        }
        if (x == n_extremes) {
          extreme_index[n_extremes] = index;
          extreme_sign[n_extremes++] = sign;
        }
      }
    }
    ck_assert_msg(n_extremes <= CARTP_MAX_EXTREMES, "%s: %zu extremes", model->name, n_extremes);
    /* the levels: the reducer's number, each a setting the trial knows (cart_trial_new checks
     * the same and refuses a table that fails) */
    cart_error err;
    ck_assert_msg(cartp_model_check_endpoints(model, &err) == CART_OK, "%s", err.message);
    for (size_t i = 0; i < n; i++) {
      const size_t n_levels = cart_model_endpoint_n_levels(model, i);
      for (size_t j = 0; j < n_levels; j++) {
        cart_endpoint_level level;
        ck_assert_int_eq(cart_model_endpoint_level(model, i, j, &level), CART_OK);
        size_t k = 0;
        cart_param_info info;
        while (cart_model_endpoint_setting_info(model, k, &info) == CART_OK &&
               strcmp(info.name, level.setting) != 0) {
          k++;
        }
        ck_assert_msg(k < cart_model_n_endpoint_settings(model), "%s: %s", model->name,
                      level.setting);
        ck_assert_msg(info.unit != NULL && cartp_value_in_bounds(&info, info.default_value),
                      "%s: setting %s", model->name, info.name);
      }
      ck_assert_int_eq(cart_model_endpoint_level(model, i, n_levels, &(cart_endpoint_level){0}),
                       CART_EINVAL);
    }
    ck_assert_int_eq(cart_model_endpoint_info(model, n, &(cart_endpoint_info){0}), CART_EINVAL);
    ck_assert_int_eq(cart_model_endpoint_index(model, "no such endpoint"), -1);
  }
  static const char *const oncology[] = {"cart", "cart2"};
  for (size_t k = 0; k < 2; k++) {
    const cart_model *model = cart_model_find(oncology[k], NULL);
    ck_assert_uint_eq(cart_model_n_endpoints(model), CART_N_ENDPOINTS);
    for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
      cart_endpoint_info mine, listed;
      ck_assert_int_eq(cart_model_endpoint_info(model, e, &mine), CART_OK);
      ck_assert_int_eq(cart_endpoint_get_info(e, &listed), CART_OK);
      ck_assert_str_eq(mine.name, listed.name);
      ck_assert_str_eq(mine.unit, listed.unit);
      ck_assert_int_eq(mine.is_integer, listed.is_integer);
    }
  }
  const cart_model *stein = cart_model_find("stein", NULL);
  ck_assert_uint_eq(cart_model_n_endpoints(stein), 3);
  ck_assert_int_eq(cart_model_endpoint_index(stein, "response"), -1);
  ck_assert_uint_eq(cart_model_n_endpoints(NULL), 0);
}
END_TEST

/* Every reducer has its row in model.c's table (cartp_reducer_get): a reducer added to the enum
 * but not to the table would read as an all-zero row, which no reducer is (each reads a level,
 * an extreme or no input). The rows agree with each other: what reads no input is read at the
 * end and is no extreme; the response machine's rows read the tumour's minimum and two levels or
 * more (n_detect, t_resp). */
START_TEST(test_reducer_table)
{
  ck_assert_ptr_null(cartp_reducer_get(CARTP_REDUCE_NONE));
  ck_assert_ptr_null(cartp_reducer_get(CARTP_N_REDUCERS));
  ck_assert_int_eq(cartp_reducer_n_levels(CARTP_REDUCE_NONE), 0);
  for (int r = CARTP_REDUCE_NONE + 1; r < CARTP_N_REDUCERS; r++) {
    const cartp_reducer_info *info = cartp_reducer_get((cartp_reducer)r);
    ck_assert_ptr_nonnull(info);
    ck_assert_msg(info->n_levels > 0 || info->extreme != 0 || info->no_input ||
                      info->reads_day,
                  "reducer %d has no row in model.c's table", r);
    ck_assert_int_le(info->n_levels, CARTP_MAX_LEVELS);
    ck_assert_int_eq(cartp_reducer_n_levels((cartp_reducer)r), info->n_levels);
    ck_assert(info->extreme >= -1 && info->extreme <= 1);
    if (info->no_input) {
      ck_assert(info->work == CARTP_WORK_END && info->extreme == 0 && info->n_levels == 0);
    }
    if (info->response) {
      ck_assert(info->extreme == -1 && info->n_levels >= 2 && info->work == CARTP_WORK_END);
    }
    if (info->reads_day) {
      ck_assert_int_eq(info->work, CARTP_WORK_PER_STEP);
    }
  }
}
END_TEST

/* The table check refuses a row whose is_integer disagrees with its reducer, or whose day (a
 * reducer that reads one) is not a day >= 0, naming the row. */
START_TEST(test_endpoint_row_checks)
{
  static const cartp_endpoint real_remission[] = {
      {{"remission", "1", 0, "below at day 180"}, CARTP_REDUCE_BELOW_AT,
       CARTP_SLOT(CART_ROLE_ACTIVITY), 180,
       {{{"remission_score", "1", 2, 0, 105, 1, 0, "activity below it is a remission"},
         CART_LEVEL_ABSOLUTE, NULL}}}};
  static const cartp_endpoint integer_cmax[] = {
      {{"cmax", "cells/uL", 1, "max"}, CARTP_REDUCE_MAX, CARTP_SLOT(CART_ROLE_CBLOOD), 0,
       CARTP_NO_LEVELS}};
  static const cartp_endpoint negative_day[] = {
      {{"ab", "1", 0, "at day -1"}, CARTP_REDUCE_VALUE_AT, CARTP_SLOT(CART_ROLE_AUTOAB), -1,
       CARTP_NO_LEVELS}};
  static const cartp_endpoint nan_day[] = {
      {{"ab", "1", 0, "at day NaN"}, CARTP_REDUCE_VALUE_AT, CARTP_SLOT(CART_ROLE_AUTOAB), NAN,
       CARTP_NO_LEVELS}};
  const struct {
    const cartp_endpoint *rows;
    const char *message;
  } cases[] = {{real_remission, "is_integer 0"}, {integer_cmax, "is_integer 1"},
               {negative_day, "day -1"}, {nan_day, "day nan"}};
  cart_model lupus = *cart_model_find("lupus", NULL);
  lupus.n_endpoints = 1;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    lupus.endpoints = cases[k].rows;
    cart_error err;
    ck_assert_int_eq(cartp_model_check_endpoints(&lupus, &err), CART_EINVAL);
    ck_assert_msg(strstr(err.message, cases[k].message) != NULL &&
                      strstr(err.message, cases[k].rows[0].info.name) != NULL,
                  "%s", err.message);
  }
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("models");
  TCase *tables = tcase_create("tables");
  tcase_add_test(tables, test_registry);
  tcase_add_test(tables, test_state_order);
  tcase_add_test(tables, test_tables_consistent);
  tcase_add_test(tables, test_defaults_from_model_md);
  tcase_add_test(tables, test_cart_rhs_initial);
  tcase_add_test(tables, test_roles);
  tcase_add_test(tables, test_dose_state);
  tcase_add_test(tables, test_endpoint_tables);
  tcase_add_test(tables, test_reducer_table);
  tcase_add_test(tables, test_endpoint_row_checks);
  suite_add_tcase(suite, tables);
  TCase *jacobian = tcase_create("jacobian");
  tcase_add_test(jacobian, test_jacobian_every_model);
  tcase_add_test(jacobian, test_jacobian_cart_mechanisms);
  suite_add_tcase(suite, jacobian);
  return test_run(suite);
}
