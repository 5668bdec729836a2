/* cart.c: the mechanistic CAR-T / tumour / B-cell / IL-6 / tocilizumab model, MODEL.md 2.2.
 *
 * Effector (E), memory (M) and exhausted (X) CAR-T cells expand on antigen (Tp + B) with saturating
 * stimulation [S2, S3] and, for a week or two after lymphodepletion, without it; effectors kill
 * antigen-positive tumour and normal B cells; antigen loss makes Tn, which CAR-T cannot kill [S5];
 * IL-6 comes from killing, from activated CAR-T and from a saturating myeloid loop that
 * tocilizumab (two-compartment PK with Michaelis-Menten elimination [S8]) interrupts [S7].
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cart_common.h"

enum { E, M, X, TP, TN, B, IL6, D1, D2, N_STATES };

enum {
  P_DOSE, P_F_MEM, P_RHO, P_KS, P_RHO_LD, P_LD_TAU, P_OMEGA, P_DELTA_E, P_K_MEM, P_K_EXH,
  P_DELTA_M, P_DELTA_X, P_GAMMA, P_KKILL, P_T0, P_F_NEG0, P_R_TUM, P_R_NEG, P_K_TUM, P_MU_LOSS,
  P_B0, P_B_LD, P_DELTA_B, P_IL6_0, P_K_IL6, P_K_REC, P_P_KILL, P_P_ACT, P_P_AMP, P_IL6_50, P_H,
  P_CL, P_V1, P_V2, P_Q, P_VMAX, P_KM, P_KD_TOCI, P_WT, P_V_BLOOD, P_F_BLOOD,
  /* opt-in mechanisms (doc/models.md): each default switches its term off */
  P_T_PROG, P_N_PROG, P_K_IMM, P_K_IMM_HALF, P_Q_IFN, P_A_TUM, N_PARAMS
};

/* Derived constants, computed once per patient by prepare(). */
enum {
  DV_P0, DV_IL6_50_H, DV_H_IS_2,
  /* parameter quotients, so that a right-hand side divides only by what depends on the state
   * (a division costs 4-16 multiplications' time, in SIMD lanes most of all) */
  DV_INV_LD_TAU, DV_INV_V1, DV_INV_K_TUM, DV_CL_V1, DV_Q_V1, DV_Q_V2, DV_P_KILL_9, DV_P_ACT_9,
  N_DERIVED
};
_Static_assert(N_DERIVED <= CART_MAX_DERIVED, "derived block too small");

static const cart_state_info states[N_STATES] = {
    {"E", "cells", 1.0, "effector CAR-T cells"},
    {"M", "cells", 1.0, "memory CAR-T cells"},
    {"X", "cells", 1.0, "exhausted CAR-T cells"},
    {"Tp", "cells", 1.0, "antigen-positive tumour cells"},
    {"Tn", "cells", 1.0, "antigen-negative tumour cells (escape variants)"},
    {"B", "cells", 1.0, "normal B cells (antigen-positive, on-target off-tumour)"},
    {"IL6", "pg/mL", 1e-3, "serum IL-6"},
    {"D1", "mg", 1e-6, "tocilizumab, central compartment"},
    {"D2", "mg", 1e-6, "tocilizumab, peripheral compartment"},
};

static const cart_state_info outputs[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (E + M + X) / (V_blood 1e6)"},
};

/* MODEL.md 2.2 parameter table: name, unit, default, lower, upper, lower open, upper open. */
static const cart_param_info params[N_PARAMS] = {
    CARTP_ROWS_CAR_T
    {"f_neg0", "1", 1e-7, 0, 1, CLOSED, CLOSED, "antigen-negative fraction of the tumour at infusion"},
    {"r_tum", "1/day", 0.03, 0, 2, CLOSED, CLOSED, "antigen-positive tumour growth rate"},
    {"r_neg", "1/day", 0.025, 0, 2, CLOSED, CLOSED, "antigen-negative tumour growth rate (a small fitness cost)"},
    {"K_tum", "cells", 1e12, 0, INF, OPEN, OPEN, "tumour carrying capacity"},
    {"mu_loss", "1/day", 1e-8, 0, 1, CLOSED, CLOSED, "antigen-loss switching rate"},
    CARTP_ROWS_HOST
    /* Opt-in mechanisms (doc/models.md, "cart: opt-in mechanisms"); the defaults are MODEL.md
     * 2.2 exactly. Programmed expansion and contraction [Kaech 2001, Badovinac 2002]: */
    {"t_prog", "day", 0, 0, 365, CLOSED, CLOSED, "time at which antigen-driven proliferation has halved (0: off)"},
    {"n_prog", "1", 4, 1, 20, CLOSED, CLOSED, "steepness of the programmed decline of proliferation"},
    /* Immune control of small tumours [Kuznetsov 1994, de Pillis 2005]: */
    {"k_imm", "1/day", 0, 0, 10, CLOSED, CLOSED, "largest per-cell kill rate of endogenous immune control (0: off)"},
    {"K_imm", "cells", 1e8, 0, INF, OPEN, OPEN, "tumour size at which immune control is half saturated"},
    /* CRS signal that IL-6R blockade does not block [Teachey 2016, Norelli 2018]: */
    {"q_ifn", "pg/mL per 1e9 cells", 0, 0, 1e5, CLOSED, CLOSED, "CRS signal from activated CAR-T that tocilizumab does not block"},
    /* Tumour cells harder to reach and kill than normal B cells [Locke 2020, Jain 2021]: */
    {"a_tum", "1", 1, 0, 1, CLOSED, CLOSED, "susceptibility of tumour cells to CAR-T killing relative to normal B cells"},
};

/* The right-hand side and Jacobian, written once (cart_equations.h) and compiled here for one
 * patient (the functions named _1) and below for one patient per SIMD lane. The mechanisms'
 * sources are cited there: programmed expansion and contraction [Kaech 2001, Badovinac 2002],
 * immune control of small tumours [Kuznetsov 1994, de Pillis 2005], a_tum [Locke 2020, Jain
 * 2021]. */
#define CARTP_LANE_W 1
#include "../util/lanes.h"
#include "cart_equations.h"

static void prepare(const double *p, double *dv)
{
  dv[DV_H_IS_2] = p[P_H] == 2.0 ? 1.0 : 0.0;
  dv[DV_IL6_50_H] = pow(p[P_IL6_50], p[P_H]);
  dv[DV_INV_LD_TAU] = 1.0 / p[P_LD_TAU];
  dv[DV_INV_V1] = 1.0 / p[P_V1];
  dv[DV_INV_K_TUM] = 1.0 / p[P_K_TUM];
  dv[DV_CL_V1] = p[P_CL] / p[P_V1];
  dv[DV_Q_V1] = p[P_Q] / p[P_V1];
  dv[DV_Q_V2] = p[P_Q] / p[P_V2];
  dv[DV_P_KILL_9] = p[P_P_KILL] / 1e9; /* IL-6 per killed cell, pg/mL per cell */
  dv[DV_P_ACT_9] = p[P_P_ACT] / 1e9;
  /* p0 makes IL6 = il6_0 a steady state before treatment (no CAR-T, no tocilizumab). */
  dv[DV_P0] = (p[P_K_IL6] + p[P_K_REC]) * p[P_IL6_0] - amplification_1(p, dv, p[P_IL6_0]);
}

static double loop_gain(const double *p)
{
  return cartp_il6_loop_gain(p[P_P_AMP], p[P_IL6_50], p[P_H]);
}

static int check(const double *p, char *message, size_t size)
{
  double dv[CART_MAX_DERIVED];
  prepare(p, dv);
  return cartp_il6_rules("cart", p[P_P_AMP], p[P_IL6_50], p[P_H], p[P_K_IL6], p[P_K_REC],
                         dv[DV_P0], message, size);
}

static int derived_value(const double *p, const char *name, double *value)
{
  if (strcmp(name, "p0") == 0) {
    double dv[CART_MAX_DERIVED];
    prepare(p, dv);
    *value = dv[DV_P0];
    return CART_OK;
  }
  if (strcmp(name, "il6_loop_gain") == 0) {
    *value = loop_gain(p);
    return CART_OK;
  }
  return CART_EUNKNOWN_PARAM;
}

static void initial(const double *p, const double *dv, double *y, int *mode)
{
  (void)dv;
  y[E] = (1.0 - p[P_F_MEM]) * p[P_DOSE];
  y[M] = p[P_F_MEM] * p[P_DOSE];
  y[X] = 0.0;
  y[TP] = (1.0 - p[P_F_NEG0]) * p[P_T0];
  y[TN] = p[P_F_NEG0] * p[P_T0];
  y[B] = p[P_B_LD] * p[P_B0];
  y[IL6] = p[P_IL6_0];
  y[D1] = 0.0;
  y[D2] = 0.0;
  *mode = 0;
}

static int rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  rhs_1(t, y, f, ev->p, ev->derived);
  return 0;
}

static int jacobian(double t, const double *y, double *J, double *dfdt, const cart_model_eval *ev)
{
  jacobian_1(t, y, J, dfdt, ev->p, ev->derived);
  return 0;
}

/* The same equations over lanes of 8 (AVX-512), 4 (AVX2) and 2 (SSE2) patients, each compiled
 * for its instruction set (lib/solver/batch.c chooses one at run time). */
#define CART_LANE_WRAPPERS(W)                                                                     \
  static void rhs_lanes##W(const cartp_lane##W *t, const cartp_lane##W *y, cartp_lane##W *f,     \
                           const cartp_lane##W *p, const cartp_lane##W *dv)                      \
  {                                                                                               \
    rhs_##W(*t, y, f, p, dv);                                                                     \
  }                                                                                               \
  static void jacobian_lanes##W(const cartp_lane##W *t, const cartp_lane##W *y,                  \
                                cartp_lane##W *J, cartp_lane##W *dfdt, const cartp_lane##W *p,   \
                                const cartp_lane##W *dv)                                         \
  {                                                                                               \
    jacobian_##W(*t, y, J, dfdt, p, dv);                                                          \
  }                                                                                               \
  static void signals_lanes##W(const cartp_lane##W *y, const cartp_lane##W *p,                   \
                               cartp_lane##W *out)                                               \
  {                                                                                               \
    signals_##W(y, p, out);                                                                       \
  }

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx512f")
#endif
#undef CARTP_LANE_W
#define CARTP_LANE_W 8
#include "../util/lanes.h"
#include "cart_equations.h"
CART_LANE_WRAPPERS(8)
#pragma GCC pop_options

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx2")
#endif
#undef CARTP_LANE_W
#define CARTP_LANE_W 4
#include "../util/lanes.h"
#include "cart_equations.h"
CART_LANE_WRAPPERS(4)
#pragma GCC pop_options

#undef CARTP_LANE_W
#define CARTP_LANE_W 2
#include "../util/lanes.h"
#include "cart_equations.h"
CART_LANE_WRAPPERS(2)

static const cartp_model_lanes lanes = {rhs_lanes8,     jacobian_lanes8, signals_lanes8,
                                        rhs_lanes4,     jacobian_lanes4, signals_lanes4,
                                        rhs_lanes2,     jacobian_lanes2, signals_lanes2};

static void observe(double t, const double *y, const double *p, double *out)
{
  (void)t;
  out[0] = p[P_F_BLOOD] * (y[E] + y[M] + y[X]) / (p[P_V_BLOOD] * 1e6);
}

/* Signals: Cblood, the tumour sum Tp + Tn, and IL6s = IL6 (1 - RO) (MODEL.md 2.2). */
static const cart_state_info signals[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (E + M + X) / (V_blood 1e6)"},
    {"tumour", "cells", 0.0, "tumour sum Tp + Tn"},
    {"IL6s", "pg/mL", 0.0, "IL-6 able to signal: IL6 (1 - RO)"},
    {"CRS", "pg/mL", 0.0, "CRS severity signal: IL6s + q_ifn S E / 1e9 (IL6s when q_ifn = 0)"},
};
enum { SIG_CBLOOD = N_STATES, SIG_TUMOUR, SIG_IL6S, SIG_CRS };
static const char *const default_outputs[] = {"Cblood", "tumour", "B", "IL6", "IL6s", NULL};

static void signal_values(const double *y, const double *p, double *out)
{
  signals_1(y, p, out); /* cart_equations.h, the same for one patient and for lanes */
}

static void add_cart_dose(double *y, double cells, double f_mem)
{
  y[E] += (1.0 - f_mem) * cells;
  y[M] += f_mem * cells;
}

/* {E, M, X}: no CAR-T ever arises from none; {Tp, Tn}: no tumour from none; {D1, D2}: no
 * tocilizumab without an infusion. The ODE keeps each set at exactly 0 (every term of their
 * right-hand sides has a factor from the set), and no row of the set depends on a state outside
 * it while the set is 0; the solver uses this to keep roundoff from seeding them. */
static const int car_t_group[] = {E, M, X, -1};
static const int tumour_group[] = {TP, TN, -1};
static const int toci_group[] = {D1, D2, -1};
static const int tp_group[] = {TP, -1}; /* Tp alone: after its extinction while Tn lives */
static const int *const zero_groups[] = {car_t_group, tumour_group, tp_group, toci_group, NULL};
static const int extinct_states[] = {TP, TN, -1};
/* The core {E, M, Tp, Tn, B} is one block; X and IL-6 only read it, {D1, D2} stands alone. */
static const char *const jacobian_pattern[N_STATES] = {
    /* E M X Tp Tn B IL6 D1 D2 */
    "xx.x.x...", /* E */
    "xx.x.x...", /* M */
    "x.xx.x...", /* X */
    "x..xxx...", /* Tp */
    "...xx....", /* Tn */
    "x..x.x...", /* B */
    "x..x.xxx.", /* IL6 */
    ".......xx", /* D1 */
    ".......xx", /* D2 */
};

const cart_model cartp_model_cart = {
    .name = "cart",
    .description = "mechanistic CAR-T / tumour / B-cell / IL-6 / tocilizumab model (MODEL.md 2.2)",
    .n_states = N_STATES,
    .states = states,
    .n_params = N_PARAMS,
    .params = params,
    .n_outputs = 1,
    .outputs = outputs,
    .check = check,
    .derived_value = derived_value,
    .prepare = prepare,
    .initial = initial,
    .rhs = rhs,
    .jacobian = jacobian,
    .observe = observe,
    .add_cart_dose = add_cart_dose,
    .toci_slot = CARTP_SLOT(D1),
    .weight_slot = CARTP_SLOT(P_WT),
    .f_mem_slot = CARTP_SLOT(P_F_MEM),
    .n_switches = 0,
    .switches = NULL,
    .n_signals = 4,
    .signals = signals,
    .signal_values = signal_values,
    .role_slots = {[CART_ROLE_CBLOOD] = CARTP_SLOT(SIG_CBLOOD),
                   [CART_ROLE_TUMOUR] = CARTP_SLOT(SIG_TUMOUR),
                   [CART_ROLE_TUMOUR_NEG] = CARTP_SLOT(TN),
                   [CART_ROLE_B] = CARTP_SLOT(B),
                   [CART_ROLE_IL6] = CARTP_SLOT(IL6),
                   [CART_ROLE_IL6S] = CARTP_SLOT(SIG_IL6S),
                   [CART_ROLE_CRS] = CARTP_SLOT(SIG_CRS)},
    .n_endpoints = CART_N_ENDPOINTS, /* the oncology list, MODEL.md 4 */
    .endpoints = cartp_oncology_endpoints,
    .default_outputs = default_outputs,
    .extinct_states = extinct_states,
    .zero_groups = zero_groups,
    .jacobian_pattern = jacobian_pattern,
    .lanes = &lanes,
};
