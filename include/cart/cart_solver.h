/* cart_solver.h: solving one patient (a stiff integrator with exact events).
 *
 * A solver is made once for a model and reused for any number of patients: it owns the stepper,
 * step-size control and evolution workspaces and an event buffer, and a solve allocates nothing
 * unless a schedule has more events than any before it (the FFTW plan/execute split).
 *
 * Methods: CART_METHOD_RODAS5P (the default: libcart's own Rodas5P, Steinebach 2023, an 8-stage
 * order-5 Rosenbrock method, L-stable and stiffly accurate, with the model's analytic Jacobian,
 * an LU per step factorised block by block in the order the model's declared Jacobian structure
 * allows, and an order-4 dense output; no GSL and no allocation in its path), CART_METHOD_BDF
 * (GSL msbdf, variable-order BDF with the analytic Jacobian; "gsl-bdf", an independent
 * cross-check) and CART_METHOD_RK8PD (GSL's explicit Runge-Kutta Prince-Dormand 8(9)).
 * Error control per state i: |local error_i| <= atol_i + rtol |y_i| (the max norm of GSL's
 * scaled control; Rodas5P takes max(|y_i|) over the step's ends), with rtol 1e-6 and the model's
 * atol (1 cell, 1e-3 pg/mL, 1e-6 mg) by default (MODEL.md section 6).
 *
 * Events: the integration stops exactly at every dose time, infusion start and end, and model
 * switch (stein's tmax), applies it and restarts the stepper there. An output time equal to an
 * event time reports the state after the event.
 *
 * Output times: Rodas5P and BDF step over them and report their dense output (Rodas5P: its
 * order-4 interpolant of the step; BDF: the polynomial through its last accepted points, at most
 * 6, degree <= 5, BDF's own interpolant), so asking for more outputs does not change the
 * solution; rk8pd stops at each output time.
 *
 * Negative values (MODEL.md section 6): a step that ends with a state below -atol (or not finite)
 * is rejected like a failed error test and retried from its start with half the length (the
 * stepper restarts), as CVODE's inequality constraints do; if the step cannot shrink further the
 * solve fails with CART_ENEGATIVE (CART_ESOLVER for NaN/inf). A negative value above -atol is
 * solver noise and is reported as 0. Accepted steps plus steps rejected for such states count
 * against the step limit (the stepper's own error-test rejections do not).
 *
 * Failures: a failed solve returns its code (CART_EMAXSTEPS, CART_ESTEPSIZE, CART_EMODEL,
 * CART_ENEGATIVE, CART_ESOLVER), records the message and the time reached
 * (cart_solver_time_reached), and leaves the outputs it had not reached untouched. It is never
 * retried with another method or looser tolerances.
 *
 * GSL's error handler: GSL reports some failures through a process-wide handler whose default
 * prints and calls abort(). The first cart_solver_new() in a process (pthread_once) switches it
 * off with gsl_set_error_handler_off(), and libcart checks the return code of every GSL call that
 * can fail instead (msbdf can reach the handler through a singular Newton matrix). The
 * solver's own failure paths (step limit, negative state, step size) never go through GSL's
 * handler, so they return codes even if the program installs GSL's default handler again later.
 *
 * Thread safety: one solver per thread. Different solvers may run in different threads at once,
 * sharing read-only cart_params and cart_dosing objects.
 */
#ifndef CART_SOLVER_H
#define CART_SOLVER_H

#include <stddef.h>

#include <cart/cart_dosing.h>
#include <cart/cart_errno.h>
#include <cart/cart_model.h>
#include <cart/cart_params.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_solver cart_solver;

typedef enum cart_method {
  CART_METHOD_BDF = 0,    /* gsl_odeiv2_step_msbdf with analytic Jacobian */
  CART_METHOD_RK8PD = 1,  /* gsl_odeiv2_step_rk8pd */
  CART_METHOD_RODAS5P = 2 /* libcart's Rodas5P with analytic Jacobian and block LU */
} cart_method;

/* The method a new solver, trial or scenario uses unless told otherwise. */
#define CART_METHOD_DEFAULT CART_METHOD_RODAS5P

#define CART_RTOL_DEFAULT 1e-6
#define CART_RTOL_MAX 0.1 /* the largest relative tolerance taken: rtol is in (0, 0.1] */
#define CART_N_EXT_DEFAULT 1.0 /* cells: MODEL.md 3 extinction threshold */
#define CART_EVENT_LOG_MAX 64  /* root-found events kept per solve */

/* What happened at a root-found event of the last solve. */
typedef enum cart_event_kind {
  CART_EVENT_EXTINCTION = 0, /* a tumour phenotype fell through n_ext and was set to 0 */
  CART_EVENT_TOCI_RULE = 1   /* a tocilizumab dose given by the rule */
} cart_event_kind;

typedef struct cart_event_record {
  double time;          /* day */
  cart_event_kind kind;
  int state;            /* the phenotype set to 0 (extinction), else -1 */
  double amount_mg;     /* the dose (rule), else 0 */
} cart_event_record;
#define CART_MAX_STEPS_DEFAULT 100000UL

/* Counters of the last solve. */
typedef struct cart_solver_stats {
  unsigned long steps;        /* accepted steps */
  unsigned long failed_steps; /* rejected trial steps */
  unsigned long events;       /* event times at which the integration was restarted */
  unsigned long rejected_invalid; /* steps rejected for a state below -atol (or not finite) */
} cart_solver_stats;

/* A new solver for `model` with the default method, tolerances and step limit, or NULL
 * (CART_EINVAL or CART_ENOMEM in *err, which may be NULL). Borrows `model` (static). */
cart_solver *cart_solver_new(const cart_model *model, cart_error *err);
void cart_solver_free(cart_solver *solver);

/* Options. Each returns CART_OK, CART_EINVAL (with a message) or, for method and tolerances, which
 * rebuild the GSL workspaces, CART_ENOMEM; on error the solver is as it was. atol may be NULL
 * for the model's defaults, else n_states values > 0; 0 < rtol <= CART_RTOL_MAX (0.1: a larger
 * one controls no error worth the name). */
int cart_solver_set_method(cart_solver *solver, cart_method method);
int cart_solver_set_tolerances(cart_solver *solver, double rtol, const double *atol);
int cart_solver_set_max_steps(cart_solver *solver, unsigned long max_steps);
/* Extinction (MODEL.md 3): a tumour phenotype that falls through n_ext cells is set to exactly 0
 * (a root-found event), and one that starts below n_ext starts at 0. Default CART_N_EXT_DEFAULT
 * (1 cell); 0 turns it off. CART_EINVAL for a negative or non-finite value. */
int cart_solver_set_extinction(cart_solver *solver, double n_ext);
double cart_solver_extinction(const cart_solver *solver);

cart_method cart_solver_method(const cart_solver *solver);
/* "rodas5p", "gsl-bdf", "rk8pd"; NULL if unknown */
const char *cart_method_name(cart_method method);
/* Parses "rodas5p", "gsl-bdf" (or "bdf", "msbdf") or "rk8pd": CART_OK or CART_EINVAL. */
int cart_method_from_name(const char *name, cart_method *method);

/* Solves one patient from t = 0 to times[n_times - 1].
 *   params  parameters of the solver's model (checked with cart_params_check first)
 *   dosing  extra doses, or NULL for none (the t = 0 infusion is the parameter `dose`)
 *   times   n_times >= 1 output times, finite, >= 0, non-decreasing
 *   states  n_times * n_states values, row t: states[k * n_states + i] is state i at times[k]
 *   outputs n_times * n_outputs derived outputs (Cblood for cart), or NULL
 * Returns CART_OK or an error code; see the header comment for failures. */
int cart_solver_solve(cart_solver *solver, const cart_params *params, const cart_dosing *dosing,
                      const double *times, size_t n_times, double *states, double *outputs);

/* As cart_solver_solve, but starting from the state y0 (n_states values) at time t0 >= 0 instead of
 * the model's initial state at 0: the continuation of a solve that stopped at t0. Events before t0
 * are skipped, except that a model switch before t0 sets the model's phase (stein after tmax);
 * events at t0 are applied to y0. Output times must be >= t0. */
int cart_solver_solve_from(cart_solver *solver, const cart_params *params,
                           const cart_dosing *dosing, double t0, const double *y0,
                           const double *times, size_t n_times, double *states, double *outputs);

/* The state at infusion after a vein-to-vein time of wait_days (doc/models.md 5.1): the model's
 * initial state (the CAR-T dose, lymphodepleted B cells, baseline IL-6, no tocilizumab), its
 * tumour phenotypes taken from a solve of the model's own equations without CAR-T (dose 0, no
 * doses) over wait_days from the initial state, that is from the burden at enrolment; wait_days 0
 * gives the initial state itself. y: n_states values. The solve uses the solver's settings;
 * cart_solver_solve_from(solver, params, dosing, 0, y, ...) then continues from the infusion.
 * Returns CART_OK or the wait's solve's code (message in cart_solver_last_error); CART_EINVAL for
 * NULL arguments, a wait that is not finite and >= 0, or a model without tumour phenotypes or
 * dose parameter. */
int cart_solver_infusion_state(cart_solver *solver, const cart_params *params, double wait_days,
                               double *y);

const cart_error *cart_solver_last_error(const cart_solver *solver);
/* Time (day) reached by the last solve: the final time on success, the last good time on error. */
double cart_solver_time_reached(const cart_solver *solver);
void cart_solver_get_stats(const cart_solver *solver, cart_solver_stats *stats);

/* Root-found events of the last solve, in time order: extinctions and rule doses (at most
 * CART_EVENT_LOG_MAX are kept; later ones still happen). CART_EINVAL when i is out of range. */
size_t cart_solver_n_events(const cart_solver *solver);
int cart_solver_get_event(const cart_solver *solver, size_t i, cart_event_record *record);

#ifdef __cplusplus
}
#endif

#endif /* CART_SOLVER_H */
