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
enum { DV_P0, DV_IL6_50_H, DV_H_IS_2, N_DERIVED };
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

/* The IL-6 loop of cart_common.h with this model's parameters. */
static inline double amplification(const double *p, const double *dv, double il6s)
{
  return cartp_amplification(p[P_P_AMP], dv[DV_IL6_50_H], p[P_H], dv[DV_H_IS_2] != 0.0, il6s);
}

static inline double amplification_slope(const double *p, const double *dv, double il6s)
{
  return cartp_amplification_slope(p[P_P_AMP], p[P_IL6_50], dv[DV_IL6_50_H], p[P_H],
                                   dv[DV_H_IS_2] != 0.0, il6s);
}

/* Programmed expansion and contraction: the share of antigen-driven proliferation left at time
 * t, P(t) = 1 / (1 + (t / t_prog)^n_prog); exactly 1 when t_prog = 0 (off). After antigen
 * encounter T cells run a program of expansion then contraction largely independent of further
 * antigen (Kaech & Ahmed, Nat Immunol 2001;2:415; Badovinac et al., Nat Immunol 2002;3:619). */
static inline double programme(const double *p, double t)
{
  if (p[P_T_PROG] <= 0.0 || t <= 0.0) {
    return 1.0;
  }
  return 1.0 / (1.0 + cartp_power(t / p[P_T_PROG], p[P_N_PROG]));
}

/* dP/dt = -P^2 n (t / t_prog)^(n-1) / t_prog; 0 when off. */
static inline double programme_slope(const double *p, double t)
{
  if (p[P_T_PROG] <= 0.0 || t <= 0.0) {
    return 0.0;
  }
  const double u = t / p[P_T_PROG];
  const double share = 1.0 / (1.0 + cartp_power(u, p[P_N_PROG]));
  return -share * share * p[P_N_PROG] * cartp_power(u, p[P_N_PROG] - 1.0) / p[P_T_PROG];
}

/* Immune control of small tumours: per-cell kill rate k_imm K_imm / (K_imm + Tp + Tn), so a
 * small clone dies at up to k_imm a day while a large tumour escapes (total kill saturates at
 * k_imm K_imm cells a day; Kuznetsov et al., Bull Math Biol 1994;56:295; de Pillis et al., Cancer
 * Res 2005;65:7950). 0 when k_imm = 0 (off). */
static inline double immune_control(const double *p, double tumour)
{
  return p[P_K_IMM] * p[P_K_IMM_HALF] / (p[P_K_IMM_HALF] + tumour);
}

static void prepare(const double *p, double *dv)
{
  dv[DV_H_IS_2] = p[P_H] == 2.0 ? 1.0 : 0.0;
  dv[DV_IL6_50_H] = pow(p[P_IL6_50], p[P_H]);
  /* p0 makes IL6 = il6_0 a steady state before treatment (no CAR-T, no tocilizumab). */
  dv[DV_P0] = (p[P_K_IL6] + p[P_K_REC]) * p[P_IL6_0] - amplification(p, dv, p[P_IL6_0]);
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
  const double *p = ev->p;
  const double *dv = ev->derived;
  const double e = y[E], m = y[M], x = y[X], tp = y[TP], tn = y[TN], b = y[B];
  const double il6 = y[IL6], d1 = y[D1], d2 = y[D2];

  const double antigen = tp + b;
  const double stim = antigen / (antigen + p[P_KS]);
  const double homeostatic = p[P_RHO_LD] * exp(-t / p[P_LD_TAU]);
  const double kill_per_target = p[P_GAMMA] * e / (p[P_KKILL] + antigen);
  /* a_tum < 1: a lymphoma mass is reached and killed less readily than B cells in blood and
   * marrow (its microenvironment suppresses killing; bulky disease, Locke et al., Blood Adv
   * 2020;4:4898; Jain et al., Blood 2021;137:2621); 1 (the default) is MODEL.md 2.2. */
  const double kill_tp = p[P_A_TUM] == 1.0 ? kill_per_target * tp
                                            : p[P_A_TUM] * kill_per_target * tp;
  const double kill_b = kill_per_target * b;
  const double c1 = d1 / p[P_V1];
  const double free_receptor = p[P_KD_TOCI] / (c1 + p[P_KD_TOCI]); /* 1 - RO */
  const double il6s = il6 * free_receptor;
  const double growth = 1.0 - (tp + tn) / p[P_K_TUM];
  const double prog = programme(p, t);

  f[E] = (p[P_RHO] * stim * prog + homeostatic) * e + p[P_OMEGA] * stim * m -
         (p[P_DELTA_E] + p[P_K_MEM] + p[P_K_EXH] * stim) * e;
  f[M] = p[P_K_MEM] * e - p[P_OMEGA] * stim * m - p[P_DELTA_M] * m;
  f[X] = p[P_K_EXH] * stim * e - p[P_DELTA_X] * x;
  f[TP] = p[P_R_TUM] * growth * tp - p[P_MU_LOSS] * tp - kill_tp;
  f[TN] = p[P_R_NEG] * growth * tn + p[P_MU_LOSS] * tp;
  if (p[P_K_IMM] > 0.0) {
    const double imm = immune_control(p, tp + tn);
    f[TP] -= imm * tp;
    f[TN] -= imm * tn;
  }
  f[B] = p[P_DELTA_B] * p[P_B0] - p[P_DELTA_B] * b - kill_b;
  f[IL6] = dv[DV_P0] + p[P_P_KILL] * (kill_tp + kill_b) / 1e9 + p[P_P_ACT] * stim * e / 1e9 +
           amplification(p, dv, il6s) - (p[P_K_IL6] + p[P_K_REC] * free_receptor) * il6;
  f[D1] = -(p[P_CL] / p[P_V1]) * d1 - p[P_VMAX] * c1 / (p[P_KM] + c1) - (p[P_Q] / p[P_V1]) * d1 +
          (p[P_Q] / p[P_V2]) * d2;
  f[D2] = (p[P_Q] / p[P_V1]) * d1 - (p[P_Q] / p[P_V2]) * d2;
  return 0;
}

static int jacobian(double t, const double *y, double *J, double *dfdt, const cart_model_eval *ev)
{
  const double *p = ev->p;
  const double *dv = ev->derived;
  const double e = y[E], m = y[M], tp = y[TP], tn = y[TN], b = y[B], il6 = y[IL6], d1 = y[D1];

  const double antigen = tp + b;
  const double ks_sum = antigen + p[P_KS];
  const double stim = antigen / ks_sum;
  const double dstim = p[P_KS] / (ks_sum * ks_sum); /* dS/dA */
  const double homeostatic = p[P_RHO_LD] * exp(-t / p[P_LD_TAU]);
  const double den = p[P_KKILL] + antigen;
  const double g = p[P_GAMMA];
  const double c1 = d1 / p[P_V1];
  const double kd_sum = c1 + p[P_KD_TOCI];
  const double free_receptor = p[P_KD_TOCI] / kd_sum;
  const double dro_dd1 = p[P_KD_TOCI] / (kd_sum * kd_sum) / p[P_V1]; /* dRO/dD1 */
  const double il6s = il6 * free_receptor;
  const double amp_slope = amplification_slope(p, dv, il6s);
  const double growth = 1.0 - (tp + tn) / p[P_K_TUM];
  const double inv_k = 1.0 / p[P_K_TUM];
  const double rho_prog = p[P_RHO] * programme(p, t); /* rho when the program is off */

  for (int i = 0; i < N_STATES * N_STATES; i++) {
    J[i] = 0.0;
  }
#define JAC(i, j) J[(i) * N_STATES + (j)]
  /* dE/dt */
  const double e_stim = (rho_prog * e + p[P_OMEGA] * m - p[P_K_EXH] * e) * dstim;
  JAC(E, E) = rho_prog * stim + homeostatic - (p[P_DELTA_E] + p[P_K_MEM] + p[P_K_EXH] * stim);
  JAC(E, M) = p[P_OMEGA] * stim;
  JAC(E, TP) = e_stim;
  JAC(E, B) = e_stim;
  /* dM/dt */
  JAC(M, E) = p[P_K_MEM];
  JAC(M, M) = -p[P_OMEGA] * stim - p[P_DELTA_M];
  JAC(M, TP) = -p[P_OMEGA] * m * dstim;
  JAC(M, B) = -p[P_OMEGA] * m * dstim;
  /* dX/dt */
  JAC(X, E) = p[P_K_EXH] * stim;
  JAC(X, X) = -p[P_DELTA_X];
  JAC(X, TP) = p[P_K_EXH] * e * dstim;
  JAC(X, B) = p[P_K_EXH] * e * dstim;
  /* dTp/dt; kill_Tp = a g E Tp / (Kkill + Tp + B), a = a_tum (1: MODEL.md 2.2) */
  const double a = p[P_A_TUM];
  const double ga = a == 1.0 ? g : a * g;
  JAC(TP, E) = -ga * tp / den;
  JAC(TP, TP) = p[P_R_TUM] * growth - p[P_R_TUM] * tp * inv_k - p[P_MU_LOSS] -
                ga * e * (den - tp) / (den * den);
  JAC(TP, TN) = -p[P_R_TUM] * tp * inv_k;
  JAC(TP, B) = ga * e * tp / (den * den);
  /* dTn/dt */
  JAC(TN, TP) = -p[P_R_NEG] * tn * inv_k + p[P_MU_LOSS];
  JAC(TN, TN) = p[P_R_NEG] * growth - p[P_R_NEG] * tn * inv_k;
  if (p[P_K_IMM] > 0.0) {
    /* d(imm Y)/dY' with imm = k K / (K + T): imm [Y == Y'] - imm Y / (K + T) */
    const double imm = immune_control(p, tp + tn);
    const double per_cell = imm / (p[P_K_IMM_HALF] + tp + tn);
    JAC(TP, TP) -= imm - per_cell * tp;
    JAC(TP, TN) += per_cell * tp;
    JAC(TN, TN) -= imm - per_cell * tn;
    JAC(TN, TP) += per_cell * tn;
  }
  /* dB/dt; kill_B = g E B / (Kkill + Tp + B) */
  JAC(B, E) = -g * b / den;
  JAC(B, TP) = g * e * b / (den * den);
  JAC(B, B) = -p[P_DELTA_B] - g * e * (den - b) / (den * den);
  /* dIL6/dt; kill_Tp + kill_B = g E (a Tp + B) / (Kkill + Tp + B) */
  if (a == 1.0) { /* = g E A / (Kkill + A): MODEL.md 2.2's expressions, bit for bit */
    const double il6_from_antigen =
        p[P_P_KILL] * g * e * p[P_KKILL] / (den * den) / 1e9 + p[P_P_ACT] * e * dstim / 1e9;
    JAC(IL6, E) = p[P_P_KILL] * g * antigen / den / 1e9 + p[P_P_ACT] * stim / 1e9;
    JAC(IL6, TP) = il6_from_antigen;
    JAC(IL6, B) = il6_from_antigen;
  } else {
    const double killed = a * tp + b;
    const double act = p[P_P_ACT] * e * dstim / 1e9;
    JAC(IL6, E) = p[P_P_KILL] * g * killed / den / 1e9 + p[P_P_ACT] * stim / 1e9;
    JAC(IL6, TP) = p[P_P_KILL] * g * e * (a * den - killed) / (den * den) / 1e9 + act;
    JAC(IL6, B) = p[P_P_KILL] * g * e * (den - killed) / (den * den) / 1e9 + act;
  }
  JAC(IL6, IL6) = amp_slope * free_receptor - (p[P_K_IL6] + p[P_K_REC] * free_receptor);
  JAC(IL6, D1) = -amp_slope * il6 * dro_dd1 + p[P_K_REC] * dro_dd1 * il6;
  /* tocilizumab PK */
  const double km_sum = p[P_KM] + c1;
  JAC(D1, D1) = -p[P_CL] / p[P_V1] - p[P_VMAX] * p[P_KM] / (km_sum * km_sum) / p[P_V1] -
                p[P_Q] / p[P_V1];
  JAC(D1, D2) = p[P_Q] / p[P_V2];
  JAC(D2, D1) = p[P_Q] / p[P_V1];
  JAC(D2, D2) = -p[P_Q] / p[P_V2];
#undef JAC
  for (int i = 0; i < N_STATES; i++) {
    dfdt[i] = 0.0;
  }
  dfdt[E] = -homeostatic / p[P_LD_TAU] * e; /* H(t) and the program P(t) depend on t */
  if (p[P_T_PROG] > 0.0) {
    dfdt[E] += p[P_RHO] * stim * programme_slope(p, t) * e;
  }
  return 0;
}

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
  observe(0.0, y, p, &out[0]);
  out[1] = y[TP] + y[TN];
  const double c1 = y[D1] / p[P_V1];
  out[2] = y[IL6] * p[P_KD_TOCI] / (c1 + p[P_KD_TOCI]);
  /* A CAR-T-derived cytokine (IFN-gamma-like, half-life of hours: at quasi-steady state) that
   * IL-6R blockade does not block (Teachey et al., Cancer Discov 2016;6:664; Norelli et al.,
   * Nat Med 2018;24:739), in IL-6-equivalent pg/mL. */
  out[3] = out[2];
  if (p[P_Q_IFN] > 0.0) {
    const double antigen = y[TP] + y[B];
    const double stim = antigen / (antigen + p[P_KS]);
    out[3] += p[P_Q_IFN] * stim * y[E] / 1e9;
  }
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
    .toci_state = D1,
    .weight_param = P_WT,
    .f_mem_param = P_F_MEM,
    .n_switches = 0,
    .switches = NULL,
    .n_signals = 4,
    .signals = signals,
    .signal_values = signal_values,
    .roles = {SIG_CBLOOD, SIG_TUMOUR, TN, B, IL6, SIG_IL6S, SIG_CRS},
    .b0_param = P_B0,
    .default_outputs = default_outputs,
    .extinct_states = extinct_states,
    .zero_groups = zero_groups,
    .jacobian_pattern = jacobian_pattern,
};
