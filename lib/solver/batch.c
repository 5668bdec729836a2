/* batch.c: patients in SIMD lanes (batch.h), with run-time dispatch.
 *
 * The lane code (rosenbrock_lanes.h: the Rodas5P attempt; lanes_round.h: one round of the
 * patients in flight) is compiled three times in this file, for 8 lanes under GCC's target("avx512f"), for 4
 * under target("avx2") and for 2 with the baseline instruction set, and
 * cartp_batch_lanes_best asks the processor (__builtin_cpu_supports) which of them it runs, so
 * the library runs on any x86-64. None of the targets has FMA and libcart is built with -std=c11
 * (GCC then keeps a * b + c as two roundings), so no width rounds differently from the scalar
 * path.
 *
 * Events: each lane's patient is a cart_solver inside solver.c's resumable machine
 * (cartp_run_begin / cartp_run_after_step), so doses, infusions, extinction and the tocilizumab
 * rule are handled per lane by the scalar code that handles them for one patient; only the
 * Rodas5P attempt is shared (cartp_lanes_round), and each lane's step is sized and judged by
 * the scalar controller (cartp_rosenbrock_size, cartp_rosenbrock_judge). cartp_lanes_run keeps
 * the lanes full; the trial layer and cartp_solver_solve_batch both feed it. */
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
#include "solver_impl.h"
#include "solver_struct.h"

/* The largest model the lanes take (states); keeps a lane workspace at about 50 KiB. */
#define CARTP_LANES_MAX 16

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx512f")
#endif
#define CARTP_LANE_W 8
#include "../util/lanes.h"
#include "rosenbrock_lanes.h"
#include "lanes_round.h"
#pragma GCC pop_options

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx2")
#endif
#undef CARTP_LANE_W
#define CARTP_LANE_W 4
#include "../util/lanes.h"
#include "rosenbrock_lanes.h"
#include "lanes_round.h"
#pragma GCC pop_options

#undef CARTP_LANE_W
#define CARTP_LANE_W 2
#include "../util/lanes.h"
#include "rosenbrock_lanes.h"
#include "lanes_round.h"

/* ---- patients in flight with their events (batch.h: cartp_lanes_round) ---- */

struct cartp_lanes_work {
  int width;
  const cart_solver *loaded[CARTP_LANES_MAX_RUN]; /* the patient whose parameters each lane
                                                      holds */
  unsigned long serial[CARTP_LANES_MAX_RUN];
  union { /* one workspace per group of `width` lanes */
    lanes_work8 w8[CARTP_LANES_MAX_RUN / 8];
    lanes_work4 w4[CARTP_LANES_MAX_RUN / 4];
    lanes_work2 w2[CARTP_LANES_MAX_RUN / 2];
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

void cartp_lanes_round(cartp_lanes_work *w, size_t first, int pair, cart_solver *const *solvers,
                       int *results)
{
  const size_t g = first / (size_t)w->width;
  const cart_solver **loaded = w->loaded + first;
  unsigned long *serial = w->serial + first;
#define CARTP_ROUND(W)                                                                            \
  if (pair) {                                                                                     \
    round_pair##W(w->u.w##W + g, loaded, serial, solvers, results);                               \
  } else {                                                                                        \
    round##W(w->u.w##W + g, loaded, serial, solvers, results);                                    \
  }
  switch (w->width) {
  case 8:
    CARTP_ROUND(8)
    break;
  case 4:
    CARTP_ROUND(4)
    break;
  default:
    CARTP_ROUND(2)
    break;
  }
#undef CARTP_ROUND
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

/* ---- the lanes kept full ---- */

void cartp_lanes_run(cartp_lanes_work *work, cart_solver *const *solvers, size_t n_lanes,
                     const cartp_lanes_feed *feed)
{
  int busy[CARTP_LANES_MAX_RUN] = {0};
  int exhausted = 0;
  const size_t width = work != NULL ? (size_t)work->width : 1;
  for (;;) {
    size_t active = 0;
    for (size_t l = 0; l < n_lanes; l++) {
      while (!busy[l] && !exhausted) {
        const int status = feed->next(feed->context, l);
        if (status == CARTP_LANES_NONE) {
          exhausted = 1;
        } else if (status == CARTP_RUN_STEP) {
          busy[l] = 1;
        } else {
          feed->done(feed->context, l, status);
        }
      }
      active += (size_t)busy[l];
    }
    if (active == 0) {
      return;
    }
    for (size_t group = 0; group < n_lanes;) {
      /* two groups of lanes at once where there are two (cartp_lanes_round_pair) */
      const size_t span = work != NULL && group + width < n_lanes ? 2 * width : width;
      cart_solver *in_round[CARTP_LANES_MAX_RUN] = {NULL};
      int results[CARTP_LANES_MAX_RUN];
      for (size_t i = 0; i < span && group + i < n_lanes; i++) {
        in_round[i] = busy[group + i] ? solvers[group + i] : NULL;
      }
      if (work == NULL) {
        results[0] = in_round[0] != NULL ? cartp_solver_advance(in_round[0]) : CARTP_LANE_IDLE;
      } else {
        cartp_lanes_round(work, group, span > width, in_round, results);
      }
      for (size_t i = 0; i < span && group + i < n_lanes; i++) {
        if (results[i] == CARTP_LANE_PENDING || results[i] == CARTP_LANE_IDLE) {
          continue;
        }
        const size_t l = group + i;
        const int status = cartp_run_after_step(solvers[l], results[i]);
        cartp_solver_forget_lane_samples(solvers[l]);
        if (status != CARTP_RUN_STEP) {
          feed->done(feed->context, l, status);
          busy[l] = 0;
        }
      }
      group += span;
    }
  }
}

/* ---- many patients of one model without a trial ---- */

typedef struct batch_feed {
  const cart_solver *settings;
  cart_solver *solvers[CARTP_LANES_MAX_RUN];
  cart_params *params[CARTP_LANES_MAX_RUN];
  size_t patient[CARTP_LANES_MAX_RUN];
  const double *values;
  size_t n_patients, next_patient;
  const double *times;
  size_t n_times;
  double *states;
  cartp_batch_result *results;
} batch_feed;

static int batch_next(void *context, size_t lane)
{
  batch_feed *f = context;
  if (f->next_patient == f->n_patients) {
    return CARTP_LANES_NONE;
  }
  const size_t i = f->next_patient++;
  const cart_model *model = f->settings->model;
  f->patient[lane] = i;
  memcpy(f->params[lane]->values, f->values + i * model->n_params,
         model->n_params * sizeof(double));
  return cartp_run_begin(f->solvers[lane], f->params[lane], NULL, 0.0, NULL, f->times,
                         f->n_times, f->states + i * f->n_times * model->n_states, NULL, NULL);
}

static void batch_done(void *context, size_t lane, int status)
{
  batch_feed *f = context;
  const cart_solver *solver = f->solvers[lane];
  const size_t i = f->patient[lane], n = solver->model->n_states;
  if (status != CART_OK) { /* the outputs not reached: NaN */
    double *rows = f->states + i * f->n_times * n;
    for (size_t k = solver->run.next_output * n; k < f->n_times * n; k++) {
      rows[k] = NAN;
    }
  }
  f->results[i] = (cartp_batch_result){status, solver->time_reached, solver->stats};
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
  if (solver->method != CART_METHOD_RODAS5P) {
    return cartp_error(err, CART_EINVAL, "batch solve: only method rodas5p runs in lanes");
  }
  const int best = cartp_batch_lanes_best();
  if (lanes == 0) {
    lanes = best;
  }
  if (!(lanes == 2 || (lanes == 4 && best >= 4) || (lanes == 8 && best >= 8))) {
    return cartp_error(err, CART_EINVAL, "batch solve: this processor cannot run %d lanes (best %d)",
                       lanes, best);
  }
  batch_feed f = {.settings = solver, .values = params, .n_patients = n_patients,
                  .times = times, .n_times = n_times, .states = states, .results = results};
  cartp_lanes_work *work = cartp_lanes_work_new(lanes);
  int status = work != NULL ? CART_OK : CART_ENOMEM;
  const int in_flight = 2 * lanes; /* two groups: cartp_lanes_round's pairs */
  for (int l = 0; l < in_flight && status == CART_OK; l++) {
    f.solvers[l] = cart_solver_new(model, NULL);
    f.params[l] = cart_params_new(model, NULL);
    if (f.solvers[l] == NULL || f.params[l] == NULL) {
      status = CART_ENOMEM;
    } else if ((status = cart_solver_set_tolerances(f.solvers[l], solver->rtol, solver->atol)) !=
                   CART_OK || /* the settings are the solver's own: only memory can fail */
               (status = cart_solver_set_max_steps(f.solvers[l], solver->max_steps)) != CART_OK ||
               (status = cart_solver_set_extinction(f.solvers[l], solver->n_ext)) != CART_OK) {
      cartp_error_copy(err, cart_solver_last_error(f.solvers[l]));
    }
  }
  if (status == CART_OK) {
    const cartp_lanes_feed feed = {batch_next, batch_done, &f};
    cartp_lanes_run(work, f.solvers, (size_t)in_flight, &feed);
  } else if (err->code == CART_OK) {
    cartp_error(err, CART_ENOMEM, "batch solve: out of memory for %d lanes", lanes);
  }
  for (int l = 0; l < in_flight; l++) {
    cart_solver_free(f.solvers[l]);
    cart_params_free(f.params[l]);
  }
  cartp_lanes_work_free(work);
  return status;
}
