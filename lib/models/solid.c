/* solid.c: CAR-T in a solid tumour (doc/models.md, "solid"; issue 15; notes/models.md 2c).
 *
 * CAR-T cells live in blood and lymphoid tissue (Eb effector, Mb memory) and reach the tumour
 * only through its perfusion: the entry rate per circulating cell is proportional to the
 * perfused tumour mass [Brown 2021; mPBPK JPKPD 2022]. In the tumour, effectors (Et) expand on
 * antigen (following cart's programme of expansion then contraction, t_prog) and kill
 * antigen-positive cells (Tp), both damped by a lumped suppressive factor Z
 * (TGF-beta and MDSC, made by the tumour) [Santurio 2024]; they exhaust (Xt) at a rate that
 * PD-L1 raises unless an anti-PD-1 antibody (two-compartment PK, A1 and A2) occupies PD-1, and
 * blockade reinvigorates exhausted cells. Antigen-negative cells (Tn) are present from the start
 * (heterogeneous antigen) and die only as bystanders of killing nearby. An optional healthy
 * antigen-positive tissue H (relative, 1 intact) is damaged by circulating effectors (on-target
 * off-tumour toxicity [Santurio & Barros 2022]). IL-6 and tocilizumab are cart's (MODEL.md 2.2),
 * from cart_common.h. Sources and units of every parameter: the table below and doc/models.md.
 *
 * The right-hand side, Jacobian and signals are written once, over SIMD lanes
 * (solid_equations.h, which holds lane forms of cart_common.h's IL-6 loop, programme and antibody
 * PK doing the same operations), so a trial solves its patients one per lane
 * (lib/solver/batch.c), bit for bit what it computes one patient at a time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cart_common.h"

enum { EB, MB, ET, XT, TP, TN, Z, H, IL6, D1, D2, A1, A2, N_STATES };

enum {
  P_DOSE, P_F_MEM, P_RHO, P_KS, P_RHO_LD, P_LD_TAU, P_OMEGA, P_DELTA_E, P_K_MEM, P_K_EXH,
  P_PHI_PDL1, P_K_REV, P_DELTA_M, P_DELTA_X, P_GAMMA, P_KKILL, P_K_IN, P_K_OUT,
  P_T0, P_F_NEG0, P_R_TUM, P_R_NEG, P_K_TUM, P_MU_LOSS, P_B_BY, P_Z_MAX, P_K_Z, P_D_Z,
  P_DOSE_PD1, P_N_PD1, P_TAU_PD1, P_T_PD1, P_CL_PD1, P_V1_PD1, P_V2_PD1, P_Q_PD1, P_KD_PD1,
  P_K_H, P_R_H, P_T_PROG, P_N_PROG,
  P_IL6_0, P_K_IL6, P_K_REC, P_P_KILL, P_P_ACT, P_P_AMP, P_IL6_50, P_H, P_CL, P_V1, P_V2, P_Q,
  P_VMAX, P_KM, P_KD_TOCI, P_WT, P_V_BLOOD, P_F_BLOOD, N_PARAMS
};

enum { DV_P0, DV_IL6_50_H, DV_H_IS_2, DV_KDV_PD1, N_DERIVED };
_Static_assert(N_DERIVED <= CART_MAX_DERIVED, "derived block too small");

/* Tumour cells per unit of the entry rate k_in (1/day per 1e10 tumour cells). */
#define ENTRY_SCALE 1e10
/* Circulating effectors per unit of the off-tumour damage rate k_H (1/day per 1e9 cells). */
#define DAMAGE_SCALE 1e9
/* The most anti-PD-1 doses (n_pd1): 26 doses q3w cover a year and a half. */
#define MAX_PD1_DOSES 26

static const cart_state_info states[N_STATES] = {
    {"Eb", "cells", 1.0, "effector CAR-T cells in blood and lymphoid tissue"},
    {"Mb", "cells", 1.0, "memory CAR-T cells in blood and lymphoid tissue"},
    {"Et", "cells", 1.0, "effector CAR-T cells in the tumour"},
    {"Xt", "cells", 1.0, "exhausted CAR-T cells in the tumour"},
    {"Tp", "cells", 1.0, "antigen-positive tumour cells"},
    {"Tn", "cells", 1.0, "antigen-negative tumour cells"},
    {"Z", "1", 1e-9, "suppressive factor of the microenvironment (TGF-beta, MDSC), in units of its half-effect level"},
    {"H", "1", 1e-9, "healthy antigen-positive tissue, share intact (on-target off-tumour)"},
    {"IL6", "pg/mL", 1e-3, "serum IL-6"},
    {"D1", "mg", 1e-6, "tocilizumab, central compartment"},
    {"D2", "mg", 1e-6, "tocilizumab, peripheral compartment"},
    {"A1", "mg", 1e-6, "anti-PD-1 antibody, central compartment"},
    {"A2", "mg", 1e-6, "anti-PD-1 antibody, peripheral compartment"},
};

static const cart_state_info outputs[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (Eb + Mb) / (V_blood 1e6)"},
};

/* name, unit, default, lower, upper, lower open, upper open, meaning [source]. The defaults are
 * an unselected solid tumour, tuned to a low response (doc/models.md, "solid"). */
static const cart_param_info params[N_PARAMS] = {
    {"dose", "cells", 3e8, 0, 1e11, CLOSED, CLOSED, "CAR-T cells infused at t = 0 (solid-tumour trials give 1e8-5e8; CT041 2.5e8-5e8 [Qi 2022])"},
    {"f_mem", "1", 0.2, 0, 1, CLOSED, CLOSED, "fraction of the product with memory phenotype (cart's)"},
    {"rho", "1/day", 1.5, 0, 10, CLOSED, CLOSED, "maximal antigen-driven expansion in the tumour (chosen: a blood peak in 2-3 weeks; 0.9 in Santurio & Barros 2022 p_C)"},
    {"KS", "cells", 1e10, 0, INF, OPEN, OPEN, "antigen-positive tumour of half-maximal stimulation [Santurio & Barros 2022 g_T]"},
    {"rho_ld", "1/day", 0.3, 0, 10, CLOSED, CLOSED, "antigen-independent expansion right after lymphodepletion (half cart's: no antigen in blood)"},
    {"ld_tau", "day", 7, 0, INF, OPEN, OPEN, "decay time of the lymphodepletion-driven expansion (cart's)"},
    {"omega", "1/day", 0.2, 0, 10, CLOSED, CLOSED, "antigen-driven memory-to-effector conversion, at the tumour's stimulation (cart's)"},
    {"delta_E", "1/day", 0.14, 0, 10, CLOSED, CLOSED, "effector death rate (lifespan 7 days [Santurio & Barros 2022 tau_C])"},
    {"k_mem", "1/day", 0.02, 0, 1, CLOSED, CLOSED, "effector-to-memory conversion in blood (cart's)"},
    {"k_exh", "1/day", 0.05, 0, 1, CLOSED, CLOSED, "stimulation-driven exhaustion without PD-L1 (cart's)"},
    {"phi_pdl1", "1", 2, 0, 20, CLOSED, CLOSED, "extra exhaustion by PD-L1 on unblocked PD-1, relative to k_exh [notes 2c: 1-3]"},
    {"k_rev", "1/day", 0.05, 0, 1, CLOSED, CLOSED, "reinvigoration of exhausted cells at full PD-1 occupancy (assumption)"},
    {"delta_M", "1/day", 0.01, 0, 1, CLOSED, CLOSED, "memory death rate (sets persistence)"},
    {"delta_X", "1/day", 0.1, 0, 10, CLOSED, CLOSED, "exhausted-cell death rate (cart's)"},
    {"gamma", "1/day", 2.5, 0, 100, CLOSED, CLOSED, "targets killed per tumour effector per day at saturation (gamma/Kkill = 2.5e-10 /(cell day) [Santurio & Barros 2022 gamma_T])"},
    {"Kkill", "cells", 1e10, 0, INF, OPEN, OPEN, "target load of half-saturated killing"},
    {"k_in", "1/day per 1e10 cells", 0.01, 0, 10, CLOSED, CLOSED, "entry of circulating CAR-T into the tumour per 1e10 tumour cells (perfusion-limited [Brown 2021])"},
    {"k_out", "1/day", 0.05, 0, 10, CLOSED, CLOSED, "return of tumour effectors to blood (assumption)"},
    {"T0", "cells", 5e10, 0, 1e13, CLOSED, CLOSED, "tumour burden at infusion (measurable disease, ~50 g)"},
    {"f_neg0", "1", 0.3, 0, 1, CLOSED, CLOSED, "antigen-negative share of the tumour at infusion [notes 2c: 0.1-0.5; Qi 2022 Table 1]"},
    {"r_tum", "1/day", 0.012, 0, 2, CLOSED, CLOSED, "antigen-positive tumour growth rate [Santurio & Barros 2022 omega_T]"},
    {"r_neg", "1/day", 0.012, 0, 2, CLOSED, CLOSED, "antigen-negative tumour growth rate"},
    {"K_tum", "cells", 8.5e11, 0, INF, OPEN, OPEN, "tumour carrying capacity [Santurio & Barros 2022 k]"},
    {"mu_loss", "1/day", 1e-6, 0, 1, CLOSED, CLOSED, "antigen-loss switching rate (assumption)"},
    {"b_by", "1", 0.1, 0, 1, CLOSED, CLOSED, "bystander killing of antigen-negative cells relative to antigen-positive (assumption)"},
    {"z_max", "1", 1.6, 0, 100, CLOSED, CLOSED, "suppressive factor of a large tumour, in units of its half-effect level"},
    {"K_Z", "cells", 1e10, 0, INF, OPEN, OPEN, "tumour burden of half-maximal suppressive factor"},
    {"d_Z", "1/day", 0.2, 0, 10, OPEN, CLOSED, "turnover of the suppressive factor (assumption)"},
    {"dose_pd1", "mg", 0, 0, 2000, CLOSED, CLOSED, "anti-PD-1 dose (0: none; pembrolizumab 200 mg [label])"},
    {"n_pd1", "1", 18, 0, MAX_PD1_DOSES, CLOSED, CLOSED, "number of anti-PD-1 doses (an integer)"},
    {"tau_pd1", "day", 21, 1, 365, CLOSED, CLOSED, "anti-PD-1 dosing interval (q3w [label])"},
    {"t_pd1", "day", 0, 0, 365, CLOSED, CLOSED, "first anti-PD-1 dose"},
    {"CL_pd1", "L/day", 0.22, 0, INF, CLOSED, OPEN, "anti-PD-1 clearance [Ahamadi 2017, M]"},
    {"V1_pd1", "L", 3.48, 0, INF, OPEN, OPEN, "anti-PD-1 central volume [Ahamadi 2017, M]"},
    {"V2_pd1", "L", 4.06, 0, INF, OPEN, OPEN, "anti-PD-1 peripheral volume [Ahamadi 2017, M]"},
    {"Q_pd1", "L/day", 0.795, 0, INF, CLOSED, OPEN, "anti-PD-1 inter-compartment clearance [Ahamadi 2017, M]"},
    {"KD_pd1", "mg/L", 0.5, 0, INF, OPEN, OPEN, "serum anti-PD-1 of half PD-1 occupancy in the tumour [notes 2c, M]"},
    {"k_H", "1/day per 1e9 cells", 0, 0, 100, CLOSED, CLOSED, "damage of healthy antigen-positive tissue per 1e9 circulating effectors (0: off)"},
    {"r_H", "1/day", 0.05, 0, 10, OPEN, CLOSED, "repair of healthy tissue (assumption)"},
    {"t_prog", "day", 21, 0, 365, CLOSED, CLOSED, "time at which antigen-driven proliferation has halved (programmed contraction, cart's; 0: off)"},
    {"n_prog", "1", 4, 1, 20, CLOSED, CLOSED, "steepness of the programmed decline of proliferation (cart's)"},
    CARTP_ROWS_IL6_TOCI_BLOOD
};

/* The right-hand side, Jacobian and signals, written once (solid_equations.h) and compiled here
 * for one patient (the functions named _1) and, after the model's functions, for one patient per
 * SIMD lane (`lanes`). */
#define CARTP_LANE_W 1
#include "../util/lanes.h"
#include "solid_equations.h"

static void prepare(const double *p, double *dv)
{
  dv[DV_H_IS_2] = p[P_H] == 2.0 ? 1.0 : 0.0;
  dv[DV_IL6_50_H] = pow(p[P_IL6_50], p[P_H]);
  /* p0 makes IL6 = il6_0 a steady state before treatment (MODEL.md 2.2). */
  dv[DV_P0] = (p[P_K_IL6] + p[P_K_REC]) * p[P_IL6_0] - amplification_1(p, dv, p[P_IL6_0]);
  dv[DV_KDV_PD1] = p[P_KD_PD1] * p[P_V1_PD1]; /* the amount in V1 of half occupancy, mg */
}

static int check(const double *p, char *message, size_t size)
{
  const double n = p[P_N_PD1];
  if (n != floor(n)) {
    snprintf(message, size, "model 'solid': n_pd1 must be a whole number of doses (got %g)", n);
    return CART_ERULE;
  }
  double dv[CART_MAX_DERIVED];
  prepare(p, dv);
  return cartp_il6_rules("solid", p[P_P_AMP], p[P_IL6_50], p[P_H], p[P_K_IL6], p[P_K_REC],
                         dv[DV_P0], message, size);
}

static int derived_value(const double *p, const char *name, double *value)
{
  double dv[CART_MAX_DERIVED];
  prepare(p, dv);
  return cartp_il6_derived_value(name, dv[DV_P0], p[P_P_AMP], p[P_IL6_50], p[P_H], value);
}

static void initial(const double *p, const double *dv, double *y, int *mode)
{
  (void)dv;
  for (int i = 0; i < N_STATES; i++) {
    y[i] = 0.0;
  }
  y[EB] = (1.0 - p[P_F_MEM]) * p[P_DOSE];
  y[MB] = p[P_F_MEM] * p[P_DOSE];
  y[TP] = (1.0 - p[P_F_NEG0]) * p[P_T0];
  y[TN] = p[P_F_NEG0] * p[P_T0];
  y[Z] = z_target_1(p, p[P_T0]); /* the tumour's microenvironment is established at infusion */
  y[H] = 1.0;
  y[IL6] = p[P_IL6_0];
  *mode = 0;
}

/* The same equations over lanes of 8 (AVX-512), 4 (AVX2) and 2 (SSE2) patients: `lanes`. The
 * anti-PD-1 doses below are model switches, which the batch solve applies lane by lane with the
 * one-patient code (lib/solver/batch.c), as it does cart's infusions and tocilizumab. */
#define CARTP_MODEL_EQUATIONS "solid_equations.h"
#define CARTP_MODEL_RHS solid_rhs
#define CARTP_MODEL_JACOBIAN solid_jacobian
#define CARTP_MODEL_SIGNALS solid_signals
#include "model_lanes.h"

static void observe(double t, const double *y, const double *p, double *out)
{
  (void)t;
  out[0] = p[P_F_BLOOD] * (y[EB] + y[MB]) / (p[P_V_BLOOD] * 1e6);
}

/* Anti-PD-1 doses: dose k (0, 1, ...) at t_pd1 + k tau_pd1 while k < n_pd1 and dose_pd1 > 0,
 * each a bolus of dose_pd1 mg into A1 (model switches; a dose that is not given is at +inf). */
static double pd1_dose_time(const double *p, int k)
{
  return p[P_DOSE_PD1] > 0.0 && k < p[P_N_PD1] ? p[P_T_PD1] + k * p[P_TAU_PD1] : INFINITY;
}

static void pd1_dose(const double *p, double *y, int *mode)
{
  (void)mode;
  y[A1] += p[P_DOSE_PD1];
}

#define PD1_TIME(k)                                                                               \
  static double pd1_time_##k(const double *p)                                                     \
  {                                                                                               \
    return pd1_dose_time(p, k);                                                                   \
  }
PD1_TIME(0) PD1_TIME(1) PD1_TIME(2) PD1_TIME(3) PD1_TIME(4) PD1_TIME(5) PD1_TIME(6)
PD1_TIME(7) PD1_TIME(8) PD1_TIME(9) PD1_TIME(10) PD1_TIME(11) PD1_TIME(12) PD1_TIME(13)
PD1_TIME(14) PD1_TIME(15) PD1_TIME(16) PD1_TIME(17) PD1_TIME(18) PD1_TIME(19) PD1_TIME(20)
PD1_TIME(21) PD1_TIME(22) PD1_TIME(23) PD1_TIME(24) PD1_TIME(25)
#undef PD1_TIME

#define PD1_SWITCH(k) {pd1_time_##k, pd1_dose}
static const cart_model_switch switches[MAX_PD1_DOSES] = {
    PD1_SWITCH(0),  PD1_SWITCH(1),  PD1_SWITCH(2),  PD1_SWITCH(3),  PD1_SWITCH(4),
    PD1_SWITCH(5),  PD1_SWITCH(6),  PD1_SWITCH(7),  PD1_SWITCH(8),  PD1_SWITCH(9),
    PD1_SWITCH(10), PD1_SWITCH(11), PD1_SWITCH(12), PD1_SWITCH(13), PD1_SWITCH(14),
    PD1_SWITCH(15), PD1_SWITCH(16), PD1_SWITCH(17), PD1_SWITCH(18), PD1_SWITCH(19),
    PD1_SWITCH(20), PD1_SWITCH(21), PD1_SWITCH(22), PD1_SWITCH(23), PD1_SWITCH(24),
    PD1_SWITCH(25),
};
#undef PD1_SWITCH

/* Signals: Cblood, the tumour sum, CAR-T in the tumour, IL6s = IL6 (1 - RO) (the CRS signal, as
 * cart2's) and anti-PD-1 occupancy. */
static const cart_state_info signals[] = {
    {"Cblood", "cells/uL", 0.0, "CAR-T cells in blood: f_blood (Eb + Mb) / (V_blood 1e6)"},
    {"tumour", "cells", 0.0, "tumour sum Tp + Tn"},
    {"Ctumour", "cells", 0.0, "CAR-T cells in the tumour, Et + Xt"},
    {"IL6s", "pg/mL", 0.0, "IL-6 able to signal: IL6 (1 - RO)"},
    {"PD1occ", "1", 0.0, "PD-1 occupancy by the anti-PD-1 antibody: A1 / (A1 + KD_pd1 V1_pd1)"},
};
enum { SIG_CBLOOD = N_STATES, SIG_TUMOUR, SIG_CTUMOUR, SIG_IL6S, SIG_PD1OCC, SIG_END };
_Static_assert(SIG_END - N_STATES <= CART_MAX_SIGNALS, "too many signals");
static const char *const default_outputs[] = {"Cblood", "tumour", "Ctumour", "Tn", "Z", "IL6s",
                                              "PD1occ", NULL};

static void signal_values(const double *y, const double *p, double *out)
{
  solid_signals_1(y, p, out); /* the same for one patient and for lanes */
}

static void add_cart_dose(double *y, double cells, double f_mem)
{
  y[EB] += (1.0 - f_mem) * cells;
  y[MB] += f_mem * cells;
}

/* The endpoints (doc/models.md, "solid"): the blood kinetics of the oncology list, RECIST
 * response, persistence, the tumour-infiltrating peak, CRS and off-tumour damage. */
#define INPUT(role) CARTP_SLOT(CART_ROLE_##role)
#define LEVEL(name) CARTP_TRIAL_LEVEL(name)
static const cartp_endpoint endpoints[] = {
    {{"cmax", "cells/uL", 0, "max of Cblood over the horizon"}, CARTP_REDUCE_MAX, INPUT(CBLOOD),
     0, CARTP_NO_LEVELS},
    {{"tmax", "day", 0, "time of cmax"}, CARTP_REDUCE_TIME_OF_MAX, INPUT(CBLOOD), 0,
     CARTP_NO_LEVELS},
    {{"auc28", "cells/uL*day", 0, "integral of Cblood from 0 to 28"}, CARTP_REDUCE_INTEGRAL,
     INPUT(CBLOOD), 0, {LEVEL("auc_end")}},
    {{"tumour_nadir", "cells", 0, "min of the tumour sum"}, CARTP_REDUCE_MIN, INPUT(TUMOUR), 0,
     CARTP_NO_LEVELS},
    {{"response", "1", 1,
      "RECIST-like best response: 2 CR (tumour below n_detect before t_resp), 1 PR (nadir <= "
      "pr_fraction * T0), 0 SD/PD"},
     CARTP_REDUCE_RECIST, INPUT(TUMOUR), 0,
     {LEVEL("n_detect"), LEVEL("t_resp"),
      {{"pr_fraction", "1", 0.343, 0, 1, 1, 0,
        "partial response: tumour volume at most this share of baseline (RECIST 30 % diameter "
        "decrease: 0.7^3)"},
       CART_LEVEL_ABSOLUTE, NULL}}},
    {{"persistence", "day", 0,
      "first time after its peak that Cblood falls to cblood_detect (the horizon if it does not)"},
     CARTP_REDUCE_FALL_AFTER_MAX, INPUT(CBLOOD), 0,
     {{{"cblood_detect", "cells/uL", 0.1, 0, INF, 1, 0,
        "detection limit of CAR-T cells in blood (persistence)"},
       CART_LEVEL_ABSOLUTE, NULL}}},
    {{"til_peak", "cells", 0, "max of CAR-T cells in the tumour (Et + Xt)"}, CARTP_REDUCE_MAX,
     INPUT(CTUMOUR), 0, CARTP_NO_LEVELS},
    {{"il6_peak", "pg/mL", 0, "max serum IL6"}, CARTP_REDUCE_MAX, INPUT(IL6), 0,
     CARTP_NO_LEVELS},
    {{"crs_grade", "1", 1, "number of the thresholds crs_g1..crs_g4 that max IL6s exceeded"},
     CARTP_REDUCE_GRADE, INPUT(CRS), 0,
     {LEVEL("crs_g1"), LEVEL("crs_g2"), LEVEL("crs_g3"), LEVEL("crs_g4")}},
    {{"crs_onset", "day", 0, "first time IL6s exceeds crs_g1; NaN if never"},
     CARTP_REDUCE_FIRST_ABOVE, INPUT(CRS), 0, {LEVEL("crs_g1")}},
    {{"toci_doses", "1", 1, "tocilizumab doses given"}, CARTP_REDUCE_TOCI_DOSES, 0, 0,
     CARTP_NO_LEVELS},
    {{"tissue_nadir", "1", 0,
      "min share of the healthy antigen-positive tissue left intact (1 without k_H)"},
     CARTP_REDUCE_MIN, INPUT(TISSUE), 0, CARTP_NO_LEVELS},
};
#undef LEVEL
#undef INPUT

/* Invariant zero groups (model_impl.h), each checked against rhs() and jacobian() above:
 *  {Eb, Mb, Et, Xt}: every term of their equations has a factor from the group;
 *  {Tp}: every term of f_Tp has the factor Tp; {Tp, Tn}: f_Tn adds mu_loss Tp;
 *  {D1, D2}, {A1, A2}: linear (and Michaelis-Menten) in their own states. */
static const int car_t_group[] = {EB, MB, ET, XT, -1};
static const int tp_group[] = {TP, -1};
static const int tumour_group[] = {TP, TN, -1};
static const int toci_group[] = {D1, D2, -1};
static const int pd1_group[] = {A1, A2, -1};
static const int *const zero_groups[] = {car_t_group, tumour_group, tp_group, toci_group,
                                         pd1_group, NULL};
static const int extinct_states[] = {TP, TN, -1};

/* The core {Eb, Mb, Et, Xt, Tp, Tn, Z} is one block (trafficking, killing, suppression); H and
 * IL-6 only read it, tocilizumab {D1, D2} stands alone and anti-PD-1 {A1, A2} only feeds it. */
static const char *const jacobian_pattern[N_STATES] = {
    /* Eb Mb Et Xt Tp Tn Z H IL6 D1 D2 A1 A2 */
    "xxx.xx.......", /* Eb */
    "xx..x........", /* Mb */
    "x.xxxxx....x.", /* Et */
    "..xxx......x.", /* Xt */
    "..x.xxx......", /* Tp */
    "..x.xxx......", /* Tn */
    "....xxx......", /* Z */
    "x......x.....", /* H */
    "..x.xxx.xx...", /* IL6 */
    ".........xx..", /* D1 */
    ".........xx..", /* D2 */
    "...........xx", /* A1 */
    "...........xx", /* A2 */
};

const cart_model cartp_model_solid = {
    .name = "solid",
    .description = "CAR-T in a solid tumour: trafficking, suppressive microenvironment, PD-1 "
                   "exhaustion and anti-PD-1, heterogeneous antigen (doc/models.md)",
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
    .n_switches = MAX_PD1_DOSES,
    .switches = switches,
    .n_signals = SIG_END - N_STATES,
    .signals = signals,
    .signal_values = signal_values,
    .role_slots = {[CART_ROLE_CBLOOD] = CARTP_SLOT(SIG_CBLOOD),
                   [CART_ROLE_TUMOUR] = CARTP_SLOT(SIG_TUMOUR),
                   [CART_ROLE_TUMOUR_NEG] = CARTP_SLOT(TN),
                   [CART_ROLE_IL6] = CARTP_SLOT(IL6),
                   [CART_ROLE_IL6S] = CARTP_SLOT(SIG_IL6S),
                   [CART_ROLE_CRS] = CARTP_SLOT(SIG_IL6S),
                   [CART_ROLE_CTUMOUR] = CARTP_SLOT(SIG_CTUMOUR),
                   [CART_ROLE_TISSUE] = CARTP_SLOT(H)},
    .n_endpoints = sizeof endpoints / sizeof endpoints[0],
    .endpoints = endpoints,
    .default_outputs = default_outputs,
    .extinct_states = extinct_states,
    .zero_groups = zero_groups,
    .lanes = &lanes,
    .jacobian_pattern = jacobian_pattern,
};
