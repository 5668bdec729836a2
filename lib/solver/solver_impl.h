/* solver_impl.h: what the trial layer sees of the solver (internal).
 *
 * An observer follows a solve step by step, for endpoints that need the solution between output
 * times (maxima, integrals, threshold crossings): `segment_start` at t = 0 and after the events
 * at an event time (the state after them), `step` after every accepted step [t0, t1]; inside
 * `step`, cartp_solver_interpolate gives the state anywhere in [t0, t1]. */
#ifndef CART_SOLVER_IMPL_H
#define CART_SOLVER_IMPL_H

#include <cart/cart_solver.h>

typedef struct cartp_step_observer {
  void (*segment_start)(void *context, const cart_solver *solver, double t, const double *y);
  void (*step)(void *context, const cart_solver *solver, double t0, double t1, const double *y1);
  void *context;
} cartp_step_observer;

/* cart_solver_solve with an observer (NULL: none). */
int cartp_solver_solve_observed(cart_solver *solver, const cart_params *params,
                                const cart_dosing *dosing, const double *times, size_t n_times,
                                double *states, double *outputs,
                                const cartp_step_observer *observer);

/* A solve as a resumable machine (solver.c), so that a caller can hold several patients in
 * flight: begin and after_step return CARTP_RUN_STEP when the solve needs its next accepted
 * step, CART_OK when it is complete, or an error code (message in the solver). The step is taken
 * by cartp_solver_advance (the solver's own method), whose status goes to after_step. Between
 * the calls the solver belongs to that patient. */
#define CARTP_RUN_STEP (-1000)
int cartp_run_begin(cart_solver *solver, const cart_params *params, const cart_dosing *dosing,
                    double t0, const double *y0, const double *times, size_t n_times,
                    double *states, double *outputs, const cartp_step_observer *observer);
int cartp_run_after_step(cart_solver *solver, int step_status);
int cartp_solver_advance(cart_solver *solver);

/* The state at t within the last accepted step (dense output). */
void cartp_solver_interpolate(const cart_solver *solver, double t, double *y);

/* The same for an output row: each value below 0 (noise above -atol, MODEL.md 6) written as 0. */
void cartp_solver_interpolate_output(const cart_solver *solver, double t, double *row);

/* An output row from state y (row may be y): each value below 0 written as 0, as above (Rodas5P's
 * dense output does the same in its own pass: cartp_rosenbrock_dense_output). */
static inline void cartp_output_row(double *row, const double *y, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    row[i] = y[i] < 0.0 ? 0.0 : y[i];
  }
}

/* The 3-point Gauss-Legendre nodes of [t0, t1] (inside the last accepted step) and the extended
 * vector at each (the states, then the model's signals), row i of *states holding node i (rows
 * CARTP_SAMPLE_STRIDE doubles apart), then in row CARTP_STEP_SAMPLES the extended vector of the
 * solver's state, which is the state at t1; computed once per step and shared by every user. */
#define CARTP_STEP_SAMPLES 3
#define CARTP_GAUSS_NODE 0.7745966692414834 /* sqrt(3/5): the outer nodes at mid -+ it half */
#define CARTP_SAMPLE_STRIDE 32
/* The samples as read: entry m of sample i (0..2 the nodes, 3 the end) is x[i row + m elem]; the
 * samples the SIMD lanes make stay where they were made (one lane's values W doubles apart). */
typedef struct cartp_samples {
  const double *times; /* the 3 nodes */
  const double *x;
  size_t row, elem;
} cartp_samples;
void cartp_solver_step_samples(const cart_solver *solver, double t0, double t1,
                               cartp_samples *samples);
static inline double cartp_sample(const cartp_samples *s, int i, size_t m)
{
  return s->x[(size_t)i * s->row + m * s->elem];
}
/* After a step taken in SIMD lanes (batch.c): samples read from the lanes' workspace, which the
 * next round reuses, are forgotten (asked again, they are made from the dense output). */
void cartp_solver_forget_lane_samples(cart_solver *solver);

/* The tocilizumab rule's doses of the last solve (all of them, whatever the event log kept):
 * their number, and their times in *times. */
int cartp_solver_rule_doses(const cart_solver *solver, const double **times);

/* Parameters of the patient being solved (valid inside observer callbacks). */
const double *cartp_solver_param_values(const cart_solver *solver);

#endif
