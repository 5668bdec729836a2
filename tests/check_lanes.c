/* check_lanes.c: the batch solve over SIMD lanes (lib/solver/batch.c) against the scalar path.
 *
 * For about 200 varied patients of model cart (the bench variability of rho, gamma, delta_E
 * and T0, and the opt-in mechanisms, Hill exponents other than 2, no CAR-T or no tumour in
 * some), every width this processor runs must give exactly, bit for bit, cart_solver_solve's
 * outputs (method rodas5p, no dosing, extinction off and on), step counts, events and failures;
 * so must the lane right-hand side and Jacobian, entry by entry. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/models/model_impl.h"
#include "../lib/solver/batch.h"
#include "test_util.h"

/* lanes.h's exp and fifth root, for one patient and for 2 lanes (SSE2, the baseline instruction set; the wider
 * ones do the same IEEE operations and are compared through the models in the tests below) */
#define CARTP_LANE_W 1
#include "../lib/util/lanes.h"
#undef CARTP_LANE_W
#define CARTP_LANE_W 2
#include "../lib/util/lanes.h"
#undef CARTP_LANE_W

enum { N_PATIENTS = 203, N_TIMES = 366 };

/* A small LCG for reproducible variation (no dependence on libcart's own generator). */
static double uniform(unsigned long *state)
{
  *state = *state * 6364136223846793005UL + 1442695040888963407UL;
  return (double)(*state >> 11) * 0x1.0p-53;
}

static void set(cart_params *params, const char *name, double value)
{
  ck_assert_msg(cart_params_set(params, name, value) == CART_OK, "%s = %g", name, value);
}

/* Patient i's parameters into values (n_params of them), valid by cart_params_check. */
static void patient(const cart_model *model, size_t i, unsigned long *rng, double *values)
{
  cart_params *params = cart_params_new(model, NULL);
  set(params, "rho", 0.6 * exp(0.3 * (2.0 * uniform(rng) - 1.0)));
  set(params, "gamma", 1.0 * exp(0.3 * (2.0 * uniform(rng) - 1.0)));
  set(params, "delta_E", 0.25 * exp(0.3 * (2.0 * uniform(rng) - 1.0)));
  set(params, "T0", 1e11 * exp(0.8 * (2.0 * uniform(rng) - 1.0)));
  switch (i % 10) {
  case 1:
    set(params, "a_tum", 0.6);
    break;
  case 2:
    set(params, "h", 3.0);
    break;
  case 3:
    set(params, "h", 1.0);
    set(params, "p_amp", 4000);
    break;
  case 4:
    set(params, "k_imm", 0.5);
    break;
  case 5:
    set(params, "t_prog", 20.0);
    set(params, "n_prog", i % 20 == 5 ? 4.0 : 3.5);
    break;
  case 6:
    set(params, "f_neg0", 0.01);
    set(params, "mu_loss", 1e-6);
    break;
  case 7:
    set(params, "h", 2.5);
    set(params, "a_tum", 0.8);
    set(params, "k_imm", 0.2);
    break;
  default:
    break;
  }
  if (i == 0) {
    set(params, "dose", 0.0); /* no CAR-T: the zero groups cut */
  }
  if (i == 10) {
    set(params, "T0", 0.0); /* no tumour */
  }
  ck_assert_int_eq(cart_params_check(params, NULL), CART_OK);
  for (size_t j = 0; j < cart_model_n_params(model); j++) {
    ck_assert_int_eq(cart_params_get_index(params, j, &values[j]), CART_OK);
  }
  cart_params_free(params);
}

/* Scalar solves of every patient: outputs and results as the batch gives them. */
static void solve_scalar(cart_solver *solver, const cart_model *model, const double *values,
                         size_t n_patients, const double *times, double *states,
                         cartp_batch_result *results)
{
  const size_t n = cart_model_n_states(model), n_params = cart_model_n_params(model);
  cart_params *params = cart_params_new(model, NULL);
  for (size_t i = 0; i < n_patients; i++) {
    for (size_t j = 0; j < n_params; j++) {
      ck_assert_int_eq(cart_params_set_index(params, j, values[i * n_params + j]), CART_OK);
    }
    double *rows = states + i * N_TIMES * n;
    results[i].status = cart_solver_solve(solver, params, NULL, times, N_TIMES, rows, NULL);
    results[i].time_reached = cart_solver_time_reached(solver);
    cart_solver_get_stats(solver, &results[i].stats);
  }
  cart_params_free(params);
}

static int same_bits(double a, double b)
{
  return memcmp(&a, &b, sizeof a) == 0;
}

/* The batch on every width against the scalar results; returns the failures compared. */
static size_t compare_widths(cart_solver *solver, const cart_model *model, const double *values,
                             size_t n_patients, const double *times, const double *expected,
                             const cartp_batch_result *expected_results)
{
  const size_t n = cart_model_n_states(model);
  double *states = malloc(n_patients * N_TIMES * n * sizeof *states);
  cartp_batch_result *results = malloc(n_patients * sizeof *results);
  ck_assert_ptr_nonnull(states);
  ck_assert_ptr_nonnull(results);
  const int widths[3] = {8, 4, 2};
  size_t failures = 0;
  for (int wi = 0; wi < 3; wi++) {
    const int lanes = widths[wi];
    if (lanes > cartp_batch_lanes_best()) {
      continue;
    }
    ck_assert_int_eq(cartp_solver_solve_batch(solver, values, n_patients, times, N_TIMES, states,
                                              results, lanes),
                     CART_OK);
    failures = 0;
    for (size_t i = 0; i < n_patients; i++) {
      const cartp_batch_result *a = &results[i], *b = &expected_results[i];
      ck_assert_msg(a->status == b->status, "%d lanes, patient %zu: status %d, scalar %d", lanes,
                    i, a->status, b->status);
      ck_assert_msg(a->stats.steps == b->stats.steps &&
                        a->stats.failed_steps == b->stats.failed_steps &&
                        a->stats.rejected_invalid == b->stats.rejected_invalid &&
                        a->stats.events == b->stats.events,
                    "%d lanes, patient %zu: steps %lu/%lu/%lu, scalar %lu/%lu/%lu", lanes, i,
                    a->stats.steps, a->stats.failed_steps, a->stats.rejected_invalid,
                    b->stats.steps, b->stats.failed_steps, b->stats.rejected_invalid);
      ck_assert_msg(same_bits(a->time_reached, b->time_reached),
                    "%d lanes, patient %zu: reached %.17g, scalar %.17g", lanes, i,
                    a->time_reached, b->time_reached);
      if (b->status != CART_OK) {
        failures++;
        continue;
      }
      for (size_t k = 0; k < N_TIMES * n; k++) {
        const double x = states[i * N_TIMES * n + k], y = expected[i * N_TIMES * n + k];
        ck_assert_msg(same_bits(x, y), "%d lanes, patient %zu, day %zu, state %zu: %.17g, scalar %.17g",
                      lanes, i, k / n, k % n, x, y);
      }
    }
  }
  free(states);
  free(results);
  return failures;
}

static void make_patients(const cart_model *model, double *values, size_t n_patients)
{
  unsigned long rng = 12345;
  const size_t n_params = cart_model_n_params(model);
  for (size_t i = 0; i < n_patients; i++) {
    patient(model, i, &rng, values + i * n_params);
  }
}

START_TEST(test_batch_equals_scalar)
{
  const cart_model *model = cart_model_find("cart", NULL);
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_int_eq(cart_solver_set_method(solver, CART_METHOD_RODAS5P), CART_OK);
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0.0), CART_OK);
  const size_t n = cart_model_n_states(model), n_params = cart_model_n_params(model);
  double times[N_TIMES];
  for (int d = 0; d < N_TIMES; d++) {
    times[d] = d;
  }
  times[1] = 0.0; /* two outputs at the start */
  times[2] = 1.7; /* and one inside the first steps */
  double *values = malloc(N_PATIENTS * n_params * sizeof *values);
  double *expected = malloc(N_PATIENTS * N_TIMES * n * sizeof *expected);
  cartp_batch_result *results = malloc(N_PATIENTS * sizeof *results);
  make_patients(model, values, N_PATIENTS);
  solve_scalar(solver, model, values, N_PATIENTS, times, expected, results);
  unsigned long steps = 0, rejected_invalid = 0;
  for (size_t i = 0; i < N_PATIENTS; i++) {
    ck_assert_int_eq(results[i].status, CART_OK);
    steps += results[i].stats.steps;
    rejected_invalid += results[i].stats.rejected_invalid;
  }
  ck_assert_uint_gt(steps, 100 * N_PATIENTS);
  compare_widths(solver, model, values, N_PATIENTS, times, expected, results);
  /* extinction on (the library's default): root-found events inside the lanes */
  ck_assert_int_eq(cart_solver_set_extinction(solver, CART_N_EXT_DEFAULT), CART_OK);
  solve_scalar(solver, model, values, N_PATIENTS, times, expected, results);
  unsigned long events = 0;
  for (size_t i = 0; i < N_PATIENTS; i++) {
    events += results[i].stats.events;
  }
  ck_assert_uint_gt(events, 20); /* tumours do go extinct */
  compare_widths(solver, model, values, N_PATIENTS, times, expected, results);
  /* a tight tolerance takes other paths (more rejections); the same must hold */
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-9, NULL), CART_OK);
  solve_scalar(solver, model, values, 40, times, expected, results);
  compare_widths(solver, model, values, 40, times, expected, results);
  cart_solver_free(solver);
  free(values);
  free(expected);
  free(results);
}
END_TEST

/* The step limit stops some patients and not others, in the lanes as in the scalar solve. */
START_TEST(test_batch_failures_equal_scalar)
{
  const cart_model *model = cart_model_find("cart", NULL);
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0.0), CART_OK);
  ck_assert_int_eq(cart_solver_set_max_steps(solver, 160), CART_OK);
  const size_t n = cart_model_n_states(model), n_params = cart_model_n_params(model);
  double times[N_TIMES];
  for (int d = 0; d < N_TIMES; d++) {
    times[d] = d;
  }
  enum { N = 37 };
  double *values = malloc(N * n_params * sizeof *values);
  double *expected = malloc(N * N_TIMES * n * sizeof *expected);
  cartp_batch_result results[N];
  make_patients(model, values, N);
  solve_scalar(solver, model, values, N, times, expected, results);
  size_t failed = 0;
  for (size_t i = 0; i < N; i++) {
    failed += results[i].status == CART_EMAXSTEPS;
  }
  ck_assert_msg(failed > 0 && failed < N, "%zu of %d patients hit the step limit", failed, N);
  ck_assert_uint_eq(compare_widths(solver, model, values, N, times, expected, results), failed);
  cart_solver_free(solver);
  free(values);
  free(expected);
}
END_TEST

/* Distance in units in the last place between a and b (both finite, same sign). */
static double ulps(double a, double b)
{
  if (a == b) {
    return 0.0;
  }
  return fabs(a - b) / (nextafter(fabs(b), INFINITY) - fabs(b));
}

/* The LCG's next value in [0, 1). */
static double next_unit(unsigned long *state)
{
  *state = *state * 6364136223846793005UL + 1442695040888963407UL;
  return (double)(*state >> 11) / 9007199254740992.0;
}

/* A lane function of lanes.h against its scalar one on {x, x * a + b}: bit for bit. */
static void check_lanes_equal(const char *name, double (*scalar)(double),
                              cartp_lane2 (*lanes)(cartp_lane2), double x, double a, double b)
{
  const cartp_lane2 v = {x, x * a + b};
  const cartp_lane2 out = lanes(v);
  for (int l = 0; l < 2; l++) {
    const double s = scalar(v[l]), lane = out[l]; /* (no address of a vector element: clang) */
    ck_assert_msg(memcmp(&s, &lane, sizeof s) == 0, "lane %s(%.17g) = %.17g, scalar %.17g",
                  name, v[l], lane, s);
  }
}

/* The models' exp (lanes.h): within 2 ulp of libm's over its range, the edges right, and the
 * lanes bit for bit the scalar. */
START_TEST(test_exp_against_libm)
{
  double worst = 0.0, at = 0.0;
  unsigned long state = 12345;
  for (int i = 0; i < 200000; i++) {
    const double u = next_unit(&state);
    const double x = i < 100000 ? -745.0 + 1454.7 * u : -40.0 + 45.0 * u;
    const double got = cartp_exp1(x), want = exp(x);
    if (want > 2.3e-308) { /* normal results; subnormals are checked apart */
      const double d = ulps(got, want);
      if (d > worst) {
        worst = d, at = x;
      }
    } else {
      ck_assert_double_le(fabs(got - want), 2 * 4.9406564584124654e-324 + 1e-3 * want);
    }
    check_lanes_equal("exp", cartp_exp1, cartp_exp2, x, 0.37, -1.0);
  }
  printf("exp: largest error %.2f ulp (at x = %.17g)\n", worst, at);
  ck_assert_double_le(worst, 2.0);
  ck_assert_double_eq(cartp_exp1(0.0), 1.0);
  ck_assert_double_eq(cartp_exp1(-0.0), 1.0);
  ck_assert_double_le(ulps(cartp_exp1(1.0), exp(1.0)), 1.0);
  ck_assert_double_eq(cartp_exp1(-746.0), 0.0);
  ck_assert_double_eq(cartp_exp1(-INFINITY), 0.0);
  ck_assert(isinf(cartp_exp1(710.0)) && cartp_exp1(710.0) > 0);
  ck_assert(isinf(cartp_exp1(INFINITY)));
  ck_assert(isnan(cartp_exp1(NAN)));
  ck_assert_double_le(ulps(cartp_exp1(709.78), exp(709.78)), 2.0);
  static const double edges[8] = {NAN, INFINITY, -INFINITY, 710.0, -746.0, 709.78, -745.0, -0.0};
  for (int l = 0; l < 8; l += 2) {
    const cartp_lane2 e = cartp_exp2((cartp_lane2){edges[l], edges[l + 1]});
    for (int m = 0; m < 2; m++) {
      const double s = cartp_exp1(edges[l + m]);
      const double lane = e[m];
      ck_assert(memcmp(&s, &lane, sizeof s) == 0 || (isnan(s) && isnan(lane)));
    }
  }
}
END_TEST

/* The controller's fifth root (lanes.h): within 2 ulp of the fifth root over the range the
 * controller meets (error norms from 1e-30 to 1e30), clamped outside it, NaN taken as 1, and the
 * lanes bit for bit the scalar. The reference is powl(x, 1/5) in long double: pow(x, 0.2) itself
 * is off by up to 7 ulp at the ends, since the double 0.2 is 0.2 (1 + 5.6e-17). */
START_TEST(test_root5_against_libm)
{
  double worst = 0.0, at = 0.0;
  unsigned long state = 777;
  for (int i = 0; i < 200000; i++) {
    const double u = next_unit(&state);
    const double x = i < 100000 ? pow(10.0, -30.0 + 60.0 * u) : 1e-3 + 10.0 * u;
    const double got = cartp_root5_1(x), want = (double)powl(x, 1.0L / 5.0L);
    const double d = ulps(got, want);
    if (d > worst) {
      worst = d, at = x;
    }
    check_lanes_equal("root5", cartp_root5_1, cartp_root5_2, x, 0.37, 0.0);
  }
  printf("root5: largest error %.2f ulp (at x = %.17g)\n", worst, at);
  ck_assert_double_le(worst, 2.0);
  ck_assert_double_eq(cartp_root5_1(1.0), 1.0);
  ck_assert_double_eq(cartp_root5_1(32.0), 2.0);
  ck_assert_double_le(ulps(cartp_root5_1(1e-10), 1e-2), 1.0);
  ck_assert_double_eq(cartp_root5_1(0.0), cartp_root5_1(1e-30));
  ck_assert_double_eq(cartp_root5_1(INFINITY), cartp_root5_1(1e30));
  ck_assert_double_eq(cartp_root5_1(NAN), 1.0);
}
END_TEST

/* The lane right-hand side, Jacobian and signals of two patients (two lanes, the baseline width
 * that runs everywhere; the batch tests cover the others), at states moved off their start, bit
 * for bit the scalar ones. */
static void expect_lane_equations(const cart_model *model, const double *const values[2],
                                  unsigned long *rng)
{
  ck_assert_ptr_nonnull(model->lanes);
  const size_t n = cart_model_n_states(model), n_params = cart_model_n_params(model);
  ck_assert_uint_le(n, 16);
  ck_assert_uint_le(n_params, 128);
  cartp_lane2 p[128] = {{0}}, dv[CART_MAX_DERIVED] = {{0}}, y[16], f[16], J[256], dfdt[16], t;
  double ys[2][16], derived[2][CART_MAX_DERIVED];
  for (int l = 0; l < 2; l++) {
    memset(derived[l], 0, sizeof derived[l]);
    model->prepare(values[l], derived[l]);
    int mode;
    model->initial(values[l], derived[l], ys[l], &mode);
    for (size_t j = 0; j < n_params; j++) {
      p[j][l] = values[l][j];
    }
    for (size_t j = 0; j < CART_MAX_DERIVED; j++) {
      dv[j][l] = derived[l][j];
    }
    for (size_t j = 0; j < n; j++) { /* off the start, zeros made positive */
      ys[l][j] = (ys[l][j] + 1e3 * uniform(rng)) * (0.5 + uniform(rng));
      y[j][l] = ys[l][j];
    }
    t[l] = 3.0 + 10.0 * l;
  }
  model->lanes->rhs2(&t, y, f, p, dv);
  model->lanes->jacobian2(&t, y, J, dfdt, p, dv);
  cartp_lane2 signals[CART_MAX_SIGNALS];
  model->lanes->signals2(y, p, signals);
  for (int l = 0; l < 2; l++) {
    double fs[16], Js[256], dfdts[16], signals_s[CART_MAX_SIGNALS];
    const cart_model_eval ev = {values[l], derived[l], 0};
    ck_assert_int_eq(model->rhs(t[l], ys[l], fs, &ev), 0);
    ck_assert_int_eq(model->jacobian(t[l], ys[l], Js, dfdts, &ev), 0);
    model->signal_values(ys[l], values[l], signals_s);
    for (size_t i = 0; i < n; i++) {
      ck_assert_msg(same_bits(f[i][l], fs[i]), "model %s, lane %d, f[%zu]: %.17g, scalar %.17g",
                    model->name, l, i, f[i][l], fs[i]);
      ck_assert_msg(same_bits(dfdt[i][l], dfdts[i]), "model %s, lane %d, dfdt[%zu]",
                    model->name, l, i);
    }
    for (size_t i = 0; i < n * n; i++) {
      ck_assert_msg(same_bits(J[i][l], Js[i]), "model %s, lane %d, J[%zu]: %.17g, scalar %.17g",
                    model->name, l, i, J[i][l], Js[i]);
    }
    for (size_t i = 0; i < model->n_signals; i++) {
      ck_assert_msg(same_bits(signals[i][l], signals_s[i]), "model %s, lane %d, signal %s: "
                    "%.17g, scalar %.17g", model->name, l, model->signals[i].name,
                    signals[i][l], signals_s[i]);
    }
  }
}

/* cart's opt-in mechanisms: k_imm on in one lane, t_prog in the other. */
START_TEST(test_lane_equations_equal_scalar)
{
  const cart_model *model = cart_model_find("cart", NULL);
  double values[2][64];
  unsigned long rng = 99;
  for (int l = 0; l < 2; l++) {
    patient(model, (size_t)(l + 4), &rng, values[l]);
  }
  expect_lane_equations(model, (const double *const[2]){values[0], values[1]}, &rng);
}
END_TEST

/* Every model with lanes, whatever its equations: about 60 patients with each parameter whose
 * default is positive varied by a factor in [e^-0.3, e^0.3] (kept at its default where that
 * leaves its bounds; all defaults where the model's own check refuses the set), extinction on,
 * solved by every width and by the scalar path, bit for bit; and the lane right-hand side,
 * Jacobian and signals of two such patients at perturbed states against the scalar ones. A model
 * that gains lanes is covered here without a test of its own. */
static void model_patient(const cart_model *model, unsigned long *rng, double *values)
{
  cart_params *params = cart_params_new(model, NULL);
  for (size_t j = 0; j < cart_model_n_params(model); j++) {
    double x;
    ck_assert_int_eq(cart_params_get_index(params, j, &x), CART_OK);
    const double factor = exp(0.3 * (2.0 * uniform(rng) - 1.0));
    if (x > 0.0 && cart_model_param_in_bounds(model, j, x * factor)) {
      ck_assert_int_eq(cart_params_set_index(params, j, x * factor), CART_OK);
    }
  }
  if (cart_params_check(params, NULL) != CART_OK) {
    cart_params_reset(params);
  }
  for (size_t j = 0; j < cart_model_n_params(model); j++) {
    ck_assert_int_eq(cart_params_get_index(params, j, &values[j]), CART_OK);
  }
  cart_params_free(params);
}

START_TEST(test_every_model_with_lanes)
{
  enum { N_MODEL_PATIENTS = 61 };
  double times[N_TIMES];
  for (int d = 0; d < N_TIMES; d++) {
    times[d] = d;
  }
  size_t with_lanes = 0;
  for (size_t m = 0; m < cart_model_count(); m++) {
    const cart_model *model = cart_model_get(m);
    if (model->lanes == NULL) {
      continue;
    }
    with_lanes++;
    const size_t n = cart_model_n_states(model), n_params = cart_model_n_params(model);
    ck_assert_uint_le(n, 16);
    ck_assert_uint_le(n_params, 128);
    cart_solver *solver = cart_solver_new(model, NULL);
    ck_assert_int_eq(cart_solver_set_method(solver, CART_METHOD_RODAS5P), CART_OK);
    double *values = malloc(N_MODEL_PATIENTS * n_params * sizeof *values);
    double *expected = malloc(N_MODEL_PATIENTS * N_TIMES * n * sizeof *expected);
    cartp_batch_result *results = malloc(N_MODEL_PATIENTS * sizeof *results);
    ck_assert(values != NULL && expected != NULL && results != NULL);
    unsigned long rng = 2024 + m;
    for (size_t i = 0; i < N_MODEL_PATIENTS; i++) {
      model_patient(model, &rng, values + i * n_params);
    }
    solve_scalar(solver, model, values, N_MODEL_PATIENTS, times, expected, results);
    size_t ok = 0;
    for (size_t i = 0; i < N_MODEL_PATIENTS; i++) {
      ok += results[i].status == CART_OK;
    }
    ck_assert_msg(ok >= N_MODEL_PATIENTS - 2, "model %s: %zu of %d patients solved", model->name,
                  ok, N_MODEL_PATIENTS);
    compare_widths(solver, model, values, N_MODEL_PATIENTS, times, expected, results);

    /* the equations themselves, two lanes */
    expect_lane_equations(model,
                          (const double *const[2]){values, values + n_params}, &rng);
    cart_solver_free(solver);
    free(values);
    free(expected);
    free(results);
  }
  ck_assert_uint_ge(with_lanes, 2); /* cart and allo at least */
}
END_TEST

START_TEST(test_batch_rejects_what_it_cannot_do)
{
  const cart_model *model = cart_model_find("cart", NULL);
  cart_solver *solver = cart_solver_new(model, NULL);
  double values[64], states[9], times[1] = {0.0};
  cartp_batch_result result;
  unsigned long rng = 1;
  patient(model, 0, &rng, values);
  ck_assert_int_eq(cartp_solver_solve_batch(solver, values, 1, times, 1, states, &result, 3),
                   CART_EINVAL);
  ck_assert_int_eq(cartp_solver_solve_batch(solver, values, 1, times, 1, states, &result, 0),
                   CART_OK);
  ck_assert_int_eq(result.status, CART_OK);
  ck_assert_uint_eq(result.stats.steps, 0);
  ck_assert_int_eq(cart_solver_set_method(solver, CART_METHOD_BDF), CART_OK);
  ck_assert_int_eq(cartp_solver_solve_batch(solver, values, 1, times, 1, states, &result, 0),
                   CART_EINVAL);
  cart_solver_free(solver);
  const cart_model *stein = cart_model_find("stein", NULL);
  ck_assert_ptr_null(stein->lanes);
  solver = cart_solver_new(stein, NULL);
  ck_assert_int_eq(cartp_solver_solve_batch(solver, values, 1, times, 1, states, &result, 0),
                   CART_EINVAL);
  cart_solver_free(solver);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("lanes");
  TCase *tc = tcase_create("lanes");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_exp_against_libm);
  tcase_add_test(tc, test_root5_against_libm);
  tcase_add_test(tc, test_lane_equations_equal_scalar);
  tcase_add_test(tc, test_batch_rejects_what_it_cannot_do);
  tcase_add_test(tc, test_batch_failures_equal_scalar);
  tcase_add_test(tc, test_batch_equals_scalar);
  tcase_add_test(tc, test_every_model_with_lanes);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
