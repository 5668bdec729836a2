/* dense.c: the solution between accepted steps (dense output), for events, endpoints and output
 * times that fall inside a step.
 *
 * Each method has its own: Rodas5P its order-4 interpolant over the last step (rosenbrock.c);
 * BDF the polynomial through its last accepted points (at most HISTORY, degree <= 5, the
 * interpolant BDF itself is built on: SciPy's BDF dense output and CVODE's Nordsieck array are
 * the same idea); rk8pd, a one-step method whose long steps no past-point polynomial can follow,
 * one shorter rk8pd step from the start of the last step. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "solver_impl.h"
#include "solver_struct.h"

void cartp_dense_push(cart_solver *solver, double t)
{
  struct dense_restep *r = solver->restep;
  /* a new step: new samples, unless SIMD lanes made them with the step itself (lanes_round.h) */
  if (!(r->samples_for_step == solver->stats.steps && r->sample_t1 == t)) {
    r->sample_t0 = r->sample_t1 = NAN;
  }
  r->samples_for_step = 0;
  if (solver->method == CART_METHOD_RODAS5P && solver->history_count > 0) {
    solver->history_count++; /* its dense output is the step's own: only the first point, the
                                restart's, is read (cartp_solver_interpolate) */
    return;
  }
  const size_t slot = solver->history_count % HISTORY;
  solver->history_t[slot] = t;
  memcpy(solver->history_y[slot], solver->y, solver->model->n_states * sizeof(double));
  solver->history_count++;
  if (solver->method == CART_METHOD_RODAS5P) {
    return; /* only the polynomial (BDF, rk8pd's fallback) needs the weights */
  }
  const size_t count = solver->history_count < HISTORY ? solver->history_count : HISTORY;
  for (size_t j = 0; j < count; j++) {
    double product = 1.0;
    for (size_t m = 0; m < count; m++) {
      if (m != j) {
        product *= solver->history_t[j] - solver->history_t[m];
      }
    }
    solver->history_w[j] = 1.0 / product;
  }
}

/* rk8pd: one step from the start of the last step to t. Returns 0, or -1 when the right-hand
 * side refused a state on the way. */
static int restep(const cart_solver *solver, double t, double *y)
{
  const size_t n = solver->model->n_states;
  const size_t last = (solver->history_count - 1) % HISTORY;
  const size_t prev = (solver->history_count - 2) % HISTORY;
  const double t_prev = solver->history_t[prev];
  if (t == solver->history_t[last]) {
    memcpy(y, solver->history_y[last], n * sizeof *y);
    return 0;
  }
  struct dense_restep *r = solver->restep;
  memcpy(r->y, solver->history_y[prev], n * sizeof *y);
  if (t == t_prev || gsl_odeiv2_step_apply(r->step, t_prev, t - t_prev, r->y, r->yerr, NULL,
                                           NULL, &solver->system) == GSL_SUCCESS) {
    memcpy(y, r->y, n * sizeof *y);
    return 0;
  }
  return -1;
}

/* BDF: Lagrange's polynomial through the stored points in barycentric form,
 * y(t) = sum c_j y_j / sum c_j with c_j = w_j / (t - t_j) (Berrut and Trefethen 2004). */
static void polynomial(const cart_solver *solver, double t, double *y)
{
  const size_t n = solver->model->n_states;
  const size_t count = solver->history_count < HISTORY ? solver->history_count : HISTORY;
  double weight[HISTORY], total = 0.0;
  for (size_t j = 0; j < count; j++) {
    const double dt = t - solver->history_t[j];
    if (dt == 0.0) {
      memcpy(y, solver->history_y[j], n * sizeof *y);
      return;
    }
    weight[j] = solver->history_w[j] / dt;
    total += weight[j];
  }
  const double scale = 1.0 / total;
  for (size_t i = 0; i < n; i++) {
    y[i] = 0.0;
  }
  for (size_t j = 0; j < count; j++) { /* row by row: contiguous, vectorisable */
    const double c = weight[j] * scale;
    const double *row = solver->history_y[j];
    for (size_t i = 0; i < n; i++) {
      y[i] += c * row[i];
    }
  }
}

/* The dense output at t into y; with `clamp` an output row, each value below 0 written as 0
 * (Rodas5P's interpolant does it in its own pass). */
static void interpolate(const cart_solver *solver, double t, double *y, int clamp)
{
  if (solver->history_count < 2) { /* no step since the restart: the one point there is */
    memcpy(y, solver->history_y[0], solver->model->n_states * sizeof *y);
  } else if (solver->method == CART_METHOD_RODAS5P) {
    (clamp ? cartp_rosenbrock_dense_output : cartp_rosenbrock_dense)(&solver->rosenbrock, t, y);
    return;
  } else if (solver->method != CART_METHOD_RK8PD || restep(solver, t, y) != 0) {
    /* BDF, or rk8pd's right-hand side refused the state: the polynomial */
    polynomial(solver, t, y);
  }
  if (clamp) {
    cartp_output_row(y, y, solver->model->n_states);
  }
}

void cartp_solver_interpolate(const cart_solver *solver, double t, double *y)
{
  interpolate(solver, t, y, 0);
}

void cartp_solver_interpolate_output(const cart_solver *solver, double t, double *row)
{
  interpolate(solver, t, row, 1);
}

_Static_assert(CARTP_SAMPLE_STRIDE == CART_MAX_STATES, "sample rows are CART_MAX_STATES long");

void cartp_solver_step_samples(const cart_solver *solver, double t0, double t1,
                               cartp_samples *samples)
{
  struct dense_restep *r = solver->restep;
  if (r->sample_t0 != t0 || r->sample_t1 != t1) {
    const double mid = 0.5 * (t0 + t1), half = 0.5 * (t1 - t0);
    static const double node[CARTP_STEP_SAMPLES] = {-CARTP_GAUSS_NODE, 0.0, CARTP_GAUSS_NODE};
    const cart_model *model = solver->model;
    for (int i = 0; i <= CARTP_STEP_SAMPLES; i++) {
      if (i < CARTP_STEP_SAMPLES) {
        r->sample_t[i] = mid + node[i] * half;
        cartp_solver_interpolate(solver, r->sample_t[i], r->sample_y[i]);
      } else { /* the end: the solver's state itself */
        memcpy(r->sample_y[i], solver->y, model->n_states * sizeof solver->y[0]);
      }
      /* the signals after the states: each sample's extended vector, computed once for the
       * root search and the endpoints alike */
      if (model->n_signals > 0) {
        model->signal_values(r->sample_y[i], solver->eval.p, r->sample_y[i] + model->n_states);
      }
    }
    r->sample_t0 = t0;
    r->sample_t1 = t1;
    r->sample_x = &r->sample_y[0][0];
    r->sample_row = CARTP_SAMPLE_STRIDE;
    r->sample_elem = 1;
  }
  *samples = (cartp_samples){r->sample_t, r->sample_x, r->sample_row, r->sample_elem};
}

void cartp_solver_forget_lane_samples(cart_solver *solver)
{
  struct dense_restep *r = solver->restep;
  if (r->sample_x != &r->sample_y[0][0]) {
    r->sample_t0 = r->sample_t1 = NAN;
    r->sample_x = &r->sample_y[0][0];
    r->sample_row = CARTP_SAMPLE_STRIDE;
    r->sample_elem = 1;
  }
}
