/* batch.c: the batch solve over SIMD lanes (batch.h), with run-time dispatch.
 *
 * The lane code (rosenbrock_lanes.h: the Rodas5P attempt; batch_lanes.h: the solve loop per
 * lane) is compiled three times in this file, for 8 lanes under GCC's target("avx512f"), for 4
 * under target("avx2") and for 2 with the baseline instruction set, and
 * cartp_batch_lanes_best asks the processor (__builtin_cpu_supports) which of them it runs, so
 * the library runs on any x86-64. None of the targets has FMA and libcart is built with -std=c11
 * (GCC then keeps a * b + c as two roundings), so no width rounds differently from the scalar
 * path.
 *
 * Events inside lanes (not done yet). solver.c's solve() is a two-level loop; in a lane it
 * becomes these states, each lane in its own (per lane: next_event, toci_rate, n_roots,
 * root_prev[], root_pending[], rule_state, the event log):
 *   EVENTS  (solver.c's outer loop head, at the lane's t): apply every timed event with
 *           time <= t (cartp_events_apply: a CAR-T dose adds to E and M, a bolus to D1), then
 *           cartp_rule_due and cartp_roots_apply (extinction sets the state to exactly 0, the
 *           rule's rise starts a series); if any applied: the lane's toci_rate afresh
 *           (cartp_toci_rate_at), a restart (controller reset, h = INITIAL_STEP), root_prev
 *           from the new state (cartp_roots_start), stats.events++. Then the outputs with
 *           time <= t from the state after the events; done when none is left. The lane's
 *           target: min(last output, next timed event, cartp_rule_next_time).
 *   STEP    the evolve state machine of batch_lanes.h towards the lane's own target; the lane
 *           rhs needs the infusion rate added to f[toci_state] (a lane vector: 0 where none
 *           runs), and the zero-group cut must not cut D1/D2 where it is nonzero.
 *   ACCEPT  the invalid-state rule as now; then cartp_roots_search on the lane's dense output
 *           over [t_before, t] (a sign change at the step's end, or one hidden inside found
 *           by golden-section search for the extreme, then bisection on the interpolant to
 *           ROOT_TOL, as events.c does): if a root lies inside, t and y move back to it (dense output) and its
 *           root_pending flag is set; the outputs strictly before the new t by dense output;
 *           then EVENTS when a root was found or t reached the target, else STEP again.
 * The scalar helpers of events.c read a cart_solver (y, eval.p, the rule); they would take a
 * small per-patient struct instead, filled from the lane, so that scalar and lanes share them
 * (the searches are per lane and rare: scalar code over lanes is fine there). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <cart/cart_errno.h>

#include "../models/model_impl.h"
#include "../models/params_impl.h"
#include "../util/error.h"
#include "batch.h"
#include "rosenbrock_tableau.h"
#include "solver_struct.h"

/* The largest model the lanes take (states); keeps a lane workspace at about 50 KiB. */
#define CARTP_LANES_MAX 16

typedef struct batch_job {
  const cart_solver *solver;
  const double *params;
  size_t n_patients, next_patient;
  const double *times;
  size_t n_times;
  double *states;
  cartp_batch_result *results;
} batch_job;

/* What solver.c and cartp_rosenbrock keep for one patient, for the patient in one lane. */
typedef struct batch_lane {
  long patient; /* -1: idle */
  double t, h;  /* solver.c's t and h */
  /* the evolve call under way: its start, the size tried, the size it was called with */
  int in_evolve, last;
  double t_before, h_try, h_entry;
  /* cartp_rosenbrock's controller memory */
  double h_accepted, err_accepted;
  int have_accepted, last_rejected;
  unsigned long rejected;
  size_t next_output;
  cart_solver_stats stats;
} batch_lane;

static double batch_clamp(double x, double lo, double hi)
{
  return x < lo ? lo : (x > hi ? hi : x);
}

/* solver.c's reset_stepper: the rejections so far counted, the controller forgotten. */
static void batch_reset_controller(batch_lane *lane)
{
  lane->stats.failed_steps += lane->rejected;
  lane->rejected = 0;
  lane->h_accepted = lane->err_accepted = 0.0;
  lane->have_accepted = lane->last_rejected = 0;
}

/* solver.c's record: the next output row, negative noise as 0. */
static void batch_record(const batch_job *job, batch_lane *lane, const double *y)
{
  const size_t n = job->solver->model->n_states;
  double *row = job->states + ((size_t)lane->patient * job->n_times + lane->next_output++) * n;
  for (size_t i = 0; i < n; i++) {
    row[i] = y[i] < 0.0 ? 0.0 : y[i];
  }
}

/* The patient in the lane is done: its outcome (on success the last rejections counted, as
 * solver.c's count_failed_steps; after a failure the outputs not reached are NaN). */
static void batch_finish(const batch_job *job, batch_lane *lane, int status)
{
  if (status == CART_OK) {
    lane->stats.failed_steps += lane->rejected;
    lane->rejected = 0;
  } else {
    const size_t n = job->solver->model->n_states;
    double *rows = job->states + (size_t)lane->patient * job->n_times * n;
    for (size_t k = lane->next_output * n; k < job->n_times * n; k++) {
      rows[k] = NAN;
    }
  }
  job->results[lane->patient] = (cartp_batch_result){status, lane->t, lane->stats};
  lane->patient = -1;
}

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx512f")
#endif
#define CARTP_LANE_W 8
#include "../util/lanes.h"
#include "rosenbrock_lanes.h"
#include "batch_lanes.h"
#pragma GCC pop_options

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx2")
#endif
#undef CARTP_LANE_W
#define CARTP_LANE_W 4
#include "../util/lanes.h"
#include "rosenbrock_lanes.h"
#include "batch_lanes.h"
#pragma GCC pop_options

#undef CARTP_LANE_W
#define CARTP_LANE_W 2
#include "../util/lanes.h"
#include "rosenbrock_lanes.h"
#include "batch_lanes.h"

/* ---- patients in flight with their events (batch.h: cartp_lanes_round) ---- */

struct cartp_lanes_work {
  int width;
  const cart_solver *loaded[8]; /* the patient whose parameters each lane holds */
  unsigned long serial[8];
  union {
    lanes_work8 w8;
    lanes_work4 w4;
    lanes_work2 w2;
  } u;
};

cartp_lanes_work *cartp_lanes_work_new(int width)
{
  if (width == 0) {
    width = cartp_batch_lanes_best();
  }
  const int best = cartp_batch_lanes_best();
  if (!(width == 2 || (width == 4 && best >= 4) || (width == 8 && best >= 8))) {
    return NULL;
  }
  /* 64-byte vectors want 64-byte alignment; the size rounded up as aligned_alloc asks */
  const size_t size = (sizeof(cartp_lanes_work) + 63) / 64 * 64;
  cartp_lanes_work *w = aligned_alloc(64, size);
  if (w != NULL) {
    memset(w, 0, sizeof *w);
    w->width = width;
  }
  return w;
}

void cartp_lanes_work_free(cartp_lanes_work *w)
{
  free(w);
}

int cartp_lanes_width(const cartp_lanes_work *w)
{
  return w->width;
}

void cartp_lanes_round(cartp_lanes_work *w, cart_solver *const *solvers, int *results)
{
  switch (w->width) {
  case 8:
    round8(&w->u.w8, w->loaded, w->serial, solvers, results);
    break;
  case 4:
    round4(&w->u.w4, w->loaded, w->serial, solvers, results);
    break;
  default:
    round2(&w->u.w2, w->loaded, w->serial, solvers, results);
    break;
  }
}

int cartp_batch_lanes_best(void)
{
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    return 8;
  }
  if (__builtin_cpu_supports("avx2")) {
    return 4;
  }
#endif
  return 2;
}

const char *cartp_batch_lanes_isa(int lanes)
{
#if defined(__x86_64__)
  return lanes == 8 ? "avx512f" : lanes == 4 ? "avx2" : lanes == 2 ? "sse2" : "none";
#else
  return lanes == 2 ? "generic" : "none";
#endif
}

int cartp_solver_solve_batch(cart_solver *solver, const double *params, size_t n_patients,
                             const double *times, size_t n_times, double *states,
                             cartp_batch_result *results, int lanes)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &solver->error;
  cart_error_clear(err);
  const cart_model *model = solver->model;
  if ((params == NULL && n_patients > 0) || times == NULL || n_times == 0 ||
      (states == NULL && n_patients > 0) || (results == NULL && n_patients > 0)) {
    return cartp_error(err, CART_EINVAL,
                       "batch solve: params, times, states and results must be given");
  }
  if (model->lanes == NULL || model->n_states > CARTP_LANES_MAX) {
    return cartp_error(err, CART_EINVAL, "model '%s' has no lanes: solve it patient by patient",
                       model->name);
  }
  if (solver->method != CART_METHOD_RODAS5P || solver->n_ext > 0) {
    return cartp_error(err, CART_EINVAL,
                       "batch solve: only method rodas5p without extinction events");
  }
  for (size_t k = 0; k < n_times; k++) {
    if (!isfinite(times[k]) || times[k] < 0 || (k > 0 && times[k] < times[k - 1])) {
      return cartp_error(err, CART_ETIMES,
                         "output time %zu is %g: times must be finite, >= 0 and not decrease",
                         k, times[k]);
    }
  }
  const int best = cartp_batch_lanes_best();
  if (lanes == 0) {
    lanes = best;
  }
  if (!(lanes == 2 || (lanes == 4 && best >= 4) || (lanes == 8 && best >= 8))) {
    return cartp_error(err, CART_EINVAL, "batch solve: this processor cannot run %d lanes (best %d)",
                       lanes, best);
  }
  batch_job job = {solver, params, n_patients, 0, times, n_times, states, results};
  switch (lanes) {
  case 8:
    batch_run8(&job);
    break;
  case 4:
    batch_run4(&job);
    break;
  default:
    batch_run2(&job);
    break;
  }
  return CART_OK;
}
