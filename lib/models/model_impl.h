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
  CART_N_ROLES
} cart_role;

/* How an endpoint reduces a patient's dense output (lib/trial/endpoints.c) to one number. The
 * input is a role (its slot in cartp_endpoint.input_slot); the levels of the oncology reducers
 * come from the trial's cart_endpoint_settings. 0 is no reducer: a table that leaves it out is
 * caught by the registry test (check_models.c). */
typedef enum cartp_reducer {
  CARTP_REDUCE_NONE,
  CARTP_REDUCE_MAX,              /* max of the input over the horizon */
  CARTP_REDUCE_TIME_OF_MAX,      /* the time of that max (the first, when it repeats) */
  CARTP_REDUCE_MIN,              /* min of the input over the horizon */
  CARTP_REDUCE_INTEGRAL,         /* integral of the input from 0 to settings auc_end */
  CARTP_REDUCE_VALUE_AT,         /* the input at day `day` (NaN when the horizon ends before) */
  CARTP_REDUCE_TIME_BELOW,       /* time the input is below f_aplasia * the b0 parameter */
  CARTP_REDUCE_FIRST_ABOVE,      /* first time the input exceeds crs_g1; NaN if never */
  CARTP_REDUCE_GRADE,            /* how many of crs_g1..crs_g4 the input's max exceeds */
  CARTP_REDUCE_RESPONSE,         /* input (a tumour) below n_detect before t_resp: 2 (CR);
                                    min <= half the initial value: 1 (PR); else 0 */
  CARTP_REDUCE_RELAPSE_DAY,      /* after a CR, first time the input is above n_detect again */
  CARTP_REDUCE_RELAPSE_NEGATIVE, /* at that relapse, the TUMOUR_NEG role is over half the input */
  CARTP_REDUCE_TOCI_DOSES,       /* tocilizumab doses given (no input) */
  CARTP_N_REDUCERS
} cartp_reducer;

/* The most endpoints a model may have (the trial's tracker keeps one accumulator each, and a
 * summary one cart_endpoint_summary each). */
#define CARTP_MAX_ENDPOINTS CART_SUMMARY_MAX_ENDPOINTS

/* One endpoint of a model: what it is called and holds (the public cart_endpoint_info) and how it
 * is computed. */
typedef struct cartp_endpoint {
  cart_endpoint_info info;
  cartp_reducer reducer;
  int input_slot; /* CARTP_SLOT(a cart_role); left out (0) only for CARTP_REDUCE_TOCI_DOSES */
  double day;     /* CARTP_REDUCE_VALUE_AT: when */
} cartp_endpoint;

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
  /* The parameter giving the homeostatic B-cell pool (aplasia threshold), a slot. */
  int b0_slot;
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
static inline int cartp_model_weight_param(const cart_model *m)
{
  return m->weight_slot - 1;
}
static inline int cartp_model_f_mem_param(const cart_model *m)
{
  return m->f_mem_slot - 1;
}
static inline int cartp_model_b0_param(const cart_model *m)
{
  return m->b0_slot - 1;
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

#endif /* CART_MODEL_IMPL_H */
