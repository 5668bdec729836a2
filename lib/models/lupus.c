/* lupus.c: CD19 CAR-T in systemic lupus erythematosus (doc/models.md, "lupus").
 *
 * CAR-T cells (E, M, X as in cart, MODEL.md 2.2) expand on the CD19+ cells and kill them: the
 * marrow precursors P1, P2 (pro/pre-B, then immature/transitional), the naive/mature B cells B,
 * the autoreactive activated/memory B cells Ba and the plasmablasts Pb. New B cells come only
 * through the precursors, which come from CD19-negative progenitors that CAR-T never see; so the
 * B-cell pool can come back only when the CAR-T cells have fallen too low to clear the precursor
 * stream (the gate of Leon-Triana et al. 2021, BIOMD0000001012, here by killing in the marrow).
 * The autoreactive pool sustains itself slowly and is re-seeded from new naive cells only, so
 * that the returning pool is naive. CD19-negative long-lived plasma cells L are not a CAR-T
 * target; with the plasmablasts they make the autoantibody Ab (anti-dsDNA, 1 = before
 * treatment), whose disease-activity readout is phenomenological. IL-6 comes from killing and
 * from activated CAR-T (no myeloid amplification, no tocilizumab: CRS in lupus is mild).
 * Every value and its source is in doc/models.md; this file cites them briefly. The equations are
 * in lupus_equations.h, written once for one patient and for one patient per SIMD lane (bit for
 * bit the same, tests/check_lanes.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cart_common.h"

enum { E, M, X, P1, P2, B, BA, PB, L, AB, IL6, N_STATES };

enum {
  P_DOSE, P_F_MEM, P_RHO, P_KS, P_RHO_LD, P_LD_TAU, P_OMEGA, P_DELTA_E, P_K_MEM, P_K_EXH,
  P_DELTA_M, P_DELTA_X, P_GAMMA, P_KKILL, P_T_PROG, P_N_PROG,
  P_B0, P_B_LD, P_DELTA_B, P_K_ACT, P_K_MAT, P_A_M,
  P_F_AUTO, P_EPS, P_R_A, P_DELTA_A, P_K_PB, P_DELTA_PB, P_K_L, P_DELTA_L, P_DELTA_AB, P_PHI_L,
  P_SLEDAI_0, P_AB_50, P_IL6_0, P_K_IL6, P_P_KILL, P_P_ACT, P_WT, P_V_BLOOD, P_F_BLOOD, N_PARAMS
};

/* Derived constants (prepare): the pre-treatment steady state and the rates that hold it. */
enum {
  DV_S_P, DV_P_PRE, DV_BA_PRE, DV_INV_K_A, DV_PB_PRE, DV_L_PRE, DV_Q_PB, DV_Q_L, DV_INV_LD_TAU,
  DV_P_KILL_9, DV_P_ACT_9, N_DERIVED
};
_Static_assert(N_DERIVED <= CART_MAX_DERIVED, "derived block too small");

static const cart_state_info states[N_STATES] = {
    {"E", "cells", 1.0, "effector CAR-T cells"},
    {"M", "cells", 1.0, "memory CAR-T cells"},
    {"X", "cells", 1.0, "exhausted CAR-T cells"},
    {"P1", "cells", 1.0, "CD19+ marrow B-cell precursors, first stage (pro/pre-B)"},
    {"P2", "cells", 1.0, "CD19+ marrow B-cell precursors, second stage (immature/transitional)"},
    {"B", "cells", 1.0, "naive/mature CD19+ B cells"},
    {"Ba", "cells", 1.0, "autoreactive activated/memory CD19+ B cells"},
    {"Pb", "cells", 1.0, "autoreactive plasmablasts / short-lived plasma cells (CD19+)"},
    {"L", "cells", 1.0, "autoreactive long-lived plasma cells (CD19-negative, not a CAR-T target)"},
    {"Ab", "1", 1e-6, "autoantibody (anti-dsDNA) titre, 1 = before treatment"},
    {"IL6", "pg/mL", 1e-3, "serum IL-6"},
};

static const cart_state_info outputs[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (E + M + X) / (V_blood 1e6)"},
};

/* name, unit, default, lower, upper, lower open, upper open, meaning. Sources: doc/models.md. */
static const cart_param_info params[N_PARAMS] = {
    /* CAR-T cells: cart's structure and most of its values (MODEL.md 2.2) */
    {"dose", "cells", 7e7, 0, 1e11, CLOSED, CLOSED, "CAR-T cells infused at t = 0 (1e6/kg at 70 kg, Mackensen 2022)"},
    {"f_mem", "1", 0.2, 0, 1, CLOSED, CLOSED, "fraction of the product with memory phenotype"},
    {"rho", "1/day", 0.6, 0, 10, CLOSED, CLOSED, "maximal antigen-driven effector expansion rate"},
    {"KS", "cells", 1e8, 0, INF, OPEN, OPEN, "CD19+ load of half-maximal stimulation"},
    {"rho_ld", "1/day", 0.6, 0, 10, CLOSED, CLOSED, "antigen-independent expansion right after lymphodepletion"},
    {"ld_tau", "day", 7, 0, INF, OPEN, OPEN, "decay time of the lymphodepletion-driven expansion"},
    {"omega", "1/day", 0.2, 0, 10, CLOSED, CLOSED, "antigen-driven memory-to-effector conversion"},
    {"delta_E", "1/day", 0.25, 0, 10, CLOSED, CLOSED, "effector death rate"},
    {"k_mem", "1/day", 0.02, 0, 1, CLOSED, CLOSED, "effector-to-memory conversion"},
    {"k_exh", "1/day", 0.05, 0, 1, CLOSED, CLOSED, "stimulation-driven exhaustion"},
    {"delta_M", "1/day", 0.03, 0, 1, CLOSED, CLOSED, "memory CAR-T death rate"},
    {"delta_X", "1/day", 0.1, 0, 10, CLOSED, CLOSED, "exhausted-cell death rate"},
    {"gamma", "1/day", 3, 0, 100, CLOSED, CLOSED, "targets killed per effector per day at saturation"},
    {"Kkill", "cells", 1e8, 0, INF, OPEN, OPEN, "target load of half-saturated killing"},
    {"t_prog", "day", 95, 0, 365, CLOSED, CLOSED, "time at which antigen-driven proliferation has halved (0: off)"},
    {"n_prog", "1", 4, 1, 20, CLOSED, CLOSED, "steepness of the programmed decline of proliferation"},
    /* the B-cell lineage */
    {"B0", "cells", 1e10, 0, 1e13, OPEN, CLOSED, "naive/mature B-cell pool before treatment"},
    {"b_ld", "1", 0.1, 0, 1, CLOSED, CLOSED, "share of the CD19+ cells left after lymphodepletion"},
    {"delta_B", "1/day", 0.02, 0, 1, CLOSED, CLOSED, "B-cell death rate"},
    {"k_act", "1/day", 0.005, 0, 1, CLOSED, CLOSED, "naive-to-activated B-cell flux rate"},
    {"k_mat", "1/day", 0.1667, 0, 10, OPEN, CLOSED, "maturation rate of each precursor stage"},
    {"a_m", "1", 0.5, 0, 1, CLOSED, CLOSED, "accessibility of marrow precursors to CAR-T killing"},
    /* the autoreactive compartment and the autoantibody */
    {"f_auto", "1", 0.05, 0, 1, OPEN, CLOSED, "autoreactive memory pool before treatment, share of B0"},
    {"eps", "1", 1e-4, 0, 1, CLOSED, CLOSED, "autoreactive share of the activated naive cells"},
    {"r_a", "1/day", 0.04, 0, 1, OPEN, CLOSED, "self-renewal rate of the autoreactive memory pool"},
    {"delta_a", "1/day", 0.027, 0, 1, CLOSED, CLOSED, "autoreactive memory death rate"},
    {"k_pb", "1/day", 0.008, 0, 1, OPEN, CLOSED, "memory-to-plasmablast differentiation"},
    {"delta_Pb", "1/day", 0.25, 0, 10, OPEN, CLOSED, "plasmablast death rate"},
    {"k_L", "1/day", 0.01, 0, 1, OPEN, CLOSED, "plasmablast-to-long-lived plasma cell rate"},
    {"delta_L", "1/day", 0.00137, 0, 1, OPEN, CLOSED, "long-lived plasma cell death rate"},
    {"delta_Ab", "1/day", 0.033, 0, 1, OPEN, CLOSED, "IgG autoantibody elimination"},
    {"phi_L", "1", 0.05, 0, 1, OPEN, OPEN, "share of the autoantibody made by long-lived plasma cells before treatment"},
    {"sledai_0", "1", 16, 0, 105, CLOSED, CLOSED, "disease-activity score before treatment"},
    {"Ab_50", "1", 0.5, 0, INF, OPEN, OPEN, "autoantibody of half-maximal disease activity"},
    /* IL-6 */
    {"il6_0", "pg/mL", 3, 0, INF, OPEN, OPEN, "baseline serum IL-6"},
    {"k_il6", "1/day", 20, 0, INF, OPEN, OPEN, "IL-6 elimination"},
    {"p_kill", "pg/mL/day per 1e9 cells/day", 50, 0, 1e4, CLOSED, CLOSED, "IL-6 from killed targets"},
    {"p_act", "pg/mL/day per 1e9 cells", 2750, 0, 1e5, CLOSED, CLOSED, "IL-6 from activated effectors"},
    /* body (cart's rows, cart_common.h) */
    CARTP_ROWS_BODY
};

/* The pre-treatment steady state (no CAR-T): P1 = P2 = s_P / k_mat, B = B0 with
 * s_P = (delta_B + k_act) B0, Ba = f_auto B0 (K_a from Ba's balance), Pb = k_pb Ba / delta_Pb,
 * L = k_L Pb / delta_L, and q_Pb, q_L such that Ab = 1 with the share phi_L from L. */
static void prepare(const double *p, double *dv)
{
  const double ba = p[P_F_AUTO] * p[P_B0];
  const double net = p[P_DELTA_A] + p[P_K_PB] - p[P_EPS] * p[P_K_ACT] / p[P_F_AUTO];
  dv[DV_S_P] = (p[P_DELTA_B] + p[P_K_ACT]) * p[P_B0];
  dv[DV_P_PRE] = dv[DV_S_P] / p[P_K_MAT];
  dv[DV_BA_PRE] = ba;
  dv[DV_INV_K_A] = (1.0 - net / p[P_R_A]) / ba; /* r_a (1 - Ba/K_a) = net at Ba = ba */
  dv[DV_PB_PRE] = p[P_K_PB] * ba / p[P_DELTA_PB];
  dv[DV_L_PRE] = p[P_K_L] * dv[DV_PB_PRE] / p[P_DELTA_L];
  dv[DV_Q_PB] = (1.0 - p[P_PHI_L]) * p[P_DELTA_AB] / dv[DV_PB_PRE];
  dv[DV_Q_L] = p[P_PHI_L] * p[P_DELTA_AB] / dv[DV_L_PRE];
  dv[DV_INV_LD_TAU] = 1.0 / p[P_LD_TAU];
  dv[DV_P_KILL_9] = p[P_P_KILL] / 1e9;
  dv[DV_P_ACT_9] = p[P_P_ACT] / 1e9;
}

/* The autoreactive pool has its pre-treatment level as a positive equilibrium only when its
 * self-renewal exceeds its net loss there (K_a > 0). */
static int check(const double *p, char *message, size_t size)
{
  double dv[CART_MAX_DERIVED];
  prepare(p, dv);
  if (!(dv[DV_INV_K_A] > 0.0)) {
    snprintf(message, size,
             "model 'lupus': r_a = %g/day must exceed delta_a + k_pb - eps k_act / f_auto = %g/day "
             "(the autoreactive pool's pre-treatment level f_auto B0 is then an equilibrium)",
             p[P_R_A], p[P_DELTA_A] + p[P_K_PB] - p[P_EPS] * p[P_K_ACT] / p[P_F_AUTO]);
    return CART_ERULE;
  }
  return CART_OK;
}

static int derived_value(const double *p, const char *name, double *value)
{
  static const struct {
    const char *name;
    int index;
  } names[] = {{"s_P", DV_S_P}, {"P_pre", DV_P_PRE}, {"Pb_pre", DV_PB_PRE}, {"L_pre", DV_L_PRE}};
  double dv[CART_MAX_DERIVED];
  prepare(p, dv);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i].name) == 0) {
      *value = dv[names[i].index];
      return CART_OK;
    }
  }
  if (strcmp(name, "K_a") == 0) {
    *value = 1.0 / dv[DV_INV_K_A];
    return CART_OK;
  }
  return CART_EUNKNOWN_PARAM;
}

/* Flu/Cy lymphodepletion leaves b_ld of every CD19+ compartment; plasma cells, the antibody and
 * IL-6 start at their pre-treatment levels. */
static void initial(const double *p, const double *dv, double *y, int *mode)
{
  const double b_ld = p[P_B_LD];
  y[E] = (1.0 - p[P_F_MEM]) * p[P_DOSE];
  y[M] = p[P_F_MEM] * p[P_DOSE];
  y[X] = 0.0;
  y[P1] = b_ld * dv[DV_P_PRE];
  y[P2] = b_ld * dv[DV_P_PRE];
  y[B] = b_ld * p[P_B0];
  y[BA] = b_ld * dv[DV_BA_PRE];
  y[PB] = b_ld * dv[DV_PB_PRE];
  y[L] = dv[DV_L_PRE];
  y[AB] = 1.0;
  y[IL6] = p[P_IL6_0];
  *mode = 0;
}

/* The right-hand side, Jacobian and signals, written once (lupus_equations.h) and compiled here
 * for one patient (the functions named _1) and below for one patient per SIMD lane. */
#define CARTP_LANE_W 1
#include "../util/lanes.h"
#include "lupus_equations.h"

/* The same equations over lanes of 8 (AVX-512), 4 (AVX2) and 2 (SSE2) patients: `lanes`. */
#define CARTP_MODEL_EQUATIONS "lupus_equations.h"
#define CARTP_MODEL_RHS rhs
#define CARTP_MODEL_JACOBIAN jacobian
#define CARTP_MODEL_SIGNALS signals
#include "model_lanes.h"

static void observe(double t, const double *y, const double *p, double *out)
{
  (void)t;
  out[0] = p[P_F_BLOOD] * (y[E] + y[M] + y[X]) / (p[P_V_BLOOD] * 1e6);
}

/* Signals: Cblood; the B cells that blood counts see, B + Ba; the phenomenological activity
 * score sledai_0 Ab^2 (1 + Ab_50^2) / (Ab_50^2 + Ab^2), sledai_0 before treatment. */
static const cart_state_info signals[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (E + M + X) / (V_blood 1e6)"},
    {"Btotal", "cells", 0.0, "mature CD19+ B cells, naive and autoreactive: B + Ba"},
    {"activity", "1", 0.0,
     "disease-activity score (SLEDAI-like, phenomenological): sledai_0 Ab^2 (1 + Ab_50^2) / "
     "(Ab_50^2 + Ab^2)"},
};
enum { SIG_CBLOOD = N_STATES, SIG_BTOTAL, SIG_ACTIVITY };
static const char *const default_outputs[] = {"Cblood", "Btotal", "P2", "Ba", "Ab", "activity",
                                              "IL6", NULL};

static void signal_values(const double *y, const double *p, double *out)
{
  signals_1(y, p, out); /* the same for one patient and for lanes */
}

static void add_cart_dose(double *y, double cells, double f_mem)
{
  y[E] += (1.0 - f_mem) * cells;
  y[M] += f_mem * cells;
}

/* {E, M, X}: no CAR-T arise from none (every term of their rows has a factor from the set). */
static const int car_t_group[] = {E, M, X, -1};
static const int *const zero_groups[] = {car_t_group, NULL};

/* The Jacobian's structure (model_impl.h): the CAR-T effectors and memory and the CD19+ cells
 * they kill (P1, P2, B, Ba, Pb) feed each other through the antigen load and the kill (one
 * block of 7); exhausted cells, the plasma cells, the antibody and IL-6 only read what comes
 * before them, so the Rosenbrock solver factorises 7 + 1 + 1 + 1 + 1 rows instead of 11. */
static const char *const jacobian_pattern[N_STATES] = {
    /* E M X P1 P2 B Ba Pb L Ab IL6 */
    "xx.xxxxx...", /* E */
    "xx.xxxxx...", /* M */
    "x.xxxxxx...", /* X */
    "x..xxxxx...", /* P1 */
    "x..xxxxx...", /* P2 */
    "x..xxxxx...", /* B */
    "x..xxxxx...", /* Ba */
    "x..xxxxx...", /* Pb */
    ".......xx..", /* L */
    ".......xxx.", /* Ab */
    "x..xxxxx..x", /* IL6 */
};

/* The model's own endpoint settings (model_impl.h), each described once. */
#define F_DEEP {"f_deep", "1", 0.01, 0, 1, OPEN, CLOSED, "B + Ba below f_deep * B0 is deep B-cell aplasia"}
#define F_RETURN \
  {"f_return", "1", 0.02, 0, 10, OPEN, CLOSED, "B + Ba back above f_return * B0 have returned"}
#define REMISSION_SCORE \
  {"remission_score", "1", 2, 0, 105, OPEN, CLOSED, "activity below it at day 180 is a remission"}
#define INPUT(role) CARTP_SLOT(CART_ROLE_##role)
#define LEVEL(name) CARTP_TRIAL_LEVEL(name)

static const cartp_endpoint endpoints[] = {
    {{"cmax", "cells/uL", 0, "max of Cblood over the horizon"}, CARTP_REDUCE_MAX, INPUT(CBLOOD),
     0, CARTP_NO_LEVELS},
    {{"tmax", "day", 0, "time of cmax"}, CARTP_REDUCE_TIME_OF_MAX, INPUT(CBLOOD), 0,
     CARTP_NO_LEVELS},
    {{"bcell_return_day", "day", 0,
      "after B + Ba fall below f_deep * B0, the first time they rise above f_return * B0; NaN if "
      "never"},
     CARTP_REDUCE_RECOVERY_DAY, INPUT(B), 0,
     {{F_DEEP, CART_LEVEL_PARAM, "B0"}, {F_RETURN, CART_LEVEL_PARAM, "B0"}}},
    {{"aplasia_onset", "day", 0, "first time B + Ba are below f_deep * B0; NaN if never"},
     CARTP_REDUCE_FIRST_BELOW, INPUT(B), 0, {{F_DEEP, CART_LEVEL_PARAM, "B0"}}},
    {{"aplasia_days", "day", 0, "total time with B + Ba below f_deep * B0"},
     CARTP_REDUCE_TIME_BELOW, INPUT(B), 0, {{F_DEEP, CART_LEVEL_PARAM, "B0"}}},
    {{"autoab_d90", "1", 0, "autoantibody at day 90 (1 = before treatment)"},
     CARTP_REDUCE_VALUE_AT, INPUT(AUTOAB), 90, CARTP_NO_LEVELS},
    {{"autoab_d180", "1", 0, "autoantibody at day 180"}, CARTP_REDUCE_VALUE_AT, INPUT(AUTOAB),
     180, CARTP_NO_LEVELS},
    {{"autoab_d365", "1", 0, "autoantibody at day 365"}, CARTP_REDUCE_VALUE_AT, INPUT(AUTOAB),
     365, CARTP_NO_LEVELS},
    {{"activity_d180", "1", 0, "disease-activity score at day 180"}, CARTP_REDUCE_VALUE_AT,
     INPUT(ACTIVITY), 180, CARTP_NO_LEVELS},
    {{"remission", "1", 1, "1 when the activity score at day 180 is below remission_score"},
     CARTP_REDUCE_BELOW_AT, INPUT(ACTIVITY), 180, {{REMISSION_SCORE, CART_LEVEL_ABSOLUTE, NULL}}},
    {{"il6_peak", "pg/mL", 0, "max serum IL6"}, CARTP_REDUCE_MAX, INPUT(IL6), 0, CARTP_NO_LEVELS},
    {{"crs_grade", "1", 1, "number of the thresholds crs_g1..crs_g4 that max IL6 exceeded"},
     CARTP_REDUCE_GRADE, INPUT(CRS), 0,
     {LEVEL("crs_g1"), LEVEL("crs_g2"), LEVEL("crs_g3"), LEVEL("crs_g4")}},
};
#undef LEVEL
#undef INPUT

const cart_model cartp_model_lupus = {
    .name = "lupus",
    .description = "CD19 CAR-T in systemic lupus: B-cell lineage with marrow precursors, "
                   "autoreactive memory, plasma cells, anti-dsDNA, IL-6 (doc/models.md)",
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
    .weight_slot = CARTP_SLOT(P_WT),
    .f_mem_slot = CARTP_SLOT(P_F_MEM),
    .n_switches = 0,
    .switches = NULL,
    .n_signals = 3,
    .signals = signals,
    .signal_values = signal_values,
    /* IL-6 is the CRS signal itself (no tocilizumab: IL6s = IL6) */
    .role_slots = {[CART_ROLE_CBLOOD] = CARTP_SLOT(SIG_CBLOOD),
                   [CART_ROLE_B] = CARTP_SLOT(SIG_BTOTAL),
                   [CART_ROLE_IL6] = CARTP_SLOT(IL6),
                   [CART_ROLE_IL6S] = CARTP_SLOT(IL6),
                   [CART_ROLE_CRS] = CARTP_SLOT(IL6),
                   [CART_ROLE_AUTOAB] = CARTP_SLOT(AB),
                   [CART_ROLE_ACTIVITY] = CARTP_SLOT(SIG_ACTIVITY)},
    .n_endpoints = sizeof endpoints / sizeof endpoints[0],
    .endpoints = endpoints,
    .default_outputs = default_outputs,
    .extinct_states = NULL,
    .zero_groups = zero_groups,
    .jacobian_pattern = jacobian_pattern,
    .lanes = &lanes,
};
