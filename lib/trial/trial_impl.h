/* trial_impl.h: the inside of a cart_trial (internal). */
#ifndef CART_TRIAL_IMPL_H
#define CART_TRIAL_IMPL_H

#include <cart/cart_trial.h>

#include "../models/model_impl.h"
#include "../solver/batch.h"
#include "endpoints.h"

#define CART_MAX_OUTPUTS 32
#define CART_MAX_STATES_TRIAL 32

/* What one lane of a thread needs to run patients: made once with the caller's
 * cart_trial_workspace, reused for every patient (openmp.c). */
typedef struct cartp_workspace {
  cart_solver *solver;
  cart_params *params;
  double *states;  /* n_times x n_states */
  size_t n_times;
  /* the patient in flight (cartp_trial_patient_begin .. _end) */
  size_t patient, k;
  cartp_endpoint_tracker tracker;
  cartp_step_observer observer;
  /* the SIMD lanes' workspace of the thread (in its first lane only; NULL: steps one by one) */
  cartp_lanes_work *lanes_work;
} cartp_workspace;

/* Patients a thread keeps in flight at once, each in its own workspace (a lane): openmp.c steps
 * them together, one Rodas5P attempt per SIMD lane (batch.h) where the model has lanes and the
 * method is rodas5p, else one by one, a new patient entering a lane as soon as its patient is
 * done. Results do not depend on it (each patient's arithmetic is its own, bit for bit). */
#define CARTP_MAX_LANES CARTP_LANES_MAX_RUN

struct cart_trial {
  const cart_model *model;
  cart_population *population;
  cart_dosing *dosing;
  double *times;
  size_t n_times;
  cart_method method;
  double rtol;
  double atol[CART_MAX_STATES_TRIAL];
  unsigned long max_steps;
  double n_ext;
  size_t n_patients;
  uint64_t seed;
  cart_endpoint_settings endpoints;
  /* the t = 0 infusion per kg of body weight (cart_trial_set_dose_per_kg): NaN off */
  double dose_per_kg, dose_cap;
  int dose_param; /* the model's `dose` parameter, found when dose_per_kg is set */
  /* the vein-to-vein time (day; 0: none) and its drop-out rule (cart_trial_set_dropout):
   * tumour factor INFINITY and hazard 0 are off */
  double wait_days, dropout_factor, dropout_hazard;
  cart_costs costs; /* product NaN: none */
  /* the values of the model's own endpoint settings, by index in cartp_model_endpoint_settings
   * (the trial-wide ones there are read from `endpoints`) */
  double endpoint_own[CARTP_MAX_ENDPOINT_SETTINGS];
  cartp_level_plan levels; /* the endpoints' levels, made by cart_trial_prepare */
  /* values of the extended vector at days each patient's block row gets besides the endpoints
   * (cartp_trial_set_values_at: the statistics' NAME@DAY); 0 for a trial of the public API */
  size_t n_values_at;
  int value_at_index[CARTP_MAX_VALUES_AT];
  double value_at_day[CARTP_MAX_VALUES_AT];
  size_t n_outputs;
  int outputs[CART_MAX_OUTPUTS]; /* index into the extended vector [states..., signals...] */
  /* bumped by every change a workspace depends on (times, solver settings, lanes): a workspace
   * made before it is refused by cart_trial_run_block */
  unsigned long generation;
  int prepared; /* cart_trial_prepare succeeded and nothing changed since */
  size_t lanes;         /* patients in flight per thread, 1 .. CARTP_MAX_LANES (1: one by
                           one, no SIMD); 0: twice the processor's SIMD width where the
                           model and method allow, else 1 */

  cart_error error;
};

/* The caller's workspace for running blocks of one trial (cart_trial_workspace_new, openmp.c):
 * `lanes` patient workspaces per thread, the first of each thread holding its SIMD lanes' work. */
struct cart_trial_workspace {
  const cart_trial *trial;   /* made for this plan ... */
  unsigned long generation;  /* ... as it was then */
  int n_threads;
  size_t lanes;
  cartp_workspace *lane;     /* n_threads x lanes */
  size_t n_lanes_made;
  cart_error error;
};

/* A change that workspaces depend on: bumps the generation and unprepares the trial. */
void cartp_trial_changed(cart_trial *trial);

/* The index of state or signal `name` in the model's extended vector [states..., signals...]
 * (what cart_trial_add_output keeps), -1 for none. */
int cartp_model_extended_index(const cart_model *model, const char *name);

/* Each patient's entry index[j] of the extended vector at day[j] (0 <= day[j], finite), j < n,
 * in block->values_at from the next cart_trial_block_new on, from the solve's dense output as
 * the VALUE_AT endpoints take theirs: the values of the statistics' NAME@DAY (cart-targets(5)).
 * n = 0 takes them away. Nothing else of the trial's results changes. CART_OK, or CART_EINVAL
 * (n > CARTP_MAX_VALUES_AT, a bad index or day). Unprepares the trial. */
int cartp_trial_set_values_at(cart_trial *trial, size_t n, const int *index, const double *day);

/* Name and unit of extended-vector index i (a state or a signal). */
const cart_state_info *cartp_trial_extended_info(const cart_model *model, int i);

/* Runs patient `patient` in workspace `ws`, writing row k of `block` (trial.c): begin draws the
 * patient and starts the solve, returning CARTP_RUN_STEP while it needs steps (cartp_lanes_run
 * takes them) or its final status; end writes the row from that final status. */
int cartp_trial_patient_begin(const cart_trial *trial, cartp_workspace *ws, size_t patient,
                              size_t k, cart_trial_block *block);
void cartp_trial_patient_end(const cart_trial *trial, cartp_workspace *ws, int status,
                             cart_trial_block *block);

/* Patients in flight per thread (tests, benchmarks; 0 is the default, automatic). CART_EINVAL
 * above CARTP_MAX_LANES. */
int cartp_trial_set_lanes(cart_trial *trial, size_t lanes);

/* Columns of the block's toci_times: fixed doses plus the rule's maximum (trial.c). */
size_t cartp_trial_max_toci(const cart_trial *trial);

/* Workspaces: made / freed (trial.c). */
int cartp_workspace_init(const cart_trial *trial, cartp_workspace *ws, cart_error *err);
void cartp_workspace_clear(cartp_workspace *ws);

#endif
