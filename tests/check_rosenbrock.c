/* check_rosenbrock.c: libcart's Rodas5P (lib/solver/rosenbrock.c) on problems with known answers.
 *
 * - Order: fixed steps on problems with exact solutions (linear stiff, nonlinear, time-dependent
 *   right-hand side): the error falls 2^5 = 32-fold when h halves (order 5); the dense output's
 *   error inside a step falls at least 2^4-fold (order 4 interpolant, local error O(h^5)).
 * - Block LU: a permuted block lower-triangular system gives the same steps, to rounding, with
 *   and without its declared structure, and the strongly connected components are found.
 * - Stiff test problems from the literature against their published reference values:
 *   Robertson (Hairer and Wanner, Solving ODEs II, 2nd ed. 1996, IV.10) at t = 40 and HIRES
 *   (Schaefer 1975; reference solution of the Test Set for IVP Solvers, Mazzia and Magherini,
 *   Univ. Bari, release 2.4, 2008) at t = 321.8122.
 * - Tolerance proportionality on `cart`: the error against the tight reference falls as rtol
 *   falls tenfold.
 * - A right-hand side that fails in the middle of a step: the solve reports it with the time
 *   reached, and the outputs before it are intact. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart.h>

#include "../lib/models/model_impl.h"
#include "../lib/solver/rosenbrock.h"
#include "test_util.h"

/* ---- problems ---- */

typedef struct problem {
  size_t n;
  int (*rhs)(double t, const double *y, double *f, void *context);
  int (*jacobian)(double t, const double *y, double *dfdy, double *dfdt, void *context);
  void (*exact)(double t, double *y); /* NULL: none */
} problem;

/* y' = A y with eigenvalues -1 and -1000 (stiff): A = V diag(-1, -1000) V^-1, V = [1 1; 1 -1]. */
static int linear_rhs(double t, const double *y, double *f, void *context)
{
  (void)t, (void)context;
  f[0] = -500.5 * y[0] + 499.5 * y[1];
  f[1] = 499.5 * y[0] - 500.5 * y[1];
  return 0;
}

static int linear_jacobian(double t, const double *y, double *J, double *dfdt, void *context)
{
  (void)t, (void)y, (void)context;
  J[0] = -500.5, J[1] = 499.5, J[2] = 499.5, J[3] = -500.5;
  dfdt[0] = dfdt[1] = 0.0;
  return 0;
}

/* y(0) = (1, 1): y = e^{-t} (1, 1), on the slow manifold, while every W = I/(h gamma) - J still
 * holds the stiff eigenvalue (with h up to 1/4, h lambda = -250). Starting off the manifold would
 * measure the stiff component's damping R(h lambda) ~ 1 / (h lambda), not the order. */
static void linear_exact(double t, double *y)
{
  y[0] = exp(-t);
  y[1] = exp(-t);
}

/* y' = -y^2 (y = 1 / (1 + t)) and z' = -z + cos t (z = (cos t + sin t) / 2 from z(0) = 1/2): a
 * nonlinear term and a time-dependent one (the d_i df/dt terms). */
static int mixed_rhs(double t, const double *y, double *f, void *context)
{
  (void)context;
  f[0] = -y[0] * y[0];
  f[1] = -y[1] + cos(t);
  return 0;
}

static int mixed_jacobian(double t, const double *y, double *J, double *dfdt, void *context)
{
  (void)context;
  J[0] = -2.0 * y[0], J[1] = 0.0, J[2] = 0.0, J[3] = -1.0;
  dfdt[0] = 0.0;
  dfdt[1] = -sin(t);
  return 0;
}

static void mixed_exact(double t, double *y)
{
  y[0] = 1.0 / (1.0 + t);
  y[1] = 0.5 * (cos(t) + sin(t));
}

static const problem LINEAR = {2, linear_rhs, linear_jacobian, linear_exact};
static const problem MIXED = {2, mixed_rhs, mixed_jacobian, mixed_exact};

/* Fixed steps of size h from 0 to t_end (every step accepted: huge atol); the largest error
 * at the step ends and at each step's midpoint (dense output). */
static void fixed_steps(const problem *pr, const double *y0, double t_end, int n_steps,
                        double *err_end, double *err_mid)
{
  cartp_rosenbrock *r = malloc(sizeof *r);
  const double atol[2] = {1e300, 1e300};
  cartp_rosenbrock_init(r, pr->n, 1e-3, atol);
  cartp_rosenbrock_system sys = {pr->rhs, pr->jacobian, NULL};
  double y[2] = {y0[0], y0[1]}, exact[2], mid[2];
  double t = 0.0;
  const double h = t_end / n_steps;
  *err_end = *err_mid = 0.0;
  for (int k = 1; k <= n_steps; k++) {
    double h_try = 2.0 * h;
    ck_assert_int_eq(cartp_rosenbrock_evolve(r, &sys, &t, k * h, &h_try, y), CARTP_ROSENBROCK_OK);
    ck_assert_double_eq(t, k * h);
    pr->exact(t, exact);
    for (size_t i = 0; i < pr->n; i++) {
      *err_end = fmax(*err_end, fabs(y[i] - exact[i]));
    }
    const double t_mid = t - 0.5 * h;
    cartp_rosenbrock_dense(r, t_mid, mid);
    pr->exact(t_mid, exact);
    for (size_t i = 0; i < pr->n; i++) {
      *err_mid = fmax(*err_mid, fabs(mid[i] - exact[i]));
    }
  }
  free(r);
}

/* log2 of the error ratio when h halves, over three halvings (the smallest). */
static void check_order(const problem *pr, const double *y0, double t_end, int n0, double order,
                        double dense_order)
{
  double e_prev = 0, m_prev = 0;
  for (int level = 0; level < 4; level++) {
    double e, m;
    fixed_steps(pr, y0, t_end, n0 << level, &e, &m);
    if (level > 0) {
      const double observed = log2(e_prev / e), observed_dense = log2(m_prev / m);
      printf("h = %-9.3g error %.3e (order %.2f), dense output at mid-step %.3e (order %.2f)\n",
             t_end / (n0 << level), e, observed, m, observed_dense);
      ck_assert_double_ge(observed, order - 0.4);
      ck_assert_double_le(observed, order + 1.2); /* linear problems: up to ~5.9 here */
      ck_assert_double_ge(observed_dense, dense_order - 0.4);
    }
    e_prev = e, m_prev = m;
  }
}

START_TEST(test_order_linear)
{
  /* after the fast transient (h << 1/1000 is not needed: L-stable; start past it) */
  const double y0[2] = {1.0, 1.0};
  check_order(&LINEAR, y0, 2.0, 4, 5.0, 4.0); /* h down to 1/32: above the round-off floor */
}
END_TEST

START_TEST(test_order_nonlinear_time_dependent)
{
  const double y0[2] = {1.0, 0.5};
  check_order(&MIXED, y0, 4.0, 32, 5.0, 4.0);
}
END_TEST

/* ---- block structure ---- */

/* A 4-state system whose Jacobian, in the order (y2, y0, y3, y1), is block lower-triangular:
 * {y0, y2} a 2x2 block, then y1 driven by it, then y3 driven by y1. */
static int blocks_rhs(double t, const double *y, double *f, void *context)
{
  (void)t, (void)context;
  f[0] = -2.0 * y[0] + y[2] * y[2];
  f[2] = y[0] - 3.0 * y[2];
  f[1] = 0.5 * y[0] - 50.0 * y[1];
  f[3] = y[1] - y[3] + 0.1 * y[2];
  return 0;
}

static int blocks_jacobian(double t, const double *y, double *J, double *dfdt, void *context)
{
  (void)t, (void)context;
  memset(J, 0, 16 * sizeof *J);
  J[0 * 4 + 0] = -2.0, J[0 * 4 + 2] = 2.0 * y[2];
  J[2 * 4 + 0] = 1.0, J[2 * 4 + 2] = -3.0;
  J[1 * 4 + 0] = 0.5, J[1 * 4 + 1] = -50.0;
  J[3 * 4 + 1] = 1.0, J[3 * 4 + 3] = -1.0, J[3 * 4 + 2] = 0.1;
  memset(dfdt, 0, 4 * sizeof *dfdt);
  return 0;
}

START_TEST(test_block_structure)
{
  static const unsigned char pattern[16] = {1, 0, 1, 0, /* y0 */ 1, 1, 0, 0, /* y1 */
                                            1, 0, 1, 0, /* y2 */ 0, 1, 1, 1 /* y3 */};
  cartp_rosenbrock *dense = malloc(sizeof *dense), *blocked = malloc(sizeof *blocked);
  const double atol[4] = {1e-9, 1e-9, 1e-9, 1e-9};
  cartp_rosenbrock_init(dense, 4, 1e-8, atol);
  cartp_rosenbrock_init(blocked, 4, 1e-8, atol);
  cartp_rosenbrock_set_blocks(blocked, pattern);
  ck_assert_uint_eq(blocked->n_blocks, 3);
  /* {y0, y2} first (nothing outside drives it), then y1, then y3 */
  ck_assert_int_eq(blocked->block_start[1] - blocked->block_start[0], 2);
  ck_assert_int_eq(blocked->order[2], 1);
  ck_assert_int_eq(blocked->order[3], 3);
  cartp_rosenbrock_system sys = {blocks_rhs, blocks_jacobian, NULL};
  double ya[4] = {1, 0.2, 0.5, 0}, yb[4] = {1, 0.2, 0.5, 0};
  double ta = 0, tb = 0, ha = 1e-3, hb = 1e-3;
  int steps_a = 0, steps_b = 0;
  while (ta < 10.0) {
    ck_assert_int_eq(cartp_rosenbrock_evolve(dense, &sys, &ta, 10.0, &ha, ya), 0);
    steps_a++;
  }
  while (tb < 10.0) {
    ck_assert_int_eq(cartp_rosenbrock_evolve(blocked, &sys, &tb, 10.0, &hb, yb), 0);
    steps_b++;
  }
  /* the same method: the same steps but for rounding (which may move a step size slightly) */
  ck_assert_int_gt(steps_a, 5);
  ck_assert_int_le(abs(steps_a - steps_b), 1);
  for (int i = 0; i < 4; i++) {
    ck_assert_double_le(fabs(ya[i] - yb[i]), 1e-8 * fabs(ya[i]));
  }
  free(dense);
  free(blocked);
}
END_TEST

/* ---- stiff problems from the literature ---- */

static int robertson_rhs(double t, const double *y, double *f, void *context)
{
  (void)t, (void)context;
  f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
  f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
  f[2] = 3e7 * y[1] * y[1];
  return 0;
}

static int robertson_jacobian(double t, const double *y, double *J, double *dfdt, void *context)
{
  (void)t, (void)context;
  J[0] = -0.04, J[1] = 1e4 * y[2], J[2] = 1e4 * y[1];
  J[3] = 0.04, J[4] = -1e4 * y[2] - 6e7 * y[1], J[5] = -1e4 * y[1];
  J[6] = 0.0, J[7] = 6e7 * y[1], J[8] = 0.0;
  dfdt[0] = dfdt[1] = dfdt[2] = 0.0;
  return 0;
}

static int hires_rhs(double t, const double *y, double *f, void *context)
{
  (void)t, (void)context;
  f[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
  f[1] = 1.71 * y[0] - 8.75 * y[1];
  f[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
  f[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
  f[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
  f[5] = -280.0 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
  f[6] = 280.0 * y[5] * y[7] - 1.81 * y[6];
  f[7] = -280.0 * y[5] * y[7] + 1.81 * y[6];
  return 0;
}

static int hires_jacobian(double t, const double *y, double *J, double *dfdt, void *context)
{
  (void)t, (void)context;
  memset(J, 0, 64 * sizeof *J);
#define HJ(i, j) J[(i) * 8 + (j)]
  HJ(0, 0) = -1.71, HJ(0, 1) = 0.43, HJ(0, 2) = 8.32;
  HJ(1, 0) = 1.71, HJ(1, 1) = -8.75;
  HJ(2, 2) = -10.03, HJ(2, 3) = 0.43, HJ(2, 4) = 0.035;
  HJ(3, 1) = 8.32, HJ(3, 2) = 1.71, HJ(3, 3) = -1.12;
  HJ(4, 4) = -1.745, HJ(4, 5) = 0.43, HJ(4, 6) = 0.43;
  HJ(5, 3) = 0.69, HJ(5, 4) = 1.71, HJ(5, 5) = -280.0 * y[7] - 0.43, HJ(5, 6) = 0.69,
        HJ(5, 7) = -280.0 * y[5];
  HJ(6, 5) = 280.0 * y[7], HJ(6, 6) = -1.81, HJ(6, 7) = 280.0 * y[5];
  HJ(7, 5) = -280.0 * y[7], HJ(7, 6) = 1.81, HJ(7, 7) = -280.0 * y[5];
#undef HJ
  memset(dfdt, 0, 8 * sizeof *dfdt);
  return 0;
}

/* Integrates to t_end at rtol with atol = rtol * atol_scale; returns the steps taken. */
static int integrate(size_t n, cartp_rosenbrock_system sys, double *y, double t_end, double rtol,
                     double atol_value)
{
  cartp_rosenbrock *r = malloc(sizeof *r);
  double atol[8];
  for (size_t i = 0; i < n; i++) {
    atol[i] = atol_value;
  }
  cartp_rosenbrock_init(r, n, rtol, atol);
  double t = 0, h = 1e-6;
  int steps = 0;
  while (t < t_end) {
    ck_assert_int_eq(cartp_rosenbrock_evolve(r, &sys, &t, t_end, &h, y), CARTP_ROSENBROCK_OK);
    steps++;
  }
  ck_assert_double_eq(t, t_end);
  free(r);
  return steps;
}

START_TEST(test_robertson)
{
  /* Hairer and Wanner II, IV.10 (Table 10.1's problem), reference at t = 40 */
  static const double reference[3] = {0.7158270687193267, 0.9185534764557307e-5,
                                      0.2841637457458824};
  static const double rtols[3] = {1e-6, 1e-8, 1e-10};
  static const double limits[3] = {1e-5, 1e-7, 1e-9};
  for (int k = 0; k < 3; k++) {
    double y[3] = {1.0, 0.0, 0.0};
    const int steps = integrate(3, (cartp_rosenbrock_system){robertson_rhs, robertson_jacobian, NULL},
                                y, 40.0, rtols[k], 1e-6 * rtols[k]);
    double worst = 0;
    for (int i = 0; i < 3; i++) {
      worst = fmax(worst, fabs(y[i] - reference[i]) / reference[i]);
    }
    printf("Robertson rtol %g: %d steps, largest relative error %.2e\n", rtols[k], steps, worst);
    ck_assert_double_le(worst, limits[k]);
    ck_assert_double_le(fabs(y[0] + y[1] + y[2] - 1.0), 1e-12); /* mass is conserved exactly */
  }
}
END_TEST

START_TEST(test_hires)
{
  /* Test Set for IVP Solvers (Mazzia and Magherini 2008), HIRES reference at t = 321.8122 */
  static const double reference[8] = {
      0.7371312573325668e-3, 0.1442485726316185e-3, 0.5888729740967575e-4,
      0.1175651343283149e-2, 0.2386356198831331e-2, 0.6238968252742796e-2,
      0.2849998395185769e-2, 0.2850001604814231e-2};
  static const double rtols[2] = {1e-7, 1e-10};
  static const double limits[2] = {1e-4, 1e-7};
  for (int k = 0; k < 2; k++) {
    double y[8] = {1, 0, 0, 0, 0, 0, 0, 0.0057};
    const int steps = integrate(8, (cartp_rosenbrock_system){hires_rhs, hires_jacobian, NULL}, y,
                                321.8122, rtols[k], 1e-4 * rtols[k]);
    double worst = 0;
    for (int i = 0; i < 8; i++) {
      worst = fmax(worst, fabs(y[i] - reference[i]) / reference[i]);
    }
    printf("HIRES rtol %g: %d steps, largest relative error %.2e\n", rtols[k], steps, worst);
    ck_assert_double_le(worst, limits[k]);
  }
}
END_TEST

/* ---- through the solver ---- */

/* cart's default patient at rtol 1e-5 .. 1e-9 (atol scaled with it) against an rk8pd solve at
 * rtol 1e-12 (days 0-90, E and the tumour where above 1e4 cells): the error falls at least
 * 4-fold per decade of rtol and stays below 20 rtol. */
START_TEST(test_tolerance_proportionality_cart)
{
  const cart_model *model = cart_model_find("cart", NULL);
  cart_params *params = cart_params_new(model, NULL);
  enum { N = 361 };
  double times[N], ref[N * 9], got[N * 9];
  for (int k = 0; k < N; k++) {
    times[k] = 0.25 * k;
  }
  cart_solver *solver = cart_solver_new(model, NULL);
  ck_assert_int_eq(cart_solver_set_extinction(solver, 0), CART_OK);
  ck_assert_int_eq(cart_solver_set_method(solver, CART_METHOD_RK8PD), CART_OK);
  double atol[9];
  for (int i = 0; i < 9; i++) {
    atol[i] = 1e-6;
  }
  ck_assert_int_eq(cart_solver_set_tolerances(solver, 1e-12, atol), CART_OK);
  ck_assert_int_eq(cart_solver_set_max_steps(solver, 1000000), CART_OK);
  ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, N, ref, NULL), CART_OK);
  ck_assert_int_eq(cart_solver_set_method(solver, CART_METHOD_RODAS5P), CART_OK);
  double previous = 0;
  for (int k = 5; k <= 9; k++) {
    const double rtol = pow(10.0, -k);
    double scaled[9];
    for (int i = 0; i < 9; i++) {
      cart_state_info info;
      cart_model_state_info(model, (size_t)i, &info);
      scaled[i] = info.abs_tol * rtol / 1e-6;
    }
    ck_assert_int_eq(cart_solver_set_tolerances(solver, rtol, scaled), CART_OK);
    ck_assert_int_eq(cart_solver_solve(solver, params, NULL, times, N, got, NULL), CART_OK);
    double worst = 0;
    for (int row = 0; row < N; row++) {
      static const int watched[] = {0, 3, 4}; /* E, Tp, Tn */
      for (int w = 0; w < 3; w++) {
        const double r = ref[row * 9 + watched[w]];
        if (r > 1e4) {
          worst = fmax(worst, fabs(got[row * 9 + watched[w]] - r) / r);
        }
      }
    }
    cart_solver_stats stats;
    cart_solver_get_stats(solver, &stats);
    printf("cart rtol %g: %lu steps, largest relative error %.2e\n", rtol, stats.steps, worst);
    ck_assert_double_le(worst, 20 * rtol);
    if (k > 5) {
      ck_assert_double_ge(previous / worst, 4.0);
    }
    previous = worst;
  }
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* A one-state model whose right-hand side gives up (returns -1) once t passes 5.3 days. */
static const cart_state_info failing_states[] = {{"y", "1", 1e-9, "decays"}};
static const cart_param_info failing_params[] = {
    {"k", "1/day", 0.5, 0, 10, 0, 0, "decay rate"}};

static void failing_prepare(const double *p, double *derived)
{
  (void)p, (void)derived;
}

static void failing_initial(const double *p, const double *derived, double *y, int *mode)
{
  (void)p, (void)derived;
  y[0] = 1.0;
  *mode = 0;
}

static int failing_rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  if (t > 5.3) {
    return -1;
  }
  f[0] = -ev->p[0] * y[0];
  return 0;
}

static int failing_jacobian(double t, const double *y, double *J, double *dfdt,
                            const cart_model_eval *ev)
{
  (void)y;
  if (t > 5.3) {
    return -1;
  }
  J[0] = -ev->p[0];
  dfdt[0] = 0.0;
  return 0;
}

static const cart_model failing_model = {
    .name = "failing",
    .description = "decays until t = 5.3, then its right-hand side fails",
    .n_states = 1,
    .states = failing_states,
    .n_params = 1,
    .params = failing_params,
    .prepare = failing_prepare,
    .initial = failing_initial,
    .rhs = failing_rhs,
    .jacobian = failing_jacobian,
};

START_TEST(test_rhs_fails_mid_step)
{
  cart_params *params = cart_params_new(&failing_model, NULL);
  ck_assert_ptr_nonnull(params);
  cart_solver *solver = cart_solver_new(&failing_model, NULL);
  ck_assert_int_eq(cart_solver_method(solver), CART_METHOD_RODAS5P);
  enum { N = 11 };
  double times[N], y[N];
  for (int k = 0; k < N; k++) {
    times[k] = k;
    y[k] = -7.0; /* untouched rows keep it */
  }
  const int rc = cart_solver_solve(solver, params, NULL, times, N, y, NULL);
  ck_assert_int_eq(rc, CART_EMODEL);
  const double reached = cart_solver_time_reached(solver);
  ck_assert_double_le(reached, 5.3);
  ck_assert_double_gt(reached, 4.0);
  ck_assert_ptr_nonnull(strstr(cart_solver_last_error(solver)->message, "failing"));
  for (int k = 0; k < N; k++) {
    if (times[k] <= reached) {
      ck_assert_double_le(fabs(y[k] - exp(-0.5 * times[k])), 1e-6);
    } else {
      ck_assert_double_eq(y[k], -7.0);
    }
  }
  cart_solver_free(solver);
  cart_params_free(params);
}
END_TEST

/* y' = lambda y (context: &lambda). */
static int scalar_decay_rhs(double t, const double *y, double *f, void *context)
{
  (void)t;
  f[0] = *(const double *)context * y[0];
  return 0;
}

/* The same, refusing every state after t = 0 (as a model refuses an unphysical one). */
static int refusing_rhs(double t, const double *y, double *f, void *context)
{
  return t > 0.0 ? 1 : scalar_decay_rhs(t, y, f, context);
}

/* The starting step (Hairer, Norsett and Wanner I, II.4) on y' = lambda y, where every quantity
 * of the algorithm has a closed form: d0 = |y0| / s, d1 = |lambda| d0, h0 = 0.01 / |lambda|,
 * d2 = lambda^2 d0 (the Euler step's change in f over h0), h = min(100 h0, (0.01 /
 * max(d1, d2))^(1/5)); and the fallback where f refuses the Euler state. */
START_TEST(test_initial_step)
{
  static const double lambdas[3] = {-0.3, -40.0, -2e4};
  for (int k = 0; k < 3; k++) {
    double lambda = lambdas[k], y0 = 1e6;
    const double atol = 1.0, rtol = 1e-6;
    cartp_rosenbrock r;
    cartp_rosenbrock_init(&r, 1, rtol, &atol);
    const cartp_rosenbrock_system sys = {scalar_decay_rhs, NULL, &lambda};
    const double h = cartp_rosenbrock_initial_step(&r, &sys, 0.0, &y0, -1.0);
    const double d0 = y0 / (atol + rtol * y0), d1 = fabs(lambda) * d0, d2 = lambda * lambda * d0;
    const double expected = fmin(100.0 * 0.01 / fabs(lambda), pow(0.01 / fmax(d1, d2), 0.2));
    printf("initial step for lambda = %g: %.6g day (expected %.6g)\n", lambda, h, expected);
    ck_assert_double_eq_tol(h, expected, 1e-9 * expected);
  }
  /* the model refuses the Euler step's state: the fallback is kept */
  double lambda = -1.0, y0 = 1e6;
  const double atol = 1.0, rtol = 1e-6;
  cartp_rosenbrock r;
  cartp_rosenbrock_init(&r, 1, rtol, &atol);
  const cartp_rosenbrock_system sys = {refusing_rhs, NULL, &lambda};
  ck_assert_double_eq(cartp_rosenbrock_initial_step(&r, &sys, 0.0, &y0, 0.125), 0.125);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("rosenbrock");
  TCase *tc = tcase_create("rodas5p");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_initial_step);
  tcase_add_test(tc, test_order_linear);
  tcase_add_test(tc, test_order_nonlinear_time_dependent);
  tcase_add_test(tc, test_block_structure);
  tcase_add_test(tc, test_robertson);
  tcase_add_test(tc, test_hires);
  tcase_add_test(tc, test_tolerance_proportionality_cart);
  tcase_add_test(tc, test_rhs_fails_mid_step);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
