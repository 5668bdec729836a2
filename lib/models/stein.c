/* stein.c: empirical biphasic cellular kinetics, MODEL.md 2.1 [S1].
 *
 * CE grows at rho until tmax; at tmax (an event) a fraction fb of it becomes the persisting
 * population CM; after tmax CE contracts at alpha and CM declines at beta. The phase is the
 * discrete mode (0 before the switch, 1 after), not a test on t, so that a step ending exactly
 * at tmax still uses the expansion right-hand side.
 */
#include <math.h>
#include <stddef.h>

#include "model_impl.h"

enum { CE, CM, N_STATES };
enum { P_C0, P_RHO, P_TMAX, P_ALPHA, P_BETA, P_FB, N_PARAMS };

static const cart_state_info states[N_STATES] = {
    {"CE", "copies/ug", 1e-6, "effector-phase CAR-T (transgene copies/ug genomic DNA)"},
    {"CM", "copies/ug", 1e-6, "persisting CAR-T (transgene copies/ug genomic DNA)"},
};

/* MODEL.md 2.1: the typical values of [S1], Table 1 (tisagenlecleucel, B-ALL, 90 patients). */
static const cart_param_info params[N_PARAMS] = {
    {"c0", "copies/ug", 6.15, 0, 1e6, 1, 0, "level just after infusion (Cmax / fold expansion = 24000 / 3900)"},
    {"rho", "1/day", 0.889, 0, 10, 0, 0, "expansion rate (ln(3900) / 9.3)"},
    {"tmax", "day", 9.3, 0, 100, 1, 0, "time of peak"},
    {"alpha", "1/day", 0.16, 0, 10, 0, 0, "contraction rate"},
    {"beta", "1/day", 0.0032, 0, 1, 0, 0, "persistence decline rate"},
    {"fb", "1", 0.0079, 0, 1, 0, 0, "fraction that persists"},
};

static void prepare(const double *p, double *derived)
{
  (void)p;
  (void)derived;
}

static void initial(const double *p, const double *derived, double *y, int *mode)
{
  (void)derived;
  y[CE] = p[P_C0];
  y[CM] = 0.0;
  *mode = 0;
}

static int rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  (void)t;
  const double *p = ev->p;
  if (ev->mode == 0) {
    f[CE] = p[P_RHO] * y[CE];
    f[CM] = 0.0;
  } else {
    f[CE] = -p[P_ALPHA] * y[CE];
    f[CM] = -p[P_BETA] * y[CM];
  }
  return 0;
}

static int jacobian(double t, const double *y, double *J, double *dfdt, const cart_model_eval *ev)
{
  (void)t;
  (void)y;
  const double *p = ev->p;
  J[0 * N_STATES + 0] = ev->mode == 0 ? p[P_RHO] : -p[P_ALPHA];
  J[0 * N_STATES + 1] = 0.0;
  J[1 * N_STATES + 0] = 0.0;
  J[1 * N_STATES + 1] = ev->mode == 0 ? 0.0 : -p[P_BETA];
  dfdt[CE] = 0.0;
  dfdt[CM] = 0.0;
  return 0;
}

static double switch_time(const double *p)
{
  return p[P_TMAX];
}

/* At tmax the expanded population splits: CM := fb CE, CE := (1 - fb) CE. */
static void switch_apply(const double *p, double *y, int *mode)
{
  const double expanded = y[CE];
  y[CM] = p[P_FB] * expanded;
  y[CE] = (1.0 - p[P_FB]) * expanded;
  *mode = 1;
}

static const cart_model_switch switches[] = {{switch_time, switch_apply}};

/* The observed level C = CE + CM (MODEL.md 2.1) plays the part of Cblood in the endpoints. */
static const cart_state_info signals[] = {
    {"C", "copies/ug", 0.0, "observed transgene level CE + CM"},
};
static const char *const default_outputs[] = {"C", NULL};

static void signal_values(const double *y, const double *p, double *out)
{
  (void)p;
  out[0] = y[CE] + y[CM];
}

/* The kinetic endpoints of the observed level (no tumour, B cells, IL-6 or tocilizumab). */
static const cartp_endpoint endpoints[] = {
    {{"cmax", "copies/ug", 0, "max of C over the horizon"}, CARTP_REDUCE_MAX,
     CARTP_SLOT(CART_ROLE_CBLOOD), 0, CARTP_NO_LEVELS},
    {{"tmax", "day", 0, "time of cmax"}, CARTP_REDUCE_TIME_OF_MAX, CARTP_SLOT(CART_ROLE_CBLOOD),
     0, CARTP_NO_LEVELS},
    {{"auc28", "copies/ug*day", 0, "integral of C from 0 to 28"}, CARTP_REDUCE_INTEGRAL,
     CARTP_SLOT(CART_ROLE_CBLOOD), 0, {CARTP_TRIAL_LEVEL("auc_end")}},
};

const cart_model cartp_model_stein = {
    .name = "stein",
    .description = "empirical biphasic cellular kinetics (MODEL.md 2.1, Stein et al. 2019)",
    .n_states = N_STATES,
    .states = states,
    .n_params = N_PARAMS,
    .params = params,
    .n_outputs = 0,
    .outputs = NULL,
    .check = NULL,
    .derived_value = NULL,
    .prepare = prepare,
    .initial = initial,
    .rhs = rhs,
    .jacobian = jacobian,
    .observe = NULL,
    .add_cart_dose = NULL,
    .n_switches = 1,
    .switches = switches,
    .n_signals = 1,
    .signals = signals,
    .signal_values = signal_values,
    .role_slots = {[CART_ROLE_CBLOOD] = CARTP_SLOT(N_STATES)}, /* no tumour, B cells or IL-6;
                                                                  no doses */
    .n_endpoints = sizeof endpoints / sizeof endpoints[0],
    .endpoints = endpoints,
    .default_outputs = default_outputs,
    .extinct_states = NULL,
    .zero_groups = NULL,
};
