/* trial_impl.h: the inside of a cart_trial (internal). */
#ifndef CART_TRIAL_IMPL_H
#define CART_TRIAL_IMPL_H

#include <cart/cart_trial.h>

#include "../models/model_impl.h"

#define CART_MAX_OUTPUTS 32
#define CART_MAX_STATES_TRIAL 32

/* What one thread needs to run patients: made once, reused for every patient (openmp.c). */
typedef struct cartp_workspace {
  cart_solver *solver;
  cart_params *params;
  double *states;  /* n_times x n_states */
  size_t n_times;
} cartp_workspace;

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
  size_t n_outputs;
  int outputs[CART_MAX_OUTPUTS]; /* index into the extended vector [states..., signals...] */
  int workspaces_stale; /* set when times or solver settings change */

  cartp_workspace *workspaces; /* one per thread, made by the first run (openmp.c) */
  size_t n_workspaces;
  cart_error error;
};

/* Name and unit of extended-vector index i (a state or a signal). */
const cart_state_info *cartp_trial_extended_info(const cart_model *model, int i);

/* Runs patient `patient` in workspace `ws`, writing row k of `block` (trial.c). */
void cartp_trial_run_patient(const cart_trial *trial, cartp_workspace *ws, size_t patient,
                             size_t k, cart_trial_block *block);

/* Columns of the block's toci_times: fixed doses plus the rule's maximum (trial.c). */
size_t cartp_trial_max_toci(const cart_trial *trial);

/* Workspaces: made / freed (trial.c). */
int cartp_workspace_init(const cart_trial *trial, cartp_workspace *ws, cart_error *err);
void cartp_workspace_clear(cartp_workspace *ws);

#endif
