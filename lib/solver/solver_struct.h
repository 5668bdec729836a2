/* solver_struct.h: the inside of a cart_solver, shared by solver.c (the integration) and
 * events.c (timed events, the tocilizumab rule and root-found events). Internal. */
#ifndef CART_SOLVER_STRUCT_H
#define CART_SOLVER_STRUCT_H

#include <stddef.h>

#include <gsl/gsl_odeiv2.h>

#include <cart/cart_solver.h>

#include "../models/params_impl.h"
#include "dosing_impl.h"
#include "rosenbrock.h"
#include "solver_impl.h"

/* The largest state vector of any model. */
#define CART_MAX_STATES 32

/* First step after the start and after every event (day). The controller grows it within a few
 * steps; a fixed small value is safer than the previous step after a discontinuity. */
#define INITIAL_STEP 1e-4

/* Dense output (dense.c): BDF's is the polynomial through the last accepted points (at most
 * HISTORY, degree HISTORY - 1 = 5 like BDF's highest order). Output times then never shorten a
 * step: cutting msbdf's steps at every output time made its error on the default patient 7x
 * larger (Tp at day 12.5: 1.2e-3 with outputs every 0.25 day, 1.8e-4 with one output). */
#define HISTORY 6

typedef enum event_kind {
  EVENT_MODEL_SWITCH, /* the model's own switch (stein's tmax) */
  EVENT_CART_DOSE,    /* CAR-T infusion: adds to E and M */
  EVENT_TOCI_START,   /* tocilizumab infusion begins (or a bolus enters D1) */
  EVENT_TOCI_END      /* tocilizumab infusion ends */
} event_kind;

typedef struct timed_event {
  double time;
  event_kind kind;
  size_t index; /* into the model's switches or the schedule's doses */
} timed_event;

/* Root-found events (MODEL.md 3): g(y) = value - level crossing 0 in one direction. */
typedef enum root_kind {
  ROOT_EXTINCTION, /* a tumour phenotype falls through n_ext: set it to 0 */
  ROOT_TOCI_RULE   /* the CRS signal rises through the rule's trigger: a tocilizumab dose */
} root_kind;

#define CART_MAX_ROOTS 8

typedef struct root_fn {
  root_kind kind;
  int index;     /* in the extended vector [states..., signals...] */
  double level;
  int direction; /* -1: falling through the level, +1: rising through it */
} root_fn;

/* The tocilizumab rule while a patient is solved. */
typedef struct rule_state {
  cart_toci_rule rule;
  int doses;                            /* given so far */
  int series_active;                    /* doses repeat every interval while CRS stays above
                                           (set from the rise on when the first dose waits for
                                           the rule's delay) */
  double next_check;                    /* time of the next check: the delayed first dose or a
                                           repeat */
  double dose_time[CART_TOCI_RULE_MAX_DOSES];
  double dose_amount[CART_TOCI_RULE_MAX_DOSES]; /* mg */
} rule_state;

struct cart_solver {
  const cart_model *model;
  cart_method method;
  double rtol;
  double atol[CART_MAX_STATES];
  unsigned long max_steps;

  /* What each step reads and writes comes first, together, ahead of the large workspaces
   * (Rodas5P's, whose own per-step fields are at its head, the GSL drivers', the event log and
   * the BDF history), so that a patient in SIMD lanes touches about 3.5 kB of its 32 kB solver
   * a step, in one or two pages: the default trial about 3 % faster than with these fields
   * spread over 28 kB (bench/RESULTS.md, the eighth pass). The solve in progress (solver.c's
   * resumable machine): */
  struct cartp_run {
    const cart_dosing *dosing;
    const double *times;
    size_t n_times;
    double *states, *outputs;
    const cartp_step_observer *observer;
    int observer_started;
    size_t n_events, next_event, next_output;
    double t, h, target;       /* now, the next step's proposed size, where steps stop */
    double t_before;           /* the last step's start, and its state: */
    double y_before[CART_MAX_STATES];
  } run;
  unsigned long serial; /* patients begun by this solver: tells SIMD lanes a new one came */
  /* The step under way in SIMD lanes (batch.c's rounds): the size being tried, the size the
   * step was asked with, whether it lands on the target. */
  struct cartp_lane_step {
    int active, last;
    double h_try, h_called;
  } lane_step;

  double time_reached;
  cart_solver_stats stats;
  size_t history_count; /* dense output points stored since the restart */
  /* The step's samples and rk8pd's dense output, reached through a pointer so that they can
   * serve a const solver. */
  struct dense_restep {
    /* The state at the 3 Gauss-Legendre nodes of the step [t0, t1] and at its end, shared by
     * the root search and the endpoints (cartp_solver_step_samples). */
    double sample_t0, sample_t1;
    /* set by SIMD lanes that made the samples of the step they took: the step count the solver
     * will have once it has taken it (cartp_dense_push keeps them for that step only) */
    unsigned long samples_for_step;
    double sample_t[CARTP_STEP_SAMPLES];
    /* where the samples are read (cartp_samples): sample_y, or the SIMD lanes' workspace that
     * made them, valid while that lane's step is taken (batch.c forgets it after) */
    const double *sample_x;
    size_t sample_row, sample_elem;
    double sample_y[CARTP_STEP_SAMPLES + 1][CART_MAX_STATES]; /* and the step's end */
    /* rk8pd's dense output: one rk8pd step from the start of the last step to the time wanted
     * (a shorter step than the accepted one, so at least as accurate) */
    gsl_odeiv2_step *step;
    double y[CART_MAX_STATES], yerr[CART_MAX_STATES];
  } *restep;

  /* The patient being solved. */
  cart_model_eval eval;
  double derived[CART_MAX_DERIVED];
  double toci_rate; /* mg/day into the model's tocilizumab state, sum of running infusions */
  double y[CART_MAX_STATES];

  /* Root-found events and the rule (events.c). */
  double n_ext;
  root_fn roots[CART_MAX_ROOTS];
  size_t n_roots;
  double root_prev[CART_MAX_ROOTS];  /* g at the last accepted point */
  /* set by SIMD lanes whose screen of a step found no root function near a crossing there: the
   * step count the solver will have once it has taken it (cartp_roots_search then only moves
   * root_prev on) */
  unsigned long roots_quiet_for_step;
  int root_pending[CART_MAX_ROOTS];  /* fired at the current event time */
  rule_state rule;

  gsl_odeiv2_system system;
  gsl_odeiv2_driver *driver; /* owns step, control and evolve (the GSL methods) */
  cartp_rosenbrock_system rosenbrock_system;
  cartp_rosenbrock rosenbrock; /* the integrator and dense output of CART_METHOD_RODAS5P */

  timed_event *events;
  size_t events_capacity;
  cart_event_record log[CART_EVENT_LOG_MAX];
  size_t n_log, n_log_dropped;

  /* Accepted points since the last restart, newest last (ring of HISTORY). */
  double history_t[HISTORY];
  double history_y[HISTORY][CART_MAX_STATES];
  /* Barycentric weights 1 / prod_{m != j} (t_j - t_m) of the stored points, remade at every
   * push, so that each interpolation costs one division per point (Berrut and Trefethen 2004). */
  double history_w[HISTORY];

  cart_error error;
};



/* dense.c: stores the accepted point (t, solver->y) */
void cartp_dense_push(cart_solver *solver, double t);

/* events.c */
int cartp_events_collect(cart_solver *solver, const cart_dosing *dosing, size_t *n_events);
void cartp_events_apply(cart_solver *solver, const cart_dosing *dosing, const timed_event *event);
double cartp_toci_rate_at(const cart_solver *solver, const cart_dosing *dosing, double t);
int cartp_roots_setup(cart_solver *solver, const cart_dosing *dosing);
void cartp_roots_start(cart_solver *solver);
int cartp_roots_search(cart_solver *solver, double t0, double t1, double *t_event);
int cartp_roots_apply(cart_solver *solver, double t);
void cartp_extinction_at_start(cart_solver *solver, double t);
double cartp_rule_next_time(const cart_solver *solver, double t);
int cartp_rule_due(cart_solver *solver, double t);


#endif
