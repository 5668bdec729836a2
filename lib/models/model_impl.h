/* model_impl.h: what a model is, inside libcart (MODEL.md section 1).
 *
 * A model is one `static const struct cart_model` in its own file (lib/models/<name>.c) plus one
 * line in the registry (lib/models/registry.c): the GSL step-type pattern. Model functions are
 * pure: no allocation, no I/O, no knowledge of solvers or threads. They read parameters as an
 * array in table order and a block of derived constants that `prepare` fills once per patient.
 */
#ifndef CART_MODEL_IMPL_H
#define CART_MODEL_IMPL_H

#include <stddef.h>

#include <cart/cart_model.h>
#include <cart/cart_trial.h> /* cart_endpoint (the oncology list's indices) */

#include "../util/lanes.h"

/* The largest derived block any model needs (doubles). */
#define CART_MAX_SIGNALS 8

/* What the endpoints of MODEL.md section 4 are computed from. */
typedef enum cart_role {
  CART_ROLE_CBLOOD,     /* blood CAR-T concentration: cmax, tmax, auc28 */
  CART_ROLE_TUMOUR,     /* tumour sum: nadir, response, relapse */
  CART_ROLE_TUMOUR_NEG, /* antigen-negative tumour: relapse_negative */
  CART_ROLE_B,          /* normal B cells: aplasia_days */
  CART_ROLE_IL6,        /* serum IL-6: il6_peak */
  CART_ROLE_IL6S,       /* IL-6 able to signal: il6s_peak */
  CART_ROLE_CRS,        /* the CRS severity signal: crs_grade, crs_onset and the tocilizumab rule */
  CART_ROLE_AUTOAB,     /* an autoantibody titre (lupus: anti-dsDNA): autoab_d90, autoab_d180 */
  CART_ROLE_ACTIVITY,   /* a disease-activity score (lupus: SLEDAI-like): activity_d180, remission */
  CART_ROLE_CTUMOUR,    /* CAR-T cells inside the tumour (solid: til_peak) */
  CART_ROLE_TISSUE,     /* healthy antigen-positive tissue, share left intact (solid:
                           tissue_nadir, on-target off-tumour toxicity) */
  CART_N_ROLES
} cart_role;

/* How an endpoint reduces a patient's dense output (lib/trial/endpoints.c) to one number. The
 * input is a role (its slot in cartp_endpoint.input_slot); the levels are the row's (levels[0],
 * levels[1], ... below, in this order). 0 is no reducer: a table that leaves it out is caught by
 * the registry test (check_models.c) and refused by cart_trial_new. */
typedef enum cartp_reducer {
  CARTP_REDUCE_NONE,
  CARTP_REDUCE_MAX,              /* max of the input over the horizon */
  CARTP_REDUCE_TIME_OF_MAX,      /* the time of that max (the first, when it repeats) */
  CARTP_REDUCE_MIN,              /* min of the input over the horizon */
  CARTP_REDUCE_INTEGRAL,         /* integral of the input from 0 to level 0 (a day: auc_end) */
  CARTP_REDUCE_VALUE_AT,         /* the input at day `day` (NaN when the horizon ends before) */
  CARTP_REDUCE_TIME_BELOW,       /* time the input is below level 0 (f_aplasia * B0) */
  CARTP_REDUCE_FIRST_ABOVE,      /* first time the input exceeds level 0 (crs_g1); NaN if never */
  CARTP_REDUCE_GRADE,            /* how many of levels 0..3 (crs_g1..crs_g4) the input's max
                                    exceeds */
  CARTP_REDUCE_RESPONSE,         /* input (a tumour) below level 0 (n_detect) before level 1
                                    (t_resp, a day): 2 (CR); min <= half the initial value: 1
                                    (PR); else 0 */
  CARTP_REDUCE_RELAPSE_DAY,      /* after a CR (as RESPONSE, same levels), first time the input
                                    is above level 0 again */
  CARTP_REDUCE_RELAPSE_NEGATIVE, /* at that relapse, the TUMOUR_NEG role is over half the input */
  CARTP_REDUCE_TOCI_DOSES,       /* tocilizumab doses given (no input) */
  CARTP_REDUCE_RECOVERY_DAY,     /* after the input first falls below level 0 (at t = 0 too), the
                                    first time it rises from at or below level 1 to above it (a
                                    B-cell pool's return); NaN if it never falls or never
                                    returns */
  CARTP_REDUCE_LAST_ABOVE,       /* the last time the input is above level 0 (the horizon while it
                                    still is: a CAR-T population's persistence); NaN if never */
  CARTP_REDUCE_FIRST_BELOW,      /* first time the input is below level 0 (deep B-cell aplasia's
                                    onset; at t = 0 when it starts below); NaN if never */
  CARTP_REDUCE_BELOW_AT,         /* 1 when the input at day `day` is below level 0, else 0 (a
                                    remission); NaN when the horizon ends before */
  CARTP_REDUCE_RECIST,           /* RESPONSE with a partial response at a nadir <= level 2 (a
                                    fraction, pr_fraction) times the initial value instead of a
                                    half; levels 0 and 1 as RESPONSE's (solid) */
  CARTP_REDUCE_FALL_AFTER_MAX,   /* the first time after the input's maximum that it falls
                                    from above level 0 to it or below (persistence: a re-expansion
                                    from a residue that stays below the first peak does not
                                    count); the horizon when it is still above at the end; 0 when
                                    it never is above */
  CARTP_N_REDUCERS
} cartp_reducer;

/* The most endpoints a model may have (the trial's tracker keeps one accumulator each, and a
 * summary one cart_endpoint_summary each). */
#define CARTP_MAX_ENDPOINTS CART_SUMMARY_MAX_ENDPOINTS
/* The most levels one endpoint reads (crs_grade's four thresholds). */
#define CARTP_MAX_LEVELS 4
/* The most distinct settings one model's endpoints read (trial-wide and its own). */
#define CARTP_MAX_ENDPOINT_SETTINGS 32

/* One level of an endpoint (cart_model.h, cart_endpoint_level): the setting that gives it and how
 * it scales. setting.name names it; for a trial-wide setting (a cart_endpoint_settings field:
 * n_detect, ...) that is all the row gives (the rest zero: the library describes it); for a
 * setting of the model's own the row gives its unit, default, bounds and meaning too, and the
 * user sets it by that name. Rows sharing a setting of their own describe it alike (checked by
 * cartp_model_check_endpoints). setting.name NULL: no level. */
typedef struct cartp_level {
  cart_param_info setting;
  cart_level_scale scale;
  const char *param; /* CART_LEVEL_PARAM: the parameter's name */
} cartp_level;

/* A row without levels (the zero initializer of the levels array). */
#define CARTP_NO_LEVELS {CARTP_TRIAL_LEVEL(NULL)}
/* A level read from a trial-wide setting (its description is the library's). */
#define CARTP_TRIAL_LEVEL(name) {{(name), NULL, 0, 0, 0, 0, 0, NULL}, CART_LEVEL_ABSOLUTE, NULL}
#define CARTP_TRIAL_LEVEL_TIMES(name, param) \
  {{(name), NULL, 0, 0, 0, 0, 0, NULL}, CART_LEVEL_PARAM, (param)}

/* One endpoint of a model: what it is called and holds (the public cart_endpoint_info) and how it
 * is computed. */
typedef struct cartp_endpoint {
  cart_endpoint_info info;
  cartp_reducer reducer;
  int input_slot; /* CARTP_SLOT(a cart_role); left out (0) only for CARTP_REDUCE_TOCI_DOSES */
  double day;     /* CARTP_REDUCE_VALUE_AT: when */
  cartp_level levels[CARTP_MAX_LEVELS]; /* as many as the reducer reads (cartp_reducer_n_levels) */
} cartp_endpoint;

/* What the table check (model.c), the tracker (lib/trial/endpoints.c) and the tests need to know
 * of a reducer besides its own code in endpoints.c: one row of cartp_reducer_info per reducer
 * (model.c), so that a new reducer is declared once instead of in every list that names it. */
typedef enum cartp_reducer_work {
  CARTP_WORK_END,        /* nothing while the patient is solved: read at the end (an extreme, the
                            response machine, the doses) */
  CARTP_WORK_PER_STEP,   /* at every accepted step (an integral, a value at a day) */
  CARTP_WORK_PER_SAMPLE, /* between consecutive samples (a time below, a crossing) */
} cartp_reducer_work;

typedef struct cartp_reducer_info {
  int n_levels;       /* the levels it reads: the first that many of a row's, no more */
  int extreme;        /* +1: it reads the input's maximum, -1: its minimum (the tracker follows
                         one per input and direction), 0: neither */
  int response;       /* a row of the response machine: one tumour input, one set of levels */
  int reads_day;      /* reads the row's day (a finite day >= 0) */
  int is_integer;     /* its value is a code or count (cart_endpoint_info.is_integer) */
  int nan_until_seen; /* NaN until what it waits for happens (else it starts at 0) */
  int no_input;       /* reads no input role (tocilizumab doses) */
  cartp_reducer_work work;
} cartp_reducer_info;

/* The reducer's row; NULL for CARTP_REDUCE_NONE and values outside the enum. */
const cartp_reducer_info *cartp_reducer_get(cartp_reducer reducer);

/* The levels a reducer reads (cartp_reducer_get's n_levels; 0 for none). */
int cartp_reducer_n_levels(cartp_reducer reducer);

/* The trial-wide settings: the fields of cart_endpoint_settings by name, with their descriptions
 * (model.c). */
typedef struct cartp_trial_setting {
  cart_param_info info;
  size_t offset; /* of the double in cart_endpoint_settings */
} cartp_trial_setting;
#define CARTP_N_TRIAL_SETTINGS 8
extern const cartp_trial_setting cartp_trial_settings[CARTP_N_TRIAL_SETTINGS];
/* The index of a trial-wide setting, -1 for none of that name. */
int cartp_trial_setting_index(const char *name);
/* The field of trial-wide setting i in *settings. */
double *cartp_trial_setting_field(cart_endpoint_settings *settings, int i);

/* The distinct settings of a model's endpoint table in the order of first use (at most
 * CARTP_MAX_ENDPOINT_SETTINGS: the table check holds it), as descriptions: a row's own or the
 * trial-wide one. Returns how many; fills settings[0 ..] when not NULL. */
size_t cartp_model_endpoint_settings(const cart_model *model,
                                     cart_param_info settings[CARTP_MAX_ENDPOINT_SETTINGS],
                                     int own[CARTP_MAX_ENDPOINT_SETTINGS]);

/* Checks a model's endpoint table against cartp_reducer_get's rows: a reducer and input for every
 * row, a day >= 0 where the reducer reads one, is_integer as the reducer's value is, the number of
 * levels the reducer reads, levels naming a parameter of the model and, for a setting of the
 * model's own, a unit, a default inside its bounds, the same description wherever it is used and
 * a name that is not a trial-wide setting's; the response rows reading the same levels. CART_OK,
 * or CART_EINVAL with a message naming the row in *err (which may be NULL). */
int cartp_model_check_endpoints(const cart_model *model, cart_error *err);

/* Whether value lies inside the bounds of `info` (0 for NaN and infinities). */
int cartp_value_in_bounds(const cart_param_info *info, double value);

#define CART_MAX_DERIVED 16

/* What the right-hand side and Jacobian see of a patient. */
typedef struct cart_model_eval {
  const double *p;       /* parameters, in table order */
  const double *derived; /* filled by prepare() */
  int mode;              /* discrete state (stein: 0 before tmax, 1 after the switch) */
} cart_model_eval;

/* A time at which the model itself changes the state (stein's switch at tmax). */
typedef struct cart_model_switch {
  double (*time)(const double *p);                      /* when (day) */
  void (*apply)(const double *p, double *y, int *mode); /* what happens */
} cart_model_switch;

struct cart_model {
  const char *name;
  const char *description;
  size_t n_states;
  const cart_state_info *states;
  size_t n_params;
  const cart_param_info *params;
  size_t n_outputs;
  const cart_state_info *outputs;

  /* Cross-parameter rules; returns CART_OK or CART_ERULE with a message. NULL: no rules. */
  int (*check)(const double *p, char *message, size_t size);
  /* A named quantity derived from the parameters (cart: "p0", "il6_loop_gain"); returns CART_OK or
   * CART_EUNKNOWN_PARAM. NULL: none. */
  int (*derived_value)(const double *p, const char *name, double *value);
  /* Fills derived[0 .. CART_MAX_DERIVED). */
  void (*prepare)(const double *p, double *derived);
  /* Initial state at t = 0 and the initial mode. */
  void (*initial)(const double *p, const double *derived, double *y, int *mode);
  /* dy/dt. Returns 0; > 0 asks for a smaller step (unphysical trial state); < 0 gives up. */
  int (*rhs)(double t, const double *y, double *dydt, const cart_model_eval *ev);
  /* Row-major n_states x n_states Jacobian dfdy[i * n + j] = d f_i / d y_j, and d f / d t. */
  int (*jacobian)(double t, const double *y, double *dfdy, double *dfdt, const cart_model_eval *ev);
  /* Derived outputs (e.g. Cblood) from a state; NULL when n_outputs == 0. */
  void (*observe)(double t, const double *y, const double *p, double *out);

  /* CAR-T infusion: adds cells (f_mem in memory) to the state; NULL: the model takes no doses. */
  void (*add_cart_dose)(double *y, double cells, double f_mem);
  /* State that tocilizumab infusions feed (D1) and the weight parameter, as slots (CARTP_SLOT
   * below: left out means none). */
  int toci_slot;
  int weight_slot;
  /* The f_mem parameter (used for CART_FMEM_FROM_PARAMS), a slot. */
  int f_mem_slot;

  size_t n_switches;
  const cart_model_switch *switches;

  /* Derived signals for trajectories and endpoints (cart: Cblood, tumour, IL6s), computed from a
   * state; their index in the "extended" vector [states..., signals...] is n_states + i. */
  size_t n_signals;
  const cart_state_info *signals;
  void (*signal_values)(const double *y, const double *p, double *out);
  /* For each cart_role, its index in the extended vector as a slot ([CART_ROLE_B] =
   * CARTP_SLOT(B)); a role left out is one the model does not have. */
  int role_slots[CART_N_ROLES];
  /* The endpoints a trial computes for this model, in the order of a block's columns and of the
   * file's /endpoints (the oncology list of cart_endpoint_get_info for cart and cart2). */
  size_t n_endpoints;
  const cartp_endpoint *endpoints;
  /* Trajectories a trial keeps by default, NULL-terminated names. */
  const char *const *default_outputs;

  /* Tumour phenotypes that go extinct (MODEL.md 3): each is set to exactly 0 when it falls
   * through n_ext cells. Indices ended by -1; NULL for none. */
  const int *extinct_states;

  /* Invariant zero groups: sets of states that, once all exactly 0, stay exactly 0 without an
   * external input (no CAR-T cells appear from nothing). Each group is a list of state indices
   * ended by -1; the list of groups is ended by NULL. May be NULL. */
  const int *const *zero_groups;

  /* The Jacobian's structure: row i has 'x' at column j where d f_i / d y_j can be nonzero for
   * some state and parameters (every mechanism on), '.' where it is always 0. The solver orders
   * the states so that the matrix is block lower-triangular and factorises the blocks alone
   * (rosenbrock.h). NULL: dense. check_models.c test_jacobian_pattern holds it to the Jacobian. */
  const char *const *jacobian_pattern;

  /* The right-hand side and Jacobian over SIMD lanes, one patient per lane (lib/util/lanes.h),
   * from the same source as rhs and jacobian and bit-identical to them lane by lane; used by
   * the batch solve (lib/solver/batch.c). NULL: the model is solved one patient at a time. */
  const cartp_model_lanes *lanes;
};

/* The optional indices of a model's table (a state, a parameter, an extended-vector entry) are
 * slots, the index plus one, so that a field the table leaves out is 0, "none", rather than a
 * silent index 0 (the first state). The accessors give the index back, -1 for none. */
#define CARTP_SLOT(index) ((index) + 1)
static inline int cartp_model_toci_state(const cart_model *m)
{
  return m->toci_slot - 1;
}
/* A zero group's states as bits (state i: bit i; the models have at most 32 states), so that
 * cutting a group's columns asks "is this row in the group" once per entry, not once per
 * member. */
static inline unsigned long cartp_zero_group_members(const int *group)
{
  unsigned long members = 0;
  for (const int *i = group; *i >= 0; i++) {
    members |= 1UL << *i;
  }
  return members;
}
static inline int cartp_model_weight_param(const cart_model *m)
{
  return m->weight_slot - 1;
}
static inline int cartp_model_f_mem_param(const cart_model *m)
{
  return m->f_mem_slot - 1;
}
static inline int cartp_model_role(const cart_model *m, int role)
{
  return m->role_slots[role] - 1;
}

/* The oncology endpoints of MODEL.md section 4 (cart's list; endpoints.c), CART_N_ENDPOINTS rows
 * indexed by cart_endpoint: cart and cart2 use it whole, stein a subset. */
extern const cartp_endpoint cartp_oncology_endpoints[CART_N_ENDPOINTS];

/* Registry (registry.c). */
extern const cart_model *const cartp_model_registry[];
extern const size_t cartp_model_registry_size;

/* The models. */
extern const cart_model cartp_model_stein;
extern const cart_model cartp_model_cart;
extern const cart_model cartp_model_cart2;
extern const cart_model cartp_model_allo;
extern const cart_model cartp_model_lupus;
extern const cart_model cartp_model_solid;

#endif /* CART_MODEL_IMPL_H */
