/* solver.c: one patient with exact timed events (MODEL.md sections 3 and 6).
 *
 * The solver drives its stepper one accepted step at a time (libcart's Rodas5P, rosenbrock.c; or
 * GSL's evolve/control/step layers, not gsl_odeiv2_driver_apply) so it can stop exactly at every
 * event time and output time, count steps against its own limit, and check every accepted step
 * for non-finite or negative states. A GSL driver object is still made, because msbdf reads the
 * control through it. Everything is allocated when the solver is made
 * (or its options change); a solve allocates only when a schedule has more events than any
 * schedule before it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include <cart/cart_solver.h>

#include "../models/params_impl.h"
#include "../util/error.h"
#include "../util/gsl_init.h"
#include "solver_impl.h"
#include "solver_struct.h"

/* GSL callbacks: the model's right-hand side plus the zero-order infusion input. A model's
 * positive return asks GSL for a smaller step (GSL_FAILURE), a negative one gives up. */
static int system_rhs(double t, const double y[], double dydt[], void *data)
{
  cart_solver *solver = data;
  const int status = solver->model->rhs(t, y, dydt, &solver->eval);
  if (status != 0) {
    return status > 0 ? GSL_FAILURE : GSL_EBADFUNC;
  }
  if (solver->toci_rate != 0.0) {
    dydt[cartp_model_toci_state(solver->model)] += solver->toci_rate;
  }
  return GSL_SUCCESS;
}

/* Invariant zero groups (model_impl.h): while every state of a group is exactly 0 (and no
 * infusion feeds it), its columns are cut from the other rows of the Jacobian. Its rows already
 * hold nothing outside the group there, so the Newton matrix becomes block diagonal, LU with
 * pivoting cannot mix 1e11-cell rows into the group, and the group's correction is exactly 0.
 * Without this, roundoff (~1e-5 cells) seeded a zero CAR-T population inside msbdf's history,
 * where it grew at rho S - delta_E - ... > 0 and cleared the tumour of a patient given no CAR-T.
 * Only the Newton iteration matrix changes, not the equations: the solution is the ODE's. */
static void cut_zero_groups(const cart_solver *solver, const double *y, double *dfdy)
{
  const cart_model *model = solver->model;
  const size_t n = model->n_states;
  const int *const *groups = model->zero_groups;
  for (size_t g = 0; groups != NULL && groups[g] != NULL; g++) {
    int all_zero = 1;
    for (const int *i = groups[g]; *i >= 0 && all_zero; i++) {
      all_zero = y[*i] == 0.0 && !(*i == cartp_model_toci_state(model) && solver->toci_rate != 0.0);
    }
    if (!all_zero) {
      continue;
    }
    const unsigned long members = cartp_zero_group_members(groups[g]);
    for (const int *col = groups[g]; *col >= 0; col++) {
      for (size_t row = 0; row < n; row++) {
        if (!(members >> row & 1)) {
          dfdy[row * n + (size_t)*col] = 0.0;
        }
      }
    }
  }
}

static int system_jacobian(double t, const double y[], double *dfdy, double dfdt[], void *data)
{
  cart_solver *solver = data;
  const int status = solver->model->jacobian(t, y, dfdy, dfdt, &solver->eval);
  if (status != 0) {
    return status > 0 ? GSL_FAILURE : GSL_EBADFUNC;
  }
  cut_zero_groups(solver, y, dfdy);
  return GSL_SUCCESS;
}

/* The same for libcart's own integrator, which takes the model's status as it is. */
static int rosenbrock_rhs(double t, const double *y, double *dydt, void *data)
{
  cart_solver *solver = data;
  const int status = solver->model->rhs(t, y, dydt, &solver->eval);
  if (status == 0 && solver->toci_rate != 0.0) {
    dydt[cartp_model_toci_state(solver->model)] += solver->toci_rate;
  }
  return status;
}

static int rosenbrock_jacobian(double t, const double *y, double *dfdy, double *dfdt, void *data)
{
  cart_solver *solver = data;
  const int status = solver->model->jacobian(t, y, dfdy, dfdt, &solver->eval);
  if (status == 0) {
    cut_zero_groups(solver, y, dfdy);
  }
  return status;
}

static const gsl_odeiv2_step_type *step_type(cart_method method)
{
  return method == CART_METHOD_RK8PD ? gsl_odeiv2_step_rk8pd : gsl_odeiv2_step_msbdf;
}

/* A driver for the solver's method and tolerances: error per state i is held below
 * atol_i + rtol |y_i| (GSL scaled control with eps_abs = 1, scale_abs = atol, a_y = 1). */
static gsl_odeiv2_driver *make_driver(cart_solver *solver, cart_method method, double rtol,
                                      const double *atol)
{
  return gsl_odeiv2_driver_alloc_scaled_new(&solver->system, step_type(method), INITIAL_STEP, 1.0,
                                            rtol, 1.0, 0.0, atol);
}

/* The integrator for the current tolerances, with the model's block structure. */
static void setup_rosenbrock(cart_solver *solver)
{
  const cart_model *model = solver->model;
  const size_t n = model->n_states;
  cartp_rosenbrock_init(&solver->rosenbrock, n, solver->rtol, solver->atol);
  if (model->jacobian_pattern != NULL) {
    unsigned char pattern[CART_MAX_STATES * CART_MAX_STATES];
    for (size_t i = 0; i < n; i++) {
      for (size_t j = 0; j < n; j++) {
        pattern[i * n + j] = model->jacobian_pattern[i][j] != '.';
      }
    }
    cartp_rosenbrock_set_blocks(&solver->rosenbrock, pattern);
  }
}

cart_solver *cart_solver_new(const cart_model *model, cart_error *err)
{
  cartp_gsl_init();
  if (model == NULL) {
    cartp_error(err, CART_EINVAL, "cart_solver_new: model is NULL");
    return NULL;
  }
  if (model->n_states + model->n_signals > CART_MAX_STATES || /* the extended vectors */
      model->n_signals > CART_MAX_SIGNALS) {
    cartp_error(err, CART_EINVAL, "model '%s' has more than %d states and signals, or more than "
                "%d signals", model->name, CART_MAX_STATES, CART_MAX_SIGNALS);
    return NULL;
  }
  cart_solver *solver = calloc(1, sizeof *solver);
  if (solver == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_solver_new: out of memory");
    return NULL;
  }
  solver->model = model;
  solver->method = CART_METHOD_DEFAULT;
  solver->rtol = CART_RTOL_DEFAULT;
  for (size_t i = 0; i < model->n_states; i++) {
    solver->atol[i] = model->states[i].abs_tol;
  }
  solver->max_steps = CART_MAX_STEPS_DEFAULT;
  solver->n_ext = CART_N_EXT_DEFAULT;
  solver->system = (gsl_odeiv2_system){system_rhs, system_jacobian, model->n_states, solver};
  solver->rosenbrock_system =
      (cartp_rosenbrock_system){rosenbrock_rhs, rosenbrock_jacobian, solver};
  setup_rosenbrock(solver);
  solver->driver = make_driver(solver, solver->method, solver->rtol, solver->atol);
  solver->restep = calloc(1, sizeof *solver->restep);
  if (solver->restep != NULL) {
    solver->restep->step = gsl_odeiv2_step_alloc(gsl_odeiv2_step_rk8pd, model->n_states);
  }
  if (solver->driver == NULL || solver->restep == NULL || solver->restep->step == NULL) {
    if (solver->driver != NULL) {
      gsl_odeiv2_driver_free(solver->driver);
    }
    if (solver->restep != NULL && solver->restep->step != NULL) {
      gsl_odeiv2_step_free(solver->restep->step);
    }
    free(solver->restep);
    free(solver);
    cartp_error(err, CART_ENOMEM, "cart_solver_new: could not allocate the GSL driver");
    return NULL;
  }
  return solver;
}

void cart_solver_free(cart_solver *solver)
{
  if (solver != NULL) {
    gsl_odeiv2_driver_free(solver->driver);
    gsl_odeiv2_step_free(solver->restep->step);
    free(solver->restep);
    free(solver->events);
    free(solver);
  }
}

/* Replaces the driver; on failure the solver keeps the old one and its settings. */
static int rebuild_driver(cart_solver *solver, cart_method method, double rtol, const double *atol)
{
  gsl_odeiv2_driver *driver = make_driver(solver, method, rtol, atol);
  if (driver == NULL) {
    return cartp_error(&solver->error, CART_ENOMEM, "could not allocate the GSL driver");
  }
  gsl_odeiv2_driver_free(solver->driver);
  solver->driver = driver;
  solver->method = method;
  solver->rtol = rtol;
  memmove(solver->atol, atol, solver->model->n_states * sizeof *atol);
  setup_rosenbrock(solver);
  return CART_OK;
}

int cart_solver_set_method(cart_solver *solver, cart_method method)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  if (method != CART_METHOD_BDF && method != CART_METHOD_RK8PD && method != CART_METHOD_RODAS5P) {
    return cartp_error(&solver->error, CART_EINVAL, "unknown solver method %d", (int)method);
  }
  return rebuild_driver(solver, method, solver->rtol, solver->atol);
}

int cart_solver_set_tolerances(cart_solver *solver, double rtol, const double *atol)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  const cart_model *model = solver->model;
  if (!(rtol > 0 && rtol <= CART_RTOL_MAX)) {
    return cartp_error(&solver->error, CART_EINVAL,
                       "relative tolerance %g must be in (0, %g]", rtol, CART_RTOL_MAX);
  }
  double chosen[CART_MAX_STATES];
  for (size_t i = 0; i < model->n_states; i++) {
    chosen[i] = atol ? atol[i] : model->states[i].abs_tol;
    if (!(chosen[i] > 0 && isfinite(chosen[i]))) {
      return cartp_error(&solver->error, CART_EINVAL,
                         "absolute tolerance %g of state '%s' must be positive and finite",
                         chosen[i], model->states[i].name);
    }
  }
  return rebuild_driver(solver, solver->method, rtol, chosen);
}

int cart_solver_set_max_steps(cart_solver *solver, unsigned long max_steps)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  if (max_steps == 0) {
    return cartp_error(&solver->error, CART_EINVAL, "maximum number of steps must be positive");
  }
  solver->max_steps = max_steps;
  return CART_OK;
}

int cart_solver_set_extinction(cart_solver *solver, double n_ext)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  if (!(n_ext >= 0 && isfinite(n_ext))) {
    return cartp_error(&solver->error, CART_EINVAL,
                       "extinction threshold n_ext %g must be finite and >= 0", n_ext);
  }
  solver->n_ext = n_ext;
  return CART_OK;
}

double cart_solver_extinction(const cart_solver *solver)
{
  return solver ? solver->n_ext : NAN;
}

cart_method cart_solver_method(const cart_solver *solver)
{
  return solver ? solver->method : CART_METHOD_DEFAULT;
}

const char *cart_method_name(cart_method method)
{
  switch (method) {
  case CART_METHOD_BDF:
    return "gsl-bdf";
  case CART_METHOD_RK8PD:
    return "rk8pd";
  case CART_METHOD_RODAS5P:
    return "rodas5p";
  }
  return NULL;
}

int cart_method_from_name(const char *name, cart_method *method)
{
  if (name == NULL || method == NULL) {
    return CART_EINVAL;
  }
  if (strcmp(name, "bdf") == 0 || strcmp(name, "gsl-bdf") == 0 || strcmp(name, "msbdf") == 0) {
    *method = CART_METHOD_BDF;
  } else if (strcmp(name, "rk8pd") == 0) {
    *method = CART_METHOD_RK8PD;
  } else if (strcmp(name, "rodas5p") == 0) {
    *method = CART_METHOD_RODAS5P;
  } else {
    return CART_EINVAL;
  }
  return CART_OK;
}

const cart_error *cart_solver_last_error(const cart_solver *solver)
{
  return solver ? &solver->error : NULL;
}

double cart_solver_time_reached(const cart_solver *solver)
{
  return solver ? solver->time_reached : NAN;
}

void cart_solver_get_stats(const cart_solver *solver, cart_solver_stats *stats)
{
  if (solver != NULL && stats != NULL) {
    *stats = solver->stats;
  }
}

/* ---- the integration ---- */

static int check_times(cart_solver *solver, const double *times, size_t n_times)
{
  for (size_t k = 0; k < n_times; k++) {
    if (!isfinite(times[k]) || times[k] < 0) {
      return cartp_error(&solver->error, CART_ETIMES,
                         "output time %zu is %g: times must be finite and >= 0", k, times[k]);
    }
    if (k > 0 && times[k] < times[k - 1]) {
      return cartp_error(&solver->error, CART_ETIMES,
                         "output times must not decrease: time %zu is %g after %g", k, times[k],
                         times[k - 1]);
    }
  }
  return CART_OK;
}

/* MODEL.md section 6: cell counts, concentrations and amounts cannot be negative; a value below
 * -atol (or NaN, inf) is not an acceptable solution. Returns the first such state, or -1. */
static int first_invalid_state(const cart_solver *solver)
{
  for (size_t i = 0; i < solver->model->n_states; i++) {
    if (!(solver->y[i] >= -solver->atol[i]) || isinf(solver->y[i])) {
      return (int)i;
    }
  }
  return -1;
}

static int invalid_state_error(cart_solver *solver, int i, double t)
{
  const cart_model *model = solver->model;
  const double v = solver->y[i];
  if (!isfinite(v)) {
    return cartp_error(&solver->error, CART_ESOLVER,
                       "model '%s': state '%s' became %g at t = %.9g day", model->name,
                       model->states[i].name, v, t);
  }
  return cartp_error(&solver->error, CART_ENEGATIVE,
                     "model '%s': state '%s' = %g %s at t = %.9g day is below minus its absolute "
                     "tolerance %g, even with the smallest step",
                     model->name, model->states[i].name, v, model->states[i].unit, t,
                     solver->atol[i]);
}

/* The model's outputs of output row k (already written) into row k of outputs, if any. */
static void observe_row(const cart_solver *solver, double t, size_t k, const double *states,
                        double *outputs)
{
  const cart_model *model = solver->model;
  if (outputs != NULL && model->n_outputs > 0) {
    model->observe(t, states + k * model->n_states, solver->eval.p,
                   outputs + k * model->n_outputs);
  }
}

/* Writes `y` (negative noise above -atol reported as 0) and its derived outputs into row k. */
static void record(const cart_solver *solver, double t, const double *y, size_t k, double *states,
                   double *outputs)
{
  const size_t n = solver->model->n_states;
  cartp_output_row(states + k * n, y, n);
  observe_row(solver, t, k, states, outputs);
}

static int step_failure(cart_solver *solver, int gsl_status, double t, double h)
{
  const char *name = solver->model->name;
  switch (gsl_status) {
  case GSL_EBADFUNC:
    return cartp_error(&solver->error, CART_EMODEL,
                       "model '%s': right-hand side or Jacobian failed at t = %.9g day", name, t);
  case GSL_FAILURE:
    return cartp_error(&solver->error, CART_ESTEPSIZE,
                       "model '%s': step size underflow at t = %.9g day (h = %g day): the "
                       "tolerances cannot be met",
                       name, t, h);
  default:
    return cartp_error(&solver->error, CART_ESOLVER, "model '%s': GSL stepper failed at t = %.9g "
                       "day: %s", name, t, gsl_strerror(gsl_status));
  }
}

/* Restarts the integrator after a discontinuity: BDF history and step size start afresh. */
/* The stepper's own rejections since its last reset, into the solver's count. */
static void count_failed_steps(cart_solver *solver)
{
  if (solver->method == CART_METHOD_RODAS5P) {
    solver->stats.failed_steps += solver->rosenbrock.rejected;
    solver->rosenbrock.rejected = 0;
  } else {
    solver->stats.failed_steps += solver->driver->e->failed_steps;
    solver->driver->e->failed_steps = 0;
  }
}

/* Forgets the stepper's past (BDF history, step-size controller) but not the dense output. */
static void reset_stepper(cart_solver *solver)
{
  count_failed_steps(solver);
  if (solver->method == CART_METHOD_RODAS5P) {
    cartp_rosenbrock_reset(&solver->rosenbrock);
  } else {
    gsl_odeiv2_step_reset(solver->driver->s);
    gsl_odeiv2_evolve_reset(solver->driver->e);
  }
}

/* After a start or a discontinuity at t: the stepper afresh, and a first step for the state
 * there (Rodas5P estimates one from the derivative, as Hairer and Wanner's codes do; GSL's
 * drivers start from INITIAL_STEP and find their own). */
static void restart(cart_solver *solver, double t, double *h)
{
  reset_stepper(solver);
  *h = solver->method == CART_METHOD_RODAS5P
           ? cartp_rosenbrock_initial_step(&solver->rosenbrock, &solver->rosenbrock_system, t,
                                           solver->y, INITIAL_STEP)
           : INITIAL_STEP;
  solver->history_count = 0;
}

/* One accepted step towards target with the solver's method: GSL's status codes. */
static int advance(cart_solver *solver, double *t, double target, double *h)
{
  if (solver->method == CART_METHOD_RODAS5P) {
    switch (cartp_rosenbrock_evolve(&solver->rosenbrock, &solver->rosenbrock_system, t, target, h,
                                    solver->y)) {
    case CARTP_ROSENBROCK_OK:
      return GSL_SUCCESS;
    case CARTP_ROSENBROCK_EMODEL:
      return GSL_EBADFUNC;
    default:
      return GSL_FAILURE;
    }
  }
  gsl_odeiv2_driver *driver = solver->driver;
  return gsl_odeiv2_evolve_apply(driver->e, driver->c, driver->s, &solver->system, t, target, h,
                                 solver->y);
}

/* ---- a solve as a resumable machine ----
 *
 * run_begin checks the input and sets the patient up; it and run_after_step then run the solve
 * until it needs the next accepted step from (run.t, solver->y) towards run.target, trying run.h
 * (CARTP_RUN_STEP), or is done (CART_OK) or failed (an error code). The step itself is taken by
 * the caller: `advance` below for one patient, or anything else that leaves the same state,
 * time, proposed size and dense output behind (patients in vector lanes). Events, outputs, the
 * observer and the invalid-state retry all live here, once. */

/* The loop's top: everything due at run.t, the outputs there, then the next target. Returns
 * CARTP_RUN_STEP, CART_OK when every output is written, or an error. */
static int run_continue(cart_solver *solver)
{
  struct cartp_run *run = &solver->run;
  for (;;) {
    const double t = run->t;
    /* Everything due now (timed events, the rule's checks, root-found events): apply it all,
     * then restart the integrator once. */
    int due = 0;
    while (run->next_event < run->n_events && solver->events[run->next_event].time <= t) {
      cartp_events_apply(solver, run->dosing, &solver->events[run->next_event++]);
      due = 1;
    }
    due |= cartp_rule_due(solver, t);
    due |= cartp_roots_apply(solver, t);
    if (due) {
      solver->toci_rate = cartp_toci_rate_at(solver, run->dosing, t);
      restart(solver, t, &run->h);
      cartp_roots_start(solver);
      solver->stats.events++;
      if (run->observer != NULL && run->observer_started) {
        run->observer->segment_start(run->observer->context, solver, t, solver->y);
      }
    }
    /* Outputs due now see the state after the events. */
    while (run->next_output < run->n_times && run->times[run->next_output] <= t) {
      record(solver, t, solver->y, run->next_output++, run->states, run->outputs);
    }
    if (run->next_output == run->n_times) {
      count_failed_steps(solver);
      solver->time_reached = t;
      return CART_OK;
    }
    if (solver->history_count == 0) {
      cartp_dense_push(solver, t);
    }
    if (run->observer != NULL && !run->observer_started) {
      run->observer->segment_start(run->observer->context, solver, t, solver->y);
      run->observer_started = 1;
    }
    /* Rodas5P and BDF step freely up to the next event (or the last output time): output times
     * inside a step are interpolated, only events stop it. rk8pd is a one-step method whose
     * long steps a past-point polynomial cannot follow: it stops at every output time instead. */
    double target = solver->method == CART_METHOD_RK8PD ? run->times[run->next_output]
                                                         : run->times[run->n_times - 1];
    if (run->next_event < run->n_events && solver->events[run->next_event].time < target) {
      target = solver->events[run->next_event].time;
    }
    const double rule_next = cartp_rule_next_time(solver, t);
    run->target = rule_next < target ? rule_next : target;
    if (t < run->target) {
      break;
    }
  }
  return CARTP_RUN_STEP;
}

/* Before a step: the step limit, and the state to go back to. */
static int run_request_step(cart_solver *solver)
{
  struct cartp_run *run = &solver->run;
  if (solver->stats.steps + solver->stats.rejected_invalid >= solver->max_steps) {
    solver->time_reached = run->t;
    return cartp_error(&solver->error, CART_EMAXSTEPS,
                       "model '%s': %lu steps reached at t = %.9g day before t = %g",
                       solver->model->name, solver->max_steps, run->t,
                       run->times[run->n_times - 1]);
  }
  run->t_before = run->t;
  memcpy(run->y_before, solver->y, solver->model->n_states * sizeof *solver->y);
  return CARTP_RUN_STEP;
}

int cartp_run_after_step(cart_solver *solver, int step_status)
{
  struct cartp_run *run = &solver->run;
  const cart_model *model = solver->model;
  const size_t n = model->n_states;
  if (step_status != GSL_SUCCESS) {
    /* GSL may have moved t and y to a rejected step (GSL_FAILURE from the error test): go back
     * to the last good step, as the header promises. */
    run->t = run->t_before;
    memcpy(solver->y, run->y_before, n * sizeof *solver->y);
    solver->time_reached = run->t;
    return step_failure(solver, step_status, run->t, run->h);
  }
  const int invalid = first_invalid_state(solver);
  if (invalid >= 0) {
    /* The error estimate let through a state that cannot be (a decaying population overshot
     * zero by more than atol): reject the step like a failed error test, as CVODE's inequality
     * constraints do, and retry from the step's start with half its length. The stepper
     * restarts (BDF's order 1 and Rodas5P are L-stable: they cannot overshoot a decay). Same
     * method, same tolerances; only when the step cannot shrink further is it an error. */
    const double taken = run->t - run->t_before;
    double y_after[CART_MAX_STATES];
    memcpy(y_after, solver->y, n * sizeof *y_after);
    run->t = run->t_before;
    memcpy(solver->y, run->y_before, n * sizeof *solver->y);
    /* Restart from the step's start with its noise (values in [-atol, 0), MODEL.md 6) set to 0:
     * a noise-negative state can itself drive another below -atol through the exact ODE (D1 < 0
     * pulls D2 down), which no shorter step can undo. The stepper restarts here anyway, so no
     * history is lost. */
    for (size_t i = 0; i < n; i++) {
      if (solver->y[i] < 0.0) {
        solver->y[i] = 0.0;
      }
    }
    solver->stats.rejected_invalid++;
    run->h = 0.5 * taken;
    if (!(run->t + run->h > run->t)) {
      solver->time_reached = run->t;
      memcpy(solver->y, y_after, n * sizeof *y_after);
      return invalid_state_error(solver, invalid, run->t_before + taken);
    }
    reset_stepper(solver);
    return run_request_step(solver);
  }
  solver->stats.steps++;
  cartp_dense_push(solver, run->t);
  /* A root-found event inside the step: go back to it (the dense output gives the state there),
   * finish the step's outputs before it, and let the loop's top apply it. */
  double t_event;
  const int event_found = cartp_roots_search(solver, run->t_before, run->t, &t_event);
  if (event_found && t_event < run->t) {
    cartp_solver_interpolate(solver, t_event, solver->y);
    run->t = t_event;
  }
  if (run->observer != NULL) {
    run->observer->step(run->observer->context, solver, run->t_before, run->t, solver->y);
  }
  /* Outputs strictly inside the step (one at its end is recorded exactly, after any event due
   * there). */
  while (run->next_output < run->n_times && run->times[run->next_output] < run->t) {
    /* interpolated straight into the output row, as record() writes one */
    const double t_out = run->times[run->next_output];
    cartp_solver_interpolate_output(solver, t_out, run->states + run->next_output * n);
    observe_row(solver, t_out, run->next_output, run->states, run->outputs);
    run->next_output++;
  }
  if (event_found || !(run->t < run->target)) {
    const int status = run_continue(solver);
    return status == CARTP_RUN_STEP ? run_request_step(solver) : status;
  }
  return run_request_step(solver);
}

/* Starts the patient at (t0, y0), or at the model's initial state when y0 is NULL (t0 = 0). */
int cartp_run_begin(cart_solver *solver, const cart_params *params, const cart_dosing *dosing,
                    double t0, const double *y0, const double *times, size_t n_times,
                    double *states, double *outputs, const cartp_step_observer *observer)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &solver->error;
  cart_error_clear(err);
  solver->stats = (cart_solver_stats){0, 0, 0, 0};
  solver->restep->samples_for_step = 0; /* and no samples of an earlier solve */
  solver->restep->sample_t0 = solver->restep->sample_t1 = NAN;
  solver->roots_quiet_for_step = 0;
  solver->time_reached = t0;
  solver->n_log = solver->n_log_dropped = 0;
  solver->rule.doses = 0;
  const cart_model *model = solver->model;
  if (params == NULL || times == NULL || states == NULL || n_times == 0) {
    return cartp_error(err, CART_EINVAL,
                       "cart_solver_solve: params, times and states must be given, n_times >= 1");
  }
  if (params->model != model) {
    return cartp_error(err, CART_EINVAL, "parameters are for model '%s', the solver for '%s'",
                       params->model->name, model->name);
  }
  if (!(isfinite(t0) && t0 >= 0)) {
    return cartp_error(err, CART_ETIMES, "start time %g must be finite and >= 0", t0);
  }
  int status = check_times(solver, times, n_times);
  if (status == CART_OK && times[0] < t0) {
    status = cartp_error(err, CART_ETIMES, "output time %g is before the start time %g", times[0],
                         t0);
  }
  if (status == CART_OK) {
    status = cart_params_check(params, err);
  }
  if (status != CART_OK) {
    return status;
  }

  solver->eval.p = params->values;
  solver->eval.derived = solver->derived;
  model->prepare(params->values, solver->derived);
  model->initial(params->values, solver->derived, solver->y, &solver->eval.mode);
  struct cartp_run *run = &solver->run;
  *run = (struct cartp_run){.dosing = dosing, .times = times, .n_times = n_times,
                            .states = states, .outputs = outputs, .observer = observer};
  solver->serial++;
  solver->lane_step.active = 0;
  status = cartp_events_collect(solver, dosing, &run->n_events);
  if (status == CART_OK) {
    status = cartp_roots_setup(solver, dosing);
  }
  if (status != CART_OK) {
    return status;
  }
  if (y0 != NULL) {
    for (size_t i = 0; i < model->n_states; i++) {
      if (!isfinite(y0[i])) {
        return cartp_error(err, CART_ENOTFINITE, "start state '%s' is %g", model->states[i].name,
                           y0[i]);
      }
    }
    /* Events before t0 are history; a model switch among them still sets the phase. */
    for (; run->next_event < run->n_events && solver->events[run->next_event].time < t0;
         run->next_event++) {
      if (solver->events[run->next_event].kind == EVENT_MODEL_SWITCH) {
        cartp_events_apply(solver, dosing, &solver->events[run->next_event]);
      }
    }
    memcpy(solver->y, y0, model->n_states * sizeof *y0);
  }

  run->t = t0;
  solver->toci_rate = cartp_toci_rate_at(solver, dosing, t0);
  restart(solver, t0, &run->h);
  solver->stats.failed_steps = 0;
  cartp_extinction_at_start(solver, t0);
  cartp_roots_start(solver);
  status = run_continue(solver);
  return status == CARTP_RUN_STEP ? run_request_step(solver) : status;
}

int cartp_solver_advance(cart_solver *solver)
{
  return advance(solver, &solver->run.t, solver->run.target, &solver->run.h);
}

/* One patient: the machine driven by the solver's own stepper. */
static int solve(cart_solver *solver, const cart_params *params, const cart_dosing *dosing,
                 double t0, const double *y0, const double *times, size_t n_times, double *states,
                 double *outputs, const cartp_step_observer *observer)
{
  int status = cartp_run_begin(solver, params, dosing, t0, y0, times, n_times, states, outputs,
                               observer);
  while (status == CARTP_RUN_STEP) {
    status = cartp_run_after_step(solver, cartp_solver_advance(solver));
  }
  return status;
}

int cart_solver_solve(cart_solver *solver, const cart_params *params, const cart_dosing *dosing,
                      const double *times, size_t n_times, double *states, double *outputs)
{
  return solve(solver, params, dosing, 0.0, NULL, times, n_times, states, outputs, NULL);
}

int cart_solver_solve_from(cart_solver *solver, const cart_params *params,
                           const cart_dosing *dosing, double t0, const double *y0,
                           const double *times, size_t n_times, double *states, double *outputs)
{
  if (y0 == NULL) {
    return solver ? cartp_error(&solver->error, CART_EINVAL, "cart_solver_solve_from: y0 is NULL")
                  : CART_EINVAL;
  }
  return solve(solver, params, dosing, t0, y0, times, n_times, states, outputs, NULL);
}

int cartp_solver_solve_observed(cart_solver *solver, const cart_params *params,
                                const cart_dosing *dosing, const double *times, size_t n_times,
                                double *states, double *outputs,
                                const cartp_step_observer *observer)
{
  return solve(solver, params, dosing, 0.0, NULL, times, n_times, states, outputs, observer);
}

const double *cartp_solver_param_values(const cart_solver *solver)
{
  return solver->eval.p;
}
