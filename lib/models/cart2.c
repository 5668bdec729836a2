/* cart2.c: the two-antigen CAR-T model, MODEL.md 2.3.
 *
 * `cart` (MODEL.md 2.2) with antigens a and b (for example CD19 and CD20 or CD22): the tumour is
 * split by phenotype into Tab (both antigens), Ta (a only), Tb (b only) and T0n (neither). The CAR
 * recognises the antigens named by the integer parameter car_targets (1 = a, 2 = b, 3 = both, an
 * OR gate), and a cell is a target if it carries a recognised antigen: Tab always, Ta when a is
 * recognised, Tb when b is, T0n never. B cells carry both antigens, so they are always targets.
 * Antigen loss is a phenotype switch per antigen (mu_a, mu_b); all four phenotypes grow at r_tum
 * under one logistic limit. CAR-T cells, B cells, IL-6 and tocilizumab are exactly as in cart.
 *
 * The right-hand side, Jacobian and signals are written once (cart2_equations.h) and compiled for
 * one patient and for one patient per SIMD lane, so a trial solves cart2 in lanes
 * (lib/solver/batch.c), bit for bit as one patient at a time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cart_common.h"

enum { E, M, X, TAB, TA, TB, T0N, B, IL6, D1, D2, N_STATES };

/* cart's parameters in cart's order, less f_neg0, r_neg and mu_loss (MODEL.md 2.3: one growth
 * rate, antigen loss by mu_a and mu_b), then the parameters cart2 adds. */
enum {
  P_DOSE, P_F_MEM, P_RHO, P_KS, P_RHO_LD, P_LD_TAU, P_OMEGA, P_DELTA_E, P_K_MEM, P_K_EXH,
  P_DELTA_M, P_DELTA_X, P_GAMMA, P_KKILL, P_T0, P_R_TUM, P_K_TUM, P_B0, P_B_LD, P_DELTA_B,
  P_IL6_0, P_K_IL6, P_K_REC, P_P_KILL, P_P_ACT, P_P_AMP, P_IL6_50, P_H, P_CL, P_V1, P_V2, P_Q,
  P_VMAX, P_KM, P_KD_TOCI, P_WT, P_V_BLOOD, P_F_BLOOD, P_MU_A, P_MU_B, P_F_A0, P_F_B0, P_F_N0,
  P_CAR_TARGETS, N_PARAMS
};

/* Derived constants, computed once per patient by prepare(). DV_W_A and DV_W_B are 1 when Ta
 * and Tb are targets of the CAR, else 0: the right-hand side multiplies by them, so one set of
 * equations covers every car_targets. */
enum { DV_P0, DV_IL6_50_H, DV_H_IS_2, DV_W_A, DV_W_B, N_DERIVED };
_Static_assert(N_DERIVED <= CART_MAX_DERIVED, "derived block too small");

static const cart_state_info states[N_STATES] = {
    {"E", "cells", 1.0, "effector CAR-T cells"},
    {"M", "cells", 1.0, "memory CAR-T cells"},
    {"X", "cells", 1.0, "exhausted CAR-T cells"},
    {"Tab", "cells", 1.0, "tumour cells carrying antigens a and b"},
    {"Ta", "cells", 1.0, "tumour cells carrying antigen a only"},
    {"Tb", "cells", 1.0, "tumour cells carrying antigen b only"},
    {"T0n", "cells", 1.0, "tumour cells carrying neither antigen (escape variants)"},
    {"B", "cells", 1.0, "normal B cells (carry both antigens, on-target off-tumour)"},
    {"IL6", "pg/mL", 1e-3, "serum IL-6"},
    {"D1", "mg", 1e-6, "tocilizumab, central compartment"},
    {"D2", "mg", 1e-6, "tocilizumab, peripheral compartment"},
};

static const cart_state_info outputs[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (E + M + X) / (V_blood 1e6)"},
};

/* MODEL.md 2.2 parameter table (cart's rows as they are) and the rows 2.3 adds. */
static const cart_param_info params[N_PARAMS] = {
    CARTP_ROWS_CAR_T
    {"r_tum", "1/day", 0.03, 0, 2, CLOSED, CLOSED, "tumour growth rate (all four phenotypes)"},
    {"K_tum", "cells", 1e12, 0, INF, OPEN, OPEN, "tumour carrying capacity"},
    CARTP_ROWS_HOST
    {"mu_a", "1/day", 1e-8, 0, 1, CLOSED, CLOSED, "loss of antigen a (Tab -> Tb, Ta -> T0n)"},
    {"mu_b", "1/day", 1e-8, 0, 1, CLOSED, CLOSED, "loss of antigen b (Tab -> Ta, Tb -> T0n)"},
    {"f_a0", "1", 1e-7, 0, 1, CLOSED, CLOSED, "share of the tumour at infusion with antigen a only (Ta)"},
    {"f_b0", "1", 1e-7, 0, 1, CLOSED, CLOSED, "share of the tumour at infusion with antigen b only (Tb)"},
    {"f_n0", "1", 1e-12, 0, 1, CLOSED, CLOSED, "share of the tumour at infusion with neither antigen (T0n)"},
    /* A real-valued parameter (the tables hold doubles); check() accepts only 1, 2 and 3. */
    {"car_targets", "1", 3, 1, 3, CLOSED, CLOSED, "antigens the CAR recognises: 1 = a, 2 = b, 3 = both (OR gate)"},
};

/* The equations, written once (cart2_equations.h) and compiled here for one patient (the
 * functions named _1) and below for one patient per SIMD lane. */
#define CARTP_LANE_W 1
#include "../util/lanes.h"
#include "cart2_equations.h"

static void prepare(const double *p, double *dv)
{
  dv[DV_H_IS_2] = p[P_H] == 2.0 ? 1.0 : 0.0;
  dv[DV_IL6_50_H] = pow(p[P_IL6_50], p[P_H]);
  /* p0 makes IL6 = il6_0 a steady state before treatment (MODEL.md 2.2, kept by 2.3). */
  dv[DV_P0] = (p[P_K_IL6] + p[P_K_REC]) * p[P_IL6_0] - amplification_1(p, dv, p[P_IL6_0]);
  target_weights_1(p, &dv[DV_W_A], &dv[DV_W_B]);
}

static double loop_gain(const double *p)
{
  return cartp_il6_loop_gain(p[P_P_AMP], p[P_IL6_50], p[P_H]);
}

static int check(const double *p, char *message, size_t size)
{
  const double ct = p[P_CAR_TARGETS];
  if (ct != 1.0 && ct != 2.0 && ct != 3.0) {
    snprintf(message, size, "model 'cart2': car_targets must be 1, 2 or 3 (got %g)", ct);
    return CART_ERULE;
  }
  /* Tab gets the rest of the tumour, 1 - f_a0 - f_b0 - f_n0, which must not be negative; a
   * relative 1e-12 lets fractions that add up to 1 in decimal (0.7 + 0.2 + 0.1) through. */
  const double f_sum = p[P_F_A0] + p[P_F_B0] + p[P_F_N0];
  if (f_sum > 1.0 + 1e-12) {
    snprintf(message, size,
             "model 'cart2': initial phenotype fractions f_a0 + f_b0 + f_n0 = %g exceed 1 "
             "(f_a0 = %g, f_b0 = %g, f_n0 = %g)",
             f_sum, p[P_F_A0], p[P_F_B0], p[P_F_N0]);
    return CART_ERULE;
  }
  double dv[CART_MAX_DERIVED];
  prepare(p, dv);
  return cartp_il6_rules("cart2", p[P_P_AMP], p[P_IL6_50], p[P_H], p[P_K_IL6], p[P_K_REC],
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
  /* MODEL.md 2.3: Tab gets what the other phenotypes leave; check() allows a sum a rounding
   * above 1, which must not make Tab negative. */
  const double f_ab = 1.0 - p[P_F_A0] - p[P_F_B0] - p[P_F_N0];
  y[TAB] = (f_ab > 0.0 ? f_ab : 0.0) * p[P_T0];
  y[TA] = p[P_F_A0] * p[P_T0];
  y[TB] = p[P_F_B0] * p[P_T0];
  y[T0N] = p[P_F_N0] * p[P_T0];
  y[B] = p[P_B_LD] * p[P_B0];
  y[IL6] = p[P_IL6_0];
  y[D1] = 0.0;
  y[D2] = 0.0;
  *mode = 0;
}

/* The same equations over lanes of 8 (AVX-512), 4 (AVX2) and 2 (SSE2) patients: `lanes`. */
#define CARTP_MODEL_EQUATIONS "cart2_equations.h"
#define CARTP_MODEL_RHS rhs
#define CARTP_MODEL_JACOBIAN jacobian
#define CARTP_MODEL_SIGNALS signals
#include "model_lanes.h"

static void observe(double t, const double *y, const double *p, double *out)
{
  (void)t;
  out[0] = p[P_F_BLOOD] * (y[E] + y[M] + y[X]) / (p[P_V_BLOOD] * 1e6);
}

/* Signals: Cblood, the tumour sum, the escape cells (the phenotypes this CAR cannot target) and
 * IL6s = IL6 (1 - RO). Tesc plays Tn's part in relapse_negative (MODEL.md 4). */
static const cart_state_info signals[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (E + M + X) / (V_blood 1e6)"},
    {"tumour", "cells", 0.0, "tumour sum Tab + Ta + Tb + T0n"},
    {"Tesc", "cells", 0.0, "tumour cells the CAR cannot target (T0n, and Ta or Tb by car_targets)"},
    {"IL6s", "pg/mL", 0.0, "IL-6 able to signal: IL6 (1 - RO)"},
};
enum { SIG_CBLOOD = N_STATES, SIG_TUMOUR, SIG_TESC, SIG_IL6S };
static const char *const default_outputs[] = {"Cblood", "tumour", "Tesc", "B", "IL6", "IL6s", NULL};

static void signal_values(const double *y, const double *p, double *out)
{
  signals_1(y, p, out); /* the same for one patient and for lanes */
}

static void add_cart_dose(double *y, double cells, double f_mem)
{
  y[E] += (1.0 - f_mem) * cells;
  y[M] += f_mem * cells;
}

/* Invariant zero groups (model_impl.h), each checked against the equations (cart2_equations.h):
 *  {E, M, X}: every term of f_E, f_M, f_X has a factor E, M or X, and their derivatives by the
 *    tumour and B (through A) carry E or M: no CAR-T from none.
 *  {Tab}: every term of f_Tab has the factor Tab (growth, loss, kill), so its derivatives by
 *    every other state vanish at Tab = 0.
 *  {Tab, Ta}: f_Ta adds mu_b Tab (in the group); the rest has the factor Ta. The state after the
 *    targets of car_targets = 1 die out.
 *  {Tab, Tb}: the same by symmetry (mu_a Tab); after the targets of car_targets = 2 die out.
 *  {Tab, Ta, Tb}: f_Tb's mu_a Tab and f_Ta's mu_b Tab are in the group; after the targets of
 *    car_targets = 3 die out (only T0n left).
 *  {Tab, Ta, Tb, T0n}: f_T0n = growth T0n + mu_a Ta + mu_b Tb: no tumour from none.
 *  {D1, D2}: linear and Michaelis-Menten terms in D1, D2 only: no tocilizumab without infusion.
 * The solver cuts a zero group's columns from the other rows so roundoff cannot seed it. */
static const int car_t_group[] = {E, M, X, -1};
static const int tab_group[] = {TAB, -1};
static const int tab_ta_group[] = {TAB, TA, -1};
static const int tab_tb_group[] = {TAB, TB, -1};
static const int targets_group[] = {TAB, TA, TB, -1};
static const int tumour_group[] = {TAB, TA, TB, T0N, -1};
static const int toci_group[] = {D1, D2, -1};
static const int *const zero_groups[] = {car_t_group, tab_group, tab_ta_group, tab_tb_group,
                                         targets_group, tumour_group, toci_group, NULL};
/* The Jacobian's structure (model_impl.h): the CAR-T effectors and memory, the four tumour
 * phenotypes and the B cells feed each other through the antigen load and the kill (one block
 * of 7); exhausted cells and IL-6 only read that block, and {D1, D2} stands alone, so the
 * Rosenbrock solver factorises 7 + 1 + 1 + 2 rows instead of 11. Entries that are 0 only by a
 * phenotype's weight 0 (T0n in the antigen load) are marked 'x' all the same. */
static const char *const jacobian_pattern[N_STATES] = {
    /* E M X Tab Ta Tb T0n B IL6 D1 D2 */
    "xx.xxxxx...", /* E */
    "xx.xxxxx...", /* M */
    "x.xxxxxx...", /* X */
    "x..xxxxx...", /* Tab */
    "x..xxxxx...", /* Ta */
    "x..xxxxx...", /* Tb */
    "x..xxxxx...", /* T0n */
    "x..xxxxx...", /* B */
    "x..xxxxxxx.", /* IL6 */
    ".........xx", /* D1 */
    ".........xx", /* D2 */
};
/* Every tumour phenotype can be cured (MODEL.md 3). */
static const int extinct_states[] = {TAB, TA, TB, T0N, -1};

const cart_model cartp_model_cart2 = {
    .name = "cart2",
    .description = "cart with two target antigens and dual-targeting CARs (MODEL.md 2.3)",
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
                   [CART_ROLE_TUMOUR_NEG] = CARTP_SLOT(SIG_TESC),
                   [CART_ROLE_B] = CARTP_SLOT(B),
                   [CART_ROLE_IL6] = CARTP_SLOT(IL6),
                   [CART_ROLE_IL6S] = CARTP_SLOT(SIG_IL6S),
                   [CART_ROLE_CRS] = CARTP_SLOT(SIG_IL6S)}, /* the CRS signal is IL6s */
    .n_endpoints = CART_N_ENDPOINTS, /* the oncology list, MODEL.md 4 */
    .endpoints = cartp_oncology_endpoints,
    .default_outputs = default_outputs,
    .extinct_states = extinct_states,
    .zero_groups = zero_groups,
    .jacobian_pattern = jacobian_pattern,
    .lanes = &lanes,
};
