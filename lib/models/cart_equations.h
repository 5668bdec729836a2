/* cart_equations.h: model cart's right-hand side and Jacobian (MODEL.md 2.2), written once and
 * compiled for one patient (double) and for one patient per SIMD lane (lib/util/lanes.h).
 *
 * Included by cart.c and by the models built on cart (allo.c, through allo_equations.h), once
 * per width, after defining CARTP_LANE_W (1: scalar) and including lib/util/lanes.h; the state,
 * parameter and derived names are cart_parts.h's, and J is N_STATES x N_STATES (the including
 * model's: cart's rows and columns are filled, the rest zeroed). Every branch on a
 * parameter or a state is a select (CARTP_SEL) that picks, lane by lane, exactly what the scalar
 * code computes; a term that costs a library call (pow, exp) is computed only when some lane
 * needs it. The scalar instantiation is the code cart.c had before, operation for operation. */

#define CARTP_LANE_TERMS_IL6_LOOP
#define CARTP_LANE_TERMS_PROGRAMME
#include "lane_terms.h"

/* Immune control of small tumours: per-cell kill rate k_imm K_imm / (K_imm + Tp + Tn), so a
 * small clone dies at up to k_imm a day while a large tumour escapes (total kill saturates at
 * k_imm K_imm cells a day; Kuznetsov et al., Bull Math Biol 1994;56:295; de Pillis et al., Cancer
 * Res 2005;65:7950). 0 when k_imm = 0 (off). */
static inline CARTP_R CARTP_EQ(immune_control)(const CARTP_R *p, CARTP_R tumour)
{
  return p[P_K_IMM] * p[P_K_IMM_HALF] / (p[P_K_IMM_HALF] + tumour);
}

static inline void CARTP_EQ(rhs)(CARTP_R t, const CARTP_R *y, CARTP_R *f, const CARTP_R *p,
                                 const CARTP_R *dv)
{
  const CARTP_R e = y[E], m = y[M], x = y[X], tp = y[TP], tn = y[TN], b = y[B];
  const CARTP_R il6 = y[IL6], d1 = y[D1], d2 = y[D2];

  const CARTP_R antigen = tp + b;
  const CARTP_R stim = antigen / (antigen + p[P_KS]);
  const CARTP_R homeostatic = p[P_RHO_LD] * CARTP_EXP(-t * dv[DV_INV_LD_TAU]);
  const CARTP_R kill_per_target = p[P_GAMMA] * e / (p[P_KKILL] + antigen);
  /* a_tum < 1: a lymphoma mass is reached and killed less readily than B cells in blood and
   * marrow (its microenvironment suppresses killing; bulky disease, Locke et al., Blood Adv
   * 2020;4:4898; Jain et al., Blood 2021;137:2621); 1 (the default) is MODEL.md 2.2. */
  const CARTP_R kill_tp = CARTP_SEL(p[P_A_TUM] == 1.0, kill_per_target * tp,
                                    p[P_A_TUM] * kill_per_target * tp);
  const CARTP_R kill_b = kill_per_target * b;
  const CARTP_R c1 = d1 * dv[DV_INV_V1];
  const CARTP_R free_receptor = p[P_KD_TOCI] / (c1 + p[P_KD_TOCI]); /* 1 - RO */
  const CARTP_R il6s = il6 * free_receptor;
  const CARTP_R growth = 1.0 - (tp + tn) * dv[DV_INV_K_TUM];
  const CARTP_R prog = CARTP_EQ(programme)(p, t, NULL);

  f[E] = (p[P_RHO] * stim * prog + homeostatic) * e + p[P_OMEGA] * stim * m -
         (p[P_DELTA_E] + p[P_K_MEM] + p[P_K_EXH] * stim) * e;
  f[M] = p[P_K_MEM] * e - p[P_OMEGA] * stim * m - p[P_DELTA_M] * m;
  f[X] = p[P_K_EXH] * stim * e - p[P_DELTA_X] * x;
  f[TP] = p[P_R_TUM] * growth * tp - p[P_MU_LOSS] * tp - kill_tp;
  f[TN] = p[P_R_NEG] * growth * tn + p[P_MU_LOSS] * tp;
  const CARTP_M imm_on = CARTP_MASK(p[P_K_IMM] > 0.0);
  if (CARTP_ANY(imm_on)) {
    const CARTP_R imm = CARTP_EQ(immune_control)(p, tp + tn);
    f[TP] = CARTP_SEL(imm_on, f[TP] - imm * tp, f[TP]);
    f[TN] = CARTP_SEL(imm_on, f[TN] - imm * tn, f[TN]);
  }
  f[B] = p[P_DELTA_B] * p[P_B0] - p[P_DELTA_B] * b - kill_b;
  f[IL6] = dv[DV_P0] + dv[DV_P_KILL_9] * (kill_tp + kill_b) + dv[DV_P_ACT_9] * stim * e +
           CARTP_EQ(amplification)(p, dv, il6s) -
           (p[P_K_IL6] + p[P_K_REC] * free_receptor) * il6;
  f[D1] = -dv[DV_CL_V1] * d1 - p[P_VMAX] * c1 / (p[P_KM] + c1) - dv[DV_Q_V1] * d1 +
          dv[DV_Q_V2] * d2;
  f[D2] = dv[DV_Q_V1] * d1 - dv[DV_Q_V2] * d2;
}

static inline void CARTP_EQ(jacobian)(CARTP_R t, const CARTP_R *y, CARTP_R *J, CARTP_R *dfdt,
                                      const CARTP_R *p, const CARTP_R *dv)
{
  const CARTP_R e = y[E], m = y[M], tp = y[TP], tn = y[TN], b = y[B], il6 = y[IL6], d1 = y[D1];

  const CARTP_R antigen = tp + b;
  const CARTP_R inv_ks_sum = 1.0 / (antigen + p[P_KS]);
  const CARTP_R stim = antigen * inv_ks_sum;
  const CARTP_R dstim = p[P_KS] * inv_ks_sum * inv_ks_sum; /* dS/dA */
  const CARTP_R homeostatic = p[P_RHO_LD] * CARTP_EXP(-t * dv[DV_INV_LD_TAU]);
  const CARTP_R den = p[P_KKILL] + antigen;
  const CARTP_R inv_den = 1.0 / den, inv_den2 = inv_den * inv_den;
  const CARTP_R g = p[P_GAMMA];
  const CARTP_R c1 = d1 * dv[DV_INV_V1];
  const CARTP_R inv_kd_sum = 1.0 / (c1 + p[P_KD_TOCI]);
  const CARTP_R free_receptor = p[P_KD_TOCI] * inv_kd_sum;
  const CARTP_R dro_dd1 = free_receptor * inv_kd_sum * dv[DV_INV_V1]; /* dRO/dD1 */
  const CARTP_R il6s = il6 * free_receptor;
  const CARTP_R amp_slope = CARTP_EQ(amplification_slope)(p, dv, il6s);
  const CARTP_R inv_k = dv[DV_INV_K_TUM];
  const CARTP_R growth = 1.0 - (tp + tn) * inv_k;
  CARTP_R prog_slope;
  const CARTP_R rho_prog = p[P_RHO] * CARTP_EQ(programme)(p, t, &prog_slope); /* rho when off */

  for (int i = 0; i < N_STATES * N_STATES; i++) {
    J[i] = CARTP_ZERO;
  }
#define JAC(i, j) J[(i) * N_STATES + (j)]
  /* dE/dt */
  const CARTP_R e_stim = (rho_prog * e + p[P_OMEGA] * m - p[P_K_EXH] * e) * dstim;
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
  const CARTP_R a = p[P_A_TUM];
  const CARTP_M a_is_1 = CARTP_MASK(a == 1.0);
  const CARTP_R ga = CARTP_SEL(a_is_1, g, a * g);
  JAC(TP, E) = -ga * tp * inv_den;
  JAC(TP, TP) = p[P_R_TUM] * growth - p[P_R_TUM] * tp * inv_k - p[P_MU_LOSS] -
                ga * e * (den - tp) * inv_den2;
  JAC(TP, TN) = -p[P_R_TUM] * tp * inv_k;
  JAC(TP, B) = ga * e * tp * inv_den2;
  /* dTn/dt */
  JAC(TN, TP) = -p[P_R_NEG] * tn * inv_k + p[P_MU_LOSS];
  JAC(TN, TN) = p[P_R_NEG] * growth - p[P_R_NEG] * tn * inv_k;
  const CARTP_M imm_on = CARTP_MASK(p[P_K_IMM] > 0.0);
  if (CARTP_ANY(imm_on)) {
    /* d(imm Y)/dY' with imm = k K / (K + T): imm [Y == Y'] - imm Y / (K + T) */
    const CARTP_R imm = CARTP_EQ(immune_control)(p, tp + tn);
    const CARTP_R per_cell = imm / (p[P_K_IMM_HALF] + tp + tn);
    JAC(TP, TP) = CARTP_SEL(imm_on, JAC(TP, TP) - (imm - per_cell * tp), JAC(TP, TP));
    JAC(TP, TN) = CARTP_SEL(imm_on, JAC(TP, TN) + per_cell * tp, JAC(TP, TN));
    JAC(TN, TN) = CARTP_SEL(imm_on, JAC(TN, TN) - (imm - per_cell * tn), JAC(TN, TN));
    JAC(TN, TP) = CARTP_SEL(imm_on, JAC(TN, TP) + per_cell * tn, JAC(TN, TP));
  }
  /* dB/dt; kill_B = g E B / (Kkill + Tp + B) */
  JAC(B, E) = -g * b * inv_den;
  JAC(B, TP) = g * e * b * inv_den2;
  JAC(B, B) = -p[P_DELTA_B] - g * e * (den - b) * inv_den2;
  /* dIL6/dt; kill_Tp + kill_B = g E (a Tp + B) / (Kkill + Tp + B). Where a = 1 the expressions
   * are MODEL.md 2.2's (g E A / (Kkill + A)), bit for bit; the general ones only where needed. */
  const CARTP_R p_kill = dv[DV_P_KILL_9], p_act = dv[DV_P_ACT_9];
  const CARTP_R il6_from_antigen = p_kill * g * e * p[P_KKILL] * inv_den2 + p_act * e * dstim;
  JAC(IL6, E) = p_kill * g * antigen * inv_den + p_act * stim;
  JAC(IL6, TP) = il6_from_antigen;
  JAC(IL6, B) = il6_from_antigen;
  if (CARTP_ANY(CARTP_NOT(a_is_1))) {
    const CARTP_R killed = a * tp + b;
    const CARTP_R act = p_act * e * dstim;
    JAC(IL6, E) = CARTP_SEL(a_is_1, JAC(IL6, E), p_kill * g * killed * inv_den + p_act * stim);
    JAC(IL6, TP) = CARTP_SEL(a_is_1, JAC(IL6, TP),
                             p_kill * g * e * (a * den - killed) * inv_den2 + act);
    JAC(IL6, B) = CARTP_SEL(a_is_1, JAC(IL6, B), p_kill * g * e * (den - killed) * inv_den2 + act);
  }
  JAC(IL6, IL6) = amp_slope * free_receptor - (p[P_K_IL6] + p[P_K_REC] * free_receptor);
  JAC(IL6, D1) = -amp_slope * il6 * dro_dd1 + p[P_K_REC] * dro_dd1 * il6;
  /* tocilizumab PK */
  const CARTP_R km_sum = p[P_KM] + c1;
  JAC(D1, D1) = -dv[DV_CL_V1] - p[P_VMAX] * p[P_KM] / (km_sum * km_sum) * dv[DV_INV_V1] -
                dv[DV_Q_V1];
  JAC(D1, D2) = dv[DV_Q_V2];
  JAC(D2, D1) = dv[DV_Q_V1];
  JAC(D2, D2) = -dv[DV_Q_V2];
#undef JAC
  for (int i = 0; i < N_STATES; i++) {
    dfdt[i] = CARTP_ZERO;
  }
  dfdt[E] = -homeostatic * dv[DV_INV_LD_TAU] * e; /* H(t) and the program P(t) depend on t */
  const CARTP_M prog_on = CARTP_MASK(p[P_T_PROG] > 0.0);
  if (CARTP_ANY(prog_on)) {
    dfdt[E] = CARTP_SEL(prog_on,
                        dfdt[E] + p[P_RHO] * stim * prog_slope * e, dfdt[E]);
  }
}

/* The signals (cart.c's signal list): Cblood, the tumour sum, IL6s = IL6 (1 - RO), and the CRS
 * signal IL6s + q_ifn S E / 1e9 [Teachey 2016, Norelli 2018]; out holds them in that order. One
 * division for 1 - RO = KD / (D1 / V1 + KD) = KD V1 / (D1 + KD V1), exactly 1 without
 * tocilizumab: the endpoints and events sample the signals several times a step. */
static inline void CARTP_EQ(signals)(const CARTP_R *y, const CARTP_R *p, CARTP_R *out)
{
  out[0] = p[P_F_BLOOD] * (y[E] + y[M] + y[X]) / (p[P_V_BLOOD] * 1e6); /* observe() */
  out[1] = y[TP] + y[TN];
  const CARTP_R kd_v1 = p[P_KD_TOCI] * p[P_V1];
  out[2] = y[IL6] * (kd_v1 / (y[D1] + kd_v1));
  out[3] = out[2];
  const CARTP_M ifn_on = CARTP_MASK(p[P_Q_IFN] > 0.0);
  if (CARTP_ANY(ifn_on)) {
    const CARTP_R antigen = y[TP] + y[B];
    const CARTP_R stim = antigen / (antigen + p[P_KS]);
    out[3] = CARTP_SEL(ifn_on, out[3] + p[P_Q_IFN] * stim * y[E] / 1e9, out[3]);
  }
}

#if CARTP_LANE_W == 1 && !defined(CARTP_CART_SCALAR_DONE)
#define CARTP_CART_SCALAR_DONE
/* cart's per-patient pieces besides the equations (one patient only), for cart.c and the models
 * built on it (allo.c). */

/* Fills cart's derived constants (cart_parts.h, CARTP_CART_DERIVED). */
static void cart_prepare(const double *p, double *dv)
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

/* MODEL.md 2.2's rules (cart_common.h's IL-6 rules), the message naming `model`. */
static int cart_check(const char *model, const double *p, char *message, size_t size)
{
  double dv[CART_MAX_DERIVED];
  cart_prepare(p, dv);
  return cartp_il6_rules(model, p[P_P_AMP], p[P_IL6_50], p[P_H], p[P_K_IL6], p[P_K_REC],
                         dv[DV_P0], message, size);
}

/* cart's derived quantities by name: "p0" and "il6_loop_gain". */
static int cart_derived_value(const double *p, const char *name, double *value)
{
  if (strcmp(name, "p0") == 0) {
    double dv[CART_MAX_DERIVED];
    cart_prepare(p, dv);
    *value = dv[DV_P0];
    return CART_OK;
  }
  if (strcmp(name, "il6_loop_gain") == 0) {
    *value = cartp_il6_loop_gain(p[P_P_AMP], p[P_IL6_50], p[P_H]);
    return CART_OK;
  }
  return CART_EUNKNOWN_PARAM;
}

/* MODEL.md 2.2's initial state of cart's states. */
static void cart_initial(const double *p, double *y)
{
  y[E] = (1.0 - p[P_F_MEM]) * p[P_DOSE];
  y[M] = p[P_F_MEM] * p[P_DOSE];
  y[X] = 0.0;
  y[TP] = (1.0 - p[P_F_NEG0]) * p[P_T0];
  y[TN] = p[P_F_NEG0] * p[P_T0];
  y[B] = p[P_B_LD] * p[P_B0];
  y[IL6] = p[P_IL6_0];
  y[D1] = 0.0;
  y[D2] = 0.0;
}

static void cart_observe(double t, const double *y, const double *p, double *out)
{
  (void)t;
  out[0] = p[P_F_BLOOD] * (y[E] + y[M] + y[X]) / (p[P_V_BLOOD] * 1e6);
}

static void cart_signal_values(const double *y, const double *p, double *out)
{
  signals_1(y, p, out); /* the same for one patient and for lanes */
}

static void cart_add_dose(double *y, double cells, double f_mem)
{
  y[E] += (1.0 - f_mem) * cells;
  y[M] += f_mem * cells;
}
#endif
