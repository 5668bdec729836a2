/* cart_parts.h: model cart's tables (MODEL.md 2.2) as pieces that a model built on cart reuses
 * (internal): the index lists of its states, parameters, derived constants and signals, the rows
 * of its state, output, parameter and signal tables, and its invariant zero groups. cart.c is
 * these pieces alone; allo.c puts its own after them, so that cart_equations.h, which reads the
 * names below, serves both.
 *
 * A model that includes this header declares, in this order,
 *   enum { CARTP_CART_STATES, <its own states>, N_STATES };
 *   enum { CARTP_CART_PARAMS, <its own parameters>, N_PARAMS };
 *   enum { CARTP_CART_DERIVED, <its own derived constants>, N_DERIVED };
 * so that cart's indices are the same in both. */
#ifndef CART_MODELS_CART_PARTS_H
#define CART_MODELS_CART_PARTS_H

#include "cart_common.h"

#define CARTP_CART_STATES E, M, X, TP, TN, B, IL6, D1, D2

#define CARTP_CART_PARAMS                                                                         \
  P_DOSE, P_F_MEM, P_RHO, P_KS, P_RHO_LD, P_LD_TAU, P_OMEGA, P_DELTA_E, P_K_MEM, P_K_EXH,         \
      P_DELTA_M, P_DELTA_X, P_GAMMA, P_KKILL, P_T0, P_F_NEG0, P_R_TUM, P_R_NEG, P_K_TUM,          \
      P_MU_LOSS, P_B0, P_B_LD, P_DELTA_B, P_IL6_0, P_K_IL6, P_K_REC, P_P_KILL, P_P_ACT, P_P_AMP,  \
      P_IL6_50, P_H, P_CL, P_V1, P_V2, P_Q, P_VMAX, P_KM, P_KD_TOCI, P_WT, P_V_BLOOD, P_F_BLOOD,  \
      /* opt-in mechanisms (doc/models.md): each default switches its term off */                 \
      P_T_PROG, P_N_PROG, P_K_IMM, P_K_IMM_HALF, P_Q_IFN, P_A_TUM

/* Derived constants, computed once per patient by cart_prepare (cart_equations.h): p0, IL6_50^h,
 * whether h = 2, and parameter quotients, so that a right-hand side divides only by what depends
 * on the state (a division costs 4-16 multiplications' time, in SIMD lanes most of all). */
#define CARTP_CART_DERIVED                                                                        \
  DV_P0, DV_IL6_50_H, DV_H_IS_2, DV_INV_LD_TAU, DV_INV_V1, DV_INV_K_TUM, DV_CL_V1, DV_Q_V1,       \
      DV_Q_V2, DV_P_KILL_9, DV_P_ACT_9

#define CARTP_CART_STATE_ROWS                                                                     \
  {"E", "cells", 1.0, "effector CAR-T cells"}, {"M", "cells", 1.0, "memory CAR-T cells"},         \
      {"X", "cells", 1.0, "exhausted CAR-T cells"},                                               \
      {"Tp", "cells", 1.0, "antigen-positive tumour cells"},                                      \
      {"Tn", "cells", 1.0, "antigen-negative tumour cells (escape variants)"},                    \
      {"B", "cells", 1.0, "normal B cells (antigen-positive, on-target off-tumour)"},             \
      {"IL6", "pg/mL", 1e-3, "serum IL-6"}, {"D1", "mg", 1e-6, "tocilizumab, central compartment"}, \
      {"D2", "mg", 1e-6, "tocilizumab, peripheral compartment"},

/* cart's tumour rows (after CARTP_ROWS_CAR_T), MODEL.md 2.2. */
#define CARTP_ROWS_CART_TUMOUR \
    {"f_neg0", "1", 1e-7, 0, 1, CLOSED, CLOSED, "antigen-negative fraction of the tumour at infusion"}, \
    {"r_tum", "1/day", 0.03, 0, 2, CLOSED, CLOSED, "antigen-positive tumour growth rate"}, \
    {"r_neg", "1/day", 0.025, 0, 2, CLOSED, CLOSED, "antigen-negative tumour growth rate (a small fitness cost)"}, \
    {"K_tum", "cells", 1e12, 0, INF, OPEN, OPEN, "tumour carrying capacity"}, \
    {"mu_loss", "1/day", 1e-8, 0, 1, CLOSED, CLOSED, "antigen-loss switching rate"},

/* Opt-in mechanisms (doc/models.md, "cart: opt-in mechanisms"); the defaults are MODEL.md 2.2
 * exactly. Programmed expansion and contraction [Kaech 2001, Badovinac 2002]; immune control of
 * small tumours [Kuznetsov 1994, de Pillis 2005]; a CRS signal that IL-6R blockade does not block
 * [Teachey 2016, Norelli 2018]; tumour cells harder to reach and kill than normal B cells [Locke
 * 2020, Jain 2021]. */
#define CARTP_ROWS_CART_MECHANISMS \
    {"t_prog", "day", 0, 0, 365, CLOSED, CLOSED, "time at which antigen-driven proliferation has halved (0: off)"}, \
    {"n_prog", "1", 4, 1, 20, CLOSED, CLOSED, "steepness of the programmed decline of proliferation"}, \
    {"k_imm", "1/day", 0, 0, 10, CLOSED, CLOSED, "largest per-cell kill rate of endogenous immune control (0: off)"}, \
    {"K_imm", "cells", 1e8, 0, INF, OPEN, OPEN, "tumour size at which immune control is half saturated"}, \
    {"q_ifn", "pg/mL per 1e9 cells", 0, 0, 1e5, CLOSED, CLOSED, "CRS signal from activated CAR-T that tocilizumab does not block"}, \
    {"a_tum", "1", 1, 0, 1, CLOSED, CLOSED, "susceptibility of tumour cells to CAR-T killing relative to normal B cells"},

/* cart's parameter table, all of it, in order. */
#define CARTP_CART_PARAM_ROWS \
    CARTP_ROWS_CAR_T CARTP_ROWS_CART_TUMOUR CARTP_ROWS_HOST CARTP_ROWS_CART_MECHANISMS

/* cart's one output, Cblood (cart_observe), which is also its first signal. */
#define CARTP_CART_CBLOOD_ROW                                                                     \
  {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (E + M + X) / (V_blood 1e6)"}
#define CARTP_CART_OUTPUT_ROWS CARTP_CART_CBLOOD_ROW,

/* cart's signals (cart_equations.h's signals), at N_STATES + 0 .. 3 of the extended vector. */
#define CARTP_CART_SIGNAL_ROWS                                                                    \
  CARTP_CART_CBLOOD_ROW, {"tumour", "cells", 0.0, "tumour sum Tp + Tn"},                          \
      {"IL6s", "pg/mL", 0.0, "IL-6 able to signal: IL6 (1 - RO)"},                                \
      {"CRS", "pg/mL", 0.0, "CRS severity signal: IL6s + q_ifn S E / 1e9 (IL6s when q_ifn = 0)"},
#define CARTP_CART_N_SIGNALS 4
/* Their indices in the extended vector, for the model's enum after N_STATES. */
#define CARTP_CART_SIGNALS SIG_CBLOOD = N_STATES, SIG_TUMOUR, SIG_IL6S, SIG_CRS

/* cart's invariant zero groups (model_impl.h) and extinct states, declared by the model after its
 * enums: {E, M, X}: no CAR-T ever arises from none; {Tp, Tn}: no tumour from none; {Tp} alone:
 * after its extinction while Tn lives; {D1, D2}: no tocilizumab without an infusion. The ODE
 * keeps each set at exactly 0 (every term of their right-hand sides has a factor from the set),
 * and no row of the set depends on a state outside it while the set is 0; the solver uses this
 * to keep roundoff from seeding them. CARTP_CART_ZERO_GROUPS lists them in the model's groups. */
#define CARTP_CART_ZERO_GROUP_ARRAYS                                                              \
  static const int car_t_group[] = {E, M, X, -1};                                                 \
  static const int tumour_group[] = {TP, TN, -1};                                                 \
  static const int tp_group[] = {TP, -1};                                                         \
  static const int toci_group[] = {D1, D2, -1};                                                   \
  static const int extinct_states[] = {TP, TN, -1};
#define CARTP_CART_ZERO_GROUPS car_t_group, tumour_group, tp_group, toci_group

/* The fields of a cart_model table (model_impl.h) that cart and a model built on it fill alike,
 * from the names the model's file defines as cart.c does: outputs, check, prepare, initial, rhs,
 * jacobian, signals (CARTP_CART_SIGNAL_ROWS), the SIG_ indices, default_outputs, extinct_states,
 * zero_groups, jacobian_pattern and lanes (model_lanes.h); the rest is cart_equations.h's. */
#define CARTP_CART_MODEL_FIELDS                                                                   \
  .n_states = N_STATES, .states = states, .n_params = N_PARAMS, .params = params, .n_outputs = 1, \
  .outputs = outputs, .check = check, .derived_value = cart_derived_value, .prepare = prepare,    \
  .initial = initial, .rhs = rhs, .jacobian = jacobian, .observe = cart_observe,                  \
  .add_cart_dose = cart_add_dose, .toci_slot = CARTP_SLOT(D1), .weight_slot = CARTP_SLOT(P_WT),   \
  .f_mem_slot = CARTP_SLOT(P_F_MEM), .n_switches = 0, .switches = NULL,                           \
  .n_signals = CARTP_CART_N_SIGNALS, .signals = signals, .signal_values = cart_signal_values,     \
  .role_slots = {[CART_ROLE_CBLOOD] = CARTP_SLOT(SIG_CBLOOD),                                     \
                 [CART_ROLE_TUMOUR] = CARTP_SLOT(SIG_TUMOUR),                                     \
                 [CART_ROLE_TUMOUR_NEG] = CARTP_SLOT(TN),                                         \
                 [CART_ROLE_B] = CARTP_SLOT(B),                                                   \
                 [CART_ROLE_IL6] = CARTP_SLOT(IL6),                                               \
                 [CART_ROLE_IL6S] = CARTP_SLOT(SIG_IL6S),                                         \
                 [CART_ROLE_CRS] = CARTP_SLOT(SIG_CRS)},                                          \
  .default_outputs = default_outputs, .extinct_states = extinct_states,                           \
  .zero_groups = zero_groups, .jacobian_pattern = jacobian_pattern, .lanes = &lanes

#endif
