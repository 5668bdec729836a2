/* batch.h: patients solved together, one patient per SIMD lane (internal).
 *
 * Every patient's outputs, step counts, events and failure are bit for bit those of
 * cart_solver_solve with method rodas5p on the same settings, whichever width runs: each lane
 * does the scalar path's operations (lib/util/lanes.h), and everything but the Rodas5P attempt
 * (events, outputs, the step-size controller) is the scalar code itself (batch.c). */
#ifndef CART_SOLVER_BATCH_H
#define CART_SOLVER_BATCH_H

#include <stddef.h>

#include <cart/cart_solver.h>

/* One patient's outcome: CART_OK or what cart_solver_solve would have returned
 * (CART_EMAXSTEPS, CART_ESTEPSIZE, CART_ENEGATIVE, CART_ESOLVER), the time reached, and the
 * solve's counters. */
typedef struct cartp_batch_result {
  int status;
  double time_reached;
  cart_solver_stats stats;
} cartp_batch_result;

/* The widest lanes this processor runs: 8 (AVX-512F), 4 (AVX2) or 2 (SSE2, any x86-64; other
 * processors get 2 lanes of generic code). */
int cartp_batch_lanes_best(void);

/* The instruction set a width runs on ("avx512f", "avx2", "sse2"). */
const char *cartp_batch_lanes_isa(int lanes);

/* Solves n_patients of the solver's model (which must have lanes, cart_model's `lanes`) with the
 * solver's tolerances, step limit and extinction threshold and no dosing (the t = 0 infusion
 * only: the baselines' work, ../shared/anchors/BASELINES.md): params holds each patient's
 * parameter values in table order (n_params per patient, valid: checked by the caller, as
 * cart_params_check does), states receives each patient's n_times x n_states outputs one
 * patient after another (negative noise reported as 0, as cart_solver_solve; NaN past a
 * failure), results each patient's outcome (bad output times: CART_ETIMES there). lanes: 0 for
 * the widest this processor runs, or 8, 4 or 2. Returns CART_OK when the batch ran, else
 * CART_EINVAL (a method other than rodas5p, a model without lanes, a width this processor cannot
 * run) or CART_ENOMEM with a message in the solver's last error. Allocates a solver per lane
 * for the call; thread-safe for distinct solvers. */
int cartp_solver_solve_batch(cart_solver *solver, const double *params, size_t n_patients,
                             const double *times, size_t n_times, double *states,
                             cartp_batch_result *results, int lanes);

/* ---- patients in flight, with every event: SIMD lanes under solver.c's resumable machine ----
 *
 * Each lane holds a cart_solver whose solve (cartp_run_begin / cartp_run_after_step) waits for
 * its next step (CARTP_RUN_STEP). A round takes one Rodas5P attempt for all of them at once and
 * judges each lane by the scalar controller: results[l] is GSL_SUCCESS (the step is taken: the
 * solver's state, time, next size and dense output are what cartp_solver_advance leaves, bit
 * for bit), GSL_FAILURE (the step cannot shrink further), CARTP_LANE_PENDING (rejected: the
 * lane tries a smaller step next round) or CARTP_LANE_IDLE (no solver in the lane). Every
 * solver must use CART_METHOD_RODAS5P on a model with lanes (cart_model's `lanes`), with the
 * same tolerances. The workspace (about 60 KiB) is one per thread. */
#define CARTP_LANE_PENDING (-2000)
#define CARTP_LANE_IDLE (-2001)
typedef struct cartp_lanes_work cartp_lanes_work;
/* width: 8, 4 or 2 lanes, or 0 for the widest this processor runs; NULL when it cannot run that
 * width or memory is short. */
cartp_lanes_work *cartp_lanes_work_new(int width);
void cartp_lanes_work_free(cartp_lanes_work *work);
/* The round of lanes first .. first + width - 1 (first a multiple of the width, below
 * CARTP_LANES_MAX_RUN), or with pair two groups at once, first .. first + 2 width - 1 (their
 * attempts interleaved, for instruction-level parallelism; each lane's outcome is the same).
 * solvers: an entry per lane, NULL for an idle lane; each group keeps its own workspace. */
void cartp_lanes_round(cartp_lanes_work *work, size_t first, int pair, cart_solver *const *solvers,
                       int *results);

/* Where cartp_lanes_run gets its patients: next() starts the next patient in lane l (its solver
 * is solvers[l]) and returns what cartp_run_begin returned, or CARTP_LANES_NONE when none is
 * left; done() takes the final status of lane l's patient (the solver still holds its run). */
#define CARTP_LANES_NONE (-2002)
#define CARTP_LANES_MAX_RUN 16
typedef struct cartp_lanes_feed {
  int (*next)(void *context, size_t lane);
  void (*done)(void *context, size_t lane, int status);
  void *context;
} cartp_lanes_feed;

/* Runs patients until the feed has none left, n_lanes (<= CARTP_LANES_MAX_RUN) in flight, each
 * a solver of its own: SIMD rounds in groups of the workspace's width, or with work NULL one
 * accepted step per lane in turn (cartp_solver_advance: any method and model). A lane is
 * refilled as soon as its patient is done. */
void cartp_lanes_run(cartp_lanes_work *work, cart_solver *const *solvers, size_t n_lanes,
                     const cartp_lanes_feed *feed);

#endif
