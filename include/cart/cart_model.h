/* cart_model.h: the models of MODEL.md (stein, cart) as read-only tables.
 *
 * A model is a const table compiled into the library: its name, ordered states with units, its
 * parameter table (name, unit, default, bounds, meaning), derived outputs (cart: Cblood), and its
 * right-hand side and analytic Jacobian, which the solver uses and callers never call directly.
 * Models are looked up by name or index; the pointers returned are valid for the life of the
 * process and must not be freed. Nothing here allocates or changes state.
 *
 * Thread safety: every function here is safe to call from any thread at any time.
 */
#ifndef CART_MODEL_H
#define CART_MODEL_H

#include <stddef.h>

#include <cart/cart_errno.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_model cart_model;

/* Where a parameter's value may lie: lower and upper bound, each open or closed. An unbounded side
 * has an infinite bound (upper = +INFINITY for "> 0"). */
typedef struct cart_param_info {
  const char *name;    /* MODEL.md name, e.g. "rho" */
  const char *unit;    /* e.g. "1/day" */
  double default_value;
  double lower, upper; /* bounds */
  int lower_open;      /* 1: value must be > lower; 0: >= lower */
  int upper_open;      /* 1: value must be < upper; 0: <= upper */
  const char *meaning; /* one line */
} cart_param_info;

/* A state of the ODE system or a derived output (Cblood). */
typedef struct cart_state_info {
  const char *name;    /* e.g. "E" */
  const char *unit;    /* e.g. "cells" */
  double abs_tol;      /* default absolute tolerance (MODEL.md section 6); 0 for outputs */
  const char *meaning; /* one line */
} cart_state_info;

/* An endpoint: one number per patient that a trial reduces from the patient's solution (MODEL.md
 * section 4 for the oncology models). Each model has its own list. */
typedef struct cart_endpoint_info {
  const char *name;    /* "cmax" */
  const char *unit;    /* "cells/uL"; "1" for codes and counts */
  int is_integer;      /* stored as int32 (codes, counts, booleans) */
  const char *meaning; /* one line */
} cart_endpoint_info;

/* Number of models in the registry and the i-th model (NULL when i is out of range). */
size_t cart_model_count(void);
const cart_model *cart_model_get(size_t i);

/* The model called `name`, or NULL (and CART_EUNKNOWN_MODEL in *err, which may be NULL) when
 * there is none; CART_EINVAL when name is NULL. */
const cart_model *cart_model_find(const char *name, cart_error *err);

const char *cart_model_name(const cart_model *model);
const char *cart_model_description(const cart_model *model);

size_t cart_model_n_states(const cart_model *model);
size_t cart_model_n_params(const cart_model *model);
size_t cart_model_n_outputs(const cart_model *model); /* derived outputs such as Cblood */

/* Copies the table row into *info (its strings are static). CART_EINVAL when i is out of range. */
int cart_model_state_info(const cart_model *model, size_t i, cart_state_info *info);
int cart_model_param_info(const cart_model *model, size_t i, cart_param_info *info);
int cart_model_output_info(const cart_model *model, size_t i, cart_state_info *info);

/* Derived signals (cart: Cblood, tumour, IL6s, CRS; MODEL.md 2.2 and 4): the names a trial's
 * trajectories may use besides the states, computed from a state and the parameters by
 * cart_params_signals (cart_params.h). cart_model_signal_info: CART_OK or CART_EINVAL. */
size_t cart_model_n_signals(const cart_model *model);
int cart_model_signal_info(const cart_model *model, size_t i, cart_state_info *info);

/* Index of a state or parameter by name; -1 when the model has none of that name. */
int cart_model_state_index(const cart_model *model, const char *name);
int cart_model_param_index(const cart_model *model, const char *name);

/* The kinds of dose of a schedule (cart_dosing.h). */
enum { CART_DOSE_CART = 0, CART_DOSE_TOCI = 1 };

/* The index of the state a dose of `kind` enters, or -1 when the model takes no dose of that kind
 * (stein takes none), `kind` is neither, or memory ran out: a CAR-T dose enters the effector
 * state E (the f_mem share of it the memory state M), tocilizumab the central compartment D1.
 * Event tables (Python's events=) number their compartments (cmt) by it, 1-based. */
int cart_model_dose_state(const cart_model *model, int kind);

/* The model's endpoints, in the order of a trial block's endpoint columns and of a trial file's
 * /endpoints (cart and cart2: the CART_ENDPOINT_* list of cart_trial.h; stein: cmax, tmax,
 * auc28). cart_model_endpoint_info copies row i (static strings): CART_OK, or CART_EINVAL when i
 * is out of range. cart_model_endpoint_index: -1 when the model has no endpoint of that name. */
size_t cart_model_n_endpoints(const cart_model *model);
int cart_model_endpoint_info(const cart_model *model, size_t i, cart_endpoint_info *info);
int cart_model_endpoint_index(const cart_model *model, const char *name);

/* The levels an endpoint compares its input with (a detection limit, a CRS threshold, a fraction
 * of the B-cell pool, the end of an integral). Each level is a named setting, scaled:
 *   CART_LEVEL_ABSOLUTE  the setting's value itself (n_detect cells, crs_g1 pg/mL, auc_end day);
 *   CART_LEVEL_PARAM     the setting times a parameter of the patient (aplasia: f_aplasia * B0);
 *   CART_LEVEL_INITIAL   the setting times the endpoint's input at t = 0.
 * The settings are either trial-wide (the fields of cart_endpoint_settings, cart_trial.h: n_detect,
 * t_resp, f_aplasia, crs_g1 .. crs_g4, auc_end) or the model's own, with their own default, unit
 * and bounds; both are set by name (cart_trial_set_endpoint_setting, a scenario's [endpoints]). */
typedef enum cart_level_scale {
  CART_LEVEL_ABSOLUTE,
  CART_LEVEL_PARAM,
  CART_LEVEL_INITIAL
} cart_level_scale;

typedef struct cart_endpoint_level {
  const char *setting;    /* the setting's name: "f_aplasia" */
  cart_level_scale scale;
  const char *param;      /* CART_LEVEL_PARAM: the parameter's name ("B0"); NULL otherwise */
} cart_endpoint_level;

/* The levels endpoint i reads, in its reducer's order (crs_grade: crs_g1 .. crs_g4; response:
 * n_detect, t_resp); 0 for an endpoint without levels or i out of range.
 * cart_model_endpoint_level copies level j of endpoint i (static strings): CART_OK, or CART_EINVAL
 * when i or j is out of range. */
size_t cart_model_endpoint_n_levels(const cart_model *model, size_t i);
int cart_model_endpoint_level(const cart_model *model, size_t i, size_t j,
                              cart_endpoint_level *level);

/* The settings the model's endpoints read, each once, in the order of first use: name, unit,
 * default, bounds and meaning as a parameter has them (the trial-wide ones described as
 * cart_endpoint_settings_default sets them). cart_model_endpoint_setting_info: CART_OK, or
 * CART_EINVAL when i is out of range. cart_model_endpoint_setting_is_own: 1 for a setting of the
 * model's own, 0 for a trial-wide one (or i out of range). */
size_t cart_model_n_endpoint_settings(const cart_model *model);
int cart_model_endpoint_setting_info(const cart_model *model, size_t i, cart_param_info *info);
int cart_model_endpoint_setting_is_own(const cart_model *model, size_t i);

/* Whether `value` lies inside parameter i's bounds (1) or not (0; also for NaN). */
int cart_model_param_in_bounds(const cart_model *model, size_t i, double value);

#ifdef __cplusplus
}
#endif

#endif /* CART_MODEL_H */
